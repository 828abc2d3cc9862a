/*
 * test_call.c - src/anchor/call.c: when a call ends by itself
 * (call_end_reason, what call_expire acts on): anchor-timeout counted from
 * the last media, anchor-final-timeout from the call's start and taking
 * precedence, 0 meaning no final timeout, and the exact boundaries.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "anchor/anchor_internal.h"

static struct call call_at(uint64_t created_ms, uint64_t last_media_ms)
{
	struct call c;

	memset(&c, 0, sizeof(c));
	c.created_ms = created_ms;
	c.last_media_ms = last_media_ms;
	return c;
}

static void test_idle_timeout_from_last_media(void **state)
{
	struct call c = call_at(1000, 5000);

	(void)state;
	/* anchor-timeout 60 s, no final timeout */
	assert_int_equal(call_end_reason(&c, 5000, 60000, 0), CALL_LIVE);
	assert_int_equal(call_end_reason(&c, 64999, 60000, 0), CALL_LIVE);
	assert_int_equal(call_end_reason(&c, 65000, 60000, 0), CALL_IDLE_TIMEOUT);
	/* media later restarts the clock */
	c.last_media_ms = 64000;
	assert_int_equal(call_end_reason(&c, 65000, 60000, 0), CALL_LIVE);
}

static void test_final_timeout_from_start_and_first(void **state)
{
	struct call c = call_at(1000, 1000);

	(void)state;
	/* media all along: only the final timeout ends it, at exactly its time */
	c.last_media_ms = 30000;
	assert_int_equal(call_end_reason(&c, 30999, 60000, 30000), CALL_LIVE);
	assert_int_equal(call_end_reason(&c, 31000, 60000, 30000), CALL_FINAL_TIMEOUT);
	/* both due: counted as the final timeout */
	c.last_media_ms = 1000;
	assert_int_equal(call_end_reason(&c, 100000, 60000, 30000), CALL_FINAL_TIMEOUT);
}

static void test_final_timeout_zero_is_never(void **state)
{
	struct call c = call_at(0, UINT64_C(1) << 40);

	(void)state;
	assert_int_equal(call_end_reason(&c, UINT64_C(1) << 40, 60000, 0), CALL_LIVE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_idle_timeout_from_last_media),
	    cmocka_unit_test(test_final_timeout_from_start_and_first),
	    cmocka_unit_test(test_final_timeout_zero_is_never),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
