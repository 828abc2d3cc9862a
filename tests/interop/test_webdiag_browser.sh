#!/bin/sh
# test_webdiag_browser.sh BUILD_DIR: the WebRTC diagnostic page
# (web-diagnostic) in a real browser. The layout of test_browser_tls.sh:
# two namespaces joined by a veth, our turnserver in A at 198.18.0.1 with
# TURN REST secrets (use-auth-secret), TLS on tls-listening-port with a
# test CA's certificate, and the admin interface over HTTPS on 198.18.0.1;
# Debian's headless Chromium, driven by playwright-core (webdiag_run.js),
# in B with a HOME whose NSS database trusts the test CA. Without logging
# in it opens /diagnostic: the page's own RTCPeerConnections gather a srflx
# candidate through the STUN URL and relay candidates through
# each TURN URL (UDP, TCP, TLS), with data-channel echoes timed through each
# relay, and the verdict says all three work. Then with TCP to the TLS port
# rejected in B (nftables), the TLS row fails and the verdict says TURN over
# TLS does not work, UDP and TCP still do. No script error on either run.
# Screenshots in BUILD_DIR/screenshots/webdiag/ for a person to look at.
# About 15 s. Needs root, ip, nft, /usr/bin/chromium, node, npm, certutil,
# openssl (playwright-core is installed with `npm ci` when missing).
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016 # tl_setup and tl_check eval their conditions
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_browser_init "$1" webdiag

tl_browser_tools="certutil openssl nft"
tl_browser_ready browser_webdiag "$chromium" "$dir" turnserver turnadmin turnutils_stunclient

tls_port=5349 wa_port=8443
tl_browser_netns webdiag.test
"$here/../../scripts/test-cert" "$tmp/cert" "$srv_ip" >"$tmp/cert.log" 2>&1
tl_setup browser_webdiag_test_cert '[ $? -eq 0 ] && [ -s "$tmp/cert/server.pem" ]' "$tmp/cert.log"
tl_nssdb browser_webdiag "$tmp/trusting" "$tmp/cert/ca.pem"
# the store the admin interface logs in from (the page itself needs no account)
"$bin/turnadmin" -A -b "$tmp/users.db" -u admin -p "pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')" \
	>"$tmp/admin.out" 2>&1
tl_setup browser_webdiag_turnadmin_A '[ $? -eq 0 ]' "$tmp/admin.out"
shots=$build/screenshots/webdiag
rm -rf "$shots"
mkdir -p "$shots"

tl_browser_server browser_webdiag --use-auth-secret \
	--static-auth-secret "s-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')" \
	--tls-listening-port "$tls_port" --cert "$tmp/cert/server.pem" --pkey "$tmp/cert/server.key" \
	--allowed-peer-ip 198.18.0.0/15 --web-admin --web-admin-ip "$srv_ip" \
	--web-admin-port "$wa_port" --web-diagnostic

# run MODE: the page in the browser in B (webdiag_run.js MODE)
run() {
	start=$(date +%s)
	ip netns exec "$nsb" env HOME="$tmp/trusting" CHROMIUM="$chromium" \
		timeout -k 10 120 node "$dir/webdiag_run.js" "https://$srv_ip:$wa_port" "$shots" "$1" \
		>"$tmp/run.out" 2>"$tmp/run.err"
	tl_browser_run_done "browser_webdiag_$1" webdiag_run.js $? ||
		tl_browser_server_log "the $1 run"
}
run trusting

ip netns exec "$nsb" nft -f - <<EOF2 >"$tmp/nft.log" 2>&1
table inet webdiag {
	chain out {
		type filter hook output priority 0;
		ip daddr $srv_ip tcp dport $tls_port reject with tcp reset
	}
}
EOF2
tl_setup browser_webdiag_nft_blocks_tls '[ $? -eq 0 ]' "$tmp/nft.log"
run no_tls
rm -rf "$shots"/.profile-*

n=$(find "$shots" -name '*.png' -size +1k | wc -l)
tl_check "browser_webdiag_screenshots_saved ($n in $shots)" '[ "$n" -eq 2 ]'
tl_browser_server_stops browser_webdiag
exit $failed
