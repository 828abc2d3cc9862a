#!/bin/sh
# test_coturn_clients.sh BUILD_DIR: Debian's coturn clients against OUR
# turnserver (BUILD_DIR/bin) on loopback. coturn's turnutils_stunclient gets
# a 127.0.0.1 (and [::1]) reflexive address; coturn's turnutils_uclient, 10
# clients x 50 messages of 160 bytes, relays through our server to coturn's
# turnutils_peer with UDP channels, UDP Send indications, TCP channels and TCP
# Send, over IPv4 and (when ::1 is up) IPv6: exit 0, "tot_recv_msgs=500",
# "Total lost packets 0", every relayed address in our relay range; a wrong
# password makes uclient fail. Then our server still answers and stops with
# status 0 on SIGTERM. Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

# check NAME CONDITION: on failure shows the end of $tmp/out
check() { tl_check "$1" "$2" "$tmp/out"; }

for t in turnutils_stunclient turnutils_uclient turnutils_peer; do
	if ! [ -x "/usr/bin/$t" ]; then
		echo "FAIL: coturn_installed (/usr/bin/$t missing: apt-get install coturn)"
		exit 1
	fi
done

# Port plan: base our server; base+20 (and +21) coturn's peer on 127.0.0.1,
# base+30 (and +31) coturn's peer on ::1; base+100..base+399 relay ports.
tl_port_plan 400
peer4=$((base + 20))
peer6=$((base + 30))
v6=
if tl_has_ipv6_loopback; then v6="--listening-ip ::1 --relay-ip ::1"; fi

# coturn 4.6's uclient picks channel numbers up to 0x7FFF (RFC 5766)
# shellcheck disable=SC2086
tl_start_turnserver "$srv" "$minp" "$maxp" -r test.realm --rfc5766-channel-numbers $v6
/usr/bin/turnutils_peer -p "$peer4" -L 127.0.0.1 >"$tmp/peer4.log" 2>&1 &
pids="$pids $!"
if tl_has_ipv6_loopback; then
	/usr/bin/turnutils_peer -p "$peer6" -L ::1 >"$tmp/peer6.log" 2>&1 &
	pids="$pids $!"
fi
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
check server_ready 'grep -q "ready:" "$tmp/server.log" 2>/dev/null'

# --- coturn's stunclient
tl_run /usr/bin/turnutils_stunclient -p "$srv" 127.0.0.1
check coturn_stunclient_ipv4_reflexive_address \
	'[ $rc -eq 0 ] && grep -qE "UDP reflexive addr: 127\.0\.0\.1:[1-9][0-9]*$" "$tmp/out"'
if tl_has_ipv6_loopback; then
	tl_run /usr/bin/turnutils_stunclient -p "$srv" ::1
	check coturn_stunclient_ipv6_reflexive_address \
		'[ $rc -eq 0 ] && grep -qE "UDP reflexive addr: \[?::1\]?:[1-9][0-9]*$" "$tmp/out"'
fi

# relays_in_range IP: every "Received relay addr" line of uclient -v names
# IP and a port in [minp, maxp], and there is at least one per client
relays_in_range() {
	n=0
	for a in $(sed -n 's/.*Received relay addr: //p' "$tmp/out"); do
		h=${a%:*}
		p=${a##*:}
		[ "$h" = "$1" ] || [ "[$h]" = "$1" ] || return 1
		[ "$p" -ge "$minp" ] && [ "$p" -le "$maxp" ] || return 1
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}

# --- coturn's uclient, 10 clients x 50 messages x 160 bytes
auth="-u alice -w secret"
fams=4
if tl_has_ipv6_loopback; then fams="4 6"; fi
for fam in $fams; do
	if [ "$fam" = 4 ]; then ip=127.0.0.1; port=$peer4; sfx=; else ip=::1; port=$peer6; sfx=_ipv6; fi
	for mode in "udp_channel:" "udp_send:-s" "tcp_channel:-t" "tcp_send:-t -s"; do
		m=${mode%%:*}
		flags=${mode#*:}
		# shellcheck disable=SC2086
		tl_run /usr/bin/turnutils_uclient -v $flags $auth -m 10 -n 50 -l 160 \
			-p "$srv" -e "$ip" -r "$port" "$ip"
		check "coturn_uclient_${m}${sfx}_500_received_0_lost" \
			'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=500\$" "$tmp/out" &&
			 grep -q "Total lost packets 0 (" "$tmp/out"'
		check "coturn_uclient_${m}${sfx}_relay_in_range" 'relays_in_range "$ip"'
	done
done

# --- wrong password
tl_run /usr/bin/turnutils_uclient -u alice -w wrong -m 1 -n 5 -p "$srv" \
	-e 127.0.0.1 -r "$peer4" 127.0.0.1
check coturn_uclient_wrong_password_fails \
	'[ $rc -ne 0 ] && grep -qi "error" "$tmp/out" && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'

# --- the server survived all that and stops cleanly
tl_run /usr/bin/turnutils_stunclient -p "$srv" 127.0.0.1
check server_still_answers '[ $rc -eq 0 ]'
tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
