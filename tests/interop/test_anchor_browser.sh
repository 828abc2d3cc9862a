#!/bin/sh
# test_anchor_browser.sh BUILD_DIR: a real browser call through the media
# anchor. Debian's headless Chromium, driven by playwright-core
# (tests/interop/browser/anchor_run.js and anchor_page.html), opens two
# RTCPeerConnections in one page: pcA plays the browser (iceTransportPolicy
# 'relay', this server as its only TURN server, a user made with
# turnadmin), pcB plays the PBX (host candidates only). pcB's offer goes
# through the anchor (ng offer over UDP, JSON: ICE=force, replace-origin,
# replace-session-connection, direction internal/external) to pcA, pcA's
# answer through the anchor (ng answer) to pcB, both once gathering is
# complete (no trickle). Checked: each side's SDP names only the anchor,
# fingerprints are untouched, ICE completes against the anchor on both sides
# (pcA only through its TURN allocation, joined to the anchor inside the
# server), DTLS connects end to end, a data channel message and audio RTP
# cross both ways, the ng query shows packets, ICE state and roles for both
# tags, and delete frees the call and closes its ports. Three calls (see
# anchor_run.js): "mdns" (pcB names its host candidate with mDNS, the anchor
# learns it as peer-reflexive), "mic" (fake microphone, raw host address,
# the call held past the 30 s consent timeout) and "controlling"
# (ICE-lite=off: full ICE, the anchor controlling toward pcA).
#
# Chromium never uses the loopback interface, so the test builds two network
# namespaces joined by a veth pair: the server (TURN, anchor media and the
# ng control socket, allowed from B) in A (198.18.0.1/24); Chromium, the
# page's http server and the ng client in B (198.18.0.2/24). B's default
# route points at A only so that Chromium, without a media permission, finds
# a default local address to gather on (a route lookup, nothing is sent); A
# has no route out and forwards nothing. The server runs with --Verbose.
# Needs root, ip, /usr/bin/chromium, node and npm (playwright-core is
# installed with `npm ci` into tests/interop/browser/node_modules when
# missing). Prints one "PASS: name" or "FAIL: name" line per check.
# Environment: ANCHOR_BROWSER_VARIANTS (default "mdns mic controlling"),
# ANCHOR_BROWSER_KEEP=DIR keeps the SDPs, ng traffic, getStats dumps, query
# replies and server log; HOLD_MS, ANCHOR_NG_EXTRA, ANCHOR_NO_MDNS: see
# anchor_run.js.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_browser_init "$1" anchbr

# --- prerequisites
tl_browser_ready anchor_browser "$chromium" "$dir" turnserver turnadmin turnutils_stunclient

# --- the two namespaces
ng_port=2223
tl_browser_netns anchor.test
tl_netns_step "$nsb" -n "$nsb" route add default via "$srv_ip" dev "$nsb"
tl_netns_step "$nsa" netns exec "$nsa" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'
# B's default route (via A) only gives Chromium a default local address:
# without a media permission it gathers on that address alone, found by a
# route lookup toward a public address (nothing is sent). A has no route
# out and forwards nothing, so nothing ever leaves the two namespaces.
if ip -n "$nsa" route show | grep -q default ||
	[ "$(ip netns exec "$nsa" cat /proc/sys/net/ipv4/ip_forward)" != 0 ]; then
	tl_fail "anchor_browser_namespaces_isolated ($(ip -n "$nsa" route show | tr '\n' ';'))"
	exit 1
fi

# --- user and iceServers JSON
tl_browser_ice_servers anchor_browser "$srv_ip"

# --- the server in A: TURN, anchor media on the relay address, ng control
# reachable from B (where the test's ng client runs)
tl_browser_server anchor_browser --allowed-peer-ip 198.18.0.0/24 \
	--anchor-ng-listen "$srv_ip:$ng_port" --anchor-ng-allow 198.18.0.2 --anchor-timeout 60 --Verbose

# --- the browser and the ng client in B
start=$(date +%s)
mkdir -p "$tmp/out"
variants=${ANCHOR_BROWSER_VARIANTS:-mdns mic controlling}
# shellcheck disable=SC2086 # one argument per variant
tl_browser_node 160 anchor_run.js "$tmp/ice.json" "$srv_ip:$ng_port" "$tmp/out" $variants
if ! tl_browser_run_done anchor_browser anchor_run.js $rc; then
	tl_browser_out_tails 60
	tl_browser_server_log "the failed run"
fi

# --- the server stops cleanly (and, under the sanitizers, reported nothing)
tl_browser_server_stops anchor_browser
# ANCHOR_BROWSER_KEEP=DIR keeps the SDPs, ng traffic, getStats and server log
if [ -n "$ANCHOR_BROWSER_KEEP" ] && mkdir -p "$ANCHOR_BROWSER_KEEP" &&
	cp -r "$tmp"/* "$ANCHOR_BROWSER_KEEP"/; then
	echo "  files kept in $ANCHOR_BROWSER_KEEP"
fi

exit $failed
