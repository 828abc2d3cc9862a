/*
 * test_stun_integrity.c - src/stun/integrity.c: MESSAGE-INTEGRITY (HMAC-SHA1, -SHA256), FINGERPRINT and CRC-32 against the
 * RFC 5769 and RFC 8489 B.1 vectors, the nonce cookie, constant-time compare.
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

static void test_rfc5769_request_parses_and_verifies(void **state)
{
	struct stun_msg m;
	uint32_t prio;
	uint64_t tie;

	(void)state;
	parse_ok(&m, rfc5769_request, sizeof(rfc5769_request));
	assert_int_equal(m.len, sizeof(rfc5769_request));
	assert_int_equal(m.type, 0x0001);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_memory_equal(m.tid, rfc5769_request + 8, STUN_TID_LEN);
	assert_int_equal(m.nattrs, 6);
	assert_int_equal(m.nunknown, 0);
	assert_attr_str(&m, STUN_ATTR_SOFTWARE, RFC5769_REQ_SOFTWARE);
	assert_attr_str(&m, STUN_ATTR_USERNAME, RFC5769_USERNAME);
	assert_int_equal(stun_attr_u32(must_find(&m, STUN_ATTR_PRIORITY), &prio), 0);
	assert_int_equal(prio, RFC5769_PRIORITY);
	assert_int_equal(stun_attr_token(must_find(&m, STUN_ATTR_ICE_CONTROLLED), &tie), 0);
	assert_true(tie == RFC5769_ICE_CONTROLLED);
	assert_int_equal(m.attrs[m.mi_idx].type, STUN_ATTR_MESSAGE_INTEGRITY);
	assert_int_equal(m.attrs[m.fp_idx].type, STUN_ATTR_FINGERPRINT);
	assert_int_equal(m.mi256_idx, -1);

	assert_int_equal(stun_msg_check_integrity(&m, pw(), strlen(RFC5769_PASSWORD)), 0);
	assert_int_not_equal(stun_msg_check_integrity(&m, (const uint8_t *)"wrong", 5), 0);
	assert_int_not_equal(stun_msg_check_integrity(&m, pw(), strlen(RFC5769_PASSWORD) - 1), 0);
	assert_int_not_equal(stun_msg_check_integrity_sha256(&m, pw(), strlen(RFC5769_PASSWORD)),
			     0);
	assert_true(stun_msg_check_fingerprint(&m));
	assert_true(stun_looks_like_stun(rfc5769_request, sizeof(rfc5769_request)));
	assert_false(stun_looks_like_channeldata(rfc5769_request, sizeof(rfc5769_request)));
}

static void check_rfc5769_response(const uint8_t *buf, size_t len, const char *ip)
{
	struct stun_msg m;
	struct sockaddr_storage ss;
	const struct stun_attr *xa;

	parse_ok(&m, buf, len);
	assert_int_equal(m.type, 0x0101);
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_SUCCESS);
	assert_int_equal(m.nattrs, 4);
	assert_attr_str(&m, STUN_ATTR_SOFTWARE, RFC5769_RESP_SOFTWARE);
	xa = must_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	assert_int_equal(stun_attr_xor_addr(&m, xa, &ss), 0);
	assert_addr(&ss, ip, RFC5769_MAPPED_PORT);
	/* the same bytes read as a plain address are not the mapped address */
	assert_int_equal(stun_attr_addr(&m, xa, &ss), 0);
	assert_int_not_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), RFC5769_MAPPED_PORT);
	assert_int_equal(stun_msg_check_integrity(&m, pw(), strlen(RFC5769_PASSWORD)), 0);
	assert_true(stun_msg_check_fingerprint(&m));
}

static void test_rfc5769_ipv4_response(void **state)
{
	(void)state;
	check_rfc5769_response(rfc5769_response_v4, sizeof(rfc5769_response_v4), RFC5769_MAPPED_V4);
}

static void test_rfc5769_ipv6_response(void **state)
{
	(void)state;
	check_rfc5769_response(rfc5769_response_v6, sizeof(rfc5769_response_v6), RFC5769_MAPPED_V6);
}

static void test_rfc5769_long_term_request(void **state)
{
	struct stun_msg m;
	uint8_t key[32], bad[32];

	(void)state;
	parse_ok(&m, rfc5769_request_lt, sizeof(rfc5769_request_lt));
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_attr_str(&m, STUN_ATTR_USERNAME, RFC5769_LT_USERNAME);
	assert_attr_str(&m, STUN_ATTR_NONCE, RFC5769_LT_NONCE);
	assert_attr_str(&m, STUN_ATTR_REALM, RFC5769_LT_REALM);
	assert_int_equal(m.fp_idx, -1);
	assert_false(stun_msg_check_fingerprint(&m));

	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
				     RFC5769_LT_PASSWORD, key),
			 16);
	assert_memory_equal(key, lt_key_md5, 16);
	assert_int_equal(stun_msg_check_integrity(&m, key, 16), 0);

	assert_int_equal(
	    stun_lt_key(STUN_PW_ALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM, "thematrix", bad),
	    16);
	assert_int_not_equal(stun_msg_check_integrity(&m, bad, 16), 0);
}

static void test_rfc8489_sha256_userhash_request(void **state)
{
	struct stun_msg m;
	uint8_t key[32], hash[32];
	uint16_t alg;
	uint32_t features;
	const struct stun_attr *a;

	(void)state;
	parse_ok(&m, rfc8489_request_sha256, sizeof(rfc8489_request_sha256));
	assert_int_equal(m.method, STUN_BINDING);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_int_equal(m.mi_idx, -1);
	assert_int_equal(m.attrs[m.mi256_idx].len, 32);

	stun_userhash(RFC5769_LT_USERNAME, RFC5769_LT_REALM, hash);
	assert_memory_equal(hash, rfc8489_userhash, 32);
	a = must_find(&m, STUN_ATTR_USERHASH);
	assert_int_equal(a->len, 32);
	assert_memory_equal(a->val, hash, 32);
	assert_attr_str(&m, STUN_ATTR_NONCE, RFC8489_B1_NONCE);
	assert_attr_str(&m, STUN_ATTR_REALM, RFC5769_LT_REALM);
	assert_int_equal(stun_attr_pw_alg(must_find(&m, STUN_ATTR_PASSWORD_ALGORITHM), &alg), 0);
	assert_int_equal(alg, STUN_PW_ALG_SHA256);

	a = must_find(&m, STUN_ATTR_NONCE);
	assert_int_equal(stun_nonce_cookie_features(a->val, a->len, &features), 0);
	assert_int_equal(features, 0x000002); /* base64 "AAAC" */

	assert_int_equal(stun_lt_key(STUN_PW_ALG_SHA256, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
				     RFC5769_LT_PASSWORD, key),
			 32);
	assert_memory_equal(key, lt_key_sha256, 32);
	assert_int_equal(stun_msg_check_integrity_sha256(&m, key, 32), 0);
	assert_int_not_equal(stun_msg_check_integrity_sha256(&m, lt_key_md5, 16), 0);
	assert_int_not_equal(stun_msg_check_integrity(&m, key, 32), 0);
}

static void test_build_integrity_with_md5_and_sha256_keys(void **state)
{
	uint8_t buf[512], md5[32], sha[32], tmp[32];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	(void)state;
	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, "bob", "r.example", "secret", md5), 16);
	assert_int_equal(stun_lt_key(STUN_PW_ALG_SHA256, "bob", "r.example", "secret", sha), 32);
	assert_int_equal(stun_lt_key(0x0003, "bob", "r.example", "secret", tmp), -1);

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, test_tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	stun_put_str(&b, STUN_ATTR_USERNAME, "bob");
	stun_put_integrity(&b, md5, 16);
	n = stun_build_end(&b);
	assert_int_equal(n, 20 + 8 + 8 + 24);
	parse_ok(&m, buf, n);
	assert_int_equal(m.attrs[m.mi_idx].len, 20);
	assert_int_equal(stun_msg_check_integrity(&m, md5, 16), 0);
	assert_int_not_equal(stun_msg_check_integrity(&m, sha, 32), 0);
	assert_int_not_equal(stun_msg_check_integrity_sha256(&m, md5, 16), 0);

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, test_tid);
	stun_put_transport(&b, TURN_TRANSPORT_TCP);
	stun_put_pw_alg(&b, STUN_PW_ALG_SHA256);
	stun_put_integrity_sha256(&b, sha, 32);
	n = stun_build_end(&b);
	assert_int_equal(n, 20 + 8 + 8 + 36);
	parse_ok(&m, buf, n);
	assert_int_equal(m.mi_idx, -1);
	assert_int_equal(m.attrs[m.mi256_idx].len, 32);
	assert_int_equal(stun_msg_check_integrity_sha256(&m, sha, 32), 0);
	assert_int_not_equal(stun_msg_check_integrity_sha256(&m, md5, 16), 0);
	assert_int_not_equal(stun_msg_check_integrity(&m, sha, 32), 0);
}

static void test_build_mi_mi256_and_fingerprint_together(void **state)
{
	uint8_t buf[512], copy[512];
	struct stun_builder b;
	struct stun_msg m;
	const uint8_t k1[] = "short-term", k2[] = "another key";
	size_t n;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, test_tid);
	stun_put_str(&b, STUN_ATTR_USERNAME, "a:b");
	stun_put_u32(&b, STUN_ATTR_PRIORITY, 12345);
	stun_put_integrity(&b, k1, sizeof(k1) - 1);
	stun_put_integrity_sha256(&b, k2, sizeof(k2) - 1);
	stun_put_fingerprint(&b);
	n = stun_build_end(&b);
	assert_int_equal(n, 20 + 8 + 8 + 24 + 36 + 8);
	parse_ok(&m, buf, n);
	assert_true(m.mi_idx >= 0);
	assert_true(m.mi_idx < m.mi256_idx);
	assert_true(m.mi256_idx < m.fp_idx);
	assert_int_equal(m.fp_idx, m.nattrs - 1);
	assert_int_equal(stun_msg_check_integrity(&m, k1, sizeof(k1) - 1), 0);
	assert_int_equal(stun_msg_check_integrity_sha256(&m, k2, sizeof(k2) - 1), 0);
	assert_true(stun_msg_check_fingerprint(&m));
	assert_int_not_equal(stun_msg_check_integrity(&m, k2, sizeof(k2) - 1), 0);
	assert_int_not_equal(stun_msg_check_integrity_sha256(&m, k1, sizeof(k1) - 1), 0);

	/* one bit of PRIORITY flipped: all three fail */
	memcpy(copy, buf, n);
	copy[20 + 8 + 4 + 3] ^= 1;
	parse_ok(&m, copy, n);
	assert_int_not_equal(stun_msg_check_integrity(&m, k1, sizeof(k1) - 1), 0);
	assert_int_not_equal(stun_msg_check_integrity_sha256(&m, k2, sizeof(k2) - 1), 0);
	assert_false(stun_msg_check_fingerprint(&m));
}

static void test_fingerprint_is_crc32_xor_stun(void **state)
{
	uint8_t buf[128];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	(void)state;
	assert_int_equal(stun_crc32((const uint8_t *)"123456789", 9), 0xCBF43926u);
	assert_int_equal(stun_crc32((const uint8_t *)"", 0), 0);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_INDICATION, test_tid);
	stun_put_fingerprint(&b);
	n = stun_build_end(&b);
	assert_int_equal(n, 28);
	parse_ok(&m, buf, n);
	assert_int_equal(m.fp_idx, 0);
	assert_int_equal(get32(buf + 24), stun_crc32(buf, 20) ^ FP_XOR);
	assert_true(stun_msg_check_fingerprint(&m));
}

/*
 * A Data indication near the 65,535-byte body limit puts its FINGERPRINT
 * past offset 65535: the parser keeps the whole offset, so the CRC covers
 * the right bytes (a 16-bit offset made a valid message fail the check).
 */
static void test_fingerprint_past_64_kib_verifies(void **state)
{
	static uint8_t buf[STUN_HEADER_LEN + 65532];
	struct sockaddr_storage peer = addr("2001:db8::1", 5000);
	const size_t data_len = 65496;
	struct stun_builder b;
	struct stun_msg m;
	size_t head;

	(void)state;
	/* built as the relay builds it: a head, the data, a FINGERPRINT appended */
	stun_build_start(&b, buf, 64, TURN_DATA, STUN_INDICATION, test_tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&peer);
	stun_put_external(&b, STUN_ATTR_DATA, data_len);
	stun_count_external(&b, 8);
	head = stun_build_end(&b);
	assert_int_equal(head, STUN_HEADER_LEN + 24 + STUN_ATTR_HDR_LEN);
	memset(buf + head, 0xA5, data_len);
	stun_fingerprint_attr(buf + head + data_len, stun_crc32(buf, head + data_len));
	assert_int_equal(head + data_len + 8, sizeof(buf));
	parse_ok(&m, buf, sizeof(buf));
	assert_true(m.fp_idx >= 0);
	assert_true(m.attrs[m.fp_idx].off > 65535);
	assert_true(stun_msg_check_fingerprint(&m));
	buf[100] ^= 1;
	assert_false(stun_msg_check_fingerprint(&m));
}

static void test_nonce_cookie_roundtrip(void **state)
{
	static const uint32_t features[] = {
	    0,
	    STUN_FEATURE_PASSWORD_ALGORITHMS,
	    STUN_FEATURE_USERNAME_ANONYMITY,
	    STUN_FEATURE_PASSWORD_ALGORITHMS | STUN_FEATURE_USERNAME_ANONYMITY,
	    0x123456,
	    0xFFFFFF,
	};
	char cookie[STUN_NONCE_COOKIE_LEN + 1];
	uint8_t nonce[64];
	uint32_t got;

	(void)state;
	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		stun_nonce_cookie(cookie, features[i]);
		assert_int_equal(strlen(cookie), STUN_NONCE_COOKIE_LEN);
		assert_memory_equal(cookie, STUN_NONCE_COOKIE, 9);
		/* a nonce is the cookie followed by anything */
		memcpy(nonce, cookie, STUN_NONCE_COOKIE_LEN);
		memcpy(nonce + STUN_NONCE_COOKIE_LEN, "abcdef", 6);
		got = 0xDEAD;
		assert_int_equal(stun_nonce_cookie_features(nonce, STUN_NONCE_COOKIE_LEN + 6, &got),
				 0);
		assert_int_equal(got, features[i]);
		got = 0xDEAD;
		assert_int_equal(stun_nonce_cookie_features(nonce, STUN_NONCE_COOKIE_LEN, &got), 0);
		assert_int_equal(got, features[i]);
	}
	/* base64 of the 24 bits, most significant first (RFC 8489 §9.2) */
	stun_nonce_cookie(cookie, 0);
	assert_string_equal(cookie, "obMatJos2AAAA");
	stun_nonce_cookie(cookie, STUN_FEATURE_PASSWORD_ALGORITHMS);
	assert_string_equal(cookie, "obMatJos2gAAA");
	stun_nonce_cookie(cookie,
			  STUN_FEATURE_PASSWORD_ALGORITHMS | STUN_FEATURE_USERNAME_ANONYMITY);
	assert_string_equal(cookie, "obMatJos2wAAA");
	stun_nonce_cookie(cookie, 0xFFFFFF);
	assert_string_equal(cookie, "obMatJos2////");

	assert_int_equal(
	    stun_nonce_cookie_features((const uint8_t *)"f//499k954d6OL34oL9", 19, &got), -1);
	assert_int_equal(stun_nonce_cookie_features((const uint8_t *)"obMatJos2AAA", 12, &got), -1);
	assert_int_equal(stun_nonce_cookie_features((const uint8_t *)"obMatJos2!AAAx", 14, &got),
			 -1);
	assert_int_equal(stun_nonce_cookie_features((const uint8_t *)"obMatJos3AAAAx", 14, &got),
			 -1);
	assert_int_equal(stun_nonce_cookie_features((const uint8_t *)"", 0, &got), -1);
}

static void test_ct_equal_and_demux(void **state)
{
	const uint8_t cd[] = {0x40, 0x00, 0x00, 0x00};
	const uint8_t not_cd[] = {0x80, 0x00, 0x00, 0x00};

	(void)state;
	assert_true(stun_ct_equal("abcd", "abcd", 4));
	assert_false(stun_ct_equal("abcd", "abce", 4));
	assert_false(stun_ct_equal("\x80xyz", "\x00xyz", 4));
	assert_true(stun_ct_equal("a", "b", 0));
	assert_true(stun_looks_like_channeldata(cd, 4));
	assert_false(stun_looks_like_channeldata(cd, 3));
	assert_false(stun_looks_like_channeldata(not_cd, 4));
	assert_false(stun_looks_like_stun(cd, 4));
	assert_false(stun_looks_like_stun(rfc5769_request, 19));
	for (size_t i = 0; i < RFC5769_NVECTORS; i++)
		assert_true(stun_looks_like_stun(rfc5769_vectors[i].buf, rfc5769_vectors[i].len));
}

static void test_integrity_fails_on_any_flipped_bit(void **state)
{
	uint8_t buf[sizeof(rfc5769_request)];
	struct stun_msg m;
	size_t mi_end = sizeof(rfc5769_request) - 8; /* FINGERPRINT is not covered */

	(void)state;
	for (size_t i = 0; i < mi_end; i++) {
		/*
		 * The header length is not covered as sent: the MAC uses a length
		 * ending at MESSAGE-INTEGRITY, so a shorter length that drops
		 * FINGERPRINT still verifies (RFC 8489 §14.5).
		 */
		if (i == 2 || i == 3)
			continue;
		for (int bit = 0; bit < 8; bit++) {
			memcpy(buf, rfc5769_request, sizeof(buf));
			buf[i] ^= (uint8_t)(1 << bit);
			if (stun_msg_parse(&m, buf, sizeof(buf)) != STUN_PARSE_OK)
				continue;
			if (m.mi_idx < 0)
				continue;
			assert_int_not_equal(
			    stun_msg_check_integrity(&m, pw(), strlen(RFC5769_PASSWORD)), 0);
		}
	}
}

static void test_parse_integrity_of_wrong_length(void **state)
{
	static const struct {
		uint16_t type, len;
	} t[] = {
	    {STUN_ATTR_MESSAGE_INTEGRITY, 0},
	    {STUN_ATTR_MESSAGE_INTEGRITY, 16},
	    {STUN_ATTR_MESSAGE_INTEGRITY, 19},
	    {STUN_ATTR_MESSAGE_INTEGRITY, 24},
	    {STUN_ATTR_MESSAGE_INTEGRITY, 32},
	    {STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 0},
	    {STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 12},
	    {STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 18},
	    {STUN_ATTR_MESSAGE_INTEGRITY_SHA256, 36},
	    {STUN_ATTR_FINGERPRINT, 0},
	    {STUN_ATTR_FINGERPRINT, 3},
	    {STUN_ATTR_FINGERPRINT, 8},
	};
	uint8_t buf[128], zero[40] = {0};
	struct stun_msg m;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		n = RAW_MSG(buf, 0x0001, {t[i].type, t[i].len, zero});
		assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_BAD_ATTR);
	}
}

static void test_parse_truncated_mi_sha256_accepted(void **state)
{
	uint8_t buf[128], zero[32] = {0};
	struct stun_msg m;
	size_t n;

	(void)state;
	/* RFC 8489 §14.6: at least 16 bytes, a multiple of 4, at most 32 */
	for (uint16_t len = 16; len <= 32; len += 4) {
		n = RAW_MSG(buf, 0x0001, {STUN_ATTR_MESSAGE_INTEGRITY_SHA256, len, zero});
		parse_ok(&m, buf, n);
		assert_int_equal(m.mi256_idx, 0);
		assert_int_not_equal(stun_msg_check_integrity_sha256(&m, zero, 4), 0);
	}
}

static void test_fingerprint_bad(void **state)
{
	uint8_t buf[sizeof(rfc5769_request)];
	struct stun_msg m;

	(void)state;
	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[sizeof(buf) - 1] ^= 0x80;
	parse_ok(&m, buf, sizeof(buf));
	assert_false(stun_msg_check_fingerprint(&m));
	/* MI is not affected by the FINGERPRINT value */
	assert_int_equal(stun_msg_check_integrity(&m, pw(), strlen(RFC5769_PASSWORD)), 0);

	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[30] ^= 0x01; /* inside SOFTWARE */
	parse_ok(&m, buf, sizeof(buf));
	assert_false(stun_msg_check_fingerprint(&m));
}

/* crc32(a||b) == update(crc32(a), b) at every split point. */
static void test_crc32_update_continues_over_pieces(void **state)
{
	static const uint8_t msg[] = "123456789";

	(void)state;
	assert_int_equal(stun_crc32(msg, 9), 0xCBF43926u); /* the check value */
	for (size_t cut = 0; cut <= 9; cut++)
		assert_int_equal(stun_crc32_update(stun_crc32(msg, cut), msg + cut, 9 - cut),
				 0xCBF43926u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc5769_request_parses_and_verifies),
	    cmocka_unit_test(test_rfc5769_ipv4_response),
	    cmocka_unit_test(test_rfc5769_ipv6_response),
	    cmocka_unit_test(test_rfc5769_long_term_request),
	    cmocka_unit_test(test_rfc8489_sha256_userhash_request),
	    cmocka_unit_test(test_build_integrity_with_md5_and_sha256_keys),
	    cmocka_unit_test(test_build_mi_mi256_and_fingerprint_together),
	    cmocka_unit_test(test_fingerprint_is_crc32_xor_stun),
	    cmocka_unit_test(test_fingerprint_past_64_kib_verifies),
	    cmocka_unit_test(test_nonce_cookie_roundtrip),
	    cmocka_unit_test(test_ct_equal_and_demux),
	    cmocka_unit_test(test_integrity_fails_on_any_flipped_bit),
	    cmocka_unit_test(test_parse_integrity_of_wrong_length),
	    cmocka_unit_test(test_parse_truncated_mi_sha256_accepted),
	    cmocka_unit_test(test_fingerprint_bad),
	    cmocka_unit_test(test_crc32_update_continues_over_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
