/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netlink.h - the turnrelay generic netlink family and its events.
 */
#ifndef _TURNRELAY_NETLINK_H
#define _TURNRELAY_NETLINK_H

#include "table.h"

int turnrelay_genl_init(void);
void turnrelay_genl_uninit(void);

/* Multicast events; return 0 when sent or nobody listens. */
int turnrelay_nl_event_idle(struct turnrelay_net *tn, struct turnrelay_entry *e,
			    gfp_t gfp);
int turnrelay_nl_event_source(struct turnrelay_net *tn, struct turnrelay_leg *leg,
			      u16 family, const union turnrelay_ip *src,
			      __be16 sport);

#endif /* _TURNRELAY_NETLINK_H */
