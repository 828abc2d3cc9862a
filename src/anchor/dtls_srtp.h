/*
 * dtls_srtp.h - DTLS-SRTP (RFC 5763, RFC 5764) for the anchor's bridged
 * streams: the anchor's certificate, its DTLS context, and one DTLS 1.2
 * association per stream side, run over the stream's media socket without
 * owning it.
 *
 * The association does no I/O: DTLS datagrams the media socket received
 * (RFC 7983 demux: first byte 20-63) are fed in with dtls_srtp_conn_input();
 * what OpenSSL sends goes out through the send callback, one datagram per
 * call, to the stream's confirmed (verdict-checked) destination; the
 * caller runs dtls_srtp_conn_timer() when dtls_srtp_conn_timeout_ms() says,
 * for retransmissions (RFC 6347 §4.2.4).
 *
 * The peer's certificate is checked against the a=fingerprint values of
 * its SDP during the handshake (RFC 5763 §5): a certificate that matches
 * none fails the handshake with a bad_certificate alert and the reason.
 * Once connected, dtls_srtp_conn_keys() gives the negotiated suite and the
 * SRTP master keys of both directions from the exporter (RFC 5764 §4.2).
 * Application data (a data channel the bridge cannot carry) is read and
 * counted, never forwarded.
 */
#ifndef ANCHOR_DTLS_SRTP_H
#define ANCHOR_DTLS_SRTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/fingerprint.h"
#include "anchor/srtp_suite.h"

#define DTLS_SRTP_MAX_REMOTE_FP 4  /* a=fingerprint lines honoured per party */
#define DTLS_SRTP_MTU 1200	   /* record size: fits every path WebRTC uses */
#define DTLS_SRTP_TIMEOUT_MS 400   /* first retransmission; doubles, up to 8 s */

struct dtls_srtp_cert;
struct dtls_srtp_ctx;
struct dtls_srtp_conn;

/* A fresh self-signed ECDSA P-256 certificate (valid 30 days back and
 * forward, random serial) for the anchor's DTLS. NULL with err on failure. */
struct dtls_srtp_cert *dtls_srtp_cert_generate(char *err, size_t errlen);

/* The operator's certificate and key (PEM files: anchor-dtls-cert,
 * anchor-dtls-key); NULL with the reason when unreadable or not a pair. */
struct dtls_srtp_cert *dtls_srtp_cert_load(const char *cert_file, const char *key_file, char *err,
					   size_t errlen);
void dtls_srtp_cert_free(struct dtls_srtp_cert *c);

/* The SHA-256 fingerprint the anchor puts in a=fingerprint. */
const struct fingerprint *dtls_srtp_cert_fingerprint(const struct dtls_srtp_cert *c);

/* The DTLS 1.2 context with the certificate (referenced, not copied: free
 * the context first) and the SRTP profiles of srtp_suite.h. */
struct dtls_srtp_ctx *dtls_srtp_ctx_new(struct dtls_srtp_cert *cert, char *err, size_t errlen);
void dtls_srtp_ctx_free(struct dtls_srtp_ctx *ctx);

enum dtls_srtp_role {
	DTLS_SRTP_ACTIVE,  /* a=setup:active: the DTLS client */
	DTLS_SRTP_PASSIVE, /* a=setup:passive: the DTLS server */
};

enum dtls_srtp_state {
	DTLS_SRTP_HANDSHAKE,
	DTLS_SRTP_CONNECTED,
	DTLS_SRTP_FAILED,
	DTLS_SRTP_CLOSED,
};

typedef void (*dtls_srtp_send_fn)(void *arg, const uint8_t *buf, size_t len);

struct dtls_srtp_conn_stats {
	uint64_t datagrams_in;
	uint64_t datagrams_out;
	uint64_t app_data_dropped; /* application data records */
	uint64_t after_failure;	   /* datagrams that came after a failure */
};

/*
 * A new association in the given role; remote holds the peer's
 * fingerprints (1 to DTLS_SRTP_MAX_REMOTE_FP, copied). timeout_ms is the
 * first retransmission timeout (0: DTLS_SRTP_TIMEOUT_MS). Nothing is sent
 * before dtls_srtp_conn_start().
 */
struct dtls_srtp_conn *dtls_srtp_conn_new(struct dtls_srtp_ctx *ctx, enum dtls_srtp_role role,
					  const struct fingerprint *remote, size_t n_remote,
					  unsigned timeout_ms, dtls_srtp_send_fn send, void *arg);
void dtls_srtp_conn_free(struct dtls_srtp_conn *c);

/* Start the handshake: the active side sends its ClientHello, the passive
 * side waits for one. */
void dtls_srtp_conn_start(struct dtls_srtp_conn *c);

/* Feed one received DTLS datagram. Returns the state after it. */
enum dtls_srtp_state dtls_srtp_conn_input(struct dtls_srtp_conn *c, const uint8_t *buf,
					  size_t len);

/* Milliseconds until dtls_srtp_conn_timer() is due; -1 when no timer runs. */
long dtls_srtp_conn_timeout_ms(struct dtls_srtp_conn *c);
/* Retransmit the last flight if its timer expired; the state after it. */
enum dtls_srtp_state dtls_srtp_conn_timer(struct dtls_srtp_conn *c);

/* Send close_notify (RFC 5246 §7.2.1) once; the state becomes CLOSED. */
void dtls_srtp_conn_close(struct dtls_srtp_conn *c);

enum dtls_srtp_state dtls_srtp_conn_state(const struct dtls_srtp_conn *c);
/* Why the association failed ("peer certificate does not match its
 * a=fingerprint", an OpenSSL alert); "" otherwise. */
const char *dtls_srtp_conn_error(const struct dtls_srtp_conn *c);
const struct dtls_srtp_conn_stats *dtls_srtp_conn_stats(const struct dtls_srtp_conn *c);

/*
 * Once CONNECTED: the suite the handshake chose and the master key||salt
 * this end protects with (local) and unprotects with (remote), each
 * suite->key_len + suite->salt_len bytes. 0, or -1 before the handshake
 * completed or when the exporter fails.
 */
int dtls_srtp_conn_keys(struct dtls_srtp_conn *c, const struct srtp_suite **suite,
			uint8_t local[SRTP_SUITE_MAX_KEY_SALT_LEN],
			uint8_t remote[SRTP_SUITE_MAX_KEY_SALT_LEN]);

const char *dtls_srtp_state_name(enum dtls_srtp_state s);

#endif
