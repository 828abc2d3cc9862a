#!/bin/sh
# test_anchor_dtls_rtcp.sh BUILD_DIR: RTCP bridged toward a DTLS-SRTP party
# with and without rtcp-mux on either side (issue 13, RFC 5764 §4.1): a
# party of the test's own (dtls_peer.c: OpenSSL's DTLS and libsrtp2, built
# here) runs a DTLS association on its RTCP port as well as its RTP port
# when it does not mux, sends SRTCP there and must unprotect the anchor's
# SRTCP with that association's keys; the plain party gets exactly the
# sender reports the DTLS party protected; the same with an SDES party,
# one key for both ports (anchor_dtls_rtcp.py has the cases and checks). Runs in a network namespace of its own with only
# loopback. Needs root, unshare, ip, openssl, libsrtp2 and python3; about
# 5 s. Prints one "PASS: name" or "FAIL: name" line per check.

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
here=$(cd "$(dirname "$0")" && pwd) || exit 1
"$here/../../scripts/test-cert" "$tmp/peer" >"$tmp/out" 2>&1
rc=$?
tl_setup dtls_rtcp_certificate_made "[ $rc -eq 0 ]" "$tmp/out"
# plain -O2 in any build: the party is not the code under test
cc -O2 -std=gnu11 -Wall -Wextra -Werror -o "$tmp/dtls_peer" "$here/dtls_peer.c" \
	-lsrtp2 -lssl -lcrypto >"$tmp/out" 2>&1
rc=$?
tl_setup dtls_rtcp_peer_builds "[ $rc -eq 0 ]" "$tmp/out"

tl_start_anchor 32 || exit 1
tl_anchor_driver dtls_rtcp 90 "$here/anchor_dtls_rtcp.py" "$ng" "$tmp/dtls_peer" "$tmp/peer"
exit "$failed"
