/*
 * turnclient_txn.c - TURN client transactions: building requests,
 * retransmission (RFC 8489 §6.2.1), the long-term credential challenge
 * (§9.2) and the outcome of each response.
 */
#include <errno.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "client/turnclient.h"
#include "client/turnclient_internal.h"
#include "common/addr.h"
#include "stun/wire.h"

#define TURNC_MAX_AUTH_RETRIES 3

/* Verbose trace of the protocol exchange, one line per message. */
__attribute__((format(printf, 2, 3))) static void turnc_log(const struct turnc *c, const char *fmt,
							    ...)
{
	char buf[ADDR_STRLEN];
	va_list ap;

	if (!c->verbose)
		return;
	fprintf(stderr, "%s: ", addr_str((const struct sockaddr *)&c->local, buf, sizeof(buf)));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Build the transaction's request from its description and the auth state. */
static int turnc_build_request(struct turnc *c)
{
	struct turnc_txn *t = &c->txn;
	struct stun_builder b;

	stun_build_start(&b, t->req, sizeof(t->req), t->method, STUN_REQUEST, t->tid);
	switch (t->method) {
	case TURN_ALLOCATE:
		stun_put_transport(&b, TURN_TRANSPORT_UDP);
		if (t->alloc.family)
			stun_put_family(&b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, t->alloc.family);
		if (t->alloc.additional_family)
			stun_put_family(&b, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY,
					t->alloc.additional_family);
		if (t->alloc.even_port)
			stun_put_even_port(&b, false);
		if (t->alloc.dont_fragment)
			stun_put(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
		if (t->alloc.lifetime_s)
			stun_put_u32(&b, STUN_ATTR_LIFETIME, t->alloc.lifetime_s);
		break;
	case TURN_REFRESH:
		stun_put_u32(&b, STUN_ATTR_LIFETIME, t->lifetime_s);
		break;
	case TURN_CREATE_PERMISSION:
		stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&t->peer);
		break;
	case TURN_CHANNEL_BIND:
		stun_put_channel(&b, t->channel);
		stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&t->peer);
		break;
	default:
		break;
	}
	if (c->authed) {
		stun_put_str(&b, STUN_ATTR_USERNAME, c->user);
		stun_put_str(&b, STUN_ATTR_REALM, c->realm);
		stun_put(&b, STUN_ATTR_NONCE, c->nonce, c->nonce_len);
		if (c->pw_algs_len) {
			stun_put(&b, STUN_ATTR_PASSWORD_ALGORITHMS, c->pw_algs, c->pw_algs_len);
			stun_put_pw_alg(&b, c->pw_alg);
		}
		if (c->pw_alg == STUN_PW_ALG_SHA256)
			stun_put_integrity_sha256(&b, c->key, (size_t)c->key_len);
		else
			stun_put_integrity(&b, c->key, (size_t)c->key_len);
	}
	stun_put_fingerprint(&b);
	t->req_len = stun_build_end(&b);
	return t->req_len ? 0 : -ENOBUFS;
}

void turnc_txn_finish(struct turnc *c, int result)
{
	c->txn.state = TURNC_TXN_DONE;
	c->txn.result = result;
}

static int turnc_txn_send(struct turnc *c, uint64_t now_us)
{
	struct turnc_txn *t = &c->txn;
	int ret;

	ret = turnc_send_bytes(c, t->req, t->req_len);
	/* a datagram that did not go out is simply retransmitted later */
	if (ret < 0 && (c->tcp || ret != -EAGAIN))
		return ret;
	t->tries++;
	if (c->tcp) {
		t->next_us = now_us + TURNC_TCP_TIMEOUT_MS * 1000u;
	} else if (t->tries < TURNC_UDP_TRIES) {
		t->next_us = now_us + (uint64_t)t->rto_ms * 1000u;
		t->rto_ms *= 2;
	} else {
		t->next_us = now_us + (uint64_t)TURNC_UDP_LAST_WAIT_RTO * TURNC_RTO_MS * 1000u;
	}
	return 0;
}

/* New transaction id and schedule, then send: the first try or an auth retry. */
static int turnc_txn_begin(struct turnc *c, uint64_t now_us)
{
	struct turnc_txn *t = &c->txn;
	int ret;

	if (RAND_bytes(t->tid, STUN_TID_LEN) != 1)
		return -EIO;
	t->tries = 0;
	t->rto_ms = TURNC_RTO_MS;
	ret = turnc_build_request(c);
	if (ret == 0)
		ret = turnc_txn_send(c, now_us);
	if (ret < 0)
		return ret;
	t->state = TURNC_TXN_PENDING;
	turnc_log(c, "-> %s request", stun_method_name(t->method));
	return 0;
}

static int turnc_start(struct turnc *c, uint16_t method, uint64_t now_us)
{
	if (c->txn.state == TURNC_TXN_PENDING)
		return -EBUSY;
	c->txn.method = method;
	c->txn.auth_retries = 0;
	c->txn.result = 0;
	c->txn.reason[0] = '\0';
	return turnc_txn_begin(c, now_us);
}

int turnc_start_binding(struct turnc *c, uint64_t now_us)
{
	return turnc_start(c, STUN_BINDING, now_us);
}

int turnc_start_allocate(struct turnc *c, const struct turnc_alloc_opts *opts, uint64_t now_us)
{
	if (c->txn.state == TURNC_TXN_PENDING)
		return -EBUSY;
	c->txn.alloc = *opts;
	return turnc_start(c, TURN_ALLOCATE, now_us);
}

int turnc_start_refresh(struct turnc *c, uint32_t lifetime_s, uint64_t now_us)
{
	if (c->txn.state == TURNC_TXN_PENDING)
		return -EBUSY;
	c->txn.lifetime_s = lifetime_s;
	return turnc_start(c, TURN_REFRESH, now_us);
}

int turnc_start_permission(struct turnc *c, const struct sockaddr *peer, uint64_t now_us)
{
	if (c->txn.state == TURNC_TXN_PENDING)
		return -EBUSY;
	if (addr_len(peer) == 0)
		return -EAFNOSUPPORT;
	memset(&c->txn.peer, 0, sizeof(c->txn.peer));
	memcpy(&c->txn.peer, peer, addr_len(peer));
	return turnc_start(c, TURN_CREATE_PERMISSION, now_us);
}

int turnc_start_channel_bind(struct turnc *c, uint16_t channel, const struct sockaddr *peer,
			     uint64_t now_us)
{
	if (c->txn.state == TURNC_TXN_PENDING)
		return -EBUSY;
	if (addr_len(peer) == 0)
		return -EAFNOSUPPORT;
	memset(&c->txn.peer, 0, sizeof(c->txn.peer));
	memcpy(&c->txn.peer, peer, addr_len(peer));
	c->txn.channel = channel;
	return turnc_start(c, TURN_CHANNEL_BIND, now_us);
}

bool turnc_txn_pending(const struct turnc *c)
{
	return c->txn.state == TURNC_TXN_PENDING;
}

int turnc_txn_result(const struct turnc *c)
{
	return c->txn.result;
}

const char *turnc_txn_reason(const struct turnc *c)
{
	return c->txn.reason;
}

int turnc_timeout_ms(const struct turnc *c, uint64_t now_us)
{
	if (c->txn.state != TURNC_TXN_PENDING)
		return -1;
	if (now_us >= c->txn.next_us)
		return 0;
	return (int)((c->txn.next_us - now_us + 999) / 1000);
}

bool turnc_tick(struct turnc *c, uint64_t now_us)
{
	struct turnc_txn *t = &c->txn;
	int ret;

	if (t->state != TURNC_TXN_PENDING || now_us < t->next_us)
		return false;
	if (c->tcp || t->tries >= TURNC_UDP_TRIES) {
		turnc_log(c, "%s request timed out", stun_method_name(t->method));
		turnc_txn_finish(c, -ETIMEDOUT);
		return true;
	}
	ret = turnc_txn_send(c, now_us);
	if (ret < 0) {
		turnc_txn_finish(c, ret);
		return true;
	}
	return false;
}

/* Copy a string attribute into a NUL-terminated buffer; -1 if too long. */
static int turnc_attr_str(const struct stun_attr *a, char *out, size_t cap)
{
	if (a->len >= cap)
		return -1;
	memcpy(out, a->val, a->len);
	out[a->len] = '\0';
	return 0;
}

/*
 * RFC 8489 §9.2.4: take REALM and NONCE from a 401/438 and derive the key.
 * When the nonce cookie announces password algorithms, pick MD5 if offered,
 * else SHA-256, and echo the server's list.
 */
static int turnc_take_challenge(struct turnc *c, const struct stun_msg *m)
{
	const struct stun_attr *realm = stun_msg_find(m, STUN_ATTR_REALM);
	const struct stun_attr *nonce = stun_msg_find(m, STUN_ATTR_NONCE);
	const struct stun_attr *algs = stun_msg_find(m, STUN_ATTR_PASSWORD_ALGORITHMS);
	uint32_t features;
	int len;

	if (!nonce || nonce->len > sizeof(c->nonce))
		return -1;
	if (!c->realm_fixed) {
		if (!realm || turnc_attr_str(realm, c->realm, sizeof(c->realm)) < 0)
			return -1;
	}
	memcpy(c->nonce, nonce->val, nonce->len);
	c->nonce_len = nonce->len;
	c->pw_alg = STUN_PW_ALG_MD5;
	c->pw_algs_len = 0;
	if (algs && algs->len <= sizeof(c->pw_algs) &&
	    stun_nonce_cookie_features(nonce->val, nonce->len, &features) == 0 &&
	    (features & STUN_FEATURE_PASSWORD_ALGORITHMS)) {
		bool md5 = false, sha256 = false;

		/* each entry: algorithm (2), parameters length (2), parameters padded */
		for (size_t off = 0; off + 4 <= algs->len;) {
			uint16_t alg = wire_get16(algs->val + off);

			if (alg == STUN_PW_ALG_MD5)
				md5 = true;
			else if (alg == STUN_PW_ALG_SHA256)
				sha256 = true;
			off += 4 + wire_pad4(wire_get16(algs->val + off + 2));
		}
		if (!md5 && !sha256)
			return -1;
		c->pw_alg = md5 ? STUN_PW_ALG_MD5 : STUN_PW_ALG_SHA256;
		memcpy(c->pw_algs, algs->val, algs->len);
		c->pw_algs_len = algs->len;
	}
	len = stun_lt_key(c->pw_alg, c->user, c->realm, c->pass, c->key);
	if (len < 0)
		return -1;
	c->key_len = len;
	c->authed = true;
	return 0;
}

/* Record what a success response tells, by method. */
static int turnc_take_success(struct turnc *c, const struct stun_msg *m)
{
	const struct stun_attr *a;
	uint32_t v;

	switch (c->txn.method) {
	case STUN_BINDING:
		a = stun_msg_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS);
		if (a)
			return stun_attr_xor_addr(m, a, &c->mapped);
		a = stun_msg_find(m, STUN_ATTR_MAPPED_ADDRESS);
		if (a)
			return stun_attr_addr(m, a, &c->mapped);
		return -1;
	case TURN_ALLOCATE:
		c->nrelayed = 0;
		for (int i = 0; i < m->nattrs; i++) {
			a = &m->attrs[i];
			if (a->type != STUN_ATTR_XOR_RELAYED_ADDRESS ||
			    c->nrelayed >= TURNC_MAX_RELAYED)
				continue;
			if (stun_attr_xor_addr(m, a, &c->relayed[c->nrelayed]) < 0)
				return -1;
			c->nrelayed++;
		}
		if (c->nrelayed == 0)
			return -1;
		a = stun_msg_find(m, STUN_ATTR_XOR_MAPPED_ADDRESS);
		if (a)
			stun_attr_xor_addr(m, a, &c->mapped);
		break;
	default:
		break;
	}
	a = stun_msg_find(m, STUN_ATTR_LIFETIME);
	if (a && stun_attr_u32(a, &v) == 0)
		c->lifetime_s = v;
	return 0;
}

/* A response to the pending transaction; true when it finished it. */
bool turnc_txn_on_response(struct turnc *c, const struct stun_msg *m, uint64_t now_us)
{
	struct turnc_txn *t = &c->txn;
	const struct stun_attr *a;
	const char *reason;
	size_t reason_len;
	int code, ret;

	if (t->state != TURNC_TXN_PENDING || memcmp(m->tid, t->tid, STUN_TID_LEN) != 0 ||
	    m->method != t->method) {
		c->dropped++;
		return false;
	}
	/* RFC 8489 §9.2.5: a response that carries a bad MAC is discarded */
	if (c->authed && m->mi_idx >= 0 && c->pw_alg == STUN_PW_ALG_MD5 &&
	    stun_msg_check_integrity(m, c->key, (size_t)c->key_len) < 0) {
		c->dropped++;
		return false;
	}
	if (c->authed && m->mi256_idx >= 0 && c->pw_alg == STUN_PW_ALG_SHA256 &&
	    stun_msg_check_integrity_sha256(m, c->key, (size_t)c->key_len) < 0) {
		c->dropped++;
		return false;
	}
	if (m->cls == STUN_SUCCESS) {
		turnc_log(c, "<- %s success", stun_method_name(t->method));
		turnc_txn_finish(c, turnc_take_success(c, m) < 0 ? -EPROTO : 0);
		return true;
	}
	a = stun_msg_find(m, STUN_ATTR_ERROR_CODE);
	if (!a || stun_attr_error(a, &code, &reason, &reason_len) < 0) {
		turnc_txn_finish(c, -EPROTO);
		return true;
	}
	if (reason_len >= sizeof(t->reason))
		reason_len = sizeof(t->reason) - 1;
	memcpy(t->reason, reason, reason_len);
	t->reason[reason_len] = '\0';
	turnc_log(c, "<- %s error %d", stun_method_name(t->method), code);
	if ((code == STUN_ERR_UNAUTHORIZED || code == STUN_ERR_STALE_NONCE) && c->user[0] &&
	    t->auth_retries < TURNC_MAX_AUTH_RETRIES) {
		/* a second 401 with credentials means they are wrong */
		if (code == STUN_ERR_UNAUTHORIZED && c->authed && t->auth_retries > 0)
			goto done;
		if (turnc_take_challenge(c, m) < 0)
			goto done;
		t->auth_retries++;
		ret = turnc_txn_begin(c, now_us);
		if (ret < 0) {
			turnc_txn_finish(c, ret);
			return true;
		}
		return false;
	}
done:
	turnc_txn_finish(c, code);
	return true;
}
