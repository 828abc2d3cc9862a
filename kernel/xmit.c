// SPDX-License-Identifier: GPL-2.0
/*
 * xmit.c - egress: reuses the received skb for the datagram that leaves
 * through the other leg, with fresh IP and UDP headers (the ChannelData
 * header stripped or prepended), a per-leg cached route, and state from the
 * receive side scrubbed; it leaves through ip_local_out()/ip6_local_out() so
 * that OUTPUT and POSTROUTING filtering apply. Every step that can fail runs
 * before the skb is changed: on failure the datagram stays with the stack.
 */
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/dsfield.h>
#include <net/inet_ecn.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/route.h>
#include <net/udp.h>

#include "hook.h"
#include "turnrelay_parse.h"

static struct dst_entry *turnrelay_route4(struct net *net, struct turnrelay_leg *out)
{
	struct flowi4 fl4;
	struct rtable *rt;
	__be32 saddr;

	rt = dst_cache_get_ip4(&out->dst_cache, &saddr);
	if (rt)
		return &rt->dst;
	memset(&fl4, 0, sizeof(fl4));
	fl4.daddr = out->dest.v4;
	fl4.saddr = out->key.local.v4;
	fl4.flowi4_proto = IPPROTO_UDP;
	fl4.fl4_sport = out->key.lport;
	fl4.fl4_dport = out->dport;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return NULL;
	if (rt->rt_type != RTN_UNICAST && rt->rt_type != RTN_LOCAL) {
		ip_rt_put(rt);
		return NULL;
	}
	dst_cache_set_ip4(&out->dst_cache, &rt->dst, fl4.saddr);
	return &rt->dst;
}

#if IS_ENABLED(CONFIG_IPV6)
static struct dst_entry *turnrelay_route6(struct net *net, struct turnrelay_leg *out)
{
	struct dst_entry *dst;
	struct in6_addr saddr;
	struct flowi6 fl6;

	dst = dst_cache_get_ip6(&out->dst_cache, &saddr);
	if (dst)
		return dst;
	/* unlike IPv4's, the IPv6 lookup does not check that the source is ours */
	if (!ipv6_chk_addr(net, &out->key.local.v6, NULL, 0))
		return NULL;
	memset(&fl6, 0, sizeof(fl6));
	fl6.daddr = out->dest.v6;
	fl6.saddr = out->key.local.v6;
	fl6.flowi6_proto = IPPROTO_UDP;
	fl6.fl6_sport = out->key.lport;
	fl6.fl6_dport = out->dport;
	dst = ip6_dst_lookup_flow(net, NULL, &fl6, NULL);
	if (IS_ERR(dst))
		return NULL;
	dst_cache_set_ip6(&out->dst_cache, dst, &fl6.saddr);
	return dst;
}
#endif

static struct dst_entry *turnrelay_route(struct net *net, struct turnrelay_leg *out)
{
#if IS_ENABLED(CONFIG_IPV6)
	if (out->key.family == AF_INET6)
		return turnrelay_route6(net, out);
#endif
	return turnrelay_route4(net, out);
}

/* Nothing the receive path attached may leak into the new datagram. */
static void turnrelay_scrub(struct sk_buff *skb)
{
	skb_orphan(skb);
	skb_scrub_packet(skb, true); /* dst, conntrack, mark, tstamp, ... */
	memset(skb->cb, 0, sizeof(skb->cb));
	skb_set_queue_mapping(skb, 0);
	__vlan_hwaccel_clear_tag(skb);
	skb->priority = 0;
	skb->encapsulation = 0;
	skb->ip_summed = CHECKSUM_NONE;
	skb->csum_valid = 0;
	skb->csum_level = 0;
}

static int turnrelay_push_ipv4(struct net *net, struct sk_buff *skb,
			       const struct turnrelay_leg *out,
			       struct dst_entry *dst, u8 dsfield)
{
	unsigned int udp_len = skb->len;
	struct iphdr *iph;

	udp_set_csum(false, skb, out->key.local.v4, out->dest.v4, udp_len);
	iph = skb_push(skb, sizeof(*iph));
	skb_reset_network_header(skb);
	iph->version = 4;
	iph->ihl = sizeof(*iph) / 4;
	iph->tos = dsfield & ~INET_ECN_MASK;
	iph->frag_off = htons(IP_DF);
	iph->ttl = ip4_dst_hoplimit(dst);
	iph->protocol = IPPROTO_UDP;
	iph->saddr = out->key.local.v4;
	iph->daddr = out->dest.v4;
	iph->tot_len = htons(skb->len);
	ip_select_ident(net, skb, NULL);
	skb->protocol = htons(ETH_P_IP);
	return ip_local_out(net, NULL, skb);
}

#if IS_ENABLED(CONFIG_IPV6)
static int turnrelay_push_ipv6(struct net *net, struct sk_buff *skb,
			       const struct turnrelay_leg *out,
			       struct dst_entry *dst, u8 dsfield)
{
	unsigned int udp_len = skb->len;
	struct ipv6hdr *ip6h;

	udp6_set_csum(false, skb, &out->key.local.v6, &out->dest.v6, udp_len);
	ip6h = skb_push(skb, sizeof(*ip6h));
	skb_reset_network_header(skb);
	ip6_flow_hdr(ip6h, dsfield & ~INET_ECN_MASK, 0);
	ip6h->payload_len = htons(udp_len);
	ip6h->nexthdr = IPPROTO_UDP;
	ip6h->hop_limit = ip6_dst_hoplimit(dst);
	ip6h->saddr = out->key.local.v6;
	ip6h->daddr = out->dest.v6;
	skb->protocol = htons(ETH_P_IPV6);
	return ip6_local_out(net, NULL, skb);
}
#endif

unsigned int turnrelay_xmit(struct turnrelay_net *tn, struct sk_buff *skb,
			    const struct turnrelay_rx *rx,
			    struct turnrelay_leg *in, unsigned int payload_len)
{
	struct turnrelay_leg *out = turnrelay_leg_other(in);
	unsigned int data_off = rx->udp_off + sizeof(struct udphdr);
	unsigned int ip_len, hdr_len, udp_len, headroom;
	struct net *net = tn->net;
	struct dst_entry *dst;
	struct udphdr *uh;
	int err;

	if (in->key.channel)
		data_off += TURNRELAY_CD_HDR_LEN;
	ip_len = out->key.family == AF_INET ? sizeof(struct iphdr) :
					      sizeof(struct ipv6hdr);
	hdr_len = sizeof(struct udphdr) + (out->key.channel ? TURNRELAY_CD_HDR_LEN : 0);
	udp_len = hdr_len + payload_len;
	if (udp_len + (out->key.family == AF_INET ? ip_len : 0) > 0xFFFF) {
		turnrelay_count(tn, TURNRELAY_STATS_A_PASS_TOO_BIG);
		return NF_ACCEPT;
	}
	dst = turnrelay_route(net, out);
	if (!dst) {
		turnrelay_count(tn, TURNRELAY_STATS_A_PASS_NO_ROUTE);
		return NF_ACCEPT;
	}
	if (ip_len + udp_len > dst_mtu(dst)) {
		dst_release(dst);
		turnrelay_count(tn, TURNRELAY_STATS_A_PASS_TOO_BIG);
		return NF_ACCEPT;
	}
	headroom = LL_RESERVED_SPACE(dst->dev) + ip_len + hdr_len;
	if (skb_cow_head(skb, headroom > data_off ? headroom - data_off : 0)) {
		dst_release(dst);
		turnrelay_count(tn, TURNRELAY_STATS_A_PASS_UNSUPPORTED);
		return NF_ACCEPT;
	}

	/* from here on the skb is ours */
	turnrelay_leg_seen(in, rx->udp_len - sizeof(struct udphdr));
	turnrelay_count(tn, TURNRELAY_STATS_A_FORWARDED);
	if (pskb_trim(skb, data_off + payload_len))
		goto fail;
	__skb_pull(skb, data_off);
	turnrelay_scrub(skb);
	if (out->key.channel)
		turnrelay_channeldata_put(__skb_push(skb, TURNRELAY_CD_HDR_LEN),
					  out->key.channel, payload_len);
	uh = __skb_push(skb, sizeof(*uh));
	skb_reset_transport_header(skb);
	uh->source = out->key.lport;
	uh->dest = out->dport;
	uh->len = htons(udp_len);
	uh->check = 0;
	skb_dst_set(skb, dst);
#if IS_ENABLED(CONFIG_IPV6)
	if (out->key.family == AF_INET6)
		err = turnrelay_push_ipv6(net, skb, out, skb_dst(skb), rx->dsfield);
	else
#endif
		err = turnrelay_push_ipv4(net, skb, out, skb_dst(skb), rx->dsfield);
	if (unlikely(net_xmit_eval(err)))
		goto fail_sent;
	return NF_STOLEN;

fail:
	dst_release(dst);
	kfree_skb(skb);
fail_sent:
	atomic64_inc(&out->errors);
	turnrelay_count(tn, TURNRELAY_STATS_A_TX_ERRORS);
	return NF_STOLEN;
}
