/*
 * test_worker.c - src/server/worker.c without a running worker: the UDP
 * allocation table by (listener, client address) with forced collisions,
 * removal from a chain and growth; what a client datagram is from its
 * first bytes; the TCP framing of STUN and ChannelData on an evbuffer
 * (RFC 8656 §12.5 padding, truncated and zero-length frames, bytes that
 * are neither, and before an allocation the oversize frame drained as it
 * arrives); the output caps of a TCP client; the per-worker log rate
 * limit; and the listeners resting after a failed accept() until the
 * back-off timer wakes them (AF_UNIX socketpairs, no network).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "server/server.h"
#include "stun/wire.h"
#include "test_sockaddr.h"

static struct worker *w;

static int setup(void **state)
{
	(void)state;
	w = test_calloc(1, sizeof(*w));
	w->hash_seed = 0x5eed1234;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(w->table);
	test_free(w);
	return 0;
}

/* The allocation table */

static struct allocation *alloc_at(int listener, const char *client)
{
	struct allocation *a = test_calloc(1, sizeof(*a));

	a->lsn = &w->udp[listener];
	a->client = test_su(client);
	return a;
}

static uint32_t slot(const struct allocation *a)
{
	return (addr_hash(&a->client.sa, w->hash_seed) ^ (uint32_t)(a->lsn - w->udp)) &
	       w->table_mask;
}

static struct allocation *find(int listener, const char *client)
{
	union sockaddr_u c = test_su(client);

	return worker_find_udp_alloc(w, &w->udp[listener], &c);
}

static void test_table_finds_by_listener_ip_and_port(void **state)
{
	struct allocation *a = alloc_at(0, "192.0.2.1:4000"), *b = alloc_at(1, "192.0.2.1:4000"),
			  *c = alloc_at(0, "[2001:db8::1]:4000");

	(void)state;
	assert_int_equal(worker_table_resize(w, 16), 0);
	worker_insert_udp_alloc(w, a);
	worker_insert_udp_alloc(w, b);
	worker_insert_udp_alloc(w, c);
	assert_int_equal(w->nallocs, 3);
	assert_ptr_equal(find(0, "192.0.2.1:4000"), a);
	assert_ptr_equal(find(1, "192.0.2.1:4000"), b);
	assert_ptr_equal(find(0, "[2001:db8::1]:4000"), c);
	assert_null(find(0, "192.0.2.1:4001"));
	assert_null(find(0, "192.0.2.2:4000"));
	assert_null(find(2, "192.0.2.1:4000"));
	assert_null(find(1, "[2001:db8::1]:4000"));
	/* the same port and bytes in another family is another client */
	assert_null(find(0, "[::ffff:192.0.2.1]:4000"));
	worker_remove_udp_alloc(w, a);
	worker_remove_udp_alloc(w, b);
	worker_remove_udp_alloc(w, c);
	assert_int_equal(w->nallocs, 0);
	assert_null(find(0, "192.0.2.1:4000"));
	test_free(a);
	test_free(b);
	test_free(c);
}

/* Three clients in one slot: each found; removal at head, middle or tail keeps the rest. */
static void test_table_chain_of_colliding_clients(void **state)
{
	struct allocation *same[3], *other = NULL;
	char text[32];
	int n = 0;

	(void)state;
	assert_int_equal(worker_table_resize(w, 64), 0);
	same[0] = alloc_at(0, "198.51.100.7:1");
	for (int port = 2; n < 2 && port < 65536; port++) {
		struct allocation *a;

		snprintf(text, sizeof(text), "198.51.100.7:%d", port);
		a = alloc_at(0, text);
		if (slot(a) == slot(same[0]))
			same[++n] = a;
		else if (!other)
			other = a;
		else
			test_free(a);
	}
	assert_int_equal(n, 2);
	assert_non_null(other);
	worker_insert_udp_alloc(w, other);
	for (int order = 0; order < 3; order++) {
		/* remove same[order] from the chain, then put it back */
		for (int i = 0; i < 3; i++)
			worker_insert_udp_alloc(w, same[i]);
		assert_int_equal(w->nallocs, 4);
		for (int i = 0; i < 3; i++)
			assert_ptr_equal(worker_find_udp_alloc(w, same[i]->lsn, &same[i]->client),
					 same[i]);
		worker_remove_udp_alloc(w, same[order]);
		assert_int_equal(w->nallocs, 3);
		assert_null(worker_find_udp_alloc(w, same[order]->lsn, &same[order]->client));
		for (int i = 0; i < 3; i++)
			if (i != order)
				assert_ptr_equal(worker_find_udp_alloc(w, same[i]->lsn,
								       &same[i]->client),
						 same[i]);
		assert_ptr_equal(worker_find_udp_alloc(w, other->lsn, &other->client), other);
		for (int i = 0; i < 3; i++)
			if (i != order)
				worker_remove_udp_alloc(w, same[i]);
		assert_int_equal(w->nallocs, 1);
	}
	worker_remove_udp_alloc(w, other);
	for (int i = 0; i < 3; i++)
		test_free(same[i]);
	test_free(other);
}

/* Removing an allocation that is not in the table changes nothing. */
static void test_table_remove_of_a_stranger_is_a_no_op(void **state)
{
	struct allocation *a = alloc_at(0, "192.0.2.1:4000"), *b = alloc_at(0, "192.0.2.1:4000");

	(void)state;
	assert_int_equal(worker_table_resize(w, 16), 0);
	worker_insert_udp_alloc(w, a);
	worker_remove_udp_alloc(w, b); /* same key, another allocation */
	assert_int_equal(w->nallocs, 1);
	assert_ptr_equal(find(0, "192.0.2.1:4000"), a);
	worker_remove_udp_alloc(w, a);
	test_free(a);
	test_free(b);
}

/* The table doubles when full, and every allocation is found in the new slots. */
static void test_table_grows_and_rehashes(void **state)
{
	enum { N = 100 };
	struct allocation *a[N];
	char text[32];

	(void)state;
	assert_int_equal(worker_table_resize(w, 4), 0);
	for (int i = 0; i < N; i++) {
		snprintf(text, sizeof(text), "10.0.%d.%d:%d", i / 200, i % 200, 1000 + i);
		a[i] = alloc_at(i % 3, text);
		worker_insert_udp_alloc(w, a[i]);
		/* never more allocations than slots */
		assert_true(w->nallocs <= w->table_mask + 1);
	}
	assert_int_equal(w->table_mask + 1, 128);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(worker_find_udp_alloc(w, a[i]->lsn, &a[i]->client), a[i]);
	for (int i = 0; i < N; i += 2)
		worker_remove_udp_alloc(w, a[i]);
	assert_int_equal(w->nallocs, N / 2);
	for (int i = 0; i < N; i++) {
		struct allocation *f = worker_find_udp_alloc(w, a[i]->lsn, &a[i]->client);

		assert_ptr_equal(f, i % 2 ? a[i] : NULL);
	}
	for (int i = 1; i < N; i += 2)
		worker_remove_udp_alloc(w, a[i]);
	assert_int_equal(w->nallocs, 0);
	for (int i = 0; i < N; i++)
		test_free(a[i]);
}

/* Datagrams */

static void test_datagram_kinds_by_first_bytes(void **state)
{
	uint8_t buf[64];

	(void)state;
	memset(buf, 0, sizeof(buf));
	/* ChannelData: 0x40-0x7F, a whole 4-byte header (its length is checked later) */
	buf[0] = 0x40;
	assert_int_equal(worker_classify_datagram(buf, 4), WORKER_DGRAM_CHANNELDATA);
	buf[0] = 0x7F;
	buf[2] = 0xFF;
	buf[3] = 0xFF; /* a length far over the datagram */
	assert_int_equal(worker_classify_datagram(buf, 8), WORKER_DGRAM_CHANNELDATA);
	/* STUN: the two top bits zero and a whole 20-byte header */
	buf[0] = 0x00;
	assert_int_equal(worker_classify_datagram(buf, STUN_HEADER_LEN), WORKER_DGRAM_STUN);
	buf[0] = 0x3F;
	assert_int_equal(worker_classify_datagram(buf, sizeof(buf)), WORKER_DGRAM_STUN);
}

static void test_datagram_truncated_or_foreign_is_malformed(void **state)
{
	uint8_t buf[64];

	(void)state;
	memset(buf, 0, sizeof(buf));
	assert_int_equal(worker_classify_datagram(buf, 0), WORKER_DGRAM_MALFORMED);
	/* a ChannelData header cut short */
	buf[0] = 0x40;
	for (size_t len = 1; len < 4; len++)
		assert_int_equal(worker_classify_datagram(buf, len), WORKER_DGRAM_MALFORMED);
	/* a STUN header cut short */
	buf[0] = 0x00;
	for (size_t len = 1; len < STUN_HEADER_LEN; len++)
		assert_int_equal(worker_classify_datagram(buf, len), WORKER_DGRAM_MALFORMED);
	/* RTP/DTLS-like and the top bit: neither */
	for (unsigned int first = 0x80; first <= 0xFF; first++) {
		buf[0] = (uint8_t)first;
		assert_int_equal(worker_classify_datagram(buf, sizeof(buf)),
				 WORKER_DGRAM_MALFORMED);
	}
}

/* TCP framing */

static struct evbuffer *in;
static struct worker_stats stats;
static uint32_t skip;

static int frame_setup(void **state)
{
	(void)state;
	in = evbuffer_new();
	memset(&stats, 0, sizeof(stats));
	skip = 0;
	return in ? 0 : -1;
}

static int frame_teardown(void **state)
{
	(void)state;
	evbuffer_free(in);
	return 0;
}

/* Adds n bytes one at a time (a chain per byte: the framing must pull them up). */
static void add_bytewise(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		assert_int_equal(evbuffer_add(in, p + i, 1), 0);
}

/* A ChannelData header for payload_len bytes, then payload_len + padding bytes of 0xAB. */
static size_t channeldata(uint8_t *buf, uint16_t number, uint16_t payload_len, bool padded)
{
	size_t body = padded ? wire_pad4(payload_len) : payload_len;

	wire_put16(buf, number);
	wire_put16(buf + 2, payload_len);
	memset(buf + 4, 0xAB, body);
	return 4 + body;
}

/* A STUN header (Binding request) announcing attrs_len bytes of attributes, then them. */
static size_t stun(uint8_t *buf, uint16_t attrs_len)
{
	memset(buf, 0, STUN_HEADER_LEN + (size_t)attrs_len);
	wire_put16(buf, STUN_BINDING);
	wire_put16(buf + 2, attrs_len);
	wire_put32(buf + 4, STUN_MAGIC_COOKIE);
	return STUN_HEADER_LEN + (size_t)attrs_len;
}

static long next(bool allocated)
{
	return worker_tcp_next_frame(in, allocated, &skip, &stats);
}

static bool stats_zero(void)
{
	static const struct worker_stats zero;

	return memcmp(&stats, &zero, sizeof(zero)) == 0;
}

/* RFC 8656 §12.5: ChannelData on a stream is padded to 4; whole only with its padding. */
static void test_frame_channeldata_waits_for_its_padding(void **state)
{
	uint8_t buf[64];
	size_t n = channeldata(buf, 0x4000, 5, true);

	(void)state;
	assert_int_equal(n, 12);
	for (size_t have = 0; have < n; have++) {
		if (have)
			add_bytewise(buf + have - 1, 1);
		assert_int_equal(next(false), 0);
		assert_int_equal(evbuffer_get_length(in), have);
	}
	add_bytewise(buf + n - 1, 1);
	assert_int_equal(next(false), 12);
	/* the frame stays at the head until the caller drains it */
	assert_int_equal(evbuffer_get_length(in), 12);
	assert_true(stats_zero());
}

static void test_frame_zero_length_channeldata_is_its_header(void **state)
{
	uint8_t buf[8];

	(void)state;
	add_bytewise(buf, channeldata(buf, 0x7FFF, 0, true));
	assert_int_equal(next(false), 4);
	assert_true(stats_zero());
}

static void test_frame_stun_header_then_attributes(void **state)
{
	uint8_t buf[128];
	size_t n = stun(buf, 40);

	(void)state;
	add_bytewise(buf, STUN_HEADER_LEN);
	assert_int_equal(next(false), 0);
	add_bytewise(buf + STUN_HEADER_LEN, 39);
	assert_int_equal(next(false), 0);
	add_bytewise(buf + n - 1, 1);
	assert_int_equal(next(false), (long)n);
	assert_true(stats_zero());
}

/* Two frames back to back: the first, then after the caller drains it the second. */
static void test_frame_back_to_back(void **state)
{
	uint8_t buf[256];
	size_t a = stun(buf, 8), b = channeldata(buf + a, 0x4001, 3, true);

	(void)state;
	assert_int_equal(evbuffer_add(in, buf, a + b), 0);
	assert_int_equal(next(true), (long)a);
	evbuffer_drain(in, a);
	assert_int_equal(next(true), (long)b);
	evbuffer_drain(in, b);
	assert_int_equal(next(true), 0);
	assert_true(stats_zero());
}

/* Bytes that are neither STUN nor ChannelData close the connection, counted once. */
static void test_frame_foreign_bytes_close(void **state)
{
	uint8_t buf[64];

	(void)state;
	/* the first byte alone: 0x80 and up */
	buf[0] = 0x80;
	add_bytewise(buf, 1);
	assert_int_equal(next(false), -1);
	assert_int_equal(stats.malformed, 1);
	evbuffer_drain(in, evbuffer_get_length(in));
	/* a STUN length that is not a multiple of 4 */
	stun(buf, 8);
	wire_put16(buf + 2, 6);
	add_bytewise(buf, 4);
	assert_int_equal(next(true), -1);
	assert_int_equal(stats.malformed, 2);
	evbuffer_drain(in, evbuffer_get_length(in));
	/* a wrong magic cookie, seen once 8 bytes are in */
	stun(buf, 8);
	buf[4] ^= 1;
	add_bytewise(buf, 7);
	assert_int_equal(next(true), 0);
	add_bytewise(buf + 7, 1);
	assert_int_equal(next(true), -1);
	assert_int_equal(stats.malformed, 3);
	assert_int_equal(stats.no_allocation, 0);
}

/*
 * Before an allocation, a ChannelData frame over 4096 bytes is counted as
 * data without an allocation and drained as it arrives (never buffered);
 * the frame after it is read as usual.
 */
static void test_frame_unallocated_oversize_channeldata_drained(void **state)
{
	static uint8_t buf[70000];
	size_t n = channeldata(buf, 0x4000, 5000, true), m;

	(void)state;
	assert_int_equal(n, 5004);
	m = stun(buf + n, 4);
	assert_int_equal(evbuffer_add(in, buf, 1000), 0);
	assert_int_equal(next(false), 0);
	assert_int_equal(evbuffer_get_length(in), 0);
	assert_int_equal(skip, 4004);
	assert_int_equal(stats.no_allocation, 1);
	assert_int_equal(evbuffer_add(in, buf + 1000, 3000), 0);
	assert_int_equal(next(false), 0);
	assert_int_equal(evbuffer_get_length(in), 0);
	assert_int_equal(skip, 1004);
	/* the rest of it and the next frame in one read */
	assert_int_equal(evbuffer_add(in, buf + 4000, n - 4000 + m), 0);
	assert_int_equal(next(false), (long)m);
	assert_int_equal(skip, 0);
	assert_int_equal(evbuffer_get_length(in), m);
	assert_int_equal(stats.no_allocation, 1);
	assert_int_equal(stats.malformed, 0);
}

/* An oversize STUN frame before an allocation is malformed, drained, and the connection stays. */
static void test_frame_unallocated_oversize_stun_drained(void **state)
{
	static uint8_t buf[8192];
	size_t n = stun(buf, 4080);

	(void)state;
	assert_int_equal(n, 4100);
	assert_int_equal(evbuffer_add(in, buf, n), 0);
	assert_int_equal(next(false), 0);
	assert_int_equal(evbuffer_get_length(in), 0);
	assert_int_equal(skip, 0);
	assert_int_equal(stats.malformed, 1);
	assert_int_equal(stats.no_allocation, 0);
}

/* 4096 bytes is still a frame before an allocation; after it, any length is. */
static void test_frame_limit_boundaries(void **state)
{
	static uint8_t buf[70000];
	size_t n = channeldata(buf, 0x4000, 4092, true);

	(void)state;
	assert_int_equal(evbuffer_add(in, buf, n), 0);
	assert_int_equal(next(false), 4096);
	evbuffer_drain(in, n);
	n = stun(buf, 4076);
	assert_int_equal(evbuffer_add(in, buf, n), 0);
	assert_int_equal(next(false), 4096);
	evbuffer_drain(in, n);
	/* the largest ChannelData, with an allocation: 4 + 65535 + 1 padding byte */
	n = channeldata(buf, 0x4000, 0xFFFF, true);
	assert_int_equal(n, 65540);
	assert_int_equal(evbuffer_add(in, buf, n - 1), 0);
	assert_int_equal(next(true), 0);
	assert_int_equal(evbuffer_add(in, buf + n - 1, 1), 0);
	assert_int_equal(next(true), 65540);
	assert_true(stats_zero());
	assert_int_equal(skip, 0);
}

/* A discard still under way when the allocation arrives finishes first. */
static void test_frame_skip_outlives_the_allocation(void **state)
{
	static uint8_t buf[8192];
	size_t n = channeldata(buf, 0x4000, 6000, true), m;

	(void)state;
	m = channeldata(buf + n, 0x4000, 1, true);
	assert_int_equal(evbuffer_add(in, buf, 100), 0);
	assert_int_equal(next(false), 0);
	assert_int_equal(skip, n - 100);
	assert_int_equal(evbuffer_add(in, buf + 100, n - 100 + m), 0);
	assert_int_equal(next(true), (long)m);
	assert_int_equal(stats.no_allocation, 1);
}

/* Output caps */

static struct event_base *base;

static struct tcp_conn *conn_with_queued(size_t queued)
{
	static uint8_t zeros[4096];
	struct tcp_conn *c = test_calloc(1, sizeof(*c));

	c->bev = bufferevent_socket_new(base, -1, 0);
	assert_non_null(c->bev);
	/* no socket: what is written stays queued */
	bufferevent_disable(c->bev, EV_WRITE);
	while (queued) {
		size_t n = queued < sizeof(zeros) ? queued : sizeof(zeros);

		assert_int_equal(bufferevent_write(c->bev, zeros, n), 0);
		queued -= n;
	}
	return c;
}

static void conn_free(struct tcp_conn *c)
{
	bufferevent_free(c->bev);
	test_free(c);
}

static bool fits(struct tcp_conn *c, size_t a, size_t b)
{
	static uint8_t bytes[70000];
	struct iovec iov[2] = {{.iov_base = bytes, .iov_len = a},
			       {.iov_base = bytes, .iov_len = b}};

	return worker_tcp_output_fits(c, iov, 2);
}

/* Without an allocation, everything queued counts, the new bytes too: 4096 in all. */
static void test_output_unallocated_counts_every_byte(void **state)
{
	struct tcp_conn *c;

	(void)state;
	base = event_base_new();
	c = conn_with_queued(0);
	assert_true(fits(c, 4096, 0));
	assert_true(fits(c, 2048, 2048));
	assert_false(fits(c, 4096, 1));
	conn_free(c);
	c = conn_with_queued(4000);
	assert_true(fits(c, 90, 6));
	assert_false(fits(c, 90, 7));
	conn_free(c);
	c = conn_with_queued(4096);
	assert_true(fits(c, 0, 0));
	assert_false(fits(c, 1, 0));
	conn_free(c);
	event_base_free(base);
}

/* With an allocation, relayed data goes while at most 1 MiB is queued, whatever its size. */
static void test_output_allocated_caps_the_queue(void **state)
{
	struct allocation a;
	struct tcp_conn *c;

	(void)state;
	base = event_base_new();
	c = conn_with_queued(1 << 20);
	c->alloc = &a;
	assert_true(fits(c, 65540, 0));
	conn_free(c);
	c = conn_with_queued((1 << 20) + 1);
	c->alloc = &a;
	assert_false(fits(c, 0, 0));
	conn_free(c);
	event_base_free(base);
}

/* Log rate limit */

static void test_log_twenty_a_second_then_counted(void **state)
{
	uint64_t t = 5000000;

	(void)state;
	w->log_window_ms = t;
	for (int i = 0; i < SERVER_LOG_PER_S; i++)
		assert_true(worker_log_ok_at(w, t + (uint64_t)i));
	for (int i = 0; i < 5; i++)
		assert_false(worker_log_ok_at(w, t + 999));
	assert_int_equal(w->log_suppressed, 5);
	/* a second after the window opened, a new one */
	assert_true(worker_log_ok_at(w, t + 1000));
	assert_int_equal(w->log_window_ms, t + 1000);
	assert_int_equal(w->log_count, 1);
	assert_int_equal(w->log_suppressed, 0);
	for (int i = 1; i < SERVER_LOG_PER_S; i++)
		assert_true(worker_log_ok_at(w, t + 1500));
	assert_false(worker_log_ok_at(w, t + 1999));
	/* a quiet window after a busy one starts from zero */
	assert_true(worker_log_ok_at(w, t + 60000));
	assert_int_equal(w->log_count, 1);
	assert_int_equal(w->log_suppressed, 0);
}

/* Accept back-off */

static int accepted, failed;

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	(void)l;
	(void)sa;
	(void)salen;
	(void)arg;
	accepted++;
	close(fd);
}

static void on_error(struct evconnlistener *l, void *arg)
{
	failed++;
	worker_tcp_accept_error(l, arg);
}

/*
 * accept() fails (here EINVAL: the listener's socket is one end of a
 * socketpair, readable and not listening) and keeps failing: after the
 * first failure both listeners rest, however often the loop runs, until the
 * back-off timer re-enables them; then the next failure rests them again.
 * Each loop runs once (EVLOOP_ONCE): a listener left on fails again at once.
 */
static void test_failed_accept_rests_listeners_until_the_timer(void **state)
{
	int sp[2][2];

	(void)state;
	accepted = failed = 0;
	w->base = event_base_new();
	assert_non_null(w->base);
	w->accept_resume_ev = evtimer_new(w->base, worker_tcp_accept_resume, w);
	assert_non_null(w->accept_resume_ev);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sp[i]), 0);
		/* backlog 0: no listen() call */
		w->tcp[i] = evconnlistener_new(w->base, on_accept, w, LEV_OPT_CLOSE_ON_FREE, 0,
					       sp[i][0]);
		assert_non_null(w->tcp[i]);
		evconnlistener_set_error_cb(w->tcp[i], on_error);
		assert_int_equal(write(sp[i][1], "x", 1), 1);
	}
	w->ntcp = 2;
	assert_int_equal(event_base_loop(w->base, EVLOOP_ONCE | EVLOOP_NONBLOCK), 0);
	assert_int_equal(failed, 1);
	assert_true(evtimer_pending(w->accept_resume_ev, NULL));
	for (int i = 0; i < 5; i++)
		event_base_loop(w->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(failed, 1);
	/* the back-off is over: the listeners try again, and rest again */
	event_active(w->accept_resume_ev, EV_TIMEOUT, 1);
	event_base_loop(w->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	for (int i = 0; i < 5; i++)
		event_base_loop(w->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(failed, 2);
	assert_true(evtimer_pending(w->accept_resume_ev, NULL));
	assert_int_equal(accepted, 0);
	for (int i = 0; i < 2; i++) {
		evconnlistener_free(w->tcp[i]);
		close(sp[i][1]);
	}
	event_free(w->accept_resume_ev);
	event_base_free(w->base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_finds_by_listener_ip_and_port, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table_chain_of_colliding_clients, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table_remove_of_a_stranger_is_a_no_op, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_table_grows_and_rehashes, setup, teardown),
		cmocka_unit_test(test_datagram_kinds_by_first_bytes),
		cmocka_unit_test(test_datagram_truncated_or_foreign_is_malformed),
		cmocka_unit_test_setup_teardown(test_frame_channeldata_waits_for_its_padding,
						frame_setup, frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_zero_length_channeldata_is_its_header,
						frame_setup, frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_stun_header_then_attributes,
						frame_setup, frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_back_to_back, frame_setup,
						frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_foreign_bytes_close, frame_setup,
						frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_unallocated_oversize_channeldata_drained,
						frame_setup, frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_unallocated_oversize_stun_drained,
						frame_setup, frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_limit_boundaries, frame_setup,
						frame_teardown),
		cmocka_unit_test_setup_teardown(test_frame_skip_outlives_the_allocation,
						frame_setup, frame_teardown),
		cmocka_unit_test(test_output_unallocated_counts_every_byte),
		cmocka_unit_test(test_output_allocated_caps_the_queue),
		cmocka_unit_test_setup_teardown(test_log_twenty_a_second_then_counted, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_accept_rests_listeners_until_the_timer,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
