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
build=${1:?usage: $0 BUILD_DIR}
bin=$build/bin
here=$(cd "$(dirname "$0")" && pwd) || exit 1
dir=$here/browser
chromium=${CHROMIUM:-/usr/bin/chromium}
failed=0
tmp=$(mktemp -d) || exit 1
nsa=turnbrA$$
nsb=turnbrB$$
srv_pid=
cleanup() {
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	tl_netns_del "$nsb" "$nsa"
	[ -n "$srv_pid" ] && wait "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP PIPE

server_log() {
	echo "  server log (last 60 lines of $1):"
	tail -n 60 "$tmp/server.log" 2>/dev/null | sed 's/^/  | /'
	if [ -s "$tmp/server.err" ]; then
		echo "  server stderr:"
		tail -n 40 "$tmp/server.err" | sed 's/^/  | /'
	fi
}

# --- prerequisites
tl_browser_ready browser "$chromium" "$dir" turnserver turnadmin

# --- the two namespaces
port=3478
realm=browser.test
user=webrtc
password="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
tl_netns_pair "$nsa" 198.18.0.1/24 "$nsb" 198.18.0.2/24

# --- user and iceServers JSON
if "$bin/turnadmin" -a -b "$tmp/users.db" -u "$user" -r "$realm" -p "$password" \
	--ice-servers -X 198.18.0.1 --listening-port "$port" >"$tmp/ice.json" 2>"$tmp/admin.err" &&
	node -e 'const j = require(process.argv[1]); if (!j.iceServers[0].urls.length) process.exit(1)' \
		"$tmp/ice.json" 2>>"$tmp/admin.err"; then
	tl_pass browser_turnadmin_ice_servers
else
	tl_fail browser_turnadmin_ice_servers
	sed 's/^/  | /' "$tmp/ice.json" "$tmp/admin.err"
	exit 1
fi

# --- the server in A
ip netns exec "$nsa" "$bin/turnserver" -n --listening-ip 198.18.0.1 --listening-port "$port" \
	--relay-ip 198.18.0.1 --min-port 49152 --max-port 49351 -r "$realm" \
	--userdb "$tmp/users.db" --allowed-peer-ip 198.18.0.0/15 --verbose \
	--log-file "$tmp/server.log" >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
up=0
for _ in $(seq 100); do
	if ip netns exec "$nsb" "$bin/turnutils_stunclient" -p "$port" 198.18.0.1 >/dev/null 2>&1; then
		up=1
		break
	fi
	kill -0 "$srv_pid" 2>/dev/null || break
	sleep 0.1
done
if [ $up = 1 ]; then
	tl_pass browser_server_reachable_from_browser_namespace
else
	tl_fail browser_server_reachable_from_browser_namespace
	server_log startup
	exit 1
fi

# --- the browser in B
start=$(date +%s)
ip netns exec "$nsb" env CHROMIUM="$chromium" timeout -k 10 300 \
	node "$dir/run.js" "$tmp/ice.json" udp tcp printed >"$tmp/run.out" 2>"$tmp/run.err"
rc=$?
cat "$tmp/run.out"
echo "browser run: $(($(date +%s) - start)) s, exit $rc"
if [ $rc -ne 0 ]; then
	grep -q '^FAIL: ' "$tmp/run.out" || tl_fail "browser_run (exit $rc)"
	failed=1
	if [ -s "$tmp/run.err" ]; then
		echo "  run.js stderr (last 30 lines):"
		tail -n 30 "$tmp/run.err" | sed 's/^/  | /'
	fi
	server_log "the failed run"
fi

# --- the server stops cleanly (and, under the sanitizers, reported nothing)
tl_stop "$srv_pid"
src=$?
srv_pid=
if [ $src -eq 0 ] && ! grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$tmp/server.err"; then
	tl_pass browser_server_exits_cleanly
else
	tl_fail "browser_server_exits_cleanly (status $src)"
	server_log shutdown
fi

exit $failed
