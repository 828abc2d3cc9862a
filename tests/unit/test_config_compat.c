/*
 * test_config_compat.c - the coturn options accepted because their effect
 * is this server's behaviour (src/common/config_compat.c): each is named
 * once in a notice, never with its value; the value that needs what is not
 * implemented is refused by name; the logging options with coturn's
 * meaning; the opt-in spellings of coturn 4.17; no-multicast-peers and
 * no-loopback-peers keeping allowed-peer-ip from opening those classes.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/config.h"
#include "common/config_internal.h" /* config_check */
#include "relay/peer_policy.h"

#include "config_fixture.h"

/* Each "key" or "key=value" in turn, as config file lines are applied; then config_check. */
static int set_all(struct fixture *f, const char *const *opts)
{
	char key[128];

	f->err[0] = '\0';
	for (; *opts; opts++) {
		const char *eq = strchr(*opts, '=');
		size_t len = eq ? (size_t)(eq - *opts) : strlen(*opts);

		snprintf(key, sizeof(key), "%.*s", (int)len, *opts);
		if (config_set(&f->c, key, eq ? eq + 1 : NULL, f->err, sizeof(f->err)) < 0)
			return -1;
	}
	return config_check(&f->c, f->err, sizeof(f->err));
}

/* config_init() again, as for a new run. */
static void reset(struct fixture *f)
{
	config_free(&f->c);
	config_init(&f->c);
}

static void collect(void *arg, const char *option, const char *text)
{
	struct fixture *f = arg;
	size_t n = strlen(f->notices);

	snprintf(f->notices + n, sizeof(f->notices) - n, "%s: %s\n", option, text);
}

static const char *notices(struct fixture *f)
{
	f->notices[0] = '\0';
	config_notices(&f->c, collect, f);
	return f->notices;
}

static void assert_contains(const char *hay, const char *part)
{
	if (!strstr(hay, part))
		fail_msg("'%s' does not contain '%s'", hay, part);
}

static int count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, prefix, strlen(prefix)) == 0)
			n++;
	return n;
}

static void test_issue_sample_peers_options_accepted_with_one_notice_each(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = {"no-multicast-peers", "no-loopback-peers", "no-multicast-peers=yes",
			      NULL};
	const char *n;

	assert_int_equal(set_all(f, opts), 0);
	assert_true(f->c.no_multicast_peers);
	assert_true(f->c.no_loopback_peers);
	assert_false(f->c.allow_loopback_peers);
	n = notices(f);
	assert_int_equal(count_lines_starting(n, "no-multicast-peers: multicast, reserved and "
						 "broadcast peers (224.0.0.0 and up, ff00::/8) "
						 "are refused by default here"),
			 1);
	assert_int_equal(count_lines_starting(n, "no-loopback-peers: loopback peers are refused "
						 "by default here"),
			 1);
}

static void test_no_options_no_notices(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = {"fingerprint", "realm=example.org", "allow-loopback-peers", NULL};

	assert_int_equal(set_all(f, opts), 0);
	assert_string_equal(notices(f), "");
}

static void test_defaults_named_by_coturn_are_noticed(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = {"no-stdout-log",
			      "simple-log",
			      "new-log-timestamp",
			      "no-rfc5780",
			      "rfc5780=off",
			      "response-origin-only-with-rfc5780",
			      "no-stun-backward-compatibility",
			      "software-attribute",
			      "allocation-default-address-family=IPv4",
			      "server-name=turn.example.org",
			      "no-cli",
			      "cli=no",
			      "cli-ip=127.0.0.1",
			      "cli-port=5766",
			      "cli-password=Sup3rS3cret",
			      "cli-max-output-sessions=256",
			      "no-auth-pings",
			      "no-dynamic-ip-list",
			      "no-dynamic-realms",
			      NULL};
	const char *names[] = {"no-stdout-log",
			       "simple-log",
			       "new-log-timestamp",
			       "no-rfc5780",
			       "rfc5780",
			       "response-origin-only-with-rfc5780",
			       "no-stun-backward-compatibility",
			       "software-attribute",
			       "allocation-default-address-family",
			       "server-name",
			       "no-cli",
			       "cli",
			       "cli-ip",
			       "cli-port",
			       "cli-password",
			       "cli-max-output-sessions",
			       "no-auth-pings",
			       "no-dynamic-ip-list",
			       "no-dynamic-realms"};
	const char *n;
	char want[80];

	assert_int_equal(set_all(f, opts), 0);
	n = notices(f);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		snprintf(want, sizeof(want), "%s: ", names[i]);
		if (count_lines_starting(n, want) != 1)
			fail_msg("no single notice for %s in:\n%s", names[i], n);
	}
	assert_contains(n, "cli-password: there is no telnet CLI here");
	assert_null(strstr(n, "Sup3rS3cret"));
	assert_null(strstr(n, "5766"));
	/* the defaults stay as they were */
	assert_false(f->c.no_software_attribute);
	assert_false(f->c.stun_backward_compatibility);
}

static void test_values_needing_what_is_missing_are_refused_by_name(void **state)
{
	static const struct {
		const char *opt, *part;
	} cases[] = {
	    {"response-origin-only-with-rfc5780=false", "RESPONSE-ORIGIN belongs to RFC 5780"},
	    {"cli", "option 'cli' set on is not implemented here: there is no telnet CLI"},
	    {"no-cli=0", "option 'no-cli' set off is not implemented here"},
	    {"no-multicast-peers=no", "unless allowed-peer-ip names them"},
	    {"no-loopback-peers=off", "opened by allow-loopback-peers"},
	    {"no-stdout-log=no", "log-file=stdout"},
	    {"simple-log=no", "logrotate"},
	    {"new-log-timestamp=no", "always carry ISO 8601"},
	    {"allocation-default-address-family=ipv6",
	     "bad value 'ipv6' for allocation-default-address-family (only ipv4"},
	    {"allocation-default-address-family=keep", "only ipv4 is implemented"},
	    {"cli-port=0", "bad value for cli-port"},
	    {"cli-ip=localhost", "bad value for cli-ip"},
	    {"cli-max-output-sessions=-1", "bad value for cli-max-output-sessions"},
	    {"secure-stun", "option 'secure-stun' is a coturn option not implemented yet"},
	    {"keep-address-family", "not implemented yet; an Allocate gets the family"},
	    {"alternate-server=not-an-ip", "bad value 'not-an-ip' for alternate-server"},
	    {"tls-alternate-server=[::1]:0", "bad value '[::1]:0' for tls-alternate-server"},
	    {"respond-http-unsupported", "option 'respond-http-unsupported' is a coturn option"},
	    {"sql-userdb=host=x", "option 'sql-userdb' is a coturn option not implemented yet"},
	    {"no_dtls", "option 'no_dtls' is a coturn option not implemented yet"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = *state;
		const char *opts[] = {cases[i].opt, NULL};

		reset(f);
		if (set_all(f, opts) == 0)
			fail_msg("%s accepted", cases[i].opt);
		if (!strstr(f->err, cases[i].part))
			fail_msg("%s: error '%s' lacks '%s'", cases[i].opt, f->err, cases[i].part);
	}
}

static void test_cli_password_never_echoed(void **state)
{
	struct fixture *f = *state;
	char long_pw[200];

	memset(long_pw, 'p', sizeof(long_pw) - 1);
	long_pw[sizeof(long_pw) - 1] = '\0';
	assert_int_equal(config_set(&f->c, "cli-password", long_pw, f->err, sizeof(f->err)), -1);
	assert_contains(f->err, "bad value for cli-password");
	assert_null(strstr(f->err, "pppp"));
	assert_int_equal(config_set(&f->c, "cli-password", "a\x01secret", f->err, sizeof(f->err)),
			 -1);
	assert_null(strstr(f->err, "secret"));
}

static void test_no_loopback_peers_contradicts_allow_loopback_peers(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = {"no-loopback-peers", "allow-loopback-peers", NULL};

	assert_int_equal(set_all(f, opts), -1);
	assert_string_equal(f->err, "no-loopback-peers and allow-loopback-peers contradict");
}

static void test_software_attribute_opt_in_and_its_no(void **state)
{
	struct fixture *f = *state;
	const char *off[] = {"software-attribute=no", NULL};
	const char *later[] = {"software-attribute", "no-software-attribute", NULL};

	assert_int_equal(set_all(f, off), 0);
	assert_true(f->c.no_software_attribute);
	assert_string_equal(notices(f), "");
	reset(f);
	assert_int_equal(set_all(f, later), 0);
	assert_true(f->c.no_software_attribute);
	/* the notice follows the final value, not the line that set it once */
	assert_null(strstr(notices(f), "software-attribute"));
}

/* coturn 4.17's opt-in dtls: the default here (a notice); dtls=no is no-dtls */
static void test_dtls_opt_in_and_its_no(void **state)
{
	struct fixture *f = *state;
	const char *on[] = {"dtls", NULL};
	const char *off[] = {"dtls=no", NULL};

	assert_int_equal(set_all(f, on), 0);
	assert_false(f->c.no_dtls);
	assert_non_null(strstr(notices(f), "DTLS is on with a certificate here"));
	reset(f);
	assert_int_equal(set_all(f, off), 0);
	assert_true(f->c.no_dtls);
	assert_string_equal(notices(f), "");
}

static void test_coturn_other_names(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = {"db=/tmp/x/turndb", "prod", NULL};

	assert_int_equal(set_all(f, opts), 0);
	assert_string_equal(f->c.userdb, "/tmp/x/turndb");
	assert_true(f->c.no_software_attribute);
	assert_string_equal(notices(f), "");
}

static void test_stun_backward_compatibility_both_spellings(void **state)
{
	struct fixture *f = *state;
	const char *on[] = {"stun-backward-compatibility", NULL};
	const char *no_no[] = {"no-stun-backward-compatibility=no", NULL};
	const char *flip[] = {"no-stun-backward-compatibility", "stun-backward-compatibility=on",
			      NULL};

	assert_int_equal(set_all(f, on), 0);
	assert_true(f->c.stun_backward_compatibility);
	assert_string_equal(notices(f), "");
	reset(f);
	assert_int_equal(set_all(f, no_no), 0);
	assert_true(f->c.stun_backward_compatibility);
	reset(f);
	assert_int_equal(set_all(f, flip), 0);
	assert_true(f->c.stun_backward_compatibility);
	assert_string_equal(notices(f), "");
}

static void test_syslog_is_log_file_syslog(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = {"log-file=/var/log/turn.log", "syslog", "syslog-facility=LOG_LOCAL1",
			      NULL};

	assert_null(config_log_destination(&f->c));
	assert_int_equal(set_all(f, opts), 0);
	assert_string_equal(config_log_destination(&f->c), "syslog");
	assert_contains(notices(f), "log-file: not used: syslog sends the log lines to syslog");
	assert_null(strstr(f->notices, "syslog-facility"));
}

/* A new run with log-file=syslog and syslog-facility=name. */
static int set_facility(struct fixture *f, const char *name)
{
	char line[64];
	const char *opts[] = {"log-file=syslog", line, NULL};

	reset(f);
	snprintf(line, sizeof(line), "syslog-facility=%s", name);
	return set_all(f, opts);
}

static void test_syslog_facility_names(void **state)
{
	static const char *good[] = {"LOG_LOCAL1", "local7", "Daemon", "LOG_user", "LOG_AUTHPRIV"};
	static const char *bad[] = {"LOG_LOCAL8", "local", "LOG_", "kernel", "17"};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		if (set_facility(f, good[i]) < 0)
			fail_msg("%s refused: %s", good[i], f->err);
		assert_string_equal(notices(f), "");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (set_facility(f, bad[i]) == 0)
			fail_msg("%s accepted", bad[i]);
		assert_contains(f->err, "for syslog-facility (expected LOG_USER");
	}
}

static void test_logging_options_without_effect_say_so(void **state)
{
	struct fixture *f = *state;
	const char *opts[] = {"syslog-facility=local2", "log-binding", NULL};
	const char *syslog_fmt[] = {"syslog", "new-log-timestamp-format=%s", NULL};
	const char *n;

	assert_int_equal(set_all(f, opts), 0);
	n = notices(f);
	assert_contains(n, "syslog-facility: no effect: log lines do not go to syslog");
	assert_contains(n, "log-binding: no effect without verbose");
	reset(f);
	assert_int_equal(set_all(f, syslog_fmt), 0);
	assert_contains(notices(f), "new-log-timestamp-format: no effect: syslog stamps");
}

static void test_timestamp_format_checked(void **state)
{
	struct fixture *f = *state;
	const char *good[] = {"new-log-timestamp-format=%FT%T%z", NULL};
	const char *too_long[] = {"new-log-timestamp-format=%c %c %c %c %c", NULL};

	assert_int_equal(set_all(f, good), 0);
	assert_string_equal(f->c.new_log_timestamp_format, "%FT%T%z");
	assert_string_equal(notices(f), "");
	assert_int_equal(set_all(f, too_long), -1);
	assert_contains(f->err, "bad value for new-log-timestamp-format (a strftime(3) format");
}

/* 127.0.0.1, 224.0.0.251, ff02::fb */
static enum peer_verdict verdict(const struct peer_policy *p, int family, const char *ip)
{
	struct sockaddr_storage ss = {0};

	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(5004);
		assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(5004);
		assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	}
	return peer_policy_check(p, (const struct sockaddr *)&ss);
}

static void test_strict_classes_keep_allowed_peer_ip_out(void **state)
{
	const char *allowed[] = {"127.0.0.0/8", "224.0.0.0/3", "ff00::/8", "::ffff:127.0.0.1"};
	struct peer_policy p;
	char err[128];

	(void)state;
	assert_int_equal(peer_policy_init(&p, false, allowed, 4, NULL, 0, err, sizeof(err)), 0);
	/* without coturn's options, allowed-peer-ip opens them */
	assert_int_equal(verdict(&p, AF_INET, "127.0.0.1"), PEER_ALLOWED);
	assert_int_equal(verdict(&p, AF_INET, "224.0.0.251"), PEER_ALLOWED);
	assert_int_equal(verdict(&p, AF_INET, "240.0.0.1"), PEER_ALLOWED);
	assert_int_equal(verdict(&p, AF_INET, "255.255.255.255"), PEER_ALLOWED);
	assert_int_equal(verdict(&p, AF_INET6, "ff02::fb"), PEER_ALLOWED);
	/* coturn: "224.0.0.0 and above, and FFXX:*" */
	p.strict_multicast = true;
	assert_int_equal(verdict(&p, AF_INET, "224.0.0.251"), PEER_DENIED_MULTICAST);
	assert_int_equal(verdict(&p, AF_INET, "240.0.0.1"), PEER_DENIED_RESERVED);
	assert_int_equal(verdict(&p, AF_INET, "255.255.255.255"), PEER_DENIED_BROADCAST);
	assert_int_equal(verdict(&p, AF_INET6, "ff02::fb"), PEER_DENIED_MULTICAST);
	assert_int_equal(verdict(&p, AF_INET6, "::ffff:224.0.0.251"), PEER_DENIED_MULTICAST);
	assert_int_equal(verdict(&p, AF_INET, "127.0.0.1"), PEER_ALLOWED);
	p.strict_loopback = true;
	assert_int_equal(verdict(&p, AF_INET, "127.0.0.1"), PEER_DENIED_LOOPBACK);
	assert_int_equal(verdict(&p, AF_INET6, "::ffff:127.0.0.1"), PEER_DENIED_LOOPBACK);
	/* ordinary public peers are untouched */
	assert_int_equal(verdict(&p, AF_INET, "198.51.100.7"), PEER_ALLOWED);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
	    T(test_issue_sample_peers_options_accepted_with_one_notice_each),
	    T(test_no_options_no_notices),
	    T(test_defaults_named_by_coturn_are_noticed),
	    T(test_values_needing_what_is_missing_are_refused_by_name),
	    T(test_cli_password_never_echoed),
	    T(test_no_loopback_peers_contradicts_allow_loopback_peers),
	    T(test_software_attribute_opt_in_and_its_no),
	    T(test_dtls_opt_in_and_its_no),
	    T(test_coturn_other_names),
	    T(test_stun_backward_compatibility_both_spellings),
	    T(test_syslog_is_log_file_syslog),
	    T(test_syslog_facility_names),
	    T(test_logging_options_without_effect_say_so),
	    T(test_timestamp_format_checked),
	    cmocka_unit_test(test_strict_classes_keep_allowed_peer_ip_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
