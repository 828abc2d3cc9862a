#!/bin/sh
# test_turnadmin.sh BUILD_DIR: turnadmin end to end on a store in a temp
# directory: add, list, the coturn-compatible -k key, --ice-servers JSON,
# delete, and error messages that name the file when the store cannot be
# opened or written (chosen so that they fail for root too).
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
admin=$bin/turnadmin
python=/usr/bin/python3
db=$tmp/store/users.db

# check NAME 'SHELL CONDITION': on failure shows turnadmin's stderr
check() { tl_check "$1" "$2" || sed 's/^/  stderr: /' "$tmp/err"; }

# Run turnadmin; stdout in $tmp/out, stderr in $tmp/err, status in $rc.
run() {
	"$admin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

out_has() { grep -qxF -- "$1" "$tmp/out"; }
err_has() { grep -qF -- "$1" "$tmp/err"; }

# json_ok EXPR [ARG...]: a Python expression on the JSON in $tmp/out, which is
# bound to j (its first iceServers entry to s); the ARGs are a[0], a[1], ...
json_ok() {
	"$python" -c '
import json, sys
j = json.load(sys.stdin)
s = j["iceServers"][0] if isinstance(j, dict) and j.get("iceServers") else {}
a = sys.argv[2:]
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$@" <"$tmp/out"
}

: >"$tmp/err"
check turnadmin_built '[ -x "$admin" ]' || exit 1

run -a -u alice -r example.org -p 'pa ss"w\rd' -b "$db"
check add_user_creates_store '[ "$rc" -eq 0 ] && [ -f "$db" ]'
check store_file_mode_is_0600 '[ "$(stat -c %a "$db")" = 600 ]'
check store_keeps_no_password '! grep -qaF "pa ss" "$db"'

run -a -u bob -r example.org -p bobpw -b "$db"
run -a -u carol -r other.org -p carolpw -b "$db"
run -l -b "$db"
check list_shows_all_users '[ "$rc" -eq 0 ] && out_has "alice[example.org]" &&
	out_has "bob[example.org]" && out_has "carol[other.org]"'
run -l -r other.org -b "$db"
check list_filters_by_realm 'out_has "carol[other.org]" && ! out_has "alice[example.org]"'

want=0x$(printf 'alice:example.org:secret' | md5sum | cut -d' ' -f1)
run -k -u alice -r example.org -p secret
check key_matches_coturn_md5 '[ "$rc" -eq 0 ] && out_has "$want"'

pw='pa ss"w\rd'
run --ice-servers -u alice -p "$pw" -r example.org -b "$db" --external-ip 203.0.113.5 \
	--listening-port 3479
check ice_servers_is_valid_json '[ "$rc" -eq 0 ] && json_ok True'
check ice_servers_has_credentials \
	'json_ok "s[\"username\"] == \"alice\" and s[\"credential\"] == a[0]" "$pw"'
check ice_servers_has_urls 'json_ok "s[\"urls\"] == a" stun:203.0.113.5:3479 \
	"turn:203.0.113.5:3479?transport=udp" "turn:203.0.113.5:3479?transport=tcp"'
check ice_servers_right_password_no_warning '[ ! -s "$tmp/err" ]'

run --ice-servers -u alice -p wrong -r example.org -b "$db"
check ice_servers_warns_on_wrong_password '[ "$rc" -eq 0 ] && err_has "does not match" &&
	json_ok "s[\"urls\"][0] == a[0]" stun:127.0.0.1:3478'

run --ice-servers -u alice
check ice_servers_needs_password '[ "$rc" -eq 1 ] && err_has "needs the password" &&
	[ ! -s "$tmp/out" ]'

printf 'realm=conf.example\nexternal-ip=2001:db8::7\nlistening-port=5000\nuserdb=%s\n' \
	"$tmp/conf.db" >"$tmp/turnserver.conf"
run -a --ice-servers -u dave -p davepw -c "$tmp/turnserver.conf"
check add_with_ice_servers_uses_config '[ "$rc" -eq 0 ] &&
	json_ok "s[\"urls\"][1] == a[0] and s[\"username\"] == a[1]" \
		"turn:[2001:db8::7]:5000?transport=udp" dave'
run -l -b "$tmp/conf.db"
check config_realm_and_userdb_used 'out_has "dave[conf.example]"'

run -d -u bob -r example.org -b "$db"
check delete_user '[ "$rc" -eq 0 ]'
run -l -b "$db"
check deleted_user_not_listed '! out_has "bob[example.org]" && out_has "alice[example.org]"'
run -d -u bob -r example.org -b "$db"
check delete_missing_user_fails '[ "$rc" -eq 2 ] && err_has "$db"'

run -a -u alice -r example.org
check add_without_password_is_usage_error '[ "$rc" -eq 1 ] && err_has password'

# A path under a non-directory cannot be created, not even by root.
run -a -u x -r example.org -p x -b /dev/null/x.db
check unopenable_store_names_file '[ "$rc" -eq 2 ] && err_has /dev/null/x.db'
run -l -b "$tmp/missing.db"
check missing_store_names_file '[ "$rc" -eq 2 ] && err_has "$tmp/missing.db" &&
	[ ! -e "$tmp/missing.db" ]'

# A read-only store. Root ignores permission bits, so root writes as nobody.
ro=$tmp/ro
mkdir "$ro" && chmod 0777 "$ro" && chmod 0755 "$tmp"
run -a -u x -r example.org -p x -b "$ro/users.db"
chmod 0444 "$ro/users.db"
if [ "$(id -u)" -eq 0 ]; then
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$admin" -a -u y -r example.org -p y -b "$ro/users.db" >"$tmp/out" 2>"$tmp/err"
	rc=$?
else
	run -a -u y -r example.org -p y -b "$ro/users.db"
fi
check readonly_store_write_names_file '[ "$rc" -eq 2 ] &&
	err_has "cannot write $ro/users.db" && err_has readonly'

exit $failed
