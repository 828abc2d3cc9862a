/*
 * test_dtls_srtp.c - DTLS-SRTP associations (src/anchor/dtls_srtp.c), two
 * of them talking through in-memory queues: the handshake in both roles
 * gives matching SRTP keys that really protect and unprotect; a peer whose
 * certificate is not the one of its fingerprint is refused with the
 * reason; a lost flight is retransmitted on the timer; garbage during the
 * handshake changes nothing; close_notify closes the other side; and the
 * operator's certificate files are loaded or refused with their reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "anchor/dtls_srtp.h"
#include "anchor/media_crypto.h"
#include "cert_test.h"

#define QMAX 64

struct queue {
	uint8_t buf[QMAX][2048];
	size_t len[QMAX];
	size_t n;
	unsigned drop; /* drop this many datagrams first (a lost flight) */
};

static void enqueue(void *arg, const uint8_t *buf, size_t len)
{
	struct queue *q = arg;

	assert_true(len <= DTLS_SRTP_MTU + 64);
	if (q->drop > 0) {
		q->drop--;
		return;
	}
	assert_true(q->n < QMAX);
	memcpy(q->buf[q->n], buf, len);
	q->len[q->n++] = len;
}

/* deliver what was queued for c, in order; returns how many */
static size_t deliver(struct queue *q, struct dtls_srtp_conn *c)
{
	size_t n = q->n;

	q->n = 0;
	for (size_t i = 0; i < n; i++)
		dtls_srtp_conn_input(c, q->buf[i], q->len[i]);
	return n;
}

struct pair {
	struct dtls_srtp_cert *ca, *cb;
	struct dtls_srtp_ctx *xa, *xb;
	struct dtls_srtp_conn *a, *b; /* a active, b passive */
	struct queue to_a, to_b;
};

static void pair_setup(struct pair *p, const struct fingerprint *b_expects)
{
	char err[200] = "";

	memset(p, 0, sizeof(*p));
	p->ca = dtls_srtp_cert_generate(err, sizeof(err));
	p->cb = dtls_srtp_cert_generate(err, sizeof(err));
	assert_non_null(p->ca);
	assert_non_null(p->cb);
	p->xa = dtls_srtp_ctx_new(p->ca, err, sizeof(err));
	p->xb = dtls_srtp_ctx_new(p->cb, err, sizeof(err));
	assert_non_null(p->xa);
	assert_non_null(p->xb);
	p->a = dtls_srtp_conn_new(p->xa, DTLS_SRTP_ACTIVE, dtls_srtp_cert_fingerprint(p->cb), 1, 20,
				  enqueue, &p->to_b);
	p->b = dtls_srtp_conn_new(p->xb, DTLS_SRTP_PASSIVE,
				  b_expects ? b_expects : dtls_srtp_cert_fingerprint(p->ca), 1, 20,
				  enqueue, &p->to_a);
	assert_non_null(p->a);
	assert_non_null(p->b);
}

static void pair_free(struct pair *p)
{
	dtls_srtp_conn_free(p->a);
	dtls_srtp_conn_free(p->b);
	dtls_srtp_ctx_free(p->xa);
	dtls_srtp_ctx_free(p->xb);
	dtls_srtp_cert_free(p->ca);
	dtls_srtp_cert_free(p->cb);
}

static void pump(struct pair *p)
{
	for (int round = 0; round < 20; round++)
		if (deliver(&p->to_b, p->b) + deliver(&p->to_a, p->a) == 0)
			break;
}

static void test_handshake_gives_matching_keys_that_protect(void **state)
{
	struct pair p;
	const struct srtp_suite *sa = NULL, *sb = NULL;
	uint8_t al[SRTP_SUITE_MAX_KEY_SALT_LEN], ar[SRTP_SUITE_MAX_KEY_SALT_LEN];
	uint8_t bl[SRTP_SUITE_MAX_KEY_SALT_LEN], br[SRTP_SUITE_MAX_KEY_SALT_LEN];
	uint8_t pkt[1500] = {0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9};
	size_t len = 172;
	struct mcrypto *out, *in;

	(void)state;
	pair_setup(&p, NULL);
	assert_int_equal(dtls_srtp_conn_keys(p.a, &sa, al, ar), -1); /* not yet */
	dtls_srtp_conn_start(p.b); /* the passive side sends nothing */
	assert_int_equal(p.to_a.n, 0);
	dtls_srtp_conn_start(p.a);
	assert_true(p.to_b.n > 0);
	pump(&p);
	assert_int_equal(dtls_srtp_conn_state(p.a), DTLS_SRTP_CONNECTED);
	assert_int_equal(dtls_srtp_conn_state(p.b), DTLS_SRTP_CONNECTED);
	assert_int_equal(dtls_srtp_conn_keys(p.a, &sa, al, ar), 0);
	assert_int_equal(dtls_srtp_conn_keys(p.b, &sb, bl, br), 0);
	assert_ptr_equal(sa, sb);
	assert_ptr_equal(sa, srtp_suite_get(SRTP_SUITE_AEAD_AES_128_GCM)); /* strongest first */
	assert_memory_equal(al, br, sa->key_len + sa->salt_len);
	assert_memory_equal(ar, bl, sa->key_len + sa->salt_len);
	assert_memory_not_equal(al, ar, sa->key_len + sa->salt_len);
	out = mcrypto_new(&(struct mcrypto_params){.suite = sa, .key_salt = al,
						   .key_salt_len = sa->key_len + sa->salt_len},
			  MCRYPTO_OUTBOUND, NULL, 0);
	in = mcrypto_new(&(struct mcrypto_params){.suite = sb, .key_salt = br,
						  .key_salt_len = sb->key_len + sb->salt_len},
			 MCRYPTO_INBOUND, NULL, 0);
	assert_int_equal(mcrypto_protect(out, false, pkt, &len, sizeof(pkt)), MCRYPTO_OK);
	assert_int_equal(mcrypto_unprotect(in, false, pkt, &len), MCRYPTO_OK);
	assert_int_equal(len, 172);
	assert_string_equal(dtls_srtp_conn_error(p.a), "");
	assert_string_equal(dtls_srtp_state_name(DTLS_SRTP_CONNECTED), "connected");
	mcrypto_free(out);
	mcrypto_free(in);
	pair_free(&p);
}

static void test_certificate_not_matching_the_fingerprint_is_refused(void **state)
{
	char err[200];
	struct dtls_srtp_cert *other = dtls_srtp_cert_generate(err, sizeof(err));
	struct pair p;

	(void)state;
	assert_non_null(other);
	pair_setup(&p, dtls_srtp_cert_fingerprint(other)); /* b expects another certificate */
	dtls_srtp_conn_start(p.a);
	pump(&p);
	assert_int_equal(dtls_srtp_conn_state(p.b), DTLS_SRTP_FAILED);
	assert_non_null(strstr(dtls_srtp_conn_error(p.b), "does not match its a=fingerprint"));
	assert_int_not_equal(dtls_srtp_conn_state(p.a), DTLS_SRTP_CONNECTED);
	/* the peer is told why: bad_certificate (RFC 5246 §7.2.2), not unknown_ca */
	assert_non_null(strstr(dtls_srtp_conn_error(p.a), "bad certificate"));
	{
		const struct srtp_suite *s;
		uint8_t l[SRTP_SUITE_MAX_KEY_SALT_LEN], r[SRTP_SUITE_MAX_KEY_SALT_LEN];

		assert_int_equal(dtls_srtp_conn_keys(p.b, &s, l, r), -1);
	}
	{
		/* the rest of a's flight may have come after the failure too */
		uint64_t before = dtls_srtp_conn_stats(p.b)->after_failure;

		assert_int_equal(dtls_srtp_conn_input(p.b, (const uint8_t *)"\x16\xfe\xfd", 3),
				 DTLS_SRTP_FAILED);
		assert_int_equal(dtls_srtp_conn_stats(p.b)->after_failure, before + 1);
	}
	dtls_srtp_cert_free(other);
	pair_free(&p);
}

static void test_lost_flight_is_retransmitted_on_the_timer(void **state)
{
	struct pair p;
	long ms;

	(void)state;
	pair_setup(&p, NULL);
	p.to_b.drop = 1; /* the first ClientHello is lost */
	dtls_srtp_conn_start(p.a);
	assert_int_equal(p.to_b.n, 0);
	ms = dtls_srtp_conn_timeout_ms(p.a);
	assert_true(ms >= 0 && ms <= 20);
	usleep((useconds_t)(ms + 2) * 1000);
	assert_int_equal(dtls_srtp_conn_timer(p.a), DTLS_SRTP_HANDSHAKE);
	assert_true(p.to_b.n > 0);
	pump(&p);
	assert_int_equal(dtls_srtp_conn_state(p.a), DTLS_SRTP_CONNECTED);
	assert_int_equal(dtls_srtp_conn_state(p.b), DTLS_SRTP_CONNECTED);
	assert_int_equal(dtls_srtp_conn_timeout_ms(p.a), -1);
	pair_free(&p);
}

static void test_garbage_during_the_handshake_changes_nothing(void **state)
{
	struct pair p;
	uint8_t junk[300];

	(void)state;
	pair_setup(&p, NULL);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 131 + 7);
	junk[0] = 22; /* looks like a handshake record */
	for (size_t n = 1; n < sizeof(junk); n += 37) {
		dtls_srtp_conn_input(p.b, junk, n);
		dtls_srtp_conn_input(p.a, junk, n);
	}
	assert_int_equal(dtls_srtp_conn_state(p.b), DTLS_SRTP_HANDSHAKE);
	dtls_srtp_conn_start(p.a);
	pump(&p);
	assert_int_equal(dtls_srtp_conn_state(p.a), DTLS_SRTP_CONNECTED);
	assert_int_equal(dtls_srtp_conn_state(p.b), DTLS_SRTP_CONNECTED);
	pair_free(&p);
}

static void test_close_notify_closes_the_other_side(void **state)
{
	struct pair p;

	(void)state;
	pair_setup(&p, NULL);
	dtls_srtp_conn_start(p.a);
	pump(&p);
	dtls_srtp_conn_close(p.a);
	assert_int_equal(dtls_srtp_conn_state(p.a), DTLS_SRTP_CLOSED);
	assert_true(p.to_b.n > 0);
	pump(&p);
	assert_int_equal(dtls_srtp_conn_state(p.b), DTLS_SRTP_CLOSED);
	pair_free(&p);
}

static void test_operator_certificate_is_loaded_or_refused(void **state)
{
	char dir[] = "/tmp/dtls_srtp_XXXXXX", c1[64], k1[64], c2[64], k2[64], err[300] = "";
	struct dtls_srtp_cert *c;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(c1, sizeof(c1), "%s/a.pem", dir);
	snprintf(k1, sizeof(k1), "%s/a.key", dir);
	snprintf(c2, sizeof(c2), "%s/b.pem", dir);
	snprintf(k2, sizeof(k2), "%s/b.key", dir);
	cert_test_write_pair(c1, k1, NULL, "first");
	cert_test_write_pair(c2, k2, NULL, "second");
	c = dtls_srtp_cert_load(c1, k1, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(dtls_srtp_cert_fingerprint(c)->len, 32);
	dtls_srtp_cert_free(c);
	assert_null(dtls_srtp_cert_load(c1, k2, err, sizeof(err)));
	assert_non_null(strstr(err, "is not the key of"));
	assert_null(dtls_srtp_cert_load("/nonexistent.pem", k1, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read a PEM certificate from /nonexistent.pem"));
	assert_null(dtls_srtp_cert_load(c1, c1, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot read a PEM private key"));
	unlink(c1);
	unlink(k1);
	unlink(c2);
	unlink(k2);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handshake_gives_matching_keys_that_protect),
	    cmocka_unit_test(test_certificate_not_matching_the_fingerprint_is_refused),
	    cmocka_unit_test(test_lost_flight_is_retransmitted_on_the_timer),
	    cmocka_unit_test(test_garbage_during_the_handshake_changes_nothing),
	    cmocka_unit_test(test_close_notify_closes_the_other_side),
	    cmocka_unit_test(test_operator_certificate_is_loaded_or_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
