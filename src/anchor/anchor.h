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
 * The anchor stands on the relay layer (relay/relay.h): the addresses, the
 * port range, the registry of local ports and the peer verdict that TURN
 * uses too. It knows nothing of TURN; turnserver's main wires the two.
 *
 * Threads: the anchor runs a control thread (the ng socket) and
 * anchor-num-threads media threads, each with its own event loop, calls and
 * media sockets. TURN workers reach it only through the deliver callback
 * it registers for its ports in the relay registry (relay_ports_deliver()),
 * under the lock of the port's media thread.
 */
#ifndef ANCHOR_ANCHOR_H
#define ANCHOR_ANCHOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct anchor;
struct config;
struct relay;

/*
 * The budget of media ports the anchor may hold (anchor-port-share of the
 * relay range), kept by its caller: take() returns 0 or -1. Any thread.
 */
struct anchor_port_budget {
	int (*take)(void *ctx, unsigned int ports);
	void (*release)(void *ctx, unsigned int ports);
	unsigned int (*max)(void *ctx);
	void *ctx;
};

/*
 * Sets the anchor up from cfg (anchor-* options) on the relay layer r:
 * binds the control socket, works out the public and local media
 * addresses, registers them and itself as the owner of its ports in r.
 * Before any thread runs. NULL with a message in err when it cannot; the
 * caller has checked that anchor-ng-listen is set.
 */
struct anchor *anchor_new(struct relay *r, const struct config *cfg,
			  const struct anchor_port_budget *budget, char *err, size_t errlen);

/* Starts the anchor's thread. 0, or -1 (logged). */
int anchor_start(struct anchor *an);

/*
 * Drain (SIGUSR1): new calls are refused as over the session limit
 * ("load limit" to a proxy that supports it); the calls there are run on.
 * anchor_calls() is how many there are now.
 */
void anchor_drain(struct anchor *an);
unsigned int anchor_calls(struct anchor *an);

/*
 * SIGHUP (server/reload.h): the anchor's threads held out of its calls,
 * and so out of the peer verdict, while the server swaps the peer policy;
 * anchor_release() lets them go on. Nothing of the anchor changes.
 */
void anchor_hold(struct anchor *an);
void anchor_release(struct anchor *an);

/*
 * Prometheus metrics of the anchor (anchor_metrics.c): calls, streams by
 * mode, ng requests, relayed media, drops, SRTP bridging, appended to out
 * from any thread without the anchor's locks.
 */
struct evbuffer;
void anchor_metrics_write(struct anchor *an, struct evbuffer *out);

/*
 * anchor_admin.c: the calls for the admin interface, under the anchor's
 * lock. anchor_admin_calls() hands at most max calls to cb (cb NULL with
 * max 0: just counts) and returns how many there are; anchor_admin_delete()
 * deletes one as the ng delete does: 0, or -1 when there is no such call.
 */
struct admin_call;
unsigned int anchor_admin_calls(struct anchor *an,
				void (*cb)(void *arg, const struct admin_call *c), void *arg,
				unsigned int max);
int anchor_admin_delete(struct anchor *an, const char *call_id);

/* Stops the thread and waits for it; every call ends, every port is freed. */
void anchor_stop(struct anchor *an);
void anchor_free(struct anchor *an);

#endif /* ANCHOR_ANCHOR_H */
