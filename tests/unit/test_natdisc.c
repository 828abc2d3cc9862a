/*
 * test_natdisc.c - RFC 5780 NAT behaviour discovery: the codec's
 * CHANGE-REQUEST, RESPONSE-PORT and PADDING (built, decoded, and refused
 * when malformed), the rfc5780 and alt-listening-port options, the
 * server's plan for a Binding (src/server/natdisc.c: the address it answers
 * from, OTHER-ADDRESS, where the answer goes, 400 and 420 for what it cannot
 * act on), and the client's verdicts (src/client/natdisc_verdict.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client/natdisc_verdict.h"
#include "common/config.h"
#include "common/log.h"
#include "server/server.h"
#include "stun_test.h"

#define PORT 3478
#define ALT 3479

static struct config cfg;
static struct server srv;

static union sockaddr_u su(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss = addr(ip, port);
	union sockaddr_u u;

	memcpy(&u, &ss, sizeof(u));
	return u;
}

static void assert_su(const union sockaddr_u *u, const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, u, sizeof(*u));
	assert_addr(&ss, ip, port);
}

static void listen_on(const char *const *ips, int n)
{
	srv.relay.nlisten = n;
	for (int i = 0; i < n; i++)
		srv.relay.listen[i] = su(ips[i], PORT);
}

static int setup(void **state)
{
	static const char *const ips[] = {"192.0.2.1", "192.0.2.2", "192.0.2.3", "2001:db8::1"};
	char err[256];

	(void)state;
	config_init(&cfg);
	cfg.rfc5780 = true;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	listen_on(ips, 4);
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	config_free(&cfg);
	return 0;
}

/* A Binding request of the given attributes, parsed into m (buf must outlive it). */
#define BINDING(m, buf, ...)                                                                       \
	assert_int_equal(stun_msg_parse(m, buf, RAW_MSG(buf, 0x0001, __VA_ARGS__)), STUN_PARSE_OK)

static void test_change_request_and_response_port_round_trip(void **state)
{
	uint8_t buf[2048];
	struct stun_builder b;
	struct stun_msg m;
	uint8_t flags = 0;
	uint16_t port = 0;
	size_t len;

	(void)state;
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, test_tid);
	stun_put_change_request(&b, STUN_CHANGE_IP | STUN_CHANGE_PORT | 0x81);
	stun_put_response_port(&b, 40000);
	stun_put_padding(&b, 1500);
	len = stun_build_end(&b);
	assert_int_equal(len, STUN_HEADER_LEN + 8 + 8 + 4 + 1500);
	assert_int_equal(stun_msg_parse(&m, buf, len), STUN_PARSE_OK);
	assert_int_equal(m.nunknown, 0);
	assert_int_equal(stun_attr_change_request(stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST),
						  &flags),
			 0);
	/* only the two flags are sent and read */
	assert_int_equal(flags, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	assert_int_equal(get32(stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST)->val), 0x06);
	assert_int_equal(stun_attr_response_port(stun_msg_find(&m, STUN_ATTR_RESPONSE_PORT), &port),
			 0);
	assert_int_equal(port, 40000);
	assert_int_equal(stun_msg_find(&m, STUN_ATTR_PADDING)->len, 1500);
}

static void test_malformed_attributes_are_refused(void **state)
{
	static const uint8_t three[3] = {0, 0, 6}, eight[8] = {0, 0, 0, 6}, zero[4] = {0};
	static const uint8_t two[2] = {0x9c, 0x40};
	const struct stun_attr *a;
	uint8_t buf[256], flags;
	uint16_t port;
	struct stun_msg m;

	(void)state;
	BINDING(&m, buf, {STUN_ATTR_CHANGE_REQUEST, 3, three});
	a = stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST);
	assert_int_equal(stun_attr_change_request(a, &flags), -1);
	BINDING(&m, buf, {STUN_ATTR_CHANGE_REQUEST, 8, eight});
	assert_int_equal(stun_attr_change_request(stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST),
						  &flags),
			 -1);
	BINDING(&m, buf, {STUN_ATTR_CHANGE_REQUEST, 0, NULL});
	assert_int_equal(stun_attr_change_request(stun_msg_find(&m, STUN_ATTR_CHANGE_REQUEST),
						  &flags),
			 -1);
	BINDING(&m, buf, {STUN_ATTR_RESPONSE_PORT, 2, two});
	assert_int_equal(stun_attr_response_port(stun_msg_find(&m, STUN_ATTR_RESPONSE_PORT), &port),
			 -1);
	BINDING(&m, buf, {STUN_ATTR_RESPONSE_PORT, 4, zero});
	assert_int_equal(stun_attr_response_port(stun_msg_find(&m, STUN_ATTR_RESPONSE_PORT), &port),
			 -1);
	BINDING(&m, buf, {STUN_ATTR_RESPONSE_PORT, 8, eight});
	assert_int_equal(stun_attr_response_port(stun_msg_find(&m, STUN_ATTR_RESPONSE_PORT), &port),
			 -1);
}

static void test_options(void **state)
{
	struct config c;
	char err[256];

	(void)state;
	config_init(&c);
	assert_false(c.rfc5780);
	assert_int_equal(config_alt_listening_port(&c), CONFIG_DEFAULT_LISTENING_PORT + 1);
	assert_int_equal(config_set(&c, "rfc5780", NULL, err, sizeof(err)), 0);
	assert_true(c.rfc5780);
	assert_int_equal(config_set(&c, "no-rfc5780", NULL, err, sizeof(err)), 0);
	assert_false(c.rfc5780);
	assert_int_equal(config_set(&c, "alt-listening-port", "4000", err, sizeof(err)), 0);
	assert_int_equal(config_alt_listening_port(&c), 4000);
	assert_int_equal(config_set(&c, "alt-listening-port", "65536", err, sizeof(err)), -1);
	c.alt_listening_port = 0;
	c.listening_port = 65535;
	assert_int_equal(config_alt_listening_port(&c), 0);
	config_free(&c);
}

static void test_setup_needs_two_addresses_and_a_port_of_its_own(void **state)
{
	static const char *const one[] = {"192.0.2.1", "2001:db8::1"};
	static const char *const same[] = {"192.0.2.1", "192.0.2.1"};
	static const char *const public_and_loopback[] = {"203.0.113.1", "127.0.0.1"};
	static const char *const mixed[] = {"203.0.113.1", "10.0.0.1", "127.0.0.1", "203.0.113.2"};
	char err[256];

	(void)state;
	listen_on(one, 2);
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "two listening addresses"));
	listen_on(same, 2);
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), -1);
	/* a loopback address is no partner for a public one */
	listen_on(public_and_loopback, 2);
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), -1);
	/* the partner is the next address of the first one's class */
	listen_on(mixed, 4);
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), 0);
	assert_true(natdisc_listens_alt(&srv, &srv.relay.listen[0]));
	assert_false(natdisc_listens_alt(&srv, &srv.relay.listen[1]));
	assert_false(natdisc_listens_alt(&srv, &srv.relay.listen[2]));
	assert_true(natdisc_listens_alt(&srv, &srv.relay.listen[3]));
	cfg.rfc5780 = false;
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), 0);
	/* nothing accepted silently: alt-listening-port alone is named in a warning */
	{
		char path[] = "/tmp/test_natdisc_log.XXXXXX", buf[512];
		int fd = mkstemp(path);
		ssize_t n;

		assert_true(fd >= 0);
		assert_int_equal(log_open(path, err, sizeof(err)), 0);
		cfg.alt_listening_port = PORT + 7;
		assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), 0);
		log_close();
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		close(fd);
		unlink(path);
		assert_true(n > 0);
		buf[n] = '\0';
		assert_non_null(strstr(buf, "alt-listening-port"));
		assert_non_null(strstr(buf, "not acted on without rfc5780"));
	}
	cfg.rfc5780 = true;
	cfg.alt_listening_port = PORT;
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "alt-listening-port"));
	cfg.alt_listening_port = cfg.tls_listening_port;
	assert_int_equal(natdisc_setup(&srv, err, sizeof(err)), -1);
}

static void test_only_the_pair_listens_on_the_alternate_port(void **state)
{
	union sockaddr_u a = su("192.0.2.1", PORT), b = su("192.0.2.2", PORT);
	union sockaddr_u c = su("192.0.2.3", PORT), v6 = su("2001:db8::1", PORT);

	(void)state;
	assert_true(natdisc_listens_alt(&srv, &a));
	assert_true(natdisc_listens_alt(&srv, &b));
	/* a third address of the family, and IPv6 with one address, stay out */
	assert_false(natdisc_listens_alt(&srv, &c));
	assert_false(natdisc_listens_alt(&srv, &v6));
}

static void check_plan(const char *local_ip, uint16_t local_port, uint8_t change,
		       const char *from_ip, uint16_t from_port, const char *other_ip,
		       uint16_t other_port)
{
	union sockaddr_u local = su(local_ip, local_port), client = su("198.51.100.7", 50000);
	struct natdisc_plan p;
	struct stun_msg m;
	uint8_t buf[128], cr[4] = {0, 0, 0, change};
	uint16_t unknown = 0;

	if (change)
		BINDING(&m, buf, {STUN_ATTR_CHANGE_REQUEST, 4, cr});
	else
		BINDING(&m, buf, {STUN_ATTR_SOFTWARE, 1, "x"});
	assert_int_equal(natdisc_plan(&srv, true, &local, &client, &m, &p, &unknown), 0);
	assert_true(p.on);
	assert_su(&p.from, from_ip, from_port);
	assert_su(&p.other, other_ip, other_port);
	assert_su(&p.to, "198.51.100.7", 50000);
	assert_int_equal(p.padding, 0);
}

static void test_plan_answers_from_the_address_asked_for(void **state)
{
	(void)state;
	/* RFC 5780 §7.3: OTHER-ADDRESS differs in IP and port from where it came */
	check_plan("192.0.2.1", PORT, 0, "192.0.2.1", PORT, "192.0.2.2", ALT);
	check_plan("192.0.2.2", PORT, 0, "192.0.2.2", PORT, "192.0.2.1", ALT);
	check_plan("192.0.2.2", ALT, 0, "192.0.2.2", ALT, "192.0.2.1", PORT);
	check_plan("192.0.2.1", ALT, 0, "192.0.2.1", ALT, "192.0.2.2", PORT);
	/* §7.2: CHANGE-REQUEST moves the source */
	check_plan("192.0.2.1", PORT, STUN_CHANGE_IP | STUN_CHANGE_PORT, "192.0.2.2", ALT,
		   "192.0.2.2", ALT);
	check_plan("192.0.2.1", PORT, STUN_CHANGE_PORT, "192.0.2.1", ALT, "192.0.2.2", ALT);
	check_plan("192.0.2.1", PORT, STUN_CHANGE_IP, "192.0.2.2", PORT, "192.0.2.2", ALT);
	check_plan("192.0.2.2", ALT, STUN_CHANGE_IP | STUN_CHANGE_PORT, "192.0.2.1", PORT,
		   "192.0.2.1", PORT);
}

static void test_plan_response_port_and_padding(void **state)
{
	union sockaddr_u local = su("192.0.2.1", PORT), client = su("198.51.100.7", 50000);
	static const uint8_t rp[4] = {0x9c, 0x41, 0, 0}; /* 40001 */
	static uint8_t pad[3000];
	uint8_t buf[3200];
	struct natdisc_plan p;
	struct stun_msg m;
	uint16_t unknown = 0;

	(void)state;
	BINDING(&m, buf, {STUN_ATTR_RESPONSE_PORT, 4, rp}, {STUN_ATTR_PADDING, 100, pad});
	assert_int_equal(natdisc_plan(&srv, true, &local, &client, &m, &p, &unknown), 0);
	/* §7.5: the client's IP, another port */
	assert_su(&p.to, "198.51.100.7", 40001);
	assert_int_equal(p.padding, 100);
	/* answered in kind, never past NATDISC_MAX_PADDING */
	BINDING(&m, buf, {STUN_ATTR_PADDING, 3000, pad});
	assert_int_equal(natdisc_plan(&srv, true, &local, &client, &m, &p, &unknown), 0);
	assert_int_equal(p.padding, NATDISC_MAX_PADDING);
}

static void test_plan_refuses_what_it_cannot_act_on(void **state)
{
	union sockaddr_u local = su("192.0.2.1", PORT), client = su("198.51.100.7", 50000);
	union sockaddr_u third = su("192.0.2.3", PORT), v6 = su("2001:db8::1", PORT);
	union sockaddr_u v6client = su("2001:db8::9", 50000);
	static const uint8_t cr[4] = {0, 0, 0, 6}, bad_cr[2] = {0, 6}, rp0[4] = {0};
	uint8_t buf[128];
	struct natdisc_plan p;
	struct stun_msg m;
	uint16_t unknown = 0;

	(void)state;
	/* malformed: 400 */
	BINDING(&m, buf, {STUN_ATTR_CHANGE_REQUEST, 2, bad_cr});
	assert_int_equal(natdisc_plan(&srv, true, &local, &client, &m, &p, &unknown),
			 STUN_ERR_BAD_REQUEST);
	BINDING(&m, buf, {STUN_ATTR_RESPONSE_PORT, 4, rp0});
	assert_int_equal(natdisc_plan(&srv, true, &local, &client, &m, &p, &unknown),
			 STUN_ERR_BAD_REQUEST);
	/* §7.2: no alternate address here: 420 naming the attribute */
	BINDING(&m, buf, {STUN_ATTR_CHANGE_REQUEST, 4, cr});
	assert_int_equal(natdisc_plan(&srv, false, &local, &client, &m, &p, &unknown),
			 STUN_ERR_UNKNOWN_ATTRIBUTE);
	assert_int_equal(unknown, STUN_ATTR_CHANGE_REQUEST);
	assert_false(p.on);
	assert_int_equal(natdisc_plan(&srv, true, &third, &client, &m, &p, &unknown),
			 STUN_ERR_UNKNOWN_ATTRIBUTE);
	assert_int_equal(natdisc_plan(&srv, true, &v6, &v6client, &m, &p, &unknown),
			 STUN_ERR_UNKNOWN_ATTRIBUTE);
	BINDING(&m, buf, {STUN_ATTR_PADDING, 8, buf});
	cfg.rfc5780 = false;
	assert_int_equal(natdisc_plan(&srv, true, &local, &client, &m, &p, &unknown),
			 STUN_ERR_UNKNOWN_ATTRIBUTE);
	assert_int_equal(unknown, STUN_ATTR_PADDING);
	/* off: a plain Binding is a plain answer */
	BINDING(&m, buf, {STUN_ATTR_SOFTWARE, 1, "x"});
	assert_int_equal(natdisc_plan(&srv, true, &local, &client, &m, &p, &unknown), 0);
	assert_false(p.on);
	cfg.rfc5780 = true;
	/* over TCP: no RFC 5780 attributes, a plain answer */
	assert_int_equal(natdisc_plan(&srv, false, &local, &client, &m, &p, &unknown), 0);
	assert_false(p.on);
}

static void test_mapping_verdicts(void **state)
{
	struct sockaddr_storage local = addr("10.0.0.2", 5000), x1 = addr("192.0.2.9", 6000),
				x2 = addr("192.0.2.9", 6001), x3 = addr("192.0.2.9", 6002);
	struct sockaddr *l = (struct sockaddr *)&local, *a = (struct sockaddr *)&x1;
	struct sockaddr *b = (struct sockaddr *)&x2, *c = (struct sockaddr *)&x3;
	enum nd_mapping_next next;

	(void)state;
	assert_int_equal(nd_mapping_verdict(l, l, NULL, NULL, &next), ND_MAPPING_NO_NAT);
	assert_int_equal(next, ND_MAPPING_DONE);
	nd_mapping_verdict(l, a, NULL, NULL, &next);
	assert_int_equal(next, ND_MAPPING_NEED_II);
	assert_int_equal(nd_mapping_verdict(l, a, a, NULL, &next),
			 ND_MAPPING_ENDPOINT_INDEPENDENT);
	assert_int_equal(next, ND_MAPPING_DONE);
	nd_mapping_verdict(l, a, b, NULL, &next);
	assert_int_equal(next, ND_MAPPING_NEED_III);
	assert_int_equal(nd_mapping_verdict(l, a, b, b, &next), ND_MAPPING_ADDRESS_DEPENDENT);
	assert_int_equal(nd_mapping_verdict(l, a, b, c, &next),
			 ND_MAPPING_ADDRESS_PORT_DEPENDENT);
	assert_string_equal(nd_mapping_name(ND_MAPPING_ADDRESS_DEPENDENT), "address-dependent");
}

static void test_filtering_verdicts(void **state)
{
	(void)state;
	assert_int_equal(nd_filtering_verdict(true, false), ND_FILTERING_ENDPOINT_INDEPENDENT);
	assert_int_equal(nd_filtering_verdict(false, true), ND_FILTERING_ADDRESS_DEPENDENT);
	assert_int_equal(nd_filtering_verdict(false, false), ND_FILTERING_ADDRESS_PORT_DEPENDENT);
	assert_string_equal(nd_filtering_name(ND_FILTERING_ADDRESS_PORT_DEPENDENT),
			    "address and port-dependent");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_change_request_and_response_port_round_trip),
	    cmocka_unit_test(test_malformed_attributes_are_refused),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test_setup_teardown(test_setup_needs_two_addresses_and_a_port_of_its_own,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_only_the_pair_listens_on_the_alternate_port,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plan_answers_from_the_address_asked_for, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_plan_response_port_and_padding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_plan_refuses_what_it_cannot_act_on, setup,
					    teardown),
	    cmocka_unit_test(test_mapping_verdicts),
	    cmocka_unit_test(test_filtering_verdicts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
