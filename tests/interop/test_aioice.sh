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
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
py=/usr/bin/python3
here=$(cd "$(dirname "$0")" && pwd)

# check NAME CONDITION: on failure shows the end of $tmp/out
check() { tl_check "$1" "$2" "$tmp/out"; }

if ! [ -x "$py" ] || ! "$py" -c 'import aioice.turn' 2>/dev/null; then
	echo "FAIL: aioice_installed (apt-get install python3-aioice)"
	exit 1
fi

# base: server; base+100..base+199: relay ports. The echo peer is in-process
# in aioice_relay.py on an ephemeral port.
tl_port_plan 200
v6=
if tl_has_ipv6_loopback; then v6="--listening-ip ::1 --relay-ip ::1"; fi

# shellcheck disable=SC2086
tl_start_turnserver "$srv" "$minp" "$maxp" -r test.realm $v6
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
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
if tl_has_ipv6_loopback; then
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
tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
