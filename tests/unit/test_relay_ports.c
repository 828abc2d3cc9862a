/*
 * test_relay_ports.c - the live relay ports of the server's relay
 * addresses: a port is live for one transport between set and clear, only
 * on a registered address; public addresses map to the local ones and back.
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
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, true);
	assert_true(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
	assert_false(relay_ports_live(&rp, SA(next), IPPROTO_UDP));
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, false);
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
}

static void test_transports_are_separate(void **state)
{
	struct sockaddr_storage p = sa("10.0.0.5:50002");

	(void)state;
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, true);
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_TCP));
	relay_ports_set(&rp, SA(p), IPPROTO_TCP, true);
	relay_ports_set(&rp, SA(p), IPPROTO_UDP, false);
	assert_true(relay_ports_live(&rp, SA(p), IPPROTO_TCP));
	assert_false(relay_ports_live(&rp, SA(p), IPPROTO_UDP));
}

static void test_unregistered_address_is_never_live(void **state)
{
	struct sockaddr_storage other = sa("10.0.0.6:50000"),
				mapped = sa("[::ffff:10.0.0.5]:50000");
	struct sockaddr_storage v6 = sa("[2001:db8::5]:0"), v6_65535 = sa("[2001:db8::5]:65535");

	(void)state;
	relay_ports_set(&rp, SA(other), IPPROTO_UDP, true);
	assert_false(relay_ports_live(&rp, SA(other), IPPROTO_UDP));
	assert_false(relay_ports_has_addr(&rp, SA(other)));
	relay_ports_set(&rp, SA(mapped), IPPROTO_UDP, true);
	assert_false(relay_ports_live(&rp, SA(mapped), IPPROTO_UDP));
	/* the ends of the port space, on IPv6 */
	relay_ports_set(&rp, SA(v6), IPPROTO_UDP, true);
	relay_ports_set(&rp, SA(v6_65535), IPPROTO_TCP, true);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_port_is_live_between_set_and_clear, setup),
	    cmocka_unit_test_setup(test_transports_are_separate, setup),
	    cmocka_unit_test_setup(test_unregistered_address_is_never_live, setup),
	    cmocka_unit_test_setup(test_public_address_maps_to_local_and_back, setup),
	    cmocka_unit_test_setup(test_table_limits_and_families, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
