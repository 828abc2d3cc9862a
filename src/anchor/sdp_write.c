/*
 * sdp_write.c - edits on the line list of a parsed SDP, and the writer.
 * Lines are grouped by section (session, then each m= section in order);
 * edits replace, remove (mark) or insert lines and never reorder them.
 */
#include "anchor/sdp_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const sdp_ice_attrs[] = {
    "candidate", "ice-ufrag",	      "ice-pwd",	   "ice-options",
    "ice-lite",	 "end-of-candidates", "remote-candidates", "ice-mismatch",
};

/* Text that may become one line: no CR, LF or NUL, not too long. */
static bool sdp_text_ok(const char *text, size_t len)
{
	if (len > SDP_MAX_LINE_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\r' || text[i] == '\n' || text[i] == '\0')
			return false;
	return true;
}

/* A whole added attribute line: "a=..." */
static bool sdp_new_attr_ok(const char *line)
{
	size_t n = line ? strnlen(line, SDP_MAX_LINE_LEN + 1) : 0;

	return n >= 3 && line[0] == 'a' && line[1] == '=' && sdp_text_ok(line, n);
}

/* family and address text for c=, o=, a=rtcp: an IP of that family or a host name. */
static const char *sdp_addrtype_of(int family, const char *addr_text)
{
	struct sockaddr_storage ss;
	int fam;

	if (family != AF_INET && family != AF_INET6)
		return NULL;
	if (!addr_text || strnlen(addr_text, SDP_MAX_ADDR_LEN + 1) > SDP_MAX_ADDR_LEN)
		return NULL;
	fam = sdp_ip_parse(addr_text, 0, &ss);
	if (fam ? fam != family : !sdp_is_hostname(addr_text))
		return NULL;
	return family == AF_INET ? "IP4" : "IP6";
}

static char *sdp_dup(const char *text, size_t len)
{
	char *o = malloc(len + 1);

	if (o) {
		memcpy(o, text, len);
		o[len] = '\0';
	}
	return o;
}

static int sdp_line_replace(struct sdp_line *ln, const char *text, size_t len)
{
	char *o;

	if (!sdp_text_ok(text, len))
		return -1;
	o = sdp_dup(text, len);
	if (!o)
		return -1;
	free(ln->owned);
	ln->owned = o;
	ln->text = o;
	ln->len = (uint16_t)len;
	return 0;
}

static int sdp_line_insert(struct sdp *s, size_t at, int sect, const char *text, size_t len)
{
	struct sdp_lines *L = s->priv;
	char *o;

	if (!sdp_text_ok(text, len))
		return -1;
	if (L->n == L->cap) {
		size_t cap = L->cap * 2 + 8;
		struct sdp_line *v = realloc(L->v, cap * sizeof(*v));

		if (!v)
			return -1;
		L->v = v;
		L->cap = cap;
	}
	o = sdp_dup(text, len);
	if (!o)
		return -1;
	memmove(&L->v[at + 1], &L->v[at], (L->n - at) * sizeof(*L->v));
	L->v[at] = (struct sdp_line){
	    .text = o,
	    .owned = o,
	    .len = (uint16_t)len,
	    .sect = (int16_t)sect,
	    .crlf = s->crlf,
	};
	L->n++;
	return 0;
}

/* Lines [*first, *end) of section sect; false for a bad media index. */
static bool sdp_sect_range(const struct sdp *s, int sect, size_t *first, size_t *end)
{
	const struct sdp_lines *L = s->priv;
	size_t i = 0;

	if (sect != SDP_SECT_SESSION && (sect < 0 || (size_t)sect >= s->n_media))
		return false;
	while (i < L->n && L->v[i].sect < sect)
		i++;
	*first = i;
	while (i < L->n && L->v[i].sect == sect)
		i++;
	*end = i;
	return true;
}

static bool sdp_line_is(const struct sdp_line *ln, char type)
{
	return !ln->removed && ln->text[0] == type;
}

/* "a=NAME" or "a=NAME:..." (blanks after the name too) */
static bool sdp_line_is_attr(const struct sdp_line *ln, const char *name)
{
	size_t n = strlen(name);
	char next;

	if (!sdp_line_is(ln, 'a') || ln->len < n + 2 || memcmp(ln->text + 2, name, n) != 0)
		return false;
	if (ln->len == n + 2)
		return true;
	next = ln->text[n + 2];
	return next == ':' || next == ' ' || next == '\t';
}

/*
 * Put text in place of the first line of section sect that is type (or,
 * with attr, that attribute) and remove the others; insert it at *at when
 * there is none. Returns 0 or -1.
 */
static int sdp_sect_put(struct sdp *s, int sect, char type, const char *attr, const char *text,
			size_t len, size_t at)
{
	struct sdp_lines *L = s->priv;
	size_t first, end, found = SIZE_MAX;

	if (!sdp_sect_range(s, sect, &first, &end))
		return -1;
	for (size_t i = first; i < end; i++) {
		struct sdp_line *ln = &L->v[i];

		if (attr ? !sdp_line_is_attr(ln, attr) : !sdp_line_is(ln, type))
			continue;
		if (found == SIZE_MAX) {
			if (sdp_line_replace(ln, text, len) < 0)
				return -1;
			found = i;
		} else {
			ln->removed = true;
		}
	}
	if (found != SIZE_MAX)
		return 0;
	return sdp_line_insert(s, at, sect, text, len);
}

int sdp_set_origin_addr(struct sdp *s, int family, const char *addr_text)
{
	struct sdp_lines *L = s->priv;
	const char *type = sdp_addrtype_of(family, addr_text);
	char buf[SDP_MAX_LINE_LEN + 1];
	struct sdp_tok t;

	if (!type)
		return -1;
	for (size_t i = 0; i < L->n && L->v[i].sect == SDP_SECT_SESSION; i++) {
		struct sdp_line *ln = &L->v[i];
		const char *p = ln->text + 2, *end = ln->text + ln->len;
		int r;

		if (!sdp_line_is(ln, 'o'))
			continue;
		/* keep "o=user id version nettype " as it is, up to the addrtype */
		for (int k = 0; k < 5; k++)
			if (!sdp_next_tok(&p, end, &t))
				return -1;
		r = snprintf(buf, sizeof(buf), "%.*s%s %s", (int)(t.p - ln->text), ln->text, type,
			     addr_text);
		if (r < 0 || (size_t)r >= sizeof(buf))
			return -1;
		return sdp_line_replace(ln, buf, (size_t)r);
	}
	return -1;
}

static int sdp_conn_line(char *buf, size_t cap, int family, const char *addr_text)
{
	const char *type = sdp_addrtype_of(family, addr_text);
	int r;

	if (!type)
		return -1;
	r = snprintf(buf, cap, "c=IN %s %s", type, addr_text);
	return r < 0 || (size_t)r >= cap ? -1 : r;
}

int sdp_set_session_conn(struct sdp *s, int family, const char *addr_text)
{
	struct sdp_lines *L = s->priv;
	char buf[SDP_MAX_ADDR_LEN + 32];
	int r = sdp_conn_line(buf, sizeof(buf), family, addr_text);

	if (r < 0)
		return -1;
	for (size_t i = 0; i < L->n && L->v[i].sect == SDP_SECT_SESSION; i++)
		if (sdp_line_is(&L->v[i], 'c'))
			return sdp_sect_put(s, SDP_SECT_SESSION, 'c', NULL, buf, (size_t)r, 0);
	return 0;
}

int sdp_media_set_port(struct sdp *s, size_t i, uint16_t port)
{
	char buf[SDP_MAX_LINE_LEN + 1];
	struct sdp_line *ln;
	size_t first, end, digits = 0;
	const char *p, *lend;
	struct sdp_tok media, pt;
	int r;

	if (i >= s->n_media || !sdp_sect_range(s, (int)i, &first, &end) || first == end)
		return -1;
	ln = &s->priv->v[first];
	p = ln->text + 2;
	lend = ln->text + ln->len;
	if (!sdp_next_tok(&p, lend, &media) || !sdp_next_tok(&p, lend, &pt))
		return -1;
	while (digits < pt.n && pt.p[digits] >= '0' && pt.p[digits] <= '9')
		digits++;
	/* "m=audio " + new port + "/count proto fmt..." as it was */
	r = snprintf(buf, sizeof(buf), "%.*s%u%.*s", (int)(pt.p - ln->text), ln->text, port,
		     (int)(lend - pt.p - digits), pt.p + digits);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return -1;
	return sdp_line_replace(ln, buf, (size_t)r);
}

int sdp_media_set_proto(struct sdp *s, size_t i, const char *proto)
{
	char buf[SDP_MAX_LINE_LEN + 1];
	struct sdp_line *ln;
	size_t first, end, n = strlen(proto);
	const char *p, *lend;
	struct sdp_tok media, port, old;
	int r;

	if (n == 0 || n > 31 || strspn(proto, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					      "0123456789/.-_") != n)
		return -1;
	if (i >= s->n_media || !sdp_sect_range(s, (int)i, &first, &end) || first == end)
		return -1;
	ln = &s->priv->v[first];
	p = ln->text + 2;
	lend = ln->text + ln->len;
	if (!sdp_next_tok(&p, lend, &media) || !sdp_next_tok(&p, lend, &port) ||
	    !sdp_next_tok(&p, lend, &old))
		return -1;
	r = snprintf(buf, sizeof(buf), "%.*s%s%.*s", (int)(old.p - ln->text), ln->text, proto,
		     (int)(lend - old.p - old.n), old.p + old.n);
	if (r < 0 || (size_t)r >= sizeof(buf))
		return -1;
	return sdp_line_replace(ln, buf, (size_t)r);
}

int sdp_media_set_conn(struct sdp *s, size_t i, int family, const char *addr_text)
{
	char buf[SDP_MAX_ADDR_LEN + 32];
	size_t first, end, at;
	int r = sdp_conn_line(buf, sizeof(buf), family, addr_text);

	if (r < 0 || i >= s->n_media || !sdp_sect_range(s, (int)i, &first, &end))
		return -1;
	/* RFC 8866 §5: m=, then i=, then c= */
	at = first + 1;
	while (at < end && s->priv->v[at].text[0] == 'i')
		at++;
	return sdp_sect_put(s, (int)i, 'c', NULL, buf, (size_t)r, at);
}

int sdp_media_set_rtcp(struct sdp *s, size_t i, uint16_t port, int family, const char *addr_text)
{
	char buf[SDP_MAX_ADDR_LEN + 48];
	size_t first, end, at;
	int r;

	if (i >= s->n_media || !sdp_sect_range(s, (int)i, &first, &end))
		return -1;
	if (addr_text) {
		const char *type = sdp_addrtype_of(family, addr_text);

		if (!type)
			return -1;
		r = snprintf(buf, sizeof(buf), "a=rtcp:%u IN %s %s", port, type, addr_text);
	} else {
		r = snprintf(buf, sizeof(buf), "a=rtcp:%u", port);
	}
	if (r < 0 || (size_t)r >= sizeof(buf))
		return -1;
	/* a new a=rtcp goes before the section's first attribute */
	at = first + 1;
	while (at < end && s->priv->v[at].text[0] != 'a')
		at++;
	return sdp_sect_put(s, (int)i, 'a', "rtcp", buf, (size_t)r, at);
}

int sdp_media_remove_rtcp(struct sdp *s, size_t i)
{
	return sdp_media_remove_attr(s, i, "rtcp");
}

static int sdp_sect_remove_attrs(struct sdp *s, int sect, const char *const *names, size_t n)
{
	struct sdp_lines *L = s->priv;
	size_t first, end;

	if (!sdp_sect_range(s, sect, &first, &end))
		return -1;
	for (size_t k = 0; k < n; k++) {
		size_t len = names[k] ? strlen(names[k]) : 0;

		if (len == 0 || strpbrk(names[k], ": \t\r\n"))
			return -1;
	}
	for (size_t i = first; i < end; i++)
		for (size_t k = 0; k < n; k++)
			if (sdp_line_is_attr(&L->v[i], names[k]))
				L->v[i].removed = true;
	return 0;
}

int sdp_media_remove_attr(struct sdp *s, size_t i, const char *name)
{
	if (i >= s->n_media)
		return -1;
	return sdp_sect_remove_attrs(s, (int)i, &name, 1);
}

int sdp_session_remove_attr(struct sdp *s, const char *name)
{
	return sdp_sect_remove_attrs(s, SDP_SECT_SESSION, &name, 1);
}

int sdp_media_remove_ice(struct sdp *s, size_t i)
{
	if (i >= s->n_media)
		return -1;
	return sdp_sect_remove_attrs(s, (int)i, sdp_ice_attrs,
				     sizeof(sdp_ice_attrs) / sizeof(sdp_ice_attrs[0]));
}

int sdp_session_remove_ice(struct sdp *s)
{
	return sdp_sect_remove_attrs(s, SDP_SECT_SESSION, sdp_ice_attrs,
				     sizeof(sdp_ice_attrs) / sizeof(sdp_ice_attrs[0]));
}

static int sdp_sect_append(struct sdp *s, int sect, const char *line)
{
	size_t first, end;

	if (!sdp_new_attr_ok(line) || !sdp_sect_range(s, sect, &first, &end))
		return -1;
	return sdp_line_insert(s, end, sect, line, strlen(line));
}

int sdp_media_add_attr(struct sdp *s, size_t i, const char *line)
{
	if (i >= s->n_media)
		return -1;
	return sdp_sect_append(s, (int)i, line);
}

int sdp_session_add_attr(struct sdp *s, const char *line)
{
	return sdp_sect_append(s, SDP_SECT_SESSION, line);
}

/* Index of the last line that is written, or SIZE_MAX. */
static size_t sdp_last_line(const struct sdp_lines *L)
{
	for (size_t i = L->n; i > 0; i--)
		if (!L->v[i - 1].removed)
			return i - 1;
	return SIZE_MAX;
}

size_t sdp_write_len(const struct sdp *s)
{
	const struct sdp_lines *L = s->priv;
	size_t last = sdp_last_line(L), n = L->tail_len;

	for (size_t i = 0; i < L->n; i++) {
		if (L->v[i].removed)
			continue;
		n += L->v[i].len;
		if (i != last || L->final_eol)
			n += L->v[i].crlf ? 2 : 1;
	}
	return n;
}

int sdp_write(const struct sdp *s, char *out, size_t cap)
{
	const struct sdp_lines *L = s->priv;
	size_t n = sdp_write_len(s), last = sdp_last_line(L), pos = 0;

	if (!out || n >= cap || n > INT_MAX)
		return -1;
	for (size_t i = 0; i < L->n; i++) {
		const struct sdp_line *ln = &L->v[i];

		if (ln->removed)
			continue;
		memcpy(out + pos, ln->text, ln->len);
		pos += ln->len;
		if (i == last && !L->final_eol)
			continue;
		if (ln->crlf)
			out[pos++] = '\r';
		out[pos++] = '\n';
	}
	if (L->tail_len)
		memcpy(out + pos, L->tail, L->tail_len);
	pos += L->tail_len;
	out[pos] = '\0';
	return (int)pos;
}
