/*
 * test_anchor_offload.c - anchored streams in the kernel (src/anchor/
 * offload.c) through a fake engine (fake_engine.h): which events install
 * and remove which entries (a latched call confirmed both ways, a re-offer
 * that moves a party, a forked answer, ICE nomination, consent loss, an ICE
 * restart, delete and timeout), what an entry is made of (the parties'
 * confirmed addresses, no STUN/DTLS forwarding so that consent checks and
 * DTLS still reach the anchor), the kernel's counters merged into the
 * stream and anchor counters with its last-seen time keeping the call from
 * anchor-timeout, the "kernelized" flag and media_kernel, a change seen on
 * a TURN worker applied by the anchor thread, the module going away, and
 * the joined leg a TURN allocation of this server gets when it is a
 * confirmed stream's party (relay_ports_join/joined).
 */
#include "anchor_test.h"
#include "fake_engine.h"

static int setup_fake(void **state)
{
	fake_reset();
	anchor_test_engine = &fake_ops;
	return setup(state);
}

static uint16_t leg_port(const struct relay_entry *e, int k, bool local)
{
	return addr_port((const struct sockaddr *)(local ? &e->leg[k].local : &e->leg[k].remote));
}

/* The only installed entry. */
static struct relay_entry *the_entry(void)
{
	assert_int_equal(fake_count(), 1);
	for (int i = 0; i < FAKE_MAX; i++)
		if (fake.entry[i].id)
			return &fake.entry[i];
	return NULL;
}

/* An offer from A and B's answer, plain RTP (ICE=remove); *to_a, *to_b: the anchor's ports. */
static void plain_call(uint16_t *to_a, uint16_t *to_b)
{
	signal_call(NULL, NULL, ANCHOR_ICE_REMOVE, to_a, to_b);
}

/* plain_call(), then a datagram each way: both sides latched, the stream confirmed. */
static void latched_call(uint16_t *to_a, uint16_t *to_b)
{
	plain_call(to_a, to_b);
	rtp(pa, *to_a, 1);
	rtp(pb, *to_b, 1);
	assert_true(got_rtp(pa));
	assert_true(got_rtp(pb));
}

static void poll_now(void)
{
	test_lock();
	anchor_shard_clock(SH0);
	anchor_offload_poll(SH0);
	test_unlock();
}

/* "kernelized" in the query of the call's first stream of tag A. */
static bool query_kernelized(void)
{
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	static uint8_t out[65536];
	long len;
	bool found;

	test_lock();
	ng_query_call(an, call_find(an, "dest-call"), d, reply);
	test_unlock();
	len = bval_write(reply, BFMT_BENCODE, out, sizeof(out));
	assert_true(len > 0);
	found = memmem(out, (size_t)len, "10:kernelized", 13) != NULL;
	bdoc_free(d);
	return found;
}

static int64_t stat_media_kernel(void)
{
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	const struct bval *s, *cur;
	int64_t v = -1;

	ng_statistics(an, d, reply);
	s = bval_dict_get(reply, "statistics");
	cur = s ? bval_dict_get(s, "currentstatistics") : NULL;
	s = cur ? bval_dict_get(cur, "media_kernel") : NULL;
	if (s)
		v = s->num;
	bdoc_free(d);
	return v;
}

/* Latching both ways installs one entry; re-offer, fork and delete remove it. */
static void test_latched_call_entry_follows_confirmed_state(void **state)
{
	uint16_t to_a, to_b;
	const struct relay_entry *e;
	char sdp[512];
	uint8_t dtls[40] = {22, 0xfe, 0xfd};
	uint64_t id;

	(void)state;
	assert_true(relay_engine_active(SH0->engine));
	plain_call(&to_a, &to_b);
	rtp(pa, to_a, 1);
	assert_true(got_rtp(pb));
	assert_int_equal(fake_count(), 0); /* only side 0 latched */
	assert_false(query_kernelized());
	assert_null(the_stream()->kernel); /* no entry, none allocated */
	rtp(pb, to_b, 1);
	assert_true(got_rtp(pa));
	assert_true(the_stream()->confirmed);

	/* one entry (rtcp-mux: RTP only): A's 5-tuple + B's, nothing forwarded past userspace's agents */
	e = the_entry();
	assert_int_equal(leg_port(e, 0, true), to_a);
	assert_int_equal(leg_port(e, 0, false), port_of(pa));
	assert_int_equal(leg_port(e, 1, true), to_b);
	assert_int_equal(leg_port(e, 1, false), port_of(pb));
	assert_int_equal(e->leg[0].flags, 0);
	assert_int_equal(e->leg[1].flags, 0);
	assert_int_equal(e->leg[0].dest.ss_family, 0);
	assert_int_equal(the_stream()->kernel[0].id, e->id);
	id = e->id;
	assert_true(query_kernelized());
	assert_int_equal(stat_media_kernel(), 1);

	/* DTLS (the module leaves it to userspace) is still forwarded end to end */
	send_to(pa, to_a, dtls, sizeof(dtls));
	pump();
	{
		uint8_t buf[64];

		assert_int_equal(recv(pb, buf, sizeof(buf), 0), (ssize_t)sizeof(dtls));
		assert_int_equal(buf[0], 22);
	}

	/* the same destinations again: nothing re-installed */
	test_lock();
	media_call_refresh(an, call_find(an, "dest-call"));
	test_unlock();
	assert_int_equal(fake.adds, 1);

	/* A re-offers from another host: the entry goes, B's media back in userspace */
	party_sdp(sdp, sizeof(sdp), "127.0.0.4", port_of(pa2), NULL, NULL);
	signal(true, "A", NULL, sdp, ANCHOR_ICE_REMOVE);
	assert_int_equal(fake_count(), 0);
	assert_int_equal(fake.last_del, id);
	assert_null(the_stream()->kernel); /* freed with its last entry */
	assert_false(query_kernelized());
	rtp(pb, to_b, 2);
	assert_true(got_rtp(pa2));

	/* A's new host latches: a new entry with its address */
	rtp(pa2, to_a, 2);
	assert_true(got_rtp(pb));
	assert_int_equal(leg_port(the_entry(), 0, false), port_of(pa2));

	/* a forked answer replaces B: out of the kernel until the new party latches */
	party_sdp(sdp, sizeof(sdp), "127.0.0.3", port_of(pb), NULL, NULL);
	signal(false, "A", "B2", sdp, ANCHOR_ICE_REMOVE);
	assert_int_equal(fake_count(), 0);
	rtp(pb, to_b, 3);
	got_rtp(pa2);
	assert_int_equal(fake_count(), 1);

	/* delete: nothing left in the kernel */
	delete_call();
	assert_int_equal(fake_count(), 0);
	assert_int_equal(fake.adds, fake.dels);
	got_rtp(pa);
	got_rtp(pa2);
	got_rtp(pb);
}

/* The kernel's counters reach the stream and the anchor; its last-seen time keeps the call. */
static void test_counters_merged_and_timeout_follows_last_seen(void **state)
{
	uint16_t to_a, to_b;
	struct relay_entry *e;
	struct call *c;
	uint64_t a_pkts, b_pkts, user;
	uint64_t idle = (uint64_t)cfg.anchor_timeout * 1000;

	(void)state;
	latched_call(&to_a, &to_b);
	e = the_entry();
	c = call_find(an, "dest-call");
	a_pkts = the_stream()->side[0].rtp.packets;
	b_pkts = the_stream()->side[1].rtp.packets;
	user = SH0->stats.packets_user;

	/* no userspace media for longer than anchor-timeout: the call would end */
	c->last_media_ms = clock_ms() - idle - 5000;
	assert_int_equal(call_end_reason(c, clock_ms(), idle, 0), CALL_IDLE_TIMEOUT);

	/* ... but the kernel forwarded A's media just now */
	e->leg[0].packets = 100;
	e->leg[0].bytes = 17200;
	e->leg[0].last_seen_ns = clock_ns();
	e->leg[1].packets = 40;
	e->leg[1].bytes = 6880;
	e->leg[1].last_seen_ns = clock_ns() - 2000000000ull;
	poll_now();
	assert_int_equal(call_end_reason(c, clock_ms(), idle, 0), CALL_LIVE);
	assert_int_equal(the_stream()->side[0].rtp.packets, a_pkts + 100);
	assert_int_equal(the_stream()->side[1].rtp.packets, b_pkts + 40);
	assert_int_equal(SH0->stats.packets_kernel, 140);
	assert_int_equal(SH0->stats.bytes_kernel, 17200 + 6880);
	assert_int_equal(SH0->stats.packets_user, user); /* nothing counted twice */
	assert_true(the_stream()->side[0].rtp.last_packet_ms > 0);

	/* the module's clock is ahead of the anchor's coarse one: the call still lives */
	e->leg[1].last_seen_ns = clock_ns() + 900000000ull;
	poll_now();
	assert_true(c->last_media_ms <= SH0->now_ms);
	pthread_mutex_lock(&an->lock);
	call_expire(an, SH0->now_ms);
	pthread_mutex_unlock(&an->lock);
	assert_non_null(call_find(an, "dest-call"));
	c->last_media_ms = SH0->now_ms + 500; /* a worker's later clock */
	assert_int_equal(call_end_reason(c, SH0->now_ms, idle, 0), CALL_LIVE);

	/* the next poll adds only what moved since */
	e->leg[0].packets = 110;
	e->leg[0].bytes = 18920;
	poll_now();
	assert_int_equal(SH0->stats.packets_kernel, 150);
	assert_int_equal(the_stream()->side[0].rtp.packets, a_pkts + 110);

	/* the kernel stops too: the timeout runs from its last datagram */
	pthread_mutex_lock(&an->lock);
	call_expire(an, clock_ms() + idle + 1000);
	pthread_mutex_unlock(&an->lock);
	assert_null(call_find(an, "dest-call"));
	assert_int_equal(fake_count(), 0);
	got_rtp(pa);
	got_rtp(pb);
}

/*
 * ng delete of a call in the kernel: the entry's share since the last poll
 * comes with its removal, before the reply is written, so the reply's and
 * the statistics' counters hold everything it forwarded.
 */
static void test_delete_counts_what_the_kernel_forwarded_last(void **state)
{
	struct ng_request req;
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	static uint8_t out[65536];
	struct relay_entry *e;
	uint16_t to_a, to_b;
	char reason[128], want[32];
	uint64_t a_pkts;
	long len;

	(void)state;
	fake.features = TURNRELAY_FEATURE_DEL_COUNTERS;
	latched_call(&to_a, &to_b);
	e = the_entry();
	a_pkts = the_stream()->side[0].rtp.packets;
	e->leg[0].packets = 100;
	e->leg[0].bytes = 17200;
	poll_now();
	assert_int_equal(SH0->stats.packets_kernel, 100);
	/* forwarded after the last poll */
	e->leg[0].packets = 130;
	e->leg[0].bytes = 22360;
	e->leg[1].packets = 25;
	e->leg[1].bytes = 4300;
	memset(&req, 0, sizeof(req));
	req.cmd = NG_DELETE;
	req.call_id = "dest-call";
	test_lock();
	anchor_shard_clock(SH0);
	assert_int_equal(call_delete(an, &req, d, reply, reason, sizeof(reason)), 0);
	test_unlock();
	assert_int_equal(fake_count(), 0);
	assert_int_equal(SH0->stats.packets_kernel, 155);
	assert_int_equal(SH0->stats.bytes_kernel, 22360 + 4300);
	len = bval_write(reply, BFMT_BENCODE, out, sizeof(out));
	assert_true(len > 0);
	snprintf(want, sizeof(want), "7:packetsi%llue", (unsigned long long)(a_pkts + 130));
	assert_non_null(memmem(out, (size_t)len, want, strlen(want)));
	bdoc_free(d);
	got_rtp(pa);
	got_rtp(pb);
}

/* B's SDP: one audio stream at 127.0.0.3:port, without rtcp-mux (RTCP on port + 1). */
static void nomux_sdp(char *out, size_t cap, uint16_t port)
{
	snprintf(out, cap,
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\n",
		 port);
}

/*
 * A multiplexes RTCP, B does not (RFC 5761): the RTP entry is installed,
 * its leg for A passes RTCP to userspace (TURNRELAY_LEG_F_PASS_RTCP: it
 * goes to B's RTCP port, which the entry does not know), B's leg does not
 * (A takes RTCP on its RTP port); B's RTCP socket stays in userspace. A
 * module without the flag: no entry at all.
 */
static void test_rtcp_mux_on_one_side_only(void **state)
{
	const struct relay_entry *e;
	uint16_t to_a, to_b;
	char sdp[512];
	uint8_t rtcp[28] = {0x80, 200, 0, 6};

	(void)state;
	for (int with_flag = 1; with_flag >= 0; with_flag--) {
		fake.features = with_flag ? TURNRELAY_FEATURE_PASS_RTCP : 0;
		party_sdp(sdp, sizeof(sdp), "127.0.0.2", port_of(pa), NULL, NULL);
		to_b = signal(true, "A", NULL, sdp, ANCHOR_ICE_REMOVE);
		nomux_sdp(sdp, sizeof(sdp), port_of(pb));
		to_a = signal(false, "A", "B", sdp, ANCHOR_ICE_REMOVE);
		assert_true(the_stream()->side[0].mux);
		assert_false(the_stream()->side[1].mux);
		rtp(pa, to_a, 1);
		rtp(pb, to_b, 1);
		assert_true(got_rtp(pa));
		assert_true(got_rtp(pb));
		assert_true(the_stream()->confirmed);
		if (!with_flag) {
			assert_int_equal(fake_count(), 0);
			assert_false(query_kernelized());
			delete_call();
			continue;
		}
		e = the_entry();
		assert_int_equal(leg_port(e, 0, true), to_a);
		assert_int_equal(leg_port(e, 0, false), port_of(pa));
		assert_int_equal(e->leg[0].flags, TURNRELAY_LEG_F_PASS_RTCP);
		assert_int_equal(leg_port(e, 1, true), to_b);
		assert_int_equal(leg_port(e, 1, false), port_of(pb));
		assert_int_equal(e->leg[1].flags, 0);
		assert_int_equal(the_stream()->kernel[1].id, 0); /* RTP's entry only */
		assert_true(query_kernelized());
		/* A's RTCP the kernel passed up: userspace sends it to B's RTCP port, not its RTP port */
		send_to(pa, to_a, rtcp, sizeof(rtcp));
		pump();
		assert_false(got_rtp(pb));
		assert_int_equal(the_stream()->side[0].rtcp.packets, 1);
		delete_call();
		assert_int_equal(fake_count(), 0);
	}
}

/* ICE toward A: nominated pair + B latched installs; consent loss and ICE restart remove. */
static void test_ice_nomination_consent_restart(void **state)
{
	uint16_t to_a, to_b;

	(void)state;
	ice_call_checked(false, &to_a, &to_b);
	assert_int_equal(fake_count(), 0); /* a succeeded pair, not nominated: early media */
	check(pa, to_a, A_UFRAG, true);
	assert_int_equal(leg_port(the_entry(), 0, false), port_of(pa));
	assert_int_equal(the_entry()->leg[0].flags, 0); /* consent checks still reach the agent */

	/* consent lost (RFC 7675): out of the kernel */
	test_lock();
	media_consent_check(SH0, clock_ms() + ICE_CONSENT_TIMEOUT_DEFAULT_MS + 1000);
	test_unlock();
	assert_int_equal(fake_count(), 0);

	/* an ICE restart: nothing until nominated again */
	signal_call(A_UFRAG2, A_PWD2, ANCHOR_ICE_FORCE, NULL, NULL);
	assert_int_equal(fake_count(), 0);
	check(pa, to_a, A_UFRAG2, true);
	rtp(pb, to_b, 2);
	got_rtp(pa);
	assert_int_equal(fake_count(), 1);
	delete_call();
	assert_int_equal(fake_count(), 0);
	got_rtp(pa);
	got_rtp(pb);
}

static void *noop(void *arg)
{
	return arg;
}

/* A latch seen on a TURN worker (not the anchor thread) is applied by the anchor thread. */
static void test_worker_change_applied_on_anchor_thread(void **state)
{
	uint16_t to_a, to_b;
	pthread_t other;

	(void)state;
	plain_call(&to_a, &to_b);
	rtp(pa, to_a, 1);
	got_rtp(pb);
	/* pretend the anchor thread is another one: this thread is a worker */
	assert_int_equal(pthread_create(&other, NULL, noop, NULL), 0);
	pthread_join(other, NULL);
	SH0->thread = other;
	SH0->started = true;
	send_to(pb, to_b, (const uint8_t[12]){0x80, 0, 0, 1}, 12);
	/* B's first datagram, handed to the anchor by this "worker" (as anchor_deliver() does) */
	{
		uint8_t buf[64];
		union sockaddr_u from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(the_stream()->side[1].socks[0].fd, buf, sizeof(buf), 0, &from.sa, &fl);

		assert_int_equal(n, 12);
		test_lock();
		anchor_shard_clock(SH0);
		media_input(an, &the_stream()->side[1].socks[0], &from, buf, (size_t)n);
		test_unlock();
	}
	assert_true(the_stream()->confirmed);
	assert_true(the_stream()->offload_pending);
	assert_int_equal(fake_count(), 0);
	/* the anchor thread's event runs it */
	SH0->started = false;
	pump();
	assert_false(the_stream()->offload_pending);
	assert_int_equal(fake_count(), 1);
	delete_call();
	got_rtp(pa);
	got_rtp(pb);
}

/* The module unloaded under a running call: userspace forwards, nothing says kernelized. */
static void test_module_gone_falls_back(void **state)
{
	uint16_t to_a, to_b;

	(void)state;
	latched_call(&to_a, &to_b);
	assert_true(query_kernelized());
	fake.dump_ret = -ENOENT;
	poll_now();
	assert_false(relay_engine_active(SH0->engine));
	assert_false(query_kernelized());
	assert_null(the_stream()->kernel); /* the module's entries are gone, and with them ours */
	assert_int_equal(stat_media_kernel(), 0);
	rtp(pa, to_a, 2);
	assert_true(got_rtp(pb));
	rtp(pb, to_b, 2);
	assert_true(got_rtp(pa));
	delete_call();
}

/*
 * A TURN allocation of this server as party A (its relay socket sends into
 * the anchor through anchor_deliver()): no anchored entry (its destination
 * is one of the server's own), but once the stream is confirmed the anchor
 * gives the TURN worker its joined leg (relay_ports_join: B's socket and
 * B's address), takes the joined entry's counters (relay_ports_joined), and
 * has none once the stream is no longer confirmed.
 */
static void test_turn_party_joined_leg(void **state)
{
	union sockaddr_u relay, to, got_local, b_addr;
	struct relay_join j;
	struct relay_join_counts jc = {.event = RELAY_JOIN_COUNTS};
	uint8_t pkt[172] = {0x80, 0x00, 0x00, 0x01};
	int rfd = -1, rfd2 = -1;
	uint16_t to_a, to_b;
	char sdp[512];
	struct call *c;
	struct side_crypto sdes = {.nego.kind = SIDE_CRYPTO_SDES};

	(void)state;
	assert_int_equal(relay_port_bind(&rl, &an->local_v4, false, false, false, false, &rfd, &rfd2), 0);
	relay.sa.sa_family = AF_INET;
	{
		socklen_t len = sizeof(relay);

		assert_int_equal(getsockname(rfd, &relay.sa, &len), 0);
	}
	relay_ports_set(&rl.ports, &relay.sa, IPPROTO_UDP, RELAY_OWNER_SOCKET, true);
	party_sdp(sdp, sizeof(sdp), "127.0.0.1", addr_port(&relay.sa), NULL, NULL);
	to_b = signal(true, "A", NULL, sdp, ANCHOR_ICE_REMOVE);
	party_sdp(sdp, sizeof(sdp), "127.0.0.3", port_of(pb), NULL, NULL);
	to_a = signal(false, "A", "B", sdp, ANCHOR_ICE_REMOVE);
	memset(&to, 0, sizeof(to));
	to.in.sin_family = AF_INET;
	to.in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	to.in.sin_port = htons(to_a);

	/* the relay's datagram latches A, B's latches B: confirmed, no anchored entry */
	assert_false(relay_ports_join(&rl.ports, &to.sa, &relay.sa, &j));
	assert_true(relay_ports_deliver(&rl.ports, &to.sa, &relay.sa, pkt, sizeof(pkt)));
	assert_true(got_rtp(pb));
	rtp(pb, to_b, 1);
	assert_true(the_stream()->confirmed);
	assert_true(the_stream()->side[0].dest[0].to.own);
	assert_int_equal(fake_count(), 0);

	/* the joined leg: out of B's socket to B */
	assert_true(relay_ports_join(&rl.ports, &to.sa, &relay.sa, &j));
	memcpy(&got_local, &j.local, sizeof(got_local.in));
	assert_int_equal(addr_port(&got_local.sa), to_b);
	memcpy(&b_addr, &j.remote, sizeof(b_addr.in));
	assert_int_equal(addr_port(&b_addr.sa), port_of(pb));
	/* from another source than A's latched one: none */
	to.in.sin_port = htons(to_b);
	assert_false(relay_ports_join(&rl.ports, &to.sa, &relay.sa, &j));
	to.in.sin_port = htons(to_a);

	/* the joined entry's counters reach the stream, the anchor and the call's last media */
	c = call_find(an, "dest-call");
	c->last_media_ms = 0;
	jc.packets[0] = 30;
	jc.bytes[0] = 30 * 172;
	jc.packets[1] = 20;
	jc.bytes[1] = 20 * 172;
	jc.last_seen_ms = clock_ms();
	relay_ports_joined(&rl.ports, &to.sa, &relay.sa, &jc);
	assert_int_equal(SH0->stats.packets_kernel, 50);
	assert_int_equal(the_stream()->side[0].rtp.packets, 1 + 30);
	assert_int_equal(the_stream()->side[1].rtp.packets, 1 + 20);
	assert_true(c->last_media_ms > 0 && c->last_media_ms <= SH0->now_ms);

	/* the worker's joined entry installed: the stream is in the kernel (query, statistics) */
	assert_false(query_kernelized());
	assert_int_equal(stat_media_kernel(), 0);
	jc.event = RELAY_JOIN_UP;
	relay_ports_joined(&rl.ports, &to.sa, &relay.sa, &jc);
	assert_true(query_kernelized());
	assert_int_equal(stat_media_kernel(), 1);
	assert_int_equal(SH0->stats.packets_kernel, 50); /* an event carries no counts */
	jc.event = RELAY_JOIN_DOWN;
	relay_ports_joined(&rl.ports, &to.sa, &relay.sa, &jc);
	assert_false(query_kernelized());
	assert_int_equal(stat_media_kernel(), 0);
	jc.event = RELAY_JOIN_UP;
	relay_ports_joined(&rl.ports, &to.sa, &relay.sa, &jc);
	assert_true(query_kernelized());

	/* a bridged stream (SRTP toward a side) is never joined: the module does not do SRTP */
	assert_null(the_stream()->side[1].crypto); /* a plain stream has no crypto state */
	the_stream()->side[1].crypto = &sdes;
	assert_true(bridge_stream_active(the_stream()));
	assert_false(relay_ports_join(&rl.ports, &to.sa, &relay.sa, &j));
	the_stream()->side[1].crypto = NULL;
	assert_true(relay_ports_join(&rl.ports, &to.sa, &relay.sa, &j));

	/* B answers again from elsewhere (a fork): no longer confirmed, no joined leg */
	party_sdp(sdp, sizeof(sdp), "127.0.0.3", port_of(pb), NULL, NULL);
	signal(false, "A", "B2", sdp, ANCHOR_ICE_REMOVE);
	assert_false(relay_ports_join(&rl.ports, &to.sa, &relay.sa, &j));
	delete_call();
	assert_false(relay_ports_join(&rl.ports, &to.sa, &relay.sa, &j));
	relay_ports_set(&rl.ports, &relay.sa, IPPROTO_UDP, RELAY_OWNER_SOCKET, false);
	close(rfd);
	got_rtp(pb);
}

/* The null engine: nothing installed, nothing flagged. */
static void test_null_engine_installs_nothing(void **state)
{
	uint16_t to_a, to_b;

	(void)state;
	assert_false(relay_engine_active(SH0->engine));
	plain_call(&to_a, &to_b);
	rtp(pa, to_a, 1);
	rtp(pb, to_b, 1);
	assert_true(got_rtp(pa));
	assert_true(got_rtp(pb));
	assert_true(the_stream()->confirmed);
	/* a plain stream forwarded in userspace carries no offload entries */
	assert_null(the_stream()->kernel);
	/* ... and, both sides latched, no probation slots */
	for (int k = 0; k < 2; k++) {
		assert_true(the_stream()->side[k].latch[0].latched);
		assert_null(the_stream()->side[k].latch[0].probes);
		assert_null(the_stream()->side[k].latch[1].probes);
	}
	assert_int_equal(fake.adds, 0);
	assert_false(query_kernelized());
	delete_call();
}

static int setup_null(void **state)
{
	fake_reset();
	anchor_test_engine = NULL;
	return setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_latched_call_entry_follows_confirmed_state,
					    setup_fake, teardown),
	    cmocka_unit_test_setup_teardown(test_counters_merged_and_timeout_follows_last_seen,
					    setup_fake, teardown),
	    cmocka_unit_test_setup_teardown(test_delete_counts_what_the_kernel_forwarded_last,
					    setup_fake, teardown),
	    cmocka_unit_test_setup_teardown(test_rtcp_mux_on_one_side_only, setup_fake, teardown),
	    cmocka_unit_test_setup_teardown(test_ice_nomination_consent_restart, setup_fake,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_worker_change_applied_on_anchor_thread,
					    setup_fake, teardown),
	    cmocka_unit_test_setup_teardown(test_module_gone_falls_back, setup_fake, teardown),
	    cmocka_unit_test_setup_teardown(test_turn_party_joined_leg, setup_fake, teardown),
	    cmocka_unit_test_setup_teardown(test_null_engine_installs_nothing, setup_null,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
