/*
 * config_test.h - a fresh struct config per cmocka test (c, with the last
 * error in err), and the two ways in: a configuration file's text
 * (load_text, through a temp file) and a command line (args). For unit
 * tests that include cmocka.h first. Static functions only.
 */
#ifndef TESTS_UNIT_CONFIG_TEST_H
#define TESTS_UNIT_CONFIG_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/config.h"

static struct config c;
static char err[512];

static int setup(void **state)
{
	(void)state;
	config_init(&c);
	err[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	config_free(&c);
	return 0;
}

/* config_load_file() on text, through a temp file. */
static int load_text(const char *text)
{
	char path[] = "/tmp/test_config_XXXXXX";
	int fd = mkstemp(path);
	int rc;

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	rc = config_load_file(&c, path, err, sizeof(err));
	unlink(path);
	return rc;
}

static int args(int argc, char **argv)
{
	return config_parse_args(&c, argc, argv, err, sizeof(err));
}

#endif /* TESTS_UNIT_CONFIG_TEST_H */
