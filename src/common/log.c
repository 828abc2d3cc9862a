/*
 * log.c - the process log (see log.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/log_json.h"
#include "common/log_syslog.h"

#define LOG_FD_SYSLOG (-2) /* log_fd when lines go to syslog(3) */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;
static char *log_path;
static _Atomic int log_level = LOG_INFO; /* SIGHUP may change it while threads log */
static int log_facility = -1; /* -1: user */
static char log_stamp_format[LOG_TIMESTAMP_MAX + 1]; /* "": ISO 8601 UTC, ms */
static _Atomic bool log_json; /* log-format=json (log_json.h) */

#define LOG_LINE_MAX 1024 /* bytes of a text line, newline included */

/* coturn's names first: "syslog", "stdout" and "-" are no file names. */
static int open_path(const char *path)
{
	if (!path || strcmp(path, "stderr") == 0)
		return STDERR_FILENO;
	if (strcmp(path, "stdout") == 0 || strcmp(path, "-") == 0)
		return STDOUT_FILENO;
	if (strcmp(path, "syslog") == 0)
		return log_syslog_open(log_facility) < 0 ? -1 : LOG_FD_SYSLOG;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

/* Drops the destination fd replaces, under log_lock. */
static void close_dest(int fd)
{
	if (log_fd == LOG_FD_SYSLOG && fd != LOG_FD_SYSLOG)
		log_syslog_close();
	else if (log_fd > STDERR_FILENO && log_fd != fd)
		close(log_fd);
}

int log_open(const char *path, char *err, size_t errlen)
{
	int fd = open_path(path);

	if (fd == -1) {
		int e = errno;

		if (path && strcmp(path, "syslog") == 0)
			snprintf(err, errlen, "cannot log to syslog: %s: %s", LOG_SYSLOG_SOCKET,
				 strerror(e));
		else
			snprintf(err, errlen, "cannot open log file %s: %s", path, strerror(e));
		errno = e;
		return -1;
	}
	pthread_mutex_lock(&log_lock);
	close_dest(fd);
	log_fd = fd;
	free(log_path);
	log_path = path ? strdup(path) : NULL;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

int log_reopen(void)
{
	int fd, ret = 0;

	pthread_mutex_lock(&log_lock);
	if (log_fd == LOG_FD_SYSLOG) {
		pthread_mutex_unlock(&log_lock);
		return 0;
	}
	fd = open_path(log_path);
	if (fd == -1) {
		ret = -1;
	} else {
		close_dest(fd);
		log_fd = fd;
	}
	pthread_mutex_unlock(&log_lock);
	return ret;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	close_dest(STDERR_FILENO);
	log_fd = STDERR_FILENO;
	free(log_path);
	log_path = NULL;
	pthread_mutex_unlock(&log_lock);
}

const char *log_safe(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	if (!cap)
		return out;
	for (; *in && n + 5 < cap; in++) {
		unsigned char c = (unsigned char)*in;

		if (c < 0x20 || c == 0x7F || c == '\\' || c == '\'' || c == '"')
			n += (size_t)snprintf(out + n, cap - n, "\\x%02x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = '\0';
	return out;
}

int log_set_syslog_facility(const char *name)
{
	int f = name && *name ? log_syslog_facility(name) : -1;

	if (name && *name && f < 0)
		return -1;
	log_facility = f;
	return 0;
}

/* Timestamp of ts by fmt in local time, into out (LOG_TIMESTAMP_MAX + 1 bytes): its length. */
static size_t log_format_stamp(const char *fmt, const struct timespec *ts, char *out)
{
	struct tm tm;

	localtime_r(&ts->tv_sec, &tm);
	return strftime(out, LOG_TIMESTAMP_MAX + 1, fmt, &tm);
}

int log_timestamp_format_ok(const char *fmt)
{
	char out[LOG_TIMESTAMP_MAX + 1];
	/* a sample with two-digit fields at their widest: 2026-12-31 23:59:59 */
	struct timespec ts = {.tv_sec = 1798761599};

	if (!fmt || !*fmt || strlen(fmt) > LOG_TIMESTAMP_MAX)
		return -1;
	return log_format_stamp(fmt, &ts, out) > 0 ? 0 : -1;
}

int log_set_timestamp_format(const char *fmt)
{
	if (fmt && *fmt && log_timestamp_format_ok(fmt) < 0)
		return -1;
	tzset(); /* localtime_r needs the zone, read once here before the threads */
	snprintf(log_stamp_format, sizeof(log_stamp_format), "%s", fmt ? fmt : "");
	return 0;
}

void log_set_level(enum log_level level)
{
	atomic_store_explicit(&log_level, (int)level, memory_order_relaxed);
}

enum log_level log_get_level(void)
{
	return (enum log_level)atomic_load_explicit(&log_level, memory_order_relaxed);
}

int log_set_format(const char *name)
{
	if (!name || !*name || strcmp(name, "text") == 0)
		atomic_store_explicit(&log_json, false, memory_order_relaxed);
	else if (strcmp(name, "json") == 0)
		atomic_store_explicit(&log_json, true, memory_order_relaxed);
	else
		return -1;
	return 0;
}

/* The line's timestamp into out (LOG_TIMESTAMP_MAX + 1 bytes): its length, 0 for none. */
static int log_stamp(const struct timespec *ts, char *out)
{
	struct tm tm;

	/* coturn's new-log-timestamp-format; one that gives nothing leaves no stamp */
	if (log_stamp_format[0])
		return (int)log_format_stamp(log_stamp_format, ts, out);
	gmtime_r(&ts->tv_sec, &tm);
	return snprintf(out, LOG_TIMESTAMP_MAX + 1, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ",
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			tm.tm_sec, ts->tv_nsec / 1000000);
}

/* One line out to the destination, under log_lock: line holds room for the newline. */
static void log_write(int level, char *line, size_t n, size_t syslog_from)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd == LOG_FD_SYSLOG) {
		/* syslog stamps the time itself */
		log_syslog_line(level, line + syslog_from);
	} else {
		line[n++] = '\n';
		if (write(log_fd, line, n) < 0)
			errno = 0;
	}
	pthread_mutex_unlock(&log_lock);
}

/*
 * log-format=json: {"time":..,"level":..,"msg":..} (log_json.h); to
 * syslog without the time. The message is cut as a text line is.
 */
static void log_msg_json(enum log_level level, const struct timespec *ts, const char *fmt,
			 va_list ap)
{
	static const char *names[] = {"error", "warning", "info", "debug"};
	char stamp[LOG_TIMESTAMP_MAX + 1], msg[LOG_LINE_MAX], line[2 * LOG_LINE_MAX];
	bool to_syslog;
	size_t n;

	if (vsnprintf(msg, sizeof(msg), fmt, ap) < 0)
		msg[0] = '\0';
	stamp[log_stamp(ts, stamp)] = '\0';
	pthread_mutex_lock(&log_lock);
	to_syslog = log_fd == LOG_FD_SYSLOG;
	pthread_mutex_unlock(&log_lock);
	n = log_json_line(line, sizeof(line) - 1, to_syslog ? NULL : stamp, names[level], msg);
	log_write((int)level, line, n, 0);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = {"ERROR", "WARNING", "INFO", "DEBUG"};
	char line[LOG_LINE_MAX];
	struct timespec ts;
	va_list ap;
	int n, m, stamp;

	if ((int)level > atomic_load_explicit(&log_level, memory_order_relaxed))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (atomic_load_explicit(&log_json, memory_order_relaxed)) {
		va_start(ap, fmt);
		log_msg_json(level, &ts, fmt, ap);
		va_end(ap);
		return;
	}
	stamp = log_stamp(&ts, line);
	if (stamp)
		line[stamp++] = ' ';
	n = stamp + snprintf(line + stamp, sizeof(line) - (size_t)stamp, "%s: ", names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n] = '\0';
	log_write((int)level, line, (size_t)n, (size_t)stamp);
}
