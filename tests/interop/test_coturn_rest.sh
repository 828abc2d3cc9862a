#!/bin/sh
# test_coturn_rest.sh BUILD_DIR: TURN REST API credentials (use-auth-secret)
# through OUR turnserver on loopback, with Debian coturn's
# `turnutils_uclient -W SECRET` (username EXPIRY:USER, password
# base64(HMAC-SHA1(secret, username)) made by coturn) relaying to coturn's
# turnutils_peer. Static secrets: the current and the previous of a rotation
# both work (UDP channels, TCP Send, and -C with the rest-api-separator), a
# wrong secret fails. Our uclient with credentials made by openssl: an
# expired timestamp and a username without one fail, a future one works,
# and so do the credentials of `turnadmin --ice-servers --ttl`. No secret
# shows in the server's output. Secrets in the store (no static-auth-secret):
# added with turnadmin -s while the server runs, they work at once; deleted
# with -X, they stop working. Prints one "PASS: name"/"FAIL: name" per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

for t in turnutils_uclient turnutils_peer; do
	if ! [ -x "/usr/bin/$t" ]; then
		echo "FAIL: coturn_installed (/usr/bin/$t missing: apt-get install coturn)"
		exit 1
	fi
done

base=$(tl_free_port_block 200) || { echo "FAIL: no free port block"; exit 1; }
srv=$base
peer=$((base + 20))
minp=$((base + 100))
maxp=$((base + 199))
old=rot-OLD-4c1f9e77
new=rot-NEW-b85d02a3
realm=rest.realm

/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.1 >"$tmp/peer.log" 2>&1 &
pids="$pids $!"

# coturn_ok NAME FLAGS...: coturn's uclient, 2 clients x 20 messages, all back
coturn_ok() {
	tl_name=$1
	shift
	tl_run /usr/bin/turnutils_uclient "$@" -m 2 -n 20 -l 120 -p "$srv" \
		-e 127.0.0.1 -r "$peer" 127.0.0.1
	check "$tl_name" '[ $rc -eq 0 ] && grep -q "tot_recv_msgs=40\$" "$tmp/out" &&
		grep -q "Total lost packets 0 (" "$tmp/out"'
}

coturn_fails() {
	tl_name=$1
	shift
	tl_run /usr/bin/turnutils_uclient "$@" -m 1 -n 5 -p "$srv" -e 127.0.0.1 -r "$peer" 127.0.0.1
	check "$tl_name" '[ $rc -ne 0 ] && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'
}

# rest_pass USER SECRET: base64(HMAC-SHA1(SECRET, USER)), made by openssl
rest_pass() { printf %s "$1" | openssl dgst -sha1 -hmac "$2" -binary | base64; }

# ours NAME ok|fail USER PASSWORD: our uclient, 1 client x 5 messages
ours() {
	tl_run "$bin/turnutils_uclient" -u "$3" -w "$4" -n 5 -p "$srv" -e 127.0.0.1 -r "$peer" \
		127.0.0.1
	if [ "$2" = ok ]; then
		check "$1" '[ $rc -eq 0 ]'
	else
		check "$1" '[ $rc -eq 1 ]'
	fi
}

# --- static secrets, rotated: both validate
tl_start_turnserver "$srv" "$minp" "$maxp" -r "$realm" --rfc5766-channel-numbers \
	--use-auth-secret --static-auth-secret "$old" --static-auth-secret "$new"
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
check server_ready_with_static_secrets 'grep -q "ready:" "$tmp/server.log" &&
	grep -q "2 static-auth-secret" "$tmp/server.log"'
check user_lines_named_as_unused 'grep -q "user= entries are not used" "$tmp/server.log"'

coturn_ok coturn_W_new_secret_udp_channels -W "$new" -u alice
coturn_ok coturn_W_old_secret_still_valid_tcp_send -t -s -W "$old" -u bob
coturn_ok coturn_W_timestamp_only_username -W "$new"
coturn_fails coturn_W_wrong_secret_fails -W rot-WRONG-00000000 -u alice

now=$(date +%s)
u="$((now + 600)):carol"
ours ours_openssl_made_credentials_work ok "$u" "$(rest_pass "$u" "$new")"
u="$((now - 60)):carol"
ours ours_expired_timestamp_fails fail "$u" "$(rest_pass "$u" "$new")"
ours ours_username_without_timestamp_fails fail carol "$(rest_pass carol "$new")"
u="99999999999:carol"
ours ours_timestamp_past_32_bits_fails fail "$u" "$(rest_pass "$u" "$new")"

# turnadmin's ready iceServers JSON, credentials good for 300 s
"$bin/turnadmin" --ice-servers --ttl 300 -u dave --auth-secret "$old" \
	--external-ip 127.0.0.1 --listening-port "$srv" >"$tmp/ice.json" 2>"$tmp/out"
creds=$(python3 -c 'import json,sys; s=json.load(sys.stdin)["iceServers"][0]
print(s["username"]); print(s["credential"])' <"$tmp/ice.json")
iu=$(echo "$creds" | sed -n 1p)
ip=$(echo "$creds" | sed -n 2p)
check turnadmin_ttl_username_is_expiry_and_user \
	'exp=${iu%%:*}; [ "${iu#*:}" = dave ] && [ "$exp" -ge $((now + 300)) ] &&
	 [ "$exp" -le $((now + 330)) ]'
ours turnadmin_ttl_credentials_authenticate ok "$iu" "$ip"

tl_check_turnserver_stops server_exits_0_on_sigterm
check no_secret_in_server_output \
	'! grep -qF -e "$old" -e "$new" "$tmp/server.out" "$tmp/server.err" "$tmp/server.log"'

# --- rest-api-separator: coturn's -C
rm -f "$tmp/server.log"
tl_start_turnserver "$srv" "$minp" "$maxp" -r "$realm" --rfc5766-channel-numbers \
	--use-auth-secret --static-auth-secret "$new" --rest-api-separator -
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
coturn_ok coturn_W_with_separator_dash -W "$new" -u alice -C -
u="$(($(date +%s) + 600)):carol"
ours colon_refused_when_separator_is_dash fail "$u" "$(rest_pass "$u" "$new")"
tl_stop "$srv_pid" >/dev/null

# --- secrets in the store, changed while the server runs
rm -f "$tmp/server.log"
tl_start_turnserver "$srv" "$minp" "$maxp" -r "$realm" --rfc5766-channel-numbers \
	--use-auth-secret
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
check empty_store_warns_with_the_command \
	'grep -q "no secret for realm .rest.realm. in .* turnadmin -s SECRET -r rest.realm" \
	 "$tmp/server.log"'
coturn_fails coturn_W_fails_before_the_secret_is_added -W "$new" -u alice
tl_run "$bin/turnadmin" -s "$new" -r "$realm" -b "$tmp/turn.db"
check turnadmin_s_adds_secret '[ $rc -eq 0 ]'
tl_run "$bin/turnadmin" -S -b "$tmp/turn.db"
check turnadmin_S_shows_secret_realm '[ $rc -eq 0 ] && grep -qxF "$new[$realm]" "$tmp/out"'
coturn_ok coturn_W_store_secret_works_at_once -W "$new" -u alice
tl_run "$bin/turnadmin" -X "$new" -r "$realm" -b "$tmp/turn.db"
check turnadmin_X_deletes_secret '[ $rc -eq 0 ]'
coturn_fails coturn_W_fails_once_deleted -W "$new" -u alice
tl_check_turnserver_stops store_server_exits_0_on_sigterm

exit $failed
