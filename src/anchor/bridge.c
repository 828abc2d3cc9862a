/*
 * bridge.c - SRTP bridging: the anchor terminates DTLS-SRTP (RFC 5763,
 * RFC 5764) or SDES (RFC 4568) toward a party whose profile is SAVP(F)
 * when the other party's profile differs (transport-protocol), the way
 * rtpengine does in front of a plain-RTP PBX: the browser gets
 * RTP/SAVPF with the anchor's a=fingerprint, the PBX RTP/AVP without any
 * crypto line, and every packet is decrypted from one side and encrypted
 * for the other.
 *
 * Negotiation. An offer from party X with transport-protocol T for party
 * Y: when X's profile P and T differ and either is SAVP, the stream is
 * bridged. X's side, when P is SAVP, is keyed from X's offer (its
 * a=fingerprint and a=setup for DTLS, else the first usable a=crypto for
 * SDES) and the anchor's answer lines go to X in Y's answer. Y's side,
 * when T is SAVP, is OFFERED: Y gets the anchor's a=fingerprint and
 * a=setup:actpass (unless DTLS=off or =passive/active) and, unless
 * SDES-off or a UDP/TLS profile, one a=crypto per allowed suite; Y's
 * answer picks DTLS (a=fingerprint) or SDES (an a=crypto of an offered
 * tag). When P and T are the same, or neither is SAVP, nothing is
 * terminated (DTLS-SRTP stays end to end, or only AVP/AVPF changes).
 *
 * Keys. SDES keys are known at commit. A DTLS association (dtls_srtp.h)
 * runs on the side's RTP socket to the side's destination (the verdict-
 * checked one of media.c): the active end starts once the destination is
 * known (ICE succeeded, latched or SDP), the passive one answers the
 * party's ClientHello; the peer's certificate must match its
 * a=fingerprint. Re-offers keep the association and keys while the
 * fingerprints and role stay (the anchor re-offers its established role,
 * RFC 5763 §6.7); ICE restarts do not touch them.
 *
 * Media. bridge_packet() runs per packet under the call's shard lock: unprotect
 * with the arriving side's inbound context, protect with the other side's
 * outbound one, in its shard's crypt_buf; failures (authentication, replay, no
 * keys yet) drop the packet and count it. Bridged streams stay in
 * userspace (the kernel module does not do SRTP).
 *
 * RTCP. Toward a DTLS party without rtcp-mux, RTCP on its own port has an
 * association of its own on that 5-tuple (RFC 5764 §4.1), same role and
 * fingerprints, run the same way to the side's RTCP destination; its
 * exporter keys SRTCP on that port (side_crypto.rtcp), the RTP
 * association's keys SRTP and any RTCP on the RTP port. SDES keys serve
 * both ports. Each side muxes or not on its own: RTCP is unprotected with
 * the keys of the port it came in on and protected with those of the port
 * it leaves by.
 */
#include <event2/event.h>
#include <openssl/crypto.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "anchor/anchor_internal.h"
#include "anchor/fingerprint.h"
#include "common/addr.h"
#include "common/log.h"

#define DTLS_TICK_MS 50

static const char *const rtp_profiles[] = {"RTP/AVP",	 "RTP/AVPF",	     "RTP/SAVP",
					   "RTP/SAVPF", "UDP/TLS/RTP/SAVP", "UDP/TLS/RTP/SAVPF"};

/* The order a=crypto lines are offered in: strongest first. */
static const enum srtp_suite_id sdes_order[] = {
    SRTP_SUITE_AEAD_AES_256_GCM,	SRTP_SUITE_AEAD_AES_128_GCM,
    SRTP_SUITE_AES_256_CM_HMAC_SHA1_80, SRTP_SUITE_AES_256_CM_HMAC_SHA1_32,
    SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, SRTP_SUITE_AES_CM_128_HMAC_SHA1_32,
};

static bool profile_known(const char *p)
{
	for (size_t i = 0; i < sizeof(rtp_profiles) / sizeof(rtp_profiles[0]); i++)
		if (strcasecmp(p, rtp_profiles[i]) == 0)
			return true;
	return false;
}

static bool profile_srtp(const char *p)
{
	return strcasestr(p, "SAVP") != NULL;
}

static bool profile_rtp(const char *p)
{
	return strcasestr(p, "RTP/") != NULL;
}

/* UDP/TLS/RTP/SAVP(F): keyed by DTLS only (RFC 5764 §8) */
static bool profile_dtls_only(const char *p)
{
	return strncasecmp(p, "UDP/TLS/", 8) == 0;
}

static int fail(char *reason, size_t reasonlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(char *reason, size_t reasonlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, reasonlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* NULL-safe: a side without crypto state is plain or passed through. */
static bool side_terminated(const struct side_crypto *sc)
{
	return sc && sc->nego.kind != SIDE_CRYPTO_NONE;
}

bool bridge_nego_bridged(const struct crypto_nego *a, const struct crypto_nego *b)
{
	return a->kind != SIDE_CRYPTO_NONE || b->kind != SIDE_CRYPTO_NONE;
}

bool bridge_stream_active(const struct stream *st)
{
	for (int k = 0; k < 2; k++) {
		const struct side_crypto *sc = st->side[k].crypto;

		if (sc && (side_terminated(sc) || sc->in))
			return true;
	}
	return false;
}

/* ---- the anchor's identity and timer ---- */

static void dtls_tick(evutil_socket_t fd, short what, void *arg);

int bridge_open(struct anchor *an, char *err, size_t errlen)
{
	const struct config *cfg = an->cfg;
	char e[300];

	if (!cfg->anchor_dtls_cert != !cfg->anchor_dtls_key) {
		snprintf(err, errlen, "anchor: anchor-dtls-cert and anchor-dtls-key go together");
		return -1;
	}
	if (cfg->anchor_dtls_cert)
		an->dtls_cert = dtls_srtp_cert_load(cfg->anchor_dtls_cert, cfg->anchor_dtls_key, e,
						    sizeof(e));
	else
		an->dtls_cert = dtls_srtp_cert_generate(e, sizeof(e));
	if (!an->dtls_cert || !(an->dtls_ctx = dtls_srtp_ctx_new(an->dtls_cert, e, sizeof(e)))) {
		snprintf(err, errlen, "anchor: %s", e);
		return -1;
	}
	if (fingerprint_format(dtls_srtp_cert_fingerprint(an->dtls_cert), e, sizeof(e)) > 0)
		log_info("anchor: DTLS-SRTP certificate %s, fingerprint %s",
			 cfg->anchor_dtls_cert ? cfg->anchor_dtls_cert : "made at startup", e);
	return 0;
}

int bridge_shard_open(struct anchor_shard *sh)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = DTLS_TICK_MS * 1000};

	sh->crypt_buf = malloc(ANCHOR_RX_BUF + MCRYPTO_TRAILER_MAX);
	sh->dtls_ev = event_new(sh->base, -1, EV_PERSIST, dtls_tick, sh);
	if (!sh->crypt_buf || !sh->dtls_ev || event_add(sh->dtls_ev, &tv) < 0)
		return -1;
	return 0;
}

void bridge_shard_close(struct anchor_shard *sh)
{
	if (sh->dtls_ev)
		event_free(sh->dtls_ev);
	sh->dtls_ev = NULL;
	free(sh->crypt_buf);
	sh->crypt_buf = NULL;
}

void bridge_close(struct anchor *an)
{
	bridge_keys_drop(an);
	dtls_srtp_ctx_free(an->dtls_ctx);
	dtls_srtp_cert_free(an->dtls_cert);
	an->dtls_ctx = NULL;
	an->dtls_cert = NULL;
}

/* ---- negotiation (prepare phase: nothing changes) ---- */

static bool sdes_allowed(const struct ng_request *req, const struct srtp_suite *s)
{
	uint32_t bit = 1u << s->id;

	return !req->sdes_off && !(req->sdes_no & bit) && (!req->sdes_only || (req->sdes_only & bit));
}

/* The first line of the stream's sections in s (the one its plan is read from). */
static bool first_line_of_stream(const struct call *c, size_t i)
{
	for (size_t j = 0; j < i; j++)
		if (c->media_stream[j] == c->media_stream[i])
			return false;
	return true;
}

static int parse_fingerprints(const struct sdp_media *m, struct crypto_nego *p, char *reason,
			      size_t reasonlen)
{
	size_t n = m->n_fingerprints < DTLS_SRTP_MAX_REMOTE_FP ? m->n_fingerprints
							       : DTLS_SRTP_MAX_REMOTE_FP;

	for (size_t k = 0; k < n; k++) {
		char err[128];

		if (fingerprint_parse(m->fingerprints[k], strlen(m->fingerprints[k]),
				      &p->remote_fp[k], err, sizeof(err)) < 0)
			return fail(reason, reasonlen, "media %s: %s", m->type, err);
	}
	p->n_remote_fp = n;
	return 0;
}

static bool same_fingerprints(const struct crypto_nego *a, const struct crypto_nego *b);

/*
 * The party offered SRTP and the anchor answers it: DTLS, else SDES. now:
 * the side as it is. A re-offer with a=setup:actpass and the fingerprints
 * of the live association keeps the anchor's role (RFC 5763 §6.7: a new
 * role would mean a new association; browsers re-offer actpass, e.g. on an
 * ICE restart), unless DTLS=active|passive says otherwise.
 */
static int plan_party_offer(const struct sdp_media *m, const struct ng_request *req,
			    const struct side_crypto *now, struct crypto_nego *p, char *reason,
			    size_t reasonlen)
{
	struct sdes_crypto chosen;
	char err[160] = "";
	bool found = false;

	if (m->n_fingerprints && req->dtls_mode != NG_DTLS_OFF) {
		if (parse_fingerprints(m, p, reason, reasonlen) < 0)
			return -1;
		switch (m->setup) {
		case SDP_SETUP_ACTPASS:
			if (req->dtls_mode == NG_DTLS_DEFAULT && now && now->dtls &&
			    now->live.kind == SIDE_CRYPTO_DTLS && same_fingerprints(&now->live, p))
				p->role = now->live.role;
			else
				p->role = req->dtls_mode == NG_DTLS_PASSIVE ? DTLS_SRTP_PASSIVE
									    : DTLS_SRTP_ACTIVE;
			break;
		case SDP_SETUP_PASSIVE:
			p->role = DTLS_SRTP_ACTIVE;
			break;
		case SDP_SETUP_ACTIVE:
		case SDP_SETUP_NONE: /* RFC 4145 §4: no a=setup is active */
			p->role = DTLS_SRTP_PASSIVE;
			break;
		case SDP_SETUP_HOLDCONN:
			return fail(reason, reasonlen, "media %s: a=setup:holdconn is not supported",
				    m->type);
		}
		p->kind = SIDE_CRYPTO_DTLS;
		p->anchor_offered = false;
		p->n_local = 0;
		return 0;
	}
	if (profile_dtls_only(m->proto))
		return fail(reason, reasonlen,
			    req->dtls_mode == NG_DTLS_OFF
				? "media %s: %s needs DTLS, which DTLS=off turns off"
				: "media %s: %s offer without a=fingerprint",
			    m->type, m->proto);
	for (size_t k = 0; !req->sdes_off && k < m->n_cryptos && !found; k++) {
		int rc = sdes_parse(m->cryptos[k], strlen(m->cryptos[k]), &chosen, err,
				    sizeof(err));

		found = rc == 0 && sdes_allowed(req, chosen.suite);
	}
	if (!found)
		return fail(reason, reasonlen, "media %s: %s offer with no usable a=crypto%s%s",
			    m->type, m->proto, err[0] ? ": " : "", err);
	/* the anchor's answer: same tag and suite, its own key, the same session
	   parameters (RFC 4568 §6.3); a re-offer of the same keeps the key */
	if (!(p->kind == SIDE_CRYPTO_SDES && p->n_local == 1 &&
	      p->local[0].suite == chosen.suite && p->local[0].tag == chosen.tag) &&
	    sdes_generate(chosen.suite, chosen.tag, &p->local[0]) < 0)
		return fail(reason, reasonlen, "no random bytes for an SRTP key");
	p->local[0].unencrypted_srtp = chosen.unencrypted_srtp;
	p->local[0].unencrypted_srtcp = chosen.unencrypted_srtcp;
	p->local[0].unauthenticated_srtp = chosen.unauthenticated_srtp;
	p->n_local = 1;
	p->remote = chosen;
	p->kind = SIDE_CRYPTO_SDES;
	p->anchor_offered = false;
	return 0;
}

/* The anchor offers SRTP to a party: its fingerprint, and a=crypto lines. */
static int plan_anchor_offer(const struct ng_request *req, const struct side_crypto *now,
			     struct crypto_nego *p, const char *proto, char *reason,
			     size_t reasonlen)
{
	struct sdes_crypto keys[SRTP_SUITE_COUNT];
	size_t n = 0;

	p->offer_dtls = req->dtls_mode != NG_DTLS_OFF;
	p->offer_setup = req->dtls_mode;
	/* a re-offer keeps the established role (RFC 5763 §6.7): a new one would
	   mean a new association */
	if (req->dtls_mode == NG_DTLS_DEFAULT && now && now->dtls)
		p->offer_setup = now->live.role == DTLS_SRTP_ACTIVE ? NG_DTLS_ACTIVE
								    : NG_DTLS_PASSIVE;
	for (size_t k = 0; !profile_dtls_only(proto) && k < sizeof(sdes_order) / sizeof(sdes_order[0]);
	     k++) {
		const struct srtp_suite *s = srtp_suite_get(sdes_order[k]);
		bool kept = false;

		if (!sdes_allowed(req, s))
			continue;
		for (size_t j = 0; j < p->n_local && !kept; j++) {
			if (p->local[j].suite == s) {
				keys[n] = p->local[j];
				kept = true;
			}
		}
		if (!kept && sdes_generate(s, 0, &keys[n]) < 0)
			return fail(reason, reasonlen, "no random bytes for an SRTP key");
		keys[n].tag = (unsigned long)(n + 1);
		n++;
	}
	if (!p->offer_dtls && n == 0)
		return fail(reason, reasonlen,
			    "transport-protocol %s needs DTLS-SRTP or SDES, and the flags turn "
			    "both off",
			    proto);
	memcpy(p->local, keys, n * sizeof(keys[0]));
	p->n_local = n;
	p->kind = SIDE_CRYPTO_OFFERED;
	p->anchor_offered = true;
	return 0;
}

/* Each side's plan starts as what it has: its nego, or plain with its profile. */
static void plans_of_now(const struct call *c, struct crypto_nego (*plans)[2])
{
	for (unsigned int k = 0; k < c->nstreams; k++) {
		for (int j = 0; j < 2; j++) {
			const struct stream_side *ss = &c->streams[k]->side[j];

			if (ss->crypto) {
				plans[k][j] = ss->crypto->nego;
				continue;
			}
			memset(&plans[k][j], 0, sizeof(plans[k][j]));
			memcpy(plans[k][j].proto, ss->proto, sizeof(ss->proto));
		}
	}
}

int bridge_plan_offer(struct anchor *an, const struct call *c, const struct sdp *s, int src,
		      const struct ng_request *req, struct crypto_nego (*plans)[2], char *reason,
		      size_t reasonlen)
{
	int dst = 1 - src;
	const char *t = req->transport_protocol;

	(void)an;
	plans_of_now(c, plans);
	if (t && !profile_known(t))
		return fail(reason, reasonlen,
			    "transport-protocol '%.40s' is not one the anchor knows (RTP/AVP, "
			    "RTP/AVPF, RTP/SAVP, RTP/SAVPF, UDP/TLS/RTP/SAVP, UDP/TLS/RTP/SAVPF)",
			    t);
	for (size_t i = 0; i < s->n_media && i < c->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		int si = c->media_stream[i];
		struct crypto_nego *ps, *pd;
		const char *to;

		if (si < 0 || !first_line_of_stream(c, i))
			continue;
		ps = &plans[si][src];
		pd = &plans[si][dst];
		/* only RTP sections change profile (a data channel stays as it is) */
		to = (t && profile_rtp(m->proto) && m->port) ? t : m->proto;
		snprintf(ps->proto, sizeof(ps->proto), "%s", m->proto);
		snprintf(pd->proto, sizeof(pd->proto), "%s", to);
		if (strcasecmp(m->proto, to) == 0 || (!profile_srtp(m->proto) && !profile_srtp(to))) {
			ps->kind = pd->kind = SIDE_CRYPTO_NONE;
			continue;
		}
		if (!profile_srtp(m->proto))
			ps->kind = SIDE_CRYPTO_NONE;
		else if (plan_party_offer(m, req, c->streams[si]->side[src].crypto, ps, reason,
					  reasonlen) < 0)
			return -1;
		if (!profile_srtp(to))
			pd->kind = SIDE_CRYPTO_NONE;
		else if (plan_anchor_offer(req, c->streams[si]->side[dst].crypto, pd, to, reason,
					   reasonlen) < 0)
			return -1;
	}
	return 0;
}

/* The party answered the anchor's SRTP offer: DTLS or one offered a=crypto. */
static int plan_party_answer(const struct sdp_media *m, struct crypto_nego *p, char *reason,
			     size_t reasonlen)
{
	char err[160] = "";

	if (!profile_srtp(m->proto))
		return fail(reason, reasonlen,
			    "media %s: the answer's profile %s does not take the SRTP offered (%s)",
			    m->type, m->proto, p->proto);
	if (m->n_fingerprints && p->offer_dtls) {
		if (parse_fingerprints(m, p, reason, reasonlen) < 0)
			return -1;
		switch (p->offer_setup) {
		case NG_DTLS_ACTIVE:
			p->role = DTLS_SRTP_ACTIVE;
			break;
		case NG_DTLS_PASSIVE:
			p->role = DTLS_SRTP_PASSIVE;
			break;
		default:
			if (m->setup == SDP_SETUP_ACTPASS || m->setup == SDP_SETUP_HOLDCONN)
				return fail(reason, reasonlen,
					    "media %s: answer with a=setup:%s (RFC 5763 §5: active "
					    "or passive)",
					    m->type,
					    m->setup == SDP_SETUP_ACTPASS ? "actpass" : "holdconn");
			/* RFC 4145 §4: no a=setup is active */
			p->role = m->setup == SDP_SETUP_PASSIVE ? DTLS_SRTP_ACTIVE
								: DTLS_SRTP_PASSIVE;
		}
		p->kind = SIDE_CRYPTO_DTLS;
		p->n_local = 0;
		return 0;
	}
	for (size_t k = 0; k < m->n_cryptos; k++) {
		struct sdes_crypto got;

		if (sdes_parse(m->cryptos[k], strlen(m->cryptos[k]), &got, err, sizeof(err)) != 0)
			continue;
		for (size_t j = 0; j < p->n_local; j++) {
			if (p->local[j].tag == got.tag && p->local[j].suite == got.suite) {
				p->local[0] = p->local[j];
				p->n_local = 1;
				p->remote = got;
				p->kind = SIDE_CRYPTO_SDES;
				return 0;
			}
		}
	}
	return fail(reason, reasonlen,
		    "media %s: the answer to the SRTP offer has neither a=fingerprint nor an "
		    "a=crypto of an offered tag%s%s",
		    m->type, err[0] ? ": " : "", err);
}

int bridge_plan_answer(struct anchor *an, const struct call *c, const struct sdp *s, int src,
		       const struct ng_request *req, struct crypto_nego (*plans)[2], char *reason,
		       size_t reasonlen)
{
	(void)an;
	(void)req; /* the offerer keeps the profile it offered, whatever the flags say */
	plans_of_now(c, plans);
	for (size_t i = 0; i < s->n_media && i < c->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		int si = c->media_stream[i];
		struct crypto_nego *pa;

		if (si < 0 || !first_line_of_stream(c, i))
			continue;
		pa = &plans[si][src];
		/* the anchor's offer, or a new answer to the offer it answered before
		   (a fingerprint or key may change) */
		if (pa->kind == SIDE_CRYPTO_NONE || !pa->anchor_offered)
			continue;
		if (m->port == 0) {
			pa->kind = SIDE_CRYPTO_NONE;
			continue;
		}
		if (plan_party_answer(m, pa, reason, reasonlen) < 0)
			return -1;
	}
	return 0;
}

/* ---- the SDP a party gets ---- */

static int add_fingerprint_setup(struct anchor *an, struct sdp *s, size_t i, const char *setup)
{
	char fp[FINGERPRINT_MAX_TEXT + 1], line[FINGERPRINT_MAX_TEXT + 32];

	if (fingerprint_format(dtls_srtp_cert_fingerprint(an->dtls_cert), fp, sizeof(fp)) < 0)
		return -1;
	snprintf(line, sizeof(line), "a=fingerprint:%s", fp);
	if (sdp_media_add_attr(s, i, line) < 0)
		return -1;
	snprintf(line, sizeof(line), "a=setup:%s", setup);
	return sdp_media_add_attr(s, i, line);
}

static int add_crypto(struct sdp *s, size_t i, const struct sdes_crypto *k)
{
	char v[SDES_MAX_TEXT], line[SDES_MAX_TEXT + 16];

	if (sdes_format(k, v, sizeof(v)) < 0)
		return -1;
	snprintf(line, sizeof(line), "a=crypto:%s", v);
	return sdp_media_add_attr(s, i, line);
}

int bridge_rewrite_section(struct anchor *an, struct sdp *s, size_t i, const struct sdp_media *m,
			   const struct crypto_nego *plan, bool bridged)
{
	static const char *const setup[] = {"actpass", "actpass", "active", "passive"};

	/* a data channel (UDP/DTLS/SCTP) bundled with the audio keeps its line */
	if (!profile_rtp(m->proto))
		return 0;
	if (plan->proto[0] && strcmp(plan->proto, m->proto) != 0 &&
	    sdp_media_set_proto(s, i, plan->proto) < 0)
		return -1;
	if (!bridged)
		return 0;
	/* the other party's keying is never passed on when the anchor bridges */
	sdp_media_remove_attr(s, i, "fingerprint");
	sdp_media_remove_attr(s, i, "setup");
	sdp_media_remove_attr(s, i, "crypto");
	sdp_media_remove_attr(s, i, "tls-id");
	switch (plan->kind) {
	case SIDE_CRYPTO_OFFERED:
		if (plan->offer_dtls && add_fingerprint_setup(an, s, i, setup[plan->offer_setup]) < 0)
			return -1;
		for (size_t k = 0; k < plan->n_local; k++)
			if (add_crypto(s, i, &plan->local[k]) < 0)
				return -1;
		return 0;
	case SIDE_CRYPTO_DTLS:
		return add_fingerprint_setup(an, s, i,
					     plan->role == DTLS_SRTP_ACTIVE ? "active" : "passive");
	case SIDE_CRYPTO_SDES:
		return plan->n_local ? add_crypto(s, i, &plan->local[0]) : -1;
	case SIDE_CRYPTO_NONE:
		break;
	}
	return 0;
}

/* ---- commit: associations and contexts ---- */

/* An association goes (close_notify when connected). */
static void conn_free(struct anchor_shard *sh, struct dtls_srtp_conn **conn, bool *started)
{
	if (*conn) {
		if (dtls_srtp_conn_state(*conn) == DTLS_SRTP_HANDSHAKE && *started &&
		    sh->dtls_handshakes)
			sh->dtls_handshakes--;
		dtls_srtp_conn_close(*conn); /* close_notify when connected */
		dtls_srtp_conn_free(*conn);
	}
	*conn = NULL;
	*started = false;
}

static void side_rtcp_free(struct side_crypto *sc)
{
	conn_free(sc->sh, &sc->rtcp.conn, &sc->rtcp.started);
	mcrypto_free(sc->rtcp.in);
	mcrypto_free(sc->rtcp.out);
	sc->rtcp.in = sc->rtcp.out = NULL;
}

/* The side's DTLS associations go, the RTCP port's with its contexts. */
static void side_dtls_free(struct side_crypto *sc)
{
	conn_free(sc->sh, &sc->dtls, &sc->dtls_started);
	side_rtcp_free(sc);
}

static void side_keys_free(struct anchor *an, struct side_crypto *sc)
{
	side_dtls_free(sc);
	sc->keys_gen = ++an->keys_gen; /* a context still being made is not wanted */
	mcrypto_free(sc->in);
	mcrypto_free(sc->out);
	sc->in = sc->out = NULL;
}

/* DTLS datagrams for the party go to its side's destination of the
 * component, verdict-checked. */
static void dtls_send_comp(struct stream_side *ss, int comp, const uint8_t *buf, size_t len)
{
	const struct side_dest *d = &ss->dest[comp];

	if (ss->nsocks <= comp || d->kind == SIDE_DEST_NONE || d->kind == SIDE_DEST_REFUSED)
		return; /* the retransmission timer tries again */
	media_send(&ss->socks[comp], &d->to, buf, len);
}

static void dtls_send(void *arg, const uint8_t *buf, size_t len)
{
	dtls_send_comp(arg, 0, buf, len);
}

static void dtls_send_rtcp(void *arg, const uint8_t *buf, size_t len)
{
	dtls_send_comp(arg, 1, buf, len);
}

static bool same_fingerprints(const struct crypto_nego *a, const struct crypto_nego *b)
{
	if (a->n_remote_fp != b->n_remote_fp)
		return false;
	for (size_t k = 0; k < a->n_remote_fp; k++)
		if (a->remote_fp[k].hash != b->remote_fp[k].hash ||
		    a->remote_fp[k].len != b->remote_fp[k].len ||
		    memcmp(a->remote_fp[k].digest, b->remote_fp[k].digest, a->remote_fp[k].len))
			return false;
	return true;
}

static bool same_sdes(const struct sdes_crypto *a, const struct sdes_crypto *b)
{
	return a->suite == b->suite && a->key_salt_len == b->key_salt_len &&
	       CRYPTO_memcmp(a->key_salt, b->key_salt, a->key_salt_len) == 0 &&
	       a->unencrypted_srtp == b->unencrypted_srtp &&
	       a->unencrypted_srtcp == b->unencrypted_srtcp &&
	       a->unauthenticated_srtp == b->unauthenticated_srtp && a->wsh == b->wsh;
}

/* What the live association or contexts were made from still holds. */
static bool side_keys_hold(const struct side_crypto *sc, const struct crypto_nego *p)
{
	const struct crypto_nego *now = &sc->live;

	if (p->kind == SIDE_CRYPTO_DTLS)
		return sc->dtls && now->kind == SIDE_CRYPTO_DTLS && now->role == p->role &&
		       same_fingerprints(now, p) &&
		       dtls_srtp_conn_state(sc->dtls) != DTLS_SRTP_FAILED;
	if (p->kind == SIDE_CRYPTO_SDES)
		return sc->in && now->kind == SIDE_CRYPTO_SDES && now->n_local == 1 &&
		       same_sdes(&now->remote, &p->remote) &&
		       same_sdes(&now->local[0], &p->local[0]);
	return false;
}

int bridge_reserve(const struct call *c, const struct crypto_nego (*plans)[2],
		   struct side_crypto *(*spare)[2])
{
	for (unsigned int k = 0; k < c->nstreams; k++) {
		for (int j = 0; j < 2; j++) {
			if (plans[k][j].kind == SIDE_CRYPTO_NONE || c->streams[k]->side[j].crypto)
				continue;
			spare[k][j] = calloc(1, sizeof(*spare[k][j]));
			if (!spare[k][j])
				return -1;
		}
	}
	return 0;
}

void bridge_spares_free(struct side_crypto *(*spare)[2])
{
	for (unsigned int k = 0; k < ANCHOR_MAX_STREAMS; k++) {
		for (int j = 0; j < 2; j++) {
			free(spare[k][j]);
			spare[k][j] = NULL;
		}
	}
}

void bridge_commit(struct anchor *an, struct stream *st, int side, const struct crypto_nego *plan,
		   struct side_crypto **spare)
{
	struct stream_side *ss = &st->side[side];
	struct side_crypto *sc;

	if (plan->kind == SIDE_CRYPTO_NONE) {
		bridge_side_free(an, ss); /* its associations and contexts go with it */
		memcpy(ss->proto, plan->proto, sizeof(ss->proto));
		return;
	}
	if (!ss->crypto) {
		ss->crypto = *spare; /* bridge_reserve() made it */
		*spare = NULL;
	}
	sc = ss->crypto;
	memcpy(ss->proto, plan->proto, sizeof(ss->proto));
	sc->sh = st->sh; /* its associations' handshakes count there */
	switch (plan->kind) {
	case SIDE_CRYPTO_NONE:
		break;
	case SIDE_CRYPTO_OFFERED:
		/* media goes on with what there is (sc->live) until the answer decides */
		break;
	case SIDE_CRYPTO_DTLS:
		if (side_keys_hold(sc, plan))
			break;
		side_keys_free(an, sc);
		sc->dtls = dtls_srtp_conn_new(an->dtls_ctx, plan->role, plan->remote_fp,
					      plan->n_remote_fp, 0, dtls_send, ss);
		if (!sc->dtls)
			log_warn("anchor: call %s: no DTLS association (out of memory)",
				 st->call->call_id);
		else if (plan->role == DTLS_SRTP_PASSIVE) {
			sc->dtls_started = true;
			st->sh->dtls_handshakes++;
		}
		sc->live = *plan;
		break;
	case SIDE_CRYPTO_SDES:
		if (side_keys_hold(sc, plan))
			break;
		/* the contexts are made off the lock (bridge_keys.c); the ones
		   the side has serve until they are swapped in */
		side_dtls_free(sc);
		bridge_keys_request(an, st, side, plan);
		sc->live = *plan;
		break;
	}
	sc->nego = *plan;
}

void bridge_side_free(struct anchor *an, struct stream_side *ss)
{
	ss->proto[0] = '\0';
	if (!ss->crypto)
		return;
	side_keys_free(an, ss->crypto);
	OPENSSL_cleanse(ss->crypto, sizeof(*ss->crypto)); /* its SDES keys */
	free(ss->crypto);
	ss->crypto = NULL;
}

/* ---- DTLS on the media path ---- */

/*
 * An association's state moved (comp's: 0 the RTP port's, 1 the RTCP
 * port's): its contexts keyed into *in and *out, or the failure counted
 * once.
 */
static void dtls_settle(struct anchor *an, struct stream *st, struct dtls_srtp_conn *conn,
			struct mcrypto **in, struct mcrypto **out, int comp,
			enum dtls_srtp_state before)
{
	enum dtls_srtp_state now = dtls_srtp_conn_state(conn);
	const struct srtp_suite *suite;
	uint8_t local[SRTP_SUITE_MAX_KEY_SALT_LEN], remote[SRTP_SUITE_MAX_KEY_SALT_LEN];

	if (now == before || before != DTLS_SRTP_HANDSHAKE)
		return;
	if (st->sh->dtls_handshakes)
		st->sh->dtls_handshakes--;
	if (now == DTLS_SRTP_CONNECTED && dtls_srtp_conn_keys(conn, &suite, local, remote) == 0) {
		mcrypto_free(*in);
		mcrypto_free(*out);
		*in = bridge_key_context(suite, remote, NULL, MCRYPTO_INBOUND);
		*out = bridge_key_context(suite, local, NULL, MCRYPTO_OUTBOUND);
		OPENSSL_cleanse(local, sizeof(local));
		OPENSSL_cleanse(remote, sizeof(remote));
		st->sh->stats.dtls_connected++;
		return;
	}
	st->sh->stats.dtls_failed++;
	if (anchor_log_ok(an)) {
		char id[160];

		log_warn("anchor: call '%s' stream %u%s: DTLS-SRTP failed: %s",
			 log_safe(st->call->call_id, id, sizeof(id)), st->index + 1,
			 comp ? " RTCP" : "",
			 dtls_srtp_conn_error(conn)[0] ? dtls_srtp_conn_error(conn)
						       : dtls_srtp_state_name(now));
	}
}

/* The side's DTLS association of component comp, and its contexts. */
static struct dtls_srtp_conn *side_conn(struct side_crypto *sc, int comp, bool **started,
					struct mcrypto ***in, struct mcrypto ***out)
{
	if (comp == 0) {
		*started = &sc->dtls_started;
		*in = &sc->in;
		*out = &sc->out;
		return sc->dtls;
	}
	*started = &sc->rtcp.started;
	*in = &sc->rtcp.in;
	*out = &sc->rtcp.out;
	return sc->rtcp.conn;
}

/*
 * A DTLS side whose party does not mux RTCP has an association on the RTCP
 * port too (RFC 5764 §4.1), made with the RTP port's role and fingerprints
 * and gone when the party muxes after all (its answer, a re-offer).
 */
static void side_rtcp_sync(struct anchor *an, struct stream *st, struct stream_side *ss)
{
	struct side_crypto *sc = ss->crypto;
	bool want;

	if (!sc)
		return;
	want = sc->dtls && sc->live.kind == SIDE_CRYPTO_DTLS && ss->nsocks == 2 && !ss->mux;

	if (!want) {
		if (sc->rtcp.conn || sc->rtcp.in || sc->rtcp.out)
			side_rtcp_free(sc);
		return;
	}
	if (sc->rtcp.conn)
		return;
	sc->rtcp.conn = dtls_srtp_conn_new(an->dtls_ctx, sc->live.role, sc->live.remote_fp,
					   sc->live.n_remote_fp, 0, dtls_send_rtcp, ss);
	if (!sc->rtcp.conn) {
		log_warn("anchor: call %s: no RTCP DTLS association (out of memory)",
			 st->call->call_id);
	} else if (sc->live.role == DTLS_SRTP_PASSIVE) {
		sc->rtcp.started = true;
		st->sh->dtls_handshakes++;
	}
}

void bridge_side_kick(struct anchor *an, struct stream *st, int side)
{
	struct stream_side *ss = &st->side[side];

	side_rtcp_sync(an, st, ss);
	/* the party needs the anchor's fingerprint first: it comes with the
	   answer (to the offerer) or came with the offer (to the answerer) */
	if (!ss->crypto || !st->call->answered)
		return;
	for (int comp = 0; comp < 2; comp++) {
		struct mcrypto **in, **out;
		bool *started;
		struct dtls_srtp_conn *conn = side_conn(ss->crypto, comp, &started, &in, &out);

		if (!conn || *started || ss->dest[comp].kind == SIDE_DEST_NONE ||
		    ss->dest[comp].kind == SIDE_DEST_REFUSED)
			continue;
		*started = true;
		st->sh->dtls_handshakes++;
		dtls_srtp_conn_start(conn);
		dtls_settle(an, st, conn, in, out, comp, DTLS_SRTP_HANDSHAKE);
	}
}

/* Retransmissions of the handshakes in progress (RFC 6347 §4.2.4). */
static void dtls_tick(evutil_socket_t fd, short what, void *arg)
{
	struct anchor_shard *sh = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&sh->lock);
	if (sh->dtls_handshakes == 0) {
		pthread_mutex_unlock(&sh->lock);
		return;
	}
	for (struct call *c = sh->calls; c; c = c->snext) {
		for (unsigned int s = 0; s < c->nstreams; s++) {
			for (int k = 0; k < 4; k++) {
				struct side_crypto *sc = c->streams[s]->side[k / 2].crypto;
				struct mcrypto **in, **out;
				bool *started;
				struct dtls_srtp_conn *conn =
					sc ? side_conn(sc, k % 2, &started, &in, &out) : NULL;

				if (!conn || !*started ||
				    dtls_srtp_conn_state(conn) != DTLS_SRTP_HANDSHAKE ||
				    dtls_srtp_conn_timeout_ms(conn) != 0)
					continue;
				dtls_srtp_conn_timer(conn);
				dtls_settle(sh->an, c->streams[s], conn, in, out, k % 2,
					    DTLS_SRTP_HANDSHAKE);
			}
		}
	}
	pthread_mutex_unlock(&sh->lock);
}

/* ---- per packet ---- */

static bool count_drop(struct anchor_shard *sh, enum mcrypto_result r)
{
	if (r == MCRYPTO_AUTH_FAIL)
		sh->stats.srtp_auth_failed++;
	else if (r == MCRYPTO_REPLAY)
		sh->stats.srtp_replayed++;
	else
		sh->stats.srtp_dropped++;
	return false;
}

bool bridge_packet(struct anchor *an, struct stream *st, int side, int comp, enum demux_kind kind,
		   const uint8_t *buf, size_t len, const uint8_t **out, size_t *outlen)
{
	struct side_crypto *from = st->side[side].crypto, *to = st->side[1 - side].crypto;
	struct anchor_shard *sh = st->sh; /* its buffer and counters: this thread's */
	bool rtcp = kind == DEMUX_RTCP || comp == 1;
	/* the party's media is unprotected, the other party's protected */
	bool dec = side_terminated(from) || (from && from->in);
	bool enc = side_terminated(to) || (to && to->out);
	struct mcrypto *cin = NULL, *cout = NULL;
	enum mcrypto_result r;
	size_t n = len;

	*out = buf;
	*outlen = len;
	if (!dec && !enc)
		return true; /* nothing bridged: plain, or SRTP end to end */
	if (kind == DEMUX_DTLS) {
		struct mcrypto **in, **outc;
		bool *started;
		struct dtls_srtp_conn *conn =
			from ? side_conn(from, comp, &started, &in, &outc) : NULL;

		if (conn) {
			enum dtls_srtp_state before = dtls_srtp_conn_state(conn);

			dtls_srtp_conn_input(conn, buf, len);
			dtls_settle(an, st, conn, in, outc, comp, before);
			return false;
		}
		sh->stats.srtp_dropped++;
		return false;
	}
	/* SRTCP on a DTLS party's own RTCP port: that association's keys; the
	   RTCP leaving for the other party's own RTCP port: its association's */
	if (dec)
		cin = comp == 1 && from->rtcp.conn ? from->rtcp.in : from->in;
	if (enc)
		cout = rtcp && to->rtcp.conn ? to->rtcp.out : to->out;
	if ((kind != DEMUX_RTP && kind != DEMUX_RTCP) || len > ANCHOR_RX_BUF) {
		sh->stats.srtp_dropped++;
		return false;
	}
	memcpy(sh->crypt_buf, buf, len);
	if (dec) {
		if (!cin) {
			from->not_keyed++;
			sh->stats.srtp_not_keyed++;
			return false;
		}
		r = mcrypto_unprotect(cin, rtcp, sh->crypt_buf, &n);
		if (r != MCRYPTO_OK)
			return count_drop(sh, r);
	}
	if (enc) {
		if (!cout) {
			to->not_keyed++;
			sh->stats.srtp_not_keyed++;
			return false;
		}
		r = mcrypto_protect(cout, rtcp, sh->crypt_buf, &n,
				    ANCHOR_RX_BUF + MCRYPTO_TRAILER_MAX);
		if (r != MCRYPTO_OK)
			return count_drop(sh, r);
	}
	*out = sh->crypt_buf;
	*outlen = n;
	return true;
}

const char *bridge_side_mode(const struct stream *st, int side)
{
	const struct stream_side *ss = &st->side[side];

	if (side_terminated(ss->crypto))
		return "bridged";
	if (profile_srtp(ss->proto[0] ? ss->proto : st->proto))
		return "passthrough";
	return "plain";
}
