/*
 * latch.h - where a party without ICE sends its media from (latching),
 * decided per datagram, with the defences against the "RTP Bleed" class
 * of hijacks (a stranger who sends first owning the leg).
 *
 * The policy of one component of one side, set at each offer and answer:
 *   - When the party's SDP address passed the peer verdict, media is
 *     accepted only from that IP; the first datagram from it latches and
 *     only the port is learned (NAT). With strict-source the port must be
 *     the SDP's too.
 *   - Otherwise (a private address behind NAT) nothing latches until an
 *     RTP stream shows itself: LATCH_PROBATION packets from one source with
 *     one SSRC and advancing sequence numbers. Single datagrams sprayed over
 *     the port range never latch, and nothing from an unlatched source is
 *     forwarded.
 *   - Until window_end_ms (anchor-latch-window after the offer or answer)
 *     the anchor may re-latch, but only to the stream it latched continuing
 *     from a new source (same SSRC, sequence moving on: a NAT rebinding) or,
 *     on the SDP's IP, to another port carrying a stream. Afterwards, and at
 *     any time with strict-source, the latch is fixed.
 * STUN never reaches this code: it is authenticated by the ICE agent or
 * passed end to end (force-relay), never latched on.
 *
 * Pure: no sockets, no clock, no peer verdict. latch_input() says what to
 * do with a datagram; on LATCH_NEW the caller runs the peer verdict on the
 * source and, when allowed, latch_commit()s it.
 *
 * Memory: the candidate sources under probation are the only thing a latch
 * allocates, at the first packet that needs them (never one per packet);
 * latch_commit() frees them, latch_reset() and latch_release() too. A latch
 * whose SDP address is routable never has any. No memory for them: the
 * packet is dropped (LATCH_DROP) and probation tries again with the next.
 */
#ifndef ANCHOR_LATCH_H
#define ANCHOR_LATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define LATCH_PROBATION 4	 /* RTP packets of one stream before an unknown source latches */
#define LATCH_SEQ_STEP_MAX 16	 /* sequence advance between two packets of a stream (loss) */
#define LATCH_SEQ_HANDOVER_MAX 256 /* advance that still continues the latched stream */
#define LATCH_PROBES 2		 /* candidate sources followed at once */

/* What latch_input() needs of a datagram. */
struct latch_pkt {
	bool rtp; /* an RTP packet (RFC 3550 §5.1): ssrc and seq are valid */
	uint32_t ssrc;
	uint16_t seq;
};

/* Reads an RTP header: false when buf is not RTP version 2 with 12 bytes. */
bool latch_pkt_parse(struct latch_pkt *p, const uint8_t *buf, size_t len);

struct latch_probe {
	union sockaddr_u src;
	uint32_t ssrc;
	uint16_t seq;
	uint8_t count; /* 0: slot free */
	uint32_t tick; /* last update, for replacement */
};

struct latch_policy {
	bool expect_ip;		 /* accept only from expect's IP */
	union sockaddr_u expect; /* the SDP's address and port */
	bool strict;		 /* strict-source: no port learning, no re-latching */
	uint64_t window_end_ms;	 /* re-latching allowed before this (monotonic ms) */
};

struct latch {
	bool latched;
	union sockaddr_u src;
	bool has_seq;
	uint32_t ssrc; /* last RTP seen from src */
	uint16_t seq;
	struct latch_probe *probes; /* [LATCH_PROBES] during probation, else NULL */
	uint32_t tick;
};

enum latch_action {
	LATCH_ACCEPT, /* from the latched source */
	LATCH_NEW,    /* from becomes the latch, if the peer verdict allows it */
	LATCH_DROP,
};

enum latch_action latch_input(struct latch *l, const struct latch_policy *p,
			      const struct sockaddr *from, const struct latch_pkt *pkt,
			      uint64_t now_ms);
void latch_commit(struct latch *l, const struct sockaddr *from, const struct latch_pkt *pkt);
/* Forgets the latch (a forked answer: another party). */
void latch_reset(struct latch *l);
/* Frees the candidates under probation (the side closes); the latch stays. */
void latch_release(struct latch *l);

#endif /* ANCHOR_LATCH_H */
