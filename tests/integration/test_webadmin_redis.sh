#!/bin/sh
# test_webadmin_redis.sh BUILD_DIR: web-admin accounts in a Redis user
# store (redis-userdb), in coturn's layout: the hash turn/admin_user/NAME
# (password in coturn's "$5$" form, realm for an admin of one realm).
# Against a real redis-server on 127.0.0.1: an account made by our
# turnadmin -A -N and one made by coturn's are listed by both tools, only
# hashed in Redis; our turnserver with redis-userdb and web-admin lets both
# log in, refuses a wrong password, refuses an account of another realm,
# and refuses (and names) an account whose password Redis holds in clear;
# turnadmin -D removes an account. About 2 s. Needs redis-server,
# redis-cli, curl and coturn's turnadmin.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016,SC2034 # tl_check evals its condition, which reads the variables
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
tl_require_coturn turnadmin
for t in redis-server redis-cli curl; do
	tl_setup "$t installed (scripts/deps test)" 'command -v $t >/dev/null'
done

tl_port_plan 200
wa=$((base + 1)) rport=$((base + 2))
realm=example.org
rpass="rp-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
conn="ip=127.0.0.1 port=$rport dbname=3 password=$rpass connect_timeout=2"
export REDISCLI_AUTH="$rpass"
redis-server --port "$rport" --bind 127.0.0.1 --requirepass "$rpass" --dir "$tmp" --save '' \
	--appendonly no --daemonize no >"$tmp/redis.log" 2>&1 &
pids="$pids $!"
up=0
for _ in $(seq 100); do
	[ "$(redis-cli -p "$rport" ping 2>/dev/null)" = PONG ] && { up=1; break; }
	sleep 0.1
done
tl_setup "redis-server starts" '[ $up = 1 ]' "$tmp/redis.log"

"$bin/turnadmin" -A -N "$conn" -u root -p 'r00t pass' >"$tmp/admin.out" 2>&1 &&
	"$bin/turnadmin" -A -N "$conn" -u other -r other.org -p otherpw >>"$tmp/admin.out" 2>&1 &&
	/usr/bin/turnadmin -A -N "$conn" -u cot -r "$realm" -p cotpass >>"$tmp/admin.out" 2>&1 &&
	"$bin/turnadmin" -A -N "$conn" -u gone -p gonepw >>"$tmp/admin.out" 2>&1
tl_setup "turnadmin -A -N (ours and coturn's)" '[ $? -eq 0 ]' "$tmp/admin.out"
redis-cli -p "$rport" -n 3 hset turn/admin_user/plain password clearpw >/dev/null
"$bin/turnadmin" -D -N "$conn" -u gone >>"$tmp/admin.out" 2>&1
del_rc=$?
"$bin/turnadmin" -L -N "$conn" 2>&1 | sort >"$tmp/ours.list"
/usr/bin/turnadmin -L -N "$conn" 2>/dev/null | grep -v '^[0-9]*: ' | sort >"$tmp/coturn.list"
hash=$(redis-cli -p "$rport" -n 3 hget turn/admin_user/root password)
tl_check "webadmin_redis_accounts_shared_with_coturns_turnadmin (hashed, -D deletes)" \
	'[ $del_rc -eq 0 ] && grep -qx root "$tmp/ours.list" && grep -qx "cot\[$realm\]" "$tmp/ours.list" &&
	 grep -qx "other\[other.org\]" "$tmp/ours.list" && ! grep -q gone "$tmp/ours.list" &&
	 grep -q "^root" "$tmp/coturn.list" && grep -q "^cot" "$tmp/coturn.list" &&
	 case $hash in "\$5\$"*) true ;; *) false ;; esac' "$tmp/ours.list"

tl_start_turnserver "$srv" "$minp" "$maxp" --realm "$realm" --redis-userdb "$conn" \
	--web-admin --web-admin-port "$wa"
if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
	tl_server_output
	tl_setup "server starts" false "$tmp/out"
fi
url=http://127.0.0.1:$wa
login() {
	curl -s -o /dev/null -w '%{http_code}' --data-urlencode "name=$1" \
		--data-urlencode "password=$2" "$url/api/login"
}
s_root=$(login root 'r00t pass')
s_cot=$(login cot cotpass)
tl_check "webadmin_redis_accounts_log_in (ours $s_root, coturn's $s_cot)" \
	'[ "$s_root" = 200 ] && [ "$s_cot" = 200 ]'
s_wrong=$(login root wrong)
s_other=$(login other otherpw)
s_plain=$(login plain clearpw)
tl_check "webadmin_redis_refuses_wrong_password_other_realm_and_clear_password" \
	'[ "$s_wrong" = 401 ] && [ "$s_other" = 401 ] && [ "$s_plain" = 401 ] &&
	 tl_wait_log "$tmp/server.log" "admin .plain. has a password not in coturn"' "$tmp/server.log"
tl_check_turnserver_stops "webadmin_redis_server_exits_cleanly"
exit $failed
