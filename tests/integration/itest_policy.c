/*
 * itest_policy.c - the peer address policy end to end (RFC 8656 §21):
 * without --allow-loopback-peers, CreatePermission and ChannelBind to
 * loopback, private, CGNAT, link-local, metadata, multicast, unspecified,
 * broadcast, ULA, IPv4-in-IPv6 forms of those and the server's own
 * addresses get 403, except relay ports of its relay address (TURN to
 * TURN between its allocations); public addresses are allowed; --allowed-peer-ip opens a
 * private range and --denied-peer-ip closes part of it again.
 *
 * Only CreatePermission/ChannelBind requests name these addresses: no
 * data is ever sent to anything but loopback.
 *
 * Three servers: "deflt" (relay 127.0.0.1 and ::1, default policy),
 * "allow" (--allowed-peer-ip 10.0.0.0/8) and "allow_deny" (that plus
 * --denied-peer-ip 10.1.0.0/16).
 */
#include "integration/harness.h"

static struct tserver deflt, allow, allow_deny;

static const char *const deflt_flags[] = {"--relay-ip=127.0.0.1", "--relay-ip=::1", NULL};
static const char *const allow_flags[] = {"--relay-ip=127.0.0.1", "--allowed-peer-ip=10.0.0.0/8",
					  NULL};
static const char *const allow_deny_flags[] = {
    "--relay-ip=127.0.0.1", "--allowed-peer-ip=10.0.0.0/8", "--denied-peer-ip=10.1.0.0/16", NULL};

static const struct tserver_spec servers[] = {
    {&deflt, 8, deflt_flags},
    {&allow, 4, allow_flags},
    {&allow_deny, 4, allow_deny_flags},
};

TSERVER_GROUP(servers)

/* A dual allocation (IPv4 and IPv6 relay) on server s. */
static void dual_allocation(struct turnc *cl, const struct tserver *s)
{
	h_connect(cl, &s->v4, false);
	assert_code(h_allocate_family(cl, 0, STUN_FAMILY_IPV6), 0);
}

static void v4_allocation(struct turnc *cl, const struct tserver *s)
{
	h_connect(cl, &s->v4, false);
	assert_code(h_allocate(cl), 0);
}

/* CreatePermission for ip gets code; the answer is signed either way. */
static void expect_permission(struct turnc *cl, const char *ip, int code)
{
	struct sockaddr_storage peer = h_addr(ip, 3478);
	int got = h_permission(cl, &peer);

	if (got != code)
		fail_msg("CreatePermission %s: got %d, expected %d", ip, got, code);
	if (!cl->resp_signed)
		fail_msg("CreatePermission %s: answer not signed", ip);
}

/* A CreatePermission for each of the n peers gets 403, on one dual allocation. */
static void expect_all_forbidden(const char *const *peers, size_t n)
{
	struct turnc cl;

	dual_allocation(&cl, &deflt);
	for (size_t i = 0; i < n; i++)
		expect_permission(&cl, peers[i], STUN_ERR_FORBIDDEN);
	h_close(&cl);
}

static void test_denied_ipv4_peer_classes_get_403(void **state)
{
	static const char *const denied[] = {"127.0.0.1",	"127.1.2.3",	   "10.1.2.3",
					     "172.16.0.1",	"192.168.1.1",	   "100.64.0.1",
					     "169.254.169.254", "169.254.1.1",	   "224.0.0.1",
					     "0.0.0.0",		"255.255.255.255", "240.0.0.1"};

	(void)state;
	expect_all_forbidden(denied, sizeof(denied) / sizeof(denied[0]));
}

static void test_denied_ipv6_peer_classes_get_403(void **state)
{
	static const char *const denied[] = {"::1",
					     "::",
					     "fc00::1",
					     "fd12:3456::1",
					     "fe80::1",
					     "ff02::1",
					     "::ffff:127.0.0.1",
					     "::ffff:10.0.0.1",
					     "::127.0.0.1",
					     "64:ff9b::a00:1",
					     "2002:7f00:1::1",
					     "fd00:ec2::254"};

	(void)state;
	expect_all_forbidden(denied, sizeof(denied) / sizeof(denied[0]));
}

/*
 * The server's own addresses are refused, except its relay address with a
 * port of the relay range: that is another allocation (TURN to TURN, see
 * test_hairpin_between_allocations_keeps_their_permissions).
 */
static void test_own_addresses_outside_relay_range_get_403(void **state)
{
	struct sockaddr_storage r4, r6;
	struct turnc cl;

	(void)state;
	dual_allocation(&cl, &deflt);
	r4 = h_relayed(&cl, 0);
	r6 = h_relayed(&cl, 1);
	addr_set_port(SA(&r4), (uint16_t)(deflt.min_port - 1));
	addr_set_port(SA(&r6), (uint16_t)(deflt.max_port + 1));
	assert_code(h_permission(&cl, &r4), STUN_ERR_FORBIDDEN);
	assert_code(h_permission(&cl, &r6), STUN_ERR_FORBIDDEN);
	assert_code(h_channel_bind(&cl, 0x4000, &r4), STUN_ERR_FORBIDDEN);
	assert_code(h_permission(&cl, &deflt.v4), STUN_ERR_FORBIDDEN);
	assert_code(h_permission(&cl, &deflt.v6), STUN_ERR_FORBIDDEN);
	h_close(&cl);
}

/* Two allocations of this server reach each other, each with its own permissions. */
static void test_hairpin_between_allocations_keeps_their_permissions(void **state)
{
	struct sockaddr_storage ra, rb, from;
	struct turnc a, b;
	uint8_t buf[64];
	uint16_t ch;

	(void)state;
	dual_allocation(&a, &deflt);
	ra = h_relayed(&a, 0);
	dual_allocation(&b, &deflt);
	rb = h_relayed(&b, 0);
	assert_code(h_permission(&a, &rb), 0);
	/* b has no permission for a's relay yet */
	assert_int_equal(h_send_indication(&a, &rb, "early", 5), 0);
	h_assert_no_data(&b);
	assert_code(h_permission(&b, &ra), 0);
	assert_int_equal(h_send_indication(&a, &rb, "hairpin", 7), 0);
	assert_int_equal(h_recv_data(&b, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "hairpin", 7);
	assert_int_equal(ch, 0);
	h_assert_addr_equal(&from, &ra);
	h_close(&a);
	h_close(&b);
}

/*
 * Behind 1:1 NAT (external-ip=PUBLIC/PRIVATE) clients see relays by the
 * public IP; two allocations reach each other by those addresses, and the
 * Data indication names the sender by its public address. The public
 * range is also denied, so if the mapping failed the request would get
 * 403 instead of a datagram leaving for a non-local address.
 */
static void test_hairpin_by_external_ip_is_mapped_to_the_relay(void **state)
{
	static const char *const flags[] = {"--relay-ip=127.0.0.1",
					    "--external-ip=203.0.113.7/127.0.0.1",
					    "--denied-peer-ip=203.0.113.0/24", NULL};
	struct sockaddr_storage ra, rb, from, other;
	struct tserver nat;
	struct turnc a, b;
	uint8_t buf[64];
	uint16_t ch;

	(void)state;
	assert_int_equal(tserver_start(&nat, 4, flags), 0);
	assert_int_equal(h_open(&a, &nat.v4, NULL, false), 0);
	assert_int_equal(h_open(&b, &nat.v4, NULL, false), 0);
	assert_code(h_allocate(&a), 0);
	assert_code(h_allocate(&b), 0);
	ra = h_relayed(&a, 0);
	rb = h_relayed(&b, 0);
	h_assert_relayed(&ra, "203.0.113.7", &nat);
	h_assert_relayed(&rb, "203.0.113.7", &nat);
	assert_code(h_permission(&a, &rb), 0);
	assert_code(h_permission(&b, &ra), 0);
	/* a public address that is not a relay port stays denied */
	other = rb;
	addr_set_port(SA(&other), (uint16_t)(nat.min_port - 1));
	assert_code(h_permission(&a, &other), STUN_ERR_FORBIDDEN);

	assert_int_equal(h_send_indication(&a, &rb, "via-nat", 7), 0);
	assert_int_equal(h_recv_data(&b, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 7);
	assert_memory_equal(buf, "via-nat", 7);
	assert_int_equal(ch, 0);
	h_assert_addr_equal(&from, &ra);
	/* and back over a channel bound to the public address */
	assert_code(h_channel_bind(&b, 0x4001, &ra), 0);
	assert_int_equal(h_send_channel(&b, 0x4001, "back", 4), 0);
	assert_int_equal(h_recv_data(&a, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "back", 4);
	h_assert_addr_equal(&from, &rb);
	h_close(&a);
	h_close(&b);
	assert_int_equal(tserver_stop(&nat), 0);
}

static void test_public_peers_are_allowed(void **state)
{
	static const char *const allowed[] = {"203.0.113.5", "198.51.100.7", "2001:db8::5"};
	struct turnc cl;

	(void)state;
	dual_allocation(&cl, &deflt);
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		expect_permission(&cl, allowed[i], 0);
	h_close(&cl);
}

static void test_channel_bind_to_denied_peer_gets_403(void **state)
{
	struct sockaddr_storage priv = h_addr("192.168.1.1", 5000);
	struct sockaddr_storage loop = h_addr("127.0.0.1", 5000);
	struct sockaddr_storage pub = h_addr("203.0.113.5", 5000);
	struct turnc cl;

	(void)state;
	dual_allocation(&cl, &deflt);
	assert_code(h_channel_bind(&cl, 0x4000, &priv), STUN_ERR_FORBIDDEN);
	assert_code(h_channel_bind(&cl, 0x4001, &loop), STUN_ERR_FORBIDDEN);
	/* a refused binding does not hold the number */
	assert_code(h_channel_bind(&cl, 0x4000, &pub), 0);
	h_close(&cl);
}

/* A permission refused for policy installs nothing: loopback data is dropped. */
static void test_send_to_loopback_peer_is_not_relayed_by_default(void **state)
{
	struct sockaddr_storage relayed;
	struct turnc cl;
	struct tpeer peer;

	(void)state;
	dual_allocation(&cl, &deflt);
	relayed = h_relayed(&cl, 0);
	tpeer_open(&peer, "127.0.0.1");
	assert_code(h_permission(&cl, &peer.addr), STUN_ERR_FORBIDDEN);
	assert_int_equal(h_send_indication(&cl, &peer.addr, "nope", 4), 0);
	tpeer_assert_nothing(&peer);
	tpeer_send(&peer, &relayed, "in", 2);
	h_assert_no_data(&cl);
	tpeer_close(&peer);
	h_close(&cl);
}

static void test_allowed_peer_ip_admits_private_range(void **state)
{
	struct turnc cl;

	(void)state;
	v4_allocation(&cl, &allow);
	expect_permission(&cl, "10.1.2.3", 0);
	expect_permission(&cl, "10.255.0.1", 0);
	/* only that range */
	expect_permission(&cl, "192.168.1.1", STUN_ERR_FORBIDDEN);
	expect_permission(&cl, "127.0.0.1", STUN_ERR_FORBIDDEN);
	h_close(&cl);
}

static void test_denied_peer_ip_overrides_allowed_peer_ip(void **state)
{
	struct turnc cl;

	(void)state;
	v4_allocation(&cl, &allow_deny);
	expect_permission(&cl, "10.1.2.3", STUN_ERR_FORBIDDEN);
	expect_permission(&cl, "10.2.3.4", 0);
	expect_permission(&cl, "203.0.113.5", 0);
	h_close(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_denied_ipv4_peer_classes_get_403),
	    cmocka_unit_test(test_denied_ipv6_peer_classes_get_403),
	    cmocka_unit_test(test_own_addresses_outside_relay_range_get_403),
	    cmocka_unit_test(test_hairpin_between_allocations_keeps_their_permissions),
	    cmocka_unit_test(test_hairpin_by_external_ip_is_mapped_to_the_relay),
	    cmocka_unit_test(test_public_peers_are_allowed),
	    cmocka_unit_test(test_channel_bind_to_denied_peer_gets_403),
	    cmocka_unit_test(test_send_to_loopback_peer_is_not_relayed_by_default),
	    cmocka_unit_test(test_allowed_peer_ip_admits_private_range),
	    cmocka_unit_test(test_denied_peer_ip_overrides_allowed_peer_ip),
	    cmocka_unit_test(test_servers_exit_cleanly_on_sigterm),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
