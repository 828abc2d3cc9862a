/*
 * userdb_test.h - a fresh SQLite credential store per cmocka test, in its
 * own directory under /tmp, removed with everything in it afterwards. For
 * unit tests that include cmocka.h first. Static functions only.
 */
#ifndef TESTS_UNIT_USERDB_TEST_H
#define TESTS_UNIT_USERDB_TEST_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "server/userdb.h"

struct fixture {
	char dir[64];
	char path[128];
	struct userdb *db;
};

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[USERDB_ERR_LEN];

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_userdb.XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/users.db", f->dir);
	f->db = userdb_open_sqlite(f->path, true, err, sizeof(err));
	if (!f->db) {
		print_error("%s\n", err);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	userdb_close(f->db);
	nftw(f->dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

#endif
