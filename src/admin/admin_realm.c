/*
 * admin_realm.c - coturn's turnadmin -g and -G: the realm's options in the
 * store (max-bps, user-quota, total-quota; 0 removes one), which a running
 * turnserver reads every realm-options-refresh seconds (realm_opts.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin/turnadmin.h"

/* A realm option's value: decimal digits, 0 to 2^32-1. 0, or -1 (said). */
static int admin_realm_value(const char *name, const char *text, unsigned long *out)
{
	unsigned long v = 0;

	if (!*text || strspn(text, "0123456789") != strlen(text) || strlen(text) > 10)
		goto bad;
	v = strtoul(text, NULL, 10);
	if (v > UINT32_MAX)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "turnadmin: --%s needs a number from 0 (removes it) to %u\n", name,
		UINT32_MAX);
	return -1;
}

int admin_set_realm_options(const struct admin *a)
{
	unsigned long v[USERDB_REALM_OPTION_COUNT];
	struct userdb *db;
	int rc;

	for (int i = 0; i < USERDB_REALM_OPTION_COUNT; i++)
		if (a->realm_opt[i] &&
		    admin_realm_value(userdb_realm_options[i], a->realm_opt[i], &v[i]))
			return EXIT_USAGE;
	rc = admin_open(a, true, &db);
	if (rc)
		return rc;
	for (int i = 0; i < USERDB_REALM_OPTION_COUNT && !rc; i++) {
		if (!a->realm_opt[i])
			continue;
		if (userdb_set_realm_option(db, a->realm, userdb_realm_options[i], v[i]) < 0) {
			fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
			rc = EXIT_STORE;
		}
	}
	userdb_close(db);
	return rc;
}

/* coturn's -G line: OPTION[REALM]=VALUE */
static void admin_realm_line(const char *realm, const char *opt, const char *value)
{
	admin_put_name(stdout, opt);
	putchar('[');
	admin_put_name(stdout, realm);
	fputs("]=", stdout);
	admin_put_name(stdout, value);
	putchar('\n');
}

static int admin_realm_row(void *arg, const char *realm, const char *opt, const char *value)
{
	(void)arg;
	admin_realm_line(realm, opt, value);
	return 0;
}

int admin_list_realm_options(const struct admin *a)
{
	struct userdb *db;
	char num[24];
	unsigned long v;
	int rc = admin_open(a, false, &db);

	if (rc)
		return rc;
	if (!a->realm) {
		/* every realm's rows; only SQLite can walk them */
		if (a->redis) {
			fprintf(stderr, "turnadmin: -G with -N needs a realm (-r)\n");
			rc = EXIT_USAGE;
		} else if (userdb_list_realm_options(db, admin_realm_row, NULL) < 0) {
			fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
			rc = EXIT_STORE;
		}
		goto out;
	}
	for (int i = 0; i < USERDB_REALM_OPTION_COUNT; i++) {
		int got = userdb_realm_option(db, a->realm, userdb_realm_options[i], &v);

		if (got < 0) {
			fprintf(stderr, "turnadmin: %s\n", userdb_errmsg(db));
			rc = EXIT_STORE;
			break;
		}
		if (got > 0)
			continue;
		snprintf(num, sizeof(num), "%lu", v);
		admin_realm_line(a->realm, userdb_realm_options[i], num);
	}
out:
	userdb_close(db);
	if (rc == 0 && fflush(stdout) != 0)
		rc = EXIT_STORE;
	return rc;
}
