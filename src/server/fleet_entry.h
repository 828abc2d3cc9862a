/*
 * fleet_entry.h - what a turnserver of a fleet publishes about itself in
 * the shared Redis (fleet.c), and the choice of the least loaded peer.
 * Pure: no I/O, no allocation, no global state, so fuzzers and unit tests
 * use it as the server does.
 *
 * One entry is one line of key=value words, separated by blanks:
 *
 *   addr=192.0.2.1:3478 tls=192.0.2.1:5349 allocations=12 max-allocations=500
 *   bps=1250000 bps-reserved=0 bps-capacity=12500000
 *
 *   addr             where clients reach the server (ALTERNATE-SERVER), required;
 *                    a numeric address with a port, fleet_entry_addr_usable()
 *   tls              the same for TLS and DTLS clients (same family), optional
 *   allocations      allocations it holds now
 *   max-allocations  its max-allocations, 0: none
 *   bps              bytes a second it relayed over the last period, the busier
 *                    way (bps-capacity holds for each way, as in coturn)
 *   bps-reserved     bytes a second its capped allocations hold of bps-capacity
 *   bps-capacity     its bps-capacity, 0: none
 *
 * A missing number is 0. Unknown keys are skipped (a newer server may add
 * some); a known key twice, an empty or malformed value, a control
 * character, or a line past FLEET_ENTRY_MAX bytes is refused.
 */
#ifndef SERVER_FLEET_ENTRY_H
#define SERVER_FLEET_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/addr.h"

#define FLEET_ENTRY_MAX 511		  /* bytes of one entry */
#define FLEET_BPS_MAX 1000000000000000ull /* the rates' bound: 10^15 bytes a second */

struct fleet_entry {
	union sockaddr_u addr; /* with a port */
	union sockaddr_u tls;  /* sa_family 0: none */
	uint32_t allocations, max_allocations;
	uint64_t bps, bps_reserved, bps_capacity;
};

/*
 * Can a client be sent to u? Not a wildcard (0.0.0.0, ::), not multicast
 * or reserved (224.0.0.0 and up, ff00::/8), not IPv4-mapped IPv6.
 */
bool fleet_entry_addr_usable(const union sockaddr_u *u);

/*
 * Parse buf[0..len) (no NUL needed) into *out: 0, or -1 with the reason in
 * err ("word 3: 'allocations' given twice") and *out untouched.
 */
int fleet_entry_parse(const char *buf, size_t len, struct fleet_entry *out, char *err,
		      size_t errlen);
/* The line for e into buf (FLEET_ENTRY_MAX + 1 bytes suffice): its length, or -1. */
int fleet_entry_format(const struct fleet_entry *e, char *buf, size_t len);

/*
 * Could the server of e take one more allocation of want_bps (reserved
 * from its bps-capacity; 0: not capped)? Below max-allocations, its
 * relayed rate below bps-capacity, and want_bps fits what is left of it.
 */
bool fleet_entry_has_room(const struct fleet_entry *e, uint32_t want_bps);

/*
 * The least loaded of the n entries that has room for want_bps and an
 * address of family (AF_INET, AF_INET6; over TLS or DTLS (secure): a tls
 * address of it): the lowest share, in thousandths, of its max-allocations
 * or bps-capacity (whichever is used more; 0 without either), then the
 * fewest allocations, then the lowest rate; rr picks among those equal
 * (round robin). Its index, or -1 when none fits.
 */
int fleet_entry_pick(const struct fleet_entry *es, size_t n, int family, bool secure,
		     uint32_t want_bps, unsigned int rr);

/* Where a client of this kind goes on e: tls when secure, else addr. */
static inline const union sockaddr_u *fleet_entry_target(const struct fleet_entry *e, bool secure)
{
	return secure ? &e->tls : &e->addr;
}

#endif /* SERVER_FLEET_ENTRY_H */
