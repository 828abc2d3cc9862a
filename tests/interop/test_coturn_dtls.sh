#!/bin/sh
# test_coturn_dtls.sh BUILD_DIR: Debian's coturn turnutils_uclient -S over
# UDP (DTLS 1.2) against OUR turnserver on loopback, with a test CA's
# certificate (scripts/test-cert). 10 clients x 50 messages of 160 bytes
# relayed to coturn's turnutils_peer with channels and with Send
# indications, on tls-listening-port and on the plain listening port (the
# first byte tells DTLS from STUN, RFC 7983), over IPv4 and (when ::1 is
# up, tls-listening-port only) IPv6: exit 0, "tot_recv_msgs=500", "Total lost packets 0", the
# session DTLS 1.2; uclient -E with the test CA verifies
# the server's certificate; a wrong password fails; plain UDP clients work
# beside DTLS ones. Then the server stops with status 0 on SIGTERM.
# One "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

tl_require_coturn turnutils_uclient turnutils_peer

# base: plain port, base+1: tls-listening-port; peers base+20 (v4), base+30
# (v6); relay ports base+100..base+399
tl_port_plan 400
tls=$((base + 1)) peer4=$((base + 20)) peer6=$((base + 30))
"$(dirname "$0")/../../scripts/test-cert" "$tmp" >"$tmp/out" 2>&1
tl_setup test_cert_made '[ -s "$tmp/server.pem" ]' "$tmp/out"
v6= fams=4 peers="$peer4:127.0.0.1"
if tl_has_ipv6_loopback; then
	v6="--listening-ip ::1 --relay-ip ::1" fams="4 6" peers="$peers $peer6:::1"
fi
# shellcheck disable=SC2086
tl_start_turnserver "$srv" "$minp" "$maxp" -r test.realm --rfc5766-channel-numbers \
	--tls-listening-port "$tls" --cert "$tmp/server.pem" --pkey "$tmp/server.key" $v6
for pp in $peers; do
	/usr/bin/turnutils_peer -p "${pp%%:*}" -L "${pp#*:}" >"$tmp/peer_${pp%%:*}.log" 2>&1 &
	pids="$pids $!"
done
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
tl_setup server_ready 'grep -q "ready:" "$tmp/server.log"' "$tmp/out"

auth="-u alice -w secret"
for fam in $fams; do
	if [ "$fam" = 4 ]; then ip=127.0.0.1 port=$peer4 sfx=; else ip=::1 port=$peer6 sfx=_ipv6; fi
	ports="tls_port:$tls plain_port:$srv"
	[ "$fam" = 6 ] && ports="tls_port:$tls"
	for p in $ports; do
		pn=${p%%:*}
		sp=${p#*:}
		for mode in "channel:" "send:-s"; do
			m=${mode%%:*}
			flags=${mode#*:}
			# shellcheck disable=SC2086
			tl_run /usr/bin/turnutils_uclient -S -v $flags $auth -m 10 -n 50 -l 160 \
				-p "$sp" -e "$ip" -r "$port" "$ip"
			check "coturn_uclient_dtls_${m}_${pn}${sfx}_500_received_0_lost" \
				'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=500\$" "$tmp/out" &&
				 grep -q "Total lost packets 0 (" "$tmp/out" &&
				 grep -q "method=DTLSv1.2" "$tmp/out"'
		done
	done
done

# the certificate verifies against the test CA
tl_run /usr/bin/turnutils_uclient -S -E "$tmp/ca.pem" $auth -m 1 -n 10 -l 160 -c \
	-p "$tls" -e 127.0.0.1 -r "$peer4" 127.0.0.1
check coturn_uclient_dtls_verifies_certificate_with_test_ca \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=10\$" "$tmp/out"'

# plain UDP beside DTLS on the same port
tl_run /usr/bin/turnutils_uclient $auth -c -m 5 -n 20 -l 160 -p "$srv" -e 127.0.0.1 -r "$peer4" 127.0.0.1
check coturn_uclient_plain_udp_beside_dtls '[ $rc -eq 0 ] && grep -q "tot_recv_msgs=100\$" "$tmp/out"'

tl_run /usr/bin/turnutils_uclient -S -u alice -w wrong -m 1 -n 5 -c -p "$tls" \
	-e 127.0.0.1 -r "$peer4" 127.0.0.1
check coturn_uclient_dtls_wrong_password_fails \
	'[ $rc -ne 0 ] && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'

tl_server_output
check server_logged_dtls_allocations 'grep -q "allocation for .alice. from DTLS" "$tmp/server.log"'
tl_check_turnserver_stops server_exits_0_on_sigterm
exit $failed
