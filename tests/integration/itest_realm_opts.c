/*
 * itest_realm_opts.c - the realm's user-quota, total-quota and max-bps in
 * the user store change while turnserver runs (realm_opts.c), set by
 * turnadmin -g as coturn's turnadmin sets them, no restart:
 *  - user-quota 1 set in the store: alice's next Allocate gets 486 while
 *    her two allocations in place go on (Refresh answered); the option
 *    removed (-g --user-quota 0): she allocates again;
 *  - total-quota from the store over the configuration's none: bob gets
 *    486 once alice holds it (SQLite);
 *  - max-bps set by coturn's own turnadmin (SQLite) or ours (Redis): a new
 *    allocation's answer carries it in BANDWIDTH; removed, none.
 * Two servers with realm-options-refresh=1: one on the SQLite store in its
 * dir, one on redis-userdb (a redis-server started here on a free
 * 127.0.0.1 port, stopped by PID). Every wait is bounded (WAIT_MS).
 */
#include "integration/harness.h"
#include "integration/redis_test.h"

#define WAIT_MS 8000 /* a change must show within this (refresh is 1 s) */
#define RETRY_MS 100
#define COTURN_ADMIN "/usr/bin/turnadmin"
#define BPS 12800 /* max-bps set in the store: 100 BANDWIDTH units */

static struct tserver lite, redis;
static char redis_conn[64];

/* The store's switch for turnadmin: -b FILE of the SQLite server, or -N of Redis. */
static void store_args(const struct tserver *s, char *out, size_t len)
{
	char db[96];

	if (s == &redis) {
		snprintf(out, len, "-N '%s'", redis_conn);
		return;
	}
	h_path(s, "users.db", db, sizeof(db));
	snprintf(out, len, "-b '%s'", db);
}

/* turnadmin (ours, or coturn's with coturn) with args on s's store: its exit status. */
static int admin(const struct tserver *s, bool coturn, const char *args)
{
	const char *dir = getenv("TURN_BUILD_DIR");
	char store[128], cmd[512];
	int rc;

	store_args(s, store, sizeof(store));
	if (coturn)
		snprintf(cmd, sizeof(cmd), "cd '%s' && " COTURN_ADMIN " %s %s >/dev/null 2>&1",
			 s->dir, args, store);
	else
		snprintf(cmd, sizeof(cmd), "'%s/bin/turnadmin' %s %s >/dev/null",
			 dir && *dir ? dir : "build", args, store);
	rc = system(cmd);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static int group_setup(void **state)
{
	static const char *const lite_flags[] = {"--relay-ip=127.0.0.1",
						 "--realm-options-refresh=1", NULL};
	static char flag[96];
	static const char *redis_flags[] = {"--relay-ip=127.0.0.1", "--realm-options-refresh=1",
					    flag, NULL};

	(void)state;
	if (access(COTURN_ADMIN, X_OK) < 0) {
		fprintf(stderr, "%s: %s (coturn is a test dependency, scripts/deps)\n",
			COTURN_ADMIN, strerror(errno));
		return -1;
	}
	if (redis_start() < 0)
		return -1;
	snprintf(redis_conn, sizeof(redis_conn), "ip=127.0.0.1 port=%u connect_timeout=2",
		 redis_port);
	snprintf(flag, sizeof(flag), "--redis-userdb=%s", redis_conn);
	if (tserver_start(&lite, 8, lite_flags) < 0)
		return -1;
	return tserver_start(&redis, 8, redis_flags);
}

static int group_teardown(void **state)
{
	int ret;

	(void)state;
	ret = tserver_stop(&lite) | tserver_stop(&redis);
	redis_stop();
	return ret;
}

/*
 * Allocates as user on a fresh client until the answer is want (an
 * allocation made meanwhile is deleted), within WAIT_MS: the last code.
 * With bandwidth, *bandwidth gets the answer's BANDWIDTH (0: none).
 */
static int allocate_until(const struct tserver *s, const char *user, const char *pass, int want,
			  uint32_t *bandwidth)
{
	uint64_t end = h_now_ms() + WAIT_MS;
	struct turnc cl;
	int code;

	for (;;) {
		if (h_open(&cl, &s->v4, NULL, false) < 0)
			fail_msg("cannot connect to %s", h_str(&s->v4));
		turnc_set_auth(&cl, user, pass, NULL);
		code = h_allocate(&cl);
		if (bandwidth)
			*bandwidth = code == 0 && h_attr(&cl, STUN_ATTR_BANDWIDTH)
					 ? h_u32(&cl, STUN_ATTR_BANDWIDTH)
					 : 0;
		if (code == 0)
			assert_code(h_refresh(&cl, 0), 0);
		h_close(&cl);
		if (code == want || h_now_ms() >= end)
			return code;
		h_sleep_ms(RETRY_MS);
	}
}

/* Allocates until BANDWIDTH is units (0: none): true when it came within WAIT_MS. */
static bool bandwidth_until(const struct tserver *s, uint32_t units)
{
	uint64_t end = h_now_ms() + WAIT_MS;
	uint32_t got;

	do {
		assert_code(allocate_until(s, H_USER, H_PASS, 0, &got), 0);
		if (got == units)
			return true;
		h_sleep_ms(RETRY_MS);
	} while (h_now_ms() < end);
	return false;
}

static void user_quota_follows_the_store(const struct tserver *s)
{
	struct turnc held[2];

	for (int i = 0; i < 2; i++) {
		if (h_open(&held[i], &s->v4, NULL, false) < 0)
			fail_msg("cannot connect to %s", h_str(&s->v4));
		assert_code(h_allocate(&held[i]), 0);
	}
	assert_int_equal(admin(s, false, "-g -r " H_REALM " --user-quota 1"), 0);
	assert_code(allocate_until(s, H_USER, H_PASS, TURN_ERR_ALLOCATION_QUOTA, NULL),
		    TURN_ERR_ALLOCATION_QUOTA);
	/* the allocations in place are not taken away; bob has none */
	for (int i = 0; i < 2; i++)
		assert_code(h_refresh(&held[i], 600), 0);
	assert_code(allocate_until(s, H_USER2, H_PASS2, 0, NULL), 0);
	assert_int_equal(admin(s, false, "-g -r " H_REALM " --user-quota 0"), 0);
	assert_code(allocate_until(s, H_USER, H_PASS, 0, NULL), 0);
	for (int i = 0; i < 2; i++) {
		assert_code(h_refresh(&held[i], 0), 0);
		h_close(&held[i]);
	}
}

static void total_quota_follows_the_store(const struct tserver *s)
{
	struct turnc held;

	if (h_open(&held, &s->v4, NULL, false) < 0)
		fail_msg("cannot connect to %s", h_str(&s->v4));
	assert_code(h_allocate(&held), 0);
	assert_int_equal(admin(s, false, "-g -r " H_REALM " --total-quota 1"), 0);
	assert_code(allocate_until(s, H_USER2, H_PASS2, TURN_ERR_ALLOCATION_QUOTA, NULL),
		    TURN_ERR_ALLOCATION_QUOTA);
	assert_int_equal(admin(s, false, "-g -r " H_REALM " --total-quota 0"), 0);
	assert_code(allocate_until(s, H_USER2, H_PASS2, 0, NULL), 0);
	assert_code(h_refresh(&held, 0), 0);
	h_close(&held);
}

static void test_sqlite_user_quota_changes_without_restart(void **state)
{
	(void)state;
	user_quota_follows_the_store(&lite);
}

static void test_redis_user_quota_changes_without_restart(void **state)
{
	(void)state;
	user_quota_follows_the_store(&redis);
}

static void test_sqlite_total_quota_changes_without_restart(void **state)
{
	(void)state;
	total_quota_follows_the_store(&lite);
}

/*
 * coturn's turnadmin writes the row, our server reads it; ours removes it
 * (coturn 4.6.1's -g --max-bps 0 leaves the row as it is).
 */
static void test_sqlite_max_bps_set_by_coturns_turnadmin(void **state)
{
	(void)state;
	assert_true(bandwidth_until(&lite, 0));
	assert_int_equal(admin(&lite, true, "-g -r " H_REALM " --max-bps 12800"), 0);
	assert_true(bandwidth_until(&lite, BPS >> 7));
	assert_int_equal(admin(&lite, false, "-g -r " H_REALM " --max-bps 0"), 0);
	assert_true(bandwidth_until(&lite, 0));
}

static void test_redis_max_bps_changes_without_restart(void **state)
{
	(void)state;
	assert_int_equal(admin(&redis, false, "-g -r " H_REALM " --max-bps 12800"), 0);
	assert_true(bandwidth_until(&redis, BPS >> 7));
	assert_int_equal(admin(&redis, false, "-g -r " H_REALM " --max-bps 0"), 0);
	assert_true(bandwidth_until(&redis, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sqlite_user_quota_changes_without_restart),
	    cmocka_unit_test(test_redis_user_quota_changes_without_restart),
	    cmocka_unit_test(test_sqlite_total_quota_changes_without_restart),
	    cmocka_unit_test(test_sqlite_max_bps_set_by_coturns_turnadmin),
	    cmocka_unit_test(test_redis_max_bps_changes_without_restart),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
