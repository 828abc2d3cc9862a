/*
 * anchor_metrics.c - the anchor's Prometheus metrics (anchor.h).
 *
 * Runs on the metrics thread. The counters are an->stats (control) plus
 * each media thread's (anchor_stats_total()) and the gauges beside them,
 * written by the anchor's threads under their locks; each is read here
 * with one relaxed atomic load, so the media path never waits on a scrape
 * and a sample is at worst a moment old. Families of more than one sample
 * may mix moments: fine for rates.
 */
#include "anchor/anchor_internal.h"
#include "common/prom.h"

#include <stdio.h>

#include <event2/buffer.h>

#define ST(f) (s->f)

static void write_calls(struct anchor *an, const struct anchor_stats *s, struct evbuffer *out)
{
	const struct prom_item ended[] = {
	    {"reason=\"deleted\"", ST(calls_deleted)},
	    {"reason=\"timeout\"", ST(calls_timeout)},
	    {"reason=\"final_timeout\"", ST(calls_final_timeout)},
	};
	uint64_t modes[ANCHOR_MODES] = {0};
	struct prom_item threads[ANCHOR_THREADS_MAX];
	char labels[ANCHOR_THREADS_MAX][24];

	for (unsigned int k = 0; k < an->nshards; k++) {
		for (int m = 0; m < ANCHOR_MODES; m++)
			modes[m] += prom_load(&an->shards[k].streams_by_mode[m]);
		snprintf(labels[k], sizeof(labels[k]), "thread=\"%u\"", k);
		threads[k].labels = labels[k];
		threads[k].value = __atomic_load_n(&an->shards[k].ncalls, __ATOMIC_RELAXED);
	}
	const struct prom_item streams[] = {
	    {"mode=\"ice\"", modes[ANCHOR_MODE_ICE]},
	    {"mode=\"latching\"", modes[ANCHOR_MODE_LATCHING]},
	    {"mode=\"bridged\"", modes[ANCHOR_MODE_BRIDGED]},
	};

	prom_one(out, "turnserver_anchor_calls", PROM_GAUGE, "Anchored calls now",
		 __atomic_load_n(&an->ncalls, __ATOMIC_RELAXED));
	prom_one(out, "turnserver_anchor_calls_created_total", PROM_COUNTER,
		 "Anchored calls created", ST(calls_total));
	PROM_ITEMS(out, "turnserver_anchor_calls_ended_total", PROM_COUNTER,
		   "Anchored calls ended, by reason", ended);
	prom_one(out, "turnserver_anchor_calls_rejected_total", PROM_COUNTER,
		 "Offers refused over anchor-max-sessions or while draining (load limit)",
		 ST(calls_rejected_load));
	PROM_ITEMS(out, "turnserver_anchor_streams", PROM_GAUGE,
		   "Anchored streams with both sides confirmed, by mode", streams);
	prom_items(out, "turnserver_anchor_thread_calls", PROM_GAUGE,
		   "Anchored calls now, by the media thread they run on (anchor-num-threads)",
		   threads, an->nshards);
	prom_one(out, "turnserver_anchor_latches_total", PROM_COUNTER,
		 "Media sources latched onto", ST(latches));
	prom_one(out, "turnserver_anchor_relatches_total", PROM_COUNTER,
		 "Media sources re-latched in the latch window", ST(relatches));
}

/* ng_requests counts every datagram with a cookie: its parts by result. */
static void write_ng(const struct anchor_stats *s, struct evbuffer *out)
{
	uint64_t err = ST(ng_errors), bad = ST(ng_malformed), again = ST(ng_retransmits);
	uint64_t req = ST(ng_requests), rest = err + bad + again;
	const struct prom_item results[] = {
	    {"result=\"ok\"", req > rest ? req - rest : 0},
	    {"result=\"error\"", err},
	    {"result=\"malformed\"", bad},
	    {"result=\"cached\"", again},
	};
	const struct prom_item dropped[] = {
	    {"reason=\"no_cookie\"", ST(ng_no_cookie)},
	    {"reason=\"not_allowed\"", ST(ng_not_allowed)},
	    {"reason=\"own_source\"", ST(ng_own_source)},
	};

	PROM_ITEMS(out, "turnserver_anchor_ng_requests_total", PROM_COUNTER,
		   "ng commands, by result (cached: a retransmission answered from the cache)",
		   results);
	PROM_ITEMS(out, "turnserver_anchor_ng_dropped_total", PROM_COUNTER,
		   "ng datagrams dropped without an answer, by reason", dropped);
}

static void write_media(const struct anchor_stats *s, struct evbuffer *out)
{
	const struct prom_item packets[] = {
	    {"path=\"userspace\"", ST(packets_user)},
	    {"path=\"kernel\"", ST(packets_kernel)},
	};
	const struct prom_item bytes[] = {
	    {"path=\"userspace\"", ST(bytes_user)},
	    {"path=\"kernel\"", ST(bytes_kernel)},
	};
	const struct prom_item errors[] = {
	    {"path=\"userspace\"", ST(errors_user)},
	    {"path=\"kernel\"", ST(errors_kernel)},
	};
	const struct prom_batch b = {ST(batch.recv_calls), ST(batch.recv_dgrams),
				     ST(batch.send_calls), ST(batch.send_dgrams),
				     ST(batch.gso_segments)};
	const struct prom_item dropped[] = {
	    {"reason=\"unauthenticated\"", ST(dropped_unauthenticated)},
	    {"reason=\"no_destination\"", ST(dropped_no_destination)},
	    {"reason=\"malformed\"", ST(dropped_malformed)},
	    {"reason=\"policy\"", ST(dropped_policy)},
	    {"reason=\"stun_no_fingerprint\"", ST(stun_no_fingerprint)},
	};

	PROM_ITEMS(out, "turnserver_anchor_packets_total", PROM_COUNTER,
		   "Media packets forwarded by the anchor, by path", packets);
	PROM_ITEMS(out, "turnserver_anchor_bytes_total", PROM_COUNTER,
		   "Media bytes forwarded by the anchor, by path", bytes);
	PROM_ITEMS(out, "turnserver_anchor_send_errors_total", PROM_COUNTER,
		   "Media packets the anchor failed to send, by path", errors);
	PROM_ITEMS(out, "turnserver_anchor_dropped_total", PROM_COUNTER,
		   "Media packets dropped by the anchor, by reason", dropped);
	/* batching (relay/udp_batch.h), as TURN's turnserver_udp_* */
	prom_udp_batch(out, "turnserver_anchor_udp", "media packets", &b);
	prom_one(out, "turnserver_anchor_stun_handled_total", PROM_COUNTER,
		 "STUN (ICE) messages the anchor answered or used", ST(stun_handled));
	prom_one(out, "turnserver_anchor_joined_packets_total", PROM_COUNTER,
		 "Packets from TURN allocations of this server into anchored calls, in process",
		 ST(joined_packets));
	prom_one(out, "turnserver_anchor_offload_nomem_total", PROM_COUNTER,
		 "Streams left in userspace: no memory for their kernel offload entries",
		 ST(offload_nomem));
}

/* SRTP bridging (bridge.c): rtpengine's srtp_* and dtls_* statistics. */
static void write_bridge(const struct anchor_stats *s, struct evbuffer *out)
{
	const struct prom_item srtp[] = {
	    {"reason=\"auth_failed\"", ST(srtp_auth_failed)},
	    {"reason=\"replayed\"", ST(srtp_replayed)},
	    {"reason=\"not_keyed\"", ST(srtp_not_keyed)},
	    {"reason=\"other\"", ST(srtp_dropped)},
	};
	const struct prom_item dtls[] = {
	    {"result=\"connected\"", ST(dtls_connected)},
	    {"result=\"failed\"", ST(dtls_failed)},
	};

	PROM_ITEMS(out, "turnserver_anchor_srtp_dropped_total", PROM_COUNTER,
		   "Bridged SRTP/SRTCP packets dropped, by reason", srtp);
	PROM_ITEMS(out, "turnserver_anchor_dtls_handshakes_total", PROM_COUNTER,
		   "DTLS-SRTP handshakes of the anchor, by result", dtls);
}

void anchor_metrics_write(struct anchor *an, struct evbuffer *out)
{
	struct anchor_stats s;

	anchor_stats_total(an, &s);
	write_calls(an, &s, out);
	write_ng(&s, out);
	write_media(&s, out);
	write_bridge(&s, out);
}
