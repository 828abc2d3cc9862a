/*
 * turnclient_tls.c - TURN over TLS and DTLS for struct turnc (RFC 8656
 * §3.1, "turns:"): a TLS 1.2 or 1.3 session over the connected TCP socket,
 * or a DTLS 1.2 one over the connected UDP socket (one STUN message or
 * ChannelData per record), with ALPN "stun.turn" offered (RFC 7443).
 * turnclient.c sends and receives through it instead of the socket once
 * turnc_start_tls() succeeded.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <string.h>

#include "client/turnclient.h"

#define TURNC_ALPN "\x09stun.turn"
#define TURNC_DTLS_MTU 1200 /* datagram size handshake flights are cut to */

/* Waits up to deadline_us for events (POLLIN/POLLOUT); 0, or -ETIMEDOUT. */
static int turnc_tls_wait(struct turnc *c, short events, uint64_t deadline_us)
{
	struct pollfd pfd = {.fd = c->fd, .events = events};
	uint64_t now = turnc_now_us();

	if (now >= deadline_us)
		return -ETIMEDOUT;
	if (!c->tcp) {
		/* DTLS: OpenSSL resends its flight when its timer runs out (RFC 6347 §4.2.4) */
		struct timeval tv;
		int wait_ms = (int)((deadline_us - now + 999) / 1000);

		if (DTLSv1_get_timeout(c->ssl, &tv) > 0 && tv.tv_sec * 1000 + tv.tv_usec / 1000 < wait_ms)
			wait_ms = (int)(tv.tv_sec * 1000 + tv.tv_usec / 1000);
		if (poll(&pfd, 1, wait_ms) == 0 && DTLSv1_handle_timeout(c->ssl) < 0)
			return -ETIMEDOUT;
		return 0;
	}
	if (poll(&pfd, 1, (int)((deadline_us - now + 999) / 1000)) == 0)
		return -ETIMEDOUT;
	return 0;
}

/* DTLS over the connected UDP socket: its datagrams, cut to TURNC_DTLS_MTU. */
static int dtls_set_bio(struct turnc *c)
{
	BIO *bio = BIO_new_dgram(c->fd, BIO_NOCLOSE);

	if (!bio)
		return -1;
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &c->server);
	SSL_set_bio(c->ssl, bio, bio);
	SSL_set_options(c->ssl, SSL_OP_NO_QUERY_MTU);
	SSL_set_mtu(c->ssl, TURNC_DTLS_MTU);
	return 0;
}

struct ssl_ctx_st *turnc_tls_ctx_new(bool tcp, const char *ca_file, int *err)
{
	SSL_CTX *ctx = SSL_CTX_new(tcp ? TLS_client_method() : DTLS_client_method());

	*err = -ENOMEM;
	if (!ctx)
		return NULL;
	SSL_CTX_set_min_proto_version(ctx, tcp ? TLS1_2_VERSION : DTLS1_2_VERSION);
	/* a frame is written whole or retried with the same bytes */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* every connection a full handshake: nothing is kept for resumption */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (ca_file) {
		if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
			ERR_clear_error();
			SSL_CTX_free(ctx);
			*err = -ENOENT;
			return NULL;
		}
		SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	}
	*err = 0;
	return ctx;
}

void turnc_tls_ctx_free(struct ssl_ctx_st *ctx)
{
	SSL_CTX_free(ctx);
}

int turnc_tls_begin(struct turnc *c, struct ssl_ctx_st *ctx, const char *host)
{
	if (c->ssl || !ctx || SSL_CTX_up_ref(ctx) != 1)
		return -EINVAL;
	c->ssl_ctx = ctx;
	c->ssl = SSL_new(c->ssl_ctx);
	if (!c->ssl || (c->tcp ? SSL_set_fd(c->ssl, c->fd) != 1 : dtls_set_bio(c) < 0) ||
	    SSL_set_alpn_protos(c->ssl, (const unsigned char *)TURNC_ALPN,
				sizeof(TURNC_ALPN) - 1) != 0)
		goto fail;
	if (host) {
		SSL_set_tlsext_host_name(c->ssl, host);
		if (SSL_CTX_get_verify_mode(ctx) != SSL_VERIFY_NONE && SSL_set1_host(c->ssl, host) != 1)
			goto fail;
	}
	SSL_set_connect_state(c->ssl);
	return 0;
fail:
	ERR_clear_error();
	turnc_tls_close(c);
	return -ENOMEM;
}

int turnc_tls_step(struct turnc *c, short *events)
{
	int r = SSL_do_handshake(c->ssl);

	if (r == 1)
		return 0;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		*events = POLLIN;
		return -EAGAIN;
	case SSL_ERROR_WANT_WRITE:
		*events = POLLOUT;
		return -EAGAIN;
	default:
		ERR_clear_error();
		return -EPROTO;
	}
}

int turnc_start_tls_ctx(struct turnc *c, struct ssl_ctx_st *ctx, const char *host,
			int timeout_ms)
{
	uint64_t deadline = turnc_now_us() + (uint64_t)timeout_ms * 1000u;
	int ret = turnc_tls_begin(c, ctx, host);

	for (int i = 0; ret == 0 && i < 1000; i++) {
		short events = 0;

		ret = turnc_tls_step(c, &events);
		if (ret == 0)
			return 0;
		if (ret == -EAGAIN)
			ret = turnc_tls_wait(c, events, deadline);
		else
			break;
		if (ret == 0 && i == 999)
			ret = -ETIMEDOUT;
	}
	ERR_clear_error();
	turnc_tls_close(c);
	return ret;
}

int turnc_start_tls(struct turnc *c, const char *ca_file, const char *host, int timeout_ms)
{
	int ret;
	SSL_CTX *ctx;

	if (c->ssl)
		return -EINVAL;
	ctx = turnc_tls_ctx_new(c->tcp, ca_file, &ret);
	if (!ctx)
		return ret;
	ret = turnc_start_tls_ctx(c, ctx, host, timeout_ms);
	SSL_CTX_free(ctx); /* c holds its own reference */
	return ret;
}

void turnc_tls_close(struct turnc *c)
{
	if (c->ssl) {
		/* DTLS: close_notify ends the server's session now (a datagram, no SIGPIPE) */
		if (!c->tcp && SSL_is_init_finished(c->ssl))
			SSL_shutdown(c->ssl);
		ERR_clear_error();
		SSL_free(c->ssl);
	}
	if (c->ssl_ctx)
		SSL_CTX_free(c->ssl_ctx);
	c->ssl = NULL;
	c->ssl_ctx = NULL;
}

int turnc_tls_send(struct turnc *c, const uint8_t *buf, size_t len, int timeout_ms)
{
	uint64_t deadline = turnc_now_us() + (uint64_t)timeout_ms * 1000u;

	for (int i = 0; i < 100000; i++) {
		int r = SSL_write(c->ssl, buf, (int)len);
		int ret;

		if (r > 0)
			return 0;
		switch (SSL_get_error(c->ssl, r)) {
		case SSL_ERROR_WANT_READ:
			ret = turnc_tls_wait(c, POLLIN, deadline);
			break;
		case SSL_ERROR_WANT_WRITE:
			ret = turnc_tls_wait(c, POLLOUT, deadline);
			break;
		default:
			ret = -EPROTO;
			break;
		}
		if (ret < 0) {
			ERR_clear_error();
			return ret == -EPROTO ? -ECONNRESET : ret;
		}
	}
	return -ETIMEDOUT;
}

ssize_t turnc_tls_recv(struct turnc *c, uint8_t *buf, size_t cap)
{
	int r;

	errno = 0;
	r = SSL_read(c->ssl, buf, (int)cap);
	if (r > 0)
		return r;
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		errno = EAGAIN;
		return -1;
	case SSL_ERROR_ZERO_RETURN:
		if (!c->tcp) {
			errno = ECONNRESET; /* close_notify: 0 would be an empty datagram */
			return -1;
		}
		return 0;
	case SSL_ERROR_SYSCALL:
		if (ERR_peek_error() == 0 && errno == 0)
			return 0; /* closed without close_notify */
		ERR_clear_error();
		return errno ? -1 : (errno = EPROTO, -1);
	default:
		ERR_clear_error();
		errno = EPROTO;
		return -1;
	}
}

bool turnc_tls_pending(const struct turnc *c)
{
	return c->ssl && SSL_pending(c->ssl) > 0;
}

const char *turnc_tls_version(const struct turnc *c)
{
	return c->ssl ? SSL_get_version(c->ssl) : NULL;
}

const char *turnc_tls_alpn(const struct turnc *c)
{
	const unsigned char *p = NULL;
	unsigned int len = 0;

	if (c->ssl)
		SSL_get0_alpn_selected(c->ssl, &p, &len);
	return len == 9 && memcmp(p, "stun.turn", 9) == 0 ? "stun.turn" : NULL;
}
