// SPDX-License-Identifier: GPL-2.0
/*
 * netlink.c - the "turnrelay" generic netlink family (ABI in
 * uapi/turnrelay.h): strict policies, HELLO, ADD, DEL, FLUSH, DUMP, the
 * events multicast group, and the flush of a socket's entries when it closes.
 */
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/netlink.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/route.h>

#include "compat.h"
#include "netlink.h"

static const struct nla_policy turnrelay_leg_policy[TURNRELAY_LEG_A_MAX + 1] = {
	[TURNRELAY_LEG_A_PAD] = { .type = NLA_REJECT },
	[TURNRELAY_LEG_A_LOCAL] = { .type = NLA_BINARY, .len = sizeof(struct sockaddr_in6) },
	[TURNRELAY_LEG_A_REMOTE] = { .type = NLA_BINARY, .len = sizeof(struct sockaddr_in6) },
	[TURNRELAY_LEG_A_DEST] = { .type = NLA_BINARY, .len = sizeof(struct sockaddr_in6) },
	[TURNRELAY_LEG_A_CHANNEL] = NLA_POLICY_RANGE(NLA_U16, TURNRELAY_CHANNEL_MIN,
						     TURNRELAY_CHANNEL_MAX),
	[TURNRELAY_LEG_A_FLAGS] = { .type = NLA_U32 },
	[TURNRELAY_LEG_A_PACKETS] = { .type = NLA_REJECT },
	[TURNRELAY_LEG_A_BYTES] = { .type = NLA_REJECT },
	[TURNRELAY_LEG_A_ERRORS] = { .type = NLA_REJECT },
	[TURNRELAY_LEG_A_LAST_SEEN_NS] = { .type = NLA_REJECT },
};

static const struct nla_policy turnrelay_entry_policy[TURNRELAY_ENTRY_A_MAX + 1] = {
	[TURNRELAY_ENTRY_A_PAD] = { .type = NLA_REJECT },
	[TURNRELAY_ENTRY_A_ID] = { .type = NLA_U64 },
	[TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS] = { .type = NLA_U32 },
	[TURNRELAY_ENTRY_A_OWNER] = { .type = NLA_REJECT },
	[TURNRELAY_ENTRY_A_LEG1] = NLA_POLICY_NESTED(turnrelay_leg_policy),
	[TURNRELAY_ENTRY_A_LEG2] = NLA_POLICY_NESTED(turnrelay_leg_policy),
};

static const struct nla_policy turnrelay_policy[TURNRELAY_A_MAX + 1] = {
	[TURNRELAY_A_PAD] = { .type = NLA_REJECT },
	[TURNRELAY_A_ABI_VERSION] = { .type = NLA_REJECT },
	[TURNRELAY_A_FEATURES] = { .type = NLA_REJECT },
	[TURNRELAY_A_MAX_ENTRIES] = { .type = NLA_REJECT },
	[TURNRELAY_A_ENTRIES] = { .type = NLA_REJECT },
	[TURNRELAY_A_STATS] = { .type = NLA_REJECT },
	[TURNRELAY_A_VERSION] = { .type = NLA_REJECT },
	[TURNRELAY_A_ENTRY] = NLA_POLICY_NESTED(turnrelay_entry_policy),
	[TURNRELAY_A_ID] = { .type = NLA_U64 },
	[TURNRELAY_A_FLUSH_FLAGS] = { .type = NLA_U32 },
	[TURNRELAY_A_LEG] = { .type = NLA_REJECT },
	[TURNRELAY_A_SOURCE] = { .type = NLA_REJECT },
	[TURNRELAY_A_DEL_FLAGS] = { .type = NLA_U32 },
};

static struct genl_family turnrelay_family;

/* ---- addresses ---- */

static bool turnrelay_ip_unicast(u16 family, const union turnrelay_ip *ip)
{
	if (family == AF_INET)
		return !ipv4_is_multicast(ip->v4) && !ipv4_is_lbcast(ip->v4) &&
		       !ipv4_is_zeronet(ip->v4);
	return !(ipv6_addr_type(&ip->v6) &
		 (IPV6_ADDR_ANY | IPV6_ADDR_MULTICAST | IPV6_ADDR_MAPPED));
}

/* A sockaddr_in or sockaddr_in6 attribute with a unicast address and a port. */
static int turnrelay_nl_get_addr(const struct nlattr *attr, u16 *family,
				 union turnrelay_ip *ip, __be16 *port,
				 struct netlink_ext_ack *extack)
{
	int len = nla_len(attr);
	sa_family_t sa_family;

	if (len < (int)sizeof(sa_family)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "turnrelay: address too short for a sockaddr");
		return -EINVAL;
	}
	memcpy(&sa_family, nla_data(attr), sizeof(sa_family));
	memset(ip, 0, sizeof(*ip));
	if (sa_family == AF_INET) {
		struct sockaddr_in sin;

		if (len != sizeof(sin)) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "turnrelay: AF_INET address is not a struct sockaddr_in");
			return -EINVAL;
		}
		memcpy(&sin, nla_data(attr), sizeof(sin));
		ip->v4 = sin.sin_addr.s_addr;
		*port = sin.sin_port;
	} else if (sa_family == AF_INET6) {
		struct sockaddr_in6 sin6;

		if (len != sizeof(sin6)) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "turnrelay: AF_INET6 address is not a struct sockaddr_in6");
			return -EINVAL;
		}
		if (!IS_ENABLED(CONFIG_IPV6) || !ipv6_mod_enabled()) {
			NL_SET_ERR_MSG_ATTR(extack, attr, "turnrelay: IPv6 is not available");
			return -EAFNOSUPPORT;
		}
		memcpy(&sin6, nla_data(attr), sizeof(sin6));
		ip->v6 = sin6.sin6_addr;
		*port = sin6.sin6_port;
	} else {
		NL_SET_ERR_MSG_ATTR(extack, attr, "turnrelay: address family is neither AF_INET nor AF_INET6");
		return -EAFNOSUPPORT;
	}
	*family = sa_family;
	if (!turnrelay_ip_unicast(sa_family, ip)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "turnrelay: address is not a unicast address (any, multicast, broadcast or IPv4-mapped)");
		return -EINVAL;
	}
	if (!*port) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "turnrelay: port 0");
		return -EINVAL;
	}
	return 0;
}

static int turnrelay_nl_put_addr(struct sk_buff *skb, int type, u16 family,
				 const union turnrelay_ip *ip, __be16 port)
{
	struct sockaddr_in6 sin6;

	if (family == AF_INET) {
		struct sockaddr_in sin;

		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = ip->v4;
		sin.sin_port = port;
		return nla_put(skb, type, sizeof(sin), &sin);
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = ip->v6;
	sin6.sin6_port = port;
	return nla_put(skb, type, sizeof(sin6), &sin6);
}

static bool turnrelay_ip_is_local(struct net *net, u16 family, const union turnrelay_ip *ip)
{
	if (family == AF_INET)
		return inet_addr_type(net, ip->v4) == RTN_LOCAL;
#if IS_ENABLED(CONFIG_IPV6)
	return ipv6_chk_addr(net, &ip->v6, NULL, 0);
#else
	return false;
#endif
}

/* ---- ADD ---- */

static int turnrelay_nl_get_leg(struct net *net, const struct nlattr *nest,
				struct turnrelay_leg *leg, struct netlink_ext_ack *extack)
{
	struct nlattr *tb[TURNRELAY_LEG_A_MAX + 1];
	u16 family, other;
	int err;

	err = nla_parse_nested(tb, TURNRELAY_LEG_A_MAX, nest, turnrelay_leg_policy, extack);
	if (err)
		return err;
	if (!tb[TURNRELAY_LEG_A_LOCAL] || !tb[TURNRELAY_LEG_A_REMOTE]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "turnrelay: a leg needs TURNRELAY_LEG_A_LOCAL and TURNRELAY_LEG_A_REMOTE");
		return -EINVAL;
	}
	err = turnrelay_nl_get_addr(tb[TURNRELAY_LEG_A_LOCAL], &family, &leg->key.local,
				    &leg->key.lport, extack);
	if (err)
		return err;
	err = turnrelay_nl_get_addr(tb[TURNRELAY_LEG_A_REMOTE], &other, &leg->key.remote,
				    &leg->key.rport, extack);
	if (err)
		return err;
	if (other != family) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TURNRELAY_LEG_A_REMOTE], "turnrelay: REMOTE is not of the family of LOCAL");
		return -EAFNOSUPPORT;
	}
	if (tb[TURNRELAY_LEG_A_DEST]) {
		err = turnrelay_nl_get_addr(tb[TURNRELAY_LEG_A_DEST], &other, &leg->dest,
					    &leg->dport, extack);
		if (err)
			return err;
		if (other != family) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TURNRELAY_LEG_A_DEST], "turnrelay: DEST is not of the family of LOCAL");
			return -EAFNOSUPPORT;
		}
	} else {
		leg->dest = leg->key.remote;
		leg->dport = leg->key.rport;
	}
	if (!turnrelay_ip_is_local(net, family, &leg->key.local)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[TURNRELAY_LEG_A_LOCAL], "turnrelay: LOCAL is not an address of this host");
		return -EADDRNOTAVAIL;
	}
	if (tb[TURNRELAY_LEG_A_CHANNEL])
		leg->key.channel = nla_get_u16(tb[TURNRELAY_LEG_A_CHANNEL]);
	if (tb[TURNRELAY_LEG_A_FLAGS]) {
		leg->flags = nla_get_u32(tb[TURNRELAY_LEG_A_FLAGS]);
		if (leg->flags & ~(u32)__TURNRELAY_LEG_F_ALL) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TURNRELAY_LEG_A_FLAGS], "turnrelay: unknown leg flags");
			return -EINVAL;
		}
	}
	leg->key.family = family;
	leg->local_key.local = leg->key.local;
	leg->local_key.lport = leg->key.lport;
	leg->local_key.family = family;
	return 0;
}

/* Datagrams sent out of leg out would arrive back on leg in: a loop. */
static bool turnrelay_leg_feeds(const struct turnrelay_leg *out,
				const struct turnrelay_leg *in)
{
	return out->key.family == in->key.family &&
	       out->dport == in->key.lport && out->key.lport == in->key.rport &&
	       !memcmp(&out->dest, &in->key.local, sizeof(out->dest)) &&
	       !memcmp(&out->key.local, &in->key.remote, sizeof(in->key.remote));
}

static int turnrelay_nl_add(struct sk_buff *skb, struct genl_info *info)
{
	struct turnrelay_net *tn = turnrelay_net(genl_info_net(info));
	struct nlattr *tb[TURNRELAY_ENTRY_A_MAX + 1];
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr *nest = info->attrs[TURNRELAY_A_ENTRY];
	struct turnrelay_entry *e;
	u32 idle_ms = 0;
	int err;

	if (!nest) {
		NL_SET_ERR_MSG(extack, "turnrelay: ADD needs TURNRELAY_A_ENTRY");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, TURNRELAY_ENTRY_A_MAX, nest, turnrelay_entry_policy, extack);
	if (err)
		return err;
	if (!tb[TURNRELAY_ENTRY_A_ID] || !nla_get_u64(tb[TURNRELAY_ENTRY_A_ID])) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "turnrelay: an entry needs a non-zero TURNRELAY_ENTRY_A_ID");
		return -EINVAL;
	}
	if (!tb[TURNRELAY_ENTRY_A_LEG1] || !tb[TURNRELAY_ENTRY_A_LEG2]) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "turnrelay: an entry needs TURNRELAY_ENTRY_A_LEG1 and TURNRELAY_ENTRY_A_LEG2");
		return -EINVAL;
	}
	if (tb[TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS]) {
		idle_ms = nla_get_u32(tb[TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS]);
		if (idle_ms && (idle_ms < TURNRELAY_IDLE_TIMEOUT_MIN_MS ||
				idle_ms > TURNRELAY_IDLE_TIMEOUT_MAX_MS)) {
			NL_SET_ERR_MSG_ATTR(extack, tb[TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS], "turnrelay: idle timeout out of range");
			return -EINVAL;
		}
	}

	e = turnrelay_entry_alloc();
	if (!e)
		return -ENOMEM;
	e->id = nla_get_u64(tb[TURNRELAY_ENTRY_A_ID]);
	e->idle_timeout_ms = idle_ms;
	e->owner_portid = info->snd_portid;
	err = turnrelay_nl_get_leg(tn->net, tb[TURNRELAY_ENTRY_A_LEG1], &e->legs[0], extack);
	if (err)
		goto fail;
	err = turnrelay_nl_get_leg(tn->net, tb[TURNRELAY_ENTRY_A_LEG2], &e->legs[1], extack);
	if (err)
		goto fail;
	if (!memcmp(&e->legs[0].key, &e->legs[1].key, sizeof(e->legs[0].key))) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "turnrelay: both legs match the same datagrams");
		err = -EINVAL;
		goto fail;
	}
	if (turnrelay_leg_feeds(&e->legs[0], &e->legs[1]) ||
	    turnrelay_leg_feeds(&e->legs[1], &e->legs[0])) {
		NL_SET_ERR_MSG_ATTR(extack, nest, "turnrelay: a leg would send into the other leg (loop)");
		err = -EINVAL;
		goto fail;
	}
	return turnrelay_table_add(tn, e, extack);

fail:
	turnrelay_entry_free(e);
	return err;
}

/* ---- DEL, FLUSH ---- */

static int turnrelay_nl_put_entry(struct sk_buff *skb, const struct turnrelay_entry *e);

/* With TURNRELAY_DEL_F_COUNTERS, the reply carries the entry's last counters. */
static int turnrelay_nl_del(struct sk_buff *skb, struct genl_info *info)
{
	struct turnrelay_net *tn = turnrelay_net(genl_info_net(info));
	struct turnrelay_entry *e = NULL;
	struct sk_buff *msg = NULL;
	u32 flags = 0;
	void *hdr;
	int err;

	if (!info->attrs[TURNRELAY_A_ID]) {
		NL_SET_ERR_MSG(info->extack, "turnrelay: DEL needs TURNRELAY_A_ID");
		return -EINVAL;
	}
	if (info->attrs[TURNRELAY_A_DEL_FLAGS]) {
		flags = nla_get_u32(info->attrs[TURNRELAY_A_DEL_FLAGS]);
		if (flags & ~(u32)__TURNRELAY_DEL_F_ALL) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TURNRELAY_A_DEL_FLAGS], "turnrelay: unknown del flags");
			return -EINVAL;
		}
	}
	/* allocated first: once deleted, the entry's counters must reach the caller */
	if (flags & TURNRELAY_DEL_F_COUNTERS) {
		msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
		if (!msg)
			return -ENOMEM;
	}
	err = turnrelay_table_del(tn, nla_get_u64(info->attrs[TURNRELAY_A_ID]), msg ? &e : NULL);
	if (err) {
		nlmsg_free(msg);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TURNRELAY_A_ID], "turnrelay: no entry with this id");
		return err;
	}
	if (!msg)
		return 0;
	hdr = genlmsg_put_reply(msg, info, &turnrelay_family, 0, TURNRELAY_CMD_DEL);
	if (!hdr || turnrelay_nl_put_entry(msg, e)) {
		turnrelay_entry_release(e);
		nlmsg_free(msg);
		NL_SET_ERR_MSG(info->extack, "turnrelay: entry deleted, its counters did not fit the reply");
		return -EMSGSIZE;
	}
	turnrelay_entry_release(e);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int turnrelay_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct turnrelay_net *tn = turnrelay_net(genl_info_net(info));
	u32 flags = 0;

	if (info->attrs[TURNRELAY_A_FLUSH_FLAGS]) {
		flags = nla_get_u32(info->attrs[TURNRELAY_A_FLUSH_FLAGS]);
		if (flags & ~(u32)__TURNRELAY_FLUSH_F_ALL) {
			NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[TURNRELAY_A_FLUSH_FLAGS], "turnrelay: unknown flush flags");
			return -EINVAL;
		}
	}
	turnrelay_table_flush(tn, info->snd_portid, flags & TURNRELAY_FLUSH_F_ALL);
	return 0;
}

/* ---- HELLO ---- */

static int turnrelay_nl_put_stats(struct sk_buff *skb, struct turnrelay_net *tn)
{
	u64 sum[__TURNRELAY_STATS_A_LAST] = { 0 };
	struct nlattr *nest;
	int cpu, i;

	for_each_possible_cpu(cpu) {
		const struct turnrelay_stats *s = per_cpu_ptr(tn->stats, cpu);

		for (i = 0; i < __TURNRELAY_STATS_A_LAST; i++)
			sum[i] += READ_ONCE(s->count[i]);
	}
	nest = nla_nest_start(skb, TURNRELAY_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = TURNRELAY_STATS_A_FORWARDED; i < __TURNRELAY_STATS_A_LAST; i++) {
		if (nla_put_u64_64bit(skb, i, sum[i], TURNRELAY_STATS_A_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

static u64 turnrelay_features(void)
{
	u64 features = TURNRELAY_FEATURE_IPV4 | TURNRELAY_FEATURE_CHANNELDATA |
		       TURNRELAY_FEATURE_EVENT_IDLE | TURNRELAY_FEATURE_EVENT_SOURCE |
		       TURNRELAY_FEATURE_FORWARD_STUN_DTLS | TURNRELAY_FEATURE_PASS_RTCP |
		       TURNRELAY_FEATURE_DEL_COUNTERS;

	if (IS_ENABLED(CONFIG_IPV6) && ipv6_mod_enabled())
		features |= TURNRELAY_FEATURE_IPV6;
	return features;
}

static int turnrelay_nl_hello(struct sk_buff *skb, struct genl_info *info)
{
	struct turnrelay_net *tn = turnrelay_net(genl_info_net(info));
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &turnrelay_family, 0, TURNRELAY_CMD_HELLO);
	if (!hdr)
		goto fail;
	if (nla_put_u32(msg, TURNRELAY_A_ABI_VERSION, TURNRELAY_ABI_VERSION) ||
	    nla_put_u64_64bit(msg, TURNRELAY_A_FEATURES, turnrelay_features(),
			      TURNRELAY_A_PAD) ||
	    nla_put_u32(msg, TURNRELAY_A_MAX_ENTRIES, READ_ONCE(turnrelay_max_entries)) ||
	    nla_put_u32(msg, TURNRELAY_A_ENTRIES, atomic_read(&tn->nr_entries)) ||
	    nla_put_string(msg, TURNRELAY_A_VERSION, TURNRELAY_MODULE_VERSION) ||
	    turnrelay_nl_put_stats(msg, tn))
		goto fail;
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

fail:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* ---- DUMP and the idle event: one entry with its counters ---- */

static int turnrelay_nl_put_leg(struct sk_buff *skb, int type, const struct turnrelay_leg *leg)
{
	struct nlattr *nest = nla_nest_start(skb, type);
	u16 family = leg->key.family;

	if (!nest)
		return -EMSGSIZE;
	if (turnrelay_nl_put_addr(skb, TURNRELAY_LEG_A_LOCAL, family, &leg->key.local,
				  leg->key.lport) ||
	    turnrelay_nl_put_addr(skb, TURNRELAY_LEG_A_REMOTE, family, &leg->key.remote,
				  leg->key.rport) ||
	    turnrelay_nl_put_addr(skb, TURNRELAY_LEG_A_DEST, family, &leg->dest, leg->dport) ||
	    (leg->key.channel &&
	     nla_put_u16(skb, TURNRELAY_LEG_A_CHANNEL, leg->key.channel)) ||
	    nla_put_u32(skb, TURNRELAY_LEG_A_FLAGS, leg->flags) ||
	    nla_put_u64_64bit(skb, TURNRELAY_LEG_A_PACKETS, atomic64_read(&leg->packets),
			      TURNRELAY_LEG_A_PAD) ||
	    nla_put_u64_64bit(skb, TURNRELAY_LEG_A_BYTES, atomic64_read(&leg->bytes),
			      TURNRELAY_LEG_A_PAD) ||
	    nla_put_u64_64bit(skb, TURNRELAY_LEG_A_ERRORS, atomic64_read(&leg->errors),
			      TURNRELAY_LEG_A_PAD) ||
	    nla_put_u64_64bit(skb, TURNRELAY_LEG_A_LAST_SEEN_NS,
			      turnrelay_leg_last_seen_ns(leg), TURNRELAY_LEG_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int turnrelay_nl_put_entry(struct sk_buff *skb, const struct turnrelay_entry *e)
{
	struct nlattr *nest = nla_nest_start(skb, TURNRELAY_A_ENTRY);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(skb, TURNRELAY_ENTRY_A_ID, e->id, TURNRELAY_ENTRY_A_PAD) ||
	    nla_put_u32(skb, TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS, e->idle_timeout_ms) ||
	    nla_put_u32(skb, TURNRELAY_ENTRY_A_OWNER, e->owner_portid) ||
	    turnrelay_nl_put_leg(skb, TURNRELAY_ENTRY_A_LEG1, &e->legs[0]) ||
	    turnrelay_nl_put_leg(skb, TURNRELAY_ENTRY_A_LEG2, &e->legs[1])) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int turnrelay_nl_dump_start(struct netlink_callback *cb)
{
	struct turnrelay_net *tn = turnrelay_net(sock_net(cb->skb->sk));
	struct rhashtable_iter *iter = kmalloc(sizeof(*iter), GFP_KERNEL);

	if (!iter)
		return -ENOMEM;
	rhashtable_walk_enter(&tn->ids, iter);
	cb->args[0] = (long)iter;
	return 0;
}

static int turnrelay_nl_dump_done(struct netlink_callback *cb)
{
	struct rhashtable_iter *iter = (struct rhashtable_iter *)cb->args[0];

	if (iter) {
		rhashtable_walk_exit(iter);
		kfree(iter);
	}
	return 0;
}

static int turnrelay_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct rhashtable_iter *iter = (struct rhashtable_iter *)cb->args[0];
	struct turnrelay_entry *e;
	int err = 0, n = 0;

	rhashtable_walk_start(iter);
	for (;;) {
		void *hdr;

		e = rhashtable_walk_peek(iter);
		if (IS_ERR(e)) {
			if (PTR_ERR(e) == -EAGAIN)
				continue; /* resized: the walk restarted */
			err = PTR_ERR(e);
			break;
		}
		if (!e)
			break;
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
				  &turnrelay_family, NLM_F_MULTI, TURNRELAY_CMD_DUMP);
		if (!hdr)
			break;
		if (turnrelay_nl_put_entry(skb, e)) {
			genlmsg_cancel(skb, hdr);
			break;
		}
		genlmsg_end(skb, hdr);
		n++;
		rhashtable_walk_next(iter);
	}
	rhashtable_walk_stop(iter);
	if (err)
		return err;
	if (!n && e && !IS_ERR(e))
		return -EMSGSIZE; /* one entry larger than a whole message */
	return skb->len;
}

/* ---- events ---- */

static int turnrelay_nl_multicast(struct turnrelay_net *tn, struct sk_buff *msg, gfp_t gfp)
{
	int err = genlmsg_multicast_netns(&turnrelay_family, tn->net, msg, 0, 0, gfp);

	if (err && err != -ESRCH) {
		turnrelay_count(tn, TURNRELAY_STATS_A_EVENTS_LOST);
		return err;
	}
	turnrelay_count(tn, TURNRELAY_STATS_A_EVENTS);
	return 0;
}

int turnrelay_nl_event_idle(struct turnrelay_net *tn, struct turnrelay_entry *e, gfp_t gfp)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&turnrelay_family, tn->net, 0))
		return 0;
	msg = genlmsg_new(NLMSG_GOODSIZE, gfp);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &turnrelay_family, 0, TURNRELAY_CMD_EVENT_IDLE);
	if (!hdr || turnrelay_nl_put_entry(msg, e)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	return turnrelay_nl_multicast(tn, msg, gfp);

lost:
	turnrelay_count(tn, TURNRELAY_STATS_A_EVENTS_LOST);
	return -ENOMEM;
}

int turnrelay_nl_event_source(struct turnrelay_net *tn, struct turnrelay_leg *leg,
			      u16 family, const union turnrelay_ip *src, __be16 sport)
{
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&turnrelay_family, tn->net, 0))
		return 0;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		goto lost;
	hdr = genlmsg_put(msg, 0, 0, &turnrelay_family, 0, TURNRELAY_CMD_EVENT_SOURCE);
	if (!hdr ||
	    nla_put_u64_64bit(msg, TURNRELAY_A_ID, leg->entry->id, TURNRELAY_A_PAD) ||
	    nla_put_u8(msg, TURNRELAY_A_LEG, leg->index) ||
	    turnrelay_nl_put_addr(msg, TURNRELAY_A_SOURCE, family, src, sport)) {
		nlmsg_free(msg);
		goto lost;
	}
	genlmsg_end(msg, hdr);
	return turnrelay_nl_multicast(tn, msg, GFP_ATOMIC);

lost:
	turnrelay_count(tn, TURNRELAY_STATS_A_EVENTS_LOST);
	return -ENOMEM;
}

/* ---- the family ---- */

/* A closed control socket takes its entries with it. */
static int turnrelay_nl_notify(struct notifier_block *nb, unsigned long event, void *ptr)
{
	struct netlink_notify *n = ptr;
	struct turnrelay_net *tn;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	tn = turnrelay_net(n->net);
	if (atomic_read(&tn->nr_entries))
		turnrelay_table_flush(tn, n->portid, false);
	return NOTIFY_DONE;
}

static struct notifier_block turnrelay_nl_notifier = {
	.notifier_call = turnrelay_nl_notify,
};

static const struct genl_ops turnrelay_ops[] = {
	{
		.cmd = TURNRELAY_CMD_HELLO,
		.doit = turnrelay_nl_hello,
	},
	{
		.cmd = TURNRELAY_CMD_ADD,
		.doit = turnrelay_nl_add,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TURNRELAY_CMD_DEL,
		.doit = turnrelay_nl_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TURNRELAY_CMD_FLUSH,
		.doit = turnrelay_nl_flush,
		.flags = GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd = TURNRELAY_CMD_DUMP,
		.start = turnrelay_nl_dump_start,
		.dumpit = turnrelay_nl_dump,
		.done = turnrelay_nl_dump_done,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

static const struct genl_multicast_group turnrelay_mcgrps[] = {
	TURNRELAY_MCGRP(TURNRELAY_MCGRP_EVENTS),
};

static struct genl_family turnrelay_family __ro_after_init = {
	.name = TURNRELAY_GENL_NAME,
	.version = TURNRELAY_GENL_VERSION,
	.maxattr = TURNRELAY_A_MAX,
	.policy = turnrelay_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = turnrelay_ops,
	.n_ops = ARRAY_SIZE(turnrelay_ops),
	.mcgrps = turnrelay_mcgrps,
	.n_mcgrps = ARRAY_SIZE(turnrelay_mcgrps),
};

int __init turnrelay_genl_init(void)
{
	int err = genl_register_family(&turnrelay_family);

	if (err)
		return err;
	err = netlink_register_notifier(&turnrelay_nl_notifier);
	if (err)
		genl_unregister_family(&turnrelay_family);
	return err;
}

void turnrelay_genl_uninit(void)
{
	netlink_unregister_notifier(&turnrelay_nl_notifier);
	genl_unregister_family(&turnrelay_family);
}
