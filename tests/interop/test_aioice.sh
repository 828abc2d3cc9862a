#!/bin/sh
# test_aioice.sh BUILD_DIR: aioice (Debian's python3-aioice, a third,
# independent TURN client) allocates through our turnserver (BUILD_DIR/bin)
# on loopback and relays datagrams to an echo peer, over UDP and TCP, and
# from an IPv6 client (which gets an IPv4 relay: RFC 8656 default family)
# when ::1 is up. The checks themselves are in aioice_relay.py: relayed
# address in our relay range, byte-identical echoes, the peer sees the relayed
# address, Refresh LIFETIME=0, 401 on a wrong password. Then: the server still
# answers, and stops with status 0 on SIGTERM (no sanitizer abort).
# Prints one "PASS: name" or "FAIL: name" line per check.
build=${1:?usage: $0 BUILD_DIR}
bin=$build/bin
py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)
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
		sed 's/^/  | /' "$tmp/out" | tail -n 20
		failed=1
	fi
}

if ! [ -x "$py" ] || ! "$py" -c 'import aioice.turn' 2>/dev/null; then
	echo "FAIL: aioice_installed (apt-get install python3-aioice)"
	exit 1
fi

has_v6() { grep -q "^0\{31\}1 .* lo$" /proc/net/if_inet6 2>/dev/null; }

# free_block N: a base port B with B..B+N-1 unused, below the ephemeral range
free_block() {
	low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	low=${low:-32768}
	used=$(ss -Htaun 2>/dev/null | awk '{ print $5 }' | sed 's/.*://' | sort -u)
	for _ in $(seq 20); do
		b=$(( $(od -An -N2 -tu2 /dev/urandom) % (low - 10000 - $1) + 10000 ))
		ok=1
		i=0
		while [ $i -lt "$1" ]; do
			if echo "$used" | grep -qx "$((b + i))"; then ok=0; break; fi
			i=$((i + 1))
		done
		[ $ok = 1 ] && { echo "$b"; return 0; }
	done
	return 1
}

# base: server; base+100..base+199: relay ports. The echo peer is in-process
# in aioice_relay.py on an ephemeral port.
base=$(free_block 200) || { echo "FAIL: no free port block"; exit 1; }
srv=$base
minp=$((base + 100))
maxp=$((base + 199))
v6=
if has_v6; then v6="--listening-ip ::1 --relay-ip ::1"; fi

# shellcheck disable=SC2086
"$bin/turnserver" -n --listening-ip 127.0.0.1 $v6 --relay-ip 127.0.0.1 \
	--listening-port "$srv" --min-port "$minp" --max-port "$maxp" \
	-r test.realm -u alice:secret --userdb "$tmp/turn.db" \
	--allow-loopback-peers --relay-threads 2 \
	--log-file "$tmp/server.log" --pidfile "$tmp/server.pid" \
	>"$tmp/server.out" 2>&1 &
srv_pid=$!
pids="$pids $srv_pid"
for _ in $(seq 100); do
	grep -q "ready:" "$tmp/server.log" 2>/dev/null && break
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
done
cp "$tmp/server.out" "$tmp/out"; cat "$tmp/server.log" >>"$tmp/out" 2>/dev/null
check server_ready 'grep -q "ready:" "$tmp/server.log" 2>/dev/null'

# aio ARGS...: runs aioice_relay.py, its PASS/FAIL lines become ours
aio() {
	timeout 240 "$py" "$here/aioice_relay.py" --server "$@" --user alice \
		--password secret --min-port "$minp" --max-port "$maxp" \
		--timeout 10 >"$tmp/out" 2>&1
	rc=$?
	grep -E '^(PASS|FAIL): |^(peer|relayed address)' "$tmp/out"
	if grep -q '^FAIL: ' "$tmp/out"; then
		failed=1
		grep -vE '^(PASS|FAIL): |^(peer|relayed address)' "$tmp/out" | sed 's/^/  | /' | tail -n 20
	fi
}

aio "127.0.0.1:$srv" --transport udp
check aioice_udp_script_exit_0 '[ $rc -eq 0 ]'
aio "127.0.0.1:$srv" --transport tcp
check aioice_tcp_script_exit_0 '[ $rc -eq 0 ]'
if has_v6; then
	aio "[::1]:$srv" --transport udp --label aioice_udp6_client_ipv4_relay
	check aioice_udp6_script_exit_0 '[ $rc -eq 0 ]'
	aio "[::1]:$srv" --transport tcp --label aioice_tcp6_client_ipv4_relay
	check aioice_tcp6_script_exit_0 '[ $rc -eq 0 ]'
else
	echo "no ::1 on lo: skipping the IPv6 client checks"
fi

# the server survived all that and stops cleanly
timeout 10 "$bin/turnutils_stunclient" -p "$srv" 127.0.0.1 >"$tmp/out" 2>&1
rc=$?
check server_still_answers '[ $rc -eq 0 ]'
kill "$srv_pid" 2>/dev/null
for _ in $(seq 100); do
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
done
if kill -0 "$srv_pid" 2>/dev/null; then
	kill -9 "$srv_pid" 2>/dev/null
fi
wait "$srv_pid"
rc=$?
pids=$(echo "$pids" | sed "s/ $srv_pid\$//; s/ $srv_pid / /")
cp "$tmp/server.out" "$tmp/out"; tail -n 5 "$tmp/server.log" >>"$tmp/out" 2>/dev/null
check server_exits_0_on_sigterm \
	'[ $rc -eq 0 ] && ! grep -qE "AddressSanitizer|runtime error|LeakSanitizer" "$tmp/server.out"'

exit $failed
