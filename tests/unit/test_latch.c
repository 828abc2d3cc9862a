/*
 * test_latch.c - latching for parties without ICE (src/anchor/latch.c):
 * the RTP header read, the SDP's IP preferred (port learned, strict-source
 * keeps the port too), RTP probation before an unknown source latches,
 * sprayed single datagrams never latching, re-latching only inside the
 * learning window and only to the latched stream's continuation, and a
 * fixed latch after the window.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

#include <cmocka.h>

#include "anchor/latch.h"
#include "common/addr.h"

static union sockaddr_u v4(const char *ip, uint16_t port)
{
	union sockaddr_u a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_port = htons(port);
	inet_pton(AF_INET, ip, &a.in.sin_addr);
	return a;
}

static struct latch_pkt rtp(uint32_t ssrc, uint16_t seq)
{
	struct latch_pkt p = {.rtp = true, .ssrc = ssrc, .seq = seq};

	return p;
}

/* latch_input, committing on LATCH_NEW as the caller does when the verdict allows. */
static enum latch_action feed(struct latch *l, const struct latch_policy *p, union sockaddr_u from,
			      struct latch_pkt pkt, uint64_t now)
{
	enum latch_action a = latch_input(l, p, &from.sa, &pkt, now);

	if (a == LATCH_NEW)
		latch_commit(l, &from.sa, &pkt);
	return a;
}

static void test_rtp_header_is_read_and_rtcp_is_not_rtp(void **state)
{
	uint8_t b[12] = {0x80, 0x00, 0x12, 0x34, 0, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef};
	struct latch_pkt p;

	(void)state;
	assert_true(latch_pkt_parse(&p, b, sizeof(b)));
	assert_int_equal(p.seq, 0x1234);
	assert_int_equal(p.ssrc, 0xdeadbeef);
	assert_false(latch_pkt_parse(&p, b, 11));
	b[1] = 200; /* RTCP SR under rtcp-mux */
	assert_false(latch_pkt_parse(&p, b, sizeof(b)));
	b[0] = 0x40; /* version 1 */
	b[1] = 0;
	assert_false(latch_pkt_parse(&p, b, sizeof(b)));
}

static void test_sdp_ip_latches_at_once_and_learns_the_port(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.expect_ip = true, .expect = v4("198.51.100.20", 4000),
				 .window_end_ms = 3000};
	struct latch_pkt other = {0};

	(void)state;
	/* a stranger is never latched, however long it streams */
	for (uint16_t i = 0; i < 10; i++)
		assert_int_equal(feed(&l, &p, v4("198.51.100.66", 4000), rtp(7, i), 10), LATCH_DROP);
	assert_false(l.latched);
	/* the party behind NAT: its IP, another port, any datagram (DTLS too) */
	assert_int_equal(feed(&l, &p, v4("198.51.100.20", 61000), other, 20), LATCH_NEW);
	assert_int_equal(feed(&l, &p, v4("198.51.100.20", 61000), rtp(1, 1), 30), LATCH_ACCEPT);
	latch_reset(&l); /* frees its probation slots */
}

static void test_strict_source_keeps_the_sdp_port(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.expect_ip = true, .expect = v4("198.51.100.20", 4000),
				 .strict = true, .window_end_ms = 3000};

	(void)state;
	assert_int_equal(feed(&l, &p, v4("198.51.100.20", 4002), rtp(1, 1), 10), LATCH_DROP);
	assert_int_equal(feed(&l, &p, v4("198.51.100.20", 4000), rtp(1, 1), 10), LATCH_NEW);
	/* no re-latching at all, even to the same stream inside the window */
	assert_int_equal(feed(&l, &p, v4("198.51.100.20", 4002), rtp(1, 2), 20), LATCH_DROP);
	latch_reset(&l); /* frees its probation slots */
}

static void test_single_sprayed_datagrams_never_latch(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.window_end_ms = 3000};
	struct latch_pkt junk = {0};

	(void)state;
	for (int i = 0; i < 50; i++) {
		union sockaddr_u a = v4("203.0.113.7", (uint16_t)(20000 + i));

		assert_int_equal(feed(&l, &p, a, rtp(5, 1), 10), LATCH_DROP);
		assert_int_equal(feed(&l, &p, a, junk, 10), LATCH_DROP);
	}
	assert_false(l.latched);
	latch_reset(&l); /* frees its probation slots */
}

static void test_a_stream_latches_after_probation(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.window_end_ms = 3000};
	union sockaddr_u party = v4("203.0.113.20", 50000);

	(void)state;
	for (uint16_t i = 0; i < LATCH_PROBATION - 1; i++)
		assert_int_equal(feed(&l, &p, party, rtp(9, (uint16_t)(100 + i)), 10), LATCH_DROP);
	assert_int_equal(feed(&l, &p, party, rtp(9, 100 + LATCH_PROBATION - 1), 10), LATCH_NEW);
	assert_true(l.latched);
	latch_reset(&l); /* frees its probation slots */
}

static void test_interleaved_spray_does_not_stop_probation(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.window_end_ms = 3000};
	union sockaddr_u party = v4("203.0.113.20", 50000);
	enum latch_action a = LATCH_DROP;

	(void)state;
	for (uint16_t i = 0; i < LATCH_PROBATION; i++) {
		a = feed(&l, &p, party, rtp(9, i), 10);
		feed(&l, &p, v4("203.0.113.66", (uint16_t)(30000 + i)), rtp(i, 1), 10);
	}
	assert_int_equal(a, LATCH_NEW);
	assert_true(l.latched);
	assert_int_equal(ntohs(l.src.in.sin_port), 50000);
	latch_reset(&l); /* frees its probation slots */
}

static void test_a_broken_sequence_restarts_probation(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.window_end_ms = 3000};
	union sockaddr_u a = v4("203.0.113.66", 40000);

	(void)state;
	/* the same packet again and again (no advance), or another SSRC each time */
	for (int i = 0; i < 10; i++)
		assert_int_equal(feed(&l, &p, a, rtp(1, 5), 10), LATCH_DROP);
	for (uint16_t i = 0; i < 10; i++)
		assert_int_equal(feed(&l, &p, a, rtp(i, i), 10), LATCH_DROP);
	assert_false(l.latched);
	latch_reset(&l); /* frees its probation slots */
}

static void test_only_the_latched_stream_relatches_in_the_window(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.window_end_ms = 3000};
	union sockaddr_u party = v4("203.0.113.20", 50000), moved = v4("203.0.113.20", 50002);
	union sockaddr_u stranger = v4("203.0.113.66", 40000);

	(void)state;
	for (uint16_t i = 0; i < LATCH_PROBATION; i++)
		feed(&l, &p, party, rtp(9, i), 10);
	assert_true(l.latched);
	/* another stream, however well formed, does not take over */
	for (uint16_t i = 0; i < 10; i++)
		assert_int_equal(feed(&l, &p, stranger, rtp(77, i), 20), LATCH_DROP);
	/* the same SSRC going on from a new port (NAT rebinding) does */
	assert_int_equal(feed(&l, &p, moved, rtp(9, LATCH_PROBATION), 30), LATCH_NEW);
	assert_true(addr_equal(&l.src.sa, &moved.sa));
	/* after the window nothing moves the latch */
	assert_int_equal(feed(&l, &p, party, rtp(9, LATCH_PROBATION + 1), 3000), LATCH_DROP);
	assert_int_equal(feed(&l, &p, moved, rtp(9, LATCH_PROBATION + 2), 3000), LATCH_ACCEPT);
	latch_reset(&l); /* frees its probation slots */
}

static void test_sdp_ip_relatches_to_a_stream_on_another_port_in_the_window(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.expect_ip = true, .expect = v4("198.51.100.20", 4000),
				 .window_end_ms = 3000};
	union sockaddr_u first = v4("198.51.100.20", 4000), second = v4("198.51.100.20", 4100);
	enum latch_action a = LATCH_DROP;

	(void)state;
	assert_int_equal(feed(&l, &p, first, rtp(1, 1), 10), LATCH_NEW);
	assert_int_equal(feed(&l, &p, second, rtp(2, 1), 20), LATCH_DROP);
	for (uint16_t i = 2; i <= LATCH_PROBATION; i++)
		a = feed(&l, &p, second, rtp(2, i), 20);
	assert_int_equal(a, LATCH_NEW);
	/* fixed after the window */
	for (uint16_t i = 1; i <= LATCH_PROBATION; i++)
		a = feed(&l, &p, first, rtp(3, i), 3001);
	assert_int_equal(a, LATCH_DROP);
	latch_reset(&l); /* frees its probation slots */
}

static void test_reset_forgets_the_latch(void **state)
{
	struct latch l = {0};
	struct latch_policy p = {.expect_ip = true, .expect = v4("198.51.100.20", 4000)};

	(void)state;
	feed(&l, &p, v4("198.51.100.20", 4000), rtp(1, 1), 10);
	latch_reset(&l);
	assert_false(l.latched);
	assert_int_equal(feed(&l, &p, v4("198.51.100.20", 4010), rtp(1, 2), 5000), LATCH_NEW);
	latch_reset(&l); /* frees its probation slots */
}

/* Probation slots exist only during probation: none with a routable SDP address, none once latched. */
static void test_probation_slots_live_only_during_probation(void **state)
{
	struct latch l = {0};
	struct latch_policy learn = {.window_end_ms = 3000};
	struct latch_policy sdp = {.expect_ip = true, .expect = v4("198.51.100.20", 4000),
				   .window_end_ms = 3000};
	union sockaddr_u a = v4("203.0.113.20", 50000);
	struct latch_pkt other = {0};
	struct latch_probe *first;

	(void)state;
	/* the SDP's address latches at once: never any slots */
	assert_int_equal(feed(&l, &sdp, v4("198.51.100.20", 4000), rtp(1, 1), 10), LATCH_NEW);
	assert_null(l.probes);
	latch_reset(&l);
	/* not RTP: nothing to follow, nothing made */
	assert_int_equal(feed(&l, &learn, a, other, 10), LATCH_DROP);
	assert_null(l.probes);
	/* the first RTP packet makes them, the next ones reuse them */
	assert_int_equal(feed(&l, &learn, a, rtp(5, 1), 10), LATCH_DROP);
	assert_non_null(first = l.probes);
	for (uint16_t i = 2; i < LATCH_PROBATION; i++)
		assert_int_equal(feed(&l, &learn, a, rtp(5, i), 10), LATCH_DROP);
	assert_ptr_equal(l.probes, first);
	/* latched: gone */
	assert_int_equal(feed(&l, &learn, a, rtp(5, LATCH_PROBATION), 10), LATCH_NEW);
	assert_true(l.latched);
	assert_null(l.probes);
	/* a side closing frees them too (latch_release()) */
	latch_reset(&l);
	feed(&l, &learn, a, rtp(5, 1), 10);
	assert_non_null(l.probes);
	latch_release(&l);
	assert_null(l.probes);
	assert_int_equal(feed(&l, &learn, a, rtp(5, 2), 10), LATCH_DROP); /* probation again */
	latch_reset(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rtp_header_is_read_and_rtcp_is_not_rtp),
	    cmocka_unit_test(test_sdp_ip_latches_at_once_and_learns_the_port),
	    cmocka_unit_test(test_strict_source_keeps_the_sdp_port),
	    cmocka_unit_test(test_single_sprayed_datagrams_never_latch),
	    cmocka_unit_test(test_a_stream_latches_after_probation),
	    cmocka_unit_test(test_interleaved_spray_does_not_stop_probation),
	    cmocka_unit_test(test_a_broken_sequence_restarts_probation),
	    cmocka_unit_test(test_only_the_latched_stream_relatches_in_the_window),
	    cmocka_unit_test(test_sdp_ip_relatches_to_a_stream_on_another_port_in_the_window),
	    cmocka_unit_test(test_reset_forgets_the_latch),
	    cmocka_unit_test(test_probation_slots_live_only_during_probation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
