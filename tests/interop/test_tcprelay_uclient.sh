#!/bin/sh
# test_tcprelay_uclient.sh BUILD_DIR: RFC 6062 TCP allocations driven by
# turnutils_uclient -T, which pairs its clients: each allocates a TCP relay
# over its control connection, permits its partner and Connects to the
# partner's relayed address; the partner takes the ConnectionAttempt and
# both bind a data connection (ConnectionBind), in the clear or, with -S,
# over TLS for control and data connections alike.
#  - Debian coturn's uclient -T -S with 10 clients against OUR server: all
#    500 messages come back. coturn's client signs each ConnectionBind with
#    its control connection's nonce and keeps whatever nonce the answer
#    brings; our nonces are bound to the source address, so the server
#    takes the control connection's nonce on a ConnectionBind for that
#    allocation's waiting peer connection (src/server/auth.c). Before, the
#    challenge moved the client's nonce, its next Connect got 438, and its
#    438 handler re-sent that Connect to the wrong peer: only 2 clients
#    worked.
#  - OUR uclient -T, 10 clients x 50 messages, in the clear and with -S
#    (the certificate checked against the test CA, ALPN stun.turn on every
#    control and data connection), against our server and against Debian's
#    coturn turnserver: every message comes back, 5 Connects, 5
#    ConnectionAttempts, 10 ConnectionBinds, none of them challenged (both
#    servers take the control connection's nonce); allocations of 2 s are
#    refreshed while 3 s of messages run; a wrong password fails the pair
#    (exit 1); an odd -m and -T with --rtp are usage errors.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

tl_require_coturn turnutils_uclient turnserver
tl_port_plan 400
tls=$((base + 1))

"$(dirname "$0")/../../scripts/test-cert" "$tmp/cert" >"$tmp/out" 2>&1
tl_setup test_cert_made '[ -s "$tmp/cert/server.pem" ]' "$tmp/out"

tl_start_turnserver "$srv" "$minp" "$maxp" -r test.realm \
	--tls-listening-port "$tls" --cert "$tmp/cert/server.pem" --pkey "$tmp/cert/server.key"
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
check server_ready 'grep -q "ready:" "$tmp/server.log"'

auth="-u alice -w secret"
# coturn's uclient: 10 clients (5 pairs), 50 messages each, over TLS
tl_run /usr/bin/turnutils_uclient -T -S $auth -m 10 -n 50 -l 160 -z 5 -p "$tls" 127.0.0.1
check coturn_uclient_tls_tcp_relay_10_clients_500_received_0_lost \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=500\$" "$tmp/out" &&
	 grep -q "Total lost packets 0 (" "$tmp/out"'

# our uclient -T against our server, in the clear and over TLS
ours_ok() {
	[ $rc -eq 0 ] && grep -q "^messages received: 500 (duplicates 0, corrupt 0, foreign 0)" \
		"$tmp/out" && grep -q "^lost: 0 (0.00%)" "$tmp/out" &&
		grep -q "^tcp relay: Connect 5, ConnectionAttempt 5, ConnectionBind 10 (challenged 0)" \
			"$tmp/out"
}
tl_run "$bin/turnutils_uclient" -T $auth -m 10 -n 50 -l 160 -z 5 -p "$srv" 127.0.0.1
check our_uclient_tcp_relay_500_received_0_lost_binds_not_challenged 'ours_ok'
tl_run "$bin/turnutils_uclient" -v -T -S -E "$tmp/cert/ca.pem" $auth -m 10 -n 50 -l 160 -z 5 \
	-p "$tls" localhost
check our_uclient_tls_tcp_relay_500_received_0_lost 'ours_ok'
check our_uclient_tls_tcp_relay_alpn_on_all_20_connections \
	'[ "$(grep -c "^TLS: ALPN stun.turn" "$tmp/out")" -eq 20 ]'
tl_run "$bin/turnutils_uclient" -T -u alice -w wrong -m 2 -n 5 -p "$srv" 127.0.0.1
check our_uclient_tcp_relay_wrong_password_fails \
	'[ $rc -eq 1 ] && grep -q "^clients: 2 (allocated 0, failed 2" "$tmp/out"'
tl_run "$bin/turnutils_uclient" -T $auth -m 3 -p "$srv" 127.0.0.1
check our_uclient_tcp_relay_odd_clients_refused '[ $rc -eq 64 ] && grep -q "even -m" "$tmp/out"'
tl_run "$bin/turnutils_uclient" -T --rtp $auth -p "$srv" 127.0.0.1
check our_uclient_tcp_relay_with_rtp_refused '[ $rc -eq 64 ] && grep -q "does not go with --rtp" "$tmp/out"'

tl_check_turnserver_stops server_exits_0_on_sigterm

# allocations of 2 s: our uclient -T refreshes them while its 3 s of messages run
mv "$tmp/server.log" "$tmp/server1.log"
tl_start_turnserver "$((base + 4))" "$minp" "$maxp" -r test.realm --max-allocate-lifetime 2
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_run "$bin/turnutils_uclient" -v -v -T $auth -m 2 -n 60 -z 50 -p "$((base + 4))" 127.0.0.1
check our_uclient_tcp_relay_refreshes_short_allocations \
	'[ $rc -eq 0 ] && grep -q "^messages received: 120 " "$tmp/out" &&
	 [ "$(grep -c "<- Refresh success" "$tmp/out")" -ge 4 ]'
tl_check_turnserver_stops short_lifetime_server_exits_0_on_sigterm

# our uclient -T against Debian's coturn turnserver
cport=$((base + 2))
ctls=$((base + 3))
/usr/bin/turnserver -n --no-dtls --no-cli --listening-ip=127.0.0.1 --listening-port="$cport" \
	--tls-listening-port="$ctls" --cert="$tmp/cert/server.pem" --pkey="$tmp/cert/server.key" \
	--relay-ip=127.0.0.1 --min-port="$minp" --max-port="$maxp" -a -u alice:secret -r test.realm \
	--allow-loopback-peers --db="$tmp/coturn.db" --pidfile="$tmp/coturn.pid" \
	--log-file=stdout --simple-log >"$tmp/coturn.log" 2>&1 &
coturn_pid=$!
pids="$pids $coturn_pid"
for _ in $(seq 100); do
	ss -Htln "sport = :$ctls" 2>/dev/null | grep -q . && break
	sleep 0.1
done
tl_run "$bin/turnutils_uclient" -T $auth -m 10 -n 50 -l 160 -z 5 -p "$cport" 127.0.0.1
check our_uclient_tcp_relay_vs_coturn_500_received_0_lost 'ours_ok'
tl_run "$bin/turnutils_uclient" -T -S -E "$tmp/cert/ca.pem" $auth -m 10 -n 50 -l 160 -z 5 \
	-p "$ctls" localhost
check our_uclient_tls_tcp_relay_vs_coturn_500_received_0_lost 'ours_ok'

exit $failed
