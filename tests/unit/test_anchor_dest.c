/*
 * test_anchor_dest.c - the anchor's cached destination per stream side
 * (media_side_refresh() in src/anchor/media.c) follows every event that
 * moves it: the SDP's address, a latch, the first succeeded and the
 * nominated ICE pair, consent loss, an ICE restart, a re-offer that moves
 * the party, a forked answer, delete and timeout; and a stream counts as
 * confirmed (the kernel offload's condition) exactly while both sides are.
 * Also what the control thread prepares without the lock (call_prepare()):
 * the SDP parsed, and a new call's media ports bound, which the offer then
 * takes instead of binding; nothing is bound for a re-offer, and what an
 * offer leaves is closed.
 *
 * An anchor is made with anchor_new() (its thread not started) and driven
 * the way its thread drives it: ng requests through call_offer() and
 * call_answer(), datagrams from two parties' real loopback sockets read by
 * one non-blocking turn of its event loop each. Forwarded datagrams are
 * read at the other party's socket.
 */
#include "anchor_test.h"

/* Plain RTP both ways (ICE=remove): SDP, latch, re-offer, forked answer, delete. */
static void test_latched_call_follows_sdp_latch_reoffer_fork_delete(void **state)
{
	char sdp[512];
	uint16_t to_a, to_b;

	(void)state;
	signal_call(NULL, NULL, ANCHOR_ICE_REMOVE, &to_a, &to_b);
	/* the SDPs' addresses: a destination, not a confirmed one */
	assert_int_equal(kind(0), SIDE_DEST_SDP);
	assert_int_equal(kind(1), SIDE_DEST_SDP);
	assert_int_equal(dest_port(0), port_of(pa));
	assert_false(the_stream()->confirmed);

	/* A's media latches side 0 and reaches B at its SDP address */
	rtp(pa, to_a, 1);
	assert_int_equal(kind(0), SIDE_DEST_LATCH);
	assert_true(got_rtp(pb));
	assert_false(the_stream()->confirmed);
	rtp(pb, to_b, 1);
	assert_int_equal(kind(1), SIDE_DEST_LATCH);
	assert_true(got_rtp(pa));
	assert_true(the_stream()->confirmed);
	assert_int_equal(SH0->streams_confirmed, 1);

	/* A re-offers from another host: its latch goes, the stream is no longer confirmed */
	party_sdp(sdp, sizeof(sdp), "127.0.0.4", port_of(pa2), NULL, NULL);
	signal(true, "A", NULL, sdp, ANCHOR_ICE_REMOVE);
	assert_int_equal(kind(0), SIDE_DEST_SDP);
	assert_int_equal(dest_port(0), port_of(pa2));
	assert_false(the_stream()->confirmed);
	assert_int_equal(SH0->streams_confirmed, 0);
	/* B's media now goes to A's new address, from the cache */
	rtp(pb, to_b, 2);
	assert_true(got_rtp(pa2));
	assert_false(got_rtp(pa));

	/* the old answer's party stays latched until a forked answer replaces it */
	party_sdp(sdp, sizeof(sdp), "127.0.0.3", port_of(pb), NULL, NULL);
	signal(false, "A", "B", sdp, ANCHOR_ICE_REMOVE);
	assert_int_equal(kind(1), SIDE_DEST_LATCH);
	signal(false, "A", "B2", sdp, ANCHOR_ICE_REMOVE);
	assert_int_equal(kind(1), SIDE_DEST_SDP);

	/* both latched again, then the call is deleted: nothing stays confirmed */
	rtp(pa2, to_a, 10);
	rtp(pb, to_b, 10);
	assert_true(the_stream()->confirmed);
	assert_int_equal(SH0->streams_confirmed, 1);
	delete_call();
	assert_int_equal(SH0->streams_confirmed, 0);
	got_rtp(pa);
	got_rtp(pa2);
	got_rtp(pb);
}

/* ICE toward A (the anchor lite), plain toward B: succeeded, nominated, consent, restart. */
static void test_ice_side_follows_pairs_consent_and_restart(void **state)
{
	char sdp[512];
	uint16_t to_a, to_b;
	struct stream *st;

	(void)state;
	signal_call(A_UFRAG, A_PWD, ANCHOR_ICE_FORCE, &to_a, &to_b);
	st = the_stream();
	assert_non_null(st->side[0].ice);
	/* no pair yet: nowhere for B's media, and A's media is not accepted */
	assert_int_equal(kind(0), SIDE_DEST_NONE);
	rtp(pb, to_b, 1);
	assert_false(got_rtp(pa));
	rtp(pa, to_a, 1);
	assert_false(got_rtp(pb));

	/* an authenticated check from A: the first succeeded pair (early media) */
	check(pa, to_a, A_UFRAG, false);
	assert_int_equal(kind(0), SIDE_DEST_ICE);
	assert_int_equal(dest_port(0), port_of(pa));
	assert_true(st->side[0].has_ice_src[0]);
	rtp(pa, to_a, 2);
	assert_true(got_rtp(pb));
	rtp(pb, to_b, 2);
	assert_true(got_rtp(pa));
	assert_false(st->confirmed); /* not nominated yet */

	/* USE-CANDIDATE: nominated, and with B latched the stream is confirmed */
	check(pa, to_a, A_UFRAG, true);
	assert_int_equal(kind(0), SIDE_DEST_ICE_NOMINATED);
	assert_int_equal(kind(1), SIDE_DEST_LATCH);
	assert_true(st->confirmed);

	/* consent lost (RFC 7675): no destination, no longer confirmed */
	test_lock();
	media_consent_check(SH0, clock_ms() + ICE_CONSENT_TIMEOUT_DEFAULT_MS + 1000);
	test_unlock();
	assert_int_equal(kind(0), SIDE_DEST_NONE);
	assert_false(st->confirmed);
	rtp(pb, to_b, 3);
	assert_false(got_rtp(pa));

	/* A restarts ICE: pairs reset, consent to be obtained again, then nominated again */
	party_sdp(sdp, sizeof(sdp), "127.0.0.2", port_of(pa), A_UFRAG2, A_PWD2);
	signal(true, "A", NULL, sdp, ANCHOR_ICE_REMOVE);
	st = the_stream();
	assert_int_equal(kind(0), SIDE_DEST_NONE);
	assert_false(st->side[0].has_ice_src[0]);
	party_sdp(sdp, sizeof(sdp), "127.0.0.3", port_of(pb), NULL, NULL);
	signal(false, "A", "B", sdp, ANCHOR_ICE_FORCE);
	check(pa, to_a, A_UFRAG2, true);
	assert_int_equal(kind(0), SIDE_DEST_ICE_NOMINATED);
	rtp(pb, to_b, 4);
	assert_true(got_rtp(pa));
	rtp(pb, to_b, 5);
	assert_true(st->confirmed);

	/* the call times out: its streams leave the confirmed state */
	pthread_mutex_lock(&an->lock);
	call_expire(an, clock_ms() + (uint64_t)cfg.anchor_timeout * 1000 + 1000);
	pthread_mutex_unlock(&an->lock);
	assert_null(call_find(an, "dest-call"));
	assert_int_equal(SH0->streams_confirmed, 0);
	got_rtp(pa);
	got_rtp(pb);
}

static struct ng_request offer_req(const char *call_id, const char *sdp)
{
	struct ng_request req;

	memset(&req, 0, sizeof(req));
	req.cmd = NG_OFFER;
	req.call_id = call_id;
	req.from_tag = "A";
	req.sdp = sdp;
	req.sdp_len = strlen(sdp);
	req.ice = ANCHOR_ICE_REMOVE;
	req.ice_given = true;
	return req;
}

/* Runs a prepared offer as the anchor thread does; its result. */
static int run_offer(struct ng_request *req)
{
	struct bdoc *d = bdoc_new();
	char reason[256];
	int rc;

	test_lock();
	rc = call_offer(an, req, d, bdoc_dict(d), reason, sizeof(reason));
	test_unlock();
	bdoc_free(d);
	return rc;
}

static bool fd_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static void test_control_thread_prepares_sdp_and_new_call_ports(void **state)
{
	char sdp[512];
	struct ng_request req;
	int fds[4], n = 0;
	struct call *c;

	(void)state;
	/* two RTP/AVP streams without rtcp-mux: an RTP/RTCP pair on each side of each */
	snprintf(sdp, sizeof(sdp),
		 "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
		 "m=audio %u RTP/AVP 0\r\nm=audio %u RTP/AVP 8\r\n",
		 port_of(pa), port_of(pa) + 2);
	req = offer_req("prep-call", sdp);
	call_prepare(an, &req);
	assert_non_null(req.parsed);
	assert_int_equal(an->nprebound, 4);
	for (unsigned int i = 0; i < an->nprebound; i++) {
		assert_int_equal(an->prebound[i].nsocks, 2);
		fds[n++] = an->prebound[i].fd[0];
	}
	assert_int_equal(run_offer(&req), 0);
	/* the offer took every pre-bound pair: the call's sockets are those */
	for (unsigned int i = 0; i < an->nprebound; i++)
		assert_int_equal(an->prebound[i].nsocks, 0);
	c = call_find(an, "prep-call");
	assert_non_null(c);
	assert_int_equal(c->nstreams, 2);
	for (unsigned int i = 0; i < 2; i++)
		for (int k = 0; k < 2; k++) {
			bool found = false;

			for (int j = 0; j < 4; j++)
				found |= c->streams[i]->side[k].socks[0].fd == fds[j];
			assert_true(found);
		}
	call_prepared_free(an, &req);
	assert_int_equal(an->nprebound, 0);
	for (int j = 0; j < 4; j++)
		assert_true(fd_open(fds[j])); /* the call's now */

	/* a re-offer keeps its ports: nothing bound ahead */
	req = offer_req("prep-call", sdp);
	call_prepare(an, &req);
	assert_int_equal(an->nprebound, 0);
	assert_int_equal(run_offer(&req), 0);
	call_prepared_free(an, &req);

	/* an offer that fails after its ports were bound ahead: they are closed, none held */
	req = offer_req("prep-bad", sdp);
	req.transport_protocol = "RTP/XAVP"; /* not a profile: refused after the ports were bound */
	call_prepare(an, &req);
	assert_int_equal(an->nprebound, 4);
	fds[0] = an->prebound[0].fd[0];
	assert_int_not_equal(run_offer(&req), 0);
	assert_null(call_find(an, "prep-bad"));
	call_prepared_free(an, &req);
	assert_false(fd_open(fds[0]));

	/* SDP that does not parse: left to the offer, which says why */
	req = offer_req("prep-bad", "v=0\r\nm=");
	call_prepare(an, &req);
	assert_null(req.parsed);
	assert_int_equal(an->nprebound, 0);
	assert_int_not_equal(run_offer(&req), 0);
	call_prepared_free(an, &req);
	c = call_find(an, "prep-call");
	test_lock();
	call_free(c);
	test_unlock();
	assert_int_equal(ports_held, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_latched_call_follows_sdp_latch_reoffer_fork_delete,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ice_side_follows_pairs_consent_and_restart, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_control_thread_prepares_sdp_and_new_call_ports,
					    setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
