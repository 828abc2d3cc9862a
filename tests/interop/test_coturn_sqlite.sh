#!/bin/sh
# test_coturn_sqlite.sh BUILD_DIR: coturn's SQLite user store, read and
# written as it is. Debian coturn's own turnadmin (-b FILE) makes the store:
# a user (-a), a REST secret (-s), realm options (-g: max-bps of our realm,
# user-quota of another), an origin (-O); peer ranges and damaged user rows
# go in with SQL in coturn's schema (its turnadmin cannot set them). OUR
# turnserver with userdb=FILE then: names each bad row and counts them,
# merges the peer ranges into the peer policy (a malformed one refused by
# name), applies max-bps and names what it does not act on; coturn's
# turnutils_uclient authenticates as coturn's user and relays to an allowed
# peer, a peer of denied_peer_ip is refused, a bad row's user fails without
# harm. A user added by OUR turnadmin is listed by coturn's turnadmin -l,
# authenticates at once, and through coturn's own turnserver on the same
# file too; deleted by coturn's turnadmin, it fails. With
# no-dynamic-ip-list and no-dynamic-realms the tables are not read; with
# use-auth-secret coturn's -s secret works for turnutils_uclient -W. A
# store of our earlier schema is migrated with a log line; its user then
# relays and coturn's turnadmin lists it. Loopback only. Prints one
# "PASS: name"/"FAIL: name" per check.
# shellcheck disable=SC2016,SC2317 # tl_check evals its conditions (and log_has in them) later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

tl_require_coturn turnadmin turnserver turnutils_uclient turnutils_peer

tl_port_plan 200
peer=$((base + 20))
ctport=$((base + 30))
realm=ct.realm
db=$tmp/var/turndb
mkdir "$tmp/var"

# coturn's turnadmin logs to /var/log/turn_PID_DATE.log: as root, into a
# tmpfs of a private mount namespace, so that the test leaves nothing there
ct_admin() {
	if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null 2>&1; then
		# shellcheck disable=SC2016 # expanded by the inner shell
		unshare -m sh -c 'mount -t tmpfs none /var/log && exec /usr/bin/turnadmin "$@"' \
			ct_admin "$@"
	else
		/usr/bin/turnadmin "$@"
	fi >"$tmp/ct.out" 2>&1
}

# sql STATEMENTS: run on the store with python3's sqlite3 (no sqlite3 CLI needed)
sql() { python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.executescript(sys.argv[2]); c.commit()' "$db" "$1"; }

# coturn_ok NAME PEER_IP FLAGS...: coturn's uclient, 2 clients x 20 messages, all back
coturn_ok() {
	tl_name=$1 tl_peer=$2
	shift 2
	tl_run /usr/bin/turnutils_uclient "$@" -m 2 -n 20 -l 120 -p "$srv" \
		-e "$tl_peer" -r "$peer" 127.0.0.1
	check "$tl_name" '[ $rc -eq 0 ] && grep -q "tot_recv_msgs=40\$" "$tmp/out" &&
		grep -q "Total lost packets 0 (" "$tmp/out"'
}

coturn_fails() {
	tl_name=$1 tl_peer=$2
	shift 2
	tl_run /usr/bin/turnutils_uclient "$@" -m 1 -n 5 -p "$srv" -e "$tl_peer" -r "$peer" \
		127.0.0.1
	check "$tl_name" '[ $rc -ne 0 ] && ! grep -q "tot_recv_msgs=[1-9]" "$tmp/out"'
}

log_has() { grep -qF -- "$1" "$tmp/server.log"; }

start() {
	rm -f "$tmp/server.log"
	tl_start_turnserver "$srv" "$minp" "$maxp" -r "$realm" --rfc5766-channel-numbers \
		--userdb "$db" "$@"
	tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
	tl_server_output
}

# --- the store, made by coturn's turnadmin
ct_admin -a -b "$db" -u ctuser -r "$realm" -p ctpass
tl_setup coturn_turnadmin_adds_user '[ $? -eq 0 ]' "$tmp/ct.out"
ct_admin -s ct-secret-5e1d -r "$realm" -b "$db"
tl_setup coturn_turnadmin_adds_secret '[ $? -eq 0 ]' "$tmp/ct.out"
ct_admin -g -r "$realm" --max-bps 400000 -b "$db"
tl_setup coturn_turnadmin_sets_max_bps '[ $? -eq 0 ]' "$tmp/ct.out"
ct_admin -g -r other.realm --user-quota 5 -b "$db"
tl_setup coturn_turnadmin_sets_other_realm_option '[ $? -eq 0 ]' "$tmp/ct.out"
ct_admin -O -o https://app.example -r "$realm" -b "$db"
tl_setup coturn_turnadmin_adds_origin '[ $? -eq 0 ]' "$tmp/ct.out"
sql "INSERT INTO allowed_peer_ip VALUES ('', '198.51.100.0/24');
INSERT INTO denied_peer_ip VALUES ('$realm', '127.0.0.1');
INSERT INTO denied_peer_ip VALUES ('$realm', 'not-an-address');
INSERT INTO denied_peer_ip VALUES ('other.realm', '127.0.0.2');
INSERT INTO turnusers_lt VALUES ('$realm', 'short', 'abc123');
INSERT INTO turnusers_lt VALUES ('$realm', 'nothex', 'zz8b3a6ba35c3e18cfd5d03176cf205f');"
tl_setup sql_rows_in_coturns_schema '[ $? -eq 0 ]'

/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.1 >"$tmp/peer1.log" 2>&1 &
pids="$pids $!"
/usr/bin/turnutils_peer -p "$peer" -L 127.0.0.2 >"$tmp/peer2.log" 2>&1 &
pids="$pids $!"

# --- our server on coturn's store
start
check server_starts_on_coturns_store 'grep -q "ready:" "$tmp/server.log"'
check bad_rows_named_and_counted \
	'log_has "user '"'short'"' of realm '"'$realm'"' refused: hmackey has 6 characters, not 32" &&
	 log_has "user '"'nothex'"' of realm '"'$realm'"' refused: hmackey is not hex (character 1)" &&
	 log_has "2 user row(s) refused"'
check peer_ranges_merged_malformed_refused \
	'log_has "denied-peer-ip '"'not-an-address'"' from the store not used: not an address range" &&
	 log_has "denied_peer_ip '"'127.0.0.2'"' of realm '"'other.realm'"' not acted on" &&
	 log_has "1 allowed-peer-ip range(s) from the store (read at startup" &&
	 log_has "1 denied-peer-ip range(s) from the store (read at startup"'
check realm_max_bps_applied_other_realm_named \
	'log_has "realm '"'$realm'"' max-bps 400000 from the store" &&
	 log_has "max-bps: every allocation relays at most 400000 bytes" &&
	 log_has "realm option user-quota of realm '"'other.realm'"' not acted on"'
check unread_tables_named 'log_has "table turn_origin_to_realm has 1 row(s): not acted on"'

coturn_ok coturn_user_of_coturns_turnadmin_relays 127.0.0.2 -u ctuser -w ctpass
coturn_fails coturn_user_wrong_password_fails 127.0.0.2 -u ctuser -w wrong
coturn_fails denied_peer_ip_row_refuses_its_peer 127.0.0.1 -u ctuser -w ctpass
coturn_fails bad_row_user_fails 127.0.0.2 -u short -w x
# a store error (500), logged at most a few times a second; the server goes on
check bad_row_user_gets_500_server_lives 'grep -q "error 500" "$tmp/out" && kill -0 "$srv_pid"'

# --- our turnadmin writes coturn's tables: coturn's turnadmin sees the user
tl_run "$bin/turnadmin" -a -u ouruser -r "$realm" -p ourpass -b "$db"
check our_turnadmin_adds_user '[ $rc -eq 0 ]'
ct_admin -l -b "$db"
cp "$tmp/ct.out" "$tmp/out"
check coturn_turnadmin_lists_our_user 'grep -qxF "ouruser[$realm]" "$tmp/out" &&
	grep -qxF "ctuser[$realm]" "$tmp/out"'
tl_run "$bin/turnadmin" -l -b "$db"
check our_turnadmin_lists_coturns_user 'grep -qxF "ctuser[$realm]" "$tmp/out"'
coturn_ok our_turnadmins_user_relays_at_once 127.0.0.2 -u ouruser -w ourpass

# coturn's own turnserver opens the store as we left it and takes our user
/usr/bin/turnserver -n --listening-ip 127.0.0.1 -p "$ctport" --relay-ip 127.0.0.1 \
	--min-port "$((base + 40))" --max-port "$((base + 90))" -b "$db" -r "$realm" \
	--lt-cred-mech --allow-loopback-peers --no-tls --no-dtls --no-cli \
	--log-file "$tmp/coturn.log" --simple-log --no-stdout-log >/dev/null 2>&1 &
ct_pid=$!
pids="$pids $ct_pid"
tl_wait_log "$tmp/coturn.log" "Total General servers" "$ct_pid"
tl_run /usr/bin/turnutils_uclient -u ouruser -w ourpass -m 1 -n 10 -p "$ctport" \
	-e 127.0.0.2 -r "$peer" 127.0.0.1
check coturn_turnserver_authenticates_our_user '[ $rc -eq 0 ] &&
	grep -q "tot_recv_msgs=20\$" "$tmp/out" && grep -q "Total lost packets 0 (" "$tmp/out"'
tl_stop "$ct_pid" >/dev/null

ct_admin -d -u ouruser -r "$realm" -b "$db"
coturn_fails user_deleted_by_coturns_turnadmin_fails 127.0.0.2 -u ouruser -w ourpass
tl_check_turnserver_stops server_exits_0_on_sigterm

# --- no-dynamic-ip-list, no-dynamic-realms: the tables are not read
start --no-dynamic-ip-list --no-dynamic-realms
check no_dynamic_options_said \
	'log_has "option no-dynamic-ip-list: the user store'"'"'s peer ranges" &&
	 log_has "option no-dynamic-realms: the user store'"'"'s realm options" &&
	 ! log_has "range(s) from the store" && ! log_has "max-bps 400000"'
coturn_ok no_dynamic_ip_list_lets_denied_row_pass 127.0.0.1 -u ctuser -w ctpass
tl_stop "$srv_pid" >/dev/null

# --- use-auth-secret: coturn's turnadmin -s secret
start --use-auth-secret
coturn_ok coturn_W_with_secret_of_coturns_turnadmin 127.0.0.2 -W ct-secret-5e1d -u webuser
coturn_fails coturn_W_with_other_secret_fails 127.0.0.2 -W not-the-secret -u webuser
tl_check_turnserver_stops rest_server_exits_0_on_sigterm

# --- a store of our earlier schema (one table turnusers of binary keys) migrates
python3 - "$tmp/old.db" "$realm" <<'PY'
import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
realm = sys.argv[2]
db.execute("CREATE TABLE turnusers (realm TEXT NOT NULL, name TEXT NOT NULL, md5key BLOB,"
           " sha256key BLOB, userhash BLOB, PRIMARY KEY (realm, name))")
lt = ("olduser:%s:oldpass" % realm).encode()
db.execute("INSERT INTO turnusers VALUES (?, 'olduser', ?, ?, ?)",
           (realm, hashlib.md5(lt).digest(), hashlib.sha256(lt).digest(),
            hashlib.sha256(("olduser:%s" % realm).encode()).digest()))
db.commit()
PY
tl_setup old_schema_store_made '[ $? -eq 0 ]'
db=$tmp/old.db
start
check old_schema_migrated_with_a_log_line \
	'log_has "userdb $tmp/old.db: moved 1 user(s) from this server'"'"'s earlier schema"'
coturn_ok old_schema_user_relays_after_migration 127.0.0.2 -u olduser -w oldpass
tl_check_turnserver_stops migrated_server_exits_0_on_sigterm
ct_admin -l -b "$db"
cp "$tmp/ct.out" "$tmp/out"
check coturn_turnadmin_lists_migrated_user 'grep -qxF "olduser[$realm]" "$tmp/out"'

exit $failed
