#!/bin/sh
# test_flood.sh BUILD_DIR: a flood of malformed and random datagrams (and
# TCP garbage) against a running turnserver (BUILD_DIR/bin) for a bounded
# time, by flood.py. Valid clients (turnutils_uclient over UDP with channels
# and with Send indications, and over TCP) run during it and must all get
# their allocations and lose at most 5% (a loaded 2-core machine runs the
# server, the flooder and the clients at once); Bindings are answered during
# and right after it; the server's RSS after it is what it was before; the
# server exits 0 on SIGTERM, and under the sanitizers reports nothing.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016,SC2034,SC2317 # check() evals its condition later
build=${1:?usage: $0 BUILD_DIR}
bin=$build/bin
here=$(cd "$(dirname "$0")" && pwd)
flood=$here/flood.py
failed=0
pids=
tmp=$(mktemp -d) || exit 1
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

check() {
	if eval "$2"; then
		echo "PASS: $1"
	else
		echo "FAIL: $1"
		[ -n "$3" ] && [ -f "$3" ] && sed 's/^/  | /' "$3" | tail -n 20
		failed=1
	fi
}

in_use() {
	ss -Htaun 2>/dev/null | awk '{ print $5 }' | sed 's/.*://' | sort -u
}

# free_block N: a random base port B with B..B+N-1 not in use by anything
free_block() {
	used=$(in_use)
	for _ in $(seq 200); do
		b=$(($(od -An -N2 -tu2 /dev/urandom) % 40000 + 20000))
		if echo "$used" | awk -v lo="$b" -v hi=$((b + $1 - 1)) \
			'$1 >= lo && $1 <= hi { found = 1 } END { exit found }'; then
			echo "$b"
			return 0
		fi
	done
	return 1
}

# value KEY FILE: the value of a key=value line of flood.py's output (0 if none)
value() {
	v=$(sed -n "s/^$1=//p" "$2" | tail -n 1)
	echo "${v:-0}"
}

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$spid/status" 2>/dev/null; }

for f in turnserver turnutils_peer turnutils_uclient turnutils_stunclient; do
	[ -x "$bin/$f" ] || { echo "FAIL: $bin/$f missing"; exit 1; }
done
[ -x /usr/bin/python3 ] || { echo "FAIL: /usr/bin/python3 missing"; exit 1; }

# Built with AddressSanitizer? Its quarantine keeps freed memory resident
# (up to 256 MiB by design), so RSS says nothing about leaks there;
# LeakSanitizer's report at exit covers them instead.
asan=0
grep -qa __asan_init "$bin/turnserver" && asan=1

# Ports: base server, +10 peer, +20..+159 relay ports (at most about 25
# allocations exist at a time).
base=$(free_block 160) || { echo "FAIL: no free port block"; exit 1; }
srv=$base
peer=$((base + 10))

"$bin/turnserver" -n --listening-ip 127.0.0.1 --listening-port "$srv" \
	--relay-ip 127.0.0.1 --min-port $((base + 20)) --max-port $((base + 159)) \
	-r flood.realm -u alice:secret --userdb "$tmp/turndb" --allow-loopback-peers \
	--relay-threads 2 --log-file "$tmp/server.log" >"$tmp/server.out" 2>"$tmp/server.err" &
spid=$!
pids="$pids $spid"
"$bin/turnutils_peer" -p "$peer" -L 127.0.0.1 >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 100); do
	grep -q "ready:" "$tmp/server.log" 2>/dev/null && break
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
check server_ready 'grep -q "ready:" "$tmp/server.log"' "$tmp/server.log"
[ $failed = 0 ] || exit 1

auth="-u alice -w secret"
# uclient NAME FLAGS...: a valid load in the background, output in $tmp/NAME.out
uclient() {
	name=$1
	shift
	timeout 60 "$bin/turnutils_uclient" $auth -e 127.0.0.1 -r "$peer" -p "$srv" "$@" \
		127.0.0.1 >"$tmp/$name.out" 2>&1 &
}

# Warm-up, so that the allocator's per-thread arenas and the server's
# buffers have reached their working size before the baseline: valid UDP
# and TCP loads, then a 3-second flood of the same kinds as the real one.
uclient warm_udp -m 5 -n 50
w1=$!
uclient warm_tcp -t -m 3 -n 50
w2=$!
wait $w1
wait $w2
timeout 30 /usr/bin/python3 "$flood" --port "$srv" --user alice --password secret \
	--seconds 3 --max-tcp-conns 400 >"$tmp/warm_flood.out" 2>&1
check warmup_flood_ran '[ $? -eq 0 ]' "$tmp/warm_flood.out"
sleep 1
rss_before=$(rss)

# The flood: 20 s, at most 200000 datagrams at 10000/s, and the TCP part.
timeout 60 /usr/bin/python3 "$flood" --port "$srv" --user alice --password secret \
	--seconds 20 --rate 10000 --max-datagrams 200000 >"$tmp/flood.out" 2>&1 &
fpid=$!
pids="$pids $fpid"
sleep 2
# Valid clients during it: 600 messages 20 ms apart, about 12 s each.
uclient udp_channel -m 4 -n 600 -l 200 --loss-threshold 5
u1=$!
uclient udp_send -s -m 2 -n 600 -l 200 --loss-threshold 5
u2=$!
uclient tcp_channel -t -m 3 -n 600 -l 200 --loss-threshold 5
u3=$!
wait $u1
rc1=$?
wait $u2
rc2=$?
wait $u3
rc3=$?
wait $fpid
frc=$?
check server_alive_after_flood 'kill -0 "$spid" 2>/dev/null' "$tmp/server.err"
for c in "udp_channel $rc1 4" "udp_send $rc2 2" "tcp_channel $rc3 3"; do
	set -- $c
	name=$1 rc=$2 n=$3
	check "valid_${name}_clients_served_during_flood" \
		'[ $rc -eq 0 ] && grep -q "^clients: $n (allocated $n, failed 0, failed later 0)" \
		 "$tmp/$name.out"' "$tmp/$name.out"
	sed -n "s/^lost: /  $name lost: /p" "$tmp/$name.out"
done

fo=$tmp/flood.out
check flood_ran '[ $frc -eq 0 ] && [ "$(value udp_sent "$fo")" -gt 0 ] &&
	[ "$(value udp_send_errors "$fo")" -eq 0 ]' "$fo"
probes=$(value probes "$fo")
check bindings_answered_during_flood \
	'[ "$probes" -gt 0 ] && [ $(($(value probes_answered "$fo") * 100)) -ge $((probes * 90)) ]' "$fo"
check peer_data_relayed_to_flooding_clients '[ "$(value relayed_to_clients "$fo")" -gt 0 ]' "$fo"
check tcp_garbage_connections_closed_by_server \
	'[ "$(value tcp_garbage "$fo")" -gt 0 ] &&
	 [ "$(value tcp_garbage "$fo")" -eq "$(value tcp_garbage_closed "$fo")" ]' "$fo"
check tcp_bindings_answered_after_partial_and_bad_frames \
	'[ "$(value tcp_binding "$fo")" -gt 0 ] &&
	 [ "$(value tcp_binding "$fo")" -eq "$(value tcp_binding_answered "$fo")" ]' "$fo"
check tcp_connection_bursts_served \
	'[ "$(value tcp_burst_conns "$fo")" -gt 0 ] &&
	 [ "$(value tcp_burst_conns "$fo")" -eq "$(value tcp_burst_answered "$fo")" ]' "$fo"
check tcp_allocation_survives_broken_channeldata '[ "$(value tcp_client_alive "$fo")" = 1 ]' "$fo"
check flooding_allocations_deleted '[ "$(value udp_alloc_deleted "$fo")" = 1 ] &&
	[ "$(value tcp_alloc_closed "$fo")" = 1 ]' "$fo"
check binding_answered_after_flood '[ "$(value binding_after "$fo")" = 1 ]' "$fo"
timeout 10 "$bin/turnutils_stunclient" -p "$srv" 127.0.0.1 >"$tmp/stun.out" 2>&1
check stunclient_udp_after_flood '[ $? -eq 0 ]' "$tmp/stun.out"
timeout 10 "$bin/turnutils_stunclient" -t -p "$srv" 127.0.0.1 >"$tmp/stun.out" 2>&1
check stunclient_tcp_after_flood '[ $? -eq 0 ]' "$tmp/stun.out"

# RSS: every allocation of the flood and of the valid clients is gone now.
# Tolerance: 512 KiB or 5%, whichever is larger. glibc keeps freed memory
# in its arenas (heap tops below M_TRIM_THRESHOLD, 128 KiB by default, per
# arena and thread, and fragments) and the kernel counts a socket's pages
# as they are touched, so a few hundred KiB move either way between two
# readings of an idle server; a leak of even 16 bytes per datagram would be
# 3 MiB after 200000 of them, far above this.
sleep 2
rss_after=$(rss)
echo "figures: udp datagrams $(value udp_sent "$fo") + $(value client_sent "$fo") through allocations + $(value peer_sent "$fo") from peers, tcp connections $(value tcp_conns "$fo"), responses $(value responses "$fo") ($(sed -n 's/^codes=//p' "$fo")), RSS before ${rss_before:-?} kB after ${rss_after:-?} kB"
if [ $asan = 1 ]; then
	echo "RSS not compared: AddressSanitizer build (quarantine); LeakSanitizer checks at exit"
else
	tol=$((rss_before * 5 / 100))
	[ "$tol" -lt 512 ] && tol=512
	check rss_after_flood_as_before \
		'[ -n "$rss_before" ] && [ -n "$rss_after" ] && [ "$rss_after" -le $((rss_before + tol)) ]'
fi

# SIGTERM: exit 0 within 5 s.
kill -TERM "$spid"
for _ in $(seq 50); do
	kill -0 "$spid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$spid" 2>/dev/null; then
	kill -KILL "$spid"
	wait "$spid"
	src=timeout
else
	wait "$spid"
	src=$?
fi
check server_exits_0_on_sigterm '[ "$src" = 0 ]' "$tmp/server.err"
check no_sanitizer_report \
	'! grep -qE "AddressSanitizer|LeakSanitizer|runtime error|UndefinedBehaviorSanitizer" "$tmp/server.err"' \
	"$tmp/server.err"
exit $failed
