# shellcheck shell=sh disable=SC2034
# bench_lib.sh - what the guest's benchmarks share (sourced by bench.sh and
# bench_e2e.sh): iproute2's ip, the ng client and an SDP offer, the
# topology (the module loaded, the server 10.0.0.1 on veth0, netns "out"
# on veth1) and turnserver pinned to CPU 1.
export PATH=/usr/bin:/bin:/sbin
# iproute2's ip: busybox's sh runs its own applets before PATH
ip() { /usr/bin/ip "$@"; }
ng() { turnutils_ng -s 10.0.0.1:2223 "$@"; }
# sdp ADDR PORT: an audio offer of ADDR:PORT, rtcp-mux
sdp() { printf 'v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=rtcp-mux\r\n' "$1" "$1" "$2"; }

# bench_net ADDR...: the module loaded (else exit 1), veth0 10.0.0.1/24 in
# the root netns, its peer veth1 in netns "out" with ADDR.../24 (the first
# is veth1's primary address), both up
bench_net() {
	dmesg -n 3
	insmod /lib/modules/turnrelay.ko || exit 1
	modprobe veth
	ip netns add out
	ip link add veth0 type veth peer name veth1 netns out
	ip addr add 10.0.0.1/24 dev veth0
	ip link set veth0 up
	ip -n out link set lo up
	for a in "$@"; do
		ip -n out addr add "$a/24" dev veth1
	done
	ip -n out link set veth1 up
}

# bench_ts ARG...: turnserver on CPU 1 (taskset 2) as ts_pid, on
# 10.0.0.1:3478, relay ports 50000-50999, peers in 10.0.0.0/24 allowed,
# one relay thread, no TCP, log in /tmp/ts.log, output in /tmp/ts.out
bench_ts() {
	taskset 2 turnserver -n --listening-ip 10.0.0.1 --relay-ip 10.0.0.1 --listening-port 3478 \
		--min-port 50000 --max-port 50999 -u alice:secret --userdb /tmp/turn.db \
		--allowed-peer-ip 10.0.0.0-10.0.0.255 --relay-threads 1 --no-tcp \
		--log-file /tmp/ts.log "$@" >/tmp/ts.out 2>&1 &
	ts_pid=$!
}
