/*
 * test_config_fleet.c - the fleet's options (src/common/config.c): off by
 * default with a 2 s interval and a 6 s TTL; fleet needs redis-userdb; a
 * TTL not longer than the interval is refused; fleet-address,
 * fleet-interval and fleet-ttl without fleet are refused by name, never
 * ignored; max-allocations parses alone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "common/addr.h"
#include "common/config.h"

#define REDIS "--redis-userdb=ip=127.0.0.1 port=6379"

/* Parses the flags (NULL-terminated) into c: config_parse_args()'s result. */
static int parse_flags(struct config *c, char *err, size_t errlen, const char *const *flags)
{
	char *argv[16] = {"turnserver"};
	int argc = 1;

	while (flags[argc - 1] && argc < 15) {
		argv[argc] = (char *)flags[argc - 1];
		argc++;
	}
	config_init(c);
	return config_parse_args(c, argc, argv, err, errlen);
}

static void refused(const char *const *flags, const char *reason)
{
	struct config c;
	char err[256] = "";

	assert_int_equal(parse_flags(&c, err, sizeof(err), flags), -1);
	if (!strstr(err, reason))
		fail_msg("'%s', expected '%s'", err, reason);
	config_free(&c);
}

static void test_fleet_is_off_by_default(void **state)
{
	struct config c;
	char err[256];
	const char *none[] = {NULL};

	(void)state;
	assert_int_equal(parse_flags(&c, err, sizeof(err), none), 0);
	assert_false(c.fleet);
	assert_int_equal(c.fleet_interval, 2);
	assert_int_equal(c.fleet_ttl, 6);
	assert_int_equal(c.max_allocations, 0);
	config_free(&c);
}

static void test_fleet_options_parse(void **state)
{
	struct config c;
	char err[256], buf[ADDR_STRLEN];
	const char *flags[] = {REDIS,
			       "--fleet",
			       "--fleet-address=203.0.113.11",
			       "--fleet-address=[2001:db8::11]:3479",
			       "--fleet-interval=1",
			       "--fleet-ttl=3",
			       "--max-allocations=500",
			       NULL};
	const char *cap_alone[] = {"--max-allocations=7", NULL};

	(void)state;
	assert_int_equal(parse_flags(&c, err, sizeof(err), flags), 0);
	assert_true(c.fleet);
	assert_int_equal(c.fleet_address_count, 2);
	assert_string_equal(addr_str((struct sockaddr *)&c.fleet_address[0].addr, buf, sizeof(buf)),
			    "203.0.113.11:3478");
	assert_string_equal(addr_str((struct sockaddr *)&c.fleet_address[1].addr, buf, sizeof(buf)),
			    "[2001:db8::11]:3479");
	assert_int_equal(c.fleet_interval, 1);
	assert_int_equal(c.fleet_ttl, 3);
	assert_int_equal(c.max_allocations, 500);
	config_free(&c);
	assert_int_equal(parse_flags(&c, err, sizeof(err), cap_alone), 0);
	assert_int_equal(c.max_allocations, 7);
	config_free(&c);
}

static void test_bad_fleet_settings_refused(void **state)
{
	(void)state;
	refused((const char *[]){"--fleet", NULL}, "fleet needs redis-userdb");
	refused((const char *[]){REDIS, "--fleet", "--fleet-interval=5", "--fleet-ttl=5", NULL},
		"fleet-ttl 5 must be longer than fleet-interval 5");
	refused((const char *[]){REDIS, "--fleet", "--fleet-interval=7", NULL},
		"fleet-ttl 6 must be longer than fleet-interval 7");
	refused((const char *[]){"--fleet-address=127.0.0.1", NULL},
		"fleet-address is given but fleet is off");
	refused((const char *[]){"--fleet-interval=1", NULL},
		"fleet-interval is given but fleet is off");
	refused((const char *[]){"--fleet-ttl=9", NULL}, "fleet-ttl is given but fleet is off");
	refused((const char *[]){REDIS, "--fleet", "--fleet-address=host.example", NULL},
		"bad value 'host.example' for fleet-address");
	refused((const char *[]){REDIS, "--fleet", "--fleet-ttl=1", NULL}, "fleet-ttl");
	refused((const char *[]){REDIS, "--fleet", "--fleet-interval=0", NULL}, "fleet-interval");
	refused((const char *[]){"--max-allocations=-1", NULL}, "max-allocations");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fleet_is_off_by_default),
	    cmocka_unit_test(test_fleet_options_parse),
	    cmocka_unit_test(test_bad_fleet_settings_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
