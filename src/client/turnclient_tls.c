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

/* Waits for what SSL_get_error() asked for; 0, or -ETIMEDOUT / -EPROTO. */
static int turnc_tls_wait(struct turnc *c, int ret, uint64_t deadline_us)
{
	int err = SSL_get_error(c->ssl, ret);
	struct pollfd pfd = {.fd = c->fd};
	uint64_t now = turnc_now_us();

	if (err == SSL_ERROR_WANT_READ)
		pfd.events = POLLIN;
	else if (err == SSL_ERROR_WANT_WRITE)
		pfd.events = POLLOUT;
	else
		return -EPROTO;
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

int turnc_start_tls(struct turnc *c, const char *ca_file, const char *host, int timeout_ms)
{
	uint64_t deadline = turnc_now_us() + (uint64_t)timeout_ms * 1000u;
	int ret = -ENOMEM;

	if (c->ssl)
		return -EINVAL;
	c->ssl_ctx = SSL_CTX_new(c->tcp ? TLS_client_method() : DTLS_client_method());
	if (!c->ssl_ctx)
		goto fail;
	SSL_CTX_set_min_proto_version(c->ssl_ctx, c->tcp ? TLS1_2_VERSION : DTLS1_2_VERSION);
	/* a frame is written whole or retried with the same bytes */
	SSL_CTX_set_mode(c->ssl_ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	if (ca_file) {
		if (SSL_CTX_load_verify_locations(c->ssl_ctx, ca_file, NULL) != 1) {
			ret = -ENOENT;
			goto fail;
		}
		SSL_CTX_set_verify(c->ssl_ctx, SSL_VERIFY_PEER, NULL);
	}
	c->ssl = SSL_new(c->ssl_ctx);
	if (!c->ssl || (c->tcp ? SSL_set_fd(c->ssl, c->fd) != 1 : dtls_set_bio(c) < 0) ||
	    SSL_set_alpn_protos(c->ssl, (const unsigned char *)TURNC_ALPN,
				sizeof(TURNC_ALPN) - 1) != 0)
		goto fail;
	if (host) {
		SSL_set_tlsext_host_name(c->ssl, host);
		if (ca_file && SSL_set1_host(c->ssl, host) != 1)
			goto fail;
	}
	for (int i = 0; i < 1000; i++) {
		int r = SSL_connect(c->ssl);

		if (r == 1)
			return 0;
		ret = turnc_tls_wait(c, r, deadline);
		if (ret < 0)
			goto fail;
	}
	ret = -ETIMEDOUT;
fail:
	ERR_clear_error();
	turnc_tls_close(c);
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
		ret = turnc_tls_wait(c, r, deadline);
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
