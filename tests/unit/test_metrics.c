/*
 * test_metrics.c - src/server/metrics.c and src/common/prom.c without a
 * socket: the page of two workers' counters is their sum, each family has
 * one HELP and one TYPE line before its samples, allocations are labelled
 * by transport and family, auth failures by reason; and the prometheus
 * options: off by default, port 9641, an address, coturn's
 * prometheus-username-labels refused by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "metrics_test.h"
#include "server/server.h"

static void test_workers_summed_and_labelled(void **state)
{
	struct worker workers[2];
	struct server srv;
	char *p;

	(void)state;
	metrics_test_two_workers(&srv, workers);
	workers[0].stats.relayed_to_peer = 3;
	workers[1].stats.relayed_to_peer = 4;
	workers[0].stats.bytes_to_peer = 300;
	workers[1].stats.kernel_bytes_to_peer = 1000;
	workers[1].stats.kernel_to_peer = 10;
	workers[0].stats.allocs_now[STATS_TCP][STATS_IPV6] = 2;
	workers[1].stats.allocs_now[STATS_TCP][STATS_IPV6] = 1;
	workers[1].stats.auth_failed[STATS_AUTH_STALE_NONCE] = 5;
	workers[0].stats.auth_ok = 7;
	workers[0].stats.no_permission = 9;
	p = metrics_test_page(&srv);
	metrics_test_assert_line(
	    p, "turnserver_relayed_packets_total{direction=\"to_peer\",path=\"userspace\"} 7");
	metrics_test_assert_line(
	    p, "turnserver_relayed_packets_total{direction=\"to_peer\",path=\"kernel\"} 10");
	metrics_test_assert_line(
	    p, "turnserver_relayed_bytes_total{direction=\"to_peer\",path=\"kernel\"} 1000");
	/* coturn's names: userspace and kernel together */
	metrics_test_assert_line(p, "turn_total_traffic_rcvp 17");
	metrics_test_assert_line(p, "turn_total_traffic_peer_sentb 1300");
	metrics_test_assert_line(p, "turn_total_allocations{type=\"TCP\",family=\"IPv6\"} 3");
	metrics_test_assert_line(p, "turn_total_allocations{type=\"UDP\",family=\"IPv4\"} 0");
	metrics_test_assert_line(p, "turnserver_auth_failures_total{reason=\"stale_nonce\"} 5");
	metrics_test_assert_line(p, "turnserver_auth_successes_total 7");
	metrics_test_assert_line(p, "turnserver_dropped_total{reason=\"policy\"} 9");
	metrics_test_assert_line(p, "turnserver_workers 2");
	metrics_test_assert_line(p, "turnserver_kernel_offload{engine=\"null\"} 1");
	metrics_test_assert_line(p, "# TYPE turnserver_relayed_packets_total counter");
	metrics_test_assert_line(p, "# TYPE turn_total_allocations gauge");
	/* one HELP per family, however many samples */
	assert_non_null(strstr(p, "# HELP turnserver_relayed_packets_total "));
	assert_null(strstr(strstr(p, "# HELP turnserver_relayed_packets_total ") + 1,
			   "# HELP turnserver_relayed_packets_total "));
	assert_non_null(strstr(p, "\nprocess_resident_memory_bytes "));
	assert_null(strstr(p, "\nprocess_resident_memory_bytes 0\n"));
	test_free(p);
}

static void test_prometheus_options(void **state)
{
	struct config c;
	char err[256];
	char *on[] = {"turnserver", "--prometheus", "--prometheus-port", "19641",
		      "--prometheus-address", "127.0.0.1"};
	char *refused[] = {"turnserver", "--prometheus-username-labels"};

	(void)state;
	config_init(&c);
	assert_false(c.prometheus);
	assert_int_equal(c.prometheus_port, 9641);
	assert_int_equal(c.prometheus_address_count, 0);
	assert_int_equal(config_parse_args(&c, 6, on, err, sizeof(err)), 0);
	assert_true(c.prometheus);
	assert_int_equal(c.prometheus_port, 19641);
	assert_int_equal(c.prometheus_address_count, 1);
	assert_string_equal(c.prometheus_address[0].text, "127.0.0.1");
	config_free(&c);
	config_init(&c);
	assert_int_equal(config_parse_args(&c, 2, refused, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "prometheus-username-labels"));
	config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_workers_summed_and_labelled),
	    cmocka_unit_test(test_prometheus_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
