/*
 * store_stats.c - the user store's lookups in the worker's stats: found,
 * not found or failed, and a histogram of their durations (metrics.c
 * exports turnserver_store_lookups_total and
 * turnserver_store_lookup_duration_seconds). A lookup answered from a
 * worker's cache is not one; a Redis lookup refused at once while the
 * store is down is counted as an error but not timed (store.c).
 */
#include "common/clock.h"
#include "server/server.h"
#include "server/userdb.h"

/* upper bounds of the buckets, microseconds (the last bucket is +Inf) */
const uint32_t store_stats_bounds_us[STATS_STORE_BUCKETS - 1] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 1000000,
};

void store_stats_record(struct worker_stats *s, int rc, bool timed, uint64_t ns)
{
	uint64_t us = ns / 1000;
	size_t b = 0;

	s->store_lookups[rc < 0	   ? STATS_STORE_ERROR
			 : rc == 0 ? STATS_STORE_FOUND
				   : STATS_STORE_NOT_FOUND]++;
	if (!timed)
		return;
	while (b < STATS_STORE_BUCKETS - 1 && us > store_stats_bounds_us[b])
		b++;
	s->store_latency[b]++;
	s->store_latency_us += us;
}

int store_stats_get_keys(struct worker *w, const char *user, struct user_keys *keys)
{
	uint64_t t0 = clock_ns();
	int rc = userdb_get_keys(w->db, w->srv->realm, user, keys);

	store_stats_record(&w->stats, rc, true, clock_ns() - t0);
	return rc;
}

int store_stats_list_secrets(struct worker *w,
			     int (*cb)(void *arg, const char *realm, const char *secret), void *arg)
{
	uint64_t t0 = clock_ns();
	int rc = userdb_list_secrets(w->db, w->srv->realm, cb, arg);

	/* the walk's own answers (a secret verified, too many) are not the store's */
	store_stats_record(&w->stats, rc == -1 ? -1 : 0, true, clock_ns() - t0);
	return rc;
}
