# shellcheck shell=sh
# bench_e2e.sh - what the end-to-end benchmarks share (sourced by
# bench_turn.sh and bench_anchor.sh in the guest): the module loaded, the
# server at 10.0.0.1 on veth0, namespace "out" with 10.0.0.2 and 10.0.0.3
# on veth1 (bench_lib.sh), the busy time of the whole guest, of one CPU
# and of one process (clock ticks), turnserver and the echo peer started
# and stopped, and the run on, run off and ratio of both scripts.
#
# The two vCPUs are split, as in bench.sh: CPU 1 is the server's and CPU 0
# the load's. RPS steers veth0's receive to CPU 1 and veth1's (in "out") to
# CPU 0, turnserver is started pinned to CPU 1 (taskset 2) and everything
# else, this script and the load programs, stays on CPU 0. So CPU 1 does
# the whole forwarding path and nothing else: the server's IP receive, then
# either the module's hook and transmit (softirq) or the socket queueing,
# turnserver's threads and their sends, up to veth0's transmit; CPU 0 does
# the load's sends and receives (their softirq included, on veth1). CPU 1's
# busy time per relayed packet is the forwarding cost, the same quantity
# bench.sh measures with pktgen, here under TURN and ng signalling.
#
# CPU time in /proc/stat is sampled at each tick, and an idle CPU has no
# tick (NO_HZ): a datagram forwarded in softirq by an idle CPU woken for it
# would mostly go unseen (TCG's clock gives no precise irq time). So CPU 1
# never idles: "bench_udp spin 1" runs there at the lowest priority
# (SCHED_IDLE, nice 19), taking only what the forwarding leaves, and its
# time shows as "nice", which busy times leave out. Every tick of CPU 1
# then lands on the forwarding (user, system, irq, softirq) or the spinner.
# shellcheck source=tests/kernel/guest/bench_lib.sh
. /tests/bench_lib.sh

bench_net 10.0.0.2 10.0.0.3
echo 2 >/sys/class/net/veth0/queues/rx-0/rps_cpus
/usr/bin/ip netns exec out sh -c 'echo 1 >/sys/class/net/veth1/queues/rx-0/rps_cpus'
taskset -p 1 $$ >/dev/null
bench_udp spin 1 &
spin_pid=$!
sleep 1

# busy: user+system+irq+softirq (nice is the spinner's)
busy() { awk '$1 == "cpu" { print $2 + $4 + $7 + $8 }' /proc/stat; }
cpu_busy() { awk -v c="cpu$1" '$1 == c { print $2 + $4 + $7 + $8 }' /proc/stat; }
vcpus() { grep -c '^processor' /proc/cpuinfo; }
# e2e_end: the spinner stopped, the module unloaded
e2e_end() {
	kill "$spin_pid"
	wait "$spin_pid" 2>/dev/null
	rmmod turnrelay
}
proc_time() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# sample NAME: the busy counters now, as NAME_b (guest), NAME_c (CPU 1), NAME_l (CPU 0), NAME_t
sample() {
	eval "$1_b=$(busy) $1_c=$(cpu_busy 1) $1_l=$(cpu_busy 0) $1_t=$(awk '{ print $1 }' /proc/uptime)"
}

# e2e_start ARG...: turnserver with ARG... (bench_ts) as ts_pid, up to 10 s
# for its "ready:", then the echo peer 10.0.0.3:3480 in "out" as peer_pid
e2e_start() {
	rm -f /tmp/ts.log
	bench_ts "$@"
	i=0
	while [ $i -lt 100 ] && ! grep -q 'ready:' /tmp/ts.log 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
	# /usr/bin/ip itself in the background (not the function): $! is the program
	/usr/bin/ip netns exec out turnutils_peer -L 10.0.0.3 -p 3480 >/dev/null 2>&1 &
	peer_pid=$!
}

# e2e_stop: the echo peer and turnserver stopped
e2e_stop() {
	kill "$peer_pid" "$ts_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
	wait "$ts_pid" 2>/dev/null
}

# e2e_main TAG FILE LOAD WHAT: the guest's line (LOAD: the load), run on,
# run off (each appending a "TAGPER MODE FWD GUEST" line to FILE), then the
# TAG-RATIO line of WHAT on/off from FILE; e2e_end
e2e_main() {
	# shellcheck disable=SC2154 # secs and run: the sourcing script's
	echo "guest: $(vcpus) vCPUs (CPU 1 forwards, CPU 0 runs the load), $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), kernel $(uname -r), $3, $secs s per run"
	run on
	run off
	awk -v tag="$1" -v what="$4" '$1 == tag "PER" { f[$2] = $3; g[$2] = $4 }
		END { if (f["off"] > 0 && g["off"] > 0)
			printf "%s-RATIO %s on/off relayed packets per CPU-second: forwarding CPU %.2f, whole guest %.2f\n", tag, what, f["on"] / f["off"], g["on"] / g["off"] }' "$2"
	e2e_end
}
