/*
 * test_ng_request.c - src/anchor/ng_request.c: ng request dictionaries as
 * Kamailio's and OpenSIPS's rtpengine modules send them (flags as their
 * own keys, in "flags", or in one "rtpp_flags" string; every spelling),
 * into struct ng_request; missing keys and bad values refused with the
 * reason the reply carries; unknown flags only warned about.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "anchor/anchor_internal.h"
#include "ng_test.h"

/* Parses the bencoded or JSON text and reads it as a request. */
static int parse(struct fixture *f, const char *text)
{
	return ng_test_parse(f, text);
}

static void test_ping_and_each_command(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "d7:command4:pinge"), 0);
	assert_int_equal(f->req.cmd, NG_PING);
	assert_int_equal(parse(f, "{\"command\":\"list\",\"limit\":5}"), 0);
	assert_int_equal(f->req.cmd, NG_LIST);
	assert_int_equal(f->req.limit, 5);
	assert_int_equal(parse(f, "{\"command\":\"Statistics\"}"), 0);
	assert_int_equal(f->req.cmd, NG_STATISTICS);
}

static void test_kamailio_56_offer_with_flags_as_keys(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c1\",\"from-tag\":\"ft\","
				  "\"via-branch\":\"z9hG4bK1\",\"sdp\":\"v=0\","
				  "\"ICE\":\"force\",\"replace\":[\"origin\",\"session-connection\"],"
				  "\"flags\":[\"trust-address\"],\"supports\":[\"load limit\"],"
				  "\"received-from\":[\"IP4\",\"127.0.0.1\"],"
				  "\"rtcp-mux\":[\"demux\"],\"direction\":[\"internal\",\"external\"],"
				  "\"transport-protocol\":\"UDP/TLS/RTP/SAVPF\",\"DTLS\":\"passive\"}"),
			 0);
	assert_int_equal(f->req.cmd, NG_OFFER);
	assert_string_equal(f->req.call_id, "c1");
	assert_string_equal(f->req.from_tag, "ft");
	assert_string_equal(f->req.via_branch, "z9hG4bK1");
	assert_int_equal(f->req.sdp_len, 3);
	assert_true(f->req.ice_given);
	assert_int_equal(f->req.ice, ANCHOR_ICE_FORCE);
	assert_true(f->req.replace_origin);
	assert_true(f->req.replace_session_conn);
	assert_true(f->req.trust_address);
	assert_true(f->req.supports_load_limit);
	assert_true(f->req.received_from_ok);
	assert_int_equal(f->req.received_from.ss_family, AF_INET);
	assert_int_equal(f->req.rtcp_mux, NG_MUX_DEMUX);
	assert_string_equal(f->req.direction[0], "internal");
	assert_string_equal(f->req.direction[1], "external");
	assert_string_equal(f->req.transport_protocol, "UDP/TLS/RTP/SAVPF");
	assert_string_equal(f->req.dtls, "passive");
	assert_int_equal(f->req.dtls_mode, NG_DTLS_PASSIVE);
	assert_string_equal(f->req.warning, "");
}

static void test_rtpp_flags_string_in_every_spelling(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				  "\"sdp\":\"v=0\",\"rtpp_flags\":\"  replace_origin Replace Session "
				  "Connection ICE=force-relay rtcp-mux-require SIP_source_address "
				  "transport-protocol=RTP/AVPF direction=priv direction=pub\"}"),
			 0);
	assert_true(f->req.replace_origin);
	/* "Replace Session Connection" are three flags: "replace", then two unknown */
	assert_false(f->req.replace_session_conn);
	assert_non_null(strstr(f->req.warning, "'Session'"));
	assert_int_equal(f->req.ice, ANCHOR_ICE_FORCE_RELAY);
	assert_int_equal(f->req.rtcp_mux, NG_MUX_REQUIRE);
	assert_true(f->req.sip_source_address);
	assert_string_equal(f->req.transport_protocol, "RTP/AVPF");
	assert_string_equal(f->req.direction[0], "priv");
	assert_string_equal(f->req.direction[1], "pub");

	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				  "\"sdp\":\"v=0\",\"flags\":[\"replace-session-connection\","
				  "\"ICE=remove\",\"rtcp-mux-offer\",\"RTCP_MUX_ACCEPT\"]}"),
			 0);
	assert_true(f->req.replace_session_conn);
	assert_int_equal(f->req.ice, ANCHOR_ICE_REMOVE);
	assert_int_equal(f->req.rtcp_mux, NG_MUX_OFFER | NG_MUX_ACCEPT);
}

static void test_unknown_flags_warn_and_never_fail(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				  "\"sdp\":\"v=0\",\"flags\":[\"frobnicate\",\"record-call\","
				  "\"symmetric\"],\"label\":\"x\"}"),
			 0);
	assert_string_equal(f->req.warning,
			    "ignored flag 'frobnicate'; ignored flag 'record-call'; ignored key 'label'");
}

static void test_missing_keys_are_refused_with_rtpengines_reasons(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "d4:test1:xe"), -1);
	assert_string_equal(f->reason, "No command in message");
	assert_int_equal(parse(f, "d7:command4:pokee"), -1);
	assert_string_equal(f->reason, "Unrecognized command 'poke'");
	assert_int_equal(parse(f, "li1ee"), -1);
	assert_string_equal(f->reason, "request is not a dictionary");
	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\"}"), -1);
	assert_string_equal(f->reason, "No SDP body in message");
	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"sdp\":\"v=0\"}"), -1);
	assert_string_equal(f->reason, "No from-tag in message");
	assert_int_equal(parse(f, "{\"command\":\"offer\",\"from-tag\":\"f\",\"sdp\":\"v=0\"}"), -1);
	assert_string_equal(f->reason, "No call-id in message");
	assert_int_equal(
	    parse(f, "{\"command\":\"answer\",\"call-id\":\"c\",\"from-tag\":\"f\",\"sdp\":\"v=0\"}"),
	    -1);
	assert_string_equal(f->reason, "No to-tag in message");
	assert_int_equal(parse(f, "{\"command\":\"query\"}"), -1);
	assert_string_equal(f->reason, "No call-id in message");
	/* delete needs only the call-id */
	assert_int_equal(parse(f, "{\"command\":\"delete\",\"call-id\":\"c\"}"), 0);
}

static void test_bad_values_are_refused(void **state)
{
	struct fixture *f = *state;
	char big[400], text[600];

	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				  "\"sdp\":\"v=0\",\"ICE\":\"sometimes\"}"),
			 -1);
	assert_string_equal(f->reason, "bad value for key 'ICE'");
	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				  "\"sdp\":\"v=0\",\"flags\":[\"ICE=maybe\"]}"),
			 -1);
	assert_string_equal(f->reason, "bad value for flag 'ICE=maybe'");
	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				  "\"sdp\":\"v=0\",\"rtcp-mux\":[\"sideways\"]}"),
			 -1);
	assert_string_equal(f->reason, "bad value in 'rtcp-mux'");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	snprintf(text, sizeof(text), "{\"command\":\"query\",\"call-id\":\"%s\"}", big);
	assert_int_equal(parse(f, text), -1);
	assert_string_equal(f->reason, "call-id or tag longer than 255 bytes");
	/* wrong types are ignored, never trusted, and said so */
	assert_int_equal(parse(f, "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\","
				  "\"sdp\":\"v=0\",\"received-from\":[\"IP6\",\"127.0.0.1\"],"
				  "\"direction\":\"internal\",\"flags\":\"trust-address\"}"),
			 0);
	assert_false(f->req.received_from_ok);
	assert_null(f->req.direction[0]);
	assert_false(f->req.trust_address);
	assert_string_equal(f->req.warning, "ignored received-from '127.0.0.1'; ignored key "
					    "'direction'; ignored key 'flags'");
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_ping_and_each_command),
	    T(test_kamailio_56_offer_with_flags_as_keys),
	    T(test_rtpp_flags_string_in_every_spelling),
	    T(test_unknown_flags_warn_and_never_fail),
	    T(test_missing_keys_are_refused_with_rtpengines_reasons),
	    T(test_bad_values_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
