#!/bin/sh
# test_tls_tickets.sh BUILD_DIR: session tickets of our TLS listener, seen
# by `openssl s_client -msg`. A TLS 1.3 handshake gets one NewSessionTicket
# (OpenSSL's default, which the server had before, is two: each costs the
# server a session copy, its encryption and a record of its own), and a
# second connection resumes with it; a TLS 1.2 handshake gets one ticket
# too and resumes with it. Stops cleanly. About 4 s.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

tl_start_tls_turnserver

# hello VERSION [ARG...]: a handshake that stays 1 s to read what follows it
hello() {
	tl_v=$1
	shift
	sleep 1 | timeout 10 openssl s_client -connect "127.0.0.1:$base" "-$tl_v" \
		-CAfile "$tmp/cert/ca.pem" "$@" >"$tmp/out" 2>&1
}

for v in tls1_3 tls1_2; do
	hello $v -msg -sess_out "$tmp/$v.sess"
	tl_check "${v}_one_session_ticket" "[ \$(grep -c 'NewSessionTicket' '$tmp/out') -eq 1 ]" \
		"$tmp/out"
	hello $v -sess_in "$tmp/$v.sess"
	tl_check "${v}_resumes_with_it" "grep -q '^Reused, ' '$tmp/out'" "$tmp/out"
done

tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
