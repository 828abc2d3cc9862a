/*
 * tls.c - the server's TLS and DTLS contexts: built from the configuration
 * at startup, rebuilt and swapped on reload (tls.h says the rules).
 */
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "server/tls.h"

struct tls_ctx {
	const struct config *cfg;
	struct tls_hooks hooks;
	bool on[2];		/* [enum tls_kind] */
	pthread_mutex_t lock;	/* guards ctx[] */
	SSL_CTX *ctx[2];	/* current contexts; NULL when off */
};

static const char *const tls_kind_name[2] = {"TLS", "DTLS"};

/* err gets what, the file and OpenSSL's reason; OpenSSL's error queue is emptied. */
static void tls_errf(char *err, size_t errlen, const char *what, const char *path)
{
	char reason[256] = "";
	unsigned long e, last = 0;

	while ((e = ERR_get_error()) != 0)
		last = e;
	if (last)
		ERR_error_string_n(last, reason, sizeof(reason));
	snprintf(err, errlen, "%s%s%s%s%s", what, path ? " " : "", path ? path : "",
		 last ? ": " : "", reason);
}

/* pkey-pwd, or nothing: an encrypted key without it fails instead of prompting. */
static int tls_password_cb(char *buf, int size, int rwflag, void *arg)
{
	const char *pwd = arg;
	size_t len;

	(void)rwflag;
	if (!pwd || size <= 0)
		return 0;
	len = strlen(pwd);
	if (len > (size_t)size)
		return 0;
	memcpy(buf, pwd, len);
	return (int)len;
}

/* RFC 7443 §3: "stun.turn" when offered; other protocols or none go on without ALPN. */
static int tls_alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
			   const unsigned char *in, unsigned int inlen, void *arg)
{
	static const unsigned char want[] = "\x09" TLS_ALPN_STUN_TURN;
	unsigned char *sel;

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto(&sel, outlen, want, sizeof(want) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_NOACK;
	*out = sel;
	return SSL_TLSEXT_ERR_OK;
}

static int tls_load_dh(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	EVP_PKEY *dh = NULL;
	BIO *bio = BIO_new_file(path, "r");

	if (bio)
		dh = PEM_read_bio_Parameters(bio, NULL);
	BIO_free(bio);
	if (!dh || EVP_PKEY_base_id(dh) != EVP_PKEY_DH) {
		EVP_PKEY_free(dh);
		tls_errf(err, errlen, "cannot read DH parameters from dh-file", path);
		return -1;
	}
	if (SSL_CTX_set0_tmp_dh_pkey(ctx, dh) != 1) {
		EVP_PKEY_free(dh);
		tls_errf(err, errlen, "cannot use the DH parameters of dh-file", path);
		return -1;
	}
	return 0;
}

static int tls_load_ca(SSL_CTX *ctx, const char *path, char *err, size_t errlen)
{
	STACK_OF(X509_NAME) *names;

	if (SSL_CTX_load_verify_locations(ctx, path, NULL) != 1) {
		tls_errf(err, errlen, "cannot read CA-file", path);
		return -1;
	}
	names = SSL_load_client_CA_file(path);
	if (!names) {
		tls_errf(err, errlen, "no CA certificate in CA-file", path);
		return -1;
	}
	SSL_CTX_set_client_CA_list(ctx, names);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
	return 0;
}

/* Certificate chain and key, checked against each other. */
static int tls_load_cert(SSL_CTX *ctx, const struct config *c, char *err, size_t errlen)
{
	const char *key = c->pkey ? c->pkey : c->cert;

	SSL_CTX_set_default_passwd_cb(ctx, tls_password_cb);
	SSL_CTX_set_default_passwd_cb_userdata(ctx, c->pkey_pwd);
	if (SSL_CTX_use_certificate_chain_file(ctx, c->cert) != 1) {
		tls_errf(err, errlen, "cannot read the certificate chain of cert", c->cert);
		return -1;
	}
	if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
		tls_errf(err, errlen, c->pkey ? "cannot read the private key of pkey"
					      : "cannot read a private key from cert (set pkey)",
			 key);
		return -1;
	}
	/* the passphrase is not needed again: a reload reads it from the config */
	SSL_CTX_set_default_passwd_cb_userdata(ctx, NULL);
	if (SSL_CTX_check_private_key(ctx) != 1) {
		tls_errf(err, errlen, "the private key does not match the certificate of cert",
			 c->cert);
		return -1;
	}
	return 0;
}

/* One server context of that kind from the configuration, or NULL with err set. */
static SSL_CTX *tls_build(const struct tls_ctx *t, enum tls_kind kind, char *err, size_t errlen)
{
	const struct config *c = t->cfg;
	static const unsigned char sid_ctx[] = "turnserver";
	SSL_CTX *ctx;

	ctx = SSL_CTX_new(kind == TLS_KIND_TLS ? TLS_server_method() : DTLS_server_method());
	if (!ctx) {
		tls_errf(err, errlen, "cannot make an OpenSSL context", NULL);
		return NULL;
	}
	if (kind == TLS_KIND_TLS) {
		SSL_CTX_set_min_proto_version(ctx, c->no_tlsv1_2 ? TLS1_3_VERSION : TLS1_2_VERSION);
		/*
		 * TLS 1.3: one session ticket per handshake, not OpenSSL's two (those
		 * are for clients opening connections in parallel, RFC 8446 §4.6.1):
		 * a TURN client holds one connection, a resumed one gets a new
		 * ticket, and each ticket costs a session copy, its encryption and
		 * a record of its own (about a tenth of the server's work per TLS
		 * allocation, docs/BENCHMARKS.md). TLS 1.2 sends one as it did.
		 */
		SSL_CTX_set_num_tickets(ctx, 1);
	} else {
		SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION);
		SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION);
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
				     SSL_OP_NO_COMPRESSION);
	/* tcp_tls.c writes a record at once and leaves a pending one to libevent, which
	 * retries it with the same bytes from its output buffer, at another address */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
	SSL_CTX_set_alpn_select_cb(ctx, tls_alpn_select, NULL);
	if (tls_load_cert(ctx, c, err, errlen) < 0)
		goto fail;
	if (c->cipher_list && SSL_CTX_set_cipher_list(ctx, c->cipher_list) != 1) {
		tls_errf(err, errlen, "no usable cipher in cipher-list", c->cipher_list);
		goto fail;
	}
	if (c->ec_curve_name && SSL_CTX_set1_groups_list(ctx, c->ec_curve_name) != 1) {
		tls_errf(err, errlen, "unknown curve in ec-curve-name", c->ec_curve_name);
		goto fail;
	}
	if (c->dh_file) {
		if (tls_load_dh(ctx, c->dh_file, err, errlen) < 0)
			goto fail;
	} else {
		SSL_CTX_set_dh_auto(ctx, 1);
	}
	if (c->ca_file && tls_load_ca(ctx, c->ca_file, err, errlen) < 0)
		goto fail;
	if (kind == TLS_KIND_DTLS && t->hooks.dtls_setup &&
	    t->hooks.dtls_setup(ctx, t->hooks.arg) < 0) {
		snprintf(err, errlen, "cannot set up the DTLS context");
		goto fail;
	}
	return ctx;
fail:
	SSL_CTX_free(ctx);
	return NULL;
}

/* Both contexts that are on, or neither (err set). */
static int tls_build_all(const struct tls_ctx *t, SSL_CTX *out[2], char *err, size_t errlen)
{
	out[0] = out[1] = NULL;
	for (int k = 0; k < 2; k++) {
		if (!t->on[k])
			continue;
		out[k] = tls_build(t, (enum tls_kind)k, err, errlen);
		if (!out[k]) {
			SSL_CTX_free(out[0]);
			out[0] = NULL;
			return -1;
		}
	}
	return 0;
}

/* One line about the certificate in use: subject, key type, expiry. */
static void tls_log_cert(SSL_CTX *ctx, const char *what)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	EVP_PKEY *pk = x ? X509_get0_pubkey(x) : NULL;
	char subject[256] = "?", expires[64] = "?";
	BIO *bio;

	if (!x)
		return;
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	bio = BIO_new(BIO_s_mem());
	if (bio && ASN1_TIME_print(bio, X509_get0_notAfter(x)) == 1) {
		int n = BIO_read(bio, expires, sizeof(expires) - 1);

		expires[n > 0 ? n : 0] = '\0';
	}
	BIO_free(bio);
	log_info("%s: certificate %s (%s, %d bits), expires %s", what, subject,
		 pk && EVP_PKEY_base_id(pk) == EVP_PKEY_EC ? "ECDSA"
		 : pk && EVP_PKEY_base_id(pk) == EVP_PKEY_RSA ? "RSA"
							      : "other key",
		 pk ? EVP_PKEY_bits(pk) : 0, expires);
}

struct tls_ctx *tls_ctx_new(const struct config *c, const struct tls_hooks *hooks, char *err,
			    size_t errlen)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));

	if (!t) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->cfg = c;
	if (hooks)
		t->hooks = *hooks;
	pthread_mutex_init(&t->lock, NULL);
	if (c->no_tlsv1 || c->no_tlsv1_1)
		log_info("no-tlsv1, no-tlsv1_1: the default here (TLS 1.0 and 1.1 are never "
			 "offered)");
	if (!c->cert) {
		if (!c->no_tls || !c->no_dtls)
			log_info("TLS and DTLS off: no certificate (set cert, and pkey unless the "
				 "key is in the cert file)");
		return t;
	}
	t->on[TLS_KIND_TLS] = !c->no_tls;
	t->on[TLS_KIND_DTLS] = !c->no_dtls;
	if (tls_build_all(t, t->ctx, err, errlen) < 0) {
		tls_ctx_free(t);
		return NULL;
	}
	for (int k = 0; k < 2; k++)
		if (t->ctx[k]) {
			tls_log_cert(t->ctx[k], tls_kind_name[k]);
			break;
		}
	log_info("TLS %s, DTLS %s", !t->on[TLS_KIND_TLS] ? "off (no-tls)"
				    : c->no_tlsv1_2		    ? "1.3"
								    : "1.2 and 1.3",
		 t->on[TLS_KIND_DTLS] ? "1.2" : "off (no-dtls)");
	return t;
}

bool tls_ctx_on(const struct tls_ctx *t, enum tls_kind kind)
{
	return t && t->on[kind];
}

SSL_CTX *tls_ctx_get(struct tls_ctx *t, enum tls_kind kind)
{
	SSL_CTX *ctx;

	if (!tls_ctx_on(t, kind))
		return NULL;
	pthread_mutex_lock(&t->lock);
	ctx = t->ctx[kind];
	SSL_CTX_up_ref(ctx);
	pthread_mutex_unlock(&t->lock);
	return ctx;
}

SSL *tls_ssl_new(struct tls_ctx *t, enum tls_kind kind)
{
	SSL_CTX *ctx = tls_ctx_get(t, kind);
	SSL *ssl;

	if (!ctx)
		return NULL;
	ssl = SSL_new(ctx); /* takes its own reference */
	SSL_CTX_free(ctx);
	return ssl;
}

int tls_ctx_reload(struct tls_ctx *t, char *err, size_t errlen)
{
	SSL_CTX *fresh[2], *old[2];

	if (!t || (!t->on[TLS_KIND_TLS] && !t->on[TLS_KIND_DTLS]))
		return 1;
	if (tls_build_all(t, fresh, err, errlen) < 0)
		return -1;
	pthread_mutex_lock(&t->lock);
	for (int k = 0; k < 2; k++) {
		old[k] = t->ctx[k];
		t->ctx[k] = fresh[k];
	}
	pthread_mutex_unlock(&t->lock);
	for (int k = 0; k < 2; k++)
		SSL_CTX_free(old[k]); /* open sessions hold their own references */
	tls_log_cert(fresh[t->on[TLS_KIND_TLS] ? TLS_KIND_TLS : TLS_KIND_DTLS], "reloaded");
	return 0;
}

void tls_ctx_free(struct tls_ctx *t)
{
	if (!t)
		return;
	for (int k = 0; k < 2; k++)
		SSL_CTX_free(t->ctx[k]);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
