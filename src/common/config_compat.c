/*
 * config_compat.c - the coturn options accepted because their effect is
 * this server's behaviour already or because there is nothing here for
 * them to act on, each named once in the log at startup
 * (config_notices()), and the rules between the coturn logging and peer
 * options. The option table and the refused options are in config.c.
 */
#include "common/config_internal.h"
#include "common/log.h"

#include <string.h>
#include <strings.h>

_Static_assert(CONFIG_OPTION_COUNT <= 64 * CONFIG_NOTICE_WORDS,
	       "CONFIG_NOTICE_WORDS in config.h holds a bit per option");

static void config_notice_set(struct config *c, const struct config_option *opt)
{
	size_t i = (size_t)(opt - config_options);

	c->notices[i / 64] |= UINT64_C(1) << (i % 64);
}

static bool config_notice_isset(const struct config *c, size_t i)
{
	return c->notices[i / 64] & (UINT64_C(1) << (i % 64));
}

int config_apply_switch(struct config *c, const struct config_option *opt, bool b, char *err,
			size_t errlen)
{
	if (b != (opt->bare != 0) && opt->refuse) {
		config_errf(err, errlen, "option '%s' set %s is not implemented here: %s", opt->name,
			    b ? "on" : "off", opt->refuse);
		return -1;
	}
	if (opt->kind == CONFIG_BOOL)
		*(bool *)((char *)c + opt->offset) = b != opt->invert;
	if (b == (opt->bare != 0) && opt->notice)
		config_notice_set(c, opt);
	return 0;
}

int config_apply_ignored(struct config *c, const struct config_option *opt, const char *value,
			 char *err, size_t errlen)
{
	struct config_ip ip;
	unsigned int n;
	bool ok;

	switch (opt->accept ? CONFIG_SWITCH : opt->check) {
	case CONFIG_SWITCH:
		ok = strcasecmp(value, opt->accept) == 0;
		break;
	case CONFIG_PORT:
		ok = config_parse_uint(value, 1, 65535, &n) == 0;
		break;
	case CONFIG_UINT:
		ok = config_parse_uint(value, opt->min, opt->max, &n) == 0;
		break;
	case CONFIG_IP:
		ok = config_parse_ip(value, &ip) == 0;
		break;
	default:
		ok = config_text_fits(value);
		break;
	}
	if (!ok) {
		/* never echo a value that may be a secret (cli-password) */
		if (opt->accept)
			config_errf(err, errlen, "bad value '%s' for %s (only %s is implemented: %s)",
				    value, opt->name, opt->accept, opt->refuse);
		else
			config_errf(err, errlen, "bad value for %s (expected %s)", opt->name,
				    opt->arg);
		return -1;
	}
	config_notice_set(c, opt);
	return 0;
}

/* daemon: stderr goes to /dev/null once ready, so its log goes to syslog. */
const char *config_log_destination(const struct config *c)
{
	if (c->syslog || (c->daemon && !c->log_file))
		return "syslog";
	return c->log_file;
}

static bool config_logs_to_stdio(const struct config *c)
{
	const char *dest = config_log_destination(c);

	return !dest || strcmp(dest, "stderr") == 0 || strcmp(dest, "stdout") == 0 ||
	       strcmp(dest, "-") == 0;
}

static bool config_logs_to_syslog(const struct config *c)
{
	const char *dest = config_log_destination(c);

	return dest && strcmp(dest, "syslog") == 0;
}

int config_check_compat(const struct config *c, char *err, size_t errlen)
{
	if (c->no_loopback_peers && c->allow_loopback_peers) {
		config_errf(err, errlen, "no-loopback-peers and allow-loopback-peers contradict");
		return -1;
	}
	if (c->daemon && config_logs_to_stdio(c)) {
		config_errf(err, errlen,
			    "daemon: log-file=%s would be lost (stdio goes to /dev/null): give a "
			    "file or syslog",
			    c->log_file);
		return -1;
	}
	if (c->syslog_facility[0] && log_syslog_facility(c->syslog_facility) < 0) {
		config_errf(err, errlen,
			    "bad value '%s' for syslog-facility (expected LOG_USER, LOG_DAEMON, "
			    "LOG_LOCAL0 to LOG_LOCAL7, ...)",
			    c->syslog_facility);
		return -1;
	}
	if (c->new_log_timestamp_format[0] &&
	    log_timestamp_format_ok(c->new_log_timestamp_format) < 0) {
		config_errf(err, errlen,
			    "bad value for new-log-timestamp-format (a strftime(3) format giving "
			    "1 to %d bytes)",
			    LOG_TIMESTAMP_MAX);
		return -1;
	}
	if (strcmp(c->log_format, "text") != 0 && strcmp(c->log_format, "json") != 0) {
		config_errf(err, errlen, "bad value '%s' for log-format (expected text or json)",
			    c->log_format);
		return -1;
	}
	return 0;
}

void config_notices(const struct config *c,
		    void (*fn)(void *arg, const char *option, const char *text), void *arg)
{
	for (size_t i = 0; i < CONFIG_OPTION_COUNT; i++) {
		const struct config_option *opt = &config_options[i];

		if (!config_notice_isset(c, i))
			continue;
		/* a later option may have changed the field: software-attribute, then its no- */
		if (opt->kind == CONFIG_BOOL &&
		    (*(const bool *)((const char *)c + opt->offset) != opt->invert) !=
			(opt->bare != 0))
			continue;
		fn(arg, opt->name, opt->notice);
	}
	/* options that the others leave without effect */
	if (c->syslog && c->log_file)
		fn(arg, "log-file", "not used: syslog sends the log lines to syslog");
	if (c->syslog_facility[0] && !config_logs_to_syslog(c))
		fn(arg, "syslog-facility",
		   "no effect: log lines do not go to syslog (set syslog or log-file=syslog)");
	if (c->new_log_timestamp_format[0] && config_logs_to_syslog(c))
		fn(arg, "new-log-timestamp-format", "no effect: syslog stamps the lines itself");
	if (c->log_binding && !c->verbose)
		fn(arg, "log-binding", "no effect without verbose: Binding requests are logged "
				       "only in verbose mode");
	if (c->stun_backward_compatibility && c->no_stun)
		fn(arg, "stun-backward-compatibility", "no effect: no-stun answers no Binding request");
}
