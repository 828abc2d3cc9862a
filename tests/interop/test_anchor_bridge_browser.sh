#!/bin/sh
# test_anchor_bridge_browser.sh BUILD_DIR: the SRTP bridge of issue 13 with
# a real browser, a real SIP proxy and a plain-RTP PBX. Debian's headless
# Chromium (relay-only through our TURN server, DTLS-SRTP, rtcp-mux, the
# fake microphone playing a 1 kHz tone) calls, and is called by, a PBX that
# speaks plain RTP/AVP PCMU, through Debian's Kamailio whose stock
# rtpengine module gives the browser "ICE=force RTP/SAVPF" and the PBX
# "ICE=remove RTP/AVP" (tests/interop/kamailio/kamailio.cfg.in, users
# bridge-to-pbx and bridge-to-browser) and our turnserver's media anchor,
# which terminates DTLS-SRTP toward the browser. The SIP user agents and the
# PBX's RTP endpoint are tests/interop/browser/bridge_run.js (see there for
# the checks): audio crosses both ways as real signal, the PBX gets only
# plain RTP, the browser SRTP (it decodes and measures the PBX's tone), the
# anchor's query and statistics say bridged, DTLS connected, no
# authentication failure.
#
# Network: as test_anchor_browser.sh, two namespaces joined by a veth pair:
# turnserver (TURN, anchor media, ng) and Kamailio in A (198.18.0.1/24);
# Chromium, the page's http server, the user agents and the PBX in B
# (198.18.0.2/24). Nothing leaves them. Needs root, ip, /usr/bin/chromium,
# node, npm (playwright-core, tl_browser_ready) and kamailio.
# Environment: BRIDGE_BROWSER_VARIANTS (default "to-pbx to-browser"),
# BRIDGE_BROWSER_KEEP=DIR keeps the SDPs, SIP and ng traffic, stats, query
# replies and the logs.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016,SC2317 # tl_check evals its conditions later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_browser_init "$1" brgbr

# --- prerequisites
tl_browser_ready bridge_browser "$chromium" "$dir" turnserver turnadmin turnutils_stunclient
command -v kamailio >/dev/null 2>&1 || {
	tl_fail "bridge_browser_prerequisites (missing: kamailio)"
	exit 1
}

# --- the two namespaces (see test_anchor_browser.sh for the default route)
srv_ip=198.18.0.1
ua_ip=198.18.0.2
port=3478
ng_port=2223
sip_port=5060
realm=anchor.test
user=webrtc
password="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
tl_netns_pair "$nsa" "$srv_ip/24" "$nsb" "$ua_ip/24"
tl_netns_step "$nsb" -n "$nsb" route add default via "$srv_ip" dev "$nsb"
tl_netns_step "$nsa" netns exec "$nsa" sh -c 'echo 0 >/proc/sys/net/ipv4/ip_forward'

tl_browser_ice_servers bridge_browser "$srv_ip"

# --- the server in A: TURN, anchor media, ng for Kamailio (A) and the
# test's queries (B)
ip netns exec "$nsa" "$bin/turnserver" -n --listening-ip "$srv_ip" --listening-port "$port" \
	--relay-ip "$srv_ip" --min-port 49152 --max-port 49351 -r "$realm" \
	--userdb "$tmp/users.db" --allowed-peer-ip 198.18.0.0/24 \
	--anchor-ng-listen "$srv_ip:$ng_port" --anchor-ng-allow "$srv_ip" \
	--anchor-ng-allow "$ua_ip" --anchor-timeout 60 --Verbose \
	--log-file "$tmp/server.log" >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
tl_browser_server_up bridge_browser "$srv_ip"

# --- Kamailio in A, in the foreground (-DD), logging to stderr (-E)
mkdir -p "$tmp/kamailio.run"
sed -e "s/@SIP_IP@/$srv_ip/g" -e "s/@SIP_PORT@/$sip_port/g" -e "s/@NG_IP@/$srv_ip/g" \
	-e "s/@NG_PORT@/$ng_port/g" -e "s/@UAS_IP@/$ua_ip/g" -e "s/@UAS_PORT@/5080/g" \
	"$here/kamailio/kamailio.cfg.in" >"$tmp/kamailio.cfg"
ip netns exec "$nsa" kamailio -f "$tmp/kamailio.cfg" -DD -E -m 32 -M 4 -Y "$tmp/kamailio.run" \
	-P "$tmp/kamailio.pid" -w "$tmp" >"$tmp/kamailio.log" 2>&1 &
kam_pid=$!
kam_up() { ip netns exec "$nsa" ss -Huln | grep -q "$srv_ip:$sip_port "; }
for _ in $(seq 100); do
	kam_up && break
	kill -0 "$kam_pid" 2>/dev/null || break
	sleep 0.1
done
tl_check bridge_browser_kamailio_starts 'kill -0 $kam_pid 2>/dev/null && kam_up' \
	"$tmp/kamailio.log" || exit 1

# --- the browser, the user agents and the PBX in B
start=$(date +%s)
mkdir -p "$tmp/out"
variants=${BRIDGE_BROWSER_VARIANTS:-to-pbx to-browser}
# what the TURN server sends the browser, seen on B's end of the veth
ip netns exec "$nsb" /usr/bin/python3 "$here/turn_sniff.py" "$nsb" "$srv_ip" "$port" \
	"$tmp/sniff.json" 2>"$tmp/sniff.err" &
sniff_pid=$!
tl_wait_log "$tmp/sniff.json.ready" ready "$sniff_pid"
tl_setup bridge_browser_sniffer_starts 'kill -0 $sniff_pid 2>/dev/null' "$tmp/sniff.err"
# shellcheck disable=SC2086 # one argument per variant
tl_browser_node 110 bridge_run.js "$tmp/ice.json" "$srv_ip:$ng_port" "$srv_ip:$sip_port" \
	"$ua_ip" "$tmp/out" $variants
if ! tl_browser_run_done bridge_browser bridge_run.js $rc; then
	tl_browser_out_tails 40
	echo "  kamailio log (last 30 lines):"
	tail -n 30 "$tmp/kamailio.log" | sed 's/^/  | /'
	tl_browser_server_log "the failed run"
fi

# --- on the wire toward the browser (inside TURN): SRTP and SRTCP only. A
# 20 ms PCMU packet from the PBX is 172 bytes as plain RTP; as SRTP it
# carries a 4, 10 or 16-byte tag. The PBX sends a sender report a second.
kill "$sniff_pid"
wait "$sniff_pid"
# sniffed PYTHON-CONDITION: the condition holds of the sniffer's JSON, j
sniffed() {
	/usr/bin/python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(not eval(sys.argv[2]))' "$tmp/sniff.json" "$1" 2>/dev/null
}
echo "  toward the browser: $(cat "$tmp/sniff.json" 2>/dev/null)"
only_srtp() {
	sniffed 'sum(j["rtp_lengths"].values()) > 200 and set(j["rtp_lengths"]) <= {"176", "182", "188"}'
}
tl_check bridge_browser_gets_only_srtp_from_anchor only_srtp "$tmp/sniff.json"
tl_check bridge_browser_gets_only_srtcp_from_anchor \
	"sniffed 'j[\"rtcp\"] > 0 and j[\"rtcp_plain\"] == 0'" "$tmp/sniff.json"

# --- Kamailio logged no error; both stop cleanly
tl_check bridge_browser_kamailio_logs_no_error '! grep -E "ERROR|CRITICAL" "$tmp/kamailio.log" \
	>"$tmp/kam.err"' "$tmp/kam.err"
tl_stop "$kam_pid" 50
tl_browser_server_stops bridge_browser
if [ -n "$BRIDGE_BROWSER_KEEP" ] && mkdir -p "$BRIDGE_BROWSER_KEEP" &&
	cp -r "$tmp"/* "$BRIDGE_BROWSER_KEEP"/; then
	echo "  files kept in $BRIDGE_BROWSER_KEEP"
fi

exit $failed
