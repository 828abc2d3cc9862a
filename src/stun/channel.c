/*
 * channel.c - ChannelData (RFC 8656 §12.4) and stream framing of STUN and
 * ChannelData over TCP/TLS (§12.5).
 */
#include "stun/stun.h"
#include "stun/wire.h"

int turn_channeldata_parse(const uint8_t *buf, size_t len, uint16_t *channel,
			   const uint8_t **data, uint16_t *data_len)
{
	uint16_t ch, dlen;

	if (len < TURN_CHANNELDATA_HDR_LEN)
		return -1;
	ch = wire_get16(buf);
	dlen = wire_get16(buf + 2);
	if (ch < TURN_CHANNEL_MIN || ch > TURN_CHANNEL_MAX)
		return -1;
	if (dlen > len - TURN_CHANNELDATA_HDR_LEN)
		return -1;
	*channel = ch;
	*data = buf + TURN_CHANNELDATA_HDR_LEN;
	*data_len = dlen;
	return 0;
}

long stun_stream_frame_len(const uint8_t *buf, size_t avail)
{
	/* the first byte alone rules out both: STUN 0x00-0x3F, ChannelData 0x40-0x7F */
	if (avail >= 1 && buf[0] >= 0x80)
		return -1;
	if (avail < 4)
		return 0;
	if (buf[0] >= 0x40 && buf[0] <= 0x7F)
		return (long)(TURN_CHANNELDATA_HDR_LEN + wire_pad4(wire_get16(buf + 2)));
	if ((buf[0] & 0xC0) != 0 || (wire_get16(buf + 2) & 3) != 0)
		return -1;
	if (avail >= 8 && wire_get32(buf + 4) != STUN_MAGIC_COOKIE)
		return -1;
	return (long)(STUN_HEADER_LEN + wire_get16(buf + 2));
}
