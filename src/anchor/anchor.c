/*
 * anchor.c - the anchor's life: set-up from the configuration, its thread
 * and event loop, the once-a-second housekeeping (reply cache, call
 * timeouts, ICE consent, the kernel offload's counters) and the door for
 * workers (anchor_deliver()).
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "anchor/anchor_internal.h"
#include "common/addr.h"
#include "common/log.h"

#define ANCHOR_LOG_PER_S 20
#define ANCHOR_TABLE_SIZE 4096 /* calls and port buckets (power of two) */

uint64_t anchor_wall_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
}

void anchor_clock(struct anchor *an)
{
	an->now_ms = clock_ms();
	an->wall_ms = anchor_wall_us() / 1000;
}

/* FNV-1a: call-ids and cookies come from the trusted SIP proxy. */
uint32_t anchor_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

bool anchor_log_ok(struct anchor *an)
{
	uint64_t now = clock_ms();

	if (now - an->log_window_ms >= 1000) {
		an->log_window_ms = now;
		an->log_count = 0;
	}
	return an->log_count++ < ANCHOR_LOG_PER_S;
}

/*
 * Media addresses per family: bound on LOCAL, told to browsers as PUBLIC.
 * anchor-interface=PUBLIC[/LOCAL] wins; else the relay address, advertised
 * through its external-ip mapping when there is one.
 */
static void pick_addresses(struct anchor *an)
{
	const struct relay *r = an->relay;
	const struct config *c = an->cfg;

	if (r->has_relay_v4) {
		an->has_v4 = true;
		an->local_v4 = r->relay_v4;
		an->public_v4 = r->advertise_v4.sa.sa_family ? r->advertise_v4 : r->relay_v4;
	}
	if (r->has_relay_v6) {
		an->has_v6 = true;
		an->local_v6 = r->relay_v6;
		an->public_v6 = r->advertise_v6.sa.sa_family ? r->advertise_v6 : r->relay_v6;
	}
	for (size_t k = 0; k < c->anchor_interface_count; k++) {
		const struct config_external_ip *e = &c->anchor_interface[k];
		const struct sockaddr *pub = (const struct sockaddr *)&e->public_ip.addr;
		bool v6 = pub->sa_family == AF_INET6;
		union sockaddr_u *lp = v6 ? &an->public_v6 : &an->public_v4;
		union sockaddr_u *ll = v6 ? &an->local_v6 : &an->local_v4;

		memset(lp, 0, sizeof(*lp));
		memcpy(lp, pub, addr_len(pub));
		if (e->has_private) {
			const struct sockaddr *loc = (const struct sockaddr *)&e->private_ip.addr;

			memset(ll, 0, sizeof(*ll));
			memcpy(ll, loc, addr_len(loc));
		} else {
			*ll = *lp;
		}
		*(v6 ? &an->has_v6 : &an->has_v4) = true;
	}
	addr_set_port(&an->local_v4.sa, 0);
	addr_set_port(&an->public_v4.sa, 0);
	addr_set_port(&an->local_v6.sa, 0);
	addr_set_port(&an->public_v6.sa, 0);
}

/*
 * The anchor's sockets are the server's own (peer policy): its media
 * addresses (local and public) with the relay range, and the ng port. Its
 * media ports count as live relay ports while open (relay/relay_ports.h),
 * owned by the anchor, so that TURN allocations on this server reach them,
 * by either address, through anchor_deliver(). Before any thread runs.
 */
static int claim_own_addresses(struct anchor *an)
{
	const struct sockaddr *ng = (const struct sockaddr *)&an->cfg->anchor_ng_listen.addr;

	if (an->has_v4)
		relay_addr_register(an->relay, &an->local_v4.sa, &an->public_v4.sa);
	if (an->has_v6)
		relay_addr_register(an->relay, &an->local_v6.sa, &an->public_v6.sa);
	peer_policy_add_self_ports(&an->relay->policy, ng, addr_port(ng), addr_port(ng));
	an->owner = relay_ports_add_owner(&an->relay->ports, anchor_deliver, an);
	return an->owner < 0 ? -1 : 0;
}

static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct anchor *an = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	anchor_offload_poll(an);
	media_consent_check(an, an->now_ms);
	call_expire(an, an->now_ms);
	pthread_mutex_unlock(&an->lock);
}

static void stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

struct anchor *anchor_new(struct relay *r, const struct config *cfg,
			  const struct anchor_port_budget *budget, char *err, size_t errlen)
{
	struct anchor *an = calloc(1, sizeof(*an));
	struct timeval one_s = {.tv_sec = 1};
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!an) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	an->relay = r;
	an->cfg = cfg;
	an->budget = *budget;
	an->ng_fd = -1;
	an->media_epfd = -1;
	pthread_mutex_init(&an->lock, NULL);
	an->started_s = anchor_wall_us() / 1000000;
	pick_addresses(an);
	if (!an->has_v4 && !an->has_v6) {
		snprintf(err, errlen, "anchor: no media address (set relay-ip or anchor-interface)");
		goto fail;
	}
	if (claim_own_addresses(an) < 0) {
		snprintf(err, errlen, "anchor: no room in the relay port registry");
		goto fail;
	}
	an->calls_mask = ANCHOR_TABLE_SIZE - 1;
	an->ports_mask = ANCHOR_TABLE_SIZE - 1;
	an->calls = calloc(ANCHOR_TABLE_SIZE, sizeof(*an->calls));
	an->ports = calloc(ANCHOR_TABLE_SIZE, sizeof(*an->ports));
	an->rx = malloc((size_t)ANCHOR_RX_BATCH * ANCHOR_RX_BUF);
	an->base = event_base_new();
	if (!an->calls || !an->ports || !an->rx || !an->base) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (int i = 0; i < ANCHOR_RX_BATCH; i++) {
		an->rx_iov[i].iov_base = an->rx + (size_t)i * ANCHOR_RX_BUF;
		an->rx_iov[i].iov_len = ANCHOR_RX_BUF;
		an->rx_msgs[i].msg_hdr.msg_iov = &an->rx_iov[i];
		an->rx_msgs[i].msg_hdr.msg_iovlen = 1;
		an->rx_msgs[i].msg_hdr.msg_name = &an->rx_from[i];
	}
	udp_txq_init(&an->txq, !cfg->no_udp_gso);
	an->stop_ev = event_new(an->base, -1, 0, stop_loop, an->base);
	an->tick_ev = event_new(an->base, -1, EV_PERSIST, tick, an);
	if (!an->stop_ev || !an->tick_ev || event_add(an->tick_ev, &one_s) < 0 ||
	    media_poll_open(an) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (anchor_offload_open(an) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (bridge_open(an, err, errlen) < 0)
		goto fail;
	if (ng_control_open(an, err, errlen) < 0)
		goto fail;
	if (an->has_v4)
		log_info("anchor: ng control on %s, media IPv4 %s (advertised %s)",
			 an->cfg->anchor_ng_listen.text, addr_ip_str(&an->local_v4.sa, a, sizeof(a)),
			 addr_ip_str(&an->public_v4.sa, b, sizeof(b)));
	if (an->has_v6)
		log_info("anchor: media IPv6 %s (advertised %s)",
			 addr_ip_str(&an->local_v6.sa, a, sizeof(a)),
			 addr_ip_str(&an->public_v6.sa, b, sizeof(b)));
	log_info("anchor: at most %u calls (anchor-max-sessions, 0: no limit), %u media ports "
		 "per call, %u in all", an->cfg->anchor_max_sessions,
		 an->cfg->anchor_max_call_ports, an->budget.max(an->budget.ctx));
	return an;
fail:
	anchor_free(an);
	return NULL;
}

static void *anchor_thread(void *arg)
{
	struct anchor *an = arg;

	pthread_setname_np(pthread_self(), "anchor-media");
	event_base_dispatch(an->base);
	return NULL;
}

int anchor_start(struct anchor *an)
{
	int rc = pthread_create(&an->thread, NULL, anchor_thread, an);

	if (rc) {
		log_error("anchor: cannot start its thread: %s", strerror(rc));
		return -1;
	}
	an->started = true;
	if (ng_control_start(an) < 0) {
		anchor_stop(an);
		return -1;
	}
	return 0;
}

void anchor_stop(struct anchor *an)
{
	ng_control_stop(an);
	if (!an->started)
		return;
	event_active(an->stop_ev, 0, 0);
	pthread_join(an->thread, NULL);
	an->started = false;
}

void anchor_free(struct anchor *an)
{
	if (!an)
		return;
	anchor_stop(an);
	pthread_mutex_lock(&an->lock);
	if (an->calls)
		call_free_all(an);
	ng_control_close(an);
	anchor_offload_close(an);
	media_poll_close(an);
	bridge_close(an);
	pthread_mutex_unlock(&an->lock);
	if (an->tick_ev)
		event_free(an->tick_ev);
	if (an->stop_ev)
		event_free(an->stop_ev);
	if (an->base)
		event_base_free(an->base);
	free(an->calls);
	free(an->ports);
	free(an->rx);
	pthread_mutex_destroy(&an->lock);
	free(an);
}

void anchor_drain(struct anchor *an)
{
	pthread_mutex_lock(&an->lock);
	an->draining = true;
	pthread_mutex_unlock(&an->lock);
}

void anchor_hold(struct anchor *an)
{
	pthread_mutex_lock(&an->lock);
}

void anchor_release(struct anchor *an)
{
	pthread_mutex_unlock(&an->lock);
}

unsigned int anchor_calls(struct anchor *an)
{
	unsigned int n;

	pthread_mutex_lock(&an->lock);
	n = an->ncalls;
	pthread_mutex_unlock(&an->lock);
	return n;
}

bool anchor_deliver(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
		    const uint8_t *buf, size_t len)
{
	struct anchor *an = ctx;
	struct media_sock *ms;
	union sockaddr_u src;
	bool taken = false;

	if (len > ANCHOR_RX_BUF)
		return false;
	memset(&src, 0, sizeof(src));
	memcpy(&src, from, addr_len(from));
	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	ms = media_find_port(an, addr_port(to));
	if (ms && ms->fd >= 0 && addr_ip_equal(&ms->local.sa, to)) {
		an->stats.joined_packets++;
		media_input(an, ms, &src, buf, len);
		taken = true;
	}
	pthread_mutex_unlock(&an->lock);
	return taken;
}
