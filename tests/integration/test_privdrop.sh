#!/bin/sh
# tier: full
# Scenario: running turnserver as a service (issue 14 "Running it"), in a
# network namespace of the test's own with a veth pair to a second one
# (cli: 10.9.0.2, ours: 10.9.0.1 on device vs). 1) Started as root with
# proc-user=nobody and proc-group=nogroup, the server relays, and
# /proc/PID/status shows uid and gid nobody/nogroup, no other group and no
# capability; with min-port below 1024 it keeps CAP_NET_BIND_SERVICE alone
# (permitted, effective, ambient), relays from a port below 1024 and serves
# metrics on prometheus-port 899 (both bound after the drop); its
# pid file is removed on exit. 2) listening-device=vs: a Binding from cli
# over vs is answered, one over loopback is not; relay-device=vs: a peer
# behind vs gets relayed data, a loopback peer does not (it does without
# relay-device); a device that does not exist stops startup naming it.
# 3) daemon (-o): the command returns at once with status 0, the pid file
# holds the daemon's pid (no session of ours, stdio on /dev/null), SIGTERM
# stops it and removes the pid file; a daemon that fails to start returns
# 1 with the reason. Usage: test_privdrop.sh BUILD_DIR
# shellcheck disable=SC2016,SC2034 # tl_check evals its condition later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
bin=$(cd "$bin" && pwd) || exit 1
user=nobody group=nogroup
uid=$(id -u $user) gid=$(getent group $group | cut -d: -f3)
if [ -z "$uid" ] || [ -z "$gid" ]; then
	echo "FAIL: user $user and group $group exist"
	exit 1
fi

cns=privcli$$
tl_netns="$tl_netns $cns"
for step in "netns add $cns" "-n $cns link set lo up" "link add vs type veth peer name vc netns $cns" \
	"addr add 10.9.0.1/24 dev vs" "-n $cns addr add 10.9.0.2/24 dev vc" "link set vs up" \
	"-n $cns link set vc up"; do
	# shellcheck disable=SC2086 # the step's words are ip's arguments
	tl_netns_step "client" $step
done
tl_port_plan 300
peer_port=$((base + 1))
"$bin/turnutils_peer" -p "$peer_port" -L 127.0.0.1 >/dev/null 2>&1 &
pids="$pids $!"
ip netns exec "$cns" "$bin/turnutils_peer" -p "$peer_port" -L 10.9.0.2 >/dev/null 2>&1 &
pids="$pids $!"
# nobody must reach its pid file's directory to remove it
chmod 711 "$tmp"
mkdir "$tmp/run" && chown "$user:$group" "$tmp/run"

# status_field PID KEY: the value of "KEY:" in /proc/PID/status, tabs as spaces
# shellcheck disable=SC2317 # called in tl_check's conditions
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr '\t' ' ' | sed 's/ *$//'; }

# start NAME ARGS...: a server with its log in $tmp/NAME.log; waits for ready
start() {
	name=$1
	shift
	"$bin/turnserver" -n --listening-port "$srv" -u alice:secret --userdb "$tmp/turn.db" \
		--allow-loopback-peers --relay-threads 2 --kernel-offload off \
		--log-file "$tmp/$name.log" "$@" >"$tmp/server.out" 2>"$tmp/server.err" &
	srv_pid=$!
	pids="$pids $srv_pid"
	tl_wait_log "$tmp/$name.log" "ready:" "$srv_pid"
}

# relay PEER_IP: one client, 10 messages through the server to the peer and back
relay() {
	timeout 30 "$bin/turnutils_uclient" -u "${ruser:-alice}" -w "${rpass:-secret}" -e "$1" -r "$peer_port" -p "$srv" \
		-n 10 -z 5 --timeout 2 ${2:+-v} 127.0.0.1 >"$tmp/out" 2>&1
}

# --- 1. proc-user and proc-group
# bob lives in the SQLite store, opened as root before the drop
"$bin/turnadmin" -a -u bob -r turnserver -p bobpass -b "$tmp/turn.db" >"$tmp/out" 2>&1 ||
	tl_setup "turnadmin adds bob" false "$tmp/out"
start drop --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --min-port "$minp" --max-port "$maxp" \
	--proc-user "$user" --proc-group "$group" --pidfile "$tmp/run/server.pid"
rc=$?
tl_server_output
tl_check "started as root with proc-user=$user, the server becomes ready" '[ $rc -eq 0 ]' "$tmp/out"
p=$srv_pid
tl_check "its uids are all $user's ($uid)" \
	'[ "$(status_field $p Uid)" = "$uid $uid $uid $uid" ]' "/proc/$p/status"
tl_check "its gids are all $group's ($gid) and it has no other group" \
	'[ "$(status_field $p Gid)" = "$gid $gid $gid $gid" ] && [ "$(status_field $p Groups)" = "$gid" ]' \
	"/proc/$p/status"
tl_check "with kernel offload off and relay ports above 1023 it keeps no capability" \
	'[ "$(status_field $p CapEff)" = 0000000000000000 ] &&
	 [ "$(status_field $p CapPrm)" = 0000000000000000 ] &&
	 [ "$(status_field $p CapAmb)" = 0000000000000000 ]' "/proc/$p/status"
tl_check "its threads (main and 2 workers at least) all run as $user with no capability" \
	'[ "$(grep -l "^Uid:.$uid.$uid.$uid.$uid\$" /proc/$p/task/*/status | wc -l)" -ge 3 ] &&
	 ! grep -L "^Uid:.$uid.$uid.$uid.$uid\$" /proc/$p/task/*/status | grep -q . &&
	 ! grep "^CapEff:" /proc/$p/task/*/status | grep -vq "0000000000000000"' "/proc/$p/status"
relay 127.0.0.1
rc=$?
tl_check "as $user it allocates and relays to a peer" '[ $rc -eq 0 ]' "$tmp/out"
ruser=bob rpass=bobpass relay 127.0.0.1
tl_check "as $user it still reads its SQLite store: bob of the store relays" '[ $? -eq 0 ]' "$tmp/out"
tl_check "the log says whom it became and what it kept" \
	'grep -q "proc-user $user: now uid $uid, gid $gid; capabilities kept: none" "$tmp/drop.log"' \
	"$tmp/drop.log"
tl_check "its pid file, written before the drop, holds its pid" \
	'[ "$(cat "$tmp/run/server.pid")" = "$p" ]' "$tmp/drop.log"
tl_check_turnserver_stops "as $user, SIGTERM stops it cleanly"
tl_check "as $user it removes its pid file on exit" \
	'[ ! -e "$tmp/run/server.pid" ] && grep -q "stopped" "$tmp/drop.log"' "$tmp/drop.log"

# relay ports below 1024 are bound after the drop: CAP_NET_BIND_SERVICE stays
start low --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --min-port 900 --max-port 999 \
	--proc-user "$user" --prometheus --prometheus-port 899 --prometheus-address 127.0.0.1
rc=$?
tl_server_output
tl_check "with min-port 900 and proc-user the server becomes ready" '[ $rc -eq 0 ]' "$tmp/out"
p=$srv_pid
tl_check "with min-port 900 it keeps CAP_NET_BIND_SERVICE alone, ambient too" \
	'[ "$(status_field $p CapEff)" = 0000000000000400 ] &&
	 [ "$(status_field $p CapPrm)" = 0000000000000400 ] &&
	 [ "$(status_field $p CapAmb)" = 0000000000000400 ] &&
	 [ "$(status_field $p Uid)" = "$uid $uid $uid $uid" ]' "/proc/$p/status"
relay 127.0.0.1 v
rc=$?
tl_check "as $user it relays from a port below 1024" \
	'[ $rc -eq 0 ] && grep -Eq "127\.0\.0\.1:9[0-9][0-9]\>" "$tmp/out"' "$tmp/out"
timeout 10 /usr/bin/python3 -c 'import sys, urllib.request
sys.stdout.write(urllib.request.urlopen("http://127.0.0.1:899/metrics", timeout=5).read().decode())' \
	>"$tmp/out" 2>&1
tl_check "as $user it serves metrics on prometheus-port 899, opened after the drop" \
	'[ $? -eq 0 ] && grep -q "^turnserver_workers 2" "$tmp/out"' "$tmp/out"
tl_check_turnserver_stops "with min-port 900, SIGTERM stops it cleanly"

"$bin/turnserver" -n --proc-user no-such-user-here >"$tmp/out" 2>&1
rc=$?
tl_check "an unknown proc-user stops startup naming it" \
	'[ $rc -eq 1 ] && grep -q "proc-user no-such-user-here: no such user" "$tmp/out"' "$tmp/out"

# --- 2. listening-device and relay-device
# binding: a STUN Binding to ADDR from namespace NS ("" ours); status 0 if answered
binding() {
	if [ -n "$2" ]; then
		timeout 10 ip netns exec "$2" "$bin/turnutils_stunclient" -p "$srv" "$1" >"$tmp/out" 2>&1
	else
		timeout 10 "$bin/turnutils_stunclient" -p "$srv" "$1" >"$tmp/out" 2>&1
	fi
}
# no listening-ip: the addresses of vs only
start dev --listening-device vs --relay-ip 127.0.0.1 --min-port "$minp" --max-port "$maxp"
rc=$?
tl_server_output
tl_check "with listening-device=vs the server becomes ready" '[ $rc -eq 0 ]' "$tmp/out"
binding 10.9.0.1 "$cns"
tl_check "listening-device=vs: a Binding arriving on vs is answered" '[ $? -eq 0 ]' "$tmp/out"
binding 127.0.0.1
tl_check "listening-device=vs: a Binding arriving on lo is not" \
	'[ $? -ne 0 ] && kill -0 $srv_pid && binding 10.9.0.1 "$cns"' "$tmp/out"
tl_check "listening-device=vs without listening-ip: it listens on the addresses of vs only" \
	'grep -q "listening on 10.9.0.1:$srv" "$tmp/dev.log" && [ "$(grep -c "listening on " "$tmp/dev.log")" -eq 1 ]' \
	"$tmp/dev.log"
tl_check_turnserver_stops "with listening-device, SIGTERM stops it cleanly"

start nodev --listening-ip 127.0.0.1 --relay-ip 10.9.0.1 --min-port "$minp" --max-port "$maxp" \
	--allowed-peer-ip 10.9.0.2
rc=$?
tl_server_output
tl_check "without relay-device the server becomes ready" '[ $rc -eq 0 ]' "$tmp/out"
relay 127.0.0.1
tl_check "without relay-device, relayed data reaches a loopback peer" '[ $? -eq 0 ]' "$tmp/out"
tl_stop "$srv_pid"

# no relay-ip: the address of vs
start rdev --listening-ip 127.0.0.1 --min-port "$minp" --max-port "$maxp" \
	--allowed-peer-ip 10.9.0.2 -i vs --proc-user "$user"
rc=$?
tl_server_output
tl_check "with relay-device=vs and proc-user the server becomes ready" '[ $rc -eq 0 ]' "$tmp/out"
tl_check "relay-device=vs without relay-ip: the relay address is that of vs" \
	'grep -q "relay IPv4 10.9.0.1\$" "$tmp/rdev.log"' "$tmp/rdev.log"
relay 10.9.0.2
tl_check "relay-device=vs: relayed data reaches a peer behind vs and comes back" '[ $? -eq 0 ]' \
	"$tmp/out"
relay 127.0.0.1
rc=$?
tl_check "relay-device=vs: relayed data does not reach a loopback peer" '[ $rc -eq 2 ]' "$tmp/out"
tl_check_turnserver_stops "with relay-device, SIGTERM stops it cleanly"

for opt in listening-device relay-device; do
	timeout 20 "$bin/turnserver" -n --listening-ip 127.0.0.1 --listening-port "$srv" \
		--relay-ip 127.0.0.1 --min-port "$minp" --max-port "$maxp" --userdb "$tmp/turn.db" \
		-u alice:secret --kernel-offload off --$opt nosuchdev0 >"$tmp/out" 2>&1
	rc=$?
	tl_check "$opt=nosuchdev0 stops startup naming the device" \
		'[ $rc -eq 1 ] && grep -q "$opt nosuchdev0: no such network device" "$tmp/out"' "$tmp/out"
done

# --- 3. daemon
timeout 20 "$bin/turnserver" -n -o --listening-ip 127.0.0.1 --listening-port "$srv" \
	--relay-ip 127.0.0.1 --min-port "$minp" --max-port "$maxp" --userdb "$tmp/turn.db" \
	-u alice:secret --allow-loopback-peers --kernel-offload off --log-file "$tmp/daemon.log" \
	--pidfile "$tmp/run/daemon.pid" --proc-user "$user" >"$tmp/out" 2>&1
rc=$?
dpid=$(cat "$tmp/run/daemon.pid" 2>/dev/null)
if [ -n "$dpid" ]; then pids="$pids $dpid"; else dpid=0; fi
cat "$tmp/daemon.log" >>"$tmp/out" 2>/dev/null
tl_check "daemon: the command returns 0 once the server is ready" \
	'[ $rc -eq 0 ] && grep -q "ready:" "$tmp/daemon.log"' "$tmp/out"
tl_check "daemon: the pid file holds the running daemon's pid" \
	'[ -n "$dpid" ] && kill -0 "$dpid" && grep -q "^Name:.turnserver" /proc/$dpid/status' "$tmp/out"
tl_check "daemon: it left our session and its stdio is /dev/null" \
	'[ "$(cut -d" " -f6 /proc/$dpid/stat)" != "$(cut -d" " -f6 /proc/$$/stat)" ] &&
	 [ "$(readlink /proc/$dpid/fd/0)$(readlink /proc/$dpid/fd/1)$(readlink /proc/$dpid/fd/2)" = \
	   /dev/null/dev/null/dev/null ]' "$tmp/out"
relay 127.0.0.1
tl_check "daemon: it relays" '[ $? -eq 0 ]' "$tmp/out"
[ "$dpid" != 0 ] && kill -TERM "$dpid"
tl_wait_exit "$dpid"
tl_check "daemon: SIGTERM stops it and it removes its pid file" \
	'! kill -0 "$dpid" 2>/dev/null && [ ! -e "$tmp/run/daemon.pid" ] && grep -q "stopped" "$tmp/daemon.log"' \
	"$tmp/daemon.log"
tl_forget "$dpid"

timeout 20 "$bin/turnserver" -n -o --listening-ip 127.0.0.1 --listening-port "$srv" \
	--relay-ip 127.0.0.1 --min-port "$minp" --max-port "$maxp" --userdb "$tmp/turn.db" \
	-u alice:secret --kernel-offload off --log-file "$tmp/daemon2.log" \
	--pidfile "$tmp/run/daemon2.pid" --relay-device nosuchdev0 >"$tmp/out" 2>&1
rc=$?
tl_check "daemon: a daemon that cannot start returns 1 and says why" \
	'[ $rc -eq 1 ] && grep -q "relay-device nosuchdev0: no such network device" "$tmp/daemon2.log" &&
	 grep -q "the daemon stopped before it was ready" "$tmp/out"' "$tmp/out"

exit $failed
