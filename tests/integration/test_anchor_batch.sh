#!/bin/sh
# test_anchor_batch.sh BUILD_DIR: the anchor's forwarding with batched sends
# (relay/udp_batch.h), in a network namespace of its own. anchor_batch.py:
# a burst of 12 RTP packets that one recvmmsg() takes (the server stopped
# while the caller sends it) reaches the callee whole and in order, by one
# send call: a UDP GSO send by default, one sendmmsg() with no-udp-gso (the
# anchor's turnserver_anchor_udp_* metrics). The server must stop cleanly,
# with no sanitizer report. Prints one "PASS: name" or "FAIL: name" line
# per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
python=/usr/bin/python3
here=$(dirname "$0")

for mode in gso mmsg; do
	prom=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	extra=
	[ "$mode" = mmsg ] && extra=--no-udp-gso
	# shellcheck disable=SC2086
	if tl_start_anchor 20 --prometheus --prometheus-address 127.0.0.1 \
		--prometheus-port "$prom" $extra; then
		timeout 60 "$python" "$here/anchor_batch.py" "$mode" "$ng" "$min" "$max" "$srv_pid" \
			"$prom" || failed=1
		tl_check_turnserver_stops "server stops cleanly ($mode)"
	fi
done
exit $failed
