/*
 * test_metrics_gauges.c - the metrics issue 15 still lacked: the live
 * permission and channel gauges (worker_gauges.c) follow installs and
 * expiries; user store lookups (store_stats.c) land in the bucket of
 * their duration and are counted by result; the page carries them as a
 * cumulative Prometheus histogram, with the RFC 6062 byte counters, and
 * no fleet gauges while fleet is off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alloc_test.h"
#include "metrics_test.h"

#define T0 1000000

static void test_gauges_follow_installs_and_expiries(void **state)
{
	union sockaddr_u p1 = alloc_test_nth_peer(0, 5000), p2 = alloc_test_nth_peer(1, 5000);
	union sockaddr_u p3 = alloc_test_nth_peer(2, 6000);

	(void)state;
	w.allocs = a;
	worker_gauges_count(&w, T0);
	assert_int_equal(w.stats.permissions_now, 0);
	assert_int_equal(w.stats.channels_now, 0);
	assert_int_equal(alloc_install_perm(a, &p1, T0), 0);
	assert_int_equal(alloc_install_perm(a, &p2, T0), 0);
	/* a refresh is not another permission; a channel brings its peer's */
	assert_int_equal(alloc_install_perm(a, &p1, T0 + 10), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p3, T0), 0);
	worker_gauges_count(&w, T0 + 1);
	assert_int_equal(w.stats.permissions_now, 3);
	assert_int_equal(w.stats.channels_now, 1);
	/* permissions expire (300 s) before the channel (600 s) */
	worker_gauges_count(&w, T0 + (ALLOC_TEST_PERM_S + 11) * 1000);
	assert_int_equal(w.stats.permissions_now, 0);
	assert_int_equal(w.stats.channels_now, 1);
	worker_gauges_count(&w, T0 + (ALLOC_TEST_CHAN_S + 1) * 1000);
	assert_int_equal(w.stats.channels_now, 0);
	/* an expired slot taken again counts once more */
	assert_int_equal(alloc_install_perm(a, &p2, T0 + ALLOC_TEST_CHAN_S * 1000 + 2000), 0);
	worker_gauges_count(&w, T0 + ALLOC_TEST_CHAN_S * 1000 + 3000);
	assert_int_equal(w.stats.permissions_now, 1);
	w.allocs = NULL;
	worker_gauges_count(&w, T0 + ALLOC_TEST_CHAN_S * 1000 + 3000);
	assert_int_equal(w.stats.permissions_now, 0);
}

static void test_store_lookups_bucketed(void **state)
{
	struct worker_stats s;

	(void)state;
	memset(&s, 0, sizeof(s));
	store_stats_record(&s, 0, true, 50 * 1000);	 /* 50 us */
	store_stats_record(&s, 1, true, 100 * 1000);	 /* the first bound: still its bucket */
	store_stats_record(&s, 0, true, 101 * 1000);	 /* the next */
	store_stats_record(&s, -1, true, 3000000000ull); /* 3 s: above every bound */
	store_stats_record(&s, -1, false, 0);		 /* refused at once: not timed */
	assert_int_equal(s.store_lookups[STATS_STORE_FOUND], 2);
	assert_int_equal(s.store_lookups[STATS_STORE_NOT_FOUND], 1);
	assert_int_equal(s.store_lookups[STATS_STORE_ERROR], 2);
	assert_int_equal(s.store_latency[0], 2);
	assert_int_equal(s.store_latency[1], 1);
	assert_int_equal(s.store_latency[STATS_STORE_BUCKETS - 1], 1);
	assert_int_equal(s.store_latency_us, 50 + 100 + 101 + 3000000);
	for (size_t i = 1; i < STATS_STORE_BUCKETS - 1; i++)
		assert_true(store_stats_bounds_us[i] > store_stats_bounds_us[i - 1]);
}

static void test_page_has_the_new_families(void **state)
{
	struct worker workers[2];
	struct server s;
	char *p;

	(void)state;
	metrics_test_two_workers(&s, workers);
	workers[0].stats.permissions_now = 4;
	workers[1].stats.permissions_now = 1;
	workers[1].stats.channels_now = 2;
	workers[0].stats.tcp_bytes_to_peer = 160;
	workers[1].stats.tcp_bytes_to_peer = 320;
	workers[1].stats.tcp_bytes_to_client = 7;
	store_stats_record(&workers[0].stats, 0, true, 200 * 1000);
	store_stats_record(&workers[1].stats, 1, true, 2000 * 1000);
	store_stats_record(&workers[1].stats, -1, false, 0);
	p = metrics_test_page(&s);
	metrics_test_assert_line(p, "# TYPE turnserver_permissions gauge");
	metrics_test_assert_line(p, "turnserver_permissions 5");
	metrics_test_assert_line(p, "turnserver_channels 2");
	metrics_test_assert_line(p,
				 "turnserver_tcp_relayed_bytes_total{direction=\"to_peer\"} 480");
	metrics_test_assert_line(p,
				 "turnserver_tcp_relayed_bytes_total{direction=\"to_client\"} 7");
	metrics_test_assert_line(p, "turnserver_store_lookups_total{result=\"found\"} 1");
	metrics_test_assert_line(p, "turnserver_store_lookups_total{result=\"not_found\"} 1");
	metrics_test_assert_line(p, "turnserver_store_lookups_total{result=\"error\"} 1");
	metrics_test_assert_line(p, "# TYPE turnserver_store_lookup_duration_seconds histogram");
	metrics_test_assert_line(
	    p, "turnserver_store_lookup_duration_seconds_bucket{le=\"0.0001\"} 0");
	metrics_test_assert_line(
	    p, "turnserver_store_lookup_duration_seconds_bucket{le=\"0.00025\"} 1");
	metrics_test_assert_line(p,
				 "turnserver_store_lookup_duration_seconds_bucket{le=\"0.001\"} 1");
	metrics_test_assert_line(
	    p, "turnserver_store_lookup_duration_seconds_bucket{le=\"0.0025\"} 2");
	metrics_test_assert_line(p, "turnserver_store_lookup_duration_seconds_bucket{le=\"1\"} 2");
	metrics_test_assert_line(p,
				 "turnserver_store_lookup_duration_seconds_bucket{le=\"+Inf\"} 2");
	metrics_test_assert_line(p, "turnserver_store_lookup_duration_seconds_sum 0.002200");
	metrics_test_assert_line(p, "turnserver_store_lookup_duration_seconds_count 2");
	/* fleet off: no fleet gauges at all (no 0 that reads as "Redis down") */
	assert_null(strstr(p, "turnserver_fleet_"));
	test_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_gauges_follow_installs_and_expiries,
					    alloc_test_setup, alloc_test_teardown),
	    cmocka_unit_test(test_store_lookups_bucketed),
	    cmocka_unit_test(test_page_has_the_new_families),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
