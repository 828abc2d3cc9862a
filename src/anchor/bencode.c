/*
 * bencode.c - the ng protocol's value tree: an arena per document, the
 * builders and lookups, the bencode reader and writer, the entry points
 * that pick bencode or JSON (json.c), and the "cookie SP body" frame. See
 * bencode.h.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/bencode_internal.h"

#define BDOC_CHUNK_BYTES 16384
#define BDOC_ALIGN 16

struct bdoc_chunk {
	struct bdoc_chunk *next;
	size_t used, cap;
	max_align_t mem[];
};

struct bdoc {
	struct bdoc_chunk *head; /* the chunk being filled; older and oversized ones follow */
};

struct bdoc *bdoc_new(void)
{
	return calloc(1, sizeof(struct bdoc));
}

void bdoc_free(struct bdoc *d)
{
	struct bdoc_chunk *c, *next;

	if (!d)
		return;
	for (c = d->head; c; c = next) {
		next = c->next;
		free(c);
	}
	free(d);
}

void *bdoc_alloc(struct bdoc *d, size_t n)
{
	struct bdoc_chunk *c = d->head;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	n = (n + BDOC_ALIGN - 1) & ~(size_t)(BDOC_ALIGN - 1);
	if (!c || n > c->cap - c->used) {
		size_t cap = n > BDOC_CHUNK_BYTES / 4 ? n : BDOC_CHUNK_BYTES;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->used = 0;
		c->cap = cap;
		if (cap == n && d->head) {
			/* a big string gets a chunk of its own; keep filling head */
			c->next = d->head->next;
			d->head->next = c;
		} else {
			c->next = d->head;
			d->head = c;
		}
	}
	p = (unsigned char *)c->mem + c->used;
	c->used += n;
	return p;
}

/* A NUL-terminated copy of len bytes of s in d. */
static char *bdoc_strdup(struct bdoc *d, const void *s, size_t len)
{
	char *p = len < SIZE_MAX ? bdoc_alloc(d, len + 1) : NULL;

	if (!p)
		return NULL;
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static struct bval *bdoc_node(struct bdoc *d, enum bval_type type)
{
	struct bval *v = bdoc_alloc(d, sizeof(*v));

	if (!v)
		return NULL;
	memset(v, 0, sizeof(*v));
	v->type = type;
	return v;
}

struct bval *bdoc_dict(struct bdoc *d)
{
	return bdoc_node(d, BVAL_DICT);
}

struct bval *bdoc_list(struct bdoc *d)
{
	return bdoc_node(d, BVAL_LIST);
}

struct bval *bdoc_str(struct bdoc *d, const char *s, size_t len)
{
	struct bval *v;
	char *copy;

	if (!s && len)
		return NULL;
	v = bdoc_node(d, BVAL_STR);
	copy = v ? bdoc_strdup(d, s, len) : NULL;
	if (!copy)
		return NULL;
	v->str = copy;
	v->len = len;
	return v;
}

struct bval *bdoc_cstr(struct bdoc *d, const char *s)
{
	return s ? bdoc_str(d, s, strlen(s)) : NULL;
}

struct bval *bdoc_int(struct bdoc *d, int64_t num)
{
	struct bval *v = bdoc_node(d, BVAL_INT);

	if (v)
		v->num = num;
	return v;
}

/*
 * Puts v under key (already in the arena) at the end of dict. A duplicate
 * key keeps its position and takes the new value: the last one wins.
 */
static void bdict_put(struct bval *dict, const char *key, size_t keylen, struct bval *v)
{
	struct bval *m, *prev = NULL;

	v->key = key;
	v->keylen = keylen;
	v->next = NULL;
	for (m = dict->first; m; prev = m, m = m->next) {
		if (m->keylen != keylen || memcmp(m->key, key, keylen) != 0)
			continue;
		v->next = m->next;
		if (prev)
			prev->next = v;
		else
			dict->first = v;
		if (dict->last == m)
			dict->last = v;
		return;
	}
	if (dict->last)
		dict->last->next = v;
	else
		dict->first = v;
	dict->last = v;
	dict->len++;
}

int bval_dict_add(struct bdoc *d, struct bval *dict, const char *key, struct bval *v)
{
	size_t keylen;
	char *copy;

	if (!dict || dict->type != BVAL_DICT || !key || !v)
		return -1;
	keylen = strlen(key);
	copy = bdoc_strdup(d, key, keylen);
	if (!copy)
		return -1;
	bdict_put(dict, copy, keylen, v);
	return 0;
}

int bval_list_add(struct bval *list, struct bval *v)
{
	if (!list || list->type != BVAL_LIST || !v)
		return -1;
	v->next = NULL;
	if (list->last)
		list->last->next = v;
	else
		list->first = v;
	list->last = v;
	list->len++;
	return 0;
}

static struct bval *bdict_add(struct bdoc *d, struct bval *dict, const char *key, struct bval *v)
{
	return bval_dict_add(d, dict, key, v) == 0 ? v : NULL;
}

struct bval *bdict_add_str(struct bdoc *d, struct bval *dict, const char *key, const char *s)
{
	return bdict_add(d, dict, key, bdoc_cstr(d, s));
}

struct bval *bdict_add_int(struct bdoc *d, struct bval *dict, const char *key, int64_t v)
{
	return bdict_add(d, dict, key, bdoc_int(d, v));
}

struct bval *bdict_add_dict(struct bdoc *d, struct bval *dict, const char *key)
{
	return bdict_add(d, dict, key, bdoc_dict(d));
}

struct bval *bdict_add_list(struct bdoc *d, struct bval *dict, const char *key)
{
	return bdict_add(d, dict, key, bdoc_list(d));
}

const struct bval *bval_dict_get(const struct bval *dict, const char *key)
{
	const struct bval *m;
	size_t keylen;

	if (!dict || dict->type != BVAL_DICT || !key)
		return NULL;
	keylen = strlen(key);
	for (m = dict->first; m; m = m->next)
		if (m->keylen == keylen && memcmp(m->key, key, keylen) == 0)
			return m;
	return NULL;
}

const char *bval_dict_str(const struct bval *dict, const char *key)
{
	const struct bval *v = bval_dict_get(dict, key);

	return v && v->type == BVAL_STR ? v->str : NULL;
}

bool bval_str_eq(const struct bval *v, const char *s)
{
	return v && s && v->type == BVAL_STR && v->len == strlen(s) &&
	       memcmp(v->str, s, v->len) == 0;
}

/*
 * Length of the well-formed UTF-8 sequence at s (RFC 3629 §4: no overlong
 * forms, no surrogates, nothing above U+10FFFF), or 0 if there is none.
 */
size_t utf8_seq_len(const uint8_t *s, size_t n)
{
	uint8_t c = s[0], lo = 0x80, hi = 0xBF;
	size_t need, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		need = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		need = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		need = 4;
	else
		return 0;
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xBF)
			return 0;
	return need;
}

/* ---- parsing ---- */


__attribute__((format(printf, 3, 4))) int bparse_fail(struct bparse *p, size_t off,
							     const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!p->err || p->errlen == 0)
		return -1;
	n = snprintf(p->err, p->errlen, "%s: ", p->lang);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	n = (int)strlen(p->err);
	snprintf(p->err + n, p->errlen - (size_t)n, " at offset %zu", off);
	return -1;
}

int bparse_node(struct bparse *p, enum bval_type type, size_t off, struct bval **out)
{
	if (p->nodes >= BDOC_MAX_NODES)
		return bparse_fail(p, off, "more than %d values", BDOC_MAX_NODES);
	*out = bdoc_node(p->d, type);
	if (!*out)
		return bparse_fail(p, off, "out of memory");
	p->nodes++;
	return 0;
}

/* Adds a parsed child to a list or (with key) a dict. */
void bparse_attach(struct bval *parent, const char *key, size_t keylen, struct bval *v)
{
	if (parent->type == BVAL_DICT)
		bdict_put(parent, key, keylen, v);
	else
		bval_list_add(parent, v);
}

bool bparse_is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/*
 * The magnitude of an int64 at p->pos: at least one digit, no leading zero,
 * at most INT64_MAX (one more when negative). Leaves pos after the digits.
 */
int bparse_digits(struct bparse *p, bool neg, const char *what, uint64_t *out)
{
	size_t start = p->pos;
	uint64_t v = 0, lim = (uint64_t)INT64_MAX + (neg ? 1 : 0);

	if (p->pos >= p->len)
		return bparse_fail(p, start, "unexpected end of input in %s", what);
	if (!bparse_is_digit(p->buf[p->pos]))
		return bparse_fail(p, start, "expected a digit in %s", what);
	if (p->buf[p->pos] == '0' && p->pos + 1 < p->len && bparse_is_digit(p->buf[p->pos + 1]))
		return bparse_fail(p, start, "leading zero in %s", what);
	while (p->pos < p->len && bparse_is_digit(p->buf[p->pos])) {
		uint64_t dig = p->buf[p->pos] - '0';

		if (v > (lim - dig) / 10)
			return bparse_fail(p, start, "%s out of range", what);
		v = v * 10 + dig;
		p->pos++;
	}
	*out = v;
	return 0;
}

int64_t bparse_signed(uint64_t v, bool neg)
{
	if (!neg)
		return (int64_t)v;
	return v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
}

/* "<len>:<bytes>" at p->pos, copied into the arena. */
static int benc_string(struct bparse *p, const char **s, size_t *slen)
{
	size_t start = p->pos, n = 0;

	if (p->buf[p->pos] == '-')
		return bparse_fail(p, start, "negative string length");
	if (p->buf[p->pos] == '0' && p->pos + 1 < p->len && bparse_is_digit(p->buf[p->pos + 1]))
		return bparse_fail(p, start, "leading zero in string length");
	for (; p->pos < p->len && bparse_is_digit(p->buf[p->pos]); p->pos++)
		if (n <= BDOC_MAX_INPUT) /* past that it only has to stay too big */
			n = n * 10 + (size_t)(p->buf[p->pos] - '0');
	if (p->pos >= p->len || p->buf[p->pos] != ':')
		return bparse_fail(p, p->pos, "expected ':' after string length");
	p->pos++;
	if (n > p->len - p->pos)
		return bparse_fail(p, start, "string length exceeds input");
	*s = bdoc_strdup(p->d, p->buf + p->pos, n);
	if (!*s)
		return bparse_fail(p, start, "out of memory");
	*slen = n;
	p->pos += n;
	return 0;
}

static int benc_value(struct bparse *p, unsigned int depth, struct bval **out);

/* "l...e" or "d...e" at p->pos. */
static int benc_container(struct bparse *p, unsigned int depth, struct bval **out)
{
	size_t start = p->pos;
	bool dict = p->buf[p->pos] == 'd';
	struct bval *c, *v;

	if (depth >= BDOC_MAX_DEPTH)
		return bparse_fail(p, start, "nesting deeper than %d", BDOC_MAX_DEPTH);
	if (bparse_node(p, dict ? BVAL_DICT : BVAL_LIST, start, &c) < 0)
		return -1;
	p->pos++;
	for (;;) {
		const char *key = NULL;
		size_t keylen = 0;

		if (p->pos >= p->len)
			return bparse_fail(p, start, "unterminated %s",
					   dict ? "dictionary" : "list");
		if (p->buf[p->pos] == 'e')
			break;
		if (dict) {
			if (!bparse_is_digit(p->buf[p->pos]) && p->buf[p->pos] != '-')
				return bparse_fail(p, p->pos, "dictionary key is not a string");
			if (benc_string(p, &key, &keylen) < 0)
				return -1;
			if (p->pos >= p->len || p->buf[p->pos] == 'e')
				return bparse_fail(p, p->pos, "dictionary key without a value");
		}
		if (benc_value(p, depth + 1, &v) < 0)
			return -1;
		bparse_attach(c, key, keylen, v);
	}
	p->pos++;
	*out = c;
	return 0;
}

static int benc_value(struct bparse *p, unsigned int depth, struct bval **out)
{
	size_t start = p->pos;
	uint8_t c;

	if (p->pos >= p->len)
		return bparse_fail(p, start, "unexpected end of input");
	c = p->buf[p->pos];
	if (c == 'i') {
		uint64_t u;
		bool neg;

		p->pos++;
		neg = p->pos < p->len && p->buf[p->pos] == '-';
		if (neg)
			p->pos++;
		if (bparse_digits(p, neg, "integer", &u) < 0)
			return -1;
		if (neg && u == 0)
			return bparse_fail(p, start, "negative zero");
		if (p->pos >= p->len)
			return bparse_fail(p, start, "unterminated integer");
		if (p->buf[p->pos] != 'e')
			return bparse_fail(p, p->pos, "expected 'e' after integer");
		p->pos++;
		if (bparse_node(p, BVAL_INT, start, out) < 0)
			return -1;
		(*out)->num = bparse_signed(u, neg);
		return 0;
	}
	if (c == 'l' || c == 'd')
		return benc_container(p, depth, out);
	if (bparse_is_digit(c) || c == '-') {
		const char *s;
		size_t slen;

		if (bparse_node(p, BVAL_STR, start, out) < 0 || benc_string(p, &s, &slen) < 0)
			return -1;
		(*out)->str = s;
		(*out)->len = slen;
		return 0;
	}
	if (c >= 0x20 && c < 0x7F)
		return bparse_fail(p, start, "unexpected byte '%c'", c);
	return bparse_fail(p, start, "unexpected byte 0x%02x", c);
}

int bdoc_parse(struct bdoc *d, const uint8_t *buf, size_t len, struct bval **root, char *err,
	       size_t errlen)
{
	struct bparse p = {.d = d, .buf = buf, .len = len, .err = err, .errlen = errlen};
	struct bval *v;
	int ret;

	if (err && errlen)
		err[0] = '\0';
	if (len == 0 || len > BDOC_MAX_INPUT) {
		if (err && errlen && len)
			snprintf(err, errlen, "input of %zu bytes exceeds the limit of %d", len,
				 BDOC_MAX_INPUT);
		else if (err && errlen)
			snprintf(err, errlen, "empty input");
		return -1;
	}
	json_skip_ws(&p);
	if (p.pos < len && (buf[p.pos] == '{' || buf[p.pos] == '[')) {
		p.lang = "json";
		ret = json_value(&p, 0, &v);
		json_skip_ws(&p);
	} else {
		p.lang = "bencode";
		p.pos = 0;
		ret = benc_value(&p, 0, &v);
	}
	if (ret < 0)
		return -1;
	if (p.pos != len)
		return bparse_fail(&p, p.pos, "trailing bytes");
	*root = v;
	return 0;
}

/* ---- writing ---- */


void bw_put(struct bwriter *w, const void *s, size_t n)
{
	if (w->full || n > w->cap - w->pos) {
		w->full = true;
		return;
	}
	if (n)
		memcpy(w->out + w->pos, s, n);
	w->pos += n;
}

void bw_putc(struct bwriter *w, char c)
{
	bw_put(w, &c, 1);
}

__attribute__((format(printf, 2, 3))) void bw_printf(struct bwriter *w, const char *fmt, ...)
{
	char tmp[32];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	bw_put(w, tmp, n > 0 ? (size_t)n : 0);
}

static void benc_write_str(struct bwriter *w, const char *s, size_t len)
{
	bw_printf(w, "%zu:", len);
	bw_put(w, s, len);
}

static void benc_write(struct bwriter *w, const struct bval *v)
{
	const struct bval *m;

	switch (v->type) {
	case BVAL_INT:
		bw_printf(w, "i%" PRId64 "e", v->num);
		break;
	case BVAL_STR:
		benc_write_str(w, v->str, v->len);
		break;
	case BVAL_LIST:
	case BVAL_DICT:
		bw_putc(w, v->type == BVAL_LIST ? 'l' : 'd');
		for (m = v->first; m; m = m->next) {
			if (v->type == BVAL_DICT)
				benc_write_str(w, m->key, m->keylen);
			benc_write(w, m);
		}
		bw_putc(w, 'e');
		break;
	default:
		w->full = true;
	}
}

long bval_write(const struct bval *v, enum bformat fmt, uint8_t *out, size_t cap)
{
	struct bwriter w = {.out = out, .cap = out ? cap : 0};

	if (!v)
		return -1;
	if (fmt == BFMT_BENCODE) {
		benc_write(&w, v);
	} else if (fmt == BFMT_JSON || fmt == BFMT_JSON_PRETTY) {
		json_write(&w, v, fmt == BFMT_JSON_PRETTY, 0);
		if (fmt == BFMT_JSON_PRETTY)
			bw_putc(&w, '\n');
	} else {
		return -1;
	}
	return w.full ? -1 : (long)w.pos;
}

int ng_split(const uint8_t *buf, size_t len, const char **cookie, size_t *cookie_len,
	     const uint8_t **body, size_t *body_len)
{
	size_t i;

	for (i = 0; i < len && i <= NG_COOKIE_MAX && buf[i] != ' '; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7E)
			return -1;
	if (i == 0 || i > NG_COOKIE_MAX || i >= len || i + 1 == len)
		return -1;
	*cookie = (const char *)buf;
	*cookie_len = i;
	*body = buf + i + 1;
	*body_len = len - i - 1;
	return 0;
}
