/*
 * itest_alternate.c - alternate-server (RFC 8489 §10, coturn's load
 * balancing) and drain (SIGUSR1) end to end.
 *
 * alternate-server: an Allocate is answered 401 until it authenticates,
 * then 300 Try Alternate with ALTERNATE-SERVER under the request's
 * MESSAGE-INTEGRITY; successive Allocates go round robin over the list,
 * only to servers of the client's address family, and an entry without a
 * port gets 3478 (5349 in tls-alternate-server, which Allocates over TLS
 * get); Binding is still answered here. A client of a family no
 * alternate has is served here; an unauthenticated Allocate is challenged.
 *
 * Drain: after SIGUSR1, an allocation made before keeps working (Refresh,
 * relaying), new Allocates get 486 (none configured) or 300 (with an
 * alternate), and the process exits by itself once the last allocation
 * is deleted.
 */
#include <signal.h>
#include <sys/wait.h>

#include "integration/harness.h"

static struct tserver alt, plain, drain_alt, tls_alt;
static char cert_dir[] = "/tmp/itest_alt_XXXXXX";

static int group_setup(void **state)
{
	static const char *const f_alt[] = {
	    "--relay-ip=127.0.0.1",	      "--allow-loopback-peers",
	    "--alternate-server=127.0.0.5:4000", "--alternate-server=127.0.0.6",
	    "--alternate-server=[::1]:4001",     NULL};
	static const char *const f_plain[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers", NULL};
	static const char *const f_drain_alt[] = {"--relay-ip=127.0.0.1",
						  "--alternate-server=127.0.0.7:4002", NULL};

	static char cert[64], key[64], tls_port[40];
	/* its own TLS port: the default 5349 may be another test's */
	const char *f_tls_alt[] = {"--relay-ip=127.0.0.1", "--alternate-server=127.0.0.8",
				   "--tls-alternate-server=127.0.0.9", cert, key, tls_port, NULL};
	char cmd[128];

	(void)state;
	if (!mkdtemp(cert_dir))
		return -1;
	snprintf(cmd, sizeof(cmd), "scripts/test-cert %s >/dev/null", cert_dir);
	if (system(cmd) != 0)
		return -1;
	snprintf(cert, sizeof(cert), "--cert=%s/server.pem", cert_dir);
	snprintf(key, sizeof(key), "--pkey=%s/server.key", cert_dir);
	snprintf(tls_port, sizeof(tls_port), "--tls-listening-port=%u", h_pick_port());
	if (tserver_start(&alt, 8, f_alt) < 0 || tserver_start(&plain, 8, f_plain) < 0 ||
	    tserver_start(&tls_alt, 8, f_tls_alt) < 0)
		return -1;
	return tserver_start(&drain_alt, 8, f_drain_alt);
}

static int group_teardown(void **state)
{
	(void)state;
	tserver_stop(&alt);
	tserver_stop(&plain);
	tserver_stop(&drain_alt);
	tserver_stop(&tls_alt);
	if (cert_dir[strlen(cert_dir) - 1] != 'X') {
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", cert_dir);
		if (system(cmd) != 0)
			return -1;
	}
	return 0;
}

/* The ALTERNATE-SERVER of the last response, checked to be under the client's key. */
static struct sockaddr_storage alternate_of(struct turnc *cl)
{
	const struct stun_msg *m = h_resp(cl);
	const struct stun_attr *a = h_attr(cl, STUN_ATTR_ALTERNATE_SERVER);
	struct sockaddr_storage ss;

	assert_non_null(a);
	assert_int_equal(stun_attr_addr(m, a, &ss), 0);
	assert_true(m->mi_idx >= 0);
	assert_int_equal(stun_msg_check_integrity(m, cl->key, (size_t)cl->key_len), 0);
	return ss;
}

/* An Allocate to server (over TCP when tcp, then TLS or DTLS when tls) gets 300 naming want. */
static void expect_redirect(const struct sockaddr_storage *server, bool tcp, bool tls,
			    const struct sockaddr_storage *want)
{
	struct sockaddr_storage got;
	struct turnc cl;

	h_connect(&cl, server, tcp);
	if (tls)
		assert_int_equal(turnc_start_tls(&cl, NULL, NULL, H_TXN_TIMEOUT_MS), 0);
	assert_code(h_allocate(&cl), 300);
	got = alternate_of(&cl);
	h_assert_addr_equal(&got, want);
	h_close(&cl);
}

static void test_allocate_is_redirected_round_robin_after_authentication(void **state)
{
	struct sockaddr_storage seen[3], want5 = h_addr("127.0.0.5", 4000),
					 want6 = h_addr("127.0.0.6", 3478);
	struct turnc cl;
	int n5 = 0, n6 = 0;

	(void)state;
	for (int i = 0; i < 3; i++) {
		h_connect(&cl, &alt.v4, false);
		assert_code(h_allocate(&cl), 300);
		seen[i] = alternate_of(&cl);
		n5 += addr_equal(SA(&seen[i]), SA(&want5));
		n6 += addr_equal(SA(&seen[i]), SA(&want6));
		h_close(&cl);
	}
	/* three picks over two IPv4 entries (the IPv6 one is never given to IPv4) */
	assert_true(n5 + n6 == 3 && n5 >= 1 && n6 >= 1);
	assert_false(addr_equal(SA(&seen[0]), SA(&seen[1])) &&
		     addr_equal(SA(&seen[1]), SA(&seen[2])));

	/* Binding is still served */
	h_connect(&cl, &alt.v4, false);
	assert_code(h_binding(&cl), 0);
	h_close(&cl);
}

static void test_ipv6_client_gets_the_ipv6_alternate(void **state)
{
	struct sockaddr_storage want = h_addr("::1", 4001);

	(void)state;
	expect_redirect(&alt.v6, false, false, &want);
}

/* Over TLS and DTLS the TLS list applies (default port 5349); UDP and plain TCP the other. */
static void test_tls_allocate_gets_the_tls_alternate(void **state)
{
	struct sockaddr_storage tls_want = h_addr("127.0.0.9", 5349),
				plain_want = h_addr("127.0.0.8", 3478);

	(void)state;
	expect_redirect(&tls_alt.v4, true, true, &tls_want);
	/* DTLS over UDP too */
	expect_redirect(&tls_alt.v4, false, true, &tls_want);
	for (int tcp = 0; tcp < 2; tcp++)
		expect_redirect(&tls_alt.v4, tcp, false, &plain_want);
}

static void test_unauthenticated_allocate_is_challenged_not_redirected(void **state)
{
	struct turnc cl;
	struct turnc_req q = {.method = TURN_ALLOCATE, .auth = TURNC_AUTH_NONE,
			      .transport = TURN_TRANSPORT_UDP};

	(void)state;
	h_connect(&cl, &alt.v4, false);
	assert_code(turnc_request(&cl, &q), 401);
	assert_null(h_attr(&cl, STUN_ATTR_ALTERNATE_SERVER));
	h_close(&cl);
}

/* Waits up to 10 s for s's process to exit by itself; its exit status, or -1. */
static int wait_exit(struct tserver *s)
{
	uint64_t deadline = h_now_ms() + 10000;
	int status;

	while (h_now_ms() < deadline) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		}
		h_sleep_ms(20);
	}
	return -1;
}

static void test_drain_keeps_allocations_refuses_new_ones_then_exits(void **state)
{
	struct turnc old, fresh;
	struct sockaddr_storage old_relay;
	struct tpeer peer;
	uint8_t buf[64];
	uint16_t ch;
	int n;

	(void)state;
	tpeer_open(&peer, "127.0.0.1");
	h_connect(&old, &plain.v4, false);
	assert_code(h_allocate(&old), 0);
	old_relay = h_relayed(&old, 0);
	assert_code(h_channel_bind(&old, 0x4001, &peer.addr), 0);
	assert_int_equal(kill(plain.pid, SIGUSR1), 0);
	h_sleep_ms(200);

	/* a new allocation: 486, no alternate configured */
	h_connect(&fresh, &plain.v4, false);
	assert_code(h_allocate(&fresh), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&fresh);

	/* the old one runs on: Refresh, and data both ways */
	assert_code(h_refresh(&old, 600), 0);
	assert_code(h_send_channel(&old, 0x4001, "ping", 4), 0);
	n = tpeer_recv(&peer, buf, sizeof(buf), 2000, NULL);
	assert_int_equal(n, 4);
	tpeer_send(&peer, &old_relay, "pong", 4);
	assert_int_equal(h_recv_data(&old, 2000, &ch, NULL, buf, sizeof(buf)), 4);
	assert_int_equal(ch, 0x4001);
	assert_true(waitpid(plain.pid, NULL, WNOHANG) == 0); /* still running */

	/* the last allocation goes: the process stops by itself, cleanly */
	assert_code(h_refresh(&old, 0), 0);
	h_close(&old);
	tpeer_close(&peer);
	assert_int_equal(wait_exit(&plain), 0);
}

static void test_drain_with_an_alternate_redirects(void **state)
{
	struct sockaddr_storage want = h_addr("127.0.0.7", 4002);
	struct turnc kept, cl;

	(void)state;
	/* its only alternate is IPv4: an IPv6 client is served here */
	h_connect(&kept, &drain_alt.v6, false);
	assert_code(h_allocate(&kept), 0);
	assert_int_equal(kill(drain_alt.pid, SIGUSR1), 0);
	h_sleep_ms(200);

	/* draining: IPv4 to the alternate, IPv6 (no alternate of its family) 486 */
	expect_redirect(&drain_alt.v4, false, false, &want);
	h_connect(&cl, &drain_alt.v6, false);
	assert_code(h_allocate(&cl), TURN_ERR_ALLOCATION_QUOTA);
	h_close(&cl);

	/* the kept allocation ends: so does the process */
	assert_code(h_refresh(&kept, 0), 0);
	h_close(&kept);
	assert_int_equal(wait_exit(&drain_alt), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allocate_is_redirected_round_robin_after_authentication),
	    cmocka_unit_test(test_ipv6_client_gets_the_ipv6_alternate),
	    cmocka_unit_test(test_tls_allocate_gets_the_tls_alternate),
	    cmocka_unit_test(test_unauthenticated_allocate_is_challenged_not_redirected),
	    cmocka_unit_test(test_drain_keeps_allocations_refuses_new_ones_then_exits),
	    cmocka_unit_test(test_drain_with_an_alternate_redirects),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
