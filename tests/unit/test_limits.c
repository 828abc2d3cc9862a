/*
 * test_limits.c - src/server/limits.c without sockets: shares of the relay
 * range per client address (an IPv6 address counts by its /64) and per user,
 * never below 64 ports; user-quota and total-quota counting allocations;
 * the anchor's share; TCP connections per address and in all, and the
 * half-open ones (not authenticated yet) per address, room made by
 * authenticating or closing; holds given back by release; new caps after
 * a reload (SIGHUP).
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
#include "test_sockaddr.h"

static struct config cfg;
static struct server srv;

/* A server whose relay range is range ports, other limits as the test sets. */
static void start(unsigned int range)
{
	cfg.min_port = 40000;
	cfg.max_port = (uint16_t)(40000 + range - 1);
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	pthread_mutex_init(&srv.lock, NULL);
	assert_int_equal(limits_init(&srv), 0);
}

static int setup(void **state)
{
	(void)state;
	config_init(&cfg);
	memset(&srv, 0, sizeof(srv));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	limits_free(&srv);
	pthread_mutex_destroy(&srv.lock);
	config_free(&cfg);
	return 0;
}

/* How many single-port allocations user gets from ip before a refusal (at most max). */
static int take_all(const char *user, const char *ip, int max)
{
	union sockaddr_u a = test_su(ip);
	int n = 0;

	while (n < max && limits_take(&srv, user, &a.sa, 1, 1) == 0)
		n++;
	return n;
}

static void test_one_address_holds_its_share_of_the_range(void **state)
{
	union sockaddr_u a = test_su("192.0.2.1");

	(void)state;
	start(1000); /* ip-port-share 10: 100 ports */
	assert_int_equal(take_all("u", "192.0.2.1", 200), 100);
	assert_int_equal(limits_take(&srv, "u", &a.sa, 1, 1), TURN_ERR_ALLOCATION_QUOTA);
	/* the same user elsewhere is not refused */
	assert_int_equal(take_all("u", "192.0.2.2", 1), 1);
	/* a release gives the port back */
	limits_release(&srv, "u", &a.sa, 1, 1);
	assert_int_equal(limits_take(&srv, "u", &a.sa, 1, 1), 0);
}

static void test_ipv6_addresses_count_by_their_64(void **state)
{
	(void)state;
	start(1000);
	assert_int_equal(take_all("u", "2001:db8::1", 60), 60);
	assert_int_equal(take_all("u", "2001:db8::2:3", 60), 40);
	assert_int_equal(take_all("u", "2001:db8:0:1::1", 60), 60);
}

static void test_one_user_holds_its_share_across_addresses(void **state)
{
	char ip[32];
	int n = 0;

	(void)state;
	cfg.user_port_share = 20; /* 200 of 1000 */
	start(1000);
	for (int i = 1; i <= 4; i++) {
		snprintf(ip, sizeof(ip), "198.51.100.%d", i);
		n += take_all("webrtc", ip, 100);
	}
	assert_int_equal(n, 200);
	/* another user is not starved */
	assert_int_equal(take_all("other", "198.51.100.9", 1), 1);
}

static void test_shares_never_cap_below_64_ports(void **state)
{
	(void)state;
	start(10);
	assert_int_equal(take_all("u", "192.0.2.1", 100), 64);
}

static void test_quotas_count_allocations_and_reservations(void **state)
{
	union sockaddr_u a = test_su("192.0.2.1");

	(void)state;
	cfg.user_quota = 2;
	cfg.total_quota = 3;
	start(1000);
	/* an allocation with its reservation: two of the user's two */
	assert_int_equal(limits_take(&srv, "u", &a.sa, 2, 2), 0);
	assert_int_equal(limits_take(&srv, "u", &a.sa, 1, 1), TURN_ERR_ALLOCATION_QUOTA);
	assert_int_equal(limits_take(&srv, "v", &a.sa, 1, 1), 0);
	assert_int_equal(limits_take(&srv, "w", &a.sa, 1, 1), TURN_ERR_ALLOCATION_QUOTA);
	limits_release(&srv, "u", &a.sa, 1, 1);
	assert_int_equal(limits_take(&srv, "w", &a.sa, 1, 1), 0);
}

static void test_anchor_holds_its_share(void **state)
{
	(void)state;
	cfg.anchor_port_share = 50;
	start(1000);
	assert_int_equal(limits_anchor_max(&srv), 500);
	assert_int_equal(limits_anchor_take(&srv, 496), 0);
	assert_int_equal(limits_anchor_take(&srv, 5), -1);
	assert_int_equal(limits_anchor_take(&srv, 4), 0);
	limits_anchor_release(&srv, 4);
	assert_int_equal(limits_anchor_take(&srv, 4), 0);
}

static void test_tcp_connections_per_address_and_in_all(void **state)
{
	union sockaddr_u a = test_su("192.0.2.1"), b = test_su("192.0.2.2"),
			 c = test_su("192.0.2.3");

	(void)state;
	cfg.max_tcp_connections = 3;
	cfg.max_tcp_connections_per_ip = 2;
	start(1000);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), LIMITS_TCP_PER_IP);
	assert_int_equal(limits_tcp_take(&srv, &b.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &c.sa), LIMITS_TCP_TOTAL);
	limits_tcp_release(&srv, &a.sa);
	assert_int_equal(limits_tcp_take(&srv, &c.sa), 0);
}

/* SIGHUP (limits_reconfigure): new caps for new takes, what is held stays held. */
static void test_reconfigure_applies_new_caps_to_new_takes(void **state)
{
	union sockaddr_u a = test_su("192.0.2.1"), b = test_su("192.0.2.2");

	(void)state;
	cfg.max_tcp_connections = 2;
	start(1000); /* ip-port-share 10: 100 ports */
	assert_int_equal(take_all("u", "192.0.2.1", 200), 100);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &b.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &b.sa), LIMITS_TCP_TOTAL);

	cfg.ip_port_share = 20; /* 200 ports */
	cfg.max_tcp_connections = 3;
	limits_reconfigure(&srv);
	assert_int_equal(take_all("u", "192.0.2.1", 200), 100);
	assert_int_equal(limits_tcp_take(&srv, &b.sa), 0);

	/* lowered below what is held: nothing more, and releases still count down */
	cfg.ip_port_share = 10;
	cfg.max_tcp_connections = 1;
	limits_reconfigure(&srv);
	assert_int_equal(limits_take(&srv, "u", &a.sa, 1, 1), TURN_ERR_ALLOCATION_QUOTA);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), LIMITS_TCP_TOTAL);
	for (int i = 0; i < 101; i++)
		limits_release(&srv, "u", &a.sa, 1, 1);
	assert_int_equal(limits_take(&srv, "u", &a.sa, 1, 1), 0);
	limits_tcp_release(&srv, &a.sa);
	limits_tcp_release(&srv, &b.sa);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), LIMITS_TCP_TOTAL);
	limits_tcp_release(&srv, &b.sa);
}

static void test_half_open_connections_per_address(void **state)
{
	union sockaddr_u a = test_su("192.0.2.1"), b = test_su("2001:db8:1:2::1"),
			 b2 = test_su("2001:db8:1:2::99");

	(void)state;
	cfg.max_unauth_connections_per_ip = 2;
	start(1000);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), LIMITS_TCP_UNAUTH);
	assert_string_equal(limits_tcp_cap_name(LIMITS_TCP_UNAUTH), "max-unauth-connections-per-ip");
	assert_int_equal(limits_tcp_unauth_now(&srv), 2);
	/* one authenticates: still a connection, no longer half-open */
	limits_tcp_authed(&srv, &a.sa);
	assert_int_equal(limits_tcp_unauth_now(&srv), 1);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), LIMITS_TCP_UNAUTH);
	/* an IPv6 /64 is one address */
	assert_int_equal(limits_tcp_take(&srv, &b.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &b2.sa), 0);
	assert_int_equal(limits_tcp_take(&srv, &b.sa), LIMITS_TCP_UNAUTH);
	/* a half-open one closes: authed first, as its owner does, then released */
	limits_tcp_authed(&srv, &b.sa);
	limits_tcp_release(&srv, &b.sa);
	assert_int_equal(limits_tcp_take(&srv, &b2.sa), 0);
	/* more authed calls than half-open connections change nothing */
	for (int i = 0; i < 5; i++)
		limits_tcp_authed(&srv, &a.sa);
	assert_int_equal(limits_tcp_unauth_now(&srv), 2);
	assert_int_equal(limits_tcp_take(&srv, &a.sa), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_one_address_holds_its_share_of_the_range),
	    T(test_ipv6_addresses_count_by_their_64),
	    T(test_one_user_holds_its_share_across_addresses),
	    T(test_shares_never_cap_below_64_ports),
	    T(test_quotas_count_allocations_and_reservations),
	    T(test_anchor_holds_its_share),
	    T(test_tcp_connections_per_address_and_in_all),
	    T(test_reconfigure_applies_new_caps_to_new_takes),
	    T(test_half_open_connections_per_address),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
