#!/bin/sh
# Scenario: an ng request is answered by the control thread alone, without
# waking the anchor's media thread or waiting for it (two wake-ups per
# request made the control path half as fast). turnserver anchors 300
# calls one request at a time (offer, answer, delete; ICE=remove, RTP/AVP,
# no media: --warm 0; tests/bench/anchor_load.c). Checks: every request
# answered ok; the daemon's threads blocked (voluntary context switches,
# read from /proc) fewer than 1.5 times per request: the control thread
# waits at most once for each datagram, the media thread not at all; a
# hand-off to the media thread costs two more per request. A count, not a
# timing. Loopback only; bounded (a few seconds).
# Usage: test_anchor_ng_wakeups.sh BUILD_DIR
# shellcheck disable=SC2016,SC2034,SC2317 # tl_check evals its condition later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
src=$(dirname "$0")/../bench/anchor_load.c
calls=300
requests=$((calls * 3))

if ! cc -O2 -std=gnu11 -Wall -Wextra -o "$tmp/anchor_load" "$src" -lsrtp2 >"$tmp/out" 2>&1; then
	tl_check "load_generator_builds" false "$tmp/out"
	exit 1
fi
# four ports a call, well within the anchor's share of the range (anchor-port-share)
tl_start_anchor $((calls * 8)) || exit 1

# voluntary context switches of all the daemon's threads
switches() {
	cat /proc/"$srv_pid"/task/*/status 2>/dev/null |
		awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n + 0 }'
}
# one call first: lazily made state (caches, the loop's first turns) is not counted
"$tmp/anchor_load" --ng "127.0.0.1:$ng" --calls 1 --inflight 1 --warm 0 --seconds 0 --prefix warm \
	>"$tmp/out" 2>&1
before=$(switches)
timeout 60 "$tmp/anchor_load" --ng "127.0.0.1:$ng" --calls "$calls" --inflight 1 --warm 0 \
	--seconds 0 --prefix seq >"$tmp/load.out" 2>&1
rc=$?
after=$(switches)
sed 's/^/  /' "$tmp/load.out"
tl_check "${calls}_calls_set_up_and_deleted_one_request_at_a_time" \
	'[ $rc -eq 0 ] && grep -q "^setup .*failed=0" "$tmp/load.out" &&
	 grep -q "^teardown .*failed=0" "$tmp/load.out"' "$tmp/load.out"
blocked=$((after - before))
tl_check "threads_blocked_fewer_than_1.5_times_per_request ($blocked for $requests requests)" \
	'[ $((blocked * 2)) -lt $((requests * 3)) ]'
tl_check_turnserver_stops "turnserver_exits_0_without_sanitizer_report"
exit $failed
