#!/bin/sh
# clients_vs_coturn.sh BUILD_DIR: our client tools (BUILD_DIR/bin) against
# Debian's coturn on loopback. turnutils_stunclient reports the mapped
# address over UDP, TCP and IPv6; turnutils_uclient relays through coturn's
# turnserver to our turnutils_peer and to coturn's peer (UDP and TCP,
# channels and Send indications, 10 clients x 50 messages, no loss), gets
# an IPv6 relay, and exits 1 on a wrong password and 2 on total loss;
# coturn's uclient gets every echo back from our peer; our peer stops on
# SIGTERM. Without coturn installed only the checks that need no server run.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
coturn=/usr/bin/turnserver

# check NAME CONDITION: on failure shows the end of $tmp/out
check() { tl_check "$1" "$2" "$tmp/out"; }

# Port plan, one free block: base+0,+1 coturn (it also takes +1 for RFC 5780),
# +10 our peer, +20,+21 coturn's peer (which also binds +21), +30.. local
# ports for stunclient, +100..+399 relay ports.
tl_port_plan 400
peer=$((base + 10))
cpeer=$((base + 20))
lport=$((base + 30))
closed=$((base + 40))

# --- checks that need no server
"$bin/turnutils_peer" -p "$peer" >"$tmp/peer.log" 2>&1 &
peer_pid=$!
pids="$pids $peer_pid"
sleep 0.3

tl_run "$bin/turnutils_stunclient" -p "$closed" 127.0.0.1
check stunclient_fails_when_nothing_listens '[ $rc -ne 0 ]'
tl_run "$bin/turnutils_uclient" -p "$srv" 127.0.0.1
check uclient_requires_peer_address '[ $rc -eq 64 ]'

if [ ! -x "$coturn" ]; then
	echo "coturn not installed ($coturn): skipping the interop checks"
else
	v6_listen=
	v6_relay=
	if tl_has_ipv6_loopback; then
		v6_listen=--listening-ip=::1
		v6_relay=--relay-ip=::1
	fi
	"$coturn" -n --no-tls --no-dtls --no-cli --listening-ip=127.0.0.1 $v6_listen \
		--listening-port="$srv" --relay-ip=127.0.0.1 $v6_relay \
		--min-port="$minp" --max-port="$maxp" \
		-a -u alice:secret -r test.realm --allow-loopback-peers \
		--db="$tmp/turndb" --pidfile="$tmp/turnserver.pid" \
		--log-file=stdout --simple-log >"$tmp/coturn.log" 2>&1 &
	pids="$pids $!"
	/usr/bin/turnutils_peer -p "$cpeer" -L 127.0.0.1 >"$tmp/cpeer.log" 2>&1 &
	pids="$pids $!"
	tl_wait_stun "$srv"

	tl_run "$bin/turnutils_stunclient" -p "$srv" -L "127.0.0.1:$lport" 127.0.0.1
	check stunclient_udp_prints_mapped_address \
		'[ $rc -eq 0 ] && grep -qx "UDP reflexive addr: 127.0.0.1:$lport" "$tmp/out"'
	tl_run "$bin/turnutils_stunclient" -t -p "$srv" -L "127.0.0.1:$((lport + 1))" 127.0.0.1
	check stunclient_tcp_prints_mapped_address \
		'[ $rc -eq 0 ] && grep -qx "TCP reflexive addr: 127.0.0.1:$((lport + 1))" "$tmp/out"'
	if tl_has_ipv6_loopback; then
		tl_run "$bin/turnutils_stunclient" -p "$srv" -L "[::1]:$((lport + 2))" ::1
		check stunclient_ipv6_prints_mapped_address \
			'[ $rc -eq 0 ] && grep -qx "UDP reflexive addr: \[::1\]:$((lport + 2))" "$tmp/out"'
	fi

	auth="-u alice -w secret"
	for p in "ours:$peer" "coturns:$cpeer"; do
		name=${p%%:*}
		port=${p#*:}
		for mode in "udp_channel:" "udp_send:-s" "tcp_channel:-t -l 101" \
			    "tcp_send:-t -s -l 101"; do
			m=${mode%%:*}
			flags=${mode#*:}
			tl_run "$bin/turnutils_uclient" $flags $auth -m 10 -n 50 -p "$srv" \
				-e 127.0.0.1 -r "$port" 127.0.0.1
			check "uclient_${m}_via_coturn_to_${name}_peer_no_loss" \
				'[ $rc -eq 0 ] && grep -q "^lost: 0 (0.00%)" "$tmp/out" &&
				 grep -q "^messages received: 500 " "$tmp/out"'
		done
	done

	tl_run "$bin/turnutils_uclient" $auth -m 100 -n 20 -p "$srv" -e 127.0.0.1 -r "$peer" \
		127.0.0.1
	check uclient_100_clients_no_loss '[ $rc -eq 0 ] && grep -q "^lost: 0 (" "$tmp/out"'
	if tl_has_ipv6_loopback; then
		tl_run "$bin/turnutils_uclient" -x $auth -m 5 -n 20 -p "$srv" -e ::1 -r "$peer" ::1
		check uclient_ipv6_relay_no_loss '[ $rc -eq 0 ] && grep -q "^lost: 0 (" "$tmp/out"'
	fi
	tl_run "$bin/turnutils_uclient" -g --even-port $auth -n 10 -p "$srv" -e 127.0.0.1 \
		-r "$peer" 127.0.0.1
	check uclient_even_port_dont_fragment '[ $rc -eq 0 ]'
	tl_run "$bin/turnutils_uclient" -u alice -w wrong -p "$srv" -e 127.0.0.1 -r "$peer" 127.0.0.1
	check uclient_wrong_password_exits_1 '[ $rc -eq 1 ] && grep -q "401" "$tmp/out"'
	tl_run "$bin/turnutils_uclient" $auth --timeout 1 -p "$srv" -e 127.0.0.1 -r "$closed" \
		127.0.0.1
	check uclient_total_loss_exits_2 '[ $rc -eq 2 ] && grep -q "^lost: 5 (100.00%)" "$tmp/out"'

	# coturn's uclient: -c, since our peer does not answer on port+1 (RTCP)
	for mode in "udp_channel:" "udp_send:-s" "tcp_channel:-t" "tcp_send:-t -s"; do
		m=${mode%%:*}
		flags=${mode#*:}
		tl_run /usr/bin/turnutils_uclient -c $flags $auth -m 10 -n 50 -p "$srv" \
			-e 127.0.0.1 -r "$peer" 127.0.0.1
		check "coturn_uclient_${m}_to_our_peer_no_loss" \
			'[ $rc -eq 0 ] && grep -q "Total lost packets 0 (" "$tmp/out"'
	done
fi

kill "$peer_pid"
wait "$peer_pid"
rc=$?
cp "$tmp/peer.log" "$tmp/out"
check peer_exits_0_on_sigterm '[ $rc -eq 0 ] && grep -q "stopped" "$tmp/out"'
tl_forget "$peer_pid"

exit $failed
