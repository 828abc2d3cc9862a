/*
 * turnclient.c - a small TURN client for the turnutils tools: the
 * connection, reading and framing what the server sends (TCP stream
 * framing, Data indications, ChannelData), the data path to peers and the
 * blocking wrappers. Transactions live in turnclient_txn.c.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/rand.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/turnclient.h"
#include "client/turnclient_internal.h"
#include "common/addr.h"
#include "common/clock.h"
#include "stun/wire.h"

#define TURNC_READS_PER_CALL 64
#define TURNC_SEND_WAIT_MS 2000
#define TURNC_SOCKBUF_BYTES (1 << 20)

uint64_t turnc_now_us(void)
{
	return clock_ns() / 1000u;
}

int turnc_resolve(const char *host, uint16_t port, int family, struct sockaddr_storage *out)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_storage ss;
	int ret = -1;

	if (addr_parse(host, port, &ss, NULL) == 0) {
		if (family != AF_UNSPEC && ss.ss_family != family)
			return -1;
		addr_set_port((struct sockaddr *)&ss, port);
		*out = ss;
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = SOCK_DGRAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return -1;
	for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
			continue;
		if (ai->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		addr_set_port((struct sockaddr *)&ss, port);
		*out = ss;
		ret = 0;
		break;
	}
	freeaddrinfo(res);
	return ret;
}

/* Wait for a TCP connect() in progress; 0 or -errno. */
static int turnc_connect_wait(int fd, int timeout_ms)
{
	struct pollfd pfd = {.fd = fd, .events = POLLOUT};
	uint64_t deadline = turnc_now_us() + (uint64_t)timeout_ms * 1000u;
	int err = 0;
	socklen_t len = sizeof(err);

	for (int i = 0; i < 1000; i++) {
		uint64_t now = turnc_now_us();
		int n;

		if (now >= deadline)
			return -ETIMEDOUT;
		n = poll(&pfd, 1, (int)((deadline - now + 999) / 1000));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ETIMEDOUT;
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -errno;
		return err ? -err : 0;
	}
	return -ETIMEDOUT;
}

/*
 * What every client starts with: c cleared, the server's address, the
 * buffers and a non-blocking socket of type toward it with our buffer
 * sizes. On failure the caller turnc_close()s c.
 */
static int turnc_init(struct turnc *c, const struct sockaddr *server, int type)
{
	int bufsize = TURNC_SOCKBUF_BYTES;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->pw_alg = STUN_PW_ALG_MD5;
	if (addr_len(server) == 0)
		return -EAFNOSUPPORT;
	memcpy(&c->server, server, addr_len(server));
	c->rbuf = malloc(TURNC_BUF_LEN);
	c->sbuf = malloc(TURNC_BUF_LEN);
	if (!c->rbuf || !c->sbuf)
		return -ENOMEM;
	c->fd = socket(server->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	setsockopt(c->fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	return 0;
}

int turnc_open(struct turnc *c, const struct sockaddr *server, const struct sockaddr *local,
	       bool tcp, int timeout_ms)
{
	int one = 1;
	socklen_t len;
	int ret = turnc_init(c, server, tcp ? SOCK_STREAM : SOCK_DGRAM);

	c->tcp = tcp;
	if (ret < 0)
		goto fail;
	if (tcp)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (local && bind(c->fd, local, addr_len(local)) < 0) {
		ret = -errno;
		goto fail;
	}
	if (connect(c->fd, server, addr_len(server)) < 0) {
		if (!tcp || errno != EINPROGRESS) {
			ret = -errno;
			goto fail;
		}
		ret = turnc_connect_wait(c->fd, timeout_ms);
		if (ret < 0)
			goto fail;
	}
	len = sizeof(c->local);
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &len) < 0) {
		ret = -errno;
		goto fail;
	}
	return 0;
fail:
	turnc_close(c);
	return ret;
}

int turnc_open_sourced(struct turnc *c, const struct sockaddr *server)
{
	struct sockaddr_in any = {.sin_family = AF_INET};
	int on = 1;
	socklen_t len = sizeof(c->local);
	int ret;

	if (server->sa_family != AF_INET) {
		memset(c, 0, sizeof(*c));
		c->fd = -1;
		return -EAFNOSUPPORT;
	}
	ret = turnc_init(c, server, SOCK_DGRAM);
	if (ret < 0)
		goto fail;
	/* a source address that no interface has (127/8 beyond lo's own) */
	setsockopt(c->fd, IPPROTO_IP, IP_FREEBIND, &on, sizeof(on));
	if (bind(c->fd, (struct sockaddr *)&any, sizeof(any)) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&c->local, &len) < 0) {
		ret = -errno;
		goto fail;
	}
	c->sourced = true;
	return 0;
fail:
	turnc_close(c);
	return ret;
}

int turnc_set_source(struct turnc *c, const struct sockaddr *src)
{
	struct turnc keep = {.fd = c->fd, .rbuf = c->rbuf, .sbuf = c->sbuf, .sourced = true};
	uint16_t port = addr_port((const struct sockaddr *)&c->local);

	if (!c->sourced || src->sa_family != AF_INET)
		return -EINVAL;
	memcpy(&keep.server, &c->server, sizeof(keep.server));
	memcpy(&keep.local, src, sizeof(struct sockaddr_in));
	addr_set_port((struct sockaddr *)&keep.local, port);
	keep.pw_alg = STUN_PW_ALG_MD5;
	explicit_bzero(c->pass, sizeof(c->pass));
	explicit_bzero(c->key, sizeof(c->key));
	*c = keep;
	return 0;
}

/* One datagram to the server from c->local (a turnc_open_sourced() socket). */
static ssize_t turnc_send_sourced(struct turnc *c, const uint8_t *buf, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	struct msghdr mh = {.msg_name = &c->server,
			    .msg_namelen = sizeof(struct sockaddr_in),
			    .msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	struct in_pktinfo pi = {
	    .ipi_spec_dst = ((const struct sockaddr_in *)&c->local)->sin_addr};

	memset(ctl.buf, 0, sizeof(ctl.buf));
	cm->cmsg_level = IPPROTO_IP;
	cm->cmsg_type = IP_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	return sendmsg(c->fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* A datagram from the server (others are counted and dropped): as recv(). */
static ssize_t turnc_recv_dgram(struct turnc *c, uint8_t *out, size_t cap)
{
	for (;;) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n;

		if (!c->sourced)
			return recv(c->fd, out, cap, MSG_DONTWAIT);
		n = recvfrom(c->fd, out, cap, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
		if (n < 0 || addr_equal((const struct sockaddr *)&from,
					(const struct sockaddr *)&c->server))
			return n;
		c->dropped++;
	}
}

int turnc_rebind(struct turnc *c, const struct sockaddr *local)
{
	int bufsize = TURNC_SOCKBUF_BYTES;
	socklen_t len = sizeof(c->local);
	int fd, ret;

	if (c->tcp || c->ssl || c->sourced)
		return -EOPNOTSUPP;
	fd = socket(c->server.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	if (bind(fd, local, addr_len(local)) < 0 ||
	    connect(fd, (const struct sockaddr *)&c->server, addr_len((struct sockaddr *)&c->server)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&c->local, &len) < 0) {
		ret = -errno;
		close(fd);
		return ret;
	}
	close(c->fd);
	c->fd = fd;
	return 0;
}

void turnc_close(struct turnc *c)
{
	turnc_tls_close(c);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->rbuf);
	free(c->sbuf);
	c->rbuf = NULL;
	c->sbuf = NULL;
	memset(c->pass, 0, sizeof(c->pass));
	memset(c->key, 0, sizeof(c->key));
}

int turnc_fd(const struct turnc *c)
{
	return c->fd;
}

int turnc_set_auth(struct turnc *c, const char *user, const char *pass, const char *realm)
{
	if (strlen(user) >= sizeof(c->user) || strlen(pass) >= sizeof(c->pass))
		return -1;
	if (realm && strlen(realm) >= sizeof(c->realm))
		return -1;
	strcpy(c->user, user);
	strcpy(c->pass, pass);
	if (realm) {
		strcpy(c->realm, realm);
		c->realm_fixed = true;
	}
	return 0;
}

void turnc_share_auth(struct turnc *dst, const struct turnc *src)
{
	memcpy(dst->user, src->user, sizeof(dst->user));
	memcpy(dst->pass, src->pass, sizeof(dst->pass));
	memcpy(dst->realm, src->realm, sizeof(dst->realm));
	dst->realm_fixed = src->realm_fixed;
	memcpy(dst->nonce, src->nonce, src->nonce_len);
	dst->nonce_len = src->nonce_len;
	memcpy(dst->key, src->key, sizeof(dst->key));
	dst->key_len = src->key_len;
	dst->pw_alg = src->pw_alg;
	memcpy(dst->pw_algs, src->pw_algs, src->pw_algs_len);
	dst->pw_algs_len = src->pw_algs_len;
	dst->authed = src->authed;
}

/*
 * Write all of buf. A datagram that does not fit the socket buffer within
 * a short wait is dropped (-EAGAIN); a stream gets TURNC_SEND_WAIT_MS to
 * drain, since a partial frame would corrupt it.
 */
int turnc_send_bytes(struct turnc *c, const uint8_t *buf, size_t len)
{
	uint64_t deadline = turnc_now_us() + TURNC_SEND_WAIT_MS * 1000u;
	size_t off = 0;

	if (c->ssl)
		return turnc_tls_send(c, buf, len, TURNC_SEND_WAIT_MS);
	for (int i = 0; i < 100000 && off < len; i++) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};
		ssize_t n = c->sourced ? turnc_send_sourced(c, buf + off, len - off)
				       : send(c->fd, buf + off, len - off, MSG_DONTWAIT | MSG_NOSIGNAL);
		uint64_t now;

		if (n >= 0) {
			off += (size_t)n;
			if (!c->tcp)
				return 0;
			continue;
		}
		if (errno == EINTR)
			continue;
		/* a refused earlier datagram is reported on the next call */
		if (!c->tcp && errno == ECONNREFUSED && i == 0)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		now = turnc_now_us();
		if (now >= deadline || (!c->tcp && i > 0))
			return c->tcp ? -ETIMEDOUT : -EAGAIN;
		poll(&pfd, 1, c->tcp ? (int)((deadline - now + 999) / 1000) : 100);
	}
	return off == len ? 0 : -ETIMEDOUT;
}

/* Data from a peer in frame: a TURNC_EV_DATA event, or counted as malformed. */
static bool turnc_data_event(struct turnc *c, struct turnc_event *ev, bool ok, uint16_t channel,
			     const uint8_t *data, size_t len, const uint8_t *frame,
			     size_t frame_len)
{
	if (!ok) {
		c->dropped++;
		c->malformed++;
		return false;
	}
	ev->type = TURNC_EV_DATA;
	ev->channel = channel;
	ev->data = data;
	ev->len = len;
	ev->frame = frame;
	ev->frame_len = frame_len;
	return true;
}

/* RFC 6062 §4.4: XOR-PEER-ADDRESS and CONNECTION-ID of a ConnectionAttempt. */
static bool turnc_connection_attempt(struct turnc *c, const struct stun_msg *m,
				     struct turnc_event *ev)
{
	const struct stun_attr *peer = stun_msg_find(m, STUN_ATTR_XOR_PEER_ADDRESS);
	const struct stun_attr *id = stun_msg_find(m, STUN_ATTR_CONNECTION_ID);

	if (!peer || !id || stun_attr_xor_addr(m, peer, &ev->peer) < 0 ||
	    stun_attr_u32(id, &ev->connection_id) < 0) {
		c->dropped++;
		c->malformed++;
		return false;
	}
	ev->type = TURNC_EV_CONNECTION_ATTEMPT;
	return true;
}

/* One packet or frame from the server; true when it made an event. */
static bool turnc_handle_packet(struct turnc *c, const uint8_t *pkt, size_t len,
				struct turnc_event *ev, uint64_t now_us)
{
	struct stun_msg *m = &c->msg;
	const struct stun_attr *peer, *data, *icmp;

	if (stun_looks_like_channeldata(pkt, len)) {
		const uint8_t *payload = NULL;
		uint16_t ch = 0, plen = 0;
		bool ok = turn_channeldata_parse(pkt, len, &ch, &payload, &plen) == 0;

		return turnc_data_event(c, ev, ok, ch, payload, plen, pkt, len);
	}
	if (stun_msg_parse(m, pkt, len) != STUN_PARSE_OK) {
		c->dropped++;
		return false;
	}
	if (m->cls == STUN_SUCCESS || m->cls == STUN_ERROR) {
		if (!turnc_txn_on_response(c, m, now_us))
			return false;
		ev->type = TURNC_EV_TXN;
		return true;
	}
	if (m->cls == STUN_INDICATION && m->method == TURN_CONNECTION_ATTEMPT)
		return turnc_connection_attempt(c, m, ev);
	if (m->cls != STUN_INDICATION || m->method != TURN_DATA) {
		c->dropped++;
		return false;
	}
	peer = stun_msg_find(m, STUN_ATTR_XOR_PEER_ADDRESS);
	data = stun_msg_find(m, STUN_ATTR_DATA);
	icmp = stun_msg_find(m, STUN_ATTR_ICMP);
	/* RFC 8656 §11.5: ICMP and XOR-PEER-ADDRESS report an error, not data */
	if (icmp && !data) {
		if (!peer || stun_attr_xor_addr(m, peer, &ev->peer) < 0 ||
		    stun_attr_icmp(icmp, &ev->icmp) < 0)
			return turnc_data_event(c, ev, false, 0, NULL, 0, pkt, len);
		ev->type = TURNC_EV_ICMP;
		ev->channel = 0;
		ev->data = NULL;
		ev->len = 0;
		ev->frame = pkt;
		ev->frame_len = len;
		return true;
	}
	if (!peer || !data || stun_attr_xor_addr(m, peer, &ev->peer) < 0)
		return turnc_data_event(c, ev, false, 0, NULL, 0, pkt, len);
	return turnc_data_event(c, ev, true, 0, data->val, data->len, pkt, len);
}

/* The connection broke: fail the pending transaction and report it. */
static int turnc_conn_error(struct turnc *c, struct turnc_event *ev, int err)
{
	if (c->txn.state == TURNC_TXN_PENDING)
		turnc_txn_finish(c, err);
	ev->type = TURNC_EV_ERROR;
	ev->error = err;
	return ev->type;
}

/*
 * The next datagram, or the next complete frame of the TCP stream (reading
 * as needed), left in rbuf: 1, 0 when the socket has nothing now, -errno.
 */
static int turnc_read_frame(struct turnc *c, const uint8_t **pkt, size_t *len)
{
	if (c->rconsumed) {
		memmove(c->rbuf, c->rbuf + c->rconsumed, c->rlen - c->rconsumed);
		c->rlen -= c->rconsumed;
		c->rconsumed = 0;
	}
	for (int reads = 0; reads < TURNC_READS_PER_CALL;) {
		long frame = c->tcp ? stun_stream_frame_len(c->rbuf, c->rlen) : 0;
		ssize_t n;

		if (frame < 0)
			return -EPROTO;
		if (frame > 0 && (size_t)frame <= c->rlen) {
			c->rconsumed = (size_t)frame;
			*pkt = c->rbuf;
			*len = (size_t)frame;
			return 1;
		}
		reads++;
		n = c->ssl ? turnc_tls_recv(c, c->rbuf + c->rlen, TURNC_BUF_LEN - c->rlen)
			   : turnc_recv_dgram(c, c->rbuf + c->rlen, TURNC_BUF_LEN - c->rlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		if (!c->tcp) {
			*pkt = c->rbuf;
			*len = (size_t)n;
			return 1;
		}
		if (n == 0)
			return -ECONNRESET;
		c->rlen += (size_t)n;
	}
	return 0;
}

bool turnc_buffered(const struct turnc *c)
{
	long frame;

	if (turnc_tls_pending(c))
		return true; /* decrypted bytes that poll() cannot see */
	if (!c->tcp || c->rlen <= c->rconsumed)
		return false;
	frame = stun_stream_frame_len(c->rbuf + c->rconsumed, c->rlen - c->rconsumed);
	return frame != 0 && (frame < 0 || (size_t)frame <= c->rlen - c->rconsumed);
}

int turnc_next_event(struct turnc *c, struct turnc_event *ev, uint64_t now_us)
{
	memset(ev, 0, sizeof(*ev));
	ev->type = TURNC_EV_NONE;
	if (c->fd < 0)
		return TURNC_EV_NONE;
	for (int frames = 0; frames < TURNC_READS_PER_CALL; frames++) {
		const uint8_t *pkt;
		size_t len;
		int ret = turnc_read_frame(c, &pkt, &len);

		if (ret == 0)
			return TURNC_EV_NONE;
		if (ret == -ECONNREFUSED && !c->tcp) {
			/* ICMP port unreachable: the server is not there */
			if (c->txn.state != TURNC_TXN_PENDING) {
				c->dropped++;
				continue;
			}
			turnc_txn_finish(c, -ECONNREFUSED);
			ev->type = TURNC_EV_TXN;
			return ev->type;
		}
		if (ret < 0)
			return turnc_conn_error(c, ev, ret);
		if (turnc_handle_packet(c, pkt, len, ev, now_us))
			return ev->type;
	}
	return TURNC_EV_NONE;
}

/* Wait until fd is readable, a frame is buffered or deadline_us passes. */
static void turnc_poll_until(struct turnc *c, uint64_t deadline_us)
{
	struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
	uint64_t now = turnc_now_us();

	if (turnc_buffered(c) || now >= deadline_us)
		return;
	poll(&pfd, 1, (int)((deadline_us - now + 999) / 1000));
}

int turnc_wait_event(struct turnc *c, struct turnc_event *ev, int timeout_ms)
{
	uint64_t deadline = turnc_now_us() + (uint64_t)timeout_ms * 1000u;

	/* bounded by the deadline; the count is a backstop */
	for (int i = 0; i < 100000; i++) {
		int type = turnc_next_event(c, ev, turnc_now_us());

		if (type != TURNC_EV_NONE || turnc_now_us() >= deadline || c->fd < 0)
			return type;
		turnc_poll_until(c, deadline);
	}
	return TURNC_EV_NONE;
}

int turnc_recv_frame(struct turnc *c, uint8_t *out, size_t cap, int timeout_ms)
{
	uint64_t deadline = turnc_now_us() + (uint64_t)timeout_ms * 1000u;

	for (int i = 0; i < 100000 && c->fd >= 0; i++) {
		const uint8_t *pkt;
		size_t len;
		int ret = turnc_read_frame(c, &pkt, &len);

		if (ret == 1) {
			if (len > cap || len > INT32_MAX)
				return -EMSGSIZE;
			memcpy(out, pkt, len);
			return (int)len;
		}
		/* ICMP errors from earlier datagrams: keep waiting */
		if (ret < 0 && (c->tcp || ret != -ECONNREFUSED))
			return ret;
		if (turnc_now_us() >= deadline)
			return 0;
		turnc_poll_until(c, deadline);
	}
	return 0;
}

size_t turnc_take_buffered(struct turnc *c, uint8_t *out, size_t cap)
{
	size_t n = c->rlen - c->rconsumed;

	if (n > cap)
		n = cap;
	memcpy(out, c->rbuf + c->rconsumed, n);
	c->rconsumed += n;
	return n;
}

ssize_t turnc_recv_raw(struct turnc *c, uint8_t *out, size_t cap)
{
	ssize_t n;

	if (c->rlen > c->rconsumed)
		return (ssize_t)turnc_take_buffered(c, out, cap);
	for (int i = 0; i < 100; i++) {
		n = c->ssl ? turnc_tls_recv(c, out, cap) : turnc_recv_dgram(c, out, cap);
		if (n >= 0)
			return n;
		if (errno != EINTR)
			break;
	}
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

bool turnc_raw_buffered(const struct turnc *c)
{
	return c->rlen > c->rconsumed || turnc_tls_pending(c);
}

const struct stun_msg *turnc_response(const struct turnc *c)
{
	if (c->txn.state != TURNC_TXN_DONE || !c->txn.answered || !c->resp_len)
		return NULL;
	return &c->resp_msg;
}

int turnc_wait(struct turnc *c)
{
	struct turnc_event ev;

	/* bounded by the transaction's deadline; the count is a backstop */
	for (int i = 0; i < 1000000 && c->txn.state == TURNC_TXN_PENDING; i++) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		int timeout = turnc_buffered(c) ? 0 : turnc_timeout_ms(c, turnc_now_us());
		int n = poll(&pfd, 1, timeout);

		if (n < 0 && errno != EINTR) {
			turnc_txn_finish(c, -errno);
			break;
		}
		if (n > 0 || turnc_buffered(c)) {
			for (int j = 0; j < 1024; j++) {
				int type = turnc_next_event(c, &ev, turnc_now_us());

				if (type == TURNC_EV_NONE || type == TURNC_EV_TXN ||
				    type == TURNC_EV_ERROR)
					break;
				c->dropped++;
			}
		}
		turnc_tick(c, turnc_now_us());
	}
	if (c->txn.state == TURNC_TXN_PENDING)
		turnc_txn_finish(c, -ETIMEDOUT);
	return c->txn.result;
}

int turnc_binding(struct turnc *c)
{
	int ret = turnc_start_binding(c, turnc_now_us());

	return ret < 0 ? ret : turnc_wait(c);
}

int turnc_allocate(struct turnc *c, const struct turnc_alloc_opts *opts)
{
	int ret = turnc_start_allocate(c, opts, turnc_now_us());

	return ret < 0 ? ret : turnc_wait(c);
}

int turnc_refresh(struct turnc *c, uint32_t lifetime_s)
{
	int ret = turnc_start_refresh(c, lifetime_s, turnc_now_us());

	return ret < 0 ? ret : turnc_wait(c);
}

int turnc_refresh_mobile(struct turnc *c, uint32_t lifetime_s)
{
	struct turnc_req q = {.method = TURN_REFRESH,
			      .auth = TURNC_AUTH_AUTO,
			      .has_lifetime = true,
			      .lifetime_s = lifetime_s,
			      .fingerprint = true,
			      .has_ticket = true,
			      .ticket_len = (uint8_t)c->ticket_len};

	memcpy(q.ticket, c->ticket, c->ticket_len);
	return turnc_request(c, &q);
}

int turnc_request(struct turnc *c, const struct turnc_req *q)
{
	int ret = turnc_start_request(c, q, turnc_now_us());

	return ret < 0 ? ret : turnc_wait(c);
}

int turnc_create_permission(struct turnc *c, const struct sockaddr *peer)
{
	int ret = turnc_start_permission(c, peer, turnc_now_us());

	return ret < 0 ? ret : turnc_wait(c);
}

int turnc_channel_bind(struct turnc *c, uint16_t channel, const struct sockaddr *peer)
{
	int ret = turnc_start_channel_bind(c, channel, peer, turnc_now_us());

	return ret < 0 ? ret : turnc_wait(c);
}

int turnc_send_indication(struct turnc *c, const struct sockaddr *peer, const uint8_t *data,
			  size_t len)
{
	struct stun_builder b;
	uint8_t tid[STUN_TID_LEN];
	size_t n;

	if (RAND_bytes(tid, sizeof(tid)) != 1)
		return -EIO;
	stun_build_start(&b, c->sbuf, TURNC_BUF_LEN, TURN_SEND, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, peer);
	stun_put(&b, STUN_ATTR_DATA, data, len);
	n = stun_build_end(&b);
	if (n == 0)
		return -EMSGSIZE;
	return turnc_send_bytes(c, c->sbuf, n);
}

int turnc_send_channel(struct turnc *c, uint16_t channel, const uint8_t *data, size_t len)
{
	size_t total = TURN_CHANNELDATA_HDR_LEN + len;

	if (len > 0xFFFF)
		return -EMSGSIZE;
	/* RFC 8656 §12.5: over a stream, ChannelData is padded to 4 bytes */
	if (c->tcp)
		total = TURN_CHANNELDATA_HDR_LEN + wire_pad4(len);
	turn_channeldata_header(c->sbuf, channel, (uint16_t)len);
	memcpy(c->sbuf + TURN_CHANNELDATA_HDR_LEN, data, len);
	memset(c->sbuf + TURN_CHANNELDATA_HDR_LEN + len, 0, total - TURN_CHANNELDATA_HDR_LEN - len);
	return turnc_send_bytes(c, c->sbuf, total);
}

const char *turnc_strresult(int result, char *buf, size_t len)
{
	if (result == 0)
		snprintf(buf, len, "success");
	else if (result > 0)
		snprintf(buf, len, "%d %s", result, stun_err_reason(result));
	else if (result == -ETIMEDOUT)
		snprintf(buf, len, "timed out");
	else if (result == -EPROTO)
		snprintf(buf, len, "malformed response");
	else
		snprintf(buf, len, "%s", strerror(-result));
	return buf;
}
