/*
 * dtls_cookie.c - the stateless half of DTLS (RFC 6347 §4.2.1): record
 * framing checks, the first ClientHello's fields, the cookie and the
 * HelloVerifyRequest. No I/O and no state: a ClientHello without a valid
 * cookie costs one HMAC and one small datagram, never memory.
 */
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

#include "server/dtls.h"
#include "stun/wire.h"

#define CT_CHANGE_CIPHER_SPEC 20
#define CT_APPLICATION_DATA 23
#define CT_HANDSHAKE 22
#define HS_CLIENT_HELLO 1
#define HS_HELLO_VERIFY_REQUEST 3
#define DTLS_MAJOR 0xFE
#define DTLS1_0_MINOR 0xFF

static uint32_t get24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
}

int dtls_records_check(const uint8_t *buf, size_t len)
{
	size_t off = 0;
	int n = 0;

	if (len == 0)
		return -1;
	while (off < len) {
		size_t rlen;

		if (len - off < DTLS_RECORD_HDR_LEN)
			return -1;
		if (buf[off] < CT_CHANGE_CIPHER_SPEC || buf[off] > CT_APPLICATION_DATA ||
		    buf[off + 1] != DTLS_MAJOR)
			return -1;
		rlen = wire_get16(buf + off + 11);
		if (rlen > DTLS_MAX_RECORD_LEN || rlen > len - off - DTLS_RECORD_HDR_LEN)
			return -1;
		off += DTLS_RECORD_HDR_LEN + rlen;
		n++;
	}
	return n;
}

/*
 * RFC 6347 §4.1, §4.2.2: record (type, version, epoch, sequence, length),
 * handshake header (type, length, message_seq, fragment offset and
 * length), then ClientHello: client_version, random, session_id<0..32>,
 * cookie<0..2^8-1>; what follows is OpenSSL's to read.
 */
int dtls_hello_parse(const uint8_t *buf, size_t len, struct dtls_hello *h)
{
	const uint8_t *hs, *body;
	size_t rlen, mlen, off;

	if (dtls_records_check(buf, len) < 1 || buf[0] != CT_HANDSHAKE)
		return -1;
	if (wire_get16(buf + 3) != 0) /* epoch 0: nothing negotiated yet */
		return -1;
	rlen = wire_get16(buf + 11);
	hs = buf + DTLS_RECORD_HDR_LEN;
	if (rlen < DTLS_HANDSHAKE_HDR_LEN || hs[0] != HS_CLIENT_HELLO)
		return -1;
	mlen = get24(hs + 1);
	/* one whole fragment: offset 0, fragment length = message length */
	if (get24(hs + 6) != 0 || get24(hs + 9) != mlen || mlen > rlen - DTLS_HANDSHAKE_HDR_LEN)
		return -1;
	body = hs + DTLS_HANDSHAKE_HDR_LEN;
	off = 2 + 32;
	if (mlen < off + 1 || body[0] != DTLS_MAJOR)
		return -1;
	if (body[off] > 32 || mlen < off + 1 + body[off] + 1)
		return -1;
	off += 1 + body[off];
	if (mlen < off + 1 + body[off])
		return -1;
	memcpy(h->record_seq, buf + 5, 6);
	h->message_seq = wire_get16(hs + 4);
	h->cookie_len = body[off];
	h->cookie = body + off + 1;
	return 0;
}

/* An address as family, port and IP, the HMAC's input. */
static size_t addr_bytes(const struct sockaddr *sa, uint8_t *out)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		out[0] = 4;
		memcpy(out + 1, &in->sin_port, 2);
		memcpy(out + 3, &in->sin_addr, 4);
		return 7;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		out[0] = 6;
		memcpy(out + 1, &in6->sin6_port, 2);
		memcpy(out + 3, &in6->sin6_addr, 16);
		return 19;
	}
	out[0] = 0;
	return 1;
}

/* Cookie = epoch's low byte, HMAC-SHA256(secret, epoch, local, client) cut to 19 bytes. */
void dtls_cookie_make(const uint8_t secret[32], uint32_t epoch, const struct sockaddr *local,
		      const struct sockaddr *client, uint8_t out[DTLS_COOKIE_LEN])
{
	uint8_t in[4 + 19 + 19], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;
	size_t n = 4;

	wire_put32(in, epoch);
	n += addr_bytes(local, in + n);
	n += addr_bytes(client, in + n);
	HMAC(EVP_sha256(), secret, 32, in, n, mac, &mac_len);
	out[0] = (uint8_t)epoch;
	memcpy(out + 1, mac, DTLS_COOKIE_LEN - 1);
}

bool dtls_cookie_valid(const uint8_t secret[32], uint32_t now_epoch, const struct sockaddr *local,
		       const struct sockaddr *client, const uint8_t *cookie, size_t len)
{
	uint8_t want[DTLS_COOKIE_LEN];
	uint32_t epoch;

	if (len != DTLS_COOKIE_LEN)
		return false;
	if (cookie[0] == (uint8_t)now_epoch)
		epoch = now_epoch;
	else if (cookie[0] == (uint8_t)(now_epoch - 1))
		epoch = now_epoch - 1;
	else
		return false;
	dtls_cookie_make(secret, epoch, local, client, want);
	return CRYPTO_memcmp(want, cookie, DTLS_COOKIE_LEN) == 0;
}

/*
 * RFC 6347 §4.2.1: version DTLS 1.0 in the record and the message whatever
 * is negotiated later, the ClientHello's record sequence number, and its
 * message_seq (§4.2.2).
 */
size_t dtls_hvr_build(const struct dtls_hello *h, const uint8_t *cookie, size_t cookie_len,
		      uint8_t *out, size_t cap)
{
	size_t body = 3 + cookie_len, hs = DTLS_HANDSHAKE_HDR_LEN + body;
	size_t total = DTLS_RECORD_HDR_LEN + hs;
	uint8_t *p;

	if (cookie_len > 255 || total > cap)
		return 0;
	out[0] = CT_HANDSHAKE;
	out[1] = DTLS_MAJOR;
	out[2] = DTLS1_0_MINOR;
	wire_put16(out + 3, 0);
	memcpy(out + 5, h->record_seq, 6);
	wire_put16(out + 11, (uint16_t)hs);
	p = out + DTLS_RECORD_HDR_LEN;
	p[0] = HS_HELLO_VERIFY_REQUEST;
	put24(p + 1, (uint32_t)body);
	wire_put16(p + 4, h->message_seq);
	put24(p + 6, 0);
	put24(p + 9, (uint32_t)body);
	p += DTLS_HANDSHAKE_HDR_LEN;
	p[0] = DTLS_MAJOR;
	p[1] = DTLS1_0_MINOR;
	p[2] = (uint8_t)cookie_len;
	memcpy(p + 3, cookie, cookie_len);
	return total;
}
