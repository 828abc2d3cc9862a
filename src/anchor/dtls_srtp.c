/*
 * dtls_srtp.c - DTLS-SRTP associations over OpenSSL, see dtls_srtp.h.
 *
 * Each association reads from a memory BIO the caller fills one datagram
 * at a time and writes through a BIO of our own whose every write is one
 * datagram handed to the send callback, so record boundaries are kept
 * both ways without a socket.
 */
#include "anchor/dtls_srtp.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPORTER_LABEL "EXTRACTOR-dtls_srtp" /* RFC 5764 §4.2 */
#define MAX_TIMEOUT_US 8000000u

struct dtls_srtp_cert {
	X509 *x509;
	EVP_PKEY *key;
	struct fingerprint fp;
};

struct dtls_srtp_ctx {
	SSL_CTX *ssl_ctx;
};

struct dtls_srtp_conn {
	SSL *ssl;
	BIO *rbio; /* memory: the datagram being fed */
	enum dtls_srtp_role role;
	enum dtls_srtp_state state;
	struct fingerprint remote[DTLS_SRTP_MAX_REMOTE_FP];
	size_t n_remote;
	bool fp_checked; /* the leaf certificate matched a remote fingerprint */
	unsigned timeout_us;
	dtls_srtp_send_fn send;
	void *arg;
	char error[160];
	struct dtls_srtp_conn_stats stats;
};

static int err_out(char *err, size_t errlen, const char *what)
{
	unsigned long e = ERR_get_error();

	if (errlen > 0)
		snprintf(err, errlen, "%s%s%s", what, e ? ": " : "",
			 e ? ERR_reason_error_string(e) ? ERR_reason_error_string(e) : "?" : "");
	ERR_clear_error();
	return -1;
}

/* ---- the certificate ---- */

static struct dtls_srtp_cert *cert_finish(X509 *x, EVP_PKEY *key, char *err, size_t errlen)
{
	struct dtls_srtp_cert *c = calloc(1, sizeof(*c));

	if (c == NULL || fingerprint_of_cert(x, FINGERPRINT_SHA256, &c->fp) != 0) {
		free(c);
		X509_free(x);
		EVP_PKEY_free(key);
		err_out(err, errlen, "cannot fingerprint the DTLS certificate");
		return NULL;
	}
	c->x509 = x;
	c->key = key;
	return c;
}

struct dtls_srtp_cert *dtls_srtp_cert_generate(char *err, size_t errlen)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	BIGNUM *serial = BN_new();
	X509_NAME *name;

	if (key == NULL || x == NULL || serial == NULL ||
	    !BN_rand(serial, 63, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) ||
	    !BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(x)) || !X509_set_version(x, 2) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -30L * 86400) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x), 365L * 86400) || !X509_set_pubkey(x, key))
		goto fail;
	name = X509_get_subject_name(x);
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
					(const unsigned char *)"turnserver-anchor", -1, -1, 0) ||
	    !X509_set_issuer_name(x, name) || X509_sign(x, key, EVP_sha256()) <= 0)
		goto fail;
	BN_free(serial);
	return cert_finish(x, key, err, errlen);
fail:
	err_out(err, errlen, "cannot generate the anchor's DTLS certificate");
	BN_free(serial);
	X509_free(x);
	EVP_PKEY_free(key);
	return NULL;
}

struct dtls_srtp_cert *dtls_srtp_cert_load(const char *cert_file, const char *key_file, char *err,
					   size_t errlen)
{
	BIO *b = NULL;
	X509 *x = NULL;
	EVP_PKEY *key = NULL;
	char what[300];

	b = BIO_new_file(cert_file, "r");
	if (b == NULL || (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) == NULL) {
		snprintf(what, sizeof(what), "cannot read a PEM certificate from %s", cert_file);
		goto fail;
	}
	BIO_free(b);
	b = BIO_new_file(key_file, "r");
	if (b == NULL || (key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)) == NULL) {
		snprintf(what, sizeof(what), "cannot read a PEM private key from %s", key_file);
		goto fail;
	}
	BIO_free(b);
	b = NULL;
	if (X509_check_private_key(x, key) != 1) {
		snprintf(what, sizeof(what), "%s is not the key of %s", key_file, cert_file);
		goto fail;
	}
	return cert_finish(x, key, err, errlen);
fail:
	err_out(err, errlen, what);
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(key);
	return NULL;
}

void dtls_srtp_cert_free(struct dtls_srtp_cert *c)
{
	if (c == NULL)
		return;
	X509_free(c->x509);
	EVP_PKEY_free(c->key);
	free(c);
}

const struct fingerprint *dtls_srtp_cert_fingerprint(const struct dtls_srtp_cert *c)
{
	return &c->fp;
}

/* ---- the send BIO: one write, one datagram ---- */

static BIO_METHOD *send_method;
static pthread_once_t send_method_once = PTHREAD_ONCE_INIT;

static int send_bio_write(BIO *b, const char *buf, int len)
{
	struct dtls_srtp_conn *c = BIO_get_data(b);

	if (c == NULL || len <= 0)
		return 0;
	c->stats.datagrams_out++;
	c->send(c->arg, (const uint8_t *)buf, (size_t)len);
	return len;
}

static long send_bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	(void)b;
	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_DGRAM_QUERY_MTU:
	case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
		return DTLS_SRTP_MTU;
	case BIO_CTRL_WPENDING:
	case BIO_CTRL_PENDING:
		return 0;
	default:
		return 0;
	}
}

static int send_bio_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

static void send_method_init(void)
{
	BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "dtls_srtp send");

	if (m == NULL)
		return;
	if (!BIO_meth_set_write(m, send_bio_write) || !BIO_meth_set_ctrl(m, send_bio_ctrl) ||
	    !BIO_meth_set_create(m, send_bio_create)) {
		BIO_meth_free(m);
		return;
	}
	send_method = m;
}

/* ---- the context ---- */

/* RFC 5763 §5: the peer's certificate is the one its SDP's fingerprint
 * names; self-signed is the norm, so the chain itself is not judged. */
static int verify_cb(int preverify_ok, X509_STORE_CTX *store)
{
	SSL *ssl = X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx());
	struct dtls_srtp_conn *c = ssl ? SSL_get_app_data(ssl) : NULL;
	X509 *cert = X509_STORE_CTX_get_current_cert(store);

	(void)preverify_ok;
	if (c == NULL || cert == NULL)
		return 0;
	if (X509_STORE_CTX_get_error_depth(store) != 0)
		return 1;
	for (size_t i = 0; i < c->n_remote; i++) {
		if (fingerprint_matches(cert, &c->remote[i])) {
			c->fp_checked = true;
			return 1;
		}
	}
	snprintf(c->error, sizeof(c->error), "peer certificate does not match its a=fingerprint");
	/* the alert follows the error: bad_certificate, not the unknown_ca of a
	 * self-signed certificate's own error */
	X509_STORE_CTX_set_error(store, X509_V_ERR_CERT_REJECTED);
	return 0;
}

struct dtls_srtp_ctx *dtls_srtp_ctx_new(struct dtls_srtp_cert *cert, char *err, size_t errlen)
{
	struct dtls_srtp_ctx *ctx = calloc(1, sizeof(*ctx));
	SSL_CTX *s = SSL_CTX_new(DTLS_method());

	if (ctx == NULL || s == NULL)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(s, DTLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(s, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate(s, cert->x509) != 1 || SSL_CTX_use_PrivateKey(s, cert->key) != 1 ||
	    SSL_CTX_check_private_key(s) != 1 || !SSL_CTX_set1_groups_list(s, "X25519:P-256:P-384") ||
	    /* returns 0 on success */
	    SSL_CTX_set_tlsext_use_srtp(s, srtp_suite_dtls_profiles()) != 0)
		goto fail;
	SSL_CTX_set_verify(s, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_read_ahead(s, 1);
	SSL_CTX_set_session_cache_mode(s, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(s, SSL_OP_NO_TICKET | SSL_OP_NO_QUERY_MTU);
	pthread_once(&send_method_once, send_method_init);
	if (send_method == NULL)
		goto fail;
	ctx->ssl_ctx = s;
	return ctx;
fail:
	err_out(err, errlen, "cannot set up the anchor's DTLS-SRTP context");
	SSL_CTX_free(s);
	free(ctx);
	return NULL;
}

void dtls_srtp_ctx_free(struct dtls_srtp_ctx *ctx)
{
	if (ctx == NULL)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

/* ---- associations ---- */

/* RFC 6347 §4.2.4.1: start at the configured timeout, double, cap. */
static unsigned int timer_cb(SSL *ssl, unsigned int timer_us)
{
	struct dtls_srtp_conn *c = SSL_get_app_data(ssl);

	if (timer_us == 0)
		return c->timeout_us;
	return timer_us >= MAX_TIMEOUT_US / 2 ? MAX_TIMEOUT_US : 2 * timer_us;
}

struct dtls_srtp_conn *dtls_srtp_conn_new(struct dtls_srtp_ctx *ctx, enum dtls_srtp_role role,
					  const struct fingerprint *remote, size_t n_remote,
					  unsigned timeout_ms, dtls_srtp_send_fn send, void *arg)
{
	struct dtls_srtp_conn *c;
	BIO *wbio;

	if (n_remote == 0 || n_remote > DTLS_SRTP_MAX_REMOTE_FP || send == NULL)
		return NULL;
	c = calloc(1, sizeof(*c));
	if (c == NULL)
		return NULL;
	c->ssl = SSL_new(ctx->ssl_ctx);
	c->rbio = BIO_new(BIO_s_mem());
	wbio = BIO_new(send_method);
	if (c->ssl == NULL || c->rbio == NULL || wbio == NULL) {
		BIO_free(c->rbio);
		BIO_free(wbio);
		SSL_free(c->ssl);
		free(c);
		ERR_clear_error();
		return NULL;
	}
	BIO_set_mem_eof_return(c->rbio, -1);
	BIO_set_data(wbio, c);
	SSL_set_bio(c->ssl, c->rbio, wbio); /* the SSL owns both BIOs now */
	SSL_set_app_data(c->ssl, c);
	SSL_set_mtu(c->ssl, DTLS_SRTP_MTU);
	DTLS_set_link_mtu(c->ssl, DTLS_SRTP_MTU);
	DTLS_set_timer_cb(c->ssl, timer_cb);
	memcpy(c->remote, remote, n_remote * sizeof(*remote));
	c->n_remote = n_remote;
	c->role = role;
	c->timeout_us = (timeout_ms ? timeout_ms : DTLS_SRTP_TIMEOUT_MS) * 1000u;
	c->send = send;
	c->arg = arg;
	c->state = DTLS_SRTP_HANDSHAKE;
	if (role == DTLS_SRTP_ACTIVE)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	return c;
}

void dtls_srtp_conn_free(struct dtls_srtp_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	free(c);
}

static void fail_with(struct dtls_srtp_conn *c, const char *what)
{
	unsigned long e = ERR_get_error();

	if (c->error[0] == '\0') {
		const char *r = e ? ERR_reason_error_string(e) : NULL;

		snprintf(c->error, sizeof(c->error), "%s%s%s", what, r ? ": " : "", r ? r : "");
	}
	ERR_clear_error();
	c->state = DTLS_SRTP_FAILED;
}

/* After the handshake: the fingerprint was checked and a profile chosen. */
static void handshake_done(struct dtls_srtp_conn *c)
{
	X509 *peer = SSL_get1_peer_certificate(c->ssl);
	SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(c->ssl);
	bool ok = false;

	for (size_t i = 0; peer != NULL && c->fp_checked && i < c->n_remote; i++)
		ok |= fingerprint_matches(peer, &c->remote[i]);
	X509_free(peer);
	if (!ok) {
		fail_with(c, "peer certificate does not match its a=fingerprint");
		return;
	}
	if (p == NULL || srtp_suite_by_dtls_profile((uint16_t)p->id) == NULL) {
		fail_with(c, "no SRTP protection profile was negotiated");
		return;
	}
	c->state = DTLS_SRTP_CONNECTED;
}

static void step(struct dtls_srtp_conn *c)
{
	int r;

	ERR_clear_error();
	if (c->state == DTLS_SRTP_HANDSHAKE) {
		r = SSL_do_handshake(c->ssl);
		if (r == 1) {
			handshake_done(c);
		} else {
			int e = SSL_get_error(c->ssl, r);

			if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
				fail_with(c, "DTLS handshake failed");
			return;
		}
	}
	while (c->state == DTLS_SRTP_CONNECTED) {
		uint8_t sink[2048];
		int e;

		r = SSL_read(c->ssl, sink, sizeof(sink));
		if (r > 0) {
			c->stats.app_data_dropped++;
			continue;
		}
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_ZERO_RETURN)
			c->state = DTLS_SRTP_CLOSED;
		else if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
			fail_with(c, "DTLS read failed");
		break;
	}
	ERR_clear_error();
}

void dtls_srtp_conn_start(struct dtls_srtp_conn *c)
{
	if (c->state == DTLS_SRTP_HANDSHAKE && c->role == DTLS_SRTP_ACTIVE)
		step(c);
}

enum dtls_srtp_state dtls_srtp_conn_input(struct dtls_srtp_conn *c, const uint8_t *buf,
					  size_t len)
{
	if (c->state == DTLS_SRTP_FAILED || c->state == DTLS_SRTP_CLOSED) {
		c->stats.after_failure++;
		return c->state;
	}
	if (len == 0 || len > 65535)
		return c->state;
	c->stats.datagrams_in++;
	/* one datagram at a time: the memory BIO is empty between calls */
	(void)BIO_reset(c->rbio);
	if (BIO_write(c->rbio, buf, (int)len) != (int)len) {
		fail_with(c, "out of memory");
		return c->state;
	}
	step(c);
	(void)BIO_reset(c->rbio);
	return c->state;
}

long dtls_srtp_conn_timeout_ms(struct dtls_srtp_conn *c)
{
	struct timeval tv;

	if (c->state != DTLS_SRTP_HANDSHAKE || DTLSv1_get_timeout(c->ssl, &tv) != 1)
		return -1;
	return (long)tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000;
}

enum dtls_srtp_state dtls_srtp_conn_timer(struct dtls_srtp_conn *c)
{
	if (c->state != DTLS_SRTP_HANDSHAKE)
		return c->state;
	ERR_clear_error();
	if (DTLSv1_handle_timeout(c->ssl) < 0)
		fail_with(c, "DTLS handshake timed out");
	ERR_clear_error();
	return c->state;
}

void dtls_srtp_conn_close(struct dtls_srtp_conn *c)
{
	if (c->state == DTLS_SRTP_CONNECTED) {
		ERR_clear_error();
		(void)SSL_shutdown(c->ssl);
		ERR_clear_error();
	}
	if (c->state != DTLS_SRTP_FAILED)
		c->state = DTLS_SRTP_CLOSED;
}

enum dtls_srtp_state dtls_srtp_conn_state(const struct dtls_srtp_conn *c)
{
	return c->state;
}

const char *dtls_srtp_conn_error(const struct dtls_srtp_conn *c)
{
	return c->error;
}

const struct dtls_srtp_conn_stats *dtls_srtp_conn_stats(const struct dtls_srtp_conn *c)
{
	return &c->stats;
}

int dtls_srtp_conn_keys(struct dtls_srtp_conn *c, const struct srtp_suite **suite,
			uint8_t local[SRTP_SUITE_MAX_KEY_SALT_LEN],
			uint8_t remote[SRTP_SUITE_MAX_KEY_SALT_LEN])
{
	uint8_t material[2 * SRTP_SUITE_MAX_KEY_SALT_LEN];
	SRTP_PROTECTION_PROFILE *p;
	const struct srtp_suite *s;
	size_t n;
	int rc;

	if (c->state != DTLS_SRTP_CONNECTED)
		return -1;
	p = SSL_get_selected_srtp_profile(c->ssl);
	s = p ? srtp_suite_by_dtls_profile((uint16_t)p->id) : NULL;
	if (s == NULL)
		return -1;
	n = 2 * (s->key_len + s->salt_len);
	if (SSL_export_keying_material(c->ssl, material, n, EXPORTER_LABEL,
				       strlen(EXPORTER_LABEL), NULL, 0, 0) != 1) {
		ERR_clear_error();
		return -1;
	}
	rc = srtp_suite_split_dtls_keys(s, material, n, c->role == DTLS_SRTP_ACTIVE, local, remote);
	OPENSSL_cleanse(material, sizeof(material));
	if (rc == 0)
		*suite = s;
	return rc;
}

const char *dtls_srtp_state_name(enum dtls_srtp_state s)
{
	switch (s) {
	case DTLS_SRTP_HANDSHAKE:
		return "handshake";
	case DTLS_SRTP_CONNECTED:
		return "connected";
	case DTLS_SRTP_FAILED:
		return "failed";
	case DTLS_SRTP_CLOSED:
		return "closed";
	}
	return "?";
}
