#!/bin/sh
# test_anchor_safety.sh BUILD_DIR: the anchor's failure and abuse paths,
# in a network namespace of its own with only loopback. anchor_safety.py
# plays the SIP proxy and the parties against one server per mode: a failed
# re-offer or answer leaves the call exactly as before and frees its ports
# (undo, 16 relay ports), one offer naming a victim in 16 x 32 candidates
# gets it at most the per-call ICE check budget (ice), and a call-id with a
# line break times out into one escaped log line (logcall, anchor-timeout=1).
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
tl_anchor_mode 60 anchor_safety.py 16 undo
tl_check_turnserver_stops "undo: server stops cleanly"
# 16 streams of 3 ports: over the default per-call budget, which would refuse the offer itself
tl_anchor_mode 60 anchor_safety.py 100 ice --anchor-max-call-ports 64 --anchor-port-share 100
tl_check_turnserver_stops "ice: server stops cleanly"
tl_anchor_mode 60 anchor_safety.py 20 logcall --anchor-timeout 1
want="call 'evil\\x0aFORGED: anchor: call \\x27x\\x27 deleted by admin' timed out"
tl_check log_escapes_the_call_id_of_a_timed_out_call 'grep -qF "$want" "$tmp/server.log"' \
	"$tmp/server.log"
tl_check log_has_no_forged_line "! grep -q '^FORGED' '$tmp/server.log'" "$tmp/server.log"
tl_check_turnserver_stops "logcall: server stops cleanly"
exit $failed
