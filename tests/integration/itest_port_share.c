/*
 * itest_port_share.c - no user and no client address takes the whole relay
 * range (limits.c): with default options and a range of 1000 ports, one
 * address (127.0.0.1) gets its 10% share (ip-port-share) and then 486
 * Allocation Quota Reached while another address (127.0.0.2) of the same
 * user still allocates; an EVEN-PORT R=1 reservation counts against
 * user-quota until it is used, so allocate+delete cycles cannot pile up
 * reservations.
 */
#include "integration/harness.h"

#define RANGE 1000
#define ADDR_SHARE (RANGE / 10) /* ip-port-share=10 */

static void open_from(struct turnc *cl, const struct tserver *s, const char *local_ip)
{
	if (h_open(cl, &s->v4, local_ip, false) < 0)
		fail_msg("cannot open a client from %s to %s", local_ip, h_str(&s->v4));
}

static void test_one_address_gets_its_share_and_another_still_allocates(void **state)
{
	static const char *const flags[] = {"--relay-ip=127.0.0.1", NULL};
	struct turnc *c = calloc(ADDR_SHARE + 20, sizeof(*c));
	struct turnc other;
	struct tserver s;
	int n = 0, code = 0;

	(void)state;
	assert_non_null(c);
	assert_int_equal(tserver_start(&s, RANGE, flags), 0);
	for (; n < ADDR_SHARE + 20; n++) {
		open_from(&c[n], &s, "127.0.0.1");
		code = h_allocate(&c[n]);
		if (code)
			break;
	}
	assert_int_equal(n, ADDR_SHARE);
	assert_code(code, TURN_ERR_ALLOCATION_QUOTA);
	assert_true(c[n].resp_signed);
	/* the same user from another address is not starved */
	open_from(&other, &s, "127.0.0.2");
	assert_code(h_allocate(&other), 0);
	h_close(&other);
	/* a deleted allocation gives its port back to the address */
	assert_code(h_refresh(&c[0], 0), 0);
	assert_code(h_allocate(&c[n]), 0);
	for (int i = 0; i <= n; i++)
		h_close(&c[i]);
	free(c);
	assert_int_equal(tserver_stop(&s), 0);
}

static int allocate_even_r(struct turnc *cl, uint64_t *token)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .even_port = true, .even_port_r = true};
	const struct stun_attr *tok;
	int code = turnc_request(cl, &q);

	if (code == 0 && token) {
		tok = h_attr(cl, STUN_ATTR_RESERVATION_TOKEN);
		assert_non_null(tok);
		assert_int_equal(stun_attr_token(tok, token), 0);
	}
	return code;
}

static void test_reservation_counts_against_user_quota(void **state)
{
	static const char *const flags[] = {"--relay-ip=127.0.0.1", "--user-quota=2", NULL};
	struct turnc_req use = {H_ALLOCATE_REQ};
	struct turnc a, b;
	struct tserver s;
	uint64_t token = 0;
	int granted = 0;

	(void)state;
	assert_int_equal(tserver_start(&s, 100, flags), 0);
	open_from(&a, &s, "127.0.0.1");
	/* the allocation and its reservation: the user's two */
	assert_code(allocate_even_r(&a, &token), 0);
	assert_code(h_refresh(&a, 0), 0);
	h_close(&a);
	/* the reservation still holds one: another allocation with R=1 needs two */
	for (int i = 0; i < 20; i++) {
		open_from(&b, &s, "127.0.0.1");
		if (allocate_even_r(&b, NULL) == 0) {
			granted++;
			assert_code(h_refresh(&b, 0), 0);
		}
		h_close(&b);
	}
	assert_int_equal(granted, 0);
	/* the token moves the reservation's hold to its allocation */
	open_from(&b, &s, "127.0.0.1");
	use.token = token;
	assert_code(turnc_request(&b, &use), 0);
	open_from(&a, &s, "127.0.0.1");
	assert_code(h_allocate(&a), 0);
	h_close(&a);
	h_close(&b);
	assert_int_equal(tserver_stop(&s), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_address_gets_its_share_and_another_still_allocates),
	    cmocka_unit_test(test_reservation_counts_against_user_quota),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
