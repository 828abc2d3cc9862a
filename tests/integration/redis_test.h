/*
 * redis_test.h - a redis-server of the test's own for the C integration
 * tests (on a free 127.0.0.1 port, no persistence, stopped by PID), and
 * commands sent to it on a fresh connection. Include after harness.h.
 */
#ifndef ITEST_REDIS_TEST_H
#define ITEST_REDIS_TEST_H

#include <hiredis/hiredis.h>

static pid_t redis_pid;
static uint16_t redis_port;

static inline redisContext *redis_raw(void)
{
	struct timeval tv = {1, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);

	if (c && c->err) {
		redisFree(c);
		c = NULL;
	}
	return c;
}

/* One command on a fresh connection: 0 when Redis answered without error. */
static inline int redis_do(const char *fmt, const char *arg)
{
	redisContext *c = redis_raw();
	redisReply *r;
	int ret;

	if (!c)
		return -1;
	r = redisCommand(c, fmt, arg);
	ret = r && r->type != REDIS_REPLY_ERROR ? 0 : -1;
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return ret;
}

/* The string reply of one command into buf ("" for nil): 0, or -1. */
static inline int redis_get(const char *fmt, const char *arg, char *buf, size_t len)
{
	redisContext *c = redis_raw();
	redisReply *r;
	int ret = -1;

	buf[0] = '\0';
	if (!c)
		return -1;
	r = redisCommand(c, fmt, arg);
	if (r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_NIL)) {
		if (r->type == REDIS_REPLY_STRING)
			snprintf(buf, len, "%s", r->str);
		ret = 0;
	}
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return ret;
}

/* The integer reply of one command, or -1. */
static inline long long redis_int(const char *fmt, const char *arg)
{
	redisContext *c = redis_raw();
	redisReply *r;
	long long n = -1;

	if (!c)
		return -1;
	r = redisCommand(c, fmt, arg);
	if (r && r->type == REDIS_REPLY_INTEGER)
		n = r->integer;
	if (r)
		freeReplyObject(r);
	redisFree(c);
	return n;
}

/* "ip=127.0.0.1 port=N connect_timeout=5" for redis-userdb. */
static inline void redis_conninfo(char *buf, size_t len)
{
	snprintf(buf, len, "ip=127.0.0.1 port=%u connect_timeout=5", redis_port);
}

static inline int redis_start(void)
{
	char port[8];

	redis_port = h_pick_port();
	if (!redis_port)
		return -1;
	snprintf(port, sizeof(port), "%u", redis_port);
	redis_pid = fork();
	if (redis_pid < 0)
		return -1;
	if (redis_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		prctl(PR_SET_PDEATHSIG, SIGTERM);
		dup2(devnull, 1);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
		       "--save", "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		if (redis_do("PING", NULL) == 0)
			return 0;
		h_sleep_ms(50);
	}
	fprintf(stderr, "redis-server did not answer on port %u\n", redis_port);
	return -1;
}

static inline void redis_stop(void)
{
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
		redis_pid = 0;
	}
}

#endif /* ITEST_REDIS_TEST_H */
