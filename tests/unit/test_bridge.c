/*
 * test_bridge.c - SRTP bridging in the anchor (src/anchor/bridge.c), with
 * real loopback parties: party A (127.0.0.2) and party B (127.0.0.3) are
 * plain sockets of this test, which does their SRTP with the anchor's own
 * building blocks (media_crypto.h, dtls_srtp.h) from the keys and
 * fingerprints the SDPs carry.
 *
 * Checked: the SDP each party gets for every kind of profile change
 * (plain -> SAVP offers the anchor's a=fingerprint and a=crypto lines,
 * SAVPF -> AVP strips the other party's, AVP -> AVPF only renames,
 * SAVPF -> SAVPF passes DTLS end to end); SDES bridging both ways with
 * a wrong-key packet dropped and counted; DTLS-SRTP bridging with the
 * anchor as the DTLS client, a peer whose certificate does not match its
 * fingerprint refused, a re-offer keeping the association, and close_notify
 * on delete; flags that leave nothing to offer and bad answers refused.
 */
#include "anchor_test.h"
#include "anchor/dtls_srtp.h"
#include "anchor/fingerprint.h"
#include "anchor/media_crypto.h"
#include "anchor/sdes.h"

static char reply_sdp[8192];
static bool settle = true; /* sig() makes the SDES contexts after the commit */

/* offer (to_tag NULL) or answer with a transport-protocol and flags; the reply's SDP in reply_sdp */
static int sig(bool offer, const char *from, const char *to, const char *sdp, const char *proto,
	       const char *dtls, bool sdes_off, char *reason, size_t reasonlen)
{
	struct ng_request req;
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	int rc;

	signal_req(&req, offer, from, to, sdp, ANCHOR_ICE_REMOVE);
	req.transport_protocol = proto;
	req.sdes_off = sdes_off;
	if (dtls)
		req.dtls_mode = strcmp(dtls, "off") == 0 ? NG_DTLS_OFF : NG_DTLS_PASSIVE;
	rc = signal_run(&req, d, reply, reason, reasonlen);
	if (settle) /* as ng_commit() does once it released the lock */
		bridge_keys_settle(an);
	reply_sdp[0] = '\0';
	if (rc == 0)
		snprintf(reply_sdp, sizeof(reply_sdp), "%s", bval_dict_str(reply, "sdp"));
	bdoc_free(d);
	return rc;
}

static void ok_sig(bool offer, const char *from, const char *to, const char *sdp,
		   const char *proto)
{
	char reason[256] = "";

	if (sig(offer, from, to, sdp, proto, NULL, false, reason, sizeof(reason)) != 0)
		fail_msg("%s refused: %s", offer ? "offer" : "answer", reason);
}

static uint16_t reply_port(void)
{
	struct sdp *s = NULL;
	uint16_t port;

	assert_int_equal(sdp_parse(reply_sdp, strlen(reply_sdp), &s, NULL, 0), 0);
	port = s->media[0].port;
	sdp_free(s);
	return port;
}

/* One audio section at ip:port with profile proto and extra lines (CRLF-terminated). */
static void media_sdp(char *out, size_t cap, const char *ip, uint16_t port, const char *proto,
		      const char *extra)
{
	snprintf(out, cap,
		 "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u %s 0\r\na=rtcp-mux\r\n%s",
		 ip, ip, port, proto, extra ? extra : "");
}

/* The value of the reply's a=crypto line of suite, or NULL. */
static bool reply_crypto(const char *suite, struct sdes_crypto *out)
{
	char want[64];
	const char *p = reply_sdp;

	snprintf(want, sizeof(want), " %s ", suite);
	while ((p = strstr(p, "a=crypto:")) != NULL) {
		const char *v = p + 9, *end = strstr(v, "\r\n");
		char err[128];

		if (end && memmem(v, (size_t)(end - v), want, strlen(want)) &&
		    sdes_parse(v, (size_t)(end - v), out, err, sizeof(err)) == 0)
			return true;
		p = v;
	}
	return false;
}

static size_t rtp_packet(uint8_t *b, uint16_t seq, uint32_t ssrc)
{
	memset(b, 0, 1500);
	b[0] = 0x80;
	b[2] = (uint8_t)(seq >> 8);
	b[3] = (uint8_t)seq;
	b[8] = (uint8_t)(ssrc >> 24);
	b[11] = (uint8_t)ssrc;
	for (int i = 0; i < 160; i++)
		b[12 + i] = (uint8_t)(0xd5 ^ i);
	return 172;
}

/* The next RTP/RTCP datagram fd gets (DTLS retransmissions are skipped), or -1. */
static ssize_t recv_one(int fd, uint8_t *buf, size_t cap)
{
	for (int i = 0; i < 50; i++) {
		ssize_t n;

		pump();
		while ((n = recv(fd, buf, cap, MSG_DONTWAIT)) > 0)
			if (buf[0] >= 128)
				return n;
		usleep(2000);
	}
	return -1;
}

/* Each test starts with the parties' sockets empty. */
static void drain(void)
{
	uint8_t buf[2048];

	pump();
	while (recv(pa, buf, sizeof(buf), MSG_DONTWAIT) > 0 ||
	       recv(pb, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static void test_sdp_for_every_profile_change(void **state)
{
	char a[1024], b[1024], reason[256];

	(void)state;
	/* AVP -> SAVP: B is offered the anchor's fingerprint (actpass) and a=crypto lines */
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", NULL);
	ok_sig(true, "A", NULL, a, "RTP/SAVP");
	assert_non_null(strstr(reply_sdp, " RTP/SAVP 0\r\n"));
	assert_non_null(strstr(reply_sdp, "a=fingerprint:sha-256 "));
	assert_non_null(strstr(reply_sdp, "a=setup:actpass\r\n"));
	{
		struct sdes_crypto k;

		assert_true(reply_crypto("AES_CM_128_HMAC_SHA1_80", &k));
		assert_true(reply_crypto("AEAD_AES_256_GCM", &k));
		assert_true(reply_crypto("AES_CM_128_HMAC_SHA1_32", &k));
	}
	assert_true(bridge_stream_active(the_stream()));
	delete_call();

	/* AVP -> UDP/TLS/RTP/SAVPF: DTLS only, no a=crypto */
	ok_sig(true, "A", NULL, a, "UDP/TLS/RTP/SAVPF");
	assert_non_null(strstr(reply_sdp, " UDP/TLS/RTP/SAVPF 0\r\n"));
	assert_non_null(strstr(reply_sdp, "a=fingerprint:sha-256 "));
	assert_null(strstr(reply_sdp, "a=crypto:"));
	delete_call();

	/* AVP -> AVPF: only the profile's name */
	ok_sig(true, "A", NULL, a, "RTP/AVPF");
	assert_non_null(strstr(reply_sdp, " RTP/AVPF 0\r\n"));
	assert_null(strstr(reply_sdp, "a=fingerprint"));
	assert_false(bridge_stream_active(the_stream()));
	delete_call();

	/* SAVPF with DTLS -> AVP: the fingerprint and setup are not passed on */
	media_sdp(b, sizeof(b), "127.0.0.2", port_of(pa), "UDP/TLS/RTP/SAVPF",
		  "a=fingerprint:sha-256 "
		  "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3E:4B:8E:5E:8B:"
		  "1C:2F:3D:8A:17:B8:F3\r\na=setup:actpass\r\n");
	ok_sig(true, "A", NULL, b, "RTP/AVP");
	assert_non_null(strstr(reply_sdp, " RTP/AVP 0\r\n"));
	assert_null(strstr(reply_sdp, "a=fingerprint"));
	assert_null(strstr(reply_sdp, "a=setup"));
	delete_call();

	/* no change: DTLS-SRTP end to end, the party's own lines kept */
	ok_sig(true, "A", NULL, b, NULL);
	assert_non_null(strstr(reply_sdp, "a=fingerprint:sha-256 4A:AD:B9"));
	assert_false(bridge_stream_active(the_stream()));
	assert_string_equal(bridge_side_mode(the_stream(), 1), "passthrough");
	delete_call();

	/* BUNDLE of audio and a data channel: only the RTP section changes profile */
	{
		char bundle[2048];

		snprintf(bundle, sizeof(bundle),
			 "v=0\r\no=- 1 1 IN IP4 127.0.0.2\r\ns=-\r\nc=IN IP4 127.0.0.2\r\nt=0 0\r\n"
			 "a=group:BUNDLE 0 1\r\n"
			 "m=audio %u UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\na=rtcp-mux\r\n"
			 "a=fingerprint:sha-256 "
			 "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:3E:4B:8E:5E:8B:"
			 "1C:2F:3D:8A:17:B8:F3\r\na=setup:actpass\r\n"
			 "m=application %u UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:1\r\n"
			 "a=sctp-port:5000\r\n",
			 port_of(pa), port_of(pa));
		ok_sig(true, "A", NULL, bundle, NULL);
		assert_non_null(strstr(reply_sdp, " UDP/TLS/RTP/SAVPF 0\r\n"));
		assert_non_null(strstr(reply_sdp, " UDP/DTLS/SCTP webrtc-datachannel\r\n"));
		delete_call();
		ok_sig(true, "A", NULL, bundle, "RTP/AVP");
		assert_non_null(strstr(reply_sdp, " RTP/AVP 0\r\n"));
		assert_non_null(strstr(reply_sdp, " UDP/DTLS/SCTP webrtc-datachannel\r\n"));
		delete_call();
	}

	/* refusals, each with its reason, and no call left */
	assert_int_equal(sig(true, "A", NULL, a, "RTP/XAVP", NULL, false, reason, sizeof(reason)),
			 -1);
	assert_non_null(strstr(reason, "not one the anchor knows"));
	assert_int_equal(sig(true, "A", NULL, a, "RTP/SAVP", "off", true, reason, sizeof(reason)),
			 -1);
	assert_non_null(strstr(reason, "needs DTLS-SRTP or SDES"));
	media_sdp(b, sizeof(b), "127.0.0.2", port_of(pa), "RTP/SAVP",
		  "a=crypto:1 F8_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
	assert_int_equal(sig(true, "A", NULL, b, "RTP/AVP", NULL, false, reason, sizeof(reason)),
			 -1);
	assert_non_null(strstr(reason, "no usable a=crypto"));
	assert_null(call_find(an, "dest-call"));
	assert_int_equal(ports_held, 0);
}

/* A plain, B SDES: what A sends reaches B encrypted with the anchor's key and back. */
static void test_sdes_bridge_both_ways(void **state)
{
	char a[1024], b[1024], line[256], reason[256];
	struct sdes_crypto anchor_key, b_key;
	struct mcrypto *b_in, *b_out;
	uint8_t pkt[1600], plain[1600];
	uint16_t port_for_a, port_for_b;
	size_t len;
	ssize_t n;

	(void)state;
	drain();
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", NULL);
	ok_sig(true, "A", NULL, a, "RTP/SAVP");
	port_for_b = reply_port();
	assert_true(reply_crypto("AEAD_AES_128_GCM", &anchor_key));
	/* B answers SDES with the anchor's tag for that suite and a key of its own */
	assert_int_equal(sdes_generate(anchor_key.suite, anchor_key.tag, &b_key), 0);
	assert_true(sdes_format(&b_key, line, sizeof(line)) > 0);
	snprintf(b, sizeof(b),
		 "v=0\r\no=- 2 1 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
		 "m=audio %u RTP/SAVP 0\r\na=rtcp-mux\r\na=crypto:%s\r\n",
		 port_of(pb), line);
	ok_sig(false, "A", "B", b, NULL);
	port_for_a = reply_port();
	assert_string_equal(bridge_side_mode(the_stream(), 0), "plain");
	assert_string_equal(bridge_side_mode(the_stream(), 1), "bridged");
	assert_non_null(strstr(reply_sdp, " RTP/AVP 0\r\n"));
	assert_null(strstr(reply_sdp, "a=crypto"));
	b_in = mcrypto_new(&(struct mcrypto_params){.suite = anchor_key.suite,
						    .key_salt = anchor_key.key_salt,
						    .key_salt_len = anchor_key.key_salt_len},
			   MCRYPTO_INBOUND, NULL, 0);
	b_out = mcrypto_new(&(struct mcrypto_params){.suite = b_key.suite, .key_salt = b_key.key_salt,
						     .key_salt_len = b_key.key_salt_len},
			    MCRYPTO_OUTBOUND, NULL, 0);
	assert_non_null(b_in);
	assert_non_null(b_out);

	/* A -> B: plain in, SRTP out that B's key opens */
	len = rtp_packet(plain, 1, 0xa);
	send_to(pa, port_for_a, plain, len);
	n = recv_one(pb, pkt, sizeof(pkt));
	assert_int_equal(n, (ssize_t)(len + 16));
	len = (size_t)n;
	assert_int_equal(mcrypto_unprotect(b_in, false, pkt, &len), MCRYPTO_OK);
	assert_memory_equal(pkt, plain, 172);

	/* B -> A: SRTP in, plain out */
	len = rtp_packet(pkt, 1, 0xb);
	memcpy(plain, pkt, len);
	assert_int_equal(mcrypto_protect(b_out, false, pkt, &len, sizeof(pkt)), MCRYPTO_OK);
	send_to(pb, port_for_b, pkt, len);
	n = recv_one(pa, pkt, sizeof(pkt));
	assert_int_equal(n, 172);
	assert_memory_equal(pkt, plain, 172);
	/* both sides latched: confirmed, and counted as bridged (anchor_metrics.c) */
	assert_true(the_stream()->confirmed);
	assert_int_equal(SH0->streams_by_mode[ANCHOR_MODE_BRIDGED], 1);
	assert_int_equal(SH0->streams_by_mode[ANCHOR_MODE_LATCHING], 0);

	/* a packet B's key did not make is dropped and counted, never forwarded */
	len = rtp_packet(pkt, 2, 0xb);
	memset(pkt + 172, 0x55, 16);
	send_to(pb, port_for_b, pkt, 188);
	assert_int_equal(recv_one(pa, pkt, sizeof(pkt)), -1);
	assert_int_equal(SH0->stats.srtp_auth_failed, 1);

	/* an answer without an offered tag is refused */
	snprintf(b, sizeof(b),
		 "v=0\r\no=- 2 2 IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
		 "m=audio %u RTP/SAVP 0\r\na=rtcp-mux\r\na=sendrecv\r\n"
		 "a=crypto:99 AES_CM_128_HMAC_SHA1_80 inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n",
		 port_of(pb));
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", "a=sendrecv\r\n");
	ok_sig(true, "A", NULL, a, "RTP/SAVP"); /* re-offer: the same keys are offered again */
	assert_true(reply_crypto("AEAD_AES_128_GCM", &b_key));
	assert_memory_equal(b_key.key_salt, anchor_key.key_salt, anchor_key.key_salt_len);
	assert_int_equal(sig(false, "A", "B", b, NULL, NULL, false, reason, sizeof(reason)), -1);
	assert_non_null(strstr(reason, "offered tag"));
	mcrypto_free(b_in);
	mcrypto_free(b_out);
	delete_call();
}

/* B's SDES answer to the anchor's offer: the anchor's tag for suite, a key of B's own */
static void sdes_answer(char *b, size_t cap, const struct sdes_crypto *anchor_key, unsigned int v)
{
	struct sdes_crypto b_key;
	char line[256];

	assert_int_equal(sdes_generate(anchor_key->suite, anchor_key->tag, &b_key), 0);
	assert_true(sdes_format(&b_key, line, sizeof(line)) > 0);
	snprintf(b, cap,
		 "v=0\r\no=- 2 %u IN IP4 127.0.0.3\r\ns=-\r\nc=IN IP4 127.0.0.3\r\nt=0 0\r\n"
		 "m=audio %u RTP/SAVP 0\r\na=rtcp-mux\r\na=crypto:%s\r\n",
		 v, port_of(pb), line);
}

/*
 * An SDES side's contexts are not made under the anchor's lock: the commit
 * asks for them, the committing thread makes them after it released the
 * lock and swaps them in (bridge_keys.c). A re-key keeps the old contexts
 * until the swap; a job whose call went meanwhile installs nothing.
 */
static void test_sdes_contexts_are_made_off_the_lock(void **state)
{
	char a[1024], b[1024];
	struct sdes_crypto anchor_key;
	struct side_crypto *sc;
	struct mcrypto *old_in, *old_out;

	(void)state;
	drain();
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", NULL);
	ok_sig(true, "A", NULL, a, "RTP/SAVP");
	assert_true(reply_crypto("AES_CM_128_HMAC_SHA1_80", &anchor_key));
	sdes_answer(b, sizeof(b), &anchor_key, 1);
	settle = false;
	ok_sig(false, "A", "B", b, NULL);
	sc = the_stream()->side[1].crypto;
	assert_null(sc->in); /* nothing made under the lock */
	assert_null(sc->out);
	assert_non_null(an->key_jobs);
	bridge_keys_settle(an);
	assert_null(an->key_jobs);
	assert_non_null(sc->in);
	assert_non_null(sc->out);

	/* B answers a re-offer with a new key: the old contexts serve until the swap */
	old_in = sc->in;
	old_out = sc->out;
	ok_sig(true, "A", NULL, a, "RTP/SAVP");
	assert_true(reply_crypto("AES_CM_128_HMAC_SHA1_80", &anchor_key));
	sdes_answer(b, sizeof(b), &anchor_key, 2);
	ok_sig(false, "A", "B", b, NULL);
	sc = the_stream()->side[1].crypto;
	assert_ptr_equal(sc->in, old_in);
	assert_ptr_equal(sc->out, old_out);
	bridge_keys_settle(an);
	assert_ptr_not_equal(sc->in, old_in);
	assert_ptr_not_equal(sc->out, old_out);
	assert_non_null(sc->in);

	/* a job whose call is gone before it settles is dropped */
	ok_sig(true, "A", NULL, a, "RTP/SAVP");
	assert_true(reply_crypto("AES_CM_128_HMAC_SHA1_80", &anchor_key));
	sdes_answer(b, sizeof(b), &anchor_key, 3);
	ok_sig(false, "A", "B", b, NULL);
	settle = true;
	assert_non_null(an->key_jobs);
	delete_call();
	bridge_keys_settle(an);
	assert_null(an->key_jobs);
	assert_null(call_find(an, "dest-call"));
}

struct dtls_party {
	int fd;
	uint16_t anchor_port;
};

static void party_send(void *arg, const uint8_t *buf, size_t len)
{
	struct dtls_party *p = arg;

	send_to(p->fd, p->anchor_port, buf, len);
}

/* Runs the anchor and party A's association until A's settles (or gives up). */
static enum dtls_srtp_state handshake(struct dtls_srtp_conn *conn, int fd)
{
	uint8_t buf[2048];

	for (int i = 0; i < 200 && dtls_srtp_conn_state(conn) == DTLS_SRTP_HANDSHAKE; i++) {
		ssize_t n;

		pump();
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			dtls_srtp_conn_input(conn, buf, (size_t)n);
		if (dtls_srtp_conn_timeout_ms(conn) == 0)
			dtls_srtp_conn_timer(conn);
		usleep(2000);
	}
	for (int i = 0; i < 5; i++)
		pump();
	return dtls_srtp_conn_state(conn);
}

/* The anchor's a=fingerprint in its last reply's SDP, parsed into fp. */
static void reply_fingerprint(struct fingerprint *fp)
{
	const char *p = strstr(reply_sdp, "a=fingerprint:");
	char err[160];

	assert_non_null(p);
	assert_int_equal(fingerprint_parse(p + 14, (size_t)(strstr(p, "\r\n") - p - 14), fp, err,
					   sizeof(err)),
			 0);
}

/*
 * The party's SRTP context of direction dir from the keys its association
 * exported (RFC 5764 §4.2): its own key protects what it sends, the
 * anchor's unprotects what it receives.
 */
static struct mcrypto *party_mcrypto(struct dtls_srtp_conn *conn, enum mcrypto_dir dir)
{
	const struct srtp_suite *suite;
	uint8_t local[SRTP_SUITE_MAX_KEY_SALT_LEN], remote[SRTP_SUITE_MAX_KEY_SALT_LEN];

	assert_int_equal(dtls_srtp_conn_keys(conn, &suite, local, remote), 0);
	return mcrypto_new(&(struct mcrypto_params){.suite = suite,
						    .key_salt = dir == MCRYPTO_INBOUND ? remote : local,
						    .key_salt_len = suite->key_len + suite->salt_len},
			   dir, NULL, 0);
}

/* The party's association, its context and its certificate, freed. */
static void party_dtls_free(struct dtls_srtp_conn *conn, struct dtls_srtp_ctx *ctx,
			    struct dtls_srtp_cert *cert)
{
	dtls_srtp_conn_free(conn);
	dtls_srtp_ctx_free(ctx);
	dtls_srtp_cert_free(cert);
}

/* A is a browser (DTLS-SRTP, passive toward the anchor), B a plain-RTP PBX. */
static void dtls_call(struct dtls_srtp_cert *shown, struct dtls_srtp_cert *announced,
		      struct dtls_srtp_ctx **ctx, struct dtls_srtp_conn **conn,
		      struct dtls_party *party, uint16_t *port_for_b)
{
	char a[2048], extra[512], fp[FINGERPRINT_MAX_TEXT + 1], b[1024];
	struct fingerprint anchor_fp;
	char err[160];

	assert_true(fingerprint_format(dtls_srtp_cert_fingerprint(announced), fp, sizeof(fp)) > 0);
	snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:actpass\r\n", fp);
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "UDP/TLS/RTP/SAVPF", extra);
	ok_sig(true, "A", NULL, a, "RTP/AVP");
	*port_for_b = reply_port();
	media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "RTP/AVP", NULL);
	ok_sig(false, "A", "B", b, NULL);
	assert_non_null(strstr(reply_sdp, " UDP/TLS/RTP/SAVPF 0\r\n"));
	assert_non_null(strstr(reply_sdp, "a=setup:active\r\n")); /* A offered actpass */
	reply_fingerprint(&anchor_fp);
	party->fd = pa;
	party->anchor_port = reply_port();
	*ctx = dtls_srtp_ctx_new(shown, err, sizeof(err));
	assert_non_null(*ctx);
	*conn = dtls_srtp_conn_new(*ctx, DTLS_SRTP_PASSIVE, &anchor_fp, 1, 20, party_send, party);
	assert_non_null(*conn);
	dtls_srtp_conn_start(*conn);
}

static void test_dtls_bridge_both_ways_and_close_on_delete(void **state)
{
	char err[160], a[2048];
	struct dtls_srtp_cert *cert = dtls_srtp_cert_generate(err, sizeof(err));
	struct dtls_srtp_ctx *ctx;
	struct dtls_srtp_conn *conn, *before;
	struct dtls_party party;
	uint8_t pkt[1600], plain[1600];
	struct mcrypto *a_in, *a_out;
	uint16_t port_for_b;
	size_t len;
	ssize_t n;

	(void)state;
	drain();
	assert_non_null(cert);
	dtls_call(cert, cert, &ctx, &conn, &party, &port_for_b);
	assert_int_equal(handshake(conn, pa), DTLS_SRTP_CONNECTED);
	assert_int_equal(SH0->stats.dtls_connected, 1);
	a_out = party_mcrypto(conn, MCRYPTO_OUTBOUND);
	a_in = party_mcrypto(conn, MCRYPTO_INBOUND);

	/* A -> B: SRTP from the browser arrives plain at the PBX */
	len = rtp_packet(pkt, 10, 0xa);
	memcpy(plain, pkt, len);
	assert_int_equal(mcrypto_protect(a_out, false, pkt, &len, sizeof(pkt)), MCRYPTO_OK);
	send_to(pa, party.anchor_port, pkt, len);
	n = recv_one(pb, pkt, sizeof(pkt));
	assert_int_equal(n, 172);
	assert_memory_equal(pkt, plain, 172);
	/* B -> A: plain from the PBX reaches the browser encrypted */
	len = rtp_packet(plain, 20, 0xb);
	send_to(pb, port_for_b, plain, len);
	n = recv_one(pa, pkt, sizeof(pkt));
	assert_true(n > 172);
	len = (size_t)n;
	assert_int_equal(mcrypto_unprotect(a_in, false, pkt, &len), MCRYPTO_OK);
	assert_memory_equal(pkt, plain, 172);
	assert_null(the_stream()->kernel); /* never offloaded: no entries allocated */

	/* a re-offer with the same fingerprint keeps the association */
	before = the_stream()->side[0].crypto->dtls;
	{
		char fp[FINGERPRINT_MAX_TEXT + 1], extra[512];

		fingerprint_format(dtls_srtp_cert_fingerprint(cert), fp, sizeof(fp));
		snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:actpass\r\na=sendrecv\r\n",
			 fp);
		media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "UDP/TLS/RTP/SAVPF", extra);
	}
	ok_sig(true, "A", NULL, a, "RTP/AVP");
	assert_ptr_equal(the_stream()->side[0].crypto->dtls, before);
	len = rtp_packet(pkt, 11, 0xa);
	assert_int_equal(mcrypto_protect(a_out, false, pkt, &len, sizeof(pkt)), MCRYPTO_OK);
	send_to(pa, party.anchor_port, pkt, len);
	assert_int_equal(recv_one(pb, pkt, sizeof(pkt)), 172);

	/* delete: close_notify reaches the browser */
	delete_call();
	while ((n = recv(pa, pkt, sizeof(pkt), MSG_DONTWAIT)) > 0)
		dtls_srtp_conn_input(conn, pkt, (size_t)n);
	assert_int_equal(dtls_srtp_conn_state(conn), DTLS_SRTP_CLOSED);
	mcrypto_free(a_in);
	mcrypto_free(a_out);
	party_dtls_free(conn, ctx, cert);
}

static void test_dtls_peer_not_matching_its_fingerprint_is_refused(void **state)
{
	char err[160];
	struct dtls_srtp_cert *shown = dtls_srtp_cert_generate(err, sizeof(err));
	struct dtls_srtp_cert *announced = dtls_srtp_cert_generate(err, sizeof(err));
	struct dtls_srtp_ctx *ctx;
	struct dtls_srtp_conn *conn;
	struct dtls_party party;
	uint8_t pkt[1600];
	uint16_t port_for_b;
	uint64_t failed = SH0->stats.dtls_failed;

	(void)state;
	drain();
	dtls_call(shown, announced, &ctx, &conn, &party, &port_for_b);
	assert_int_not_equal(handshake(conn, pa), DTLS_SRTP_CONNECTED);
	assert_int_equal(SH0->stats.dtls_failed, failed + 1);
	assert_int_equal(dtls_srtp_conn_state(the_stream()->side[0].crypto->dtls), DTLS_SRTP_FAILED);
	/* nothing crosses: the PBX's RTP is not sent on to the browser */
	send_to(pb, port_for_b, pkt, rtp_packet(pkt, 1, 0xb));
	pump();
	while (recv(pa, pkt, sizeof(pkt), MSG_DONTWAIT) > 0)
		assert_int_not_equal(pkt[0], 0x80);
	delete_call();
	party_dtls_free(conn, ctx, shown);
	dtls_srtp_cert_free(announced);
}

/* Plain RTP sent from fd to the anchor's port reaches to_fd as SRTP that in unprotects. */
static void plain_arrives_protected(int fd, uint16_t port, int to_fd, struct mcrypto *in,
				    uint16_t seq)
{
	uint8_t pkt[1600];
	ssize_t n;
	size_t len;

	send_to(fd, port, pkt, rtp_packet(pkt, seq, 0xc));
	n = recv_one(to_fd, pkt, sizeof(pkt));
	assert_true(n > 172);
	len = (size_t)n;
	assert_int_equal(mcrypto_unprotect(in, false, pkt, &len), MCRYPTO_OK);
	assert_int_equal(len, 172);
}

/*
 * A, the PBX (plain), offers; B, the browser (cert's fingerprint in fp),
 * answers DTLS as client (a=setup:active) and its association *conn
 * connects. *port_for_a: the anchor's port toward A.
 */
static void b_answers_active(struct dtls_srtp_cert *cert, char *fp, size_t fpcap,
			     struct dtls_srtp_ctx **ctx, struct dtls_srtp_conn **conn,
			     struct dtls_party *party, uint16_t *port_for_a)
{
	char err[160], a[1024], b[2048], extra[512];
	struct fingerprint anchor_fp;

	drain();
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", NULL);
	ok_sig(true, "A", NULL, a, "UDP/TLS/RTP/SAVPF");
	party->fd = pb;
	party->anchor_port = reply_port();
	reply_fingerprint(&anchor_fp);
	fingerprint_format(dtls_srtp_cert_fingerprint(cert), fp, fpcap);
	snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:active\r\n", fp);
	media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "UDP/TLS/RTP/SAVPF", extra);
	ok_sig(false, "A", "B", b, NULL);
	*port_for_a = reply_port();
	assert_int_equal(the_stream()->side[1].crypto->live.role, DTLS_SRTP_PASSIVE);
	*ctx = dtls_srtp_ctx_new(cert, err, sizeof(err));
	*conn = dtls_srtp_conn_new(*ctx, DTLS_SRTP_ACTIVE, &anchor_fp, 1, 20, party_send, party);
	dtls_srtp_conn_start(*conn);
	assert_int_equal(handshake(*conn, pb), DTLS_SRTP_CONNECTED);
}

/* A is the PBX (plain), B the browser answering DTLS as client: a re-INVITE
 * from the PBX re-offers the established role and keeps the association. */
static void test_reoffer_toward_the_dtls_side_keeps_its_association(void **state)
{
	char err[160], a[1024], b[2048], fp[FINGERPRINT_MAX_TEXT + 1], extra[512];
	struct dtls_srtp_cert *cert = dtls_srtp_cert_generate(err, sizeof(err));
	struct dtls_srtp_ctx *ctx;
	struct dtls_srtp_conn *conn, *before;
	struct dtls_party party;
	uint8_t pkt[1600];
	uint16_t port_for_a;

	(void)state;
	b_answers_active(cert, fp, sizeof(fp), &ctx, &conn, &party, &port_for_a);
	before = the_stream()->side[1].crypto->dtls;
	assert_int_equal(dtls_srtp_conn_state(before), DTLS_SRTP_CONNECTED);

	/* re-INVITE from the PBX: B is offered the role it has, and answers the same */
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", "a=sendrecv\r\n");
	ok_sig(true, "A", NULL, a, "UDP/TLS/RTP/SAVPF");
	assert_non_null(strstr(reply_sdp, "a=setup:passive\r\n"));
	/* media goes on while the re-offer is out */
	send_to(pa, port_for_a, pkt, rtp_packet(pkt, 30, 0xa));
	assert_true(recv_one(pb, pkt, sizeof(pkt)) > 172);
	snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:active\r\n", fp);
	media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "UDP/TLS/RTP/SAVPF", extra);
	ok_sig(false, "A", "B", b, NULL);
	assert_ptr_equal(the_stream()->side[1].crypto->dtls, before);
	assert_int_equal(dtls_srtp_conn_state(before), DTLS_SRTP_CONNECTED);
	send_to(pa, port_for_a, pkt, rtp_packet(pkt, 31, 0xa));
	assert_true(recv_one(pb, pkt, sizeof(pkt)) > 172);

	/* a new fingerprint in a later answer: a new association */
	ok_sig(true, "A", NULL, a, "UDP/TLS/RTP/SAVPF");
	{
		struct dtls_srtp_cert *other = dtls_srtp_cert_generate(err, sizeof(err));

		fingerprint_format(dtls_srtp_cert_fingerprint(other), fp, sizeof(fp));
		snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:active\r\na=sendrecv\r\n", fp);
		media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "UDP/TLS/RTP/SAVPF", extra);
		ok_sig(false, "A", "B", b, NULL);
		assert_ptr_not_equal(the_stream()->side[1].crypto->dtls, NULL);
		assert_int_equal(dtls_srtp_conn_state(the_stream()->side[1].crypto->dtls),
				 DTLS_SRTP_HANDSHAKE);
		dtls_srtp_cert_free(other);
	}
	delete_call();
	party_dtls_free(conn, ctx, cert);
}

/*
 * B, the browser, answered the anchor's offer as DTLS client; its own
 * re-offer later (a re-INVITE, an ICE restart) says a=setup:actpass with
 * the same fingerprint: the anchor answers the role it has (passive) and
 * keeps the association and keys (RFC 5763 §6.7).
 */
static void test_party_reoffer_with_actpass_keeps_the_anchors_role(void **state)
{
	char err[160], a[1024], b[2048], fp[FINGERPRINT_MAX_TEXT + 1], extra[512];
	struct dtls_srtp_cert *cert = dtls_srtp_cert_generate(err, sizeof(err));
	struct dtls_srtp_ctx *ctx;
	struct dtls_srtp_conn *conn, *before;
	struct dtls_party party;
	struct mcrypto *b_in;
	uint16_t port_for_a;

	(void)state;
	b_answers_active(cert, fp, sizeof(fp), &ctx, &conn, &party, &port_for_a);
	before = the_stream()->side[1].crypto->dtls;
	b_in = party_mcrypto(conn, MCRYPTO_INBOUND);

	/* B's re-offer: actpass, the same fingerprint */
	snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:actpass\r\na=sendrecv\r\n", fp);
	media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "UDP/TLS/RTP/SAVPF", extra);
	ok_sig(true, "B", "A", b, "RTP/AVP");
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", "a=sendrecv\r\n");
	ok_sig(false, "B", "A", a, NULL);
	assert_non_null(strstr(reply_sdp, "a=setup:passive\r\n"));
	assert_null(strstr(reply_sdp, "a=setup:active"));
	assert_ptr_equal(the_stream()->side[1].crypto->dtls, before);
	assert_int_equal(dtls_srtp_conn_state(before), DTLS_SRTP_CONNECTED);
	assert_int_equal(the_stream()->side[1].crypto->live.role, DTLS_SRTP_PASSIVE);
	/* A's media still reaches B under the keys of the first handshake */
	plain_arrives_protected(pa, port_for_a, pb, b_in, 40);

	/* B's re-offer of a=setup:passive changes the roles: a new association */
	snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:passive\r\n", fp);
	media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "UDP/TLS/RTP/SAVPF", extra);
	ok_sig(true, "B", "A", b, "RTP/AVP");
	ok_sig(false, "B", "A", a, NULL);
	assert_non_null(strstr(reply_sdp, "a=setup:active\r\n"));
	/* (the old one freed first: compare states, not addresses) */
	assert_non_null(the_stream()->side[1].crypto->dtls);
	assert_int_equal(dtls_srtp_conn_state(the_stream()->side[1].crypto->dtls),
			 DTLS_SRTP_HANDSHAKE);
	assert_int_equal(the_stream()->side[1].crypto->live.role, DTLS_SRTP_ACTIVE);

	delete_call();
	mcrypto_free(b_in);
	party_dtls_free(conn, ctx, cert);
}

/* The flags pick what the anchor offers an SRTP party: DTLS's a=setup and the a=crypto suites. */
static void test_dtls_and_sdes_flags_shape_the_offer(void **state)
{
	static const struct {
		enum ng_dtls dtls;
		uint32_t sdes_no, sdes_only;
		const char *setup; /* NULL: no a=fingerprint/a=setup */
		const char *has, *lacks;
	} cases[] = {
	    {NG_DTLS_DEFAULT, 0, 0, "actpass", "AEAD_AES_128_GCM", NULL},
	    {NG_DTLS_PASSIVE, 0, 0, "passive", "AES_CM_128_HMAC_SHA1_80", NULL},
	    {NG_DTLS_ACTIVE, 0, 0, "active", "AES_CM_128_HMAC_SHA1_32", NULL},
	    {NG_DTLS_OFF, 0, 0, NULL, "AES_CM_128_HMAC_SHA1_80", NULL},
	    {NG_DTLS_DEFAULT, 1u << SRTP_SUITE_AEAD_AES_128_GCM, 0, "actpass",
	     "AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"},
	    {NG_DTLS_OFF, 0, 1u << SRTP_SUITE_AES_CM_128_HMAC_SHA1_32, NULL,
	     "AES_CM_128_HMAC_SHA1_32", "AES_CM_128_HMAC_SHA1_80"},
	};
	char a[1024], reason[256], want[64];

	(void)state;
	delete_call(); /* a fresh call whatever an earlier test left */
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/AVP", NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ng_request req;
		struct bdoc *d = bdoc_new();
		struct bval *reply = bdoc_dict(d);
		struct sdes_crypto k;

		signal_req(&req, true, "A", NULL, a, ANCHOR_ICE_REMOVE);
		req.transport_protocol = "RTP/SAVP";
		req.dtls_mode = cases[i].dtls;
		req.sdes_no = cases[i].sdes_no;
		req.sdes_only = cases[i].sdes_only;
		assert_int_equal(signal_run(&req, d, reply, reason, sizeof(reason)), 0);
		snprintf(reply_sdp, sizeof(reply_sdp), "%s", bval_dict_str(reply, "sdp"));
		bdoc_free(d);
		if (cases[i].setup) {
			snprintf(want, sizeof(want), "a=setup:%s\r\n", cases[i].setup);
			if (!strstr(reply_sdp, want))
				fail_msg("case %zu: no %s in %s", i, want, reply_sdp);
			assert_non_null(strstr(reply_sdp, "a=fingerprint:sha-256 "));
		} else {
			assert_null(strstr(reply_sdp, "a=setup"));
			assert_null(strstr(reply_sdp, "a=fingerprint"));
		}
		assert_true(reply_crypto(cases[i].has, &k));
		if (cases[i].lacks)
			assert_false(reply_crypto(cases[i].lacks, &k));
		delete_call();
	}
}

/* B's plain answer with ICE=force (the anchor lite) toward A; the anchor's port toward A. */
static uint16_t b_answers_plain_ice_toward_a(void)
{
	struct ng_request req;
	struct bdoc *d = bdoc_new();
	struct bval *reply = bdoc_dict(d);
	char b[1024], reason[256];

	media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "RTP/AVP", NULL);
	signal_req(&req, false, "A", "B", b, ANCHOR_ICE_FORCE);
	req.ice_lite = "both";
	if (signal_run(&req, d, reply, reason, sizeof(reason)) != 0)
		fail_msg("answer refused: %s", reason);
	snprintf(reply_sdp, sizeof(reply_sdp), "%s", bval_dict_str(reply, "sdp"));
	bdoc_free(d);
	return reply_port();
}

/* A, a browser with ICE and DTLS-SRTP (actpass), offers; ufrag/pwd its ICE credentials. */
static void a_offers_dtls_ice(char *a, size_t cap, const char *fp, const char *ufrag,
			      const char *pwd)
{
	char extra[768];

	snprintf(extra, sizeof(extra),
		 "a=fingerprint:%s\r\na=setup:actpass\r\na=ice-ufrag:%s\r\na=ice-pwd:%s\r\n"
		 "a=candidate:1 1 UDP 2130706431 127.0.0.2 %u typ host\r\n",
		 fp, ufrag, pwd, port_of(pa));
	media_sdp(a, cap, "127.0.0.2", port_of(pa), "UDP/TLS/RTP/SAVPF", extra);
	ok_sig(true, "A", NULL, a, "RTP/AVP");
}

/*
 * A browser's ICE restart (new credentials, same fingerprint, actpass)
 * keeps the DTLS association and its keys: after A's checks with the new
 * credentials, the PBX's media reaches A under the first handshake's keys.
 */
static void test_ice_restart_keeps_the_dtls_association(void **state)
{
	char err[160], a[2048], fp[FINGERPRINT_MAX_TEXT + 1];
	struct dtls_srtp_cert *cert = dtls_srtp_cert_generate(err, sizeof(err));
	struct dtls_srtp_ctx *ctx = dtls_srtp_ctx_new(cert, err, sizeof(err));
	struct dtls_srtp_conn *conn, *before;
	struct fingerprint anchor_fp;
	struct dtls_party party;
	struct mcrypto *a_in;
	uint16_t port_for_b, to_a;
	uint64_t failed_before = SH0->stats.dtls_failed;

	(void)state;
	delete_call();
	drain();
	fingerprint_format(dtls_srtp_cert_fingerprint(cert), fp, sizeof(fp));
	a_offers_dtls_ice(a, sizeof(a), fp, A_UFRAG, A_PWD);
	port_for_b = reply_port();
	to_a = b_answers_plain_ice_toward_a();
	assert_non_null(strstr(reply_sdp, "a=setup:active\r\n"));
	reply_fingerprint(&anchor_fp);
	party.fd = pa;
	party.anchor_port = to_a;
	conn = dtls_srtp_conn_new(ctx, DTLS_SRTP_PASSIVE, &anchor_fp, 1, 20, party_send, &party);
	dtls_srtp_conn_start(conn);
	check(pa, to_a, A_UFRAG, true); /* the anchor (active) starts once ICE picked A */
	assert_int_equal(handshake(conn, pa), DTLS_SRTP_CONNECTED);
	before = the_stream()->side[0].crypto->dtls;
	assert_int_equal(dtls_srtp_conn_state(before), DTLS_SRTP_CONNECTED);
	a_in = party_mcrypto(conn, MCRYPTO_INBOUND);

	/* the ICE restart: new credentials, the same certificate, actpass */
	a_offers_dtls_ice(a, sizeof(a), fp, A_UFRAG2, A_PWD2);
	assert_int_equal(b_answers_plain_ice_toward_a(), to_a);
	assert_non_null(strstr(reply_sdp, "a=setup:active\r\n"));
	assert_ptr_equal(the_stream()->side[0].crypto->dtls, before);
	assert_int_equal(dtls_srtp_conn_state(before), DTLS_SRTP_CONNECTED);
	check(pa, to_a, A_UFRAG2, true);
	drain();
	plain_arrives_protected(pb, port_for_b, pa, a_in, 50);
	assert_int_equal(SH0->stats.dtls_failed, failed_before);
	delete_call();
	mcrypto_free(a_in);
	party_dtls_free(conn, ctx, cert);
}

/* SDP between two encrypted profiles and from SDES to plain: whose lines go where. */
static void test_sdp_from_sdes_to_dtls_and_to_plain(void **state)
{
	char a[1024], b[1024], extra[512], fp[FINGERPRINT_MAX_TEXT + 1], err[160];
	struct dtls_srtp_cert *cert = dtls_srtp_cert_generate(err, sizeof(err));
	struct sdes_crypto k;

	(void)state;
	delete_call();
	media_sdp(a, sizeof(a), "127.0.0.2", port_of(pa), "RTP/SAVP",
		  "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
		  "inline:PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR\r\n");
	/* SDES -> UDP/TLS/RTP/SAVPF: B gets the anchor's fingerprint, no a=crypto at all */
	ok_sig(true, "A", NULL, a, "UDP/TLS/RTP/SAVPF");
	assert_non_null(strstr(reply_sdp, " UDP/TLS/RTP/SAVPF 0\r\n"));
	assert_non_null(strstr(reply_sdp, "a=fingerprint:sha-256 "));
	assert_non_null(strstr(reply_sdp, "a=setup:actpass\r\n"));
	assert_null(strstr(reply_sdp, "a=crypto"));
	assert_true(bridge_stream_active(the_stream()));
	/* B answers DTLS: A gets the anchor's own key for its tag and suite, no fingerprint */
	fingerprint_format(dtls_srtp_cert_fingerprint(cert), fp, sizeof(fp));
	snprintf(extra, sizeof(extra), "a=fingerprint:%s\r\na=setup:active\r\n", fp);
	media_sdp(b, sizeof(b), "127.0.0.3", port_of(pb), "UDP/TLS/RTP/SAVPF", extra);
	ok_sig(false, "A", "B", b, NULL);
	assert_non_null(strstr(reply_sdp, " RTP/SAVP 0\r\n"));
	assert_null(strstr(reply_sdp, "a=fingerprint"));
	assert_null(strstr(reply_sdp, "a=setup"));
	assert_true(reply_crypto("AES_CM_128_HMAC_SHA1_80", &k));
	assert_int_equal(k.tag, 1);
	assert_null(strstr(reply_sdp, "PS1uQCVeeCFCanVmcjkpPywjNWhcYD0mXXtxaVBR"));
	assert_string_equal(bridge_side_mode(the_stream(), 0), "bridged");
	assert_string_equal(bridge_side_mode(the_stream(), 1), "bridged");
	delete_call();

	/* SDES -> AVP: A's a=crypto never reaches the plain party */
	ok_sig(true, "A", NULL, a, "RTP/AVP");
	assert_true(strstr(reply_sdp, " RTP/AVP 0\r\n") && !strstr(reply_sdp, "a=crypto") &&
		    !strstr(reply_sdp, "a=fingerprint") && bridge_stream_active(the_stream()));
	delete_call();
	dtls_srtp_cert_free(cert);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sdp_for_every_profile_change),
	    cmocka_unit_test(test_sdes_bridge_both_ways),
	    cmocka_unit_test(test_sdes_contexts_are_made_off_the_lock),
	    cmocka_unit_test(test_dtls_bridge_both_ways_and_close_on_delete),
	    cmocka_unit_test(test_dtls_peer_not_matching_its_fingerprint_is_refused),
	    cmocka_unit_test(test_reoffer_toward_the_dtls_side_keeps_its_association),
	    cmocka_unit_test(test_party_reoffer_with_actpass_keeps_the_anchors_role),
	    cmocka_unit_test(test_dtls_and_sdes_flags_shape_the_offer),
	    cmocka_unit_test(test_ice_restart_keeps_the_dtls_association),
	    cmocka_unit_test(test_sdp_from_sdes_to_dtls_and_to_plain),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
