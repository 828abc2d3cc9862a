#!/bin/sh
# test_ng_tool.sh BUILD_DIR: turnutils_ng against tiny python3 ng servers on
# 127.0.0.1 (no rtpengine): the request it builds from its options (keys,
# lists in order, bencode or JSON, the SDP from a file or stdin), its
# indented JSON output and exit status for ok, pong, error and broken
# replies, -o, replies with a foreign cookie ignored, retransmission of the
# identical datagram (same cookie) after a dropped one, no reply, and its
# usage errors. Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
ng=$bin/turnutils_ng
python=/usr/bin/python3

# The fake ng server is tests/integration/fake_ng.py (its docstring says
# what it answers).
# start_fake MODE NAME: starts fake_ng.py, its port in $port, log $tmp/NAME.log
start_fake() {
	"$python" "$(dirname "$0")/fake_ng.py" "$tmp/$2.port" "$tmp/$2.log" "$1" 2>"$tmp/$2.err" &
	pids="$pids $!"
	: >"$tmp/$2.log"
	tl_wait_log "$tmp/$2.port" '^[0-9]' $! || {
		tl_fail "fake_server_$2_starts"
		cat "$tmp/$2.err"
		exit 1
	}
	port=$(cat "$tmp/$2.port")
}

# run ARG...: turnutils_ng (20 s at most); stdout in $tmp/out, stderr in $tmp/err, status rc
run() {
	timeout 20 "$ng" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	cat "$tmp/err" >>"$tmp/all.err"
}

# check NAME CONDITION: on failure shows turnutils_ng's stdout and stderr
check() {
	tl_check "$1" "$2" || {
		sed 's/^/  stdout: /' "$tmp/out" | tail -n 20
		sed 's/^/  stderr: /' "$tmp/err" | tail -n 5
	}
}

err_has() { grep -qF -- "$1" "$tmp/err"; }

# py EXPR FILE [ARG...]: a Python expression on FILE, which is bound to t (its
# text), j (its JSON, or None), r and q (the last line of a fake's log, as
# JSON, and its request); the ARGs are a[0], a[1], ...
py() {
	"$python" -c '
import json, sys
t = open(sys.argv[2], encoding="utf-8", errors="surrogateescape", newline="").read()
try:
    j = json.loads(t)
except ValueError:
    j = None
lines = t.splitlines()
try:
    r = json.loads(lines[-1]) if lines else {}
except ValueError:
    r = {}
q = r.get("req", {})
a = sys.argv[3:]
sys.exit(0 if eval("(" + sys.argv[1] + ")") else 1)' "$@"
}

: >"$tmp/out"
: >"$tmp/err"
check turnutils_ng_built '[ -x "$ng" ]' || exit 1

printf 'v=0\r\no=- 7 7 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 2000 RTP/AVP 0\r\n' \
	>"$tmp/offer.sdp"

# --- usage errors: status 2, a reason on stderr, nothing sent
run -h
check help_prints_usage_and_exits_0 '[ $rc -eq 0 ] && grep -q "^Usage: turnutils_ng" "$tmp/out"'
run
check no_command_is_usage_error '[ $rc -eq 2 ] && err_has "no command"'
run frobnicate
check unknown_command_is_usage_error '[ $rc -eq 2 ] && err_has "unknown command '\''frobnicate'\''"'
run --frob ping
check unknown_option_prints_usage '[ $rc -eq 2 ] && err_has "Usage: turnutils_ng"'
run -s 127.0.0.1:99999 ping
check bad_server_address_is_usage_error '[ $rc -eq 2 ] && err_has "bad server address"'
run -s localhost ping
check server_must_be_numeric '[ $rc -eq 2 ] && err_has "bad server address '\''localhost'\''"'
run -t 0 ping
check zero_timeout_is_usage_error '[ $rc -eq 2 ] && err_has "bad timeout '\''0'\''"'
run -r x ping
check bad_retries_is_usage_error '[ $rc -eq 2 ] && err_has "bad retries"'
run ping --ice sometimes
check bad_ice_mode_is_usage_error '[ $rc -eq 2 ] && err_has "bad --ice '\''sometimes'\''"'
run ping --direction a --direction b --direction c
check third_direction_is_usage_error '[ $rc -eq 2 ] && err_has "more than 2 times"'
run offer --from-tag f --sdp-file "$tmp/offer.sdp"
check offer_needs_call_id '[ $rc -eq 2 ] && err_has "offer needs --call-id"'
run offer --call-id c --sdp-file "$tmp/offer.sdp"
check offer_needs_from_tag '[ $rc -eq 2 ] && err_has "offer needs --from-tag"'
run offer --call-id c --from-tag f
check offer_needs_sdp_file '[ $rc -eq 2 ] && err_has "offer needs --sdp-file"'
run answer --call-id c --from-tag f --sdp-file "$tmp/offer.sdp"
check answer_needs_to_tag '[ $rc -eq 2 ] && err_has "answer needs --to-tag"'
run delete
check delete_needs_call_id '[ $rc -eq 2 ] && err_has "delete needs --call-id"'
run ping justaword
check extra_argument_must_be_key_value '[ $rc -eq 2 ] && err_has "'\''justaword'\'' is not KEY=VALUE"'
run ping =value
check key_value_needs_a_key '[ $rc -eq 2 ] && err_has "is not KEY=VALUE"'

# --- requests and replies against the serving fake
start_fake serve srv
log=$tmp/srv.log
# ngs ARG...: run against this fake
ngs() { run -s "127.0.0.1:$port" -t 2000 "$@"; }
ngs offer --call-id c --from-tag f --sdp-file "$tmp/missing.sdp"
check missing_sdp_file_is_reported '[ $rc -eq 2 ] && err_has "missing.sdp: No such file" &&
	[ ! -s "$log" ]'

ngs ping
check ping_exits_0_on_pong '[ $rc -eq 0 ] && py "j == {\"result\": \"pong\"}" "$tmp/out"'
check ping_is_one_bencoded_datagram 'py "q == {\"command\": \"ping\"} and r[\"fmt\"] == \"bencode\" and
	r[\"raw\"] == r[\"cookie\"] + \" d7:command4:pinge\"" "$log" && [ "$(wc -l <"$log")" -eq 1 ]'
check ping_cookie_is_random_hex 'py "len(r[\"cookie\"]) == 16 and
	all(c in \"0123456789abcdef\" for c in r[\"cookie\"])" "$log"'
first_cookie=$("$python" -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["cookie"])' "$log")
ngs -j ping
check json_ping_is_sent_as_json '[ $rc -eq 0 ] && py "r[\"fmt\"] == \"json\" and
	r[\"raw\"] == r[\"cookie\"] + \" {\\\"command\\\":\\\"ping\\\"}\" and r[\"cookie\"] != a[0]" \
	"$log" "$first_cookie"'

ngs offer --call-id c1@pbx --from-tag ft1 --sdp-file "$tmp/offer.sdp" --flag trust-address \
	--flag SIP-source-address --replace origin --replace session-connection --ice force \
	--rtcp-mux offer --rtcp-mux require --transport-protocol RTP/SAVPF --direction priv \
	--direction pub --via-branch z9hG4bK1 label=caller x-y=a=b empty= -o "$tmp/reply.sdp"
check offer_exits_0_on_ok '[ $rc -eq 0 ] && py "j[\"result\"] == \"ok\"" "$tmp/out"'
check offer_request_has_every_option 'py "q == {\"command\": \"offer\", \"call-id\": \"c1@pbx\",
	\"from-tag\": \"ft1\", \"via-branch\": \"z9hG4bK1\", \"ICE\": \"force\",
	\"transport-protocol\": \"RTP/SAVPF\", \"sdp\": open(a[0], newline=\"\").read(),
	\"flags\": [\"trust-address\", \"SIP-source-address\"],
	\"replace\": [\"origin\", \"session-connection\"], \"rtcp-mux\": [\"offer\", \"require\"],
	\"direction\": [\"priv\", \"pub\"], \"label\": \"caller\", \"x-y\": \"a=b\", \"empty\": \"\"}" \
	"$log" "$tmp/offer.sdp"'
check offer_request_starts_with_command 'py "list(q)[0] == \"command\"" "$log"'
check offer_reply_sdp_written_by_o 'py "t == json.load(open(a[0]))[\"sdp\"] and
	t.startswith(\"v=0\\r\\no=- 1 2 IN IP4 203.0.113.9\\r\\n\") and t.endswith(\"\\r\\n\")" \
	"$tmp/reply.sdp" "$tmp/out"'
check reply_printed_as_indented_json 'py "t.startswith(\"{\\n  \\\"\") and t.endswith(\"}\\n\") and
	j[\"sdp\"].startswith(\"v=0\\r\\n\") and \"\\\\r\\\\n\" in t" "$tmp/out"'

ngs -j answer --call-id c1@pbx --from-tag ft1 --to-tag tt1 --sdp-file - <"$tmp/offer.sdp"
check answer_json_sdp_from_stdin '[ $rc -eq 0 ] && py "r[\"fmt\"] == \"json\" and
	q[\"command\"] == \"answer\" and q[\"to-tag\"] == \"tt1\" and
	q[\"sdp\"] == open(a[0], newline=\"\").read()" "$log" "$tmp/offer.sdp"'

for cmd in delete query; do
	ngs "$cmd" --call-id c1@pbx --from-tag ft1
	check "${cmd}_sends_call_id_and_tag" '[ $rc -eq 0 ] && py "q == {\"command\": a[0],
		\"call-id\": \"c1@pbx\", \"from-tag\": \"ft1\"}" "$log" "$cmd"'
done
ngs -j list
check list_prints_calls '[ $rc -eq 0 ] && py "j == {\"result\": \"ok\", \"calls\": [\"a@x\", \"b@x\"]}" "$tmp/out" &&
	py "q == {\"command\": \"list\"}" "$log"'
ngs statistics
check statistics_exits_0 '[ $rc -eq 0 ] && py "q == {\"command\": \"statistics\"}" "$log"'

ngs query --call-id err
check error_result_exits_1_with_reason '[ $rc -eq 1 ] && err_has "error: Unknown call-id" &&
	py "j == {\"result\": \"error\", \"error-reason\": \"Unknown call-id\"}" "$tmp/out"'
ngs -j query --call-id err
check json_error_result_exits_1 '[ $rc -eq 1 ] && err_has "error: Unknown call-id"'
ngs query --call-id warn
check warning_is_shown_and_exit_0 '[ $rc -eq 0 ] && err_has "warning: Unknown flag"'
ngs offer --call-id nosdp --from-tag f --sdp-file "$tmp/offer.sdp" -o "$tmp/none.sdp"
check o_without_sdp_in_reply_exits_1 '[ $rc -eq 1 ] && err_has "the reply has no sdp" &&
	[ ! -e "$tmp/none.sdp" ]'
ngs query --call-id tricky
check bencode_reply_strings_escaped_in_json '[ $rc -eq 0 ] && py "j == {\"result\": \"ok\",
	\"s\": \"q\\\"b\\\\s\\x01\\n\\t\\u00e9\\u00ff\", \"n\": -9223372036854775808,
	\"l\": [1, [], {}], \"e\": \"\"} and \"\\\\u0001\" in t and \"\\\\u00ff\" in t" "$tmp/out"'
ngs query --call-id wrongcookie
check reply_with_other_cookie_is_ignored '[ $rc -eq 0 ] && py "j == {\"result\": \"ok\"}" "$tmp/out"'
ngs -r 0 query --call-id badreply
check unparsable_reply_exits_2 '[ $rc -eq 2 ] && err_has "bad reply: bencode: " && [ ! -s "$tmp/out" ]'
ngs -r 0 query --call-id notdict
check reply_that_is_not_a_dict_exits_2 '[ $rc -eq 2 ] && err_has "bad reply: not a dictionary"'

# --- retransmission: the first datagram is lost, the second is answered
start_fake dropfirst drop
run -s "127.0.0.1:$port" -t 300 -r 2 offer --call-id c --from-tag f --sdp-file "$tmp/offer.sdp"
check retransmits_after_timeout '[ $rc -eq 0 ] && [ "$(wc -l <"$tmp/drop.log")" -eq 2 ]'
check retransmission_is_identical_same_cookie '"$python" -c "
import json, sys
a, b = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if a[\"cookie\"] == b[\"cookie\"] and a[\"raw\"] == b[\"raw\"] else 1)" "$tmp/drop.log"'

# --- no reply at all: 1 + retries datagrams, then status 2
start_fake mute mute
run -s "127.0.0.1:$port" -t 200 -r 2 -j ping
check no_reply_exits_2 '[ $rc -eq 2 ] && err_has "no reply from 127.0.0.1:$port after 3 attempt(s)"'
check no_reply_sent_retries_plus_one '"$python" -c "
import json, sys
d = [json.loads(l) for l in open(sys.argv[1])]
sys.exit(0 if len(d) == 3 and len(set(x[\"raw\"] for x in d)) == 1 else 1)" "$tmp/mute.log"'

: >"$tmp/out"
cp "$tmp/all.err" "$tmp/err"
check no_sanitizer_reports 'tl_no_sanitizer_report "$tmp/all.err"'

exit $failed
