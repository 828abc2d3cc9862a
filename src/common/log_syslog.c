/*
 * log_syslog.c - log lines to syslog(3) (see log_syslog.h).
 */
#include <errno.h>
#include <sys/stat.h>
#include <syslog.h>

#include "common/log_syslog.h"

int log_syslog_open(void)
{
	struct stat st;

	if (stat(LOG_SYSLOG_SOCKET, &st) < 0)
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		return -1;
	}
	/* coturn logs under its program name with the default facility, user */
	openlog("turnserver", LOG_PID | LOG_NDELAY, LOG_USER);
	return 0;
}

void log_syslog_line(int level, const char *line)
{
	static const int priority[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

	if (level < 0 || level > 3)
		level = 3;
	syslog(priority[level], "%s", line);
}

void log_syslog_close(void)
{
	closelog();
}
