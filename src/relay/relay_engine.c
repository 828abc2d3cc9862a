/*
 * relay_engine.c - picking the offload engine at startup, and the per
 * thread handle: the entries it installed (by id, with their owners and the
 * counters last read from the kernel), poll and fallback to userspace when
 * the module goes away.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/log.h"
#include "relay/relay_engine.h"

#define ENGINE_BUCKETS 1024 /* a power of 2 */

struct engine_rec {
	struct engine_rec *next;
	uint64_t id;
	void *owner;
	uint64_t packets[2];
	uint64_t bytes[2];
	uint64_t last_seen_ns[2];
};

struct relay_engine_thread {
	const struct relay_engine_ops *ops; /* NULL: inactive */
	void *h;
	char who[32];
	size_t n;
	struct engine_rec *bucket[ENGINE_BUCKETS];
};

/* ids: the process id above, a sequence below: unique in the network namespace */
static atomic_uint_fast32_t engine_seq;

int relay_engine_parse_mode(const char *s, enum relay_engine_mode *out)
{
	if (strcmp(s, "auto") == 0)
		*out = RELAY_ENGINE_AUTO;
	else if (strcmp(s, "on") == 0)
		*out = RELAY_ENGINE_ON;
	else if (strcmp(s, "off") == 0)
		*out = RELAY_ENGINE_OFF;
	else
		return -1;
	return 0;
}

int relay_engine_select(struct relay_engine *e, enum relay_engine_mode mode,
			const struct relay_engine_ops *kernel, char *err, size_t errlen)
{
	char why[RELAY_OFFLOAD_ERRLEN] = "";
	int ret;

	e->ops = NULL;
	if (mode == RELAY_ENGINE_OFF) {
		snprintf(e->why, sizeof(e->why),
			 "kernel offload: null engine (kernel-offload=off): relayed data "
			 "forwarded in userspace");
		return 0;
	}
	ret = kernel->probe(why, sizeof(why));
	if (ret == 0) {
		e->ops = kernel;
		snprintf(e->why, sizeof(e->why),
			 "kernel offload: %s engine (kernel-offload=%s): %s", kernel->name,
			 mode == RELAY_ENGINE_ON ? "on" : "auto", why);
		return 0;
	}
	if (mode == RELAY_ENGINE_ON) {
		snprintf(err, errlen, "kernel-offload=on but the %s engine is not usable: %s",
			 kernel->name, why);
		snprintf(e->why, sizeof(e->why), "%s", err);
		return -1;
	}
	snprintf(e->why, sizeof(e->why),
		 "kernel offload: null engine (kernel-offload=auto): %s; relayed data "
		 "forwarded in userspace",
		 why);
	return 0;
}

const char *relay_engine_name(const struct relay_engine *e)
{
	return e->ops ? e->ops->name : "null";
}

struct relay_engine_thread *relay_engine_thread_open(const struct relay_engine *e,
						     const char *who)
{
	struct relay_engine_thread *t = calloc(1, sizeof(*t));
	char err[RELAY_OFFLOAD_ERRLEN] = "";

	if (!t)
		return NULL;
	snprintf(t->who, sizeof(t->who), "%s", who);
	if (!e->ops)
		return t;
	if (e->ops->open(&t->h, err, sizeof(err)) < 0) {
		log_warn("kernel offload: %s: %s engine not opened (%s); %s forwards in "
			 "userspace",
			 t->who, e->ops->name, err, t->who);
		return t;
	}
	t->ops = e->ops;
	return t;
}

static struct engine_rec **engine_slot(struct relay_engine_thread *t, uint64_t id)
{
	struct engine_rec **pp = &t->bucket[(id ^ (id >> 32)) & (ENGINE_BUCKETS - 1)];

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	return pp;
}

/* Forgets every entry (they are gone from the kernel, or going). */
static void engine_forget(struct relay_engine_thread *t)
{
	for (int i = 0; i < ENGINE_BUCKETS; i++) {
		struct engine_rec *r, *next;

		for (r = t->bucket[i]; r; r = next) {
			next = r->next;
			free(r);
		}
		t->bucket[i] = NULL;
	}
	t->n = 0;
}

void relay_engine_thread_close(struct relay_engine_thread *t)
{
	if (!t)
		return;
	if (t->ops)
		t->ops->close(t->h);
	engine_forget(t);
	free(t);
}

bool relay_engine_active(const struct relay_engine_thread *t)
{
	return t && t->ops;
}

bool relay_engine_has(const struct relay_engine_thread *t, uint64_t feature)
{
	return relay_engine_active(t) && (t->ops->features(t->h) & feature) == feature;
}

bool relay_engine_addr_ok(const struct sockaddr *sa)
{
	static const uint8_t any6[16];

	if (addr_port(sa) == 0)
		return false;
	if (sa->sa_family == AF_INET)
		return ((const struct sockaddr_in *)sa)->sin_addr.s_addr != 0;
	return sa->sa_family == AF_INET6 && !addr_is_v4mapped(sa) &&
	       memcmp(&((const struct sockaddr_in6 *)sa)->sin6_addr, any6, 16) != 0;
}

size_t relay_engine_count(const struct relay_engine_thread *t)
{
	return t ? t->n : 0;
}

/* The module went away: userspace forwards from now on. */
static void engine_lost(struct relay_engine_thread *t, const char *what, int err)
{
	log_warn("kernel offload: %s: %s failed (%s): turnrelay module gone? %zu entries "
		 "dropped, forwarding in userspace from now on",
		 t->who, what, strerror(-err), t->n);
	t->ops->close(t->h);
	t->ops = NULL;
	t->h = NULL;
	engine_forget(t);
}

int relay_engine_add(struct relay_engine_thread *t, struct relay_entry *e, void *owner,
		     uint64_t *id)
{
	struct engine_rec *r;
	int ret;

	*id = 0;
	if (!relay_engine_active(t))
		return -ENODEV;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	e->id = ((uint64_t)(uint32_t)getpid() << 32) | (uint32_t)(atomic_fetch_add(&engine_seq, 1) + 1);
	ret = t->ops->add(t->h, e);
	if (ret < 0) {
		free(r);
		/* ADD never answers ENOENT: the family itself is gone */
		if (ret == -ENOENT)
			engine_lost(t, "ADD", ret);
		return ret;
	}
	r->id = e->id;
	r->owner = owner;
	*engine_slot(t, r->id) = r;
	t->n++;
	*id = r->id;
	return 0;
}

struct engine_poll {
	struct relay_engine_thread *t;
	relay_engine_count_cb cb;
	void *arg;
};

static uint64_t engine_delta(uint64_t now, uint64_t *last)
{
	/* a counter that went back (entry replaced) counts from 0 */
	uint64_t d = now >= *last ? now - *last : now;

	*last = now;
	return d;
}

/* What e's counters moved since r's last reading, to cb (when something moved). */
static void engine_report(struct engine_rec *r, const struct relay_entry *e,
			  relay_engine_count_cb cb, void *arg)
{
	struct relay_engine_counts d = {0};
	bool moved = false;

	d.id = e->id;
	for (int k = 0; k < 2; k++) {
		d.packets[k] = engine_delta(e->leg[k].packets, &r->packets[k]);
		d.bytes[k] = engine_delta(e->leg[k].bytes, &r->bytes[k]);
		d.last_seen_ns[k] = e->leg[k].last_seen_ns;
		moved |= d.packets[k] != 0 || e->leg[k].last_seen_ns != r->last_seen_ns[k];
		r->last_seen_ns[k] = e->leg[k].last_seen_ns;
	}
	if (moved && cb)
		cb(r->owner, &d, arg);
}

static int engine_on_entry(const struct relay_entry *e, void *arg)
{
	struct engine_poll *p = arg;
	struct engine_rec *r = *engine_slot(p->t, e->id);

	if (r) /* else another handle's or process's */
		engine_report(r, e, p->cb, p->arg);
	return 0;
}

void relay_engine_del(struct relay_engine_thread *t, uint64_t id, relay_engine_count_cb cb,
		      void *arg)
{
	struct engine_rec **pp, *r;
	struct relay_entry last;

	if (!relay_engine_active(t) || id == 0)
		return;
	pp = engine_slot(t, id);
	if (!(r = *pp))
		return;
	*pp = r->next;
	t->n--;
	/* -ENOENT: already gone (module reloaded, flushed by an operator) */
	if (t->ops->del(t->h, id, cb ? &last : NULL) == 0 && cb && last.id == id)
		engine_report(r, &last, cb, arg);
	free(r);
}

int relay_engine_poll(struct relay_engine_thread *t, relay_engine_count_cb cb, void *arg)
{
	struct engine_poll p = {.t = t, .cb = cb, .arg = arg};
	int ret;

	if (!relay_engine_active(t) || t->n == 0)
		return 0;
	ret = t->ops->dump(t->h, engine_on_entry, &p);
	if (ret == -ENOENT)
		engine_lost(t, "DUMP", ret);
	return ret;
}
