/*
 * prom.c - the Prometheus text exposition format. See prom.h.
 */
#include "common/prom.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <stdio.h>

static const char *const type_names[] = {"counter", "gauge", "untyped", "histogram"};

void prom_family(struct evbuffer *out, const char *name, enum prom_type type, const char *help)
{
	evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name,
			    type_names[type]);
}

void prom_sample(struct evbuffer *out, const char *name, const char *labels, uint64_t value)
{
	if (labels)
		evbuffer_add_printf(out, "%s{%s} %" PRIu64 "\n", name, labels, value);
	else
		evbuffer_add_printf(out, "%s %" PRIu64 "\n", name, value);
}

void prom_one(struct evbuffer *out, const char *name, enum prom_type type, const char *help,
	      uint64_t value)
{
	prom_family(out, name, type, help);
	prom_sample(out, name, NULL, value);
}

void prom_udp_batch(struct evbuffer *out, const char *prefix, const char *what,
		    const struct prom_batch *b)
{
	const struct {
		const char *suffix, *help;
		uint64_t v;
	} m[] = {
	    {"recv_calls", "recvmmsg() calls that returned datagrams", b->recv_calls},
	    {"recv_datagrams", "Datagrams those recvmmsg() calls returned", b->recv_dgrams},
	    {"send_calls", "sendmmsg() and UDP GSO sendmsg() calls that sent %s", b->send_calls},
	    {"send_datagrams", "The %s those calls sent", b->send_dgrams},
	    {"gso_segments", "The %s sent as UDP GSO segments", b->gso_segments},
	};
	char name[96], help[128];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(name, sizeof(name), "%s_%s_total", prefix, m[i].suffix);
		snprintf(help, sizeof(help), m[i].help, what);
		prom_one(out, name, PROM_COUNTER, help, m[i].v);
	}
}

void prom_items(struct evbuffer *out, const char *name, enum prom_type type, const char *help,
		const struct prom_item *items, size_t n)
{
	prom_family(out, name, type, help);
	for (size_t i = 0; i < n; i++)
		prom_sample(out, name, items[i].labels, items[i].value);
}

void prom_histogram_us(struct evbuffer *out, const char *name, const char *help,
		       const uint32_t *bounds_us, const uint64_t *counts, size_t n, uint64_t sum_us)
{
	uint64_t total = 0;

	prom_family(out, name, PROM_HISTOGRAM, help);
	for (size_t i = 0; i < n; i++) {
		total += counts[i];
		if (i + 1 < n)
			evbuffer_add_printf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
					    bounds_us[i] / 1e6, total);
		else
			evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name,
					    total);
	}
	evbuffer_add_printf(out, "%s_sum %" PRIu64 ".%06" PRIu64 "\n", name, sum_us / 1000000,
			    sum_us % 1000000);
	evbuffer_add_printf(out, "%s_count %" PRIu64 "\n", name, total);
}
