/* SPDX-License-Identifier: GPL-2.0 */
/*
 * compat.h - the few kernel API differences between 5.10 and 6.x that the
 * module meets. Everything else it uses is stable over that range.
 */
#ifndef _TURNRELAY_COMPAT_H
#define _TURNRELAY_COMPAT_H

#include <linux/version.h>
#include <net/genetlink.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 10, 0)
#error "turnrelay needs Linux 5.10 or later"
#endif

/*
 * Joining a multicast group can be restricted to CAP_NET_ADMIN since 6.7
 * (backported to some stable series, Debian's 6.1 among them); without it,
 * anyone in the network namespace may listen to the events.
 */
#ifdef GENL_MCAST_CAP_NET_ADMIN
#define TURNRELAY_MCGRP(grp) { .name = grp, .flags = GENL_MCAST_CAP_NET_ADMIN }
#else
#define TURNRELAY_MCGRP(grp) { .name = grp }
#endif

#endif /* _TURNRELAY_COMPAT_H */
