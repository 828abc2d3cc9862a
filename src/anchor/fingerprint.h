/*
 * fingerprint.h - certificate fingerprints of DTLS-SRTP (RFC 8122 §5,
 * RFC 5763 §5): the value of an a=fingerprint attribute parsed, a
 * certificate's fingerprint computed, and the check that a DTLS peer's
 * certificate is the one its SDP announced.
 *
 *   a=fingerprint:<hash-func> <HEX>:<HEX>:...
 *
 * hash-func is one of sha-1, sha-224, sha-256, sha-384, sha-512 (case does
 * not matter, RFC 8122 §5); md5 and md2 are refused (RFC 8122 §5: MUST NOT
 * be used), other tokens are unknown. The digest must have the function's
 * exact length, in pairs of hex digits (either case) joined by ':'.
 */
#ifndef ANCHOR_FINGERPRINT_H
#define ANCHOR_FINGERPRINT_H

#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FINGERPRINT_MAX_DIGEST 64 /* SHA-512 */
/* "sha-512 " + 64 * "XX:" */
#define FINGERPRINT_MAX_TEXT (8 + FINGERPRINT_MAX_DIGEST * 3)

enum fingerprint_hash {
	FINGERPRINT_SHA1 = 0,
	FINGERPRINT_SHA224,
	FINGERPRINT_SHA256,
	FINGERPRINT_SHA384,
	FINGERPRINT_SHA512,
};

struct fingerprint {
	enum fingerprint_hash hash;
	uint8_t digest[FINGERPRINT_MAX_DIGEST];
	size_t len;
};

/* Parse an a=fingerprint value. 0, or -1 with the reason in err; out is
 * untouched on failure. */
int fingerprint_parse(const char *value, size_t len, struct fingerprint *out, char *err,
		      size_t errlen);

/* The fingerprint of cert (its DER encoding) with the given function. */
int fingerprint_of_cert(X509 *cert, enum fingerprint_hash hash, struct fingerprint *out);

/*
 * RFC 8122 §5: does cert match fp (computed with fp's own hash function)?
 * Comparison in constant time.
 */
bool fingerprint_matches(X509 *cert, const struct fingerprint *fp);

/* "sha-256 AB:CD:..." into buf; the length, or -1 when it does not fit. */
int fingerprint_format(const struct fingerprint *fp, char *buf, size_t cap);

#endif
