/*
 * webadmin.h - the admin HTTP interface (coturn's web-admin, web-admin-ip,
 * web-admin-port).
 *
 * webadmin_start() runs libevent's evhttp on a thread and event loop of its
 * own, over HTTPS when a certificate is configured (cert/pkey, the TLS
 * context of tls.h). Every page but the login form needs a session, which
 * an admin account of the user store opens (coturn's admin_user table, keys
 * only: turnadmin -A). It serves plain HTML pages and a JSON API over the
 * same data: server status, live allocations, anchored calls, and actions
 * (cancel an allocation, delete a call, drain), each a POST carrying the
 * session's CSRF token.
 *
 * Files: webadmin.c (thread, HTTP, routing, actions), webadmin_session.c
 * (logins, sessions, CSRF tokens, failed-login budget), webadmin_pages.c
 * (HTML and JSON), webadmin_text.c (escaping, the cookie), webadmin_alloc.c (allocations, read and cancelled on
 * their own workers), webadmin_pw.c (coturn's admin password hashes),
 * webadmin_diag.c (web-diagnostic: the WebRTC diagnostic page, open to
 * anyone, with TURN REST credentials minted for it).
 */
#ifndef SERVER_WEBADMIN_H
#define SERVER_WEBADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/admin_call.h"

struct server;
struct webadmin;

/* What the anchor lends the interface (main.c fills it; NULL without an anchor). */
struct webadmin_anchor {
	/* Calls to cb, at most max of them (cb NULL with max 0: just count); returns how many there are in all. */
	unsigned int (*list)(void *arg, void (*cb)(void *cbarg, const struct admin_call *c),
			     void *cbarg, unsigned int max);
	/* Deletes a call as the ng delete does: 0, or -1 when there is no such call. */
	int (*delete_call)(void *arg, const char *call_id);
	void *arg;
};

/*
 * Binds web-admin-ip (127.0.0.1 without it) and web-admin-port and starts
 * the thread. NULL with a message in err when it cannot. The workers must
 * run until webadmin_stop(); anchor may be NULL.
 */
struct webadmin *webadmin_start(struct server *srv, const struct webadmin_anchor *anchor,
				char *err, size_t errlen);
/* Is it served over HTTPS (a certificate configured)? */
bool webadmin_https(const struct webadmin *wa);
/*
 * SIGHUP holds the interface while it swaps options (reload.h): what the
 * interface reads of the configuration at run time (web-diagnostic's REST
 * secret) it reads under this. NULL is a no-op.
 */
void webadmin_hold(struct webadmin *wa);
void webadmin_release(struct webadmin *wa);
/* Stops the thread, waits for it, closes the socket. NULL is a no-op. */
void webadmin_stop(struct webadmin *wa);

#endif /* SERVER_WEBADMIN_H */
