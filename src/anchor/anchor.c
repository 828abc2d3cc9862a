/*
 * anchor.c - the anchor's life: set-up from the configuration, its media
 * threads (shards) and their event loops, the once-a-second housekeeping
 * (ICE consent and the kernel offload's counters per shard; call timeouts
 * on the control thread) and the door for workers (anchor_deliver()).
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

void anchor_shard_clock(struct anchor_shard *sh)
{
	sh->now_ms = clock_ms();
	sh->wall_ms = anchor_wall_us() / 1000;
}

struct anchor_shard *anchor_shard_pick(struct anchor *an)
{
	struct anchor_shard *best = NULL;

	/* the fewest calls; among equals, the next in turn */
	for (unsigned int k = 0; k < an->nshards; k++) {
		struct anchor_shard *sh = &an->shards[(an->next_shard + k) % an->nshards];

		if (!best || sh->ncalls < best->ncalls)
			best = sh;
	}
	an->next_shard = (best->index + 1) % an->nshards;
	return best;
}

bool anchor_shard_owner(const struct anchor_shard *sh)
{
	return !sh->started || pthread_equal(pthread_self(), sh->thread);
}

void anchor_shards_lock(struct anchor *an)
{
	for (unsigned int k = 0; k < an->nshards; k++)
		pthread_mutex_lock(&an->shards[k].lock);
}

void anchor_shards_unlock(struct anchor *an)
{
	for (unsigned int k = an->nshards; k-- > 0;)
		pthread_mutex_unlock(&an->shards[k].lock);
}

void anchor_stats_total(struct anchor *an, struct anchor_stats *out)
{
	enum { N = sizeof(*out) / sizeof(uint64_t) };
	uint64_t *o = (uint64_t *)out;

	_Static_assert(sizeof(*out) % sizeof(uint64_t) == 0, "anchor_stats: uint64_t only");
	for (size_t i = 0; i < N; i++)
		o[i] = __atomic_load_n((const uint64_t *)&an->stats + i, __ATOMIC_RELAXED);
	for (unsigned int k = 0; k < an->nshards; k++)
		for (size_t i = 0; i < N; i++)
			o[i] += __atomic_load_n((const uint64_t *)&an->shards[k].stats + i,
						__ATOMIC_RELAXED);
}

/* FNV-1a: call-ids and cookies come from the trusted SIP proxy. */
uint32_t anchor_hash(const char *s, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Any thread: a window reset racing another only lets a line more or less through. */
bool anchor_log_ok(struct anchor *an)
{
	uint64_t now = clock_ms();

	if (now - __atomic_load_n(&an->log_window_ms, __ATOMIC_RELAXED) >= 1000) {
		__atomic_store_n(&an->log_window_ms, now, __ATOMIC_RELAXED);
		__atomic_store_n(&an->log_count, 0, __ATOMIC_RELAXED);
	}
	return __atomic_fetch_add(&an->log_count, 1, __ATOMIC_RELAXED) < ANCHOR_LOG_PER_S;
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

/* Once a second on each shard: its calls' kernel counters and ICE consent. */
static void tick(evutil_socket_t fd, short what, void *arg)
{
	struct anchor_shard *sh = arg;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&sh->lock);
	anchor_shard_clock(sh);
	anchor_offload_poll(sh);
	media_consent_check(sh, sh->now_ms);
	pthread_mutex_unlock(&sh->lock);
}

/* Once a second on the control thread (ng_control.c): the call table's timeouts. */
void anchor_expire(struct anchor *an)
{
	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	call_expire(an, an->now_ms);
	pthread_mutex_unlock(&an->lock);
}


/* anchor-num-threads, 0: one per online core. */
static unsigned int anchor_threads(const struct config *cfg)
{
	long n = cfg->anchor_num_threads ? (long)cfg->anchor_num_threads
					 : sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 1)
		n = 1;
	return n > ANCHOR_THREADS_MAX ? ANCHOR_THREADS_MAX : (unsigned int)n;
}

struct anchor_shard *anchor_port_shard(struct anchor *an, uint16_t port)
{
	return &an->shards[__atomic_load_n(&an->port_shard[port], __ATOMIC_RELAXED) % an->nshards];
}

static int shard_open(struct anchor *an, struct anchor_shard *sh, unsigned int index)
{
	struct timeval one_s = {.tv_sec = 1};

	sh->an = an;
	sh->index = index;
	sh->media_epfd = sh->wake_fd = -1;
	pthread_mutex_init(&sh->lock, NULL);
	sh->ports = calloc(an->ports_mask + 1, sizeof(*sh->ports));
	sh->rx = malloc((size_t)ANCHOR_RX_BATCH * ANCHOR_RX_BUF);
	sh->base = event_base_new();
	if (!sh->ports || !sh->rx || !sh->base)
		return -1;
	for (int i = 0; i < ANCHOR_RX_BATCH; i++) {
		sh->rx_iov[i].iov_base = sh->rx + (size_t)i * ANCHOR_RX_BUF;
		sh->rx_iov[i].iov_len = ANCHOR_RX_BUF;
		sh->rx_msgs[i].msg_hdr.msg_iov = &sh->rx_iov[i];
		sh->rx_msgs[i].msg_hdr.msg_iovlen = 1;
		sh->rx_msgs[i].msg_hdr.msg_name = &sh->rx_from[i];
	}
	udp_txq_init(&sh->txq, !an->cfg->no_udp_gso);
	sh->tick_ev = event_new(sh->base, -1, EV_PERSIST, tick, sh);
	if (!sh->tick_ev || event_add(sh->tick_ev, &one_s) < 0 ||
	    media_poll_open(sh) < 0 || anchor_offload_shard_open(sh) < 0 ||
	    bridge_shard_open(sh) < 0)
		return -1;
	return 0;
}

/* After its thread stopped and its calls were freed. */
static void shard_close(struct anchor_shard *sh)
{
	if (!sh->an)
		return; /* never opened */
	anchor_offload_shard_close(sh);
	media_poll_close(sh);
	bridge_shard_close(sh);
	if (sh->tick_ev)
		event_free(sh->tick_ev);
	if (sh->base)
		event_base_free(sh->base);
	free(sh->ports);
	free(sh->rx);
	pthread_mutex_destroy(&sh->lock);
}

struct anchor *anchor_new(struct relay *r, const struct config *cfg,
			  const struct anchor_port_budget *budget, char *err, size_t errlen)
{
	struct anchor *an = calloc(1, sizeof(*an));
	char a[ADDR_STRLEN], b[ADDR_STRLEN];

	if (!an) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	an->relay = r;
	an->cfg = cfg;
	an->budget = *budget;
	an->ng_fd = -1;
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
	an->port_shard = calloc(65536, sizeof(*an->port_shard));
	an->nshards = anchor_threads(cfg);
	an->shards = calloc(an->nshards, sizeof(*an->shards));
	if (!an->calls || !an->port_shard || !an->shards) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (bridge_open(an, err, errlen) < 0)
		goto fail;
	if (anchor_offload_open(an) < 0) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	for (unsigned int k = 0; k < an->nshards; k++) {
		if (shard_open(an, &an->shards[k], k) < 0) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
	}
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
		 "per call, %u in all; %u media threads (anchor-num-threads)",
		 an->cfg->anchor_max_sessions, an->cfg->anchor_max_call_ports,
		 an->budget.max(an->budget.ctx), an->nshards);
	return an;
fail:
	anchor_free(an);
	return NULL;
}

static void *anchor_thread(void *arg)
{
	struct anchor_shard *sh = arg;
	char name[16];

	snprintf(name, sizeof(name), "anchor-media-%u", sh->index % 100);
	pthread_setname_np(pthread_self(), name);
	media_loop(sh);
	return NULL;
}

int anchor_start(struct anchor *an)
{
	for (unsigned int k = 0; k < an->nshards; k++) {
		struct anchor_shard *sh = &an->shards[k];
		int rc;

		__atomic_store_n(&sh->stopping, 0, __ATOMIC_RELEASE);
		rc = pthread_create(&sh->thread, NULL, anchor_thread, sh);
		if (rc) {
			log_error("anchor: cannot start its media thread: %s", strerror(rc));
			anchor_stop(an);
			return -1;
		}
		sh->started = true;
	}
	if (ng_control_start(an) < 0) {
		anchor_stop(an);
		return -1;
	}
	return 0;
}

void anchor_stop(struct anchor *an)
{
	ng_control_stop(an);
	for (unsigned int k = 0; an->shards && k < an->nshards; k++) {
		struct anchor_shard *sh = &an->shards[k];

		if (!sh->started)
			continue;
		__atomic_store_n(&sh->stopping, 1, __ATOMIC_RELEASE);
		anchor_shard_wake(sh);
		pthread_join(sh->thread, NULL);
		sh->started = false;
	}
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
	for (unsigned int k = 0; an->shards && k < an->nshards; k++)
		shard_close(&an->shards[k]);
	bridge_close(an);
	pthread_mutex_unlock(&an->lock);
	free(an->shards);
	free(an->calls);
	free(an->port_shard);
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
	anchor_shards_lock(an);
}

void anchor_release(struct anchor *an)
{
	anchor_shards_unlock(an);
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

/*
 * The port's shard is read without a lock (a port that moved to another
 * shard since is not found there: the caller sends it through the socket
 * as usual); its table is searched under the shard's lock.
 */
bool anchor_deliver(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
		    const uint8_t *buf, size_t len)
{
	struct anchor *an = ctx;
	struct anchor_shard *sh;
	struct media_sock *ms;
	union sockaddr_u src;
	bool taken = false;

	if (len > ANCHOR_RX_BUF)
		return false;
	memset(&src, 0, sizeof(src));
	memcpy(&src, from, addr_len(from));
	sh = anchor_port_shard(an, addr_port(to));
	pthread_mutex_lock(&sh->lock);
	anchor_shard_clock(sh);
	ms = media_find_port(sh, addr_port(to));
	if (ms && ms->fd >= 0 && addr_ip_equal(&ms->local.sa, to)) {
		sh->stats.joined_packets++;
		media_input(an, ms, &src, buf, len);
		taken = true;
	}
	pthread_mutex_unlock(&sh->lock);
	return taken;
}
