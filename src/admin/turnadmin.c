/*
 * turnadmin - manage the long-term credential store (coturn's flags).
 *
 *   turnadmin -a -u USER -r REALM -p PASSWORD [-b FILE] [--ice-servers]
 *   turnadmin -a -u USER -r REALM --md5-key 0xHEX [-b FILE]
 *   turnadmin -d -u USER -r REALM [-b FILE]
 *   turnadmin -l [-r REALM] [-b FILE]
 *   turnadmin -k -u USER -r REALM -p PASSWORD
 *   turnadmin --ice-servers -u USER -p PASSWORD [--external-ip HOST] [--listening-port N]
 *             [-c FILE]
 *   turnadmin -s SECRET -r REALM | -S [-r REALM] | -X SECRET -r REALM
 *   turnadmin --delete-all-secrets -r REALM
 *   turnadmin -g -r REALM [--max-bps N] [--user-quota N] [--total-quota N] | -G [-r REALM]
 *   turnadmin --ice-servers --ttl SECONDS [-u USER] [--auth-secret SECRET | -c FILE | -r REALM]
 *
 * -N CONNINFO (coturn's --redis-userdb) works on a Redis store in coturn's
 * layout instead of the SQLite file, for every action.
 *
 * -s, -S, -X and --delete-all-secrets manage the TURN REST API secrets with
 * coturn's turnadmin's meanings (-X is coturn's --delete-secret; the public
 * address of --ice-servers is --external-ip only).
 * Exit status: 0 done, 1 usage or configuration error, 2 store error.
 * The store keeps keys, never passwords; a password is printed only in the
 * --ice-servers output, which the operator asks for.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/turnadmin.h"
#include "common/version.h"
#include "stun/stun.h"

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
	    "                          with -a, add the user first; with --ttl, for\n"
	    "                          time-limited TURN REST API credentials instead\n"
	    "  -s, --set-secret SECRET add a TURN REST API secret to -r's realm\n"
	    "  -S, --show-secret       list the secrets, of one realm with -r\n"
	    "  -X, --delete-secret SECRET\n"
	    "                          delete a secret of -r's realm\n"
	    "      --delete-all-secrets\n"
	    "                          delete every secret of -r's realm\n"
	    "  -A, --add-admin         add or replace a web-admin account (-u, -p; -r: the\n"
	    "                          realm it administers, default every realm)\n"
	    "  -D, --delete-admin      delete a web-admin account (-u)\n"
	    "  -L, --list-admin        list the web-admin accounts\n"
	    "  -P, --generate-encrypted-password\n"
	    "                          print the stored form of -p (coturn's \"$5$\" hash)\n"
	    "  -g, --set-realm-option  set -r's realm options: --max-bps, --user-quota,\n"
	    "                          --total-quota (0 removes one); a running\n"
	    "                          turnserver reads them within realm-options-refresh\n"
	    "  -G, --list-realm-options\n"
	    "                          list the realm options, of one realm with -r\n"
	    "options:\n"
	    "  -b, --db, --userdb FILE SQLite user database (default %s,\n"
	    "                          or userdb= of the -c file)\n"
	    "  -N, --redis-userdb STR  Redis user database instead, coturn's connection\n"
	    "                          string \"ip=.. port=.. dbname=.. password=..\"\n"
	    "                          (default: redis-userdb= of the -c file)\n"
	    "  -u, --user NAME         user name\n"
	    "  -r, --realm REALM       realm (default: realm= of the -c file)\n"
	    "  -p, --password PASS     password\n"
	    "      --md5-key 0xHEX     with -a: store this MD5 key instead of a password\n"
	    "  -c, --config FILE       turnserver.conf to take defaults from\n"
	    "      --external-ip HOST  public address for --ice-servers\n"
	    "      --listening-port N  port for --ice-servers (default 3478)\n"
	    "      --ttl SECONDS       with --ice-servers: credentials good this long; -u is\n"
	    "                          then optional (the username is EXPIRY:USER)\n"
	    "      --auth-secret SECRET\n"
	    "                          the secret for --ttl (default: static-auth-secret of\n"
	    "                          the -c file, else the first of -r's realm in the store)\n"
	    "      --max-bps N, --user-quota N, --total-quota N\n"
	    "                          with -g: the realm's value (bytes a second,\n"
	    "                          allocations per user, allocations in all)\n"
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

void admin_put_name(FILE *out, const char *s)
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

struct userdb *admin_db_open(const struct admin *a, bool create, char *err, size_t errlen)
{
	if (a->redis)
		return userdb_open_redis(a->redis, false, err, errlen);
	return userdb_open_sqlite(a->db_path, create, err, errlen);
}

int admin_open(const struct admin *a, bool create, struct userdb **db)
{
	char err[USERDB_ERR_LEN];

	*db = admin_db_open(a, create, err, sizeof(err));
	if (!*db) {
		fprintf(stderr, "turnadmin: %s\n", err);
		return EXIT_STORE;
	}
	if (*userdb_notice(*db))
		fprintf(stderr, "turnadmin: %s: %s\n", a->db_path, userdb_notice(*db));
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
			a->store_name);
		rc = EXIT_STORE;
	}
	userdb_close(db);
	return rc;
}

/* -l lists users, -S secrets: "name[realm]" a line, as coturn's turnadmin prints them. */
static int admin_list(const struct admin *a, const char *realm, bool secrets)
{
	struct userdb *db;
	int rc;

	rc = admin_open(a, false, &db);
	if (rc)
		return rc;
	if ((secrets ? userdb_list_secrets(db, realm, admin_list_cb, stdout)
		     : userdb_list(db, realm, admin_list_cb, stdout)) != 0) {
		fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
		rc = EXIT_STORE;
	}
	userdb_close(db);
	if (fflush(stdout) != 0)
		rc = EXIT_STORE;
	return rc;
}

/* -s adds a secret; -X deletes one, --delete-all-secrets all of the realm's. */
static int admin_secret(const struct admin *a)
{
	struct userdb *db;
	int rc;

	rc = admin_open(a, a->action == ACT_SET_SECRET, &db);
	if (rc)
		return rc;
	if (a->action == ACT_SET_SECRET)
		rc = userdb_add_secret(db, a->realm, a->secret);
	else
		rc = userdb_del_secret(db, a->realm,
				       a->action == ACT_DEL_SECRET ? a->secret : NULL);
	if (rc < 0) {
		fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
		rc = EXIT_STORE;
	} else if (rc == 1) {
		fprintf(stderr, "turnadmin: %s in realm '%s' in %s\n",
			a->action == ACT_DEL_SECRET ? "no such secret" : "no secret", a->realm,
			a->store_name);
		rc = EXIT_STORE;
	}
	userdb_close(db);
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
		fprintf(stderr, "turnadmin: give only one of -a, -d, -l, -k, -s, -S, -X, "
				"--delete-all-secrets, -A, -D, -L, -P, -g, -G\n");
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
	    {"redis-userdb", required_argument, NULL, 'N'},
	    {"user", required_argument, NULL, 'u'},
	    {"realm", required_argument, NULL, 'r'},
	    {"password", required_argument, NULL, 'p'},
	    {"config", required_argument, NULL, 'c'},
	    {"external-ip", required_argument, NULL, OPT_EXTERNAL_IP},
	    {"set-secret", required_argument, NULL, 's'},
	    {"show-secret", no_argument, NULL, 'S'},
	    {"delete-secret", required_argument, NULL, 'X'},
	    {"delete-all-secrets", no_argument, NULL, OPT_DEL_ALL_SECRETS},
	    {"ttl", required_argument, NULL, OPT_TTL},
	    {"auth-secret", required_argument, NULL, OPT_AUTH_SECRET},
	    {"listening-port", required_argument, NULL, OPT_LISTENING_PORT},
	    {"ice-servers", no_argument, NULL, OPT_ICE_SERVERS},
	    {"md5-key", required_argument, NULL, OPT_MD5_KEY},
	    {"add-admin", no_argument, NULL, 'A'},
	    {"delete-admin", no_argument, NULL, 'D'},
	    {"list-admin", no_argument, NULL, 'L'},
	    {"generate-encrypted-password", no_argument, NULL, 'P'},
	    {"set-realm-option", no_argument, NULL, 'g'},
	    {"list-realm-options", no_argument, NULL, 'G'},
	    {"max-bps", required_argument, NULL, OPT_MAX_BPS},
	    {"user-quota", required_argument, NULL, OPT_USER_QUOTA},
	    {"total-quota", required_argument, NULL, OPT_TOTAL_QUOTA},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":adlkADLPb:N:u:r:p:c:s:SX:gGh", longopts, NULL)) != -1) {
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
		case 'A':
		case 'D':
		case 'L':
		case 'P':
			if (admin_set_action(a, c == 'A'	? ACT_ADD_ADMIN
						: c == 'D' ? ACT_DEL_ADMIN
						: c == 'L' ? ACT_LIST_ADMINS
							   : ACT_ENC_PASSWORD))
				return -1;
			break;
		case 'b':
			a->db_path = optarg;
			break;
		case 'N':
			a->redis = optarg;
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
		case 's':
			if (admin_set_action(a, ACT_SET_SECRET))
				return -1;
			a->secret = optarg;
			break;
		case 'S':
			if (admin_set_action(a, ACT_SHOW_SECRETS))
				return -1;
			break;
		case 'X':
			if (admin_set_action(a, ACT_DEL_SECRET))
				return -1;
			a->secret = optarg;
			break;
		case OPT_DEL_ALL_SECRETS:
			if (admin_set_action(a, ACT_DEL_ALL_SECRETS))
				return -1;
			break;
		case 'g':
			if (admin_set_action(a, ACT_SET_REALM_OPTS))
				return -1;
			break;
		case 'G':
			if (admin_set_action(a, ACT_LIST_REALM_OPTS))
				return -1;
			break;
		case OPT_MAX_BPS:
		case OPT_USER_QUOTA:
		case OPT_TOTAL_QUOTA:
			a->realm_opt[c - OPT_MAX_BPS] = optarg;
			break;
		case OPT_EXTERNAL_IP:
			a->external_ip = optarg;
			break;
		case OPT_TTL:
			a->ttl = optarg;
			break;
		case OPT_AUTH_SECRET:
			a->auth_secret = optarg;
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
	bool secret_op = a->action == ACT_SET_SECRET || a->action == ACT_DEL_SECRET ||
			 a->action == ACT_DEL_ALL_SECRETS;
	bool need_realm = a->action == ACT_ADD || a->action == ACT_DELETE ||
			  a->action == ACT_KEY || a->action == ACT_SET_REALM_OPTS || secret_op;
	bool realm_opt = a->realm_opt[0] || a->realm_opt[1] || a->realm_opt[2];
	bool rest = a->ice_servers && a->ttl;
	bool need_user = a->action == ACT_ADD || a->action == ACT_DELETE ||
			 a->action == ACT_KEY || (a->ice_servers && !rest) ||
			 a->action == ACT_ADD_ADMIN || a->action == ACT_DEL_ADMIN;
	bool need_pass = a->action == ACT_KEY || (a->ice_servers && !rest) ||
			 (a->action == ACT_ADD && !a->md5_key_hex) || a->action == ACT_ADD_ADMIN ||
			 a->action == ACT_ENC_PASSWORD;

	if (a->redis && a->db_path) {
		fprintf(stderr, "turnadmin: -b and -N name two stores: give one\n");
		return -1;
	}
	if (a->action == ACT_NONE && !a->ice_servers) {
		fprintf(stderr, "turnadmin: no action: give -a, -d, -l, -k, -s, -S, -X, "
				"--delete-all-secrets, -A, -D, -L, -P, -g, -G or --ice-servers (try "
				"--help)\n");
		return -1;
	}
	if (realm_opt != (a->action == ACT_SET_REALM_OPTS)) {
		fprintf(stderr, "turnadmin: -g needs --max-bps, --user-quota or --total-quota, "
				"which go with -g only\n");
		return -1;
	}
	if (a->ice_servers && a->action != ACT_NONE && a->action != ACT_ADD) {
		fprintf(stderr, "turnadmin: --ice-servers goes alone or with -a\n");
		return -1;
	}
	if ((a->ttl && (!a->ice_servers || a->action != ACT_NONE || a->password)) ||
	    (a->auth_secret && !a->ttl)) {
		fprintf(stderr, "turnadmin: --ttl goes with --ice-servers alone, without -p (the "
				"password is made from the secret); --auth-secret goes with --ttl\n");
		return -1;
	}
	if (a->md5_key_hex && (a->action != ACT_ADD || a->ice_servers || a->password)) {
		fprintf(stderr, "turnadmin: --md5-key goes with -a only, without -p or "
				"--ice-servers\n");
		return -1;
	}
	if (need_user && !a->user) {
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
		if (!a->db_path && !a->redis && a->cfg.redis_userdb[0])
			a->redis = a->cfg.redis_userdb;
		if (!a->db_path && !a->redis)
			a->db_path = a->cfg.userdb;
	}
	if (!a->db_path && !a->redis)
		a->db_path = CONFIG_DEFAULT_USERDB;
	a->store_name = a->redis ? "Redis" : a->db_path;
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
	if (a->secret && admin_check_text("secret", a->secret, USERDB_SECRET_MAX))
		return -1;
	if (a->auth_secret && admin_check_text("secret", a->auth_secret, USERDB_SECRET_MAX))
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
	case ACT_SHOW_SECRETS:
		rc = admin_list(&a, a.realm, a.action == ACT_SHOW_SECRETS);
		break;
	case ACT_SET_SECRET:
	case ACT_DEL_SECRET:
	case ACT_DEL_ALL_SECRETS:
		rc = admin_secret(&a);
		break;
	case ACT_KEY:
		rc = admin_key(&a);
		break;
	case ACT_ADD_ADMIN:
	case ACT_DEL_ADMIN:
	case ACT_LIST_ADMINS:
	case ACT_ENC_PASSWORD:
		rc = admin_accounts(&a);
		break;
	case ACT_SET_REALM_OPTS:
		rc = admin_set_realm_options(&a);
		break;
	case ACT_LIST_REALM_OPTS:
		rc = admin_list_realm_options(&a);
		break;
	default:
		rc = 0;
		if (a.realm && !a.ttl)
			admin_check_credentials(&a);
		break;
	}
	if (rc == 0 && a.ice_servers && a.ttl)
		rc = admin_print_rest_ice_servers(&a);
	else if (rc == 0 && a.ice_servers)
		rc = admin_print_ice_servers(&a, a.user, a.password);
out:
	config_free(&a.cfg);
	return rc;
}
