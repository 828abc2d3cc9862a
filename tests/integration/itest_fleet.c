/*
 * itest_fleet.c - turnservers on loopback sharing one redis-server
 * (fleet, redis-userdb; fleet-interval 1 s, fleet-ttl 2 s): A takes 2
 * allocations (max-allocations=2), B takes 1, C has no cap; A and C have a
 * certificate and a TLS port of their own.
 *
 * B and C publish their entry per listening address in Redis. B full, A
 * starts (a ready server has read the fleet once) and sees B and C live;
 * below its cap A serves Allocates itself; its third allocation and those
 * after it are answered 300 with C's address of the client's family (over
 * TLS and DTLS, C's TLS port), under the request's MESSAGE-INTEGRITY, and
 * the client allocates there. A fourth server D, whose bps-capacity its one
 * capped allocation holds, sends the next to C too. C killed (SIGKILL: it
 * withdraws nothing), its entries expire by themselves and A answers 486
 * (no live peer with room) and logs C gone; once B's allocation is
 * deleted, A sends clients to B. Draining (SIGUSR1) with room, A sends new
 * Allocates to B and withdraws its entry while its TCP allocation goes on.
 * A stopped server (SIGTERM) deletes its entries at once. A wildcard
 * fleet-address, or none beside wildcard listeners, stops the start.
 */
#include "integration/harness.h"

#include "integration/redis_test.h"

#define CONVERGE_MS 15000 /* a view of the fleet that must come, on a loaded machine */

static struct tserver a, b, c, d;
static char conn_flag[128];
static char cert_dir[] = "/tmp/itest_fleet_XXXXXX";
static uint16_t a_tls_port, c_tls_port;

/*
 * A fleet member with max-allocations=cap (NULL: none) and, when tls_port,
 * a certificate and that tls-listening-port.
 */
static int fleet_server(struct tserver *s, const char *cap, uint16_t *tls_port)
{
	char cert[64], key[64], port[40];
	const char *flags[10] = {"--relay-ip=127.0.0.1", "--fleet", "--fleet-interval=1",
				 "--fleet-ttl=2", conn_flag};
	int n = 5;

	if (cap)
		flags[n++] = cap;
	if (tls_port) {
		*tls_port = h_pick_port();
		snprintf(cert, sizeof(cert), "--cert=%s/server.pem", cert_dir);
		snprintf(key, sizeof(key), "--pkey=%s/server.key", cert_dir);
		snprintf(port, sizeof(port), "--tls-listening-port=%u", *tls_port);
		flags[n++] = cert;
		flags[n++] = key;
		flags[n++] = port;
	}
	flags[n] = NULL;
	return tserver_start(s, 8, flags);
}

static int group_setup(void **state)
{
	char conn[96], cmd[128];

	(void)state;
	if (!mkdtemp(cert_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "scripts/test-cert %s >/dev/null", cert_dir);
	if (system(cmd) != 0 || redis_start() < 0)
		return -1;
	redis_conninfo(conn, sizeof(conn));
	snprintf(conn_flag, sizeof(conn_flag), "--redis-userdb=%s", conn);
	if (fleet_server(&b, "--max-allocations=1", NULL) < 0 ||
	    fleet_server(&c, NULL, &c_tls_port) < 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	int ret = 0;

	(void)state;
	if (tserver_stop(&a) < 0 || tserver_stop(&b) < 0 || tserver_stop(&c) < 0 ||
	    tserver_stop(&d) < 0)
		ret = -1;
	redis_stop();
	nftw(cert_dir, h_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return ret;
}

/* "turn/fleet/server/127.0.0.1:PORT" of s into key. */
static void entry_key(const struct tserver *s, char *key, size_t len)
{
	snprintf(key, len, "turn/fleet/server/127.0.0.1:%u", s->port);
}

/* Waits until s's log holds text: true, or false after CONVERGE_MS. */
static bool log_says(const struct tserver *s, const char *text)
{
	static char buf[65536];
	uint64_t deadline = h_now_ms() + CONVERGE_MS;

	do {
		h_slurp(s, "turn.log", buf, sizeof(buf));
		if (strstr(buf, text))
			return true;
		h_sleep_ms(100);
	} while (h_now_ms() < deadline);
	return false;
}

/* The ALTERNATE-SERVER of a 300, checked to be under the client's key. */
static struct sockaddr_storage alternate_of(struct turnc *cl)
{
	const struct stun_msg *m = h_resp(cl);
	const struct stun_attr *at = h_attr(cl, STUN_ATTR_ALTERNATE_SERVER);
	struct sockaddr_storage ss;

	assert_non_null(at);
	assert_int_equal(stun_attr_addr(m, at, &ss), 0);
	assert_int_equal(stun_msg_check_integrity(m, cl->key, (size_t)cl->key_len), 0);
	return ss;
}

/*
 * One Allocate over UDP from a new client on the server's address to: its
 * code, with ALTERNATE-SERVER in *alt when 300.
 */
static int allocate_on(const struct sockaddr_storage *to, struct sockaddr_storage *alt)
{
	struct turnc cl;
	int code;

	if (h_open(&cl, to, NULL, false) < 0)
		fail_msg("cannot reach %s", h_str(to));
	code = h_allocate(&cl);
	if (code == 300)
		*alt = alternate_of(&cl);
	h_close(&cl);
	return code;
}

/* Allocates on to until the answer is want (and, for 300, names where): true. */
static bool allocate_until(const struct sockaddr_storage *to, int want,
			   const struct sockaddr_storage *where)
{
	uint64_t deadline = h_now_ms() + CONVERGE_MS;
	struct sockaddr_storage alt;

	do {
		int code = allocate_on(to, &alt);

		if (code == want && (want != 300 || addr_equal(SA(&alt), SA(where))))
			return true;
		/* a redirect goes to a live peer, never back to the full server */
		if (code == 300)
			assert_false(addr_equal(SA(&alt), SA(to)));
		h_sleep_ms(200);
	} while (h_now_ms() < deadline);
	return false;
}

static struct turnc a1, a2, b1;

/* Waits until s's entry in Redis holds text: true, or false after CONVERGE_MS. */
static bool entry_says(const struct tserver *s, const char *text)
{
	uint64_t deadline = h_now_ms() + CONVERGE_MS;
	char key[64], val[512];

	entry_key(s, key, sizeof(key));
	do {
		if (redis_get("GET %s", key, val, sizeof(val)) == 0 && strstr(val, text))
			return true;
		h_sleep_ms(100);
	} while (h_now_ms() < deadline);
	return false;
}

static void test_each_server_publishes_its_entry(void **state)
{
	char key[64], val[512];

	(void)state;
	/* two listening addresses each, 127.0.0.1 and ::1 */
	assert_int_equal(redis_int("SCARD turn/fleet/servers", NULL), 4);
	entry_key(&b, key, sizeof(key));
	assert_int_equal(redis_get("GET %s", key, val, sizeof(val)), 0);
	assert_non_null(strstr(val, "addr=127.0.0.1:"));
	assert_non_null(strstr(val, " allocations=0 max-allocations=1 "));
	/* with a TTL of fleet-ttl */
	assert_true(redis_int("TTL %s", key) >= 1 && redis_int("TTL %s", key) <= 2);
	entry_key(&c, key, sizeof(key));
	assert_int_equal(redis_get("GET %s", key, val, sizeof(val)), 0);
	assert_non_null(strstr(val, " max-allocations=0 "));
	/* with a certificate: where TLS and DTLS clients go */
	snprintf(key, sizeof(key), " tls=127.0.0.1:%u ", c_tls_port);
	assert_non_null(strstr(val, key));
}

static void test_third_allocation_past_the_cap_lands_on_the_least_loaded_peer(void **state)
{
	struct sockaddr_storage alt, c_v6 = h_addr("::1", c.port),
				     c_tls = h_addr("127.0.0.1", c_tls_port);
	char live[64];
	struct turnc cl;

	(void)state;
	/* B full */
	assert_code(h_open(&b1, &b.v4, NULL, false), 0);
	assert_code(h_allocate(&b1), 0);
	assert_true(entry_says(&b, " allocations=1 "));
	assert_int_equal(fleet_server(&a, "--max-allocations=2", &a_tls_port), 0);
	snprintf(live, sizeof(live), "fleet: peer 127.0.0.1:%u is live", c.port);
	assert_true(log_says(&a, live));
	assert_true(entry_says(&a, " allocations=0 max-allocations=2 "));
	/* A below its cap serves the first two itself */
	assert_code(h_open(&a1, &a.v4, NULL, false), 0);
	assert_code(h_allocate(&a1), 0);
	assert_code(h_open(&a2, &a.v4, NULL, true), 0);
	assert_code(h_allocate(&a2), 0);
	/* then C, the one peer with room, for every client of each family */
	for (int i = 0; i < 3; i++) {
		assert_code(allocate_on(&a.v4, &alt), 300);
		h_assert_addr_equal(&alt, &c.v4);
		assert_code(allocate_on(&a.v6, &alt), 300);
		h_assert_addr_equal(&alt, &c_v6);
	}
	/* over TLS and DTLS, C's TLS port */
	for (int tcp = 0; tcp < 2; tcp++) {
		assert_code(h_open(&cl, &a.v4, NULL, tcp), 0);
		assert_int_equal(turnc_start_tls(&cl, NULL, NULL, H_TXN_TIMEOUT_MS), 0);
		assert_code(h_allocate(&cl), 300);
		alt = alternate_of(&cl);
		h_assert_addr_equal(&alt, &c_tls);
		h_close(&cl);
	}
	/* and the client allocates there */
	assert_code(h_open(&cl, &c_v6, NULL, false), 0);
	assert_code(h_allocate(&cl), 0);
	h_close(&cl);
}

static void test_allocation_past_bps_capacity_lands_on_a_peer(void **state)
{
	const char *flags[] = {"--relay-ip=127.0.0.1", "--fleet", "--fleet-interval=1",
			       "--fleet-ttl=2",	       conn_flag, "--max-bps=1000",
			       "--bps-capacity=1000",  NULL};
	struct sockaddr_storage alt;
	struct turnc cl;

	(void)state;
	/* D: every allocation capped at 1000 bytes a second, 1000 in all */
	assert_int_equal(tserver_start(&d, 8, flags), 0);
	assert_code(h_open(&cl, &d.v4, NULL, false), 0);
	assert_code(h_allocate(&cl), 0);
	assert_true(entry_says(&d, " bps-reserved=1000 bps-capacity=1000"));
	/* the next would not fit: C, the one peer with room (A and B full) */
	assert_code(allocate_on(&d.v4, &alt), 300);
	h_assert_addr_equal(&alt, &c.v4);
	assert_code(h_refresh(&cl, 0), 0);
	h_close(&cl);
	assert_int_equal(tserver_stop(&d), 0);
}

static void test_killed_server_leaves_the_rotation_within_its_ttl(void **state)
{
	char key[64], val[512];
	int status;

	(void)state;
	kill(c.pid, SIGKILL);
	waitpid(c.pid, &status, 0);
	c.pid = 0;
	nftw(c.dir, h_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	/* B full, C gone: no live peer with room */
	assert_true(allocate_until(&a.v4, 486, NULL));
	entry_key(&c, key, sizeof(key));
	assert_int_equal(redis_get("GET %s", key, val, sizeof(val)), 0);
	assert_string_equal(val, "");
	snprintf(val, sizeof(val), "fleet: peer 127.0.0.1:%u is gone", c.port);
	assert_true(log_says(&a, val));
	assert_code(allocate_on(&a.v4, &(struct sockaddr_storage){0}), 486);
}

static void test_peer_with_room_again_takes_the_redirects(void **state)
{
	(void)state;
	assert_code(h_refresh(&b1, 0), 0);
	h_close(&b1);
	assert_true(allocate_until(&a.v4, 300, &b.v4));
	/* A's own allocations still work */
	assert_code(h_refresh(&a1, 600), 0);
	assert_code(h_refresh(&a2, 600), 0);
}

/* Waits until s's entry is gone from Redis: true, or false after CONVERGE_MS. */
static bool entry_gone(const struct tserver *s)
{
	uint64_t deadline = h_now_ms() + CONVERGE_MS;
	char key[64], val[512];

	entry_key(s, key, sizeof(key));
	do {
		if (redis_get("GET %s", key, val, sizeof(val)) == 0 && !val[0])
			return true;
		h_sleep_ms(100);
	} while (h_now_ms() < deadline);
	return false;
}

static void test_draining_server_withdraws_and_sends_allocates_to_a_peer(void **state)
{
	(void)state;
	/* A below its cap again: it would serve an Allocate itself */
	assert_code(h_refresh(&a1, 0), 0);
	h_close(&a1);
	assert_true(entry_says(&a, " allocations=1 "));
	kill(a.pid, SIGUSR1);
	assert_true(log_says(&a, "SIGUSR1: draining"));
	assert_true(allocate_until(&a.v4, 300, &b.v4));
	/* its entry goes while it still serves a2, a TCP allocation (drain counts every transport)
	 */
	assert_true(entry_gone(&a));
	assert_int_equal(kill(a.pid, 0), 0);
	assert_code(h_refresh(&a2, 600), 0);
	h_close(&a2);
}

static void test_stopped_server_deletes_its_entries(void **state)
{
	char key[64], val[512];

	(void)state;
	entry_key(&b, key, sizeof(key));
	assert_int_equal(redis_get("GET %s", key, val, sizeof(val)), 0);
	assert_non_null(strstr(val, "addr=127.0.0.1:"));
	assert_int_equal(tserver_stop(&b), 0);
	/* at once, not after fleet-ttl */
	assert_int_equal(redis_get("GET %s", key, val, sizeof(val)), 0);
	assert_string_equal(val, "");
	assert_int_equal(
	    redis_int("SISMEMBER turn/fleet/servers %s", key + strlen("turn/fleet/server/")), 0);
}

/* turnserver with flags (a shell word list) at startup: its exit status, its output in out. */
static int startup_says(const char *flags, char *out, size_t len)
{
	char cmd[5000];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd),
		 "%s -n --listening-port=%u --relay-ip=127.0.0.1 '%s' --fleet %s 2>&1",
		 h_server_binary(), h_pick_port(), conn_flag, flags);
	p = popen(cmd, "r");
	assert_non_null(p);
	while (n + 1 < len && fgets(out + n, (int)(len - n), p))
		n += strlen(out + n);
	return pclose(p);
}

static void test_addresses_no_client_can_reach_are_refused_at_startup(void **state)
{
	char out[4096];

	(void)state;
	assert_int_not_equal(
	    startup_says("--listening-ip=127.0.0.1 --fleet-address=0.0.0.0", out, sizeof(out)), 0);
	assert_non_null(
	    strstr(out, "fleet-address 0.0.0.0: not an address a client can be sent to"));
	assert_int_not_equal(startup_says("--listening-ip=0.0.0.0", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "fleet: no address to publish (the server listens on wildcards "
				    "only): set fleet-address"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_server_publishes_its_entry),
	    cmocka_unit_test(test_third_allocation_past_the_cap_lands_on_the_least_loaded_peer),
	    cmocka_unit_test(test_allocation_past_bps_capacity_lands_on_a_peer),
	    cmocka_unit_test(test_killed_server_leaves_the_rotation_within_its_ttl),
	    cmocka_unit_test(test_peer_with_room_again_takes_the_redirects),
	    cmocka_unit_test(test_draining_server_withdraws_and_sends_allocates_to_a_peer),
	    cmocka_unit_test(test_stopped_server_deletes_its_entries),
	    cmocka_unit_test(test_addresses_no_client_can_reach_are_refused_at_startup),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
