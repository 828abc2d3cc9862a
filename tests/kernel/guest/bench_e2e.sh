# shellcheck shell=sh
# bench_e2e.sh - what the end-to-end benchmarks share (sourced by
# bench_turn.sh and bench_anchor.sh in the guest): the module loaded, the
# server at 10.0.0.1 on veth0, namespace "out" with 10.0.0.2 and 10.0.0.3
# on veth1, and the busy time of the whole guest and of one process
# (clock ticks).
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
sleep 1

busy() { awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8 }' /proc/stat; }
proc_time() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
