/* internal.h - helpers shared by the codec's own files; not for callers. */
#ifndef STUN_INTERNAL_H
#define STUN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#define STUN_FINGERPRINT_XOR 0x5354554Eu


/*
 * HMAC (digest "SHA1" or "SHA256") over the first `upto` bytes of a
 * message, with its header length field replaced by `fake_len`.
 * Returns the MAC length, or -1.
 */
int stun_hmac_msg(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *msg,
		  size_t upto, size_t fake_len, uint8_t *out, size_t out_cap);

#endif
