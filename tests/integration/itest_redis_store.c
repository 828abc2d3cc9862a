/*
 * itest_redis_store.c - turnserver with redis-userdb against a real
 * redis-server (started here on a free 127.0.0.1 port, stopped by PID),
 * user carol only in Redis (coturn's key layout). While Redis holds every
 * command (CLIENT PAUSE), carol's requests wait parked in the server: the
 * TCP connection and the UDP client that sent them go away meanwhile, and
 * when Redis answers the server drops or answers them without touching
 * what is gone (the server's clean, sanitizer-free exit is checked); alice
 * (a user= user, no store) allocates and relays during the pause; after it
 * carol allocates over UDP and TCP.
 */
#include "integration/harness.h"

#include <hiredis/hiredis.h>

#define CAROL "carol"
#define CAROL_PASS "carol-secret"
#define PAUSE_MS 1500

static struct tserver srv;
static pid_t redis_pid;
static uint16_t redis_port;

static redisContext *redis_raw(void)
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
static int redis_do(const char *fmt, const char *arg)
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

static int redis_start(void)
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

static int group_setup(void **state)
{
	uint8_t key[16];
	char hex[33], conn[96], flag[128];
	const char *flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers", flag, NULL};

	(void)state;
	if (redis_start() < 0)
		return -1;
	stun_lt_key(STUN_PW_ALG_MD5, CAROL, H_REALM, CAROL_PASS, key);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", key[i]);
	if (redis_do("SET turn/realm/" H_REALM "/user/" CAROL "/key %s", hex) < 0)
		return -1;
	snprintf(conn, sizeof(conn), "ip=127.0.0.1 port=%u connect_timeout=5", redis_port);
	snprintf(flag, sizeof(flag), "--redis-userdb=%s", conn);
	return tserver_start(&srv, 16, flags);
}

static int group_teardown(void **state)
{
	int ret;

	(void)state;
	ret = tserver_stop(&srv);
	if (redis_pid > 0) {
		kill(redis_pid, SIGTERM);
		waitpid(redis_pid, NULL, 0);
	}
	return ret;
}

/* Redis holds every client's commands for ms (CLIENT PAUSE ... ALL). */
static void redis_pause(unsigned int ms)
{
	char arg[16];

	snprintf(arg, sizeof(arg), "%u", ms);
	assert_int_equal(redis_do("CLIENT PAUSE %s ALL", arg), 0);
}

/* carol's Allocate that the server parks; the client gives up and closes. */
static void carol_gives_up(bool tcp)
{
	struct turnc c;

	assert_code(h_open(&c, &srv.v4, NULL, tcp), 0);
	turnc_set_auth(&c, CAROL, CAROL_PASS, NULL);
	turnc_set_timing(&c, 100, 300);
	/* the 401 needs no store; the signed retry waits for Redis */
	assert_true(h_allocate(&c) != 0);
	h_close(&c);
}

static void test_parked_requests_of_closed_clients_are_dropped(void **state)
{
	struct turnc a, c;
	struct tpeer peer;
	uint8_t buf[64];

	(void)state;
	tpeer_open(&peer, "127.0.0.1");
	redis_pause(PAUSE_MS);
	carol_gives_up(true);
	carol_gives_up(false);
	/* alice is not in the store: she allocates and relays meanwhile */
	assert_code(h_open(&a, &srv.v4, NULL, false), 0);
	assert_code(h_allocate(&a), 0);
	assert_code(h_channel_bind(&a, 0x4000, &peer.addr), 0);
	assert_code(h_send_channel(&a, 0x4000, "during-pause", 12), 0);
	assert_int_equal(tpeer_recv(&peer, buf, sizeof(buf), H_TXN_TIMEOUT_MS, NULL), 12);
	h_close(&a);
	/* once Redis answers, carol gets in over both transports */
	for (int i = 0; i < 100 && redis_do("PING", NULL) < 0; i++)
		h_sleep_ms(50);
	for (int tcp = 0; tcp < 2; tcp++) {
		assert_code(h_open(&c, &srv.v4, NULL, tcp == 1), 0);
		turnc_set_auth(&c, CAROL, CAROL_PASS, NULL);
		struct sockaddr_storage relayed;

		assert_code(h_allocate(&c), 0);
		relayed = h_relayed(&c, 0);
		h_assert_relayed(&relayed, "127.0.0.1", &srv);
		h_close(&c);
	}
	tpeer_close(&peer);
}

static void test_unknown_and_wrong_users_get_401(void **state)
{
	struct turnc c;

	(void)state;
	assert_code(h_open(&c, &srv.v4, NULL, false), 0);
	turnc_set_auth(&c, "nobody", "x", NULL);
	assert_code(h_allocate(&c), STUN_ERR_UNAUTHORIZED);
	h_close(&c);
	assert_code(h_open(&c, &srv.v4, NULL, true), 0);
	turnc_set_auth(&c, CAROL, "wrong", NULL);
	assert_code(h_allocate(&c), STUN_ERR_UNAUTHORIZED);
	h_close(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parked_requests_of_closed_clients_are_dropped),
		cmocka_unit_test(test_unknown_and_wrong_users_get_401),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
