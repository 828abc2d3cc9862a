#!/bin/sh
# The turnrelay benchmark, run inside a 2-vCPU qemu guest by
# scripts/bench-kernel.
#
# The root netns is the server (10.0.0.1 on veth0); netns "out" holds the
# load (10.0.0.3 on veth1). The other side of every entry (10.0.1.2) is
# routed out of a dummy interface, which drops what it is given: forwarded
# datagrams cost the server their whole transmit, and nothing after it.
# CPU 1 does all the server's work and nothing else: RPS steers veth0's
# receive there, so the server's IP receive, the module's hook and transmit
# (softirq), or the socket queueing plus the userspace forwarder (pinned
# there, recvmmsg/sendmmsg), all run on CPU 1. CPU 0 holds the load: the
# kernel's pktgen sending the same UDP datagrams on veth1 as fast as it
# can.
#
# Forwarded datagrams (the module's HELLO counter, the forwarder's own
# count) over CPU 1's busy time (user+nice+system+irq+softirq in
# /proc/stat) = packets per CPU-second; CPU 1's idle time is printed too.
# pktgen keeps the load cheap, so that CPU 1 is (nearly) saturated by
# either forwarder: a slow load would leave it idle between datagrams, and
# each would pay a wake-up (an emulated IPI under TCG, dearer than the
# forwarding itself) that the batched userspace forwarder pays once per
# batch: unfair to the module.
#
# pktgen cannot write a ChannelData header, so ChannelData entries are
# measured in the peer -> client direction (the module prepends the
# header; the forwarder does the same with 4 bytes of headroom). pktgen's
# payload starts with its own header (magic 0xbe9be955): plain data, not
# STUN or DTLS (and RTP version 2, not RTCP, to the anchor).
#
# End to end, the same measurement with turnserver itself as the server,
# kernel-offload=on (module) against kernel-offload=off (userspace), both
# pinned to CPU 1:
#  - turn: a real allocation and channel, set up over TURN by
#    bench_turnload from the client 10.0.0.2 (in "out") to the peer
#    10.0.0.3:40001; then the client is routed out of dummy0, and pktgen,
#    as the peer, sends to the relayed address: turnserver (or its entry)
#    prepends ChannelData and sends to the client;
#  - anchor: a call offered and answered with turnutils_ng (ICE=remove),
#    party A 10.0.0.2:41000 and B 10.0.0.3:41002 latched by a second of
#    RTP each way (bench_udp pace); then A is routed out of dummy0 and
#    pktgen, as B, sends to the anchor's port toward B: the anchor (or its
#    entry) sends it to A.
# Prints "BENCH" lines per run and a "RATIO" line per kind.
# shellcheck source=tests/kernel/guest/bench_lib.sh
. /tests/bench_lib.sh
secs=${BENCH_SECONDS:-10}
len=172 # UDP payload: an RTP packet of 20 ms G.711 (12 + 160)

bench_net 10.0.0.3 10.0.0.2
modprobe pktgen
modprobe dummy
ip link add dummy0 type dummy
ip link set dummy0 up
ip route add 10.0.1.0/24 dev dummy0
echo 2 >/sys/class/net/veth0/queues/rx-0/rps_cpus
mac0=$(cat /sys/class/net/veth0/address)
sleep 1

# pg FILE CMD: one pktgen command, in netns out
pg() {
	ip netns exec out sh -c "echo '$2' >/proc/net/pktgen/$1" || echo "pktgen: $1: $2 failed"
}
# pktgen_setup SRC_IP SRC_PORT DST_PORT: datagrams from SRC to 10.0.0.1:DST_PORT
pktgen_setup() {
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device veth1"
	pg veth1 "count 0"
	pg veth1 "clone_skb 0"
	pg veth1 "pkt_size $((len + 14 + 20 + 8))"
	pg veth1 "dst 10.0.0.1"
	pg veth1 "dst_mac $mac0"
	pg veth1 "src_min $1"
	pg veth1 "src_max $1"
	pg veth1 "udp_src_min $2"
	pg veth1 "udp_src_max $2"
	pg veth1 "udp_dst_min $3"
	pg veth1 "udp_dst_max $3"
}

cpu_work() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
cpu_idle() {
	awk -v c="cpu$1" '$1 == c { print $5 + $6 }' /proc/stat
}
module_forwarded() {
	turnutils_relayctl version | awk '/^forwarded:/ { print $2 }'
}
# wait_line FILE TEXT: until a program printed TEXT (5 s at most)
wait_line() {
	i=0
	while [ $i -lt 100 ] && ! grep -q "$2" "$1" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
}

# serve_start KIND MODE: turnserver (kernel-offload=on for MODE module, off
# for userspace) on CPU 1 as fwd_pid, the allocation (KIND turn) or call
# (anchor) set up, the client routed out of dummy0; rport: the port pktgen
# sends to. serve_stop undoes it.
serve_start() {
	offload=on
	[ "$2" = module ] || offload=off
	rm -f /tmp/ts.log /tmp/load.out
	bench_ts --anchor-ng-listen 10.0.0.1:2223 --anchor-ng-allow 10.0.0.1 --kernel-offload "$offload"
	fwd_pid=$ts_pid
	wait_line /tmp/ts.log 'ready:'
	if [ "$1" = turn ]; then
		ip netns exec out bench_turnload 10.0.0.1:3478 10.0.0.2 10.0.0.3:40001 alice secret 1 \
			3600 >/tmp/load.out 2>&1 &
		load_pid=$!
		wait_line /tmp/load.out 'set up'
		rport=$(sed -n 's/^relayed 10.0.0.1:\([0-9]*\)$/\1/p' /tmp/load.out)
	else
		sdp 10.0.0.2 41000 >/tmp/a.sdp
		sdp 10.0.0.3 41002 >/tmp/b.sdp
		ng -o /tmp/to_b.sdp offer --call-id b1 --from-tag A --sdp-file /tmp/a.sdp --ice remove >/dev/null &&
			ng -o /tmp/to_a.sdp answer --call-id b1 --from-tag A --to-tag B --sdp-file /tmp/b.sdp \
				--ice remove >/dev/null
		pa=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' /tmp/to_a.sdp | tr -d '\r')
		rport=$(sed -n 's/^m=audio \([0-9]*\) .*/\1/p' /tmp/to_b.sdp | tr -d '\r')
		ip netns exec out bench_udp pace 10.0.0.2:41000 "10.0.0.1:$pa" 1 20 "$len" >/dev/null 2>&1 &
		load_pid=$!
		ip netns exec out bench_udp pace 10.0.0.3:41002 "10.0.0.1:$rport" 1 20 "$len" >/dev/null 2>&1
		wait "$load_pid"
		load_pid=
		# the anchor's tick installs the entry of a stream confirmed on a worker
		sleep 1
	fi
	ip route add 10.0.0.2/32 dev dummy0
	[ -n "$rport" ] || echo "bench: $1 set-up failed: $(cat /tmp/load.out /tmp/ts.out 2>/dev/null | tail -n 3)"
}
serve_stop() {
	kill "$fwd_pid" $load_pid 2>/dev/null
	wait "$fwd_pid" $load_pid 2>/dev/null
	ip route del 10.0.0.2/32 dev dummy0
}

# run KIND MODE SECONDS [RATE]: KIND chan (peer -> client of a TURN
# channel), udp (an anchored leg), turn or anchor (the same through
# turnserver: serve_start), MODE module or userspace; pktgen sends RATE
# datagrams a second, or as many as it can
run() {
	kind=$1 mode=$2 secs=$3 rate=${4:-}
	if [ "$kind" = turn ] || [ "$kind" = anchor ]; then
		serve_start "$kind" "$mode"
		pktgen_setup 10.0.0.3 "$([ "$kind" = turn ] && echo 40001 || echo 41002)" "${rport:-9}"
	elif [ "$kind" = chan ]; then
		# the peer 10.0.0.3:40001 sends to the relay address; the client is 10.0.1.2:40000
		lsn=10.0.0.1:3478 rly=10.0.0.1:50000 peer=10.0.0.3:40001 dst=10.0.1.2:40000
		pktgen_setup 10.0.0.3 40001 50000
	else
		# side B 10.0.0.3:41002 sends to port 52002; side A is 10.0.1.2:41000
		lsn=10.0.0.1:52000 rly=10.0.0.1:52002 peer=10.0.0.3:41002 dst=10.0.1.2:41000
		pktgen_setup 10.0.0.3 41002 52002
	fi
	if [ -n "$rate" ]; then pg veth1 "ratep $rate"; else pg veth1 "delay 0"; fi
	rm -f /tmp/fwd.out /tmp/add.out
	if [ "$kind" = turn ] || [ "$kind" = anchor ]; then
		: # turnserver is the forwarder (serve_start)
	elif [ "$mode" = module ]; then
		if [ "$kind" = chan ]; then
			taskset 2 turnutils_relayctl add channel 1 "$lsn" "$dst" 0x4001 "$rly" "$peer" >/tmp/add.out 2>&1 &
		else
			taskset 2 turnutils_relayctl add udp 1 "$lsn" "$dst" "$rly" "$peer" >/tmp/add.out 2>&1 &
		fi
		fwd_pid=$!
		wait_line /tmp/add.out 'added entry'
	else
		if [ "$kind" = chan ]; then
			taskset 2 bench_udp fwd peer "$rly" "$lsn" "$peer" "$dst" $((secs + 5)) 0x4001 >/tmp/fwd.out 2>&1 &
		else
			taskset 2 bench_udp fwd udp "$rly" "$lsn" "$peer" "$dst" $((secs + 5)) >/tmp/fwd.out 2>&1 &
		fi
		fwd_pid=$!
		wait_line /tmp/fwd.out ready
	fi
	m0=$(module_forwarded)
	d0=$(cat /sys/class/net/dummy0/statistics/tx_packets)
	b0=$(cat /sys/class/net/dummy0/statistics/tx_bytes)
	w0=$(cpu_work 1)
	i0=$(cpu_idle 1)
	f0=$(awk '{ print $14 + $15 }' /proc/$fwd_pid/stat)
	t0=$(awk '{ print $1 }' /proc/uptime)
	ip netns exec out sh -c 'echo start >/proc/net/pktgen/pgctrl' &
	pg_pid=$!
	sleep "$secs"
	ip netns exec out sh -c 'echo stop >/proc/net/pktgen/pgctrl'
	wait "$pg_pid"
	w1=$(cpu_work 1)
	i1=$(cpu_idle 1)
	f1=$(awk '{ print $14 + $15 }' /proc/$fwd_pid/stat)
	t1=$(awk '{ print $1 }' /proc/uptime)
	sleep 0.5
	m1=$(module_forwarded)
	sent=$(ip netns exec out awk '/pkts-sofar/ { print $2 }' /proc/net/pktgen/veth1)
	bytes=$(cat /sys/class/net/dummy0/statistics/tx_bytes)
	pkts=$(cat /sys/class/net/dummy0/statistics/tx_packets)
	if [ "$kind" = turn ] || [ "$kind" = anchor ]; then
		serve_stop
		# whoever forwarded: the datagrams that left through dummy0. Not
		# tx_packets: userspace sends a burst to one destination as one
		# UDP GSO skb, which dummy0 counts once with one 42-byte
		# Ethernet+IPv4+UDP header for all its equal-size payloads
		# (ChannelData 4 + 172 toward the TURN client, 172 for the call).
		payload=$([ "$kind" = turn ] && echo 176 || echo 172)
		fwd=$(((bytes - b0 - (pkts - d0) * 42) / payload))
	elif [ "$mode" = module ]; then
		kill "$fwd_pid" 2>/dev/null
		wait "$fwd_pid" 2>/dev/null
		fwd=$((m1 - m0))
	else
		kill "$fwd_pid" 2>/dev/null
		wait "$fwd_pid" 2>/dev/null
		fwd=$(awk '/^forwarded/ { print $2 }' /tmp/fwd.out)
	fi
	awk -v kind="$kind" -v mode="$mode" -v sent="${sent:-0}" -v fwd="${fwd:-0}" \
		-v got="$((pkts - d0))" -v bytes="$((bytes - b0))" -v w="$((w1 - w0))" -v i="$((i1 - i0))" \
		-v f="$((f1 - f0))" -v t0="$t0" -v t1="$t1" -v rate="$rate" 'BEGIN {
		wall = t1 - t0; cpu = w / 100; idle = i / 100; own = f / 100
		if (cpu < 0.01) cpu = 0.01
		printf "BENCH %s %s%s: offered %d, forwarded %d (%d out of dummy0, %.1f bytes each with Ethernet header) in %.1f s = %.0f pps; CPU1 %.2f s busy, %.2f s idle = %.2f us per packet, %.0f packets per CPU-second",
			kind, mode, rate ? " at " rate " pps" : "", sent, fwd, got, got ? bytes / got : 0, wall, fwd / wall, cpu, idle,
			fwd ? 1e6 * cpu / fwd : 0, fwd / cpu
		who = "forwarder"
		if (kind == "turn" || kind == "anchor")
			who = "turnserver"
		if (mode == "userspace" || who == "turnserver")
			printf " (%s utime+stime %.2f s)", who, own
		printf "\n"
		printf "PERCPUS %s %s %.0f %.4f\n", kind, mode, fwd / cpu, sent ? 1 - fwd / sent : 1
	}'
}

echo "guest: $(nproc) vCPUs (CPU 1 forwards, CPU 0 runs pktgen), $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), kernel $(uname -r), UDP payload $len bytes, $secs s per run"
# Each forwarder at its loss-free capacity (RFC 2544 throughput: the highest
# offered rate with under 1% loss): the module keeps up with pktgen flat
# out; the userspace forwarder does not (the receive softirq then takes its
# CPU and most datagrams die in the socket queue: printed for information),
# so its loss-free rate is searched for with short runs (a lossy one is
# tried twice), then measured for the full time.
kinds=${BENCH_KINDS:-chan udp}
for kind in $kinds; do
	run "$kind" module "$secs" | tee -a /tmp/bench.out
	run "$kind" userspace "$secs" | sed 's/^BENCH/OVERLOAD/; s/^PERCPUS/#/'
	lo=0 hi=100000
	while [ $((hi - lo)) -gt 2000 ]; do
		mid=$(((lo + hi) / 2))
		# a lossy try is repeated once: the host's other load can stall a vCPU
		for try in 1 2; do
			loss=$(run "$kind" userspace 3 "$mid" | awk '$1 == "PERCPUS" { print ($5 < 0.01) ? "ok" : "lossy" }')
			[ "$loss" = ok ] && break
		done
		echo "search $kind userspace at $mid pps: $loss"
		if [ "$loss" = ok ]; then lo=$mid; else hi=$mid; fi
	done
	run "$kind" userspace "$secs" "$lo" | tee -a /tmp/bench.out
done
for kind in $kinds; do
	awk -v k="$kind" '$1 == "PERCPUS" && $2 == k { v[$3] = $4 }
		END { if (v["userspace"] > 0) printf "RATIO %s module/userspace packets per CPU-second: %.2f\n", k, v["module"] / v["userspace"] }' /tmp/bench.out
done
rmmod pktgen
rmmod turnrelay
