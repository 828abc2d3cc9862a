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
 * Threads: each media thread has its own handle, for its calls' streams.
 * media_stream_sync() may run on a TURN worker (anchor_deliver(), a joined
 * leg latching) or the control thread, under the stream's media thread
 * lock: the stream is flagged there and its media thread syncs it
 * (offload_ev).
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
#include <stdlib.h>
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
	return 0;
}

/* Each media thread has its own engine handle (one netlink socket per thread). */
int anchor_offload_shard_open(struct anchor_shard *sh)
{
	sh->engine = relay_engine_thread_open(&sh->an->relay->engine, "anchor");
	if (!sh->engine)
		return -1;
	sh->offload_ev = event_new(sh->base, -1, 0, offload_run_pending, sh);
	return sh->offload_ev ? 0 : -1;
}

void anchor_offload_shard_close(struct anchor_shard *sh)
{
	if (sh->offload_ev)
		event_free(sh->offload_ev);
	sh->offload_ev = NULL;
	/* closing the socket flushes whatever is left */
	if (sh->engine)
		relay_engine_thread_close(sh->engine);
	sh->engine = NULL;
}

static void offload_count(void *owner, const struct relay_engine_counts *d, void *arg);

/* The entry component c of st should have now; false: it stays in userspace. */
static bool offload_want(const struct stream *st, int c, struct relay_entry *e)
{
	bool pass_rtcp = relay_engine_has(st->sh->engine, TURNRELAY_FEATURE_PASS_RTCP);

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
static void offload_drop(struct stream_offload *o)
{
	if (!o->id)
		return;
	relay_engine_del(o->st->sh->engine, o->id, offload_count, o->st->sh);
	o->id = 0;
}

/*
 * The entries live only while one is in the kernel: a stream forwarded in
 * userspace (most of them, with no module loaded) carries none.
 */
static void offload_release(struct stream *st)
{
	if (st->kernel && !st->kernel[0].id && !st->kernel[1].id) {
		free(st->kernel);
		st->kernel = NULL;
	}
}

static void offload_apply(struct anchor *an, struct stream *st)
{
	struct anchor_shard *sh = st->sh;

	st->offload_pending = false;
	for (int c = 0; c < 2; c++) {
		struct stream_offload *o = st->kernel ? &st->kernel[c] : NULL;
		struct relay_entry e;
		bool want = relay_engine_active(sh->engine) && offload_want(st, c, &e);
		int ret;

		if (o && o->id && want && offload_same(o, &e))
			continue;
		if (o)
			offload_drop(o);
		if (!want)
			continue;
		if (!o) {
			/* no memory: the stream stays in userspace, counted */
			if (!(st->kernel = calloc(2, sizeof(*st->kernel)))) {
				sh->stats.offload_nomem++;
				break;
			}
			o = &st->kernel[c];
		}
		o->st = st;
		o->comp = (uint8_t)c;
		ret = relay_engine_add(sh->engine, &e, o, &o->id);
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
	offload_release(st);
}

void anchor_offload_stream(struct anchor *an, struct stream *st)
{
	struct anchor_shard *sh = st->sh;

	if (!relay_engine_active(sh->engine) && !st->kernel)
		return;
	/* the shard's thread, or with it stopped or never started (tests, shutdown) */
	if (anchor_shard_owner(sh)) {
		offload_apply(an, st);
		return;
	}
	st->offload_pending = true;
	if (!sh->offload_pending) {
		sh->offload_pending = true;
		event_active(sh->offload_ev, 0, 0);
		anchor_shard_wake(sh); /* its loop runs the event now (media_loop()) */
	}
}

void anchor_offload_stream_end(struct anchor *an, struct stream *st)
{
	(void)an;
	if (st->kernel) {
		offload_drop(&st->kernel[0]);
		offload_drop(&st->kernel[1]);
		offload_release(st);
	}
	st->offload_pending = false;
}

bool anchor_offload_kernelized(const struct stream *st, int c)
{
	return (st->kernel && st->kernel[c].id != 0) || st->joined[c];
}

/* Every stream of every call of the shard, with fn. */
static void offload_each(struct anchor_shard *sh, void (*fn)(struct anchor *, struct stream *))
{
	for (struct call *c = sh->calls; c; c = c->snext)
		for (unsigned int s = 0; s < c->nstreams; s++)
			fn(sh->an, c->streams[s]);
}

static void offload_apply_pending(struct anchor *an, struct stream *st)
{
	if (st->offload_pending)
		offload_apply(an, st);
}

/* The shard's thread, for streams another thread flagged (anchor_offload_stream()). */
static void offload_run_pending(evutil_socket_t fd, short what, void *arg)
{
	struct anchor_shard *sh = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&sh->lock);
	if (sh->offload_pending) {
		sh->offload_pending = false;
		offload_each(sh, offload_apply_pending);
	}
	pthread_mutex_unlock(&sh->lock);
}

/* The module went away: every stream is forwarded in userspace again. */
static void offload_forget(struct anchor *an, struct stream *st)
{
	(void)an;
	free(st->kernel);
	st->kernel = NULL;
}

/*
 * Leg k took datagrams from side k's party: they count as received from it,
 * as media_input() counts them, and as relayed in the kernel; the last one
 * is the call's last media (anchor-timeout), on the monotonic clock.
 */
static void offload_count(void *owner, const struct relay_engine_counts *d, void *arg)
{
	struct stream_offload *o = owner;
	struct anchor_shard *sh = arg;
	struct stream *st = o->st;
	uint64_t now = sh->now_ms; /* the tick's (anchor_shard_clock() before the poll) */

	for (int k = 0; k < 2; k++) {
		struct side_counters *cnt = o->comp ? &st->side[k].rtcp : &st->side[k].rtp;
		uint64_t seen = d->last_seen_ns[k] / 1000000;

		cnt->packets += d->packets[k];
		cnt->bytes += d->bytes[k];
		sh->stats.packets_kernel += d->packets[k];
		sh->stats.bytes_kernel += d->bytes[k];
		if (!d->last_seen_ns[k])
			continue;
		if (seen > now)
			seen = now; /* the coarse clock lags the module's: never later than now */
		if (seen > st->call->last_media_ms)
			st->call->last_media_ms = seen;
		if (d->packets[k])
			cnt->last_packet_ms = sh->wall_ms - (sh->now_ms > seen ? sh->now_ms - seen : 0);
	}
}

void anchor_offload_poll(struct anchor_shard *sh)
{
	if (!relay_engine_active(sh->engine))
		return;
	relay_engine_poll(sh->engine, offload_count, sh);
	if (!relay_engine_active(sh->engine))
		offload_each(sh, offload_forget);
}

/* The live media socket at to, or NULL; sh's lock held. */
static struct media_sock *offload_sock_at(struct anchor_shard *sh, const struct sockaddr *to)
{
	struct media_sock *ms = media_find_port(sh, addr_port(to));

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
	struct anchor_shard *sh = anchor_port_shard(ctx, addr_port(to));
	struct media_sock *ms;
	bool ok;

	pthread_mutex_lock(&sh->lock);
	ms = offload_sock_at(sh, to);
	ok = ms && offload_join_leg(ms, from, out);
	pthread_mutex_unlock(&sh->lock);
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
	struct anchor_shard *sh = anchor_port_shard(ctx, addr_port(to));
	struct media_sock *ms;

	(void)from;
	pthread_mutex_lock(&sh->lock);
	anchor_shard_clock(sh);
	ms = offload_sock_at(sh, to);
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
				cnt->last_packet_ms = sh->wall_ms;
			sh->stats.packets_kernel += d->packets[k];
			sh->stats.bytes_kernel += d->bytes[k];
		}
		if (d->last_seen_ms > st->call->last_media_ms)
			st->call->last_media_ms =
			    d->last_seen_ms < sh->now_ms ? d->last_seen_ms : sh->now_ms;
	}
	pthread_mutex_unlock(&sh->lock);
}
