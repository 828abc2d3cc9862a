/*
 * test_unauth_budget.c - the budget of unauthenticated error responses
 * (src/server/unauth_budget.c): at most 401-req-limit per source IP and
 * window, the port not part of the key, other sources unaffected (two
 * candidate slots each), a fixed table that sources share when both are
 * taken instead of growing, and nothing
 * counted when 401-ratelimit is off. The request rate (unauth-req-rate):
 * failures spent up to the rate in a second, then refused and counted, a
 * new second fresh, an IPv6 /64 one source, 0 off. A worker built by hand,
 * no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>

#include "common/config.h"
#include "server/server.h"

#define LIMIT 3

static struct config cfg;
static struct server srv;
static struct worker *w;

static int setup(void **state)
{
	(void)state;
	config_init(&cfg);
	cfg.unauth_req_limit = LIMIT;
	cfg.unauth_window = 3600;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	w = test_calloc(1, sizeof(*w));
	w->srv = &srv;
	w->hash_seed = 0x12345678;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	test_free(w);
	config_free(&cfg);
	return 0;
}

static union sockaddr_u src(uint32_t ip, uint16_t port)
{
	union sockaddr_u u;

	memset(&u, 0, sizeof(u));
	u.in.sin_family = AF_INET;
	u.in.sin_port = htons(port);
	u.in.sin_addr.s_addr = htonl(ip);
	return u;
}

static int takes(const union sockaddr_u *s, int tries)
{
	int n = 0;

	for (int i = 0; i < tries; i++)
		n += unauth_budget_take(w, s);
	return n;
}

static void test_one_source_gets_the_limit_and_no_more(void **state)
{
	union sockaddr_u s = src(0xC0000201, 4000);

	(void)state;
	assert_int_equal(takes(&s, 10), LIMIT);
	assert_int_equal(w->stats.unauth_dropped, 10 - LIMIT);
}

static void test_another_port_of_the_ip_shares_the_budget(void **state)
{
	(void)state;
	for (uint16_t port = 1000; port < 1100; port++) {
		union sockaddr_u s = src(0xC0000201, port);

		takes(&s, 1);
	}
	assert_int_equal(w->stats.unauth_dropped, 100 - LIMIT);
}

static void test_another_ip_has_its_own_budget(void **state)
{
	union sockaddr_u a = src(0xC0000201, 4000), b = src(0xC0000202, 4000);

	(void)state;
	assert_int_equal(takes(&a, 10), LIMIT);
	assert_int_equal(takes(&b, 10), LIMIT);
}

/*
 * Two sources never share a budget when the table has room: each has two
 * candidate slots, so a collision on one is resolved by the other (with one
 * slot per source, about 5 of these 20000 keys collided).
 */
static void test_two_sources_keep_their_own_budgets_under_any_key(void **state)
{
	union sockaddr_u a = src(0x7F000001, 4000), b = src(0x7F000002, 4000);

	(void)state;
	for (uint32_t seed = 1; seed <= 20000; seed++) {
		memset(w->unauth, 0, sizeof(w->unauth));
		w->hash_seed = seed;
		assert_int_equal(takes(&a, LIMIT + 1), LIMIT);
		assert_int_equal(takes(&b, LIMIT + 1), LIMIT);
	}
}

/* Many more sources than slots: the table does not grow, and no source gets more than LIMIT. */
static void test_many_sources_share_slots_and_never_exceed_the_limit(void **state)
{
	int sources = 4 * SERVER_UNAUTH_SLOTS, granted = 0;

	(void)state;
	for (int i = 0; i < sources; i++) {
		union sockaddr_u s = src(0x0A000000u + (uint32_t)i, 5000);

		granted += takes(&s, LIMIT + 1);
	}
	/* each slot grants LIMIT per window, whoever holds it */
	assert_true(granted <= SERVER_UNAUTH_SLOTS * LIMIT);
	assert_true(granted > 0);
}

static void test_off_grants_everything(void **state)
{
	union sockaddr_u s = src(0xC0000201, 4000);

	(void)state;
	cfg.unauth_ratelimit = false;
	assert_int_equal(takes(&s, 100), 100);
	assert_int_equal(w->stats.unauth_dropped, 0);
}

static void test_ipv6_source_is_counted(void **state)
{
	union sockaddr_u s;

	(void)state;
	memset(&s, 0, sizeof(s));
	s.in6.sin6_family = AF_INET6;
	s.in6.sin6_port = htons(4000);
	inet_pton(AF_INET6, "2001:db8::7", &s.in6.sin6_addr);
	assert_int_equal(takes(&s, 10), LIMIT);
}

#define RATE 4

/* How many of tries requests of s are let through, each spending as a failure. */
static int rate_passes(const union sockaddr_u *s, int tries)
{
	int n = 0;

	for (int i = 0; i < tries; i++) {
		if (!unauth_rate_ok(w, s))
			continue;
		unauth_rate_spend(w, s);
		n++;
	}
	return n;
}

static void test_rate_refuses_past_its_failures_a_second(void **state)
{
	union sockaddr_u a = src(0xC0000201, 4000), b = src(0xC0000202, 4000);

	(void)state;
	cfg.unauth_req_rate = RATE;
	assert_int_equal(rate_passes(&a, 10), RATE);
	assert_int_equal(w->stats.unauth_rate_dropped, 10 - RATE);
	assert_int_equal(rate_passes(&b, 10), RATE);
	/* a second later (the slots' windows moved back a second): fresh */
	for (int i = 0; i < SERVER_UNAUTH_SLOTS; i++)
		w->unauth_rate[i].window_s--;
	assert_int_equal(rate_passes(&a, 10), RATE);
	/* checking spends nothing: only failures count */
	for (int i = 0; i < SERVER_UNAUTH_SLOTS; i++)
		w->unauth_rate[i].window_s--;
	for (int i = 0; i < 100; i++)
		assert_true(unauth_rate_ok(w, &a));
}

static void test_rate_counts_an_ipv6_64_as_one_source(void **state)
{
	union sockaddr_u s = {0}, t = {0}, u = {0};

	(void)state;
	cfg.unauth_req_rate = RATE;
	s.in6.sin6_family = t.in6.sin6_family = u.in6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:0:1::7", &s.in6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8:0:1:ffff::8", &t.in6.sin6_addr);
	inet_pton(AF_INET6, "2001:db8:0:2::7", &u.in6.sin6_addr);
	assert_int_equal(rate_passes(&s, 2), 2);
	assert_int_equal(rate_passes(&t, 10), RATE - 2);
	assert_int_equal(rate_passes(&u, 10), RATE);
}

static void test_rate_zero_is_off(void **state)
{
	union sockaddr_u a = src(0xC0000201, 4000);

	(void)state;
	cfg.unauth_req_rate = 0;
	assert_int_equal(rate_passes(&a, 1000), 1000);
	assert_int_equal(w->stats.unauth_rate_dropped, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_one_source_gets_the_limit_and_no_more, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_another_port_of_the_ip_shares_the_budget, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_another_ip_has_its_own_budget, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_sources_keep_their_own_budgets_under_any_key,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_many_sources_share_slots_and_never_exceed_the_limit,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_off_grants_everything, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_source_is_counted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rate_refuses_past_its_failures_a_second, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rate_counts_an_ipv6_64_as_one_source, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rate_zero_is_off, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
