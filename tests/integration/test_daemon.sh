#!/bin/sh
# Scenario: the turnserver process as an operator sees it. First run on an
# empty store creates user "demo" with a random password, prints it once
# with the iceServers JSON, and never writes it to the log or the store;
# config errors stop startup naming the file and line; a coturn option we
# do not implement is refused by name; a second instance on the same port
# is refused; SIGHUP reopens the log file; SIGTERM exits 0 and removes the
# pidfile. Loopback only. Usage: test_daemon.sh BUILD_DIR
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
build=${1:-build}
bin=$build/bin
dir=$(mktemp -d)
pids=
trap 'tl_cleanup "$dir" $pids' EXIT INT TERM
failed=0
check() { # name, then a command
	name=$1
	shift
	if "$@"; then tl_pass "$name"; else tl_fail "$name"; fi
}

free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

port=$(free_port)
rmin=$((20000 + port % 20000))
common="-n --listening-ip 127.0.0.1 --listening-port $port --relay-ip 127.0.0.1 --min-port $rmin --max-port $((rmin + 99)) --relay-threads 2 --allow-loopback-peers"
peer_port=$(free_port)
"$bin/turnutils_peer" -p "$peer_port" -L 127.0.0.1 >/dev/null 2>&1 &
pids="$pids $!"

# 1. first run: demo user with a random password, shown once
"$bin/turnserver" $common --userdb "$dir/db1" --log-file "$dir/log1" --pidfile "$dir/pid1" \
	>"$dir/out1" 2>"$dir/err1" &
p1=$!
pids="$pids $p1"
check "daemon becomes ready" tl_wait_log "$dir/log1" "ready:"
pw=$(sed -n "s/^first run: created user 'demo' in realm 'turnserver' with password '\([^']*\)'.*/\1/p" "$dir/out1")
check "first run prints a generated password" test "${#pw}" -ge 16
check "first run prints iceServers JSON with that credential" \
	grep -q "\"username\":\"demo\",\"credential\":\"$pw\"" "$dir/out1"
check "iceServers JSON parses" sh -c "grep '^\[{' '$dir/out1' | /usr/bin/python3 -c 'import json,sys; json.load(sys.stdin)'"
check "password is not in the log" sh -c "! grep -qF '$pw' '$dir/log1'"
check "password is not in the store" sh -c "! grep -aqF '$pw' '$dir/db1'* 2>/dev/null"
check "pidfile holds the daemon's PID" test "$(cat "$dir/pid1" 2>/dev/null)" = "$p1"
# every other thread blocks SIGHUP, SIGINT, SIGUSR1, SIGUSR2 and SIGTERM (mask
# 0x4a03): only the main thread takes them, with sigwait() (which unblocks them
# there while it waits); a thread that did not would end the process with the
# default action (143) on a SIGTERM it happened to take
check "every thread blocks the signals the main thread waits for" sh -c "
	n=0; for st in /proc/$p1/task/*/status; do
		[ \"\$st\" = /proc/$p1/task/$p1/status ] && continue
		m=\$(sed -n 's/^SigBlk:[[:space:]]*//p' \"\$st\")
		[ \$(( 0x\$m & 0x4a03 )) -eq \$(( 0x4a03 )) ] || exit 1; n=\$((n + 1))
	done; [ \$n -ge 3 ]"
check "the generated credential allocates and relays (uclient)" \
	sh -c "'$bin/turnutils_uclient' -u demo -w '$pw' -e 127.0.0.1 -r $peer_port -p $port -m 2 -n 10 -l 100 127.0.0.1 >'$dir/uc1' 2>&1"
key=$("$bin/turnadmin" -k -u demo -r turnserver -p "$pw")
check "turnadmin -k of the printed password is a 0x key" \
	sh -c "expr '$key' : '0x[0-9a-f]\{32\}\$' >/dev/null"

# 2. a second instance on the same port is refused
"$bin/turnserver" $common --userdb "$dir/db1" --log-file "$dir/log2" >/dev/null 2>&1 &
p2=$!
tl_wait_exit $p2
wait $p2
rc=$?
check "second instance on the same port exits non-zero" test "$rc" -ne 0
check "second instance says the address is in use" grep -q "Address already in use" "$dir/log2"

# 3. SIGHUP reopens the log file (after rotation)
mv "$dir/log1" "$dir/log1.old"
kill -HUP $p1
check "SIGHUP reopens the log file" tl_wait_log "$dir/log1" "log file reopened"

# 4. SIGTERM: exit 0, pidfile removed
kill -TERM $p1
tl_wait_exit $p1
wait $p1
rc=$?
tl_forget $p1
check "SIGTERM exits 0" test "$rc" -eq 0
check "SIGTERM removes the pidfile" test ! -e "$dir/pid1"
check "no sanitizer report" tl_no_sanitizer_report "$dir/err1"

# 5. second run on the same store: no new password
"$bin/turnserver" $common --userdb "$dir/db1" --log-file "$dir/log3" >"$dir/out3" 2>&1 &
p3=$!
pids="$pids $p3"
tl_wait_log "$dir/log3" "ready:"
check "second run does not create or print a password" sh -c "! grep -q 'first run' '$dir/out3' && ! grep -q '\"credential\"' '$dir/out3'"
kill $p3
wait $p3
tl_forget $p3

# 6. configuration errors stop startup with the place named
printf 'listening-port=%s\n# comment\nno-such-option=1\n' "$port" >"$dir/bad.conf"
"$bin/turnserver" -c "$dir/bad.conf" >"$dir/out4" 2>&1
rc=$?
check "unknown option exits non-zero" test "$rc" -ne 0
check "unknown option error names file and line" grep -q "bad.conf:3: unknown option 'no-such-option'" "$dir/out4"
printf 'secure-stun\n' >"$dir/tls.conf"
"$bin/turnserver" -c "$dir/tls.conf" >"$dir/out5" 2>&1
check "coturn option not implemented is refused by name" grep -q "secure-stun.*not implemented" "$dir/out5"
"$bin/turnserver" -n --min-port 70000 >"$dir/out6" 2>&1
check "bad flag value is refused" grep -q "min-port" "$dir/out6"
printf 'lt-cred-mech=no\n' >"$dir/noauth.conf"
"$bin/turnserver" -c "$dir/noauth.conf" >"$dir/out7" 2>&1
rc=$?
check "turning lt-cred-mech off is refused" sh -c "[ $rc -ne 0 ] && grep -q 'lt-cred-mech cannot be turned off' '$dir/out7'"
check "sample config is accepted" sh -c "'$bin/turnserver' -c etc/turnserver.conf --help >/dev/null 2>&1"

[ $failed -eq 0 ]
