/*
 * auth.c - long-term credentials (RFC 8489 §9.2): nonces bound to the
 * client's IP address and port that expire (an RFC 6062 ConnectionBind may
 * carry its control connection's), MD5 and SHA-256 password algorithms,
 * USERHASH, and keys from user= lines or the user store; or, under
 * use-auth-secret, from the TURN REST API's shared secrets (rest_auth.h).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "server/rest_auth.h"
#include "server/server.h"
#include "server/userdb.h"
#include "stun/wire.h"

#define NONCE_MAC_LEN 12
#define NONCE_LEN (STUN_NONCE_COOKIE_LEN + 8 + 2 * NONCE_MAC_LEN)
#define NONCE_FEATURES (STUN_FEATURE_PASSWORD_ALGORITHMS | STUN_FEATURE_USERNAME_ANONYMITY)
/* a realm's secrets tried per request: each costs three hashes before authentication */
#define AUTH_MAX_STORE_SECRETS 64

_Static_assert(CONFIG_MAX_SECRET_BYTES == USERDB_SECRET_MAX, "one secret, one limit");

/* Our PASSWORD-ALGORITHMS, in order of preference. */
static const uint16_t server_algs[] = {STUN_PW_ALG_SHA256, STUN_PW_ALG_MD5};

static uint32_t wall_s(void)
{
	return (uint32_t)time(NULL);
}

static void nonce_mac(const struct server *srv, const char *head, size_t head_len,
		      const union sockaddr_u *client, uint8_t out[NONCE_MAC_LEN])
{
	uint8_t buf[64], mac[32];
	size_t n = head_len;

	/* RFC 8489 §9.2.4: a nonce is good only from the transport address it went to */
	memcpy(buf, head, head_len);
	if (client->sa.sa_family == AF_INET6) {
		memcpy(buf + n, &client->in6.sin6_addr, 16);
		memcpy(buf + n + 16, &client->in6.sin6_port, 2);
		n += 18;
	} else {
		memcpy(buf + n, &client->in.sin_addr, 4);
		memcpy(buf + n + 4, &client->in.sin_port, 2);
		n += 6;
	}
	if (stun_hmac("SHA256", srv->nonce_secret, sizeof(srv->nonce_secret), buf, n, mac,
		      sizeof(mac)) != (int)sizeof(mac))
		memset(mac, 0, sizeof(mac)); /* no MAC: no nonce of ours matches it */
	memcpy(out, mac, NONCE_MAC_LEN);
}

/* Lower-case hex of len bytes into out (2 * len characters, no NUL). */
static void hex_put(char *out, const uint8_t *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
}

/* cookie + hex expiry time + hex MAC over both and the client's IP and port */
static void nonce_make(const struct server *srv, const union sockaddr_u *client,
		       char out[NONCE_LEN + 1])
{
	uint8_t mac[NONCE_MAC_LEN];

	uint32_t expiry = wall_s() + srv->cfg->stale_nonce;
	uint8_t be[4] = {(uint8_t)(expiry >> 24), (uint8_t)(expiry >> 16), (uint8_t)(expiry >> 8),
			 (uint8_t)expiry};

	stun_nonce_cookie(out, NONCE_FEATURES);
	hex_put(out + STUN_NONCE_COOKIE_LEN, be, sizeof(be));
	nonce_mac(srv, out, STUN_NONCE_COOKIE_LEN + 8, client, mac);
	hex_put(out + STUN_NONCE_COOKIE_LEN + 8, mac, NONCE_MAC_LEN);
	out[NONCE_LEN] = '\0';
}

/* 0 good, -1 not ours (or not from this client), -2 ours but expired */
static int nonce_check(const struct server *srv, const union sockaddr_u *client,
		       const struct stun_attr *a)
{
	char head[STUN_NONCE_COOKIE_LEN + 9], hex[2 * NONCE_MAC_LEN + 1];
	uint8_t mac[NONCE_MAC_LEN];
	unsigned long expiry;
	char *end;

	if (a->len != NONCE_LEN)
		return -1;
	memcpy(head, a->val, STUN_NONCE_COOKIE_LEN + 8);
	head[STUN_NONCE_COOKIE_LEN + 8] = '\0';
	nonce_mac(srv, head, STUN_NONCE_COOKIE_LEN + 8, client, mac);
	hex_put(hex, mac, NONCE_MAC_LEN);
	if (!stun_ct_equal(hex, a->val + STUN_NONCE_COOKIE_LEN + 8, 2 * NONCE_MAC_LEN))
		return -1;
	expiry = strtoul(head + STUN_NONCE_COOKIE_LEN, &end, 16);
	if (*end != '\0' || expiry < wall_s())
		return -2;
	return 0;
}

/*
 * nonce_check() for request m from o. RFC 6062 §5.4's ConnectionBind comes
 * on a new connection, from a new port, and clients (coturn's among them)
 * sign it with the nonce of their control connection: a ConnectionBind
 * naming a peer connection that waits for it may carry the nonce given to
 * that allocation's control connection. Without this the client's next
 * Connect gets 438 on the control connection.
 */
static int nonce_check_request(struct worker *w, const struct origin *o,
			       const struct allocation *a, const struct stun_msg *m,
			       const struct stun_attr *nonce)
{
	const struct stun_attr *id;
	union sockaddr_u control;
	uint32_t connection_id;
	int rc = nonce_check(w->srv, &o->client, nonce);

	if (rc != -1 || nonce->len != NONCE_LEN || m->method != TURN_CONNECTION_BIND || !o->tcp ||
	    a)
		return rc;
	id = stun_msg_find(m, STUN_ATTR_CONNECTION_ID);
	if (!id || stun_attr_u32(id, &connection_id) < 0 ||
	    tcp_relay_pending_client(w->srv, connection_id, &control) < 0)
		return -1;
	return nonce_check(w->srv, &control, nonce);
}

void auth_put_challenge(struct worker *w, const struct origin *o, struct stun_builder *b)
{
	char nonce[NONCE_LEN + 1];

	nonce_make(w->srv, &o->client, nonce);
	stun_put_str(b, STUN_ATTR_REALM, w->srv->realm);
	stun_put_str(b, STUN_ATTR_NONCE, nonce);
	stun_put_pw_algs(b, server_algs, 2);
}

static const struct static_user *static_by_name(const struct server *srv, const char *name)
{
	for (size_t i = 0; i < srv->nusers; i++)
		if (strcmp(srv->users[i].name, name) == 0)
			return &srv->users[i];
	return NULL;
}

static const struct static_user *static_by_hash(const struct server *srv, const uint8_t *hash)
{
	for (size_t i = 0; i < srv->nusers; i++)
		if (stun_ct_equal(srv->users[i].userhash, hash, 32))
			return &srv->users[i];
	return NULL;
}

/*
 * Keys for user: 0 found, 1 unknown, -1 store error, STORE_PENDING (asked
 * the store thread). While the store fails, a request on allocation a of
 * the same user is checked with the key a was made with, so allocations in
 * place go on through an outage.
 */
static int lookup_keys(struct worker *w, const struct allocation *a, const char *user,
		       struct user_keys *keys)
{
	const struct static_user *su = static_by_name(w->srv, user);
	int rc;

	memset(keys, 0, sizeof(*keys));
	if (su) {
		memcpy(keys->md5, su->md5, 16);
		keys->has_md5 = true;
		memcpy(keys->sha256, su->sha256, 32);
		keys->has_sha256 = su->has_sha256;
		return 0;
	}
	if (w->srv->store)
		rc = store_lookup(w, user, keys);
	else if (w->db)
		rc = store_stats_get_keys(w, user, keys);
	else
		return 1;
	if (rc >= 0 || !a || !a->username || strcmp(a->username, user) != 0)
		return rc;
	memset(keys, 0, sizeof(*keys));
	if (a->key_len == 32) {
		memcpy(keys->sha256, a->key, 32);
		keys->has_sha256 = true;
	} else {
		memcpy(keys->md5, a->key, 16);
		keys->has_md5 = true;
	}
	return 0;
}

/*
 * 0 and res->key set when the request's MESSAGE-INTEGRITY (or -SHA256)
 * verifies with the key of keys that alg selects; -1 when it does not.
 */
static int try_keys(const struct stun_msg *m, uint16_t alg, const struct user_keys *keys,
		    struct auth_result *res)
{
	const uint8_t *key = alg == STUN_PW_ALG_SHA256 ? keys->sha256 : keys->md5;
	size_t len = alg == STUN_PW_ALG_SHA256 ? 32 : 16;

	if (alg == STUN_PW_ALG_SHA256 ? !keys->has_sha256 : !keys->has_md5)
		return -1;
	if (m->mi256_idx >= 0 ? stun_msg_check_integrity_sha256(m, key, len) < 0
			      : stun_msg_check_integrity(m, key, len) < 0)
		return -1;
	memcpy(res->key, key, len);
	res->key_len = (uint8_t)len;
	res->use_sha256 = m->mi256_idx >= 0;
	return 0;
}

/*
 * A user of user= lines or the store: 0 verified, 1 not, -1 store error
 * (logged: by the store thread once per outage for Redis), STORE_PENDING.
 */
static int lt_check(struct worker *w, const struct allocation *a, const struct stun_msg *m,
		    uint16_t alg, struct auth_result *res)
{
	struct user_keys keys;
	int rc = lookup_keys(w, a, res->username, &keys);

	if (rc < 0 && w->srv->store)
		w->stats.store_unavailable++;
	if (rc < 0 && !w->srv->store && worker_log_ok(w))
		log_error("user store lookup failed: %s", userdb_errmsg(w->db));
	if (rc == 0)
		rc = try_keys(m, alg, &keys, res) == 0 ? 0 : 1;
	explicit_bzero(&keys, sizeof(keys));
	return rc;
}

struct rest_try {
	struct worker *w;
	const struct stun_msg *m;
	uint16_t alg;
	struct auth_result *res;
	unsigned int tried;
};

/*
 * draft-uberti-behave-turn-rest-00 §2.2: the password is
 * base64(HMAC-SHA1(secret, username)); its long-term key is then made as
 * for any user (RFC 8489 §9.2.2), MD5 or SHA-256. 1 when it verifies.
 */
static int rest_try_secret(void *arg, const char *realm, const char *secret)
{
	struct rest_try *t = arg;
	char password[REST_AUTH_PASSWORD_LEN + 1];
	struct user_keys keys = {0};
	int ok;

	(void)realm;
	if (++t->tried > AUTH_MAX_STORE_SECRETS) {
		if (worker_log_ok(t->w))
			log_warn("realm '%s' has more than %d REST API secrets: the others are not "
				 "tried",
				 t->w->srv->realm, AUTH_MAX_STORE_SECRETS);
		return -2;
	}
	if (rest_password(secret, strlen(secret), t->res->username, strlen(t->res->username),
			  password) < 0)
		return 0;
	/* only the key the request's algorithm needs */
	if (t->alg == STUN_PW_ALG_SHA256)
		keys.has_sha256 = stun_lt_key(STUN_PW_ALG_SHA256, t->res->username,
					      t->w->srv->realm, password, keys.sha256) == 32;
	else
		keys.has_md5 = stun_lt_key(STUN_PW_ALG_MD5, t->res->username, t->w->srv->realm,
					   password, keys.md5) == 16;
	ok = try_keys(t->m, t->alg, &keys, t->res) == 0;
	explicit_bzero(password, sizeof(password));
	explicit_bzero(&keys, sizeof(keys));
	return ok;
}

/*
 * use-auth-secret: a username EXPIRY[SEP USER] not yet expired whose password
 * one of the secrets makes: static-auth-secret, else the store's for the
 * realm. 0 verified, 1 not, -1 store error (logged).
 */
static int rest_check(struct worker *w, const struct stun_msg *m, uint16_t alg,
		      struct auth_result *res)
{
	const struct config *c = w->srv->cfg;
	struct rest_try t = {.w = w, .m = m, .alg = alg, .res = res};
	struct rest_username u;
	int rc = 0;

	if (rest_username_parse(res->username, strlen(res->username), c->rest_api_separator[0],
				&u) < 0 ||
	    rest_username_expired(&u, wall_s()))
		return 1;
	for (size_t i = 0; i < c->static_auth_secret_count && rc != 1; i++)
		rc = rest_try_secret(&t, w->srv->realm, c->static_auth_secret[i]);
	if (!c->static_auth_secret_count && w->srv->store) {
		rc = store_secrets(w, rest_try_secret, &t);
		if (rc == STORE_PENDING) {
			res->pending_secrets = true;
			return STORE_PENDING;
		}
		if (rc == -1)
			w->stats.store_unavailable++;
	} else if (!c->static_auth_secret_count && w->db) {
		rc = store_stats_list_secrets(w, rest_try_secret, &t);
		if (rc == -1 && worker_log_ok(w))
			log_error("user store lookup failed: %s", userdb_errmsg(w->db));
	}
	return rc == 1 ? 0 : rc == -1 ? -1 : 1;
}

/* RFC 8489 §9.2.4: the algorithm the request uses (MD5 unless it says). */
static int pick_algorithm(const struct stun_msg *m, uint16_t *alg)
{
	const struct stun_attr *list = stun_msg_find(m, STUN_ATTR_PASSWORD_ALGORITHMS);
	const struct stun_attr *one = stun_msg_find(m, STUN_ATTR_PASSWORD_ALGORITHM);
	uint8_t expect[4 * 2];

	*alg = STUN_PW_ALG_MD5;
	if (!list && !one)
		return 0;
	if (!list || !one)
		return -1;
	for (int i = 0; i < 2; i++) {
		wire_put16(expect + 4 * i, server_algs[i]);
		wire_put16(expect + 4 * i + 2, 0);
	}
	if (list->len != sizeof(expect) || memcmp(list->val, expect, sizeof(expect)) != 0)
		return -1;
	if (stun_attr_pw_alg(one, alg) < 0)
		return -1;
	return *alg == STUN_PW_ALG_MD5 || *alg == STUN_PW_ALG_SHA256 ? 0 : -1;
}

static void check_creds(struct worker *w, const struct origin *o, const struct stun_msg *m,
			const struct allocation *a, struct auth_result *res)
{
	const struct stun_attr *user, *uhash, *realm, *nonce;
	uint16_t alg;
	int rc, nonce_rc;

	memset(res, 0, sizeof(*res));
	if (m->mi_idx < 0 && m->mi256_idx < 0) {
		res->error = STUN_ERR_UNAUTHORIZED;
		return;
	}
	user = stun_msg_find(m, STUN_ATTR_USERNAME);
	uhash = stun_msg_find(m, STUN_ATTR_USERHASH);
	realm = stun_msg_find(m, STUN_ATTR_REALM);
	nonce = stun_msg_find(m, STUN_ATTR_NONCE);
	if ((!user && !uhash) || !realm || !nonce) {
		res->error = STUN_ERR_BAD_REQUEST;
		return;
	}
	if (pick_algorithm(m, &alg) < 0) {
		res->error = STUN_ERR_BAD_REQUEST;
		return;
	}
	res->error = STUN_ERR_UNAUTHORIZED;
	if (realm->len != strlen(w->srv->realm) ||
	    memcmp(realm->val, w->srv->realm, realm->len) != 0)
		return;
	if (user) {
		/* RFC 8489 §9.2.4: a USERNAME that names no valid user gets 401 */
		if (!user->len || user->len > CONFIG_MAX_USERNAME_BYTES ||
		    memchr(user->val, 0, user->len))
			return;
		memcpy(res->username, user->val, user->len);
		res->username[user->len] = '\0';
	} else {
		const struct static_user *su;

		/* a REST username is made anew for each client: no store has its hash */
		if (uhash->len != 32 || w->srv->cfg->use_auth_secret)
			return;
		su = static_by_hash(w->srv, uhash->val);
		if (su)
			snprintf(res->username, sizeof(res->username), "%s", su->name);
		else if (!w->db || userdb_find_userhash(w->db, w->srv->realm, uhash->val,
							res->username,
							sizeof(res->username)) != 0)
			return;
	}
	/* a nonce we never gave this client: no store work for it (401) */
	nonce_rc = nonce_check_request(w, o, a, m, nonce);
	if (w->srv->store && nonce_rc == -1)
		return;
	if (w->srv->cfg->use_auth_secret)
		rc = rest_check(w, m, alg, res);
	else
		rc = lt_check(w, a, m, alg, res);
	if (rc == STORE_PENDING) {
		res->error = AUTH_PENDING;
		return;
	}
	if (rc < 0) {
		res->error = STUN_ERR_SERVER_ERROR;
		return;
	}
	if (rc > 0)
		return;
	/* RFC 8489 §9.2.4: 438 only to requests whose credentials are right */
	if (nonce_rc < 0) {
		res->error = STUN_ERR_STALE_NONCE;
		return;
	}
	/* RFC 8656 §5: later requests must use the allocation's username */
	if (a && a->username && strcmp(a->username, res->username) != 0) {
		res->error = TURN_ERR_WRONG_CREDENTIALS;
		return;
	}
	res->error = 0;
}

/* Final answers by reason, for metrics.c; a request without credentials is a challenge. */
static void count_result(struct worker *w, const struct stun_msg *m, int error)
{
	int reason;

	switch (error) {
	case 0:
		w->stats.auth_ok++;
		return;
	case AUTH_PENDING:
		return; /* counted when the store's answer comes back */
	case STUN_ERR_UNAUTHORIZED:
		if (m->mi_idx < 0 && m->mi256_idx < 0)
			return;
		reason = STATS_AUTH_UNAUTHORIZED;
		break;
	case STUN_ERR_STALE_NONCE:
		reason = STATS_AUTH_STALE_NONCE;
		break;
	case TURN_ERR_WRONG_CREDENTIALS:
		reason = STATS_AUTH_WRONG_CREDENTIALS;
		break;
	case STUN_ERR_BAD_REQUEST:
		reason = STATS_AUTH_BAD_REQUEST;
		break;
	default:
		reason = STATS_AUTH_STORE_ERROR;
		break;
	}
	w->stats.auth_failed[reason]++;
}

void auth_check(struct worker *w, const struct origin *o, const struct stun_msg *m,
		const struct allocation *a, struct auth_result *res)
{
	check_creds(w, o, m, a, res);
	count_result(w, m, res->error);
}

int auth_static_users(const struct config *c, const char *realm, struct static_user **out,
		      size_t *nout, char *err, size_t errlen)
{
	struct static_user *users = calloc(c->user_count ? c->user_count : 1, sizeof(*users));
	size_t n = 0;

	if (!users) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (; n < c->user_count; n++) {
		struct static_user *su = &users[n];
		const struct config_user *cu = &c->user[n];

		if (cu->is_key && config_md5_key(cu->password, su->md5) < 0) {
			snprintf(err, errlen, "user '%s': key must be 0x and 32 hex digits",
				 cu->name);
			goto fail;
		}
		su->name = strdup(cu->name);
		if (!su->name) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (!cu->is_key) {
			stun_lt_key(STUN_PW_ALG_MD5, cu->name, realm, cu->password, su->md5);
			stun_lt_key(STUN_PW_ALG_SHA256, cu->name, realm, cu->password,
				    su->sha256);
			su->has_sha256 = true;
		}
		stun_userhash(cu->name, realm, su->userhash);
	}
	*out = users;
	*nout = n;
	return 0;
fail:
	auth_static_users_free(users, n);
	return -1;
}

void auth_static_users_free(struct static_user *users, size_t n)
{
	if (!users)
		return;
	for (size_t i = 0; i < n; i++)
		free(users[i].name);
	explicit_bzero(users, n * sizeof(*users));
	free(users);
}

int auth_load_static_users(struct server *srv, char *err, size_t errlen)
{
	return auth_static_users(srv->cfg, srv->realm, &srv->users, &srv->nusers, err, errlen);
}
