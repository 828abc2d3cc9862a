/*
 * worker.c - one worker thread: its event loop, its SO_REUSEPORT UDP and
 * TCP listeners, the table of its UDP allocations, and the data path
 * (ChannelData and Send from clients, peer datagrams to clients).
 * Per packet: no lock, no allocation, no log line.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <openssl/rand.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/dtls.h"
#include "server/server.h"
#include "server/tls.h"
#include "server/userdb.h"
#include "stun/wire.h"

#define TABLE_MIN 1024
#define TCP_MAX_OUTPUT (1 << 20) /* drop relayed data past 1 MiB queued */
#define TCP_MAX_INPUT (70 * 1024)
/*
 * Before its allocation a connection carries only small requests and their
 * answers: a longer frame is discarded as it arrives (never buffered),
 * answers past this much queued (a client that does not read) are dropped.
 */
#define TCP_UNALLOCATED_FRAME 4096
#define TCP_UNALLOCATED_OUTPUT 4096
#define TCP_ACCEPT_BACKOFF_MS 250 /* listeners rest this long after accept() fails */
#define RELAY_ERRQUEUE_EVERY 16	  /* a relay socket's error queue: every this many data wake-ups */

/* UDP allocation table */

static uint32_t slot_of(const struct worker *w, const struct udp_listener *lsn,
			const union sockaddr_u *client)
{
	return (addr_hash(&client->sa, w->hash_seed) ^ (uint32_t)(lsn - w->udp)) & w->table_mask;
}

int worker_table_resize(struct worker *w, uint32_t size)
{
	struct allocation **t = calloc(size, sizeof(*t));
	struct allocation **old = w->table;
	uint32_t old_size = w->table ? w->table_mask + 1 : 0;

	if (!t)
		return -1;
	w->table = t;
	w->table_mask = size - 1;
	for (uint32_t i = 0; i < old_size; i++) {
		struct allocation *a, *next;

		for (a = old[i]; a; a = next) {
			uint32_t s = slot_of(w, a->lsn, &a->client);

			next = a->hnext;
			a->hnext = t[s];
			t[s] = a;
		}
	}
	free(old);
	return 0;
}

struct allocation *worker_find_udp_alloc(struct worker *w, const struct udp_listener *lsn,
					 const union sockaddr_u *client)
{
	struct allocation *a = w->table[slot_of(w, lsn, client)];

	for (; a; a = a->hnext)
		if (a->lsn == lsn && addr_equal(&a->client.sa, &client->sa))
			return a;
	return NULL;
}

void worker_insert_udp_alloc(struct worker *w, struct allocation *a)
{
	uint32_t s;

	if (w->nallocs + 1 > w->table_mask + 1)
		worker_table_resize(w, (w->table_mask + 1) * 2);
	s = slot_of(w, a->lsn, &a->client);
	a->hnext = w->table[s];
	w->table[s] = a;
	w->nallocs++;
}

void worker_remove_udp_alloc(struct worker *w, struct allocation *a)
{
	struct allocation **pp = &w->table[slot_of(w, a->lsn, &a->client)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == a) {
			*pp = a->hnext;
			w->nallocs--;
			return;
		}
	}
}

bool worker_log_ok_at(struct worker *w, uint64_t now)
{
	if (now - w->log_window_ms >= 1000) {
		if (w->log_suppressed)
			log_info("worker %d: %u log lines suppressed in the last second", w->id,
				 w->log_suppressed);
		w->log_window_ms = now;
		w->log_count = 0;
		w->log_suppressed = 0;
	}
	if (w->log_count < SERVER_LOG_PER_S) {
		w->log_count++;
		return true;
	}
	w->log_suppressed++;
	return false;
}

bool worker_log_ok(struct worker *w)
{
	return worker_log_ok_at(w, clock_ms());
}

/* Sending to clients */

/* Relayed data stops at TCP_MAX_OUTPUT queued; without an allocation, every byte counts. */
bool worker_tcp_output_fits(const struct tcp_conn *c, const struct iovec *iov, int niov)
{
	size_t queued = evbuffer_get_length(bufferevent_get_output(c->bev));

	if (c->alloc)
		return queued <= TCP_MAX_OUTPUT;
	for (int i = 0; i < niov; i++)
		queued += iov[i].iov_len;
	return queued <= TCP_UNALLOCATED_OUTPUT;
}

/*
 * now: a TCP or TLS client gets it written at once when nothing is queued
 * (answers; tcp_tls_writev()); relayed data goes through the bufferevent,
 * which writes what a round of events queued together.
 */
static int sendv_to_client(struct worker *w, struct udp_listener *lsn, struct tcp_conn *tcp,
			   struct dtls_session *dtls, const union sockaddr_u *client,
			   struct iovec *iov, int niov, bool now)
{
	if (dtls) {
		if (dtls_sendv(dtls, iov, niov) < 0) {
			w->stats.send_errors++;
			return -1;
		}
		return 0;
	}
	if (lsn) {
		struct msghdr mh = {
			.msg_name = (void *)&client->sa,
			.msg_namelen = addr_len(&client->sa),
			.msg_iov = iov,
			.msg_iovlen = (size_t)niov,
		};

		if (sendmsg(lsn->fd, &mh, MSG_DONTWAIT) < 0) {
			w->stats.send_errors++;
			return -1;
		}
		return 0;
	}
	if (!tcp || !worker_tcp_output_fits(tcp, iov, niov)) {
		w->stats.send_errors++;
		return -1;
	}
	if (now) {
		tcp_tls_writev(tcp, iov, niov);
		return 0;
	}
	for (int i = 0; i < niov; i++)
		bufferevent_write(tcp->bev, iov[i].iov_base, iov[i].iov_len);
	return 0;
}

int worker_send_to_client(struct worker *w, const struct origin *o, const uint8_t *buf,
			  size_t len)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};

	return sendv_to_client(w, o->lsn, o->tcp, o->dtls, &o->client, &iov, 1, true);
}

/* Peer -> client (RFC 8656 §10.3, §12.6) */

/*
 * The head of a Data indication whose DATA value (len bytes, then padding)
 * follows in its own iovec: header, XOR-PEER-ADDRESS, DATA's header, its
 * length field counting the FINGERPRINT appended after the data when fp.
 * 0 when the message would not fit a STUN length field (RFC 8489 §5).
 */
void worker_indication_tid(struct worker *w, uint8_t tid[STUN_TID_LEN])
{
	memcpy(tid, &w->tid_seq, sizeof(w->tid_seq));
	wire_put32(tid + 8, (uint32_t)w->id);
	w->tid_seq++;
}

static size_t data_indication_head(struct worker *w, const union sockaddr_u *peer, size_t len,
				   bool fp, uint8_t *hdr, size_t cap)
{
	union sockaddr_u shown = *peer;
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;

	worker_indication_tid(w, tid);
	relay_peer_to_wire(&w->srv->relay, &shown);
	stun_build_start(&b, hdr, cap, TURN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &shown.sa);
	stun_put_external(&b, STUN_ATTR_DATA, len);
	if (fp)
		stun_count_external(&b, STUN_ATTR_HDR_LEN + 4);
	return stun_build_end(&b);
}

/* FINGERPRINT over the scattered message, whose length field already counts it. */
static void put_fingerprint(uint8_t fp[8], struct iovec *iov, int niov)
{
	uint32_t crc = stun_crc32(iov[0].iov_base, iov[0].iov_len);

	for (int i = 1; i < niov; i++)
		crc = stun_crc32_update(crc, iov[i].iov_base, iov[i].iov_len);
	stun_fingerprint_attr(fp, crc);
}

/* Relayed datagrams: batched sends (udp_batch.h) and their counters */

void worker_count_relayed(struct worker *w, struct allocation *a, int dir, size_t payload,
			  bool sent)
{
	if (!sent) {
		w->stats.send_errors++;
		return;
	}
	if (dir == BW_TO_PEER) {
		w->stats.relayed_to_peer++;
		w->stats.bytes_to_peer += payload;
	} else {
		w->stats.relayed_to_client++;
		w->stats.bytes_to_client += payload;
	}
	a->user_pkts[dir]++;
	a->user_bytes[dir] += payload;
}

static void tx_done(void *arg, const struct udp_tx *t, bool sent)
{
	worker_count_relayed(arg, t->owner, t->dir, t->payload, sent);
}

void worker_tx_release(struct worker *w)
{
	if (w->txq.n)
		udp_txq_flush(&w->txq, &w->stats.batch, tx_done, w);
	w->txq.hold = false;
}

struct udp_tx *worker_tx_slot(struct worker *w)
{
	if (w->txq.n == UDP_TXQ_LEN)
		udp_txq_flush(&w->txq, &w->stats.batch, tx_done, w);
	return &w->txq.tx[w->txq.n];
}

/* t (from worker_tx_slot(), its iov and niov set) goes to `to` from fd. */
void worker_tx_queue(struct worker *w, struct udp_tx *t, int fd, const union sockaddr_u *to,
		     struct allocation *a, int dir, size_t payload)
{
	t->fd = fd;
	t->to = *to;
	t->to_len = addr_len(&to->sa);
	t->len = 0;
	for (int i = 0; i < t->niov; i++)
		t->len += t->iov[i].iov_len;
	t->owner = a;
	t->dir = dir;
	t->payload = payload;
	w->txq.n++;
	if (!w->txq.hold)
		udp_txq_flush(&w->txq, &w->stats.batch, tx_done, w);
}

/*
 * Peer data to the client: a UDP client's datagram is queued (its head and
 * FINGERPRINT in the queue's slot, its payload in the receive batch), the
 * others (TCP, TLS, DTLS) are written at once.
 */
void worker_relay_to_client(struct worker *w, struct allocation *a, const union sockaddr_u *peer,
			    uint8_t *data, size_t len, uint64_t now)
{
	static const uint8_t zeros[4];
	struct channel *ch;
	struct udp_tx local, *t;
	bool queued = a->lsn && !a->dtls;
	int niov = 3;

	if (!alloc_find_perm(a, &peer->sa, now)) {
		w->stats.no_permission++;
		return;
	}
	ch = alloc_find_channel_by_peer(a, peer, now);
	t = queued ? worker_tx_slot(w) : &local;
	if (ch) {
		turn_channeldata_header(t->head, ch->number, (uint16_t)len);
		t->iov[0] = (struct iovec){.iov_base = t->head, .iov_len = TURN_CHANNELDATA_HDR_LEN};
	} else {
		size_t hlen = data_indication_head(w, peer, len, w->srv->cfg->fingerprint, t->head,
						   sizeof(t->head));

		if (!hlen) {
			w->stats.too_big++;
			return;
		}
		t->iov[0] = (struct iovec){.iov_base = t->head, .iov_len = hlen};
	}
	t->iov[1] = (struct iovec){.iov_base = data, .iov_len = len};
	t->iov[2] = (struct iovec){.iov_base = (void *)zeros, .iov_len = wire_pad4(len) - len};
	/* padding: always for Data indications, for ChannelData only on streams */
	if (ch && (a->lsn || a->dtls))
		niov = 2;
	if (!alloc_rate_take(a, BW_TO_CLIENT, len, now))
		return;
	if (!ch && w->srv->cfg->fingerprint) {
		put_fingerprint(t->fp, t->iov, niov);
		t->iov[niov++] = (struct iovec){.iov_base = t->fp, .iov_len = sizeof(t->fp)};
	}
	t->niov = niov;
	if (queued)
		worker_tx_queue(w, t, a->lsn->fd, &a->client, a, BW_TO_CLIENT, len);
	else
		worker_count_relayed(w, a, BW_TO_CLIENT, len,
				     sendv_to_client(w, a->lsn, a->tcp, a->dtls, &a->client, t->iov,
						     niov, false) == 0);
}

/* The segment size of a datagram UDP GRO coalesced (its UDP_GRO cmsg), or 0. */
static size_t gro_size(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		int size;

		if (c->cmsg_level != SOL_UDP || c->cmsg_type != UDP_GRO ||
		    c->cmsg_len < CMSG_LEN(sizeof(size)))
			continue;
		memcpy(&size, CMSG_DATA(c), sizeof(size));
		return size > 0 ? (size_t)size : 0;
	}
	return 0;
}

/*
 * Reads up to SERVER_UDP_BATCH datagrams into the worker's batch: one call
 * per socket per wakeup, so that a busy socket never starves the others
 * (the event loop serves every ready socket in turn) and none stops being
 * read (itest_fair). What the last batch queued is sent first: its
 * payloads are in rx. A slot UDP GRO filled holds a run of datagrams from
 * one sender, each rx_seg[i] bytes but the last (worker_segment()).
 */
static int recv_batch(struct worker *w, int fd)
{
	int n;

	worker_tx_release(w);
	for (int i = 0; i < SERVER_UDP_BATCH; i++) {
		w->rx_msgs[i].msg_hdr.msg_namelen = sizeof(w->rx_from[i]);
		w->rx_msgs[i].msg_hdr.msg_controllen = sizeof(w->rx_ctl[i]);
		w->rx_msgs[i].msg_hdr.msg_flags = 0;
	}
	n = recvmmsg(fd, w->rx_msgs, SERVER_UDP_BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return n;
	w->stats.batch.recv_calls++;
	for (int i = 0; i < n; i++) {
		size_t len = w->rx_msgs[i].msg_len, seg = 0;

		if (w->rx_msgs[i].msg_hdr.msg_controllen)
			seg = gro_size(&w->rx_msgs[i].msg_hdr);
		w->rx_seg[i] = seg < len ? seg : 0;
		if (w->rx_seg[i]) {
			size_t k = (len + seg - 1) / seg;

			w->stats.batch.recv_dgrams += k;
			w->stats.batch.gro_segments += k;
		} else {
			w->stats.batch.recv_dgrams++;
		}
	}
	return n;
}

/* The length of the datagram at off in a slot of len bytes and segment size seg (0: whole). */
static size_t worker_segment(size_t seg, size_t len, size_t off)
{
	return seg && len - off > seg ? seg : len - off;
}

static void recv_batch_init(struct worker *w)
{
	for (int i = 0; i < SERVER_UDP_BATCH; i++) {
		w->rx_iov[i].iov_base = w->rx + (size_t)i * SERVER_RX_BUF;
		w->rx_iov[i].iov_len = SERVER_RX_BUF;
		w->rx_msgs[i].msg_hdr = (struct msghdr){.msg_name = &w->rx_from[i],
							.msg_iov = &w->rx_iov[i],
							.msg_iovlen = 1,
							.msg_control = w->rx_ctl[i].bytes};
	}
	udp_txq_init(&w->txq, !w->srv->cfg->no_udp_gso);
}

void worker_relay_readable(int fd, short what, void *arg)
{
	struct relay_sock *r = arg;
	struct allocation *a = r->alloc;
	struct worker *w = a->w;
	uint64_t now;
	int n;

	(void)what;
	now = clock_ms();
	n = recv_batch(w, fd);
	/*
	 * RFC 8656 §11.3: the ICMP errors in the socket's error queue, read
	 * when the wake-up found no data (an ICMP error fails the receive with
	 * its error, or its queue entry alone woke us) and every
	 * RELAY_ERRQUEUE_EVERY wake-ups with data (an error a send took, under
	 * steady traffic), not with a syscall on every wake-up.
	 */
	if (n <= 0 || ++r->reads >= RELAY_ERRQUEUE_EVERY) {
		bool failed = n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;

		r->reads = 0;
		icmp_drain(r, now);
		if (failed)
			n = recv_batch(w, fd);
	}
	if (n <= 0)
		return;
	/* the batch's datagrams all come to one allocation, which none of them ends */
	w->txq.hold = true;
	/* TURN data is at most 65535 - 36 bytes in a Data indication */
	for (int i = 0; i < n; i++) {
		uint8_t *buf = w->rx_iov[i].iov_base;
		size_t len = w->rx_msgs[i].msg_len, k;

		if (w->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC)
			continue;
		for (size_t off = 0; off < len || !off; off += k) {
			k = worker_segment(w->rx_seg[i], len, off);
			if (k <= 65535 - 36)
				worker_relay_to_client(w, a, &w->rx_from[i], buf + off, k, now);
			if (!k)
				break;
		}
	}
	worker_tx_release(w);
}

/* Client -> server over UDP */

/*
 * What a client's datagram is, from its first bytes (RFC 8656 §12:
 * ChannelData starts 0x40-0x7F, STUN has its two top bits zero): the
 * handlers check the rest.
 */
enum worker_dgram worker_classify_datagram(const uint8_t *buf, size_t len)
{
	if (stun_looks_like_channeldata(buf, len))
		return WORKER_DGRAM_CHANNELDATA;
	if (len >= STUN_HEADER_LEN && (buf[0] & 0xC0) == 0)
		return WORKER_DGRAM_STUN;
	return WORKER_DGRAM_MALFORMED;
}

static void udp_datagram_at(struct worker *w, struct udp_listener *lsn,
			    const union sockaddr_u *from, struct allocation *a, const uint8_t *buf,
			    size_t len, uint64_t now);

/* One datagram of a client's batch, at now. */
static void udp_one(struct worker *w, struct udp_listener *lsn, const union sockaddr_u *from,
		    const uint8_t *buf, size_t len, uint64_t now)
{
	struct allocation *a;

	/* RFC 7983 §7: 20-63 is DTLS; a DTLS client's plain datagrams are dropped */
	if (w->dtls && len && dtls_first_byte(buf[0])) {
		worker_tx_release(w);
		dtls_input(lsn, from, buf, len);
		return;
	}
	if (dtls_has_session(w, lsn, from)) {
		w->stats.malformed++;
		return;
	}
	a = worker_find_udp_alloc(w, lsn, from);
	/* RFC 8016: an address an allocation is moving to */
	if (!a && w->mobility_npending) {
		/* it may move an allocation here: what the batch queued goes first */
		worker_tx_release(w);
		if (mobility_datagram(w, lsn, from, buf, len))
			return;
	}
	/* ChannelData's payload stays in rx until the batch's sends */
	if (worker_classify_datagram(buf, len) == WORKER_DGRAM_CHANNELDATA)
		w->txq.hold = true;
	udp_datagram_at(w, lsn, from, a, buf, len, now);
}

static void udp_readable(evutil_socket_t fd, short what, void *arg)
{
	struct udp_listener *lsn = arg;
	struct worker *w = lsn->w;
	uint64_t now;
	int n;

	(void)what;
	n = recv_batch(w, fd);
	now = clock_ms(); /* one coarse clock read for the batch (issue 16) */
	for (int i = 0; i < n; i++) {
		const uint8_t *buf = w->rx_iov[i].iov_base;
		size_t len = w->rx_msgs[i].msg_len, k;

		if (w->rx_msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			w->stats.malformed++;
			continue;
		}
		for (size_t off = 0; off < len || !off; off += k) {
			k = worker_segment(w->rx_seg[i], len, off);
			udp_one(w, lsn, &w->rx_from[i], buf + off, k, now);
			if (!k)
				break;
		}
	}
	worker_tx_release(w);
}

void worker_udp_datagram(struct worker *w, struct udp_listener *lsn, const union sockaddr_u *from,
			 struct allocation *a, const uint8_t *buf, size_t len)
{
	udp_datagram_at(w, lsn, from, a, buf, len, clock_ms());
}

static void udp_datagram_at(struct worker *w, struct udp_listener *lsn,
			    const union sockaddr_u *from, struct allocation *a, const uint8_t *buf,
			    size_t len, uint64_t now)
{
	switch (worker_classify_datagram(buf, len)) {
	case WORKER_DGRAM_CHANNELDATA:
		turn_handle_channeldata(w, a, buf, len, now);
		break;
	case WORKER_DGRAM_STUN: {
		struct origin o = {.w = w, .lsn = lsn, .client = *from, .local = lsn->local};

		/* what it does (an allocation ended, a socket closed) comes after */
		worker_tx_release(w);
		turn_handle_message(&o, a, buf, len);
		break;
	}
	case WORKER_DGRAM_MALFORMED:
		w->stats.malformed++;
		break;
	}
}

/* TCP clients (RFC 8656 §3.1: framing of STUN and ChannelData on a stream) */

static void tcp_close(struct tcp_conn *c)
{
	store_forget_conn(c->w, c);
	if (c->alloc)
		alloc_free(c->alloc);
	if (!c->authed)
		limits_tcp_authed(c->w->srv, &c->client.sa);
	limits_tcp_release(c->w->srv, &c->client.sa);
	if (c->deadline)
		event_free(c->deadline);
	if (c->prev)
		c->prev->next = c->next;
	else
		c->w->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	if (c->bev)
		bufferevent_free(c->bev);
	tcp_tls_close(c); /* a TLS session and its socket, after their bufferevent */
	free(c);
}

void worker_tcp_close(struct tcp_conn *c)
{
	tcp_close(c);
}

/*
 * The next whole frame at the head of a stream's input: its length, 0 while
 * more bytes are needed, -1 (counted malformed) when the bytes are neither
 * STUN nor ChannelData and the connection must close. Without an
 * allocation, a frame longer than TCP_UNALLOCATED_FRAME is counted and
 * drained as it arrives (*skip: its bytes still to come), never buffered.
 */
long worker_tcp_next_frame(struct evbuffer *in, bool allocated, uint32_t *skip,
			   struct worker_stats *stats)
{
	for (;;) {
		size_t avail = evbuffer_get_length(in);
		uint8_t *frame;
		long flen;

		if (*skip) {
			size_t n = avail < *skip ? avail : *skip;

			evbuffer_drain(in, n);
			*skip -= (uint32_t)n;
			if (*skip)
				return 0;
			continue;
		}
		frame = evbuffer_pullup(in, avail < 20 ? (ssize_t)avail : 20);
		if (!frame)
			return 0;
		flen = stun_stream_frame_len(frame, avail < 20 ? avail : 20);
		if (flen < 0) {
			stats->malformed++;
			return -1;
		}
		if (!allocated && flen > TCP_UNALLOCATED_FRAME) {
			/* dropped as it arrives, never buffered; the framing goes on */
			if (stun_looks_like_channeldata(frame, avail < 20 ? avail : 20))
				stats->no_allocation++;
			else
				stats->malformed++;
			*skip = (uint32_t)flen;
			continue;
		}
		if (flen == 0 || (size_t)flen > avail)
			return 0;
		return flen;
	}
}

static void tcp_readable(struct bufferevent *bev, void *arg)
{
	struct tcp_conn *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);

	for (;;) {
		long flen = worker_tcp_next_frame(in, c->alloc != NULL, &c->skip, &c->w->stats);
		uint8_t *frame;

		if (flen < 0) {
			tcp_close(c);
			return;
		}
		if (flen == 0)
			return;
		frame = evbuffer_pullup(in, flen);
		if (stun_looks_like_channeldata(frame, (size_t)flen)) {
			turn_handle_channeldata(c->w, c->alloc, frame, (size_t)flen, clock_ms());
		} else {
			struct origin o = {.w = c->w, .tcp = c, .client = c->client,
					   .local = c->local};

			turn_handle_message(&o, c->alloc, frame, (size_t)flen);
		}
		evbuffer_drain(in, (size_t)flen);
		if (c->bind_id) {
			/* RFC 6062 §5.4: bound; from now on data for a peer, not STUN */
			tcp_relay_take_conn(c);
			tcp_close(c);
			return;
		}
	}
}

void worker_resume_message(struct worker *w, struct udp_listener *lsn, struct tcp_conn *tcp,
			   const union sockaddr_u *client, const union sockaddr_u *local,
			   const uint8_t *buf, size_t len)
{
	struct origin o = {.w = w, .lsn = lsn, .tcp = tcp, .client = *client, .local = *local};

	turn_handle_message(&o, tcp ? tcp->alloc : worker_find_udp_alloc(w, lsn, client), buf,
			    len);
	if (tcp && tcp->bind_id) {
		/* as in tcp_readable(): a bound connection carries data from now on */
		tcp_relay_take_conn(tcp);
		tcp_close(tcp);
	}
}

static void tcp_event(struct bufferevent *bev, short what, void *arg)
{
	struct tcp_conn *c = arg;

	(void)bev;
	if (c->ssl)
		tcp_tls_event(c, what);
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT))
		tcp_close(c);
}

static void tcp_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	char buf[ADDR_STRLEN];

	(void)fd;
	(void)what;
	if (!tcp_tls_deadline(c) && worker_log_ok(c->w))
		log_info("TCP connection from %s closed: no allocation within %u s "
			 "(max-allocate-timeout)",
			 addr_str(&c->client.sa, buf, sizeof(buf)),
			 c->w->srv->cfg->max_allocate_timeout);
	tcp_close(c);
}

/*
 * A connection without an allocation closes max-allocate-timeout after it
 * opened (or after its allocation ended), however much it sends, and has
 * small buffers; with an allocation it stays open as long as that.
 */
void worker_tcp_unallocated(struct tcp_conn *c, bool unallocated)
{
	struct timeval deadline = {.tv_sec = c->w->srv->cfg->max_allocate_timeout};

	bufferevent_setwatermark(c->bev, EV_READ, 0,
				 unallocated ? TCP_UNALLOCATED_FRAME : TCP_MAX_INPUT);
	if (unallocated)
		evtimer_add(c->deadline, &deadline);
	else
		evtimer_del(c->deadline);
}

static void tcp_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		       int salen, void *arg)
{
	struct worker *w = arg;
	struct bufferevent *bev;
	struct tcp_conn *c;
	socklen_t len;
	char buf[ADDR_STRLEN];
	int on = 1, refused;

	(void)l;
	if ((size_t)salen > sizeof(union sockaddr_u)) {
		evutil_closesocket(fd);
		return;
	}
	refused = limits_tcp_take(w->srv, sa);
	if (refused) {
		w->stats.conn_refused[refused - 1]++;
		if (worker_log_ok(w))
			log_info("TCP connection from %s refused: %s reached",
				 addr_str(sa, buf, sizeof(buf)), limits_tcp_cap_name(refused));
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		limits_tcp_authed(w->srv, sa);
		limits_tcp_release(w->srv, sa);
		evutil_closesocket(fd);
		return;
	}
	c->w = w;
	c->fd = -1;
	memcpy(&c->client, sa, (size_t)salen);
	len = sizeof(c->local);
	getsockname(fd, &c->local.sa, &len);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	c->deadline = evtimer_new(w->base, tcp_deadline, c);
	if (!c->deadline) {
		limits_tcp_authed(w->srv, sa);
		limits_tcp_release(w->srv, sa);
		evutil_closesocket(fd);
		free(c);
		return;
	}
	c->next = w->conns;
	if (c->next)
		c->next->prev = c;
	w->conns = c;
	if (tls_ctx_on(w->srv->tls, TLS_KIND_TLS)) {
		/* TLS or plain: the first byte tells (tcp_tls.c) */
		struct timeval deadline = {.tv_sec = w->srv->cfg->max_allocate_timeout};

		if (tcp_tls_accept(c, fd) < 0) {
			evutil_closesocket(fd);
			tcp_close(c);
			return;
		}
		evtimer_add(c->deadline, &deadline);
		return;
	}
	bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (!bev) {
		evutil_closesocket(fd);
		tcp_close(c);
		return;
	}
	worker_tcp_begin(c, bev);
}

void worker_tcp_begin(struct tcp_conn *c, struct bufferevent *bev)
{
	if (c->sniff)
		event_free(c->sniff);
	c->sniff = NULL;
	c->bev = bev;
	bufferevent_setcb(c->bev, tcp_readable, NULL, tcp_event, c);
	worker_tcp_unallocated(c, true);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

void worker_tcp_accept_resume(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;

	(void)fd;
	(void)what;
	for (int i = 0; i < w->ntcp; i++)
		evconnlistener_enable(w->tcp[i]);
}

/*
 * accept() failed for another reason than a retry (EMFILE, ENFILE, ENOBUFS):
 * the connection stays queued and the socket readable, so the listeners
 * rest for TCP_ACCEPT_BACKOFF_MS instead of spinning on it.
 */
void worker_tcp_accept_error(struct evconnlistener *l, void *arg)
{
	struct worker *w = arg;
	struct timeval backoff = {.tv_usec = TCP_ACCEPT_BACKOFF_MS * 1000};
	int err = EVUTIL_SOCKET_ERROR();

	(void)l;
	for (int i = 0; i < w->ntcp; i++)
		evconnlistener_disable(w->tcp[i]);
	evtimer_add(w->accept_resume_ev, &backoff);
	if (worker_log_ok(w))
		log_warn("worker %d: cannot accept TCP connections: %s; retrying in %d ms", w->id,
			 strerror(err), TCP_ACCEPT_BACKOFF_MS);
}

/*
 * libevent's own messages (one per failed accept() without an error
 * callback, for instance) go to our log, at most SERVER_LOG_PER_S a second
 * across threads; the rest is counted.
 */
static void libevent_log(int severity, const char *msg)
{
	static atomic_uint_fast64_t window_s;
	static atomic_uint count;
	uint_fast64_t now_s = clock_ms() / 1000, seen = atomic_load(&window_s);
	enum log_level level = severity == EVENT_LOG_ERR    ? LOG_ERROR
			       : severity == EVENT_LOG_WARN ? LOG_WARN
			       : severity == EVENT_LOG_MSG  ? LOG_INFO
							    : LOG_DEBUG;

	if (seen != now_s && atomic_compare_exchange_strong(&window_s, &seen, now_s)) {
		unsigned int n = atomic_exchange(&count, 0);

		if (n > SERVER_LOG_PER_S)
			log_info("libevent: %u messages suppressed in the last second",
				 n - SERVER_LOG_PER_S);
	}
	if (atomic_fetch_add(&count, 1) >= SERVER_LOG_PER_S || level > log_get_level())
		return;
	log_msg(level, "libevent: %s", msg);
}

/* Startup and shutdown */

/*
 * Every client of a worker shares its listening socket: the kernel's
 * default buffer (~208 KiB) overflows in bursts. Forced past rmem_max when
 * privileged, else as much as the system allows.
 */
static void set_sockbuf(int fd, int force_opt, int opt)
{
	int size = SERVER_UDP_SOCKBUF;

	if (setsockopt(fd, SOL_SOCKET, force_opt, &size, sizeof(size)) < 0)
		setsockopt(fd, SOL_SOCKET, opt, &size, sizeof(size));
}

/*
 * A socket of type bound to addr for one worker: SO_REUSEPORT (each worker
 * has its own), IPv6 only for IPv6, on listening-device before the bind.
 * -1 with errno.
 */
static int listen_socket(struct worker *w, const union sockaddr_u *addr, int type)
{
	int fd, on = 1, saved;

	fd = socket(addr->sa.sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (addr->sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (relay_bind_device(fd, w->srv->cfg->listening_device) < 0 ||
	    bind(fd, &addr->sa, addr_len(&addr->sa)) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

static int udp_listen(struct worker *w, const union sockaddr_u *addr)
{
	struct udp_listener *lsn = &w->udp[w->nudp];
	int fd;
	char buf[ADDR_STRLEN];

	fd = listen_socket(w, addr, SOCK_DGRAM);
	if (fd < 0)
		goto fail;
	set_sockbuf(fd, SO_RCVBUFFORCE, SO_RCVBUF);
	set_sockbuf(fd, SO_SNDBUFFORCE, SO_SNDBUF);
	/* a client's burst may come coalesced (recv_batch()); kernels before 5.0 refuse */
	setsockopt(fd, SOL_UDP, UDP_GRO, &(int){1}, sizeof(int));
	lsn->w = w;
	lsn->fd = fd;
	lsn->local = *addr;
	lsn->ev = event_new(w->base, fd, EV_READ | EV_PERSIST, udp_readable, lsn);
	if (!lsn->ev || event_add(lsn->ev, NULL) < 0)
		goto fail;
	w->nudp++;
	return 0;
fail:
	log_error("cannot listen on UDP %s: %s", addr_str(&addr->sa, buf, sizeof(buf)),
		  strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The socket is bound here, not by libevent, so that listening-device applies before bind. */
static int tcp_listen(struct worker *w, const union sockaddr_u *addr)
{
	struct evconnlistener *l;
	char buf[ADDR_STRLEN];
	int fd;

	fd = listen_socket(w, addr, SOCK_STREAM);
	if (fd < 0)
		goto fail;
	/* accepted connections close on exec too */
	l = evconnlistener_new(w->base, tcp_accept, w,
			       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 128, fd);
	if (!l)
		goto fail;
	evconnlistener_set_error_cb(l, worker_tcp_accept_error);
	w->tcp[w->ntcp++] = l;
	return 0;
fail:
	log_error("cannot listen on TCP %s: %s", addr_str(&addr->sa, buf, sizeof(buf)),
		  strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * DTLS on tls-listening-port and alt-tls-listening-port over UDP too (the
 * listening port already takes it through the first byte), as coturn does.
 */
static int dtls_listen(struct worker *w, const union sockaddr_u *addr)
{
	const struct config *cfg = w->srv->cfg;
	unsigned int ports[2] = {cfg->tls_listening_port, cfg->alt_tls_listening_port};

	for (int i = 0; i < 2; i++) {
		union sockaddr_u at = *addr;

		if (!ports[i] || ports[i] == addr_port(&addr->sa) ||
		    (i == 1 && ports[1] == ports[0]))
			continue;
		addr_set_port(&at.sa, (uint16_t)ports[i]);
		if (udp_listen(w, &at) < 0)
			return -1;
	}
	return 0;
}

/*
 * With TLS on: tls-listening-port and alt-tls-listening-port on addr, where
 * they are not listening-port (every TCP listener takes TLS and plain).
 */
static int tls_listen(struct worker *w, const union sockaddr_u *addr)
{
	const struct config *c = w->srv->cfg;
	uint16_t ports[SERVER_TLS_PORTS];
	int n = worker_tls_ports(c, w->srv->tls, ports);

	for (int i = 0; i < n; i++) {
		union sockaddr_u a = *addr;

		addr_set_port(&a.sa, ports[i]);
		if (tcp_listen(w, &a) < 0)
			return -1;
	}
	return 0;
}

int worker_tls_ports(const struct config *c, const struct tls_ctx *tls,
		     uint16_t ports[SERVER_TLS_PORTS])
{
	uint16_t want[SERVER_TLS_PORTS] = {c->tls_listening_port,
					   (uint16_t)c->alt_tls_listening_port};
	int n = 0;

	if (!tls_ctx_on(tls, TLS_KIND_TLS))
		return 0;
	for (int i = 0; i < SERVER_TLS_PORTS; i++) {
		bool dup = want[i] == 0 || (!c->no_tcp && want[i] == c->listening_port);

		for (int k = 0; k < n; k++)
			dup = dup || ports[k] == want[i];
		if (!dup)
			ports[n++] = want[i];
	}
	return n;
}

static void stop_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

int worker_start(struct worker *w)
{
	struct server *srv = w->srv;
	char err[256];

	w->base = event_base_new();
	w->rx = malloc((size_t)SERVER_UDP_BATCH * SERVER_RX_BUF);
	if (!w->base || !w->rx || worker_table_resize(w, TABLE_MIN) < 0)
		return -1;
	recv_batch_init(w);
	RAND_bytes((uint8_t *)&w->hash_seed, sizeof(w->hash_seed));
	RAND_bytes((uint8_t *)&w->tid_seq, sizeof(w->tid_seq));
	/* process-wide, set before any thread runs */
	event_set_log_callback(libevent_log);
	w->stop_ev = event_new(w->base, -1, 0, stop_cb, w->base);
	w->accept_resume_ev = evtimer_new(w->base, worker_tcp_accept_resume, w);
	if (!w->stop_ev || !w->accept_resume_ev || tcp_relay_worker_init(w) < 0 ||
	    offload_worker_init(w) < 0 || store_worker_init(w) < 0 || dtls_worker_init(w) < 0 ||
	    mobility_worker_init(w) < 0 || worker_gauges_init(w) < 0)
		return -1;
	if (srv->use_userdb) {
		w->db = userdb_open_sqlite(srv->cfg->userdb, false, err, sizeof(err));
		if (!w->db) {
			log_error("%s", err);
			return -1;
		}
	}
	for (int i = 0; i < srv->relay.nlisten; i++) {
		if (!srv->cfg->no_udp && udp_listen(w, &srv->relay.listen[i]) < 0)
			return -1;
		if (natdisc_listens_alt(srv, &srv->relay.listen[i])) {
			union sockaddr_u alt = srv->relay.listen[i];

			/* RFC 5780: the pair's second port */
			addr_set_port(&alt.sa, config_alt_listening_port(srv->cfg));
			if (udp_listen(w, &alt) < 0)
				return -1;
		}
		if (!srv->cfg->no_tcp && tcp_listen(w, &srv->relay.listen[i]) < 0)
			return -1;
		if (tls_listen(w, &srv->relay.listen[i]) < 0)
			return -1;
		if (w->dtls && !srv->cfg->no_udp && dtls_listen(w, &srv->relay.listen[i]) < 0)
			return -1;
	}
	return 0;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	event_base_dispatch(w->base);
	return NULL;
}

int worker_run(struct worker *w)
{
	return pthread_create(&w->thread, NULL, worker_main, w) == 0 ? 0 : -1;
}

/* Thread-safe: wakes the worker's loop and makes it return. */
void worker_stop(struct worker *w)
{
	if (w->stop_ev)
		event_active(w->stop_ev, 0, 0);
}

/* After the thread returned (or never ran): frees everything it owns. */
void worker_join(struct worker *w)
{
	if (w->thread)
		pthread_join(w->thread, NULL);
	while (w->conns)
		tcp_close(w->conns);
	dtls_worker_free(w);
	/* the kernel's last counts into the allocations' end lines */
	offload_worker_poll(w);
	for (uint32_t i = 0; w->table && i <= w->table_mask; i++)
		while (w->table[i])
			alloc_free(w->table[i]);
	/* allocations handed to it and not yet attached */
	mobility_worker_free(w);
	offload_worker_free(w);
	if (w->srv)
		tcp_relay_worker_free(w);
	for (int i = 0; i < w->nudp; i++) {
		event_free(w->udp[i].ev);
		close(w->udp[i].fd);
	}
	for (int i = 0; i < w->ntcp; i++)
		evconnlistener_free(w->tcp[i]);
	if (w->stop_ev)
		event_free(w->stop_ev);
	if (w->accept_resume_ev)
		event_free(w->accept_resume_ev);
	worker_gauges_free(w);
	if (w->db)
		userdb_close(w->db);
	store_worker_free(w);
	if (w->base)
		event_base_free(w->base);
	free(w->table);
	free(w->rx);
}
