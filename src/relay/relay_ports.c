/*
 * relay_ports.c - the registry of live relay ports and their owners.
 * See relay_ports.h.
 */
#include "relay/relay_ports.h"

#include <netinet/in.h>
#include <string.h>

/* The family and address bytes of sa; -1 for another family. */
static int relay_ports_key(const struct sockaddr *sa, uint8_t ip[16], uint16_t *port)
{
	memset(ip, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		memcpy(ip, &in->sin_addr, 4);
		*port = ntohs(in->sin_port);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		memcpy(ip, &in6->sin6_addr, 16);
		*port = ntohs(in6->sin6_port);
		return 0;
	}
	return -1;
}

static struct relay_port_map *relay_ports_find(const struct relay_ports *rp,
					       const struct sockaddr *sa, uint16_t *port)
{
	uint8_t ip[16];

	if (relay_ports_key(sa, ip, port) < 0)
		return NULL;
	for (int i = 0; i < rp->naddrs; i++) {
		const struct relay_port_map *m = &rp->map[i];

		if (m->family == sa->sa_family && memcmp(m->ip, ip, 16) == 0)
			return (struct relay_port_map *)m;
	}
	return NULL;
}

int relay_ports_add_addr(struct relay_ports *rp, const struct sockaddr *addr,
			 const struct sockaddr *pub)
{
	struct relay_port_map *m;
	uint16_t port;

	if (pub && pub->sa_family != addr->sa_family)
		return -1;
	m = relay_ports_find(rp, addr, &port);
	if (m) {
		/* known without a public address: take this one */
		if (pub && memcmp(m->pub, m->ip, 16) == 0)
			relay_ports_key(pub, m->pub, &port);
		return 0;
	}
	if (rp->naddrs == RELAY_PORTS_MAX_ADDRS)
		return -1;
	m = &rp->map[rp->naddrs];
	if (relay_ports_key(addr, m->ip, &port) < 0)
		return -1;
	if (pub)
		relay_ports_key(pub, m->pub, &port);
	else
		memcpy(m->pub, m->ip, 16);
	m->family = (uint8_t)addr->sa_family;
	for (int o = 0; o < RELAY_PORTS_MAX_OWNERS; o++)
		for (int t = 0; t < 2; t++)
			for (int w = 0; w < RELAY_PORTS_WORDS; w++)
				atomic_init(&m->live[o][t][w], 0);
	rp->naddrs++;
	return 0;
}

int relay_ports_add_owner(struct relay_ports *rp, relay_deliver_fn deliver, void *ctx)
{
	int id = rp->nowners + 1;

	if (!deliver || id >= RELAY_PORTS_MAX_OWNERS)
		return -1;
	rp->owner[id].deliver = deliver;
	rp->owner[id].ctx = ctx;
	rp->nowners++;
	return id;
}

void relay_ports_set_join(struct relay_ports *rp, int owner, relay_join_fn join,
			  relay_joined_fn joined)
{
	if (owner <= RELAY_OWNER_SOCKET || owner > rp->nowners || !join || !joined)
		return;
	rp->owner[owner].join = join;
	rp->owner[owner].joined = joined;
}

void relay_ports_set(struct relay_ports *rp, const struct sockaddr *local, int proto, int owner,
		     bool live)
{
	uint16_t port;
	struct relay_port_map *m = relay_ports_find(rp, local, &port);
	_Atomic uint64_t *word;
	uint64_t bit;

	if (!m || owner < 0 || owner > rp->nowners)
		return;
	word = &m->live[owner][proto == IPPROTO_TCP][port / 64];
	bit = (uint64_t)1 << (port % 64);
	if (live)
		atomic_fetch_or_explicit(word, bit, memory_order_release);
	else
		atomic_fetch_and_explicit(word, ~bit, memory_order_release);
}

/* Rewrites peer's address from one side of a map (ip or pub) to the other. */
static bool relay_ports_swap(const struct relay_ports *rp, struct sockaddr *peer, bool to_local)
{
	uint8_t ip[16];
	uint16_t port;

	if (relay_ports_key(peer, ip, &port) < 0)
		return false;
	for (int i = 0; i < rp->naddrs; i++) {
		const struct relay_port_map *m = &rp->map[i];
		const uint8_t *from = to_local ? m->pub : m->ip, *to = to_local ? m->ip : m->pub;

		if (m->family != peer->sa_family || memcmp(from, ip, 16) != 0)
			continue;
		if (peer->sa_family == AF_INET)
			memcpy(&((struct sockaddr_in *)peer)->sin_addr, to, 4);
		else
			memcpy(&((struct sockaddr_in6 *)peer)->sin6_addr, to, 16);
		return memcmp(from, to, 16) != 0;
	}
	return false;
}

bool relay_ports_to_local(const struct relay_ports *rp, struct sockaddr *peer)
{
	return relay_ports_swap(rp, peer, true);
}

bool relay_ports_to_public(const struct relay_ports *rp, struct sockaddr *peer)
{
	return relay_ports_swap(rp, peer, false);
}

bool relay_ports_has_addr(const struct relay_ports *rp, const struct sockaddr *sa)
{
	uint16_t port;

	return relay_ports_find(rp, sa, &port) != NULL;
}

int relay_ports_owner(const struct relay_ports *rp, const struct sockaddr *peer, int proto)
{
	uint16_t port;
	const struct relay_port_map *m = relay_ports_find(rp, peer, &port);

	if (!m)
		return -1;
	for (int o = 0; o <= rp->nowners; o++)
		if ((atomic_load_explicit(&m->live[o][proto == IPPROTO_TCP][port / 64],
					  memory_order_acquire) >>
		     (port % 64)) &
		    1)
			return o;
	return -1;
}

bool relay_ports_live(const struct relay_ports *rp, const struct sockaddr *peer, int proto)
{
	return relay_ports_owner(rp, peer, proto) >= 0;
}

bool relay_ports_deliver(const struct relay_ports *rp, const struct sockaddr *to,
			 const struct sockaddr *from, const uint8_t *buf, size_t len)
{
	int o = relay_ports_owner(rp, to, IPPROTO_UDP);

	if (o < 0 || !rp->owner[o].deliver)
		return false;
	return rp->owner[o].deliver(rp->owner[o].ctx, to, from, buf, len);
}

bool relay_ports_join(const struct relay_ports *rp, const struct sockaddr *to,
		      const struct sockaddr *from, struct relay_join *out)
{
	int o = relay_ports_owner(rp, to, IPPROTO_UDP);

	if (o < 0 || !rp->owner[o].join)
		return false;
	return rp->owner[o].join(rp->owner[o].ctx, to, from, out);
}

void relay_ports_joined(const struct relay_ports *rp, const struct sockaddr *to,
			const struct sockaddr *from, const struct relay_join_counts *d)
{
	int o = relay_ports_owner(rp, to, IPPROTO_UDP);

	if (o >= 0 && rp->owner[o].joined)
		rp->owner[o].joined(rp->owner[o].ctx, to, from, d);
}
