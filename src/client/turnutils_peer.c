/*
 * turnutils_peer - UDP echo server used as the far end of TURN tests:
 * every datagram is sent back to its sender, unchanged.
 *
 * Flags follow coturn's turnutils_peer:
 *   -p PORT   listening port (3480); only this port is bound
 *   -L ADDR   listening address, repeatable (default 127.0.0.1 and ::1)
 *   -v        verbose: one line per datagram
 * Runs until SIGTERM or SIGINT, then prints its counters and exits 0.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/version.h"

#define PEER_MAX_ADDRS 16
#define PEER_BATCH 256
#define PEER_BUF_LEN 65536
#define PEER_SOCKBUF_BYTES (4 << 20)
#define EXIT_USAGE 64

static volatile sig_atomic_t peer_stop;

static void peer_on_signal(int sig)
{
	(void)sig;
	peer_stop = 1;
}

static void peer_usage(FILE *f)
{
	fprintf(f, "Usage: turnutils_peer [options]\n"
		   "Options:\n"
		   "\t-p PORT\tlistening UDP port (default 3480)\n"
		   "\t-L ADDR\tlistening address, repeatable (default 127.0.0.1 and ::1)\n"
		   "\t-v\tverbose\n"
		   "\t--version\tprint the version\n");
}

/* Bind a non-blocking UDP socket on addr; -1 (with a message) on failure. */
static int peer_bind(const struct sockaddr *addr)
{
	char abuf[ADDR_STRLEN];
	int fd, one = 1, bufsize = PEER_SOCKBUF_BYTES;

	fd = socket(addr->sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		goto fail;
	if (addr->sa_family == AF_INET6 &&
	    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
	if (bind(fd, addr, addr_len(addr)) < 0)
		goto fail;
	return fd;
fail:
	fprintf(stderr, "turnutils_peer: %s: %s\n", addr_str(addr, abuf, sizeof(abuf)),
		strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Echo what one socket holds, at most PEER_BATCH datagrams. */
static void peer_echo(int fd, uint8_t *buf, bool verbose, unsigned long long *echoed)
{
	for (int i = 0; i < PEER_BATCH; i++) {
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t n;

		n = recvfrom(fd, buf, PEER_BUF_LEN, MSG_DONTWAIT, (struct sockaddr *)&from,
			     &fromlen);
		if (n < 0)
			return; /* EAGAIN, or an ICMP error from an earlier echo */
		if (sendto(fd, buf, (size_t)n, MSG_DONTWAIT, (struct sockaddr *)&from, fromlen) < 0)
			continue;
		(*echoed)++;
		if (verbose) {
			char abuf[ADDR_STRLEN];

			fprintf(stderr, "echo %zd bytes to %s\n", n,
				addr_str((struct sockaddr *)&from, abuf, sizeof(abuf)));
		}
	}
}

int main(int argc, char **argv)
{
	static const char *const defaults[] = {"127.0.0.1", "::1"};
	struct sockaddr_storage addrs[PEER_MAX_ADDRS];
	struct pollfd pfds[PEER_MAX_ADDRS];
	struct sigaction sa;
	sigset_t block, orig;
	unsigned long long echoed = 0;
	const char *names[PEER_MAX_ADDRS];
	int naddrs = 0, nfds = 0, opt, ret = 1;
	unsigned long port = 3480;
	bool verbose = false, defaulted = false;
	uint8_t *buf = NULL;
	char *end;

	if (version_requested(argc, argv))
		return version_print("turnutils_peer");

	while ((opt = getopt(argc, argv, "p:L:d:vh")) != -1) {
		switch (opt) {
		case 'p':
			errno = 0;
			port = strtoul(optarg, &end, 10);
			if (errno || *optarg == '\0' || *end != '\0' || port < 1 || port > 65535) {
				fprintf(stderr, "turnutils_peer: bad port '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'L':
			if (naddrs == PEER_MAX_ADDRS) {
				fprintf(stderr, "turnutils_peer: at most %d -L\n", PEER_MAX_ADDRS);
				return EXIT_USAGE;
			}
			names[naddrs++] = optarg;
			break;
		case 'd':
			fprintf(stderr, "turnutils_peer: -d (device) is not supported\n");
			return EXIT_USAGE;
		case 'v':
			verbose = true;
			break;
		case 'h':
			peer_usage(stdout);
			return 0;
		default:
			peer_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		peer_usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 0; i < naddrs; i++) {
		if (addr_parse(names[i], 0, &addrs[i], NULL) < 0) {
			fprintf(stderr, "turnutils_peer: bad address '%s'\n", names[i]);
			return EXIT_USAGE;
		}
	}
	if (naddrs == 0) {
		for (int i = 0; i < 2; i++)
			addr_parse(defaults[i], 0, &addrs[i], NULL);
		naddrs = 2;
		defaulted = true;
	}

	/* signals are only delivered inside ppoll(): no lost wake-up */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = peer_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	buf = malloc(PEER_BUF_LEN);
	if (!buf)
		goto fail;
	for (int i = 0; i < naddrs; i++) {
		char abuf[ADDR_STRLEN];
		int fd;

		addr_set_port((struct sockaddr *)&addrs[i], (uint16_t)port);
		fd = peer_bind((struct sockaddr *)&addrs[i]);
		if (fd < 0 && !defaulted)
			goto fail;
		if (fd < 0)
			continue; /* a default address: the host may lack IPv6 */
		pfds[nfds].fd = fd;
		pfds[nfds].events = POLLIN;
		nfds++;
		fprintf(stderr, "turnutils_peer: listening on %s\n",
			addr_str((struct sockaddr *)&addrs[i], abuf, sizeof(abuf)));
	}
	if (nfds == 0)
		goto fail;

	while (!peer_stop) {
		int n = ppoll(pfds, (nfds_t)nfds, NULL, &orig);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("turnutils_peer: ppoll");
			goto fail;
		}
		for (int i = 0; i < nfds; i++) {
			if (pfds[i].revents & (POLLIN | POLLERR))
				peer_echo(pfds[i].fd, buf, verbose, &echoed);
		}
	}
	fprintf(stderr, "turnutils_peer: stopped, %llu datagrams echoed\n", echoed);
	ret = 0;
fail:
	for (int i = 0; i < nfds; i++)
		close(pfds[i].fd);
	free(buf);
	return ret;
}
