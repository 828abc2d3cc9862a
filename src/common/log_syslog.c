/*
 * log_syslog.c - log lines to syslog(3) (see log_syslog.h).
 */
#include <errno.h>
#include <stddef.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>

#include "common/log_syslog.h"

static const struct {
	const char *name; /* coturn's names are <syslog.h>'s, "LOG_" optional */
	int facility;
} log_facilities[] = {
    {"auth", LOG_AUTH},	    {"authpriv", LOG_AUTHPRIV}, {"cron", LOG_CRON},
    {"daemon", LOG_DAEMON}, {"ftp", LOG_FTP},		{"kern", LOG_KERN},
    {"lpr", LOG_LPR},	    {"mail", LOG_MAIL},		{"news", LOG_NEWS},
    {"syslog", LOG_SYSLOG}, {"user", LOG_USER},		{"uucp", LOG_UUCP},
    {"local0", LOG_LOCAL0}, {"local1", LOG_LOCAL1},	{"local2", LOG_LOCAL2},
    {"local3", LOG_LOCAL3}, {"local4", LOG_LOCAL4},	{"local5", LOG_LOCAL5},
    {"local6", LOG_LOCAL6}, {"local7", LOG_LOCAL7},
};

int log_syslog_facility(const char *name)
{
	if (strncasecmp(name, "LOG_", 4) == 0)
		name += 4;
	for (size_t i = 0; i < sizeof(log_facilities) / sizeof(log_facilities[0]); i++)
		if (strcasecmp(name, log_facilities[i].name) == 0)
			return log_facilities[i].facility;
	return -1;
}

int log_syslog_open(int facility)
{
	struct stat st;

	if (stat(LOG_SYSLOG_SOCKET, &st) < 0)
		return -1;
	if (!S_ISSOCK(st.st_mode)) {
		errno = ENOTSOCK;
		return -1;
	}
	/* coturn logs under its program name, by default with the facility user */
	openlog("turnserver", LOG_PID | LOG_NDELAY, facility < 0 ? LOG_USER : facility);
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
