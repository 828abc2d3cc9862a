# shellcheck shell=sh
# bench_e2e.sh - what the end-to-end benchmarks share (sourced by
# bench_turn.sh and bench_anchor.sh in the guest): the module loaded, the
# server at 10.0.0.1 on veth0, namespace "out" with 10.0.0.2 and 10.0.0.3
# on veth1, and the busy time of the whole guest, of one CPU and of one
# process (clock ticks).
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
export PATH=/usr/bin:/bin:/sbin
ip() { /usr/bin/ip "$@"; }

dmesg -n 3
insmod /lib/modules/turnrelay.ko || exit 1
modprobe veth
ip netns add out
ip link add veth0 type veth peer name veth1 netns out
ip addr add 10.0.0.1/24 dev veth0
ip link set veth0 up
ip -n out link set lo up
ip -n out addr add 10.0.0.2/24 dev veth1
ip -n out addr add 10.0.0.3/24 dev veth1
ip -n out link set veth1 up
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
