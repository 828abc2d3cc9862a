#!/bin/sh
# test_kamailio.sh BUILD_DIR: the media anchor behind a real SIP proxy.
# Debian's Kamailio (its stock rtpengine module) runs kamailio/kamailio.cfg.in
# and hands the offers, answers and BYEs of two sipp calls to our turnserver's
# anchor over the ng protocol, through a small UDP relay that logs both ways
# (so that the test sees what Kamailio really sends).
#   Call 1 (R-URI user ice-force: "replace-origin replace-session-connection
#   ICE=force"): a browser-like caller (UDP/TLS/RTP/SAVPF, mDNS host, srflx
#   and relay candidates) calls an Asterisk-like callee (host candidates
#   192.168.210.54 and 172.17.0.1). Each side receives an SDP naming only the
#   anchor's address and candidates (typ host and a=ice-lite toward the
#   callee, typ relay toward the caller) with the anchor's own ICE
#   credentials, and the rest (fingerprint, setup, codecs) as sent. The
#   INVITE is retransmitted, so Kamailio sends the offer twice, with two
#   cookies: both replies carry the same SDP, and so does a replay of
#   Kamailio's captured offer with a third cookie. Each party's ICE check,
#   made with the credentials it received, is answered; then DTLS-looking
#   datagrams cross both ways. BYE frees the call and its relay ports.
#   Call 2 (ice-remove): plain RTP/AVP parties on 127.0.0.2 and 127.0.0.3
#   exchange RTP through the anchor; query counts the packets; BYE frees it.
# Safety: the SDPs name private addresses that the anchor sends ICE checks
# to, so the script re-executes itself in a network namespace of its own
# with only loopback, and refuses to run if those addresses are reachable.
# Needs root, unshare, ip, ss, kamailio, sipp and python3. KAMTEST_KEEP=DIR
# keeps a copy of the temp directory (logs, SDPs, ng traffic) in DIR.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016,SC2034,SC2317 # tl_check evals its condition later

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
# the namespace: only loopback, up; the SDPs' other addresses unreachable
tl_unreachable="203.0.113.77 198.51.100.20"
tl_isolate "$0" "$@"
my_netns=$(readlink /proc/self/ns/net)
tl_init "$@"
trap '[ -n "${KAMTEST_KEEP:-}" ] && rm -rf "$KAMTEST_KEEP" && cp -r "$tmp" "$KAMTEST_KEEP"
	tl_cleanup "$tmp" $pids' EXIT
here=$(cd "$(dirname "$0")" && pwd) || exit 1
kdir=$here/kamailio
python=/usr/bin/python3
ng=$bin/turnutils_ng

missing=
for c in ip ss kamailio sipp; do command -v "$c" >/dev/null 2>&1 || missing="$missing $c"; done
for b in "$bin/turnserver" "$ng" "$python"; do [ -x "$b" ] || missing="$missing $b"; done
if [ -n "$missing" ]; then
	tl_fail "kamailio_prerequisites (missing:$missing)"
	exit 1
fi

# --- ports, all on 127.0.0.1 of this namespace
base=$(tl_free_port_block 64) || {
	tl_fail kamailio_free_ports
	exit 1
}
turn_port=$base
ng_port=$((base + 1))
proxy_port=$((base + 2))
sip_port=$((base + 3))
uas_port=$((base + 4))
uac_port=$((base + 5))
a_rtp=$((base + 6))
b_rtp=$((base + 8))
min_port=$((base + 16))
max_port=$((base + 63))

# kt ARG...: the test's python tools (kamailio/kamtest.py: see its usage)
kt() { "$python" "$kdir/kamtest.py" "$@"; }

# jget FILE PATH: the value at PATH (keys joined by ".") in FILE's JSON
jget() { kt get "$@" 2>/dev/null; }

# show FILE...: the last lines of each FILE (their first 300 bytes),
# indented, after a failed check
show() {
	for f in "$@"; do
		[ -s "$f" ] || continue
		echo "  --- $(basename "$f")"
		tail -n 25 "$f" | cut -c1-300 | sed 's/^/  | /'
	done
}

# wait_for SECONDS CONDITION: evals CONDITION every 0.1 s until it holds
wait_for() {
	for _ in $(seq $(($1 * 10))); do
		eval "$2" && return 0
		sleep 0.1
	done
	eval "$2"
}

# relay_sockets: the server's UDP sockets on relay ports, one "ip:port" a line
relay_sockets() {
	ss -Huanp 2>/dev/null | grep "pid=$srv_pid," | awk -v lo="$min_port" -v hi="$max_port" \
		'{ n = split($4, f, ":"); if (f[n] + 0 >= lo && f[n] + 0 <= hi) print $4 }'
}

# ngq NAME ARG...: turnutils_ng straight to the anchor, its JSON output in
# $tmp/NAME.json
ngq() {
	tl_ngq_name=$1
	shift
	timeout 20 "$ng" -s "127.0.0.1:$ng_port" -t 1000 "$@" >"$tmp/$tl_ngq_name.json" \
		2>"$tmp/$tl_ngq_name.err"
}

# --- the anchor: our turnserver
tl_start_turnserver "$turn_port" "$min_port" "$max_port" \
	--anchor-ng-listen "127.0.0.1:$ng_port" --verbose
wait_for 10 'ngq ping ping || ! kill -0 $srv_pid 2>/dev/null'
tl_server_output 20
tl_check kamailio_anchor_answers_ping '[ "$(jget "$tmp/ping.json" result)" = pong ]' "$tmp/out" ||
	exit 1

# --- the ng relay between Kamailio and the anchor, logging both ways
ngl=$tmp/ng.jsonl
: >"$ngl"
"$python" "$kdir/kamtest.py" proxy "$proxy_port" "$ng_port" "$ngl" "$tmp/proxy.ready" 110 \
	>"$tmp/proxy.err" 2>&1 &
proxy_pid=$!
pids="$pids $proxy_pid"
tl_wait_log "$tmp/proxy.ready" ready "$proxy_pid" || {
	tl_fail kamailio_ng_relay_starts
	show "$tmp/proxy.err"
	exit 1
}

# --- Kamailio in the foreground (-DD), logging to stderr (-E)
mkdir -p "$tmp/kamailio.run"
sed -e "s/@SIP_PORT@/$sip_port/g" -e "s/@NG_PORT@/$proxy_port/g" -e "s/@UAS_PORT@/$uas_port/g" \
	-e "s/@SIP_IP@/127.0.0.1/g" -e "s/@NG_IP@/127.0.0.1/g" -e "s/@UAS_IP@/127.0.0.1/g" \
	"$kdir/kamailio.cfg.in" >"$tmp/kamailio.cfg"
kamailio -f "$tmp/kamailio.cfg" -DD -E -m 32 -M 4 -Y "$tmp/kamailio.run" \
	-P "$tmp/kamailio.pid" -w "$tmp" >"$tmp/kamailio.log" 2>&1 &
kam_pid=$!
pids="$pids $kam_pid"
# its rtpengine module pings the anchor as it starts
wait_for 15 'grep -q "\"result\": \"pong\"" "$ngl" || ! kill -0 $kam_pid 2>/dev/null'
tl_check kamailio_starts_and_pings_anchor 'kill -0 $kam_pid 2>/dev/null &&
	grep -q "\"result\": \"pong\"" "$ngl"' "$tmp/kamailio.log" || exit 1

# call N USER OFFER ANSWER: starts the sipp callee, then the caller (call-id
# callN-1@kamtest, in call_id) through Kamailio to USER, in cdir=$tmp/callN,
# with the SDP files OFFER and ANSWER (@RTP_PORT@ filled in); checks that
# the callee has the ACK within 10 s (status 1 if not, after stopping both
# sipps). The caller then waits for hang_up.
call() {
	cdir=$tmp/call$1
	call_id=call$1-1@kamtest
	mkdir -p "$cdir"
	sed "s/@RTP_PORT@/$a_rtp/; s/\$/\r/" "$kdir/$3" >"$cdir/offer.sdp"
	sed "s/@RTP_PORT@/$b_rtp/; s/\$/\r/" "$kdir/$4" >"$cdir/answer.sdp"
	(cd "$cdir" && exec timeout 40 sipp -sf "$kdir/uas.xml" -i 127.0.0.1 -p "$uas_port" \
		-m 1 -timeout 30 -nostdin -trace_msg -message_file "$cdir/uas.msg" \
		-trace_err -error_file "$cdir/uas.err" >"$cdir/uas.out" 2>&1) &
	uas_pid=$!
	pids="$pids $uas_pid"
	wait_for 10 'ss -Huln | grep -q "127.0.0.1:$uas_port " || ! kill -0 $uas_pid 2>/dev/null'
	(cd "$cdir" && exec timeout 40 sipp -sf "$kdir/uac.xml" -s "$2" -i 127.0.0.1 \
		-p "$uac_port" -m 1 -timeout 30 -nostdin -cid_str "call$1-%u@kamtest" \
		-trace_msg -message_file "$cdir/uac.msg" -trace_err -error_file "$cdir/uac.err" \
		"127.0.0.1:$sip_port" >"$cdir/uac.out" 2>&1) &
	uac_pid=$!
	pids="$pids $uac_pid"
	wait_for 10 'grep -q "^ACK sip:" "$cdir/uas.msg" 2>/dev/null ||
		! kill -0 $uac_pid 2>/dev/null || ! kill -0 $uas_pid 2>/dev/null'
	if ! tl_check "kamailio_call$1_established" \
		'grep -q "^ACK sip:" "$cdir/uas.msg" 2>/dev/null' "$cdir/uac.out"; then
		show "$cdir/uac.err" "$cdir/uas.out" "$tmp/kamailio.log" "$ngl"
		tl_stop "$uac_pid" 10
		tl_stop "$uas_pid" 10
		return 1
	fi
	# what the callee got in the INVITE, and the caller in the 200 OK
	callee=$cdir/callee.sdp
	caller=$cdir/caller.sdp
	kt sdp "$cdir/uas.msg" "INVITE " "$callee" 2>"$cdir/sdp.err"
	kt sdp "$cdir/uac.msg" "SIP/2.0 200" "$caller" 2>>"$cdir/sdp.err"
	callee_anchor=127.0.0.1:$(mport "$callee")
	caller_anchor=127.0.0.1:$(mport "$caller")
}

# hang_up: cues the caller (an INFO), which sends BYE through Kamailio; waits
# up to 10 s for each sipp (then stops it); their status in uac_rc, uas_rc
hang_up() {
	kt info "$uac_port" "$call_id"
	for p in $uac_pid $uas_pid; do
		tl_wait_exit "$p" 100 || kill "$p" 2>/dev/null
	done
	wait "$uac_pid"
	uac_rc=$?
	wait "$uas_pid"
	uas_rc=$?
	tl_forget "$uac_pid"
	tl_forget "$uas_pid"
}

# check_call_freed N: after hang_up, both sipps succeeded, Kamailio deleted
# the call, which is gone from list, and no relay port is open any more
check_call_freed() {
	tl_check "kamailio_call$1_caller_and_callee_complete" \
		'[ $uac_rc -eq 0 ] && [ $uas_rc -eq 0 ]' "$cdir/uac.out" ||
		show "$cdir/uac.err" "$cdir/uas.err" "$cdir/uas.out"
	tl_check "kamailio_call$1_bye_deletes_on_anchor" \
		'kt ng "$ngl" deleted "$call_id" 2>"$tmp/out"' "$tmp/out"
	wait_for 3 'ngq list list && ! grep -qF "$call_id" "$tmp/list.json"'
	tl_check "kamailio_call$1_gone_from_list_after_bye" \
		'ngq list list && ! grep -qF "$call_id" "$tmp/list.json"' "$tmp/list.json"
	wait_for 3 '[ -z "$(relay_sockets)" ]'
	relay_sockets >"$tmp/out"
	tl_check "kamailio_call$1_relay_ports_closed_after_bye" '[ ! -s "$tmp/out" ]' "$tmp/out"
}

# mport SDP: the port of the first m= line
mport() { sed -n 's/^m=[a-z]* \([0-9]*\) .*/\1/p' "$1" | head -n 1; }

# only_anchor_addresses SDP: there is a c= line, and every address of o=,
# c=, a=rtcp and the candidates (raddr too) is the anchor's, 127.0.0.1
only_anchor_addresses() {
	grep -q "^c=IN IP4 127.0.0.1" "$1" && [ "$(kt addrs "$1" | sort -u)" = "127.0.0.1" ]
}

# media_port_in_relay_range SDP: each m= port is a relay port
media_port_in_relay_range() {
	awk -v lo="$min_port" -v hi="$max_port" '/^m=/ { n++; if ($2 < lo || $2 > hi) bad = 1 }
		END { exit !(n > 0 && !bad) }' "$1"
}

# kept_lines FROM TO: the lines of FROM that the anchor does not own appear in
# TO byte for byte (fingerprint, setup, codecs, ssrc, msid, mid, extmap...);
# those missing in $tmp/kept.missing
kept_lines() {
	grep -E '^a=(fingerprint|setup|rtpmap|fmtp|rtcp-fb|ssrc|msid|mid|extmap|ptime|sendrecv):' \
		"$1" >"$tmp/kept.want"
	grep -vxF -f "$2" "$tmp/kept.want" >"$tmp/kept.missing"
	[ -s "$tmp/kept.want" ] && [ ! -s "$tmp/kept.missing" ]
}

# attr SDP NAME: the value of the first a=NAME: line
attr() { sed -n "s/^a=$2:\(.*\)\r\$/\1/p" "$1" | head -n 1; }

# candidates_are SDP TYP: there are candidates, each UDP on 127.0.0.1 of type
# TYP (relay ones with raddr/rport), component 1 at the m= port, 2 at the
# a=rtcp port (or the next one)
candidates_are() {
	awk -v typ="$2" '{ sub(/\r$/, "") } /^m=/ { port[1] = $2; port[2] = $2 + 1 }
		/^a=rtcp:/ { split($0, r, /[: ]/); port[2] = r[2] }
		/^a=candidate:/ {
			n++
			if (tolower($3) != "udp" || $5 != "127.0.0.1" || $6 != port[$2] ||
			    $8 != typ)
				bad = 1
			if (typ == "relay" && ($9 != "raddr" || $11 != "rport"))
				bad = 1
		}
		END { exit !(n > 0 && !bad) }' "$1"
}

# rtp_reached PARTY SSRC SOURCE: in call 2, PARTY (a: caller, b: callee) got
# the $npkt packets of SSRC intact, all from SOURCE
npkt=50
rtp=$tmp/rtp.json
rtp_reached() {
	[ "$(jget "$rtp" "$1.received")" -eq "$npkt" ] && [ "$(jget "$rtp" "$1.bad")" -eq 0 ] &&
		[ "$(jget "$rtp" "$1.distinct_seqs")" -eq "$npkt" ] &&
		[ "$(jget "$rtp" "$1.ssrcs")" = "$2" ] && [ "$(jget "$rtp" "$1.sources")" = "$3" ]
}

# ============ call 1: browser-like caller, Asterisk-like callee, ICE=force
test_call1() {
	offer=$cdir/offer.sdp
	answer=$cdir/answer.sdp
	tl_check kamailio_call1_sdps_received '[ -s "$callee" ] && [ -s "$caller" ]' "$cdir/sdp.err"

	# the callee (the PBX side) sees the anchor as an ICE-lite host ...
	tl_check kamailio_call1_callee_sdp_names_only_anchor 'only_anchor_addresses "$callee" &&
		! grep -qE "203\.0\.113|198\.51\.100|\.local|0\.0\.0\.0" "$callee"' "$callee"
	tl_check kamailio_call1_callee_media_port_is_relay_port \
		'media_port_in_relay_range "$callee"' "$callee"
	tl_check kamailio_call1_callee_gets_anchor_host_candidates \
		'candidates_are "$callee" host' "$callee"
	tl_check kamailio_call1_callee_gets_ice_lite_and_end_of_candidates '
		grep -q "^a=ice-lite" "$callee" && grep -q "^a=end-of-candidates" "$callee"' \
		"$callee"
	# ... and the caller (the browser side) as a full ICE relay candidate
	tl_check kamailio_call1_caller_sdp_names_only_anchor 'only_anchor_addresses "$caller" &&
		! grep -qE "192\.168\.|172\.17\.0\.1" "$caller"' "$caller"
	tl_check kamailio_call1_caller_origin_replaced \
		'grep -q "^o=- 1867213417 [0-9]* IN IP4 127.0.0.1" "$caller"' "$caller"
	tl_check kamailio_call1_caller_media_port_is_relay_port \
		'media_port_in_relay_range "$caller"' "$caller"
	tl_check kamailio_call1_caller_gets_anchor_relay_candidates '
		candidates_are "$caller" relay && grep -q "^a=end-of-candidates" "$caller" &&
		! grep -q "^a=ice-lite" "$caller"' "$caller"
	# the anchor's own ICE credentials, one set per leg, not the parties'
	tl_check kamailio_call1_anchor_ice_credentials_replace_parties '
		[ "$(grep -c "^a=ice-ufrag:" "$callee")" -eq 1 ] &&
		[ "$(grep -c "^a=ice-pwd:" "$caller")" -eq 1 ] &&
		cu=$(attr "$callee" ice-ufrag) cp=$(attr "$callee" ice-pwd) &&
		ru=$(attr "$caller" ice-ufrag) rp=$(attr "$caller" ice-pwd) &&
		[ ${#cu} -ge 8 ] && [ ${#cp} -ge 22 ] && [ ${#ru} -ge 8 ] && [ ${#rp} -ge 22 ] &&
		[ "$cu" != "$(attr "$offer" ice-ufrag)" ] &&
		[ "$cp" != "$(attr "$offer" ice-pwd)" ] &&
		[ "$ru" != "$(attr "$answer" ice-ufrag)" ] &&
		[ "$rp" != "$(attr "$answer" ice-pwd)" ] &&
		[ "$cu" != "$ru" ]' "$callee"
	# DTLS-SRTP stays end to end: fingerprint, setup, codecs as the other sent
	tl_check kamailio_call1_callee_sdp_keeps_fingerprint_setup_codecs \
		'kept_lines "$offer" "$callee"' "$tmp/kept.missing"
	tl_check kamailio_call1_caller_sdp_keeps_fingerprint_setup_codecs \
		'kept_lines "$answer" "$caller"' "$tmp/kept.missing"

	# what Kamailio 5.6 sends; the anchor's replies to the same offer again
	tl_check kamailio_sends_flags_as_keys_supports_received_from \
		'kt ng "$ngl" kamailio-keys "$call_id" 2>"$tmp/out"' "$tmp/out"
	tl_check kamailio_call1_retransmitted_offer_answered_alike \
		'kt ng "$ngl" repeated-offer "$call_id" 2>"$tmp/out"' "$tmp/out"
	kt replay "$ng_port" "$ngl" 0 >"$tmp/replay.json" 2>"$tmp/out"
	tl_check kamailio_call1_replayed_offer_new_cookie_answered_alike \
		'kt ng "$ngl" replay "$call_id" "$tmp/replay.json" 2>>"$tmp/out"' "$tmp/out"

	# the call is up on the anchor: listed, queried, its relay ports open
	ngq list list
	tl_check kamailio_call1_listed 'grep -qF "\"$call_id\"" "$tmp/list.json"' "$tmp/list.json"
	ngq query1 query --call-id "$call_id"
	kt streams "$tmp/query1.json" >"$tmp/streams1" 2>&1
	tl_check kamailio_call1_query_shows_both_tags '
		[ "$(jget "$tmp/query1.json" result)" = ok ] &&
		[ "$(awk "\$2 == \"UDP/TLS/RTP/SAVPF\" { print \$1 }" "$tmp/streams1" | sort -u |
			wc -l)" -eq 2 ]' "$tmp/streams1"
	relay_sockets >"$tmp/sockets1"
	tl_check kamailio_call1_relay_ports_open 'grep -q ":$(mport "$callee")\$" "$tmp/sockets1" &&
		grep -q ":$(mport "$caller")\$" "$tmp/sockets1"' "$tmp/sockets1"

	# ICE on both legs with the credentials each party received: the
	# browser's check (controlling, from a peer-reflexive 127.0.0.1 port: its
	# candidates were mDNS and public ones) and the PBX's (controlling toward
	# the ICE-lite anchor) are answered, signed with the anchor's password;
	# the anchor's own checks use the party's credentials; a wrong password
	# gets 401; then DTLS-looking datagrams cross both ways unchanged.
	ice=$tmp/ice.json
	timeout 20 "$python" "$kdir/kamtest.py" ice "$offer" "$caller" "$caller_anchor" \
		"$answer" "$callee" "$callee_anchor" "$ice" >"$tmp/out" 2>&1
	for side in browser pbx; do
		tl_check "kamailio_call1_anchor_answers_${side}_ice_check" '
			[ "$(jget "$ice" $side.check.type)" = 0x0101 ] &&
			[ "$(jget "$ice" $side.check.signed)" = true ] &&
			[ "$(jget "$ice" $side.check.mapped)" = "$(jget "$ice" $side.addr)" ]' \
			"$ice"
	done
	tl_check kamailio_call1_anchor_answers_wrong_password_with_401 '
		[ "$(jget "$ice" browser.wrong_pwd.type)" = 0x0111 ] &&
		[ "$(jget "$ice" browser.wrong_pwd.code)" = 401 ]' "$ice"
	tl_check kamailio_call1_anchor_own_checks_use_party_credentials '
		[ "$(jget "$ice" browser.anchor_checks_bad)" = 0 ] &&
		[ "$(jget "$ice" pbx.anchor_checks_bad)" = 0 ]' "$ice"
	tl_check kamailio_call1_dtls_crosses_browser_to_pbx '
		[ "$(jget "$ice" pbx.media_received)" -ge 20 ] &&
		[ "$(jget "$ice" pbx.media_intact)" = true ] &&
		[ "$(jget "$ice" pbx.media_sources)" = "$callee_anchor" ]' "$ice"
	tl_check kamailio_call1_dtls_crosses_pbx_to_browser '
		[ "$(jget "$ice" browser.media_received)" -ge 20 ] &&
		[ "$(jget "$ice" browser.media_intact)" = true ] &&
		[ "$(jget "$ice" browser.media_sources)" = "$caller_anchor" ]' "$ice"
}

# ============ call 2: plain RTP parties on 127.0.0.2 and 127.0.0.3, ICE=remove
test_call2() {
	for side in callee caller; do
		eval "sdp=\$$side" # callee or caller
		# shellcheck disable=SC2154 # sdp is set by the eval
		tl_check "kamailio_call2_${side}_sdp_names_only_anchor_without_ice" '
			only_anchor_addresses "$sdp" && media_port_in_relay_range "$sdp" &&
			grep -q "^m=audio [0-9]* RTP/AVP " "$sdp" &&
			! grep -qE "127\.0\.0\.[23]" "$sdp" &&
			! grep -qE "^a=(candidate|ice-|end-of-candidates)" "$sdp"' "$sdp"
	done
	tl_check kamailio_call2_sdps_keep_codecs 'kept_lines "$cdir/offer.sdp" "$callee" &&
		kept_lines "$cdir/answer.sdp" "$caller"' "$tmp/kept.missing"
	tl_check kamailio_call2_retransmitted_offer_answered_alike \
		'kt ng "$ngl" repeated-offer "$call_id" 2>"$tmp/out"' "$tmp/out"

	# RTP both ways: the caller sends to the port its 200 OK named, the callee
	# to the one its INVITE named; each gets the other's packets intact, from
	# the port it sends to
	timeout 20 "$python" "$kdir/kamtest.py" rtp "127.0.0.2:$a_rtp" "$caller_anchor" \
		"127.0.0.3:$b_rtp" "$callee_anchor" "$npkt" "$rtp" >"$tmp/out" 2>&1
	tl_check kamailio_call2_rtp_caller_to_callee_through_anchor \
		'rtp_reached b 0x0a0a0a0a "$callee_anchor"' "$rtp"
	tl_check kamailio_call2_rtp_callee_to_caller_through_anchor \
		'rtp_reached a 0x0b0b0b0b "$caller_anchor"' "$rtp"

	# query counts them, in totals and per party (its tag's streams: what it
	# sent)
	ngq query2 query --call-id "$call_id"
	q2=$tmp/query2.json
	tl_check kamailio_call2_query_totals_count_rtp '[ "$(jget "$q2" result)" = ok ] &&
		[ "$(jget "$q2" totals.RTP.packets)" -eq $((2 * npkt)) ] &&
		[ "$(jget "$q2" totals.RTP.bytes)" -eq $((2 * 172 * npkt)) ]' "$q2"
	kt streams "$q2" >"$tmp/streams2" 2>&1
	printf "127.0.0.%s $npkt $((172 * npkt))\n" "2:$a_rtp" "3:$b_rtp" >"$tmp/streams2.want"
	tl_check kamailio_call2_query_per_tag_stats_and_endpoints '
		awk "\$4 > 0 { print \$3, \$4, \$5 }" "$tmp/streams2" | sort |
		cmp -s - "$tmp/streams2.want"' "$tmp/streams2"
}

if call 1 ice-force browser_offer.sdp asterisk_answer.sdp; then
	test_call1
	hang_up
	check_call_freed 1
fi
if call 2 ice-remove plain_offer.sdp plain_answer.sdp; then
	test_call2
	hang_up
	check_call_freed 2
fi

# ============ the end: warnings, Kamailio's log, statistics, clean shutdown
tl_check kamailio_anchor_replies_carry_no_warning 'kt ng "$ngl" no-warning >"$tmp/out" 2>&1' \
	"$tmp/out"
tl_check kamailio_logs_no_error '! grep -E "ERROR|CRITICAL" "$tmp/kamailio.log" >"$tmp/out"' \
	"$tmp/out"
ngq stats statistics
stat() { jget "$tmp/stats.json" "statistics.$1"; }
tl_check kamailio_statistics_count_two_calls_none_left '
	[ "$(stat currentstatistics.sessionstotal)" = 0 ] &&
	[ "$(stat totalstatistics.managedsessions)" = 2 ] &&
	[ "$(stat totalstatistics.regularterminatedsessions)" = 2 ] &&
	[ "$(stat totalstatistics.relayedpackets)" -ge $((2 * npkt)) ]' "$tmp/stats.json"
tl_stop "$kam_pid" 50
rc=$?
tl_check kamailio_stops_on_sigterm '[ $rc -eq 0 ]' "$tmp/kamailio.log"
tl_stop "$proxy_pid"
tl_check_turnserver_stops kamailio_turnserver_stops_cleanly
# leftovers: the processes of this namespace that the test started (by
# their whole command name: the script itself runs here too)
leftovers() {
	for d in /proc/[0-9]*; do
		[ "$(readlink "$d/ns/net" 2>/dev/null)" = "$my_netns" ] && cat "$d/comm" 2>/dev/null
	done | grep -E "^(kamailio|sipp|python3?|turnserver|timeout)$"
}
leftovers >"$tmp/out"
tl_check kamailio_no_process_left_in_netns '[ ! -s "$tmp/out" ]' "$tmp/out"
tl_check kamailio_server_log_has_no_sanitizer_report 'tl_no_sanitizer_report "$tmp/server.log"' \
	"$tmp/server.log"

exit "$failed"
