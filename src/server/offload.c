/*
 * offload.c - TURN channels in the kernel (relay/relay_engine.h): a channel
 * of a UDP client on a UDP listener, with a live permission for its peer,
 * gets one two-leg entry, {listening address, client, channel} +
 * {relayed address, peer}, so that its ChannelData and the peer's
 * datagrams no longer cross userspace.
 *
 * The lifetimes stay those of RFC 8656: refreshes (ChannelBind §12.2,
 * CreatePermission §9) still arrive as STUN in userspace, and an entry
 * leaves the kernel when its channel (§12) or its peer's permission (§9)
 * expires, by a timer per allocation set to the earliest of them, not by
 * watching data. It leaves as well when the allocation ends (Refresh 0,
 * expiry, shutdown) and when a channel slot is given to another binding.
 *
 * Not offloaded: allocations with a max-bps rate (bandwidth.h: the module
 * cannot hold them to it), TCP clients and TCP relays, Send and Data indications
 * (never channels), a peer that is one of this server's own live ports (the
 * registry delivers those in process), IPv4-mapped addresses. Whatever the
 * kernel leaves alone reaches the worker as before.
 *
 * Except one: a channel toward a port of the anchor whose stream is
 * confirmed with this relay address as that side's party is joined, one
 * entry {listening address, client, channel} + {the anchor's other socket,
 * its party} (relay_ports_join(), asked again every
 * OFFLOAD_JOIN_RECHECK_MS while the channel lives, so the entry follows
 * the anchor leg and leaves when it is no longer confirmed); its counters
 * go to the anchor too (relay_ports_joined()), whose call then does not
 * time out.
 *
 * Counters: once a second each worker dumps its entries and adds what the
 * kernel forwarded to the allocations and to its statistics; an entry's
 * last share since then comes with its removal.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/server.h"

#define OFFLOAD_POLL_MS 1000
/* how soon a channel toward an anchor port is checked again against its anchor leg */
#define OFFLOAD_JOIN_RECHECK_MS 1000

/* A joined channel's share goes to its anchor leg too (last media, the call's counters). */
static void offload_count_joined(const struct allocation *a, const struct relay_engine_counts *d)
{
	const struct relay_sock *relay;
	struct relay_join_counts jc;

	for (int i = 0; i < a->nchans; i++) {
		const struct channel *c = &a->chans[i];

		if (c->offload_id != d->id || !c->joined)
			continue;
		relay = alloc_relay_for(a, c->peer.sa.sa_family);
		if (!relay)
			return;
		jc.event = RELAY_JOIN_COUNTS;
		for (int k = 0; k < 2; k++) {
			jc.packets[k] = d->packets[k];
			jc.bytes[k] = d->bytes[k];
		}
		jc.bytes[0] -= d->packets[0] * TURNRELAY_CHANNELDATA_HDR_LEN;
		jc.last_seen_ms = (d->last_seen_ns[0] > d->last_seen_ns[1] ? d->last_seen_ns[0]
									    : d->last_seen_ns[1]) /
				  1000000;
		relay_ports_joined(&a->w->srv->relay.ports, &c->peer.sa, &relay->local.sa, &jc);
		return;
	}
}

static void offload_count(void *owner, const struct relay_engine_counts *d, void *arg)
{
	struct allocation *a = owner;
	struct worker *w = arg;

	/*
	 * leg 1 takes the client's ChannelData, leg 2 the peer's datagrams;
	 * bytes are data as userspace counts them, without the 4-byte header
	 */
	for (int k = 0; k < 2; k++) {
		a->kernel_pkts[k] += d->packets[k];
		a->kernel_bytes[k] += d->bytes[k];
	}
	a->kernel_bytes[0] -= d->packets[0] * TURNRELAY_CHANNELDATA_HDR_LEN;
	w->stats.kernel_to_peer += d->packets[0];
	w->stats.kernel_to_client += d->packets[1];
	w->stats.kernel_bytes_to_peer += d->bytes[0] - d->packets[0] * TURNRELAY_CHANNELDATA_HDR_LEN;
	w->stats.kernel_bytes_to_client += d->bytes[1];
	offload_count_joined(a, d);
}

void offload_worker_poll(struct worker *w)
{
	relay_engine_poll(w->engine, offload_count, w);
	w->stats.kernel_entries = relay_engine_count(w->engine);
}

static void offload_poll(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	offload_worker_poll(arg);
}

int offload_worker_init(struct worker *w)
{
	struct timeval tv = {.tv_sec = OFFLOAD_POLL_MS / 1000,
			     .tv_usec = (OFFLOAD_POLL_MS % 1000) * 1000};
	char who[32];

	snprintf(who, sizeof(who), "worker %d", w->id);
	w->engine = relay_engine_thread_open(&w->srv->relay.engine, who);
	if (!w->engine)
		return -1;
	if (!relay_engine_active(w->engine))
		return 0;
	w->engine_ev = event_new(w->base, -1, EV_PERSIST, offload_poll, w);
	if (!w->engine_ev || event_add(w->engine_ev, &tv) < 0)
		return -1;
	return 0;
}

/* After the allocations are freed: closing the socket flushes the rest. */
void offload_worker_free(struct worker *w)
{
	if (w->engine_ev)
		event_free(w->engine_ev);
	w->engine_ev = NULL;
	relay_engine_thread_close(w->engine);
	w->engine = NULL;
}

/*
 * A channel whose peer is a port of an owner that joins (the anchor): one
 * entry from the client straight to the owner's other leg
 * (relay_ports_join()), while the owner has one; *j what it was made of.
 */
static bool offload_joined_entry(const struct allocation *a, const struct channel *c,
				 const struct relay_sock *relay, struct relay_entry *e,
				 struct relay_join *j)
{
	if (!relay_ports_join(&a->w->srv->relay.ports, &c->peer.sa, &relay->local.sa, j))
		return false;
	memcpy(&e->leg[1].local, &j->local, sizeof(e->leg[1].local));
	memcpy(&e->leg[1].remote, &j->remote, sizeof(e->leg[1].remote));
	/* the anchor's party's STUN (consent) and DTLS go to the anchor */
	e->leg[1].flags = 0;
	return true;
}

/* The entry of channel c, or false when it stays in userspace; *joined: to an anchor leg. */
static bool offload_entry(const struct allocation *a, const struct channel *c,
			  struct relay_entry *e, bool *joined, struct relay_join *j)
{
	const struct relay_sock *relay = alloc_relay_for(a, c->peer.sa.sa_family);

	memset(e, 0, sizeof(*e));
	/* the module cannot hold a channel to max-bps: a capped allocation stays here */
	if (!a->lsn || a->tcp_relay || !relay || a->bps)
		return false;
	if (!relay_engine_addr_ok(&a->lsn->local.sa) || !relay_engine_addr_ok(&a->client.sa) ||
	    !relay_engine_addr_ok(&relay->local.sa) || !relay_engine_addr_ok(&c->peer.sa))
		return false;
	memcpy(&e->leg[0].local, &a->lsn->local, addr_len(&a->lsn->local.sa));
	memcpy(&e->leg[0].remote, &a->client, addr_len(&a->client.sa));
	e->leg[0].channel = c->number;
	/*
	 * TURN to TURN or to the anchor on this server: delivered in process,
	 * and a peer on a relay address is judged again per packet (turn.c);
	 * only a confirmed anchor leg is joined in the kernel
	 */
	*joined = relay_ports_has_addr(&a->w->srv->relay.ports, &c->peer.sa);
	if (*joined)
		return offload_joined_entry(a, c, relay, e, j);
	if (relay_own_socket(&a->w->srv->relay, &c->peer.sa))
		return false;
	memcpy(&e->leg[1].local, &relay->local, addr_len(&relay->local.sa));
	memcpy(&e->leg[1].remote, &c->peer, addr_len(&c->peer.sa));
	/*
	 * A peer's datagrams are data whatever their first byte (§11: a STUN
	 * check from the peer goes to the client too); the client's STUN to
	 * the listening address stays with userspace
	 */
	e->leg[1].flags = TURNRELAY_LEG_F_FORWARD_STUN | TURNRELAY_LEG_F_FORWARD_DTLS;
	return true;
}

/* Tells the anchor that c's joined entry is in the kernel now, or has left it. */
static void offload_join_event(const struct allocation *a, const struct channel *c,
			       enum relay_join_event ev)
{
	const struct relay_sock *relay = alloc_relay_for(a, c->peer.sa.sa_family);
	struct relay_join_counts jc = {.event = ev};

	if (relay)
		relay_ports_joined(&a->w->srv->relay.ports, &c->peer.sa, &relay->local.sa, &jc);
}

/*
 * Installs c's entry when it has one; a joined one that no longer matches
 * its anchor leg is removed first. True when c is (or may become) joined:
 * it is checked again within OFFLOAD_JOIN_RECHECK_MS.
 */
static bool offload_install(struct allocation *a, struct channel *c)
{
	struct worker *w = a->w;
	struct relay_entry e;
	struct relay_join j;
	char buf[ADDR_STRLEN];
	bool joined = false, want;
	int ret;

	want = offload_entry(a, c, &e, &joined, &j);
	if (c->offload_id && c->joined &&
	    (!want || memcmp(&j, &c->join, sizeof(j)) != 0))
		offload_channel_drop(a, c);
	if (!want || c->offload_id)
		return joined;
	ret = relay_engine_add(w->engine, &e, a, &c->offload_id);
	c->joined = joined && ret == 0;
	if (c->joined) {
		c->join = j;
		offload_join_event(a, c, RELAY_JOIN_UP);
	}
	if (ret < 0 && ret != -ENODEV && worker_log_ok(w))
		log_warn("kernel offload: channel 0x%04x of %s stays in userspace: %s", c->number,
			 addr_str(&a->client.sa, buf, sizeof(buf)), strerror(-ret));
	return joined;
}

/*
 * What the entry forwarded since the last poll reaches the allocation (and
 * a joined one's anchor leg) before it goes.
 */
void offload_channel_drop(struct allocation *a, struct channel *c)
{
	if (!c->offload_id)
		return;
	relay_engine_del(a->w->engine, c->offload_id, offload_count, a->w);
	c->offload_id = 0;
	if (c->joined)
		offload_join_event(a, c, RELAY_JOIN_DOWN);
	c->joined = false;
}

static void offload_expiry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	offload_sync(arg, clock_ms());
}

/* The allocation's timer at the first expiry of an installed entry's channel or permission. */
static void offload_arm(struct allocation *a, uint64_t next, uint64_t now)
{
	uint64_t ms = next > now ? next - now : 1;
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (suseconds_t)(ms % 1000) * 1000};

	if (!a->offload_ev)
		a->offload_ev = evtimer_new(a->w->base, offload_expiry, a);
	/* without a timer the entries would outlive their lifetimes: remove them */
	if (!a->offload_ev || evtimer_add(a->offload_ev, &tv) < 0) {
		for (int i = 0; i < a->nchans; i++)
			offload_channel_drop(a, &a->chans[i]);
	}
}

void offload_sync(struct allocation *a, uint64_t now)
{
	uint64_t next = UINT64_MAX;
	bool active = relay_engine_active(a->w->engine);

	for (int i = 0; i < a->nchans; i++) {
		struct channel *c = &a->chans[i];
		struct permission *p = NULL;

		/* RFC 8656 §12: data flows on a bound channel only with a permission */
		if (active && c->expires_ms > now)
			p = alloc_find_perm(a, &c->peer.sa, now);
		if (!p) {
			offload_channel_drop(a, c);
			continue;
		}
		if (offload_install(a, c))
			next = now + OFFLOAD_JOIN_RECHECK_MS < next ? now + OFFLOAD_JOIN_RECHECK_MS
								     : next;
		if (c->offload_id) {
			next = c->expires_ms < next ? c->expires_ms : next;
			next = p->expires_ms < next ? p->expires_ms : next;
		}
	}
	if (next != UINT64_MAX)
		offload_arm(a, next, now);
	else if (a->offload_ev)
		evtimer_del(a->offload_ev);
}

void offload_alloc_end(struct allocation *a)
{
	for (int i = 0; i < a->nchans; i++)
		offload_channel_drop(a, &a->chans[i]);
	if (a->offload_ev)
		event_free(a->offload_ev);
	a->offload_ev = NULL;
}
