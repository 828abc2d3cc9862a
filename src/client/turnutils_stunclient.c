/*
 * turnutils_stunclient - send one STUN Binding request (RFC 8489) and print
 * the reflexive (XOR-MAPPED) address the server saw.
 *
 * Flags follow coturn's turnutils_stunclient where the feature is the same:
 *   -p PORT   server port (3478)   -L ADDR  local address
 *   -t        TCP instead of UDP   -v       verbose
 * Exit status: 0 with the address printed, 1 on timeout, error response or
 * socket error, 64 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/turnclient.h"
#include "common/addr.h"
#include "common/version.h"

#define STUNCLIENT_CONNECT_TIMEOUT_MS 5000
#define EXIT_USAGE 64

static void stunclient_usage(FILE *f)
{
	fprintf(f, "Usage: turnutils_stunclient [options] server-address\n"
		   "Options:\n"
		   "\t-p PORT\tSTUN server port (default 3478)\n"
		   "\t-L ADDR\tlocal address to use\n"
		   "\t-t\tuse TCP (default UDP)\n"
		   "\t-v\tverbose\n"
		   "\t-f\taccepted for compatibility; RFC 5780 tests are not done\n"
		   "\t--version\tprint the version\n");
}

static int stunclient_port(const char *s, uint16_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < 1 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage server, local;
	const struct sockaddr *localp = NULL;
	char abuf[ADDR_STRLEN];
	struct turnc c;
	uint16_t port = 3478;
	bool tcp = false, verbose = false;
	int opt, ret;

	if (version_requested(argc, argv))
		return version_print("turnutils_stunclient");

	while ((opt = getopt(argc, argv, "p:L:tvfh")) != -1) {
		switch (opt) {
		case 'p':
			if (stunclient_port(optarg, &port) < 0) {
				fprintf(stderr, "turnutils_stunclient: bad port '%s'\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'L':
			if (addr_parse(optarg, 0, &local, NULL) < 0) {
				fprintf(stderr, "turnutils_stunclient: bad local address '%s'\n",
					optarg);
				return EXIT_USAGE;
			}
			localp = (const struct sockaddr *)&local;
			break;
		case 't':
			tcp = true;
			break;
		case 'v':
			verbose = true;
			break;
		case 'f':
			fprintf(stderr, "turnutils_stunclient: -f: RFC 5780 tests not supported, "
					"doing a plain Binding\n");
			break;
		case 'h':
			stunclient_usage(stdout);
			return 0;
		default:
			stunclient_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		stunclient_usage(stderr);
		return EXIT_USAGE;
	}
	if (turnc_resolve(argv[optind], port, localp ? localp->sa_family : AF_UNSPEC, &server) <
	    0) {
		fprintf(stderr, "turnutils_stunclient: cannot resolve '%s'\n", argv[optind]);
		return 1;
	}
	ret = turnc_open(&c, (const struct sockaddr *)&server, localp, tcp,
			 STUNCLIENT_CONNECT_TIMEOUT_MS);
	if (ret < 0) {
		fprintf(stderr, "turnutils_stunclient: %s: %s\n",
			addr_str((const struct sockaddr *)&server, abuf, sizeof(abuf)),
			strerror(-ret));
		return 1;
	}
	c.verbose = verbose;
	if (verbose)
		fprintf(stderr, "local %s, server %s (%s)\n",
			addr_str((const struct sockaddr *)&c.local, abuf, sizeof(abuf)),
			argv[optind], tcp ? "TCP" : "UDP");
	ret = turnc_binding(&c);
	if (ret != 0) {
		char rbuf[160];

		fprintf(stderr, "turnutils_stunclient: Binding to %s: %s%s%s\n",
			addr_str((const struct sockaddr *)&server, abuf, sizeof(abuf)),
			turnc_strresult(ret, rbuf, sizeof(rbuf)),
			turnc_txn_reason(&c)[0] ? " - " : "", turnc_txn_reason(&c));
		turnc_close(&c);
		return 1;
	}
	printf("%s reflexive addr: %s\n", tcp ? "TCP" : "UDP",
	       addr_str((const struct sockaddr *)&c.mapped, abuf, sizeof(abuf)));
	turnc_close(&c);
	return 0;
}
