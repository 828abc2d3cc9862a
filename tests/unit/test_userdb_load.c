/*
 * test_userdb_load.c - what the server takes from coturn's tables at
 * startup (src/server/userdb_load.c, over the SQLite store):
 * allowed_peer_ip/denied_peer_ip rows of our realm or of none join
 * allowed-peer-ip/denied-peer-ip (the policy made from them as the server
 * makes it), rows of another realm, malformed ranges and those past the
 * list's room do not (counted); turn_realm_option rows of our realm leave
 * the configuration alone (realm_opts.c reads them while the server runs:
 * test_realm_opts.c), unknown options and other realms are named
 * (counted); bad user rows counted; no-dynamic-ip-list and
 * no-dynamic-realms switch the reading off, with notices naming the store.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "common/config_internal.h"
#include "relay/peer_policy.h"
#include "server/userdb.h"
#include "server/userdb_load.h"
#include "userdb_test.h"

static const char rows[] =
    "INSERT INTO allowed_peer_ip VALUES ('', '10.1.0.0/16');"
    "INSERT INTO allowed_peer_ip VALUES ('r', '192.168.7.7');"
    "INSERT INTO allowed_peer_ip VALUES ('elsewhere', '172.16.0.1');"
    "INSERT INTO denied_peer_ip VALUES ('r', '203.0.113.0-203.0.113.9');"
    "INSERT INTO denied_peer_ip VALUES ('r', '300.1.1.1');"
    "INSERT INTO denied_peer_ip VALUES ('r', NULL);"
    "INSERT INTO turn_realm_option VALUES ('r', 'max-bps', '64000');"
    "INSERT INTO turn_realm_option VALUES ('r', 'total-quota', '12');"
    "INSERT INTO turn_realm_option VALUES ('r', 'user-quota', '-1');"
    "INSERT INTO turn_realm_option VALUES ('r', 'lifetime', '600');"
    "INSERT INTO turn_realm_option VALUES ('elsewhere', 'max-bps', '1');"
    "INSERT INTO turnusers_lt VALUES ('r', 'broken', '1234');";

struct load_env {
	struct config cfg;
	struct peer_policy policy;
	struct userdb_load_counts n;
};

static void env_init(struct load_env *e, struct fixture *f)
{
	sqlite3 *conn;

	memset(e, 0, sizeof(*e));
	config_init(&e->cfg);
	e->cfg.user_quota = 5;
	assert_int_equal(sqlite3_open(f->path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, rows, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
}

/* Both steps of the startup, then the policy made as relay_setup_policy() makes it. */
static void env_load(struct load_env *e, struct fixture *f)
{
	char err[256];

	userdb_apply_realm(&e->cfg, f->db, "r", "userdb test", &e->n);
	assert_int_equal(userdb_audit(&e->cfg, f->db, "r", "userdb test", &e->n), 0);
	assert_int_equal(peer_policy_init(&e->policy, false,
					  (const char *const *)e->cfg.allowed_peer_ip,
					  (int)e->cfg.allowed_peer_ip_count,
					  (const char *const *)e->cfg.denied_peer_ip,
					  (int)e->cfg.denied_peer_ip_count, err, sizeof(err)),
			 0);
}

static enum peer_verdict verdict(const struct load_env *e, const char *ip)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return peer_policy_check(&e->policy, (const struct sockaddr *)&sin);
}

static void test_rows_of_our_realm_are_applied(void **state)
{
	struct fixture *f = *state;
	struct load_env e;

	env_init(&e, f);
	env_load(&e, f);
	assert_int_equal(e.n.bad_users, 1);
	assert_int_equal(e.n.ranges, 3);  /* 10.1/16, 192.168.7.7, 203.0.113.0-9 */
	assert_int_equal(e.n.refused, 2); /* 300.1.1.1, NULL */
	assert_int_equal(e.n.ignored, 3); /* 172.16.0.1 and max-bps of elsewhere, lifetime */
	assert_int_equal(e.cfg.allowed_peer_ip_count, 2);
	assert_int_equal(e.cfg.denied_peer_ip_count, 1);
	assert_int_equal(verdict(&e, "10.1.2.3"), PEER_ALLOWED);
	assert_int_equal(verdict(&e, "192.168.7.7"), PEER_ALLOWED);
	assert_int_equal(verdict(&e, "192.168.7.8"), PEER_DENIED_PRIVATE);
	assert_int_equal(verdict(&e, "172.16.0.1"), PEER_DENIED_PRIVATE);
	assert_int_equal(verdict(&e, "203.0.113.9"), PEER_DENIED_OPERATOR);
	assert_int_equal(verdict(&e, "203.0.113.10"), PEER_ALLOWED);
	/* the store's options are read at run time, over the configuration's */
	assert_int_equal(e.cfg.max_bps, 0);
	assert_int_equal(e.cfg.total_quota, 0);
	assert_int_equal(e.cfg.user_quota, 5);
	config_free(&e.cfg);
}

static void test_no_dynamic_options_read_nothing(void **state)
{
	struct fixture *f = *state;
	struct load_env e;

	env_init(&e, f);
	e.cfg.no_dynamic_ip_list = true;
	e.cfg.no_dynamic_realms = true;
	env_load(&e, f);
	assert_int_equal(e.n.ranges + e.n.refused + e.n.ignored, 0);
	assert_int_equal(e.n.bad_users, 1); /* users are always checked */
	assert_int_equal(e.cfg.allowed_peer_ip_count + e.cfg.denied_peer_ip_count, 0);
	assert_int_equal(e.cfg.max_bps, 0);
	assert_int_equal(verdict(&e, "10.1.2.3"), PEER_DENIED_PRIVATE);
	config_free(&e.cfg);
}

/* More ranges than the configuration holds: the rest refused by name, counted. */
static void test_too_many_ranges_are_refused(void **state)
{
	struct fixture *f = *state;
	struct load_env e;
	char sql[128];
	sqlite3 *conn;

	env_init(&e, f);
	assert_int_equal(sqlite3_open(f->path, &conn), SQLITE_OK);
	for (int i = 0; i < CONFIG_MAX_PEER_RULES + 3; i++) {
		snprintf(sql, sizeof(sql), "INSERT INTO denied_peer_ip VALUES ('', '198.51.%d.1')",
			 i);
		assert_int_equal(sqlite3_exec(conn, sql, NULL, NULL, NULL), SQLITE_OK);
	}
	sqlite3_close(conn);
	env_load(&e, f);
	assert_int_equal(e.cfg.denied_peer_ip_count, CONFIG_MAX_PEER_RULES);
	/* 67 rows and 203.0.113.0-9: 64 taken, 4 over, plus the 2 malformed */
	assert_int_equal(e.n.refused, 4 + 2);
	config_free(&e.cfg);
}

static void notice_cb(void *arg, const char *option, const char *text)
{
	size_t n = strlen(arg);

	snprintf((char *)arg + n, 1024 - n, "%s: %s\n", option, text);
}

static void test_no_dynamic_options_have_coturns_meaning(void **state)
{
	struct config c;
	char err[256], notes[1024] = "";

	(void)state;
	config_init(&c);
	assert_int_equal(config_set(&c, "no-dynamic-ip-list", NULL, err, sizeof(err)), 0);
	assert_int_equal(config_set(&c, "no-dynamic-realms", NULL, err, sizeof(err)), 0);
	assert_true(c.no_dynamic_ip_list && c.no_dynamic_realms);
	config_notices(&c, notice_cb, notes);
	assert_non_null(strstr(notes, "no-dynamic-ip-list: the user store's peer ranges (coturn's "
				      "allowed_peer_ip and denied_peer_ip) are not read"));
	assert_non_null(strstr(notes, "no-dynamic-realms: the user store's realm options"));
	assert_null(strstr(notes, "has none"));
	config_free(&c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_rows_of_our_realm_are_applied),
	    T(test_no_dynamic_options_read_nothing),
	    T(test_too_many_ranges_are_refused),
	    cmocka_unit_test(test_no_dynamic_options_have_coturns_meaning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
