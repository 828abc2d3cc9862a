/* SPDX-License-Identifier: GPL-2.0 */
/*
 * table.h - forwarding entries, their legs, and the per network namespace
 * state that holds them.
 */
#ifndef _TURNRELAY_TABLE_H
#define _TURNRELAY_TABLE_H

#include <linux/atomic.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rhashtable.h>
#include <linux/workqueue.h>
#include <net/dst_cache.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "uapi/turnrelay.h"

union turnrelay_ip {
	__be32 v4;
	struct in6_addr v6;
};

/*
 * What a leg matches: a datagram to local:lport from remote:rport (and, on a
 * ChannelData leg, with this channel). Compared with memcmp, so every byte,
 * padding included, is set (an IPv4 address fills the first 4 bytes).
 */
struct turnrelay_key {
	union turnrelay_ip local;
	union turnrelay_ip remote;
	__be16 lport;
	__be16 rport;
	u16 channel;
	u16 family;
};

/* The local end alone, for source-mismatch events. */
struct turnrelay_local_key {
	union turnrelay_ip local;
	__be16 lport;
	u16 family;
};

struct turnrelay_entry;

struct turnrelay_leg {
	struct rhash_head node;
	struct rhlist_head local_node;
	struct turnrelay_key key;
	struct turnrelay_local_key local_key;
	/* where datagrams leaving through this leg go (REMOTE unless DEST) */
	union turnrelay_ip dest;
	__be16 dport;
	u8 index; /* 1 or 2 */
	u32 flags;
	struct turnrelay_entry *entry;
	struct dst_cache dst_cache;
	atomic64_t packets;
	atomic64_t bytes;
	atomic64_t errors;
	unsigned long last_jiffies; /* 0: nothing forwarded yet */
	unsigned long last_event_jiffies;
};

struct turnrelay_entry {
	struct rhash_head id_node;
	u64 id;
	struct list_head list;
	struct turnrelay_leg legs[2];
	u32 owner_portid;
	u32 idle_timeout_ms;
	unsigned long created_jiffies;
	bool live;	    /* forwards only when set: all of it is in place */
	bool idle_reported; /* one idle event until traffic resumes */
	struct rcu_head rcu;
};

struct turnrelay_stats {
	u64 count[__TURNRELAY_STATS_A_LAST];
};

struct turnrelay_net {
	struct net *net;
	struct mutex lock; /* writers: entries, tables, hooks */
	struct rhashtable legs;
	struct rhltable locals;
	struct rhashtable ids;
	struct list_head entries;
	atomic_t nr_entries;
	atomic_t nr_source_legs;
	unsigned int nr_idle; /* entries with an idle timeout */
	bool hooks_registered;
	struct delayed_work idle_work;
	struct turnrelay_stats __percpu *stats;
};

#define TURNRELAY_MODULE_VERSION "1.0.0"

extern unsigned int turnrelay_max_entries;
extern unsigned int turnrelay_net_id;

static inline struct turnrelay_net *turnrelay_net(const struct net *net)
{
	return net_generic(net, turnrelay_net_id);
}

static inline void turnrelay_count(struct turnrelay_net *tn, int stat)
{
	this_cpu_inc(tn->stats->count[stat]);
}

static inline struct turnrelay_leg *turnrelay_leg_other(struct turnrelay_leg *leg)
{
	return &leg->entry->legs[leg->index == 1 ? 1 : 0];
}

int turnrelay_table_init(struct turnrelay_net *tn);
void turnrelay_table_exit(struct turnrelay_net *tn);

struct turnrelay_entry *turnrelay_entry_alloc(void);
void turnrelay_entry_free(struct turnrelay_entry *e);
/* Takes ownership of e (frees it on failure). */
int turnrelay_table_add(struct turnrelay_net *tn, struct turnrelay_entry *e,
			struct netlink_ext_ack *extack);
/*
 * Deletes entry id; with keep, the entry stays readable (counters) until
 * turnrelay_entry_release(*keep).
 */
int turnrelay_table_del(struct turnrelay_net *tn, u64 id, struct turnrelay_entry **keep);
void turnrelay_entry_release(struct turnrelay_entry *e);
/* Deletes the entries of owner_portid, or all of them when all is set. */
unsigned int turnrelay_table_flush(struct turnrelay_net *tn, u32 owner_portid,
				   bool all);

struct turnrelay_leg *turnrelay_table_lookup(struct turnrelay_net *tn,
					     const struct turnrelay_key *key);
struct turnrelay_leg *turnrelay_table_lookup_local(struct turnrelay_net *tn,
						   const struct turnrelay_local_key *key);

/* Datagram forwarded on leg: counters, last-seen, idle re-arm. */
void turnrelay_leg_seen(struct turnrelay_leg *leg, unsigned int bytes);
/* CLOCK_MONOTONIC ns of the leg's last datagram, 0 when none. */
u64 turnrelay_leg_last_seen_ns(const struct turnrelay_leg *leg);

void turnrelay_idle_work(struct work_struct *work);

extern const struct rhashtable_params turnrelay_id_params;

#endif /* _TURNRELAY_TABLE_H */
