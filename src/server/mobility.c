/*
 * mobility.c - RFC 8016 mobility (`mobility`): a UDP allocation that asked
 * for it (an empty MOBILITY-TICKET in its Allocate) gets a ticket, and a
 * Refresh that carries the ticket from another client address moves the
 * allocation there: relayed data follows, the relay address stays. The
 * move is make-before-break (§3.2): the old address keeps the allocation,
 * both ways, until the client sends from the new one.
 *
 * A ticket is 18 random bytes in base64 (24 characters, no NUL: coturn's
 * client keeps it as a string), valid for one move: every answer that
 * carries one issues a new one (§3.2). The server keeps the tickets of live
 * allocations in one table under srv->lock, so a ticket names nothing once
 * its allocation is gone, and the Refresh must also authenticate as the
 * allocation's user (441 otherwise).
 *
 * Workers: the kernel hashes a client's new address to any worker's
 * SO_REUSEPORT socket. That worker authenticates the Refresh and hands it
 * to the allocation's owner (a job on the owner's queue), which answers it
 * through the new address's worker: that one keeps the address as a
 * pending move, then sends the answer. The first datagram from the new
 * address goes to the owner, which takes the allocation off its loop
 * (alloc_detach) and hands it over with the datagram; the new address's
 * worker attaches it (alloc_attach), runs the datagram, and runs the
 * allocation from then on. Jobs are FIFO per worker, so datagrams handed
 * over meanwhile follow the allocation in order.
 */
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/server.h"

#define MOBILITY_BUCKETS 1024 /* chains of tickets; their bytes are random */

struct mobility {
	struct allocation *bucket[MOBILITY_BUCKETS];
};

#define MOBILITY_PENDING_MAX 256 /* moves under way to one worker's addresses */
#define MOBILITY_FORWARD_MAX 64	 /* datagrams of one handed over before it arrives */

/*
 * What one worker hands another (client: the new address, on listener
 * lsn_idx; via: the worker whose socket that address reaches):
 *  - REFRESH: a Refresh with a ticket, authenticated, to the owner;
 *  - PENDING: to via, the move: datagrams from client are the allocation's
 *    with ticket; then the Refresh's answer (buf) goes out;
 *  - DATAGRAM: a datagram (buf) from client, to the owner, which hands the
 *    allocation over to via (with the datagram: ADOPT), or to via when it
 *    is there already;
 *  - ADOPT: the allocation a, to attach, then the datagram to run.
 */
enum mobility_job_kind { MOBILITY_REFRESH, MOBILITY_PENDING, MOBILITY_DATAGRAM, MOBILITY_ADOPT };

struct mobility_job {
	struct mobility_job *next;
	enum mobility_job_kind kind;
	int lsn_idx; /* the listener (same index on every worker) */
	struct worker *via;
	union sockaddr_u client, local;
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN]; /* PENDING, DATAGRAM */
	struct allocation *a;			  /* ADOPT */
	struct auth_result auth;		  /* REFRESH: as the receiving worker checked it */
	size_t len;
	uint8_t buf[];
};

/* A job's key (the user's, for the answer's integrity) does not outlive it. */
static void job_free(struct mobility_job *job)
{
	OPENSSL_cleanse(&job->auth, sizeof(job->auth));
	free(job);
}

/* FNV-1a: the characters carry 6 random bits each. */
static uint32_t ticket_slot(const uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < STUN_MOBILITY_TICKET_LEN; i++)
		h = (h ^ ticket[i]) * 16777619u;
	return h & (MOBILITY_BUCKETS - 1);
}

int mobility_init(struct server *srv)
{
	if (!srv->cfg->mobility)
		return 0;
	srv->mobility = calloc(1, sizeof(*srv->mobility));
	return srv->mobility ? 0 : -1;
}

void mobility_free(struct server *srv)
{
	free(srv->mobility);
	srv->mobility = NULL;
}

/* Under srv->lock. */
static void ticket_unlink(struct mobility *mt, struct allocation *a)
{
	struct allocation **pp = &mt->bucket[ticket_slot(a->ticket)];

	for (; *pp; pp = &(*pp)->ticket_next) {
		if (*pp == a) {
			*pp = a->ticket_next;
			a->ticket_next = NULL;
			return;
		}
	}
}

/* Under srv->lock. */
static struct allocation *ticket_lookup(struct mobility *mt,
					const uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	struct allocation *a = mt->bucket[ticket_slot(ticket)];

	for (; a; a = a->ticket_next)
		if (memcmp(a->ticket, ticket, STUN_MOBILITY_TICKET_LEN) == 0)
			return a;
	return NULL;
}

int mobility_issue(struct allocation *a)
{
	struct server *srv = a->w->srv;
	uint8_t raw[STUN_MOBILITY_TICKET_LEN / 4 * 3], text[STUN_MOBILITY_TICKET_LEN + 1];
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN];
	struct mobility *mt = srv->mobility;
	uint32_t slot;

	if (!mt || RAND_bytes(raw, sizeof(raw)) != 1 ||
	    EVP_EncodeBlock(text, raw, (int)sizeof(raw)) != STUN_MOBILITY_TICKET_LEN)
		return -1;
	memcpy(ticket, text, sizeof(ticket));
	pthread_mutex_lock(&srv->lock);
	/* 2^-128 a pair: a repeat is refused rather than shared */
	if (ticket_lookup(mt, ticket)) {
		pthread_mutex_unlock(&srv->lock);
		return -1;
	}
	if (a->mobile)
		ticket_unlink(mt, a);
	memcpy(a->ticket, ticket, sizeof(ticket));
	slot = ticket_slot(ticket);
	a->ticket_next = mt->bucket[slot];
	mt->bucket[slot] = a;
	a->mobile = true;
	pthread_mutex_unlock(&srv->lock);
	return 0;
}

void mobility_forget(struct allocation *a)
{
	struct server *srv = a->w->srv;

	pthread_mutex_lock(&srv->lock);
	ticket_unlink(srv->mobility, a);
	a->mobile = false;
	pthread_mutex_unlock(&srv->lock);
}

struct worker *mobility_owner(struct server *srv, const uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	struct allocation *a;
	struct worker *w = NULL;

	if (!srv->mobility)
		return NULL;
	pthread_mutex_lock(&srv->lock);
	a = ticket_lookup(srv->mobility, ticket);
	if (a)
		w = a->w; /* written under this lock when it is handed over */
	pthread_mutex_unlock(&srv->lock);
	return w;
}

struct allocation *mobility_find(struct worker *w, const uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	struct allocation *a;

	if (!w->srv->mobility)
		return NULL;
	pthread_mutex_lock(&w->srv->lock);
	a = ticket_lookup(w->srv->mobility, ticket);
	if (a && a->w != w)
		a = NULL;
	pthread_mutex_unlock(&w->srv->lock);
	return a;
}

/* Queues job on to: true, or false when to has stopped (the caller keeps job). */
static bool job_post(struct worker *to, struct mobility_job *job, struct allocation *a)
{
	struct server *srv = to->srv;

	pthread_mutex_lock(&srv->lock);
	if (to->mobility_closed) {
		pthread_mutex_unlock(&srv->lock);
		return false;
	}
	if (a)
		a->w = to; /* mobility_owner() sends its Refreshes there from now on */
	job->next = NULL;
	*to->mobility_tail = job;
	to->mobility_tail = &job->next;
	event_active(to->mobility_ev, EV_READ, 0);
	pthread_mutex_unlock(&srv->lock);
	return true;
}

static struct mobility_job *job_new(enum mobility_job_kind kind, const struct origin *o,
				    const uint8_t *buf, size_t len);

int mobility_forward(const struct origin *o, struct worker *to, const struct stun_msg *m,
		     const struct auth_result *auth)
{
	struct mobility_job *job = job_new(MOBILITY_REFRESH, o, m->buf, m->len);

	if (!job)
		return -1;
	job->auth = *auth;
	if (!job_post(to, job, NULL)) {
		job_free(job);
		return -1;
	}
	return 0;
}

/* Pending moves of worker w (its thread only) */

struct mobility_pending {
	struct mobility_pending *next;
	int lsn_idx;
	union sockaddr_u client;
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN]; /* the allocation's, as it moves */
	uint64_t expires_ms;
	unsigned int forwarded; /* datagrams handed to the owner so far */
};

static void pending_unlink(struct worker *w, struct mobility_pending **pp)
{
	struct mobility_pending *p = *pp;

	*pp = p->next;
	w->mobility_npending--;
	free(p);
}

/* The pending move to client on listener lsn_idx (expired ones go as it looks). */
static struct mobility_pending **pending_find(struct worker *w, int lsn_idx,
					      const union sockaddr_u *client, uint64_t now)
{
	struct mobility_pending **pp = &w->mobility_pending;

	while (*pp) {
		if ((*pp)->expires_ms <= now) {
			pending_unlink(w, pp);
			continue;
		}
		if ((*pp)->lsn_idx == lsn_idx && addr_equal(&(*pp)->client.sa, &client->sa))
			return pp;
		pp = &(*pp)->next;
	}
	return NULL;
}

/* Datagrams from client on lsn_idx are the allocation holding ticket's: 0 or -1. */
static int pending_add(struct worker *w, int lsn_idx, const union sockaddr_u *client,
		       const uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	uint64_t now = clock_ms();
	struct mobility_pending **pp = pending_find(w, lsn_idx, client, now);
	struct mobility_pending *p = pp ? *pp : NULL;

	if (!p) {
		if (w->mobility_npending >= MOBILITY_PENDING_MAX) {
			/* the oldest lapses: new ones go in at the head */
			pp = &w->mobility_pending;
			while ((*pp)->next)
				pp = &(*pp)->next;
			pending_unlink(w, pp);
		}
		p = calloc(1, sizeof(*p));
		if (!p)
			return -1;
		p->lsn_idx = lsn_idx;
		p->client = *client;
		p->next = w->mobility_pending;
		w->mobility_pending = p;
		w->mobility_npending++;
	}
	memcpy(p->ticket, ticket, STUN_MOBILITY_TICKET_LEN);
	p->expires_ms = now + MOBILITY_MOVE_MS;
	p->forwarded = 0;
	return 0;
}

static void pending_remove(struct worker *w, int lsn_idx, const union sockaddr_u *client)
{
	struct mobility_pending **pp = pending_find(w, lsn_idx, client, clock_ms());

	if (pp)
		pending_unlink(w, pp);
}

static void log_move(const struct allocation *a, const union sockaddr_u *to, int from_w, int to_w)
{
	char from[ADDR_STRLEN], dst[ADDR_STRLEN], user[128];

	if (worker_log_ok(a->w))
		log_info("allocation for '%s' moved from %s to %s (mobility, worker %d to %d)",
			 log_safe(a->username, user, sizeof(user)),
			 addr_str(&a->client.sa, from, sizeof(from)),
			 addr_str(&to->sa, dst, sizeof(dst)), from_w, to_w);
}

static struct mobility_job *job_new(enum mobility_job_kind kind, const struct origin *o,
				    const uint8_t *buf, size_t len)
{
	struct mobility_job *job = calloc(1, sizeof(*job) + len);

	if (!job)
		return NULL;
	job->kind = kind;
	job->lsn_idx = (int)(o->lsn - o->w->udp);
	job->via = o->via ? o->via : o->w;
	job->client = o->client;
	job->local = o->local;
	job->len = len;
	if (len)
		memcpy(job->buf, buf, len);
	return job;
}

void mobility_begin_move(struct allocation *a, const struct origin *o, const uint8_t *resp,
			 size_t len)
{
	struct worker *to = o->via ? o->via : o->w;
	struct mobility_job *job;

	a->moving = true;
	a->move_client = o->client;
	if (to == a->w) {
		if (pending_add(to, (int)(o->lsn - o->w->udp), &o->client, a->ticket) == 0 && len)
			worker_send_to_client(o->w, o, resp, len);
		return;
	}
	job = job_new(MOBILITY_PENDING, o, resp, len);
	if (!job)
		return;
	memcpy(job->ticket, a->ticket, sizeof(job->ticket));
	if (!job_post(to, job, NULL))
		job_free(job);
}

/* a, on w, takes the client address of its pending move (lsn, from) and datagram buf. */
static void move_here(struct worker *w, struct allocation *a, struct udp_listener *lsn,
		      const union sockaddr_u *from, const uint8_t *buf, size_t len)
{
	struct origin o = {.w = w, .lsn = lsn, .client = *from, .local = lsn->local};

	log_move(a, from, w->id, w->id);
	a->moving = false;
	pending_remove(w, (int)(lsn - w->udp), from);
	alloc_rehome(a, &o);
	worker_udp_datagram(w, lsn, from, a, buf, len);
}

bool mobility_datagram(struct worker *w, struct udp_listener *lsn, const union sockaddr_u *from,
		       const uint8_t *buf, size_t len)
{
	struct mobility_pending **pp = pending_find(w, (int)(lsn - w->udp), from, clock_ms());
	struct origin o = {.w = w, .lsn = lsn, .client = *from, .local = lsn->local};
	struct mobility_job *job;
	struct worker *owner;
	struct allocation *a;

	if (!pp)
		return false;
	owner = mobility_owner(w->srv, (*pp)->ticket);
	if (owner == w) {
		a = mobility_find(w, (*pp)->ticket);
		if (a && a->moving && addr_equal(&a->move_client.sa, &from->sa)) {
			move_here(w, a, lsn, from, buf, len);
			return true;
		}
	}
	if (!owner || owner == w) {
		/* its allocation went, or moves elsewhere now */
		pending_unlink(w, pp);
		return false;
	}
	/* RFC 8016 §3.2: the client sends from here: the allocation comes */
	if ((*pp)->forwarded >= MOBILITY_FORWARD_MAX) {
		w->stats.no_allocation++;
		return true;
	}
	job = job_new(MOBILITY_DATAGRAM, &o, buf, len);
	if (!job)
		return true;
	memcpy(job->ticket, (*pp)->ticket, sizeof(job->ticket));
	if (job_post(owner, job, NULL))
		(*pp)->forwarded++;
	else
		job_free(job);
	return true;
}

/*
 * A datagram from an address an allocation moves to, on the allocation's
 * worker (or where it went since): the allocation goes to job->via with
 * it. True when the job was queued again (not to be freed).
 */
static bool datagram_run(struct worker *w, struct mobility_job *job)
{
	struct allocation *a = mobility_find(w, job->ticket);
	struct worker *owner;

	if (a && a->lsn == &w->udp[job->lsn_idx] && addr_equal(&a->client.sa, &job->client.sa)) {
		/* queued before the allocation came here (w is job->via) */
		worker_udp_datagram(w, a->lsn, &job->client, a, job->buf, job->len);
		return false;
	}
	if (!a) {
		owner = mobility_owner(w->srv, job->ticket);
		return owner && owner != w && job_post(owner, job, NULL);
	}
	if (!a->moving || !addr_equal(&a->move_client.sa, &job->client.sa))
		return false;
	if (job->via == w) {
		move_here(w, a, &w->udp[job->lsn_idx], &job->client, job->buf, job->len);
		return false;
	}
	log_move(a, &job->client, w->id, job->via->id);
	a->moving = false;
	alloc_detach(a);
	a->client = job->client;
	job->kind = MOBILITY_ADOPT;
	job->a = a;
	if (job_post(job->via, job, a))
		return true;
	/* the server is stopping: the allocation ends here */
	alloc_free(a);
	return false;
}

/* Runs job on w: true when it was queued again (not to be freed). */
static bool job_run(struct worker *w, struct mobility_job *job)
{
	struct udp_listener *lsn = &w->udp[job->lsn_idx];
	struct origin o = {
	    .w = w, .lsn = lsn, .client = job->client, .local = job->local, .via = job->via};
	char buf[ADDR_STRLEN];

	switch (job->kind) {
	case MOBILITY_REFRESH:
		turn_handle_mobile_refresh(&o, job->buf, job->len, &job->auth);
		return false;
	case MOBILITY_PENDING:
		/* the Refresh's answer once datagrams from there reach the allocation */
		if (pending_add(w, job->lsn_idx, &job->client, job->ticket) == 0 && job->len)
			worker_send_to_client(w, &o, job->buf, job->len);
		return false;
	case MOBILITY_DATAGRAM:
		return datagram_run(w, job);
	case MOBILITY_ADOPT:
		pending_remove(w, job->lsn_idx, &job->client);
		/* the address allocated for itself meanwhile: it keeps that one */
		if (worker_find_udp_alloc(w, lsn, &job->client)) {
			alloc_free(job->a);
			return false;
		}
		if (alloc_attach(job->a, w, job->lsn_idx) < 0) {
			if (worker_log_ok(w))
				log_warn(
				    "mobility: the allocation of %s could not move to worker %d",
				    addr_str(&job->client.sa, buf, sizeof(buf)), w->id);
			return false;
		}
		worker_udp_datagram(w, lsn, &job->client, job->a, job->buf, job->len);
		return false;
	}
	return false;
}

/* w's queue, emptied; with close, nothing is queued there any more. */
static struct mobility_job *jobs_take(struct worker *w, bool close)
{
	struct mobility_job *jobs;

	pthread_mutex_lock(&w->srv->lock);
	if (close)
		w->mobility_closed = true;
	jobs = w->mobility_jobs;
	w->mobility_jobs = NULL;
	w->mobility_tail = &w->mobility_jobs;
	pthread_mutex_unlock(&w->srv->lock);
	return jobs;
}

static void mobility_run(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	struct mobility_job *job, *next;

	(void)fd;
	(void)what;
	for (job = jobs_take(w, false); job; job = next) {
		next = job->next;
		if (!job_run(w, job))
			job_free(job);
	}
}

int mobility_worker_init(struct worker *w)
{
	w->mobility_jobs = NULL;
	w->mobility_tail = &w->mobility_jobs;
	if (!w->srv->mobility)
		return 0;
	w->mobility_ev = event_new(w->base, -1, 0, mobility_run, w);
	return w->mobility_ev ? 0 : -1;
}

void mobility_worker_free(struct worker *w)
{
	struct mobility_job *job, *next;

	if (!w->srv)
		return;
	for (job = jobs_take(w, true); job; job = next) {
		next = job->next;
		if (job->kind == MOBILITY_ADOPT)
			alloc_free(job->a);
		job_free(job);
	}
	while (w->mobility_pending)
		pending_unlink(w, &w->mobility_pending);
	if (w->mobility_ev)
		event_free(w->mobility_ev);
	w->mobility_ev = NULL;
}
