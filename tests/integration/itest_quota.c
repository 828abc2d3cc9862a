/*
 * itest_quota.c - allocation quotas end to end (RFC 8656 §7.2: 486
 * Allocation Quota Reached): --user-quota per username, --total-quota per
 * server, quota given back by a delete (Refresh with LIFETIME 0) and by
 * closing a TCP connection.
 *
 * One server relaying on 127.0.0.1 with --user-quota 2 --total-quota 3;
 * one more with a relay range of two ports, for 508 when it runs out.
 */
#include "integration/harness.h"

TSERVER_ONE(16, "--relay-ip=127.0.0.1", "--user-quota=2", "--total-quota=3")

static void open_client(struct turnc *cl, const struct tserver *s, bool tcp)
{
	h_connect(cl, &s->v4, tcp);
}

/*
 * Allocate right after another allocation of the user was deleted: the
 * server gives the quota back before it answers the delete, so no retry
 * (test_quota_is_free_once_delete_is_answered hammers that moment).
 */
static int allocate_after_delete(struct turnc *cl)
{
	return h_allocate(cl);
}

static void test_user_quota_refuses_third_allocation_with_486(void **state)
{
	struct turnc c[3];

	(void)state;
	for (int i = 0; i < 3; i++)
		open_client(&c[i], &srv, false);
	assert_code(h_allocate(&c[0]), 0);
	assert_code(h_allocate(&c[1]), 0);
	assert_code(h_allocate(&c[2]), TURN_ERR_ALLOCATION_QUOTA);
	assert_true(c[2].resp_signed);
	assert_code(h_refresh(&c[0], 0), 0);
	assert_code(allocate_after_delete(&c[2]), 0);
	for (int i = 0; i < 3; i++)
		h_close(&c[i]);
}

static void test_total_quota_refuses_fourth_allocation_with_486(void **state)
{
	struct turnc a[2], b[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		open_client(&a[i], &srv, false);
		open_client(&b[i], &srv, false);
		turnc_set_auth(&b[i], H_USER2, H_PASS2, NULL);
	}
	assert_code(h_allocate(&a[0]), 0);
	assert_code(h_allocate(&a[1]), 0);
	assert_code(h_allocate(&b[0]), 0);
	/* bob has one of his two, but the server has its three */
	assert_code(h_allocate(&b[1]), TURN_ERR_ALLOCATION_QUOTA);
	assert_code(h_refresh(&a[0], 0), 0);
	assert_code(allocate_after_delete(&b[1]), 0);
	for (int i = 0; i < 2; i++) {
		h_close(&a[i]);
		h_close(&b[i]);
	}
}

/*
 * RFC 8656 §7.3: once the delete (Refresh, LIFETIME 0) is answered the
 * allocation is gone, so its quota is free for the next Allocate, which
 * may come from another 5-tuple handled by another worker thread. Many
 * rounds, since a late release only shows now and then.
 */
static void test_quota_is_free_once_delete_is_answered(void **state)
{
	struct turnc keep, cl;
	int failures = 0, rounds = 2000;

	(void)state;
	open_client(&keep, &srv, false);
	assert_code(h_allocate(&keep), 0);
	for (int i = 0; i < rounds; i++) {
		int code;

		open_client(&cl, &srv, false);
		/* keep's nonce from another port: 438, then the fresh one */
		memcpy(cl.realm, keep.realm, sizeof(cl.realm));
		memcpy(cl.nonce, keep.nonce, keep.nonce_len);
		cl.nonce_len = keep.nonce_len;
		code = h_allocate(&cl);
		if (code == TURN_ERR_ALLOCATION_QUOTA)
			failures++;
		else if (code != 0)
			fail_msg("round %d: Allocate got %d", i, code);
		if (code == 0)
			assert_code(h_refresh(&cl, 0), 0);
		turnc_close(&cl);
	}
	h_close(&keep);
	if (failures)
		fail_msg("%d of %d Allocates right after a delete got 486", failures, rounds);
}

static void test_closing_tcp_connection_releases_quota(void **state)
{
	struct turnc t[2], u;

	(void)state;
	open_client(&t[0], &srv, true);
	open_client(&t[1], &srv, true);
	open_client(&u, &srv, false);
	assert_code(h_allocate(&t[0]), 0);
	assert_code(h_allocate(&t[1]), 0);
	assert_code(h_allocate(&u), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&t[0]);
	/* the server notices the close asynchronously: bounded retries */
	for (int i = 0; i < 20; i++) {
		if (h_allocate(&u) == 0)
			break;
		h_sleep_ms(50);
	}
	assert_true(u.allocated);
	h_close(&u);
	h_close(&t[1]);
}

/* Must stay last. */
/* RFC 8656 §7.2: no relay port left -> 508 Insufficient Capacity. */
static void test_exhausted_relay_range_gets_508(void **state)
{
	static const char *const flags[] = {"--relay-ip=127.0.0.1", NULL};
	struct tserver small;
	struct turnc c[3];

	(void)state;
	assert_int_equal(tserver_start(&small, 2, flags), 0);
	for (int i = 0; i < 3; i++)
		open_client(&c[i], &small, false);
	assert_code(h_allocate(&c[0]), 0);
	assert_code(h_allocate(&c[1]), 0);
	assert_code(h_allocate(&c[2]), TURN_ERR_INSUFFICIENT_CAPACITY);
	assert_true(c[2].resp_signed);
	/* a freed port is reusable */
	assert_code(h_refresh(&c[0], 0), 0);
	assert_code(h_allocate(&c[2]), 0);
	for (int i = 0; i < 3; i++)
		h_close(&c[i]);
	assert_int_equal(tserver_stop(&small), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_user_quota_refuses_third_allocation_with_486),
	    cmocka_unit_test(test_total_quota_refuses_fourth_allocation_with_486),
	    cmocka_unit_test(test_quota_is_free_once_delete_is_answered),
	    cmocka_unit_test(test_closing_tcp_connection_releases_quota),
	    cmocka_unit_test(test_exhausted_relay_range_gets_508),
	    cmocka_unit_test(test_servers_exit_cleanly_on_sigterm),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
