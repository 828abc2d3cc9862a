/*
 * test_auth.c - long-term credentials in the server (src/server/auth.c,
 * RFC 8489 §9.2): the 401 challenge, nonces bound to the client's IP and port that
 * expire and cannot be forged, MD5 and SHA-256 password algorithms with the
 * PASSWORD-ALGORITHMS rules, USERHASH, user= lines with a password or a 0x
 * MD5 key, the allocation owner check (441), and malformed user names.
 * Requests are built with the codec and handed to auth_check() directly:
 * no daemon, no sockets, no user store (w.db is NULL).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/config.h"
#include "server/server.h"
#include "stun/stun.h"
#include "auth_test.h"

#define REALM "example.org"
#define ALICE_PASSWORD "secret"
#define BOB_KEY_HEX "00112233445566778899aabbccddeeff"
#define NONCE_CAP 128

static const uint8_t bob_key[16] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
};
static const uint16_t server_algs[] = {STUN_PW_ALG_SHA256, STUN_PW_ALG_MD5};
static const uint8_t tid[STUN_TID_LEN] = {7, 7, 7, 7, 1, 2, 3, 4, 5, 6, 7, 8};

/* One server with its settings, one worker, and two clients. */
static struct origin neighbour; /* 192.0.2.11, same port; client is 192.0.2.10 */
static uint8_t alice_md5[16], alice_sha256[32];
static char long_name[CONFIG_MAX_USERNAME_BYTES + 2]; /* 512 bytes, then 513 */

/* A request, attribute by attribute; NULL or 0 leaves one out. */
struct req {
	const char *user;
	size_t user_len; /* 0: strlen(user) */
	const uint8_t *userhash;
	const char *realm;
	const char *nonce;
	const uint16_t *algs; /* PASSWORD-ALGORITHMS */
	int nalgs;
	uint16_t alg; /* PASSWORD-ALGORITHM */
	const uint8_t *key;
	size_t key_len;
	bool sha256; /* MESSAGE-INTEGRITY-SHA256 rather than MESSAGE-INTEGRITY */
};

static void set_ipv4(union sockaddr_u *u, const char *ip, uint16_t port)
{
	memset(u, 0, sizeof(*u));
	u->in.sin_family = AF_INET;
	u->in.sin_port = htons(port);
	assert_int_equal(inet_pton(AF_INET, ip, &u->in.sin_addr), 1);
}

static void set_user(const char *value)
{
	char err[256] = "";

	if (config_set(&cfg, "user", value, err, sizeof(err)) < 0)
		fail_msg("config_set user: %s", err);
}

static int setup(void **state)
{
	char err[256] = "", *line;

	(void)state;
	config_init(&cfg);
	if (config_set(&cfg, "realm", REALM, err, sizeof(err)) < 0)
		fail_msg("config_set realm: %s", err);
	set_user("alice:" ALICE_PASSWORD);
	set_user("bob:0x" BOB_KEY_HEX);
	memset(long_name, 'l', CONFIG_MAX_USERNAME_BYTES);
	long_name[CONFIG_MAX_USERNAME_BYTES] = '\0';
	if (asprintf(&line, "%s:pw", long_name) < 0)
		return -1;
	set_user(line);
	free(line);

	if (auth_test_server() < 0)
		return -1;

	set_ipv4(&client.client, "192.0.2.10", 40000);
	neighbour = client;
	set_ipv4(&neighbour.client, "192.0.2.11", 40000);

	stun_lt_key(STUN_PW_ALG_MD5, "alice", REALM, ALICE_PASSWORD, alice_md5);
	stun_lt_key(STUN_PW_ALG_SHA256, "alice", REALM, ALICE_PASSWORD, alice_sha256);
	return 0;
}

/* Build r as an Allocate request, parse it, and check it as coming from o. */
static int check_from(const struct origin *o, const struct req *r, const struct allocation *a,
		      struct auth_result *res)
{
	static uint8_t buf[2048];
	struct stun_builder b;
	struct stun_msg m;
	size_t len;

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	if (r->user)
		stun_put(&b, STUN_ATTR_USERNAME, r->user,
			 r->user_len ? r->user_len : strlen(r->user));
	if (r->userhash)
		stun_put(&b, STUN_ATTR_USERHASH, r->userhash, 32);
	if (r->realm)
		stun_put_str(&b, STUN_ATTR_REALM, r->realm);
	if (r->nonce)
		stun_put_str(&b, STUN_ATTR_NONCE, r->nonce);
	if (r->algs)
		stun_put_pw_algs(&b, r->algs, r->nalgs);
	if (r->alg)
		stun_put_pw_alg(&b, r->alg);
	if (r->key && r->sha256)
		stun_put_integrity_sha256(&b, r->key, r->key_len);
	else if (r->key)
		stun_put_integrity(&b, r->key, r->key_len);
	len = stun_build_end(&b);
	assert_int_not_equal(len, 0);
	assert_int_equal(stun_msg_parse(&m, buf, len), STUN_PARSE_OK);
	auth_check(&w, o, &m, a, res);
	return res->error;
}

static int check(const struct req *r)
{
	struct auth_result res;

	return check_from(&client, r, NULL, &res);
}

/* r from client authenticates as user with the key of len bytes, SHA-256 or not. */
static void expect_auth(const struct req *r, const char *user, const uint8_t *key, size_t len,
			bool sha256)
{
	struct auth_result res;

	assert_int_equal(check_from(&client, r, NULL, &res), 0);
	assert_string_equal(res.username, user);
	assert_int_equal(res.key_len, len);
	assert_memory_equal(res.key, key, len);
	assert_int_equal(res.use_sha256, sha256);
}

/* alice's MD5 request with a fresh nonce, for the tests to vary. */
static struct req alice_md5_req(char *nonce)
{
	auth_test_nonce(&client, nonce, NONCE_CAP);
	return (struct req){
	    .user = "alice",
	    .realm = REALM,
	    .nonce = nonce,
	    .key = alice_md5,
	    .key_len = sizeof(alice_md5),
	};
}

/* alice's SHA-256 request: both algorithm attributes and MESSAGE-INTEGRITY-SHA256. */
static struct req alice_sha256_req(char *nonce)
{
	struct req r = alice_md5_req(nonce);

	r.algs = server_algs;
	r.nalgs = 2;
	r.alg = STUN_PW_ALG_SHA256;
	r.key = alice_sha256;
	r.key_len = sizeof(alice_sha256);
	r.sha256 = true;
	return r;
}

/*
 * A nonce as the server would mint it for client, with a chosen expiry:
 * cookie, 8 hex digits of wall-clock expiry, 24 hex digits of HMAC-SHA256
 * over both and the client's IPv4 address and port. Only used to get a nonce that
 * is well signed but expired; test_crafted_nonce_with_future_expiry_is_accepted
 * shows the layout still matches auth.c's.
 */
static void craft_nonce(const union sockaddr_u *c, uint32_t expiry, char out[NONCE_CAP])
{
	uint8_t msg[STUN_NONCE_COOKIE_LEN + 8 + 6], mac[32];
	unsigned int mac_len = 0;

	stun_nonce_cookie(out, STUN_FEATURE_PASSWORD_ALGORITHMS | STUN_FEATURE_USERNAME_ANONYMITY);
	snprintf(out + STUN_NONCE_COOKIE_LEN, 9, "%08x", expiry);
	memcpy(msg, out, STUN_NONCE_COOKIE_LEN + 8);
	memcpy(msg + STUN_NONCE_COOKIE_LEN + 8, &c->in.sin_addr, 4);
	memcpy(msg + STUN_NONCE_COOKIE_LEN + 8 + 4, &c->in.sin_port, 2);
	HMAC(EVP_sha256(), srv.nonce_secret, sizeof(srv.nonce_secret), msg, sizeof(msg), mac,
	     &mac_len);
	for (int i = 0; i < 12; i++)
		snprintf(out + STUN_NONCE_COOKIE_LEN + 8 + 2 * i, 3, "%02x", mac[i]);
}

/* RFC 8489 §9.2.4: no MESSAGE-INTEGRITY at all is the client's first try: 401. */
static void test_request_without_integrity_is_401(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	struct auth_result res;

	(void)state;
	r.key = NULL;
	assert_int_equal(check_from(&client, &r, NULL, &res), STUN_ERR_UNAUTHORIZED);
	assert_string_equal(res.username, "");
	assert_int_equal(res.key_len, 0);

	/* nor does a bare request with nothing else */
	assert_int_equal(check(&(struct req){0}), STUN_ERR_UNAUTHORIZED);
}

/* RFC 8489 §9.2.4, §9.2 (nonce cookie), §14.11: what a 401 carries. */
static void test_challenge_has_realm_nonce_cookie_and_algorithms(void **state)
{
	static const uint8_t want_algs[] = {0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00};
	uint8_t buf[512];
	struct stun_msg m;
	const struct stun_attr *realm, *nonce, *algs;
	uint32_t features = 0;
	size_t len;

	(void)state;
	len = auth_test_challenge(&client, buf, sizeof(buf));
	assert_int_equal(stun_msg_parse(&m, buf, len), STUN_PARSE_OK);

	realm = stun_msg_find(&m, STUN_ATTR_REALM);
	assert_non_null(realm);
	assert_int_equal(realm->len, strlen(REALM));
	assert_memory_equal(realm->val, REALM, realm->len);

	nonce = stun_msg_find(&m, STUN_ATTR_NONCE);
	assert_non_null(nonce);
	assert_true(nonce->len > STUN_NONCE_COOKIE_LEN);
	/* "obMatJos2" + base64 of the 24 feature bits 0xC00000 */
	assert_memory_equal(nonce->val, "obMatJos2wAAA", STUN_NONCE_COOKIE_LEN);
	assert_int_equal(stun_nonce_cookie_features(nonce->val, nonce->len, &features), 0);
	assert_true(features & STUN_FEATURE_PASSWORD_ALGORITHMS);
	assert_true(features & STUN_FEATURE_USERNAME_ANONYMITY);

	/* SHA-256 first, then MD5, each with empty parameters */
	algs = stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHMS);
	assert_non_null(algs);
	assert_int_equal(algs->len, sizeof(want_algs));
	assert_memory_equal(algs->val, want_algs, sizeof(want_algs));
}

static void test_md5_request_with_challenge_nonce_authenticates(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);

	(void)state;
	expect_auth(&r, "alice", alice_md5, 16, false);
}

static void test_wrong_password_is_401(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	uint8_t wrong[16];

	(void)state;
	stun_lt_key(STUN_PW_ALG_MD5, "alice", REALM, "not-the-secret", wrong);
	r.key = wrong;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
}

static void test_unknown_user_is_401(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	uint8_t key[16];

	(void)state;
	stun_lt_key(STUN_PW_ALG_MD5, "mallory", REALM, ALICE_PASSWORD, key);
	r.user = "mallory";
	r.key = key;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
}

/*
 * One attribute of alice's signed request left out or emptied, and the
 * answer it must get (RFC 8489 §9.2.4): integrity without USERNAME/USERHASH,
 * REALM or NONCE is 400; an empty USERNAME names no user, 401, not a server
 * error; PASSWORD-ALGORITHM and PASSWORD-ALGORITHMS come together, 400.
 */
enum req_change { NO_USER, NO_REALM, NO_NONCE, EMPTY_USER, NO_ALGS, NO_ALG };

struct changed_req {
	bool sha256; /* alice_sha256_req rather than alice_md5_req */
	enum req_change change;
	int want;
};

static const struct changed_req no_username = {false, NO_USER, STUN_ERR_BAD_REQUEST};
static const struct changed_req no_realm = {false, NO_REALM, STUN_ERR_BAD_REQUEST};
static const struct changed_req no_nonce = {false, NO_NONCE, STUN_ERR_BAD_REQUEST};
static const struct changed_req empty_username = {false, EMPTY_USER, STUN_ERR_UNAUTHORIZED};
static const struct changed_req alg_without_algs = {true, NO_ALGS, STUN_ERR_BAD_REQUEST};
static const struct changed_req algs_without_alg = {true, NO_ALG, STUN_ERR_BAD_REQUEST};

static void test_changed_request(void **state)
{
	const struct changed_req *c = *state;
	char nonce[NONCE_CAP];
	struct req r = c->sha256 ? alice_sha256_req(nonce) : alice_md5_req(nonce);

	switch (c->change) {
	case NO_USER:
		r.user = NULL;
		break;
	case NO_REALM:
		r.realm = NULL;
		break;
	case NO_NONCE:
		r.nonce = NULL;
		break;
	case EMPTY_USER:
		r.user = "";
		break;
	case NO_ALGS:
		r.algs = NULL;
		break;
	case NO_ALG:
		r.alg = 0;
		break;
	}
	assert_int_equal(check(&r), c->want);
}

/* The nonce is bound to the client's IP: a neighbour cannot replay it (438). */
static void test_nonce_from_another_client_ip_is_438(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	struct auth_result res;

	(void)state;
	assert_int_equal(check_from(&neighbour, &r, NULL, &res), STUN_ERR_STALE_NONCE);
}

/* RFC 8489 §9.2.4: ... and to its port: another port of the same IP gets 438. */
static void test_nonce_from_another_port_of_the_ip_is_438(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	struct auth_result res;

	(void)state;
	set_ipv4(&neighbour.client, "192.0.2.10", 40001);
	assert_int_equal(check_from(&neighbour, &r, NULL, &res), STUN_ERR_STALE_NONCE);
	set_ipv4(&neighbour.client, "192.0.2.10", 40000);
	assert_int_equal(check_from(&neighbour, &r, NULL, &res), 0);
}

static void test_tampered_nonce_is_438(void **state)
{
	char nonce[NONCE_CAP], good[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	size_t n = strlen(nonce);

	(void)state;
	snprintf(good, sizeof(good), "%s", nonce);

	/* one MAC digit changed */
	nonce[n - 1] = nonce[n - 1] == '0' ? '1' : '0';
	assert_int_equal(check(&r), STUN_ERR_STALE_NONCE);

	/* expiry pushed into the future without re-signing */
	snprintf(nonce, NONCE_CAP, "%s", good);
	nonce[STUN_NONCE_COOKIE_LEN] = nonce[STUN_NONCE_COOKIE_LEN] == 'f' ? 'e' : 'f';
	assert_int_equal(check(&r), STUN_ERR_STALE_NONCE);

	/* truncated, extended, and made up */
	snprintf(nonce, NONCE_CAP, "%s", good);
	nonce[n - 2] = '\0';
	assert_int_equal(check(&r), STUN_ERR_STALE_NONCE);
	memcpy(nonce, good, n);
	memcpy(nonce + n, "00", 3);
	assert_int_equal(check(&r), STUN_ERR_STALE_NONCE);
	snprintf(nonce, NONCE_CAP, "obMatJos2wAAA%s", "0123456789abcdef");
	assert_int_equal(check(&r), STUN_ERR_STALE_NONCE);
}

/* Guards craft_nonce(): a well-signed nonce that has not expired passes. */
static void test_crafted_nonce_with_future_expiry_is_accepted(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);

	(void)state;
	craft_nonce(&client.client, (uint32_t)time(NULL) + 60, nonce);
	assert_int_equal(check(&r), 0);
}

static void test_expired_nonce_is_438(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);

	(void)state;
	craft_nonce(&client.client, (uint32_t)time(NULL) - 2, nonce);
	assert_int_equal(check(&r), STUN_ERR_STALE_NONCE);
}

/* RFC 8489 §9.2.4: the nonce is judged after the credentials */
static void test_expired_nonce_with_wrong_password_is_401(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	uint8_t wrong[16];

	(void)state;
	craft_nonce(&client.client, (uint32_t)time(NULL) - 2, nonce);
	stun_lt_key(STUN_PW_ALG_MD5, "alice", REALM, "not-the-secret", wrong);
	r.key = wrong;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
}

static void test_wrong_realm_is_401(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	uint8_t key[16];

	(void)state;
	/* a key that matches the realm the client names */
	stun_lt_key(STUN_PW_ALG_MD5, "alice", "example.net", ALICE_PASSWORD, key);
	r.realm = "example.net";
	r.key = key;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
	/* a realm that differs only in its length */
	r.realm = REALM ".";
	r.key = alice_md5;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
}

/* RFC 8489 §9.2.4, §14.6: SHA-256 key, MESSAGE-INTEGRITY-SHA256 in the answer. */
static void test_sha256_request_authenticates(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_sha256_req(nonce);

	(void)state;
	expect_auth(&r, "alice", alice_sha256, 32, true);
}

/* MESSAGE-INTEGRITY-SHA256 keyed with the default (MD5) long-term key. */
static void test_sha256_integrity_with_md5_key_authenticates(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	struct auth_result res;

	(void)state;
	r.sha256 = true;
	assert_int_equal(check_from(&client, &r, NULL, &res), 0);
	assert_int_equal(res.key_len, 16);
	assert_true(res.use_sha256);
}

/* RFC 8489 §9.2.4: PASSWORD-ALGORITHMS must match the list the nonce came with. */
static void test_password_algorithms_differing_from_server_is_400(void **state)
{
	static const uint16_t reversed[] = {STUN_PW_ALG_MD5, STUN_PW_ALG_SHA256};
	static const uint16_t sha256_only[] = {STUN_PW_ALG_SHA256};
	static const uint16_t extra[] = {STUN_PW_ALG_SHA256, STUN_PW_ALG_MD5, 0x0003};
	char nonce[NONCE_CAP];
	struct req r = alice_sha256_req(nonce);

	(void)state;
	r.algs = reversed;
	r.nalgs = 2;
	assert_int_equal(check(&r), STUN_ERR_BAD_REQUEST);
	r.algs = sha256_only;
	r.nalgs = 1;
	assert_int_equal(check(&r), STUN_ERR_BAD_REQUEST);
	r.algs = extra;
	r.nalgs = 3;
	assert_int_equal(check(&r), STUN_ERR_BAD_REQUEST);
}

/* RFC 8489 §9.2.4: PASSWORD-ALGORITHM must be one of PASSWORD-ALGORITHMS. */
static void test_unknown_password_algorithm_is_400(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_sha256_req(nonce);

	(void)state;
	r.alg = 0x0003;
	assert_int_equal(check(&r), STUN_ERR_BAD_REQUEST);
	r.alg = 0xffff;
	assert_int_equal(check(&r), STUN_ERR_BAD_REQUEST);
}

/* user=bob:0xKEY gives only the MD5 key; SHA-256 cannot be derived from it. */
static void test_hex_key_user_authenticates_with_md5_only(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	uint8_t guess[32];

	(void)state;
	r.user = "bob";
	r.key = bob_key;
	r.key_len = sizeof(bob_key);
	expect_auth(&r, "bob", bob_key, 16, false);

	r = alice_sha256_req(nonce);
	r.user = "bob";
	memset(guess, 0, sizeof(guess));
	memcpy(guess, bob_key, sizeof(bob_key));
	r.key = guess;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
}

/* RFC 8489 §14.4: USERHASH stands for USERNAME; the name is resolved. */
static void test_userhash_resolves_user(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_sha256_req(nonce);
	struct auth_result res;
	uint8_t hash[32];

	(void)state;
	stun_userhash("alice", REALM, hash);
	r.user = NULL;
	r.userhash = hash;
	expect_auth(&r, "alice", alice_sha256, 32, true);

	/* also for a user= line with a 0x key */
	r = alice_md5_req(nonce);
	stun_userhash("bob", REALM, hash);
	r.user = NULL;
	r.userhash = hash;
	r.key = bob_key;
	assert_int_equal(check_from(&client, &r, NULL, &res), 0);
	assert_string_equal(res.username, "bob");
}

static void test_unknown_userhash_is_401(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	uint8_t hash[32];

	(void)state;
	stun_userhash("alice", "example.net", hash);
	r.user = NULL;
	r.userhash = hash;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
}

/* RFC 8656 §5: requests on an allocation must use its username: 441. */
static void test_user_other_than_allocation_owner_is_441(void **state)
{
	char nonce[NONCE_CAP], owner[] = "bob", alice[] = "alice";
	struct req r = alice_md5_req(nonce);
	struct allocation a;
	struct auth_result res;

	(void)state;
	memset(&a, 0, sizeof(a));
	a.username = owner;
	assert_int_equal(check_from(&client, &r, &a, &res), TURN_ERR_WRONG_CREDENTIALS);

	a.username = alice;
	assert_int_equal(check_from(&client, &r, &a, &res), 0);
	assert_string_equal(res.username, "alice");
}

/* The owner check comes after integrity: a wrong password is still 401. */
static void test_wrong_password_on_foreign_allocation_is_401(void **state)
{
	char nonce[NONCE_CAP], owner[] = "bob";
	struct req r = alice_md5_req(nonce);
	struct allocation a;
	struct auth_result res;
	uint8_t wrong[16];

	(void)state;
	memset(&a, 0, sizeof(a));
	a.username = owner;
	stun_lt_key(STUN_PW_ALG_MD5, "alice", REALM, "guess", wrong);
	r.key = wrong;
	assert_int_equal(check_from(&client, &r, &a, &res), STUN_ERR_UNAUTHORIZED);
}

/* 512 bytes is the longest name a user= line and USERNAME may carry here. */
static void test_longest_username_authenticates(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);
	struct auth_result res;
	uint8_t key[16];

	(void)state;
	stun_lt_key(STUN_PW_ALG_MD5, long_name, REALM, "pw", key);
	r.user = long_name;
	r.key = key;
	assert_int_equal(check_from(&client, &r, NULL, &res), 0);
	assert_string_equal(res.username, long_name);
}

static void test_overlong_username_is_401(void **state)
{
	char nonce[NONCE_CAP], name[CONFIG_MAX_USERNAME_BYTES + 2];
	struct req r = alice_md5_req(nonce);
	struct auth_result res;
	uint8_t key[16];

	(void)state;
	memset(name, 'l', CONFIG_MAX_USERNAME_BYTES + 1);
	name[CONFIG_MAX_USERNAME_BYTES + 1] = '\0';
	stun_lt_key(STUN_PW_ALG_MD5, name, REALM, "pw", key);
	r.user = name;
	r.key = key;
	assert_int_equal(check_from(&client, &r, NULL, &res), STUN_ERR_UNAUTHORIZED);
	assert_string_equal(res.username, "");
}

/* "alice\0x" must not be taken for "alice". */
static void test_username_with_nul_is_401(void **state)
{
	char nonce[NONCE_CAP];
	struct req r = alice_md5_req(nonce);

	(void)state;
	r.user = "alice\0x";
	r.user_len = 7;
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
	r.user_len = 6; /* trailing NUL */
	assert_int_equal(check(&r), STUN_ERR_UNAUTHORIZED);
}

/* Load users from a config whose only user= entry has the given 0x key. */
static int load_key_user(const char *key, char *err, size_t errlen)
{
	struct config c;
	struct server s;
	int rc;

	config_init(&c);
	c.user[0].name = strdup("carol");
	c.user[0].password = strdup(key);
	c.user[0].is_key = true;
	c.user_count = 1;
	assert_non_null(c.user[0].name);
	assert_non_null(c.user[0].password);
	memset(&s, 0, sizeof(s));
	s.cfg = &c;
	s.relay.cfg = &c;
	snprintf(s.realm, sizeof(s.realm), "%s", REALM);
	rc = auth_load_static_users(&s, err, errlen);
	for (size_t i = 0; i < s.nusers; i++)
		free(s.users[i].name);
	free(s.users);
	config_free(&c);
	return rc;
}

/* Each key of bad[n] in a user= line is refused, naming the user and "hex". */
static void expect_bad_keys(const char *const *bad, size_t n)
{
	char err[256];

	for (size_t i = 0; i < n; i++) {
		err[0] = '\0';
		if (load_key_user(bad[i], err, sizeof(err)) != -1)
			fail_msg("key %s accepted", bad[i]);
		assert_non_null(strstr(err, "carol"));
		assert_non_null(strstr(err, "hex"));
	}
}

/*
 * config_set() already refuses these; auth_load_static_users() is the last
 * line for a struct config filled any other way.
 */
static void test_static_users_reject_malformed_hex_key(void **state)
{
	static const char *const bad[] = {
	    "0x0011223344556677",		  /* too short */
	    "0x" BOB_KEY_HEX "00",		  /* too long */
	    "0xzz112233445566778899aabbccddeeff", /* not hex */
	    "0x00112233445566778899aabbccddeezz", /* last pair not hex */
	};
	char err[256];

	(void)state;
	expect_bad_keys(bad, sizeof(bad) / sizeof(bad[0]));
	assert_int_equal(load_key_user("0x" BOB_KEY_HEX, err, sizeof(err)), 0);
}

/*
 * "32 hex digits" means every one of the 32 characters is a hex digit.
 * Reading each pair with sscanf's %2x would take "9g" as 0x09, "-1" as 0xff,
 * "+f" as 0x0f and " 0" as 0x00.
 */
static void test_static_users_reject_non_hex_character_inside_key(void **state)
{
	static const char *const bad[] = {
	    "0x0011223344556677889gaabbccddeeff",
	    "0x-1112233445566778899aabbccddeeff",
	    "0x+f112233445566778899aabbccddeeff",
	    "0x 0112233445566778899aabbccddeeff",
	};

	(void)state;
	expect_bad_keys(bad, sizeof(bad) / sizeof(bad[0]));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, auth_test_teardown)
#define C(name, row)                                                                               \
	{                                                                                          \
#name, test_changed_request, setup, auth_test_teardown, (void *)&(row)                             \
	}
	const struct CMUnitTest tests[] = {
	    T(test_request_without_integrity_is_401),
	    T(test_challenge_has_realm_nonce_cookie_and_algorithms),
	    T(test_md5_request_with_challenge_nonce_authenticates),
	    T(test_wrong_password_is_401),
	    T(test_unknown_user_is_401),
	    C(test_integrity_without_username_is_400, no_username),
	    C(test_integrity_without_realm_is_400, no_realm),
	    C(test_integrity_without_nonce_is_400, no_nonce),
	    T(test_nonce_from_another_client_ip_is_438),
	    T(test_nonce_from_another_port_of_the_ip_is_438),
	    C(test_empty_username_is_401, empty_username),
	    T(test_tampered_nonce_is_438),
	    T(test_crafted_nonce_with_future_expiry_is_accepted),
	    T(test_expired_nonce_is_438),
	    T(test_expired_nonce_with_wrong_password_is_401),
	    T(test_wrong_realm_is_401),
	    T(test_sha256_request_authenticates),
	    T(test_sha256_integrity_with_md5_key_authenticates),
	    C(test_password_algorithm_without_algorithms_is_400, alg_without_algs),
	    C(test_password_algorithms_without_algorithm_is_400, algs_without_alg),
	    T(test_password_algorithms_differing_from_server_is_400),
	    T(test_unknown_password_algorithm_is_400),
	    T(test_hex_key_user_authenticates_with_md5_only),
	    T(test_userhash_resolves_user),
	    T(test_unknown_userhash_is_401),
	    T(test_user_other_than_allocation_owner_is_441),
	    T(test_wrong_password_on_foreign_allocation_is_401),
	    T(test_longest_username_authenticates),
	    T(test_overlong_username_is_401),
	    T(test_username_with_nul_is_401),
	    T(test_static_users_reject_malformed_hex_key),
	    T(test_static_users_reject_non_hex_character_inside_key),
	};
#undef C
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
