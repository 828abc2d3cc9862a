/*
 * fuzz_rest_auth.c - libFuzzer harness for the TURN REST API username
 * parser (src/server/rest_auth.c). The first input byte is the separator,
 * the rest the USERNAME, parsed from a heap copy of exactly its length (so
 * ASan catches any read past it). Checks: the USER part lies inside the
 * name and does not hold the EXPIRY; printing EXPIRY and USER back in the
 * order they came gives a name that parses to the same values; a name that
 * parses gets a 28-character password.
 * fuzz-sources: src/server/rest_auth.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/rest_auth.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char pw[REST_AUTH_PASSWORD_LEN + 1], again_name[REST_AUTH_USERNAME_MAX + 32];
	struct rest_username u, again;
	size_t len;
	char *name;
	char sep;
	int n;

	if (size < 1)
		return 0;
	sep = (char)data[0];
	len = size - 1;
	name = malloc(len ? len : 1);
	CHECK(name != NULL);
	memcpy(name, data + 1, len);
	if (rest_username_parse(name, len, sep, &u) == 0) {
		CHECK(len > 0 && len <= REST_AUTH_USERNAME_MAX);
		CHECK(u.user_off <= len && u.user_len <= len - u.user_off);
		if (u.user_off == 0 && u.user_len) /* USER SEP EXPIRY */
			n = snprintf(again_name, sizeof(again_name), "%.*s%c%u", (int)u.user_len,
				     name, sep, u.expiry_s);
		else if (u.user_off) /* EXPIRY SEP [USER] */
			n = snprintf(again_name, sizeof(again_name), "%u%c%.*s", u.expiry_s, sep,
				     (int)u.user_len, name + u.user_off);
		else
			n = snprintf(again_name, sizeof(again_name), "%u", u.expiry_s);
		CHECK(n > 0 && (size_t)n < sizeof(again_name));
		if ((size_t)n <= REST_AUTH_USERNAME_MAX) {
			CHECK(rest_username_parse(again_name, (size_t)n, sep, &again) == 0);
			CHECK(again.expiry_s == u.expiry_s && again.user_len == u.user_len);
		}
		CHECK(rest_password("s", 1, name, len, pw) == 0);
		CHECK(strlen(pw) == REST_AUTH_PASSWORD_LEN);
	}
	free(name);
	return 0;
}
