/*
 * test_redis_conninfo.c - coturn's Redis connection string
 * (src/server/redis_conninfo.c): coturn's documented form and its key
 * synonyms parse; defaults fill what is absent; malformed strings are
 * refused with a message naming the key (never the password), leaving the
 * output untouched.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "server/redis_conninfo.h"

static void test_coturn_documented_form_parses(void **state)
{
	struct redis_conninfo ci;
	char err[128], desc[300];

	(void)state;
	assert_int_equal(redis_conninfo_parse("ip=127.0.0.1 dbname=2 password=turn "
					      "connect_timeout=30",
					      &ci, err, sizeof(err)),
			 0);
	assert_string_equal(ci.host, "127.0.0.1");
	assert_int_equal(ci.port, 6379);
	assert_int_equal(ci.db, 2);
	assert_string_equal(ci.password, "turn");
	assert_string_equal(ci.user, "");
	assert_int_equal(ci.timeout_s, 30);
	redis_conninfo_describe(&ci, desc, sizeof(desc));
	assert_string_equal(desc, "127.0.0.1:6379 db 2");
}

static void test_synonyms_tabs_and_repeats(void **state)
{
	struct redis_conninfo ci;
	char err[128], desc[300];

	(void)state;
	assert_int_equal(redis_conninfo_parse("  host=::1\tp=6380 db=7 uname=turn pwd=s3 "
					      "timeout=0 port=6381  ",
					      &ci, err, sizeof(err)),
			 0);
	assert_string_equal(ci.host, "::1");
	assert_int_equal(ci.port, 6381); /* the last one given, as in coturn */
	assert_int_equal(ci.db, 7);
	assert_string_equal(ci.user, "turn");
	assert_string_equal(ci.password, "s3");
	assert_int_equal(ci.timeout_s, REDIS_CONNINFO_DEFAULT_TIMEOUT_S); /* 0: default */
	redis_conninfo_describe(&ci, desc, sizeof(desc));
	assert_string_equal(desc, "[::1]:6381 db 7");
}

/* s is refused with a message holding want (and not the secret "hunter2") */
static void refused(const char *s, const char *want)
{
	struct redis_conninfo ci, before;
	char err[160];

	memset(&ci, 0x5A, sizeof(ci));
	before = ci;
	assert_int_equal(redis_conninfo_parse(s, &ci, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("'%s': error '%s' lacks '%s'", s, err, want);
	assert_null(strstr(err, "hunter2"));
	assert_memory_equal(&ci, &before, sizeof(ci));
}

static void test_malformed_strings_refused(void **state)
{
	char longhost[300], huge[REDIS_CONNINFO_MAX + 8];

	(void)state;
	refused("", "empty");
	refused(" \t ", "empty");
	refused("ip=127.0.0.1 hots=x", "word 2: unknown key 'hots'");
	refused("password=hunter2 127.0.0.1", "word 2: not key=value");
	refused("=hunter2", "unknown key ''");
	refused("ip=", "ip: empty value");
	refused("port=0", "port: not a port");
	refused("port=65536", "port: not a port");
	refused("port=-1", "port: not a port");
	refused("port=63 79", "word 2: not key=value");
	refused("port=0x10", "port: not a port");
	refused("port=99999999999999999999999", "port: not a port");
	refused("dbname=two", "dbname: not a database number");
	refused("dbname=1000001", "dbname: not a database number");
	refused("connect_timeout=3601", "connect_timeout: not a number");
	refused("connect_timeout=1.5", "connect_timeout: not a number");
	refused("user=turn", "user without password");
	refused("password=hunter2\nip=1.2.3.4", "control character at byte 17");
	refused("password=hunter2\x7f", "control character");
	memset(longhost, 'a', sizeof(longhost));
	memcpy(longhost, "ip=", 3);
	longhost[sizeof(longhost) - 1] = '\0';
	refused(longhost, "ip: longer than 255 bytes");
	memset(huge, ' ', sizeof(huge));
	huge[sizeof(huge) - 1] = '\0';
	refused(huge, "longer than 1023 bytes");
	refused(NULL, "no connection string");
}

static void test_password_of_the_limit_accepted(void **state)
{
	char s[300];
	struct redis_conninfo ci;

	(void)state;
	memcpy(s, "password=", 9);
	memset(s + 9, 'p', REDIS_CONNINFO_SECRET_MAX);
	s[9 + REDIS_CONNINFO_SECRET_MAX] = '\0';
	assert_int_equal(redis_conninfo_parse(s, &ci, NULL, 0), 0);
	assert_int_equal(strlen(ci.password), REDIS_CONNINFO_SECRET_MAX);
	s[9 + REDIS_CONNINFO_SECRET_MAX] = 'p';
	s[10 + REDIS_CONNINFO_SECRET_MAX] = '\0';
	assert_int_equal(redis_conninfo_parse(s, &ci, NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_coturn_documented_form_parses),
		cmocka_unit_test(test_synonyms_tabs_and_repeats),
		cmocka_unit_test(test_malformed_strings_refused),
		cmocka_unit_test(test_password_of_the_limit_accepted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
