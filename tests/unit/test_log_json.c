/*
 * test_log_json.c - log-format=json: src/common/log_json.c makes each line
 * one valid JSON object whatever the message holds (quotes, backslashes,
 * control bytes, invalid UTF-8 become escapes or U+FFFD; a message too
 * long is cut at a character, never inside an escape, and the object
 * closes); log.c writes it to the file with the time; config refuses a
 * log-format other than text or json by name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config_internal.h" /* config_check */
#include "common/log.h"
#include "common/log_json.h"
#include "config_test.h"

static void test_plain_message(void **state)
{
	char out[256];
	size_t n;

	(void)state;
	n = log_json_line(out, sizeof(out), "2026-12-07T10:00:00.000Z", "info", "ready: 2 workers");
	assert_string_equal(out, "{\"time\":\"2026-12-07T10:00:00.000Z\",\"level\":\"info\","
				 "\"msg\":\"ready: 2 workers\"}");
	assert_int_equal(n, strlen(out));
	/* syslog stamps its own time */
	log_json_line(out, sizeof(out), NULL, "error", "x");
	assert_string_equal(out, "{\"level\":\"error\",\"msg\":\"x\"}");
}

static void test_quotes_backslashes_controls_escaped(void **state)
{
	char out[256];

	(void)state;
	log_json_line(out, sizeof(out), NULL, "info", "user \"a\\b\"\n\t\x01\x7f end");
	assert_string_equal(out, "{\"level\":\"info\",\"msg\":\"user \\\"a\\\\b\\\"\\u000a"
				 "\\u0009\\u0001\\u007f end\"}");
}

static void test_utf8_kept_invalid_replaced(void **state)
{
	char out[256];

	(void)state;
	/* é and € and U+1F600 stay as they are */
	log_json_line(out, sizeof(out), NULL, "info", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(out, "{\"level\":\"info\",\"msg\":\"caf\xc3\xa9 \xe2\x82\xac "
				 "\xf0\x9f\x98\x80\"}");
	/* a lone continuation, an overlong '/', a surrogate, past U+10FFFF, a cut sequence */
	log_json_line(out, sizeof(out), NULL, "info",
		      "\x80|\xc0\xaf|\xed\xa0\x80|\xf4\x90\x80\x80|\xe2\x82");
	assert_string_equal(out, "{\"level\":\"info\",\"msg\":\"\\ufffd|\\ufffd\\ufffd|"
				 "\\ufffd\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd\\ufffd|"
				 "\\ufffd\\ufffd\"}");
}

/* out is a closed object and no escape in it is cut */
static void assert_closed_object(const char *out, size_t n)
{
	assert_int_equal(strlen(out), n);
	assert_true(n >= 2 && out[n - 2] == '"' && out[n - 1] == '}');
	for (size_t i = 0; i + 2 < n; i++) {
		if (out[i] != '\\')
			continue;
		if (out[i + 1] == 'u') {
			assert_true(i + 6 <= n - 2);
			i += 5;
		} else {
			assert_non_null(strchr("\"\\", out[i + 1]));
			i++;
		}
	}
}

static void test_long_message_cut_at_a_character(void **state)
{
	char msg[600], out[LOG_JSON_MIN_CAP];
	size_t n;

	(void)state;
	/* escapes of every length at every offset against the cut */
	for (size_t shift = 0; shift < 7; shift++) {
		size_t k = 0;

		for (size_t i = 0; i < shift; i++)
			msg[k++] = 'a';
		while (k + 4 < sizeof(msg)) {
			msg[k++] = '\x01';
			msg[k++] = '"';
			msg[k++] = (char)0xc3;
			msg[k++] = (char)0xa9;
		}
		msg[k] = '\0';
		memset(out, 0x55, sizeof(out));
		n = log_json_line(out, sizeof(out), "2026-12-07T10:00:00.000Z", "warning", msg);
		assert_true(n > 0 && n < sizeof(out));
		assert_closed_object(out, n);
	}
	assert_int_equal(log_json_line(out, LOG_JSON_MIN_CAP - 1, NULL, "info", "x"), 0);
}

static void test_log_writes_json_lines_to_the_file(void **state)
{
	char path[] = "/tmp/test_log_json_XXXXXX", line[512];
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_set_format("xml"), -1);
	assert_int_equal(log_set_format("json"), 0);
	assert_int_equal(log_open(path, err, sizeof(err)), 0);
	log_info("user '%s' allocated", "al\"ice");
	log_warn("second");
	assert_int_equal(log_set_format("text"), 0);
	log_info("third");
	log_close();
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(line, sizeof(line), f));
	/* {"time":"YYYY-MM-DDTHH:MM:SS.mmmZ","level":... */
	assert_int_equal(strncmp(line, "{\"time\":\"", 9), 0);
	assert_int_equal(line[9 + 24], '"');
	assert_string_equal(line + 9 + 24,
			    "\",\"level\":\"info\",\"msg\":\"user 'al\\\"ice' allocated\"}\n");
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "\"level\":\"warning\",\"msg\":\"second\"}\n"));
	assert_non_null(fgets(line, sizeof(line), f));
	assert_non_null(strstr(line, "Z INFO: third\n"));
	fclose(f);
	unlink(path);
}

static void test_config_log_format(void **state)
{
	char *argv[] = {"turnserver", "--log-format", "json", NULL};

	(void)state;
	assert_string_equal(c.log_format, "text");
	assert_int_equal(args(3, argv), 0);
	assert_int_equal(config_check(&c, err, sizeof(err)), 0);
	assert_string_equal(c.log_format, "json");
	/* a file is checked as it loads */
	assert_int_equal(load_text("log-format=xml\n"), -1);
	assert_non_null(strstr(err, "bad value 'xml' for log-format (expected text or json)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_message),
	    cmocka_unit_test(test_quotes_backslashes_controls_escaped),
	    cmocka_unit_test(test_utf8_kept_invalid_replaced),
	    cmocka_unit_test(test_long_message_cut_at_a_character),
	    cmocka_unit_test(test_log_writes_json_lines_to_the_file),
	    cmocka_unit_test_setup_teardown(test_config_log_format, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
