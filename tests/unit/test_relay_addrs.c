/*
 * test_relay_addrs.c - the server's own addresses from the configuration
 * (src/relay/relay_addrs.c): listening-ip, relay-ip or the first
 * non-loopback listening address, external-ip as the advertised relay
 * address (only for its private address when one is given), and the peer
 * policy's own addresses and ports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/config.h"
#include "relay/relay.h"
#include "test_sockaddr.h"

static struct config cfg;
static struct relay r;

static void set(const char *key, const char *value)
{
	char err[256];

	if (config_set(&cfg, key, value, err, sizeof(err)) < 0)
		fail_msg("%s=%s: %s", key, value, err);
}

/* The listening addresses, then the relay and advertised ones, as startup picks them. */
static void pick(void)
{
	assert_int_equal(relay_pick_listen(&r), 0);
	assert_int_equal(relay_pick_addrs(&r), 0);
}

static int setup(void **state)
{
	(void)state;
	config_free(&cfg);
	config_init(&cfg);
	memset(&r, 0, sizeof(r));
	r.cfg = &cfg;
	return 0;
}

static void test_relay_from_listening_not_loopback(void **state)
{
	union sockaddr_u want = test_su("192.0.2.10");

	(void)state;
	set("listening-ip", "127.0.0.1");
	set("listening-ip", "192.0.2.10");
	assert_int_equal(relay_pick_listen(&r), 0);
	assert_int_equal(r.nlisten, 2);
	assert_int_equal(addr_port(&r.listen[1].sa), cfg.listening_port);
	assert_int_equal(relay_pick_addrs(&r), 0);
	assert_true(r.has_relay_v4);
	assert_false(r.has_relay_v6);
	assert_true(addr_ip_equal(&r.relay_v4.sa, &want.sa));
	assert_int_equal(r.advertise_v4.sa.sa_family, 0);
}

static void test_relay_ip_and_external_ip(void **state)
{
	union sockaddr_u relay = test_su("10.0.0.5"), pub = test_su("203.0.113.7");

	(void)state;
	set("listening-ip", "127.0.0.1");
	set("relay-ip", "10.0.0.5");
	/* the first mapping is for another private address: not ours */
	set("external-ip", "198.51.100.1/10.0.0.99");
	set("external-ip", "203.0.113.7/10.0.0.5");
	pick();
	assert_true(addr_ip_equal(&r.relay_v4.sa, &relay.sa));
	assert_true(addr_ip_equal(&r.advertise_v4.sa, &pub.sa));
}

static void test_only_loopback_is_still_a_relay(void **state)
{
	(void)state;
	set("listening-ip", "127.0.0.1");
	pick();
	assert_true(relay_is_loopback(&r.relay_v4));
}

static void test_policy_knows_the_own_addresses(void **state)
{
	union sockaddr_u relay_port = test_su("10.0.0.5:50000"), pub = test_su("203.0.113.7:9");
	union sockaddr_u listen = test_su("192.0.2.10:3478"), other = test_su("198.51.100.1:50000");
	char err[256];

	(void)state;
	set("listening-ip", "192.0.2.10");
	set("relay-ip", "10.0.0.5");
	set("external-ip", "203.0.113.7");
	set("min-port", "49152");
	set("max-port", "65535");
	pick();
	assert_int_equal(relay_setup_policy(&r, err, sizeof(err)), 0);
	assert_int_equal(relay_peer_verdict(&r, &relay_port, IPPROTO_UDP), PEER_DENIED_SELF);
	assert_int_equal(relay_peer_verdict(&r, &pub, IPPROTO_UDP), PEER_DENIED_SELF);
	assert_int_equal(relay_peer_verdict(&r, &listen, IPPROTO_UDP), PEER_DENIED_SELF);
	assert_int_equal(relay_peer_verdict(&r, &other, IPPROTO_UDP), PEER_ALLOWED);
	/* a live relay port is the one way through */
	relay_ports_set(&r.ports, &relay_port.sa, IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	assert_int_equal(relay_peer_verdict(&r, &relay_port, IPPROTO_UDP), PEER_ALLOWED);
	/* and clients name it by the public address */
	pub = test_su("203.0.113.7:50000");
	relay_peer_from_wire(&r, &pub);
	assert_true(addr_equal(&pub.sa, &relay_port.sa));
}

static void test_bad_policy_entry_is_named(void **state)
{
	char err[256] = "";

	(void)state;
	set("listening-ip", "127.0.0.1");
	cfg.allowed_peer_ip[0] = strdup("10.0.0.300");
	cfg.allowed_peer_ip_count = 1;
	pick();
	assert_int_equal(relay_setup_policy(&r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "10.0.0.300"));
}

static int teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	memset(&cfg, 0, sizeof(cfg));
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_relay_from_listening_not_loopback), T(test_relay_ip_and_external_ip),
	    T(test_only_loopback_is_still_a_relay),    T(test_policy_knows_the_own_addresses),
	    T(test_bad_policy_entry_is_named),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
