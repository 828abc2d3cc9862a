/*
 * webadmin_pages.c - the admin interface's pages: plain HTML (no script,
 * forms for the actions) and the same data as JSON under /api/.
 *
 * Every text that comes from outside (user names, Call-IDs, tags) is
 * escaped where it is written (webadmin_text.c: webadmin_html() for HTML
 * text and attributes, webadmin_json_str() for JSON strings), so a name
 * like "<script>" is shown as text and never runs.
 */
#include "server/webadmin_internal.h"

#include "common/clock.h"
#include "common/prom.h"
#include "common/version.h"
#include "relay/relay_engine.h"
#include "server/server.h"
#include "server/tls.h"

#include <event2/buffer.h>
#include <inttypes.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

static void addr_out(struct evbuffer *out, const union sockaddr_u *a, bool json)
{
	char buf[ADDR_STRLEN];

	if (a->sa.sa_family == AF_UNSPEC)
		snprintf(buf, sizeof(buf), "-");
	else
		addr_str(&a->sa, buf, sizeof(buf));
	if (json)
		webadmin_json_str(out, buf);
	else
		webadmin_html(out, buf);
}

static void csrf_field(struct evbuffer *out, const struct webadmin_session *s)
{
	evbuffer_add_printf(out, "<input type=\"hidden\" name=\"csrf\" value=\"%s\">", s->csrf);
}

void webadmin_page_begin(struct evbuffer *out, const char *title,
			 const struct webadmin_session *s)
{
	evbuffer_add_printf(out,
			    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			    "<title>turnserver: %s</title><style>"
			    "body{font-family:sans-serif;margin:1.5em}"
			    "table{border-collapse:collapse}"
			    "td,th{border:1px solid #999;padding:.25em .5em;text-align:left}"
			    "nav a,nav form{margin-right:1em;display:inline}"
			    "#drain{margin-top:1em}"
			    "</style></head><body>\n",
			    title);
	if (s) {
		evbuffer_add_printf(out,
				    "<nav><a href=\"/status\">Status</a>"
				    "<a href=\"/allocations\">Allocations</a>"
				    "<a href=\"/calls\">Calls</a>"
				    "<form method=\"post\" action=\"/logout\">");
		csrf_field(out, s);
		evbuffer_add_printf(out, "<button type=\"submit\">Log out ");
		webadmin_html(out, s->user);
		evbuffer_add_printf(out, "</button></form></nav>\n");
	}
	evbuffer_add_printf(out, "<h1>%s</h1>\n", title);
}

void webadmin_page_end(struct evbuffer *out)
{
	evbuffer_add_printf(out, "</body></html>\n");
}

void webadmin_login_page(struct evbuffer *out, const char *message)
{
	webadmin_page_begin(out, "log in", NULL);
	if (message) {
		evbuffer_add_printf(out, "<p id=\"message\">");
		webadmin_html(out, message);
		evbuffer_add_printf(out, "</p>\n");
	}
	evbuffer_add_printf(out,
			    "<form method=\"post\" action=\"/login\">"
			    "<label>Admin name <input name=\"name\" maxlength=\"%d\" "
			    "autocomplete=\"username\"></label> "
			    "<label>Password <input name=\"password\" type=\"password\" "
			    "maxlength=\"%d\" autocomplete=\"current-password\"></label> "
			    "<button type=\"submit\">Log in</button></form>\n",
			    USERDB_ADMIN_NAME_MAX, 256);
	webadmin_page_end(out);
}

/* The TLS certificate's notAfter: seconds since the epoch, or 0 without TLS. */
static int64_t cert_expiry(struct server *srv)
{
	SSL_CTX *ctx = srv->tls ? tls_ctx_get(srv->tls, TLS_KIND_TLS) : NULL;
	X509 *cert = ctx ? SSL_CTX_get0_certificate(ctx) : NULL;
	int days = 0, secs = 0;
	int64_t at = 0;

	if (cert && ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)))
		at = (int64_t)time(NULL) + (int64_t)days * 86400 + secs;
	SSL_CTX_free(ctx);
	return at;
}

static uint64_t allocations_now(const struct server *srv)
{
	uint64_t n = 0;

	for (int i = 0; i < srv->nworkers; i++)
		for (int t = 0; t < STATS_TRANSPORTS; t++)
			for (int f = 0; f < STATS_FAMILIES; f++)
				n += prom_load(&srv->workers[i].stats.allocs_now[t][f]);
	return n;
}

static unsigned int calls_now(struct webadmin *wa)
{
	return wa->has_anchor ? wa->anchor.list(wa->anchor.arg, NULL, NULL, 0) : 0;
}

void webadmin_status(struct webadmin *wa, struct evbuffer *out, bool json,
		     const struct webadmin_session *s)
{
	struct server *srv = wa->srv;
	uint64_t up_s = (clock_ms() - wa->start_ms) / 1000;
	int64_t expiry = cert_expiry(srv);
	bool draining = atomic_load(&srv->draining);
	const char *engine = relay_engine_name(&srv->relay.engine);
	char when[32] = "";

	if (expiry) {
		time_t t = (time_t)expiry;
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
	}
	if (json) {
		evbuffer_add_printf(out,
				    "{\"version\":\"%s\",\"uptime_s\":%" PRIu64
				    ",\"workers\":%d,\"engine\":",
				    TURN_VERSION, up_s, srv->nworkers);
		webadmin_json_str(out, engine);
		evbuffer_add_printf(out, ",\"realm\":");
		webadmin_json_str(out, srv->realm);
		evbuffer_add_printf(out, ",\"listeners\":[");
		for (int i = 0; i < srv->relay.nlisten; i++) {
			if (i)
				evbuffer_add(out, ",", 1);
			addr_out(out, &srv->relay.listen[i], true);
		}
		evbuffer_add_printf(out, "],\"tls\":%s", expiry ? "true" : "false");
		if (expiry)
			evbuffer_add_printf(out, ",\"tls_cert_expires\":\"%s\",\"tls_cert_days_left\":%" PRId64,
					    when, (expiry - (int64_t)time(NULL)) / 86400);
		evbuffer_add_printf(out,
				    ",\"allocations\":%" PRIu64 ",\"anchor\":%s,\"calls\":%u,"
				    "\"draining\":%s,\"https\":%s}\n",
				    allocations_now(srv), wa->has_anchor ? "true" : "false",
				    calls_now(wa), draining ? "true" : "false",
				    wa->https ? "true" : "false");
		return;
	}
	webadmin_page_begin(out, "status", s);
	evbuffer_add_printf(out, "<table id=\"status\">\n<tr><th>version</th><td>%s</td></tr>\n"
				 "<tr><th>uptime</th><td>%" PRIu64 " s</td></tr>\n"
				 "<tr><th>workers</th><td>%d</td></tr>\n<tr><th>engine</th><td>",
			    TURN_VERSION, up_s, srv->nworkers);
	webadmin_html(out, engine);
	evbuffer_add_printf(out, "</td></tr>\n<tr><th>realm</th><td>");
	webadmin_html(out, srv->realm);
	evbuffer_add_printf(out, "</td></tr>\n<tr><th>listeners</th><td>");
	for (int i = 0; i < srv->relay.nlisten; i++) {
		addr_out(out, &srv->relay.listen[i], false);
		evbuffer_add_printf(out, "<br>");
	}
	evbuffer_add_printf(out, "</td></tr>\n<tr><th>TLS certificate</th><td>");
	if (expiry)
		evbuffer_add_printf(out, "expires %s (%" PRId64 " days)", when,
				    (expiry - (int64_t)time(NULL)) / 86400);
	else
		evbuffer_add_printf(out, "none (TLS off)");
	evbuffer_add_printf(out,
			    "</td></tr>\n<tr><th>allocations</th><td>%" PRIu64 "</td></tr>\n"
			    "<tr><th>anchored calls</th><td>%s%u</td></tr>\n"
			    "<tr><th>state</th><td id=\"state\">%s</td></tr>\n</table>\n",
			    allocations_now(srv), wa->has_anchor ? "" : "no anchor, ", calls_now(wa),
			    draining ? "draining" : "serving");
	if (!draining) {
		evbuffer_add_printf(out, "<form method=\"post\" action=\"/drain\">");
		csrf_field(out, s);
		evbuffer_add_printf(out, "<button type=\"submit\" id=\"drain\">Drain: new allocations "
					 "and calls go elsewhere, the process ends with the last "
					 "one</button></form>\n");
	}
	webadmin_page_end(out);
}

static void alloc_json(struct evbuffer *out, const struct webadmin_alloc *a)
{
	evbuffer_add_printf(out, "{\"id\":\"%" PRIu64 "\",\"user\":", a->id);
	webadmin_json_str(out, a->user);
	evbuffer_add_printf(out, ",\"user_cut\":%s,\"client\":", a->user_cut ? "true" : "false");
	addr_out(out, &a->client, true);
	evbuffer_add_printf(out, ",\"transport\":\"%s\",\"tcp_relay\":%s,\"relay\":[", a->transport,
			    a->tcp_relay ? "true" : "false");
	for (int i = 0; i < a->nrelay; i++) {
		if (i)
			evbuffer_add(out, ",", 1);
		addr_out(out, &a->relay[i], true);
	}
	evbuffer_add_printf(out,
			    "],\"lifetime_left_s\":%u,\"age_s\":%" PRIu64
			    ",\"packets_to_peer\":%" PRIu64 ",\"bytes_to_peer\":%" PRIu64
			    ",\"packets_to_client\":%" PRIu64 ",\"bytes_to_client\":%" PRIu64
			    ",\"kernel_packets\":%" PRIu64 ",\"kernel\":%s,\"permissions\":%u"
			    ",\"channels\":%u}",
			    a->lifetime_left_s, a->age_s, a->pkts[0], a->bytes[0], a->pkts[1],
			    a->bytes[1], a->kernel_pkts[0] + a->kernel_pkts[1],
			    a->kernel ? "true" : "false", a->perms, a->chans);
}

static void alloc_row(struct evbuffer *out, const struct webadmin_alloc *a,
		      const struct webadmin_session *s)
{
	evbuffer_add_printf(out, "<tr id=\"alloc-%" PRIu64 "\"><td class=\"user\">", a->id);
	webadmin_html(out, a->user);
	evbuffer_add_printf(out, "%s</td><td>", a->user_cut ? "&hellip;" : "");
	addr_out(out, &a->client, false);
	evbuffer_add_printf(out, " %s</td><td>", a->transport);
	for (int i = 0; i < a->nrelay; i++) {
		addr_out(out, &a->relay[i], false);
		evbuffer_add_printf(out, "%s", a->tcp_relay ? " TCP" : "");
		evbuffer_add_printf(out, "<br>");
	}
	evbuffer_add_printf(out,
			    "</td><td>%u s</td><td class=\"to-peer\">%" PRIu64 " / %" PRIu64
			    "</td><td class=\"to-client\">%" PRIu64 " / %" PRIu64 "</td><td>%s</td>"
			    "<td>%u / %u</td><td><form method=\"post\" "
			    "action=\"/allocations/cancel\"><input type=\"hidden\" name=\"id\" "
			    "value=\"%" PRIu64 "\">",
			    a->lifetime_left_s, a->pkts[0], a->bytes[0], a->pkts[1], a->bytes[1],
			    a->kernel ? "kernel" : "userspace", a->perms, a->chans, a->id);
	csrf_field(out, s);
	evbuffer_add_printf(out, "<button type=\"submit\" class=\"cancel\">Cancel</button></form>"
				 "</td></tr>\n");
}

void webadmin_allocations(struct webadmin *wa, struct evbuffer *out, bool json,
			  const struct webadmin_session *s)
{
	struct webadmin_allocs all;
	int rc = webadmin_allocs_collect(wa, &all);

	if (json) {
		evbuffer_add_printf(out, "{\"complete\":%s,\"total\":%zu,\"allocations\":[",
				    rc == 0 && all.n == all.total ? "true" : "false", all.total);
		for (size_t i = 0; i < all.n; i++) {
			if (i)
				evbuffer_add(out, ",", 1);
			alloc_json(out, &all.v[i]);
		}
		evbuffer_add_printf(out, "]}\n");
		webadmin_allocs_free(&all);
		return;
	}
	webadmin_page_begin(out, "allocations", s);
	if (rc < 0)
		evbuffer_add_printf(out, "<p>A worker did not answer in time: try again.</p>\n");
	evbuffer_add_printf(out, "<p id=\"count\">%zu allocations%s</p>\n", all.total,
			    all.n < all.total ? " (the first ones shown)" : "");
	evbuffer_add_printf(out,
			    "<table id=\"allocations\"><tr><th>user</th><th>client</th>"
			    "<th>relay</th><th>lifetime left</th><th>to peers (packets / "
			    "bytes)</th><th>to the client (packets / bytes)</th><th>forwarded "
			    "by</th><th>permissions / channels</th><th></th></tr>\n");
	for (size_t i = 0; i < all.n; i++)
		alloc_row(out, &all.v[i], s);
	evbuffer_add_printf(out, "</table>\n");
	webadmin_page_end(out);
	webadmin_allocs_free(&all);
}

struct calls_out {
	struct evbuffer *out;
	const struct webadmin_session *s;
	bool json;
	unsigned int n;
};

static void call_json(struct evbuffer *out, const struct admin_call *c)
{
	evbuffer_add_printf(out, "{\"call_id\":");
	webadmin_json_str(out, c->call_id);
	evbuffer_add_printf(out,
			    ",\"call_id_cut\":%s,\"age_s\":%" PRIu64 ",\"streams\":%u,"
			    "\"confirmed\":%u,\"kernel\":%s,\"packets\":%" PRIu64
			    ",\"bytes\":%" PRIu64 ",\"legs\":[",
			    c->call_id_cut ? "true" : "false", c->age_s, c->streams, c->confirmed,
			    c->kernel ? "true" : "false", c->packets, c->bytes);
	for (int k = 0; k < 2; k++) {
		evbuffer_add_printf(out, "%s{\"tag\":", k ? "," : "");
		webadmin_json_str(out, c->leg[k].tag);
		evbuffer_add_printf(out, ",\"ice\":");
		webadmin_json_str(out, c->leg[k].ice);
		evbuffer_add_printf(out, ",\"endpoint\":");
		addr_out(out, &c->leg[k].endpoint, true);
		evbuffer_add_printf(out, ",\"endpoint_by\":\"%s\"}", c->leg[k].endpoint_by);
	}
	evbuffer_add_printf(out, "]}");
}

static void call_row(struct evbuffer *out, const struct admin_call *c,
		     const struct webadmin_session *s)
{
	evbuffer_add_printf(out, "<tr><td class=\"call-id\">");
	webadmin_html(out, c->call_id);
	evbuffer_add_printf(out, "%s</td><td>%" PRIu64 " s</td><td>%u / %u</td>",
			    c->call_id_cut ? "&hellip;" : "", c->age_s, c->confirmed, c->streams);
	for (int k = 0; k < 2; k++) {
		evbuffer_add_printf(out, "<td>");
		webadmin_html(out, c->leg[k].tag);
		evbuffer_add_printf(out, "<br>ICE ");
		webadmin_html(out, c->leg[k].ice);
		evbuffer_add_printf(out, "<br>");
		addr_out(out, &c->leg[k].endpoint, false);
		evbuffer_add_printf(out, "%s%s</td>", c->leg[k].endpoint_by[0] ? " " : "",
				    c->leg[k].endpoint_by);
	}
	evbuffer_add_printf(out,
			    "<td>%s</td><td>%" PRIu64 " / %" PRIu64 "</td><td><form method=\"post\" "
			    "action=\"/calls/delete\"><input type=\"hidden\" name=\"call_id\" value=\"",
			    c->kernel ? "kernel" : "userspace", c->packets, c->bytes);
	webadmin_html(out, c->call_id);
	evbuffer_add_printf(out, "\">");
	csrf_field(out, s);
	evbuffer_add_printf(out, "<button type=\"submit\"%s>Delete</button></form></td></tr>\n",
			    c->call_id_cut ? " disabled" : "");
}

static void call_one(void *arg, const struct admin_call *c)
{
	struct calls_out *co = arg;

	if (co->json) {
		if (co->n)
			evbuffer_add(co->out, ",", 1);
		call_json(co->out, c);
	} else {
		call_row(co->out, c, co->s);
	}
	co->n++;
}

void webadmin_calls(struct webadmin *wa, struct evbuffer *out, bool json,
		    const struct webadmin_session *s)
{
	struct calls_out co = {out, s, json, 0};
	unsigned int total;

	if (json) {
		evbuffer_add_printf(out, "{\"anchor\":%s,\"calls\":[", wa->has_anchor ? "true" : "false");
		total = wa->has_anchor ? wa->anchor.list(wa->anchor.arg, call_one, &co,
							 WEBADMIN_MAX_CALLS)
				       : 0;
		evbuffer_add_printf(out, "],\"total\":%u}\n", total);
		return;
	}
	webadmin_page_begin(out, "anchored calls", s);
	if (!wa->has_anchor) {
		evbuffer_add_printf(out, "<p>The media anchor is off (anchor-ng-listen).</p>\n");
		webadmin_page_end(out);
		return;
	}
	evbuffer_add_printf(out,
			    "<table id=\"calls\"><tr><th>Call-ID</th><th>age</th><th>streams "
			    "confirmed</th><th>caller (tag, ICE, media from)</th><th>callee (tag, "
			    "ICE, media from)</th><th>forwarded by</th><th>packets / bytes</th><th></th>"
			    "</tr>\n");
	total = wa->anchor.list(wa->anchor.arg, call_one, &co, WEBADMIN_MAX_CALLS);
	evbuffer_add_printf(out, "</table>\n<p id=\"count\">%u calls%s</p>\n", total,
			    co.n < total ? " (the first ones shown)" : "");
	webadmin_page_end(out);
}
