/*
 * itest_fair.c - busy relay sockets are served fairly (issue 16): one
 * allocation's burst never starves another's, and no socket stops being
 * read under load. The server (one relay thread, so one event loop serves
 * both allocations) is stopped (SIGSTOP) while peer a queues a burst of
 * FLOOD datagrams on allocation A's relay socket and peer b one datagram on
 * B's; when it goes on (SIGCONT), each wake-up reads a bounded batch per
 * socket, so B's datagram leaves before the end of A's burst. The order is
 * read from the kernel's receive timestamps (SO_TIMESTAMPNS) of the two
 * clients' sockets, not from timing. Afterwards both sockets are still
 * read: a second round arrives whole on both.
 *
 * One server on 127.0.0.1, --allow-loopback-peers, --relay-threads 1.
 */
#include "integration/harness.h"

#define FLOOD 64 /* 4 x SERVER_UDP_BATCH */
#define DLEN 100

static struct tserver srv;

static int group_setup(void **state)
{
	const char *flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
			       "--relay-threads=1", NULL};

	(void)state;
	return tserver_start(&srv, 8, flags);
}

static int group_teardown(void **state)
{
	(void)state;
	return tserver_stop(&srv);
}

static void server_pause(const struct tserver *s)
{
	int status;

	assert_int_equal(kill(s->pid, SIGSTOP), 0);
	assert_int_equal(waitpid(s->pid, &status, WUNTRACED), s->pid);
	assert_true(WIFSTOPPED(status));
}

/* A client with an allocation and channel 0x4000 to peer p; its receive timestamps on. */
static struct sockaddr_storage client_open(struct turnc *c, const struct tpeer *p)
{
	struct sockaddr_storage relayed;
	int on = 1;

	h_connect(c, &srv.v4, false);
	assert_int_equal(h_allocate(c), 0);
	relayed = h_relayed(c, 0);
	assert_int_equal(h_channel_bind(c, 0x4000, &p->addr), 0);
	assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)), 0);
	return relayed;
}

/*
 * ChannelData datagram `want` (its payload's first two bytes) on c within
 * the transaction timeout: its kernel receive time in ns.
 */
static uint64_t recv_stamped(struct turnc *c, unsigned int want)
{
	uint64_t deadline = h_now_ms() + H_TXN_TIMEOUT_MS;

	for (int guard = 0; guard < 1000; guard++) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		union {
			struct cmsghdr align;
			uint8_t bytes[CMSG_SPACE(sizeof(struct timespec))];
		} control;
		uint8_t buf[1500];
		struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf)};
		struct msghdr msg = {.msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.bytes,
				     .msg_controllen = sizeof(control.bytes)};
		uint64_t now = h_now_ms();
		struct cmsghdr *cm;
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recvmsg(c->fd, &msg, 0);
		if (n < 0)
			continue;
		assert_int_equal(n, TURN_CHANNELDATA_HDR_LEN + DLEN);
		assert_int_equal(buf[0], 0x40);
		assert_int_equal(buf[1], 0x00);
		assert_int_equal(buf[4] << 8 | buf[5], want);
		for (cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;

				memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
				return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			}
		fail_msg("datagram %u without a receive timestamp", want);
	}
	fail_msg("datagram %u did not arrive", want);
	return 0;
}

static void peer_send(struct tpeer *p, const struct sockaddr_storage *relayed, unsigned int i)
{
	uint8_t buf[DLEN];

	memset(buf, 0x5a, sizeof(buf));
	buf[0] = (uint8_t)(i >> 8);
	buf[1] = (uint8_t)i;
	tpeer_send(p, relayed, buf, sizeof(buf));
}

static void test_a_burst_on_one_relay_socket_does_not_starve_another(void **state)
{
	struct turnc ca, cb;
	struct tpeer a, b;
	struct sockaddr_storage ra, rb;
	uint64_t last_a = 0, first_b;
	unsigned int i;

	(void)state;
	tpeer_open(&a, "127.0.0.1");
	tpeer_open(&b, "127.0.0.1");
	ra = client_open(&ca, &a);
	rb = client_open(&cb, &b);

	for (int round = 0; round < 2; round++) {
		server_pause(&srv);
		for (i = 0; i < FLOOD; i++)
			peer_send(&a, &ra, i);
		peer_send(&b, &rb, 0);
		assert_int_equal(kill(srv.pid, SIGCONT), 0);
		/* every datagram of both sockets, in order: neither stops being read */
		for (i = 0; i < FLOOD; i++)
			last_a = recv_stamped(&ca, i);
		first_b = recv_stamped(&cb, 0);
		/* A's burst takes FLOOD / 16 wake-ups; B's datagram went in the first */
		if (first_b >= last_a)
			fail_msg("round %d: B's datagram left %.3f ms after the end of A's burst of "
				 "%d: A's socket was read to the end first",
				 round, (double)(first_b - last_a) / 1e6, FLOOD);
	}
	h_close(&ca);
	h_close(&cb);
	tpeer_close(&a);
	tpeer_close(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_a_burst_on_one_relay_socket_does_not_starve_another),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
