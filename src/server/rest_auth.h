/*
 * rest_auth.h - time-limited credentials of the "TURN REST API"
 * (draft-uberti-behave-turn-rest-00 §2.2), read as coturn reads them under
 * use-auth-secret.
 *
 * A web service that shares a secret with the server hands out
 *   username = EXPIRY[SEP USER]   (SEP is rest-api-separator, ':' by default)
 *   password = base64(HMAC-SHA1(secret, username))
 * EXPIRY is a Unix time in seconds: the credentials are good until then.
 * coturn also takes the older order USER SEP EXPIRY (when what comes before
 * the first SEP is not all digits); so does rest_username_parse(). The
 * long-term key is then derived from that password as for any user, with
 * MD5 or SHA-256 (RFC 8489 §9.2.2), so both password algorithms work.
 *
 * Pure: no I/O, no clock, no global state. The caller compares the expiry
 * with its clock and keeps derived keys out of its logs.
 */
#ifndef SERVER_REST_AUTH_H
#define SERVER_REST_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* base64 of a 20-byte HMAC-SHA1, without the NUL */
#define REST_AUTH_PASSWORD_LEN 28
/* RFC 5389 §15.3: a USERNAME is less than 513 bytes */
#define REST_AUTH_USERNAME_MAX 512
/* digits of EXPIRY read at most (leading zeros included) */
#define REST_AUTH_EXPIRY_DIGITS 20
/* coturn keeps the expiry in 32 bits: later ones are refused, not wrapped */
#define REST_AUTH_EXPIRY_MAX UINT32_MAX

struct rest_username {
	uint32_t expiry_s; /* Unix time */
	size_t user_off;   /* the USER part in the name; user_len 0: none */
	size_t user_len;
};

/*
 * Split a REST username of len bytes (no NUL needed). Returns 0, or -1
 * (out untouched) when it is not one: empty or longer than
 * REST_AUTH_USERNAME_MAX, a NUL byte, no EXPIRY (a name with no SEP must
 * be all digits), EXPIRY with anything but digits (no sign, no blanks), more
 * than REST_AUTH_EXPIRY_DIGITS digits or above REST_AUTH_EXPIRY_MAX, or a
 * SEP that is itself a digit or NUL.
 */
int rest_username_parse(const char *name, size_t len, char sep, struct rest_username *out);

/* draft-uberti-behave-turn-rest-00 §2.2, as coturn: good while expiry_s >= now_s. */
bool rest_username_expired(const struct rest_username *u, uint64_t now_s);

/*
 * The password of a username: base64(HMAC-SHA1(secret, name)), NUL-terminated
 * into out. 0, or -1 (an empty secret, or the crypto library failed).
 */
int rest_password(const char *secret, size_t secret_len, const char *name, size_t name_len,
		  char out[REST_AUTH_PASSWORD_LEN + 1]);

#endif /* SERVER_REST_AUTH_H */
