/*
 * log.h - one process-wide log: stderr, stdout, syslog or a file, the file
 * reopened on SIGHUP. Thread-safe; each line is written with a single
 * write(2) (or one syslog(3) call). Never pass secrets (passwords, keys,
 * HMACs) to it.
 */
#ifndef COMMON_LOG_H
#define COMMON_LOG_H

#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

/*
 * Where log lines go, by coturn's log-file names: NULL or "stderr": stderr;
 * "stdout" or "-": stdout; "syslog": syslog(3) with the ident turnserver,
 * facility user (or log_set_syslog_facility's), the level as priority and
 * no timestamp of ours (refused
 * when there is no syslog socket at /dev/log, so that no line is lost
 * unseen); any other name: a file, appended to. Returns 0, or -1 with
 * errno and a message naming the destination in err.
 */
int log_open(const char *path, char *err, size_t errlen);
/* Reopens the file (after rotation); nothing to do for the others. */
int log_reopen(void);
void log_close(void);
/*
 * Before log_open: the syslog(3) facility by coturn's syslog-facility name
 * ("LOG_LOCAL1" or "local1", any case; NULL or "": user), and the
 * timestamp of each line as a strftime(3) format of local time (coturn's
 * new-log-timestamp-format; NULL or "": ISO 8601 UTC with milliseconds).
 * Each returns -1 for a name or format that log_syslog_facility() or
 * log_timestamp_format_ok() refuses, and then changes nothing.
 */
int log_set_syslog_facility(const char *name);
int log_set_timestamp_format(const char *fmt);
/* The facility's value for openlog(3), or -1 for an unknown name. */
int log_syslog_facility(const char *name);
#define LOG_TIMESTAMP_MAX 63 /* bytes of a timestamp made by a format */
/* 0 when fmt, used on a sample time, gives 1 to LOG_TIMESTAMP_MAX bytes; else -1. */
int log_timestamp_format_ok(const char *fmt);
/*
 * Before log_open (any time: the next line follows it): "text" (or NULL,
 * ""; the default) or "json", one JSON object a line for log shippers
 * (log_json.h). -1 for another name, and nothing changes.
 */
int log_set_format(const char *name);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * Copies untrusted text (a USERNAME from the wire) for a log line: control
 * bytes, backslashes and quotes become \xHH; cut to fit. Returns out.
 */
const char *log_safe(const char *in, char *out, size_t cap);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
	do {                                                                                       \
		if (log_get_level() >= LOG_DEBUG)                                                  \
			log_msg(LOG_DEBUG, __VA_ARGS__);                                           \
	} while (0)

#endif
