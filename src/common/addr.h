/*
 * addr.h - socket address helpers for AF_INET and AF_INET6.
 *
 * Everything here works on a struct sockaddr that is really a sockaddr_in
 * or sockaddr_in6 (any other family is "unknown": length 0, port 0, never
 * equal). The small helpers are inline because they sit on the data path:
 * every received datagram is hashed and compared against allocation and
 * permission tables.
 *
 * Pass whole objects: a sockaddr_storage, or a sockaddr_in/_in6 of the
 * family it claims (GCC's -Warray-bounds may object to a bare sockaddr_in
 * whose family it cannot see, as the inline AF_INET6 branch would overread).
 *
 * Addresses are compared as they are: 1.2.3.4 and ::ffff:1.2.3.4 differ.
 * Code that reads from a dual-stack IPv6 socket calls addr_normalize() on
 * the source address first, so that tables only ever hold plain IPv4.
 * The IPv6 scope id and flow info are ignored by comparison and hashing.
 */
#ifndef COMMON_ADDR_H
#define COMMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

/* Any IPv4 or IPv6 socket address, compactly. */
union sockaddr_u {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/* Enough for "[" IPv6 "]:" port, including an IPv4-mapped tail, and NUL. */
#define ADDR_STRLEN 64

/*
 * Parse a numeric address: "1.2.3.4", "1.2.3.4:5", "::1", "[::1]" or
 * "[::1]:5" (no DNS, no zone ids, no whitespace). default_port is used when
 * the string has none. Writes *out and, if len is not NULL, *len.
 * Returns 0, or -1 with the outputs untouched.
 */
int addr_parse(const char *s, uint16_t default_port, struct sockaddr_storage *out, socklen_t *len);

/*
 * Format "1.2.3.4:5" or "[::1]:5" into buf (ADDR_STRLEN bytes suffice) and
 * return buf. Never fails: an unknown family prints "<unknown>", a short
 * buffer is truncated (and NUL-terminated if len > 0).
 */
const char *addr_str(const struct sockaddr *sa, char *buf, size_t len);

/* Same as addr_str() without the port or brackets: "1.2.3.4", "::1". */
const char *addr_ip_str(const struct sockaddr *sa, char *buf, size_t len);

static inline socklen_t addr_len(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return sizeof(struct sockaddr_in);
	case AF_INET6:
		return sizeof(struct sockaddr_in6);
	default:
		return 0;
	}
}

/* Port in host byte order; 0 for an unknown family. */
static inline uint16_t addr_port(const struct sockaddr *sa)
{
	switch (sa->sa_family) {
	case AF_INET:
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	case AF_INET6:
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	default:
		return 0;
	}
}

/* Set the port (host byte order); does nothing for an unknown family. */
static inline void addr_set_port(struct sockaddr *sa, uint16_t port)
{
	switch (sa->sa_family) {
	case AF_INET:
		((struct sockaddr_in *)sa)->sin_port = htons(port);
		break;
	case AF_INET6:
		((struct sockaddr_in6 *)sa)->sin6_port = htons(port);
		break;
	default:
		break;
	}
}

/*
 * Compare family and IP, and the port too if with_port. Each family is read
 * only inside its own branch, so callers may pass a plain sockaddr_in.
 */
static inline bool addr_cmp_ip_port(const struct sockaddr *a, const struct sockaddr *b,
				    bool with_port)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_addr.s_addr == y->sin_addr.s_addr &&
		       (!with_port || x->sin_port == y->sin_port);
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0 &&
		       (!with_port || x->sin6_port == y->sin6_port);
	}
	return false;
}

/* Same family and IP address; ports are not compared. */
static inline bool addr_ip_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	return addr_cmp_ip_port(a, b, false);
}

/* Same family, IP address and port. */
static inline bool addr_equal(const struct sockaddr *a, const struct sockaddr *b)
{
	return addr_cmp_ip_port(a, b, true);
}

/* One keyed mixing step: a full-avalanche 32-bit permutation of h ^ w. */
static inline uint32_t addr_hash_step(uint32_t h, uint32_t w)
{
	h ^= w;
	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	h ^= h >> 16;
	return h;
}

/*
 * Hash family, IP and port (so addr_equal() addresses hash alike), for
 * tables keyed by one side of a 5-tuple. Fast, not cryptographic: pick a
 * random seed per process and keep bucket chains bounded.
 */
static inline uint32_t addr_hash(const struct sockaddr *sa, uint32_t seed)
{
	uint32_t h = addr_hash_step(seed, 0x9e3779b9U ^ sa->sa_family);

	switch (sa->sa_family) {
	case AF_INET: {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		h = addr_hash_step(h, in->sin_addr.s_addr);
		return addr_hash_step(h, in->sin_port);
	}
	case AF_INET6: {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		uint32_t w[4];

		memcpy(w, &in6->sin6_addr, sizeof(w));
		h = addr_hash_step(h, w[0]);
		h = addr_hash_step(h, w[1]);
		h = addr_hash_step(h, w[2]);
		h = addr_hash_step(h, w[3]);
		return addr_hash_step(h, in6->sin6_port);
	}
	default:
		return h;
	}
}

/* True for an AF_INET6 address in ::ffff:0:0/96. */
static inline bool addr_is_v4mapped(const struct sockaddr *sa)
{
	static const uint8_t prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return sa->sa_family == AF_INET6 &&
	       memcmp(((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr, prefix,
		      sizeof(prefix)) == 0;
}

/*
 * If sa is an IPv4-mapped IPv6 address (::ffff:a.b.c.d), write the plain
 * IPv4 address (a sockaddr_in) with the same port to *out and return true;
 * otherwise return false and leave *out untouched. out may be the storage
 * sa points into.
 */
static inline bool addr_unmap_v4(const struct sockaddr *sa, struct sockaddr_storage *out)
{
	const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
	struct sockaddr_in in;

	if (!addr_is_v4mapped(sa))
		return false;
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	in.sin_port = in6->sin6_port;
	memcpy(&in.sin_addr, &in6->sin6_addr.s6_addr[12], 4);
	memset(out, 0, sizeof(*out));
	memcpy(out, &in, sizeof(in));
	return true;
}

/* In place: turn an IPv4-mapped IPv6 address into plain IPv4. */
static inline void addr_normalize(struct sockaddr_storage *ss)
{
	addr_unmap_v4((const struct sockaddr *)ss, ss);
}

/* Write sin as ::ffff:a.b.c.d with the same port, for a dual-stack socket. */
static inline void addr_map_v4(const struct sockaddr_in *sin, struct sockaddr_in6 *out)
{
	struct sockaddr_in6 in6;

	memset(&in6, 0, sizeof(in6));
	in6.sin6_family = AF_INET6;
	in6.sin6_port = sin->sin_port;
	in6.sin6_addr.s6_addr[10] = 0xff;
	in6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&in6.sin6_addr.s6_addr[12], &sin->sin_addr, 4);
	*out = in6;
}

#endif /* COMMON_ADDR_H */
