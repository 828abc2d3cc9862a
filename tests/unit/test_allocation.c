/*
 * test_allocation.c - the per-allocation tables of src/server/allocation.c:
 * permissions (RFC 8656 §9: by IP only, 300 s, refreshable, at most
 * SERVER_MAX_PERMS), channel bindings (§12: one number <-> one transport
 * address, 10 min, both held 5 min after expiry, at most
 * SERVER_MAX_CHANNELS) and the two-entry transaction cache that answers
 * a retransmitted request with the same bytes. The allocation is built by hand with no relay socket
 * or timer, and every call gets an explicit `now`: nothing sleeps.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "alloc_test.h"
#include "test_sockaddr.h"

#define PERM_LIFETIME_S ALLOC_TEST_PERM_S
#define CHAN_LIFETIME_S ALLOC_TEST_CHAN_S
#define PERM_MS ((uint64_t)PERM_LIFETIME_S * 1000)
#define CHAN_MS ((uint64_t)CHAN_LIFETIME_S * 1000)
#define COOLDOWN_MS ((uint64_t)300 * 1000) /* RFC 8656 §12: 5 minutes */
#define T0 ((uint64_t)10 * 1000 * 1000)

static struct permission *find_perm(const union sockaddr_u *p, uint64_t now)
{
	return alloc_find_perm(a, &p->sa, now);
}

/* ---- permissions ---- */

/* RFC 8656 §9: a permission is for an IP address; the port is ignored. */
static void test_permission_matches_ip_not_port(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	union sockaddr_u other_port = test_su_port("198.51.100.7", 6000);
	union sockaddr_u other_ip = test_su_port("198.51.100.8", 5000);
	union sockaddr_u v6 = test_su_port("::ffff:198.51.100.7", 5000);

	(void)state;
	assert_null(find_perm(&p, T0));
	assert_int_equal(alloc_install_perm(a, &p, T0), 0);
	assert_non_null(find_perm(&p, T0));
	assert_non_null(find_perm(&other_port, T0));
	assert_null(find_perm(&other_ip, T0));
	assert_null(find_perm(&v6, T0));
}

static void test_ipv6_permission_matches_ip_not_port(void **state)
{
	union sockaddr_u p = test_su_port("2001:db8::7", 5000);
	union sockaddr_u other_port = test_su_port("2001:db8::7", 1);
	union sockaddr_u other_ip = test_su_port("2001:db8::8", 5000);

	(void)state;
	assert_int_equal(alloc_install_perm(a, &p, T0), 0);
	assert_non_null(find_perm(&other_port, T0));
	assert_null(find_perm(&other_ip, T0));
}

/* RFC 8656 §9: permission-lifetime (300 s) after installation, then gone. */
static void test_permission_expires_after_its_lifetime(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);

	(void)state;
	assert_int_equal(alloc_install_perm(a, &p, T0), 0);
	assert_int_equal(a->nperms, 1);
	assert_int_equal(a->perms[0].expires_ms, T0 + PERM_MS);
	assert_non_null(find_perm(&p, T0 + PERM_MS - 1));
	assert_null(find_perm(&p, T0 + PERM_MS));
	assert_null(find_perm(&p, T0 + 10 * PERM_MS));
}

/* RFC 8656 §9: installing again refreshes; a different port is the same permission. */
static void test_permission_refresh_extends_lifetime(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	union sockaddr_u same_ip = test_su_port("198.51.100.7", 7000);
	uint64_t t1 = T0 + PERM_MS - 1000;

	(void)state;
	assert_int_equal(alloc_install_perm(a, &p, T0), 0);
	assert_int_equal(alloc_install_perm(a, &same_ip, t1), 0);
	assert_int_equal(a->nperms, 1);
	assert_non_null(find_perm(&p, T0 + PERM_MS));
	assert_non_null(find_perm(&p, t1 + PERM_MS - 1));
	assert_null(find_perm(&p, t1 + PERM_MS));
}

static void test_expired_permission_can_be_installed_again(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	uint64_t later = T0 + 3 * PERM_MS;

	(void)state;
	assert_int_equal(alloc_install_perm(a, &p, T0), 0);
	assert_null(find_perm(&p, later));
	assert_int_equal(alloc_install_perm(a, &p, later), 0);
	assert_int_equal(a->nperms, 1);
	assert_non_null(find_perm(&p, later + PERM_MS - 1));
}

static void test_expired_permission_slot_is_reused(void **state)
{
	union sockaddr_u p1 = test_su_port("198.51.100.1", 1), p2 = test_su_port("198.51.100.2", 2);
	union sockaddr_u p3 = test_su_port("198.51.100.3", 3);
	uint64_t later = T0 + PERM_MS;

	(void)state;
	assert_int_equal(alloc_install_perm(a, &p1, T0), 0);
	assert_int_equal(alloc_install_perm(a, &p2, T0 + 1000), 0);
	/* p1 has just expired, p2 has one second left */
	assert_int_equal(alloc_install_perm(a, &p3, later), 0);
	assert_int_equal(a->nperms, 2);
	assert_null(find_perm(&p1, later));
	assert_non_null(find_perm(&p2, later));
	assert_non_null(find_perm(&p3, later));
}

/* SERVER_MAX_PERMS distinct peers fit; one more is refused until one expires. */
static void test_permission_beyond_table_size_fails(void **state)
{
	union sockaddr_u extra = alloc_test_nth_peer(SERVER_MAX_PERMS, 9);
	union sockaddr_u first = alloc_test_nth_peer(0, 1);

	(void)state;
	for (int i = 0; i < SERVER_MAX_PERMS; i++) {
		union sockaddr_u p = alloc_test_nth_peer(i, 9);

		assert_int_equal(alloc_install_perm(a, &p, T0 + (uint64_t)i), 0);
	}
	assert_int_equal(a->nperms, SERVER_MAX_PERMS);
	assert_int_equal(alloc_install_perm(a, &extra, T0 + 100), -1);
	assert_null(find_perm(&extra, T0 + 100));
	/* a refresh needs no new slot */
	assert_int_equal(alloc_install_perm(a, &first, T0 + 100), 0);
	/* the second peer (installed at T0 + 1) expires first now */
	assert_int_equal(alloc_install_perm(a, &extra, T0 + 1 + PERM_MS), 0);
	assert_int_equal(a->nperms, SERVER_MAX_PERMS);
	assert_non_null(find_perm(&extra, T0 + 1 + PERM_MS));
	assert_non_null(find_perm(&first, T0 + 1 + PERM_MS));
}

/* ---- channels ---- */

/* RFC 8656 §12: a channel binds a number to a transport address (IP and port). */
static void test_channel_bind_is_found_by_number_and_peer(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	union sockaddr_u other_port = test_su_port("198.51.100.7", 5001);
	struct channel *c;

	(void)state;
	assert_null(alloc_find_channel(a, 0x4000, T0));
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	c = alloc_find_channel(a, 0x4000, T0);
	assert_non_null(c);
	assert_int_equal(c->number, 0x4000);
	assert_memory_equal(&c->peer.in, &p.in, sizeof(p.in));
	assert_int_equal(c->expires_ms, T0 + CHAN_MS);
	assert_ptr_equal(alloc_find_channel_by_peer(a, &p, T0), c);
	assert_null(alloc_find_channel_by_peer(a, &other_port, T0));
	assert_null(alloc_find_channel(a, 0x4001, T0));
}

static void test_channel_rebind_same_peer_refreshes(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	uint64_t t1 = T0 + CHAN_MS - 1;

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, t1), 0);
	assert_int_equal(a->nchans, 1);
	assert_non_null(alloc_find_channel(a, 0x4000, t1 + CHAN_MS - 1));
	assert_null(alloc_find_channel(a, 0x4000, t1 + CHAN_MS));
}

/* RFC 8656 §12: a bound number cannot be given to another peer. */
static void test_channel_number_to_other_peer_is_rejected(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	union sockaddr_u other_ip = test_su_port("198.51.100.8", 5000);
	union sockaddr_u other_port = test_su_port("198.51.100.7", 5001);

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4000, &other_ip, T0 + 1), -1);
	assert_int_equal(alloc_bind_channel(a, 0x4000, &other_port, T0 + 1), -1);
	assert_null(alloc_find_channel_by_peer(a, &other_ip, T0 + 1));
	assert_int_equal(a->nchans, 1);
}

/* RFC 8656 §12: a bound transport address cannot take a second number. */
static void test_channel_peer_to_other_number_is_rejected(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	union sockaddr_u other_port = test_su_port("198.51.100.7", 5001);

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4001, &p, T0 + 1), -1);
	assert_null(alloc_find_channel(a, 0x4001, T0 + 1));
	/* the same IP with another port is another transport address */
	assert_int_equal(alloc_bind_channel(a, 0x4001, &other_port, T0 + 1), 0);
	assert_int_equal(a->nchans, 2);
}

static void test_expired_channel_is_not_found(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_non_null(alloc_find_channel(a, 0x4000, T0 + CHAN_MS - 1));
	assert_non_null(alloc_find_channel_by_peer(a, &p, T0 + CHAN_MS - 1));
	assert_null(alloc_find_channel(a, 0x4000, T0 + CHAN_MS));
	assert_null(alloc_find_channel_by_peer(a, &p, T0 + CHAN_MS));
}

/* RFC 8656 §12: the number stays reserved for 5 minutes after the binding expires. */
static void test_channel_number_rebinds_only_after_cooldown(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	union sockaddr_u q = test_su_port("198.51.100.8", 6000);
	uint64_t expiry = T0 + CHAN_MS;

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4000, &q, expiry), -1);
	assert_int_equal(alloc_bind_channel(a, 0x4000, &q, expiry + COOLDOWN_MS - 1), -1);
	assert_int_equal(alloc_bind_channel(a, 0x4000, &q, expiry + COOLDOWN_MS), 0);
	assert_int_equal(a->nchans, 1);
	assert_ptr_equal(alloc_find_channel_by_peer(a, &q, expiry + COOLDOWN_MS),
			 alloc_find_channel(a, 0x4000, expiry + COOLDOWN_MS));
	assert_null(alloc_find_channel_by_peer(a, &p, expiry + COOLDOWN_MS));
}

/* RFC 8656 §12: likewise the transport address for another number. */
static void test_channel_peer_rebinds_only_after_cooldown(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	uint64_t expiry = T0 + CHAN_MS;

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4001, &p, expiry + COOLDOWN_MS - 1), -1);
	assert_int_equal(alloc_bind_channel(a, 0x4001, &p, expiry + COOLDOWN_MS), 0);
	assert_null(alloc_find_channel(a, 0x4000, expiry + COOLDOWN_MS));
	assert_non_null(alloc_find_channel(a, 0x4001, expiry + COOLDOWN_MS));
}

/* Binding the same number to the same peer again is not a new binding. */
static void test_expired_channel_rebinds_same_peer_during_cooldown(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.7", 5000);
	uint64_t t1 = T0 + CHAN_MS + 1000;

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_null(alloc_find_channel(a, 0x4000, t1));
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, t1), 0);
	assert_int_equal(a->nchans, 1);
	assert_non_null(alloc_find_channel(a, 0x4000, t1));
}

/* A binding still cooling down blocks its number and its peer, though a slot is free. */
static void test_cooldown_blocks_rebinding_while_other_slots_are_free(void **state)
{
	union sockaddr_u p = test_su_port("198.51.100.1", 1), q = test_su_port("198.51.100.2", 2);
	uint64_t t1 = T0 + CHAN_MS + COOLDOWN_MS; /* p's binding is free to reuse */

	(void)state;
	assert_int_equal(alloc_bind_channel(a, 0x4000, &p, T0), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4001, &q, T0 + 1000), 0);
	/* q's binding expired at T0 + 1000 + CHAN_MS and is cooling down */
	assert_int_equal(alloc_bind_channel(a, 0x4000, &q, t1), -1);
	assert_int_equal(alloc_bind_channel(a, 0x4001, &p, t1), -1);
	assert_int_equal(alloc_bind_channel(a, 0x4002, &p, t1), 0);
	assert_int_equal(a->nchans, 2);
	assert_null(alloc_find_channel(a, 0x4000, t1));
}

/* SERVER_MAX_CHANNELS bindings fit; one more is -2 (508) until a slot cools down. */
static void test_channel_beyond_table_size_fails(void **state)
{
	union sockaddr_u extra = alloc_test_nth_peer(SERVER_MAX_CHANNELS, 9);
	union sockaddr_u first = alloc_test_nth_peer(0, 9), second = alloc_test_nth_peer(1, 9);
	uint64_t free_at = T0 + CHAN_MS + COOLDOWN_MS;

	(void)state;
	for (int i = 0; i < SERVER_MAX_CHANNELS; i++) {
		union sockaddr_u p = alloc_test_nth_peer(i, 9);

		assert_int_equal(alloc_bind_channel(a, (uint16_t)(0x4000 + i), &p, T0), 0);
	}
	assert_int_equal(a->nchans, SERVER_MAX_CHANNELS);
	assert_int_equal(alloc_bind_channel(a, 0x4fff, &extra, T0 + 1), -2);
	/* expired but cooling down: still no room */
	assert_int_equal(alloc_bind_channel(a, 0x4fff, &extra, free_at - 1), -2);
	/* a refresh needs no new slot */
	assert_int_equal(alloc_bind_channel(a, 0x4000, &first, T0 + 1), 0);
	assert_int_equal(alloc_bind_channel(a, 0x4fff, &extra, free_at), 0);
	assert_int_equal(a->nchans, SERVER_MAX_CHANNELS);
	assert_non_null(alloc_find_channel(a, 0x4fff, free_at));
	/* the slot taken was 0x4001's; the refreshed 0x4000 is still held */
	assert_null(alloc_find_channel_by_peer(a, &second, free_at));
	assert_int_equal(alloc_bind_channel(a, 0x4000, &second, free_at), -1);
}

/* ---- transaction cache ---- */

static void tid_of(uint8_t tid[STUN_TID_LEN], uint8_t n)
{
	memset(tid, 0xa0, STUN_TID_LEN);
	tid[STUN_TID_LEN - 1] = n;
}

static void resp_of(uint8_t *resp, size_t len, uint8_t n)
{
	for (size_t i = 0; i < len; i++)
		resp[i] = (uint8_t)(n * 31 + i);
}

static void assert_cached(uint8_t n, size_t len)
{
	uint8_t tid[STUN_TID_LEN], want[256];
	const struct txn_cache *t;

	tid_of(tid, n);
	resp_of(want, len, n);
	t = alloc_cached_response(a, tid);
	if (!t)
		fail_msg("transaction %u not cached", n);
	assert_int_equal(t->len, len);
	assert_memory_equal(t->resp, want, len);
	assert_memory_equal(t->tid, tid, STUN_TID_LEN);
}

static void assert_not_cached(uint8_t n)
{
	uint8_t tid[STUN_TID_LEN];

	tid_of(tid, n);
	assert_null(alloc_cached_response(a, tid));
}

static void cache(uint8_t n, size_t len)
{
	uint8_t tid[STUN_TID_LEN], resp[256];

	tid_of(tid, n);
	resp_of(resp, len, n);
	alloc_cache_response(a, tid, resp, len);
	/* the cache holds a copy: the caller's buffer is reused at once */
	memset(resp, 0xee, sizeof(resp));
}

static void test_empty_cache_has_no_response(void **state)
{
	(void)state;
	assert_not_cached(1);
}

/* A retransmitted request gets the same bytes again. */
static void test_cached_response_is_byte_identical(void **state)
{
	(void)state;
	cache(1, 100);
	assert_cached(1, 100);
	assert_not_cached(2);
}

static void test_two_transactions_are_remembered(void **state)
{
	(void)state;
	cache(1, 100);
	cache(2, 60);
	assert_cached(1, 100);
	assert_cached(2, 60);
}

static void test_third_transaction_evicts_the_oldest(void **state)
{
	(void)state;
	cache(1, 100);
	cache(2, 60);
	cache(3, 200);
	assert_not_cached(1);
	assert_cached(2, 60);
	assert_cached(3, 200);
	cache(4, 20);
	assert_not_cached(2);
	assert_cached(3, 200);
	assert_cached(4, 20);
}

/* Every byte of the transaction ID counts. */
static void test_cache_matches_whole_transaction_id(void **state)
{
	uint8_t tid[STUN_TID_LEN];

	(void)state;
	cache(1, 40);
	tid_of(tid, 1);
	tid[0] ^= 1;
	assert_null(alloc_cached_response(a, tid));
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, alloc_test_setup, alloc_test_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_permission_matches_ip_not_port),
	    T(test_ipv6_permission_matches_ip_not_port),
	    T(test_permission_expires_after_its_lifetime),
	    T(test_permission_refresh_extends_lifetime),
	    T(test_expired_permission_can_be_installed_again),
	    T(test_expired_permission_slot_is_reused),
	    T(test_permission_beyond_table_size_fails),
	    T(test_channel_bind_is_found_by_number_and_peer),
	    T(test_channel_rebind_same_peer_refreshes),
	    T(test_channel_number_to_other_peer_is_rejected),
	    T(test_channel_peer_to_other_number_is_rejected),
	    T(test_expired_channel_is_not_found),
	    T(test_channel_number_rebinds_only_after_cooldown),
	    T(test_channel_peer_rebinds_only_after_cooldown),
	    T(test_expired_channel_rebinds_same_peer_during_cooldown),
	    T(test_cooldown_blocks_rebinding_while_other_slots_are_free),
	    T(test_channel_beyond_table_size_fails),
	    T(test_empty_cache_has_no_response),
	    T(test_cached_response_is_byte_identical),
	    T(test_two_transactions_are_remembered),
	    T(test_third_transaction_evicts_the_oldest),
	    T(test_cache_matches_whole_transaction_id),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
