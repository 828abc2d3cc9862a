/*
 * userdb_sqlite.c - the SQLite backend of the credential store.
 *
 * Users in one table, keyed by (realm, name); USERHASH lookups use an
 * index on (realm, userhash). TURN REST API secrets in coturn's own
 * turn_secret table (realm, value), as coturn's schema has it. New stores use WAL so that turnadmin can write while
 * the daemon reads, and every connection waits up to
 * USERDB_SQLITE_BUSY_MS for a lock instead of failing at once. The handle
 * is opened without SQLite's mutex (SQLITE_OPEN_NOMUTEX): one per thread.
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
#include <sys/stat.h>
#include <unistd.h>

#define USERDB_SQLITE_BUSY_MS 2000

/* coturn's schema.sql, so that its turnadmin and ours read one another's secrets */
#define USERDB_SQLITE_SECRET_TABLE                                                                 \
	"CREATE TABLE IF NOT EXISTS turn_secret ("                                                 \
	" realm varchar(127) default '',"                                                          \
	" value varchar(256),"                                                                     \
	" primary key (realm, value));"

static const char userdb_sqlite_schema[] =
    "PRAGMA journal_mode=WAL;"
    "BEGIN IMMEDIATE;"
    "CREATE TABLE IF NOT EXISTS turnusers ("
    " realm TEXT NOT NULL,"
    " name TEXT NOT NULL,"
    " md5key BLOB,"
    " sha256key BLOB,"
    " userhash BLOB,"
    " PRIMARY KEY (realm, name));"
    "CREATE INDEX IF NOT EXISTS turnusers_userhash ON turnusers (realm, userhash);"
    USERDB_SQLITE_SECRET_TABLE
    "COMMIT;";

enum userdb_sqlite_stmt {
	ST_GET,
	ST_FIND_HASH,
	ST_PUT,
	ST_DEL,
	ST_LIST_ALL,
	ST_LIST_REALM,
	ST_COUNT,
	ST_SECRETS_ALL,
	ST_SECRETS_REALM,
	ST_SECRET_ADD,
	ST_SECRET_DEL,
	ST_SECRET_DEL_ALL,
	ST_NUM,
};

/* Prepared once per handle. */
static const char *const userdb_sqlite_sql[ST_NUM] = {
    [ST_GET] = "SELECT md5key, sha256key FROM turnusers WHERE realm = ?1 AND name = ?2",
    [ST_FIND_HASH] = "SELECT name FROM turnusers WHERE realm = ?1 AND userhash = ?2 LIMIT 1",
    [ST_PUT] = "INSERT OR REPLACE INTO turnusers (realm, name, md5key, sha256key, userhash)"
	       " VALUES (?1, ?2, ?3, ?4, ?5)",
    [ST_DEL] = "DELETE FROM turnusers WHERE realm = ?1 AND name = ?2",
    [ST_LIST_ALL] = "SELECT realm, name FROM turnusers ORDER BY realm, name",
    [ST_LIST_REALM] = "SELECT realm, name FROM turnusers WHERE realm = ?1 ORDER BY name",
    [ST_COUNT] = "SELECT count(*) FROM turnusers",
    [ST_SECRETS_ALL] = "SELECT realm, value FROM turn_secret ORDER BY realm, value",
    [ST_SECRETS_REALM] = "SELECT realm, value FROM turn_secret WHERE realm = ?1 ORDER BY value",
    [ST_SECRET_ADD] = "INSERT OR IGNORE INTO turn_secret (realm, value) VALUES (?1, ?2)",
    [ST_SECRET_DEL] = "DELETE FROM turn_secret WHERE realm = ?1 AND value = ?2",
    [ST_SECRET_DEL_ALL] = "DELETE FROM turn_secret WHERE realm = ?1",
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

static int userdb_sqlite_get_keys(struct userdb *db, const char *realm, const char *user,
				  struct user_keys *out)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_GET];
	struct user_keys keys;
	int rc, n5, n256;

	if (userdb_sqlite_bind_names(st, realm, user))
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		return userdb_sqlite_finish(st, 1);
	if (rc != SQLITE_ROW)
		goto fail;
	memset(&keys, 0, sizeof(keys));
	n5 = sqlite3_column_bytes(st, 0);
	n256 = sqlite3_column_bytes(st, 1);
	if ((n5 && n5 != 16) || (n256 && n256 != 32)) {
		userdb_set_error(db, "cannot read %s: bad key length for user '%s' in realm '%s'",
				 s->path, user, realm);
		return userdb_sqlite_finish(st, -1);
	}
	if (n5) {
		memcpy(keys.md5, sqlite3_column_blob(st, 0), 16);
		keys.has_md5 = true;
	}
	if (n256) {
		memcpy(keys.sha256, sqlite3_column_blob(st, 1), 32);
		keys.has_sha256 = true;
	}
	*out = keys;
	explicit_bzero(&keys, sizeof(keys));
	return userdb_sqlite_finish(st, 0);
fail:
	userdb_sqlite_fail(db, "read");
	return userdb_sqlite_finish(st, -1);
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

static int userdb_sqlite_put(struct userdb *db, const char *realm, const char *user,
			     const struct user_keys *keys, const uint8_t userhash[32])
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_PUT];
	int rc = SQLITE_OK;

	if (userdb_sqlite_bind_names(st, realm, user))
		goto fail;
	if (keys->has_md5)
		rc = sqlite3_bind_blob(st, 3, keys->md5, 16, SQLITE_STATIC);
	if (rc == SQLITE_OK && keys->has_sha256)
		rc = sqlite3_bind_blob(st, 4, keys->sha256, 32, SQLITE_STATIC);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_blob(st, 5, userhash, 32, SQLITE_STATIC);
	if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	return userdb_sqlite_finish(st, 0);
fail:
	userdb_sqlite_fail(db, "write");
	return userdb_sqlite_finish(st, -1);
}

static int userdb_sqlite_del(struct userdb *db, const char *realm, const char *user)
{
	struct sqlite_store *s = userdb_state(db);
	sqlite3_stmt *st = s->st[ST_DEL];

	if (userdb_sqlite_bind_names(st, realm, user) || sqlite3_step(st) != SQLITE_DONE) {
		userdb_sqlite_fail(db, "write");
		return userdb_sqlite_finish(st, -1);
	}
	return userdb_sqlite_finish(st, sqlite3_changes(s->conn) > 0 ? 0 : 1);
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
		r = (const char *)sqlite3_column_text(st, 0);
		n = (const char *)sqlite3_column_text(st, 1);
		if (!r || !n)
			goto fail;
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
    .close = userdb_sqlite_close,
};

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

/*
 * Is this coturn's store? Its tables (coturn's SQLite driver creates
 * turnusers_lt, turn_secret, admin_user, ... all at once; older versions
 * turnusers_st) are not read here yet. turn_secret alone does not tell:
 * our stores have it too. Returns 1 with the first one's name in table, 0,
 * or -1 on a read error.
 */
static int userdb_sqlite_coturn_table(sqlite3 *conn, char *table, size_t cap)
{
	sqlite3_stmt *st;
	int rc;

	if (sqlite3_prepare_v2(conn,
			       "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN"
			       " ('turnusers_lt', 'turnusers_st', 'admin_user',"
			       " 'turn_origin_to_realm', 'turn_realm_option', 'oauth_key')"
			       " ORDER BY name <> 'turnusers_lt', name LIMIT 1",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const unsigned char *name = sqlite3_column_text(st, 0);

		snprintf(table, cap, "%s", name ? (const char *)name : "?");
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 1;
	return rc == SQLITE_DONE ? 0 : -1;
}

struct userdb *userdb_open_sqlite(const char *path, bool create, char *err, size_t errlen)
{
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
	struct sqlite_store *s;
	struct userdb *db;
	const char *verb = "open";
	char dummy[1], table[32];
	size_t i;
	int rc;

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
	/* before anything could write to the file */
	rc = userdb_sqlite_coturn_table(s->conn, table, sizeof(table));
	if (rc < 0)
		goto fail_sqlite;
	if (rc == 1) {
		snprintf(err, errlen,
			 "%s is coturn's user database (table %s), which this server does not "
			 "read yet; it was left unchanged. Copy its users into a new store: for "
			 "each row of SELECT name, realm, hmackey FROM turnusers_lt run turnadmin "
			 "-a -u NAME -r REALM --md5-key HMACKEY -b NEW.db, then set userdb=NEW.db",
			 path, table);
		goto fail;
	}
	/* Overwrite deleted keys instead of leaving them in free pages. */
	if (sqlite3_exec(s->conn, "PRAGMA secure_delete = ON", NULL, NULL, NULL) != SQLITE_OK)
		goto fail_sqlite;
	rc = userdb_sqlite_has_table(s->conn, "turnusers");
	if (rc < 0)
		goto fail_sqlite;
	verb = "write";
	if (create && rc == 0 &&
	    sqlite3_exec(s->conn, userdb_sqlite_schema, NULL, NULL, NULL) != SQLITE_OK)
		goto fail_sqlite;
	/* a store made before secrets were kept gets their table on first open */
	if (rc == 1) {
		rc = userdb_sqlite_has_table(s->conn, "turn_secret");
		if (rc < 0 || (rc == 0 && sqlite3_exec(s->conn, USERDB_SQLITE_SECRET_TABLE, NULL,
						       NULL, NULL) != SQLITE_OK))
			goto fail_sqlite;
	}
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
	return db;
fail_sqlite:
	userdb_sqlite_format(err, errlen, s->conn, verb, path);
fail:
	userdb_sqlite_close(s);
	return NULL;
}
