/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * turnrelay: in-kernel forwarding of TURN ChannelData and anchored UDP media.
 *
 * Documentation
 * =============
 *
 * The enums and macros below are the whole userspace interface of the
 * turnrelay module: a generic netlink family named TURNRELAY_GENL_NAME,
 * genl header version TURNRELAY_GENL_VERSION. The layout of the messages is
 * versioned separately by TURNRELAY_ABI_VERSION, which HELLO reports: a
 * client refuses a module whose ABI version it does not know. Within one ABI
 * version, attributes and feature bits are only ever added.
 *
 * Every request is validated strictly: unknown attributes, attributes of the
 * wrong type or length, and dump-only attributes in a request are refused
 * with -EINVAL and an extended ack message naming the problem.
 *
 * Addresses travel as a struct sockaddr_in (16 bytes, sin_family AF_INET)
 * or a struct sockaddr_in6 (28 bytes, sin6_family AF_INET6), with the port
 * in network byte order; sin6_flowinfo and sin6_scope_id are ignored. The
 * address and the port must be set (no wildcards), and IPv4-mapped IPv6
 * addresses are refused: use AF_INET. Below, "sockaddr" means exactly this.
 *
 * Entries
 * -------
 *
 * An entry joins two legs. A leg is one UDP 5-tuple seen from this host:
 * LOCAL, an address and port of this host, and REMOTE, the other end. A
 * datagram that arrives on LOCAL from REMOTE (and, on a ChannelData leg,
 * carries the leg's channel number) is taken from the stack and sent out of
 * the other leg: from that leg's LOCAL to its DEST (REMOTE unless given).
 * On a leg with a CHANNEL, datagrams are TURN ChannelData (RFC 8656 12.4):
 * the 4-byte header is checked (its length must not run past the datagram)
 * and stripped on the way in, and prepended on the way out. UDP only. The
 * three addresses of one leg are of one address family (-EAFNOSUPPORT
 * otherwise); the two legs may differ (an IPv6 client relayed to IPv4,
 * RFC 6156).
 *
 * The entry kinds of a TURN server and media anchor are all two-leg entries:
 *
 *    TURN channel:  LEG1 = { LOCAL listening addr:port, REMOTE client,
 *                            CHANNEL n }
 *                   LEG2 = { LOCAL relayed addr:port, REMOTE permitted peer }
 *                   client -> peer: header stripped, sent from the relay
 *                   address; peer -> client: header prepended, sent from the
 *                   listening address.
 *    anchored UDP:  LEG1 = { LOCAL port A, REMOTE latched source of side A }
 *                   LEG2 = { LOCAL port B, REMOTE latched source of side B }
 *                   datagrams are forwarded unchanged; DEST is given when a
 *                   side sends from one address and receives on another.
 *    TURN joined to an anchor leg on the same host:
 *                   LEG1 = { LOCAL listening addr:port, REMOTE client,
 *                            CHANNEL n }
 *                   LEG2 = { LOCAL the anchor's other local port, REMOTE its
 *                            latched source }
 *                   the client's ChannelData goes straight out of the
 *                   anchor's other leg and back, with no relayed address and
 *                   no trip through userspace.
 *
 * Each leg's match (LOCAL, REMOTE, CHANNEL or none) is unique within the
 * network namespace, and so is the entry's ID, a non-zero 64-bit number
 * chosen by userspace; an ADD that would repeat either fails with -EEXIST.
 * Lookups are by this match in a hash table (O(1), RCU, no lock per packet).
 *
 * What stays with userspace: a datagram is left untouched to the stack (and
 * the reason counted, see TURNRELAY_A_STATS) when no leg matches it, when it
 * is STUN (first byte 0-3, RFC 7983) or DTLS (first byte 20-63) and the leg
 * has no TURNRELAY_LEG_F_FORWARD_STUN / _DTLS flag, when it is RTCP (version
 * 2, second byte 192-223, RFC 5761 4) and the leg has
 * TURNRELAY_LEG_F_PASS_RTCP (an anchored leg whose other side does not
 * multiplex RTCP: userspace sends it to that side's RTCP port), when it is empty, when a
 * ChannelData header is malformed, when its UDP checksum is bad, when it is
 * an IPv4 reassembled or IPv6 fragmented or extension-header datagram, when
 * there is no route out, or when the result would exceed the route's MTU. A
 * ChannelData datagram whose channel has no entry is left to userspace too.
 * Forwarded datagrams leave through ip_local_out()/ip6_local_out() with
 * fresh IP and UDP headers (new checksums, the route's TTL or hop limit, DF
 * set, the received DSCP kept and ECN cleared; mark, timestamp and queue
 * mapping cleared), so OUTPUT/POSTROUTING filtering applies to them. The module hooks
 * LOCAL_IN after the filter table, so INPUT filtering applies before it.
 *
 * Ownership: an entry belongs to the netlink socket that added it (its port
 * id) and is deleted when that socket is closed, so a crashed daemon leaves
 * no forwarding behind. Every command but HELLO needs CAP_NET_ADMIN in the
 * user namespace that owns the network namespace of the socket.
 *
 * Counters: each leg counts the datagrams and bytes (UDP payload as
 * received) it took in and forwarded, the datagrams that could not be sent
 * out of it, and the CLOCK_MONOTONIC time in ns of its last forwarded
 * datagram (jiffies resolution, 0 when none).
 *
 * TURNRELAY_CMD_HELLO
 * -------------------
 *
 * May be called by anyone, via NLM_F_REQUEST, with no attributes. The reply
 * (cmd TURNRELAY_CMD_HELLO) contains:
 *
 *    TURNRELAY_A_ABI_VERSION: NLA_U32, TURNRELAY_ABI_VERSION of the module
 *    TURNRELAY_A_FEATURES: NLA_U64, enum turnrelay_feature bits
 *    TURNRELAY_A_MAX_ENTRIES: NLA_U32, entries allowed per network namespace
 *    TURNRELAY_A_ENTRIES: NLA_U32, entries in this network namespace
 *    TURNRELAY_A_STATS: NLA_NESTED, per network namespace
 *        TURNRELAY_STATS_A_FORWARDED: NLA_U64, datagrams forwarded
 *        TURNRELAY_STATS_A_PASS_STUN: NLA_U64, matched but STUN range
 *        TURNRELAY_STATS_A_PASS_DTLS: NLA_U64, matched but DTLS range
 *        TURNRELAY_STATS_A_PASS_SHORT: NLA_U64, empty, or too short for
 *                                      the header its first byte announces
 *        TURNRELAY_STATS_A_PASS_MALFORMED: NLA_U64, ChannelData length past
 *                                      the datagram, STUN range without
 *                                      magic cookie, bad UDP length
 *        TURNRELAY_STATS_A_PASS_CHANNEL_NO_ENTRY: NLA_U64, ChannelData for a
 *                                      (client, channel) with no entry
 *        TURNRELAY_STATS_A_PASS_NO_ENTRY: NLA_U64, other UDP, no entry
 *        TURNRELAY_STATS_A_PASS_BAD_CHECKSUM: NLA_U64
 *        TURNRELAY_STATS_A_PASS_UNSUPPORTED: NLA_U64, fragments, IPv6
 *                                      extension headers, GSO
 *        TURNRELAY_STATS_A_PASS_NO_ROUTE: NLA_U64
 *        TURNRELAY_STATS_A_PASS_TOO_BIG: NLA_U64, over the route's MTU
 *        TURNRELAY_STATS_A_TX_ERRORS: NLA_U64, taken but lost on output
 *                                      (OUTPUT filter drop, no memory, ...)
 *        TURNRELAY_STATS_A_EVENTS: NLA_U64, events multicast
 *        TURNRELAY_STATS_A_EVENTS_LOST: NLA_U64, events not sent (memory)
 *        TURNRELAY_STATS_A_PASS_RTCP: NLA_U64, RTCP on a leg with
 *                                      TURNRELAY_LEG_F_PASS_RTCP
 *    TURNRELAY_A_VERSION: NLA_NUL_STRING, module version, for humans
 *
 * TURNRELAY_CMD_ADD
 * -----------------
 *
 * NLM_F_REQUEST (and NLM_F_ACK for a reply): installs one entry, both legs
 * at once, so a half-built entry never forwards:
 *
 *    TURNRELAY_A_ENTRY: NLA_NESTED, required
 *        TURNRELAY_ENTRY_A_ID: NLA_U64, required, not 0
 *        TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS: NLA_U32, optional, 0 (none) or
 *                   TURNRELAY_IDLE_TIMEOUT_MIN_MS..TURNRELAY_IDLE_TIMEOUT_MAX_MS:
 *                   one TURNRELAY_CMD_EVENT_IDLE when neither leg forwarded
 *                   for that long (checked about once a second); re-armed by
 *                   the next forwarded datagram
 *        TURNRELAY_ENTRY_A_LEG1: NLA_NESTED, required
 *            TURNRELAY_LEG_A_LOCAL: sockaddr, required, an address of this
 *                                   host (-EADDRNOTAVAIL otherwise)
 *            TURNRELAY_LEG_A_REMOTE: sockaddr, required
 *            TURNRELAY_LEG_A_DEST: sockaddr, optional, default REMOTE
 *            TURNRELAY_LEG_A_CHANNEL: NLA_U16, optional, TURN channel number
 *                                   TURNRELAY_CHANNEL_MIN..TURNRELAY_CHANNEL_MAX
 *            TURNRELAY_LEG_A_FLAGS: NLA_U32, optional, enum turnrelay_leg_flag
 *        TURNRELAY_ENTRY_A_LEG2: NLA_NESTED, required, as LEG1
 *
 * Errors: -EINVAL or -ERANGE (attributes; extack says which), -EAFNOSUPPORT (family
 * other than AF_INET/AF_INET6, mixed within a leg, or IPv6 unavailable),
 * -EADDRNOTAVAIL, -EEXIST, -ENOSPC (TURNRELAY_A_MAX_ENTRIES reached),
 * -ENOMEM, -EPERM.
 *
 * TURNRELAY_CMD_DEL
 * -----------------
 *
 * NLM_F_REQUEST: deletes one entry of this network namespace, whoever owns it:
 *
 *    TURNRELAY_A_ID: NLA_U64, required
 *    TURNRELAY_A_DEL_FLAGS: NLA_U32, optional, enum turnrelay_del_flag
 *        (TURNRELAY_FEATURE_DEL_COUNTERS)
 *
 * With TURNRELAY_DEL_F_COUNTERS the kernel replies (cmd TURNRELAY_CMD_DEL)
 * with TURNRELAY_A_ENTRY as in DUMP, its counters read once the entry can
 * no longer be found: what it forwarded since the owner's last dump is not
 * lost (a datagram another CPU is forwarding at that very moment may still
 * be missed).
 *
 * Errors: -ENOENT, -EINVAL, -EPERM.
 *
 * TURNRELAY_CMD_FLUSH
 * -------------------
 *
 * NLM_F_REQUEST: deletes the entries owned by the calling socket, or, with
 * TURNRELAY_FLUSH_F_ALL, every entry of the network namespace:
 *
 *    TURNRELAY_A_FLUSH_FLAGS: NLA_U32, optional, enum turnrelay_flush_flag
 *
 * TURNRELAY_CMD_DUMP
 * ------------------
 *
 * May only be called via NLM_F_REQUEST | NLM_F_DUMP, with no attributes. The
 * kernel returns one message (NLM_F_MULTI, cmd TURNRELAY_CMD_DUMP) per entry
 * of the network namespace, in no particular order; entries added or deleted
 * during the dump may be missed or, after a table resize, repeated:
 *
 *    TURNRELAY_A_ENTRY: NLA_NESTED
 *        TURNRELAY_ENTRY_A_ID: NLA_U64
 *        TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS: NLA_U32
 *        TURNRELAY_ENTRY_A_OWNER: NLA_U32, netlink port id of the owner
 *        TURNRELAY_ENTRY_A_LEG1: NLA_NESTED
 *            TURNRELAY_LEG_A_LOCAL: sockaddr
 *            TURNRELAY_LEG_A_REMOTE: sockaddr
 *            TURNRELAY_LEG_A_DEST: sockaddr
 *            TURNRELAY_LEG_A_CHANNEL: NLA_U16, only on a ChannelData leg
 *            TURNRELAY_LEG_A_FLAGS: NLA_U32
 *            TURNRELAY_LEG_A_PACKETS: NLA_U64, taken in on this leg
 *            TURNRELAY_LEG_A_BYTES: NLA_U64, UDP payload bytes taken in
 *            TURNRELAY_LEG_A_ERRORS: NLA_U64, lost going out of this leg
 *            TURNRELAY_LEG_A_LAST_SEEN_NS: NLA_U64, CLOCK_MONOTONIC
 *        TURNRELAY_ENTRY_A_LEG2: NLA_NESTED, as LEG1
 *
 * As a dump, the final message is NLMSG_DONE, carrying 0 or a negative errno.
 *
 * Events: multicast group TURNRELAY_MCGRP_EVENTS
 * ----------------------------------------------
 *
 * Sent to the listeners in the entry's network namespace (CAP_NET_ADMIN is
 * needed to join on kernels that support restricting it):
 *
 * TURNRELAY_CMD_EVENT_IDLE: an entry forwarded nothing for its idle timeout.
 *    Sent once, until traffic resumes. Carries TURNRELAY_A_ENTRY as in DUMP.
 *
 * TURNRELAY_CMD_EVENT_SOURCE: a datagram reached the LOCAL address of a leg
 *    with TURNRELAY_LEG_F_SOURCE_EVENTS from a source no leg matches (the
 *    other side moved: re-latch in userspace, which got the datagram).
 *    At most one a second per leg:
 *
 *    TURNRELAY_A_ID: NLA_U64, the entry
 *    TURNRELAY_A_LEG: NLA_U8, 1 or 2
 *    TURNRELAY_A_SOURCE: sockaddr, where the datagram came from
 */

#ifndef _UAPI_TURNRELAY_H
#define _UAPI_TURNRELAY_H

#include <linux/types.h>

#define TURNRELAY_GENL_NAME "turnrelay"
#define TURNRELAY_GENL_VERSION 1
#define TURNRELAY_ABI_VERSION 1
#define TURNRELAY_MCGRP_EVENTS "events"

#define TURNRELAY_CHANNEL_MIN 0x4000
#define TURNRELAY_CHANNEL_MAX 0x7FFF
#define TURNRELAY_CHANNELDATA_HDR_LEN 4
#define TURNRELAY_IDLE_TIMEOUT_MIN_MS 100
#define TURNRELAY_IDLE_TIMEOUT_MAX_MS 86400000

enum turnrelay_feature {
	TURNRELAY_FEATURE_IPV4 = 1U << 0,
	TURNRELAY_FEATURE_IPV6 = 1U << 1,
	TURNRELAY_FEATURE_CHANNELDATA = 1U << 2,
	TURNRELAY_FEATURE_EVENT_IDLE = 1U << 3,
	TURNRELAY_FEATURE_EVENT_SOURCE = 1U << 4,
	TURNRELAY_FEATURE_FORWARD_STUN_DTLS = 1U << 5,
	TURNRELAY_FEATURE_PASS_RTCP = 1U << 6,
	TURNRELAY_FEATURE_DEL_COUNTERS = 1U << 7,
};

enum turnrelay_cmd {
	TURNRELAY_CMD_UNSPEC,
	TURNRELAY_CMD_HELLO,
	TURNRELAY_CMD_ADD,
	TURNRELAY_CMD_DEL,
	TURNRELAY_CMD_FLUSH,
	TURNRELAY_CMD_DUMP,
	TURNRELAY_CMD_EVENT_IDLE,
	TURNRELAY_CMD_EVENT_SOURCE,
	__TURNRELAY_CMD_MAX
};
#define TURNRELAY_CMD_MAX (__TURNRELAY_CMD_MAX - 1)

enum turnrelay_flush_flag {
	TURNRELAY_FLUSH_F_ALL = 1U << 0,
	__TURNRELAY_FLUSH_F_ALL = TURNRELAY_FLUSH_F_ALL
};

enum turnrelay_del_flag {
	TURNRELAY_DEL_F_COUNTERS = 1U << 0,
	__TURNRELAY_DEL_F_ALL = TURNRELAY_DEL_F_COUNTERS
};

enum turnrelay_attribute {
	TURNRELAY_A_UNSPEC,
	TURNRELAY_A_PAD,
	TURNRELAY_A_ABI_VERSION,
	TURNRELAY_A_FEATURES,
	TURNRELAY_A_MAX_ENTRIES,
	TURNRELAY_A_ENTRIES,
	TURNRELAY_A_STATS,
	TURNRELAY_A_VERSION,
	TURNRELAY_A_ENTRY,
	TURNRELAY_A_ID,
	TURNRELAY_A_FLUSH_FLAGS,
	TURNRELAY_A_LEG,
	TURNRELAY_A_SOURCE,
	TURNRELAY_A_DEL_FLAGS,
	__TURNRELAY_A_LAST
};
#define TURNRELAY_A_MAX (__TURNRELAY_A_LAST - 1)

enum turnrelay_stats_attribute {
	TURNRELAY_STATS_A_UNSPEC,
	TURNRELAY_STATS_A_PAD,
	TURNRELAY_STATS_A_FORWARDED,
	TURNRELAY_STATS_A_PASS_STUN,
	TURNRELAY_STATS_A_PASS_DTLS,
	TURNRELAY_STATS_A_PASS_SHORT,
	TURNRELAY_STATS_A_PASS_MALFORMED,
	TURNRELAY_STATS_A_PASS_CHANNEL_NO_ENTRY,
	TURNRELAY_STATS_A_PASS_NO_ENTRY,
	TURNRELAY_STATS_A_PASS_BAD_CHECKSUM,
	TURNRELAY_STATS_A_PASS_UNSUPPORTED,
	TURNRELAY_STATS_A_PASS_NO_ROUTE,
	TURNRELAY_STATS_A_PASS_TOO_BIG,
	TURNRELAY_STATS_A_TX_ERRORS,
	TURNRELAY_STATS_A_EVENTS,
	TURNRELAY_STATS_A_EVENTS_LOST,
	TURNRELAY_STATS_A_PASS_RTCP,
	__TURNRELAY_STATS_A_LAST
};
#define TURNRELAY_STATS_A_MAX (__TURNRELAY_STATS_A_LAST - 1)

enum turnrelay_entry_attribute {
	TURNRELAY_ENTRY_A_UNSPEC,
	TURNRELAY_ENTRY_A_PAD,
	TURNRELAY_ENTRY_A_ID,
	TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS,
	TURNRELAY_ENTRY_A_OWNER,
	TURNRELAY_ENTRY_A_LEG1,
	TURNRELAY_ENTRY_A_LEG2,
	__TURNRELAY_ENTRY_A_LAST
};
#define TURNRELAY_ENTRY_A_MAX (__TURNRELAY_ENTRY_A_LAST - 1)

enum turnrelay_leg_flag {
	TURNRELAY_LEG_F_FORWARD_STUN = 1U << 0,
	TURNRELAY_LEG_F_FORWARD_DTLS = 1U << 1,
	TURNRELAY_LEG_F_SOURCE_EVENTS = 1U << 2,
	TURNRELAY_LEG_F_PASS_RTCP = 1U << 3,
	__TURNRELAY_LEG_F_ALL = TURNRELAY_LEG_F_FORWARD_STUN |
				TURNRELAY_LEG_F_FORWARD_DTLS |
				TURNRELAY_LEG_F_SOURCE_EVENTS |
				TURNRELAY_LEG_F_PASS_RTCP
};

enum turnrelay_leg_attribute {
	TURNRELAY_LEG_A_UNSPEC,
	TURNRELAY_LEG_A_PAD,
	TURNRELAY_LEG_A_LOCAL,
	TURNRELAY_LEG_A_REMOTE,
	TURNRELAY_LEG_A_DEST,
	TURNRELAY_LEG_A_CHANNEL,
	TURNRELAY_LEG_A_FLAGS,
	TURNRELAY_LEG_A_PACKETS,
	TURNRELAY_LEG_A_BYTES,
	TURNRELAY_LEG_A_ERRORS,
	TURNRELAY_LEG_A_LAST_SEEN_NS,
	__TURNRELAY_LEG_A_LAST
};
#define TURNRELAY_LEG_A_MAX (__TURNRELAY_LEG_A_LAST - 1)

#endif /* _UAPI_TURNRELAY_H */
