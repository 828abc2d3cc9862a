#!/bin/sh
# test_coturn_mobility.sh BUILD_DIR: RFC 8016 mobility against an independent
# client, Debian's coturn turnutils_uclient -M, on loopback. With
# `mobility` (four relay threads), each of its clients allocates with an
# empty MOBILITY-TICKET, reopens its socket on a new port and sends its
# Refresh with the ticket from there: every allocation moves (the server
# logs each move), and all the data it then relays through the peer comes
# back, none lost. Without `mobility` the same client gets 405 (Mobility
# Forbidden). Both servers stop with status 0. One "PASS: name" or
# "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }
clients=4 msgs=10

for t in turnutils_uclient turnutils_peer; do
	[ -x "/usr/bin/$t" ] || { echo "FAIL: coturn_installed (/usr/bin/$t: apt-get install coturn)"; exit 1; }
done
base=$(tl_free_port_block 80) || { echo "FAIL: no free port block"; exit 1; }
peer=$((base + 2))
/usr/bin/turnutils_peer -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
pids="$pids $!"

# coturn 4.6's uclient picks channel numbers up to 0x7FFF
tl_start_turnserver "$base" $((base + 10)) $((base + 79)) --mobility --relay-threads 4 \
	--rfc5766-channel-numbers
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
