/*
 * test_relay_engine.c - the offload engine (src/relay/relay_engine.c):
 * which engine kernel-offload picks (off never probes, auto falls back with
 * the reason, on refuses to start), what a thread handle installs and
 * removes, counters handed to the owners as deltas, and the fallback to
 * userspace when the module goes away.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>

#include "common/config.h"
#include "fake_engine.h"
#include "test_sockaddr.h"

static void test_mode_parse(void **state)
{
	enum relay_engine_mode m;

	(void)state;
	assert_int_equal(relay_engine_parse_mode("auto", &m), 0);
	assert_int_equal(m, RELAY_ENGINE_AUTO);
	assert_int_equal(relay_engine_parse_mode("on", &m), 0);
	assert_int_equal(m, RELAY_ENGINE_ON);
	assert_int_equal(relay_engine_parse_mode("off", &m), 0);
	assert_int_equal(m, RELAY_ENGINE_OFF);
	assert_int_equal(relay_engine_parse_mode("yes", &m), -1);
	assert_int_equal(relay_engine_parse_mode("", &m), -1);
}

static void test_config_option(void **state)
{
	char *ok[] = {"turnserver", "-n", "--kernel-offload", "off"};
	char *bad[] = {"turnserver", "-n", "--kernel-offload", "maybe"};
	struct config c;
	char err[256] = "";

	(void)state;
	config_init(&c);
	assert_string_equal(c.kernel_offload, "auto");
	assert_int_equal(config_parse_args(&c, 4, ok, err, sizeof(err)), 0);
	assert_string_equal(c.kernel_offload, "off");
	config_free(&c);
	config_init(&c);
	assert_int_equal(config_parse_args(&c, 4, bad, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "kernel-offload"));
	config_free(&c);
}

/* relay_engine_select(MODE) with the fake module reset and its probe answering PROBE_RET. */
static int select_probed(struct relay_engine *e, enum relay_engine_mode mode, int probe_ret,
			 char *err, size_t len)
{
	fake_reset();
	fake.probe_ret = probe_ret;
	return relay_engine_select(e, mode, &fake_ops, err, len);
}

static void test_off_never_probes(void **state)
{
	struct relay_engine e;
	char err[256] = "";

	(void)state;
	assert_int_equal(select_probed(&e, RELAY_ENGINE_OFF, 0, err, sizeof(err)), 0);
	assert_null(e.ops);
	assert_int_equal(fake.probe_calls, 0);
	assert_string_equal(relay_engine_name(&e), "null");
	assert_non_null(strstr(e.why, "kernel-offload=off"));
}

static void test_auto_uses_a_usable_module(void **state)
{
	struct relay_engine e;
	char err[256] = "";

	(void)state;
	assert_int_equal(select_probed(&e, RELAY_ENGINE_AUTO, 0, err, sizeof(err)), 0);
	assert_ptr_equal(e.ops, &fake_ops);
	assert_string_equal(relay_engine_name(&e), "fake");
	assert_non_null(strstr(e.why, "fake engine (kernel-offload=auto)"));
}

static void test_auto_falls_back_and_says_why(void **state)
{
	const int errs[] = {-ENOENT, -EPROTONOSUPPORT, -EPERM};
	struct relay_engine e;
	char err[256] = "";

	(void)state;
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		assert_int_equal(select_probed(&e, RELAY_ENGINE_AUTO, errs[i], err, sizeof(err)),
				 0);
		assert_null(e.ops);
		assert_non_null(strstr(e.why, "null engine"));
		assert_non_null(strstr(e.why, strerror(-errs[i])));
	}
}

static void test_on_without_module_stops_startup(void **state)
{
	struct relay_engine e;
	char err[256] = "";

	(void)state;
	assert_int_equal(select_probed(&e, RELAY_ENGINE_ON, -ENOENT, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "kernel-offload=on"));
	assert_non_null(strstr(err, strerror(ENOENT)));
	fake.probe_ret = 0;
	assert_int_equal(relay_engine_select(&e, RELAY_ENGINE_ON, &fake_ops, err, sizeof(err)), 0);
	assert_ptr_equal(e.ops, &fake_ops);
}

static void test_null_thread_installs_nothing(void **state)
{
	struct relay_engine e = {.ops = NULL};
	struct relay_engine_thread *t = relay_engine_thread_open(&e, "worker 0");
	struct relay_entry ent = {0};
	uint64_t id = 7;

	(void)state;
	fake_reset();
	assert_non_null(t);
	assert_false(relay_engine_active(t));
	assert_int_equal(relay_engine_add(t, &ent, NULL, &id), -ENODEV);
	assert_int_equal(id, 0);
	relay_engine_del(t, 1, NULL, NULL);
	assert_int_equal(relay_engine_poll(t, NULL, NULL), 0);
	assert_int_equal(fake.open_calls + fake.adds + fake.dels, 0);
	relay_engine_thread_close(t);
}

struct counted {
	uint64_t packets[2], bytes[2];
	int calls;
};

static void count_cb(void *owner, const struct relay_engine_counts *d, void *arg)
{
	struct counted *c = owner;

	(void)arg;
	c->calls++;
	for (int k = 0; k < 2; k++) {
		c->packets[k] += d->packets[k];
		c->bytes[k] += d->bytes[k];
	}
}

/* The module's counters of entry id: what each leg forwarded in all. */
static void kernel_counts(uint64_t id, uint64_t packets0, uint64_t bytes0, uint64_t packets1,
			  uint64_t bytes1)
{
	struct relay_entry *k = fake_find(id);

	assert_non_null(k);
	k->leg[0].packets = packets0;
	k->leg[0].bytes = bytes0;
	k->leg[1].packets = packets1;
	k->leg[1].bytes = bytes1;
}

/* What an owner was handed: CALLS callbacks adding up to these totals. */
static void assert_counted(const struct counted *c, int calls, uint64_t packets0, uint64_t bytes0,
			   uint64_t packets1, uint64_t bytes1)
{
	assert_int_equal(c->calls, calls);
	assert_int_equal(c->packets[0], packets0);
	assert_int_equal(c->bytes[0], bytes0);
	assert_int_equal(c->packets[1], packets1);
	assert_int_equal(c->bytes[1], bytes1);
}

static void test_add_del_and_counter_deltas(void **state)
{
	struct relay_engine e = {.ops = &fake_ops};
	struct relay_engine_thread *t = relay_engine_thread_open(&e, "worker 0");
	struct relay_entry a = {0}, b = {0};
	struct counted ca = {{0}}, cb = {{0}};
	uint64_t ida, idb;

	(void)state;
	fake_reset();
	relay_engine_thread_close(t);
	t = relay_engine_thread_open(&e, "worker 0");
	assert_true(relay_engine_active(t));
	assert_int_equal(fake.open_calls, 1);
	assert_int_equal(relay_engine_add(t, &a, &ca, &ida), 0);
	assert_int_equal(relay_engine_add(t, &b, &cb, &idb), 0);
	assert_int_not_equal(ida, 0);
	assert_int_not_equal(ida, idb);
	assert_int_equal(a.id, ida);
	assert_int_equal(relay_engine_count(t), 2);
	assert_int_equal(fake_count(), 2);

	/* the kernel counts; each poll hands over what is new, per owner */
	kernel_counts(ida, 10, 1600, 3, 0);
	assert_int_equal(relay_engine_poll(t, count_cb, NULL), 0);
	assert_counted(&ca, 1, 10, 1600, 3, 0);
	assert_int_equal(cb.calls, 0); /* nothing moved */
	kernel_counts(ida, 15, 2400, 3, 0);
	assert_int_equal(relay_engine_poll(t, count_cb, NULL), 0);
	assert_counted(&ca, 2, 15, 2400, 3, 0);
	assert_int_equal(relay_engine_poll(t, count_cb, NULL), 0);
	assert_int_equal(ca.calls, 2);

	/* removing: from the kernel and from the handle; twice is harmless */
	relay_engine_del(t, ida, NULL, NULL);
	assert_int_equal(fake.last_del, ida);
	assert_null(fake_find(ida));
	relay_engine_del(t, ida, NULL, NULL);
	relay_engine_del(t, 0, NULL, NULL);
	assert_int_equal(fake.dels, 1);
	assert_int_equal(relay_engine_count(t), 1);

	/* a failed add installs nothing and returns the error */
	fake.add_ret = -ENOSPC;
	assert_int_equal(relay_engine_add(t, &a, &ca, &ida), -ENOSPC);
	assert_int_equal(ida, 0);
	assert_true(relay_engine_active(t));
	relay_engine_thread_close(t);
	assert_int_equal(fake.close_calls, 2);
	assert_int_equal(fake_count(), 0);
}

/* A thread of the fake engine (FEATURES, NAME) with one entry added, its counts to ca. */
struct one_entry {
	struct relay_engine e;
	struct relay_engine_thread *t;
	struct relay_entry a;
	struct counted ca;
	uint64_t id;
};

static void one_entry_add(struct one_entry *o, uint64_t features, const char *name)
{
	memset(o, 0, sizeof(*o));
	o->e.ops = &fake_ops;
	o->t = fake_thread(&o->e, features, name);
	assert_int_equal(relay_engine_add(o->t, &o->a, &o->ca, &o->id), 0);
}

/*
 * What an entry forwarded between the last poll and its removal reaches its
 * owner with the removal, when the module returns a deleted entry's
 * counters; an older module's removal hands nothing (and is still made).
 */
static void test_del_hands_over_the_last_counters(void **state)
{
	struct one_entry o;

	(void)state;
	one_entry_add(&o, TURNRELAY_FEATURE_DEL_COUNTERS, "worker 0");
	assert_true(relay_engine_has(o.t, TURNRELAY_FEATURE_DEL_COUNTERS));
	assert_false(relay_engine_has(o.t, TURNRELAY_FEATURE_PASS_RTCP));
	kernel_counts(o.id, 10, 1600, 0, 0);
	assert_int_equal(relay_engine_poll(o.t, count_cb, NULL), 0);
	assert_int_equal(o.ca.calls, 1);
	/* forwarded after the poll, then removed: the rest comes with the removal */
	kernel_counts(o.id, 14, 2240, 2, 320);
	relay_engine_del(o.t, o.id, count_cb, NULL);
	assert_null(fake_find(o.id));
	assert_counted(&o.ca, 2, 14, 2240, 2, 320);
	assert_int_equal(relay_engine_count(o.t), 0);

	/* nothing moved since the poll: no call */
	assert_int_equal(relay_engine_add(o.t, &o.a, &o.ca, &o.id), 0);
	relay_engine_del(o.t, o.id, count_cb, NULL);
	assert_int_equal(o.ca.calls, 2);

	/* a module without the feature: removed, nothing handed over */
	fake.features = 0;
	assert_int_equal(relay_engine_add(o.t, &o.a, &o.ca, &o.id), 0);
	fake_find(o.id)->leg[0].packets = 5;
	relay_engine_del(o.t, o.id, count_cb, NULL);
	assert_int_equal(fake.last_del, o.id);
	assert_null(fake_find(o.id));
	assert_int_equal(o.ca.calls, 2);
	relay_engine_thread_close(o.t);

	/* the null engine has no features */
	o.e.ops = NULL;
	o.t = relay_engine_thread_open(&o.e, "worker 0");
	assert_false(relay_engine_has(o.t, TURNRELAY_FEATURE_DEL_COUNTERS));
	relay_engine_thread_close(o.t);
}

static void test_module_gone_falls_back_to_userspace(void **state)
{
	struct one_entry o;

	(void)state;
	one_entry_add(&o, 0, "worker 1");
	/* rmmod: the family is gone, requests answer ENOENT */
	fake.dump_ret = -ENOENT;
	assert_int_equal(relay_engine_poll(o.t, count_cb, NULL), -ENOENT);
	assert_false(relay_engine_active(o.t));
	assert_int_equal(relay_engine_count(o.t), 0);
	assert_int_equal(fake.close_calls, 1);
	/* later events of the owner change nothing in the kernel */
	relay_engine_del(o.t, o.id, NULL, NULL);
	assert_int_equal(fake.dels, 0);
	assert_int_equal(relay_engine_add(o.t, &o.a, &o.ca, &o.id), -ENODEV);
	relay_engine_thread_close(o.t);
	assert_int_equal(fake.close_calls, 1);

	/* an add answered with ENOENT (family gone) does the same */
	o.t = fake_thread(&o.e, 0, "worker 1");
	fake.add_ret = -ENOENT;
	assert_int_equal(relay_engine_add(o.t, &o.a, &o.ca, &o.id), -ENOENT);
	assert_false(relay_engine_active(o.t));
	relay_engine_thread_close(o.t);
}

/* What the module can take on a leg: a set address with a port. */
static void test_addresses_the_module_takes(void **state)
{
	static const char *const ok[] = {"192.0.2.1:3478", "127.0.0.1:1", "[2001:db8::1]:5000",
					 "[::1]:9"};
	static const char *const bad[] = {"0.0.0.0:3478", "192.0.2.1:0", "[::]:3478",
					  "[::ffff:192.0.2.1]:3478", "[2001:db8::1]:0"};

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		union sockaddr_u u = test_su(ok[i]);

		assert_true(relay_engine_addr_ok(&u.sa));
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		union sockaddr_u u = test_su(bad[i]);

		assert_false(relay_engine_addr_ok(&u.sa));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_mode_parse),
	    cmocka_unit_test(test_config_option),
	    cmocka_unit_test(test_off_never_probes),
	    cmocka_unit_test(test_auto_uses_a_usable_module),
	    cmocka_unit_test(test_auto_falls_back_and_says_why),
	    cmocka_unit_test(test_on_without_module_stops_startup),
	    cmocka_unit_test(test_null_thread_installs_nothing),
	    cmocka_unit_test(test_add_del_and_counter_deltas),
	    cmocka_unit_test(test_del_hands_over_the_last_counters),
	    cmocka_unit_test(test_module_gone_falls_back_to_userspace),
	    cmocka_unit_test(test_addresses_the_module_takes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
