#!/bin/sh
# Scenario: an operator brings a coturn setup across. Every program answers
# --version. A coturn-style config file with quoted values (realm="...",
# user="...") is read without the quotes, so its user authenticates in its
# realm; an unbalanced quote and a comment after a value stop startup
# naming file and line. log-file=- logs to stdout and log-file=syslog to
# syslog(3), neither creating a file of that name; without a syslog socket,
# log-file=syslog is refused; coturn's syslog with syslog-facility=LOG_LOCAL1
# logs at that facility. The syslog checks run in a private mount namespace
# (a tmpfs on /dev, with our own listener on /dev/log; needs root and
# unshare). coturn's SQLite user store: tests/interop/test_coturn_sqlite.sh.
# Loopback only. Usage: test_coturn_config.sh BUILD_DIR
# shellcheck disable=SC2016,SC2034 # tl_check evals its condition later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$1"
bin=$(cd "$bin" && pwd) || exit 1
src=$(cd "$(dirname "$0")/../.." && pwd) || exit 1

base=$(tl_free_port_block 120) || { echo "FAIL: no free port block"; exit 1; }
port=$base
peer_port=$((base + 1))
rmin=$((base + 10))
rmax=$((base + 119))
mkdir "$tmp/run" "$tmp/ns"

# --- --version: one version, from src/common/version.h
want=$(sed -n 's/^#define TURN_VERSION "\(.*\)"$/\1/p' "$src/src/common/version.h")
for p in turnserver turnadmin turnutils_ng turnutils_peer turnutils_relayctl \
	turnutils_rfc5769check turnutils_stunclient turnutils_uclient; do
	tl_run "$bin/$p" --version
	tl_check "$p --version prints '$p $want' and exits 0" \
		'[ $rc -eq 0 ] && [ -n "$want" ] && [ "$(cat "$tmp/out")" = "$p $want" ]' "$tmp/out"
done

"$bin/turnutils_peer" -p "$peer_port" -L 127.0.0.1 >/dev/null 2>&1 &
pids="$pids $!"

# --- quoted values, as coturn writes and reads them
cat >"$tmp/quoted.conf" <<EOF
# brought across from coturn
listening-ip = 127.0.0.1
listening-port=$port
relay-ip="127.0.0.1"
min-port $rmin
max-port=$rmax
realm="example.org"
user="alice:secret"
userdb="$tmp/turn.db"
log-file="$tmp/server.log"
allow-loopback-peers
relay-threads=2
EOF
"$bin/turnserver" -c "$tmp/quoted.conf" >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
pids="$pids $srv_pid"
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
tl_check "quoted values are read without their quotes (realm example.org)" \
	'grep -q "ready: .* realm '"'"'example.org'"'"'\$" "$tmp/server.log"' "$tmp/out"
tl_run "$bin/turnutils_uclient" -u alice -w secret --realm example.org -e 127.0.0.1 \
	-r "$peer_port" -p "$port" -n 3 127.0.0.1
tl_check "user=\"alice:secret\" authenticates in realm example.org and relays" \
	'[ $rc -eq 0 ]' "$tmp/out"
tl_check_turnserver_stops "server of the quoted config stops cleanly"

# --- slips that coturn reads into a wrong value are refused, with the line
printf 'listening-port=%s\nrealm="example.org\n' "$port" >"$tmp/unbalanced.conf"
tl_run "$bin/turnserver" -c "$tmp/unbalanced.conf"
tl_check "an unbalanced quote stops startup naming file and line" \
	'[ $rc -ne 0 ] && grep -q "unbalanced.conf:2: realm: value starts with" "$tmp/out"' "$tmp/out"
printf 'realm=example.org # our realm\n' >"$tmp/comment.conf"
tl_run "$bin/turnserver" -c "$tmp/comment.conf"
tl_check "a comment after a value stops startup naming file and line" \
	'[ $rc -ne 0 ] && grep -q "comment.conf:1: realm: .#. after a value" "$tmp/out"' "$tmp/out"

# --- log-file=- is stdout, not a file named "-"
common="--listening-ip 127.0.0.1 --listening-port $port --relay-ip 127.0.0.1 --min-port $rmin --max-port $rmax -u alice:secret --userdb $tmp/turn.db --relay-threads 2"
printf 'log-file=-\n' >"$tmp/stdout.conf"
# shellcheck disable=SC2086 # $common is a list of flags
(cd "$tmp/run" && exec "$bin/turnserver" -c "$tmp/stdout.conf" $common \
	>"$tmp/stdout.out" 2>"$tmp/stdout.err") &
srv_pid=$!
pids="$pids $srv_pid"
tl_wait_log "$tmp/stdout.out" "ready:" "$srv_pid"
tl_stop "$srv_pid"
rc=$?
cat "$tmp/stdout.out" "$tmp/stdout.err" >"$tmp/out"
tl_check "log-file=- writes the log lines to stdout" \
	'[ $rc -eq 0 ] && grep -q "INFO: ready:" "$tmp/stdout.out" && grep -q "INFO: stopped" "$tmp/stdout.out" &&
	tl_no_sanitizer_report "$tmp/stdout.out" "$tmp/stdout.err"' \
	"$tmp/out"
tl_check "log-file=- creates no file named '-'" \
	'grep -q "INFO: ready:" "$tmp/stdout.out" && [ ! -e "$tmp/run/-" ]'

# --- log-file=syslog, in a mount namespace whose /dev we make
cat >"$tmp/ns/listen.py" <<'EOF'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
with open(sys.argv[1], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")
EOF
inner='
t=$1 bin=$2
shift 2
mkdir "$t/olddev" && mount --bind /dev "$t/olddev" && mount -t tmpfs -o mode=755 none /dev ||
	exit 3
for n in null zero random urandom; do
	: >"/dev/$n" && mount --bind "$t/olddev/$n" "/dev/$n" || exit 3
done
mkdir "$t/nolog" "$t/log"
(cd "$t/nolog" && exec timeout 20 "$bin/turnserver" --log-file syslog "$@" >"$t/nolog.out" 2>&1)
echo $? >"$t/nolog.rc"
python3 "$t/listen.py" "$t/syslog.txt" &
lp=$!
for _ in $(seq 50); do [ -S /dev/log ] && break; sleep 0.1; done
# run NAME ARGS...: one server logging to syslog from $t/NAME; its PID,
# exit status and output in $t/NAME.pid, .rc, .out
run() {
	n=$1
	shift
	mkdir -p "$t/$n"
	(cd "$t/$n" && exec "$bin/turnserver" "$@" >"$t/$n.out" 2>&1) &
	sp=$!
	echo $sp >"$t/$n.pid"
	for _ in $(seq 100); do
		grep -q "turnserver\[$sp\]: INFO: ready:" "$t/syslog.txt" 2>/dev/null && break
		kill -0 $sp 2>/dev/null || break
		sleep 0.1
	done
	kill $sp 2>/dev/null
	wait $sp
	echo $? >"$t/$n.rc"
	for _ in $(seq 50); do
		grep -q "turnserver\[$sp\]: INFO: stopped" "$t/syslog.txt" 2>/dev/null && break
		sleep 0.1
	done
}
run log --log-file syslog "$@"
run fac --syslog --syslog-facility LOG_LOCAL1 --log-file "$t/fac/unused.log" "$@"
kill $lp
wait $lp 2>/dev/null
exit 0
'
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
	tl_fail "syslog checks (need root and unshare for a private mount namespace)"
else
	# shellcheck disable=SC2086 # $common is a list of flags
	timeout 60 unshare --mount --propagation private sh -c "$inner" sh "$tmp/ns" "$bin" -n $common \
		>"$tmp/ns.out" 2>&1
	rc=$?
	cat "$tmp/ns.out" "$tmp/ns/nolog.out" >"$tmp/out" 2>/dev/null
	tl_check "syslog namespace set up" '[ $rc -eq 0 ]' "$tmp/out"
	tl_check "log-file=syslog without a syslog socket is refused" \
		'[ "$(cat "$tmp/ns/nolog.rc")" != 0 ] && [ "$(cat "$tmp/ns/nolog.rc")" != 124 ] &&
		grep -q "cannot log to syslog: /dev/log" "$tmp/ns/nolog.out"' "$tmp/out"
	tl_check "log-file=syslog without a syslog socket creates no file named syslog" \
		'grep -q "cannot log to syslog" "$tmp/ns/nolog.out" && [ ! -e "$tmp/ns/nolog/syslog" ]'
	lpid=$(cat "$tmp/ns/log.pid" 2>/dev/null)
	cat "$tmp/ns/log.out" "$tmp/ns/syslog.txt" >"$tmp/out" 2>/dev/null
	tl_check "log-file=syslog sends the log lines to syslog as turnserver[PID], priority user.info" \
		'[ -n "$lpid" ] && grep -q "^<14>.* turnserver\[$lpid\]: INFO: ready:" "$tmp/ns/syslog.txt" &&
		grep -q "turnserver\[$lpid\]: INFO: stopped" "$tmp/ns/syslog.txt"' "$tmp/out"
	tl_check "log-file=syslog exits 0 on SIGTERM and writes nothing to stdout or stderr" \
		'[ "$(cat "$tmp/ns/log.rc")" = 0 ] && ! grep -q "ready:" "$tmp/ns/log.out" &&
		tl_no_sanitizer_report "$tmp/ns/log.out" "$tmp/ns/nolog.out"' "$tmp/out"
	tl_check "log-file=syslog creates no file named syslog" \
		'grep -q "INFO: ready:" "$tmp/ns/syslog.txt" && [ ! -e "$tmp/ns/log/syslog" ]'
	fpid=$(cat "$tmp/ns/fac.pid" 2>/dev/null)
	cat "$tmp/ns/fac.out" "$tmp/ns/syslog.txt" >"$tmp/out" 2>/dev/null
	# <142>: facility local1 (17) * 8 + priority info (6)
	tl_check "syslog with syslog-facility=LOG_LOCAL1 logs as local1.info, log-file unused" \
		'[ -n "$fpid" ] && [ "$(cat "$tmp/ns/fac.rc")" = 0 ] &&
		grep -q "^<142>.* turnserver\[$fpid\]: INFO: ready:" "$tmp/ns/syslog.txt" &&
		grep -q "turnserver\[$fpid\]: INFO: option log-file: not used: syslog" \
			"$tmp/ns/syslog.txt" && [ ! -e "$tmp/ns/fac/unused.log" ]' "$tmp/out"
fi

[ "$failed" -eq 0 ]
