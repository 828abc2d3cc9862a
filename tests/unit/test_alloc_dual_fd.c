/*
 * test_alloc_dual_fd.c - a dual-stack Allocate (RFC 8656 §7.2,
 * ADDITIONAL-ADDRESS-FAMILY) whose IPv6 relay socket is bound but cannot
 * be watched keeps its IPv4 relay, answers the IPv6 half with 508, and
 * leaves no socket open behind it: the fds of the process are counted
 * (/proc/self/fd) before and after. The failure is injected by wrapping
 * libevent's event_new(): the test binary's definition wins over the
 * library's, and passes every other call on.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <dlfcn.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "server/server.h"
#include "test_sockaddr.h"

#define ROUNDS 20

/* event_new() calls from now on until one fails; 0: none fails. */
static int fail_in;

struct event *event_new(struct event_base *base, evutil_socket_t fd, short what,
			event_callback_fn cb, void *arg)
{
	static struct event *(*real)(struct event_base *, evutil_socket_t, short,
				     event_callback_fn, void *);

	if (fail_in && --fail_in == 0)
		return NULL;
	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "event_new");
	return real ? real(base, fd, what, cb, arg) : NULL;
}

static struct config cfg;
static struct server srv;
static struct worker w;
static struct udp_listener lsn;

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static int setup(void **state)
{
	(void)state;
	config_init(&cfg);
	cfg.min_port = 40000;
	cfg.max_port = 60000;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	pthread_mutex_init(&srv.lock, NULL);
	srv.relay.relay_v4 = test_su("127.0.0.1");
	srv.relay.relay_v6 = test_su("::1");
	srv.relay.has_relay_v4 = srv.relay.has_relay_v6 = true;
	memset(&w, 0, sizeof(w));
	w.srv = &srv;
	w.base = event_base_new();
	w.table = calloc(64, sizeof(*w.table));
	w.table_mask = 63;
	lsn.w = &w;
	return w.base && w.table && limits_init(&srv) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	free(w.table);
	event_base_free(w.base);
	limits_free(&srv);
	pthread_mutex_destroy(&srv.lock);
	config_free(&cfg);
	return 0;
}

static struct allocation *dual_allocate(int *v6_error)
{
	struct origin o = {.w = &w, .lsn = &lsn};
	struct auth_result auth;
	struct allocation *a = NULL;
	uint64_t token;

	memset(&auth, 0, sizeof(auth));
	strcpy(auth.username, "alice");
	o.client = test_su("127.0.0.1");
	assert_int_equal(alloc_create(&o, &auth, STUN_FAMILY_IPV4, false, true, false, false, 0,
				      false, &a, &token, v6_error),
			 0);
	return a;
}

static void test_dual_allocation_has_both_relays(void **state)
{
	struct allocation *a;
	int v6_error;

	(void)state;
	a = dual_allocate(&v6_error);
	assert_int_equal(v6_error, 0);
	assert_int_equal(a->nrelay, 2);
	alloc_free(a);
}

/* The third event_new() of alloc_create(): timer, IPv4 relay, IPv6 relay. */
static void test_ipv6_relay_that_cannot_be_watched_is_closed(void **state)
{
	int before = open_fds();

	(void)state;
	for (int i = 0; i < ROUNDS; i++) {
		struct allocation *a;
		int v6_error;

		fail_in = 3;
		a = dual_allocate(&v6_error);
		assert_int_equal(v6_error, TURN_ERR_INSUFFICIENT_CAPACITY);
		assert_int_equal(a->nrelay, 1);
		assert_int_equal(a->relay[0].local.sa.sa_family, AF_INET);
		alloc_free(a);
	}
	fail_in = 0;
	assert_int_equal(open_fds(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_dual_allocation_has_both_relays, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ipv6_relay_that_cannot_be_watched_is_closed, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
