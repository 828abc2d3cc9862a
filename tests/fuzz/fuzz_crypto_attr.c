/*
 * fuzz_crypto_attr.c - libFuzzer harness for the anchor's a=crypto (SDES,
 * src/anchor/sdes.c) and a=fingerprint (src/anchor/fingerprint.c) values.
 * The first byte picks the parser, the rest is the attribute value.
 * Checks: a parsed a=crypto has its suite's exact key length and formats
 * to text that parses back to the same key, tag and parameters; a parsed
 * fingerprint has its hash's length and formats back to the same digest.
 * fuzz-sources: src/anchor/sdes.c src/anchor/srtp_suite.c src/anchor/fingerprint.c
 */
#include <stdint.h>
#include <string.h>

#include "anchor/fingerprint.h"
#include "anchor/sdes.h"
#include "tests/fuzz/fuzz.h"

static void fuzz_sdes(const char *v, size_t len)
{
	struct sdes_crypto c, back;
	char text[SDES_MAX_TEXT + 64], err[160];
	int rc = sdes_parse(v, len, &c, err, sizeof(err));
	int n;

	if (rc != 0)
		return;
	CHECK(c.suite != NULL);
	CHECK(c.key_salt_len == c.suite->key_len + c.suite->salt_len);
	n = sdes_format(&c, text, sizeof(text));
	CHECK(n > 0);
	CHECK(sdes_parse(text, (size_t)n, &back, err, sizeof(err)) == 0);
	CHECK(back.tag == c.tag && back.suite == c.suite && back.lifetime == c.lifetime);
	CHECK(back.wsh == c.wsh && back.unencrypted_srtp == c.unencrypted_srtp);
	CHECK(back.unencrypted_srtcp == c.unencrypted_srtcp);
	CHECK(back.unauthenticated_srtp == c.unauthenticated_srtp);
	CHECK(memcmp(back.key_salt, c.key_salt, c.key_salt_len) == 0);
}

static void fuzz_fingerprint(const char *v, size_t len)
{
	struct fingerprint fp, back;
	char text[FINGERPRINT_MAX_TEXT + 1], err[128];
	int n;

	if (fingerprint_parse(v, len, &fp, err, sizeof(err)) != 0)
		return;
	CHECK(fp.len >= 20 && fp.len <= FINGERPRINT_MAX_DIGEST);
	n = fingerprint_format(&fp, text, sizeof(text));
	CHECK(n > 0);
	CHECK(fingerprint_parse(text, (size_t)n, &back, err, sizeof(err)) == 0);
	CHECK(back.hash == fp.hash && back.len == fp.len);
	CHECK(memcmp(back.digest, fp.digest, fp.len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		fuzz_fingerprint((const char *)data + 1, size - 1);
	else
		fuzz_sdes((const char *)data + 1, size - 1);
	return 0;
}
