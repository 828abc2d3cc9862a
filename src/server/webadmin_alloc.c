/*
 * webadmin_alloc.c - the admin interface's view of the allocations.
 *
 * An allocation belongs to its worker, which touches it without a lock.
 * So the interface's thread never reads one: it posts a job to each
 * worker's loop (event_base_once(), thread-safe under evthread), and the
 * worker copies what the page shows, or ends the allocation, on its own
 * thread. The interface's thread waits for the answers at most
 * WEBADMIN_JOB_WAIT_MS; a job is freed by whoever lets go of it last.
 */
#include "server/webadmin_internal.h"

#include "common/clock.h"
#include "common/log.h"
#include "server/dtls.h"
#include "server/server.h"

#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WEBADMIN_JOB_WAIT_MS 2000

struct job;

struct job_part {
	struct job *job;
	struct worker *w;
};

struct job {
	pthread_mutex_t lock;
	pthread_cond_t done;
	int refs;	     /* the waiter, and each worker yet to run its part */
	int pending;	     /* parts not run yet */
	uint64_t cancel_id;  /* 0: collect */
	int cancelled;	     /* cancel: 1 when found and ended */
	struct webadmin_allocs out;
	struct job_part *parts;
};

static void job_unref(struct job *j)
{
	bool last;

	pthread_mutex_lock(&j->lock);
	last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (!last)
		return;
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->done);
	free(j->out.v);
	free(j->parts);
	free(j);
}

static const char *alloc_transport(const struct allocation *a)
{
	if (a->dtls)
		return "DTLS";
	if (a->tcp)
		return a->tcp->ssl ? "TLS" : "TCP";
	return "UDP";
}

static void alloc_copy(const struct allocation *a, uint64_t now, struct webadmin_alloc *o)
{
	size_t ulen = strlen(a->username);

	memset(o, 0, sizeof(*o));
	o->id = a->id;
	o->user_cut = ulen >= sizeof(o->user);
	memcpy(o->user, a->username, o->user_cut ? sizeof(o->user) - 1 : ulen);
	o->client = a->client;
	for (int i = 0; i < a->nrelay && i < 2; i++)
		o->relay[o->nrelay++] = a->relay[i].local;
	o->transport = alloc_transport(a);
	o->tcp_relay = a->tcp_relay != NULL;
	o->lifetime_left_s = a->expires_ms > now ? (uint32_t)((a->expires_ms - now) / 1000) : 0;
	o->age_s = now > a->created_ms ? (now - a->created_ms) / 1000 : 0;
	for (int d = 0; d < 2; d++) {
		o->pkts[d] = a->user_pkts[d] + a->kernel_pkts[d];
		o->bytes[d] = a->user_bytes[d] + a->kernel_bytes[d];
		o->kernel_pkts[d] = a->kernel_pkts[d];
	}
	for (uint16_t i = 0; i < a->nchans; i++)
		if (a->chans[i].offload_id || a->chans[i].joined)
			o->kernel = true;
	o->perms = a->nperms;
	o->chans = a->nchans;
}

/* Ends a as if its lifetime had run out; a TCP or TLS client's connection closes with it. */
static void alloc_cancel(struct allocation *a)
{
	char buf[ADDR_STRLEN], user[128];

	log_info("web-admin: allocation of %s for '%s' cancelled",
		 addr_str(&a->client.sa, buf, sizeof(buf)), log_safe(a->username, user, sizeof(user)));
	if (a->tcp)
		worker_tcp_close(a->tcp);
	else if (a->dtls)
		dtls_session_end(a->dtls);
	else
		alloc_free(a);
}

/* On worker p->w's thread. */
static void job_run(evutil_socket_t fd, short what, void *arg)
{
	struct job_part *p = arg;
	struct job *j = p->job;
	uint64_t now = clock_ms();

	(void)fd;
	(void)what;
	pthread_mutex_lock(&j->lock);
	for (struct allocation *a = p->w->allocs, *next; a; a = next) {
		next = a->lnext;
		if (j->cancel_id) {
			if (a->id == j->cancel_id) {
				alloc_cancel(a);
				j->cancelled = 1;
				break;
			}
			continue;
		}
		j->out.total++;
		if (j->out.n < WEBADMIN_MAX_ALLOCS)
			alloc_copy(a, now, &j->out.v[j->out.n++]);
	}
	if (--j->pending == 0)
		pthread_cond_signal(&j->done);
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
}

/* Posts j to the workers (all, or only the one owning cancel_id) and waits: 0 or -1. */
static int job_post(struct webadmin *wa, struct job *j)
{
	struct server *srv = wa->srv;
	struct timeval now0 = {0, 0};
	struct timespec until;
	int rc = 0, first = 0, last = srv->nworkers;

	if (j->cancel_id) {
		first = (int)(j->cancel_id >> 48);
		if (first >= srv->nworkers)
			return -1;
		last = first + 1;
	}
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += WEBADMIN_JOB_WAIT_MS / 1000;
	pthread_mutex_lock(&j->lock);
	for (int i = first; i < last; i++) {
		j->parts[i].job = j;
		j->parts[i].w = &srv->workers[i];
		j->refs++;
		j->pending++;
		if (event_base_once(srv->workers[i].base, -1, EV_TIMEOUT, job_run, &j->parts[i],
				    &now0) < 0) {
			j->refs--;
			j->pending--;
			rc = -1;
		}
	}
	while (j->pending > 0 && rc == 0)
		if (pthread_cond_timedwait(&j->done, &j->lock, &until) == ETIMEDOUT)
			rc = -1;
	pthread_mutex_unlock(&j->lock);
	return rc;
}

static struct job *job_new(struct webadmin *wa, uint64_t cancel_id)
{
	struct job *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->refs = 1;
	j->cancel_id = cancel_id;
	j->parts = calloc((size_t)wa->srv->nworkers, sizeof(*j->parts));
	j->out.v = cancel_id ? NULL : calloc(WEBADMIN_MAX_ALLOCS, sizeof(*j->out.v));
	if (!j->parts || (!cancel_id && !j->out.v) || pthread_mutex_init(&j->lock, NULL) != 0) {
		free(j->parts);
		free(j->out.v);
		free(j);
		return NULL;
	}
	if (pthread_cond_init(&j->done, NULL) != 0) {
		pthread_mutex_destroy(&j->lock);
		free(j->parts);
		free(j->out.v);
		free(j);
		return NULL;
	}
	return j;
}

int webadmin_allocs_collect(struct webadmin *wa, struct webadmin_allocs *out)
{
	struct job *j = job_new(wa, 0);
	int rc;

	memset(out, 0, sizeof(*out));
	if (!j)
		return -1;
	rc = job_post(wa, j);
	pthread_mutex_lock(&j->lock);
	if (rc == 0) {
		*out = j->out;
		j->out.v = NULL;
	}
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
	return rc;
}

void webadmin_allocs_free(struct webadmin_allocs *a)
{
	free(a->v);
	memset(a, 0, sizeof(*a));
}

int webadmin_alloc_cancel(struct webadmin *wa, uint64_t id)
{
	struct job *j = id ? job_new(wa, id) : NULL;
	int rc;

	if (!j)
		return -1;
	rc = job_post(wa, j);
	pthread_mutex_lock(&j->lock);
	if (rc == 0 && !j->cancelled)
		rc = -1;
	pthread_mutex_unlock(&j->lock);
	job_unref(j);
	return rc;
}
