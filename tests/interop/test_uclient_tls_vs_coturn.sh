#!/bin/sh
# test_uclient_tls_vs_coturn.sh BUILD_DIR: OUR turnutils_uclient -S -t (TURN
# over TLS, RFC 8656 §3.1) against Debian's coturn turnserver with a test
# CA's certificate (scripts/test-cert) on loopback: channels and Send
# indications, 10 clients x 50 messages through our turnutils_peer with no
# loss, the server's certificate verified against the test CA (-E) and
# ALPN stun.turn selected; a CA that did not sign it makes the connection
# fail (exit 1), and -E without -S is a usage error (-S without -t is
# DTLS: test_uclient_dtls_vs_coturn.sh).
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
coturn=/usr/bin/turnserver

check() { tl_check "$1" "$2" "$tmp/out"; }

tl_run "$bin/turnutils_uclient" -t -E /nonexistent -e 127.0.0.1 127.0.0.1
check uclient_ca_without_tls_refused '[ $rc -eq 64 ]'

if [ ! -x "$coturn" ]; then
	echo "FAIL: coturn_installed ($coturn missing: apt-get install coturn)"
	exit 1
fi

base=$(tl_free_port_block 400) || { echo "FAIL: no free port block"; exit 1; }
srv=$base
tls=$((base + 2))
peer=$((base + 10))

"$(dirname "$0")/../../scripts/test-cert" "$tmp/cert" >"$tmp/out" 2>&1
tl_setup test_cert_made '[ -s "$tmp/cert/server.pem" ]' "$tmp/out"
"$(dirname "$0")/../../scripts/test-cert" "$tmp/other" >/dev/null 2>&1

"$coturn" -n --no-dtls --no-cli --listening-ip=127.0.0.1 --listening-port="$srv" \
	--tls-listening-port="$tls" --cert="$tmp/cert/server.pem" --pkey="$tmp/cert/server.key" \
	--relay-ip=127.0.0.1 --min-port=$((base + 100)) --max-port=$((base + 399)) \
	-a -u alice:secret -r test.realm --allow-loopback-peers \
	--db="$tmp/turndb" --pidfile="$tmp/turnserver.pid" \
	--log-file=stdout --simple-log >"$tmp/coturn.log" 2>&1 &
pids="$pids $!"
"$bin/turnutils_peer" -p "$peer" >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
for _ in $(seq 50); do
	grep -q "TLS.*listener opened on" "$tmp/coturn.log" 2>/dev/null && break
	sleep 0.1
done
sleep 0.3

auth="-u alice -w secret"
for mode in "channel:" "send:-s"; do
	m=${mode%%:*}
	flags=${mode#*:}
	# shellcheck disable=SC2086
	tl_run "$bin/turnutils_uclient" -v -S -t -E "$tmp/cert/ca.pem" $flags $auth -m 10 -n 50 \
		-l 160 -p "$tls" -e 127.0.0.1 -r "$peer" localhost
	check "our_uclient_tls_${m}_vs_coturn_500_received_0_lost" \
		'[ $rc -eq 0 ] && grep -q "^messages received: 500 " "$tmp/out" &&
		 grep -q "^lost: 0 (0.00%)" "$tmp/out"'
done
check our_uclient_tls_gets_alpn_stun_turn_from_coturn \
	'[ "$(grep -c "^TLS: ALPN stun.turn" "$tmp/out")" -eq 10 ]'

tl_run "$bin/turnutils_uclient" -S -t -E "$tmp/other/ca.pem" $auth -m 1 -n 2 -p "$tls" \
	-e 127.0.0.1 -r "$peer" localhost
check our_uclient_tls_refuses_untrusted_certificate \
	'[ $rc -eq 1 ] && grep -q "failed 1" "$tmp/out"'

exit $failed
