/*
 * srtp_ossl.h - libsrtp2's ciphers and HMAC on OpenSSL's libcrypto.
 *
 * Debian builds libsrtp2 on NSS, whose PKCS#11 layer around each AES and
 * SHA-1 operation cost a third of the anchor's CPU per bridged packet and
 * most of a bridged call's set-up. srtp_ossl_install() puts libcrypto's
 * AES (AES-CM, RFC 3711 §4.1.1, 128 and 256-bit keys, also used by the key
 * derivation of §4.3), AES-GCM (RFC 7714) and HMAC-SHA1 (RFC 3711 §4.2.1) in libsrtp2's
 * crypto kernel in place of the built-in ones (srtp_replace_cipher_type,
 * srtp_replace_auth_type), after libsrtp2 checked each against its own
 * test vectors and ours. Contexts made afterwards use them; libsrtp2 keeps
 * doing the packet layout, replay windows and rollover counters.
 *
 * The types are exported for the unit tests, which run them against the
 * RFC vectors directly.
 */
#ifndef ANCHOR_SRTP_OSSL_H
#define ANCHOR_SRTP_OSSL_H

#include <stdbool.h>
#include <stddef.h>

#include <srtp2/auth.h>
#include <srtp2/cipher.h>

extern const srtp_cipher_type_t srtp_ossl_aes_icm_128;
extern const srtp_cipher_type_t srtp_ossl_aes_icm_256;
extern const srtp_cipher_type_t srtp_ossl_aes_gcm_128;
extern const srtp_cipher_type_t srtp_ossl_aes_gcm_256;
extern const srtp_auth_type_t srtp_ossl_hmac_sha1;

/*
 * Replaces libsrtp2's types by the ones above; call after srtp_init(),
 * once, before any context is made (the crypto kernel is not locked).
 * 0, or -1 with what libsrtp2 refused in err (its own types then stay).
 */
int srtp_ossl_install(char *err, size_t errlen);

/* Whether srtp_ossl_install() succeeded in this process. */
bool srtp_ossl_active(void);

#endif
