/*
 * server.h - the turnserver process: shared settings (struct server), the
 * worker threads that own sockets and allocations (struct worker), and the
 * allocation state (struct allocation) with its permissions and channels.
 *
 * Threads: each worker has its own event_base, its own SO_REUSEPORT UDP and
 * TCP listening sockets, and the allocations created through them. Nothing
 * on the data path is shared between workers; the few shared things (the
 * limits' counters, reservations) are touched only by control requests and
 * TCP accept/close, under srv->lock.
 */
#ifndef SERVER_SERVER_H
#define SERVER_SERVER_H

#include <netinet/in.h>
#include <sys/socket.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "server/bandwidth.h"
#include "relay/udp_batch.h"
#include "relay/relay.h"
#include "common/config.h"
#include "stun/stun.h"

struct event_base;
struct event;
struct bufferevent;
struct evbuffer;
struct evconnlistener;
struct userdb;
struct tcp_peer;
struct tcp_relay;
struct tcp_handoff;
struct limits;
struct store;
struct fleet;
struct store_job;
struct store_parked;
struct store_cache;
struct user_keys;
struct dtls_session;
struct dtls_worker;
struct tls_ctx;
struct ssl_st;
struct mobility;
struct mobility_job;
struct mobility_pending;
struct auth_result;

#define SERVER_MAX_LISTEN RELAY_MAX_LISTEN
#define SERVER_TLS_PORTS 2 /* tls-listening-port, alt-tls-listening-port */
#define SERVER_DEFAULT_REALM "turnserver"
#define SERVER_DEFAULT_ALLOC_LIFETIME 600 /* RFC 8656 §3.4 */
#define SERVER_MAX_PERMS 64		  /* per allocation */
#define SERVER_MAX_CHANNELS 64		  /* per allocation */
#define SERVER_RESERVATION_S 30		  /* RFC 8656 §14.9 */
#define SERVER_UDP_BATCH 16
#define SERVER_RX_BUF 65536
#define SERVER_UDP_SOCKBUF (4 << 20) /* listening socket buffers */
#define SERVER_LOG_PER_S 20
#define SERVER_MAX_TCP_PEERS 64	  /* peer connections per TCP allocation */
#define SERVER_TCP_CONNECT_S 30	  /* RFC 6062 §5.2: Connect gives up after this */
#define SERVER_TCP_BIND_S 30	  /* RFC 6062 §5.2, §5.3: ConnectionBind within this */
#define SERVER_UNAUTH_SLOTS 4096  /* per worker, a power of 2: see unauth_budget.c */
#define SERVER_ICMP_PER_S 10	  /* ICMP Data indications per allocation (icmp.c) */

/* A user from a user= line: keys, never the password. */
struct static_user {
	char *name;
	uint8_t md5[16];
	uint8_t sha256[32];
	bool has_sha256;
	uint8_t userhash[32];
};

/* Counters; per worker, summed on demand. */
/*
 * Per worker counters: written only by the worker's own thread (plain
 * increments), read by the metrics thread (metrics.c) with relaxed atomic
 * loads of the whole aligned uint64_t: a reader may see a value a moment
 * old, never a torn one, and the worker never waits.
 */
enum { STATS_UDP, STATS_TCP, STATS_TLS, STATS_TRANSPORTS };
enum { STATS_IPV4, STATS_IPV6, STATS_FAMILIES };
enum {
	STATS_AUTH_UNAUTHORIZED, /* 401: unknown user, wrong key or realm */
	STATS_AUTH_STALE_NONCE,	 /* 438 */
	STATS_AUTH_WRONG_CREDENTIALS, /* 441: not the allocation's username */
	STATS_AUTH_BAD_REQUEST,	      /* 400: credentials incomplete */
	STATS_AUTH_STORE_ERROR,	      /* 500: the user store failed */
	STATS_AUTH_REASONS
};
/* user store lookups (store_stats.c): what they answered, and how long they took */
enum { STATS_STORE_FOUND, STATS_STORE_NOT_FOUND, STATS_STORE_ERROR, STATS_STORE_RESULTS };
#define STATS_STORE_BUCKETS 12 /* store_stats_bounds_us[], then +Inf */

struct worker_stats {
	uint64_t malformed;	   /* datagrams or frames dropped as malformed */
	uint64_t no_allocation;	   /* ChannelData or Send without an allocation */
	uint64_t no_permission;	   /* peer data or Send without a permission */
	uint64_t relayed_to_peer;  /* packets client -> peer */
	uint64_t relayed_to_client; /* packets peer -> client */
	uint64_t send_errors;
	uint64_t too_big;	   /* peer data that no Data indication could carry */
	uint64_t unauth_dropped;   /* unauthenticated error responses over the budget */
	uint64_t unauth_rate_dropped; /* requests dropped unread: over unauth-req-rate */
	/* client connections refused at accept (or DTLS sessions), by LIMITS_TCP_* - 1 */
	uint64_t conn_refused[3];
	uint64_t bps_dropped;	   /* datagrams over their allocation's max-bps (bandwidth.h) */
	uint64_t bps_held;	   /* times a TCP allocation's stream waited for its max-bps */
	uint64_t store_unavailable; /* authentications answered 500: the user store is down */
	uint64_t store_refused;	    /* ... answered 500: too many waiting for the store */
	uint64_t redirected;	    /* Allocates answered 300 Try Alternate */
	uint64_t drain_refused;	    /* Allocates answered 486 while draining, no alternate */
	uint64_t dtls_hello_verify; /* ClientHellos answered statelessly (dtls.c) */
	uint64_t dtls_no_session;   /* DTLS datagrams without a session, not a ClientHello */
	/* forwarded by the kernel module (offload.c, merged from its counters) */
	uint64_t kernel_to_peer;
	uint64_t kernel_to_client;
	uint64_t tls_handshakes;      /* TLS connections whose handshake completed */
	uint64_t tls_failed;	      /* ... whose handshake failed or timed out */
	/* relayed data bytes (payload, without TURN framing), as the packets above */
	uint64_t bytes_to_peer, bytes_to_client;
	uint64_t kernel_bytes_to_peer, kernel_bytes_to_client;
	uint64_t binding_requests;    /* STUN Binding requests answered */
	uint64_t allocations_created; /* allocations made (the gauge is allocs_now) */
	/* allocations now by client transport and client family (metrics.c) */
	uint64_t allocs_now[STATS_TRANSPORTS][STATS_FAMILIES];
	uint64_t permissions_created, channels_bound;
	uint64_t quota_refused;	 /* Allocates refused by user-quota, total-quota, port shares */
	uint64_t kernel_entries; /* the worker's entries in the kernel now (offload poll) */
	/* final answers of auth_check() (a challenge without credentials is neither) */
	uint64_t auth_ok;
	uint64_t auth_failed[STATS_AUTH_REASONS];
	/* ICMP errors for relayed datagrams (icmp.c, RFC 8656 §11.3) */
	uint64_t icmp_relayed;	     /* reported to the client in a Data indication */
	uint64_t icmp_no_permission; /* for a peer the client holds no permission for */
	uint64_t icmp_rate_limited;  /* over SERVER_ICMP_PER_S */
	uint64_t icmp_ignored;	     /* local errors, other ICMP types, odd control data */
	struct udp_batch_stats batch; /* recvmmsg, sendmmsg and GSO on the data path */
	/* live now in the worker's allocations, counted every WORKER_GAUGES_MS (worker_gauges.c) */
	uint64_t permissions_now, channels_now;
	/* RFC 6062 connections: bytes spliced between client and peer (tcp_relay.c) */
	uint64_t tcp_bytes_to_peer, tcp_bytes_to_client;
	/* user store lookups (SQLite on the worker, Redis on the store thread), cache hits not */
	uint64_t store_lookups[STATS_STORE_RESULTS];
	uint64_t store_latency[STATS_STORE_BUCKETS]; /* lookups by duration, not cumulative */
	uint64_t store_latency_us;		     /* their durations added up */
};

/* realm_opts.c: coturn's realm options, in userdb_realm_options' order */
enum { REALM_OPT_MAX_BPS, REALM_OPT_USER_QUOTA, REALM_OPT_TOTAL_QUOTA, REALM_OPTS };
struct realm_opts;

struct server {
	struct config *cfg;
	char realm[CONFIG_MAX_TEXT_BYTES + 1];
	struct relay relay; /* addresses, ports, peer verdict: shared with the anchor */
	uint8_t nonce_secret[32];
	struct static_user *users;
	size_t nusers;
	bool use_userdb;
	struct store *store; /* redis-userdb: lookups off the workers (store.c), or NULL */

	int nworkers;
	struct worker *workers;

	pthread_mutex_t lock; /* limits and reservations */
	struct limits *limits; /* limits.c */
	struct reservation *reservations;
	struct tcp_peer *tcp_pending; /* RFC 6062: waiting for a ConnectionBind */
	_Atomic uint64_t bps_reserved; /* bytes a second capped allocations hold of bps-capacity */
	struct tls_ctx *tls; /* TLS and DTLS contexts (tls.h); set before the workers */
	_Atomic unsigned int alt_next; /* round robin over alternate-server (turn.c) */
	_Atomic bool draining;	       /* SIGUSR1: new Allocates go elsewhere (main.c) */
	/* rfc5780 (natdisc.c): per family (IPv4, IPv6) its two addresses, or none */
	union sockaddr_u natdisc[2][2];
	struct fleet *fleet;	       /* fleet.h: the fleet's Redis, or NULL */
	/* the realm's options in the store now: 0 none, else the value + 1 (realm_opts.c) */
	uint64_t realm_opt[REALM_OPTS];
	struct realm_opts *realm_opts; /* the thread that reads them, or NULL */
	struct mobility *mobility;     /* RFC 8016 tickets (mobility.c); NULL without mobility */
};

/* A UDP listening socket of one worker. */
struct udp_listener {
	struct worker *w;
	int fd;
	struct event *ev;
	union sockaddr_u local;
};

/* A TCP client connection, plain or TLS (tcp_tls.c). */
struct tcp_conn {
	struct tcp_conn *prev, *next; /* the worker's connections */
	struct worker *w;
	struct bufferevent *bev; /* NULL while its first byte is awaited */
	union sockaddr_u client;
	union sockaddr_u local;
	struct allocation *alloc;
	struct event *deadline; /* max-allocate-timeout while alloc is NULL */
	uint32_t skip;		/* bytes of a discarded frame still to come */
	/* RFC 6062 §5.4: a ConnectionBind succeeded; hand the socket over */
	uint32_t bind_id;
	struct worker *bind_to;
	/* TLS or plain on one port (tcp_tls.c) */
	int fd;		     /* the socket while bev is NULL or TLS, else -1 (bev owns it) */
	struct event *sniff; /* waiting for the first byte */
	struct ssl_st *ssl;  /* TLS: its session, freed after bev; NULL: plain */
	bool tls_ready;	     /* TLS: the handshake completed */
	bool authed;	     /* a request on it authenticated (limits_tcp_authed()) */
};

/* A source IP's budget of unauthenticated error responses in one window. */
struct unauth_slot {
	uint32_t tag; /* hash of the IP that opened the window; 0: free */
	uint32_t window_s;
	uint32_t count;
	bool logged;
};

/* Where a request came from and where its answer goes. */
struct origin {
	struct worker *w;
	struct udp_listener *lsn; /* UDP, or NULL */
	struct tcp_conn *tcp;	  /* TCP, or NULL */
	struct dtls_session *dtls; /* DTLS over UDP (dtls.h), or NULL */
	union sockaddr_u client;
	union sockaddr_u local;
	/* a Refresh handed over by mobility.c: the worker whose socket took it */
	struct worker *via;
};

/* Did the request come over TLS or DTLS (tls-alternate-server)? */
static inline bool origin_secure(const struct origin *o)
{
	return (o->tcp && o->tcp->ssl) || o->dtls;
}

struct worker {
	struct server *srv;
	int id;
	pthread_t thread;
	struct event_base *base;
	struct event *stop_ev;
	struct udp_listener udp[SERVER_MAX_LISTEN * (1 + SERVER_TLS_PORTS)]; /* + DTLS on the TLS ports */
	int nudp;
	struct evconnlistener *tcp[SERVER_MAX_LISTEN * (1 + SERVER_TLS_PORTS)]; /* + tls- and alt-tls-listening-port */
	int ntcp;
	struct event *accept_resume_ev; /* listeners back on after accept() failed */
	struct event *gauges_ev;	/* the permission and channel gauges (worker_gauges.c) */
	struct userdb *db;
	struct tcp_conn *conns;
	/* UDP allocations by (listener, client address) */
	struct allocation **table;
	uint32_t table_mask;
	uint32_t nallocs;
	uint32_t hash_seed;
	/* receive batch, set up once: buffers in rx */
	uint8_t *rx;
	struct mmsghdr rx_msgs[SERVER_UDP_BATCH];
	struct iovec rx_iov[SERVER_UDP_BATCH];
	union sockaddr_u rx_from[SERVER_UDP_BATCH];
	union {
		struct cmsghdr align;
		uint8_t bytes[CMSG_SPACE(sizeof(int))];
	} rx_ctl[SERVER_UDP_BATCH]; /* UDP_GRO: the segment size of a coalesced datagram */
	size_t rx_seg[SERVER_UDP_BATCH]; /* ... from it, or 0: each slot one datagram */
	struct udp_txq txq; /* relayed datagrams of the batch in hand (udp_batch.h) */
	uint64_t tid_seq; /* Data indication transaction IDs */
	/* per-request log lines: at most SERVER_LOG_PER_S a second */
	uint64_t log_window_ms;
	unsigned int log_count, log_suppressed;
	struct worker_stats stats;
	struct unauth_slot unauth[SERVER_UNAUTH_SLOTS];
	struct unauth_slot unauth_rate[SERVER_UNAUTH_SLOTS]; /* requests failing auth, a second */
	/* client data connections bound on another worker (under srv->lock) */
	struct event *handoff_ev;
	struct tcp_handoff *handoffs;
	bool handoff_closed;
	/* kernel offload (offload.c): this thread's engine handle and counter poll */
	struct relay_engine_thread *engine;
	struct event *engine_ev;
	/* user store lookups (store.c): parked requests, answers, key cache */
	struct store_parked *store_parked;
	unsigned int store_nparked;
	pthread_mutex_t store_lock; /* store_done, which the store thread fills */
	bool store_lock_init;
	struct store_job *store_done;
	struct event *store_ev;
	struct store_cache *store_cache;
	const struct store_job *store_resume; /* the answer a resumed request uses */
	char *store_secrets; /* the realm's REST API secrets, as store.c keeps them */
	size_t store_secrets_len, store_nsecrets;
	uint64_t store_secrets_expires_ms; /* 0: none */
	struct dtls_worker *dtls; /* DTLS sessions (dtls.c), NULL when DTLS is off */
	/* every allocation of this worker, for the admin interface (webadmin_alloc.c) */
	struct allocation *allocs;
	uint64_t alloc_seq; /* ids of its allocations: worker id << 48 | sequence */
	/* RFC 8016 (mobility.c): requests and allocations handed over, under srv->lock */
	struct event *mobility_ev;
	struct mobility_job *mobility_jobs, **mobility_tail;
	bool mobility_closed;
	/* new client addresses on its sockets that an allocation moves to (own thread only) */
	struct mobility_pending *mobility_pending;
	unsigned int mobility_npending;
};

struct permission {
	union sockaddr_u peer; /* the port is ignored (RFC 8656 §9) */
	uint64_t expires_ms;
};

struct channel {
	uint16_t number;
	union sockaddr_u peer;
	uint64_t expires_ms;
	uint64_t offload_id; /* its kernel entry (offload.c), 0: none */
	bool joined;	     /* ... joined to an anchor leg: join is what it was made of */
	struct relay_join join;
};

struct relay_sock {
	int fd;
	uint8_t reads; /* wake-ups with data since the error queue was last read (icmp.c) */
	struct event *ev;
	union sockaddr_u local;
	struct allocation *alloc;
};

/* Last answered transaction, replayed on retransmission (RFC 8656 §6.2). */
struct txn_cache {
	uint8_t tid[STUN_TID_LEN];
	uint16_t len;
	uint8_t *resp;
};

struct allocation {
	struct allocation *hnext;
	struct allocation *lprev, *lnext; /* the worker's allocs list */
	uint64_t id;			  /* unique in the process (webadmin) */
	uint64_t created_ms;
	struct worker *w;
	struct udp_listener *lsn; /* UDP clients */
	struct tcp_conn *tcp;	  /* TCP clients */
	struct dtls_session *dtls; /* DTLS clients (not in the UDP table, never offloaded) */
	union sockaddr_u client;
	struct relay_sock relay[2];
	int nrelay;
	struct event *timer;
	uint64_t expires_ms;
	char *username;
	uint8_t key[32];
	uint8_t key_len;
	bool dont_fragment;
	struct permission *perms;
	uint16_t nperms;
	struct channel *chans;
	uint16_t nchans;
	struct txn_cache txn[2];
	uint8_t txn_next;
	struct tcp_relay *tcp_relay; /* TCP allocations (RFC 6062), else NULL */
	unsigned int held_ports;     /* relay ports counted in limits.c */
	/* relayed data: by this process, and by the kernel for its channels */
	uint64_t user_pkts[2], user_bytes[2];	  /* [0] to the peer, [1] to the client */
	uint64_t kernel_pkts[2], kernel_bytes[2]; /* merged from the engine's counters */
	struct event *offload_ev; /* next channel or permission expiry of an entry */
	/* max-bps (bandwidth.h): rate 0 is uncapped; capped ones stay out of the kernel */
	uint32_t bps;		       /* the rate, bytes a second each way */
	uint32_t bps_reserved;	       /* of it, held against bps-capacity */
	struct bw_bucket bw[2];	       /* [BW_TO_PEER], [BW_TO_CLIENT] */
	uint64_t bw_dropped_pkts[2], bw_dropped_bytes[2];
	uint64_t *stats_now; /* its slot of the worker's stats.allocs_now */
	/* ICMP Data indications in the current second (icmp.c) */
	uint64_t icmp_window_ms;
	uint16_t icmp_count;
	/* RFC 8016: its MOBILITY-TICKET, in srv->mobility while mobile (mobility.c) */
	bool mobile;
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN];
	struct allocation *ticket_next;
	/* ... and the address it moves to once the client sends from there (§3.2) */
	bool moving;
	union sockaddr_u move_client;
	/* the client address whose ip-port-share holds its relay ports (limits.c) */
	union sockaddr_u quota_addr;
};


/* worker.c */
/* True when a per-request log line may be written now (rate limit). */
bool worker_log_ok(struct worker *w);
void worker_relay_readable(int fd, short what, void *arg);
int worker_start(struct worker *w);
int worker_run(struct worker *w);
void worker_stop(struct worker *w);
void worker_join(struct worker *w);
int worker_send_to_client(struct worker *w, const struct origin *o, const uint8_t *buf,
			  size_t len);
struct allocation *worker_find_udp_alloc(struct worker *w, const struct udp_listener *lsn,
					 const union sockaddr_u *client);
void worker_insert_udp_alloc(struct worker *w, struct allocation *a);
/* Without an allocation: max-allocate-timeout and small buffers (worker.c). */
void worker_tcp_unallocated(struct tcp_conn *c, bool unallocated);
void worker_remove_udp_alloc(struct worker *w, struct allocation *a);
/*
 * worker.c's seams, for its unit tests (tests/unit/test_worker.c); the
 * worker's own paths call them.
 */
/* The allocation table rehashed into size slots (a power of 2): 0 or -1. */
int worker_table_resize(struct worker *w, uint32_t size);
/* worker_log_ok() at time now (ms). */
bool worker_log_ok_at(struct worker *w, uint64_t now);
/* A client's UDP datagram, from its first bytes. */
enum worker_dgram { WORKER_DGRAM_CHANNELDATA, WORKER_DGRAM_STUN, WORKER_DGRAM_MALFORMED };
enum worker_dgram worker_classify_datagram(const uint8_t *buf, size_t len);
/* A TCP client's next frame: its length, 0 for more bytes, -1 to close. */
long worker_tcp_next_frame(struct evbuffer *in, bool allocated, uint32_t *skip,
			   struct worker_stats *stats);
/* May iov go to TCP client c now (output caps before and after its allocation)? */
bool worker_tcp_output_fits(const struct tcp_conn *c, const struct iovec *iov, int niov);
/* Peer data (RFC 8656 §12.6): ChannelData or a Data indication, once permitted. */
void worker_relay_to_client(struct worker *w, struct allocation *a, const union sockaddr_u *peer,
			    uint8_t *data, size_t len, uint64_t now);
/*
 * Relayed datagrams of a receive batch (udp_batch.h): worker_tx_slot() gives
 * the next slot to fill, worker_tx_queue() queues it (or sends it at once
 * when the worker is not holding a batch), worker_tx_release() sends what is
 * queued and stops holding. worker_count_relayed() counts a datagram to
 * the peer (BW_TO_PEER) or the client (BW_TO_CLIENT), or its failed send.
 */
struct udp_tx *worker_tx_slot(struct worker *w);
void worker_tx_queue(struct worker *w, struct udp_tx *t, int fd, const union sockaddr_u *to,
		     struct allocation *a, int dir, size_t payload);
void worker_tx_release(struct worker *w);
void worker_count_relayed(struct worker *w, struct allocation *a, int dir, size_t payload,
			  bool sent);
/* A fresh transaction ID for a Data indication of worker w. */
void worker_indication_tid(struct worker *w, uint8_t tid[STUN_TID_LEN]);
/* accept() failed: the listeners rest; the worker's accept_resume_ev wakes them. */
void worker_tcp_accept_error(struct evconnlistener *l, void *arg);
void worker_tcp_accept_resume(int fd, short what, void *arg);
/* A TCP connection's stream is known (plain or TLS): reading starts on bev. */
void worker_tcp_begin(struct tcp_conn *c, struct bufferevent *bev);
void worker_tcp_close(struct tcp_conn *c);
/*
 * The TCP ports TLS adds to listening-port's: tls- and alt-tls-listening-port
 * unless 0 or already listened on; none with TLS off. Returns how many.
 */
int worker_tls_ports(const struct config *c, const struct tls_ctx *tls,
		     uint16_t ports[SERVER_TLS_PORTS]);

/*
 * tcp_tls.c: with TLS on, a TCP connection waits for its first byte, which
 * says TLS (a handshake record) or plain STUN/TURN (tls_demux_stream()),
 * then goes on as a TLS or a plain bufferevent; the handshake must finish
 * within SERVER_TLS_HANDSHAKE_S (at most max-allocate-timeout).
 */
#define SERVER_TLS_HANDSHAKE_S 10
/* After accept(): 0 (the connection owns fd now), or -1 (the caller closes fd). */
int tcp_tls_accept(struct tcp_conn *c, int fd);
/* tcp_event() of a TLS connection: the handshake's end, and OpenSSL's errors. */
void tcp_tls_event(struct tcp_conn *c, short what);
/* The deadline fired: true (and logged) when it was the TLS handshake's. */
bool tcp_tls_deadline(struct tcp_conn *c);
/* After bufferevent_free(c->bev) (or without one): the rest of what c owns. */
void tcp_tls_close(struct tcp_conn *c);
/*
 * A frame out to c (plain or TLS, handshake done), written now when nothing
 * is queued before it instead of on the loop's next round (libevent writes
 * a bufferevent's output once the socket polls writable, so every answer
 * in a batch of events would wait for the whole batch); what the socket
 * does not take goes to c->bev's output, in order. For answers: relayed
 * data is left to the bufferevent, which writes a round's frames together.
 */
void tcp_tls_writev(struct tcp_conn *c, const struct iovec *iov, int niov);

/* A parked request runs again (store.c): as it came from lsn or tcp. */
/* A client's datagram on listener lsn from from, for allocation a (or NULL). */
void worker_udp_datagram(struct worker *w, struct udp_listener *lsn, const union sockaddr_u *from,
			 struct allocation *a, const uint8_t *buf, size_t len);
void worker_resume_message(struct worker *w, struct udp_listener *lsn, struct tcp_conn *tcp,
			   const union sockaddr_u *client, const union sockaddr_u *local,
			   const uint8_t *buf, size_t len);

/*
 * icmp.c: ICMP errors for datagrams a UDP relay socket sent (RFC 8656
 * §11.3), read from its error queue and reported to the client.
 */
struct icmp_report {
	union sockaddr_u peer;	   /* where the datagram went: XOR-PEER-ADDRESS */
	union sockaddr_u offender; /* who sent the ICMP (SO_EE_OFFENDER), or AF_UNSPEC */
	struct stun_icmp icmp;
};
/* IP_RECVERR / IPV6_RECVERR on a UDP relay socket: 0 or -1. */
int icmp_enable(int fd, int family);
/* sendto() from such a socket, past a pending ICMP error it returns once: 0 or -1. */
int icmp_sendto(int fd, const void *data, size_t len, const struct sockaddr *peer);
/*
 * One recvmsg(MSG_ERRQUEUE) answer of a socket of family: 0 and *out for an
 * ICMP error RFC 8656 §11.3 relays, else -1 (every length checked).
 */
int icmp_parse_errqueue(const struct msghdr *msg, int family, struct icmp_report *out);
/* May one more ICMP Data indication go to a's client now? */
bool icmp_rate_take(struct allocation *a, uint64_t now);
/* The Data indication reporting r into buf: its length, 0 when it does not fit. */
size_t icmp_indication(struct worker *w, const struct icmp_report *r, uint8_t *buf, size_t cap);
/* Reports r to a's client if it holds a permission for r->peer, within the rate; counted. */
void icmp_report(struct worker *w, struct allocation *a, const struct icmp_report *r,
		 uint64_t now);
/* Reads a relay socket's error queue (at most SERVER_UDP_BATCH entries). */
void icmp_drain(struct relay_sock *rs, uint64_t now);

/*
 * natdisc.c: RFC 5780 NAT behaviour discovery on Binding requests over UDP,
 * with rfc5780 and two listening addresses of a family.
 */
#define NATDISC_MAX_PADDING 1600 /* PADDING answered: at most this, never more than came */
struct natdisc_plan {
	bool on;		/* answer with OTHER-ADDRESS and RESPONSE-ORIGIN */
	union sockaddr_u from;	/* the listener the answer leaves from (RESPONSE-ORIGIN) */
	union sockaddr_u to;	/* where it goes (RESPONSE-PORT changes the port) */
	union sockaddr_u other; /* OTHER-ADDRESS */
	size_t padding;		/* PADDING bytes in the answer, 0: none */
};
/* From the listening addresses, before the workers: 0, or -1 and why in err. */
int natdisc_setup(struct server *srv, char *err, size_t errlen);
/* Does the listening address take part (a UDP listener on alt-listening-port too)? */
bool natdisc_listens_alt(const struct server *srv, const union sockaddr_u *listen);
/*
 * The answer to Binding m that came over UDP (udp) or not to local from
 * client: 0 and *out, or the error code to answer: 400 for a malformed
 * CHANGE-REQUEST or RESPONSE-PORT, 420 with *unknown the RFC 5780
 * attribute there is no alternate address for.
 */
int natdisc_plan(const struct server *srv, bool udp, const union sockaddr_u *local,
		 const union sockaddr_u *client, const struct stun_msg *m,
		 struct natdisc_plan *out, uint16_t *unknown);

/*
 * realm_opts.c: the realm's max-bps, user-quota and total-quota from the
 * user store, read at startup and every realm-options-refresh seconds.
 */
/* Reads once, then starts the thread (nothing without a store or with no-dynamic-realms). */
int realm_opts_start(struct server *srv, char *err, size_t errlen);
void realm_opts_stop(struct server *srv);
/* One read from db into srv->realm_opt, changes logged: 0, or -1 (what failed stays). */
int realm_opts_read(struct server *srv, struct userdb *db, const char *label);
/* The value in use: the store's, else the configuration's. */
unsigned int realm_opt(const struct server *srv, int opt);

/* unauth_budget.c: may one more unauthenticated error response go to src? */
bool unauth_budget_take(struct worker *w, const union sockaddr_u *src);
/* May src's next request without an allocation be read (unauth-req-rate)? Counted if not. */
bool unauth_rate_ok(struct worker *w, const union sockaddr_u *src);
/* One request of src failed to authenticate. */
void unauth_rate_spend(struct worker *w, const union sockaddr_u *src);

/* turn.c: the lifetime an Allocate (refresh false) or Refresh request m gets
 * under max-allocate-lifetime max (RFC 8656 §7.2, §7.3); 0 deletes. */
uint32_t turn_lifetime_for(uint32_t max, const struct stun_msg *m, bool refresh);
uint32_t turn_requested_bps(const struct stun_msg *m);
/* turn.c: one STUN message from a client (request or indication). */
void turn_handle_message(struct origin *o, struct allocation *a, const uint8_t *buf, size_t len);
/* ChannelData from a client, at clock_ms() now (read once per batch). */
void turn_handle_channeldata(struct worker *w, struct allocation *a, const uint8_t *buf,
			     size_t len, uint64_t now);
/* A Refresh with MOBILITY-TICKET handed over (mobility.c), authenticated as auth. */
void turn_handle_mobile_refresh(struct origin *o, const uint8_t *buf, size_t len,
				const struct auth_result *auth);

/*
 * store.c: users in Redis, looked up by one store thread; a worker parks
 * the request meanwhile and runs it again with the answer.
 */
#define STORE_PENDING 2	     /* store_lookup(): the answer is not here yet */
#define STORE_CACHE_MS 5000  /* how long a worker keeps a user's answer */
int store_start(struct server *srv, char *err, size_t errlen);
/*
 * Before the peer policy is set up: the realm's peer ranges that Redis
 * holds (coturn's keys) into cfg, unless no-dynamic-ip-list (its options:
 * realm_opts.c).
 */
void store_read_realm(struct config *cfg, const char *realm);
void store_stop(struct server *srv);
int store_worker_init(struct worker *w);
void store_worker_free(struct worker *w);
/* user's keys from the answer being resumed or the cache: 0, 1, -1 or STORE_PENDING. */
int store_lookup(struct worker *w, const char *user, struct user_keys *keys);
/* The realm's REST API secrets to cb, as userdb_list_secrets(), or STORE_PENDING. */
int store_secrets(struct worker *w, int (*cb)(void *arg, const char *realm, const char *secret),
		  void *arg);
/*
 * store_stats.c: a user store lookup's result (0 found, 1 not found, -1
 * error, as userdb_get_keys()) and, when the store was asked (timed), how
 * long it took, into the worker's stats. The worker's thread only.
 */
extern const uint32_t store_stats_bounds_us[STATS_STORE_BUCKETS - 1];
void store_stats_record(struct worker_stats *s, int rc, bool timed, uint64_t ns);
/* userdb_get_keys() and userdb_list_secrets() on the worker's SQLite handle, recorded. */
int store_stats_get_keys(struct worker *w, const char *user, struct user_keys *keys);
int store_stats_list_secrets(struct worker *w,
			     int (*cb)(void *arg, const char *realm, const char *secret),
			     void *arg);

/*
 * worker_gauges.c: every WORKER_GAUGES_MS the worker counts the live
 * permissions and channels of its allocations into its stats.
 */
#define WORKER_GAUGES_MS 1000
int worker_gauges_init(struct worker *w);
void worker_gauges_free(struct worker *w);
void worker_gauges_count(struct worker *w, uint64_t now);
struct auth_result;
/* Park m (from o) until what auth waits for is here: 0, or -1 (answer 500). */
int store_park(const struct origin *o, const struct stun_msg *m, const struct auth_result *auth);
/* A TCP connection (struct tcp_conn) or DTLS session closes: its parked requests go. */
void store_forget_conn(struct worker *w, const void *conn);

/* auth.c */
#define AUTH_PENDING 1 /* auth_result.error: parked until the store answers */
struct auth_result {
	int error;		/* 0, or the STUN error code to answer */
	char username[CONFIG_MAX_USERNAME_BYTES + 1];
	uint8_t key[32];
	uint8_t key_len;
	bool use_sha256;	/* answer with MESSAGE-INTEGRITY-SHA256 */
	bool pending_secrets;	/* AUTH_PENDING for the realm's REST secrets, not the user */
};
/*
 * Long-term credential check (RFC 8489 §9.2.4). On error, *res says the
 * code; turn.c builds the answer with auth_put_challenge().
 */
void auth_check(struct worker *w, const struct origin *o, const struct stun_msg *m,
		const struct allocation *a, struct auth_result *res);
/* REALM, NONCE (and PASSWORD-ALGORITHMS) for a 401 or 438. */
void auth_put_challenge(struct worker *w, const struct origin *o, struct stun_builder *b);
int auth_load_static_users(struct server *srv, char *err, size_t errlen);
/* The user= lines of c as keys for realm (a new array in *out): 0, or -1 with err. */
int auth_static_users(const struct config *c, const char *realm, struct static_user **out,
		      size_t *nout, char *err, size_t errlen);
void auth_static_users_free(struct static_user *users, size_t n);

/*
 * offload.c: TURN channels of UDP clients on UDP listeners in the kernel
 * (relay/relay_engine.h). An entry per channel with a live permission;
 * expiry runs from a timer per allocation, so RFC 8656 lifetimes hold.
 */
int offload_worker_init(struct worker *w);
void offload_worker_free(struct worker *w);
/* Adds what the kernel forwarded to the allocations (once a second, and at shutdown). */
void offload_worker_poll(struct worker *w);
/*
 * After ChannelBind or CreatePermission (and from the allocation's timer):
 * installs the entries of live channels with live permissions, removes the
 * others, and sets the timer to the next expiry.
 */
void offload_sync(struct allocation *a, uint64_t now);
/* Before a channel slot is given to another number or peer. */
void offload_channel_drop(struct allocation *a, struct channel *c);
/* The allocation ends: every entry goes. */
void offload_alloc_end(struct allocation *a);

/* allocation.c */
int alloc_create(struct origin *o, const struct auth_result *auth, uint8_t family,
		 bool tcp, bool dual, bool even_port, bool reserve_next, uint64_t token,
		 bool dont_fragment, struct allocation **out, uint64_t *new_token,
		 int *v6_error);
void alloc_free(struct allocation *a);
void alloc_set_lifetime(struct allocation *a, uint32_t lifetime_s);
/*
 * RFC 8016: a UDP allocation leaves its worker (table, list, events,
 * kernel entries, gauge) to be attached to another one, whose listener idx
 * (the same address) and client address it takes there, and a new id
 * there (the admin interface's): 0, or -1 (then freed).
 */
void alloc_detach(struct allocation *a);
int alloc_attach(struct allocation *a, struct worker *w, int lsn_idx);
/* ... or on its own worker: its client address and listener are o's now. */
void alloc_rehome(struct allocation *a, const struct origin *o);
/* The allocation's max-bps rate (0: none), already reserved from bps-capacity; full buckets. */
void alloc_set_rate(struct allocation *a, uint32_t rate, uint64_t now);
/* Spends len bytes of the rate toward dir (BW_TO_*): false, counted, when over it. */
bool alloc_rate_take(struct allocation *a, int dir, size_t len, uint64_t now);
const struct relay_sock *alloc_relay_for(const struct allocation *a, int family);
struct permission *alloc_find_perm(struct allocation *a, const struct sockaddr *peer,
				   uint64_t now);
int alloc_install_perm(struct allocation *a, const union sockaddr_u *peer, uint64_t now);
struct channel *alloc_find_channel(struct allocation *a, uint16_t number, uint64_t now);
struct channel *alloc_find_channel_by_peer(struct allocation *a, const union sockaddr_u *peer,
					   uint64_t now);
int alloc_bind_channel(struct allocation *a, uint16_t number, const union sockaddr_u *peer,
		       uint64_t now);
void alloc_cache_response(struct allocation *a, const uint8_t *tid, const uint8_t *resp,
			  size_t len);
const struct txn_cache *alloc_cached_response(const struct allocation *a, const uint8_t *tid);
void server_reservations_expire(struct server *srv);
void server_reservations_free(struct server *srv);

/*
 * limits.c: what one user, one client address (IPv6: its /64) and the
 * anchor may hold; every function takes srv->lock.
 */
int limits_init(struct server *srv);
/*
 * SIGHUP: the caps again from srv->cfg (user-port-share, ip-port-share,
 * max-tcp-connections); what is held stays held, new takes meet the new caps.
 */
void limits_reconfigure(struct server *srv);
void limits_free(struct server *srv);
/* allocs allocations and ports relay ports for user from source: 0 or 486 (500). */
int limits_take(struct server *srv, const char *user, const struct sockaddr *source,
		unsigned int allocs, unsigned int ports);
void limits_release(struct server *srv, const char *user, const struct sockaddr *source,
		    unsigned int allocs, unsigned int ports);
/* RFC 8016: ports held by an allocation move from one client address to another: 0 or 486. */
int limits_move(struct server *srv, const struct sockaddr *from, const struct sockaddr *to,
		unsigned int ports);
/* Media ports for the anchor within anchor-port-share: 0 or -1. */
int limits_anchor_take(struct server *srv, unsigned int ports);
void limits_anchor_release(struct server *srv, unsigned int ports);
unsigned int limits_anchor_max(const struct server *srv);
/*
 * A client TCP connection (or DTLS session) from source: 0, or which cap
 * refused it. A new one is half-open (max-unauth-connections-per-ip) until
 * limits_tcp_authed(): call that once when it authenticates, or before
 * limits_tcp_release() if it never did.
 */
enum { LIMITS_TCP_TOTAL = 1, LIMITS_TCP_PER_IP = 2, LIMITS_TCP_UNAUTH = 3 };
int limits_tcp_take(struct server *srv, const struct sockaddr *source);
void limits_tcp_authed(struct server *srv, const struct sockaddr *source);
void limits_tcp_release(struct server *srv, const struct sockaddr *source);
/* Half-open connections now, in all (read without the lock, for the metrics). */
unsigned int limits_tcp_unauth_now(const struct server *srv);
/* The option a LIMITS_TCP_* refusal names. */
const char *limits_tcp_cap_name(int refused);

/*
 * mobility.c: RFC 8016 mobility. A mobile UDP allocation has a ticket in a
 * table of the server's (under srv->lock); a Refresh with the ticket from
 * another address moves the allocation there once the client sends from
 * that address (make-before-break, §3.2). Over another worker's socket
 * (SO_REUSEPORT hashes the new address elsewhere), the request, and then
 * the first datagrams, are handed to the owner, which hands the allocation
 * to that worker.
 */
#define MOBILITY_MOVE_MS 30000 /* the new address must send within this */
int mobility_init(struct server *srv);
void mobility_free(struct server *srv);
int mobility_worker_init(struct worker *w);
/* After the worker's thread ended: what was handed to it goes (freed). */
void mobility_worker_free(struct worker *w);
/* A new ticket for a (the old one, if any, is no longer valid): 0 or -1. */
int mobility_issue(struct allocation *a);
void mobility_forget(struct allocation *a);
/* The worker that owns the allocation holding ticket, NULL when none. */
struct worker *mobility_owner(struct server *srv, const uint8_t ticket[STUN_MOBILITY_TICKET_LEN]);
/* The allocation holding ticket when w owns it, else NULL. */
struct allocation *mobility_find(struct worker *w, const uint8_t ticket[STUN_MOBILITY_TICKET_LEN]);
/* Hands the authenticated Refresh m from o to worker to: 0 or -1. */
int mobility_forward(const struct origin *o, struct worker *to, const struct stun_msg *m,
		     const struct auth_result *auth);
/*
 * After a's Refresh from o: a moves to o's address once the client sends
 * from there (to o->via's worker when set); until then it stays where it
 * is, both ways. The answer resp (len bytes) goes to o's address once the
 * worker that address reaches expects it.
 */
void mobility_begin_move(struct allocation *a, const struct origin *o, const uint8_t *resp,
			 size_t len);
/*
 * A datagram from an address no allocation of w's has: true when it was an
 * address an allocation is moving to, and the datagram was taken (w's
 * thread, only while w->mobility_npending).
 */
bool mobility_datagram(struct worker *w, struct udp_listener *lsn, const union sockaddr_u *from,
		       const uint8_t *buf, size_t len);

/* turn.c: a Connect request answered once its connection is up or failed. */
struct turn_deferred {
	uint8_t tid[STUN_TID_LEN];
	bool fingerprint;
	struct auth_result auth;
};
/* Answers it on the allocation's control connection: CONNECTION-ID, or code. */
void turn_answer_connect(struct allocation *a, const struct turn_deferred *d, int code,
			 uint32_t connection_id);

/*
 * tcp_relay.c: TCP allocations (RFC 6062). An allocation's listening relay
 * socket and its peer connections belong to its worker; a client data
 * connection that a ConnectionBind claims on another worker is handed over.
 */
/* alloc_create(): the state first, then listening on relay[0] once bound. */
int tcp_relay_start(struct allocation *a);
int tcp_relay_listen(struct allocation *a);
/* Closes the listener and every peer and data connection of the allocation. */
void tcp_relay_free(struct allocation *a);
/* Connect (§5.2): 0 (answered later through turn_answer_connect) or an error code. */
int tcp_relay_connect(struct allocation *a, const union sockaddr_u *peer,
		      const struct turn_deferred *d);
/* ConnectionBind (§5.4) on connection c: 0 (c->bind_id set) or an error code. */
int tcp_relay_bind(struct tcp_conn *c, uint32_t connection_id, const char *username);
/*
 * The control connection's address of the allocation whose peer connection
 * waits under connection_id, unclaimed: 0 with *out set, or -1 (auth.c takes
 * that connection's nonce on the ConnectionBind, as coturn does).
 */
int tcp_relay_pending_client(struct server *srv, uint32_t connection_id, union sockaddr_u *out);
/* After the ConnectionBind answer: takes c's socket and buffered bytes; c is closed next. */
void tcp_relay_take_conn(struct tcp_conn *c);
int tcp_relay_worker_init(struct worker *w);
void tcp_relay_worker_free(struct worker *w);

#endif
