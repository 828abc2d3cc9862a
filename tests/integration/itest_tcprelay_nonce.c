/*
 * itest_tcprelay_nonce.c - which nonce an RFC 6062 data connection may
 * sign with. Nonces are bound to the client's address and port (RFC 8489
 * §9.2.4), but a ConnectionBind comes on a new connection from a new port,
 * and clients (coturn's uclient -T among them) sign it with the nonce of
 * their control connection. The server takes that nonce on a ConnectionBind
 * that names a peer connection of that allocation still waiting for its
 * bind, and nowhere else: not for an unknown or already claimed
 * CONNECTION-ID, not on another request from a new connection.
 *
 * One server with --allow-loopback-peers; the peer is a TCP socket of the
 * test listening on 127.0.0.1 (the kernel completes the relay's connect).
 */
#include "integration/harness.h"

#define PEERS_MAX 16

static struct tserver srv;
/* a new listening peer for each Connect: no 4-tuple of a closed relay connection comes back */
static int peer_fds[PEERS_MAX];
static int npeers;

static const char *const srv_flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers", NULL};

static const struct tserver_spec servers[] = {
    {&srv, 16, srv_flags},
};

static int group_setup(void **state)
{
	(void)state;
	return tserver_start_all(servers, sizeof(servers) / sizeof(servers[0]));
}

static int group_teardown(void **state)
{
	(void)state;
	for (int i = 0; i < npeers; i++)
		close(peer_fds[i]);
	return tserver_stop_all(servers, sizeof(servers) / sizeof(servers[0]));
}

/* A TCP socket listening on 127.0.0.1: its address. */
static struct sockaddr_storage peer_listen(void)
{
	struct sockaddr_storage ss = h_addr("127.0.0.1", 0), addr;
	socklen_t len = sizeof(addr);
	int fd;

	if (npeers == PEERS_MAX)
		fail_msg("too many peers");
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		fail_msg("socket: %s", strerror(errno));
	peer_fds[npeers++] = fd;
	if (bind(fd, SA(&ss), addr_len(SA(&ss))) < 0 || listen(fd, 4) < 0 ||
	    getsockname(fd, SA(&addr), &len) < 0)
		fail_msg("peer: %s", strerror(errno));
	return addr;
}

/* A TCP allocation on ctl and a Connect to the test's peer: the CONNECTION-ID. */
static uint32_t control_connect(struct turnc *ctl)
{
	struct turnc_req alloc = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP};
	struct sockaddr_storage peer = peer_listen();
	struct turnc_req connect = {
	    .method = TURN_CONNECT, .auth = TURNC_AUTH_MD5, .peer = {&peer}};
	const struct stun_attr *id;
	uint32_t connection_id = 0;

	if (h_open(ctl, &srv.v4, NULL, true) < 0)
		fail_msg("control connection: %s", strerror(errno));
	assert_code(turnc_request(ctl, &alloc), 0);
	assert_code(turnc_request(ctl, &connect), 0);
	id = h_attr(ctl, STUN_ATTR_CONNECTION_ID);
	assert_non_null(id);
	assert_int_equal(stun_attr_u32(id, &connection_id), 0);
	return connection_id;
}

/*
 * Request q on a new TCP connection signed from the start with ctl's nonce,
 * and no second try: the answer's code.
 */
static int with_control_nonce(struct turnc *dc, const struct turnc *ctl, struct turnc_req *q)
{
	if (h_open(dc, &srv.v4, NULL, true) < 0)
		fail_msg("data connection: %s", strerror(errno));
	turnc_share_auth(dc, ctl);
	dc->no_retry = true;
	return turnc_request(dc, q);
}

static void test_connection_bind_with_control_connection_nonce_succeeds(void **state)
{
	struct turnc ctl, dc;
	struct turnc_req q = {.method = TURN_CONNECTION_BIND, .auth = TURNC_AUTH_MD5};

	(void)state;
	/* a few rounds: the data connection lands on either worker */
	for (int round = 0; round < 4; round++) {
		q.connection_id = control_connect(&ctl);
		assert_code(with_control_nonce(&dc, &ctl, &q), 0);
		assert_true(dc.resp_signed);
		h_close(&dc);
		h_close(&ctl);
	}
}

static void test_control_nonce_for_unknown_connection_id_is_challenged(void **state)
{
	struct turnc ctl, dc;
	struct turnc_req q = {.method = TURN_CONNECTION_BIND, .auth = TURNC_AUTH_MD5};

	(void)state;
	q.connection_id = control_connect(&ctl) ^ 0x5a5a5a5a;
	/* right credentials, a nonce not given to this connection (RFC 8489 §9.2.4) */
	assert_code(with_control_nonce(&dc, &ctl, &q), STUN_ERR_STALE_NONCE);
	h_close(&dc);
	h_close(&ctl);
}

static void test_control_nonce_for_claimed_connection_id_is_challenged(void **state)
{
	struct turnc ctl, dc, dc2;
	struct turnc_req q = {.method = TURN_CONNECTION_BIND, .auth = TURNC_AUTH_MD5};

	(void)state;
	q.connection_id = control_connect(&ctl);
	assert_code(with_control_nonce(&dc, &ctl, &q), 0);
	assert_code(with_control_nonce(&dc2, &ctl, &q), STUN_ERR_STALE_NONCE);
	h_close(&dc2);
	h_close(&dc);
	h_close(&ctl);
}

static void test_control_nonce_on_allocate_from_new_connection_is_challenged(void **state)
{
	struct turnc ctl, other;
	struct turnc_req q = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP};

	(void)state;
	(void)control_connect(&ctl);
	assert_code(with_control_nonce(&other, &ctl, &q), STUN_ERR_STALE_NONCE);
	h_close(&other);
	h_close(&ctl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connection_bind_with_control_connection_nonce_succeeds),
	    cmocka_unit_test(test_control_nonce_for_unknown_connection_id_is_challenged),
	    cmocka_unit_test(test_control_nonce_for_claimed_connection_id_is_challenged),
	    cmocka_unit_test(test_control_nonce_on_allocate_from_new_connection_is_challenged),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
