/*
 * metrics.h - Prometheus metrics over HTTP (coturn's prometheus,
 * prometheus-port, prometheus-address).
 *
 * metrics_start() runs libevent's evhttp on a thread and event loop of its
 * own: a scrape never runs on a worker, and the workers' counters (struct
 * worker_stats) are read with relaxed atomic loads, so relaying never waits
 * on it. Only GET and HEAD of /metrics are served.
 */
#ifndef SERVER_METRICS_H
#define SERVER_METRICS_H

#include <stddef.h>

struct evbuffer;
struct server;
struct metrics;

/* Metrics of another part (the anchor's), appended after the server's. */
typedef void (*metrics_extra_fn)(void *arg, struct evbuffer *out);

/*
 * Binds prometheus-address (every address without it) and prometheus-port
 * and starts the thread. NULL with a message in err when it cannot. The
 * workers must be running (their stats are read) until metrics_stop().
 */
struct metrics *metrics_start(struct server *srv, metrics_extra_fn extra, void *extra_arg,
			      char *err, size_t errlen);
/* Stops the thread, waits for it, closes the socket. NULL is a no-op. */
void metrics_stop(struct metrics *m);

/* The page: every metric of srv's workers and the process (tests call it too). */
void metrics_write(const struct server *srv, struct evbuffer *out);

#endif /* SERVER_METRICS_H */
