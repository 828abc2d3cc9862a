/*
 * test_auth_rest.c - use-auth-secret in the server (src/server/auth.c with
 * rest_auth.c): a REST username EXPIRY[:USER] whose password is
 * base64(HMAC-SHA1(secret, username)) authenticates with MD5 and with
 * SHA-256 keys; expired, malformed, wrong-secret and USERHASH requests get
 * 401; any of several static-auth-secrets validates (rotation); the
 * rest-api-separator is honoured; user= lines no longer authenticate; with
 * no static secret, the store's secrets for the realm are read per request
 * (added and deleted while running). Requests are built with the codec and
 * handed to auth_check() directly: no daemon, no sockets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "server/rest_auth.h"
#include "server/server.h"
#include "stun/stun.h"
#include "auth_test.h"
#include "userdb_test.h"

#define REALM "example.org"
#define NONCE_CAP 128

static const uint16_t server_algs[] = {STUN_PW_ALG_SHA256, STUN_PW_ALG_MD5};
static const uint8_t tid[STUN_TID_LEN] = {9, 9, 9, 9, 1, 2, 3, 4, 5, 6, 7, 8};


/* A client's credentials: the username and the secret it was minted with. */
struct creds {
	char user[CONFIG_MAX_USERNAME_BYTES + 1];
	const char *secret;
	uint16_t alg; /* 0: MD5 without the algorithm attributes */
	bool userhash;
};

static void set(const char *key, const char *value)
{
	char err[256] = "";

	if (config_set(&cfg, key, value, err, sizeof(err)) < 0)
		fail_msg("config_set %s: %s", key, err);
}

static int rest_setup(void **state)
{
	config_init(&cfg);
	set("realm", REALM);
	set("use-auth-secret", NULL);
	set("user", "alice:pw");
	if (auth_test_server() < 0)
		return -1;
	client.client.in.sin_family = AF_INET;
	client.client.in.sin_port = htons(40000);
	client.client.in.sin_addr.s_addr = htonl(0xc000020a); /* 192.0.2.10 */
	*state = NULL;
	return 0;
}

/* With a store: the fixture of userdb_test.h, its handle as the worker's. */
static int store_setup(void **state)
{
	if (rest_setup(state) || setup(state))
		return -1;
	w.db = ((struct fixture *)*state)->db;
	return 0;
}

static int store_teardown(void **state)
{
	auth_test_teardown(state);
	return teardown(state);
}

/* An Allocate with c's credentials, as a browser would send it; the error code. */
static int try_creds(const struct creds *c, struct auth_result *res)
{
	static uint8_t buf[2048];
	char nonce[NONCE_CAP], password[REST_AUTH_PASSWORD_LEN + 1];
	uint8_t key[32], hash[32];
	struct stun_builder b;
	struct stun_msg m;
	uint16_t alg = c->alg ? c->alg : STUN_PW_ALG_MD5;
	int key_len;
	size_t len;

	auth_test_nonce(&client, nonce, NONCE_CAP);
	assert_int_equal(rest_password(c->secret, strlen(c->secret), c->user, strlen(c->user),
				       password),
			 0);
	key_len = stun_lt_key(alg, c->user, REALM, password, key);
	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	if (c->userhash) {
		stun_userhash(c->user, REALM, hash);
		stun_put(&b, STUN_ATTR_USERHASH, hash, 32);
	} else {
		stun_put_str(&b, STUN_ATTR_USERNAME, c->user);
	}
	stun_put_str(&b, STUN_ATTR_REALM, REALM);
	stun_put_str(&b, STUN_ATTR_NONCE, nonce);
	if (c->alg) {
		stun_put_pw_algs(&b, server_algs, 2);
		stun_put_pw_alg(&b, c->alg);
	}
	if (alg == STUN_PW_ALG_SHA256)
		stun_put_integrity_sha256(&b, key, (size_t)key_len);
	else
		stun_put_integrity(&b, key, (size_t)key_len);
	len = stun_build_end(&b);
	assert_int_not_equal(len, 0);
	assert_int_equal(stun_msg_parse(&m, buf, len), STUN_PARSE_OK);
	auth_check(&w, &client, &m, NULL, res);
	return res->error;
}

static int try_user(const char *user, const char *secret, uint16_t alg)
{
	struct creds c = {.secret = secret, .alg = alg};
	struct auth_result res;

	snprintf(c.user, sizeof(c.user), "%s", user);
	return try_creds(&c, &res);
}

/* "EXPIRY<sep>USER" expiring ttl_s from now (negative: in the past). */
static const char *rest_user(long ttl_s, char sep, const char *user)
{
	static char name[64];

	snprintf(name, sizeof(name), "%ld%c%s", (long)time(NULL) + ttl_s, sep, user);
	return name;
}

static void test_md5_and_sha256_with_a_static_secret(void **state)
{
	struct creds c = {.secret = "north"};
	struct auth_result res;

	(void)state;
	set("static-auth-secret", "north");
	snprintf(c.user, sizeof(c.user), "%s", rest_user(3600, ':', "alice"));
	assert_int_equal(try_creds(&c, &res), 0);
	assert_string_equal(res.username, c.user);
	assert_int_equal(res.key_len, 16);
	c.alg = STUN_PW_ALG_SHA256;
	assert_int_equal(try_creds(&c, &res), 0);
	assert_int_equal(res.key_len, 32);
	assert_true(res.use_sha256);
	/* the timestamp alone is a username too */
	snprintf(c.user, sizeof(c.user), "%ld", (long)time(NULL) + 60);
	assert_int_equal(try_creds(&c, &res), 0);
}

static void test_expired_wrong_secret_and_malformed_get_401(void **state)
{
	(void)state;
	set("static-auth-secret", "north");
	assert_int_equal(try_user(rest_user(-10, ':', "alice"), "north", 0), 401);
	assert_int_equal(try_user(rest_user(-10, ':', "alice"), "north", STUN_PW_ALG_SHA256), 401);
	assert_int_equal(try_user(rest_user(3600, ':', "alice"), "south", 0), 401);
	assert_int_equal(try_user("alice", "north", 0), 401);
	assert_int_equal(try_user("-99999:alice", "north", 0), 401);
	assert_int_equal(try_user("99999999999999999999:alice", "north", 0), 401);
	assert_int_equal(try_user("4294967296:alice", "north", 0), 401);
	assert_int_equal(try_user(":alice", "north", 0), 401);
}

static void test_any_of_several_secrets_validates(void **state)
{
	(void)state;
	set("static-auth-secret", "old");
	set("static-auth-secret", "new");
	assert_int_equal(try_user(rest_user(60, ':', "bob"), "old", 0), 0);
	assert_int_equal(try_user(rest_user(60, ':', "bob"), "new", STUN_PW_ALG_SHA256), 0);
	assert_int_equal(try_user(rest_user(60, ':', "bob"), "other", 0), 401);
}

static void test_separator_is_honoured(void **state)
{
	(void)state;
	set("static-auth-secret", "north");
	set("rest-api-separator", "-");
	assert_int_equal(try_user(rest_user(60, '-', "alice"), "north", 0), 0);
	assert_int_equal(try_user(rest_user(60, ':', "alice"), "north", 0), 401);
}

/* A REST username is minted per client: no USERHASH can name it. */
static void test_userhash_is_refused(void **state)
{
	struct creds c = {.secret = "north", .userhash = true};
	struct auth_result res;

	(void)state;
	set("static-auth-secret", "north");
	snprintf(c.user, sizeof(c.user), "%s", rest_user(60, ':', "alice"));
	assert_int_equal(try_creds(&c, &res), 401);
}

/* coturn: one mechanism at a time; user= lines do not authenticate then. */
static void test_user_lines_do_not_authenticate(void **state)
{
	uint8_t buf[512], key[16];
	char nonce[NONCE_CAP];
	struct stun_builder b;
	struct stun_msg m;
	struct auth_result res;
	size_t len;

	(void)state;
	set("static-auth-secret", "north");
	auth_test_nonce(&client, nonce, NONCE_CAP);
	stun_lt_key(STUN_PW_ALG_MD5, "alice", REALM, "pw", key);
	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	stun_put_str(&b, STUN_ATTR_USERNAME, "alice");
	stun_put_str(&b, STUN_ATTR_REALM, REALM);
	stun_put_str(&b, STUN_ATTR_NONCE, nonce);
	stun_put_integrity(&b, key, sizeof(key));
	len = stun_build_end(&b);
	assert_int_equal(stun_msg_parse(&m, buf, len), STUN_PARSE_OK);
	auth_check(&w, &client, &m, NULL, &res);
	assert_int_equal(res.error, 401);
}

/* No static-auth-secret: the store's secrets for the realm, read per request. */
static void test_store_secrets_are_read_per_request(void **state)
{
	struct fixture *f = *state;
	const char *user = rest_user(60, ':', "carol");

	assert_int_equal(try_user(user, "dyn", 0), 401);
	assert_int_equal(userdb_add_secret(f->db, "other.realm", "dyn"), 0);
	assert_int_equal(try_user(user, "dyn", 0), 401);
	assert_int_equal(userdb_add_secret(f->db, REALM, "dyn"), 0);
	assert_int_equal(userdb_add_secret(f->db, REALM, "dyn2"), 0);
	assert_int_equal(try_user(user, "dyn", 0), 0);
	assert_int_equal(try_user(user, "dyn2", STUN_PW_ALG_SHA256), 0);
	assert_int_equal(userdb_del_secret(f->db, REALM, "dyn"), 0);
	assert_int_equal(try_user(user, "dyn", 0), 401);
	assert_int_equal(try_user(user, "dyn2", 0), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rest_setup, auth_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_md5_and_sha256_with_a_static_secret),
	    T(test_expired_wrong_secret_and_malformed_get_401),
	    T(test_any_of_several_secrets_validates),
	    T(test_separator_is_honoured),
	    T(test_userhash_is_refused),
	    T(test_user_lines_do_not_authenticate),
	    cmocka_unit_test_setup_teardown(test_store_secrets_are_read_per_request, store_setup,
					    store_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
