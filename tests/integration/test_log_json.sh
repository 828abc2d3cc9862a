#!/bin/sh
# Scenario: log-format=json for a log shipper. turnserver logs to a file in
# JSON; a client with a user name full of quotes, backslashes and
# non-UTF-8 bytes fails to authenticate, and one with the right password
# relays; every line of the file is then one valid JSON object with time,
# level and msg (Python's json module reads each), the startup, ready and
# failed-authentication lines among them. Loopback only.
# Usage: test_log_json.sh BUILD_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$1"
tl_port_plan 200
peer=$((base + 1))

"$bin/turnutils_peer" -p "$peer" -L 127.0.0.1 >/dev/null 2>&1 &
pids="$pids $!"
tl_start_turnserver "$srv" "$minp" "$maxp" --log-format json
tl_setup "server ready" 'tl_wait_log "$tmp/server.log" "ready: " "$srv_pid"' "$tmp/server.err"
tl_wait_udp_port "$peer"
tl_run "$bin/turnutils_uclient" -u "$(printf 'ev\\il"\001\377')" -w wrong -e 127.0.0.1 -r "$peer" \
	-p "$srv" -m 1 -n 1 --timeout 1 127.0.0.1
tl_run "$bin/turnutils_uclient" -u alice -w secret -e 127.0.0.1 -r "$peer" -p "$srv" -m 1 -n 5 \
	127.0.0.1
tl_check "relaying works with log-format=json" '[ $rc -eq 0 ]' "$tmp/out"
tl_check_turnserver_stops "the server stops cleanly"

python3 - "$tmp/server.log" >"$tmp/json.out" 2>&1 <<'PY'
import json, sys
levels = {"error", "warning", "info", "debug"}
msgs = []
with open(sys.argv[1], "rb") as f:
    for n, raw in enumerate(f, 1):
        o = json.loads(raw.decode("utf-8"))
        assert set(o) == {"time", "level", "msg"}, (n, o)
        assert o["level"] in levels and o["time"].endswith("Z"), (n, o)
        msgs.append(o["msg"])
print(len(msgs), "lines")
for want in ("turnserver 1.0.0 starting", "ready: ", "ev\\x5cil\\x22"):
    assert any(want in m for m in msgs), want
PY
rc=$?
tl_check "each log line is one JSON object (time, level, msg), hostile user name included" \
	'[ $rc -eq 0 ]' "$tmp/json.out"
exit $failed
