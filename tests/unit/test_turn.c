/*
 * test_turn.c - src/server/turn.c: the lifetime an Allocate or Refresh gets
 * (turn_lifetime_for, RFC 8656 §7.2 and §7.3): the default without
 * LIFETIME, a request below the default raised to it, one above
 * max-allocate-lifetime cut to it, a max below the default winning, 0
 * deleting on Refresh only, and a LIFETIME of the wrong length read as
 * absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/server.h"

static const uint8_t tid[STUN_TID_LEN] = {7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7};

/* The lifetime of a request (Refresh when refresh) with LIFETIME lifetime
 * (none when lifetime_len is 0; its value cut to lifetime_len bytes). */
static uint32_t lifetime(uint32_t max, bool refresh, uint32_t req, size_t lifetime_len)
{
	uint8_t buf[128], val[4] = {(uint8_t)(req >> 24), (uint8_t)(req >> 16), (uint8_t)(req >> 8),
				    (uint8_t)req};
	struct stun_builder b;
	struct stun_msg m;
	size_t len;

	stun_build_start(&b, buf, sizeof(buf), refresh ? TURN_REFRESH : TURN_ALLOCATE,
			 STUN_REQUEST, tid);
	if (lifetime_len)
		stun_put(&b, STUN_ATTR_LIFETIME, val, lifetime_len);
	len = stun_build_end(&b);
	assert_true(len > 0);
	assert_int_equal(stun_msg_parse(&m, buf, len), STUN_PARSE_OK);
	return turn_lifetime_for(max, &m, refresh);
}

static void test_default_without_lifetime(void **state)
{
	(void)state;
	assert_int_equal(lifetime(3600, false, 0, 0), SERVER_DEFAULT_ALLOC_LIFETIME);
	assert_int_equal(lifetime(3600, true, 0, 0), SERVER_DEFAULT_ALLOC_LIFETIME);
}

static void test_request_between_default_and_max_kept(void **state)
{
	(void)state;
	assert_int_equal(lifetime(3600, false, 1800, 4), 1800);
	assert_int_equal(lifetime(3600, true, 3600, 4), 3600);
}

static void test_below_default_raised_above_max_cut(void **state)
{
	(void)state;
	assert_int_equal(lifetime(3600, false, 30, 4), SERVER_DEFAULT_ALLOC_LIFETIME);
	assert_int_equal(lifetime(3600, false, 86400, 4), 3600);
	assert_int_equal(lifetime(3600, true, UINT32_MAX, 4), 3600);
}

static void test_max_below_default_wins(void **state)
{
	(void)state;
	assert_int_equal(lifetime(300, false, 0, 0), 300);
	assert_int_equal(lifetime(300, false, 30, 4), 300);
	assert_int_equal(lifetime(300, true, 1800, 4), 300);
}

static void test_zero_deletes_on_refresh_only(void **state)
{
	(void)state;
	assert_int_equal(lifetime(3600, true, 0, 4), 0);
	assert_int_equal(lifetime(3600, false, 0, 4), SERVER_DEFAULT_ALLOC_LIFETIME);
}

static void test_wrong_length_read_as_absent(void **state)
{
	(void)state;
	/* three bytes of a zero LIFETIME: not a deletion */
	assert_int_equal(lifetime(3600, true, 0, 3), SERVER_DEFAULT_ALLOC_LIFETIME);
	assert_int_equal(lifetime(3600, false, 1800, 3), SERVER_DEFAULT_ALLOC_LIFETIME);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_without_lifetime),
	    cmocka_unit_test(test_request_between_default_and_max_kept),
	    cmocka_unit_test(test_below_default_raised_above_max_cut),
	    cmocka_unit_test(test_max_below_default_wins),
	    cmocka_unit_test(test_zero_deletes_on_refresh_only),
	    cmocka_unit_test(test_wrong_length_read_as_absent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
