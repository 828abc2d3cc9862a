/*
 * itest_bandwidth.c - coturn's max-bps and bps-capacity end to end: a
 * capped allocation relays at most its rate each way (measured by what
 * arrives, against depth + rate x elapsed: a slow machine only loosens the
 * bound), its Allocate answer carries BANDWIDTH, a client asking less with
 * BANDWIDTH gets less and one asking more gets max-bps; bps-capacity gives
 * the last allocation what remains, answers 486 once nothing does and
 * takes a deleted allocation's share back; allocations asking no rate are
 * neither limited nor refused by bps-capacity alone, as in coturn.
 *
 * Three servers relaying on 127.0.0.1 with --allow-loopback-peers:
 * max-bps 16000; max-bps 16000 with bps-capacity 40000; bps-capacity 1000.
 */
#include "integration/harness.h"

#define RATE 16000	/* max-bps of the first two servers, bytes a second */
#define DEPTH 16000	/* its bucket (bandwidth.h: a second's worth, below 65539) */
#define OFFERED 200	/* datagrams sent in one burst */
#define PAYLOAD 1000	/* bytes each */
#define DRAIN_MS 400	/* "nothing more arrives" */
#define BURST_BOUND_MS 5000

static struct tserver capped, capacity, capacity_only;

static int group_setup(void **state)
{
	static const char *const f1[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
					 "--max-bps=16000", NULL};
	static const char *const f2[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
					 "--max-bps=16000", "--bps-capacity=40000", NULL};
	static const char *const f3[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
					 "--bps-capacity=1000", NULL};

	(void)state;
	if (tserver_start(&capped, 8, f1) < 0 || tserver_start(&capacity, 8, f2) < 0)
		return -1;
	return tserver_start(&capacity_only, 16, f3);
}

static int group_teardown(void **state)
{
	(void)state;
	tserver_stop(&capped);
	tserver_stop(&capacity);
	tserver_stop(&capacity_only);
	return 0;
}

static void open_client(struct turnc *cl, const struct tserver *s)
{
	if (h_open(cl, &s->v4, NULL, false) < 0)
		fail_msg("cannot connect to %s", h_str(&s->v4));
}

/* Allocate, with BANDWIDTH when units is not 0 (128 bytes a second each). */
static int allocate_asking(struct turnc *cl, uint32_t units)
{
	struct turnc_req q = {.method = TURN_ALLOCATE,
			      .auth = TURNC_AUTH_MD5,
			      .transport = TURN_TRANSPORT_UDP,
			      .has_bandwidth = units != 0,
			      .bandwidth = units};

	return turnc_request(cl, &q);
}

/* Most bytes a bucket of RATE lets through between start_ms and end_ms, and one datagram. */
static uint64_t bound(uint64_t start_ms, uint64_t end_ms)
{
	return DEPTH + (uint64_t)RATE * (end_ms - start_ms) / 1000 + PAYLOAD;
}

static void test_capped_allocation_answers_bandwidth(void **state)
{
	struct turnc cl;

	(void)state;
	open_client(&cl, &capped);
	assert_code(h_allocate(&cl), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_BANDWIDTH), RATE >> 7);
	h_close(&cl);
}

static void test_client_to_peer_relays_at_most_the_rate(void **state)
{
	struct turnc cl;
	struct tpeer peer;
	struct sockaddr_storage from;
	uint8_t data[PAYLOAD], buf[2048];
	uint64_t got = 0, start, end, deadline;
	int sent = 0, n;

	(void)state;
	memset(data, 0x5a, sizeof(data));
	tpeer_open(&peer, "127.0.0.1");
	open_client(&cl, &capped);
	assert_code(h_allocate(&cl), 0);
	assert_code(h_channel_bind(&cl, 0x4000, &peer.addr), 0);
	start = h_now_ms();
	for (int i = 0; i < OFFERED; i++)
		sent += h_send_channel(&cl, 0x4000, data, sizeof(data)) == 0;
	deadline = start + BURST_BOUND_MS;
	while (h_now_ms() < deadline &&
	       (n = tpeer_recv(&peer, buf, sizeof(buf), DRAIN_MS, &from)) > 0)
		got += (uint64_t)n;
	end = h_now_ms();
	assert_true(sent > OFFERED / 2);
	if (got > bound(start, end))
		fail_msg("peer got %llu bytes in %llu ms: more than max-bps allows (%llu)",
			 (unsigned long long)got, (unsigned long long)(end - start),
			 (unsigned long long)bound(start, end));
	/* the bucket starts full: at least half of it goes through */
	assert_true(got >= DEPTH / 2);
	h_close(&cl);
	tpeer_close(&peer);
}

static void test_peer_to_client_relays_at_most_the_rate(void **state)
{
	struct turnc cl;
	struct tpeer peer;
	struct sockaddr_storage relayed, from;
	uint8_t data[PAYLOAD], buf[2048];
	uint64_t got = 0, start, end, deadline;
	uint16_t ch;
	int n;

	(void)state;
	memset(data, 0xa5, sizeof(data));
	tpeer_open(&peer, "127.0.0.1");
	open_client(&cl, &capped);
	assert_code(h_allocate(&cl), 0);
	relayed = h_relayed(&cl, 0);
	assert_code(h_channel_bind(&cl, 0x4001, &peer.addr), 0);
	start = h_now_ms();
	for (int i = 0; i < OFFERED; i++)
		tpeer_send(&peer, &relayed, data, sizeof(data));
	deadline = start + BURST_BOUND_MS;
	while (h_now_ms() < deadline &&
	       (n = h_recv_data(&cl, DRAIN_MS, &ch, &from, buf, sizeof(buf))) > 0)
		got += (uint64_t)n;
	end = h_now_ms();
	if (got > bound(start, end))
		fail_msg("client got %llu bytes in %llu ms: more than max-bps allows (%llu)",
			 (unsigned long long)got, (unsigned long long)(end - start),
			 (unsigned long long)bound(start, end));
	assert_true(got >= DEPTH / 2);
	h_close(&cl);
	tpeer_close(&peer);
}

static void test_bandwidth_asked_is_granted_up_to_max_bps(void **state)
{
	struct turnc cl[2];

	(void)state;
	for (int i = 0; i < 2; i++)
		open_client(&cl[i], &capped);
	assert_code(allocate_asking(&cl[0], 50), 0);
	assert_int_equal(h_u32(&cl[0], STUN_ATTR_BANDWIDTH), 50);
	assert_code(allocate_asking(&cl[1], 1000), 0);
	assert_int_equal(h_u32(&cl[1], STUN_ATTR_BANDWIDTH), RATE >> 7);
	for (int i = 0; i < 2; i++)
		h_close(&cl[i]);
}

/* 40000 bytes/s of capacity at 16000 each: 16000, 16000, the 8000 left, then 486. */
static void test_capacity_gives_the_rest_then_486(void **state)
{
	struct turnc cl[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		open_client(&cl[i], &capacity);
	assert_code(h_allocate(&cl[0]), 0);
	assert_int_equal(h_u32(&cl[0], STUN_ATTR_BANDWIDTH), RATE >> 7);
	assert_code(h_allocate(&cl[1]), 0);
	assert_code(h_allocate(&cl[2]), 0);
	assert_int_equal(h_u32(&cl[2], STUN_ATTR_BANDWIDTH), 8000 >> 7);
	assert_code(h_allocate(&cl[3]), TURN_ERR_ALLOCATION_QUOTA);
	/* a deleted allocation gives its share back before it is answered */
	assert_code(h_refresh(&cl[0], 0), 0);
	assert_code(h_allocate(&cl[3]), 0);
	assert_int_equal(h_u32(&cl[3], STUN_ATTR_BANDWIDTH), RATE >> 7);
	for (int i = 0; i < 4; i++)
		h_close(&cl[i]);
}

/* No max-bps: only allocations asking a rate reserve capacity (coturn). */
static void test_capacity_alone_limits_only_those_asking(void **state)
{
	struct turnc cl[6];

	(void)state;
	for (int i = 0; i < 6; i++)
		open_client(&cl[i], &capacity_only);
	for (int i = 0; i < 4; i++) {
		assert_code(h_allocate(&cl[i]), 0);
		assert_int_equal(h_count(&cl[i], STUN_ATTR_BANDWIDTH), 0);
	}
	/* 8 x 128 asked, 1000 available */
	assert_code(allocate_asking(&cl[4], 8), 0);
	assert_int_equal(h_u32(&cl[4], STUN_ATTR_BANDWIDTH), 1000 >> 7);
	assert_code(allocate_asking(&cl[5], 8), TURN_ERR_ALLOCATION_QUOTA);
	for (int i = 0; i < 6; i++)
		h_close(&cl[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_capped_allocation_answers_bandwidth),
	    cmocka_unit_test(test_client_to_peer_relays_at_most_the_rate),
	    cmocka_unit_test(test_peer_to_client_relays_at_most_the_rate),
	    cmocka_unit_test(test_bandwidth_asked_is_granted_up_to_max_bps),
	    cmocka_unit_test(test_capacity_gives_the_rest_then_486),
	    cmocka_unit_test(test_capacity_alone_limits_only_those_asking),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
