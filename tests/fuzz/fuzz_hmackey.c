/*
 * fuzz_hmackey.c - libFuzzer harness for the parser of coturn's hmackey
 * column (userdb_hmackey_parse(), src/server/userdb.c), which reads what a
 * store file holds. The input, NUL-terminated in a heap copy of exactly
 * its length + 1 (so ASan catches a read past it), is the column's text.
 * Checks: a parse that succeeds was 32 or 64 hex digits and gives exactly
 * the one key its length says; an MD5 key printed back is the input in
 * lower case; a refusal says why and leaves the output untouched.
 * fuzz-sources: src/server/userdb.c src/server/webadmin_pw.c
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/userdb.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct user_keys k;
	char why[128], again[33];
	char *hex = malloc(size + 1);
	size_t len;

	CHECK(hex != NULL);
	memcpy(hex, data, size);
	hex[size] = '\0';
	len = strlen(hex);
	memset(&k, 0xa5, sizeof(k));
	why[0] = '\0';
	if (userdb_hmackey_parse(hex, &k, why, sizeof(why)) == 0) {
		CHECK(len == 32 || len == 64);
		for (size_t i = 0; i < len; i++)
			CHECK(isxdigit((unsigned char)hex[i]));
		CHECK(k.has_md5 == (len == 32) && k.has_sha256 == (len == 64));
		if (len == 32) {
			userdb_hmackey_format(k.md5, again);
			CHECK(strcasecmp(again, hex) == 0);
		}
	} else {
		CHECK(why[0] != '\0');
		CHECK(k.md5[0] == 0xa5 && k.sha256[31] == 0xa5);
	}
	free(hex);
	return 0;
}
