/*
 * demux.c - RFC 7983 demultiplexing of a media port by the first byte,
 * with the STUN magic cookie required (RFC 8489 §6) and RTCP told from RTP
 * by its packet type (RFC 5761 §4).
 */
#include "anchor/demux.h"
#include "stun/stun.h"

enum demux_kind demux_classify(const uint8_t *buf, size_t len)
{
	uint8_t b;

	if (len == 0)
		return DEMUX_DROP;
	b = buf[0];
	if (b <= 3) {
		uint32_t cookie;

		if (len < STUN_HEADER_LEN)
			return DEMUX_DROP;
		cookie = (uint32_t)buf[4] << 24 | (uint32_t)buf[5] << 16 | (uint32_t)buf[6] << 8 |
			 buf[7];
		return cookie == STUN_MAGIC_COOKIE ? DEMUX_STUN : DEMUX_DROP;
	}
	if (b >= 16 && b <= 19)
		return len >= DEMUX_ZRTP_MIN_LEN ? DEMUX_ZRTP : DEMUX_DROP;
	if (b >= 20 && b <= 63)
		return len >= DEMUX_DTLS_MIN_LEN ? DEMUX_DTLS : DEMUX_DROP;
	if (b >= 64 && b <= 79)
		return len >= DEMUX_CHANNEL_MIN_LEN ? DEMUX_TURN_CHANNEL : DEMUX_DROP;
	if (b >= 128 && b <= 191) {
		if (len >= 2 && buf[1] >= 192 && buf[1] <= 223)
			return len >= DEMUX_RTCP_MIN_LEN ? DEMUX_RTCP : DEMUX_DROP;
		return len >= DEMUX_RTP_MIN_LEN ? DEMUX_RTP : DEMUX_DROP;
	}
	return DEMUX_DROP;
}

const char *demux_kind_name(enum demux_kind k)
{
	switch (k) {
	case DEMUX_DROP:
		return "drop";
	case DEMUX_STUN:
		return "stun";
	case DEMUX_ZRTP:
		return "zrtp";
	case DEMUX_DTLS:
		return "dtls";
	case DEMUX_TURN_CHANNEL:
		return "turn-channel";
	case DEMUX_RTP:
		return "rtp";
	case DEMUX_RTCP:
		return "rtcp";
	default:
		return "unknown";
	}
}
