/*
 * test_config_rest.c - the TURN REST API options (src/common/config.c):
 * use-auth-secret, static-auth-secret (repeatable, for rotation; length
 * bounded; never echoed in an error), rest-api-separator (-C; one
 * character, not a digit) in the file and on the command line, and
 * secret-key-file refused with coturn's meaning named.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

#include "config_test.h"

static void test_rest_defaults_off_with_colon(void **state)
{
	(void)state;
	assert_false(c.use_auth_secret);
	assert_int_equal(c.static_auth_secret_count, 0);
	assert_string_equal(c.rest_api_separator, ":");
}

static void test_file_takes_several_secrets_and_a_separator(void **state)
{
	(void)state;
	assert_int_equal(load_text("use-auth-secret\n"
				   "static-auth-secret=north\n"
				   "static-auth-secret = \"south wind\"\n"
				   "rest-api-separator=-\n"),
			 0);
	assert_true(c.use_auth_secret);
	assert_int_equal(c.static_auth_secret_count, 2);
	assert_string_equal(c.static_auth_secret[0], "north");
	assert_string_equal(c.static_auth_secret[1], "south wind");
	assert_string_equal(c.rest_api_separator, "-");
}

static void test_command_line_forms(void **state)
{
	char *argv[] = {"turnserver", "--use-auth-secret", "--static-auth-secret", "k1",
			"--static-auth-secret=k2", "-C", "_"};

	(void)state;
	assert_int_equal(args(7, argv), 0);
	assert_true(c.use_auth_secret);
	assert_int_equal(c.static_auth_secret_count, 2);
	assert_string_equal(c.static_auth_secret[1], "k2");
	assert_string_equal(c.rest_api_separator, "_");
}

static void test_bad_separators_are_refused(void **state)
{
	(void)state;
	assert_int_equal(load_text("rest-api-separator=ab\n"), -1);
	assert_non_null(strstr(err, "rest-api-separator longer than 1 bytes"));
	config_free(&c);
	config_init(&c);
	assert_int_equal(load_text("rest-api-separator=7\n"), -1);
	assert_non_null(strstr(err, "expected one character, not a digit"));
	config_free(&c);
	config_init(&c);
	assert_int_equal(load_text("rest-api-separator=\n"), -1);
	assert_non_null(strstr(err, "needs a value"));
}

static void test_bad_secrets_are_refused_without_echo(void **state)
{
	char text[CONFIG_MAX_SECRET_BYTES + 64];

	(void)state;
	snprintf(text, sizeof(text), "static-auth-secret=%0*d\n", CONFIG_MAX_SECRET_BYTES + 1, 7);
	assert_int_equal(load_text(text), -1);
	assert_non_null(strstr(err, "static-auth-secret longer than 256 bytes"));
	assert_null(strstr(err, "0007"));
	config_free(&c);
	config_init(&c);
	assert_int_equal(load_text("static-auth-secret=hush\nstatic-auth-secret=hush\n"), -1);
	assert_non_null(strstr(err, "static-auth-secret number 2 given twice"));
	assert_null(strstr(err, "hush"));
	config_free(&c);
	config_init(&c);
	snprintf(text, sizeof(text), "static-auth-secret=%0*d\n", CONFIG_MAX_SECRET_BYTES, 7);
	assert_int_equal(load_text(text), 0);
	assert_int_equal(strlen(c.static_auth_secret[0]), CONFIG_MAX_SECRET_BYTES);
}

static void test_at_most_sixteen_secrets(void **state)
{
	char text[CONFIG_MAX_SECRETS * 32 + 64];
	size_t len = 0;

	(void)state;
	for (int i = 0; i <= CONFIG_MAX_SECRETS; i++)
		len += (size_t)snprintf(text + len, sizeof(text) - len, "static-auth-secret=s%d\n", i);
	assert_int_equal(load_text(text), -1);
	assert_non_null(strstr(err, "too many static-auth-secret entries (at most 16)"));
}

/* coturn's secret-key-file is an AES key for a MySQL password, not a REST secret */
static void test_secret_key_file_refused_with_its_meaning(void **state)
{
	(void)state;
	assert_int_equal(load_text("secret-key-file=/etc/turn.key\n"), -1);
	assert_non_null(strstr(err, "'secret-key-file' is a coturn option not implemented yet"));
	assert_non_null(strstr(err, "MySQL"));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_rest_defaults_off_with_colon),
	    T(test_file_takes_several_secrets_and_a_separator),
	    T(test_command_line_forms),
	    T(test_bad_separators_are_refused),
	    T(test_bad_secrets_are_refused_without_echo),
	    T(test_at_most_sixteen_secrets),
	    T(test_secret_key_file_refused_with_its_meaning),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
