/*
 * anchor_test.h - an anchor for unit tests of its media path, driven the
 * way its thread drives it: made with anchor_new() (thread not started) on
 * 127.0.0.1 with its engine (anchor_test_engine, NULL: the null engine),
 * ng requests through call_offer() and call_answer(), datagrams from the
 * parties' real loopback sockets (A 127.0.0.2, B 127.0.0.3, A moved
 * 127.0.0.4) read by one non-blocking turn of its event loop. One call,
 * "dest-call". Static functions only; one anchor per test program.
 */
#ifndef TESTS_UNIT_ANCHOR_TEST_H
#define TESTS_UNIT_ANCHOR_TEST_H

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include <cmocka.h>

#include "anchor/anchor_internal.h"
#include "common/addr.h"
#include "common/config.h"
#include "stun/stun.h"


#define A_UFRAG "aaaa"
#define A_PWD "aaaaaaaaaaaaaaaaaaaaaaaaaa"
#define A_UFRAG2 "bbbb"
#define A_PWD2 "bbbbbbbbbbbbbbbbbbbbbbbbbb"

static struct config cfg;
static struct relay rl;
static struct anchor *an;
static int pa = -1, pb = -1, pa2 = -1; /* party A, party B, A moved; the anchor is 127.0.0.1 */
static unsigned int ports_held;

static inline int budget_take(void *ctx, unsigned int n)
{
	(void)ctx;
	ports_held += n;
	return 0;
}

static inline void budget_release(void *ctx, unsigned int n)
{
	(void)ctx;
	ports_held -= n;
}

static inline unsigned int budget_max(void *ctx)
{
	(void)ctx;
	return 1000;
}

static inline int party_socket(const char *ip)
{
	union sockaddr_u a;
	struct timeval tv = {.tv_sec = 0, .tv_usec = 20000};
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &a.in.sin_addr), 1);
	assert_int_equal(bind(fd, &a.sa, sizeof(a.in)), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

static inline uint16_t port_of(int fd)
{
	union sockaddr_u u;
	socklen_t len = sizeof(u);

	assert_int_equal(getsockname(fd, &u.sa, &len), 0);
	return addr_port(&u.sa);
}

static const struct relay_engine_ops *anchor_test_engine;
static const char *anchor_test_threads = "1"; /* anchor-num-threads */

/* The tests' anchor has one media thread (anchor_test_threads), not started (but in test_anchor_threads). */
#define SH0 (&an->shards[0])

/* What a commit holds (anchor_commit()): the control lock and the shard's; new calls go there. */
static inline void test_lock(void)
{
	pthread_mutex_lock(&an->lock);
	pthread_mutex_lock(&SH0->lock);
	an->new_call_shard = SH0;
}

static inline void test_unlock(void)
{
	an->new_call_shard = NULL;
	pthread_mutex_unlock(&SH0->lock);
	pthread_mutex_unlock(&an->lock);
}

static inline int setup(void **state)
{
	struct anchor_port_budget b = {budget_take, budget_release, budget_max, NULL};
	char err[256], ng[64];
	int probe = party_socket("127.0.0.1");

	(void)state;
	snprintf(ng, sizeof(ng), "127.0.0.1:%u", port_of(probe));
	close(probe);
	config_init(&cfg);
	assert_int_equal(config_set(&cfg, "relay-ip", "127.0.0.1", err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "min-port", "43000", err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "max-port", "43999", err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "allow-loopback-peers", "true", err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "anchor-ng-listen", ng, err, sizeof(err)), 0);
	assert_int_equal(config_set(&cfg, "anchor-num-threads", anchor_test_threads, err, sizeof(err)),
			 0);
	memset(&rl, 0, sizeof(rl));
	rl.cfg = &cfg;
	assert_int_equal(relay_pick_addrs(&rl), 0);
	assert_int_equal(relay_setup_policy(&rl, err, sizeof(err)), 0);
	rl.engine.ops = anchor_test_engine;
	an = anchor_new(&rl, &cfg, &b, err, sizeof(err));
	assert_non_null(an);
	pa = party_socket("127.0.0.2");
	pb = party_socket("127.0.0.3");
	pa2 = party_socket("127.0.0.4");
	return 0;
}

static inline int teardown(void **state)
{
	(void)state;
	anchor_free(an);
	close(pa);
	close(pb);
	close(pa2);
	assert_int_equal(ports_held, 0);
	config_free(&cfg);
	return 0;
}

/* An SDP of one audio stream at ip:port, with ICE lines when ufrag is set. */
static inline void party_sdp(char *out, size_t cap, const char *ip, uint16_t port, const char *ufrag,
		      const char *pwd)
{
	int n = snprintf(out, cap,
			 "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
			 "m=audio %u RTP/AVP 0\r\na=rtcp-mux\r\n",
			 ip, ip, port);

	if (ufrag)
		snprintf(out + n, cap - (size_t)n,
			 "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
			 "a=candidate:1 1 UDP 2130706431 %s %u typ host\r\n",
			 ufrag, pwd, ip, port);
}

/* The request of an offer (to_tag NULL) or answer of "dest-call" with ICE=ice. */
static inline void signal_req(struct ng_request *req, bool offer, const char *from_tag,
			      const char *to_tag, const char *sdp, enum anchor_ice_mode ice)
{
	memset(req, 0, sizeof(*req));
	req->cmd = offer ? NG_OFFER : NG_ANSWER;
	req->call_id = "dest-call";
	req->from_tag = from_tag;
	req->to_tag = to_tag;
	req->sdp = sdp;
	req->sdp_len = strlen(sdp);
	req->ice = ice;
	req->ice_given = true;
}

/* call_offer() or call_answer() of req as the anchor's thread runs it: 0 or -1 with reason. */
static inline int signal_run(const struct ng_request *req, struct bdoc *d, struct bval *reply,
			     char *reason, size_t reasonlen)
{
	int rc;

	test_lock();
	anchor_clock(an);
	rc = req->cmd == NG_OFFER ? call_offer(an, req, d, reply, reason, reasonlen)
				  : call_answer(an, req, d, reply, reason, reasonlen);
	test_unlock();
	return rc;
}

/* The anchor's port in the SDP of a reply (the first m= line); frees d. */
static inline uint16_t sdp_reply_port(struct bdoc *d, struct bval *reply)
{
	const char *out = bval_dict_str(reply, "sdp");
	struct sdp *s = NULL;
	uint16_t port;

	assert_non_null(out);
	assert_int_equal(sdp_parse(out, strlen(out), &s, NULL, 0), 0);
	port = s->media[0].port;
	sdp_free(s);
	bdoc_free(d);
	return port;
}

/* An offer (to_tag NULL) or answer; returns the anchor's port in the SDP given back. */
static inline uint16_t signal(bool offer, const char *from_tag, const char *to_tag, const char *sdp,
		       enum anchor_ice_mode ice)
{
	struct ng_request req;
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	char reason[256];

	signal_req(&req, offer, from_tag, to_tag, sdp, ice);
	if (ice == ANCHOR_ICE_FORCE)
		req.ice_lite = "both"; /* the anchor lite toward the party: its check validates */
	assert_int_equal(signal_run(&req, d, reply, reason, sizeof(reason)), 0);
	return sdp_reply_port(d, reply);
}

/*
 * A's offer (with ICE lines when ufrag is set) and B's answer (ice toward A);
 * *to_a and *to_b (either may be NULL): the anchor's ports toward each.
 */
static inline void signal_call(const char *ufrag, const char *pwd, enum anchor_ice_mode ice,
			       uint16_t *to_a, uint16_t *to_b)
{
	char sdp[512];
	uint16_t a, b;

	party_sdp(sdp, sizeof(sdp), "127.0.0.2", port_of(pa), ufrag, pwd);
	b = signal(true, "A", NULL, sdp, ANCHOR_ICE_REMOVE);
	party_sdp(sdp, sizeof(sdp), "127.0.0.3", port_of(pb), NULL, NULL);
	a = signal(false, "A", "B", sdp, ice);
	if (to_a)
		*to_a = a;
	if (to_b)
		*to_b = b;
}

static inline void send_to(int fd, uint16_t port, const uint8_t *buf, size_t len)
{
	union sockaddr_u to;

	memset(&to, 0, sizeof(to));
	to.in.sin_family = AF_INET;
	to.in.sin_port = htons(port);
	to.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(sendto(fd, buf, len, 0, &to.sa, sizeof(to.in)), (ssize_t)len);
}

/* The anchor's thread, one turn: reads what arrived on its sockets. */
static inline void pump(void)
{
	uint64_t now;
	int events_ms;

	for (int i = 0; i < 3; i++) {
		media_poll(SH0, 0, &now, &events_ms);
		event_base_loop(SH0->base, EVLOOP_NONBLOCK);
	}
}

static inline void rtp(int fd, uint16_t port, uint16_t seq)
{
	uint8_t pkt[172] = {0x80, 0x00};

	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[11] = 0x42; /* SSRC */
	send_to(fd, port, pkt, sizeof(pkt));
	pump();
}

/* True when fd received an RTP datagram (STUN responses are skipped). */
static inline bool got_rtp(int fd)
{
	uint8_t buf[2048];
	ssize_t n;

	while ((n = recv(fd, buf, sizeof(buf), 0)) > 0)
		if (buf[0] == 0x80)
			return true;
	return false;
}

/* A Binding request from party A (controlling) to the anchor's lite agent toward it. */
static inline void check(int fd, uint16_t port, const char *a_ufrag, bool use_cand)
{
	const struct leg *l = &call_find(an, "dest-call")->legs[0];
	struct stun_builder b;
	uint8_t buf[512], tid[STUN_TID_LEN] = {1, 2, 3}, tb[8] = {7};
	char user[64];
	size_t n;

	snprintf(user, sizeof(user), "%s:%s", l->ufrag, a_ufrag);
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_str(&b, STUN_ATTR_USERNAME, user);
	stun_put_u32(&b, STUN_ATTR_PRIORITY, 0x6E7F1EFF);
	stun_put(&b, STUN_ATTR_ICE_CONTROLLING, tb, sizeof(tb));
	if (use_cand)
		stun_put(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_put_integrity(&b, (const uint8_t *)l->pwd, strlen(l->pwd));
	stun_put_fingerprint(&b);
	n = stun_build_end(&b);
	assert_true(n > 0);
	send_to(fd, port, buf, n);
	pump();
}

/*
 * An ICE call (A's ICE credentials, ICE=force toward A) in which A's check
 * reached the anchor, nominating when nominate, and B's first RTP went
 * toward A (read off A's socket).
 */
static inline void ice_call_checked(bool nominate, uint16_t *to_a, uint16_t *to_b)
{
	signal_call(A_UFRAG, A_PWD, ANCHOR_ICE_FORCE, to_a, to_b);
	check(pa, *to_a, A_UFRAG, nominate);
	rtp(pb, *to_b, 1);
	got_rtp(pa);
}

static inline struct stream *the_stream(void)
{
	struct call *c = call_find(an, "dest-call");

	assert_non_null(c);
	assert_true(c->nstreams >= 1);
	return c->streams[0];
}

static inline enum side_dest_kind kind(int side)
{
	return the_stream()->side[side].dest[0].kind;
}

static inline uint16_t dest_port(int side)
{
	return addr_port(&the_stream()->side[side].dest[0].to.addr.sa);
}

static inline void delete_call(void)
{
	struct call *c = call_find(an, "dest-call");

	if (c) {
		test_lock();
		call_free(c);
		test_unlock();
	}
}

#endif /* TESTS_UNIT_ANCHOR_TEST_H */
