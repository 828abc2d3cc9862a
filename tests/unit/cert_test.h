/*
 * cert_test.h - self-signed P-256 certificates for unit tests of the TLS,
 * DTLS and DTLS-SRTP code: made in memory, or written with their key as
 * PEM files. For unit tests that include cmocka.h first. Static functions
 * only.
 */
#ifndef TESTS_UNIT_CERT_TEST_H
#define TESTS_UNIT_CERT_TEST_H

#include <stdio.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

/* A self-signed certificate of key with common name cn, valid for an hour from now. */
static inline X509 *cert_test_make(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_NAME *name;

	assert_non_null(key);
	assert_non_null(x);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, name);
	assert_true(X509_sign(x, key, EVP_sha256()) > 0);
	return x;
}

/*
 * A new P-256 key and its certificate (cn) as PEM files at cert_path and
 * key_path; with enc_path, the key again there encrypted (AES-128-CBC,
 * passphrase "hunter22").
 */
static inline void cert_test_write_pair(const char *cert_path, const char *key_path,
					const char *enc_path, const char *cn)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *x = cert_test_make(key, cn);
	FILE *f;

	f = fopen(cert_path, "w");
	assert_non_null(f);
	PEM_write_X509(f, x);
	fclose(f);
	f = fopen(key_path, "w");
	assert_non_null(f);
	PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	if (enc_path) {
		f = fopen(enc_path, "w");
		assert_non_null(f);
		PEM_write_PrivateKey(f, key, EVP_aes_128_cbc(), (unsigned char *)"hunter22", 8,
				     NULL, NULL);
		fclose(f);
	}
	X509_free(x);
	EVP_PKEY_free(key);
}

#endif
