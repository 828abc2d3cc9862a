/*
 * test_iceservers.c - the iceServers JSON (src/common/iceservers.c): the
 * turns: URL (RFC 7065) after the others when a TLS port is given, none
 * without, IPv6 hosts in brackets, and -1 when the buffer is too small.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/iceservers.h"

static void test_tls_port_adds_turns_url(void **state)
{
	char out[512];

	(void)state;
	assert_true(ice_servers_json_tls(out, sizeof(out), "203.0.113.10", 3478, true, true, 443,
					 "u", "p") > 0);
	assert_string_equal(out, "[{\"urls\":[\"stun:203.0.113.10:3478\","
				 "\"turn:203.0.113.10:3478?transport=udp\","
				 "\"turn:203.0.113.10:3478?transport=tcp\","
				 "\"turns:203.0.113.10:443?transport=tcp\"],"
				 "\"username\":\"u\",\"credential\":\"p\"}]");
}

static void test_no_tls_port_no_turns_url(void **state)
{
	char a[512], b[512];

	(void)state;
	assert_true(ice_servers_json_tls(a, sizeof(a), "::1", 3478, true, false, 0, "u", NULL) > 0);
	assert_null(strstr(a, "turns:"));
	assert_non_null(strstr(a, "\"turn:[::1]:3478?transport=udp\""));
	assert_true(ice_servers_json(b, sizeof(b), "::1", 3478, true, false, "u", NULL) > 0);
	assert_string_equal(a, b);
}

static void test_turns_url_brackets_ipv6_and_fits_or_fails(void **state)
{
	char out[512];
	int n;

	(void)state;
	n = ice_servers_json_tls(out, sizeof(out), "2001:db8::1", 3478, false, false, 5349, NULL,
				 NULL);
	assert_true(n > 0);
	assert_non_null(strstr(out, "\"turns:[2001:db8::1]:5349?transport=tcp\""));
	assert_int_equal(ice_servers_json_tls(out, (size_t)n, "2001:db8::1", 3478, false, false,
					      5349, NULL, NULL),
			 -1);
	assert_int_equal(ice_servers_json_tls(out, (size_t)n + 1, "2001:db8::1", 3478, false,
					      false, 5349, NULL, NULL),
			 n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tls_port_adds_turns_url),
		cmocka_unit_test(test_no_tls_port_no_turns_url),
		cmocka_unit_test(test_turns_url_brackets_ipv6_and_fits_or_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
