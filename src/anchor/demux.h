/*
 * demux.h - what a datagram on a media port is, from its first bytes
 * (RFC 7983, RFC 5764 §5.1.2, RFC 5761 §4 for RTP and RTCP on one port).
 */
#ifndef ANCHOR_DEMUX_H
#define ANCHOR_DEMUX_H

#include <stddef.h>
#include <stdint.h>

enum demux_kind {
	DEMUX_DROP,	    /* empty, too short, or a first byte nothing claims */
	DEMUX_STUN,	    /* 0-3, at least 20 bytes, with the magic cookie */
	DEMUX_ZRTP,	    /* 16-19 */
	DEMUX_DTLS,	    /* 20-63 */
	DEMUX_TURN_CHANNEL, /* 64-79 */
	DEMUX_RTP,	    /* 128-191, second byte not an RTCP packet type */
	DEMUX_RTCP,	    /* 128-191, second byte 192-223 */
};

#define DEMUX_RTP_MIN_LEN 12	/* RFC 3550 §5.1 fixed header */
#define DEMUX_RTCP_MIN_LEN 8	/* RFC 3550 §6.4.1: header and SSRC */
#define DEMUX_DTLS_MIN_LEN 13	/* RFC 6347 §4.1 record header */
#define DEMUX_ZRTP_MIN_LEN 12	/* RFC 6189 §5: ZRTP packet header */
#define DEMUX_CHANNEL_MIN_LEN 4 /* RFC 8656 §12.4 ChannelData header */

enum demux_kind demux_classify(const uint8_t *buf, size_t len);
const char *demux_kind_name(enum demux_kind k);

#endif
