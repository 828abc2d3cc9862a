/*
 * test_stun_icmp.c - the ICMP attribute of RFC 8656 §18.13 (src/stun/attr.c,
 * build.c): Figure 11's layout (16 reserved bits, a 7-bit type, a 9-bit
 * code, 32 bits of error data), round trips, reserved bits ignored when
 * received, and the bad inputs: wrong lengths and values that do not fit.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stun_test.h"
#include "stun/wire.h"

/* A Data indication holding only an ICMP attribute of value val (len bytes). */
static size_t icmp_msg(uint8_t *buf, size_t cap, const void *val, size_t len)
{
	struct stun_builder b;

	stun_build_start(&b, buf, cap, TURN_DATA, STUN_INDICATION, test_tid);
	stun_put(&b, STUN_ATTR_ICMP, val, len);
	return stun_build_end(&b);
}

static void decode(const uint8_t *val, size_t len, int want, struct stun_icmp *out)
{
	uint8_t buf[128];
	struct stun_msg m;
	size_t n = icmp_msg(buf, sizeof(buf), val, len);
	const struct stun_attr *a;

	assert_true(n > 0);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	a = stun_msg_find(&m, STUN_ATTR_ICMP);
	assert_non_null(a);
	assert_int_equal(stun_attr_icmp(a, out), want);
}

static void test_icmp_attribute_has_figure_11_layout(void **state)
{
	const struct stun_icmp in = {.type = 3, .code = 4, .error_data = 0x01020304};
	static const uint8_t want[8] = {0, 0, 3 << 1, 4, 1, 2, 3, 4};
	uint8_t buf[64];
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *a;
	size_t n;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, test_tid);
	stun_put_icmp(&b, &in);
	n = stun_build_end(&b);
	assert_int_equal(n, STUN_HEADER_LEN + STUN_ATTR_HDR_LEN + 8);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	a = stun_msg_find(&m, STUN_ATTR_ICMP);
	assert_non_null(a);
	assert_int_equal(a->len, 8);
	assert_memory_equal(a->val, want, sizeof(want));
}

static void test_icmp_attribute_round_trips_every_field_width(void **state)
{
	static const struct stun_icmp cases[] = {
	    {.type = 3, .code = 3},			   /* ICMPv4 port unreachable */
	    {.type = 3, .code = 4, .error_data = 1400},	   /* fragmentation needed, MTU */
	    {.type = 1, .code = 4},			   /* ICMPv6 port unreachable */
	    {.type = 2, .code = 0, .error_data = 1280},	   /* packet too big, MTU */
	    {.type = STUN_ICMP_TYPE_MAX, .code = STUN_ICMP_CODE_MAX, .error_data = UINT32_MAX},
	    {0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[64];
		struct stun_builder b;
		struct stun_msg m;
		struct stun_icmp out;
		size_t n;

		stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, test_tid);
		stun_put_icmp(&b, &cases[i]);
		n = stun_build_end(&b);
		assert_true(n > 0);
		assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
		assert_int_equal(stun_attr_icmp(stun_msg_find(&m, STUN_ATTR_ICMP), &out), 0);
		assert_int_equal(out.type, cases[i].type);
		assert_int_equal(out.code, cases[i].code);
		assert_int_equal(out.error_data, cases[i].error_data);
	}
}

static void test_icmp_reserved_bits_are_ignored_when_received(void **state)
{
	static const uint8_t val[8] = {0xFF, 0xFF, 1 << 1, 4, 0, 0, 0, 0};
	struct stun_icmp out;

	(void)state;
	decode(val, sizeof(val), 0, &out);
	assert_int_equal(out.type, 1);
	assert_int_equal(out.code, 4);
	assert_int_equal(out.error_data, 0);
}

static void test_icmp_of_wrong_length_is_malformed(void **state)
{
	static const uint8_t val[16] = {0, 0, 3 << 1, 3};
	static const size_t lens[] = {0, 1, 4, 7, 9, 12, 16};
	struct stun_icmp out = {.type = 99, .code = 99, .error_data = 99};

	(void)state;
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		decode(val, lens[i], -1, &out);
		/* outputs untouched on failure */
		assert_int_equal(out.type, 99);
		assert_int_equal(out.code, 99);
		assert_int_equal(out.error_data, 99);
	}
}

static void test_icmp_type_or_code_too_wide_fails_the_builder(void **state)
{
	static const struct stun_icmp bad[] = {
	    {.type = STUN_ICMP_TYPE_MAX + 1, .code = 0},
	    {.type = 255, .code = 0},
	    {.type = 3, .code = STUN_ICMP_CODE_MAX + 1},
	    {.type = 3, .code = UINT16_MAX},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint8_t buf[64];
		struct stun_builder b;

		stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, test_tid);
		stun_put_icmp(&b, &bad[i]);
		assert_int_equal(stun_build_end(&b), 0);
	}
}

static void test_icmp_attribute_that_does_not_fit_fails_the_builder(void **state)
{
	const struct stun_icmp in = {.type = 3, .code = 3};
	uint8_t buf[STUN_HEADER_LEN + STUN_ATTR_HDR_LEN + 7];
	struct stun_builder b;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, test_tid);
	stun_put_icmp(&b, &in);
	assert_int_equal(stun_build_end(&b), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_icmp_attribute_has_figure_11_layout),
	    cmocka_unit_test(test_icmp_attribute_round_trips_every_field_width),
	    cmocka_unit_test(test_icmp_reserved_bits_are_ignored_when_received),
	    cmocka_unit_test(test_icmp_of_wrong_length_is_malformed),
	    cmocka_unit_test(test_icmp_type_or_code_too_wide_fails_the_builder),
	    cmocka_unit_test(test_icmp_attribute_that_does_not_fit_fails_the_builder),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
