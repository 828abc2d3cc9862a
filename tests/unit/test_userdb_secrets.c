/*
 * test_userdb_secrets.c - TURN REST API secrets in the credential store
 * (userdb_list_secrets/add_secret/del_secret, SQLite backend): several per
 * realm, realms apart, adding twice changes nothing, deleting one or all,
 * empty and overlong secrets refused, coturn's turn_secret table (realm,
 * value) holding them, a store made before secrets were kept gaining the
 * table when opened, and a second handle seeing what the first wrote.
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

/* What a walk saw: "realm/secret;" for each row, in order. */
struct seen {
	char text[1024];
	int stop_after; /* 0: never stop */
	int rows;
};

static int seen_cb(void *arg, const char *realm, const char *secret)
{
	struct seen *s = arg;
	size_t len = strlen(s->text);

	snprintf(s->text + len, sizeof(s->text) - len, "%s/%s;", realm, secret);
	s->rows++;
	return s->stop_after && s->rows == s->stop_after ? 7 : 0;
}

static const char *walk(struct userdb *db, const char *realm, struct seen *s)
{
	memset(s, 0, sizeof(*s));
	assert_int_equal(userdb_list_secrets(db, realm, seen_cb, s), 0);
	return s->text;
}

static void test_secrets_are_kept_per_realm_in_order(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	assert_int_equal(userdb_add_secret(f->db, "b.org", "north"), 0);
	assert_int_equal(userdb_add_secret(f->db, "a.org", "south"), 0);
	assert_int_equal(userdb_add_secret(f->db, "b.org", "east"), 0);
	assert_string_equal(walk(f->db, "b.org", &s), "b.org/east;b.org/north;");
	assert_string_equal(walk(f->db, "a.org", &s), "a.org/south;");
	assert_string_equal(walk(f->db, NULL, &s), "a.org/south;b.org/east;b.org/north;");
	assert_string_equal(walk(f->db, "c.org", &s), "");
}

static void test_adding_a_secret_twice_keeps_one(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	assert_int_equal(userdb_add_secret(f->db, "a.org", "north"), 0);
	assert_int_equal(userdb_add_secret(f->db, "a.org", "north"), 0);
	assert_string_equal(walk(f->db, "a.org", &s), "a.org/north;");
}

static void test_delete_one_then_all(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	assert_int_equal(userdb_add_secret(f->db, "a.org", "north"), 0);
	assert_int_equal(userdb_add_secret(f->db, "a.org", "south"), 0);
	assert_int_equal(userdb_add_secret(f->db, "b.org", "west"), 0);
	assert_int_equal(userdb_del_secret(f->db, "a.org", "north"), 0);
	assert_int_equal(userdb_del_secret(f->db, "a.org", "north"), 1);
	assert_int_equal(userdb_del_secret(f->db, "a.org", "west"), 1);
	assert_string_equal(walk(f->db, NULL, &s), "a.org/south;b.org/west;");
	assert_int_equal(userdb_del_secret(f->db, "a.org", NULL), 0);
	assert_int_equal(userdb_del_secret(f->db, "a.org", NULL), 1);
	assert_string_equal(walk(f->db, NULL, &s), "b.org/west;");
}

static void test_walk_stops_when_callback_says_so(void **state)
{
	struct fixture *f = *state;
	struct seen s;

	assert_int_equal(userdb_add_secret(f->db, "a.org", "one"), 0);
	assert_int_equal(userdb_add_secret(f->db, "a.org", "two"), 0);
	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(userdb_list_secrets(f->db, NULL, seen_cb, &s), 7);
	assert_int_equal(s.rows, 1);
	/* the statement was reset: a new walk sees both */
	assert_string_equal(walk(f->db, NULL, &s), "a.org/one;a.org/two;");
}

static void test_bad_secrets_and_realms_are_refused(void **state)
{
	struct fixture *f = *state;
	char big[USERDB_SECRET_MAX + 2];
	struct seen s;

	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(userdb_add_secret(f->db, "a.org", ""), -1);
	assert_non_null(strstr(userdb_errmsg(f->db), "empty secret"));
	assert_int_equal(userdb_add_secret(f->db, "a.org", big), -1);
	assert_non_null(strstr(userdb_errmsg(f->db), "longer than 256"));
	assert_int_equal(userdb_add_secret(f->db, "", "north"), -1);
	assert_int_equal(userdb_del_secret(f->db, "a.org", ""), -1);
	big[USERDB_SECRET_MAX] = '\0';
	assert_int_equal(userdb_add_secret(f->db, "a.org", big), 0);
	assert_int_equal(walk(f->db, "a.org", &s)[6 + USERDB_SECRET_MAX], ';');
}

static int count_rows(const char *path, const char *sql)
{
	sqlite3 *conn;
	sqlite3_stmt *st;
	int n = -1;

	assert_int_equal(sqlite3_open_v2(path, &conn, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(conn, sql, -1, &st, NULL), SQLITE_OK);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(conn);
	return n;
}

/* coturn's schema.sql: turn_secret (realm, value), both text */
static void test_secrets_live_in_coturns_table(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userdb_add_secret(f->db, "a.org", "north"), 0);
	assert_int_equal(
	    count_rows(f->path, "SELECT count(*) FROM turn_secret WHERE realm = 'a.org' AND "
				"value = 'north' AND typeof(realm) = 'text' AND typeof(value) = 'text'"),
	    1);
}

/* A store of the release before (turnusers only) gains turn_secret when opened. */
static void test_store_without_secret_table_gains_it(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN];
	struct userdb *db;
	sqlite3 *conn;
	struct seen s;

	assert_int_equal(userdb_set_password(f->db, "a.org", "alice", "pw"), 0);
	userdb_close(f->db);
	f->db = NULL;
	assert_int_equal(sqlite3_open(f->path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, "DROP TABLE turn_secret", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);

	db = userdb_open_sqlite(f->path, false, err, sizeof(err));
	assert_non_null(db);
	f->db = db;
	assert_string_equal(walk(db, NULL, &s), "");
	assert_int_equal(userdb_add_secret(db, "a.org", "north"), 0);
	assert_string_equal(walk(db, "a.org", &s), "a.org/north;");
	assert_int_equal(userdb_count(db), 1);
}

/* turnadmin writes while the daemon reads: the daemon's handle sees new secrets. */
static void test_second_handle_sees_secrets(void **state)
{
	struct fixture *f = *state;
	char err[USERDB_ERR_LEN];
	struct userdb *other;
	struct seen s;

	other = userdb_open_sqlite(f->path, false, err, sizeof(err));
	assert_non_null(other);
	assert_string_equal(walk(f->db, "a.org", &s), "");
	assert_int_equal(userdb_add_secret(other, "a.org", "north"), 0);
	assert_string_equal(walk(f->db, "a.org", &s), "a.org/north;");
	assert_int_equal(userdb_del_secret(other, "a.org", NULL), 0);
	assert_string_equal(walk(f->db, "a.org", &s), "");
	userdb_close(other);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_secrets_are_kept_per_realm_in_order),
	    T(test_adding_a_secret_twice_keeps_one),
	    T(test_delete_one_then_all),
	    T(test_walk_stops_when_callback_says_so),
	    T(test_bad_secrets_and_realms_are_refused),
	    T(test_secrets_live_in_coturns_table),
	    T(test_store_without_secret_table_gains_it),
	    T(test_second_handle_sees_secrets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
