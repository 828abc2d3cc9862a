/*
 * test_addr.c - numeric address parsing and printing, comparison, hashing
 * and IPv4-mapped conversions (src/common/addr.c, addr.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "common/addr.h"

/* Parse s into one of a few static slots; fails the test if it does not parse. */
static struct sockaddr *parse_ok(const char *s, uint16_t default_port)
{
	static struct sockaddr_storage slot[16];
	static unsigned int next;
	struct sockaddr_storage *ss = &slot[next++ % 16];
	socklen_t len = 0;

	if (addr_parse(s, default_port, ss, &len) < 0)
		fail_msg("\"%s\" does not parse", s);
	assert_int_equal(len, addr_len((struct sockaddr *)ss));
	return (struct sockaddr *)ss;
}

static const char *str(const struct sockaddr *sa)
{
	static char buf[ADDR_STRLEN];

	return addr_str(sa, buf, sizeof(buf));
}

static void test_parse_ipv4_uses_default_port(void **state)
{
	struct sockaddr *sa = parse_ok("192.0.2.1", 3478);

	(void)state;
	assert_int_equal(sa->sa_family, AF_INET);
	assert_string_equal(str(sa), "192.0.2.1:3478");
}

static void test_parse_ipv4_with_port(void **state)
{
	struct sockaddr *sa = parse_ok("1.2.3.4:5", 3478);

	(void)state;
	assert_int_equal(addr_port(sa), 5);
	assert_string_equal(str(sa), "1.2.3.4:5");
}

static void test_parse_ipv6_forms(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("::1", 3478)->sa_family, AF_INET6);
	assert_string_equal(str(parse_ok("::1", 3478)), "[::1]:3478");
	assert_string_equal(str(parse_ok("[::1]", 7)), "[::1]:7");
	assert_string_equal(str(parse_ok("[2001:db8::1]:5", 3478)), "[2001:db8::1]:5");
	assert_int_equal(parse_ok("::ffff:1.2.3.4", 1)->sa_family, AF_INET6);
	assert_string_equal(str(parse_ok("::ffff:1.2.3.4", 1)), "[::ffff:1.2.3.4]:1");
}

static void test_parse_accepts_port_bounds(void **state)
{
	(void)state;
	assert_int_equal(addr_port(parse_ok("1.2.3.4:0", 3478)), 0);
	assert_int_equal(addr_port(parse_ok("[::1]:65535", 3478)), 65535);
}

static void test_parse_rejects_bad_input(void **state)
{
	static const char *const bad[] = {
	    "1.2.3.4:99999",
	    "1.2.3.4:65536",
	    "1.2.3.4:000005",
	    "[::1",
	    "::1]:5",
	    "",
	    "abc",
	    "1.2.3.4x",
	    "1.2.3.4:5x",
	    "1.2.3.4:",
	    "1.2.3.4:+5",
	    "1.2.3.4:-5",
	    "[::1]x",
	    "[::1]:",
	    "[::1]:5x",
	    "[]",
	    "[]:5",
	    " 1.2.3.4",
	    "1.2.3.4 ",
	    "1.2.3",
	    "1.2.3.4.5",
	    "[1.2.3.4]:5",
	    "1.2.3.4:5:6",
	    "fe80::1%eth0",
	    "::1::2",
	    "localhost",
	    "localhost:80",
	    "[[::1]]",
	    "1111:2222:3333:4444:5555:6666:7777:8888:9999",
	    "0000:0000:0000:0000:0000:0000:0000:0000:0000:0000:0001",
	};
	struct sockaddr_storage ss;
	socklen_t len;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (addr_parse(bad[i], 3478, &ss, &len) == 0)
			fail_msg("accepted \"%s\"", bad[i]);
	}
	assert_int_equal(addr_parse(NULL, 3478, &ss, &len), -1);
}

static void test_parse_failure_leaves_output_untouched(void **state)
{
	struct sockaddr_storage ss, before;
	socklen_t len = 123;

	(void)state;
	memset(&ss, 0xa5, sizeof(ss));
	before = ss;
	assert_int_equal(addr_parse("1.2.3.4:99999", 1, &ss, &len), -1);
	assert_int_equal(addr_parse("[::1]x", 1, &ss, &len), -1);
	assert_memory_equal(&ss, &before, sizeof(ss));
	assert_int_equal(len, 123);
}

static void test_parse_len_is_optional(void **state)
{
	struct sockaddr_storage ss;

	(void)state;
	memset(&ss, 0, sizeof(ss));
	assert_int_equal(addr_parse("[::1]:9", 1, &ss, NULL), 0);
	assert_int_equal(addr_port((struct sockaddr *)&ss), 9);
}

static void test_ip_str_has_no_port(void **state)
{
	char buf[ADDR_STRLEN];

	(void)state;
	assert_string_equal(addr_ip_str(parse_ok("1.2.3.4:5", 0), buf, sizeof(buf)), "1.2.3.4");
	assert_string_equal(addr_ip_str(parse_ok("[2001:db8::2]:5", 0), buf, sizeof(buf)),
			    "2001:db8::2");
}

static void test_str_longest_address_fits(void **state)
{
	static const char longest[] = "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535";

	(void)state;
	assert_string_equal(str(parse_ok(longest, 0)), longest);
	assert_true(sizeof(longest) <= ADDR_STRLEN);
}

static void test_str_truncates_and_handles_unknown_family(void **state)
{
	struct sockaddr_storage un;
	char buf[8];

	(void)state;
	assert_string_equal(addr_str(parse_ok("192.0.2.1:3478", 0), buf, sizeof(buf)), "192.0.2");

	memset(&un, 0, sizeof(un));
	un.ss_family = AF_UNIX;
	assert_string_equal(addr_str((struct sockaddr *)&un, buf, sizeof(buf)), "<unknow");
	assert_int_equal(addr_len((struct sockaddr *)&un), 0);
	assert_int_equal(addr_port((struct sockaddr *)&un), 0);
	assert_false(addr_equal((struct sockaddr *)&un, (struct sockaddr *)&un));
}

static void test_equal_compares_family_ip_and_port(void **state)
{
	struct sockaddr *a = parse_ok("1.2.3.4:5", 0);

	(void)state;
	assert_true(addr_equal(a, parse_ok("1.2.3.4:5", 0)));
	assert_false(addr_equal(a, parse_ok("1.2.3.4:6", 0)));
	assert_false(addr_equal(a, parse_ok("1.2.3.5:5", 0)));
	assert_false(addr_equal(a, parse_ok("[::ffff:1.2.3.4]:5", 0)));
	assert_false(addr_equal(a, parse_ok("[2001:db8::1]:5", 0)));
	assert_true(addr_equal(parse_ok("[2001:db8::1]:5", 0), parse_ok("[2001:db8::1]:5", 0)));
	assert_false(addr_equal(parse_ok("[2001:db8::1]:5", 0), parse_ok("[2001:db8::1]:6", 0)));
}

static void test_ip_equal_ignores_port(void **state)
{
	struct sockaddr *a = parse_ok("1.2.3.4:5", 0);

	(void)state;
	assert_true(addr_ip_equal(a, parse_ok("1.2.3.4:6", 0)));
	assert_false(addr_ip_equal(a, parse_ok("1.2.3.5:5", 0)));
	assert_false(addr_ip_equal(a, parse_ok("::ffff:1.2.3.4", 5)));
	assert_true(addr_ip_equal(parse_ok("[2001:db8::1]:5", 0), parse_ok("[2001:db8::1]:6", 0)));
}

static void test_hash_equal_addresses_hash_alike(void **state)
{
	struct sockaddr *a = parse_ok("[2001:db8::1]:5", 0);
	struct sockaddr *b = parse_ok("[2001:db8::1]:5", 0);
	struct sockaddr_storage d;

	(void)state;
	((struct sockaddr_in6 *)b)->sin6_scope_id = 7;
	((struct sockaddr_in6 *)b)->sin6_flowinfo = 9;
	assert_true(addr_equal(a, b));
	assert_int_equal(addr_hash(a, 42), addr_hash(b, 42));

	/* bytes past the sockaddr_in are not hashed */
	memset(&d, 0xee, sizeof(d));
	memcpy(&d, parse_ok("1.2.3.4:5", 0), sizeof(struct sockaddr_in));
	assert_int_equal(addr_hash(parse_ok("1.2.3.4:5", 0), 1),
			 addr_hash((struct sockaddr *)&d, 1));
}

static void test_hash_depends_on_seed_ip_and_port(void **state)
{
	struct sockaddr *a = parse_ok("1.2.3.4:5", 0);
	uint32_t h = addr_hash(a, 1);

	(void)state;
	assert_int_not_equal(h, addr_hash(a, 2));
	assert_int_not_equal(h, addr_hash(parse_ok("1.2.3.4:6", 0), 1));
	assert_int_not_equal(h, addr_hash(parse_ok("1.2.3.5:5", 0), 1));
	assert_int_not_equal(h, addr_hash(parse_ok("[::ffff:1.2.3.4]:5", 0), 1));
}

/* Sequential ports and addresses, the common case, must spread evenly. */
static void test_hash_spreads_sequential_keys(void **state)
{
	enum { BUCKETS = 1024, KEYS = 65536 };
	static unsigned int count[BUCKETS];
	struct sockaddr *sa;
	unsigned int i, max;
	int pass;

	(void)state;
	for (pass = 0; pass < 3; pass++) {
		memset(count, 0, sizeof(count));
		sa = parse_ok(pass == 2 ? "[2001:db8::]:0" : "10.0.0.0:0", 0);
		for (i = 0; i < KEYS; i++) {
			if (pass == 0) {
				addr_set_port(sa, (uint16_t)i);
			} else if (pass == 1) {
				((struct sockaddr_in *)sa)->sin_addr.s_addr =
				    htonl(0x0a000000U + i);
			} else {
				uint8_t *b = ((struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;

				b[14] = (uint8_t)(i >> 8);
				b[15] = (uint8_t)i;
			}
			count[addr_hash(sa, 0x1234) % BUCKETS]++;
		}
		for (max = 0, i = 0; i < BUCKETS; i++)
			if (count[i] > max)
				max = count[i];
		/* mean 64; a random function stays well under 2x */
		if (max > 110)
			fail_msg("pass %d: fullest bucket holds %u keys", pass, max);
	}
}

static void test_port_get_set_and_len(void **state)
{
	struct sockaddr *a = parse_ok("1.2.3.4", 1);
	struct sockaddr *b = parse_ok("::1", 1);

	(void)state;
	addr_set_port(a, 65535);
	addr_set_port(b, 3478);
	assert_int_equal(addr_port(a), 65535);
	assert_int_equal(addr_port(b), 3478);
	assert_int_equal(addr_len(a), sizeof(struct sockaddr_in));
	assert_int_equal(addr_len(b), sizeof(struct sockaddr_in6));
}

static void test_unmap_v4_converts_mapped_only(void **state)
{
	struct sockaddr *m = parse_ok("[::ffff:192.0.2.7]:99", 0);
	struct sockaddr *v6 = parse_ok("[::192.0.2.7]:99", 0);
	struct sockaddr *v4 = parse_ok("192.0.2.7:99", 0);
	struct sockaddr_storage out, before;

	(void)state;
	assert_true(addr_is_v4mapped(m));
	assert_true(addr_unmap_v4(m, &out));
	assert_int_equal(out.ss_family, AF_INET);
	assert_true(addr_equal((struct sockaddr *)&out, v4));

	memset(&out, 0x5a, sizeof(out));
	before = out;
	assert_false(addr_is_v4mapped(v6));
	assert_false(addr_unmap_v4(v6, &out));
	assert_false(addr_unmap_v4(v4, &out));
	assert_memory_equal(&out, &before, sizeof(out));
}

static void test_map_v4_round_trips(void **state)
{
	struct sockaddr *v4 = parse_ok("203.0.113.9:4000", 0);
	struct sockaddr_storage out;
	struct sockaddr_in6 in6;

	(void)state;
	addr_map_v4((struct sockaddr_in *)v4, &in6);
	assert_true(addr_equal((struct sockaddr *)&in6, parse_ok("[::ffff:203.0.113.9]:4000", 0)));
	assert_true(addr_unmap_v4((struct sockaddr *)&in6, &out));
	assert_true(addr_equal((struct sockaddr *)&out, v4));
}

static void test_normalize_unmaps_in_place(void **state)
{
	struct sockaddr_storage ss, copy;

	(void)state;
	memcpy(&ss, parse_ok("[::ffff:10.1.2.3]:7", 0), sizeof(ss));
	addr_normalize(&ss);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_true(addr_equal((struct sockaddr *)&ss, parse_ok("10.1.2.3:7", 0)));

	memcpy(&ss, parse_ok("[2001:db8::3]:7", 0), sizeof(ss));
	copy = ss;
	addr_normalize(&ss);
	assert_memory_equal(&ss, &copy, sizeof(ss));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_ipv4_uses_default_port),
	    cmocka_unit_test(test_parse_ipv4_with_port),
	    cmocka_unit_test(test_parse_ipv6_forms),
	    cmocka_unit_test(test_parse_accepts_port_bounds),
	    cmocka_unit_test(test_parse_rejects_bad_input),
	    cmocka_unit_test(test_parse_failure_leaves_output_untouched),
	    cmocka_unit_test(test_parse_len_is_optional),
	    cmocka_unit_test(test_ip_str_has_no_port),
	    cmocka_unit_test(test_str_longest_address_fits),
	    cmocka_unit_test(test_str_truncates_and_handles_unknown_family),
	    cmocka_unit_test(test_equal_compares_family_ip_and_port),
	    cmocka_unit_test(test_ip_equal_ignores_port),
	    cmocka_unit_test(test_hash_equal_addresses_hash_alike),
	    cmocka_unit_test(test_hash_depends_on_seed_ip_and_port),
	    cmocka_unit_test(test_hash_spreads_sequential_keys),
	    cmocka_unit_test(test_port_get_set_and_len),
	    cmocka_unit_test(test_unmap_v4_converts_mapped_only),
	    cmocka_unit_test(test_map_v4_round_trips),
	    cmocka_unit_test(test_normalize_unmaps_in_place),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
