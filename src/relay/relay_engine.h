/*
 * relay_engine.h - the offload engine: who forwards the relayed datagrams
 * that userspace has confirmed (a TURN channel, an anchored stream, a TURN
 * client joined to an anchor leg).
 *
 * Two engines:
 *  - the null engine: nothing is installed and every datagram crosses
 *    userspace, as without the module. The default when the turnrelay
 *    module is absent, and always with kernel-offload=off (which never
 *    opens a netlink socket).
 *  - the turnrelay engine (relay_engine_turnrelay, over src/offload): the
 *    kernel module forwards each installed entry (kernel/uapi/turnrelay.h
 *    says what an entry is). Whatever it leaves alone (STUN, DTLS, other
 *    sources or channels) still reaches userspace, which behaves as with
 *    the null engine.
 *
 * main.c picks the engine once at startup (relay_engine_select), before
 * threads run, and keeps it in struct relay. Each thread that owns relay
 * state (each TURN worker, the anchor's thread) opens its own handle
 * (relay_engine_thread_open: one netlink socket, the owner of the entries
 * it adds, so that the kernel flushes them when the process dies) and uses
 * it from that thread only. A handle of the null engine, or one whose
 * module went away (unloaded under a running server), is inactive:
 * relay_engine_add() then installs nothing and the caller keeps forwarding
 * in userspace, which it must be able to do at any moment anyway.
 *
 * Counters: the engine keeps, per installed entry, what was last read from
 * the kernel; relay_engine_poll() dumps the entries and hands the owner of
 * each entry the packets and bytes forwarded since the previous poll, per
 * leg, so the owner adds them to its own counters. relay_engine_del()
 * hands over what an entry forwarded between the last poll and its removal
 * the same way, when the module returns a deleted entry's counters
 * (TURNRELAY_FEATURE_DEL_COUNTERS; an older module loses that share).
 */
#ifndef RELAY_RELAY_ENGINE_H
#define RELAY_RELAY_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "offload/relay_offload.h"

/* kernel-offload = auto | on | off */
enum relay_engine_mode {
	RELAY_ENGINE_AUTO,
	RELAY_ENGINE_ON,
	RELAY_ENGINE_OFF,
};

/* "auto", "on", "off": 0, or -1 for anything else. */
int relay_engine_parse_mode(const char *s, enum relay_engine_mode *out);

/*
 * What an engine does. The turnrelay engine's are below; unit tests plug in
 * a fake that records its calls. Every function returns 0 or a negative
 * errno; h is what open gave.
 */
struct relay_engine_ops {
	const char *name;
	/*
	 * May this process use the engine? 0, or -ENOENT (module not loaded),
	 * -EPROTONOSUPPORT (unknown ABI), -EPERM (no CAP_NET_ADMIN) or another
	 * error, with the reason in why.
	 */
	int (*probe)(char *why, size_t why_len);
	int (*open)(void **h, char *err, size_t err_len);
	void (*close)(void *h);
	int (*add)(void *h, const struct relay_entry *e);
	/*
	 * Deletes entry id; when last is not NULL and the module can, *last
	 * gets the entry's final counters (as in a dump) and last->id == id;
	 * otherwise last->id is 0.
	 */
	int (*del)(void *h, uint64_t id, struct relay_entry *last);
	/* TURNRELAY_FEATURE_* of the module behind h */
	uint64_t (*features)(void *h);
	/* every entry of the network namespace (with counters) to cb */
	int (*dump)(void *h, relay_entry_cb cb, void *arg);
};

extern const struct relay_engine_ops relay_engine_turnrelay;

struct relay_engine {
	const struct relay_engine_ops *ops; /* NULL: the null engine */
	char why[RELAY_OFFLOAD_ERRLEN + 128]; /* which engine and why, said once at startup */
};

/*
 * Picks the engine for mode: off -> null without probing; auto -> kernel
 * when kernel->probe() says usable, else null (why says the reason, e.g.
 * no module or no CAP_NET_ADMIN); on -> kernel, or -1 with the reason in
 * err (startup stops). e->why is filled in either way.
 */
int relay_engine_select(struct relay_engine *e, enum relay_engine_mode mode,
			const struct relay_engine_ops *kernel, char *err, size_t errlen);
/* The name of the engine in use: "turnrelay" (or the ops' name), or "null". */
const char *relay_engine_name(const struct relay_engine *e);

/* Per leg of an entry, what the kernel forwarded (since the last poll). */
struct relay_engine_counts {
	uint64_t id; /* the entry's */
	uint64_t packets[2];
	uint64_t bytes[2];
	uint64_t last_seen_ns[2]; /* CLOCK_MONOTONIC of the leg's last datagram, 0: never */
};
/* owner: what relay_engine_add() was given for the entry. */
typedef void (*relay_engine_count_cb)(void *owner, const struct relay_engine_counts *delta,
				      void *arg);

struct relay_engine_thread;

/*
 * A handle for the calling thread (who names it in log lines: "worker 2",
 * "anchor"). Never NULL unless out of memory; inactive for the null engine
 * and when the kernel handle could not be opened (said in the log).
 */
struct relay_engine_thread *relay_engine_thread_open(const struct relay_engine *e,
						     const char *who);
/* Closes the netlink socket: the kernel drops every entry of this handle. */
void relay_engine_thread_close(struct relay_engine_thread *t);
/* Does an add install anything? */
bool relay_engine_active(const struct relay_engine_thread *t);
/* Is t active with a module that has feature (TURNRELAY_FEATURE_*)? */
bool relay_engine_has(const struct relay_engine_thread *t, uint64_t feature);
/* An address the module can take on a leg: a set address (not wildcard,
 * not IPv4-mapped) with a port. */
bool relay_engine_addr_ok(const struct sockaddr *sa);

/*
 * Installs e (its id is chosen here, unique in the network namespace and
 * written to e->id and *id) for owner: 0, or a negative errno when nothing
 * was installed (inactive handle: -ENODEV). Either way the caller forwards
 * whatever reaches userspace.
 */
int relay_engine_add(struct relay_engine_thread *t, struct relay_entry *e, void *owner,
		     uint64_t *id);
/*
 * Removes an entry this handle installed; an unknown id (0) is ignored.
 * Before it returns, cb (when not NULL) gets the entry's owner and what
 * the entry forwarded since the last poll, as relay_engine_poll() would
 * (only when something moved, and only when the module can tell).
 */
void relay_engine_del(struct relay_engine_thread *t, uint64_t id, relay_engine_count_cb cb,
		      void *arg);
/* Entries installed through t. */
size_t relay_engine_count(const struct relay_engine_thread *t);

/*
 * Dumps the kernel's entries and calls cb for each of this handle's with
 * the counts since the last poll (only when something moved): 0, or a
 * negative errno. When the module is gone (-ENOENT: unloaded), the handle
 * turns inactive (said once in the log) and forgets its entries: the
 * owners keep forwarding in userspace.
 */
int relay_engine_poll(struct relay_engine_thread *t, relay_engine_count_cb cb, void *arg);

#endif /* RELAY_RELAY_ENGINE_H */
