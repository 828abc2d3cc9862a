/*
 * test_realm_opts.c - src/server/realm_opts.c over a SQLite store: the
 * realm's max-bps, user-quota and total-quota read from the store override
 * the configuration's, and an option removed (userdb_set_realm_option()
 * with 0, as turnadmin -g does) gives the configuration's back; another
 * realm's rows are not ours; a value that is not a number, or past 2^32-1,
 * fails the read and keeps that option's last value (the others still
 * change); the limits (limits.c) refuse by the store's user-quota and
 * total-quota of the moment; the setter refuses unknown options and values
 * past 32 bits.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <sqlite3.h>
#include <string.h>

#include "common/config.h"
#include "server/server.h"
#include "userdb_test.h"

static struct config cfg;
static struct server srv;

static int env_setup(void **state)
{
	if (setup(state) < 0)
		return -1;
	config_init(&cfg);
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	snprintf(srv.realm, sizeof(srv.realm), "r");
	cfg.user_quota = 5;
	cfg.max_bps = 1000;
	pthread_mutex_init(&srv.lock, NULL);
	return 0;
}

static int env_teardown(void **state)
{
	limits_free(&srv);
	pthread_mutex_destroy(&srv.lock);
	config_free(&cfg);
	return teardown(state);
}

static void sql(struct fixture *f, const char *stmt)
{
	sqlite3 *conn;

	assert_int_equal(sqlite3_open(f->path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, stmt, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
}

static void test_store_values_override_the_configuration(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	assert_int_equal(realm_opt(&srv, REALM_OPT_USER_QUOTA), 5);
	assert_int_equal(realm_opt(&srv, REALM_OPT_TOTAL_QUOTA), 0);
	assert_int_equal(realm_opt(&srv, REALM_OPT_MAX_BPS), 1000);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "user-quota", 2), 0);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "total-quota", 7), 0);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "max-bps", 64000), 0);
	assert_int_equal(userdb_set_realm_option(f->db, "other", "user-quota", 1), 0);
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	assert_int_equal(realm_opt(&srv, REALM_OPT_USER_QUOTA), 2);
	assert_int_equal(realm_opt(&srv, REALM_OPT_TOTAL_QUOTA), 7);
	assert_int_equal(realm_opt(&srv, REALM_OPT_MAX_BPS), 64000);
}

static void test_removed_option_gives_the_configuration_back(void **state)
{
	struct fixture *f = *state;
	unsigned long v;

	assert_int_equal(userdb_set_realm_option(f->db, "r", "user-quota", 2), 0);
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	assert_int_equal(realm_opt(&srv, REALM_OPT_USER_QUOTA), 2);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "user-quota", 0), 0);
	assert_int_equal(userdb_realm_option(f->db, "r", "user-quota", &v), 1); /* row gone */
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	assert_int_equal(realm_opt(&srv, REALM_OPT_USER_QUOTA), 5);
	/* a row holding 0 (written by hand) means none as well */
	sql(f, "INSERT INTO turn_realm_option VALUES ('r', 'max-bps', '0')");
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	assert_int_equal(realm_opt(&srv, REALM_OPT_MAX_BPS), 1000);
}

static void test_bad_value_keeps_the_last_one(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(userdb_set_realm_option(f->db, "r", "user-quota", 3), 0);
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	sql(f, "UPDATE turn_realm_option SET value = 'lots' WHERE opt = 'user-quota';"
	       "INSERT INTO turn_realm_option VALUES ('r', 'total-quota', '9');"
	       "INSERT INTO turn_realm_option VALUES ('r', 'max-bps', '4294967296')");
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), -1);
	assert_int_equal(realm_opt(&srv, REALM_OPT_USER_QUOTA), 3);
	assert_int_equal(realm_opt(&srv, REALM_OPT_TOTAL_QUOTA), 9);
	assert_int_equal(realm_opt(&srv, REALM_OPT_MAX_BPS), 1000);
}

static void test_setter_refuses_unknown_options_and_big_values(void **state)
{
	struct fixture *f = *state;
	unsigned long v;

	assert_int_equal(userdb_set_realm_option(f->db, "r", "lifetime", 600), -1);
	assert_non_null(strstr(userdb_errmsg(f->db), "lifetime"));
	assert_int_equal(userdb_set_realm_option(f->db, "r", "max-bps", 4294967296ul), -1);
	assert_int_equal(userdb_set_realm_option(f->db, "", "max-bps", 1), -1);
	assert_int_equal(userdb_realm_option(f->db, "r", "max-bps", &v), 1);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "max-bps", 4294967295ul), 0);
	assert_int_equal(userdb_realm_option(f->db, "r", "max-bps", &v), 0);
	assert_int_equal(v, 4294967295ul);
}

static void test_limits_follow_the_store(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(0xc0000201)};
	const struct sockaddr *sa = (const struct sockaddr *)&a;

	cfg.min_port = 40000;
	cfg.max_port = 49999;
	assert_int_equal(limits_init(&srv), 0);
	assert_int_equal(limits_take(&srv, "alice", sa, 1, 1), 0);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "user-quota", 1), 0);
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	assert_int_equal(limits_take(&srv, "alice", sa, 1, 1), TURN_ERR_ALLOCATION_QUOTA);
	assert_int_equal(limits_take(&srv, "bob", sa, 1, 1), 0);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "total-quota", 2), 0);
	assert_int_equal(userdb_set_realm_option(f->db, "r", "user-quota", 0), 0);
	assert_int_equal(realm_opts_read(&srv, f->db, "test"), 0);
	assert_int_equal(limits_take(&srv, "carol", sa, 1, 1), TURN_ERR_ALLOCATION_QUOTA);
	limits_release(&srv, "bob", sa, 1, 1);
	assert_int_equal(limits_take(&srv, "alice", sa, 1, 1), 0);
	limits_release(&srv, "alice", sa, 2, 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, env_setup, env_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_store_values_override_the_configuration),
	    T(test_removed_option_gives_the_configuration_back),
	    T(test_bad_value_keeps_the_last_one),
	    T(test_setter_refuses_unknown_options_and_big_values),
	    T(test_limits_follow_the_store),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
