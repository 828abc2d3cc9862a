/*
 * test_userdb.c - the credential store with its SQLite backend
 * (src/server/userdb.c, userdb_sqlite.c): keys as the codec derives them,
 * no password on disk, replace/delete/list/count, USERHASH lookup, realm
 * separation, odd names, error messages that name the file (coturn's
 * schema as such: test_userdb_coturn.c).
 * Each test gets a fresh store in its own directory under /tmp.
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
#include "userdb_test.h"
#include "stun/stun.h"

/* user's keys in realm are there and are those of pass. */
static void expect_keys(struct userdb *db, const char *realm, const char *user, const char *pass)
{
	struct user_keys keys, *k = &keys;
	uint8_t want[32];

	assert_int_equal(userdb_get_keys(db, realm, user, k), 0);
	assert_true(k->has_md5);
	assert_true(k->has_sha256);
	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, user, realm, pass, want), 16);
	assert_memory_equal(k->md5, want, 16);
	assert_int_equal(stun_lt_key(STUN_PW_ALG_SHA256, user, realm, pass, want), 32);
	assert_memory_equal(k->sha256, want, 32);
}

/* True when needle occurs in the file (a missing file holds nothing). */
static bool file_contains(const char *path, const char *needle)
{
	size_t nlen = strlen(needle), len = 0, cap = 0, n;
	char *buf = NULL, chunk[4096];
	bool found = false;
	FILE *fp = fopen(path, "rb");

	if (!fp)
		return false;
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		memcpy(buf + len, chunk, n);
		len += n;
	}
	fclose(fp);
	for (size_t i = 0; !found && len >= nlen && i <= len - nlen; i++)
		found = memcmp(buf + i, needle, nlen) == 0;
	free(buf);
	return found;
}

static void test_set_password_stores_codec_keys(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userdb_set_password(f->db, "example.org", "alice", "s3cret"), 0);
	expect_keys(f->db, "example.org", "alice", "s3cret");
}

static void test_password_is_not_on_disk(void **state)
{
	static const char pass[] = "Very-Distinct-Passw0rd-4711";
	struct fixture *f = *state;
	char wal[160];
	struct user_keys k;

	snprintf(wal, sizeof(wal), "%s-wal", f->path);
	assert_int_equal(userdb_set_password(f->db, "example.org", "alice", pass), 0);
	assert_int_equal(userdb_set_password(f->db, "example.org", "bob", pass), 0);
	assert_int_equal(userdb_get_keys(f->db, "example.org", "alice", &k), 0);
	/* While the handle is open the rows sit in the WAL. */
	assert_true(access(wal, F_OK) == 0);
	assert_true(file_contains(wal, "alice"));
	assert_false(file_contains(wal, pass));
	assert_false(file_contains(f->path, pass));
	userdb_close(f->db);
	f->db = NULL;
	assert_true(file_contains(f->path, "alice"));
	assert_false(file_contains(f->path, pass));
	assert_false(file_contains(wal, pass));
	f->db = userdb_open_sqlite(f->path, false, NULL, 0);
	assert_non_null(f->db);
}

static void test_store_file_is_private(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN], path[192];
	struct userdb *db;
	struct stat st;
	mode_t old = umask(022);

	snprintf(path, sizeof(path), "%s/a/b/users.db", f->dir);
	db = userdb_open_sqlite(path, true, err, sizeof(err));
	umask(old);
	assert_non_null(db);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(path, sizeof(path), "%s/a/b", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	userdb_close(db);
}

static void test_set_password_replaces(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userdb_set_password(f->db, "r", "alice", "old"), 0);
	assert_int_equal(userdb_set_password(f->db, "r", "alice", "new"), 0);
	assert_int_equal(userdb_count(f->db), 1);
	expect_keys(f->db, "r", "alice", "new");
}

static void test_delete_removes_only_that_user(void **state)
{
	struct fixture *f = *state;
	struct user_keys k;

	assert_int_equal(userdb_set_password(f->db, "r", "alice", "a"), 0);
	assert_int_equal(userdb_set_password(f->db, "r", "bob", "b"), 0);
	assert_int_equal(userdb_delete(f->db, "r", "alice"), 0);
	assert_int_equal(userdb_get_keys(f->db, "r", "alice", &k), 1);
	assert_int_equal(userdb_get_keys(f->db, "r", "bob", &k), 0);
	assert_int_equal(userdb_delete(f->db, "r", "alice"), 1);
	assert_int_equal(userdb_count(f->db), 1);
}

static void test_get_missing_user_leaves_output(void **state)
{
	struct fixture *f = *state;
	struct user_keys k;

	memset(&k, 0xa5, sizeof(k));
	assert_int_equal(userdb_get_keys(f->db, "r", "nobody", &k), 1);
	assert_int_equal(k.md5[0], 0xa5);
	assert_int_equal(userdb_count(f->db), 0);
}

struct listing {
	char text[512];
	int calls;
	int stop_after;
};

static int list_cb(void *arg, const char *realm, const char *user)
{
	struct listing *l = arg;
	size_t n = strlen(l->text);

	snprintf(l->text + n, sizeof(l->text) - n, "%s/%s;", realm, user);
	return ++l->calls == l->stop_after ? 42 : 0;
}

static void test_list_orders_by_realm_then_name(void **state)
{
	struct fixture *f = *state;
	struct listing l;

	assert_int_equal(userdb_set_password(f->db, "r2", "zed", "p"), 0);
	assert_int_equal(userdb_set_password(f->db, "r1", "bob", "p"), 0);
	assert_int_equal(userdb_set_password(f->db, "r1", "alice", "p"), 0);
	assert_int_equal(userdb_count(f->db), 3);

	memset(&l, 0, sizeof(l));
	assert_int_equal(userdb_list(f->db, NULL, list_cb, &l), 0);
	assert_string_equal(l.text, "r1/alice;r1/bob;r2/zed;");

	memset(&l, 0, sizeof(l));
	assert_int_equal(userdb_list(f->db, "r2", list_cb, &l), 0);
	assert_string_equal(l.text, "r2/zed;");

	memset(&l, 0, sizeof(l));
	assert_int_equal(userdb_list(f->db, "none", list_cb, &l), 0);
	assert_int_equal(l.calls, 0);
}

static void test_list_stops_when_callback_says_so(void **state)
{
	struct fixture *f = *state;
	struct listing l;

	assert_int_equal(userdb_set_password(f->db, "r", "a", "p"), 0);
	assert_int_equal(userdb_set_password(f->db, "r", "b", "p"), 0);
	assert_int_equal(userdb_set_password(f->db, "r", "c", "p"), 0);
	memset(&l, 0, sizeof(l));
	l.stop_after = 2;
	assert_int_equal(userdb_list(f->db, NULL, list_cb, &l), 42);
	assert_int_equal(l.calls, 2);
	/* The statement was reset: a new walk starts from the beginning. */
	memset(&l, 0, sizeof(l));
	assert_int_equal(userdb_list(f->db, NULL, list_cb, &l), 0);
	assert_int_equal(l.calls, 3);
}

static void test_userhash_finds_user(void **state)
{
	struct fixture *f = *state;
	uint8_t hash[32];
	char user[64], tiny[4];

	assert_int_equal(userdb_set_password(f->db, "example.org", "alice", "p"), 0);
	assert_int_equal(userdb_set_password(f->db, "example.org", "bob", "p"), 0);
	stun_userhash("bob", "example.org", hash);
	assert_int_equal(userdb_find_userhash(f->db, "example.org", hash, user, sizeof(user)), 0);
	assert_string_equal(user, "bob");
	/* The hash covers the realm: another realm does not match. */
	assert_int_equal(userdb_find_userhash(f->db, "other.org", hash, user, sizeof(user)), 1);
	stun_userhash("carol", "example.org", hash);
	assert_int_equal(userdb_find_userhash(f->db, "example.org", hash, user, sizeof(user)), 1);
	stun_userhash("alice", "example.org", hash);
	assert_int_equal(userdb_find_userhash(f->db, "example.org", hash, tiny, sizeof(tiny)), -1);
	assert_non_null(strstr(userdb_errmsg(f->db), "does not fit"));
}

static void test_md5_key_import_has_no_sha256(void **state)
{
	struct fixture *f = *state;
	struct user_keys k;
	uint8_t key[32], hash[32];
	char user[16];

	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, "old", "r", "pw", key), 16);
	assert_int_equal(userdb_set_md5_key(f->db, "r", "old", key), 0);
	assert_int_equal(userdb_get_keys(f->db, "r", "old", &k), 0);
	assert_true(k.has_md5);
	assert_false(k.has_sha256);
	assert_memory_equal(k.md5, key, 16);
	stun_userhash("old", "r", hash);
	assert_int_equal(userdb_find_userhash(f->db, "r", hash, user, sizeof(user)), 0);
	assert_string_equal(user, "old");
}

static void test_realms_are_separate(void **state)
{
	struct fixture *f = *state;
	struct user_keys k;

	assert_int_equal(userdb_set_password(f->db, "one", "alice", "p1"), 0);
	assert_int_equal(userdb_set_password(f->db, "two", "alice", "p2"), 0);
	assert_int_equal(userdb_count(f->db), 2);
	expect_keys(f->db, "one", "alice", "p1");
	expect_keys(f->db, "two", "alice", "p2");
	assert_int_equal(userdb_delete(f->db, "one", "alice"), 0);
	assert_int_equal(userdb_get_keys(f->db, "one", "alice", &k), 1);
	assert_int_equal(userdb_get_keys(f->db, "two", "alice", &k), 0);
	assert_int_equal(userdb_get_keys(f->db, "three", "alice", &k), 1);
}

static void test_odd_names_round_trip(void **state)
{
	struct fixture *f = *state;
	char big[513], user[600];
	const char *names[] = {
	    "Ünïcødé-用户-🔑",
	    "o'brien",
	    "say \"hi\"",
	    "x'); DROP TABLE turnusers; --",
	    "with space",
	    "new\nline",
	    "a:b:c",
	    "%s%n",
	    big,
	    "Alice",
	};
	uint8_t hash[32];
	size_t i;

	memset(big, 'n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		assert_int_equal(userdb_set_password(f->db, "réalm \"q\"", names[i], names[i]), 0);
	assert_int_equal(userdb_set_password(f->db, "réalm \"q\"", "alice", "lower"), 0);
	assert_int_equal(userdb_count(f->db), (int)i + 1);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		expect_keys(f->db, "réalm \"q\"", names[i], names[i]);
		stun_userhash(names[i], "réalm \"q\"", hash);
		assert_int_equal(
		    userdb_find_userhash(f->db, "réalm \"q\"", hash, user, sizeof(user)), 0);
		assert_string_equal(user, names[i]);
	}
	/* Names are compared byte for byte. */
	expect_keys(f->db, "réalm \"q\"", "alice", "lower");
}

static void test_bad_names_are_refused(void **state)
{
	struct fixture *f = *state;
	char huge[USERDB_NAME_MAX + 2];

	memset(huge, 'h', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = '\0';
	assert_int_equal(userdb_set_password(f->db, "r", "", "p"), -1);
	assert_non_null(strstr(userdb_errmsg(f->db), "empty user name"));
	assert_int_equal(userdb_set_password(f->db, "", "u", "p"), -1);
	assert_int_equal(userdb_set_password(f->db, "r", "u", ""), -1);
	assert_non_null(strstr(userdb_errmsg(f->db), "empty password"));
	assert_int_equal(userdb_set_password(f->db, "r", huge, "p"), -1);
	assert_non_null(strstr(userdb_errmsg(f->db), "longer than"));
	assert_int_equal(userdb_count(f->db), 0);
}

static void test_open_under_a_file_names_the_path(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN], path[192];

	/* A regular file as a parent directory stops root as well. */
	snprintf(path, sizeof(path), "%s/users.db/sub/x.db", f->dir);
	memset(err, 0, sizeof(err));
	assert_null(userdb_open_sqlite(path, true, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "Not a directory"));
}

/* Permission bits do not stop root; that case is covered by the test above. */
static void test_open_in_unwritable_dir_names_the_path(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN], dir[128], path[192];

	if (geteuid() == 0)
		skip();
	snprintf(dir, sizeof(dir), "%s/locked", f->dir);
	snprintf(path, sizeof(path), "%s/sub/x.db", dir);
	assert_int_equal(mkdir(dir, 0500), 0);
	assert_null(userdb_open_sqlite(path, true, err, sizeof(err)));
	chmod(dir, 0700);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "Permission denied"));
}

static void test_open_missing_without_create_names_the_path(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN], path[192];
	struct stat st;

	snprintf(path, sizeof(path), "%s/missing.db", f->dir);
	assert_null(userdb_open_sqlite(path, false, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "No such file or directory"));
	assert_int_equal(stat(path, &st), -1);
}

static void test_open_garbage_file_names_the_path(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN], path[192];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/garbage.db", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	for (int i = 0; i < 200; i++)
		fputs("this is not an SQLite database ", fp);
	fclose(fp);
	assert_null(userdb_open_sqlite(path, true, err, sizeof(err)));
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "not a database"));
}

/* turnadmin writes through one handle while the daemon reads through another. */
static void test_second_handle_sees_writes(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN];
	struct userdb *reader;
	struct user_keys k;

	reader = userdb_open_sqlite(f->path, false, err, sizeof(err));
	assert_non_null(reader);
	assert_int_equal(userdb_get_keys(reader, "r", "alice", &k), 1);
	assert_int_equal(userdb_set_password(f->db, "r", "alice", "p"), 0);
	expect_keys(reader, "r", "alice", "p");
	assert_int_equal(userdb_delete(f->db, "r", "alice"), 0);
	assert_int_equal(userdb_get_keys(reader, "r", "alice", &k), 1);
	userdb_close(reader);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_set_password_stores_codec_keys),
	    T(test_password_is_not_on_disk),
	    T(test_store_file_is_private),
	    T(test_set_password_replaces),
	    T(test_delete_removes_only_that_user),
	    T(test_get_missing_user_leaves_output),
	    T(test_list_orders_by_realm_then_name),
	    T(test_list_stops_when_callback_says_so),
	    T(test_userhash_finds_user),
	    T(test_md5_key_import_has_no_sha256),
	    T(test_realms_are_separate),
	    T(test_odd_names_round_trip),
	    T(test_bad_names_are_refused),
	    T(test_open_under_a_file_names_the_path),
	    T(test_open_in_unwritable_dir_names_the_path),
	    T(test_open_missing_without_create_names_the_path),
	    T(test_open_garbage_file_names_the_path),
	    T(test_second_handle_sees_writes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
