/*
 * itest_hairpin.c - the server's own addresses as peers: a peer on the
 * relay address passes only at a live relay socket of this server (TURN to
 * TURN), never at a plain UDP or TCP service that happens to be bound on a
 * port of the relay range (Send, ChannelBind, CreatePermission and RFC 6062
 * Connect get 403 or are dropped), nor at a UDP relay for a TCP Connect,
 * nor at the odd port an EVEN-PORT reservation holds, nor at a port whose
 * allocation has gone (a channel bound while it was live); external-ip
 * addresses are judged as the relay they map to. allowed-peer-ip covering
 * the server's address (the PBX LAN holding relay-ip) does not open its
 * TURN port or any other port of it; allow-loopback-peers (tests on one
 * host) opens loopback but not the server's listening port and relay range.
 *
 * Four servers relaying on 127.0.0.1: "deflt" (default policy), "loop"
 * (--allow-loopback-peers), "lan" (--allowed-peer-ip=127.0.0.0/8) and "nat"
 * (--external-ip=203.0.113.7/127.0.0.1). Data goes only to loopback.
 */
#include "integration/harness.h"

static struct tserver deflt, loop, lan, nat;

static const char *const deflt_flags[] = {"--relay-ip=127.0.0.1", NULL};
static const char *const loop_flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers", NULL};
static const char *const lan_flags[] = {"--relay-ip=127.0.0.1", "--allowed-peer-ip=127.0.0.0/8",
					NULL};
static const char *const nat_flags[] = {"--relay-ip=127.0.0.1",
					"--external-ip=203.0.113.7/127.0.0.1", NULL};

static const struct tserver_spec servers[] = {
    {&deflt, 12, deflt_flags},
    {&loop, 8, loop_flags},
    {&lan, 8, lan_flags},
    {&nat, 8, nat_flags},
};

TSERVER_GROUP(servers)

/* A "service" of another program: a socket bound to 127.0.0.1:port. */
static int service_bind(int type, uint16_t port)
{
	struct sockaddr_storage ss = h_addr("127.0.0.1", port);
	int fd = socket(AF_INET, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, SA(&ss), addr_len(SA(&ss))) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A service on a free port of s's relay range; fails the test if none. */
static int service_in_range(const struct tserver *s, int type, struct sockaddr_storage *addr)
{
	for (unsigned int p = s->min_port; p <= s->max_port; p++) {
		int fd = service_bind(type, (uint16_t)p);

		if (fd >= 0) {
			*addr = h_addr("127.0.0.1", (uint16_t)p);
			return fd;
		}
	}
	fail_msg("no free port in %u-%u", s->min_port, s->max_port);
	return -1;
}

/* A UDP service as a tpeer (so the helpers can check what it receives). */
static void udp_service_in_range(const struct tserver *s, struct tpeer *svc)
{
	svc->fd = service_in_range(s, SOCK_DGRAM, &svc->addr);
}

static void open_udp(struct turnc *cl, const struct tserver *s)
{
	h_connect(cl, &s->v4, false);
	assert_code(h_allocate(cl), 0);
}

static void open_tcp(struct turnc *cl, const struct tserver *s)
{
	struct turnc_req q = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP};

	h_connect(cl, &s->v4, true);
	assert_code(turnc_request(cl, &q), 0);
}

static int tcp_connect(struct turnc *cl, const struct sockaddr_storage *peer)
{
	struct turnc_req q = {.method = TURN_CONNECT, .auth = TURNC_AUTH_MD5, .peer = {peer}};

	return turnc_request(cl, &q);
}

/* Nothing reaches svc through a, by Send or CreatePermission/ChannelBind. */
static void assert_udp_service_unreachable(struct turnc *a, struct tpeer *svc)
{
	assert_code(h_permission(a, &svc->addr), STUN_ERR_FORBIDDEN);
	assert_code(h_channel_bind(a, 0x4000, &svc->addr), STUN_ERR_FORBIDDEN);
	assert_int_equal(h_send_indication(a, &svc->addr, "GET / HTTP/1.0\r\n\r\n", 18), 0);
	tpeer_assert_nothing(svc);
}

/* The case: a UDP service bound in the relay range on the relay IP. */
static void test_udp_service_in_relay_range_is_refused(void **state)
{
	struct turnc a;
	struct tpeer svc;

	(void)state;
	open_udp(&a, &deflt);
	udp_service_in_range(&deflt, &svc);
	assert_udp_service_unreachable(&a, &svc);
	tpeer_close(&svc);
	h_close(&a);
}

/*
 * A permission covers every port of its IP: one for a live relay of this
 * server (allowed) does not carry Send or a channel over to the service.
 */
static void test_permission_for_a_relay_does_not_reach_a_service(void **state)
{
	struct sockaddr_storage rb;
	struct turnc a, b;
	struct tpeer svc;

	(void)state;
	open_udp(&a, &deflt);
	open_udp(&b, &deflt);
	rb = h_relayed(&b, 0);
	udp_service_in_range(&deflt, &svc);
	assert_code(h_permission(&a, &rb), 0);
	assert_int_equal(h_send_indication(&a, &svc.addr, "sneak", 5), 0);
	tpeer_assert_nothing(&svc);
	assert_code(h_channel_bind(&a, 0x4001, &svc.addr), STUN_ERR_FORBIDDEN);
	tpeer_close(&svc);
	h_close(&a);
	h_close(&b);
}

/*
 * TURN to TURN on this server still works both ways (Send, channels), and a
 * channel to an allocation that has gone does not reach whatever binds its
 * port next.
 */
static void test_turn_to_turn_works_until_the_relay_closes(void **state)
{
	struct sockaddr_storage ra, rb, from;
	struct turnc a, b;
	struct tpeer svc;
	uint8_t buf[64];
	uint16_t ch;

	(void)state;
	open_udp(&a, &deflt);
	open_udp(&b, &deflt);
	ra = h_relayed(&a, 0);
	rb = h_relayed(&b, 0);
	assert_code(h_permission(&b, &ra), 0);
	assert_code(h_channel_bind(&a, 0x4002, &rb), 0);
	assert_int_equal(h_send_indication(&a, &rb, "send", 4), 0);
	assert_int_equal(h_recv_data(&b, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "send", 4);
	h_assert_addr_equal(&from, &ra);
	assert_int_equal(h_send_channel(&a, 0x4002, "chan", 4), 0);
	assert_int_equal(h_recv_data(&b, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "chan", 4);

	/* b goes; another program takes its port; a's channel stays bound */
	h_close(&b);
	svc.fd = service_bind(SOCK_DGRAM, addr_port(SA(&rb)));
	if (svc.fd < 0)
		fail_msg("cannot bind the closed relay's port %s", h_str(&rb));
	svc.addr = rb;
	assert_int_equal(h_send_channel(&a, 0x4002, "leak", 4), 0);
	assert_int_equal(h_send_indication(&a, &rb, "leak", 4), 0);
	tpeer_assert_nothing(&svc);
	assert_code(h_permission(&a, &rb), STUN_ERR_FORBIDDEN);
	tpeer_close(&svc);
	h_close(&a);
}

/* The odd port an EVEN-PORT R=1 reservation holds is no relay yet. */
static void test_even_port_reservation_is_not_a_relay(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .even_port = true, .even_port_r = true};
	struct sockaddr_storage reserved;
	struct turnc a, b;

	(void)state;
	h_connect(&a, &deflt.v4, false);
	assert_code(turnc_request(&a, &q), 0);
	reserved = h_relayed(&a, 0);
	addr_set_port(SA(&reserved), (uint16_t)(addr_port(SA(&reserved)) + 1));
	open_udp(&b, &deflt);
	assert_code(h_permission(&b, &reserved), STUN_ERR_FORBIDDEN);
	assert_code(h_channel_bind(&b, 0x4003, &reserved), STUN_ERR_FORBIDDEN);
	h_close(&b);
	h_close(&a);
}

/*
 * RFC 6062 Connect: a TCP service in the relay range (the issue delivered
 * an HTTP request this way) and a live UDP relay are refused with 403; a
 * live TCP relay of this server is reached.
 */
static void test_connect_reaches_only_live_tcp_relays(void **state)
{
	struct sockaddr_storage svc_addr, udp_relay, tcp_relay, ra;
	struct turnc a, b, u, u2;
	bool two = false;
	int svc, conn;

	(void)state;
	open_tcp(&a, &deflt);
	ra = h_relayed(&a, 0);
	svc = service_in_range(&deflt, SOCK_STREAM, &svc_addr);
	assert_code(tcp_connect(&a, &svc_addr), STUN_ERR_FORBIDDEN);
	conn = accept(svc, NULL, NULL);
	assert_int_equal(conn, -1);
	close(svc);

	open_udp(&u, &deflt);
	udp_relay = h_relayed(&u, 0);
	if (addr_port(SA(&udp_relay)) == addr_port(SA(&ra))) {
		/* that port number is also a's own live TCP relay: while u holds
		 * it, u2 gets another */
		open_udp(&u2, &deflt);
		udp_relay = h_relayed(&u2, 0);
		two = true;
	}
	assert_code(tcp_connect(&a, &udp_relay), STUN_ERR_FORBIDDEN);
	if (two)
		h_close(&u2);
	h_close(&u);

	open_tcp(&b, &deflt);
	tcp_relay = h_relayed(&b, 0);
	assert_code(h_permission(&b, &ra), 0);
	assert_code(tcp_connect(&a, &tcp_relay), 0);
	h_close(&b);
	h_close(&a);
}

/* With external-ip, a public address is judged as the local relay it maps to. */
static void test_external_ip_maps_to_the_same_rule(void **state)
{
	struct sockaddr_storage ra, rb, public_svc, from;
	struct turnc a, b;
	struct tpeer svc;
	uint8_t buf[64];
	uint16_t ch;

	(void)state;
	open_udp(&a, &nat);
	open_udp(&b, &nat);
	ra = h_relayed(&a, 0);
	rb = h_relayed(&b, 0);
	h_assert_relayed(&rb, "203.0.113.7", &nat);
	udp_service_in_range(&nat, &svc);
	public_svc = h_addr("203.0.113.7", addr_port(SA(&svc.addr)));
	assert_code(h_permission(&a, &public_svc), STUN_ERR_FORBIDDEN);
	assert_code(h_permission(&a, &svc.addr), STUN_ERR_FORBIDDEN);
	/* a live relay by its public address */
	assert_code(h_permission(&a, &rb), 0);
	assert_code(h_permission(&b, &ra), 0);
	assert_int_equal(h_send_indication(&a, &public_svc, "sneak", 5), 0);
	tpeer_assert_nothing(&svc);
	assert_int_equal(h_send_indication(&a, &rb, "ok", 2), 0);
	assert_int_equal(h_recv_data(&b, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 2);
	h_assert_addr_equal(&from, &ra);
	tpeer_close(&svc);
	h_close(&a);
	h_close(&b);
}

/*
 * allowed-peer-ip holding the server's address (the anchor set-up: the PBX
 * LAN with relay-ip on it): the TURN port, a service in the relay range
 * and any other port of the server stay refused; other hosts of the range
 * and the server's live relays are reachable.
 */
static void test_allowed_peer_ip_does_not_open_the_server(void **state)
{
	struct sockaddr_storage turn_port = lan.v4, ra, rb, from;
	struct turnc a, b;
	struct tpeer svc, other_port, lan_host;
	uint8_t buf[64];
	uint16_t ch;

	(void)state;
	open_udp(&a, &lan);
	ra = h_relayed(&a, 0);
	assert_code(h_permission(&a, &turn_port), STUN_ERR_FORBIDDEN);
	udp_service_in_range(&lan, &svc);
	assert_udp_service_unreachable(&a, &svc);
	tpeer_open(&other_port, "127.0.0.1"); /* outside the relay range: "SSH" */
	assert_udp_service_unreachable(&a, &other_port);

	tpeer_open(&lan_host, "127.0.0.2");
	assert_code(h_permission(&a, &lan_host.addr), 0);
	assert_int_equal(h_send_indication(&a, &lan_host.addr, "lan", 3), 0);
	assert_int_equal(tpeer_recv(&lan_host, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from), 3);

	open_udp(&b, &lan);
	rb = h_relayed(&b, 0);
	assert_code(h_permission(&a, &rb), 0);
	assert_code(h_permission(&b, &ra), 0);
	assert_int_equal(h_send_indication(&a, &rb, "t2t", 3), 0);
	assert_int_equal(h_recv_data(&b, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)), 3);
	tpeer_close(&lan_host);
	tpeer_close(&other_port);
	tpeer_close(&svc);
	h_close(&a);
	h_close(&b);
}

/*
 * allow-loopback-peers (test set-ups on one host) opens loopback peers,
 * also on the server's own loopback address, but not its listening port
 * or its relay range.
 */
static void test_allow_loopback_keeps_the_servers_own_ports(void **state)
{
	struct sockaddr_storage turn_port = loop.v4, from;
	struct turnc a;
	struct tpeer svc, peer;
	uint8_t buf[64];

	(void)state;
	open_udp(&a, &loop);
	assert_code(h_permission(&a, &turn_port), STUN_ERR_FORBIDDEN);
	assert_code(h_channel_bind(&a, 0x4004, &turn_port), STUN_ERR_FORBIDDEN);
	udp_service_in_range(&loop, &svc);
	assert_udp_service_unreachable(&a, &svc);

	tpeer_open(&peer, "127.0.0.1");
	assert_code(h_permission(&a, &peer.addr), 0);
	assert_int_equal(h_send_indication(&a, &peer.addr, "peer", 4), 0);
	assert_int_equal(tpeer_recv(&peer, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from), 4);
	tpeer_close(&peer);
	tpeer_close(&svc);
	h_close(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_udp_service_in_relay_range_is_refused),
	    cmocka_unit_test(test_permission_for_a_relay_does_not_reach_a_service),
	    cmocka_unit_test(test_turn_to_turn_works_until_the_relay_closes),
	    cmocka_unit_test(test_even_port_reservation_is_not_a_relay),
	    cmocka_unit_test(test_connect_reaches_only_live_tcp_relays),
	    cmocka_unit_test(test_external_ip_maps_to_the_same_rule),
	    cmocka_unit_test(test_allowed_peer_ip_does_not_open_the_server),
	    cmocka_unit_test(test_allow_loopback_keeps_the_servers_own_ports),
	    cmocka_unit_test(test_servers_exit_cleanly_on_sigterm),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
