/*
 * media_crypto.h - SRTP and SRTCP (RFC 3711, RFC 7714) for one direction of
 * one bridged stream side, over libsrtp2: an inbound context unprotects
 * what a party sends the anchor, an outbound one protects what the anchor
 * sends it. Keys come from SDES (sdes.h) or the DTLS exporter
 * (srtp_suite_split_dtls_keys()).
 *
 * libsrtp2 keeps the rollover counter and the replay window per SSRC; a
 * context serves any SSRC (SSRC changes, RTX, several sources) and keeps
 * the state of the last MCRYPTO_MAX_SSRC of them: one more evicts the
 * oldest (counted). Inbound, an SSRC only counts once a packet of it
 * authenticated, so a sender without the key cannot evict anything.
 *
 * Results: MCRYPTO_OK, or a reason the packet must be dropped (never
 * forwarded): authentication failed, a replayed index, or not an RTP/RTCP
 * packet of the needed length. Each is counted in stats.
 * Contexts are not thread-safe: each belongs to the thread that owns its
 * stream.
 */
#ifndef ANCHOR_MEDIA_CRYPTO_H
#define ANCHOR_MEDIA_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/srtp_suite.h"

#define MCRYPTO_MAX_SSRC 16
/* room protect needs after the packet: libsrtp2 asks for its longest
 * trailer (tag + MKI) and, on SRTCP, the 4-byte index */
#define MCRYPTO_TRAILER_MAX 148

enum mcrypto_dir {
	MCRYPTO_INBOUND,  /* unprotect */
	MCRYPTO_OUTBOUND, /* protect */
};

enum mcrypto_result {
	MCRYPTO_OK = 0,
	MCRYPTO_AUTH_FAIL = -1,
	MCRYPTO_REPLAY = -2,
	MCRYPTO_MALFORMED = -4, /* too short, not RTP version 2, no room */
	MCRYPTO_ERROR = -5,	/* any other libsrtp2 failure */
};

struct mcrypto_params {
	const struct srtp_suite *suite;
	const uint8_t *key_salt; /* suite->key_len + suite->salt_len bytes */
	size_t key_salt_len;
	bool unencrypted_srtp;	   /* RFC 4568 §6.3 session parameters */
	bool unencrypted_srtcp;
	bool unauthenticated_srtp;
	unsigned window; /* replay window (RFC 4568 WSH); 0: libsrtp2's 128 */
};

struct mcrypto_stats {
	uint64_t ok;
	uint64_t auth_fail;
	uint64_t replay;
	uint64_t ssrc_evicted; /* SSRCs whose state went for a newer one */
	uint64_t malformed;
	uint64_t error;
};

struct mcrypto;

/*
 * A context for the given keys and direction; NULL with the reason in err
 * (a bad key length, a suite libsrtp2 lacks, out of memory). The key is
 * copied; the caller may wipe its own.
 */
struct mcrypto *mcrypto_new(const struct mcrypto_params *p, enum mcrypto_dir dir, char *err,
			    size_t errlen);
void mcrypto_free(struct mcrypto *c);

/*
 * Protect an RTP (rtcp false) or RTCP packet in place: buf holds *len
 * bytes and has room for cap, which must leave MCRYPTO_TRAILER_MAX after
 * the packet. On MCRYPTO_OK *len is the SRTP/SRTCP length.
 */
enum mcrypto_result mcrypto_protect(struct mcrypto *c, bool rtcp, uint8_t *buf, size_t *len,
				    size_t cap);

/* Unprotect an SRTP or SRTCP packet in place; on MCRYPTO_OK *len is the
 * plain length. On any other result the buffer's content is undefined. */
enum mcrypto_result mcrypto_unprotect(struct mcrypto *c, bool rtcp, uint8_t *buf, size_t *len);

const struct mcrypto_stats *mcrypto_stats(const struct mcrypto *c);
const struct srtp_suite *mcrypto_suite(const struct mcrypto *c);

/* A short name of a result for logs and query output ("auth-fail", ...). */
const char *mcrypto_result_name(enum mcrypto_result r);

#endif
