// SPDX-License-Identifier: GPL-2.0
/*
 * hook.c - ingress: netfilter LOCAL_IN hooks (IPv4 and IPv6, registered in a
 * network namespace when its first entry is added) that parse a local UDP
 * datagram, look its 5-tuple (and ChannelData channel) up under RCU, and hand
 * matching datagrams to the egress. Anything else is left to the stack
 * untouched, its reason counted.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/udp.h>
#include <net/dsfield.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "hook.h"
#include "netlink.h"
#include "turnrelay_parse.h"

/* Leaves the datagram to the stack, counting why. */
static unsigned int turnrelay_pass(struct turnrelay_net *tn, int stat)
{
	turnrelay_count(tn, stat);
	return NF_ACCEPT;
}

/* Why an unmatched datagram of class cls stays with userspace. */
static int turnrelay_unmatched_stat(enum turnrelay_pkt_class cls)
{
	switch (cls) {
	case TURNRELAY_PKT_STUN:
		return TURNRELAY_STATS_A_PASS_STUN;
	case TURNRELAY_PKT_DTLS:
		return TURNRELAY_STATS_A_PASS_DTLS;
	case TURNRELAY_PKT_SHORT:
		return TURNRELAY_STATS_A_PASS_SHORT;
	case TURNRELAY_PKT_MALFORMED:
		return TURNRELAY_STATS_A_PASS_MALFORMED;
	case TURNRELAY_PKT_CHANNELDATA:
		return TURNRELAY_STATS_A_PASS_CHANNEL_NO_ENTRY;
	default:
		return TURNRELAY_STATS_A_PASS_NO_ENTRY;
	}
}

/*
 * On a leg without a channel the payload is opaque, so only the RFC 7983
 * ranges that userspace must see (STUN for ICE and consent, DTLS for the
 * handshake) stay, unless the leg's flags forward them, and RTCP when the
 * leg's flags say so. Returns the stat to
 * pass with, or 0 to forward.
 */
static int turnrelay_plain_leg_verdict(const struct turnrelay_leg *leg,
				       const u8 *payload, unsigned int len)
{
	if (!len)
		return TURNRELAY_STATS_A_PASS_SHORT;
	if (turnrelay_first_byte_is_stun(payload[0]) &&
	    !(leg->flags & TURNRELAY_LEG_F_FORWARD_STUN))
		return TURNRELAY_STATS_A_PASS_STUN;
	if (turnrelay_first_byte_is_dtls(payload[0]) &&
	    !(leg->flags & TURNRELAY_LEG_F_FORWARD_DTLS))
		return TURNRELAY_STATS_A_PASS_DTLS;
	if ((leg->flags & TURNRELAY_LEG_F_PASS_RTCP) && turnrelay_is_rtcp(payload, len))
		return TURNRELAY_STATS_A_PASS_RTCP;
	return 0;
}

static bool turnrelay_udp_csum_ok(struct sk_buff *skb, const struct turnrelay_rx *rx)
{
	const struct udphdr *uh = (const struct udphdr *)(skb->data + rx->udp_off);
	__wsum sum;

	if (skb_csum_unnecessary(skb))
		return true;
	if (rx->key.family == AF_INET) {
		if (!uh->check)
			return true;
		sum = skb_checksum(skb, rx->udp_off, rx->udp_len, 0);
		return !csum_tcpudp_magic(rx->key.remote.v4, rx->key.local.v4,
					  rx->udp_len, IPPROTO_UDP, sum);
	}
	/* RFC 8200 8.1: a zero UDP checksum is invalid over IPv6 */
	if (!uh->check)
		return false;
	sum = skb_checksum(skb, rx->udp_off, rx->udp_len, 0);
	return !csum_ipv6_magic(&rx->key.remote.v6, &rx->key.local.v6,
				rx->udp_len, IPPROTO_UDP, sum);
}

/* A datagram reached a leg's local end from an unknown source. */
static void turnrelay_source_mismatch(struct turnrelay_net *tn,
				      const struct turnrelay_rx *rx)
{
	struct turnrelay_local_key lkey;
	struct turnrelay_leg *leg;
	unsigned long now, last;

	memset(&lkey, 0, sizeof(lkey));
	lkey.local = rx->key.local;
	lkey.lport = rx->key.lport;
	lkey.family = rx->key.family;
	leg = turnrelay_table_lookup_local(tn, &lkey);
	if (!leg || !READ_ONCE(leg->entry->live))
		return;
	now = jiffies ?: 1;
	last = READ_ONCE(leg->last_event_jiffies);
	if (last && time_before(now, last + HZ))
		return;
	if (cmpxchg(&leg->last_event_jiffies, last, now) != last)
		return;
	turnrelay_nl_event_source(tn, leg, rx->key.family, &rx->key.remote,
				  rx->key.rport);
}

static unsigned int turnrelay_rx(struct turnrelay_net *tn, struct sk_buff *skb,
				 struct turnrelay_rx *rx)
{
	const u8 *payload = skb->data + rx->udp_off + sizeof(struct udphdr);
	unsigned int len = rx->udp_len - sizeof(struct udphdr);
	enum turnrelay_pkt_class cls;
	struct turnrelay_leg *leg = NULL;
	struct turnrelay_pkt pkt;
	int stat;

	cls = turnrelay_parse(payload, len, &pkt);
	if (pkt.channel) {
		rx->key.channel = pkt.channel;
		leg = turnrelay_table_lookup(tn, &rx->key);
		if (leg && cls != TURNRELAY_PKT_CHANNELDATA)
			return turnrelay_pass(tn, TURNRELAY_STATS_A_PASS_MALFORMED);
	}
	if (!leg) {
		/* a leg without channel takes any payload, 0x40-0x7F too */
		rx->key.channel = 0;
		leg = turnrelay_table_lookup(tn, &rx->key);
		if (leg) {
			stat = turnrelay_plain_leg_verdict(leg, payload, len);
			if (stat)
				return turnrelay_pass(tn, stat);
			pkt.data_len = len;
		}
	}
	if (!leg) {
		if (atomic_read(&tn->nr_source_legs))
			turnrelay_source_mismatch(tn, rx);
		return turnrelay_pass(tn, turnrelay_unmatched_stat(cls));
	}
	/* pairs with smp_store_release in turnrelay_table_add */
	if (!smp_load_acquire(&leg->entry->live))
		return turnrelay_pass(tn, TURNRELAY_STATS_A_PASS_NO_ENTRY);
	if (!turnrelay_udp_csum_ok(skb, rx))
		return turnrelay_pass(tn, TURNRELAY_STATS_A_PASS_BAD_CHECKSUM);
	return turnrelay_xmit(tn, skb, rx, leg, pkt.data_len);
}

/*
 * Makes the UDP header and the first TURNRELAY_PARSE_PEEK_LEN payload bytes
 * linear and checks the UDP length against what the IP layer holds. Returns
 * 0, or the stat to pass with.
 */
static int turnrelay_pull_udp(struct sk_buff *skb, struct turnrelay_rx *rx)
{
	const struct udphdr *uh;
	unsigned int peek;

	if (!pskb_may_pull(skb, rx->udp_off + sizeof(*uh)))
		return TURNRELAY_STATS_A_PASS_MALFORMED;
	uh = (const struct udphdr *)(skb->data + rx->udp_off);
	rx->udp_len = ntohs(uh->len);
	if (rx->udp_len < sizeof(*uh) || rx->udp_len > skb->len - rx->udp_off)
		return TURNRELAY_STATS_A_PASS_MALFORMED;
	peek = min_t(unsigned int, rx->udp_len - sizeof(*uh), TURNRELAY_PARSE_PEEK_LEN);
	if (!pskb_may_pull(skb, rx->udp_off + sizeof(*uh) + peek))
		return TURNRELAY_STATS_A_PASS_UNSUPPORTED;
	uh = (const struct udphdr *)(skb->data + rx->udp_off);
	rx->key.lport = uh->dest;
	rx->key.rport = uh->source;
	return 0;
}

static unsigned int turnrelay_hook_ipv4(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	struct turnrelay_net *tn = turnrelay_net(state->net);
	const struct iphdr *iph = ip_hdr(skb);
	struct turnrelay_rx rx;
	int stat;

	if (iph->protocol != IPPROTO_UDP || !atomic_read(&tn->nr_entries))
		return NF_ACCEPT;
	if (ip_is_fragment(iph) || (IPCB(skb)->flags & IPSKB_FRAG_COMPLETE) ||
	    skb_has_frag_list(skb) || skb_is_gso(skb))
		return turnrelay_pass(tn, TURNRELAY_STATS_A_PASS_UNSUPPORTED);
	memset(&rx, 0, sizeof(rx));
	rx.udp_off = skb_network_offset(skb) + ip_hdrlen(skb);
	stat = turnrelay_pull_udp(skb, &rx);
	if (stat)
		return turnrelay_pass(tn, stat);
	iph = ip_hdr(skb);
	rx.key.family = AF_INET;
	rx.key.local.v4 = iph->daddr;
	rx.key.remote.v4 = iph->saddr;
	rx.dsfield = ipv4_get_dsfield(iph);
	return turnrelay_rx(tn, skb, &rx);
}

#if IS_ENABLED(CONFIG_IPV6)
static unsigned int turnrelay_hook_ipv6(void *priv, struct sk_buff *skb,
					const struct nf_hook_state *state)
{
	struct turnrelay_net *tn = turnrelay_net(state->net);
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct turnrelay_rx rx;
	int stat;

	if (!atomic_read(&tn->nr_entries))
		return NF_ACCEPT;
	/* extension headers (fragments among them) stay with the stack */
	if (ip6h->nexthdr != IPPROTO_UDP) {
		if (ipv6_ext_hdr(ip6h->nexthdr))
			turnrelay_count(tn, TURNRELAY_STATS_A_PASS_UNSUPPORTED);
		return NF_ACCEPT;
	}
	/* reassembled by conntrack's defrag, or GSO */
	if (skb_has_frag_list(skb) || skb_is_gso(skb))
		return turnrelay_pass(tn, TURNRELAY_STATS_A_PASS_UNSUPPORTED);
	memset(&rx, 0, sizeof(rx));
	rx.udp_off = skb_network_offset(skb) + sizeof(*ip6h);
	stat = turnrelay_pull_udp(skb, &rx);
	if (stat)
		return turnrelay_pass(tn, stat);
	ip6h = ipv6_hdr(skb);
	rx.key.family = AF_INET6;
	rx.key.local.v6 = ip6h->daddr;
	rx.key.remote.v6 = ip6h->saddr;
	rx.dsfield = ipv6_get_dsfield(ip6h);
	return turnrelay_rx(tn, skb, &rx);
}
#endif

/* After the filter table's INPUT chain: operators still filter what we take. */
static const struct nf_hook_ops turnrelay_nf_ops[] = {
	{
		.hook = turnrelay_hook_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_FILTER + 1,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook = turnrelay_hook_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_FILTER + 1,
	},
#endif
};

int turnrelay_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, turnrelay_nf_ops,
				     ARRAY_SIZE(turnrelay_nf_ops));
}

void turnrelay_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, turnrelay_nf_ops, ARRAY_SIZE(turnrelay_nf_ops));
}
