/*
 * call.c - calls and their offer/answer/delete: which ports each party
 * gets, which ICE the anchor runs toward it, and the SDP each party sees.
 *
 * An offer from party k (the from-tag) makes or reuses the streams of its
 * m= lines and returns the SDP for the other party: the anchor's address
 * and ports on the other party's side, its own ICE lines there (ICE=force),
 * none (remove), or the party's plus the anchor as a relay candidate
 * (force-relay). The answer does the same the other way. Lines the anchor
 * does not own stay byte for byte, so DTLS fingerprints and setup roles are
 * the parties' own and DTLS-SRTP stays end to end, unless transport-protocol
 * asks the anchor to bridge SRTP and plain RTP (bridge.c: the profile and
 * keying lines of each party's SDP are then the anchor's).
 *
 * A request either succeeds or changes nothing. The SDP is parsed and
 * checked first; then every step that can fail (new streams and their
 * ports, ICE agents, the party's tag, the rewritten SDP) runs on state that
 * struct call_undo puts back; only then is the commit, where nothing fails:
 * the party's addresses and ICE lines, RTCP sockets closed for rtcp-mux,
 * ICE stopped or restarted, the SDPs kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "anchor/anchor_internal.h"
#include "common/addr.h"
#include "common/log.h"

#define SDP_OUT_MAX 65000

struct call *call_find(struct anchor *an, const char *call_id)
{
	struct call *c = an->calls[anchor_hash(call_id, strlen(call_id)) & an->calls_mask];

	for (; c; c = c->hnext)
		if (strcmp(c->call_id, call_id) == 0)
			return c;
	return NULL;
}

/*
 * On the shard the commit locked for it (an->new_call_shard, ng_commit()),
 * with an->lock and that shard's lock held: the call's media stays there.
 */
static struct call *call_new(struct anchor *an, const char *call_id)
{
	struct anchor_shard *sh = an->new_call_shard;
	struct call *c;
	uint32_t h;

	if (!sh)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->call_id = strdup(call_id);
	if (!c->call_id) {
		free(c);
		return NULL;
	}
	c->an = an;
	c->sh = sh;
	c->ice_shared.ta_ms = ANCHOR_ICE_TA_MS;
	c->ice_shared.pairs_max = ANCHOR_ICE_PAIRS_MAX;
	c->ice_shared.checks_burst = ANCHOR_ICE_CHECKS_BURST;
	c->ice_shared.checks_per_s = ANCHOR_ICE_CHECKS_PER_S;
	c->created_ms = clock_ms();
	c->last_media_ms = c->created_ms;
	c->created_wall_us = anchor_wall_us();
	c->last_signal_s = c->created_wall_us / 1000000;
	h = anchor_hash(call_id, strlen(call_id)) & an->calls_mask;
	c->hnext = an->calls[h];
	an->calls[h] = c;
	c->snext = sh->calls;
	if (sh->calls)
		sh->calls->sprev = c;
	sh->calls = c;
	sh->ncalls++;
	an->ncalls++;
	an->stats.calls_total++;
	return c;
}

static void leg_clear(struct leg *l)
{
	free(l->tag);
	free(l->last_sdp);
	free(l->last_reply_sdp);
	memset(l, 0, sizeof(*l));
}

void call_free(struct call *c)
{
	struct anchor *an = c->an;
	struct call **pp = &an->calls[anchor_hash(c->call_id, strlen(c->call_id)) & an->calls_mask];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	if (c->sprev)
		c->sprev->snext = c->snext;
	else
		c->sh->calls = c->snext;
	if (c->snext)
		c->snext->sprev = c->sprev;
	c->sh->ncalls--;
	an->ncalls--;
	for (unsigned int i = 0; i < c->nstreams; i++) {
		media_side_close(an, c->streams[i], 0);
		media_side_close(an, c->streams[i], 1);
		media_stream_free(c->streams[i]);
	}
	leg_clear(&c->legs[0]);
	leg_clear(&c->legs[1]);
	free(c->via_branch);
	free(c->call_id);
	free(c);
}

void call_free_all(struct anchor *an)
{
	for (uint32_t i = 0; i <= an->calls_mask; i++) {
		while (an->calls[i]) {
			struct anchor_shard *sh = an->calls[i]->sh;

			pthread_mutex_lock(&sh->lock);
			call_free(an->calls[i]);
			pthread_mutex_unlock(&sh->lock);
		}
	}
}

enum call_end call_end_reason(const struct call *c, uint64_t now_ms, uint64_t idle_ms,
			      uint64_t final_ms)
{
	if (final_ms && now_ms - c->created_ms >= final_ms)
		return CALL_FINAL_TIMEOUT;
	/* media may be later than now_ms: a worker's, or the kernel's (read after now_ms) */
	if (c->last_media_ms <= now_ms && now_ms - c->last_media_ms >= idle_ms)
		return CALL_IDLE_TIMEOUT;
	return CALL_LIVE;
}

/* Calls silent for anchor-timeout, or older than anchor-final-timeout, end. */
void call_expire(struct anchor *an, uint64_t now_ms)
{
	uint64_t idle_ms = (uint64_t)an->cfg->anchor_timeout * 1000;
	uint64_t final_ms = (uint64_t)an->cfg->anchor_final_timeout * 1000;

	for (uint32_t i = 0; i <= an->calls_mask; i++) {
		struct call *c = an->calls[i], *next;

		for (; c; c = next) {
			struct anchor_shard *sh = c->sh;

			next = c->hnext;
			/* last_media_ms is the shard's: read and the call ended under its lock */
			pthread_mutex_lock(&sh->lock);
			switch (call_end_reason(c, now_ms, idle_ms, final_ms)) {
			case CALL_FINAL_TIMEOUT:
				an->stats.calls_final_timeout++;
				break;
			case CALL_IDLE_TIMEOUT:
				an->stats.calls_timeout++;
				break;
			case CALL_LIVE:
				pthread_mutex_unlock(&sh->lock);
				continue;
			}
			if (anchor_log_ok(an)) {
				char id[160];

				log_info("anchor: call '%s' timed out",
					 log_safe(c->call_id, id, sizeof(id)));
			}
			call_free(c);
			pthread_mutex_unlock(&sh->lock);
		}
	}
}

static const char *ice_mode_name(enum anchor_ice_mode m)
{
	static const char *const names[] = {"default", "force", "remove", "force-relay"};

	return names[m];
}

/* One line per offer, answer and delete (rate-limited); SIP text escaped. */
static void log_call(struct anchor *an, const struct call *c, const char *what, int k)
{
	char id[160], tag[160], other[160];
	const struct leg *l = &c->legs[k], *o = &c->legs[1 - k];

	if (!anchor_log_ok(an))
		return;
	log_safe(c->call_id, id, sizeof(id));
	log_safe(l->tag ? l->tag : "", tag, sizeof(tag));
	log_safe(o->tag ? o->tag : "", other, sizeof(other));
	if (strcmp(what, "delete") == 0)
		log_info("anchor: delete call '%s'", id);
	else
		log_info("anchor: %s call '%s' from '%s': %u stream(s), ICE %s toward '%s'%s", what,
			 id, tag, c->nstreams, ice_mode_name(o->ice), other,
			 o->ice_on ? (o->lite ? " (lite)" : " (full)") : "");
}

static bool is_private(const struct sockaddr *sa)
{
	enum peer_verdict v = peer_policy_class(sa);

	return v == PEER_DENIED_PRIVATE || v == PEER_DENIED_LOOPBACK || v == PEER_DENIED_CGNAT ||
	       v == PEER_DENIED_ULA || v == PEER_DENIED_LINK_LOCAL;
}

static bool direction_is_lan(const char *name)
{
	return strcasestr(name, "int") || strcasestr(name, "priv") || strcasestr(name, "lan");
}

/*
 * Whether a party sits on the PBX's LAN side: its direction name says so
 * ("internal", "private", "lan"...), or, without one, everything its SDP
 * names is a private address and it offers no srflx, relay or mDNS
 * candidate (what a browser on the internet always has).
 */
static bool party_is_lan(const struct sdp *s, const char *direction)
{
	if (direction) {
		if (direction_is_lan(direction))
			return true;
		if (strcasestr(direction, "ext") || strcasestr(direction, "pub") ||
		    strcasestr(direction, "wan"))
			return false;
	}
	for (size_t i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];

		if (m->has_conn && m->conn.is_ip && !is_private((const struct sockaddr *)&m->conn.sa))
			return false;
		for (size_t j = 0; j < m->n_candidates; j++) {
			const struct sdp_candidate *cd = &m->candidates[j];

			if (cd->type != SDP_CAND_HOST || !cd->is_ip ||
			    !is_private((const struct sockaddr *)&cd->sa))
				return false;
		}
	}
	return true;
}

static bool sdp_has_ice(const struct sdp *s)
{
	for (size_t i = 0; i < s->n_media; i++)
		if (s->media[i].port && s->media[i].ice_ufrag && s->media[i].ice_pwd)
			return true;
	return false;
}

/* Is the m= line's transport one the anchor forwards (UDP based)? */
static bool media_forwardable(const struct sdp_media *m)
{
	return strncasecmp(m->proto, "RTP/", 4) == 0 || strncasecmp(m->proto, "UDP/", 4) == 0 ||
	       strcasecmp(m->proto, "udp") == 0 || strncasecmp(m->proto, "DCCP", 4) == 0;
}

static bool proto_has_rtcp(const char *proto)
{
	return strstr(proto, "RTP") != NULL;
}

/* The first section of m's BUNDLE group (the one whose transport all use), or i itself. */
static size_t bundle_owner(const struct sdp *s, size_t i)
{
	const struct sdp_group *g;
	const struct sdp_media *m = &s->media[i];
	int first;

	if (!m->mid || !(g = sdp_bundle_group(s, m->mid)) || !g->n_mids)
		return i;
	first = sdp_find_mid(s, g->mids[0]);
	if (first < 0 || s->media[first].port == 0)
		return i;
	return (size_t)first;
}

/*
 * Where party side's media goes before ICE or latching says otherwise: its
 * SDP's RTP and RTCP addresses, each only when the peer verdict allows it
 * (an a=rtcp line may name any address). The SDP address is trusted
 * (rtpengine's default, and trust-address); SIP-source-address puts the
 * received-from address in its place. The latch policy follows: media only
 * from the SDP's IP when that is reachable, strict-source as asked, and a
 * learning window from now.
 */
static void side_set_sdp_dest(struct anchor *an, struct stream_side *ss,
			      const struct sdp_media *m, const struct ng_request *req)
{
	union sockaddr_u a, rtp, rtcp;

	ss->has_sdp_dest[0] = ss->has_sdp_dest[1] = false;
	memset(&ss->latch_policy, 0, sizeof(ss->latch_policy));
	ss->latch_policy.strict = req->strict_source;
	media_latch_window(an, ss);
	if (!m->has_conn || !m->conn.is_ip || m->port == 0)
		return;
	memset(&a, 0, sizeof(a));
	memcpy(&a, &m->conn.sa, addr_len((const struct sockaddr *)&m->conn.sa));
	if (req->sip_source_address && !req->trust_address && req->received_from_ok &&
	    req->received_from.ss_family == a.sa.sa_family)
		memcpy(&a, &req->received_from, addr_len((const struct sockaddr *)&req->received_from));
	rtp = a;
	addr_set_port(&rtp.sa, m->port);
	rtcp = a;
	if (m->has_rtcp && m->rtcp_has_addr && m->rtcp_addr.is_ip) {
		memset(&rtcp, 0, sizeof(rtcp));
		memcpy(&rtcp, &m->rtcp_addr.sa, addr_len((const struct sockaddr *)&m->rtcp_addr.sa));
	}
	addr_set_port(&rtcp.sa, m->has_rtcp ? m->rtcp_port : (uint16_t)(m->port + 1));
	/* the SDP may name any address: the peer verdict decides, for each */
	ss->has_sdp_dest[0] = media_dest_check(an, &rtp.sa, &ss->sdp_dest[0]);
	ss->has_sdp_dest[1] = media_dest_check(an, &rtcp.sa, &ss->sdp_dest[1]);
	if (ss->has_sdp_dest[0]) {
		ss->latch_policy.expect_ip = true;
		ss->latch_policy.expect = rtp;
		/* the party moved (a transfer): what was latched elsewhere goes */
		for (int k = 0; k < 2; k++)
			if (ss->latch[k].latched && !addr_ip_equal(&ss->latch[k].src.sa, &rtp.sa))
				latch_reset(&ss->latch[k]);
	}
}

static enum ice_cand_type cand_type(enum sdp_cand_type t)
{
	switch (t) {
	case SDP_CAND_SRFLX:
		return ICE_CAND_SRFLX;
	case SDP_CAND_PRFLX:
		return ICE_CAND_PRFLX;
	case SDP_CAND_RELAY:
		return ICE_CAND_RELAY;
	default:
		return ICE_CAND_HOST;
	}
}

/* Remote candidates the agents toward party k hold. */
static int party_candidates(const struct call *c, int k)
{
	int n = 0;

	for (unsigned int i = 0; i < c->nstreams; i++)
		if (c->streams[i]->side[k].ice)
			n += ice_remote_count(c->streams[i]->side[k].ice);
	return n;
}

/*
 * Party k's candidates for one side's agent: UDP ones with an IP address
 * (mDNS names cannot be resolved here: such a party is learned as
 * peer-reflexive from its first check), of the stream's family, that the
 * peer policy lets the anchor send to, up to
 * ANCHOR_ICE_PARTY_CANDIDATES_MAX over the call (the rest are dropped).
 */
static void side_add_candidates(struct anchor *an, const struct call *c, int k,
				struct stream_side *ss, const struct sdp_media *m, int family)
{
	struct media_dest allowed;
	int held = party_candidates(c, k);

	for (size_t j = 0; j < m->n_candidates; j++) {
		const struct sdp_candidate *cd = &m->candidates[j];
		const struct sockaddr *sa = (const struct sockaddr *)&cd->sa;

		if (!cd->is_ip || strcasecmp(cd->transport, "udp") != 0 ||
		    sa->sa_family != family || cd->component < 1 ||
		    (int)cd->component > ss->nsocks)
			continue;
		if (!media_dest_check(an, sa, &allowed))
			continue;
		if (held >= ANCHOR_ICE_PARTY_CANDIDATES_MAX)
			return;
		ice_add_remote_candidate(ss->ice, (int)cd->component, sa, cd->priority,
					 cand_type(cd->type), cd->foundation);
		held = party_candidates(c, k);
	}
}

/* Remote credentials of section m, or of the session. */
/* Remote credentials of section m, or of the session; 1 on an ICE restart. */
static int side_set_remote(struct stream_side *ss, const struct sdp_media *m)
{
	if (!ss->ice || !m->ice_ufrag || !m->ice_pwd ||
	    ice_set_remote_credentials(ss->ice, m->ice_ufrag, m->ice_pwd) != 1)
		return 0;
	/* RFC 7675 §4: consent is obtained again on the restarted pairs */
	ss->consent_lost = false;
	return 1;
}

/*
 * RFC 8445 §9: the party restarted ICE (new ufrag and pwd), so the anchor's
 * credentials toward it change too: they go into the next SDP it gets.
 */
static void leg_restart_ice(struct call *c, int k)
{
	struct leg *l = &c->legs[k];

	if (ice_gen_credentials(l->ufrag, l->pwd) < 0)
		return;
	for (unsigned int i = 0; i < c->nstreams; i++) {
		struct stream_side *ss = &c->streams[i]->side[k];

		if (ss->ice) {
			ice_set_local_credentials(ss->ice, l->ufrag, l->pwd);
			media_ice_schedule(c->streams[i], k);
		}
	}
}

static int add_line(struct sdp *s, size_t i, const char *line)
{
	return sdp_media_add_attr(s, i, line);
}

/*
 * The SDP for party dst of call c, from the other party's SDP s: the
 * anchor's address and ports on dst's side, and ICE per mode.
 */
static int rewrite_for(struct anchor *an, struct call *c, struct sdp *s, int dst,
		       const struct ng_request *req, bool answer,
		       const struct crypto_nego (*plans)[2], char **out, char *reason,
		       size_t reasonlen)
{
	struct leg *l = &c->legs[dst];
	const union sockaddr_u *adv = NULL;
	char line[SDP_MAX_LINE_LEN], ip[ADDR_STRLEN];
	bool ice_added = false, bridged_any = false;
	size_t len;
	int n;

	for (size_t i = 0; i < s->n_media && i < c->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		struct stream *st;
		struct stream_side *ss;
		uint16_t port;

		if (c->media_stream[i] < 0)
			continue;
		st = c->streams[c->media_stream[i]];
		ss = &st->side[dst];
		if (ss->nsocks == 0)
			continue;
		adv = media_public_addr(an, ss->socks[0].local.sa.sa_family, l->lan);
		addr_ip_str(&adv->sa, ip, sizeof(ip));
		port = addr_port(&ss->socks[0].local.sa);
		if (sdp_media_set_port(s, i, port) < 0 ||
		    (m->conn_media_level &&
		     sdp_media_set_conn(s, i, adv->sa.sa_family, ip) < 0))
			goto fail;
		{
			const struct crypto_nego *p = plans[st->index];
			bool bridged = bridge_nego_bridged(&p[0], &p[1]);

			bridged_any |= bridged;
			if (bridge_rewrite_section(an, s, i, m, &p[dst], bridged) < 0)
				goto fail;
		}
		if (proto_has_rtcp(m->proto)) {
			if (ss->nsocks == 2) {
				if (sdp_media_set_rtcp(s, i, port + 1, 0, NULL) < 0)
					goto fail;
			} else {
				sdp_media_remove_rtcp(s, i);
			}
			if (answer) {
				/* the offerer gets mux exactly when its side is muxed */
				if (ss->mux && !m->rtcp_mux && add_line(s, i, "a=rtcp-mux") < 0)
					goto fail;
				if (!ss->mux && m->rtcp_mux)
					sdp_media_remove_attr(s, i, "rtcp-mux");
			} else if (m->rtcp_mux && (req->rtcp_mux & NG_MUX_DEMUX) && !ss->mux) {
				sdp_media_remove_attr(s, i, "rtcp-mux");
			} else if (!m->rtcp_mux && (ss->mux || (req->rtcp_mux & NG_MUX_OFFER)) &&
				   add_line(s, i, "a=rtcp-mux") < 0) {
				goto fail;
			}
		}
		if (l->ice == ANCHOR_ICE_REMOVE || l->ice == ANCHOR_ICE_FORCE)
			sdp_media_remove_ice(s, i);
		if (l->ice == ANCHOR_ICE_FORCE || l->ice == ANCHOR_ICE_FORCE_RELAY) {
			if (l->ice == ANCHOR_ICE_FORCE) {
				snprintf(line, sizeof(line), "a=ice-ufrag:%s", l->ufrag);
				if (add_line(s, i, line) < 0)
					goto fail;
				snprintf(line, sizeof(line), "a=ice-pwd:%s", l->pwd);
				if (add_line(s, i, line) < 0)
					goto fail;
			}
			for (int k = 0; k < ss->nsocks; k++) {
				union sockaddr_u a = *adv;

				/* a bundled section without RTCP (data channel) */
				if (k == 1 && !proto_has_rtcp(m->proto))
					break;

				addr_set_port(&a.sa, addr_port(&ss->socks[k].local.sa));
				n = sdp_candidate_format(
				    line, sizeof(line), l->lan ? "2" : "1", (unsigned int)k + 1,
				    "UDP",
				    ice_priority(l->lan ? ICE_CAND_HOST : ICE_CAND_RELAY, 65535,
						 k + 1),
				    &a.sa, l->lan ? "host" : "relay", l->lan ? NULL : &a.sa);
				if (n < 0 || add_line(s, i, line) < 0)
					goto fail;
			}
			if (l->ice == ANCHOR_ICE_FORCE && add_line(s, i, "a=end-of-candidates") < 0)
				goto fail;
			ice_added = true;
		}
	}
	if (adv) {
		addr_ip_str(&adv->sa, ip, sizeof(ip));
		if (sdp_set_session_conn(s, adv->sa.sa_family, ip) < 0)
			goto fail;
		if (req->replace_origin && sdp_set_origin_addr(s, adv->sa.sa_family, ip) < 0)
			goto fail;
	}
	if (l->ice == ANCHOR_ICE_REMOVE || l->ice == ANCHOR_ICE_FORCE)
		sdp_session_remove_ice(s);
	/* a bridged party gets the anchor's keying per section, none of the other's */
	if (bridged_any) {
		sdp_session_remove_attr(s, "fingerprint");
		sdp_session_remove_attr(s, "setup");
		sdp_session_remove_attr(s, "tls-id");
	}
	if (ice_added && l->ice == ANCHOR_ICE_FORCE && l->lite &&
	    sdp_session_add_attr(s, "a=ice-lite") < 0)
		goto fail;
	/* exactly its size: the text lives as long as the call */
	len = sdp_write_len(s);
	if (len >= SDP_OUT_MAX) {
		snprintf(reason, reasonlen, "rewritten SDP too large");
		return -1;
	}
	*out = malloc(len + 1);
	if (!*out || sdp_write(s, *out, len + 1) < 0) {
		free(*out);
		*out = NULL;
		goto fail;
	}
	return 0;
fail:
	snprintf(reason, reasonlen, "SDP rewrite failed");
	return -1;
}

/* ICE toward party k with its SDP s: mode decided, credentials made once. */
static int leg_set_ice(struct anchor *an, struct leg *l, enum anchor_ice_mode mode,
		       bool other_had_ice, bool party_shows_ice, bool toward_answerer,
		       const struct ng_request *req)
{
	if (mode == ANCHOR_ICE_DEFAULT)
		mode = other_had_ice ? ANCHOR_ICE_FORCE : ANCHOR_ICE_REMOVE;
	/* never add ICE in an answer to a party that showed none */
	if (!toward_answerer && !party_shows_ice && mode != ANCHOR_ICE_REMOVE)
		mode = ANCHOR_ICE_REMOVE;
	l->ice = mode;
	l->ice_on = mode == ANCHOR_ICE_FORCE;
	if (toward_answerer) {
		bool lite = !an->cfg->anchor_ice_controlling;

		if (req->ice_lite)
			lite = strcasecmp(req->ice_lite, "forward") == 0 ||
			       strcasecmp(req->ice_lite, "both") == 0;
		l->lite = lite;
		l->controlling = !lite;
	} else {
		l->lite = req->ice_lite && (strcasecmp(req->ice_lite, "backward") == 0 ||
					    strcasecmp(req->ice_lite, "both") == 0);
		/* controlled, unless the offerer is lite itself */
		l->controlling = !l->lite && l->ice_lite_party;
	}
	if (l->ice_on && !l->ufrag[0] && ice_gen_credentials(l->ufrag, l->pwd) < 0)
		return -1;
	return 0;
}

/* The party's tag (made by the caller, now the leg's). */
static void leg_set_tag(struct leg *l, char *tag)
{
	l->tag = tag;
	l->known = true;
	l->created_s = anchor_wall_us() / 1000000;
}

/*
 * What an offer or answer may change before its commit, and how to put it
 * back: the legs' settings (ICE mode, role, credentials, LAN side; their
 * strings are only replaced at commit), the streams and media ports it
 * added, the ICE agents it started, force-relay pass-through.
 */
struct call_undo {
	struct leg legs[2];
	unsigned int nstreams, nmedia;
	int media_stream[SDP_MAX_MEDIA];
	bool had_ice[ANCHOR_MAX_STREAMS][2];
	bool passthrough[ANCHOR_MAX_STREAMS][2];
};

static void undo_save(const struct call *c, struct call_undo *u)
{
	memcpy(u->legs, c->legs, sizeof(u->legs));
	u->nstreams = c->nstreams;
	u->nmedia = c->nmedia;
	memcpy(u->media_stream, c->media_stream, sizeof(u->media_stream));
	for (unsigned int i = 0; i < c->nstreams; i++) {
		for (int k = 0; k < 2; k++) {
			u->had_ice[i][k] = c->streams[i]->side[k].ice != NULL;
			u->passthrough[i][k] = c->streams[i]->side[k].ice_passthrough;
		}
	}
}

/* The call exactly as undo_save() saw it: added streams closed (ports freed), new agents gone. */
static void undo_restore(struct anchor *an, struct call *c, const struct call_undo *u)
{
	for (unsigned int i = u->nstreams; i < c->nstreams; i++) {
		media_side_close(an, c->streams[i], 0);
		media_side_close(an, c->streams[i], 1);
		media_stream_free(c->streams[i]);
		c->streams[i] = NULL;
	}
	c->nstreams = u->nstreams;
	c->nmedia = u->nmedia;
	memcpy(c->media_stream, u->media_stream, sizeof(c->media_stream));
	for (unsigned int i = 0; i < c->nstreams; i++) {
		for (int k = 0; k < 2; k++) {
			struct stream_side *ss = &c->streams[i]->side[k];

			if (!u->had_ice[i][k] && ss->ice)
				media_side_stop_ice(ss);
			ss->ice_passthrough = u->passthrough[i][k];
		}
	}
	memcpy(c->legs, u->legs, sizeof(c->legs));
	media_call_refresh(an, c);
}

static int leg_of_tag(const struct call *c, const char *tag)
{
	for (int k = 0; k < 2; k++)
		if (c->legs[k].tag && tag && strcmp(c->legs[k].tag, tag) == 0)
			return k;
	return -1;
}

/*
 * Keeps the party's SDP text (copy: parsed again when needed, a call holds
 * text, not parse trees) and what the other party was given; both owned.
 */
static void leg_remember(struct leg *src, struct leg *dst, char *copy, char *reply_sdp)
{
	free(src->last_sdp);
	src->last_sdp = copy;
	free(dst->last_reply_sdp);
	dst->last_reply_sdp = reply_sdp;
}

/* The party's last SDP, parsed (it parsed when it came); NULL when none. */
static struct sdp *leg_parsed(const struct leg *l)
{
	struct sdp *s = NULL;

	if (!l->last_sdp || sdp_parse(l->last_sdp, strlen(l->last_sdp), &s, NULL, 0) < 0)
		return NULL;
	return s;
}

/* An unchanged SDP from the same party (INVITE retransmitted, re-INVITE without change). */
static bool same_sdp(const struct leg *src, const struct leg *dst, const struct ng_request *req)
{
	return src->last_sdp && dst->last_reply_sdp && strlen(src->last_sdp) == req->sdp_len &&
	       memcmp(src->last_sdp, req->sdp, req->sdp_len) == 0;
}

static int reply_sdp(struct bdoc *d, struct bval *reply, const char *sdp)
{
	return bdict_add_str(d, reply, "sdp", sdp) ? 0 : -1;
}

/* Trickle ICE (RFC 8840): candidates of party k for the agent toward it. */
static int call_fragment(struct anchor *an, struct call *c, int k, const struct ng_request *req,
			 char *reason, size_t reasonlen)
{
	struct sdp *f, *party;
	char err[160];

	if (sdp_parse_fragment(req->sdp, req->sdp_len, &f, err, sizeof(err)) < 0) {
		snprintf(reason, reasonlen, "bad SDP fragment: %s", err);
		return -1;
	}
	party = leg_parsed(&c->legs[k]);
	for (size_t i = 0; i < f->n_media; i++) {
		int mi = (f->media[i].mid && party) ? sdp_find_mid(party, f->media[i].mid) : (int)i;
		struct stream_side *ss;

		if (mi < 0 || (unsigned int)mi >= c->nmedia || c->media_stream[mi] < 0)
			continue;
		ss = &c->streams[c->media_stream[mi]]->side[k];
		if (!ss->ice)
			continue;
		side_add_candidates(an, c, k, ss, &f->media[i], ss->socks[0].local.sa.sa_family);
		media_ice_schedule(c->streams[c->media_stream[mi]], k);
	}
	sdp_free(party);
	sdp_free(f);
	return 0;
}

/* Frees s unless it is the request's own (call_prepared_free() frees that). */
static void put_sdp(const struct ng_request *req, struct sdp *s)
{
	if (s != req->parsed)
		sdp_free(s);
}

static int stream_family(const struct anchor *an, const struct sdp_media *m);

/*
 * The sockets a new stream for m= line i of an offer takes on the
 * offerer's side (nsrc) and the answerer's (ndst); false when the line
 * makes no stream of its own.
 */
static bool stream_sockets(const struct sdp *s, size_t i, const struct ng_request *req, int *nsrc,
			   int *ndst)
{
	const struct sdp_media *m = &s->media[i];
	bool rtcp = proto_has_rtcp(m->proto);

	if (m->port == 0 || !media_forwardable(m) || bundle_owner(s, i) != i)
		return false;
	*nsrc = (!rtcp || (m->rtcp_mux && !(req->rtcp_mux & NG_MUX_REJECT))) ? 1 : 2;
	*ndst = (!rtcp || (req->rtcp_mux & NG_MUX_REQUIRE)) ? 1 : 2;
	return true;
}

static bool prebind(struct anchor *an, int nsocks, int family)
{
	struct media_prebound *p = &an->prebound[an->nprebound];
	const union sockaddr_u *local = family == AF_INET6 ? &an->local_v6 : &an->local_v4;

	if (an->nprebound >= ANCHOR_PREBOUND_MAX ||
	    relay_port_bind(an->relay, local, false, nsocks == 2, nsocks == 2, false, &p->fd[0],
			    &p->fd[1]) < 0)
		return false;
	p->nsocks = nsocks;
	p->family = family;
	an->nprebound++;
	return true;
}

/* The ports the offer of a new call will take, within its limits; what fails is left to the offer. */
static void prebind_offer(struct anchor *an, const struct ng_request *req, const struct sdp *s)
{
	unsigned int ports = 0, streams = 0;
	bool known, full;

	pthread_mutex_lock(&an->lock);
	known = call_find(an, req->call_id) != NULL;
	full = an->draining ||
	       (an->cfg->anchor_max_sessions && an->ncalls >= an->cfg->anchor_max_sessions);
	pthread_mutex_unlock(&an->lock);
	if (known || full)
		return; /* a re-offer keeps its ports (new lines bind under the lock) */
	for (size_t i = 0; i < s->n_media; i++) {
		int nsrc, ndst, fam = stream_family(an, &s->media[i]);

		if (!stream_sockets(s, i, req, &nsrc, &ndst))
			continue;
		ports += (unsigned int)(nsrc + ndst);
		if (++streams > ANCHOR_MAX_STREAMS || ports > an->cfg->anchor_max_call_ports ||
		    !prebind(an, nsrc, fam) || !prebind(an, ndst, fam))
			return;
	}
}

void call_prepare(struct anchor *an, struct ng_request *req)
{
	req->parsed = NULL;
	if ((req->cmd != NG_OFFER && req->cmd != NG_ANSWER) || !req->sdp || req->fragment)
		return;
	if (sdp_parse(req->sdp, req->sdp_len, &req->parsed, NULL, 0) < 0) {
		req->parsed = NULL; /* parsed again under the lock, for the reason */
		return;
	}
	if (req->cmd == NG_OFFER && req->call_id)
		prebind_offer(an, req, req->parsed);
}

void call_prepared_free(struct anchor *an, struct ng_request *req)
{
	for (unsigned int i = 0; i < an->nprebound; i++) {
		struct media_prebound *p = &an->prebound[i];

		for (int k = 0; k < p->nsocks; k++)
			close(p->fd[k]);
		p->nsocks = 0;
	}
	an->nprebound = 0;
	sdp_free(req->parsed);
	req->parsed = NULL;
}

/* The request's SDP: the one call_prepare() parsed (the request's), else parsed here. */
static int parse_sdp(const struct ng_request *req, struct sdp **s, char *reason, size_t reasonlen)
{
	char err[160];

	if (req->parsed) {
		*s = req->parsed;
	} else if (sdp_parse(req->sdp, req->sdp_len, s, err, sizeof(err)) < 0) {
		snprintf(reason, reasonlen, "Failed to parse SDP: %s", err);
		return -1;
	}
	return 0;
}

static int stream_family(const struct anchor *an, const struct sdp_media *m)
{
	int fam = m->has_conn ? m->conn.family : AF_INET;

	if (fam == AF_INET6 && an->has_v6)
		return AF_INET6;
	return an->has_v4 ? AF_INET : AF_INET6;
}

/* Media ports the call holds, on both sides (anchor-max-call-ports). */
static unsigned int call_ports(const struct call *c)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < c->nstreams; i++)
		n += (unsigned int)(c->streams[i]->side[0].nsocks + c->streams[i]->side[1].nsocks);
	return n;
}

/*
 * Streams for the offer's m= lines (new ones only); sockets on both sides.
 * On failure what it added stays for undo_restore() to free.
 */
static int offer_streams(struct anchor *an, struct call *c, const struct sdp *s, int src,
			 const struct ng_request *req, char *reason, size_t reasonlen)
{
	int dst = 1 - src;

	for (size_t i = c->nmedia; i < s->n_media; i++)
		c->media_stream[i] = -1;
	for (size_t i = 0; i < s->n_media; i++) {
		const struct sdp_media *m = &s->media[i];
		size_t owner = bundle_owner(s, i);
		struct stream *st;
		int fam, nsrc, ndst, err;

		if (i < c->nmedia && c->media_stream[i] >= 0)
			continue; /* re-offer: keeps its ports */
		if (m->port == 0 || !media_forwardable(m))
			continue;
		if (owner != i) {
			c->media_stream[i] = c->media_stream[owner];
			continue;
		}
		stream_sockets(s, i, req, &nsrc, &ndst);
		if (c->nstreams >= ANCHOR_MAX_STREAMS) {
			snprintf(reason, reasonlen, "more than %d media transports in one call",
				 ANCHOR_MAX_STREAMS);
			return -1;
		}
		if (call_ports(c) + (unsigned int)(nsrc + ndst) > an->cfg->anchor_max_call_ports) {
			snprintf(reason, reasonlen,
				 "the call would hold more than %u media ports (anchor-max-call-ports)",
				 an->cfg->anchor_max_call_ports);
			return -1;
		}
		st = calloc(1, sizeof(*st));
		if (!st)
			goto nomem;
		st->call = c;
		st->sh = c->sh;
		st->index = c->nstreams;
		snprintf(st->type, sizeof(st->type), "%s", m->type);
		snprintf(st->proto, sizeof(st->proto), "%s", m->proto);
		c->streams[c->nstreams++] = st;
		c->media_stream[i] = (int)st->index;
		fam = stream_family(an, m);
		st->side[src].mux = nsrc == 1;
		st->side[dst].mux = ndst == 1;
		err = media_side_open(an, st, src, nsrc, fam);
		if (err == 0)
			err = media_side_open(an, st, dst, ndst, fam);
		if (err == -2) {
			snprintf(reason, reasonlen,
				 "the anchor holds its share of the relay range, %u ports "
				 "(anchor-port-share)", an->budget.max(an->budget.ctx));
			return -1;
		}
		if (err < 0) {
			snprintf(reason, reasonlen, "no free media ports in %u-%u",
				 an->cfg->min_port, an->cfg->max_port);
			return -1;
		}
	}
	if (s->n_media > c->nmedia)
		c->nmedia = (unsigned int)s->n_media;
	return 0;
nomem:
	snprintf(reason, reasonlen, "out of memory");
	return -1;
}

/*
 * After the streams exist: party k's addresses (when req is its request),
 * mux, and its ICE lines for the agent on side k.
 */
static void take_party_sdp(struct anchor *an, struct call *c, const struct sdp *s, int k,
			   const struct ng_request *req, bool answer)
{
	bool restart = false;

	for (size_t i = 0; i < s->n_media && i < c->nmedia; i++) {
		const struct sdp_media *m = &s->media[i];
		struct stream *st;
		struct stream_side *ss;

		if (c->media_stream[i] < 0 || bundle_owner(s, i) != i)
			continue;
		st = c->streams[c->media_stream[i]];
		ss = &st->side[k];
		if (req)
			side_set_sdp_dest(an, ss, m, req);
		if (answer && proto_has_rtcp(m->proto)) {
			ss->mux = m->rtcp_mux || ss->nsocks == 1;
			if (ss->mux)
				media_side_drop_rtcp(an, ss);
		}
		if (!ss->ice)
			continue;
		if (!m->ice_ufrag || m->port == 0) {
			/* the party does no ICE: plain latching on this side */
			media_side_stop_ice(ss);
			continue;
		}
		if (side_set_remote(ss, m))
			restart = true;
		side_add_candidates(an, c, k, ss, m, ss->socks[0].local.sa.sa_family);
		media_ice_schedule(st, k);
	}
	if (restart)
		leg_restart_ice(c, k);
}

int call_offer(struct anchor *an, const struct ng_request *req, struct bdoc *d,
	       struct bval *reply, char *reason, size_t reasonlen)
{
	struct call *c = call_find(an, req->call_id);
	struct call_undo undo;
	struct sdp *s = NULL;
	struct crypto_nego (*plans)[2] = NULL;
	struct side_crypto *spare[ANCHOR_MAX_STREAMS][2] = {{NULL}};
	char *text = NULL, *copy = NULL, *tag = NULL;
	bool created = false;
	int src = 0, dst;

	if (c && req->fragment) {
		src = leg_of_tag(c, req->from_tag);
		if (src < 0) {
			snprintf(reason, reasonlen, "Unknown from-tag");
			return -1;
		}
		return call_fragment(an, c, src, req, reason, reasonlen);
	}
	if (!c && req->fragment) {
		snprintf(reason, reasonlen, "Unknown call-id");
		return -1;
	}
	if (c) {
		src = leg_of_tag(c, req->from_tag);
		if (src < 0) {
			snprintf(reason, reasonlen,
				 "from-tag matches neither party of this call");
			return -1;
		}
		if (same_sdp(&c->legs[src], &c->legs[1 - src], req))
			return reply_sdp(d, reply, c->legs[1 - src].last_reply_sdp);
	} else if (an->draining ||
		   (an->cfg->anchor_max_sessions && an->ncalls >= an->cfg->anchor_max_sessions)) {
		an->stats.calls_rejected_load++;
		if (req->supports_load_limit) {
			bdict_add_str(d, reply, "result", "load limit");
			return 0;
		}
		snprintf(reason, reasonlen, "Parallel session limit reached");
		return -1;
	}
	if (parse_sdp(req, &s, reason, reasonlen) < 0)
		return -1;
	if (!c) {
		c = call_new(an, req->call_id);
		if (!c)
			goto fail_msg;
		created = true;
		src = 0;
		if (req->via_branch)
			c->via_branch = strdup(req->via_branch);
	}
	dst = 1 - src;

	/* prepare: every step that can fail, on state undo_restore() puts back */
	undo_save(c, &undo);
	if (!c->legs[src].tag && !(tag = strdup(req->from_tag)))
		goto fail_msg;
	c->legs[src].party_ice = sdp_has_ice(s);
	c->legs[src].ice_lite_party = s->ice_lite;
	if (!c->legs[src].last_sdp || created) {
		c->legs[src].lan = party_is_lan(s, req->direction[0]);
		c->legs[dst].lan = req->direction[1] ? direction_is_lan(req->direction[1])
						     : !c->legs[src].lan;
	}
	if (leg_set_ice(an, &c->legs[dst], req->ice_given ? req->ice : ANCHOR_ICE_DEFAULT,
			c->legs[src].party_ice, true, true, req) < 0)
		goto fail_msg;
	if (offer_streams(an, c, s, src, req, reason, reasonlen) < 0)
		goto fail;
	for (unsigned int i = 0; i < c->nstreams; i++) {
		struct stream *st = c->streams[i];

		st->side[dst].ice_passthrough = c->legs[dst].ice == ANCHOR_ICE_FORCE_RELAY;
		if (c->legs[dst].ice_on && !st->side[dst].ice &&
		    media_ice_start(an, st, dst) < 0)
			goto fail_msg;
	}
	plans = calloc(ANCHOR_MAX_STREAMS, sizeof(*plans));
	if (!plans)
		goto fail_msg;
	if (bridge_plan_offer(an, c, s, src, req, plans, reason, reasonlen) < 0)
		goto fail;
	/* edits change only what sdp_write() gives; s's fields still describe the input */
	if (rewrite_for(an, c, s, dst, req, false, plans, &text, reason, reasonlen) < 0)
		goto fail;
	/* the crypto state of sides that become SRTP, taken at commit */
	if (bridge_reserve(c, plans, spare) < 0)
		goto fail_msg;
	copy = strndup(req->sdp, req->sdp_len);
	if (!copy)
		goto fail_msg;

	/* commit: nothing fails from here */
	if (tag)
		leg_set_tag(&c->legs[src], tag);
	c->last_signal_s = anchor_wall_us() / 1000000;
	for (unsigned int i = 0; i < c->nstreams; i++)
		for (int k = 0; k < 2; k++)
			bridge_commit(an, c->streams[i], k, &plans[i][k], &spare[i][k]);
	bridge_spares_free(spare);
	free(plans);
	plans = NULL;
	take_party_sdp(an, c, s, src, req, false);
	leg_remember(&c->legs[src], &c->legs[dst], copy, text);
	media_call_refresh(an, c);
	put_sdp(req, s);
	/* a new offer: the answer the offerer got before no longer stands */
	free(c->legs[src].last_reply_sdp);
	c->legs[src].last_reply_sdp = NULL;
	log_call(an, c, "offer", src);
	return reply_sdp(d, reply, c->legs[dst].last_reply_sdp);
fail_msg:
	snprintf(reason, reasonlen, "out of memory");
fail:
	bridge_spares_free(spare);
	put_sdp(req, s);
	free(plans);
	free(text);
	free(tag);
	if (created)
		call_free(c);
	else if (c)
		undo_restore(an, c, &undo);
	return -1;
}

int call_answer(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		struct bval *reply, char *reason, size_t reasonlen)
{
	struct call *c = call_find(an, req->call_id);
	struct sdp *s = NULL, *offer = NULL;
	struct call_undo undo;
	struct crypto_nego (*plans)[2] = NULL;
	struct side_crypto *spare[ANCHOR_MAX_STREAMS][2] = {{NULL}};
	char *text = NULL, *copy = NULL, *tag = NULL;
	bool forked;
	int src, dst;

	if (!c) {
		snprintf(reason, reasonlen, "Unknown call-id");
		return -1;
	}
	dst = leg_of_tag(c, req->from_tag);
	if (dst < 0) {
		snprintf(reason, reasonlen, "Unknown from-tag");
		return -1;
	}
	src = 1 - dst;
	forked = c->legs[src].tag && strcmp(c->legs[src].tag, req->to_tag) != 0;
	if (!forked && c->legs[src].tag && same_sdp(&c->legs[src], &c->legs[dst], req))
		return reply_sdp(d, reply, c->legs[dst].last_reply_sdp);
	if (parse_sdp(req, &s, reason, reasonlen) < 0)
		return -1;
	undo_save(c, &undo);
	offer = leg_parsed(&c->legs[dst]);
	if (!offer || s->n_media != offer->n_media) {
		snprintf(reason, reasonlen, "answer has %zu media sections, the offer had %zu",
			 s->n_media, offer ? offer->n_media : (size_t)0);
		goto fail;
	}

	/* prepare: every step that can fail, on state undo_restore() puts back */
	if ((forked || !c->legs[src].tag) && !(tag = strdup(req->to_tag)))
		goto fail_msg;
	c->legs[src].party_ice = sdp_has_ice(s);
	c->legs[src].ice_lite_party = s->ice_lite;
	if (leg_set_ice(an, &c->legs[dst], req->ice_given ? req->ice : ANCHOR_ICE_DEFAULT,
			c->legs[src].party_ice, c->legs[dst].party_ice, false, req) < 0)
		goto fail_msg;
	for (unsigned int i = 0; i < c->nstreams; i++) {
		struct stream *st = c->streams[i];

		st->side[dst].ice_passthrough = c->legs[dst].ice == ANCHOR_ICE_FORCE_RELAY;
		if (c->legs[dst].ice_on && !st->side[dst].ice && media_ice_start(an, st, dst) < 0)
			goto fail_msg;
	}
	/* the SDP for the offerer depends only on its side: what the answerer's SDP
	   does to the answerer's side (rtcp-mux, ICE) comes at commit */
	plans = calloc(ANCHOR_MAX_STREAMS, sizeof(*plans));
	if (!plans)
		goto fail_msg;
	if (bridge_plan_answer(an, c, s, src, req, plans, reason, reasonlen) < 0)
		goto fail;
	if (rewrite_for(an, c, s, dst, req, true, plans, &text, reason, reasonlen) < 0)
		goto fail;
	/* the crypto state of sides that become SRTP, taken at commit */
	if (bridge_reserve(c, plans, spare) < 0)
		goto fail_msg;
	copy = strndup(req->sdp, req->sdp_len);
	if (!copy)
		goto fail_msg;

	/* commit: nothing fails from here */
	if (forked) {
		/*
		 * Another branch of a forked INVITE answers (a 200 OK after a 183
		 * from elsewhere): the latest answer is the party; what the anchor
		 * latched from the earlier one goes.
		 */
		free(c->legs[src].tag);
		for (unsigned int i = 0; i < c->nstreams; i++) {
			latch_reset(&c->streams[i]->side[src].latch[0]);
			latch_reset(&c->streams[i]->side[src].latch[1]);
		}
	}
	if (tag)
		leg_set_tag(&c->legs[src], tag);
	c->last_signal_s = anchor_wall_us() / 1000000;
	/* both parties have the anchor's DTLS lines now: an active side may start */
	c->answered = true;
	for (unsigned int i = 0; i < c->nstreams; i++)
		for (int k = 0; k < 2; k++)
			bridge_commit(an, c->streams[i], k, &plans[i][k], &spare[i][k]);
	bridge_spares_free(spare);
	free(plans);
	plans = NULL;
	take_party_sdp(an, c, s, src, req, true);
	/* the offerer's ICE lines, now that the anchor runs ICE toward it */
	take_party_sdp(an, c, offer, dst, NULL, false);
	/* media starts now: the offerer's side learns again too */
	for (unsigned int i = 0; i < c->nstreams; i++)
		media_latch_window(an, &c->streams[i]->side[dst]);
	leg_remember(&c->legs[src], &c->legs[dst], copy, text);
	media_call_refresh(an, c);
	put_sdp(req, s);
	sdp_free(offer);
	log_call(an, c, "answer", src);
	return reply_sdp(d, reply, c->legs[dst].last_reply_sdp);
fail_msg:
	snprintf(reason, reasonlen, "out of memory");
fail:
	bridge_spares_free(spare);
	put_sdp(req, s);
	sdp_free(offer);
	free(plans);
	free(text);
	free(tag);
	undo_restore(an, c, &undo);
	return -1;
}

int call_delete(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		struct bval *reply, char *reason, size_t reasonlen)
{
	struct call *c = call_find(an, req->call_id);

	if (!c || (req->from_tag && leg_of_tag(c, req->from_tag) < 0)) {
		snprintf(reason, reasonlen, "Call-ID not found or tags didn't match");
		return -1;
	}
	/* the entries go first, so that the reply counts what they forwarded last */
	for (unsigned int i = 0; i < c->nstreams; i++)
		anchor_offload_stream_end(an, c->streams[i]);
	ng_query_call(an, c, d, reply);
	an->stats.calls_deleted++;
	log_call(an, c, "delete", 0);
	call_free(c);
	return 0;
}
