/*
 * relay_engine_turnrelay.c - the turnrelay engine: relay_engine_ops over
 * the src/offload netlink client, one relay_offload handle per owning
 * thread.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "relay/relay_engine.h"

/*
 * Usable: the module answers HELLO with our ABI version (open checks it),
 * and we may add entries: FLUSH of this socket's entries (none yet) needs
 * the same CAP_NET_ADMIN as ADD and changes nothing.
 */
static int turnrelay_probe(char *why, size_t why_len)
{
	struct relay_offload *ro;
	int ret = relay_offload_open(&ro, why, why_len);

	if (ret < 0)
		return ret;
	ret = relay_offload_flush(ro, false);
	if (ret == -EPERM)
		snprintf(why, why_len,
			 "turnrelay module loaded (%s) but turnserver lacks CAP_NET_ADMIN "
			 "to program it (run as root or grant CAP_NET_ADMIN)",
			 relay_offload_info(ro)->version);
	else if (ret < 0)
		snprintf(why, why_len, "turnrelay module: %s", relay_offload_error(ro));
	else
		snprintf(why, why_len, "turnrelay module %s answers with ABI %u",
			 relay_offload_info(ro)->version, relay_offload_info(ro)->abi_version);
	relay_offload_close(ro);
	return ret;
}

static int turnrelay_open(void **h, char *err, size_t err_len)
{
	struct relay_offload *ro;
	int ret = relay_offload_open(&ro, err, err_len);

	if (ret == 0)
		*h = ro;
	return ret;
}

static void turnrelay_close(void *h)
{
	relay_offload_close(h);
}

static int turnrelay_add(void *h, const struct relay_entry *e)
{
	return relay_offload_add(h, e);
}

static int turnrelay_del(void *h, uint64_t id, struct relay_entry *last)
{
	int ret;

	if (!last)
		return relay_offload_del(h, id);
	last->id = 0;
	if (!(relay_offload_info(h)->features & TURNRELAY_FEATURE_DEL_COUNTERS))
		return relay_offload_del(h, id);
	ret = relay_offload_del_counters(h, id, last);
	if (ret < 0)
		last->id = 0;
	return ret;
}

static uint64_t turnrelay_features(void *h)
{
	return relay_offload_info(h)->features;
}

static int turnrelay_dump(void *h, relay_entry_cb cb, void *arg)
{
	return relay_offload_dump(h, cb, arg);
}

const struct relay_engine_ops relay_engine_turnrelay = {
    .name = "turnrelay",
    .probe = turnrelay_probe,
    .open = turnrelay_open,
    .close = turnrelay_close,
    .add = turnrelay_add,
    .del = turnrelay_del,
    .dump = turnrelay_dump,
    .features = turnrelay_features,
};
