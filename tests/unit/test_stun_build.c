/*
 * test_stun_build.c - src/stun/build.c: the message builder: the RFC 5769 / RFC 8489 vectors re-encoded byte
 * for byte, round trips of every TURN message kind, error responses,
 * PASSWORD-ALGORITHMS, and a full buffer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cmocka.h>

#include "stun_test.h"

/* Sets the padding after the last attribute to spaces, as RFC 5769 §2.1-2.3 do. */
static void pad_with_spaces(struct stun_builder *b, size_t value_len)
{
	size_t pad = ((value_len + 3) & ~(size_t)3) - value_len;

	memset(b->buf + b->len - pad, ' ', pad);
}

static void test_rfc5769_request_reencodes_identically(void **state)
{
	uint8_t buf[256], tie[8];
	struct stun_builder b;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, rfc5769_request + 8);
	stun_put_str(&b, STUN_ATTR_SOFTWARE, RFC5769_REQ_SOFTWARE);
	stun_put_u32(&b, STUN_ATTR_PRIORITY, RFC5769_PRIORITY);
	memcpy(tie, rfc5769_request + 52, 8);
	stun_put(&b, STUN_ATTR_ICE_CONTROLLED, tie, 8);
	stun_put_str(&b, STUN_ATTR_USERNAME, RFC5769_USERNAME);
	pad_with_spaces(&b, strlen(RFC5769_USERNAME));
	stun_put_integrity(&b, pw(), strlen(RFC5769_PASSWORD));
	stun_put_fingerprint(&b);
	assert_int_equal(stun_build_end(&b), sizeof(rfc5769_request));
	assert_memory_equal(buf, rfc5769_request, sizeof(rfc5769_request));
}

static void reencode_response(const uint8_t *vec, size_t len, const char *ip)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct sockaddr_storage ss = addr(ip, RFC5769_MAPPED_PORT);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, vec + 8);
	stun_put_str(&b, STUN_ATTR_SOFTWARE, RFC5769_RESP_SOFTWARE);
	pad_with_spaces(&b, strlen(RFC5769_RESP_SOFTWARE));
	stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&ss);
	stun_put_integrity(&b, pw(), strlen(RFC5769_PASSWORD));
	stun_put_fingerprint(&b);
	assert_int_equal(stun_build_end(&b), len);
	assert_memory_equal(buf, vec, len);
}

static void test_rfc5769_ipv4_response_reencodes_identically(void **state)
{
	(void)state;
	reencode_response(rfc5769_response_v4, sizeof(rfc5769_response_v4), RFC5769_MAPPED_V4);
}

static void test_rfc5769_ipv6_response_reencodes_identically(void **state)
{
	(void)state;
	reencode_response(rfc5769_response_v6, sizeof(rfc5769_response_v6), RFC5769_MAPPED_V6);
}

static void test_rfc5769_long_term_request_reencodes_identically(void **state)
{
	uint8_t buf[256], key[32];
	struct stun_builder b;

	(void)state;
	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
				     RFC5769_LT_PASSWORD, key),
			 16);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, rfc5769_request_lt + 8);
	stun_put_str(&b, STUN_ATTR_USERNAME, RFC5769_LT_USERNAME);
	stun_put_str(&b, STUN_ATTR_NONCE, RFC5769_LT_NONCE);
	stun_put_str(&b, STUN_ATTR_REALM, RFC5769_LT_REALM);
	stun_put_integrity(&b, key, 16);
	assert_int_equal(stun_build_end(&b), sizeof(rfc5769_request_lt));
	assert_memory_equal(buf, rfc5769_request_lt, sizeof(rfc5769_request_lt));
}

static void test_rfc8489_sha256_request_reencodes_identically(void **state)
{
	uint8_t buf[256], key[32], hash[32];
	struct stun_builder b;

	(void)state;
	assert_int_equal(stun_lt_key(STUN_PW_ALG_SHA256, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
				     RFC5769_LT_PASSWORD, key),
			 32);
	stun_userhash(RFC5769_LT_USERNAME, RFC5769_LT_REALM, hash);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST,
			 rfc8489_request_sha256 + 8);
	stun_put(&b, STUN_ATTR_USERHASH, hash, 32);
	stun_put_str(&b, STUN_ATTR_NONCE, RFC8489_B1_NONCE);
	stun_put_str(&b, STUN_ATTR_REALM, RFC5769_LT_REALM);
	stun_put_pw_alg(&b, STUN_PW_ALG_SHA256);
	stun_put_integrity_sha256(&b, key, 32);
	assert_int_equal(stun_build_end(&b), sizeof(rfc8489_request_sha256));
	assert_memory_equal(buf, rfc8489_request_sha256, sizeof(rfc8489_request_sha256));
}

/*
 * A Binding success with ip:port as XOR-MAPPED-ADDRESS, then as plain_type,
 * and SOFTWARE if given: want_len bytes, parsed into m (which points into a
 * buffer of this function's own, valid until the next call).
 */
static void build_binding_success(struct stun_msg *m, size_t want_len, const char *ip,
				  uint16_t port, uint16_t plain_type, const char *software)
{
	static uint8_t buf[512];
	struct sockaddr_storage ss = addr(ip, port);
	struct stun_builder b;
	size_t n;

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, test_tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&ss);
	stun_put_addr(&b, plain_type, (struct sockaddr *)&ss);
	if (software)
		stun_put_str(&b, STUN_ATTR_SOFTWARE, software);
	n = stun_build_end(&b);
	assert_int_equal(n, want_len);
	parse_ok(m, buf, n);
}

static void test_build_binding_success_xor_mapped_v4(void **state)
{
	struct stun_msg m;
	struct sockaddr_storage got;
	const struct stun_attr *a;

	(void)state;
	build_binding_success(&m, 20 + 12 + 12 + 8, "203.0.113.7", 61000, STUN_ATTR_MAPPED_ADDRESS,
			      "x");
	assert_int_equal(m.type, 0x0101);
	assert_memory_equal(m.tid, test_tid, STUN_TID_LEN);
	a = must_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	assert_int_equal(a->len, 8);
	/* RFC 8489 §14.2: port XOR 0x2112, address XOR the cookie */
	assert_int_equal(get16(a->val + 2), 61000 ^ 0x2112);
	assert_int_equal(get32(a->val + 4), 0xCB007107u ^ STUN_MAGIC_COOKIE);
	assert_int_equal(stun_attr_xor_addr(&m, a, &got), 0);
	assert_addr(&got, "203.0.113.7", 61000);
	a = must_find(&m, STUN_ATTR_MAPPED_ADDRESS);
	assert_int_equal(a->val[0], 0);
	assert_int_equal(a->val[1], STUN_FAMILY_IPV4);
	assert_int_equal(stun_attr_addr(&m, a, &got), 0);
	assert_addr(&got, "203.0.113.7", 61000);
	a = must_find(&m, STUN_ATTR_SOFTWARE);
	assert_int_equal(a->len, 1);
	assert_memory_equal(m.buf + a->off + 5, "\0\0\0", 3); /* zero padding */
}

static void test_build_binding_success_xor_mapped_v6(void **state)
{
	struct stun_msg m;
	struct sockaddr_storage got;
	const struct stun_attr *a;

	(void)state;
	build_binding_success(&m, 20 + 24 + 24, "2001:db8::ff00:42:8329", 3478,
			      STUN_ATTR_ALTERNATE_SERVER, NULL);
	a = must_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	assert_int_equal(a->len, 20);
	assert_int_equal(a->val[1], STUN_FAMILY_IPV6);
	assert_int_equal(a->val[4], 0x20 ^ 0x21);
	assert_int_equal(a->val[19], 0x29 ^ test_tid[11]);
	assert_int_equal(stun_attr_xor_addr(&m, a, &got), 0);
	assert_addr(&got, "2001:db8::ff00:42:8329", 3478);
	assert_int_equal(stun_attr_addr(&m, must_find(&m, STUN_ATTR_ALTERNATE_SERVER), &got), 0);
	assert_addr(&got, "2001:db8::ff00:42:8329", 3478);
}

static void test_build_allocate_request_every_field(void **state)
{
	uint8_t buf[512];
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *a;
	uint8_t proto = 0, family = 0;
	uint32_t lifetime = 0;
	bool even = false;
	uint64_t token = 0;
	size_t n;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, test_tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 600);
	stun_put_even_port(&b, true);
	stun_put(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	stun_put_family(&b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	stun_put_family(&b, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, STUN_FAMILY_IPV4);
	stun_put_token(&b, 0x0102030405060708ull);
	stun_put_str(&b, STUN_ATTR_USERNAME, "alice");
	stun_put_str(&b, STUN_ATTR_REALM, "example.org");
	stun_put_str(&b, STUN_ATTR_NONCE, "obMatJos2gAAAnonce");
	n = stun_build_end(&b);
	assert_true(n > 0);
	assert_int_equal(n % 4, 0);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, 0x0003);
	assert_int_equal(m.method, TURN_ALLOCATE);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_int_equal(m.nattrs, 10);
	assert_int_equal(m.nunknown, 0);

	a = must_find(&m, STUN_ATTR_REQUESTED_TRANSPORT);
	assert_int_equal(a->len, 4);
	assert_memory_equal(a->val, "\x11\0\0\0", 4);
	assert_int_equal(stun_attr_transport(a, &proto), 0);
	assert_int_equal(proto, TURN_TRANSPORT_UDP);

	assert_int_equal(stun_attr_u32(must_find(&m, STUN_ATTR_LIFETIME), &lifetime), 0);
	assert_int_equal(lifetime, 600);

	a = must_find(&m, STUN_ATTR_EVEN_PORT);
	assert_int_equal(a->len, 1);
	assert_int_equal(a->val[0], 0x80);
	assert_int_equal(stun_attr_even_port(a, &even), 0);
	assert_true(even);

	a = must_find(&m, STUN_ATTR_DONT_FRAGMENT);
	assert_int_equal(a->len, 0);

	a = must_find(&m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	assert_memory_equal(a->val, "\x02\0\0\0", 4);
	assert_int_equal(stun_attr_family(a, &family), 0);
	assert_int_equal(family, STUN_FAMILY_IPV6);
	assert_int_equal(
	    stun_attr_family(must_find(&m, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY), &family), 0);
	assert_int_equal(family, STUN_FAMILY_IPV4);

	a = must_find(&m, STUN_ATTR_RESERVATION_TOKEN);
	assert_memory_equal(a->val, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	assert_int_equal(stun_attr_token(a, &token), 0);
	assert_true(token == 0x0102030405060708ull);

	assert_attr_str(&m, STUN_ATTR_USERNAME, "alice");
	assert_attr_str(&m, STUN_ATTR_REALM, "example.org");
	assert_attr_str(&m, STUN_ATTR_NONCE, "obMatJos2gAAAnonce");

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, test_tid);
	stun_put_even_port(&b, false);
	n = stun_build_end(&b);
	parse_ok(&m, buf, n);
	a = must_find(&m, STUN_ATTR_EVEN_PORT);
	assert_int_equal(a->val[0], 0);
	assert_int_equal(stun_attr_even_port(a, &even), 0);
	assert_false(even);
}

static void test_build_error_response_with_unknown_attributes(void **state)
{
	static const uint16_t unknown[] = {0x7FFF, 0x0002, 0x1234};
	uint8_t buf[512];
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *a;
	const char *reason;
	size_t reason_len, n;
	uint16_t types[8];
	int code;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_ERROR, test_tid);
	stun_put_error(&b, STUN_ERR_UNKNOWN_ATTRIBUTE, NULL);
	stun_put_unknown(&b, unknown, 3);
	n = stun_build_end(&b);
	assert_true(n > 0);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, 0x0113);
	assert_int_equal(m.cls, STUN_ERROR);

	a = must_find(&m, STUN_ATTR_ERROR_CODE);
	assert_int_equal(a->val[0], 0);
	assert_int_equal(a->val[1], 0);
	assert_int_equal(a->val[2], 4);
	assert_int_equal(a->val[3], 20);
	assert_int_equal(stun_attr_error(a, &code, &reason, &reason_len), 0);
	assert_int_equal(code, 420);
	assert_int_equal(reason_len, strlen(stun_err_reason(420)));
	assert_memory_equal(reason, stun_err_reason(420), reason_len);

	a = must_find(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	assert_int_equal(a->len, 6);
	assert_int_equal(stun_attr_unknown_list(a, types, 8), 3);
	assert_memory_equal(types, unknown, sizeof(unknown));
	assert_int_equal(stun_attr_unknown_list(a, types, 2), 2);
	assert_int_equal(types[1], 0x0002);
}

static void test_build_error_codes_and_reasons(void **state)
{
	static const int codes[] = {300, 400, 401, 403, 437, 438, 441, 442, 486, 508, 599, 699};
	uint8_t buf[1024];
	struct stun_builder b;
	struct stun_msg m;
	const char *reason;
	size_t reason_len, n;
	int code;

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_ERROR, test_tid);
		stun_put_error(&b, codes[i], "why not");
		n = stun_build_end(&b);
		assert_int_equal(n, 20 + 4 + 12);
		parse_ok(&m, buf, n);
		assert_int_equal(stun_attr_error(must_find(&m, STUN_ATTR_ERROR_CODE), &code,
						 &reason, &reason_len),
				 0);
		assert_int_equal(code, codes[i]);
		assert_int_equal(reason_len, 7);
		assert_memory_equal(reason, "why not", 7);
	}
	/* RFC 8489 §14.8: 300..699 only */
	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_ERROR, test_tid);
	stun_put_error(&b, 299, NULL);
	assert_int_equal(stun_build_end(&b), 0);
	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_ERROR, test_tid);
	stun_put_error(&b, 700, NULL);
	assert_int_equal(stun_build_end(&b), 0);
}

static void test_build_password_algorithms(void **state)
{
	static const uint16_t algs[] = {STUN_PW_ALG_MD5, STUN_PW_ALG_SHA256};
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *a;
	uint16_t alg = 0;
	size_t n;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_ERROR, test_tid);
	stun_put_error(&b, STUN_ERR_UNAUTHORIZED, NULL);
	stun_put_pw_algs(&b, algs, 2);
	stun_put_pw_alg(&b, STUN_PW_ALG_MD5);
	n = stun_build_end(&b);
	assert_true(n > 0);
	parse_ok(&m, buf, n);
	/* RFC 8489 §14.11: (algorithm, parameters length, parameters)* */
	a = must_find(&m, STUN_ATTR_PASSWORD_ALGORITHMS);
	assert_int_equal(a->len, 8);
	assert_memory_equal(a->val, "\x00\x01\x00\x00\x00\x02\x00\x00", 8);
	a = must_find(&m, STUN_ATTR_PASSWORD_ALGORITHM);
	assert_int_equal(a->len, 4);
	assert_int_equal(stun_attr_pw_alg(a, &alg), 0);
	assert_int_equal(alg, STUN_PW_ALG_MD5);
}

/* method and class with one 32-bit attribute: the type on the wire and the value come back. */
static void check_u32_message(uint16_t method, uint16_t cls, uint16_t attr, uint32_t value,
			      uint16_t want_type)
{
	uint8_t buf[64];
	struct stun_builder b;
	struct stun_msg m;
	uint32_t v = ~value;
	size_t n;

	stun_build_start(&b, buf, sizeof(buf), method, cls, test_tid);
	stun_put_u32(&b, attr, value);
	n = stun_build_end(&b);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, want_type);
	assert_int_equal(stun_attr_u32(must_find(&m, attr), &v), 0);
	assert_int_equal(v, value);
}

static void test_build_every_turn_method(void **state)
{
	uint8_t buf[512];
	struct stun_builder b;
	struct stun_msg m;
	struct sockaddr_storage peer = addr("198.51.100.9", 5000), got;
	const struct stun_attr *a;
	uint16_t ch = 0;
	size_t n;

	(void)state;
	/* ChannelBind request */
	stun_build_start(&b, buf, sizeof(buf), TURN_CHANNEL_BIND, STUN_REQUEST, test_tid);
	stun_put_channel(&b, 0x4001);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	n = stun_build_end(&b);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, 0x0009);
	a = must_find(&m, STUN_ATTR_CHANNEL_NUMBER);
	assert_memory_equal(a->val, "\x40\x01\0\0", 4);
	assert_int_equal(stun_attr_channel(a, &ch), 0);
	assert_int_equal(ch, 0x4001);
	assert_int_equal(stun_attr_xor_addr(&m, must_find(&m, STUN_ATTR_XOR_PEER_ADDRESS), &got),
			 0);
	assert_addr(&got, "198.51.100.9", 5000);

	/* CreatePermission request with two peers: both are kept, find returns the first */
	stun_build_start(&b, buf, sizeof(buf), TURN_CREATE_PERMISSION, STUN_REQUEST, test_tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	got = addr("2001:db8::9", 0);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&got);
	n = stun_build_end(&b);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, 0x0008);
	assert_int_equal(m.nattrs, 2);
	assert_int_equal(stun_attr_xor_addr(&m, &m.attrs[1], &got), 0);
	assert_addr(&got, "2001:db8::9", 0);

	/* Send indication with DATA and DONT-FRAGMENT */
	stun_build_start(&b, buf, sizeof(buf), TURN_SEND, STUN_INDICATION, test_tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	stun_put(&b, STUN_ATTR_DATA, "hello", 5);
	stun_put(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	n = stun_build_end(&b);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, 0x0016);
	assert_attr_str(&m, STUN_ATTR_DATA, "hello");

	/* Data indication with an empty DATA */
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, test_tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	stun_put(&b, STUN_ATTR_DATA, NULL, 0);
	n = stun_build_end(&b);
	assert_int_equal(n, 20 + 12 + 4);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, 0x0017);
	assert_int_equal(must_find(&m, STUN_ATTR_DATA)->len, 0);

	/* Refresh request, LIFETIME 0 */
	check_u32_message(TURN_REFRESH, STUN_REQUEST, STUN_ATTR_LIFETIME, 0, 0x0004);

	/* RFC 6062: Connect, ConnectionBind, ConnectionAttempt */
	check_u32_message(TURN_CONNECT, STUN_SUCCESS, STUN_ATTR_CONNECTION_ID, 0xdeadbeef, 0x010A);
	check_u32_message(TURN_CONNECTION_BIND, STUN_REQUEST, STUN_ATTR_CONNECTION_ID, 7, 0x000B);

	stun_build_start(&b, buf, sizeof(buf), TURN_CONNECTION_ATTEMPT, STUN_INDICATION, test_tid);
	stun_put_u32(&b, STUN_ATTR_CONNECTION_ID, 8);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	n = stun_build_end(&b);
	parse_ok(&m, buf, n);
	assert_int_equal(m.type, 0x001C);
	assert_int_equal(m.method, TURN_CONNECTION_ATTEMPT);
	assert_int_equal(m.cls, STUN_INDICATION);
}

static void test_builder_overflow_returns_zero(void **state)
{
	uint8_t buf[64 + 8];
	struct stun_builder b;
	struct sockaddr_un unix_sa = {.sun_family = AF_UNIX};

	(void)state;
	/* too small for the header */
	for (size_t cap = 0; cap < STUN_HEADER_LEN; cap++) {
		stun_build_start(&b, buf, cap, STUN_BINDING, STUN_REQUEST, test_tid);
		assert_int_equal(stun_build_end(&b), 0);
	}
	/* header fits, an attribute does not */
	stun_build_start(&b, buf, 20, STUN_BINDING, STUN_REQUEST, test_tid);
	assert_int_equal(stun_build_end(&b), 20);
	stun_put_u32(&b, STUN_ATTR_PRIORITY, 1);
	assert_int_equal(stun_build_end(&b), 0);
	/* sticky: a later attribute that would fit does not clear the error */
	stun_put(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	assert_int_equal(stun_build_end(&b), 0);
	/* padding counts: 5 value bytes need 12 */
	stun_build_start(&b, buf, 20 + 11, STUN_BINDING, STUN_REQUEST, test_tid);
	stun_put(&b, STUN_ATTR_DATA, "hello", 5);
	assert_int_equal(stun_build_end(&b), 0);
	stun_build_start(&b, buf, 20 + 12, STUN_BINDING, STUN_REQUEST, test_tid);
	stun_put(&b, STUN_ATTR_DATA, "hello", 5);
	assert_int_equal(stun_build_end(&b), 32);
	/* no room for MESSAGE-INTEGRITY, then none for FINGERPRINT */
	stun_build_start(&b, buf, 20 + 23, STUN_BINDING, STUN_REQUEST, test_tid);
	stun_put_integrity(&b, (const uint8_t *)"k", 1);
	assert_int_equal(stun_build_end(&b), 0);
	stun_build_start(&b, buf, 20 + 24 + 7, STUN_BINDING, STUN_REQUEST, test_tid);
	stun_put_integrity(&b, (const uint8_t *)"k", 1);
	stun_put_fingerprint(&b);
	assert_int_equal(stun_build_end(&b), 0);
	/* an address family the codec cannot encode */
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, test_tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&unix_sa);
	assert_int_equal(stun_build_end(&b), 0);
	/* a value longer than an attribute can carry */
	{
		static uint8_t big[70000], value[65536];

		stun_build_start(&b, big, sizeof(big), TURN_SEND, STUN_INDICATION, test_tid);
		stun_put(&b, STUN_ATTR_DATA, value, 65536);
		assert_int_equal(stun_build_end(&b), 0);
		/* and a message longer than the 16-bit length field */
		stun_build_start(&b, big, sizeof(big), TURN_SEND, STUN_INDICATION, test_tid);
		stun_put(&b, STUN_ATTR_DATA, value, 65504);
		stun_put(&b, STUN_ATTR_DATA, value, 8);
		assert_int_equal(stun_build_end(&b), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc5769_request_reencodes_identically),
	    cmocka_unit_test(test_rfc5769_ipv4_response_reencodes_identically),
	    cmocka_unit_test(test_rfc5769_ipv6_response_reencodes_identically),
	    cmocka_unit_test(test_rfc5769_long_term_request_reencodes_identically),
	    cmocka_unit_test(test_rfc8489_sha256_request_reencodes_identically),
	    cmocka_unit_test(test_build_binding_success_xor_mapped_v4),
	    cmocka_unit_test(test_build_binding_success_xor_mapped_v6),
	    cmocka_unit_test(test_build_allocate_request_every_field),
	    cmocka_unit_test(test_build_error_response_with_unknown_attributes),
	    cmocka_unit_test(test_build_error_codes_and_reasons),
	    cmocka_unit_test(test_build_password_algorithms),
	    cmocka_unit_test(test_build_every_turn_method),
	    cmocka_unit_test(test_builder_overflow_returns_zero),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
