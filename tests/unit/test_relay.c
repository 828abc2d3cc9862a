/*
 * test_relay.c - the relay layer (src/relay/relay.c): the port allocator
 * keeps to the range and to EVEN-PORT (RFC 8656 §14.6), with the odd
 * neighbour reserved when asked; registered addresses are the server's own
 * and pass the peer verdict only at a live port of their transport, of any
 * owner; external-ip mapping of peers within the relay range.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/config.h"
#include "relay/relay.h"
#include "test_sockaddr.h"

static struct config cfg;
static struct relay r;

static bool deliver_none(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			 const uint8_t *buf, size_t len)
{
	(void)ctx, (void)to, (void)from, (void)buf, (void)len;
	return false;
}

static int setup(void **state)
{
	union sockaddr_u local = test_su("127.0.0.1"), pub = test_su("203.0.113.7");

	(void)state;
	config_init(&cfg);
	cfg.min_port = 41000;
	cfg.max_port = 41999;
	memset(&r, 0, sizeof(r));
	r.cfg = &cfg;
	assert_int_equal(peer_policy_init(&r.policy, false, NULL, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(relay_addr_register(&r, &local.sa, &pub.sa), 0);
	return 0;
}

static uint16_t bound_port(int fd)
{
	union sockaddr_u u;
	socklen_t len = sizeof(u);

	assert_int_equal(getsockname(fd, &u.sa, &len), 0);
	return addr_port(&u.sa);
}

static void test_port_in_range_even_and_reserved(void **state)
{
	union sockaddr_u local = test_su("127.0.0.1");

	(void)state;
	for (int i = 0; i < 20; i++) {
		int fd = -1, next = -1;
		uint16_t p;

		assert_int_equal(relay_port_bind(&r, &local, false, true, true, false, &fd, &next),
				 0);
		p = bound_port(fd);
		assert_true(p >= cfg.min_port && p + 1 <= cfg.max_port);
		assert_int_equal(p % 2, 0);
		assert_true(next >= 0);
		assert_int_equal(bound_port(next), p + 1);
		close(fd);
		close(next);
	}
	for (int i = 0; i < 20; i++) {
		int fd = -1, next = 7;
		uint16_t p;

		assert_int_equal(relay_port_bind(&r, &local, true, false, false, false, &fd, &next),
				 0);
		p = bound_port(fd);
		assert_true(p >= cfg.min_port && p <= cfg.max_port);
		assert_int_equal(next, -1);
		close(fd);
	}
}

static void test_full_range_fails(void **state)
{
	union sockaddr_u local = test_su("127.0.0.1");
	int held = -1, fd = -1, next = -1;

	(void)state;
	/* a range of one port, held already */
	cfg.max_port = cfg.min_port;
	assert_int_equal(relay_port_bind(&r, &local, false, false, false, false, &held, &next), 0);
	assert_int_equal(bound_port(held), cfg.min_port);
	assert_int_equal(relay_port_bind(&r, &local, false, false, false, false, &fd, &next), -1);
	/* EVEN-PORT with R=1 cannot fit its pair in one port */
	close(held);
	assert_int_equal(relay_port_bind(&r, &local, false, true, true, false, &fd, &next), -1);
}

static void test_own_address_passes_only_at_live_ports(void **state)
{
	union sockaddr_u turn = test_su("127.0.0.1:41010"), media = test_su("127.0.0.1:41012");
	union sockaddr_u pub = test_su("203.0.113.7:41010"), peer = test_su("198.51.100.1:41010");
	int an = relay_ports_add_owner(&r.ports, deliver_none, NULL);

	(void)state;
	assert_int_equal(relay_peer_verdict(&r, &turn, IPPROTO_UDP), PEER_DENIED_SELF);
	assert_int_equal(relay_peer_verdict(&r, &pub, IPPROTO_UDP), PEER_DENIED_SELF);
	assert_int_equal(relay_peer_verdict(&r, &peer, IPPROTO_UDP), PEER_ALLOWED);
	relay_ports_set(&r.ports, &turn.sa, IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	relay_ports_set(&r.ports, &media.sa, IPPROTO_UDP, an, true);
	assert_int_equal(relay_peer_verdict(&r, &turn, IPPROTO_UDP), PEER_ALLOWED);
	assert_int_equal(relay_peer_verdict(&r, &media, IPPROTO_UDP), PEER_ALLOWED);
	/* another transport, or the port closed: the server's own again */
	assert_int_equal(relay_peer_verdict(&r, &turn, IPPROTO_TCP), PEER_DENIED_SELF);
	relay_ports_set(&r.ports, &media.sa, IPPROTO_UDP, an, false);
	assert_int_equal(relay_peer_verdict(&r, &media, IPPROTO_UDP), PEER_DENIED_SELF);
}

static void test_wire_mapping_within_the_range(void **state)
{
	union sockaddr_u pub = test_su("203.0.113.7:41010"), out = test_su("203.0.113.7:40000");
	union sockaddr_u want = test_su("127.0.0.1:41010");

	(void)state;
	relay_peer_from_wire(&r, &pub);
	assert_true(addr_equal(&pub.sa, &want.sa));
	relay_peer_to_wire(&r, &pub);
	want = test_su("203.0.113.7:41010");
	assert_true(addr_equal(&pub.sa, &want.sa));
	/* a port outside the relay range is not one of ours: left alone */
	want = out;
	relay_peer_from_wire(&r, &out);
	assert_true(addr_equal(&out.sa, &want.sa));
}

static void test_own_socket_is_exactly_a_live_port_or_a_listener(void **state)
{
	union sockaddr_u lsn = test_su("127.0.0.1:3478"), relay = test_su("127.0.0.1:41020");
	union sockaddr_u media = test_su("127.0.0.1:41022"), tcp = test_su("127.0.0.1:41024");
	union sockaddr_u pub = test_su("203.0.113.7:41020"), other = test_su("198.51.100.1:41020");
	union sockaddr_u free_port = test_su("127.0.0.1:41030");
	int an = relay_ports_add_owner(&r.ports, deliver_none, NULL);

	(void)state;
	r.listen[0] = lsn;
	r.nlisten = 1;
	relay_ports_set(&r.ports, &relay.sa, IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	relay_ports_set(&r.ports, &media.sa, IPPROTO_UDP, an, true);
	relay_ports_set(&r.ports, &tcp.sa, IPPROTO_TCP, RELAY_OWNER_SOCKET, true);
	assert_true(relay_own_socket(&r, &lsn.sa));
	assert_true(relay_own_socket(&r, &relay.sa));
	assert_true(relay_own_socket(&r, &media.sa));
	assert_true(relay_own_socket(&r, &pub.sa));
	/* a port of the range with no socket of ours, or a TCP relay: not a datagram of ours */
	assert_false(relay_own_socket(&r, &free_port.sa));
	assert_false(relay_own_socket(&r, &tcp.sa));
	assert_false(relay_own_socket(&r, &other.sa));
	/* closed: another program may hold the port now */
	relay_ports_set(&r.ports, &media.sa, IPPROTO_UDP, an, false);
	assert_false(relay_own_socket(&r, &media.sa));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_port_in_range_even_and_reserved, setup),
	    cmocka_unit_test_setup(test_full_range_fails, setup),
	    cmocka_unit_test_setup(test_own_address_passes_only_at_live_ports, setup),
	    cmocka_unit_test_setup(test_wire_mapping_within_the_range, setup),
	    cmocka_unit_test_setup(test_own_socket_is_exactly_a_live_port_or_a_listener, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
