/*
 * test_log_format.c - coturn's logging options in src/common/log.c:
 * new-log-timestamp-format stamps each line by a strftime(3) format of
 * local time (and a bad one is refused, changing nothing); syslog-facility
 * names map to <syslog.h>'s facilities.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/log.h"

/* The first line of a temp file logged to with the format set now: into out. */
static void log_line_now(const char *level, char *out, size_t cap)
{
	char path[] = "/tmp/test_log_format_XXXXXX", err[256];
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(log_open(path, err, sizeof(err)), 0);
	if (strcmp(level, "warn") == 0)
		log_warn("w");
	else
		log_info("hello %d", 42);
	log_close();
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(out, (int)cap, f));
	fclose(f);
	unlink(path);
}

/* log_line_now with the format fmt, then back to the default. */
static void log_one_line(const char *fmt, char *out, size_t cap)
{
	assert_int_equal(log_set_timestamp_format(fmt), 0);
	log_line_now("info", out, cap);
	assert_int_equal(log_set_timestamp_format(NULL), 0);
}

static void test_format_stamps_each_line(void **state)
{
	char line[256], want[64];
	time_t now = time(NULL);
	struct tm tm;

	(void)state;
	log_one_line("[%%stamp%%]", line, sizeof(line));
	assert_string_equal(line, "[%stamp%] INFO: hello 42\n");
	localtime_r(&now, &tm);
	log_one_line("%Y", line, sizeof(line));
	snprintf(want, sizeof(want), "%04d INFO: hello 42\n", tm.tm_year + 1900);
	/* a year boundary between the two reads is the one way this could differ */
	if (strcmp(line, want) != 0) {
		now = time(NULL);
		localtime_r(&now, &tm);
		snprintf(want, sizeof(want), "%04d INFO: hello 42\n", tm.tm_year + 1900);
		assert_string_equal(line, want);
	}
}

static void test_default_stamp_is_iso8601_utc_ms(void **state)
{
	char line[256];

	(void)state;
	log_one_line(NULL, line, sizeof(line));
	/* 2026-12-07T12:00:00.000Z INFO: hello 42 */
	assert_int_equal(strlen(line), 24 + 1 + strlen("INFO: hello 42\n"));
	assert_int_equal(line[4], '-');
	assert_int_equal(line[10], 'T');
	assert_int_equal(line[19], '.');
	assert_int_equal(line[23], 'Z');
	assert_string_equal(line + 25, "INFO: hello 42\n");
}

static void test_bad_formats_refused_and_change_nothing(void **state)
{
	char line[256];

	(void)state;
	assert_int_equal(log_timestamp_format_ok("%F %T"), 0);
	assert_int_equal(log_timestamp_format_ok(""), -1);
	assert_int_equal(log_timestamp_format_ok(NULL), -1);
	/* more than LOG_TIMESTAMP_MAX bytes once formatted */
	assert_int_equal(log_timestamp_format_ok("%c %c %c %c"), -1);
	assert_int_equal(log_set_timestamp_format("[%%x%%]"), 0);
	assert_int_equal(log_set_timestamp_format("%c %c %c %c"), -1);
	/* the earlier format stays */
	log_line_now("warn", line, sizeof(line));
	assert_string_equal(line, "[%x%] WARNING: w\n");
	assert_int_equal(log_set_timestamp_format(""), 0);
}

static void test_syslog_facility_names(void **state)
{
	(void)state;
	/* <syslog.h>'s values: facility number << 3 */
	assert_int_equal(log_syslog_facility("LOG_USER"), 1 << 3);
	assert_int_equal(log_syslog_facility("user"), 1 << 3);
	assert_int_equal(log_syslog_facility("LOG_DAEMON"), 3 << 3);
	assert_int_equal(log_syslog_facility("LOG_LOCAL0"), 16 << 3);
	assert_int_equal(log_syslog_facility("log_local1"), 17 << 3);
	assert_int_equal(log_syslog_facility("Local7"), 23 << 3);
	assert_int_equal(log_syslog_facility("LOG_LOCAL8"), -1);
	assert_int_equal(log_syslog_facility("LOG_"), -1);
	assert_int_equal(log_syslog_facility(""), -1);
	assert_int_equal(log_set_syslog_facility("nonsense"), -1);
	assert_int_equal(log_set_syslog_facility("LOG_LOCAL3"), 0);
	assert_int_equal(log_set_syslog_facility(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_stamps_each_line),
	    cmocka_unit_test(test_default_stamp_is_iso8601_utc_ms),
	    cmocka_unit_test(test_bad_formats_refused_and_change_nothing),
	    cmocka_unit_test(test_syslog_facility_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
