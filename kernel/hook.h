/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hook.h - the netfilter hooks that take matching datagrams in, and the
 * egress that sends them out of the other leg.
 */
#ifndef _TURNRELAY_HOOK_H
#define _TURNRELAY_HOOK_H

#include <linux/skbuff.h>

#include "table.h"

/* One received UDP datagram, as the hook parsed it. */
struct turnrelay_rx {
	struct turnrelay_key key;
	unsigned int udp_off; /* UDP header offset from skb->data */
	unsigned int udp_len; /* from the UDP header, checked */
	u8 dsfield;	      /* DSCP and ECN of the IP header */
};

int turnrelay_hooks_register(struct net *net);
void turnrelay_hooks_unregister(struct net *net);

/*
 * Sends the datagram out of the leg other than in. Returns NF_STOLEN when the
 * skb was consumed, NF_ACCEPT (skb untouched, reason counted) when it stays
 * with the stack. payload_len: bytes after the ChannelData header on a
 * ChannelData leg, else the UDP payload length.
 */
unsigned int turnrelay_xmit(struct turnrelay_net *tn, struct sk_buff *skb,
			    const struct turnrelay_rx *rx,
			    struct turnrelay_leg *in, unsigned int payload_len);

#endif /* _TURNRELAY_HOOK_H */
