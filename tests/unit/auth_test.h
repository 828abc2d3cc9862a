/*
 * auth_test.h - the server and worker state that src/server/auth.c reads,
 * made for unit tests the way the server makes it from its configuration:
 * the realm, a random nonce secret and the static users (user=...): one
 * configuration cfg, server srv and worker w per test program, and the
 * client's origin. For unit tests that include cmocka.h first. Static
 * functions only.
 */
#ifndef TESTS_UNIT_AUTH_TEST_H
#define TESTS_UNIT_AUTH_TEST_H

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "server/server.h"
#include "stun/stun.h"

static struct config cfg;
static struct server srv;
static struct worker w;
static struct origin client; /* its w is w */

/* srv and w (cleared first) serving cfg, client cleared; -1 without a random nonce secret. */
static inline int auth_test_server(void)
{
	char err[256] = "";

	memset(&srv, 0, sizeof(srv));
	memset(&w, 0, sizeof(w));
	memset(&client, 0, sizeof(client));
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	snprintf(srv.realm, sizeof(srv.realm), "%s", cfg.realm);
	if (RAND_bytes(srv.nonce_secret, sizeof(srv.nonce_secret)) != 1)
		return -1;
	if (auth_load_static_users(&srv, err, sizeof(err)) < 0)
		fail_msg("auth_load_static_users: %s", err);
	w.srv = &srv;
	client.w = &w;
	return 0;
}

/* Frees the static users auth_test_server() loaded. */
static inline void auth_test_free_users(void)
{
	for (size_t i = 0; i < srv.nusers; i++)
		free(srv.users[i].name);
	free(srv.users);
	srv.users = NULL;
	srv.nusers = 0;
}

/* The 401 turn.c would answer o's Allocate with: an error carrying the challenge. */
static inline size_t auth_test_challenge(const struct origin *o, uint8_t *buf, size_t cap)
{
	static const uint8_t tid[STUN_TID_LEN] = {4, 0, 1, 4, 0, 1, 4, 0, 1, 4, 0, 1};
	struct stun_builder b;
	size_t len;

	stun_build_start(&b, buf, cap, TURN_ALLOCATE, STUN_ERROR, tid);
	stun_put_error(&b, STUN_ERR_UNAUTHORIZED, NULL);
	auth_put_challenge(&w, o, &b);
	len = stun_build_end(&b);
	assert_int_not_equal(len, 0);
	return len;
}

/* The NONCE of that 401 to o, NUL-terminated in out (cap bytes). */
static inline void auth_test_nonce(const struct origin *o, char *out, size_t cap)
{
	uint8_t buf[512];
	struct stun_msg m;
	const struct stun_attr *n;
	size_t len = auth_test_challenge(o, buf, sizeof(buf));

	assert_int_equal(stun_msg_parse(&m, buf, len), STUN_PARSE_OK);
	n = stun_msg_find(&m, STUN_ATTR_NONCE);
	assert_non_null(n);
	assert_true(n->len < cap);
	memcpy(out, n->val, n->len);
	out[n->len] = '\0';
}

/* A cmocka teardown of a test whose set-up ran config_init() and auth_test_server(). */
static inline int auth_test_teardown(void **state)
{
	(void)state;
	auth_test_free_users();
	config_free(&cfg);
	return 0;
}

#endif
