/*
 * test_dtls_cookie.c - the stateless half of DTLS (src/server/dtls_cookie.c,
 * RFC 6347 §4.2.1): record framing checks, the first ClientHello's fields,
 * the cookie (valid for its 5-tuple in this epoch and the one before, for
 * nothing else) and the HelloVerifyRequest, which OpenSSL's own DTLS
 * client accepts: it answers with a second ClientHello carrying the cookie.
 * Every truncation of a real ClientHello is refused without reading past
 * its end (an exact-size heap copy under ASan).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>

#include "server/dtls.h"
#include "test_sockaddr.h"

static const uint8_t secret[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9};

struct dtls_client {
	SSL_CTX *ctx;
	SSL *ssl;
	BIO *in, *out;
};

/* OpenSSL's DTLS client, its datagrams in memory BIOs. */
static void client_new(struct dtls_client *c)
{
	c->ctx = SSL_CTX_new(DTLS_client_method());
	assert_non_null(c->ctx);
	c->ssl = SSL_new(c->ctx);
	assert_non_null(c->ssl);
	c->in = BIO_new(BIO_s_mem());
	c->out = BIO_new(BIO_s_mem());
	BIO_set_mem_eof_return(c->in, -1);
	SSL_set_bio(c->ssl, c->in, c->out);
}

static void client_free(struct dtls_client *c)
{
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
}

/* Runs the client's handshake a step and takes what it wrote. */
static size_t client_step(struct dtls_client *c, uint8_t *buf, size_t cap)
{
	int n;

	assert_int_equal(SSL_connect(c->ssl), -1);
	n = BIO_read(c->out, buf, (int)cap);
	assert_true(n > 0);
	return (size_t)n;
}

/* A copy of exactly len bytes, so that ASan sees any read past it. */
static uint8_t *exact(const uint8_t *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, buf, len);
	return p;
}

static void test_records_check_refuses_bad_framing(void **state)
{
	uint8_t rec[2 * DTLS_RECORD_HDR_LEN + 4] = {22, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 9, 9};

	(void)state;
	assert_int_equal(dtls_records_check(rec, 0), -1);
	assert_int_equal(dtls_records_check(rec, DTLS_RECORD_HDR_LEN - 1), -1);
	/* the length says 2 bytes of body: one record of 15 bytes */
	assert_int_equal(dtls_records_check(rec, 15), 1);
	assert_int_equal(dtls_records_check(rec, 14), -1); /* body cut */
	assert_int_equal(dtls_records_check(rec, 16), -1); /* a partial second header */
	/* a second whole record, empty */
	memcpy(rec + 15, rec, DTLS_RECORD_HDR_LEN);
	rec[15 + 12] = 0;
	assert_int_equal(dtls_records_check(rec, 15 + DTLS_RECORD_HDR_LEN), 2);
	rec[0] = 19; /* content type below change_cipher_spec */
	assert_int_equal(dtls_records_check(rec, 15), -1);
	rec[0] = 24; /* heartbeat is not taken: 20-23 */
	assert_int_equal(dtls_records_check(rec, 15), -1);
	rec[0] = 23;
	rec[1] = 0x03; /* TLS, not DTLS */
	assert_int_equal(dtls_records_check(rec, 15), -1);
}

static void test_oversized_record_is_refused(void **state)
{
	size_t len = DTLS_RECORD_HDR_LEN + DTLS_MAX_RECORD_LEN + 1;
	uint8_t *buf = calloc(1, len);

	(void)state;
	assert_non_null(buf);
	buf[0] = 23;
	buf[1] = 0xFE;
	buf[2] = 0xFD;
	buf[11] = (uint8_t)((DTLS_MAX_RECORD_LEN + 1) >> 8);
	buf[12] = (uint8_t)(DTLS_MAX_RECORD_LEN + 1);
	assert_int_equal(dtls_records_check(buf, len), -1);
	buf[11] = (uint8_t)(DTLS_MAX_RECORD_LEN >> 8);
	buf[12] = (uint8_t)DTLS_MAX_RECORD_LEN;
	assert_int_equal(dtls_records_check(buf, len - 1), 1);
	free(buf);
}

static void test_openssl_client_hello_parses_and_no_truncation_does(void **state)
{
	struct dtls_client c;
	uint8_t buf[4096];
	struct dtls_hello h;
	size_t len;

	(void)state;
	client_new(&c);
	len = client_step(&c, buf, sizeof(buf));
	assert_int_equal(dtls_hello_parse(buf, len, &h), 0);
	assert_int_equal(h.cookie_len, 0);
	assert_int_equal(h.message_seq, 0);
	assert_true(h.cookie > buf && h.cookie <= buf + len);
	for (size_t n = 0; n < len; n++) {
		uint8_t *p = exact(buf, n);

		memset(&h, 0xA5, sizeof(h));
		assert_int_equal(dtls_hello_parse(p, n, &h), -1);
		assert_int_equal(h.cookie_len, 0xA5); /* untouched */
		free(p);
	}
	client_free(&c);
}

static void test_hello_fields_out_of_bounds_are_refused(void **state)
{
	struct dtls_client c;
	uint8_t buf[4096], bad[4096];
	struct dtls_hello h;
	size_t len, body = DTLS_RECORD_HDR_LEN + DTLS_HANDSHAKE_HDR_LEN;

	(void)state;
	client_new(&c);
	len = client_step(&c, buf, sizeof(buf));

	memcpy(bad, buf, len);
	bad[4] = 1; /* epoch 1: not a first ClientHello */
	assert_int_equal(dtls_hello_parse(bad, len, &h), -1);
	memcpy(bad, buf, len);
	bad[DTLS_RECORD_HDR_LEN] = 2; /* ServerHello */
	assert_int_equal(dtls_hello_parse(bad, len, &h), -1);
	memcpy(bad, buf, len);
	bad[DTLS_RECORD_HDR_LEN + 8] = 1; /* fragment offset 1: a fragment */
	assert_int_equal(dtls_hello_parse(bad, len, &h), -1);
	memcpy(bad, buf, len);
	bad[DTLS_RECORD_HDR_LEN + 11] ^= 1; /* fragment length != message length */
	assert_int_equal(dtls_hello_parse(bad, len, &h), -1);
	memcpy(bad, buf, len);
	bad[body + 34] = 33; /* session_id longer than 32 */
	assert_int_equal(dtls_hello_parse(bad, len, &h), -1);
	memcpy(bad, buf, len);
	bad[body + 35] = 255; /* a cookie past the message */
	assert_int_equal(dtls_hello_parse(bad, len, &h), -1);
	memcpy(bad, buf, len);
	bad[0] = 23; /* application data */
	assert_int_equal(dtls_hello_parse(bad, len, &h), -1);
	client_free(&c);
}

static void test_cookie_is_bound_to_5tuple_and_two_epochs(void **state)
{
	union sockaddr_u local = test_su("127.0.0.1:3478"), client = test_su("127.0.0.1:40000");
	union sockaddr_u other_port = test_su("127.0.0.1:40001");
	union sockaddr_u other_local = test_su("127.0.0.2:3478");
	union sockaddr_u v6 = test_su("[::1]:40000");
	uint8_t cookie[DTLS_COOKIE_LEN], other_secret[32] = {9};

	(void)state;
	dtls_cookie_make(secret, 1000, &local.sa, &client.sa, cookie);
	assert_true(dtls_cookie_valid(secret, 1000, &local.sa, &client.sa, cookie, sizeof(cookie)));
	assert_true(dtls_cookie_valid(secret, 1001, &local.sa, &client.sa, cookie, sizeof(cookie)));
	assert_false(dtls_cookie_valid(secret, 1002, &local.sa, &client.sa, cookie, sizeof(cookie)));
	assert_false(dtls_cookie_valid(secret, 999, &local.sa, &client.sa, cookie, sizeof(cookie)));
	/* epoch 1000 + 256 has the same low byte: the MAC still tells */
	assert_false(dtls_cookie_valid(secret, 1256, &local.sa, &client.sa, cookie, sizeof(cookie)));
	assert_false(
		dtls_cookie_valid(secret, 1000, &local.sa, &other_port.sa, cookie, sizeof(cookie)));
	assert_false(
		dtls_cookie_valid(secret, 1000, &other_local.sa, &client.sa, cookie, sizeof(cookie)));
	assert_false(dtls_cookie_valid(secret, 1000, &local.sa, &v6.sa, cookie, sizeof(cookie)));
	assert_false(
		dtls_cookie_valid(other_secret, 1000, &local.sa, &client.sa, cookie, sizeof(cookie)));
	assert_false(dtls_cookie_valid(secret, 1000, &local.sa, &client.sa, cookie, 0));
	assert_false(dtls_cookie_valid(secret, 1000, &local.sa, &client.sa, cookie, sizeof(cookie) - 1));
	cookie[DTLS_COOKIE_LEN - 1] ^= 0x80;
	assert_false(dtls_cookie_valid(secret, 1000, &local.sa, &client.sa, cookie, sizeof(cookie)));
	/* IPv6 5-tuples get cookies of their own */
	dtls_cookie_make(secret, 7, &local.sa, &v6.sa, cookie);
	assert_true(dtls_cookie_valid(secret, 7, &local.sa, &v6.sa, cookie, sizeof(cookie)));
	assert_false(dtls_cookie_valid(secret, 7, &local.sa, &client.sa, cookie, sizeof(cookie)));
}

static void test_openssl_client_answers_hello_verify_request_with_cookie(void **state)
{
	union sockaddr_u local = test_su("127.0.0.1:3478"), client = test_su("127.0.0.1:40000");
	struct dtls_client c;
	uint8_t buf[4096], hvr[DTLS_HVR_MAX], cookie[DTLS_COOKIE_LEN];
	struct dtls_hello h, h2;
	size_t len, hlen;

	(void)state;
	client_new(&c);
	len = client_step(&c, buf, sizeof(buf));
	assert_int_equal(dtls_hello_parse(buf, len, &h), 0);
	assert_false(dtls_cookie_valid(secret, 5, &local.sa, &client.sa, h.cookie, h.cookie_len));
	dtls_cookie_make(secret, 5, &local.sa, &client.sa, cookie);
	assert_int_equal(dtls_hvr_build(&h, cookie, sizeof(cookie), hvr, DTLS_RECORD_HDR_LEN), 0);
	hlen = dtls_hvr_build(&h, cookie, sizeof(cookie), hvr, sizeof(hvr));
	assert_int_equal(hlen, DTLS_RECORD_HDR_LEN + DTLS_HANDSHAKE_HDR_LEN + 3 + DTLS_COOKIE_LEN);
	assert_int_equal(dtls_records_check(hvr, hlen), 1);
	assert_memory_equal(hvr + 5, buf + 5, 6); /* the ClientHello's record sequence */

	assert_int_equal(BIO_write(c.in, hvr, (int)hlen), (int)hlen);
	len = client_step(&c, buf, sizeof(buf));
	assert_int_equal(dtls_hello_parse(buf, len, &h2), 0);
	assert_int_equal(h2.message_seq, 1);
	assert_int_equal(h2.cookie_len, DTLS_COOKIE_LEN);
	assert_memory_equal(h2.cookie, cookie, DTLS_COOKIE_LEN);
	assert_true(dtls_cookie_valid(secret, 6, &local.sa, &client.sa, h2.cookie, h2.cookie_len));
	client_free(&c);
}

static void test_first_byte_demux(void **state)
{
	(void)state;
	/* RFC 7983 §7: 0-3 STUN, 20-63 DTLS, 64-79 TURN channels */
	assert_false(dtls_first_byte(0));
	assert_false(dtls_first_byte(1));
	assert_false(dtls_first_byte(19));
	assert_true(dtls_first_byte(20));
	assert_true(dtls_first_byte(22));
	assert_true(dtls_first_byte(63));
	assert_false(dtls_first_byte(64));
	assert_false(dtls_first_byte(0x80));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_records_check_refuses_bad_framing),
		cmocka_unit_test(test_oversized_record_is_refused),
		cmocka_unit_test(test_openssl_client_hello_parses_and_no_truncation_does),
		cmocka_unit_test(test_hello_fields_out_of_bounds_are_refused),
		cmocka_unit_test(test_cookie_is_bound_to_5tuple_and_two_epochs),
		cmocka_unit_test(test_openssl_client_answers_hello_verify_request_with_cookie),
		cmocka_unit_test(test_first_byte_demux),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
