# shellcheck shell=sh disable=SC2034
# guest_lib.sh - what the guest's test scripts share (sourced by test.sh,
# and by turn_offload.sh and anchor_offload.sh in test.sh's topology):
# PASS/FAIL lines, waiting, and turnserver on 10.0.0.1 with the module.
export PATH=/usr/bin:/bin:/sbin
# iproute2's ip: busybox's sh runs its own applets before PATH, and
# busybox's ip has no netns support
ip() { /usr/bin/ip "$@"; }
rc=0
out=/tmp/turn.out
log=/tmp/ts.log
ts_pid=
peer_pid=

pass() { echo "PASS: $1"; }
fail() {
	echo "FAIL: $1"
	# (the host judges the console by WARNING: lines: the log's are renamed)
	[ -f "$out" ] && sed 's/WARNING:/warning:/; s/^/  | /' "$out" | tail -n 20
	[ -f "$log" ] && sed 's/WARNING:/warning:/; s/^/  log| /' "$log" | tail -n 15
	rc=1
}
check() {
	name=$1
	shift
	if "$@" >"$out" 2>&1; then pass "$name"; else fail "$name"; fi
}

# wait_for TENTHS CMD...: until CMD succeeds, at most TENTHS tenths of a second
wait_for() {
	n=$1
	shift
	while [ "$n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# ts_start [ARG...]: turnserver on 10.0.0.1:3478, relay ports 50000-50999,
# peers in 10.0.0.0/24 allowed (private), log in $log; waits for "ready:"
ts_start() {
	rm -f "$log"
	turnserver -n --listening-ip 10.0.0.1 --relay-ip 10.0.0.1 --listening-port 3478 \
		--min-port 50000 --max-port 50999 -u alice:secret --userdb /tmp/turn.db \
		--allowed-peer-ip 10.0.0.0-10.0.0.255 --relay-threads 1 --no-tcp \
		--log-file "$log" "$@" >>/tmp/ts.out 2>&1 &
	ts_pid=$!
	wait_for 100 grep -q 'ready:' "$log"
}

ts_stop() {
	[ -n "$ts_pid" ] && kill "$ts_pid" 2>/dev/null && wait "$ts_pid" 2>/dev/null
	ts_pid=
}

# finish NAME: the end of a turnserver script, the module unloaded by it:
# the module loaded again (else NAME-module-reloads fails), the echo peer
# $peer_pid stopped, and NAME-no-sanitizer-report: no turnserver that
# stopped by itself reported anything (a SANITIZE=1 build). Exits with $rc.
finish() {
	insmod /lib/modules/turnrelay.ko || { echo "FAIL: $1-module-reloads"; rc=1; }
	kill "$peer_pid" 2>/dev/null
	wait "$peer_pid" 2>/dev/null
	cat /tmp/ts.out >"$out"
	check "$1-no-sanitizer-report" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' /tmp/ts.out"
	exit $rc
}

