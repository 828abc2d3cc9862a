/*
 * relay_device.c - coturn's listening-device and relay-device: a socket
 * bound to one network device (SO_BINDTODEVICE, socket(7)) takes packets
 * that arrive on that device only and sends through it only. See relay.h.
 */
#include "relay/relay.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int relay_bind_device(int fd, const char *device)
{
	if (!device || !device[0])
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, device, (socklen_t)strlen(device)) < 0
		   ? -1
		   : 0;
}

/*
 * Before Linux 5.7 only CAP_NET_RAW may bind a socket to a device; later
 * kernels let anyone bind a socket not yet bound to one. A throwaway socket
 * tells which applies to this process now.
 */
int relay_device_check(const char *option, const char *device, char *err, size_t errlen)
{
	int fd, rc = 0;

	if (!device || !device[0])
		return 0;
	if (if_nametoindex(device) == 0) {
		snprintf(err, errlen, "%s %s: no such network device", option, device);
		return -1;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "%s %s: %s", option, device, strerror(errno));
		return -1;
	}
	if (relay_bind_device(fd, device) < 0) {
		if (errno == EPERM)
			snprintf(err, errlen,
				 "%s %s: binding a socket to a device needs CAP_NET_RAW on this "
				 "kernel (before Linux 5.7): start turnserver as root",
				 option, device);
		else
			snprintf(err, errlen, "%s %s: %s", option, device, strerror(errno));
		rc = -1;
	}
	close(fd);
	return rc;
}
