/*
 * test_webadmin.c - the admin interface's pure parts (src/server/webadmin_pw.c,
 * webadmin_session.c, webadmin_pages.c' escaping) and its admin accounts in
 * a SQLite store (userdb_admin.c): coturn's "$5$" password form (a hash
 * made by coturn's turnadmin -P checks; bad forms are refused, never read
 * past their end); text from outside is escaped in HTML and JSON; the
 * session cookie is found only under its own name; a session's token and
 * CSRF token match only exactly, end at logout and make room for new ones;
 * failed logins are budgeted per address (an IPv6 /64 shares one); accounts
 * are stored hashed and found again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/webadmin_internal.h"
#include "test_sockaddr.h"

/* made by coturn 4.6.1's turnadmin -P -p secret */
#define COTURN_SECRET "$5$21e761263ba0d00e$0be4f76f1e7a04096a4cb32e75845114b839c3344742865f07575d594d4d74a8"

static void test_coturn_hash_checks_and_wrong_password_does_not(void **state)
{
	(void)state;
	assert_true(webadmin_pw_valid(COTURN_SECRET));
	assert_true(webadmin_pw_check(COTURN_SECRET, "secret"));
	assert_false(webadmin_pw_check(COTURN_SECRET, "Secret"));
	assert_false(webadmin_pw_check(COTURN_SECRET, "secret "));
	assert_false(webadmin_pw_check(COTURN_SECRET, ""));
	assert_false(webadmin_pw_check(COTURN_SECRET, NULL));
}

static void test_upper_case_hex_checks_too(void **state)
{
	char up[] = COTURN_SECRET;

	(void)state;
	for (char *p = up; *p; p++)
		if (*p >= 'a' && *p <= 'f')
			*p = (char)(*p - 'a' + 'A');
	assert_true(webadmin_pw_check(up, "secret"));
}

static void test_bad_stored_forms_are_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "secret",
	    "$5$",
	    /* one digit short, one too many */
	    "$5$21e761263ba0d00e$0be4f76f1e7a04096a4cb32e75845114b839c3344742865f07575d594d4d74a",
	    COTURN_SECRET "8",
	    /* another scheme, a missing '$', a non-hex digit in the salt and in the digest */
	    "$6$21e761263ba0d00e$0be4f76f1e7a04096a4cb32e75845114b839c3344742865f07575d594d4d74a8",
	    "$5$21e761263ba0d00e00be4f76f1e7a04096a4cb32e75845114b839c3344742865f07575d594d4d74a8",
	    "$5$21e761263ba0d0xe$0be4f76f1e7a04096a4cb32e75845114b839c3344742865f07575d594d4d74a8",
	    "$5$21e761263ba0d00e$0be4f76f1e7a04096a4cb32e75845114b839c3344742865f07575d594d4d74g8",
	};

	(void)state;
	assert_false(webadmin_pw_valid(NULL));
	assert_false(webadmin_pw_check(NULL, "secret"));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_false(webadmin_pw_valid(bad[i]));
		assert_false(webadmin_pw_check(bad[i], "secret"));
	}
}

static void test_new_hash_is_salted_and_checks(void **state)
{
	char a[WEBADMIN_PW_LEN + 1], b[WEBADMIN_PW_LEN + 1];
	static const uint8_t salt[WEBADMIN_PW_SALT] = {0x21, 0xe7, 0x61, 0x26, 0x3b, 0xa0, 0xd0, 0x0e};

	(void)state;
	assert_int_equal(webadmin_pw_hash("pass word", a), 0);
	assert_int_equal(webadmin_pw_hash("pass word", b), 0);
	assert_int_equal(strlen(a), WEBADMIN_PW_LEN);
	assert_true(webadmin_pw_valid(a));
	assert_string_not_equal(a, b);
	assert_true(webadmin_pw_check(a, "pass word"));
	assert_true(webadmin_pw_check(b, "pass word"));
	assert_false(webadmin_pw_check(a, "password"));
	assert_int_equal(webadmin_pw_hash("", a), -1);
	assert_int_equal(webadmin_pw_hash(NULL, a), -1);
	/* coturn's form, bit for bit */
	assert_int_equal(webadmin_pw_hash_salted("secret", salt, a), 0);
	assert_string_equal(a, COTURN_SECRET);
}

static char *drain(struct evbuffer *b)
{
	size_t len = evbuffer_get_length(b);
	char *s = malloc(len + 1);

	assert_non_null(s);
	evbuffer_remove(b, s, len);
	s[len] = '\0';
	return s;
}

static void test_html_escapes_markup_quotes_and_controls(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	(void)state;
	webadmin_html(b, "<script>alert(\"x\")</script>&'\x01\x7f ok");
	s = drain(b);
	assert_string_equal(s, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;?? ok");
	free(s);
	evbuffer_free(b);
}

static void test_json_escapes_quotes_backslash_controls_and_markup(void **state)
{
	struct evbuffer *b = evbuffer_new();
	char *s;

	(void)state;
	webadmin_json_str(b, "a\"b\\c\n</script>&");
	s = drain(b);
	assert_string_equal(s, "\"a\\\"b\\\\c\\u000a\\u003c/script\\u003e\\u0026\"");
	free(s);
	evbuffer_free(b);
}

static void test_cookie_is_found_only_under_its_own_name(void **state)
{
	char v[WEBADMIN_TOKEN_HEX + 1];

	(void)state;
	assert_int_equal(webadmin_cookie_value("a=b; turnserver_admin=abc; c=d", WEBADMIN_COOKIE, v,
					       sizeof(v)),
			 0);
	assert_string_equal(v, "abc");
	assert_int_equal(webadmin_cookie_value("turnserver_admin=x", WEBADMIN_COOKIE, v, sizeof(v)), 0);
	assert_string_equal(v, "x");
	assert_int_equal(webadmin_cookie_value("xturnserver_admin=abc", WEBADMIN_COOKIE, v, sizeof(v)),
			 -1);
	assert_int_equal(webadmin_cookie_value("turnserver_adminx=abc; turnserver_admin", WEBADMIN_COOKIE,
					       v, sizeof(v)),
			 -1);
	assert_int_equal(webadmin_cookie_value("", WEBADMIN_COOKIE, v, sizeof(v)), -1);
	assert_int_equal(webadmin_cookie_value(";;; ", WEBADMIN_COOKIE, v, sizeof(v)), -1);
	/* a value longer than the room is refused, not cut */
	assert_int_equal(webadmin_cookie_value("turnserver_admin=0123456789", WEBADMIN_COOKIE, v, 8),
			 -1);
}

static void test_session_token_and_csrf_match_only_exactly(void **state)
{
	struct webadmin *wa = calloc(1, sizeof(*wa));
	struct webadmin_session *s;
	char cookie[200], wrong[WEBADMIN_TOKEN_HEX + 1];

	(void)state;
	s = webadmin_session_open(wa, "root");
	assert_non_null(s);
	assert_int_equal(strlen(s->token), WEBADMIN_TOKEN_HEX);
	assert_string_not_equal(s->token, s->csrf);
	snprintf(cookie, sizeof(cookie), "other=1; %s=%s", WEBADMIN_COOKIE, s->token);
	assert_ptr_equal(webadmin_session_find(wa, cookie), s);
	assert_true(webadmin_csrf_ok(s, s->csrf));
	assert_false(webadmin_csrf_ok(s, NULL));
	assert_false(webadmin_csrf_ok(s, ""));
	assert_false(webadmin_csrf_ok(s, s->token));
	memcpy(wrong, s->csrf, sizeof(wrong));
	wrong[5] ^= 1;
	assert_false(webadmin_csrf_ok(s, wrong));
	wrong[WEBADMIN_TOKEN_HEX - 1] = '\0';
	assert_false(webadmin_csrf_ok(s, wrong));
	/* a token one character off, or cut, opens nothing */
	snprintf(cookie, sizeof(cookie), "%s=%.*s", WEBADMIN_COOKIE, WEBADMIN_TOKEN_HEX - 1, s->token);
	assert_null(webadmin_session_find(wa, cookie));
	assert_null(webadmin_session_find(wa, NULL));
	snprintf(cookie, sizeof(cookie), "%s=%s", WEBADMIN_COOKIE, s->token);
	webadmin_session_close(s);
	assert_null(webadmin_session_find(wa, cookie));
	assert_false(webadmin_csrf_ok(s, s->csrf));
	free(wa);
}

static void test_sessions_make_room_by_ending_the_oldest(void **state)
{
	struct webadmin *wa = calloc(1, sizeof(*wa));
	char first[200], cookie[200];
	struct webadmin_session *s;

	(void)state;
	s = webadmin_session_open(wa, "a");
	assert_non_null(s);
	snprintf(first, sizeof(first), "%s=%s", WEBADMIN_COOKIE, s->token);
	s->last_ms -= 10; /* the oldest */
	for (int i = 1; i < WEBADMIN_SESSIONS; i++)
		assert_non_null(webadmin_session_open(wa, "b"));
	assert_non_null(webadmin_session_find(wa, first));
	wa->sessions[0].last_ms -= 10;
	s = webadmin_session_open(wa, "c");
	assert_non_null(s);
	snprintf(cookie, sizeof(cookie), "%s=%s", WEBADMIN_COOKIE, s->token);
	assert_null(webadmin_session_find(wa, first));
	assert_ptr_equal(webadmin_session_find(wa, cookie), s);
	free(wa);
}

static void test_failed_logins_are_budgeted_per_address(void **state)
{
	struct webadmin *wa = calloc(1, sizeof(*wa));
	union sockaddr_u a, b, c6, d6;

	(void)state;
	a = test_su("192.0.2.1");
	b = test_su("192.0.2.2");
	c6 = test_su("2001:db8:1:2::1");
	d6 = test_su("2001:db8:1:2::99");
	for (int i = 0; i < WEBADMIN_FAILS_PER_WINDOW; i++) {
		assert_true(webadmin_login_allowed(wa, &a.sa));
		webadmin_login_failed(wa, &a.sa);
		webadmin_login_failed(wa, &c6.sa);
	}
	assert_false(webadmin_login_allowed(wa, &a.sa));
	assert_true(webadmin_login_allowed(wa, &b.sa));
	/* the same /64 */
	assert_false(webadmin_login_allowed(wa, &d6.sa));
	/* the window passes */
	for (int i = 0; i < WEBADMIN_FAIL_SLOTS; i++)
		wa->fails[i].window_ms -= WEBADMIN_FAIL_WINDOW_S * 1000ULL + 1;
	assert_true(webadmin_login_allowed(wa, &a.sa));
	free(wa);
}

static void test_accounts_are_stored_hashed_and_found(void **state)
{
	char path[] = "/tmp/test_webadmin_XXXXXX", db_path[64], err[256];
	char realm[USERDB_NAME_MAX + 1], pw[USERDB_ADMIN_PW_MAX + 1];
	int fd = mkstemp(path);
	struct userdb *db;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	snprintf(db_path, sizeof(db_path), "%s.db", path);
	db = userdb_open_sqlite(db_path, true, err, sizeof(err));
	assert_non_null(db);
	assert_int_equal(userdb_get_admin(db, "root", realm, sizeof(realm), pw, sizeof(pw)), 0);
	assert_int_equal(userdb_set_admin(db, "root", "", "top secret"), 0);
	assert_int_equal(userdb_set_admin(db, "ops", "example.org", "x"), 0);
	assert_int_equal(userdb_get_admin(db, "root", realm, sizeof(realm), pw, sizeof(pw)), 1);
	assert_string_equal(realm, "");
	assert_null(strstr(pw, "top secret"));
	assert_true(webadmin_pw_check(pw, "top secret"));
	assert_int_equal(userdb_get_admin(db, "ops", realm, sizeof(realm), pw, sizeof(pw)), 1);
	assert_string_equal(realm, "example.org");
	/* names: 1 to 32 bytes; a password is needed */
	assert_int_equal(userdb_set_admin(db, "", "", "x"), -1);
	assert_int_equal(userdb_set_admin(db, "123456789012345678901234567890123", "", "x"), -1);
	assert_int_equal(userdb_set_admin(db, "n", "", ""), -1);
	assert_int_equal(userdb_del_admin(db, "ops"), 0);
	assert_int_equal(userdb_del_admin(db, "ops"), 1);
	assert_int_equal(userdb_get_admin(db, "ops", realm, sizeof(realm), pw, sizeof(pw)), 0);
	/* too little room is an error, not a cut value */
	assert_int_equal(userdb_get_admin(db, "root", realm, sizeof(realm), pw, 10), -1);
	userdb_close(db);
	unlink(db_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_coturn_hash_checks_and_wrong_password_does_not),
	    cmocka_unit_test(test_upper_case_hex_checks_too),
	    cmocka_unit_test(test_bad_stored_forms_are_refused),
	    cmocka_unit_test(test_new_hash_is_salted_and_checks),
	    cmocka_unit_test(test_html_escapes_markup_quotes_and_controls),
	    cmocka_unit_test(test_json_escapes_quotes_backslash_controls_and_markup),
	    cmocka_unit_test(test_cookie_is_found_only_under_its_own_name),
	    cmocka_unit_test(test_session_token_and_csrf_match_only_exactly),
	    cmocka_unit_test(test_sessions_make_room_by_ending_the_oldest),
	    cmocka_unit_test(test_failed_logins_are_budgeted_per_address),
	    cmocka_unit_test(test_accounts_are_stored_hashed_and_found),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
