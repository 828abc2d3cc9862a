/*
 * tclient.h - the client side of the integration tests: UDP/TCP
 * connections with STUN stream framing, a raw STUN/TURN client (struct
 * tclient) that builds each request from a declarative struct treq, so a
 * test controls every attribute, runs the long-term credential exchange
 * and retransmits over UDP; the data path (Send/Data indications,
 * ChannelData) and UDP peers on loopback. Static functions only.
 */
#ifndef ITEST_TCLIENT_H
#define ITEST_TCLIENT_H

#include "integration/harness.h"

/* Connections */

#define H_STREAM_BUF 8192

struct tconn {
	int fd;
	bool tcp;
	struct sockaddr_storage local, server;
	uint8_t in[H_STREAM_BUF]; /* TCP: bytes received and not yet returned */
	size_t inlen;
};

/* Opens a UDP or TCP connection to server, from local_ip (port 0) if given. */
static inline int tconn_open(struct tconn *c, const struct sockaddr_storage *server,
			     const char *local_ip, bool tcp)
{
	struct pollfd pfd;
	socklen_t len = sizeof(c->local);
	int on = 1, err = 0;

	memset(c, 0, sizeof(*c));
	c->tcp = tcp;
	c->server = *server;
	c->fd = socket(server->ss_family,
		       (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -1;
	if (tcp)
		setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	if (local_ip) {
		struct sockaddr_storage l = h_addr(local_ip, 0);

		if (bind(c->fd, SA(&l), addr_len(SA(&l))) < 0)
			goto fail;
	}
	if (connect(c->fd, SA(server), addr_len(SA(server))) < 0) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd = (struct pollfd){.fd = c->fd, .events = POLLOUT};
		len = sizeof(err);
		if (poll(&pfd, 1, H_TXN_TIMEOUT_MS) != 1 ||
		    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err)
			goto fail;
	}
	len = sizeof(c->local);
	if (getsockname(c->fd, SA(&c->local), &len) < 0)
		goto fail;
	return 0;
fail:
	close(c->fd);
	c->fd = -1;
	return -1;
}

static inline void tconn_close(struct tconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static inline int tconn_send(struct tconn *c, const void *buf, size_t len)
{
	uint64_t deadline = h_now_ms() + H_TXN_TIMEOUT_MS;
	size_t off = 0;

	while (off < len && h_now_ms() < deadline) {
		ssize_t n = send(c->fd, (const uint8_t *)buf + off, len - off, MSG_NOSIGNAL);
		struct pollfd pfd = {.fd = c->fd, .events = POLLOUT};

		if (n >= 0) {
			off += (size_t)n;
			if (!c->tcp)
				return 0;
			continue;
		}
		if (errno != EAGAIN && errno != EINTR && errno != ECONNREFUSED)
			return -1;
		poll(&pfd, 1, 50);
	}
	return off == len ? 0 : -1;
}

/*
 * The next datagram, or the next whole frame of the stream (a ChannelData
 * frame with its padding), copied to out. Returns its length, 0 when
 * nothing came within timeout_ms, -1 when the stream closed or broke.
 */
static inline int tconn_recv(struct tconn *c, uint8_t *out, size_t cap, int timeout_ms)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
		uint64_t now;
		ssize_t n;

		if (c->tcp && c->inlen) {
			long flen = stun_stream_frame_len(c->in, c->inlen);

			if (flen < 0 || (size_t)flen > sizeof(c->in) || (size_t)flen > cap)
				return -1;
			if (flen > 0 && (size_t)flen <= c->inlen) {
				memcpy(out, c->in, (size_t)flen);
				memmove(c->in, c->in + flen, c->inlen - (size_t)flen);
				c->inlen -= (size_t)flen;
				return (int)flen;
			}
		}
		now = h_now_ms();
		if (now >= deadline)
			return 0;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		if (c->tcp) {
			n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, 0);
			if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
				return -1;
			if (n > 0)
				c->inlen += (size_t)n;
		} else {
			n = recv(c->fd, out, cap, 0);
			if (n > 0)
				return (int)n;
			/* ICMP errors from earlier datagrams: keep waiting */
		}
	}
}

/* The raw client */

enum tauth {
	AUTH_NONE,
	AUTH_MD5,	     /* USERNAME, REALM, NONCE, MESSAGE-INTEGRITY */
	AUTH_SHA256,	     /* + PASSWORD-ALGORITHMS echoed, PASSWORD-ALGORITHM, MI-SHA256 */
	AUTH_SHA256_NO_LIST, /* PASSWORD-ALGORITHM without PASSWORD-ALGORITHMS */
	AUTH_USERHASH,	     /* USERHASH instead of USERNAME, MESSAGE-INTEGRITY */
};

/* One request, attribute by attribute; zero fields are left out. */
struct treq {
	uint16_t method;
	enum tauth auth;
	uint8_t transport;	   /* REQUESTED-TRANSPORT */
	uint8_t family;		   /* REQUESTED-ADDRESS-FAMILY, STUN_FAMILY_* */
	uint8_t additional_family; /* ADDITIONAL-ADDRESS-FAMILY */
	bool even_port;		   /* EVEN-PORT */
	bool even_port_r;	   /* its R bit */
	bool dont_fragment;	   /* DONT-FRAGMENT */
	uint64_t token;		   /* RESERVATION-TOKEN */
	bool has_lifetime;	   /* LIFETIME */
	uint32_t lifetime_s;
	const struct sockaddr_storage *peer[4]; /* XOR-PEER-ADDRESS, each */
	uint16_t channel;			/* CHANNEL-NUMBER */
	uint16_t unknown_attr;			/* an attribute the server cannot know */
	uint32_t connection_id;			/* CONNECTION-ID (RFC 6062) */
};

struct tclient {
	struct tconn c;
	const char *user, *pass;
	/* the server's challenge */
	char realm[128];
	uint8_t nonce[256];
	size_t nonce_len;
	uint8_t pw_algs[64];
	size_t pw_algs_len;
	bool no_retry;	/* hand 401/438 to the test instead of answering them */
	bool allocated; /* delete the allocation on tclient_close() */
	/* the last request and its answer */
	uint8_t tid[STUN_TID_LEN];
	uint8_t key[32];
	int key_len;
	uint8_t resp[2048];
	size_t resp_len;
	struct stun_msg m;
	bool signed_ok;	     /* the answer carried a valid MI or MI-SHA256 for key */
	bool sha256;	     /* ... and it was MESSAGE-INTEGRITY-SHA256 */
	uint8_t frame[2048]; /* the last frame from tclient_recv_data() */
	int frame_len;
};

static inline int tclient_open(struct tclient *cl, const struct sockaddr_storage *server,
			       const char *local_ip, bool tcp)
{
	memset(cl, 0, sizeof(*cl));
	cl->user = H_USER;
	cl->pass = H_PASS;
	return tconn_open(&cl->c, server, local_ip, tcp);
}

static inline void h_new_tid(uint8_t tid[STUN_TID_LEN])
{
	if (RAND_bytes(tid, STUN_TID_LEN) != 1)
		fail_msg("RAND_bytes");
}

/* Builds q (with credentials unless q->auth is AUTH_NONE); the length or 0. */
static inline size_t tclient_build(struct tclient *cl, const struct treq *q, uint8_t *buf,
				   size_t cap)
{
	struct stun_builder b;
	uint16_t alg = STUN_PW_ALG_MD5;

	h_new_tid(cl->tid);
	stun_build_start(&b, buf, cap, q->method, STUN_REQUEST, cl->tid);
	if (q->transport)
		stun_put_transport(&b, q->transport);
	if (q->family)
		stun_put_family(&b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, q->family);
	if (q->additional_family)
		stun_put_family(&b, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, q->additional_family);
	if (q->even_port)
		stun_put_even_port(&b, q->even_port_r);
	if (q->dont_fragment)
		stun_put(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	if (q->token)
		stun_put_token(&b, q->token);
	if (q->has_lifetime)
		stun_put_u32(&b, STUN_ATTR_LIFETIME, q->lifetime_s);
	if (q->channel)
		stun_put_channel(&b, q->channel);
	for (int i = 0; i < 4 && q->peer[i]; i++)
		stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, SA(q->peer[i]));
	if (q->connection_id)
		stun_put_u32(&b, STUN_ATTR_CONNECTION_ID, q->connection_id);
	if (q->unknown_attr) {
		const uint8_t v[4] = {1, 2, 3, 4};

		stun_put(&b, q->unknown_attr, v, sizeof(v));
	}
	cl->key_len = 0;
	if (q->auth == AUTH_NONE)
		return stun_build_end(&b);

	if (q->auth == AUTH_SHA256 || q->auth == AUTH_SHA256_NO_LIST)
		alg = STUN_PW_ALG_SHA256;
	cl->key_len = stun_lt_key(alg, cl->user, cl->realm, cl->pass, cl->key);
	if (q->auth == AUTH_USERHASH) {
		uint8_t hash[32];

		stun_userhash(cl->user, cl->realm, hash);
		stun_put(&b, STUN_ATTR_USERHASH, hash, sizeof(hash));
	} else {
		stun_put_str(&b, STUN_ATTR_USERNAME, cl->user);
	}
	stun_put_str(&b, STUN_ATTR_REALM, cl->realm);
	stun_put(&b, STUN_ATTR_NONCE, cl->nonce, cl->nonce_len);
	if (q->auth == AUTH_SHA256)
		stun_put(&b, STUN_ATTR_PASSWORD_ALGORITHMS, cl->pw_algs, cl->pw_algs_len);
	if (alg == STUN_PW_ALG_SHA256) {
		stun_put_pw_alg(&b, alg);
		stun_put_integrity_sha256(&b, cl->key, (size_t)cl->key_len);
	} else {
		stun_put_integrity(&b, cl->key, (size_t)cl->key_len);
	}
	return stun_build_end(&b);
}

/* Keeps REALM, NONCE and PASSWORD-ALGORITHMS of the last answer. */
static inline void tclient_take_challenge(struct tclient *cl)
{
	const struct stun_attr *realm = stun_msg_find(&cl->m, STUN_ATTR_REALM);
	const struct stun_attr *nonce = stun_msg_find(&cl->m, STUN_ATTR_NONCE);
	const struct stun_attr *algs = stun_msg_find(&cl->m, STUN_ATTR_PASSWORD_ALGORITHMS);

	if (realm && realm->len < sizeof(cl->realm)) {
		memcpy(cl->realm, realm->val, realm->len);
		cl->realm[realm->len] = '\0';
	}
	if (nonce && nonce->len <= sizeof(cl->nonce)) {
		memcpy(cl->nonce, nonce->val, nonce->len);
		cl->nonce_len = nonce->len;
	}
	if (algs && algs->len <= sizeof(cl->pw_algs)) {
		memcpy(cl->pw_algs, algs->val, algs->len);
		cl->pw_algs_len = algs->len;
	}
}

/* 0 for a success response, the code of an error response, -EPROTO else. */
static inline int h_resp_code(const struct stun_msg *m)
{
	const struct stun_attr *e;
	const char *reason;
	size_t reason_len;
	int code;

	if (m->cls == STUN_SUCCESS)
		return 0;
	if (m->cls != STUN_ERROR)
		return -EPROTO;
	e = stun_msg_find(m, STUN_ATTR_ERROR_CODE);
	if (!e || stun_attr_error(e, &code, &reason, &reason_len) < 0)
		return -EPROTO;
	return code;
}

/*
 * Sends the request in buf and waits for the answer with its transaction
 * ID (UDP: retransmitted after H_RTO_MS, doubling). Other packets are
 * skipped. Returns the answer's code (h_resp_code) or -ETIMEDOUT.
 */
static inline int tclient_txn_raw(struct tclient *cl, const uint8_t *buf, size_t len)
{
	uint64_t start = h_now_ms(), deadline = start + H_TXN_TIMEOUT_MS;
	uint64_t next_send = start;
	int rto = H_RTO_MS;

	cl->resp_len = 0;
	cl->signed_ok = cl->sha256 = false;
	for (int guard = 0; guard < 10000; guard++) {
		uint64_t now = h_now_ms(), until;
		int n;

		if (now >= deadline)
			break;
		if (now >= next_send) {
			if (tconn_send(&cl->c, buf, len) < 0)
				return -EIO;
			next_send = cl->c.tcp ? deadline : now + (uint64_t)rto;
			rto *= 2;
		}
		until = next_send < deadline ? next_send : deadline;
		n = tconn_recv(&cl->c, cl->resp, sizeof(cl->resp), (int)(until - now));
		if (n < 0)
			return -ECONNRESET;
		if (n == 0)
			continue;
		if (stun_msg_parse(&cl->m, cl->resp, (size_t)n) != STUN_PARSE_OK ||
		    memcmp(cl->m.tid, buf + 8, STUN_TID_LEN) != 0)
			continue;
		if (cl->m.cls != STUN_SUCCESS && cl->m.cls != STUN_ERROR)
			continue;
		cl->resp_len = (size_t)n;
		if (cl->key_len && cl->m.mi256_idx >= 0) {
			cl->sha256 = true;
			cl->signed_ok = stun_msg_check_integrity_sha256(&cl->m, cl->key,
									(size_t)cl->key_len) == 0;
		} else if (cl->key_len && cl->m.mi_idx >= 0) {
			cl->signed_ok =
			    stun_msg_check_integrity(&cl->m, cl->key, (size_t)cl->key_len) == 0;
		}
		return h_resp_code(&cl->m);
	}
	return -ETIMEDOUT;
}

/*
 * Runs request q and returns the answer's code: 0 success, a STUN error
 * code, or a negative errno. Without a nonce yet, an authenticated request
 * is first sent bare to fetch the challenge; a 438 is answered once with
 * the new nonce (unless no_retry). A success answer to an authenticated
 * request must be signed with the key: -EBADMSG when it is not.
 */
static inline int tclient_do(struct tclient *cl, const struct treq *q)
{
	uint8_t buf[1500];
	size_t len;
	int code = -EPROTO;

	if (q->auth != AUTH_NONE && !cl->nonce_len) {
		struct treq bare = *q;

		bare.auth = AUTH_NONE;
		len = tclient_build(cl, &bare, buf, sizeof(buf));
		if (!len)
			return -ENOBUFS;
		code = tclient_txn_raw(cl, buf, len);
		if (code != STUN_ERR_UNAUTHORIZED)
			return code;
		tclient_take_challenge(cl);
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		len = tclient_build(cl, q, buf, sizeof(buf));
		if (!len)
			return -ENOBUFS;
		code = tclient_txn_raw(cl, buf, len);
		if (code != STUN_ERR_STALE_NONCE || cl->no_retry)
			break;
		tclient_take_challenge(cl);
	}
	if (code == 0 && q->auth != AUTH_NONE && !cl->signed_ok) {
		fprintf(stderr, "%s success answer without a valid integrity attribute\n",
			stun_method_name(q->method));
		return -EBADMSG;
	}
	if (code == 0 && q->method == TURN_ALLOCATE)
		cl->allocated = true;
	if (q->method == TURN_REFRESH && ((code == 0 && q->has_lifetime && !q->lifetime_s) ||
					  code == TURN_ERR_ALLOCATION_MISMATCH))
		cl->allocated = false;
	return code;
}

/* The usual requests */

static inline int tclient_allocate(struct tclient *cl)
{
	struct treq q = {
	    .method = TURN_ALLOCATE, .auth = AUTH_MD5, .transport = TURN_TRANSPORT_UDP};

	return tclient_do(cl, &q);
}

static inline int tclient_allocate_family(struct tclient *cl, uint8_t family, uint8_t additional)
{
	struct treq q = {.method = TURN_ALLOCATE,
			 .auth = AUTH_MD5,
			 .transport = TURN_TRANSPORT_UDP,
			 .family = family,
			 .additional_family = additional};

	return tclient_do(cl, &q);
}

static inline int tclient_refresh(struct tclient *cl, uint32_t lifetime_s)
{
	struct treq q = {.method = TURN_REFRESH,
			 .auth = AUTH_MD5,
			 .has_lifetime = true,
			 .lifetime_s = lifetime_s};

	return tclient_do(cl, &q);
}

static inline int tclient_permission(struct tclient *cl, const struct sockaddr_storage *peer)
{
	struct treq q = {.method = TURN_CREATE_PERMISSION, .auth = AUTH_MD5, .peer = {peer}};

	return tclient_do(cl, &q);
}

static inline int tclient_channel_bind(struct tclient *cl, uint16_t channel,
				       const struct sockaddr_storage *peer)
{
	struct treq q = {
	    .method = TURN_CHANNEL_BIND, .auth = AUTH_MD5, .channel = channel, .peer = {peer}};

	return tclient_do(cl, &q);
}

static inline int tclient_binding(struct tclient *cl)
{
	struct treq q = {.method = STUN_BINDING};

	return tclient_do(cl, &q);
}

/* Deletes the allocation if it still has one (UDP), then closes. */
static inline void tclient_close(struct tclient *cl)
{
	if (cl->c.fd >= 0 && cl->allocated && !cl->c.tcp) {
		cl->no_retry = false;
		tclient_refresh(cl, 0);
	}
	tconn_close(&cl->c);
}

/* Attributes of the last answer */

static inline const struct stun_attr *tclient_attr(const struct tclient *cl, uint16_t type)
{
	return cl->resp_len ? stun_msg_find(&cl->m, type) : NULL;
}

/* The n-th (from 0) attribute of this type holding an address; 0 or -1. */
static inline int tclient_xor_addr(const struct tclient *cl, uint16_t type, int n,
				   struct sockaddr_storage *out)
{
	for (int i = 0; cl->resp_len && i < cl->m.nattrs; i++)
		if (cl->m.attrs[i].type == type && n-- == 0)
			return stun_attr_xor_addr(&cl->m, &cl->m.attrs[i], out);
	return -1;
}

static inline int tclient_count(const struct tclient *cl, uint16_t type)
{
	int n = 0;

	for (int i = 0; cl->resp_len && i < cl->m.nattrs; i++)
		n += cl->m.attrs[i].type == type;
	return n;
}

static inline uint32_t tclient_u32(const struct tclient *cl, uint16_t type)
{
	const struct stun_attr *a = tclient_attr(cl, type);
	uint32_t v = 0;

	if (!a || stun_attr_u32(a, &v) < 0)
		fail_msg("answer has no valid attribute 0x%04x", type);
	return v;
}

/* The first relayed address of the last answer; fails the test if none. */
static inline struct sockaddr_storage tclient_relayed(const struct tclient *cl, int n)
{
	struct sockaddr_storage ss;

	if (tclient_xor_addr(cl, STUN_ATTR_XOR_RELAYED_ADDRESS, n, &ss) < 0)
		fail_msg("answer has no XOR-RELAYED-ADDRESS #%d", n);
	return ss;
}

/* Data path */

static inline int tclient_send_indication(struct tclient *cl, const struct sockaddr_storage *peer,
					  const void *data, size_t len)
{
	uint8_t buf[1500], tid[STUN_TID_LEN];
	struct stun_builder b;
	size_t n;

	h_new_tid(tid);
	stun_build_start(&b, buf, sizeof(buf), TURN_SEND, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, SA(peer));
	stun_put(&b, STUN_ATTR_DATA, data, len);
	n = stun_build_end(&b);
	return n ? tconn_send(&cl->c, buf, n) : -1;
}

/* ChannelData; padded to 4 bytes over TCP (RFC 8656 §12.5). */
static inline int tclient_send_channel(struct tclient *cl, uint16_t channel, const void *data,
				       size_t len)
{
	uint8_t buf[1500] = {0};
	size_t n = TURN_CHANNELDATA_HDR_LEN + len;

	if (n + 3 > sizeof(buf))
		return -1;
	turn_channeldata_header(buf, channel, (uint16_t)len);
	memcpy(buf + TURN_CHANNELDATA_HDR_LEN, data, len);
	if (cl->c.tcp)
		n = wire_pad4(n);
	return tconn_send(&cl->c, buf, n);
}

/*
 * Waits for data relayed from a peer: a Data indication (*channel = 0,
 * *peer set) or ChannelData (*channel set). Copies the payload to data and
 * returns its length; -ETIMEDOUT when none came. The whole frame stays in
 * cl->frame / cl->frame_len.
 */
static inline int tclient_recv_data(struct tclient *cl, int timeout_ms, uint16_t *channel,
				    struct sockaddr_storage *peer, uint8_t *data, size_t cap)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	for (int guard = 0; guard < 1000; guard++) {
		uint64_t now = h_now_ms();
		struct stun_msg m;
		const struct stun_attr *pa, *da;
		const uint8_t *payload;
		uint16_t ch, plen;
		int n;

		if (now >= deadline)
			break;
		n = tconn_recv(&cl->c, cl->frame, sizeof(cl->frame), (int)(deadline - now));
		if (n <= 0)
			break;
		cl->frame_len = n;
		if (stun_looks_like_channeldata(cl->frame, (size_t)n)) {
			if (turn_channeldata_parse(cl->frame, (size_t)n, &ch, &payload, &plen) <
				0 ||
			    plen > cap)
				fail_msg("malformed ChannelData from the server");
			*channel = ch;
			memcpy(data, payload, plen);
			return plen;
		}
		if (stun_msg_parse(&m, cl->frame, (size_t)n) != STUN_PARSE_OK ||
		    m.cls != STUN_INDICATION || m.method != TURN_DATA)
			continue;
		pa = stun_msg_find(&m, STUN_ATTR_XOR_PEER_ADDRESS);
		da = stun_msg_find(&m, STUN_ATTR_DATA);
		if (!pa || !da || stun_attr_xor_addr(&m, pa, peer) < 0 || da->len > cap)
			fail_msg("malformed Data indication from the server");
		*channel = 0;
		memcpy(data, da->val, da->len);
		return da->len;
	}
	return -ETIMEDOUT;
}

/* Asserts that nothing from a peer reaches the client within H_SILENCE_MS. */
static inline void tclient_assert_no_data(struct tclient *cl)
{
	struct sockaddr_storage peer;
	uint8_t data[1500];
	uint16_t ch;
	int n = tclient_recv_data(cl, H_SILENCE_MS, &ch, &peer, data, sizeof(data));

	if (n != -ETIMEDOUT)
		fail_msg("unexpected relayed data (%d bytes, channel 0x%04x)", n, ch);
}

/* UDP peers on loopback */

struct tpeer {
	int fd;
	struct sockaddr_storage addr;
};

static inline void tpeer_open(struct tpeer *p, const char *ip)
{
	struct sockaddr_storage ss = h_addr(ip, 0);
	socklen_t len = sizeof(p->addr);

	p->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || bind(p->fd, SA(&ss), addr_len(SA(&ss))) < 0 ||
	    getsockname(p->fd, SA(&p->addr), &len) < 0)
		fail_msg("peer socket on %s: %s", ip, strerror(errno));
}

static inline void tpeer_close(struct tpeer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* A datagram within timeout_ms: its length (from set), or -ETIMEDOUT. */
static inline int tpeer_recv(struct tpeer *p, uint8_t *buf, size_t cap, int timeout_ms,
			     struct sockaddr_storage *from)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	for (int guard = 0; guard < 1000; guard++) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		socklen_t len = sizeof(*from);
		uint64_t now = h_now_ms();
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recvfrom(p->fd, buf, cap, 0, SA(from), &len);
		if (n >= 0)
			return (int)n;
	}
	return -ETIMEDOUT;
}

static inline void tpeer_send(struct tpeer *p, const struct sockaddr_storage *to, const void *buf,
			      size_t len)
{
	if (sendto(p->fd, buf, len, 0, SA(to), addr_len(SA(to))) != (ssize_t)len)
		fail_msg("peer sendto %s: %s", h_str(to), strerror(errno));
}

static inline void tpeer_assert_nothing(struct tpeer *p)
{
	struct sockaddr_storage from;
	uint8_t buf[1500];
	int n = tpeer_recv(p, buf, sizeof(buf), H_SILENCE_MS, &from);

	if (n != -ETIMEDOUT)
		fail_msg("peer %s got %d unexpected bytes from %s", h_str(&p->addr), n,
			 h_str(&from));
}

#endif
