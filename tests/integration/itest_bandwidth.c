/*
 * itest_bandwidth.c - coturn's max-bps and bps-capacity end to end: a
 * capped allocation relays at most its rate each way (measured by what
 * arrives, against depth + rate x elapsed: a slow machine only loosens the
 * bound), its Allocate answer carries BANDWIDTH, a client asking less with
 * BANDWIDTH gets less and one asking more gets max-bps; bps-capacity gives
 * the last allocation what remains, answers 486 once nothing does and
 * takes a deleted allocation's share back; allocations asking no rate are
 * neither limited nor refused by bps-capacity alone, as in coturn. A TCP
 * allocation's stream (RFC 6062) is held to the rate: every byte arrives,
 * never faster than the bucket allows.
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

static const char *const f1[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
				 "--max-bps=16000", NULL};
static const char *const f2[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
				 "--max-bps=16000", "--bps-capacity=40000", NULL};
static const char *const f3[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
				 "--bps-capacity=1000", NULL};

static const struct tserver_spec servers[] = {
    {&capped, 8, f1},
    {&capacity, 8, f2},
    {&capacity_only, 16, f3},
};

TSERVER_GROUP(servers)

static void open_client(struct turnc *cl, const struct tserver *s)
{
	h_connect(cl, &s->v4, false);
}

/* Allocate, with BANDWIDTH when units is not 0 (128 bytes a second each). */
static int allocate_asking(struct turnc *cl, uint32_t units)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .has_bandwidth = units != 0, .bandwidth = units};

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

/* RFC 6062 */

#define STREAM_BYTES 32000 /* two buckets: about a second at RATE */

static int tcp_listener(struct sockaddr_storage *addr)
{
	struct sockaddr_storage ss = h_addr("127.0.0.1", 0);
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, SA(&ss), addr_len(SA(&ss))) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, SA(addr), &len) < 0)
		fail_msg("peer listener: %s", strerror(errno));
	return fd;
}

static int tcp_accept_within(int lfd, int timeout_ms)
{
	struct pollfd pfd = {.fd = lfd, .events = POLLIN};

	if (poll(&pfd, 1, timeout_ms) != 1)
		fail_msg("the server did not connect to the peer");
	return accept4(lfd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
}

/* A TCP allocation, Connect to the peer listening on lfd, ConnectionBind on dc: the peer's side. */
static int tcp_relay_open(struct turnc *ctl, struct turnc *dc, int lfd,
			  const struct sockaddr_storage *peer)
{
	struct turnc_req alloc = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP};
	struct turnc_req conn = {.method = TURN_CONNECT, .auth = TURNC_AUTH_MD5, .peer = {peer}};
	struct turnc_req bind = {.method = TURN_CONNECTION_BIND, .auth = TURNC_AUTH_MD5};
	int pfd;

	if (h_open(ctl, &capped.v4, NULL, true) < 0 || h_open(dc, &capped.v4, NULL, true) < 0)
		fail_msg("connect to %s: %s", h_str(&capped.v4), strerror(errno));
	assert_code(turnc_request(ctl, &alloc), 0);
	assert_int_equal(h_u32(ctl, STUN_ATTR_BANDWIDTH), RATE >> 7);
	assert_code(turnc_request(ctl, &conn), 0);
	bind.connection_id = h_u32(ctl, STUN_ATTR_CONNECTION_ID);
	pfd = tcp_accept_within(lfd, H_TXN_TIMEOUT_MS);
	assert_true(pfd >= 0);
	assert_code(turnc_request(dc, &bind), 0);
	return pfd;
}

/* Writes all of buf to a non-blocking socket within timeout_ms. */
static void write_all(int fd, const uint8_t *buf, size_t len, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;
	size_t off = 0;

	while (off < len && h_now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLOUT};
		ssize_t n;

		if (poll(&pfd, 1, 50) <= 0)
			continue;
		n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n > 0)
			off += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			fail_msg("send: %s", strerror(errno));
	}
	assert_int_equal(off, len);
}

/*
 * A TCP allocation's stream is held to the rate, not dropped: every byte
 * arrives, in order, and at no moment more than the bucket allows.
 */
static void test_tcp_stream_is_held_to_the_rate(void **state)
{
	static uint8_t out[STREAM_BYTES], in[STREAM_BYTES];
	struct sockaddr_storage peer;
	struct turnc ctl, dc;
	uint64_t start, deadline;
	size_t got = 0;
	int lfd, pfd;

	(void)state;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (uint8_t)(i * 7 + i / 251);
	lfd = tcp_listener(&peer);
	pfd = tcp_relay_open(&ctl, &dc, lfd, &peer);
	start = h_now_ms();
	write_all(dc.fd, out, sizeof(out), BURST_BOUND_MS);
	deadline = start + BURST_BOUND_MS;
	while (got < sizeof(in) && h_now_ms() < deadline) {
		struct pollfd p = {.fd = pfd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 50) <= 0)
			continue;
		n = recv(pfd, in + got, sizeof(in) - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got > bound(start, h_now_ms()))
			fail_msg("peer got %zu bytes in %llu ms: more than max-bps allows", got,
				 (unsigned long long)(h_now_ms() - start));
	}
	assert_int_equal(got, sizeof(out));
	assert_memory_equal(in, out, sizeof(out));
	close(pfd);
	close(lfd);
	turnc_close(&dc);
	h_close(&ctl);
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
	    cmocka_unit_test(test_tcp_stream_is_held_to_the_rate),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
