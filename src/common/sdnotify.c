/*
 * sdnotify.c - sd_notify(3) over $NOTIFY_SOCKET without libsystemd: one
 * SOCK_DGRAM send of the state text, as systemd's protocol describes it
 * (systemd.service(5), Type=notify).
 */
#include "common/sdnotify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int sdnotify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	size_t len;
	socklen_t salen;
	ssize_t n;
	int fd, saved;

	if (!path || !*path)
		return 0;
	len = strlen(path);
	/* an abstract name ('@' becomes the leading NUL) or an absolute path */
	if ((path[0] != '@' && path[0] != '/') || len < 2 || len >= sizeof(sun.sun_path)) {
		errno = EINVAL;
		return -1;
	}
	memcpy(sun.sun_path, path, len);
	if (sun.sun_path[0] == '@')
		sun.sun_path[0] = '\0';
	/* abstract names are counted exactly; paths take their NUL along */
	salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + (path[0] == '/'));
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	n = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (const struct sockaddr *)&sun, salen);
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	return 1;
}
