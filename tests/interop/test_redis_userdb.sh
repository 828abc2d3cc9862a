#!/bin/sh
# test_redis_userdb.sh BUILD_DIR: a malformed redis-userdb stops startup
# (naming the key, never the password). Our turnserver on a real redis-server (started
# here on a free 127.0.0.1 port with a password, stopped by PID) in coturn's
# key layout. Users written by Debian coturn's own turnadmin -N authenticate
# coturn's turnutils_uclient through our server (relayed to coturn's
# turnutils_peer with 0 lost); a wrong password fails; a clear-text
# password key (coturn's older layout) works; a user our turnadmin -N adds is
# listed by coturn's turnadmin and relays too; a secret coturn's turnadmin
# -s put there validates coturn's uclient -W on a use-auth-secret server
# (a wrong one fails); the realm's user-quota, max-bps and a denied peer
# range in Redis are read at startup (a permission to that peer is refused). Then
# Redis stops mid-test: an
# allocation made before keeps relaying to its end (0 lost), a new user's
# Allocate gets 500 and fails, the outage is logged once; Redis back (same
# data): that user's allocation succeeds without a restart of our server,
# and the server stops with status 0. One "PASS: name" or "FAIL: name" line
# per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

tl_require_tools "scripts/deps test installs redis-server" redis-server redis-cli
tl_require_coturn turnadmin turnutils_uclient turnutils_peer

# Port plan: base our server, base+1 Redis, base+2 (and +3) coturn's peer, base+5
# our second server (use-auth-secret); base+100..base+199 and
# base+200..base+299 their relay ports.
tl_port_plan 300
rport=$((base + 1)) peer=$((base + 2)) rest=$((base + 5)) maxp=$((base + 199))
realm=test.realm
rpass=redis-$$-pw
conn="ip=127.0.0.1 port=$rport dbname=2 password=$rpass connect_timeout=2"
export REDISCLI_AUTH="$rpass"

# start_redis: our redis-server, with a password (tl_start_redis).
start_redis() { tl_start_redis "$rport" --requirepass "$rpass"; }

# uclient USER PASSWORD [FLAGS...]: coturn's uclient, 2 clients x 20
# messages of 160 bytes, to coturn's peer through our server on ${to:-$srv};
# status in rc, output in $tmp/out.
uclient() {
	tl_u=$1 tl_w=$2
	shift 2
	tl_run /usr/bin/turnutils_uclient "$@" -u "$tl_u" -w "$tl_w" -m 2 -n 20 -l 160 \
		-p "${to:-$srv}" -e 127.0.0.1 -r "$peer" 127.0.0.1
}
relayed_ok() {
	[ "$rc" -eq 0 ] && grep -q "tot_recv_msgs=40\$" "$tmp/out" &&
		grep -q "Total lost packets 0 (" "$tmp/out"
}

# a malformed connection string stops startup, naming the key, not the password
timeout 20 "$bin/turnserver" -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
	--listening-port "$srv" --redis-userdb "ip=127.0.0.1 password=$rpass hots=x" \
	>"$tmp/out" 2>&1
rc=$?
check malformed_connection_string_refused_at_startup \
	'[ $rc -eq 1 ] && grep -q "unknown key .hots." "$tmp/out" && ! grep -q "$rpass" "$tmp/out"'

start_redis
# coturn's turnadmin writes its log under /var/log when it can; run it in $tmp
(cd "$tmp" && /usr/bin/turnadmin -a -N "$conn" -u alice -r "$realm" -p secret) \
	>"$tmp/out" 2>&1
rc=$?
check coturn_turnadmin_N_adds_alice \
	'[ $rc -eq 0 ] && [ -n "$(redis-cli -p "$rport" -n 2 get turn/realm/$realm/user/alice/key)" ]'
(cd "$tmp" && /usr/bin/turnadmin -a -N "$conn" -u bob -r "$realm" -p bobpw) >"$tmp/out" 2>&1
redis-cli -p "$rport" -n 2 set "turn/realm/$realm/user/carol/password" carolpw >/dev/null

# coturn 4.6's uclient picks channel numbers up to 0x7FFF (RFC 5766)
tl_start_turnserver "$srv" "$minp" "$maxp" -r "$realm" --rfc5766-channel-numbers \
	--redis-userdb "$conn"
/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.1 >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
rc=$?
tl_server_output
tl_setup turnserver_with_redis_userdb_starts "[ $rc -eq 0 ]" "$tmp/out"

uclient alice secret
check coturn_uclient_udp_user_from_coturn_turnadmin_relays relayed_ok
uclient alice wrong
check coturn_uclient_wrong_password_fails \
	'[ $rc -ne 0 ] && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'
uclient carol carolpw
check coturn_uclient_clear_text_password_key_relays relayed_ok

"$bin/turnadmin" -a -N "$conn" -u dave -r "$realm" -p davepw >"$tmp/out" 2>&1
rc=$?
(cd "$tmp" && /usr/bin/turnadmin -l -N "$conn") >>"$tmp/out" 2>&1
check our_turnadmin_N_user_listed_by_coturn_turnadmin \
	'[ $rc -eq 0 ] && grep -q "^dave\[$realm\]" "$tmp/out"'
uclient dave davepw
check coturn_uclient_user_from_our_turnadmin_relays relayed_ok

# --- TURN REST API secrets that coturn's turnadmin -s put in Redis, for a
# second server with use-auth-secret (and no static-auth-secret)
(cd "$tmp" && /usr/bin/turnadmin -s logen -N "$conn" -r "$realm") >"$tmp/out" 2>&1
# and the realm's options and peer ranges in coturn's keys, read at startup
(cd "$tmp" && /usr/bin/turnadmin -g --user-quota 50 -N "$conn" -r "$realm") >>"$tmp/out" 2>&1
(cd "$tmp" && /usr/bin/turnadmin -g --max-bps 9000000 -N "$conn" -r "$realm") >>"$tmp/out" 2>&1
redis-cli -p "$rport" -n 2 set turn/denied-peer-ip/1 127.0.0.9 >/dev/null
"$bin/turnserver" -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 --listening-port "$rest" \
	--min-port $((base + 200)) --max-port $((base + 299)) -r "$realm" \
	--rfc5766-channel-numbers --allow-loopback-peers --relay-threads 2 --use-auth-secret \
	--redis-userdb "$conn" --log-file "$tmp/rest.log" >"$tmp/rest.out" 2>&1 &
rest_pid=$!
pids="$pids $rest_pid"
tl_wait_log "$tmp/rest.log" "ready:" "$rest_pid"
rc=$?
cat "$tmp/rest.out" "$tmp/rest.log" >"$tmp/out"
tl_setup use_auth_secret_server_with_redis_starts "[ $rc -eq 0 ]" "$tmp/out"
check realm_options_and_denied_range_read_from_redis \
	'grep -q "user-quota 50" "$tmp/out" && grep -q "max-bps 9000000" "$tmp/out" &&
	 grep -q "1 denied-peer-ip range" "$tmp/out"'
to=$rest uclient alice unused -W logen
check coturn_uclient_W_secret_from_coturn_turnadmin_s_relays relayed_ok
tl_run /usr/bin/turnutils_uclient -W logen -u alice -m 1 -n 5 -p "$rest" -e 127.0.0.9 \
	-r "$peer" 127.0.0.1
check peer_denied_by_redis_range_refused \
	'[ $rc -ne 0 ] && grep -q "403" "$tmp/out" && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'
to=$rest uclient alice unused -W not-the-secret
check coturn_uclient_W_wrong_secret_fails \
	'[ $rc -ne 0 ] && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'
tl_stop "$rest_pid"
rc=$?
cat "$tmp/rest.out" >"$tmp/out"
check use_auth_secret_server_exits_0 '[ $rc -eq 0 ] && tl_no_sanitizer_report "$tmp/rest.out"'

# --- Redis goes away under live allocations: uclient -m 1 makes 2 clients, 150
# messages each, 20 ms apart
redis-cli -p "$rport" save >/dev/null
before=$(grep -c "allocation for 'alice'" "$tmp/server.log")
/usr/bin/turnutils_uclient -u alice -w secret -m 1 -n 150 -l 160 -z 20 -p "$srv" \
	-e 127.0.0.1 -r "$peer" 127.0.0.1 >"$tmp/live.out" 2>&1 &
live_pid=$!
pids="$pids $live_pid"
# its 2 allocations are in place once the server logged them
for _ in $(seq 100); do
	[ "$(grep -c "allocation for 'alice'" "$tmp/server.log")" -ge $((before + 2)) ] && break
	sleep 0.1
done
tl_stop "$redis_pid"
uclient bob bobpw
check new_allocation_fails_while_redis_is_down \
	'[ $rc -ne 0 ] && grep -q "500" "$tmp/out" && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'
uclient bob bobpw -t
check new_tcp_allocation_fails_while_redis_is_down \
	'[ $rc -ne 0 ] && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'
wait "$live_pid"
rc=$?
tl_forget "$live_pid"
cp "$tmp/live.out" "$tmp/out"
check live_allocation_keeps_relaying_while_redis_is_down \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=300\$" "$tmp/out" &&
	 grep -q "Total lost packets 0 (" "$tmp/out"'
tl_server_output
check outage_logged_once \
	'[ "$(grep -c "user store unreachable" "$tmp/server.log")" -eq 1 ]'

start_redis
# the store is tried again at most once a second: the first try may still fail
for _ in 1 2 3 4 5; do
	uclient bob bobpw
	relayed_ok && break
	sleep 1
done
check new_allocation_succeeds_when_redis_is_back relayed_ok
tl_server_output
check redis_return_logged '[ "$(grep -c "user store reachable again" "$tmp/server.log")" -eq 1 ]'

tl_check_turnserver_stops server_exits_0_on_sigterm
exit $failed
