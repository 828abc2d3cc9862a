#!/bin/sh
# test_coturn_tls.sh BUILD_DIR: TURN over TLS (turns:) against OUR
# turnserver with a test CA's certificate (scripts/test-cert): Debian
# coturn's turnutils_uclient -S -t (TLS over TCP) with channels and with
# Send indications, 10 clients x 50 messages through turnutils_peer, on
# tls-listening-port and on listening-port (TLS and plain share a port, the
# first byte tells them apart), and our uclient -S -t with no loss, plain
# TCP still working beside it;
# uclient -T -S (RFC 6062 TCP allocations over TLS control and data
# connections); openssl s_client sees ALPN stun.turn and TLS 1.3; the
# iceServers JSON lists turns:; a handshake that never completes is closed
# (max-allocate-timeout=2 bounds it); garbage that is neither TLS nor STUN
# is closed; SIGUSR2 reloads a new certificate for new connections and
# keeps the old one (with the reason logged) when the new file is bad; and
# the server stops cleanly.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

for t in turnutils_uclient turnutils_peer; do
	if ! [ -x /usr/bin/$t ]; then
		echo "FAIL: coturn_installed (/usr/bin/$t missing: apt-get install coturn)"
		exit 1
	fi
done
command -v openssl >/dev/null || { echo "FAIL: openssl_installed"; exit 1; }

base=$(tl_free_port_block 400) || { echo "FAIL: no free port block"; exit 1; }
srv=$base
tls=$((base + 1))
peer=$((base + 20))
minp=$((base + 100))
maxp=$((base + 399))

"$(dirname "$0")/../../scripts/test-cert" "$tmp/cert" >"$tmp/out" 2>&1
tl_setup test_cert_made '[ -s "$tmp/cert/server.pem" ]' "$tmp/out"

tl_start_turnserver "$srv" "$minp" "$maxp" -r test.realm --rfc5766-channel-numbers \
	--tls-listening-port "$tls" --cert "$tmp/cert/server.pem" --pkey "$tmp/cert/server.key" \
	--max-allocate-timeout 2
/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.1 >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
check server_ready_with_tls 'grep -q "ready:" "$tmp/server.log" &&
	grep -q "listening on TCP port $tls for TLS" "$tmp/server.log"'
check ice_servers_list_turns \
	'grep -q "\"turns:127.0.0.1:$tls?transport=tcp\"" "$tmp/server.out"'

# --- coturn's uclient over TLS: channels and Send, on both ports. Every
# message goes out; coturn 4.6.1's uclient loses a few of the last echoes
# over TLS (it does against coturn's own turnserver too: 16 of 500 in one
# run: they are still in flight when it stops counting, more of them on a
# loaded machine, 34 of 500 once), so up to 15% is allowed; our uclient
# below, which waits for its echoes, must lose none.
auth="-u alice -w secret"
# lost_pct: the whole percent of "Total lost packets N (P%)" in $tmp/out
lost_pct() { sed -n 's/.*Total lost packets [0-9]* (\([0-9]*\)\..*/\1/p' "$tmp/out" | tail -n 1; }
for run in "tls_port:$tls:channel:" "tls_port:$tls:send:-s" "listening_port:$srv:channel:"; do
	p=${run%%:*}
	run=${run#*:}
	port=${run%%:*}
	run=${run#*:}
	m=${run%%:*}
	flags=${run#*:}
	# shellcheck disable=SC2086
	tl_run /usr/bin/turnutils_uclient -S -t $flags $auth -m 10 -n 50 -l 160 \
		-p "$port" -e 127.0.0.1 -r "$peer" 127.0.0.1
	check "coturn_uclient_tls_${m}_on_${p}_500_sent_at_most_15pct_lost" \
		'[ $rc -eq 0 ] && grep -q "tot_send_msgs=500," "$tmp/out" && [ "$(lost_pct)" -le 15 ]'
done
# our uclient over TLS, which loses nothing (the same 10 x 50 messages)
for mode in "channel:" "send:-s"; do
	m=${mode%%:*}
	# shellcheck disable=SC2086
	tl_run "$bin/turnutils_uclient" -S -t -E "$tmp/cert/ca.pem" ${mode#*:} $auth -m 10 -n 50 \
		-l 160 -p "$tls" -e 127.0.0.1 -r "$peer" localhost
	check "our_uclient_tls_${m}_500_received_0_lost" \
		'[ $rc -eq 0 ] && grep -q "^messages received: 500 " "$tmp/out" &&
		 grep -q "^lost: 0 (0.00%)" "$tmp/out"'
done
tl_run /usr/bin/turnutils_uclient -t $auth -m 10 -n 50 -l 160 -p "$srv" -e 127.0.0.1 -r "$peer" \
	127.0.0.1
check coturn_uclient_plain_tcp_beside_tls_500_received_0_lost \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=500\$" "$tmp/out" &&
	 grep -q "Total lost packets 0 (" "$tmp/out"'

# --- RFC 6062 over TLS: control and data connections are TLS, each data
# connection handed with its TLS session to its allocation's worker. Two
# clients here; 10, our uclient -T -S, and why coturn's client needs its
# ConnectionBind to carry the control connection's nonce:
# test_tcprelay_uclient.sh.
tl_run /usr/bin/turnutils_uclient -T -S $auth -m 2 -n 50 -l 160 -p "$tls" 127.0.0.1
check coturn_uclient_tls_tcp_relay_100_received_0_lost \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=100\$" "$tmp/out" &&
	 grep -q "Total lost packets 0 (" "$tmp/out"'

# --- what a TLS client sees: ALPN stun.turn, TLS 1.3, our certificate
s_client() {
	sc_port=$1
	shift
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$sc_port" -CAfile "$tmp/cert/ca.pem" \
		-verify_return_error "$@" >"$tmp/out" 2>&1
	rc=$?
}
s_client "$tls" -alpn stun.turn
check tls_alpn_stun_turn_and_tls13 '[ $rc -eq 0 ] &&
	grep -q "ALPN protocol: stun.turn" "$tmp/out" && grep -q "TLSv1.3" "$tmp/out" &&
	grep -q "Verify return code: 0 (ok)" "$tmp/out"'
s_client "$srv" -tls1_2
check tls12_on_listening_port '[ $rc -eq 0 ] && grep -q "Protocol *: TLSv1.2" "$tmp/out"'

# --- a handshake that never completes, and garbage, are closed
# closed_within SECS PORT HEX: sends the bytes HEX and waits up to SECS for
# the server to close; the time it took (whole seconds) into $tmp/took
closed_within() {
	python3 - "$@" >"$tmp/out" 2>&1 <<'EOF'
import socket, sys, time
secs, port, data = float(sys.argv[1]), int(sys.argv[2]), bytes.fromhex(sys.argv[3])
s = socket.create_connection(("127.0.0.1", port), timeout=secs)
t0 = time.monotonic()
s.sendall(data)
try:
    while s.recv(4096):
        pass
except socket.timeout:
    print("still open after", secs, "s")
    sys.exit(1)
except ConnectionResetError:
    pass
print("closed after %.1f s" % (time.monotonic() - t0))
EOF
}
# a ClientHello record header that promises 512 bytes, then nothing
closed_within 8 "$tls" 1603010200
check truncated_handshake_closed_after_bound '[ $? -eq 0 ]'
closed_within 8 "$srv" 16030100
check truncated_handshake_on_listening_port_closed '[ $? -eq 0 ]'
closed_within 3 "$tls" ff00ff00ff00
check garbage_first_byte_closed_at_once '[ $? -eq 0 ]'
closed_within 3 "$tls" 1602aaaaaaaa
check handshake_byte_with_bad_version_closed '[ $? -eq 0 ]'
# a record claiming 18688 bytes, more than TLS allows (RFC 8446 §5.1)
closed_within 8 "$tls" "16030349000000000000000000000000"
check oversized_record_closed '[ $? -eq 0 ]'
tl_server_output
check handshake_failures_logged \
	'grep -q "TLS connection from 127.0.0.1:[0-9]* closed: TLS handshake not complete in time" \
	 "$tmp/server.log" && grep -q "neither TLS nor STUN/TURN" "$tmp/server.log"'

# --- SIGUSR2: a new certificate for new connections; a bad one is refused
"$(dirname "$0")/../../scripts/test-cert" "$tmp/cert2" >/dev/null 2>&1
fp() { openssl x509 -noout -fingerprint -sha256 -in "$1" | sed 's/.*=//'; }
served_fp() {
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$tls" 2>/dev/null |
		openssl x509 -noout -fingerprint -sha256 | sed 's/.*=//'
}
cp "$tmp/cert2/server.pem" "$tmp/cert/server.pem"
cp "$tmp/cert2/server.key" "$tmp/cert/server.key"
kill -USR2 "$srv_pid"
tl_wait_log "$tmp/server.log" "reloaded: certificate" "$srv_pid"
check sigusr2_reloads_new_certificate '[ "$(served_fp)" = "$(fp "$tmp/cert2/server.pem")" ]'
echo "not a certificate" >"$tmp/cert/server.pem"
kill -USR2 "$srv_pid"
tl_wait_log "$tmp/server.log" "certificates not reloaded" "$srv_pid"
tl_server_output
check sigusr2_bad_certificate_keeps_old \
	'grep -q "certificates not reloaded, the old ones stay in use: cannot read the certificate chain of cert" \
	 "$tmp/server.log" && [ "$(served_fp)" = "$(fp "$tmp/cert2/server.pem")" ]'
tl_run "$bin/turnutils_uclient" -S -t -E "$tmp/cert2/ca.pem" $auth -m 2 -n 10 -l 160 -p "$tls" \
	-e 127.0.0.1 -r "$peer" localhost
check tls_works_after_reloads '[ $rc -eq 0 ] && grep -q "^messages received: 20 " "$tmp/out"'

tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
