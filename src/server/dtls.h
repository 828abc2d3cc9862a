/*
 * dtls.h - TURN over DTLS 1.2 on the UDP listening sockets (RFC 8656 §3.1,
 * RFC 6347).
 *
 * A UDP listener carries plain STUN/ChannelData and DTLS side by side; the
 * first byte tells them apart (RFC 7983 §7: 20-63 is DTLS). A ClientHello
 * from an address without a session is answered statelessly
 * (dtls_cookie.c): without a valid cookie it gets a HelloVerifyRequest and
 * nothing is kept; with one (an HMAC over the 5-tuple under a secret that
 * rotates every DTLS_COOKIE_EPOCH_S) a session is made. A session belongs
 * to the worker whose SO_REUSEPORT socket receives its 5-tuple, and runs the
 * same TURN code as a plain UDP client (dtls.c); it counts as a client
 * connection in limits.c (max-tcp-connections, -per-ip), has
 * SERVER_TLS_HANDSHAKE_S for its handshake and max-allocate-timeout to get
 * an allocation, and ends with its client (close_notify, a fatal alert).
 */
#ifndef SERVER_DTLS_H
#define SERVER_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#define DTLS_RECORD_HDR_LEN 13	   /* RFC 6347 §4.1 */
#define DTLS_HANDSHAKE_HDR_LEN 12  /* RFC 6347 §4.2.2 */
#define DTLS_MAX_RECORD_LEN 18432  /* 2^14 + 2048: TLSCiphertext at most (RFC 5246 §6.2.3) */
#define DTLS_MAX_PLAIN 16384	   /* 2^14: one record's plaintext */
#define DTLS_COOKIE_LEN 20	   /* 1 byte of epoch, 19 of MAC */
#define DTLS_COOKIE_EPOCH_S 30	   /* the cookie secret rotates; the last one still counts */
#define DTLS_HVR_MAX (DTLS_RECORD_HDR_LEN + DTLS_HANDSHAKE_HDR_LEN + 3 + 255)
#define DTLS_LINK_MTU 1200	   /* datagram size handshake flights are cut to */

/* RFC 7983 §7: a datagram whose first byte is 20-63 is DTLS. */
static inline bool dtls_first_byte(uint8_t b)
{
	return b >= 20 && b <= 63;
}

/* What the stateless exchange needs from a ClientHello (RFC 6347 §4.2.1). */
struct dtls_hello {
	uint8_t record_seq[6]; /* echoed in the HelloVerifyRequest's record */
	uint16_t message_seq;
	const uint8_t *cookie; /* into the datagram */
	uint8_t cookie_len;
};

/*
 * Every record of a datagram has a whole header, a content type 20-23, a
 * DTLS version (major 0xFE) and a length within DTLS_MAX_RECORD_LEN and the
 * datagram: the count of records, or -1 (the datagram is dropped).
 */
int dtls_records_check(const uint8_t *buf, size_t len);
/*
 * A datagram that opens with an unfragmented ClientHello in epoch 0: 0 and
 * *h, or -1 with *h untouched.
 */
int dtls_hello_parse(const uint8_t *buf, size_t len, struct dtls_hello *h);
/* The cookie for (local, client) in epoch (clock seconds / DTLS_COOKIE_EPOCH_S). */
void dtls_cookie_make(const uint8_t secret[32], uint32_t epoch, const struct sockaddr *local,
		      const struct sockaddr *client, uint8_t out[DTLS_COOKIE_LEN]);
/* A cookie made for (local, client) in epoch now or the one before. */
bool dtls_cookie_valid(const uint8_t secret[32], uint32_t now_epoch, const struct sockaddr *local,
		       const struct sockaddr *client, const uint8_t *cookie, size_t len);
/* The HelloVerifyRequest answering h with cookie into out: its length, 0 if cap is short. */
size_t dtls_hvr_build(const struct dtls_hello *h, const uint8_t *cookie, size_t cookie_len,
		      uint8_t *out, size_t cap);

struct worker;
struct udp_listener;
struct allocation;
struct dtls_session;
struct iovec;
union sockaddr_u;

/* The cookie callbacks on every DTLS SSL_CTX (struct tls_hooks' dtls_setup). */
int dtls_ctx_setup(SSL_CTX *ctx, void *arg);
/* Per worker: the session table and buffers (when DTLS is on). 0 or -1. */
int dtls_worker_init(struct worker *w);
/* Closes every session (their allocations first) and frees the table. */
void dtls_worker_free(struct worker *w);
/* A datagram with a DTLS first byte on lsn from client. */
void dtls_input(struct udp_listener *lsn, const union sockaddr_u *client, const uint8_t *buf,
		size_t len);
/* Is there a session for client on lsn (plain datagrams from it are dropped)? */
bool dtls_has_session(struct worker *w, const struct udp_listener *lsn,
		      const union sockaddr_u *client);
/* One STUN message or ChannelData to the session's client, encrypted: 0 or -1. */
int dtls_sendv(struct dtls_session *s, const struct iovec *iov, int niov);
/* A request on s authenticated: it is no longer half-open (limits.c). */
void dtls_session_authed(struct dtls_session *s);
/* A STUN message from s's client (also one parked for the user store, store.c). */
void dtls_session_message(struct dtls_session *s, const uint8_t *buf, size_t len);
/* allocation.c: a's client is session s (NULL: the allocation ended). */
void dtls_session_set_alloc(struct dtls_session *s, struct allocation *a);
/* Ends s and its allocation, with a close_notify (web-admin's cancel). */
void dtls_session_end(struct dtls_session *s);

#endif
