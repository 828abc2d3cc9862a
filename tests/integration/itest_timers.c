/*
 * itest_timers.c - what time does to a turnserver's state, end to end:
 * allocations expire after --max-allocate-lifetime and their relay port
 * closes (RFC 8656 §7), permissions and channel bindings expire
 * (§9, §12), and a stale nonce gets 438 with a fresh one (RFC 8489 §9.2).
 *
 * The waits overlap: the first test arms every timer at once and the
 * others only sleep until their own deadline, ~3.5 s in all.
 *
 * Two servers, both relaying on 127.0.0.1 with --allow-loopback-peers:
 * "life" with --max-allocate-lifetime 2, and "brief" with --stale-nonce=1
 * --permission-lifetime 2 --channel-lifetime 2.
 */
#include "integration/harness.h"

#define EXPIRED_AFTER_MS 3500 /* 2 s timers, with margin */
#define STALE_AFTER_MS 2500   /* a 1 s nonce is stale 2 s at most after it was made */

static struct tserver life, brief;

/* Armed by test_relaying_works_before_timers_expire. */
static struct {
	bool armed;
	/* on life */
	struct turnc lc;
	struct tpeer lpeer;
	struct sockaddr_storage lrelayed;
	uint64_t lt0;
	/* on brief */
	struct turnc bc;
	struct tpeer perm_peer; /* permission by CreatePermission (127.0.0.1) */
	struct tpeer chan_peer; /* channel 0x4000 (127.0.0.2) */
	struct sockaddr_storage brelayed;
	uint64_t bt0;
	/* a nonce made at nt0 */
	struct turnc nc;
	uint8_t old_nonce[256];
	size_t old_nonce_len;
	uint64_t nt0;
} st;

static int group_setup(void **state)
{
	static const char *const life_flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
						 "--max-allocate-lifetime=2", NULL};
	static const char *const brief_flags[] = {"--relay-ip=127.0.0.1", "--allow-loopback-peers",
						  "--stale-nonce=1",	  "--permission-lifetime=2",
						  "--channel-lifetime=2", NULL};

	(void)state;
	if (tserver_start(&life, 4, life_flags) < 0)
		return -1;
	if (tserver_start(&brief, 4, brief_flags) < 0) {
		tserver_stop(&life);
		return -1;
	}
	return 0;
}

static void disarm(void)
{
	if (!st.armed)
		return;
	h_close(&st.lc);
	h_close(&st.bc);
	h_close(&st.nc);
	tpeer_close(&st.lpeer);
	tpeer_close(&st.perm_peer);
	tpeer_close(&st.chan_peer);
	st.armed = false;
}

static int group_teardown(void **state)
{
	(void)state;
	disarm();
	tserver_stop(&life);
	tserver_stop(&brief);
	return 0;
}

static void expect_data(struct turnc *cl, uint16_t channel, const char *msg)
{
	struct sockaddr_storage from;
	uint8_t buf[256];
	uint16_t ch = 0xFFFF;

	assert_int_equal(h_recv_data(cl, H_TXN_TIMEOUT_MS, &ch, &from, buf, sizeof(buf)),
			 (int)strlen(msg));
	assert_memory_equal(buf, msg, strlen(msg));
	assert_int_equal(ch, channel);
}

static void require_armed(void)
{
	if (!st.armed)
		fail_msg("the timers were not armed");
}

/* Must stay first: sets up every timed state and checks it works now. */
static void test_relaying_works_before_timers_expire(void **state)
{
	struct turnc_req probe = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	struct sockaddr_storage from;
	uint8_t buf[64];

	(void)state;
	/* an allocation that lives 2 s */
	assert_int_equal(h_open(&st.lc, &life.v4, NULL, false), 0);
	tpeer_open(&st.lpeer, "127.0.0.1");
	assert_code(h_allocate(&st.lc), 0);
	st.lt0 = h_now_ms();
	assert_int_equal(h_u32(&st.lc, STUN_ATTR_LIFETIME), 2);
	st.lrelayed = h_relayed(&st.lc, 0);
	assert_code(h_permission(&st.lc, &st.lpeer.addr), 0);
	tpeer_send(&st.lpeer, &st.lrelayed, "alive", 5);
	expect_data(&st.lc, 0, "alive");

	/* a permission and a channel that live 2 s, on an allocation that stays */
	assert_int_equal(h_open(&st.bc, &brief.v4, NULL, false), 0);
	tpeer_open(&st.perm_peer, "127.0.0.1");
	tpeer_open(&st.chan_peer, "127.0.0.2");
	assert_code(h_allocate(&st.bc), 0);
	st.brelayed = h_relayed(&st.bc, 0);
	st.bt0 = h_now_ms();
	assert_code(h_permission(&st.bc, &st.perm_peer.addr), 0);
	assert_code(h_channel_bind(&st.bc, 0x4000, &st.chan_peer.addr), 0);
	tpeer_send(&st.perm_peer, &st.brelayed, "perm", 4);
	expect_data(&st.bc, 0, "perm");
	tpeer_send(&st.chan_peer, &st.brelayed, "chan", 4);
	expect_data(&st.bc, 0x4000, "chan");
	assert_int_equal(h_send_channel(&st.bc, 0x4000, "out", 3), 0);
	assert_int_equal(tpeer_recv(&st.chan_peer, buf, sizeof(buf), H_TXN_TIMEOUT_MS, &from), 3);

	/* a nonce that goes stale after 1-2 s */
	assert_int_equal(h_open(&st.nc, &brief.v4, NULL, false), 0);
	assert_code(turnc_request(&st.nc, &probe), STUN_ERR_UNAUTHORIZED);
	st.nt0 = h_now_ms();
	h_take_challenge(&st.nc);
	memcpy(st.old_nonce, st.nc.nonce, st.nc.nonce_len);
	st.old_nonce_len = st.nc.nonce_len;
	st.armed = true;
}

static void test_stale_nonce_gets_438_with_fresh_nonce(void **state)
{
	const struct stun_attr *nonce;

	(void)state;
	require_armed();
	h_sleep_until(st.nt0 + STALE_AFTER_MS);
	st.nc.no_retry = true;
	assert_code(h_allocate(&st.nc), STUN_ERR_STALE_NONCE);
	assert_false(st.nc.resp_signed);
	assert_non_null(h_attr(&st.nc, STUN_ATTR_REALM));
	nonce = h_attr(&st.nc, STUN_ATTR_NONCE);
	assert_non_null(nonce);
	assert_memory_equal(nonce->val, STUN_NONCE_COOKIE, strlen(STUN_NONCE_COOKIE));
	assert_false(nonce->len == st.old_nonce_len &&
		     memcmp(nonce->val, st.old_nonce, st.old_nonce_len) == 0);
	h_take_challenge(&st.nc);
	assert_code(h_allocate(&st.nc), 0);
}

static void test_allocation_expires_after_max_lifetime(void **state)
{
	struct sockaddr_storage port_taken = st.lrelayed;
	int fd;

	(void)state;
	require_armed();
	h_sleep_until(st.lt0 + EXPIRED_AFTER_MS);
	/* the relay port no longer relays */
	tpeer_send(&st.lpeer, &st.lrelayed, "late", 4);
	h_assert_no_data(&st.lc);
	/* it is closed: the port can be bound again */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, SA(&port_taken), addr_len(SA(&port_taken))), 0);
	close(fd);
	assert_code(h_refresh(&st.lc, 2), TURN_ERR_ALLOCATION_MISMATCH);
}

static void test_permission_expires(void **state)
{
	(void)state;
	require_armed();
	h_sleep_until(st.bt0 + EXPIRED_AFTER_MS);
	tpeer_send(&st.perm_peer, &st.brelayed, "late", 4);
	h_assert_no_data(&st.bc);
	assert_int_equal(h_send_indication(&st.bc, &st.perm_peer.addr, "late", 4), 0);
	tpeer_assert_nothing(&st.perm_peer);
	/* the allocation itself lives on, and a new permission works */
	assert_code(h_refresh(&st.bc, 600), 0);
	assert_code(h_permission(&st.bc, &st.perm_peer.addr), 0);
	tpeer_send(&st.perm_peer, &st.brelayed, "again", 5);
	expect_data(&st.bc, 0, "again");
}

static void test_channel_binding_expires(void **state)
{
	(void)state;
	require_armed();
	h_sleep_until(st.bt0 + EXPIRED_AFTER_MS);
	tpeer_send(&st.chan_peer, &st.brelayed, "late", 4);
	h_assert_no_data(&st.bc);
	assert_int_equal(h_send_channel(&st.bc, 0x4000, "late", 4), 0);
	tpeer_assert_nothing(&st.chan_peer);
}

/* Must stay last. */
static void test_servers_exit_cleanly_on_sigterm(void **state)
{
	(void)state;
	disarm();
	assert_int_equal(tserver_stop(&life), 0);
	assert_int_equal(tserver_stop(&brief), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_relaying_works_before_timers_expire),
	    cmocka_unit_test(test_stale_nonce_gets_438_with_fresh_nonce),
	    cmocka_unit_test(test_allocation_expires_after_max_lifetime),
	    cmocka_unit_test(test_permission_expires),
	    cmocka_unit_test(test_channel_binding_expires),
	    cmocka_unit_test(test_servers_exit_cleanly_on_sigterm),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
