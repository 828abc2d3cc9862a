/*
 * build.c - building STUN messages into a caller's buffer. Errors are
 * sticky: after the first failure every call is a no-op and
 * stun_build_end() returns 0. A message whose body would not fit the
 * 16-bit length field (RFC 8489 §5) is refused, bytes the caller sends
 * from its own buffers (stun_put_external) included.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "stun/stun.h"
#include "stun/internal.h"
#include "stun/wire.h"

static void set_len(struct stun_builder *b)
{
	wire_put16(b->buf + 2, (uint16_t)(b->len - STUN_HEADER_LEN + b->ext));
}

/* Room for n more body bytes: in the buffer (unless external) and in the length field. */
static bool room_for(const struct stun_builder *b, size_t n, bool external)
{
	if (b->err || n > STUN_MAX_BODY_LEN ||
	    b->len - STUN_HEADER_LEN + b->ext + n > STUN_MAX_BODY_LEN)
		return false;
	return external || (!b->ext_open && b->cap - b->len >= n);
}

void stun_build_start(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
		      enum stun_class cls, const uint8_t tid[STUN_TID_LEN])
{
	b->buf = buf;
	b->cap = cap > STUN_MAX_MSG_LEN ? STUN_MAX_MSG_LEN : cap;
	b->len = 0;
	b->ext = 0;
	b->ext_open = false;
	b->err = 0;
	if (b->cap < STUN_HEADER_LEN) {
		b->err = -1;
		return;
	}
	b->len = STUN_HEADER_LEN;
	wire_put16(buf, stun_type(method, cls));
	set_len(b);
	wire_put32(buf + 4, STUN_MAGIC_COOKIE);
	memcpy(buf + 8, tid, STUN_TID_LEN);
}

/* Reserves an attribute of `len` value bytes (zeroed padding); NULL on error. */
static uint8_t *reserve(struct stun_builder *b, uint16_t type, size_t len)
{
	uint8_t *p;
	size_t total = STUN_ATTR_HDR_LEN + wire_pad4(len);

	if (len > 0xFFFF || !room_for(b, total, false)) {
		b->err = -1;
		return NULL;
	}
	p = b->buf + b->len;
	wire_put16(p, type);
	wire_put16(p + 2, (uint16_t)len);
	memset(p + STUN_ATTR_HDR_LEN + len, 0, wire_pad4(len) - len);
	b->len += total;
	set_len(b);
	return p + STUN_ATTR_HDR_LEN;
}

void stun_put_external(struct stun_builder *b, uint16_t type, size_t len)
{
	uint8_t *p;

	if (len > 0xFFFF || !room_for(b, STUN_ATTR_HDR_LEN, false) ||
	    !room_for(b, STUN_ATTR_HDR_LEN + wire_pad4(len), true)) {
		b->err = -1;
		return;
	}
	p = b->buf + b->len;
	wire_put16(p, type);
	wire_put16(p + 2, (uint16_t)len);
	b->len += STUN_ATTR_HDR_LEN;
	b->ext += wire_pad4(len);
	b->ext_open = true;
	set_len(b);
}

void stun_count_external(struct stun_builder *b, size_t n)
{
	if (n % 4 || !b->ext_open || !room_for(b, n, true)) {
		b->err = -1;
		return;
	}
	b->ext += n;
	set_len(b);
}

void stun_put(struct stun_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *p = reserve(b, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p = reserve(b, type, 4);

	if (p)
		wire_put32(p, v);
}

void stun_put_str(struct stun_builder *b, uint16_t type, const char *s)
{
	stun_put(b, type, s, strlen(s));
}

static void put_address(struct stun_builder *b, uint16_t type, const struct sockaddr *sa,
			bool xor)
{
	uint8_t *p;

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
		uint32_t ip = ntohl(sin->sin_addr.s_addr);
		uint16_t port = ntohs(sin->sin_port);

		p = reserve(b, type, 8);
		if (!p)
			return;
		if (xor) {
			ip ^= STUN_MAGIC_COOKIE;
			port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
		}
		p[0] = 0;
		p[1] = STUN_FAMILY_IPV4;
		wire_put16(p + 2, port);
		wire_put32(p + 4, ip);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
		uint16_t port = ntohs(sin6->sin6_port);
		uint8_t mask[16];

		p = reserve(b, type, 20);
		if (!p)
			return;
		memcpy(p + 4, sin6->sin6_addr.s6_addr, 16);
		if (xor) {
			port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);
			wire_put32(mask, STUN_MAGIC_COOKIE);
			memcpy(mask + 4, b->buf + 8, STUN_TID_LEN);
			for (int i = 0; i < 16; i++)
				p[4 + i] ^= mask[i];
		}
		p[0] = 0;
		p[1] = STUN_FAMILY_IPV6;
		wire_put16(p + 2, port);
	} else {
		b->err = -1;
	}
}

void stun_put_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa)
{
	put_address(b, type, sa, false);
}

void stun_put_xor_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa)
{
	put_address(b, type, sa, true);
}

void stun_put_error(struct stun_builder *b, int code, const char *reason)
{
	size_t rlen;
	uint8_t *p;

	if (code < 300 || code > 699) {
		b->err = -1;
		return;
	}
	if (!reason)
		reason = stun_err_reason(code);
	rlen = strlen(reason);
	if (rlen > 763) /* RFC 8489 §14.8: fewer than 128 characters, 763 bytes */
		rlen = 763;
	p = reserve(b, STUN_ATTR_ERROR_CODE, 4 + rlen);
	if (!p)
		return;
	p[0] = p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, reason, rlen);
}

void stun_put_unknown(struct stun_builder *b, const uint16_t *types, int n)
{
	uint8_t *p = reserve(b, STUN_ATTR_UNKNOWN_ATTRIBUTES, (size_t)n * 2);

	for (int i = 0; p && i < n; i++)
		wire_put16(p + 2 * i, types[i]);
}

void stun_put_channel(struct stun_builder *b, uint16_t channel)
{
	stun_put_u32(b, STUN_ATTR_CHANNEL_NUMBER, (uint32_t)channel << 16);
}

void stun_put_transport(struct stun_builder *b, uint8_t proto)
{
	stun_put_u32(b, STUN_ATTR_REQUESTED_TRANSPORT, (uint32_t)proto << 24);
}

void stun_put_family(struct stun_builder *b, uint16_t type, uint8_t family)
{
	stun_put_u32(b, type, (uint32_t)family << 24);
}

void stun_put_even_port(struct stun_builder *b, bool reserve_next)
{
	uint8_t v = reserve_next ? 0x80 : 0;

	stun_put(b, STUN_ATTR_EVEN_PORT, &v, 1);
}

void stun_put_token(struct stun_builder *b, uint64_t token)
{
	uint8_t *p = reserve(b, STUN_ATTR_RESERVATION_TOKEN, 8);

	if (p) {
		wire_put32(p, (uint32_t)(token >> 32));
		wire_put32(p + 4, (uint32_t)token);
	}
}

/* RFC 8656 §18.13: the reserved bits are sent as 0. */
void stun_put_icmp(struct stun_builder *b, const struct stun_icmp *icmp)
{
	uint8_t *p;

	if (icmp->type > STUN_ICMP_TYPE_MAX || icmp->code > STUN_ICMP_CODE_MAX) {
		b->err = -1;
		return;
	}
	p = reserve(b, STUN_ATTR_ICMP, 8);
	if (p) {
		wire_put16(p, 0);
		wire_put16(p + 2, (uint16_t)(icmp->type << 9 | icmp->code));
		wire_put32(p + 4, icmp->error_data);
	}
}

void stun_put_pw_alg(struct stun_builder *b, uint16_t alg)
{
	stun_put_u32(b, STUN_ATTR_PASSWORD_ALGORITHM, (uint32_t)alg << 16);
}

/* RFC 5780 §7.2: the flags in the last byte, the other bits 0. */
void stun_put_change_request(struct stun_builder *b, uint8_t flags)
{
	stun_put_u32(b, STUN_ATTR_CHANGE_REQUEST, flags & (STUN_CHANGE_IP | STUN_CHANGE_PORT));
}

/* RFC 5780 §7.5: the port, then 16 bits of padding. */
void stun_put_response_port(struct stun_builder *b, uint16_t port)
{
	stun_put_u32(b, STUN_ATTR_RESPONSE_PORT, (uint32_t)port << 16);
}

/* RFC 5780 §7.6: PADDING's value is len bytes that mean nothing (sent as 0). */
void stun_put_padding(struct stun_builder *b, size_t len)
{
	uint8_t *p = reserve(b, STUN_ATTR_PADDING, len);

	if (p)
		memset(p, 0, len);
}

void stun_put_pw_algs(struct stun_builder *b, const uint16_t *algs, int n)
{
	uint8_t *p = reserve(b, STUN_ATTR_PASSWORD_ALGORITHMS, (size_t)n * 4);

	for (int i = 0; p && i < n; i++) {
		wire_put16(p + 4 * i, algs[i]);
		wire_put16(p + 4 * i + 2, 0);
	}
}

static void put_mac(struct stun_builder *b, uint16_t type, const char *digest, size_t mac_len,
		    const uint8_t *key, size_t key_len)
{
	size_t start = b->len;
	uint8_t mac[32];
	uint8_t *p = reserve(b, type, mac_len);

	if (!p)
		return;
	/* over the message before this attribute, length counting it */
	if (stun_hmac_msg(digest, key, key_len, b->buf, start, b->len - STUN_HEADER_LEN, mac,
			  sizeof(mac)) < (int)mac_len) {
		b->err = -1;
		return;
	}
	memcpy(p, mac, mac_len);
}

void stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t key_len)
{
	put_mac(b, STUN_ATTR_MESSAGE_INTEGRITY, "SHA1", 20, key, key_len);
}

void stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t key_len)
{
	put_mac(b, STUN_ATTR_MESSAGE_INTEGRITY_SHA256, "SHA256", 32, key, key_len);
}

void stun_put_fingerprint(struct stun_builder *b)
{
	size_t start = b->len;

	if (reserve(b, STUN_ATTR_FINGERPRINT, 4))
		stun_fingerprint_attr(b->buf + start, stun_crc32(b->buf, start));
}

size_t stun_build_end(struct stun_builder *b)
{
	return b->err ? 0 : b->len;
}
