#!/bin/sh
# Scenario: turnserver under a systemd unit of Type=notify, the service
# manager's end played by notify_listen.py on an abstract socket named by
# NOTIFY_SOCKET: READY=1 once it listens, RELOADING=1 then READY=1 around a
# SIGHUP reload, STOPPING=1 on SIGTERM, and exit status 0. Without
# NOTIFY_SOCKET nothing is sent (the other tests). Loopback only.
# Usage: test_sdnotify.sh BUILD_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$1"
here=$(dirname "$0")
tl_port_plan 200

notify=turnserver-sdnotify-test-$$
python3 "$here/notify_listen.py" "$notify" "$tmp/notify" 60 &
listener=$!
pids="$pids $listener"
tl_setup "notify listener" 'tl_wait_log "$tmp/notify" listening "$listener"'
NOTIFY_SOCKET=@$notify tl_start_turnserver "$srv" "$minp" "$maxp"
tl_check "READY=1 once the server listens" \
	'tl_wait_log "$tmp/notify" "^READY=1 STATUS=relaying" "$srv_pid" &&
	 grep -q "ready:" "$tmp/server.log"' "$tmp/server.err"
kill -HUP "$srv_pid"
tl_check "SIGHUP: RELOADING=1, then READY=1 again once reloaded" \
	'tl_wait_log "$tmp/notify" "^RELOADING=1" "$srv_pid" &&
	 tl_wait_log "$tmp/notify" "^READY=1$" "$srv_pid" &&
	 [ "$(grep -n "^RELOADING=1" "$tmp/notify" | cut -d: -f1)" -lt \
	   "$(grep -n "^READY=1$" "$tmp/notify" | cut -d: -f1)" ]' "$tmp/notify"
tl_check_turnserver_stops "SIGTERM: exit status 0"
tl_check "SIGTERM: STOPPING=1" 'tl_wait_log "$tmp/notify" "^STOPPING=1"' "$tmp/notify"
exit $failed
