/*
 * control.c - the relay_offload handle: one generic netlink socket for
 * requests (the owner of the entries it adds), one more for events once
 * subscribed. Every request asks for an ack (dumps end with NLMSG_DONE), so
 * each call knows it is finished and gets the kernel's error and extended
 * ack text.
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "offload/relay_offload.h"

/* Room for one datagram of a dump: the kernel fills up to 32 KiB at a time. */
#define RELAY_RX_BUFLEN 32768

struct relay_offload {
	struct mnl_socket *nl;
	struct mnl_socket *ev; /* NULL until relay_offload_subscribe() */
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	uint32_t events_group;
	struct relay_info info;
	char err[RELAY_OFFLOAD_ERRLEN];
	uint8_t tx[RELAY_MSG_BUFLEN];
	uint8_t rx[RELAY_RX_BUFLEN];
};

/* Called per data message of a reply; a negative return is kept. */
typedef int (*relay_reply_fn)(struct relay_offload *ro, const uint8_t *msg, size_t len, void *arg);

__attribute__((format(printf, 3, 4))) static int relay_fail(struct relay_offload *ro, int err,
							    const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ro->err, sizeof(ro->err), fmt, ap);
	va_end(ap);
	return err;
}

static const char *relay_cmd_name(uint8_t cmd)
{
	switch (cmd) {
	case TURNRELAY_CMD_HELLO:
		return "HELLO";
	case TURNRELAY_CMD_ADD:
		return "ADD";
	case TURNRELAY_CMD_DEL:
		return "DEL";
	case TURNRELAY_CMD_FLUSH:
		return "FLUSH";
	case TURNRELAY_CMD_DUMP:
		return "DUMP";
	default:
		return "request";
	}
}

/*
 * Sends the len-byte request in ro->tx and reads the replies: fn for each
 * data message, until the ack, an error or NLMSG_DONE.
 */
static int relay_transact(struct relay_offload *ro, int len, const char *what, relay_reply_fn fn,
			  void *arg)
{
	struct nlmsghdr req, nlh;
	char kmsg[RELAY_OFFLOAD_ERRLEN];
	int kerr, ret, fn_ret = 0;
	const uint8_t *p;
	ssize_t n;
	size_t left;

	if (len < 0)
		return relay_fail(ro, len, "%s: cannot build the request: %s", what,
				  strerror(-len));
	memcpy(&req, ro->tx, sizeof(req));
	if (mnl_socket_sendto(ro->nl, ro->tx, (size_t)len) < 0)
		return relay_fail(ro, -errno, "%s: netlink send: %s", what, strerror(errno));
	for (;;) {
		n = mnl_socket_recvfrom(ro->nl, ro->rx, sizeof(ro->rx));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return relay_fail(ro, -errno, "%s: netlink receive: %s", what,
					  strerror(errno));
		}
		p = ro->rx;
		left = (size_t)n;
		while (left >= sizeof(nlh)) {
			memcpy(&nlh, p, sizeof(nlh));
			if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > left)
				return relay_fail(ro, -EBADMSG, "%s: truncated netlink reply",
						  what);
			if (nlh.nlmsg_seq != req.nlmsg_seq ||
			    (nlh.nlmsg_pid != 0 && nlh.nlmsg_pid != ro->portid)) {
				/* a late reply to an earlier request: skip */
			} else if (nlh.nlmsg_type == NLMSG_ERROR) {
				ret = relay_msg_parse_error(p, nlh.nlmsg_len, &kerr, kmsg,
							    sizeof(kmsg));
				if (ret < 0)
					return relay_fail(ro, ret, "%s: malformed netlink error",
							  what);
				if (kerr < 0)
					return relay_fail(
					    ro, kerr, "%s: %s%s%s%s", what, strerror(-kerr),
					    kmsg[0] ? " (kernel: " : "", kmsg, kmsg[0] ? ")" : "");
				if (fn_ret < 0)
					return fn_ret;
				ro->err[0] = '\0';
				return 0;
			} else if (nlh.nlmsg_type == NLMSG_DONE) {
				kerr = 0;
				if (nlh.nlmsg_len >= MNL_NLMSG_HDRLEN + sizeof(kerr))
					memcpy(&kerr, p + MNL_NLMSG_HDRLEN, sizeof(kerr));
				if (kerr < 0)
					return relay_fail(ro, kerr, "%s: %s", what,
							  strerror(-kerr));
				if (fn_ret != 0)
					return fn_ret;
				ro->err[0] = '\0';
				return 0;
			} else if (nlh.nlmsg_type >= NLMSG_MIN_TYPE && fn && fn_ret == 0) {
				/* after a failure the rest is read and dropped */
				fn_ret = fn(ro, p, nlh.nlmsg_len, arg);
			}
			if (MNL_ALIGN(nlh.nlmsg_len) >= left)
				break;
			p += MNL_ALIGN(nlh.nlmsg_len);
			left -= MNL_ALIGN(nlh.nlmsg_len);
		}
	}
}

static int relay_on_family(struct relay_offload *ro, const uint8_t *msg, size_t len, void *arg)
{
	(void)arg;
	if (relay_msg_parse_family(msg, len, &ro->family, &ro->events_group) < 0)
		return relay_fail(ro, -EBADMSG, "resolving family \"%s\": malformed reply",
				  TURNRELAY_GENL_NAME);
	return 0;
}

static int relay_on_hello(struct relay_offload *ro, const uint8_t *msg, size_t len, void *arg)
{
	int ret = relay_msg_parse_hello(msg, len, arg);

	if (ret < 0)
		return relay_fail(ro, ret, "HELLO: malformed reply");
	return 0;
}

int relay_offload_hello(struct relay_offload *ro, struct relay_info *out)
{
	struct relay_info info;
	int len, ret;

	memset(&info, 0, sizeof(info));
	len = relay_msg_hello(ro->tx, sizeof(ro->tx), ro->family, ++ro->seq);
	ret = relay_transact(ro, len, "HELLO", relay_on_hello, &info);
	if (ret < 0)
		return ret;
	if (info.abi_version == 0)
		return relay_fail(ro, -EBADMSG, "HELLO: no reply");
	if ((ret = relay_msg_check_abi(info.abi_version, ro->err, sizeof(ro->err))) < 0)
		return ret;
	ro->info = info;
	if (out)
		*out = info;
	return 0;
}

int relay_offload_open(struct relay_offload **out, char *err, size_t err_len)
{
	struct relay_offload *ro;
	int one = 1, len, ret;

	ro = calloc(1, sizeof(*ro));
	if (!ro) {
		snprintf(err, err_len, "out of memory");
		return -ENOMEM;
	}
	ro->seq = (uint32_t)time(NULL);
	ro->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!ro->nl) {
		ret = relay_fail(ro, -errno, "generic netlink socket: %s", strerror(errno));
		goto fail;
	}
	/* error replies carry the kernel's message and not our whole request */
	mnl_socket_setsockopt(ro->nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(ro->nl, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(ro->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		ret = relay_fail(ro, -errno, "generic netlink bind: %s", strerror(errno));
		goto fail;
	}
	ro->portid = mnl_socket_get_portid(ro->nl);
	len = relay_msg_getfamily(ro->tx, sizeof(ro->tx), ++ro->seq);
	ret = relay_transact(ro, len, "resolving family", relay_on_family, NULL);
	if (ret == -ENOENT) {
		relay_fail(ro, ret,
			   "turnrelay module not loaded (no generic netlink family \"%s\"): "
			   "modprobe turnrelay",
			   TURNRELAY_GENL_NAME);
		goto fail;
	}
	if (ret < 0)
		goto fail;
	if (ro->family == 0) {
		ret = relay_fail(ro, -EBADMSG, "resolving family \"%s\": no reply",
				 TURNRELAY_GENL_NAME);
		goto fail;
	}
	ret = relay_offload_hello(ro, NULL);
	if (ret < 0)
		goto fail;
	*out = ro;
	return 0;
fail:
	snprintf(err, err_len, "%s", ro->err);
	relay_offload_close(ro);
	return ret;
}

void relay_offload_close(struct relay_offload *ro)
{
	if (!ro)
		return;
	if (ro->ev)
		mnl_socket_close(ro->ev);
	if (ro->nl)
		mnl_socket_close(ro->nl);
	free(ro);
}

const char *relay_offload_error(const struct relay_offload *ro)
{
	return ro->err;
}

const struct relay_info *relay_offload_info(const struct relay_offload *ro)
{
	return &ro->info;
}

static int relay_simple(struct relay_offload *ro, int len, uint8_t cmd)
{
	return relay_transact(ro, len, relay_cmd_name(cmd), NULL, NULL);
}

int relay_offload_add(struct relay_offload *ro, const struct relay_entry *e)
{
	return relay_simple(ro, relay_msg_add(ro->tx, sizeof(ro->tx), ro->family, ++ro->seq, e),
			    TURNRELAY_CMD_ADD);
}

int relay_offload_del(struct relay_offload *ro, uint64_t id)
{
	return relay_simple(ro, relay_msg_del(ro->tx, sizeof(ro->tx), ro->family, ++ro->seq, id, 0),
			    TURNRELAY_CMD_DEL);
}

static int relay_on_last(struct relay_offload *ro, const uint8_t *msg, size_t len, void *arg)
{
	struct relay_entry *last = arg;

	if (relay_msg_parse_entry(msg, len, last) < 0)
		return relay_fail(ro, -EBADMSG, "DEL: malformed entry in the reply");
	return 0;
}

int relay_offload_del_counters(struct relay_offload *ro, uint64_t id, struct relay_entry *last)
{
	int ret;

	if (!(ro->info.features & TURNRELAY_FEATURE_DEL_COUNTERS))
		return relay_fail(ro, -EOPNOTSUPP, "DEL: the module does not return counters");
	memset(last, 0, sizeof(*last));
	ret = relay_transact(ro,
			     relay_msg_del(ro->tx, sizeof(ro->tx), ro->family, ++ro->seq, id,
					   TURNRELAY_DEL_F_COUNTERS),
			     "DEL", relay_on_last, last);
	/* deleted, but the reply carried no entry: no counters */
	if (ret == 0 && last->id != id)
		return relay_fail(ro, -EBADMSG, "DEL: no entry %llu in the reply",
				  (unsigned long long)id);
	return ret;
}

int relay_offload_flush(struct relay_offload *ro, bool all)
{
	return relay_simple(ro, relay_msg_flush(ro->tx, sizeof(ro->tx), ro->family, ++ro->seq, all),
			    TURNRELAY_CMD_FLUSH);
}

struct relay_dump_ctx {
	relay_entry_cb cb;
	void *arg;
};

static int relay_on_entry(struct relay_offload *ro, const uint8_t *msg, size_t len, void *arg)
{
	struct relay_dump_ctx *ctx = arg;
	struct relay_entry e;
	int ret;

	ret = relay_msg_parse_entry(msg, len, &e);
	if (ret < 0)
		return relay_fail(ro, ret, "DUMP: malformed entry");
	ret = ctx->cb(&e, ctx->arg);
	if (ret != 0)
		relay_fail(ro, ret, "DUMP: stopped by the caller");
	return ret;
}

int relay_offload_dump(struct relay_offload *ro, relay_entry_cb cb, void *arg)
{
	struct relay_dump_ctx ctx = {.cb = cb, .arg = arg};

	return relay_transact(ro, relay_msg_dump(ro->tx, sizeof(ro->tx), ro->family, ++ro->seq),
			      "DUMP", relay_on_entry, &ctx);
}

int relay_offload_subscribe(struct relay_offload *ro)
{
	unsigned int group = ro->events_group;

	if (ro->ev)
		return 0;
	if (group == 0)
		return relay_fail(ro, -ENOENT, "the turnrelay module has no \"%s\" group",
				  TURNRELAY_MCGRP_EVENTS);
	ro->ev = mnl_socket_open(NETLINK_GENERIC);
	if (!ro->ev)
		return relay_fail(ro, -errno, "events socket: %s", strerror(errno));
	if (mnl_socket_bind(ro->ev, 0, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_setsockopt(ro->ev, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
		int err = errno;

		mnl_socket_close(ro->ev);
		ro->ev = NULL;
		return relay_fail(ro, -err, "joining the turnrelay events group: %s",
				  strerror(err));
	}
	ro->err[0] = '\0';
	return 0;
}

int relay_offload_event_fd(const struct relay_offload *ro)
{
	return ro->ev ? mnl_socket_get_fd(ro->ev) : -1;
}

int relay_offload_recv_events(struct relay_offload *ro, bool block, relay_event_cb cb, void *arg)
{
	struct relay_event ev;
	struct nlmsghdr nlh;
	const uint8_t *p;
	int count = 0, flags = block ? 0 : MSG_DONTWAIT;
	ssize_t n;
	size_t left;

	if (!ro->ev)
		return relay_fail(ro, -ENOTCONN, "events: not subscribed");
	for (;;) {
		n = recv(mnl_socket_get_fd(ro->ev), ro->rx, sizeof(ro->rx), flags | MSG_TRUNC);
		if (n < 0) {
			/* a signal returns to the caller, which may want to stop */
			if ((errno == EAGAIN || errno == EINTR) && count > 0)
				break;
			if (errno == EAGAIN || errno == EINTR)
				return -errno;
			if (errno == ENOBUFS)
				return relay_fail(
				    ro, -ENOBUFS,
				    "events lost: socket buffer overrun (dump to resync)");
			return relay_fail(ro, -errno, "events: %s", strerror(errno));
		}
		if ((size_t)n > sizeof(ro->rx))
			return relay_fail(ro, -EMSGSIZE, "events: datagram too large");
		flags = MSG_DONTWAIT;
		p = ro->rx;
		left = (size_t)n;
		while (left >= sizeof(nlh)) {
			memcpy(&nlh, p, sizeof(nlh));
			if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > left)
				break;
			if (nlh.nlmsg_type == ro->family &&
			    relay_msg_parse_event(p, nlh.nlmsg_len, &ev) == 0) {
				cb(&ev, arg);
				count++;
			}
			if (MNL_ALIGN(nlh.nlmsg_len) >= left)
				break;
			p += MNL_ALIGN(nlh.nlmsg_len);
			left -= MNL_ALIGN(nlh.nlmsg_len);
		}
	}
	ro->err[0] = '\0';
	return count;
}
