/*
 * peer_policy.h - which peer addresses a client may reach through a relay
 * (RFC 8656 §21: a TURN server must not become a way into the networks it
 * sits in). Checked on CreatePermission, ChannelBind, Connect and Send.
 *
 * Safe by default. Without configuration these are denied:
 *   IPv4  0.0.0.0/8 (unspecified, "this network"), 127.0.0.0/8 (loopback),
 *         10/8, 172.16/12, 192.168/16 (RFC 1918), 100.64/10 (CGNAT),
 *         169.254/16 (link-local), 224/4 (multicast), 240/4 (reserved),
 *         255.255.255.255 (broadcast), and the cloud metadata endpoints
 *         169.254.169.254, 168.63.129.16, 100.100.100.200, 192.0.0.192.
 *   IPv6  :: and ::1, fe80::/10 (link-local), fec0::/10 (old site-local,
 *         reported as private), fc00::/7 (ULA), ff00::/8 (multicast),
 *         fd00:ec2::254 (metadata).
 *         64:ff9b:1::/48 (RFC 8215 local-use NAT64: where it leads is the
 *         local translator's choice, private IPv4 included).
 *   IPv6 forms that carry an IPv4 address are judged by that address, for
 *   the default classes, the operator's lists and the own addresses alike:
 *         ::ffff:0:0/96 (mapped), ::ffff:0:0:0/96 (SIIT, RFC 2765),
 *         ::/96 (compatible, e.g. ::127.0.0.1), 64:ff9b::/96 (NAT64),
 *         2002::/16 (6to4) and 2001::/32 (Teredo, RFC 4380 §4: both the
 *         client's address, stored inverted, and the server's must pass).
 *   The server's own addresses (peer_policy_add_self: every port;
 *   peer_policy_add_self_ports: its listening and relay ports).
 *
 * Order of evaluation in peer_policy_check(), first match wins:
 *   1. in denied-peer-ip                       -> PEER_DENIED_OPERATOR
 *   2. loopback class and allow_loopback set:
 *      one of the server's own ports           -> PEER_DENIED_SELF
 *      otherwise                               -> PEER_ALLOWED
 *   3. one of the server's own addresses       -> PEER_DENIED_SELF
 *   4. in allowed-peer-ip, unless strict_multicast
 *      and 224.0.0.0 and above or ff00::/8, or
 *      strict_loopback and loopback (coturn's
 *      no-multicast-peers, no-loopback-peers)  -> PEER_ALLOWED
 *   5. in a default class above                -> PEER_DENIED_<class>
 *   6. otherwise                               -> PEER_ALLOWED
 * So allowed-peer-ip never opens the server itself: a LAN range that holds
 * the relay address leaves that address refused. allow-loopback-peers (for
 * test set-ups on one host) opens loopback, the server's own loopback
 * addresses too, but not its listening ports or relay port range there.
 * The one way through an own address is a live relay socket, which
 * relay_peer_verdict() adds on top (relay/relay.h). A family other
 * than AF_INET/AF_INET6 is PEER_DENIED_FAMILY.
 *
 * Operator entries are an address ("10.0.0.1"), an inclusive range
 * ("10.0.0.0-10.0.0.255", both ends of one family) or CIDR ("10.0.0.0/8",
 * "2001:db8::/32"; host bits are masked off). A range wholly inside
 * ::ffff:0:0/96 is stored as the IPv4 range it maps.
 *
 * The struct holds fixed-size tables and allocates nothing, so there is no
 * free function; copy it or drop it freely. peer_policy_check() does no
 * allocation, no I/O and no logging.
 */
#ifndef RELAY_PEER_POLICY_H
#define RELAY_PEER_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define PEER_POLICY_MAX_RANGES 128 /* per list: allowed, denied */
#define PEER_POLICY_MAX_SELF 256

enum peer_verdict {
	PEER_ALLOWED = 0,
	PEER_DENIED_OPERATOR,	 /* denied-peer-ip */
	PEER_DENIED_LOOPBACK,	 /* 127/8, ::1 */
	PEER_DENIED_PRIVATE,	 /* RFC 1918, fec0::/10 */
	PEER_DENIED_CGNAT,	 /* 100.64/10 */
	PEER_DENIED_LINK_LOCAL,	 /* 169.254/16, fe80::/10 */
	PEER_DENIED_METADATA,	 /* cloud instance metadata */
	PEER_DENIED_MULTICAST,	 /* 224/4, ff00::/8 */
	PEER_DENIED_UNSPECIFIED, /* 0/8, :: */
	PEER_DENIED_BROADCAST,	 /* 255.255.255.255 */
	PEER_DENIED_RESERVED,	 /* 240/4 */
	PEER_DENIED_ULA,	 /* fc00::/7 */
	PEER_DENIED_LOCAL_NAT64, /* 64:ff9b:1::/48 */
	PEER_DENIED_SELF,	 /* the server's own address */
	PEER_DENIED_FAMILY,	 /* not AF_INET or AF_INET6 */
};

/* An inclusive range of addresses, network byte order; v4 uses lo/hi[0..3]. */
struct peer_range {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t lo[16];
	uint8_t hi[16];
};

/* An IP address of the server itself, or some of its ports (ip 0: any address). */
struct peer_self {
	uint8_t family;
	uint8_t ip[16];
	bool wildcard; /* ip is all zeros: only with ports */
	bool ports;    /* only port_lo..port_hi are own (under allow_loopback) */
	uint16_t port_lo, port_hi;
};

struct peer_policy {
	bool allow_loopback;
	bool strict_multicast; /* allowed-peer-ip cannot open 224/3, ff00::/8 (set after init) */
	bool strict_loopback;  /* nor loopback (allow_loopback still can) */
	int nallowed;
	int ndenied;
	int nself;
	struct peer_range allowed[PEER_POLICY_MAX_RANGES];
	struct peer_range denied[PEER_POLICY_MAX_RANGES];
	struct peer_self self[PEER_POLICY_MAX_SELF];
};

/*
 * Build a policy from allow-loopback-peers, allowed-peer-ip and
 * denied-peer-ip; the list of own addresses starts empty. On a malformed
 * entry or too many entries returns -1, writes a message naming the entry
 * to err (if errlen > 0) and leaves *p untouched.
 */
int peer_policy_init(struct peer_policy *p, bool allow_loopback, const char *const *allowed,
		     int nallowed, const char *const *denied, int ndenied, char *err,
		     size_t errlen);

/*
 * NULL when entry is an operator entry of the forms above, else the reason
 * ("not an address range", ...): for entries read from elsewhere (the
 * user store) before they join allowed-peer-ip or denied-peer-ip.
 */
const char *peer_range_check(const char *entry);

/*
 * Record one of the server's own addresses (listening, relay, external).
 * Port ignored; an IPv4-mapped address is stored as IPv4; duplicates and
 * wildcards (0.0.0.0, ::) are accepted and not stored. Returns -1 for
 * another family or when the table is full.
 */
int peer_policy_add_self(struct peer_policy *p, const struct sockaddr *sa);

/*
 * Record the server's own sockets: ports lo..hi of sa's address (a
 * wildcard address stands for every address of its family), e.g. the
 * listening port or the relay range. The address is also an own address
 * (unless wildcard). Returns -1 for another family, lo > hi or a full table.
 */
int peer_policy_add_self_ports(struct peer_policy *p, const struct sockaddr *sa, uint16_t lo,
			       uint16_t hi);

/*
 * Record every address of every local interface (getifaddrs), for servers
 * that listen or relay on a wildcard address. Returns -1 if getifaddrs
 * fails or the table fills up.
 */
int peer_policy_add_self_ifaddrs(struct peer_policy *p);

enum peer_verdict peer_policy_check(const struct peer_policy *p, const struct sockaddr *peer);

/* Short reason for logs, e.g. "loopback", "cloud metadata". */
const char *peer_verdict_str(enum peer_verdict v);

/*
 * The class of sa alone (loopback, private, ...), as peer_policy_check()
 * sees it before any operator list or the server's own addresses:
 * PEER_ALLOWED for an ordinary public address.
 */
enum peer_verdict peer_policy_class(const struct sockaddr *sa);

/* True when sa is in one of p's allowed ranges (an allow list of its own, e.g. anchor-ng-allow). */
bool peer_policy_in_allowed(const struct peer_policy *p, const struct sockaddr *sa);

#endif /* RELAY_PEER_POLICY_H */
