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
	struct turnc_req q = t->q;

	for (int i = 0; i < t->npeers; i++)
		q.peer[i] = &t->peers[i];
	t->req_len = turnc_build_tid(c, &q, t->tid, t->req, sizeof(t->req));
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
	if (c->txn_timeout_ms) {
		/* turnc_set_timing(): RTO doubling up to a deadline per request */
		if (t->tries++ == 0)
			t->deadline_us = now_us + (uint64_t)c->txn_timeout_ms * 1000u;
		t->next_us = c->tcp ? t->deadline_us : now_us + (uint64_t)t->rto_ms * 1000u;
		if (t->next_us > t->deadline_us)
			t->next_us = t->deadline_us;
		t->rto_ms *= 2;
		return 0;
	}
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
	t->rto_ms = c->rto_ms ? c->rto_ms : TURNC_RTO_MS;
	ret = turnc_build_request(c);
	if (ret == 0)
		ret = turnc_txn_send(c, now_us);
	if (ret < 0)
		return ret;
	t->state = TURNC_TXN_PENDING;
	turnc_log(c, "-> %s request", stun_method_name(t->method));
	return 0;
}

void turnc_set_timing(struct turnc *c, int rto_ms, int timeout_ms)
{
	c->rto_ms = rto_ms > 0 ? rto_ms : 0;
	c->txn_timeout_ms = timeout_ms > 0 ? timeout_ms : 0;
}

/* A new transaction: no answer yet, nothing retried. */
static void turnc_txn_reset(struct turnc *c, uint16_t method, bool raw)
{
	c->txn.method = method;
	c->txn.raw = raw;
	c->txn.auth_retries = 0;
	c->txn.stale_retries = 0;
	c->txn.result = 0;
	c->txn.reason[0] = '\0';
	c->txn.answered = false;
	c->resp_len = 0;
	c->resp_signed = c->resp_sha256 = false;
}

int turnc_start_request(struct turnc *c, const struct turnc_req *q, uint64_t now_us)
{
	struct turnc_txn *t = &c->txn;

	if (t->state == TURNC_TXN_PENDING)
		return -EBUSY;
	/* keep the peers by value: the request is rebuilt after a 401/438 */
	t->q = *q;
	t->npeers = 0;
	for (int i = 0; i < TURNC_REQ_PEERS && q->peer[i]; i++) {
		t->peers[i] = *q->peer[i];
		t->q.peer[i] = NULL;
		t->npeers++;
	}
	turnc_txn_reset(c, q->method, false);
	return turnc_txn_begin(c, now_us);
}

int turnc_start_binding(struct turnc *c, uint64_t now_us)
{
	struct turnc_req q = {.method = STUN_BINDING, .auth = TURNC_AUTH_AUTO, .fingerprint = true};

	return turnc_start_request(c, &q, now_us);
}

int turnc_start_allocate(struct turnc *c, const struct turnc_alloc_opts *opts, uint64_t now_us)
{
	struct turnc_req q = {.method = TURN_ALLOCATE,
			      .auth = TURNC_AUTH_AUTO,
			      .transport = TURN_TRANSPORT_UDP,
			      .family = opts->family,
			      .additional_family = opts->additional_family,
			      .even_port = opts->even_port,
			      .dont_fragment = opts->dont_fragment,
			      .has_lifetime = opts->lifetime_s != 0,
			      .lifetime_s = opts->lifetime_s,
			      .has_ticket = opts->mobility,
			      .fingerprint = true};

	return turnc_start_request(c, &q, now_us);
}

int turnc_start_refresh(struct turnc *c, uint32_t lifetime_s, uint64_t now_us)
{
	struct turnc_req q = {.method = TURN_REFRESH,
			      .auth = TURNC_AUTH_AUTO,
			      .has_lifetime = true,
			      .lifetime_s = lifetime_s,
			      .fingerprint = true};

	return turnc_start_request(c, &q, now_us);
}

/* CreatePermission or ChannelBind to one peer. */
static int turnc_start_peer(struct turnc *c, uint16_t method, uint16_t channel,
			    const struct sockaddr *peer, uint64_t now_us)
{
	struct sockaddr_storage ss;
	struct turnc_req q = {
	    .method = method, .auth = TURNC_AUTH_AUTO, .channel = channel, .fingerprint = true};

	if (addr_len(peer) == 0)
		return -EAFNOSUPPORT;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, peer, addr_len(peer));
	q.peer[0] = &ss;
	return turnc_start_request(c, &q, now_us);
}

int turnc_start_permission(struct turnc *c, const struct sockaddr *peer, uint64_t now_us)
{
	return turnc_start_peer(c, TURN_CREATE_PERMISSION, 0, peer, now_us);
}

int turnc_start_channel_bind(struct turnc *c, uint16_t channel, const struct sockaddr *peer,
			     uint64_t now_us)
{
	return turnc_start_peer(c, TURN_CHANNEL_BIND, channel, peer, now_us);
}

int turnc_request_raw(struct turnc *c, const uint8_t *buf, size_t len)
{
	struct turnc_txn *t = &c->txn;
	uint64_t now_us = turnc_now_us();
	int ret;

	if (t->state == TURNC_TXN_PENDING)
		return -EBUSY;
	if (len < STUN_HEADER_LEN || len > sizeof(t->req))
		return -EMSGSIZE;
	turnc_txn_reset(c, stun_type_method(wire_get16(buf)), true);
	memcpy(t->req, buf, len);
	t->req_len = len;
	memcpy(t->tid, buf + 8, STUN_TID_LEN);
	t->tries = 0;
	t->rto_ms = c->rto_ms ? c->rto_ms : TURNC_RTO_MS;
	ret = turnc_txn_send(c, now_us);
	if (ret < 0)
		return ret;
	t->state = TURNC_TXN_PENDING;
	return turnc_wait(c);
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
	if (c->txn_timeout_ms ? now_us >= t->deadline_us : c->tcp || t->tries >= TURNC_UDP_TRIES) {
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
	/* RFC 8016 §3.1, §3.2: each answer's ticket replaces the last */
	a = stun_msg_find(m, STUN_ATTR_MOBILITY_TICKET);
	if (a && a->len <= sizeof(c->ticket) &&
	    (c->txn.method == TURN_ALLOCATE || c->txn.method == TURN_REFRESH)) {
		memcpy(c->ticket, a->val, a->len);
		c->ticket_len = a->len;
	}
	return 0;
}

void turnc_keep_challenge(struct turnc *c, const struct stun_msg *m)
{
	const struct stun_attr *realm = stun_msg_find(m, STUN_ATTR_REALM);
	const struct stun_attr *nonce = stun_msg_find(m, STUN_ATTR_NONCE);
	const struct stun_attr *algs = stun_msg_find(m, STUN_ATTR_PASSWORD_ALGORITHMS);

	if (realm && !c->realm_fixed)
		turnc_attr_str(realm, c->realm, sizeof(c->realm));
	if (nonce && nonce->len <= sizeof(c->nonce)) {
		memcpy(c->nonce, nonce->val, nonce->len);
		c->nonce_len = nonce->len;
	}
	if (algs && algs->len <= sizeof(c->pw_algs)) {
		memcpy(c->pw_algs, algs->val, algs->len);
		c->pw_algs_len = algs->len;
	}
}

/* Whether the response is signed with the key of the request it answers. */
static void turnc_check_signed(struct turnc *c, const struct stun_msg *m)
{
	c->resp_signed = c->resp_sha256 = false;
	if (!c->req_signed || c->key_len <= 0)
		return;
	if (m->mi256_idx >= 0) {
		c->resp_sha256 = true;
		c->resp_signed =
		    stun_msg_check_integrity_sha256(m, c->key, (size_t)c->key_len) == 0;
	} else if (m->mi_idx >= 0) {
		c->resp_signed = stun_msg_check_integrity(m, c->key, (size_t)c->key_len) == 0;
	}
}

/* End the transaction with the response m: keep it whole for turnc_response(). */
static void turnc_txn_answer(struct turnc *c, const struct stun_msg *m, int result)
{
	const struct turnc_req *q = &c->txn.q;

	c->txn.answered = true;
	c->resp_len = 0;
	if (m->len <= sizeof(c->resp)) {
		memcpy(c->resp, m->buf, m->len);
		if (stun_msg_parse(&c->resp_msg, c->resp, m->len) == STUN_PARSE_OK)
			c->resp_len = m->len;
	}
	if (!c->txn.raw && result == 0 && q->method == TURN_ALLOCATE)
		c->allocated = true;
	if (!c->txn.raw && q->method == TURN_REFRESH &&
	    ((result == 0 && q->has_lifetime && !q->lifetime_s) ||
	     result == TURN_ERR_ALLOCATION_MISMATCH))
		c->allocated = false;
	turnc_txn_finish(c, result);
}

static bool turnc_explicit_auth(enum turnc_auth auth)
{
	return auth != TURNC_AUTH_NONE && auth != TURNC_AUTH_AUTO;
}

/* Resend the transaction after a challenge; true when it finished instead. */
static bool turnc_txn_resend(struct turnc *c, uint64_t now_us)
{
	int ret = turnc_txn_begin(c, now_us);

	if (ret < 0) {
		turnc_txn_finish(c, ret);
		return true;
	}
	return false;
}

/*
 * Explicit auth modes: a bare request's 401 is answered with credentials
 * once, a 438 to a signed one with the new nonce once (unless no_retry).
 */
static bool turnc_explicit_retry(struct turnc *c, const struct stun_msg *m, int code)
{
	struct turnc_txn *t = &c->txn;

	if (code == STUN_ERR_UNAUTHORIZED && !c->req_signed && t->auth_retries == 0)
		t->auth_retries++;
	else if (code == STUN_ERR_STALE_NONCE && c->req_signed && !c->no_retry &&
		 t->stale_retries == 0)
		t->stale_retries++;
	else
		return false;
	turnc_keep_challenge(c, m);
	return true;
}

/* A response to the pending transaction; true when it finished it. */
bool turnc_txn_on_response(struct turnc *c, const struct stun_msg *m, uint64_t now_us)
{
	struct turnc_txn *t = &c->txn;
	const struct stun_attr *a;
	const char *reason;
	size_t reason_len;
	int code;

	if (t->state != TURNC_TXN_PENDING || memcmp(m->tid, t->tid, STUN_TID_LEN) != 0 ||
	    (!t->raw && m->method != t->method)) {
		c->dropped++;
		return false;
	}
	/* RFC 8489 §9.2.5: a response that carries a bad MAC is discarded */
	if (!t->raw && t->q.auth == TURNC_AUTH_AUTO && c->authed && m->mi_idx >= 0 &&
	    c->pw_alg == STUN_PW_ALG_MD5 &&
	    stun_msg_check_integrity(m, c->key, (size_t)c->key_len) < 0) {
		c->dropped++;
		return false;
	}
	if (!t->raw && t->q.auth == TURNC_AUTH_AUTO && c->authed && m->mi256_idx >= 0 &&
	    c->pw_alg == STUN_PW_ALG_SHA256 &&
	    stun_msg_check_integrity_sha256(m, c->key, (size_t)c->key_len) < 0) {
		c->dropped++;
		return false;
	}
	turnc_check_signed(c, m);
	if (t->raw) {
		turnc_txn_answer(c, m, turnc_msg_result(m));
		return true;
	}
	if (m->cls == STUN_SUCCESS) {
		code = turnc_take_success(c, m) < 0 ? -EPROTO : 0;
		/* explicit credentials: the success must be signed with them */
		if (code == 0 && turnc_explicit_auth(t->q.auth) && !c->resp_signed) {
			turnc_log(c, "<- %s success without a valid integrity attribute",
				  stun_method_name(t->method));
			code = -EBADMSG;
		} else {
			turnc_log(c, "<- %s success", stun_method_name(t->method));
		}
		turnc_txn_answer(c, m, code);
		return true;
	}
	a = stun_msg_find(m, STUN_ATTR_ERROR_CODE);
	if (!a || stun_attr_error(a, &code, &reason, &reason_len) < 0) {
		turnc_txn_answer(c, m, -EPROTO);
		return true;
	}
	if (reason_len >= sizeof(t->reason))
		reason_len = sizeof(t->reason) - 1;
	memcpy(t->reason, reason, reason_len);
	t->reason[reason_len] = '\0';
	turnc_log(c, "<- %s error %d", stun_method_name(t->method), code);
	if (turnc_explicit_auth(t->q.auth)) {
		if (turnc_explicit_retry(c, m, code))
			return turnc_txn_resend(c, now_us);
		goto done;
	}
	if (t->q.auth == TURNC_AUTH_AUTO &&
	    (code == STUN_ERR_UNAUTHORIZED || code == STUN_ERR_STALE_NONCE) && c->user[0] &&
	    t->auth_retries < TURNC_MAX_AUTH_RETRIES) {
		/* a second 401 with credentials means they are wrong */
		if (code == STUN_ERR_UNAUTHORIZED && c->authed && t->auth_retries > 0)
			goto done;
		if (turnc_take_challenge(c, m) < 0)
			goto done;
		t->auth_retries++;
		return turnc_txn_resend(c, now_us);
	}
done:
	turnc_txn_answer(c, m, code);
	return true;
}
