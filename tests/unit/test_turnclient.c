/*
 * test_turnclient.c - src/client/turnclient*.c without a server: requests
 * built from a struct turnc_req in each auth mode (exactly the credentials
 * the mode names, keys that verify), the outcome code of an answer, the
 * challenge kept as it is, and over loopback sockets the test drives: TCP
 * stream framing (padding, frames split across reads, the bytes after the
 * last frame), malformed ChannelData counted, and a request nobody answers
 * retransmitted unchanged until the deadline of turnc_set_timing().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client/turnclient.h"
#include "common/addr.h"
#include "stun/stun.h"
#include "stun/wire.h"

#define USER "alice"
#define PASS "alice-secret"
#define REALM "unit.realm"
#define NONCE "obMatJos2AAAAQ-nonce"

static const uint8_t tid0[STUN_TID_LEN] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};

/* A 401 with REALM, NONCE and PASSWORD-ALGORITHMS (MD5, SHA-256) into buf. */
static size_t challenge(uint8_t *buf, size_t cap, const char *realm, const char *nonce)
{
	static const uint8_t algs[8] = {0, 1, 0, 0, 0, 2, 0, 0};
	struct stun_builder b;

	stun_build_start(&b, buf, cap, TURN_ALLOCATE, STUN_ERROR, tid0);
	stun_put_error(&b, STUN_ERR_UNAUTHORIZED, "Unauthorized");
	stun_put_str(&b, STUN_ATTR_REALM, realm);
	stun_put_str(&b, STUN_ATTR_NONCE, nonce);
	stun_put(&b, STUN_ATTR_PASSWORD_ALGORITHMS, algs, sizeof(algs));
	return stun_build_end(&b);
}

/* A connection that never opened a socket, with alice's credentials and a challenge. */
static void client_with_challenge(struct turnc *c)
{
	uint8_t buf[512];
	struct stun_msg m;
	size_t n;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	assert_int_equal(turnc_set_auth(c, USER, PASS, NULL), 0);
	n = challenge(buf, sizeof(buf), REALM, NONCE);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	turnc_keep_challenge(c, &m);
}

static void build_parse(struct turnc *c, const struct turnc_req *q, uint8_t *buf, size_t cap,
			struct stun_msg *m)
{
	size_t n = turnc_build(c, q, buf, cap);

	assert_true(n > 0);
	assert_int_equal(stun_msg_parse(m, buf, n), STUN_PARSE_OK);
	assert_int_equal(m->method, q->method);
	assert_int_equal(m->cls, STUN_REQUEST);
}

/* q built by a client_with_challenge() into buf and parsed into m. */
static void challenged_build(struct turnc *c, const struct turnc_req *q, uint8_t *buf, size_t cap,
			     struct stun_msg *m)
{
	client_with_challenge(c);
	build_parse(c, q, buf, cap, m);
}

static void assert_attr_str(const struct stun_msg *m, uint16_t type, const char *want)
{
	const struct stun_attr *a = stun_msg_find(m, type);

	assert_non_null(a);
	assert_int_equal(a->len, strlen(want));
	assert_memory_equal(a->val, want, a->len);
}

static void test_request_attributes_in_order_and_fingerprint_on_request(void **state)
{
	struct sockaddr_storage p1, p2;
	struct turnc_req q = {.method = TURN_ALLOCATE,
			      .transport = TURN_TRANSPORT_UDP,
			      .family = STUN_FAMILY_IPV4,
			      .additional_family = STUN_FAMILY_IPV6,
			      .even_port = true,
			      .even_port_r = true,
			      .dont_fragment = true,
			      .token = 0x0102030405060708ull,
			      .has_lifetime = true,
			      .lifetime_s = 0,
			      .peer = {&p1, &p2},
			      .channel = 0x4001,
			      .unknown_attr = 0x7FF0,
			      .connection_id = 77};
	static const uint16_t order[] = {STUN_ATTR_REQUESTED_TRANSPORT,
					 STUN_ATTR_REQUESTED_ADDRESS_FAMILY,
					 STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY,
					 STUN_ATTR_EVEN_PORT,
					 STUN_ATTR_DONT_FRAGMENT,
					 STUN_ATTR_RESERVATION_TOKEN,
					 STUN_ATTR_LIFETIME,
					 STUN_ATTR_CHANNEL_NUMBER,
					 STUN_ATTR_XOR_PEER_ADDRESS,
					 STUN_ATTR_XOR_PEER_ADDRESS,
					 STUN_ATTR_CONNECTION_ID,
					 0x7FF0};
	struct sockaddr_storage got;
	uint8_t buf[512];
	struct stun_msg m;
	struct turnc c;
	uint32_t v = 1;

	(void)state;
	assert_int_equal(addr_parse("192.0.2.1", 5000, &p1, NULL), 0);
	assert_int_equal(addr_parse("2001:db8::1", 6000, &p2, NULL), 0);
	challenged_build(&c, &q, buf, sizeof(buf), &m);
	assert_int_equal(m.nattrs, (int)(sizeof(order) / sizeof(order[0])));
	for (int i = 0; i < m.nattrs; i++)
		assert_int_equal(m.attrs[i].type, order[i]);
	assert_int_equal(stun_attr_u32(stun_msg_find(&m, STUN_ATTR_LIFETIME), &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(stun_attr_xor_addr(&m, &m.attrs[9], &got), 0);
	assert_true(addr_equal((struct sockaddr *)&got, (struct sockaddr *)&p2));
	assert_false(c.req_signed);
	assert_true(m.fp_idx < 0);
	/* a FINGERPRINT only when asked for, and last */
	q.fingerprint = true;
	build_parse(&c, &q, buf, sizeof(buf), &m);
	assert_int_equal(m.fp_idx, m.nattrs - 1);
	assert_true(stun_msg_check_fingerprint(&m));
}

static void test_md5_mode_carries_username_realm_nonce_and_mi(void **state)
{
	struct turnc_req q = {.method = TURN_REFRESH, .auth = TURNC_AUTH_MD5};
	uint8_t buf[512], key[32];
	struct stun_msg m;
	struct turnc c;
	int len;

	(void)state;
	challenged_build(&c, &q, buf, sizeof(buf), &m);
	assert_true(c.req_signed);
	assert_attr_str(&m, STUN_ATTR_USERNAME, USER);
	assert_attr_str(&m, STUN_ATTR_REALM, REALM);
	assert_attr_str(&m, STUN_ATTR_NONCE, NONCE);
	assert_null(stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHMS));
	assert_null(stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHM));
	assert_true(m.mi256_idx < 0);
	len = stun_lt_key(STUN_PW_ALG_MD5, USER, REALM, PASS, key);
	assert_int_equal(len, 16);
	assert_int_equal(c.key_len, len);
	assert_int_equal(stun_msg_check_integrity(&m, key, (size_t)len), 0);
}

static void test_sha256_modes_with_and_without_the_list(void **state)
{
	struct turnc_req q = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_SHA256, .transport = TURN_TRANSPORT_UDP};
	uint8_t buf[512], key[32];
	const struct stun_attr *a;
	struct stun_msg m;
	struct turnc c;

	(void)state;
	challenged_build(&c, &q, buf, sizeof(buf), &m);
	a = stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHMS);
	assert_non_null(a);
	assert_int_equal(a->len, 8); /* the server's list, echoed */
	a = stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHM);
	assert_non_null(a);
	assert_int_equal(wire_get16(a->val), STUN_PW_ALG_SHA256);
	assert_true(m.mi_idx < 0);
	assert_int_equal(stun_lt_key(STUN_PW_ALG_SHA256, USER, REALM, PASS, key), 32);
	assert_int_equal(c.key_len, 32);
	assert_int_equal(stun_msg_check_integrity_sha256(&m, key, 32), 0);

	q.auth = TURNC_AUTH_SHA256_NO_LIST;
	build_parse(&c, &q, buf, sizeof(buf), &m);
	assert_null(stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHMS));
	assert_non_null(stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHM));
	assert_int_equal(stun_msg_check_integrity_sha256(&m, key, 32), 0);
}

static void test_userhash_mode_replaces_username(void **state)
{
	struct turnc_req q = {.method = TURN_ALLOCATE, .auth = TURNC_AUTH_USERHASH};
	uint8_t buf[512], hash[32], key[32];
	const struct stun_attr *a;
	struct stun_msg m;
	struct turnc c;

	(void)state;
	challenged_build(&c, &q, buf, sizeof(buf), &m);
	assert_null(stun_msg_find(&m, STUN_ATTR_USERNAME));
	a = stun_msg_find(&m, STUN_ATTR_USERHASH);
	assert_non_null(a);
	stun_userhash(USER, REALM, hash);
	assert_int_equal(a->len, sizeof(hash));
	assert_memory_equal(a->val, hash, sizeof(hash));
	assert_int_equal(stun_lt_key(STUN_PW_ALG_MD5, USER, REALM, PASS, key), 16);
	assert_int_equal(stun_msg_check_integrity(&m, key, 16), 0);
}

static void test_no_credentials_without_nonce_or_in_none_mode(void **state)
{
	struct turnc_req q = {.method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5};
	uint8_t buf[512];
	struct stun_msg m;
	struct turnc c;

	(void)state;
	/* no challenge yet: the request goes out bare to fetch one */
	memset(&c, 0, sizeof(c));
	assert_int_equal(turnc_set_auth(&c, USER, PASS, NULL), 0);
	build_parse(&c, &q, buf, sizeof(buf), &m);
	assert_int_equal(m.nattrs, 0);
	assert_false(c.req_signed);
	/* NONE after a challenge; AUTO before the library itself took one */
	client_with_challenge(&c);
	q.auth = TURNC_AUTH_NONE;
	build_parse(&c, &q, buf, sizeof(buf), &m);
	assert_int_equal(m.nattrs, 0);
	q.auth = TURNC_AUTH_AUTO;
	build_parse(&c, &q, buf, sizeof(buf), &m);
	assert_int_equal(m.nattrs, 0);
	assert_false(c.req_signed);
}

static void test_msg_result_codes(void **state)
{
	uint8_t buf[256];
	struct stun_builder b;
	struct stun_msg m;
	size_t n;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid0);
	n = stun_build_end(&b);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_int_equal(turnc_msg_result(&m), 0);
	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_ERROR, tid0);
	stun_put_error(&b, STUN_ERR_STALE_NONCE, "Stale Nonce");
	n = stun_build_end(&b);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_int_equal(turnc_msg_result(&m), STUN_ERR_STALE_NONCE);
	/* an error without ERROR-CODE, a request, an indication: malformed answers */
	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_ERROR, tid0);
	n = stun_build_end(&b);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_int_equal(turnc_msg_result(&m), -EPROTO);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid0);
	n = stun_build_end(&b);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_int_equal(turnc_msg_result(&m), -EPROTO);
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid0);
	n = stun_build_end(&b);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_int_equal(turnc_msg_result(&m), -EPROTO);
}

static void test_keep_challenge_bounds_and_fixed_realm(void **state)
{
	char long_realm[TURNC_REALM_MAX + 8];
	uint8_t buf[1024];
	struct stun_msg m;
	struct turnc c;
	size_t n;

	(void)state;
	client_with_challenge(&c);
	/* a realm too long for the buffer is not taken; the nonce is */
	memset(long_realm, 'r', sizeof(long_realm) - 1);
	long_realm[sizeof(long_realm) - 1] = '\0';
	n = challenge(buf, sizeof(buf), long_realm, "second-nonce");
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	turnc_keep_challenge(&c, &m);
	assert_string_equal(c.realm, REALM);
	assert_int_equal(c.nonce_len, strlen("second-nonce"));
	assert_memory_equal(c.nonce, "second-nonce", c.nonce_len);
	/* a realm given by the user stays */
	assert_int_equal(turnc_set_auth(&c, USER, PASS, "mine"), 0);
	n = challenge(buf, sizeof(buf), "theirs", NONCE);
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	turnc_keep_challenge(&c, &m);
	assert_string_equal(c.realm, "mine");
	assert_int_equal(c.nonce_len, strlen(NONCE));
}

/* Loopback sockets the test drives */

/* A TCP listener on 127.0.0.1: its fd, the address in *addr. */
static int listen_tcp(struct sockaddr_storage *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(addr_parse("127.0.0.1", 0, addr, NULL), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)addr, addr_len((struct sockaddr *)addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)addr, &len), 0);
	return fd;
}

/* A UDP socket on 127.0.0.1 standing in for a server, and a client connected to it. */
static int udp_server_and_client(struct turnc *c)
{
	struct sockaddr_storage addr;
	socklen_t len = sizeof(addr);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_int_equal(addr_parse("127.0.0.1", 0, &addr, NULL), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(struct sockaddr_in)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &len), 0);
	assert_int_equal(turnc_open(c, (struct sockaddr *)&addr, NULL, false, 2000), 0);
	return fd;
}

static void send_all(int fd, const void *buf, size_t len)
{
	assert_int_equal(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void test_tcp_frames_padding_split_reads_and_leftover(void **state)
{
	struct sockaddr_storage addr;
	uint8_t cd[12], msg[64], out[128];
	struct turnc_event ev;
	struct stun_builder b;
	struct turnc c;
	int lfd, sfd, n;
	size_t mlen;

	(void)state;
	lfd = listen_tcp(&addr);
	assert_int_equal(turnc_open(&c, (struct sockaddr *)&addr, NULL, true, 2000), 0);
	sfd = accept(lfd, NULL, NULL);
	assert_true(sfd >= 0);
	/* ChannelData of 5 bytes padded to 8 (RFC 8656 §12.5), sent in two pieces */
	memset(cd, 0, sizeof(cd));
	turn_channeldata_header(cd, 0x4000, 5);
	memcpy(cd + 4, "hello", 5);
	send_all(sfd, cd, 3);
	assert_int_equal(turnc_recv_frame(&c, out, sizeof(out), 50), 0);
	send_all(sfd, cd + 3, 9);
	assert_true(turnc_wait_event(&c, &ev, 2000) == TURNC_EV_DATA);
	assert_int_equal(ev.channel, 0x4000);
	assert_int_equal(ev.len, 5);
	assert_memory_equal(ev.data, "hello", 5);
	assert_int_equal(ev.frame_len, 12);
	/* a STUN message and raw bytes after it in one write */
	stun_build_start(&b, msg, sizeof(msg), STUN_BINDING, STUN_INDICATION, tid0);
	mlen = stun_build_end(&b);
	memcpy(msg + mlen, "raw!", 4);
	send_all(sfd, msg, mlen + 4);
	n = turnc_recv_frame(&c, out, sizeof(out), 2000);
	assert_int_equal(n, (int)mlen);
	assert_memory_equal(out, msg, mlen);
	assert_int_equal(turnc_take_buffered(&c, out, sizeof(out)), 4);
	assert_memory_equal(out, "raw!", 4);
	assert_int_equal(turnc_take_buffered(&c, out, sizeof(out)), 0);
	/* the other side closes */
	close(sfd);
	assert_int_equal(turnc_recv_frame(&c, out, sizeof(out), 2000), -ECONNRESET);
	turnc_close(&c);
	close(lfd);
}

static void test_udp_malformed_channeldata_is_counted_not_delivered(void **state)
{
	struct turnc_event ev;
	struct turnc c;
	uint8_t cd[8];
	int sfd;

	(void)state;
	sfd = udp_server_and_client(&c);
	/* claims 100 bytes, carries 4 */
	turn_channeldata_header(cd, 0x4000, 100);
	memcpy(cd + 4, "abcd", 4);
	assert_int_equal(
	    sendto(sfd, cd, sizeof(cd), 0, (struct sockaddr *)&c.local, sizeof(struct sockaddr_in)),
	    (ssize_t)sizeof(cd));
	for (int i = 0; i < 100 && !c.malformed; i++)
		assert_int_not_equal(turnc_wait_event(&c, &ev, 20), TURNC_EV_DATA);
	assert_int_equal(c.malformed, 1);
	assert_true(c.dropped >= 1);
	turnc_close(&c);
	close(sfd);
}

/* A Data indication with XOR-PEER-ADDRESS and an ICMP value of icmp_len bytes to c. */
static void send_icmp_indication(int sfd, const struct turnc *c, const struct sockaddr *peer,
				 size_t icmp_len)
{
	static const uint8_t icmp[12] = {0, 0, 3 << 1, 4, 0, 0, 0x05, 0x78};
	uint8_t msg[128];
	struct stun_builder b;
	size_t n;

	stun_build_start(&b, msg, sizeof(msg), TURN_DATA, STUN_INDICATION, tid0);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	stun_put(&b, STUN_ATTR_ICMP, icmp, icmp_len);
	n = stun_build_end(&b);
	assert_true(n > 0);
	assert_int_equal(sendto(sfd, msg, n, 0, (const struct sockaddr *)&c->local,
				sizeof(struct sockaddr_in)),
			 (ssize_t)n);
}

/* RFC 8656 §11.5: ICMP and XOR-PEER-ADDRESS without DATA is an ICMP event. */
static void test_udp_icmp_indication_is_an_icmp_event(void **state)
{
	struct sockaddr_storage peer;
	struct turnc_event ev;
	struct turnc c;
	int sfd, type = TURNC_EV_NONE;

	(void)state;
	sfd = udp_server_and_client(&c);
	assert_int_equal(addr_parse("192.0.2.7", 4000, &peer, NULL), 0);
	send_icmp_indication(sfd, &c, (struct sockaddr *)&peer, 8);
	for (int i = 0; i < 100 && type != TURNC_EV_ICMP; i++)
		type = turnc_wait_event(&c, &ev, 20);
	assert_int_equal(type, TURNC_EV_ICMP);
	assert_int_equal(ev.icmp.type, 3);
	assert_int_equal(ev.icmp.code, 4);
	assert_int_equal(ev.icmp.error_data, 1400);
	assert_true(addr_equal((struct sockaddr *)&ev.peer, (struct sockaddr *)&peer));
	assert_int_equal(c.malformed, 0);
	/* an ICMP value of the wrong length is counted, not delivered */
	send_icmp_indication(sfd, &c, (struct sockaddr *)&peer, 4);
	for (int i = 0; i < 100 && !c.malformed; i++)
		assert_int_not_equal(turnc_wait_event(&c, &ev, 20), TURNC_EV_ICMP);
	assert_int_equal(c.malformed, 1);
	turnc_close(&c);
	close(sfd);
}

static void test_unanswered_request_is_retransmitted_unchanged_until_deadline(void **state)
{
	struct turnc_req q = {.method = STUN_BINDING};
	uint8_t first[128], again[128];
	struct pollfd pfd;
	struct turnc c;
	ssize_t n1, n2;
	int sfd;

	(void)state;
	sfd = udp_server_and_client(&c);
	turnc_set_timing(&c, 10, 600);
	assert_int_equal(turnc_request(&c, &q), -ETIMEDOUT);
	assert_null(turnc_response(&c));
	/* the first send and at least one retransmission, byte for byte the same */
	pfd = (struct pollfd){.fd = sfd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 0), 1);
	n1 = recv(sfd, first, sizeof(first), MSG_DONTWAIT);
	n2 = recv(sfd, again, sizeof(again), MSG_DONTWAIT);
	assert_true(n1 >= STUN_HEADER_LEN);
	assert_int_equal(n2, n1);
	assert_memory_equal(again, first, (size_t)n1);
	turnc_close(&c);
	close(sfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_attributes_in_order_and_fingerprint_on_request),
	    cmocka_unit_test(test_md5_mode_carries_username_realm_nonce_and_mi),
	    cmocka_unit_test(test_sha256_modes_with_and_without_the_list),
	    cmocka_unit_test(test_userhash_mode_replaces_username),
	    cmocka_unit_test(test_no_credentials_without_nonce_or_in_none_mode),
	    cmocka_unit_test(test_msg_result_codes),
	    cmocka_unit_test(test_keep_challenge_bounds_and_fixed_realm),
	    cmocka_unit_test(test_tcp_frames_padding_split_reads_and_leftover),
	    cmocka_unit_test(test_udp_malformed_channeldata_is_counted_not_delivered),
	    cmocka_unit_test(test_udp_icmp_indication_is_an_icmp_event),
	    cmocka_unit_test(test_unanswered_request_is_retransmitted_unchanged_until_deadline),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
