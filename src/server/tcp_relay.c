/*
 * tcp_relay.c - TCP allocations (RFC 6062): the listening relay socket,
 * Connect (§5.2), peer connections arriving at the relayed address (§5.3),
 * ConnectionBind (§5.4), then the client data connection and the peer
 * connection spliced byte for byte, each side reading only while the other
 * has little queued.
 *
 * Threads: an allocation and its peer connections belong to its worker,
 * but a client data connection lands on whichever worker's TCP listener
 * the kernel picks. Peer connections waiting for a ConnectionBind are
 * listed in srv->tcp_pending (under srv->lock, control path only): the
 * worker that authenticates the ConnectionBind claims the entry, answers,
 * and hands the socket with its buffered bytes to the allocation's worker
 * through that worker's handoff queue. Once spliced, nothing is shared.
 * A TLS data connection (RFC 6062 over TLS) moves with its SSL session,
 * which goes on over the same socket on the new worker.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/server.h"

#define SPLICE_HIGH (256 * 1024) /* stop reading a side while the other has this much queued */
#define SPLICE_LOW (64 * 1024)	 /* ... and read again once it is down to this */
#define DRAIN_S 30		 /* one side closed: flush the other for at most this long */
#define ID_TRIES 16

enum peer_state {
	PEER_CONNECTING, /* Connect: waiting for the TCP handshake */
	PEER_WAITING,	 /* up, in srv->tcp_pending until a ConnectionBind */
	PEER_SPLICED,	 /* bound to a client data connection */
	PEER_DRAINING,	 /* one side closed, flushing the other before closing it */
};

struct tcp_peer {
	struct tcp_peer *next; /* the allocation's peers */
	struct allocation *alloc;
	enum peer_state state;
	union sockaddr_u addr;
	struct bufferevent *peer;   /* the peer data connection */
	struct bufferevent *client; /* the client data connection, once bound */
	struct event *timer;	    /* connect, bind or drain deadline */
	struct turn_deferred *connect; /* the Connect to answer, while connecting */
	/* under srv->lock; only the owning worker links and unlinks */
	struct tcp_peer *pending_next;
	bool listed;
	bool claimed; /* a ConnectionBind took it; its socket is on the way */
	uint32_t id;
	/* max-bps (bandwidth.h): directions (1 << BW_TO_*) waiting for their bucket */
	unsigned int held;
	uint64_t resume_ms; /* when the timer wakes them, while held */
};

struct tcp_relay {
	struct evconnlistener *listener;
	struct tcp_peer *peers;
	unsigned int npeers;
};

/* A client data connection on its way to the allocation's worker. */
struct tcp_handoff {
	struct tcp_handoff *next;
	uint32_t id;
	int fd;
	SSL *ssl; /* a TLS data connection's session, or NULL */
	struct evbuffer *to_client; /* the ConnectionBind answer, not yet written */
	struct evbuffer *to_peer;   /* what the client sent after the ConnectionBind */
};

/* The pending table (srv->lock) */

/* Lists p under a fresh CONNECTION-ID, unique among pending connections. */
static int pending_add(struct tcp_peer *p)
{
	struct server *srv = p->alloc->w->srv;
	int ret = -1;

	pthread_mutex_lock(&srv->lock);
	for (int i = 0; i < ID_TRIES && ret < 0; i++) {
		struct tcp_peer *q;
		uint32_t id;

		if (RAND_bytes((uint8_t *)&id, sizeof(id)) != 1)
			break;
		for (q = srv->tcp_pending; q && q->id != id; q = q->pending_next)
			;
		if (!id || q)
			continue;
		p->id = id;
		p->pending_next = srv->tcp_pending;
		srv->tcp_pending = p;
		p->listed = true;
		ret = 0;
	}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

static void pending_unlink_locked(struct server *srv, struct tcp_peer *p)
{
	struct tcp_peer **pp;

	for (pp = &srv->tcp_pending; *pp; pp = &(*pp)->pending_next) {
		if (*pp == p) {
			*pp = p->pending_next;
			break;
		}
	}
	p->listed = false;
}

/* The peer connection waiting under CONNECTION-ID id, not yet claimed, or NULL. */
static struct tcp_peer *pending_find_locked(struct server *srv, uint32_t id)
{
	struct tcp_peer *p;

	for (p = srv->tcp_pending; p; p = p->pending_next)
		if (p->id == id && !p->claimed)
			return p;
	return NULL;
}

/* Peer connections */

static void peer_free(struct tcp_peer *p)
{
	struct tcp_relay *t = p->alloc->tcp_relay;
	struct server *srv = p->alloc->w->srv;
	struct tcp_peer **pp;

	/* only this worker changes p->listed: reading it needs no lock */
	if (p->listed) {
		pthread_mutex_lock(&srv->lock);
		pending_unlink_locked(srv, p);
		pthread_mutex_unlock(&srv->lock);
	}
	for (pp = &t->peers; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			t->npeers--;
			break;
		}
	}
	if (p->peer)
		bufferevent_free(p->peer);
	if (p->client)
		bufferevent_free(p->client);
	event_free(p->timer);
	free(p->connect);
	free(p);
}

static void peer_timeout(evutil_socket_t fd, short what, void *arg);
static void splice_resume(struct tcp_peer *p);

static struct tcp_peer *peer_new(struct allocation *a, const union sockaddr_u *addr)
{
	struct tcp_relay *t = a->tcp_relay;
	struct tcp_peer *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->alloc = a;
	p->addr = *addr;
	p->timer = evtimer_new(a->w->base, peer_timeout, p);
	if (!p->timer) {
		free(p);
		return NULL;
	}
	p->next = t->peers;
	t->peers = p;
	t->npeers++;
	return p;
}

static void arm(struct tcp_peer *p, int seconds)
{
	struct timeval tv = {.tv_sec = seconds};

	evtimer_add(p->timer, &tv);
}

/* Answers the Connect once, then forgets it. */
static void answer_connect(struct tcp_peer *p, int code)
{
	struct turn_deferred *d = p->connect;

	p->connect = NULL;
	if (d)
		turn_answer_connect(p->alloc, d, code, p->id);
	free(d);
}

static void peer_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_peer *p = arg;
	struct allocation *a = p->alloc;
	char buf[ADDR_STRLEN], user[128];

	(void)fd;
	(void)what;
	if (p->state == PEER_SPLICED) {
		splice_resume(p); /* the only timer of a spliced pair */
		return;
	}
	if (p->state == PEER_CONNECTING)
		answer_connect(p, TURN_ERR_CONNECTION_TIMEOUT_OR_FAILURE);
	else if (p->state == PEER_WAITING && worker_log_ok(a->w))
		log_info("TCP peer %s of '%s': no ConnectionBind within %d s, closed",
			 addr_str(&p->addr.sa, buf, sizeof(buf)),
			 log_safe(a->username, user, sizeof(user)), SERVER_TCP_BIND_S);
	peer_free(p);
}

/* Up and waiting for a ConnectionBind (RFC 6062 §5.2, §5.3): not read meanwhile. */
static int peer_wait(struct tcp_peer *p)
{
	if (pending_add(p) < 0)
		return -1;
	p->state = PEER_WAITING;
	bufferevent_setcb(p->peer, NULL, NULL, NULL, NULL);
	bufferevent_disable(p->peer, EV_READ);
	arm(p, SERVER_TCP_BIND_S);
	return 0;
}

/* Splicing (RFC 6062 §5.5): bytes copied unchanged, both ways */

static struct bufferevent *other_side(const struct tcp_peer *p, const struct bufferevent *bev)
{
	return bev == p->peer ? p->client : p->peer;
}

/* The bucket of what bev reads: client to peer, or peer to client. */
static unsigned int splice_dir(const struct tcp_peer *p, const struct bufferevent *bev)
{
	return bev == p->peer ? BW_TO_CLIENT : BW_TO_PEER;
}

/*
 * Wakes the held directions in ms: the one timer of the pair, set to the
 * earliest wake-up asked for.
 */
static void splice_hold(struct tcp_peer *p, unsigned int dir, uint64_t ms, uint64_t now)
{
	struct timeval tv = {.tv_sec = (time_t)(ms / 1000), .tv_usec = (long)(ms % 1000) * 1000};

	if (p->held && p->resume_ms <= now + ms) {
		p->held |= 1u << dir;
		return;
	}
	p->held |= 1u << dir;
	p->resume_ms = now + ms;
	evtimer_add(p->timer, &tv);
}

/* Counts n bytes spliced in direction dir (BW_TO_PEER or BW_TO_CLIENT) in the worker's stats. */
static void splice_count(const struct tcp_peer *p, unsigned int dir, size_t n)
{
	struct worker_stats *s = &p->alloc->w->stats;

	if (dir == BW_TO_PEER)
		s->tcp_bytes_to_peer += n;
	else
		s->tcp_bytes_to_client += n;
}

/*
 * Moves what bev read to the other side: all of it, or with max-bps what
 * the allocation's bucket holds, the rest staying in bev's input with
 * reading off until the bucket has refilled (RFC 6062 streams are held
 * back, not dropped).
 */
static void splice_move(struct tcp_peer *p, struct bufferevent *bev)
{
	struct allocation *a = p->alloc;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(other_side(p, bev));
	unsigned int dir = splice_dir(p, bev);
	size_t len = evbuffer_get_length(in), n = len;
	uint64_t now;

	if (!a->bps) {
		evbuffer_add_buffer(out, in);
	} else {
		now = clock_ms();
		n = bw_bucket_take_upto(&a->bw[dir], len, now);
		if (n == len) {
			evbuffer_add_buffer(out, in);
		} else {
			evbuffer_remove_buffer(in, out, n);
			a->w->stats.bps_held++;
			splice_hold(p, dir, bw_bucket_wait_ms(&a->bw[dir], len - n, now), now);
		}
	}
	splice_count(p, dir, n);
	if ((p->held & (1u << dir)) || evbuffer_get_length(out) >= SPLICE_HIGH)
		bufferevent_disable(bev, EV_READ); /* until splice_written or splice_resume */
}

static void splice_read(struct bufferevent *bev, void *arg)
{
	splice_move(arg, bev);
}

/* The timer of a held pair: each side moves what its bucket now lets through. */
static void splice_resume(struct tcp_peer *p)
{
	struct bufferevent *sides[2] = {p->client, p->peer};

	p->held = 0;
	for (int i = 0; i < 2; i++) {
		struct bufferevent *to = other_side(p, sides[i]);

		splice_move(p, sides[i]);
		if (!(p->held & (1u << splice_dir(p, sides[i]))) &&
		    evbuffer_get_length(bufferevent_get_output(to)) < SPLICE_HIGH)
			bufferevent_enable(sides[i], EV_READ);
	}
}

/* Called when bev's output is down to SPLICE_LOW (or empty, when draining). */
static void splice_written(struct bufferevent *bev, void *arg)
{
	struct tcp_peer *p = arg;
	struct bufferevent *from = other_side(p, bev);

	if (p->state == PEER_DRAINING) {
		if (evbuffer_get_length(bufferevent_get_output(bev)) == 0)
			peer_free(p);
		return;
	}
	if (from && !(p->held & (1u << splice_dir(p, from))) &&
	    !(bufferevent_get_enabled(from) & EV_READ))
		bufferevent_enable(from, EV_READ);
}

static void splice_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_peer *p = arg;
	struct bufferevent *to = other_side(p, bev);

	if (!(what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)))
		return;
	/* what max-bps held back of a closing side goes out with the rest: one read at most */
	if (to && p->state == PEER_SPLICED) {
		splice_count(p, splice_dir(p, bev),
			     evbuffer_get_length(bufferevent_get_input(bev)));
		evbuffer_add_buffer(bufferevent_get_output(to), bufferevent_get_input(bev));
	}
	if (p->state == PEER_DRAINING || !to ||
	    evbuffer_get_length(bufferevent_get_output(to)) == 0) {
		peer_free(p);
		return;
	}
	/* one side is gone: the other gets what is queued for it, then closes */
	if (bev == p->peer)
		p->peer = NULL;
	else
		p->client = NULL;
	bufferevent_free(bev);
	p->state = PEER_DRAINING;
	bufferevent_disable(to, EV_READ);
	bufferevent_setwatermark(to, EV_WRITE, 0, 0);
	arm(p, DRAIN_S);
}

static void splice_start(struct tcp_peer *p)
{
	struct bufferevent *sides[2] = {p->peer, p->client};

	evtimer_del(p->timer);
	p->state = PEER_SPLICED;
	for (int i = 0; i < 2; i++) {
		bufferevent_setcb(sides[i], splice_read, splice_written, splice_event, p);
		bufferevent_setwatermark(sides[i], EV_WRITE, SPLICE_LOW, 0);
		bufferevent_enable(sides[i], EV_READ | EV_WRITE);
	}
}

/* Connect (RFC 6062 §5.2) */

static void connect_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_peer *p = arg;

	(void)bev;
	evtimer_del(p->timer);
	if ((what & BEV_EVENT_CONNECTED) && peer_wait(p) == 0) {
		answer_connect(p, 0);
		return;
	}
	answer_connect(p, TURN_ERR_CONNECTION_TIMEOUT_OR_FAILURE);
	peer_free(p);
}

/* A socket bound to the relayed address, for a connection to a peer. */
static int relay_bound_socket(const struct allocation *a)
{
	const union sockaddr_u *local = &a->relay[0].local;
	int fd, on = 1;

	fd = socket(local->sa.sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (local->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (relay_bind_device(fd, a->w->srv->cfg->relay_device) < 0 ||
	    bind(fd, &local->sa, addr_len(&local->sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int tcp_relay_connect(struct allocation *a, const union sockaddr_u *peer,
		      const struct turn_deferred *d)
{
	struct tcp_relay *t = a->tcp_relay;
	struct tcp_peer *p;
	int fd;

	for (p = t->peers; p; p = p->next)
		if (p->state != PEER_DRAINING && addr_equal(&p->addr.sa, &peer->sa))
			return TURN_ERR_CONNECTION_ALREADY_EXISTS;
	if (t->npeers >= SERVER_MAX_TCP_PEERS)
		return TURN_ERR_INSUFFICIENT_CAPACITY;
	fd = relay_bound_socket(a);
	if (fd < 0)
		return TURN_ERR_CONNECTION_TIMEOUT_OR_FAILURE;
	p = peer_new(a, peer);
	if (!p) {
		close(fd);
		return STUN_ERR_SERVER_ERROR;
	}
	p->state = PEER_CONNECTING;
	p->connect = malloc(sizeof(*p->connect));
	p->peer = bufferevent_socket_new(a->w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->peer)
		close(fd);
	/* no callback yet: a failure right away is answered by the caller */
	if (!p->connect || !p->peer ||
	    bufferevent_socket_connect(p->peer, (struct sockaddr *)&peer->sa,
				       (int)addr_len(&peer->sa)) < 0) {
		peer_free(p);
		return TURN_ERR_CONNECTION_TIMEOUT_OR_FAILURE;
	}
	*p->connect = *d;
	bufferevent_setcb(p->peer, NULL, NULL, connect_event, p);
	arm(p, SERVER_TCP_CONNECT_S);
	return 0;
}

/* Peers connecting to the relayed address (RFC 6062 §5.3) */

static void send_connection_attempt(struct tcp_peer *p)
{
	struct allocation *a = p->alloc;
	struct origin o = {.w = a->w, .tcp = a->tcp, .client = a->client};
	uint8_t buf[128], tid[STUN_TID_LEN];
	union sockaddr_u shown = p->addr;
	struct stun_builder b;
	size_t len;

	if (RAND_bytes(tid, sizeof(tid)) != 1)
		return;
	relay_peer_to_wire(&a->w->srv->relay, &shown);
	stun_build_start(&b, buf, sizeof(buf), TURN_CONNECTION_ATTEMPT, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &shown.sa);
	stun_put_u32(&b, STUN_ATTR_CONNECTION_ID, p->id);
	if (a->w->srv->cfg->fingerprint)
		stun_put_fingerprint(&b);
	len = stun_build_end(&b);
	if (len)
		worker_send_to_client(a->w, &o, buf, len);
}

static void relay_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			 int salen, void *arg)
{
	struct allocation *a = arg;
	struct worker *w = a->w;
	union sockaddr_u from;
	struct tcp_peer *p;
	int on = 1;

	(void)l;
	if ((size_t)salen > sizeof(from) ||
	    !alloc_find_perm(a, sa, clock_ms()) ||
	    a->tcp_relay->npeers >= SERVER_MAX_TCP_PEERS) {
		w->stats.no_permission++;
		evutil_closesocket(fd);
		return;
	}
	memset(&from, 0, sizeof(from));
	memcpy(&from, sa, (size_t)salen);
	p = peer_new(a, &from);
	if (!p) {
		evutil_closesocket(fd);
		return;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	p->peer = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!p->peer) {
		evutil_closesocket(fd);
		peer_free(p);
		return;
	}
	if (peer_wait(p) < 0) {
		peer_free(p);
		return;
	}
	send_connection_attempt(p);
}

/* ConnectionBind (RFC 6062 §5.4) */

int tcp_relay_bind(struct tcp_conn *c, uint32_t connection_id, const char *username)
{
	struct server *srv = c->w->srv;
	struct tcp_peer *p;
	int err = STUN_ERR_BAD_REQUEST;

	/* a connection that holds an allocation or is already bound stays what it is */
	if (c->alloc || c->bind_id)
		return STUN_ERR_BAD_REQUEST;
	pthread_mutex_lock(&srv->lock);
	p = pending_find_locked(srv, connection_id);
	if (p && strcmp(p->alloc->username, username) != 0) {
		err = TURN_ERR_WRONG_CREDENTIALS;
	} else if (p) {
		p->claimed = true;
		c->bind_id = connection_id;
		c->bind_to = p->alloc->w;
		err = 0;
	}
	pthread_mutex_unlock(&srv->lock);
	return err;
}

int tcp_relay_pending_client(struct server *srv, uint32_t connection_id, union sockaddr_u *out)
{
	struct tcp_peer *p;
	int ret = -1;

	/* a listed peer's allocation lives until its worker unlinks the peer (under the lock) */
	pthread_mutex_lock(&srv->lock);
	p = pending_find_locked(srv, connection_id);
	if (p) {
		*out = p->alloc->client;
		ret = 0;
	}
	pthread_mutex_unlock(&srv->lock);
	return ret;
}

static void handoff_free(struct tcp_handoff *h)
{
	if (!h)
		return;
	if (h->ssl)
		SSL_free(h->ssl);
	if (h->fd >= 0)
		close(h->fd);
	if (h->to_client)
		evbuffer_free(h->to_client);
	if (h->to_peer)
		evbuffer_free(h->to_peer);
	free(h);
}

/* Copies src to dst; evbuffer_peek() reads even a buffer frozen at its front. */
static int copy_out(struct evbuffer *dst, struct evbuffer *src)
{
	int n = evbuffer_peek(src, -1, NULL, NULL, 0), ret = 0;
	struct evbuffer_iovec *v;

	if (n <= 0)
		return n;
	v = calloc((size_t)n, sizeof(*v));
	if (!v)
		return -1;
	n = evbuffer_peek(src, -1, NULL, v, n);
	for (int i = 0; i < n && ret == 0; i++)
		ret = evbuffer_add(dst, v[i].iov_base, v[i].iov_len);
	free(v);
	return ret;
}

void tcp_relay_take_conn(struct tcp_conn *c)
{
	struct server *srv = c->w->srv;
	struct worker *to = c->bind_to;
	struct tcp_handoff *h = calloc(1, sizeof(*h));

	if (!h)
		return;
	h->fd = -1;
	h->id = c->bind_id;
	h->to_client = evbuffer_new();
	h->to_peer = evbuffer_new();
	/* off this worker's event loop before the socket moves */
	bufferevent_disable(c->bev, EV_READ | EV_WRITE);
	h->fd = fcntl(bufferevent_getfd(c->bev), F_DUPFD_CLOEXEC, 0);
	if (!h->to_client || !h->to_peer || h->fd < 0)
		goto fail;
	/* copied: the buffers of a bufferevent are frozen at one end */
	if (copy_out(h->to_client, bufferevent_get_output(c->bev)) < 0 ||
	    copy_out(h->to_peer, bufferevent_get_input(c->bev)) < 0)
		goto fail;
	/* TLS: the session goes along (c's bufferevent never frees it) */
	h->ssl = c->ssl;
	c->ssl = NULL;
	pthread_mutex_lock(&srv->lock);
	if (to->handoff_closed) {
		pthread_mutex_unlock(&srv->lock);
		goto fail;
	}
	h->next = to->handoffs;
	to->handoffs = h;
	event_active(to->handoff_ev, EV_READ, 0);
	pthread_mutex_unlock(&srv->lock);
	return;
fail:
	handoff_free(h);
}

/* On the allocation's worker: splices a handed-over client data connection. */
static void handoff_accept(struct worker *w, struct tcp_handoff *h)
{
	struct server *srv = w->srv;
	struct tcp_peer *p;
	int on = 1;

	pthread_mutex_lock(&srv->lock);
	for (p = srv->tcp_pending; p; p = p->pending_next)
		if (p->id == h->id && p->claimed && p->alloc->w == w)
			break;
	if (p)
		pending_unlink_locked(srv, p);
	pthread_mutex_unlock(&srv->lock);
	if (!p) {
		/* the peer connection closed or timed out meanwhile */
		handoff_free(h);
		return;
	}
	setsockopt(h->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (h->ssl) {
		SSL *ssl = h->ssl;

		/* the session's socket BIO named the first worker's descriptor */
		SSL_set_bio(ssl, NULL, NULL);
		h->ssl = NULL; /* the bufferevent owns it, even when it fails */
		p->client = bufferevent_openssl_socket_new(w->base, h->fd, ssl,
							   BUFFEREVENT_SSL_OPEN,
							   BEV_OPT_CLOSE_ON_FREE);
		if (p->client)
			bufferevent_openssl_set_allow_dirty_shutdown(p->client, 1);
	} else {
		p->client = bufferevent_socket_new(w->base, h->fd, BEV_OPT_CLOSE_ON_FREE);
	}
	if (!p->client) {
		handoff_free(h);
		peer_free(p);
		return;
	}
	h->fd = -1;
	bufferevent_write_buffer(p->client, h->to_client);
	splice_count(p, BW_TO_PEER, evbuffer_get_length(h->to_peer));
	bufferevent_write_buffer(p->peer, h->to_peer);
	handoff_free(h);
	splice_start(p);
}

static void handoff_run(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct tcp_handoff *h, *next;

	(void)fd;
	(void)what;
	pthread_mutex_lock(&w->srv->lock);
	h = w->handoffs;
	w->handoffs = NULL;
	pthread_mutex_unlock(&w->srv->lock);
	for (; h; h = next) {
		next = h->next;
		handoff_accept(w, h);
	}
}

/* Setup and teardown */

int tcp_relay_start(struct allocation *a)
{
	a->tcp_relay = calloc(1, sizeof(*a->tcp_relay));
	return a->tcp_relay ? 0 : -1;
}

int tcp_relay_listen(struct allocation *a)
{
	struct tcp_relay *t = a->tcp_relay;

	/* the fd stays the allocation's: alloc_free() closes it */
	t->listener = evconnlistener_new(a->w->base, relay_accept, a, LEV_OPT_CLOSE_ON_EXEC, 16,
					 a->relay[0].fd);
	return t->listener ? 0 : -1;
}

void tcp_relay_free(struct allocation *a)
{
	struct tcp_relay *t = a->tcp_relay;

	while (t->peers)
		peer_free(t->peers);
	if (t->listener)
		evconnlistener_free(t->listener);
	free(t);
	a->tcp_relay = NULL;
}

int tcp_relay_worker_init(struct worker *w)
{
	w->handoff_ev = event_new(w->base, -1, 0, handoff_run, w);
	return w->handoff_ev ? 0 : -1;
}

void tcp_relay_worker_free(struct worker *w)
{
	struct tcp_handoff *h, *next;

	pthread_mutex_lock(&w->srv->lock);
	w->handoff_closed = true;
	h = w->handoffs;
	w->handoffs = NULL;
	pthread_mutex_unlock(&w->srv->lock);
	for (; h; h = next) {
		next = h->next;
		handoff_free(h);
	}
	if (w->handoff_ev)
		event_free(w->handoff_ev);
	w->handoff_ev = NULL;
}
