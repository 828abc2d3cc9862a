/*
 * config_fixture.h - a fresh struct config per cmocka test handed in
 * *state (struct fixture: the config, its last error, a temp file removed
 * at teardown when path is set, notices collected by the test). For unit
 * tests that include cmocka.h first. Static functions only.
 */
#ifndef TESTS_UNIT_CONFIG_FIXTURE_H
#define TESTS_UNIT_CONFIG_FIXTURE_H

#include <stdlib.h>
#include <unistd.h>

#include "common/config.h"

struct fixture {
	struct config c;
	char err[512];
	char path[64];	    /* temp file, "" when none */
	char notices[2048]; /* "name: text\n" per notice */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	config_init(&f->c);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->path[0])
		unlink(f->path);
	config_free(&f->c);
	free(f);
	return 0;
}

#endif /* TESTS_UNIT_CONFIG_FIXTURE_H */
