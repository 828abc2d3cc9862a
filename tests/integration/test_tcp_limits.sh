#!/bin/sh
# test_tcp_limits.sh BUILD_DIR: TURN-over-TCP clients that try to exhaust
# the server before they have an allocation (tcp_limits.py plays them): the
# per-address connection cap (the 129th connection from 127.0.0.1 is
# closed, 127.0.0.2 still gets in), max-allocate-timeout closing a
# connection that keeps sending, clients that never read their answers
# (bounded RSS), and a server out of file descriptors (prlimit on the
# running server) that neither spins on accept() nor floods its log, and
# serves again once descriptors are free. Valid clients are served
# throughout. Each server must stop cleanly, with no sanitizer report.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
python=/usr/bin/python3
here=$(dirname "$0")
asan=0
grep -qa __asan_init "$bin/turnserver" && asan=1

# run_mode MODE [SERVER ARGS...]: a fresh server, then tcp_limits.py MODE.
run_mode() {
	mode=$1
	shift
	base=$(tl_free_port_block 12) || { tl_fail "free ports for $mode"; return; }
	rm -f "$tmp/server.log"
	tl_start_turnserver "$base" $((base + 2)) $((base + 11)) "$@"
	if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
		tl_server_output
		tl_check "$mode: server starts" false "$tmp/out"
		return
	fi
	case $mode in
	noread) set -- "$srv_pid" "$asan" ;;
	fdlimit)
		prlimit --pid "$srv_pid" --nofile=64:64
		set -- "$srv_pid" "$tmp/server.log" "$tmp/server.err" "$tmp/server.out"
		;;
	*) set -- ;;
	esac
	timeout 120 "$python" "$here/tcp_limits.py" "$mode" "$base" "$@" || failed=1
	tl_check_turnserver_stops "$mode: server stops cleanly"
}

# every connection of caps stays half-open (Bindings only): the half-open
# cap (max-unauth-connections-per-ip, 64) raised to the connection cap
run_mode caps --max-unauth-connections-per-ip 128
run_mode deadline --max-allocate-timeout 2
run_mode noread
run_mode fdlimit
exit $failed
