/*
 * fuzz_relay_parse.c - libFuzzer harness for the kernel module's payload
 * classification (kernel/turnrelay_parse.h). Checks that the class agrees
 * with the first byte and with the server's own STUN and ChannelData checks,
 * and that the parser reads nothing past the first TURNRELAY_PARSE_PEEK_LEN
 * bytes (the input is re-parsed from a heap copy of just those bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernel/turnrelay_parse.h"
#include "stun/stun.h"
#include "tests/fuzz/fuzz.h"

static void check_against_codec(const uint8_t *data, size_t size, enum turnrelay_pkt_class cls,
				const struct turnrelay_pkt *pkt)
{
	const uint8_t *payload;
	uint16_t channel, dlen;
	int cd_ok = turn_channeldata_parse(data, size, &channel, &payload, &dlen) == 0;

	/* the codec's check allows a first byte up to 63; RFC 7983 gives STUN 0-3 */
	CHECK((cls == TURNRELAY_PKT_STUN) == (stun_looks_like_stun(data, size) && data[0] <= 3));
	CHECK((cls == TURNRELAY_PKT_CHANNELDATA) == cd_ok);
	if (cls == TURNRELAY_PKT_CHANNELDATA) {
		CHECK(pkt->channel == channel && pkt->data_len == dlen);
		CHECK((size_t)pkt->data_len + TURNRELAY_CD_HDR_LEN <= size);
	} else if (cls != TURNRELAY_PKT_MALFORMED || size == 0 ||
		   !turnrelay_first_byte_is_channeldata(data[0])) {
		CHECK(pkt->channel == 0);
		CHECK(pkt->data_len == (size > 0xFFFF ? 0xFFFF : size));
	}
}

static void check_first_byte(const uint8_t *data, size_t size, enum turnrelay_pkt_class cls)
{
	if (size == 0) {
		CHECK(cls == TURNRELAY_PKT_SHORT);
		return;
	}
	switch (cls) {
	case TURNRELAY_PKT_STUN:
		CHECK(data[0] <= 3 && size >= TURNRELAY_STUN_HDR_LEN);
		break;
	case TURNRELAY_PKT_DTLS:
		CHECK(data[0] >= 20 && data[0] <= 63);
		break;
	case TURNRELAY_PKT_CHANNELDATA:
		CHECK(data[0] >= 64 && data[0] <= 127);
		break;
	case TURNRELAY_PKT_PLAIN:
		CHECK((data[0] >= 4 && data[0] <= 19) || data[0] >= 128);
		break;
	case TURNRELAY_PKT_SHORT:
		CHECK((data[0] <= 3 && size < TURNRELAY_STUN_HDR_LEN) ||
		      (data[0] >= 64 && data[0] <= 127 && size < TURNRELAY_CD_HDR_LEN));
		break;
	case TURNRELAY_PKT_MALFORMED:
		CHECK(data[0] <= 3 || (data[0] >= 64 && data[0] <= 127));
		break;
	default:
		CHECK(0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t peek = size < TURNRELAY_PARSE_PEEK_LEN ? size : TURNRELAY_PARSE_PEEK_LEN;
	struct turnrelay_pkt pkt, again;
	enum turnrelay_pkt_class cls;
	uint8_t *head;

	cls = turnrelay_parse(data, size, &pkt);
	check_first_byte(data, size, cls);
	check_against_codec(data, size, cls, &pkt);

	head = malloc(peek ? peek : 1);
	CHECK(head != NULL);
	memcpy(head, data, peek);
	CHECK(turnrelay_parse(head, size, &again) == cls);
	CHECK(again.channel == pkt.channel && again.data_len == pkt.data_len);
	free(head);
	return 0;
}
