/*
 * test_ng_control.c - src/anchor/ng_control.c: the reply cache that answers
 * a retransmitted ng request without running it twice: found by the whole
 * cookie, kept exactly anchor-ng-cache-time, expired oldest first, and the
 * oldest dropped once the entry cap is passed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "anchor/anchor_internal.h"
#include "common/config.h"

struct fixture {
	struct config cfg;
	struct anchor an;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	config_init(&f->cfg);
	f->cfg.anchor_ng_cache_time = 2;
	f->an.cfg = &f->cfg;
	f->an.cache_mask = 63;
	f->an.cache = calloc(f->an.cache_mask + 1, sizeof(*f->an.cache));
	assert_non_null(f->an.cache);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ng_cache_expire(&f->an, UINT64_MAX);
	assert_int_equal(f->an.cache_entries, 0);
	assert_int_equal(f->an.cache_bytes, 0);
	free(f->an.cache);
	config_free(&f->cfg);
	free(f);
	return 0;
}

static void add(struct fixture *f, const char *cookie, const char *reply, uint64_t now_ms)
{
	ng_cache_add(&f->an, cookie, strlen(cookie), (const uint8_t *)reply, strlen(reply), now_ms);
}

static void test_found_by_whole_cookie(void **state)
{
	struct fixture *f = *state;
	const struct ng_cache_entry *e;

	add(f, "abc", "abc d6:result4:ponge", 1000);
	e = ng_cache_find(&f->an, "abc", 3);
	assert_non_null(e);
	assert_int_equal(e->reply_len, strlen("abc d6:result4:ponge"));
	assert_memory_equal(e->reply, "abc d6:result4:ponge", e->reply_len);
	assert_null(ng_cache_find(&f->an, "ab", 2));
	assert_null(ng_cache_find(&f->an, "abcd", 4));
	assert_int_equal(f->an.cache_entries, 1);
	assert_int_equal(f->an.cache_bytes, e->reply_len);
}

static void test_kept_exactly_the_cache_time(void **state)
{
	struct fixture *f = *state;

	add(f, "k1", "k1 x", 1000);
	add(f, "k2", "k2 y", 1500);
	ng_cache_expire(&f->an, 2999);
	assert_non_null(ng_cache_find(&f->an, "k1", 2));
	ng_cache_expire(&f->an, 3000); /* 1000 + 2 s */
	assert_null(ng_cache_find(&f->an, "k1", 2));
	assert_non_null(ng_cache_find(&f->an, "k2", 2));
	ng_cache_expire(&f->an, 3500);
	assert_null(ng_cache_find(&f->an, "k2", 2));
	assert_int_equal(f->an.cache_entries, 0);
}

static void test_cache_time_is_the_option(void **state)
{
	struct fixture *f = *state;

	f->cfg.anchor_ng_cache_time = 60;
	add(f, "long", "long x", 0);
	ng_cache_expire(&f->an, 59999);
	assert_non_null(ng_cache_find(&f->an, "long", 4));
	ng_cache_expire(&f->an, 60000);
	assert_null(ng_cache_find(&f->an, "long", 4));
}

static void test_entry_cap_drops_the_oldest(void **state)
{
	struct fixture *f = *state;
	char cookie[32];
	unsigned int i, cap = 65536; /* NG_CACHE_MAX_ENTRIES */

	for (i = 0; i <= cap; i++) {
		snprintf(cookie, sizeof(cookie), "c%u", i);
		add(f, cookie, "r", 1000);
	}
	assert_int_equal(f->an.cache_entries, cap);
	assert_null(ng_cache_find(&f->an, "c0", 2));
	assert_non_null(ng_cache_find(&f->an, "c1", 2));
	snprintf(cookie, sizeof(cookie), "c%u", cap);
	assert_non_null(ng_cache_find(&f->an, cookie, strlen(cookie)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_found_by_whole_cookie, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kept_exactly_the_cache_time, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cache_time_is_the_option, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entry_cap_drops_the_oldest, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
