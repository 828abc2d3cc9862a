/*
 * store.c - user lookups in a remote store (Redis) off the workers' data
 * path. A worker never waits for the store: a request whose user's keys it
 * does not have is parked (a copy of the message and where it came from),
 * one lookup per user goes to the store thread, and when the answer comes
 * back the worker caches it and runs the parked requests again, which now
 * find the keys.
 *
 * The store thread owns the only store handle (userdb_redis.c: blocking
 * hiredis calls, each bounded by connect_timeout). When the store fails it
 * logs once per outage, answers every lookup at once with an error (the
 * worker answers 500) and tries the store again at most once a second, so
 * that service resumes by itself when it is back. Allocations in place
 * keep relaying: the data path never asks the store, and their own
 * requests fall back to the allocation's key (auth.c).
 *
 * The same goes for the realm's TURN REST API secrets (use-auth-secret
 * without static-auth-secret): one lookup of the list, cached as a whole.
 *
 * Bounds: STORE_MAX_PARKED requests per worker, STORE_MAX_QUEUE lookups in
 * all, one lookup per user (or of the secrets) at a time; requests with a forged nonce never
 * reach the store (auth.c); found and unknown users are cached for
 * STORE_CACHE_MS in each worker.
 */
#include <event2/event.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "server/dtls.h"
#include "server/server.h"
#include "server/userdb.h"
#include "server/userdb_load.h"

#define STORE_MAX_PARKED 256	 /* requests waiting, per worker */
#define STORE_MAX_QUEUE 1024	 /* lookups waiting for the store thread, in all */
#define STORE_MAX_MSG 4096	 /* longest request parked; TURN requests are far shorter */
#define STORE_CACHE_SLOTS 512	 /* per worker, a power of 2 */
#define STORE_RETRY_MS 1000	 /* while the store is down, how often it is tried */
#define STORE_MAX_SECRETS 64	 /* REST API secrets of the realm kept (auth.c tries as many) */
/* the lookup of the realm's REST API secrets: no user has an empty name */
#define STORE_SECRETS_KEY ""

struct store_job {
	struct store_job *next;
	struct worker *w;
	int rc; /* as userdb_get_keys(); for secrets 0 or -1 */
	uint64_t ns; /* how long the store took; 0: not asked (down, refused at once) */
	struct user_keys keys;
	char *secrets; /* STORE_SECRETS_KEY: nsecrets NUL-terminated strings, end to end */
	size_t nsecrets, secrets_len;
	char user[];	/* or STORE_SECRETS_KEY */
};

struct store {
	struct server *srv;
	struct userdb *db;
	pthread_t thread;
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct store_job *head, **tail;
	unsigned int queued;
	bool stopping;
	/* the store thread's own */
	bool down;
	uint64_t retry_ms;
	uint64_t failed; /* lookups answered with an error in this outage */
};

struct store_parked {
	struct store_parked *next;
	struct udp_listener *lsn;
	struct tcp_conn *tcp;
	struct dtls_session *dtls;
	union sockaddr_u client, local;
	char *user;
	size_t len;
	uint8_t buf[];
};

struct store_cache {
	char *user; /* NULL: free */
	uint64_t expires_ms;
	int rc; /* 0 found, 1 unknown */
	struct user_keys keys;
};

/* The store thread */

static int store_secret_add(void *arg, const char *realm, const char *secret)
{
	struct store_job *job = arg;
	size_t n = strlen(secret) + 1;
	char *grown;

	(void)realm;
	if (job->nsecrets >= STORE_MAX_SECRETS)
		return 0;
	grown = realloc(job->secrets, job->secrets_len + n);
	if (!grown)
		return -1;
	memcpy(grown + job->secrets_len, secret, n);
	job->secrets = grown;
	job->secrets_len += n;
	job->nsecrets++;
	return 0;
}

/* One lookup; the outage's first failure and its end are logged, nothing else. */
static void store_lookup_one(struct store *st, struct store_job *job)
{
	uint64_t now = clock_ms(), t0;

	if (st->down && now < st->retry_ms) {
		job->rc = -1;
		st->failed++;
		return;
	}
	t0 = clock_ns();
	if (strcmp(job->user, STORE_SECRETS_KEY) == 0)
		job->rc = userdb_list_secrets(st->db, st->srv->realm, store_secret_add, job) ? -1 : 0;
	else
		job->rc = userdb_get_keys(st->db, st->srv->realm, job->user, &job->keys);
	job->ns = clock_ns() - t0;
	job->ns += !job->ns; /* asked, however fast the clock says it answered */
	if (job->rc < 0) {
		if (!st->down)
			log_error("user store unreachable: %s; new authentications get 500 until "
				  "it is back (allocations in place go on)",
				  userdb_errmsg(st->db));
		st->down = true;
		st->retry_ms = now + STORE_RETRY_MS;
		st->failed++;
	} else if (st->down) {
		log_info("user store reachable again (%" PRIu64 " lookups failed meanwhile)",
			 st->failed);
		st->down = false;
		st->failed = 0;
	}
}

static void store_deliver(struct store_job *job)
{
	struct worker *w = job->w;

	pthread_mutex_lock(&w->store_lock);
	job->next = w->store_done;
	w->store_done = job;
	pthread_mutex_unlock(&w->store_lock);
	event_active(w->store_ev, 0, 0);
}

static void *store_main(void *arg)
{
	struct store *st = arg;

	pthread_mutex_lock(&st->lock);
	for (;;) {
		struct store_job *job;

		while (!st->head && !st->stopping)
			pthread_cond_wait(&st->cond, &st->lock);
		if (st->stopping)
			break;
		job = st->head;
		st->head = job->next;
		if (!st->head)
			st->tail = &st->head;
		st->queued--;
		pthread_mutex_unlock(&st->lock);
		store_lookup_one(st, job);
		store_deliver(job);
		pthread_mutex_lock(&st->lock);
	}
	pthread_mutex_unlock(&st->lock);
	return NULL;
}

static void store_secrets_free(char *secrets, size_t len)
{
	if (secrets)
		explicit_bzero(secrets, len);
	free(secrets);
}

static void store_job_free(struct store_job *job)
{
	explicit_bzero(&job->keys, sizeof(job->keys));
	store_secrets_free(job->secrets, job->secrets_len);
	free(job);
}

int store_start(struct server *srv, char *err, size_t errlen)
{
	struct store *st = calloc(1, sizeof(*st));

	if (!st) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	st->srv = srv;
	st->tail = &st->head;
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	st->db = userdb_open_redis(srv->cfg->redis_userdb, true, err, errlen);
	if (!st->db)
		goto fail;
	if (userdb_ping(st->db) < 0) {
		log_warn("user store unreachable at startup: %s; new authentications get 500 "
			 "until it is reachable",
			 userdb_errmsg(st->db));
		st->down = true;
		st->retry_ms = clock_ms() + STORE_RETRY_MS;
	}
	if (pthread_create(&st->thread, NULL, store_main, st) != 0) {
		snprintf(err, errlen, "cannot start the user store thread");
		goto fail;
	}
	st->running = true;
	srv->store = st;
	return 0;
fail:
	if (st->db)
		userdb_close(st->db);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st);
	return -1;
}

/* Before the workers are freed: the thread delivers to them. */
void store_stop(struct server *srv)
{
	struct store *st = srv->store;

	if (!st)
		return;
	pthread_mutex_lock(&st->lock);
	st->stopping = true;
	pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
	if (st->running)
		pthread_join(st->thread, NULL);
	while (st->head) {
		struct store_job *job = st->head;

		st->head = job->next;
		store_job_free(job);
	}
	userdb_close(st->db);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->lock);
	free(st);
	srv->store = NULL;
}

/* Startup: the realm's peer ranges (coturn's keys), once (userdb_load.h) */
void store_read_realm(struct config *cfg, const char *realm)
{
	char err[USERDB_ERR_LEN];
	struct userdb *db;

	if (cfg->no_dynamic_ip_list)
		return;
	db = userdb_open_redis(cfg->redis_userdb, false, err, sizeof(err));
	if (!db) {
		log_warn("redis-userdb: peer ranges not read: %s", err);
		return;
	}
	userdb_apply_realm(cfg, db, realm, "redis-userdb", NULL);
	userdb_close(db);
}

/* The worker's side */

static uint32_t store_hash(const struct worker *w, const char *user)
{
	uint32_t h = 2166136261u ^ w->hash_seed;

	for (; *user; user++)
		h = (h ^ (uint8_t)*user) * 16777619u;
	return h;
}

static struct store_cache *store_slot(struct worker *w, const char *user)
{
	return &w->store_cache[store_hash(w, user) & (STORE_CACHE_SLOTS - 1)];
}

static void store_cache_clear(struct store_cache *e)
{
	free(e->user);
	explicit_bzero(e, sizeof(*e));
}

int store_lookup(struct worker *w, const char *user, struct user_keys *keys)
{
	struct store_cache *e;

	if (w->store_resume && strcmp(w->store_resume->user, user) == 0) {
		if (w->store_resume->rc == 0)
			*keys = w->store_resume->keys;
		return w->store_resume->rc;
	}
	e = store_slot(w, user);
	if (e->user && strcmp(e->user, user) == 0) {
		if (clock_ms() < e->expires_ms) {
			if (e->rc == 0)
				*keys = e->keys;
			return e->rc;
		}
		store_cache_clear(e);
	}
	return STORE_PENDING;
}

/* cb for each secret of secrets (as userdb_list_secrets() calls it) */
static int store_secrets_walk(const struct worker *w, const char *secrets, size_t n,
			      int (*cb)(void *arg, const char *realm, const char *secret), void *arg)
{
	for (size_t i = 0; i < n; i++) {
		int rc = cb(arg, w->srv->realm, secrets);

		if (rc)
			return rc;
		secrets += strlen(secrets) + 1;
	}
	return 0;
}

int store_secrets(struct worker *w, int (*cb)(void *arg, const char *realm, const char *secret),
		  void *arg)
{
	const struct store_job *r = w->store_resume;

	if (r && strcmp(r->user, STORE_SECRETS_KEY) == 0)
		return r->rc < 0 ? -1 : store_secrets_walk(w, r->secrets, r->nsecrets, cb, arg);
	if (w->store_secrets_expires_ms && clock_ms() < w->store_secrets_expires_ms)
		return store_secrets_walk(w, w->store_secrets, w->store_nsecrets, cb, arg);
	return STORE_PENDING;
}

static void store_cache_put(struct worker *w, struct store_job *job)
{
	struct store_cache *e;

	if (job->rc < 0)
		return;
	if (strcmp(job->user, STORE_SECRETS_KEY) == 0) {
		/* the resumed requests read them from the job: a copy for the cache */
		char *copy = job->secrets_len ? malloc(job->secrets_len) : NULL;

		if (job->secrets_len && !copy)
			return;
		if (copy)
			memcpy(copy, job->secrets, job->secrets_len);
		store_secrets_free(w->store_secrets, w->store_secrets_len);
		w->store_secrets = copy;
		w->store_secrets_len = job->secrets_len;
		w->store_nsecrets = job->nsecrets;
		w->store_secrets_expires_ms = clock_ms() + STORE_CACHE_MS;
		return;
	}
	e = store_slot(w, job->user);
	store_cache_clear(e);
	e->user = strdup(job->user);
	if (!e->user)
		return;
	e->rc = job->rc;
	e->keys = job->keys;
	e->expires_ms = clock_ms() + STORE_CACHE_MS;
}

static bool store_user_parked(const struct worker *w, const char *user)
{
	for (const struct store_parked *p = w->store_parked; p; p = p->next)
		if (strcmp(p->user, user) == 0)
			return true;
	return false;
}

/* Queue a lookup of user for w: 0 or -1 (queue full, stopping, no memory). */
static int store_submit(struct worker *w, const char *user)
{
	struct store *st = w->srv->store;
	size_t n = strlen(user) + 1;
	struct store_job *job = calloc(1, sizeof(*job) + n);
	int ret = -1;

	if (!job)
		return -1;
	job->w = w;
	memcpy(job->user, user, n);
	pthread_mutex_lock(&st->lock);
	if (!st->stopping && st->queued < STORE_MAX_QUEUE) {
		*st->tail = job;
		st->tail = &job->next;
		st->queued++;
		pthread_cond_signal(&st->cond);
		ret = 0;
	}
	pthread_mutex_unlock(&st->lock);
	if (ret < 0)
		free(job);
	return ret;
}

int store_park(const struct origin *o, const struct stun_msg *m, const struct auth_result *auth)
{
	struct worker *w = o->w;
	const char *user = auth->pending_secrets ? STORE_SECRETS_KEY : auth->username;
	struct store_parked *p;

	if (w->store_nparked >= STORE_MAX_PARKED || m->len > STORE_MAX_MSG) {
		w->stats.store_refused++;
		return -1;
	}
	if (!store_user_parked(w, user) && store_submit(w, user) < 0) {
		w->stats.store_refused++;
		return -1;
	}
	p = calloc(1, sizeof(*p) + m->len);
	if (!p)
		return -1;
	p->user = strdup(user);
	if (!p->user) {
		free(p);
		return -1;
	}
	p->lsn = o->lsn;
	p->tcp = o->tcp;
	p->dtls = o->dtls;
	p->client = o->client;
	p->local = o->local;
	p->len = m->len;
	memcpy(p->buf, m->buf, m->len);
	p->next = w->store_parked;
	w->store_parked = p;
	w->store_nparked++;
	return 0;
}

static void store_parked_free(struct worker *w, struct store_parked **pp)
{
	struct store_parked *p = *pp;

	*pp = p->next;
	w->store_nparked--;
	free(p->user);
	free(p);
}

void store_forget_conn(struct worker *w, const void *conn)
{
	struct store_parked **pp = &w->store_parked;

	while (*pp) {
		if ((const void *)(*pp)->tcp == conn || (const void *)(*pp)->dtls == conn)
			store_parked_free(w, pp);
		else
			pp = &(*pp)->next;
	}
}

/* The requests parked for job's user run again, with its answer. */
static void store_resume(struct worker *w, const struct store_job *job)
{
	struct store_parked **pp = &w->store_parked;

	w->store_resume = job;
	while (*pp) {
		struct store_parked *p = *pp;

		if (strcmp(p->user, job->user) != 0) {
			pp = &p->next;
			continue;
		}
		/* off the list first: the request may close its connection */
		*pp = p->next;
		w->store_nparked--;
		if (p->dtls)
			dtls_session_message(p->dtls, p->buf, p->len);
		else
			worker_resume_message(w, p->lsn, p->tcp, &p->client, &p->local, p->buf,
					      p->len);
		free(p->user);
		free(p);
		pp = &w->store_parked; /* the list may have changed under the call */
	}
	w->store_resume = NULL;
}

static void store_done_cb(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct store_job *job;

	(void)fd, (void)what;
	pthread_mutex_lock(&w->store_lock);
	job = w->store_done;
	w->store_done = NULL;
	pthread_mutex_unlock(&w->store_lock);
	while (job) {
		struct store_job *next = job->next;

		store_stats_record(&w->stats, job->rc, job->ns != 0, job->ns);
		store_cache_put(w, job);
		store_resume(w, job);
		store_job_free(job);
		job = next;
	}
}

int store_worker_init(struct worker *w)
{
	pthread_mutex_init(&w->store_lock, NULL);
	w->store_lock_init = true;
	if (!w->srv->store)
		return 0;
	w->store_cache = calloc(STORE_CACHE_SLOTS, sizeof(*w->store_cache));
	w->store_ev = event_new(w->base, -1, 0, store_done_cb, w);
	return w->store_cache && w->store_ev ? 0 : -1;
}

/* After the worker's thread and the store thread have stopped. */
void store_worker_free(struct worker *w)
{
	while (w->store_parked)
		store_parked_free(w, &w->store_parked);
	while (w->store_done) {
		struct store_job *job = w->store_done;

		w->store_done = job->next;
		store_job_free(job);
	}
	store_secrets_free(w->store_secrets, w->store_secrets_len);
	w->store_secrets = NULL;
	if (w->store_cache) {
		for (int i = 0; i < STORE_CACHE_SLOTS; i++)
			store_cache_clear(&w->store_cache[i]);
		free(w->store_cache);
		w->store_cache = NULL;
	}
	if (w->store_ev)
		event_free(w->store_ev);
	w->store_ev = NULL;
	if (w->store_lock_init)
		pthread_mutex_destroy(&w->store_lock);
	w->store_lock_init = false;
}
