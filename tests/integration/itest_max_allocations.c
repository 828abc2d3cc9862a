/*
 * itest_max_allocations.c - max-allocations without a fleet: the server
 * started from a config file with max-allocations=1 holds one allocation
 * and answers the next Allocate, over UDP or TCP, 486 Allocation Quota
 * Reached; SIGHUP with max-allocations=2 applies it at once: the second
 * gets in (the first kept), the third is refused.
 */
#include <signal.h>

#include "integration/harness.h"

#define BODY "relay-ip=127.0.0.1\nuser=alice:alice-secret\nmax-allocations=%u\n"
#define LOG_WAIT_MS 10000

static struct tserver srv;

static int group_setup(void **state)
{
	char body[128];

	(void)state;
	snprintf(body, sizeof(body), BODY, 1u);
	return tserver_start_conf(&srv, 8, body);
}

static int group_teardown(void **state)
{
	(void)state;
	return tserver_stop(&srv);
}

static bool log_says(const char *text)
{
	static char buf[65536];
	uint64_t deadline = h_now_ms() + LOG_WAIT_MS;

	do {
		h_slurp(&srv, "turn.log", buf, sizeof(buf));
		if (strstr(buf, text))
			return true;
		h_sleep_ms(50);
	} while (h_now_ms() < deadline);
	return false;
}

static void test_max_allocations_caps_and_reloads(void **state)
{
	struct turnc first, second, third, more;
	char body[128];

	(void)state;
	assert_code(h_open(&first, &srv.v4, NULL, false), 0);
	assert_code(h_allocate(&first), 0);
	/* past the cap, over TCP too: no fleet, so 486 */
	assert_code(h_open(&more, &srv.v4, NULL, true), 0);
	assert_code(h_allocate(&more), 486);
	h_close(&more);
	assert_code(h_open(&second, &srv.v6, NULL, false), 0);
	assert_code(h_allocate(&second), 486);

	snprintf(body, sizeof(body), BODY, 2u);
	assert_int_equal(tserver_write_conf(&srv, body), 0);
	assert_int_equal(kill(srv.pid, SIGHUP), 0);
	assert_true(log_says(": max-allocations applied; allocations and calls kept"));
	assert_code(h_allocate(&second), 0);
	assert_code(h_refresh(&first, 600), 0);
	assert_code(h_open(&third, &srv.v4, NULL, true), 0);
	assert_code(h_allocate(&third), 486);
	h_close(&third);
	h_close(&second);
	h_close(&first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_max_allocations_caps_and_reloads),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
