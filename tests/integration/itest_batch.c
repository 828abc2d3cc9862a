/*
 * itest_batch.c - batched sends on the UDP data path (udp_batch.h) end to
 * end: the server is stopped (SIGSTOP) while a client queues a burst of
 * ChannelData for two peers, or while peers queue a burst for the client,
 * so that one recvmmsg() takes the whole burst when it goes on (SIGCONT).
 * Every datagram arrives whole, in order per destination, from the relayed
 * address, on its channel or in a Data indication with its FINGERPRINT;
 * the Prometheus counters show one receive call per burst and one send per
 * run of equal datagrams to one destination with UDP GSO, or one
 * sendmmsg() per burst with no-udp-gso. A client's burst sent with UDP GSO
 * reaches the server's listener whole (UDP GRO, on loopback without
 * segmentation) and is relayed as its datagrams, counted as GRO segments.
 *
 * Two servers on 127.0.0.1, --allow-loopback-peers, --fingerprint, metrics
 * on 127.0.0.1; the second with --no-udp-gso. The counters are read once
 * they have settled: a worker counts a send after it returns, and the
 * receiver may read the datagrams before that (the test failed 2 runs in
 * 20 on a loaded machine when it read them at once).
 */
#include <netinet/udp.h>

#include "integration/harness.h"

static struct tserver gso_srv, mmsg_srv;
static uint16_t gso_prom, mmsg_prom;

static int start(struct tserver *s, uint16_t *prom, bool gso)
{
	static char ports[2][32];
	char *port = ports[gso];
	const char *flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers", "--fingerprint",
			       "--prometheus", "--prometheus-address=127.0.0.1", port,
			       gso ? NULL : "--no-udp-gso", NULL};

	*prom = h_pick_port();
	if (!*prom)
		return -1;
	snprintf(port, sizeof(ports[0]), "--prometheus-port=%u", *prom);
	return tserver_start(s, 8, flags);
}

static int group_setup(void **state)
{
	(void)state;
	if (start(&gso_srv, &gso_prom, true) < 0)
		return -1;
	if (start(&mmsg_srv, &mmsg_prom, false) < 0) {
		tserver_stop(&gso_srv);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tserver_stop(&gso_srv);
	tserver_stop(&mmsg_srv);
	return 0;
}

/* The value of the sample `name` (with its labels) in the server's /metrics. */
static uint64_t metric(uint16_t port, const char *name)
{
	static char buf[1 << 17];
	struct sockaddr_storage ss = h_addr("127.0.0.1", port);
	const char req[] = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
	char key[128];
	const char *at;
	size_t len = 0;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ssize_t n;

	if (fd < 0 || connect(fd, SA(&ss), addr_len(SA(&ss))) < 0)
		fail_msg("metrics on port %u: %s", port, strerror(errno));
	if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
		fail_msg("metrics request: %s", strerror(errno));
	while (len < sizeof(buf) - 1 && (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	snprintf(key, sizeof(key), "\n%s ", name);
	at = strstr(buf, key);
	if (!at)
		fail_msg("no %s in the metrics", name);
	return strtoull(at + strlen(key), NULL, 10);
}

enum { RECV_CALLS, RECV_DGRAMS, SEND_CALLS, SEND_DGRAMS, GSO_SENDS, GSO_SEGS, NCOUNTERS };

static void counters(uint16_t port, uint64_t c[NCOUNTERS])
{
	c[RECV_CALLS] = metric(port, "turnserver_udp_recv_calls_total");
	c[RECV_DGRAMS] = metric(port, "turnserver_udp_recv_datagrams_total");
	c[SEND_CALLS] = metric(port, "turnserver_udp_send_calls_total");
	c[SEND_DGRAMS] = metric(port, "turnserver_udp_send_datagrams_total");
	c[GSO_SENDS] = metric(port, "turnserver_udp_gso_sends_total{result=\"sent\"}");
	c[GSO_SEGS] = metric(port, "turnserver_udp_gso_segments_total");
}

/*
 * The counters once the server has counted every send of the bursts: a
 * worker counts a send after sendmsg() returns, which may be after the
 * receiver has the datagrams; so read until two reads 20 ms apart agree and
 * `sent` datagrams are counted (at most 2 s).
 */
static void counters_settled(uint16_t port, const uint64_t before[NCOUNTERS], uint64_t sent,
			     uint64_t c[NCOUNTERS])
{
	uint64_t prev[NCOUNTERS];

	counters(port, c);
	for (int tries = 0; tries < 100; tries++) {
		memcpy(prev, c, sizeof(prev));
		h_sleep_ms(20);
		counters(port, c);
		if (c[SEND_DGRAMS] - before[SEND_DGRAMS] >= sent && !memcmp(prev, c, sizeof(prev)))
			return;
	}
}

static void server_pause(const struct tserver *s)
{
	int status;

	assert_int_equal(kill(s->pid, SIGSTOP), 0);
	assert_int_equal(waitpid(s->pid, &status, WUNTRACED), s->pid);
	assert_true(WIFSTOPPED(status));
}

static void server_resume(const struct tserver *s)
{
	assert_int_equal(kill(s->pid, SIGCONT), 0);
}

/* Datagram i of a burst: len bytes, i then a pattern. */
static void fill(uint8_t *buf, size_t len, unsigned int i)
{
	for (size_t k = 0; k < len; k++)
		buf[k] = (uint8_t)(i * 7 + k);
	buf[0] = (uint8_t)i;
}

static void peer_expect(struct tpeer *p, const struct sockaddr_storage *relayed, unsigned int i,
			size_t len)
{
	struct sockaddr_storage from;
	uint8_t buf[1500], want[1500];
	int n = tpeer_recv(p, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from);

	fill(want, len, i);
	assert_int_equal(n, (int)len);
	assert_memory_equal(buf, want, len);
	h_assert_addr_equal(&from, relayed);
}

static void client_expect(struct turnc *cl, uint16_t channel, const struct sockaddr_storage *peer,
			  unsigned int i, size_t len)
{
	struct turnc_event ev;
	uint8_t want[1500];

	fill(want, len, i);
	assert_true(h_recv_event(cl, H_TXN_TIMEOUT_MS, &ev));
	assert_int_equal(ev.channel, channel);
	if (!channel)
		h_assert_addr_equal(&ev.peer, peer);
	assert_int_equal(ev.len, len);
	assert_memory_equal(ev.data, want, len);
}

/*
 * Client -> peers: 6 x 100 bytes to a, 4 x 100 to b, 2 x 60 to a (three
 * runs). Peers -> client: 10 x 80 from a (its channel), 3 x 80 from c (no
 * channel: Data indications). Returns the counters' growth in d.
 */
static void bursts(struct tserver *s, uint16_t prom, uint64_t d[NCOUNTERS])
{
	struct turnc cl;
	struct tpeer a, b, c;
	struct sockaddr_storage relayed;
	uint64_t before[NCOUNTERS], after[NCOUNTERS];
	uint8_t buf[128];
	unsigned int i;

	tpeer_open(&a, "127.0.0.1");
	tpeer_open(&b, "127.0.0.1");
	tpeer_open(&c, "127.0.0.1");
	if (h_open(&cl, &s->v4, NULL, false) < 0)
		fail_msg("cannot reach %s", h_str(&s->v4));
	assert_int_equal(h_allocate(&cl), 0);
	relayed = h_relayed(&cl, 0);
	assert_int_equal(h_permission(&cl, &a.addr), 0);
	assert_int_equal(h_channel_bind(&cl, 0x4000, &a.addr), 0);
	assert_int_equal(h_channel_bind(&cl, 0x4001, &b.addr), 0);
	counters(prom, before);

	server_pause(s);
	for (i = 0; i < 12; i++) {
		size_t len = i < 10 ? 100 : 60;

		fill(buf, len, i);
		assert_int_equal(h_send_channel(&cl, i >= 6 && i < 10 ? 0x4001 : 0x4000, buf, len),
				 0);
	}
	server_resume(s);
	for (i = 0; i < 12; i++) {
		if (i >= 6 && i < 10)
			peer_expect(&b, &relayed, i, 100);
		else
			peer_expect(&a, &relayed, i, i < 10 ? 100 : 60);
	}

	server_pause(s);
	for (i = 0; i < 13; i++) {
		fill(buf, 80, i);
		tpeer_send(i < 10 ? &a : &c, &relayed, buf, 80);
	}
	server_resume(s);
	for (i = 0; i < 13; i++)
		client_expect(&cl, i < 10 ? 0x4000 : 0, &c.addr, i, 80);

	counters_settled(prom, before, 25, after);
	for (int k = 0; k < NCOUNTERS; k++)
		d[k] = after[k] - before[k];
	tpeer_assert_nothing(&a);
	tpeer_assert_nothing(&b);
	h_close(&cl);
	tpeer_close(&a);
	tpeer_close(&b);
	tpeer_close(&c);
}

static void test_bursts_relay_whole_and_in_order_with_gso(void **state)
{
	uint64_t d[NCOUNTERS];

	(void)state;
	bursts(&gso_srv, gso_prom, d);
	/* one recvmmsg() per burst */
	assert_int_equal(d[RECV_CALLS], 2);
	assert_int_equal(d[RECV_DGRAMS], 25);
	/* one GSO send per run: 3 to the peers, 2 to the client */
	assert_int_equal(d[GSO_SENDS], 5);
	assert_int_equal(d[GSO_SEGS], 25);
	assert_int_equal(d[SEND_CALLS], 5);
	assert_int_equal(d[SEND_DGRAMS], 25);
}

static void test_bursts_relay_whole_and_in_order_with_sendmmsg_only(void **state)
{
	uint64_t d[NCOUNTERS];

	(void)state;
	bursts(&mmsg_srv, mmsg_prom, d);
	assert_int_equal(d[RECV_CALLS], 2);
	assert_int_equal(d[RECV_DGRAMS], 25);
	/* one sendmmsg() per burst: each burst leaves from one socket */
	assert_int_equal(d[GSO_SENDS], 0);
	assert_int_equal(d[GSO_SEGS], 0);
	assert_int_equal(d[SEND_CALLS], 2);
	assert_int_equal(d[SEND_DGRAMS], 25);
}

/*
 * The client sends 5 ChannelData of 100 bytes and one of 60 to peer a in one
 * sendmsg() with UDP_SEGMENT: the listener (UDP_GRO) receives them as one
 * datagram of 6 segments, and the server splits it.
 */
static void test_a_client_gso_burst_is_received_coalesced_and_split(void **state)
{
	enum { SEGS = 6, SEG = TURN_CHANNELDATA_HDR_LEN + 100 };
	struct turnc cl;
	struct tpeer a;
	struct sockaddr_storage relayed;
	uint8_t burst[SEGS * SEG];
	union {
		struct cmsghdr align;
		uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
	} control;
	struct iovec iov = {.iov_base = burst};
	struct msghdr msg = {.msg_name = &gso_srv.v4,
			     .msg_namelen = addr_len(SA(&gso_srv.v4)),
			     .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.bytes,
			     .msg_controllen = sizeof(control.bytes)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
	uint64_t dgrams, gro;
	size_t len = 0;

	(void)state;
	tpeer_open(&a, "127.0.0.1");
	h_connect(&cl, &gso_srv.v4, false);
	assert_int_equal(h_allocate(&cl), 0);
	relayed = h_relayed(&cl, 0);
	assert_int_equal(h_channel_bind(&cl, 0x4000, &a.addr), 0);
	for (unsigned int i = 0; i < SEGS; i++) {
		size_t dlen = i < SEGS - 1 ? 100 : 60;

		turn_channeldata_header(burst + len, 0x4000, (uint16_t)dlen);
		fill(burst + len + TURN_CHANNELDATA_HDR_LEN, dlen, i);
		len += TURN_CHANNELDATA_HDR_LEN + dlen;
	}
	iov.iov_len = len;
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
	memcpy(CMSG_DATA(cm), &(uint16_t){SEG}, sizeof(uint16_t));
	dgrams = metric(gso_prom, "turnserver_udp_recv_datagrams_total");
	gro = metric(gso_prom, "turnserver_udp_gro_segments_total");
	assert_int_equal(sendmsg(cl.fd, &msg, 0), (ssize_t)len);
	for (unsigned int i = 0; i < SEGS; i++)
		peer_expect(&a, &relayed, i, i < SEGS - 1 ? 100 : 60);
	tpeer_assert_nothing(&a);
	assert_int_equal(metric(gso_prom, "turnserver_udp_gro_segments_total") - gro, SEGS);
	assert_int_equal(metric(gso_prom, "turnserver_udp_recv_datagrams_total") - dgrams, SEGS);
	h_close(&cl);
	tpeer_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_client_gso_burst_is_received_coalesced_and_split),
	    cmocka_unit_test(test_bursts_relay_whole_and_in_order_with_gso),
	    cmocka_unit_test(test_bursts_relay_whole_and_in_order_with_sendmmsg_only),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
