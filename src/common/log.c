/*
 * log.c - the process log (see log.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;
static char *log_path;
static enum log_level log_level = LOG_INFO;

static int open_path(const char *path)
{
	if (!path)
		return STDERR_FILENO;
	if (strcmp(path, "stdout") == 0)
		return STDOUT_FILENO;
	if (strcmp(path, "stderr") == 0)
		return STDERR_FILENO;
	return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
}

int log_open(const char *path)
{
	int fd = open_path(path);

	if (fd < 0)
		return -1;
	pthread_mutex_lock(&log_lock);
	if (log_fd > STDERR_FILENO)
		close(log_fd);
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
	fd = open_path(log_path);
	if (fd < 0) {
		ret = -1;
	} else {
		if (log_fd > STDERR_FILENO && log_fd != fd)
			close(log_fd);
		log_fd = fd;
	}
	pthread_mutex_unlock(&log_lock);
	return ret;
}

void log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd > STDERR_FILENO)
		close(log_fd);
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

void log_set_level(enum log_level level)
{
	log_level = level;
}

enum log_level log_get_level(void)
{
	return log_level;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	static const char *names[] = {"ERROR", "WARNING", "INFO", "DEBUG"};
	char line[1024];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	int n, m;

	if (level > log_level)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = snprintf(line, sizeof(line), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s: ",
		     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
		     tm.tm_sec, ts.tv_nsec / 1000000, names[level]);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	pthread_mutex_lock(&log_lock);
	if (write(log_fd, line, (size_t)n) < 0)
		errno = 0;
	pthread_mutex_unlock(&log_lock);
}
