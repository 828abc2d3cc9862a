/*
 * test_sdes.c - SDES a=crypto values (src/anchor/sdes.c): RFC 4568's own
 * examples, every suite's key length, padded and unpadded base64, lifetime
 * forms, session parameters, the well-formed line of a suite the anchor
 * does not bridge (skipped, not an error), and every malformed form refused
 * with its precise reason; written values parse back to the same keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "anchor/sdes.h"

static int parse(const char *s, struct sdes_crypto *c, char *err, size_t errlen)
{
	return sdes_parse(s, strlen(s), c, err, errlen);
}

static void test_rfc4568_example_parses(void **state)
{
	/* RFC 4568 §4's key with its lifetime, MKI left off */
	static const uint8_t want[8] = {0x3d, 0x2d, 0x6e, 0x40, 0x25, 0x5e, 0x78, 0x21};
	struct sdes_crypto c;
	char err[128];

	(void)state;
	assert_int_equal(
	    parse("1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20",
		  &c, err, sizeof(err)),
	    0);
	assert_int_equal(c.tag, 1);
	assert_ptr_equal(c.suite, srtp_suite_get(SRTP_SUITE_AES_CM_128_HMAC_SHA1_80));
	assert_int_equal(c.key_salt_len, 30);
	assert_memory_equal(c.key_salt, want, sizeof(want));
	assert_int_equal(c.lifetime, 1u << 20);
	assert_false(c.unencrypted_srtp || c.unencrypted_srtcp || c.unauthenticated_srtp);
}

static void test_every_suite_takes_its_own_key_length(void **state)
{
	static const struct {
		const char *suite;
		size_t len;
	} cases[] = {
	    {"AES_CM_128_HMAC_SHA1_80", 30}, {"AES_CM_128_HMAC_SHA1_32", 30},
	    {"AES_256_CM_HMAC_SHA1_80", 46}, {"AES_256_CM_HMAC_SHA1_32", 46},
	    {"AEAD_AES_128_GCM", 28},	     {"AEAD_AES_256_GCM", 44},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdes_crypto gen, back;
		char text[SDES_MAX_TEXT], err[128];

		assert_int_equal(sdes_generate(srtp_suite_by_sdes(cases[i].suite,
								  strlen(cases[i].suite)),
					       7, &gen),
				 0);
		assert_int_equal(gen.key_salt_len, cases[i].len);
		assert_true(sdes_format(&gen, text, sizeof(text)) > 0);
		assert_int_equal(parse(text, &back, err, sizeof(err)), 0);
		assert_int_equal(back.key_salt_len, cases[i].len);
		assert_memory_equal(back.key_salt, gen.key_salt, cases[i].len);
		assert_int_equal(back.tag, 7);
	}
}

static void test_unpadded_base64_is_accepted(void **state)
{
	struct sdes_crypto c;
	char err[128];

	(void)state;
	/* 28 bytes: 38 characters without the "==" */
	assert_int_equal(parse("2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw",
			       &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.key_salt_len, 28);
	assert_int_equal(c.key_salt[27], 27);
	assert_int_equal(parse("2 AEAD_AES_128_GCM inline:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGw==",
			       &c, err, sizeof(err)),
			 0);
}

static void test_lifetime_and_session_params(void **state)
{
	struct sdes_crypto c, back;
	char text[SDES_MAX_TEXT], err[128];

	(void)state;
	assert_int_equal(parse("3 AES_CM_128_HMAC_SHA1_32 "
			       "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1000 "
			       "UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP WSH=128 KDR=0",
			       &c, err, sizeof(err)),
			 0);
	assert_int_equal(c.lifetime, 1000);
	assert_true(c.unencrypted_srtcp);
	assert_true(c.unauthenticated_srtp);
	assert_false(c.unencrypted_srtp);
	assert_int_equal(c.wsh, 128);
	assert_true(sdes_format(&c, text, sizeof(text)) > 0);
	assert_string_equal(text, "3 AES_CM_128_HMAC_SHA1_32 "
				  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|1000 "
				  "UNENCRYPTED_SRTCP UNAUTHENTICATED_SRTP WSH=128");
	assert_int_equal(parse(text, &back, err, sizeof(err)), 0);
	assert_memory_equal(back.key_salt, c.key_salt, 30);
	c.lifetime = 1ULL << 31;
	assert_true(sdes_format(&c, text, sizeof(text)) > 0);
	assert_non_null(strstr(text, "|2^31 "));
}

static void test_unknown_suite_is_skipped_not_refused(void **state)
{
	struct sdes_crypto c;
	char err[128] = "";

	(void)state;
	assert_int_equal(parse("4 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
			       &c, err, sizeof(err)),
			 SDES_UNKNOWN_SUITE);
	assert_int_equal(c.tag, 4);
	assert_null(c.suite);
	assert_int_equal(parse("5 AES_192_CM_HMAC_SHA1_80 inline:xyz", &c, err, sizeof(err)),
			 SDES_UNKNOWN_SUITE);
}

static void test_malformed_values_are_refused_precisely(void **state)
{
	static const struct {
		const char *value;
		const char *reason;
	} cases[] = {
	    {"", "tag must be 1 to 9 digits"},
	    {"x AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "tag"},
	    {"1234567890 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR",
	     "tag"},
	    {"1", "needs 'tag suite key-params'"},
	    {"1 AES_CM_128_HMAC_SHA1_80", "needs 'tag suite key-params'"},
	    {"1 AES-CM AES", "bad character"},
	    {"1 AES_CM_128_HMAC_SHA1_80 uri:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "inline:"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB!", "base64"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVB=", "base64"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:P", "base64"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:AAECAwQFBgcICQoLDA0ODw==", "must be 30 bytes, not 16"},
	    {"1 AEAD_AES_256_GCM inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR", "must be 44 bytes"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:32",
	     "MKI is not supported"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^20|1:4;"
	     "inline:QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk|2^20|2:4",
	     "several master keys"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|2^49",
	     "2^1 to 2^48"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|0",
	     "1 to 2^48 packets"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR|5|6",
	     "two lifetimes"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR KDR=1",
	     "KDR=1 (key derivation rate) is not supported"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR KDR=25",
	     "KDR must be 0 to 24"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR FEC_ORDER=FEC_SRTP",
	     "FEC_ORDER is not supported"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR WSH=10",
	     "WSH must be 64 to 32768"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR FOO",
	     "session parameter 'FOO' is not understood"},
	    {"1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\t",
	     "control or non-ASCII"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sdes_crypto c;
		char err[160] = "";

		memset(&c, 0xa5, sizeof(c));
		assert_int_equal(parse(cases[i].value, &c, err, sizeof(err)), -1);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("case %zu '%s': got '%s', want '%s'", i, cases[i].value, err,
				 cases[i].reason);
		assert_int_equal(c.tag, 0xa5a5a5a5a5a5a5a5UL); /* untouched */
	}
}

static void test_nul_inside_is_refused(void **state)
{
	static const char v[] = "1 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXX\0"
				"txaVBR";
	struct sdes_crypto c;
	char err[128];

	(void)state;
	assert_int_equal(sdes_parse(v, sizeof(v) - 1, &c, err, sizeof(err)), -1);
}

static void test_generated_keys_are_fresh_and_format_fits(void **state)
{
	const struct srtp_suite *s = srtp_suite_get(SRTP_SUITE_AEAD_AES_256_GCM);
	struct sdes_crypto a, b;
	char small[20];

	(void)state;
	assert_int_equal(sdes_generate(s, 1, &a), 0);
	assert_int_equal(sdes_generate(s, 1, &b), 0);
	assert_memory_not_equal(a.key_salt, b.key_salt, a.key_salt_len);
	assert_int_equal(sdes_format(&a, small, sizeof(small)), -1);
	assert_int_equal(sdes_generate(NULL, 1, &a), -1);
	assert_int_equal(sdes_generate(s, SDES_MAX_TAG + 1, &a), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc4568_example_parses),
	    cmocka_unit_test(test_every_suite_takes_its_own_key_length),
	    cmocka_unit_test(test_unpadded_base64_is_accepted),
	    cmocka_unit_test(test_lifetime_and_session_params),
	    cmocka_unit_test(test_unknown_suite_is_skipped_not_refused),
	    cmocka_unit_test(test_malformed_values_are_refused_precisely),
	    cmocka_unit_test(test_nul_inside_is_refused),
	    cmocka_unit_test(test_generated_keys_are_fresh_and_format_fits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
