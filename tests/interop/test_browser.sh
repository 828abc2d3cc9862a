#!/bin/sh
# test_browser.sh BUILD_DIR: a real browser through our turnserver. Debian's
# headless Chromium, driven by playwright-core (tests/interop/browser),
# opens two RTCPeerConnections in one page with iceTransportPolicy 'relay'
# and only this server in iceServers, using the credentials that
# `turnadmin --ice-servers` printed. Per variant (TURN over UDP, over TCP,
# and the printed entry as is): ICE connects, a data channel message
# crosses both ways, a fake-microphone audio track arrives (inbound-rtp
# packets and growing bytes), and the selected candidate pair is relay on
# both ends, with the local relayProtocol matching the TURN URL's transport.
#
# Chromium never uses the loopback interface, so the test builds two network
# namespaces joined by a veth pair: the server in A (198.18.0.1/24), Chromium
# and the page's http server (127.0.0.1 in B, opened as http://localhost so
# that getUserMedia has a secure context) in B (198.18.0.2/24). Needs root,
# ip, /usr/bin/chromium, node and npm (playwright-core is installed with
# `npm ci` into tests/interop/browser/node_modules when missing).
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_browser_init "$1" turnbr

# --- prerequisites
tl_browser_ready browser "$chromium" "$dir" turnserver turnadmin

# --- the two namespaces
tl_browser_netns browser.test

# --- user and iceServers JSON
tl_browser_ice_servers browser "$srv_ip"

# --- the server in A
tl_browser_server browser --allowed-peer-ip 198.18.0.0/15 --verbose

# --- the browser in B
start=$(date +%s)
ip netns exec "$nsb" env CHROMIUM="$chromium" timeout -k 10 300 \
	node "$dir/run.js" "$tmp/ice.json" udp tcp printed >"$tmp/run.out" 2>"$tmp/run.err"
tl_browser_run_done browser run.js $? || tl_browser_server_log "the failed run"

# --- the server stops cleanly (and, under the sanitizers, reported nothing)
tl_browser_server_stops browser

exit $failed
