/*
 * test_stun_msg.c - src/stun/msg.c: message type mapping, method names, and the parser: one named test
 * per kind of malformed input, unknown attributes, attribute limits and
 * every bit flip of a real message.
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

static void test_stun_type_known_values(void **state)
{
	static const struct {
		uint16_t method;
		enum stun_class cls;
		uint16_t type;
	} t[] = {
	    {STUN_BINDING, STUN_REQUEST, 0x0001},
	    {STUN_BINDING, STUN_INDICATION, 0x0011},
	    {STUN_BINDING, STUN_SUCCESS, 0x0101},
	    {STUN_BINDING, STUN_ERROR, 0x0111},
	    {TURN_ALLOCATE, STUN_REQUEST, 0x0003},
	    {TURN_ALLOCATE, STUN_SUCCESS, 0x0103},
	    {TURN_ALLOCATE, STUN_ERROR, 0x0113},
	    {TURN_REFRESH, STUN_REQUEST, 0x0004},
	    {TURN_REFRESH, STUN_SUCCESS, 0x0104},
	    {TURN_SEND, STUN_INDICATION, 0x0016},
	    {TURN_DATA, STUN_INDICATION, 0x0017},
	    {TURN_CREATE_PERMISSION, STUN_REQUEST, 0x0008},
	    {TURN_CREATE_PERMISSION, STUN_ERROR, 0x0118},
	    {TURN_CHANNEL_BIND, STUN_REQUEST, 0x0009},
	    {TURN_CHANNEL_BIND, STUN_SUCCESS, 0x0109},
	    {TURN_CONNECT, STUN_REQUEST, 0x000A},
	    {TURN_CONNECTION_BIND, STUN_REQUEST, 0x000B},
	    {TURN_CONNECTION_ATTEMPT, STUN_INDICATION, 0x001C},
	    {0x0FFF, STUN_ERROR, 0x3FFF},
	    {0x0080, STUN_REQUEST, 0x0200},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		assert_int_equal(stun_type(t[i].method, t[i].cls), t[i].type);
		assert_int_equal(stun_type_method(t[i].type), t[i].method);
		assert_int_equal(stun_type_class(t[i].type), t[i].cls);
	}
}

static void test_stun_type_roundtrips_every_method_and_class(void **state)
{
	(void)state;
	for (unsigned method = 0; method <= 0xFFF; method++) {
		for (int c = STUN_REQUEST; c <= STUN_ERROR; c++) {
			enum stun_class cls = (enum stun_class)c;
			uint16_t type = stun_type((uint16_t)method, cls);
			/* RFC 8489 §5: M11..M7 C1 M6..M4 C0 M3..M0 */
			uint16_t want =
			    (uint16_t)((method & 0xF) | (c & 1) << 4 | (method & 0x70) << 1 |
				       (c & 2) << 7 | (method & 0xF80) << 2);

			assert_int_equal(type, want);
			assert_int_equal(type & 0xC000, 0);
			assert_int_equal(stun_type_method(type), method);
			assert_int_equal(stun_type_class(type), cls);
		}
	}
}

static void test_method_names_and_strings(void **state)
{
	static const uint16_t methods[] = {
	    STUN_BINDING,
	    TURN_ALLOCATE,
	    TURN_REFRESH,
	    TURN_SEND,
	    TURN_DATA,
	    TURN_CREATE_PERMISSION,
	    TURN_CHANNEL_BIND,
	    TURN_CONNECT,
	    TURN_CONNECTION_BIND,
	    TURN_CONNECTION_ATTEMPT,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		const char *name = stun_method_name(methods[i]);

		assert_non_null(name);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(name, stun_method_name(methods[j]));
	}
	assert_string_equal(stun_method_name(STUN_BINDING), "Binding");
	assert_string_equal(stun_method_name(TURN_ALLOCATE), "Allocate");
	assert_non_null(stun_method_name(0x0FFF));
	for (int r = STUN_PARSE_BAD_ATTR - 1; r <= STUN_PARSE_OK; r++)
		assert_non_null(stun_parse_strerror(r));
	assert_string_equal(stun_err_reason(STUN_ERR_UNAUTHORIZED), "Unauthorized");
	assert_string_equal(stun_err_reason(STUN_ERR_STALE_NONCE), "Stale Nonce");
	assert_non_null(stun_err_reason(699));
	assert_true(stun_attr_known(STUN_ATTR_XOR_MAPPED_ADDRESS));
	assert_true(stun_attr_known(STUN_ATTR_SOFTWARE));
	assert_true(stun_attr_known(STUN_ATTR_CONNECTION_ID));
	assert_false(stun_attr_known(0x7FFF));
	assert_false(stun_attr_known(0xC001));
}

static void test_parse_truncated_header_every_length(void **state)
{
	struct stun_msg m;

	(void)state;
	for (size_t len = 0; len < STUN_HEADER_LEN; len++)
		assert_int_equal(stun_msg_parse(&m, rfc5769_request, len), STUN_PARSE_SHORT);
}

static void test_parse_length_past_buffer(void **state)
{
	struct stun_msg m;

	(void)state;
	for (size_t i = 0; i < RFC5769_NVECTORS; i++) {
		const struct rfc5769_vector *v = &rfc5769_vectors[i];

		for (size_t len = STUN_HEADER_LEN; len < v->len; len++)
			assert_int_equal(stun_msg_parse(&m, v->buf, len), STUN_PARSE_SHORT);
	}
}

static void test_parse_length_not_multiple_of_4(void **state)
{
	uint8_t buf[64];
	struct stun_msg m;

	(void)state;
	memset(buf, 0, sizeof(buf));
	for (uint16_t l = 1; l < 4; l++) {
		raw_header(buf, 0x0001, (uint16_t)(8 + l));
		assert_int_equal(stun_msg_parse(&m, buf, sizeof(buf)), STUN_PARSE_BAD_LENGTH);
	}
}

static void test_parse_wrong_magic_cookie(void **state)
{
	uint8_t buf[sizeof(rfc5769_request)];
	struct stun_msg m;

	(void)state;
	for (int i = 4; i < 8; i++) {
		memcpy(buf, rfc5769_request, sizeof(buf));
		buf[i] ^= 0x01;
		assert_int_equal(stun_msg_parse(&m, buf, sizeof(buf)), STUN_PARSE_BAD_COOKIE);
		assert_false(stun_looks_like_stun(buf, sizeof(buf)));
	}
}

static void test_parse_top_bits_set_is_not_stun(void **state)
{
	uint8_t buf[sizeof(rfc5769_request)];
	struct stun_msg m;

	(void)state;
	for (int bits = 1; bits < 4; bits++) {
		memcpy(buf, rfc5769_request, sizeof(buf));
		buf[0] |= (uint8_t)(bits << 6);
		assert_int_equal(stun_msg_parse(&m, buf, sizeof(buf)), STUN_PARSE_NOT_STUN);
		assert_false(stun_looks_like_stun(buf, sizeof(buf)));
	}
}

static void test_parse_attribute_runs_past_end(void **state)
{
	uint8_t buf[64];
	struct stun_msg m;
	size_t n;

	(void)state;
	/* value longer than the rest of the message */
	n = RAW_MSG(buf, 0x0001, {STUN_ATTR_SOFTWARE, 4, "abcd"});
	put16(buf + 22, 8);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_ATTR_OVERFLOW);
	/* value fits, its padding does not */
	put16(buf + 22, 5);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_ATTR_OVERFLOW);
	/* the maximum length */
	put16(buf + 22, 0xFFFF);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_ATTR_OVERFLOW);
	/* a second attribute overflowing after a good one */
	n = RAW_MSG(buf, 0x0001, {STUN_ATTR_SOFTWARE, 4, "abcd"}, {STUN_ATTR_USERNAME, 4, "abcd"});
	put16(buf + 30, 5);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_ATTR_OVERFLOW);
}

static void test_parse_attribute_header_truncated(void **state)
{
	uint8_t buf[64];
	struct stun_msg m;
	size_t n;

	(void)state;
	n = RAW_MSG(buf, 0x0001, {STUN_ATTR_SOFTWARE, 4, "abcd"});
	/* the datagram ends inside the attribute header */
	assert_int_equal(stun_msg_parse(&m, buf, 22), STUN_PARSE_SHORT);
	/* the declared length ends inside the attribute header */
	put16(buf + 2, 2);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_BAD_LENGTH);
}

static void test_parse_duplicate_attributes_first_wins(void **state)
{
	uint8_t buf[64];
	struct stun_msg m;
	size_t n;
	uint32_t v;

	(void)state;
	n = RAW_MSG(buf, 0x0001, {STUN_ATTR_LIFETIME, 4, "\0\0\0\x01"},
		    {STUN_ATTR_SOFTWARE, 1, "s"}, {STUN_ATTR_LIFETIME, 4, "\0\0\0\x02"});
	parse_ok(&m, buf, n);
	assert_int_equal(m.nattrs, 3);
	assert_int_equal(stun_attr_u32(stun_msg_find(&m, STUN_ATTR_LIFETIME), &v), 0);
	assert_int_equal(v, 1);
	assert_ptr_equal(stun_msg_find(&m, STUN_ATTR_LIFETIME), &m.attrs[0]);
	assert_null(stun_msg_find(&m, STUN_ATTR_USERNAME));
}

static void test_parse_attributes_after_integrity_ignored(void **state)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	const uint8_t key[] = "k";
	size_t n;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_REQUEST, test_tid);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 300);
	stun_put_integrity(&b, key, 1);
	n = stun_build_end(&b);
	assert_true(n > 0);
	n += raw_attr(buf + n, STUN_ATTR_SOFTWARE, 3, "bad");
	n += raw_attr(buf + n, STUN_ATTR_LIFETIME, 4, "\0\0\0\0");
	raw_finish(buf, n);
	parse_ok(&m, buf, n);
	assert_int_equal(m.nattrs, 2);
	assert_null(stun_msg_find(&m, STUN_ATTR_SOFTWARE));
	assert_ptr_equal(stun_msg_find(&m, STUN_ATTR_LIFETIME), &m.attrs[0]);
	/* the MAC covers the message up to MESSAGE-INTEGRITY only */
	assert_int_equal(stun_msg_check_integrity(&m, key, 1), 0);

	/* same after MESSAGE-INTEGRITY-SHA256 */
	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_REQUEST, test_tid);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 300);
	stun_put_integrity_sha256(&b, key, 1);
	n = stun_build_end(&b);
	n += raw_attr(buf + n, STUN_ATTR_SOFTWARE, 3, "bad");
	raw_finish(buf, n);
	parse_ok(&m, buf, n);
	assert_null(stun_msg_find(&m, STUN_ATTR_SOFTWARE));
	assert_int_equal(stun_msg_check_integrity_sha256(&m, key, 1), 0);
}

static void test_parse_attribute_after_fingerprint_rejected(void **state)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, test_tid);
	stun_put_fingerprint(&b);
	n = stun_build_end(&b);
	n += raw_attr(buf + n, STUN_ATTR_SOFTWARE, 3, "bad");
	raw_finish(buf, n);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_AFTER_FINGERPRINT);

	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	n = sizeof(rfc5769_request);
	n += raw_attr(buf + n, STUN_ATTR_FINGERPRINT, 4, "\0\0\0\0");
	raw_finish(buf, n);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_AFTER_FINGERPRINT);
}

static void test_unknown_comprehension_required_listed(void **state)
{
	uint8_t buf[128];
	struct stun_msg m;
	size_t n;

	(void)state;
	n = RAW_MSG(buf, 0x0003, {0x7FFF, 2, "ab"}, {STUN_ATTR_LIFETIME, 4, "\0\0\0\x01"},
		    {0x0030, 0, NULL}, {0xC001, 4, "abcd"}, {0x8FFF, 0, NULL});
	parse_ok(&m, buf, n);
	assert_int_equal(m.nattrs, 5);
	assert_int_equal(m.nunknown, 2);
	assert_int_equal(m.unknown[0], 0x7FFF);
	assert_int_equal(m.unknown[1], 0x0030);
	assert_non_null(stun_msg_find(&m, 0xC001));
}

static void test_unknown_comprehension_optional_not_listed(void **state)
{
	uint8_t buf[64];
	struct stun_msg m;
	size_t n;

	(void)state;
	n = RAW_MSG(buf, 0x0001, {0x8FFF, 4, "abcd"}, {0xFFFF, 1, "a"});
	parse_ok(&m, buf, n);
	assert_int_equal(m.nattrs, 2);
	assert_int_equal(m.nunknown, 0);
}

static void test_parse_resets_every_field(void **state)
{
	uint8_t buf[64];
	struct stun_msg m;
	size_t n;

	(void)state;
	n = RAW_MSG(buf, 0x0001, {STUN_ATTR_SOFTWARE, 1, "s"});
	memset(&m, 0xA5, sizeof(m));
	parse_ok(&m, buf, n);
	assert_int_equal(m.nattrs, 1);
	assert_int_equal(m.nunknown, 0);
	assert_int_equal(m.mi_idx, -1);
	assert_int_equal(m.mi256_idx, -1);
	assert_int_equal(m.fp_idx, -1);

	/* the same struct, reused for a message with an unknown attribute */
	n = RAW_MSG(buf, 0x0001, {0x7001, 1, "s"});
	parse_ok(&m, buf, n);
	parse_ok(&m, buf, n);
	assert_int_equal(m.nunknown, 1);
	assert_int_equal(m.unknown[0], 0x7001);
}

static void test_parse_many_unknown_attributes_capped(void **state)
{
	uint8_t buf[512];
	struct stun_msg m;
	size_t n;

	(void)state;
	n = raw_header(buf, 0x0001, 0);
	for (uint16_t i = 0; i < STUN_MAX_UNKNOWN + 8; i++)
		n += raw_attr(buf + n, (uint16_t)(0x7000 + i), 0, NULL);
	raw_finish(buf, n);
	memset(&m, 0, sizeof(m));
	parse_ok(&m, buf, n);
	assert_int_equal(m.nattrs, STUN_MAX_UNKNOWN + 8);
	assert_int_equal(m.nunknown, STUN_MAX_UNKNOWN);
	assert_int_equal(m.unknown[STUN_MAX_UNKNOWN - 1], 0x7000 + STUN_MAX_UNKNOWN - 1);
}

static void test_parse_too_many_attributes(void **state)
{
	uint8_t buf[1024];
	struct stun_msg m;
	size_t n;

	(void)state;
	n = raw_header(buf, 0x0001, 0);
	for (int i = 0; i < STUN_MAX_ATTRS; i++)
		n += raw_attr(buf + n, STUN_ATTR_PRIORITY, 4, "abcd");
	raw_finish(buf, n);
	parse_ok(&m, buf, n);
	assert_int_equal(m.nattrs, STUN_MAX_ATTRS);
	n += raw_attr(buf + n, STUN_ATTR_PRIORITY, 4, "abcd");
	raw_finish(buf, n);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_TOO_MANY_ATTRS);
}

static void test_parse_ignores_bytes_past_length(void **state)
{
	uint8_t buf[sizeof(rfc5769_request) + 7];
	struct stun_msg m;

	(void)state;
	memcpy(buf, rfc5769_request, sizeof(rfc5769_request));
	memset(buf + sizeof(rfc5769_request), 0x77, 7);
	parse_ok(&m, buf, sizeof(buf));
	assert_int_equal(m.len, sizeof(rfc5769_request));
	assert_true(stun_msg_check_fingerprint(&m));
	assert_int_equal(stun_msg_check_integrity(&m, pw(), strlen(RFC5769_PASSWORD)), 0);

	raw_header(buf, 0x0011, 0);
	parse_ok(&m, buf, sizeof(buf));
	assert_int_equal(m.len, 20);
	assert_int_equal(m.nattrs, 0);
	assert_int_equal(m.cls, STUN_INDICATION);
}

static void test_every_bit_flip_is_safe(void **state)
{
	uint8_t buf[256];
	struct stun_msg m;

	(void)state;
	for (size_t i = 0; i < RFC5769_NVECTORS; i++) {
		const struct rfc5769_vector *v = &rfc5769_vectors[i];

		for (size_t pos = 0; pos < v->len; pos++) {
			for (int bit = 0; bit < 8; bit++) {
				memcpy(buf, v->buf, v->len);
				buf[pos] ^= (uint8_t)(1 << bit);
				if (stun_msg_parse(&m, buf, v->len) != STUN_PARSE_OK)
					continue;
				assert_true(m.len <= v->len);
				for (int k = 0; k < m.nattrs; k++)
					assert_true(m.attrs[k].off + 4u + m.attrs[k].len <= m.len);
				(void)stun_msg_check_fingerprint(&m);
				(void)stun_msg_check_integrity(&m, pw(), 4);
				(void)stun_msg_check_integrity_sha256(&m, pw(), 4);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stun_type_known_values),
	    cmocka_unit_test(test_stun_type_roundtrips_every_method_and_class),
	    cmocka_unit_test(test_method_names_and_strings),
	    cmocka_unit_test(test_parse_truncated_header_every_length),
	    cmocka_unit_test(test_parse_length_past_buffer),
	    cmocka_unit_test(test_parse_length_not_multiple_of_4),
	    cmocka_unit_test(test_parse_wrong_magic_cookie),
	    cmocka_unit_test(test_parse_top_bits_set_is_not_stun),
	    cmocka_unit_test(test_parse_attribute_runs_past_end),
	    cmocka_unit_test(test_parse_attribute_header_truncated),
	    cmocka_unit_test(test_parse_duplicate_attributes_first_wins),
	    cmocka_unit_test(test_parse_attributes_after_integrity_ignored),
	    cmocka_unit_test(test_parse_attribute_after_fingerprint_rejected),
	    cmocka_unit_test(test_unknown_comprehension_required_listed),
	    cmocka_unit_test(test_unknown_comprehension_optional_not_listed),
	    cmocka_unit_test(test_parse_resets_every_field),
	    cmocka_unit_test(test_parse_many_unknown_attributes_capped),
	    cmocka_unit_test(test_parse_too_many_attributes),
	    cmocka_unit_test(test_parse_ignores_bytes_past_length),
	    cmocka_unit_test(test_every_bit_flip_is_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
