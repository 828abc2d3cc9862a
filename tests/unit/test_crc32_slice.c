/*
 * test_crc32_slice.c - stun_crc32() reads eight bytes at a time
 * (slicing-by-8, src/stun/integrity.c): it must give the bit-at-a-time
 * CRC-32 of RFC 8489 §14.7's FINGERPRINT for every length and alignment
 * around the 8-byte steps, and stun_crc32_update() must continue it over
 * pieces that split those steps anywhere.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "stun/stun.h"

/* The definition: reflected polynomial 0xEDB88320, one bit at a time. */
static uint32_t crc32_bitwise(const uint8_t *buf, size_t len)
{
	uint32_t crc = 0xFFFFFFFFu;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
	}
	return crc ^ 0xFFFFFFFFu;
}

static void fill(uint8_t *buf, size_t len)
{
	uint32_t x = 2463534242u;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
}

static void test_every_length_and_alignment(void **state)
{
	uint8_t buf[300 + 8];

	(void)state;
	fill(buf, sizeof(buf));
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len <= 300; len++)
			assert_int_equal(stun_crc32(buf + off, len), crc32_bitwise(buf + off, len));
}

static void test_update_splits_the_steps(void **state)
{
	uint8_t buf[64];

	(void)state;
	fill(buf, sizeof(buf));
	for (size_t len = 0; len <= sizeof(buf); len++)
		for (size_t cut = 0; cut <= len; cut++)
			assert_int_equal(stun_crc32_update(stun_crc32(buf, cut), buf + cut, len - cut),
					 crc32_bitwise(buf, len));
}

static void test_all_ones_and_zeros(void **state)
{
	uint8_t ones[40], zeros[40];

	(void)state;
	memset(ones, 0xFF, sizeof(ones));
	memset(zeros, 0, sizeof(zeros));
	assert_int_equal(stun_crc32(ones, sizeof(ones)), crc32_bitwise(ones, sizeof(ones)));
	assert_int_equal(stun_crc32(zeros, sizeof(zeros)), crc32_bitwise(zeros, sizeof(zeros)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_length_and_alignment),
	    cmocka_unit_test(test_update_splits_the_steps),
	    cmocka_unit_test(test_all_ones_and_zeros),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
