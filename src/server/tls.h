/*
 * tls.h - the server's TLS and DTLS contexts (OpenSSL), built from the
 * configuration (cert, pkey, pkey-pwd, cipher-list, CA-file, ec-curve-name,
 * dh-file, no-tls, no-dtls, no-tlsv1*) and rebuilt on SIGUSR2.
 *
 * One struct tls_ctx per process: main.c makes it before the workers start
 * (srv->tls) and frees it after they stopped. It holds the current SSL_CTX
 * for TLS over TCP (TLS 1.2 and 1.3; 1.3 only with no-tlsv1_2) and the
 * current one for DTLS over UDP (DTLS 1.2). Both are server contexts:
 *   - certificate chain from cert, key from pkey (or from cert when pkey
 *     is unset), ECDSA or RSA, the key's passphrase from pkey-pwd (never a
 *     terminal prompt);
 *   - ALPN: a client offering "stun.turn" (RFC 7443 §3) gets it; one
 *     offering only other protocols, or none, goes on without ALPN;
 *   - renegotiation off, server cipher preference, idle buffers released;
 *   - with CA-file, clients must present a certificate it signed.
 *
 * Without cert, both are off and tls_ctx_new() logs one line saying so:
 * not an error. no-tls / no-dtls turn one of them off. A cert that is set
 * but does not load is an error at startup (tls_ctx_new() fails with why).
 *
 * Reload (tls_ctx_reload(), SIGUSR2 in main.c): both contexts are built
 * again from the same files and swapped in only if both build; otherwise
 * the old ones stay and err says why. Sessions hold a reference to the
 * context they were made from (SSL_new() takes one), so open sessions keep
 * theirs and only new ones use the new context. Reload never turns TLS or
 * DTLS on or off.
 *
 * Threads: tls_ctx_on() is fixed after tls_ctx_new() and needs no lock;
 * tls_ssl_new() and tls_ctx_get() may be called from any thread, at the
 * same time as a reload (a mutex guards the swap, held for a pointer copy).
 */
#ifndef SERVER_TLS_H
#define SERVER_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/config.h"

#define TLS_ALPN_STUN_TURN "stun.turn" /* RFC 7443 §3 */

enum tls_kind {
	TLS_KIND_TLS,  /* TLS over TCP */
	TLS_KIND_DTLS, /* DTLS over UDP */
};

/*
 * What a user of the DTLS context adds to every DTLS SSL_CTX built, at
 * startup and on each reload, before any SSL is made from it (for
 * instance SSL_CTX_set_cookie_generate_cb() / _verify_cb() for the
 * stateless cookie exchange). Returns 0, or -1 to fail that build (startup
 * fails; a reload keeps the old contexts).
 */
struct tls_hooks {
	int (*dtls_setup)(SSL_CTX *ctx, void *arg);
	void *arg;
};

struct tls_ctx;

/*
 * Builds the contexts from c (read now; c must outlive the tls_ctx: a
 * reload reads the same paths again). hooks may be NULL; it is copied.
 * Returns the tls_ctx (TLS and DTLS may both be off), or NULL with err set
 * when cert is set and the files do not load, or out of memory.
 */
struct tls_ctx *tls_ctx_new(const struct config *c, const struct tls_hooks *hooks, char *err,
			    size_t errlen);

/* Is TLS (or DTLS) on: a certificate loaded and not switched off? NULL: off. */
bool tls_ctx_on(const struct tls_ctx *t, enum tls_kind kind);

/*
 * A new server-side SSL from the current context of that kind, or NULL
 * when that kind is off (or out of memory). The caller owns it (SSL_free());
 * it keeps its context alive across reloads.
 */
SSL *tls_ssl_new(struct tls_ctx *t, enum tls_kind kind);

/*
 * The current context of that kind with a reference the caller drops with
 * SSL_CTX_free(), or NULL when that kind is off. For callers that need the
 * SSL_CTX itself; tls_ssl_new() is the usual way.
 */
SSL_CTX *tls_ctx_get(struct tls_ctx *t, enum tls_kind kind);

/*
 * Builds both contexts again from the configured files and swaps them in.
 * Returns 0, 1 when TLS and DTLS are both off (nothing to reload), or -1
 * with err set (the old contexts stay in use).
 */
int tls_ctx_reload(struct tls_ctx *t, char *err, size_t errlen);

/* Frees t (NULL is fine); sessions still open keep their contexts. */
void tls_ctx_free(struct tls_ctx *t);

/*
 * The first bytes of a TCP client connection (tls_demux.c): a TLS record
 * (a handshake record: 0x16, then version major 3) or plain STUN/TURN
 * (a STUN message or ChannelData, RFC 8656 §12.5), so that TLS and plain
 * share a port. Pure: no I/O, reads at most 2 of the len bytes.
 */
enum tls_demux {
	TLS_DEMUX_MORE,	   /* no byte yet (len 0) */
	TLS_DEMUX_TLS,	   /* a TLS handshake record starts (0x16, then 3 if present) */
	TLS_DEMUX_PLAIN,   /* STUN or ChannelData */
	TLS_DEMUX_GARBAGE, /* neither: close */
};
enum tls_demux tls_demux_stream(const uint8_t *buf, size_t len);

#endif /* SERVER_TLS_H */
