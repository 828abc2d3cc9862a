#!/bin/sh
# test_anchor_latch.sh BUILD_DIR: hijack attempts on anchored calls ("RTP
# Bleed"), in a network namespace of its own where loopback also carries,
# once the server is up, a caller (198.51.100.10, moving to .11), a callee
# (198.51.100.20), an attacker (198.51.100.66) and an internal host
# (10.9.9.9). anchor_latch.py plays the SIP proxy, the parties and the
# attacker against one server per mode: strict (no loopback peers): a spray
# over the whole media port range, a well-formed stream racing the parties
# to their ports, an unauthenticated STUN request under force-relay and
# ICE=force toward a PBX that answers without ICE all leave the call with
# the real parties; a=rtcp naming loopback or an internal host gets no
# RTCP. loopback (allow-loopback-peers): media aimed at the ng port
# runs no command (test_anchor_own.sh: ng requests from the
# server's own sockets). Each server must stop
# cleanly, with no sanitizer report. Prints one "PASS: name" or "FAIL:
# name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
python=/usr/bin/python3
here=$(dirname "$0")
hosts="198.51.100.10 198.51.100.11 198.51.100.20 198.51.100.66 10.9.9.9"

# run_mode MODE [SERVER ARGS...]: a fresh server, then anchor_latch.py MODE.
run_mode() {
	mode=$1
	shift
	base=$(tl_free_port_block 102) || { tl_fail "free ports for $mode"; return; }
	port=$base ng=$((base + 1)) min=$((base + 2)) max=$((base + 101))
	# the log of an earlier server has its own "ready:" line
	rm -f "$tmp/server.log"
	"$bin/turnserver" -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
		--listening-port "$port" --min-port "$min" --max-port "$max" \
		-u alice:secret --userdb "$tmp/turn.db" --relay-threads 2 \
		--log-file "$tmp/server.log" --pidfile "$tmp/server.pid" \
		--anchor-ng-listen "127.0.0.1:$ng" "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
	srv_pid=$!
	pids="$pids $srv_pid"
	if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
		tl_server_output
		tl_check "$mode: server starts" false "$tmp/out"
		return
	fi
	# the other hosts come up after the server read its own addresses:
	# they stand for hosts elsewhere, not for the server itself
	for a in $hosts; do ip addr add "$a/32" dev lo; done
	timeout 120 "$python" "$here/anchor_latch.py" "$mode" "$ng" "$min" "$max"
	[ $? -eq 0 ] || failed=1
	for a in $hosts; do ip addr del "$a/32" dev lo; done
	tl_check_turnserver_stops "$mode: server stops cleanly"
}

run_mode strict
run_mode loopback --allow-loopback-peers
exit $failed
