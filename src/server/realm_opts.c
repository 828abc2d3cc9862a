/*
 * realm_opts.c - the realm's options in the user store, read while the
 * server runs: coturn's max-bps, user-quota and total-quota (turnadmin -g:
 * rows of turn_realm_option in SQLite, turn/realm/REALM/OPTION keys in
 * Redis). A value in the store overrides the configuration's; an option
 * taken out of the store (turnadmin -g with 0) gives the configuration's
 * back, as coturn's re-read does.
 *
 * A thread of its own with its own store handle reads them at startup and
 * every realm-options-refresh seconds (coturn: every 5 s), so a blocking
 * Redis call never holds a worker. It publishes them in srv->realm_opt with
 * relaxed atomic stores; the workers read them at Allocate (realm_opt()).
 * While the store cannot be read the last values stay: an outage does not
 * lift a quota. Allocations in place keep what they got: a lowered quota
 * refuses new Allocates, a new max-bps holds for allocations made after it.
 * A reload (SIGHUP, reload.c) reads them at once too; one that sets
 * no-dynamic-realms stops applying them (realm_opt()).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "server/server.h"
#include "server/userdb.h"

_Static_assert(REALM_OPTS == USERDB_REALM_OPTION_COUNT, "one slot per realm option");

struct realm_opts {
	struct server *srv;
	struct userdb *db;
	char label[CONFIG_MAX_PATH + 16];
	pthread_t thread;
	bool running, stopping, down;
	pthread_mutex_t lock;
	pthread_cond_t cond;
};

/* The configuration's value of opt. */
static unsigned int realm_opt_config(const struct config *c, int opt)
{
	switch (opt) {
	case REALM_OPT_MAX_BPS:
		return c->max_bps;
	case REALM_OPT_USER_QUOTA:
		return c->user_quota;
	default:
		return c->total_quota;
	}
}

unsigned int realm_opt(const struct server *srv, int opt)
{
	uint64_t v = __atomic_load_n(&srv->realm_opt[opt], __ATOMIC_RELAXED);

	/* no-dynamic-realms set by a reload (SIGHUP) stops applying them */
	if (!v || srv->cfg->no_dynamic_realms)
		return realm_opt_config(srv->cfg, opt);
	return (unsigned int)(v - 1);
}

int realm_opts_read(struct server *srv, struct userdb *db, const char *label)
{
	unsigned long v;
	int ret = 0;

	for (int i = 0; i < REALM_OPTS; i++) {
		int rc = userdb_realm_option(db, srv->realm, userdb_realm_options[i], &v);
		uint64_t got, old;

		if (rc == 0 && v > UINT32_MAX) {
			userdb_set_error(db, "realm '%s' %s %lu is more than %u", srv->realm,
					 userdb_realm_options[i], v, UINT32_MAX);
			rc = -1;
		}
		if (rc < 0) {
			ret = -1; /* this one stays as it was */
			continue;
		}
		got = rc > 0 || v == 0 ? 0 : (uint64_t)v + 1; /* turnadmin: 0 removes it */
		old = __atomic_exchange_n(&srv->realm_opt[i], got, __ATOMIC_RELAXED);
		if (old == got)
			continue;
		/* the configuration is not read here: a reload may be changing it */
		if (got)
			log_info("%s: realm '%s' %s %lu from the store", label, srv->realm,
				 userdb_realm_options[i], v);
		else
			log_info("%s: realm '%s' %s no longer in the store: the configuration's "
				 "applies",
				 label, srv->realm, userdb_realm_options[i]);
	}
	return ret;
}

/* One read by the thread: an outage is said once, and its end. */
static void realm_opts_poll(struct realm_opts *r)
{
	if (realm_opts_read(r->srv, r->db, r->label) < 0) {
		if (!r->down)
			log_warn("%s: realm options not read, the last ones stay in use: %s",
				 r->label, userdb_errmsg(r->db));
		r->down = true;
	} else if (r->down) {
		log_info("%s: realm options read again", r->label);
		r->down = false;
	}
}

static void *realm_opts_main(void *arg)
{
	struct realm_opts *r = arg;
	struct timespec at;

	pthread_mutex_lock(&r->lock);
	while (!r->stopping) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += r->srv->cfg->realm_options_refresh;
		while (!r->stopping && pthread_cond_timedwait(&r->cond, &r->lock, &at) != ETIMEDOUT)
			;
		if (r->stopping)
			break;
		pthread_mutex_unlock(&r->lock);
		realm_opts_poll(r);
		pthread_mutex_lock(&r->lock);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

static void realm_opts_free(struct realm_opts *r)
{
	if (r->db)
		userdb_close(r->db);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

int realm_opts_start(struct server *srv, char *err, size_t errlen)
{
	const struct config *c = srv->cfg;
	struct realm_opts *r;
	pthread_condattr_t ca;

	if (c->no_dynamic_realms || (!c->redis_userdb[0] && !srv->use_userdb))
		return 0; /* no store, or coturn's switch that keeps it out */
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	r->srv = srv;
	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&r->cond, &ca);
	pthread_condattr_destroy(&ca);
	if (c->redis_userdb[0]) {
		snprintf(r->label, sizeof(r->label), "redis-userdb");
		r->db = userdb_open_redis(c->redis_userdb, true, err, errlen);
	} else {
		snprintf(r->label, sizeof(r->label), "userdb %s", c->userdb);
		r->db = userdb_open_sqlite(c->userdb, false, err, errlen);
	}
	if (!r->db)
		goto fail;
	realm_opts_poll(r); /* before the first Allocate */
	if (pthread_create(&r->thread, NULL, realm_opts_main, r) != 0) {
		snprintf(err, errlen, "cannot start the realm options thread");
		goto fail;
	}
	r->running = true;
	srv->realm_opts = r;
	log_info("%s: realm options max-bps, user-quota, total-quota read every %u s "
		 "(realm-options-refresh; no-dynamic-realms turns this off)",
		 r->label, c->realm_options_refresh);
	return 0;
fail:
	realm_opts_free(r);
	return -1;
}

void realm_opts_stop(struct server *srv)
{
	struct realm_opts *r = srv->realm_opts;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_signal(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (r->running)
		pthread_join(r->thread, NULL);
	realm_opts_free(r);
	srv->realm_opts = NULL;
}
