/*
 * attr.c - attribute value decoders (RFC 8489 §14, RFC 8656 §18).
 * Each checks the value length before reading it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "stun/stun.h"
#include "stun/wire.h"

int stun_attr_u32(const struct stun_attr *a, uint32_t *out)
{
	if (a->len != 4)
		return -1;
	*out = wire_get32(a->val);
	return 0;
}

/* RFC 8489 §14.1: 0, family, port, address (4 or 16 bytes). */
static int decode_addr(const struct stun_msg *m, const struct stun_attr *a, bool xor,
		       struct sockaddr_storage *out)
{
	uint16_t port;

	if (a->len < 4)
		return -1;
	port = wire_get16(a->val + 2);
	if (xor)
		port ^= (uint16_t)(STUN_MAGIC_COOKIE >> 16);

	if (a->val[1] == STUN_FAMILY_IPV4) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
		uint32_t ip;

		if (a->len != 8)
			return -1;
		ip = wire_get32(a->val + 4);
		if (xor)
			ip ^= STUN_MAGIC_COOKIE;
		sin.sin_addr.s_addr = htonl(ip);
		memset(out, 0, sizeof(*out));
		memcpy(out, &sin, sizeof(sin));
		return 0;
	}
	if (a->val[1] == STUN_FAMILY_IPV6) {
		struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
		uint8_t mask[16];

		if (a->len != 20)
			return -1;
		memcpy(sin6.sin6_addr.s6_addr, a->val + 4, 16);
		if (xor) {
			/* RFC 8489 §14.2: XOR with magic cookie || transaction ID */
			wire_put32(mask, STUN_MAGIC_COOKIE);
			memcpy(mask + 4, m->tid, STUN_TID_LEN);
			for (int i = 0; i < 16; i++)
				sin6.sin6_addr.s6_addr[i] ^= mask[i];
		}
		memset(out, 0, sizeof(*out));
		memcpy(out, &sin6, sizeof(sin6));
		return 0;
	}
	return -1;
}

int stun_attr_addr(const struct stun_msg *m, const struct stun_attr *a,
		   struct sockaddr_storage *out)
{
	return decode_addr(m, a, false, out);
}

int stun_attr_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
		       struct sockaddr_storage *out)
{
	return decode_addr(m, a, true, out);
}

/* RFC 8489 §14.8: 21 reserved bits, class (3 bits), number (8 bits), reason. */
int stun_attr_error(const struct stun_attr *a, int *code, const char **reason,
		    size_t *reason_len)
{
	int cls, num;

	if (a->len < 4)
		return -1;
	cls = a->val[2] & 0x07;
	num = a->val[3];
	if (cls < 3 || cls > 6 || num > 99)
		return -1;
	*code = cls * 100 + num;
	*reason = (const char *)a->val + 4;
	*reason_len = a->len - 4u;
	return 0;
}

/* RFC 8656 §18.1: channel number, then 16 reserved bits. */
int stun_attr_channel(const struct stun_attr *a, uint16_t *channel)
{
	if (a->len != 4)
		return -1;
	*channel = wire_get16(a->val);
	return 0;
}

/* RFC 8656 §18.7: protocol, then 24 reserved bits. */
int stun_attr_transport(const struct stun_attr *a, uint8_t *proto)
{
	if (a->len != 4)
		return -1;
	*proto = a->val[0];
	return 0;
}

/* RFC 8656 §18.8, §18.11: family, then 24 reserved bits. */
int stun_attr_family(const struct stun_attr *a, uint8_t *family)
{
	if (a->len != 4)
		return -1;
	*family = a->val[0];
	return 0;
}

/* RFC 8656 §18.6: one byte, R in the top bit. */
int stun_attr_even_port(const struct stun_attr *a, bool *reserve_next)
{
	if (a->len != 1)
		return -1;
	*reserve_next = (a->val[0] & 0x80) != 0;
	return 0;
}

int stun_attr_token(const struct stun_attr *a, uint64_t *token)
{
	if (a->len != 8)
		return -1;
	*token = (uint64_t)wire_get32(a->val) << 32 | wire_get32(a->val + 4);
	return 0;
}

/* RFC 8656 §18.13: the reserved bits are ignored when received. */
int stun_attr_icmp(const struct stun_attr *a, struct stun_icmp *out)
{
	uint16_t tc;

	if (a->len != 8)
		return -1;
	tc = wire_get16(a->val + 2);
	out->type = (uint8_t)(tc >> 9);
	out->code = tc & STUN_ICMP_CODE_MAX;
	out->error_data = wire_get32(a->val + 4);
	return 0;
}

/*
 * RFC 8489 §14.12: algorithm, parameters length, parameters. MD5 and
 * SHA-256 take no parameters (§18.5), and they are the only ones we know.
 */
int stun_attr_pw_alg(const struct stun_attr *a, uint16_t *alg)
{
	if (a->len != 4 || wire_get16(a->val + 2) != 0)
		return -1;
	*alg = wire_get16(a->val);
	return 0;
}

int stun_attr_mobility_ticket(const struct stun_attr *a, uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	if (a->len == 0)
		return 0;
	if (a->len != STUN_MOBILITY_TICKET_LEN)
		return -1;
	memcpy(ticket, a->val, STUN_MOBILITY_TICKET_LEN);
	return STUN_MOBILITY_TICKET_LEN;
}

int stun_attr_unknown_list(const struct stun_attr *a, uint16_t *types, int max)
{
	int n = 0;

	if (a->len % 2)
		return -1;
	for (size_t i = 0; i + 1 < a->len && n < max; i += 2)
		types[n++] = wire_get16(a->val + i);
	return n;
}

/*
 * RFC 5780 §7.2: CHANGE-REQUEST is 32 bits, "change IP" (0x4) and "change
 * port" (0x2) set or not; the other bits are sent as 0 and not read.
 */
int stun_attr_change_request(const struct stun_attr *a, uint8_t *flags)
{
	if (a->len != 4)
		return -1;
	*flags = a->val[3] & (STUN_CHANGE_IP | STUN_CHANGE_PORT);
	return 0;
}

/* RFC 5780 §7.5: a 16-bit port, then 16 bits of padding; port 0 is no port. */
int stun_attr_response_port(const struct stun_attr *a, uint16_t *port)
{
	if (a->len != 4)
		return -1;
	*port = wire_get16(a->val);
	return *port ? 0 : -1;
}
