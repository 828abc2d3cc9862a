/*
 * turnadmin - manage the long-term credential store (coturn's flags).
 *
 *   turnadmin -a -u USER -r REALM -p PASSWORD [-b FILE] [--ice-servers]
 *   turnadmin -a -u USER -r REALM --md5-key 0xHEX [-b FILE]
 *   turnadmin -d -u USER -r REALM [-b FILE]
 *   turnadmin -l [-r REALM] [-b FILE]
 *   turnadmin -k -u USER -r REALM -p PASSWORD
 *   turnadmin --ice-servers -u USER -p PASSWORD [-X HOST] [--listening-port N] [-c FILE]
 *
 * Exit status: 0 done, 1 usage or configuration error, 2 store error.
 * The store keeps keys, never passwords; a password is printed only in the
 * --ice-servers output, which the operator asks for.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/iceservers.h"
#include "common/version.h"
#include "server/userdb.h"
#include "stun/stun.h"

#define EXIT_USAGE 1
#define EXIT_STORE 2
#define HOST_MAX 256 /* an IPv6 address or a DNS name, and NUL */

enum admin_action { ACT_NONE, ACT_ADD, ACT_DELETE, ACT_LIST, ACT_KEY };

enum {
	OPT_ICE_SERVERS = 0x100,
	OPT_LISTENING_PORT,
	OPT_MD5_KEY,
};

struct admin {
	enum admin_action action;
	bool ice_servers;
	const char *db_path;
	const char *user;
	const char *realm;
	const char *password;
	const char *md5_key_hex;
	const char *external_ip;
	const char *listening_port;
	const char *config_file;
	struct config cfg;
	bool have_cfg;
};

static void admin_usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: turnadmin ACTION [OPTIONS]\n"
	    "actions:\n"
	    "  -a, --add-user          add or replace a user (-u, -r, and -p or --md5-key)\n"
	    "  -d, --delete-user       delete a user (-u, -r)\n"
	    "  -l, --list-users        list users, of one realm with -r\n"
	    "  -k, --key               print the MD5 key of -u, -r, -p as 0x + 32 hex digits\n"
	    "      --ice-servers       print the RTCPeerConnection iceServers JSON for -u, -p;\n"
	    "                          with -a, add the user first\n"
	    "options:\n"
	    "  -b, --db, --userdb FILE SQLite user database (default %s,\n"
	    "                          or userdb= of the -c file)\n"
	    "  -u, --user NAME         user name\n"
	    "  -r, --realm REALM       realm (default: realm= of the -c file)\n"
	    "  -p, --password PASS     password\n"
	    "      --md5-key 0xHEX     with -a: store this MD5 key instead of a password\n"
	    "  -c, --config FILE       turnserver.conf to take defaults from\n"
	    "  -X, --external-ip HOST  public address for --ice-servers\n"
	    "      --listening-port N  port for --ice-servers (default 3478)\n"
	    "  -h, --help              this text\n"
	    "      --version           print the version\n"
	    "exit status: 0 done, 1 usage error, 2 store error\n",
	    CONFIG_DEFAULT_USERDB);
}

/* RFC 3629: well-formed UTF-8, no overlong forms, surrogates or > U+10FFFF. */
static bool admin_utf8_valid(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned int cp, min;
	int n;

	while (*s) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		if ((*s & 0xe0) == 0xc0) {
			n = 1, cp = *s & 0x1f, min = 0x80;
		} else if ((*s & 0xf0) == 0xe0) {
			n = 2, cp = *s & 0x0f, min = 0x800;
		} else if ((*s & 0xf8) == 0xf0) {
			n = 3, cp = *s & 0x07, min = 0x10000;
		} else {
			return false;
		}
		s++;
		while (n--) {
			if ((*s & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (*s++ & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}

/* Reject what STUN cannot carry (RFC 8489 §14.3, §14.9). */
static int admin_check_text(const char *what, const char *s, size_t max)
{
	size_t len = strlen(s);

	if (len == 0) {
		fprintf(stderr, "turnadmin: empty %s\n", what);
		return -1;
	}
	if (len > max) {
		fprintf(stderr, "turnadmin: %s longer than %zu bytes\n", what, max);
		return -1;
	}
	if (!admin_utf8_valid(s)) {
		fprintf(stderr, "turnadmin: %s is not valid UTF-8\n", what);
		return -1;
	}
	return 0;
}

static void admin_hex(FILE *out, const uint8_t *buf, size_t len)
{
	fputs("0x", out);
	for (size_t i = 0; i < len; i++)
		fprintf(out, "%02x", buf[i]);
	fputc('\n', out);
}

/* A name from the store, printable on one line: control bytes and '\' escaped. */
static void admin_put_name(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\\')
			fputs("\\\\", out);
		else if (c < 0x20 || c == 0x7f)
			fprintf(out, "\\x%02x", c);
		else
			fputc(c, out);
	}
}

static int admin_list_cb(void *arg, const char *realm, const char *user)
{
	FILE *out = arg;

	admin_put_name(out, user);
	fputc('[', out);
	admin_put_name(out, realm);
	fputs("]\n", out);
	return 0;
}

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

static int admin_print_ice_servers(const struct admin *a)
{
	bool turn = !(a->have_cfg && a->cfg.stun_only);
	bool udp = turn && !(a->have_cfg && a->cfg.no_udp);
	bool tcp = turn && !(a->have_cfg && a->cfg.no_tcp);
	char host[HOST_MAX];
	unsigned long port;
	size_t cap;
	char *json;
	int rc = 0;

	if (admin_endpoint(a, host, sizeof(host), &port))
		return EXIT_USAGE;
	/* Escaping grows a string at most sixfold ("\u001f"). */
	cap = 256 + 6 * (3 * strlen(host) + strlen(a->user) + strlen(a->password));
	json = malloc(cap);
	if (!json) {
		fprintf(stderr, "turnadmin: out of memory\n");
		return EXIT_STORE;
	}
	if (ice_servers_json(json, cap, host, (uint16_t)port, udp, tcp, a->user, a->password) < 0) {
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

/*
 * Before printing credentials that were not just added, tell the operator
 * when the store disagrees with them: a typo here fails much later, in a
 * browser. Only a warning; the store may live on another host.
 */
static void admin_check_credentials(const struct admin *a)
{
	struct user_keys keys;
	uint8_t key[32];
	char err[USERDB_ERR_LEN];
	struct userdb *db;
	int rc;

	db = userdb_open_sqlite(a->db_path, false, err, sizeof(err));
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
			a->realm, a->db_path);
	} else if (keys.has_md5 &&
		   (stun_lt_key(STUN_PW_ALG_MD5, a->user, a->realm, a->password, key) != 16 ||
		    !stun_ct_equal(key, keys.md5, 16))) {
		fprintf(stderr,
			"turnadmin: warning: the password does not match the key of '%s' in "
			"realm '%s' in %s\n",
			a->user, a->realm, a->db_path);
	}
	explicit_bzero(key, sizeof(key));
	explicit_bzero(&keys, sizeof(keys));
	userdb_close(db);
}

static int admin_open(const struct admin *a, bool create, struct userdb **db)
{
	char err[USERDB_ERR_LEN];

	*db = userdb_open_sqlite(a->db_path, create, err, sizeof(err));
	if (!*db) {
		fprintf(stderr, "turnadmin: %s\n", err);
		return EXIT_STORE;
	}
	return 0;
}

static int admin_add(const struct admin *a)
{
	struct userdb *db;
	uint8_t key[16];
	int rc;

	if (a->md5_key_hex && config_md5_key(a->md5_key_hex, key)) {
		fprintf(stderr, "turnadmin: --md5-key needs 32 hex digits, with or without 0x\n");
		return EXIT_USAGE;
	}
	rc = admin_open(a, true, &db);
	if (rc)
		goto out;
	if (a->md5_key_hex)
		rc = userdb_set_md5_key(db, a->realm, a->user, key);
	else
		rc = userdb_set_password(db, a->realm, a->user, a->password);
	if (rc) {
		fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
		rc = EXIT_STORE;
	}
	userdb_close(db);
out:
	explicit_bzero(key, sizeof(key));
	return rc;
}

static int admin_delete(const struct admin *a)
{
	struct userdb *db;
	int rc;

	rc = admin_open(a, false, &db);
	if (rc)
		return rc;
	rc = userdb_delete(db, a->realm, a->user);
	if (rc < 0) {
		fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
		rc = EXIT_STORE;
	} else if (rc == 1) {
		fprintf(stderr, "turnadmin: no user '%s' in realm '%s' in %s\n", a->user, a->realm,
			a->db_path);
		rc = EXIT_STORE;
	}
	userdb_close(db);
	return rc;
}

static int admin_list(const struct admin *a, const char *realm)
{
	struct userdb *db;
	int rc;

	rc = admin_open(a, false, &db);
	if (rc)
		return rc;
	if (userdb_list(db, realm, admin_list_cb, stdout) != 0) {
		fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
		rc = EXIT_STORE;
	}
	userdb_close(db);
	if (fflush(stdout) != 0)
		rc = EXIT_STORE;
	return rc;
}

static int admin_key(const struct admin *a)
{
	uint8_t key[32];

	if (stun_lt_key(STUN_PW_ALG_MD5, a->user, a->realm, a->password, key) != 16) {
		fprintf(stderr, "turnadmin: cannot compute the key\n");
		return EXIT_STORE;
	}
	admin_hex(stdout, key, 16);
	explicit_bzero(key, sizeof(key));
	return fflush(stdout) == 0 ? 0 : EXIT_STORE;
}

static int admin_set_action(struct admin *a, enum admin_action act)
{
	if (a->action != ACT_NONE && a->action != act) {
		fprintf(stderr, "turnadmin: give only one of -a, -d, -l, -k\n");
		return -1;
	}
	a->action = act;
	return 0;
}

static int admin_parse_args(struct admin *a, int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"add-user", no_argument, NULL, 'a'},
	    {"delete-user", no_argument, NULL, 'd'},
	    {"list-users", no_argument, NULL, 'l'},
	    {"key", no_argument, NULL, 'k'},
	    {"db", required_argument, NULL, 'b'},
	    {"userdb", required_argument, NULL, 'b'},
	    {"user", required_argument, NULL, 'u'},
	    {"realm", required_argument, NULL, 'r'},
	    {"password", required_argument, NULL, 'p'},
	    {"config", required_argument, NULL, 'c'},
	    {"external-ip", required_argument, NULL, 'X'},
	    {"listening-port", required_argument, NULL, OPT_LISTENING_PORT},
	    {"ice-servers", no_argument, NULL, OPT_ICE_SERVERS},
	    {"md5-key", required_argument, NULL, OPT_MD5_KEY},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":adlkb:u:r:p:c:X:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (admin_set_action(a, ACT_ADD))
				return -1;
			break;
		case 'd':
			if (admin_set_action(a, ACT_DELETE))
				return -1;
			break;
		case 'l':
			if (admin_set_action(a, ACT_LIST))
				return -1;
			break;
		case 'k':
			if (admin_set_action(a, ACT_KEY))
				return -1;
			break;
		case 'b':
			a->db_path = optarg;
			break;
		case 'u':
			a->user = optarg;
			break;
		case 'r':
			a->realm = optarg;
			break;
		case 'p':
			a->password = optarg;
			break;
		case 'c':
			a->config_file = optarg;
			break;
		case 'X':
			a->external_ip = optarg;
			break;
		case OPT_LISTENING_PORT:
			a->listening_port = optarg;
			break;
		case OPT_ICE_SERVERS:
			a->ice_servers = true;
			break;
		case OPT_MD5_KEY:
			a->md5_key_hex = optarg;
			break;
		case 'h':
			admin_usage(stdout);
			exit(0);
		case ':':
			fprintf(stderr, "turnadmin: %s needs a value\n", argv[optind - 1]);
			return -1;
		default:
			fprintf(stderr, "turnadmin: unknown option %s (try --help)\n",
				argv[optind - 1]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "turnadmin: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

/* Check that the action has what it needs; fill defaults from the config. */
static int admin_validate(struct admin *a)
{
	bool need_realm = a->action == ACT_ADD || a->action == ACT_DELETE || a->action == ACT_KEY;
	bool need_pass =
	    a->action == ACT_KEY || a->ice_servers || (a->action == ACT_ADD && !a->md5_key_hex);

	if (a->action == ACT_NONE && !a->ice_servers) {
		fprintf(stderr, "turnadmin: no action: give -a, -d, -l, -k or --ice-servers "
				"(try --help)\n");
		return -1;
	}
	if (a->ice_servers && a->action != ACT_NONE && a->action != ACT_ADD) {
		fprintf(stderr, "turnadmin: --ice-servers goes alone or with -a\n");
		return -1;
	}
	if (a->md5_key_hex && (a->action != ACT_ADD || a->ice_servers || a->password)) {
		fprintf(stderr, "turnadmin: --md5-key goes with -a only, without -p or "
				"--ice-servers\n");
		return -1;
	}
	if (a->action != ACT_LIST && !a->user) {
		fprintf(stderr, "turnadmin: this action needs a user name (-u)\n");
		return -1;
	}
	if (need_pass && !a->password) {
		if (a->ice_servers)
			fprintf(stderr,
				"turnadmin: --ice-servers needs the password (-p): the "
				"store keeps only keys, it cannot give the password back\n");
		else
			fprintf(stderr, "turnadmin: this action needs a password (-p)\n");
		return -1;
	}
	if (a->config_file) {
		char err[512];

		if (config_load_file(&a->cfg, a->config_file, err, sizeof(err))) {
			fprintf(stderr, "turnadmin: %s\n", err);
			return -1;
		}
		a->have_cfg = true;
		if (!a->realm && (need_realm || a->ice_servers) && a->cfg.realm[0])
			a->realm = a->cfg.realm;
		if (!a->db_path)
			a->db_path = a->cfg.userdb;
	}
	if (!a->db_path)
		a->db_path = CONFIG_DEFAULT_USERDB;
	if (need_realm && !a->realm) {
		fprintf(stderr,
			"turnadmin: this action needs a realm (-r, or realm= in -c FILE)\n");
		return -1;
	}
	if (a->user && admin_check_text("user name", a->user, CONFIG_MAX_USERNAME_BYTES))
		return -1;
	if (a->realm && admin_check_text("realm", a->realm, CONFIG_MAX_TEXT_BYTES))
		return -1;
	if (a->password && admin_check_text("password", a->password, CONFIG_MAX_LINE))
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct admin a;
	int rc;

	if (version_requested(argc, argv))
		return version_print("turnadmin");

	memset(&a, 0, sizeof(a));
	config_init(&a.cfg);
	if (admin_parse_args(&a, argc, argv) || admin_validate(&a)) {
		rc = EXIT_USAGE;
		goto out;
	}
	switch (a.action) {
	case ACT_ADD:
		rc = admin_add(&a);
		break;
	case ACT_DELETE:
		rc = admin_delete(&a);
		break;
	case ACT_LIST:
		rc = admin_list(&a, a.realm);
		break;
	case ACT_KEY:
		rc = admin_key(&a);
		break;
	default:
		rc = 0;
		if (a.realm)
			admin_check_credentials(&a);
		break;
	}
	if (rc == 0 && a.ice_servers)
		rc = admin_print_ice_servers(&a);
out:
	config_free(&a.cfg);
	return rc;
}
