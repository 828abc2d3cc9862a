/*
 * relay_offload.h - userspace side of the turnrelay kernel module: a small
 * libmnl client of its generic netlink family (kernel/uapi/turnrelay.h is
 * the contract; read its top comment for what entries, legs and counters
 * mean).
 *
 * Two layers:
 *  - relay_msg_*: pure functions that build the request messages into a
 *    caller's buffer and parse the kernel's replies from (buf, len), never
 *    reading past len. No I/O, no global state: unit tests and fuzzers use
 *    them without a kernel.
 *  - relay_offload_*: a handle on one netlink socket (which owns the
 *    entries it adds: they are flushed by the kernel when it is closed, so a
 *    crashed daemon leaves no forwarding behind), plus an optional second
 *    socket for events.
 *
 * Errors are negative errno values; the handle keeps a message for the
 * last one (relay_offload_error()), including the kernel's extended ack
 * text when there is one. A handle is not thread-safe: one per thread, or
 * a lock around it.
 */
#ifndef OFFLOAD_RELAY_OFFLOAD_H
#define OFFLOAD_RELAY_OFFLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../../kernel/uapi/turnrelay.h"

/* The module ABI version this library speaks; open refuses any other. */
#define RELAY_OFFLOAD_ABI_VERSION 1

/* Room for any request this library builds, and for error messages. */
#define RELAY_MSG_BUFLEN 1024
#define RELAY_OFFLOAD_ERRLEN 256

/*
 * One leg of an entry: datagrams arriving on local from remote (with the
 * channel number when channel != 0) leave the other leg from its local to
 * its dest (its remote when dest.ss_family is 0). A leg with a channel
 * strips the ChannelData header on the way in and prepends it on the way
 * out.
 */
struct relay_leg {
	struct sockaddr_storage local;
	struct sockaddr_storage remote;
	struct sockaddr_storage dest; /* ss_family 0: same as remote */
	uint16_t channel;	      /* 0: plain UDP leg */
	uint32_t flags;		      /* TURNRELAY_LEG_F_* */
	/* filled by dumps and events only */
	uint64_t packets;
	uint64_t bytes;
	uint64_t errors;
	uint64_t last_seen_ns; /* CLOCK_MONOTONIC, 0: never */
};

struct relay_entry {
	uint64_t id;		  /* chosen by userspace, not 0, unique per netns */
	uint32_t idle_timeout_ms; /* 0: no idle event */
	uint32_t owner;		  /* dumps only: netlink port id of the owner */
	struct relay_leg leg[2];
};

/* Per network namespace counters (HELLO): why datagrams were left alone. */
struct relay_stats {
	uint64_t forwarded;
	uint64_t pass_stun;
	uint64_t pass_dtls;
	uint64_t pass_short;
	uint64_t pass_malformed;
	uint64_t pass_channel_no_entry;
	uint64_t pass_no_entry;
	uint64_t pass_bad_checksum;
	uint64_t pass_unsupported;
	uint64_t pass_no_route;
	uint64_t pass_too_big;
	uint64_t tx_errors;
	uint64_t events;
	uint64_t events_lost;
	uint64_t pass_rtcp;
};

struct relay_info {
	uint32_t abi_version;
	uint64_t features; /* TURNRELAY_FEATURE_* */
	uint32_t max_entries;
	uint32_t entries;
	struct relay_stats stats;
	char version[64]; /* module version, for humans ("" when absent) */
};

struct relay_event {
	uint8_t cmd; /* TURNRELAY_CMD_EVENT_IDLE or TURNRELAY_CMD_EVENT_SOURCE */
	uint64_t id;
	/* EVENT_IDLE: the entry as in a dump */
	struct relay_entry entry;
	/* EVENT_SOURCE: the leg (1 or 2) and where the datagram came from */
	uint8_t leg;
	struct sockaddr_storage source;
};

/* ---- message layer: pure, no I/O ---- */

/*
 * Builders write one request into buf (cap bytes; RELAY_MSG_BUFLEN is
 * always enough) with the given generic netlink family id and sequence
 * number, and return its length, or -EMSGSIZE when it does not fit,
 * -EINVAL for an entry the module would refuse anyway (id 0, an address
 * that is not AF_INET/AF_INET6, a channel outside 0x4000-0x7FFF).
 */
int relay_msg_getfamily(uint8_t *buf, size_t cap, uint32_t seq);
int relay_msg_hello(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq);
int relay_msg_add(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq,
		  const struct relay_entry *e);
/* flags: TURNRELAY_DEL_F_* (0: none sent; an unknown one: -EINVAL) */
int relay_msg_del(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq, uint64_t id,
		  uint32_t flags);
/* all: every entry of the network namespace, not only this socket's */
int relay_msg_flush(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq, bool all);
int relay_msg_dump(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq);

/*
 * Parsers take one netlink message (header included) of len bytes and
 * return 0, or -EBADMSG for a truncated or malformed message (an attribute
 * running past its parent, a known attribute of the wrong size, a
 * sockaddr of the wrong family or length, a required attribute missing),
 * -EPROTO for a message of another kind. Outputs are written only on
 * success. Unknown attributes are skipped: the ABI only ever adds them.
 */
/* CTRL_CMD_NEWFAMILY reply: the family id and the events group id (0 if none). */
int relay_msg_parse_family(const uint8_t *buf, size_t len, uint16_t *family,
			   uint32_t *events_group);
int relay_msg_parse_hello(const uint8_t *buf, size_t len, struct relay_info *out);
/* One DUMP reply message, or the reply to a DEL with TURNRELAY_DEL_F_COUNTERS. */
int relay_msg_parse_entry(const uint8_t *buf, size_t len, struct relay_entry *out);
int relay_msg_parse_event(const uint8_t *buf, size_t len, struct relay_event *out);
/*
 * NLMSG_ERROR: *err gets the (negative or 0) error, msg the extended ack
 * text ("" when none).
 */
int relay_msg_parse_error(const uint8_t *buf, size_t len, int *err, char *msg, size_t msg_len);

/*
 * 0 when this library speaks the module's ABI version; else
 * -EPROTONOSUPPORT and a message in err naming both versions.
 */
int relay_msg_check_abi(uint32_t abi_version, char *err, size_t err_len);

/* ---- the handle: I/O ---- */

struct relay_offload;

/*
 * Opens a netlink socket, resolves the "turnrelay" family and says HELLO.
 * Fails with -ENOENT when the module is not loaded and -EPROTONOSUPPORT
 * when it speaks another ABI version, with a message in err (err_len bytes,
 * RELAY_OFFLOAD_ERRLEN suffice) naming both versions.
 */
int relay_offload_open(struct relay_offload **out, char *err, size_t err_len);
/* Closes the sockets: the kernel flushes the entries this handle added. */
void relay_offload_close(struct relay_offload *ro);
/* The message of the last failed call ("" after a success). */
const char *relay_offload_error(const struct relay_offload *ro);
/* What HELLO said at open time (refreshed by relay_offload_hello()). */
const struct relay_info *relay_offload_info(const struct relay_offload *ro);
/* Asks HELLO again: fresh entry count and statistics. */
int relay_offload_hello(struct relay_offload *ro, struct relay_info *out);

int relay_offload_add(struct relay_offload *ro, const struct relay_entry *e);
int relay_offload_del(struct relay_offload *ro, uint64_t id);
/*
 * Deletes entry id and reads its last counters into *last (as in a dump):
 * what it forwarded since the last dump is not lost. -EOPNOTSUPP when the
 * module lacks TURNRELAY_FEATURE_DEL_COUNTERS (nothing deleted then).
 */
int relay_offload_del_counters(struct relay_offload *ro, uint64_t id, struct relay_entry *last);
int relay_offload_flush(struct relay_offload *ro, bool all);

/*
 * Calls cb for every entry of the network namespace; a non-zero return
 * from cb stops the dump (the rest of it is read and dropped) and is
 * returned.
 */
typedef int (*relay_entry_cb)(const struct relay_entry *e, void *arg);
int relay_offload_dump(struct relay_offload *ro, relay_entry_cb cb, void *arg);

/*
 * Events arrive on a socket of their own (joined to the "events" group),
 * so that they never mix with replies. relay_offload_event_fd() gives it
 * for poll/libevent (-1 before subscribing); relay_offload_recv_events()
 * reads what is queued (blocking for the first datagram only when block)
 * and calls cb per event: the count of events, or a negative error
 * (-EAGAIN when nothing was queued and !block, -EINTR when a signal came
 * first, -ENOBUFS when the kernel dropped some because the socket buffer
 * was full: dump to resync).
 */
typedef void (*relay_event_cb)(const struct relay_event *ev, void *arg);
int relay_offload_subscribe(struct relay_offload *ro);
int relay_offload_event_fd(const struct relay_offload *ro);
int relay_offload_recv_events(struct relay_offload *ro, bool block, relay_event_cb cb, void *arg);

#endif
