/*
 * test_udp_batch.c - batched UDP sends (src/relay/udp_batch.c): which
 * queued datagrams one GSO send may carry (consecutive, same socket,
 * destination and length, bounded in count and bytes); a flush over
 * loopback sockets delivers every datagram whole and in order per
 * destination, with UDP GSO for runs and sendmmsg() for the rest, or
 * sendmmsg() alone with GSO off; a GSO send the kernel refuses goes by
 * sendmmsg() instead; a socket that fails drops its datagrams, counted,
 * without stopping the others.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "relay/udp_batch.h"

static union sockaddr_u v4(const char *ip, uint16_t port)
{
	union sockaddr_u a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &a.in.sin_addr), 1);
	return a;
}

static void entry(struct udp_tx *t, int fd, union sockaddr_u to, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->fd = fd;
	t->to = to;
	t->to_len = addr_len(&to.sa);
	t->len = len;
}

static void test_group_takes_consecutive_equal_datagrams_to_one_destination(void **state)
{
	struct udp_tx tx[8];
	union sockaddr_u a = v4("127.0.0.1", 4000), b = v4("127.0.0.1", 4001);

	(void)state;
	for (int i = 0; i < 4; i++)
		entry(&tx[i], 5, a, 100);
	entry(&tx[4], 5, a, 99);  /* another length */
	entry(&tx[5], 5, b, 99);  /* another port */
	entry(&tx[6], 6, b, 99);  /* another socket */
	entry(&tx[7], 6, v4("127.0.0.2", 4001), 99); /* another address */
	assert_int_equal(udp_batch_group(tx, 8, 65000), 4);
	assert_int_equal(udp_batch_group(tx + 4, 4, 65000), 1);
	assert_int_equal(udp_batch_group(tx + 5, 3, 65000), 1);
	assert_int_equal(udp_batch_group(tx + 6, 2, 65000), 1);
	assert_int_equal(udp_batch_group(tx + 7, 1, 65000), 1);
	/* only consecutive: a, b, a is three groups */
	entry(&tx[0], 5, a, 10);
	entry(&tx[1], 5, b, 10);
	entry(&tx[2], 5, a, 10);
	assert_int_equal(udp_batch_group(tx, 3, 65000), 1);
	assert_int_equal(udp_batch_group(tx + 1, 2, 65000), 1);
}

static void test_group_other_family_same_port_is_another_destination(void **state)
{
	struct udp_tx tx[2];
	union sockaddr_u six;

	(void)state;
	memset(&six, 0, sizeof(six));
	six.in6.sin6_family = AF_INET6;
	six.in6.sin6_port = htons(4000);
	entry(&tx[0], 5, v4("127.0.0.1", 4000), 10);
	entry(&tx[1], 5, six, 10);
	assert_int_equal(udp_batch_group(tx, 2, 65000), 1);
}

static void test_group_is_bounded_by_segments_and_bytes(void **state)
{
	static struct udp_tx tx[UDP_GSO_MAX_SEGS + 4];
	union sockaddr_u a = v4("127.0.0.1", 4000);

	(void)state;
	for (size_t i = 0; i < UDP_GSO_MAX_SEGS + 4; i++)
		entry(&tx[i], 5, a, 10);
	assert_int_equal(udp_batch_group(tx, UDP_GSO_MAX_SEGS + 4, 65000), UDP_GSO_MAX_SEGS);
	/* 1000-byte datagrams under 3500 bytes: three */
	for (size_t i = 0; i < 8; i++)
		tx[i].len = 1000;
	assert_int_equal(udp_batch_group(tx, 8, 3500), 3);
	assert_int_equal(udp_batch_group(tx, 8, 3000), 3);
	assert_int_equal(udp_batch_group(tx, 8, 2999), 2);
	/* the first is always taken, whatever its size */
	assert_int_equal(udp_batch_group(tx, 8, 10), 1);
	/* n bounds it */
	assert_int_equal(udp_batch_group(tx, 2, 65000), 2);
}

/* Flushing through loopback sockets */

struct sink {
	int fd;
	union sockaddr_u addr;
};

static struct sink sink_open(void)
{
	struct sink s;
	socklen_t len = sizeof(s.addr);

	s.addr = v4("127.0.0.1", 0);
	s.fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(s.fd >= 0);
	assert_int_equal(bind(s.fd, &s.addr.sa, sizeof(s.addr.in)), 0);
	assert_int_equal(getsockname(s.fd, &s.addr.sa, &len), 0);
	return s;
}

static int sender_open(void)
{
	struct sink s = sink_open();

	return s.fd;
}

/* A datagram's bytes: its 4-byte head "Hnnn" then len - 4 bytes of (n + i). */
static uint8_t payloads[UDP_TXQ_LEN][2048];

static void queue(struct udp_txq *q, int fd, const struct sink *to, size_t len)
{
	unsigned int n = q->n;
	struct udp_tx *t = &q->tx[q->n++];

	assert_true(len >= 4 && len - 4 <= sizeof(payloads[0]));
	t->fd = fd;
	t->to = to->addr;
	t->to_len = sizeof(to->addr.in);
	t->len = len;
	t->head[0] = 'H';
	t->head[1] = (uint8_t)n;
	t->head[2] = (uint8_t)(len >> 8);
	t->head[3] = (uint8_t)len;
	for (size_t i = 0; i < len - 4; i++)
		payloads[n][i] = (uint8_t)(n + i);
	t->iov[0] = (struct iovec){.iov_base = t->head, .iov_len = 4};
	t->iov[1] = (struct iovec){.iov_base = payloads[n], .iov_len = len - 4};
	t->niov = 2;
	t->dir = (int)n;
}

/* The next datagram on s is number n of length len, from port `from` (0: any). */
static void expect(const struct sink *s, unsigned int n, size_t len, int from_fd)
{
	uint8_t buf[4096];
	union sockaddr_u src, want;
	socklen_t sl = sizeof(src), wl = sizeof(want);
	struct pollfd p = {.fd = s->fd, .events = POLLIN};
	ssize_t r;

	assert_int_equal(poll(&p, 1, 1000), 1);
	r = recvfrom(s->fd, buf, sizeof(buf), 0, &src.sa, &sl);
	assert_int_equal(r, (ssize_t)len);
	assert_int_equal(buf[0], 'H');
	assert_int_equal(buf[1], n);
	assert_int_equal((size_t)buf[2] << 8 | buf[3], len);
	for (size_t i = 0; i < len - 4; i++)
		assert_int_equal(buf[4 + i], (uint8_t)(n + i));
	assert_int_equal(getsockname(from_fd, &want.sa, &wl), 0);
	assert_int_equal(src.in.sin_port, want.in.sin_port);
}

static void expect_nothing(const struct sink *s)
{
	uint8_t buf[16];

	assert_int_equal(recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT), -1);
	assert_int_equal(errno, EAGAIN);
}

struct done_log {
	unsigned int calls, sent;
	int order[UDP_TXQ_LEN];
};

static void done(void *arg, const struct udp_tx *t, bool sent)
{
	struct done_log *d = arg;

	assert_true(d->calls < UDP_TXQ_LEN);
	d->order[d->calls++] = t->dir;
	d->sent += sent;
}

/*
 * Eleven datagrams of one socket: 5 x 100 to a, 2 x 50 to a, 3 x 100 to b,
 * 1 x 100 to a.
 */
static void queue_eleven(struct udp_txq *q, int fd, const struct sink *a, const struct sink *b)
{
	for (int i = 0; i < 5; i++)
		queue(q, fd, a, 100);
	queue(q, fd, a, 50);
	queue(q, fd, a, 50);
	for (int i = 0; i < 3; i++)
		queue(q, fd, b, 100);
	queue(q, fd, a, 100);
}

static void expect_eleven(const struct sink *a, const struct sink *b, int fd,
			  const struct done_log *d)
{
	for (unsigned int i = 0; i < 5; i++)
		expect(a, i, 100, fd);
	expect(a, 5, 50, fd);
	expect(a, 6, 50, fd);
	expect(a, 10, 100, fd);
	for (unsigned int i = 7; i < 10; i++)
		expect(b, i, 100, fd);
	expect_nothing(a);
	expect_nothing(b);
	assert_int_equal(d->calls, 11);
	assert_int_equal(d->sent, 11);
	for (int i = 0; i < 11; i++)
		assert_int_equal(d->order[i], i);
}

static void test_flush_sends_runs_by_gso_and_the_rest_by_sendmmsg(void **state)
{
	static struct udp_txq q;
	struct udp_batch_stats st = {0};
	struct done_log d = {0};
	struct sink a = sink_open(), b = sink_open();
	int fd = sender_open();

	(void)state;
	udp_txq_init(&q, true);
	queue_eleven(&q, fd, &a, &b);
	udp_txq_flush(&q, &st, done, &d);
	assert_int_equal(q.n, 0);
	expect_eleven(&a, &b, fd, &d);
	/* GSO for 5, 2 and 3; the last one alone by sendmmsg() */
	assert_int_equal(st.gso_sends, 3);
	assert_int_equal(st.gso_segments, 10);
	assert_int_equal(st.gso_fallbacks, 0);
	assert_int_equal(st.send_calls, 4);
	assert_int_equal(st.send_dgrams, 11);
	assert_true(q.gso);
	close(fd);
	close(a.fd);
	close(b.fd);
}

static void test_flush_without_gso_is_one_sendmmsg_per_socket(void **state)
{
	static struct udp_txq q;
	struct udp_batch_stats st = {0};
	struct done_log d = {0};
	struct sink a = sink_open(), b = sink_open();
	int fd = sender_open(), fd2 = sender_open();

	(void)state;
	udp_txq_init(&q, false);
	queue_eleven(&q, fd, &a, &b);
	udp_txq_flush(&q, &st, done, &d);
	expect_eleven(&a, &b, fd, &d);
	assert_int_equal(st.send_calls, 1);
	assert_int_equal(st.send_dgrams, 11);
	assert_int_equal(st.gso_sends, 0);
	assert_int_equal(st.gso_segments, 0);
	/* two sockets taking turns: one call per run of one socket */
	memset(&d, 0, sizeof(d));
	memset(&st, 0, sizeof(st));
	queue(&q, fd, &a, 20);
	queue(&q, fd, &a, 20);
	queue(&q, fd2, &a, 20);
	queue(&q, fd, &a, 20);
	udp_txq_flush(&q, &st, done, &d);
	expect(&a, 0, 20, fd);
	expect(&a, 1, 20, fd);
	expect(&a, 2, 20, fd2);
	expect(&a, 3, 20, fd);
	assert_int_equal(st.send_calls, 3);
	assert_int_equal(st.send_dgrams, 4);
	assert_int_equal(d.sent, 4);
	close(fd);
	close(fd2);
	close(a.fd);
	close(b.fd);
}

/* SO_NO_CHECK makes the kernel refuse GSO (EINVAL): the group goes by sendmmsg(). */
static void test_gso_refused_by_the_kernel_falls_back_to_sendmmsg(void **state)
{
	static struct udp_txq q;
	struct udp_batch_stats st = {0};
	struct done_log d = {0};
	struct sink a = sink_open(), b = sink_open();
	int fd = sender_open(), one = 1;

	(void)state;
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_NO_CHECK, &one, sizeof(one)), 0);
	udp_txq_init(&q, true);
	queue_eleven(&q, fd, &a, &b);
	udp_txq_flush(&q, &st, done, &d);
	expect_eleven(&a, &b, fd, &d);
	assert_int_equal(st.gso_sends, 0);
	assert_int_equal(st.gso_segments, 0);
	assert_int_equal(st.gso_fallbacks, 3);
	assert_int_equal(st.send_dgrams, 11);
	/* EINVAL is about this send, not the kernel: GSO stays on */
	assert_true(q.gso);
	close(fd);
	close(a.fd);
	close(b.fd);
}

/* A socket whose sends fail loses its datagrams, counted; the next socket's go. */
static void test_failing_socket_drops_its_datagrams_and_not_the_others(void **state)
{
	static struct udp_txq q;
	struct udp_batch_stats st = {0};
	struct done_log d = {0};
	struct sink a = sink_open();
	int fd = sender_open(), dead = sender_open();

	(void)state;
	close(dead); /* EBADF from here on */
	for (int gso = 0; gso < 2; gso++) {
		memset(&d, 0, sizeof(d));
		memset(&st, 0, sizeof(st));
		udp_txq_init(&q, gso);
		queue(&q, dead, &a, 30);
		queue(&q, dead, &a, 30);
		queue(&q, dead, &a, 31);
		queue(&q, fd, &a, 30);
		queue(&q, fd, &a, 30);
		udp_txq_flush(&q, &st, done, &d);
		expect(&a, 3, 30, fd);
		expect(&a, 4, 30, fd);
		expect_nothing(&a);
		assert_int_equal(d.calls, 5);
		assert_int_equal(d.sent, 2);
		assert_int_equal(st.send_dgrams, 2);
		assert_int_equal(st.gso_sends, gso ? 1 : 0);
	}
	close(fd);
	close(a.fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_group_takes_consecutive_equal_datagrams_to_one_destination),
	    cmocka_unit_test(test_group_other_family_same_port_is_another_destination),
	    cmocka_unit_test(test_group_is_bounded_by_segments_and_bytes),
	    cmocka_unit_test(test_flush_sends_runs_by_gso_and_the_rest_by_sendmmsg),
	    cmocka_unit_test(test_flush_without_gso_is_one_sendmmsg_per_socket),
	    cmocka_unit_test(test_gso_refused_by_the_kernel_falls_back_to_sendmmsg),
	    cmocka_unit_test(test_failing_socket_drops_its_datagrams_and_not_the_others),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
