/*
 * sdp.c - SDP parsing: line splitting, v= o= c= m= and the a= attributes
 * the anchor owns, then the effective per-media values. Candidates and
 * address checks are in sdp_cand.c, edits and output in sdp_write.c.
 */
#include "anchor/sdp_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Per-section facts that only the parser needs (index 0: session). */
struct sdp_seen {
	bool dir, ufrag, pwd, rtcp, setup;
};

int sdp_perr(struct sdp_pctx *c, const char *fmt, ...)
{
	va_list ap;
	size_t off = 0;
	int r;

	if (!c->err || c->errlen == 0)
		return -1;
	if (c->line_no) {
		r = snprintf(c->err, c->errlen, "line %zu: ", c->line_no);
		if (r < 0)
			r = 0;
		off = (size_t)r < c->errlen ? (size_t)r : c->errlen - 1;
	}
	va_start(ap, fmt);
	vsnprintf(c->err + off, c->errlen - off, fmt, ap);
	va_end(ap);
	return -1;
}

const char *sdp_pstr(struct sdp_pctx *c, const char *p, size_t n)
{
	struct sdp_lines *L = c->s->priv;
	char *d;

	if (n + 1 > L->arena_cap - L->arena_used) {
		L->arena_full = true;
		return "";
	}
	d = L->arena + L->arena_used;
	memcpy(d, p, n);
	d[n] = '\0';
	L->arena_used += n + 1;
	return d;
}

bool sdp_next_tok(const char **p, const char *end, struct sdp_tok *t)
{
	const char *q = *p;

	while (q < end && *q == ' ')
		q++;
	if (q == end) {
		*p = q;
		return false;
	}
	t->p = q;
	while (q < end && *q != ' ')
		q++;
	t->n = (size_t)(q - t->p);
	*p = q;
	return true;
}

bool sdp_tok_is(const struct sdp_tok *t, const char *s)
{
	return t->n == strlen(s) && memcmp(t->p, s, t->n) == 0;
}

int sdp_tok_uint(const struct sdp_tok *t, unsigned max_digits, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (t->n == 0 || t->n > max_digits)
		return -1;
	for (size_t i = 0; i < t->n; i++) {
		if (t->p[i] < '0' || t->p[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(t->p[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* True if the rest of the input is only line endings (empty lines). */
static bool sdp_only_endings(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '\n')
			continue;
		if (p[i] == '\r' && i + 1 < n && p[i + 1] == '\n')
			continue;
		return false;
	}
	return true;
}

/* Split the input copy into lines: NUL, bare CR, long and empty lines are errors. */
static int sdp_split_lines(struct sdp_pctx *c, size_t len)
{
	struct sdp_lines *L = c->s->priv;
	const char *buf = L->copy;
	size_t pos = 0, start, end;
	bool crlf, eol;

	while (pos < len) {
		start = pos;
		crlf = false;
		c->line_no = L->n + 1;
		while (pos < len && buf[pos] != '\n') {
			if (buf[pos] == '\0')
				return sdp_perr(c, "NUL byte");
			if (buf[pos] == '\r') {
				if (pos + 1 < len && buf[pos + 1] == '\n') {
					crlf = true;
					break;
				}
				return sdp_perr(c, "CR without LF (bare carriage return)");
			}
			pos++;
		}
		end = pos;
		eol = pos < len;
		if (eol)
			pos += crlf ? 2 : 1;
		if (end == start) {
			if (L->n > 0 && sdp_only_endings(buf + start, len - start)) {
				L->tail = buf + start;
				L->tail_len = len - start;
				break;
			}
			return sdp_perr(c, "empty line");
		}
		if (end - start > SDP_MAX_LINE_LEN)
			return sdp_perr(c, "longer than %d bytes", SDP_MAX_LINE_LEN);
		if (L->n == L->cap)
			return sdp_perr(c, "internal: line table full");
		L->v[L->n] = (struct sdp_line){
		    .text = buf + start,
		    .len = (uint16_t)(end - start),
		    .sect = SDP_SECT_SESSION,
		    .crlf = crlf,
		};
		L->n++;
		L->final_eol = eol;
	}
	c->s->crlf = L->n > 0 && L->v[0].crlf;
	if (L->n > 0 && !L->final_eol)
		L->v[L->n - 1].crlf = c->s->crlf;
	return 0;
}

/*
 * "<nettype> <addrtype> <address>" of o=, c= and a=rtcp. With suffix, the
 * address may carry the multicast "/ttl[/count]" (IP4) or "/count" (IP6).
 */
static int sdp_parse_addr(struct sdp_pctx *c, const char *what, const struct sdp_tok *net,
			  const struct sdp_tok *type, const struct sdp_tok *addr, bool suffix,
			  struct sdp_conn *out)
{
	struct sdp_tok a = *addr, ttl = {0}, cnt = {0};
	const char *slash;
	uint64_t v;
	int fam;

	memset(out, 0, sizeof(*out));
	if (!sdp_tok_is(net, "IN"))
		return sdp_perr(c, "%s network type must be IN", what);
	if (sdp_tok_is(type, "IP4"))
		out->family = AF_INET;
	else if (sdp_tok_is(type, "IP6"))
		out->family = AF_INET6;
	else
		return sdp_perr(c, "%s address type must be IP4 or IP6", what);

	slash = suffix ? memchr(a.p, '/', a.n) : NULL;
	if (slash) {
		const char *rest = slash + 1, *rend = addr->p + addr->n;
		const char *s2 = memchr(rest, '/', (size_t)(rend - rest));

		a.n = (size_t)(slash - a.p);
		if (out->family == AF_INET) {
			ttl = (struct sdp_tok){rest, (size_t)((s2 ? s2 : rend) - rest)};
			if (s2)
				cnt = (struct sdp_tok){s2 + 1, (size_t)(rend - s2 - 1)};
		} else {
			if (s2)
				return sdp_perr(c, "%s IP6 address takes only '/count'", what);
			cnt = (struct sdp_tok){rest, (size_t)(rend - rest)};
		}
		if (ttl.p) {
			if (sdp_tok_uint(&ttl, 3, 255, &v) < 0)
				return sdp_perr(c, "%s '/ttl' must be 0-255", what);
			out->ttl = (unsigned)v;
		}
		if (cnt.p) {
			if (sdp_tok_uint(&cnt, 5, 65535, &v) < 0 || v == 0)
				return sdp_perr(c, "%s '/count' must be 1-65535", what);
			out->count = (unsigned)v;
		}
	}
	if (a.n == 0 || a.n > SDP_MAX_ADDR_LEN)
		return sdp_perr(c, "%s address must be 1-%d bytes", what, SDP_MAX_ADDR_LEN);
	out->addr = sdp_pstr(c, a.p, a.n);
	fam = sdp_ip_parse(out->addr, 0, &out->sa);
	if (fam == AF_INET6 && out->family == AF_INET)
		return sdp_perr(c, "%s address type IP4 with an IPv6 address", what);
	if (fam == AF_INET && out->family == AF_INET6)
		return sdp_perr(c, "%s address type IP6 with an IPv4 address", what);
	if (!fam && !sdp_is_hostname(out->addr))
		return sdp_perr(c, "%s address is neither an IP address nor a host name", what);
	out->is_ip = fam != 0;
	return 0;
}

/* o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address> */
static int sdp_parse_origin(struct sdp_pctx *c, const char *p, const char *end)
{
	struct sdp_tok t[6];
	size_t n = 0;
	struct sdp_tok tok;

	while (sdp_next_tok(&p, end, &tok)) {
		if (n == 6)
			goto bad;
		t[n++] = tok;
	}
	if (n != 6)
		goto bad;
	if (sdp_parse_addr(c, "o=", &t[3], &t[4], &t[5], false, &c->s->origin) < 0)
		return -1;
	c->s->has_origin = true;
	return 0;
bad:
	return sdp_perr(c,
			"o= line needs 'username sess-id sess-version nettype addrtype address'");
}

/* c=<nettype> <addrtype> <address>[/ttl][/count] */
static int sdp_parse_conn(struct sdp_pctx *c, int sect, const char *p, const char *end)
{
	struct sdp_tok t[3], tok;
	struct sdp_conn conn;
	size_t n = 0;

	while (sdp_next_tok(&p, end, &tok)) {
		if (n == 3)
			return sdp_perr(c, "c= line needs 'nettype addrtype address'");
		t[n++] = tok;
	}
	if (n != 3)
		return sdp_perr(c, "c= line needs 'nettype addrtype address'");
	if (sdp_parse_addr(c, "c=", &t[0], &t[1], &t[2], true, &conn) < 0)
		return -1;
	if (sect == SDP_SECT_SESSION) {
		if (c->s->has_conn)
			return sdp_perr(c, "second session-level c= line");
		c->s->conn = conn;
		c->s->has_conn = true;
	} else if (!c->s->media[sect].conn_media_level) {
		/* RFC 8866 §5.7: more c= lines are multicast layers; the first counts */
		c->s->media[sect].conn = conn;
		c->s->media[sect].conn_media_level = true;
		c->s->media[sect].has_conn = true;
	}
	return 0;
}

/* m=<media> <port>[/<count>] <proto> <fmt> ... */
static int sdp_parse_mline(struct sdp_pctx *c, const char *p, const char *end)
{
	struct sdp *s = c->s;
	struct sdp_tok type, port, proto, fmt, pnum, pcnt = {0};
	struct sdp_media *m;
	const char *slash;
	uint64_t v;

	if (!sdp_next_tok(&p, end, &type) || !sdp_next_tok(&p, end, &port) ||
	    !sdp_next_tok(&p, end, &proto) || !sdp_next_tok(&p, end, &fmt))
		return sdp_perr(c, "m= line needs 'media port proto fmt...'");
	if (s->n_media == SDP_MAX_MEDIA)
		return sdp_perr(c, "more than %d m= sections", SDP_MAX_MEDIA);
	if (s->n_media == s->priv->media_cap)
		return sdp_perr(c, "internal: media table full");
	m = &s->media[s->n_media];
	memset(m, 0, sizeof(*m));

	pnum = port;
	slash = memchr(port.p, '/', port.n);
	if (slash) {
		pnum.n = (size_t)(slash - port.p);
		pcnt = (struct sdp_tok){slash + 1, (size_t)(port.p + port.n - slash - 1)};
	}
	for (size_t i = 0; i < pnum.n; i++)
		if (pnum.p[i] < '0' || pnum.p[i] > '9')
			return sdp_perr(c, "m= port must be a decimal number");
	if (sdp_tok_uint(&pnum, 5, 65535, &v) < 0)
		return sdp_perr(c, "m= port %.*s out of range (0-65535)",
				(int)(pnum.n > 20 ? 20 : pnum.n), pnum.p);
	m->port = (uint16_t)v;
	m->port_count = 1;
	if (slash) {
		if (sdp_tok_uint(&pcnt, 5, 65535, &v) < 0 || v == 0)
			return sdp_perr(c, "m= port count must be 1-65535");
		m->port_count = (unsigned)v;
	}
	m->type = sdp_pstr(c, type.p, type.n);
	m->proto = sdp_pstr(c, proto.p, proto.n);
	m->formats = sdp_pstr(c, fmt.p, (size_t)(end - fmt.p));
	m->line_no = c->line_no;
	s->n_media++;
	return 0;
}

/* ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.4) */
static bool sdp_ice_chars_ok(const char *v, size_t min, size_t max)
{
	size_t n = strlen(v);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = v[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '+' || ch == '/'))
			return false;
	}
	return true;
}

static int sdp_add_candidate(struct sdp_pctx *c, struct sdp_media *m, const char *v,
			     const char *end)
{
	size_t n = m->n_candidates;

	if (n == SDP_MAX_CANDIDATES)
		return sdp_perr(c, "more than %d candidates in this m= section",
				SDP_MAX_CANDIDATES);
	/* capacity 4, then doubled when full: 8, 16, 32, 64 */
	if (n == 0 || (n >= 4 && (n & (n - 1)) == 0)) {
		struct sdp_candidate *nc = realloc(m->candidates, (n ? 2 * n : 4) * sizeof(*nc));

		if (!nc)
			return sdp_perr(c, "out of memory");
		m->candidates = nc;
	}
	if (sdp_candidate_parse(c, v, end, &m->candidates[n]) < 0)
		return -1;
	m->n_candidates++;
	return 0;
}

/* a=rtcp:<port> [<nettype> <addrtype> <address>] (RFC 3605) */
static int sdp_parse_rtcp(struct sdp_pctx *c, struct sdp_media *m, const char *p, const char *end)
{
	struct sdp_tok t[4], tok;
	size_t n = 0;
	uint64_t v;

	while (sdp_next_tok(&p, end, &tok)) {
		if (n == 4)
			goto bad;
		t[n++] = tok;
	}
	if (n != 1 && n != 4)
		goto bad;
	if (sdp_tok_uint(&t[0], 5, 65535, &v) < 0)
		return sdp_perr(c, "a=rtcp port must be 0-65535");
	if (n == 4) {
		if (sdp_parse_addr(c, "a=rtcp", &t[1], &t[2], &t[3], false, &m->rtcp_addr) < 0)
			return -1;
		m->rtcp_has_addr = true;
	}
	m->rtcp_port = (uint16_t)v;
	m->has_rtcp = true;
	return 0;
bad:
	return sdp_perr(c, "a=rtcp needs 'port [nettype addrtype address]'");
}

/* a=group:<semantics> *(SP <mid>) (RFC 5888) */
static int sdp_parse_group(struct sdp_pctx *c, const char *p, const char *end)
{
	struct sdp *s = c->s;
	struct sdp_group *g;
	struct sdp_tok tok;

	if (s->n_groups == SDP_MAX_GROUPS)
		return sdp_perr(c, "more than %d a=group lines", SDP_MAX_GROUPS);
	if (!sdp_next_tok(&p, end, &tok))
		return sdp_perr(c, "a=group needs 'semantics mid...'");
	g = realloc(s->groups, (s->n_groups + 1) * sizeof(*s->groups));
	if (!g)
		return sdp_perr(c, "out of memory");
	s->groups = g;
	g = &s->groups[s->n_groups];
	g->semantics = sdp_pstr(c, tok.p, tok.n);
	g->n_mids = 0;
	while (sdp_next_tok(&p, end, &tok)) {
		if (g->n_mids == SDP_MAX_GROUP_MIDS)
			return sdp_perr(c, "a=group with more than %d mids", SDP_MAX_GROUP_MIDS);
		g->mids[g->n_mids++] = sdp_pstr(c, tok.p, tok.n);
	}
	s->n_groups++;
	return 0;
}

static int sdp_parse_setup(struct sdp_pctx *c, const char *v, const char *end, enum sdp_setup *out)
{
	static const char *const names[] = {"actpass", "active", "passive", "holdconn"};
	struct sdp_tok t = {v, (size_t)(end - v)};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (sdp_tok_is(&t, names[i])) {
			*out = (enum sdp_setup)(SDP_SETUP_ACTPASS + i);
			return 0;
		}
	}
	return sdp_perr(c, "a=setup must be actpass, active, passive or holdconn");
}

static int sdp_dir_of(const struct sdp_tok *name)
{
	static const char *const names[] = {"sendrecv", "sendonly", "recvonly", "inactive"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (sdp_tok_is(name, names[i]))
			return (int)i;
	return -1;
}

/* One a= line of section sect; unknown attributes are left alone. */
static int sdp_parse_attr(struct sdp_pctx *c, int sect, struct sdp_seen *seen, const char *p,
			  const char *end)
{
	struct sdp *s = c->s;
	struct sdp_media *m = sect >= 0 ? &s->media[sect] : NULL;
	const char *colon = memchr(p, ':', (size_t)(end - p));
	struct sdp_tok name = {p, (size_t)((colon ? colon : end) - p)};
	const char *v = colon ? colon + 1 : NULL;
	bool has_v = v && v < end;
	struct sdp_tok t1, t2;
	int dir;

	if (sdp_tok_is(&name, "candidate")) {
		if (!m)
			return sdp_perr(
			    c, "a=candidate at session level (it belongs in an m= section)");
		if (!has_v)
			return sdp_perr(c, "a=candidate needs a value");
		return sdp_add_candidate(c, m, v, end);
	}
	if (sdp_tok_is(&name, "ice-ufrag") || sdp_tok_is(&name, "ice-pwd")) {
		bool ufrag = name.n == 9;
		const char *val;
		bool ok;

		if (!has_v)
			return sdp_perr(c, "a=%s needs a value", ufrag ? "ice-ufrag" : "ice-pwd");
		if (ufrag ? seen->ufrag : seen->pwd)
			return sdp_perr(c, "second a=%s in this section",
					ufrag ? "ice-ufrag" : "ice-pwd");
		val = sdp_pstr(c, v, (size_t)(end - v));
		ok = sdp_ice_chars_ok(val, ufrag ? 4 : 22, 256);
		if (ufrag) {
			seen->ufrag = true;
			*(m ? &m->ice_ufrag : &s->ice_ufrag) = val;
			*(m ? &m->ice_ufrag_ok : &s->ice_ufrag_ok) = ok;
		} else {
			seen->pwd = true;
			*(m ? &m->ice_pwd : &s->ice_pwd) = val;
			*(m ? &m->ice_pwd_ok : &s->ice_pwd_ok) = ok;
		}
		return 0;
	}
	if (sdp_tok_is(&name, "ice-lite")) {
		*(m ? &m->ice_lite : &s->ice_lite) = true;
		return 0;
	}
	if (sdp_tok_is(&name, "ice-options")) {
		if (!has_v)
			return sdp_perr(c, "a=ice-options needs a value");
		*(m ? &m->ice_options : &s->ice_options) = sdp_pstr(c, v, (size_t)(end - v));
		return 0;
	}
	if (sdp_tok_is(&name, "end-of-candidates")) {
		*(m ? &m->end_of_candidates : &s->end_of_candidates) = true;
		return 0;
	}
	dir = sdp_dir_of(&name);
	if (dir >= 0) {
		if (seen->dir)
			return sdp_perr(c, "second direction attribute in this section");
		seen->dir = true;
		*(m ? &m->dir : &s->dir) = (enum sdp_dir)dir;
		return 0;
	}
	if (sdp_tok_is(&name, "setup")) {
		if (seen->setup)
			return sdp_perr(c, "second a=setup in this section");
		seen->setup = true;
		return sdp_parse_setup(c, has_v ? v : end, end, m ? &m->setup : &s->setup);
	}
	if (sdp_tok_is(&name, "fingerprint")) {
		const char *q = has_v ? v : end;

		size_t *n = m ? &m->n_fingerprints : &s->n_fingerprints;

		if (!sdp_next_tok(&q, end, &t1) || !sdp_next_tok(&q, end, &t2))
			return sdp_perr(c, "a=fingerprint needs 'hash-function fingerprint'");
		if (*n == SDP_MAX_FINGERPRINTS)
			return sdp_perr(c, "more than %d a=fingerprint lines", SDP_MAX_FINGERPRINTS);
		(m ? m->fingerprints : s->fingerprints)[(*n)++] = sdp_pstr(c, v, (size_t)(end - v));
		*(m ? &m->has_fingerprint : &s->has_fingerprint) = true;
		return 0;
	}
	if (sdp_tok_is(&name, "group")) {
		if (m) /* session-level only (RFC 5888); kept, not read */
			return 0;
		return sdp_parse_group(c, has_v ? v : end, end);
	}
	if (!m) /* the rest are media-level only; at session level they are kept */
		return 0;
	if (sdp_tok_is(&name, "rtcp")) {
		if (seen->rtcp)
			return sdp_perr(c, "second a=rtcp in this section");
		seen->rtcp = true;
		return sdp_parse_rtcp(c, m, has_v ? v : end, end);
	}
	if (sdp_tok_is(&name, "rtcp-mux")) {
		m->rtcp_mux = true;
		return 0;
	}
	if (sdp_tok_is(&name, "crypto")) {
		if (!has_v)
			return sdp_perr(c, "a=crypto needs a value");
		if (m->n_cryptos == SDP_MAX_CRYPTO)
			return sdp_perr(c, "more than %d a=crypto lines in this section",
					SDP_MAX_CRYPTO);
		m->cryptos[m->n_cryptos++] = sdp_pstr(c, v, (size_t)(end - v));
		m->has_crypto = true;
		return 0;
	}
	if (sdp_tok_is(&name, "mid")) {
		if (!has_v)
			return sdp_perr(c, "a=mid needs a value");
		if (m->mid)
			return sdp_perr(c, "second a=mid in this section");
		m->mid = sdp_pstr(c, v, (size_t)(end - v));
		for (int k = 0; k < sect; k++)
			if (s->media[k].mid && strcmp(s->media[k].mid, m->mid) == 0)
				return sdp_perr(
				    c, "a=mid value already used by the m= section on line %zu",
				    s->media[k].line_no);
		return 0;
	}
	return 0;
}

/* Media-level values where present, else the session-level ones. */
static void sdp_resolve_effective(struct sdp *s, const struct sdp_seen *seen)
{
	for (size_t i = 0; i < s->n_media; i++) {
		struct sdp_media *m = &s->media[i];

		if (!m->conn_media_level && s->has_conn) {
			m->conn = s->conn;
			m->has_conn = true;
		}
		if (!m->ice_ufrag) {
			m->ice_ufrag = s->ice_ufrag;
			m->ice_ufrag_ok = s->ice_ufrag_ok;
		}
		if (!m->ice_pwd) {
			m->ice_pwd = s->ice_pwd;
			m->ice_pwd_ok = s->ice_pwd_ok;
		}
		if (!m->ice_options)
			m->ice_options = s->ice_options;
		m->ice_lite |= s->ice_lite;
		m->end_of_candidates |= s->end_of_candidates;
		m->has_fingerprint |= s->has_fingerprint;
		if (m->n_fingerprints == 0) {
			memcpy(m->fingerprints, s->fingerprints, sizeof(m->fingerprints));
			m->n_fingerprints = s->n_fingerprints;
		}
		if (m->setup == SDP_SETUP_NONE)
			m->setup = s->setup;
		if (!seen[i + 1].dir)
			m->dir = s->dir;
	}
}

static int sdp_parse_lines(struct sdp_pctx *c)
{
	struct sdp *s = c->s;
	struct sdp_lines *L = s->priv;
	struct sdp_seen seen[SDP_MAX_MEDIA + 1];
	int sect = SDP_SECT_SESSION;

	memset(seen, 0, sizeof(seen));
	if (L->n == 0) {
		c->line_no = 1;
		return sdp_perr(c, s->fragment ? "no lines" : "must start with v=0");
	}
	for (size_t i = 0; i < L->n; i++) {
		struct sdp_line *ln = &L->v[i];
		const char *p = ln->text, *end = p + ln->len;
		char type = p[0];
		int r = 0;

		c->line_no = i + 1;
		if (!s->fragment && i == 0) {
			if (ln->len != 3 || memcmp(p, "v=0", 3) != 0)
				return sdp_perr(c, "must start with v=0");
			continue;
		}
		if (!s->fragment && i == 1 && (ln->len < 2 || memcmp(p, "o=", 2) != 0))
			return sdp_perr(c, "o= must follow v=");
		if (ln->len < 2 || p[1] != '=' ||
		    !((type >= 'a' && type <= 'z') || (type >= 'A' && type <= 'Z')))
			return sdp_perr(c, "expected '<letter>=' at the start of the line");
		/* trailing blanks are kept in the text but are not part of values */
		while (end > p + 2 && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		p += 2;

		switch (type) {
		case 'v':
			return sdp_perr(c, s->fragment ? "v= is not allowed in an SDP fragment"
						       : "v= only allowed on line 1");
		case 'o':
			if (s->fragment)
				return sdp_perr(c, "o= is not allowed in an SDP fragment");
			if (i != 1)
				return sdp_perr(c, "second o= line");
			r = sdp_parse_origin(c, p, end);
			break;
		case 'c':
			r = sdp_parse_conn(c, sect, p, end);
			break;
		case 'm':
			r = sdp_parse_mline(c, p, end);
			if (r == 0)
				sect = (int)s->n_media - 1;
			break;
		case 'a':
			r = sdp_parse_attr(c, sect, &seen[sect + 1], p, end);
			break;
		default:
			break;
		}
		if (r < 0)
			return -1;
		ln->sect = (int16_t)sect;
	}
	if (!s->fragment && !s->has_origin) {
		c->line_no = 2;
		return sdp_perr(c, "o= must follow v=");
	}
	for (size_t i = 0; !s->fragment && i < s->n_media; i++) {
		if (!s->media[i].conn_media_level && !s->has_conn) {
			c->line_no = s->media[i].line_no;
			return sdp_perr(
			    c, "m= section has no c= line and there is no session-level c=");
		}
	}
	sdp_resolve_effective(s, seen);
	return 0;
}

/* Everything sized from the input: lines, media, value arena. */
static struct sdp *sdp_alloc(const char *buf, size_t len)
{
	struct sdp *s = calloc(1, sizeof(*s));
	struct sdp_lines *L;
	size_t lines = 1, mlines = 0;

	if (!s)
		return NULL;
	L = s->priv = calloc(1, sizeof(*L));
	if (!L)
		goto fail;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		lines++;
		if (i + 2 < len && buf[i + 1] == 'm' && buf[i + 2] == '=')
			mlines++;
	}
	if (len >= 2 && buf[0] == 'm' && buf[1] == '=')
		mlines++;
	if (mlines > SDP_MAX_MEDIA)
		mlines = SDP_MAX_MEDIA;
	L->copy = malloc(len);
	L->cap = lines;
	L->v = calloc(lines, sizeof(*L->v));
	/* each value is a distinct piece of the input, plus its NUL */
	L->arena_cap = 2 * len + 16;
	L->arena = malloc(L->arena_cap);
	L->media_cap = mlines;
	s->media = calloc(mlines ? mlines : 1, sizeof(*s->media));
	if (!L->copy || !L->v || !L->arena || !s->media)
		goto fail;
	memcpy(L->copy, buf, len);
	return s;
fail:
	sdp_free(s);
	return NULL;
}

static int sdp_parse_any(const char *buf, size_t len, struct sdp **out, char *err, size_t errlen,
			 bool fragment)
{
	struct sdp_pctx c = {.err = err, .errlen = errlen};
	struct sdp *s;

	if (err && errlen)
		err[0] = '\0';
	if (!out || (!buf && len))
		return sdp_perr(&c, "no input");
	if (len == 0)
		return sdp_perr(&c, "empty input");
	if (len > SDP_MAX_LEN)
		return sdp_perr(&c, "input is %zu bytes, more than %d", len, SDP_MAX_LEN);
	s = sdp_alloc(buf, len);
	if (!s)
		return sdp_perr(&c, "out of memory");
	s->fragment = fragment;
	c.s = s;
	if (sdp_split_lines(&c, len) < 0 || sdp_parse_lines(&c) < 0)
		goto fail;
	if (s->priv->arena_full) {
		c.line_no = 0;
		sdp_perr(&c, "internal: parsed values do not fit");
		goto fail;
	}
	*out = s;
	return 0;
fail:
	sdp_free(s);
	return -1;
}

int sdp_parse(const char *buf, size_t len, struct sdp **out, char *err, size_t errlen)
{
	return sdp_parse_any(buf, len, out, err, errlen, false);
}

int sdp_parse_fragment(const char *buf, size_t len, struct sdp **out, char *err, size_t errlen)
{
	return sdp_parse_any(buf, len, out, err, errlen, true);
}

void sdp_free(struct sdp *s)
{
	struct sdp_lines *L;

	if (!s)
		return;
	L = s->priv;
	free(s->groups);
	if (L) {
		for (size_t i = 0; i < L->n; i++)
			free(L->v[i].owned);
		free(L->v);
		free(L->copy);
		free(L->arena);
		free(L);
	}
	if (s->media)
		for (size_t i = 0; i < s->n_media; i++)
			free(s->media[i].candidates);
	free(s->media);
	free(s);
}

int sdp_find_mid(const struct sdp *s, const char *mid)
{
	for (size_t i = 0; mid && i < s->n_media; i++)
		if (s->media[i].mid && strcmp(s->media[i].mid, mid) == 0)
			return (int)i;
	return -1;
}

const struct sdp_group *sdp_bundle_group(const struct sdp *s, const char *mid)
{
	for (size_t g = 0; mid && g < s->n_groups; g++) {
		if (strcmp(s->groups[g].semantics, "BUNDLE") != 0)
			continue;
		for (size_t k = 0; k < s->groups[g].n_mids; k++)
			if (strcmp(s->groups[g].mids[k], mid) == 0)
				return &s->groups[g];
	}
	return NULL;
}
