/*
 * test_ng_ignored.c - src/anchor/ng_request.c: nothing is accepted
 * silently. Every ng key and flag rtpengine knows that the anchor does not
 * act on (record-call, codec manipulations, address-family, media-address,
 * SDES, T.38, label, loop-protect, ...) is named in the reply's "warning",
 * in each form a module sends it (own key, "flags" list, rtpp_flags
 * string); a transport-protocol word carried by any of them reaches
 * req.transport_protocol, where call.c refuses the change it needs.
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

#define OFFER_HEAD "{\"command\":\"offer\",\"call-id\":\"c\",\"from-tag\":\"f\",\"sdp\":\"v=0\","

/* Reads the JSON request; asserts it is accepted (ignored keys never fail one). */
static const char *warning_of(struct fixture *f, const char *json)
{
	assert_int_equal(ng_test_parse(f, json), 0);
	return f->req.warning;
}

static void test_each_unused_key_is_named_in_the_warning(void **state)
{
	static const char *const keys[][2] = {
	    {"\"record call\":\"yes\"", "'record call'"},
	    {"\"record-call\":\"yes\"", "'record-call'"},
	    {"\"codec\":{\"strip\":[\"PCMU\"]}", "'codec'"},
	    {"\"codec\":{\"mask\":[\"opus\"],\"transcode\":[\"PCMA\"]}", "'codec'"},
	    {"\"address family\":\"IP6\"", "'address family'"},
	    {"\"media-address\":\"192.0.2.1\"", "'media-address'"},
	    {"\"T.38\":[\"decode\"]", "'T.38'"},
	    {"\"label\":\"caller\"", "'label'"},
	    {"\"metadata\":\"x\"", "'metadata'"},
	    {"\"TOS\":184", "'TOS'"},
	    {"\"DTLS-fingerprint\":\"sha-256\"", "'DTLS-fingerprint'"},
	    {"\"OSRTP\":[\"offer\"]", "'OSRTP'"},
	    {"\"ptime\":20", "'ptime'"},
	    {"\"xmlrpc-callback\":\"192.0.2.1\"", "'xmlrpc-callback'"},
	};
	struct fixture *f = *state;
	char json[256];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		const char *w;

		snprintf(json, sizeof(json), OFFER_HEAD "%s}", keys[i][0]);
		w = warning_of(f, json);
		assert_non_null(strstr(w, "ignored key "));
		if (!strstr(w, keys[i][1]))
			fail_msg("%s: warning \"%s\"", keys[i][0], w);
	}
}

static void test_each_unused_flag_is_named_in_every_spelling(void **state)
{
	static const char *const flags[] = {
	    "record-call",	 "loop-protect",	"codec-strip-PCMU", "codec-mask-opus",
	    "codec-offer-G722",	 "codec-transcode-PCMA", "codec-except-PCMU", "codec-set-opus/48000",
	    "codec-strip=all",	 "SDES-pad",		"SDES-lifetime",   "SDES-no-F8_128_HMAC_SHA1_80",
	    "T.38=force",	 "T.38-decode",		"address-family=IP6",
	    "media-address=192.0.2.1", "label=caller", "asymmetric", "unidirectional",
	    "no-port-latching",	 "generate-mid",	"OSRTP-offer",
	};
	struct fixture *f = *state;
	char json[256], want[96];

	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		snprintf(want, sizeof(want), "ignored flag '%s'", flags[i]);
		snprintf(json, sizeof(json), OFFER_HEAD "\"flags\":[\"%s\"]}", flags[i]);
		if (!strstr(warning_of(f, json), want))
			fail_msg("flags list %s: warning \"%s\"", flags[i], f->req.warning);
		snprintf(json, sizeof(json), OFFER_HEAD "\"rtpp-flags\":\"ICE=remove %s\"}",
			 flags[i]);
		if (!strstr(warning_of(f, json), want))
			fail_msg("rtpp-flags %s: warning \"%s\"", flags[i], f->req.warning);
	}
}

static void test_acted_on_keys_and_flags_warn_nothing(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(
	    warning_of(f, OFFER_HEAD "\"ICE\":\"force\",\"ICE-lite\":\"forward\","
				     "\"replace\":[\"origin\"],\"rtcp-mux\":[\"offer\"],"
				     "\"direction\":[\"internal\",\"external\"],"
				     "\"received-from\":[\"IP4\",\"192.0.2.7\"],"
				     "\"supports\":[\"load limit\"],\"via-branch\":\"z9hG4bK1\","
				     "\"record call\":\"no\","
				     "\"flags\":[\"symmetric\",\"port-latching\",\"reset\","
				     "\"fragment\",\"record-call=off\"],"
				     "\"rtpp-flags\":\"replace-session-connection rtcp-mux-demux\"}"),
	    "");
	assert_string_equal(warning_of(f, "{\"command\":\"list\",\"limit\":3}"), "");
}

static void test_srtp_flags_are_acted_on(void **state)
{
	struct fixture *f = *state;

	assert_string_equal(
	    warning_of(f, OFFER_HEAD "\"DTLS\":\"passive\",\"SDES\":[\"only-AEAD_AES_128_GCM\"],"
				     "\"flags\":[\"SDES-no-AES_CM_128_HMAC_SHA1_32\"]}"),
	    "");
	assert_int_equal(f->req.dtls_mode, NG_DTLS_PASSIVE);
	assert_false(f->req.sdes_off);
	assert_int_equal(f->req.sdes_only, 1u << SRTP_SUITE_AEAD_AES_128_GCM);
	assert_int_equal(f->req.sdes_no, 1u << SRTP_SUITE_AES_CM_128_HMAC_SHA1_32);
	assert_string_equal(warning_of(f, OFFER_HEAD "\"rtpp-flags\":\"DTLS=off SDES-off\"}"), "");
	assert_int_equal(f->req.dtls_mode, NG_DTLS_OFF);
	assert_true(f->req.sdes_off);
	assert_non_null(strstr(warning_of(f, OFFER_HEAD "\"DTLS\":\"sometimes\"}"),
			       "ignored DTLS value 'sometimes'"));
}

static void test_unused_values_of_known_keys_are_named(void **state)
{
	struct fixture *f = *state;

	assert_non_null(strstr(warning_of(f, OFFER_HEAD "\"supports\":[\"load limit\",\"teleport\"]}"),
			       "ignored supports value 'teleport'"));
	assert_true(f->req.supports_load_limit);
	assert_non_null(strstr(warning_of(f, OFFER_HEAD "\"replace\":[\"username\"]}"),
			       "ignored flag 'replace=username'"));
	assert_non_null(strstr(warning_of(f, OFFER_HEAD "\"received-from\":[\"IP4\",\"nowhere\"]}"),
			       "ignored received-from 'nowhere'"));
	assert_non_null(strstr(warning_of(f, OFFER_HEAD "\"ICE-lite\":\"sideways\"}"),
			       "ignored ICE-lite value 'sideways'"));
	assert_null(f->req.ice_lite);
	/* delete ends the whole call: rtpengine's per-branch delete is not done */
	assert_non_null(strstr(warning_of(f, "{\"command\":\"delete\",\"call-id\":\"c\","
					     "\"via-branch\":\"z9hG4bK1\"}"),
			       "ignored key 'via-branch'"));
}

/*
 * Kamailio's two-argument form puts a transport word in the flags string:
 * it must reach transport_protocol (refused by call.c when it needs SRTP),
 * not end as a mere warning.
 */
static void test_transport_words_in_flags_set_transport_protocol(void **state)
{
	static const char *const words[] = {"RTP/AVP",	 "RTP/SAVP",	     "RTP/AVPF",
					    "RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"};
	struct fixture *f = *state;
	char json[256];

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		snprintf(json, sizeof(json), OFFER_HEAD "\"rtpp-flags\":\"replace-origin %s\"}",
			 words[i]);
		assert_string_equal(warning_of(f, json), "");
		assert_non_null(f->req.transport_protocol);
		assert_string_equal(f->req.transport_protocol, words[i]);

		snprintf(json, sizeof(json), OFFER_HEAD "\"flags\":[\"%s\"]}", words[i]);
		assert_string_equal(warning_of(f, json), "");
		assert_non_null(f->req.transport_protocol);
		assert_string_equal(f->req.transport_protocol, words[i]);
	}
	/* an unknown profile is still a transport change, refused later, not a warning */
	warning_of(f, OFFER_HEAD "\"rtpp-flags\":\"RTP/XYZ\"}");
	assert_string_equal(f->req.transport_protocol, "RTP/XYZ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_each_unused_key_is_named_in_the_warning, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_each_unused_flag_is_named_in_every_spelling, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_srtp_flags_are_acted_on, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_acted_on_keys_and_flags_warn_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_unused_values_of_known_keys_are_named, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_transport_words_in_flags_set_transport_protocol,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
