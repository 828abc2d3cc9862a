/*
 * itest_mobility.c - RFC 8016 mobility (`mobility`) end to end.
 *
 * A UDP client asks for mobility with an empty MOBILITY-TICKET in its
 * Allocate and gets a ticket. It binds a channel to a peer, then moves,
 * eight times at least, to a new source address and port (127.0.0.2 and
 * up): each Refresh with the ticket from there keeps the allocation (same
 * relayed address, a new ticket each time), and relayed data follows it
 * both ways while the address it left relays nothing. Four relay threads:
 * moves go on (40 at most) until the log shows one handed from one worker
 * to another, as SO_REUSEPORT spreads the new addresses. Make-before-break
 * (RFC 8016 §3.2): with the old socket still open, the allocation stays
 * with the old address, both ways, until the client sends from the new
 * one; from then on the old address is nobody's. A move from IPv4 to IPv6
 * (another listener) keeps the IPv4 relayed address.
 *
 * Refused: a used ticket (437), an unknown one (437), one of the wrong
 * length (400), a non-empty ticket in an Allocate (400), another user's
 * Refresh with the ticket (441), a ticket over TCP (405), and any ticket
 * on a server without `mobility` (405). A Refresh with the ticket and
 * LIFETIME 0 from a new address deletes the allocation.
 */
#include "integration/harness.h"

#define MOVES 8	     /* at least; more until one crossed workers */
#define MAX_MOVES 40 /* none crossing in 40 over 4 workers: they never do */
#define CHANNEL 0x4001

static struct tserver mob, plain;

static int group_setup(void **state)
{
	static const char *const f_mob[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
					    "--mobility", "--relay-threads=4", NULL};
	static const char *const f_plain[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
					      NULL};

	(void)state;
	if (tserver_start(&mob, 16, f_mob) < 0)
		return -1;
	return tserver_start(&plain, 8, f_plain);
}

static int group_teardown(void **state)
{
	int ret = 0;

	(void)state;
	/* a clean exit, no sanitizer report: mobile allocations are still live */
	if (tserver_stop(&mob) < 0)
		ret = -1;
	if (tserver_stop(&plain) < 0)
		ret = -1;
	return ret;
}

/* Allocate asking for mobility (an empty MOBILITY-TICKET, RFC 8016 §3.1). */
static int allocate_mobile(struct turnc *c)
{
	struct turnc_req q = {.method = TURN_ALLOCATE,
			      .auth = TURNC_AUTH_MD5,
			      .transport = TURN_TRANSPORT_UDP,
			      .has_ticket = true};

	return turnc_request(c, &q);
}

/* Refresh carrying ticket (len bytes). */
static int refresh_ticket(struct turnc *c, const uint8_t *ticket, size_t len, uint32_t lifetime_s)
{
	struct turnc_req q = {.method = TURN_REFRESH,
			      .auth = TURNC_AUTH_MD5,
			      .has_lifetime = true,
			      .lifetime_s = lifetime_s,
			      .has_ticket = true,
			      .ticket_len = (uint8_t)len};

	memcpy(q.ticket, ticket, len);
	return turnc_request(c, &q);
}

/* The client's socket moves to ip, a new port. */
static void move_to(struct turnc *c, const char *ip)
{
	struct sockaddr_storage local = h_addr(ip, 0);
	int ret = turnc_rebind(c, SA(&local));

	if (ret < 0)
		fail_msg("rebind to %s: %s", ip, strerror(-ret));
}

/* Data both ways between c's channel and peer p, through relay. */
static void assert_relays(struct turnc *c, struct tpeer *p, const struct sockaddr_storage *relay,
			  const char *what)
{
	struct sockaddr_storage from, peer;
	uint8_t buf[256];
	uint16_t ch = 0;
	int n;

	assert_int_equal(h_send_channel(c, CHANNEL, what, strlen(what)), 0);
	n = tpeer_recv(p, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from);
	if (n != (int)strlen(what) || memcmp(buf, what, (size_t)n) != 0)
		fail_msg("the peer did not get '%s' (%d)", what, n);
	h_assert_addr_equal(&from, relay);
	tpeer_send(p, relay, what, strlen(what));
	n = h_recv_data(c, H_TXN_TIMEOUT_MS, &ch, &peer, buf, sizeof(buf));
	if (n != (int)strlen(what) || memcmp(buf, what, (size_t)n) != 0)
		fail_msg("the client did not get '%s' back (%d)", what, n);
	assert_int_equal(ch, CHANNEL);
}

/* The MOBILITY-TICKET of the last answer, copied: its length. */
static size_t ticket_of(struct turnc *c, uint8_t *out)
{
	const struct stun_attr *a = h_attr(c, STUN_ATTR_MOBILITY_TICKET);

	assert_non_null(a);
	assert_int_equal(a->len, STUN_MOBILITY_TICKET_LEN);
	memcpy(out, a->val, a->len);
	return a->len;
}

/* Moves the server logged from one worker to another. */
static int moves_across_workers(void)
{
	static char log[1 << 18];
	int crossed = 0;

	h_slurp(&mob, "turn.log", log, sizeof(log));
	for (const char *l = log; (l = strstr(l, "(mobility, worker ")); l++) {
		int from, to;

		if (sscanf(l, "(mobility, worker %d to %d)", &from, &to) == 2 && from != to)
			crossed++;
	}
	return crossed;
}

/*
 * A peer p on loopback and a mobile allocation of c from 127.0.0.1 with a
 * channel to p: its relayed address; its ticket in ticket.
 */
static struct sockaddr_storage mobile_allocation(struct turnc *c, struct tpeer *p,
						 uint8_t ticket[STUN_MOBILITY_TICKET_LEN])
{
	struct sockaddr_storage relay;

	tpeer_open(p, "127.0.0.1");
	assert_int_equal(h_open(c, &mob.v4, "127.0.0.1", false), 0);
	assert_code(allocate_mobile(c), 0);
	ticket_of(c, ticket);
	relay = h_relayed(c, 0);
	assert_code(h_channel_bind(c, CHANNEL, &p->addr), 0);
	return relay;
}

static void test_allocation_follows_the_client_to_new_addresses(void **state)
{
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN], old[STUN_MOBILITY_TICKET_LEN];
	struct sockaddr_storage relay, prev;
	struct turnc cl, stale;
	struct tpeer p;
	char ip[32], what[48];
	int moves = 0;

	(void)state;
	relay = mobile_allocation(&cl, &p, ticket);
	assert_relays(&cl, &p, &relay, "before any move");

	/* the log line of a move may be rate-limited away: a few more then */
	for (; moves < MOVES || (moves < MAX_MOVES && !moves_across_workers()); moves++) {
		snprintf(ip, sizeof(ip), "127.0.0.%d", 2 + moves);
		prev = cl.local;
		move_to(&cl, ip);
		assert_code(refresh_ticket(&cl, ticket, sizeof(ticket), 600), 0);
		memcpy(old, ticket, sizeof(old));
		ticket_of(&cl, ticket);
		/* one move per ticket (RFC 8016 §3.2): a new one each answer */
		assert_memory_not_equal(old, ticket, sizeof(ticket));
		assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), 600);
		snprintf(what, sizeof(what), "from %s", ip);
		assert_relays(&cl, &p, &relay, what);
	}

	/* the address it left (its port free again) is nobody's: nothing relayed */
	assert_int_equal(turnc_open(&stale, SA(&mob.v4), SA(&prev), false, H_TXN_TIMEOUT_MS), 0);
	turnc_set_auth(&stale, H_USER, H_PASS, NULL);
	turnc_set_timing(&stale, H_RTO_MS, H_TXN_TIMEOUT_MS);
	assert_int_equal(h_send_channel(&stale, CHANNEL, "stale", 5), 0);
	tpeer_assert_nothing(&p);
	/* a used ticket names nothing */
	assert_code(refresh_ticket(&stale, old, sizeof(old), 600), TURN_ERR_ALLOCATION_MISMATCH);
	turnc_close(&stale);

	/* the ticket from the allocation's own address: refreshed in place */
	assert_code(refresh_ticket(&cl, ticket, sizeof(ticket), 1200), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), 1200);
	ticket_of(&cl, ticket);
	assert_relays(&cl, &p, &relay, "refreshed in place");

	if (!moves_across_workers())
		fail_msg("%d moves over 4 workers, none handed to another worker", moves);

	/* LIFETIME 0 with the ticket from yet another address deletes it */
	move_to(&cl, "127.0.0.50");
	assert_code(refresh_ticket(&cl, ticket, sizeof(ticket), 0), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), 0);
	tpeer_send(&p, &relay, "gone", 4);
	h_assert_no_data(&cl);
	assert_code(refresh_ticket(&cl, ticket, sizeof(ticket), 600), TURN_ERR_ALLOCATION_MISMATCH);
	turnc_close(&cl);
	tpeer_close(&p);
}

static void test_old_address_keeps_the_allocation_until_the_new_one_sends(void **state)
{
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN];
	struct sockaddr_storage relay, peer;
	struct turnc old, moved;
	struct tpeer p;
	uint8_t buf[64];
	uint16_t ch = 0;

	(void)state;
	relay = mobile_allocation(&old, &p, ticket);

	/* a second interface: the Refresh from there, the old one still up */
	assert_int_equal(h_open(&moved, &mob.v4, "127.0.0.60", false), 0);
	assert_code(refresh_ticket(&moved, ticket, sizeof(ticket), 600), 0);
	ticket_of(&moved, ticket);
	/* RFC 8016 §3.2: until the client sends from the new address, both ways the old */
	assert_relays(&old, &p, &relay, "still the old address");
	h_assert_no_data(&moved);
	/* its first data from the new address moves the allocation there */
	assert_relays(&moved, &p, &relay, "from the new address");
	h_assert_no_data(&old);
	assert_int_equal(h_send_channel(&old, CHANNEL, "old", 3), 0);
	tpeer_assert_nothing(&p);
	tpeer_send(&p, &relay, "again", 5);
	assert_int_equal(h_recv_data(&moved, H_TXN_TIMEOUT_MS, &ch, &peer, buf, sizeof(buf)), 5);
	h_assert_no_data(&old);

	assert_code(refresh_ticket(&moved, ticket, sizeof(ticket), 0), 0);
	turnc_close(&old);
	turnc_close(&moved);
	tpeer_close(&p);
}

static void test_allocation_moves_from_ipv4_to_ipv6(void **state)
{
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN];
	struct sockaddr_storage relay;
	struct turnc v4, v6;
	struct tpeer p;

	(void)state;
	relay = mobile_allocation(&v4, &p, ticket);
	/* the other listener and family: the relayed address stays IPv4 */
	assert_int_equal(h_open(&v6, &mob.v6, "::1", false), 0);
	assert_code(refresh_ticket(&v6, ticket, sizeof(ticket), 600), 0);
	ticket_of(&v6, ticket);
	assert_relays(&v6, &p, &relay, "over IPv6 now");
	h_assert_no_data(&v4);
	assert_code(refresh_ticket(&v6, ticket, sizeof(ticket), 0), 0);
	turnc_close(&v4);
	turnc_close(&v6);
	tpeer_close(&p);
}

static void test_bad_tickets_are_refused(void **state)
{
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN], unknown[STUN_MOBILITY_TICKET_LEN];
	struct turnc cl, other;
	struct turnc_req q = {.method = TURN_ALLOCATE,
			      .auth = TURNC_AUTH_MD5,
			      .transport = TURN_TRANSPORT_UDP,
			      .has_ticket = true,
			      .ticket_len = 4};

	(void)state;
	memset(unknown, 0xA5, sizeof(unknown));
	/* RFC 8016 §3.1: the Allocate's ticket is empty */
	assert_int_equal(h_open(&cl, &mob.v4, "127.0.0.1", false), 0);
	assert_code(turnc_request(&cl, &q), STUN_ERR_BAD_REQUEST);
	assert_code(allocate_mobile(&cl), 0);
	ticket_of(&cl, ticket);

	/* another user holding the ticket is not the allocation's user */
	assert_int_equal(h_open(&other, &mob.v4, "127.0.0.30", false), 0);
	turnc_set_auth(&other, H_USER2, H_PASS2, NULL);
	assert_code(refresh_ticket(&other, ticket, sizeof(ticket), 600),
		    TURN_ERR_WRONG_CREDENTIALS);
	/* the wrong length, an unknown ticket */
	assert_code(refresh_ticket(&other, ticket, 5, 600), STUN_ERR_BAD_REQUEST);
	turnc_set_auth(&other, H_USER, H_PASS, NULL);
	assert_code(refresh_ticket(&other, unknown, sizeof(unknown), 600),
		    TURN_ERR_ALLOCATION_MISMATCH);
	turnc_close(&other);
	/* none of it moved the allocation: its ticket still works at home */
	assert_code(refresh_ticket(&cl, ticket, sizeof(ticket), 600), 0);
	/* left live, moved once: the server frees it at exit */
	move_to(&cl, "127.0.0.31");
	assert_code(refresh_ticket(&cl, h_attr(&cl, STUN_ATTR_MOBILITY_TICKET)->val,
				   STUN_MOBILITY_TICKET_LEN, 600),
		    0);
	turnc_close(&cl);

	/* a TCP client's address is its connection's */
	assert_int_equal(h_open(&cl, &mob.v4, NULL, true), 0);
	assert_code(allocate_mobile(&cl), STUN_ERR_MOBILITY_FORBIDDEN);
	turnc_close(&cl);
}

static void test_without_mobility_tickets_are_forbidden(void **state)
{
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN] = {0};
	struct turnc cl;

	(void)state;
	assert_int_equal(h_open(&cl, &plain.v4, "127.0.0.1", false), 0);
	assert_code(allocate_mobile(&cl), STUN_ERR_MOBILITY_FORBIDDEN);
	assert_int_equal(h_allocate(&cl), 0);
	assert_null(h_attr(&cl, STUN_ATTR_MOBILITY_TICKET));
	assert_code(refresh_ticket(&cl, ticket, sizeof(ticket), 600), STUN_ERR_MOBILITY_FORBIDDEN);
	h_close(&cl);
	turnc_close(&cl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_allocation_follows_the_client_to_new_addresses),
	    cmocka_unit_test(test_old_address_keeps_the_allocation_until_the_new_one_sends),
	    cmocka_unit_test(test_allocation_moves_from_ipv4_to_ipv6),
	    cmocka_unit_test(test_bad_tickets_are_refused),
	    cmocka_unit_test(test_without_mobility_tickets_are_forbidden),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
