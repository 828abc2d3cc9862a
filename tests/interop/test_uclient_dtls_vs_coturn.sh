#!/bin/sh
# test_uclient_dtls_vs_coturn.sh BUILD_DIR: our turnutils_uclient -S
# without -t (BUILD_DIR/bin) against Debian's coturn turnserver on loopback
# with a test CA's certificate (scripts/test-cert): over DTLS 1.2, with
# channels and with Send indications, 5 clients x 40 messages relayed to
# coturn's turnutils_peer with none lost, the server's certificate checked
# against the test CA (-E); a CA that did not sign it makes the handshake
# fail (exit 1). TLS: test_uclient_tls_vs_coturn.sh. One "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

tl_require_coturn turnserver turnutils_peer
# base: coturn's plain port (+1 its RFC 5780 port), base+2 its TLS/DTLS
# port (+3), base+10 coturn's peer (+11), base+100..base+299 relay ports
tl_port_plan 300
tls=$((base + 2)) peer=$((base + 10))
scripts=$(dirname "$0")/../../scripts
"$scripts/test-cert" "$tmp" >"$tmp/out" 2>&1
tl_setup test_cert_made '[ -s "$tmp/server.pem" ]' "$tmp/out"
mkdir "$tmp/other"
"$scripts/test-cert" "$tmp/other" >"$tmp/out" 2>&1
tl_setup other_ca_made '[ -s "$tmp/other/ca.pem" ]' "$tmp/out"

/usr/bin/turnserver -n --no-cli --listening-ip=127.0.0.1 --listening-port="$srv" \
	--tls-listening-port="$tls" --relay-ip=127.0.0.1 --min-port="$minp" \
	--max-port="$maxp" -a -u alice:secret -r test.realm --allow-loopback-peers \
	--cert="$tmp/server.pem" --pkey="$tmp/server.key" --db="$tmp/turndb" \
	--pidfile="$tmp/turnserver.pid" --log-file=stdout --simple-log >"$tmp/coturn.log" 2>&1 &
pids="$pids $!"
/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.1 >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
tl_wait_stun "$srv"

for mode in "dtls_channel:-S" "dtls_send:-S -s"; do
	m=${mode%%:*}
	flags=${mode#*:}
	# shellcheck disable=SC2086
	tl_run "$bin/turnutils_uclient" $flags -v -E "$tmp/ca.pem" -u alice -w secret -m 5 -n 40 \
		-l 160 -p "$tls" -e 127.0.0.1 -r "$peer" 127.0.0.1
	check "uclient_${m}_vs_coturn_200_received_0_lost" \
		'[ $rc -eq 0 ] && grep -q "^messages received: 200 " "$tmp/out" &&
		 grep -q "^lost: 0 " "$tmp/out" && grep -q "^DTLS: ALPN [a-z.]*, DTLSv1.2$" "$tmp/out"'
done

tl_run "$bin/turnutils_uclient" -S -E "$tmp/other/ca.pem" -u alice -w secret -m 1 -n 5 \
	-p "$tls" -e 127.0.0.1 -r "$peer" 127.0.0.1
check uclient_dtls_refuses_certificate_of_another_ca '[ $rc -eq 1 ] && grep -q "failed 1" "$tmp/out"'

exit $failed
