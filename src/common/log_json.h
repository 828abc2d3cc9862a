/*
 * log_json.h - one log line as a JSON object (RFC 8259) for log shippers
 * (log-format=json): {"time":"...","level":"info","msg":"..."}. The
 * message is arbitrary bytes (it may quote what a client sent): quotes,
 * backslashes and control bytes are escaped, and bytes that are not valid
 * UTF-8 become U+FFFD, so that the line is always valid JSON in UTF-8.
 */
#ifndef COMMON_LOG_JSON_H
#define COMMON_LOG_JSON_H

#include <stddef.h>

#define LOG_JSON_MIN_CAP 128 /* the smallest out that log_json_line fills */

/*
 * Writes the object into out (cap bytes, at least LOG_JSON_MIN_CAP, NUL
 * terminated, no newline): "time" only when time is not NULL (syslog
 * stamps its own), "level" and "msg". time and level are ours and are
 * escaped too. A message that does not fit is cut at a character
 * boundary, never inside an escape, and the object still closes. Returns
 * the length written, or 0 when cap is too small.
 */
size_t log_json_line(char *out, size_t cap, const char *time, const char *level, const char *msg);

#endif /* COMMON_LOG_JSON_H */
