/*
 * userdb_redis.c - the Redis backend of the credential store, in coturn's
 * key layout (coturn's turndb/schema.userdb.redis), so that a store that
 * coturn's turnadmin -N wrote is read as it is:
 *
 *   turn/realm/REALM/user/USER/key       hex MD5 key, MD5(user:realm:password)
 *   turn/realm/REALM/user/USER/password  clear-text password (older layout; read)
 *   turn/realm/REALM/secret              set of REST API shared secrets (what
 *                                        coturn 4.6's turnadmin -s writes)
 *   turn/realm/REALM/secret/ID           one secret each (coturn's documented
 *                                        older form; read and deleted)
 *   turn/realm/REALM/max-bps, user-quota, total-quota   realm options
 *   turn/allowed-peer-ip/ID, turn/denied-peer-ip/ID     ranges, for every realm
 *
 * Our own addition, which coturn ignores: turn/realm/REALM/user/USER/sha256-key
 * holds "MD5HEX:SHA256HEX"; its SHA-256 key is used only while the MD5 half
 * equals the user's key, so a user that coturn's turnadmin re-keyed or
 * deleted never keeps an old SHA-256 key. USERHASH (RFC 8489 §14.4) has no
 * place in this layout: a USERHASH names no Redis user.
 *
 * Synchronous (hiredis' blocking API with connect_timeout on connect and
 * every command): the server calls it only from its store thread
 * (store.c), never from a worker; turnadmin calls it directly. Commands go as argument vectors, so names with
 * blanks or '%' are data, never syntax.
 */
#include "server/userdb.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/redis_conn.h"
#include "stun/stun.h"

#define REDIS_KEY_MAX (2 * USERDB_NAME_MAX + 64)
#define REDIS_SCAN_COUNT "1000"

struct redis_store {
	struct redis_conn conn;
};

static int redis_fail(struct userdb *db, const char *what)
{
	struct redis_store *s = userdb_state(db);

	userdb_set_error(db, "Redis %s: %s", s->conn.where, what);
	return -1;
}

/* Connected, authenticated and on the right database: 0 or -1. */
static int redis_connect(struct userdb *db)
{
	struct redis_store *s = userdb_state(db);
	char why[300];

	if (redis_conn_connect(&s->conn, why, sizeof(why)) < 0)
		return redis_fail(db, why);
	return 0;
}

/*
 * One command; the reply, or NULL with the error set (an I/O error drops
 * the connection, which the next call makes again).
 */
static redisReply *redis_cmd(struct userdb *db, int argc, const char **argv)
{
	struct redis_store *s = userdb_state(db);
	redisReply *r;
	char why[300];

	r = redis_conn_cmd(&s->conn, argc, argv, why, sizeof(why));
	if (!r)
		redis_fail(db, why);
	return r;
}

static int redis_key(struct userdb *db, char *out, const char *realm, const char *mid,
		     const char *user, const char *last)
{
	int n;

	if (user)
		n = snprintf(out, REDIS_KEY_MAX, "turn/realm/%s/%s/%s/%s", realm, mid, user, last);
	else
		n = snprintf(out, REDIS_KEY_MAX, "turn/realm/%s/%s", realm, mid);
	if (n < 0 || n >= REDIS_KEY_MAX) {
		userdb_set_error(db, "key name too long");
		return -1;
	}
	return 0;
}

/* A user's three keys: coturn's key and password, our sha256-key. */
static int redis_user_keys(struct userdb *db, const char *realm, const char *user, char *k_md5,
			   char *k_sha, char *k_pw)
{
	return redis_key(db, k_md5, realm, "user", user, "key") ||
	       redis_key(db, k_sha, realm, "user", user, "sha256-key") ||
	       redis_key(db, k_pw, realm, "user", user, "password");
}

static int redis_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t n)
{
	if (hexlen != 2 * n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdefABCDEF", hex[2 * i]) ||
		    !strchr("0123456789abcdefABCDEF", hex[2 * i + 1]))
			return -1;
		out[i] = (uint8_t)v;
	}
	return 0;
}

static void redis_hex(const uint8_t *in, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		snprintf(out + 2 * i, 3, "%02x", in[i]);
}

static const redisReply *redis_str_at(const redisReply *r, size_t i)
{
	if (r->type != REDIS_REPLY_ARRAY || i >= r->elements || !r->element[i] ||
	    r->element[i]->type != REDIS_REPLY_STRING)
		return NULL;
	return r->element[i];
}

static int redis_get_keys(struct userdb *db, const char *realm, const char *user,
			  struct user_keys *out)
{
	char k_md5[REDIS_KEY_MAX], k_sha[REDIS_KEY_MAX], k_pw[REDIS_KEY_MAX];
	const char *argv[] = {"MGET", k_md5, k_sha, k_pw};
	const redisReply *md5, *sha, *pw;
	struct user_keys keys;
	redisReply *r;
	uint8_t buf[32];
	int ret = -1;

	if (redis_user_keys(db, realm, user, k_md5, k_sha, k_pw))
		return -1;
	r = redis_cmd(db, 4, argv);
	if (!r)
		return -1;
	memset(&keys, 0, sizeof(keys));
	md5 = redis_str_at(r, 0);
	sha = redis_str_at(r, 1);
	pw = redis_str_at(r, 2);
	if (r->type != REDIS_REPLY_ARRAY || r->elements != 3) {
		redis_fail(db, "MGET: unexpected reply");
		goto out;
	}
	if (md5) {
		if (redis_unhex(md5->str, md5->len, keys.md5, 16) < 0) {
			redis_fail(db, "a user's key is not 32 hex digits");
			goto out;
		}
		keys.has_md5 = true;
		/* our SHA-256 key, only while it was made with the same password */
		if (sha && sha->len == 32 + 1 + 64 && sha->str[32] == ':' &&
		    strncasecmp(sha->str, md5->str, 32) == 0 &&
		    redis_unhex(sha->str + 33, 64, keys.sha256, 32) == 0)
			keys.has_sha256 = true;
	} else if (pw && pw->len && !memchr(pw->str, 0, pw->len)) {
		if (stun_lt_key(STUN_PW_ALG_MD5, user, realm, pw->str, buf) == 16) {
			memcpy(keys.md5, buf, 16);
			keys.has_md5 = true;
		}
		if (stun_lt_key(STUN_PW_ALG_SHA256, user, realm, pw->str, buf) == 32) {
			memcpy(keys.sha256, buf, 32);
			keys.has_sha256 = true;
		}
	}
	if (!keys.has_md5 && !keys.has_sha256) {
		ret = 1;
		goto out;
	}
	*out = keys;
	ret = 0;
out:
	explicit_bzero(&keys, sizeof(keys));
	explicit_bzero(buf, sizeof(buf));
	freeReplyObject(r);
	return ret;
}

static int redis_find_userhash(struct userdb *db, const char *realm, const uint8_t hash[32],
			       char *user, size_t user_cap)
{
	(void)db, (void)realm, (void)hash, (void)user, (void)user_cap;
	return 1;
}

static int redis_simple(struct userdb *db, int argc, const char **argv)
{
	redisReply *r = redis_cmd(db, argc, argv);

	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

static int redis_put(struct userdb *db, const char *realm, const char *user,
		     const struct user_keys *keys, const uint8_t userhash[32])
{
	char k_md5[REDIS_KEY_MAX], k_sha[REDIS_KEY_MAX], k_pw[REDIS_KEY_MAX];
	char md5hex[33], shaval[32 + 1 + 64 + 1];
	int ret = -1;

	(void)userhash;
	if (!keys->has_md5) {
		userdb_set_error(db, "Redis keeps users by their MD5 key (coturn's layout)");
		return -1;
	}
	if (redis_user_keys(db, realm, user, k_md5, k_sha, k_pw))
		return -1;
	redis_hex(keys->md5, 16, md5hex);
	{
		const char *set_md5[] = {"SET", k_md5, md5hex};
		const char *del_pw[] = {"DEL", k_pw, k_sha};

		/* a clear-text password of the older layout would be read instead */
		if (redis_simple(db, 3, del_pw) || redis_simple(db, 3, set_md5))
			goto out;
	}
	if (keys->has_sha256) {
		const char *set_sha[] = {"SET", k_sha, shaval};

		memcpy(shaval, md5hex, 32);
		shaval[32] = ':';
		redis_hex(keys->sha256, 32, shaval + 33);
		if (redis_simple(db, 3, set_sha))
			goto out;
	}
	ret = 0;
out:
	explicit_bzero(md5hex, sizeof(md5hex));
	explicit_bzero(shaval, sizeof(shaval));
	return ret;
}

static int redis_del(struct userdb *db, const char *realm, const char *user)
{
	char k_md5[REDIS_KEY_MAX], k_sha[REDIS_KEY_MAX], k_pw[REDIS_KEY_MAX];
	const char *argv[] = {"DEL", k_md5, k_sha, k_pw};
	redisReply *r;
	int ret;

	if (redis_user_keys(db, realm, user, k_md5, k_sha, k_pw))
		return -1;
	r = redis_cmd(db, 4, argv);
	if (!r)
		return -1;
	ret = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? 0 : 1;
	freeReplyObject(r);
	return ret;
}

/* A SCAN MATCH pattern that matches s literally. */
static int redis_glob_escape(const char *s, char *out, size_t cap)
{
	size_t n = 0;

	for (; *s; s++) {
		if (n + 3 > cap)
			return -1;
		if (strchr("*?[]\\", *s))
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n] = '\0';
	return 0;
}

/*
 * SCAN for pattern (never KEYS, which stops Redis while it walks): cb for
 * each key; cb's non-zero result stops the walk and is returned.
 */
static int redis_scan(struct userdb *db, const char *pattern,
		      int (*cb)(struct userdb *db, const char *key, void *arg), void *arg)
{
	char cursor[32] = "0";

	do {
		const char *argv[] = {"SCAN", cursor, "MATCH", pattern, "COUNT", REDIS_SCAN_COUNT};
		const redisReply *cur, *keys;
		redisReply *r = redis_cmd(db, 6, argv);

		if (!r)
			return -1;
		cur = redis_str_at(r, 0);
		keys = r->type == REDIS_REPLY_ARRAY && r->elements == 2 ? r->element[1] : NULL;
		if (!cur || !keys || keys->type != REDIS_REPLY_ARRAY || cur->len >= sizeof(cursor)) {
			freeReplyObject(r);
			return redis_fail(db, "SCAN: unexpected reply");
		}
		memcpy(cursor, cur->str, cur->len + 1);
		for (size_t i = 0; i < keys->elements; i++) {
			int rc;

			if (keys->element[i]->type != REDIS_REPLY_STRING)
				continue;
			rc = cb(db, keys->element[i]->str, arg);
			if (rc) {
				freeReplyObject(r);
				return rc;
			}
		}
		freeReplyObject(r);
	} while (strcmp(cursor, "0") != 0);
	return 0;
}

/* Split "turn/realm/REALM/KIND..." at the realm (coturn: up to the next '/'). */
static const char *redis_realm_of(const char *key, char *realm, size_t cap)
{
	const char *p = key + strlen("turn/realm/"), *slash;

	if (strncmp(key, "turn/realm/", strlen("turn/realm/")) != 0)
		return NULL;
	slash = strchr(p, '/');
	if (!slash || slash == p || (size_t)(slash - p) >= cap)
		return NULL;
	memcpy(realm, p, (size_t)(slash - p));
	realm[slash - p] = '\0';
	return slash + 1;
}

/* realm as a SCAN pattern that matches it alone (NULL: every realm): 0 or -1. */
static int redis_realm_glob(struct userdb *db, const char *realm, char *esc, size_t cap)
{
	if (!realm) {
		snprintf(esc, cap, "*");
		return 0;
	}
	return redis_glob_escape(realm, esc, cap) < 0 ? redis_fail(db, "realm too long") : 0;
}

/* The users that a walk found: realm and name, each "realm\0user". */
struct redis_list_walk {
	char **names;
	size_t n, cap;
};

/* A user is a key .../user/NAME/key (coturn's) or .../user/NAME/password (its older form). */
static int redis_list_one(struct userdb *db, const char *key, void *arg)
{
	struct redis_list_walk *wk = arg;
	char realm[USERDB_NAME_MAX + 1];
	const char *rest = redis_realm_of(key, realm, sizeof(realm)), *slash;
	size_t rlen, ulen;
	char *entry;

	if (!rest || strncmp(rest, "user/", 5) != 0)
		return 0;
	rest += 5;
	slash = strrchr(rest, '/');
	if (!slash || slash == rest || (strcmp(slash, "/key") != 0 && strcmp(slash, "/password") != 0))
		return 0;
	ulen = (size_t)(slash - rest);
	if (ulen > USERDB_NAME_MAX)
		return 0;
	if (wk->n == wk->cap) {
		size_t cap = wk->cap ? 2 * wk->cap : 64;
		char **grown = realloc(wk->names, cap * sizeof(*grown));

		if (!grown)
			return redis_fail(db, "out of memory");
		wk->names = grown;
		wk->cap = cap;
	}
	rlen = strlen(realm);
	entry = malloc(rlen + 1 + ulen + 1);
	if (!entry)
		return redis_fail(db, "out of memory");
	memcpy(entry, realm, rlen + 1);
	memcpy(entry + rlen + 1, rest, ulen);
	entry[rlen + 1 + ulen] = '\0';
	wk->names[wk->n++] = entry;
	return 0;
}

static int redis_name_cmp(const void *a, const void *b)
{
	const char *x = *(char *const *)a, *y = *(char *const *)b;
	int c = strcmp(x, y);

	return c ? c : strcmp(x + strlen(x) + 1, y + strlen(y) + 1);
}

/*
 * Every user of realm (NULL: of all), sorted by realm then name, each
 * once: cb for each (NULL: only counted into *count). 0 when the walk
 * finished, cb's non-zero result, or -1.
 */
static int redis_users(struct userdb *db, const char *realm,
		       int (*cb)(void *arg, const char *realm, const char *user), void *arg,
		       int *count)
{
	struct redis_list_walk wk = {NULL, 0, 0};
	char esc[2 * USERDB_NAME_MAX + 1], pattern[REDIS_KEY_MAX];
	int rc;

	*count = 0;
	if (redis_realm_glob(db, realm, esc, sizeof(esc)) < 0)
		return -1;
	snprintf(pattern, sizeof(pattern), "turn/realm/%s/user/*", esc);
	rc = redis_scan(db, pattern, redis_list_one, &wk);
	if (rc == 0 && wk.n)
		qsort(wk.names, wk.n, sizeof(*wk.names), redis_name_cmp);
	for (size_t i = 0; rc == 0 && i < wk.n; i++) {
		const char *e = wk.names[i];

		if (i && redis_name_cmp(&wk.names[i - 1], &wk.names[i]) == 0)
			continue;
		++*count;
		if (cb)
			rc = cb(arg, e, e + strlen(e) + 1);
	}
	for (size_t i = 0; i < wk.n; i++)
		free(wk.names[i]);
	free(wk.names);
	return rc;
}

static int redis_list(struct userdb *db, const char *realm,
		      int (*cb)(void *arg, const char *realm, const char *user), void *arg)
{
	int count;

	return redis_users(db, realm, cb, arg, &count);
}

static int redis_count(struct userdb *db)
{
	int count;

	return redis_users(db, NULL, NULL, NULL, &count) < 0 ? -1 : count;
}

/* A string key's type or the reply's text: "string", "set", "none"... */
static bool redis_type_is(const redisReply *r, const char *type)
{
	return (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_STRING) && r->str &&
	       strcmp(r->str, type) == 0;
}

/*
 * The members of a set, or the value of a string: cb for each (values
 * with a NUL byte are skipped); keys of other types hold nothing of ours.
 */
static int redis_members(struct userdb *db, const char *key,
			 int (*cb)(void *arg, const char *member), void *arg)
{
	const char *type_argv[] = {"TYPE", key};
	const char *smembers[] = {"SMEMBERS", key};
	const char *get[] = {"GET", key};
	redisReply *r = redis_cmd(db, 2, type_argv);
	bool is_string, is_set;
	int rc = 0;

	if (!r)
		return -1;
	is_string = redis_type_is(r, "string");
	is_set = redis_type_is(r, "set");
	freeReplyObject(r);
	if (!is_string && !is_set)
		return 0;
	r = redis_cmd(db, 2, is_string ? get : smembers);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_STRING) {
		if (strlen(r->str) == r->len)
			rc = cb(arg, r->str);
	} else if (r->type == REDIS_REPLY_ARRAY) {
		for (size_t i = 0; !rc && i < r->elements; i++) {
			const redisReply *e = r->element[i];

			if (e->type == REDIS_REPLY_STRING && strlen(e->str) == e->len)
				rc = cb(arg, e->str);
		}
	}
	freeReplyObject(r);
	return rc;
}

struct redis_secret_walk {
	int (*cb)(void *arg, const char *realm, const char *secret);
	void *arg;
	const char *realm;
	const char *match; /* del: only this secret, NULL: every one */
	int found;
};

static int redis_secret_one(void *arg, const char *secret)
{
	struct redis_secret_walk *wk = arg;

	if (!*secret || strlen(secret) > USERDB_SECRET_MAX)
		return 0;
	return wk->cb(wk->arg, wk->realm, secret);
}

/* turn/realm/REALM/secret (coturn's set) or .../secret/ID (its older strings) */
static int redis_secrets_of_key(struct userdb *db, const char *key, void *arg)
{
	struct redis_secret_walk *wk = arg;
	char realm[USERDB_NAME_MAX + 1];
	const char *rest = redis_realm_of(key, realm, sizeof(realm));

	if (!rest || (strcmp(rest, "secret") != 0 && strncmp(rest, "secret/", 7) != 0))
		return 0;
	wk->realm = realm;
	return redis_members(db, key, redis_secret_one, wk);
}

/* Both forms of the realm's secrets (realm NULL: of every realm). */
static int redis_secret_keys(struct userdb *db, const char *realm,
			     int (*cb)(struct userdb *db, const char *key, void *arg), void *arg)
{
	char esc[2 * USERDB_NAME_MAX + 1], pattern[REDIS_KEY_MAX];
	int rc;

	if (redis_realm_glob(db, realm, esc, sizeof(esc)) < 0)
		return -1;
	snprintf(pattern, sizeof(pattern), "turn/realm/%s/secret", esc);
	rc = redis_scan(db, pattern, cb, arg);
	if (rc)
		return rc;
	snprintf(pattern, sizeof(pattern), "turn/realm/%s/secret/*", esc);
	return redis_scan(db, pattern, cb, arg);
}

static int redis_list_secrets(struct userdb *db, const char *realm,
			      int (*cb)(void *arg, const char *realm, const char *secret),
			      void *arg)
{
	struct redis_secret_walk wk = {.cb = cb, .arg = arg};

	return redis_secret_keys(db, realm, redis_secrets_of_key, &wk);
}

static int redis_add_secret(struct userdb *db, const char *realm, const char *secret)
{
	char key[REDIS_KEY_MAX];
	const char *argv[] = {"SADD", key, secret};

	if (redis_key(db, key, realm, "secret", NULL, NULL))
		return -1;
	return redis_simple(db, 3, argv);
}

/* Deletes one key of a realm's secrets: the set's member, or a whole string key. */
static int redis_del_secret_key(struct userdb *db, const char *key, void *arg)
{
	struct redis_secret_walk *wk = arg;
	const char *type_argv[] = {"TYPE", key};
	const char *srem[] = {"SREM", key, wk->match};
	const char *get[] = {"GET", key};
	const char *del[] = {"DEL", key};
	redisReply *r = redis_cmd(db, 2, type_argv);
	bool is_set, drop = !wk->match;

	if (!r)
		return -1;
	is_set = redis_type_is(r, "set");
	freeReplyObject(r);
	if (wk->match && is_set) {
		r = redis_cmd(db, 3, srem);
		if (!r)
			return -1;
		wk->found += r->type == REDIS_REPLY_INTEGER && r->integer > 0;
		freeReplyObject(r);
		return 0;
	}
	if (wk->match) {
		r = redis_cmd(db, 2, get);
		if (!r)
			return -1;
		drop = r->type == REDIS_REPLY_STRING && strcmp(r->str, wk->match) == 0;
		freeReplyObject(r);
	}
	if (!drop)
		return 0;
	r = redis_cmd(db, 2, del);
	if (!r)
		return -1;
	wk->found += r->type == REDIS_REPLY_INTEGER && r->integer > 0;
	freeReplyObject(r);
	return 0;
}

static int redis_del_secret(struct userdb *db, const char *realm, const char *secret)
{
	struct redis_secret_walk wk = {.match = secret};

	if (redis_secret_keys(db, realm, redis_del_secret_key, &wk) < 0)
		return -1;
	return wk.found ? 0 : 1;
}

static int redis_realm_option(struct userdb *db, const char *realm, const char *name,
			      unsigned long *value)
{
	char key[REDIS_KEY_MAX], *end;
	const char *argv[] = {"GET", key};
	unsigned long v;
	redisReply *r;
	int ret = 1;

	if (redis_key(db, key, realm, name, NULL, NULL))
		return -1;
	r = redis_cmd(db, 2, argv);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_STRING) {
		v = strtoul(r->str, &end, 10);
		if (!r->len || *end || r->str[0] == '-') {
			userdb_set_error(db, "Redis: %s is not a number", key);
			ret = -1;
		} else {
			*value = v;
			ret = 0;
		}
	}
	freeReplyObject(r);
	return ret;
}

/* coturn's turnadmin -g: SET the realm's key, or DEL it when value is 0. */
static int redis_set_realm_option(struct userdb *db, const char *realm, const char *name,
				  unsigned long value)
{
	char key[REDIS_KEY_MAX], text[24];
	const char *argv[] = {value ? "SET" : "DEL", key, text};
	redisReply *r;

	if (redis_key(db, key, realm, name, NULL, NULL))
		return -1;
	snprintf(text, sizeof(text), "%lu", value);
	r = redis_cmd(db, value ? 3 : 2, argv);
	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

struct redis_peer_walk {
	int (*cb)(void *arg, const char *range);
	void *arg;
};

static int redis_peer_one(void *arg, const char *range)
{
	struct redis_peer_walk *wk = arg;

	return wk->cb(wk->arg, range);
}

static int redis_peers_of_key(struct userdb *db, const char *key, void *arg)
{
	return redis_members(db, key, redis_peer_one, arg);
}

/*
 * coturn keeps peer ranges for every realm: turn/allowed-peer-ip/ID and
 * turn/denied-peer-ip/ID, each a string "10.0.0.1" or "10.0.0.0-10.0.0.255".
 */
static int redis_list_peer_ips(struct userdb *db, const char *realm, bool allowed,
			       int (*cb)(void *arg, const char *range), void *arg)
{
	struct redis_peer_walk wk = {cb, arg};

	(void)realm;
	return redis_scan(db, allowed ? "turn/allowed-peer-ip/*" : "turn/denied-peer-ip/*",
			  redis_peers_of_key, &wk);
}

static int redis_ping(struct userdb *db)
{
	const char *argv[] = {"PING"};

	return redis_simple(db, 1, argv);
}

static void redis_close(void *state)
{
	struct redis_store *s = state;

	if (!s)
		return;
	redis_conn_close(&s->conn);
	free(s);
}

static const struct userdb_ops userdb_redis_ops = {
    .name = "redis",
    .get_keys = redis_get_keys,
    .find_userhash = redis_find_userhash,
    .put = redis_put,
    .del = redis_del,
    .list = redis_list,
    .count = redis_count,
    .close = redis_close,
    .list_secrets = redis_list_secrets,
    .add_secret = redis_add_secret,
    .del_secret = redis_del_secret,
    .realm_option = redis_realm_option,
    .set_realm_option = redis_set_realm_option,
    .list_peer_ips = redis_list_peer_ips,
    .ping = redis_ping,
    .get_admin = userdb_redis_get_admin,
    .put_admin = userdb_redis_put_admin,
    .del_admin = userdb_redis_del_admin,
    .list_admins = userdb_redis_list_admins,
};

void *userdb_redis_command(struct userdb *db, int argc, const char **argv)
{
	return redis_cmd(db, argc, argv);
}

int userdb_redis_scan(struct userdb *db, const char *pattern,
		      int (*cb)(struct userdb *db, const char *key, void *arg), void *arg)
{
	return redis_scan(db, pattern, cb, arg);
}

struct userdb *userdb_open_redis(const char *conninfo, bool lazy, char *err, size_t errlen)
{
	struct redis_store *s;
	struct userdb *db;
	char why[256], dummy[1];

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "Redis: out of memory");
		return NULL;
	}
	if (redis_conn_init(&s->conn, conninfo, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "malformed Redis connection string: %s", why);
		redis_close(s);
		return NULL;
	}
	db = userdb_new(&userdb_redis_ops, s);
	if (!db) {
		snprintf(err, errlen, "Redis: out of memory");
		redis_close(s);
		return NULL;
	}
	if (!lazy && redis_connect(db) < 0) {
		snprintf(err, errlen, "%s", userdb_errmsg(db));
		userdb_close(db);
		return NULL;
	}
	return db;
}
