/*
 * test_anchor_metrics.c - src/anchor/anchor_metrics.c on an anchor driven
 * as its thread drives it (anchor_test.h): a latched call is counted as one
 * call and one confirmed stream of mode "latching", an ICE call's stream
 * as "ice", media forwarded in userspace counted, and once the call is
 * freed the gauges are back to 0.
 */
#include "anchor_test.h"

#include <event2/buffer.h>
#include <stdlib.h>

#include "common/prom.h"

/* The value of the sample line starting with "name{labels} " or "name "; -1 when absent. */
static long long sample(const char *name_labels)
{
	struct evbuffer *b = evbuffer_new();
	char want[160], *text, *at;
	long long v = -1;
	size_t n;

	assert_non_null(b);
	anchor_metrics_write(an, b);
	n = evbuffer_get_length(b);
	text = test_malloc(n + 2);
	text[0] = '\n';
	evbuffer_remove(b, text + 1, n);
	text[n + 1] = '\0';
	evbuffer_free(b);
	snprintf(want, sizeof(want), "\n%s ", name_labels);
	at = strstr(text, want);
	if (at)
		v = strtoll(at + strlen(want), NULL, 10);
	test_free(text);
	return v;
}

static void test_latched_call_counted_then_deleted(void **state)
{
	uint16_t to_a, to_b;

	(void)state;
	assert_int_equal(sample("turnserver_anchor_calls"), 0);
	signal_call(NULL, NULL, ANCHOR_ICE_REMOVE, &to_a, &to_b);
	assert_int_equal(sample("turnserver_anchor_calls"), 1);
	assert_int_equal(sample("turnserver_anchor_calls_created_total"), 1);
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"latching\"}"), 0);
	rtp(pa, to_a, 1);
	rtp(pb, to_b, 1);
	assert_true(got_rtp(pb));
	assert_true(got_rtp(pa));
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"latching\"}"), 1);
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"ice\"}"), 0);
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"bridged\"}"), 0);
	assert_int_equal(sample("turnserver_anchor_packets_total{path=\"userspace\"}"), 2);
	delete_call();
	assert_int_equal(sample("turnserver_anchor_calls"), 0);
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"latching\"}"), 0);
}

static void test_ice_stream_counted_as_ice(void **state)
{
	uint16_t to_a, to_b;

	(void)state;
	ice_call_checked(true, &to_a, &to_b);
	assert_true(the_stream()->confirmed);
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"ice\"}"), 1);
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"latching\"}"), 0);
	delete_call();
	assert_int_equal(sample("turnserver_anchor_streams{mode=\"ice\"}"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_latched_call_counted_then_deleted, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_ice_stream_counted_as_ice, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
