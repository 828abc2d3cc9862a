/*
 * test_userdb_coturn.c - the SQLite store in coturn's schema
 * (userdb_sqlite.c): a store made with coturn's schema.sql and rows as
 * coturn's turnadmin writes them is read as it is (hex hmackey, either
 * case; 64 digits a SHA-256 key); our writes land in turnusers_lt with
 * the SHA-256 key and USERHASH in turnserver_keys, which stops counting
 * once coturn changes the hmackey; bad rows (wrong length, not hex, NULL)
 * are refused with a precise message and counted by userdb_check_users();
 * peer ranges and realm options walk coturn's tables; a store of our
 * earlier schema is migrated with a notice; userdb_hmackey_parse() on
 * bad input. Each test gets a fresh directory under /tmp.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ftw.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/userdb.h"
#include "stun/stun.h"
#include "userdb_test.h"

/* coturn's schema.sql, as Debian ships it in /usr/share/coturn */
static const char coturn_schema[] =
    "CREATE TABLE turnusers_lt (realm varchar(127) default '', name varchar(512),"
    " hmackey char(128), PRIMARY KEY (realm,name));"
    "CREATE TABLE turn_secret (realm varchar(127) default '', value varchar(256),"
    " primary key (realm,value));"
    "CREATE TABLE allowed_peer_ip (realm varchar(127) default '', ip_range varchar(256),"
    " primary key (realm,ip_range));"
    "CREATE TABLE denied_peer_ip (realm varchar(127) default '', ip_range varchar(256),"
    " primary key (realm,ip_range));"
    "CREATE TABLE turn_origin_to_realm (origin varchar(127), realm varchar(127),"
    " primary key (origin));"
    "CREATE TABLE turn_realm_option (realm varchar(127) default '', opt varchar(32),"
    " value varchar(128), primary key (realm,opt));"
    "CREATE TABLE oauth_key (kid varchar(128), ikm_key varchar(256), timestamp bigint default 0,"
    " lifetime integer default 0, as_rs_alg varchar(64) default '', realm varchar(127),"
    " primary key (kid));"
    "CREATE TABLE admin_user (name varchar(32), realm varchar(127), password varchar(127),"
    " primary key (name));";

/* A file in the fixture's directory made by running sql; its path in path. */
static void make_store(struct fixture *f, const char *name, const char *sql, char *path,
		       size_t cap)
{
	sqlite3 *conn;

	snprintf(path, cap, "%s/%s", f->dir, name);
	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
}

static void run_sql(const char *path, const char *sql)
{
	sqlite3 *conn;

	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
}

/* The one text value sql yields, into out ("" for none). */
static void query_text(const char *path, const char *sql, char *out, size_t cap)
{
	sqlite3_stmt *st;
	sqlite3 *conn;

	out[0] = '\0';
	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
		snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	sqlite3_close(conn);
}

static void md5_hex(const char *user, const char *realm, const char *pass, char out[33])
{
	uint8_t key[32];

	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, user, realm, pass, key), 16);
	userdb_hmackey_format(key, out);
}

/* A row of coturn's turnadmin -a -u alice -r ex.org -p pw authenticates. */
static void test_coturn_store_is_read_as_it_is(void **state)
{
	struct fixture *f = *state;
	char path[192], sql[2048], hex[33], err[USERDB_ERR_LEN];
	uint8_t want[32];
	struct user_keys k;
	struct userdb *db;

	md5_hex("alice", "ex.org", "pw", hex);
	/* the value coturn 4.6's turnadmin wrote for these (checked by hand) */
	assert_string_equal(hex, "608b3a6ba35c3e18cfd5d03176cf205f");
	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO turnusers_lt VALUES ('ex.org', 'alice', '%s');"
		 "INSERT INTO turnusers_lt VALUES ('ex.org', 'upper',"
		 " '608B3A6BA35C3E18CFD5D03176CF205F');"
		 "INSERT INTO turn_secret VALUES ('ex.org', 'north');",
		 coturn_schema, hex);
	make_store(f, "turndb", sql, path, sizeof(path));
	db = userdb_open_sqlite(path, false, err, sizeof(err));
	assert_non_null(db);
	assert_string_equal(userdb_notice(db), "");
	assert_int_equal(userdb_get_keys(db, "ex.org", "alice", &k), 0);
	assert_true(k.has_md5);
	assert_false(k.has_sha256);
	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, "alice", "ex.org", "pw", want), 16);
	assert_memory_equal(k.md5, want, 16);
	assert_int_equal(userdb_get_keys(db, "ex.org", "upper", &k), 0);
	assert_memory_equal(k.md5, want, 16);
	assert_int_equal(userdb_get_keys(db, "other.org", "alice", &k), 1);
	assert_int_equal(userdb_count(db), 2);
	assert_int_equal(userdb_check_users(db, NULL, NULL), 0);
	userdb_close(db);
	/* our table was added beside coturn's; coturn's rows are as they were */
	query_text(path, "SELECT name FROM sqlite_master WHERE name = 'turnserver_keys'", sql,
		   sizeof(sql));
	assert_string_equal(sql, "turnserver_keys");
	query_text(path, "SELECT hmackey FROM turnusers_lt WHERE name = 'upper'", sql, sizeof(sql));
	assert_string_equal(sql, "608B3A6BA35C3E18CFD5D03176CF205F");
}

/* 64 hex digits: coturn run with a SHA-256 key; the MD5 one is not there. */
static void test_sha256_hmackey_is_a_sha256_key(void **state)
{
	struct fixture *f = *state;
	char path[192], sql[2048], hex[65], err[USERDB_ERR_LEN];
	uint8_t key[32];
	struct user_keys k;
	struct userdb *db;

	assert_int_equal(stun_lt_key(STUN_PW_ALG_SHA256, "s", "ex.org", "pw", key), 32);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	snprintf(sql, sizeof(sql), "%s INSERT INTO turnusers_lt VALUES ('ex.org', 's', '%s');",
		 coturn_schema, hex);
	make_store(f, "turndb", sql, path, sizeof(path));
	db = userdb_open_sqlite(path, false, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(userdb_get_keys(db, "ex.org", "s", &k), 0);
	assert_false(k.has_md5);
	assert_true(k.has_sha256);
	assert_memory_equal(k.sha256, key, 32);
	userdb_close(db);
}

struct bad_seen {
	char text[2048];
};

static int bad_cb(void *arg, const char *realm, const char *user, const char *why)
{
	struct bad_seen *b = arg;
	size_t len = strlen(b->text);

	snprintf(b->text + len, sizeof(b->text) - len, "%s/%s: %s;", realm, user, why);
	return 0;
}

/* Rows coturn would choke on, or that were damaged: refused, named, counted. */
static void test_bad_rows_are_refused_and_counted(void **state)
{
	struct fixture *f = *state;
	char path[192], sql[4096], err[USERDB_ERR_LEN];
	struct bad_seen b = {{0}};
	struct user_keys k;
	struct userdb *db;

	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO turnusers_lt VALUES ('r', 'good',"
		 " '608b3a6ba35c3e18cfd5d03176cf205f');"
		 "INSERT INTO turnusers_lt VALUES ('r', 'short', '608b3a6ba35c3e18cfd5d03176cf205');"
		 "INSERT INTO turnusers_lt VALUES ('r', 'nothex', '60zb3a6ba35c3e18cfd5d03176cf205f');"
		 "INSERT INTO turnusers_lt VALUES ('r', 'null', NULL);"
		 "INSERT INTO turnusers_lt VALUES ('r', 'blob', x'00112233');"
		 "INSERT INTO turnusers_lt VALUES ('r', 'long', '%0200d');",
		 coturn_schema, 7);
	make_store(f, "turndb", sql, path, sizeof(path));
	db = userdb_open_sqlite(path, false, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(userdb_get_keys(db, "r", "good", &k), 0);
	assert_int_equal(userdb_get_keys(db, "r", "short", &k), -1);
	assert_non_null(strstr(userdb_errmsg(db), "cannot use user 'short' of realm 'r' in "));
	assert_non_null(strstr(userdb_errmsg(db), "hmackey has 31 characters, not 32 hex digits"));
	assert_int_equal(userdb_get_keys(db, "r", "nothex", &k), -1);
	assert_non_null(strstr(userdb_errmsg(db), "hmackey is not hex (character 3)"));
	assert_int_equal(userdb_get_keys(db, "r", "null", &k), -1);
	assert_non_null(strstr(userdb_errmsg(db), "hmackey is NULL"));
	assert_int_equal(userdb_get_keys(db, "r", "blob", &k), -1);
	assert_int_equal(userdb_get_keys(db, "r", "long", &k), -1);
	assert_non_null(strstr(userdb_errmsg(db), "more than 128 characters"));
	assert_int_equal(userdb_check_users(db, bad_cb, &b), 5);
	assert_non_null(strstr(b.text, "r/short: hmackey has 31 characters"));
	assert_non_null(strstr(b.text, "r/nothex: hmackey is not hex (character 3);"));
	assert_non_null(strstr(b.text, "r/null: hmackey is NULL;"));
	assert_null(strstr(b.text, "good"));
	/* the handle still works after all that */
	assert_int_equal(userdb_get_keys(db, "r", "good", &k), 0);
	userdb_close(db);
}

/* Ours: coturn's hex MD5 in turnusers_lt, SHA-256 and USERHASH beside it. */
static void test_our_writes_are_coturns_rows(void **state)
{
	struct fixture *f = *state;
	char hex[33], got[256], user[64];
	uint8_t hash[32];
	struct user_keys k;

	assert_int_equal(userdb_set_password(f->db, "ex.org", "carol", "pw"), 0);
	md5_hex("carol", "ex.org", "pw", hex);
	query_text(f->path, "SELECT hmackey FROM turnusers_lt WHERE name = 'carol'", got,
		   sizeof(got));
	assert_string_equal(got, hex);
	query_text(f->path, "SELECT count(*) FROM turnserver_keys WHERE name = 'carol'", got,
		   sizeof(got));
	assert_string_equal(got, "1");
	assert_int_equal(userdb_get_keys(f->db, "ex.org", "carol", &k), 0);
	assert_true(k.has_md5 && k.has_sha256);
	stun_userhash("carol", "ex.org", hash);
	assert_int_equal(userdb_find_userhash(f->db, "ex.org", hash, user, sizeof(user)), 0);
	assert_string_equal(user, "carol");

	/* coturn's turnadmin sets another password: our SHA-256 key is stale, unused */
	md5_hex("carol", "ex.org", "new", hex);
	snprintf(got, sizeof(got), "UPDATE turnusers_lt SET hmackey = '%s' WHERE name = 'carol'",
		 hex);
	run_sql(f->path, got);
	assert_int_equal(userdb_get_keys(f->db, "ex.org", "carol", &k), 0);
	assert_true(k.has_md5);
	assert_false(k.has_sha256);

	/* coturn's turnadmin deletes the user: no USERHASH match is left */
	run_sql(f->path, "DELETE FROM turnusers_lt WHERE name = 'carol'");
	assert_int_equal(userdb_find_userhash(f->db, "ex.org", hash, user, sizeof(user)), 1);
	/* ours deletes both rows */
	assert_int_equal(userdb_set_password(f->db, "ex.org", "dan", "pw"), 0);
	assert_int_equal(userdb_delete(f->db, "ex.org", "dan"), 0);
	query_text(f->path, "SELECT count(*) FROM turnserver_keys WHERE name = 'dan'", got,
		   sizeof(got));
	assert_string_equal(got, "0");
	assert_int_equal(userdb_delete(f->db, "ex.org", "dan"), 1);
}

static int range_cb(void *arg, const char *realm, const char *range)
{
	size_t len = strlen(arg);

	snprintf((char *)arg + len, 512 - len, "%s=%s;", realm, range);
	return 0;
}

static int option_cb(void *arg, const char *realm, const char *opt, const char *value)
{
	size_t len = strlen(arg);

	snprintf((char *)arg + len, 512 - len, "%s:%s=%s;", realm, opt, value);
	return 0;
}

static int unused_cb(void *arg, const char *table, long rows)
{
	size_t len = strlen(arg);

	snprintf((char *)arg + len, 512 - len, "%s:%ld;", table, rows);
	return 0;
}

static void test_peer_ranges_options_and_unused_tables(void **state)
{
	struct fixture *f = *state;
	char path[192], sql[4096], err[USERDB_ERR_LEN], seen[512];
	struct userdb *db;

	snprintf(sql, sizeof(sql),
		 "%s INSERT INTO allowed_peer_ip VALUES ('', '10.0.0.0/8');"
		 "INSERT INTO allowed_peer_ip VALUES ('r', '192.168.1.1-192.168.1.9');"
		 "INSERT INTO denied_peer_ip VALUES ('r', '203.0.113.7');"
		 "INSERT INTO turn_realm_option VALUES ('r', 'max-bps', '64000');"
		 "INSERT INTO turn_realm_option VALUES ('r', 'user-quota', '3');"
		 "INSERT INTO admin_user VALUES ('root', '', 'x');"
		 "INSERT INTO turn_origin_to_realm VALUES ('https://a', 'r');"
		 "INSERT INTO turn_origin_to_realm VALUES ('https://b', 'r');",
		 coturn_schema);
	make_store(f, "turndb", sql, path, sizeof(path));
	db = userdb_open_sqlite(path, false, err, sizeof(err));
	assert_non_null(db);
	seen[0] = '\0';
	assert_int_equal(userdb_list_peer_ranges(db, false, range_cb, seen), 0);
	assert_string_equal(seen, "=10.0.0.0/8;r=192.168.1.1-192.168.1.9;");
	seen[0] = '\0';
	assert_int_equal(userdb_list_peer_ranges(db, true, range_cb, seen), 0);
	assert_string_equal(seen, "r=203.0.113.7;");
	seen[0] = '\0';
	assert_int_equal(userdb_list_realm_options(db, option_cb, seen), 0);
	assert_string_equal(seen, "r:max-bps=64000;r:user-quota=3;");
	seen[0] = '\0';
	assert_int_equal(userdb_list_unused(db, unused_cb, seen), 0);
	assert_string_equal(seen, "turn_origin_to_realm:2;admin_user:1;");
	userdb_close(db);
}

/* Our earlier schema (one table turnusers of blobs) moves over on open. */
static void test_old_schema_is_migrated(void **state)
{
	struct fixture *f = *state;
	static const char old[] =
	    "CREATE TABLE turnusers (realm TEXT NOT NULL, name TEXT NOT NULL, md5key BLOB,"
	    " sha256key BLOB, userhash BLOB, PRIMARY KEY (realm, name));";
	char path[192], err[USERDB_ERR_LEN], user[64], got[64];
	uint8_t md5[32], sha[32], hash[32];
	struct user_keys k;
	struct userdb *db;
	sqlite3_stmt *st;
	sqlite3 *conn;

	make_store(f, "old.db", old, path, sizeof(path));
	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, "eve", "r", "pw", md5), 16);
	assert_int_equal(stun_lt_key(STUN_PW_ALG_SHA256, "eve", "r", "pw", sha), 32);
	stun_userhash("eve", "r", hash);
	assert_int_equal(sqlite3_open(path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, "INSERT INTO turnusers VALUES ('r', 'eve', ?1, ?2,"
						  " ?3)",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_blob(st, 1, md5, 16, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, sha, 32, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, hash, 32, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
	sqlite3_close(conn);

	db = userdb_open_sqlite(path, false, err, sizeof(err));
	assert_non_null(db);
	assert_non_null(strstr(userdb_notice(db), "moved 1 user(s) from this server's earlier schema"));
	assert_int_equal(userdb_get_keys(db, "r", "eve", &k), 0);
	assert_true(k.has_md5 && k.has_sha256);
	assert_memory_equal(k.md5, md5, 16);
	assert_memory_equal(k.sha256, sha, 32);
	assert_int_equal(userdb_find_userhash(db, "r", hash, user, sizeof(user)), 0);
	assert_string_equal(user, "eve");
	userdb_close(db);
	query_text(path, "SELECT count(*) FROM sqlite_master WHERE name = 'turnusers'", got,
		   sizeof(got));
	assert_string_equal(got, "0");
	/* the second open has nothing to say */
	db = userdb_open_sqlite(path, false, err, sizeof(err));
	assert_non_null(db);
	assert_string_equal(userdb_notice(db), "");
	userdb_close(db);
}

static void test_hmackey_parse_bad_input(void **state)
{
	static const struct {
		const char *in, *why;
	} bad[] = {
	    {"", "hmackey has 0 characters"},
	    {"0", "hmackey has 1 characters"},
	    {"608b3a6ba35c3e18cfd5d03176cf205f0", "hmackey has 33 characters"},
	    {"608b3a6ba35c3e18cfd5d03176cf205 ", "not hex (character 32)"},
	    {" 08b3a6ba35c3e18cfd5d03176cf205f", "not hex (character 1)"},
	    {"0x8b3a6ba35c3e18cfd5d03176cf205f", "not hex (character 2)"},
	    {"608b3a6ba35c3e18cfd5d03176cf205g", "not hex (character 32)"},
	};
	struct user_keys k;
	char why[128];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&k, 0x5a, sizeof(k));
		why[0] = '\0';
		assert_int_equal(userdb_hmackey_parse(bad[i].in, &k, why, sizeof(why)), -1);
		assert_non_null(strstr(why, bad[i].why));
		assert_int_equal(k.md5[0], 0x5a); /* untouched */
	}
	assert_int_equal(userdb_hmackey_parse(NULL, &k, why, sizeof(why)), -1);
	assert_int_equal(userdb_hmackey_parse("00112233445566778899aAbBcCdDeEfF", &k, why,
					      sizeof(why)),
			 0);
	assert_true(k.has_md5 && !k.has_sha256);
	assert_int_equal(k.md5[15], 0xff);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_coturn_store_is_read_as_it_is),
	    T(test_sha256_hmackey_is_a_sha256_key),
	    T(test_bad_rows_are_refused_and_counted),
	    T(test_our_writes_are_coturns_rows),
	    T(test_peer_ranges_options_and_unused_tables),
	    T(test_old_schema_is_migrated),
	    T(test_hmackey_parse_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
