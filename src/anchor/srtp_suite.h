/*
 * srtp_suite.h - the SRTP crypto suites the anchor bridges, one table for
 * both ways of keying them: SDES names (RFC 4568 §6.2, RFC 6188 §7.1,
 * RFC 7714 §14.2) and DTLS-SRTP protection profiles (RFC 5764 §4.1.2,
 * RFC 7714 §14.2). Pure: no libsrtp2, so parsers and fuzzers can use it.
 */
#ifndef ANCHOR_SRTP_SUITE_H
#define ANCHOR_SRTP_SUITE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum srtp_suite_id {
	SRTP_SUITE_NONE = 0,
	SRTP_SUITE_AES_CM_128_HMAC_SHA1_80,
	SRTP_SUITE_AES_CM_128_HMAC_SHA1_32,
	SRTP_SUITE_AES_256_CM_HMAC_SHA1_80,
	SRTP_SUITE_AES_256_CM_HMAC_SHA1_32,
	SRTP_SUITE_AEAD_AES_128_GCM,
	SRTP_SUITE_AEAD_AES_256_GCM,
	SRTP_SUITE_COUNT,
};

/* the longest master key and salt of any suite: AES-256 key + 14-byte salt */
#define SRTP_SUITE_MAX_KEY_LEN 32
#define SRTP_SUITE_MAX_SALT_LEN 14
#define SRTP_SUITE_MAX_KEY_SALT_LEN (SRTP_SUITE_MAX_KEY_LEN + SRTP_SUITE_MAX_SALT_LEN)

struct srtp_suite {
	enum srtp_suite_id id;
	const char *sdes_name;	   /* a=crypto suite name */
	const char *dtls_name;	   /* OpenSSL's profile name; NULL: SDES only */
	uint16_t dtls_profile;	   /* RFC 5764 profile number; 0: SDES only */
	size_t key_len;		   /* master key, bytes */
	size_t salt_len;	   /* master salt, bytes */
	size_t rtp_tag_len;	   /* bytes of authentication tag on SRTP */
	size_t rtcp_tag_len;	   /* on SRTCP (80 bits for the _32 suites) */
};

/* The suite's row; NULL for SRTP_SUITE_NONE or out of range. */
const struct srtp_suite *srtp_suite_get(enum srtp_suite_id id);

/* The suite with this SDES name (exact, case-sensitive as RFC 4568 §9.2's
 * grammar is); NULL when unknown. */
const struct srtp_suite *srtp_suite_by_sdes(const char *name, size_t len);

/* The suite of a DTLS-SRTP profile number, or of OpenSSL's profile name. */
const struct srtp_suite *srtp_suite_by_dtls_profile(uint16_t profile);
const struct srtp_suite *srtp_suite_by_dtls_name(const char *name);

/*
 * The OpenSSL profile list offered in DTLS-SRTP ("SRTP_AEAD_AES_128_GCM:
 * SRTP_AES128_CM_SHA1_80:..."), strongest first, for
 * SSL_CTX_set_tlsext_use_srtp().
 */
const char *srtp_suite_dtls_profiles(void);

/*
 * RFC 5764 §4.2: split the keying material the DTLS exporter gives for
 * "EXTRACTOR-dtls_srtp" (2 * (key_len + salt_len) bytes: client key,
 * server key, client salt, server salt) into the master key||salt each
 * side sends with. local and remote get key_len + salt_len bytes; is_client
 * says whether this end was the DTLS client. Returns 0, or -1 when len is
 * not the suite's size.
 */
int srtp_suite_split_dtls_keys(const struct srtp_suite *s, const uint8_t *material, size_t len,
			       bool is_client, uint8_t *local, uint8_t *remote);

#endif
