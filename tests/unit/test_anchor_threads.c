/*
 * test_anchor_threads.c - the anchor's media on several threads
 * (anchor-num-threads, anchor.c's shards), with the threads running: two
 * calls land on different media threads, each call's datagrams are read
 * and counted by its own thread, and a thread held up (its lock taken, as
 * a DTLS handshake or an SRTP context set-up on that thread holds it)
 * delays only its own calls: the other thread's call keeps forwarding,
 * and the held call's media goes on once the thread is free again.
 */
#include <sys/time.h>

#include "anchor_test.h"

static int pb2 = -1; /* the second call's B, 127.0.0.5 */

static int threads_setup(void **state)
{
	anchor_test_threads = "2";
	setup(state);
	pb2 = party_socket("127.0.0.5");
	assert_int_equal(anchor_start(an), 0);
	return 0;
}

static int threads_teardown(void **state)
{
	close(pb2);
	return teardown(state);
}

/* An offer or answer of call_id through the control path's commit; the anchor's port. */
static uint16_t commit(const char *call_id, bool offer, int party)
{
	struct ng_request req;
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	union sockaddr_u me;
	socklen_t len = sizeof(me);
	char sdp[512], ip[64];

	getsockname(party, &me.sa, &len);
	inet_ntop(AF_INET, &me.in.sin_addr, ip, sizeof(ip));
	party_sdp(sdp, sizeof(sdp), ip, port_of(party), NULL, NULL);
	signal_req(&req, offer, "A", offer ? NULL : "B", sdp, ANCHOR_ICE_REMOVE);
	req.call_id = call_id;
	anchor_commit(an, &req, d, reply);
	return sdp_reply_port(d, reply);
}

static struct anchor_shard *shard_of(const char *call_id)
{
	struct call *c;

	pthread_mutex_lock(&an->lock);
	c = call_find(an, call_id);
	pthread_mutex_unlock(&an->lock);
	assert_non_null(c);
	return c->sh;
}

/* One RTP datagram arrives at fd within ms, or not. */
static bool recv_rtp(int fd, int ms)
{
	struct timeval tv = {.tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000};
	uint8_t buf[2048];

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			return false;
		if (n > 0 && buf[0] == 0x80)
			return true;
	}
}

static void send_rtp(int fd, uint16_t port, uint16_t seq)
{
	uint8_t pkt[172] = {0x80, 0x00};

	pkt[2] = (uint8_t)(seq >> 8);
	pkt[3] = (uint8_t)seq;
	pkt[11] = 0x42;
	send_to(fd, port, pkt, sizeof(pkt));
}

/* Under the shard's lock: a datagram received is counted by then (same locked turn). */
static uint64_t forwarded(struct anchor_shard *sh)
{
	uint64_t n;

	pthread_mutex_lock(&sh->lock);
	n = sh->stats.packets_user;
	pthread_mutex_unlock(&sh->lock);
	return n;
}

/* the generous bound of a datagram that must arrive (a loaded 2-core machine) */
#define ARRIVES_MS 5000

static void test_calls_on_their_own_threads(void **state)
{
	uint16_t a1, a2;
	struct anchor_shard *s1, *s2;
	uint64_t n1, n2, held1;
	int ok2 = 0;
	bool early1;

	(void)state;
	assert_int_equal(an->nshards, 2);
	/* the answer's SDP, going to A, has the anchor's port A sends to */
	commit("call-1", true, pa);
	a1 = commit("call-1", false, pb);
	commit("call-2", true, pa2);
	a2 = commit("call-2", false, pb2);
	s1 = shard_of("call-1");
	s2 = shard_of("call-2");
	/* the fewest calls first: two calls, two threads */
	assert_ptr_not_equal(s1, s2);

	/* call 1's datagram is read, forwarded and counted by its thread only */
	n1 = forwarded(s1);
	n2 = forwarded(s2);
	send_rtp(pa, a1, 1);
	assert_true(recv_rtp(pb, ARRIVES_MS));
	assert_int_equal(forwarded(s1), n1 + 1);
	assert_int_equal(forwarded(s2), n2);
	send_rtp(pa2, a2, 1);
	assert_true(recv_rtp(pb2, ARRIVES_MS));
	assert_int_equal(forwarded(s2), n2 + 1);
	assert_int_equal(forwarded(s1), n1 + 1);

	/*
	 * Call 1's thread held up (its lock taken, as a DTLS handshake or an
	 * SRTP context set-up on it holds it): call 2 forwards all the while.
	 */
	pthread_mutex_lock(&s1->lock);
	send_rtp(pa, a1, 2);
	for (uint16_t seq = 2; seq < 12 && ok2 == seq - 2; seq++) {
		send_rtp(pa2, a2, seq);
		ok2 += recv_rtp(pb2, ARRIVES_MS);
	}
	/* call 1's own datagram waits for its thread */
	early1 = recv_rtp(pb, 100);
	held1 = s1->stats.packets_user; /* the lock is ours */
	/* released before any verdict: a failed check must not leave the thread stuck */
	pthread_mutex_unlock(&s1->lock);
	assert_int_equal(ok2, 10);
	assert_false(early1);
	assert_int_equal(held1, n1 + 1);
	assert_true(recv_rtp(pb, ARRIVES_MS));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_calls_on_their_own_threads, threads_setup,
					    threads_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
