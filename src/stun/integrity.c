/*
 * integrity.c - MESSAGE-INTEGRITY(-SHA256), FINGERPRINT, long-term keys,
 * USERHASH and the nonce cookie (RFC 8489 §9.2, §14.4-§14.7).
 */
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
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

/* CRC-32 (ISO 3309, reflected 0xEDB88320), eight bytes at a time from tables. */
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

/* CRC-32 of each byte value (reflected 0xEDB88320), for a byte at a time. */
static const uint32_t crc_table[256] = {
	0x00000000, 0x77073096, 0xEE0E612C, 0x990951BA, 0x076DC419, 0x706AF48F,
	0xE963A535, 0x9E6495A3, 0x0EDB8832, 0x79DCB8A4, 0xE0D5E91E, 0x97D2D988,
	0x09B64C2B, 0x7EB17CBD, 0xE7B82D07, 0x90BF1D91, 0x1DB71064, 0x6AB020F2,
	0xF3B97148, 0x84BE41DE, 0x1ADAD47D, 0x6DDDE4EB, 0xF4D4B551, 0x83D385C7,
	0x136C9856, 0x646BA8C0, 0xFD62F97A, 0x8A65C9EC, 0x14015C4F, 0x63066CD9,
	0xFA0F3D63, 0x8D080DF5, 0x3B6E20C8, 0x4C69105E, 0xD56041E4, 0xA2677172,
	0x3C03E4D1, 0x4B04D447, 0xD20D85FD, 0xA50AB56B, 0x35B5A8FA, 0x42B2986C,
	0xDBBBC9D6, 0xACBCF940, 0x32D86CE3, 0x45DF5C75, 0xDCD60DCF, 0xABD13D59,
	0x26D930AC, 0x51DE003A, 0xC8D75180, 0xBFD06116, 0x21B4F4B5, 0x56B3C423,
	0xCFBA9599, 0xB8BDA50F, 0x2802B89E, 0x5F058808, 0xC60CD9B2, 0xB10BE924,
	0x2F6F7C87, 0x58684C11, 0xC1611DAB, 0xB6662D3D, 0x76DC4190, 0x01DB7106,
	0x98D220BC, 0xEFD5102A, 0x71B18589, 0x06B6B51F, 0x9FBFE4A5, 0xE8B8D433,
	0x7807C9A2, 0x0F00F934, 0x9609A88E, 0xE10E9818, 0x7F6A0DBB, 0x086D3D2D,
	0x91646C97, 0xE6635C01, 0x6B6B51F4, 0x1C6C6162, 0x856530D8, 0xF262004E,
	0x6C0695ED, 0x1B01A57B, 0x8208F4C1, 0xF50FC457, 0x65B0D9C6, 0x12B7E950,
	0x8BBEB8EA, 0xFCB9887C, 0x62DD1DDF, 0x15DA2D49, 0x8CD37CF3, 0xFBD44C65,
	0x4DB26158, 0x3AB551CE, 0xA3BC0074, 0xD4BB30E2, 0x4ADFA541, 0x3DD895D7,
	0xA4D1C46D, 0xD3D6F4FB, 0x4369E96A, 0x346ED9FC, 0xAD678846, 0xDA60B8D0,
	0x44042D73, 0x33031DE5, 0xAA0A4C5F, 0xDD0D7CC9, 0x5005713C, 0x270241AA,
	0xBE0B1010, 0xC90C2086, 0x5768B525, 0x206F85B3, 0xB966D409, 0xCE61E49F,
	0x5EDEF90E, 0x29D9C998, 0xB0D09822, 0xC7D7A8B4, 0x59B33D17, 0x2EB40D81,
	0xB7BD5C3B, 0xC0BA6CAD, 0xEDB88320, 0x9ABFB3B6, 0x03B6E20C, 0x74B1D29A,
	0xEAD54739, 0x9DD277AF, 0x04DB2615, 0x73DC1683, 0xE3630B12, 0x94643B84,
	0x0D6D6A3E, 0x7A6A5AA8, 0xE40ECF0B, 0x9309FF9D, 0x0A00AE27, 0x7D079EB1,
	0xF00F9344, 0x8708A3D2, 0x1E01F268, 0x6906C2FE, 0xF762575D, 0x806567CB,
	0x196C3671, 0x6E6B06E7, 0xFED41B76, 0x89D32BE0, 0x10DA7A5A, 0x67DD4ACC,
	0xF9B9DF6F, 0x8EBEEFF9, 0x17B7BE43, 0x60B08ED5, 0xD6D6A3E8, 0xA1D1937E,
	0x38D8C2C4, 0x4FDFF252, 0xD1BB67F1, 0xA6BC5767, 0x3FB506DD, 0x48B2364B,
	0xD80D2BDA, 0xAF0A1B4C, 0x36034AF6, 0x41047A60, 0xDF60EFC3, 0xA867DF55,
	0x316E8EEF, 0x4669BE79, 0xCB61B38C, 0xBC66831A, 0x256FD2A0, 0x5268E236,
	0xCC0C7795, 0xBB0B4703, 0x220216B9, 0x5505262F, 0xC5BA3BBE, 0xB2BD0B28,
	0x2BB45A92, 0x5CB36A04, 0xC2D7FFA7, 0xB5D0CF31, 0x2CD99E8B, 0x5BDEAE1D,
	0x9B64C2B0, 0xEC63F226, 0x756AA39C, 0x026D930A, 0x9C0906A9, 0xEB0E363F,
	0x72076785, 0x05005713, 0x95BF4A82, 0xE2B87A14, 0x7BB12BAE, 0x0CB61B38,
	0x92D28E9B, 0xE5D5BE0D, 0x7CDCEFB7, 0x0BDBDF21, 0x86D3D2D4, 0xF1D4E242,
	0x68DDB3F8, 0x1FDA836E, 0x81BE16CD, 0xF6B9265B, 0x6FB077E1, 0x18B74777,
	0x88085AE6, 0xFF0F6A70, 0x66063BCA, 0x11010B5C, 0x8F659EFF, 0xF862AE69,
	0x616BFFD3, 0x166CCF45, 0xA00AE278, 0xD70DD2EE, 0x4E048354, 0x3903B3C2,
	0xA7672661, 0xD06016F7, 0x4969474D, 0x3E6E77DB, 0xAED16A4A, 0xD9D65ADC,
	0x40DF0B66, 0x37D83BF0, 0xA9BCAE53, 0xDEBB9EC5, 0x47B2CF7F, 0x30B5FFE9,
	0xBDBDF21C, 0xCABAC28A, 0x53B39330, 0x24B4A3A6, 0xBAD03605, 0xCDD70693,
	0x54DE5729, 0x23D967BF, 0xB3667A2E, 0xC4614AB8, 0x5D681B02, 0x2A6F2B94,
	0xB40BBE37, 0xC30C8EA1, 0x5A05DF1B, 0x2D02EF8D,
};

/*
 * Slicing-by-8: crc_slice[k][b] is the CRC of byte b followed by k zero
 * bytes, so eight bytes take eight independent lookups instead of eight
 * dependent ones (a STUN Allocate's FINGERPRINT covers 100-200 bytes, checked
 * and added on every message). Built from crc_table once per process.
 */
static uint32_t crc_slice[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_slice_init(void)
{
	for (int b = 0; b < 256; b++) {
		crc_slice[0][b] = crc_table[b];
		for (int k = 1; k < 8; k++)
			crc_slice[k][b] = (crc_slice[k - 1][b] >> 8) ^
					  crc_table[crc_slice[k - 1][b] & 0xFF];
	}
}

/* Continues a CRC-32 over one more piece: crc of a||b = update(crc(a), b). */
uint32_t stun_crc32_update(uint32_t crc_so_far, const uint8_t *buf, size_t len)
{
	uint32_t crc = crc_so_far ^ 0xFFFFFFFFu;
	size_t i = 0;

	pthread_once(&crc_once, crc_slice_init);
	for (; i + 8 <= len; i += 8) {
		uint32_t lo = crc ^ ((uint32_t)buf[i] | (uint32_t)buf[i + 1] << 8 |
				     (uint32_t)buf[i + 2] << 16 | (uint32_t)buf[i + 3] << 24);

		crc = crc_slice[7][lo & 0xFF] ^ crc_slice[6][(lo >> 8) & 0xFF] ^
		      crc_slice[5][(lo >> 16) & 0xFF] ^ crc_slice[4][lo >> 24] ^
		      crc_slice[3][buf[i + 4]] ^ crc_slice[2][buf[i + 5]] ^
		      crc_slice[1][buf[i + 6]] ^ crc_slice[0][buf[i + 7]];
	}
	for (; i < len; i++)
		crc = (crc >> 8) ^ crc_table[(crc ^ buf[i]) & 0xFF];
	return crc ^ 0xFFFFFFFFu;
}

/*
 * HMAC contexts, one per digest and thread: OpenSSL 3 looks algorithms up
 * by name (a locked search) when a MAC or digest is fetched, which cost
 * more than the HMAC of a STUN message. So each thread fetches HMAC with
 * its digest once, keeps the context, and only re-keys it per message
 * (EVP_MAC_init with no parameters keeps the digest). A thread's contexts
 * are freed when it exits.
 */
enum { HMAC_SHA1, HMAC_SHA256, HMAC_KINDS };

static pthread_key_t hmac_key;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;
static bool hmac_key_ok;

static void hmac_free(void *p)
{
	EVP_MAC_CTX **ctx = p;

	for (int i = 0; i < HMAC_KINDS; i++)
		EVP_MAC_CTX_free(ctx[i]);
	free(ctx);
}

static void hmac_init_key(void)
{
	hmac_key_ok = pthread_key_create(&hmac_key, hmac_free) == 0;
}

/* This thread's context for digest ("SHA1" or "SHA256"), keyed with key. */
static EVP_MAC_CTX *hmac_ctx(const char *digest, const uint8_t *key, size_t key_len)
{
	static const uint8_t empty_key[1];
	int kind = strcmp(digest, "SHA1") == 0 ? HMAC_SHA1 : HMAC_SHA256;
	EVP_MAC_CTX **ctx;

	if (kind == HMAC_SHA256 && strcmp(digest, "SHA256") != 0)
		return NULL;
	pthread_once(&hmac_once, hmac_init_key);
	if (!hmac_key_ok)
		return NULL;
	ctx = pthread_getspecific(hmac_key);
	if (!ctx) {
		ctx = calloc(HMAC_KINDS, sizeof(*ctx));
		if (!ctx || pthread_setspecific(hmac_key, ctx) != 0) {
			free(ctx);
			return NULL;
		}
	}
	if (!ctx[kind]) {
		EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
		OSSL_PARAM params[2];

		if (!mac)
			return NULL;
		ctx[kind] = EVP_MAC_CTX_new(mac);
		EVP_MAC_free(mac); /* the context holds its own reference */
		if (!ctx[kind])
			return NULL;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)digest, 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_CTX_set_params(ctx[kind], params)) {
			EVP_MAC_CTX_free(ctx[kind]);
			ctx[kind] = NULL;
			return NULL;
		}
	}
	if (!EVP_MAC_init(ctx[kind], key_len ? key : empty_key, key_len, NULL))
		return NULL;
	return ctx[kind];
}

int stun_hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *data,
	      size_t len, uint8_t *out, size_t out_cap)
{
	EVP_MAC_CTX *ctx = hmac_ctx(digest, key, key_len);
	size_t out_len = 0;

	if (!ctx || !EVP_MAC_update(ctx, data, len) || !EVP_MAC_final(ctx, out, &out_len, out_cap))
		return -1;
	return (int)out_len;
}

/*
 * HMAC over the first `upto` bytes of a message whose header length field
 * is replaced by `fake_len` (RFC 8489 §14.5: the length as if the integrity
 * attribute were the last one).
 */
int stun_hmac_msg(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *msg,
		    size_t upto, size_t fake_len, uint8_t *out, size_t out_cap)
{
	EVP_MAC_CTX *ctx;
	uint8_t hdr[STUN_HEADER_LEN];
	size_t out_len = 0;

	if (upto < STUN_HEADER_LEN || fake_len > 0xFFFF)
		return -1;
	memcpy(hdr, msg, STUN_HEADER_LEN);
	wire_put16(hdr + 2, (uint16_t)fake_len);
	ctx = hmac_ctx(digest, key, key_len);
	if (!ctx || !EVP_MAC_update(ctx, hdr, sizeof(hdr)) ||
	    !EVP_MAC_update(ctx, msg + STUN_HEADER_LEN, upto - STUN_HEADER_LEN) ||
	    !EVP_MAC_final(ctx, out, &out_len, out_cap))
		return -1;
	return (int)out_len;
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
