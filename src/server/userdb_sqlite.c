/*
 * userdb_sqlite.c - the SQLite backend of the credential store, in
 * coturn's schema as it is, so that coturn's turnadmin and ours (and
 * coturn's turnserver) share one file:
 *   turnusers_lt (realm, name, hmackey)  users: hmackey is the hex MD5
 *                                        key (64 digits: SHA-256)
 *   turn_secret (realm, value)           TURN REST API secrets
 *   allowed_peer_ip, denied_peer_ip (realm, ip_range)
 *   turn_realm_option (realm, opt, value) max-bps, user-quota, total-quota
 *   admin_user (name, realm, password)   web-admin accounts (userdb_admin.c)
 *   turn_origin_to_realm, oauth_key: created, not read
 * Our additions live in a table of our own that coturn never opens:
 *   turnserver_keys (realm, name, hmackey, sha256key, userhash)
 * The SHA-256 key there is used only while its hmackey is the user's
 * hmackey in turnusers_lt: a password changed by coturn's turnadmin leaves
 * a stale row that is ignored (the user then has the MD5 key only).
 *
 * Stores of our earlier schema (one table turnusers) are migrated in one
 * transaction on the first open, with a notice (userdb_notice()).
 *
 * New stores use WAL so that turnadmin can write while the daemon reads
 * (coturn's own files keep their journal mode), and every connection waits
 * up to USERDB_SQLITE_BUSY_MS for a lock instead of failing at once. The
 * handle is opened without SQLite's mutex (SQLITE_OPEN_NOMUTEX): one per
 * thread.
 *
 * WAL readers write too: every user of the store, the daemon included,
 * needs write access to the directory (for the -wal and -shm files).
 */
#include "server/userdb.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define USERDB_SQLITE_BUSY_MS 2000
#define USERDB_SQLITE_MAX_OPTION 4294967295ul /* a realm option's largest value */

/* coturn's schema.sql (the table and column names are the interface) */
static const char userdb_sqlite_coturn_schema[] =
    "CREATE TABLE IF NOT EXISTS turnusers_lt (realm varchar(127) default '',"
    " name varchar(512), hmackey char(128), PRIMARY KEY (realm, name));"
    "CREATE TABLE IF NOT EXISTS turn_secret (realm varchar(127) default '',"
    " value varchar(256), primary key (realm, value));"
    "CREATE TABLE IF NOT EXISTS allowed_peer_ip (realm varchar(127) default '',"
    " ip_range varchar(256), primary key (realm, ip_range));"
    "CREATE TABLE IF NOT EXISTS denied_peer_ip (realm varchar(127) default '',"
    " ip_range varchar(256), primary key (realm, ip_range));"
    "CREATE TABLE IF NOT EXISTS turn_origin_to_realm (origin varchar(127),"
    " realm varchar(127), primary key (origin));"
    "CREATE TABLE IF NOT EXISTS turn_realm_option (realm varchar(127) default '',"
    " opt varchar(32), value varchar(128), primary key (realm, opt));"
    "CREATE TABLE IF NOT EXISTS oauth_key (kid varchar(128), ikm_key varchar(256),"
    " timestamp bigint default 0, lifetime integer default 0,"
    " as_rs_alg varchar(64) default '', realm varchar(127), primary key (kid));"
    "CREATE TABLE IF NOT EXISTS admin_user (name varchar(32), realm varchar(127),"
    " password varchar(127), primary key (name));"
    /* ours */
    "CREATE TABLE IF NOT EXISTS turnserver_keys (realm TEXT NOT NULL, name TEXT NOT NULL,"
    " hmackey TEXT NOT NULL, sha256key BLOB, userhash BLOB NOT NULL,"
    " PRIMARY KEY (realm, name));"
    "CREATE INDEX IF NOT EXISTS turnserver_keys_userhash ON turnserver_keys (realm, userhash);";

/* our schema before coturn's: every user with an MD5 key moves over */
static const char userdb_sqlite_migrate[] =
    "INSERT OR IGNORE INTO turnusers_lt (realm, name, hmackey)"
    " SELECT realm, name, lower(hex(md5key)) FROM turnusers WHERE length(md5key) = 16;"
    "INSERT OR REPLACE INTO turnserver_keys (realm, name, hmackey, sha256key, userhash)"
    " SELECT realm, name, lower(hex(md5key)), sha256key, userhash FROM turnusers"
    " WHERE length(md5key) = 16 AND length(userhash) = 32;";

enum userdb_sqlite_stmt {
	ST_GET,
	ST_FIND_HASH,
	ST_PUT_LT,
	ST_PUT_OURS,
	ST_DEL_LT,
	ST_DEL_OURS,
	ST_LIST_ALL,
	ST_LIST_REALM,
	ST_COUNT,
	ST_SECRETS_ALL,
	ST_SECRETS_REALM,
	ST_SECRET_ADD,
	ST_SECRET_DEL,
	ST_SECRET_DEL_ALL,
	ST_ALLOWED,
	ST_DENIED,
	ST_REALM_OPTIONS,
	ST_REALM_OPTION,
	ST_REALM_OPTION_SET,
	ST_REALM_OPTION_DEL,
	ST_ALLOWED_OF,
	ST_DENIED_OF,
	ST_CHECK_USERS,
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_NUM,
};

/* Prepared once per handle. */
static const char *const userdb_sqlite_sql[ST_NUM] = {
    [ST_GET] = "SELECT l.hmackey, k.hmackey, k.sha256key FROM turnusers_lt l"
	       " LEFT JOIN turnserver_keys k ON k.realm = l.realm AND k.name = l.name"
	       " WHERE l.realm = ?1 AND l.name = ?2",
    [ST_FIND_HASH] = "SELECT k.name FROM turnserver_keys k JOIN turnusers_lt l"
		     " ON l.realm = k.realm AND l.name = k.name"
		     " WHERE k.realm = ?1 AND k.userhash = ?2 LIMIT 1",
    [ST_PUT_LT] = "INSERT OR REPLACE INTO turnusers_lt (realm, name, hmackey) VALUES (?1, ?2, ?3)",
    [ST_PUT_OURS] = "INSERT OR REPLACE INTO turnserver_keys (realm, name, hmackey, sha256key,"
		    " userhash) VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_DEL_LT] = "DELETE FROM turnusers_lt WHERE realm = ?1 AND name = ?2",
    [ST_DEL_OURS] = "DELETE FROM turnserver_keys WHERE realm = ?1 AND name = ?2",
    [ST_LIST_ALL] = "SELECT realm, name FROM turnusers_lt ORDER BY realm, name",
    [ST_LIST_REALM] = "SELECT realm, name FROM turnusers_lt WHERE realm = ?1 ORDER BY name",
    [ST_COUNT] = "SELECT count(*) FROM turnusers_lt",
    [ST_SECRETS_ALL] = "SELECT realm, value FROM turn_secret ORDER BY realm, value",
    [ST_SECRETS_REALM] = "SELECT realm, value FROM turn_secret WHERE realm = ?1 ORDER BY value",
    [ST_SECRET_ADD] = "INSERT OR IGNORE INTO turn_secret (realm, value) VALUES (?1, ?2)",
    [ST_SECRET_DEL] = "DELETE FROM turn_secret WHERE realm = ?1 AND value = ?2",
    [ST_SECRET_DEL_ALL] = "DELETE FROM turn_secret WHERE realm = ?1",
    [ST_ALLOWED] = "SELECT realm, ip_range FROM allowed_peer_ip ORDER BY realm, ip_range",
    [ST_DENIED] = "SELECT realm, ip_range FROM denied_peer_ip ORDER BY realm, ip_range",
    [ST_REALM_OPTIONS] = "SELECT realm, opt, value FROM turn_realm_option ORDER BY realm, opt",
    [ST_REALM_OPTION] = "SELECT value FROM turn_realm_option WHERE realm = ?1 AND opt = ?2",
    [ST_REALM_OPTION_SET] = "INSERT OR REPLACE INTO turn_realm_option (realm, opt, value)"
			    " VALUES (?1, ?2, ?3)",
    [ST_REALM_OPTION_DEL] = "DELETE FROM turn_realm_option WHERE realm = ?1 AND opt = ?2",
    /* coturn: a range of realm '' holds for every realm */
    [ST_ALLOWED_OF] = "SELECT ip_range, realm FROM allowed_peer_ip WHERE realm = ?1 OR realm = ''"
		      " ORDER BY ip_range",
    [ST_DENIED_OF] = "SELECT ip_range, realm FROM denied_peer_ip WHERE realm = ?1 OR realm = ''"
		     " ORDER BY ip_range",
    [ST_CHECK_USERS] = "SELECT realm, name, hmackey FROM turnusers_lt ORDER BY realm, name",
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
};

struct sqlite_store {
	sqlite3 *conn;
	char *path;
	sqlite3_stmt *st[ST_NUM];
};

/* "cannot <verb> <path>: <sqlite reason> (<errno reason>)" */
static void userdb_sqlite_format(char *buf, size_t len, sqlite3 *conn, const char *verb,
				 const char *path)
{
	int ext = conn ? sqlite3_extended_errcode(conn) : SQLITE_NOMEM;
	int code = ext & 0xff;
	int sys = conn ? sqlite3_system_errno(conn) : 0;
	const char *msg = conn ? sqlite3_errmsg(conn) : "out of memory";

	if (ext == SQLITE_READONLY_DIRECTORY || ext == SQLITE_READONLY_CANTINIT)
		snprintf(buf, len,
			 "cannot %s %s: %s (its directory must be writable: "
			 "SQLite keeps the -wal and -shm files there)",
			 verb, path, msg);
	else if (sys && (code == SQLITE_CANTOPEN || code == SQLITE_IOERR))
		snprintf(buf, len, "cannot %s %s: %s (%s)", verb, path, msg, strerror(sys));
	else
		snprintf(buf, len, "cannot %s %s: %s", verb, path, msg);
}

static int userdb_sqlite_fail(struct userdb *db, const char *verb)
{
	struct sqlite_store *s = userdb_state(db);
	char buf[USERDB_ERR_LEN];

	userdb_sqlite_format(buf, sizeof(buf), s->conn, verb, s->path);
	userdb_set_error(db, "%s", buf);
	return -1;
}

/* Run a statement to its end and make it reusable; drops the bindings. */
static int userdb_sqlite_finish(sqlite3_stmt *st, int rc)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc;
}

static int userdb_sqlite_bind_names(sqlite3_stmt *st, const char *realm, const char *user)
{
	if (sqlite3_bind_text(st, 1, realm, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	if (user && sqlite3_bind_text(st, 2, user, -1, SQLITE_STATIC) != SQLITE_OK)
		return -1;
	return 0;
}

/*
 * Bind (realm, name) to st and step it once: 0 with its row to read (the
 * caller finishes st), 1 no row, -1 error (reported); st is finished then.
 */
static int userdb_sqlite_row(struct userdb *db, sqlite3_stmt *st, const char *realm,
			     const char *name)
{
	int rc;

	if (userdb_sqlite_bind_names(st, realm, name))
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return userdb_sqlite_finish(st, 1);
	if (rc == SQLITE_ROW)
		return 0;
fail:
	userdb_sqlite_fail(db, "read");
	return userdb_sqlite_finish(st, -1);
}

/* Run one of ST_BEGIN, ST_COMMIT, ST_ROLLBACK. */
static int userdb_sqlite_txn(struct sqlite_store *s, enum userdb_sqlite_stmt which)
{
	sqlite3_stmt *st = s->st[which];
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* "cannot use user 'u' of realm 'r' in FILE: why" */
static int userdb_sqlite_bad_row(struct userdb *db, const char *realm, const char *user,
				 const char *why)
{
	struct sqlite_store *s = userdb_state(db);

	userdb_set_error(db, "cannot use user '%s' of realm '%s' in %s: %s (row refused)", user,
			 realm, s->path, why);
	return -1;
}

static int userdb_sqlite_get_keys(struct userdb *db, const char *realm, const char *user,
				  struct user_keys *out)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_GET];
	const char *hmackey, *ours;
	struct user_keys keys;
	char why[128];
	int rc;

	rc = userdb_sqlite_row(db, st, realm, user);
	if (rc)
		return rc;
	hmackey = (const char *)sqlite3_column_text(st, 0);
	if (userdb_hmackey_parse(hmackey, &keys, why, sizeof(why)) < 0)
		return userdb_sqlite_finish(st, userdb_sqlite_bad_row(db, realm, user, why));
	/* our SHA-256 key, made with the password that made this hmackey */
	ours = (const char *)sqlite3_column_text(st, 1);
	if (keys.has_md5 && ours && strcasecmp(ours, hmackey) == 0 &&
	    sqlite3_column_bytes(st, 2) == 32) {
		memcpy(keys.sha256, sqlite3_column_blob(st, 2), 32);
		keys.has_sha256 = true;
	}
	*out = keys;
	explicit_bzero(&keys, sizeof(keys));
	return userdb_sqlite_finish(st, 0);
}

static int userdb_sqlite_find_userhash(struct userdb *db, const char *realm, const uint8_t hash[32],
				       char *user, size_t user_cap)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_FIND_HASH];
	const unsigned char *name;
	size_t len;
	int rc;

	if (userdb_sqlite_bind_names(st, realm, NULL) ||
	    sqlite3_bind_blob(st, 2, hash, 32, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return userdb_sqlite_finish(st, 1);
	if (rc != SQLITE_ROW)
		goto fail;
	name = sqlite3_column_text(st, 0);
	if (!name)
		goto fail;
	len = strlen((const char *)name);
	if (len >= user_cap) {
		userdb_set_error(db, "user name of %zu bytes does not fit in %zu", len, user_cap);
		return userdb_sqlite_finish(st, -1);
	}
	memcpy(user, name, len + 1);
	return userdb_sqlite_finish(st, 0);
fail:
	userdb_sqlite_fail(db, "read");
	return userdb_sqlite_finish(st, -1);
}

/* Bind and run st to its end; 0 or -1 (the caller reports). */
static int userdb_sqlite_put_row(sqlite3_stmt *st, const char *realm, const char *user,
				 const char *hmackey, const struct user_keys *keys,
				 const uint8_t *userhash)
{
	int rc = SQLITE_OK;

	if (userdb_sqlite_bind_names(st, realm, user) ||
	    sqlite3_bind_text(st, 3, hmackey, -1, SQLITE_STATIC) != SQLITE_OK)
		return userdb_sqlite_finish(st, -1);
	if (keys && keys->has_sha256)
		rc = sqlite3_bind_blob(st, 4, keys->sha256, 32, SQLITE_STATIC);
	if (rc == SQLITE_OK && userhash)
		rc = sqlite3_bind_blob(st, 5, userhash, 32, SQLITE_STATIC);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		return userdb_sqlite_finish(st, -1);
	return userdb_sqlite_finish(st, 0);
}

/*
 * coturn's row (the hex MD5 key, which coturn keeps) and ours (SHA-256
 * key and USERHASH) in one transaction.
 */
static int userdb_sqlite_put(struct userdb *db, const char *realm, const char *user,
			     const struct user_keys *keys, const uint8_t userhash[32])
{
	struct sqlite_store *s = userdb_state(db);
	char hmackey[33];

	if (!keys->has_md5) {
		userdb_set_error(db, "cannot write %s: coturn's turnusers_lt needs the MD5 key",
				 s->path);
		return -1;
	}
	userdb_hmackey_format(keys->md5, hmackey);
	if (userdb_sqlite_txn(s, ST_BEGIN))
		goto fail;
	if (userdb_sqlite_put_row(s->st[ST_PUT_LT], realm, user, hmackey, NULL, NULL) ||
	    userdb_sqlite_put_row(s->st[ST_PUT_OURS], realm, user, hmackey, keys, userhash) ||
	    userdb_sqlite_txn(s, ST_COMMIT))
		goto fail_txn;
	explicit_bzero(hmackey, sizeof(hmackey));
	return 0;
fail_txn:
	userdb_sqlite_fail(db, "write");
	userdb_sqlite_txn(s, ST_ROLLBACK);
	explicit_bzero(hmackey, sizeof(hmackey));
	return -1;
fail:
	explicit_bzero(hmackey, sizeof(hmackey));
	return userdb_sqlite_fail(db, "write");
}

/* Run a (realm, name) delete; changed rows, or -1. */
static int userdb_sqlite_del_row(sqlite3_stmt *st, sqlite3 *conn, const char *realm,
				 const char *user)
{
	if (userdb_sqlite_bind_names(st, realm, user) || sqlite3_step(st) != SQLITE_DONE)
		return userdb_sqlite_finish(st, -1);
	return userdb_sqlite_finish(st, sqlite3_changes(conn));
}

static int userdb_sqlite_del(struct userdb *db, const char *realm, const char *user)
{
	struct sqlite_store *s = userdb_state(db);
	int n;

	if (userdb_sqlite_txn(s, ST_BEGIN))
		return userdb_sqlite_fail(db, "write");
	n = userdb_sqlite_del_row(s->st[ST_DEL_LT], s->conn, realm, user);
	if (n < 0 || userdb_sqlite_del_row(s->st[ST_DEL_OURS], s->conn, realm, user) < 0 ||
	    userdb_sqlite_txn(s, ST_COMMIT)) {
		userdb_sqlite_fail(db, "write");
		userdb_sqlite_txn(s, ST_ROLLBACK);
		return -1;
	}
	return n > 0 ? 0 : 1;
}

/* Column i of the current row as text; NULL (SQL NULL) reads as "". */
static const char *userdb_sqlite_text(sqlite3_stmt *st, int i)
{
	const char *t = (const char *)sqlite3_column_text(st, i);

	return t ? t : "";
}

/* Walk the (realm, name) rows of st, bound to realm unless it is NULL. */
static int userdb_sqlite_walk(struct userdb *db, sqlite3_stmt *st, const char *realm,
			      int (*cb)(void *arg, const char *realm, const char *name), void *arg)
{
	const char *r, *n;
	int rc;

	if (realm && userdb_sqlite_bind_names(st, realm, NULL))
		goto fail;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		r = userdb_sqlite_text(st, 0);
		n = userdb_sqlite_text(st, 1);
		rc = cb(arg, r, n);
		if (rc)
			return userdb_sqlite_finish(st, rc);
	}
	if (rc != SQLITE_DONE)
		goto fail;
	return userdb_sqlite_finish(st, 0);
fail:
	userdb_sqlite_fail(db, "read");
	return userdb_sqlite_finish(st, -1);
}

static int userdb_sqlite_list(struct userdb *db, const char *realm,
			      int (*cb)(void *arg, const char *realm, const char *user), void *arg)
{
	struct sqlite_store *s = userdb_state(db);

	return userdb_sqlite_walk(db, realm ? s->st[ST_LIST_REALM] : s->st[ST_LIST_ALL], realm, cb,
				  arg);
}

static int userdb_sqlite_count(struct userdb *db)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_COUNT];

	if (sqlite3_step(st) != SQLITE_ROW) {
		userdb_sqlite_fail(db, "read");
		return userdb_sqlite_finish(st, -1);
	}
	return userdb_sqlite_finish(st, sqlite3_column_int(st, 0));
}

static int userdb_sqlite_list_secrets(struct userdb *db, const char *realm,
				      int (*cb)(void *arg, const char *realm, const char *secret),
				      void *arg)
{
	struct sqlite_store *s = userdb_state(db);

	return userdb_sqlite_walk(db, realm ? s->st[ST_SECRETS_REALM] : s->st[ST_SECRETS_ALL],
				  realm, cb, arg);
}

static int userdb_sqlite_add_secret(struct userdb *db, const char *realm, const char *secret)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_SECRET_ADD];

	if (userdb_sqlite_bind_names(st, realm, secret) || sqlite3_step(st) != SQLITE_DONE) {
		userdb_sqlite_fail(db, "write");
		return userdb_sqlite_finish(st, -1);
	}
	return userdb_sqlite_finish(st, 0);
}

static int userdb_sqlite_del_secret(struct userdb *db, const char *realm, const char *secret)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = secret ? s->st[ST_SECRET_DEL] : s->st[ST_SECRET_DEL_ALL];

	if (userdb_sqlite_bind_names(st, realm, secret) || sqlite3_step(st) != SQLITE_DONE) {
		userdb_sqlite_fail(db, "write");
		return userdb_sqlite_finish(st, -1);
	}
	return userdb_sqlite_finish(st, sqlite3_changes(s->conn) > 0 ? 0 : 1);
}

static int userdb_sqlite_list_peer_ranges(struct userdb *db, bool denied,
					  int (*cb)(void *arg, const char *realm, const char *range),
					  void *arg)
{
	struct sqlite_store *s = userdb_state(db);

	return userdb_sqlite_walk(db, s->st[denied ? ST_DENIED : ST_ALLOWED], NULL, cb, arg);
}

static int userdb_sqlite_list_realm_options(struct userdb *db,
					    int (*cb)(void *arg, const char *realm,
						      const char *opt, const char *value),
					    void *arg)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_REALM_OPTIONS];
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rc = cb(arg, userdb_sqlite_text(st, 0), userdb_sqlite_text(st, 1),
			userdb_sqlite_text(st, 2));
		if (rc)
			return userdb_sqlite_finish(st, rc);
	}
	if (rc != SQLITE_DONE) {
		userdb_sqlite_fail(db, "read");
		return userdb_sqlite_finish(st, -1);
	}
	return userdb_sqlite_finish(st, 0);
}

static int userdb_sqlite_check_users(struct userdb *db,
				     int (*cb)(void *arg, const char *realm, const char *user,
					       const char *why),
				     void *arg)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_CHECK_USERS];
	struct user_keys keys;
	char why[128];
	int rc, bad = 0;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *realm = userdb_sqlite_text(st, 0), *name = userdb_sqlite_text(st, 1);

		if (!*name)
			snprintf(why, sizeof(why), "empty user name");
		else if (userdb_hmackey_parse((const char *)sqlite3_column_text(st, 2), &keys, why,
					      sizeof(why)) == 0)
			continue;
		bad++;
		if (cb && cb(arg, realm, name, why))
			break;
	}
	explicit_bzero(&keys, sizeof(keys));
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		userdb_sqlite_fail(db, "read");
		return userdb_sqlite_finish(st, -1);
	}
	return userdb_sqlite_finish(st, bad);
}

/* coturn's realm option name of realm: 0 with its value, 1 none, -1 not a number. */
static int userdb_sqlite_realm_option(struct userdb *db, const char *realm, const char *name,
				      unsigned long *value)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_REALM_OPTION];
	const char *text;
	unsigned long v = 0;
	int rc;

	rc = userdb_sqlite_row(db, st, realm, name);
	if (rc)
		return rc;
	text = userdb_sqlite_text(st, 0);
	for (const char *p = text; *p >= '0' && *p <= '9' && v <= USERDB_SQLITE_MAX_OPTION; p++)
		v = v * 10 + (unsigned long)(*p - '0');
	if (!*text || strspn(text, "0123456789") != strlen(text) || v > USERDB_SQLITE_MAX_OPTION) {
		userdb_set_error(db, "turn_realm_option %s of realm '%s' in %s: '%.32s' is not a "
				 "number from 0 to %lu",
				 name, realm, s->path, text, USERDB_SQLITE_MAX_OPTION);
		return userdb_sqlite_finish(st, -1);
	}
	*value = v;
	return userdb_sqlite_finish(st, 0);
}

/* coturn's turnadmin -g: the value as text, or the row gone when value is 0. */
static int userdb_sqlite_set_realm_option(struct userdb *db, const char *realm, const char *name,
					  unsigned long value)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[value ? ST_REALM_OPTION_SET : ST_REALM_OPTION_DEL];
	char text[24];

	snprintf(text, sizeof(text), "%lu", value);
	if (userdb_sqlite_bind_names(st, realm, name) ||
	    (value && sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT) != SQLITE_OK) ||
	    sqlite3_step(st) != SQLITE_DONE) {
		userdb_sqlite_fail(db, "write");
		return userdb_sqlite_finish(st, -1);
	}
	return userdb_sqlite_finish(st, 0);
}

struct userdb_sqlite_range_walk {
	int (*cb)(void *arg, const char *range);
	void *arg;
};

static int userdb_sqlite_range_one(void *arg, const char *range, const char *realm)
{
	struct userdb_sqlite_range_walk *wk = arg;

	(void)realm;
	return wk->cb(wk->arg, range);
}

/* The ranges of realm and of realm '' (coturn's: for every realm). */
static int userdb_sqlite_list_peer_ips(struct userdb *db, const char *realm, bool allowed,
				       int (*cb)(void *arg, const char *range), void *arg)
{
	struct sqlite_store *s = userdb_state(db);
	struct userdb_sqlite_range_walk wk = {cb, arg};
	sqlite3_stmt *st = s->st[allowed ? ST_ALLOWED_OF : ST_DENIED_OF];

	/* the walk hands over (column 0, column 1): (range, realm) here */
	return userdb_sqlite_walk(db, st, realm, userdb_sqlite_range_one, &wk);
}

/* coturn's tables that nothing here reads (one realm, no oAuth; admin_user without web-admin) */
static int userdb_sqlite_list_unused(struct userdb *db,
				     int (*cb)(void *arg, const char *table, long rows), void *arg)
{
	static const char *const sql[] = {
	    "SELECT 'turn_origin_to_realm', count(*) FROM turn_origin_to_realm",
	    "SELECT 'oauth_key', count(*) FROM oauth_key",
	    "SELECT 'admin_user', count(*) FROM admin_user",
	};
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st;
	long rows;
	int rc = 0;

	for (size_t i = 0; i < sizeof(sql) / sizeof(sql[0]) && rc == 0; i++) {
		if (sqlite3_prepare_v2(s->conn, sql[i], -1, &st, NULL) != SQLITE_OK ||
		    sqlite3_step(st) != SQLITE_ROW) {
			sqlite3_finalize(st);
			return userdb_sqlite_fail(db, "read");
		}
		rows = (long)sqlite3_column_int64(st, 1);
		if (rows > 0)
			rc = cb(arg, userdb_sqlite_text(st, 0), rows);
		sqlite3_finalize(st);
	}
	return rc;
}

static void userdb_sqlite_close(void *state)
{
	struct sqlite_store *s = state;
	size_t i;

	if (!s)
		return;
	for (i = 0; i < ST_NUM; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close(s->conn);
	free(s->path);
	free(s);
}

static const struct userdb_ops userdb_sqlite_ops = {
    .name = "sqlite",
    .get_keys = userdb_sqlite_get_keys,
    .find_userhash = userdb_sqlite_find_userhash,
    .put = userdb_sqlite_put,
    .del = userdb_sqlite_del,
    .list = userdb_sqlite_list,
    .count = userdb_sqlite_count,
    .list_secrets = userdb_sqlite_list_secrets,
    .add_secret = userdb_sqlite_add_secret,
    .del_secret = userdb_sqlite_del_secret,
    .list_peer_ranges = userdb_sqlite_list_peer_ranges,
    .list_realm_options = userdb_sqlite_list_realm_options,
    .check_users = userdb_sqlite_check_users,
    .list_unused = userdb_sqlite_list_unused,
    .realm_option = userdb_sqlite_realm_option,
    .set_realm_option = userdb_sqlite_set_realm_option,
    .list_peer_ips = userdb_sqlite_list_peer_ips,
    .get_admin = userdb_sqlite_get_admin,
    .put_admin = userdb_sqlite_put_admin,
    .del_admin = userdb_sqlite_del_admin,
    .list_admins = userdb_sqlite_list_admins,
    .close = userdb_sqlite_close,
};

void *userdb_sqlite_conn(struct userdb *db)
{
	return ((struct sqlite_store *)userdb_state(db))->conn;
}

int userdb_sqlite_error(struct userdb *db, const char *verb)
{
	return userdb_sqlite_fail(db, verb);
}

/* mkdir -p the directory part of path; new directories get mode 0700. */
static int userdb_sqlite_mkdirs(const char *path, char *err, size_t errlen)
{
	char *dir = strdup(path);
	struct stat st;
	char *p, c;

	if (!dir) {
		snprintf(err, errlen, "cannot create %s: out of memory", path);
		return -1;
	}
	p = strrchr(dir, '/');
	if (!p || p == dir)
		goto done;
	*p = '\0';
	for (p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(dir, 0700) != 0 && errno != EEXIST)
			goto fail;
		if (stat(dir, &st) != 0)
			goto fail;
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			goto fail;
		}
		*p = c;
		if (c == '\0')
			break;
	}
done:
	free(dir);
	return 0;
fail:
	snprintf(err, errlen, "cannot create %s: %s: %s", path, dir, strerror(errno));
	free(dir);
	return -1;
}

/* Make the file mode 0600 before SQLite would make it 0644; -wal and -shm copy it. */
static int userdb_sqlite_create_file(const char *path, char *err, size_t errlen)
{
	int fd;

	if (userdb_sqlite_mkdirs(path, err, errlen))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return 0;
		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	close(fd);
	return 0;
}

/* 1 when the store has the table, 0 when not, -1 on a read error. */
static int userdb_sqlite_has_table(sqlite3 *conn, const char *table)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(conn, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC) != SQLITE_OK) {
		sqlite3_finalize(st);
		return -1;
	}
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The single integer that sql yields, or -1. */
static long userdb_sqlite_scalar(sqlite3 *conn, const char *sql)
{
	sqlite3_stmt *st;
	long v = -1;

	if (sqlite3_prepare_v2(conn, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = (long)sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Bring the store to the schema: coturn's tables that are missing (ours,
 * in coturn's own files) and, from our earlier schema (table turnusers),
 * every user moved over; rows that cannot move (no 16-byte MD5 key) stay
 * in turnserver_old_users. One transaction; the notice says what moved.
 */
static int userdb_sqlite_upgrade(struct sqlite_store *s, int old, char *notice, size_t cap)
{
	long moved = 0, left = 0;

	if (sqlite3_exec(s->conn, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return -1;
	/* under the lock: another process may have migrated it meanwhile */
	if (old && (old = userdb_sqlite_has_table(s->conn, "turnusers")) < 0)
		goto fail;
	if (sqlite3_exec(s->conn, userdb_sqlite_coturn_schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (old) {
		moved = userdb_sqlite_scalar(s->conn, "SELECT count(*) FROM turnusers WHERE "
						      "length(md5key) = 16");
		left = userdb_sqlite_scalar(s->conn, "SELECT count(*) FROM turnusers WHERE "
						     "length(md5key) IS NOT 16");
		if (moved < 0 || left < 0 ||
		    sqlite3_exec(s->conn, userdb_sqlite_migrate, NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3_exec(s->conn,
				 left ? "ALTER TABLE turnusers RENAME TO turnserver_old_users"
				      : "DROP TABLE turnusers",
				 NULL, NULL, NULL) != SQLITE_OK)
			goto fail;
	}
	if (sqlite3_exec(s->conn, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	if (old)
		snprintf(notice, cap,
			 "moved %ld user(s) from this server's earlier schema (table turnusers) "
			 "to coturn's (turnusers_lt; SHA-256 keys and USERHASH in turnserver_keys)%s",
			 moved,
			 left ? "; rows without an MD5 key were kept in turnserver_old_users: set "
				"those users' passwords again"
			      : "");
	return 0;
fail:
	sqlite3_exec(s->conn, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/* 1 when one of the tables the schema makes is missing, 0 when not, -1. */
static int userdb_sqlite_incomplete(sqlite3 *conn)
{
	long n = userdb_sqlite_scalar(conn, "SELECT count(*) FROM sqlite_master WHERE type = "
					    "'table' AND name IN ('turnusers_lt', 'turn_secret',"
					    " 'allowed_peer_ip', 'denied_peer_ip',"
					    " 'turn_origin_to_realm', 'turn_realm_option',"
					    " 'oauth_key', 'admin_user', 'turnserver_keys')");

	return n < 0 ? -1 : n < 9;
}

struct userdb *userdb_open_sqlite(const char *path, bool create, char *err, size_t errlen)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	struct sqlite_store *s;
	struct userdb *db;
	const char *verb = "open";
	char dummy[1], notice[USERDB_ERR_LEN] = "";
	int has_lt, has_old, incomplete;
	size_t i;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!path || !*path) {
		snprintf(err, errlen, "no user database path");
		return NULL;
	}
	if (!sqlite3_threadsafe()) {
		snprintf(err, errlen, "cannot open %s: SQLite was built without thread support",
			 path);
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		snprintf(err, errlen, "cannot open %s: out of memory", path);
		goto fail;
	}
	if (create) {
		if (userdb_sqlite_create_file(path, err, errlen))
			goto fail;
		flags |= SQLITE_OPEN_CREATE;
	}
	if (sqlite3_open_v2(path, &s->conn, flags, NULL) != SQLITE_OK)
		goto fail_sqlite;
	sqlite3_extended_result_codes(s->conn, 1);
	sqlite3_busy_timeout(s->conn, USERDB_SQLITE_BUSY_MS);
	/* Overwrite deleted keys instead of leaving them in free pages. */
	if (sqlite3_exec(s->conn, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_sqlite;
	has_lt = userdb_sqlite_has_table(s->conn, "turnusers_lt");
	has_old = userdb_sqlite_has_table(s->conn, "turnusers");
	incomplete = userdb_sqlite_incomplete(s->conn);
	if (has_lt < 0 || has_old < 0 || incomplete < 0)
		goto fail_sqlite;
	if (!has_lt && !has_old && !create) {
		snprintf(err, errlen, "cannot open %s: no user table in it (turnusers_lt)", path);
		goto fail;
	}
	verb = "write";
	/* a new store: WAL, so that turnadmin writes while the daemon reads */
	if (!has_lt && !has_old &&
	    sqlite3_exec(s->conn, "PRAGMA journal_mode=WAL", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_sqlite;
	if ((has_old || incomplete) && userdb_sqlite_upgrade(s, has_old, notice, sizeof(notice)))
		goto fail_sqlite;
	verb = "open";
	for (i = 0; i < ST_NUM; i++) {
		if (sqlite3_prepare_v3(s->conn, userdb_sqlite_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &s->st[i], NULL) != SQLITE_OK)
			goto fail_sqlite;
	}
	db = userdb_new(&userdb_sqlite_ops, s);
	if (!db) {
		snprintf(err, errlen, "cannot open %s: out of memory", path);
		goto fail;
	}
	if (notice[0])
		userdb_set_notice(db, "%s", notice);
	return db;
fail_sqlite:
	userdb_sqlite_format(err, errlen, s->conn, verb, path);
fail:
	userdb_sqlite_close(s);
	return NULL;
}
