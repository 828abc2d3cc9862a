/*
 * test_alloc_bind_atomic.c - a channel binding (src/server/allocation.c,
 * alloc_bind_channel) installs its peer's permission too (RFC 8656 §12.2),
 * both or neither: when the permission table is full the binding fails with
 * -2 (508) and leaves no channel behind, so the number stays free. The
 * allocation is built by hand, every call gets an explicit `now`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alloc_test.h"

#define T0 ((uint64_t)10 * 1000 * 1000)

static union sockaddr_u nth_peer(int i)
{
	return alloc_test_nth_peer(i, 9);
}

static void fill_permissions(void)
{
	for (int i = 0; i < SERVER_MAX_PERMS; i++) {
		union sockaddr_u p = nth_peer(i);

		assert_int_equal(alloc_install_perm(a, &p, T0), 0);
	}
}

static void test_binding_installs_the_permission(void **state)
{
	union sockaddr_u p = nth_peer(0);

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_non_null(alloc_find_perm(a, &p.sa, T0));
	assert_non_null(alloc_find_channel(a, 0x4000, T0));
}

static void test_full_permission_table_fails_the_binding_and_binds_nothing(void **state)
{
	union sockaddr_u extra = nth_peer(SERVER_MAX_PERMS), first = nth_peer(0);

	(void)state;
	fill_permissions();
	assert_int_equal(alloc_bind_channel(a, 0x4001, &extra, T0 + 1), -2);
	assert_null(alloc_find_channel(a, 0x4001, T0 + 1));
	assert_null(alloc_find_channel_by_peer(a, &extra, T0 + 1));
	assert_null(alloc_find_perm(a, &extra.sa, T0 + 1));
	assert_int_equal(a->nchans, 0);
	assert_int_equal(a->nperms, SERVER_MAX_PERMS);
	/* the number was never taken: a peer that has a permission gets it */
	assert_int_equal(alloc_bind_channel(a, 0x4001, &first, T0 + 2), 0);
	assert_non_null(alloc_find_channel(a, 0x4001, T0 + 2));
	assert_int_equal(a->nperms, SERVER_MAX_PERMS);
}

/* A peer whose permission exists needs no new slot: the binding refreshes it. */
static void test_binding_refreshes_an_existing_permission_when_the_table_is_full(void **state)
{
	union sockaddr_u last = nth_peer(SERVER_MAX_PERMS - 1), first = nth_peer(0);
	uint64_t later = T0 + 200 * 1000;

	(void)state;
	fill_permissions();
	assert_int_equal(alloc_bind_channel(a, 0x4002, &last, later), 0);
	/* 300 s from the binding, not from the first install */
	assert_non_null(alloc_find_perm(a, &last.sa, T0 + 400 * 1000));
	assert_null(alloc_find_perm(a, &first.sa, T0 + 400 * 1000));
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, alloc_test_setup, alloc_test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_binding_installs_the_permission),
	    T(test_full_permission_table_fails_the_binding_and_binds_nothing),
	    T(test_binding_refreshes_an_existing_permission_when_the_table_is_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
