#!/bin/sh
# test_webdiag.sh BUILD_DIR: the WebRTC diagnostic page of the admin
# interface (web-diagnostic), driven with curl. web-diagnostic without
# use-auth-secret stops the server with the reason; without web-diagnostic
# its routes are 404. With it, on a server with a static-auth-secret from a
# config file: /diagnostic and its script are served without logging in,
# the page under a policy allowing only its own script, the admin pages
# still need a session; /api/diagnostic/ice gives the STUN and TURN URLs on
# the host the page was asked from and TURN REST credentials that end
# within 10 minutes, which our uclient allocates and relays with; a
# malformed Host header gets 400, a cross-site request 403, and the 11th
# request within a minute from one address 429. After SIGHUP with a new
# static-auth-secret, newly minted credentials still allocate.
# About 3 s. Needs curl and python3.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016,SC2034 # tl_check evals its condition, which reads the variables
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
tl_setup "curl installed" 'command -v curl >/dev/null'

tl_port_plan 200
wa=$((base + 1)) peer=$((base + 2))
realm=example.org
url=http://127.0.0.1:$wa

# code [CURL ARGS...]: the HTTP status of one request
code() { curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@"; }
# ice: mints the page's credentials into $tmp/ice.json; prints the status
ice() { curl -s -o "$tmp/ice.json" -w '%{http_code}' "$@" "$url/api/diagnostic/ice"; }
# field NAME: the first iceServers entry's NAME (urls joined by spaces)
field() {
	python3 -c 'import json, sys
s = json.load(open(sys.argv[1]))["iceServers"][0][sys.argv[2]]
print(" ".join(s) if isinstance(s, list) else s)' "$tmp/ice.json" "$1" 2>/dev/null
}
# relay_with_minted: our uclient allocates over UDP with the minted
# credentials and relays 10 packets to the peer (status in uc_rc)
relay_with_minted() {
	timeout 60 "$bin/turnutils_uclient" -e 127.0.0.1 -r "$peer" -p "$srv" -u "$(field username)" \
		-w "$(field credential)" -n 10 127.0.0.1 >"$tmp/uclient.out" 2>&1
	uc_rc=$?
}

# --- web-diagnostic without use-auth-secret: refused by name
tl_start_turnserver "$srv" "$minp" "$maxp" --realm "$realm" --web-admin --web-admin-port "$wa" \
	--web-diagnostic
tl_wait_exit "$srv_pid" 100
wait "$srv_pid"
rc=$?
tl_forget "$srv_pid"
tl_check "webdiag_needs_use_auth_secret (exit $rc)" \
	'[ "$rc" -ne 0 ] && grep -q "web-diagnostic needs use-auth-secret" "$tmp/server.log"' \
	"$tmp/server.log"

# --- without web-diagnostic: no such page
tl_start_turnserver "$srv" "$minp" "$maxp" --realm "$realm" --web-admin --web-admin-port "$wa"
tl_setup "server without web-diagnostic starts" 'tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"' \
	"$tmp/server.log"
s_page=$(code "$url/diagnostic")
s_js=$(code "$url/diagnostic.js")
s_ice=$(ice)
tl_check "webdiag_off_by_default (page $s_page, script $s_js, credentials $s_ice)" \
	'[ "$s_page" = 404 ] && [ "$s_js" = 404 ] && [ "$s_ice" = 404 ]'
tl_stop "$srv_pid"
tl_forget "$srv_pid"

# --- with it, the secret from a config file (SIGHUP changes it below)
printf 'use-auth-secret\nstatic-auth-secret=first-secret\n' >"$tmp/turnserver.conf"
: >"$tmp/server.log"
# (tl_start_turnserver's server, but with -c instead of its -n)
"$bin/turnserver" -c "$tmp/turnserver.conf" --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
	--listening-port "$srv" --min-port "$minp" --max-port "$maxp" --userdb "$tmp/turn.db" \
	--allow-loopback-peers --relay-threads 2 --log-file "$tmp/server.log" --realm "$realm" \
	--web-admin --web-admin-port "$wa" --web-diagnostic >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
pids="$pids $srv_pid"
tl_setup "server with web-diagnostic starts" 'tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"' \
	"$tmp/server.log"
"$bin/turnutils_peer" -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
pids="$pids $!"
tl_wait_udp_port "$peer"

s_page=$(code "$url/diagnostic")
csp=$(sed -n 's/^Content-Security-Policy: \([^\r]*\).*/\1/p' "$tmp/headers")
tl_check "webdiag_page_served_without_login ($s_page; CSP: $csp)" \
	'[ "$s_page" = 200 ] && grep -q "src=\"/diagnostic.js\"" "$tmp/body" &&
	 echo "$csp" | grep -q "script-src .self.;" && ! echo "$csp" | grep -q "unsafe-eval\|script-src[^;]*unsafe-inline"'
s_js=$(code "$url/diagnostic.js")
tl_check "webdiag_script_served ($s_js)" \
	'[ "$s_js" = 200 ] && grep -qi "^Content-Type: text/javascript" "$tmp/headers" &&
	 grep -q RTCPeerConnection "$tmp/body"'
s_api=$(code "$url/api/status")
s_status=$(code "$url/status")
tl_check "webdiag_admin_pages_still_need_login (API $s_api, page $s_status)" \
	'[ "$s_api" = 401 ] && [ "$s_status" = 303 ]'

now=$(date +%s)
s_ice=$(ice)
user=$(field username)
expiry=${user%%:*}
urls=$(field urls)
tl_check "webdiag_credentials_minted ($s_ice: $user; $urls)" \
	'[ "$s_ice" = 200 ] && [ "${user#*:}" = web-diagnostic ] &&
	 [ "$expiry" -gt "$now" ] && [ "$expiry" -le $((now + 601)) ] &&
	 [ -n "$(field credential)" ] &&
	 echo "$urls" | grep -q "stun:127.0.0.1:$srv" &&
	 echo "$urls" | grep -q "turn:127.0.0.1:$srv?transport=udp" &&
	 echo "$urls" | grep -q "turn:127.0.0.1:$srv?transport=tcp"' "$tmp/ice.json"
relay_with_minted
tl_check "webdiag_minted_credentials_allocate_and_relay (uclient exit $uc_rc)" \
	'[ "$uc_rc" -eq 0 ]' "$tmp/uclient.out"

s_host=$(ice -H 'Host: <script>x</script>')
s_host2=$(ice -H 'Host: 127.0.0.1:99999')
tl_check "webdiag_bad_host_refused ($s_host, $s_host2)" '[ "$s_host" = 400 ] && [ "$s_host2" = 400 ]'
s_cross=$(ice -H 'Sec-Fetch-Site: cross-site')
tl_check "webdiag_cross_site_refused ($s_cross)" '[ "$s_cross" = 403 ]'
# one minted above (refused requests are not counted): 9 more, then 429
got=
for _ in $(seq 12); do
	got="$got $(ice)"
done
tl_check "webdiag_budget_per_address (statuses:$got)" \
	'echo "$got" | grep -q 429 && [ "$(echo "$got" | tr " " "\n" | grep -c 200)" -eq 9 ]'

# --- SIGHUP: a new static-auth-secret, and the page's credentials follow it
printf 'use-auth-secret\nstatic-auth-secret=second-secret\n' >"$tmp/turnserver.conf"
kill -HUP "$srv_pid"
tl_setup "SIGHUP reloads" 'tl_wait_log "$tmp/server.log" "configuration reloaded" "$srv_pid"' \
	"$tmp/server.log"
# a new source address: the budget of 127.0.0.1 is spent
s_ice=$(ice --interface 127.0.0.2)
relay_with_minted
tl_check "webdiag_credentials_follow_sighup ($s_ice, uclient exit $uc_rc)" \
	'[ "$s_ice" = 200 ] && [ "$uc_rc" -eq 0 ]' "$tmp/uclient.out"

tl_check_turnserver_stops "webdiag_server_exits_cleanly"
exit $failed
