#!/bin/sh
# test_dtls_redis.sh BUILD_DIR: TURN over DTLS with coturn's Redis user
# store. A real redis-server (a free 127.0.0.1 port, stopped by PID) holds
# a user written by Debian coturn's turnadmin -N; our turnserver looks it up
# off the worker, so a DTLS client's authenticated request waits (parked on
# its DTLS session) and runs again when the store answers: our uclient -S
# and coturn's uclient -S relay through it with none lost. Then the server
# stops with status 0 (no sanitizer report). One "PASS: name" or
# "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

tl_require_tools "scripts/deps test installs redis-server and coturn" redis-server redis-cli \
	turnadmin turnutils_uclient turnutils_peer

# base our server (base+1 its TLS/DTLS port), base+2 Redis, base+4 (and +5)
# coturn's peer, base+100..base+199 relay ports
tl_port_plan 200
tls=$((base + 1)) rport=$((base + 2)) peer=$((base + 4))
conn="ip=127.0.0.1 port=$rport dbname=3 connect_timeout=2"
"$(dirname "$0")/../../scripts/test-cert" "$tmp" >"$tmp/out" 2>&1
tl_setup test_cert_made '[ -s "$tmp/server.pem" ]' "$tmp/out"

tl_start_redis "$rport"
# coturn's turnadmin writes its log under /var/log when it can; run it in $tmp
(cd "$tmp" && /usr/bin/turnadmin -a -N "$conn" -u dora -r test.realm -p dtlspw) >"$tmp/out" 2>&1
tl_setup coturn_turnadmin_adds_dora '[ $? -eq 0 ]' "$tmp/out"

"$bin/turnserver" -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --listening-port "$srv" \
	--tls-listening-port "$tls" --min-port "$minp" --max-port "$maxp" \
	--redis-userdb "$conn" -r test.realm --allow-loopback-peers --rfc5766-channel-numbers \
	--cert "$tmp/server.pem" --pkey "$tmp/server.key" --relay-threads 2 \
	--log-file "$tmp/server.log" >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
pids="$pids $srv_pid"
/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.1 >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
tl_setup server_ready 'grep -q "ready:" "$tmp/server.log"' "$tmp/out"

tl_run "$bin/turnutils_uclient" -S -E "$tmp/ca.pem" -u dora -w dtlspw -m 2 -n 20 -l 160 \
	-p "$tls" -e 127.0.0.1 -r "$peer" 127.0.0.1
check our_uclient_dtls_with_redis_user_40_received \
	'[ $rc -eq 0 ] && grep -q "^messages received: 40 " "$tmp/out"'
tl_run /usr/bin/turnutils_uclient -S -u dora -w dtlspw -m 2 -n 20 -l 160 \
	-p "$tls" -e 127.0.0.1 -r "$peer" 127.0.0.1
check coturn_uclient_dtls_with_redis_user_40_received \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=40$" "$tmp/out" &&
	 grep -q "Total lost packets 0 (" "$tmp/out"'
tl_run "$bin/turnutils_uclient" -S -u dora -w wrong -m 1 -n 5 -p "$tls" -e 127.0.0.1 \
	-r "$peer" 127.0.0.1
check dtls_wrong_password_fails_with_redis '[ $rc -eq 1 ]'
tl_check_turnserver_stops server_exits_0_on_sigterm
exit $failed
