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
tl_run /usr/bin/turnutils_uclient -T -S $auth -m 10 -n 50 -l 160 -p "$tls" 127.0.0.1
check coturn_uclient_tls_tcp_relay_10_clients_500_received_0_lost \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=500\$" "$tmp/out" &&
	 grep -q "Total lost packets 0 (" "$tmp/out"'

tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
