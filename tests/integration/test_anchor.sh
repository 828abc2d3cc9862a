#!/bin/sh
# test_anchor.sh BUILD_DIR: the media anchor over the wire, inside a network
# namespace of its own that has only loopback (the SDPs name the private
# addresses of an Asterisk box, 192.168.210.54 and 172.17.0.1, and the
# anchor sends ICE checks to what it reads). anchor_ng.py plays the SIP
# proxy and both parties against one server per mode: the control
# protocol, the SDP rewrite, the strict STUN responder, ICE, force-relay
# and forwarding (main); public and LAN addresses from anchor-interface
# (interface); the anchor-max-sessions "load limit" (limit);
# anchor-ng-allow (allow); anchor-timeout (timeout) and
# anchor-final-timeout (final). Each server must stop cleanly, with no
# sanitizer report. Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"

# run_mode MODE [SERVER ARGS...]: a fresh server, then anchor_ng.py MODE.
run_mode() {
	tl_anchor_mode 120 anchor_ng.py 100 "$@" || return
	tl_check_turnserver_stops "$1: server stops cleanly"
}

run_mode main
run_mode interface --anchor-interface 203.0.113.10/127.0.0.1
run_mode limit --anchor-max-sessions 1
run_mode allow --anchor-ng-allow 127.0.0.2
run_mode timeout --anchor-timeout 2 --anchor-ng-cache-time 1
run_mode final --anchor-final-timeout 2
exit $failed
