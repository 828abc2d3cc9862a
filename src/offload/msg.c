/*
 * msg.c - the turnrelay generic netlink messages: requests built into a
 * caller's buffer with libmnl, replies parsed from (buf, len) without
 * libmnl's trusting getters: every length is checked against its parent
 * before use and values are copied out with memcpy (buffers need not be
 * aligned).
 */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "offload/relay_offload.h"

#define RELAY_GENL_HDRLEN MNL_ALIGN(sizeof(struct genlmsghdr))

/* ---- building ---- */

static struct nlmsghdr *relay_msg_start(uint8_t *buf, size_t cap, uint16_t type, uint16_t flags,
					uint32_t seq, uint8_t cmd, uint8_t version)
{
	struct genlmsghdr *genl;
	struct nlmsghdr *nlh;

	if (cap < MNL_NLMSG_HDRLEN + RELAY_GENL_HDRLEN)
		return NULL;
	/* libmnl leaves attribute padding as it finds it: no stale bytes sent */
	memset(buf, 0, cap);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

static int relay_msg_end(const struct nlmsghdr *nlh)
{
	return (int)nlh->nlmsg_len;
}

int relay_msg_getfamily(uint8_t *buf, size_t cap, uint32_t seq)
{
	struct nlmsghdr *nlh;

	nlh = relay_msg_start(buf, cap, GENL_ID_CTRL, NLM_F_REQUEST | NLM_F_ACK, seq,
			      CTRL_CMD_GETFAMILY, 1);
	if (!nlh || !mnl_attr_put_strz_check(nlh, cap, CTRL_ATTR_FAMILY_NAME, TURNRELAY_GENL_NAME))
		return -EMSGSIZE;
	return relay_msg_end(nlh);
}

static int relay_msg_simple(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq, uint8_t cmd,
			    uint16_t flags)
{
	struct nlmsghdr *nlh;

	nlh = relay_msg_start(buf, cap, family, flags, seq, cmd, TURNRELAY_GENL_VERSION);
	if (!nlh)
		return -EMSGSIZE;
	return relay_msg_end(nlh);
}

int relay_msg_hello(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq)
{
	/* an ack too, so that the end of the reply is explicit */
	return relay_msg_simple(buf, cap, family, seq, TURNRELAY_CMD_HELLO,
				NLM_F_REQUEST | NLM_F_ACK);
}

int relay_msg_dump(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq)
{
	return relay_msg_simple(buf, cap, family, seq, TURNRELAY_CMD_DUMP,
				NLM_F_REQUEST | NLM_F_DUMP);
}

/* The sockaddr_in / sockaddr_in6 of the ABI, with the ignored fields zeroed. */
static bool relay_put_sockaddr(struct nlmsghdr *nlh, size_t cap, uint16_t type,
			       const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET) {
		struct sockaddr_in in;

		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_port = ((const struct sockaddr_in *)ss)->sin_port;
		in.sin_addr = ((const struct sockaddr_in *)ss)->sin_addr;
		return mnl_attr_put_check(nlh, cap, type, sizeof(in), &in);
	} else {
		struct sockaddr_in6 in6;

		memset(&in6, 0, sizeof(in6));
		in6.sin6_family = AF_INET6;
		in6.sin6_port = ((const struct sockaddr_in6 *)ss)->sin6_port;
		in6.sin6_addr = ((const struct sockaddr_in6 *)ss)->sin6_addr;
		return mnl_attr_put_check(nlh, cap, type, sizeof(in6), &in6);
	}
}

static bool relay_family_ok(sa_family_t f)
{
	return f == AF_INET || f == AF_INET6;
}

/* The checks the module would make anyway, so that a bad entry fails early. */
static int relay_leg_check(const struct relay_leg *leg)
{
	sa_family_t f = leg->local.ss_family;

	if (!relay_family_ok(f) || !relay_family_ok(leg->remote.ss_family) ||
	    (leg->dest.ss_family != 0 && !relay_family_ok(leg->dest.ss_family)))
		return -EINVAL;
	if (leg->remote.ss_family != f || (leg->dest.ss_family != 0 && leg->dest.ss_family != f))
		return -EAFNOSUPPORT;
	if (leg->channel != 0 &&
	    (leg->channel < TURNRELAY_CHANNEL_MIN || leg->channel > TURNRELAY_CHANNEL_MAX))
		return -EINVAL;
	if (leg->flags & ~(uint32_t)__TURNRELAY_LEG_F_ALL)
		return -EINVAL;
	return 0;
}

static bool relay_put_leg(struct nlmsghdr *nlh, size_t cap, uint16_t type,
			  const struct relay_leg *leg)
{
	struct nlattr *nest = mnl_attr_nest_start_check(nlh, cap, type);

	if (!nest || !relay_put_sockaddr(nlh, cap, TURNRELAY_LEG_A_LOCAL, &leg->local) ||
	    !relay_put_sockaddr(nlh, cap, TURNRELAY_LEG_A_REMOTE, &leg->remote))
		return false;
	if (leg->dest.ss_family != 0 &&
	    !relay_put_sockaddr(nlh, cap, TURNRELAY_LEG_A_DEST, &leg->dest))
		return false;
	if (leg->channel != 0 &&
	    !mnl_attr_put_u16_check(nlh, cap, TURNRELAY_LEG_A_CHANNEL, leg->channel))
		return false;
	if (leg->flags != 0 && !mnl_attr_put_u32_check(nlh, cap, TURNRELAY_LEG_A_FLAGS, leg->flags))
		return false;
	mnl_attr_nest_end(nlh, nest);
	return true;
}

int relay_msg_add(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq,
		  const struct relay_entry *e)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	int ret;

	if (e->id == 0)
		return -EINVAL;
	if ((ret = relay_leg_check(&e->leg[0])) < 0 || (ret = relay_leg_check(&e->leg[1])) < 0)
		return ret;
	nlh = relay_msg_start(buf, cap, family, NLM_F_REQUEST | NLM_F_ACK, seq, TURNRELAY_CMD_ADD,
			      TURNRELAY_GENL_VERSION);
	if (!nlh)
		return -EMSGSIZE;
	nest = mnl_attr_nest_start_check(nlh, cap, TURNRELAY_A_ENTRY);
	if (!nest || !mnl_attr_put_u64_check(nlh, cap, TURNRELAY_ENTRY_A_ID, e->id))
		return -EMSGSIZE;
	if (e->idle_timeout_ms != 0 &&
	    !mnl_attr_put_u32_check(nlh, cap, TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS,
				    e->idle_timeout_ms))
		return -EMSGSIZE;
	if (!relay_put_leg(nlh, cap, TURNRELAY_ENTRY_A_LEG1, &e->leg[0]) ||
	    !relay_put_leg(nlh, cap, TURNRELAY_ENTRY_A_LEG2, &e->leg[1]))
		return -EMSGSIZE;
	mnl_attr_nest_end(nlh, nest);
	return relay_msg_end(nlh);
}

int relay_msg_del(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq, uint64_t id,
		  uint32_t flags)
{
	struct nlmsghdr *nlh;

	if (flags & ~(uint32_t)__TURNRELAY_DEL_F_ALL)
		return -EINVAL;
	nlh = relay_msg_start(buf, cap, family, NLM_F_REQUEST | NLM_F_ACK, seq, TURNRELAY_CMD_DEL,
			      TURNRELAY_GENL_VERSION);
	if (!nlh || !mnl_attr_put_u64_check(nlh, cap, TURNRELAY_A_ID, id))
		return -EMSGSIZE;
	/* without flags, the request an older module understands */
	if (flags && !mnl_attr_put_u32_check(nlh, cap, TURNRELAY_A_DEL_FLAGS, flags))
		return -EMSGSIZE;
	return relay_msg_end(nlh);
}

int relay_msg_flush(uint8_t *buf, size_t cap, uint16_t family, uint32_t seq, bool all)
{
	struct nlmsghdr *nlh;

	nlh = relay_msg_start(buf, cap, family, NLM_F_REQUEST | NLM_F_ACK, seq, TURNRELAY_CMD_FLUSH,
			      TURNRELAY_GENL_VERSION);
	if (!nlh)
		return -EMSGSIZE;
	if (all &&
	    !mnl_attr_put_u32_check(nlh, cap, TURNRELAY_A_FLUSH_FLAGS, TURNRELAY_FLUSH_F_ALL))
		return -EMSGSIZE;
	return relay_msg_end(nlh);
}

/* ---- parsing ---- */

/* An attribute found by relay_attrs(): its payload, never past the message. */
struct relay_attr {
	const uint8_t *data;
	size_t len;
	bool present;
};

/*
 * Indexes the attributes in (p, len) by type into tb[0..max]; types above
 * max are skipped. -EBADMSG when one runs past len or bytes are left over.
 */
static int relay_attrs(const uint8_t *p, size_t len, struct relay_attr *tb, unsigned int max)
{
	struct nlattr a;
	size_t step;
	unsigned int type;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	while (len >= sizeof(a)) {
		memcpy(&a, p, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > len)
			return -EBADMSG;
		type = a.nla_type & NLA_TYPE_MASK;
		if (type <= max) {
			tb[type].data = p + sizeof(a);
			tb[type].len = a.nla_len - sizeof(a);
			tb[type].present = true;
		}
		step = MNL_ALIGN(a.nla_len);
		if (step > len)
			step = len;
		p += step;
		len -= step;
	}
	return len == 0 ? 0 : -EBADMSG;
}

/* Fixed-size integers: absent leaves *out alone, a wrong size is an error. */
static int relay_get(const struct relay_attr *a, void *out, size_t size)
{
	if (!a->present)
		return 0;
	if (a->len != size)
		return -EBADMSG;
	memcpy(out, a->data, size);
	return 0;
}

static int relay_get_sockaddr(const struct relay_attr *a, struct sockaddr_storage *out)
{
	sa_family_t f;

	if (!a->present)
		return 0;
	if (a->len < sizeof(f))
		return -EBADMSG;
	memcpy(&f, a->data, sizeof(f));
	if (!((f == AF_INET && a->len == sizeof(struct sockaddr_in)) ||
	      (f == AF_INET6 && a->len == sizeof(struct sockaddr_in6))))
		return -EBADMSG;
	memset(out, 0, sizeof(*out));
	memcpy(out, a->data, a->len);
	return 0;
}

/*
 * The netlink and generic netlink headers of one message: the attributes'
 * span in *attrs and *attrs_len, the command in *cmd.
 */
static int relay_genl(const uint8_t *buf, size_t len, uint8_t *cmd, const uint8_t **attrs,
		      size_t *attrs_len)
{
	struct nlmsghdr nlh;
	struct genlmsghdr genl;

	if (len < sizeof(nlh))
		return -EBADMSG;
	memcpy(&nlh, buf, sizeof(nlh));
	if (nlh.nlmsg_len > len || nlh.nlmsg_len < MNL_NLMSG_HDRLEN + RELAY_GENL_HDRLEN)
		return -EBADMSG;
	if (nlh.nlmsg_type < NLMSG_MIN_TYPE)
		return -EPROTO;
	memcpy(&genl, buf + MNL_NLMSG_HDRLEN, sizeof(genl));
	*cmd = genl.cmd;
	*attrs = buf + MNL_NLMSG_HDRLEN + RELAY_GENL_HDRLEN;
	*attrs_len = nlh.nlmsg_len - MNL_NLMSG_HDRLEN - RELAY_GENL_HDRLEN;
	return 0;
}

int relay_msg_parse_family(const uint8_t *buf, size_t len, uint16_t *family, uint32_t *events_group)
{
	struct relay_attr tb[CTRL_ATTR_MAX + 1], grp[CTRL_ATTR_MCAST_GRP_MAX + 1];
	const uint8_t *attrs, *p;
	size_t attrs_len, left, step;
	uint16_t id = 0;
	uint32_t group = 0, gid;
	struct nlattr a;
	uint8_t cmd;
	int ret;

	if ((ret = relay_genl(buf, len, &cmd, &attrs, &attrs_len)) < 0)
		return ret;
	if (cmd != CTRL_CMD_NEWFAMILY)
		return -EPROTO;
	if ((ret = relay_attrs(attrs, attrs_len, tb, CTRL_ATTR_MAX)) < 0 ||
	    (ret = relay_get(&tb[CTRL_ATTR_FAMILY_ID], &id, sizeof(id))) < 0)
		return ret;
	if (id == 0)
		return -EBADMSG;
	if (tb[CTRL_ATTR_FAMILY_NAME].present &&
	    (tb[CTRL_ATTR_FAMILY_NAME].len != sizeof(TURNRELAY_GENL_NAME) ||
	     memcmp(tb[CTRL_ATTR_FAMILY_NAME].data, TURNRELAY_GENL_NAME,
		    sizeof(TURNRELAY_GENL_NAME)) != 0))
		return -EPROTO;
	/* CTRL_ATTR_MCAST_GROUPS: a list of nests, each a name and an id */
	p = tb[CTRL_ATTR_MCAST_GROUPS].data;
	left = tb[CTRL_ATTR_MCAST_GROUPS].len;
	while (tb[CTRL_ATTR_MCAST_GROUPS].present && left >= sizeof(a)) {
		memcpy(&a, p, sizeof(a));
		if (a.nla_len < sizeof(a) || a.nla_len > left)
			return -EBADMSG;
		if ((ret = relay_attrs(p + sizeof(a), a.nla_len - sizeof(a), grp,
				       CTRL_ATTR_MCAST_GRP_MAX)) < 0)
			return ret;
		gid = 0;
		if ((ret = relay_get(&grp[CTRL_ATTR_MCAST_GRP_ID], &gid, sizeof(gid))) < 0)
			return ret;
		if (grp[CTRL_ATTR_MCAST_GRP_NAME].len == sizeof(TURNRELAY_MCGRP_EVENTS) &&
		    memcmp(grp[CTRL_ATTR_MCAST_GRP_NAME].data, TURNRELAY_MCGRP_EVENTS,
			   sizeof(TURNRELAY_MCGRP_EVENTS)) == 0)
			group = gid;
		step = MNL_ALIGN(a.nla_len);
		if (step > left)
			step = left;
		p += step;
		left -= step;
	}
	if (left != 0)
		return -EBADMSG;
	*family = id;
	*events_group = group;
	return 0;
}

static int relay_parse_stats(const struct relay_attr *nest, struct relay_stats *st)
{
	struct relay_attr tb[TURNRELAY_STATS_A_MAX + 1];
	uint64_t *field[TURNRELAY_STATS_A_MAX + 1] = {
	    [TURNRELAY_STATS_A_FORWARDED] = &st->forwarded,
	    [TURNRELAY_STATS_A_PASS_STUN] = &st->pass_stun,
	    [TURNRELAY_STATS_A_PASS_DTLS] = &st->pass_dtls,
	    [TURNRELAY_STATS_A_PASS_SHORT] = &st->pass_short,
	    [TURNRELAY_STATS_A_PASS_MALFORMED] = &st->pass_malformed,
	    [TURNRELAY_STATS_A_PASS_CHANNEL_NO_ENTRY] = &st->pass_channel_no_entry,
	    [TURNRELAY_STATS_A_PASS_NO_ENTRY] = &st->pass_no_entry,
	    [TURNRELAY_STATS_A_PASS_BAD_CHECKSUM] = &st->pass_bad_checksum,
	    [TURNRELAY_STATS_A_PASS_UNSUPPORTED] = &st->pass_unsupported,
	    [TURNRELAY_STATS_A_PASS_NO_ROUTE] = &st->pass_no_route,
	    [TURNRELAY_STATS_A_PASS_TOO_BIG] = &st->pass_too_big,
	    [TURNRELAY_STATS_A_TX_ERRORS] = &st->tx_errors,
	    [TURNRELAY_STATS_A_EVENTS] = &st->events,
	    [TURNRELAY_STATS_A_EVENTS_LOST] = &st->events_lost,
	    [TURNRELAY_STATS_A_PASS_RTCP] = &st->pass_rtcp,
	};
	unsigned int i;
	int ret;

	if (!nest->present)
		return 0;
	if ((ret = relay_attrs(nest->data, nest->len, tb, TURNRELAY_STATS_A_MAX)) < 0)
		return ret;
	for (i = 0; i <= TURNRELAY_STATS_A_MAX; i++)
		if (field[i] && (ret = relay_get(&tb[i], field[i], sizeof(uint64_t))) < 0)
			return ret;
	return 0;
}

int relay_msg_parse_hello(const uint8_t *buf, size_t len, struct relay_info *out)
{
	struct relay_attr tb[TURNRELAY_A_MAX + 1];
	const struct relay_attr *v;
	struct relay_info info;
	const uint8_t *attrs;
	size_t attrs_len;
	uint8_t cmd;
	int ret;

	if ((ret = relay_genl(buf, len, &cmd, &attrs, &attrs_len)) < 0)
		return ret;
	if (cmd != TURNRELAY_CMD_HELLO)
		return -EPROTO;
	if ((ret = relay_attrs(attrs, attrs_len, tb, TURNRELAY_A_MAX)) < 0)
		return ret;
	/* only the ABI version is required: a module of another ABI may lack the rest */
	if (!tb[TURNRELAY_A_ABI_VERSION].present)
		return -EBADMSG;
	memset(&info, 0, sizeof(info));
	if ((ret = relay_get(&tb[TURNRELAY_A_ABI_VERSION], &info.abi_version, 4)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_A_FEATURES], &info.features, 8)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_A_MAX_ENTRIES], &info.max_entries, 4)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_A_ENTRIES], &info.entries, 4)) < 0 ||
	    (ret = relay_parse_stats(&tb[TURNRELAY_A_STATS], &info.stats)) < 0)
		return ret;
	v = &tb[TURNRELAY_A_VERSION];
	if (v->present) {
		/* NUL-terminated within its payload */
		if (v->len == 0 || memchr(v->data, '\0', v->len) == NULL)
			return -EBADMSG;
		snprintf(info.version, sizeof(info.version), "%s", (const char *)v->data);
	}
	*out = info;
	return 0;
}

static int relay_parse_leg(const struct relay_attr *nest, struct relay_leg *leg)
{
	struct relay_attr tb[TURNRELAY_LEG_A_MAX + 1];
	int ret;

	if (!nest->present)
		return -EBADMSG;
	if ((ret = relay_attrs(nest->data, nest->len, tb, TURNRELAY_LEG_A_MAX)) < 0)
		return ret;
	if (!tb[TURNRELAY_LEG_A_LOCAL].present || !tb[TURNRELAY_LEG_A_REMOTE].present)
		return -EBADMSG;
	if ((ret = relay_get_sockaddr(&tb[TURNRELAY_LEG_A_LOCAL], &leg->local)) < 0 ||
	    (ret = relay_get_sockaddr(&tb[TURNRELAY_LEG_A_REMOTE], &leg->remote)) < 0 ||
	    (ret = relay_get_sockaddr(&tb[TURNRELAY_LEG_A_DEST], &leg->dest)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_LEG_A_CHANNEL], &leg->channel, 2)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_LEG_A_FLAGS], &leg->flags, 4)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_LEG_A_PACKETS], &leg->packets, 8)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_LEG_A_BYTES], &leg->bytes, 8)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_LEG_A_ERRORS], &leg->errors, 8)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_LEG_A_LAST_SEEN_NS], &leg->last_seen_ns, 8)) < 0)
		return ret;
	return 0;
}

/* The TURNRELAY_A_ENTRY nest of a dump reply or an idle event. */
static int relay_parse_entry_nest(const struct relay_attr *nest, struct relay_entry *e)
{
	struct relay_attr tb[TURNRELAY_ENTRY_A_MAX + 1];
	int ret;

	if (!nest->present)
		return -EBADMSG;
	if ((ret = relay_attrs(nest->data, nest->len, tb, TURNRELAY_ENTRY_A_MAX)) < 0)
		return ret;
	memset(e, 0, sizeof(*e));
	if (!tb[TURNRELAY_ENTRY_A_ID].present)
		return -EBADMSG;
	if ((ret = relay_get(&tb[TURNRELAY_ENTRY_A_ID], &e->id, 8)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS], &e->idle_timeout_ms, 4)) < 0 ||
	    (ret = relay_get(&tb[TURNRELAY_ENTRY_A_OWNER], &e->owner, 4)) < 0 ||
	    (ret = relay_parse_leg(&tb[TURNRELAY_ENTRY_A_LEG1], &e->leg[0])) < 0 ||
	    (ret = relay_parse_leg(&tb[TURNRELAY_ENTRY_A_LEG2], &e->leg[1])) < 0)
		return ret;
	return 0;
}

int relay_msg_parse_entry(const uint8_t *buf, size_t len, struct relay_entry *out)
{
	struct relay_attr tb[TURNRELAY_A_MAX + 1];
	struct relay_entry e;
	const uint8_t *attrs;
	size_t attrs_len;
	uint8_t cmd;
	int ret;

	if ((ret = relay_genl(buf, len, &cmd, &attrs, &attrs_len)) < 0)
		return ret;
	/* a DEL with TURNRELAY_DEL_F_COUNTERS is answered with the same entry */
	if (cmd != TURNRELAY_CMD_DUMP && cmd != TURNRELAY_CMD_DEL)
		return -EPROTO;
	if ((ret = relay_attrs(attrs, attrs_len, tb, TURNRELAY_A_MAX)) < 0 ||
	    (ret = relay_parse_entry_nest(&tb[TURNRELAY_A_ENTRY], &e)) < 0)
		return ret;
	*out = e;
	return 0;
}

int relay_msg_parse_event(const uint8_t *buf, size_t len, struct relay_event *out)
{
	struct relay_attr tb[TURNRELAY_A_MAX + 1];
	struct relay_event ev;
	const uint8_t *attrs;
	size_t attrs_len;
	uint8_t cmd;
	int ret;

	if ((ret = relay_genl(buf, len, &cmd, &attrs, &attrs_len)) < 0)
		return ret;
	if (cmd != TURNRELAY_CMD_EVENT_IDLE && cmd != TURNRELAY_CMD_EVENT_SOURCE)
		return -EPROTO;
	if ((ret = relay_attrs(attrs, attrs_len, tb, TURNRELAY_A_MAX)) < 0)
		return ret;
	memset(&ev, 0, sizeof(ev));
	ev.cmd = cmd;
	if (cmd == TURNRELAY_CMD_EVENT_IDLE) {
		if ((ret = relay_parse_entry_nest(&tb[TURNRELAY_A_ENTRY], &ev.entry)) < 0)
			return ret;
		ev.id = ev.entry.id;
	} else {
		if (!tb[TURNRELAY_A_ID].present || !tb[TURNRELAY_A_LEG].present ||
		    !tb[TURNRELAY_A_SOURCE].present)
			return -EBADMSG;
		if ((ret = relay_get(&tb[TURNRELAY_A_ID], &ev.id, 8)) < 0 ||
		    (ret = relay_get(&tb[TURNRELAY_A_LEG], &ev.leg, 1)) < 0 ||
		    (ret = relay_get_sockaddr(&tb[TURNRELAY_A_SOURCE], &ev.source)) < 0)
			return ret;
		if (ev.leg != 1 && ev.leg != 2)
			return -EBADMSG;
	}
	*out = ev;
	return 0;
}

int relay_msg_parse_error(const uint8_t *buf, size_t len, int *err, char *msg, size_t msg_len)
{
	struct relay_attr tb[NLMSGERR_ATTR_MAX + 1];
	struct nlmsghdr nlh, orig;
	const struct relay_attr *m;
	size_t off;
	int error, ret;

	if (len < sizeof(nlh))
		return -EBADMSG;
	memcpy(&nlh, buf, sizeof(nlh));
	if (nlh.nlmsg_type != NLMSG_ERROR)
		return -EPROTO;
	if (nlh.nlmsg_len > len || nlh.nlmsg_len < MNL_NLMSG_HDRLEN + sizeof(struct nlmsgerr))
		return -EBADMSG;
	memcpy(&error, buf + MNL_NLMSG_HDRLEN, sizeof(error));
	memcpy(&orig, buf + MNL_NLMSG_HDRLEN + sizeof(error), sizeof(orig));
	if (error > 0)
		return -EBADMSG;
	if (msg_len > 0)
		msg[0] = '\0';
	if (nlh.nlmsg_flags & NLM_F_ACK_TLVS) {
		/* the request is echoed whole unless the ack was capped */
		off = MNL_NLMSG_HDRLEN + sizeof(error);
		off += (nlh.nlmsg_flags & NLM_F_CAPPED) ? sizeof(orig) : MNL_ALIGN(orig.nlmsg_len);
		if (off > nlh.nlmsg_len || orig.nlmsg_len < sizeof(orig))
			return -EBADMSG;
		if ((ret = relay_attrs(buf + off, nlh.nlmsg_len - off, tb, NLMSGERR_ATTR_MAX)) < 0)
			return ret;
		m = &tb[NLMSGERR_ATTR_MSG];
		if (m->present) {
			if (m->len == 0 || memchr(m->data, '\0', m->len) == NULL)
				return -EBADMSG;
			if (msg_len > 0)
				snprintf(msg, msg_len, "%s", (const char *)m->data);
		} else if (tb[NLMSGERR_ATTR_MISS_TYPE].present) {
			uint32_t type;

			if ((ret = relay_get(&tb[NLMSGERR_ATTR_MISS_TYPE], &type, 4)) < 0)
				return ret;
			if (msg_len > 0)
				snprintf(msg, msg_len, "missing attribute %u", type);
		}
	}
	*err = error;
	return 0;
}

int relay_msg_check_abi(uint32_t abi_version, char *err, size_t err_len)
{
	if (abi_version == RELAY_OFFLOAD_ABI_VERSION)
		return 0;
	snprintf(err, err_len,
		 "turnrelay module speaks ABI version %u, this program knows version %u: "
		 "load the module built with this program",
		 abi_version, RELAY_OFFLOAD_ABI_VERSION);
	return -EPROTONOSUPPORT;
}
