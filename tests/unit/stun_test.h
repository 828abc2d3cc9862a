/*
 * stun_test.h - what the unit tests of src/stun (test_stun_*.c) share: the
 * RFC 5769 / RFC 8489 B.1 keys, a fixed transaction ID, raw message writers
 * for malformed input, and address and attribute assertions. Include after
 * <cmocka.h>.
 */
#ifndef TESTS_UNIT_STUN_TEST_H
#define TESTS_UNIT_STUN_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "client/rfc5769_vectors.h"
#include "stun/stun.h"

#define FP_XOR 0x5354554Eu

static const uint8_t test_tid[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* RFC 5769 §2.4 / RFC 8489 B.1 keys: MD5 and SHA-256 of "username:realm:password" */
static const uint8_t lt_key_md5[16] = {
    0xe8, 0xca, 0x7a, 0xd5, 0x9d, 0x5e, 0xb0, 0x51, 0x8e, 0x31, 0x29, 0x11, 0xd2, 0xda, 0xb2, 0xa9,
};
static const uint8_t lt_key_sha256[32] = {
    0xdd, 0x29, 0x5a, 0x61, 0x3b, 0x90, 0x58, 0xc3, 0xc2, 0x3d, 0x6d, 0xc7, 0x16, 0x5b, 0xda, 0x07,
    0x23, 0x04, 0xd9, 0x89, 0xc9, 0xd0, 0xaf, 0x3a, 0x8c, 0x7e, 0x18, 0x4b, 0x4f, 0x9b, 0xb4, 0xa1,
};

static inline const uint8_t *pw(void)
{
	return (const uint8_t *)RFC5769_PASSWORD;
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes a message header (Binding request, test_tid) with the given body length. */
static inline size_t raw_header(uint8_t *buf, uint16_t type, uint16_t body_len)
{
	put16(buf, type);
	put16(buf + 2, body_len);
	buf[4] = 0x21;
	buf[5] = 0x12;
	buf[6] = 0xa4;
	buf[7] = 0x42;
	memcpy(buf + 8, test_tid, STUN_TID_LEN);
	return STUN_HEADER_LEN;
}

/* Appends one attribute with zero padding; returns the bytes written. */
static inline size_t raw_attr(uint8_t *p, uint16_t type, uint16_t len, const void *val)
{
	size_t padded = (len + 3u) & ~3u;

	put16(p, type);
	put16(p + 2, len);
	if (len)
		memcpy(p + 4, val, len);
	memset(p + 4 + len, 0, padded - len);
	return 4 + padded;
}

/* Sets the header length field to cover everything up to `total`. */
static inline void raw_finish(uint8_t *buf, size_t total)
{
	put16(buf + 2, (uint16_t)(total - STUN_HEADER_LEN));
}

/* One attribute of raw_msg: its type, length and value (NULL when empty). */
struct raw_a {
	uint16_t type;
	uint16_t len;
	const void *val;
};

/* A whole message of `type` (raw_header) with the attributes a[0..na-1] and its length set; returns
 * its size. */
static inline size_t raw_msg(uint8_t *buf, uint16_t type, const struct raw_a *a, size_t na)
{
	size_t n = raw_header(buf, type, 0);

	for (size_t i = 0; i < na; i++)
		n += raw_attr(buf + n, a[i].type, a[i].len, a[i].val);
	raw_finish(buf, n);
	return n;
}

/* raw_msg with the attributes given inline: RAW_MSG(buf, type, {t, len, val}, ...). */
#define RAW_MSG(buf, type, ...)                                                                    \
	raw_msg(buf, type, (const struct raw_a[]){__VA_ARGS__},                                    \
		sizeof((const struct raw_a[]){__VA_ARGS__}) / sizeof(struct raw_a))

static inline struct sockaddr_storage addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, ip, &s6->sin6_addr), 1);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, ip, &s4->sin_addr), 1);
	}
	return ss;
}

static inline void assert_addr(const struct sockaddr_storage *got, const char *ip, uint16_t port)
{
	struct sockaddr_storage want = addr(ip, port);

	assert_int_equal(got->ss_family, want.ss_family);
	if (want.ss_family == AF_INET) {
		const struct sockaddr_in *g = (const struct sockaddr_in *)got;
		const struct sockaddr_in *w = (const struct sockaddr_in *)&want;

		assert_int_equal(ntohs(g->sin_port), port);
		assert_memory_equal(&g->sin_addr, &w->sin_addr, 4);
	} else {
		const struct sockaddr_in6 *g = (const struct sockaddr_in6 *)got;
		const struct sockaddr_in6 *w = (const struct sockaddr_in6 *)&want;

		assert_int_equal(ntohs(g->sin6_port), port);
		assert_memory_equal(&g->sin6_addr, &w->sin6_addr, 16);
	}
}

static const struct stun_attr *must_find(const struct stun_msg *m, uint16_t type)
{
	const struct stun_attr *a = stun_msg_find(m, type);

	assert_non_null(a);
	return a;
}

static inline void assert_attr_str(const struct stun_msg *m, uint16_t type, const char *s)
{
	const struct stun_attr *a = must_find(m, type);

	assert_int_equal(a->len, strlen(s));
	assert_memory_equal(a->val, s, strlen(s));
}

static inline void parse_ok(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	assert_int_equal(stun_msg_parse(m, buf, len), STUN_PARSE_OK);
}

#endif
