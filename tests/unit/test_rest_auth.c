/*
 * test_rest_auth.c - TURN REST API usernames and passwords
 * (src/server/rest_auth.c): both of coturn's orders, the separator, expiry
 * at the boundary, and bad input refused with the output untouched (no
 * separator, empty, signed, blank, non-numeric, huge and overlong
 * timestamps, NUL bytes, overlong names, digit separators); passwords
 * against HMAC-SHA1 vectors computed outside this code (Python's hmac).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#include "server/rest_auth.h"

static int parse(const char *name, char sep, struct rest_username *u)
{
	return rest_username_parse(name, strlen(name), sep, u);
}

static void assert_user(const char *name, const struct rest_username *u, const char *want)
{
	assert_int_equal(u->user_len, strlen(want));
	assert_memory_equal(name + u->user_off, want, u->user_len);
}

static void test_expiry_then_user(void **state)
{
	struct rest_username u;

	(void)state;
	assert_int_equal(parse("1796714109:bob", ':', &u), 0);
	assert_int_equal(u.expiry_s, 1796714109u);
	assert_user("1796714109:bob", &u, "bob");
	/* only the first separator splits: the user may hold more */
	assert_int_equal(parse("42:a:b:c", ':', &u), 0);
	assert_int_equal(u.expiry_s, 42);
	assert_user("42:a:b:c", &u, "a:b:c");
}

static void test_expiry_alone(void **state)
{
	struct rest_username u;

	(void)state;
	assert_int_equal(parse("1796714110", ':', &u), 0);
	assert_int_equal(u.expiry_s, 1796714110u);
	assert_int_equal(u.user_len, 0);
	assert_int_equal(parse("7:", ':', &u), 0);
	assert_int_equal(u.expiry_s, 7);
	assert_int_equal(u.user_len, 0);
}

static void test_user_then_expiry_as_coturn(void **state)
{
	struct rest_username u;

	(void)state;
	assert_int_equal(parse("bob:1796714109", ':', &u), 0);
	assert_int_equal(u.expiry_s, 1796714109u);
	assert_user("bob:1796714109", &u, "bob");
	assert_int_equal(parse("b0b:5", ':', &u), 0);
	assert_user("b0b:5", &u, "b0b");
}

static void test_separator_is_configurable(void **state)
{
	struct rest_username u;

	(void)state;
	assert_int_equal(parse("1796714109-carol:x", '-', &u), 0);
	assert_int_equal(u.expiry_s, 1796714109u);
	assert_user("1796714109-carol:x", &u, "carol:x");
	/* with '-', "100:bob" has no separator and is not all digits */
	assert_int_equal(parse("100:bob", '-', &u), -1);
}

static void test_leading_zeros_and_limits(void **state)
{
	struct rest_username u;

	(void)state;
	assert_int_equal(parse("0", ':', &u), 0);
	assert_int_equal(u.expiry_s, 0);
	assert_int_equal(parse("00000000000000000042:z", ':', &u), 0); /* 20 digits */
	assert_int_equal(u.expiry_s, 42);
	assert_int_equal(parse("4294967295:z", ':', &u), 0);
	assert_int_equal(u.expiry_s, UINT32_MAX);
}

/* Every bad name: -1 and the output as it was. */
static void assert_refused(const char *name, size_t len, char sep)
{
	struct rest_username u, before;

	memset(&u, 0xa5, sizeof(u));
	before = u;
	if (rest_username_parse(name, len, sep, &u) != -1)
		fail_msg("'%.*s' (%zu bytes) accepted", (int)(len > 60 ? 60 : len), name, len);
	assert_memory_equal(&u, &before, sizeof(u));
}

#define REFUSED(s) assert_refused(s, strlen(s), ':')

static void test_bad_names_are_refused(void **state)
{
	(void)state;
	REFUSED("");
	REFUSED("bob");		 /* no separator, not a timestamp */
	REFUSED(":bob");	 /* no timestamp */
	REFUSED(":");
	REFUSED("bob:");	 /* user first, no timestamp */
	REFUSED("bob:12x");	 /* non-numeric timestamp */
	REFUSED("bob:12:13");	 /* ... not only digits after the first separator */
	REFUSED("-5:bob");	 /* negative */
	REFUSED("bob:-5");
	REFUSED("+5:bob");	 /* signed */
	REFUSED(" 5:bob");	 /* blanks */
	REFUSED("5 :bob");
	REFUSED("bob: 5");
	REFUSED("0x10:bob");	 /* not decimal */
	REFUSED("1e9:bob");
	REFUSED("4294967296:bob"); /* above 32 bits */
	REFUSED("bob:4294967296");
	REFUSED("99999999999999999999:bob");
	REFUSED("184467440737095516160:bob"); /* past 64 bits */
	REFUSED("000000000000000000001:bob");  /* 21 digits */
	REFUSED("\xef\xbc\x91\xef\xbc\x92:bob"); /* fullwidth digits */
}

static void test_nul_and_lengths(void **state)
{
	static const char with_nul[] = "1796714109:b\0b";
	char big[REST_AUTH_USERNAME_MAX + 2];
	struct rest_username u;

	(void)state;
	assert_refused(with_nul, sizeof(with_nul) - 1, ':');
	assert_refused("17\0" "9:bob", 8, ':');
	memset(big, 'a', sizeof(big));
	memcpy(big, "1796714109:", 11);
	/* 512 bytes: the longest USERNAME */
	assert_int_equal(rest_username_parse(big, REST_AUTH_USERNAME_MAX, ':', &u), 0);
	assert_int_equal(u.user_len, REST_AUTH_USERNAME_MAX - 11);
	assert_refused(big, REST_AUTH_USERNAME_MAX + 1, ':');
	assert_refused(big, SIZE_MAX, ':');
	assert_int_equal(rest_username_parse(NULL, 5, ':', &u), -1);
}

static void test_bad_separators(void **state)
{
	(void)state;
	assert_refused("100:bob", 7, '\0');
	assert_refused("100:bob", 7, '1');
	assert_refused("1009bob", 7, '9');
}

static void test_expired_is_strictly_before_now(void **state)
{
	struct rest_username u = {.expiry_s = 1000};

	(void)state;
	assert_false(rest_username_expired(&u, 999));
	assert_false(rest_username_expired(&u, 1000));
	assert_true(rest_username_expired(&u, 1001));
	u.expiry_s = UINT32_MAX;
	assert_false(rest_username_expired(&u, UINT32_MAX));
	assert_true(rest_username_expired(&u, (uint64_t)UINT32_MAX + 1));
}

/* Vectors: base64.b64encode(hmac.new(secret, name, hashlib.sha1).digest()) */
static void test_password_vectors(void **state)
{
	static const struct {
		const char *secret, *name, *password;
	} v[] = {
	    {"north", "1796714109:bob", "jD3+V07xFLDQgz7LxbTX9GHsQJk="},
	    {"secret", "12345", "O+tNzU1SdqMQfvUD2DyOqXjk/hs="},
	};
	char pw[REST_AUTH_PASSWORD_LEN + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		memset(pw, 'x', sizeof(pw));
		assert_int_equal(rest_password(v[i].secret, strlen(v[i].secret), v[i].name,
					       strlen(v[i].name), pw),
				 0);
		assert_string_equal(pw, v[i].password);
	}
}

static void test_password_needs_a_secret(void **state)
{
	char pw[REST_AUTH_PASSWORD_LEN + 1];

	(void)state;
	assert_int_equal(rest_password("", 0, "1:a", 3, pw), -1);
	assert_int_equal(rest_password(NULL, 3, "1:a", 3, pw), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expiry_then_user),
	    cmocka_unit_test(test_expiry_alone),
	    cmocka_unit_test(test_user_then_expiry_as_coturn),
	    cmocka_unit_test(test_separator_is_configurable),
	    cmocka_unit_test(test_leading_zeros_and_limits),
	    cmocka_unit_test(test_bad_names_are_refused),
	    cmocka_unit_test(test_nul_and_lengths),
	    cmocka_unit_test(test_bad_separators),
	    cmocka_unit_test(test_expired_is_strictly_before_now),
	    cmocka_unit_test(test_password_vectors),
	    cmocka_unit_test(test_password_needs_a_secret),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
