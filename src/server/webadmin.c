/*
 * webadmin.c - the admin HTTP interface: its thread, HTTP(S), routing and
 * actions. See webadmin.h.
 *
 * Routes (HTML; the same under /api/ answers JSON):
 *   GET  /login, POST /login (name, password), POST /logout
 *   GET  /status, /allocations, /calls
 *   POST /allocations/cancel (id), /calls/delete (call_id), /drain
 *   with web-diagnostic, open to anyone: GET /diagnostic, /diagnostic.js,
 *   /api/diagnostic/ice (webadmin_diag.c)
 * Every route but the login needs a session's cookie; every POST but the
 * login the session's CSRF token (form field csrf, or an X-CSRF-Token
 * header), and none may come from another site (Sec-Fetch-Site). Requests
 * are bounded (headers, body, time); answers carry a Content-Security-
 * Policy without scripts (but for the diagnostic page's own script).
 */
#include "server/webadmin_internal.h"

#include "common/clock.h"
#include "common/log.h"
#include "server/server.h"
#include "server/tls.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/queue.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WEBADMIN_TIMEOUT_S 10	   /* an idle or slow client's connection */
#define WEBADMIN_MAX_HEADERS 8192  /* a request's line and headers, bytes */
#define WEBADMIN_MAX_BODY 4096	   /* a form, bytes */
#define WEBADMIN_MAX_PASSWORD 256
#define HTTP_STATUS_UNAUTHORIZED 401
#define HTTP_STATUS_FORBIDDEN 403

struct request {
	struct webadmin *wa;
	struct evhttp_request *req;
	const char *path; /* without /api */
	bool json;
	bool post;
	struct webadmin_session *s;
	struct evkeyvalq form;
	bool has_form;
	const char *type; /* Content-Type, when not HTML or JSON */
	const char *csp;  /* Content-Security-Policy, when not the one without scripts */
};

#define WEBADMIN_CSP                                                                        \
	"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "                \
	"frame-ancestors 'none'; base-uri 'none'"
/* the diagnostic page: its own script, and fetch() of its credentials */
#define WEBADMIN_DIAG_CSP                                                                   \
	"default-src 'none'; script-src 'self'; connect-src 'self'; "                        \
	"style-src 'unsafe-inline'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

static void add_header(struct request *r, const char *name, const char *value)
{
	evhttp_add_header(evhttp_request_get_output_headers(r->req), name, value);
}

static void reply(struct request *r, int code, const char *reason, struct evbuffer *body)
{
	add_header(r, "Content-Type",
		   r->type   ? r->type
		   : r->json ? "application/json; charset=utf-8"
			     : "text/html; charset=utf-8");
	add_header(r, "Cache-Control", "no-store");
	add_header(r, "X-Content-Type-Options", "nosniff");
	add_header(r, "X-Frame-Options", "DENY");
	add_header(r, "Referrer-Policy", "no-referrer");
	add_header(r, "Content-Security-Policy", r->csp ? r->csp : WEBADMIN_CSP);
	evhttp_send_reply(r->req, code, reason, body);
}

/* An error: {"error": text} or a short page. */
static void reply_error(struct request *r, int code, const char *reason, const char *text)
{
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(r->req, HTTP_INTERNAL, NULL);
		return;
	}
	if (r->json) {
		evbuffer_add_printf(body, "{\"error\":");
		webadmin_json_str(body, text);
		evbuffer_add_printf(body, "}\n");
	} else {
		webadmin_page_begin(body, reason, r->s);
		evbuffer_add_printf(body, "<p id=\"error\">");
		webadmin_html(body, text);
		evbuffer_add_printf(body, "</p>\n");
		webadmin_page_end(body);
	}
	reply(r, code, reason, body);
	evbuffer_free(body);
}

/* HTML: 303 to location; JSON: 200 with json_body. */
static void reply_done(struct request *r, const char *location, const char *json_body)
{
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(r->req, HTTP_INTERNAL, NULL);
		return;
	}
	if (r->json) {
		evbuffer_add_printf(body, "%s\n", json_body);
		reply(r, HTTP_OK, "OK", body);
	} else {
		add_header(r, "Location", location);
		reply(r, 303, "See Other", body);
	}
	evbuffer_free(body);
}

static void set_cookie(struct request *r, const char *token)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s=%s; Path=/; HttpOnly; SameSite=Strict%s%s", WEBADMIN_COOKIE,
		 token ? token : "", token ? "" : "; Max-Age=0", r->wa->https ? "; Secure" : "");
	add_header(r, "Set-Cookie", buf);
}

/* The body as a form (application/x-www-form-urlencoded): 0, or -1 (too long, NUL, bad). */
static int read_form(struct request *r)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(r->req);
	size_t len = evbuffer_get_length(in);
	char body[WEBADMIN_MAX_BODY + 1];

	TAILQ_INIT(&r->form);
	if (len > WEBADMIN_MAX_BODY || evbuffer_copyout(in, body, len) != (ev_ssize_t)len ||
	    memchr(body, '\0', len))
		return -1;
	body[len] = '\0';
	if (evhttp_parse_query_str(body, &r->form) < 0)
		return -1;
	r->has_form = true;
	return 0;
}

static const char *form_get(struct request *r, const char *key)
{
	return r->has_form ? evhttp_find_header(&r->form, key) : NULL;
}

/* The login form again with message (HTML), or {"error": message}. */
static void reply_login(struct request *r, int code, const char *reason, const char *message)
{
	struct evbuffer *body;

	if (r->json) {
		reply_error(r, code, reason, message);
		return;
	}
	body = evbuffer_new();
	if (!body) {
		evhttp_send_error(r->req, HTTP_INTERNAL, NULL);
		return;
	}
	webadmin_login_page(body, message);
	reply(r, code, reason, body);
	evbuffer_free(body);
}

/* The request's source address into src (0.0.0.0 when evhttp has none). */
static void request_source(struct request *r, struct sockaddr_storage *src)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(r->req);
	const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;

	memset(src, 0, sizeof(*src));
	if (sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		memcpy(src, sa, sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
							 : sizeof(struct sockaddr_in6));
	else
		src->ss_family = AF_INET;
}

static void do_login(struct request *r)
{
	struct webadmin *wa = r->wa;
	const char *name = form_get(r, "name"), *pw = form_get(r, "password");
	struct sockaddr_storage src;
	struct webadmin_session *s;
	int ok;

	request_source(r, &src);
	if (!name || !pw || !*name || strlen(name) > USERDB_ADMIN_NAME_MAX ||
	    strlen(pw) > WEBADMIN_MAX_PASSWORD) {
		reply_error(r, HTTP_BADREQUEST, "Bad Request", "an admin name and a password, please");
		return;
	}
	if (!webadmin_login_allowed(wa, (struct sockaddr *)&src)) {
		reply_login(r, 429, "Too Many Requests",
			    "too many failed logins from your address: wait a minute");
		return;
	}
	ok = webadmin_login_check(wa, name, pw);
	if (ok < 0) {
		log_error("web-admin: cannot read the admin accounts: %s", userdb_errmsg(wa->db));
		reply_error(r, HTTP_INTERNAL, "Internal Server Error", "the user store failed");
		return;
	}
	if (!ok) {
		char buf[ADDR_STRLEN], who[64];

		webadmin_login_failed(wa, (struct sockaddr *)&src);
		log_warn("web-admin: failed login as '%s' from %s",
			 log_safe(name, who, sizeof(who)),
			 addr_str((struct sockaddr *)&src, buf, sizeof(buf)));
		reply_login(r, HTTP_STATUS_UNAUTHORIZED, "Unauthorized", "wrong admin name or password");
		return;
	}
	s = webadmin_session_open(wa, name);
	if (!s) {
		reply_error(r, HTTP_INTERNAL, "Internal Server Error", "no session");
		return;
	}
	r->s = s;
	set_cookie(r, s->token);
	if (r->json) {
		char body[WEBADMIN_TOKEN_HEX + 16];

		snprintf(body, sizeof(body), "{\"csrf\":\"%s\"}", s->csrf);
		reply_done(r, NULL, body);
	} else {
		reply_done(r, "/status", NULL);
	}
}

static void do_cancel(struct request *r)
{
	const char *id = form_get(r, "id");
	char *end;
	unsigned long long v;

	errno = 0;
	v = id && *id >= '0' && *id <= '9' ? strtoull(id, &end, 10) : 0;
	if (!v || errno || *end) {
		reply_error(r, HTTP_BADREQUEST, "Bad Request", "id: an allocation's id, please");
		return;
	}
	if (webadmin_alloc_cancel(r->wa, (uint64_t)v) < 0) {
		reply_error(r, HTTP_NOTFOUND, "Not Found", "no such allocation (it may have ended)");
		return;
	}
	log_info("web-admin: '%s' cancelled allocation %llu", r->s->user, v);
	reply_done(r, "/allocations", "{\"cancelled\":true}");
}

static void do_delete_call(struct request *r)
{
	const char *id = form_get(r, "call_id");
	char safe[ADMIN_CALL_ID_MAX + 1];

	if (!id || !*id || strlen(id) > ADMIN_CALL_ID_MAX) {
		reply_error(r, HTTP_BADREQUEST, "Bad Request", "call_id: a Call-ID, please");
		return;
	}
	if (!r->wa->has_anchor || r->wa->anchor.delete_call(r->wa->anchor.arg, id) < 0) {
		reply_error(r, HTTP_NOTFOUND, "Not Found", "no such call (it may have ended)");
		return;
	}
	log_info("web-admin: '%s' deleted call '%s'", r->s->user, log_safe(id, safe, sizeof(safe)));
	reply_done(r, "/calls", "{\"deleted\":true}");
}

/* Once the answer is out: main.c may stop at once when nothing is left to drain. */
static void drain_now(struct evhttp_request *req, void *arg)
{
	(void)req;
	(void)arg;
	if (kill(getpid(), SIGUSR1) < 0)
		log_error("web-admin: cannot signal the drain: %s", strerror(errno));
}

/* The SIGUSR1 drain of main.c: the same path, the same log line. */
static void do_drain(struct request *r)
{
	log_info("web-admin: '%s' asked for a drain", r->s->user);
	evhttp_request_set_on_complete_cb(r->req, drain_now, NULL);
	reply_done(r, "/status", "{\"draining\":true}");
}

static void do_logout(struct request *r)
{
	webadmin_session_close(r->s);
	r->s = NULL;
	set_cookie(r, NULL);
	reply_done(r, "/login", "{\"logged_out\":true}");
}

static void do_page(struct request *r,
		    void (*page)(struct webadmin *, struct evbuffer *, bool,
				 const struct webadmin_session *))
{
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(r->req, HTTP_INTERNAL, NULL);
		return;
	}
	page(r->wa, body, r->json, r->s);
	reply(r, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void page_status(struct request *r) { do_page(r, webadmin_status); }
static void page_allocations(struct request *r) { do_page(r, webadmin_allocations); }
static void page_calls(struct request *r) { do_page(r, webadmin_calls); }

/* The diagnostic page and its script: the same for everyone, with a policy allowing that script. */
static void page_diag(struct request *r, void (*write)(struct evbuffer *), const char *type)
{
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(r->req, HTTP_INTERNAL, NULL);
		return;
	}
	write(body);
	r->type = type;
	r->csp = WEBADMIN_DIAG_CSP;
	reply(r, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void page_diagnostic(struct request *r) { page_diag(r, webadmin_diag_page, NULL); }

static void page_diagnostic_js(struct request *r)
{
	page_diag(r, webadmin_diag_script, "text/javascript; charset=utf-8");
}

static bool cross_site(struct request *r);

/*
 * The page's credentials, minted for anyone who asks from this site: at most
 * WEBADMIN_DIAG_PER_WINDOW a minute per source address (IPv6: its /64).
 */
static void diag_ice(struct request *r)
{
	struct webadmin *wa = r->wa;
	struct sockaddr_storage src;
	char host[256], err[256];
	struct evbuffer *body;

	if (!r->json) {
		reply_error(r, HTTP_NOTFOUND, "Not Found", "no such page");
		return;
	}
	if (cross_site(r)) {
		reply_error(r, HTTP_STATUS_FORBIDDEN, "Forbidden", "a request from another site");
		return;
	}
	if (webadmin_host_header(evhttp_find_header(evhttp_request_get_input_headers(r->req),
						    "Host"),
				 host, sizeof(host)) < 0) {
		reply_error(r, HTTP_BADREQUEST, "Bad Request",
			    "a Host header naming this server, please");
		return;
	}
	request_source(r, &src);
	if (!webadmin_diag_take(wa, (struct sockaddr *)&src)) {
		reply_error(r, 429, "Too Many Requests",
			    "too many diagnostic runs from your address: wait a minute");
		return;
	}
	body = evbuffer_new();
	if (!body) {
		evhttp_send_error(r->req, HTTP_INTERNAL, NULL);
		return;
	}
	if (webadmin_diag_ice(wa, host, body, err, sizeof(err)) < 0) {
		log_error("web-diagnostic: no credentials for the page: %s", err);
		reply_error(r, HTTP_SERVUNAVAIL, "Service Unavailable",
			    "the server cannot make TURN credentials now");
	} else {
		reply(r, HTTP_OK, "OK", body);
	}
	evbuffer_free(body);
}

static void page_login(struct request *r)
{
	if (r->json)
		reply_done(r, NULL, "{\"login\":\"POST name and password to /api/login\"}");
	else
		reply_login(r, HTTP_OK, "OK", NULL);
}

static const struct route {
	const char *path;
	bool post;
	bool open; /* no session needed */
	void (*run)(struct request *r);
	bool diag; /* only with web-diagnostic */
} routes[] = {
    {"/login", false, true, page_login},
    {"/login", true, true, do_login},
    {"/logout", true, false, do_logout},
    {"/status", false, false, page_status},
    {"/allocations", false, false, page_allocations},
    {"/calls", false, false, page_calls},
    {"/allocations/cancel", true, false, do_cancel},
    {"/calls/delete", true, false, do_delete_call},
    {"/drain", true, false, do_drain},
    {"/diagnostic", false, true, page_diagnostic, true},
    {"/diagnostic.js", false, true, page_diagnostic_js, true},
    {"/diagnostic/ice", false, true, diag_ice, true},
};

/* A POST that another site's page may have sent: refused (with the CSRF token check). */
static bool cross_site(struct request *r)
{
	const char *site = evhttp_find_header(evhttp_request_get_input_headers(r->req),
					      "Sec-Fetch-Site");

	return site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0;
}

static void route_request(struct request *r)
{
	struct evkeyvalq *hdr = evhttp_request_get_input_headers(r->req);
	const struct route *rt = NULL;
	bool path_known = false;

	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(routes[i].path, r->path) != 0 ||
		    (routes[i].diag && !r->wa->srv->cfg->web_diagnostic))
			continue;
		path_known = true;
		if (routes[i].post == r->post)
			rt = &routes[i];
	}
	if (!path_known && strcmp(r->path, "/") == 0 && !r->post) {
		reply_done(r, "/status", "{\"see\":\"/api/status\"}");
		return;
	}
	if (!rt) {
		reply_error(r, path_known ? HTTP_BADMETHOD : HTTP_NOTFOUND,
			    path_known ? "Method Not Allowed" : "Not Found",
			    path_known ? "not with this method" : "no such page");
		return;
	}
	if (r->post && cross_site(r)) {
		reply_error(r, HTTP_STATUS_FORBIDDEN, "Forbidden", "a request from another site");
		return;
	}
	if (r->post && read_form(r) < 0) {
		reply_error(r, HTTP_BADREQUEST, "Bad Request", "not a form");
		return;
	}
	if (!rt->open) {
		r->s = webadmin_session_find(r->wa, evhttp_find_header(hdr, "Cookie"));
		if (!r->s) {
			if (r->json)
				reply_error(r, HTTP_STATUS_UNAUTHORIZED, "Unauthorized", "log in first");
			else
				reply_done(r, "/login", NULL);
			return;
		}
		if (r->post) {
			const char *csrf = form_get(r, "csrf");

			if (!csrf)
				csrf = evhttp_find_header(hdr, "X-CSRF-Token");
			if (!webadmin_csrf_ok(r->s, csrf)) {
				reply_error(r, HTTP_STATUS_FORBIDDEN, "Forbidden",
					    "the form's CSRF token is missing or stale: reload");
				return;
			}
		}
	}
	rt->run(r);
}

static void webadmin_request(struct evhttp_request *req, void *arg)
{
	struct request r = {.wa = arg, .req = req};
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);

	if (!path) {
		evhttp_send_error(req, HTTP_BADREQUEST, NULL);
		return;
	}
	/* evhttp speaks plain HTTP on a connection webadmin_bev() could not make TLS */
	if (r.wa->https && !bufferevent_openssl_get_ssl(evhttp_connection_get_bufferevent(
			       evhttp_request_get_connection(req)))) {
		evhttp_send_error(req, HTTP_BADREQUEST, "HTTPS only");
		return;
	}
	r.post = cmd == EVHTTP_REQ_POST;
	r.json = strncmp(path, "/api/", 5) == 0;
	r.path = r.json ? path + 4 : path;
	route_request(&r);
	if (r.has_form)
		evhttp_clear_headers(&r.form);
}

/* HTTPS: each connection gets an SSL of the TLS context (cert, pkey; tls.h). */
static struct bufferevent *webadmin_bev(struct event_base *base, void *arg)
{
	struct webadmin *wa = arg;
	SSL *ssl = tls_ssl_new(wa->srv->tls, TLS_KIND_TLS);

	if (!ssl)
		return NULL;
	return bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
					      BEV_OPT_CLOSE_ON_FREE);
}

static void *webadmin_thread(void *arg)
{
	struct webadmin *wa = arg;

	event_base_dispatch(wa->base);
	return NULL;
}

struct webadmin *webadmin_start(struct server *srv, const struct webadmin_anchor *anchor,
				char *err, size_t errlen)
{
	const struct config *c = srv->cfg;
	const char *ip = c->web_admin_ip_count ? c->web_admin_ip[0].text : CONFIG_DEFAULT_WEB_ADMIN_IP;
	struct webadmin *wa = calloc(1, sizeof(*wa));

	if (!wa) {
		snprintf(err, errlen, "web-admin: out of memory");
		return NULL;
	}
	wa->srv = srv;
	if (c->web_diagnostic && !c->use_auth_secret) {
		free(wa);
		snprintf(err, errlen,
			 "web-diagnostic needs use-auth-secret: the page's credentials are TURN REST "
			 "API ones, made from static-auth-secret or a secret of the realm in the store");
		return NULL;
	}
	if (anchor) {
		wa->anchor = *anchor;
		wa->has_anchor = true;
	}
	wa->start_ms = clock_ms();
	if (pthread_mutex_init(&wa->cfg_lock, NULL) != 0) {
		free(wa);
		snprintf(err, errlen, "web-admin: cannot make a lock");
		return NULL;
	}
	if (RAND_bytes((unsigned char *)&wa->fail_seed, sizeof(wa->fail_seed)) != 1) {
		snprintf(err, errlen, "web-admin: no randomness");
		goto fail;
	}
	/* its own handle: a login's lookup blocks only this thread */
	wa->db = c->redis_userdb[0] ? userdb_open_redis(c->redis_userdb, true, err, errlen)
				    : userdb_open_sqlite(c->userdb, false, err, errlen);
	if (!wa->db)
		goto fail;
	wa->base = event_base_new();
	wa->http = wa->base ? evhttp_new(wa->base) : NULL;
	if (!wa->http) {
		snprintf(err, errlen, "web-admin: cannot make an event loop");
		goto fail;
	}
	evhttp_set_allowed_methods(wa->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST);
	evhttp_set_timeout(wa->http, WEBADMIN_TIMEOUT_S);
	evhttp_set_max_headers_size(wa->http, WEBADMIN_MAX_HEADERS);
	evhttp_set_max_body_size(wa->http, WEBADMIN_MAX_BODY);
	evhttp_set_gencb(wa->http, webadmin_request, wa);
	wa->https = tls_ctx_on(srv->tls, TLS_KIND_TLS);
	if (wa->https)
		evhttp_set_bevcb(wa->http, webadmin_bev, wa);
	if (evhttp_bind_socket(wa->http, ip, c->web_admin_port) != 0) {
		snprintf(err, errlen, "web-admin: cannot listen on %s port %u: %s", ip,
			 c->web_admin_port, strerror(errno));
		goto fail;
	}
	if (pthread_create(&wa->thread, NULL, webadmin_thread, wa) != 0) {
		snprintf(err, errlen, "web-admin: cannot start its thread");
		goto fail;
	}
	wa->started = true;
	return wa;
fail:
	webadmin_stop(wa);
	return NULL;
}

void webadmin_hold(struct webadmin *wa)
{
	if (wa)
		pthread_mutex_lock(&wa->cfg_lock);
}

void webadmin_release(struct webadmin *wa)
{
	if (wa)
		pthread_mutex_unlock(&wa->cfg_lock);
}

bool webadmin_https(const struct webadmin *wa)
{
	return wa->https;
}

void webadmin_stop(struct webadmin *wa)
{
	if (!wa)
		return;
	if (wa->started) {
		event_base_loopexit(wa->base, NULL);
		pthread_join(wa->thread, NULL);
	}
	if (wa->http)
		evhttp_free(wa->http);
	if (wa->base)
		event_base_free(wa->base);
	userdb_close(wa->db);
	OPENSSL_cleanse(wa->sessions, sizeof(wa->sessions));
	pthread_mutex_destroy(&wa->cfg_lock);
	free(wa);
}
