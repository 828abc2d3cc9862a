#!/bin/sh
# test_anchor_own.sh BUILD_DIR: the anchor and the server's own sockets, as
# the relay registry names them, in a network namespace of its own that has
# only loopback. anchor_ownsource.py: the ng control socket refuses
# datagrams from the server's own sockets exactly (a SIP proxy on the
# relay's address whose ephemeral port falls in the relay range, with no
# relay or media socket there, is answered; the listening socket is refused
# and counted as `ownsource`). anchor_owndest.py: a destination on the
# server's own address (a media port of another call) is judged per packet,
# so once that socket has closed and another program holds the port the
# anchor sends nothing there. The server must stop cleanly, with no
# sanitizer report. Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
python=/usr/bin/python3
here=$(dirname "$0")

if tl_start_anchor 20; then
	timeout 60 "$python" "$here/anchor_ownsource.py" main "$ng" "$min" "$max" "$port" ||
		failed=1
	timeout 60 "$python" "$here/anchor_owndest.py" main "$ng" "$min" "$max" || failed=1
	tl_check_turnserver_stops "server stops cleanly"
fi
exit $failed
