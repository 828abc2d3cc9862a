/*
 * log_syslog.h - the syslog(3) destination of log.c. Apart from log.c
 * because <syslog.h> defines LOG_INFO and LOG_DEBUG, names that log.h's
 * levels use. Not for callers outside src/common/log*.c.
 */
#ifndef COMMON_LOG_SYSLOG_H
#define COMMON_LOG_SYSLOG_H

#define LOG_SYSLOG_SOCKET "/dev/log"

/*
 * openlog() with the ident turnserver and the facility (-1: user); -1 with
 * errno when LOG_SYSLOG_SOCKET is no socket.
 */
int log_syslog_open(int facility);
/* log.h's: the facility by name, -1 if unknown. */
int log_syslog_facility(const char *name);
/* One line at the priority of log.h's level (0 error .. 3 debug). */
void log_syslog_line(int level, const char *line);
void log_syslog_close(void);

#endif
