#!/bin/sh
# test_anchor_sdes_rtpengine.sh BUILD_DIR: SDES-SRTP bridged by our anchor
# against an independent implementation, Debian's rtpengine-daemon in
# userspace (--table=-1), the two daemons in a row with the SRTP leg between
# them, in both offer directions and for each SDES suite both support
# (anchor_sdes_rtpengine.py: see there for the checks). Runs in a network
# namespace of its own with only loopback (the wire between the daemons is
# read there with an AF_PACKET socket). Needs root, unshare, ip, python3 and
# /usr/bin/rtpengine. Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016 # tl_check evals its condition later

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_isolate "$0" "$@"
tl_init "$@"
rtpengine=/usr/bin/rtpengine
[ -x "$rtpengine" ] || {
	tl_fail "sdes_rtpengine_prerequisites (missing: $rtpengine, apt-get install rtpengine-daemon)"
	exit 1
}

# --- our anchor, and rtpengine on a block of its own
tl_start_anchor 64 || exit 1
anchor_ng=$ng
rbase=$(tl_free_port_block 70) || {
	tl_fail sdes_rtpengine_free_ports
	exit 1
}
"$rtpengine" -f -E --config-file=none --table=-1 -i 127.0.0.1 -n "127.0.0.1:$rbase" \
	-m $((rbase + 2)) -M $((rbase + 69)) --delete-delay=0 --log-level=6 \
	>"$tmp/rtpengine.log" 2>&1 &
rtpe_pid=$!
pids="$pids $rtpe_pid"
tl_wait_log "$tmp/rtpengine.log" "Startup complete\|listening on" "$rtpe_pid"

# driver MODE: the driver's checks for MODE (failed=1 when it fails)
driver() {
	timeout 60 /usr/bin/python3 "$(dirname "$0")/anchor_sdes_rtpengine.py" "$1" "$anchor_ng" \
		"$rbase" >"$tmp/driver.out" 2>&1
	rc=$?
	cat "$tmp/driver.out"
	[ $rc -eq 0 ] && return 0
	failed=1
	grep -q '^FAIL: ' "$tmp/driver.out" || tl_fail "sdes_rtpengine_driver_$1 (exit $rc)"
	echo "  rtpengine log (last 20 lines):"
	tail -n 20 "$tmp/rtpengine.log" | sed 's/^/  | /'
	tail -n 20 "$tmp/server.log" | sed 's/^/  | /'
}
driver suites
driver flood

tl_stop "$rtpe_pid"
tl_check_turnserver_stops sdes_rtpengine_turnserver_stops_cleanly
tl_check sdes_rtpengine_server_log_has_no_sanitizer_report \
	'tl_no_sanitizer_report "$tmp/server.log"' "$tmp/server.log"
exit "$failed"
