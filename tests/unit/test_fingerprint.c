/*
 * test_fingerprint.c - a=fingerprint values and certificate checks
 * (src/anchor/fingerprint.c): every hash function of RFC 8122 in either
 * case, malformed digests and MD5/MD2 refused with their reason, and a
 * certificate matching its own fingerprint but not a changed one nor
 * another certificate's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "anchor/fingerprint.h"
#include "cert_test.h"

static X509 *make_cert(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = cert_test_make(key, "test");

	EVP_PKEY_free(key);
	return x;
}

static int parse(const char *s, struct fingerprint *fp, char *err, size_t errlen)
{
	return fingerprint_parse(s, strlen(s), fp, err, errlen);
}

static void test_every_hash_parses_in_either_case(void **state)
{
	static const struct {
		const char *name;
		size_t len;
	} cases[] = {{"sha-1", 20},   {"SHA-224", 28}, {"sha-256", 32},
		     {"Sha-384", 48}, {"sha-512", 64}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char text[FINGERPRINT_MAX_TEXT + 1], err[128];
		struct fingerprint fp;
		size_t n = (size_t)snprintf(text, sizeof(text), "%s ", cases[i].name);

		for (size_t j = 0; j < cases[i].len; j++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, j ? ":%02x" : "%02X",
					      (unsigned)((j * 7) & 0xff));
		assert_int_equal(parse(text, &fp, err, sizeof(err)), 0);
		assert_int_equal(fp.len, cases[i].len);
		assert_int_equal(fp.digest[cases[i].len - 1], ((cases[i].len - 1) * 7) & 0xff);
	}
}

static void test_malformed_fingerprints_are_refused_precisely(void **state)
{
	static const struct {
		const char *value;
		const char *reason;
	} cases[] = {
	    {"sha-256", "needs 'hash-function fingerprint'"},
	    {"md5 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF", "MD5 or MD2 is refused"},
	    {"MD2 00:11", "MD5 or MD2 is refused"},
	    {"sha-3 00:11", "hash function is unknown"},
	    {"sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22",
	     "length does not match"},
	    {"sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44",
	     "length does not match"},
	    {"sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:", "hex pairs"},
	    {"sha-1 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:3", "malformed"},
	    {"sha-1 0011:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", "hex pairs"},
	    {"sha-1 GG:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", "hex pairs"},
	    {"sha-256 ", "length does not match"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fingerprint fp;
		char err[128] = "";

		fp.len = 99;
		assert_int_equal(parse(cases[i].value, &fp, err, sizeof(err)), -1);
		if (strstr(err, cases[i].reason) == NULL)
			fail_msg("case %zu '%s': got '%s', want '%s'", i, cases[i].value, err,
				 cases[i].reason);
		assert_int_equal(fp.len, 99); /* untouched */
	}
}

static void test_too_long_digest_stops_at_the_buffer(void **state)
{
	char text[8 + 70 * 3] = "sha-512 ";
	struct fingerprint fp;
	char err[128];

	(void)state;
	for (int i = 0; i < 70; i++)
		strcat(text, i ? ":AB" : "AB");
	assert_int_equal(parse(text, &fp, err, sizeof(err)), -1);
}

static void test_certificate_matches_its_own_fingerprint_only(void **state)
{
	X509 *a = make_cert(), *b = make_cert();
	struct fingerprint fp, back, sha1;
	char text[FINGERPRINT_MAX_TEXT + 1], err[128];

	(void)state;
	assert_int_equal(fingerprint_of_cert(a, FINGERPRINT_SHA256, &fp), 0);
	assert_int_equal(fp.len, 32);
	assert_int_equal(fingerprint_format(&fp, text, sizeof(text)), 7 + 1 + 32 * 3 - 1);
	assert_int_equal(strncmp(text, "sha-256 ", 8), 0);
	assert_int_equal(parse(text, &back, err, sizeof(err)), 0);
	assert_true(fingerprint_matches(a, &back));
	assert_false(fingerprint_matches(b, &back));
	back.digest[31] ^= 1;
	assert_false(fingerprint_matches(a, &back));
	assert_int_equal(fingerprint_of_cert(a, FINGERPRINT_SHA1, &sha1), 0);
	assert_true(fingerprint_matches(a, &sha1));
	assert_int_equal(fingerprint_format(&fp, text, 50), -1);
	X509_free(a);
	X509_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_hash_parses_in_either_case),
	    cmocka_unit_test(test_malformed_fingerprints_are_refused_precisely),
	    cmocka_unit_test(test_too_long_digest_stops_at_the_buffer),
	    cmocka_unit_test(test_certificate_matches_its_own_fingerprint_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
