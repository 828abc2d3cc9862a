/*
 * webadmin_pw.c - admin passwords as coturn keeps them in admin_user
 * (turnadmin -A, -P): "$5$", 8 random salt bytes in hex, "$", then
 * SHA-256(salt || password) in hex. Only this form is stored or accepted,
 * so no admin password is ever kept in clear.
 */
#include "server/webadmin_pw.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

static const char hexdig[] = "0123456789abcdef";

static void to_hex(const uint8_t *in, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdig[in[i] >> 4];
		out[2 * i + 1] = hexdig[in[i] & 15];
	}
	out[2 * len] = '\0';
}

static int from_hex(const char *in, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++) {
		int hi = OPENSSL_hexchar2int((unsigned char)in[2 * i]);
		int lo = OPENSSL_hexchar2int((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int webadmin_pw_hash_salted(const char *password, const uint8_t salt[WEBADMIN_PW_SALT],
			    char out[WEBADMIN_PW_LEN + 1])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t md[32];
	unsigned int len = 0;
	int ok;

	if (!ctx)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(ctx, salt, WEBADMIN_PW_SALT) == 1 &&
	     EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	     EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == sizeof(md);
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	memcpy(out, "$5$", 3);
	to_hex(salt, WEBADMIN_PW_SALT, out + 3);
	out[3 + 2 * WEBADMIN_PW_SALT] = '$';
	to_hex(md, sizeof(md), out + 4 + 2 * WEBADMIN_PW_SALT);
	OPENSSL_cleanse(md, sizeof(md));
	return 0;
}

int webadmin_pw_hash(const char *password, char out[WEBADMIN_PW_LEN + 1])
{
	uint8_t salt[WEBADMIN_PW_SALT];

	if (!password || !*password || RAND_bytes(salt, sizeof(salt)) != 1)
		return -1;
	return webadmin_pw_hash_salted(password, salt, out);
}

bool webadmin_pw_valid(const char *stored)
{
	uint8_t buf[32];

	return stored && strlen(stored) == WEBADMIN_PW_LEN && memcmp(stored, "$5$", 3) == 0 &&
	       stored[3 + 2 * WEBADMIN_PW_SALT] == '$' &&
	       from_hex(stored + 3, WEBADMIN_PW_SALT, buf) == 0 &&
	       from_hex(stored + 4 + 2 * WEBADMIN_PW_SALT, 32, buf) == 0;
}

bool webadmin_pw_check(const char *stored, const char *password)
{
	uint8_t salt[WEBADMIN_PW_SALT];
	char mine[WEBADMIN_PW_LEN + 1], lower[WEBADMIN_PW_LEN];
	bool ok;

	if (!password || !webadmin_pw_valid(stored) ||
	    from_hex(stored + 3, WEBADMIN_PW_SALT, salt) < 0 ||
	    webadmin_pw_hash_salted(password, salt, mine) < 0)
		return false;
	/* hex digits of either case, compared in constant time */
	for (size_t i = 0; i < WEBADMIN_PW_LEN; i++)
		lower[i] = (char)tolower((unsigned char)stored[i]);
	ok = CRYPTO_memcmp(mine, lower, WEBADMIN_PW_LEN) == 0;
	OPENSSL_cleanse(mine, sizeof(mine));
	return ok;
}
