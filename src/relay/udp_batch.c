/*
 * udp_batch.c - batched UDP sends: sendmmsg(), and UDP generic segmentation
 * offload (UDP_SEGMENT, Linux 4.18) for runs of equal datagrams to one
 * destination (udp_batch.h).
 *
 * A send that fails for a reason other than a full socket buffer is tried
 * once more: with IP_RECVERR an ICMP error of an earlier datagram fails the
 * next send on the socket once (icmp.c), whatever it carries.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>

#include "relay/udp_batch.h"

void udp_txq_init(struct udp_txq *q, bool gso)
{
	memset(q, 0, sizeof(*q));
	q->gso = gso;
}

size_t udp_batch_group(const struct udp_tx *tx, size_t n, size_t max_bytes)
{
	size_t g = 1, bytes = tx[0].len;

	while (g < n && g < UDP_GSO_MAX_SEGS && tx[g].fd == tx[0].fd && tx[g].len == tx[0].len &&
	       bytes + tx[g].len <= max_bytes && addr_equal(&tx[g].to.sa, &tx[0].to.sa)) {
		bytes += tx[g].len;
		g++;
	}
	return g;
}

static bool send_failed_for_good(int err)
{
	return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
}

static void finish(const struct udp_tx *tx, size_t n, bool sent, udp_tx_done_fn done, void *arg)
{
	for (size_t i = 0; i < n; i++)
		done(arg, &tx[i], sent);
}

/* tx[0..n), all of one socket, by sendmmsg(): as many calls as failures need. */
static void send_mmsg(struct udp_txq *q, struct udp_tx *tx, size_t n, struct udp_batch_stats *st,
		      udp_tx_done_fn done, void *arg)
{
	struct mmsghdr *msgs = q->msgs;
	size_t i = 0;
	bool retried = false;

	for (size_t k = 0; k < n; k++)
		msgs[k].msg_hdr = (struct msghdr){.msg_name = &tx[k].to,
						  .msg_namelen = tx[k].to_len,
						  .msg_iov = tx[k].iov,
						  .msg_iovlen = (size_t)tx[k].niov};
	while (i < n) {
		int r = sendmmsg(tx[0].fd, msgs + i, (unsigned int)(n - i), MSG_DONTWAIT);

		if (r > 0) {
			st->send_calls++;
			st->send_dgrams += (uint64_t)r;
			finish(tx + i, (size_t)r, true, done, arg);
			i += (size_t)r;
			retried = false;
			continue;
		}
		if (send_failed_for_good(errno)) {
			finish(tx + i, n - i, false, done, arg);
			return;
		}
		if (!retried) {
			retried = true;
			continue;
		}
		/* this one fails twice: dropped, the rest go on */
		finish(tx + i, 1, false, done, arg);
		i++;
		retried = false;
	}
}

/*
 * tx[0..n) (n >= 2, one group) by one sendmsg() with UDP_SEGMENT. 0 when
 * done with (sent or dropped), -1 when the kernel refuses GSO for them:
 * the caller sends them another way.
 */
static int send_gso(struct udp_txq *q, struct udp_tx *tx, size_t n, struct udp_batch_stats *st,
		    udp_tx_done_fn done, void *arg)
{
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} ctrl;
	struct msghdr mh = {.msg_name = &tx[0].to,
			    .msg_namelen = tx[0].to_len,
			    .msg_iov = q->gso_iov,
			    .msg_control = ctrl.buf,
			    .msg_controllen = sizeof(ctrl.buf)};
	struct cmsghdr *cm;
	uint16_t seg = (uint16_t)tx[0].len;
	size_t niov = 0;

	for (size_t k = 0; k < n; k++)
		for (int j = 0; j < tx[k].niov; j++)
			q->gso_iov[niov++] = tx[k].iov[j];
	mh.msg_iovlen = niov;
	memset(ctrl.buf, 0, sizeof(ctrl.buf));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_UDP;
	cm->cmsg_type = UDP_SEGMENT;
	cm->cmsg_len = CMSG_LEN(sizeof(seg));
	memcpy(CMSG_DATA(cm), &seg, sizeof(seg));
	for (int tries = 0; tries < 2; tries++) {
		if (sendmsg(tx[0].fd, &mh, MSG_DONTWAIT) >= 0) {
			st->send_calls++;
			st->send_dgrams += n;
			st->gso_sends++;
			st->gso_segments += n;
			finish(tx, n, true, done, arg);
			return 0;
		}
		switch (errno) {
		case ENOPROTOOPT:
		case EOPNOTSUPP:
			/* a kernel without UDP GSO: never again on this queue */
			q->gso = false;
			/* fall through */
		case EINVAL:   /* a segment over the path MTU */
		case EMSGSIZE:
		case EIO:      /* a device without checksum offload */
			st->gso_fallbacks++;
			return -1;
		}
		if (send_failed_for_good(errno))
			break;
	}
	finish(tx, n, false, done, arg);
	return 0;
}

void udp_txq_flush(struct udp_txq *q, struct udp_batch_stats *st, udp_tx_done_fn done,
		   void *arg)
{
	size_t n = q->n, p0 = 0, g;

	/* [p0, i): datagrams of one socket waiting for one sendmmsg() */
	for (size_t i = 0; i < n; i += g) {
		g = udp_batch_group(q->tx + i, n - i, UDP_GSO_MAX_BYTES);
		if (i > p0 && q->tx[p0].fd != q->tx[i].fd) {
			send_mmsg(q, q->tx + p0, i - p0, st, done, arg);
			p0 = i;
		}
		if (g < 2 || !q->gso)
			continue;
		if (i > p0)
			send_mmsg(q, q->tx + p0, i - p0, st, done, arg);
		p0 = i;
		if (send_gso(q, q->tx + i, g, st, done, arg) == 0)
			p0 = i + g;
	}
	if (n > p0)
		send_mmsg(q, q->tx + p0, n - p0, st, done, arg);
	q->n = 0;
}
