/*
 * config_reload.c - what SIGHUP may change in a running server
 * (src/server/reload.c): which options a reload applies, which options
 * differ between the running configuration and a newly read one, and
 * moving a reloadable option's value into the running configuration.
 */
#include "common/config_internal.h"

#include <string.h>

/*
 * Applied by a reload: users and secrets, quotas and caps, the peer policy
 * (with whether the user store adds to it and to the quotas), the
 * alternate servers and the log. Every other option keeps its running
 * value until a restart (listeners, relay range, threads, TLS files: SIGUSR2,
 * the anchor, ...).
 */
static const char *const config_reload_options[] = {
    "user",
    "static-auth-secret",
    "rest-api-separator",
    "user-quota",
    "total-quota",
    "max-bps",
    "bps-capacity",
    "max-allocations",
    "user-port-share",
    "ip-port-share",
    "max-tcp-connections",
    "max-tcp-connections-per-ip",
    "max-unauth-connections-per-ip",
    "unauth-req-rate",
    "allowed-peer-ip",
    "denied-peer-ip",
    "allow-loopback-peers",
    "no-multicast-peers",
    "no-loopback-peers",
    "no-dynamic-ip-list",
    "no-dynamic-realms",
    "alternate-server",
    "tls-alternate-server",
    "log-file",
    "syslog",
    "verbose",
    "Verbose",
};

bool config_reloadable(const char *option)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_reload_options); i++)
		if (strcmp(config_reload_options[i], option) == 0)
			return true;
	return false;
}

static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The address, not its spelling: "192.0.2.1" is "192.0.2.1:3478" in alternate-server. */
static bool ip_same(const struct config_ip *a, const struct config_ip *b)
{
	return a->addr_len == b->addr_len && memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}

/* Bytes of one entry of a repeatable option's array. */
static size_t entry_size(enum config_kind kind)
{
	switch (kind) {
	case CONFIG_IP:
	case CONFIG_ALTERNATE:
		return sizeof(struct config_ip);
	case CONFIG_EXTERNAL_IP:
		return sizeof(struct config_external_ip);
	case CONFIG_USER:
		return sizeof(struct config_user);
	default:
		return sizeof(char *);
	}
}

static bool entry_same(enum config_kind kind, const void *a, const void *b)
{
	const struct config_external_ip *ea = a, *eb = b;
	const struct config_user *ua = a, *ub = b;

	switch (kind) {
	case CONFIG_IP:
	case CONFIG_ALTERNATE:
		return ip_same(a, b);
	case CONFIG_EXTERNAL_IP:
		return ip_same(&ea->public_ip, &eb->public_ip) &&
		       ea->has_private == eb->has_private &&
		       (!ea->has_private || ip_same(&ea->private_ip, &eb->private_ip));
	case CONFIG_USER:
		return str_same(ua->name, ub->name) && str_same(ua->password, ub->password) &&
		       ua->is_key == ub->is_key;
	default:
		return str_same(*(char *const *)a, *(char *const *)b);
	}
}

/* Does opt hold the same value in a and b? Options without a field always do. */
static bool option_same(const struct config_option *opt, const struct config *a,
			const struct config *b)
{
	const char *fa = (const char *)a + opt->offset, *fb = (const char *)b + opt->offset;

	if (config_is_list(opt)) {
		size_t n = *(const size_t *)((const char *)a + opt->count_offset);
		size_t step = entry_size(opt->kind);

		if (n != *(const size_t *)((const char *)b + opt->count_offset))
			return false;
		for (size_t i = 0; i < n; i++)
			if (!entry_same(opt->kind, fa + i * step, fb + i * step))
				return false;
		return true;
	}
	switch (opt->kind) {
	case CONFIG_BOOL:
		return *(const bool *)fa == *(const bool *)fb;
	case CONFIG_PORT:
		return *(const uint16_t *)fa == *(const uint16_t *)fb;
	case CONFIG_UINT:
		return *(const unsigned int *)fa == *(const unsigned int *)fb;
	case CONFIG_VERBOSE:
		return *(const int *)fa == *(const int *)fb;
	case CONFIG_TEXT:
		return strcmp(fa, fb) == 0;
	case CONFIG_PATH:
	case CONFIG_STRING:
		if (opt->size)
			return strcmp(fa, fb) == 0;
		return str_same(*(char *const *)fa, *(char *const *)fb);
	case CONFIG_ADDR:
		return ip_same((const struct config_ip *)fa, (const struct config_ip *)fb);
	default: /* SWITCH, IGNORED: no field */
		return true;
	}
}

/* An earlier option of the table with the same field (db and userdb, -v and -V). */
static bool option_is_alias(const struct config_option *opt)
{
	if (opt->kind == CONFIG_SWITCH || opt->kind == CONFIG_IGNORED)
		return false;
	for (const struct config_option *o = config_options; o < opt; o++)
		if (o->offset == opt->offset && o->kind != CONFIG_SWITCH &&
		    o->kind != CONFIG_IGNORED)
			return true;
	return false;
}

size_t config_diff(const struct config *old, const struct config *new,
		   void (*fn)(void *arg, const char *option, bool reloadable), void *arg)
{
	size_t n = 0;

	for (size_t i = 0; i < CONFIG_OPTION_COUNT; i++) {
		const struct config_option *opt = &config_options[i];

		if (option_is_alias(opt) || option_same(opt, old, new))
			continue;
		fn(arg, opt->name, config_reloadable(opt->name));
		n++;
	}
	return n;
}

static void swap_bytes(void *a, void *b, size_t len)
{
	unsigned char *x = a, *y = b, t;

	for (size_t i = 0; i < len; i++) {
		t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

/* Bytes of opt's field (a list: its array), for the kinds config_swap_option() takes. */
static size_t field_size(const struct config_option *opt)
{
	if (config_is_list(opt))
		return opt->size * entry_size(opt->kind);
	switch (opt->kind) {
	case CONFIG_BOOL:
		return sizeof(bool);
	case CONFIG_UINT:
		return sizeof(unsigned int);
	case CONFIG_VERBOSE:
		return sizeof(int);
	case CONFIG_TEXT:
		return opt->size;
	case CONFIG_PATH:
	case CONFIG_STRING:
		return opt->size ? opt->size : sizeof(char *);
	default:
		return 0;
	}
}

int config_swap_option(struct config *live, struct config *new, const char *option)
{
	const struct config_option *opt = config_find(option);
	size_t len;

	if (!opt || !config_reloadable(option))
		return -1;
	len = field_size(opt);
	if (!len)
		return -1;
	swap_bytes((char *)live + opt->offset, (char *)new + opt->offset, len);
	if (config_is_list(opt))
		swap_bytes((char *)live + opt->count_offset, (char *)new + opt->count_offset,
			   sizeof(size_t));
	return 0;
}

struct config_notice_filter {
	const struct config *old;
	void (*fn)(void *arg, const char *option, const char *text);
	void *arg;
};

static void notice_if_new(void *arg, const char *option, const char *text)
{
	struct config_notice_filter *f = arg;
	const struct config_option *opt = config_find(option);

	/* the table's notices by bit; the others (log-file under syslog, ...) by text */
	if (opt && opt->notice == text) {
		size_t i = (size_t)(opt - config_options);

		if (f->old->notices[i / 64] & (UINT64_C(1) << (i % 64)))
			return;
	}
	f->fn(f->arg, option, text);
}

void config_notices_new(const struct config *old, const struct config *new,
			void (*fn)(void *arg, const char *option, const char *text), void *arg)
{
	struct config_notice_filter f = {old, fn, arg};

	config_notices(new, notice_if_new, &f);
}
