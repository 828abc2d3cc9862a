#!/bin/sh
# test_icmp_uclient.sh BUILD_DIR: turnutils_uclient shows the ICMP errors
# the server reports (RFC 8656 §11.3, §11.5): its messages go through our
# turnserver to a peer port on 127.0.0.1 (and ::1) that nobody listens on,
# and it prints "icmp: peer ADDR type 3 code 3" (IPv6: type 1 code 4) for
# that peer and counts them, with channels and with Send indications, and
# over DTLS (-S, the indication goes inside the client's DTLS session). A
# burst of 40 messages to the closed port gets at most 20 reports (10 a
# second per allocation, the burst meets at most two windows), and the
# metrics count them: turnserver_icmp_errors_total{result="reported"} and
# {result="rate_limited"}. The server must stop cleanly. Prints one "PASS: name" or "FAIL: name" line
# per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

base=$(tl_free_port_block 20) || {
	echo "FAIL: no free port block"
	exit 1
}
closed=$((base + 1)) # in the free block: no socket holds it
tls=$((base + 2))
metrics=$((base + 3))
scripts=$(dirname "$0")/../../scripts
"$scripts/test-cert" "$tmp" >"$tmp/out" 2>&1
tl_setup test_cert_made "[ -s '$tmp/server.pem' ]" "$tmp/out"
tl_start_turnserver "$base" $((base + 10)) $((base + 19)) --relay-ip ::1 \
	--tls-listening-port "$tls" --cert "$tmp/server.pem" --pkey "$tmp/server.key" \
	--prometheus --prometheus-address 127.0.0.1 --prometheus-port "$metrics"
if ! tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"; then
	tl_server_output
	tl_fail "server_starts"
	exit 1
fi

# uclient NAME PEER_IP FLAGS...: 3 messages to PEER_IP:$closed, output in $tmp/NAME.out
uclient() {
	tl_name=$1 tl_peer=$2
	shift 2
	# FLAGS last: the DTLS run's -p wins over the plain port
	timeout 60 "$bin/turnutils_uclient" -p "$base" -u alice -w secret -e "$tl_peer" \
		-r "$closed" -n 3 -z 50 --timeout 1 "$@" 127.0.0.1 >"$tmp/$tl_name.out" 2>&1
}

uclient v4_channels 127.0.0.1
tl_check uclient_shows_port_unreachable_v4_with_channels \
	"grep -q '^icmp: peer 127.0.0.1:$closed type 3 code 3 error data 0$' '$tmp/v4_channels.out' &&
	 grep -q '^icmp errors: 3$' '$tmp/v4_channels.out'" "$tmp/v4_channels.out"

uclient v4_send 127.0.0.1 -s
tl_check uclient_shows_port_unreachable_v4_with_send_indications \
	"grep -q '^icmp: peer 127.0.0.1:$closed type 3 code 3 error data 0$' '$tmp/v4_send.out'" \
	"$tmp/v4_send.out"

uclient v6 ::1 -x
tl_check uclient_shows_port_unreachable_v6 \
	"grep -q '^icmp: peer \[::1\]:$closed type 1 code 4 error data 0$' '$tmp/v6.out'" \
	"$tmp/v6.out"

uclient dtls 127.0.0.1 -S -v -E "$tmp/ca.pem" -p "$tls"
tl_check uclient_shows_port_unreachable_over_dtls \
	"grep -q '^DTLS: ' '$tmp/dtls.out' &&
	 grep -q '^icmp: peer 127.0.0.1:$closed type 3 code 3 error data 0$' '$tmp/dtls.out'" \
	"$tmp/dtls.out"

uclient burst 127.0.0.1 -n 40 -z 1
reports=$(grep -c '^icmp: ' "$tmp/burst.out")
counted=$(sed -n 's/^icmp errors: //p' "$tmp/burst.out")
tl_check uclient_burst_of_40_gets_at_most_20_icmp_reports \
	"[ '$reports' -ge 1 ] && [ '${counted:-0}' -ge 1 ] && [ '${counted:-0}' -le 20 ]" \
	"$tmp/burst.out"

# metric NAME_AND_LABELS: its value on the metrics page (0 when absent)
metric() {
	curl -sf "http://127.0.0.1:$metrics/metrics" >"$tmp/page" 2>&1
	awk -v m="$1" '$1 == m { print $2; f = 1 } END { if (!f) print 0 }' "$tmp/page"
}
reported=$(metric 'turnserver_icmp_errors_total{result="reported"}')
limited=$(metric 'turnserver_icmp_errors_total{result="rate_limited"}')
tl_check metrics_count_reported_and_rate_limited_icmp_errors \
	"[ '$reported' -ge 12 ] && [ '$limited' -ge 1 ]" "$tmp/page"

tl_check_turnserver_stops "server_stops_cleanly"
exit $failed
