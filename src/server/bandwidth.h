/*
 * bandwidth.h - coturn's bandwidth limits, pure: no I/O, no clock of its
 * own, no globals (every call gets `now`).
 *
 * max-bps caps one allocation at so many bytes a second, each direction
 * on its own (client -> peer, peer -> client), counting relayed data
 * without its TURN framing. An allocation asks for a rate with coturn's
 * BANDWIDTH attribute (STUN_ATTR_BANDWIDTH, 0x8010); it gets at most max-bps,
 * and max-bps when it asks for none. bps-capacity is the server's total:
 * each capped allocation reserves its rate from it at Allocate, gets what
 * is left when less than that remains, and 486 when nothing does; the
 * reservation goes back when it ends. An allocation with no rate (no
 * max-bps, no BANDWIDTH) reserves nothing and is not limited, as in
 * coturn.
 *
 * On the data path a capped allocation spends from a token bucket per
 * direction, owned by its worker: no lock, no allocation, one coarse
 * clock read per batch. The bucket holds at most a quarter second of the
 * rate, but at least one second of it up to one largest datagram (so a
 * packet that coturn's one-second window passes is never refused for
 * its size). A datagram over the rate is dropped (and counted); a TCP
 * allocation's stream is read no faster than the rate instead.
 */
#ifndef SERVER_BANDWIDTH_H
#define SERVER_BANDWIDTH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BW_MAX_DGRAM 65539 /* a 65,535-byte datagram and a ChannelData header */
#define BW_BURST_DIV 4	   /* the bucket: a quarter second of the rate */
#define BW_ATTR_SHIFT 7	   /* BANDWIDTH's value is bytes a second / 128 */

/* Directions of an allocation's buckets, as its user_bytes[] counters. */
enum { BW_TO_PEER = 0, BW_TO_CLIENT = 1 };

struct bw_bucket {
	uint64_t milli;	  /* tokens, in thousandths of a byte */
	uint64_t last_ms; /* when it was last filled */
	uint32_t rate;	  /* bytes a second; 0: the bucket never limits */
	uint32_t depth;	  /* most bytes it holds */
};

/* The bucket's depth for rate bytes a second (see above). */
uint32_t bw_depth(uint32_t rate);

/* A full bucket of rate bytes a second at now_ms; rate 0 never limits. */
void bw_bucket_init(struct bw_bucket *b, uint32_t rate, uint64_t now_ms);

/* Takes len bytes if the bucket holds them at now_ms: true; else takes nothing. */
bool bw_bucket_take(struct bw_bucket *b, size_t len, uint64_t now_ms);

/* Takes as much of len as the bucket holds at now_ms: that many bytes. */
size_t bw_bucket_take_upto(struct bw_bucket *b, size_t len, uint64_t now_ms);

/*
 * Milliseconds from now_ms until the bucket holds want bytes (capped at
 * its depth), at least 1: when a stream held back may be read again.
 */
uint64_t bw_bucket_wait_ms(const struct bw_bucket *b, size_t want, uint64_t now_ms);

/*
 * The rate an allocation asks for: requested (from BANDWIDTH, 0 if none)
 * capped by max_bps, or max_bps when it asks for none; 0 means unlimited.
 */
uint32_t bw_allocation_rate(uint32_t max_bps, uint32_t requested);

/* BANDWIDTH's value in bytes a second (saturating), and back. */
uint32_t bw_from_attr(uint32_t value);
uint32_t bw_to_attr(uint32_t rate);

/*
 * Reserves up to want bytes a second of capacity (0: unlimited) in
 * *reserved, the sum over live allocations: what it got, less than want
 * when less remains, 0 when none does. Lock-free; control path only.
 */
uint32_t bw_capacity_take(_Atomic uint64_t *reserved, uint64_t capacity, uint32_t want);
void bw_capacity_release(_Atomic uint64_t *reserved, uint32_t got);

#endif /* SERVER_BANDWIDTH_H */
