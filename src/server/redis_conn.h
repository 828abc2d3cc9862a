/*
 * redis_conn.h - one blocking hiredis connection made from coturn's
 * connection string (redis_conninfo.h): connected, authenticated and on
 * its database when a command needs it, every call bounded by the
 * string's connect_timeout. The user store (userdb_redis.c) and the fleet
 * (fleet.c) each own one, on their own thread; never used from a worker.
 */
#ifndef SERVER_REDIS_CONN_H
#define SERVER_REDIS_CONN_H

#include <stddef.h>

#include "server/redis_conninfo.h"

#define REDIS_CONN_MAX_ARGS 80 /* arguments of one command */

struct redisContext;
struct redisReply;

struct redis_conn {
	struct redis_conninfo ci;
	char where[REDIS_CONNINFO_HOST_MAX + 32]; /* "127.0.0.1:6379 db 2" for messages */
	struct redisContext *c;			  /* NULL until connected, after an I/O error */
};

/* Parse conninfo into *rc, not connected yet: 0, or -1 with the reason in why. */
int redis_conn_init(struct redis_conn *rc, const char *conninfo, char *why, size_t cap);
/* Connected, authenticated and on the right database: 0, or -1 with why. */
int redis_conn_connect(struct redis_conn *rc, char *why, size_t cap);
/*
 * One command (argc <= REDIS_CONN_MAX_ARGS, NUL-terminated arguments, sent
 * as a vector: they are data, never syntax), connecting first if needed.
 * The reply (the caller frees it with freeReplyObject()), or NULL with
 * "COMMAND: reason" in why; an I/O error drops the connection, which the
 * next call makes again; an error reply is returned as NULL too.
 */
struct redisReply *redis_conn_cmd(struct redis_conn *rc, int argc, const char **argv, char *why,
				  size_t cap);
/* The connection closed and the password wiped. */
void redis_conn_close(struct redis_conn *rc);

#endif /* SERVER_REDIS_CONN_H */
