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

#include "integration/redis_test.h"

#define CAROL "carol"
#define CAROL_PASS "carol-secret"
#define PAUSE_MS 1500

static struct tserver srv;

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
	redis_conninfo(conn, sizeof(conn));
	snprintf(flag, sizeof(flag), "--redis-userdb=%s", conn);
	return tserver_start(&srv, 16, flags);
}

static int group_teardown(void **state)
{
	int ret;

	(void)state;
	ret = tserver_stop(&srv);
	redis_stop();
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
