/*
 * test_stun_attr.c - src/stun/attr.c: the attribute decoders: addresses of a bad family or length,
 * ERROR-CODE, wrong value lengths, PASSWORD-ALGORITHM with parameters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cmocka.h>

#include "stun_test.h"

static void test_address_attribute_bad_family_or_length(void **state)
{
	static const struct {
		uint16_t len;
		uint8_t val[24];
	} bad[] = {
	    {8, {0, 0x03, 0x12, 0x34, 1, 2, 3, 4}},  /* family 3 */
	    {8, {0, 0x00, 0x12, 0x34, 1, 2, 3, 4}},  /* family 0 */
	    {20, {0, 0x01, 0x12, 0x34, 1, 2, 3, 4}}, /* v4, 20 bytes */
	    {8, {0, 0x02, 0x12, 0x34, 1, 2, 3, 4}},  /* v6, 8 bytes */
	    {12, {0, 0x01, 0x12, 0x34, 1, 2, 3, 4}}, /* v4, 12 bytes */
	    {7, {0, 0x01, 0x12, 0x34, 1, 2, 3}},     /* v4, 7 bytes */
	    {19, {0, 0x02, 0x12, 0x34}},	     /* v6, 19 bytes */
	    {24, {0, 0x02, 0x12, 0x34}},	     /* v6, 24 bytes */
	    {3, {0, 0x01, 0x12}},		     /* no address */
	    {0, {0}},				     /* empty */
	};
	uint8_t buf[128];
	struct stun_msg m;
	struct sockaddr_storage ss;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = RAW_MSG(buf, 0x0101, {STUN_ATTR_XOR_MAPPED_ADDRESS, bad[i].len, bad[i].val});
		parse_ok(&m, buf, n);
		assert_int_equal(stun_attr_xor_addr(&m, &m.attrs[0], &ss), -1);
		assert_int_equal(stun_attr_addr(&m, &m.attrs[0], &ss), -1);
	}
}

static void test_error_code_too_short_or_out_of_range(void **state)
{
	static const struct {
		uint16_t len;
		uint8_t val[4];
	} bad[] = {
	    {0, {0}}, {3, {0, 0, 4}}, {4, {0, 0, 2, 0}}, {4, {0, 0, 7, 0}}, {4, {0, 0, 4, 100}},
	};
	uint8_t buf[64];
	struct stun_msg m;
	const char *reason;
	size_t n, rlen;
	int code;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = RAW_MSG(buf, 0x0111, {STUN_ATTR_ERROR_CODE, bad[i].len, bad[i].val});
		parse_ok(&m, buf, n);
		assert_int_equal(stun_attr_error(&m.attrs[0], &code, &reason, &rlen), -1);
	}
	/* four bytes, empty reason: fine */
	n = RAW_MSG(buf, 0x0111, {STUN_ATTR_ERROR_CODE, 4, "\0\0\x04\x26"});
	parse_ok(&m, buf, n);
	assert_int_equal(stun_attr_error(&m.attrs[0], &code, &reason, &rlen), 0);
	assert_int_equal(code, 438);
	assert_int_equal(rlen, 0);
}

static struct stun_attr mkattr(uint16_t type, uint16_t len, const void *val)
{
	struct stun_attr a = {.type = type, .len = len, .off = 20, .val = val};

	return a;
}

static void test_decoders_reject_wrong_lengths(void **state)
{
	static const uint8_t z[16];
	struct stun_attr a;
	uint32_t u32;
	uint16_t u16, types[4];
	uint8_t u8;
	bool flag;
	uint64_t u64;

	(void)state;
	a = mkattr(STUN_ATTR_LIFETIME, 3, z);
	assert_int_equal(stun_attr_u32(&a, &u32), -1);
	a = mkattr(STUN_ATTR_LIFETIME, 8, z);
	assert_int_equal(stun_attr_u32(&a, &u32), -1);
	a = mkattr(STUN_ATTR_CHANNEL_NUMBER, 2, z);
	assert_int_equal(stun_attr_channel(&a, &u16), -1);
	a = mkattr(STUN_ATTR_REQUESTED_TRANSPORT, 1, z);
	assert_int_equal(stun_attr_transport(&a, &u8), -1);
	a = mkattr(STUN_ATTR_REQUESTED_ADDRESS_FAMILY, 1, z);
	assert_int_equal(stun_attr_family(&a, &u8), -1);
	a = mkattr(STUN_ATTR_EVEN_PORT, 0, z);
	assert_int_equal(stun_attr_even_port(&a, &flag), -1);
	a = mkattr(STUN_ATTR_EVEN_PORT, 4, z);
	assert_int_equal(stun_attr_even_port(&a, &flag), -1);
	a = mkattr(STUN_ATTR_RESERVATION_TOKEN, 4, z);
	assert_int_equal(stun_attr_token(&a, &u64), -1);
	a = mkattr(STUN_ATTR_PASSWORD_ALGORITHM, 2, z);
	assert_int_equal(stun_attr_pw_alg(&a, &u16), -1);
	a = mkattr(STUN_ATTR_UNKNOWN_ATTRIBUTES, 3, z);
	assert_int_equal(stun_attr_unknown_list(&a, types, 4), -1);
	a = mkattr(STUN_ATTR_UNKNOWN_ATTRIBUTES, 0, z);
	assert_int_equal(stun_attr_unknown_list(&a, types, 4), 0);
}

/* stun.h: PASSWORD-ALGORITHM parameters must be empty (RFC 8489 §14.12, MD5/SHA-256) */
static void test_pw_alg_with_parameters_rejected(void **state)
{
	struct stun_attr a = mkattr(STUN_ATTR_PASSWORD_ALGORITHM, 8, "\x00\x02\x00\x04xxxx");
	uint16_t alg = 0;

	(void)state;
	assert_int_equal(stun_attr_pw_alg(&a, &alg), -1);
	a = mkattr(STUN_ATTR_PASSWORD_ALGORITHM, 4, "\x00\x02\x00\x00");
	assert_int_equal(stun_attr_pw_alg(&a, &alg), 0);
	assert_int_equal(alg, STUN_PW_ALG_SHA256);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_address_attribute_bad_family_or_length),
	    cmocka_unit_test(test_error_code_too_short_or_out_of_range),
	    cmocka_unit_test(test_decoders_reject_wrong_lengths),
	    cmocka_unit_test(test_pw_alg_with_parameters_rejected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
