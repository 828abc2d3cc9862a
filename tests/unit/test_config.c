/*
 * test_config.c - config file and command-line parsing (src/common/config.c):
 * the three line forms, coturn's quoting (and the slips refused instead of
 * misread), command line over file, refusal of unknown and of
 * not-yet-implemented coturn options, value checks, hostile file contents,
 * and the sample etc/turnserver.conf (tests run from the repository root).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/addr.h"
#include "common/config.h"

#include "config_fixture.h"

#define SAMPLE_CONFIG "etc/turnserver.conf"

/* Write len bytes to a fresh temp file whose name lands in f->path. */
static void write_file(struct fixture *f, const char *data, size_t len)
{
	int fd;

	if (f->path[0])
		unlink(f->path);
	strcpy(f->path, "/tmp/test_config_XXXXXX");
	fd = mkstemp(f->path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int load(struct fixture *f, const char *text)
{
	write_file(f, text, strlen(text));
	f->err[0] = '\0';
	return config_load_file(&f->c, f->path, f->err, sizeof(f->err));
}

/* Run config_parse_args on a NULL-terminated list of flags. */
static int parse(struct fixture *f, ...)
{
	char *argv[32] = {"turnserver"};
	int argc = 1;
	va_list ap;

	va_start(ap, f);
	while ((argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	f->err[0] = '\0';
	return config_parse_args(&f->c, argc, argv, f->err, sizeof(f->err));
}

/* err is "PATH:LINE: rest" for the fixture's temp file. */
static void assert_file_error(const struct fixture *f, int line, const char *rest)
{
	char want[600];

	snprintf(want, sizeof(want), "%s:%d: %s", f->path, line, rest);
	assert_string_equal(f->err, want);
}

/* Loading text fails with "PATH:LINE: rest". */
static void load_refused(struct fixture *f, const char *text, int line, const char *rest)
{
	assert_int_equal(load(f, text), -1);
	assert_file_error(f, line, rest);
}

static void assert_err_contains(const struct fixture *f, const char *part)
{
	if (!strstr(f->err, part))
		fail_msg("error '%s' does not contain '%s'", f->err, part);
}

/* Loading text fails with an error that contains part. */
static void load_refused_naming(struct fixture *f, const char *text, const char *part)
{
	assert_int_equal(load(f, text), -1);
	assert_err_contains(f, part);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;
	const struct config *c = &f->c;

	assert_int_equal(c->listening_port, 3478);
	assert_int_equal(c->listening_ip_count, 0);
	assert_int_equal(c->min_port, 49152);
	assert_int_equal(c->max_port, 65535);
	assert_string_equal(c->realm, "");
	assert_true(c->lt_cred_mech);
	assert_string_equal(c->userdb, CONFIG_DEFAULT_USERDB);
	assert_false(c->fingerprint);
	assert_int_equal(c->stale_nonce, 600);
	assert_int_equal(c->max_allocate_lifetime, 3600);
	assert_int_equal(c->channel_lifetime, 600);
	assert_int_equal(c->permission_lifetime, 300);
	assert_int_equal(c->relay_threads, 0);
	assert_null(c->log_file);
	assert_null(c->pidfile);
	assert_null(c->config_file);
	assert_int_equal(c->verbose, 0);
	assert_string_equal(c->software_name, "turnserver");
	assert_int_equal(c->anchor_ng_cache_time, 60);
}

static void test_file_accepts_all_line_forms(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "# comment\n"
				 "\n"
				 "   \t\n"
				 "listening-port=3479\n"
				 "  min-port 50000  \n"
				 "max-port = 50010\n"
				 "--realm=example.org\n"
				 "--fingerprint\n"
				 "\tallow-loopback-peers\t\n"
				 "user=alice:pa#ss word\n"
				 "lt-cred-mech=no\n"
				 "   # indented comment\n"
				 "relay-threads=4"),
			 0);
	assert_int_equal(f->c.listening_port, 3479);
	assert_int_equal(f->c.min_port, 50000);
	assert_int_equal(f->c.max_port, 50010);
	assert_string_equal(f->c.realm, "example.org");
	assert_true(f->c.fingerprint);
	assert_true(f->c.allow_loopback_peers);
	assert_string_equal(f->c.user[0].password, "pa#ss word");
	assert_false(f->c.lt_cred_mech);
	assert_int_equal(f->c.relay_threads, 4);
	assert_string_equal(f->c.config_file, f->path);
}

static void test_crlf_and_bom_accepted(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "\xef\xbb\xbfrealm=r\xc3\xa9seau\r\nno-tcp\r\n"), 0);
	assert_string_equal(f->c.realm, "r\xc3\xa9seau");
	assert_true(f->c.no_tcp);
}

static void test_empty_file_keeps_defaults(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, ""), 0);
	assert_int_equal(f->c.listening_port, 3478);
	assert_true(f->c.lt_cred_mech);
}

static void test_missing_file_names_path(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_load_file(&f->c, "/nonexistent/turn.conf", f->err, sizeof(f->err)),
			 -1);
	assert_err_contains(f, "/nonexistent/turn.conf: ");
	assert_int_equal(parse(f, "-c", "/nonexistent/turn.conf", NULL), -1);
	assert_err_contains(f, "/nonexistent/turn.conf: ");
}

static void test_unknown_option_reports_line_number(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "listening-port=3478\n# x\n\nfoo=1\n", 4, "unknown option 'foo'");
	assert_int_equal(parse(f, "--foo", NULL), -1);
	assert_string_equal(f->err, "--foo: unknown option");
	assert_int_equal(parse(f, "-Z", NULL), -1);
	assert_string_equal(f->err, "-Z: unknown option");
	/* Keys are case-sensitive, as in coturn. */
	load_refused(f, "Listening-Port=1\n", 1, "unknown option 'Listening-Port'");
}

static void test_refuses_unimplemented_coturn_option(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "realm=x\n\n\n\n\n\n\n\n\n\n\nacme-redirect=x\n", 12,
		     "option 'acme-redirect' is a coturn option not implemented yet");
	load_refused_naming(f, "secret-key-file=/k\n",
			    "'secret-key-file' is a coturn option not implemented yet");
	load_refused_naming(f, "no-auth\n", "'no-auth' is a coturn option not implemented yet");
	assert_int_equal(parse(f, "--prometheus-username-labels", NULL), -1);
	assert_err_contains(f, "--prometheus-username-labels: option 'prometheus-username-labels' "
			       "is a coturn option not implemented yet");
	assert_int_equal(parse(f, "-z", NULL), -1);
	assert_err_contains(f, "-z: option 'no-auth' is a coturn option not implemented yet");
}

static void test_command_line_only_options_refused_in_file(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "c /etc/turnserver.conf\n", 1,
		     "option 'c' is only valid on the command line");
}

static void test_command_line_overrides_file(void **state)
{
	struct fixture *f = *state;
	static const char text[] = "listening-port=4000\nrealm=file.org\n"
				   "listening-ip=192.0.2.1\nlistening-ip=192.0.2.2\n"
				   "relay-ip=192.0.2.9\nfingerprint=yes\n";

	write_file(f, text, strlen(text));
	/* The flags come before -c, yet still win over the file. */
	assert_int_equal(parse(f, "--listening-port", "5000", "-r", "cli.org", "-L", "::1",
			       "--fingerprint=off", "-c", f->path, NULL),
			 0);
	assert_int_equal(f->c.listening_port, 5000);
	assert_string_equal(f->c.realm, "cli.org");
	assert_false(f->c.fingerprint);
	/* A repeatable flag replaces the file's entries; others stay. */
	assert_int_equal(f->c.listening_ip_count, 1);
	assert_string_equal(f->c.listening_ip[0].text, "::1");
	assert_int_equal(f->c.relay_ip_count, 1);
	assert_string_equal(f->c.config_file, f->path);
}

static void test_long_and_short_flag_forms(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "--listening-port=3480", "--min-port", "50000", "-p3481", "-E",
			       "192.0.2.5", "-X", "203.0.113.1/192.0.2.5", "-u", "a:b", "-b",
			       "/tmp/u.db", "-m", "3", "-afv", "-l", "stdout", "-q", "7", "-Q", "9",
			       "-S", "--pidfile", "/run/t.pid", NULL),
			 0);
	assert_int_equal(f->c.listening_port, 3481);
	assert_int_equal(f->c.min_port, 50000);
	assert_int_equal(f->c.relay_ip_count, 1);
	assert_int_equal(f->c.external_ip_count, 1);
	assert_int_equal(f->c.user_count, 1);
	assert_string_equal(f->c.userdb, "/tmp/u.db");
	assert_int_equal(f->c.relay_threads, 3);
	assert_true(f->c.lt_cred_mech);
	assert_true(f->c.fingerprint);
	assert_int_equal(f->c.verbose, 1);
	assert_string_equal(f->c.log_file, "stdout");
	assert_int_equal(f->c.user_quota, 7);
	assert_int_equal(f->c.total_quota, 9);
	assert_true(f->c.stun_only);
	assert_string_equal(f->c.pidfile, "/run/t.pid");
	assert_null(f->c.config_file);
}

static void test_help_returns_one(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "-h", NULL), 1);
	assert_int_equal(parse(f, "-p", "1", "--help", NULL), 1);
}

/* coturn's reader: a leading '"' is dropped with a closing one; nothing else. */
static void test_file_strips_double_quotes_as_coturn(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "realm=\"example.org\"\n"
				 "user=\"alice:pa\"ss\"\n"
				 "user = \"bob:two words\"  \n"
				 "user=carol:end\"\n"
				 "userdb \"/tmp/with space.db\"\n"
				 "software-name='single'\n"
				 "fingerprint=\"yes\"\n"
				 "listening-port=\"3479\"\n"
				 "relay-ip=\"192.0.2.9\"\n"),
			 0);
	assert_string_equal(f->c.realm, "example.org");
	assert_int_equal(f->c.user_count, 3);
	/* quotes inside a value stay, as does a closing one without an opening one */
	assert_string_equal(f->c.user[0].password, "pa\"ss");
	assert_string_equal(f->c.user[1].password, "two words");
	assert_string_equal(f->c.user[2].password, "end\"");
	assert_string_equal(f->c.userdb, "/tmp/with space.db");
	/* single quotes are not special in coturn either */
	assert_string_equal(f->c.software_name, "'single'");
	assert_true(f->c.fingerprint);
	assert_int_equal(f->c.listening_port, 3479);
	assert_string_equal(f->c.relay_ip[0].text, "192.0.2.9");
}

static void test_file_refuses_unbalanced_quote(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "listening-port=3479\nrealm=\"example.org\n", 2,
		     "realm: value starts with '\"' but does not end with one");
	load_refused(f, "realm=\"\n", 1, "realm: value starts with '\"' but does not end with one");
	/* "" is an empty value */
	load_refused(f, "realm=\"\"\n", 1, "option 'realm' needs a value");
}

static void test_file_refuses_comment_after_value(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "realm=example.org # our realm\n", 1,
		     "realm: '#' after a value does not start a comment: put comments on "
		     "lines of their own, or quote the value (\"...\") to keep the '#'");
	load_refused_naming(f, "# ok\nmin-port=50000\t#lowest\n",
			    ":2: min-port: '#' after a value");
	load_refused_naming(f, "realm # comment\n", ":1: realm: '#' after a value");
	/* quoted, or without a blank before it, '#' is part of the value */
	assert_int_equal(load(f, "realm=\"a #b\"\nuser=alice:pa#ss\nuser=\"bob:#x\"\n"), 0);
	assert_string_equal(f->c.realm, "a #b");
	assert_string_equal(f->c.user[0].password, "pa#ss");
	assert_string_equal(f->c.user[1].password, "#x");
}

static void test_file_refuses_trailing_semicolon(void **state)
{
	struct fixture *f = *state;

	load_refused_naming(f, "realm=example.org;\n", ":1: realm: value ends with ';'");
	assert_int_equal(load(f, "realm=\"example.org;\"\nuser=a:b;c\n"), 0);
	assert_string_equal(f->c.realm, "example.org;");
	assert_string_equal(f->c.user[0].password, "b;c");
}

/* coturn: the key ends at the first blank or '=', the value follows them all. */
static void test_file_separator_is_any_run_of_blanks_and_equals(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "realm == example.org\n"
				 "listening-port\t=\t3479\n"
				 "min-port= 50000\n"
				 "max-port =50010\n"),
			 0);
	assert_string_equal(f->c.realm, "example.org");
	assert_int_equal(f->c.listening_port, 3479);
	assert_int_equal(f->c.min_port, 50000);
	assert_int_equal(f->c.max_port, 50010);
	/* a value that starts with '=' needs quotes */
	assert_int_equal(load(f, "realm=\"=x\"\n"), 0);
	assert_string_equal(f->c.realm, "=x");
}

/* coturn takes command-line values as given: the shell has removed its quotes. */
static void test_command_line_values_are_literal(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "--realm", "\"x\"", "--software-name=a #b;", NULL), 0);
	assert_string_equal(f->c.realm, "\"x\"");
	assert_string_equal(f->c.software_name, "a #b;");
}

/* coturn expands '~' in userdb; unexpanded it would make a directory named '~'. */
static void test_path_with_leading_tilde_refused(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "userdb=~/turndb\n", 1,
		     "bad value '~/turndb' for userdb (a leading '~' is not expanded: give "
		     "the full path)");
	assert_int_equal(parse(f, "--log-file=~/turn.log", NULL), -1);
	assert_err_contains(f, "--log-file: bad value '~/turn.log'");
	assert_int_equal(parse(f, "--pidfile", "/run/~x", NULL), 0);
	assert_string_equal(f->c.pidfile, "/run/~x");
}

static void test_log_file_names_pass_through(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "log-file=-\n"), 0);
	assert_string_equal(f->c.log_file, "-");
	assert_int_equal(load(f, "log-file=\"syslog\"\n"), 0);
	assert_string_equal(f->c.log_file, "syslog");
}

static void test_version_returns_two(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "--version", NULL), 2);
	assert_int_equal(parse(f, "-n", "-p", "1", "--version", NULL), 2);
	/* only on the command line */
	load_refused(f, "version\n", 1, "unknown option 'version'");
}

static void test_no_config_file_flag(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "-n", "-p", "1234", NULL), 0);
	assert_null(f->c.config_file);
	assert_int_equal(parse(f, "-n", "-c", "/etc/x.conf", NULL), -1);
	assert_string_equal(f->err, "-c: -c and -n may be given once, not both");
	assert_int_equal(parse(f, "-c", "/a", "-c", "/b", NULL), -1);
	assert_err_contains(f, "may be given once");
}

static void test_positional_argument_rejected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "3478", NULL), -1);
	assert_string_equal(f->err, "unexpected argument '3478'");
	assert_int_equal(parse(f, "--", NULL), -1);
	assert_int_equal(parse(f, "-", NULL), -1);
}

static void test_bad_port_rejected(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "listening-port=0\n", 1,
		     "bad value '0' for listening-port (expected 1-65535)");
	load_refused(f, "\nmin-port=65536\n", 2,
		     "bad value '65536' for min-port (expected 1-65535)");
	assert_int_equal(parse(f, "-p", "99999", NULL), -1);
	assert_string_equal(f->err, "-p: bad value '99999' for listening-port (expected 1-65535)");
	assert_int_equal(parse(f, "--min-port", "-1", NULL), -1);
	assert_string_equal(f->err, "--min-port: bad value '-1' for min-port (expected 1-65535)");
	assert_int_equal(parse(f, "--max-port=x", NULL), -1);
	assert_string_equal(f->err, "--max-port: bad value 'x' for max-port (expected 1-65535)");
}

static void test_min_port_above_max_port_rejected(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "min-port=60000\nmax-port=50000\n"), -1);
	assert_string_equal(f->err + strlen(f->path), ": min-port 60000 is above max-port 50000");
	config_free(&f->c);
	config_init(&f->c);
	assert_int_equal(parse(f, "--max-port", "40000", NULL), -1);
	assert_string_equal(f->err, "min-port 49152 is above max-port 40000");
}

static void test_port_range_checked_after_all_options(void **state)
{
	struct fixture *f = *state;

	/* max-port below the default min-port is fine once min-port follows. */
	assert_int_equal(load(f, "max-port=40000\nmin-port=30000\n"), 0);
	assert_int_equal(f->c.min_port, 30000);
	assert_int_equal(f->c.max_port, 40000);
	assert_int_equal(parse(f, "--max-port=20010", "--min-port=20000", NULL), 0);
}

static void test_missing_value_rejected(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "realm\n", 1, "option 'realm' needs a value");
	load_refused(f, "min-port=\n", 1, "option 'min-port' needs a value");
	assert_int_equal(parse(f, "--listening-port", NULL), -1);
	assert_string_equal(f->err, "--listening-port: missing value");
	assert_int_equal(parse(f, "-p", "-v", NULL), -1);
	assert_string_equal(f->err, "-p: missing value");
	assert_int_equal(parse(f, "--realm=", NULL), -1);
	assert_string_equal(f->err, "--realm: missing value");
	assert_int_equal(parse(f, "-c", NULL), -1);
	assert_string_equal(f->err, "-c: missing value");
}

static void test_non_numeric_number_rejected(void **state)
{
	static const char *const bad[] = {"abc",  "12x", "-1",	"+5",
					  "0x10", "1.5", "1 2", "99999999999999999999999"};
	struct fixture *f = *state;
	char line[128], want[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "channel-lifetime=%s\n", bad[i]);
		assert_int_equal(load(f, line), -1);
		snprintf(want, sizeof(want),
			 "bad value '%s' for channel-lifetime (expected 1-86400)", bad[i]);
		assert_file_error(f, 1, want);
	}
}

static void test_value_out_of_range_rejected(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "permission-lifetime=0\n", 1,
		     "bad value '0' for permission-lifetime (expected 1-86400)");
	assert_int_equal(load(f, "max-allocate-lifetime=86401\n"), -1);
	load_refused(f, "relay-threads=1025\n", 1,
		     "bad value '1025' for relay-threads (expected 0-1024)");
	assert_int_equal(load(f, "stale-nonce=0\n"), -1);
	assert_int_equal(load(f, "user-quota=4294967296\n"), -1);
	load_refused(f, "anchor-ng-cache-time=0\n", 1,
		     "bad value '0' for anchor-ng-cache-time (expected 1-3600)");
	assert_int_equal(load(f, "anchor-ng-cache-time=3601\n"), -1);
}

static void test_stale_nonce_value_is_optional(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "stale-nonce=30\n"), 0);
	assert_int_equal(f->c.stale_nonce, 30);
	assert_int_equal(load(f, "stale-nonce\n"), 0);
	assert_int_equal(f->c.stale_nonce, 600);
	assert_int_equal(parse(f, "--stale-nonce=45", NULL), 0);
	assert_int_equal(f->c.stale_nonce, 45);
	assert_int_equal(parse(f, "--stale-nonce", NULL), 0);
	assert_int_equal(f->c.stale_nonce, 600);
}

static void test_bool_values(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "no-udp=yes\nfingerprint=TRUE\nstun-only=on\n"
				 "lt-cred-mech=0\n"),
			 0);
	assert_true(f->c.no_udp);
	assert_true(f->c.fingerprint);
	assert_true(f->c.stun_only);
	assert_false(f->c.lt_cred_mech);
	assert_int_equal(load(f, "fingerprint=off\nno-udp=false\n"), 0);
	assert_false(f->c.fingerprint);
	assert_false(f->c.no_udp);
	load_refused(f, "fingerprint=maybe\n", 1,
		     "bad value 'maybe' for fingerprint (expected yes/no, true/false, "
		     "on/off or 1/0)");
}

static void test_conflicting_flags_rejected(void **state)
{
	struct fixture *f = *state;

	load_refused_naming(f, "no-udp\nno-tcp\n", "no-udp and no-tcp");
	config_free(&f->c);
	config_init(&f->c);
	assert_int_equal(parse(f, "-S", "--no-stun", NULL), -1);
	assert_err_contains(f, "stun-only and no-stun");
}

static void test_verbose_levels(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "-v", NULL), 0);
	assert_int_equal(f->c.verbose, 1);
	assert_int_equal(parse(f, "-V", "-v", NULL), 0);
	assert_int_equal(f->c.verbose, 2);
	assert_int_equal(load(f, "verbose=no\n"), 0);
	assert_int_equal(f->c.verbose, 0);
	assert_int_equal(load(f, "Verbose\n"), 0);
	assert_int_equal(f->c.verbose, 2);
}

static void test_repeatable_options_accumulate(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f,
			      "listening-ip=192.0.2.1\nlistening-ip=2001:db8::1\n"
			      "relay-ip=192.0.2.7\n"
			      "user=alice:one\nuser=bob:two\n"
			      "allowed-peer-ip=192.0.2.9\n"
			      "denied-peer-ip=10.0.0.0-10.255.255.255\ndenied-peer-ip=fc00::/7\n"),
			 0);
	assert_int_equal(f->c.listening_ip_count, 2);
	assert_int_equal(f->c.listening_ip[0].addr.ss_family, AF_INET);
	assert_int_equal(f->c.listening_ip[0].addr_len, sizeof(struct sockaddr_in));
	assert_int_equal(f->c.listening_ip[1].addr.ss_family, AF_INET6);
	assert_string_equal(f->c.listening_ip[1].text, "2001:db8::1");
	assert_int_equal(f->c.relay_ip_count, 1);
	assert_int_equal(f->c.user_count, 2);
	assert_string_equal(f->c.user[1].name, "bob");
	assert_string_equal(f->c.user[1].password, "two");
	assert_int_equal(f->c.allowed_peer_ip_count, 1);
	assert_int_equal(f->c.denied_peer_ip_count, 2);
	assert_string_equal(f->c.denied_peer_ip[0], "10.0.0.0-10.255.255.255");
	assert_string_equal(f->c.denied_peer_ip[1], "fc00::/7");
}

static void test_repeatable_limit_reported_with_line(void **state)
{
	struct fixture *f = *state;
	char text[1024] = "";
	char want[128];

	for (int i = 0; i <= CONFIG_MAX_IPS; i++) {
		char line[40];

		snprintf(line, sizeof(line), "relay-ip=192.0.2.%d\n", i + 1);
		strcat(text, line);
	}
	assert_int_equal(load(f, text), -1);
	snprintf(want, sizeof(want), "too many relay-ip entries (at most %d)", CONFIG_MAX_IPS);
	assert_file_error(f, CONFIG_MAX_IPS + 1, want);
}

static void test_bad_ip_rejected(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "listening-ip=192.0.2.256\n", 1,
		     "bad value '192.0.2.256' for listening-ip (expected an IPv4 or "
		     "IPv6 address)");
	assert_int_equal(load(f, "relay-ip=example.org\n"), -1);
	assert_int_equal(load(f, "listening-ip=192.0.2.1:3478\n"), -1);
	load_refused(f, "listening-ip=::1\nlistening-ip=::1\n", 2, "listening-ip ::1 given twice");
}

static void test_anchor_options_parse_and_default(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "realm=x\n"), 0);
	assert_int_equal(f->c.anchor_ng_listen.addr_len, 0);
	assert_int_equal(f->c.anchor_timeout, CONFIG_DEFAULT_ANCHOR_TIMEOUT);
	assert_int_equal(f->c.anchor_final_timeout, 0);

	assert_int_equal(load(f, "anchor-ng-listen=127.0.0.1:2223\n"
				 "anchor-ng-allow=10.0.0.0/8\n"
				 "anchor-interface=203.0.113.10/192.168.210.1\n"
				 "anchor-timeout=30\n"
				 "anchor-final-timeout=7200\n"
				 "anchor-max-sessions=500\n"
				 "anchor-ice-controlling\n"),
			 0);
	assert_int_equal(f->c.anchor_ng_listen.addr.ss_family, AF_INET);
	assert_int_equal(addr_port((struct sockaddr *)&f->c.anchor_ng_listen.addr), 2223);
	assert_int_equal(f->c.anchor_ng_allow_count, 1);
	assert_string_equal(f->c.anchor_interface[0].public_ip.text, "203.0.113.10");
	assert_string_equal(f->c.anchor_interface[0].private_ip.text, "192.168.210.1");
	assert_int_equal(f->c.anchor_timeout, 30);
	assert_int_equal(f->c.anchor_final_timeout, 7200);
	assert_int_equal(f->c.anchor_max_sessions, 500);
	assert_true(f->c.anchor_ice_controlling);

	assert_int_equal(load(f, "anchor-ng-listen=[::1]:2223\n"), 0);
	assert_int_equal(f->c.anchor_ng_listen.addr.ss_family, AF_INET6);
	load_refused(f, "anchor-ng-listen=127.0.0.1\n", 1,
		     "bad value '127.0.0.1' for anchor-ng-listen (expected IP:PORT or "
		     "[IPv6]:PORT)");
	load_refused(f, "anchor-interface=203.0.113.4/\n", 1,
		     "bad value '203.0.113.4/' for anchor-interface (expected PUBLIC-IP or "
		     "PUBLIC-IP/PRIVATE-IP)");
	assert_int_equal(load(f, "anchor-timeout=0\n"), -1);
}

static void test_external_ip_public_private_pair(void **state)
{
	struct fixture *f = *state;
	const struct config_external_ip *e;

	assert_int_equal(load(f, "external-ip=203.0.113.4\n"
				 "external-ip=203.0.113.5/192.0.2.5\n"
				 "external-ip=2001:db8::5/fd00::5\n"),
			 0);
	assert_int_equal(f->c.external_ip_count, 3);
	e = &f->c.external_ip[0];
	assert_string_equal(e->public_ip.text, "203.0.113.4");
	assert_false(e->has_private);
	e = &f->c.external_ip[1];
	assert_string_equal(e->public_ip.text, "203.0.113.5");
	assert_true(e->has_private);
	assert_string_equal(e->private_ip.text, "192.0.2.5");
	assert_int_equal(e->private_ip.addr.ss_family, AF_INET);
	e = &f->c.external_ip[2];
	assert_string_equal(e->private_ip.text, "fd00::5");
	assert_int_equal(e->public_ip.addr.ss_family, AF_INET6);

	load_refused_naming(f, "external-ip=203.0.113.4/fd00::1\n", "address families differ");
	load_refused(f, "external-ip=203.0.113.4/\n", 1,
		     "bad value '203.0.113.4/' for external-ip (expected PUBLIC-IP or "
		     "PUBLIC-IP/PRIVATE-IP)");
	assert_int_equal(load(f, "external-ip=/192.0.2.1\n"), -1);
}

static void test_user_forms(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(load(f, "user=alice:pw:with:colons\n"
				 "user=bob:0x3d43f24c71b71cdd4be54e0721962a79\n"),
			 0);
	assert_string_equal(f->c.user[0].name, "alice");
	assert_string_equal(f->c.user[0].password, "pw:with:colons");
	assert_false(f->c.user[0].is_key);
	assert_string_equal(f->c.user[1].password, "0x3d43f24c71b71cdd4be54e0721962a79");
	assert_true(f->c.user[1].is_key);

	load_refused(f, "user=carol:0x1234\n", 1,
		     "bad key for user 'carol' (expected 0x and 32 hex digits)");
	assert_int_equal(load(f, "user=nopassword\n"), -1);
	assert_int_equal(load(f, "user=dave:\n"), -1);
	assert_int_equal(load(f, "user=:pw\n"), -1);
	load_refused(f, "user=alice:other\n", 1, "user 'alice' given twice");
}

static void test_peer_rule_rejects_empty_and_garbage(void **state)
{
	struct fixture *f = *state;

	load_refused(f, "denied-peer-ip=\n", 1, "option 'denied-peer-ip' needs a value");
	load_refused(f, "allowed-peer-ip=somehost\n", 1,
		     "bad value 'somehost' for allowed-peer-ip (expected IP, IP-IP or "
		     "IP/len)");
	assert_int_equal(load(f, "allowed-peer-ip=::\n"), -1);
}

static void test_text_limits(void **state)
{
	struct fixture *f = *state;
	char text[1024];

	memset(text, 0, sizeof(text));
	strcpy(text, "realm=");
	memset(text + 6, 'r', 128);
	load_refused(f, text, 1, "value for realm longer than 127 characters");
	text[6 + 127] = '\0';
	assert_int_equal(load(f, text), 0);
	assert_int_equal(strlen(f->c.realm), 127);
	assert_int_equal(load(f, "realm=a\nrealm=b\nlog-file=/a\nlog-file=/b\n"), 0);
	assert_string_equal(f->c.realm, "b");
	assert_string_equal(f->c.log_file, "/b");
}

static void test_overlong_line_rejected(void **state)
{
	struct fixture *f = *state;
	size_t len = CONFIG_MAX_LINE + 20;
	char *text = malloc(len + 1);
	char want[64];

	assert_non_null(text);
	memcpy(text, "realm=x\n# ", 10);
	memset(text + 10, 'a', len - 10);
	text[len] = '\0';
	assert_int_equal(load(f, text), -1);
	snprintf(want, sizeof(want), "line longer than %d bytes", CONFIG_MAX_LINE);
	assert_file_error(f, 2, want);
	free(text);
}

static void test_nul_byte_in_file_rejected(void **state)
{
	struct fixture *f = *state;
	static const char data[] = "realm=ab\0cd\n";

	write_file(f, data, sizeof(data) - 1);
	assert_int_equal(config_load_file(&f->c, f->path, f->err, sizeof(f->err)), -1);
	assert_file_error(f, 1, "NUL byte 0x00 at column 9");
}

static void test_garbage_bytes_rejected(void **state)
{
	static const char *const bad[] = {"realm=a\x01\n", "realm=a\rb\n",     "realm=\xff\n",
					  "realm=\xc3\n",  "realm=\xc0\xaf\n", "# \xed\xa0\x80\n",
					  "realm=\x7f\n"};
	struct fixture *f = *state;
	uint8_t junk[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(load(f, bad[i]), -1);
		assert_err_contains(f, ":1: invalid byte 0x");
	}
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 167 + 13);
	write_file(f, (const char *)junk, sizeof(junk));
	assert_int_equal(config_load_file(&f->c, f->path, f->err, sizeof(f->err)), -1);
}

static void test_control_characters_rejected_on_command_line(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(parse(f, "-r", "evil\nrealm", NULL), -1);
	assert_string_equal(f->err, "-r: bad value for realm (control character or invalid UTF-8)");
}

static void test_config_set_applies_one_option(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_set(&f->c, "no-stun", NULL, f->err, sizeof(f->err)), 0);
	assert_true(f->c.no_stun);
	assert_int_equal(config_set(&f->c, "min-port", "1000", f->err, sizeof(f->err)), 0);
	assert_int_equal(f->c.min_port, 1000);
	assert_int_equal(config_set(&f->c, "bogus", "1", f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "unknown option 'bogus'");
	assert_int_equal(config_set(&f->c, "oauth", NULL, f->err, sizeof(f->err)), -1);
	assert_string_equal(f->err, "option 'oauth' is a coturn option not implemented yet");
}

/* Every option in the usage text, as "--name" names. */
static char *usage_text(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	assert_non_null(out);
	config_usage(out);
	fclose(out);
	return buf;
}

static void test_sample_config_parses(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(config_load_file(&f->c, SAMPLE_CONFIG, f->err, sizeof(f->err)), 0);
	assert_int_equal(f->c.listening_port, 3478);
}

static void test_sample_config_documents_every_option(void **state)
{
	char *usage = usage_text();
	static char sample[65536];
	FILE *in = fopen(SAMPLE_CONFIG, "r");
	size_t n, checked = 0;
	(void)state;

	assert_non_null(in);
	sample[0] = '\n';
	n = fread(sample + 1, 1, sizeof(sample) - 2, in);
	fclose(in);
	/* the whole file: an option documented past the buffer would read as missing */
	assert_true(n < sizeof(sample) - 2);
	sample[n + 1] = '\0';

	for (const char *p = usage; (p = strstr(p, "--")) != NULL;) {
		char name[64], want[70];
		size_t len;

		p += 2;
		len = strcspn(p, " [\n\"");
		if (len == 0 || len >= sizeof(name))
			continue;
		memcpy(name, p, len);
		name[len] = '\0';
		if (strcmp(name, "help") == 0 || strcmp(name, "version") == 0)
			continue; /* command line only */
		snprintf(want, sizeof(want), "\n#%s=", name);
		if (!strstr(sample, want)) {
			snprintf(want, sizeof(want), "\n#%s\n", name);
			if (!strstr(sample, want))
				fail_msg("%s does not document option '%s'", SAMPLE_CONFIG, name);
		}
		checked++;
	}
	assert_true(checked >= 30);
	free(usage);
}

static void test_usage_lists_refused_options(void **state)
{
	char *usage = usage_text();
	(void)state;

	assert_non_null(strstr(usage, "--listening-port"));
	assert_non_null(strstr(usage, "-p, --listening-port"));
	assert_non_null(strstr(usage, "not implemented yet"));
	assert_non_null(strstr(usage, " acme-redirect"));
	free(usage);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_defaults),
	    T(test_file_accepts_all_line_forms),
	    T(test_crlf_and_bom_accepted),
	    T(test_empty_file_keeps_defaults),
	    T(test_missing_file_names_path),
	    T(test_unknown_option_reports_line_number),
	    T(test_refuses_unimplemented_coturn_option),
	    T(test_command_line_only_options_refused_in_file),
	    T(test_command_line_overrides_file),
	    T(test_long_and_short_flag_forms),
	    T(test_help_returns_one),
	    T(test_file_strips_double_quotes_as_coturn),
	    T(test_file_refuses_unbalanced_quote),
	    T(test_file_refuses_comment_after_value),
	    T(test_file_refuses_trailing_semicolon),
	    T(test_file_separator_is_any_run_of_blanks_and_equals),
	    T(test_command_line_values_are_literal),
	    T(test_path_with_leading_tilde_refused),
	    T(test_log_file_names_pass_through),
	    T(test_version_returns_two),
	    T(test_no_config_file_flag),
	    T(test_positional_argument_rejected),
	    T(test_bad_port_rejected),
	    T(test_min_port_above_max_port_rejected),
	    T(test_port_range_checked_after_all_options),
	    T(test_missing_value_rejected),
	    T(test_non_numeric_number_rejected),
	    T(test_value_out_of_range_rejected),
	    T(test_stale_nonce_value_is_optional),
	    T(test_bool_values),
	    T(test_conflicting_flags_rejected),
	    T(test_verbose_levels),
	    T(test_repeatable_options_accumulate),
	    T(test_repeatable_limit_reported_with_line),
	    T(test_bad_ip_rejected),
	    T(test_anchor_options_parse_and_default),
	    T(test_external_ip_public_private_pair),
	    T(test_user_forms),
	    T(test_peer_rule_rejects_empty_and_garbage),
	    T(test_text_limits),
	    T(test_overlong_line_rejected),
	    T(test_nul_byte_in_file_rejected),
	    T(test_garbage_bytes_rejected),
	    T(test_control_characters_rejected_on_command_line),
	    T(test_config_set_applies_one_option),
	    T(test_sample_config_parses),
	    T(test_sample_config_documents_every_option),
	    T(test_usage_lists_refused_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
