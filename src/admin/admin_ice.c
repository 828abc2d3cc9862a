/*
 * admin_ice.c - turnadmin --ice-servers: the RTCPeerConnection iceServers
 * JSON for where clients reach the server, with a user's password or with
 * time-limited TURN REST API credentials (--ttl).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/turnadmin.h"
#include "common/iceservers.h"
#include "server/rest_auth.h"
#include "stun/stun.h"

/* Letters, digits, '-' and '.', not starting with '-' or '.' (RFC 1123). */
static bool admin_dns_name(const char *s)
{
	size_t len = strlen(s);

	return len > 0 && len <= 253 && s[0] != '-' && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") == len;
}

/*
 * The host of the TURN URIs (RFC 7065): an IPv4 or IPv6 address or a DNS
 * name. Accepts coturn's "PUBLIC/PRIVATE" form and "[v6]"; writes the bare
 * host (ice_servers_json() adds the brackets).
 */
static int admin_host(const char *in, char *host, size_t cap)
{
	size_t len = strcspn(in, "/");
	char buf[HOST_MAX], *p = buf;
	uint8_t addr[16];
	bool bracketed;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, in, len);
	buf[len] = '\0';
	bracketed = len > 2 && buf[0] == '[' && buf[len - 1] == ']';
	if (bracketed) {
		buf[len - 1] = '\0';
		p++;
	}
	if (inet_pton(AF_INET6, p, addr) != 1 &&
	    (bracketed || (inet_pton(AF_INET, p, addr) != 1 && !admin_dns_name(p))))
		return -1;
	return snprintf(host, cap, "%s", p) < (int)cap ? 0 : -1;
}

static bool admin_ip_unspecified(const struct config_ip *ip)
{
	static const struct in6_addr any6 = IN6ADDR_ANY_INIT;

	if (ip->addr.ss_family == AF_INET)
		return ((const struct sockaddr_in *)&ip->addr)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return memcmp(&((const struct sockaddr_in6 *)&ip->addr)->sin6_addr, &any6, sizeof(any6)) ==
	       0;
}

/*
 * Where clients reach the server: -X, else the config's first external-ip,
 * else its first specific listening-ip, else 127.0.0.1; port --listening-port,
 * else the config's listening-port, else 3478.
 */
static int admin_endpoint(const struct admin *a, char *host, size_t cap, unsigned long *port)
{
	const char *src = "127.0.0.1";
	char *end;

	if (a->external_ip) {
		src = a->external_ip;
	} else if (a->have_cfg && a->cfg.external_ip_count > 0) {
		src = a->cfg.external_ip[0].public_ip.text;
	} else if (a->have_cfg) {
		for (size_t i = 0; i < a->cfg.listening_ip_count; i++) {
			if (!admin_ip_unspecified(&a->cfg.listening_ip[i])) {
				src = a->cfg.listening_ip[i].text;
				break;
			}
		}
	}
	if (admin_host(src, host, cap)) {
		fprintf(stderr, "turnadmin: bad external address '%s'\n", src);
		return -1;
	}
	*port = a->have_cfg ? a->cfg.listening_port : CONFIG_DEFAULT_LISTENING_PORT;
	if (a->listening_port) {
		errno = 0;
		*port = strtoul(a->listening_port, &end, 10);
		if (errno || end == a->listening_port || *end || *port == 0 || *port > 65535 ||
		    a->listening_port[0] == '-' || a->listening_port[0] == '+') {
			fprintf(stderr, "turnadmin: bad listening port '%s'\n", a->listening_port);
			return -1;
		}
	}
	return 0;
}

int admin_print_ice_servers(const struct admin *a, const char *user, const char *password)
{
	bool turn = !(a->have_cfg && a->cfg.stun_only);
	bool udp = turn && !(a->have_cfg && a->cfg.no_udp);
	bool tcp = turn && !(a->have_cfg && a->cfg.no_tcp);
	/* turns: when the configuration turns TLS on (a certificate, not no-tls) */
	uint16_t tls_port = turn && a->have_cfg && a->cfg.cert && !a->cfg.no_tls
				    ? a->cfg.tls_listening_port
				    : 0;
	char host[HOST_MAX];
	unsigned long port;
	size_t cap;
	char *json;
	int rc = 0;

	if (admin_endpoint(a, host, sizeof(host), &port))
		return EXIT_USAGE;
	/* Escaping grows a string at most sixfold ("\u001f"). */
	cap = 256 + 6 * (4 * strlen(host) + strlen(user) + strlen(password));
	json = malloc(cap);
	if (!json) {
		fprintf(stderr, "turnadmin: out of memory\n");
		return EXIT_STORE;
	}
	if (ice_servers_json_tls(json, cap, host, (uint16_t)port, udp, tcp, tls_port, user,
				 password) < 0) {
		fprintf(stderr, "turnadmin: cannot format the iceServers JSON\n");
		rc = EXIT_USAGE;
		goto out;
	}
	printf("{\"iceServers\":%s}\n", json);
	if (fflush(stdout) != 0)
		rc = EXIT_STORE;
out:
	explicit_bzero(json, cap);
	free(json);
	return rc;
}

static int admin_first_secret(void *arg, const char *realm, const char *secret)
{
	(void)realm;
	snprintf(arg, USERDB_SECRET_MAX + 1, "%s", secret);
	return 1;
}

/*
 * The secret for --ttl: --auth-secret, else the -c file's first
 * static-auth-secret, else the first of the realm's in the store.
 */
static int admin_rest_secret(const struct admin *a, char secret[USERDB_SECRET_MAX + 1])
{
	struct userdb *db;
	int rc;

	if (a->auth_secret || (a->have_cfg && a->cfg.static_auth_secret_count)) {
		snprintf(secret, USERDB_SECRET_MAX + 1, "%s",
			 a->auth_secret ? a->auth_secret : a->cfg.static_auth_secret[0]);
		return 0;
	}
	if (!a->realm) {
		fprintf(stderr, "turnadmin: --ttl needs a secret: --auth-secret, static-auth-secret= "
				"in -c FILE, or a realm (-r) whose secrets the store has\n");
		return EXIT_USAGE;
	}
	rc = admin_open(a, false, &db);
	if (rc)
		return rc;
	rc = userdb_list_secrets(db, a->realm, admin_first_secret, secret);
	if (rc < 0)
		fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
	else if (rc == 0)
		fprintf(stderr, "turnadmin: no secret for realm '%s' in %s (add one with -s)\n",
			a->realm, a->store_name);
	userdb_close(db);
	return rc == 1 ? 0 : EXIT_STORE;
}

/*
 * --ice-servers --ttl: username EXPIRY[SEP USER] and password
 * base64(HMAC-SHA1(secret, username)), as the TURN REST API hands them out
 * (draft-uberti-behave-turn-rest-00 §2.2).
 */
int admin_print_rest_ice_servers(const struct admin *a)
{
	char secret[USERDB_SECRET_MAX + 1], password[REST_AUTH_PASSWORD_LEN + 1];
	char user[CONFIG_MAX_USERNAME_BYTES + 1];
	char sep = a->have_cfg ? a->cfg.rest_api_separator[0] : ':';
	unsigned long long ttl, expiry;
	char *end;
	int rc, n;

	errno = 0;
	ttl = strtoull(a->ttl, &end, 10);
	expiry = (unsigned long long)time(NULL) + ttl;
	if (errno || *end || a->ttl[0] < '0' || a->ttl[0] > '9' || ttl == 0 ||
	    ttl > REST_AUTH_EXPIRY_MAX || expiry > REST_AUTH_EXPIRY_MAX) {
		fprintf(stderr, "turnadmin: bad --ttl '%s' (seconds, 1 or more, ending before %u)\n",
			a->ttl, (unsigned int)REST_AUTH_EXPIRY_MAX);
		return EXIT_USAGE;
	}
	if (a->user)
		n = snprintf(user, sizeof(user), "%llu%c%s", expiry, sep, a->user);
	else
		n = snprintf(user, sizeof(user), "%llu", expiry);
	if (n < 0 || (size_t)n >= sizeof(user)) {
		fprintf(stderr, "turnadmin: user name too long for a REST username\n");
		return EXIT_USAGE;
	}
	rc = admin_rest_secret(a, secret);
	if (rc)
		return rc;
	if (rest_password(secret, strlen(secret), user, strlen(user), password) < 0) {
		fprintf(stderr, "turnadmin: cannot compute the password\n");
		rc = EXIT_STORE;
	} else {
		rc = admin_print_ice_servers(a, user, password);
	}
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(password, sizeof(password));
	return rc;
}

/*
 * Before printing credentials that were not just added, tell the operator
 * when the store disagrees with them: a typo here fails much later, in a
 * browser. Only a warning; the store may live on another host.
 */
void admin_check_credentials(const struct admin *a)
{
	struct user_keys keys;
	uint8_t key[32];
	char err[USERDB_ERR_LEN];
	struct userdb *db;
	int rc;

	db = admin_db_open(a, false, err, sizeof(err));
	if (!db) {
		fprintf(stderr, "turnadmin: warning: cannot check the password: %s\n", err);
		return;
	}
	rc = userdb_get_keys(db, a->realm, a->user, &keys);
	if (rc < 0) {
		fprintf(stderr, "turnadmin: warning: cannot check the password: %s\n",
			userdb_errmsg(db));
	} else if (rc == 1) {
		fprintf(stderr, "turnadmin: warning: no user '%s' in realm '%s' in %s\n", a->user,
			a->realm, a->store_name);
	} else if (keys.has_md5 &&
		   (stun_lt_key(STUN_PW_ALG_MD5, a->user, a->realm, a->password, key) != 16 ||
		    !stun_ct_equal(key, keys.md5, 16))) {
		fprintf(stderr,
			"turnadmin: warning: the password does not match the key of '%s' in "
			"realm '%s' in %s\n",
			a->user, a->realm, a->store_name);
	}
	explicit_bzero(key, sizeof(key));
	explicit_bzero(&keys, sizeof(keys));
	userdb_close(db);
}
