/*
 * test_bridge_state.c - where a stream side's SRTP state lives
 * (src/anchor/bridge.c, call.c): a side carries a struct side_crypto only
 * while the anchor offers or bridges SRTP toward its party.
 *
 * Checked: a plain call's sides have none (and SRTP passed end to end
 * neither); a bridged call has one toward the SRTP party only, gone again
 * when a re-offer makes the stream plain; a re-offer that would add SRTP
 * and is refused leaves none (the undo of call.c has nothing to take back),
 * and the call still forwards media and answers the query.
 */
#include "anchor_test.h"

static char reason[256]; /* the last refusal's */

/* An offer (to_tag NULL) or answer with a transport-protocol: 0 or -1 (reason). */
static int sig(bool offer, const char *to, const char *sdp, const char *proto)
{
	struct ng_request req;
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	int rc;

	signal_req(&req, offer, "A", to, sdp, ANCHOR_ICE_REMOVE);
	req.transport_protocol = proto;
	rc = signal_run(&req, d, reply, reason, sizeof(reason));
	bridge_keys_settle(an); /* as ng_commit() does once it released the lock */
	bdoc_free(d);
	return rc;
}

/* Sections of profile proto at ip:port, each with the lines extra[k] (CRLF-terminated). */
static void sections_sdp(char *out, size_t cap, const char *ip, uint16_t port, const char *proto,
			 const char *const *extra, int n)
{
	int len = snprintf(out, cap, "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n",
			   ip, ip);

	for (int k = 0; k < n; k++)
		len += snprintf(out + len, cap - (size_t)len, "m=%s %u %s 0\r\na=rtcp-mux\r\n%s",
				k ? "video" : "audio", port + 2 * k, proto, extra[k]);
}

static void call_of(const char *a_proto, const char *to_b, const char *b_proto)
{
	static const char *const none[] = {""};
	char a[1024], b[1024];

	sections_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), a_proto, none, 1);
	assert_int_equal(sig(true, NULL, a, to_b), 0);
	sections_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), b_proto, none, 1);
	assert_int_equal(sig(false, "B", b, NULL), 0);
}

/* Does the query of the call give a stream side of crypto mode `mode`? */
static bool query_has(const char *mode)
{
	static uint8_t json[65536];
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	char want[64];
	long n;

	test_lock();
	ng_query_call(an, call_find(an, "dest-call"), d, reply);
	test_unlock();
	n = bval_write(reply, BFMT_JSON, json, sizeof(json) - 1);
	bdoc_free(d);
	assert_true(n > 0);
	json[n] = '\0';
	assert_non_null(strstr((char *)json, "\"crypto\":{\"mode\":"));
	snprintf(want, sizeof(want), "\"crypto\":{\"mode\":\"%s\"", mode);
	return strstr((char *)json, want) != NULL;
}

static void test_plain_call_carries_no_crypto_state(void **state)
{
	(void)state;
	call_of("RTP/AVP", NULL, "RTP/AVP");
	assert_null(the_stream()->side[0].crypto);
	assert_null(the_stream()->side[1].crypto);
	assert_false(bridge_stream_active(the_stream()));
	assert_false(query_has("bridged") || query_has("passthrough"));
	delete_call();

	/* SRTP end to end: the anchor passes it, it keys nothing */
	call_of("RTP/SAVP", NULL, "RTP/SAVP");
	assert_null(the_stream()->side[0].crypto);
	assert_null(the_stream()->side[1].crypto);
	assert_true(query_has("passthrough") && !query_has("bridged"));
	delete_call();
}

static void test_bridged_side_has_it_until_plain_again(void **state)
{
	static const char *const none[] = {""}, *const sendrecv[] = {"a=sendrecv\r\n"};
	char a[1024];

	(void)state;
	/* A plain, B offered SRTP by the anchor: only B's side keys */
	sections_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", none, 1);
	assert_int_equal(sig(true, NULL, a, "RTP/SAVP"), 0);
	assert_null(the_stream()->side[0].crypto);
	assert_non_null(the_stream()->side[1].crypto);
	assert_int_equal(the_stream()->side[1].crypto->nego.kind, SIDE_CRYPTO_OFFERED);
	assert_true(bridge_stream_active(the_stream()));
	assert_string_equal(bridge_side_mode(the_stream(), 1), "bridged");
	assert_string_equal(bridge_side_mode(the_stream(), 0), "plain");
	/* A re-offers (a changed SDP: the same is a retransmission) to plain:
	   B's state goes, its profile stays known */
	sections_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", sendrecv, 1);
	assert_int_equal(sig(true, NULL, a, "RTP/AVP"), 0);
	assert_null(the_stream()->side[0].crypto);
	assert_null(the_stream()->side[1].crypto);
	assert_string_equal(the_stream()->side[1].proto, "RTP/AVP");
	assert_false(bridge_stream_active(the_stream()));
	assert_string_equal(bridge_side_mode(the_stream(), 1), "plain");
	delete_call();
}

static void test_refused_reoffer_adding_srtp_leaves_none(void **state)
{
	/* audio with a usable key, video with none: the re-offer is refused
	   after the audio's SDES plan was made */
	static const char *const extra[] = {
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz\r\n",
	    ""};
	char a[1024];
	uint16_t to_b;

	(void)state;
	call_of("RTP/AVP", NULL, "RTP/AVP");
	sections_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/SAVP", extra, 2);
	assert_int_equal(sig(true, NULL, a, "RTP/AVP"), -1);
	assert_non_null(strstr(reason, "media video: RTP/SAVP offer with no usable a=crypto"));
	assert_int_equal(call_find(an, "dest-call")->nstreams, 1);
	assert_null(the_stream()->side[0].crypto);
	assert_null(the_stream()->side[1].crypto);
	assert_false(bridge_stream_active(the_stream()));
	assert_false(query_has("bridged"));
	/* the call forwards plain RTP as before */
	to_b = addr_port(&the_stream()->side[1].socks[0].local.sa);
	rtp(pb, to_b, 1);
	assert_true(got_rtp(pa));
	delete_call();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_call_carries_no_crypto_state),
	    cmocka_unit_test(test_bridged_side_has_it_until_plain_again),
	    cmocka_unit_test(test_refused_reoffer_adding_srtp_leaves_none),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
