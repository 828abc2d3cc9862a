#!/bin/sh
# test_anchor_tls_join.sh BUILD_DIR: the anchor's joined path for TURN
# clients over TLS and over DTLS (issue 12: every TURN feature that works
# over TCP works over TLS and DTLS). Party A of an anchored call (ICE
# removed, A's SDP naming the relay address and no live port) is our
# turnutils_uclient --rtp with its allocation made over TLS (-S -t), then,
# in a second call, over DTLS (-S): its channel to the anchor's port for A
# is handed to the anchor inside the process (ng statistics' joinedpackets
# grows), party B is turnutils_peer (an echo), and B's echoes come back
# through the anchor and the allocation to the client over its TLS/DTLS
# session, payload intact. TLS and DTLS share the listening port (the first
# byte tells them apart); the server's certificate comes from
# scripts/test-cert and the client checks it. Runs in a private network
# namespace (tl_isolate). One PASS/FAIL line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
top=$(cd "$(dirname "$0")/../.." && pwd)
check() { tl_check "$1" "$2" "$tmp/out"; }

"$top/scripts/test-cert" "$tmp/cert" >/dev/null 2>&1 || { tl_fail "test certificate"; exit 1; }
tl_start_anchor 100 --cert "$tmp/cert/server.pem" --pkey "$tmp/cert/server.key" \
	--tls-listening-port 5349 || exit 1
# party B: an echo on a port of its own (the namespace is private)
peer=3480
"$bin/turnutils_peer" -L 127.0.0.1 -p "$peer" >"$tmp/peer.log" 2>&1 &
pids="$pids $!"

ngc() { "$bin/turnutils_ng" -s "127.0.0.1:$ng" "$@"; }
sdp() { printf 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio %s RTP/AVP 0\r\na=rtcp-mux\r\n' "$1"; }
port_of() { sed -n 's/^m=audio \([0-9]*\) .*/\1/p' "$1" | tr -d '\r'; }
joined() { ngc statistics 2>/dev/null | sed -n 's/.*"joinedpackets": \([0-9]*\).*/\1/p' | head -n 1; }
sdp 9 >"$tmp/a.sdp"
sdp "$peer" >"$tmp/b.sdp"

# join NAME CALL UCLIENT-FLAGS: a call, then the uclient as its party A
join() {
	name=$1 call=$2
	shift 2
	ngc -o "$tmp/to_b.sdp" offer --call-id "$call" --from-tag A --sdp-file "$tmp/a.sdp" \
		--ice remove >"$tmp/out" 2>&1 &&
		ngc -o "$tmp/to_a.sdp" answer --call-id "$call" --from-tag A --to-tag B \
			--sdp-file "$tmp/b.sdp" --ice remove >>"$tmp/out" 2>&1
	ng_rc=$?
	pa=$(port_of "$tmp/to_a.sdp")
	check "${name}_call_offered_and_answered" '[ $ng_rc -eq 0 ] && [ -n "$pa" ]'
	j0=$(joined)
	# 100 RTP packets of 172 bytes, 10 ms apart; the first few are dropped
	# while side A learns its source (RTP probation)
	tl_run "$bin/turnutils_uclient" "$@" -E "$tmp/cert/ca.pem" -u alice -w secret --rtp \
		-l 172 -n 100 -z 10 --loss-threshold 10 -p "$port" -e 127.0.0.1 -r "${pa:-9}" localhost
	check "${name}_session_up" 'grep -q "ALPN stun.turn" "$tmp/out"'
	check "${name}_media_both_ways_payload_intact" \
		'[ $rc -eq 0 ] && grep -q "^messages received: \(9[0-9]\|100\) (duplicates 0, corrupt 0, foreign 0)" "$tmp/out"'
	j1=$(joined)
	check "${name}_joined_in_process" '[ "${j1:-0}" -ge $((${j0:-0} + 90)) ]'
	ngc delete --call-id "$call" --from-tag A >/dev/null 2>&1
}

join tls j1 -S -t -v
check tls_allocation_was_over_tls 'grep -q "allocation for .alice. from TLS" "$tmp/server.log"'
join dtls j2 -S -v
check dtls_allocation_was_over_dtls 'grep -q "allocation for .alice. from DTLS" "$tmp/server.log"'
tl_check_turnserver_stops "server stops cleanly"
exit $failed
