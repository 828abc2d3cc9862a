/*
 * srtp_suite.c - the table of SRTP suites (srtp_suite.h) and the DTLS-SRTP
 * key split of RFC 5764 §4.2.
 */
#include "anchor/srtp_suite.h"

#include <string.h>

/* Strongest first: the order DTLS-SRTP offers profiles in. */
static const struct srtp_suite suites[] = {
	{SRTP_SUITE_AEAD_AES_128_GCM, "AEAD_AES_128_GCM", "SRTP_AEAD_AES_128_GCM", 0x0007, 16, 12,
	 16, 16},
	{SRTP_SUITE_AEAD_AES_256_GCM, "AEAD_AES_256_GCM", "SRTP_AEAD_AES_256_GCM", 0x0008, 32, 12,
	 16, 16},
	{SRTP_SUITE_AES_CM_128_HMAC_SHA1_80, "AES_CM_128_HMAC_SHA1_80", "SRTP_AES128_CM_SHA1_80",
	 0x0001, 16, 14, 10, 10},
	{SRTP_SUITE_AES_CM_128_HMAC_SHA1_32, "AES_CM_128_HMAC_SHA1_32", "SRTP_AES128_CM_SHA1_32",
	 0x0002, 16, 14, 4, 10},
	/* RFC 6188: SDES only (no DTLS-SRTP profile is registered for them) */
	{SRTP_SUITE_AES_256_CM_HMAC_SHA1_80, "AES_256_CM_HMAC_SHA1_80", NULL, 0, 32, 14, 10, 10},
	{SRTP_SUITE_AES_256_CM_HMAC_SHA1_32, "AES_256_CM_HMAC_SHA1_32", NULL, 0, 32, 14, 4, 10},
};

#define N_SUITES (sizeof(suites) / sizeof(suites[0]))

const struct srtp_suite *srtp_suite_get(enum srtp_suite_id id)
{
	for (size_t i = 0; i < N_SUITES; i++)
		if (suites[i].id == id)
			return &suites[i];
	return NULL;
}

const struct srtp_suite *srtp_suite_by_sdes(const char *name, size_t len)
{
	for (size_t i = 0; i < N_SUITES; i++)
		if (strlen(suites[i].sdes_name) == len && memcmp(suites[i].sdes_name, name, len) == 0)
			return &suites[i];
	return NULL;
}

const struct srtp_suite *srtp_suite_by_dtls_profile(uint16_t profile)
{
	for (size_t i = 0; profile != 0 && i < N_SUITES; i++)
		if (suites[i].dtls_profile == profile)
			return &suites[i];
	return NULL;
}

const struct srtp_suite *srtp_suite_by_dtls_name(const char *name)
{
	for (size_t i = 0; name != NULL && i < N_SUITES; i++)
		if (suites[i].dtls_name != NULL && strcmp(suites[i].dtls_name, name) == 0)
			return &suites[i];
	return NULL;
}

const char *srtp_suite_dtls_profiles(void)
{
	return "SRTP_AEAD_AES_128_GCM:SRTP_AEAD_AES_256_GCM:SRTP_AES128_CM_SHA1_80:"
	       "SRTP_AES128_CM_SHA1_32";
}

int srtp_suite_split_dtls_keys(const struct srtp_suite *s, const uint8_t *material, size_t len,
			       bool is_client, uint8_t *local, uint8_t *remote)
{
	const uint8_t *client_key, *server_key, *client_salt, *server_salt;

	if (s == NULL || len != 2 * (s->key_len + s->salt_len))
		return -1;
	client_key = material;
	server_key = client_key + s->key_len;
	client_salt = server_key + s->key_len;
	server_salt = client_salt + s->salt_len;
	/* each side sends with its own write key: the client's is client_key */
	memcpy(local, is_client ? client_key : server_key, s->key_len);
	memcpy(local + s->key_len, is_client ? client_salt : server_salt, s->salt_len);
	memcpy(remote, is_client ? server_key : client_key, s->key_len);
	memcpy(remote + s->key_len, is_client ? server_salt : client_salt, s->salt_len);
	return 0;
}
