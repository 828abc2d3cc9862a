/*
 * json.c - the ng protocol's JSON form (RFC 8259): the reader behind
 * bdoc_parse() when a body starts with '{' or '[', and the writer behind
 * bval_write(BFMT_JSON, BFMT_JSON_PRETTY), on bencode.c's arena and values.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "anchor/bencode_internal.h"

void json_skip_ws(struct bparse *p)
{
	while (p->pos < p->len && (p->buf[p->pos] == ' ' || p->buf[p->pos] == '\t' ||
				   p->buf[p->pos] == '\n' || p->buf[p->pos] == '\r'))
		p->pos++;
}

static int json_hex4(const uint8_t *s, uint32_t *out)
{
	uint32_t v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		uint8_t c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static size_t utf8_put(char *o, uint32_t cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* The \uXXXX escape (or surrogate pair) at p->pos, as a code point. */
static int json_unicode_escape(struct bparse *p, size_t end, uint32_t *cp)
{
	size_t at = p->pos;
	uint32_t lo;

	if (end - p->pos < 6 || json_hex4(p->buf + p->pos + 2, cp) < 0)
		return bparse_fail(p, at, "bad \\u escape in string");
	p->pos += 6;
	if (*cp >= 0xDC00 && *cp <= 0xDFFF)
		return bparse_fail(p, at, "unpaired surrogate in \\u escape");
	if (*cp < 0xD800 || *cp > 0xDBFF)
		return 0;
	if (end - p->pos < 6 || p->buf[p->pos] != '\\' || p->buf[p->pos + 1] != 'u' ||
	    json_hex4(p->buf + p->pos + 2, &lo) < 0 || lo < 0xDC00 || lo > 0xDFFF)
		return bparse_fail(p, at, "unpaired surrogate in \\u escape");
	p->pos += 6;
	*cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
	return 0;
}

/* The string at p->pos (its opening quote), unescaped into the arena. */
static int json_string(struct bparse *p, const char **s, size_t *slen)
{
	size_t start = p->pos, end, n = 0;
	char *o;

	for (end = start + 1; end < p->len && p->buf[end] != '"'; end++)
		if (p->buf[end] == '\\')
			end++;
	if (end >= p->len)
		return bparse_fail(p, start, "unterminated string");
	/* escapes only shrink: the raw span bounds the result */
	o = bdoc_alloc(p->d, end - start);
	if (!o)
		return bparse_fail(p, start, "out of memory");
	p->pos = start + 1;
	while (p->pos < end) {
		uint8_t c = p->buf[p->pos];
		uint32_t cp;
		size_t k;

		if (c < 0x20)
			return bparse_fail(p, p->pos, "control byte 0x%02x in string", c);
		if (c >= 0x80) {
			k = utf8_seq_len(p->buf + p->pos, end - p->pos);
			if (!k)
				return bparse_fail(p, p->pos, "invalid UTF-8 in string");
			memcpy(o + n, p->buf + p->pos, k);
			n += k;
			p->pos += k;
			continue;
		}
		if (c != '\\') {
			o[n++] = (char)c;
			p->pos++;
			continue;
		}
		c = p->buf[p->pos + 1];
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		case 'u':
			if (json_unicode_escape(p, end, &cp) < 0)
				return -1;
			n += utf8_put(o + n, cp);
			continue;
		default:
			return bparse_fail(p, p->pos, "bad escape in string");
		}
		o[n++] = (char)c;
		p->pos += 2;
	}
	o[n] = '\0';
	p->pos = end + 1;
	*s = o;
	*slen = n;
	return 0;
}

static int json_number(struct bparse *p, struct bval **out)
{
	size_t start = p->pos;
	bool neg = p->buf[p->pos] == '-';
	uint64_t u;

	if (neg)
		p->pos++;
	if (bparse_digits(p, neg, "number", &u) < 0)
		return -1;
	if (p->pos < p->len &&
	    (p->buf[p->pos] == '.' || p->buf[p->pos] == 'e' || p->buf[p->pos] == 'E'))
		return bparse_fail(p, start, "only integers are supported");
	if (bparse_node(p, BVAL_INT, start, out) < 0)
		return -1;
	(*out)->num = bparse_signed(u, neg); /* "-0" is 0 (RFC 8259 allows it) */
	return 0;
}


/* "{...}" or "[...]" at p->pos. */
static int json_container(struct bparse *p, unsigned int depth, struct bval **out)
{
	size_t start = p->pos;
	bool obj = p->buf[p->pos] == '{';
	const char *what = obj ? "object" : "array";
	uint8_t close = obj ? '}' : ']';
	struct bval *c, *v;

	if (depth >= BDOC_MAX_DEPTH)
		return bparse_fail(p, start, "nesting deeper than %d", BDOC_MAX_DEPTH);
	if (bparse_node(p, obj ? BVAL_DICT : BVAL_LIST, start, &c) < 0)
		return -1;
	p->pos++;
	json_skip_ws(p);
	if (p->pos < p->len && p->buf[p->pos] == close) {
		p->pos++;
		*out = c;
		return 0;
	}
	for (;;) {
		const char *key = NULL;
		size_t keylen = 0;

		json_skip_ws(p);
		if (p->pos >= p->len)
			return bparse_fail(p, start, "unterminated %s", what);
		if (obj) {
			if (p->buf[p->pos] != '"')
				return bparse_fail(p, p->pos, "expected a string key");
			if (json_string(p, &key, &keylen) < 0)
				return -1;
			json_skip_ws(p);
			if (p->pos >= p->len || p->buf[p->pos] != ':')
				return bparse_fail(p, p->pos, "expected ':' after key");
			p->pos++;
		}
		if (json_value(p, depth + 1, &v) < 0)
			return -1;
		bparse_attach(c, key, keylen, v);
		json_skip_ws(p);
		if (p->pos >= p->len)
			return bparse_fail(p, start, "unterminated %s", what);
		if (p->buf[p->pos] == close)
			break;
		if (p->buf[p->pos] != ',')
			return bparse_fail(p, p->pos, "expected ',' or '%c' in %s", close, what);
		p->pos++;
	}
	p->pos++;
	*out = c;
	return 0;
}

/* true and false are the integers 1 and 0, null the empty string. */
static int json_literal(struct bparse *p, struct bval **out)
{
	static const char *const word[] = {"false", "true", "null"};
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(word[i]);
		if (p->len - p->pos >= n && memcmp(p->buf + p->pos, word[i], n) == 0)
			break;
	}
	if (i == 3)
		return bparse_fail(p, p->pos, "invalid literal");
	if (bparse_node(p, i == 2 ? BVAL_STR : BVAL_INT, p->pos, out) < 0)
		return -1;
	if (i == 2)
		(*out)->str = "";
	else
		(*out)->num = (int64_t)i;
	p->pos += n;
	return 0;
}

int json_value(struct bparse *p, unsigned int depth, struct bval **out)
{
	uint8_t c;

	json_skip_ws(p);
	if (p->pos >= p->len)
		return bparse_fail(p, p->pos, "unexpected end of input");
	c = p->buf[p->pos];
	if (c == '{' || c == '[')
		return json_container(p, depth, out);
	if (c == '"') {
		size_t start = p->pos;
		const char *s;
		size_t slen;

		if (bparse_node(p, BVAL_STR, start, out) < 0 || json_string(p, &s, &slen) < 0)
			return -1;
		(*out)->str = s;
		(*out)->len = slen;
		return 0;
	}
	if (c == '-' || bparse_is_digit(c))
		return json_number(p, out);
	if (c == 't' || c == 'f' || c == 'n')
		return json_literal(p, out);
	if (c >= 0x20 && c < 0x7F)
		return bparse_fail(p, p->pos, "unexpected byte '%c'", c);
	return bparse_fail(p, p->pos, "unexpected byte 0x%02x", c);
}

/* ---- writing ---- */

static void json_write_str(struct bwriter *w, const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *)str;
	size_t i = 0, run;

	bw_putc(w, '"');
	while (i < len) {
		uint8_t c = s[i];

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			for (run = 1; i + run < len && s[i + run] >= 0x20 && s[i + run] < 0x80 &&
				      s[i + run] != '"' && s[i + run] != '\\';
			     run++)
				;
			bw_put(w, s + i, run);
			i += run;
			continue;
		}
		if (c >= 0x80) {
			run = utf8_seq_len(s + i, len - i);
			if (run) {
				bw_put(w, s + i, run);
				i += run;
				continue;
			}
		}
		i++;
		switch (c) {
		case '"':
			bw_put(w, "\\\"", 2);
			break;
		case '\\':
			bw_put(w, "\\\\", 2);
			break;
		case '\n':
			bw_put(w, "\\n", 2);
			break;
		case '\r':
			bw_put(w, "\\r", 2);
			break;
		case '\t':
			bw_put(w, "\\t", 2);
			break;
		case '\b':
			bw_put(w, "\\b", 2);
			break;
		case '\f':
			bw_put(w, "\\f", 2);
			break;
		default: /* other control bytes, and bytes that are not UTF-8 */
			bw_printf(w, "\\u%04x", c);
		}
	}
	bw_putc(w, '"');
}

static void json_indent(struct bwriter *w, bool pretty, unsigned int level)
{
	unsigned int i;

	if (!pretty)
		return;
	bw_putc(w, '\n');
	for (i = 0; i < level; i++)
		bw_put(w, "  ", 2);
}

void json_write(struct bwriter *w, const struct bval *v, bool pretty, unsigned int level)
{
	const struct bval *m;
	bool dict = v->type == BVAL_DICT;

	switch (v->type) {
	case BVAL_INT:
		bw_printf(w, "%" PRId64, v->num);
		break;
	case BVAL_STR:
		json_write_str(w, v->str, v->len);
		break;
	case BVAL_LIST:
	case BVAL_DICT:
		bw_putc(w, dict ? '{' : '[');
		for (m = v->first; m; m = m->next) {
			json_indent(w, pretty, level + 1);
			if (dict) {
				json_write_str(w, m->key, m->keylen);
				bw_put(w, ": ", pretty ? 2 : 1);
			}
			json_write(w, m, pretty, level + 1);
			if (m->next)
				bw_putc(w, ',');
		}
		if (v->first)
			json_indent(w, pretty, level);
		bw_putc(w, dict ? '}' : ']');
		break;
	default:
		w->full = true;
	}
}
