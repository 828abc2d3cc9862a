/*
 * fuzz_redis_conninfo.c - libFuzzer harness for coturn's Redis connection
 * string (src/server/redis_conninfo.c). Checks what redis_conninfo.h
 * promises: a parsed string has a host, a port 1-65535, a timeout
 * 1-3600 s, no user without a password, every field NUL-terminated within
 * its buffer, a description of host, port and database alone; a refused one
 * leaves the output untouched.
 * fuzz-sources: src/server/redis_conninfo.c
 */
#include <string.h>

#include "server/redis_conninfo.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char s[REDIS_CONNINFO_MAX + 64], err[256], desc[REDIS_CONNINFO_HOST_MAX + 32];
	struct redis_conninfo ci, before;

	if (size >= sizeof(s))
		size = sizeof(s) - 1;
	memcpy(s, data, size);
	s[size] = '\0';
	memset(&ci, 0xA5, sizeof(ci));
	before = ci;
	if (redis_conninfo_parse(s, &ci, err, sizeof(err)) < 0) {
		CHECK(memcmp(&ci, &before, sizeof(ci)) == 0);
		CHECK(strnlen(err, sizeof(err)) < sizeof(err));
		return 0;
	}
	CHECK(strnlen(ci.host, sizeof(ci.host)) < sizeof(ci.host) && ci.host[0]);
	CHECK(strnlen(ci.user, sizeof(ci.user)) < sizeof(ci.user));
	CHECK(strnlen(ci.password, sizeof(ci.password)) < sizeof(ci.password));
	CHECK(ci.port >= 1 && ci.port <= 65535);
	CHECK(ci.timeout_s >= 1 && ci.timeout_s <= REDIS_CONNINFO_MAX_TIMEOUT_S);
	CHECK(ci.db <= REDIS_CONNINFO_MAX_DB);
	CHECK(!ci.user[0] || ci.password[0]);
	redis_conninfo_describe(&ci, desc, sizeof(desc));
	/* host, port and database only: never the user or the password */
	CHECK(strstr(desc, ci.host) != NULL);
	CHECK(strlen(desc) <= strlen(ci.host) + 2 + 1 + 5 + 4 + 7);
	return 0;
}
