/*
 * anchor.h - the media anchor: what turnserver's main and workers see of it.
 *
 * The anchor stands between a browser and a PBX that cannot allocate TURN
 * relays. A SIP proxy (Kamailio, OpenSIPS) drives it over rtpengine's ng
 * protocol on a UDP control socket; for each call it takes relay ports from
 * the TURN relay range, rewrites both SDPs so that each party sees only the
 * anchor's addresses and ICE candidates, answers ICE as the controlled
 * agent on the PBX's behalf, and forwards DTLS, SRTP, RTP and RTCP between
 * the two parties unchanged.
 *
 * Threads: the anchor runs one thread with its own event loop: the control
 * socket, every call and every media socket. Workers reach it only through
 * anchor_deliver(), under the anchor's lock.
 */
#ifndef ANCHOR_ANCHOR_H
#define ANCHOR_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct server;
struct anchor;

/*
 * Sets the anchor up from srv->cfg (anchor-* options): binds the control
 * socket, works out the public and local media addresses. NULL with a
 * message in err when it cannot; the caller has checked that
 * anchor-ng-listen is set.
 */
struct anchor *anchor_new(struct server *srv, char *err, size_t errlen);

/* Starts the anchor's thread. 0, or -1 (logged). */
int anchor_start(struct anchor *an);

/* Stops the thread and waits for it; every call ends, every port is freed. */
void anchor_stop(struct anchor *an);
void anchor_free(struct anchor *an);

/*
 * A TURN allocation's relay socket (from) sends buf to to. When to is one
 * of the anchor's media sockets, the datagram is handed to the anchor as if
 * it had arrived there from the relay address (a browser's allocation on
 * this server joined to its anchored call) and true is returned: the caller
 * sends nothing. False: not an anchor port, the caller sends as usual.
 * Called from worker threads.
 */
bool anchor_deliver(struct anchor *an, const struct sockaddr *to, const struct sockaddr *from,
		    const uint8_t *buf, size_t len);

#endif /* ANCHOR_ANCHOR_H */
