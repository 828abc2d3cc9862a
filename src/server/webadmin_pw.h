/*
 * webadmin_pw.h - admin account passwords in coturn's admin_user form
 * ("$5$" SALT "$" SHA-256(salt || password), hex), as its turnadmin -A and
 * -P write them. Pure: no I/O but the salt's randomness.
 */
#ifndef SERVER_WEBADMIN_PW_H
#define SERVER_WEBADMIN_PW_H

#include <stdbool.h>
#include <stdint.h>

#define WEBADMIN_PW_SALT 8 /* bytes */
#define WEBADMIN_PW_LEN (3 + 2 * WEBADMIN_PW_SALT + 1 + 64)

/* The stored form of password with a fresh random salt: 0, or -1 (empty, no randomness). */
int webadmin_pw_hash(const char *password, char out[WEBADMIN_PW_LEN + 1]);
/* The same with a given salt (tests): 0 or -1. */
int webadmin_pw_hash_salted(const char *password, const uint8_t salt[WEBADMIN_PW_SALT],
			    char out[WEBADMIN_PW_LEN + 1]);
/* Is stored in that form (length, "$5$", '$', hex digits)? */
bool webadmin_pw_valid(const char *stored);
/* Does password match stored? False for anything not in that form (constant time). */
bool webadmin_pw_check(const char *stored, const char *password);

#endif /* SERVER_WEBADMIN_PW_H */
