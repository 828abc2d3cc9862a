/*
 * udp_batch.h - batched UDP sends for the data paths of TURN and the anchor (issue 16).
 *
 * A TURN worker or the anchor reads a batch of datagrams with one
 * recvmmsg() and queues what it relays instead of sending each at once. The flush groups
 * consecutive datagrams by (socket, destination, size) and sends a group of
 * two or more with one sendmsg() carrying UDP_SEGMENT (generic segmentation
 * offload: the kernel cuts the buffer into equal datagrams), everything else
 * of one socket with one sendmmsg(). Order per destination is kept.
 *
 * The queue owns the framing (a ChannelData or Data indication head, a
 * FINGERPRINT) of each datagram; the payload stays where it was received
 * and must live until the flush. No allocation, no lookup, no clock.
 */
#ifndef RELAY_UDP_BATCH_H
#define RELAY_UDP_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "common/addr.h"

#define UDP_TXQ_LEN 16	     /* datagrams queued at most (one receive batch) */
#define UDP_TX_IOV 4	     /* head, payload, padding, FINGERPRINT */
#define UDP_TX_HEAD 64	     /* the longest head: a Data indication's */
#define UDP_GSO_MAX_SEGS 64  /* the kernel's UDP_MAX_SEGMENTS */
#define UDP_GSO_MAX_BYTES 60000 /* under 64 KiB with the IPv4 or IPv6 and UDP headers */

/* Counters (in struct worker_stats: uint64_t only). */
struct udp_batch_stats {
	uint64_t recv_calls;   /* recvmmsg() calls that returned datagrams */
	uint64_t recv_dgrams;  /* ... the datagrams they returned */
	uint64_t send_calls;   /* sendmmsg() and GSO sendmsg() calls of the relay path */
	uint64_t send_dgrams;  /* ... the datagrams they sent */
	uint64_t gso_sends;    /* of the calls, sendmsg() with UDP_SEGMENT */
	uint64_t gso_segments; /* ... the datagrams they carried */
	uint64_t gso_fallbacks; /* GSO sends the kernel refused, sent by sendmmsg() instead */
	uint64_t gro_segments;	/* datagrams received coalesced by UDP GRO (of recv_dgrams) */
};

/* One queued datagram: fd sends iov[0..niov) (len bytes in all) to `to`. */
struct udp_tx {
	int fd;
	socklen_t to_len;
	union sockaddr_u to;
	size_t len;
	struct iovec iov[UDP_TX_IOV];
	int niov;
	uint8_t head[UDP_TX_HEAD];
	uint8_t fp[8];
	/* for the caller's counters when it is done */
	void *owner;
	size_t payload;
	int dir;
};

struct udp_txq {
	struct udp_tx tx[UDP_TXQ_LEN];
	unsigned int n;
	bool hold; /* queued sends wait for udp_txq_flush(); else each goes at once */
	bool gso;  /* UDP_SEGMENT in use: the configuration's, off when the kernel lacks it */
	struct mmsghdr msgs[UDP_TXQ_LEN];
	struct iovec gso_iov[UDP_TXQ_LEN * UDP_TX_IOV];
};

/* Called once per flushed datagram: sent, or dropped (the send failed). */
typedef void (*udp_tx_done_fn)(void *arg, const struct udp_tx *t, bool sent);

void udp_txq_init(struct udp_txq *q, bool gso);

/*
 * The number of datagrams from tx[0] on (n of them, n >= 1) that one GSO
 * send can carry: consecutive, same socket, same destination, same length,
 * at most UDP_GSO_MAX_SEGS and max_bytes together. 1 when the next differs.
 */
size_t udp_batch_group(const struct udp_tx *tx, size_t n, size_t max_bytes);

/* Sends what is queued, calls done for each datagram, empties the queue. */
void udp_txq_flush(struct udp_txq *q, struct udp_batch_stats *st, udp_tx_done_fn done,
		   void *arg);

#endif
