/*
 * test_turnclient_tcprelay.c - the client library's RFC 6062 parts without
 * a server, over a loopback TCP connection the test drives: a
 * ConnectionAttempt indication is an event with its peer and CONNECTION-ID
 * (and one missing either, or with a CONNECTION-ID of the wrong length, is
 * counted as malformed, not delivered); after a ConnectionBind answer the
 * bytes that followed it and then the socket's come out of turnc_recv_raw()
 * as they are, -EAGAIN when there are none, 0 once the stream ends; and a
 * data connection that shares its control connection's credentials signs
 * its first request with that nonce and key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/turnclient.h"
#include "common/addr.h"
#include "stun/stun.h"
#include "stun/wire.h"

static const uint8_t tid1[STUN_TID_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};

/* A client connected over loopback TCP to a socket of the test: that socket. */
static int tcp_pair(struct turnc *c)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	int lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), sfd;

	assert_true(lfd >= 0);
	assert_int_equal(addr_parse("127.0.0.1", 0, &addr, NULL), 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&addr, sizeof(struct sockaddr_in)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&addr, &len), 0);
	assert_int_equal(turnc_open(c, (struct sockaddr *)&addr, NULL, true, 2000), 0);
	sfd = accept(lfd, NULL, NULL);
	assert_true(sfd >= 0);
	close(lfd);
	return sfd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* A ConnectionAttempt with the peer (when given) and a CONNECTION-ID of id_len bytes. */
static size_t connection_attempt(uint8_t *buf, size_t cap, const struct sockaddr *peer,
				 size_t id_len)
{
	static const uint8_t id[4] = {0x12, 0x34, 0x56, 0x78};
	struct stun_builder b;

	stun_build_start(&b, buf, cap, TURN_CONNECTION_ATTEMPT, STUN_INDICATION, tid1);
	if (peer)
		stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	if (id_len)
		stun_put(&b, STUN_ATTR_CONNECTION_ID, id, id_len);
	return stun_build_end(&b);
}

/* The next event within a second that is not NONE. */
static int next_event(struct turnc *c, struct turnc_event *ev)
{
	int type = TURNC_EV_NONE;

	for (int i = 0; i < 50 && type == TURNC_EV_NONE; i++)
		type = turnc_wait_event(c, ev, 20);
	return type;
}

static void test_connection_attempt_is_an_event_malformed_ones_counted(void **state)
{
	struct sockaddr_storage peer;
	struct turnc_event ev;
	struct turnc c;
	uint8_t buf[128];
	size_t n;
	int sfd;

	(void)state;
	sfd = tcp_pair(&c);
	assert_int_equal(addr_parse("192.0.2.9", 5000, &peer, NULL), 0);
	n = connection_attempt(buf, sizeof(buf), (struct sockaddr *)&peer, 4);
	send_all(sfd, buf, n);
	assert_int_equal(next_event(&c, &ev), TURNC_EV_CONNECTION_ATTEMPT);
	assert_int_equal(ev.connection_id, 0x12345678);
	assert_true(addr_equal((struct sockaddr *)&ev.peer, (struct sockaddr *)&peer));
	assert_int_equal(c.malformed, 0);
	/* no CONNECTION-ID, one of 2 bytes, no peer: counted, never an event */
	n = connection_attempt(buf, sizeof(buf), (struct sockaddr *)&peer, 0);
	send_all(sfd, buf, n);
	n = connection_attempt(buf, sizeof(buf), (struct sockaddr *)&peer, 2);
	send_all(sfd, buf, n);
	n = connection_attempt(buf, sizeof(buf), NULL, 4);
	send_all(sfd, buf, n);
	for (int i = 0; i < 100 && c.malformed < 3; i++)
		assert_int_not_equal(turnc_wait_event(&c, &ev, 20), TURNC_EV_CONNECTION_ATTEMPT);
	assert_int_equal(c.malformed, 3);
	turnc_close(&c);
	close(sfd);
}

static void test_raw_bytes_after_bind_answer_then_socket_then_end(void **state)
{
	struct turnc_req q = {.method = TURN_CONNECTION_BIND, .connection_id = 7};
	struct stun_builder b;
	struct turnc c;
	uint8_t req[256], resp[128], out[64];
	ssize_t n;
	size_t rlen;
	int sfd;

	(void)state;
	sfd = tcp_pair(&c);
	assert_int_equal(turnc_start_request(&c, &q, turnc_now_us()), 0);
	n = recv(sfd, req, sizeof(req), 0);
	assert_true(n >= STUN_HEADER_LEN);
	/* the success answer and the peer's first bytes in one write */
	stun_build_start(&b, resp, sizeof(resp), TURN_CONNECTION_BIND, STUN_SUCCESS, req + 8);
	rlen = stun_build_end(&b);
	memcpy(resp + rlen, "peer", 4);
	send_all(sfd, resp, rlen + 4);
	assert_int_equal(turnc_wait(&c), 0);
	assert_true(turnc_raw_buffered(&c));
	assert_int_equal(turnc_recv_raw(&c, out, sizeof(out)), 4);
	assert_memory_equal(out, "peer", 4);
	assert_false(turnc_raw_buffered(&c));
	assert_int_equal(turnc_recv_raw(&c, out, sizeof(out)), -EAGAIN);
	/* bytes that look like STUN are passed on as they are */
	send_all(sfd, resp, rlen);
	n = -EAGAIN;
	for (int i = 0; i < 100 && n == -EAGAIN; i++) {
		n = turnc_recv_raw(&c, out, sizeof(out));
		if (n == -EAGAIN)
			usleep(10000);
	}
	assert_int_equal(n, (ssize_t)rlen);
	assert_memory_equal(out, resp, rlen);
	close(sfd);
	n = -EAGAIN;
	for (int i = 0; i < 100 && n == -EAGAIN; i++) {
		n = turnc_recv_raw(&c, out, sizeof(out));
		if (n == -EAGAIN)
			usleep(10000);
	}
	assert_int_equal(n, 0);
	turnc_close(&c);
}

static void test_shared_auth_signs_first_request_with_control_nonce(void **state)
{
	static const char nonce[] = "obMatJos2AAAAQ-control-nonce";
	struct turnc_req alloc = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_AUTO, .transport = TURN_TRANSPORT_TCP};
	struct turnc_req bind = {
	    .method = TURN_CONNECTION_BIND, .auth = TURNC_AUTH_AUTO, .connection_id = 7};
	struct turnc ctl, dc;
	struct turnc_event ev;
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *a;
	uint8_t buf[512];
	ssize_t r;
	size_t n;
	int sfd;

	(void)state;
	memset(&dc, 0, sizeof(dc));
	dc.fd = -1;
	/* without a challenge a data connection's request goes out bare */
	n = turnc_build(&dc, &bind, buf, sizeof(buf));
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_null(stun_msg_find(&m, STUN_ATTR_NONCE));
	/* the control connection is challenged and answers with credentials */
	sfd = tcp_pair(&ctl);
	assert_int_equal(turnc_set_auth(&ctl, "alice", "alice-secret", NULL), 0);
	assert_int_equal(turnc_start_request(&ctl, &alloc, turnc_now_us()), 0);
	r = recv(sfd, buf, sizeof(buf), 0);
	assert_true(r >= STUN_HEADER_LEN);
	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_ERROR, buf + 8);
	stun_put_error(&b, STUN_ERR_UNAUTHORIZED, "Unauthorized");
	stun_put_str(&b, STUN_ATTR_REALM, "unit.realm");
	stun_put_str(&b, STUN_ATTR_NONCE, nonce);
	n = stun_build_end(&b);
	send_all(sfd, buf, n);
	for (int i = 0; i < 50 && !ctl.authed; i++)
		assert_int_not_equal(turnc_wait_event(&ctl, &ev, 20), TURNC_EV_ERROR);
	assert_true(ctl.authed);
	/* the data connection's first request carries that nonce, signed with that key */
	turnc_share_auth(&dc, &ctl);
	n = turnc_build(&dc, &bind, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	a = stun_msg_find(&m, STUN_ATTR_NONCE);
	assert_non_null(a);
	assert_int_equal(a->len, strlen(nonce));
	assert_memory_equal(a->val, nonce, a->len);
	a = stun_msg_find(&m, STUN_ATTR_USERNAME);
	assert_non_null(a);
	assert_int_equal(a->len, 5);
	assert_memory_equal(a->val, "alice", 5);
	assert_int_equal(stun_msg_check_integrity(&m, ctl.key, (size_t)ctl.key_len), 0);
	turnc_close(&ctl);
	close(sfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_connection_attempt_is_an_event_malformed_ones_counted),
	    cmocka_unit_test(test_raw_bytes_after_bind_answer_then_socket_then_end),
	    cmocka_unit_test(test_shared_auth_signs_first_request_with_control_nonce),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
