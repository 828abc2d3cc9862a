/*
 * relay_ports.h - the registry of the server's local relay ports: which
 * ports of its relay addresses are live sockets at this moment, and who
 * owns each: a TURN allocation's relay socket (UDP, or the listening socket
 * of an RFC 6062 TCP allocation) or a media anchor socket. Every one of
 * them comes from relay_port_bind().
 *
 * Owners: RELAY_OWNER_SOCKET (0, always there) is a socket that takes its
 * data from the kernel (TURN relays); others register before threads start
 * with a deliver callback (the anchor), which takes a datagram another
 * relay of this server sends to one of its ports inside the process
 * (relay_ports_deliver). Lookups are one bit test per owner, no lock.
 *
 * The peer verdict (relay_peer_verdict) lets a peer on one of the server's
 * own addresses through only at such a port and transport: TURN to TURN
 * and TURN to anchor on this server. A port of the relay range that is
 * free, held back by an EVEN-PORT reservation, or bound by another program
 * is just the server's own address, and refused.
 *
 * Addresses are registered once at startup, before any thread runs
 * (relay_ports_add_addr), each with the public address clients know it by
 * behind 1:1 NAT (external-ip, anchor-interface), if any. Then the owner of
 * a socket marks its port once the socket belongs to a live allocation or
 * media socket, and clears it before closing the socket (so a port is never
 * live without its socket; a port being reused by another allocation is set
 * again by that one). Readers on any thread test one bit without a lock.
 */
#ifndef RELAY_RELAY_PORTS_H
#define RELAY_RELAY_PORTS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define RELAY_PORTS_MAX_ADDRS 4 /* relay IPv4 and IPv6, anchor media IPv4 and IPv6 */
#define RELAY_PORTS_WORDS (65536 / 64)
#define RELAY_PORTS_MAX_OWNERS 2 /* the socket owner (TURN), the media anchor */
#define RELAY_OWNER_SOCKET 0

/*
 * Takes buf, sent by the local socket from to the owner's port to, as if
 * it had arrived there: true when taken, false when the port is no longer
 * the owner's (the caller then sends it as usual). Any thread.
 */
typedef bool (*relay_deliver_fn)(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
				 const uint8_t *buf, size_t len);

/*
 * A joined leg (kernel/uapi/turnrelay.h, "TURN joined to an anchor leg"):
 * what an owner does with the datagrams a local relay socket sends to one
 * of its ports, when it forwards them unchanged out of its socket local to
 * remote, and sends what arrives there from remote back to the relay
 * socket. Then a TURN channel toward that port can be one kernel entry,
 * {listening address, client, channel} + {local, remote}.
 */
struct relay_join {
	struct sockaddr_storage local, remote;
};

/*
 * The owner's joined leg for datagrams from the relay socket from to its
 * port to: true and *out set while it has one (a confirmed stream whose
 * party at to is from), false otherwise. Any thread.
 */
typedef bool (*relay_join_fn)(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
			      struct relay_join *out);

/* What a report on a joined entry says (relay_joined_fn). */
enum relay_join_event {
	RELAY_JOIN_COUNTS, /* what it forwarded since the last report */
	RELAY_JOIN_UP,	   /* the entry is in the kernel now (no counts) */
	RELAY_JOIN_DOWN,   /* it left the kernel (its last counts came before) */
};

/*
 * A report on a joined entry: the event, and for RELAY_JOIN_COUNTS what
 * the kernel forwarded since the last report: packets and bytes from the
 * relay side (the TURN client's data, [0]) and from the owner's remote
 * ([1]), and the monotonic time (ms, 0: none) of the last of them.
 */
struct relay_join_counts {
	enum relay_join_event event;
	uint64_t packets[2], bytes[2];
	uint64_t last_seen_ms;
};
typedef void (*relay_joined_fn)(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
				const struct relay_join_counts *d);

/* One address: a bit per owner and port, for UDP ([0]) and TCP ([1]). */
struct relay_port_map {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t ip[16];
	uint8_t pub[16]; /* as clients know it; == ip without NAT */
	_Atomic uint64_t live[RELAY_PORTS_MAX_OWNERS][2][RELAY_PORTS_WORDS];
};

struct relay_owner {
	relay_deliver_fn deliver; /* NULL: the kernel delivers to the socket */
	relay_join_fn join;	  /* NULL: never joined in the kernel */
	relay_joined_fn joined;
	void *ctx;
};

struct relay_ports {
	int naddrs; /* written only before threads start */
	struct relay_port_map map[RELAY_PORTS_MAX_ADDRS];
	int nowners; /* owners after RELAY_OWNER_SOCKET; before threads start */
	struct relay_owner owner[RELAY_PORTS_MAX_OWNERS];
};

/*
 * Register an address (its port is ignored) whose ports relay sockets may
 * use, with its public address pub (NULL: none; same family). Before
 * threads start. 0 (also when known already: its first public address
 * stays), -1 when the table is full or a family does not fit.
 */
int relay_ports_add_addr(struct relay_ports *rp, const struct sockaddr *addr,
			 const struct sockaddr *pub);

/*
 * A peer as clients name it -> the local address (public IP of a
 * registered address -> its address, port kept), and back. True when
 * rewritten. The caller checks that the port is one of the relay range.
 */
bool relay_ports_to_local(const struct relay_ports *rp, struct sockaddr *peer);
bool relay_ports_to_public(const struct relay_ports *rp, struct sockaddr *peer);

/*
 * Register an owner of ports with its deliver callback (not NULL). Before
 * threads start. Its id (> RELAY_OWNER_SOCKET), or -1 when the table is full.
 */
int relay_ports_add_owner(struct relay_ports *rp, relay_deliver_fn deliver, void *ctx);

/* The owner's joined legs (both callbacks, not NULL). Before threads start. */
void relay_ports_set_join(struct relay_ports *rp, int owner, relay_join_fn join,
			  relay_joined_fn joined);

/*
 * The joined leg of to's owner for UDP datagrams from the local relay
 * socket from (relay_join_fn): false when to is not a live port of an
 * owner that joins, or the owner has none now.
 */
bool relay_ports_join(const struct relay_ports *rp, const struct sockaddr *to,
		      const struct sockaddr *from, struct relay_join *out);
/*
 * Hands to's owner a report on the joined entry of from -> to: installed,
 * what it forwarded, removed.
 */
void relay_ports_joined(const struct relay_ports *rp, const struct sockaddr *to,
			const struct sockaddr *from, const struct relay_join_counts *d);

/*
 * Mark (live) or clear the port of owner's socket bound on local, for
 * proto IPPROTO_UDP or IPPROTO_TCP. An unregistered address or owner is
 * ignored: its port stays not live, so the verdict refuses it (fails
 * closed).
 */
void relay_ports_set(struct relay_ports *rp, const struct sockaddr *local, int proto, int owner,
		     bool live);

/* The owner of peer (address and port) for proto, or -1 when not live. */
int relay_ports_owner(const struct relay_ports *rp, const struct sockaddr *peer, int proto);

/*
 * A UDP datagram from the local socket from to to: when to is a live port
 * of an owner with a deliver callback, hands it over and returns what the
 * callback says; false (send it as usual) otherwise.
 */
bool relay_ports_deliver(const struct relay_ports *rp, const struct sockaddr *to,
			 const struct sockaddr *from, const uint8_t *buf, size_t len);

/* True when sa's address (any port) is a registered one. */
bool relay_ports_has_addr(const struct relay_ports *rp, const struct sockaddr *sa);

/* True when peer (address and port) is a live relay socket of proto. */
bool relay_ports_live(const struct relay_ports *rp, const struct sockaddr *peer, int proto);

#endif /* RELAY_RELAY_PORTS_H */
