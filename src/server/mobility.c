/*
 * mobility.c - RFC 8016 mobility (`mobility`): a UDP allocation that asked
 * for it (an empty MOBILITY-TICKET in its Allocate) gets a ticket, and a
 * Refresh that carries the ticket from another client address moves the
 * allocation there: relayed data follows, the relay address stays.
 *
 * A ticket is 16 random bytes, valid for one move: every answer that
 * carries one issues a new one (§3.2). The server keeps the tickets of live
 * allocations in one table under srv->lock, so a ticket names nothing once
 * its allocation is gone, and the Refresh must also authenticate as the
 * allocation's user (441 otherwise).
 *
 * Workers: the kernel hashes a client's new address to any worker's
 * SO_REUSEPORT socket. That worker authenticates the Refresh and hands it
 * to the allocation's owner (a job on the owner's queue), which answers it,
 * takes the allocation off its loop (alloc_detach) and hands it back in a
 * second job; the worker whose socket the new address reaches attaches it
 * (alloc_attach) and runs it from then on. Jobs are FIFO per worker.
 */
#include <event2/event.h>
#include <openssl/crypto.h>
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

enum mobility_job_kind { MOBILITY_REFRESH, MOBILITY_ADOPT };

struct mobility_job {
	struct mobility_job *next;
	enum mobility_job_kind kind;
	int lsn_idx;	    /* the listener (same index on every worker) */
	struct worker *via; /* REFRESH: the worker whose socket took it */
	union sockaddr_u client, local;
	struct allocation *a;	 /* ADOPT */
	struct auth_result auth; /* REFRESH: as the receiving worker checked it */
	size_t len;
	uint8_t buf[]; /* REFRESH: the request; ADOPT: the answer to send once attached */
};

/* A job's key (the user's, for the answer's integrity) does not outlive it. */
static void job_free(struct mobility_job *job)
{
	OPENSSL_cleanse(&job->auth, sizeof(job->auth));
	free(job);
}

static uint32_t ticket_slot(const uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	uint32_t h;

	memcpy(&h, ticket, sizeof(h));
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
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN];
	struct mobility *mt = srv->mobility;
	uint32_t slot;

	if (!mt || RAND_bytes(ticket, sizeof(ticket)) != 1)
		return -1;
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

int mobility_forward(const struct origin *o, struct worker *to, const struct stun_msg *m,
		     const struct auth_result *auth)
{
	struct mobility_job *job = calloc(1, sizeof(*job) + m->len);

	if (!job)
		return -1;
	job->kind = MOBILITY_REFRESH;
	job->lsn_idx = (int)(o->lsn - o->w->udp);
	job->via = o->via ? o->via : o->w;
	job->client = o->client;
	job->local = o->local;
	job->auth = *auth;
	job->len = m->len;
	memcpy(job->buf, m->buf, m->len);
	if (!job_post(to, job, NULL)) {
		job_free(job);
		return -1;
	}
	return 0;
}

void mobility_relocate(struct allocation *a, const struct origin *o, const uint8_t *resp,
		       size_t len)
{
	struct worker *to = o->via ? o->via : o->w;
	struct mobility_job *job;

	if (to == a->w) {
		alloc_rehome(a, o);
		if (len)
			worker_send_to_client(o->w, o, resp, len);
		return;
	}
	job = calloc(1, sizeof(*job) + len);
	if (!job) {
		alloc_free(a);
		return;
	}
	job->kind = MOBILITY_ADOPT;
	job->lsn_idx = (int)(o->lsn - o->w->udp);
	job->client = o->client;
	job->local = o->local;
	job->len = len;
	memcpy(job->buf, resp, len);
	alloc_detach(a);
	a->client = o->client;
	job->a = a;
	if (!job_post(to, job, a)) {
		/* the server is stopping: the allocation ends here */
		free(job);
		alloc_free(a);
	}
}

static void job_run(struct worker *w, struct mobility_job *job)
{
	struct origin o = {.w = w,
			   .lsn = &w->udp[job->lsn_idx],
			   .client = job->client,
			   .local = job->local,
			   .via = job->via};
	char buf[ADDR_STRLEN];

	if (job->kind == MOBILITY_REFRESH) {
		turn_handle_mobile_refresh(&o, job->buf, job->len, &job->auth);
		return;
	}
	if (alloc_attach(job->a, w, job->lsn_idx) < 0) {
		if (worker_log_ok(w))
			log_warn("mobility: the allocation of %s could not move to worker %d",
				 addr_str(&job->client.sa, buf, sizeof(buf)), w->id);
		return;
	}
	if (job->len)
		worker_send_to_client(w, &o, job->buf, job->len);
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
		job_run(w, job);
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
	if (w->mobility_ev)
		event_free(w->mobility_ev);
	w->mobility_ev = NULL;
}
