#!/bin/sh
# The anchored-stream end-to-end benchmark, run inside a 2-vCPU qemu guest
# by scripts/bench-kernel after bench_turn.sh: turnserver's media anchor
# with the turnrelay module (kernel-offload=on) against kernel-offload=off,
# under the same call load.
#
# The root netns is the server (10.0.0.1 on veth0, ng on 10.0.0.1:2223,
# pinned to CPU 1 with its receive: bench_e2e.sh); netns "out" holds the
# callers of 20 calls (10.0.0.2, one bench_udp calls process: 172-byte RTP
# datagrams, one every 20 ms per caller) and the called party, the echo
# peer turnutils_peer (10.0.0.3), for every call, both on CPU 0. Each call
# is offered and answered with turnutils_ng (ICE=remove), both sides latch
# on the first datagrams, and every datagram is relayed twice by the
# anchor: caller -> echo and back. Relayed packets (2 x the echoes the
# callers got back) over the busy time of CPU 1 = the forwarding path's
# packets per CPU-second, as bench_turn.sh; the whole guest's beside it.
# Prints "ANCHOR" lines per run and an "ANCHOR-RATIO" line.
# shellcheck source=tests/kernel/guest/bench_e2e.sh
. /tests/bench_e2e.sh
secs=10
calls=20
interval_ms=20
len=172

# run MODE: the anchor with kernel-offload=MODE under the call load
run() {
	mode=$1
	rm -f /tmp/pace.out
	e2e_start --anchor-ng-listen 10.0.0.1:2223 --anchor-ng-allow 10.0.0.1 --kernel-offload "$mode"
	sdp 10.0.0.3 3480 >/tmp/b.sdp
	: >/tmp/ports
	k=1
	while [ $k -le $calls ]; do
		sdp 10.0.0.2 $((20000 + 2 * k)) >/tmp/a.sdp
		ng -o /tmp/to_b.sdp offer --call-id "c$k" --from-tag A --sdp-file /tmp/a.sdp --ice remove >/dev/null &&
			ng -o /tmp/to_a.sdp answer --call-id "c$k" --from-tag A --to-tag B --sdp-file /tmp/b.sdp \
				--ice remove >/dev/null
		echo "$k $(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' /tmp/to_a.sdp | tr -d '\r')" >>/tmp/ports
		k=$((k + 1))
	done
	while read -r k p; do
		echo "10.0.0.2:$((20000 + 2 * k)) 10.0.0.1:$p"
	done </tmp/ports >/tmp/calls
	sleep 0.5
	sample s0
	/usr/bin/ip netns exec out bench_udp calls /tmp/calls "$secs" "$interval_ms" "$len" \
		>/tmp/pace.out 2>&1
	sample s1
	ts_t=$(proc_time "$ts_pid")
	kstat=$(ng statistics | sed -n 's/.*"relayedpackets_kernel": \([0-9]*\).*/\1/p' | head -n 1)
	e2e_stop
	# shellcheck disable=SC2154 # set by sample
	awk -v mode="$mode" -v b="$((s1_b - s0_b))" -v c="$((s1_c - s0_c))" -v l="$((s1_l - s0_l))" \
		-v t0="$s0_t" -v t1="$s1_t" -v ts="$ts_t" -v n="$calls" -v k="${kstat:-0}" '
		$1 == "sent" { sent += $2; got += $4 }
		END {
		wall = t1 - t0; cpu = b / 100; fwd = c / 100; load = l / 100; rel = 2 * got
		if (cpu < 0.01) cpu = 0.01
		if (fwd < 0.01) fwd = 0.01
		printf "ANCHOR kernel-offload=%s: %d calls, %d sent, %d echoed in %.1f s = %.0f relayed pps; forwarding CPU 1 %.2f s busy = %.1f us per relayed packet, %.0f relayed packets per CPU-second; load CPU 0 %.2f s busy; whole guest %.2f s busy = %.0f per CPU-second; turnserver process %.2f s; the anchor counted %d packets relayed in the kernel\n",
			mode, n, sent, got, wall, rel / wall, fwd, 1e6 * fwd / (rel ? rel : 1), rel / fwd, load, cpu, rel / cpu, ts / 100, k
		printf "ANCHORPER %s %.0f %.0f\n", mode, rel / fwd, rel / cpu
	}' /tmp/pace.out | tee -a /tmp/anchor.out
}

e2e_main ANCHOR /tmp/anchor.out "$calls calls x $((1000 / interval_ms)) RTP/s of $len bytes each way" anchor
