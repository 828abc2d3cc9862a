/*
 * test_relay_ports.c - the registry of live relay ports: a port is live
 * for one transport between set and clear, only on a registered address;
 * each live port names its owner, and data to an owner with a deliver
 * callback goes to that callback; public addresses map to the local ones
 * and back.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "common/addr.h"
#include "relay/relay_ports.h"

static struct relay_ports rp;

static struct sockaddr_storage sa(const char *s)
{
	struct sockaddr_storage ss;

	if (addr_parse(s, 0, &ss, NULL) < 0)
		fail_msg("test address \"%s\" does not parse", s);
	return ss;
}

#define SA(ss) ((struct sockaddr *)&(ss))

static int setup(void **state)
{
	struct sockaddr_storage v4 = sa("10.0.0.5"), v6 = sa("2001:db8::5");
	struct sockaddr_storage pub = sa("203.0.113.7");

	(void)state;
	memset(&rp, 0, sizeof(rp));
	assert_int_equal(relay_ports_add_addr(&rp, SA(v4), SA(pub)), 0);
	assert_int_equal(relay_ports_add_addr(&rp, SA(v6), NULL), 0);
	return 0;
}

static void test_port_is_live_between_set_and_clear(void **state)
{
	struct sockaddr_storage p = sa("10.0.0.5:50000"), next = sa("10.0.0.5:50001");

	(void)state;
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	assert_true(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
	assert_false(relay_ports_live(&rp, SA(next), IPPROTO_UDP));
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, RELAY_OWNER_SOCKET, false);
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
}

static void test_transports_are_separate(void **state)
{
	struct sockaddr_storage p = sa("10.0.0.5:50002");

	(void)state;
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_TCP));
	relay_ports_set(&rp, SA(p), IPPROTO_TCP, RELAY_OWNER_SOCKET, true);
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, RELAY_OWNER_SOCKET, false);
	assert_true(relay_ports_live(&rp, SA(p), IPPROTO_TCP));
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
}

static void test_unregistered_address_is_never_live(void **state)
{
	struct sockaddr_storage other = sa("10.0.0.6:50000"),
				mapped = sa("[::ffff:10.0.0.5]:50000");
	struct sockaddr_storage v6 = sa("[2001:db8::5]:0"), v6_65535 = sa("[2001:db8::5]:65535");

	(void)state;
	relay_ports_set(&rp, SA(other), IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	assert_false(relay_ports_live(&rp, SA(other), IPPROTO_UDP));
	assert_false(relay_ports_has_addr(&rp, SA(other)));
	relay_ports_set(&rp, SA(mapped), IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	assert_false(relay_ports_live(&rp, SA(mapped), IPPROTO_UDP));
	/* the ends of the port space, on IPv6 */
	relay_ports_set(&rp, SA(v6), IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	relay_ports_set(&rp, SA(v6_65535), IPPROTO_TCP, RELAY_OWNER_SOCKET, true);
	assert_true(relay_ports_live(&rp, SA(v6), IPPROTO_UDP));
	assert_true(relay_ports_live(&rp, SA(v6_65535), IPPROTO_TCP));
	assert_true(relay_ports_has_addr(&rp, SA(v6)));
}

static void test_public_address_maps_to_local_and_back(void **state)
{
	struct sockaddr_storage p = sa("203.0.113.7:50000"), want = sa("10.0.0.5:50000");
	struct sockaddr_storage other = sa("203.0.113.8:50000"), v6 = sa("[2001:db8::5]:1");

	(void)state;
	assert_true(relay_ports_to_local(&rp, SA(p)));
	assert_true(addr_equal(SA(p), SA(want)));
	assert_true(relay_ports_to_public(&rp, SA(p)));
	want = sa("203.0.113.7:50000");
	assert_true(addr_equal(SA(p), SA(want)));
	assert_false(relay_ports_to_local(&rp, SA(other)));
	/* without a public address nothing changes */
	assert_false(relay_ports_to_public(&rp, SA(v6)));
	assert_false(relay_ports_to_local(&rp, SA(v6)));
}

static void test_table_limits_and_families(void **state)
{
	struct sockaddr_storage a = sa("10.0.0.7"), b = sa("10.0.0.8"), c = sa("10.0.0.9");
	struct sockaddr_storage v6 = sa("2001:db8::9"), pub = sa("203.0.113.9");

	(void)state;
	assert_int_equal(relay_ports_add_addr(&rp, SA(v6), SA(pub)), -1);
	assert_int_equal(relay_ports_add_addr(&rp, SA(a), NULL), 0);
	assert_int_equal(relay_ports_add_addr(&rp, SA(b), NULL), 0);
	assert_int_equal(relay_ports_add_addr(&rp, SA(c), NULL), -1);
	/* known already: fine, and it gets a public address it had none of */
	assert_int_equal(relay_ports_add_addr(&rp, SA(a), SA(pub)), 0);
	assert_int_equal(rp.naddrs, RELAY_PORTS_MAX_ADDRS);
	pub = sa("203.0.113.9:7");
	assert_true(relay_ports_to_local(&rp, SA(pub)));
	a = sa("10.0.0.7:7");
	assert_true(addr_equal(SA(pub), SA(a)));
}

/* A deliver callback that records what it was given. */
struct delivered {
	int calls;
	bool take;
	struct sockaddr_storage to, from;
	size_t len;
};

static bool record(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
		   const uint8_t *buf, size_t len)
{
	struct delivered *d = ctx;

	(void)buf;
	d->calls++;
	memcpy(&d->to, to, addr_len(to));
	memcpy(&d->from, from, addr_len(from));
	d->len = len;
	return d->take;
}

static void test_owner_of_a_port(void **state)
{
	struct sockaddr_storage turn = sa("10.0.0.5:50010"), media = sa("10.0.0.5:50012");
	struct delivered d = {0};
	int an;

	(void)state;
	an = relay_ports_add_owner(&rp, record, &d);
	assert_true(an > RELAY_OWNER_SOCKET);
	assert_int_equal(relay_ports_owner(&rp, SA(turn), IPPROTO_UDP), -1);
	relay_ports_set(&rp, SA(turn), IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	relay_ports_set(&rp, SA(media), IPPROTO_UDP, an, true);
	assert_int_equal(relay_ports_owner(&rp, SA(turn), IPPROTO_UDP), RELAY_OWNER_SOCKET);
	assert_int_equal(relay_ports_owner(&rp, SA(media), IPPROTO_UDP), an);
	assert_int_equal(relay_ports_owner(&rp, SA(media), IPPROTO_TCP), -1);
	assert_true(relay_ports_live(&rp, SA(media), IPPROTO_UDP));
	/* the owner's bit only: clearing it for another owner changes nothing */
	relay_ports_set(&rp, SA(media), IPPROTO_UDP, RELAY_OWNER_SOCKET, false);
	assert_int_equal(relay_ports_owner(&rp, SA(media), IPPROTO_UDP), an);
	relay_ports_set(&rp, SA(media), IPPROTO_UDP, an, false);
	assert_int_equal(relay_ports_owner(&rp, SA(media), IPPROTO_UDP), -1);
}

static void test_deliver_goes_to_the_owner(void **state)
{
	struct sockaddr_storage turn = sa("10.0.0.5:50020"), media = sa("10.0.0.5:50022");
	struct sockaddr_storage other = sa("10.0.0.5:50024");
	static const uint8_t data[5] = {1, 2, 3, 4, 5};
	struct delivered d = {.take = true};
	int an = relay_ports_add_owner(&rp, record, &d);

	(void)state;
	relay_ports_set(&rp, SA(turn), IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	relay_ports_set(&rp, SA(media), IPPROTO_UDP, an, true);
	/* a socket owner gets its data from the kernel: the caller sends */
	assert_false(relay_ports_deliver(&rp, SA(turn), SA(media), data, sizeof(data)));
	assert_false(relay_ports_deliver(&rp, SA(other), SA(turn), data, sizeof(data)));
	assert_int_equal(d.calls, 0);
	assert_true(relay_ports_deliver(&rp, SA(media), SA(turn), data, sizeof(data)));
	assert_int_equal(d.calls, 1);
	assert_true(addr_equal(SA(d.to), SA(media)));
	assert_true(addr_equal(SA(d.from), SA(turn)));
	assert_int_equal(d.len, sizeof(data));
	/* the owner may refuse (its port closed meanwhile): the caller sends */
	d.take = false;
	assert_false(relay_ports_deliver(&rp, SA(media), SA(turn), data, sizeof(data)));
	relay_ports_set(&rp, SA(media), IPPROTO_UDP, an, false);
	assert_false(relay_ports_deliver(&rp, SA(media), SA(turn), data, sizeof(data)));
	assert_int_equal(d.calls, 2);
}

static void test_owner_table_is_bounded(void **state)
{
	struct sockaddr_storage p = sa("10.0.0.5:50030");
	struct delivered d = {0};

	(void)state;
	assert_int_equal(relay_ports_add_owner(&rp, NULL, &d), -1);
	for (int i = 1; i < RELAY_PORTS_MAX_OWNERS; i++)
		assert_int_equal(relay_ports_add_owner(&rp, record, &d), i);
	assert_int_equal(relay_ports_add_owner(&rp, record, &d), -1);
	/* an owner id never registered marks nothing */
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, RELAY_PORTS_MAX_OWNERS, true);
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, -1, true);
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_port_is_live_between_set_and_clear, setup),
	    cmocka_unit_test_setup(test_transports_are_separate, setup),
	    cmocka_unit_test_setup(test_unregistered_address_is_never_live, setup),
	    cmocka_unit_test_setup(test_public_address_maps_to_local_and_back, setup),
	    cmocka_unit_test_setup(test_table_limits_and_families, setup),
	    cmocka_unit_test_setup(test_owner_of_a_port, setup),
	    cmocka_unit_test_setup(test_deliver_goes_to_the_owner, setup),
	    cmocka_unit_test_setup(test_owner_table_is_bounded, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
