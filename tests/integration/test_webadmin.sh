#!/bin/sh
# test_webadmin.sh BUILD_DIR: the admin HTTP interface (web-admin) of a
# turnserver on 127.0.0.1 with the media anchor, driven with curl.
# Accounts: one made by our turnadmin -A, one by coturn's (both listed by
# either tool). No page or API answer without a session; a wrong password is
# refused and logged, and after 5 failures from one address logins from it
# are refused (429). A TCP allocation by our uclient, whose TURN user name
# is markup, shows in the JSON API with its counters and in the HTML page
# escaped. A cancel without the CSRF token, with a wrong one, or marked
# cross-site is refused and changes nothing; bodies past 4 KB, 10 KB
# headers and a 10 KB URL are refused; with the token the allocation ends
# and the client sees its connection go. A call made over ng shows (its
# Call-ID escaped) and is deleted from the page (ng query no longer finds
# it). Drain from the page: the server logs the SIGUSR1 drain and, with
# nothing left, exits 0 without a sanitizer report. A second server
# with a certificate serves the interface over HTTPS only, its cookie
# Secure, and its JSON API lists the 20 allocations of 20 clients spread
# over both workers and cancels one with the X-CSRF-Token header.
# About 4 s. Needs curl, openssl and coturn's turnadmin.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016,SC2034 # tl_check evals its condition, which reads the variables
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
tl_require_coturn turnadmin
tl_setup "curl installed" 'command -v curl >/dev/null'

tl_port_plan 200
wa=$((base + 1)) peer=$((base + 2)) ng=$((base + 3)) wa2=$((base + 4)) srv2=$((base + 5)) tls2=$((base + 6))
realm=example.org
url=http://127.0.0.1:$wa
xss_user='<img src=x onerror=alert(1)>'
db=$tmp/turn.db

# --- accounts: ours and coturn's turnadmin -A, in one store
"$bin/turnadmin" -a -b "$db" -r "$realm" -u "$xss_user" -p secret2 >"$tmp/admin.out" 2>&1 &&
	"$bin/turnadmin" -A -b "$db" -u root -p 'r00t pass' >>"$tmp/admin.out" 2>&1 &&
	/usr/bin/turnadmin -A -b "$db" -u cot -p cotpass >>"$tmp/admin.out" 2>&1
tl_setup "turnadmin -A (ours and coturn's)" '[ $? -eq 0 ]' "$tmp/admin.out"
"$bin/turnadmin" -L -b "$db" >"$tmp/ours.list" 2>&1
/usr/bin/turnadmin -L -b "$db" 2>/dev/null | grep -v '^[0-9]*: ' >"$tmp/coturn.list"
tl_check "webadmin_accounts_shared_with_coturns_turnadmin" \
	'grep -qx cot "$tmp/ours.list" && grep -qx root "$tmp/ours.list" &&
	 grep -qx root "$tmp/coturn.list" && grep -qx cot "$tmp/coturn.list" &&
	 ! grep -q "r00t pass" "$db"' "$tmp/ours.list"

tl_start_turnserver "$srv" "$minp" "$maxp" --realm "$realm" --web-admin --web-admin-port "$wa" \
	--anchor-ng-listen "127.0.0.1:$ng"
if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
	tl_server_output
	tl_setup "server starts" false "$tmp/out"
fi

# code [CURL ARGS...]: the HTTP status of one request
code() { curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' "$@"; }
# login NAME PASSWORD JAR: logs in, the cookie into JAR; prints the status
login() { code -c "$3" --data-urlencode "name=$1" --data-urlencode "password=$2" "$url/login"; }
# csrf JAR: the session's CSRF token, from the status page
csrf() { curl -s -b "$1" "$url/status" | sed -n 's/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p' | head -n 1; }
# alloc_field JAR FIELD: FIELD of the first allocation of the JSON API, or -1
alloc_field() {
	curl -s -b "$1" "$url/api/allocations" | python3 -c 'import json, sys
a = json.load(sys.stdin)["allocations"]
print(a[0][sys.argv[1]] if a else -1)' "$2" 2>/dev/null || echo -1
}

# --- no page without a session
s_page=$(code "$url/status")
loc=$(sed -n 's/^Location: \([^\r]*\).*/\1/p' "$tmp/headers")
s_api=$(code "$url/api/allocations")
s_post=$(code -d id=1 "$url/allocations/cancel")
tl_check "webadmin_nothing_without_login (page 303 to /login, API 401, action refused)" \
	'[ "$s_page" = 303 ] && [ "$loc" = /login ] && [ "$s_api" = 401 ] && [ "$s_post" = 303 ]'

s_bad=$(login root wrong "$tmp/jar0")
tl_check "webadmin_wrong_password_refused_and_logged" \
	'[ "$s_bad" = 401 ] && ! grep -q turnserver_admin "$tmp/headers" &&
	 tl_wait_log "$tmp/server.log" "failed login as .root."'

s_cot=$(login cot cotpass "$tmp/jar1")
cookie=$(grep -i '^Set-Cookie:' "$tmp/headers")
tl_check "webadmin_coturns_account_logs_in (cookie HttpOnly, SameSite=Strict)" \
	'[ "$s_cot" = 303 ] && echo "$cookie" | grep -q "HttpOnly" &&
	 echo "$cookie" | grep -q "SameSite=Strict" && ! echo "$cookie" | grep -q Secure'
s_root=$(login root 'r00t pass' "$tmp/jar")
tl_setup "our account logs in" '[ "$s_root" = 303 ]'
token=$(csrf "$tmp/jar")
tl_setup "the page carries a CSRF token" '[ ${#token} -eq 64 ]'

# --- an allocation by our uclient over TCP, its user name markup
"$bin/turnutils_peer" -L 127.0.0.1 -p "$peer" >"$tmp/peer.out" 2>&1 &
pids="$pids $!"
tl_wait_udp_port "$peer"
timeout 60 "$bin/turnutils_uclient" -t -e 127.0.0.1 -r "$peer" -p "$srv" -u "$xss_user" \
	-w secret2 -n 1000 -z 30 127.0.0.1 >"$tmp/uclient.out" 2>"$tmp/uclient.err" &
uc_pid=$!
pids="$pids $uc_pid"
sent=-1
for _ in $(seq 100); do
	sent=$(alloc_field "$tmp/jar" packets_to_peer)
	[ "$sent" -gt 0 ] 2>/dev/null && break
	sleep 0.1
done
user=$(alloc_field "$tmp/jar" user)
transport=$(alloc_field "$tmp/jar" transport)
back=$(alloc_field "$tmp/jar" packets_to_client)
tl_check "webadmin_api_lists_the_allocation_with_counters (to peer $sent, back $back)" \
	'[ "$sent" -gt 0 ] && [ "$back" -ge 0 ] && [ "$user" = "$xss_user" ] && [ "$transport" = TCP ]'
curl -s -b "$tmp/jar" "$url/allocations" >"$tmp/allocs.html"
tl_check "webadmin_page_escapes_the_user_name" \
	'grep -qF "&lt;img src=x onerror=alert(1)&gt;" "$tmp/allocs.html" &&
	 ! grep -qF "<img src=x" "$tmp/allocs.html"' "$tmp/allocs.html"
id=$(alloc_field "$tmp/jar" id)

# --- CSRF and oversized input
s_none=$(code -b "$tmp/jar" -d "id=$id" "$url/allocations/cancel")
s_wrong=$(code -b "$tmp/jar" -d "id=$id&csrf=$(echo "$token" | tr 0-9a-f 1-9a-f0)" \
	"$url/allocations/cancel")
s_cross=$(code -b "$tmp/jar" -H 'Sec-Fetch-Site: cross-site' -d "id=$id&csrf=$token" \
	"$url/allocations/cancel")
s_api=$(code -b "$tmp/jar" -d "id=$id" "$url/api/allocations/cancel")
still=$(alloc_field "$tmp/jar" id)
tl_check "webadmin_csrf_refused (no token, wrong token, cross-site: 403; allocation kept)" \
	'[ "$s_none" = 403 ] && [ "$s_wrong" = 403 ] && [ "$s_cross" = 403 ] && [ "$s_api" = 403 ] &&
	 [ "$still" = "$id" ]'
head -c 10000 /dev/zero | tr '\0' a >"$tmp/big"
s_body=$(code -b "$tmp/jar" --data-binary "@$tmp/big" "$url/allocations/cancel")
s_hdr=$(code -b "$tmp/jar" -H "X-Big: $(cat "$tmp/big")" "$url/status")
s_uri=$(code -b "$tmp/jar" "$url/status?$(cat "$tmp/big")")
s_alive=$(code -b "$tmp/jar" "$url/api/status")
tl_check "webadmin_oversized_refused (body $s_body, headers $s_hdr, URL $s_uri)" \
	'[ "$s_body" = 413 ] && [ "$s_hdr" -ge 400 ] && [ "$s_uri" -ge 400 ] && [ "$s_alive" = 200 ]'

# --- cancel: the allocation ends, the client's connection goes
s_cancel=$(code -b "$tmp/jar" -d "id=$id&csrf=$token" "$url/allocations/cancel")
left=$(curl -s -b "$tmp/jar" "$url/api/allocations" | python3 -c \
	'import json, sys; print(json.load(sys.stdin)["total"])')
tl_wait_exit "$uc_pid" 100
wait "$uc_pid"
uc_rc=$?
tl_forget "$uc_pid"
tl_check "webadmin_cancel_ends_the_allocation_and_the_client_sees_it (uclient exit $uc_rc)" \
	'[ "$s_cancel" = 303 ] && [ "$left" = 0 ] && [ "$uc_rc" -ne 0 ] &&
	 grep -q "connection" "$tmp/uclient.err" && grep -q "cancelled allocation" "$tmp/server.log"' \
	"$tmp/uclient.err"

# --- an anchored call: listed (Call-ID escaped), deleted from the page
cat >"$tmp/offer.sdp" <<EOF
v=0
o=- 1 1 IN IP4 127.0.0.1
s=-
c=IN IP4 127.0.0.1
t=0 0
m=audio 40000 RTP/AVP 0
EOF
call_id='c1<b>x</b>'
"$bin/turnutils_ng" -s "127.0.0.1:$ng" offer --call-id "$call_id" --from-tag ft \
	--sdp-file "$tmp/offer.sdp" >"$tmp/ng.out" 2>&1
tl_setup "ng offer" '[ $? -eq 0 ]' "$tmp/ng.out"
curl -s -b "$tmp/jar" "$url/calls" >"$tmp/calls.html"
listed=$(curl -s -b "$tmp/jar" "$url/api/calls" | python3 -c 'import json, sys
c = json.load(sys.stdin)["calls"]
print(c[0]["call_id"] + " " + str(c[0]["streams"]) + " " + c[0]["legs"][0]["tag"] + " " + c[0]["legs"][0]["endpoint_by"] if c else "")')
tl_check "webadmin_calls_listed_and_escaped ($listed)" \
	'[ "$listed" = "$call_id 1 ft SDP" ] && grep -qF "c1&lt;b&gt;x&lt;/b&gt;" "$tmp/calls.html" &&
	 ! grep -qF "<b>x" "$tmp/calls.html"' "$tmp/calls.html"
s_del=$(code -b "$tmp/jar" --data-urlencode "call_id=$call_id" -d "csrf=$token" \
	"$url/calls/delete")
"$bin/turnutils_ng" -s "127.0.0.1:$ng" query --call-id "$call_id" >"$tmp/ng.out" 2>&1
q_rc=$?
tl_check "webadmin_call_deleted (ng query no longer finds it)" \
	'[ "$s_del" = 303 ] && [ $q_rc -ne 0 ] && grep -q "call-id" "$tmp/ng.out"' "$tmp/ng.out"

# --- failed logins budget (after the others: it shuts 127.0.0.1 out for a minute)
for _ in 1 2 3 4 5; do login root wrong "$tmp/jar0" >/dev/null; done
s_lock=$(login root 'r00t pass' "$tmp/jar0")
tl_check "webadmin_failed_logins_budgeted (the right password then gets $s_lock)" \
	'[ "$s_lock" = 429 ]'

# --- drain from the page: the server ends with nothing left
s_drain=$(code -b "$tmp/jar" -d "csrf=$token" "$url/drain")
tl_check "webadmin_drain (the server drains and, with nothing left, exits 0)" \
	'[ "$s_drain" = 303 ] && tl_wait_log "$tmp/server.log" "SIGUSR1: draining" &&
	 tl_wait_exit "$srv_pid" 100 && wait "$srv_pid" &&
	 tl_no_sanitizer_report "$tmp/server.out" "$tmp/server.err"' "$tmp/server.log"
tl_forget "$srv_pid"

# --- HTTPS with a certificate: the JSON API with the X-CSRF-Token header
"$(dirname "$0")/../../scripts/test-cert" "$tmp/cert" >"$tmp/cert.log" 2>&1
tl_setup "test certificate" '[ -s "$tmp/cert/server.pem" ]' "$tmp/cert.log"
mv "$tmp/server.log" "$tmp/server1.log"
tl_start_turnserver "$srv2" "$minp" "$maxp" --realm "$realm" --web-admin --web-admin-port "$wa2" \
	--cert "$tmp/cert/server.pem" --pkey "$tmp/cert/server.key" --tls-listening-port "$tls2"
if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
	tl_server_output
	tl_setup "HTTPS server starts" false "$tmp/out"
fi
surl=https://127.0.0.1:$wa2
s_plain=$(code "http://127.0.0.1:$wa2/login")
s_tls=$(code -c "$tmp/sjar" --cacert "$tmp/cert/ca.pem" --data-urlencode name=root \
	--data-urlencode 'password=r00t pass' "$surl/api/login")
stoken=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$tmp/body")
tl_check "webadmin_https (plain HTTP refused, login over TLS, Secure cookie)" \
	'[ "$s_plain" != 200 ] && [ "$s_tls" = 200 ] && [ ${#stoken} -eq 64 ] &&
	 grep -i "^Set-Cookie:" "$tmp/headers" | grep -q Secure'
timeout 60 "$bin/turnutils_uclient" -e 127.0.0.1 -r "$peer" -p "$srv2" -u alice -w secret \
	-m 20 -n 1000 -z 30 127.0.0.1 >"$tmp/uclient2.out" 2>&1 &
uc_pid=$!
pids="$pids $uc_pid"
# sallocs: "TOTAL COMPLETE FIRST-ID WORKERS" of the JSON API over HTTPS
sallocs() {
	curl -s --cacert "$tmp/cert/ca.pem" -b "$tmp/sjar" "$surl/api/allocations" |
		python3 -c 'import json, sys
j = json.load(sys.stdin)
a = j["allocations"]
print(j["total"], j["complete"], a[0]["id"] if a else 0, len({int(x["id"]) >> 48 for x in a}))' \
			2>/dev/null || echo "0 False 0 0"
}
for _ in $(seq 100); do
	read -r total complete sid workers <<EOF2
$(sallocs)
EOF2
	[ "$total" = 20 ] && break
	sleep 0.1
done
s_scancel=$(code --cacert "$tmp/cert/ca.pem" -b "$tmp/sjar" -H "X-CSRF-Token: $stoken" \
	-d "id=$sid" "$surl/api/allocations/cancel")
read -r after _ <<EOF2
$(sallocs)
EOF2
tl_check "webadmin_json_api_lists_every_worker_and_cancels_with_the_csrf_header ($total allocations on $workers workers, then $after)" \
	'[ "$total" = 20 ] && [ "$complete" = True ] && [ "$workers" = 2 ] &&
	 [ "$s_scancel" = 200 ] && grep -q "\"cancelled\":true" "$tmp/body" && [ "$after" = 19 ]'
kill "$uc_pid" 2>/dev/null
wait "$uc_pid" 2>/dev/null
tl_forget "$uc_pid"
tl_check_turnserver_stops "webadmin_https_server_exits_cleanly"
exit $failed
