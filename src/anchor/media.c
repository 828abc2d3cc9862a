/*
 * media.c - the anchor's media sockets: ports from the relay range, ICE
 * toward each party, and forwarding between the two sides of a stream.
 *
 * A datagram on side k is sorted by its first byte (RFC 7983): STUN goes
 * to side k's ICE agent (or, with force-relay, end to end once its
 * FINGERPRINT checks out); everything else is media, accepted only from a
 * source ICE validated on that side or, without ICE, from the address the
 * party's media first came from (latching), and sent on unchanged from
 * side 1-k's socket of the same component to where side 1-k's party is:
 * its nominated (or first succeeded) ICE pair, its latched address, or the
 * address its SDP gave. Nothing is allocated or logged per packet.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "anchor/anchor_internal.h"
#include "anchor/demux.h"
#include "common/addr.h"
#include "common/log.h"

static struct media_sock **port_slot(struct anchor *an, uint16_t port)
{
	return &an->ports[port & an->ports_mask];
}

struct media_sock *media_find_port(struct anchor *an, uint16_t port)
{
	struct media_sock *ms = *port_slot(an, port);

	for (; ms; ms = ms->pnext)
		if (addr_port(&ms->local.sa) == port)
			return ms;
	return NULL;
}

static void port_remove(struct anchor *an, struct media_sock *ms)
{
	struct media_sock **pp = port_slot(an, addr_port(&ms->local.sa));

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

/*
 * Where the anchor may send media and checks: where a TURN relay may, i.e.
 * the peer policy plus this server's own relay ports (a browser's TURN
 * allocation on this server).
 */
bool media_dest_allowed(const struct anchor *an, const struct sockaddr *to)
{
	union sockaddr_u peer;
	socklen_t len = addr_len(to);

	if (!len)
		return false;
	memset(&peer, 0, sizeof(peer));
	memcpy(&peer, to, len);
	return turn_peer_verdict(an->srv, &peer) == PEER_ALLOWED;
}

static void media_readable(evutil_socket_t fd, short what, void *arg);

int media_side_open(struct anchor *an, struct stream *st, int side, int nsocks, int family)
{
	struct stream_side *ss = &st->side[side];
	const union sockaddr_u *local = family == AF_INET6 ? &an->local_v6 : &an->local_v4;
	int fds[2] = {-1, -1};

	ss->socks[0].fd = ss->socks[1].fd = -1;
	if (limits_anchor_take(an->srv, (unsigned int)nsocks) < 0)
		return -2;
	if (relay_port_bind(an->srv, local, false, nsocks == 2, nsocks == 2, false, &fds[0],
			    &fds[1]) < 0) {
		limits_anchor_release(an->srv, (unsigned int)nsocks);
		return -1;
	}
	for (int k = 0; k < nsocks; k++) {
		struct media_sock *ms = &ss->socks[k];
		socklen_t len = sizeof(ms->local);

		ms->fd = fds[k];
		ms->an = an;
		ms->st = st;
		ms->side = (uint8_t)side;
		ms->comp = (uint8_t)k;
		getsockname(ms->fd, &ms->local.sa, &len);
		ms->ev = event_new(an->base, ms->fd, EV_READ | EV_PERSIST, media_readable, ms);
		if (!ms->ev || event_add(ms->ev, NULL) < 0)
			goto fail;
		ms->pnext = *port_slot(an, addr_port(&ms->local.sa));
		*port_slot(an, addr_port(&ms->local.sa)) = ms;
		ss->nsocks = k + 1;
	}
	return 0;
fail:
	if (fds[0] >= 0 && ss->nsocks < 1)
		close(fds[0]);
	if (fds[1] >= 0 && ss->nsocks < 2)
		close(fds[1]);
	limits_anchor_release(an->srv, (unsigned int)(nsocks - ss->nsocks));
	media_side_close(an, ss);
	return -1;
}

void media_side_drop_rtcp(struct anchor *an, struct stream_side *ss)
{
	struct media_sock *ms = &ss->socks[1];

	if (ss->nsocks != 2)
		return;
	if (ss->ice)
		ice_set_components(ss->ice, 1);
	if (ms->ev)
		event_free(ms->ev);
	ms->ev = NULL;
	port_remove(an, ms);
	close(ms->fd);
	limits_anchor_release(an->srv, 1);
	ms->fd = -1;
	ss->nsocks = 1;
}

void media_side_stop_ice(struct stream_side *ss)
{
	if (ss->ice_timer)
		event_free(ss->ice_timer);
	ss->ice_timer = NULL;
	if (ss->ice)
		ice_agent_free(ss->ice);
	ss->ice = NULL;
}

void media_side_close(struct anchor *an, struct stream_side *ss)
{
	media_side_stop_ice(ss);
	for (int k = 0; k < ss->nsocks; k++) {
		struct media_sock *ms = &ss->socks[k];

		if (ms->ev)
			event_free(ms->ev);
		ms->ev = NULL;
		if (ms->fd >= 0) {
			port_remove(an, ms);
			close(ms->fd);
			limits_anchor_release(an->srv, 1);
		}
		ms->fd = -1;
	}
	ss->nsocks = 0;
}

static int ice_send(void *ctx, int component, const struct sockaddr *to, const uint8_t *buf,
		    size_t len)
{
	struct stream_side *ss = ctx;
	struct media_sock *ms;

	if (component < 1 || component > ss->nsocks)
		return -1;
	ms = &ss->socks[component - 1];
	return sendto(ms->fd, buf, len, 0, to, addr_len(to)) < 0 ? -1 : 0;
}

static void ice_timer_fired(evutil_socket_t fd, short what, void *arg)
{
	struct media_sock *ms = arg;
	struct anchor *an = ms->an;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	media_ice_schedule(ms->st, ms->side);
	pthread_mutex_unlock(&an->lock);
}

/* Runs the side's agent now and arms its timer for when it asks next. */
void media_ice_schedule(struct stream *st, int side)
{
	struct stream_side *ss = &st->side[side];
	struct ice_io io = {.ctx = ss, .send = ice_send};
	uint64_t now = server_now_ms(), next;

	if (!ss->ice)
		return;
	next = ice_tick(ss->ice, now, &io);
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
	ss->ice_timer = evtimer_new(an->base, ice_timer_fired, &ss->socks[0]);
	if (!ss->ice_timer) {
		media_side_stop_ice(ss);
		return -1;
	}
	return 0;
}

/* RFC 7675: a side whose consent expired gets no more media. */
void media_consent_check(struct anchor *an, uint64_t now_ms)
{
	for (uint32_t i = 0; i <= an->calls_mask; i++) {
		for (struct call *c = an->calls[i]; c; c = c->hnext) {
			for (unsigned int s = 0; s < c->nstreams; s++) {
				for (int k = 0; k < 2; k++) {
					struct stream_side *ss = &c->streams[s]->side[k];

					if (ss->ice && !ss->consent_lost &&
					    ice_consent_expired(ss->ice, now_ms))
						ss->consent_lost = true;
				}
			}
		}
	}
}

/* force-relay: STUN passed end to end, but only with a valid FINGERPRINT. */
static bool stun_passable(const uint8_t *buf, size_t len)
{
	struct stun_msg m;

	return stun_msg_parse(&m, buf, len) == STUN_PARSE_OK && stun_msg_check_fingerprint(&m);
}

/* Where side o's party gets component oc's media; NULL: nowhere yet. */
static const struct sockaddr *side_dest(const struct stream_side *o, int oc,
					struct sockaddr_storage *ice_to)
{
	if (o->latched[oc] && !o->ice)
		return &o->latch[oc].sa;
	if (o->ice && !o->ice_passthrough) {
		if (o->consent_lost || !ice_media_dest(o->ice, oc + 1, ice_to))
			return NULL;
		return (const struct sockaddr *)ice_to;
	}
	if (o->latched[oc])
		return &o->latch[oc].sa;
	if (o->has_sdp_dest)
		return &o->sdp_dest[oc].sa;
	return NULL;
}

void media_input(struct anchor *an, struct media_sock *ms, const union sockaddr_u *from,
		 const uint8_t *buf, size_t len)
{
	struct stream *st = ms->st;
	struct stream_side *ss = &st->side[ms->side], *o = &st->side[1 - ms->side];
	enum demux_kind kind = demux_classify(buf, len);
	struct side_counters *cnt;
	struct sockaddr_storage ice_to;
	const struct sockaddr *to;
	int comp = ms->comp, oc;
	uint64_t now = an->now_ms;

	switch (kind) {
	case DEMUX_STUN:
		if (ss->ice && !ss->ice_passthrough) {
			struct ice_io io = {.ctx = ss, .send = ice_send};

			an->stats.stun_handled++;
			ice_handle_stun(ss->ice, comp + 1, &from->sa, buf, len, now, &io);
			media_ice_schedule(st, ms->side);
			return;
		}
		if (!stun_passable(buf, len)) {
			an->stats.stun_no_fingerprint++;
			return;
		}
		break;
	case DEMUX_DROP:
	case DEMUX_TURN_CHANNEL:
		an->stats.dropped_malformed++;
		return;
	default:
		break;
	}

	if (ss->ice && !ss->ice_passthrough) {
		if (!ice_source_ok(ss->ice, comp + 1, &from->sa)) {
			an->stats.dropped_unauthenticated++;
			return;
		}
	} else if (!ss->latched[comp]) {
		ss->latch[comp] = *from;
		ss->latched[comp] = true;
	} else if (!addr_equal(&ss->latch[comp].sa, &from->sa)) {
		an->stats.dropped_unauthenticated++;
		return;
	}

	cnt = (kind == DEMUX_RTCP || comp == 1) ? &ss->rtcp : &ss->rtp;
	cnt->packets++;
	cnt->bytes += len;
	cnt->last_packet_ms = an->wall_ms;
	st->call->last_media_ms = now;

	oc = (kind == DEMUX_RTCP || comp == 1) && !o->mux ? 1 : 0;
	if (oc >= o->nsocks)
		oc = 0;
	if (o->nsocks == 0 || !(to = side_dest(o, oc, &ice_to))) {
		cnt->errors++;
		an->stats.dropped_no_destination++;
		return;
	}
	if (sendto(o->socks[oc].fd, buf, len, 0, to, addr_len(to)) < 0) {
		cnt->errors++;
		an->stats.errors_user++;
		return;
	}
	an->stats.packets_user++;
	an->stats.bytes_user += len;
}

static void media_readable(evutil_socket_t fd, short what, void *arg)
{
	struct media_sock *ms = arg;
	struct anchor *an = ms->an;
	int n;

	(void)what;
	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	for (int i = 0; i < ANCHOR_RX_BATCH; i++) {
		an->rx_msgs[i].msg_hdr.msg_namelen = sizeof(an->rx_from[i]);
		an->rx_msgs[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(fd, an->rx_msgs, ANCHOR_RX_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		if (an->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			an->stats.dropped_malformed++;
			continue;
		}
		/* media sockets are IPv6-only or IPv4: no mapped addresses to unmap */
		media_input(an, ms, &an->rx_from[i], an->rx + (size_t)i * ANCHOR_RX_BUF,
			    an->rx_msgs[i].msg_len);
	}
	pthread_mutex_unlock(&an->lock);
}
