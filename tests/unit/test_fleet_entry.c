/*
 * test_fleet_entry.c - a fleet server's published line
 * (src/server/fleet_entry.c): what fleet_entry_format() writes parses back
 * to the same entry; unknown keys are skipped; malformed lines (a key
 * twice, bad numbers, addresses no client can be sent to, control
 * characters, too long, no addr, families that differ) are refused with the reason and the output
 * untouched; room and the least loaded peer follow max-allocations and
 * bps-capacity, the client's family and TLS, with round robin among equals.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "server/fleet_entry.h"

static struct fleet_entry entry(const char *line)
{
	struct fleet_entry e;
	char err[128];

	if (fleet_entry_parse(line, strlen(line), &e, err, sizeof(err)) < 0)
		fail_msg("'%s' refused: %s", line, err);
	return e;
}

static void test_format_parses_back(void **state)
{
	struct fleet_entry e = entry("addr=192.0.2.1:3478 tls=192.0.2.1:5349 allocations=12 "
				     "max-allocations=500 bps=1250000 bps-reserved=7 "
				     "bps-capacity=12500000");
	struct fleet_entry back;
	char line[FLEET_ENTRY_MAX + 1], again[FLEET_ENTRY_MAX + 1], addr[ADDR_STRLEN];

	(void)state;
	assert_string_equal(addr_str(&e.addr.sa, addr, sizeof(addr)), "192.0.2.1:3478");
	assert_string_equal(addr_str(&e.tls.sa, addr, sizeof(addr)), "192.0.2.1:5349");
	assert_int_equal(e.allocations, 12);
	assert_int_equal(e.max_allocations, 500);
	assert_int_equal(e.bps, 1250000);
	assert_int_equal(e.bps_reserved, 7);
	assert_int_equal(e.bps_capacity, 12500000);
	assert_true(fleet_entry_format(&e, line, sizeof(line)) > 0);
	back = entry(line);
	assert_true(fleet_entry_format(&back, again, sizeof(again)) > 0);
	assert_string_equal(line, again);

	e = entry("addr=[2001:db8::1]:3478");
	assert_int_equal(e.addr.sa.sa_family, AF_INET6);
	assert_int_equal(e.tls.sa.sa_family, 0);
	assert_int_equal(e.allocations, 0);
	assert_true(fleet_entry_format(&e, line, sizeof(line)) > 0);
	assert_string_equal(line, "addr=[2001:db8::1]:3478 allocations=0 max-allocations=0 bps=0 "
				  "bps-reserved=0 bps-capacity=0");
	assert_int_equal(fleet_entry_format(&e, line, 20), -1);
}

static void test_unknown_keys_and_blanks_are_skipped(void **state)
{
	struct fleet_entry e = entry("  zone=eu-1 addr=127.0.0.1:4000   allocations=3 x=y  ");

	(void)state;
	assert_int_equal(e.allocations, 3);
	assert_int_equal(ntohs(e.addr.in.sin_port), 4000);
}

static void refused(const char *line, size_t len, const char *reason)
{
	struct fleet_entry e, before;
	char err[128] = "";

	memset(&e, 0xA5, sizeof(e));
	before = e;
	if (fleet_entry_parse(line, len, &e, err, sizeof(err)) == 0)
		fail_msg("'%.*s' accepted", (int)len, line);
	if (!strstr(err, reason))
		fail_msg("'%.*s': '%s', expected '%s'", (int)len, line, err, reason);
	assert_memory_equal(&e, &before, sizeof(e));
}

#define REFUSED(line, reason) refused(line, sizeof(line) - 1, reason)

static void test_malformed_lines_refused(void **state)
{
	char huge[FLEET_ENTRY_MAX + 2];

	(void)state;
	REFUSED("", "no addr");
	REFUSED("allocations=1", "no addr");
	REFUSED("addr=127.0.0.1:1 addr=127.0.0.2:1", "word 2: 'addr' given twice");
	REFUSED("addr=127.0.0.1", "word 1: bad value for 'addr'");	  /* no port */
	REFUSED("addr=127.0.0.1:0", "word 1: bad value for 'addr'");	  /* port 0 */
	REFUSED("addr=example.org:3478", "word 1: bad value for 'addr'"); /* no DNS */
	REFUSED("addr=", "word 1: bad value for 'addr'");
	/* nowhere a client can be sent */
	REFUSED("addr=0.0.0.0:3478", "word 1: bad value for 'addr'");
	REFUSED("addr=[::]:3478", "word 1: bad value for 'addr'");
	REFUSED("addr=224.0.0.1:3478", "word 1: bad value for 'addr'");
	REFUSED("addr=255.255.255.255:3478", "word 1: bad value for 'addr'");
	REFUSED("addr=[ff02::1]:3478", "word 1: bad value for 'addr'");
	REFUSED("addr=[::ffff:192.0.2.1]:3478", "word 1: bad value for 'addr'");
	REFUSED("addr=192.0.2.1:3478 tls=0.0.0.0:5349", "word 2: bad value for 'tls'");
	REFUSED("addr=127.0.0.1:1 tls=[::1]:2", "different families");
	REFUSED("addr=127.0.0.1:1 allocations=", "word 2: bad value for 'allocations'");
	REFUSED("addr=127.0.0.1:1 allocations=-1", "word 2: bad value");
	REFUSED("addr=127.0.0.1:1 allocations=4294967296", "word 2: bad value");
	REFUSED("addr=127.0.0.1:1 max-allocations=1x", "word 2: bad value");
	REFUSED("addr=127.0.0.1:1 bps=1000000000000001", "word 2: bad value for 'bps'");
	REFUSED("addr=127.0.0.1:1 bps=99999999999999999999999", "word 2: bad value");
	REFUSED("addr=127.0.0.1:1 =3", "word 2: not key=value");
	REFUSED("addr=127.0.0.1:1 bps", "word 2: not key=value");
	REFUSED("addr=127.0.0.1:1\tbps=1", "control character at byte 16");
	REFUSED("addr=127.0.0.1:1 \x7f", "control character");
	refused("addr=127.0.0.1:1\0bps=1", 22, "control character at byte 16");
	memset(huge, ' ', sizeof(huge));
	memcpy(huge, "addr=127.0.0.1:1", 16);
	refused(huge, sizeof(huge), "longer than 511 bytes");
	/* the longest line is taken */
	assert_int_equal(
	    fleet_entry_parse(huge, FLEET_ENTRY_MAX, &(struct fleet_entry){0}, NULL, 0), 0);
}

static void test_room_follows_the_caps(void **state)
{
	(void)state;
	assert_true(fleet_entry_has_room(&(struct fleet_entry){.allocations = 1000}, 1000));
	assert_true(
	    fleet_entry_has_room(&(struct fleet_entry){.allocations = 1, .max_allocations = 2}, 0));
	assert_false(
	    fleet_entry_has_room(&(struct fleet_entry){.allocations = 2, .max_allocations = 2}, 0));
	/* bps-capacity: the rate relayed, and what is left of it to reserve */
	assert_false(fleet_entry_has_room(&(struct fleet_entry){.bps = 10, .bps_capacity = 10}, 0));
	assert_true(fleet_entry_has_room(
	    &(struct fleet_entry){.bps = 9, .bps_reserved = 6, .bps_capacity = 10}, 4));
	assert_false(fleet_entry_has_room(
	    &(struct fleet_entry){.bps = 9, .bps_reserved = 6, .bps_capacity = 10}, 5));
	assert_false(
	    fleet_entry_has_room(&(struct fleet_entry){.bps_reserved = 11, .bps_capacity = 10}, 0));
}

static void test_pick_least_loaded_with_room(void **state)
{
	struct fleet_entry es[5];
	int seen[5] = {0};

	(void)state;
	es[0] = entry("addr=127.0.0.1:1 allocations=2 max-allocations=2");   /* full */
	es[1] = entry("addr=127.0.0.1:2 allocations=5 max-allocations=10");  /* 500 */
	es[2] = entry("addr=127.0.0.1:3 allocations=9 max-allocations=100"); /* 90 */
	es[3] = entry("addr=[::1]:4 allocations=0");			     /* IPv6 */
	es[4] = entry("addr=127.0.0.1:5 tls=127.0.0.1:6 allocations=50 max-allocations=100");
	assert_int_equal(fleet_entry_pick(es, 5, AF_INET, false, 0, 0), 2);
	assert_int_equal(fleet_entry_pick(es, 5, AF_INET6, false, 0, 0), 3);
	/* over TLS only the one with a tls address */
	assert_int_equal(fleet_entry_pick(es, 5, AF_INET, true, 0, 7), 4);
	assert_int_equal(fleet_entry_pick(es, 5, AF_INET6, true, 0, 0), -1);
	assert_int_equal(fleet_entry_pick(es, 1, AF_INET, false, 0, 0), -1);
	assert_int_equal(fleet_entry_pick(es, 0, AF_INET, false, 0, 0), -1);
	/* the busier rate loses a tie of shares and allocations */
	es[1] = entry("addr=127.0.0.1:2 allocations=9 max-allocations=100 bps=5");
	assert_int_equal(fleet_entry_pick(es, 3, AF_INET, false, 0, 0), 2);
	/* want_bps: only a peer with that much of its capacity left */
	es[1] = entry("addr=127.0.0.1:2 bps-reserved=90 bps-capacity=100");
	es[2] = entry("addr=127.0.0.1:3 bps-reserved=50 bps-capacity=1000");
	assert_int_equal(fleet_entry_pick(es, 3, AF_INET, false, 20, 0), 2);
	assert_int_equal(fleet_entry_pick(es, 3, AF_INET, false, 10, 0), 2); /* 900 > 50 */
	/* equals: round robin */
	es[1] = entry("addr=127.0.0.1:2 allocations=1");
	es[2] = entry("addr=127.0.0.1:3 allocations=1");
	for (unsigned int rr = 0; rr < 4; rr++)
		seen[fleet_entry_pick(es, 3, AF_INET, false, 0, rr)]++;
	assert_int_equal(seen[1], 2);
	assert_int_equal(seen[2], 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_parses_back),
	    cmocka_unit_test(test_unknown_keys_and_blanks_are_skipped),
	    cmocka_unit_test(test_malformed_lines_refused),
	    cmocka_unit_test(test_room_follows_the_caps),
	    cmocka_unit_test(test_pick_least_loaded_with_room),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
