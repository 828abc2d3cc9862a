/*
 * admin_accounts.c - turnadmin's web-admin accounts, as coturn's turnadmin
 * keeps them (its admin_user table in SQLite, turn/admin_user/NAME in
 * Redis with -N): -A adds or replaces one (-u, -p, and
 * -r for an admin of one realm; without it, of every realm), -D deletes
 * one, -L lists them ("name[realm]", or "name" for
 * an admin of every realm, a line), -P prints the stored form of
 * a password. Only that hashed form is ever stored.
 */
#include "admin/turnadmin.h"
#include "server/webadmin_pw.h"

#include <stdio.h>
#include <string.h>

static int admin_list_one(void *arg, const char *realm, const char *name)
{
	/* as coturn prints them: an admin of every realm without brackets */
	if (*realm)
		fprintf(arg, "%s[%s]\n", name, realm);
	else
		fprintf(arg, "%s\n", name);
	return 0;
}

int admin_accounts(const struct admin *a)
{
	char hash[WEBADMIN_PW_LEN + 1];
	struct userdb *db;
	int rc;

	if (a->action == ACT_ENC_PASSWORD) {
		if (webadmin_pw_hash(a->password, hash) < 0) {
			fprintf(stderr, "turnadmin: cannot hash the password\n");
			return EXIT_STORE;
		}
		printf("%s\n", hash);
		explicit_bzero(hash, sizeof(hash));
		return fflush(stdout) == 0 ? 0 : EXIT_STORE;
	}
	rc = admin_open(a, a->action == ACT_ADD_ADMIN, &db);
	if (rc)
		return rc;
	if (a->action == ACT_ADD_ADMIN)
		rc = userdb_set_admin(db, a->user, a->realm ? a->realm : "", a->password);
	else if (a->action == ACT_DEL_ADMIN)
		rc = userdb_del_admin(db, a->user);
	else
		rc = userdb_list_admins(db, admin_list_one, stdout);
	if (rc < 0) {
		fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
		rc = EXIT_STORE;
	} else if (rc == 1) {
		fprintf(stderr, "turnadmin: no admin '%s' in %s\n", a->user, a->store_name);
		rc = EXIT_STORE;
	}
	userdb_close(db);
	if (fflush(stdout) != 0)
		rc = EXIT_STORE;
	return rc;
}
