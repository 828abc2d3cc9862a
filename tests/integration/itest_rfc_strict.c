/*
 * itest_rfc_strict.c - where RFC 8489 and RFC 8656 say "discard" or "bind",
 * end to end against a turnserver on loopback:
 *  - a NONCE is good only from the transport address it was given to
 *    (RFC 8489 §9.2.4): another port of the same IP gets 438;
 *  - a Send indication with an unknown comprehension-required attribute is
 *    not relayed (RFC 8489 §6.3.2);
 *  - EVEN-PORT with R=1 and ADDITIONAL-ADDRESS-FAMILY is 400 (RFC 8656 §7.2);
 *  - a header length that is not a multiple of 4, an unknown method and a
 *    Send sent as a request are discarded without an answer (RFC 8489 §6.3);
 *  - channel numbers are 0x4000-0x4FFF (RFC 8656 §12.2), 0x7FFF only with
 *    rfc5766-channel-numbers;
 *  - a ChannelBind answered 508 leaves no binding behind;
 *  - a datagram too big for a Data indication (IPv6 peer, FINGERPRINT) is
 *    dropped, and the TCP stream stays framed;
 *  - a 401 with the longest realm and SOFTWARE the config accepts is sent.
 *
 * Servers: "strict" (relay on 127.0.0.1 and ::1, loopback peers,
 * fingerprint), "wide" (a 127-character realm and software-name of 4-byte
 * characters), and "old" (rfc5766-channel-numbers) for its one test.
 */
#include "integration/harness.h"

#define UNKNOWN_REQUIRED_ATTR 0x7F01 /* comprehension-required, unassigned */
#define BIG_DATAGRAM 65499	     /* the largest datagram the relay reads */
#define CLEF "\xF0\x9D\x84\x9E"	     /* U+1D11E, 4 bytes of UTF-8 */

static struct tserver strict, old, wide;
static char wide_text[127 * 4 + 1];

static int group_setup(void **state)
{
	static const char *const strict_flags[] = {"--relay-ip=127.0.0.1", "--relay-ip=::1",
						   "--allow-loopback-peers", "--fingerprint", NULL};
	static char realm_flag[16 + sizeof(wide_text)], software_flag[24 + sizeof(wide_text)];
	static const char *wide_flags[] = {"--relay-ip=127.0.0.1", realm_flag, software_flag, NULL};

	(void)state;
	for (int i = 0; i < 127; i++)
		memcpy(wide_text + 4 * i, CLEF, 4);
	snprintf(realm_flag, sizeof(realm_flag), "--realm=%s", wide_text);
	snprintf(software_flag, sizeof(software_flag), "--software-name=%s", wide_text);
	if (tserver_start(&strict, 8, strict_flags) < 0)
		return -1;
	if (tserver_start(&wide, 4, wide_flags) < 0) {
		tserver_stop(&strict);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tserver_stop(&strict);
	tserver_stop(&old);
	tserver_stop(&wide);
	return 0;
}

/* Sends buf once; true when anything comes back within H_SILENCE_MS. */
static bool answered(struct turnc *cl, const uint8_t *buf, size_t len)
{
	uint8_t in[2048];

	assert_int_equal(turnc_send_bytes(cl, buf, len), 0);
	return turnc_recv_frame(cl, in, sizeof(in), H_SILENCE_MS) > 0;
}

static void test_nonce_from_another_port_of_the_same_ip_is_438(void **state)
{
	struct turnc_req alloc = {H_ALLOCATE_REQ};
	struct turnc first, second;

	(void)state;
	assert_int_equal(h_open(&first, &strict.v4, "127.0.0.1", false), 0);
	assert_int_equal(h_open(&second, &strict.v4, "127.0.0.1", false), 0);
	alloc.auth = TURNC_AUTH_NONE;
	assert_code(turnc_request(&first, &alloc), STUN_ERR_UNAUTHORIZED);
	h_take_challenge(&first);
	alloc.auth = TURNC_AUTH_MD5;
	/* the nonce captured from first's port, replayed from another port */
	memcpy(second.realm, first.realm, sizeof(first.realm));
	memcpy(second.nonce, first.nonce, first.nonce_len);
	second.nonce_len = first.nonce_len;
	second.no_retry = true;
	assert_code(turnc_request(&second, &alloc), STUN_ERR_STALE_NONCE);
	/* with its own nonce it authenticates, and so does first with its own */
	second.no_retry = false;
	assert_code(turnc_request(&second, &alloc), 0);
	assert_code(turnc_request(&first, &alloc), 0);
	h_close(&first);
	h_close(&second);
}

static void send_indication(struct turnc *cl, const struct sockaddr_storage *peer, const char *data,
			    uint16_t extra_attr)
{
	uint8_t buf[256], tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t n;

	h_new_tid(tid);
	stun_build_start(&b, buf, sizeof(buf), TURN_SEND, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, SA(peer));
	stun_put(&b, STUN_ATTR_DATA, data, strlen(data));
	if (extra_attr)
		stun_put(&b, extra_attr, "abcd", 4);
	n = stun_build_end(&b);
	assert_int_not_equal(n, 0);
	assert_int_equal(turnc_send_bytes(cl, buf, n), 0);
}

static void test_send_with_unknown_comprehension_required_attribute_is_dropped(void **state)
{
	struct sockaddr_storage from;
	struct turnc cl;
	struct tpeer peer;
	uint8_t buf[64];

	(void)state;
	assert_int_equal(h_open(&cl, &strict.v4, NULL, false), 0);
	tpeer_open(&peer, "127.0.0.1");
	assert_code(h_allocate(&cl), 0);
	assert_code(h_permission(&cl, &peer.addr), 0);
	send_indication(&cl, &peer.addr, "unknown", UNKNOWN_REQUIRED_ATTR);
	tpeer_assert_nothing(&peer);
	/* the same without it is relayed: the path works */
	send_indication(&cl, &peer.addr, "plain", 0);
	assert_int_equal(tpeer_recv(&peer, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from), 5);
	assert_memory_equal(buf, "plain", 5);
	tpeer_close(&peer);
	h_close(&cl);
}

static void test_even_port_reserving_next_with_additional_family_is_400(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .even_port = true, .even_port_r = true,
			      .additional_family = STUN_FAMILY_IPV6};
	struct turnc cl;

	(void)state;
	assert_int_equal(h_open(&cl, &strict.v4, NULL, false), 0);
	assert_code(turnc_request(&cl, &q), STUN_ERR_BAD_REQUEST);
	/* R=0 with the second family is fine */
	q.even_port_r = false;
	assert_code(turnc_request(&cl, &q), 0);
	h_close(&cl);
}

/* A Binding request of body_len bytes whose header says hdr_len. */
static size_t raw_request(uint8_t *buf, uint16_t type, uint16_t hdr_len, size_t body_len)
{
	uint8_t tid[STUN_TID_LEN];

	h_new_tid(tid);
	memset(buf, 0, STUN_HEADER_LEN + body_len);
	wire_put16(buf, type);
	wire_put16(buf + 2, hdr_len);
	wire_put32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
	return STUN_HEADER_LEN + body_len;
}

static void test_bad_length_unknown_method_and_send_request_get_no_answer(void **state)
{
	struct sockaddr_storage peer = h_addr("127.0.0.1", 9);
	uint8_t buf[256], tid[STUN_TID_LEN];
	struct stun_builder b;
	struct turnc cl;
	size_t n;

	(void)state;
	assert_int_equal(h_open(&cl, &strict.v4, NULL, false), 0);
	/* the length field not a multiple of 4 */
	n = raw_request(buf, stun_type(STUN_BINDING, STUN_REQUEST), 2, 2);
	assert_false(answered(&cl, buf, n));
	/* a method nobody defined */
	n = raw_request(buf, stun_type(0x0FF, STUN_REQUEST), 0, 0);
	assert_false(answered(&cl, buf, n));
	/* Send is an indication; as a request it is nothing */
	h_new_tid(tid);
	stun_build_start(&b, buf, sizeof(buf), TURN_SEND, STUN_REQUEST, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, SA(&peer));
	stun_put(&b, STUN_ATTR_DATA, "x", 1);
	n = stun_build_end(&b);
	assert_false(answered(&cl, buf, n));
	/* a sound Binding request still gets its answer */
	n = raw_request(buf, stun_type(STUN_BINDING, STUN_REQUEST), 0, 0);
	assert_true(answered(&cl, buf, n));
	h_close(&cl);
}

static void test_channel_numbers_past_0x4fff_are_400_unless_rfc5766(void **state)
{
	static const char *const old_flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
						"--rfc5766-channel-numbers", NULL};
	struct sockaddr_storage p1 = h_addr("127.0.0.1", 5001), p2 = h_addr("127.0.0.1", 5002);
	struct turnc cl;

	(void)state;
	assert_int_equal(h_open(&cl, &strict.v4, NULL, false), 0);
	assert_code(h_allocate(&cl), 0);
	assert_code(h_channel_bind(&cl, 0x5000, &p1), STUN_ERR_BAD_REQUEST);
	assert_code(h_channel_bind(&cl, 0x7FFF, &p1), STUN_ERR_BAD_REQUEST);
	assert_code(h_channel_bind(&cl, 0x4FFF, &p1), 0);
	h_close(&cl);

	assert_int_equal(tserver_start(&old, 4, old_flags), 0);
	assert_int_equal(h_open(&cl, &old.v4, NULL, false), 0);
	assert_code(h_allocate(&cl), 0);
	assert_code(h_channel_bind(&cl, 0x7FFF, &p1), 0);
	assert_code(h_channel_bind(&cl, 0x4000, &p2), 0);
	assert_code(h_channel_bind(&cl, 0x8000, &p2), STUN_ERR_BAD_REQUEST);
	h_close(&cl);
	assert_int_equal(tserver_stop(&old), 0);
}

/* 64 permissions fill the table; a ChannelBind to a 65th IP gets 508 and binds nothing. */
static void test_channel_bind_508_leaves_the_number_free(void **state)
{
	struct sockaddr_storage peers[65];
	struct turnc cl;
	char ip[32];

	(void)state;
	for (int i = 0; i < 65; i++) {
		snprintf(ip, sizeof(ip), "127.0.1.%d", i + 1);
		peers[i] = h_addr(ip, 7000);
	}
	assert_int_equal(h_open(&cl, &strict.v4, NULL, false), 0);
	assert_code(h_allocate(&cl), 0);
	for (int i = 0; i < 64; i += 4) {
		struct turnc_req q = {
		    .method = TURN_CREATE_PERMISSION,
		    .auth = TURNC_AUTH_MD5,
		    .peer = {&peers[i], &peers[i + 1], &peers[i + 2], &peers[i + 3]}};

		assert_code(turnc_request(&cl, &q), 0);
	}
	assert_code(h_channel_bind(&cl, 0x4001, &peers[64]), TURN_ERR_INSUFFICIENT_CAPACITY);
	/* had 0x4001 stayed bound to the 65th peer, this would be 400 */
	assert_code(h_channel_bind(&cl, 0x4001, &peers[0]), 0);
	h_close(&cl);
}

/*
 * IPv6 peer, FINGERPRINT: a 65,499-byte datagram needs a Data indication
 * body of 65,536 bytes. It is dropped; the next one arrives intact on the
 * same TCP stream.
 */
static void test_datagram_too_big_for_a_data_indication_is_dropped_over_tcp(void **state)
{
	static uint8_t big[BIG_DATAGRAM];
	struct sockaddr_storage relayed, from;
	struct turnc cl;
	struct tpeer peer;
	uint8_t buf[64];
	uint16_t ch = 0xFFFF;

	(void)state;
	memset(big, 'B', sizeof(big));
	assert_int_equal(h_open(&cl, &strict.v4, NULL, true), 0);
	tpeer_open(&peer, "::1");
	assert_code(h_allocate_family(&cl, STUN_FAMILY_IPV6, 0), 0);
	relayed = h_relayed(&cl, 0);
	assert_int_equal(relayed.ss_family, AF_INET6);
	assert_code(h_permission(&cl, &peer.addr), 0);
	tpeer_send(&peer, &relayed, big, sizeof(big));
	tpeer_send(&peer, &relayed, "next", 4);
	assert_int_equal(h_recv_data(&cl, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "next", 4);
	assert_int_equal(ch, 0);
	h_assert_addr_equal(&from, &peer.addr);
	/* the stream is still in step: a request gets its answer */
	assert_code(h_refresh(&cl, 600), 0);
	tpeer_close(&peer);
	h_close(&cl);
}

/* REALM and SOFTWARE of 127 four-byte characters each: the 401 is sent, realm intact. */
static void test_401_with_the_longest_realm_is_sent(void **state)
{
	struct turnc_req q = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	const struct stun_attr *realm;
	struct turnc cl;

	(void)state;
	assert_int_equal(h_open(&cl, &wide.v4, NULL, false), 0);
	assert_code(turnc_request(&cl, &q), STUN_ERR_UNAUTHORIZED);
	realm = h_attr(&cl, STUN_ATTR_REALM);
	assert_non_null(realm);
	assert_int_equal(realm->len, strlen(wide_text));
	assert_memory_equal(realm->val, wide_text, realm->len);
	/* the Binding answer carries the long SOFTWARE */
	assert_code(h_binding(&cl), 0);
	assert_non_null(h_attr(&cl, STUN_ATTR_SOFTWARE));
	assert_int_equal(h_attr(&cl, STUN_ATTR_SOFTWARE)->len, strlen(wide_text));
	h_close(&cl);
}

static void test_servers_exit_cleanly(void **state)
{
	(void)state;
	assert_int_equal(tserver_stop(&strict), 0);
	assert_int_equal(tserver_stop(&wide), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nonce_from_another_port_of_the_same_ip_is_438),
	    cmocka_unit_test(test_send_with_unknown_comprehension_required_attribute_is_dropped),
	    cmocka_unit_test(test_even_port_reserving_next_with_additional_family_is_400),
	    cmocka_unit_test(test_bad_length_unknown_method_and_send_request_get_no_answer),
	    cmocka_unit_test(test_channel_numbers_past_0x4fff_are_400_unless_rfc5766),
	    cmocka_unit_test(test_channel_bind_508_leaves_the_number_free),
	    cmocka_unit_test(test_datagram_too_big_for_a_data_indication_is_dropped_over_tcp),
	    cmocka_unit_test(test_401_with_the_longest_realm_is_sent),
	    cmocka_unit_test(test_servers_exit_cleanly),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
