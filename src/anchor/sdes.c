/*
 * sdes.c - a=crypto values (RFC 4568 §9.1 grammar), see sdes.h.
 */
#include "anchor/sdes.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int sdes_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int sdes_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

struct tok {
	const char *p;
	size_t len;
};

static bool tok_is(const struct tok *t, const char *s)
{
	return t->len == strlen(s) && memcmp(t->p, s, t->len) == 0;
}

/* The next space-separated field of [*p, end); false at the end. */
static bool next_field(const char **p, const char *end, struct tok *t)
{
	while (*p < end && **p == ' ')
		(*p)++;
	if (*p == end)
		return false;
	t->p = *p;
	while (*p < end && **p != ' ')
		(*p)++;
	t->len = (size_t)(*p - t->p);
	return true;
}

/* 1..max_digits decimal digits; false on anything else. */
static bool parse_uint(const char *p, size_t len, size_t max_digits, uint64_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > max_digits)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return true;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Strict base64 (RFC 4648 §4) into out (at most cap bytes): padding is
 * optional, as several SDES implementations leave it off, but when present
 * it must be right, and leftover bits must be zero. Returns the decoded
 * length or -1.
 */
static long b64_decode(const char *in, size_t len, uint8_t *out, size_t cap)
{
	size_t n = 0, pad = 0;
	uint32_t acc = 0;
	unsigned bits = 0;

	while (pad < 2 && len > 0 && in[len - 1] == '=') {
		len--;
		pad++;
	}
	if (pad > 0 && (len + pad) % 4 != 0)
		return -1;
	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0) /* non-canonical: bits after the last byte */
		return -1;
	return (long)n;
}

/* "inline:" key-salt ["|" lifetime] ["|" mki ":" length] (RFC 4568 §9.2) */
static int parse_key_param(const struct tok *t, struct sdes_crypto *c, char *err, size_t errlen)
{
	const char *p = t->p, *end = t->p + t->len, *bar;
	long n;

	if (t->len < 7 || memcmp(p, "inline:", 7) != 0)
		return sdes_err(err, errlen, "a=crypto key method must be 'inline:'");
	p += 7;
	for (const char *q = p; q < end; q++)
		if (*q == ';')
			return sdes_err(err, errlen, "a=crypto with several master keys is not supported");
	bar = memchr(p, '|', (size_t)(end - p));
	n = b64_decode(p, (size_t)((bar ? bar : end) - p), c->key_salt, sizeof(c->key_salt));
	if (n < 0)
		return sdes_err(err, errlen, "a=crypto key is not valid base64");
	if ((size_t)n != c->suite->key_len + c->suite->salt_len)
		return sdes_err(err, errlen, "a=crypto key of %s must be %zu bytes, not %ld",
				c->suite->sdes_name, c->suite->key_len + c->suite->salt_len, n);
	c->key_salt_len = (size_t)n;
	while (bar != NULL) {
		const char *f = bar + 1, *fend;
		uint64_t v;

		bar = memchr(f, '|', (size_t)(end - f));
		fend = bar ? bar : end;
		if (memchr(f, ':', (size_t)(fend - f)) != NULL)
			return sdes_err(err, errlen, "a=crypto MKI is not supported");
		if (c->lifetime != 0)
			return sdes_err(err, errlen, "a=crypto key has two lifetimes");
		if (fend - f > 2 && f[0] == '2' && f[1] == '^') {
			if (!parse_uint(f + 2, (size_t)(fend - f - 2), 2, &v) || v > 48)
				return sdes_err(err, errlen, "a=crypto lifetime must be 2^1 to 2^48");
			v = 1ULL << v;
		} else if (!parse_uint(f, (size_t)(fend - f), 15, &v) || v == 0 ||
			   v > SDES_MAX_LIFETIME) {
			return sdes_err(err, errlen, "a=crypto lifetime must be 1 to 2^48 packets");
		}
		c->lifetime = v;
	}
	return 0;
}

/* RFC 4568 §6.3 session parameters */
static int parse_session_param(const struct tok *t, struct sdes_crypto *c, char *err,
			       size_t errlen)
{
	uint64_t v;

	if (tok_is(t, "UNENCRYPTED_SRTP")) {
		c->unencrypted_srtp = true;
	} else if (tok_is(t, "UNENCRYPTED_SRTCP")) {
		c->unencrypted_srtcp = true;
	} else if (tok_is(t, "UNAUTHENTICATED_SRTP")) {
		c->unauthenticated_srtp = true;
	} else if (t->len > 4 && memcmp(t->p, "KDR=", 4) == 0) {
		if (!parse_uint(t->p + 4, t->len - 4, 2, &v) || v > 24)
			return sdes_err(err, errlen, "a=crypto KDR must be 0 to 24");
		if (v != 0) /* libsrtp2 derives session keys once */
			return sdes_err(err, errlen,
					"a=crypto KDR=%u (key derivation rate) is not supported",
					(unsigned)v);
	} else if (t->len > 4 && memcmp(t->p, "WSH=", 4) == 0) {
		if (!parse_uint(t->p + 4, t->len - 4, 5, &v) || v < 64 || v > 32768)
			return sdes_err(err, errlen, "a=crypto WSH must be 64 to 32768");
		c->wsh = (unsigned)v;
	} else if (t->len >= 10 && memcmp(t->p, "FEC_ORDER=", 10) == 0) {
		return sdes_err(err, errlen, "a=crypto FEC_ORDER is not supported");
	} else if (t->len >= 8 && memcmp(t->p, "FEC_KEY=", 8) == 0) {
		return sdes_err(err, errlen, "a=crypto FEC_KEY is not supported");
	} else {
		return sdes_err(err, errlen, "a=crypto session parameter '%.*s' is not understood",
				(int)(t->len > 32 ? 32 : t->len), t->p);
	}
	return 0;
}

int sdes_parse(const char *value, size_t len, struct sdes_crypto *out, char *err, size_t errlen)
{
	const char *p = value, *end = value + len;
	struct sdes_crypto c;
	struct tok t;
	uint64_t tag;
	int rc;

	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)value[i] < 0x20 || (unsigned char)value[i] > 0x7e)
			return sdes_err(err, errlen, "a=crypto has a control or non-ASCII byte");
	if (!next_field(&p, end, &t) || !parse_uint(t.p, t.len, 9, &tag))
		return sdes_err(err, errlen, "a=crypto tag must be 1 to 9 digits");
	c.tag = (unsigned long)tag;
	if (!next_field(&p, end, &t))
		return sdes_err(err, errlen, "a=crypto needs 'tag suite key-params'");
	for (size_t i = 0; i < t.len; i++)
		if (!(t.p[i] == '_' || (t.p[i] >= '0' && t.p[i] <= '9') ||
		      (t.p[i] >= 'A' && t.p[i] <= 'Z') || (t.p[i] >= 'a' && t.p[i] <= 'z')))
			return sdes_err(err, errlen, "a=crypto suite name has a bad character");
	c.suite = srtp_suite_by_sdes(t.p, t.len);
	if (!next_field(&p, end, &t))
		return sdes_err(err, errlen, "a=crypto needs 'tag suite key-params'");
	if (c.suite == NULL) {
		out->tag = c.tag;
		out->suite = NULL;
		return SDES_UNKNOWN_SUITE;
	}
	rc = parse_key_param(&t, &c, err, errlen);
	if (rc < 0)
		return rc;
	while (next_field(&p, end, &t)) {
		rc = parse_session_param(&t, &c, err, errlen);
		if (rc < 0)
			return rc;
	}
	*out = c;
	return 0;
}

int sdes_generate(const struct srtp_suite *suite, unsigned long tag, struct sdes_crypto *out)
{
	struct sdes_crypto c;

	if (suite == NULL || tag > SDES_MAX_TAG)
		return -1;
	memset(&c, 0, sizeof(c));
	c.tag = tag;
	c.suite = suite;
	c.key_salt_len = suite->key_len + suite->salt_len;
	if (RAND_bytes(c.key_salt, (int)c.key_salt_len) != 1)
		return -1;
	*out = c;
	return 0;
}

int sdes_format(const struct sdes_crypto *c, char *buf, size_t cap)
{
	char key[((SRTP_SUITE_MAX_KEY_SALT_LEN + 2) / 3) * 4 + 1];
	char life[32] = "";
	int n;

	if (c->suite == NULL || c->key_salt_len != c->suite->key_len + c->suite->salt_len)
		return -1;
	EVP_EncodeBlock((unsigned char *)key, c->key_salt, (int)c->key_salt_len);
	if (c->lifetime != 0) {
		unsigned e = 0;

		while (e < 48 && (1ULL << e) < c->lifetime)
			e++;
		if ((1ULL << e) == c->lifetime)
			snprintf(life, sizeof(life), "|2^%u", e);
		else
			snprintf(life, sizeof(life), "|%llu", (unsigned long long)c->lifetime);
	}
	n = snprintf(buf, cap, "%lu %s inline:%s%s%s%s%s", c->tag, c->suite->sdes_name, key, life,
		     c->unencrypted_srtp ? " UNENCRYPTED_SRTP" : "",
		     c->unencrypted_srtcp ? " UNENCRYPTED_SRTCP" : "",
		     c->unauthenticated_srtp ? " UNAUTHENTICATED_SRTP" : "");
	if (n < 0 || (size_t)n >= cap)
		return -1;
	if (c->wsh != 0) {
		int m = snprintf(buf + n, cap - (size_t)n, " WSH=%u", c->wsh);

		if (m < 0 || (size_t)m >= cap - (size_t)n)
			return -1;
		n += m;
	}
	return n;
}
