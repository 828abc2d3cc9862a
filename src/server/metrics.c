/*
 * metrics.c - Prometheus metrics over HTTP. See metrics.h.
 *
 * Names: coturn 4.17's exporter where the meaning is the same, so its
 * dashboards keep working (stun_binding_request, turn_total_allocations,
 * turn_total_traffic_*), turnserver_* for the rest. coturn declares its
 * traffic and Binding metrics as counters without the _total suffix that
 * the exposition format's counters carry; they are given here as untyped
 * (rate() works on them all the same) so that promtool's lint passes.
 * coturn adds a session's traffic when it ends; here it is live.
 *
 * Every label value is a constant of this file: none comes from a client
 * (no usernames, no addresses).
 */
#include "server/metrics.h"

#include "common/log.h"
#include "common/prom.h"
#include "common/version.h"
#include "server/fleet.h"
#include "server/server.h"

#include <dirent.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define METRICS_TIMEOUT_S 10	     /* an idle or slow scraper's connection */
#define METRICS_MAX_HEADERS 8192     /* a request's headers, bytes */
#define METRICS_MAX_BODY 0	     /* GET and HEAD carry none */

struct metrics {
	const struct server *srv;
	metrics_extra_fn extra;
	void *extra_arg;
	struct event_base *base;
	struct evhttp *http;
	pthread_t thread;
	bool started;
};

/* worker_stats is read as an array of uint64_t: prom_load() on each. */
_Static_assert(sizeof(struct worker_stats) % sizeof(uint64_t) == 0, "worker_stats: uint64_t only");
#define STAT_IDX(f) (offsetof(struct worker_stats, f) / sizeof(uint64_t))

/* The sum over the workers of the counter at index idx of their stats. */
static uint64_t sum_at(const struct server *srv, size_t idx)
{
	uint64_t n = 0;

	for (int i = 0; i < srv->nworkers; i++)
		n += prom_load((const uint64_t *)&srv->workers[i].stats + idx);
	return n;
}

#define SUM(f) sum_at(srv, STAT_IDX(f))

static const char *const transport_names[STATS_TRANSPORTS] = {"UDP", "TCP", "TLS"};
static const char *const family_names[STATS_FAMILIES] = {"IPv4", "IPv6"};
static const char *const auth_reasons[STATS_AUTH_REASONS] = {
    [STATS_AUTH_UNAUTHORIZED] = "reason=\"unauthorized\"",
    [STATS_AUTH_STALE_NONCE] = "reason=\"stale_nonce\"",
    [STATS_AUTH_WRONG_CREDENTIALS] = "reason=\"wrong_credentials\"",
    [STATS_AUTH_BAD_REQUEST] = "reason=\"bad_request\"",
    [STATS_AUTH_STORE_ERROR] = "reason=\"store_error\"",
};

static void write_allocations(const struct server *srv, struct evbuffer *out)
{
	char labels[64];

	prom_family(out, "turn_total_allocations", PROM_GAUGE,
		    "Allocations now, by client transport (type) and client address family");
	for (int t = 0; t < STATS_TRANSPORTS; t++) {
		for (int f = 0; f < STATS_FAMILIES; f++) {
			snprintf(labels, sizeof(labels), "type=\"%s\",family=\"%s\"",
				 transport_names[t], family_names[f]);
			prom_sample(out, "turn_total_allocations", labels,
				    sum_at(srv, STAT_IDX(allocs_now) + (size_t)t * STATS_FAMILIES +
						    (size_t)f));
		}
	}
	prom_one(out, "turnserver_allocations_created_total", PROM_COUNTER, "Allocations made",
		 SUM(allocations_created));
	prom_one(out, "turnserver_permissions_created_total", PROM_COUNTER,
		 "Permissions installed (not refreshes)", SUM(permissions_created));
	prom_one(out, "turnserver_channels_bound_total", PROM_COUNTER,
		 "Channels bound (not refreshes)", SUM(channels_bound));
	prom_one(out, "turnserver_permissions", PROM_GAUGE,
		 "Permissions live now, of every allocation (counted each second)",
		 SUM(permissions_now));
	prom_one(out, "turnserver_channels", PROM_GAUGE,
		 "Channels bound now, of every allocation (counted each second)",
		 SUM(channels_now));
	prom_one(out, "stun_binding_request", PROM_UNTYPED,
		 "STUN Binding requests answered (a counter, coturn's name)",
		 SUM(binding_requests));
	prom_one(out, "stun_binding_response", PROM_UNTYPED,
		 "STUN Binding success responses sent (a counter, coturn's name)",
		 SUM(binding_requests));
}

/*
 * coturn's traffic names: rcv is what the client sent (relayed to peers),
 * sent what it was sent; _peer_ the same seen from the peers. Userspace
 * and kernel together, payload bytes.
 */
static void write_coturn_traffic(const struct server *srv, struct evbuffer *out)
{
	uint64_t to_peer = SUM(relayed_to_peer) + SUM(kernel_to_peer);
	uint64_t to_client = SUM(relayed_to_client) + SUM(kernel_to_client);
	uint64_t to_peer_b = SUM(bytes_to_peer) + SUM(kernel_bytes_to_peer);
	uint64_t to_client_b = SUM(bytes_to_client) + SUM(kernel_bytes_to_client);
	const struct {
		const char *name, *help;
		uint64_t v;
	} m[] = {
	    {"turn_total_traffic_rcvp", "Packets received from clients and relayed", to_peer},
	    {"turn_total_traffic_rcvb", "Bytes received from clients and relayed", to_peer_b},
	    {"turn_total_traffic_sentp", "Packets relayed to clients", to_client},
	    {"turn_total_traffic_sentb", "Bytes relayed to clients", to_client_b},
	    {"turn_total_traffic_peer_rcvp", "Packets received from peers and relayed", to_client},
	    {"turn_total_traffic_peer_rcvb", "Bytes received from peers and relayed", to_client_b},
	    {"turn_total_traffic_peer_sentp", "Packets relayed to peers", to_peer},
	    {"turn_total_traffic_peer_sentb", "Bytes relayed to peers", to_peer_b},
	};
	char help[160];

	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		snprintf(help, sizeof(help), "%s (a counter, coturn's name; live)", m[i].help);
		prom_one(out, m[i].name, PROM_UNTYPED, help, m[i].v);
	}
}

static void write_relayed(const struct server *srv, struct evbuffer *out)
{
	const struct prom_item packets[] = {
	    {"direction=\"to_peer\",path=\"userspace\"", SUM(relayed_to_peer)},
	    {"direction=\"to_client\",path=\"userspace\"", SUM(relayed_to_client)},
	    {"direction=\"to_peer\",path=\"kernel\"", SUM(kernel_to_peer)},
	    {"direction=\"to_client\",path=\"kernel\"", SUM(kernel_to_client)},
	};
	const struct prom_item bytes[] = {
	    {"direction=\"to_peer\",path=\"userspace\"", SUM(bytes_to_peer)},
	    {"direction=\"to_client\",path=\"userspace\"", SUM(bytes_to_client)},
	    {"direction=\"to_peer\",path=\"kernel\"", SUM(kernel_bytes_to_peer)},
	    {"direction=\"to_client\",path=\"kernel\"", SUM(kernel_bytes_to_client)},
	};

	const struct prom_item tcp[] = {
	    {"direction=\"to_peer\"", SUM(tcp_bytes_to_peer)},
	    {"direction=\"to_client\"", SUM(tcp_bytes_to_client)},
	};

	PROM_ITEMS(out, "turnserver_relayed_packets_total", PROM_COUNTER,
		   "Relayed datagrams, by direction and by who forwarded them", packets);
	PROM_ITEMS(out, "turnserver_relayed_bytes_total", PROM_COUNTER,
		   "Relayed payload bytes, by direction and by who forwarded them", bytes);
	PROM_ITEMS(out, "turnserver_tcp_relayed_bytes_total", PROM_COUNTER,
		   "Bytes spliced between RFC 6062 client data and peer connections, by direction",
		   tcp);
}

static void write_drops(const struct server *srv, struct evbuffer *out)
{
	const struct prom_item dropped[] = {
	    {"reason=\"malformed\"", SUM(malformed)},
	    {"reason=\"no_allocation\"", SUM(no_allocation)},
	    {"reason=\"policy\"", SUM(no_permission)},
	    {"reason=\"too_big\"", SUM(too_big)},
	    {"reason=\"rate_limit\"", SUM(bps_dropped)},
	    {"reason=\"unauth_budget\"", SUM(unauth_dropped)},
	    {"reason=\"unauth_rate\"", SUM(unauth_rate_dropped)},
	    {"reason=\"send_error\"", SUM(send_errors)},
	};
	const struct prom_item refused[] = {
	    {"reason=\"quota\"", SUM(quota_refused)},
	    {"reason=\"redirected\"", SUM(redirected)},
	    {"reason=\"draining\"", SUM(drain_refused)},
	};

	PROM_ITEMS(out, "turnserver_dropped_total", PROM_COUNTER,
		   "Datagrams, frames and answers dropped, by reason", dropped);
	prom_one(out, "turnserver_bps_held_total", PROM_COUNTER,
		 "Times a TCP allocation's stream waited for its max-bps", SUM(bps_held));
	PROM_ITEMS(out, "turnserver_allocate_refused_total", PROM_COUNTER,
		   "Allocates refused or sent elsewhere, by reason", refused);
}

/* Client connections before authentication (limits.c): refused, and half-open now. */
static void write_connections(const struct server *srv, struct evbuffer *out)
{
	const struct prom_item refused[] = {
	    {"reason=\"max_tcp_connections\"", sum_at(srv, STAT_IDX(conn_refused))},
	    {"reason=\"per_ip\"", sum_at(srv, STAT_IDX(conn_refused) + 1)},
	    {"reason=\"unauth_per_ip\"", sum_at(srv, STAT_IDX(conn_refused) + 2)},
	};

	PROM_ITEMS(out, "turnserver_connections_refused_total", PROM_COUNTER,
		   "Client TCP/TLS connections and DTLS sessions closed at once, by the cap reached",
		   refused);
	prom_one(out, "turnserver_unauth_connections", PROM_GAUGE,
		 "Client TCP/TLS connections and DTLS sessions not authenticated yet",
		 limits_tcp_unauth_now(srv));
}

/* RFC 8656 §11.3: ICMP errors of relayed datagrams (icmp.c). */
static void write_icmp(const struct server *srv, struct evbuffer *out)
{
	const struct prom_item icmp[] = {
	    {"result=\"reported\"", SUM(icmp_relayed)},
	    {"result=\"no_permission\"", SUM(icmp_no_permission)},
	    {"result=\"rate_limited\"", SUM(icmp_rate_limited)},
	    {"result=\"ignored\"", SUM(icmp_ignored)},
	};

	PROM_ITEMS(out, "turnserver_icmp_errors_total", PROM_COUNTER,
		   "ICMP errors for relayed datagrams, by what became of them", icmp);
}

/*
 * Batching on the UDP data path (udp_batch.h): datagrams per recvmmsg() is
 * received / calls, per send sent / calls; how many went by UDP GSO.
 */
static void write_batch(const struct server *srv, struct evbuffer *out)
{
	const struct prom_item gso[] = {
	    {"result=\"sent\"", SUM(batch.gso_sends)},
	    {"result=\"fallback\"", SUM(batch.gso_fallbacks)},
	};
	const struct prom_batch b = {SUM(batch.recv_calls), SUM(batch.recv_dgrams),
				     SUM(batch.send_calls), SUM(batch.send_dgrams),
				     SUM(batch.gso_segments)};

	prom_udp_batch(out, "turnserver_udp", "relayed datagrams", &b);
	prom_one(out, "turnserver_udp_gro_segments_total", PROM_COUNTER,
		 "Client datagrams that arrived coalesced by UDP GRO (of the datagrams received)",
		 SUM(batch.gro_segments));
	PROM_ITEMS(out, "turnserver_udp_gso_sends_total", PROM_COUNTER,
		   "UDP GSO sends: sent, or refused by the kernel and sent by sendmmsg()", gso);
}

static void write_auth(const struct server *srv, struct evbuffer *out)
{
	struct prom_item failed[STATS_AUTH_REASONS];
	const struct prom_item store[] = {
	    {"reason=\"unavailable\"", SUM(store_unavailable)},
	    {"reason=\"overloaded\"", SUM(store_refused)},
	};
	const struct prom_item tls[] = {
	    {"result=\"ok\"", SUM(tls_handshakes)},
	    {"result=\"failed\"", SUM(tls_failed)},
	};

	for (int r = 0; r < STATS_AUTH_REASONS; r++)
		failed[r] = (struct prom_item){auth_reasons[r],
					       sum_at(srv, STAT_IDX(auth_failed) + (size_t)r)};
	prom_one(out, "turnserver_auth_successes_total", PROM_COUNTER,
		 "Requests whose credentials were accepted", SUM(auth_ok));
	PROM_ITEMS(out, "turnserver_auth_failures_total", PROM_COUNTER,
		   "Requests with credentials refused, by reason (challenges not counted)", failed);
	PROM_ITEMS(out, "turnserver_store_errors_total", PROM_COUNTER,
		   "Authentications answered 500 because of the user store, by reason", store);
	PROM_ITEMS(out, "turnserver_tls_handshakes_total", PROM_COUNTER,
		   "TLS handshakes of client connections, by result", tls);
}

/* User store lookups (store_stats.c): results and durations; cache hits are not lookups. */
static void write_store(const struct server *srv, struct evbuffer *out)
{
	static const char *const results[STATS_STORE_RESULTS] = {
	    [STATS_STORE_FOUND] = "result=\"found\"",
	    [STATS_STORE_NOT_FOUND] = "result=\"not_found\"",
	    [STATS_STORE_ERROR] = "result=\"error\"",
	};
	struct prom_item lookups[STATS_STORE_RESULTS];
	uint64_t buckets[STATS_STORE_BUCKETS];

	for (int r = 0; r < STATS_STORE_RESULTS; r++)
		lookups[r] = (struct prom_item){results[r],
						sum_at(srv, STAT_IDX(store_lookups) + (size_t)r)};
	for (size_t b = 0; b < STATS_STORE_BUCKETS; b++)
		buckets[b] = sum_at(srv, STAT_IDX(store_latency) + b);
	PROM_ITEMS(out, "turnserver_store_lookups_total", PROM_COUNTER,
		   "User store lookups (users, REST API secrets), by result", lookups);
	prom_histogram_us(out, "turnserver_store_lookup_duration_seconds",
			  "User store lookups that asked the store, by how long it took",
			  store_stats_bounds_us, buckets, STATS_STORE_BUCKETS,
			  SUM(store_latency_us));
}

/* Fleet (fleet.c): only with fleet on. */
static void write_fleet(const struct server *srv, struct evbuffer *out)
{
	unsigned int peers;
	bool up;

	if (!fleet_status(srv, &peers, &up))
		return;
	prom_one(out, "turnserver_fleet_peers", PROM_GAUGE,
		 "Other live servers of the fleet, as last read from Redis", peers);
	prom_one(out, "turnserver_fleet_redis_up", PROM_GAUGE,
		 "1 when the fleet's Redis answered the last round, else 0", up ? 1 : 0);
}

/* Resident set from /proc/self/statm (pages); 0 when unreadable. */
static uint64_t rss_bytes(void)
{
	unsigned long long size = 0, resident = 0;
	FILE *f = fopen("/proc/self/statm", "r");

	if (!f)
		return 0;
	if (fscanf(f, "%llu %llu", &size, &resident) != 2)
		resident = 0;
	fclose(f);
	return (uint64_t)resident * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Open descriptors: the entries of /proc/self/fd, less the one reading it. */
static uint64_t open_fds(void)
{
	uint64_t n = 0;
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	if (!d)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n ? n - 1 : 0;
}

static void write_process(const struct server *srv, struct evbuffer *out)
{
	struct rlimit rl;
	char labels[64];
	uint64_t entries = SUM(kernel_entries);

	prom_one(out, "process_resident_memory_bytes", PROM_GAUGE, "Resident memory size in bytes",
		 rss_bytes());
	prom_one(out, "process_open_fds", PROM_GAUGE, "Number of open file descriptors",
		 open_fds());
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		prom_one(out, "process_max_fds", PROM_GAUGE, "Maximum number of open file descriptors",
			 (uint64_t)rl.rlim_cur);
	prom_family(out, "turnserver_build_info", PROM_GAUGE, "The running version, value 1");
	prom_sample(out, "turnserver_build_info", "version=\"" TURN_VERSION "\"", 1);
	prom_one(out, "turnserver_workers", PROM_GAUGE, "Worker threads", (uint64_t)srv->nworkers);
	prom_one(out, "turnserver_draining", PROM_GAUGE, "1 while draining (SIGUSR1)",
		 atomic_load(&srv->draining) ? 1 : 0);
	snprintf(labels, sizeof(labels), "engine=\"%s\"", relay_engine_name(&srv->relay.engine));
	prom_family(out, "turnserver_kernel_offload", PROM_GAUGE,
		    "The engine forwarding confirmed relayed data (turnrelay: the kernel module), "
		    "value 1");
	prom_sample(out, "turnserver_kernel_offload", labels, 1);
	prom_one(out, "turnserver_kernel_offload_entries", PROM_GAUGE,
		 "TURN channels and permissions forwarded by the kernel now", entries);
}

void metrics_write(const struct server *srv, struct evbuffer *out)
{
	write_allocations(srv, out);
	write_coturn_traffic(srv, out);
	write_relayed(srv, out);
	write_drops(srv, out);
	write_connections(srv, out);
	write_icmp(srv, out);
	write_batch(srv, out);
	write_auth(srv, out);
	write_store(srv, out);
	write_fleet(srv, out);
	write_process(srv, out);
}

static void metrics_request(struct evhttp_request *req, void *arg)
{
	struct metrics *m = arg;
	struct evbuffer *body;
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	if (!path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "metrics are at /metrics");
		return;
	}
	body = evbuffer_new();
	if (!body) {
		evhttp_send_error(req, HTTP_INTERNAL, NULL);
		return;
	}
	metrics_write(m->srv, body);
	if (m->extra)
		m->extra(m->extra_arg, body);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
			  "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void *metrics_thread(void *arg)
{
	struct metrics *m = arg;

	event_base_dispatch(m->base);
	return NULL;
}

/* prometheus-address, or every address: "::" (both families), else "0.0.0.0". */
static int metrics_bind(struct metrics *m, const struct config *c, char *err, size_t errlen)
{
	const char *ip = c->prometheus_address_count ? c->prometheus_address[0].text : "::";

	if (evhttp_bind_socket(m->http, ip, c->prometheus_port) == 0)
		return 0;
	if (!c->prometheus_address_count && evhttp_bind_socket(m->http, "0.0.0.0",
							       c->prometheus_port) == 0)
		return 0;
	snprintf(err, errlen, "prometheus: cannot listen on %s port %u: %s",
		 c->prometheus_address_count ? ip : "every address", c->prometheus_port,
		 strerror(errno));
	return -1;
}

struct metrics *metrics_start(struct server *srv, metrics_extra_fn extra, void *extra_arg,
			      char *err, size_t errlen)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m) {
		snprintf(err, errlen, "prometheus: out of memory");
		return NULL;
	}
	m->srv = srv;
	m->extra = extra;
	m->extra_arg = extra_arg;
	m->base = event_base_new();
	m->http = m->base ? evhttp_new(m->base) : NULL;
	if (!m->http) {
		snprintf(err, errlen, "prometheus: cannot make an event loop");
		goto fail;
	}
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_timeout(m->http, METRICS_TIMEOUT_S);
	evhttp_set_max_headers_size(m->http, METRICS_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, METRICS_MAX_BODY);
	evhttp_set_gencb(m->http, metrics_request, m);
	if (metrics_bind(m, srv->cfg, err, errlen) < 0)
		goto fail;
	if (pthread_create(&m->thread, NULL, metrics_thread, m) != 0) {
		snprintf(err, errlen, "prometheus: cannot start its thread");
		goto fail;
	}
	m->started = true;
	return m;
fail:
	metrics_stop(m);
	return NULL;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	if (m->started) {
		event_base_loopexit(m->base, NULL);
		pthread_join(m->thread, NULL);
	}
	if (m->http)
		evhttp_free(m->http);
	if (m->base)
		event_base_free(m->base);
	free(m);
}
