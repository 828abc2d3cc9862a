/*
 * userdb.c - the backend-independent half of the credential store: name
 * checks, key and USERHASH derivation, dispatch to the backend's ops.
 */
#include "server/userdb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stun/stun.h"

struct userdb {
	const struct userdb_ops *ops;
	void *state;
	char err[USERDB_ERR_LEN];
};

struct userdb *userdb_new(const struct userdb_ops *ops, void *state)
{
	struct userdb *db = calloc(1, sizeof(*db));

	if (!db)
		return NULL;
	db->ops = ops;
	db->state = state;
	return db;
}

void *userdb_state(const struct userdb *db)
{
	return db->state;
}

void userdb_set_error(struct userdb *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->err, sizeof(db->err), fmt, ap);
	va_end(ap);
}

const char *userdb_errmsg(const struct userdb *db)
{
	return db->err;
}

void userdb_close(struct userdb *db)
{
	if (!db)
		return;
	db->ops->close(db->state);
	free(db);
}

static int userdb_check_name(struct userdb *db, const char *what, const char *s)
{
	size_t len;

	if (!s || !*s) {
		userdb_set_error(db, "empty %s", what);
		return -1;
	}
	len = strnlen(s, USERDB_NAME_MAX + 1);
	if (len > USERDB_NAME_MAX) {
		userdb_set_error(db, "%s longer than %d bytes", what, USERDB_NAME_MAX);
		return -1;
	}
	return 0;
}

int userdb_get_keys(struct userdb *db, const char *realm, const char *user, struct user_keys *out)
{
	if (userdb_check_name(db, "realm", realm) || userdb_check_name(db, "user name", user))
		return -1;
	return db->ops->get_keys(db, realm, user, out);
}

int userdb_find_userhash(struct userdb *db, const char *realm, const uint8_t hash[32], char *user,
			 size_t user_cap)
{
	if (userdb_check_name(db, "realm", realm))
		return -1;
	if (user_cap == 0) {
		userdb_set_error(db, "no room for the user name");
		return -1;
	}
	return db->ops->find_userhash(db, realm, hash, user, user_cap);
}

int userdb_set_password(struct userdb *db, const char *realm, const char *user,
			const char *password)
{
	struct user_keys keys;
	uint8_t buf[32];
	uint8_t userhash[32];
	int ret = -1;

	if (userdb_check_name(db, "realm", realm) || userdb_check_name(db, "user name", user))
		return -1;
	if (!password || !*password) {
		userdb_set_error(db, "empty password");
		return -1;
	}
	memset(&keys, 0, sizeof(keys));
	if (stun_lt_key(STUN_PW_ALG_MD5, user, realm, password, buf) == 16) {
		memcpy(keys.md5, buf, 16);
		keys.has_md5 = true;
	}
	if (stun_lt_key(STUN_PW_ALG_SHA256, user, realm, password, buf) == 32) {
		memcpy(keys.sha256, buf, 32);
		keys.has_sha256 = true;
	}
	if (keys.has_md5 && keys.has_sha256) {
		stun_userhash(user, realm, userhash);
		ret = db->ops->put(db, realm, user, &keys, userhash);
	} else {
		userdb_set_error(db, "cannot derive the keys of user '%s'", user);
	}
	explicit_bzero(buf, sizeof(buf));
	explicit_bzero(&keys, sizeof(keys));
	return ret;
}

int userdb_set_md5_key(struct userdb *db, const char *realm, const char *user,
		       const uint8_t key[16])
{
	struct user_keys keys;
	uint8_t userhash[32];
	int ret;

	if (userdb_check_name(db, "realm", realm) || userdb_check_name(db, "user name", user))
		return -1;
	memset(&keys, 0, sizeof(keys));
	memcpy(keys.md5, key, 16);
	keys.has_md5 = true;
	stun_userhash(user, realm, userhash);
	ret = db->ops->put(db, realm, user, &keys, userhash);
	explicit_bzero(&keys, sizeof(keys));
	return ret;
}

int userdb_delete(struct userdb *db, const char *realm, const char *user)
{
	if (userdb_check_name(db, "realm", realm) || userdb_check_name(db, "user name", user))
		return -1;
	return db->ops->del(db, realm, user);
}

int userdb_list(struct userdb *db, const char *realm,
		int (*cb)(void *arg, const char *realm, const char *user), void *arg)
{
	if (realm && userdb_check_name(db, "realm", realm))
		return -1;
	return db->ops->list(db, realm, cb, arg);
}

int userdb_count(struct userdb *db)
{
	return db->ops->count(db);
}

/* Secrets go into STUN's HMAC key as they are: text, no control characters. */
static int userdb_check_secret(struct userdb *db, const char *secret)
{
	size_t len;

	if (!secret || !*secret) {
		userdb_set_error(db, "empty secret");
		return -1;
	}
	len = strnlen(secret, USERDB_SECRET_MAX + 1);
	if (len > USERDB_SECRET_MAX) {
		userdb_set_error(db, "secret longer than %d bytes", USERDB_SECRET_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)secret[i] < 0x20 || secret[i] == 0x7f) {
			userdb_set_error(db, "control character in the secret");
			return -1;
		}
	}
	return 0;
}

int userdb_list_secrets(struct userdb *db, const char *realm,
			int (*cb)(void *arg, const char *realm, const char *secret), void *arg)
{
	if (realm && userdb_check_name(db, "realm", realm))
		return -1;
	return db->ops->list_secrets(db, realm, cb, arg);
}

int userdb_add_secret(struct userdb *db, const char *realm, const char *secret)
{
	if (userdb_check_name(db, "realm", realm) || userdb_check_secret(db, secret))
		return -1;
	return db->ops->add_secret(db, realm, secret);
}

int userdb_del_secret(struct userdb *db, const char *realm, const char *secret)
{
	if (userdb_check_name(db, "realm", realm) || (secret && userdb_check_secret(db, secret)))
		return -1;
	return db->ops->del_secret(db, realm, secret);
}

int userdb_realm_option(struct userdb *db, const char *realm, const char *name,
			unsigned long *value)
{
	if (userdb_check_name(db, "realm", realm))
		return -1;
	if (!db->ops->realm_option)
		return 1;
	return db->ops->realm_option(db, realm, name, value);
}

int userdb_list_peer_ips(struct userdb *db, const char *realm, bool allowed,
			 int (*cb)(void *arg, const char *range), void *arg)
{
	if (userdb_check_name(db, "realm", realm))
		return -1;
	if (!db->ops->list_peer_ips)
		return 0;
	return db->ops->list_peer_ips(db, realm, allowed, cb, arg);
}

int userdb_ping(struct userdb *db)
{
	return db->ops->ping ? db->ops->ping(db) : 0;
}

const char *userdb_kind(const struct userdb *db)
{
	return db->ops->name;
}
