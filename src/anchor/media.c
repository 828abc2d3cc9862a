/*
 * media.c - the anchor's media sockets: ports from the relay range, ICE
 * toward each party, and forwarding between the two sides of a stream.
 *
 * A datagram on side k is sorted by its first byte (RFC 7983): STUN goes
 * to side k's ICE agent (or, with force-relay, end to end once its
 * FINGERPRINT checks out, never latched on); everything else is media,
 * accepted only from a source ICE validated on that side or, without ICE,
 * from the source latch.h latched onto, and sent on unchanged from side
 * 1-k's socket of the same component to where side 1-k's party is: its
 * nominated (or first succeeded) ICE pair, its latched address, or the
 * address its SDP gave. Every one of those passed media_dest_check(), the
 * peer verdict, and media_send() sends only to what it returned. Nothing
 * is allocated or logged per packet, and nothing scanned: the destination
 * and the ICE source are kept per side by media_side_refresh() when an
 * event moves them (and that is where a confirmed stream is handed to the
 * kernel offload, offload.c).
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "anchor/anchor_internal.h"
#include "anchor/demux.h"
#include "common/addr.h"
#include "common/log.h"
#include "stun/stun.h"

static struct media_sock **port_slot(struct anchor_shard *sh, uint16_t port)
{
	return &sh->ports[port & sh->an->ports_mask];
}

struct media_sock *media_find_port(struct anchor_shard *sh, uint16_t port)
{
	struct media_sock *ms = *port_slot(sh, port);

	for (; ms; ms = ms->pnext)
		if (addr_port(&ms->local.sa) == port)
			return ms;
	return NULL;
}

/*
 * The port table, and the server's live relay ports (relay/relay_ports.h):
 * a TURN allocation may send to a media socket while it is open.
 */
static void port_add(struct anchor *an, struct media_sock *ms)
{
	uint16_t port = addr_port(&ms->local.sa);

	ms->pnext = *port_slot(ms->sh, port);
	*port_slot(ms->sh, port) = ms;
	__atomic_store_n(&an->port_shard[port], (uint16_t)ms->sh->index, __ATOMIC_RELAXED);
	relay_ports_set(&an->relay->ports, &ms->local.sa, IPPROTO_UDP, an->owner, true);
}

static void port_remove(struct anchor *an, struct media_sock *ms)
{
	struct media_sock **pp = port_slot(ms->sh, addr_port(&ms->local.sa));

	relay_ports_set(&an->relay->ports, &ms->local.sa, IPPROTO_UDP, an->owner, false);
	while (*pp && *pp != ms)
		pp = &(*pp)->pnext;
	if (*pp)
		*pp = ms->pnext;
}

const union sockaddr_u *media_public_addr(const struct anchor *an, int family, bool lan)
{
	if (family == AF_INET6)
		return lan ? &an->local_v6 : &an->public_v6;
	return lan ? &an->local_v4 : &an->public_v4;
}

/* The anchor's own ng control socket (a media packet must never reach it). */
static bool is_ng_socket(const struct anchor *an, const struct sockaddr *to)
{
	const struct sockaddr *ng = (const struct sockaddr *)&an->cfg->anchor_ng_listen.addr;
	bool v6 = to->sa_family == AF_INET6;

	if (!an->cfg->anchor_ng_listen.addr_len || ng->sa_family != to->sa_family ||
	    addr_port(ng) != addr_port(to))
		return false;
	if (addr_ip_equal(ng, to))
		return true;
	/* bound to the wildcard: loopback and the host's own addresses reach it */
	return peer_policy_class(ng) == PEER_DENIED_UNSPECIFIED &&
	       (peer_policy_class(to) == PEER_DENIED_LOOPBACK ||
		addr_ip_equal(to, &(v6 ? &an->local_v6 : &an->local_v4)->sa) ||
		addr_ip_equal(to, &(v6 ? &an->public_v6 : &an->public_v4)->sa));
}

/*
 * The one verdict on every destination of the anchor (SDP RTP and RTCP,
 * ICE candidates and peer-reflexive sources, latched sources): where a TURN
 * relay may send (the peer policy plus this server's own relay ports, a
 * browser's allocation on this server), never port 0 and never the ng
 * control socket.
 */
bool media_dest_check(const struct anchor *an, const struct sockaddr *to, struct media_dest *out)
{
	union sockaddr_u peer;
	socklen_t len = addr_len(to);

	if (!len || addr_port(to) == 0 || is_ng_socket(an, to))
		return false;
	memset(&peer, 0, sizeof(peer));
	memcpy(&peer, to, len);
	if (relay_peer_verdict(an->relay, &peer, IPPROTO_UDP) != PEER_ALLOWED)
		return false;
	out->addr = peer;
	out->own = relay_ports_has_addr(&an->relay->ports, &peer.sa);
	return true;
}

/*
 * Every datagram the anchor sends to a party leaves here: 0 sent, -1 send
 * error, 1 refused (counted in dropped_policy). A destination on one of the
 * server's own addresses passed because its port was a live relay or media
 * socket; that socket may have closed since and the port be another
 * program's, so it is judged again per packet, as TURN judges Send and
 * ChannelData to its own addresses. Other destinations were judged once.
 */
int media_send(const struct media_sock *ms, const struct media_dest *to, const uint8_t *buf,
	       size_t len)
{
	if (to->own && relay_peer_verdict(ms->an->relay, &to->addr, IPPROTO_UDP) != PEER_ALLOWED) {
		ms->sh->stats.dropped_policy++;
		return 1;
	}
	return sendto(ms->fd, buf, len, 0, &to->addr.sa, addr_len(&to->addr.sa)) < 0 ? -1 : 0;
}

void media_latch_window(struct anchor *an, struct stream_side *ss)
{
	ss->latch_policy.window_end_ms = clock_ms() + (uint64_t)an->cfg->anchor_latch_window * 1000;
}

/* An ICE timer its shard's thread finalized: its stream goes now if its call let it go. */
static void media_timer_finalized(struct event *ev, void *arg)
{
	struct media_sock *ms = arg;
	struct anchor_shard *sh = ms->sh;
	struct stream *st = ms->st;

	(void)ev;
	pthread_mutex_lock(&sh->lock);
	if (--st->finalizing == 0 && st->released)
		free(st);
	pthread_mutex_unlock(&sh->lock);
}

/*
 * Frees a side's ICE timer (its argument points into st), with st's shard
 * lock held. On the shard's thread, or with its loop not running, at once.
 * From another thread (the control thread commits a request under the
 * lock) event_del() would wait for the timer's callback, which may itself
 * be waiting for the lock: the timer is removed without waiting and freed
 * by the shard's thread once its callback is done (a callback already past its
 * event finds the agent gone, media_ice_schedule()), and st lives until
 * then (media_stream_free()).
 */
static void media_timer_free(struct event *ev, struct stream *st)
{
	if (anchor_shard_owner(st->sh)) {
		event_free(ev);
		return;
	}
	st->finalizing++;
	event_free_finalize(0, ev, media_timer_finalized);
}

void media_stream_free(struct stream *st)
{
	if (!st)
		return;
	if (st->finalizing)
		st->released = true; /* the last media_timer_finalized() frees it */
	else
		free(st);
}

/*
 * A shard's media sockets are watched by an epoll set of its own
 * (media_loop()), not by an event each: a request that opens or
 * closes one on the control thread changes the set with epoll_ctl(),
 * which neither wakes the shard's thread nor waits for it. The set is read
 * under the shard's lock, so a socket closed and freed under it is never
 * read from a stale readiness report.
 */
static int media_poll_add(struct media_sock *ms)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = ms};

	return epoll_ctl(ms->sh->media_epfd, EPOLL_CTL_ADD, ms->fd, &e);
}

static void media_sock_close(struct anchor *an, struct media_sock *ms)
{
	epoll_ctl(ms->sh->media_epfd, EPOLL_CTL_DEL, ms->fd, NULL);
	port_remove(an, ms);
	close(ms->fd);
	an->budget.release(an->budget.ctx, 1);
	ms->fd = -1;
}

/* Ports the control thread bound for this request (call_prepare()), when it has some that fit. */
static bool prebound_take(struct anchor *an, int nsocks, int family, int fds[2])
{
	for (unsigned int i = 0; i < an->nprebound; i++) {
		struct media_prebound *p = &an->prebound[i];

		if (p->nsocks == nsocks && p->family == family) {
			fds[0] = p->fd[0];
			fds[1] = nsocks == 2 ? p->fd[1] : -1;
			p->nsocks = 0;
			return true;
		}
	}
	return false;
}

int media_side_open(struct anchor *an, struct stream *st, int side, int nsocks, int family)
{
	struct stream_side *ss = &st->side[side];
	const union sockaddr_u *local = family == AF_INET6 ? &an->local_v6 : &an->local_v4;
	int fds[2] = {-1, -1};

	ss->socks[0].fd = ss->socks[1].fd = -1;
	ss->socks[0].sh = ss->socks[1].sh = st->sh;
	if (an->budget.take(an->budget.ctx, (unsigned int)nsocks) < 0)
		return -2;
	if (!prebound_take(an, nsocks, family, fds) &&
	    relay_port_bind(an->relay, local, false, nsocks == 2, nsocks == 2, false, &fds[0],
			    &fds[1]) < 0) {
		an->budget.release(an->budget.ctx, (unsigned int)nsocks);
		return -1;
	}
	for (int k = 0; k < nsocks; k++) {
		struct media_sock *ms = &ss->socks[k];
		socklen_t len = sizeof(ms->local);

		ms->fd = fds[k];
		ms->an = an;
		ms->sh = st->sh;
		ms->st = st;
		ms->side = (uint8_t)side;
		ms->comp = (uint8_t)k;
		getsockname(ms->fd, &ms->local.sa, &len);
		if (media_poll_add(ms) < 0) {
			ms->fd = -1;
			goto fail;
		}
		port_add(an, ms);
		ss->nsocks = k + 1;
	}
	return 0;
fail:
	if (fds[0] >= 0 && ss->nsocks < 1)
		close(fds[0]);
	if (fds[1] >= 0 && ss->nsocks < 2)
		close(fds[1]);
	an->budget.release(an->budget.ctx, (unsigned int)(nsocks - ss->nsocks));
	media_side_close(an, st, side);
	return -1;
}

void media_side_drop_rtcp(struct anchor *an, struct stream_side *ss)
{
	struct media_sock *ms = &ss->socks[1];

	if (ss->nsocks != 2)
		return;
	if (ss->ice)
		ice_set_components(ss->ice, 1);
	media_sock_close(an, ms);
	ss->nsocks = 1;
}

void media_side_stop_ice(struct stream_side *ss)
{
	if (ss->ice_timer) {
		ss->socks[0].st->sh->ice_timers--;
		media_timer_free(ss->ice_timer, ss->socks[0].st);
	}
	ss->ice_timer = NULL;
	if (ss->ice)
		ice_agent_free(ss->ice);
	ss->ice = NULL;
}

void media_side_close(struct anchor *an, struct stream *st, int side)
{
	struct stream_side *ss = &st->side[side];

	/* close_notify goes out while the socket is still there */
	bridge_side_free(an, ss);
	media_side_stop_ice(ss);
	free(ss->txns);
	ss->txns = NULL;
	for (int k = 0; k < ss->nsocks; k++) {
		struct media_sock *ms = &ss->socks[k];

		if (ms->fd >= 0)
			media_sock_close(an, ms);
	}
	ss->nsocks = 0;
	latch_release(&ss->latch[0]);
	latch_release(&ss->latch[1]);
	anchor_offload_stream_end(an, st);
	media_side_refresh(an, st, side);
}

static int ice_send(void *ctx, int component, const struct sockaddr *to, const uint8_t *buf,
		    size_t len)
{
	struct stream_side *ss = ctx;
	struct anchor *an = ss->socks[0].an;
	struct media_dest d;

	if (component < 1 || component > ss->nsocks)
		return -1;
	if (!media_dest_check(an, to, &d)) {
		ss->socks[0].sh->stats.dropped_policy++;
		return -1;
	}
	return media_send(&ss->socks[component - 1], &d, buf, len) == 0 ? 0 : -1;
}

static void ice_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct media_sock *ms = arg;
	struct anchor_shard *sh = ms->sh;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&sh->lock);
	anchor_shard_clock(sh);
	media_ice_schedule(ms->st, ms->side);
	pthread_mutex_unlock(&sh->lock);
}

/* Runs the side's agent now and arms its timer for when it asks next. */
void media_ice_schedule(struct stream *st, int side)
{
	struct stream_side *ss = &st->side[side];
	struct ice_io io = {.ctx = ss, .send = ice_send};
	uint64_t now = clock_ms(), next;

	if (!ss->ice)
		return;
	next = ice_tick(ss->ice, now, &io);
	media_side_refresh(ss->socks[0].an, st, side);
	if (next == UINT64_MAX || !ss->ice_timer)
		return;
	{
		uint64_t ms = next > now ? next - now : 0;
		struct timeval tv = {.tv_sec = (time_t)(ms / 1000),
				     .tv_usec = (suseconds_t)(ms % 1000) * 1000};

		evtimer_add(ss->ice_timer, &tv);
	}
}

int media_ice_start(struct anchor *an, struct stream *st, int side)
{
	struct stream_side *ss = &st->side[side];
	const struct leg *l = &st->call->legs[side];
	const union sockaddr_u *adv;
	struct ice_params p;

	if (ss->nsocks == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.controlling = l->controlling;
	p.lite = l->lite;
	memcpy(p.local_ufrag, l->ufrag, sizeof(p.local_ufrag));
	memcpy(p.local_pwd, l->pwd, sizeof(p.local_pwd));
	p.ncomponents = ss->nsocks;
	p.shared = &st->call->ice_shared;
	ss->ice = ice_agent_new(&p);
	if (!ss->ice)
		return -1;
	adv = media_public_addr(an, ss->socks[0].local.sa.sa_family, l->lan);
	for (int k = 0; k < ss->nsocks; k++) {
		union sockaddr_u a = *adv;

		addr_set_port(&a.sa, addr_port(&ss->socks[k].local.sa));
		ice_set_local(ss->ice, k + 1, &a.sa,
			      ice_priority(l->lan ? ICE_CAND_HOST : ICE_CAND_RELAY, 65535, k + 1));
	}
	ss->ice_timer = evtimer_new(st->sh->base, ice_timer_fired, &ss->socks[0]);
	if (!ss->ice_timer) {
		media_side_stop_ice(ss);
		return -1;
	}
	st->sh->ice_timers++;
	return 0;
}

/* RFC 7675: a side whose consent expired gets no more media. */
void media_consent_check(struct anchor_shard *sh, uint64_t now_ms)
{
	for (struct call *c = sh->calls; c; c = c->snext) {
		for (unsigned int s = 0; s < c->nstreams; s++) {
			for (int k = 0; k < 2; k++) {
				struct stream_side *ss = &c->streams[s]->side[k];

				if (ss->ice && !ss->consent_lost &&
				    ice_consent_expired(ss->ice, now_ms)) {
					ss->consent_lost = true;
					media_side_refresh(sh->an, c->streams[s], k);
				}
			}
		}
	}
}

/* force-relay: STUN passed end to end, but only with a valid FINGERPRINT. */
static bool stun_passable(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	return stun_msg_parse(m, buf, len) == STUN_PARSE_OK && stun_msg_check_fingerprint(m);
}

/* force-relay: a check from side ss's party, remembered for its response. */
static void stun_txn_add(struct anchor *an, struct stream_side *ss, int comp,
			 const struct stun_msg *m, const union sockaddr_u *from)
{
	struct stun_txn *t;

	if (!ss->txns && !(ss->txns = calloc(ANCHOR_STUN_TXNS, sizeof(*ss->txns))))
		return;
	t = &ss->txns[ss->txn_next++ % ANCHOR_STUN_TXNS];
	if (!media_dest_check(an, &from->sa, &t->src)) {
		ss->socks[0].sh->stats.dropped_policy++;
		t->used = false;
		return;
	}
	memcpy(t->tid, m->tid, sizeof(t->tid));
	t->comp = (uint8_t)comp;
	t->used = true;
}

/*
 * force-relay: a response from side x's party to a check from the other
 * party goes back to the check's source; a success response latches that
 * source (the responder authenticated the check). False when it answers no
 * check that passed through.
 */
static bool stun_txn_answer(struct anchor *an, struct stream *st, int x, const struct stun_msg *m,
			    const uint8_t *buf, size_t len)
{
	struct stream_side *o = &st->side[1 - x];
	struct anchor_shard *sh = st->sh;
	struct stun_txn *t = NULL;
	int sent;

	for (int i = 0; o->txns && i < ANCHOR_STUN_TXNS && !t; i++)
		if (o->txns[i].used && memcmp(o->txns[i].tid, m->tid, sizeof(o->txns[i].tid)) == 0)
			t = &o->txns[i];
	if (!t || t->comp >= o->nsocks)
		return false;
	t->used = false;
	if (m->cls == STUN_SUCCESS && !o->ice) {
		struct latch_pkt none = {0};

		if (!o->latch[t->comp].latched ||
		    !addr_equal(&o->latch[t->comp].src.sa, &t->src.addr.sa)) {
			latch_commit(&o->latch[t->comp], &t->src.addr.sa, &none);
			o->latch_dest[t->comp] = t->src;
			sh->stats.latches++;
			media_side_refresh(an, st, 1 - x);
		}
	}
	sent = media_send(&o->socks[t->comp], &t->src, buf, len);
	if (sent < 0)
		sh->stats.errors_user++;
	if (sent != 0)
		return true;
	sh->stats.packets_user++;
	sh->stats.bytes_user += len;
	return true;
}

bool media_dest_confirmed(const struct side_dest *d)
{
	return d->kind == SIDE_DEST_LATCH || d->kind == SIDE_DEST_ICE_NOMINATED;
}

static bool side_dest_equal(const struct side_dest *a, const struct side_dest *b)
{
	if (a->kind != b->kind)
		return false;
	return a->kind == SIDE_DEST_NONE ||
	       (a->to.own == b->to.own && addr_equal(&a->to.addr.sa, &b->to.addr.sa));
}

/*
 * Where side ss's party gets component c's media now: with ICE toward it,
 * its selected pair (nominated, else the earliest succeeded) while consent
 * holds, judged once while the pair stays the same (prev); else its
 * latched source, else its SDP's address.
 */
static void side_dest_compute(struct anchor *an, const struct stream_side *ss, int c,
			      const struct side_dest *prev, struct side_dest *d)
{
	struct sockaddr_storage to;
	const struct sockaddr *sa = (const struct sockaddr *)&to;

	memset(d, 0, sizeof(*d));
	if (c >= ss->nsocks)
		return;
	if (ss->ice && !ss->ice_passthrough) {
		if (ss->consent_lost || !ice_media_dest(ss->ice, c + 1, &to))
			return;
		if ((prev->kind == SIDE_DEST_REFUSED || prev->kind == SIDE_DEST_ICE ||
		     prev->kind == SIDE_DEST_ICE_NOMINATED) &&
		    addr_equal(&prev->to.addr.sa, sa)) {
			d->to = prev->to;
			d->kind =
			    prev->kind == SIDE_DEST_REFUSED ? SIDE_DEST_REFUSED : SIDE_DEST_ICE;
		} else if (media_dest_check(an, sa, &d->to)) {
			d->kind = SIDE_DEST_ICE;
		} else {
			memcpy(&d->to.addr, &to, addr_len(sa));
			d->kind = SIDE_DEST_REFUSED;
		}
		if (d->kind == SIDE_DEST_ICE && ice_component_nominated(ss->ice, c + 1))
			d->kind = SIDE_DEST_ICE_NOMINATED;
		return;
	}
	if (ss->latch[c].latched) {
		d->kind = SIDE_DEST_LATCH;
		d->to = ss->latch_dest[c];
	} else if (ss->has_sdp_dest[c]) {
		d->kind = SIDE_DEST_SDP;
		d->to = ss->sdp_dest[c];
	}
}

/*
 * The hook where a stream's forwarding may leave userspace, called when a
 * side's destination changed: the stream is confirmed while both sides'
 * RTP goes to a confirmed destination (media_dest_confirmed()). This is
 * where the kernel offload of anchored streams installs its entry (on
 * becoming confirmed, or a confirmed destination moving) and removes it
 * (on any side leaving the confirmed state: consent loss, ICE restart,
 * re-offer, forked answer, delete, timeout): anchor_offload_stream() in
 * offload.c. It runs under the stream's shard lock: on its media thread,
 * on the control thread (the commit of an offer, answer or delete:
 * anchor_commit()), or on a TURN worker inside anchor_deliver() (a joined
 * leg latching); off the media thread, whose engine handle it is,
 * anchor_offload_stream() only flags the stream for that thread.
 */
/* The mode a stream is counted in while confirmed: bridging first, then ICE. */
static uint8_t stream_mode(const struct stream *st)
{
	for (int k = 0; k < 2; k++)
		if (st->side[k].crypto && (st->side[k].crypto->live.kind == SIDE_CRYPTO_DTLS ||
					   st->side[k].crypto->live.kind == SIDE_CRYPTO_SDES))
			return ANCHOR_MODE_BRIDGED;
	if (st->side[0].ice || st->side[1].ice)
		return ANCHOR_MODE_ICE;
	return ANCHOR_MODE_LATCHING;
}

static void media_stream_sync(struct stream *st)
{
	struct anchor_shard *sh = st->sh;

	bool confirmed = st->side[0].nsocks && st->side[1].nsocks &&
			 media_dest_confirmed(&st->side[0].dest[0]) &&
			 media_dest_confirmed(&st->side[1].dest[0]);

	if (confirmed != st->confirmed) {
		if (confirmed) {
			sh->streams_confirmed++;
			st->confirmed_mode = stream_mode(st);
			sh->streams_by_mode[st->confirmed_mode]++;
		} else {
			sh->streams_confirmed--;
			sh->streams_by_mode[st->confirmed_mode]--;
		}
	}
	st->confirmed = confirmed;
}

void media_side_refresh(struct anchor *an, struct stream *st, int side)
{
	struct stream_side *ss = &st->side[side];
	bool changed = false;

	for (int c = 0; c < 2; c++) {
		struct side_dest d;
		struct sockaddr_storage src;

		side_dest_compute(an, ss, c, &ss->dest[c], &d);
		if (!side_dest_equal(&d, &ss->dest[c])) {
			ss->dest[c] = d;
			changed = true;
		}
		/* media is accepted from every valid pair; the selected one is compared first */
		ss->has_ice_src[c] = c < ss->nsocks && ss->ice && !ss->ice_passthrough &&
				     ice_media_dest(ss->ice, c + 1, &src);
		if (ss->has_ice_src[c]) {
			memset(&ss->ice_src[c], 0, sizeof(ss->ice_src[c]));
			memcpy(&ss->ice_src[c], &src, addr_len((const struct sockaddr *)&src));
		}
	}
	if (changed)
		media_stream_sync(st);
	/* an active DTLS side starts once it has a destination and was answered */
	bridge_side_kick(an, st, side);
	/* also when only the sockets or rtcp-mux moved (nothing to do without the module) */
	anchor_offload_stream(an, st);
}

void media_call_refresh(struct anchor *an, struct call *c)
{
	for (unsigned int i = 0; i < c->nstreams; i++)
		for (int k = 0; k < 2; k++)
			media_side_refresh(an, c->streams[i], k);
}

/*
 * Whether a datagram (not STUN) from 'from' on side ss's component comp
 * comes from the party, latching onto it when latch.h says so and the peer
 * verdict allows it. RTCP follows RTP's latch: its IP, the port learned.
 */
static bool side_latch(struct anchor *an, struct stream *st, int side, int comp,
		       const union sockaddr_u *from, const uint8_t *buf, size_t len)
{
	struct stream_side *ss = &st->side[side];
	struct anchor_shard *sh = st->sh;
	struct latch_policy rtcp = ss->latch_policy;
	const struct latch_policy *pol = &ss->latch_policy;
	struct latch_pkt pkt;
	struct media_dest d;
	bool had;

	latch_pkt_parse(&pkt, buf, len);
	if (comp == 1) {
		if (ss->latch[0].latched) {
			rtcp.expect_ip = true;
			rtcp.expect = ss->latch[0].src;
			addr_set_port(&rtcp.expect.sa, addr_port(&ss->sdp_dest[1].addr.sa));
		} else {
			rtcp.expect_ip = ss->has_sdp_dest[1] && ss->latch_policy.expect_ip;
			rtcp.expect = ss->sdp_dest[1].addr;
		}
		pol = &rtcp;
	}
	switch (latch_input(&ss->latch[comp], pol, &from->sa, &pkt, sh->now_ms)) {
	case LATCH_ACCEPT:
		return true;
	case LATCH_NEW:
		if (!media_dest_check(an, &from->sa, &d)) {
			sh->stats.dropped_policy++;
			return false;
		}
		had = ss->latch[comp].latched;
		latch_commit(&ss->latch[comp], &from->sa, &pkt);
		ss->latch_dest[comp] = d;
		if (had)
			sh->stats.relatches++;
		else
			sh->stats.latches++;
		/* RTP moved to another host: its RTCP is learned again */
		if (comp == 0 && ss->latch[1].latched &&
		    !addr_ip_equal(&ss->latch[1].src.sa, &from->sa))
			latch_reset(&ss->latch[1]);
		media_side_refresh(an, st, side);
		return true;
	default:
		sh->stats.dropped_unauthenticated++;
		return false;
	}
}

/* A forwarded datagram's fate, as media_send() gives it: counted. */
static void forward_count(struct anchor_shard *sh, struct side_counters *cnt, size_t len,
			  int sent)
{
	if (sent < 0) {
		cnt->errors++;
		sh->stats.errors_user++;
	}
	if (sent != 0)
		return;
	sh->stats.packets_user++;
	sh->stats.bytes_user += len;
}

static void forward_done(void *arg, const struct udp_tx *t, bool sent)
{
	forward_count(arg, t->owner, t->payload, sent ? 0 : -1);
}

/*
 * len bytes at buf from fd to `to` (a destination media_dest_check() gave,
 * not one of our own addresses), with the receive batch when media_read()
 * holds one, else at once.
 */
static void forward_queue(struct anchor_shard *sh, int fd, const union sockaddr_u *to,
			  const uint8_t *buf, size_t len, struct side_counters *cnt)
{
	struct udp_tx *t;

	if (sh->txq.n == UDP_TXQ_LEN)
		udp_txq_flush(&sh->txq, &sh->stats.batch, forward_done, sh);
	t = &sh->txq.tx[sh->txq.n++];
	t->fd = fd;
	t->to = *to;
	t->to_len = addr_len(&to->sa);
	t->iov[0] = (struct iovec){.iov_base = (void *)buf, .iov_len = len};
	t->niov = 1;
	t->len = len;
	t->owner = cnt;
	t->payload = len;
	if (!sh->txq.hold)
		udp_txq_flush(&sh->txq, &sh->stats.batch, forward_done, sh);
}

void media_input(struct anchor *an, struct media_sock *ms, const union sockaddr_u *from,
		 const uint8_t *buf, size_t len)
{
	struct stream *st = ms->st;
	struct anchor_shard *sh = ms->sh;
	struct stream_side *ss = &st->side[ms->side], *o = &st->side[1 - ms->side];
	enum demux_kind kind = demux_classify(buf, len);
	struct side_counters *cnt;
	struct stun_msg sm;
	const uint8_t *in;
	int comp = ms->comp, oc, sent;
	uint64_t now = sh->now_ms;

	switch (kind) {
	case DEMUX_STUN:
		if (ss->ice && !ss->ice_passthrough) {
			struct ice_io io = {.ctx = ss, .send = ice_send};

			sh->stats.stun_handled++;
			ice_handle_stun(ss->ice, comp + 1, &from->sa, buf, len, now, &io);
			media_ice_schedule(st, ms->side);
			return;
		}
		/* force-relay: end to end; a request is not authenticated here, never latched on */
		if (!stun_passable(&sm, buf, len)) {
			sh->stats.stun_no_fingerprint++;
			return;
		}
		if (sm.method == STUN_BINDING && sm.cls == STUN_REQUEST)
			stun_txn_add(an, ss, comp, &sm, from);
		else if (sm.method == STUN_BINDING &&
			 (sm.cls == STUN_SUCCESS || sm.cls == STUN_ERROR) &&
			 stun_txn_answer(an, st, ms->side, &sm, buf, len))
			return;
		break;
	case DEMUX_DROP:
	case DEMUX_TURN_CHANNEL:
		sh->stats.dropped_malformed++;
		return;
	default:
		break;
	}

	if (ss->ice && !ss->ice_passthrough) {
		/* the selected pair's remote: one compare; another valid pair's: a scan */
		if (!(ss->has_ice_src[comp] && addr_equal(&ss->ice_src[comp].sa, &from->sa)) &&
		    !ice_source_ok(ss->ice, comp + 1, &from->sa)) {
			sh->stats.dropped_unauthenticated++;
			return;
		}
	} else if (kind != DEMUX_STUN && !side_latch(an, st, ms->side, comp, from, buf, len)) {
		return;
	}

	cnt = (kind == DEMUX_RTCP || comp == 1) ? &ss->rtcp : &ss->rtp;
	cnt->packets++;
	cnt->bytes += len;
	cnt->last_packet_ms = sh->wall_ms;
	st->call->last_media_ms = now;

	/* SRTP bridging: DTLS consumed, packets decrypted and encrypted (bridge.c) */
	in = buf;
	if (!bridge_packet(an, st, ms->side, comp, kind, buf, len, &buf, &len))
		return;
	oc = (kind == DEMUX_RTCP || comp == 1) && !o->mux ? 1 : 0;
	if (oc >= o->nsocks)
		oc = 0;
	if (o->dest[oc].kind == SIDE_DEST_NONE || o->dest[oc].kind == SIDE_DEST_REFUSED) {
		if (o->dest[oc].kind == SIDE_DEST_REFUSED)
			sh->stats.dropped_policy++;
		cnt->errors++;
		sh->stats.dropped_no_destination++;
		return;
	}
	/*
	 * Unchanged (not bridged: a bridged packet is in crypt_buf, reused by
	 * the next) and to a destination judged once: queued with the batch.
	 */
	if (buf == in && !o->dest[oc].to.own) {
		forward_queue(sh, o->socks[oc].fd, &o->dest[oc].to.addr, buf, len, cnt);
		return;
	}
	sent = media_send(&o->socks[oc], &o->dest[oc].to, buf, len);
	forward_count(sh, cnt, len, sent);
}

/*
 * Reads what arrived on one socket, with the lock held. What it forwards
 * is queued (the payloads stay in rx) and sent together at the end
 * (udp_batch.h): nothing in the batch closes a socket or ends a call.
 */
static void media_read(struct anchor_shard *sh, struct media_sock *ms)
{
	int n;

	for (int i = 0; i < ANCHOR_RX_BATCH; i++) {
		sh->rx_msgs[i].msg_hdr.msg_namelen = sizeof(sh->rx_from[i]);
		sh->rx_msgs[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(ms->fd, sh->rx_msgs, ANCHOR_RX_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	sh->stats.batch.recv_calls++;
	sh->stats.batch.recv_dgrams += (uint64_t)n;
	sh->txq.hold = true;
	for (int i = 0; i < n; i++) {
		if (sh->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			sh->stats.dropped_malformed++;
			continue;
		}
		/* media sockets are IPv6-only or IPv4: no mapped addresses to unmap */
		media_input(sh->an, ms, &sh->rx_from[i], sh->rx + (size_t)i * ANCHOR_RX_BUF,
			    sh->rx_msgs[i].msg_len);
	}
	udp_txq_flush(&sh->txq, &sh->stats.batch, forward_done, sh);
	sh->txq.hold = false;
}

/*
 * A shard's thread (anchor_thread()): it blocks in epoll_wait() on its own
 * media set, so that a wake-up costs one epoll_wait() and no pass through
 * libevent's dispatch. One batch of readable sockets per turn, under the
 * shard's lock (level-triggered: the rest come on the next turn, so control
 * gets the lock between batches). The shard's event_base (ICE and DTLS
 * timers, the once-a-second tick, offload requests from the workers) runs
 * without blocking every ANCHOR_EVENTS_MS while one of its calls has an ICE
 * agent or a DTLS handshake (a timer fires at most that late), every
 * ANCHOR_EVENTS_IDLE_MS otherwise (as often as the DTLS tick woke it), and
 * at once when sh->wake_fd (in the same set, data.ptr NULL) is written:
 * by anchor_shard_wake().
 */
bool media_poll(struct anchor_shard *sh, int wait_ms, uint64_t *now, int *events_ms)
{
	struct epoll_event ready[ANCHOR_POLL_BATCH];
	bool wake = false;
	int n;

	n = epoll_wait(sh->media_epfd, ready, ANCHOR_POLL_BATCH, wait_ms);
	pthread_mutex_lock(&sh->lock);
	anchor_shard_clock(sh);
	*now = sh->now_ms;
	*events_ms = sh->ice_timers || sh->dtls_handshakes ? ANCHOR_EVENTS_MS : ANCHOR_EVENTS_IDLE_MS;
	for (int i = 0; i < n; i++) {
		if (ready[i].data.ptr)
			media_read(sh, ready[i].data.ptr);
		else
			wake = true;
	}
	pthread_mutex_unlock(&sh->lock);
	if (wake) {
		uint64_t v;

		if (read(sh->wake_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			log_warn("anchor: media thread wake-up: %s", strerror(errno));
	}
	return wake;
}

void media_loop(struct anchor_shard *sh)
{
	uint64_t now = 0, events_due = 0;
	int events_ms = ANCHOR_EVENTS_MS;

	while (!__atomic_load_n(&sh->stopping, __ATOMIC_ACQUIRE)) {
		bool wake = media_poll(sh, now < events_due ? (int)(events_due - now) : 0, &now,
				       &events_ms);

		if (wake || now >= events_due) {
			event_base_loop(sh->base, EVLOOP_NONBLOCK);
			events_due = now + (uint64_t)events_ms;
		} else if (events_due > now + (uint64_t)events_ms) {
			events_due = now + (uint64_t)events_ms; /* an ICE agent or handshake began */
		}
	}
}

/* From any thread: the shard's loop runs its event_base now (media_loop()). */
void anchor_shard_wake(struct anchor_shard *sh)
{
	uint64_t one = 1;

	if (write(sh->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_warn("anchor: cannot wake a media thread: %s", strerror(errno));
}

int media_poll_open(struct anchor_shard *sh)
{
	struct epoll_event e = {.events = EPOLLIN, .data.ptr = NULL};

	sh->media_epfd = epoll_create1(EPOLL_CLOEXEC);
	sh->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (sh->media_epfd < 0 || sh->wake_fd < 0 ||
	    epoll_ctl(sh->media_epfd, EPOLL_CTL_ADD, sh->wake_fd, &e) < 0)
		return -1;
	return 0;
}

void media_poll_close(struct anchor_shard *sh)
{
	if (sh->media_epfd >= 0)
		close(sh->media_epfd);
	if (sh->wake_fd >= 0)
		close(sh->wake_fd);
	sh->media_epfd = sh->wake_fd = -1;
}
