/*
 * fake_engine.h - an offload engine for unit tests (relay/relay_engine.h):
 * records every call, holds the entries it was given (with counters a test
 * sets), and fails on demand. Static functions only; one engine per test
 * program.
 */
#ifndef TESTS_UNIT_FAKE_ENGINE_H
#define TESTS_UNIT_FAKE_ENGINE_H

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "relay/relay_engine.h"

#define FAKE_MAX 64

static struct fake_engine {
	int probe_ret;		 /* what probe answers */
	int probe_calls;
	int open_calls, close_calls;
	int add_ret, dump_ret;	 /* injected failures (0: none) */
	int adds, dels;
	struct relay_entry entry[FAKE_MAX]; /* installed; id 0: free slot */
	uint64_t last_del;
	uint64_t features; /* TURNRELAY_FEATURE_*: DEL_COUNTERS hands a deleted entry's counters */
} fake;

static void fake_reset(void)
{
	memset(&fake, 0, sizeof(fake));
}

static int fake_probe(char *why, size_t len)
{
	fake.probe_calls++;
	snprintf(why, len, fake.probe_ret ? "fake module: %s" : "fake module ready",
		 strerror(-fake.probe_ret));
	return fake.probe_ret;
}

static int fake_open(void **h, char *err, size_t len)
{
	(void)err, (void)len;
	fake.open_calls++;
	*h = &fake;
	return 0;
}

static void fake_close(void *h)
{
	(void)h;
	fake.close_calls++;
	/* the kernel flushes the socket's entries */
	memset(fake.entry, 0, sizeof(fake.entry));
}

static struct relay_entry *fake_find(uint64_t id)
{
	for (int i = 0; i < FAKE_MAX; i++)
		if (id && fake.entry[i].id == id)
			return &fake.entry[i];
	return NULL;
}

/* Installed entries. */
static int fake_count(void)
{
	int n = 0;

	for (int i = 0; i < FAKE_MAX; i++)
		n += fake.entry[i].id != 0;
	return n;
}

static int fake_add(void *h, const struct relay_entry *e)
{
	struct relay_entry *slot = fake_find(0);

	(void)h;
	fake.adds++;
	if (fake.add_ret)
		return fake.add_ret;
	if (fake_find(e->id))
		return -EEXIST;
	for (int i = 0; i < FAKE_MAX && !slot; i++)
		if (fake.entry[i].id == 0)
			slot = &fake.entry[i];
	if (!slot)
		return -ENOSPC;
	*slot = *e;
	return 0;
}

static int fake_del(void *h, uint64_t id, struct relay_entry *last)
{
	struct relay_entry *e = fake_find(id);

	(void)h;
	fake.dels++;
	fake.last_del = id;
	if (last)
		last->id = 0;
	if (!e)
		return -ENOENT;
	if (last && (fake.features & TURNRELAY_FEATURE_DEL_COUNTERS))
		*last = *e;
	memset(e, 0, sizeof(*e));
	return 0;
}

static uint64_t fake_features(void *h)
{
	(void)h;
	return fake.features;
}

static int fake_dump(void *h, relay_entry_cb cb, void *arg)
{
	(void)h;
	if (fake.dump_ret)
		return fake.dump_ret;
	for (int i = 0; i < FAKE_MAX; i++)
		if (fake.entry[i].id)
			cb(&fake.entry[i], arg);
	return 0;
}

static const struct relay_engine_ops fake_ops = {
    .name = "fake",
    .probe = fake_probe,
    .open = fake_open,
    .close = fake_close,
    .add = fake_add,
    .del = fake_del,
    .dump = fake_dump,
    .features = fake_features,
};

/* A worker's thread of engine e on a fresh fake module that offers features. */
static inline struct relay_engine_thread *fake_thread(struct relay_engine *e, uint64_t features,
						      const char *name)
{
	fake_reset();
	fake.features = features;
	return relay_engine_thread_open(e, name);
}

#endif /* TESTS_UNIT_FAKE_ENGINE_H */
