/*
 * turnadmin.h - what turnadmin.c (actions on the store, command line) shares
 * with admin_ice.c (the iceServers JSON, with a user's password or with
 * time-limited TURN REST API credentials).
 */
#ifndef ADMIN_TURNADMIN_H
#define ADMIN_TURNADMIN_H

#include <stdbool.h>
#include <stdio.h>

#include "common/config.h"
#include "server/userdb.h"

#define EXIT_USAGE 1
#define EXIT_STORE 2
#define HOST_MAX 256 /* an IPv6 address or a DNS name, and NUL */

enum admin_action {
	ACT_NONE,
	ACT_ADD,
	ACT_DELETE,
	ACT_LIST,
	ACT_KEY,
	ACT_SET_SECRET,
	ACT_SHOW_SECRETS,
	ACT_DEL_SECRET,
	ACT_DEL_ALL_SECRETS,
	ACT_ADD_ADMIN,	 /* -A: web-admin accounts (admin_accounts.c) */
	ACT_DEL_ADMIN,	 /* -D */
	ACT_LIST_ADMINS, /* -L */
	ACT_ENC_PASSWORD, /* -P: print coturn's "$5$" form of -p */
	ACT_SET_REALM_OPTS, /* -g */
	ACT_LIST_REALM_OPTS, /* -G */
};

enum {
	OPT_ICE_SERVERS = 0x100,
	OPT_LISTENING_PORT,
	OPT_MD5_KEY,
	OPT_EXTERNAL_IP,
	OPT_DEL_ALL_SECRETS,
	OPT_TTL,
	OPT_AUTH_SECRET,
	OPT_MAX_BPS, /* then user-quota, total-quota: userdb_realm_options' order */
	OPT_USER_QUOTA,
	OPT_TOTAL_QUOTA,
};

struct admin {
	enum admin_action action;
	bool ice_servers;
	const char *db_path;
	const char *redis;	/* -N: Redis connection string, instead of db_path */
	const char *store_name; /* db_path, or "Redis" in messages */
	const char *user;
	const char *realm;
	const char *password;
	const char *md5_key_hex;
	const char *external_ip;
	const char *listening_port;
	const char *config_file;
	const char *secret;	 /* -s, -X */
	const char *auth_secret; /* --auth-secret */
	const char *ttl;	 /* --ttl: time-limited credentials */
	const char *realm_opt[USERDB_REALM_OPTION_COUNT]; /* -g: --max-bps, ... as given */
	struct config cfg;
	bool have_cfg;
};

/* Open the store of -b (or its default) or -N; EXIT_STORE with the reason printed. */
int admin_open(const struct admin *a, bool create, struct userdb **db);
/* The same, NULL with the reason in err. */
struct userdb *admin_db_open(const struct admin *a, bool create, char *err, size_t errlen);

/* --ice-servers: the JSON for user and password (0, or an exit status). */
int admin_print_ice_servers(const struct admin *a, const char *user, const char *password);
/* --ice-servers --ttl: the same with credentials made from a secret. */
int admin_print_rest_ice_servers(const struct admin *a);
/* admin_accounts.c: -A, -D, -L, -P (0, or an exit status). */
int admin_accounts(const struct admin *a);
/* -g: the realm options given into the store (0, or an exit status). */
int admin_set_realm_options(const struct admin *a);
/* -G: the options of -r's realm, or every row (SQLite) without -r. */
int admin_list_realm_options(const struct admin *a);
/* A name from the store, printable on one line: control bytes and '\' escaped. */
void admin_put_name(FILE *out, const char *s);

/* Warn when -u/-p disagree with the store (the store may live elsewhere). */
void admin_check_credentials(const struct admin *a);

#endif
