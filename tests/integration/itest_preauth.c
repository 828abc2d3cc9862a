/*
 * itest_preauth.c - what a source that has not authenticated can get out
 * of a turnserver on loopback:
 *  - thousands of Allocates with an empty USERNAME (and a valid nonce and
 *    MESSAGE-INTEGRITY) get 401 (RFC 8489 §9.2.4), never 500, and the log
 *    grows by a bounded number of lines;
 *  - unauthenticated error responses over UDP have a per-source budget,
 *    on by default (coturn's 401-ratelimit, 401-req-limit, 401-window):
 *    a burst gets at most the budget, rotating ports does not help (the
 *    budget is per IP, in each relay thread), another source still gets its
 *    401, TCP is not counted;
 *  - such responses carry no SOFTWARE (authenticated answers still do).
 *
 * Servers: "dflt" (default options) and "tight" (401-req-limit=5).
 */
#include "integration/harness.h"

#define FLOOD 3000	/* empty-USERNAME requests */
#define FLOOD_BATCH 100 /* sent, then answers drained */
#define TIGHT_LIMIT 5
#define BURST 20
#define WORKERS 2 /* tserver_start's relay-threads: each keeps its own budgets */
#define PORTS 8
#define LOG_LINES_MAX 200 /* the log after the flood, startup included */

static struct tserver dflt, tight;

static int group_setup(void **state)
{
	static const char *const dflt_flags[] = {"--relay-ip=127.0.0.1", NULL};

	(void)state;
	return tserver_start(&dflt, 4, dflt_flags);
}

/* The tight server, started by the first test that needs it. */
static void need_tight(void)
{
	static const char *const tight_flags[] = {"--relay-ip=127.0.0.1", "--401-req-limit=5",
						  "--401-window=60", NULL};

	if (!tight.pid)
		assert_int_equal(tserver_start(&tight, 4, tight_flags), 0);
}

static int group_teardown(void **state)
{
	(void)state;
	tserver_stop(&dflt);
	tserver_stop(&tight);
	return 0;
}

/* An Allocate with USERNAME "", the client's REALM and NONCE, MESSAGE-INTEGRITY. */
static size_t empty_user_allocate(const struct turnc *cl, uint8_t *buf, size_t cap)
{
	uint8_t tid[STUN_TID_LEN], key[16];
	struct stun_builder b;

	h_new_tid(tid);
	stun_lt_key(STUN_PW_ALG_MD5, "", cl->realm, "x", key);
	stun_build_start(&b, buf, cap, TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	stun_put(&b, STUN_ATTR_USERNAME, NULL, 0);
	stun_put_str(&b, STUN_ATTR_REALM, cl->realm);
	stun_put(&b, STUN_ATTR_NONCE, cl->nonce, cl->nonce_len);
	stun_put_integrity(&b, key, sizeof(key));
	return stun_build_end(&b);
}

static size_t bare_allocate(uint8_t *buf, size_t cap)
{
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;

	h_new_tid(tid);
	stun_build_start(&b, buf, cap, TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	return stun_build_end(&b);
}

/* Reads answers until wait_ms pass without one; counts them by code. */
static void drain(struct turnc *cl, int wait_ms, int *n401, int *nother)
{
	uint8_t in[2048];
	struct stun_msg m;
	int n;

	while ((n = turnc_recv_frame(cl, in, sizeof(in), wait_ms)) > 0) {
		if (stun_msg_parse(&m, in, (size_t)n) == STUN_PARSE_OK &&
		    turnc_msg_result(&m) == STUN_ERR_UNAUTHORIZED)
			(*n401)++;
		else
			(*nother)++;
	}
}

static int count_lines(const struct tserver *s, const char *needle)
{
	static char log[1 << 20];
	int n = 0;

	h_slurp(s, "turn.log", log, sizeof(log));
	for (char *p = log; (p = strchr(p, '\n')); p++)
		n++;
	if (needle) {
		n = 0;
		for (char *p = log; (p = strstr(p, needle)); p++)
			n++;
	}
	return n;
}

static void test_empty_username_flood_gets_401_within_budget_and_few_log_lines(void **state)
{
	struct turnc_req bare = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	uint8_t buf[512];
	struct turnc cl;
	int n401 = 0, nother = 0;

	(void)state;
	assert_int_equal(h_open(&cl, &dflt.v4, NULL, false), 0);
	assert_code(turnc_request(&cl, &bare), STUN_ERR_UNAUTHORIZED);
	h_take_challenge(&cl);
	for (int sent = 0; sent < FLOOD; sent += FLOOD_BATCH) {
		for (int i = 0; i < FLOOD_BATCH; i++) {
			size_t len = empty_user_allocate(&cl, buf, sizeof(buf));

			assert_int_not_equal(len, 0);
			assert_int_equal(turnc_send_bytes(&cl, buf, len), 0);
		}
		drain(&cl, 50, &n401, &nother);
	}
	drain(&cl, H_SILENCE_MS, &n401, &nother);
	assert_int_equal(nother, 0);
	assert_true(n401 > 0);
	/* the default budget: 1000 per 120 s, the challenge above counted */
	if (n401 > 999)
		fail_msg("%d 401s to one source, budget 1000", n401);
	assert_true(count_lines(&dflt, "ERROR") == 0);
	if (count_lines(&dflt, NULL) > LOG_LINES_MAX)
		fail_msg("%d log lines after %d requests", count_lines(&dflt, NULL), FLOOD);
	h_close(&cl);
}

static void test_burst_from_one_source_gets_at_most_the_budget(void **state)
{
	uint8_t buf[256];
	struct turnc cl;
	int n401 = 0, nother = 0;

	(void)state;
	need_tight();
	assert_int_equal(h_open(&cl, &tight.v4, "127.0.0.1", false), 0);
	for (int i = 0; i < BURST; i++) {
		size_t len = bare_allocate(buf, sizeof(buf));

		assert_int_equal(turnc_send_bytes(&cl, buf, len), 0);
	}
	drain(&cl, H_SILENCE_MS, &n401, &nother);
	assert_int_equal(nother, 0);
	assert_true(n401 >= 1);
	if (n401 > TIGHT_LIMIT)
		fail_msg("%d 401s to one source, budget %d", n401, TIGHT_LIMIT);
	h_close(&cl);
}

/*
 * Rotating the source port does not buy budget: the IP is the key. Each
 * relay thread counts on its own, so one IP gets at most WORKERS budgets.
 */
static void test_rotating_ports_gets_at_most_one_budget_per_thread(void **state)
{
	struct turnc cl[PORTS];
	uint8_t buf[256];
	int n401 = 0, nother = 0;

	(void)state;
	need_tight();
	for (int p = 0; p < PORTS; p++) {
		assert_int_equal(h_open(&cl[p], &tight.v4, "127.0.0.3", false), 0);
		for (int i = 0; i < BURST; i++)
			assert_int_equal(
			    turnc_send_bytes(&cl[p], buf, bare_allocate(buf, sizeof(buf))), 0);
	}
	for (int p = 0; p < PORTS; p++)
		drain(&cl[p], p ? 20 : H_SILENCE_MS, &n401, &nother);
	assert_int_equal(nother, 0);
	assert_true(n401 >= 1);
	if (n401 > WORKERS * TIGHT_LIMIT)
		fail_msg("%d 401s to one IP from %d ports, budget %d in each of %d threads", n401,
			 PORTS, TIGHT_LIMIT, WORKERS);
	for (int p = 0; p < PORTS; p++)
		h_close(&cl[p]);
}

static void test_another_source_still_gets_its_401(void **state)
{
	struct turnc_req bare = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	struct turnc cl;

	(void)state;
	need_tight();
	assert_int_equal(h_open(&cl, &tight.v4, "127.0.0.2", false), 0);
	assert_code(turnc_request(&cl, &bare), STUN_ERR_UNAUTHORIZED);
	h_close(&cl);
}

/* TCP cannot be forged: no budget there. */
static void test_tcp_is_not_counted(void **state)
{
	struct turnc_req bare = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	struct turnc cl;

	(void)state;
	need_tight();
	assert_int_equal(h_open(&cl, &tight.v4, "127.0.0.1", true), 0);
	for (int i = 0; i < 2 * TIGHT_LIMIT; i++)
		assert_code(turnc_request(&cl, &bare), STUN_ERR_UNAUTHORIZED);
	h_close(&cl);
}

/* ERROR-CODE, REALM, NONCE, PASSWORD-ALGORITHMS: nothing else, no SOFTWARE. */
static void test_unauthenticated_error_has_no_software(void **state)
{
	struct turnc_req bare = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	size_t want = STUN_HEADER_LEN;
	struct turnc cl;

	(void)state;
	assert_int_equal(h_open(&cl, &dflt.v4, "127.0.0.2", false), 0);
	assert_code(turnc_request(&cl, &bare), STUN_ERR_UNAUTHORIZED);
	assert_null(h_attr(&cl, STUN_ATTR_SOFTWARE));
	assert_int_equal(h_resp(&cl)->nattrs, 4);
	for (int i = 0; i < h_resp(&cl)->nattrs; i++)
		want += STUN_ATTR_HDR_LEN + wire_pad4(h_resp(&cl)->attrs[i].len);
	assert_int_equal(cl.resp_len, want);
	/* authenticated, the answer names the software */
	assert_code(h_allocate(&cl), 0);
	assert_non_null(h_attr(&cl, STUN_ATTR_SOFTWARE));
	h_close(&cl);
}

static void test_servers_exit_cleanly(void **state)
{
	(void)state;
	assert_int_equal(tserver_stop(&dflt), 0);
	assert_int_equal(tserver_stop(&tight), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty_username_flood_gets_401_within_budget_and_few_log_lines),
	    cmocka_unit_test(test_burst_from_one_source_gets_at_most_the_budget),
	    cmocka_unit_test(test_rotating_ports_gets_at_most_one_budget_per_thread),
	    cmocka_unit_test(test_another_source_still_gets_its_401),
	    cmocka_unit_test(test_tcp_is_not_counted),
	    cmocka_unit_test(test_unauthenticated_error_has_no_software),
	    cmocka_unit_test(test_servers_exit_cleanly),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
