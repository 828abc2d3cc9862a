/*
 * guest.h - helpers shared by the programs that run inside the turnrelay
 * test guest (scripts/kernel-guest builds each C file beside this one into
 * one program): network namespaces, UDP sockets, receive with a timeout,
 * and the PASS/FAIL lines the host judges by.
 */
#ifndef TESTS_KERNEL_GUEST_H
#define TESTS_KERNEL_GUEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/addr.h"

static int guest_failed;

/* Prints "PASS: name" or "FAIL: name" and, on failure, the reason below it. */
__attribute__((format(printf, 3, 4))) static inline bool guest_check(const char *name, bool ok,
								     const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s\n", ok ? "PASS" : "FAIL", name);
	if (!ok) {
		guest_failed = 1;
		printf("  | ");
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
	return ok;
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void guest_die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(2);
}

/* s as a number in [lo, hi], or the program dies saying so. */
static inline long guest_arg_long(const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi)
		guest_die("bad number %s", s);
	return v;
}

/*
 * Enters the named network namespace (/run/netns/NAME, made by `ip netns
 * add`), or the initial one for "root". Sockets made afterwards live there.
 */
static inline void guest_netns_enter(const char *name)
{
	char path[128];
	int fd;

	if (strcmp(name, "root") == 0)
		snprintf(path, sizeof(path), "/proc/1/ns/net");
	else
		snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
		guest_die("netns %s: %s", name, strerror(errno));
	close(fd);
}

static inline void guest_addr(const char *s, struct sockaddr_storage *out)
{
	if (addr_parse(s, 0, out, NULL) < 0)
		guest_die("bad address %s", s);
}

/* A UDP socket bound to "addr:port" (port 0: any). */
static inline int guest_udp_bind(const char *s)
{
	struct sockaddr_storage ss;
	int fd, one = 1;

	guest_addr(s, &ss);
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		guest_die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, addr_len((struct sockaddr *)&ss)) < 0)
		guest_die("bind %s: %s", s, strerror(errno));
	return fd;
}

static inline void guest_sendto(int fd, const void *buf, size_t len, const char *to)
{
	struct sockaddr_storage ss;

	guest_addr(to, &ss);
	if (sendto(fd, buf, len, 0, (struct sockaddr *)&ss, addr_len((struct sockaddr *)&ss)) !=
	    (ssize_t)len)
		guest_die("sendto %s: %s", to, strerror(errno));
}

/*
 * Receives one datagram within timeout_ms: its length, or -1 when none
 * came. from may be NULL.
 */
static inline ssize_t guest_recv(int fd, void *buf, size_t cap, int timeout_ms,
				 struct sockaddr_storage *from)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	socklen_t flen = sizeof(*from);

	if (poll(&p, 1, timeout_ms) <= 0)
		return -1;
	return recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)from, from ? &flen : NULL);
}

/* Reads and counts whatever is queued on fd now (after a short settle). */
static inline int guest_drain(int fd, int settle_ms)
{
	uint8_t buf[2048];
	int n = 0;

	while (guest_recv(fd, buf, sizeof(buf), settle_ms, NULL) >= 0)
		n++;
	return n;
}

static inline double guest_now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#endif
