/*
 * relay.h - the layer under TURN (src/server) and the media anchor
 * (src/anchor): the server's own addresses and sockets, the relay port
 * range and its allocator, the registry of live local ports and their
 * owners (relay_ports.h), and the one peer verdict for every destination
 * either of them sends to (peer_policy.h plus the own-relay rule).
 *
 * TURN and the anchor both stand on this layer and never include each
 * other; src/server/main.c fills a struct relay in, before any thread
 * runs, and hands it to both. Afterwards the struct is read-only apart
 * from the registry's atomic bits, so any thread may read it without a
 * lock; SIGHUP replaces its peer policy while every thread that reads it
 * is held (src/server/reload.c).
 *
 * The offload engine (relay_engine.h: null, or the turnrelay module over
 * src/offload) is picked once by main.c and kept here; each thread that
 * owns relay state opens its own handle on it.
 */
#ifndef RELAY_RELAY_H
#define RELAY_RELAY_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/config.h"
#include "relay/peer_policy.h"
#include "relay/relay_engine.h"
#include "relay/relay_ports.h"

#define RELAY_MAX_LISTEN 16

struct relay {
	const struct config *cfg; /* min-port, max-port */
	struct peer_policy policy;
	struct relay_ports ports; /* live relay and anchor ports, and their owners */
	struct relay_engine engine; /* who forwards confirmed relayed data (kernel-offload) */

	/* the server's own sockets and addresses */
	union sockaddr_u listen[RELAY_MAX_LISTEN]; /* listening (TURN, STUN) */
	int nlisten;
	union sockaddr_u relay_v4, relay_v6; /* port 0 */
	bool has_relay_v4, has_relay_v6;
	union sockaddr_u advertise_v4, advertise_v6; /* relay address as told to clients */
};

/*
 * relay_addrs.c: from r->cfg, before threads start. The listening
 * addresses (listening-ip, else every address of every interface that is
 * up, of listening-device only when set): 0, or -1 when there is none.
 */
int relay_pick_listen(struct relay *r);
/*
 * The relay address of each family (relay-ip, else the first address on
 * relay-device, else the first listening address, loopback last) and what clients are told of it (external-ip):
 * 0, or -1 when there is no relay address.
 */
int relay_pick_addrs(struct relay *r);
/*
 * The peer policy (allow-loopback-peers, allowed-peer-ip, denied-peer-ip)
 * with the server's own addresses and ports: listening, relay (registered
 * with relay_addr_register()), external-ip, every local interface. 0, or
 * -1 with a message in err.
 */
int relay_setup_policy(struct relay *r, char *err, size_t errlen);
/*
 * SIGHUP: the policy c's peer options make, with r's own addresses and
 * ports (which a reload does not change), into *out; r is not touched.
 * 0, or -1 with a message in err.
 */
int relay_policy_rebuild(const struct relay *r, const struct config *c, struct peer_policy *out,
			 char *err, size_t errlen);
/* 127/8 or ::1. */
bool relay_is_loopback(const union sockaddr_u *u);

/*
 * An address relay_port_bind() binds on (relay-ip, the anchor's media
 * address) and the public address clients know it by (external-ip,
 * anchor-interface; NULL: none): both the server's own, the relay range
 * its own ports, and its live ports tracked in r->ports. Before threads
 * start; -1 when a table is full.
 */
int relay_addr_register(struct relay *r, const struct sockaddr *addr, const struct sockaddr *pub);

/*
 * A UDP (or TCP) socket on a random free port of the relay range, even
 * when asked (RFC 8656 §14.6 EVEN-PORT), with its odd neighbour bound too
 * when reserve_next (*next_fd_out, else -1). TURN allocations and the
 * media anchor both take their ports here, so they share one range.
 * 0, or -1 when no port was free after a bounded number of tries.
 */
int relay_port_bind(const struct relay *r, const union sockaddr_u *local, bool tcp, bool even,
		    bool reserve_next, bool df, int *fd_out, int *next_fd_out);

/* Peer addresses as clients know them (external-ip), see relay.c. */
void relay_peer_from_wire(const struct relay *r, union sockaddr_u *peer);
void relay_peer_to_wire(const struct relay *r, union sockaddr_u *peer);

/*
 * May data go to peer over proto (IPPROTO_UDP, or IPPROTO_TCP for RFC 6062
 * Connect)? The peer policy, where an own address passes only at a live
 * relay or anchor socket of that transport (TURN to TURN, TURN to anchor).
 * The one verdict for every destination of TURN relays and the anchor.
 */
enum peer_verdict relay_peer_verdict(const struct relay *r, const union sockaddr_u *peer,
				     int proto);

/*
 * A datagram from one of the server's own sockets: a listening socket, or
 * a live relay or media port of the registry (by its local or its public
 * address). A port of the relay range that no socket of ours holds is not
 * ours (another program's, e.g. a SIP proxy's ephemeral port).
 */
bool relay_own_socket(const struct relay *r, const struct sockaddr *from);

/*
 * listening-device, relay-device: binds fd to the network device named
 * (SO_BINDTODEVICE); nothing with "" or NULL. 0, or -1 with errno.
 */
int relay_bind_device(int fd, const char *device);
/*
 * Whether this process can bind sockets to device now: 0, or -1 with
 * "OPTION DEVICE: no such network device" or the missing right in err.
 */
int relay_device_check(const char *option, const char *device, char *err, size_t errlen);

#endif /* RELAY_RELAY_H */
