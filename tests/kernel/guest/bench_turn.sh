#!/bin/sh
# bench_turn.sh - scripts/bench-kernel's end-to-end figure, inside the
# 2-vCPU guest (scripts/kernel-guest ... bench_turn): turnserver with the
# module (kernel-offload=on) against turnserver with kernel-offload=off,
# under the same TURN channel load.
#
# The root netns is the server (10.0.0.1 on veth0, pinned to CPU 1 with its
# receive: bench_e2e.sh); netns "out" holds the clients (10.0.0.2) and the
# echo peer turnutils_peer (10.0.0.3), both on CPU 0: our turnutils_uclient,
# 40 clients, 160-byte payloads in ChannelData, one every 20 ms each, from
# its start (set-up of the 40 allocations included) to its end. Every
# message is relayed twice by the server: client -> peer and back. (The
# figure under pktgen, where the load costs CPU 1 no wake-ups, is
# bench_serve.sh's.)
#
# Relayed packets (2 x the echoes the clients got back) over the busy time
# (user+system+irq+softirq in /proc/stat: bench_e2e.sh) of CPU 1, which does the
# whole forwarding path and nothing else = the forwarding path's packets
# per CPU-second; with the module its work is softirq, not turnserver's.
# The figure of the whole guest (load included, which costs the same in
# both runs) is printed beside it. Prints "E2E" lines per run and an
# "E2E-RATIO" line.
# shellcheck source=tests/kernel/guest/bench_e2e.sh
. /tests/bench_e2e.sh
secs=10
clients=40
interval_ms=20
msgs=$((secs * 1000 / interval_ms))

# run MODE: one turnserver with kernel-offload=MODE under the load
run() {
	mode=$1
	rm -f /tmp/load.out
	e2e_start --user-quota 0 --total-quota 0 --kernel-offload "$mode"
	sleep 0.5
	sample s0
	/usr/bin/ip netns exec out turnutils_uclient -L 10.0.0.2 -e 10.0.0.3 -r 3480 -u alice \
		-w secret -m "$clients" -n "$msgs" -z "$interval_ms" -l 160 --loss-threshold 100 \
		10.0.0.1 >/tmp/load.out 2>&1
	sample s1
	got=$(awk '/^messages received:/ { print $3 }' /tmp/load.out)
	sent=$(awk '/^messages sent:/ { print $3 }' /tmp/load.out)
	ts_t=$(proc_time "$ts_pid")
	e2e_stop
	# shellcheck disable=SC2154 # set by sample
	awk -v mode="$mode" -v sent="${sent:-0}" -v got="${got:-0}" \
		-v b="$((s1_b - s0_b))" -v c="$((s1_c - s0_c))" -v l="$((s1_l - s0_l))" \
		-v t0="$s0_t" -v t1="$s1_t" -v ts="$ts_t" -v n="$clients" 'BEGIN {
		wall = t1 - t0; cpu = b / 100; fwd = c / 100; ld = l / 100; rel = 2 * got
		if (cpu < 0.01) cpu = 0.01
		if (fwd < 0.01) fwd = 0.01
		printf "E2E kernel-offload=%s: %d clients, %d sent, %d echoed in %.1f s = %.0f relayed pps; forwarding CPU 1 %.2f s busy = %.1f us per relayed packet, %.0f relayed packets per CPU-second; load CPU 0 %.2f s busy; whole guest %.2f s busy = %.0f per CPU-second; turnserver process %.2f s\n",
			mode, n, sent, got, wall, rel / wall, fwd, 1e6 * fwd / (rel ? rel : 1), rel / fwd, ld, cpu, rel / cpu, ts / 100
		printf "E2EPER %s %.0f %.0f\n", mode, rel / fwd, rel / cpu
	}' | tee -a /tmp/e2e.out
}

e2e_main E2E /tmp/e2e.out "$clients clients x $((1000 / interval_ms)) ChannelData/s of 160 bytes" turnserver
