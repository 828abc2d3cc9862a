/*
 * main.c - turnserver: reads the configuration, picks the embedded
 * defaults, prepares the user store (a demo user with a random password
 * on first run), starts the workers and waits for signals: SIGTERM and
 * SIGINT stop cleanly, SIGHUP reloads the configuration (reload.h: users,
 * secrets, quotas, caps, peer policy, alternate servers, the log; the log
 * file reopened), SIGUSR2 reloads the
 * TLS/DTLS certificates and keys (tls.h), SIGUSR1 drains (new Allocates go
 * to alternate-server, or get 486; the process stops when the last
 * allocation and call have ended). With daemon it forks first (daemon.h);
 * with proc-user it drops root once everything is bound and opened, before
 * its threads start (privdrop.h). Under a systemd unit of Type=notify it
 * says READY, RELOADING and STOPPING over NOTIFY_SOCKET (sdnotify.h).
 */
#include <errno.h>
#include <event2/thread.h>
#include <linux/capability.h>
#include <openssl/rand.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/config.h"
#include "common/iceservers.h"
#include "common/log.h"
#include "common/version.h"
#include "anchor/anchor.h"
#include "server/dtls.h"
#include "server/server.h"
#include "common/sdnotify.h"
#include "server/daemon.h"
#include "server/privdrop.h"
#include "server/reload.h"
#include "server/metrics.h"
#include "server/fleet.h"
#include "server/webadmin.h"
#include "server/redis_conninfo.h"
#include "server/tls.h"
#include "server/userdb.h"
#include "server/userdb_load.h"

#define DEMO_USER "demo"
#define DEMO_PASSWORD_LEN 20

static void random_password(char *out, size_t len)
{
	static const char alphabet[] =
		"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
	uint8_t rnd[64];

	RAND_bytes(rnd, sizeof(rnd));
	for (size_t i = 0; i < len; i++)
		out[i] = alphabet[rnd[i] % (sizeof(alphabet) - 1)];
	out[len] = '\0';
}

static int count_secret(void *arg, const char *realm, const char *secret)
{
	(void)realm;
	(void)secret;
	++*(size_t *)arg;
	return 0;
}

/*
 * use-auth-secret: the secrets are static-auth-secret's, and the store is
 * not read; or, with none, the store's for the realm, read per request so
 * that turnadmin -s/-X take effect at once. 1: go on to open the store.
 */
static int setup_rest_secrets(struct server *srv)
{
	const struct config *c = srv->cfg;

	if (c->user_count)
		log_warn("use-auth-secret: the %zu user= entries are not used (only TURN REST API "
			 "credentials are, as in coturn)",
			 c->user_count);
	if (c->static_auth_secret_count) {
		log_info("use-auth-secret: %zu static-auth-secret(s); userdb is not read",
			 c->static_auth_secret_count);
		return 0;
	}
	return 1;
}

/*
 * Opens (creating on first run) the SQLite user store into *out, or leaves
 * it NULL when it is not used (redis-userdb, static-auth-secret), and
 * takes the realm's options and peer ranges from it (userdb_load.h):
 * before the peer policy and the limits are set up.
 */
static int open_userdb(struct server *srv, struct userdb **out)
{
	struct config *c = srv->cfg;
	bool is_default = strcmp(c->userdb, CONFIG_DEFAULT_USERDB) == 0;
	char err[512], label[CONFIG_MAX_PATH + 8];
	struct userdb *db;

	*out = NULL;
	if (c->use_auth_secret && setup_rest_secrets(srv) == 0)
		return 0;
	if (c->redis_userdb[0])
		return 0; /* store_read_realm() */
	db = userdb_open_sqlite(c->userdb, true, err, sizeof(err));
	if (!db) {
		if (is_default && srv->nusers && !c->use_auth_secret) {
			log_warn("%s; using only the user= lines", err);
			return 0;
		}
		log_error("%s", err);
		return -1;
	}
	srv->use_userdb = true;
	*out = db;
	snprintf(label, sizeof(label), "userdb %s", c->userdb);
	userdb_apply_realm(c, db, srv->realm, label, NULL);
	return userdb_audit(c, db, srv->realm, label, NULL);
}

/*
 * Starts the Redis store thread (redis-userdb), or with the SQLite store
 * db and no user at all, adds the demo user with a random password and
 * returns that password once (not under use-auth-secret, which has no
 * users).
 */
static int setup_userdb(struct server *srv, struct userdb *db, char *password, size_t cap)
{
	const struct config *c = srv->cfg;
	bool is_default = strcmp(c->userdb, CONFIG_DEFAULT_USERDB) == 0;
	size_t nsecrets = 0;
	char err[512];

	password[0] = '\0';
	if (c->use_auth_secret && c->static_auth_secret_count)
		return 0; /* setup_rest_secrets() */
	if (c->redis_userdb[0]) {
		/* someone else's store: read, never given a demo user */
		if (store_start(srv, err, sizeof(err)) < 0) {
			log_error("redis-userdb: %s", err);
			return -1;
		}
		log_info("users from Redis (redis-userdb), looked up off the workers");
		if (!is_default)
			log_warn("userdb %s is not used: redis-userdb is", c->userdb);
		return 0;
	}
	if (!db)
		return 0;
	if (c->use_auth_secret) {
		if (userdb_list_secrets(db, srv->realm, count_secret, &nsecrets) < 0)
			log_warn("%s", userdb_errmsg(db));
		else if (nsecrets == 0)
			log_warn("use-auth-secret: no secret for realm '%s' in %s yet: add one with "
				 "turnadmin -s SECRET -r %s -b %s",
				 srv->realm, c->userdb, srv->realm, c->userdb);
		else
			log_info("use-auth-secret: %zu secret(s) for realm '%s' in %s", nsecrets,
				 srv->realm, c->userdb);
	} else if (!srv->nusers && userdb_count(db) == 0 && cap > DEMO_PASSWORD_LEN) {
		random_password(password, DEMO_PASSWORD_LEN);
		if (userdb_set_password(db, srv->realm, DEMO_USER, password) < 0) {
			log_error("%s", userdb_errmsg(db));
			return -1;
		}
	}
	return 0;
}

/* The port turns: URLs name: tls-listening-port's listener, or 0 with TLS off. */
static uint16_t tls_port(const struct server *srv)
{
	const struct config *c = srv->cfg;

	if (!tls_ctx_on(srv->tls, TLS_KIND_TLS))
		return 0;
	return c->tls_listening_port ? c->tls_listening_port : c->listening_port;
}

static void print_ice_servers(const struct server *srv, const char *password)
{
	const struct config *c = srv->cfg;
	const struct sockaddr *host = NULL;
	char ip[ADDR_STRLEN], json[1024];
	const char *user = srv->nusers ? srv->users[0].name : DEMO_USER;

	if (c->use_auth_secret || (c->redis_userdb[0] && !srv->nusers))
		user = NULL; /* no demo user in someone else's Redis */

	if (c->external_ip_count)
		host = (const struct sockaddr *)&c->external_ip[0].public_ip.addr;
	for (int pass = 0; !host && pass < 3; pass++)
		for (int i = 0; !host && i < srv->relay.nlisten; i++)
			if ((pass == 0 && srv->relay.listen[i].sa.sa_family == AF_INET &&
			     !relay_is_loopback(&srv->relay.listen[i])) ||
			    (pass == 1 && !relay_is_loopback(&srv->relay.listen[i])) || pass == 2)
				host = &srv->relay.listen[i].sa;
	addr_ip_str(host, ip, sizeof(ip));
	if (ice_servers_json_tls(json, sizeof(json), ip, c->listening_port, !c->no_udp, !c->no_tcp,
				 tls_port(srv), user, password[0] ? password : NULL) < 0)
		return;
	if (password[0])
		printf("first run: created user '%s' in realm '%s' with password '%s'\n"
		       "(shown only this once; change it with: turnadmin -a -u %s -r %s -p NEW)\n",
		       DEMO_USER, srv->realm, password, DEMO_USER, srv->realm);
	printf("iceServers for new RTCPeerConnection({iceServers: ...}):\n%s\n", json);
	if (c->use_auth_secret)
		printf("(username and credential: time-limited, from a secret; print them with "
		       "turnadmin --ice-servers --ttl SECONDS)\n");
	else if (!user)
		printf("(username and credential: a user of the Redis store; add one with "
		       "turnadmin -a -N ...)\n");
	else if (!password[0] && !srv->nusers)
		printf("(credential: the password of user '%s'; set one with turnadmin -a)\n", user);
	fflush(stdout);
}

static int write_pidfile(const char *path)
{
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	fprintf(f, "%ld\n", (long)getpid());
	return fclose(f);
}

/* Every allocation holds a socket: lift the soft fd limit to the hard one. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
		log_warn("cannot raise the open file limit: %s", strerror(errno));
	else
		log_info("open file limit %llu", (unsigned long long)rl.rlim_cur);
}

static unsigned int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (unsigned int)n : 1;
}

static void server_free(struct server *srv)
{
	fleet_free(srv);
	store_stop(srv);
	auth_static_users_free(srv->users, srv->nusers);
	server_reservations_free(srv);
	limits_free(srv);
	mobility_free(srv);
	tls_ctx_free(srv->tls);
	srv->tls = NULL;
	free(srv->workers);
	pthread_mutex_destroy(&srv->lock);
}

/*
 * SO_REUSEPORT lets a second turnserver share our ports silently; a probe
 * bind without it fails while anyone holds the port.
 */
static int probe_port_free(const union sockaddr_u *addr, int type)
{
	char buf[ADDR_STRLEN];
	int fd = socket(addr->sa.sa_family, type | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0)
		return -1;
	if (addr->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, &addr->sa, addr_len(&addr->sa)) < 0) {
		log_error("cannot listen on %s %s: %s", type == SOCK_STREAM ? "TCP" : "UDP",
			  addr_str(&addr->sa, buf, sizeof(buf)), strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

static int probe_listen_ports(const struct server *srv)
{
	uint16_t ports[SERVER_TLS_PORTS];
	int ntls = worker_tls_ports(srv->cfg, srv->tls, ports);

	for (int i = 0; i < srv->relay.nlisten; i++) {
		if (!srv->cfg->no_udp && probe_port_free(&srv->relay.listen[i], SOCK_DGRAM) < 0)
			return -1;
		if (natdisc_listens_alt(srv, &srv->relay.listen[i])) {
			union sockaddr_u a = srv->relay.listen[i];

			addr_set_port(&a.sa, config_alt_listening_port(srv->cfg));
			if (probe_port_free(&a, SOCK_DGRAM) < 0)
				return -1;
		}
		if (!srv->cfg->no_tcp && probe_port_free(&srv->relay.listen[i], SOCK_STREAM) < 0)
			return -1;
		for (int k = 0; k < ntls; k++) {
			union sockaddr_u a = srv->relay.listen[i];

			addr_set_port(&a.sa, ports[k]);
			if (probe_port_free(&a, SOCK_STREAM) < 0)
				return -1;
		}
	}
	return 0;
}

/*
 * The anchor's media ports come out of the limits' anchor-port-share
 * (limits.c): main wires the anchor to the server's limits, the two
 * modules do not know each other.
 */
static int anchor_budget_take(void *ctx, unsigned int ports)
{
	return limits_anchor_take(ctx, ports);
}

static void anchor_budget_release(void *ctx, unsigned int ports)
{
	limits_anchor_release(ctx, ports);
}

static unsigned int anchor_budget_max(void *ctx)
{
	return limits_anchor_max(ctx);
}

/* kernel-offload: which engine forwards confirmed relayed data, said once. */
static int select_engine(struct server *srv)
{
	enum relay_engine_mode mode = RELAY_ENGINE_AUTO;
	char err[512];

	relay_engine_parse_mode(srv->cfg->kernel_offload, &mode); /* config_check()ed */
	if (relay_engine_select(&srv->relay.engine, mode, &relay_engine_turnrelay, err,
				sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	log_info("%s", srv->relay.engine.why);
	return 0;
}

/*
 * Allocations of every worker now (read while the workers run: a count to
 * wait on), of every client transport: the UDP table alone misses TCP, TLS
 * and DTLS clients, and a drain ended while they still relayed.
 */
static unsigned int allocations_left(const struct server *srv)
{
	return fleet_allocations(srv);
}

/* coturn's bandwidth limits (bandwidth.h), said once (max-bps: the store's if set). */
static void log_bandwidth(const struct server *srv)
{
	const struct config *cfg = srv->cfg;
	unsigned int max_bps = realm_opt(srv, REALM_OPT_MAX_BPS);

	if (max_bps)
		log_info("max-bps: every allocation relays at most %u bytes a second each way, "
			 "in userspace (the kernel module cannot hold a rate)",
			 max_bps);
	if (cfg->bps_capacity)
		log_info("bps-capacity: capped allocations reserve at most %u bytes a second in all",
			 cfg->bps_capacity);
}

/*
 * proc-user: after the listeners are bound and before the worker threads
 * start (they inherit what the main thread keeps). Kept: CAP_NET_ADMIN
 * when the kernel module forwards (the workers and the anchor program it
 * over generic netlink, which checks the capability at each message),
 * CAP_NET_BIND_SERVICE when relay ports start below 1024 (they are bound
 * per allocation, later) or prometheus-port or web-admin-port is (their
 * listeners open after the workers run). relay-device is checked as the new user.
 */
static int drop_privileges(struct server *srv, const struct privdrop *priv)
{
	uint64_t keep = 0;
	char err[512], kept[96] = "";

	if (srv->relay.engine.ops)
		keep |= 1ull << CAP_NET_ADMIN;
	if (srv->cfg->min_port < 1024 || (srv->cfg->prometheus && srv->cfg->prometheus_port < 1024) ||
	    (srv->cfg->web_admin && srv->cfg->web_admin_port < 1024))
		keep |= 1ull << CAP_NET_BIND_SERVICE;
	if (privdrop_apply(priv, keep, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	if (keep >> CAP_NET_ADMIN & 1)
		strcat(kept, " CAP_NET_ADMIN (kernel offload)");
	if (keep >> CAP_NET_BIND_SERVICE & 1)
		strcat(kept, " CAP_NET_BIND_SERVICE (a port below 1024 is bound later)");
	if (priv->set_group)
		log_info("%s%s: now uid %lu, gid %lu; capabilities kept: %s",
			 priv->set_user ? "proc-user " : "proc-group", priv->user,
			 (unsigned long)getuid(), (unsigned long)getgid(),
			 keep ? kept + 1 : "none");
	if (relay_device_check("relay-device", srv->cfg->relay_device, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return -1;
	}
	return 0;
}

/* SIGUSR2: new TLS/DTLS sessions use the files as they are now; open ones keep theirs. */
static void reload_tls(struct server *srv)
{
	char err[512];
	int rc = tls_ctx_reload(srv->tls, err, sizeof(err));

	if (rc < 0)
		log_error("SIGUSR2: certificates not reloaded, the old ones stay in use: %s", err);
	else if (rc > 0)
		log_info("SIGUSR2: TLS and DTLS are off, nothing to reload");
}

/* The readers SIGHUP holds beside the workers (reload.h); either may be NULL. */
struct reload_readers {
	struct anchor *anchor;	    /* while the peer policy changes */
	struct webadmin *webadmin; /* while the REST secrets change */
};

static void readers_hold(void *arg)
{
	struct reload_readers *r = arg;

	if (r->anchor)
		anchor_hold(r->anchor);
	webadmin_hold(r->webadmin);
}

static void readers_release(void *arg)
{
	struct reload_readers *r = arg;

	webadmin_release(r->webadmin);
	if (r->anchor)
		anchor_release(r->anchor);
}

/* The anchor's metrics after the server's (metrics.h). */
static void anchor_metrics(void *arg, struct evbuffer *out)
{
	anchor_metrics_write(arg, out);
}

/* The anchor's calls and delete for the admin interface (webadmin.h). */
static unsigned int admin_calls(void *arg, void (*cb)(void *cbarg, const struct admin_call *c),
				void *cbarg, unsigned int max)
{
	return anchor_admin_calls(arg, cb, cbarg, max);
}

static int admin_delete_call(void *arg, const char *call_id)
{
	return anchor_admin_delete(arg, call_id);
}

static struct webadmin *start_webadmin(struct server *srv, struct anchor *anchor)
{
	const struct webadmin_anchor ops = {admin_calls, admin_delete_call, anchor};
	struct webadmin *wa;
	char err[512];

	wa = webadmin_start(srv, anchor ? &ops : NULL, err, sizeof(err));
	if (!wa) {
		log_error("%s", err);
		return NULL;
	}
	log_info("web-admin: the admin interface at %s://%s:%u/",
		 webadmin_https(wa) ? "https" : "http",
		 srv->cfg->web_admin_ip_count ? srv->cfg->web_admin_ip[0].text
					      : CONFIG_DEFAULT_WEB_ADMIN_IP,
		 srv->cfg->web_admin_port);
	return wa;
}

/*
 * The signals the main thread waits for (run()), blocked in the calling
 * thread and so in every thread it starts after: blocked before the first
 * thread (the store's, realm options' refresh) is created, or one of them
 * could take a SIGTERM with the default action and end the process with
 * 143 instead of a clean stop.
 */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGUSR2);
	sigaddset(set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

static int run(struct server *srv, const struct privdrop *priv, int argc, char **argv)
{
	struct anchor *anchor = NULL;
	struct metrics *metrics = NULL;
	struct webadmin *webadmin = NULL;
	sigset_t set;
	int sig, started = 0, ret = 0;
	char buf[ADDR_STRLEN];

	srv->nworkers = (int)(srv->cfg->relay_threads ? srv->cfg->relay_threads : cpu_count());
	srv->workers = calloc((size_t)srv->nworkers, sizeof(*srv->workers));
	if (!srv->workers)
		return -1;
	/* worker_stop() wakes loops from the main thread */
	if (evthread_use_pthreads() < 0)
		return -1;
	block_signals(&set);
	signal(SIGPIPE, SIG_IGN);

	if (srv->cfg->anchor_ng_listen.addr_len) {
		char err[256];

		const struct anchor_port_budget budget = {
			anchor_budget_take, anchor_budget_release, anchor_budget_max, srv};

		/* before the workers: it registers its addresses and ports' owner */
		anchor = anchor_new(&srv->relay, srv->cfg, &budget, err, sizeof(err));
		if (!anchor) {
			log_error("%s", err);
			return -1;
		}
	}
	for (int i = 0; i < srv->nworkers; i++) {
		srv->workers[i].srv = srv;
		srv->workers[i].id = i;
		if (worker_start(&srv->workers[i]) < 0) {
			ret = -1;
			goto stop;
		}
	}
	if (drop_privileges(srv, priv) < 0) {
		ret = -1;
		goto stop;
	}
	for (; started < srv->nworkers; started++) {
		if (worker_run(&srv->workers[started]) < 0) {
			ret = -1;
			goto stop;
		}
	}
	for (int i = 0; i < srv->relay.nlisten; i++)
		log_info("listening on %s (%s%s%s)",
			 addr_str(&srv->relay.listen[i].sa, buf, sizeof(buf)),
			 srv->cfg->no_udp ? "" : "UDP ", srv->cfg->no_tcp ? "" : "TCP",
			 !srv->cfg->no_tcp && tls_ctx_on(srv->tls, TLS_KIND_TLS) ? " and TLS on TCP"
										: "");
	{
		uint16_t ports[SERVER_TLS_PORTS];
		int n = worker_tls_ports(srv->cfg, srv->tls, ports);

		for (int k = 0; k < n; k++)
			log_info("listening on TCP port %u for TLS%s", ports[k],
				 srv->cfg->no_tcp ? "" : " and plain STUN/TURN");
	}
	if (srv->relay.has_relay_v4)
		log_info("relay IPv4 %s", addr_ip_str(&srv->relay.relay_v4.sa, buf, sizeof(buf)));
	if (srv->relay.has_relay_v6)
		log_info("relay IPv6 %s", addr_ip_str(&srv->relay.relay_v6.sa, buf, sizeof(buf)));
	if (anchor && anchor_start(anchor) < 0) {
		ret = -1;
		goto stop;
	}
	if (srv->cfg->prometheus) {
		char err[256];

		metrics = metrics_start(srv, anchor ? anchor_metrics : NULL, anchor, err,
					sizeof(err));
		if (!metrics) {
			log_error("%s", err);
			ret = -1;
			goto stop;
		}
		log_info("prometheus: metrics at http://%s:%u/metrics",
			 srv->cfg->prometheus_address_count ? srv->cfg->prometheus_address[0].text
							    : "*",
			 srv->cfg->prometheus_port);
	}
	{
		char err[256];

		/* after the workers: it reads their counters */
		if (fleet_start(srv, err, sizeof(err)) < 0) {
			log_error("%s", err);
			ret = -1;
			goto stop;
		}
	}
	if (srv->cfg->web_admin) {
		webadmin = start_webadmin(srv, anchor);
		if (!webadmin) {
			ret = -1;
			goto stop;
		}
	} else if (srv->cfg->web_admin_ip_count || srv->cfg->web_diagnostic ||
		   srv->cfg->web_admin_port != CONFIG_DEFAULT_WEB_ADMIN_PORT) {
		log_warn("web-admin-ip, web-admin-port and web-diagnostic: not acted on without "
			 "web-admin");
	}
	log_info("ready: %d worker threads, realm '%s'", srv->nworkers, srv->realm);
	daemon_ready();
	/* a unit of Type=notify starts its dependents now (sdnotify.h) */
	if (sdnotify("READY=1\nSTATUS=relaying") < 0)
		log_warn("NOTIFY_SOCKET: cannot tell the service manager we are ready: %s",
			 strerror(errno));

	for (;;) {
		struct timespec one_s = {.tv_sec = 1};

		if (atomic_load(&srv->draining)) {
			/* drain: the process ends with its last allocation and call */
			if (allocations_left(srv) == 0 && (!anchor || anchor_calls(anchor) == 0)) {
				log_info("drained: no allocation or call left, stopping");
				break;
			}
			sig = sigtimedwait(&set, NULL, &one_s);
			if (sig < 0)
				continue;
		} else if (sigwait(&set, &sig) != 0) {
			continue;
		}
		if (sig == SIGUSR1) {
			if (!atomic_exchange(&srv->draining, true)) {
				sdnotify("STATUS=draining");
				if (anchor)
					anchor_drain(anchor);
				log_info("SIGUSR1: draining: new Allocates go to alternate-server or "
					 "a fleet peer (486 without one)%s; %u allocations%s run to "
					 "their end",
					 anchor ? ", new calls get load limit" : "",
					 allocations_left(srv), anchor ? " and the calls" : "");
			}
			continue;
		}
		if (sig == SIGHUP) {
			struct reload_readers readers = {anchor, webadmin};
			const struct reload_hooks hooks = {readers_hold, readers_release, &readers};

			sdnotify("RELOADING=1");
			reload_config(srv, argc, argv, &hooks);
			sdnotify("READY=1");
			continue;
		}
		if (sig == SIGUSR2) {
			reload_tls(srv);
			continue;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
	sdnotify("STOPPING=1");
stop:
	/* first: they read the workers' and the anchor's state */
	webadmin_stop(webadmin);
	metrics_stop(metrics);
	fleet_stop(srv);
	for (int i = 0; i < started; i++)
		worker_stop(&srv->workers[i]);
	/*
	 * The store thread stops after the workers' threads (they queue
	 * lookups) and before the workers are freed (it hands them answers).
	 */
	for (int i = 0; i < started; i++) {
		pthread_join(srv->workers[i].thread, NULL);
		srv->workers[i].thread = 0;
	}
	store_stop(srv);
	for (int i = 0; i < srv->nworkers; i++)
		worker_join(&srv->workers[i]);
	/* after the workers: they hand joined allocations' data to the anchor */
	if (anchor)
		anchor_free(anchor);
	return ret;
}

/* One line per coturn option accepted without anything to do (config_notices()). */
static void log_config_notice(void *arg, const char *option, const char *text)
{
	(void)arg;
	log_info("option %s: %s", option, text);
}

int main(int argc, char **argv)
{
	static struct config cfg;
	static struct server srv;
	static const struct tls_hooks dtls_hooks = {.dtls_setup = dtls_ctx_setup};
	struct privdrop priv;
	char err[512], password[DEMO_PASSWORD_LEN + 1];
	struct userdb *db = NULL;
	sigset_t sigs;
	int rc;

	config_init(&cfg);
	rc = config_parse_args(&cfg, argc, argv, err, sizeof(err));
	if (rc == 1 || rc == 2) {
		if (rc == 1)
			config_usage(stdout);
		config_free(&cfg);
		return rc == 1 ? 0 : version_print("turnserver");
	}
	if (rc < 0) {
		fprintf(stderr, "turnserver: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (!cfg.lt_cred_mech) {
		/* no anonymous relaying: every TURN request is authenticated */
		fprintf(stderr, "turnserver: lt-cred-mech cannot be turned off: this server always "
				"uses long-term credentials\n");
		config_free(&cfg);
		return 1;
	}
	if (privdrop_resolve(&cfg, &priv, err, sizeof(err)) < 0) {
		fprintf(stderr, "turnserver: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	if (cfg.daemon && daemon_start() < 0) {
		fprintf(stderr, "turnserver: daemon: cannot fork: %s\n", strerror(errno));
		config_free(&cfg);
		return 1;
	}
	/* config_check() vetted the facility and the format */
	log_set_syslog_facility(cfg.syslog_facility);
	log_set_timestamp_format(cfg.new_log_timestamp_format);
	log_set_format(cfg.log_format);
	if (log_open(config_log_destination(&cfg), err, sizeof(err)) < 0) {
		fprintf(stderr, "turnserver: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	log_set_level(cfg.verbose ? LOG_DEBUG : LOG_INFO);
	log_info("turnserver %s starting", TURN_VERSION);
	config_notices(&cfg, log_config_notice, NULL);

	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	pthread_mutex_init(&srv.lock, NULL);
	snprintf(srv.realm, sizeof(srv.realm), "%s", cfg.realm[0] ? cfg.realm : SERVER_DEFAULT_REALM);
	if (RAND_bytes(srv.nonce_secret, sizeof(srv.nonce_secret)) != 1) {
		log_error("no randomness for the nonce secret");
		rc = 1;
		goto out;
	}
	rc = 1;
	if (auth_load_static_users(&srv, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (relay_pick_listen(&srv.relay) < 0) {
		log_error("no address to listen on");
		goto out;
	}
	if (natdisc_setup(&srv, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (relay_pick_addrs(&srv.relay) < 0) {
		log_error("no relay address: set relay-ip");
		goto out;
	}
	if (cfg.redis_userdb[0]) {
		struct redis_conninfo ci;

		if (redis_conninfo_parse(cfg.redis_userdb, &ci, err, sizeof(err)) < 0) {
			log_error("redis-userdb: malformed connection string: %s", err);
			goto out;
		}
		explicit_bzero(&ci, sizeof(ci));
		store_read_realm(&cfg, srv.realm);
	}
	if (open_userdb(&srv, &db) < 0)
		goto out;
	if (relay_setup_policy(&srv.relay, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	srv.tls = tls_ctx_new(&cfg, &dtls_hooks, err, sizeof(err));
	if (!srv.tls) {
		log_error("%s", err);
		goto out;
	}
	if (fleet_init(&srv, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (relay_device_check("listening-device", cfg.listening_device, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (probe_listen_ports(&srv) < 0)
		goto out;
	if (select_engine(&srv) < 0)
		goto out;
	raise_fd_limit();
	if (limits_init(&srv) < 0 || mobility_init(&srv) < 0) {
		log_error("out of memory");
		goto out;
	}
	block_signals(&sigs); /* before the first thread: see block_signals() */
	if (setup_userdb(&srv, db, password, sizeof(password)) < 0)
		goto out;
	if (realm_opts_start(&srv, err, sizeof(err)) < 0) {
		log_error("realm options: %s", err);
		goto out;
	}
	log_bandwidth(&srv);
	userdb_close(db);
	db = NULL;
	if (cfg.pidfile && write_pidfile(cfg.pidfile) < 0) {
		log_error("cannot write pidfile %s: %s", cfg.pidfile, strerror(errno));
		goto out;
	}
	print_ice_servers(&srv, password);
	explicit_bzero(password, sizeof(password));
	rc = run(&srv, &priv, argc, argv) < 0 ? 1 : 0;
	if (cfg.pidfile && unlink(cfg.pidfile) < 0)
		log_warn("cannot remove pidfile %s: %s%s", cfg.pidfile, strerror(errno),
			 priv.set_user ? " (its directory must be writable by proc-user)" : "");
	log_info("stopped");
out:
	realm_opts_stop(&srv);
	userdb_close(db);
	server_free(&srv);
	config_free(&cfg);
	log_close();
	return rc;
}
