/*
 * test_stun_build_limits.c - the STUN builder (src/stun/build.c) never
 * makes a message whose body does not fit the 16-bit length field
 * (RFC 8489 §5), counting attributes whose value the caller sends from its
 * own buffer (stun_put_external, the Data indications of relayed data):
 * a 65,499-byte datagram from an IPv6 peer with FINGERPRINT used to wrap
 * the length to 0. Refusals are sticky.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "stun/stun.h"

#define BIG_DATAGRAM 65499 /* 65535 - 36: the largest the relay reads */

static const uint8_t tid[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

static struct sockaddr_storage peer(int family)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(5000);
		inet_pton(AF_INET6, "2001:db8::1", &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(5000);
		inet_pton(AF_INET, "192.0.2.1", &s4->sin_addr);
	}
	return ss;
}

/* The head of a Data indication as the relay builds it; its length or 0. */
static size_t data_head(int family, size_t data_len, bool fp, uint8_t *buf, size_t cap)
{
	struct sockaddr_storage p = peer(family);
	struct stun_builder b;

	stun_build_start(&b, buf, cap, TURN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&p);
	stun_put_external(&b, STUN_ATTR_DATA, data_len);
	if (fp)
		stun_count_external(&b, 8);
	return stun_build_end(&b);
}

static uint16_t len_field(const uint8_t *buf)
{
	return (uint16_t)(buf[2] << 8 | buf[3]);
}

static void test_ipv6_peer_big_datagram_with_fingerprint_is_refused(void **state)
{
	uint8_t buf[64];

	(void)state;
	/* 24 + 4 + 65500 + 8 = 65536: one past the length field */
	assert_int_equal(data_head(AF_INET6, BIG_DATAGRAM, true, buf, sizeof(buf)), 0);
}

static void test_ipv6_peer_big_datagram_without_fingerprint_fits(void **state)
{
	uint8_t buf[64];

	(void)state;
	assert_int_equal(data_head(AF_INET6, BIG_DATAGRAM, false, buf, sizeof(buf)), 48);
	assert_int_equal(len_field(buf), 24 + 4 + 65500);
}

static void test_ipv4_peer_big_datagram_with_fingerprint_fits(void **state)
{
	uint8_t buf[64];

	(void)state;
	assert_int_equal(data_head(AF_INET, BIG_DATAGRAM, true, buf, sizeof(buf)), 36);
	assert_int_equal(len_field(buf), 12 + 4 + 65500 + 8);
	assert_int_equal(buf[32] << 8 | buf[33], STUN_ATTR_DATA);
	assert_int_equal(buf[34] << 8 | buf[35], BIG_DATAGRAM);
}

static void test_body_of_exactly_the_limit_fits_and_one_word_more_does_not(void **state)
{
	uint8_t buf[64];
	/* IPv4 head: 12 + 4 + data; the largest body is STUN_MAX_BODY_LEN */
	size_t most = STUN_MAX_BODY_LEN - 12 - 4;

	(void)state;
	assert_int_not_equal(data_head(AF_INET, most, false, buf, sizeof(buf)), 0);
	assert_int_equal(len_field(buf), STUN_MAX_BODY_LEN);
	assert_int_equal(data_head(AF_INET, most + 1, false, buf, sizeof(buf)), 0);
	assert_int_equal(data_head(AF_INET, most - 8, true, buf, sizeof(buf)), 36);
	assert_int_equal(data_head(AF_INET, most - 7, true, buf, sizeof(buf)), 0);
}

/* Nothing goes into the buffer after an external value: it would land before it. */
static void test_attribute_after_external_value_is_refused(void **state)
{
	uint8_t buf[128];
	struct stun_builder b;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_external(&b, STUN_ATTR_DATA, 10);
	stun_put_fingerprint(&b);
	assert_int_equal(stun_build_end(&b), 0);

	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_external(&b, STUN_ATTR_DATA, 10);
	stun_put_external(&b, STUN_ATTR_DATA, 10);
	assert_int_equal(stun_build_end(&b), 0);
}

static void test_counted_bytes_need_an_external_value_and_whole_words(void **state)
{
	uint8_t buf[128];
	struct stun_builder b;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_count_external(&b, 8);
	assert_int_equal(stun_build_end(&b), 0);

	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_external(&b, STUN_ATTR_DATA, 10);
	stun_count_external(&b, 6);
	assert_int_equal(stun_build_end(&b), 0);
}

/* An empty DATA (a zero-length datagram) still takes its FINGERPRINT. */
static void test_empty_external_value_counts_its_fingerprint(void **state)
{
	uint8_t buf[128];
	size_t n;

	(void)state;
	n = data_head(AF_INET, 0, true, buf, sizeof(buf));
	assert_int_equal(n, STUN_HEADER_LEN + 12 + STUN_ATTR_HDR_LEN);
	assert_int_equal(len_field(buf), 12 + STUN_ATTR_HDR_LEN + 8);
}

/* Sticky: after a refusal, later calls that would fit change nothing. */
static void test_refusal_is_sticky(void **state)
{
	uint8_t buf[64];
	struct stun_builder b;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_external(&b, STUN_ATTR_DATA, 70000);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 1);
	assert_int_equal(stun_build_end(&b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv6_peer_big_datagram_with_fingerprint_is_refused),
	    cmocka_unit_test(test_ipv6_peer_big_datagram_without_fingerprint_fits),
	    cmocka_unit_test(test_ipv4_peer_big_datagram_with_fingerprint_fits),
	    cmocka_unit_test(test_body_of_exactly_the_limit_fits_and_one_word_more_does_not),
	    cmocka_unit_test(test_attribute_after_external_value_is_refused),
	    cmocka_unit_test(test_counted_bytes_need_an_external_value_and_whole_words),
	    cmocka_unit_test(test_empty_external_value_counts_its_fingerprint),
	    cmocka_unit_test(test_refusal_is_sticky),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
