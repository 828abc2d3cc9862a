/*
 * peer_policy.c - the relay's peer address policy (RFC 8656 §21).
 * See peer_policy.h for the rules and their order.
 */
#include "relay/peer_policy.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

/*
 * A peer as the policy sees it: its IPv6 bytes and/or the IPv4 addresses
 * it reaches (one for IPv4 and most IPv6 forms that carry one, two for
 * Teredo), and its port.
 */
struct peer_key {
	uint8_t v6[16];
	uint8_t v4[2][4];
	int n4;
	bool is_v6;
	uint16_t port;
};

static bool peer_bytes_zero(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

static void peer_key_add_v4(struct peer_key *k, const uint8_t *v4, uint8_t xor)
{
	for (int i = 0; i < 4; i++)
		k->v4[k->n4][i] = v4[i] ^ xor;
	k->n4++;
}

/*
 * The IPv4 addresses an IPv6 one carries: ::ffff:0:0/96 (mapped),
 * ::ffff:0:0:0/96 (SIIT, RFC 2765 §2.1), ::/96 (compatible, except :: and
 * ::1), 64:ff9b::/96 (NAT64, RFC 6052), 2002::/16 (6to4, RFC 3056), and
 * 2001::/32 (Teredo, RFC 4380 §4: the server's IPv4 in bits 32-63 and the
 * client's, every bit inverted, in bits 96-127; a packet to it goes to the
 * client's address, and the server's is judged too).
 */
static void peer_embedded_v4(struct peer_key *k)
{
	static const uint8_t nat64[12] = {0x00, 0x64, 0xff, 0x9b};
	static const uint8_t siit[12] = {[8] = 0xff, [9] = 0xff};
	const uint8_t *a = k->v6;

	if (peer_bytes_zero(a, 10)) {
		if (a[10] == 0xff && a[11] == 0xff)
			peer_key_add_v4(k, a + 12, 0);
		else if (a[10] == 0 && a[11] == 0 && (!peer_bytes_zero(a + 12, 3) || a[15] > 1))
			peer_key_add_v4(k, a + 12, 0);
	} else if (memcmp(a, siit, sizeof(siit)) == 0 || memcmp(a, nat64, sizeof(nat64)) == 0) {
		peer_key_add_v4(k, a + 12, 0);
	} else if (a[0] == 0x20 && a[1] == 0x02) {
		peer_key_add_v4(k, a + 2, 0);
	} else if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0 && a[3] == 0) {
		peer_key_add_v4(k, a + 12, 0xff);
		peer_key_add_v4(k, a + 4, 0);
	}
}

static int peer_key_from(const struct sockaddr *sa, struct peer_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		peer_key_add_v4(k, (const uint8_t *)&in->sin_addr, 0);
		k->port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	memcpy(k->v6, ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, 16);
	k->port = ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	k->is_v6 = true;
	peer_embedded_v4(k);
	return 0;
}

/* Default classes for IPv4; PEER_ALLOWED when none applies. */
static enum peer_verdict peer_class_v4(const uint8_t *b)
{
	uint32_t a = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];

	if (a == 0xffffffffU)
		return PEER_DENIED_BROADCAST;
	if (b[0] == 0)
		return PEER_DENIED_UNSPECIFIED;
	if (b[0] == 127)
		return PEER_DENIED_LOOPBACK;
	/* AWS/GCP/Azure/Oracle, Azure WireServer, Alibaba, Oracle */
	if (a == 0xa9fea9feU || a == 0xa83f8110U || a == 0x646464c8U || a == 0xc00000c0U)
		return PEER_DENIED_METADATA;
	if ((a & 0xffff0000U) == 0xa9fe0000U)
		return PEER_DENIED_LINK_LOCAL;
	if ((a & 0xff000000U) == 0x0a000000U || (a & 0xfff00000U) == 0xac100000U ||
	    (a & 0xffff0000U) == 0xc0a80000U)
		return PEER_DENIED_PRIVATE;
	if ((a & 0xffc00000U) == 0x64400000U)
		return PEER_DENIED_CGNAT;
	if ((a & 0xf0000000U) == 0xe0000000U)
		return PEER_DENIED_MULTICAST;
	if ((a & 0xf0000000U) == 0xf0000000U)
		return PEER_DENIED_RESERVED;
	return PEER_ALLOWED;
}

/* Default classes for IPv6 that carries no IPv4 address. */
static enum peer_verdict peer_class_v6(const uint8_t *a)
{
	static const uint8_t aws_metadata[16] = {0xfd, 0x00, 0x0e, 0xc2, [14] = 0x02, [15] = 0x54};
	static const uint8_t local_nat64[6] = {0x00, 0x64, 0xff, 0x9b, 0x00, 0x01};

	if (peer_bytes_zero(a, 15))
		return a[15] == 1 ? PEER_DENIED_LOOPBACK : PEER_DENIED_UNSPECIFIED;
	if (memcmp(a, aws_metadata, 16) == 0)
		return PEER_DENIED_METADATA;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return PEER_DENIED_LINK_LOCAL;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0xc0)
		return PEER_DENIED_PRIVATE;
	if ((a[0] & 0xfe) == 0xfc)
		return PEER_DENIED_ULA;
	if (a[0] == 0xff)
		return PEER_DENIED_MULTICAST;
	/*
	 * RFC 8215: 64:ff9b:1::/48 is for local translators, which may reach
	 * private IPv4 networks, with the IPv4 address where the operator's
	 * prefix length puts it (RFC 6052 §2.2): not knowable here.
	 */
	if (memcmp(a, local_nat64, sizeof(local_nat64)) == 0)
		return PEER_DENIED_LOCAL_NAT64;
	return PEER_ALLOWED;
}

/*
 * One form of a peer: f < 0 is its IPv6 address, f >= 0 the IPv4 address
 * k->v4[f] it carries (or is).
 */
static enum peer_verdict peer_form_class(const struct peer_key *k, int f)
{
	return f < 0 ? peer_class_v6(k->v6) : peer_class_v4(k->v4[f]);
}

static bool peer_form_in(const struct peer_range *r, int n, const struct peer_key *k, int f)
{
	for (int i = 0; i < n; i++, r++) {
		if (f < 0 && r->family == AF_INET6) {
			if (memcmp(k->v6, r->lo, 16) >= 0 && memcmp(k->v6, r->hi, 16) <= 0)
				return true;
		} else if (f >= 0 && r->family == AF_INET) {
			if (memcmp(k->v4[f], r->lo, 4) >= 0 && memcmp(k->v4[f], r->hi, 4) <= 0)
				return true;
		}
	}
	return false;
}

/* Any form of k in the ranges. */
static bool peer_any_in(const struct peer_range *r, int n, const struct peer_key *k)
{
	if (k->is_v6 && peer_form_in(r, n, k, -1))
		return true;
	for (int f = 0; f < k->n4; f++)
		if (peer_form_in(r, n, k, f))
			return true;
	return false;
}

static bool peer_self_is(const struct peer_self *s, const struct peer_key *k, int f)
{
	if (f < 0)
		return s->family == AF_INET6 && memcmp(k->v6, s->ip, 16) == 0;
	return s->family == AF_INET && memcmp(k->v4[f], s->ip, 4) == 0;
}

/* Form f is one of the server's own addresses (any port). */
static bool peer_self_ip(const struct peer_policy *p, const struct peer_key *k, int f)
{
	for (int i = 0; i < p->nself; i++)
		if (!p->self[i].wildcard && peer_self_is(&p->self[i], k, f))
			return true;
	return false;
}

/* Form f with k's port is one of the server's own sockets. */
static bool peer_self_port(const struct peer_policy *p, const struct peer_key *k, int f)
{
	const struct peer_self *s = p->self;

	for (int i = 0; i < p->nself; i++, s++) {
		if (!s->ports || k->port < s->port_lo || k->port > s->port_hi)
			continue;
		if (s->family == (f < 0 ? AF_INET6 : AF_INET) &&
		    (s->wildcard || peer_self_is(s, k, f)))
			return true;
	}
	return false;
}

/* Steps 2-5 of the order in peer_policy.h, for one form. */
static enum peer_verdict peer_form_verdict(const struct peer_policy *p, const struct peer_key *k,
					   int f)
{
	enum peer_verdict c = peer_form_class(k, f);

	if (c == PEER_DENIED_LOOPBACK && p->allow_loopback)
		return peer_self_port(p, k, f) ? PEER_DENIED_SELF : PEER_ALLOWED;
	if (peer_self_ip(p, k, f))
		return PEER_DENIED_SELF;
	/* coturn's no-multicast-peers: 224.0.0.0 and above, and ff00::/8 */
	if ((p->strict_multicast && (c == PEER_DENIED_MULTICAST || c == PEER_DENIED_RESERVED ||
				     c == PEER_DENIED_BROADCAST)) ||
	    (c == PEER_DENIED_LOOPBACK && p->strict_loopback))
		return c;
	if (peer_form_in(p->allowed, p->nallowed, k, f) ||
	    (f >= 0 && k->is_v6 && peer_form_in(p->allowed, p->nallowed, k, -1)))
		return PEER_ALLOWED;
	return c;
}

enum peer_verdict peer_policy_check(const struct peer_policy *p, const struct sockaddr *peer)
{
	struct peer_key k;
	enum peer_verdict v;

	if (peer_key_from(peer, &k) < 0)
		return PEER_DENIED_FAMILY;
	if (peer_any_in(p->denied, p->ndenied, &k))
		return PEER_DENIED_OPERATOR;
	if (k.n4 == 0)
		return peer_form_verdict(p, &k, -1);
	if (k.is_v6 && peer_self_ip(p, &k, -1))
		return PEER_DENIED_SELF;
	/* every IPv4 address the peer reaches must pass */
	for (int f = 0; f < k.n4; f++) {
		v = peer_form_verdict(p, &k, f);
		if (v != PEER_ALLOWED)
			return v;
	}
	return PEER_ALLOWED;
}

enum peer_verdict peer_policy_class(const struct sockaddr *sa)
{
	struct peer_key k;
	enum peer_verdict v;

	if (peer_key_from(sa, &k) < 0)
		return PEER_DENIED_FAMILY;
	if (k.n4 == 0)
		return peer_class_v6(k.v6);
	for (int f = 0; f < k.n4; f++) {
		v = peer_class_v4(k.v4[f]);
		if (v != PEER_ALLOWED)
			return v;
	}
	return PEER_ALLOWED;
}

bool peer_policy_in_allowed(const struct peer_policy *p, const struct sockaddr *sa)
{
	struct peer_key k;

	return peer_key_from(sa, &k) == 0 && peer_any_in(p->allowed, p->nallowed, &k);
}

/* Parse one address from s[0..n), surrounding blanks allowed. */
static int peer_ip_parse(const char *s, size_t n, uint8_t *family, uint8_t ip[16])
{
	char buf[INET6_ADDRSTRLEN];

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';

	memset(ip, 0, 16);
	if (inet_pton(AF_INET, buf, ip) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, ip) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

/* Prefix length: decimal digits (blanks around allowed), at most max. */
static int peer_prefix_parse(const char *s, unsigned int max, unsigned int *len)
{
	unsigned int v = 0;
	int digits = 0;

	while (*s == ' ' || *s == '\t')
		s++;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (++digits > 3)
			return -1;
		v = v * 10 + (unsigned int)(*s - '0');
	}
	while (*s == ' ' || *s == '\t')
		s++;
	if (digits == 0 || *s != '\0' || v > max)
		return -1;
	*len = v;
	return 0;
}

/* Turn an IPv6 range inside ::ffff:0:0/96 into the IPv4 range it maps. */
static void peer_range_unmap(struct peer_range *r)
{
	static const uint8_t mapped[12] = {[10] = 0xff, [11] = 0xff};

	if (r->family != AF_INET6 || memcmp(r->lo, mapped, 12) != 0 ||
	    memcmp(r->hi, mapped, 12) != 0)
		return;
	r->family = AF_INET;
	memmove(r->lo, r->lo + 12, 4);
	memmove(r->hi, r->hi + 12, 4);
	memset(r->lo + 4, 0, 12);
	memset(r->hi + 4, 0, 12);
}

/* Parse "IP", "A-B" or "IP/len"; on error return a reason, else NULL. */
static const char *peer_range_parse(const char *s, struct peer_range *out)
{
	struct peer_range r;
	const char *sep;
	uint8_t fam_hi;
	unsigned int plen, i, nbytes;

	memset(&r, 0, sizeof(r));
	if ((sep = strchr(s, '-'))) {
		if (peer_ip_parse(s, (size_t)(sep - s), &r.family, r.lo) < 0 ||
		    peer_ip_parse(sep + 1, strlen(sep + 1), &fam_hi, r.hi) < 0)
			return "not an address range";
		if (r.family != fam_hi)
			return "range mixes IPv4 and IPv6";
		if (memcmp(r.lo, r.hi, r.family == AF_INET ? 4 : 16) > 0)
			return "range start is above its end";
	} else if ((sep = strchr(s, '/'))) {
		if (peer_ip_parse(s, (size_t)(sep - s), &r.family, r.lo) < 0)
			return "not an address prefix";
		nbytes = r.family == AF_INET ? 4 : 16;
		if (peer_prefix_parse(sep + 1, nbytes * 8, &plen) < 0)
			return "bad prefix length";
		for (i = 0; i < nbytes; i++) {
			unsigned int bits = plen > i * 8 ? plen - i * 8 : 0;
			uint8_t mask = bits >= 8 ? 0xff : (uint8_t)(0xff00 >> bits);

			r.lo[i] &= mask;
			r.hi[i] = r.lo[i] | (uint8_t)~mask;
		}
	} else {
		if (peer_ip_parse(s, strlen(s), &r.family, r.lo) < 0)
			return "not an IP address, range or prefix";
		memcpy(r.hi, r.lo, 16);
	}
	peer_range_unmap(&r);
	*out = r;
	return NULL;
}

const char *peer_range_check(const char *entry)
{
	struct peer_range r;

	return entry ? peer_range_parse(entry, &r) : "missing";
}

static int peer_ranges_parse(struct peer_range *tab, int *count, const char *what,
			     const char *const *list, int n, char *err, size_t errlen)
{
	int i;

	if (n < 0 || (n > 0 && !list)) {
		snprintf(err, errlen, "%s: bad list", what);
		return -1;
	}
	if (n > PEER_POLICY_MAX_RANGES) {
		snprintf(err, errlen, "%s: %d entries, at most %d allowed", what, n,
			 PEER_POLICY_MAX_RANGES);
		return -1;
	}
	for (i = 0; i < n; i++) {
		const char *why;

		if (!list[i]) {
			snprintf(err, errlen, "%s: entry %d is missing", what, i + 1);
			return -1;
		}
		why = peer_range_parse(list[i], &tab[i]);
		if (why) {
			snprintf(err, errlen, "%s '%s': %s", what, list[i], why);
			return -1;
		}
	}
	*count = n;
	return 0;
}

int peer_policy_init(struct peer_policy *p, bool allow_loopback, const char *const *allowed,
		     int nallowed, const char *const *denied, int ndenied, char *err, size_t errlen)
{
	struct peer_policy tmp;

	memset(&tmp, 0, sizeof(tmp));
	if (!err)
		errlen = 0;
	tmp.allow_loopback = allow_loopback;
	if (peer_ranges_parse(tmp.allowed, &tmp.nallowed, "allowed-peer-ip", allowed, nallowed, err,
			      errlen) < 0)
		return -1;
	if (peer_ranges_parse(tmp.denied, &tmp.ndenied, "denied-peer-ip", denied, ndenied, err,
			      errlen) < 0)
		return -1;
	*p = tmp;
	return 0;
}

/* sa's address as an own-address entry; -1 for another family. */
static int peer_self_make(const struct sockaddr *sa, struct peer_self *s)
{
	memset(s, 0, sizeof(*s));
	if (sa->sa_family == AF_INET) {
		s->family = AF_INET;
		memcpy(s->ip, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const uint8_t *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

		if (peer_bytes_zero(b, 10) && b[10] == 0xff && b[11] == 0xff) {
			s->family = AF_INET;
			memcpy(s->ip, b + 12, 4);
		} else {
			s->family = AF_INET6;
			memcpy(s->ip, b, 16);
		}
	} else {
		return -1;
	}
	s->wildcard = peer_bytes_zero(s->ip, 16);
	return 0;
}

static int peer_self_store(struct peer_policy *p, const struct peer_self *s)
{
	for (int i = 0; i < p->nself; i++)
		if (memcmp(&p->self[i], s, sizeof(*s)) == 0)
			return 0;
	if (p->nself == PEER_POLICY_MAX_SELF)
		return -1;
	p->self[p->nself++] = *s;
	return 0;
}

int peer_policy_add_self(struct peer_policy *p, const struct sockaddr *sa)
{
	struct peer_self s;

	if (peer_self_make(sa, &s) < 0)
		return -1;
	return s.wildcard ? 0 : peer_self_store(p, &s);
}

int peer_policy_add_self_ports(struct peer_policy *p, const struct sockaddr *sa, uint16_t lo,
			       uint16_t hi)
{
	struct peer_self s;

	if (lo > hi || peer_self_make(sa, &s) < 0)
		return -1;
	s.ports = true;
	s.port_lo = lo;
	s.port_hi = hi;
	return peer_self_store(p, &s);
}

int peer_policy_add_self_ifaddrs(struct peer_policy *p)
{
	struct ifaddrs *list, *ifa;
	int ret = -1;

	if (getifaddrs(&list) < 0)
		return -1;
	for (ifa = list; ifa; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr ||
		    (ifa->ifa_addr->sa_family != AF_INET && ifa->ifa_addr->sa_family != AF_INET6))
			continue;
		if (peer_policy_add_self(p, ifa->ifa_addr) < 0)
			goto fail;
	}
	ret = 0;
fail:
	freeifaddrs(list);
	return ret;
}

const char *peer_verdict_str(enum peer_verdict v)
{
	switch (v) {
	case PEER_ALLOWED:
		return "allowed";
	case PEER_DENIED_OPERATOR:
		return "denied-peer-ip";
	case PEER_DENIED_LOOPBACK:
		return "loopback";
	case PEER_DENIED_PRIVATE:
		return "private";
	case PEER_DENIED_CGNAT:
		return "carrier-grade NAT";
	case PEER_DENIED_LINK_LOCAL:
		return "link-local";
	case PEER_DENIED_METADATA:
		return "cloud metadata";
	case PEER_DENIED_MULTICAST:
		return "multicast";
	case PEER_DENIED_UNSPECIFIED:
		return "unspecified";
	case PEER_DENIED_BROADCAST:
		return "broadcast";
	case PEER_DENIED_RESERVED:
		return "reserved";
	case PEER_DENIED_ULA:
		return "unique local";
	case PEER_DENIED_LOCAL_NAT64:
		return "local-use NAT64";
	case PEER_DENIED_SELF:
		return "server's own address";
	case PEER_DENIED_FAMILY:
		return "unsupported address family";
	}
	return "unknown";
}
