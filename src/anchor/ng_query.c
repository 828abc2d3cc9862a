/*
 * ng_query.c - the query (and delete), list and statistics replies, with
 * rtpengine's field names ("tags", "medias", "streams", "endpoint",
 * "advertised endpoint", "last packet", "totals", "currentstatistics",
 * "totalstatistics", ...) so that monitoring built for rtpengine reads them.
 *
 * Per stream: "endpoint" is where the party's media comes from (the ICE
 * pair or the latched address), "advertised endpoint" what its SDP said;
 * "stats" counts what the party sent. Flags tell the ICE state and
 * whether the kernel forwards the stream ("kernelized": its entry, or a
 * TURN client's channel joined to it, is in the turnrelay module,
 * offload.c; its stats include what the kernel
 * forwarded, merged once a second). Under rtcp-mux one entry carries RTP
 * and RTCP, and what the kernel forwarded counts as RTP.
 */
#include <stdio.h>
#include <string.h>

#include "anchor/anchor_internal.h"
#include "common/addr.h"

static void add_endpoint(struct bdoc *d, struct bval *dict, const char *key,
			 const union sockaddr_u *a)
{
	struct bval *e = bdict_add_dict(d, dict, key);
	char ip[ADDR_STRLEN];

	if (!e)
		return;
	bdict_add_str(d, e, "family", a->sa.sa_family == AF_INET6 ? "IPv6" : "IPv4");
	bdict_add_str(d, e, "address", addr_ip_str(&a->sa, ip, sizeof(ip)));
	bdict_add_int(d, e, "port", addr_port(&a->sa));
}

static void add_counters(struct bdoc *d, struct bval *dict, const char *key, uint64_t packets,
			 uint64_t bytes, uint64_t errors)
{
	struct bval *s = bdict_add_dict(d, dict, key);

	if (!s)
		return;
	bdict_add_int(d, s, "packets", (int64_t)packets);
	bdict_add_int(d, s, "bytes", (int64_t)bytes);
	bdict_add_int(d, s, "errors", (int64_t)errors);
}

/* Where component comp of side ss's party actually sends from, and how that is known. */
enum ng_endpoint ng_side_endpoint(const struct stream_side *ss, int comp, union sockaddr_u *out)
{
	struct sockaddr_storage to;

	if (ss->mux)
		comp = 0; /* RTCP comes with RTP */
	if (ss->ice && !ss->ice_passthrough && ice_media_dest(ss->ice, comp + 1, &to)) {
		memset(out, 0, sizeof(*out));
		memcpy(out, &to, addr_len((struct sockaddr *)&to));
		return NG_ENDPOINT_ICE;
	}
	if (ss->latch[comp].latched) {
		*out = ss->latch_dest[comp].addr;
		return NG_ENDPOINT_LATCHED;
	}
	if (ss->has_sdp_dest[comp]) {
		*out = ss->sdp_dest[comp].addr;
		return NG_ENDPOINT_SDP;
	}
	return NG_ENDPOINT_NONE;
}

/* A party without rtcp-mux: the RTCP port's own association (RFC 5764 §4.1). */
static void add_rtcp_dtls(struct bdoc *d, struct bval *c, const struct side_rtcp_dtls *r)
{
	bdict_add_str(d, c, "RTCP DTLS state", dtls_srtp_state_name(dtls_srtp_conn_state(r->conn)));
	if (dtls_srtp_conn_error(r->conn)[0])
		bdict_add_str(d, c, "RTCP DTLS error", dtls_srtp_conn_error(r->conn));
	if (r->in) {
		bdict_add_int(d, c, "RTCP unprotected", (int64_t)mcrypto_stats(r->in)->ok);
		bdict_add_int(d, c, "RTCP auth failures", (int64_t)mcrypto_stats(r->in)->auth_fail);
	}
	if (r->out)
		bdict_add_int(d, c, "RTCP protected", (int64_t)mcrypto_stats(r->out)->ok);
}

/* SRTP per stream side: bridged (with keying, suite, DTLS state and drops),
 * passthrough (SRTP end to end) or plain. */
static void add_crypto(struct bdoc *d, struct bval *s, const struct stream_side *ss,
		       const char *mode)
{
	const struct side_crypto *sc = ss->crypto; /* NULL unless bridged or offered */
	struct bval *c = bdict_add_dict(d, s, "crypto");
	const struct mcrypto *m;

	if (!c)
		return;
	bdict_add_str(d, c, "mode", mode);
	if (!sc || strcmp(mode, "bridged") != 0)
		return;
	m = sc->in ? sc->in : sc->out;
	bdict_add_str(d, c, "keying",
		      sc->nego.kind == SIDE_CRYPTO_DTLS   ? "DTLS"
		      : sc->nego.kind == SIDE_CRYPTO_SDES ? "SDES"
							  : "offered");
	if (m)
		bdict_add_str(d, c, "suite", mcrypto_suite(m)->sdes_name);
	if (sc->dtls) {
		bdict_add_str(d, c, "DTLS state",
			      dtls_srtp_state_name(dtls_srtp_conn_state(sc->dtls)));
		if (dtls_srtp_conn_error(sc->dtls)[0])
			bdict_add_str(d, c, "DTLS error", dtls_srtp_conn_error(sc->dtls));
	}
	if (sc->in) {
		const struct mcrypto_stats *st = mcrypto_stats(sc->in);

		bdict_add_int(d, c, "unprotected", (int64_t)st->ok);
		bdict_add_int(d, c, "auth failures", (int64_t)st->auth_fail);
		bdict_add_int(d, c, "replays", (int64_t)st->replay);
	}
	if (sc->out)
		bdict_add_int(d, c, "protected", (int64_t)mcrypto_stats(sc->out)->ok);
	bdict_add_int(d, c, "before keys", (int64_t)sc->not_keyed);
	if (sc->rtcp.conn)
		add_rtcp_dtls(d, c, &sc->rtcp);
}

static void add_stream(struct bdoc *d, struct bval *list, const struct stream_side *ss, int comp,
		       bool kernel, const char *crypto_mode)
{
	const struct side_counters *cnt = comp ? &ss->rtcp : &ss->rtp;
	const struct media_sock *ms = &ss->socks[comp < ss->nsocks ? comp : 0];
	struct bval *s = bdoc_dict(d), *flags;
	union sockaddr_u ep;
	char ip[ADDR_STRLEN];

	if (!s || bval_list_add(list, s) < 0)
		return;
	bdict_add_int(d, s, "local port", addr_port(&ms->local.sa));
	bdict_add_str(d, s, "local address", addr_ip_str(&ms->local.sa, ip, sizeof(ip)));
	bdict_add_str(d, s, "family", ms->local.sa.sa_family == AF_INET6 ? "IPv6" : "IPv4");
	if (ng_side_endpoint(ss, comp, &ep))
		add_endpoint(d, s, "endpoint", &ep);
	if (ss->has_sdp_dest[ss->mux ? 0 : comp])
		add_endpoint(d, s, "advertised endpoint", &ss->sdp_dest[ss->mux ? 0 : comp].addr);
	bdict_add_int(d, s, "last packet", (int64_t)(cnt->last_packet_ms / 1000));
	flags = bdict_add_list(d, s, "flags");
	if (flags) {
		bval_list_add(flags, bdoc_cstr(d, comp ? "RTCP" : "RTP"));
		if (ss->has_sdp_dest[ss->mux ? 0 : comp])
			bval_list_add(flags, bdoc_cstr(d, "filled"));
		if (cnt->packets)
			bval_list_add(flags, bdoc_cstr(d, "confirmed"));
		if (ss->mux && comp == 0)
			bval_list_add(flags, bdoc_cstr(d, "RTCP-mux"));
		if (ss->ice)
			bval_list_add(flags, bdoc_cstr(d, "ICE"));
		if (ss->consent_lost)
			bval_list_add(flags, bdoc_cstr(d, "consent lost"));
		if (kernel)
			bval_list_add(flags, bdoc_cstr(d, "kernelized"));
	}
	add_counters(d, s, "stats", cnt->packets, cnt->bytes, cnt->errors);
	add_crypto(d, s, ss, crypto_mode);
}

static void add_tag(struct anchor *an, const struct call *c, int k, struct bdoc *d,
		    struct bval *tags)
{
	const struct leg *l = &c->legs[k], *other = &c->legs[1 - k];
	struct bval *t, *medias;

	(void)an;
	if (!l->tag)
		return;
	t = bdict_add_dict(d, tags, l->tag);
	if (!t)
		return;
	bdict_add_str(d, t, "tag", l->tag);
	bdict_add_int(d, t, "created", (int64_t)l->created_s);
	if (other->tag)
		bdict_add_str(d, t, "in dialogue with", other->tag);
	medias = bdict_add_list(d, t, "medias");
	for (unsigned int i = 0; medias && i < c->nstreams; i++) {
		const struct stream *st = c->streams[i];
		const struct stream_side *ss = &st->side[k];
		struct bval *m = bdoc_dict(d), *streams, *flags;

		if (!m || bval_list_add(medias, m) < 0)
			return;
		bdict_add_int(d, m, "index", i + 1);
		bdict_add_str(d, m, "type", st->type);
		bdict_add_str(d, m, "protocol",
			      ss->proto[0] ? ss->proto : st->proto);
		streams = bdict_add_list(d, m, "streams");
		/* under rtcp-mux, RTCP is a second stream on the same port */
		for (int comp = 0; streams && ss->nsocks &&
				   comp < (ss->mux && strstr(st->proto, "RTP") ? 2 : ss->nsocks);
		     comp++)
			add_stream(d, streams, ss, comp, anchor_offload_kernelized(st, ss->mux ? 0 : comp),
				   bridge_side_mode(st, k));
		flags = bdict_add_list(d, m, "flags");
		if (!flags)
			continue;
		bval_list_add(flags, bdoc_cstr(d, "initialized"));
		if (ss->mux)
			bval_list_add(flags, bdoc_cstr(d, "RTCP-mux"));
		if (ss->ice) {
			char state[48];

			snprintf(state, sizeof(state), "ICE %s", ice_state_name(ice_get_state(ss->ice)));
			bval_list_add(flags, bdoc_cstr(d, "ICE"));
			bval_list_add(flags, bdoc_cstr(d, state));
			bval_list_add(flags, bdoc_cstr(d, ice_is_controlling(ss->ice)
								 ? "ICE controlling"
								 : "ICE controlled"));
			if (c->legs[k].lite)
				bval_list_add(flags, bdoc_cstr(d, "ICE-lite self"));
		}
		if (ss->ice_passthrough)
			bval_list_add(flags, bdoc_cstr(d, "ICE force-relay"));
		bval_list_add(flags, bdoc_cstr(d, "userspace"));
	}
}

void ng_query_call(struct anchor *an, const struct call *c, struct bdoc *d, struct bval *reply)
{
	struct bval *tags, *totals;
	uint64_t rtp[3] = {0}, rtcp[3] = {0};

	bdict_add_int(d, reply, "created", (int64_t)(c->created_wall_us / 1000000));
	bdict_add_int(d, reply, "created_us", (int64_t)(c->created_wall_us % 1000000));
	bdict_add_int(d, reply, "last signal", (int64_t)c->last_signal_s);
	/* the media thread the call runs on (anchor-num-threads), from 0 */
	bdict_add_int(d, reply, "thread", (int64_t)c->sh->index);
	tags = bdict_add_dict(d, reply, "tags");
	for (int k = 0; tags && k < 2; k++)
		add_tag(an, c, k, d, tags);
	for (unsigned int i = 0; i < c->nstreams; i++) {
		for (int k = 0; k < 2; k++) {
			const struct stream_side *ss = &c->streams[i]->side[k];

			rtp[0] += ss->rtp.packets;
			rtp[1] += ss->rtp.bytes;
			rtp[2] += ss->rtp.errors;
			rtcp[0] += ss->rtcp.packets;
			rtcp[1] += ss->rtcp.bytes;
			rtcp[2] += ss->rtcp.errors;
		}
	}
	totals = bdict_add_dict(d, reply, "totals");
	if (totals) {
		add_counters(d, totals, "RTP", rtp[0], rtp[1], rtp[2]);
		add_counters(d, totals, "RTCP", rtcp[0], rtcp[1], rtcp[2]);
	}
}

void ng_list(struct anchor *an, const struct ng_request *req, struct bdoc *d, struct bval *reply)
{
	struct bval *calls = bdict_add_list(d, reply, "calls");
	unsigned int n = 0;

	for (uint32_t i = 0; calls && i <= an->calls_mask; i++) {
		for (const struct call *c = an->calls[i]; c; c = c->hnext) {
			if (req->limit && n >= req->limit)
				return;
			bval_list_add(calls, bdoc_cstr(d, c->call_id));
			n++;
		}
	}
}

void ng_statistics(struct anchor *an, struct bdoc *d, struct bval *reply)
{
	struct anchor_stats total;
	const struct anchor_stats *s = &total;
	struct bval *st = bdict_add_dict(d, reply, "statistics"), *cur, *tot, *ctl;
	unsigned int media_user = 0, media_kernel = 0;

	if (!st)
		return;
	anchor_stats_total(an, &total);
	for (uint32_t i = 0; i <= an->calls_mask; i++)
		for (const struct call *c = an->calls[i]; c; c = c->hnext)
			for (unsigned int k = 0; k < c->nstreams; k++)
				*(anchor_offload_kernelized(c->streams[k], 0) ? &media_kernel
									      : &media_user) += 1;
	cur = bdict_add_dict(d, st, "currentstatistics");
	if (cur) {
		bdict_add_int(d, cur, "sessionsown", an->ncalls);
		bdict_add_int(d, cur, "sessionsforeign", 0);
		bdict_add_int(d, cur, "sessionstotal", an->ncalls);
		bdict_add_int(d, cur, "media_userspace", media_user);
		bdict_add_int(d, cur, "media_kernel", media_kernel);
		bdict_add_int(d, cur, "media_mixed", 0);
		/* this server's caps (docs/ANCHOR.md, "Limits") */
		bdict_add_int(d, cur, "maxsessions", an->cfg->anchor_max_sessions);
		bdict_add_int(d, cur, "maxcallports", an->cfg->anchor_max_call_ports);
	}
	tot = bdict_add_dict(d, st, "totalstatistics");
	if (tot) {
		bdict_add_int(d, tot, "uptime", (int64_t)(anchor_wall_us() / 1000000 - an->started_s));
		bdict_add_int(d, tot, "managedsessions", (int64_t)s->calls_total);
		bdict_add_int(d, tot, "rejectedsessions", (int64_t)s->calls_rejected_load);
		bdict_add_int(d, tot, "timeoutsessions", (int64_t)s->calls_timeout);
		bdict_add_int(d, tot, "finaltimeoutsessions", (int64_t)s->calls_final_timeout);
		bdict_add_int(d, tot, "regularterminatedsessions", (int64_t)s->calls_deleted);
		bdict_add_int(d, tot, "relayedpackets_user", (int64_t)s->packets_user);
		bdict_add_int(d, tot, "relayedbytes_user", (int64_t)s->bytes_user);
		bdict_add_int(d, tot, "relayedpacketerrors_user", (int64_t)s->errors_user);
		bdict_add_int(d, tot, "relayedpackets_kernel", (int64_t)s->packets_kernel);
		bdict_add_int(d, tot, "relayedbytes_kernel", (int64_t)s->bytes_kernel);
		bdict_add_int(d, tot, "relayedpacketerrors_kernel", (int64_t)s->errors_kernel);
		bdict_add_int(d, tot, "relayedpackets", (int64_t)(s->packets_user + s->packets_kernel));
		bdict_add_int(d, tot, "relayedbytes", (int64_t)(s->bytes_user + s->bytes_kernel));
		bdict_add_int(d, tot, "relayedpacketerrors",
			      (int64_t)(s->errors_user + s->errors_kernel));
		bdict_add_int(d, tot, "droppedunauthenticated", (int64_t)s->dropped_unauthenticated);
		bdict_add_int(d, tot, "droppednodestination", (int64_t)s->dropped_no_destination);
		bdict_add_int(d, tot, "droppedmalformed", (int64_t)s->dropped_malformed);
		bdict_add_int(d, tot, "stunnofingerprint", (int64_t)s->stun_no_fingerprint);
		bdict_add_int(d, tot, "droppedpolicy", (int64_t)s->dropped_policy);
		bdict_add_int(d, tot, "latches", (int64_t)s->latches);
		bdict_add_int(d, tot, "relatches", (int64_t)s->relatches);
		bdict_add_int(d, tot, "stunhandled", (int64_t)s->stun_handled);
		bdict_add_int(d, tot, "joinedpackets", (int64_t)s->joined_packets);
		bdict_add_int(d, tot, "srtpauthfailures", (int64_t)s->srtp_auth_failed);
		bdict_add_int(d, tot, "srtpreplays", (int64_t)s->srtp_replayed);
		bdict_add_int(d, tot, "srtpdropped", (int64_t)s->srtp_dropped);
		bdict_add_int(d, tot, "srtpbeforekeys", (int64_t)s->srtp_not_keyed);
		bdict_add_int(d, tot, "dtlsconnected", (int64_t)s->dtls_connected);
		bdict_add_int(d, tot, "dtlsfailed", (int64_t)s->dtls_failed);
	}
	ctl = bdict_add_dict(d, st, "controlstatistics");
	if (ctl) {
		bdict_add_int(d, ctl, "requests", (int64_t)s->ng_requests);
		bdict_add_int(d, ctl, "errors", (int64_t)s->ng_errors);
		bdict_add_int(d, ctl, "retransmissions", (int64_t)s->ng_retransmits);
		bdict_add_int(d, ctl, "nocookie", (int64_t)s->ng_no_cookie);
		bdict_add_int(d, ctl, "malformed", (int64_t)s->ng_malformed);
		bdict_add_int(d, ctl, "notallowed", (int64_t)s->ng_not_allowed);
		bdict_add_int(d, ctl, "ownsource", (int64_t)s->ng_own_source);
	}
}
