/*
 * alloc_test.h - an allocation of src/server/allocation.c built by hand for
 * unit tests that include cmocka.h first: a config, server and worker with
 * no relay socket, timer or engine, so every call gets an explicit `now`.
 * Static objects and functions only.
 */
#ifndef TESTS_UNIT_ALLOC_TEST_H
#define TESTS_UNIT_ALLOC_TEST_H

#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/config.h"
#include "server/server.h"

#define ALLOC_TEST_PERM_S 300
#define ALLOC_TEST_CHAN_S 600

static struct config cfg;
static struct server srv;
static struct worker w;
static struct allocation *a;

/* cmocka setup: a fresh allocation with 300 s permissions and 600 s channels. */
static inline int alloc_test_setup(void **state)
{
	(void)state;
	config_init(&cfg);
	cfg.permission_lifetime = ALLOC_TEST_PERM_S;
	cfg.channel_lifetime = ALLOC_TEST_CHAN_S;
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

/* Frees the allocation with the tables and cached answers alloc_* made. */
static inline void alloc_test_free(void)
{
	for (int i = 0; i < 2; i++)
		free(a->txn[i].resp);
	free(a->perms);
	free(a->chans);
	free(a);
	a = NULL;
}

/* cmocka teardown of alloc_test_setup. */
static inline int alloc_test_teardown(void **state)
{
	(void)state;
	alloc_test_free();
	config_free(&cfg);
	return 0;
}

/* The i-th of many distinct IPv4 peers, 10.0.x.y, with PORT. */
static inline union sockaddr_u alloc_test_nth_peer(int i, uint16_t port)
{
	union sockaddr_u u;

	memset(&u, 0, sizeof(u));
	u.in.sin_family = AF_INET;
	u.in.sin_port = htons(port);
	u.in.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i + 1);
	return u;
}

#endif /* TESTS_UNIT_ALLOC_TEST_H */
