/*
 * test_log.c - src/common/log.c: untrusted text is made safe for one log
 * line (log_safe); coturn's log-file names "-", "stdout" and "syslog" are
 * destinations, never files of that name; coturn's logging options:
 * new-log-timestamp-format stamps each line by a strftime(3) format of
 * local time (and a bad one is refused, changing nothing), syslog-facility
 * names map to <syslog.h>'s facilities.
 */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

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

/* A fresh empty directory to work in; its path into dir. */
static void enter_temp_dir(char *dir, size_t cap)
{
	snprintf(dir, cap, "/tmp/test_log_XXXXXX");
	assert_non_null(mkdtemp(dir));
	assert_int_equal(chdir(dir), 0);
}

static void leave_temp_dir(const char *dir)
{
	assert_int_equal(chdir("/"), 0);
	assert_int_equal(rmdir(dir), 0); /* fails if a file was left in it */
}

static void test_log_dash_and_stdout_write_to_stdout(void **state)
{
	static const char *const names[] = {"-", "stdout"};
	char dir[64], out[] = "/tmp/test_log_out_XXXXXX", buf[512], err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		int saved = dup(STDOUT_FILENO), fd = mkstemp(out);
		ssize_t n;

		assert_true(saved >= 0 && fd >= 0);
		enter_temp_dir(dir, sizeof(dir));
		fflush(stdout); /* cmocka's own lines stay on the real stdout */
		assert_int_equal(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
		assert_int_equal(log_open(names[i], err, sizeof(err)), 0);
		log_msg(LOG_INFO, "to stdout %zu", i);
		log_close();
		assert_int_equal(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
		close(saved);
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_non_null(strstr(buf, "INFO: to stdout"));
		close(fd);
		unlink(out);
		strcpy(out, "/tmp/test_log_out_XXXXXX");
		leave_temp_dir(dir);
	}
}

/* With a syslog socket log lines go there; without one, a clear refusal. */
static void test_log_syslog_is_no_file(void **state)
{
	struct stat st;
	bool have = stat("/dev/log", &st) == 0 && S_ISSOCK(st.st_mode);
	char dir[64], err[256] = "";
	int rc;

	(void)state;
	enter_temp_dir(dir, sizeof(dir));
	rc = log_open("syslog", err, sizeof(err));
	if (have) {
		assert_int_equal(rc, 0);
		log_msg(LOG_WARN, "test_log: a line for syslog");
	} else {
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, "cannot log to syslog: /dev/log: "));
	}
	log_close();
	leave_temp_dir(dir);
}

static void test_log_file_name_is_a_file(void **state)
{
	char dir[64], err[256], buf[256];
	ssize_t n;
	int fd;

	(void)state;
	enter_temp_dir(dir, sizeof(dir));
	assert_int_equal(log_open("turn.log", err, sizeof(err)), 0);
	log_msg(LOG_ERROR, "into the file");
	log_close();
	fd = open("turn.log", O_RDONLY);
	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n > 0);
	buf[n] = '\0';
	assert_non_null(strstr(buf, "ERROR: into the file\n"));
	unlink("turn.log");
	assert_int_equal(log_open("/nonexistent/dir/turn.log", err, sizeof(err)), -1);
	assert_string_equal(err, "cannot open log file /nonexistent/dir/turn.log: "
				 "No such file or directory");
	leave_temp_dir(dir);
}

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
	    cmocka_unit_test(test_log_safe_escapes_line_breaks_and_control_bytes),
	    cmocka_unit_test(test_log_safe_escapes_quotes_and_backslash),
	    cmocka_unit_test(test_log_safe_keeps_utf8_and_plain_text),
	    cmocka_unit_test(test_log_safe_cuts_to_fit_and_terminates),
	    cmocka_unit_test(test_log_dash_and_stdout_write_to_stdout),
	    cmocka_unit_test(test_log_syslog_is_no_file),
	    cmocka_unit_test(test_log_file_name_is_a_file),
	    cmocka_unit_test(test_format_stamps_each_line),
	    cmocka_unit_test(test_default_stamp_is_iso8601_utc_ms),
	    cmocka_unit_test(test_bad_formats_refused_and_change_nothing),
	    cmocka_unit_test(test_syslog_facility_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
