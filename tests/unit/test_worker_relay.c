/*
 * test_worker_relay.c - src/server/worker.c's peer -> client path
 * (worker_relay_to_client, RFC 8656 §12.6 and §12.5) for a TCP client,
 * whose bytes stay queued in its bufferevent (no socket): nothing without
 * a permission; ChannelData with a bound channel, padded to 4 on a stream;
 * otherwise a Data indication with XOR-PEER-ADDRESS and DATA, padded, with
 * a valid FINGERPRINT when fingerprint is on; a peer datagram no Data
 * indication can carry counted too big; the allocation's counters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include "alloc_test.h"
#include "stun/wire.h"
#include "test_sockaddr.h"

#define T0 1000000

static struct event_base *base;
static struct tcp_conn conn;
static uint8_t payload[65536];
static size_t seen; /* bytes of the output already looked at */

static int setup(void **state)
{
	if (alloc_test_setup(state) < 0)
		return -1;
	base = event_base_new();
	memset(&conn, 0, sizeof(conn));
	seen = 0;
	conn.bev = bufferevent_socket_new(base, -1, 0);
	if (!base || !conn.bev)
		return -1;
	/* no socket: what is written stays queued */
	bufferevent_disable(conn.bev, EV_WRITE);
	conn.alloc = a;
	a->tcp = &conn;
	for (size_t i = 0; i < sizeof(payload); i++)
		payload[i] = (uint8_t)(i * 7 + 1);
	return 0;
}

static int teardown(void **state)
{
	bufferevent_free(conn.bev);
	event_base_free(base);
	return alloc_test_teardown(state);
}

/*
 * What the client was sent since the last call (an unconnected
 * bufferevent's output cannot be drained: its front is frozen).
 */
static const uint8_t *sent(size_t *len)
{
	struct evbuffer *out = bufferevent_get_output(conn.bev);
	size_t total = evbuffer_get_length(out), from = seen;

	*len = total - from;
	seen = total;
	return *len ? evbuffer_pullup(out, -1) + from : NULL;
}

static void relay(const union sockaddr_u *peer, size_t len)
{
	worker_relay_to_client(&w, a, peer, payload, len, T0);
}

static void test_without_permission_nothing_is_sent(void **state)
{
	union sockaddr_u peer = test_su("192.0.2.10:5000"), other = test_su("192.0.2.11:5000");
	size_t len;

	(void)state;
	relay(&peer, 10);
	assert_int_equal(w.stats.no_permission, 1);
	assert_int_equal(alloc_install_perm(a, &other, T0), 0);
	relay(&peer, 10);
	assert_int_equal(w.stats.no_permission, 2);
	assert_null(sent(&len));
	assert_int_equal(w.stats.relayed_to_client, 0);
	assert_int_equal(a->user_pkts[1], 0);
}

/* RFC 8656 §12.5: over a stream, ChannelData is padded to a multiple of 4. */
static void test_bound_channel_sends_padded_channeldata(void **state)
{
	union sockaddr_u peer = test_su("192.0.2.10:5000");
	const uint8_t *out;
	size_t len;

	(void)state;
	assert_int_equal(alloc_install_perm(a, &peer, T0), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4001, &peer, T0), 0);
	for (size_t n = 0; n <= 8; n++) {
		relay(&peer, n);
		out = sent(&len);
		assert_int_equal(len, 4 + wire_pad4(n));
		assert_int_equal(wire_get16(out), 0x4001);
		assert_int_equal(wire_get16(out + 2), n);
		assert_memory_equal(out + 4, payload, n);
		for (size_t i = 4 + n; i < len; i++)
			assert_int_equal(out[i], 0);
	}
	assert_int_equal(w.stats.relayed_to_client, 9);
	assert_int_equal(a->user_pkts[1], 9);
	assert_int_equal(a->user_bytes[1], 36);
}

/* A Data indication as a client parses it: peer, data, padding, FINGERPRINT when on. */
static void check_data_indication(const union sockaddr_u *peer, size_t n, bool fingerprint)
{
	const struct stun_attr *at;
	struct sockaddr_storage shown;
	struct stun_msg m;
	const uint8_t *out;
	size_t len;

	cfg.fingerprint = fingerprint;
	relay(peer, n);
	out = sent(&len);
	assert_non_null(out);
	assert_int_equal(len % 4, 0);
	assert_int_equal(stun_msg_parse(&m, out, len), STUN_PARSE_OK);
	assert_int_equal(m.len, len);
	assert_int_equal(m.method, TURN_DATA);
	assert_int_equal(m.cls, STUN_INDICATION);
	at = stun_msg_find(&m, STUN_ATTR_XOR_PEER_ADDRESS);
	assert_non_null(at);
	assert_int_equal(stun_attr_xor_addr(&m, at, &shown), 0);
	assert_true(addr_equal((struct sockaddr *)&shown, &peer->sa));
	at = stun_msg_find(&m, STUN_ATTR_DATA);
	assert_non_null(at);
	assert_int_equal(at->len, n);
	assert_memory_equal(at->val, payload, n);
	if (fingerprint) {
		/* last, over everything before it */
		assert_true(m.fp_idx >= 0);
		assert_true(stun_msg_check_fingerprint(&m));
		assert_int_equal(wire_get16(out + len - 8), STUN_ATTR_FINGERPRINT);
		assert_int_equal(stun_crc32(out, len - 8) ^ 0x5354554Eu, /* RFC 8489 §14.7 */
				 wire_get32(out + len - 4));
	} else {
		assert_int_equal(m.fp_idx, -1);
	}
}

static void test_without_channel_sends_a_data_indication(void **state)
{
	union sockaddr_u peer = test_su("192.0.2.10:5000"), peer6 = test_su("[2001:db8::7]:6000");
	union sockaddr_u other_port = test_su("192.0.2.10:5001");

	(void)state;
	assert_int_equal(alloc_install_perm(a, &peer, T0), 0);
	assert_int_equal(alloc_install_perm(a, &peer6, T0), 0);
	check_data_indication(&peer, 0, false);
	check_data_indication(&peer, 0, true);
	for (size_t n = 1; n <= 5; n++) {
		check_data_indication(&peer, n, false);
		check_data_indication(&peer, n, true);
		check_data_indication(&peer6, n, true);
	}
	/* a channel to another port of the permitted IP does not carry this peer */
	assert_int_equal(alloc_bind_channel(a, 0x4002, &other_port, T0), 0);
	check_data_indication(&peer, 1000, true);
	assert_int_equal(w.stats.relayed_to_client, 18);
	assert_int_equal(a->user_bytes[1], 3 * (0 + 1 + 2 + 3 + 4 + 5) + 1000);
}

/*
 * RFC 8489 §5: the message length is 16 bits. From an IPv6 peer with
 * FINGERPRINT, 65499 bytes of data would make it 65536: counted too big;
 * a byte less fits.
 */
static void test_data_over_the_stun_length_is_too_big(void **state)
{
	union sockaddr_u peer6 = test_su("[2001:db8::7]:6000");
	size_t len;

	(void)state;
	assert_int_equal(alloc_install_perm(a, &peer6, T0), 0);
	cfg.fingerprint = true;
	relay(&peer6, 65499);
	assert_int_equal(w.stats.too_big, 1);
	assert_null(sent(&len));
	check_data_indication(&peer6, 65496, true);
	assert_int_equal(w.stats.too_big, 1);
	assert_int_equal(w.stats.relayed_to_client, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_without_permission_nothing_is_sent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bound_channel_sends_padded_channeldata, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_without_channel_sends_a_data_indication,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_data_over_the_stun_length_is_too_big, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
