/*
 * test_srtp_ossl.c - libsrtp2's ciphers and HMAC on libcrypto
 * (src/anchor/srtp_ossl.c): each type passes its RFC vectors (RFC 3711
 * B.2 AES-CM keystream, RFC 6188 §7.1 AES-256-CM, the GCM specification's
 * cases 4 and 16, RFC 2202 HMAC-SHA1); a whole SRTP and SRTCP packet under
 * the RFC 3711 B.3 master key comes out byte for byte as the RFC's key
 * derivation and transforms give it; for every suite, RTP and RTCP, the
 * OpenSSL kernel's packets equal libsrtp2's built-in kernel's and each
 * unprotects the other's; tampered tags are refused; bad lengths are
 * refused at alloc.
 */
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <srtp2/srtp.h>

#include "anchor/srtp_ossl.h"

#define BUF 1500

/* RFC 3711 Appendix B.3: master key, then master salt */
static const uint8_t b3_key[30] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
				   0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
				   0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

static const uint8_t rtp_plain[28] = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
				      0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
				      0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
/* the payload under the B.3 session key and salt (c61e7a93..., 30cbbc08...),
 * then HMAC-SHA1-80 under the B.3 auth key (cebe321f...) of header,
 * payload and ROC 0; computed apart from libsrtp2 from RFC 3711 §4 */
static const uint8_t rtp_cipher[38] = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
    0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
    0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
/* a sender report header with 16 bytes of 0xab, then SRTCP index 1 with the E flag */
static const uint8_t rtcp_plain[24] = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
				       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
				       0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};
static const uint8_t rtcp_cipher[38] = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
    0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
    0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};

/* srtp_init() once: a second call re-runs the kernel's self-tests */
static void kernel_ready(void)
{
	static bool done;

	if (!done)
		assert_int_equal(srtp_init(), srtp_err_status_ok);
	done = true;
}

typedef void (*policy_fn)(srtp_crypto_policy_t *);

/* srtp_crypto_policy_set_rtp_default: AES_CM_128_HMAC_SHA1_80 (a macro) */
static const struct {
	policy_fn rtp, rtcp;
	size_t key_len;
} suites[] = {
    {srtp_crypto_policy_set_rtp_default, srtp_crypto_policy_set_rtp_default,
     30},
    {srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32, srtp_crypto_policy_set_rtp_default,
     30},
    {srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
     46},
    {srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32, srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80,
     46},
    {srtp_crypto_policy_set_aes_gcm_128_16_auth, srtp_crypto_policy_set_aes_gcm_128_16_auth, 28},
    {srtp_crypto_policy_set_aes_gcm_256_16_auth, srtp_crypto_policy_set_aes_gcm_256_16_auth, 44},
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

static srtp_t session(size_t suite, const uint8_t *key, srtp_ssrc_type_t type)
{
	uint8_t k[64];
	srtp_policy_t p;
	srtp_t s;

	memset(&p, 0, sizeof(p));
	suites[suite].rtp(&p.rtp);
	suites[suite].rtcp(&p.rtcp);
	memcpy(k, key, suites[suite].key_len);
	p.key = k;
	p.ssrc.type = type;
	p.window_size = 128;
	assert_int_equal(srtp_create(&s, &p), srtp_err_status_ok);
	return s;
}

static size_t rtp(uint8_t *b, uint16_t seq, size_t payload)
{
	b[0] = 0x80;
	b[1] = 0;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	memset(b + 4, 0x5a, 4);
	memcpy(b + 8, "\x12\x34\x56\x78", 4);
	for (size_t i = 0; i < payload; i++)
		b[12 + i] = (uint8_t)(i * 7 + seq);
	return 12 + payload;
}

typedef srtp_err_status_t (*transform_fn)(srtp_t, void *, int *);

/*
 * The built-in kernel's (own) and the OpenSSL kernel's (ossl) sessions
 * protect the packet P of LEN (SRTCP if rtcp) to the same bytes, and each
 * kernel unprotects the other's.
 */
static void same_both_ways(srtp_t own_tx, srtp_t own_rx, srtp_t ossl_tx, srtp_t ossl_rx,
			   bool rtcp, const uint8_t *p, size_t len)
{
	transform_fn protect = rtcp ? srtp_protect_rtcp : srtp_protect;
	transform_fn unprotect = rtcp ? srtp_unprotect_rtcp : srtp_unprotect;
	uint8_t a[BUF], b[BUF];
	int na = (int)len, nb = (int)len;

	memcpy(a, p, len);
	memcpy(b, p, len);
	assert_int_equal(protect(own_tx, a, &na), srtp_err_status_ok);
	assert_int_equal(protect(ossl_tx, b, &nb), srtp_err_status_ok);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	/* each kernel reads the other's */
	assert_int_equal(unprotect(ossl_rx, a, &na), srtp_err_status_ok);
	assert_int_equal(unprotect(own_rx, b, &nb), srtp_err_status_ok);
	assert_int_equal(na, (int)len);
	assert_memory_equal(a, b, len);
}

/* Must run first: it makes the built-in kernel's sessions before the install. */
static void test_every_suite_matches_libsrtp2s_own_kernel_both_ways(void **state)
{
	static const uint8_t key[46] = {9,  8,  7,  6,  5,  4,	3,  2,	1,  10, 11, 12, 13, 14, 15, 16,
					17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
					33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46};
	srtp_t own_tx[NSUITES], own_rx[NSUITES], ossl_tx, ossl_rx;
	char err[160] = "";

	(void)state;
	kernel_ready();
	assert_false(srtp_ossl_active());
	for (size_t i = 0; i < NSUITES; i++) {
		own_tx[i] = session(i, key, ssrc_any_outbound);
		own_rx[i] = session(i, key, ssrc_any_inbound);
	}
	assert_int_equal(srtp_ossl_install(err, sizeof(err)), 0);
	assert_true(srtp_ossl_active());
	for (size_t i = 0; i < NSUITES; i++) {
		ossl_tx = session(i, key, ssrc_any_outbound);
		ossl_rx = session(i, key, ssrc_any_inbound);
		for (uint16_t seq = 65530; seq != 6; seq++) { /* a rollover on the way */
			uint8_t a[BUF];
			size_t plen = rtp(a, seq, (size_t)(seq % 200) + 1);

			same_both_ways(own_tx[i], own_rx[i], ossl_tx, ossl_rx, false, a, plen);

			/* RTCP: a receiver report, SRTCP index per packet */
			memset(a, 0, 8);
			a[0] = 0x80;
			a[1] = 201;
			a[3] = 1;
			memcpy(a + 4, "\x12\x34\x56\x78", 4);
			same_both_ways(own_tx[i], own_rx[i], ossl_tx, ossl_rx, true, a, 8);
		}
		srtp_dealloc(ossl_tx);
		srtp_dealloc(ossl_rx);
		srtp_dealloc(own_tx[i]);
		srtp_dealloc(own_rx[i]);
	}
}

static void test_each_type_passes_its_rfc_vectors(void **state)
{
	(void)state;
	kernel_ready();
	assert_int_equal(srtp_cipher_type_self_test(&srtp_ossl_aes_icm_128), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_self_test(&srtp_ossl_aes_icm_256), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_self_test(&srtp_ossl_aes_gcm_128), srtp_err_status_ok);
	assert_int_equal(srtp_cipher_type_self_test(&srtp_ossl_aes_gcm_256), srtp_err_status_ok);
	assert_int_equal(srtp_auth_type_self_test(&srtp_ossl_hmac_sha1), srtp_err_status_ok);
}

/* PLAIN protected by tx (SRTCP if rtcp) comes out as CIPHER; rx unprotects it to PLAIN. */
static void expect_transform(srtp_t tx, srtp_t rx, bool rtcp, const uint8_t *plain,
			     size_t plain_len, const uint8_t *cipher, size_t cipher_len)
{
	transform_fn protect = rtcp ? srtp_protect_rtcp : srtp_protect;
	transform_fn unprotect = rtcp ? srtp_unprotect_rtcp : srtp_unprotect;
	uint8_t buf[BUF];
	int n = (int)plain_len;

	memcpy(buf, plain, plain_len);
	assert_int_equal(protect(tx, buf, &n), srtp_err_status_ok);
	assert_int_equal(n, cipher_len);
	assert_memory_equal(buf, cipher, cipher_len);
	assert_int_equal(unprotect(rx, buf, &n), srtp_err_status_ok);
	assert_int_equal(n, plain_len);
	assert_memory_equal(buf, plain, plain_len);
}

/* suite 0 is AES_CM_128_HMAC_SHA1_80 for both RTP and RTCP, the B.3 transforms */
static void test_rfc3711_b3_keys_give_the_expected_srtp_and_srtcp_packets(void **state)
{
	char err[160];
	srtp_t tx, rx;

	(void)state;
	kernel_ready();
	assert_int_equal(srtp_ossl_install(err, sizeof(err)), 0);
	tx = session(0, b3_key, ssrc_any_outbound);
	rx = session(0, b3_key, ssrc_any_inbound);
	expect_transform(tx, rx, false, rtp_plain, sizeof(rtp_plain), rtp_cipher,
			 sizeof(rtp_cipher));
	expect_transform(tx, rx, true, rtcp_plain, sizeof(rtcp_plain), rtcp_cipher,
			 sizeof(rtcp_cipher));
	srtp_dealloc(tx);
	srtp_dealloc(rx);
}

static void test_tampered_packets_fail_authentication_on_every_suite(void **state)
{
	static const uint8_t key[46] = {0x42};
	char err[160];

	(void)state;
	kernel_ready();
	assert_int_equal(srtp_ossl_install(err, sizeof(err)), 0);
	for (size_t i = 0; i < NSUITES; i++) {
		srtp_t tx = session(i, key, ssrc_any_outbound);
		srtp_t rx = session(i, key, ssrc_any_inbound);
		uint8_t buf[BUF], copy[BUF];
		int n = (int)rtp(buf, 1, 160), len;

		assert_int_equal(srtp_protect(tx, buf, &n), srtp_err_status_ok);
		/* a payload byte, then the last tag byte */
		for (int at = 0; at < 2; at++) {
			memcpy(copy, buf, (size_t)n);
			copy[at == 0 ? 20 : n - 1] ^= 0x01;
			len = n;
			assert_int_equal(srtp_unprotect(rx, copy, &len), srtp_err_status_auth_fail);
		}
		len = n;
		assert_int_equal(srtp_unprotect(rx, buf, &len), srtp_err_status_ok);
		srtp_dealloc(tx);
		srtp_dealloc(rx);
	}
}

static void test_bad_lengths_are_refused(void **state)
{
	srtp_cipher_t *c = NULL;
	srtp_auth_t *a = NULL;
	uint8_t buf[32] = {0};
	unsigned int len = 8;

	(void)state;
	/* AES-CM takes key+salt of 30 or 46, GCM 28 or 44 with a 8 or 16-byte tag */
	assert_int_equal(srtp_ossl_aes_icm_128.alloc(&c, 16, 0), srtp_err_status_bad_param);
	assert_int_equal(srtp_ossl_aes_icm_128.alloc(&c, 38, 0), srtp_err_status_bad_param);
	assert_int_equal(srtp_ossl_aes_gcm_128.alloc(&c, 30, 16), srtp_err_status_bad_param);
	assert_int_equal(srtp_ossl_aes_gcm_128.alloc(&c, 28, 12), srtp_err_status_bad_param);
	assert_int_equal(srtp_ossl_hmac_sha1.alloc(&a, 21, 10), srtp_err_status_bad_param);
	assert_int_equal(srtp_ossl_hmac_sha1.alloc(&a, 20, 21), srtp_err_status_bad_param);
	assert_null(c);
	assert_null(a);
	/* a GCM "ciphertext" shorter than its tag */
	assert_int_equal(srtp_ossl_aes_gcm_128.alloc(&c, 28, 16), srtp_err_status_ok);
	assert_int_equal(c->type->init(c->state, buf), srtp_err_status_ok);
	assert_int_equal(c->type->set_iv(c->state, buf, srtp_direction_decrypt),
			 srtp_err_status_ok);
	assert_int_equal(c->type->decrypt(c->state, buf, &len), srtp_err_status_bad_param);
	assert_int_equal(len, 8);
	assert_int_equal(c->type->dealloc(c), srtp_err_status_ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_suite_matches_libsrtp2s_own_kernel_both_ways),
	    cmocka_unit_test(test_each_type_passes_its_rfc_vectors),
	    cmocka_unit_test(test_rfc3711_b3_keys_give_the_expected_srtp_and_srtcp_packets),
	    cmocka_unit_test(test_tampered_packets_fail_authentication_on_every_suite),
	    cmocka_unit_test(test_bad_lengths_are_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
