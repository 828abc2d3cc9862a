/*
 * test_tls.c - the TLS/DTLS context module (src/server/tls.c) and the
 * TLS-or-plain first-byte demux (src/server/tls_demux.c): off without a
 * certificate, on with one (plain and encrypted keys), bad files refused
 * with the reason, a reload that swaps good files and keeps the old context
 * on bad ones, no-tls / no-dtls / no-tlsv1_2, ALPN stun.turn over an
 * in-memory handshake, and the demux at each edge.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/config.h"
#include "server/tls.h"
#include "cert_test.h"

struct fixture {
	char dir[64];
	char cert[96], key[96], enc_key[96], cert2[96], key2[96], junk[96];
	struct config cfg;
	char err[512];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	FILE *junk;

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_tls.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->cert, sizeof(f->cert), "%s/a.pem", f->dir);
	snprintf(f->key, sizeof(f->key), "%s/a.key", f->dir);
	snprintf(f->enc_key, sizeof(f->enc_key), "%s/a-enc.key", f->dir);
	snprintf(f->cert2, sizeof(f->cert2), "%s/b.pem", f->dir);
	snprintf(f->key2, sizeof(f->key2), "%s/b.key", f->dir);
	snprintf(f->junk, sizeof(f->junk), "%s/junk.pem", f->dir);
	cert_test_write_pair(f->cert, f->key, f->enc_key, "first");
	cert_test_write_pair(f->cert2, f->key2, NULL, "second");
	junk = fopen(f->junk, "w");
	if (!junk)
		return -1;
	fputs("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n", junk);
	fclose(junk);
	config_init(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	const char *files[] = {f->cert, f->key, f->enc_key, f->cert2, f->key2, f->junk};

	config_free(&f->cfg);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(f->dir);
	free(f);
	ERR_clear_error();
	return 0;
}

static void use(char **field, const char *value)
{
	free(*field);
	*field = value ? strdup(value) : NULL;
}

/* The CN of the certificate a new session of that kind would present. */
static void assert_cert_cn(struct tls_ctx *t, enum tls_kind kind, const char *cn)
{
	SSL_CTX *ctx = tls_ctx_get(t, kind);
	char buf[128] = "";

	assert_non_null(ctx);
	X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_CTX_get0_certificate(ctx)),
				  NID_commonName, buf, sizeof(buf));
	assert_string_equal(buf, cn);
	SSL_CTX_free(ctx);
}

static void test_without_cert_tls_and_dtls_are_off(void **state)
{
	struct fixture *f = *state;
	struct tls_ctx *t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));

	assert_non_null(t);
	assert_false(tls_ctx_on(t, TLS_KIND_TLS));
	assert_false(tls_ctx_on(t, TLS_KIND_DTLS));
	assert_null(tls_ssl_new(t, TLS_KIND_TLS));
	assert_null(tls_ctx_get(t, TLS_KIND_DTLS));
	assert_int_equal(tls_ctx_reload(t, f->err, sizeof(f->err)), 1);
	assert_false(tls_ctx_on(NULL, TLS_KIND_TLS));
	tls_ctx_free(t);
}

static void test_cert_and_key_turn_both_on(void **state)
{
	struct fixture *f = *state;
	struct tls_ctx *t;
	SSL *ssl;

	use(&f->cfg.cert, f->cert);
	use(&f->cfg.pkey, f->key);
	t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));
	assert_non_null(t);
	assert_true(tls_ctx_on(t, TLS_KIND_TLS));
	assert_true(tls_ctx_on(t, TLS_KIND_DTLS));
	ssl = tls_ssl_new(t, TLS_KIND_TLS);
	assert_non_null(ssl);
	assert_int_equal(SSL_get_min_proto_version(ssl), TLS1_2_VERSION);
	SSL_free(ssl);
	ssl = tls_ssl_new(t, TLS_KIND_DTLS);
	assert_non_null(ssl);
	assert_int_equal(SSL_get_min_proto_version(ssl), DTLS1_2_VERSION);
	SSL_free(ssl);
	assert_cert_cn(t, TLS_KIND_TLS, "first");
	tls_ctx_free(t);
}

static void test_key_inside_cert_file_is_found(void **state)
{
	struct fixture *f = *state;
	char both[128];
	FILE *out, *in;
	char line[256];
	struct tls_ctx *t;

	snprintf(both, sizeof(both), "%s/both.pem", f->dir);
	out = fopen(both, "w");
	assert_non_null(out);
	for (int i = 0; i < 2; i++) {
		in = fopen(i ? f->key : f->cert, "r");
		assert_non_null(in);
		while (fgets(line, sizeof(line), in))
			fputs(line, out);
		fclose(in);
	}
	fclose(out);
	use(&f->cfg.cert, both);
	t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));
	assert_non_null(t);
	assert_true(tls_ctx_on(t, TLS_KIND_TLS));
	tls_ctx_free(t);
	unlink(both);
}

static void test_encrypted_key_needs_pkey_pwd(void **state)
{
	struct fixture *f = *state;
	struct tls_ctx *t;

	use(&f->cfg.cert, f->cert);
	use(&f->cfg.pkey, f->enc_key);
	t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));
	assert_null(t);
	assert_non_null(strstr(f->err, "cannot read the private key of pkey"));
	assert_non_null(strstr(f->err, f->enc_key));
	use(&f->cfg.pkey_pwd, "wrong");
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	use(&f->cfg.pkey_pwd, "hunter22");
	t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));
	assert_non_null(t);
	assert_true(tls_ctx_on(t, TLS_KIND_DTLS));
	tls_ctx_free(t);
}

static void test_bad_files_are_refused_with_the_reason(void **state)
{
	struct fixture *f = *state;

	use(&f->cfg.cert, f->junk);
	use(&f->cfg.pkey, f->key);
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "cannot read the certificate chain of cert"));

	use(&f->cfg.cert, "/nonexistent/cert.pem");
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "/nonexistent/cert.pem"));

	use(&f->cfg.cert, f->cert);
	use(&f->cfg.pkey, f->key2); /* another certificate's key */
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "mismatch")); /* OpenSSL: key values mismatch */

	use(&f->cfg.pkey, f->key);
	use(&f->cfg.cipher_list, "NO-SUCH-CIPHER");
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "cipher-list"));
	use(&f->cfg.cipher_list, NULL);

	use(&f->cfg.ec_curve_name, "no-such-curve");
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "ec-curve-name"));
	use(&f->cfg.ec_curve_name, NULL);

	use(&f->cfg.dh_file, f->cert); /* a PEM file, not DH parameters */
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "dh-file"));
	use(&f->cfg.dh_file, NULL);

	use(&f->cfg.ca_file, f->junk);
	assert_null(tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err)));
	assert_non_null(strstr(f->err, "CA-file"));
}

static void test_options_shape_the_contexts(void **state)
{
	struct fixture *f = *state;
	struct tls_ctx *t;
	SSL_CTX *ctx;

	use(&f->cfg.cert, f->cert);
	use(&f->cfg.pkey, f->key);
	use(&f->cfg.cipher_list, "ECDHE-ECDSA-AES128-GCM-SHA256");
	use(&f->cfg.ec_curve_name, "prime256v1");
	use(&f->cfg.ca_file, f->cert2);
	f->cfg.no_tlsv1_2 = true;
	f->cfg.no_dtls = true;
	t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));
	assert_non_null(t);
	assert_true(tls_ctx_on(t, TLS_KIND_TLS));
	assert_false(tls_ctx_on(t, TLS_KIND_DTLS));
	ctx = tls_ctx_get(t, TLS_KIND_TLS);
	assert_int_equal(SSL_CTX_get_min_proto_version(ctx), TLS1_3_VERSION);
	assert_int_equal(SSL_CTX_get_verify_mode(ctx),
			 SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT);
	SSL_CTX_free(ctx);
	tls_ctx_free(t);

	f->cfg.no_tls = true;
	f->cfg.no_dtls = false;
	t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));
	assert_non_null(t);
	assert_false(tls_ctx_on(t, TLS_KIND_TLS));
	assert_true(tls_ctx_on(t, TLS_KIND_DTLS));
	tls_ctx_free(t);
}

static int hook_calls;

static int count_dtls_setup(SSL_CTX *ctx, void *arg)
{
	(void)arg;
	assert_non_null(ctx);
	hook_calls++;
	return hook_calls > 2 ? -1 : 0;
}

static void test_reload_swaps_good_files_and_keeps_old_on_bad(void **state)
{
	struct fixture *f = *state;
	const struct tls_hooks hooks = {count_dtls_setup, NULL};
	struct tls_ctx *t;
	SSL *open_session;

	hook_calls = 0;
	use(&f->cfg.cert, f->cert);
	use(&f->cfg.pkey, f->key);
	t = tls_ctx_new(&f->cfg, &hooks, f->err, sizeof(f->err));
	assert_non_null(t);
	assert_int_equal(hook_calls, 1);
	open_session = tls_ssl_new(t, TLS_KIND_TLS);
	assert_non_null(open_session);

	/* the operator replaces the files: a reload picks them up */
	use(&f->cfg.cert, f->cert2);
	use(&f->cfg.pkey, f->key2);
	assert_int_equal(tls_ctx_reload(t, f->err, sizeof(f->err)), 0);
	assert_int_equal(hook_calls, 2);
	assert_cert_cn(t, TLS_KIND_TLS, "second");
	assert_cert_cn(t, TLS_KIND_DTLS, "second");

	/* a broken file: the reload fails with why, the second pair stays */
	use(&f->cfg.cert, f->junk);
	assert_int_equal(tls_ctx_reload(t, f->err, sizeof(f->err)), -1);
	assert_non_null(strstr(f->err, "cert"));
	assert_cert_cn(t, TLS_KIND_TLS, "second");

	/* the DTLS hook failing also keeps the old contexts */
	use(&f->cfg.cert, f->cert);
	use(&f->cfg.pkey, f->key);
	assert_int_equal(tls_ctx_reload(t, f->err, sizeof(f->err)), -1);
	assert_cert_cn(t, TLS_KIND_DTLS, "second");

	/* the session opened before the reloads still has its first context */
	{
		char cn[64] = "";
		X509 *x = SSL_get_certificate(open_session);

		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
					  sizeof(cn));
		assert_string_equal(cn, "first");
	}
	tls_ctx_free(t);
	SSL_free(open_session); /* after the module is gone: the context lived on */
}

/* Runs a handshake between client and server over memory BIOs. */
static int handshake(SSL *client, SSL *server)
{
	for (int i = 0; i < 20; i++) {
		int c = SSL_do_handshake(client);
		int s = SSL_do_handshake(server);
		char buf[16384];
		int n;

		while ((n = BIO_read(SSL_get_wbio(client), buf, sizeof(buf))) > 0)
			BIO_write(SSL_get_rbio(server), buf, n);
		while ((n = BIO_read(SSL_get_wbio(server), buf, sizeof(buf))) > 0)
			BIO_write(SSL_get_rbio(client), buf, n);
		if (c == 1 && s == 1)
			return 0;
	}
	return -1;
}

static SSL *client_for(SSL_CTX *cctx, SSL *server, const char *alpn)
{
	SSL *client = SSL_new(cctx);

	SSL_set_bio(client, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_bio(server, BIO_new(BIO_s_mem()), BIO_new(BIO_s_mem()));
	SSL_set_connect_state(client);
	SSL_set_accept_state(server);
	if (alpn)
		SSL_set_alpn_protos(client, (const unsigned char *)alpn, (unsigned int)strlen(alpn));
	return client;
}

static void test_alpn_stun_turn_is_selected_when_offered(void **state)
{
	struct fixture *f = *state;
	SSL_CTX *cctx = SSL_CTX_new(TLS_client_method());
	struct tls_ctx *t;
	const unsigned char *proto;
	unsigned int len;
	SSL *client, *server;

	use(&f->cfg.cert, f->cert);
	use(&f->cfg.pkey, f->key);
	t = tls_ctx_new(&f->cfg, NULL, f->err, sizeof(f->err));
	assert_non_null(t);

	server = tls_ssl_new(t, TLS_KIND_TLS);
	client = client_for(cctx, server, "\x02h2\x09stun.turn");
	assert_int_equal(handshake(client, server), 0);
	SSL_get0_alpn_selected(server, &proto, &len);
	assert_int_equal(len, 9);
	assert_memory_equal(proto, "stun.turn", 9);
	SSL_free(client);
	SSL_free(server);

	/* another protocol only: the handshake goes on without ALPN */
	server = tls_ssl_new(t, TLS_KIND_TLS);
	client = client_for(cctx, server, "\x08http/1.1");
	assert_int_equal(handshake(client, server), 0);
	SSL_get0_alpn_selected(server, &proto, &len);
	assert_int_equal(len, 0);
	SSL_free(client);
	SSL_free(server);

	/* none offered */
	server = tls_ssl_new(t, TLS_KIND_TLS);
	client = client_for(cctx, server, NULL);
	assert_int_equal(handshake(client, server), 0);
	SSL_free(client);
	SSL_free(server);

	SSL_CTX_free(cctx);
	tls_ctx_free(t);
}

static void test_demux_tells_tls_from_plain(void **state)
{
	static const uint8_t hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01};
	static const uint8_t stun[] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12};
	static const uint8_t chan[] = {0x40, 0x00, 0x00, 0x04};
	static const uint8_t chan_top[] = {0x7f, 0xff};

	(void)state;
	assert_int_equal(tls_demux_stream(hello, 0), TLS_DEMUX_MORE);
	assert_int_equal(tls_demux_stream(hello, 1), TLS_DEMUX_TLS); /* no STUN starts 0x16 */
	assert_int_equal(tls_demux_stream(hello, 2), TLS_DEMUX_TLS);
	assert_int_equal(tls_demux_stream(hello, sizeof(hello)), TLS_DEMUX_TLS);
	assert_int_equal(tls_demux_stream(stun, 1), TLS_DEMUX_PLAIN);
	assert_int_equal(tls_demux_stream(stun, sizeof(stun)), TLS_DEMUX_PLAIN);
	assert_int_equal(tls_demux_stream(chan, sizeof(chan)), TLS_DEMUX_PLAIN);
	assert_int_equal(tls_demux_stream(chan_top, 1), TLS_DEMUX_PLAIN);
}

static void test_demux_refuses_garbage(void **state)
{
	static const uint8_t not_hello[] = {0x16, 0x02};	 /* SSL 2 style version */
	static const uint8_t alert[] = {0x15, 0x03, 0x03};	 /* TLS, but no handshake */
	static const uint8_t http[] = {'G', 'E', 'T', ' '};	 /* 0x47: STUN-shaped, plain */
	static const uint8_t high[] = {0x80, 0x00};
	static const uint8_t ff[] = {0xff};

	(void)state;
	assert_int_equal(tls_demux_stream(not_hello, 2), TLS_DEMUX_GARBAGE);
	assert_int_equal(tls_demux_stream(alert, 3), TLS_DEMUX_PLAIN); /* 0x15: STUN bits 00 */
	assert_int_equal(tls_demux_stream(http, 4), TLS_DEMUX_PLAIN);
	assert_int_equal(tls_demux_stream(high, 2), TLS_DEMUX_GARBAGE);
	assert_int_equal(tls_demux_stream(ff, 1), TLS_DEMUX_GARBAGE);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_without_cert_tls_and_dtls_are_off),
		T(test_cert_and_key_turn_both_on),
		T(test_key_inside_cert_file_is_found),
		T(test_encrypted_key_needs_pkey_pwd),
		T(test_bad_files_are_refused_with_the_reason),
		T(test_options_shape_the_contexts),
		T(test_reload_swaps_good_files_and_keeps_old_on_bad),
		T(test_alpn_stun_turn_is_selected_when_offered),
		cmocka_unit_test(test_demux_tells_tls_from_plain),
		cmocka_unit_test(test_demux_refuses_garbage),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
