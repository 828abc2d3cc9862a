/*
 * srtp_ossl.c - libsrtp2's AES-CM, AES-GCM and HMAC-SHA1 on libcrypto,
 * see srtp_ossl.h.
 *
 * Each type fills libsrtp2's srtp_cipher_t / srtp_auth_t (crypto_types.h,
 * cipher.h, auth.h) the way its kernel expects: alloc makes the object
 * and its state, init takes the key once per context, and per packet
 * libsrtp2 calls set_iv + encrypt/decrypt (+ set_aad, get_tag for GCM)
 * and start + update + compute for HMAC. The algorithms are fetched from
 * the default provider once per process, so making a context looks
 * nothing up.
 */
#include "anchor/srtp_ossl.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ICM_SALT_LEN 14	    /* RFC 3711 §4.1.1: 112-bit salt */
#define ICM_MAX_BLOCKS 65536 /* RFC 3711 §4.1.1: the counter's low 16 bits */
#define SHA1_LEN 20

/* ---- algorithms, fetched once ---- */

enum { ALG_ECB128, ALG_ECB256, ALG_GCM128, ALG_GCM256, ALG_COUNT };

static const char *const alg_names[ALG_COUNT] = {"AES-128-ECB", "AES-256-ECB", "AES-128-GCM",
						 "AES-256-GCM"};
static EVP_CIPHER *algs[ALG_COUNT];
static EVP_MAC *hmac_alg;
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;
static bool fetched, active;

static void fetch_all(void)
{
	for (int i = 0; i < ALG_COUNT; i++)
		if (!(algs[i] = EVP_CIPHER_fetch(NULL, alg_names[i], NULL)))
			return;
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
	fetched = hmac_alg != NULL;
}

static bool have_algs(void)
{
	pthread_once(&fetch_once, fetch_all);
	return fetched;
}

/* ---- AES-CM (RFC 3711 §4.1.1) ----
 *
 * The keystream is AES-ECB of the counter blocks, made here in batches:
 * an ECB context is keyed once, so a packet costs no cipher re-init (an
 * EVP CTR context would take one per packet for its IV). */

#define ICM_BATCH 32 /* blocks per ECB call: 512 bytes */

struct icm {
	EVP_CIPHER_CTX *ctx;
	int aes_len;
	uint8_t offset[16];  /* the salt, shifted left 16 bits */
	uint8_t counter[16]; /* the packet's first counter block */
};

static const srtp_cipher_type_t *icm_type(int key_len, int *aes_len, int *alg)
{
	switch (key_len) {
	case SRTP_AES_ICM_128_KEY_LEN_WSALT:
		*aes_len = SRTP_AES_128_KEY_LEN;
		*alg = ALG_ECB128;
		return &srtp_ossl_aes_icm_128;
	case SRTP_AES_ICM_256_KEY_LEN_WSALT:
		*aes_len = SRTP_AES_256_KEY_LEN;
		*alg = ALG_ECB256;
		return &srtp_ossl_aes_icm_256;
	}
	return NULL;
}

/* One srtp_cipher_t and its state in one allocation, freed by dealloc. */
static srtp_cipher_t *cipher_new(const srtp_cipher_type_t *type, size_t state_len, int key_len)
{
	srtp_cipher_t *c = calloc(1, sizeof(*c) + state_len);

	if (!c)
		return NULL;
	c->type = type;
	c->state = c + 1;
	c->key_len = key_len;
	c->algorithm = (int)type->id;
	return c;
}

static srtp_err_status_t icm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	const srtp_cipher_type_t *type;
	srtp_cipher_t *c;
	struct icm *s;
	int aes_len, alg;

	(void)tag_len;
	if (!have_algs() || !(type = icm_type(key_len, &aes_len, &alg)))
		return srtp_err_status_bad_param;
	if (!(c = cipher_new(type, sizeof(*s), key_len)))
		return srtp_err_status_alloc_fail;
	s = c->state;
	s->aes_len = aes_len;
	if (!(s->ctx = EVP_CIPHER_CTX_new()) ||
	    !EVP_EncryptInit_ex2(s->ctx, algs[alg], NULL, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(s->ctx, 0)) {
		EVP_CIPHER_CTX_free(s->ctx);
		free(c);
		return srtp_err_status_alloc_fail;
	}
	*cp = c;
	return srtp_err_status_ok;
}

static srtp_err_status_t icm_dealloc(srtp_cipher_pointer_t c)
{
	struct icm *s = c->state;

	EVP_CIPHER_CTX_free(s->ctx);
	OPENSSL_cleanse(s, sizeof(*s));
	free(c);
	return srtp_err_status_ok;
}

/* key: the AES key, then the 14-byte salt */
static srtp_err_status_t icm_init(void *state, const uint8_t *key)
{
	struct icm *s = state;

	memset(s->offset, 0, sizeof(s->offset));
	memcpy(s->offset, key + s->aes_len, ICM_SALT_LEN);
	if (!EVP_EncryptInit_ex2(s->ctx, NULL, key, NULL, NULL))
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

/* the first counter block: salt XOR the packet's IV (SSRC, index), RFC 3711 §4.1.1 */
static srtp_err_status_t icm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct icm *s = state;

	(void)dir;
	for (int i = 0; i < 16; i++)
		s->counter[i] = s->offset[i] ^ iv[i];
	return srtp_err_status_ok;
}

static void xor_into(uint8_t *buf, const uint8_t *ks, unsigned int len)
{
	unsigned int i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t a, b;

		memcpy(&a, buf + i, 8);
		memcpy(&b, ks + i, 8);
		a ^= b;
		memcpy(buf + i, &a, 8);
	}
	for (; i < len; i++)
		buf[i] ^= ks[i];
}

/* XORs the keystream into buf; the same both ways. The block counter is
 * the low 16 bits (RFC 3711 §4.1.1), so a packet has at most 2^16 blocks. */
static srtp_err_status_t icm_crypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct icm *s = state;
	uint8_t blocks[ICM_BATCH * 16], ks[ICM_BATCH * 16];
	unsigned int done = 0, used = 0, ctr = (unsigned int)s->counter[14] << 8 | s->counter[15];

	if (*len > (ICM_MAX_BLOCKS - ctr) * 16u)
		return srtp_err_status_terminus;
	while (done < *len) {
		unsigned int n = (*len - done + 15) / 16, out_len;
		int out;

		if (n > ICM_BATCH)
			n = ICM_BATCH;
		for (unsigned int b = 0; b < n; b++, ctr++) {
			memcpy(blocks + 16 * b, s->counter, 14);
			blocks[16 * b + 14] = (uint8_t)(ctr >> 8);
			blocks[16 * b + 15] = (uint8_t)ctr;
		}
		if (!EVP_EncryptUpdate(s->ctx, ks, &out, blocks, (int)(16 * n)) ||
		    out != (int)(16 * n))
			return srtp_err_status_cipher_fail;
		out_len = *len - done < 16 * n ? *len - done : 16 * n;
		xor_into(buf + done, ks, out_len);
		done += out_len;
		used = used > 16 * n ? used : 16 * n;
	}
	/* a further call before the next set_iv starts at the next block
	   (libsrtp2 makes one call per set_iv) */
	s->counter[14] = (uint8_t)(ctr >> 8);
	s->counter[15] = (uint8_t)ctr;
	OPENSSL_cleanse(ks, used);
	return srtp_err_status_ok;
}

/* ---- AES-GCM (RFC 7714): the salt is libsrtp2's, the cipher gets the IV ---- */

struct gcm {
	EVP_CIPHER_CTX *ctx;
	int tag_len;
};

static srtp_err_status_t gcm_alloc(srtp_cipher_pointer_t *cp, int key_len, int tag_len)
{
	const srtp_cipher_type_t *type;
	srtp_cipher_t *c;
	struct gcm *s;
	int alg;

	if (!have_algs())
		return srtp_err_status_bad_param;
	if (key_len == SRTP_AES_GCM_128_KEY_LEN_WSALT) {
		type = &srtp_ossl_aes_gcm_128;
		alg = ALG_GCM128;
	} else if (key_len == SRTP_AES_GCM_256_KEY_LEN_WSALT) {
		type = &srtp_ossl_aes_gcm_256;
		alg = ALG_GCM256;
	} else {
		return srtp_err_status_bad_param;
	}
	/* RFC 7714 §14.2: 16-byte tags; libsrtp2 also has an 8-byte variant */
	if (tag_len != 16 && tag_len != 8)
		return srtp_err_status_bad_param;
	if (!(c = cipher_new(type, sizeof(*s), key_len)))
		return srtp_err_status_alloc_fail;
	s = c->state;
	s->tag_len = tag_len;
	if (!(s->ctx = EVP_CIPHER_CTX_new()) ||
	    !EVP_CipherInit_ex2(s->ctx, algs[alg], NULL, NULL, 1, NULL)) {
		EVP_CIPHER_CTX_free(s->ctx);
		free(c);
		return srtp_err_status_alloc_fail;
	}
	*cp = c;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_dealloc(srtp_cipher_pointer_t c)
{
	struct gcm *s = c->state;

	EVP_CIPHER_CTX_free(s->ctx);
	free(c);
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_init(void *state, const uint8_t *key)
{
	struct gcm *s = state;

	if (!EVP_CipherInit_ex2(s->ctx, NULL, key, NULL, -1, NULL))
		return srtp_err_status_init_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_set_iv(void *state, uint8_t *iv, srtp_cipher_direction_t dir)
{
	struct gcm *s = state;

	if (dir != srtp_direction_encrypt && dir != srtp_direction_decrypt)
		return srtp_err_status_bad_param;
	if (!EVP_CipherInit_ex2(s->ctx, NULL, NULL, iv, dir == srtp_direction_encrypt, NULL))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* the header (and for SRTCP the E flag and index): called once or twice */
static srtp_err_status_t gcm_set_aad(void *state, const uint8_t *aad, uint32_t len)
{
	struct gcm *s = state;
	int out;

	if (len > 0 && !EVP_CipherUpdate(s->ctx, NULL, &out, aad, (int)len))
		return srtp_err_status_algo_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t gcm_encrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *s = state;
	int out;

	if (*len > 0 && (!EVP_CipherUpdate(s->ctx, buf, &out, buf, (int)*len) ||
			 out != (int)*len))
		return srtp_err_status_cipher_fail;
	return srtp_err_status_ok;
}

/* the tag of what was encrypted since set_iv */
static srtp_err_status_t gcm_get_tag(void *state, uint8_t *tag, uint32_t *len)
{
	struct gcm *s = state;
	uint8_t none[16];
	int out;

	if (!EVP_CipherFinal_ex(s->ctx, none, &out) ||
	    !EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_GET_TAG, s->tag_len, tag))
		return srtp_err_status_algo_fail;
	*len = (uint32_t)s->tag_len;
	return srtp_err_status_ok;
}

/* buf holds the ciphertext and its tag; *len loses the tag when it verifies */
static srtp_err_status_t gcm_decrypt(void *state, uint8_t *buf, unsigned int *len)
{
	struct gcm *s = state;
	unsigned int n;
	uint8_t none[16];
	int out;

	if (*len < (unsigned int)s->tag_len)
		return srtp_err_status_bad_param;
	n = *len - (unsigned int)s->tag_len;
	if (!EVP_CIPHER_CTX_ctrl(s->ctx, EVP_CTRL_GCM_SET_TAG, s->tag_len, buf + n))
		return srtp_err_status_auth_fail;
	if (n > 0 && (!EVP_CipherUpdate(s->ctx, buf, &out, buf, (int)n) || out != (int)n))
		return srtp_err_status_auth_fail;
	if (EVP_CipherFinal_ex(s->ctx, none, &out) <= 0)
		return srtp_err_status_auth_fail;
	*len = n;
	return srtp_err_status_ok;
}

/* ---- HMAC-SHA1 (RFC 3711 §4.2.1, RFC 2104) ---- */

struct hmac {
	EVP_MAC_CTX *ctx;
};

static srtp_err_status_t hmac_alloc(srtp_auth_pointer_t *ap, int key_len, int out_len)
{
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
								(char *)"SHA1", 0),
			       OSSL_PARAM_construct_end()};
	srtp_auth_t *a;
	struct hmac *s;

	if (!have_algs() || key_len < 0 || key_len > SHA1_LEN || out_len < 0 ||
	    out_len > SHA1_LEN)
		return srtp_err_status_bad_param;
	if (!(a = calloc(1, sizeof(*a) + sizeof(*s))))
		return srtp_err_status_alloc_fail;
	s = (struct hmac *)(a + 1);
	if (!(s->ctx = EVP_MAC_CTX_new(hmac_alg)) || !EVP_MAC_CTX_set_params(s->ctx, params)) {
		EVP_MAC_CTX_free(s->ctx);
		free(a);
		return srtp_err_status_alloc_fail;
	}
	a->type = &srtp_ossl_hmac_sha1;
	a->state = s;
	a->out_len = out_len;
	a->key_len = key_len;
	a->prefix_len = 0;
	*ap = a;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_dealloc(srtp_auth_pointer_t a)
{
	struct hmac *s = a->state;

	EVP_MAC_CTX_free(s->ctx);
	free(a);
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_init(void *state, const uint8_t *key, int key_len)
{
	struct hmac *s = state;
	static const uint8_t empty[1];

	if (!EVP_MAC_init(s->ctx, key_len > 0 ? key : empty, (size_t)key_len, NULL))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

/* back to the keyed state: the key's pads stay in the context */
static srtp_err_status_t hmac_start(void *state)
{
	struct hmac *s = state;

	if (!EVP_MAC_init(s->ctx, NULL, 0, NULL))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_update(void *state, const uint8_t *buf, int len)
{
	struct hmac *s = state;

	if (len < 0 || (len > 0 && !EVP_MAC_update(s->ctx, buf, (size_t)len)))
		return srtp_err_status_auth_fail;
	return srtp_err_status_ok;
}

static srtp_err_status_t hmac_compute(void *state, const uint8_t *buf, int len, int tag_len,
				      uint8_t *tag)
{
	struct hmac *s = state;
	uint8_t md[EVP_MAX_MD_SIZE];
	size_t n;

	if (tag_len < 0 || tag_len > SHA1_LEN || hmac_update(state, buf, len) != 0 ||
	    !EVP_MAC_final(s->ctx, md, &n, sizeof(md)) || n != SHA1_LEN)
		return srtp_err_status_auth_fail;
	memcpy(tag, md, (size_t)tag_len);
	return srtp_err_status_ok;
}

/* ---- vectors libsrtp2 runs each type against before it takes it ---- */

/* RFC 3711 Appendix B.2: key, salt, the first two keystream blocks */
static const uint8_t icm128_key[30] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6, 0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f,
    0x3c, 0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm128_ks[32] = {
    0xe0, 0x3e, 0xad, 0x09, 0x35, 0xc9, 0x5e, 0x80, 0xe1, 0x66, 0xb1, 0x6d, 0xd9, 0x2b, 0x4e, 0xb4,
    0xd2, 0x35, 0x13, 0x16, 0x2b, 0x02, 0xd0, 0xf7, 0x2a, 0x43, 0xa2, 0xfe, 0x4a, 0x5f, 0x97, 0xab};
/* RFC 6188 §7.1 */
static const uint8_t icm256_key[46] = {
    0x57, 0xf8, 0x2f, 0xe3, 0x61, 0x3f, 0xd1, 0x70, 0xa8, 0x5e, 0xc9, 0x3c, 0x40, 0xb1, 0xf0, 0x92,
    0x2e, 0xc4, 0xcb, 0x0d, 0xc0, 0x25, 0xb5, 0x82, 0x72, 0x14, 0x7c, 0xc4, 0x38, 0x94, 0x4a, 0x98,
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd};
static const uint8_t icm256_ks[32] = {
    0x92, 0xbd, 0xd2, 0x8a, 0x93, 0xc3, 0xf5, 0x25, 0x11, 0xc6, 0x77, 0xd0, 0x8b, 0x55, 0x15, 0xa4,
    0x9d, 0xa7, 0x1b, 0x23, 0x78, 0xa8, 0x54, 0xf6, 0x70, 0x50, 0x75, 0x6d, 0xed, 0x16, 0x5b, 0xac};
static uint8_t zero_iv[16];
static const uint8_t zeros[32];

static const srtp_cipher_test_case_t icm128_test = {
    30, icm128_key, zero_iv, 32, zeros, 32, icm128_ks, 0, NULL, 0, NULL};
static const srtp_cipher_test_case_t icm256_test = {
    46, icm256_key, zero_iv, 32, zeros, 32, icm256_ks, 0, NULL, 0, NULL};

/* The GCM specification's test cases 4 and 16 (key, then a salt GCM does not use) */
static const uint8_t gcm_key[44] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30, 0x83,
    0x08, 0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30,
    0x83, 0x08, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53};
static uint8_t gcm_iv[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce,
			     0xdb, 0xad, 0xde, 0xca, 0xf8, 0x88};
static const uint8_t gcm_aad[20] = {0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad, 0xbe,
				    0xef, 0xfe, 0xed, 0xfa, 0xce, 0xde, 0xad,
				    0xbe, 0xef, 0xab, 0xad, 0xda, 0xd2};
static const uint8_t gcm_plain[60] = {
    0xd9, 0x31, 0x32, 0x25, 0xf8, 0x84, 0x06, 0xe5, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26,
    0x9a, 0x86, 0xa7, 0xa9, 0x53, 0x15, 0x34, 0xf7, 0xda, 0x2e, 0x4c, 0x30, 0x3d, 0x8a, 0x31,
    0x8a, 0x72, 0x1c, 0x3c, 0x0c, 0x95, 0x95, 0x68, 0x09, 0x53, 0x2f, 0xcf, 0x0e, 0x24, 0x49,
    0xa6, 0xb5, 0x25, 0xb1, 0x6a, 0xed, 0xf5, 0xaa, 0x0d, 0xe6, 0x57, 0xba, 0x63, 0x7b, 0x39};
static const uint8_t gcm128_ct[76] = {
    0x42, 0x83, 0x1e, 0xc2, 0x21, 0x77, 0x74, 0x24, 0x4b, 0x72, 0x21, 0xb7, 0x84, 0xd0, 0xd4,
    0x9c, 0xe3, 0xaa, 0x21, 0x2f, 0x2c, 0x02, 0xa4, 0xe0, 0x35, 0xc1, 0x7e, 0x23, 0x29, 0xac,
    0xa1, 0x2e, 0x21, 0xd5, 0x14, 0xb2, 0x54, 0x66, 0x93, 0x1c, 0x7d, 0x8f, 0x6a, 0x5a, 0xac,
    0x84, 0xaa, 0x05, 0x1b, 0xa3, 0x0b, 0x39, 0x6a, 0x0a, 0xac, 0x97, 0x3d, 0x58, 0xe0, 0x91,
    /* tag */
    0x5b, 0xc9, 0x4f, 0xbc, 0x32, 0x21, 0xa5, 0xdb, 0x94, 0xfa, 0xe9, 0x5a, 0xe7, 0x12, 0x1a,
    0x47};
static const uint8_t gcm256_ct[76] = {
    0x52, 0x2d, 0xc1, 0xf0, 0x99, 0x56, 0x7d, 0x07, 0xf4, 0x7f, 0x37, 0xa3, 0x2a, 0x84, 0x42,
    0x7d, 0x64, 0x3a, 0x8c, 0xdc, 0xbf, 0xe5, 0xc0, 0xc9, 0x75, 0x98, 0xa2, 0xbd, 0x25, 0x55,
    0xd1, 0xaa, 0x8c, 0xb0, 0x8e, 0x48, 0x59, 0x0d, 0xbb, 0x3d, 0xa7, 0xb0, 0x8b, 0x10, 0x56,
    0x82, 0x88, 0x38, 0xc5, 0xf6, 0x1e, 0x63, 0x93, 0xba, 0x7a, 0x0a, 0xbc, 0xc9, 0xf6, 0x62,
    /* tag */
    0x76, 0xfc, 0x6e, 0xce, 0x0f, 0x4e, 0x17, 0x68, 0xcd, 0xdf, 0x88, 0x53, 0xbb, 0x2d, 0x55,
    0x1b};
static const uint8_t gcm128_key[28] = {
    0xfe, 0xff, 0xe9, 0x92, 0x86, 0x65, 0x73, 0x1c, 0x6d, 0x6a, 0x8f, 0x94, 0x67, 0x30,
    0x83, 0x08, 0xa5, 0x59, 0x09, 0xc5, 0xaf, 0xf5, 0x26, 0x9a, 0x86, 0xa7, 0xa9, 0x53};

static const srtp_cipher_test_case_t gcm128_test = {
    28, gcm128_key, gcm_iv, 60, gcm_plain, 76, gcm128_ct, 20, gcm_aad, 16, NULL};
static const srtp_cipher_test_case_t gcm256_test = {
    44, gcm_key, gcm_iv, 60, gcm_plain, 76, gcm256_ct, 20, gcm_aad, 16, NULL};

/* RFC 2202 §3, test case 1 */
static const uint8_t hmac_key[20] = {0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				     0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b,
				     0x0b, 0x0b, 0x0b, 0x0b, 0x0b, 0x0b};
static const uint8_t hmac_data[8] = {'H', 'i', ' ', 'T', 'h', 'e', 'r', 'e'};
static const uint8_t hmac_tag[20] = {0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72,
				     0x64, 0xe2, 0x8b, 0xc0, 0xb6, 0xfb, 0x37,
				     0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00};
static const srtp_auth_test_case_t hmac_test = {20, hmac_key, 8, hmac_data, 20, hmac_tag, NULL};

/* ---- the types ---- */

#define ICM_TYPE(name, desc, test, alg_id)                                                     \
	const srtp_cipher_type_t name = {icm_alloc,  icm_dealloc, icm_init, NULL,             \
					 icm_crypt,  icm_crypt,	  icm_set_iv, NULL,           \
					 desc,	     test,	  alg_id}

ICM_TYPE(srtp_ossl_aes_icm_128, "AES-128 counter mode (OpenSSL)", &icm128_test,
	 SRTP_AES_ICM_128);
ICM_TYPE(srtp_ossl_aes_icm_256, "AES-256 counter mode (OpenSSL)", &icm256_test,
	 SRTP_AES_ICM_256);

#define GCM_TYPE(name, desc, test, alg_id)                                                     \
	const srtp_cipher_type_t name = {gcm_alloc,   gcm_dealloc, gcm_init,   gcm_set_aad,   \
					 gcm_encrypt, gcm_decrypt, gcm_set_iv, gcm_get_tag,   \
					 desc,	      test,	   alg_id}

GCM_TYPE(srtp_ossl_aes_gcm_128, "AES-128 GCM (OpenSSL)", &gcm128_test, SRTP_AES_GCM_128);
GCM_TYPE(srtp_ossl_aes_gcm_256, "AES-256 GCM (OpenSSL)", &gcm256_test, SRTP_AES_GCM_256);

const srtp_auth_type_t srtp_ossl_hmac_sha1 = {hmac_alloc,  hmac_dealloc, hmac_init,
					      hmac_compute, hmac_update, hmac_start,
					      "HMAC-SHA1 (OpenSSL)", &hmac_test, SRTP_HMAC_SHA1};

/* ---- install ---- */

int srtp_ossl_install(char *err, size_t errlen)
{
	static const srtp_cipher_type_t *const ciphers[] = {
	    &srtp_ossl_aes_icm_128, &srtp_ossl_aes_icm_256, &srtp_ossl_aes_gcm_128,
	    &srtp_ossl_aes_gcm_256};
	srtp_err_status_t st;

	if (!have_algs()) {
		snprintf(err, errlen, "libcrypto lacks AES-ECB, AES-GCM or HMAC");
		return -1;
	}
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		st = srtp_replace_cipher_type(ciphers[i], ciphers[i]->id);
		if (st != srtp_err_status_ok) {
			snprintf(err, errlen, "libsrtp2 refused %s (status %d)",
				 ciphers[i]->description, (int)st);
			return -1;
		}
	}
	st = srtp_replace_auth_type(&srtp_ossl_hmac_sha1, SRTP_HMAC_SHA1);
	if (st != srtp_err_status_ok) {
		snprintf(err, errlen, "libsrtp2 refused %s (status %d)",
			 srtp_ossl_hmac_sha1.description, (int)st);
		return -1;
	}
	active = true;
	return 0;
}

bool srtp_ossl_active(void)
{
	return active;
}
