/*
 * limits.c - what one party may hold, so that no user, no client address
 * and not the media anchor can starve the others (docs/OPERATIONS.md,
 * "Limits"):
 *  - allocations: user-quota per user, total-quota in all (RFC 8656 §7.2:
 *    486); an EVEN-PORT reservation counts as an allocation of the user
 *    and address that made it until it is used or expires;
 *  - relay ports: user-port-share per user (across all its addresses),
 *    ip-port-share per client address, anchor-port-share for all anchored
 *    calls together, each a percentage of the relay range;
 *  - client TCP connections (and DTLS sessions): max-tcp-connections in
 *    all, max-tcp-connections-per-ip per client address, and of those
 *    max-unauth-connections-per-ip half-open ones: accepted, TLS handshake
 *    or not, but no request authenticated on them yet (what a source holds
 *    without credentials).
 * A client address is the IPv4 address, or the /64 of an IPv6 address (one
 * host usually holds a whole /64). Counters live in one hash table under
 * srv->lock, one entry per user or address that holds something: the table
 * never outgrows what is held (ports, connections).
 */
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/log.h"
#include "server/server.h"

#define LIMITS_BUCKETS 4096
#define LIMITS_SHARE_FLOOR 64 /* a share never caps a holder below this many ports */

enum limit_kind { LIMIT_USER = 'u', LIMIT_ADDR = 'a' };

struct limit_entry {
	struct limit_entry *next;
	unsigned int allocs, ports, tcp, unauth;
	size_t key_len;
	uint8_t key[]; /* kind, then the name or the address bytes */
};

struct limits {
	struct limit_entry *bucket[LIMITS_BUCKETS];
	uint32_t seed; /* chains an attacker cannot line up */
	unsigned int allocs, tcp, anchor_ports;
	unsigned int unauth; /* half-open connections in all: atomic stores, for the metrics */
	unsigned int user_ports_max, addr_ports_max, anchor_ports_max, tcp_max;
};

/* A key: kind byte, then the user name or the address (IPv6: its /64). */
struct limit_key {
	uint8_t bytes[1 + CONFIG_MAX_USERNAME_BYTES];
	size_t len;
};

static void key_user(struct limit_key *k, const char *user)
{
	size_t n = strnlen(user, CONFIG_MAX_USERNAME_BYTES);

	k->bytes[0] = LIMIT_USER;
	memcpy(k->bytes + 1, user, n);
	k->len = 1 + n;
}

static void key_addr(struct limit_key *k, const struct sockaddr *sa)
{
	k->bytes[0] = LIMIT_ADDR;
	if (sa->sa_family == AF_INET6) {
		/* the /64: one subscriber's prefix, not one of its 2^64 addresses */
		memcpy(k->bytes + 1, &((const struct sockaddr_in6 *)sa)->sin6_addr, 8);
		k->len = 9;
	} else {
		memcpy(k->bytes + 1, &((const struct sockaddr_in *)sa)->sin_addr, 4);
		k->len = 5;
	}
}

/* Seeded FNV-1a over a key's bytes. */
static uint32_t key_hash(const struct limits *l, const uint8_t *key, size_t len)
{
	uint32_t h = 2166136261u ^ l->seed;

	for (size_t i = 0; i < len; i++)
		h = (h ^ key[i]) * 16777619u;
	return h & (LIMITS_BUCKETS - 1);
}

/* The entry for k; created (zeroed) when create is set. NULL: none, or no memory. */
static struct limit_entry *entry_get(struct limits *l, const struct limit_key *k, bool create)
{
	struct limit_entry **pp = &l->bucket[key_hash(l, k->bytes, k->len)], *e;

	for (e = *pp; e; e = e->next)
		if (e->key_len == k->len && memcmp(e->key, k->bytes, k->len) == 0)
			return e;
	if (!create)
		return NULL;
	e = calloc(1, sizeof(*e) + k->len);
	if (!e)
		return NULL;
	e->key_len = k->len;
	memcpy(e->key, k->bytes, k->len);
	e->next = *pp;
	*pp = e;
	return e;
}

/* Frees e once it holds nothing. */
static void entry_put(struct limits *l, struct limit_entry *e)
{
	struct limit_entry **pp;

	if (!e || e->allocs || e->ports || e->tcp || e->unauth)
		return;
	for (pp = &l->bucket[key_hash(l, e->key, e->key_len)]; *pp; pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			free(e);
			return;
		}
	}
}

/* percent of the relay range in ports, at least LIMITS_SHARE_FLOOR. */
static unsigned int share_ports(const struct config *c, unsigned int percent)
{
	unsigned int range = (unsigned int)c->max_port - c->min_port + 1;
	unsigned int n = (unsigned int)((uint64_t)range * percent / 100);

	return n < LIMITS_SHARE_FLOOR ? LIMITS_SHARE_FLOOR : n;
}

/* The caps from c's shares and max-tcp-connections, said in the log. */
static void limits_set_caps(struct limits *l, const struct config *c)
{
	struct rlimit rl;

	l->user_ports_max = share_ports(c, c->user_port_share);
	l->addr_ports_max = share_ports(c, c->ip_port_share);
	l->anchor_ports_max = share_ports(c, c->anchor_port_share);
	l->tcp_max = c->max_tcp_connections;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    l->tcp_max > rl.rlim_cur / 2)
		log_warn("max-tcp-connections %u is more than half the open file limit %llu: "
			 "TCP clients can take the descriptors relay sockets need",
			 l->tcp_max, (unsigned long long)rl.rlim_cur);
	log_info("limits: relay ports per user %u, per client address %u, anchor %u; "
		 "TCP connections %u, per client address %u (%u of them not authenticated)",
		 l->user_ports_max, l->addr_ports_max, l->anchor_ports_max, l->tcp_max,
		 c->max_tcp_connections_per_ip, c->max_unauth_connections_per_ip);
}

int limits_init(struct server *srv)
{
	struct limits *l = calloc(1, sizeof(*l));

	if (!l || RAND_bytes((uint8_t *)&l->seed, sizeof(l->seed)) != 1) {
		free(l);
		return -1;
	}
	limits_set_caps(l, srv->cfg);
	srv->limits = l;
	return 0;
}

void limits_reconfigure(struct server *srv)
{
	pthread_mutex_lock(&srv->lock);
	limits_set_caps(srv->limits, srv->cfg);
	pthread_mutex_unlock(&srv->lock);
}

void limits_free(struct server *srv)
{
	struct limits *l = srv->limits;

	if (!l)
		return;
	for (size_t i = 0; i < LIMITS_BUCKETS; i++) {
		struct limit_entry *e, *next;

		for (e = l->bucket[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(l);
	srv->limits = NULL;
}

int limits_take(struct server *srv, const char *user, const struct sockaddr *source,
		unsigned int allocs, unsigned int ports)
{
	struct limits *l = srv->limits;
	struct limit_entry *u, *a;
	struct limit_key ku, ka;
	/* the store's values of the moment (realm_opts.c), else the configuration's */
	unsigned int user_quota = realm_opt(srv, REALM_OPT_USER_QUOTA);
	unsigned int total_quota = realm_opt(srv, REALM_OPT_TOTAL_QUOTA);
	int ret = TURN_ERR_ALLOCATION_QUOTA;

	key_user(&ku, user);
	key_addr(&ka, source);
	pthread_mutex_lock(&srv->lock);
	u = entry_get(l, &ku, true);
	a = entry_get(l, &ka, true);
	if (!u || !a) {
		ret = STUN_ERR_SERVER_ERROR;
		goto out;
	}
	if (total_quota && l->allocs + allocs > total_quota)
		goto out;
	if (user_quota && u->allocs + allocs > user_quota)
		goto out;
	if (u->ports + ports > l->user_ports_max || a->ports + ports > l->addr_ports_max)
		goto out;
	l->allocs += allocs;
	u->allocs += allocs;
	u->ports += ports;
	a->ports += ports;
	ret = 0;
out:
	entry_put(l, u);
	entry_put(l, a);
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

void limits_release(struct server *srv, const char *user, const struct sockaddr *source,
		    unsigned int allocs, unsigned int ports)
{
	struct limits *l = srv->limits;
	struct limit_entry *u, *a;
	struct limit_key ku, ka;

	key_user(&ku, user);
	key_addr(&ka, source);
	pthread_mutex_lock(&srv->lock);
	u = entry_get(l, &ku, false);
	a = entry_get(l, &ka, false);
	l->allocs -= allocs;
	if (u) {
		u->allocs -= allocs;
		u->ports -= ports;
	}
	if (a)
		a->ports -= ports;
	entry_put(l, u);
	entry_put(l, a);
	pthread_mutex_unlock(&srv->lock);
}

int limits_move(struct server *srv, const struct sockaddr *from, const struct sockaddr *to,
		unsigned int ports)
{
	struct limits *l = srv->limits;
	struct limit_entry *old, *new;
	struct limit_key ko, kn;
	int ret = TURN_ERR_ALLOCATION_QUOTA;

	key_addr(&ko, from);
	key_addr(&kn, to);
	if (ko.len == kn.len && memcmp(ko.bytes, kn.bytes, ko.len) == 0)
		return 0;
	pthread_mutex_lock(&srv->lock);
	old = entry_get(l, &ko, false);
	new = entry_get(l, &kn, true);
	if (!new) {
		ret = STUN_ERR_SERVER_ERROR;
		goto out;
	}
	if (new->ports + ports > l->addr_ports_max)
		goto out;
	new->ports += ports;
	if (old)
		old->ports -= ports;
	ret = 0;
out:
	entry_put(l, old);
	entry_put(l, new);
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

int limits_anchor_take(struct server *srv, unsigned int ports)
{
	struct limits *l = srv->limits;
	int ret = -1;

	pthread_mutex_lock(&srv->lock);
	if (l->anchor_ports + ports <= l->anchor_ports_max) {
		l->anchor_ports += ports;
		ret = 0;
	}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

void limits_anchor_release(struct server *srv, unsigned int ports)
{
	pthread_mutex_lock(&srv->lock);
	srv->limits->anchor_ports -= ports;
	pthread_mutex_unlock(&srv->lock);
}

unsigned int limits_anchor_max(const struct server *srv)
{
	return srv->limits->anchor_ports_max;
}

int limits_tcp_take(struct server *srv, const struct sockaddr *source)
{
	struct limits *l = srv->limits;
	struct limit_entry *a = NULL;
	struct limit_key ka;
	int ret = LIMITS_TCP_TOTAL;

	key_addr(&ka, source);
	pthread_mutex_lock(&srv->lock);
	if (l->tcp >= l->tcp_max)
		goto out;
	ret = LIMITS_TCP_PER_IP;
	a = entry_get(l, &ka, true);
	if (!a || a->tcp >= srv->cfg->max_tcp_connections_per_ip)
		goto out;
	ret = LIMITS_TCP_UNAUTH;
	if (a->unauth >= srv->cfg->max_unauth_connections_per_ip)
		goto out;
	a->tcp++;
	a->unauth++;
	l->tcp++;
	__atomic_store_n(&l->unauth, l->unauth + 1, __ATOMIC_RELAXED);
	ret = 0;
out:
	entry_put(l, a);
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

/* A connection of source authenticates (no longer half-open), or closes. */
static void tcp_drop(struct server *srv, const struct sockaddr *source, bool closes)
{
	struct limits *l = srv->limits;
	struct limit_entry *a;
	struct limit_key ka;

	key_addr(&ka, source);
	pthread_mutex_lock(&srv->lock);
	a = entry_get(l, &ka, false);
	if (a && closes) {
		a->tcp--;
		l->tcp--;
	} else if (a && a->unauth) {
		a->unauth--;
		__atomic_store_n(&l->unauth, l->unauth - 1, __ATOMIC_RELAXED);
	}
	entry_put(l, a);
	pthread_mutex_unlock(&srv->lock);
}

void limits_tcp_authed(struct server *srv, const struct sockaddr *source)
{
	tcp_drop(srv, source, false);
}

unsigned int limits_tcp_unauth_now(const struct server *srv)
{
	return srv->limits ? __atomic_load_n(&srv->limits->unauth, __ATOMIC_RELAXED) : 0;
}

const char *limits_tcp_cap_name(int refused)
{
	return refused == LIMITS_TCP_TOTAL    ? "max-tcp-connections"
	       : refused == LIMITS_TCP_PER_IP ? "max-tcp-connections-per-ip"
					      : "max-unauth-connections-per-ip";
}

void limits_tcp_release(struct server *srv, const struct sockaddr *source)
{
	tcp_drop(srv, source, true);
}
