/*
 * test_log.c - src/common/log.c: untrusted text is made safe for one log
 * line (log_safe).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/log.h"

static void test_log_safe_escapes_line_breaks_and_control_bytes(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_safe("a\nb\rc\td\x7f", out, sizeof(out)),
			    "a\\x0ab\\x0dc\\x09d\\x7f");
}

static void test_log_safe_escapes_quotes_and_backslash(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_safe("x'y\"z\\", out, sizeof(out)), "x\\x27y\\x22z\\x5c");
}

static void test_log_safe_keeps_utf8_and_plain_text(void **state)
{
	char out[64];

	(void)state;
	assert_string_equal(log_safe("alice \xe3\x83\x9e", out, sizeof(out)), "alice \xe3\x83\x9e");
}

static void test_log_safe_cuts_to_fit_and_terminates(void **state)
{
	char out[8];

	(void)state;
	memset(out, 'Z', sizeof(out));
	log_safe("abcdefghijkl", out, sizeof(out));
	assert_true(strlen(out) < sizeof(out));
	assert_int_equal(strncmp(out, "abc", 3), 0);
	memset(out, 'Z', sizeof(out));
	log_safe("\n\n\n\n", out, sizeof(out));
	assert_true(strlen(out) < sizeof(out));
	assert_string_equal(log_safe("", out, sizeof(out)), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_safe_escapes_line_breaks_and_control_bytes),
	    cmocka_unit_test(test_log_safe_escapes_quotes_and_backslash),
	    cmocka_unit_test(test_log_safe_keeps_utf8_and_plain_text),
	    cmocka_unit_test(test_log_safe_cuts_to_fit_and_terminates),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
