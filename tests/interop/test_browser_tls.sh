#!/bin/sh
# test_browser_tls.sh BUILD_DIR: a real browser through our turnserver over
# TLS (turns:, RFC 7065). The layout of test_browser.sh (two namespaces
# joined by a veth: the server in A at 198.18.0.1, Debian's headless
# Chromium driven by playwright-core in B), with a test CA and server
# certificate from scripts/test-cert (the certificate names 198.18.0.1).
# turnadmin --ice-servers, given a configuration with TLS on, lists the
# turns: URL. Chromium on Linux trusts, beyond its own roots, the CAs in the
# NSS database under $HOME/.pki/nssdb: certutil makes one that trusts the
# test CA in a temporary HOME, and another, empty, in a second one.
# With the trusting HOME, relay-only, per variant (turns: to
# tls-listening-port, and turns: to the plain listening-port, where the
# first byte tells TLS from plain TURN): ICE connects, a data channel
# message crosses both ways, a fake-microphone audio track arrives, the
# selected pair is relay on both ends and its local relayProtocol is tls.
# With the empty one, gathering through the same turns: URL yields no relay
# candidate and an icecandidateerror: the browser checked the certificate;
# the server's log shows the browsers' TLS sessions, then the handshake the
# untrusting browser gave up.
# About 10 s. Needs root, ip, /usr/bin/chromium, node, npm, certutil
# (libnss3-tools) and openssl (playwright-core is installed with `npm ci`
# into tests/interop/browser/node_modules when missing).
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016 # tl_setup evals its condition
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_browser_init "$1" turntls

# --- prerequisites
tl_browser_tools="certutil openssl"
tl_browser_ready browser_tls "$chromium" "$dir" turnserver turnadmin turnutils_stunclient

# --- the two namespaces
tls_port=5349
tl_browser_netns tls.test

# --- certificate, and a HOME whose NSS database trusts its CA, one whose does not
"$here/../../scripts/test-cert" "$tmp/cert" "$srv_ip" >"$tmp/cert.log" 2>&1
tl_setup browser_tls_test_cert '[ $? -eq 0 ] && [ -s "$tmp/cert/server.pem" ]' "$tmp/cert.log"
tl_nssdb browser_tls "$tmp/trusting" "$tmp/cert/ca.pem"
tl_nssdb browser_tls "$tmp/untrusting"

# --- user and iceServers JSON: turnadmin reads the TLS port from the
# operator's configuration and lists turns: with it
cat >"$tmp/turnserver.conf" <<EOF
listening-port=$port
tls-listening-port=$tls_port
cert=$tmp/cert/server.pem
pkey=$tmp/cert/server.key
realm=$realm
EOF
tl_browser_ice_servers browser_tls "$srv_ip" -c "$tmp/turnserver.conf"
turns_url="turns:$srv_ip:$tls_port?transport=tcp"
node -e 'const j = require(process.argv[1]);
	process.exit(j.iceServers.some((s) => [].concat(s.urls).includes(process.argv[2])) ? 0 : 1)' \
	"$tmp/ice.json" "$turns_url"
tl_check "browser_tls_ice_servers_list_turns_url ($turns_url)" '[ $? -eq 0 ]' "$tmp/ice.json"

# --- the server in A
tl_browser_server browser_tls --tls-listening-port "$tls_port" --cert "$tmp/cert/server.pem" \
	--pkey "$tmp/cert/server.key" --allowed-peer-ip 198.18.0.0/15 --verbose

# --- the browser in B: trusting the test CA, then not
start=$(date +%s)
ip netns exec "$nsb" env HOME="$tmp/trusting" CHROMIUM="$chromium" TURNS_PORT="$tls_port" \
	timeout -k 10 300 node "$dir/run.js" "$tmp/ice.json" tls tls_shared \
	>"$tmp/run.out" 2>"$tmp/run.err"
tl_browser_run_done browser_tls run.js $? || tl_browser_server_log "the trusting run"
# the server's side (--verbose): a TLS 1.2/1.3 session per browser peer
# connection and variant
tls_ok=$(grep -c "TLS from 198\.18\.0\.2:[0-9]*: TLSv1\.[23]" "$tmp/server.log")
tl_check "browser_tls_server_logged_browser_tls_sessions ($tls_ok, at least 4)" '[ "$tls_ok" -ge 4 ]' \
	"$tmp/server.log"
cut_short() { grep -c "TLS connection from 198\.18\.0\.2:[0-9]* closed: TLS handshake" "$tmp/server.log"; }
cut0=$(cut_short)
start=$(date +%s)
ip netns exec "$nsb" env HOME="$tmp/untrusting" CHROMIUM="$chromium" TURNS_PORT="$tls_port" \
	timeout -k 10 120 node "$dir/run.js" "$tmp/ice.json" tls_untrusted \
	>"$tmp/run.out" 2>"$tmp/run.err"
tl_browser_run_done browser_tls_untrusted run.js $? || tl_browser_server_log "the untrusting run"
# the server saw the browser give its handshake up (bounded wait for the log)
for _ in $(seq 50); do
	[ "$(cut_short)" -gt "$cut0" ] && break
	sleep 0.1
done
tl_check browser_tls_untrusted_server_logged_the_abandoned_handshake '[ "$(cut_short)" -gt "$cut0" ]' \
	"$tmp/server.log"

# --- the server stops cleanly (and, under the sanitizers, reported nothing)
tl_browser_server_stops browser_tls

exit $failed
