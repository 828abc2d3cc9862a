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

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "server/server.h"

#define T0 ((uint64_t)10 * 1000 * 1000)

static struct config cfg;
static struct server srv;
static struct worker w;
static struct allocation *a;

static int setup(void **state)
{
	(void)state;
	config_init(&cfg);
	cfg.permission_lifetime = 300;
	cfg.channel_lifetime = 600;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	memset(&w, 0, sizeof(w));
	w.srv = &srv;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -1;
	a->w = &w;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(a->perms);
	free(a->chans);
	free(a);
	config_free(&cfg);
	return 0;
}

/* The i-th of many distinct IPv4 peers: 10.1.x.y. */
static union sockaddr_u nth_peer(int i)
{
	union sockaddr_u u;

	memset(&u, 0, sizeof(u));
	u.in.sin_family = AF_INET;
	u.in.sin_port = htons(9);
	u.in.sin_addr.s_addr = htonl(0x0a010000u + (uint32_t)i + 1);
	return u;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_binding_installs_the_permission, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_full_permission_table_fails_the_binding_and_binds_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_binding_refreshes_an_existing_permission_when_the_table_is_full, setup,
		teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
