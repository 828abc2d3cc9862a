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
 * facility user, the level as priority and no timestamp of ours (refused
 * when there is no syslog socket at /dev/log, so that no line is lost
 * unseen); any other name: a file, appended to. Returns 0, or -1 with
 * errno and a message naming the destination in err.
 */
int log_open(const char *path, char *err, size_t errlen);
/* Reopens the file (after rotation); nothing to do for the others. */
int log_reopen(void);
void log_close(void);
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
