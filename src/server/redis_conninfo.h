/*
 * redis_conninfo.h - coturn's Redis connection string (redis-userdb,
 * turnadmin -N), parsed without I/O:
 *
 *   "ip=127.0.0.1 port=6379 dbname=2 password=secret connect_timeout=3"
 *
 * Words are key=value, separated by blanks. Keys, with coturn's synonyms:
 *   host ip addr ipaddr hostaddr      the server (default 127.0.0.1)
 *   port p                            1-65535 (default 6379)
 *   dbname db database                database number (default 0)
 *   user uname name username          ACL user for AUTH (Redis 6), optional
 *   password pwd passwd secret        AUTH password, optional
 *   connect_timeout timeout           seconds for connect and each command,
 *                                     1-3600 (0 or absent: the default, 2 s)
 * A key given twice keeps the last value, as in coturn. Unlike coturn, an
 * unknown key, a word without '=', an empty value, a number that is not
 * one, and control characters are refused; values cannot hold blanks (as
 * in coturn). Error messages name the key, never a password's value.
 */
#ifndef SERVER_REDIS_CONNINFO_H
#define SERVER_REDIS_CONNINFO_H

#include <stddef.h>

#define REDIS_CONNINFO_MAX 1023 /* bytes of the whole string */
#define REDIS_CONNINFO_HOST_MAX 255
#define REDIS_CONNINFO_SECRET_MAX 255 /* user, password */
#define REDIS_CONNINFO_DEFAULT_PORT 6379
#define REDIS_CONNINFO_DEFAULT_TIMEOUT_S 2
#define REDIS_CONNINFO_MAX_TIMEOUT_S 3600
#define REDIS_CONNINFO_MAX_DB 1000000

struct redis_conninfo {
	char host[REDIS_CONNINFO_HOST_MAX + 1];
	unsigned int port;
	unsigned int db;
	char user[REDIS_CONNINFO_SECRET_MAX + 1];     /* "": none */
	char password[REDIS_CONNINFO_SECRET_MAX + 1]; /* "": none */
	unsigned int timeout_s;
};

/*
 * Parse s (NUL-terminated) into *out. Returns 0, or -1 with a message in
 * err ("word 2: unknown key 'hots'") and *out untouched.
 */
int redis_conninfo_parse(const char *s, struct redis_conninfo *out, char *err, size_t errlen);

/* "127.0.0.1:6379 db 2" for logs: no user, no password. */
void redis_conninfo_describe(const struct redis_conninfo *ci, char *buf, size_t len);

#endif /* SERVER_REDIS_CONNINFO_H */
