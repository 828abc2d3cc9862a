/*
 * webadmin_internal.h - what the webadmin*.c files share (webadmin.h).
 * Everything here runs on the interface's own thread, except the
 * allocation jobs of webadmin_alloc.c, whose collecting half runs on each
 * worker.
 */
#ifndef SERVER_WEBADMIN_INTERNAL_H
#define SERVER_WEBADMIN_INTERNAL_H

#include "server/webadmin.h"
#include "server/userdb.h"
#include "server/webadmin_pw.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct evbuffer;
struct event_base;
struct evhttp;
struct userdb;

#define WEBADMIN_SESSIONS 32	       /* logged-in sessions at once; the oldest goes */
#define WEBADMIN_TOKEN_BYTES 32	       /* session and CSRF tokens, random */
#define WEBADMIN_TOKEN_HEX (2 * WEBADMIN_TOKEN_BYTES)
#define WEBADMIN_SESSION_IDLE_S 1800   /* a session unused this long ends */
#define WEBADMIN_SESSION_MAX_S 28800   /* and any session after this long */
#define WEBADMIN_FAIL_SLOTS 256	       /* failed-login budget: slots by source address */
#define WEBADMIN_FAILS_PER_WINDOW 5    /* failed logins from one address per window */
#define WEBADMIN_FAIL_WINDOW_S 60
#define WEBADMIN_DIAG_PER_WINDOW 10    /* diagnostic credentials per source address per window */
#define WEBADMIN_DIAG_TTL_S 600	       /* and how long they are good */
#define WEBADMIN_MAX_ALLOCS 1000       /* allocations one page lists */
#define WEBADMIN_MAX_CALLS 1000	       /* calls one page lists */
#define WEBADMIN_COOKIE "turnserver_admin"

struct webadmin_session {
	bool used;
	char token[WEBADMIN_TOKEN_HEX + 1]; /* the cookie */
	char csrf[WEBADMIN_TOKEN_HEX + 1];  /* every POST carries it */
	char user[USERDB_ADMIN_NAME_MAX + 1];
	uint64_t created_ms, last_ms;
};

struct webadmin_fail {
	uint32_t key; /* hash of the source address (IPv6: its /64) */
	uint64_t window_ms;
	unsigned int count;
};

struct webadmin {
	struct server *srv;
	struct webadmin_anchor anchor;
	bool has_anchor;
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	bool started;
	bool https;
	struct userdb *db; /* the interface's own handle on the SQLite store */
	uint32_t fail_seed;
	uint64_t start_ms, start_wall_s;
	struct webadmin_session sessions[WEBADMIN_SESSIONS];
	struct webadmin_fail fails[WEBADMIN_FAIL_SLOTS];
	struct webadmin_fail diag_mints[WEBADMIN_FAIL_SLOTS]; /* same slots, the page's budget */
	pthread_mutex_t cfg_lock; /* held by SIGHUP while it swaps options (webadmin_hold()) */
};

/* webadmin_session.c */
/* A new session for user (the oldest one makes room): NULL when out of randomness. */
struct webadmin_session *webadmin_session_open(struct webadmin *wa, const char *user);
/* The live session whose token the Cookie header carries, or NULL. */
struct webadmin_session *webadmin_session_find(struct webadmin *wa, const char *cookie);
void webadmin_session_close(struct webadmin_session *s);
/* Does csrf match s's token (constant time)? */
bool webadmin_csrf_ok(const struct webadmin_session *s, const char *csrf);
/* May src try a login now (its failures within the budget)? */
bool webadmin_login_allowed(struct webadmin *wa, const struct sockaddr *src);
void webadmin_login_failed(struct webadmin *wa, const struct sockaddr *src);
/* One more diagnostic credential for src: within its budget (10 a minute)? */
bool webadmin_diag_take(struct webadmin *wa, const struct sockaddr *src);
/* Checks name and password against the store's admin accounts: 1, 0 (no), -1 (store error). */
int webadmin_login_check(struct webadmin *wa, const char *name, const char *password);

/* webadmin_text.c (pure): the session cookie, and escaping */
/* The value of cookie name in a Cookie header, copied into out: 0, or -1 (none, too long). */
int webadmin_cookie_value(const char *header, const char *name, char *out, size_t cap);
/* s as HTML text or attribute value: <>&"' as entities, control characters as '?'. */
void webadmin_html(struct evbuffer *out, const char *s);
/* s as a JSON string, quotes included; <, >, & and controls as \uXXXX. */
void webadmin_json_str(struct evbuffer *out, const char *s);
/*
 * The host of an HTTP Host header (RFC 9110 §7.2: uri-host [":" port]):
 * a DNS name or IPv4 address (letters, digits, '-', '.', not starting with
 * '-' or '.', at most 253), or an IPv6 literal in brackets (written
 * without them), copied into out: 0, or -1 (none, malformed, too long).
 */
int webadmin_host_header(const char *header, char *out, size_t cap);

/* webadmin_pages.c: the pages and their JSON */
void webadmin_page_begin(struct evbuffer *out, const char *title,
			 const struct webadmin_session *s);
void webadmin_page_end(struct evbuffer *out);
void webadmin_login_page(struct evbuffer *out, const char *message);
void webadmin_status(struct webadmin *wa, struct evbuffer *out, bool json,
		     const struct webadmin_session *s);
void webadmin_allocations(struct webadmin *wa, struct evbuffer *out, bool json,
			  const struct webadmin_session *s);
void webadmin_calls(struct webadmin *wa, struct evbuffer *out, bool json,
		    const struct webadmin_session *s);

/* webadmin_alloc.c: allocations as their workers see them */
struct webadmin_alloc {
	uint64_t id;
	char user[129];
	bool user_cut;
	union sockaddr_u client;
	union sockaddr_u relay[2];
	int nrelay;
	const char *transport; /* client side: UDP, TCP, TLS, DTLS */
	bool tcp_relay;	       /* RFC 6062 */
	uint32_t lifetime_left_s;
	uint64_t age_s;
	uint64_t pkts[2], bytes[2]; /* [0] to the peers, [1] to the client: userspace + kernel */
	uint64_t kernel_pkts[2];
	bool kernel; /* a channel forwarded by the kernel now */
	unsigned int perms, chans;
};
struct webadmin_allocs {
	struct webadmin_alloc *v;
	size_t n;     /* in v, at most WEBADMIN_MAX_ALLOCS */
	size_t total; /* on the workers */
};
/* A snapshot of every worker's allocations: 0, or -1 (a worker did not answer in time). */
int webadmin_allocs_collect(struct webadmin *wa, struct webadmin_allocs *out);
void webadmin_allocs_free(struct webadmin_allocs *a);
/* Ends allocation id on its worker (its client gets 437 next, or its connection closes): 0 or -1. */
int webadmin_alloc_cancel(struct webadmin *wa, uint64_t id);

/* webadmin_diag.c: the WebRTC diagnostic page (web-diagnostic), open to anyone */
void webadmin_diag_page(struct evbuffer *out);
void webadmin_diag_script(struct evbuffer *out);
/*
 * {"iceServers": ..., "ttl": S} for this server's STUN and TURN URLs on host,
 * with TURN REST credentials good for WEBADMIN_DIAG_TTL_S: 0, or -1 with
 * why in err (no secret, store error).
 */
int webadmin_diag_ice(struct webadmin *wa, const char *host, struct evbuffer *out, char *err,
		      size_t errlen);

#endif /* SERVER_WEBADMIN_INTERNAL_H */
