/*
 * media_crypto.c - SRTP/SRTCP contexts over libsrtp2, see media_crypto.h.
 */
#include "anchor/media_crypto.h"
#include "anchor/srtp_ossl.h"
#include "common/log.h"

#include <arpa/inet.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(MCRYPTO_TRAILER_MAX >= SRTP_MAX_TRAILER_LEN + 4, "SRTCP trailer room");

struct mcrypto {
	srtp_t session;
	enum mcrypto_dir dir;
	const struct srtp_suite *suite;
	uint32_t ssrc[MCRYPTO_MAX_SSRC];
	size_t n_ssrc;
	size_t next_evict; /* the oldest SSRC when the table is full */
	struct mcrypto_stats stats;
};

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t init_status = srtp_err_status_fail;

/* libsrtp2, with libcrypto's AES and HMAC in place of its own (srtp_ossl.h) */
static void mcrypto_init(void)
{
	char err[160];

	init_status = srtp_init();
	if (init_status == srtp_err_status_ok && srtp_ossl_install(err, sizeof(err)) < 0)
		log_warn("anchor: SRTP stays on libsrtp2's own crypto: %s", err);
}

static int mc_err(char *err, size_t errlen, const char *msg)
{
	if (errlen > 0)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

/* the policy of a suite; the _32 suites keep 80-bit tags on SRTCP
 * (RFC 5764 §4.1.2, RFC 4568 §6.2.2) */
static int suite_policy(const struct srtp_suite *s, srtp_crypto_policy_t *rtp,
			srtp_crypto_policy_t *rtcp)
{
	switch (s->id) {
	case SRTP_SUITE_AES_CM_128_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case SRTP_SUITE_AES_CM_128_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_80(rtcp);
		return 0;
	case SRTP_SUITE_AES_256_CM_HMAC_SHA1_80:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		return 0;
	case SRTP_SUITE_AES_256_CM_HMAC_SHA1_32:
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(rtp);
		srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(rtcp);
		return 0;
	case SRTP_SUITE_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(rtcp);
		return 0;
	case SRTP_SUITE_AEAD_AES_256_GCM:
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtp);
		srtp_crypto_policy_set_aes_gcm_256_16_auth(rtcp);
		return 0;
	case SRTP_SUITE_NONE:
	case SRTP_SUITE_COUNT:
		break;
	}
	return -1;
}

struct mcrypto *mcrypto_new(const struct mcrypto_params *p, enum mcrypto_dir dir, char *err,
			    size_t errlen)
{
	uint8_t key[SRTP_SUITE_MAX_KEY_SALT_LEN];
	srtp_policy_t policy;
	struct mcrypto *c;
	srtp_err_status_t st;

	pthread_once(&init_once, mcrypto_init);
	if (init_status != srtp_err_status_ok) {
		mc_err(err, errlen, "libsrtp2 failed to initialise");
		return NULL;
	}
	if (p->suite == NULL || p->key_salt_len != p->suite->key_len + p->suite->salt_len) {
		mc_err(err, errlen, "SRTP key||salt does not match its suite");
		return NULL;
	}
	memset(&policy, 0, sizeof(policy));
	if (suite_policy(p->suite, &policy.rtp, &policy.rtcp) != 0) {
		mc_err(err, errlen, "SRTP suite is not supported");
		return NULL;
	}
	if (p->unencrypted_srtp)
		policy.rtp.sec_serv &= ~sec_serv_conf;
	if (p->unauthenticated_srtp)
		policy.rtp.sec_serv &= ~sec_serv_auth;
	if (p->unencrypted_srtcp)
		policy.rtcp.sec_serv &= ~sec_serv_conf;
	memcpy(key, p->key_salt, p->key_salt_len);
	policy.key = key;
	policy.ssrc.type = dir == MCRYPTO_INBOUND ? ssrc_any_inbound : ssrc_any_outbound;
	policy.window_size = p->window;
	/* the anchor forwards what it gets: a party's retransmission of a
	 * packet is protected again as it is, not refused */
	policy.allow_repeat_tx = dir == MCRYPTO_OUTBOUND;
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		OPENSSL_cleanse(key, sizeof(key));
		mc_err(err, errlen, "out of memory");
		return NULL;
	}
	st = srtp_create(&c->session, &policy);
	OPENSSL_cleanse(key, sizeof(key));
	if (st != srtp_err_status_ok) {
		free(c);
		mc_err(err, errlen, "libsrtp2 refused the SRTP policy");
		return NULL;
	}
	c->dir = dir;
	c->suite = p->suite;
	return c;
}

void mcrypto_free(struct mcrypto *c)
{
	if (c == NULL)
		return;
	srtp_dealloc(c->session);
	free(c);
}

static bool ssrc_known(const struct mcrypto *c, uint32_t ssrc)
{
	for (size_t i = 0; i < c->n_ssrc; i++)
		if (c->ssrc[i] == ssrc)
			return true;
	return false;
}

/*
 * Remembers ssrc. When the table is full, the oldest SSRC's libsrtp2
 * stream goes (its rollover counter and replay window with it): a PBX
 * that changes SSRC on every transfer keeps talking, and a context never
 * holds more than MCRYPTO_MAX_SSRC + 1 streams.
 */
static void ssrc_add(struct mcrypto *c, uint32_t ssrc)
{
	if (ssrc_known(c, ssrc))
		return;
	if (c->n_ssrc < MCRYPTO_MAX_SSRC) {
		c->ssrc[c->n_ssrc++] = ssrc;
		return;
	}
	srtp_remove_stream(c->session, htonl(c->ssrc[c->next_evict]));
	c->ssrc[c->next_evict] = ssrc;
	c->next_evict = (c->next_evict + 1) % MCRYPTO_MAX_SSRC;
	c->stats.ssrc_evicted++;
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* RTP (RFC 3550 §5.1): 12 bytes, version 2, SSRC at 8; RTCP: 8 bytes,
 * version 2, sender SSRC at 4. */
static bool packet_ssrc(bool rtcp, const uint8_t *buf, size_t len, uint32_t *ssrc)
{
	if (len < (rtcp ? 8u : 12u) || (buf[0] >> 6) != 2)
		return false;
	*ssrc = be32(buf + (rtcp ? 4 : 8));
	return true;
}

static enum mcrypto_result count(struct mcrypto *c, enum mcrypto_result r)
{
	switch (r) {
	case MCRYPTO_OK:
		c->stats.ok++;
		break;
	case MCRYPTO_AUTH_FAIL:
		c->stats.auth_fail++;
		break;
	case MCRYPTO_REPLAY:
		c->stats.replay++;
		break;
	case MCRYPTO_MALFORMED:
		c->stats.malformed++;
		break;
	case MCRYPTO_ERROR:
		c->stats.error++;
		break;
	}
	return r;
}

static enum mcrypto_result from_status(srtp_err_status_t st)
{
	switch (st) {
	case srtp_err_status_ok:
		return MCRYPTO_OK;
	case srtp_err_status_auth_fail:
		return MCRYPTO_AUTH_FAIL;
	case srtp_err_status_replay_fail:
	case srtp_err_status_replay_old:
		return MCRYPTO_REPLAY;
	case srtp_err_status_bad_param:
	case srtp_err_status_parse_err:
		return MCRYPTO_MALFORMED;
	default:
		return MCRYPTO_ERROR;
	}
}

enum mcrypto_result mcrypto_protect(struct mcrypto *c, bool rtcp, uint8_t *buf, size_t *len,
				    size_t cap)
{
	uint32_t ssrc;
	int n;
	enum mcrypto_result r;

	if (c->dir != MCRYPTO_OUTBOUND || !packet_ssrc(rtcp, buf, *len, &ssrc) ||
	    cap < *len + MCRYPTO_TRAILER_MAX || *len > (size_t)INT32_MAX - MCRYPTO_TRAILER_MAX)
		return count(c, MCRYPTO_MALFORMED);
	/* outbound: the oldest stream goes first, so libsrtp2 never holds more */
	ssrc_add(c, ssrc);
	n = (int)*len;
	r = from_status(rtcp ? srtp_protect_rtcp(c->session, buf, &n)
			     : srtp_protect(c->session, buf, &n));
	if (r == MCRYPTO_OK)
		*len = (size_t)n;
	return count(c, r);
}

enum mcrypto_result mcrypto_unprotect(struct mcrypto *c, bool rtcp, uint8_t *buf, size_t *len)
{
	uint32_t ssrc;
	int n;
	enum mcrypto_result r;

	if (c->dir != MCRYPTO_INBOUND || !packet_ssrc(rtcp, buf, *len, &ssrc) ||
	    *len > (size_t)INT32_MAX)
		return count(c, MCRYPTO_MALFORMED);
	n = (int)*len;
	r = from_status(rtcp ? srtp_unprotect_rtcp(c->session, buf, &n)
			     : srtp_unprotect(c->session, buf, &n));
	/* inbound: an SSRC counts once a packet of it authenticated (libsrtp2
	   makes its stream only then) */
	if (r == MCRYPTO_OK) {
		ssrc_add(c, ssrc);
		*len = (size_t)n;
	}
	return count(c, r);
}

const struct mcrypto_stats *mcrypto_stats(const struct mcrypto *c)
{
	return &c->stats;
}

const struct srtp_suite *mcrypto_suite(const struct mcrypto *c)
{
	return c->suite;
}

const char *mcrypto_result_name(enum mcrypto_result r)
{
	switch (r) {
	case MCRYPTO_OK:
		return "ok";
	case MCRYPTO_AUTH_FAIL:
		return "auth-fail";
	case MCRYPTO_REPLAY:
		return "replay";
	case MCRYPTO_MALFORMED:
		return "malformed";
	case MCRYPTO_ERROR:
		return "error";
	}
	return "?";
}
