/*
 * itest_tcprelay.c - TCP allocations (RFC 6062) end to end over loopback:
 * a client allocates with REQUESTED-TRANSPORT=TCP over TCP (400 over UDP
 * or with EVEN-PORT, RESERVATION-TOKEN, DONT-FRAGMENT, ADDITIONAL-ADDRESS-
 * FAMILY; ChannelBind 400), sends Connect to a TCP echo peer run by the test
 * (CONNECTION-ID; 446 for a second one, 447 for a closed port, 403 for a
 * peer the policy refuses), binds a second connection with ConnectionBind
 * (400 for an unknown CONNECTION-ID) and gets its bytes echoed unchanged; a
 * peer connecting to the relayed address yields a ConnectionAttempt (or is
 * closed without a permission); closing the control connection closes the
 * data connections; a peer that does not read backs the client up.
 *
 * One server with --allow-loopback-peers, two relay threads (so data
 * connections also land on the other worker), one without (for 403).
 */
#include <pthread.h>

#include "integration/harness.h"

static struct tserver srv, strict;

/* A TCP echo peer on 127.0.0.1 in a thread: up to 8 connections at once. */

#define ECHO_MAX 8

struct echo_peer {
	int lfd;
	struct sockaddr_storage addr;
	pthread_t thread;
	volatile bool stop;
	bool no_read; /* accept, then never read (back-pressure test) */
	pthread_mutex_t lock;
	struct sockaddr_storage from[ECHO_MAX]; /* where accepted connections came from */
	int naccepted;
};

static struct echo_peer echo;

static void *echo_main(void *arg)
{
	struct echo_peer *e = arg;
	struct pollfd pfd[1 + ECHO_MAX];
	int nconn = 0;

	for (int i = 0; i < 1 + ECHO_MAX; i++)
		pfd[i] = (struct pollfd){.fd = -1, .events = POLLIN};
	pfd[0].fd = e->lfd;
	while (!e->stop) {
		if (poll(pfd, 1 + ECHO_MAX, 50) <= 0)
			continue;
		if (pfd[0].revents & POLLIN) {
			struct sockaddr_storage from;
			socklen_t len = sizeof(from);
			int fd = accept4(e->lfd, SA(&from), &len, SOCK_CLOEXEC);

			for (int i = 1; fd >= 0 && i <= ECHO_MAX; i++) {
				if (pfd[i].fd < 0) {
					pfd[i].fd = fd;
					pfd[i].events = e->no_read ? 0 : POLLIN;
					fd = -1;
					nconn++;
				}
			}
			if (fd >= 0)
				close(fd);
			pthread_mutex_lock(&e->lock);
			if (e->naccepted < ECHO_MAX)
				e->from[e->naccepted] = from;
			e->naccepted++;
			pthread_mutex_unlock(&e->lock);
		}
		for (int i = 1; i <= ECHO_MAX; i++) {
			uint8_t buf[4096];
			ssize_t n;

			if (pfd[i].fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = recv(pfd[i].fd, buf, sizeof(buf), 0);
			if (n > 0 && send(pfd[i].fd, buf, (size_t)n, MSG_NOSIGNAL) == n)
				continue;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			nconn--;
		}
	}
	for (int i = 1; i <= ECHO_MAX; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	(void)nconn;
	return NULL;
}

static void echo_start(struct echo_peer *e, bool no_read)
{
	struct sockaddr_storage ss = h_addr("127.0.0.1", 0);
	socklen_t len = sizeof(e->addr);

	memset(e, 0, sizeof(*e));
	e->no_read = no_read;
	pthread_mutex_init(&e->lock, NULL);
	e->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (e->lfd < 0 || bind(e->lfd, SA(&ss), addr_len(SA(&ss))) < 0 || listen(e->lfd, 16) < 0 ||
	    getsockname(e->lfd, SA(&e->addr), &len) < 0 ||
	    pthread_create(&e->thread, NULL, echo_main, e) != 0)
		fail_msg("echo peer: %s", strerror(errno));
}

static void echo_stop(struct echo_peer *e)
{
	e->stop = true;
	pthread_join(e->thread, NULL);
	close(e->lfd);
	pthread_mutex_destroy(&e->lock);
}

static int echo_accepted(struct echo_peer *e, struct sockaddr_storage *last)
{
	int n;

	pthread_mutex_lock(&e->lock);
	n = e->naccepted;
	if (n > 0 && last)
		*last = e->from[(n - 1) % ECHO_MAX];
	pthread_mutex_unlock(&e->lock);
	return n;
}

/*
 * A new echo peer on a new port: a relay port used toward the old one may
 * still be in TIME_WAIT with it, when a connect() from it gets EADDRNOTAVAIL.
 */
static void echo_renew(void)
{
	echo_stop(&echo);
	echo_start(&echo, false);
}

static int fresh_echo(void **state)
{
	(void)state;
	echo_renew();
	return 0;
}

/* Fixtures */

static const char *const srv_flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers", NULL};
static const char *const strict_flags[] = {"--relay-ip=127.0.0.1", NULL};

static const struct tserver_spec servers[] = {
    {&srv, 16, srv_flags},
    {&strict, 4, strict_flags},
};

static int group_setup(void **state)
{
	(void)state;
	if (tserver_start_all(servers, sizeof(servers) / sizeof(servers[0])) < 0)
		return -1;
	echo_start(&echo, false);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	echo_stop(&echo);
	return tserver_stop_all(servers, sizeof(servers) / sizeof(servers[0]));
}

/* Helpers */

struct session {
	struct turnc ctl; /* the control connection */
	struct sockaddr_storage relayed;
};

static int tcp_allocate(struct turnc *cl)
{
	struct turnc_req q = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP};

	return turnc_request(cl, &q);
}

static void session_open(struct session *s, struct tserver *server)
{
	if (h_open(&s->ctl, &server->v4, NULL, true) < 0)
		fail_msg("connect to %s: %s", h_str(&server->v4), strerror(errno));
	assert_code(tcp_allocate(&s->ctl), 0);
	s->relayed = h_relayed(&s->ctl, 0);
	h_assert_relayed(&s->relayed, "127.0.0.1", server);
}

/* Connect to peer: the answer's code; *id the CONNECTION-ID on success. */
static int tcp_connect(struct session *s, const struct sockaddr_storage *peer, uint32_t *id)
{
	struct turnc_req q = {.method = TURN_CONNECT, .auth = TURNC_AUTH_MD5, .peer = {peer}};
	int code = turnc_request(&s->ctl, &q);

	if (code == 0)
		*id = h_u32(&s->ctl, STUN_ATTR_CONNECTION_ID);
	return code;
}

/* ConnectionBind on a new connection dc: the answer's code. */
static int tcp_bind(struct turnc *dc, const struct tserver *server, uint32_t id)
{
	struct turnc_req q = {
	    .method = TURN_CONNECTION_BIND, .auth = TURNC_AUTH_MD5, .connection_id = id};

	if (h_open(dc, &server->v4, NULL, true) < 0)
		fail_msg("data connection: %s", strerror(errno));
	return turnc_request(dc, &q);
}

/* Raw bytes of a socket: up to want, within timeout_ms; -1 if it closed empty. */
static int fd_recv(int fd, uint8_t *buf, size_t got, size_t want, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	while (got < want && h_now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&pfd, 1, (int)(deadline - h_now_ms())) <= 0)
			continue;
		n = recv(fd, buf + got, want - got, 0);
		if (n == 0)
			return (int)got ? (int)got : -1;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		if (n > 0)
			got += (size_t)n;
	}
	return (int)got;
}

/* Raw bytes on a bound data connection (after any buffered STUN leftovers). */
static int raw_recv(struct turnc *c, uint8_t *buf, size_t want, int timeout_ms)
{
	return fd_recv(c->fd, buf, turnc_take_buffered(c, buf, want), want, timeout_ms);
}

/* True when the stream is closed by the other side within timeout_ms. */
static bool closed_within(int fd, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	while (h_now_ms() < deadline) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		uint8_t buf[4096];
		ssize_t n;

		if (poll(&pfd, 1, (int)(deadline - h_now_ms())) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
	return false;
}

/* Sends sizes[] chunks of a pattern through dc and expects them back unchanged. */
static void echo_roundtrip(struct turnc *dc, unsigned int seed)
{
	static const size_t sizes[] = {1, 3, 517, 1499, 2048, 7, 4093};
	uint8_t out[4096], in[4096];

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t n = sizes[i];

		for (size_t j = 0; j < n; j++)
			out[j] = (uint8_t)(seed * 31 + i * 7 + j * 13);
		assert_int_equal(turnc_send_bytes(dc, out, n), 0);
		assert_int_equal(raw_recv(dc, in, n, H_TXN_TIMEOUT_MS), (int)n);
		assert_memory_equal(in, out, n);
	}
}

/* Waits for a ConnectionAttempt on the control connection: its CONNECTION-ID. */
static uint32_t wait_connection_attempt(struct session *s, struct sockaddr_storage *peer)
{
	uint64_t deadline = h_now_ms() + H_TXN_TIMEOUT_MS;
	uint8_t frame[2048];

	for (int guard = 0; guard < 100 && h_now_ms() < deadline; guard++) {
		const struct stun_attr *id;
		struct stun_msg m;
		uint32_t v;
		int n =
		    turnc_recv_frame(&s->ctl, frame, sizeof(frame), (int)(deadline - h_now_ms()));

		if (n <= 0)
			break;
		if (stun_msg_parse(&m, frame, (size_t)n) != STUN_PARSE_OK ||
		    m.cls != STUN_INDICATION || m.method != TURN_CONNECTION_ATTEMPT)
			continue;
		id = stun_msg_find(&m, STUN_ATTR_CONNECTION_ID);
		if (!id || stun_attr_u32(id, &v) < 0 ||
		    stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_ATTR_XOR_PEER_ADDRESS), peer) < 0)
			fail_msg("malformed ConnectionAttempt");
		return v;
	}
	fail_msg("no ConnectionAttempt within %d ms", H_TXN_TIMEOUT_MS);
	return 0;
}

/* A plain TCP socket of the test connecting to addr; the fd. */
static int tcp_dial(const struct sockaddr_storage *addr, struct sockaddr_storage *local)
{
	struct turnc c;
	int fd;

	if (h_open(&c, addr, "127.0.0.1", true) < 0)
		fail_msg("connect to %s: %s", h_str(addr), strerror(errno));
	if (local)
		*local = c.local;
	fd = c.fd;
	c.fd = -1; /* the socket is the test's now */
	turnc_close(&c);
	return fd;
}

/* Allocate */

static void test_tcp_allocate_over_tcp_gets_tcp_relayed_address(void **state)
{
	struct session s;

	(void)state;
	session_open(&s, &srv);
	assert_null(h_attr(&s.ctl, STUN_ATTR_RESERVATION_TOKEN));
	assert_true(h_u32(&s.ctl, STUN_ATTR_LIFETIME) > 0);
	h_close(&s.ctl);
}

/* RFC 6062 §5.1 item 2 */
static void test_tcp_allocate_over_udp_gets_400(void **state)
{
	struct turnc cl;

	(void)state;
	assert_int_equal(h_open(&cl, &srv.v4, NULL, false), 0);
	assert_code(tcp_allocate(&cl), STUN_ERR_BAD_REQUEST);
	h_close(&cl);
}

/* RFC 6062 §5.1 item 3 (and one relayed address only) */
static void test_tcp_allocate_with_udp_only_attributes_gets_400(void **state)
{
	struct turnc_req base = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP};
	struct turnc_req qs[4];
	struct turnc cl;

	(void)state;
	for (int i = 0; i < 4; i++)
		qs[i] = base;
	qs[0].even_port = true;
	qs[1].token = 0x0102030405060708ull;
	qs[2].dont_fragment = true;
	qs[3].additional_family = STUN_FAMILY_IPV6;
	assert_int_equal(h_open(&cl, &srv.v4, NULL, true), 0);
	for (int i = 0; i < 4; i++)
		assert_code(turnc_request(&cl, &qs[i]), STUN_ERR_BAD_REQUEST);
	/* and the connection can still allocate */
	assert_code(tcp_allocate(&cl), 0);
	h_close(&cl);
}

/* no-udp-relay / no-tcp-relay: that kind of allocation gets 442. */
static void test_relay_kinds_switched_off_get_442(void **state)
{
	static const char *const flags[] = {"--relay-ip=127.0.0.1", "--no-udp-relay",
					    "--no-tcp-relay", NULL};
	struct turnc_req tcp_q = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP};
	struct turnc_req udp_q = {H_ALLOCATE_REQ};
	struct tserver off;
	struct turnc cl;

	(void)state;
	assert_int_equal(tserver_start(&off, 4, flags), 0);
	assert_int_equal(h_open(&cl, &off.v4, NULL, true), 0);
	assert_code(turnc_request(&cl, &tcp_q), TURN_ERR_UNSUPPORTED_TRANSPORT_PROTOCOL);
	h_close(&cl);
	assert_int_equal(h_open(&cl, &off.v4, NULL, false), 0);
	assert_code(turnc_request(&cl, &udp_q), TURN_ERR_UNSUPPORTED_TRANSPORT_PROTOCOL);
	h_close(&cl);
	assert_int_equal(tserver_stop(&off), 0);
}

static void test_channel_bind_on_tcp_allocation_gets_400(void **state)
{
	struct session s;

	(void)state;
	session_open(&s, &srv);
	assert_code(h_channel_bind(&s.ctl, 0x4000, &echo.addr), STUN_ERR_BAD_REQUEST);
	assert_code(h_permission(&s.ctl, &echo.addr), 0);
	assert_code(h_refresh(&s.ctl, 600), 0);
	h_close(&s.ctl);
}

static void test_connect_on_udp_allocation_gets_400(void **state)
{
	struct session s;
	uint32_t id;

	(void)state;
	assert_int_equal(h_open(&s.ctl, &srv.v4, NULL, true), 0);
	assert_code(h_allocate(&s.ctl), 0);
	assert_code(tcp_connect(&s, &echo.addr, &id), STUN_ERR_BAD_REQUEST);
	h_close(&s.ctl);
}

/* Connect (RFC 6062 §5.2) and ConnectionBind (§5.4) */

static void test_connect_bind_then_bytes_echo_unchanged(void **state)
{
	(void)state;
	/* a few rounds: the data connection lands on either worker */
	for (unsigned int round = 0; round < 4; round++) {
		struct sockaddr_storage from;
		struct session s;
		struct turnc dc;
		uint32_t id = 0;
		int before;

		echo_renew();
		before = echo_accepted(&echo, NULL);
		session_open(&s, &srv);
		assert_code(tcp_connect(&s, &echo.addr, &id), 0);
		assert_true(id != 0);
		/* the peer saw a connection from the relayed address */
		for (int i = 0; i < 100 && echo_accepted(&echo, &from) == before; i++)
			h_sleep_ms(10);
		assert_int_equal(echo_accepted(&echo, &from), before + 1);
		h_assert_addr_equal(&from, &s.relayed);
		assert_code(tcp_bind(&dc, &srv, id), 0);
		echo_roundtrip(&dc, round);
		turnc_close(&dc);
		h_close(&s.ctl);
	}
}

static void test_second_connect_to_same_peer_gets_446(void **state)
{
	struct session s;
	uint32_t id, id2;

	(void)state;
	session_open(&s, &srv);
	assert_code(tcp_connect(&s, &echo.addr, &id), 0);
	assert_code(tcp_connect(&s, &echo.addr, &id2), TURN_ERR_CONNECTION_ALREADY_EXISTS);
	h_close(&s.ctl);
}

static void test_connect_to_closed_port_gets_447(void **state)
{
	struct sockaddr_storage closed = h_addr("127.0.0.1", h_ephemeral_port(SOCK_STREAM));
	struct session s;
	uint32_t id;

	(void)state;
	session_open(&s, &srv);
	assert_code(tcp_connect(&s, &closed, &id), TURN_ERR_CONNECTION_TIMEOUT_OR_FAILURE);
	h_close(&s.ctl);
}

static void test_connect_to_refused_peer_gets_403(void **state)
{
	struct session s;
	uint32_t id;
	int before = echo_accepted(&echo, NULL);

	(void)state;
	session_open(&s, &strict);
	assert_code(tcp_connect(&s, &echo.addr, &id), STUN_ERR_FORBIDDEN);
	h_sleep_ms(H_SILENCE_MS);
	assert_int_equal(echo_accepted(&echo, NULL), before);
	h_close(&s.ctl);
}

static void test_connection_bind_with_unknown_id_gets_400(void **state)
{
	struct turnc dc;
	uint32_t id;

	(void)state;
	if (RAND_bytes((uint8_t *)&id, sizeof(id)) != 1)
		fail_msg("RAND_bytes");
	assert_code(tcp_bind(&dc, &srv, id | 1), STUN_ERR_BAD_REQUEST);
	/* still a STUN connection after the error */
	assert_code(h_binding(&dc), 0);
	h_close(&dc);
}

static void test_connection_bind_as_other_user_gets_441(void **state)
{
	struct session s;
	struct turnc dc;
	struct turnc_req q = {.method = TURN_CONNECTION_BIND, .auth = TURNC_AUTH_MD5};
	uint32_t id;

	(void)state;
	session_open(&s, &srv);
	assert_code(tcp_connect(&s, &echo.addr, &id), 0);
	assert_int_equal(h_open(&dc, &srv.v4, NULL, true), 0);
	turnc_set_auth(&dc, H_USER2, H_PASS2, NULL);
	q.connection_id = id;
	assert_code(turnc_request(&dc, &q), TURN_ERR_WRONG_CREDENTIALS);
	h_close(&dc);
	/* the rightful user can still bind it */
	assert_code(tcp_bind(&dc, &srv, id), 0);
	echo_roundtrip(&dc, 9);
	h_close(&dc);
	h_close(&s.ctl);
}

/* Peers connecting to the relayed address (RFC 6062 §5.3) */

static void test_peer_without_permission_is_closed(void **state)
{
	struct session s;
	int fd;

	(void)state;
	session_open(&s, &srv);
	fd = tcp_dial(&s.relayed, NULL);
	assert_true(closed_within(fd, H_TXN_TIMEOUT_MS));
	close(fd);
	h_close(&s.ctl);
}

static void test_peer_connects_then_connection_attempt_and_bind(void **state)
{
	struct sockaddr_storage local, told;
	struct session s;
	struct turnc dc;
	uint8_t buf[3000], back[3000];
	uint32_t id;
	int fd;

	(void)state;
	session_open(&s, &srv);
	assert_code(h_permission(&s.ctl, &echo.addr), 0); /* 127.0.0.1 */
	fd = tcp_dial(&s.relayed, &local);
	id = wait_connection_attempt(&s, &told);
	h_assert_addr_equal(&told, &local);
	assert_code(tcp_bind(&dc, &srv, id), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 5 + 1);
	/* peer -> client */
	assert_int_equal(send(fd, buf, 2999, MSG_NOSIGNAL), 2999);
	assert_int_equal(raw_recv(&dc, back, 2999, H_TXN_TIMEOUT_MS), 2999);
	assert_memory_equal(back, buf, 2999);
	/* client -> peer */
	assert_int_equal(turnc_send_bytes(&dc, buf + 1, 1001), 0);
	assert_int_equal(fd_recv(fd, back, 0, 1001, H_TXN_TIMEOUT_MS), 1001);
	assert_memory_equal(back, buf + 1, 1001);
	/* the client closes: the peer's connection closes */
	turnc_close(&dc);
	assert_true(closed_within(fd, H_TXN_TIMEOUT_MS));
	close(fd);
	h_close(&s.ctl);
}

/* Teardown and back-pressure */

static void test_closing_control_connection_closes_data_connections(void **state)
{
	struct sockaddr_storage local, told;
	struct session s;
	struct turnc dc, dc2;
	uint32_t id, id2;
	int fd;

	(void)state;
	session_open(&s, &srv);
	assert_code(tcp_connect(&s, &echo.addr, &id), 0);
	assert_code(tcp_bind(&dc, &srv, id), 0);
	echo_roundtrip(&dc, 3);
	fd = tcp_dial(&s.relayed, &local); /* permitted by the Connect */
	id2 = wait_connection_attempt(&s, &told);
	assert_code(tcp_bind(&dc2, &srv, id2), 0);
	turnc_close(&s.ctl);
	assert_true(closed_within(dc.fd, H_TXN_TIMEOUT_MS));
	assert_true(closed_within(dc2.fd, H_TXN_TIMEOUT_MS));
	assert_true(closed_within(fd, H_TXN_TIMEOUT_MS));
	close(fd);
	turnc_close(&dc);
	turnc_close(&dc2);
}

/* A peer that never reads: the client's writes stall instead of the server buffering. */
static void test_peer_not_reading_backs_up_the_client(void **state)
{
	struct echo_peer sink;
	struct session s;
	struct turnc dc;
	static uint8_t chunk[65536];
	uint64_t deadline, last_progress;
	size_t total = 0;
	uint32_t id;

	(void)state;
	echo_start(&sink, true);
	session_open(&s, &srv);
	assert_code(tcp_connect(&s, &sink.addr, &id), 0);
	assert_code(tcp_bind(&dc, &srv, id), 0);
	deadline = h_now_ms() + 10000;
	last_progress = h_now_ms();
	while (h_now_ms() < deadline && h_now_ms() - last_progress < 500 &&
	       total < ((size_t)256 << 20)) {
		ssize_t n = send(dc.fd, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);

		if (n > 0) {
			total += (size_t)n;
			last_progress = h_now_ms();
		} else {
			struct pollfd pfd = {.fd = dc.fd, .events = POLLOUT};

			poll(&pfd, 1, 50);
		}
	}
	/* socket buffers on four sockets plus the server's bounded queue */
	if (total >= ((size_t)128 << 20))
		fail_msg("%zu bytes accepted with a peer that does not read", total);
	assert_true(h_now_ms() - last_progress >= 500);
	h_close(&dc);
	h_close(&s.ctl);
	echo_stop(&sink);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_tcp_allocate_over_tcp_gets_tcp_relayed_address, fresh_echo),
	    cmocka_unit_test_setup(test_tcp_allocate_over_udp_gets_400, fresh_echo),
	    cmocka_unit_test_setup(test_tcp_allocate_with_udp_only_attributes_gets_400, fresh_echo),
	    cmocka_unit_test_setup(test_relay_kinds_switched_off_get_442, fresh_echo),
	    cmocka_unit_test_setup(test_channel_bind_on_tcp_allocation_gets_400, fresh_echo),
	    cmocka_unit_test_setup(test_connect_on_udp_allocation_gets_400, fresh_echo),
	    cmocka_unit_test_setup(test_connect_bind_then_bytes_echo_unchanged, fresh_echo),
	    cmocka_unit_test_setup(test_second_connect_to_same_peer_gets_446, fresh_echo),
	    cmocka_unit_test_setup(test_connect_to_closed_port_gets_447, fresh_echo),
	    cmocka_unit_test_setup(test_connect_to_refused_peer_gets_403, fresh_echo),
	    cmocka_unit_test_setup(test_connection_bind_with_unknown_id_gets_400, fresh_echo),
	    cmocka_unit_test_setup(test_connection_bind_as_other_user_gets_441, fresh_echo),
	    cmocka_unit_test_setup(test_peer_without_permission_is_closed, fresh_echo),
	    cmocka_unit_test_setup(test_peer_connects_then_connection_attempt_and_bind, fresh_echo),
	    cmocka_unit_test_setup(test_closing_control_connection_closes_data_connections,
				   fresh_echo),
	    cmocka_unit_test_setup(test_peer_not_reading_backs_up_the_client, fresh_echo),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
