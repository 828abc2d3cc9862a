#!/bin/sh
# test_coturn_tcprelay.sh BUILD_DIR: Debian coturn's turnutils_uclient -T
# (TCP allocations, RFC 6062) against OUR turnserver (BUILD_DIR/bin) on
# loopback. With -T uclient pairs its clients and each connects to the
# other's relayed address through our server, so both Connect and
# ConnectionAttempt + ConnectionBind are used: 10 clients x 50 messages of
# 160 bytes must all come back ("tot_recv_msgs=500", "Total lost packets 0"),
# every allocation is a TCP relay in our range, and the server stops with
# status 0 on SIGTERM without a sanitizer report. (uclient -P loses half its
# messages against coturn's own server too, so it is not checked.)
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

# check NAME CONDITION: on failure shows the end of $tmp/out
check() { tl_check "$1" "$2" "$tmp/out"; }

if ! [ -x /usr/bin/turnutils_uclient ]; then
	echo "FAIL: coturn_installed (/usr/bin/turnutils_uclient missing: apt-get install coturn)"
	exit 1
fi

# base: our server; base+100..base+399: relay ports
tl_port_plan 400

# coturn 4.6's uclient picks channel numbers up to 0x7FFF (RFC 5766)
tl_start_turnserver "$srv" "$minp" "$maxp" -r test.realm --rfc5766-channel-numbers
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
check server_ready 'grep -q "ready:" "$tmp/server.log" 2>/dev/null'

# tcp_relays_in_range: at least 10 TCP allocations logged, each relayed
# from 127.0.0.1 with a port in [minp, maxp]
tcp_relays_in_range() {
	n=0
	for a in $(sed -n 's/.*: TCP relay \([^,]*\),.*/\1/p' "$tmp/server.log"); do
		[ "${a%:*}" = 127.0.0.1 ] || return 1
		p=${a##*:}
		[ "$p" -ge "$minp" ] && [ "$p" -le "$maxp" ] || return 1
		n=$((n + 1))
	done
	[ "$n" -ge 10 ]
}

tl_run /usr/bin/turnutils_uclient -T -u alice -w secret -m 10 -n 50 -l 160 -p "$srv" 127.0.0.1
check coturn_uclient_tcp_relay_500_received_0_lost \
	'[ $rc -eq 0 ] && grep -q "tot_recv_msgs=500\$" "$tmp/out" &&
	 grep -q "Total lost packets 0 (" "$tmp/out"'
tl_server_output
check coturn_uclient_tcp_relay_allocations_in_range 'tcp_relays_in_range'

tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
