/*
 * userdb.c - the backend-independent half of the credential store: name
 * checks, key and USERHASH derivation, dispatch to the backend's ops.
 */
#include "server/userdb.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/webadmin_pw.h"
#include "stun/stun.h"

#include <openssl/crypto.h>

struct userdb {
	const struct userdb_ops *ops;
	void *state;
	char err[USERDB_ERR_LEN];
	char notice[USERDB_ERR_LEN];
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

void userdb_set_notice(struct userdb *db, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(db->notice, sizeof(db->notice), fmt, ap);
	va_end(ap);
}

const char *userdb_notice(const struct userdb *db)
{
	return db->notice;
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

/* coturn's realm options, the only ones its turnadmin -g sets */
const char *const userdb_realm_options[USERDB_REALM_OPTION_COUNT] = {"max-bps", "user-quota",
								     "total-quota"};

int userdb_set_realm_option(struct userdb *db, const char *realm, const char *name,
			    unsigned long value)
{
	bool known = false;

	if (userdb_check_name(db, "realm", realm))
		return -1;
	for (size_t i = 0; i < USERDB_REALM_OPTION_COUNT; i++)
		known = known || strcmp(name, userdb_realm_options[i]) == 0;
	if (!known) {
		userdb_set_error(db, "no realm option '%.32s': coturn's are max-bps, user-quota, "
				     "total-quota",
				 name);
		return -1;
	}
	if (value > UINT32_MAX) {
		userdb_set_error(db, "realm option %s: %lu is more than %u", name, value, UINT32_MAX);
		return -1;
	}
	if (!db->ops->set_realm_option) {
		userdb_set_error(db, "the %s store keeps no realm options", db->ops->name);
		return -1;
	}
	return db->ops->set_realm_option(db, realm, name, value);
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

int userdb_list_peer_ranges(struct userdb *db, bool denied,
			    int (*cb)(void *arg, const char *realm, const char *range), void *arg)
{
	return db->ops->list_peer_ranges ? db->ops->list_peer_ranges(db, denied, cb, arg) : 0;
}

int userdb_list_realm_options(struct userdb *db,
			      int (*cb)(void *arg, const char *realm, const char *opt,
					const char *value),
			      void *arg)
{
	return db->ops->list_realm_options ? db->ops->list_realm_options(db, cb, arg) : 0;
}

int userdb_check_users(struct userdb *db,
		       int (*cb)(void *arg, const char *realm, const char *user, const char *why),
		       void *arg)
{
	return db->ops->check_users ? db->ops->check_users(db, cb, arg) : 0;
}

int userdb_list_unused(struct userdb *db, int (*cb)(void *arg, const char *table, long rows),
		       void *arg)
{
	return db->ops->list_unused ? db->ops->list_unused(db, cb, arg) : 0;
}

static int userdb_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int userdb_hmackey_parse(const char *hex, struct user_keys *out, char *why, size_t cap)
{
	struct user_keys keys;
	uint8_t *dst;
	size_t len, i;

	if (!hex) {
		snprintf(why, cap, "hmackey is NULL");
		return -1;
	}
	len = strnlen(hex, 129);
	if (len != 32 && len != 64) {
		snprintf(why, cap, "hmackey has %s%zu characters, not 32 hex digits (MD5) or 64 "
			 "(SHA-256)", len > 128 ? "more than " : "", len > 128 ? (size_t)128 : len);
		return -1;
	}
	memset(&keys, 0, sizeof(keys));
	dst = len == 32 ? keys.md5 : keys.sha256;
	for (i = 0; i < len; i += 2) {
		int hi = userdb_hex_digit(hex[i]), lo = userdb_hex_digit(hex[i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(why, cap, "hmackey is not hex (character %zu)",
				 (hi < 0 ? i : i + 1) + 1);
			explicit_bzero(&keys, sizeof(keys));
			return -1;
		}
		dst[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	keys.has_md5 = len == 32;
	keys.has_sha256 = len == 64;
	*out = keys;
	explicit_bzero(&keys, sizeof(keys));
	return 0;
}

void userdb_hmackey_format(const uint8_t md5[16], char out[33])
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < 16; i++) {
		out[2 * i] = digits[md5[i] >> 4];
		out[2 * i + 1] = digits[md5[i] & 15];
	}
	out[32] = '\0';
}

static int userdb_no_admins(struct userdb *db)
{
	userdb_set_error(db, "the %s store keeps no admin accounts", db->ops->name);
	return -1;
}

static int userdb_check_admin_name(struct userdb *db, const char *name)
{
	if (!name || !*name || strnlen(name, USERDB_ADMIN_NAME_MAX + 1) > USERDB_ADMIN_NAME_MAX) {
		userdb_set_error(db, "an admin name is 1 to %d bytes", USERDB_ADMIN_NAME_MAX);
		return -1;
	}
	return 0;
}

int userdb_get_admin(struct userdb *db, const char *name, char *realm, size_t realm_cap,
		     char *pw, size_t pw_cap)
{
	if (!db->ops->get_admin)
		return userdb_no_admins(db);
	if (userdb_check_admin_name(db, name) || !realm_cap || !pw_cap)
		return -1;
	return db->ops->get_admin(db, name, realm, realm_cap, pw, pw_cap);
}

int userdb_set_admin(struct userdb *db, const char *name, const char *realm, const char *password)
{
	char hash[WEBADMIN_PW_LEN + 1];
	int rc;

	if (!db->ops->put_admin)
		return userdb_no_admins(db);
	if (userdb_check_admin_name(db, name))
		return -1;
	/* coturn: realm '' for an admin of every realm */
	if (!realm || strnlen(realm, USERDB_NAME_MAX + 1) > USERDB_NAME_MAX) {
		userdb_set_error(db, "realm longer than %d bytes", USERDB_NAME_MAX);
		return -1;
	}
	if (!password || !*password) {
		userdb_set_error(db, "empty password");
		return -1;
	}
	if (webadmin_pw_hash(password, hash) < 0) {
		userdb_set_error(db, "cannot hash the password");
		return -1;
	}
	rc = db->ops->put_admin(db, name, realm, hash);
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

int userdb_del_admin(struct userdb *db, const char *name)
{
	if (!db->ops->del_admin)
		return userdb_no_admins(db);
	if (userdb_check_admin_name(db, name))
		return -1;
	return db->ops->del_admin(db, name);
}

int userdb_list_admins(struct userdb *db,
		       int (*cb)(void *arg, const char *realm, const char *name), void *arg)
{
	if (!db->ops->list_admins)
		return userdb_no_admins(db);
	return db->ops->list_admins(db, cb, arg);
}
