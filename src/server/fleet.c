/*
 * fleet.c - this server's entry in the fleet's Redis, the other servers'
 * entries read back, and the choice of a peer for an Allocate this server
 * should not take (fleet.h).
 *
 * The thread owns the only Redis connection of the fleet (redis_conn.h:
 * blocking calls, each bounded by connect_timeout); the workers never
 * wait on Redis: they pick from the table under f->lock. While Redis does
 * not answer the table is empty (no redirect to a server that may be
 * gone), which is logged once per outage.
 */
#include "server/fleet.h"

#include <errno.h>
#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/prom.h"
#include "server/fleet_entry.h"
#include "server/redis_conn.h"
#include "server/server.h"
#include "server/tls.h"

#define FLEET_KEY_MAX (sizeof(FLEET_KEY_PREFIX) + ADDR_STRLEN)

struct fleet {
	struct server *srv;
	struct redis_conn conn;
	/* what this server publishes: one entry per address */
	struct fleet_entry self[CONFIG_MAX_ALTERNATES];
	char self_name[CONFIG_MAX_ALTERNATES][ADDR_STRLEN];
	size_t nself;
	bool published; /* its keys may be in Redis */

	pthread_t thread;
	bool started;
	pthread_mutex_t lock; /* peers, npeers, rr, stop */
	pthread_cond_t wake;
	bool stop;
	struct fleet_entry peers[FLEET_MAX_PEERS];
	size_t npeers;
	unsigned int rr;

	/* the relayed rate (the thread writes, Allocates read) */
	_Atomic uint64_t bps;
	uint64_t last_bytes[2], last_ms;

	/* the thread's own: what was logged */
	char names[FLEET_MAX_PEERS][ADDR_STRLEN]; /* live peers last read */
	size_t nnames;
	char keys[FLEET_MAX_PEERS][FLEET_KEY_MAX]; /* fleet_read()'s MGET */
	bool redis_down;
	uint64_t bad_logged_ms;
	_Atomic bool redis_up; /* the last round's answer, for the metrics (fleet_status()) */
};

/* The sum over the workers of one counter of struct worker_stats. */
static uint64_t fleet_sum(const struct server *srv, size_t offset)
{
	uint64_t n = 0;

	for (int i = 0; i < srv->nworkers; i++)
		n += prom_load((const uint64_t *)((const char *)&srv->workers[i].stats + offset));
	return n;
}

#define FLEET_SUM(srv, f) fleet_sum(srv, offsetof(struct worker_stats, f))

uint32_t fleet_allocations(const struct server *srv)
{
	uint64_t n = 0;

	if (!srv->workers)
		return 0;
	for (int t = 0; t < STATS_TRANSPORTS; t++)
		for (int f = 0; f < STATS_FAMILIES; f++)
			n +=
			    fleet_sum(srv, offsetof(struct worker_stats, allocs_now) +
					       (size_t)(t * STATS_FAMILIES + f) * sizeof(uint64_t));
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

void fleet_self(struct server *srv, struct fleet_entry *e)
{
	memset(e, 0, sizeof(*e));
	e->allocations = fleet_allocations(srv);
	/* the caps: SIGHUP may set them (reload.c), which holds the workers, not the fleet thread */
	e->max_allocations = __atomic_load_n(&srv->cfg->max_allocations, __ATOMIC_RELAXED);
	e->bps_capacity = __atomic_load_n(&srv->cfg->bps_capacity, __ATOMIC_RELAXED);
	e->bps = srv->fleet ? atomic_load_explicit(&srv->fleet->bps, memory_order_relaxed) : 0;
	e->bps_reserved = atomic_load_explicit(&srv->bps_reserved, memory_order_relaxed);
}

int fleet_redirect(struct server *srv, int family, bool secure, uint32_t want_bps,
		   union sockaddr_u *out)
{
	struct fleet *f = srv->fleet;
	int i;

	if (!f)
		return -1;
	pthread_mutex_lock(&f->lock);
	i = fleet_entry_pick(f->peers, f->npeers, family, secure, want_bps, f->rr++);
	if (i >= 0) {
		*out = *fleet_entry_target(&f->peers[i], secure);
		f->peers[i].allocations++;
		f->peers[i].bps_reserved += want_bps;
	}
	pthread_mutex_unlock(&f->lock);
	return i >= 0 ? 0 : -1;
}

bool fleet_status(const struct server *srv, unsigned int *peers, bool *redis_up)
{
	struct fleet *f = srv->fleet;

	if (!f)
		return false;
	pthread_mutex_lock(&f->lock);
	*peers = (unsigned int)f->npeers;
	pthread_mutex_unlock(&f->lock);
	*redis_up = atomic_load_explicit(&f->redis_up, memory_order_relaxed);
	return true;
}

/* Adds ip with port (and tls_port, 0: none) to what is published, once. */
static void fleet_add_self(struct fleet *f, const struct sockaddr *ip, uint16_t port,
			   uint16_t tls_port)
{
	struct fleet_entry *e = &f->self[f->nself];

	if (f->nself == CONFIG_MAX_ALTERNATES)
		return;
	memset(e, 0, sizeof(*e));
	memcpy(&e->addr, ip, addr_len(ip));
	addr_set_port(&e->addr.sa, port);
	for (size_t i = 0; i < f->nself; i++)
		if (addr_equal(&f->self[i].addr.sa, &e->addr.sa))
			return;
	if (tls_port) {
		e->tls = e->addr;
		addr_set_port(&e->tls.sa, tls_port);
	}
	addr_str(&e->addr.sa, f->self_name[f->nself], sizeof(f->self_name[0]));
	f->nself++;
}

/* fleet-address, else external-ip's public addresses, else the listeners'. */
static void fleet_pick_self(struct fleet *f)
{
	const struct config *c = f->srv->cfg;
	uint16_t tls_ports[SERVER_TLS_PORTS], tls_port = 0;

	if (worker_tls_ports(c, f->srv->tls, tls_ports) > 0)
		tls_port = tls_ports[0];
	for (size_t i = 0; i < c->fleet_address_count; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&c->fleet_address[i].addr;

		fleet_add_self(f, sa, addr_port(sa), tls_port);
	}
	for (size_t i = 0; !f->nself && i < c->external_ip_count; i++)
		fleet_add_self(f, (const struct sockaddr *)&c->external_ip[i].public_ip.addr,
			       c->listening_port, tls_port);
	for (int i = 0;
	     !c->external_ip_count && !c->fleet_address_count && i < f->srv->relay.nlisten; i++)
		if (fleet_entry_addr_usable(&f->srv->relay.listen[i]))
			fleet_add_self(f, &f->srv->relay.listen[i].sa, c->listening_port, tls_port);
}

int fleet_init(struct server *srv, char *err, size_t errlen)
{
	struct fleet *f;
	char why[256];

	if (!srv->cfg->fleet)
		return 0;
	f = calloc(1, sizeof(*f));
	if (!f) {
		snprintf(err, errlen, "fleet: out of memory");
		return -1;
	}
	f->srv = srv;
	if (redis_conn_init(&f->conn, srv->cfg->redis_userdb, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "fleet: redis-userdb: %s", why);
		goto fail;
	}
	for (size_t i = 0; i < srv->cfg->fleet_address_count; i++) {
		union sockaddr_u u;

		memcpy(&u, &srv->cfg->fleet_address[i].addr, srv->cfg->fleet_address[i].addr_len);
		if (!fleet_entry_addr_usable(&u)) {
			snprintf(err, errlen,
				 "fleet-address %s: not an address a client can be sent to "
				 "(wildcard, multicast or IPv4-mapped)",
				 srv->cfg->fleet_address[i].text);
			goto fail;
		}
	}
	fleet_pick_self(f);
	if (!f->nself) {
		snprintf(err, errlen,
			 "fleet: no address to publish (the server listens on wildcards "
			 "only): set fleet-address");
		goto fail;
	}
	pthread_mutex_init(&f->lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&f->wake, &ca);
		pthread_condattr_destroy(&ca);
	}
	srv->fleet = f;
	return 0;
fail:
	redis_conn_close(&f->conn);
	free(f);
	return -1;
}

/* One command whose reply is not needed: 0, or -1 with why. */
static int fleet_cmd(struct fleet *f, int argc, const char **argv, char *why, size_t cap)
{
	redisReply *r = redis_conn_cmd(&f->conn, argc, argv, why, cap);

	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

static void fleet_key(char *out, const char *name)
{
	snprintf(out, FLEET_KEY_MAX, "%s%s", FLEET_KEY_PREFIX, name);
}

/* The relayed rate since the last call, the busier way, bytes a second. */
static void fleet_measure(struct fleet *f)
{
	const struct server *srv = f->srv;
	uint64_t now = clock_ms();
	uint64_t b[2] = {FLEET_SUM(srv, bytes_to_peer) + FLEET_SUM(srv, kernel_bytes_to_peer),
			 FLEET_SUM(srv, bytes_to_client) + FLEET_SUM(srv, kernel_bytes_to_client)};
	uint64_t rate = 0;

	if (f->last_ms && now > f->last_ms) {
		for (int i = 0; i < 2; i++) {
			uint64_t r = (b[i] - f->last_bytes[i]) * 1000 / (now - f->last_ms);

			if (r > rate)
				rate = r;
		}
		atomic_store_explicit(&f->bps, rate > FLEET_BPS_MAX ? FLEET_BPS_MAX : rate,
				      memory_order_relaxed);
	}
	f->last_bytes[0] = b[0];
	f->last_bytes[1] = b[1];
	f->last_ms = now;
}

/* SET each own key with its TTL, then SADD its name: 0, or -1 with why. */
static int fleet_publish(struct fleet *f, char *why, size_t cap)
{
	struct fleet_entry now;
	char ttl[16];

	fleet_self(f->srv, &now);
	snprintf(ttl, sizeof(ttl), "%u", f->srv->cfg->fleet_ttl);
	for (size_t i = 0; i < f->nself; i++) {
		char key[FLEET_KEY_MAX], line[FLEET_ENTRY_MAX + 1];
		const char *set[] = {"SET", key, line, "EX", ttl};
		const char *sadd[] = {"SADD", FLEET_SET_KEY, f->self_name[i]};

		now.addr = f->self[i].addr;
		now.tls = f->self[i].tls;
		fleet_key(key, f->self_name[i]);
		if (fleet_entry_format(&now, line, sizeof(line)) < 0) {
			snprintf(why, cap, "entry of %s too long", f->self_name[i]);
			return -1;
		}
		if (fleet_cmd(f, 5, set, why, cap) < 0 || fleet_cmd(f, 3, sadd, why, cap) < 0)
			return -1;
		f->published = true;
	}
	return 0;
}

/* Deletes this server's keys and set members (stop, drain). */
static void fleet_withdraw(struct fleet *f)
{
	char why[300];

	if (!f->published)
		return;
	for (size_t i = 0; i < f->nself; i++) {
		char key[FLEET_KEY_MAX];
		const char *del[] = {"DEL", key};
		const char *srem[] = {"SREM", FLEET_SET_KEY, f->self_name[i]};

		fleet_key(key, f->self_name[i]);
		if (fleet_cmd(f, 2, del, why, sizeof(why)) < 0 ||
		    fleet_cmd(f, 3, srem, why, sizeof(why)) < 0) {
			log_warn("fleet: cannot withdraw %s from Redis %s (it expires within "
				 "fleet-ttl): %s",
				 f->self_name[i], f->conn.where, why);
			return;
		}
	}
	f->published = false;
}

static bool fleet_is_self(const struct fleet *f, const char *name)
{
	for (size_t i = 0; i < f->nself; i++)
		if (strcmp(f->self_name[i], name) == 0)
			return true;
	return false;
}

/* Logs the peers that joined or left since the last reading. */
static void fleet_log_changes(struct fleet *f, char (*names)[ADDR_STRLEN], size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t j;

		for (j = 0; j < f->nnames && strcmp(names[i], f->names[j]) != 0; j++)
			;
		if (j == f->nnames)
			log_info("fleet: peer %s is live", names[i]);
	}
	for (size_t j = 0; j < f->nnames; j++) {
		size_t i;

		for (i = 0; i < n && strcmp(names[i], f->names[j]) != 0; i++)
			;
		if (i == n)
			log_info("fleet: peer %s is gone", f->names[j]);
	}
	if (n)
		memcpy(f->names, names, n * sizeof(names[0]));
	f->nnames = n;
}

/* An entry that does not parse: skipped, logged at most once a minute. */
static void fleet_log_bad(struct fleet *f, const char *name, const char *why)
{
	uint64_t now = clock_ms();

	if (f->bad_logged_ms && now - f->bad_logged_ms < 60000)
		return;
	f->bad_logged_ms = now;
	log_warn("fleet: entry of %.64s in Redis skipped: %s", name, why);
}

/*
 * The members of the set, their entries in one MGET, the parsed ones into
 * the table; a member whose key expired is removed from the set.
 */
static int fleet_read(struct fleet *f, char *why, size_t cap)
{
	const char *smembers[] = {"SMEMBERS", FLEET_SET_KEY};
	char names[FLEET_MAX_PEERS][ADDR_STRLEN];
	struct fleet_entry peers[FLEET_MAX_PEERS];
	const char *mget[FLEET_MAX_PEERS + 1] = {"MGET"};
	redisReply *set, *vals = NULL;
	size_t n = 0, live = 0;

	set = redis_conn_cmd(&f->conn, 2, smembers, why, cap);
	if (!set)
		return -1;
	for (size_t i = 0; set->type == REDIS_REPLY_ARRAY && i < set->elements; i++) {
		const redisReply *m = set->element[i];

		if (m->type != REDIS_REPLY_STRING || m->len == 0 || m->len >= ADDR_STRLEN ||
		    memchr(m->str, '\0', m->len) || fleet_is_self(f, m->str))
			continue;
		if (n == FLEET_MAX_PEERS) {
			fleet_log_bad(f, m->str, "more servers in the fleet than FLEET_MAX_PEERS");
			break;
		}
		memcpy(names[n], m->str, m->len + 1);
		fleet_key(f->keys[n], names[n]);
		mget[n + 1] = f->keys[n];
		n++;
	}
	freeReplyObject(set);
	if (n) {
		vals = redis_conn_cmd(&f->conn, (int)n + 1, mget, why, cap);
		if (!vals)
			return -1;
	}
	for (size_t i = 0; vals && vals->type == REDIS_REPLY_ARRAY && i < n && i < vals->elements;
	     i++) {
		const redisReply *v = vals->element[i];
		char bad[128];

		if (v->type == REDIS_REPLY_NIL) {
			const char *srem[] = {"SREM", FLEET_SET_KEY, names[i]};

			/* expired: a server that stopped publishing */
			if (fleet_cmd(f, 3, srem, why, cap) < 0)
				break;
			continue;
		}
		if (v->type != REDIS_REPLY_STRING) {
			fleet_log_bad(f, names[i], "not a string");
			continue;
		}
		if (fleet_entry_parse(v->str, v->len, &peers[live], bad, sizeof(bad)) < 0) {
			fleet_log_bad(f, names[i], bad);
			continue;
		}
		if (live != i)
			memcpy(names[live], names[i], sizeof(names[0]));
		live++;
	}
	if (vals)
		freeReplyObject(vals);
	pthread_mutex_lock(&f->lock);
	if (live)
		memcpy(f->peers, peers, live * sizeof(peers[0]));
	f->npeers = live;
	pthread_mutex_unlock(&f->lock);
	fleet_log_changes(f, names, live);
	return 0;
}

/* One period: publish (or withdraw while draining), then read the others. */
static void fleet_round(struct fleet *f)
{
	char why[300];
	int rc;

	fleet_measure(f);
	if (atomic_load_explicit(&f->srv->draining, memory_order_relaxed)) {
		fleet_withdraw(f);
		rc = fleet_read(f, why, sizeof(why));
	} else {
		rc = fleet_publish(f, why, sizeof(why));
		if (rc == 0)
			rc = fleet_read(f, why, sizeof(why));
	}
	if (rc < 0) {
		pthread_mutex_lock(&f->lock);
		f->npeers = 0;
		pthread_mutex_unlock(&f->lock);
		if (!f->redis_down)
			log_warn("fleet: Redis %s: %s; no redirects to peers until it answers",
				 f->conn.where, why);
		f->redis_down = true;
		atomic_store_explicit(&f->redis_up, false, memory_order_relaxed);
		fleet_log_changes(f, NULL, 0);
		return;
	}
	if (f->redis_down)
		log_info("fleet: Redis %s answers again", f->conn.where);
	f->redis_down = false;
	atomic_store_explicit(&f->redis_up, true, memory_order_relaxed);
}

/* Rounds every fleet-interval after the first, which fleet_start() made. */
static void *fleet_thread(void *arg)
{
	struct fleet *f = arg;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until);
	pthread_mutex_lock(&f->lock);
	for (;;) {
		struct timespec now;

		/* a round longer than the interval delays the next, never bunches them */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec)
			until = now;
		until.tv_sec += f->srv->cfg->fleet_interval;
		while (!f->stop && pthread_cond_timedwait(&f->wake, &f->lock, &until) != ETIMEDOUT)
			;
		if (f->stop)
			break;
		pthread_mutex_unlock(&f->lock);
		fleet_round(f);
		pthread_mutex_lock(&f->lock);
	}
	pthread_mutex_unlock(&f->lock);
	fleet_withdraw(f);
	return NULL;
}

int fleet_start(struct server *srv, char *err, size_t errlen)
{
	struct fleet *f = srv->fleet;
	int rc;

	if (!f)
		return 0;
	for (size_t i = 0; i < f->nself; i++) {
		char tls[ADDR_STRLEN] = "";

		if (f->self[i].tls.sa.sa_family)
			addr_str(&f->self[i].tls.sa, tls, sizeof(tls));
		log_info("fleet: publishing %s%s%s in Redis %s every %u s (ttl %u s)",
			 f->self_name[i], tls[0] ? ", TLS " : "", tls, f->conn.where,
			 srv->cfg->fleet_interval, srv->cfg->fleet_ttl);
	}
	/* the first round before "ready": a ready server is in the fleet and knows its peers */
	fleet_round(f);
	rc = pthread_create(&f->thread, NULL, fleet_thread, f);
	if (rc) {
		fleet_withdraw(f);
		snprintf(err, errlen, "fleet: cannot start its thread: %s", strerror(rc));
		return -1;
	}
	f->started = true;
	return 0;
}

void fleet_stop(struct server *srv)
{
	struct fleet *f = srv->fleet;

	if (!f || !f->started)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	f->started = false;
}

void fleet_free(struct server *srv)
{
	struct fleet *f = srv->fleet;

	if (!f)
		return;
	fleet_stop(srv);
	redis_conn_close(&f->conn);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
	srv->fleet = NULL;
}
