/*
 * redis_conn.c - a blocking hiredis connection from coturn's connection
 * string (redis_conn.h).
 */
#include "server/redis_conn.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

int redis_conn_init(struct redis_conn *rc, const char *conninfo, char *why, size_t cap)
{
	memset(rc, 0, sizeof(*rc));
	if (redis_conninfo_parse(conninfo, &rc->ci, why, cap) < 0)
		return -1;
	redis_conninfo_describe(&rc->ci, rc->where, sizeof(rc->where));
	return 0;
}

static void redis_conn_drop(struct redis_conn *rc)
{
	if (rc->c)
		redisFree(rc->c);
	rc->c = NULL;
}

static redisReply *redis_conn_argv(struct redis_conn *rc, int argc, const char **argv)
{
	size_t lens[REDIS_CONN_MAX_ARGS];

	for (int i = 0; i < argc; i++)
		lens[i] = strlen(argv[i]);
	return redisCommandArgv(rc->c, argc, argv, lens);
}

/* A command of the handshake: 0, or -1 with the reason in why. */
static int redis_conn_handshake_cmd(struct redis_conn *rc, int argc, const char **argv, char *why,
				    size_t cap)
{
	redisReply *r = redis_conn_argv(rc, argc, argv);
	int ret = 0;

	if (!r) {
		snprintf(why, cap, "%s", rc->c->errstr[0] ? rc->c->errstr : "connection lost");
		return -1;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, cap, "%s refused: %.200s", argv[0], r->str);
		ret = -1;
	}
	freeReplyObject(r);
	return ret;
}

int redis_conn_connect(struct redis_conn *rc, char *why, size_t cap)
{
	struct timeval tv = {.tv_sec = (time_t)rc->ci.timeout_s};
	char num[16];

	if (rc->c && !rc->c->err)
		return 0;
	redis_conn_drop(rc);
	rc->c = redisConnectWithTimeout(rc->ci.host, (int)rc->ci.port, tv);
	if (!rc->c) {
		snprintf(why, cap, "cannot connect: out of memory");
		return -1;
	}
	if (rc->c->err) {
		snprintf(why, cap, "cannot connect: %s", rc->c->errstr);
		goto fail;
	}
	if (redisSetTimeout(rc->c, tv) != REDIS_OK) {
		snprintf(why, cap, "cannot set the command timeout");
		goto fail;
	}
	if (rc->ci.password[0]) {
		const char *auth_user[] = {"AUTH", rc->ci.user, rc->ci.password};
		const char *auth[] = {"AUTH", rc->ci.password};

		if (rc->ci.user[0] ? redis_conn_handshake_cmd(rc, 3, auth_user, why, cap)
				   : redis_conn_handshake_cmd(rc, 2, auth, why, cap))
			goto fail;
	}
	if (rc->ci.db) {
		const char *sel[] = {"SELECT", num};

		snprintf(num, sizeof(num), "%u", rc->ci.db);
		if (redis_conn_handshake_cmd(rc, 2, sel, why, cap))
			goto fail;
	}
	return 0;
fail:
	redis_conn_drop(rc);
	return -1;
}

redisReply *redis_conn_cmd(struct redis_conn *rc, int argc, const char **argv, char *why,
			   size_t cap)
{
	redisReply *r;

	if (argc < 1 || argc > REDIS_CONN_MAX_ARGS) {
		snprintf(why, cap, "%d arguments", argc);
		return NULL;
	}
	if (redis_conn_connect(rc, why, cap) < 0)
		return NULL;
	r = redis_conn_argv(rc, argc, argv);
	if (!r) {
		snprintf(why, cap, "%s: %s", argv[0],
			 rc->c->errstr[0] ? rc->c->errstr : "connection lost");
		redis_conn_drop(rc);
		return NULL;
	}
	if (r->type == REDIS_REPLY_ERROR) {
		snprintf(why, cap, "%s: %.200s", argv[0], r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

void redis_conn_close(struct redis_conn *rc)
{
	redis_conn_drop(rc);
	explicit_bzero(&rc->ci, sizeof(rc->ci));
}
