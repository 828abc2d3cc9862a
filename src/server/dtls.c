/*
 * dtls.c - DTLS sessions on a worker's UDP listeners (dtls.h): the table
 * of sessions by (listener, client), the stateless cookie exchange before
 * any of them exists, OpenSSL driven through a BIO that reads the datagram
 * in hand and writes with sendto() on the listener, and the TURN messages
 * inside (one STUN message or ChannelData per record, RFC 8656 §3.1).
 */
#include <errno.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/dtls.h"
#include "server/server.h"
#include "server/tls.h"

#define DTLS_TABLE_MIN 256
#define DTLS_TABLE_MAX 65536

struct dtls_session {
	struct dtls_session *hnext;
	struct worker *w;
	struct udp_listener *lsn;
	union sockaddr_u client;
	SSL *ssl;
	const uint8_t *in; /* the datagram the BIO hands OpenSSL next, or NULL */
	size_t in_len;
	struct allocation *alloc;
	struct event *deadline; /* max-allocate-timeout while alloc is NULL */
	struct event *retx;	/* the handshake's retransmission timer */
	uint64_t opened_ms;	/* max-allocate-timeout counts from here */
	bool established;
	bool closing;
	bool authed; /* a request on it authenticated (limits_tcp_authed()) */
};

struct dtls_worker {
	uint8_t secret[32]; /* cookies: HMAC key, never leaves the worker */
	struct dtls_session **table;
	uint32_t mask;
	uint32_t count;
	uint8_t plain[DTLS_MAX_PLAIN]; /* a record's plaintext, read */
	uint8_t out[DTLS_MAX_PLAIN];   /* ... to write (an answer goes out while plain is read) */
};

/* The BIO: reads the one datagram in hand, writes each datagram with sendto() */

static BIO_METHOD *bio_method;
static pthread_once_t bio_once = PTHREAD_ONCE_INIT;

static int bio_write(BIO *b, const char *data, int len)
{
	struct dtls_session *s = BIO_get_data(b);

	/* a datagram lost here is one lost on the way: the handshake's timers resend */
	if (sendto(s->lsn->fd, data, (size_t)len, MSG_DONTWAIT, &s->client.sa,
		   addr_len(&s->client.sa)) < 0)
		s->w->stats.send_errors++;
	return len;
}

static int bio_read(BIO *b, char *out, int cap)
{
	struct dtls_session *s = BIO_get_data(b);
	size_t n;

	BIO_clear_retry_flags(b);
	if (!s->in) {
		BIO_set_retry_read(b);
		return -1;
	}
	n = s->in_len < (size_t)cap ? s->in_len : (size_t)cap;
	memcpy(out, s->in, n);
	s->in = NULL;
	return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return DTLS_LINK_MTU;
	default:
		return 0;
	}
}

static int bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void bio_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "turn-dtls");

	if (!m || !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
	    !BIO_meth_set_ctrl(m, bio_ctrl) || !BIO_meth_set_create(m, bio_create)) {
		BIO_meth_free(m);
		return;
	}
	bio_method = m;
}

/* Cookies (dtls_cookie.c): OpenSSL asks through these once a session exists */

static uint32_t cookie_epoch(void)
{
	return (uint32_t)(clock_ms() / 1000 / DTLS_COOKIE_EPOCH_S);
}

static int cookie_generate(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	struct dtls_session *s = SSL_get_app_data(ssl);

	if (!s)
		return 0;
	dtls_cookie_make(s->w->dtls->secret, cookie_epoch(), &s->lsn->local.sa, &s->client.sa,
			 cookie);
	*len = DTLS_COOKIE_LEN;
	return 1;
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	struct dtls_session *s = SSL_get_app_data(ssl);

	return s && dtls_cookie_valid(s->w->dtls->secret, cookie_epoch(), &s->lsn->local.sa,
				      &s->client.sa, cookie, len);
}

int dtls_ctx_setup(SSL_CTX *ctx, void *arg)
{
	(void)arg;
	pthread_once(&bio_once, bio_method_init);
	if (!bio_method)
		return -1;
	SSL_CTX_set_cookie_generate_cb(ctx, cookie_generate);
	SSL_CTX_set_cookie_verify_cb(ctx, cookie_verify);
	return 0;
}

/* The session table */

static uint32_t slot_of(const struct worker *w, const struct udp_listener *lsn,
			const union sockaddr_u *client)
{
	return (addr_hash(&client->sa, w->hash_seed) ^ (uint32_t)(lsn - w->udp)) & w->dtls->mask;
}

static struct dtls_session *session_find(struct worker *w, const struct udp_listener *lsn,
					 const union sockaddr_u *client)
{
	struct dtls_session *s = w->dtls->table[slot_of(w, lsn, client)];

	for (; s; s = s->hnext)
		if (s->lsn == lsn && addr_equal(&s->client.sa, &client->sa))
			return s;
	return NULL;
}

static void session_unlink(struct dtls_session *s)
{
	struct dtls_session **pp = &s->w->dtls->table[slot_of(s->w, s->lsn, &s->client)];

	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == s) {
			*pp = s->hnext;
			s->w->dtls->count--;
			return;
		}
	}
}

bool dtls_has_session(struct worker *w, const struct udp_listener *lsn,
		      const union sockaddr_u *client)
{
	return w->dtls && w->dtls->count && session_find(w, lsn, client);
}

/* Sessions */

static void session_log(struct dtls_session *s, const char *what)
{
	char buf[ADDR_STRLEN];

	if (worker_log_ok(s->w))
		log_info("DTLS session from %s %s", addr_str(&s->client.sa, buf, sizeof(buf)), what);
}

/* Its allocation first; close_notify (RFC 5246 §7.2.1) when notify and established. */
static void session_close(struct dtls_session *s, bool notify)
{
	s->closing = true;
	store_forget_conn(s->w, s);
	if (s->alloc)
		alloc_free(s->alloc);
	if (notify && s->established)
		SSL_shutdown(s->ssl);
	session_unlink(s);
	if (!s->authed)
		limits_tcp_authed(s->w->srv, &s->client.sa);
	limits_tcp_release(s->w->srv, &s->client.sa);
	event_free(s->deadline);
	event_free(s->retx);
	SSL_free(s->ssl);
	free(s);
}

void dtls_session_end(struct dtls_session *s)
{
	session_close(s, true);
}

static void session_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct dtls_session *s = arg;
	char buf[96];

	(void)fd;
	(void)what;
	if (!s->established)
		snprintf(buf, sizeof(buf), "closed: handshake not done within %u s",
			 s->w->srv->cfg->max_allocate_timeout < SERVER_TLS_HANDSHAKE_S
				 ? s->w->srv->cfg->max_allocate_timeout
				 : SERVER_TLS_HANDSHAKE_S);
	else
		snprintf(buf, sizeof(buf), "closed: no allocation within %u s (max-allocate-timeout)",
			 s->w->srv->cfg->max_allocate_timeout);
	session_log(s, buf);
	session_close(s, true);
}

/* OpenSSL's next handshake retransmission, if it waits for one (RFC 6347 §4.2.4). */
static void retx_arm(struct dtls_session *s)
{
	struct timeval tv;

	if (!s->established && DTLSv1_get_timeout(s->ssl, &tv) > 0)
		evtimer_add(s->retx, &tv);
	else
		evtimer_del(s->retx);
}

static void session_retx(evutil_socket_t fd, short what, void *arg)
{
	struct dtls_session *s = arg;

	(void)fd;
	(void)what;
	if (DTLSv1_handle_timeout(s->ssl) < 0) {
		session_log(s, "closed: handshake retransmissions exhausted");
		session_close(s, false);
		return;
	}
	retx_arm(s);
}

/*
 * The session's deadline: the handshake within SERVER_TLS_HANDSHAKE_S (as
 * for TLS) and max-allocate-timeout from its start; an allocation within
 * that; after the allocation, max-allocate-timeout for the next.
 */
static void deadline_arm(struct dtls_session *s)
{
	uint64_t mat_ms = (uint64_t)s->w->srv->cfg->max_allocate_timeout * 1000;
	uint64_t now = clock_ms(), end = s->opened_ms + mat_ms, left;
	struct timeval tv;

	if (!s->established && s->opened_ms + SERVER_TLS_HANDSHAKE_S * 1000 < end)
		end = s->opened_ms + SERVER_TLS_HANDSHAKE_S * 1000;
	left = end > now ? end - now : 0;
	tv.tv_sec = (time_t)(left / 1000);
	tv.tv_usec = (suseconds_t)(left % 1000) * 1000;
	evtimer_add(s->deadline, &tv);
}

void dtls_session_set_alloc(struct dtls_session *s, struct allocation *a)
{
	s->alloc = a;
	if (a) {
		evtimer_del(s->deadline);
	} else if (!s->closing) {
		s->opened_ms = clock_ms(); /* an allocation ended: the clock starts again */
		deadline_arm(s);
	}
}

/*
 * A ClientHello with a valid cookie: the session, its SSL past the cookie
 * exchange (DTLSv1_listen() takes the ClientHello as the second one), or
 * NULL (counted against the client connection limits like a TCP client).
 */
static struct dtls_session *session_new(struct udp_listener *lsn, const union sockaddr_u *client,
					const uint8_t *buf, size_t len)
{
	struct worker *w = lsn->w;
	struct dtls_session *s;
	BIO_ADDR *peer = NULL;
	BIO *bio = NULL;
	char abuf[ADDR_STRLEN];
	int refused = limits_tcp_take(w->srv, &client->sa);

	if (refused) {
		w->stats.conn_refused[refused - 1]++;
		if (worker_log_ok(w))
			log_info("DTLS session from %s refused: %s reached",
				 addr_str(&client->sa, abuf, sizeof(abuf)),
				 limits_tcp_cap_name(refused));
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		goto fail_limits;
	s->w = w;
	s->lsn = lsn;
	s->client = *client;
	s->ssl = tls_ssl_new(w->srv->tls, TLS_KIND_DTLS);
	bio = bio_method ? BIO_new(bio_method) : NULL;
	peer = BIO_ADDR_new();
	s->deadline = evtimer_new(w->base, session_deadline, s);
	s->retx = evtimer_new(w->base, session_retx, s);
	if (!s->ssl || !bio || !peer || !s->deadline || !s->retx)
		goto fail;
	BIO_set_data(bio, s);
	SSL_set_bio(s->ssl, bio, bio);
	bio = NULL;
	SSL_set_app_data(s->ssl, s);
	SSL_set_options(s->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(s->ssl, DTLS_LINK_MTU);
	s->in = buf;
	s->in_len = len;
	if (DTLSv1_listen(s->ssl, peer) != 1)
		goto fail;
	BIO_ADDR_free(peer);
	{
		uint32_t slot = slot_of(w, lsn, client);

		s->hnext = w->dtls->table[slot];
		w->dtls->table[slot] = s;
		w->dtls->count++;
	}
	dtls_session_set_alloc(s, NULL);
	return s;
fail:
	ERR_clear_error();
	BIO_ADDR_free(peer);
	BIO_free(bio);
	if (s->deadline)
		event_free(s->deadline);
	if (s->retx)
		event_free(s->retx);
	SSL_free(s->ssl);
	free(s);
fail_limits:
	limits_tcp_authed(w->srv, &client->sa);
	limits_tcp_release(w->srv, &client->sa);
	return NULL;
}

/* A fatal error (OpenSSL sent its alert): logged with OpenSSL's reason, closed. */
static void session_fail(struct dtls_session *s, const char *what)
{
	unsigned long e = ERR_peek_last_error();
	const char *why = e ? ERR_reason_error_string(e) : NULL;
	char buf[160];

	snprintf(buf, sizeof(buf), "closed: %s (%s)", what, why ? why : "no reason given");
	ERR_clear_error();
	session_log(s, buf);
	session_close(s, false);
}

void dtls_session_message(struct dtls_session *s, const uint8_t *buf, size_t len)
{
	struct origin o = {.w = s->w, .dtls = s, .client = s->client, .local = s->lsn->local};

	turn_handle_message(&o, s->alloc, buf, len);
}

/* One record's plaintext: a STUN message or ChannelData, as over UDP. */
static void session_dispatch(struct dtls_session *s, const uint8_t *buf, size_t len)
{
	struct worker *w = s->w;

	switch (worker_classify_datagram(buf, len)) {
	case WORKER_DGRAM_CHANNELDATA:
		turn_handle_channeldata(w, s->alloc, buf, len, clock_ms());
		break;
	case WORKER_DGRAM_STUN:
		dtls_session_message(s, buf, len);
		break;
	case WORKER_DGRAM_MALFORMED:
		w->stats.malformed++;
		break;
	}
}

/* Feeds one datagram to an existing session: handshake, then its records. */
static void session_input(struct dtls_session *s, const uint8_t *buf, size_t len)
{
	struct dtls_worker *d = s->w->dtls;
	int n;

	s->in = buf;
	s->in_len = len;
	if (!s->established) {
		n = SSL_do_handshake(s->ssl);
		if (n <= 0) {
			int err = SSL_get_error(s->ssl, n);

			s->in = NULL;
			if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
				retx_arm(s);
				return;
			}
			session_fail(s, "handshake failed");
			return;
		}
		s->established = true;
		retx_arm(s);
		if (!s->alloc)
			deadline_arm(s); /* the rest of max-allocate-timeout */
		if (worker_log_ok(s->w)) {
			char abuf[ADDR_STRLEN];

			log_info("DTLS session from %s: %s, %s",
				 addr_str(&s->client.sa, abuf, sizeof(abuf)),
				 SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl));
		}
	}
	for (;;) {
		n = SSL_read(s->ssl, d->plain, sizeof(d->plain));
		if (n > 0) {
			session_dispatch(s, d->plain, (size_t)n);
			continue;
		}
		switch (SSL_get_error(s->ssl, n)) {
		case SSL_ERROR_WANT_READ:
		case SSL_ERROR_WANT_WRITE:
			s->in = NULL;
			return;
		case SSL_ERROR_ZERO_RETURN:
			session_log(s, "closed by the client (close_notify)");
			session_close(s, true);
			return;
		default:
			session_fail(s, "DTLS error");
			return;
		}
	}
}

/*
 * RFC 6347 §4.2.1: a ClientHello from an address without a session gets a
 * HelloVerifyRequest unless its cookie is the one made for it; only then
 * is anything kept. Anything else without a session is dropped. §4.2.8: a
 * first ClientHello on an established session's address is a client that
 * started again from the same port: it goes through the same exchange,
 * and the old session (and its allocation) ends once the cookie is right.
 */
void dtls_input(struct udp_listener *lsn, const union sockaddr_u *client, const uint8_t *buf,
		size_t len)
{
	struct worker *w = lsn->w;
	struct dtls_session *s;
	struct dtls_hello h;

	if (!w->dtls || dtls_records_check(buf, len) < 0) {
		w->stats.malformed++;
		return;
	}
	s = session_find(w, lsn, client);
	if (s && (!s->established || dtls_hello_parse(buf, len, &h) < 0)) {
		session_input(s, buf, len);
		return;
	}
	if (!s && dtls_hello_parse(buf, len, &h) < 0) {
		w->stats.dtls_no_session++;
		return;
	}
	if (!dtls_cookie_valid(w->dtls->secret, cookie_epoch(), &lsn->local.sa, &client->sa,
			       h.cookie, h.cookie_len)) {
		uint8_t cookie[DTLS_COOKIE_LEN], hvr[DTLS_HVR_MAX];
		size_t n;

		dtls_cookie_make(w->dtls->secret, cookie_epoch(), &lsn->local.sa, &client->sa,
				 cookie);
		n = dtls_hvr_build(&h, cookie, sizeof(cookie), hvr, sizeof(hvr));
		if (sendto(lsn->fd, hvr, n, MSG_DONTWAIT, &client->sa, addr_len(&client->sa)) < 0)
			w->stats.send_errors++;
		w->stats.dtls_hello_verify++;
		return;
	}
	if (s) {
		session_log(s, "replaced: the client started a new handshake (RFC 6347 §4.2.8)");
		session_close(s, false);
	}
	s = session_new(lsn, client, buf, len);
	if (s)
		session_input(s, NULL, 0);
}

int dtls_sendv(struct dtls_session *s, const struct iovec *iov, int niov)
{
	uint8_t *out = s->w->dtls->out;
	size_t len = 0;

	if (!s->established || s->closing)
		return -1;
	for (int i = 0; i < niov; i++) {
		if (iov[i].iov_len > sizeof(s->w->dtls->out) - len)
			return -1;
		memcpy(out + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (SSL_write(s->ssl, out, (int)len) != (int)len) {
		ERR_clear_error();
		return -1;
	}
	return 0;
}

int dtls_worker_init(struct worker *w)
{
	uint32_t size = DTLS_TABLE_MIN;

	if (!tls_ctx_on(w->srv->tls, TLS_KIND_DTLS))
		return 0;
	/* sessions count in max-tcp-connections: a fixed table keeps its chains short */
	while (size < DTLS_TABLE_MAX && size < w->srv->cfg->max_tcp_connections)
		size *= 2;
	w->dtls = calloc(1, sizeof(*w->dtls));
	if (!w->dtls)
		return -1;
	w->dtls->table = calloc(size, sizeof(*w->dtls->table));
	if (!w->dtls->table)
		return -1;
	w->dtls->mask = size - 1;
	RAND_bytes(w->dtls->secret, sizeof(w->dtls->secret));
	return 0;
}

void dtls_worker_free(struct worker *w)
{
	if (!w->dtls)
		return;
	for (uint32_t i = 0; w->dtls->table && i <= w->dtls->mask; i++)
		while (w->dtls->table[i])
			session_close(w->dtls->table[i], true);
	free(w->dtls->table);
	free(w->dtls);
	w->dtls = NULL;
}

void dtls_session_authed(struct dtls_session *s)
{
	if (s->authed)
		return;
	s->authed = true;
	limits_tcp_authed(s->w->srv, &s->client.sa);
}
