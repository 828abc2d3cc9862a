/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * turnrelay_parse.h - classification of a UDP payload for the forwarding
 * decision: STUN, DTLS, TURN ChannelData or plain data (RFC 7983 demux on
 * the first byte, RFC 8489 magic cookie, RFC 8656 12.4 ChannelData).
 *
 * Header-only and free of kernel-only includes, so the module, the userspace
 * unit tests and the libFuzzer harness compile the same code. A parser reads
 * at most the first TURNRELAY_PARSE_PEEK_LEN bytes of the payload, and never
 * past len: the module only needs that much of a datagram in the linear part
 * of the skb.
 */
#ifndef _TURNRELAY_PARSE_H
#define _TURNRELAY_PARSE_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#endif

#define TURNRELAY_PARSE_PEEK_LEN 8
#define TURNRELAY_STUN_HDR_LEN 20
#define TURNRELAY_STUN_MAGIC_COOKIE 0x2112A442U
#define TURNRELAY_CD_HDR_LEN 4

enum turnrelay_pkt_class {
	/* none of the below: application data (RTP, SRTP, anything) */
	TURNRELAY_PKT_PLAIN,
	/* first byte 0-3, 20+ bytes, magic cookie, length a multiple of 4 */
	TURNRELAY_PKT_STUN,
	/* first byte 20-63: a DTLS record (RFC 7983) */
	TURNRELAY_PKT_DTLS,
	/* first byte 64-127, length field within the datagram */
	TURNRELAY_PKT_CHANNELDATA,
	/* empty, or shorter than the header its first byte announces */
	TURNRELAY_PKT_SHORT,
	/* STUN range without a valid STUN header, or ChannelData whose
	 * length field runs past the datagram
	 */
	TURNRELAY_PKT_MALFORMED,
};

struct turnrelay_pkt {
	/* channel number when the first byte is in the ChannelData range and
	 * the header is complete (also when MALFORMED), else 0
	 */
	__u16 channel;
	/* ChannelData: the header's length field (padding after it ignored);
	 * otherwise the whole payload, capped at 0xFFFF
	 */
	__u16 data_len;
};

static inline __u16 turnrelay_get_be16(const __u8 *p)
{
	return (__u16)((__u16)p[0] << 8 | p[1]);
}

static inline __u32 turnrelay_get_be32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline void turnrelay_put_be16(__u8 *p, __u16 v)
{
	p[0] = (__u8)(v >> 8);
	p[1] = (__u8)v;
}

/* RFC 7983 ranges of the first byte. */
static inline bool turnrelay_first_byte_is_stun(__u8 b)
{
	return b <= 3;
}

static inline bool turnrelay_first_byte_is_dtls(__u8 b)
{
	return b >= 20 && b <= 63;
}

static inline bool turnrelay_first_byte_is_channeldata(__u8 b)
{
	return b >= 64 && b <= 127;
}

/*
 * RTCP as RFC 5761 4 tells it from RTP on one port: version 2 (first byte
 * 128-191) and a second byte (RTCP packet type, or RTP marker + payload
 * type) in 192-223. Reads at most 2 bytes, never past len.
 */
static inline bool turnrelay_is_rtcp(const __u8 *buf, size_t len)
{
	return len >= 2 && buf[0] >= 128 && buf[0] <= 191 && buf[1] >= 192 && buf[1] <= 223;
}

/*
 * Classifies the UDP payload buf[0..len); fills *pkt (always, zeroed first).
 * Reads at most min(len, TURNRELAY_PARSE_PEEK_LEN) bytes.
 */
static inline enum turnrelay_pkt_class
turnrelay_parse(const __u8 *buf, size_t len, struct turnrelay_pkt *pkt)
{
	__u16 field;

	pkt->channel = 0;
	pkt->data_len = len > 0xFFFF ? 0xFFFF : (__u16)len;
	if (len == 0)
		return TURNRELAY_PKT_SHORT;
	if (turnrelay_first_byte_is_stun(buf[0])) {
		if (len < TURNRELAY_STUN_HDR_LEN)
			return TURNRELAY_PKT_SHORT;
		if (turnrelay_get_be32(buf + 4) != TURNRELAY_STUN_MAGIC_COOKIE ||
		    (turnrelay_get_be16(buf + 2) & 3) != 0)
			return TURNRELAY_PKT_MALFORMED;
		return TURNRELAY_PKT_STUN;
	}
	if (turnrelay_first_byte_is_dtls(buf[0]))
		return TURNRELAY_PKT_DTLS;
	if (!turnrelay_first_byte_is_channeldata(buf[0]))
		return TURNRELAY_PKT_PLAIN;
	if (len < TURNRELAY_CD_HDR_LEN)
		return TURNRELAY_PKT_SHORT;
	pkt->channel = turnrelay_get_be16(buf);
	field = turnrelay_get_be16(buf + 2);
	if (field > len - TURNRELAY_CD_HDR_LEN)
		return TURNRELAY_PKT_MALFORMED;
	pkt->data_len = field;
	return TURNRELAY_PKT_CHANNELDATA;
}

/* Writes the ChannelData header for data_len bytes on channel. */
static inline void turnrelay_channeldata_put(__u8 hdr[TURNRELAY_CD_HDR_LEN],
					     __u16 channel, __u16 data_len)
{
	turnrelay_put_be16(hdr, channel);
	turnrelay_put_be16(hdr + 2, data_len);
}

#endif /* _TURNRELAY_PARSE_H */
