/*
 * fuzz_channeldata.c - libFuzzer harness for ChannelData (RFC 8656 §12.4)
 * and stream framing (§12.5). The input is parsed once as a datagram, then
 * walked as a TCP byte stream frame by frame; every complete frame must
 * parse as what its first byte says it is.
 */
#include <stdint.h>
#include <stdlib.h>

#include "stun/stun.h"
#include "tests/fuzz/fuzz.h"

static void check_datagram(const uint8_t *buf, size_t len)
{
	const uint8_t *payload = NULL;
	uint16_t channel, dlen;

	if (turn_channeldata_parse(buf, len, &channel, &payload, &dlen) != 0)
		return;
	CHECK(stun_looks_like_channeldata(buf, len));
	CHECK(channel >= TURN_CHANNEL_MIN && channel <= TURN_CHANNEL_MAX);
	CHECK(payload == buf + TURN_CHANNELDATA_HDR_LEN);
	CHECK((size_t)dlen + TURN_CHANNELDATA_HDR_LEN <= len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t off = 0;

	check_datagram(data, size);
	while (off < size) {
		const uint8_t *p = data + off;
		size_t avail = size - off;
		long r = stun_stream_frame_len(p, avail);

		if (r <= 0 || (size_t)r > avail)
			break; /* garbage, or more bytes needed */
		CHECK(r >= TURN_CHANNELDATA_HDR_LEN && r % 4 == 0);
		if (stun_looks_like_channeldata(p, avail)) {
			const uint8_t *payload;
			uint16_t channel, dlen;

			CHECK(turn_channeldata_parse(p, (size_t)r, &channel, &payload, &dlen) == 0);
			CHECK((size_t)r == ((TURN_CHANNELDATA_HDR_LEN + dlen + 3u) & ~3u));
		} else {
			struct stun_msg m;
			int res = stun_msg_parse(&m, p, (size_t)r);

			CHECK(r >= STUN_HEADER_LEN);
			CHECK(res != STUN_PARSE_SHORT && res != STUN_PARSE_NOT_STUN &&
			      res != STUN_PARSE_BAD_COOKIE && res != STUN_PARSE_BAD_LENGTH);
			if (res == STUN_PARSE_OK)
				CHECK(m.len == (size_t)r);
		}
		off += (size_t)r;
	}
	return 0;
}
