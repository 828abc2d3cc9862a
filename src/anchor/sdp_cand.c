/*
 * sdp_cand.c - a=candidate parsing (RFC 8839 §5.1, tcptype from RFC 6544),
 * address classification, and the helpers that format the lines the anchor
 * writes: a=candidate, c=, a=rtcp.
 */
#include "anchor/sdp_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"

int sdp_ip_parse(const char *text, uint16_t port, struct sockaddr_storage *ss)
{
	struct in6_addr a6;
	struct in_addr a4;
	int fam;

	if (inet_pton(AF_INET, text, &a4) == 1)
		fam = AF_INET;
	else if (inet_pton(AF_INET6, text, &a6) == 1)
		fam = AF_INET6;
	else
		return 0;
	/* plain numeric forms only, which addr_parse() reads the same way */
	if (addr_parse(text, port, ss, NULL) < 0 || ss->ss_family != fam)
		return 0;
	return fam;
}

bool sdp_is_hostname(const char *text)
{
	size_t n = strlen(text);

	if (n == 0 || n > SDP_MAX_ADDR_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char ch = text[i];

		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_'))
			return false;
	}
	return true;
}

static bool sdp_is_ice_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '+' || ch == '/';
}

/* RFC 8866 token: visible ASCII without the separators it excludes. */
static bool sdp_is_token(const char *p, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)p[i];

		if (ch < 0x21 || ch > 0x7e || strchr("\"(),/:;<=>?@[\\]{}", ch))
			return false;
	}
	return true;
}

/* An address token of a candidate: IP (filled into *ss with port) or host name. */
static int sdp_cand_addr(struct sdp_pctx *c, const struct sdp_tok *t, const char *what,
			 const char **text, bool *is_ip, struct sockaddr_storage *ss)
{
	if (t->n == 0 || t->n > SDP_MAX_ADDR_LEN)
		return sdp_perr(c, "a=candidate %s must be 1-%d bytes", what, SDP_MAX_ADDR_LEN);
	*text = sdp_pstr(c, t->p, t->n);
	*is_ip = sdp_ip_parse(*text, 0, ss) != 0;
	if (!*is_ip && !sdp_is_hostname(*text))
		return sdp_perr(c, "a=candidate %s is neither an IP address nor a host name", what);
	return 0;
}

static int sdp_cand_type_of(const struct sdp_tok *t)
{
	static const char *const names[] = {"host", "srflx", "prflx", "relay"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (sdp_tok_is(t, names[i]))
			return (int)i;
	return SDP_CAND_OTHER;
}

/* Extensions: raddr, rport, tcptype; other name/value pairs are skipped. */
static int sdp_cand_ext(struct sdp_pctx *c, struct sdp_candidate *cand, const char *p,
			const char *end)
{
	struct sdp_tok name, val;
	uint64_t v;

	while (sdp_next_tok(&p, end, &name)) {
		if (!sdp_next_tok(&p, end, &val))
			return sdp_perr(c, "a=candidate extension without a value");
		if (sdp_tok_is(&name, "raddr")) {
			if (cand->raddr)
				return sdp_perr(c, "a=candidate has raddr twice");
			if (sdp_cand_addr(c, &val, "raddr", &cand->raddr, &cand->raddr_is_ip,
					  &cand->raddr_sa) < 0)
				return -1;
		} else if (sdp_tok_is(&name, "rport")) {
			if (cand->has_rport)
				return sdp_perr(c, "a=candidate has rport twice");
			if (sdp_tok_uint(&val, 5, 65535, &v) < 0)
				return sdp_perr(c, "a=candidate rport must be 0-65535");
			cand->rport = (uint16_t)v;
			cand->has_rport = true;
		} else if (sdp_tok_is(&name, "tcptype")) {
			if (sdp_tok_is(&val, "active"))
				cand->tcptype = SDP_TCPTYPE_ACTIVE;
			else if (sdp_tok_is(&val, "passive"))
				cand->tcptype = SDP_TCPTYPE_PASSIVE;
			else if (sdp_tok_is(&val, "so"))
				cand->tcptype = SDP_TCPTYPE_SO;
			else
				return sdp_perr(
				    c, "a=candidate tcptype must be active, passive or so");
		}
	}
	if (cand->raddr_is_ip)
		addr_set_port((struct sockaddr *)&cand->raddr_sa, cand->rport);
	return 0;
}

/*
 * foundation SP component-id SP transport SP priority SP connection-address
 * SP port SP "typ" SP cand-type [SP "raddr" SP addr] [SP "rport" SP port]
 * *(SP extension-att-name SP extension-att-value)
 */
int sdp_candidate_parse(struct sdp_pctx *c, const char *p, const char *end,
			struct sdp_candidate *cand)
{
	struct sdp_tok f, comp, tr, pri, addr, port, typ, type;
	uint64_t v;

	memset(cand, 0, sizeof(*cand));
	if (!sdp_next_tok(&p, end, &f) || !sdp_next_tok(&p, end, &comp) ||
	    !sdp_next_tok(&p, end, &tr) || !sdp_next_tok(&p, end, &pri) ||
	    !sdp_next_tok(&p, end, &addr) || !sdp_next_tok(&p, end, &port))
		return sdp_perr(c, "a=candidate needs 'foundation component transport priority "
				   "address port typ type'");
	if (!sdp_next_tok(&p, end, &typ) || !sdp_tok_is(&typ, "typ"))
		return sdp_perr(c, "a=candidate needs 'typ TYPE' after the port");
	if (!sdp_next_tok(&p, end, &type))
		return sdp_perr(c, "a=candidate has 'typ' without a type");

	if (f.n > 32)
		goto bad_foundation;
	for (size_t i = 0; i < f.n; i++)
		if (!sdp_is_ice_char(f.p[i]))
			goto bad_foundation;
	cand->foundation = sdp_pstr(c, f.p, f.n);

	if (sdp_tok_uint(&comp, 3, 256, &v) < 0 || v == 0)
		return sdp_perr(c, "a=candidate component must be 1-256");
	cand->component = (unsigned)v;

	if (!sdp_is_token(tr.p, tr.n))
		return sdp_perr(c, "a=candidate transport must be a token");
	cand->transport = sdp_pstr(c, tr.p, tr.n);

	if (sdp_tok_uint(&pri, 10, UINT32_MAX, &v) < 0)
		return sdp_perr(c, "a=candidate priority must be a number 0-4294967295");
	cand->priority = (uint32_t)v;

	if (sdp_tok_uint(&port, 5, 65535, &v) < 0)
		return sdp_perr(c, "a=candidate port must be 0-65535");
	cand->port = (uint16_t)v;
	if (sdp_cand_addr(c, &addr, "address", &cand->address, &cand->is_ip, &cand->sa) < 0)
		return -1;
	if (cand->is_ip)
		addr_set_port((struct sockaddr *)&cand->sa, cand->port);

	if (!sdp_is_token(type.p, type.n))
		return sdp_perr(c, "a=candidate type must be a token");
	cand->type = (enum sdp_cand_type)sdp_cand_type_of(&type);
	cand->type_text = sdp_pstr(c, type.p, type.n);
	return sdp_cand_ext(c, cand, p, end);

bad_foundation:
	return sdp_perr(c, "a=candidate foundation must be 1-32 characters of ALPHA DIGIT + /");
}

static const char *sdp_addrtype(const struct sockaddr *sa)
{
	if (!sa)
		return NULL;
	if (sa->sa_family == AF_INET)
		return "IP4";
	if (sa->sa_family == AF_INET6)
		return "IP6";
	return NULL;
}

/* snprintf's result as a line length, or -1 if it was cut. */
static int sdp_fit(int r, size_t cap)
{
	if (r < 0 || (size_t)r >= cap)
		return -1;
	return r;
}

int sdp_candidate_format(char *out, size_t cap, const char *foundation, unsigned component,
			 const char *transport, uint32_t priority, const struct sockaddr *addr,
			 const char *type, const struct sockaddr *raddr)
{
	char a[ADDR_STRLEN], ra[ADDR_STRLEN];
	size_t fn;
	int r;

	if (!out || !foundation || !transport || !type || !sdp_addrtype(addr) ||
	    (raddr && !sdp_addrtype(raddr)))
		return -1;
	fn = strlen(foundation);
	if (fn == 0 || fn > 32 || component == 0 || component > 256 ||
	    !sdp_is_token(transport, strlen(transport)) || !sdp_is_token(type, strlen(type)))
		return -1;
	for (size_t i = 0; i < fn; i++)
		if (!sdp_is_ice_char(foundation[i]))
			return -1;
	addr_ip_str(addr, a, sizeof(a));
	if (raddr) {
		addr_ip_str(raddr, ra, sizeof(ra));
		r = snprintf(out, cap, "a=candidate:%s %u %s %u %s %u typ %s raddr %s rport %u",
			     foundation, component, transport, priority, a, addr_port(addr), type,
			     ra, addr_port(raddr));
	} else {
		r = snprintf(out, cap, "a=candidate:%s %u %s %u %s %u typ %s", foundation,
			     component, transport, priority, a, addr_port(addr), type);
	}
	return sdp_fit(r, cap);
}

int sdp_conn_format(char *out, size_t cap, const struct sockaddr *addr)
{
	char a[ADDR_STRLEN];

	if (!out || !sdp_addrtype(addr))
		return -1;
	addr_ip_str(addr, a, sizeof(a));
	return sdp_fit(snprintf(out, cap, "c=IN %s %s", sdp_addrtype(addr), a), cap);
}

int sdp_rtcp_format(char *out, size_t cap, uint16_t port, const struct sockaddr *addr)
{
	char a[ADDR_STRLEN];

	if (!out)
		return -1;
	if (!addr)
		return sdp_fit(snprintf(out, cap, "a=rtcp:%u", port), cap);
	if (!sdp_addrtype(addr))
		return -1;
	addr_ip_str(addr, a, sizeof(a));
	return sdp_fit(snprintf(out, cap, "a=rtcp:%u IN %s %s", port, sdp_addrtype(addr), a), cap);
}
