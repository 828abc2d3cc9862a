/*
 * test_offload_channels.c - which TURN events put which entries in the
 * kernel (src/server/offload.c), with a fake engine that records them: a
 * channel of a UDP client on a UDP listener is installed at ChannelBind
 * with the right two legs, kept by refreshes, removed when its permission
 * or the channel expires (RFC 8656 §9, §12) and put back when a
 * CreatePermission revives it, removed when the slot goes to another
 * binding and when the allocation ends; capped allocations (max-bps), TCP
 * clients, TCP relays and peers
 * on the server's own relay addresses stay in userspace, except a channel
 * toward a port whose owner joins it (the anchor), which follows the
 * owner's leg (relay_ports_join) and reports to it; kernel counters
 * are merged into the allocation and the worker. Every call gets an
 * explicit `now`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <event2/event.h>

#include "alloc_test.h"
#include "fake_engine.h"
#include "test_sockaddr.h"

static struct udp_listener lsn;
static uint64_t t0;

static int setup(void **state)
{
	fake_reset();
	if (alloc_test_setup(state) < 0)
		return -1;
	srv.relay.engine.ops = &fake_ops;
	w.base = event_base_new();
	if (!w.base || offload_worker_init(&w) < 0)
		return -1;
	lsn.w = &w;
	lsn.local = test_su("192.0.2.1:3478");
	a->lsn = &lsn;
	a->client = test_su("198.51.100.7:40000");
	a->relay[0].fd = -1;
	a->relay[0].local = test_su("192.0.2.1:50000");
	a->relay[0].alloc = a;
	a->nrelay = 1;
	t0 = clock_ms();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	offload_alloc_end(a);
	alloc_test_free();
	offload_worker_free(&w);
	event_base_free(w.base);
	config_free(&cfg);
	return 0;
}

static int bind_at(uint16_t number, const char *peer, uint64_t now)
{
	union sockaddr_u p = test_su(peer);
	int ret = alloc_bind_channel(a, number, &p, now);

	if (ret == 0)
		offload_sync(a, now);
	return ret;
}

static const struct relay_entry *only_entry(void)
{
	assert_int_equal(fake_count(), 1);
	for (int i = 0; i < FAKE_MAX; i++)
		if (fake.entry[i].id)
			return &fake.entry[i];
	return NULL;
}

static void assert_addr(const struct sockaddr_storage *ss, const char *want)
{
	union sockaddr_u u = test_su(want);

	assert_true(addr_equal((const struct sockaddr *)ss, &u.sa));
}

static void test_channel_bind_installs_both_legs(void **state)
{
	const struct relay_entry *e;

	(void)state;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	e = only_entry();
	assert_addr(&e->leg[0].local, "192.0.2.1:3478");
	assert_addr(&e->leg[0].remote, "198.51.100.7:40000");
	assert_int_equal(e->leg[0].channel, 0x4001);
	assert_addr(&e->leg[1].local, "192.0.2.1:50000");
	assert_addr(&e->leg[1].remote, "203.0.113.9:7000");
	assert_int_equal(e->leg[1].channel, 0);
	/* the client's STUN is the server's; anything from the peer is data */
	assert_int_equal(e->leg[0].flags, 0);
	assert_int_equal(e->leg[1].flags, TURNRELAY_LEG_F_FORWARD_STUN | TURNRELAY_LEG_F_FORWARD_DTLS);
	assert_int_equal(a->chans[0].offload_id, e->id);
	/* the allocation's timer waits for the first expiry: the permission's */
	assert_non_null(a->offload_ev);
	assert_true(evtimer_pending(a->offload_ev, NULL));
}

static void test_refresh_keeps_the_entry(void **state)
{
	(void)state;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0 + 200 * 1000), 0);
	assert_int_equal(fake.adds, 1);
	assert_int_equal(fake.dels, 0);
	assert_int_equal(fake_count(), 1);
	/* the refresh moved the permission on: still there at t0 + 400 s */
	offload_sync(a, t0 + 400 * 1000);
	assert_int_equal(fake_count(), 1);
}

static void test_permission_expiry_removes_and_create_permission_restores(void **state)
{
	union sockaddr_u p = test_su("203.0.113.9");
	uint64_t id;

	(void)state;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	id = a->chans[0].offload_id;
	/* 300 s: the permission is gone, the channel (600 s) is not */
	offload_sync(a, t0 + 300 * 1000 - 1);
	assert_int_equal(fake_count(), 1);
	offload_sync(a, t0 + 300 * 1000);
	assert_int_equal(fake_count(), 0);
	assert_int_equal(fake.last_del, id);
	assert_int_equal(a->chans[0].offload_id, 0);
	/* a new permission makes the channel usable again (§9, §12) */
	assert_int_equal(alloc_install_perm(a, &p, t0 + 310 * 1000), 0);
	offload_sync(a, t0 + 310 * 1000);
	assert_int_equal(fake_count(), 1);
	assert_int_equal(only_entry()->leg[0].channel, 0x4001);
	/* the channel's own expiry at 600 s removes it, permission or not */
	offload_sync(a, t0 + 600 * 1000);
	assert_int_equal(fake_count(), 0);
	assert_false(evtimer_pending(a->offload_ev, NULL));
}

static void test_rebind_after_expiry_replaces_the_entry(void **state)
{
	uint64_t later = t0 + (600 + 300) * 1000 + 1;

	(void)state;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	/* no timer ran (a stuck loop): the slot is reused by another binding */
	assert_int_equal(bind_at(0x4002, "203.0.113.10:7000", later), 0);
	assert_int_equal(a->nchans, 1);
	assert_int_equal(only_entry()->leg[0].channel, 0x4002);
	assert_addr(&only_entry()->leg[1].remote, "203.0.113.10:7000");
	assert_int_equal(fake.dels, 1);
}

static void test_allocation_end_removes_every_entry(void **state)
{
	(void)state;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	assert_int_equal(bind_at(0x4002, "203.0.113.10:7000", t0), 0);
	assert_int_equal(fake_count(), 2);
	offload_alloc_end(a);
	assert_int_equal(fake_count(), 0);
	assert_int_equal(fake.dels, 2);
	assert_null(a->offload_ev);
}

static void test_tcp_and_own_addresses_stay_in_userspace(void **state)
{
	union sockaddr_u relay_addr = test_su("192.0.2.1");

	(void)state;
	/* a peer on one of the server's relay addresses: judged per packet */
	relay_ports_add_addr(&srv.relay.ports, &relay_addr.sa, NULL);
	assert_int_equal(bind_at(0x4001, "192.0.2.1:50002", t0), 0);
	assert_int_equal(fake.adds, 0);
	/* a TCP client */
	a->lsn = NULL;
	assert_int_equal(bind_at(0x4002, "203.0.113.9:7000", t0), 0);
	assert_int_equal(fake.adds, 0);
	a->lsn = &lsn;
	assert_int_equal(bind_at(0x4002, "203.0.113.9:7000", t0), 0);
	assert_int_equal(fake.adds, 1);
}

/* A fake owner of ports that joins (the anchor's role): its answer and what it was told. */
static struct {
	bool has;
	struct relay_join leg;
	int asked, told; /* told: RELAY_JOIN_COUNTS reports */
	int ups, downs;	 /* RELAY_JOIN_UP, RELAY_JOIN_DOWN */
	struct relay_join_counts got;
} joiner;

static bool fake_deliver(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			 const uint8_t *buf, size_t len)
{
	(void)ctx, (void)to, (void)from, (void)buf, (void)len;
	return false;
}

static bool fake_join(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
		      struct relay_join *out)
{
	union sockaddr_u relay = test_su("192.0.2.1:50000");

	(void)ctx;
	joiner.asked++;
	assert_int_equal(addr_port(to), 50002);
	assert_true(addr_equal(from, &relay.sa));
	if (joiner.has)
		*out = joiner.leg;
	return joiner.has;
}

static void fake_joined(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			const struct relay_join_counts *d)
{
	(void)ctx, (void)to, (void)from;
	if (d->event == RELAY_JOIN_UP) {
		joiner.ups++;
		return;
	}
	if (d->event == RELAY_JOIN_DOWN) {
		joiner.downs++;
		return;
	}
	joiner.told++;
	joiner.got = *d;
}

static void join_leg(const char *local, const char *remote)
{
	union sockaddr_u l = test_su(local), r = test_su(remote);

	memset(&joiner.leg, 0, sizeof(joiner.leg));
	memcpy(&joiner.leg.local, &l, sizeof(l.in));
	memcpy(&joiner.leg.remote, &r, sizeof(r.in));
	joiner.has = true;
}

/*
 * A channel toward a port of an owner that joins: one entry from the client
 * to the owner's other leg once it has one, following it, out when it goes.
 */
static void test_channel_to_anchor_port_joined(void **state)
{
	union sockaddr_u relay_addr = test_su("192.0.2.1"), port = test_su("192.0.2.1:50002");
	const struct relay_entry *e;
	struct relay_entry *k;
	int owner;

	(void)state;
	memset(&joiner, 0, sizeof(joiner));
	fake.features = TURNRELAY_FEATURE_DEL_COUNTERS;
	relay_ports_add_addr(&srv.relay.ports, &relay_addr.sa, NULL);
	owner = relay_ports_add_owner(&srv.relay.ports, fake_deliver, NULL);
	assert_true(owner > 0);
	relay_ports_set_join(&srv.relay.ports, owner, fake_join, fake_joined);
	relay_ports_set(&srv.relay.ports, &port.sa, IPPROTO_UDP, owner, true);

	/* the owner's stream is not confirmed yet: userspace, asked again within a second */
	assert_int_equal(bind_at(0x4001, "192.0.2.1:50002", t0), 0);
	assert_int_equal(fake.adds, 0);
	assert_int_equal(joiner.asked, 1);
	assert_true(evtimer_pending(a->offload_ev, NULL));

	/* confirmed: one joined entry, the client's ChannelData straight to the other party */
	join_leg("192.0.2.1:50004", "203.0.113.20:9000");
	offload_sync(a, t0 + 1000);
	e = only_entry();
	assert_addr(&e->leg[0].local, "192.0.2.1:3478");
	assert_addr(&e->leg[0].remote, "198.51.100.7:40000");
	assert_int_equal(e->leg[0].channel, 0x4001);
	assert_addr(&e->leg[1].local, "192.0.2.1:50004");
	assert_addr(&e->leg[1].remote, "203.0.113.20:9000");
	assert_int_equal(e->leg[1].flags, 0); /* the party's STUN and DTLS: the owner's */
	assert_true(a->chans[0].joined);
	/* the owner is told it is in the kernel (its "kernelized" flag) */
	assert_int_equal(joiner.ups, 1);
	assert_int_equal(joiner.downs, 0);

	/* counters: the allocation's, and the owner's (client bytes without the header) */
	k = fake_find(a->chans[0].offload_id);
	k->leg[0].packets = 10;
	k->leg[0].bytes = 10 * 164;
	k->leg[0].last_seen_ns = 7000000000ull;
	k->leg[1].packets = 5;
	k->leg[1].bytes = 800;
	k->leg[1].last_seen_ns = 9000000000ull;
	offload_worker_poll(&w);
	assert_int_equal(a->kernel_pkts[0], 10);
	assert_int_equal(joiner.told, 1);
	assert_int_equal(joiner.got.packets[0], 10);
	assert_int_equal(joiner.got.bytes[0], 1600);
	assert_int_equal(joiner.got.packets[1], 5);
	assert_int_equal(joiner.got.bytes[1], 800);
	assert_int_equal(joiner.got.last_seen_ms, 9000);

	/* the same leg again: kept; the other party moved: replaced */
	offload_sync(a, t0 + 2000);
	assert_int_equal(fake.adds, 1);
	join_leg("192.0.2.1:50004", "203.0.113.21:9000");
	offload_sync(a, t0 + 3000);
	assert_int_equal(fake.adds, 2);
	assert_addr(&only_entry()->leg[1].remote, "203.0.113.21:9000");
	assert_int_equal(joiner.downs, 1);
	assert_int_equal(joiner.ups, 2);

	/*
	 * no longer confirmed: out of the kernel, the channel lives on in
	 * userspace; what it forwarded since the last poll reaches the
	 * allocation and the owner first, then the owner hears it left
	 */
	k = fake_find(a->chans[0].offload_id);
	k->leg[0].packets = 4;
	k->leg[0].bytes = 4 * 164;
	joiner.told = 0;
	joiner.has = false;
	offload_sync(a, t0 + 4000);
	assert_int_equal(fake_count(), 0);
	assert_false(a->chans[0].joined);
	assert_int_equal(joiner.told, 1);
	assert_int_equal(joiner.got.packets[0], 4);
	assert_int_equal(joiner.got.bytes[0], 4 * 160);
	assert_int_equal(a->kernel_pkts[0], 10 + 4);
	assert_int_equal(joiner.downs, 2);
	assert_int_equal(joiner.ups, 2);
	assert_non_null(alloc_find_channel(a, 0x4001, t0 + 4000));

	/* confirmed again, then the port closes: out */
	join_leg("192.0.2.1:50004", "203.0.113.21:9000");
	offload_sync(a, t0 + 5000);
	assert_int_equal(fake_count(), 1);
	relay_ports_set(&srv.relay.ports, &port.sa, IPPROTO_UDP, owner, false);
	offload_sync(a, t0 + 6000);
	assert_int_equal(fake_count(), 0);
}

static void test_counters_merged_into_allocation_and_worker(void **state)
{
	struct relay_entry *e;

	(void)state;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	e = fake_find(a->chans[0].offload_id);
	/* the kernel counts ChannelData with its 4-byte header */
	e->leg[0].packets = 50;
	e->leg[0].bytes = 50 * 164;
	e->leg[1].packets = 40;
	e->leg[1].bytes = 6400;
	offload_worker_poll(&w);
	e->leg[0].packets = 60;
	e->leg[0].bytes = 60 * 164;
	offload_worker_poll(&w);
	assert_int_equal(a->kernel_pkts[0], 60);
	assert_int_equal(a->kernel_bytes[0], 9600);
	assert_int_equal(a->kernel_pkts[1], 40);
	assert_int_equal(a->kernel_bytes[1], 6400);
	assert_int_equal(w.stats.kernel_to_peer, 60);
	assert_int_equal(w.stats.kernel_to_client, 40);
	assert_int_equal(a->user_pkts[0] + a->user_pkts[1], 0);
}

/*
 * An entry's share since the last poll reaches the allocation and the
 * worker when it leaves: at permission expiry and when the allocation
 * ends (the allocation's final log line counts it).
 */
static void test_last_counters_on_removal(void **state)
{
	struct relay_entry *e;

	(void)state;
	fake.features = TURNRELAY_FEATURE_DEL_COUNTERS;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	assert_int_equal(bind_at(0x4002, "203.0.113.10:7000", t0 + 100 * 1000), 0);
	e = fake_find(a->chans[0].offload_id);
	e->leg[0].packets = 20;
	e->leg[0].bytes = 20 * 164;
	offload_worker_poll(&w);
	e->leg[0].packets = 25;
	e->leg[0].bytes = 25 * 164;
	e->leg[1].packets = 7;
	e->leg[1].bytes = 700;
	/* the first permission expires (RFC 8656 §9: 300 s): its entry leaves with its counts */
	offload_sync(a, t0 + 301 * 1000);
	assert_int_equal(fake_count(), 1);
	assert_int_equal(a->kernel_pkts[0], 25);
	assert_int_equal(a->kernel_bytes[0], 25 * 160);
	assert_int_equal(a->kernel_pkts[1], 7);
	assert_int_equal(w.stats.kernel_to_client, 7);
	/* the other one when the allocation ends */
	e = fake_find(a->chans[1].offload_id);
	e->leg[1].packets = 3;
	e->leg[1].bytes = 300;
	offload_alloc_end(a);
	assert_int_equal(fake_count(), 0);
	assert_int_equal(a->kernel_pkts[1], 10);
	assert_int_equal(w.stats.kernel_to_client, 10);
}

static void test_module_gone_keeps_the_allocation(void **state)
{
	(void)state;
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	fake.dump_ret = -ENOENT;
	offload_worker_poll(&w);
	assert_false(relay_engine_active(w.engine));
	/* the channel lives on in userspace; later syncs touch nothing */
	assert_non_null(alloc_find_channel(a, 0x4001, t0 + 1));
	offload_sync(a, t0 + 1);
	assert_int_equal(a->chans[0].offload_id, 0);
	assert_int_equal(bind_at(0x4002, "203.0.113.10:7000", t0 + 2), 0);
	assert_int_equal(fake.adds, 1);
}

/* max-bps (bandwidth.h): the module cannot hold a channel to a rate */
static void test_capped_allocation_stays_in_userspace(void **state)
{
	(void)state;
	alloc_set_rate(a, 3000000, t0);
	assert_int_equal(bind_at(0x4001, "203.0.113.9:7000", t0), 0);
	assert_int_equal(fake_count(), 0);
	/* the same channel without a cap goes to the kernel */
	alloc_set_rate(a, 0, t0);
	offload_sync(a, t0);
	assert_int_equal(fake_count(), 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_channel_bind_installs_both_legs),
	    T(test_refresh_keeps_the_entry),
	    T(test_permission_expiry_removes_and_create_permission_restores),
	    T(test_rebind_after_expiry_replaces_the_entry),
	    T(test_allocation_end_removes_every_entry),
	    T(test_tcp_and_own_addresses_stay_in_userspace),
	    T(test_channel_to_anchor_port_joined),
	    T(test_counters_merged_into_allocation_and_worker),
	    T(test_last_counters_on_removal),
	    T(test_module_gone_keeps_the_allocation),
	    T(test_capped_allocation_stays_in_userspace),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
