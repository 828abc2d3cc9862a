/*
 * sdes.h - SDES keying (RFC 4568): the value of an a=crypto attribute,
 * parsed, made for the anchor's own side, and written back.
 *
 *   a=crypto:<tag> <suite> inline:<key||salt base64>[|<lifetime>][|<mki>:<len>]
 *            [<session-param>...]
 *
 * The input is untrusted SDP text. Refused with a precise reason: a tag
 * that is not 1-9 digits, a key method other than "inline", key||salt not
 * in base64 or not the suite's length, a lifetime above 2^48, several
 * master keys or an MKI, KDR other than 0, FEC_ORDER/FEC_KEY and unknown
 * session parameters (RFC 4568 §6.3: an attribute with one is not
 * understood). A well-formed attribute of a suite the anchor does not
 * bridge (F8_128_HMAC_SHA1_80, AES_192_CM_...) gets SDES_UNKNOWN_SUITE, so
 * that the caller can skip it and take the next offered one (RFC 4568
 * §7.1.1).
 */
#ifndef ANCHOR_SDES_H
#define ANCHOR_SDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/srtp_suite.h"

#define SDES_UNKNOWN_SUITE (-2)
#define SDES_MAX_TAG 999999999UL
#define SDES_MAX_LIFETIME (1ULL << 48) /* RFC 3711 §9.2: SRTP's key limit */
/* a=crypto value the anchor writes: tag, suite, inline key, lifetime,
 * session parameters */
#define SDES_MAX_TEXT 200

struct sdes_crypto {
	unsigned long tag;
	const struct srtp_suite *suite;
	uint8_t key_salt[SRTP_SUITE_MAX_KEY_SALT_LEN];
	size_t key_salt_len; /* suite->key_len + suite->salt_len */
	uint64_t lifetime;   /* packets; 0 when the line has none */
	bool unencrypted_srtp;
	bool unencrypted_srtcp;
	bool unauthenticated_srtp;
	unsigned wsh; /* replay window size hint (WSH=), 0 when absent */
};

/*
 * Parse the value of an a=crypto attribute (what follows "a=crypto:").
 * Returns 0 and fills *out; SDES_UNKNOWN_SUITE for a well-formed line with
 * a suite outside srtp_suite.h (out->tag is set); -1 with the reason in
 * err for a malformed one. out is untouched on -1.
 */
int sdes_parse(const char *value, size_t len, struct sdes_crypto *out, char *err, size_t errlen);

/*
 * A fresh key||salt from OpenSSL's CSPRNG for the anchor's own side: tag
 * and suite as given, no lifetime or session parameters. Returns 0, or -1
 * when the random generator fails or the suite is NULL.
 */
int sdes_generate(const struct srtp_suite *suite, unsigned long tag, struct sdes_crypto *out);

/*
 * Write c as an a=crypto value into buf (cap bytes, NUL-terminated).
 * Returns the length, or -1 when it does not fit.
 */
int sdes_format(const struct sdes_crypto *c, char *buf, size_t cap);

#endif
