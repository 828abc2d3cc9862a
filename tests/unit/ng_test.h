/*
 * ng_test.h - what the unit tests of the ng request reader
 * (src/anchor/ng_request.c: test_ng_request.c, test_ng_ignored.c) share: a
 * fixture holding the parsed document and the request, and ng_test_parse().
 * Include after <cmocka.h>.
 */
#ifndef TESTS_UNIT_NG_TEST_H
#define TESTS_UNIT_NG_TEST_H

#include <stdlib.h>
#include <string.h>

#include "anchor/anchor_internal.h"

struct fixture {
	struct bdoc *d;
	struct ng_request req;
	char reason[256];
};

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->d)
		bdoc_free(f->d);
	free(f);
	return 0;
}

/* Parses the bencoded or JSON text (which must be well-formed) and reads it
 * as a request: ng_request_parse's result, its reason in f->reason. */
static inline int ng_test_parse(struct fixture *f, const char *text)
{
	struct bval *root = NULL;
	char err[160];

	if (f->d)
		bdoc_free(f->d);
	f->d = bdoc_new();
	assert_non_null(f->d);
	assert_int_equal(bdoc_parse(f->d, (const uint8_t *)text, strlen(text), &root, err,
				    sizeof(err)),
			 0);
	f->reason[0] = '\0';
	return ng_request_parse(root, &f->req, f->reason, sizeof(f->reason));
}

#endif
