#!/bin/sh
# test_uclient_alloc_rate.sh BUILD_DIR: turnutils_uclient --alloc-rate
# (the allocation benchmark's client, tests/bench) over TLS, TCP and DTLS
# against our server with a scripts/test-cert certificate. Over TLS its -m
# slots run their handshakes side by side (at the start all 8 are under
# way at once, but for one the server may finish within its first step;
# the old client made them one at a time) with one client
# context for every connection, with and without -E (the certificate
# checked against the CA and the name 127.0.0.1); a -E file that cannot
# be read is refused once at start, before any connection. Every run ends
# with allocations made and none failed. Stops cleanly. About 6 s.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

tl_start_tls_turnserver --unauth-req-rate 0

# rate ARGS...: one second of allocate/delete cycles, 8 slots; output in $tmp/out, status in rc
rate() {
	timeout 60 "$bin/turnutils_uclient" "$@" --alloc-rate 1 -m 8 -u alice -w secret \
		-p "$base" 127.0.0.1 >"$tmp/out" 2>&1
	rc=$?
}
# made: exit 0, allocations made, none failed
made() {
	[ "$rc" -eq 0 ] && grep -q '^alloc-rate: 8 in flight, .*: [1-9][0-9]* allocations (failed 0, delete failed 0' "$tmp/out"
}

rate -S -t
tl_check tls_alloc_rate_allocates made "$tmp/out"
tl_check tls_handshakes_side_by_side \
	"[ \$(sed -n 's/^TLS handshakes side by side: at most \([0-9]*\)\$/\1/p' '$tmp/out') -ge 2 ]" \
	"$tmp/out"

rate -S -t -E "$tmp/cert/ca.pem"
tl_check tls_alloc_rate_with_ca_file_allocates made "$tmp/out"

rate -S -t -E "$tmp/nonexistent.pem"
tl_check unreadable_ca_file_refused_once_at_start \
	"[ $rc -ne 0 ] && [ \$(grep -c 'nonexistent.pem' '$tmp/out') -eq 1 ] && ! grep -q slot '$tmp/out'" \
	"$tmp/out"

rate -t
tl_check tcp_alloc_rate_allocates made "$tmp/out"

rate -S
tl_check dtls_alloc_rate_allocates made "$tmp/out"

tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
