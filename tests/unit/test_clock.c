/*
 * test_clock.c - the monotonic clock helper: both readings move forward
 * together and agree on the time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h>

#include "common/clock.h"

static void test_monotonic(void **state)
{
	uint64_t ms = clock_ms(), ns = clock_ns();
	struct timespec pause = {0, 20 * 1000 * 1000};

	(void)state;
	nanosleep(&pause, NULL);
	assert_true(clock_ns() >= ns + 20ull * 1000 * 1000);
	assert_true(clock_ms() >= ms);
	/* the coarse clock lags the fine one by a tick at most (well under a second) */
	assert_true(clock_ms() + 1000 > clock_ns() / 1000000);
	assert_true(clock_ms() <= clock_ns() / 1000000 + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_monotonic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
