#!/bin/sh
# The anchor's streams in the turnrelay module (run by test.sh inside the
# guest after turn_offload.sh, in its topology: root netns = the server
# 10.0.0.1; netns "out" = party A 10.0.0.2 and party B 10.0.0.3; the module
# loaded). turnutils_ng offers and answers a plain RTP call (ICE=remove);
# A is bench_udp sending RTP from 10.0.0.2:4000, B is turnutils_peer (an
# echo) at 10.0.0.3:3480. A's first datagram latches side A, B's echo
# latches side B, and the confirmed stream gets its entry: from then on the
# module forwards both ways (its counters grow on both legs), and ng query
# and statistics report it ("kernelized", relayedpackets_kernel). A TURN
# client (turnutils_uclient) as party A of a second call: its channel to
# the anchor's port becomes one joined entry to B's leg, its echoes intact,
# its allocation's data relayed by the kernel and counted by the anchor
# too. Unloading
# the module under the running call: the anchor says so, media goes on in
# userspace and the call stays. One PASS/FAIL line per check; exit status 1
# when any failed.
# shellcheck source=tests/kernel/guest/guest_lib.sh
. /tests/guest_lib.sh

ng() { turnutils_ng -s 10.0.0.1:2223 "$@"; }
# sdp IP PORT: one audio stream, rtcp-mux
sdp() { printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=rtcp-mux\r\n' "$1" "$1" "$2"; }
port_of() { sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$1" | tr -d '\r'; }
# send SECONDS: A's RTP to the anchor's port for A
send() { ip netns exec out bench_udp send 10.0.0.2:4000 "10.0.0.1:$pa" "$1" 172; }
# an anchored entry (no channel on either leg) that took packets in on both legs
anchored_both_ways() {
	turnutils_relayctl list -j | tee /dev/stderr |
		grep -Eq '"legs":\[\{[^}]*"channel":0,"flags":0,"packets":[1-9][^}]*\},\{[^}]*"channel":0,"flags":0,"packets":[1-9]'
}
# an entry whose first leg has no channel and no flags: anchored, not a TURN channel's
has_anchored_entry() { turnutils_relayctl list -j | grep -q '"legs":\[{[^}]*"channel":0,"flags":0,'; }
stat() { ng statistics | sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" | head -n 1; }

ip netns exec out turnutils_peer -L 10.0.0.3 -p 3480 >/tmp/peer.out 2>&1 &
peer_pid=$!

check anchor-offload-starts ts_start --kernel-offload on --anchor-ng-listen 10.0.0.1:2223 \
	--anchor-ng-allow 10.0.0.1
sdp 10.0.0.2 4000 >/tmp/a.sdp
sdp 10.0.0.3 3480 >/tmp/b.sdp
ng -o /tmp/to_b.sdp offer --call-id k1 --from-tag A --sdp-file /tmp/a.sdp --ice remove >"$out" 2>&1 &&
	ng -o /tmp/to_a.sdp answer --call-id k1 --from-tag A --to-tag B --sdp-file /tmp/b.sdp \
		--ice remove >>"$out" 2>&1
ng_rc=$?
pa=$(port_of /tmp/to_a.sdp)
check anchor-offload-offer-answer sh -c "[ $ng_rc -eq 0 ] && [ -n '$pa' ]"

# A's media latches A, B's echo latches B: confirmed, in the kernel
send 1 >/dev/null 2>&1
check anchor-offload-entry-installed wait_for 50 has_anchored_entry
send 2 >/tmp/send.out 2>&1
check anchor-offload-module-forwards-both-ways anchored_both_ways
# the anchor's poll (once a second) merges the module's counters
sleep 1.5
ng query --call-id k1 >/tmp/q.out 2>&1
cp /tmp/q.out "$out"
check anchor-offload-query-kernelized grep -q '"kernelized"' /tmp/q.out
kpkts=$(stat relayedpackets_kernel)
upkts=$(stat relayedpackets_user)
echo "  anchor relayed: kernel ${kpkts:-?} packets, userspace ${upkts:-?}"
check anchor-offload-statistics-kernel-packets sh -c "[ '${kpkts:-0}' -gt 0 ] && [ '${kpkts:-0}' -gt '${upkts:-0}' ]"

# --- a TURN client as party A: its channel to the anchor's port joined to
# B's leg in one entry (uclient's echoes from B come back through it)
# (A's SDP names the relay address but no live port: side A learns the
# relayed source, RTP probation first)
sdp 10.0.0.1 9 >/tmp/a2.sdp
ng -o /tmp/to_b2.sdp offer --call-id k2 --from-tag A --sdp-file /tmp/a2.sdp --ice remove >"$out" 2>&1 &&
	ng -o /tmp/to_a2.sdp answer --call-id k2 --from-tag A --to-tag B --sdp-file /tmp/b.sdp \
		--ice remove >>"$out" 2>&1
pj=$(port_of /tmp/to_a2.sdp)
kpkts_before=$(stat relayedpackets_kernel)
ip netns exec out turnutils_uclient -L 10.0.0.2 -e 10.0.0.1 -r "${pj:-9}" -u alice -w secret \
	--rtp -l 172 -n 150 -z 20 --hold 2 --loss-threshold 5 10.0.0.1 >/tmp/uc.out 2>&1 &
uc_pid=$!
# a channel entry whose second leg is the anchor's port toward B
joined_entry() { turnutils_relayctl list -j | grep -q '"channel":1[0-9]*,"flags":0,"packets":[0-9]*,[^}]*},{"local":"10.0.0.1:[0-9]*","remote":"10.0.0.3:3480"'; }
if wait_for 100 joined_entry; then joined=1; else joined=0; fi
turnutils_relayctl list | sed 's/^/  /'
# the joined entry puts the anchor's stream in the kernel: query and statistics say so
ng query --call-id k2 >/tmp/q2.out 2>&1
mk=$(stat media_kernel)
cat /tmp/q2.out >"$out"
check anchor-offload-joined-query-kernelized sh -c "[ $joined = 1 ] && grep -q '\"kernelized\"' /tmp/q2.out && [ '${mk:-0}' -ge 2 ]"
wait "$uc_pid"
uc_rc=$?
cat /tmp/uc.out >"$out"
check anchor-offload-joined-entry-installed [ "$joined" = 1 ]
# (the first few are dropped while side A learns its source: RTP probation)
check anchor-offload-joined-payload-intact sh -c "[ $uc_rc -eq 0 ] && grep -q 'messages received: 1[4-5][0-9] (duplicates 0, corrupt 0' /tmp/uc.out"
cp "$log" "$out"
check anchor-offload-joined-stays-in-kernel \
	sh -c "grep 'ended' $log | tail -n 1 | grep -q 'by the kernel [1-9][0-9]* packets ([0-9]* bytes) to peers, [1-9]'"
sleep 1.5
kpkts_after=$(stat relayedpackets_kernel)
check anchor-offload-joined-counted-by-anchor sh -c "[ '${kpkts_after:-0}' -gt '${kpkts_before:-0}' ]"
ng delete --call-id k2 --from-tag A >/dev/null 2>&1

# --- the module unloaded under the running call: userspace forwards, the call stays
send 3 >/dev/null 2>&1 &
send_pid=$!
sleep 1
rmmod turnrelay
wait "$send_pid"
sleep 1.5
upkts2=$(stat relayedpackets_user)
cp "$log" "$out"
check anchor-offload-rmmod-falls-back sh -c "grep -q 'anchor: DUMP failed.*turnrelay module gone' $log && [ '${upkts2:-0}' -gt '${upkts:-0}' ]"
ng query --call-id k1 >/tmp/q.out 2>&1
q_rc=$?
cp /tmp/q.out "$out"
check anchor-offload-rmmod-call-kept sh -c "[ $q_rc -eq 0 ] && ! grep -q '\"kernelized\"' /tmp/q.out"
ng delete --call-id k1 --from-tag A >/dev/null 2>&1
ts_stop
finish anchor-offload
