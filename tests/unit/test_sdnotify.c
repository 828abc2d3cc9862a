/*
 * test_sdnotify.c - src/common/sdnotify.c: the state reaches the datagram
 * socket that NOTIFY_SOCKET names (a path or an abstract '@' name); no
 * NOTIFY_SOCKET sends nothing; a relative or overlong name, or a socket
 * that is not there, is an error and not a crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/sdnotify.h"

/* A bound datagram socket at name (a path, or '@' for an abstract one). */
static int listener(const char *name)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len = strlen(name);
	socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	memcpy(sun.sun_path, name, len);
	if (name[0] == '@')
		sun.sun_path[0] = '\0';
	else
		salen++;
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, salen), 0);
	return fd;
}

/* The next datagram on fd, as a string (none waiting: ""). */
static void received(int fd, char *out, size_t cap)
{
	ssize_t n = recv(fd, out, cap - 1, MSG_DONTWAIT);

	out[n > 0 ? n : 0] = '\0';
}

static void test_state_reaches_path_socket(void **state)
{
	char dir[] = "/tmp/test_sdnotify_XXXXXX", path[128], got[128];
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/notify", dir);
	fd = listener(path);
	setenv("NOTIFY_SOCKET", path, 1);
	assert_int_equal(sdnotify("READY=1\nSTATUS=up"), 1);
	received(fd, got, sizeof(got));
	assert_string_equal(got, "READY=1\nSTATUS=up");
	assert_int_equal(sdnotify("STOPPING=1"), 1);
	received(fd, got, sizeof(got));
	assert_string_equal(got, "STOPPING=1");
	close(fd);
	unlink(path);
	rmdir(dir);
	unsetenv("NOTIFY_SOCKET");
}

static void test_state_reaches_abstract_socket(void **state)
{
	char name[64], got[64];
	int fd;

	(void)state;
	snprintf(name, sizeof(name), "@test_sdnotify_%ld", (long)getpid());
	fd = listener(name);
	setenv("NOTIFY_SOCKET", name, 1);
	assert_int_equal(sdnotify("RELOADING=1"), 1);
	received(fd, got, sizeof(got));
	assert_string_equal(got, "RELOADING=1");
	close(fd);
	unsetenv("NOTIFY_SOCKET");
}

static void test_no_socket_sends_nothing(void **state)
{
	(void)state;
	unsetenv("NOTIFY_SOCKET");
	assert_int_equal(sdnotify("READY=1"), 0);
	setenv("NOTIFY_SOCKET", "", 1);
	assert_int_equal(sdnotify("READY=1"), 0);
	unsetenv("NOTIFY_SOCKET");
}

static void test_bad_names_are_errors(void **state)
{
	char lng[200];

	(void)state;
	setenv("NOTIFY_SOCKET", "relative/notify", 1);
	errno = 0;
	assert_int_equal(sdnotify("READY=1"), -1);
	assert_int_equal(errno, EINVAL);
	setenv("NOTIFY_SOCKET", "@", 1);
	assert_int_equal(sdnotify("READY=1"), -1);
	memset(lng, 'a', sizeof(lng) - 1);
	lng[0] = '/';
	lng[sizeof(lng) - 1] = '\0';
	setenv("NOTIFY_SOCKET", lng, 1);
	assert_int_equal(sdnotify("READY=1"), -1);
	assert_int_equal(errno, EINVAL);
	/* a well-formed name with no socket behind it */
	setenv("NOTIFY_SOCKET", "/nonexistent/test_sdnotify", 1);
	assert_int_equal(sdnotify("READY=1"), -1);
	unsetenv("NOTIFY_SOCKET");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_reaches_path_socket),
	    cmocka_unit_test(test_state_reaches_abstract_socket),
	    cmocka_unit_test(test_no_socket_sends_nothing),
	    cmocka_unit_test(test_bad_names_are_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
