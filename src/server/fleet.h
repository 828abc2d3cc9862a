/*
 * fleet.h - load-aware redirection across turnservers that share one
 * Redis (redis-userdb's). No coordinator of our own: Redis is the shared
 * state.
 *
 * With fleet on, a thread of its own (fleet.c) publishes this server's
 * entry (fleet_entry.h: its address, allocations, relayed rate, caps)
 * every fleet-interval seconds, one key per fleet-address,
 *
 *   turn/fleet/server/ADDR   the entry, SET with a TTL of fleet-ttl seconds
 *   turn/fleet/servers       the set of ADDRs (members whose key expired
 *                            are removed by whoever reads them)
 *
 * and reads the other servers' entries back into a table the workers
 * consult under a mutex, only for an Allocate that this server should not
 * take: past max-allocations or bps-capacity, or draining. A dead server's
 * key expires by itself; a stopped or draining one deletes its own.
 */
#ifndef SERVER_FLEET_H
#define SERVER_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

struct server;
struct fleet_entry;

#define FLEET_MAX_PEERS 64 /* entries read from Redis; more are skipped */
#define FLEET_KEY_PREFIX "turn/fleet/server/"
#define FLEET_SET_KEY "turn/fleet/servers"

/*
 * Before the workers start: the addresses to publish (fleet-address, else
 * external-ip's public addresses, else the listening addresses that are
 * not wildcards; tls= from tls-listening-port when TLS or DTLS is on) and
 * the Redis connection string. 0 (nothing to do with fleet off), or -1
 * with the reason in err.
 */
int fleet_init(struct server *srv, char *err, size_t errlen);
/* After the workers start (it reads their counters): the thread. 0 or -1. */
int fleet_start(struct server *srv, char *err, size_t errlen);
/* Stops the thread and deletes this server's entries; before the workers are freed. */
void fleet_stop(struct server *srv);
void fleet_free(struct server *srv);

/*
 * Allocations now, of every client transport (UDP, TCP, TLS, DTLS): the sum
 * of the workers' allocs_now gauges, read with relaxed loads (any thread).
 */
uint32_t fleet_allocations(const struct server *srv);
/* This server's own entry now, without addresses (any thread). */
void fleet_self(struct server *srv, struct fleet_entry *e);
/*
 * The least loaded live peer with room for want_bps that a client of
 * family reaches (over TLS or DTLS: secure) into *out: 0, or -1 when there
 * is none (or fleet is off). Counts the client against that peer until
 * its next entry is read, so that redirects between two readings spread.
 */
int fleet_redirect(struct server *srv, int family, bool secure, uint32_t want_bps,
		   union sockaddr_u *out);

/*
 * For the metrics (any thread): the live peers in the table now and
 * whether Redis answered the last round. false when fleet is off.
 */
bool fleet_status(const struct server *srv, unsigned int *peers, bool *redis_up);

#endif /* SERVER_FLEET_H */
