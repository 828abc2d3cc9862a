/*
 * latch.c - latching for parties without ICE (see latch.h): which source
 * a side's media is accepted from, with a learning window, RTP probation
 * and the SDP's address preferred.
 */
#include <stdlib.h>
#include <string.h>

#include "anchor/latch.h"
#include "common/addr.h"

bool latch_pkt_parse(struct latch_pkt *p, const uint8_t *buf, size_t len)
{
	uint8_t pt;

	memset(p, 0, sizeof(*p));
	if (len < 12 || (buf[0] >> 6) != 2)
		return false;
	/* RFC 5761 §4: with rtcp-mux, these are RTCP packet types 192-223 */
	pt = buf[1] & 0x7f;
	if (pt >= 64 && pt <= 95)
		return false;
	p->rtp = true;
	p->seq = (uint16_t)(buf[2] << 8 | buf[3]);
	p->ssrc = (uint32_t)buf[8] << 24 | (uint32_t)buf[9] << 16 | (uint32_t)buf[10] << 8 | buf[11];
	return true;
}

static void set_addr(union sockaddr_u *dst, const struct sockaddr *sa)
{
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, sa, addr_len(sa));
}

/* The latched stream, moved on from another source: same SSRC, sequence ahead. */
static bool continues(const struct latch *l, const struct latch_pkt *pkt)
{
	uint16_t d;

	if (!l->latched || !l->has_seq || !pkt->rtp || pkt->ssrc != l->ssrc)
		return false;
	d = (uint16_t)(pkt->seq - l->seq);
	return d >= 1 && d <= LATCH_SEQ_HANDOVER_MAX;
}

/* The slot a new candidate takes: a free one, else the weakest and stalest. */
static struct latch_probe *probe_victim(struct latch *l)
{
	struct latch_probe *v = &l->probes[0];

	for (int i = 0; i < LATCH_PROBES; i++) {
		struct latch_probe *s = &l->probes[i];

		if (!s->count)
			return s;
		if (s->count < v->count || (s->count == v->count && s->tick < v->tick))
			v = s;
	}
	return v;
}

/* Follows the RTP stream from 'from'; true once it has passed probation. */
static bool probe(struct latch *l, const struct sockaddr *from, const struct latch_pkt *pkt)
{
	struct latch_probe *slot = NULL;

	if (!pkt->rtp)
		return false;
	/* the first packet of probation makes the slots (latch.h: Memory) */
	if (!l->probes && !(l->probes = calloc(LATCH_PROBES, sizeof(*l->probes))))
		return false;
	l->tick++;
	for (int i = 0; i < LATCH_PROBES && !slot; i++)
		if (l->probes[i].count && addr_equal(&l->probes[i].src.sa, from))
			slot = &l->probes[i];
	if (slot) {
		uint16_t d = (uint16_t)(pkt->seq - slot->seq);

		if (pkt->ssrc == slot->ssrc && d >= 1 && d <= LATCH_SEQ_STEP_MAX) {
			if (slot->count < UINT8_MAX)
				slot->count++;
		} else {
			slot->count = 1; /* another stream, or out of order: start again */
		}
	} else {
		slot = probe_victim(l);
		set_addr(&slot->src, from);
		slot->count = 1;
	}
	slot->ssrc = pkt->ssrc;
	slot->seq = pkt->seq;
	slot->tick = l->tick;
	return slot->count >= LATCH_PROBATION;
}

enum latch_action latch_input(struct latch *l, const struct latch_policy *p,
			      const struct sockaddr *from, const struct latch_pkt *pkt,
			      uint64_t now_ms)
{
	bool in_window = now_ms < p->window_end_ms;

	if (l->latched && addr_equal(&l->src.sa, from)) {
		if (pkt->rtp) {
			l->has_seq = true;
			l->ssrc = pkt->ssrc;
			l->seq = pkt->seq;
		}
		return LATCH_ACCEPT;
	}
	if (p->expect_ip) {
		/* the SDP's address is reachable: its IP only, the port learned */
		if (from->sa_family != p->expect.sa.sa_family || !addr_ip_equal(from, &p->expect.sa))
			return LATCH_DROP;
		if (p->strict && addr_port(from) != addr_port(&p->expect.sa))
			return LATCH_DROP;
		if (!l->latched)
			return LATCH_NEW;
		if (p->strict || !in_window)
			return LATCH_DROP;
		return continues(l, pkt) || probe(l, from, pkt) ? LATCH_NEW : LATCH_DROP;
	}
	/* learning: only a stream latches, and only its continuation re-latches */
	if (l->latched) {
		if (p->strict || !in_window)
			return LATCH_DROP;
		return continues(l, pkt) ? LATCH_NEW : LATCH_DROP;
	}
	return probe(l, from, pkt) ? LATCH_NEW : LATCH_DROP;
}

void latch_commit(struct latch *l, const struct sockaddr *from, const struct latch_pkt *pkt)
{
	l->latched = true;
	set_addr(&l->src, from);
	l->has_seq = pkt->rtp;
	l->ssrc = pkt->ssrc;
	l->seq = pkt->seq;
	latch_release(l);
}

void latch_release(struct latch *l)
{
	free(l->probes);
	l->probes = NULL;
}

void latch_reset(struct latch *l)
{
	latch_release(l);
	memset(l, 0, sizeof(*l));
}
