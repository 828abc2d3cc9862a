#!/bin/sh
# test_anchor_limits.sh BUILD_DIR: the media anchor's caps, inside a network
# namespace of its own that has only loopback: the default
# anchor-max-sessions and anchor-max-call-ports as statistics show them, an
# offer over the per-call port budget refused with its reason and keeping
# nothing (defaults), and anchor-port-share refusing the call past the
# anchor's share of the relay range (share). anchor_limits.py plays the SIP
# proxy through turnutils_ng. Each server must stop cleanly, with no sanitizer report. Prints
# one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"

# run_mode MODE [SERVER ARGS...]: a fresh server, then anchor_limits.py MODE.
run_mode() {
	tl_anchor_mode 120 anchor_limits.py 100 "$@" || return
	tl_check_turnserver_stops "$1: server stops cleanly"
}

run_mode defaults
run_mode share --anchor-port-share 1
exit $failed
