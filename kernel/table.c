// SPDX-License-Identifier: GPL-2.0
/*
 * table.c - the entries of one network namespace: three hash tables (legs by
 * their match, legs with source events by their local end, entries by id),
 * all read under RCU by the packet path and written under tn->lock; the
 * entry list for flushes and the once-a-second idle check.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>

#include "hook.h"
#include "netlink.h"
#include "table.h"

static const struct rhashtable_params turnrelay_leg_params = {
	.key_len = sizeof(struct turnrelay_key),
	.key_offset = offsetof(struct turnrelay_leg, key),
	.head_offset = offsetof(struct turnrelay_leg, node),
	.automatic_shrinking = true,
};

static const struct rhashtable_params turnrelay_local_params = {
	.key_len = sizeof(struct turnrelay_local_key),
	.key_offset = offsetof(struct turnrelay_leg, local_key),
	.head_offset = offsetof(struct turnrelay_leg, local_node),
	.automatic_shrinking = true,
};

const struct rhashtable_params turnrelay_id_params = {
	.key_len = sizeof(u64),
	.key_offset = offsetof(struct turnrelay_entry, id),
	.head_offset = offsetof(struct turnrelay_entry, id_node),
	.automatic_shrinking = true,
};

int turnrelay_table_init(struct turnrelay_net *tn)
{
	int err;

	mutex_init(&tn->lock);
	INIT_LIST_HEAD(&tn->entries);
	INIT_DELAYED_WORK(&tn->idle_work, turnrelay_idle_work);
	err = rhashtable_init(&tn->legs, &turnrelay_leg_params);
	if (err)
		return err;
	err = rhltable_init(&tn->locals, &turnrelay_local_params);
	if (err)
		goto fail_locals;
	err = rhashtable_init(&tn->ids, &turnrelay_id_params);
	if (err)
		goto fail_ids;
	return 0;

fail_ids:
	rhltable_destroy(&tn->locals);
fail_locals:
	rhashtable_destroy(&tn->legs);
	return err;
}

/* The hooks are gone and nobody else can reach tn any more. */
void turnrelay_table_exit(struct turnrelay_net *tn)
{
	turnrelay_table_flush(tn, 0, true);
	cancel_delayed_work_sync(&tn->idle_work);
	rhashtable_destroy(&tn->ids);
	rhltable_destroy(&tn->locals);
	rhashtable_destroy(&tn->legs);
}

struct turnrelay_entry *turnrelay_entry_alloc(void)
{
	struct turnrelay_entry *e = kzalloc(sizeof(*e), GFP_KERNEL);
	int i;

	if (!e)
		return NULL;
	for (i = 0; i < 2; i++) {
		e->legs[i].entry = e;
		e->legs[i].index = i + 1;
		if (dst_cache_init(&e->legs[i].dst_cache, GFP_KERNEL))
			goto fail;
	}
	return e;

fail:
	while (i-- > 0)
		dst_cache_destroy(&e->legs[i].dst_cache);
	kfree(e);
	return NULL;
}

void turnrelay_entry_free(struct turnrelay_entry *e)
{
	dst_cache_destroy(&e->legs[0].dst_cache);
	dst_cache_destroy(&e->legs[1].dst_cache);
	kfree(e);
}

static void turnrelay_entry_free_rcu(struct rcu_head *rcu)
{
	turnrelay_entry_free(container_of(rcu, struct turnrelay_entry, rcu));
}

/*
 * Takes e out of every table; readers may still hold it until a grace
 * period. Freed after that one unless keep: then the caller reads it and
 * hands it to turnrelay_entry_release().
 */
static void turnrelay_entry_unlink(struct turnrelay_net *tn, struct turnrelay_entry *e,
				   bool keep)
{
	int i;

	lockdep_assert_held(&tn->lock);
	WRITE_ONCE(e->live, false);
	for (i = 0; i < 2; i++) {
		struct turnrelay_leg *leg = &e->legs[i];

		rhashtable_remove_fast(&tn->legs, &leg->node, turnrelay_leg_params);
		if (leg->flags & TURNRELAY_LEG_F_SOURCE_EVENTS) {
			rhltable_remove(&tn->locals, &leg->local_node,
					turnrelay_local_params);
			atomic_dec(&tn->nr_source_legs);
		}
	}
	rhashtable_remove_fast(&tn->ids, &e->id_node, turnrelay_id_params);
	list_del(&e->list);
	atomic_dec(&tn->nr_entries);
	if (e->idle_timeout_ms)
		tn->nr_idle--;
	if (!keep)
		call_rcu(&e->rcu, turnrelay_entry_free_rcu);
}

void turnrelay_entry_release(struct turnrelay_entry *e)
{
	call_rcu(&e->rcu, turnrelay_entry_free_rcu);
}

int turnrelay_table_add(struct turnrelay_net *tn, struct turnrelay_entry *e,
			struct netlink_ext_ack *extack)
{
	int linked_legs = 0, linked_locals = 0;
	int err, i;

	mutex_lock(&tn->lock);
	if ((unsigned int)atomic_read(&tn->nr_entries) >= READ_ONCE(turnrelay_max_entries)) {
		NL_SET_ERR_MSG(extack, "turnrelay: entry limit of this network namespace reached");
		err = -ENOSPC;
		goto fail_unlock_free;
	}
	if (rhashtable_lookup_fast(&tn->ids, &e->id, turnrelay_id_params)) {
		NL_SET_ERR_MSG(extack, "turnrelay: an entry with this id exists");
		err = -EEXIST;
		goto fail_unlock_free;
	}
	for (i = 0; i < 2; i++) {
		if (rhashtable_lookup_fast(&tn->legs, &e->legs[i].key,
					   turnrelay_leg_params)) {
			if (i)
				NL_SET_ERR_MSG(extack, "turnrelay: leg 2 matches the datagrams of another entry's leg");
			else
				NL_SET_ERR_MSG(extack, "turnrelay: leg 1 matches the datagrams of another entry's leg");
			err = -EEXIST;
			goto fail_unlock_free;
		}
	}
	if (!tn->hooks_registered) {
		err = turnrelay_hooks_register(tn->net);
		if (err) {
			NL_SET_ERR_MSG(extack, "turnrelay: cannot register the netfilter hooks");
			goto fail_unlock_free;
		}
		tn->hooks_registered = true;
	}

	e->created_jiffies = jiffies;
	err = rhashtable_insert_fast(&tn->ids, &e->id_node, turnrelay_id_params);
	if (err)
		goto fail_free;
	for (i = 0; i < 2; i++) {
		err = rhashtable_insert_fast(&tn->legs, &e->legs[i].node,
					     turnrelay_leg_params);
		if (err)
			goto fail_unlink;
		linked_legs++;
	}
	for (i = 0; i < 2; i++) {
		if (!(e->legs[i].flags & TURNRELAY_LEG_F_SOURCE_EVENTS))
			continue;
		err = rhltable_insert(&tn->locals, &e->legs[i].local_node,
				      turnrelay_local_params);
		if (err)
			goto fail_unlink;
		linked_locals |= 1 << i;
		atomic_inc(&tn->nr_source_legs);
	}
	list_add_tail(&e->list, &tn->entries);
	atomic_inc(&tn->nr_entries);
	if (e->idle_timeout_ms && tn->nr_idle++ == 0)
		mod_delayed_work(system_wq, &tn->idle_work, HZ);
	/* pairs with smp_load_acquire in the hook: the entry is complete */
	smp_store_release(&e->live, true);
	mutex_unlock(&tn->lock);
	return 0;

fail_unlink:
	/* never live, but a reader may have found a leg: free after RCU */
	for (i = 0; i < 2; i++) {
		if (linked_locals & (1 << i)) {
			rhltable_remove(&tn->locals, &e->legs[i].local_node,
					turnrelay_local_params);
			atomic_dec(&tn->nr_source_legs);
		}
	}
	for (i = 0; i < linked_legs; i++)
		rhashtable_remove_fast(&tn->legs, &e->legs[i].node,
				       turnrelay_leg_params);
	rhashtable_remove_fast(&tn->ids, &e->id_node, turnrelay_id_params);
	mutex_unlock(&tn->lock);
	NL_SET_ERR_MSG(extack, "turnrelay: cannot insert the entry into the hash tables");
	call_rcu(&e->rcu, turnrelay_entry_free_rcu);
	return err;

fail_free:
	NL_SET_ERR_MSG(extack, "turnrelay: cannot insert the entry into the hash tables");
fail_unlock_free:
	mutex_unlock(&tn->lock);
	turnrelay_entry_free(e);
	return err;
}

int turnrelay_table_del(struct turnrelay_net *tn, u64 id, struct turnrelay_entry **keep)
{
	struct turnrelay_entry *e;
	int err = -ENOENT;

	mutex_lock(&tn->lock);
	e = rhashtable_lookup_fast(&tn->ids, &id, turnrelay_id_params);
	if (e) {
		turnrelay_entry_unlink(tn, e, keep != NULL);
		if (keep)
			*keep = e;
		err = 0;
	}
	mutex_unlock(&tn->lock);
	return err;
}

unsigned int turnrelay_table_flush(struct turnrelay_net *tn, u32 owner_portid, bool all)
{
	struct turnrelay_entry *e, *tmp;
	unsigned int n = 0;

	mutex_lock(&tn->lock);
	list_for_each_entry_safe(e, tmp, &tn->entries, list) {
		if (all || e->owner_portid == owner_portid) {
			turnrelay_entry_unlink(tn, e, false);
			n++;
		}
	}
	mutex_unlock(&tn->lock);
	return n;
}

struct turnrelay_leg *turnrelay_table_lookup(struct turnrelay_net *tn,
					     const struct turnrelay_key *key)
{
	return rhashtable_lookup(&tn->legs, key, turnrelay_leg_params);
}

struct turnrelay_leg *turnrelay_table_lookup_local(struct turnrelay_net *tn,
						   const struct turnrelay_local_key *key)
{
	struct rhlist_head *list = rhltable_lookup(&tn->locals, key,
						   turnrelay_local_params);

	return list ? container_of(list, struct turnrelay_leg, local_node) : NULL;
}

void turnrelay_leg_seen(struct turnrelay_leg *leg, unsigned int bytes)
{
	struct turnrelay_entry *e = leg->entry;
	unsigned long now = jiffies ?: 1;

	atomic64_inc(&leg->packets);
	atomic64_add(bytes, &leg->bytes);
	if (READ_ONCE(leg->last_jiffies) != now)
		WRITE_ONCE(leg->last_jiffies, now);
	if (unlikely(READ_ONCE(e->idle_reported)))
		WRITE_ONCE(e->idle_reported, false);
}

u64 turnrelay_leg_last_seen_ns(const struct turnrelay_leg *leg)
{
	unsigned long last = READ_ONCE(leg->last_jiffies);
	u64 now_ns, age_ns;

	if (!last)
		return 0;
	now_ns = ktime_get_ns();
	age_ns = jiffies_to_nsecs(jiffies - last);
	return age_ns < now_ns ? now_ns - age_ns : 1;
}

/* Last time anything moved through e (or its creation). */
static unsigned long turnrelay_entry_last_jiffies(const struct turnrelay_entry *e)
{
	unsigned long last = e->created_jiffies;
	int i;

	for (i = 0; i < 2; i++) {
		unsigned long seen = READ_ONCE(e->legs[i].last_jiffies);

		if (seen && time_after(seen, last))
			last = seen;
	}
	return last;
}

void turnrelay_idle_work(struct work_struct *work)
{
	struct turnrelay_net *tn = container_of(to_delayed_work(work),
						struct turnrelay_net, idle_work);
	struct turnrelay_entry *e;
	unsigned long now = jiffies;

	mutex_lock(&tn->lock);
	list_for_each_entry(e, &tn->entries, list) {
		unsigned long last;

		if (!e->idle_timeout_ms || READ_ONCE(e->idle_reported))
			continue;
		last = turnrelay_entry_last_jiffies(e);
		if (time_before(now, last + msecs_to_jiffies(e->idle_timeout_ms)))
			continue;
		WRITE_ONCE(e->idle_reported, true);
		turnrelay_nl_event_idle(tn, e, GFP_KERNEL);
	}
	if (tn->nr_idle)
		queue_delayed_work(system_wq, &tn->idle_work, HZ);
	mutex_unlock(&tn->lock);
}
