/*
 * test_demux.c - RFC 7983 classification of media-port datagrams
 * (src/anchor/demux.c): each first-byte range at its edges, the STUN magic
 * cookie, RTCP told from RTP by packet type (RFC 5761 §4), and the minimum
 * lengths below which a datagram is dropped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "anchor/demux.h"

static enum demux_kind classify_first(uint8_t first, size_t len)
{
	uint8_t buf[64];

	memset(buf, 0, sizeof(buf));
	buf[0] = first;
	return demux_classify(buf, len);
}

static void stun_header(uint8_t *buf)
{
	memset(buf, 0, 20);
	buf[1] = 0x01; /* Binding request */
	buf[4] = 0x21;
	buf[5] = 0x12;
	buf[6] = 0xA4;
	buf[7] = 0x42;
}

static void test_empty_datagram_is_dropped(void **state)
{
	(void)state;
	assert_int_equal(demux_classify((const uint8_t *)"", 0), DEMUX_DROP);
}

static void test_stun_needs_cookie_and_20_bytes(void **state)
{
	uint8_t buf[20];

	(void)state;
	stun_header(buf);
	assert_int_equal(demux_classify(buf, 20), DEMUX_STUN);
	assert_int_equal(demux_classify(buf, 19), DEMUX_DROP);
	for (uint8_t first = 0; first <= 3; first++) {
		buf[0] = first;
		assert_int_equal(demux_classify(buf, 20), DEMUX_STUN);
	}
	buf[0] = 0;
	buf[7] = 0x43; /* wrong cookie: STUN range but not STUN */
	assert_int_equal(demux_classify(buf, 20), DEMUX_DROP);
}

static void test_bytes_4_to_15_are_dropped(void **state)
{
	uint8_t buf[20];

	(void)state;
	stun_header(buf);
	for (int first = 4; first <= 15; first++) {
		buf[0] = (uint8_t)first; /* even with a cookie */
		assert_int_equal(demux_classify(buf, 20), DEMUX_DROP);
	}
}

static void test_zrtp_range_edges(void **state)
{
	(void)state;
	assert_int_equal(classify_first(16, 12), DEMUX_ZRTP);
	assert_int_equal(classify_first(19, 64), DEMUX_ZRTP);
	assert_int_equal(classify_first(16, 11), DEMUX_DROP);
}

static void test_dtls_range_edges(void **state)
{
	(void)state;
	assert_int_equal(classify_first(20, 13), DEMUX_DTLS);
	assert_int_equal(classify_first(22, 64), DEMUX_DTLS); /* handshake */
	assert_int_equal(classify_first(63, 13), DEMUX_DTLS);
	assert_int_equal(classify_first(23, 12), DEMUX_DROP); /* shorter than a record header */
}

static void test_turn_channel_range_edges(void **state)
{
	(void)state;
	assert_int_equal(classify_first(64, 4), DEMUX_TURN_CHANNEL);
	assert_int_equal(classify_first(79, 4), DEMUX_TURN_CHANNEL);
	assert_int_equal(classify_first(64, 3), DEMUX_DROP);
	assert_int_equal(classify_first(80, 64), DEMUX_DROP);
	assert_int_equal(classify_first(127, 64), DEMUX_DROP);
}

static void test_rtp_range_edges_and_minimum_length(void **state)
{
	uint8_t buf[12] = {0x80, 0x60}; /* V=2, PT 96 */

	(void)state;
	assert_int_equal(demux_classify(buf, 12), DEMUX_RTP);
	assert_int_equal(demux_classify(buf, 11), DEMUX_DROP);
	buf[0] = 191;
	assert_int_equal(demux_classify(buf, 12), DEMUX_RTP);
	buf[1] = 0xE0; /* marker + PT 96 = 224: just past the RTCP range */
	assert_int_equal(demux_classify(buf, 12), DEMUX_RTP);
	buf[1] = 0xBF; /* 191: just below it */
	assert_int_equal(demux_classify(buf, 12), DEMUX_RTP);
	buf[0] = 192;
	assert_int_equal(demux_classify(buf, 12), DEMUX_DROP);
	buf[0] = 255;
	assert_int_equal(demux_classify(buf, 12), DEMUX_DROP);
	assert_int_equal(classify_first(128, 1), DEMUX_DROP);
}

static void test_rtcp_packet_types_192_to_223(void **state)
{
	uint8_t buf[8] = {0x80, 200}; /* SR */

	(void)state;
	assert_int_equal(demux_classify(buf, 8), DEMUX_RTCP);
	assert_int_equal(demux_classify(buf, 7), DEMUX_DROP);
	buf[1] = 192;
	assert_int_equal(demux_classify(buf, 8), DEMUX_RTCP);
	buf[1] = 223;
	assert_int_equal(demux_classify(buf, 8), DEMUX_RTCP);
	buf[1] = 224; /* RTP: PT 96 with marker, and 8 bytes is too short for RTP */
	assert_int_equal(demux_classify(buf, 8), DEMUX_DROP);
}

static void test_kind_names(void **state)
{
	(void)state;
	assert_string_equal(demux_kind_name(DEMUX_STUN), "stun");
	assert_string_equal(demux_kind_name(DEMUX_RTCP), "rtcp");
	assert_string_equal(demux_kind_name(DEMUX_DROP), "drop");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_datagram_is_dropped),
	    cmocka_unit_test(test_stun_needs_cookie_and_20_bytes),
	    cmocka_unit_test(test_bytes_4_to_15_are_dropped),
	    cmocka_unit_test(test_zrtp_range_edges),
	    cmocka_unit_test(test_dtls_range_edges),
	    cmocka_unit_test(test_turn_channel_range_edges),
	    cmocka_unit_test(test_rtp_range_edges_and_minimum_length),
	    cmocka_unit_test(test_rtcp_packet_types_192_to_223),
	    cmocka_unit_test(test_kind_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
