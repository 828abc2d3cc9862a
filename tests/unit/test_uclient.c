/*
 * test_uclient.c - src/client/uclient.c, what turnutils_uclient's modes
 * share: a test message comes back whole as the message it was (client
 * id, sequence number, send time); one from another client, one not yet
 * sent, one from the future, a short one or one with a changed byte is
 * refused; the echo counters keep the round-trip minimum, maximum, sum and
 * the jitter of consecutive round trips.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "client/uclient.h"

#define LEN 40

/* client 3's message 17, sent at 1 s; each test's set-up fills it anew */
static uint8_t msg[LEN];

static int fill_msg(void **state)
{
	(void)state;
	uc_msg_fill(msg, sizeof(msg), 3, 17, 1000000);
	return 0;
}

static void test_message_comes_back_as_sent(void **state)
{
	uint32_t seq = 0;
	uint64_t sent_us = 0;

	(void)state;
	assert_int_equal(uc_msg_check(msg, sizeof(msg), 3, 18, 1000500, &seq, &sent_us), 0);
	assert_int_equal(seq, 17);
	assert_int_equal(sent_us, 1000000);
}

static void test_foreign_unsent_future_short_or_changed_message_refused(void **state)
{
	uint32_t seq = 99;
	uint64_t sent_us = 99;

	(void)state;
	/* another client's */
	assert_int_equal(uc_msg_check(msg, sizeof(msg), 4, 18, 1000500, &seq, &sent_us), -1);
	/* a sequence number not sent yet */
	assert_int_equal(uc_msg_check(msg, sizeof(msg), 3, 17, 1000500, &seq, &sent_us), -1);
	/* sent after now */
	assert_int_equal(uc_msg_check(msg, sizeof(msg), 3, 18, 999999, &seq, &sent_us), -1);
	/* shorter than the header */
	assert_int_equal(uc_msg_check(msg, UC_HDR_LEN - 1, 3, 18, 1000500, &seq, &sent_us), -1);
	/* one byte of the pattern changed */
	msg[LEN - 1] ^= 1;
	assert_int_equal(uc_msg_check(msg, sizeof(msg), 3, 18, 1000500, &seq, &sent_us), -1);
	/* outputs untouched on failure */
	assert_int_equal(seq, 99);
	assert_int_equal(sent_us, 99);
}

static void test_echo_counters_rtt_and_jitter(void **state)
{
	struct uc_stats st = {.rtt_min = INFINITY};
	struct uc_rtt r = {0};

	(void)state;
	uc_stats_echo(&st, &r, 100, 2.0, 10);
	uc_stats_echo(&st, &r, 100, 5.0, 20);
	uc_stats_echo(&st, &r, 100, 4.0, 30);
	assert_int_equal(st.received, 3);
	assert_int_equal(st.bytes, 300);
	assert_int_equal(st.last_recv_us, 30);
	assert_true(st.rtt_min == 2.0 && st.rtt_max == 5.0 && st.rtt_sum == 11.0);
	/* |5 - 2| + |4 - 5| over 2 differences */
	assert_int_equal(st.jitter_n, 2);
	assert_true(st.jitter_sum == 4.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_message_comes_back_as_sent, fill_msg),
	    cmocka_unit_test_setup(test_foreign_unsent_future_short_or_changed_message_refused,
				   fill_msg),
	    cmocka_unit_test(test_echo_counters_rtt_and_jitter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
