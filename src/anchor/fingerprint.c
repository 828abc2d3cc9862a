/*
 * fingerprint.c - a=fingerprint values and certificate checks, see
 * fingerprint.h.
 */
#include "anchor/fingerprint.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
	const char *name;
	size_t len;
	enum fingerprint_hash hash;
} hashes[] = {
	{"sha-1", 20, FINGERPRINT_SHA1},     {"sha-224", 28, FINGERPRINT_SHA224},
	{"sha-256", 32, FINGERPRINT_SHA256}, {"sha-384", 48, FINGERPRINT_SHA384},
	{"sha-512", 64, FINGERPRINT_SHA512},
};

#define N_HASHES (sizeof(hashes) / sizeof(hashes[0]))

static int fp_err(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static const EVP_MD *fp_md(enum fingerprint_hash hash)
{
	switch (hash) {
	case FINGERPRINT_SHA1:
		return EVP_sha1();
	case FINGERPRINT_SHA224:
		return EVP_sha224();
	case FINGERPRINT_SHA256:
		return EVP_sha256();
	case FINGERPRINT_SHA384:
		return EVP_sha384();
	case FINGERPRINT_SHA512:
		return EVP_sha512();
	}
	return NULL;
}

int fingerprint_parse(const char *value, size_t len, struct fingerprint *out, char *err,
		      size_t errlen)
{
	const char *p = value, *end = value + len, *sp;
	struct fingerprint fp;
	size_t i, name_len;

	memset(&fp, 0, sizeof(fp));
	sp = memchr(value, ' ', len);
	if (sp == NULL)
		return fp_err(err, errlen, "a=fingerprint needs 'hash-function fingerprint'");
	name_len = (size_t)(sp - p);
	for (i = 0; i < N_HASHES; i++)
		if (strlen(hashes[i].name) == name_len && strncasecmp(hashes[i].name, p, name_len) == 0)
			break;
	if (i == N_HASHES) {
		if ((name_len == 3 && strncasecmp(p, "md5", 3) == 0) ||
		    (name_len == 3 && strncasecmp(p, "md2", 3) == 0))
			return fp_err(err, errlen, "a=fingerprint with MD5 or MD2 is refused (RFC 8122)");
		return fp_err(err, errlen, "a=fingerprint hash function is unknown");
	}
	fp.hash = hashes[i].hash;
	p = sp;
	while (p < end && *p == ' ')
		p++;
	while (p < end) {
		int hi, lo;

		if (fp.len == FINGERPRINT_MAX_DIGEST || end - p < 2)
			return fp_err(err, errlen, "a=fingerprint digest is malformed");
		hi = hex_value(p[0]);
		lo = hex_value(p[1]);
		if (hi < 0 || lo < 0)
			return fp_err(err, errlen, "a=fingerprint digest is not hex pairs joined by ':'");
		fp.digest[fp.len++] = (uint8_t)(hi << 4 | lo);
		p += 2;
		if (p < end) {
			if (*p != ':' || p + 1 == end)
				return fp_err(err, errlen,
					      "a=fingerprint digest is not hex pairs joined by ':'");
			p++;
		}
	}
	if (fp.len != hashes[i].len)
		return fp_err(err, errlen, "a=fingerprint digest length does not match its hash");
	*out = fp;
	return 0;
}

int fingerprint_of_cert(X509 *cert, enum fingerprint_hash hash, struct fingerprint *out)
{
	const EVP_MD *md = fp_md(hash);
	unsigned int n = 0;

	if (cert == NULL || md == NULL || (size_t)EVP_MD_get_size(md) > FINGERPRINT_MAX_DIGEST)
		return -1;
	if (X509_digest(cert, md, out->digest, &n) != 1)
		return -1;
	out->hash = hash;
	out->len = n;
	return 0;
}

bool fingerprint_matches(X509 *cert, const struct fingerprint *fp)
{
	struct fingerprint mine;

	if (fingerprint_of_cert(cert, fp->hash, &mine) != 0 || mine.len != fp->len)
		return false;
	return CRYPTO_memcmp(mine.digest, fp->digest, fp->len) == 0;
}

int fingerprint_format(const struct fingerprint *fp, char *buf, size_t cap)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *name = NULL;
	size_t n;

	for (size_t i = 0; i < N_HASHES; i++)
		if (hashes[i].hash == fp->hash)
			name = hashes[i].name;
	if (name == NULL || fp->len == 0 || fp->len > FINGERPRINT_MAX_DIGEST)
		return -1;
	n = strlen(name);
	if (cap < n + 1 + fp->len * 3)
		return -1;
	memcpy(buf, name, n);
	buf[n++] = ' ';
	for (size_t i = 0; i < fp->len; i++) {
		buf[n++] = hex[fp->digest[i] >> 4];
		buf[n++] = hex[fp->digest[i] & 15];
		buf[n++] = i + 1 < fp->len ? ':' : '\0';
	}
	return (int)n - 1;
}
