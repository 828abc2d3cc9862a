#!/bin/sh
# tier: full
# Scenario: media keeps flowing while the anchor's control socket takes a
# burst of offers. turnserver anchors 20 calls (ng offer/answer, ICE=remove,
# RTP/AVP, parties on 127.0.0.1) carrying 172-byte RTP at 50 packets/s each
# way for 8 s (tests/bench/anchor_load.c); during that window ten bursts
# of 200 calls each (offer, answer, delete; 16 requests in flight) run on
# the same ng socket. Checks: ng answers ping; every burst request answered
# ok; every media
# packet sent, reached its own call and direction, and loss stays within a
# generous bound (2%: no timing assertion, only that control work does not
# starve forwarding); the server exits 0 with no sanitizer report.
# Loopback only; bounded (about 20 s).
# Usage: test_anchor_ng_burst.sh BUILD_DIR
# shellcheck disable=SC2016,SC2034,SC2317 # tl_check evals its condition later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
calls=20
window_s=8
bursts=10
burst_calls=200
loss_ppm=20000

tl_anchor_load_start 1390

"$tmp/anchor_load" --ng "127.0.0.1:$ngport" --calls "$calls" --warm 1 --seconds "$window_s" \
	--prefix media >"$tmp/media.out" 2>"$tmp/media.err" &
media_pid=$!
pids="$pids $media_pid"
# the media window opens once the calls are up and warmed (about 1 s)
sleep 2
burst_ok=0
i=0
while [ $i -lt $bursts ]; do
	if timeout 20 "$tmp/anchor_load" --ng "127.0.0.1:$ngport" --calls "$burst_calls" \
		--inflight 16 --seconds 0 --prefix "burst$i" >"$tmp/burst$i.out" 2>&1; then
		burst_ok=$((burst_ok + 1))
	else
		cat "$tmp/burst$i.out" >>"$tmp/bursts.out"
	fi
	i=$((i + 1))
done
tl_check "${bursts}_bursts_of_${burst_calls}_calls_answered_ok_during_media ($burst_ok ok)" \
	'[ "$burst_ok" -eq "$bursts" ]' "$tmp/bursts.out"
wait "$media_pid"
rc=$?
tl_forget "$media_pid"
cat "$tmp/media.out" "$tmp/media.err" >"$tmp/out"
sed 's/^/  /' "$tmp/media.out"
tl_check "media_calls_set_up_and_deleted" \
	'[ $rc -eq 0 ] && [ "$(tl_kv "$tmp/media.out" setup failed)" = 0 ]' "$tmp/out" || exit 1
tl_media_counts "$tmp/media.out"
want=$((calls * 50 * (window_s + 1)))
tl_check "each_direction_sent_${want}_packets (a->b $sab, b->a $sba)" \
	'[ "$sab" = $want ] && [ "$sba" = $want ]'
tl_check "forwarded_during_bursts_a_to_b ($rab of $sab, at most ${loss_ppm} ppm lost)" \
	'tl_ok_loss "$sab" "$rab"'
tl_check "forwarded_during_bursts_b_to_a ($rba of $sba, at most ${loss_ppm} ppm lost)" \
	'tl_ok_loss "$sba" "$rba"'
tl_check "every_packet_reached_its_own_call_and_direction" \
	'[ "$(tl_kv "$tmp/media.out" media misrouted)" = 0 ]'
tl_check_turnserver_stops "turnserver_exits_0_without_sanitizer_report"
exit $failed
