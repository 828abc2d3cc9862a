/*
 * tcp_tls.c - TURN over TLS (RFC 8656 §3.1, "turns:") and plain STUN/TURN
 * on the same TCP port. With TLS on (tls.h), an accepted connection waits
 * for its first byte: a TLS handshake record goes on as a TLS bufferevent
 * (libevent's OpenSSL filter on the socket), STUN or ChannelData as a plain
 * one; anything else is counted and closed. From then on worker.c frames
 * and handles the stream the same way for both.
 *
 * Bounds: the wait for the first byte is the connection's
 * max-allocate-timeout, as for plain TCP; a TLS handshake must complete
 * within SERVER_TLS_HANDSHAKE_S (or max-allocate-timeout, if shorter).
 * Every connection counts against max-tcp-connections(-per-ip) from
 * accept() on, TLS or not (worker.c).
 *
 * Ownership: c->fd is the socket until a plain bufferevent takes it; a TLS
 * bufferevent is made without BEV_OPT_CLOSE_ON_FREE, so that c keeps the
 * socket and the SSL (an RFC 6062 data connection hands both to another
 * worker, tcp_relay.c) and tcp_tls_close() frees them.
 */
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/server.h"
#include "server/tls.h"

#define TLS_PEEK_BYTES 2
#define TLS_WRITE_NOW_MAX 4096 /* frames up to this long go out as one record at once */

static void tcp_tls_fail_log(struct tcp_conn *c, const char *why)
{
	char buf[ADDR_STRLEN];

	c->w->stats.tls_failed++;
	if (worker_log_ok(c->w))
		log_info("TLS connection from %s closed: %s",
			 addr_str(&c->client.sa, buf, sizeof(buf)), why);
}

/* The first byte is in: TLS, plain, or neither. */
static void tcp_tls_sniff(evutil_socket_t fd, short what, void *arg)
{
	struct tcp_conn *c = arg;
	struct worker *w = c->w;
	uint8_t head[TLS_PEEK_BYTES];
	struct bufferevent *bev;
	char buf[ADDR_STRLEN];
	ssize_t n;

	(void)what;
	n = recv(fd, head, sizeof(head), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
		event_add(c->sniff, NULL);
		return;
	}
	if (n <= 0) {
		worker_tcp_close(c);
		return;
	}
	switch (tls_demux_stream(head, (size_t)n)) {
	case TLS_DEMUX_MORE: /* not with n > 0 */
	case TLS_DEMUX_GARBAGE:
		w->stats.malformed++;
		if (worker_log_ok(w))
			log_info("TCP connection from %s closed: neither TLS nor STUN/TURN "
				 "(first byte 0x%02x)",
				 addr_str(&c->client.sa, buf, sizeof(buf)), head[0]);
		worker_tcp_close(c);
		return;
	case TLS_DEMUX_PLAIN:
		if (w->srv->cfg->no_tcp) {
			/* a TLS port under no-tcp: TLS only */
			w->stats.malformed++;
			worker_tcp_close(c);
			return;
		}
		bev = bufferevent_socket_new(w->base, fd, BEV_OPT_CLOSE_ON_FREE);
		if (!bev) {
			worker_tcp_close(c);
			return;
		}
		c->fd = -1;
		worker_tcp_begin(c, bev);
		return;
	case TLS_DEMUX_TLS:
		break;
	}
	c->ssl = tls_ssl_new(w->srv->tls, TLS_KIND_TLS);
	bev = c->ssl ? bufferevent_openssl_socket_new(w->base, fd, c->ssl,
						      BUFFEREVENT_SSL_ACCEPTING, 0)
		     : NULL;
	if (!bev) {
		worker_tcp_close(c);
		return;
	}
	/* a client closing without close_notify is an end, not an error */
	bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	worker_tcp_begin(c, bev);
	{
		unsigned int mat = w->srv->cfg->max_allocate_timeout;
		struct timeval bound = {.tv_sec = mat < SERVER_TLS_HANDSHAKE_S
							  ? mat
							  : SERVER_TLS_HANDSHAKE_S};

		evtimer_add(c->deadline, &bound);
	}
}

int tcp_tls_accept(struct tcp_conn *c, int fd)
{
	c->fd = fd;
	c->sniff = event_new(c->w->base, fd, EV_READ, tcp_tls_sniff, c);
	if (!c->sniff || event_add(c->sniff, NULL) < 0) {
		if (c->sniff)
			event_free(c->sniff);
		c->sniff = NULL;
		c->fd = -1;
		return -1;
	}
	return 0;
}

void tcp_tls_event(struct tcp_conn *c, short what)
{
	unsigned long e, last = 0;
	char reason[160] = "";

	if ((what & BEV_EVENT_CONNECTED) && !c->tls_ready) {
		const unsigned char *alpn = NULL;
		unsigned int alpn_len = 0;

		c->tls_ready = true;
		c->w->stats.tls_handshakes++;
		/* from now on the max-allocate-timeout of a plain connection */
		worker_tcp_unallocated(c, c->alloc == NULL);
		SSL_get0_alpn_selected(c->ssl, &alpn, &alpn_len);
		if (log_get_level() >= LOG_DEBUG) {
			char buf[ADDR_STRLEN];

			log_debug("TLS from %s: %s, %s%s", addr_str(&c->client.sa, buf, sizeof(buf)),
				  SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl),
				  alpn_len ? ", ALPN stun.turn" : "");
		}
	}
	/* OpenSSL's error queue is per thread: empty it whatever happens */
	while ((e = bufferevent_get_openssl_error(c->bev)) != 0)
		last = e;
	while (ERR_peek_error() != 0)
		last = ERR_get_error();
	if ((what & (BEV_EVENT_ERROR | BEV_EVENT_EOF)) && !c->tls_ready) {
		/* libevent also queues non-OpenSSL codes (an EOF): no library, no text */
		if (ERR_GET_LIB(last) != 0)
			ERR_error_string_n(last, reason, sizeof(reason));
		tcp_tls_fail_log(c, reason[0] ? reason : "TLS handshake cut short by the client");
	}
}

bool tcp_tls_deadline(struct tcp_conn *c)
{
	if (!c->ssl || c->tls_ready)
		return false;
	tcp_tls_fail_log(c, "TLS handshake not complete in time");
	return true;
}

void tcp_tls_close(struct tcp_conn *c)
{
	if (c->sniff)
		event_free(c->sniff);
	c->sniff = NULL;
	if (c->ssl)
		SSL_free(c->ssl);
	c->ssl = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

/*
 * TLS: the frames gathered into one record, written at once when OpenSSL
 * can (SSL_write(3) sends a record whole or keeps it pending). A pending
 * record must be retried with the same bytes, at least as many: they go to
 * the empty output buffer in one piece, from which libevent retries (the
 * context accepts a moved buffer, tls.c). True when c took the frames.
 */
static bool tcp_tls_write_record(struct tcp_conn *c, const struct iovec *iov, int niov,
				 size_t total)
{
	uint8_t buf[TLS_WRITE_NOW_MAX];
	size_t off = 0;

	if (!c->tls_ready || total > sizeof(buf) || SSL_want(c->ssl) != SSL_NOTHING)
		return false;
	for (int i = 0; i < niov; i++) {
		memcpy(buf + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	if (SSL_write(c->ssl, buf, (int)total) > 0)
		return true;
	/* pending, or failed: libevent retries it, or reports the error as for any write */
	ERR_clear_error();
	evbuffer_add(bufferevent_get_output(c->bev), buf, total);
	return true;
}

void tcp_tls_writev(struct tcp_conn *c, const struct iovec *iov, int niov)
{
	size_t total = 0, done = 0;
	bool idle;

	for (int i = 0; i < niov; i++)
		total += iov[i].iov_len;
	idle = total > 0 && evbuffer_get_length(bufferevent_get_output(c->bev)) == 0;
	if (idle && c->ssl && tcp_tls_write_record(c, iov, niov, total))
		return;
	if (idle && !c->ssl) {
		/* plain: what the socket takes now, the rest queued after it */
		struct msghdr mh = {.msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)niov};
		ssize_t n = sendmsg(bufferevent_getfd(c->bev), &mh, MSG_DONTWAIT | MSG_NOSIGNAL);

		done = n > 0 ? (size_t)n : 0;
	}
	for (int i = 0; i < niov; i++) {
		size_t len = iov[i].iov_len;

		if (done >= len) {
			done -= len;
			continue;
		}
		bufferevent_write(c->bev, (const uint8_t *)iov[i].iov_base + done, len - done);
		done = 0;
	}
}
