/*
 * test_userdb_load.c - what the server takes from coturn's tables at
 * startup (src/server/userdb_load.c): allowed_peer_ip/denied_peer_ip rows
 * of our realm or of none merged into the peer policy, rows of another
 * realm and malformed ranges not (counted); turn_realm_option max-bps,
 * user-quota, total-quota of our realm applied, bad values, unknown
 * options and other realms not (counted); bad user rows counted;
 * no-dynamic-ip-list and no-dynamic-realms switch the reading off, and are
 * options with coturn's meaning (their =no is the default, accepted).
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
#include "server/server.h"
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
	struct server srv;
	struct userdb_load_counts n;
};

static void env_init(struct load_env *e, struct fixture *f)
{
	char err[256];
	sqlite3 *conn;

	memset(e, 0, sizeof(*e));
	config_init(&e->cfg);
	snprintf(e->cfg.userdb, sizeof(e->cfg.userdb), "%s", f->path);
	e->cfg.user_quota = 5;
	e->srv.cfg = &e->cfg;
	snprintf(e->srv.realm, sizeof(e->srv.realm), "r");
	assert_int_equal(peer_policy_init(&e->srv.relay.policy, false, NULL, 0, NULL, 0, err,
					  sizeof(err)),
			 0);
	assert_int_equal(sqlite3_open(f->path, &conn), SQLITE_OK);
	assert_int_equal(sqlite3_exec(conn, rows, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(conn);
}

static enum peer_verdict verdict(const struct load_env *e, const char *ip)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(9)};

	assert_int_equal(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return peer_policy_check(&e->srv.relay.policy, (const struct sockaddr *)&sin);
}

static void test_rows_of_our_realm_are_applied(void **state)
{
	struct fixture *f = *state;
	struct load_env e;

	env_init(&e, f);
	assert_int_equal(userdb_load(&e.srv, f->db, &e.n), 0);
	assert_int_equal(e.n.bad_users, 1);
	assert_int_equal(e.n.ranges, 3);     /* 10.1/16, 192.168.7.7, 203.0.113.0-9 */
	assert_int_equal(e.n.bad_ranges, 2); /* 300.1.1.1, NULL */
	assert_int_equal(e.n.options, 2);    /* max-bps, total-quota */
	assert_int_equal(e.n.ignored, 4);    /* 172.16.0.1, user-quota -1, lifetime, elsewhere */
	assert_int_equal(verdict(&e, "10.1.2.3"), PEER_ALLOWED);
	assert_int_equal(verdict(&e, "192.168.7.7"), PEER_ALLOWED);
	assert_int_equal(verdict(&e, "192.168.7.8"), PEER_DENIED_PRIVATE);
	assert_int_equal(verdict(&e, "172.16.0.1"), PEER_DENIED_PRIVATE);
	assert_int_equal(verdict(&e, "203.0.113.9"), PEER_DENIED_OPERATOR);
	assert_int_equal(verdict(&e, "203.0.113.10"), PEER_ALLOWED);
	assert_int_equal(e.cfg.max_bps, 64000);
	assert_int_equal(e.cfg.total_quota, 12);
	assert_int_equal(e.cfg.user_quota, 5); /* '-1' refused: the configuration's stays */
	config_free(&e.cfg);
}

static void test_no_dynamic_options_read_nothing(void **state)
{
	struct fixture *f = *state;
	struct load_env e;

	env_init(&e, f);
	e.cfg.no_dynamic_ip_list = true;
	e.cfg.no_dynamic_realms = true;
	assert_int_equal(userdb_load(&e.srv, f->db, &e.n), 0);
	assert_int_equal(e.n.ranges + e.n.bad_ranges + e.n.options + e.n.ignored, 0);
	assert_int_equal(e.n.bad_users, 1); /* users are always checked */
	assert_int_equal(e.srv.relay.policy.nallowed, 0);
	assert_int_equal(e.srv.relay.policy.ndenied, 0);
	assert_int_equal(e.cfg.max_bps, 0);
	assert_int_equal(verdict(&e, "10.1.2.3"), PEER_DENIED_PRIVATE);
	config_free(&e.cfg);
}

/* A full list refuses the rest by name and leaves the policy as it was. */
static void test_full_peer_list_refuses_more(void **state)
{
	struct peer_policy p;
	char err[256], ip[32];

	(void)state;
	assert_int_equal(peer_policy_init(&p, false, NULL, 0, NULL, 0, err, sizeof(err)), 0);
	for (int i = 0; i < PEER_POLICY_MAX_RANGES; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		assert_int_equal(peer_policy_add_range(&p, true, ip, err, sizeof(err)), 0);
	}
	assert_int_equal(peer_policy_add_range(&p, true, "198.51.100.200", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'198.51.100.200': the denied list is full"));
	assert_int_equal(p.ndenied, PEER_POLICY_MAX_RANGES);
	assert_int_equal(peer_policy_add_range(&p, false, "10.0.0.0/33", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "'10.0.0.0/33'"));
	assert_int_equal(p.nallowed, 0);
	assert_int_equal(peer_policy_add_range(&p, false, "", err, sizeof(err)), -1);
	assert_int_equal(p.nallowed, 0);
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
	assert_non_null(strstr(notes, "no-dynamic-ip-list: the user store's allowed_peer_ip and "
				      "denied_peer_ip tables are not read"));
	assert_non_null(strstr(notes, "no-dynamic-realms: the user store's turn_realm_option"));
	assert_null(strstr(notes, "users' keys only"));
	config_free(&c);
	config_init(&c);
	assert_int_equal(config_set(&c, "no-dynamic-realms", "no", err, sizeof(err)), 0);
	assert_false(c.no_dynamic_realms);
	config_free(&c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_rows_of_our_realm_are_applied),
	    T(test_no_dynamic_options_read_nothing),
	    cmocka_unit_test(test_full_peer_list_refuses_more),
	    cmocka_unit_test(test_no_dynamic_options_have_coturns_meaning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
