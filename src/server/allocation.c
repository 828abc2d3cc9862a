/*
 * allocation.c - TURN allocations (RFC 8656 §7): relay sockets from the
 * relay port range (UDP, or a listening TCP socket for RFC 6062, whose
 * connections tcp_relay.c runs), lifetimes on timers, permissions (§9),
 * channels (§12), the transaction cache and EVEN-PORT reservations (§7.2,
 * §14.9); what each may hold is limits.c's.
 */
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/dtls.h"
#include "server/server.h"

#define CHANNEL_COOLDOWN_MS 300000 /* RFC 8656 §12: 5 minutes before reuse */

/* An EVEN-PORT reservation holds a port for the user and address that made it. */
struct reservation {
	struct reservation *next;
	uint64_t token;
	int fd;
	union sockaddr_u local;
	uint64_t expires_ms;
	union sockaddr_u source;
	char user[];
};

static void sock_local(int fd, union sockaddr_u *out)
{
	socklen_t len = sizeof(*out);

	memset(out, 0, sizeof(*out));
	getsockname(fd, &out->sa, &len);
}

/* Its port and allocation go back to the user and address that made it. */
static void reservation_free(struct server *srv, struct reservation *r, bool close_fd)
{
	if (close_fd)
		close(r->fd);
	limits_release(srv, r->user, &r->source.sa, 1, 1);
	free(r);
}

static int take_reservation(struct server *srv, uint64_t token, union sockaddr_u *local)
{
	struct reservation **pp, *r;
	int fd = -1;

	pthread_mutex_lock(&srv->lock);
	for (pp = &srv->reservations; (r = *pp); pp = &r->next) {
		if (r->token == token) {
			*pp = r->next;
			break;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	if (r) {
		fd = r->fd;
		*local = r->local;
		reservation_free(srv, r, false);
	}
	return fd;
}

/* Takes over fd and a hold of one allocation and one port (limits_take()). */
static int add_reservation(struct server *srv, int fd, const char *user,
			   const union sockaddr_u *source, uint64_t *token)
{
	struct reservation *r = calloc(1, sizeof(*r) + strlen(user) + 1);

	if (!r)
		return -1;
	strcpy(r->user, user);
	r->source = *source;
	r->fd = fd;
	sock_local(fd, &r->local);
	if (RAND_bytes((uint8_t *)&r->token, sizeof(r->token)) != 1) {
		free(r);
		return -1;
	}
	r->expires_ms = clock_ms() + SERVER_RESERVATION_S * 1000;
	*token = r->token;
	pthread_mutex_lock(&srv->lock);
	r->next = srv->reservations;
	srv->reservations = r;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

void server_reservations_expire(struct server *srv)
{
	uint64_t now = clock_ms();
	struct reservation **pp, *r, *expired = NULL;

	pthread_mutex_lock(&srv->lock);
	for (pp = &srv->reservations; (r = *pp);) {
		if (r->expires_ms <= now) {
			*pp = r->next;
			r->next = expired;
			expired = r;
		} else {
			pp = &r->next;
		}
	}
	pthread_mutex_unlock(&srv->lock);
	while ((r = expired)) {
		expired = r->next;
		reservation_free(srv, r, true);
	}
}

void server_reservations_free(struct server *srv)
{
	struct reservation *r, *next;

	for (r = srv->reservations; r; r = next) {
		next = r->next;
		close(r->fd);
		free(r);
	}
	srv->reservations = NULL;
}

static void alloc_expired(evutil_socket_t fd, short what, void *arg)
{
	struct allocation *a = arg;
	char buf[ADDR_STRLEN], user[128];

	(void)fd;
	(void)what;
	if (worker_log_ok(a->w))
		log_info("allocation of %s for '%s' expired",
			 addr_str(&a->client.sa, buf, sizeof(buf)),
			 log_safe(a->username, user, sizeof(user)));
	alloc_free(a);
}

static int relay_proto(const struct allocation *a)
{
	return a->tcp_relay ? IPPROTO_TCP : IPPROTO_UDP;
}

/*
 * The allocation takes a bound relay socket; its port is live from now on
 * (relay/relay_ports.h), an EVEN-PORT reservation's only once taken here.
 */
static int add_relay(struct allocation *a, int fd)
{
	struct relay_sock *r = &a->relay[a->nrelay];

	r->fd = fd;
	r->alloc = a;
	sock_local(fd, &r->local);
	if (a->tcp_relay) {
		/* RFC 6062 §5.1: a listening TCP socket; no datagrams */
		r->ev = NULL;
	} else {
		/* RFC 8656 §11.3: ICMP errors for what it sends come to its error queue */
		if (icmp_enable(fd, r->local.sa.sa_family) < 0)
			return -1;
		r->ev = event_new(a->w->base, fd, EV_READ | EV_PERSIST, worker_relay_readable, r);
		if (!r->ev || event_add(r->ev, NULL) < 0) {
			if (r->ev)
				event_free(r->ev);
			r->ev = NULL;
			return -1;
		}
	}
	relay_ports_set(&a->w->srv->relay.ports, &r->local.sa, relay_proto(a), RELAY_OWNER_SOCKET, true);
	a->nrelay++;
	return 0;
}

/*
 * relay-device: the relay sockets of TURN allocations (the anchor's media
 * sockets follow anchor-interface instead). Nothing for fd -1.
 */
static int bind_relay_device(struct worker *w, int fd)
{
	const char *dev = w->srv->cfg->relay_device;

	if (fd < 0 || relay_bind_device(fd, dev) == 0)
		return 0;
	if (worker_log_ok(w))
		log_warn("relay-device %s: cannot bind a relay socket to it: %s", dev,
			 strerror(errno));
	return -1;
}

/* Closes what an allocation holds open: relay sockets, TCP relay, timer. */
static void alloc_close(struct allocation *a)
{
	int proto = relay_proto(a);

	if (a->tcp_relay)
		tcp_relay_free(a);
	for (int i = 0; i < a->nrelay; i++) {
		if (a->relay[i].ev)
			event_free(a->relay[i].ev);
		/* not live before it is closed: the port may be bound again at once */
		relay_ports_set(&a->w->srv->relay.ports, &a->relay[i].local.sa, proto, RELAY_OWNER_SOCKET, false);
		close(a->relay[i].fd);
	}
	if (a->timer)
		event_free(a->timer);
}

/*
 * The allocation holds one allocation and its relay ports (two with
 * ADDITIONAL-ADDRESS-FAMILY) against the limits of its user and client
 * address; an EVEN-PORT R=1 reservation holds one more of each until it is
 * used or expires. With a RESERVATION-TOKEN, the reservation's hold is
 * given back before the allocation takes its own.
 */
/* The allocation in its worker's gauge by client transport and family (metrics.c). */
static void alloc_count(struct allocation *a, const struct origin *o)
{
	int t = !o->tcp ? STATS_UDP : o->tcp->ssl ? STATS_TLS : STATS_TCP;
	int f = o->client.sa.sa_family == AF_INET6 ? STATS_IPV6 : STATS_IPV4;

	a->stats_now = &o->w->stats.allocs_now[t][f];
	(*a->stats_now)++;
	o->w->stats.allocations_created++;
}

/* On the worker's list of allocations, with an id unique in the process. */
static void alloc_list_add(struct worker *w, struct allocation *a)
{
	a->id = ((uint64_t)w->id << 48) | (++w->alloc_seq & 0xffffffffffffULL);
	a->created_ms = clock_ms();
	a->lnext = w->allocs;
	if (w->allocs)
		w->allocs->lprev = a;
	w->allocs = a;
}

/* Off its worker's list (nothing when it is on none). */
static void alloc_list_remove(struct allocation *a)
{
	if (a->lprev)
		a->lprev->lnext = a->lnext;
	else if (a->w->allocs == a)
		a->w->allocs = a->lnext;
	if (a->lnext)
		a->lnext->lprev = a->lprev;
	a->lprev = a->lnext = NULL;
}

int alloc_create(struct origin *o, const struct auth_result *auth, uint8_t family, bool tcp,
		 bool dual, bool even_port, bool reserve_next, uint64_t token, bool dont_fragment,
		 struct allocation **out, uint64_t *new_token, int *v6_error)
{
	struct server *srv = o->w->srv;
	struct allocation *a;
	union sockaddr_u local;
	unsigned int reserved = reserve_next ? 1 : 0;
	int fd = -1, next_fd = -1, err;

	*v6_error = 0;
	*new_token = 0;
	server_reservations_expire(srv);
	if (family == STUN_FAMILY_IPV4 && !srv->relay.has_relay_v4)
		return TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (family == STUN_FAMILY_IPV6 && !srv->relay.has_relay_v6)
		return TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	if (token) {
		fd = take_reservation(srv, token, &local);
		if (fd < 0)
			return TURN_ERR_INSUFFICIENT_CAPACITY;
	}
	err = limits_take(srv, auth->username, &o->client.sa, 1 + reserved,
			  1 + (dual ? 1 : 0) + reserved);
	if (err) {
		o->w->stats.quota_refused++;
		if (fd >= 0)
			close(fd);
		return err;
	}

	a = calloc(1, sizeof(*a));
	if (!a)
		goto fail_limits;
	a->held_ports = 1 + (dual ? 1 : 0);
	a->w = o->w;
	a->lsn = o->lsn;
	a->tcp = o->tcp;
	a->dtls = o->dtls;
	a->client = o->client;
	a->quota_addr = o->client;
	a->dont_fragment = dont_fragment;
	a->username = strdup(auth->username);
	memcpy(a->key, auth->key, auth->key_len);
	a->key_len = auth->key_len;
	a->timer = evtimer_new(o->w->base, alloc_expired, a);
	if (!a->username || !a->timer)
		goto fail;
	if (tcp && tcp_relay_start(a) < 0)
		goto fail;

	err = TURN_ERR_INSUFFICIENT_CAPACITY;
	if (fd < 0) {
		const union sockaddr_u *base =
			family == STUN_FAMILY_IPV6 ? &srv->relay.relay_v6 : &srv->relay.relay_v4;

		if (relay_port_bind(&srv->relay, base, tcp, even_port, reserve_next, dont_fragment, &fd,
				    &next_fd) < 0) {
			fd = -1;
			if (worker_log_ok(o->w))
				log_warn("no free relay port in %u-%u", srv->cfg->min_port,
					 srv->cfg->max_port);
			goto fail;
		}
		if (bind_relay_device(o->w, fd) < 0 || bind_relay_device(o->w, next_fd) < 0)
			goto fail;
	}
	if (add_relay(a, fd) < 0)
		goto fail;
	fd = -1;
	if (next_fd >= 0) {
		if (add_reservation(srv, next_fd, auth->username, &o->client, new_token) < 0)
			goto fail;
		next_fd = -1;
		reserved = 0; /* the reservation holds it now */
	}
	if (dual) {
		int fd6, unused;

		if (!srv->relay.has_relay_v6) {
			*v6_error = TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
		} else if (relay_port_bind(&srv->relay, &srv->relay.relay_v6, false, false, false, dont_fragment,
					   &fd6, &unused) < 0) {
			*v6_error = TURN_ERR_INSUFFICIENT_CAPACITY;
		} else if (bind_relay_device(o->w, fd6) < 0 || add_relay(a, fd6) < 0) {
			close(fd6);
			*v6_error = TURN_ERR_INSUFFICIENT_CAPACITY;
		}
		if (*v6_error) {
			limits_release(srv, auth->username, &o->client.sa, 0, 1);
			a->held_ports--;
		}
	}
	if (a->tcp_relay && tcp_relay_listen(a) < 0)
		goto fail;
	alloc_count(a, o);
	alloc_list_add(o->w, a);
	if (a->lsn) {
		worker_insert_udp_alloc(o->w, a);
	} else if (a->dtls) {
		dtls_session_set_alloc(a->dtls, a);
	} else {
		a->tcp->alloc = a;
		worker_tcp_unallocated(a->tcp, false);
	}
	*out = a;
	return 0;
fail:
	alloc_close(a);
	limits_release(srv, auth->username, &o->client.sa, 1 + reserved, a->held_ports + reserved);
	free(a->username);
	free(a);
	if (fd >= 0)
		close(fd);
	if (next_fd >= 0)
		close(next_fd);
	return err ? err : STUN_ERR_SERVER_ERROR;
fail_limits:
	limits_release(srv, auth->username, &o->client.sa, 1 + reserved,
		       1 + (dual ? 1 : 0) + reserved);
	if (fd >= 0)
		close(fd);
	return STUN_ERR_SERVER_ERROR;
}

/*
 * What was relayed, and by whom: the kernel's part includes its last share,
 * read as offload_alloc_end() removed the entries (when the module can tell).
 */
static void alloc_log_end(const struct allocation *a)
{
	char buf[ADDR_STRLEN], user[128];

	if (!worker_log_ok(a->w))
		return;
	log_info("allocation of %s for '%s' ended: relayed by turnserver %llu packets to peers, "
		 "%llu to the client; by the kernel %llu packets (%llu bytes) to peers, %llu "
		 "(%llu bytes) to the client",
		 addr_str(&a->client.sa, buf, sizeof(buf)), log_safe(a->username, user, sizeof(user)),
		 (unsigned long long)a->user_pkts[0], (unsigned long long)a->user_pkts[1],
		 (unsigned long long)a->kernel_pkts[0], (unsigned long long)a->kernel_bytes[0],
		 (unsigned long long)a->kernel_pkts[1], (unsigned long long)a->kernel_bytes[1]);
	if (a->bw_dropped_pkts[0] || a->bw_dropped_pkts[1])
		log_info("allocation of %s for '%s' over its rate of %u bytes/s: dropped %llu "
			 "packets (%llu bytes) to peers, %llu (%llu bytes) to the client",
			 buf, user, a->bps, (unsigned long long)a->bw_dropped_pkts[0],
			 (unsigned long long)a->bw_dropped_bytes[0],
			 (unsigned long long)a->bw_dropped_pkts[1],
			 (unsigned long long)a->bw_dropped_bytes[1]);
}

void alloc_free(struct allocation *a)
{
	if (a->mobile)
		mobility_forget(a);
	offload_alloc_end(a);
	alloc_log_end(a);
	alloc_list_remove(a);
	if (a->lsn) {
		worker_remove_udp_alloc(a->w, a);
	} else if (a->dtls) {
		dtls_session_set_alloc(a->dtls, NULL);
	} else if (a->tcp) {
		a->tcp->alloc = NULL;
		worker_tcp_unallocated(a->tcp, true);
	}
	alloc_close(a);
	if (a->stats_now)
		(*a->stats_now)--;
	limits_release(a->w->srv, a->username, &a->quota_addr.sa, 1, a->held_ports);
	bw_capacity_release(&a->w->srv->bps_reserved, a->bps_reserved);
	for (int i = 0; i < 2; i++)
		free(a->txn[i].resp);
	free(a->perms);
	free(a->chans);
	free(a->username);
	free(a);
}

void alloc_set_rate(struct allocation *a, uint32_t rate, uint64_t now)
{
	a->bps = rate;
	a->bps_reserved = rate;
	for (int i = 0; i < 2; i++)
		bw_bucket_init(&a->bw[i], rate, now);
}

bool alloc_rate_take(struct allocation *a, int dir, size_t len, uint64_t now)
{
	if (!a->bps || bw_bucket_take(&a->bw[dir], len, now))
		return true;
	a->w->stats.bps_dropped++;
	a->bw_dropped_pkts[dir]++;
	a->bw_dropped_bytes[dir] += len;
	return false;
}

void alloc_set_lifetime(struct allocation *a, uint32_t lifetime_s)
{
	struct timeval tv = {.tv_sec = lifetime_s};

	a->expires_ms = clock_ms() + (uint64_t)lifetime_s * 1000;
	evtimer_add(a->timer, &tv);
}

/* A UDP client's allocation in w's gauge, by the family of its address now. */
static void alloc_count_udp(struct allocation *a, struct worker *w)
{
	int f = a->client.sa.sa_family == AF_INET6 ? STATS_IPV6 : STATS_IPV4;

	a->stats_now = &w->stats.allocs_now[STATS_UDP][f];
	(*a->stats_now)++;
}

void alloc_rehome(struct allocation *a, const struct origin *o)
{
	offload_alloc_end(a);
	worker_remove_udp_alloc(a->w, a);
	(*a->stats_now)--;
	a->lsn = o->lsn;
	a->client = o->client;
	worker_insert_udp_alloc(a->w, a);
	alloc_count_udp(a, a->w);
	/* the kernel's entries name the client's address: installed again */
	offload_sync(a, clock_ms());
}

/*
 * Off its worker's loop: nothing of it runs until alloc_attach(), while
 * its relay sockets keep what peers send. It is in no table (lsn NULL).
 */
void alloc_detach(struct allocation *a)
{
	offload_alloc_end(a);
	worker_remove_udp_alloc(a->w, a);
	alloc_list_remove(a);
	a->lsn = NULL;
	for (int i = 0; i < a->nrelay; i++) {
		if (a->relay[i].ev)
			event_free(a->relay[i].ev);
		a->relay[i].ev = NULL;
	}
	if (a->timer)
		event_free(a->timer);
	a->timer = NULL;
	(*a->stats_now)--;
	a->stats_now = NULL;
}

int alloc_attach(struct allocation *a, struct worker *w, int lsn_idx)
{
	uint64_t now = clock_ms();
	uint64_t left_ms = a->expires_ms > now ? a->expires_ms - now : 0;
	uint64_t created_ms = a->created_ms;
	struct timeval tv = {.tv_sec = (time_t)(left_ms / 1000),
			     .tv_usec = (suseconds_t)(left_ms % 1000) * 1000};

	a->w = w;
	a->timer = evtimer_new(w->base, alloc_expired, a);
	if (!a->timer || evtimer_add(a->timer, &tv) < 0)
		goto fail;
	for (int i = 0; i < a->nrelay; i++) {
		struct relay_sock *r = &a->relay[i];

		r->ev = event_new(w->base, r->fd, EV_READ | EV_PERSIST, worker_relay_readable, r);
		if (!r->ev || event_add(r->ev, NULL) < 0)
			goto fail;
	}
	a->lsn = &w->udp[lsn_idx];
	worker_insert_udp_alloc(w, a);
	/* a new id: the admin interface finds an allocation by its worker's */
	alloc_list_add(w, a);
	a->created_ms = created_ms;
	alloc_count_udp(a, w);
	offload_sync(a, now);
	return 0;
fail:
	alloc_free(a);
	return -1;
}

const struct relay_sock *alloc_relay_for(const struct allocation *a, int family)
{
	for (int i = 0; i < a->nrelay; i++)
		if (a->relay[i].local.sa.sa_family == family)
			return &a->relay[i];
	return NULL;
}

/*
 * Makes room for one more slot of a small per-allocation table, up to max,
 * and returns it without counting it (the caller does, once committed);
 * NULL when full.
 */
static void *spare_slot(void **base, uint16_t n, size_t elem, uint16_t max)
{
	uint8_t *p;

	if (n >= max)
		return NULL;
	p = realloc(*base, (n + 1u) * elem);
	if (!p)
		return NULL;
	*base = p;
	return p + (size_t)n * elem;
}

struct permission *alloc_find_perm(struct allocation *a, const struct sockaddr *peer,
				   uint64_t now)
{
	for (int i = 0; i < a->nperms; i++)
		if (a->perms[i].expires_ms > now && addr_ip_equal(&a->perms[i].peer.sa, peer))
			return &a->perms[i];
	return NULL;
}

/* The slot a permission for peer goes in (its own, an expired one, a new one); NULL when full. */
static struct permission *perm_slot(struct allocation *a, const union sockaddr_u *peer,
				    uint64_t now, bool *is_new)
{
	struct permission *free_slot = NULL;

	*is_new = false;
	for (int i = 0; i < a->nperms; i++) {
		if (addr_ip_equal(&a->perms[i].peer.sa, &peer->sa))
			return &a->perms[i];
		if (!free_slot && a->perms[i].expires_ms <= now)
			free_slot = &a->perms[i];
	}
	if (free_slot)
		return free_slot;
	*is_new = true;
	return spare_slot((void **)&a->perms, a->nperms, sizeof(*a->perms), SERVER_MAX_PERMS);
}

static void perm_commit(struct allocation *a, struct permission *slot, bool is_new,
			const union sockaddr_u *peer, uint64_t now)
{
	/* a new permission, not a refresh: a new slot or an expired one */
	if (is_new || slot->expires_ms <= now)
		a->w->stats.permissions_created++;
	slot->peer = *peer;
	slot->expires_ms = now + (uint64_t)a->w->srv->cfg->permission_lifetime * 1000;
	if (is_new)
		a->nperms++;
}

int alloc_install_perm(struct allocation *a, const union sockaddr_u *peer, uint64_t now)
{
	bool is_new;
	struct permission *slot = perm_slot(a, peer, now, &is_new);

	if (!slot)
		return -1;
	perm_commit(a, slot, is_new, peer, now);
	return 0;
}

struct channel *alloc_find_channel(struct allocation *a, uint16_t number, uint64_t now)
{
	for (int i = 0; i < a->nchans; i++)
		if (a->chans[i].number == number && a->chans[i].expires_ms > now)
			return &a->chans[i];
	return NULL;
}

struct channel *alloc_find_channel_by_peer(struct allocation *a, const union sockaddr_u *peer,
					   uint64_t now)
{
	for (int i = 0; i < a->nchans; i++)
		if (a->chans[i].expires_ms > now && addr_equal(&a->chans[i].peer.sa, &peer->sa))
			return &a->chans[i];
	return NULL;
}

/*
 * RFC 8656 §11.2: a number stays bound to one peer, and a peer to one
 * number, while bound and for 5 minutes after; the binding installs or
 * refreshes the peer's permission (§12.2). Both or neither: returns 0,
 * -1 (400) on a conflict, -2 (508) when either table is full.
 */
int alloc_bind_channel(struct allocation *a, uint16_t number, const union sockaddr_u *peer,
		       uint64_t now)
{
	uint64_t expires = now + (uint64_t)a->w->srv->cfg->channel_lifetime * 1000;
	struct channel *slot = NULL, *reuse = NULL;
	struct permission *perm;
	bool chan_new = false, perm_new;

	for (int i = 0; i < a->nchans; i++) {
		struct channel *c = &a->chans[i];
		bool held = c->expires_ms + CHANNEL_COOLDOWN_MS > now;
		bool same_num = c->number == number;
		bool same_peer = addr_equal(&c->peer.sa, &peer->sa);

		if (same_num && same_peer) {
			slot = c;
			break;
		}
		if (held && (same_num || same_peer))
			return -1;
		if (!held && !reuse)
			reuse = c;
	}
	if (!slot) {
		slot = reuse;
		/* RFC 8656 §12: another binding; its old entry is gone at expiry anyway */
		if (slot)
			offload_channel_drop(a, slot);
	}
	if (!slot) {
		chan_new = true;
		slot = spare_slot((void **)&a->chans, a->nchans, sizeof(*a->chans),
				  SERVER_MAX_CHANNELS);
	}
	if (!slot)
		return -2;
	perm = perm_slot(a, peer, now, &perm_new);
	if (!perm)
		return -2;
	/* a new binding, not a refresh of this one */
	if (chan_new || slot->number != number || !addr_equal(&slot->peer.sa, &peer->sa) ||
	    slot->expires_ms <= now)
		a->w->stats.channels_bound++;
	slot->number = number;
	slot->peer = *peer;
	slot->expires_ms = expires;
	if (chan_new) {
		slot->offload_id = 0;
		slot->joined = false; /* realloc()'s new slot holds garbage */
		memset(&slot->join, 0, sizeof(slot->join));
		a->nchans++;
	}
	perm_commit(a, perm, perm_new, peer, now);
	return 0;
}

void alloc_cache_response(struct allocation *a, const uint8_t *tid, const uint8_t *resp,
			  size_t len)
{
	struct txn_cache *t = &a->txn[a->txn_next];
	uint8_t *copy = malloc(len);

	if (!copy)
		return;
	free(t->resp);
	memcpy(t->tid, tid, STUN_TID_LEN);
	t->resp = copy;
	memcpy(copy, resp, len);
	t->len = (uint16_t)len;
	a->txn_next ^= 1;
}

const struct txn_cache *alloc_cached_response(const struct allocation *a, const uint8_t *tid)
{
	for (int i = 0; i < 2; i++)
		if (a->txn[i].resp && memcmp(a->txn[i].tid, tid, STUN_TID_LEN) == 0)
			return &a->txn[i];
	return NULL;
}
