/*
 * reload.c - SIGHUP: the configuration read again and what a running
 * server can take of it applied, nothing dropped (reload.h).
 */
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "common/log.h"
#include "server/reload.h"
#include "server/server.h"
#include "server/userdb.h"
#include "server/userdb_load.h"

#define RELOAD_HOLD_WAIT_S 10 /* every worker reaches its loop within this, or no reload */
#define RELOAD_MAX_APPLY 32   /* reloadable options (config_reload.c) */

/*
 * Workers held in their loops: a one-shot event each waits here until the
 * main thread releases them. gen tells a late event of a hold given up from
 * the hold now.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uintptr_t gen;
	int held;
	bool release;
} reload_gate = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, false};

static void reload_hold_here(evutil_socket_t fd, short what, void *arg)
{
	uintptr_t gen = (uintptr_t)arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&reload_gate.lock);
	if (reload_gate.gen == gen) {
		reload_gate.held++;
		pthread_cond_broadcast(&reload_gate.cond);
		while (reload_gate.gen == gen && !reload_gate.release)
			pthread_cond_wait(&reload_gate.cond, &reload_gate.lock);
		reload_gate.held--;
		pthread_cond_broadcast(&reload_gate.cond);
	}
	pthread_mutex_unlock(&reload_gate.lock);
}

static void reload_release_workers(void)
{
	pthread_mutex_lock(&reload_gate.lock);
	reload_gate.release = true;
	pthread_cond_broadcast(&reload_gate.cond);
	while (reload_gate.held > 0)
		pthread_cond_wait(&reload_gate.cond, &reload_gate.lock);
	pthread_mutex_unlock(&reload_gate.lock);
}

/* Every worker waiting in reload_hold_here(): 0, or -1 (none held) after RELOAD_HOLD_WAIT_S. */
static int reload_hold_workers(struct server *srv)
{
	const struct timeval now_tv = {0, 0};
	struct timespec until;
	uintptr_t gen;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += RELOAD_HOLD_WAIT_S;
	pthread_mutex_lock(&reload_gate.lock);
	gen = ++reload_gate.gen;
	reload_gate.release = false;
	pthread_mutex_unlock(&reload_gate.lock);
	for (int i = 0; i < srv->nworkers; i++)
		if (event_base_once(srv->workers[i].base, -1, EV_TIMEOUT, reload_hold_here,
				    (void *)gen, &now_tv) < 0)
			rc = -1;
	pthread_mutex_lock(&reload_gate.lock);
	while (rc == 0 && reload_gate.held < srv->nworkers)
		if (pthread_cond_timedwait(&reload_gate.cond, &reload_gate.lock, &until) != 0)
			rc = -1;
	pthread_mutex_unlock(&reload_gate.lock);
	if (rc < 0)
		reload_release_workers();
	return rc;
}

/* What a reload found and built, before anything running is touched. */
struct reload_plan {
	struct server *srv;
	struct config *cfg; /* the new one; after the swap, the old values */
	const char *apply[RELOAD_MAX_APPLY];
	size_t napply;
	char restart[1024]; /* options that need a restart, ", "-separated */
	bool users, policy, limits, log_dest, log_level;
	bool store_unread; /* what the store may set stays as it runs */
	struct static_user *new_users;
	size_t new_nusers;
	struct peer_policy *new_policy;
};

static void reload_list_add(char *list, size_t cap, const char *name)
{
	size_t len = strlen(list);

	if (len + strlen(name) + 3 < cap)
		snprintf(list + len, cap - len, "%s%s", len ? ", " : "", name);
}

static bool reload_is(const char *name, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

#define RELOAD_IS(name, names) reload_is(name, names, sizeof(names) / sizeof(names[0]))

static void reload_changed(void *arg, const char *option, bool reloadable)
{
	static const char *const users[] = {"user"};
	static const char *const policy[] = {"allowed-peer-ip", "denied-peer-ip",
					     "allow-loopback-peers", "no-multicast-peers",
					     "no-loopback-peers"};
	static const char *const limits[] = {"user-port-share", "ip-port-share",
					     "max-tcp-connections"};
	static const char *const log_dest[] = {"log-file", "syslog"};
	static const char *const log_level[] = {"verbose", "Verbose"};
	/* the store's realm options are kept apart (realm_opts.c): only its ranges are here */
	static const char *const store_set[] = {"allowed-peer-ip", "denied-peer-ip"};
	struct reload_plan *p = arg;
	const struct config *old = p->srv->cfg;

	/* between static secrets and the store's: the store is opened at startup or never */
	if (strcmp(option, "static-auth-secret") == 0 && old->use_auth_secret &&
	    !old->static_auth_secret_count != !p->cfg->static_auth_secret_count)
		reloadable = false;
	if (p->store_unread && RELOAD_IS(option, store_set))
		reloadable = false;
	if (!reloadable || p->napply == RELOAD_MAX_APPLY) {
		reload_list_add(p->restart, sizeof(p->restart), option);
		return;
	}
	p->apply[p->napply++] = option;
	p->users |= RELOAD_IS(option, users);
	p->policy |= RELOAD_IS(option, policy);
	p->limits |= RELOAD_IS(option, limits);
	p->log_dest |= RELOAD_IS(option, log_dest);
	p->log_level |= RELOAD_IS(option, log_level);
}

/*
 * The user store's peer ranges into the new configuration and its realm
 * options into the running server (realm_opts.c, which also reads them
 * every realm-options-refresh seconds), from the store the server runs
 * with (as at startup: userdb_load.h), so that a reload keeps what the
 * store set and takes what it sets now.
 */
static int reload_store_realm(struct server *srv, struct config *c, char *err, size_t errlen)
{
	const struct config *run = srv->cfg;
	char label[CONFIG_MAX_PATH + 8];
	struct userdb *db;

	if (c->no_dynamic_ip_list && c->no_dynamic_realms)
		return 0;
	if (run->redis_userdb[0]) {
		db = userdb_open_redis(run->redis_userdb, false, err, errlen);
		snprintf(label, sizeof(label), "redis-userdb");
	} else if (srv->use_userdb) {
		db = userdb_open_sqlite(run->userdb, false, err, errlen);
		snprintf(label, sizeof(label), "userdb %s", run->userdb);
	} else {
		return 0;
	}
	if (!db)
		return -1;
	userdb_apply_realm(c, db, srv->realm, label, NULL);
	if (!c->no_dynamic_realms && realm_opts_read(srv, db, label) < 0)
		log_warn("SIGHUP: %s: realm options not all read, the last ones stay: %s", label,
			 userdb_errmsg(db));
	userdb_close(db);
	return 0;
}

/*
 * The peer policy as it will run: the new configuration's peer options,
 * but the running peer lists when the store was not read again (they keep
 * the store's ranges then).
 */
static int reload_build_policy(struct reload_plan *p, char *err, size_t errlen)
{
	const struct config *run = p->srv->cfg;
	struct config *view = malloc(sizeof(*view)); /* a shallow copy, only read */
	int rc = -1;

	p->new_policy = malloc(sizeof(*p->new_policy));
	if (!view || !p->new_policy) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*view = *p->cfg;
	if (p->store_unread) {
		memcpy(view->allowed_peer_ip, run->allowed_peer_ip, sizeof(view->allowed_peer_ip));
		view->allowed_peer_ip_count = run->allowed_peer_ip_count;
		memcpy(view->denied_peer_ip, run->denied_peer_ip, sizeof(view->denied_peer_ip));
		view->denied_peer_ip_count = run->denied_peer_ip_count;
	}
	rc = relay_policy_rebuild(&p->srv->relay, view, p->new_policy, err, errlen);
out:
	free(view);
	return rc;
}

/* Everything new built, nothing running touched: 0, or -1 with err. */
static int reload_prepare(struct reload_plan *p, int argc, char **argv, char *err, size_t errlen)
{
	struct server *srv = p->srv;
	const char *file = srv->cfg->config_file;
	char why[USERDB_ERR_LEN];

	config_init(p->cfg);
	if (config_parse_args(p->cfg, argc, argv, err, errlen) != 0) {
		/* a rule between options (min-port above max-port) has no line: the file, then */
		size_t pre = file ? strlen(file) + 2 : 0, len = strlen(err);

		if (file && strncmp(err, file, pre - 2) != 0 && err[0] != '-' &&
		    pre + len < errlen) {
			memmove(err + pre, err, len + 1);
			memcpy(err, file, pre - 2);
			memcpy(err + pre - 2, ": ", 2);
		}
		return -1;
	}
	if (reload_store_realm(srv, p->cfg, why, sizeof(why)) < 0) {
		/* e.g. a store only root may open, after proc-user: the rest still reloads */
		log_warn("SIGHUP: the user store's realm options and peer ranges not read again "
			 "(%s): the store's user-quota, total-quota, max-bps and the peer ranges "
			 "keep their running values",
			 why);
		p->store_unread = true;
	}
	config_diff(srv->cfg, p->cfg, reload_changed, p);
	if (p->users &&
	    auth_static_users(p->cfg, srv->realm, &p->new_users, &p->new_nusers, err, errlen) < 0)
		return -1;
	if (p->users && srv->cfg->use_auth_secret)
		log_warn("SIGHUP: use-auth-secret: the %zu user= entries are not used (only TURN "
			 "REST API credentials are)",
			 p->cfg->user_count);
	if (p->policy)
		return reload_build_policy(p, err, errlen);
	return 0;
}

static void reload_plan_free(struct reload_plan *p)
{
	auth_static_users_free(p->new_users, p->new_nusers);
	free(p->new_policy);
	config_free(p->cfg);
	free(p->cfg);
}

/* With every reader held: the new values in, the old ones into p to be freed. */
static void reload_swap(struct reload_plan *p)
{
	struct server *srv = p->srv;

	for (size_t i = 0; i < p->napply; i++)
		config_swap_option(srv->cfg, p->cfg, p->apply[i]);
	if (p->users) {
		struct static_user *u = srv->users;
		size_t n = srv->nusers;

		srv->users = p->new_users;
		srv->nusers = p->new_nusers;
		p->new_users = u;
		p->new_nusers = n;
	}
	if (p->policy)
		srv->relay.policy = *p->new_policy;
	if (p->limits)
		limits_reconfigure(srv);
	if (p->log_level)
		log_set_level(srv->cfg->verbose ? LOG_DEBUG : LOG_INFO);
}

static bool reload_same_dest(const char *a, const char *b)
{
	a = a ? a : "stderr";
	b = b ? b : "stderr";
	return strcmp(a, b) == 0;
}

/*
 * The log to its new destination, with the readers held and before any
 * value is swapped: 0, or -1 (logged) when it does not open, and the old
 * destination stays.
 */
static int reload_log_switch(const struct reload_plan *p)
{
	const char *to = config_log_destination(p->cfg);
	char err[512];

	log_info("SIGHUP: log lines go to %s from now on", to ? to : "stderr");
	if (log_open(to, err, sizeof(err)) < 0) {
		log_error("SIGHUP: configuration not reloaded, the running one stays: %s", err);
		return -1;
	}
	return 0;
}

/* An option given anew that config_notices() names, as at startup. */
static void reload_notice(void *arg, const char *option, const char *text)
{
	(void)arg;
	log_info("SIGHUP: option %s: %s", option, text);
}

/* One line of what was applied. */
static void reload_say(const struct reload_plan *p, const char *from)
{
	char names[1024] = "";

	for (size_t i = 0; i < p->napply; i++)
		reload_list_add(names, sizeof(names), p->apply[i]);
	if (p->restart[0])
		log_warn("SIGHUP: changed in %s but taken only at a restart, the running values "
			 "stay: %s",
			 from, p->restart);
	if (p->napply)
		log_info("SIGHUP: configuration reloaded from %s: %s applied; allocations and "
			 "calls kept",
			 from, names);
	else
		log_info("SIGHUP: configuration read again from %s: nothing to apply", from);
}

int reload_config(struct server *srv, int argc, char **argv, const struct reload_hooks *hooks)
{
	struct reload_plan p = {.srv = srv};
	const char *from = srv->cfg->config_file ? srv->cfg->config_file : "the command line";
	char err[1024];
	int rc;

	/* the file as rotated, first: even a configuration that does not load gets it */
	if (log_reopen() < 0)
		log_error("SIGHUP: cannot reopen the log file: %s", strerror(errno));
	else
		log_info("SIGHUP: log file reopened");
	p.cfg = calloc(1, sizeof(*p.cfg));
	if (!p.cfg) {
		log_error("SIGHUP: configuration not reloaded, the running one stays: out of "
			  "memory");
		return -1;
	}
	if (reload_prepare(&p, argc, argv, err, sizeof(err)) < 0) {
		log_error("SIGHUP: configuration not reloaded, the running one stays: %s", err);
		reload_plan_free(&p);
		return -1;
	}
	config_notices_new(srv->cfg, p.cfg, reload_notice, NULL);
	if (p.log_dest &&
	    reload_same_dest(config_log_destination(srv->cfg), config_log_destination(p.cfg)))
		p.log_dest = false;
	if (p.napply) {
		if (reload_hold_workers(srv) < 0) {
			log_error("SIGHUP: configuration not reloaded, the running one stays: a "
				  "worker did not answer within %d s",
				  RELOAD_HOLD_WAIT_S);
			reload_plan_free(&p);
			return -1;
		}
		if (hooks && hooks->hold)
			hooks->hold(hooks->arg);
		rc = p.log_dest ? reload_log_switch(&p) : 0;
		if (rc == 0)
			reload_swap(&p);
		if (hooks && hooks->release)
			hooks->release(hooks->arg);
		reload_release_workers();
		if (rc < 0) {
			reload_plan_free(&p);
			return -1;
		}
	}
	/* the options noticed now are not noticed again at the next reload */
	memcpy(srv->cfg->notices, p.cfg->notices, sizeof(srv->cfg->notices));
	reload_say(&p, from);
	reload_plan_free(&p);
	return 0;
}
