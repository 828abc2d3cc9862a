/*
 * fuzz_bencode.c - libFuzzer harness for the ng protocol codec. The input
 * is parsed whole, and, when it splits as an ng datagram (cookie SP body),
 * its body too. Whatever parses is written in bencode, JSON and pretty
 * JSON; a write one byte short must fail, and each output must parse back
 * to the same tree (for JSON: when every string was UTF-8; else the tree
 * read back must be a fixed point of a second JSON round).
 * fuzz-sources: src/anchor/bencode.c src/anchor/json.c
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/bencode.h"
#include "tests/fuzz/fuzz.h"

static bool same_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static bool tree_equal(const struct bval *a, const struct bval *b)
{
	const struct bval *x, *y;

	if (a->type != b->type)
		return false;
	switch (a->type) {
	case BVAL_INT:
		return a->num == b->num;
	case BVAL_STR:
		CHECK(a->str[a->len] == '\0' && b->str[b->len] == '\0');
		return same_bytes(a->str, a->len, b->str, b->len);
	default:
		if (a->len != b->len)
			return false;
		for (x = a->first, y = b->first; x && y; x = x->next, y = y->next) {
			if (a->type == BVAL_DICT &&
			    !same_bytes(x->key, x->keylen, y->key, y->keylen))
				return false;
			if (!tree_equal(x, y))
				return false;
		}
		return !x && !y;
	}
}

/* Strict UTF-8 check of every string and key (what JSON keeps as is). */
static bool utf8_ok(const char *s, size_t len)
{
	const uint8_t *p = (const uint8_t *)s;
	size_t i = 0, n, k;

	while (i < len) {
		uint8_t c = p[i], lo, hi;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 2;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 3;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 4;
		else
			return false;
		lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
		if (len - i < n || p[i + 1] < lo || p[i + 1] > hi)
			return false;
		for (k = 2; k < n; k++)
			if (p[i + k] < 0x80 || p[i + k] > 0xBF)
				return false;
		i += n;
	}
	return true;
}

static bool tree_utf8(const struct bval *v)
{
	const struct bval *m;

	if (v->type == BVAL_STR)
		return utf8_ok(v->str, v->len);
	for (m = v->first; m; m = m->next)
		if ((m->key && !utf8_ok(m->key, m->keylen)) || !tree_utf8(m))
			return false;
	return true;
}

/* Writes v in fmt into out; checks that one byte less does not fit. */
static long write_checked(const struct bval *v, enum bformat fmt, uint8_t *out, size_t cap)
{
	long n = bval_write(v, fmt, out, cap);

	CHECK(n > 0);
	CHECK(bval_write(v, fmt, out, (size_t)n - 1) == -1);
	return n;
}

/* Parses what was written: must succeed. NULL when it is too big to. */
static struct bval *reparse(struct bdoc *d, const uint8_t *buf, long n)
{
	struct bval *v = NULL;
	char err[128];

	if (n > BDOC_MAX_INPUT)
		return NULL;
	CHECK(bdoc_parse(d, buf, (size_t)n, &v, err, sizeof(err)) == 0);
	return v;
}

static void round_trips(const struct bval *v, uint8_t *out, size_t cap)
{
	struct bdoc *d = bdoc_new();
	struct bval *v2, *v3;
	enum bformat fmt;
	long n;

	CHECK(d);
	n = write_checked(v, BFMT_BENCODE, out, cap);
	v2 = reparse(d, out, n);
	CHECK(!v2 || tree_equal(v, v2));

	/* JSON text is only taken as JSON when it is an object or array */
	for (fmt = BFMT_JSON; v->type >= BVAL_LIST && fmt <= BFMT_JSON_PRETTY; fmt++) {
		n = write_checked(v, fmt, out, cap);
		v2 = reparse(d, out, n);
		if (!v2)
			continue;
		CHECK(!tree_utf8(v) || tree_equal(v, v2));
		n = write_checked(v2, fmt, out, cap);
		v3 = reparse(d, out, n);
		CHECK(!v3 || tree_equal(v2, v3));
	}
	bdoc_free(d);
}

static void one_value(const uint8_t *buf, size_t len, uint8_t *out, size_t cap)
{
	struct bdoc *d = bdoc_new();
	struct bval *v = NULL;
	char err[128];

	CHECK(d);
	if (bdoc_parse(d, buf, len, &v, err, sizeof(err)) == 0)
		round_trips(v, out, cap);
	else
		CHECK(err[0] != '\0' && !v);
	bdoc_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* a byte of input is at most 6 of JSON (\u00XX); pretty adds indents */
	size_t cap = 64 * size + 1024;
	uint8_t *out = malloc(cap);
	const uint8_t *body;
	const char *cookie;
	size_t clen, blen;

	CHECK(out);
	one_value(data, size, out, cap);
	if (ng_split(data, size, &cookie, &clen, &body, &blen) == 0) {
		CHECK(clen >= 1 && clen <= NG_COOKIE_MAX && cookie[clen] == ' ');
		CHECK(body == data + clen + 1 && blen == size - clen - 1 && blen > 0);
		one_value(body, blen, out, cap);
	}
	free(out);
	return 0;
}
