/*
 * test_config_process.c - the options of how the process runs (issue 14
 * "Running it"): daemon (-o, and where its log goes), proc-user and
 * proc-group (looked up by privdrop_resolve; privdrop_apply in a child
 * process, since it changes the user for good), listening-device (-d) and
 * relay-device (-i) with the length of a Linux device name.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/config.h"
#include "relay/relay.h"
#include "server/privdrop.h"

#include "config_test.h"

static void reset(void)
{
	config_free(&c);
	config_init(&c);
	err[0] = '\0';
}

static void test_daemon_short_long_and_file_forms(void **state)
{
	char *a1[] = {"turnserver", "-vo", "--log-file", "/tmp/x.log"};
	char *a2[] = {"turnserver", "--daemon", "--log-file", "syslog"};

	(void)state;
	assert_false(c.daemon);
	assert_int_equal(args(4, a1), 0);
	assert_true(c.daemon);
	assert_int_equal(c.verbose, 1);
	reset();
	assert_int_equal(args(4, a2), 0);
	assert_true(c.daemon);
	reset();
	assert_int_equal(load_text("daemon\nlog-file=/var/log/turn.log\n"), 0);
	assert_true(c.daemon);
}

/* Its stderr goes to /dev/null once ready: no log there, syslog without log-file. */
static void test_daemon_log_destination(void **state)
{
	char *bare[] = {"turnserver", "-o"};
	char *to_stderr[] = {"turnserver", "-o", "--log-file", "stderr"};
	char *to_dash[] = {"turnserver", "-o", "--log-file=-"};

	(void)state;
	assert_null(config_log_destination(&c));
	assert_int_equal(args(2, bare), 0);
	assert_string_equal(config_log_destination(&c), "syslog");
	reset();
	assert_int_equal(args(4, to_stderr), -1);
	assert_non_null(strstr(err, "daemon: log-file=stderr would be lost"));
	reset();
	assert_int_equal(args(3, to_dash), -1);
	assert_non_null(strstr(err, "daemon: log-file=- would be lost"));
}

static void test_user_group_and_device_options(void **state)
{
	char *argv[] = {"turnserver", "--proc-user", "nobody", "--proc-group=nogroup",
			"-d",	      "eth0",	     "-i",     "veth-relay1"};

	(void)state;
	assert_int_equal(args(8, argv), 0);
	assert_string_equal(c.proc_user, "nobody");
	assert_string_equal(c.proc_group, "nogroup");
	assert_string_equal(c.listening_device, "eth0");
	assert_string_equal(c.relay_device, "veth-relay1");
	reset();
	assert_int_equal(load_text("proc-user=turn\nproc-group=turn\nlistening-device=lo\n"
				   "relay-device=dummy0\n"),
			 0);
	assert_string_equal(c.listening_device, "lo");
	assert_string_equal(c.relay_device, "dummy0");
}

/* Linux device names are at most 15 bytes (IFNAMSIZ - 1). */
static void test_device_names_longer_than_linux_allows_are_refused(void **state)
{
	(void)state;
	assert_int_equal(load_text("relay-device=0123456789abcdef\n"), -1);
	assert_non_null(strstr(err, "relay-device longer than 15 bytes"));
	reset();
	assert_int_equal(load_text("listening-device=0123456789abcde\n"), 0);
}

static void test_unknown_user_or_group_is_named(void **state)
{
	struct privdrop p;

	(void)state;
	assert_int_equal(load_text("proc-user=no-such-user-here\n"), 0);
	assert_int_equal(privdrop_resolve(&c, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "proc-user no-such-user-here: no such user");
	reset();
	assert_int_equal(load_text("proc-group=no-such-group-here\n"), 0);
	assert_int_equal(privdrop_resolve(&c, &p, err, sizeof(err)), -1);
	assert_string_equal(err, "proc-group no-such-group-here: no such group");
	reset();
	/* a uid with no passwd entry has no group to take */
	assert_int_equal(load_text("proc-user=3999999\n"), 0);
	if (getpwuid(3999999) == NULL) {
		assert_int_equal(privdrop_resolve(&c, &p, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "set proc-group too"));
	}
}

static void test_nothing_to_drop_without_the_options(void **state)
{
	struct privdrop p;

	(void)state;
	assert_int_equal(privdrop_resolve(&c, &p, err, sizeof(err)), 0);
	assert_false(p.set_user);
	assert_false(p.set_group);
	assert_int_equal(privdrop_apply(&p, 0, err, sizeof(err)), 0);
}

static void test_device_check_names_a_missing_device(void **state)
{
	(void)state;
	assert_int_equal(relay_device_check("relay-device", "nosuchdev0", err, sizeof(err)), -1);
	assert_string_equal(err, "relay-device nosuchdev0: no such network device");
	assert_int_equal(relay_device_check("listening-device", "lo", err, sizeof(err)), 0);
	assert_int_equal(relay_device_check("relay-device", "", err, sizeof(err)), 0);
}

/* The capability mask of a "CapXxx:" line of /proc/self/status. */
static unsigned long long status_caps(const char *key)
{
	char line[256];
	unsigned long long v = ~0ull;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return v;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtoull(line + strlen(key) + 1, NULL, 16);
	fclose(f);
	return v;
}

/*
 * In a child (the change is for good): root becomes nobody with only
 * CAP_NET_BIND_SERVICE, which still binds a port below 1024; root cannot
 * come back; supplementary groups are gone. Exit status: the failed step.
 */
static int child_drop(const struct privdrop *p)
{
	const unsigned long long keep = 1ull << CAP_NET_BIND_SERVICE;
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	gid_t groups[8];
	int fd, n;

	if (privdrop_apply(p, keep, err, sizeof(err)) < 0)
		return 1;
	if (getuid() != p->uid || geteuid() != p->uid || getgid() != p->gid)
		return 2;
	if (status_caps("CapEff:") != keep || status_caps("CapPrm:") != keep ||
	    status_caps("CapAmb:") != keep)
		return 3;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 4;
	n = getgroups(8, groups);
	if (n != 1 || groups[0] != p->gid)
		return 5;
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		return 6; /* port 0: any port, as a sanity check of the socket */
	close(fd);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	for (int port = 1000; port > 900; port--) {
		sin.sin_port = htons((uint16_t)port);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0)
			return 0;
		if (errno == EACCES)
			return 7;
	}
	return 8;
}

static void test_apply_keeps_only_the_asked_capabilities(void **state)
{
	struct privdrop p;
	pid_t pid;
	int st;

	(void)state;
	if (geteuid() != 0 || !getpwnam("nobody")) {
		skip();
		return;
	}
	assert_int_equal(load_text("proc-user=nobody\n"), 0);
	assert_int_equal(privdrop_resolve(&c, &p, err, sizeof(err)), 0);
	assert_true(p.set_user);
	assert_int_equal(p.uid, getpwnam("nobody")->pw_uid);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(child_drop(&p));
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_daemon_short_long_and_file_forms),
	    T(test_daemon_log_destination),
	    T(test_user_group_and_device_options),
	    T(test_device_names_longer_than_linux_allows_are_refused),
	    T(test_unknown_user_or_group_is_named),
	    T(test_nothing_to_drop_without_the_options),
	    T(test_device_check_names_a_missing_device),
	    T(test_apply_keeps_only_the_asked_capabilities),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
