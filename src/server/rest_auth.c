/*
 * rest_auth.c - TURN REST API usernames and passwords (rest_auth.h).
 */
#include "server/rest_auth.h"

#include <openssl/evp.h>
#include <string.h>

#include "stun/stun.h"

static bool rest_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* EXPIRY: 1 to REST_AUTH_EXPIRY_DIGITS digits, at most REST_AUTH_EXPIRY_MAX. */
static int rest_parse_expiry(const char *s, size_t len, uint32_t *out)
{
	uint64_t v = 0;

	if (len == 0 || len > REST_AUTH_EXPIRY_DIGITS)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (!rest_is_digit(s[i]))
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
		if (v > REST_AUTH_EXPIRY_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static bool rest_all_digits(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!rest_is_digit(s[i]))
			return false;
	return len > 0;
}

int rest_username_parse(const char *name, size_t len, char sep, struct rest_username *out)
{
	struct rest_username u = {0};
	const char *p;
	size_t head;

	if (!name || len == 0 || len > REST_AUTH_USERNAME_MAX || memchr(name, 0, len) ||
	    sep == '\0' || rest_is_digit(sep))
		return -1;
	p = memchr(name, sep, len);
	head = p ? (size_t)(p - name) : len;
	if (rest_all_digits(name, head)) {
		/* EXPIRY[SEP USER] */
		if (rest_parse_expiry(name, head, &u.expiry_s) < 0)
			return -1;
		if (p) {
			u.user_off = head + 1;
			u.user_len = len - head - 1;
		}
	} else {
		/* coturn's older USER SEP EXPIRY: all after the first SEP */
		if (!p || head == 0 || rest_parse_expiry(p + 1, len - head - 1, &u.expiry_s) < 0)
			return -1;
		u.user_len = head;
	}
	*out = u;
	return 0;
}

bool rest_username_expired(const struct rest_username *u, uint64_t now_s)
{
	return (uint64_t)u->expiry_s < now_s;
}

int rest_password(const char *secret, size_t secret_len, const char *name, size_t name_len,
		  char out[REST_AUTH_PASSWORD_LEN + 1])
{
	uint8_t mac[20];
	int n;

	if (!secret || secret_len == 0 || secret_len > (size_t)INT32_MAX)
		return -1;
	if (stun_hmac("SHA1", (const uint8_t *)secret, secret_len, (const uint8_t *)name, name_len,
		      mac, sizeof(mac)) != (int)sizeof(mac))
		return -1;
	n = EVP_EncodeBlock((unsigned char *)out, mac, (int)sizeof(mac));
	OPENSSL_cleanse(mac, sizeof(mac));
	return n == REST_AUTH_PASSWORD_LEN ? 0 : -1;
}
