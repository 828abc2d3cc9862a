/*
 * turnclient_build.c - TURN client requests: their attributes from a
 * struct turnc_req, the credentials each auth mode puts in (RFC 8489
 * §9.2.4, §14.3-§14.6) and the outcome code of an answer.
 */
#include <errno.h>
#include <openssl/rand.h>
#include <string.h>

#include "client/turnclient.h"
#include "client/turnclient_internal.h"
#include "stun/wire.h"

/* The request's own attributes, in the order RFC 8656 lists them. */
static void turnc_put_attrs(struct stun_builder *b, const struct turnc_req *q)
{
	if (q->transport)
		stun_put_transport(b, q->transport);
	if (q->family)
		stun_put_family(b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, q->family);
	if (q->additional_family)
		stun_put_family(b, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY, q->additional_family);
	if (q->even_port)
		stun_put_even_port(b, q->even_port_r);
	if (q->dont_fragment)
		stun_put(b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	if (q->token)
		stun_put_token(b, q->token);
	if (q->has_lifetime)
		stun_put_u32(b, STUN_ATTR_LIFETIME, q->lifetime_s);
	if (q->channel)
		stun_put_channel(b, q->channel);
	for (int i = 0; i < TURNC_REQ_PEERS && q->peer[i]; i++)
		stun_put_xor_addr(b, STUN_ATTR_XOR_PEER_ADDRESS,
				  (const struct sockaddr *)q->peer[i]);
	if (q->connection_id)
		stun_put_u32(b, STUN_ATTR_CONNECTION_ID, q->connection_id);
	if (q->has_bandwidth)
		stun_put_u32(b, STUN_ATTR_BANDWIDTH, q->bandwidth);
	if (q->has_ticket)
		stun_put(b, STUN_ATTR_MOBILITY_TICKET, q->ticket, q->ticket_len);
	if (q->unknown_attr) {
		static const uint8_t v[4] = {1, 2, 3, 4};

		stun_put(b, q->unknown_attr, v, sizeof(v));
	}
}

/* AUTO: what the server's challenge chose (turnc_take_challenge()). */
static void turnc_put_auto_auth(struct turnc *c, struct stun_builder *b)
{
	stun_put_str(b, STUN_ATTR_USERNAME, c->user);
	stun_put_str(b, STUN_ATTR_REALM, c->realm);
	stun_put(b, STUN_ATTR_NONCE, c->nonce, c->nonce_len);
	if (c->pw_algs_len) {
		stun_put(b, STUN_ATTR_PASSWORD_ALGORITHMS, c->pw_algs, c->pw_algs_len);
		stun_put_pw_alg(b, c->pw_alg);
	}
	if (c->pw_alg == STUN_PW_ALG_SHA256)
		stun_put_integrity_sha256(b, c->key, (size_t)c->key_len);
	else
		stun_put_integrity(b, c->key, (size_t)c->key_len);
}

/* An explicit mode: exactly the attributes it names, the key derived for it. */
static int turnc_put_explicit_auth(struct turnc *c, struct stun_builder *b, enum turnc_auth auth)
{
	uint16_t alg = STUN_PW_ALG_MD5;

	if (auth == TURNC_AUTH_SHA256 || auth == TURNC_AUTH_SHA256_NO_LIST)
		alg = STUN_PW_ALG_SHA256;
	c->key_len = stun_lt_key(alg, c->user, c->realm, c->pass, c->key);
	if (c->key_len < 0)
		return -1;
	if (auth == TURNC_AUTH_USERHASH) {
		uint8_t hash[32];

		stun_userhash(c->user, c->realm, hash);
		stun_put(b, STUN_ATTR_USERHASH, hash, sizeof(hash));
	} else {
		stun_put_str(b, STUN_ATTR_USERNAME, c->user);
	}
	stun_put_str(b, STUN_ATTR_REALM, c->realm);
	stun_put(b, STUN_ATTR_NONCE, c->nonce, c->nonce_len);
	if (auth == TURNC_AUTH_SHA256)
		stun_put(b, STUN_ATTR_PASSWORD_ALGORITHMS, c->pw_algs, c->pw_algs_len);
	if (alg == STUN_PW_ALG_SHA256) {
		stun_put_pw_alg(b, alg);
		stun_put_integrity_sha256(b, c->key, (size_t)c->key_len);
	} else {
		stun_put_integrity(b, c->key, (size_t)c->key_len);
	}
	return 0;
}

/* q with transaction ID tid into buf, credentials as its mode and the state say. */
size_t turnc_build_tid(struct turnc *c, const struct turnc_req *q, const uint8_t tid[STUN_TID_LEN],
		       uint8_t *buf, size_t cap)
{
	enum turnc_auth auth = q->auth;
	struct stun_builder b;

	stun_build_start(&b, buf, cap, q->method, STUN_REQUEST, tid);
	turnc_put_attrs(&b, q);
	/* no credentials until the server has challenged */
	if ((auth == TURNC_AUTH_AUTO && !c->authed) || !c->nonce_len)
		auth = TURNC_AUTH_NONE;
	c->req_signed = auth != TURNC_AUTH_NONE;
	if (auth == TURNC_AUTH_AUTO)
		turnc_put_auto_auth(c, &b);
	else if (auth != TURNC_AUTH_NONE && turnc_put_explicit_auth(c, &b, auth) < 0)
		return 0;
	if (q->fingerprint)
		stun_put_fingerprint(&b);
	return stun_build_end(&b);
}

size_t turnc_build(struct turnc *c, const struct turnc_req *q, uint8_t *buf, size_t cap)
{
	uint8_t tid[STUN_TID_LEN];

	if (RAND_bytes(tid, sizeof(tid)) != 1)
		return 0;
	return turnc_build_tid(c, q, tid, buf, cap);
}

int turnc_msg_result(const struct stun_msg *m)
{
	const struct stun_attr *e;
	const char *reason;
	size_t reason_len;
	int code;

	if (m->cls == STUN_SUCCESS)
		return 0;
	if (m->cls != STUN_ERROR)
		return -EPROTO;
	e = stun_msg_find(m, STUN_ATTR_ERROR_CODE);
	if (!e || stun_attr_error(e, &code, &reason, &reason_len) < 0)
		return -EPROTO;
	return code;
}
