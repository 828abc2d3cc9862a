/*
 * bench_turnload - the TURN side of tests/kernel/guest/bench.sh's "turn"
 * runs (scripts/bench-kernel's end-to-end figure under pktgen), in the
 * guest:
 *
 *   bench_turnload SERVER LOCAL_IP PEER USER PASS CLIENTS SECONDS
 *
 * Sets up CLIENTS allocations on SERVER (ip:port) from LOCAL_IP (a port of
 * its own each), one after the other with our client library: Allocate
 * (with the 401 round), then ChannelBind of channel 0x4000 + i to PEER,
 * which installs the permission too. Prints each client's "relayed
 * ADDRESS:PORT", then "clients N set up", and holds the allocations for
 * SECONDS (or until killed) without sending: pktgen plays the peer and
 * sends to the relayed addresses. Exit 2 when a set-up step failed.
 *
 * (A load that sent every client's ChannelData itself, one burst per 20 ms
 * tick, was tried for the end-to-end figure: each datagram still costs
 * its sender more than the module's forwarding, so CPU 1 idles between
 * datagrams and each one pays an emulated wake-up; docs/BENCHMARKS.md.)
 */
#include "client/turnclient.h"
#include "guest.h"

#define LOAD_MAX_CLIENTS 512
#define LOAD_CHANNEL0 0x4000

int main(int argc, char **argv)
{
	static struct turnc c[LOAD_MAX_CLIENTS];
	struct sockaddr_storage server, local, peer;
	char why[128], a[ADDR_STRLEN];
	int n, ret;

	if (argc != 8) {
		fprintf(stderr, "usage: bench_turnload SERVER LOCAL_IP PEER USER PASS CLIENTS SECONDS\n");
		return 64;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	guest_addr(argv[1], &server);
	guest_addr(argv[3], &peer);
	memset(&local, 0, sizeof(local));
	if (turnc_resolve(argv[2], 0, AF_UNSPEC, &local) < 0)
		guest_die("bad local address %s", argv[2]);
	n = (int)guest_arg_long(argv[6], 1, LOAD_MAX_CLIENTS);

	for (int i = 0; i < n; i++) {
		struct turnc_alloc_opts opts = {0};

		ret = turnc_open(&c[i], (struct sockaddr *)&server, (struct sockaddr *)&local, false,
				 1000);
		if (ret < 0)
			guest_die("client %d: open: %s", i, strerror(-ret));
		if (turnc_set_auth(&c[i], argv[4], argv[5], NULL) < 0)
			guest_die("client %d: credentials refused", i);
		ret = turnc_allocate(&c[i], &opts);
		if (ret != 0)
			guest_die("client %d: Allocate: %s", i, turnc_strresult(ret, why, sizeof(why)));
		ret = turnc_channel_bind(&c[i], (uint16_t)(LOAD_CHANNEL0 + i),
					 (struct sockaddr *)&peer);
		if (ret != 0)
			guest_die("client %d: ChannelBind: %s", i, turnc_strresult(ret, why, sizeof(why)));
		if (c[i].nrelayed == 0)
			guest_die("client %d: no relayed address", i);
		printf("relayed %s\n", addr_str((struct sockaddr *)&c[i].relayed[0], a, sizeof(a)));
	}
	printf("clients %d set up\n", n);
	sleep((unsigned int)guest_arg_long(argv[7], 1, 3600));
	for (int i = 0; i < n; i++)
		turnc_close(&c[i]);
	return 0;
}
