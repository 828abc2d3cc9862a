/*
 * test_mobility.c - RFC 8016 mobility without sockets: the MOBILITY-TICKET
 * decoder (src/stun/attr.c) on every bad length, the attribute known to the
 * parser; the server's ticket table (src/server/mobility.c): a ticket names
 * its allocation's worker until it is replaced or the allocation forgotten,
 * and names nothing on a server without `mobility`; and the relay ports a
 * moving allocation holds changing client address (limits_move, limits.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <ctype.h>

#include "common/config.h"
#include "server/server.h"
#include "stun_test.h"

static struct config cfg;
static struct server srv;
static struct worker workers[2];

static int setup(void **state)
{
	(void)state;
	config_init(&cfg);
	memset(&srv, 0, sizeof(srv));
	memset(workers, 0, sizeof(workers));
	srv.cfg = &cfg;
	srv.relay.cfg = &cfg;
	pthread_mutex_init(&srv.lock, NULL);
	for (int i = 0; i < 2; i++) {
		workers[i].srv = &srv;
		workers[i].id = i;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	mobility_free(&srv);
	limits_free(&srv);
	pthread_mutex_destroy(&srv.lock);
	config_free(&cfg);
	return 0;
}

static void test_ticket_of_a_bad_length_is_refused(void **state)
{
	static const uint16_t bad[] = {1, 4, 8, 16, 23, 25, 32, 255};
	uint8_t val[256], buf[512], ticket[STUN_MOBILITY_TICKET_LEN];
	struct stun_msg m;
	size_t n;

	(void)state;
	memset(val, 0x5A, sizeof(val));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		n = RAW_MSG(buf, stun_type(TURN_REFRESH, STUN_REQUEST),
			    {STUN_ATTR_MOBILITY_TICKET, bad[i], val});
		assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
		memset(ticket, 0, sizeof(ticket));
		assert_int_equal(stun_attr_mobility_ticket(&m.attrs[0], ticket), -1);
		/* nothing written on failure */
		for (size_t k = 0; k < sizeof(ticket); k++)
			assert_int_equal(ticket[k], 0);
	}
}

static void test_empty_and_whole_tickets_decode(void **state)
{
	uint8_t val[STUN_MOBILITY_TICKET_LEN], buf[128], ticket[STUN_MOBILITY_TICKET_LEN];
	struct stun_msg m;
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(val); i++)
		val[i] = (uint8_t)(0xC0 + i);
	/* Allocate: empty, asking for mobility (RFC 8016 §3.1) */
	n = RAW_MSG(buf, stun_type(TURN_ALLOCATE, STUN_REQUEST),
		    {STUN_ATTR_MOBILITY_TICKET, 0, NULL});
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_int_equal(m.nunknown, 0);
	assert_int_equal(
	    stun_attr_mobility_ticket(stun_msg_find(&m, STUN_ATTR_MOBILITY_TICKET), ticket), 0);
	/* Refresh: the server's 24 bytes */
	n = RAW_MSG(buf, stun_type(TURN_REFRESH, STUN_REQUEST),
		    {STUN_ATTR_MOBILITY_TICKET, sizeof(val), val});
	assert_int_equal(stun_msg_parse(&m, buf, n), STUN_PARSE_OK);
	assert_int_equal(stun_attr_mobility_ticket(&m.attrs[0], ticket), STUN_MOBILITY_TICKET_LEN);
	assert_memory_equal(ticket, val, sizeof(val));
	assert_true(stun_attr_known(STUN_ATTR_MOBILITY_TICKET));
}

static void test_ticket_longer_than_its_message_does_not_parse(void **state)
{
	uint8_t val[STUN_MOBILITY_TICKET_LEN] = {0}, buf[128];
	struct stun_msg m;
	size_t n;

	(void)state;
	n = RAW_MSG(buf, stun_type(TURN_REFRESH, STUN_REQUEST),
		    {STUN_ATTR_MOBILITY_TICKET, sizeof(val), val});
	put16(buf + STUN_HEADER_LEN + 2, 40); /* claims more than the message holds */
	assert_true(stun_msg_parse(&m, buf, n) < 0);
}

static void test_ticket_names_its_owner_until_replaced_or_forgotten(void **state)
{
	struct allocation a = {.w = &workers[0]}, b = {.w = &workers[1]};
	uint8_t first[STUN_MOBILITY_TICKET_LEN];

	(void)state;
	cfg.mobility = true;
	assert_int_equal(mobility_init(&srv), 0);
	assert_int_equal(mobility_issue(&a), 0);
	assert_int_equal(mobility_issue(&b), 0);
	assert_true(a.mobile);
	assert_memory_not_equal(a.ticket, b.ticket, STUN_MOBILITY_TICKET_LEN);
	/* text without a NUL: coturn's client keeps the ticket as a C string */
	for (size_t i = 0; i < STUN_MOBILITY_TICKET_LEN; i++)
		assert_true(isalnum(a.ticket[i]) || a.ticket[i] == '+' || a.ticket[i] == '/');
	assert_ptr_equal(mobility_owner(&srv, a.ticket), &workers[0]);
	assert_ptr_equal(mobility_owner(&srv, b.ticket), &workers[1]);
	/* only its owner finds it */
	assert_ptr_equal(mobility_find(&workers[0], a.ticket), &a);
	assert_null(mobility_find(&workers[1], a.ticket));

	/* a new ticket: the old one names nothing (one move per ticket) */
	memcpy(first, a.ticket, sizeof(first));
	assert_int_equal(mobility_issue(&a), 0);
	assert_memory_not_equal(first, a.ticket, sizeof(first));
	assert_null(mobility_owner(&srv, first));
	assert_ptr_equal(mobility_find(&workers[0], a.ticket), &a);

	/* the allocation ends */
	mobility_forget(&a);
	assert_false(a.mobile);
	assert_null(mobility_owner(&srv, a.ticket));
	assert_ptr_equal(mobility_owner(&srv, b.ticket), &workers[1]);
	mobility_forget(&b);
}

static void test_without_mobility_no_ticket_is_issued(void **state)
{
	struct allocation a = {.w = &workers[0]};

	(void)state;
	assert_int_equal(mobility_init(&srv), 0);
	assert_null(srv.mobility);
	assert_int_equal(mobility_issue(&a), -1);
	assert_false(a.mobile);
	assert_null(mobility_owner(&srv, a.ticket));
	assert_null(mobility_find(&workers[0], a.ticket));
}

static union sockaddr_u v4(const char *ip)
{
	union sockaddr_u u;

	memset(&u, 0, sizeof(u));
	u.in.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, ip, &u.in.sin_addr), 1);
	return u;
}

static void test_held_ports_move_with_the_client_address(void **state)
{
	union sockaddr_u from = v4("192.0.2.1"), to = v4("192.0.2.2"), full = v4("192.0.2.3");

	(void)state;
	cfg.min_port = 40000;
	cfg.max_port = 40999; /* ip-port-share 10: 100 ports an address */
	assert_int_equal(limits_init(&srv), 0);
	assert_int_equal(limits_take(&srv, "u", &from.sa, 1, 60), 0);
	assert_int_equal(limits_move(&srv, &from.sa, &to.sa, 60), 0);
	/* the new address holds them: 41 more is over its share, 40 is not */
	assert_int_equal(limits_take(&srv, "v", &to.sa, 1, 41), TURN_ERR_ALLOCATION_QUOTA);
	/* the old one holds nothing */
	assert_int_equal(limits_take(&srv, "v", &from.sa, 1, 100), 0);
	limits_release(&srv, "v", &from.sa, 1, 100);
	/* a move to an address without room is refused, nothing changed */
	assert_int_equal(limits_take(&srv, "w", &full.sa, 1, 50), 0);
	assert_int_equal(limits_move(&srv, &to.sa, &full.sa, 60), TURN_ERR_ALLOCATION_QUOTA);
	assert_int_equal(limits_take(&srv, "v", &to.sa, 1, 41), TURN_ERR_ALLOCATION_QUOTA);
	assert_int_equal(limits_take(&srv, "v", &to.sa, 1, 40), 0);
	/* within one address (a new port): nothing to move */
	assert_int_equal(limits_move(&srv, &to.sa, &to.sa, 100), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_ticket_of_a_bad_length_is_refused, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_empty_and_whole_tickets_decode, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ticket_longer_than_its_message_does_not_parse,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ticket_names_its_owner_until_replaced_or_forgotten,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_without_mobility_no_ticket_is_issued, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_held_ports_move_with_the_client_address, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
