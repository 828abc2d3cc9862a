/*
 * itest_rest_auth.c - TURN REST API credentials (use-auth-secret) end to
 * end: the username EXPIRY:USER and its password base64(HMAC-SHA1(secret,
 * username)) are made here with OpenSSL, independently of the server's
 * rest_auth.c. Allocate and Refresh succeed with MD5 and with SHA-256 keys
 * (RFC 8489 §9.2.2, answer signed with MESSAGE-INTEGRITY-SHA256), over UDP
 * and TCP, with either of two static-auth-secrets (rotation); an expired
 * username, a wrong secret, a username without a timestamp and the
 * ordinary user= users get 401; data is relayed for a REST user.
 *
 * One server relaying on 127.0.0.1 with --use-auth-secret and two
 * --static-auth-secret.
 */
#include "integration/harness.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define OLD_SECRET "itest-rest-old"
#define NEW_SECRET "itest-rest-new"

static struct tserver srv;

static int group_setup(void **state)
{
	static const char *const flags[] = {
	    "--relay-ip=127.0.0.1", "--allow-loopback-peers", "--use-auth-secret",
	    "--static-auth-secret=" OLD_SECRET, "--static-auth-secret=" NEW_SECRET, NULL};

	(void)state;
	return tserver_start(&srv, 16, flags);
}

static int group_teardown(void **state)
{
	(void)state;
	tserver_stop(&srv);
	return 0;
}

/* A client of srv whose username is name, its password made with secret. */
static void open_rest(struct turnc *cl, bool tcp, const char *name, const char *secret)
{
	char pass[29];

	h_connect(cl, &srv.v4, tcp);
	h_rest_password(secret, name, pass);
	assert_int_equal(turnc_set_auth(cl, name, pass, NULL), 0);
}

/* "EXPIRY:user" expiring ttl_s from now (negative: already past). */
static const char *rest_name(long ttl_s, const char *user)
{
	static char name[64];

	snprintf(name, sizeof(name), "%ld:%s", (long)time(NULL) + ttl_s, user);
	return name;
}

static int allocate_with(struct turnc *cl, enum turnc_auth auth)
{
	struct turnc_req q = {.method = TURN_ALLOCATE, .auth = auth, .transport = TURN_TRANSPORT_UDP};

	return turnc_request(cl, &q);
}

static void test_rest_user_allocates_with_md5_and_sha256(void **state)
{
	const bool tcp = h_tcp(state);
	struct turnc cl;
	struct turnc_req q = {.method = TURN_REFRESH, .auth = TURNC_AUTH_SHA256};
	struct sockaddr_storage relayed;

	open_rest(&cl, tcp, rest_name(600, tcp ? "tcp-md5" : "udp-md5"), NEW_SECRET);
	assert_code(allocate_with(&cl, TURNC_AUTH_MD5), 0);
	assert_int_equal(cl.key_len, 16);
	assert_true(cl.resp_signed && !cl.resp_sha256);
	relayed = h_relayed(&cl, 0);
	h_assert_relayed(&relayed, "127.0.0.1", &srv);
	assert_code(h_refresh(&cl, 0), 0);
	h_close(&cl);

	open_rest(&cl, tcp, rest_name(600, tcp ? "tcp-sha" : "udp-sha"), NEW_SECRET);
	assert_code(allocate_with(&cl, TURNC_AUTH_SHA256), 0);
	assert_int_equal(cl.key_len, 32);
	assert_true(cl.resp_signed && cl.resp_sha256);
	assert_code(turnc_request(&cl, &q), 0);
	assert_true(cl.resp_sha256);
	h_close(&cl);
}

static void test_previous_secret_still_validates(void **state)
{
	struct turnc cl;

	(void)state;
	open_rest(&cl, false, rest_name(600, "rotated"), OLD_SECRET);
	assert_code(allocate_with(&cl, TURNC_AUTH_SHA256), 0);
	assert_code(h_refresh(&cl, 0), 0);
	h_close(&cl);
}

static void check_401(bool tcp, const char *name, const char *secret, enum turnc_auth auth)
{
	struct turnc cl;

	open_rest(&cl, tcp, name, secret);
	assert_code(allocate_with(&cl, auth), STUN_ERR_UNAUTHORIZED);
	h_close(&cl);
}

static void test_expired_wrong_and_malformed_get_401(void **state)
{
	(void)state;
	check_401(false, rest_name(-5, "late"), NEW_SECRET, TURNC_AUTH_MD5);
	check_401(true, rest_name(-5, "late"), NEW_SECRET, TURNC_AUTH_SHA256);
	check_401(false, rest_name(600, "wrong"), "not-the-secret", TURNC_AUTH_MD5);
	check_401(false, "no-timestamp", NEW_SECRET, TURNC_AUTH_MD5);
	check_401(false, "4294967296:too-late-for-32-bits", NEW_SECRET, TURNC_AUTH_MD5);
	check_401(false, "-1:negative", NEW_SECRET, TURNC_AUTH_MD5);
}

/* coturn: with use-auth-secret only REST credentials count, not user= lines */
static void test_user_lines_get_401(void **state)
{
	struct turnc cl;

	(void)state;
	h_connect(&cl, &srv.v4, false);
	assert_code(allocate_with(&cl, TURNC_AUTH_MD5), STUN_ERR_UNAUTHORIZED);
	h_close(&cl);
}

static void test_rest_user_relays_data(void **state)
{
	struct sockaddr_storage relayed, from, src;
	struct tpeer peer;
	uint8_t buf[64];
	struct turnc cl;
	uint16_t ch = 0;

	(void)state;
	tpeer_open(&peer, "127.0.0.1");
	open_rest(&cl, false, rest_name(600, "data"), OLD_SECRET);
	assert_code(h_allocate(&cl), 0);
	relayed = h_relayed(&cl, 0);
	assert_code(h_permission(&cl, &peer.addr), 0);
	assert_int_equal(h_send_indication(&cl, &peer.addr, "ping", 4), 0);
	assert_int_equal(tpeer_recv(&peer, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from), 4);
	assert_memory_equal(buf, "ping", 4);
	h_assert_addr_equal(&from, &relayed);
	tpeer_send(&peer, &from, "pong", 4);
	assert_int_equal(h_recv_data(&cl, H_TXN_TIMEOUT_MS, &ch, &src, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "pong", 4);
	h_close(&cl);
	tpeer_close(&peer);
}

static void test_server_exits_cleanly_on_sigterm(void **state)
{
	(void)state;
	assert_int_equal(tserver_stop(&srv), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    H_OVER_UDP(test_rest_user_allocates_with_md5_and_sha256, "_over_udp"),
	    H_OVER_TCP(test_rest_user_allocates_with_md5_and_sha256, "_over_tcp"),
	    cmocka_unit_test(test_previous_secret_still_validates),
	    cmocka_unit_test(test_expired_wrong_and_malformed_get_401),
	    cmocka_unit_test(test_user_lines_get_401),
	    cmocka_unit_test(test_rest_user_relays_data),
	    cmocka_unit_test(test_server_exits_cleanly_on_sigterm),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
