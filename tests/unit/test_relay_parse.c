/*
 * test_relay_parse.c - the kernel module's payload classification
 * (kernel/turnrelay_parse.h): STUN, DTLS, ChannelData, plain, short and
 * malformed datagrams, compiled here in userspace exactly as in the module.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../kernel/turnrelay_parse.h"
#include "anchor/demux.h"
#include "stun/stun.h"

static enum turnrelay_pkt_class classify(const uint8_t *buf, size_t len, struct turnrelay_pkt *pkt)
{
	return turnrelay_parse(buf, len, pkt);
}

static void test_empty_datagram_is_short(void **state)
{
	struct turnrelay_pkt pkt = {.channel = 7, .data_len = 7};

	(void)state;
	assert_int_equal(classify((const uint8_t *)"", 0, &pkt), TURNRELAY_PKT_SHORT);
	assert_int_equal(pkt.channel, 0);
	assert_int_equal(pkt.data_len, 0);
}

static void test_stun_binding_request_with_cookie_is_stun(void **state)
{
	struct stun_builder b;
	struct turnrelay_pkt pkt;
	uint8_t buf[128];
	uint8_t tid[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
	size_t len;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_fingerprint(&b);
	len = stun_build_end(&b);
	assert_true(len >= 20);
	assert_int_equal(classify(buf, len, &pkt), TURNRELAY_PKT_STUN);
	assert_int_equal(pkt.channel, 0);
	assert_int_equal(pkt.data_len, len);
}

static void test_stun_range_shorter_than_header_is_short(void **state)
{
	static const uint8_t buf[19] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_SHORT);
}

static void test_stun_range_without_cookie_is_malformed(void **state)
{
	uint8_t buf[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x43};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_MALFORMED);
	buf[7] = 0x42;
	buf[3] = 0x02; /* STUN lengths are multiples of 4 */
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_MALFORMED);
	buf[3] = 0x00;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_STUN);
	buf[0] = 0x03; /* the whole 0-3 range is STUN */
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_STUN);
}

static void test_dtls_range_is_dtls_at_both_ends(void **state)
{
	uint8_t buf[13] = {20, 0xFE, 0xFD};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_DTLS);
	buf[0] = 63;
	assert_int_equal(classify(buf, 1, &pkt), TURNRELAY_PKT_DTLS);
	buf[0] = 19; /* ZRTP range is plain data */
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_PLAIN);
	buf[0] = 4;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_PLAIN);
}

static void test_channeldata_gives_channel_and_length(void **state)
{
	static const uint8_t buf[] = {0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o'};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_CHANNELDATA);
	assert_int_equal(pkt.channel, 0x4001);
	assert_int_equal(pkt.data_len, 5);
}

static void test_channeldata_padding_after_length_is_ignored(void **state)
{
	static const uint8_t buf[] = {0x7F, 0xFF, 0x00, 0x01, 'x', 0, 0, 0};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_CHANNELDATA);
	assert_int_equal(pkt.channel, 0x7FFF);
	assert_int_equal(pkt.data_len, 1);
}

static void test_channeldata_with_zero_length_is_valid(void **state)
{
	static const uint8_t buf[] = {0x40, 0x00, 0x00, 0x00};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_CHANNELDATA);
	assert_int_equal(pkt.channel, 0x4000);
	assert_int_equal(pkt.data_len, 0);
}

static void test_channeldata_length_past_datagram_is_malformed(void **state)
{
	static const uint8_t buf[] = {0x40, 0x02, 0x00, 0x06, 'h', 'e', 'l', 'l', 'o'};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_MALFORMED);
	assert_int_equal(pkt.channel, 0x4002);
	assert_int_equal(pkt.data_len, sizeof(buf));
}

static void test_channeldata_shorter_than_header_is_short(void **state)
{
	static const uint8_t buf[] = {0x40, 0x01, 0x00};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_SHORT);
	assert_int_equal(pkt.channel, 0);
}

static void test_rtp_and_high_bytes_are_plain(void **state)
{
	uint8_t buf[12] = {0x80, 0x00, 0x12, 0x34};
	struct turnrelay_pkt pkt;

	(void)state;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_PLAIN);
	assert_int_equal(pkt.data_len, sizeof(buf));
	buf[0] = 0xFF;
	assert_int_equal(classify(buf, 1, &pkt), TURNRELAY_PKT_PLAIN);
	buf[0] = 0x80;
	assert_int_equal(classify(buf, 1, &pkt), TURNRELAY_PKT_PLAIN);
}

static void test_huge_length_is_capped(void **state)
{
	static uint8_t buf[70000];
	struct turnrelay_pkt pkt;

	(void)state;
	buf[0] = 0x80;
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_PLAIN);
	assert_int_equal(pkt.data_len, 0xFFFF);
}

/* The module relies on this: only the first 8 bytes need to be linear (ASan checks it). */
static void test_parser_reads_only_the_first_peek_bytes(void **state)
{
	static const uint8_t heads[][TURNRELAY_PARSE_PEEK_LEN] = {
	    {0x00, 0x01, 0x00, 0x08, 0x21, 0x12, 0xA4, 0x42},
	    {0x40, 0x01, 0x01, 0x00, 1, 2, 3, 4},
	    {0x17, 0xFE, 0xFD, 0, 0, 0, 0, 0},
	    {0x80, 0x60, 0, 1, 0, 0, 0, 0},
	};
	static const enum turnrelay_pkt_class expect[] = {
	    TURNRELAY_PKT_STUN, TURNRELAY_PKT_CHANNELDATA, TURNRELAY_PKT_DTLS, TURNRELAY_PKT_PLAIN};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(expect) / sizeof(expect[0]); i++) {
		uint8_t *head = malloc(TURNRELAY_PARSE_PEEK_LEN);
		struct turnrelay_pkt pkt;

		assert_non_null(head);
		memcpy(head, heads[i], TURNRELAY_PARSE_PEEK_LEN);
		assert_int_equal(classify(head, 1200, &pkt), expect[i]);
		free(head);
	}
}

/* Agrees with the server's own ChannelData parser on every header. */
static void test_channeldata_agrees_with_codec(void **state)
{
	uint8_t buf[12] = {0};
	unsigned int first, len_field;

	(void)state;
	for (first = 0x40; first <= 0x7F; first += 0x0F) {
		for (len_field = 0; len_field <= 10; len_field++) {
			struct turnrelay_pkt pkt;
			const uint8_t *data;
			uint16_t channel, dlen;
			int ok;

			buf[0] = (uint8_t)first;
			buf[1] = 0x23;
			turnrelay_put_be16(buf + 2, (uint16_t)len_field);
			ok = turn_channeldata_parse(buf, sizeof(buf) - 2, &channel, &data, &dlen) == 0;
			assert_int_equal(classify(buf, sizeof(buf) - 2, &pkt) ==
						 TURNRELAY_PKT_CHANNELDATA,
					 ok);
			if (ok) {
				assert_int_equal(pkt.channel, channel);
				assert_int_equal(pkt.data_len, dlen);
			}
		}
	}
}

/*
 * RTCP as TURNRELAY_LEG_F_PASS_RTCP tells it (RFC 5761 4) is what the
 * anchor's demux takes for RTCP, for every first two bytes; shorter than 2
 * bytes is never RTCP, and nothing past the second byte is read.
 */
static void test_rtcp_agrees_with_the_anchor_demux(void **state)
{
	uint8_t buf[32] = {0};

	(void)state;
	for (int b0 = 0; b0 < 256; b0++)
		for (int b1 = 0; b1 < 256; b1++) {
			buf[0] = (uint8_t)b0;
			buf[1] = (uint8_t)b1;
			buf[4] = 0x21; /* a STUN cookie, so that 0-3 is STUN for both */
			buf[5] = 0x12;
			buf[6] = 0xa4;
			buf[7] = 0x42;
			assert_int_equal(turnrelay_is_rtcp(buf, sizeof(buf)),
					 demux_classify(buf, sizeof(buf)) == DEMUX_RTCP);
		}
	buf[0] = 0x80;
	buf[1] = 200;
	assert_true(turnrelay_is_rtcp(buf, 2));
	assert_false(turnrelay_is_rtcp(buf, 1));
	assert_false(turnrelay_is_rtcp(buf, 0));
	buf[1] = 0; /* RTP, payload type 0 */
	assert_false(turnrelay_is_rtcp(buf, sizeof(buf)));
}

static void test_channeldata_header_writer_round_trips(void **state)
{
	uint8_t buf[4 + 3] = {0, 0, 0, 0, 'a', 'b', 'c'};
	struct turnrelay_pkt pkt;

	(void)state;
	turnrelay_channeldata_put(buf, 0x4ABC, 3);
	assert_int_equal(buf[0], 0x4A);
	assert_int_equal(buf[1], 0xBC);
	assert_int_equal(classify(buf, sizeof(buf), &pkt), TURNRELAY_PKT_CHANNELDATA);
	assert_int_equal(pkt.channel, 0x4ABC);
	assert_int_equal(pkt.data_len, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_datagram_is_short),
	    cmocka_unit_test(test_stun_binding_request_with_cookie_is_stun),
	    cmocka_unit_test(test_stun_range_shorter_than_header_is_short),
	    cmocka_unit_test(test_stun_range_without_cookie_is_malformed),
	    cmocka_unit_test(test_dtls_range_is_dtls_at_both_ends),
	    cmocka_unit_test(test_channeldata_gives_channel_and_length),
	    cmocka_unit_test(test_channeldata_padding_after_length_is_ignored),
	    cmocka_unit_test(test_channeldata_with_zero_length_is_valid),
	    cmocka_unit_test(test_channeldata_length_past_datagram_is_malformed),
	    cmocka_unit_test(test_channeldata_shorter_than_header_is_short),
	    cmocka_unit_test(test_rtp_and_high_bytes_are_plain),
	    cmocka_unit_test(test_huge_length_is_capped),
	    cmocka_unit_test(test_parser_reads_only_the_first_peek_bytes),
	    cmocka_unit_test(test_channeldata_agrees_with_codec),
	    cmocka_unit_test(test_channeldata_header_writer_round_trips),
	    cmocka_unit_test(test_rtcp_agrees_with_the_anchor_demux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
