#!/bin/sh
# test_anchor_threads.sh BUILD_DIR: the anchor's media on several threads
# (anchor-num-threads=2), in a network namespace of its own.
# anchor_threads.py: two media threads run, four calls land two on each
# (query's "thread", the turnserver_anchor_thread_calls gauge) and forward
# RTP both ways; the server stops cleanly, with no sanitizer report.
# (That a thread held up delays only its own calls is
# tests/unit/test_anchor_threads.c.) Prints one "PASS: name" or
# "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
python=/usr/bin/python3
here=$(dirname "$0")

prom=$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if tl_start_anchor 20 --anchor-num-threads 2 --prometheus --prometheus-address 127.0.0.1 \
	--prometheus-port "$prom"; then
	timeout 60 "$python" "$here/anchor_threads.py" "$ng" "$srv_pid" "$prom" || failed=1
	tl_check_turnserver_stops "server stops cleanly"
fi
exit $failed
