#!/bin/sh
# test_coturn_mobility.sh BUILD_DIR: RFC 8016 mobility against an independent
# client, Debian's coturn turnutils_uclient -M, on loopback. With
# `mobility` (four relay threads), each of its clients allocates with an
# empty MOBILITY-TICKET, reopens its socket on a new port and sends its
# Refresh with the ticket from there: every allocation moves (the server
# logs each move), and all the data it then relays through the peer comes
# back, none lost. The admin interface (web-admin) lists a moved
# allocation once, at its new address, and its cancel ends it on the worker
# that runs it now. Without `mobility` the same client gets 405 (Mobility
# Forbidden). Both servers stop with status 0, no sanitizer report. One
# "PASS: name" or "FAIL: name" line per check. About 10 s.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }
clients=4 msgs=10

tl_require_coturn turnutils_uclient turnutils_peer
tl_setup "curl installed" 'command -v curl >/dev/null'
base=$(tl_free_port_block 80) || { echo "FAIL: no free port block"; exit 1; }
peer=$((base + 2)) wa=$((base + 3))
url=http://127.0.0.1:$wa
"$bin/turnadmin" -A -b "$tmp/turn.db" -u root -p rootpass >"$tmp/out" 2>&1
tl_setup "turnadmin -A" '[ $? -eq 0 ]' "$tmp/out"
/usr/bin/turnutils_peer -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
pids="$pids $!"

# coturn 4.6's uclient picks channel numbers up to 0x7FFF
tl_start_turnserver "$base" $((base + 10)) $((base + 79)) --mobility --relay-threads 4 \
	--rfc5766-channel-numbers --web-admin --web-admin-port "$wa"
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
tl_setup server_ready 'grep -q "ready:" "$tmp/server.log"' "$tmp/out"

tl_run /usr/bin/turnutils_uclient -M -u alice -w secret -m "$clients" -n "$msgs" -l 120 \
	-e 127.0.0.1 -r "$peer" -p "$base" 127.0.0.1
check coturn_uclient_M_relays_every_message_after_moving \
	"[ \$rc -eq 0 ] && grep -q 'tot_recv_msgs=$((clients * msgs))\$' \"\$tmp/out\" &&
	 grep -q 'Total lost packets 0 ' \"\$tmp/out\""
moves=$(grep -c "(mobility, worker" "$tmp/server.log")
tl_server_output 20
check "every_allocation_moved_to_its_new_port (moves: $moves)" "[ $moves -ge $clients ]"

# one client kept running: the admin interface sees its allocation where it moved
/usr/bin/turnutils_uclient -M -u alice -w secret -m 1 -n 200 -l 120 -e 127.0.0.1 -r "$peer" \
	-p "$base" 127.0.0.1 >"$tmp/uc.out" 2>&1 &
uc_pid=$!
pids="$pids $uc_pid"
for _ in $(seq 100); do
	[ "$(grep -c "(mobility, worker" "$tmp/server.log")" -gt "$moves" ] && break
	sleep 0.1
done
to=$(grep "(mobility, worker" "$tmp/server.log" | tail -n 1 | sed 's/.* to \([0-9.:]*\) (mobility.*/\1/')
curl -s -c "$tmp/jar" --data-urlencode name=root --data-urlencode password=rootpass \
	"$url/login" >/dev/null
token=$(curl -s -b "$tmp/jar" "$url/status" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' |
	head -n 1)
# api_moved: "id N" for the one allocation listed at $to, else "found N" (how many)
api_moved() {
	curl -s -b "$tmp/jar" "$url/api/allocations" | python3 -c 'import json, sys
a = [x for x in json.load(sys.stdin)["allocations"] if x["client"] == sys.argv[1]]
print("id", a[0]["id"]) if len(a) == 1 else print("found", len(a))' "$to" 2>/dev/null ||
		echo "found -1"
}
listed=$(api_moved)
id=${listed#id }
check "webadmin_lists_the_moved_allocation_once_at $to ($listed)" '[ "$listed" = "id $id" ]'
curl -s -b "$tmp/jar" -d "id=$id&csrf=$token" "$url/allocations/cancel" >/dev/null
check "webadmin_cancel_ends_the_moved_allocation" '[ "$(api_moved)" = "found 0" ]'
tl_stop "$uc_pid" 30
tl_check_turnserver_stops server_with_mobility_stops_cleanly

# the same client against a server without mobility
base2=$(tl_free_port_block 40) || { echo "FAIL: no free port block"; exit 1; }
mv "$tmp/server.log" "$tmp/server-mobility.log"
tl_start_turnserver "$base2" $((base2 + 10)) $((base2 + 39)) --rfc5766-channel-numbers
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
tl_setup server2_ready 'grep -q "ready:" "$tmp/server.log"' "$tmp/out"
tl_run /usr/bin/turnutils_uclient -M -u alice -w secret -m 1 -n 2 -l 120 \
	-e 127.0.0.1 -r "$peer" -p "$base2" 127.0.0.1
check without_mobility_coturn_uclient_M_gets_405 \
	'[ $rc -ne 0 ] && grep -q "error 405 (Mobility Forbidden)" "$tmp/out"'
tl_check_turnserver_stops server_without_mobility_stops_cleanly

exit "$failed"
