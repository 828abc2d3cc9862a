#!/bin/sh
# tier: full
# test_metrics_more.sh BUILD_DIR: the metrics issue 15 still lacked, on a
# server whose user store and fleet use a real redis-server on 127.0.0.1,
# with a second server in the same fleet:
#  - turnserver_permissions and turnserver_channels: 2 each while our
#    uclient holds 2 allocations with a channel each, 0 once it deleted them;
#  - RFC 6062: turnserver_tcp_relayed_bytes_total counts what our uclient -T
#    spliced, the same in both directions;
#  - turnserver_store_lookups_total by result (found, not_found, error once
#    Redis is stopped) and turnserver_store_lookup_duration_seconds, a
#    histogram counting each lookup that reached Redis;
#  - turnserver_fleet_peers 1 and turnserver_fleet_redis_up 1, then 0 and 0
#    once Redis is stopped; no fleet gauges on a server without fleet;
#  - the page passes `promtool check metrics`;
#  - then a server with a SQLite store (looked up on the worker): its
#    lookups are counted and timed too.
# About 7 s. Needs redis-server, redis-cli, curl and promtool.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016,SC2034 # tl_check evals its condition, which reads the variables
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
for t in redis-server redis-cli curl promtool; do
	tl_setup "$t installed (scripts/deps test)" 'command -v $t >/dev/null'
done

tl_port_plan 200
metrics=$((base + 1)) rport=$((base + 2)) peer=$((base + 3)) srv2=$((base + 4))
realm=example.org
rpass="rp-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
conn="ip=127.0.0.1 port=$rport dbname=4 password=$rpass connect_timeout=1"
export REDISCLI_AUTH="$rpass"
tl_start_redis "$rport" --requirepass "$rpass"
"$bin/turnadmin" -a -N "$conn" -u bob -r "$realm" -p bobpw >"$tmp/admin.out" 2>&1
tl_setup "turnadmin -a -N adds bob" '[ $? -eq 0 ]' "$tmp/admin.out"

# the second server of the fleet: its own log and pidfile
mkdir -p "$tmp/two"
"$bin/turnserver" -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --listening-port "$srv2" \
	--min-port "$((minp + 50))" --max-port "$maxp" --relay-threads 1 --realm "$realm" \
	--redis-userdb "$conn" --fleet --fleet-interval 1 --fleet-ttl 3 \
	--log-file "$tmp/two/server.log" --pidfile "$tmp/two/server.pid" >"$tmp/two/out" 2>&1 &
two_pid=$!
pids="$pids $two_pid"
tl_start_turnserver "$srv" "$minp" "$((minp + 49))" --realm "$realm" --redis-userdb "$conn" \
	--fleet --fleet-interval 1 --fleet-ttl 3 --prometheus --prometheus-port "$metrics" \
	--prometheus-address 127.0.0.1
if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid" ||
	! tl_wait_log "$tmp/two/server.log" "ready:" "$two_pid"; then
	tl_server_output
	tl_setup "servers start" false "$tmp/two/out"
fi

url=http://127.0.0.1:$metrics/metrics
# value NAME_WITH_LABELS: the sample's value on the page now, or -1
value() {
	curl -sf "$url" 2>/dev/null | awk -v n="$1" '$1 == n { v = $2 } END { print v == "" ? -1 : v }'
}
# wait_for NAME VALUE: polls the page (up to 15 s) until NAME is VALUE; prints the last value
wait_for() {
	for _ in $(seq 150); do
		v=$(value "$1")
		[ "$v" = "$2" ] && break
		sleep 0.1
	done
	echo "$v"
}

peers=$(wait_for turnserver_fleet_peers 1)
rup=$(value turnserver_fleet_redis_up)
tl_check "fleet gauges: 1 live peer, Redis up ($peers, $rup)" '[ "$peers" = 1 ] && [ "$rup" = 1 ]'

# permissions and channels: 2 clients, a channel each, held
"$bin/turnutils_peer" -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
peer_pid=$!
pids="$pids $peer_pid"
tl_wait_udp_port "$peer"
timeout 60 "$bin/turnutils_uclient" -e 127.0.0.1 -r "$peer" -p "$srv" -u bob -w bobpw -m 2 -n 5 \
	-z 10 --hold 3 127.0.0.1 >"$tmp/uclient.out" 2>&1 &
uc_pid=$!
pids="$pids $uc_pid"
for _ in $(seq 150); do
	grep -q "^holding: 2 allocations" "$tmp/uclient.out" && break
	sleep 0.1
done
perms=$(wait_for turnserver_permissions 2)
chans=$(wait_for turnserver_channels 2)
tl_check "2 permissions and 2 channels live while uclient holds 2 allocations ($perms, $chans)" \
	'[ "$perms" = 2 ] && [ "$chans" = 2 ]' "$tmp/uclient.out"
wait "$uc_pid"
uc_rc=$?
tl_forget "$uc_pid"
perms=$(wait_for turnserver_permissions 0)
chans=$(wait_for turnserver_channels 0)
tl_check "0 permissions and 0 channels once uclient deleted them ($perms, $chans)" \
	'[ $uc_rc -eq 0 ] && [ "$perms" = 0 ] && [ "$chans" = 0 ]' "$tmp/uclient.out"

# RFC 6062: 2 clients x 20 messages of 160 bytes, each echoed by its partner:
# 4 x 3200 bytes client to peer, as many peer to client
tl_run "$bin/turnutils_uclient" -T -u bob -w bobpw -m 2 -n 20 -l 160 -z 5 -p "$srv" 127.0.0.1
cp "$tmp/out" "$tmp/tcprelay.out"
tp=$(value 'turnserver_tcp_relayed_bytes_total{direction="to_peer"}')
tc=$(value 'turnserver_tcp_relayed_bytes_total{direction="to_client"}')
tl_check "RFC 6062 bytes spliced counted both ways ($tp to peers, $tc to clients)" \
	'[ $rc -eq 0 ] && [ "$tp" = 12800 ] && [ "$tc" = 12800 ]' "$tmp/tcprelay.out"

# store lookups: bob found, an unknown user not found
tl_run "$bin/turnutils_uclient" -e 127.0.0.1 -r "$peer" -p "$srv" -u nobody -w x -m 1 -n 1 \
	127.0.0.1
found=$(value 'turnserver_store_lookups_total{result="found"}')
nf=$(value 'turnserver_store_lookups_total{result="not_found"}')
count=$(value turnserver_store_lookup_duration_seconds_count)
inf=$(value 'turnserver_store_lookup_duration_seconds_bucket{le="+Inf"}')
tl_check "store lookups by result and timed (found $found, not found $nf, histogram $count)" \
	'[ "$found" -ge 1 ] && [ "$nf" -ge 1 ] && [ "$count" -ge $((found + nf)) ] &&
	 [ "$inf" = "$count" ]'

curl -sf "$url" >"$tmp/page" 2>&1
promtool check metrics <"$tmp/page" >"$tmp/promtool.out" 2>&1
tl_check "promtool check metrics passes" '[ $? -eq 0 ] && [ ! -s "$tmp/promtool.out" ]' \
	"$tmp/promtool.out"

# Redis stopped: a new user's lookup fails, the fleet sees Redis down
tl_stop "$redis_pid"
tl_run "$bin/turnutils_uclient" -e 127.0.0.1 -r "$peer" -p "$srv" -u carol -w x -m 1 -n 1 \
	127.0.0.1
err=$(wait_for 'turnserver_store_lookups_total{result="error"}' 1)
rup=$(wait_for turnserver_fleet_redis_up 0)
peers=$(value turnserver_fleet_peers)
tl_check "Redis down: a store error counted ($err), fleet Redis down ($rup), no live peer ($peers)" \
	'[ "$err" -ge 1 ] && [ "$rup" = 0 ] && [ "$peers" = 0 ]'

tl_stop "$two_pid"
tl_check_turnserver_stops "server stops cleanly"

# the SQLite store, looked up on the worker itself: dave found and timed
"$bin/turnadmin" -a -b "$tmp/turn.db" -r "$realm" -u dave -p davepw >"$tmp/admin.out" 2>&1
tl_setup "turnadmin -a -b adds dave" '[ $? -eq 0 ]' "$tmp/admin.out"
mv "$tmp/server.log" "$tmp/server1.log"
tl_start_turnserver "$srv" "$minp" "$maxp" --realm "$realm" --prometheus \
	--prometheus-port "$metrics" --prometheus-address 127.0.0.1
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_run "$bin/turnutils_uclient" -e 127.0.0.1 -r "$peer" -p "$srv" -u dave -w davepw -m 1 -n 2 \
	127.0.0.1
found=$(value 'turnserver_store_lookups_total{result="found"}')
count=$(value turnserver_store_lookup_duration_seconds_count)
tl_check "SQLite store: lookups found ($found) and timed ($count)" \
	'[ $rc -eq 0 ] && [ "$found" -ge 1 ] && [ "$count" = "$found" ]' "$tmp/out"
tl_stop "$peer_pid"
tl_check_turnserver_stops "SQLite server stops cleanly"
exit $failed
