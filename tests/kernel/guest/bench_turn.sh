#!/bin/sh
# The end-to-end turnserver benchmark, run inside a 2-vCPU qemu guest by
# scripts/bench-kernel: turnserver with the turnrelay module
# (kernel-offload=on) against turnserver with kernel-offload=off, under the
# same TURN channel load.
#
# The root netns is the server (10.0.0.1 on veth0); netns "out" holds our
# turnutils_uclient (10.0.0.2: BENCH_CLIENTS clients, 160-byte payloads in
# ChannelData, one every 20 ms each, as RTP would) and the echo peer
# turnutils_peer (10.0.0.3). Every message is relayed twice by the server:
# client -> peer and back.
#
# Relayed packets (2 x the echoes the clients got back) over the busy time
# of the whole guest (user+nice+system+irq+softirq of every CPU in
# /proc/stat: the module's work is softirq, not turnserver's) = packets per
# CPU-second. The load programs cost the same in both runs and are in that
# figure; a second figure leaves out their user time (utime) only: their
# system time cannot be told apart from the forwarding, because veth's
# receive softirq (the module's hook, or the socket queueing for
# turnserver) runs at the end of the sender's system call and is charged
# to the sender. Prints "E2E" lines per run and an "E2E-RATIO" line.
# shellcheck source=tests/kernel/guest/bench_e2e.sh
. /tests/bench_e2e.sh
secs=10
clients=40
interval_ms=20
msgs=$((secs * 1000 / interval_ms))

proc_utime() { awk '{ print $14 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# run MODE: one turnserver with kernel-offload=MODE under the load
run() {
	mode=$1
	rm -f /tmp/ts.log
	turnserver -n --listening-ip 10.0.0.1 --relay-ip 10.0.0.1 --listening-port 3478 \
		--min-port 50000 --max-port 50999 -u alice:secret --userdb /tmp/turn.db \
		--allowed-peer-ip 10.0.0.0-10.0.0.255 --relay-threads 1 --no-tcp \
		--user-quota 0 --total-quota 0 --log-file /tmp/ts.log --kernel-offload "$mode" \
		>/tmp/ts.out 2>&1 &
	ts_pid=$!
	i=0
	while [ $i -lt 100 ] && ! grep -q 'ready:' /tmp/ts.log 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	# /usr/bin/ip itself in the background (not the function): $! is the program
	/usr/bin/ip netns exec out turnutils_peer -L 10.0.0.3 -p 3480 >/dev/null 2>&1 &
	peer_pid=$!
	sleep 0.5
	b0=$(busy)
	t0=$(awk '{ print $1 }' /proc/uptime)
	/usr/bin/ip netns exec out turnutils_uclient -L 10.0.0.2 -e 10.0.0.3 -r 3480 -u alice -w secret \
		-m "$clients" -n "$msgs" -z "$interval_ms" -l 160 --loss-threshold 100 10.0.0.1 \
		>/tmp/uc.out 2>&1 &
	uc_pid=$!
	# the load programs' own time, sampled just before they end
	uc_t=0
	while kill -0 "$uc_pid" 2>/dev/null; do
		t=$(proc_utime "$uc_pid")
		[ "$t" -gt 0 ] && uc_t=$t
		sleep 0.2
	done
	wait "$uc_pid"
	b1=$(busy)
	t1=$(awk '{ print $1 }' /proc/uptime)
	peer_t=$(proc_utime "$peer_pid")
	ts_t=$(proc_time "$ts_pid")
	kill "$peer_pid" "$ts_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
	wait "$ts_pid" 2>/dev/null
	got=$(awk '/^messages received:/ { print $3 }' /tmp/uc.out)
	sent=$(awk '/^messages sent:/ { print $3 }' /tmp/uc.out)
	awk -v mode="$mode" -v sent="${sent:-0}" -v got="${got:-0}" -v b="$((b1 - b0))" \
		-v load="$((uc_t + peer_t))" -v t0="$t0" -v t1="$t1" -v ts="$ts_t" -v n="$clients" 'BEGIN {
		wall = t1 - t0; cpu = b / 100; lcpu = load / 100; rel = 2 * got
		if (cpu < 0.01) cpu = 0.01
		srv = cpu - lcpu; if (srv < 0.01) srv = 0.01
		printf "E2E kernel-offload=%s: %d clients, %d sent, %d echoed in %.1f s = %.0f relayed pps; guest CPU %.2f s busy = %.0f relayed packets per CPU-second; less the load programs user time (%.2f s) %.0f; turnserver process %.2f s\n",
			mode, n, sent, got, wall, rel / wall, cpu, rel / cpu, lcpu, rel / srv, ts / 100
		printf "E2EPER %s %.0f %.0f\n", mode, rel / cpu, rel / srv
	}' | tee -a /tmp/e2e.out
}

echo "guest: $(nproc) vCPUs, $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), kernel $(uname -r), $clients clients x $((1000 / interval_ms)) ChannelData/s of 160 bytes, $secs s per run"
run on
run off
awk '$1 == "E2EPER" { g[$2] = $3; s[$2] = $4 }
	END { if (g["off"] > 0 && s["off"] > 0)
		printf "E2E-RATIO turnserver on/off relayed packets per CPU-second: whole guest %.2f, less the load programs user time %.2f\n", g["on"] / g["off"], s["on"] / s["off"] }' /tmp/e2e.out
rmmod turnrelay
