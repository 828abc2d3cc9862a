/*
 * offload.c - anchored streams in the kernel (relay/relay_engine.h): a
 * confirmed stream (both sides' RTP to a nominated ICE pair whose consent
 * holds, or to a latched source: media_stream_sync() in media.c) gets one
 * two-leg entry per component, {side 0's socket, side 0's party} +
 * {side 1's socket, side 1's party}, so that its media no longer crosses
 * userspace. The party's confirmed destination is also where its media
 * comes from, so it is the leg's REMOTE and no DEST is needed.
 *
 * The legs carry no FORWARD_STUN/DTLS flag: ICE checks and consent
 * freshness (RFC 7675) still reach the anchor's agents, force-relay STUN
 * still passes end to end through userspace, and DTLS (RFC 5764 handshakes
 * and alerts) is forwarded by media_input() as before; only RTP and RTCP
 * stay in the kernel. Media from another source (a new latch, another ICE
 * pair) matches no leg and reaches userspace, which moves the destination
 * and so the entry.
 *
 * An entry leaves the kernel whenever the stream stops being confirmed
 * (consent loss, ICE restart, a re-offer or forked answer that moves a
 * party, delete, timeout), when a destination moves, and when a side
 * closes. Not offloaded: a party on one of this server's own addresses (a
 * TURN allocation joined to the call: delivered in process, or joined in
 * the kernel by the worker, below).
 *
 * rtcp-mux (RFC 5761): RTCP that arrives on an RTP port goes to the other
 * side's RTCP port when that side does not multiplex, which the entry's
 * leg does not know. So the RTP entry's leg of a side whose other side does
 * not multiplex carries TURNRELAY_LEG_F_PASS_RTCP: its RTP stays in the
 * kernel and its RTCP reaches media_input(), which sends it to that RTCP
 * port. The RTCP entry (both sides without rtcp-mux) joins the two RTCP
 * ports; a side without rtcp-mux toward one with it keeps its RTCP socket
 * in userspace (media_input() sends it to the other's RTP port, which the
 * RTP entry's leg already takes). A module without TURNRELAY_FEATURE_PASS_RTCP
 * gets no entry for a stream whose sides disagree on rtcp-mux.
 *
 * Threads: the handle is the anchor thread's. media_stream_sync() may run
 * on a TURN worker (anchor_deliver(), a joined leg latching), under the
 * anchor's lock: the stream is flagged there and the anchor thread syncs
 * it (offload_ev).
 *
 * Counters: once a second (the anchor's tick) the entries are dumped; what
 * the kernel forwarded counts as received from the party whose leg took it
 * (the stream's stats, "last packet"), as relayed in the kernel
 * (statistics' *_kernel), and its last-seen time is the call's last media
 * for anchor-timeout. An entry's share since the last dump comes with its
 * removal (relay_engine_del()). A joined TURN channel's counters come from
 * its worker (anchor_joined()), with its installation and removal, which
 * flag the stream's component as forwarded in the kernel (joined[]).
 */
#include <errno.h>
#include <event2/event.h>
#include <string.h>

#include "anchor/anchor_internal.h"
#include "common/addr.h"
#include "common/log.h"

static void offload_run_pending(evutil_socket_t fd, short what, void *arg);

static bool anchor_join(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			struct relay_join *out);
static void anchor_joined(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			  const struct relay_join_counts *d);

int anchor_offload_open(struct anchor *an)
{
	/* TURN channels toward the anchor's ports may be joined in the kernel (by the worker) */
	relay_ports_set_join(&an->relay->ports, an->owner, anchor_join, anchor_joined);
	an->engine = relay_engine_thread_open(&an->relay->engine, "anchor");
	if (!an->engine)
		return -1;
	an->offload_ev = event_new(an->base, -1, 0, offload_run_pending, an);
	return an->offload_ev ? 0 : -1;
}

void anchor_offload_close(struct anchor *an)
{
	if (an->offload_ev)
		event_free(an->offload_ev);
	an->offload_ev = NULL;
	/* closing the socket flushes whatever is left */
	relay_engine_thread_close(an->engine);
	an->engine = NULL;
}

static void offload_count(void *owner, const struct relay_engine_counts *d, void *arg);

/* The entry component c of st should have now; false: it stays in userspace. */
static bool offload_want(const struct anchor *an, const struct stream *st, int c,
			 struct relay_entry *e)
{
	bool pass_rtcp = relay_engine_has(an->engine, TURNRELAY_FEATURE_PASS_RTCP);

	memset(e, 0, sizeof(*e));
	/* the module does not do SRTP: a bridged stream stays in userspace */
	if (!st->confirmed || bridge_stream_active(st))
		return false;
	/* RTCP on a side's RTP port for the other side's RTCP port: userspace's (above) */
	if (st->side[0].mux != st->side[1].mux && (c != 0 || !pass_rtcp))
		return false;
	for (int k = 0; k < 2; k++) {
		const struct stream_side *ss = &st->side[k];
		const union sockaddr_u *local = &ss->socks[c].local, *remote = &ss->dest[c].to.addr;

		if (c >= ss->nsocks || ss->socks[c].fd < 0 || !media_dest_confirmed(&ss->dest[c]) ||
		    ss->dest[c].to.own || local->sa.sa_family != remote->sa.sa_family ||
		    !relay_engine_addr_ok(&local->sa) || !relay_engine_addr_ok(&remote->sa))
			return false;
		memcpy(&e->leg[k].local, local, addr_len(&local->sa));
		memcpy(&e->leg[k].remote, remote, addr_len(&remote->sa));
		if (c == 0 && !st->side[1 - k].mux && pass_rtcp)
			e->leg[k].flags = TURNRELAY_LEG_F_PASS_RTCP;
	}
	return true;
}

static bool offload_same(const struct stream_offload *o, const struct relay_entry *e)
{
	for (int k = 0; k < 2; k++)
		if (!addr_equal(&o->local[k].sa, (const struct sockaddr *)&e->leg[k].local) ||
		    !addr_equal(&o->remote[k].sa, (const struct sockaddr *)&e->leg[k].remote) ||
		    o->flags[k] != e->leg[k].flags)
			return false;
	return true;
}

/* What the entry forwarded since the last poll is counted before it goes. */
static void offload_drop(struct anchor *an, struct stream_offload *o)
{
	if (!o->id)
		return;
	relay_engine_del(an->engine, o->id, offload_count, an);
	o->id = 0;
}

static void offload_apply(struct anchor *an, struct stream *st)
{
	st->offload_pending = false;
	for (int c = 0; c < 2; c++) {
		struct stream_offload *o = &st->kernel[c];
		struct relay_entry e;
		bool want = relay_engine_active(an->engine) && offload_want(an, st, c, &e);
		int ret;

		if (o->id && want && offload_same(o, &e))
			continue;
		offload_drop(an, o);
		if (!want)
			continue;
		o->st = st;
		o->comp = (uint8_t)c;
		ret = relay_engine_add(an->engine, &e, o, &o->id);
		if (ret < 0) {
			if (ret != -ENODEV && anchor_log_ok(an))
				log_warn("kernel offload: call %s stream %u %s stays in userspace: %s",
					 st->call->call_id, st->index + 1, c ? "RTCP" : "RTP",
					 strerror(-ret));
			continue;
		}
		for (int k = 0; k < 2; k++) {
			memcpy(&o->local[k], &e.leg[k].local, sizeof(o->local[k]));
			memcpy(&o->remote[k], &e.leg[k].remote, sizeof(o->remote[k]));
			o->flags[k] = e.leg[k].flags;
		}
	}
}

/* On the anchor thread, or with it stopped or never started (tests, shutdown)? */
static bool offload_on_owner(const struct anchor *an)
{
	return !an->started || pthread_equal(pthread_self(), an->thread);
}

void anchor_offload_stream(struct anchor *an, struct stream *st)
{
	if (!relay_engine_active(an->engine) && !st->kernel[0].id && !st->kernel[1].id)
		return;
	if (offload_on_owner(an)) {
		offload_apply(an, st);
		return;
	}
	st->offload_pending = true;
	if (!an->offload_pending) {
		an->offload_pending = true;
		event_active(an->offload_ev, 0, 0);
	}
}

void anchor_offload_stream_end(struct anchor *an, struct stream *st)
{
	offload_drop(an, &st->kernel[0]);
	offload_drop(an, &st->kernel[1]);
	st->offload_pending = false;
}

bool anchor_offload_kernelized(const struct stream *st, int c)
{
	return st->kernel[c].id != 0 || st->joined[c];
}

/* Every stream of every call, with fn. */
static void offload_each(struct anchor *an, void (*fn)(struct anchor *, struct stream *))
{
	for (uint32_t i = 0; i <= an->calls_mask; i++)
		for (struct call *c = an->calls[i]; c; c = c->hnext)
			for (unsigned int s = 0; s < c->nstreams; s++)
				fn(an, c->streams[s]);
}

static void offload_apply_pending(struct anchor *an, struct stream *st)
{
	if (st->offload_pending)
		offload_apply(an, st);
}

/* The anchor thread, for streams a worker flagged (anchor_offload_stream()). */
static void offload_run_pending(evutil_socket_t fd, short what, void *arg)
{
	struct anchor *an = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&an->lock);
	if (an->offload_pending) {
		an->offload_pending = false;
		offload_each(an, offload_apply_pending);
	}
	pthread_mutex_unlock(&an->lock);
}

/* The module went away: every stream is forwarded in userspace again. */
static void offload_forget(struct anchor *an, struct stream *st)
{
	(void)an;
	st->kernel[0].id = st->kernel[1].id = 0;
}

/*
 * Leg k took datagrams from side k's party: they count as received from it,
 * as media_input() counts them, and as relayed in the kernel; the last one
 * is the call's last media (anchor-timeout), on the monotonic clock.
 */
static void offload_count(void *owner, const struct relay_engine_counts *d, void *arg)
{
	struct stream_offload *o = owner;
	struct anchor *an = arg;
	struct stream *st = o->st;
	uint64_t now = an->now_ms; /* the tick's (anchor_clock() before the poll) */

	for (int k = 0; k < 2; k++) {
		struct side_counters *cnt = o->comp ? &st->side[k].rtcp : &st->side[k].rtp;
		uint64_t seen = d->last_seen_ns[k] / 1000000;

		cnt->packets += d->packets[k];
		cnt->bytes += d->bytes[k];
		an->stats.packets_kernel += d->packets[k];
		an->stats.bytes_kernel += d->bytes[k];
		if (!d->last_seen_ns[k])
			continue;
		if (seen > now)
			seen = now; /* the coarse clock lags the module's: never later than now */
		if (seen > st->call->last_media_ms)
			st->call->last_media_ms = seen;
		if (d->packets[k])
			cnt->last_packet_ms = an->wall_ms - (an->now_ms > seen ? an->now_ms - seen : 0);
	}
}

void anchor_offload_poll(struct anchor *an)
{
	if (!relay_engine_active(an->engine))
		return;
	relay_engine_poll(an->engine, offload_count, an);
	if (!relay_engine_active(an->engine))
		offload_each(an, offload_forget);
}

/* The live media socket at to, or NULL. */
static struct media_sock *offload_sock_at(struct anchor *an, const struct sockaddr *to)
{
	struct media_sock *ms = media_find_port(an, addr_port(to));

	return ms && ms->fd >= 0 && addr_ip_equal(&ms->local.sa, to) ? ms : NULL;
}

/*
 * The joined leg of ms's stream for its party from (a TURN relay socket of
 * this server): the stream confirmed with from as that side's confirmed
 * destination, and the other side's socket and confirmed party, which
 * take the place of the anchor's own entry.
 */
static bool offload_join_leg(const struct media_sock *ms, const struct sockaddr *from,
			     struct relay_join *out)
{
	const struct stream *st = ms->st;
	const struct stream_side *ss = &st->side[ms->side], *o = &st->side[1 - ms->side];
	const union sockaddr_u *local, *remote;
	int c = ms->comp;

	/*
	 * Nothing in the client's ChannelData may be for the anchor: no ICE
	 * agent (its checks and consent would go to the other party) and no
	 * force-relay STUN to follow
	 */
	if (ss->ice || ss->ice_passthrough)
		return false;
	/* the module does not do SRTP: a bridged stream's media stays with the anchor */
	if (bridge_stream_active(st))
		return false;
	if (!st->confirmed || ss->mux != o->mux || c >= o->nsocks || o->socks[c].fd < 0 ||
	    !media_dest_confirmed(&ss->dest[c]) || !ss->dest[c].to.own ||
	    !addr_equal(&ss->dest[c].to.addr.sa, from) || !media_dest_confirmed(&o->dest[c]) ||
	    o->dest[c].to.own)
		return false;
	local = &o->socks[c].local;
	remote = &o->dest[c].to.addr;
	if (local->sa.sa_family != remote->sa.sa_family || !relay_engine_addr_ok(&local->sa) ||
	    !relay_engine_addr_ok(&remote->sa))
		return false;
	memset(out, 0, sizeof(*out));
	memcpy(&out->local, local, addr_len(&local->sa));
	memcpy(&out->remote, remote, addr_len(&remote->sa));
	return true;
}

/* relay_join_fn of the anchor's ports (a TURN worker asks, under the lock). */
static bool anchor_join(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			struct relay_join *out)
{
	struct anchor *an = ctx;
	struct media_sock *ms;
	bool ok;

	pthread_mutex_lock(&an->lock);
	ms = offload_sock_at(an, to);
	ok = ms && offload_join_leg(ms, from, out);
	pthread_mutex_unlock(&an->lock);
	return ok;
}

/*
 * relay_joined_fn: a joined entry installed or removed flags the stream's
 * component (joined[]: "kernelized", media_kernel); what the kernel
 * forwarded on it counts as received from the two parties (the TURN
 * client's on the side it joined, the other party's on the other), as
 * relayed in the kernel, and as the call's last media.
 */
static void anchor_joined(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			  const struct relay_join_counts *d)
{
	struct anchor *an = ctx;
	struct media_sock *ms;

	(void)from;
	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	ms = offload_sock_at(an, to);
	if (ms && d->event != RELAY_JOIN_COUNTS) {
		ms->st->joined[ms->comp] = d->event == RELAY_JOIN_UP;
	} else if (ms) {
		struct stream *st = ms->st;

		for (int k = 0; k < 2; k++) {
			struct stream_side *ss = &st->side[k == 0 ? ms->side : 1 - ms->side];
			struct side_counters *cnt = ms->comp ? &ss->rtcp : &ss->rtp;

			cnt->packets += d->packets[k];
			cnt->bytes += d->bytes[k];
			if (d->packets[k])
				cnt->last_packet_ms = an->wall_ms;
			an->stats.packets_kernel += d->packets[k];
			an->stats.bytes_kernel += d->bytes[k];
		}
		if (d->last_seen_ms > st->call->last_media_ms)
			st->call->last_media_ms =
			    d->last_seen_ms < an->now_ms ? d->last_seen_ms : an->now_ms;
	}
	pthread_mutex_unlock(&an->lock);
}
