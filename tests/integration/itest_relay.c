/*
 * itest_relay.c - the relay data path end to end over loopback: a client
 * allocates, installs permissions (RFC 8656 §9) and channels (§12), and
 * talks to UDP peers run by the test: Send and Data indications and
 * ChannelData both ways, over UDP and TCP (ChannelData padded to 4 bytes
 * on TCP, §12.5), on IPv4 and IPv6; data without a permission is dropped;
 * channel number range and binding conflicts.
 *
 * One server relaying on 127.0.0.1 and ::1 with --allow-loopback-peers.
 */
#include "integration/harness.h"

TSERVER_ONE(32, "--relay-ip=127.0.0.1", "--relay-ip=::1", "--allow-loopback-peers")

/*
 * A client with an allocation: relayed[0] IPv4, relayed[1] IPv6 when dual;
 * peer[]: the test's UDP peers, one on each address given to session_open.
 */
struct session {
	struct turnc cl;
	struct sockaddr_storage relayed[2];
	struct tpeer peer[3];
	int npeers;
};

/* The session and a peer on each IP of the NULL-terminated list after dual. */
static void session_open(struct session *s, bool tcp, bool dual, ...)
{
	const char *ip;
	va_list ap;

	h_connect(&s->cl, &srv.v4, tcp);
	assert_code(h_allocate_family(&s->cl, 0, dual ? STUN_FAMILY_IPV6 : 0), 0);
	s->relayed[0] = h_relayed(&s->cl, 0);
	if (dual)
		s->relayed[1] = h_relayed(&s->cl, 1);
	s->npeers = 0;
	va_start(ap, dual);
	while ((ip = va_arg(ap, const char *)) != NULL) {
		assert_true(s->npeers < (int)(sizeof(s->peer) / sizeof(s->peer[0])));
		tpeer_open(&s->peer[s->npeers++], ip);
	}
	va_end(ap);
}

static void session_close(struct session *s)
{
	for (int i = 0; i < s->npeers; i++)
		tpeer_close(&s->peer[i]);
	h_close(&s->cl);
}

/* The peer receives exactly msg, sent from the relayed address. */
static void peer_expect(struct tpeer *p, const struct sockaddr_storage *relayed, const char *msg)
{
	struct sockaddr_storage from;
	uint8_t buf[1500];
	int n = tpeer_recv(p, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from);

	assert_int_equal(n, (int)strlen(msg));
	assert_memory_equal(buf, msg, strlen(msg));
	h_assert_addr_equal(&from, relayed);
}

/* The last frame client_expect() took: Data indication or ChannelData, whole. */
static uint8_t last_frame[2048];
static size_t last_frame_len;

/* The client receives msg from the peer, in a Data indication or on channel. */
static void client_expect(struct turnc *cl, const struct sockaddr_storage *peer, uint16_t channel,
			  const char *msg)
{
	struct turnc_event ev;

	assert_true(h_recv_event(cl, H_TXN_TIMEOUT_MS, &ev));
	assert_int_equal(ev.len, strlen(msg));
	assert_memory_equal(ev.data, msg, strlen(msg));
	assert_int_equal(ev.channel, channel);
	if (!channel)
		h_assert_addr_equal(&ev.peer, peer);
	assert_true(ev.frame_len <= sizeof(last_frame));
	memcpy(last_frame, ev.frame, ev.frame_len);
	last_frame_len = ev.frame_len;
}

/* Send and Data indications (RFC 8656 §10) */

static void check_indications(bool tcp, bool v6)
{
	struct session s;
	struct tpeer *peer = &s.peer[0];
	const struct sockaddr_storage *relayed;

	session_open(&s, tcp, v6, v6 ? "::1" : "127.0.0.1", NULL);
	relayed = &s.relayed[v6 ? 1 : 0];
	assert_code(h_permission(&s.cl, &peer->addr), 0);
	assert_int_equal(h_send_indication(&s.cl, &peer->addr, "hello", 5), 0);
	peer_expect(peer, relayed, "hello");
	tpeer_send(peer, relayed, "world!", 6);
	client_expect(&s.cl, &peer->addr, 0, "world!");
	/* over a stream the Data indication keeps the next frame aligned */
	assert_int_equal(last_frame_len % 4, 0);
	assert_code(h_binding(&s.cl), 0);
	session_close(&s);
}

static void test_send_and_data_indications_round_trip_udp(void **state)
{
	(void)state;
	check_indications(false, false);
}

static void test_send_and_data_indications_round_trip_tcp(void **state)
{
	(void)state;
	check_indications(true, false);
}

static void test_send_and_data_indications_round_trip_ipv6(void **state)
{
	(void)state;
	check_indications(false, true);
}

static void test_create_permission_takes_several_peers(void **state)
{
	struct turnc_req q = {.method = TURN_CREATE_PERMISSION, .auth = TURNC_AUTH_MD5};
	struct session s;
	struct tpeer *a = &s.peer[0], *b = &s.peer[1];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", "127.0.0.2", NULL);
	q.peer[0] = &a->addr;
	q.peer[1] = &b->addr;
	assert_code(turnc_request(&s.cl, &q), 0);
	tpeer_send(b, &s.relayed[0], "from b", 6);
	client_expect(&s.cl, &b->addr, 0, "from b");
	tpeer_send(a, &s.relayed[0], "from a", 6);
	client_expect(&s.cl, &a->addr, 0, "from a");
	session_close(&s);
}

static void test_create_permission_without_peer_gets_400(void **state)
{
	struct turnc_req q = {.method = TURN_CREATE_PERMISSION, .auth = TURNC_AUTH_MD5};
	struct session s;

	(void)state;
	session_open(&s, false, false, NULL);
	assert_code(turnc_request(&s.cl, &q), STUN_ERR_BAD_REQUEST);
	session_close(&s);
}

/* RFC 8656 §9: no permission for the peer's IP, no delivery either way. */
static void test_data_without_permission_is_dropped(void **state)
{
	struct session s;
	struct tpeer *allowed = &s.peer[0], *stranger = &s.peer[1];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", "127.0.0.2", NULL);
	assert_code(h_permission(&s.cl, &allowed->addr), 0);

	tpeer_send(stranger, &s.relayed[0], "intrude", 7);
	h_assert_no_data(&s.cl);
	assert_int_equal(h_send_indication(&s.cl, &stranger->addr, "leak", 4), 0);
	tpeer_assert_nothing(stranger);

	/* the path itself works */
	tpeer_send(allowed, &s.relayed[0], "ok", 2);
	client_expect(&s.cl, &allowed->addr, 0, "ok");
	session_close(&s);
}

/* RFC 8656 §9: a permission is for an IP address; the port does not matter. */
static void test_permission_covers_every_port_of_the_peer_ip(void **state)
{
	struct session s;
	struct tpeer *p1 = &s.peer[0], *p2 = &s.peer[1];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", "127.0.0.1", NULL);
	assert_code(h_permission(&s.cl, &p1->addr), 0);
	tpeer_send(p2, &s.relayed[0], "other port", 10);
	client_expect(&s.cl, &p2->addr, 0, "other port");
	session_close(&s);
}

/* Channels (RFC 8656 §12) */

static void test_channel_data_round_trip(void **state)
{
	const bool tcp = h_tcp(state);
	struct session s;
	struct tpeer *peer = &s.peer[0];

	session_open(&s, tcp, false, "127.0.0.1", NULL);
	assert_code(h_channel_bind(&s.cl, 0x4000, &peer->addr), 0);
	assert_int_equal(h_send_channel(&s.cl, 0x4000, "ping!", 5), 0);
	peer_expect(peer, &s.relayed[0], "ping!");
	tpeer_send(peer, &s.relayed[0], "pong!", 5);
	client_expect(&s.cl, NULL, 0x4000, "pong!");
	if (tcp) {
		/* RFC 8656 §12.5: padded to a multiple of 4 on streams, with zeros */
		assert_int_equal(last_frame_len, 12);
		assert_int_equal(last_frame[9] | last_frame[10] | last_frame[11], 0);
		/* the stream is still framed right */
		assert_code(h_binding(&s.cl), 0);
	} else {
		assert_int_equal(last_frame_len, 9);
	}
	/* Send indications still work next to the channel */
	assert_int_equal(h_send_indication(&s.cl, &peer->addr, "ind", 3), 0);
	peer_expect(peer, &s.relayed[0], "ind");
	session_close(&s);
}

static void test_channel_data_round_trip_ipv6(void **state)
{
	struct session s;
	struct tpeer *peer = &s.peer[0];

	(void)state;
	session_open(&s, false, true, "::1", NULL);
	assert_code(h_channel_bind(&s.cl, 0x4001, &peer->addr), 0);
	assert_int_equal(h_send_channel(&s.cl, 0x4001, "six", 3), 0);
	peer_expect(peer, &s.relayed[1], "six");
	tpeer_send(peer, &s.relayed[1], "back", 4);
	client_expect(&s.cl, NULL, 0x4001, "back");
	session_close(&s);
}

static void test_channel_data_on_unbound_channel_is_dropped(void **state)
{
	struct session s;
	struct tpeer *peer = &s.peer[0];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", NULL);
	assert_code(h_channel_bind(&s.cl, 0x4000, &peer->addr), 0);
	assert_int_equal(h_send_channel(&s.cl, 0x4002, "nowhere", 7), 0);
	tpeer_assert_nothing(peer);
	session_close(&s);
}

/* RFC 8656 §12.2: 0x4000-0x4FFF (RFC 5766 §11 had 0x4000-0x7FFF: rfc5766-channel-numbers). */
static void test_channel_numbers_outside_range_get_400(void **state)
{
	struct session s;
	struct tpeer *a = &s.peer[0], *b = &s.peer[1], *c = &s.peer[2];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", "127.0.0.1", "127.0.0.1", NULL);
	assert_code(h_channel_bind(&s.cl, 0x4000, &a->addr), 0);
	assert_code(h_channel_bind(&s.cl, 0x4FFF, &b->addr), 0);
	assert_code(h_channel_bind(&s.cl, 0x3FFF, &c->addr), STUN_ERR_BAD_REQUEST);
	/* RFC 8656 §12.2: 0x5000-0xFFFF are reserved (RFC 5766 allowed up to 0x7FFF) */
	assert_code(h_channel_bind(&s.cl, 0x5000, &c->addr), STUN_ERR_BAD_REQUEST);
	assert_code(h_channel_bind(&s.cl, 0x8000, &c->addr), STUN_ERR_BAD_REQUEST);
	assert_true(s.cl.resp_signed);
	/* the highest number carries data */
	assert_int_equal(h_send_channel(&s.cl, 0x4FFF, "top", 3), 0);
	peer_expect(b, &s.relayed[0], "top");
	tpeer_send(b, &s.relayed[0], "down", 4);
	client_expect(&s.cl, NULL, 0x4FFF, "down");
	session_close(&s);
}

static void test_rebinding_channel_to_another_peer_gets_400(void **state)
{
	struct session s;
	struct tpeer *a = &s.peer[0], *b = &s.peer[1];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", "127.0.0.1", NULL);
	assert_code(h_channel_bind(&s.cl, 0x4010, &a->addr), 0);
	assert_code(h_channel_bind(&s.cl, 0x4010, &b->addr), STUN_ERR_BAD_REQUEST);
	/* the binding is unchanged */
	tpeer_send(a, &s.relayed[0], "still a", 7);
	client_expect(&s.cl, NULL, 0x4010, "still a");
	session_close(&s);
}

static void test_binding_another_channel_to_bound_peer_gets_400(void **state)
{
	struct session s;
	struct tpeer *a = &s.peer[0];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", NULL);
	assert_code(h_channel_bind(&s.cl, 0x4020, &a->addr), 0);
	assert_code(h_channel_bind(&s.cl, 0x4021, &a->addr), STUN_ERR_BAD_REQUEST);
	session_close(&s);
}

static void test_refreshing_same_channel_binding_succeeds(void **state)
{
	struct session s;
	struct tpeer *a = &s.peer[0];

	(void)state;
	session_open(&s, false, false, "127.0.0.1", NULL);
	assert_code(h_channel_bind(&s.cl, 0x4030, &a->addr), 0);
	assert_code(h_channel_bind(&s.cl, 0x4030, &a->addr), 0);
	tpeer_send(a, &s.relayed[0], "again", 5);
	client_expect(&s.cl, NULL, 0x4030, "again");
	session_close(&s);
}

/* With --fingerprint, Data indications carry a FINGERPRINT that verifies. */
static void test_data_indication_has_fingerprint_when_configured(void **state)
{
	static const char *const flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
					    "--fingerprint", NULL};
	struct sockaddr_storage relayed;
	struct turnc_event ev;
	struct tserver fps;
	struct stun_msg m;

	(void)state;
	assert_int_equal(tserver_start(&fps, 4, flags), 0);
	for (int tcp = 0; tcp < 2; tcp++) {
		struct turnc cl;
		struct tpeer peer;

		assert_int_equal(h_open(&cl, &fps.v4, NULL, tcp), 0);
		assert_code(h_allocate(&cl), 0);
		relayed = h_relayed(&cl, 0);
		tpeer_open(&peer, "127.0.0.1");
		assert_code(h_permission(&cl, &peer.addr), 0);
		tpeer_send(&peer, &relayed, "odd", 3); /* 1 byte of padding */
		assert_true(h_recv_event(&cl, H_TXN_TIMEOUT_MS, &ev));
		assert_int_equal(ev.len, 3);
		assert_memory_equal(ev.data, "odd", 3);
		assert_int_equal(stun_msg_parse(&m, ev.frame, ev.frame_len), STUN_PARSE_OK);
		assert_true(m.fp_idx >= 0);
		assert_true(stun_msg_check_fingerprint(&m));
		tpeer_close(&peer);
		h_close(&cl);
	}
	assert_int_equal(tserver_stop(&fps), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_data_indication_has_fingerprint_when_configured),
	    cmocka_unit_test(test_send_and_data_indications_round_trip_udp),
	    cmocka_unit_test(test_send_and_data_indications_round_trip_tcp),
	    cmocka_unit_test(test_send_and_data_indications_round_trip_ipv6),
	    cmocka_unit_test(test_create_permission_takes_several_peers),
	    cmocka_unit_test(test_create_permission_without_peer_gets_400),
	    cmocka_unit_test(test_data_without_permission_is_dropped),
	    cmocka_unit_test(test_permission_covers_every_port_of_the_peer_ip),
	    H_OVER_UDP(test_channel_data_round_trip, "_udp"),
	    H_OVER_TCP(test_channel_data_round_trip, "_tcp_is_padded"),
	    cmocka_unit_test(test_channel_data_round_trip_ipv6),
	    cmocka_unit_test(test_channel_data_on_unbound_channel_is_dropped),
	    cmocka_unit_test(test_channel_numbers_outside_range_get_400),
	    cmocka_unit_test(test_rebinding_channel_to_another_peer_gets_400),
	    cmocka_unit_test(test_binding_another_channel_to_bound_peer_gets_400),
	    cmocka_unit_test(test_refreshing_same_channel_binding_succeeds),
	    cmocka_unit_test(test_servers_exit_cleanly_on_sigterm),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
