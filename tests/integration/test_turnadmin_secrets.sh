#!/bin/sh
# test_turnadmin_secrets.sh BUILD_DIR: turnadmin's TURN REST API secrets on
# a store in a temp directory, with coturn's flags: -s adds (to -r's realm,
# or realm= of -c FILE), -S lists "SECRET[realm]" (one realm with -r), -X
# deletes one, --delete-all-secrets all of a realm; what is missing or
# malformed is refused with a reason and a non-zero status. Then
# --ice-servers --ttl: the username is EXPIRY[SEP USER] with the config's
# rest-api-separator, the credential is base64(HMAC-SHA1(secret, username))
# as openssl computes it, the secret taken from --auth-secret, the config's
# static-auth-secret, or the store. -X no longer means --external-ip.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
admin=$bin/turnadmin
db=$tmp/store/users.db

check() { tl_check "$1" "$2" || sed 's/^/  stderr: /' "$tmp/err"; }
run() {
	"$admin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}
out_is() { [ "$(cat "$tmp/out")" = "$1" ]; }
err_has() { grep -qF -- "$1" "$tmp/err"; }

# ice_field KEY: username or credential of the first iceServers entry
ice_field() {
	python3 -c 'import json,sys; print(json.load(sys.stdin)["iceServers"][0][sys.argv[1]])' \
		"$1" <"$tmp/out"
}
rest_pass() { printf %s "$1" | openssl dgst -sha1 -hmac "$2" -binary | base64; }

printf 'realm=conf.org\nuserdb=%s\nrest-api-separator=_\n' "$db" >"$tmp/a.conf"

run -s north -r a.org -b "$db"
check set_secret_creates_store '[ $rc -eq 0 ] && [ "$(stat -c %a "$db")" = 600 ]'
run -s south -r a.org -b "$db"
run -s west -c "$tmp/a.conf"
check set_secret_takes_realm_of_config '[ $rc -eq 0 ]'
run -s north -r a.org -b "$db"
check set_secret_twice_is_fine '[ $rc -eq 0 ]'
run -S -b "$db"
check show_secrets_lists_all "[ \$rc -eq 0 ] && out_is 'north[a.org]
south[a.org]
west[conf.org]'"
run -S -r conf.org -b "$db"
check show_secrets_filters_by_realm "out_is 'west[conf.org]'"

run -s lonely -b "$db"
check set_secret_needs_a_realm '[ $rc -eq 1 ] && err_has "needs a realm"'
run -s "" -r a.org -b "$db"
check empty_secret_refused '[ $rc -eq 1 ] && err_has "empty secret"'
run -s "$(head -c 257 /dev/zero | tr '\0' k)" -r a.org -b "$db"
check overlong_secret_refused '[ $rc -eq 1 ] && err_has "longer than 256 bytes"'
run -s east -S -r a.org -b "$db"
check two_actions_refused '[ $rc -eq 1 ] && err_has "give only one of"'
run -X 203.0.113.5 --ice-servers -u alice -p pw
check X_is_delete_secret_not_external_ip '[ $rc -eq 1 ] && err_has "goes alone or with -a"'

run -X nothere -r a.org -b "$db"
check delete_missing_secret_fails '[ $rc -eq 2 ] && err_has "no such secret"'
run -X north -r a.org -b "$db"
check delete_secret '[ $rc -eq 0 ]'
run -S -b "$db"
check delete_secret_removed_only_it "out_is 'south[a.org]
west[conf.org]'"
run --delete-all-secrets -r a.org -b "$db"
check delete_all_secrets_of_realm '[ $rc -eq 0 ]'
run -S -b "$db"
check delete_all_kept_other_realms "out_is 'west[conf.org]'"
run --delete-all-secrets -r a.org -b "$db"
check delete_all_when_none_fails '[ $rc -eq 2 ] && err_has "no secret in realm"'

# --- --ice-servers --ttl
now=$(date +%s)
run --ice-servers --ttl 600 -u bob --auth-secret k1 --external-ip 198.51.100.7 \
	--listening-port 3479
u=$(ice_field username)
check ttl_username_expiry_and_user '[ $rc -eq 0 ] && [ "${u#*:}" = bob ] &&
	[ "${u%%:*}" -ge $((now + 600)) ] && [ "${u%%:*}" -le $((now + 630)) ]'
check ttl_credential_is_hmac_sha1 '[ "$(ice_field credential)" = "$(rest_pass "$u" k1)" ]'
check ttl_urls_name_external_ip 'grep -qF "turn:198.51.100.7:3479?transport=udp" "$tmp/out"'

# secret from the store (realm of the config), separator of the config
run --ice-servers --ttl 60 -u bob -c "$tmp/a.conf"
u=$(ice_field username)
check ttl_secret_from_store_separator_from_config '[ $rc -eq 0 ] && [ "${u#*_}" = bob ] &&
	[ "$(ice_field credential)" = "$(rest_pass "$u" west)" ]'
printf 'static-auth-secret=st4tic\n' >>"$tmp/a.conf"
run --ice-servers --ttl 60 -c "$tmp/a.conf"
u=$(ice_field username)
check ttl_static_secret_wins_timestamp_only '[ $rc -eq 0 ] &&
	[ "$(ice_field credential)" = "$(rest_pass "$u" st4tic)" ] &&
	[ "$u" -ge $((now + 60)) ]'

run --ice-servers --ttl 60 -r nosecret.org -b "$db"
check ttl_without_secret_fails '[ $rc -eq 2 ] && err_has "no secret for realm"'
run --ice-servers --ttl 60 -p pw --auth-secret k1
check ttl_with_password_refused '[ $rc -eq 1 ] && err_has "without -p"'
for bad in 0 -5 abc 99999999999; do
	run --ice-servers --ttl "$bad" --auth-secret k1
	check "ttl_${bad}_refused" '[ $rc -eq 1 ] && err_has "bad --ttl"'
done
run --auth-secret k1 -S -b "$db"
check auth_secret_only_with_ttl '[ $rc -eq 1 ]'

exit $failed
