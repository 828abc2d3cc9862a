#!/bin/sh
# tier: full
# Scenario: media under load through the anchor. turnserver anchors 200
# calls set up over ng (offer from A with from-tag, answer from B with
# to-tag, ICE=remove, RTP/AVP, parties on 127.0.0.1); for 11 s each party
# sends 172-byte RTP packets (12-byte header) at 50 packets/s to the anchor
# port its SDP named (20,000 packets/s in all), from the address its own
# SDP gave (tests/bench/anchor_load.c, built here with cc -O2). Checks:
# every call set up; every packet arrives at the other party of its own
# call and no loss beyond what loopback drops; query's per-stream packet
# counts and statistics' relayedpackets_user agree with what was sent and
# received; after every call is deleted, list is empty, the anchor's media
# sockets are closed and VmRSS is back near its level before the calls;
# the server exits 0 with no sanitizer report. Loopback only; bounded
# (about 30 s; the ng reply cache is kept 2 s here, anchor-ng-cache-time).
# Usage: test_anchor_load.sh BUILD_DIR
# shellcheck disable=SC2016,SC2034,SC2317 # tl_check evals its condition later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
calls=200
window_s=10
# Loss allowed per direction, in packets per million: loopback loses a
# datagram only when a receive buffer is full, i.e. when the anchor or our
# receiver is kept off the CPU for a long time (each socket gets 50
# packets/s into a 208 KiB buffer). 0.1% absorbs such a stall on a loaded
# 2-core machine; one dead call would lose 0.5%, and each call is also
# required to have media both ways.
loss_ppm=1000

# 4 relay ports a call (RTP and RTCP, each side) and spare. ng replies are
# kept 2 s (anchor-ng-cache-time; 60 by default) so that the cache is empty
# again when VmRSS is read before the calls (VmRSS after deleting them may
# be 512 kB above it, tl_check_memory_back).
tl_anchor_load_start 1000 --anchor-ng-cache-time "$tl_anchor_cache_s"

socket_fds() { find "/proc/$srv_pid/fd" -lname 'socket:*' 2>/dev/null | wc -l; }

# warm-up round: the same commands and traffic
tl_anchor_warm_up "warm_up_round_of_${calls}_calls" --calls "$calls" --warm 1 --seconds 1 --query
fds0=$(socket_fds)
pkts0=$(tl_ngstat relayedpackets_user)

"$tmp/anchor_load" --ng "127.0.0.1:$ngport" --calls "$calls" --warm 1 --seconds "$window_s" \
	--query --pid "$srv_pid" --prefix load --per-call "$tmp/calls.txt" \
	>"$tmp/load.out" 2>"$tmp/load.err" &
load_pid=$!
pids="$pids $load_pid"
sleep 5
held=$(tl_media_sockets)
wait "$load_pid"
rc=$?
tl_forget "$load_pid"
tl_anchor_load_done "${calls}_calls_set_up_queried_deleted_over_ng"
tl_check "anchor_holds_media_sockets_during_calls ($held)" '[ "$held" -ge $((2 * calls)) ]'

tl_media_counts "$tmp/load.out"
want=$((calls * 50 * (window_s + 1)))
tl_check "each_direction_sent_${want}_packets (a->b $sab, b->a $sba)" \
	'[ "$sab" = $want ] && [ "$sba" = $want ] && [ "$(tl_kv "$tmp/load.out" media send_errors)" = 0 ]'
tl_check "no_loss_a_to_b beyond ${loss_ppm} ppm (received $rab of $sab)" 'tl_ok_loss "$sab" "$rab"'
tl_check "no_loss_b_to_a beyond ${loss_ppm} ppm (received $rba of $sba)" 'tl_ok_loss "$sba" "$rba"'
tl_anchor_calls_apart

# query: the anchor's count of packets from A (B) lies between what reached
# B (A) and what A (B) sent, for every call; in total within the loss bound
bad=$(awk '$6 < $3 || $6 > $2 || $7 < $5 || $7 > $4' "$tmp/calls.txt" | wc -l)
tl_check "query_packet_counts_between_received_and_sent_for_every_call ($bad not)" \
	'[ "$bad" -eq 0 ]' "$tmp/calls.txt"
ina=$(tl_kv "$tmp/load.out" query in_from_a)
inb=$(tl_kv "$tmp/load.out" query in_from_b)
tl_check "query_totals_match_sent (from a $ina of $sab, from b $inb of $sba)" \
	'tl_ok_loss "$sab" "$ina" && tl_ok_loss "$sba" "$inb"'
pkts1=$(tl_ngstat relayedpackets_user)
fwd=$((pkts1 - pkts0))
tl_check "statistics_relayed_packets_match ($fwd forwarded, $((rab + rba)) received)" \
	'[ "$fwd" -ge $((rab + rba)) ] && [ "$fwd" -le $((ina + inb)) ]'

# after delete: no calls, no media sockets, memory back
tl_anchor_list_empty
left=$(tl_media_sockets)
fds1=$(socket_fds)
tl_check "media_sockets_closed_after_delete ($left left, socket fds $fds0 -> $fds1)" \
	'[ "$left" -eq 0 ] && [ "$fds1" -le "$fds0" ]'
tl_check_memory_back "$rss0"

tl_check_turnserver_stops "turnserver_exits_0_without_sanitizer_report"
exit $failed
