/*
 * test_userdb_redis.c - the Redis store (src/server/userdb_redis.c) against
 * a real redis-server that the test starts on a free 127.0.0.1 port with a
 * password and stops by PID: coturn's key layout for users (MD5 key, the
 * older clear-text password, our SHA-256 key only while it matches),
 * secrets (coturn 4.6's set and the documented older string keys), realm
 * options and peer ranges; glob characters in names are data; a wrong
 * password is refused without being echoed; after Redis went away and came
 * back the same handle works again by itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include "server/userdb.h"
#include "stun/stun.h"

#define PASS "t3st-redis-pw"
#define REALM "example.org"

static pid_t redis_pid;
static int redis_port;
static char conninfo[256];

static int free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Whether a command's reply r came and is not an error; frees it. */
static bool reply_ok(void *r)
{
	bool ok = r && ((redisReply *)r)->type != REDIS_REPLY_ERROR;

	if (r)
		freeReplyObject(r);
	return ok;
}

/* A connection of the test's own to the Redis server, authenticated, on database 3. */
static redisContext *raw(void)
{
	struct timeval tv = {1, 0};
	redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);

	if (!c || c->err) {
		if (c)
			redisFree(c);
		return NULL;
	}
	if (!reply_ok(redisCommand(c, "AUTH %s", PASS)) ||
	    !reply_ok(redisCommand(c, "SELECT 3"))) { /* dbname=3 of conninfo */
		redisFree(c);
		return NULL;
	}
	return c;
}

/* A raw command of the test (printf-style, hiredis' own quoting). */
static void cmd(const char *fmt, const char *a1, const char *a2)
{
	redisContext *c = raw();
	redisReply *r;

	assert_non_null(c);
	r = redisCommand(c, fmt, a1, a2);
	assert_non_null(r);
	assert_int_not_equal(r->type, REDIS_REPLY_ERROR);
	freeReplyObject(r);
	redisFree(c);
}

static void redis_start(void)
{
	char port[16];

	snprintf(port, sizeof(port), "%d", redis_port);
	redis_pid = fork();
	assert_true(redis_pid >= 0);
	if (redis_pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 1);
		execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1",
		       "--requirepass", PASS, "--save", "", "--appendonly", "no", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 100; i++) {
		redisContext *c = raw();
		struct timespec pause = {0, 50 * 1000 * 1000};

		if (c) {
			redisFree(c);
			return;
		}
		nanosleep(&pause, NULL);
	}
	fail_msg("redis-server did not answer on port %d (scripts/deps test installs it)",
		 redis_port);
}

static void redis_stop(void)
{
	int st;

	if (redis_pid <= 0)
		return;
	kill(redis_pid, SIGTERM);
	waitpid(redis_pid, &st, 0);
	redis_pid = 0;
}

static int group_setup(void **state)
{
	(void)state;
	redis_port = free_port();
	snprintf(conninfo, sizeof(conninfo), "ip=127.0.0.1 port=%d dbname=3 password=%s",
		 redis_port, PASS);
	redis_start();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	redis_stop();
	return 0;
}

static struct userdb *open_db(void)
{
	char err[USERDB_ERR_LEN];
	struct userdb *db = userdb_open_redis(conninfo, false, err, sizeof(err));

	if (!db)
		fail_msg("%s", err);
	return db;
}

static void test_wrong_password_refused_without_echo(void **state)
{
	char s[256], err[USERDB_ERR_LEN];

	(void)state;
	snprintf(s, sizeof(s), "ip=127.0.0.1 port=%d password=not-the-one", redis_port);
	assert_null(userdb_open_redis(s, false, err, sizeof(err)));
	assert_non_null(strstr(err, "AUTH"));
	assert_null(strstr(err, "not-the-one"));
	assert_null(userdb_open_redis("ip=127.0.0.1 hots=1", false, err, sizeof(err)));
	assert_non_null(strstr(err, "malformed Redis connection string"));
}

static int collect(void *arg, const char *realm, const char *name)
{
	char *out = arg;

	strcat(out, realm);
	strcat(out, "/");
	strcat(out, name);
	strcat(out, " ");
	return 0;
}

static int stop_at_first(void *arg, const char *realm, const char *name)
{
	(void)arg, (void)realm, (void)name;
	return 7;
}

static void test_users_in_coturn_layout(void **state)
{
	struct userdb *db = open_db();
	struct user_keys k;
	uint8_t md5[16], sha[32];
	char list[512] = "";

	(void)state;
	assert_int_equal(userdb_set_password(db, REALM, "alice", "secret"), 0);
	assert_int_equal(userdb_get_keys(db, REALM, "alice", &k), 0);
	stun_lt_key(STUN_PW_ALG_MD5, "alice", REALM, "secret", md5);
	stun_lt_key(STUN_PW_ALG_SHA256, "alice", REALM, "secret", sha);
	assert_true(k.has_md5 && k.has_sha256);
	assert_memory_equal(k.md5, md5, 16);
	assert_memory_equal(k.sha256, sha, 32);
	/* coturn's turnadmin re-keys alice: our SHA-256 key no longer counts */
	cmd("SET %s %s", "turn/realm/" REALM "/user/alice/key", "7da2270ccfa49786e0115366d3a3d14d");
	assert_int_equal(userdb_get_keys(db, REALM, "alice", &k), 0);
	assert_true(k.has_md5 && !k.has_sha256);
	/* the older layout's clear-text password */
	cmd("SET %s %s", "turn/realm/" REALM "/user/carol/password", "pw");
	assert_int_equal(userdb_get_keys(db, REALM, "carol", &k), 0);
	stun_lt_key(STUN_PW_ALG_MD5, "carol", REALM, "pw", md5);
	assert_true(k.has_md5 && k.has_sha256);
	assert_memory_equal(k.md5, md5, 16);
	/* a key that is not 32 hex digits is an error, not a user */
	cmd("SET %s %s", "turn/realm/" REALM "/user/eve/key", "zz");
	assert_int_equal(userdb_get_keys(db, REALM, "eve", &k), -1);
	assert_int_equal(userdb_delete(db, REALM, "eve"), 0);
	assert_int_equal(userdb_get_keys(db, REALM, "nobody", &k), 1);
	/* glob characters are data: realm "a*" lists only its own users */
	assert_int_equal(userdb_set_password(db, "a*", "star", "x"), 0);
	assert_int_equal(userdb_set_password(db, "ab", "bee", "x"), 0);
	assert_int_equal(userdb_list(db, "a*", collect, list), 0);
	assert_string_equal(list, "a*/star ");
	/* sorted by realm then name, each once (alice has key and sha256-key) */
	list[0] = '\0';
	assert_int_equal(userdb_list(db, NULL, collect, list), 0);
	assert_string_equal(list, "a*/star ab/bee " REALM "/alice " REALM "/carol ");
	assert_int_equal(userdb_count(db), 4); /* carol by her clear-text password */
	assert_int_equal(userdb_list(db, NULL, stop_at_first, NULL), 7);
	assert_int_equal(userdb_delete(db, REALM, "alice"), 0);
	assert_int_equal(userdb_delete(db, REALM, "alice"), 1);
	userdb_close(db);
}

static void test_secrets_options_and_peer_ranges(void **state)
{
	struct userdb *db = open_db();
	char list[512] = "";
	unsigned long v = 0;

	(void)state;
	assert_int_equal(userdb_add_secret(db, REALM, "logen"), 0);
	assert_int_equal(userdb_add_secret(db, REALM, "north"), 0);
	cmd("SET %s %s", "turn/realm/" REALM "/secret/1368426581", "older");
	assert_int_equal(userdb_list_secrets(db, REALM, collect, list), 0);
	assert_non_null(strstr(list, REALM "/logen "));
	assert_non_null(strstr(list, REALM "/north "));
	assert_non_null(strstr(list, REALM "/older "));
	assert_int_equal(userdb_del_secret(db, REALM, "older"), 0);
	assert_int_equal(userdb_del_secret(db, REALM, "logen"), 0);
	assert_int_equal(userdb_del_secret(db, REALM, "logen"), 1);
	list[0] = '\0';
	assert_int_equal(userdb_list_secrets(db, NULL, collect, list), 0);
	assert_string_equal(list, REALM "/north ");
	assert_int_equal(userdb_del_secret(db, REALM, NULL), 0);
	list[0] = '\0';
	assert_int_equal(userdb_list_secrets(db, REALM, collect, list), 0);
	assert_string_equal(list, "");
	assert_int_equal(userdb_add_secret(db, REALM, "bad\nsecret"), -1);

	cmd("SET %s %s", "turn/realm/" REALM "/max-bps", "500000");
	assert_int_equal(userdb_realm_option(db, REALM, "max-bps", &v), 0);
	assert_int_equal(v, 500000);
	assert_int_equal(userdb_realm_option(db, REALM, "user-quota", &v), 1);
	cmd("SET %s %s", "turn/realm/" REALM "/total-quota", "-3");
	assert_int_equal(userdb_realm_option(db, REALM, "total-quota", &v), -1);
	userdb_close(db);
}

static int collect_range(void *arg, const char *range)
{
	strcat(arg, range);
	strcat(arg, " ");
	return 0;
}

static void test_peer_ranges(void **state)
{
	struct userdb *db = open_db();
	char allowed[256] = "", denied[256] = "";

	(void)state;
	cmd("SET %s %s", "turn/allowed-peer-ip/345678", "172.17.13.200");
	cmd("SET %s %s", "turn/denied-peer-ip/123456", "172.17.13.133-172.17.14.56");
	assert_int_equal(userdb_list_peer_ips(db, REALM, true, collect_range, allowed), 0);
	assert_int_equal(userdb_list_peer_ips(db, REALM, false, collect_range, denied), 0);
	assert_string_equal(allowed, "172.17.13.200 ");
	assert_string_equal(denied, "172.17.13.133-172.17.14.56 ");
	userdb_close(db);
}

static void test_handle_reconnects_after_outage(void **state)
{
	struct userdb *db = open_db();
	struct user_keys k;

	(void)state;
	assert_int_equal(userdb_set_password(db, REALM, "bob", "pw"), 0);
	redis_stop();
	assert_int_equal(userdb_get_keys(db, REALM, "bob", &k), -1);
	assert_non_null(strstr(userdb_errmsg(db), "Redis 127.0.0.1:"));
	assert_int_equal(userdb_ping(db), -1);
	redis_start(); /* --save "": the data is gone, the handle is not */
	assert_int_equal(userdb_ping(db), 0);
	assert_int_equal(userdb_get_keys(db, REALM, "bob", &k), 1);
	userdb_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wrong_password_refused_without_echo),
		cmocka_unit_test(test_users_in_coturn_layout),
		cmocka_unit_test(test_secrets_options_and_peer_ranges),
		cmocka_unit_test(test_peer_ranges),
		cmocka_unit_test(test_handle_reconnects_after_outage),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
