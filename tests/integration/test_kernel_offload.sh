#!/bin/sh
# test_kernel_offload.sh BUILD_DIR: kernel-offload on a host without the
# turnrelay module (the guest test, tests/kernel, runs it with the module).
# off: the null engine, said once, no netlink touched, TURN channels relayed
# in userspace (the allocation's end line counts every packet as
# turnserver's and none as the kernel's); auto: falls back to the null
# engine and says why; on: startup stops with a clear message; a bad value
# is refused by name. In a network namespace of its own. Prints one
# "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"

if [ -d /sys/module/turnrelay ]; then
	echo "PASS: kernel-offload-host (turnrelay is loaded here: the guest test covers it; nothing to check)"
	exit 0
fi
base=$(tl_free_port_block 12) || { tl_fail "free ports"; exit 1; }
port=$base peer=$((base + 1)) min=$((base + 2)) max=$((base + 11))
"$bin/turnutils_peer" -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
pids="$pids $!"

# relay MODE: a server with kernel-offload=MODE, 30 ChannelData each way
# through one client, then the server stopped; its log in $tmp/server.log
relay() {
	rm -f "$tmp/server.log"
	tl_start_turnserver "$port" "$min" "$max" --kernel-offload "$1"
	if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
		tl_server_output
		tl_check "kernel-offload=$1 starts" false "$tmp/out"
		return 1
	fi
	tl_run "$bin/turnutils_uclient" -u alice -w secret -e 127.0.0.1 -r "$peer" -p "$port" \
		-n 30 -z 5 -l 160 127.0.0.1
	cp "$tmp/out" "$tmp/uc.out"
	tl_wait_log "$tmp/server.log" "ended:" "$srv_pid"
	tl_check_turnserver_stops "kernel-offload=$1: server stops cleanly"
}

relay off
tl_check "kernel-offload=off: null engine said once" \
	'[ "$(grep -c "kernel offload: null engine (kernel-offload=off)" "$tmp/server.log")" -eq 1 ]' \
	"$tmp/server.log"
tl_check "kernel-offload=off: channels relayed intact" \
	'grep -q "messages received: 30 (duplicates 0, corrupt 0" "$tmp/uc.out"' "$tmp/uc.out"
tl_check "kernel-offload=off: turnserver relayed every packet, the kernel none" \
	'grep -q "relayed by turnserver 30 packets to peers, 30 to the client; by the kernel 0 packets" "$tmp/server.log"' \
	"$tmp/server.log"

relay auto
tl_check "kernel-offload=auto without the module: null engine and why" \
	'grep -q "kernel offload: null engine (kernel-offload=auto): turnrelay module not loaded" "$tmp/server.log"' \
	"$tmp/server.log"
tl_check "kernel-offload=auto without the module: channels relayed intact" \
	'grep -q "messages received: 30 (duplicates 0, corrupt 0" "$tmp/uc.out"' "$tmp/uc.out"

tl_run "$bin/turnserver" -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --listening-port "$port" \
	--min-port "$min" --max-port "$max" -u alice:secret --userdb "$tmp/turn2.db" --kernel-offload on
tl_check "kernel-offload=on without the module: startup stops and says why" \
	'[ $rc -ne 0 ] && grep -q "kernel-offload=on but the turnrelay engine is not usable: turnrelay module not loaded" "$tmp/out"' \
	"$tmp/out"
tl_run "$bin/turnserver" -n --kernel-offload maybe
tl_check "kernel-offload bad value refused by name" \
	'[ $rc -ne 0 ] && grep -q "bad value .maybe. for kernel-offload" "$tmp/out"' "$tmp/out"
exit $failed
