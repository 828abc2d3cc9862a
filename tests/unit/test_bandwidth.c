/*
 * test_bandwidth.c - coturn's max-bps and bps-capacity (src/server/bandwidth.c
 * and their use by an allocation): a bucket starts full, spends, refills
 * with time and never holds more than its depth; a rate of 0 never limits;
 * the rate an allocation gets from max-bps and BANDWIDTH (one of the wrong
 * length read as absent); bps-capacity gives the last allocation what
 * remains and nothing once it is used up, and takes it back; an allocation
 * over its rate drops and counts (that a capped allocation stays out of
 * the kernel: test_offload_channels.c). Every call gets an explicit `now`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alloc_test.h"
#include "server/bandwidth.h"

static void test_depth_is_a_quarter_second_but_at_least_one_datagram(void **state)
{
	(void)state;
	assert_int_equal(bw_depth(4000000), 1000000);
	/* below 4 x 65539 bytes/s: a second's worth, up to one largest datagram */
	assert_int_equal(bw_depth(100000), BW_MAX_DGRAM);
	assert_int_equal(bw_depth(16000), 16000);
	assert_int_equal(bw_depth(1), 1);
}

static void test_bucket_starts_full_and_refuses_past_it(void **state)
{
	struct bw_bucket b;
	uint64_t t = 1000;

	(void)state;
	bw_bucket_init(&b, 16000, t);
	for (int i = 0; i < 16; i++)
		assert_true(bw_bucket_take(&b, 1000, t));
	assert_false(bw_bucket_take(&b, 1000, t));
	assert_false(bw_bucket_take(&b, 1, t));
	/* a refused take spends nothing: 1 ms later 16 bytes are there */
	assert_true(bw_bucket_take(&b, 16, t + 1));
	assert_false(bw_bucket_take(&b, 1, t + 1));
}

static void test_bucket_refills_at_the_rate_up_to_its_depth(void **state)
{
	struct bw_bucket b;
	uint64_t t = 5000;

	(void)state;
	bw_bucket_init(&b, 16000, t);
	assert_true(bw_bucket_take(&b, 16000, t));
	/* 100 ms at 16000 bytes/s: 1600 bytes */
	assert_false(bw_bucket_take(&b, 1601, t + 100));
	assert_true(bw_bucket_take(&b, 1600, t + 100));
	/* an hour idle: one bucket, not an hour's worth */
	assert_true(bw_bucket_take(&b, 16000, t + 3600 * 1000));
	assert_false(bw_bucket_take(&b, 1, t + 3600 * 1000));
	/* a clock that goes back adds nothing */
	assert_false(bw_bucket_take(&b, 1, t));
}

static void test_bucket_never_passes_more_than_depth_plus_rate_times_time(void **state)
{
	struct bw_bucket b;
	uint64_t passed = 0, t0 = 77;

	(void)state;
	bw_bucket_init(&b, 10000, t0);
	/* 2 s of 1200-byte datagrams, one a millisecond (600 kB offered) */
	for (uint64_t t = t0; t < t0 + 2000; t++)
		if (bw_bucket_take(&b, 1200, t))
			passed += 1200;
	assert_true(passed <= 10000 + 2 * 10000);
	assert_true(passed >= 2 * 10000);
}

static void test_datagram_larger_than_the_bucket_is_refused(void **state)
{
	struct bw_bucket b;

	(void)state;
	bw_bucket_init(&b, 1000, 0);
	assert_false(bw_bucket_take(&b, 1001, 0));
	assert_true(bw_bucket_take(&b, 1000, 0));
}

static void test_rate_zero_never_limits(void **state)
{
	struct bw_bucket b;

	(void)state;
	bw_bucket_init(&b, 0, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(bw_bucket_take(&b, 65535, 0));
	assert_int_equal(bw_bucket_take_upto(&b, 1 << 20, 0), 1 << 20);
}

static void test_take_upto_and_wait(void **state)
{
	struct bw_bucket b;

	(void)state;
	bw_bucket_init(&b, 8000, 0);
	assert_int_equal(bw_bucket_take_upto(&b, 5000, 0), 5000);
	assert_int_equal(bw_bucket_take_upto(&b, 5000, 0), 3000);
	assert_int_equal(bw_bucket_take_upto(&b, 5000, 0), 0);
	/* 4000 bytes at 8000 bytes/s: 500 ms; more than the bucket: its depth */
	assert_int_equal(bw_bucket_wait_ms(&b, 4000, 0), 500);
	assert_int_equal(bw_bucket_wait_ms(&b, 1 << 20, 0), 1000);
	assert_int_equal(bw_bucket_wait_ms(&b, 4000, 500), 1);
	assert_int_equal(bw_bucket_take_upto(&b, 5000, 250), 2000);
}

static void test_allocation_rate_is_max_bps_or_less_when_asked(void **state)
{
	(void)state;
	assert_int_equal(bw_allocation_rate(0, 0), 0);
	assert_int_equal(bw_allocation_rate(3000000, 0), 3000000);
	assert_int_equal(bw_allocation_rate(3000000, 64000), 64000);
	assert_int_equal(bw_allocation_rate(3000000, 5000000), 3000000);
	/* no max-bps: what the client asks for, as coturn */
	assert_int_equal(bw_allocation_rate(0, 64000), 64000);
}

static void test_bandwidth_attribute_is_in_units_of_128_bytes(void **state)
{
	(void)state;
	assert_int_equal(bw_from_attr(500), 64000);
	assert_int_equal(bw_to_attr(64000), 500);
	assert_int_equal(bw_from_attr(0), 0);
	assert_int_equal(bw_from_attr(UINT32_MAX), UINT32_MAX);
}

/* The rate an Allocate asks for with a BANDWIDTH of len bytes (none when 0). */
static uint32_t requested(uint32_t units, size_t len)
{
	static const uint8_t tid[STUN_TID_LEN] = {9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
	uint8_t buf[128], val[8] = {(uint8_t)(units >> 24), (uint8_t)(units >> 16),
				    (uint8_t)(units >> 8), (uint8_t)units};
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	if (len)
		stun_put(&b, STUN_ATTR_BANDWIDTH, val, len);
	n = stun_build_end(&b);
	assert_true(n > 0);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	return turn_requested_bps(&m);
}

static void test_bandwidth_of_the_wrong_length_is_read_as_absent(void **state)
{
	(void)state;
	assert_int_equal(requested(500, 4), 64000);
	assert_int_equal(requested(0, 0), 0);
	assert_int_equal(requested(500, 2), 0);
	assert_int_equal(requested(500, 8), 0);
	assert_int_equal(requested(500, 1), 0);
}

static void test_capacity_gives_the_rest_then_nothing(void **state)
{
	_Atomic uint64_t reserved = 0;

	(void)state;
	assert_int_equal(bw_capacity_take(&reserved, 25000, 10000), 10000);
	assert_int_equal(bw_capacity_take(&reserved, 25000, 10000), 10000);
	assert_int_equal(bw_capacity_take(&reserved, 25000, 10000), 5000);
	assert_int_equal(bw_capacity_take(&reserved, 25000, 10000), 0);
	bw_capacity_release(&reserved, 10000);
	assert_int_equal(bw_capacity_take(&reserved, 25000, 10000), 10000);
	assert_int_equal(reserved, 25000);
	/* no rate asked: nothing reserved; capacity 0: no limit */
	assert_int_equal(bw_capacity_take(&reserved, 25000, 0), 0);
	assert_int_equal(bw_capacity_take(&reserved, 0, 7), 7);
	assert_int_equal(reserved, 25007);
}

static void test_allocation_over_its_rate_drops_and_counts(void **state)
{
	(void)state;
	assert_int_equal(alloc_test_setup(state), 0);
	alloc_set_rate(a, 2000, 100);
	assert_true(alloc_rate_take(a, BW_TO_PEER, 1500, 100));
	assert_false(alloc_rate_take(a, BW_TO_PEER, 1500, 100));
	/* the other direction has its own bucket */
	assert_true(alloc_rate_take(a, BW_TO_CLIENT, 1500, 100));
	assert_int_equal(w.stats.bps_dropped, 1);
	assert_int_equal(a->bw_dropped_pkts[BW_TO_PEER], 1);
	assert_int_equal(a->bw_dropped_bytes[BW_TO_PEER], 1500);
	assert_int_equal(a->bw_dropped_pkts[BW_TO_CLIENT], 0);
	alloc_test_free();
	config_free(&cfg);
}

static void test_uncapped_allocation_is_never_limited(void **state)
{
	(void)state;
	assert_int_equal(alloc_test_setup(state), 0);
	for (int i = 0; i < 100; i++)
		assert_true(alloc_rate_take(a, BW_TO_PEER, 65535, 100));
	assert_int_equal(w.stats.bps_dropped, 0);
	alloc_test_free();
	config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_depth_is_a_quarter_second_but_at_least_one_datagram),
	    cmocka_unit_test(test_bucket_starts_full_and_refuses_past_it),
	    cmocka_unit_test(test_bucket_refills_at_the_rate_up_to_its_depth),
	    cmocka_unit_test(test_bucket_never_passes_more_than_depth_plus_rate_times_time),
	    cmocka_unit_test(test_datagram_larger_than_the_bucket_is_refused),
	    cmocka_unit_test(test_rate_zero_never_limits),
	    cmocka_unit_test(test_take_upto_and_wait),
	    cmocka_unit_test(test_allocation_rate_is_max_bps_or_less_when_asked),
	    cmocka_unit_test(test_bandwidth_attribute_is_in_units_of_128_bytes),
	    cmocka_unit_test(test_bandwidth_of_the_wrong_length_is_read_as_absent),
	    cmocka_unit_test(test_capacity_gives_the_rest_then_nothing),
	    cmocka_unit_test(test_allocation_over_its_rate_drops_and_counts),
	    cmocka_unit_test(test_uncapped_allocation_is_never_limited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
