#!/bin/sh
# test_metrics.sh BUILD_DIR: the Prometheus metrics (prometheus,
# prometheus-port, prometheus-address) of a server with the anchor on. The
# page at /metrics passes `promtool check metrics`; other paths and methods
# are refused; then a real Prometheus server (Debian's, its own config and
# storage in the temp dir, on a free loopback port) scrapes ours every
# second while turnutils_uclient relays through it, and its HTTP query API
# returns the relayed-packets counter growing, the allocations gauge, and
# coturn's traffic names. No label holds the client's address or username.
# The server stops cleanly. Prints one "PASS: name" or "FAIL: name" line
# per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
python=/usr/bin/python3

for tool in promtool prometheus curl; do
	tl_setup "$tool installed (scripts/deps test)" 'command -v $tool >/dev/null'
done
tl_port_plan 200
metrics=$((base + 1)) peer=$((base + 2)) web=$((base + 3)) ngp=$((base + 4))
url=http://127.0.0.1:$metrics/metrics
tl_start_turnserver "$srv" "$minp" "$maxp" --prometheus --prometheus-port "$metrics" \
	--prometheus-address 127.0.0.1 --anchor-ng-listen "127.0.0.1:$ngp"
if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
	tl_server_output
	tl_setup "server starts" false "$tmp/out"
fi

curl -sf "$url" >"$tmp/page1" 2>&1
tl_check "GET /metrics serves the server's and the anchor's metrics" \
	'grep -q "^turn_total_allocations{" "$tmp/page1" &&
	 grep -q "^turnserver_anchor_calls " "$tmp/page1"' "$tmp/page1"
promtool check metrics <"$tmp/page1" >"$tmp/promtool.out" 2>&1
tl_check "promtool check metrics passes" '[ $? -eq 0 ] && [ ! -s "$tmp/promtool.out" ]' \
	"$tmp/promtool.out"
other=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$metrics/")
post=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url")
body=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -d x=y "$url")
big=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Big: $(printf '%010000d' 0)" "$url")
tl_check "other paths (404), methods (501), bodies (413), 10 KB headers (400) refused" \
	'[ "$other" = 404 ] && [ "$post" = 501 ] && [ "$body" = 413 ] && [ "$big" = 400 ]'

# a real Prometheus, scraping ours every second
mkdir -p "$tmp/prom"
cat >"$tmp/prom.yml" <<EOF2
global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: turnserver
    static_configs:
      - targets: ['127.0.0.1:$metrics']
EOF2
prometheus --config.file="$tmp/prom.yml" --storage.tsdb.path="$tmp/prom" \
	--web.listen-address="127.0.0.1:$web" >"$tmp/prom.log" 2>&1 &
prom_pid=$!
pids="$pids $prom_pid"
ready=0
for _ in $(seq 300); do
	curl -sf "http://127.0.0.1:$web/-/ready" >/dev/null 2>&1 && { ready=1; break; }
	kill -0 "$prom_pid" 2>/dev/null || break
	sleep 0.1
done
tl_setup "prometheus starts" '[ $ready = 1 ]' "$tmp/prom.log"

# query EXPR: the first sample's value of an instant query (an integer), or -1
query() {
	curl -sf "http://127.0.0.1:$web/api/v1/query" --data-urlencode "query=$1" |
		$python -c 'import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(int(float(r[0]["value"][1])) if r else -1)' 2>/dev/null || echo -1
}
# wait_above EXPR N: polls EXPR (up to 30 s) until it is above N; prints it
wait_above() {
	for _ in $(seq 150); do
		v=$(query "$1")
		[ "$v" -gt "$2" ] && break
		sleep 0.2
	done
	echo "$v"
}

# Prometheus has scraped ours once before the relaying starts
up=$(wait_above 'up{job="turnserver"}' 0)
tl_setup "prometheus scrapes the server" '[ "$up" = 1 ]' "$tmp/prom.log"

"$bin/turnutils_peer" -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
peer_pid=$!
pids="$pids $peer_pid"
tl_wait_udp_port "$peer"
timeout 60 "$bin/turnutils_uclient" -e 127.0.0.1 -r "$peer" -p "$srv" -u alice -w secret \
	-m 2 -n 400 -z 20 127.0.0.1 >"$tmp/uclient.out" 2>&1 &
uc_pid=$!
pids="$pids $uc_pid"

to_peer='sum(turnserver_relayed_packets_total{job="turnserver",direction="to_peer"})'
v1=$(wait_above "$to_peer" 0)
v2=$(wait_above "$to_peer" "$v1")
tl_check "Prometheus scrapes relayed packets growing while uclient relays ($v1 -> $v2)" \
	'[ "$v1" -gt 0 ] && [ "$v2" -gt "$v1" ]' "$tmp/prom.log"
allocs=$(wait_above 'max_over_time(turn_total_allocations{type="UDP",family="IPv4"}[1m])' 1)
tl_check "Prometheus saw the 2 UDP allocations (turn_total_allocations)" '[ "$allocs" -eq 2 ]'
rcvb=$(wait_above 'turn_total_traffic_rcvb' 0)
tl_check "coturn's turn_total_traffic_rcvb is scraped ($rcvb bytes)" '[ "$rcvb" -gt 0 ]'
auth=$(wait_above 'turnserver_auth_successes_total' 0)
tl_check "auth successes counted ($auth)" '[ "$auth" -gt 0 ]'

wait "$uc_pid"
rc=$?
tl_forget "$uc_pid"
tl_check "uclient relayed every message while scraped" '[ $rc -eq 0 ]' "$tmp/uclient.out"

curl -sf "$url" >"$tmp/page2" 2>&1
tl_check "no label holds the client's address or username" \
	'grep -q "^turnserver_relayed_packets_total" "$tmp/page2" &&
	 ! grep -q -e "127\.0\.0\.1" -e alice "$tmp/page2"' "$tmp/page2"

tl_stop "$prom_pid"
tl_stop "$peer_pid"
tl_check_turnserver_stops "server stops cleanly"
exit $failed
