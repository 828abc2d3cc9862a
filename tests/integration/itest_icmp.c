/*
 * itest_icmp.c - ICMP errors for relayed datagrams reach the client (RFC
 * 8656 §11.3) end to end over loopback: a client with a permission sends
 * to a peer port nobody listens on; the kernel answers the relay socket
 * with a port unreachable, and the client gets a Data indication with
 * XOR-PEER-ADDRESS (that peer) and ICMP type 3 code 3 (IPv4) or type 1
 * code 4 (IPv6), over UDP and TCP, for Send indications and ChannelData
 * alike; a flood of such errors is cut to the server's rate. (That nothing
 * goes without a permission is checked in tests/unit/test_icmp.c, where
 * the permission can expire between the datagram and its error.)
 *
 * One server relaying on 127.0.0.1 and ::1 with --allow-loopback-peers.
 */
#include "integration/harness.h"

#define ICMP_PER_S 10 /* SERVER_ICMP_PER_S: ICMP Data indications per allocation a second */

TSERVER_ONE(32, "--relay-ip=127.0.0.1", "--relay-ip=::1", "--allow-loopback-peers")

/* A peer address on ip whose port was free a moment ago and is closed again. */
static struct sockaddr_storage closed_peer(const char *ip)
{
	struct tpeer p;
	struct sockaddr_storage ss;

	tpeer_open(&p, ip);
	ss = p.addr;
	tpeer_close(&p);
	return ss;
}

/* The next ICMP report within timeout_ms into ev: true when one came. */
static bool recv_icmp(struct turnc *c, int timeout_ms, struct turnc_event *ev)
{
	return h_wait_event(c, TURNC_EV_ICMP, timeout_ms, ev);
}

/* A port unreachable case: the client over TCP, the peer on ::1, sent on a channel (0: none). */
struct unreachable_case {
	bool tcp, v6;
	uint16_t channel;
};

static const struct unreachable_case v4_over_udp = {false, false, 0};
static const struct unreachable_case v4_over_tcp = {true, false, 0};
static const struct unreachable_case v6_over_udp = {false, true, 0};
static const struct unreachable_case v4_on_a_channel = {false, false, 0x4001};

static void test_port_unreachable(void **state)
{
	const struct unreachable_case *c = *state;
	const bool tcp = c->tcp, v6 = c->v6;
	const uint16_t channel = c->channel;
	struct sockaddr_storage peer = closed_peer(v6 ? "::1" : "127.0.0.1");
	struct turnc cl;
	struct turnc_event ev;

	h_connect(&cl, &srv.v4, tcp);
	assert_code(h_allocate_family(&cl, v6 ? STUN_FAMILY_IPV6 : 0, 0), 0);
	assert_code(h_permission(&cl, &peer), 0);
	if (channel) {
		assert_code(h_channel_bind(&cl, channel, &peer), 0);
		assert_int_equal(h_send_channel(&cl, channel, "ping", 4), 0);
	} else {
		assert_int_equal(h_send_indication(&cl, &peer, "ping", 4), 0);
	}
	assert_true(recv_icmp(&cl, H_TXN_TIMEOUT_MS, &ev));
	assert_int_equal(ev.icmp.type, v6 ? 1 : 3);
	assert_int_equal(ev.icmp.code, v6 ? 4 : 3);
	assert_int_equal(ev.icmp.error_data, 0);
	assert_int_equal(ev.channel, 0); /* a Data indication even with a channel */
	h_assert_addr_equal(&ev.peer, &peer);
	/* the allocation goes on: a request still gets its answer */
	assert_code(h_binding(&cl), 0);
	h_close(&cl);
}

static void test_a_flood_of_icmp_errors_is_rate_limited(void **state)
{
	enum { SENT = 4 * ICMP_PER_S };
	struct sockaddr_storage peer = closed_peer("127.0.0.1");
	struct turnc cl;
	struct turnc_event ev;
	int got = 0;

	(void)state;
	h_connect(&cl, &srv.v4, false);
	assert_code(h_allocate(&cl), 0);
	assert_code(h_permission(&cl, &peer), 0);
	for (int i = 0; i < SENT; i++)
		assert_int_equal(h_send_indication(&cl, &peer, "flood", 5), 0);
	/* a burst sent within well under a second meets at most two windows */
	while (got <= SENT && recv_icmp(&cl, 500, &ev)) {
		h_assert_addr_equal(&ev.peer, &peer);
		got++;
	}
	if (got < 1 || got > 2 * ICMP_PER_S)
		fail_msg("%d ICMP reports for %d datagrams to a closed port, expected 1..%d", got,
			 SENT, 2 * ICMP_PER_S);
	h_close(&cl);
}

int main(void)
{
#define U(name, row) {#name, test_port_unreachable, NULL, NULL, (void *)&(row)}
	const struct CMUnitTest tests[] = {
	    U(test_port_unreachable_v4_reaches_the_client_over_udp, v4_over_udp),
	    U(test_port_unreachable_v4_reaches_the_client_over_tcp, v4_over_tcp),
	    U(test_port_unreachable_v6_reaches_the_client_as_type_1_code_4, v6_over_udp),
	    U(test_port_unreachable_for_channel_data_comes_in_a_data_indication, v4_on_a_channel),
	    cmocka_unit_test(test_a_flood_of_icmp_errors_is_rate_limited),
	    cmocka_unit_test(test_servers_exit_cleanly_on_sigterm),
	};

#undef U
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
