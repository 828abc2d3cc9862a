/*
 * userdb.h - the long-term credential store (RFC 8489 §9.2).
 *
 * The store keeps, per (realm, user), the MD5 key MD5(user:realm:password),
 * the SHA-256 key SHA-256(user:realm:password) and the USERHASH
 * SHA-256(user:realm) (RFC 8489 §14.4). It never keeps the password. The
 * keys are still password-equivalent for STUN: whoever reads them can
 * authenticate as the user, so the store is created mode 0600.
 *
 * A struct userdb is one open connection to one backend. It is not
 * thread-safe: open one handle per thread (the server opens one per
 * worker). Several processes may use one store at once: turnadmin writes
 * while the daemon reads. The SQLite store runs in WAL mode, so every user
 * of it, readers included, needs write access to its directory (for the
 * -wal and -shm files) as well as to the file itself.
 *
 * Functions that look something up return 0 (found), 1 (not found) or -1
 * (error); the others return 0 or -1. After -1, userdb_errmsg() names the
 * store and the reason. Outputs are untouched unless 0 is returned.
 *
 * Names are compared byte for byte: "Alice" and "alice" are two users.
 * Users and realms must be non-empty and at most USERDB_NAME_MAX bytes.
 *
 * The SQLite store is coturn's schema as it is (turnusers_lt, turn_secret,
 * allowed_peer_ip, denied_peer_ip, turn_realm_option, ...): coturn's
 * turnadmin and ours manage the same users. What coturn has no column for
 * (the SHA-256 key and USERHASH) lives in a table of our own.
 */
#ifndef SERVER_USERDB_H
#define SERVER_USERDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USERDB_NAME_MAX 1024
#define USERDB_ERR_LEN 512
#define USERDB_SECRET_MAX 256 /* bytes of a TURN REST API shared secret */

struct user_keys {
	uint8_t md5[16];
	uint8_t sha256[32];
	bool has_md5, has_sha256;
};

struct userdb;

/*
 * Open the SQLite store at path. With create, a missing parent directory
 * is made (mode 0700), a missing file is made (mode 0600) and a missing
 * schema is added; without it the store must exist. On failure returns NULL
 * and writes a message naming the file into err (if errlen > 0), e.g.
 * "cannot open /x/y.db: unable to open database file (Permission denied)".
 */
struct userdb *userdb_open_sqlite(const char *path, bool create, char *err, size_t errlen);
/*
 * Connect to Redis with coturn's connection string (server/redis_conninfo.h)
 * and coturn's key layout (userdb_redis.c). The handle reconnects by itself
 * on the next call after the connection broke; every call waits at most
 * connect_timeout. On a malformed string or a failed first connection
 * returns NULL with the reason in err (never the password). With
 * lazy, the first connection is not tried here: a store that is down at
 * startup is reached later.
 */
struct userdb *userdb_open_redis(const char *conninfo, bool lazy, char *err, size_t errlen);
void userdb_close(struct userdb *db);

int userdb_get_keys(struct userdb *db, const char *realm, const char *user, struct user_keys *out);
/* USERHASH lookup (RFC 8489 §14.4): the user name, NUL-terminated, into user. */
int userdb_find_userhash(struct userdb *db, const char *realm, const uint8_t hash[32], char *user,
			 size_t user_cap);

/* Insert or replace a user: both keys and the USERHASH, from the password. */
int userdb_set_password(struct userdb *db, const char *realm, const char *user,
			const char *password);
/* Insert or replace a user from a known MD5 key; no SHA-256 key is stored. */
int userdb_set_md5_key(struct userdb *db, const char *realm, const char *user,
		       const uint8_t key[16]);
/* 0 deleted, 1 no such user, -1 error. */
int userdb_delete(struct userdb *db, const char *realm, const char *user);

/*
 * Call cb for each user of realm (NULL: of every realm), ordered by realm
 * then name. cb returns 0 to go on; any other value stops the walk and is
 * returned. cb must not call userdb_list() on the same handle. Returns 0
 * when the walk finished, -1 on error.
 */
int userdb_list(struct userdb *db, const char *realm,
		int (*cb)(void *arg, const char *realm, const char *user), void *arg);
/* Number of users in all realms, or -1. */
int userdb_count(struct userdb *db);

/*
 * Shared secrets of the TURN REST API (use-auth-secret, rest_auth.h), kept
 * per realm as coturn keeps them (its turn_secret table); a realm may have
 * several at once, for rotation. A secret is 1 to USERDB_SECRET_MAX bytes.
 * The secrets are stored as given: whoever reads them can mint credentials.
 *
 * userdb_list_secrets() walks the secrets of realm (NULL: of every realm)
 * as userdb_list() walks users. userdb_add_secret() adds one (already
 * there: nothing changes, 0). userdb_del_secret() deletes one, or with
 * secret NULL every secret of the realm: 0 deleted, 1 none there, -1 error.
 */
int userdb_list_secrets(struct userdb *db, const char *realm,
			int (*cb)(void *arg, const char *realm, const char *secret), void *arg);
int userdb_add_secret(struct userdb *db, const char *realm, const char *secret);
int userdb_del_secret(struct userdb *db, const char *realm, const char *secret);

/*
 * A realm option (coturn's max-bps, user-quota, total-quota): 0 with the
 * value, 1 not set (or the backend keeps none), -1 error.
 */
int userdb_realm_option(struct userdb *db, const char *realm, const char *name,
			unsigned long *value);
/*
 * Set a realm option (coturn's turnadmin -g): value 0 removes it, as
 * coturn's does. name is one of userdb_realm_options. 0 or -1.
 */
#define USERDB_REALM_OPTION_COUNT 3
extern const char *const userdb_realm_options[USERDB_REALM_OPTION_COUNT];
int userdb_set_realm_option(struct userdb *db, const char *realm, const char *name,
			    unsigned long value);
/*
 * The realm's allowed-peer-ip (allowed true) or denied-peer-ip entries, as
 * written ("10.0.0.1", "10.0.0.0-10.0.0.255", ...): cb for each, as for
 * userdb_list(). A backend that keeps none calls cb for none.
 */
int userdb_list_peer_ips(struct userdb *db, const char *realm, bool allowed,
			 int (*cb)(void *arg, const char *range), void *arg);
/* Is the store reachable? 0, or -1 with userdb_errmsg(). */
int userdb_ping(struct userdb *db);
/* The backend's name: "sqlite", "redis". */
const char *userdb_kind(const struct userdb *db);

/*
 * coturn's other tables, read by the server at startup (userdb_load.c).
 * userdb_list_peer_ranges() walks allowed_peer_ip (denied: denied_peer_ip)
 * rows as (realm, range); userdb_list_realm_options() walks
 * turn_realm_option rows as (realm, option, value). A backend without
 * them walks nothing. Same return convention as userdb_list().
 */
int userdb_list_peer_ranges(struct userdb *db, bool denied,
			    int (*cb)(void *arg, const char *realm, const char *range), void *arg);
int userdb_list_realm_options(struct userdb *db,
			      int (*cb)(void *arg, const char *realm, const char *opt,
					const char *value),
			      void *arg);
/*
 * Walk every user row and call cb for each whose stored key cannot be used
 * (why: "hmackey is not hex", ...). Returns the number of such rows, or -1.
 */
int userdb_check_users(struct userdb *db,
		       int (*cb)(void *arg, const char *realm, const char *user, const char *why),
		       void *arg);
/* cb(table, rows) for each non-empty table of coturn's that nothing here reads. */
int userdb_list_unused(struct userdb *db, int (*cb)(void *arg, const char *table, long rows),
		       void *arg);
/* What opening the store did that the operator should know (a migration), or "". */
const char *userdb_notice(const struct userdb *db);
void userdb_set_notice(struct userdb *db, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * coturn's hmackey column: the key in hex, 32 digits for MD5 and 64 for
 * SHA-256 (either case). 0 and *out set (only that key), or -1 with why
 * ("hmackey has 31 hex digits, not 32 (MD5) or 64 (SHA-256)").
 */
int userdb_hmackey_parse(const char *hex, struct user_keys *out, char *why, size_t cap);
/*
 * Admin accounts of the admin HTTP interface (coturn's admin_user table:
 * name, realm, password as coturn's "$5$" hash, webadmin_pw.c). Only the
 * hash is stored. userdb_get_admin(): 1 and the hash in pw (and realm)
 * when name exists, 0 when not, -1 on error. userdb_set_admin() hashes
 * password and adds or replaces name; userdb_del_admin(): 0, 1 when there
 * was none, -1. userdb_list_admins() walks (realm, name) as userdb_list().
 * Backends without admin accounts answer -1 with the reason.
 */
#define USERDB_ADMIN_NAME_MAX 32  /* coturn's admin_user.name varchar(32) */
#define USERDB_ADMIN_PW_MAX 127	  /* admin_user.password varchar(127) */
int userdb_get_admin(struct userdb *db, const char *name, char *realm, size_t realm_cap,
		     char *pw, size_t pw_cap);
int userdb_set_admin(struct userdb *db, const char *name, const char *realm, const char *password);
int userdb_del_admin(struct userdb *db, const char *name);
int userdb_list_admins(struct userdb *db,
		       int (*cb)(void *arg, const char *realm, const char *name), void *arg);

/* The MD5 key as coturn writes it: 32 lower-case hex digits and a NUL. */
void userdb_hmackey_format(const uint8_t md5[16], char out[33]);

/* The last error, naming the store: "cannot write /x.db: disk I/O error". */
const char *userdb_errmsg(const struct userdb *db);

/*
 * Backend interface. A backend fills a struct userdb_ops, creates its state
 * and wraps both with userdb_new(). The front end (userdb.c) checks names,
 * derives keys and USERHASH, and passes only those to put(); backends never
 * see a password. Return conventions are those of the public functions.
 */
struct userdb_ops {
	const char *name; /* "sqlite" */
	int (*get_keys)(struct userdb *db, const char *realm, const char *user,
			struct user_keys *out);
	int (*find_userhash)(struct userdb *db, const char *realm, const uint8_t hash[32],
			     char *user, size_t user_cap);
	int (*put)(struct userdb *db, const char *realm, const char *user,
		   const struct user_keys *keys, const uint8_t userhash[32]);
	int (*del)(struct userdb *db, const char *realm, const char *user);
	int (*list)(struct userdb *db, const char *realm,
		    int (*cb)(void *arg, const char *realm, const char *user), void *arg);
	int (*count)(struct userdb *db);
	int (*list_secrets)(struct userdb *db, const char *realm,
			    int (*cb)(void *arg, const char *realm, const char *secret), void *arg);
	int (*add_secret)(struct userdb *db, const char *realm, const char *secret);
	int (*del_secret)(struct userdb *db, const char *realm, const char *secret);
	/* optional (NULL: nothing to walk) */
	int (*list_peer_ranges)(struct userdb *db, bool denied,
				int (*cb)(void *arg, const char *realm, const char *range),
				void *arg);
	int (*list_realm_options)(struct userdb *db,
				  int (*cb)(void *arg, const char *realm, const char *opt,
					    const char *value),
				  void *arg);
	int (*check_users)(struct userdb *db,
			   int (*cb)(void *arg, const char *realm, const char *user,
				     const char *why),
			   void *arg);
	int (*list_unused)(struct userdb *db, int (*cb)(void *arg, const char *table, long rows),
			   void *arg);
	void (*close)(void *state);
	/* NULL where the backend keeps no such thing (userdb.c answers for it) */
	int (*realm_option)(struct userdb *db, const char *realm, const char *name,
			    unsigned long *value);
	int (*set_realm_option)(struct userdb *db, const char *realm, const char *name,
				unsigned long value);
	int (*list_peer_ips)(struct userdb *db, const char *realm, bool allowed,
			     int (*cb)(void *arg, const char *range), void *arg);
	int (*ping)(struct userdb *db);
	/* admin accounts (userdb_get_admin() ...); NULL: the backend has none */
	int (*get_admin)(struct userdb *db, const char *name, char *realm, size_t realm_cap,
			 char *pw, size_t pw_cap);
	int (*put_admin)(struct userdb *db, const char *name, const char *realm, const char *pw);
	int (*del_admin)(struct userdb *db, const char *name);
	int (*list_admins)(struct userdb *db,
			   int (*cb)(void *arg, const char *realm, const char *name), void *arg);
};

/* userdb_admin.c: coturn's admin_user table of a SQLite store (its ops). */
int userdb_sqlite_get_admin(struct userdb *db, const char *name, char *realm, size_t realm_cap,
			    char *pw, size_t pw_cap);
int userdb_sqlite_put_admin(struct userdb *db, const char *name, const char *realm,
			    const char *pw);
int userdb_sqlite_del_admin(struct userdb *db, const char *name);
int userdb_sqlite_list_admins(struct userdb *db,
			      int (*cb)(void *arg, const char *realm, const char *name), void *arg);
/* userdb_redis_admin.c: coturn's turn/admin_user/NAME hashes in Redis (its ops). */
int userdb_redis_get_admin(struct userdb *db, const char *name, char *realm, size_t realm_cap,
			   char *pw, size_t pw_cap);
int userdb_redis_put_admin(struct userdb *db, const char *name, const char *realm,
			   const char *pw);
int userdb_redis_del_admin(struct userdb *db, const char *name);
int userdb_redis_list_admins(struct userdb *db,
			     int (*cb)(void *arg, const char *realm, const char *name), void *arg);
/* For userdb_redis_admin.c: one command (a redisReply *, NULL with the error set), a SCAN. */
void *userdb_redis_command(struct userdb *db, int argc, const char **argv);
int userdb_redis_scan(struct userdb *db, const char *pattern,
		      int (*cb)(struct userdb *db, const char *key, void *arg), void *arg);
/* The SQLite handle of a SQLite store (a struct sqlite3 *), for userdb_admin.c. */
void *userdb_sqlite_conn(struct userdb *db);
/* Records "cannot VERB FILE: why" as the store's error: -1. */
int userdb_sqlite_error(struct userdb *db, const char *verb);

/* NULL when out of memory; the caller then frees its state itself. */
struct userdb *userdb_new(const struct userdb_ops *ops, void *state);
void *userdb_state(const struct userdb *db);
/* Record the error returned by the current call. */
void userdb_set_error(struct userdb *db, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif /* SERVER_USERDB_H */
