/*
 * test_media_crypto.c - SRTP/SRTCP contexts over libsrtp2
 * (src/anchor/media_crypto.c) and the suite table (srtp_suite.c): every
 * suite protects and unprotects RTP and RTCP with its own tag length; a
 * changed byte, a wrong key and a replay are dropped and counted; the
 * rollover counter carries a sequence wrap; SSRC changes past the table
 * evict the oldest SSRC's state; malformed packets are refused; the RFC 5764 key split pairs each
 * side's write key with the other's read key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "anchor/media_crypto.h"
#include "anchor/srtp_ossl.h"

#define BUF 1500

static const uint8_t key_a[SRTP_SUITE_MAX_KEY_SALT_LEN] = {
    1,	2,  3,	4,  5,	6,  7,	8,  9,	10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
    24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46};

static struct mcrypto *ctx(enum srtp_suite_id id, const uint8_t *key, enum mcrypto_dir dir)
{
	const struct srtp_suite *s = srtp_suite_get(id);
	struct mcrypto_params p = {.suite = s, .key_salt = key,
				   .key_salt_len = s->key_len + s->salt_len};
	char err[128] = "";
	struct mcrypto *c = mcrypto_new(&p, dir, err, sizeof(err));

	if (c == NULL)
		fail_msg("mcrypto_new: %s", err);
	return c;
}

/* an RTP packet (RFC 3550 §5.1) with a 160-byte PCMU-like payload */
static size_t rtp(uint8_t *b, uint32_t ssrc, uint16_t seq)
{
	memset(b, 0, BUF);
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[4] = (uint8_t)(seq >> 8); /* timestamp */
	b[7] = (uint8_t)seq;
	b[8] = (uint8_t)(ssrc >> 24);
	b[9] = (uint8_t)(ssrc >> 16);
	b[10] = (uint8_t)(ssrc >> 8);
	b[11] = (uint8_t)ssrc;
	for (int i = 0; i < 160; i++)
		b[12 + i] = (uint8_t)(i ^ seq);
	return 172;
}

/* an RTCP receiver report with no blocks (RFC 3550 §6.4.2) */
static size_t rtcp(uint8_t *b, uint32_t ssrc)
{
	memset(b, 0, BUF);
	b[0] = 0x80;
	b[1] = 201;
	b[3] = 1;
	b[4] = (uint8_t)(ssrc >> 24);
	b[5] = (uint8_t)(ssrc >> 16);
	b[6] = (uint8_t)(ssrc >> 8);
	b[7] = (uint8_t)ssrc;
	return 8;
}

/* the contexts run on libcrypto's AES and HMAC, not libsrtp2's built-in kernel */
static void test_contexts_use_the_openssl_crypto_kernel(void **state)
{
	struct mcrypto *c;

	(void)state;
	assert_false(srtp_ossl_active()); /* nothing made a context yet */
	c = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, key_a, MCRYPTO_OUTBOUND);
	assert_true(srtp_ossl_active());
	mcrypto_free(c);
}

static void test_every_suite_round_trips_rtp_and_rtcp(void **state)
{
	(void)state;
	for (int id = SRTP_SUITE_NONE + 1; id < SRTP_SUITE_COUNT; id++) {
		const struct srtp_suite *s = srtp_suite_get(id);
		struct mcrypto *out = ctx(id, key_a, MCRYPTO_OUTBOUND);
		struct mcrypto *in = ctx(id, key_a, MCRYPTO_INBOUND);
		uint8_t buf[BUF], plain[BUF];
		size_t len = rtp(buf, 0x11223344, 100), plen = len;

		memcpy(plain, buf, len);
		assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
		assert_int_equal(len, plen + s->rtp_tag_len);
		assert_memory_not_equal(buf + 12, plain + 12, 16); /* encrypted */
		assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_OK);
		assert_int_equal(len, plen);
		assert_memory_equal(buf, plain, plen);

		len = plen = rtcp(buf, 0x11223344);
		memcpy(plain, buf, len);
		assert_int_equal(mcrypto_protect(out, true, buf, &len, sizeof(buf)), MCRYPTO_OK);
		assert_int_equal(len, plen + 4 + s->rtcp_tag_len); /* E flag + index, tag */
		assert_int_equal(mcrypto_unprotect(in, true, buf, &len), MCRYPTO_OK);
		assert_int_equal(len, plen);
		assert_memory_equal(buf, plain, plen);
		assert_int_equal(mcrypto_stats(in)->ok, 2);
		assert_ptr_equal(mcrypto_suite(in), s);
		mcrypto_free(out);
		mcrypto_free(in);
	}
}

static void test_tampered_wrong_key_and_replayed_packets_are_dropped(void **state)
{
	uint8_t other[SRTP_SUITE_MAX_KEY_SALT_LEN];
	struct mcrypto *out = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, key_a, MCRYPTO_OUTBOUND);
	struct mcrypto *in = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, key_a, MCRYPTO_INBOUND);
	struct mcrypto *wrong;
	uint8_t buf[BUF], copy[BUF];
	size_t len, clen;

	(void)state;
	memcpy(other, key_a, sizeof(other));
	other[0] ^= 0x80;
	wrong = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, other, MCRYPTO_INBOUND);

	len = rtp(buf, 7, 1);
	assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
	memcpy(copy, buf, len);
	clen = len;
	buf[40] ^= 1;
	assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_AUTH_FAIL);
	memcpy(buf, copy, clen);
	len = clen;
	assert_int_equal(mcrypto_unprotect(wrong, false, buf, &len), MCRYPTO_AUTH_FAIL);
	memcpy(buf, copy, clen);
	len = clen;
	assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_OK);
	memcpy(buf, copy, clen);
	len = clen;
	assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_REPLAY);
	assert_int_equal(mcrypto_stats(in)->auth_fail, 1);
	assert_int_equal(mcrypto_stats(in)->replay, 1);
	assert_int_equal(mcrypto_stats(in)->ok, 1);
	assert_int_equal(mcrypto_stats(wrong)->auth_fail, 1);
	/* an authentication failure of an unknown SSRC does not take a slot */
	for (uint32_t ssrc = 100; ssrc < 100 + 2 * MCRYPTO_MAX_SSRC; ssrc++) {
		len = rtp(buf, ssrc, 1);
		len += 10;
		assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_AUTH_FAIL);
	}
	len = rtp(buf, 8, 1);
	assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
	assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_OK);
	mcrypto_free(out);
	mcrypto_free(in);
	mcrypto_free(wrong);
}

static void test_rollover_counter_carries_a_sequence_wrap(void **state)
{
	struct mcrypto *out = ctx(SRTP_SUITE_AEAD_AES_128_GCM, key_a, MCRYPTO_OUTBOUND);
	struct mcrypto *in = ctx(SRTP_SUITE_AEAD_AES_128_GCM, key_a, MCRYPTO_INBOUND);
	uint8_t buf[BUF];
	size_t len;

	(void)state;
	for (uint32_t i = 0; i < 20; i++) {
		uint16_t seq = (uint16_t)(65526 + i); /* 65526 .. 65535, 0 .. 9 */

		len = rtp(buf, 42, seq);
		assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
		assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_OK);
		assert_int_equal(buf[12], (uint8_t)(0 ^ seq));
	}
	mcrypto_free(out);
	mcrypto_free(in);
}

static void test_ssrc_changes_past_the_table_evict_the_oldest(void **state)
{
	struct mcrypto *out = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_32, key_a, MCRYPTO_OUTBOUND);
	struct mcrypto *in = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_32, key_a, MCRYPTO_INBOUND);
	uint8_t buf[BUF];
	size_t len;

	(void)state;
	/* a PBX that changes SSRC on every transfer: 3 tables' worth, all pass */
	for (uint32_t ssrc = 1; ssrc <= 3 * MCRYPTO_MAX_SSRC; ssrc++) {
		len = rtp(buf, ssrc, 5);
		assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
		assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_OK);
	}
	assert_int_equal(mcrypto_stats(out)->ssrc_evicted, 2 * MCRYPTO_MAX_SSRC);
	assert_int_equal(mcrypto_stats(in)->ssrc_evicted, 2 * MCRYPTO_MAX_SSRC);
	/* a recent one keeps its replay window */
	len = rtp(buf, 3 * MCRYPTO_MAX_SSRC, 5);
	assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
	assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_REPLAY);
	/* an evicted one starts afresh */
	len = rtp(buf, 1, 6);
	assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
	assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_OK);
	/* packets that fail authentication evict nothing */
	for (uint32_t ssrc = 1000; ssrc < 1000 + 2 * MCRYPTO_MAX_SSRC; ssrc++) {
		len = rtp(buf, ssrc, 1) + 4;
		assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_AUTH_FAIL);
	}
	assert_int_equal(mcrypto_stats(in)->ssrc_evicted, 2 * MCRYPTO_MAX_SSRC + 1);
	mcrypto_free(out);
	mcrypto_free(in);
}

static void test_malformed_packets_and_wrong_direction_are_refused(void **state)
{
	struct mcrypto *out = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, key_a, MCRYPTO_OUTBOUND);
	struct mcrypto *in = ctx(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, key_a, MCRYPTO_INBOUND);
	uint8_t buf[BUF];
	size_t len;

	(void)state;
	len = 11;
	rtp(buf, 1, 1);
	assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_MALFORMED);
	assert_int_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_MALFORMED);
	len = rtp(buf, 1, 1);
	buf[0] = 0x40; /* version 1 */
	assert_int_equal(mcrypto_protect(out, false, buf, &len, sizeof(buf)), MCRYPTO_MALFORMED);
	len = rtp(buf, 1, 1);
	assert_int_equal(mcrypto_protect(out, false, buf, &len, len + 10), MCRYPTO_MALFORMED);
	assert_int_equal(mcrypto_unprotect(out, false, buf, &len), MCRYPTO_MALFORMED);
	assert_int_equal(mcrypto_protect(in, false, buf, &len, sizeof(buf)), MCRYPTO_MALFORMED);
	len = 7;
	assert_int_equal(mcrypto_unprotect(in, true, buf, &len), MCRYPTO_MALFORMED);
	len = 12; /* header only: shorter than a tag needs */
	assert_int_not_equal(mcrypto_unprotect(in, false, buf, &len), MCRYPTO_OK);
	assert_int_equal(mcrypto_stats(out)->malformed, 4);
	assert_string_equal(mcrypto_result_name(MCRYPTO_AUTH_FAIL), "auth-fail");
	mcrypto_free(out);
	mcrypto_free(in);
}

static void test_bad_parameters_are_refused(void **state)
{
	struct mcrypto_params p = {.suite = srtp_suite_get(SRTP_SUITE_AEAD_AES_128_GCM),
				   .key_salt = key_a, .key_salt_len = 30};
	char err[128] = "";

	(void)state;
	assert_null(mcrypto_new(&p, MCRYPTO_INBOUND, err, sizeof(err)));
	assert_non_null(strstr(err, "does not match its suite"));
	p.suite = NULL;
	assert_null(mcrypto_new(&p, MCRYPTO_INBOUND, err, sizeof(err)));
}

static void test_suite_table_and_dtls_key_split(void **state)
{
	const struct srtp_suite *s = srtp_suite_by_dtls_name("SRTP_AES128_CM_SHA1_80");
	uint8_t material[60], cl[30], cr[30], sl[30], sr[30];

	(void)state;
	assert_non_null(s);
	assert_int_equal(s->dtls_profile, 1);
	assert_ptr_equal(srtp_suite_by_dtls_profile(7), srtp_suite_get(SRTP_SUITE_AEAD_AES_128_GCM));
	assert_null(srtp_suite_by_dtls_profile(0));
	assert_null(srtp_suite_by_dtls_profile(5));
	assert_null(srtp_suite_by_dtls_name("SRTP_NULL"));
	assert_null(srtp_suite_by_sdes("AES_CM_128_HMAC_SHA1_8", 22));
	assert_null(srtp_suite_get(SRTP_SUITE_NONE));
	assert_non_null(strstr(srtp_suite_dtls_profiles(), "SRTP_AEAD_AES_128_GCM"));
	for (size_t i = 0; i < sizeof(material); i++)
		material[i] = (uint8_t)i;
	assert_int_equal(srtp_suite_split_dtls_keys(s, material, 60, true, cl, cr), 0);
	assert_int_equal(srtp_suite_split_dtls_keys(s, material, 60, false, sl, sr), 0);
	/* client write key = bytes 0-15, its salt = 32-45 (RFC 5764 §4.2) */
	assert_int_equal(cl[0], 0);
	assert_int_equal(cl[16], 32);
	assert_int_equal(cr[0], 16);
	assert_int_equal(cr[16], 46);
	assert_memory_equal(cl, sr, 30);
	assert_memory_equal(cr, sl, 30);
	assert_int_equal(srtp_suite_split_dtls_keys(s, material, 59, true, cl, cr), -1);
}

static void test_dtls_keys_protect_between_client_and_server(void **state)
{
	const struct srtp_suite *s = srtp_suite_get(SRTP_SUITE_AEAD_AES_256_GCM);
	uint8_t material[88], cl[44], cr[44], sl[44], sr[44], buf[BUF];
	struct mcrypto_params pc = {.suite = s, .key_salt = cl, .key_salt_len = 44};
	struct mcrypto_params ps = {.suite = s, .key_salt = sr, .key_salt_len = 44};
	struct mcrypto *client_out, *server_in;
	size_t len;

	(void)state;
	for (size_t i = 0; i < sizeof(material); i++)
		material[i] = (uint8_t)(i * 3);
	assert_int_equal(srtp_suite_split_dtls_keys(s, material, 88, true, cl, cr), 0);
	assert_int_equal(srtp_suite_split_dtls_keys(s, material, 88, false, sl, sr), 0);
	client_out = mcrypto_new(&pc, MCRYPTO_OUTBOUND, NULL, 0);
	server_in = mcrypto_new(&ps, MCRYPTO_INBOUND, NULL, 0);
	assert_non_null(client_out);
	assert_non_null(server_in);
	len = rtp(buf, 9, 9);
	assert_int_equal(mcrypto_protect(client_out, false, buf, &len, sizeof(buf)), MCRYPTO_OK);
	assert_int_equal(mcrypto_unprotect(server_in, false, buf, &len), MCRYPTO_OK);
	mcrypto_free(client_out);
	mcrypto_free(server_in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_contexts_use_the_openssl_crypto_kernel),
	    cmocka_unit_test(test_every_suite_round_trips_rtp_and_rtcp),
	    cmocka_unit_test(test_tampered_wrong_key_and_replayed_packets_are_dropped),
	    cmocka_unit_test(test_rollover_counter_carries_a_sequence_wrap),
	    cmocka_unit_test(test_ssrc_changes_past_the_table_evict_the_oldest),
	    cmocka_unit_test(test_malformed_packets_and_wrong_direction_are_refused),
	    cmocka_unit_test(test_bad_parameters_are_refused),
	    cmocka_unit_test(test_suite_table_and_dtls_key_split),
	    cmocka_unit_test(test_dtls_keys_protect_between_client_and_server),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
