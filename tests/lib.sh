# tests/lib.sh: shell functions shared by the test scripts in
# tests/integration and tests/interop, which source it with
#	. "$(dirname "$0")/../lib.sh"
# POSIX sh. The functions use these globals of the script: tmp (its temp
# directory), pids (the PIDs to stop at exit, space-separated), failed (1
# once a check failed), bin (BUILD_DIR/bin), rc and srv_pid where said.
# Their own variables start with tl_ so that they clobber none of the
# script's: tl_check evals conditions that name the script's variables.
# shellcheck shell=sh disable=SC2034 # the globals set here are the script's

# tl_init BUILD_DIR: the common start of a test script. Sets build (a usage
# message and exit without BUILD_DIR), bin=BUILD_DIR/bin, failed=0, an empty
# PID list pids and a new temp directory tmp (exit 1 if none can be made);
# at exit tl_cleanup stops $pids and removes $tmp; INT and TERM exit 1.
tl_init() {
	build=${1:?usage: $0 BUILD_DIR}
	bin=$build/bin
	failed=0
	pids=
	tl_netns=
	tmp=$(mktemp -d) || exit 1
	trap 'tl_cleanup "$tmp" $pids' EXIT
	trap 'exit 1' INT TERM
}

# tl_cleanup DIR [PID...]: sends SIGTERM to each PID, waits for each, then
# removes DIR. By PID only: nothing else is signalled.
tl_cleanup() {
	tl_dir=$1
	shift
	for tl_p in "$@"; do kill "$tl_p" 2>/dev/null; done
	for tl_p in "$@"; do wait "$tl_p" 2>/dev/null; done
	# shellcheck disable=SC2086 # a list of names
	[ -n "$tl_netns" ] && tl_netns_del $tl_netns
	rm -rf "$tl_dir"
}

# tl_forget PID: removes PID from $pids (once it has been stopped and
# waited for, so that cleanup signals no process that reuses the PID).
tl_forget() {
	tl_keep=
	for tl_p in $pids; do
		[ "$tl_p" = "$1" ] || tl_keep="$tl_keep $tl_p"
	done
	pids=$tl_keep
}

# tl_pass NAME: prints "PASS: NAME".
tl_pass() { echo "PASS: $1"; }

# tl_fail NAME: prints "FAIL: NAME" and sets failed=1.
tl_fail() {
	echo "FAIL: $1"
	failed=1
}

# tl_check NAME CONDITION [FILE]: evals the shell CONDITION (which sees the
# $? from before the call); "PASS: NAME" if it holds, else "FAIL: NAME",
# the last 20 lines of FILE (when given and present) indented by "  | ",
# and failed=1. Status 0 on PASS, 1 on FAIL.
tl_check() {
	if eval "$2"; then
		tl_pass "$1"
	else
		tl_fail "$1"
		[ -n "$3" ] && [ -f "$3" ] && sed 's/^/  | /' "$3" | tail -n 20
		return 1
	fi
}

# tl_setup NAME CONDITION [FILE]: a set-up step, not a check: silent when
# the shell CONDITION holds; else "FAIL: NAME", the end of FILE as tl_check
# shows it, and exit 1 (nothing after it can be checked).
tl_setup() {
	eval "$2" && return 0
	tl_fail "$1"
	[ -n "$3" ] && [ -f "$3" ] && sed 's/^/  | /' "$3" | tail -n 20
	exit 1
}

# tl_browser_init BUILD_DIR NS_PREFIX: the start of a Chromium test, which
# runs in two namespaces of its own (tl_netns_pair) instead of tl_init's
# temp directory and PID list: sets build, bin, here (the script's
# directory), dir (tests/interop/browser), chromium ($CHROMIUM or
# /usr/bin/chromium), failed=0, tmp, nsa=NS_PREFIX"A"PID and
# nsb=NS_PREFIX"B"PID, srv_pid and run_pid empty. At exit the server and
# the run still going are stopped, both namespaces and $tmp removed; INT,
# TERM, HUP and PIPE exit 1.
tl_browser_init() {
	build=${1:?usage: $0 BUILD_DIR}
	bin=$build/bin
	here=$(cd "$(dirname "$0")" && pwd) || exit 1
	dir=$here/browser
	chromium=${CHROMIUM:-/usr/bin/chromium}
	failed=0
	tmp=$(mktemp -d) || exit 1
	nsa=${2}A$$ nsb=${2}B$$
	srv_pid='' run_pid=''
	trap tl_browser_cleanup EXIT
	trap 'exit 1' INT TERM HUP PIPE
}

tl_browser_cleanup() {
	[ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	tl_netns_del "$nsb" "$nsa"
	[ -n "$run_pid" ] && wait "$run_pid" 2>/dev/null
	[ -n "$srv_pid" ] && wait "$srv_pid" 2>/dev/null
	rm -rf "$tmp"
}

# tl_browser_netns REALM: the network and user of a Chromium test: $nsa
# holds srv_ip=198.18.0.1/24 and $nsb 198.18.0.2/24, joined by a veth
# (tl_netns_pair); port=3478 (the server's), realm=REALM, user=webrtc and
# a new random password for turnadmin.
tl_browser_netns() {
	srv_ip=198.18.0.1
	port=3478
	realm=$1
	user=webrtc
	password="pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	tl_netns_pair "$nsa" "$srv_ip/24" "$nsb" 198.18.0.2/24
}

# tl_browser_server_log WHAT: the last 80 lines of the server's log and the
# last 40 of its stderr, shown for a failure during WHAT.
tl_browser_server_log() {
	echo "  server log (last 80 lines, $1):"
	tail -n 80 "$tmp/server.log" 2>/dev/null | sed 's/^/  | /'
	if [ -s "$tmp/server.err" ]; then
		echo "  server stderr:"
		tail -n 40 "$tmp/server.err" | sed 's/^/  | /'
	fi
}

# tl_browser_ice_servers NAME SRV_IP [ARG...]: turnadmin (with the ARGs as
# well) adds the TURN user $user in $realm with $password to $tmp/users.db
# and writes the iceServers JSON for SRV_IP:$port to $tmp/ice.json. Checks
# NAME_turnadmin_ice_servers (the JSON names a URL); exit 1 when not.
tl_browser_ice_servers() {
	tl_name=$1 tl_ip=$2
	shift 2
	# shellcheck disable=SC2154 # user, realm and password are the script's
	if "$bin/turnadmin" -a -b "$tmp/users.db" -u "$user" -r "$realm" -p "$password" \
		--ice-servers --external-ip "$tl_ip" --listening-port "$port" "$@" \
		>"$tmp/ice.json" 2>"$tmp/admin.err" &&
		node -e 'const j = require(process.argv[1]); if (!j.iceServers[0].urls.length) process.exit(1)' \
			"$tmp/ice.json" 2>>"$tmp/admin.err"; then
		tl_pass "${tl_name}_turnadmin_ice_servers"
	else
		tl_fail "${tl_name}_turnadmin_ice_servers"
		sed 's/^/  | /' "$tmp/ice.json" "$tmp/admin.err"
		exit 1
	fi
}

# tl_browser_server NAME ARG...: starts our turnserver in $nsa on
# $srv_ip:$port (relay ports 49152-49351 there, realm $realm, users from
# $tmp/users.db, log in $tmp/server.log) with the ARGs as well, sets
# srv_pid, and waits for it as tl_browser_server_up NAME does.
tl_browser_server() {
	tl_name=$1
	shift
	ip netns exec "$nsa" "$bin/turnserver" -n --listening-ip "$srv_ip" --listening-port "$port" \
		--relay-ip "$srv_ip" --min-port 49152 --max-port 49351 -r "$realm" \
		--userdb "$tmp/users.db" --log-file "$tmp/server.log" "$@" \
		>"$tmp/server.out" 2>"$tmp/server.err" &
	srv_pid=$!
	tl_browser_server_up "$tl_name" "$srv_ip"
}

# tl_browser_server_up NAME SRV_IP: waits up to 10 s for the server
# ($srv_pid, started in $nsa) to answer a STUN binding request sent from
# $nsb to SRV_IP:$port. Checks NAME_server_reachable_from_browser_namespace;
# exit 1 (after the server's log) when not.
tl_browser_server_up() {
	tl_up=0
	for _ in $(seq 100); do
		if ip netns exec "$nsb" "$bin/turnutils_stunclient" -p "$port" "$2" >/dev/null 2>&1; then
			tl_up=1
			break
		fi
		kill -0 "$srv_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [ $tl_up = 1 ]; then
		tl_pass "$1_server_reachable_from_browser_namespace"
	else
		tl_fail "$1_server_reachable_from_browser_namespace"
		tl_browser_server_log startup
		exit 1
	fi
}

# tl_browser_run_done NAME SCRIPT RC: after the node SCRIPT (started at
# $start, output in $tmp/run.out and run.err) exited RC: shows its output
# and time; when RC is not 0, "FAIL: NAME_run" unless it printed a FAIL
# line itself, failed=1, the end of its stderr, and status 1.
tl_browser_run_done() {
	cat "$tmp/run.out"
	# shellcheck disable=SC2154 # start is the script's
	echo "$1 run: $(($(date +%s) - start)) s, exit $3"
	[ "$3" -eq 0 ] && return 0
	grep -q '^FAIL: ' "$tmp/run.out" || tl_fail "$1_run (exit $3)"
	failed=1
	if [ -s "$tmp/run.err" ]; then
		echo "  $2 stderr (last 30 lines):"
		tail -n 30 "$tmp/run.err" | sed 's/^/  | /'
	fi
	return 1
}

# tl_browser_node SECONDS SCRIPT ARG...: runs node on $dir/SCRIPT with the
# ARGs in $nsb with CHROMIUM=$chromium, killed after SECONDS (and 5 more if
# it ignores SIGTERM), its stdout in $tmp/run.out and stderr in run.err; its
# exit status in rc. run_pid is its PID while it runs (for the cleanup).
tl_browser_node() {
	tl_secs=$1 tl_js=$2
	shift 2
	ip netns exec "$nsb" env CHROMIUM="$chromium" timeout -k 5 "$tl_secs" \
		node "$dir/$tl_js" "$@" >"$tmp/run.out" 2>"$tmp/run.err" &
	run_pid=$!
	wait "$run_pid"
	rc=$?
	run_pid=
}

# tl_browser_out_tails N: the last N lines (cut at 300 characters) of each
# file a failed run left in $tmp/out (its ng traffic, SDPs, stats).
tl_browser_out_tails() {
	for tl_f in "$tmp"/out/*; do
		[ -f "$tl_f" ] || continue
		echo "  $(basename "$tl_f") (last $1 lines):"
		tail -n "$1" "$tl_f" | cut -c1-300 | sed 's/^/  | /'
	done
}

# tl_browser_server_stops NAME: stops the server ($srv_pid) and checks
# NAME_server_exits_cleanly: status 0 and no sanitizer report in its stdout
# or stderr.
tl_browser_server_stops() {
	tl_stop "$srv_pid"
	tl_st=$?
	srv_pid=
	if [ $tl_st -eq 0 ] && tl_no_sanitizer_report "$tmp/server.out" "$tmp/server.err"; then
		tl_pass "$1_server_exits_cleanly"
	else
		tl_fail "$1_server_exits_cleanly (status $tl_st)"
		tl_browser_server_log shutdown
	fi
}

# tl_browser_ready NAME CHROMIUM DIR PROGRAM...: set-up of a Chromium test
# (tests/interop/browser in DIR): root, ip, CHROMIUM, node, npm, each
# command in $tl_browser_tools (the script's, may be unset) and each
# PROGRAM in $bin must be there, and playwright-core at the version DIR's
# package-lock.json pins (installed with npm ci when it is not). Else
# "FAIL: NAME_prerequisites (missing: ...)" or "FAIL: NAME_npm_ci", exit 1.
tl_browser_ready() {
	tl_name=$1 tl_chromium=$2 tl_dir=$3
	shift 3
	tl_missing=
	[ "$(id -u)" = 0 ] || tl_missing="$tl_missing root"
	command -v ip >/dev/null 2>&1 || tl_missing="$tl_missing ip(iproute2)"
	[ -x "$tl_chromium" ] || tl_missing="$tl_missing $tl_chromium(apt-get install chromium)"
	command -v node >/dev/null 2>&1 || tl_missing="$tl_missing node"
	command -v npm >/dev/null 2>&1 || tl_missing="$tl_missing npm"
	for tl_b in ${tl_browser_tools:-}; do
		command -v "$tl_b" >/dev/null 2>&1 || tl_missing="$tl_missing $tl_b"
	done
	for tl_b in "$@"; do [ -x "$bin/$tl_b" ] || tl_missing="$tl_missing $bin/$tl_b"; done
	if [ -n "$tl_missing" ]; then
		tl_fail "${tl_name}_prerequisites (missing:$tl_missing)"
		exit 1
	fi
	tl_want=$(node -e 'console.log(require(process.argv[1]).packages["node_modules/playwright-core"].version)' \
		"$tl_dir/package-lock.json" 2>/dev/null)
	tl_have=$(node -e 'console.log(require(process.argv[1]).version)' \
		"$tl_dir/node_modules/playwright-core/package.json" 2>/dev/null)
	[ -n "$tl_want" ] && [ "$tl_want" = "$tl_have" ] && return 0
	(cd "$tl_dir" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1 &&
		return 0
	tl_fail "${tl_name}_npm_ci"
	sed 's/^/  | /' "$tmp/npm.log" | tail -n 20
	exit 1
}

# tl_nssdb NAME HOME_DIR [CA_PEM]: a new NSS database under
# HOME_DIR/.pki/nssdb (where Chromium on Linux reads the CAs a user added),
# empty or with CA_PEM trusted to issue server certificates (certutil -t
# C,,). A set-up step: on failure "FAIL: NAME_nssdb" and exit 1.
tl_nssdb() {
	tl_db=sql:$2/.pki/nssdb
	mkdir -p "$2/.pki/nssdb" && certutil -N -d "$tl_db" --empty-password >"$tmp/nssdb.log" 2>&1 &&
		{ [ -z "$3" ] || certutil -A -d "$tl_db" -n "turnserver test CA" -t C,, -i "$3" \
			>>"$tmp/nssdb.log" 2>&1; } && return 0
	tl_fail "$1_nssdb ($2)"
	sed 's/^/  | /' "$tmp/nssdb.log" | tail -n 20
	exit 1
}

# tl_run CMD...: runs CMD for at most 120 s, its stdout and stderr into
# $tmp/out, its exit status into rc.
# tl_wait_udp_port PORT: waits up to 5 s until a UDP socket is bound to PORT
# (a peer started in the background is ready before traffic is aimed at it;
# datagrams sent earlier come back as ICMP port unreachable).
tl_wait_udp_port() {
	tl_hex=$(printf '%04X' "$1")
	for _ in $(seq 50); do
		grep -q ":$tl_hex " /proc/net/udp /proc/net/udp6 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

tl_run() {
	timeout 120 "$@" >"$tmp/out" 2>&1
	rc=$?
}

# tl_free_port_block N: prints a random base port B such that B..B+N-1 are
# in use by no TCP or UDP socket, between 10000 and the start of the
# ephemeral port range (so that no client socket takes one later). Status 1
# when 200 tries found none.
tl_free_port_block() {
	tl_low=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	tl_low=${tl_low:-32768}
	tl_used=$(ss -Htaun 2>/dev/null | awk '{ print $5 }' | sed 's/.*://' | sort -u)
	for _ in $(seq 200); do
		tl_b=$(($(od -An -N2 -tu2 /dev/urandom) % (tl_low - 10000 - $1) + 10000))
		if echo "$tl_used" | awk -v lo="$tl_b" -v hi=$((tl_b + $1 - 1)) \
			'$1 + 0 >= lo && $1 + 0 <= hi { found = 1 } END { exit found }'; then
			echo "$tl_b"
			return 0
		fi
	done
	return 1
}

# tl_require_coturn TOOL...: a "FAIL: coturn_installed" line and exit 1
# unless each of Debian coturn's /usr/bin/TOOL is there.
tl_require_coturn() {
	for tl_t in "$@"; do
		[ -x "/usr/bin/$tl_t" ] && continue
		echo "FAIL: coturn_installed (/usr/bin/$tl_t missing: apt-get install coturn)"
		exit 1
	done
}

# tl_require_tools HINT TOOL...: a "FAIL: TOOL missing (HINT)" line and
# exit 1 unless each TOOL is a command on PATH.
tl_require_tools() {
	tl_hint=$1
	shift
	for tl_t in "$@"; do
		command -v "$tl_t" >/dev/null 2>&1 && continue
		echo "FAIL: $tl_t missing ($tl_hint)"
		exit 1
	done
}

# tl_wait_stun PORT: waits up to 5 s until a server on 127.0.0.1:PORT
# answers our turnutils_stunclient over UDP (one started in the background
# is ready then). Status 1 when it did not.
tl_wait_stun() {
	for _ in $(seq 50); do
		"$bin/turnutils_stunclient" -p "$1" 127.0.0.1 >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# tl_start_redis PORT [ARG...]: redis-server on 127.0.0.1:PORT with the
# ARGs, its data in $tmp (SAVE writes redis.rdb there, the next start reads
# it back), its log appended to $tmp/redis.log; its PID in redis_pid and on
# pids. Waits until it answers redis-cli's PING (with $REDISCLI_AUTH when
# set); else a set-up failure: "FAIL: redis_server_starts", exit 1.
tl_start_redis() {
	tl_rport=$1
	shift
	redis-server --port "$tl_rport" --bind 127.0.0.1 --dir "$tmp" --dbfilename redis.rdb \
		--save '' --appendonly no --daemonize no "$@" >>"$tmp/redis.log" 2>&1 &
	redis_pid=$!
	pids="$pids $redis_pid"
	for _ in $(seq 100); do
		[ "$(redis-cli -p "$tl_rport" ping 2>/dev/null)" = PONG ] && return 0
		sleep 0.1
	done
	tl_setup redis_server_starts false "$tmp/redis.log"
}

# tl_has_ipv6_loopback: true when ::1 is configured on lo.
tl_has_ipv6_loopback() { grep -q "^0\{31\}1 .* lo$" /proc/net/if_inet6 2>/dev/null; }

# tl_port_plan N: base, a free block of N ports (tl_free_port_block; at
# least 200), srv=base for our server, and minp=base+100..maxp=base+N-1 for
# its relay ports; base+1..base+99 are the script's. When there is no free
# block: "FAIL: no free port block", exit 1.
tl_port_plan() {
	base=$(tl_free_port_block "$1") || {
		echo "FAIL: no free port block"
		exit 1
	}
	srv=$base
	minp=$((base + 100))
	maxp=$((base + $1 - 1))
}

# tl_start_turnserver PORT MINPORT MAXPORT [ARG...]: starts $bin/turnserver
# in the background on 127.0.0.1:PORT, relaying from 127.0.0.1 ports
# MINPORT..MAXPORT, user alice with password secret, loopback peers
# allowed, 2 relay threads, its user store, pidfile and log (server.log) in
# $tmp, stdout in $tmp/server.out and stderr in $tmp/server.err; the ARGs
# (a realm, more addresses) follow. Its PID goes into srv_pid and onto
# pids. Does not wait: see tl_wait_log.
tl_start_turnserver() {
	tl_port=$1 tl_min=$2 tl_max=$3
	shift 3
	"$bin/turnserver" -n --listening-ip 127.0.0.1 --relay-ip 127.0.0.1 \
		--listening-port "$tl_port" --min-port "$tl_min" --max-port "$tl_max" \
		-u alice:secret --userdb "$tmp/turn.db" --allow-loopback-peers --relay-threads 2 \
		--log-file "$tmp/server.log" --pidfile "$tmp/server.pid" "$@" \
		>"$tmp/server.out" 2>"$tmp/server.err" &
	srv_pid=$!
	pids="$pids $srv_pid"
}

# tl_start_tls_turnserver [ARG...]: a scripts/test-cert certificate in
# $tmp/cert (the CA in ca.pem, the server's naming localhost and 127.0.0.1)
# and tl_start_turnserver with it on a free block of 12 ports: base is the
# listening port (TLS and plain), base+1 its tls-listening-port (not the
# default 5349, which another test may hold), relay ports base+2..base+11.
# Waits for the server to be ready; a set-up step (tl_setup), so a failure
# exits.
tl_start_tls_turnserver() {
	base=$(tl_free_port_block 12) || { tl_fail "no free port block"; exit 1; }
	"$(dirname "$0")/../../scripts/test-cert" "$tmp/cert" >"$tmp/out" 2>&1
	tl_setup test_cert_made '[ -s "$tmp/cert/server.pem" ]' "$tmp/out"
	tl_start_turnserver "$base" $((base + 2)) $((base + 11)) \
		--cert "$tmp/cert/server.pem" --pkey "$tmp/cert/server.key" \
		--tls-listening-port $((base + 1)) "$@"
	tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
	tl_sts=$?
	tl_server_output
	tl_setup server_starts "[ $tl_sts -eq 0 ]" "$tmp/out"
}

# tl_start_anchor NPORTS [ARG...]: tl_start_turnserver on a free block with
# the anchor's ng socket on 127.0.0.1 and NPORTS relay ports; sets port, ng,
# min and max, and waits for the server to be ready (server.log is that
# server's alone). Status 1 (after a FAIL line with the server's output)
# when it is not.
tl_start_anchor() {
	tl_n=$1
	shift
	base=$(tl_free_port_block $((tl_n + 2))) || { tl_fail "free ports"; return 1; }
	port=$base ng=$((base + 1)) min=$((base + 2)) max=$((base + 1 + tl_n))
	# the log of an earlier server has its own "ready:" line
	rm -f "$tmp/server.log"
	tl_start_turnserver "$port" "$min" "$max" --anchor-ng-listen "127.0.0.1:$ng" "$@"
	if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
		tl_server_output
		tl_check "server starts" false "$tmp/out"
		return 1
	fi
}

# tl_anchor_mode SECONDS SCRIPT NPORTS MODE [SERVER ARGS...]: a fresh
# anchor (tl_start_anchor NPORTS SERVER ARGS), then the Python driver SCRIPT
# beside the test as "SCRIPT MODE NG MIN MAX BIN" under a SECONDS timeout;
# failed=1 when the driver fails (it prints its own checks). Status 1 only
# when the server did not start.
tl_anchor_mode() {
	tl_secs=$1 tl_script=$2 tl_np=$3 mode=$4
	shift 4
	tl_start_anchor "$tl_np" "$@" || return 1
	timeout "$tl_secs" /usr/bin/python3 "$(dirname "$0")/$tl_script" "$mode" "$ng" "$min" "$max" \
		"$bin" || failed=1
	return 0
}

# tl_anchor_load_start NPORTS [SERVER ARGS...]: the set-up of the anchor
# load tests. Builds tests/bench/anchor_load.c into $tmp/anchor_load, plain
# -O2 in any build (the load generator must not steal the CPU the test
# measures, and is not the code under test); starts tl_start_turnserver
# with the anchor's ng socket on a free block: sets port, ngport (port + 1),
# min (port + 10) and max (NPORTS relay ports); then checks that ng answers
# ping. Exits 1 after a FAIL line when a step fails.
tl_anchor_load_start() {
	tl_n=$1
	shift
	cc -O2 -std=gnu11 -Wall -Wextra -o "$tmp/anchor_load" "$(dirname "$0")/../bench/anchor_load.c" -lsrtp2 \
		>"$tmp/out" 2>&1
	rc=$?
	tl_setup load_generator_builds "[ $rc -eq 0 ]" "$tmp/out"
	base=$(tl_free_port_block $((tl_n + 10))) || {
		tl_fail free_ports_found
		exit 1
	}
	port=$base ngport=$((base + 1)) min=$((base + 10)) max=$((base + 9 + tl_n))
	tl_start_turnserver "$port" "$min" "$max" --anchor-ng-listen "127.0.0.1:$ngport" "$@"
	tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
	rc=$?
	tl_server_output
	tl_setup turnserver_with_anchor_starts "[ $rc -eq 0 ]" "$tmp/out"
	"$bin/turnutils_ng" -s "127.0.0.1:$ngport" ping >"$tmp/out" 2>&1
	rc=$?
	tl_check ng_ping_answers_pong "[ $rc -eq 0 ] && grep -q pong '$tmp/out'" "$tmp/out" || exit 1
}

# tl_kv FILE LINE KEY: the value of KEY= on the line of FILE that starts
# with LINE (anchor_load's summary lines: "media sent_ab=N recv_ab=N ...").
tl_kv() { sed -n "s/^$2 .*\<$3=\([^ ]*\).*/\1/p" "$1"; }

# tl_anchor_load_done NAME: after a run of anchor_load (its exit status in
# rc, its report in $tmp/load.out, stderr in load.err): shows the report and
# checks NAME: exit 0 and no call whose set-up or teardown failed. Exit 1
# when not (nothing after it would mean anything).
# shellcheck disable=SC2016 # tl_check evals its condition
tl_anchor_load_done() {
	cat "$tmp/load.out" "$tmp/load.err" >"$tmp/out"
	sed 's/^/  /' "$tmp/load.out"
	tl_check "$1" '[ $rc -eq 0 ] && [ "$(tl_kv "$tmp/load.out" setup failed)" = 0 ] &&
		[ "$(tl_kv "$tmp/load.out" teardown failed)" = 0 ]' "$tmp/out" || exit 1
}

# tl_anchor_calls_apart: the checks that anchor_load's media kept to its
# calls: no packet reached another call or direction, and every call (a
# line of $tmp/calls.txt) had media both ways.
# shellcheck disable=SC2016 # tl_check evals its condition
tl_anchor_calls_apart() {
	tl_check "every_packet_reached_its_own_call_and_direction" \
		'[ "$(tl_kv "$tmp/load.out" media misrouted)" = 0 ]'
	tl_dead=$(awk '$3 == 0 || $5 == 0' "$tmp/calls.txt" | wc -l)
	tl_check "every_call_has_media_both_ways ($tl_dead without)" '[ "$tl_dead" -eq 0 ]'
}

# tl_anchor_list_empty: checks list_is_empty_after_delete (ng "list" on
# $ngport names no call), then gives the anchor a second to close sockets.
# shellcheck disable=SC2016 # tl_check evals its condition
tl_anchor_list_empty() {
	"$bin/turnutils_ng" -s "127.0.0.1:$ngport" list >"$tmp/out" 2>&1
	tl_check "list_is_empty_after_delete" 'grep -q "\"calls\": \[\]" "$tmp/out"' "$tmp/out"
	sleep 1
}

# tl_media_counts FILE: sab, rab, sba, rba (packets sent and received a->b
# and b->a) from the "media" line of anchor_load's output in FILE.
tl_media_counts() {
	sab=$(tl_kv "$1" media sent_ab)
	rab=$(tl_kv "$1" media recv_ab)
	sba=$(tl_kv "$1" media sent_ba)
	rba=$(tl_kv "$1" media recv_ba)
}

# tl_anchor_warm_up NAME [ANCHOR_LOAD ARGS...]: a warm-up round of
# anchor_load with ARGS (set-up step NAME, its report in $tmp/warm.out), so
# that what the allocator keeps after the first calls is in the level
# measured before the real round. Replies stay in the ng reply cache for
# anchor-ng-cache-time (retransmissions are answered from it): waits for
# them to expire (the anchor expires them on its 1 s tick), the server
# having been started with --anchor-ng-cache-time "$tl_anchor_cache_s"
# (60 by default), then sets rss0 to the server's VmRSS in kB.
tl_anchor_cache_s=2
tl_anchor_warm_up() {
	tl_name=$1
	shift
	"$tmp/anchor_load" --ng "127.0.0.1:$ngport" "$@" --prefix warm >"$tmp/warm.out" 2>&1
	tl_setup "$tl_name" "[ $? -eq 0 ]" "$tmp/warm.out"
	sleep $((tl_anchor_cache_s + 2))
	rss0=$(tl_rss_kb)
}

# tl_ok_loss SENT RECEIVED: status 0 when nothing was invented (RECEIVED
# <= SENT) and at most $loss_ppm (the script's) per million were lost.
# shellcheck disable=SC2154 # loss_ppm is the script's
tl_ok_loss() { [ "$2" -le "$1" ] && [ $((($1 - $2) * 1000000)) -le $(($1 * loss_ppm)) ]; }

# What the anchor load tests read after tl_anchor_load_start, besides tl_kv:
# tl_ngstat NAME: the number member NAME of the anchor's statistics reply
tl_ngstat() {
	"$bin/turnutils_ng" -s "127.0.0.1:$ngport" statistics 2>/dev/null |
		sed -n "s/^ *\"$1\": \([0-9][0-9]*\),\{0,1\}\$/\1/p"
}
# tl_rss_kb: the server's VmRSS in kB
tl_rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$srv_pid/status"; }
# tl_media_sockets: how many of the server's UDP sockets are bound in min..max
tl_media_sockets() {
	ss -Huanp "sport >= :$min and sport <= :$max" 2>/dev/null | grep -c "pid=$srv_pid,"
}
# tl_check_memory_back RSS0: checks memory_back_after_delete, the server's
# VmRSS at most $rss_slack_kb (the script's, 512 unless set) kB above RSS0
# (its level before the calls);
# not under ASan, whose quarantine keeps freed blocks (up to 256 MiB):
# VmRSS says nothing about leaks there, LeakSanitizer at exit does
tl_check_memory_back() {
	tl_rss1=$(tl_rss_kb)
	if grep -qa __asan_init "$bin/turnserver"; then
		echo "VmRSS $1 kB before the calls, $tl_rss1 kB after delete (ASan build: not checked)"
	else
		tl_slack=${rss_slack_kb:-512}
		tl_check "memory_back_after_delete (VmRSS $1 kB -> $tl_rss1 kB, slack $tl_slack kB)" \
			"[ $tl_rss1 -le $(($1 + tl_slack)) ]"
	fi
}

# tl_server_output [N]: writes what the server of tl_start_turnserver said
# into $tmp/out, for tl_check to show: its stdout, its stderr, and its log
# (only the last N lines of it with N).
tl_server_output() {
	cat "$tmp/server.out" "$tmp/server.err" >"$tmp/out"
	if [ -n "$1" ]; then
		tail -n "$1" "$tmp/server.log" >>"$tmp/out" 2>/dev/null
	else
		cat "$tmp/server.log" >>"$tmp/out" 2>/dev/null
	fi
}

# tl_wait_log FILE PATTERN [PID]: waits up to 10 s for a line of FILE to
# match the grep PATTERN; with PID, stops early once that process is gone.
# Status 0 when the line came.
tl_wait_log() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		[ -n "$3" ] && ! kill -0 "$3" 2>/dev/null && return 1
		sleep 0.1
	done
	return 1
}

# tl_wait_exit PID [TENTHS]: waits up to TENTHS/10 s (default 10 s) for the
# process PID to be gone, signalling nothing. Status 0 when it is gone.
tl_wait_exit() {
	for _ in $(seq "${2:-100}"); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.1
	done
	! kill -0 "$1" 2>/dev/null
}

# tl_stop PID [TENTHS]: SIGTERM to the child PID, SIGKILL if it is still
# there after TENTHS/10 s (default 10 s); waits for it, drops it from $pids
# and returns its exit status (that of the SIGKILL if it came to that).
tl_stop() {
	kill -TERM "$1" 2>/dev/null
	tl_wait_exit "$1" "$2" || kill -KILL "$1" 2>/dev/null
	wait "$1"
	tl_st=$?
	tl_forget "$1"
	return $tl_st
}

# tl_check_turnserver_stops NAME: stops the server of tl_start_turnserver
# (tl_stop, its status into rc) and checks NAME: it exited 0 and neither its
# stdout nor its stderr holds a sanitizer report; on failure shows those and
# the last 5 lines of its log.
tl_check_turnserver_stops() {
	tl_stop "$srv_pid"
	rc=$?
	tl_server_output 5
	tl_check "$1" '[ $rc -eq 0 ] && tl_no_sanitizer_report "$tmp/server.out" "$tmp/server.err"' \
		"$tmp/out"
}

# tl_anchor_driver PREFIX SECONDS SCRIPT [ARG...]: after tl_start_anchor, the
# Python driver SCRIPT with ARGs under a SECONDS timeout (it prints its own
# checks; failed=1 and the server log's tail when it fails), then the checks
# PREFIX_turnserver_stops_cleanly and PREFIX_server_log_has_no_sanitizer_report.
# shellcheck disable=SC2016 # tl_check evals its condition
tl_anchor_driver() {
	tl_pfx=$1 tl_secs=$2
	shift 2
	timeout "$tl_secs" /usr/bin/python3 "$@" >"$tmp/driver.out" 2>&1
	rc=$?
	cat "$tmp/driver.out"
	if [ $rc -ne 0 ]; then
		failed=1
		grep -q '^FAIL: ' "$tmp/driver.out" || tl_fail "${tl_pfx}_driver (exit $rc)"
		tail -n 20 "$tmp/server.log" | sed 's/^/  | /'
	fi
	tl_check_turnserver_stops "${tl_pfx}_turnserver_stops_cleanly"
	tl_check "${tl_pfx}_server_log_has_no_sanitizer_report" \
		'tl_no_sanitizer_report "$tmp/server.log"' "$tmp/server.log"
}

# tl_no_sanitizer_report FILE...: true when none of the FILEs (a daemon's
# stderr) holds an AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer
# report or a UBSan "runtime error".
tl_no_sanitizer_report() {
	! grep -qE "AddressSanitizer|LeakSanitizer|runtime error|UndefinedBehaviorSanitizer" "$@"
}

# --- network namespaces (root, unshare, ip). A test keeps one topology and
# makes it one line per step, as WireGuard's tests/netns.sh does. What the
# helpers create is torn down at exit (tl_cleanup) or by tl_netns_del.
# A namespace that is set up is not a check: a failed step prints a FAIL
# line naming it and the test stops (exit 1).

# tl_isolate SCRIPT ARGS...: call first thing as `tl_isolate "$0" "$@"`.
# Re-runs the script inside a network namespace of its own that has only
# loopback (unshare --net; needs root), so that whatever the anchor reads in
# a test SDP (192.168.210.54, 172.17.0.1, ...) can never be reached: the
# namespace dies with the script. Inside, refuses to go on (exit 1 with a
# FAIL line) when it holds another link or a default route, or when one of
# those addresses, or one in $tl_unreachable (set by the script before the
# call), has a route after all.
tl_isolate() {
	if [ -z "$TL_ISOLATED" ]; then
		if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null 2>&1; then
			echo "FAIL: isolation (needs root and unshare to run in a private network namespace)"
			exit 1
		fi
		TL_ISOLATED=$(readlink /proc/self/ns/net) \
			exec unshare --net sh -c 'ip link set lo up && exec "$0" "$@"' "$@"
	fi
	if [ "$(readlink /proc/self/ns/net)" = "$TL_ISOLATED" ]; then
		echo "FAIL: isolation (still in the namespace the script started in)"
		exit 1
	fi
	if [ "$(ip -o link show | grep -vc ': lo:')" -ne 0 ] || [ -n "$(ip route show default)" ] ||
		[ -n "$(ip -6 route show default 2>/dev/null)" ]; then
		echo "FAIL: isolation (the namespace has more than loopback: refusing to run)"
		exit 1
	fi
	for tl_a in 192.168.210.54 172.17.0.1 203.0.113.10 8.8.8.8 ${tl_unreachable:-}; do
		if ip route get "$tl_a" >/dev/null 2>&1; then
			echo "FAIL: isolation ($tl_a is reachable from the test's namespace: refusing to run)"
			exit 1
		fi
	done
}

# tl_netns_pair NS_A ADDR_A/LEN NS_B ADDR_B/LEN: two new namespaces, loopback
# up in each, joined by a veth pair whose end in each namespace bears that
# namespace's name (so NS_* are at most 15 characters) and address. Both are
# deleted at exit. On a failed step: "FAIL: netns NS_A-NS_B (STEP)", exit 1.
tl_netns_pair() {
	tl_netns="$tl_netns $3 $1"
	for tl_step in "netns add $1" "netns add $3" "-n $1 link set lo up" "-n $3 link set lo up" \
		"link add $1 netns $1 type veth peer name $3 netns $3" \
		"-n $1 addr add $2 dev $1" "-n $3 addr add $4 dev $3" \
		"-n $1 link set $1 up" "-n $3 link set $3 up"; do
		# shellcheck disable=SC2086 # the step's words are ip's arguments
		tl_netns_step "$1-$3" $tl_step
	done
}

# tl_netns_step WHAT IP-ARGS...: `ip IP-ARGS...`; on failure "FAIL: netns
# WHAT (ip IP-ARGS)" and exit 1. For the steps a test adds to its topology.
tl_netns_step() {
	tl_what=$1
	shift
	ip "$@" >/dev/null 2>&1 || {
		tl_fail "netns $tl_what (ip $*)"
		exit 1
	}
}

# tl_netns_del NS...: stops whatever still runs in each namespace (only what
# the test started runs there; SIGKILL by PID) and deletes it.
tl_netns_del() {
	for tl_ns in "$@"; do
		for tl_p in $(ip netns pids "$tl_ns" 2>/dev/null); do kill -9 "$tl_p" 2>/dev/null; done
		ip netns del "$tl_ns" 2>/dev/null
	done
}
