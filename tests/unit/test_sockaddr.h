/*
 * test_sockaddr.h - test addresses from text, for unit tests that include
 * cmocka.h first. Static functions only.
 */
#ifndef TESTS_UNIT_TEST_SOCKADDR_H
#define TESTS_UNIT_TEST_SOCKADDR_H

#include <string.h>

#include "common/addr.h"

/* "IP" or "IP:port" / "[IPv6]:port" as a union sockaddr_u; fails the test if it does not parse. */
static inline union sockaddr_u test_su(const char *s)
{
	union sockaddr_u u;
	struct sockaddr_storage ss;

	memset(&u, 0, sizeof(u));
	if (addr_parse(s, 0, &ss, NULL) < 0)
		fail_msg("test address \"%s\" does not parse", s);
	memcpy(&u, &ss, addr_len((struct sockaddr *)&ss));
	return u;
}

/* "IP" (IPv6 bare, without brackets) with port as a union sockaddr_u. */
static inline union sockaddr_u test_su_port(const char *ip, uint16_t port)
{
	union sockaddr_u u = test_su(ip);

	addr_set_port(&u.sa, port);
	return u;
}

#endif /* TESTS_UNIT_TEST_SOCKADDR_H */
