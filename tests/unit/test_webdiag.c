/*
 * test_webdiag.c - the WebRTC diagnostic page's pure parts
 * (src/server/webadmin_diag.c, webadmin_text.c's Host header, the page's
 * budget in webadmin_session.c): the host of a Host header is a DNS name,
 * an IPv4 address or a bracketed IPv6 literal with an optional port 1-65535,
 * and anything else (markup, quotes, spaces, an empty or 254-byte name, a
 * bad port) is refused; the page's credentials are budgeted per address,
 * apart from failed logins; the minted iceServers name the host, the
 * listening and TLS ports, and TURN REST credentials (draft-uberti-behave-
 * turn-rest-00 §2.2) that end within WEBADMIN_DIAG_TTL_S and whose password
 * is the secret's HMAC of the username, the first static-auth-secret's or
 * else the realm's in the store; without a secret nothing is minted.
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
#include <time.h>
#include <unistd.h>

#include "server/rest_auth.h"
#include "server/server.h"
#include "server/webadmin_internal.h"
#include "test_sockaddr.h"

static void test_host_header_good_forms(void **state)
{
	char host[64];

	(void)state;
	assert_int_equal(webadmin_host_header("turn.example.org", host, sizeof(host)), 0);
	assert_string_equal(host, "turn.example.org");
	assert_int_equal(webadmin_host_header("turn.example.org:8443", host, sizeof(host)), 0);
	assert_string_equal(host, "turn.example.org");
	assert_int_equal(webadmin_host_header("192.0.2.7:1", host, sizeof(host)), 0);
	assert_string_equal(host, "192.0.2.7");
	assert_int_equal(webadmin_host_header("[2001:db8::1]:65535", host, sizeof(host)), 0);
	assert_string_equal(host, "2001:db8::1");
	assert_int_equal(webadmin_host_header("[::1]", host, sizeof(host)), 0);
	assert_string_equal(host, "::1");
}

static void test_host_header_bad_forms_are_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    ":8080",
	    "<script>",
	    "a\"b",
	    "a b",
	    "a'b",
	    "-a.example",
	    ".example",
	    "a.example:",
	    "a.example:0",
	    "a.example:65536",
	    "a.example:123456",
	    "a.example:80x",
	    "a.example:-1",
	    "a.example:80:80",
	    "[]",
	    "[::1",
	    "[::1]x",
	    "[::1]:",
	    "[not-v6]",
	    "[192.0.2.1]",
	    "2001:db8::1",
	    "a\x01"
	    "b",
	};
	char host[64], longname[300];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		strcpy(host, "unchanged");
		assert_int_equal(webadmin_host_header(bad[i], host, sizeof(host)), -1);
		assert_string_equal(host, "unchanged");
	}
	assert_int_equal(webadmin_host_header(NULL, host, sizeof(host)), -1);
	memset(longname, 'a', 254);
	longname[254] = '\0';
	assert_int_equal(webadmin_host_header(longname, host, sizeof(host)), -1);
	/* a good name that does not fit the room */
	assert_int_equal(webadmin_host_header("turn.example.org", host, 8), -1);
}

static void test_page_credentials_are_budgeted_per_address(void **state)
{
	struct webadmin *wa = calloc(1, sizeof(*wa));
	union sockaddr_u a, b;

	(void)state;
	assert_non_null(wa);
	a = test_su("192.0.2.1");
	b = test_su("192.0.2.2");
	for (int i = 0; i < WEBADMIN_DIAG_PER_WINDOW; i++)
		assert_true(webadmin_diag_take(wa, &a.sa));
	assert_false(webadmin_diag_take(wa, &a.sa));
	assert_true(webadmin_diag_take(wa, &b.sa));
	/* apart from the failed-login budget */
	assert_true(webadmin_login_allowed(wa, &a.sa));
	for (int i = 0; i < WEBADMIN_FAIL_SLOTS; i++)
		wa->diag_mints[i].window_ms -= WEBADMIN_FAIL_WINDOW_S * 1000ULL + 1;
	assert_true(webadmin_diag_take(wa, &a.sa));
	free(wa);
}

struct minted {
	struct config cfg;
	struct server srv;
	struct webadmin wa;
	char *json;
};

static void mint_setup(struct minted *m, char *secret)
{
	memset(m, 0, sizeof(*m));
	config_init(&m->cfg);
	m->cfg.use_auth_secret = true;
	if (secret) {
		m->cfg.static_auth_secret[0] = secret;
		m->cfg.static_auth_secret_count = 1;
	}
	m->srv.cfg = &m->cfg;
	snprintf(m->srv.realm, sizeof(m->srv.realm), "example.org");
	m->wa.srv = &m->srv;
	assert_int_equal(pthread_mutex_init(&m->wa.cfg_lock, NULL), 0);
}

/* webadmin_diag_ice() on host: its status; the JSON in m->json (free it). */
static int mint(struct minted *m, const char *host)
{
	struct evbuffer *out = evbuffer_new();
	char err[256];
	size_t len;
	int rc;

	assert_non_null(out);
	rc = webadmin_diag_ice(&m->wa, host, out, err, sizeof(err));
	len = evbuffer_get_length(out);
	m->json = calloc(1, len + 1);
	assert_non_null(m->json);
	evbuffer_remove(out, m->json, len);
	evbuffer_free(out);
	return rc;
}

/* The JSON string value after "key":"; into out. */
static void json_value(const char *json, const char *key, char *out, size_t cap)
{
	char pat[64];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	p = strstr(json, pat);
	assert_non_null(p);
	p += strlen(pat);
	end = strchr(p, '"');
	assert_non_null(end);
	assert_true((size_t)(end - p) < cap);
	memcpy(out, p, (size_t)(end - p));
	out[end - p] = '\0';
}

static void test_minted_credentials_are_rest_ones_that_end_soon(void **state)
{
	char secret[] = "s3cret", user[128], cred[64], want[REST_AUTH_PASSWORD_LEN + 1];
	struct minted m;
	unsigned long long expiry;
	time_t now = time(NULL);
	char *end;

	(void)state;
	mint_setup(&m, secret);
	m.cfg.listening_port = 3478;
	assert_int_equal(mint(&m, "turn.example.org"), 0);
	assert_non_null(strstr(m.json, "\"stun:turn.example.org:3478\""));
	assert_non_null(strstr(m.json, "\"turn:turn.example.org:3478?transport=udp\""));
	assert_non_null(strstr(m.json, "\"turn:turn.example.org:3478?transport=tcp\""));
	assert_null(strstr(m.json, "turns:")); /* no TLS context */
	assert_non_null(strstr(m.json, "\"ttl\":600"));
	json_value(m.json, "username", user, sizeof(user));
	json_value(m.json, "credential", cred, sizeof(cred));
	expiry = strtoull(user, &end, 10);
	assert_string_equal(end, ":web-diagnostic");
	assert_true(expiry > (unsigned long long)now);
	assert_true(expiry <= (unsigned long long)time(NULL) + WEBADMIN_DIAG_TTL_S);
	assert_int_equal(rest_password(secret, strlen(secret), user, strlen(user), want), 0);
	assert_string_equal(cred, want);
	free(m.json);

	/* the separator of rest-api-separator, an IPv6 host in brackets */
	m.cfg.rest_api_separator[0] = '-';
	assert_int_equal(mint(&m, "2001:db8::5"), 0);
	assert_non_null(strstr(m.json, "\"turn:[2001:db8::5]:3478?transport=udp\""));
	json_value(m.json, "username", user, sizeof(user));
	assert_non_null(strstr(user, "-web-diagnostic"));
	free(m.json);

	/* stun-only: no TURN URL */
	m.cfg.stun_only = true;
	assert_int_equal(mint(&m, "turn.example.org"), 0);
	assert_null(strstr(m.json, "turn:"));
	assert_non_null(strstr(m.json, "\"stun:turn.example.org:3478\""));
	free(m.json);
	pthread_mutex_destroy(&m.wa.cfg_lock);
}

static void test_store_secret_or_none(void **state)
{
	char path[] = "/tmp/test_webdiag_XXXXXX", db_path[64], err[256], user[128], cred[64];
	char want[REST_AUTH_PASSWORD_LEN + 1];
	int fd = mkstemp(path);
	struct minted m;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	snprintf(db_path, sizeof(db_path), "%s.db", path);
	mint_setup(&m, NULL);
	m.wa.db = userdb_open_sqlite(db_path, true, err, sizeof(err));
	assert_non_null(m.wa.db);
	/* no static secret and none of the realm in the store: nothing minted */
	assert_int_equal(mint(&m, "turn.example.org"), -1);
	assert_string_equal(m.json, "");
	free(m.json);
	/* the realm's secret in the store (turnadmin -s), another realm's not */
	assert_int_equal(userdb_add_secret(m.wa.db, "other.org", "not-this-one"), 0);
	assert_int_equal(mint(&m, "turn.example.org"), -1);
	free(m.json);
	assert_int_equal(userdb_add_secret(m.wa.db, "example.org", "from-the-store"), 0);
	assert_int_equal(mint(&m, "turn.example.org"), 0);
	json_value(m.json, "username", user, sizeof(user));
	json_value(m.json, "credential", cred, sizeof(cred));
	assert_int_equal(rest_password("from-the-store", 14, user, strlen(user), want), 0);
	assert_string_equal(cred, want);
	free(m.json);
	userdb_close(m.wa.db);
	unlink(db_path);
	pthread_mutex_destroy(&m.wa.cfg_lock);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_host_header_good_forms),
	    cmocka_unit_test(test_host_header_bad_forms_are_refused),
	    cmocka_unit_test(test_page_credentials_are_budgeted_per_address),
	    cmocka_unit_test(test_minted_credentials_are_rest_ones_that_end_soon),
	    cmocka_unit_test(test_store_secret_or_none),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
