/*
 * test_peer_policy.c - the relay's peer address policy (RFC 8656 §21):
 * default denials, IPv6 forms that carry IPv4, operator lists, loopback
 * opt-in, the server's own addresses, and the evaluation order.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "common/addr.h"
#include "relay/peer_policy.h"

static struct peer_policy pol;

static void policy(bool allow_loopback, const char *const *allowed, int nallowed,
		   const char *const *denied, int ndenied)
{
	char err[256] = "";

	if (peer_policy_init(&pol, allow_loopback, allowed, nallowed, denied, ndenied, err,
			     sizeof(err)) < 0)
		fail_msg("peer_policy_init: %s", err);
}

static void default_policy(void)
{
	policy(false, NULL, 0, NULL, 0);
}

static enum peer_verdict check(const char *s)
{
	struct sockaddr_storage ss;

	if (addr_parse(s, 9, &ss, NULL) < 0)
		fail_msg("test address \"%s\" does not parse", s);
	return peer_policy_check(&pol, (struct sockaddr *)&ss);
}

static void add_self(const char *s)
{
	struct sockaddr_storage ss;

	assert_int_equal(addr_parse(s, 3478, &ss, NULL), 0);
	assert_int_equal(peer_policy_add_self(&pol, (struct sockaddr *)&ss), 0);
}

#define assert_verdict(addr, v)                                                                    \
	do {                                                                                       \
		enum peer_verdict got_ = check(addr);                                              \
		if (got_ != (v))                                                                   \
			fail_msg("%s: got %s, want %s", addr, peer_verdict_str(got_),              \
				 peer_verdict_str(v));                                             \
	} while (0)

static void expect_init_error(const char *const *allowed, int nallowed, const char *const *denied,
			      int ndenied, const char *needle)
{
	struct peer_policy p;
	char err[256] = "";

	if (peer_policy_init(&p, false, allowed, nallowed, denied, ndenied, err, sizeof(err)) == 0)
		fail_msg("accepted, expected error naming '%s'", needle);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" does not name '%s'", err, needle);
}

static void test_public_address_allowed(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("8.8.8.8", PEER_ALLOWED);
	assert_verdict("203.0.113.10", PEER_ALLOWED);
	assert_verdict("2001:4860:4860::8888", PEER_ALLOWED);
	assert_verdict("::ffff:8.8.8.8", PEER_ALLOWED);
}

static void test_loopback_denied_by_default(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("127.0.0.1", PEER_DENIED_LOOPBACK);
	assert_verdict("127.255.255.254", PEER_DENIED_LOOPBACK);
	assert_verdict("::1", PEER_DENIED_LOOPBACK);
	assert_verdict("128.0.0.1", PEER_ALLOWED);
}

static void test_private_ranges_denied_with_exact_bounds(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("10.0.0.0", PEER_DENIED_PRIVATE);
	assert_verdict("10.255.255.255", PEER_DENIED_PRIVATE);
	assert_verdict("11.0.0.0", PEER_ALLOWED);
	assert_verdict("9.255.255.255", PEER_ALLOWED);
	assert_verdict("172.16.0.0", PEER_DENIED_PRIVATE);
	assert_verdict("172.31.255.255", PEER_DENIED_PRIVATE);
	assert_verdict("172.15.255.255", PEER_ALLOWED);
	assert_verdict("172.32.0.0", PEER_ALLOWED);
	assert_verdict("192.168.0.1", PEER_DENIED_PRIVATE);
	assert_verdict("192.169.0.1", PEER_ALLOWED);
}

static void test_cgnat_denied(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("100.64.0.0", PEER_DENIED_CGNAT);
	assert_verdict("100.127.255.255", PEER_DENIED_CGNAT);
	assert_verdict("100.63.255.255", PEER_ALLOWED);
	assert_verdict("100.128.0.0", PEER_ALLOWED);
}

static void test_link_local_denied(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("169.254.0.1", PEER_DENIED_LINK_LOCAL);
	assert_verdict("fe80::1", PEER_DENIED_LINK_LOCAL);
	assert_verdict("febf:ffff::1", PEER_DENIED_LINK_LOCAL);
}

static void test_metadata_address_denied(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("169.254.169.254", PEER_DENIED_METADATA);
	assert_verdict("::ffff:169.254.169.254", PEER_DENIED_METADATA);
	assert_verdict("168.63.129.16", PEER_DENIED_METADATA);
	assert_verdict("100.100.100.200", PEER_DENIED_METADATA);
	assert_verdict("192.0.0.192", PEER_DENIED_METADATA);
	assert_verdict("fd00:ec2::254", PEER_DENIED_METADATA);
	assert_verdict("169.254.169.253", PEER_DENIED_LINK_LOCAL);
}

static void test_multicast_broadcast_reserved_unspecified_denied(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("224.0.0.1", PEER_DENIED_MULTICAST);
	assert_verdict("239.255.255.255", PEER_DENIED_MULTICAST);
	assert_verdict("ff02::1", PEER_DENIED_MULTICAST);
	assert_verdict("255.255.255.255", PEER_DENIED_BROADCAST);
	assert_verdict("255.255.255.254", PEER_DENIED_RESERVED);
	assert_verdict("240.0.0.1", PEER_DENIED_RESERVED);
	assert_verdict("0.0.0.0", PEER_DENIED_UNSPECIFIED);
	assert_verdict("0.1.2.3", PEER_DENIED_UNSPECIFIED);
	assert_verdict("::", PEER_DENIED_UNSPECIFIED);
	assert_verdict("223.255.255.255", PEER_ALLOWED);
}

static void test_ula_and_site_local_denied(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("fc00::1", PEER_DENIED_ULA);
	assert_verdict("fdff:ffff::1", PEER_DENIED_ULA);
	assert_verdict("fec0::1", PEER_DENIED_PRIVATE);
	assert_verdict("fb00::1", PEER_ALLOWED);
}

static void test_ipv4_mapped_private_denied(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("::ffff:10.0.0.1", PEER_DENIED_PRIVATE);
	assert_verdict("::ffff:127.0.0.1", PEER_DENIED_LOOPBACK);
	assert_verdict("::ffff:100.64.1.1", PEER_DENIED_CGNAT);
	assert_verdict("::ffff:0.0.0.0", PEER_DENIED_UNSPECIFIED);
	assert_verdict("::ffff:224.0.0.1", PEER_DENIED_MULTICAST);
}

static void test_ipv4_compatible_loopback_denied(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("::127.0.0.1", PEER_DENIED_LOOPBACK);
	assert_verdict("::10.1.2.3", PEER_DENIED_PRIVATE);
	assert_verdict("::169.254.169.254", PEER_DENIED_METADATA);
	assert_verdict("::0.0.0.2", PEER_DENIED_UNSPECIFIED);
	assert_verdict("::8.8.8.8", PEER_ALLOWED);
}

static void test_nat64_and_6to4_embedding_denied_v4(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("64:ff9b::10.0.0.1", PEER_DENIED_PRIVATE);
	assert_verdict("64:ff9b::127.0.0.1", PEER_DENIED_LOOPBACK);
	assert_verdict("64:ff9b::8.8.8.8", PEER_ALLOWED);
	assert_verdict("2002:a9fe:a9fe::1", PEER_DENIED_METADATA);
	assert_verdict("2002:0a00:0001::", PEER_DENIED_PRIVATE);
	assert_verdict("2002:0808:0808::1", PEER_ALLOWED);
}

static void test_allowed_peer_ip_overrides_private(void **state)
{
	static const char *const allowed[] = {"10.0.0.0/24", "fd00::1", "169.254.169.254"};

	(void)state;
	policy(false, allowed, 3, NULL, 0);
	assert_verdict("10.0.0.200", PEER_ALLOWED);
	assert_verdict("::ffff:10.0.0.200", PEER_ALLOWED);
	assert_verdict("10.0.1.1", PEER_DENIED_PRIVATE);
	assert_verdict("fd00::1", PEER_ALLOWED);
	assert_verdict("fd00::2", PEER_DENIED_ULA);
	assert_verdict("169.254.169.254", PEER_ALLOWED);
}

static void test_denied_overrides_allowed(void **state)
{
	static const char *const allowed[] = {"10.0.0.0/8"};
	static const char *const denied[] = {"10.1.0.0-10.1.255.255"};

	(void)state;
	policy(false, allowed, 1, denied, 1);
	assert_verdict("10.0.0.1", PEER_ALLOWED);
	assert_verdict("10.1.2.3", PEER_DENIED_OPERATOR);
	assert_verdict("::ffff:10.1.2.3", PEER_DENIED_OPERATOR);
}

static void test_denied_peer_ip_covers_public_and_embedded_forms(void **state)
{
	static const char *const denied[] = {"198.51.100.0/24", "2001:db8::/32"};

	(void)state;
	policy(false, NULL, 0, denied, 2);
	assert_verdict("198.51.100.77", PEER_DENIED_OPERATOR);
	assert_verdict("::ffff:198.51.100.77", PEER_DENIED_OPERATOR);
	assert_verdict("64:ff9b::198.51.100.77", PEER_DENIED_OPERATOR);
	assert_verdict("198.51.101.0", PEER_ALLOWED);
	assert_verdict("2001:db8:ffff::1", PEER_DENIED_OPERATOR);
	assert_verdict("2001:db9::1", PEER_ALLOWED);
	assert_verdict("127.0.0.1", PEER_DENIED_LOOPBACK);
}

static void test_allow_loopback_peers_allows_only_loopback(void **state)
{
	(void)state;
	policy(true, NULL, 0, NULL, 0);
	assert_verdict("127.0.0.1", PEER_ALLOWED);
	assert_verdict("127.1.2.3", PEER_ALLOWED);
	assert_verdict("::1", PEER_ALLOWED);
	assert_verdict("::ffff:127.0.0.1", PEER_ALLOWED);
	assert_verdict("::127.0.0.1", PEER_ALLOWED);
	assert_verdict("10.0.0.1", PEER_DENIED_PRIVATE);
	assert_verdict("169.254.169.254", PEER_DENIED_METADATA);
	assert_verdict("0.0.0.0", PEER_DENIED_UNSPECIFIED);
	assert_verdict("::", PEER_DENIED_UNSPECIFIED);
	assert_verdict("fe80::1", PEER_DENIED_LINK_LOCAL);
}

static void test_denied_peer_ip_wins_over_allow_loopback(void **state)
{
	static const char *const denied[] = {"127.0.0.53"};

	(void)state;
	policy(true, NULL, 0, denied, 1);
	assert_verdict("127.0.0.53", PEER_DENIED_OPERATOR);
	assert_verdict("127.0.0.1", PEER_ALLOWED);
}

static void test_self_address_denied(void **state)
{
	(void)state;
	default_policy();
	add_self("203.0.113.5:3478");
	add_self("[2001:db8::1]:3478");
	assert_verdict("203.0.113.5:9999", PEER_DENIED_SELF);
	assert_verdict("::ffff:203.0.113.5", PEER_DENIED_SELF);
	assert_verdict("203.0.113.6", PEER_ALLOWED);
	assert_verdict("[2001:db8::1]:1", PEER_DENIED_SELF);
	assert_verdict("2001:db8::2", PEER_ALLOWED);
}

static void test_self_added_as_mapped_matches_ipv4(void **state)
{
	(void)state;
	default_policy();
	add_self("[::ffff:198.51.100.1]:3478");
	assert_int_equal(pol.nself, 1);
	assert_verdict("198.51.100.1", PEER_DENIED_SELF);
	add_self("198.51.100.1:5349");
	assert_int_equal(pol.nself, 1);
}

static enum peer_verdict class_of(const char *s)
{
	struct sockaddr_storage ss;

	assert_int_equal(addr_parse(s, 9, &ss, NULL), 0);
	return peer_policy_class((struct sockaddr *)&ss);
}

/* The class alone: no operator list, no loopback option, no own addresses. */
static void test_class_ignores_lists_and_own_addresses(void **state)
{
	static const char *const allowed[] = {"10.0.0.0/8"};
	struct sockaddr_in6 bogus = {.sin6_family = AF_UNIX};

	(void)state;
	policy(true, allowed, 1, NULL, 0);
	add_self("203.0.113.7");
	assert_verdict("10.1.2.3", PEER_ALLOWED);
	assert_int_equal(class_of("10.1.2.3"), PEER_DENIED_PRIVATE);
	assert_verdict("127.0.0.1", PEER_ALLOWED);
	assert_int_equal(class_of("127.0.0.1"), PEER_DENIED_LOOPBACK);
	assert_int_equal(class_of("::1"), PEER_DENIED_LOOPBACK);
	assert_verdict("203.0.113.7", PEER_DENIED_SELF);
	assert_int_equal(class_of("203.0.113.7"), PEER_ALLOWED);
	assert_int_equal(class_of("100.64.0.1"), PEER_DENIED_CGNAT);
	assert_int_equal(class_of("fd00::1"), PEER_DENIED_ULA);
	assert_int_equal(peer_policy_class((struct sockaddr *)&bogus), PEER_DENIED_FAMILY);
}

static void test_self_wildcard_is_ignored(void **state)
{
	(void)state;
	default_policy();
	add_self("0.0.0.0:3478");
	add_self("[::]:3478");
	assert_int_equal(pol.nself, 0);
	assert_verdict("8.8.8.8", PEER_ALLOWED);
}

static void add_self_ports(const char *s, uint16_t lo, uint16_t hi)
{
	struct sockaddr_storage ss;

	assert_int_equal(addr_parse(s, 0, &ss, NULL), 0);
	assert_int_equal(peer_policy_add_self_ports(&pol, (struct sockaddr *)&ss, lo, hi), 0);
}

/* The anchor set-up: allowed-peer-ip is the PBX LAN, and the relay is on it. */
static void test_own_address_denied_before_allowed_peer_ip(void **state)
{
	static const char *const allowed[] = {"10.0.0.0/24", "203.0.113.5"};

	(void)state;
	policy(false, allowed, 2, NULL, 0);
	add_self("203.0.113.5");
	add_self_ports("10.0.0.5", 49152, 65535);
	assert_verdict("10.0.0.5:3478", PEER_DENIED_SELF);
	assert_verdict("10.0.0.5:22", PEER_DENIED_SELF);
	assert_verdict("10.0.0.5:50000", PEER_DENIED_SELF);
	assert_verdict("::ffff:10.0.0.5", PEER_DENIED_SELF);
	assert_verdict("203.0.113.5", PEER_DENIED_SELF);
	assert_verdict("10.0.0.6:22", PEER_ALLOWED);
	assert_verdict("10.0.1.5", PEER_DENIED_PRIVATE);
}

/*
 * allow-loopback-peers (tests on one host) opens loopback, the server's
 * own loopback address too, except its listening ports and relay range.
 */
static void test_allow_loopback_keeps_own_ports_denied(void **state)
{
	(void)state;
	policy(true, NULL, 0, NULL, 0);
	add_self("127.0.0.1");
	add_self_ports("127.0.0.1:3478", 3478, 3478);
	add_self_ports("127.0.0.1", 50000, 50099);
	add_self_ports("[::1]:3478", 3478, 3478);
	add_self_ports("0.0.0.0:2223", 2223, 2223);
	assert_verdict("127.0.0.1:3478", PEER_DENIED_SELF);
	assert_verdict("127.0.0.1:50000", PEER_DENIED_SELF);
	assert_verdict("127.0.0.1:50099", PEER_DENIED_SELF);
	assert_verdict("[::ffff:127.0.0.1]:50050", PEER_DENIED_SELF);
	assert_verdict("[::1]:3478", PEER_DENIED_SELF);
	assert_verdict("127.0.0.2:2223", PEER_DENIED_SELF);
	assert_verdict("127.0.0.1:49999", PEER_ALLOWED);
	assert_verdict("127.0.0.1:50100", PEER_ALLOWED);
	assert_verdict("127.0.0.2:3478", PEER_ALLOWED);
	assert_verdict("127.0.0.2:50000", PEER_ALLOWED);
	assert_verdict("[::1]:3479", PEER_ALLOWED);
	/* without the option every port of an own address is refused */
	policy(false, NULL, 0, NULL, 0);
	add_self_ports("127.0.0.1", 50000, 50099);
	assert_verdict("127.0.0.1:49999", PEER_DENIED_SELF);
	assert_verdict("127.0.0.2:49999", PEER_DENIED_LOOPBACK);
}

static void test_add_self_ports_rejects_bad_input(void **state)
{
	struct sockaddr_un un = {.sun_family = AF_UNIX};
	struct sockaddr_storage ss;

	(void)state;
	default_policy();
	assert_int_equal(addr_parse("10.0.0.5", 0, &ss, NULL), 0);
	assert_int_equal(peer_policy_add_self_ports(&pol, (struct sockaddr *)&ss, 2, 1), -1);
	assert_int_equal(peer_policy_add_self_ports(&pol, (struct sockaddr *)&un, 1, 2), -1);
	assert_int_equal(pol.nself, 0);
	/* a wildcard with ports is no own address by itself */
	add_self_ports("0.0.0.0", 2223, 2223);
	assert_verdict("8.8.8.8:2223", PEER_ALLOWED);
}

/* RFC 8215: the local-use NAT64 prefix leads wherever the local translator does. */
static void test_local_use_nat64_denied(void **state)
{
	static const char *const allowed[] = {"64:ff9b:1::/48"};

	(void)state;
	default_policy();
	assert_verdict("64:ff9b:1::a00:1", PEER_DENIED_LOCAL_NAT64);
	assert_verdict("64:ff9b:1::808:808", PEER_DENIED_LOCAL_NAT64);
	assert_verdict("64:ff9b:1:ffff:ffff:ffff:ffff:ffff", PEER_DENIED_LOCAL_NAT64);
	assert_verdict("64:ff9b:1:a00:1::", PEER_DENIED_LOCAL_NAT64);
	assert_verdict("64:ff9b:2::1", PEER_ALLOWED);
	assert_verdict("64:ff9b::808:808", PEER_ALLOWED);
	assert_int_equal(class_of("64:ff9b:1::1"), PEER_DENIED_LOCAL_NAT64);
	policy(false, allowed, 1, NULL, 0);
	assert_verdict("64:ff9b:1::a00:1", PEER_ALLOWED);
}

/* RFC 2765 §2.1: ::ffff:0:a.b.c.d is the IPv4 address a.b.c.d translated. */
static void test_siit_translated_form_judged_by_ipv4(void **state)
{
	static const char *const denied[] = {"8.8.4.4"};

	(void)state;
	policy(false, NULL, 0, denied, 1);
	add_self("203.0.113.5");
	assert_verdict("::ffff:0:7f00:1", PEER_DENIED_LOOPBACK);
	assert_verdict("::ffff:0:10.1.2.3", PEER_DENIED_PRIVATE);
	assert_verdict("::ffff:0:169.254.169.254", PEER_DENIED_METADATA);
	assert_verdict("::ffff:0:8.8.4.4", PEER_DENIED_OPERATOR);
	assert_verdict("::ffff:0:203.0.113.5", PEER_DENIED_SELF);
	assert_verdict("::ffff:0:8.8.8.8", PEER_ALLOWED);
	assert_verdict("::1:ffff:0:7f00:1", PEER_ALLOWED);
}

/*
 * RFC 4380 §4: 2001:0::/32, the Teredo server's IPv4 in bits 32-63, the
 * client's in bits 96-127 with every bit inverted. Both must pass.
 */
static void test_teredo_forms_judged_by_both_ipv4(void **state)
{
	static const char *const allowed[] = {"10.0.0.0/8"};
	static const char *const denied[] = {"192.0.2.45"};

	(void)state;
	default_policy();
	/* client 192.0.2.45, server 65.54.227.120: the RFC's own example */
	assert_verdict("2001:0:4136:e378:8000:63bf:3fff:fdd2", PEER_ALLOWED);
	/* client 10.0.0.1 */
	assert_verdict("2001:0:4136:e378:8000:63bf:f5ff:fffe", PEER_DENIED_PRIVATE);
	/* client 127.0.0.1 */
	assert_verdict("2001:0:4136:e378:8000:63bf:80ff:fffe", PEER_DENIED_LOOPBACK);
	/* server 127.0.0.1, client public */
	assert_verdict("2001:0:7f00:1:8000:63bf:3fff:fdd2", PEER_DENIED_LOOPBACK);
	/* client 169.254.169.254 */
	assert_verdict("2001:0:4136:e378:8000:63bf:5601:5601", PEER_DENIED_METADATA);
	assert_int_equal(class_of("2001:0:4136:e378:8000:63bf:f5ff:fffe"), PEER_DENIED_PRIVATE);
	/* not Teredo: another /32 under 2001::/16 */
	assert_verdict("2001:1:7f00:1::1", PEER_ALLOWED);
	assert_verdict("2001:db8::1", PEER_ALLOWED);

	add_self("203.0.113.5");
	/* client 203.0.113.5: ~cb007105 = 34ff:8efa */
	assert_verdict("2001:0:4136:e378:8000:63bf:34ff:8efa", PEER_DENIED_SELF);

	policy(false, allowed, 1, denied, 1);
	assert_verdict("2001:0:4136:e378:8000:63bf:f5ff:fffe", PEER_ALLOWED);
	assert_verdict("2001:0:4136:e378:8000:63bf:3fff:fdd2", PEER_DENIED_OPERATOR);
	/* server 10.0.0.1 allowed, client 127.0.0.1 still refused */
	assert_verdict("2001:0:a00:1:8000:63bf:80ff:fffe", PEER_DENIED_LOOPBACK);
}

static void test_self_table_full_is_error(void **state)
{
	struct sockaddr_in in;
	int i;

	(void)state;
	default_policy();
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_INET;
	for (i = 0; i < PEER_POLICY_MAX_SELF; i++) {
		in.sin_addr.s_addr = htonl(0x08000000U + (uint32_t)i);
		assert_int_equal(peer_policy_add_self(&pol, (struct sockaddr *)&in), 0);
	}
	in.sin_addr.s_addr = htonl(0x09000000U);
	assert_int_equal(peer_policy_add_self(&pol, (struct sockaddr *)&in), -1);
	assert_int_equal(pol.nself, PEER_POLICY_MAX_SELF);
}

static void test_add_self_ifaddrs_keeps_loopback_class(void **state)
{
	(void)state;
	policy(true, NULL, 0, NULL, 0);
	assert_int_equal(peer_policy_add_self_ifaddrs(&pol), 0);
	assert_verdict("127.0.0.1", PEER_ALLOWED);
	assert_verdict("8.8.8.8", PEER_ALLOWED);
}

static void test_port_does_not_affect_verdict(void **state)
{
	(void)state;
	default_policy();
	assert_verdict("8.8.8.8:0", PEER_ALLOWED);
	assert_verdict("8.8.8.8:65535", PEER_ALLOWED);
	assert_verdict("10.0.0.1:0", PEER_DENIED_PRIVATE);
	assert_verdict("[::1]:65535", PEER_DENIED_LOOPBACK);
}

static void test_unsupported_family_denied(void **state)
{
	struct sockaddr_un un;

	(void)state;
	default_policy();
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	assert_int_equal(peer_policy_check(&pol, (struct sockaddr *)&un), PEER_DENIED_FAMILY);
	assert_int_equal(peer_policy_add_self(&pol, (struct sockaddr *)&un), -1);
}

static void test_cidr_zero_covers_one_family(void **state)
{
	static const char *const denied[] = {"0.0.0.0/0"};
	static const char *const allowed[] = {"::/0"};

	(void)state;
	policy(false, NULL, 0, denied, 1);
	assert_verdict("8.8.8.8", PEER_DENIED_OPERATOR);
	assert_verdict("255.255.255.255", PEER_DENIED_OPERATOR);
	assert_verdict("2001:4860::1", PEER_ALLOWED);

	policy(false, allowed, 1, NULL, 0);
	assert_verdict("fd00::1", PEER_ALLOWED);
	assert_verdict("::1", PEER_ALLOWED);
	assert_verdict("10.0.0.1", PEER_DENIED_PRIVATE);
}

static void test_cidr_full_length_matches_one_address(void **state)
{
	static const char *const allowed[] = {"10.0.0.7/32", "fd00::7/128"};

	(void)state;
	policy(false, allowed, 2, NULL, 0);
	assert_verdict("10.0.0.7", PEER_ALLOWED);
	assert_verdict("10.0.0.6", PEER_DENIED_PRIVATE);
	assert_verdict("10.0.0.8", PEER_DENIED_PRIVATE);
	assert_verdict("fd00::7", PEER_ALLOWED);
	assert_verdict("fd00::8", PEER_DENIED_ULA);
	assert_verdict("fd00::6", PEER_DENIED_ULA);
}

static void test_cidr_odd_length_and_host_bits_masked(void **state)
{
	static const char *const allowed[] = {"10.1.2.3/15", "fd00:1234:5678::9/33"};

	(void)state;
	policy(false, allowed, 2, NULL, 0);
	assert_verdict("10.0.0.0", PEER_ALLOWED);
	assert_verdict("10.1.255.255", PEER_ALLOWED);
	assert_verdict("10.2.0.0", PEER_DENIED_PRIVATE);
	assert_verdict("fd00:1234::", PEER_ALLOWED);
	assert_verdict("fd00:1234:7fff:ffff::1", PEER_ALLOWED);
	assert_verdict("fd00:1234:8000::", PEER_DENIED_ULA);
	assert_verdict("fd00:1233:ffff::", PEER_DENIED_ULA);
}

static void test_range_bounds_are_inclusive(void **state)
{
	static const char *const allowed[] = {"192.168.1.10 - 192.168.1.20", "fd00::a-fd00::1:0"};

	(void)state;
	policy(false, allowed, 2, NULL, 0);
	assert_verdict("192.168.1.9", PEER_DENIED_PRIVATE);
	assert_verdict("192.168.1.10", PEER_ALLOWED);
	assert_verdict("192.168.1.20", PEER_ALLOWED);
	assert_verdict("192.168.1.21", PEER_DENIED_PRIVATE);
	assert_verdict("fd00::ffff", PEER_ALLOWED);
	assert_verdict("fd00::1:0", PEER_ALLOWED);
	assert_verdict("fd00::1:1", PEER_DENIED_ULA);
}

static void test_mapped_operator_range_applies_to_ipv4(void **state)
{
	static const char *const denied[] = {"::ffff:203.0.113.0/120"};

	(void)state;
	policy(false, NULL, 0, denied, 1);
	assert_verdict("203.0.113.200", PEER_DENIED_OPERATOR);
	assert_verdict("::ffff:203.0.113.200", PEER_DENIED_OPERATOR);
	assert_verdict("203.0.114.1", PEER_ALLOWED);
}

static void test_malformed_range_rejected(void **state)
{
	static const char *const bad[] = {
	    "10.0.0",
	    "abc",
	    "",
	    "  ",
	    "10.0.0.1-",
	    "-10.0.0.1",
	    "10.0.0.1--10.0.0.2",
	    "10.0.0.0/",
	    "10.0.0.0/8x",
	    "10.0.0.0/-1",
	    "10.0.0.0/+8",
	    "/8",
	    "10.0.0.0/8/8",
	    "10.0.0.0/0008",
	    "1.2.3.4:5",
	    "[::1]",
	    "fe80::1%lo",
	    "10.0.0.0/8-10.0.0.1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *entry[1] = {bad[i]};
		char needle[64];

		snprintf(needle, sizeof(needle), "'%s'", bad[i]);
		expect_init_error(entry, 1, NULL, 0, needle);
		expect_init_error(NULL, 0, entry, 1, needle);
	}
}

static void test_cidr_prefix_too_long_rejected(void **state)
{
	static const char *const v4[] = {"10.0.0.0/33"};
	static const char *const v6[] = {"fd00::/129"};

	(void)state;
	expect_init_error(v4, 1, NULL, 0, "10.0.0.0/33");
	expect_init_error(NULL, 0, v6, 1, "fd00::/129");
}

static void test_range_lo_above_hi_rejected(void **state)
{
	static const char *const v4[] = {"10.0.0.2-10.0.0.1"};
	static const char *const v6[] = {"fd00::2-fd00::1"};

	(void)state;
	expect_init_error(v4, 1, NULL, 0, "10.0.0.2-10.0.0.1");
	expect_init_error(v6, 1, NULL, 0, "fd00::2-fd00::1");
}

static void test_mixed_family_range_rejected(void **state)
{
	static const char *const mixed[] = {"10.0.0.1-fd00::1"};

	(void)state;
	expect_init_error(mixed, 1, NULL, 0, "10.0.0.1-fd00::1");
}

static void test_too_many_entries_rejected(void **state)
{
	const char *list[PEER_POLICY_MAX_RANGES + 1];
	int i;

	(void)state;
	for (i = 0; i <= PEER_POLICY_MAX_RANGES; i++)
		list[i] = "10.0.0.1";
	policy(false, list, PEER_POLICY_MAX_RANGES, list, PEER_POLICY_MAX_RANGES);
	expect_init_error(list, PEER_POLICY_MAX_RANGES + 1, NULL, 0, "allowed-peer-ip");
	expect_init_error(NULL, 0, list, PEER_POLICY_MAX_RANGES + 1, "denied-peer-ip");
}

static void test_failed_init_leaves_policy_untouched(void **state)
{
	static const char *const good[] = {"10.0.0.1"};
	static const char *const bad[] = {"10.0.0.300"};
	static struct peer_policy before;

	(void)state;
	policy(false, good, 1, NULL, 0);
	add_self("8.8.4.4");
	before = pol;
	assert_int_equal(peer_policy_init(&pol, true, NULL, 0, bad, 1, NULL, 0), -1);
	assert_memory_equal(&pol, &before, sizeof(pol));
	assert_verdict("10.0.0.1", PEER_ALLOWED);
	assert_verdict("8.8.4.4", PEER_DENIED_SELF);
}

static void test_verdict_strings_are_distinct(void **state)
{
	int a, b;

	(void)state;
	for (a = PEER_ALLOWED; a <= PEER_DENIED_FAMILY; a++) {
		assert_non_null(peer_verdict_str((enum peer_verdict)a));
		for (b = PEER_ALLOWED; b < a; b++)
			assert_string_not_equal(peer_verdict_str((enum peer_verdict)a),
						peer_verdict_str((enum peer_verdict)b));
	}
	assert_string_equal(peer_verdict_str(PEER_DENIED_METADATA), "cloud metadata");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_public_address_allowed),
	    cmocka_unit_test(test_loopback_denied_by_default),
	    cmocka_unit_test(test_private_ranges_denied_with_exact_bounds),
	    cmocka_unit_test(test_cgnat_denied),
	    cmocka_unit_test(test_link_local_denied),
	    cmocka_unit_test(test_metadata_address_denied),
	    cmocka_unit_test(test_multicast_broadcast_reserved_unspecified_denied),
	    cmocka_unit_test(test_ula_and_site_local_denied),
	    cmocka_unit_test(test_ipv4_mapped_private_denied),
	    cmocka_unit_test(test_ipv4_compatible_loopback_denied),
	    cmocka_unit_test(test_nat64_and_6to4_embedding_denied_v4),
	    cmocka_unit_test(test_allowed_peer_ip_overrides_private),
	    cmocka_unit_test(test_denied_overrides_allowed),
	    cmocka_unit_test(test_denied_peer_ip_covers_public_and_embedded_forms),
	    cmocka_unit_test(test_allow_loopback_peers_allows_only_loopback),
	    cmocka_unit_test(test_denied_peer_ip_wins_over_allow_loopback),
	    cmocka_unit_test(test_self_address_denied),
	    cmocka_unit_test(test_self_added_as_mapped_matches_ipv4),
	    cmocka_unit_test(test_class_ignores_lists_and_own_addresses),
	    cmocka_unit_test(test_self_wildcard_is_ignored),
	    cmocka_unit_test(test_own_address_denied_before_allowed_peer_ip),
	    cmocka_unit_test(test_allow_loopback_keeps_own_ports_denied),
	    cmocka_unit_test(test_add_self_ports_rejects_bad_input),
	    cmocka_unit_test(test_local_use_nat64_denied),
	    cmocka_unit_test(test_siit_translated_form_judged_by_ipv4),
	    cmocka_unit_test(test_teredo_forms_judged_by_both_ipv4),
	    cmocka_unit_test(test_self_table_full_is_error),
	    cmocka_unit_test(test_add_self_ifaddrs_keeps_loopback_class),
	    cmocka_unit_test(test_port_does_not_affect_verdict),
	    cmocka_unit_test(test_unsupported_family_denied),
	    cmocka_unit_test(test_cidr_zero_covers_one_family),
	    cmocka_unit_test(test_cidr_full_length_matches_one_address),
	    cmocka_unit_test(test_cidr_odd_length_and_host_bits_masked),
	    cmocka_unit_test(test_range_bounds_are_inclusive),
	    cmocka_unit_test(test_mapped_operator_range_applies_to_ipv4),
	    cmocka_unit_test(test_malformed_range_rejected),
	    cmocka_unit_test(test_cidr_prefix_too_long_rejected),
	    cmocka_unit_test(test_range_lo_above_hi_rejected),
	    cmocka_unit_test(test_mixed_family_range_rejected),
	    cmocka_unit_test(test_too_many_entries_rejected),
	    cmocka_unit_test(test_failed_init_leaves_policy_untouched),
	    cmocka_unit_test(test_verdict_strings_are_distinct),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
