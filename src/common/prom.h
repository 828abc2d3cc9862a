/*
 * prom.h - the Prometheus text exposition format (version 0.0.4), written
 * into a libevent buffer: one family (# HELP, # TYPE), then its samples.
 *
 * Label values are given by the caller as a whole "name=\"value\",..."
 * string and are always constants of the program (transport, direction,
 * reason): no label ever carries a value a client chose, so nothing here
 * escapes them.
 */
#ifndef COMMON_PROM_H
#define COMMON_PROM_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;

enum prom_type { PROM_COUNTER, PROM_GAUGE, PROM_UNTYPED, PROM_HISTOGRAM };

/* The family's header: name, type, one-line help (no newline, no backslash). */
void prom_family(struct evbuffer *out, const char *name, enum prom_type type, const char *help);
/* One sample: labels NULL or "a=\"x\",b=\"y\"". */
void prom_sample(struct evbuffer *out, const char *name, const char *labels, uint64_t value);
/* A family of one unlabelled sample. */
void prom_one(struct evbuffer *out, const char *name, enum prom_type type, const char *help,
	      uint64_t value);

/* A family of labelled samples, from a table. */
struct prom_item {
	const char *labels;
	uint64_t value;
};
void prom_items(struct evbuffer *out, const char *name, enum prom_type type, const char *help,
		const struct prom_item *items, size_t n);
/*
 * The counters of a batched UDP path (relay/udp_batch.h), as families
 * PREFIX_recv_calls_total, _recv_datagrams_total, _send_calls_total,
 * _send_datagrams_total and _gso_segments_total; what names the datagrams
 * in the help lines ("relayed datagrams", "media packets").
 */
struct prom_batch {
	uint64_t recv_calls, recv_dgrams, send_calls, send_dgrams, gso_segments;
};
void prom_udp_batch(struct evbuffer *out, const char *prefix, const char *what,
		    const struct prom_batch *b);

#define PROM_ITEMS(out, name, type, help, items)                                                   \
	prom_items(out, name, type, help, items, sizeof(items) / sizeof((items)[0]))

/*
 * A histogram family of durations: counts[i] observations (not cumulative)
 * up to bounds_us[i] microseconds, counts[n - 1] those above the last
 * bound (n - 1 bounds, ascending), sum_us their total. Written as
 * NAME_bucket{le="SECONDS"} (cumulative, then le="+Inf"), NAME_sum in
 * seconds and NAME_count.
 */
void prom_histogram_us(struct evbuffer *out, const char *name, const char *help,
		       const uint32_t *bounds_us, const uint64_t *counts, size_t n,
		       uint64_t sum_us);

/*
 * A relaxed atomic load of a counter another thread increments with plain
 * ++ (aligned 64-bit: never torn on the targets we build for). The writer
 * never waits; the reader sees a value a moment old at worst.
 */
static inline uint64_t prom_load(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

#endif /* COMMON_PROM_H */
