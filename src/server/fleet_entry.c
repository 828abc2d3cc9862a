/*
 * fleet_entry.c - a fleet server's published line and the choice of the
 * least loaded peer (fleet_entry.h). Pure.
 */
#include "server/fleet_entry.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

enum fleet_key {
	FK_ADDR,
	FK_TLS,
	FK_ALLOCATIONS,
	FK_MAX_ALLOCATIONS,
	FK_BPS,
	FK_BPS_RESERVED,
	FK_BPS_CAPACITY,
	FK_COUNT
};

static const char *const fleet_keys[FK_COUNT] = {
    [FK_ADDR] = "addr",
    [FK_TLS] = "tls",
    [FK_ALLOCATIONS] = "allocations",
    [FK_MAX_ALLOCATIONS] = "max-allocations",
    [FK_BPS] = "bps",
    [FK_BPS_RESERVED] = "bps-reserved",
    [FK_BPS_CAPACITY] = "bps-capacity",
};

/* A decimal number of at most max: 0, or -1. */
static int fleet_number(const char *v, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t n = 0;

	if (len == 0 || len > 20)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(v[i] - '0');

		if (d > 9 || n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*out = n;
	return 0;
}

bool fleet_entry_addr_usable(const union sockaddr_u *u)
{
	if (u->sa.sa_family == AF_INET) {
		uint32_t ip = ntohl(u->in.sin_addr.s_addr);

		return ip != 0 && ip < 0xE0000000u; /* 224.0.0.0 and up: multicast, reserved */
	}
	if (u->sa.sa_family == AF_INET6)
		return !IN6_IS_ADDR_UNSPECIFIED(&u->in6.sin6_addr) &&
		       !IN6_IS_ADDR_MULTICAST(&u->in6.sin6_addr) &&
		       !IN6_IS_ADDR_V4MAPPED(&u->in6.sin6_addr);
	return false;
}

/* A numeric address with a port, as addr_str() writes it: 0, or -1. */
static int fleet_addr(const char *v, size_t len, union sockaddr_u *out)
{
	char text[ADDR_STRLEN];
	struct sockaddr_storage ss;
	socklen_t sl;

	if (len == 0 || len >= sizeof(text))
		return -1;
	memcpy(text, v, len);
	text[len] = '\0';
	if (addr_parse(text, 0, &ss, &sl) < 0 || addr_port((struct sockaddr *)&ss) == 0 ||
	    sl > sizeof(*out))
		return -1;
	memset(out, 0, sizeof(*out));
	memcpy(out, &ss, sl);
	return fleet_entry_addr_usable(out) ? 0 : -1;
}

static int fleet_set(struct fleet_entry *e, enum fleet_key k, const char *v, size_t len)
{
	uint64_t n;

	if (k == FK_ADDR)
		return fleet_addr(v, len, &e->addr);
	if (k == FK_TLS)
		return fleet_addr(v, len, &e->tls);
	if (fleet_number(
		v, len, k == FK_ALLOCATIONS || k == FK_MAX_ALLOCATIONS ? UINT32_MAX : FLEET_BPS_MAX,
		&n) < 0)
		return -1;
	switch (k) {
	case FK_ALLOCATIONS:
		e->allocations = (uint32_t)n;
		break;
	case FK_MAX_ALLOCATIONS:
		e->max_allocations = (uint32_t)n;
		break;
	case FK_BPS:
		e->bps = n;
		break;
	case FK_BPS_RESERVED:
		e->bps_reserved = n;
		break;
	default:
		e->bps_capacity = n;
		break;
	}
	return 0;
}

int fleet_entry_parse(const char *buf, size_t len, struct fleet_entry *out, char *err,
		      size_t errlen)
{
	struct fleet_entry e;
	bool seen[FK_COUNT] = {false};
	size_t i = 0;
	unsigned int word = 0;

	memset(&e, 0, sizeof(e));
	if (len > FLEET_ENTRY_MAX) {
		snprintf(err, errlen, "longer than %d bytes", FLEET_ENTRY_MAX);
		return -1;
	}
	for (size_t j = 0; j < len; j++) {
		if ((unsigned char)buf[j] < 0x20 || (unsigned char)buf[j] == 0x7f) {
			snprintf(err, errlen, "control character at byte %zu", j);
			return -1;
		}
	}
	while (i < len) {
		size_t start, eq, end;
		int k;

		while (i < len && buf[i] == ' ')
			i++;
		if (i == len)
			break;
		start = i;
		while (i < len && buf[i] != ' ')
			i++;
		end = i;
		word++;
		for (eq = start; eq < end && buf[eq] != '='; eq++)
			;
		if (eq == end || eq == start) {
			snprintf(err, errlen, "word %u: not key=value", word);
			return -1;
		}
		for (k = 0; k < FK_COUNT; k++)
			if (strlen(fleet_keys[k]) == eq - start &&
			    memcmp(fleet_keys[k], buf + start, eq - start) == 0)
				break;
		if (k == FK_COUNT)
			continue; /* a newer server's key */
		if (seen[k]) {
			snprintf(err, errlen, "word %u: '%s' given twice", word, fleet_keys[k]);
			return -1;
		}
		seen[k] = true;
		if (fleet_set(&e, (enum fleet_key)k, buf + eq + 1, end - eq - 1) < 0) {
			snprintf(err, errlen, "word %u: bad value for '%s'", word, fleet_keys[k]);
			return -1;
		}
	}
	if (!seen[FK_ADDR]) {
		snprintf(err, errlen, "no addr");
		return -1;
	}
	if (seen[FK_TLS] && e.tls.sa.sa_family != e.addr.sa.sa_family) {
		snprintf(err, errlen, "tls and addr of different families");
		return -1;
	}
	*out = e;
	return 0;
}

int fleet_entry_format(const struct fleet_entry *e, char *buf, size_t len)
{
	char addr[ADDR_STRLEN], tls[ADDR_STRLEN + 8] = "";
	int n;

	if (e->tls.sa.sa_family) {
		memcpy(tls, " tls=", 6);
		addr_str(&e->tls.sa, tls + 5, sizeof(tls) - 5);
	}
	n = snprintf(buf, len,
		     "addr=%s%s allocations=%" PRIu32 " max-allocations=%" PRIu32 " bps=%" PRIu64
		     " bps-reserved=%" PRIu64 " bps-capacity=%" PRIu64,
		     addr_str(&e->addr.sa, addr, sizeof(addr)), tls, e->allocations,
		     e->max_allocations, e->bps, e->bps_reserved, e->bps_capacity);
	if (n < 0 || (size_t)n >= len || n > FLEET_ENTRY_MAX)
		return -1;
	return n;
}

bool fleet_entry_has_room(const struct fleet_entry *e, uint32_t want_bps)
{
	if (e->max_allocations && e->allocations >= e->max_allocations)
		return false;
	if (!e->bps_capacity)
		return true;
	return e->bps < e->bps_capacity && e->bps_reserved <= e->bps_capacity &&
	       want_bps <= e->bps_capacity - e->bps_reserved;
}

/* Thousandths of the cap used, 1000 and more when at or past it. */
static uint64_t fleet_share(uint64_t used, uint64_t cap)
{
	if (!cap)
		return 0;
	return used >= cap ? 1000 : used * 1000 / cap;
}

static uint64_t fleet_entry_load(const struct fleet_entry *e)
{
	uint64_t load = fleet_share(e->allocations, e->max_allocations);
	uint64_t bps = fleet_share(e->bps, e->bps_capacity);
	uint64_t reserved = fleet_share(e->bps_reserved, e->bps_capacity);

	if (bps > load)
		load = bps;
	return reserved > load ? reserved : load;
}

/* -1, 0, 1 as a is less loaded than, as loaded as, more loaded than b. */
static int fleet_entry_cmp(const struct fleet_entry *a, const struct fleet_entry *b)
{
	uint64_t la = fleet_entry_load(a), lb = fleet_entry_load(b);

	if (la != lb)
		return la < lb ? -1 : 1;
	if (a->allocations != b->allocations)
		return a->allocations < b->allocations ? -1 : 1;
	if (a->bps != b->bps)
		return a->bps < b->bps ? -1 : 1;
	return 0;
}

int fleet_entry_pick(const struct fleet_entry *es, size_t n, int family, bool secure,
		     uint32_t want_bps, unsigned int rr)
{
	int best = -1;
	size_t ties = 0, nth;

	for (size_t i = 0; i < n; i++) {
		const struct fleet_entry *e = &es[i];

		if (fleet_entry_target(e, secure)->sa.sa_family != family ||
		    !fleet_entry_has_room(e, want_bps))
			continue;
		if (best < 0 || fleet_entry_cmp(e, &es[best]) < 0) {
			best = (int)i;
			ties = 1;
		} else if (fleet_entry_cmp(e, &es[best]) == 0) {
			ties++;
		}
	}
	if (best < 0 || ties == 1)
		return best;
	nth = rr % ties;
	for (size_t i = (size_t)best; i < n; i++) {
		const struct fleet_entry *e = &es[i];

		if (fleet_entry_target(e, secure)->sa.sa_family != family ||
		    !fleet_entry_has_room(e, want_bps) || fleet_entry_cmp(e, &es[best]) != 0)
			continue;
		if (nth-- == 0)
			return (int)i;
	}
	return best;
}
