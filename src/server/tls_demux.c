/*
 * tls_demux.c - TLS or plain STUN/TURN on one TCP port, told apart by the
 * connection's first bytes (as RFC 7983 does for datagrams): a TLS record
 * starts with its content type, a ClientHello with 22 (handshake, RFC 8446
 * §5.1), then the legacy version's major byte 3; a STUN message starts with
 * two zero bits (RFC 8489 §5) and ChannelData with 01 (RFC 8656 §12.4).
 * A STUN type 0x16xx would be method 0x0D0 or above, which no one sends, so
 * 0x16 alone already means TLS; a second byte other than 3 means garbage.
 */
#include "server/tls.h"

#define TLS_CONTENT_HANDSHAKE 0x16
#define TLS_VERSION_MAJOR 0x03

enum tls_demux tls_demux_stream(const uint8_t *buf, size_t len)
{
	if (len == 0)
		return TLS_DEMUX_MORE;
	if (buf[0] == TLS_CONTENT_HANDSHAKE)
		return len < 2 || buf[1] == TLS_VERSION_MAJOR ? TLS_DEMUX_TLS : TLS_DEMUX_GARBAGE;
	if ((buf[0] & 0xc0) == 0x00 || (buf[0] & 0xc0) == 0x40)
		return TLS_DEMUX_PLAIN;
	return TLS_DEMUX_GARBAGE;
}
