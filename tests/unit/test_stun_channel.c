/*
 * test_stun_channel.c - src/stun/channel.c: ChannelData (RFC 8656 §12.4) in datagrams and stream framing
 * (§12.5) of STUN and padded ChannelData.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cmocka.h>

#include "stun_test.h"

static void test_channeldata_parse_datagram(void **state)
{
	uint8_t buf[16] = {0x40, 0x01, 0x00, 0x05, 'h', 'e', 'l', 'l', 'o', 0, 0, 0};
	const uint8_t *data = NULL;
	uint16_t ch = 0, dlen = 0;

	(void)state;
	assert_true(stun_looks_like_channeldata(buf, 9));
	assert_int_equal(turn_channeldata_parse(buf, 9, &ch, &data, &dlen), 0);
	assert_int_equal(ch, 0x4001);
	assert_int_equal(dlen, 5);
	assert_ptr_equal(data, buf + 4);
	/* padded, as over a stream */
	assert_int_equal(turn_channeldata_parse(buf, 12, &ch, &data, &dlen), 0);
	assert_int_equal(dlen, 5);
	/* empty application data */
	put16(buf + 2, 0);
	assert_int_equal(turn_channeldata_parse(buf, 4, &ch, &data, &dlen), 0);
	assert_int_equal(dlen, 0);
}

static void test_channeldata_channel_range(void **state)
{
	static const uint16_t good[] = {0x4000, 0x4001, 0x4FFF, 0x5000, 0x7FFE, 0x7FFF};
	static const uint16_t bad[] = {0x0000, 0x0001, 0x3FFF, 0x8000, 0xBFFF, 0xFFFF};
	uint8_t buf[8] = {0, 0, 0x00, 0x04, 1, 2, 3, 4};
	const uint8_t *data;
	uint16_t ch, dlen;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		put16(buf, good[i]);
		assert_true(stun_looks_like_channeldata(buf, sizeof(buf)));
		assert_int_equal(turn_channeldata_parse(buf, sizeof(buf), &ch, &data, &dlen), 0);
		assert_int_equal(ch, good[i]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		put16(buf, bad[i]);
		assert_false(stun_looks_like_channeldata(buf, sizeof(buf)));
		assert_int_equal(turn_channeldata_parse(buf, sizeof(buf), &ch, &data, &dlen), -1);
	}
}

static void test_channeldata_length_past_datagram_rejected(void **state)
{
	const uint8_t buf[] = {0x40, 0x01, 0x00, 0x06, 'h', 'e', 'l', 'l', 'o'};
	const uint8_t *data = NULL;
	uint16_t ch = 0x1111, dlen = 0x2222;

	(void)state;
	assert_int_equal(turn_channeldata_parse(buf, sizeof(buf), &ch, &data, &dlen), -1);
	assert_int_equal(turn_channeldata_parse(buf, 0, &ch, &data, &dlen), -1);
	assert_int_equal(turn_channeldata_parse(buf, 3, &ch, &data, &dlen), -1);
	/* outputs untouched on failure */
	assert_int_equal(ch, 0x1111);
	assert_int_equal(dlen, 0x2222);
	assert_null(data);
}

static void test_stream_frame_len_stun(void **state)
{
	uint8_t buf[256];
	size_t n = sizeof(rfc5769_request);

	(void)state;
	memcpy(buf, rfc5769_request, n);
	memset(buf + n, 0xAB, sizeof(buf) - n);
	assert_int_equal(stun_stream_frame_len(buf, n), n);
	assert_int_equal(stun_stream_frame_len(buf, sizeof(buf)), n);
	for (size_t avail = 0; avail < 4; avail++)
		assert_int_equal(stun_stream_frame_len(buf, avail), 0);
	/*
	 * A partial message: more bytes are needed. stun.h allows either 0 or
	 * the full frame length once the header shows it, never anything else.
	 */
	for (size_t avail = 4; avail < n; avail++) {
		long r = stun_stream_frame_len(buf, avail);

		assert_true(r == 0 || r == (long)n);
	}
	/* header only message */
	raw_header(buf, 0x0001, 0);
	assert_int_equal(stun_stream_frame_len(buf, 20), 20);
}

static void test_stream_frame_len_padded_channeldata(void **state)
{
	static const struct {
		uint16_t dlen;
		long frame;
	} t[] = {{0, 4}, {1, 8}, {4, 8}, {5, 12}, {8, 12}, {1000, 1004}, {65535, 65540}};
	static uint8_t buf[65540 + 4];

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		turn_channeldata_header(buf, 0x4abc, t[i].dlen);
		assert_int_equal(stun_stream_frame_len(buf, (size_t)t[i].frame), t[i].frame);
		assert_int_equal(stun_stream_frame_len(buf, sizeof(buf)), t[i].frame);
		for (size_t avail = 0; avail < 4; avail++)
			assert_int_equal(stun_stream_frame_len(buf, avail), 0);
		/* unpadded data is not a whole frame on a stream */
		if (t[i].frame > 4) {
			long r =
			    stun_stream_frame_len(buf, 4u + t[i].dlen - (t[i].dlen % 4 ? 0 : 1));

			assert_true(r == 0 || r == t[i].frame);
		}
	}
}

static void test_stream_frame_len_garbage(void **state)
{
	uint8_t buf[32];

	(void)state;
	memset(buf, 0, sizeof(buf));
	buf[0] = 0x80;
	assert_int_equal(stun_stream_frame_len(buf, sizeof(buf)), -1);
	buf[0] = 0xC0;
	assert_int_equal(stun_stream_frame_len(buf, sizeof(buf)), -1);
	buf[0] = 0xFF;
	assert_int_equal(stun_stream_frame_len(buf, sizeof(buf)), -1);
	/* STUN-looking but wrong cookie */
	raw_header(buf, 0x0001, 4);
	buf[4] = 0x12;
	assert_int_equal(stun_stream_frame_len(buf, sizeof(buf)), -1);
	/* STUN with a length that is not a multiple of 4 */
	raw_header(buf, 0x0001, 6);
	assert_int_equal(stun_stream_frame_len(buf, sizeof(buf)), -1);
}

/* A short stream is judged from its first byte, not left waiting for 4. */
static void test_stream_frame_len_garbage_first_byte_alone(void **state)
{
	uint8_t b[3] = {0x80, 0, 0};

	(void)state;
	for (int v = 0x80; v <= 0xFF; v++) {
		b[0] = (uint8_t)v;
		for (size_t avail = 1; avail <= 3; avail++)
			assert_int_equal(stun_stream_frame_len(b, avail), -1);
	}
	b[0] = 0x00;
	assert_int_equal(stun_stream_frame_len(b, 3), 0);
	b[0] = 0x40;
	assert_int_equal(stun_stream_frame_len(b, 3), 0);
}

static void test_stream_frame_len_walks_mixed_stream(void **state)
{
	uint8_t stream[512];
	size_t off = 0, n = 0;
	long frames[4];
	int count = 0;

	(void)state;
	turn_channeldata_header(stream, 0x4000, 3);
	memset(stream + 4, 'x', 8);
	off = 8;
	memcpy(stream + off, rfc5769_response_v4, sizeof(rfc5769_response_v4));
	off += sizeof(rfc5769_response_v4);
	turn_channeldata_header(stream + off, 0x7FFF, 0);
	off += 4;
	memcpy(stream + off, rfc5769_request_lt, sizeof(rfc5769_request_lt));
	off += sizeof(rfc5769_request_lt);

	while (n < off) {
		long r = stun_stream_frame_len(stream + n, off - n);

		assert_true(r > 0);
		assert_true((size_t)r <= off - n);
		assert_true(count < 4);
		frames[count++] = r;
		n += (size_t)r;
	}
	assert_int_equal(count, 4);
	assert_int_equal(frames[0], 8);
	assert_int_equal(frames[1], sizeof(rfc5769_response_v4));
	assert_int_equal(frames[2], 4);
	assert_int_equal(frames[3], sizeof(rfc5769_request_lt));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_channeldata_parse_datagram),
	    cmocka_unit_test(test_channeldata_channel_range),
	    cmocka_unit_test(test_channeldata_length_past_datagram_rejected),
	    cmocka_unit_test(test_stream_frame_len_stun),
	    cmocka_unit_test(test_stream_frame_len_padded_channeldata),
	    cmocka_unit_test(test_stream_frame_len_garbage),
	    cmocka_unit_test(test_stream_frame_len_garbage_first_byte_alone),
	    cmocka_unit_test(test_stream_frame_len_walks_mixed_stream),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
