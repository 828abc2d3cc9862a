/*
 * userdb_redis_admin.c - web-admin accounts in a Redis store, in coturn's
 * layout: the hash turn/admin_user/NAME with the field password (coturn's
 * "$5$" form, webadmin_pw.h) and, for an admin of one realm, realm. Written
 * and read as coturn's turnadmin -A -N and turnserver do.
 */
#include "server/userdb.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ADMIN_KEY_PREFIX "turn/admin_user/"
#define ADMIN_KEY_MAX (sizeof(ADMIN_KEY_PREFIX) + USERDB_ADMIN_NAME_MAX)

static void admin_key(const char *name, char out[ADMIN_KEY_MAX])
{
	snprintf(out, ADMIN_KEY_MAX, ADMIN_KEY_PREFIX "%s", name);
}

/* Copies a field's value: 0, or -1 (too long for cap). */
static int admin_copy(struct userdb *db, const redisReply *v, char *out, size_t cap)
{
	if (v->len >= cap) {
		userdb_set_error(db, "turn/admin_user: a value longer than %zu bytes", cap - 1);
		return -1;
	}
	memcpy(out, v->str, v->len);
	out[v->len] = '\0';
	return 0;
}

int userdb_redis_get_admin(struct userdb *db, const char *name, char *realm, size_t realm_cap,
			   char *pw, size_t pw_cap)
{
	char key[ADMIN_KEY_MAX];
	const char *argv[] = {"HGETALL", key};
	redisReply *r;
	int rc = 0;

	admin_key(name, key);
	r = userdb_redis_command(db, 2, argv);
	if (!r)
		return -1;
	realm[0] = '\0';
	pw[0] = '\0';
	if (r->type != REDIS_REPLY_ARRAY || r->elements % 2) {
		freeReplyObject(r);
		userdb_set_error(db, "HGETALL %s: not a hash", key);
		return -1;
	}
	for (size_t i = 0; i + 1 < r->elements && rc >= 0; i += 2) {
		const redisReply *f = r->element[i], *v = r->element[i + 1];

		if (f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING)
			continue;
		if (strcmp(f->str, "password") == 0)
			rc = admin_copy(db, v, pw, pw_cap) < 0 ? -1 : 1;
		else if (strcmp(f->str, "realm") == 0 && admin_copy(db, v, realm, realm_cap) < 0)
			rc = -1;
	}
	freeReplyObject(r);
	return rc;
}

int userdb_redis_put_admin(struct userdb *db, const char *name, const char *realm,
			   const char *pw)
{
	char key[ADMIN_KEY_MAX];
	const char *del[] = {"DEL", key};
	const char *set[] = {"HSET", key, "password", pw, "realm", realm};
	redisReply *r;

	admin_key(name, key);
	/* a realm that goes away goes from the hash too */
	r = userdb_redis_command(db, 2, del);
	if (!r)
		return -1;
	freeReplyObject(r);
	r = userdb_redis_command(db, realm[0] ? 6 : 4, set);
	if (!r)
		return -1;
	freeReplyObject(r);
	return 0;
}

int userdb_redis_del_admin(struct userdb *db, const char *name)
{
	char key[ADMIN_KEY_MAX];
	const char *argv[] = {"DEL", key};
	redisReply *r;
	int rc;

	admin_key(name, key);
	r = userdb_redis_command(db, 2, argv);
	if (!r)
		return -1;
	rc = r->type == REDIS_REPLY_INTEGER && r->integer > 0 ? 0 : 1;
	freeReplyObject(r);
	return rc;
}

struct admin_walk {
	int (*cb)(void *arg, const char *realm, const char *name);
	void *arg;
};

static int admin_list_one(struct userdb *db, const char *key, void *arg)
{
	struct admin_walk *w = arg;
	const char *name = key + strlen(ADMIN_KEY_PREFIX);
	char realm[USERDB_NAME_MAX + 1], pw[USERDB_ADMIN_PW_MAX + 1];
	int rc;

	if (strlen(name) > USERDB_ADMIN_NAME_MAX)
		return 0; /* not one turnadmin could have made */
	rc = userdb_redis_get_admin(db, name, realm, sizeof(realm), pw, sizeof(pw));
	if (rc < 0)
		return -1;
	return rc ? w->cb(w->arg, realm, name) : 0;
}

int userdb_redis_list_admins(struct userdb *db,
			     int (*cb)(void *arg, const char *realm, const char *name), void *arg)
{
	struct admin_walk w = {cb, arg};

	return userdb_redis_scan(db, ADMIN_KEY_PREFIX "*", admin_list_one, &w);
}
