#!/bin/sh
# tier: full
# Scenario: SRTP-bridged calls under load (issue 13). turnserver anchors 100
# calls set up over ng with tests/bench/anchor_load.c --srtp: A plain
# RTP/AVP, B SDES-SRTP (transport-protocol RTP/SAVP toward B, DTLS=off,
# SDES-only-AES_CM_128_HMAC_SHA1_80; B answers with its own key), so the
# anchor unprotects what B sends and protects what it sends B. For 4 s
# each party sends 172-byte RTP packets at 50 packets/s (B's protected
# with libsrtp2), 10,000 packets/s in all. Checks: every call set up,
# queried and deleted; every packet B got was SRTP it could unprotect
# (the anchor protected it) and every packet A got was the plain one B had
# protected (the anchor unprotected it); every packet reaches the other
# party of its own call, no loss beyond what loopback drops; the anchor
# counts no authentication failure or replay; after delete, list is empty, the media sockets
# are closed and VmRSS is back near its level before the calls; the server
# exits 0 with no sanitizer report. Loopback only; about 15 s.
# Usage: test_anchor_bridge_load.sh BUILD_DIR
# shellcheck disable=SC2016,SC2034,SC2317 # tl_check evals its condition later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
calls=100
window_s=4
# as test_anchor_load.sh: 0.1% absorbs a receiver kept off the CPU on a
# loaded 2-core machine; one dead call would lose 1%
loss_ppm=1000
tl_anchor_load_start 500 --anchor-ng-cache-time "$tl_anchor_cache_s"

# a warm-up round, so that what libsrtp keeps after the first calls is in
# the level measured before the real round too
tl_anchor_warm_up "warm_up_round_of_${calls}_bridged_calls" --srtp --calls "$calls" --warm 0.5 \
	--seconds 0.5
auth0=$(tl_ngstat srtpauthfailures)
replay0=$(tl_ngstat srtpreplays)

"$tmp/anchor_load" --ng "127.0.0.1:$ngport" --srtp --calls "$calls" --warm 0.5 \
	--seconds "$window_s" --query --pid "$srv_pid" --prefix load --per-call "$tmp/calls.txt" \
	>"$tmp/load.out" 2>"$tmp/load.err"
rc=$?
tl_anchor_load_done "${calls}_bridged_calls_set_up_queried_deleted_over_ng"

tl_media_counts "$tmp/load.out"
want=$((calls * 50 * window_s + calls * 25))
tl_check "each_direction_sent_${want}_packets (a->b $sab, b->a $sba)" \
	'[ "$sab" = $want ] && [ "$sba" = $want ] && [ "$(tl_kv "$tmp/load.out" media send_errors)" = 0 ]'
tl_check "b_gets_only_srtp_it_can_unprotect" '[ "$(tl_kv "$tmp/load.out" media srtp_failures)" = 0 ]'
tl_check "no_loss_plain_a_to_srtp_b beyond ${loss_ppm} ppm (received $rab of $sab)" \
	'tl_ok_loss "$sab" "$rab"'
tl_check "no_loss_srtp_b_to_plain_a beyond ${loss_ppm} ppm (received $rba of $sba)" \
	'tl_ok_loss "$sba" "$rba"'
tl_anchor_calls_apart
auth=$(($(tl_ngstat srtpauthfailures) - auth0))
replay=$(($(tl_ngstat srtpreplays) - replay0))
tl_check "anchor_counts_no_auth_failure_or_replay ($auth, $replay)" \
	'[ "$auth" -eq 0 ] && [ "$replay" -eq 0 ]'

tl_anchor_list_empty
left=$(tl_media_sockets)
tl_check "media_sockets_closed_after_delete ($left left)" '[ "$left" -eq 0 ]'
tl_check_memory_back "$rss0"
tl_check_turnserver_stops "turnserver_exits_0_without_sanitizer_report"
exit $failed
