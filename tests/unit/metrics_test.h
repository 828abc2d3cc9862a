/*
 * metrics_test.h - a server of two workers, the Prometheus page of
 * src/server/metrics.c as a string, and a check for one whole line of it, for unit tests that
 * include cmocka.h first. Static functions only.
 */
#ifndef TESTS_UNIT_METRICS_TEST_H
#define TESTS_UNIT_METRICS_TEST_H

#include <event2/buffer.h>
#include <stdio.h>
#include <string.h>

#include "server/metrics.h"
#include "server/server.h"

/* A server of two workers, every counter 0, to fill and print. */
static inline void metrics_test_two_workers(struct server *two, struct worker workers[2])
{
	memset(two, 0, sizeof(*two));
	memset(workers, 0, 2 * sizeof(workers[0]));
	two->workers = workers;
	two->nworkers = 2;
}

/* metrics_write()'s page of from, NUL-terminated; test_free() it. */
static inline char *metrics_test_page(const struct server *from)
{
	struct evbuffer *b = evbuffer_new();
	size_t n;
	char *s;

	assert_non_null(b);
	metrics_write(from, b);
	n = evbuffer_get_length(b);
	s = test_malloc(n + 1);
	evbuffer_remove(b, s, n);
	s[n] = '\0';
	evbuffer_free(b);
	return s;
}

/* Fails unless line is a whole line of the page (not its first). */
static inline void metrics_test_assert_line(const char *page_text, const char *line)
{
	char want[256];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (!strstr(page_text, want))
		fail_msg("no line '%s' in:\n%s", line, page_text);
}

#endif /* TESTS_UNIT_METRICS_TEST_H */
