// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - module init and exit, and the per network namespace state:
 * created with the namespace, its hooks registered with its first entry,
 * everything freed when the namespace or the module goes.
 */
#include <linux/module.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "compat.h"
#include "hook.h"
#include "netlink.h"
#include "table.h"

unsigned int turnrelay_max_entries __read_mostly = 262144;
module_param_named(max_entries, turnrelay_max_entries, uint, 0644);
MODULE_PARM_DESC(max_entries, "entries allowed per network namespace");

unsigned int turnrelay_net_id __read_mostly;

static int __net_init turnrelay_net_init(struct net *net)
{
	struct turnrelay_net *tn = turnrelay_net(net);
	int err;

	tn->net = net;
	tn->stats = alloc_percpu(struct turnrelay_stats);
	if (!tn->stats)
		return -ENOMEM;
	err = turnrelay_table_init(tn);
	if (err)
		free_percpu(tn->stats);
	return err;
}

static void __net_exit turnrelay_net_exit(struct net *net)
{
	struct turnrelay_net *tn = turnrelay_net(net);

	if (tn->hooks_registered)
		turnrelay_hooks_unregister(net);
	turnrelay_table_exit(tn);
	free_percpu(tn->stats);
}

static struct pernet_operations turnrelay_net_ops = {
	.init = turnrelay_net_init,
	.exit = turnrelay_net_exit,
	.id = &turnrelay_net_id,
	.size = sizeof(struct turnrelay_net),
};

static int __init turnrelay_init(void)
{
	int err;

	err = register_pernet_subsys(&turnrelay_net_ops);
	if (err)
		return err;
	err = turnrelay_genl_init();
	if (err)
		goto fail;
	pr_info("turnrelay " TURNRELAY_MODULE_VERSION " loaded (ABI %d)\n",
		TURNRELAY_ABI_VERSION);
	return 0;

fail:
	unregister_pernet_subsys(&turnrelay_net_ops);
	return err;
}

static void __exit turnrelay_exit(void)
{
	turnrelay_genl_uninit();
	unregister_pernet_subsys(&turnrelay_net_ops);
	rcu_barrier(); /* entries freed by call_rcu */
}

module_init(turnrelay_init);
module_exit(turnrelay_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Kernel forwarding of TURN ChannelData and anchored UDP media");
MODULE_VERSION(TURNRELAY_MODULE_VERSION);
MODULE_ALIAS_GENL_FAMILY(TURNRELAY_GENL_NAME);
