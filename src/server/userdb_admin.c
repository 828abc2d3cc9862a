/*
 * userdb_admin.c - web-admin accounts in a SQLite store: coturn's
 * admin_user table (name, realm, password), read and written as coturn's
 * turnadmin -A/-L/-D does, so either tool's accounts serve both servers.
 * The password column holds coturn's "$5$" hash (webadmin_pw.h), never the
 * password. These are rare operations (a login, turnadmin): each prepares
 * its statement.
 */
#include "server/userdb.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static sqlite3_stmt *admin_prepare(struct userdb *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(userdb_sqlite_conn(db), sql, -1, &st, NULL) != SQLITE_OK) {
		sqlite3_finalize(st);
		userdb_sqlite_error(db, "read");
		return NULL;
	}
	return st;
}

static int admin_copy(struct userdb *db, sqlite3_stmt *st, int col, char *out, size_t cap)
{
	const char *t = (const char *)sqlite3_column_text(st, col);
	size_t len = t ? strlen(t) : 0;

	if (len >= cap) {
		userdb_set_error(db, "admin_user: a value longer than %zu bytes", cap - 1);
		return -1;
	}
	memcpy(out, t ? t : "", len + 1);
	return 0;
}

int userdb_sqlite_get_admin(struct userdb *db, const char *name, char *realm, size_t realm_cap,
			    char *pw, size_t pw_cap)
{
	sqlite3_stmt *st = admin_prepare(db, "SELECT realm, password FROM admin_user WHERE name = ?1");
	int rc;

	if (!st)
		return -1;
	if (sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC) != SQLITE_OK)
		goto fail;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		sqlite3_finalize(st);
		return 0;
	}
	if (rc != SQLITE_ROW)
		goto fail;
	rc = admin_copy(db, st, 0, realm, realm_cap) || admin_copy(db, st, 1, pw, pw_cap) ? -1 : 1;
	sqlite3_finalize(st);
	return rc;
fail:
	userdb_sqlite_error(db, "read");
	sqlite3_finalize(st);
	return -1;
}

static int admin_write(struct userdb *db, const char *sql, const char *a, const char *b,
		       const char *c)
{
	sqlite3_stmt *st = admin_prepare(db, sql);
	const char *v[3] = {a, b, c};
	int rc;

	if (!st)
		return -1;
	for (int i = 0; i < 3 && v[i]; i++) {
		if (sqlite3_bind_text(st, i + 1, v[i], -1, SQLITE_STATIC) != SQLITE_OK)
			goto fail;
	}
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	rc = sqlite3_changes(userdb_sqlite_conn(db)) > 0 ? 0 : 1;
	sqlite3_finalize(st);
	return rc;
fail:
	userdb_sqlite_error(db, "write");
	sqlite3_finalize(st);
	return -1;
}

int userdb_sqlite_put_admin(struct userdb *db, const char *name, const char *realm,
			    const char *pw)
{
	int rc = admin_write(db,
			     "INSERT OR REPLACE INTO admin_user (name, realm, password) "
			     "VALUES (?1, ?2, ?3)",
			     name, realm, pw);

	return rc < 0 ? -1 : 0;
}

int userdb_sqlite_del_admin(struct userdb *db, const char *name)
{
	return admin_write(db, "DELETE FROM admin_user WHERE name = ?1", name, NULL, NULL);
}

int userdb_sqlite_list_admins(struct userdb *db,
			      int (*cb)(void *arg, const char *realm, const char *name), void *arg)
{
	sqlite3_stmt *st = admin_prepare(db, "SELECT realm, name FROM admin_user ORDER BY name");
	int rc;

	if (!st)
		return -1;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *r = (const char *)sqlite3_column_text(st, 0);
		const char *n = (const char *)sqlite3_column_text(st, 1);
		int stop = cb(arg, r ? r : "", n ? n : "");

		if (stop) {
			sqlite3_finalize(st);
			return stop;
		}
	}
	if (rc != SQLITE_DONE) {
		userdb_sqlite_error(db, "read");
		sqlite3_finalize(st);
		return -1;
	}
	sqlite3_finalize(st);
	return 0;
}
