/*
 * worker_gauges.c - the permissions and channels live now, per worker.
 *
 * A permission (RFC 8656 §9) or channel (§12) ends by expiring, which no
 * event marks: its slot just stops counting and is reused later. So rather
 * than keep a count on every path, the worker walks its allocations every
 * WORKER_GAUGES_MS on its own thread and stores the totals in its stats
 * (metrics.c reads them with relaxed loads). The gauges are at most that
 * old; the walk is a few compares per permission and channel.
 */
#include <event2/event.h>

#include "common/clock.h"
#include "server/server.h"

void worker_gauges_count(struct worker *w, uint64_t now)
{
	uint64_t perms = 0, chans = 0;

	for (const struct allocation *a = w->allocs; a; a = a->lnext) {
		for (int i = 0; i < a->nperms; i++)
			perms += a->perms[i].expires_ms > now;
		for (int i = 0; i < a->nchans; i++)
			chans += a->chans[i].expires_ms > now;
	}
	w->stats.permissions_now = perms;
	w->stats.channels_now = chans;
}

static void worker_gauges_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	worker_gauges_count(arg, clock_ms());
}

int worker_gauges_init(struct worker *w)
{
	struct timeval tv = {.tv_sec = WORKER_GAUGES_MS / 1000,
			     .tv_usec = (WORKER_GAUGES_MS % 1000) * 1000};

	w->gauges_ev = event_new(w->base, -1, EV_PERSIST, worker_gauges_tick, w);
	if (!w->gauges_ev || evtimer_add(w->gauges_ev, &tv) < 0)
		return -1;
	return 0;
}

void worker_gauges_free(struct worker *w)
{
	if (w->gauges_ev)
		event_free(w->gauges_ev);
	w->gauges_ev = NULL;
}
