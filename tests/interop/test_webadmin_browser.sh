#!/bin/sh
# test_webadmin_browser.sh BUILD_DIR: the admin interface in a real browser.
# Our turnserver with web-admin on 127.0.0.1, an admin account from our
# turnadmin -A, and our uclient relaying over TCP through an allocation of a
# TURN user whose name is markup ('<img src=x onerror=alert(1)>'). Debian's
# headless Chromium, driven by playwright-core (webadmin_run.js): the status
# page sends it to the login form, it logs in, sees the allocation appear
# with its counters, cancels it, then sees a call anchored over ng (its
# Call-ID markup as well) and deletes it (ng query no longer finds it); no
# script from the page ever runs; the uclient reports its connection gone
# and exits with an error. The
# screenshots of each page are kept in BUILD_DIR/screenshots/webadmin/ for a
# person to look at. About 10 s. Needs root, /usr/bin/chromium, node and
# npm (playwright-core is installed with `npm ci` when missing).
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016 # tl_check evals its condition
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
here=$(cd "$(dirname "$0")" && pwd) || exit 1
dir=$here/browser
chromium=${CHROMIUM:-/usr/bin/chromium}
tl_browser_ready browser_webadmin "$chromium" "$dir" turnserver turnadmin turnutils_uclient \
	turnutils_peer turnutils_ng

tl_port_plan 200
wa=$((base + 1)) peer=$((base + 2)) ng=$((base + 3))
realm=example.org
user='<img src=x onerror=alert(1)>'
admin_pw="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
shots=$build/screenshots/webadmin
rm -rf "$shots"
mkdir -p "$shots"
"$bin/turnadmin" -a -b "$tmp/turn.db" -r "$realm" -u "$user" -p secret2 >"$tmp/admin.out" 2>&1 &&
	"$bin/turnadmin" -A -b "$tmp/turn.db" -u admin -p "$admin_pw" >>"$tmp/admin.out" 2>&1
tl_setup "turnadmin -a and -A" '[ $? -eq 0 ]' "$tmp/admin.out"
tl_start_turnserver "$srv" "$minp" "$maxp" --realm "$realm" --web-admin --web-admin-port "$wa" \
	--anchor-ng-listen "127.0.0.1:$ng"
if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
	tl_server_output
	tl_setup "server starts" false "$tmp/out"
fi
"$bin/turnutils_peer" -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
pids="$pids $!"
tl_wait_udp_port "$peer"
timeout 120 "$bin/turnutils_uclient" -t -e 127.0.0.1 -r "$peer" -p "$srv" -u "$user" -w secret2 \
	-n 3000 -z 30 127.0.0.1 >"$tmp/uclient.out" 2>"$tmp/uclient.err" &
uc_pid=$!
pids="$pids $uc_pid"

call_id='<b onmouseover=alert(2)>call</b>'
printf 'v=0\no=- 1 1 IN IP4 127.0.0.1\ns=-\nc=IN IP4 127.0.0.1\nt=0 0\nm=audio 40000 RTP/AVP 0\n' \
	>"$tmp/offer.sdp"
"$bin/turnutils_ng" -s "127.0.0.1:$ng" offer --call-id "$call_id" --from-tag ft \
	--sdp-file "$tmp/offer.sdp" >"$tmp/ng.out" 2>&1
tl_setup "ng offer" '[ $? -eq 0 ]' "$tmp/ng.out"

start=$(date +%s)
CHROMIUM=$chromium node "$dir/webadmin_run.js" "http://127.0.0.1:$wa" admin "$admin_pw" "$user" \
	"$call_id" "$shots" >"$tmp/run.out" 2>"$tmp/run.err"
tl_browser_run_done browser_webadmin webadmin_run.js $?
rm -rf "$shots/.profile"

tl_wait_exit "$uc_pid" 100
wait "$uc_pid"
uc_rc=$?
tl_forget "$uc_pid"
tl_check "browser_webadmin_client_gets_the_error (uclient exit $uc_rc)" \
	'[ "$uc_rc" -ne 0 ] && grep -q "connection" "$tmp/uclient.err"' "$tmp/uclient.err"
n=$(find "$shots" -name '*.png' -size +1k | wc -l)
tl_check "browser_webadmin_screenshots_saved ($n in $shots)" '[ "$n" -eq 6 ]'
"$bin/turnutils_ng" -s "127.0.0.1:$ng" query --call-id "$call_id" >"$tmp/ng.out" 2>&1
tl_check "browser_webadmin_call_gone_for_ng" '[ $? -ne 0 ]' "$tmp/ng.out"
tl_check_turnserver_stops "browser_webadmin_server_exits_cleanly"
exit $failed
