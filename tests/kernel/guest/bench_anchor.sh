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

ng() { turnutils_ng -s 10.0.0.1:2223 "$@"; }
sdp() { printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=rtcp-mux\r\n' "$1" "$1" "$2"; }

# run MODE: the anchor with kernel-offload=MODE under the call load
run() {
	mode=$1
	rm -f /tmp/ts.log /tmp/pace.out
	taskset 2 turnserver -n --listening-ip 10.0.0.1 --relay-ip 10.0.0.1 --listening-port 3478 \
		--min-port 50000 --max-port 50999 -u alice:secret --userdb /tmp/turn.db \
		--allowed-peer-ip 10.0.0.0-10.0.0.255 --relay-threads 1 --no-tcp \
		--anchor-ng-listen 10.0.0.1:2223 --anchor-ng-allow 10.0.0.1 \
		--log-file /tmp/ts.log --kernel-offload "$mode" >/tmp/ts.out 2>&1 &
	ts_pid=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q 'ready:' /tmp/ts.log 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	/usr/bin/ip netns exec out turnutils_peer -L 10.0.0.3 -p 3480 >/dev/null 2>&1 &
	peer_pid=$!
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
	b0=$(busy)
	c0=$(cpu_busy 1)
	l0=$(cpu_busy 0)
	t0=$(awk '{ print $1 }' /proc/uptime)
	/usr/bin/ip netns exec out bench_udp calls /tmp/calls "$secs" "$interval_ms" "$len" \
		>/tmp/pace.out 2>&1
	b1=$(busy)
	c1=$(cpu_busy 1)
	l1=$(cpu_busy 0)
	t1=$(awk '{ print $1 }' /proc/uptime)
	ts_t=$(proc_time "$ts_pid")
	kstat=$(ng statistics | sed -n 's/.*"relayedpackets_kernel": \([0-9]*\).*/\1/p' | head -n 1)
	kill "$peer_pid" "$ts_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
	wait "$ts_pid" 2>/dev/null
	awk -v mode="$mode" -v b="$((b1 - b0))" -v c="$((c1 - c0))" -v l="$((l1 - l0))" \
		-v t0="$t0" -v t1="$t1" -v ts="$ts_t" -v n="$calls" -v k="${kstat:-0}" '
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

echo "guest: $(vcpus) vCPUs (CPU 1 forwards, CPU 0 runs the load), $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), kernel $(uname -r), $calls calls x $((1000 / interval_ms)) RTP/s of $len bytes each way, $secs s per run"
run on
run off
awk '$1 == "ANCHORPER" { f[$2] = $3; g[$2] = $4 }
	END { if (f["off"] > 0 && g["off"] > 0)
		printf "ANCHOR-RATIO anchor on/off relayed packets per CPU-second: forwarding CPU %.2f, whole guest %.2f\n", f["on"] / f["off"], g["on"] / g["off"] }' /tmp/anchor.out
e2e_end
