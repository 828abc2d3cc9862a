#!/bin/sh
# test_anchor_dtls_openssl.sh BUILD_DIR: the anchor's DTLS-SRTP toward a
# party it bridges, against OpenSSL's s_client (-dtls1_2 -use_srtp) as that
# party: a certificate matching the party's a=fingerprint connects, with
# SRTP negotiated and the anchor's certificate the one its own
# a=fingerprint names; a certificate that does not match is refused with
# bad_certificate, counted, and nothing is forwarded to the party
# (anchor_dtls_openssl.py). Two certificates from scripts/test-cert. Runs in
# a network namespace of its own with only loopback. Needs root, unshare,
# ip, openssl and python3. Prints one "PASS: name" or "FAIL: name" line per
# check.
# shellcheck disable=SC2016 # tl_check evals its condition later

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
here=$(cd "$(dirname "$0")" && pwd) || exit 1
"$here/../../scripts/test-cert" "$tmp/good" >"$tmp/out" 2>&1 &&
	"$here/../../scripts/test-cert" "$tmp/other" >>"$tmp/out" 2>&1
rc=$?
tl_setup dtls_openssl_certificates_made "[ $rc -eq 0 ]" "$tmp/out"

tl_start_anchor 32 || exit 1
tl_anchor_driver dtls_openssl 60 "$here/anchor_dtls_openssl.py" "$ng" "$tmp/good" "$tmp/other"
exit "$failed"
