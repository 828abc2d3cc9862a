/*
 * integrity.c - MESSAGE-INTEGRITY(-SHA256), FINGERPRINT, long-term keys,
 * USERHASH and the nonce cookie (RFC 8489 §9.2, §14.4-§14.7).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

#include "stun/stun.h"
#include "stun/internal.h"
#include "stun/wire.h"

bool stun_ct_equal(const void *a, const void *b, size_t len)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t diff = 0;

	for (size_t i = 0; i < len; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

/* CRC-32 (ISO 3309, reflected 0xEDB88320), four bits at a time. */
uint32_t stun_crc32(const uint8_t *buf, size_t len)
{
	return stun_crc32_update(0, buf, len);
}

void stun_fingerprint_attr(uint8_t out[8], uint32_t crc)
{
	wire_put16(out, STUN_ATTR_FINGERPRINT);
	wire_put16(out + 2, 4);
	wire_put32(out + 4, crc ^ STUN_FINGERPRINT_XOR);
}

/* Continues a CRC-32 over one more piece: crc of a||b = update(crc(a), b). */
uint32_t stun_crc32_update(uint32_t crc_so_far, const uint8_t *buf, size_t len)
{
	static const uint32_t nibble[16] = {
		0x00000000, 0x1DB71064, 0x3B6E20C8, 0x26D930AC, 0x76DC4190, 0x6B6B51F4,
		0x4DB26158, 0x5005713C, 0xEDB88320, 0xF00F9344, 0xD6D6A3E8, 0xCB61B38C,
		0x9B64C2B0, 0x86D3D2D4, 0xA00AE278, 0xBDBDF21C,
	};
	uint32_t crc = crc_so_far ^ 0xFFFFFFFFu;

	for (size_t i = 0; i < len; i++) {
		crc ^= buf[i];
		crc = (crc >> 4) ^ nibble[crc & 0x0F];
		crc = (crc >> 4) ^ nibble[crc & 0x0F];
	}
	return crc ^ 0xFFFFFFFFu;
}

/*
 * HMAC over the first `upto` bytes of a message whose header length field
 * is replaced by `fake_len` (RFC 8489 §14.5: the length as if the integrity
 * attribute were the last one).
 */
int stun_hmac_msg(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *msg,
		    size_t upto, size_t fake_len, uint8_t *out, size_t out_cap)
{
	EVP_MAC *mac = NULL;
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	uint8_t hdr[STUN_HEADER_LEN];
	static const uint8_t empty_key[1];
	size_t out_len = 0;
	int ret = -1;

	if (upto < STUN_HEADER_LEN || fake_len > 0xFFFF)
		return -1;
	memcpy(hdr, msg, STUN_HEADER_LEN);
	wire_put16(hdr + 2, (uint16_t)fake_len);

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!mac)
		goto fail;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto fail;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key_len ? key : empty_key, key_len, params) ||
	    !EVP_MAC_update(ctx, hdr, sizeof(hdr)) ||
	    !EVP_MAC_update(ctx, msg + STUN_HEADER_LEN, upto - STUN_HEADER_LEN) ||
	    !EVP_MAC_final(ctx, out, &out_len, out_cap))
		goto fail;
	ret = (int)out_len;
fail:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return ret;
}

int stun_msg_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len)
{
	const struct stun_attr *a;
	uint8_t mac[20];

	if (m->mi_idx < 0)
		return -1;
	a = &m->attrs[m->mi_idx];
	if (stun_hmac_msg("SHA1", key, key_len, m->buf, a->off,
		     a->off + STUN_ATTR_HDR_LEN + 20u - STUN_HEADER_LEN, mac, sizeof(mac)) != 20)
		return -1;
	return stun_ct_equal(mac, a->val, 20) ? 0 : -1;
}

int stun_msg_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key,
				    size_t key_len)
{
	const struct stun_attr *a;
	uint8_t mac[32];

	if (m->mi256_idx < 0)
		return -1;
	a = &m->attrs[m->mi256_idx];
	if (stun_hmac_msg("SHA256", key, key_len, m->buf, a->off,
		     a->off + STUN_ATTR_HDR_LEN + (size_t)a->len - STUN_HEADER_LEN, mac,
		     sizeof(mac)) != 32)
		return -1;
	/* a truncated MAC compares its leading bytes (RFC 8489 §14.6) */
	return stun_ct_equal(mac, a->val, a->len) ? 0 : -1;
}

bool stun_msg_check_fingerprint(const struct stun_msg *m)
{
	const struct stun_attr *a;

	if (m->fp_idx < 0)
		return false;
	a = &m->attrs[m->fp_idx];
	return (stun_crc32(m->buf, a->off) ^ STUN_FINGERPRINT_XOR) == wire_get32(a->val);
}

static int digest_parts(const EVP_MD *md, const char *const *parts, int nparts, uint8_t *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int out_len = 0;
	int ok;

	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, md, NULL);
	for (int i = 0; ok && i < nparts; i++) {
		if (i)
			ok = EVP_DigestUpdate(ctx, ":", 1);
		if (ok)
			ok = EVP_DigestUpdate(ctx, parts[i], strlen(parts[i]));
	}
	if (ok)
		ok = EVP_DigestFinal_ex(ctx, out, &out_len);
	EVP_MD_CTX_free(ctx);
	return ok ? (int)out_len : -1;
}

int stun_lt_key(uint16_t alg, const char *user, const char *realm, const char *pass,
		uint8_t *out)
{
	const char *parts[3] = {user, realm, pass};

	switch (alg) {
	case STUN_PW_ALG_MD5:
		return digest_parts(EVP_md5(), parts, 3, out);
	case STUN_PW_ALG_SHA256:
		return digest_parts(EVP_sha256(), parts, 3, out);
	default:
		return -1;
	}
}

void stun_userhash(const char *user, const char *realm, uint8_t out[32])
{
	const char *parts[2] = {user, realm};

	if (digest_parts(EVP_sha256(), parts, 2, out) != 32)
		memset(out, 0, 32);
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void stun_nonce_cookie(char out[STUN_NONCE_COOKIE_LEN + 1], uint32_t features)
{
	memcpy(out, STUN_NONCE_COOKIE, 9);
	out[9] = b64[(features >> 18) & 63];
	out[10] = b64[(features >> 12) & 63];
	out[11] = b64[(features >> 6) & 63];
	out[12] = b64[features & 63];
	out[13] = '\0';
}

int stun_nonce_cookie_features(const uint8_t *nonce, size_t len, uint32_t *features)
{
	uint32_t v = 0;

	if (len < STUN_NONCE_COOKIE_LEN || memcmp(nonce, STUN_NONCE_COOKIE, 9) != 0)
		return -1;
	for (int i = 9; i < STUN_NONCE_COOKIE_LEN; i++) {
		const char *p = memchr(b64, nonce[i], 64);

		if (!p || nonce[i] == '\0')
			return -1;
		v = v << 6 | (uint32_t)(p - b64);
	}
	*features = v;
	return 0;
}
