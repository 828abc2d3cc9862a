/*
 * main.c - turnserver: reads the configuration, picks the embedded
 * defaults, prepares the user store (a demo user with a random password
 * on first run), starts the workers and waits for signals: SIGTERM and
 * SIGINT stop cleanly, SIGHUP reopens the log file.
 */
#include <errno.h>
#include <event2/thread.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <openssl/rand.h>
#include <signal.h>
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
#include "server/server.h"
#include "server/userdb.h"

#define DEMO_USER "demo"
#define DEMO_PASSWORD_LEN 20

static bool is_loopback(const union sockaddr_u *u)
{
	if (u->sa.sa_family == AF_INET)
		return (ntohl(u->in.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&u->in6.sin6_addr);
}

static void add_listen(struct server *srv, const struct sockaddr *sa)
{
	if (srv->relay.nlisten >= SERVER_MAX_LISTEN)
		return;
	for (int i = 0; i < srv->relay.nlisten; i++)
		if (addr_ip_equal(&srv->relay.listen[i].sa, sa))
			return;
	memset(&srv->relay.listen[srv->relay.nlisten], 0, sizeof(srv->relay.listen[0]));
	memcpy(&srv->relay.listen[srv->relay.nlisten], sa, addr_len(sa));
	addr_set_port(&srv->relay.listen[srv->relay.nlisten].sa, srv->cfg->listening_port);
	srv->relay.nlisten++;
}

/* Without listening-ip: every address of every interface that is up. */
static int pick_listen_addrs(struct server *srv)
{
	const struct config *c = srv->cfg;
	struct ifaddrs *ifs, *i;

	for (size_t k = 0; k < c->listening_ip_count; k++)
		add_listen(srv, (const struct sockaddr *)&c->listening_ip[k].addr);
	if (srv->relay.nlisten)
		return 0;
	if (getifaddrs(&ifs) < 0)
		return -1;
	for (i = ifs; i; i = i->ifa_next) {
		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family == AF_INET6 &&
		    IN6_IS_ADDR_LINKLOCAL(&((struct sockaddr_in6 *)i->ifa_addr)->sin6_addr))
			continue;
		if (i->ifa_addr->sa_family == AF_INET || i->ifa_addr->sa_family == AF_INET6)
			add_listen(srv, i->ifa_addr);
	}
	freeifaddrs(ifs);
	return srv->relay.nlisten ? 0 : -1;
}

/* relay-ip, else the first non-loopback listening address of each family. */
static void pick_relay_addrs(struct server *srv)
{
	const struct config *c = srv->cfg;

	for (size_t k = 0; k < c->relay_ip_count; k++) {
		const struct sockaddr *sa = (const struct sockaddr *)&c->relay_ip[k].addr;
		union sockaddr_u *dst = sa->sa_family == AF_INET6 ? &srv->relay.relay_v6 : &srv->relay.relay_v4;
		bool *has = sa->sa_family == AF_INET6 ? &srv->relay.has_relay_v6 : &srv->relay.has_relay_v4;

		if (!*has) {
			memcpy(dst, sa, addr_len(sa));
			*has = true;
		}
	}
	if (c->relay_ip_count)
		return;
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < srv->relay.nlisten; k++) {
			const union sockaddr_u *u = &srv->relay.listen[k];
			bool v6 = u->sa.sa_family == AF_INET6;
			bool *has = v6 ? &srv->relay.has_relay_v6 : &srv->relay.has_relay_v4;

			if (*has || (pass == 0 && is_loopback(u)))
				continue;
			if (u->sa.sa_family == AF_INET && u->in.sin_addr.s_addr == INADDR_ANY)
				continue;
			*(v6 ? &srv->relay.relay_v6 : &srv->relay.relay_v4) = *u;
			*has = true;
		}
	}
}

/* external-ip=PUBLIC[/PRIVATE]: what clients are told about relay addresses. */
static void pick_advertised(struct server *srv)
{
	const struct config *c = srv->cfg;

	for (size_t k = 0; k < c->external_ip_count; k++) {
		const struct config_external_ip *e = &c->external_ip[k];
		const struct sockaddr *pub = (const struct sockaddr *)&e->public_ip.addr;
		bool v6 = pub->sa_family == AF_INET6;
		union sockaddr_u *adv = v6 ? &srv->relay.advertise_v6 : &srv->relay.advertise_v4;
		const union sockaddr_u *relay = v6 ? &srv->relay.relay_v6 : &srv->relay.relay_v4;

		if (adv->sa.sa_family)
			continue;
		if (e->has_private &&
		    !addr_ip_equal((const struct sockaddr *)&e->private_ip.addr, &relay->sa))
			continue;
		memcpy(adv, pub, addr_len(pub));
	}
}

static int setup_policy(struct server *srv, char *err, size_t errlen)
{
	const struct config *c = srv->cfg;

	if (peer_policy_init(&srv->relay.policy, c->allow_loopback_peers,
			     (const char *const *)c->allowed_peer_ip, (int)c->allowed_peer_ip_count,
			     (const char *const *)c->denied_peer_ip, (int)c->denied_peer_ip_count,
			     err, errlen) < 0)
		return -1;
	/* own addresses, and the ports that stay own under allow-loopback-peers */
	for (int i = 0; i < srv->relay.nlisten; i++)
		peer_policy_add_self_ports(&srv->relay.policy, &srv->relay.listen[i].sa, c->listening_port,
					   c->listening_port);
	if (srv->relay.has_relay_v4)
		relay_addr_register(&srv->relay, &srv->relay.relay_v4.sa,
				    srv->relay.advertise_v4.sa.sa_family ? &srv->relay.advertise_v4.sa : NULL);
	if (srv->relay.has_relay_v6)
		relay_addr_register(&srv->relay, &srv->relay.relay_v6.sa,
				    srv->relay.advertise_v6.sa.sa_family ? &srv->relay.advertise_v6.sa : NULL);
	for (size_t k = 0; k < c->external_ip_count; k++)
		peer_policy_add_self(&srv->relay.policy,
				     (const struct sockaddr *)&c->external_ip[k].public_ip.addr);
	/* wildcard listening: every local address is the server's own */
	return peer_policy_add_self_ifaddrs(&srv->relay.policy) < 0 ? 0 : 0;
}

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

/*
 * Opens (creating on first run) the user store. With no user at all, adds
 * the demo user with a random password and returns that password once.
 */
static int setup_userdb(struct server *srv, char *password, size_t cap)
{
	const struct config *c = srv->cfg;
	bool is_default = strcmp(c->userdb, CONFIG_DEFAULT_USERDB) == 0;
	char err[512];
	struct userdb *db;

	password[0] = '\0';
	db = userdb_open_sqlite(c->userdb, true, err, sizeof(err));
	if (!db) {
		if (is_default && srv->nusers) {
			log_warn("%s; using only the user= lines", err);
			return 0;
		}
		log_error("%s", err);
		return -1;
	}
	srv->use_userdb = true;
	if (!srv->nusers && userdb_count(db) == 0 && cap > DEMO_PASSWORD_LEN) {
		random_password(password, DEMO_PASSWORD_LEN);
		if (userdb_set_password(db, srv->realm, DEMO_USER, password) < 0) {
			log_error("%s", userdb_errmsg(db));
			userdb_close(db);
			return -1;
		}
	}
	userdb_close(db);
	return 0;
}

static void print_ice_servers(const struct server *srv, const char *password)
{
	const struct config *c = srv->cfg;
	const struct sockaddr *host = NULL;
	char ip[ADDR_STRLEN], json[1024];
	const char *user = srv->nusers ? srv->users[0].name : DEMO_USER;

	if (c->external_ip_count)
		host = (const struct sockaddr *)&c->external_ip[0].public_ip.addr;
	for (int pass = 0; !host && pass < 3; pass++)
		for (int i = 0; !host && i < srv->relay.nlisten; i++)
			if ((pass == 0 && srv->relay.listen[i].sa.sa_family == AF_INET &&
			     !is_loopback(&srv->relay.listen[i])) ||
			    (pass == 1 && !is_loopback(&srv->relay.listen[i])) || pass == 2)
				host = &srv->relay.listen[i].sa;
	addr_ip_str(host, ip, sizeof(ip));
	if (ice_servers_json(json, sizeof(json), ip, c->listening_port, !c->no_udp, !c->no_tcp,
			     user, password[0] ? password : NULL) < 0)
		return;
	if (password[0])
		printf("first run: created user '%s' in realm '%s' with password '%s'\n"
		       "(shown only this once; change it with: turnadmin -a -u %s -r %s -p NEW)\n",
		       DEMO_USER, srv->realm, password, DEMO_USER, srv->realm);
	printf("iceServers for new RTCPeerConnection({iceServers: ...}):\n%s\n", json);
	if (!password[0] && !srv->nusers)
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
	for (size_t i = 0; i < srv->nusers; i++)
		free(srv->users[i].name);
	free(srv->users);
	server_reservations_free(srv);
	limits_free(srv);
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
	for (int i = 0; i < srv->relay.nlisten; i++) {
		if (!srv->cfg->no_udp && probe_port_free(&srv->relay.listen[i], SOCK_DGRAM) < 0)
			return -1;
		if (!srv->cfg->no_tcp && probe_port_free(&srv->relay.listen[i], SOCK_STREAM) < 0)
			return -1;
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

static int run(struct server *srv)
{
	struct anchor *anchor = NULL;
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
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
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
	for (; started < srv->nworkers; started++) {
		if (worker_run(&srv->workers[started]) < 0) {
			ret = -1;
			goto stop;
		}
	}
	for (int i = 0; i < srv->relay.nlisten; i++)
		log_info("listening on %s (%s%s)", addr_str(&srv->relay.listen[i].sa, buf, sizeof(buf)),
			 srv->cfg->no_udp ? "" : "UDP ", srv->cfg->no_tcp ? "" : "TCP");
	if (srv->relay.has_relay_v4)
		log_info("relay IPv4 %s", addr_ip_str(&srv->relay.relay_v4.sa, buf, sizeof(buf)));
	if (srv->relay.has_relay_v6)
		log_info("relay IPv6 %s", addr_ip_str(&srv->relay.relay_v6.sa, buf, sizeof(buf)));
	if (anchor && anchor_start(anchor) < 0) {
		ret = -1;
		goto stop;
	}
	log_info("ready: %d worker threads, realm '%s'", srv->nworkers, srv->realm);

	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (log_reopen() < 0)
				log_error("cannot reopen the log file: %s", strerror(errno));
			else
				log_info("log file reopened");
			continue;
		}
		log_info("signal %d: stopping", sig);
		break;
	}
stop:
	for (int i = 0; i < started; i++)
		worker_stop(&srv->workers[i]);
	for (int i = 0; i < srv->nworkers; i++)
		worker_join(&srv->workers[i]);
	/* after the workers: they hand joined allocations' data to the anchor */
	if (anchor)
		anchor_free(anchor);
	return ret;
}

int main(int argc, char **argv)
{
	static struct config cfg;
	static struct server srv;
	char err[512], password[DEMO_PASSWORD_LEN + 1];
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
	if (log_open(cfg.log_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "turnserver: %s\n", err);
		config_free(&cfg);
		return 1;
	}
	log_set_level(cfg.verbose ? LOG_DEBUG : LOG_INFO);
	log_info("turnserver %s starting", TURN_VERSION);

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
	if (pick_listen_addrs(&srv) < 0) {
		log_error("no address to listen on");
		goto out;
	}
	pick_relay_addrs(&srv);
	if (!srv.relay.has_relay_v4 && !srv.relay.has_relay_v6) {
		log_error("no relay address: set relay-ip");
		goto out;
	}
	pick_advertised(&srv);
	if (setup_policy(&srv, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (probe_listen_ports(&srv) < 0)
		goto out;
	raise_fd_limit();
	if (limits_init(&srv) < 0) {
		log_error("out of memory");
		goto out;
	}
	if (setup_userdb(&srv, password, sizeof(password)) < 0)
		goto out;
	if (cfg.pidfile && write_pidfile(cfg.pidfile) < 0) {
		log_error("cannot write pidfile %s: %s", cfg.pidfile, strerror(errno));
		goto out;
	}
	print_ice_servers(&srv, password);
	explicit_bzero(password, sizeof(password));
	rc = run(&srv) < 0 ? 1 : 0;
	if (cfg.pidfile)
		unlink(cfg.pidfile);
	log_info("stopped");
out:
	server_free(&srv);
	config_free(&cfg);
	log_close();
	return rc;
}
