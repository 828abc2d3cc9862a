/*
 * turnclient.h - a small TURN client (RFC 8656 over RFC 8489) for the
 * turnutils tools: one struct turnc per connection to the server.
 *
 * A connection runs at most one transaction at a time. It can be driven
 * two ways:
 *  - blocking: turnc_binding(), turnc_allocate(), ... send the request
 *    and wait for its outcome (bounded by the retransmission schedule);
 *  - event-driven, for many connections in one poll() loop: turnc_start_*()
 *    sends the request, then the caller polls turnc_fd(), calls
 *    turnc_next_event() while it returns events (and whenever
 *    turnc_buffered() says a frame is waiting), and turnc_tick() when
 *    turnc_timeout_ms() expires; a TURNC_EV_TXN event reports the outcome
 *    in turnc_txn_result().
 *
 * Retransmission (RFC 8489 §6.2.1): over UDP the request is sent up to 7
 * times, RTO 500 ms doubling each time, then 16 RTO are waited for the
 * last answer; over TCP it is sent once and the answer awaited 39.5 s.
 *
 * Authentication (RFC 8489 §9.2): a request goes out without credentials
 * until the server answers 401 with REALM and NONCE; it is then resent
 * with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY, and later requests
 * carry them from the start. A 438 (stale nonce) resends with the new nonce.
 * These retries are internal: the caller only sees the final outcome.
 *
 * Tests and probes that need every attribute under their control describe
 * the request in a struct turnc_req and run it with turnc_request(); its
 * auth mode says which credentials it carries (see enum turnc_auth).
 * turnc_build() and turnc_request_raw() send hand-made or malformed bytes
 * as a transaction, turnc_send_bytes() and turnc_recv_frame() move raw
 * datagrams or stream frames. turnc_response() is the last answer whole.
 *
 * Results of a transaction are outcome codes: 0 success, a positive STUN
 * error code (e.g. 401, 437, 486) from an error response, or a negative
 * errno: -ETIMEDOUT, -ECONNRESET (TCP closed), -ECONNREFUSED (ICMP port
 * unreachable on UDP), -EPROTO (malformed answer), -ENOBUFS (request too
 * large). Wrong or missing credentials end in 401.
 */
#ifndef CLIENT_TURNCLIENT_H
#define CLIENT_TURNCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "stun/stun.h"

#define TURNC_RTO_MS 500
#define TURNC_UDP_TRIES 7
#define TURNC_UDP_LAST_WAIT_RTO 16
#define TURNC_TCP_TIMEOUT_MS 39500
#define TURNC_MAX_RELAYED 2
#define TURNC_NONCE_MAX 256
#define TURNC_REALM_MAX 256
#define TURNC_BUF_LEN (STUN_HEADER_LEN + STUN_MAX_MSG_LEN + 4)
#define TURNC_TICKET_MAX 128 /* the longest MOBILITY-TICKET kept */

/* Options of an Allocate request. */
struct turnc_alloc_opts {
	uint8_t family;		   /* REQUESTED-ADDRESS-FAMILY, STUN_FAMILY_*; 0: none */
	uint8_t additional_family; /* ADDITIONAL-ADDRESS-FAMILY; 0: none */
	bool even_port;		   /* EVEN-PORT, R bit clear */
	bool dont_fragment;	   /* DONT-FRAGMENT */
	uint32_t lifetime_s;	   /* LIFETIME; 0: the server's default */
	bool mobility;		   /* RFC 8016: an empty MOBILITY-TICKET */
};

/*
 * Credentials of a struct turnc_req. AUTO is what the tools use: none until
 * the server challenges, then the algorithm the server offers (MD5 first),
 * PASSWORD-ALGORITHMS echoed when the nonce cookie announces it, and a
 * FINGERPRINT. The explicit modes send exactly what they name once a NONCE
 * is known (before that the request goes out bare to fetch the 401); a
 * 401 to a request that carried them ends the transaction, a 438 is
 * answered once with the new nonce unless no_retry is set.
 */
enum turnc_auth {
	TURNC_AUTH_NONE = 0,
	TURNC_AUTH_AUTO,
	TURNC_AUTH_MD5,		   /* USERNAME, REALM, NONCE, MESSAGE-INTEGRITY */
	TURNC_AUTH_SHA256,	   /* + PASSWORD-ALGORITHMS echoed, PASSWORD-ALGORITHM, MI-SHA256 */
	TURNC_AUTH_SHA256_NO_LIST, /* PASSWORD-ALGORITHM without PASSWORD-ALGORITHMS */
	TURNC_AUTH_USERHASH,	   /* USERHASH instead of USERNAME, MESSAGE-INTEGRITY */
};

#define TURNC_REQ_PEERS 4

/* One request, attribute by attribute; zero fields are left out. */
struct turnc_req {
	uint16_t method;
	enum turnc_auth auth;
	uint8_t transport;	   /* REQUESTED-TRANSPORT */
	uint8_t family;		   /* REQUESTED-ADDRESS-FAMILY, STUN_FAMILY_* */
	uint8_t additional_family; /* ADDITIONAL-ADDRESS-FAMILY */
	bool even_port;		   /* EVEN-PORT */
	bool even_port_r;	   /* its R bit */
	bool dont_fragment;	   /* DONT-FRAGMENT */
	uint64_t token;		   /* RESERVATION-TOKEN */
	bool has_lifetime;	   /* LIFETIME */
	uint32_t lifetime_s;
	const struct sockaddr_storage *peer[TURNC_REQ_PEERS]; /* XOR-PEER-ADDRESS, each */
	uint16_t channel;				      /* CHANNEL-NUMBER */
	uint16_t unknown_attr;	/* an attribute no server knows, value 01 02 03 04 */
	uint32_t connection_id; /* CONNECTION-ID (RFC 6062) */
	bool has_bandwidth;	/* coturn's BANDWIDTH, in units of 128 bytes a second */
	uint32_t bandwidth;
	bool fingerprint;	/* FINGERPRINT */
	bool has_ticket;	/* MOBILITY-TICKET (RFC 8016), ticket_len bytes */
	uint8_t ticket_len;
	uint8_t ticket[TURNC_TICKET_MAX];
};

enum turnc_txn_state {
	TURNC_TXN_IDLE,
	TURNC_TXN_PENDING,
	TURNC_TXN_DONE,
};

/* The request in flight; kept whole so it can be rebuilt after a 401/438. */
struct turnc_txn {
	enum turnc_txn_state state;
	uint16_t method;
	struct turnc_req q; /* its peer[] are NULL: the addresses are in peers[] */
	struct sockaddr_storage peers[TURNC_REQ_PEERS];
	int npeers;
	bool raw;	      /* turnc_request_raw(): bytes as given, no auth retries */
	uint64_t deadline_us; /* with turnc_set_timing(): the end of this send */
	uint8_t tid[STUN_TID_LEN];
	uint8_t req[2048];
	size_t req_len;
	int tries;	   /* sends of the current request */
	int auth_retries;  /* 401/438 resends of this transaction */
	int stale_retries; /* explicit auth modes: 438 resends */
	uint64_t next_us;  /* next retransmission or final deadline */
	int rto_ms;
	int result;	  /* outcome code once DONE */
	char reason[128]; /* reason phrase of an error response */
	bool answered;	  /* a response ended it (kept in resp) */
};

#define TURNC_RESP_MAX 4096

struct ssl_st;
struct ssl_ctx_st;

struct turnc {
	int fd;
	bool tcp;
	bool sourced; /* turnc_open_sourced(): unconnected, sends from local (IP_PKTINFO) */
	struct ssl_st *ssl;	    /* TLS over TCP or DTLS over UDP (turnclient_tls.c), or NULL */
	struct ssl_ctx_st *ssl_ctx; /* ... its context */
	bool verbose;
	struct sockaddr_storage server;
	struct sockaddr_storage local;

	/* credentials and the server's challenge */
	char user[256];
	char pass[256];
	char realm[TURNC_REALM_MAX];
	bool realm_fixed; /* realm given by the user: ignore the server's */
	uint8_t nonce[TURNC_NONCE_MAX];
	size_t nonce_len;
	uint8_t key[32];
	int key_len;
	uint16_t pw_alg;     /* STUN_PW_ALG_*, the algorithm in use */
	uint8_t pw_algs[64]; /* PASSWORD-ALGORITHMS from the server, echoed */
	size_t pw_algs_len;
	bool authed;		    /* requests carry credentials */
	bool no_retry;		    /* explicit auth modes: hand a 438 to the caller */
	bool req_signed;	    /* the last request built carried an integrity attribute */
	int rto_ms, txn_timeout_ms; /* turnc_set_timing(); 0: RFC 8489 schedule */

	struct turnc_txn txn;

	/* results */
	struct sockaddr_storage mapped;			    /* XOR-MAPPED-ADDRESS */
	struct sockaddr_storage relayed[TURNC_MAX_RELAYED]; /* XOR-RELAYED-ADDRESS */
	int nrelayed;
	uint32_t lifetime_s;
	bool allocated; /* an Allocate succeeded, not yet deleted or lost (437) */
	/* RFC 8016: the last MOBILITY-TICKET of an Allocate or Refresh answer */
	uint8_t ticket[TURNC_TICKET_MAX];
	size_t ticket_len;

	/* the answer that ended the last transaction (up to TURNC_RESP_MAX) */
	uint8_t resp[TURNC_RESP_MAX];
	size_t resp_len;
	struct stun_msg resp_msg;
	bool resp_signed; /* it carried a valid MI or MI-SHA256 for the request's key */
	bool resp_sha256; /* ... it carried MESSAGE-INTEGRITY-SHA256 */

	/* receive buffer (over TCP it accumulates the byte stream), send buffer */
	uint8_t *rbuf;
	uint8_t *sbuf;
	size_t rlen;	  /* bytes held (TCP) */
	size_t rconsumed; /* bytes of the last returned frame, dropped on the next call */
	struct stun_msg msg;

	uint64_t dropped;   /* unexpected or malformed packets ignored */
	uint64_t malformed; /* of them: ChannelData or Data indications that do not parse */
};

enum turnc_event_type {
	TURNC_EV_NONE,	/* nothing more to read now */
	TURNC_EV_TXN,	/* the transaction finished: see turnc_txn_result() */
	TURNC_EV_DATA,	/* data from a peer */
	TURNC_EV_ERROR, /* the connection failed (error holds -errno) */
	TURNC_EV_ICMP,	/* an ICMP error for data sent to peer (RFC 8656 §11.5): icmp */
	TURNC_EV_CONNECTION_ATTEMPT, /* RFC 6062 §4.4: a peer connected: peer, connection_id */
};

struct turnc_event {
	enum turnc_event_type type;
	int error;
	uint16_t channel;	      /* TURNC_EV_DATA: 0 for a Data indication */
	struct sockaddr_storage peer; /* TURNC_EV_DATA from a Data indication */
	const uint8_t *data;	      /* valid until the next turnc_next_event() */
	size_t len;
	const uint8_t *frame; /* TURNC_EV_DATA: the whole frame, padding included */
	size_t frame_len;
	struct stun_icmp icmp; /* TURNC_EV_ICMP: the ICMP attribute */
	uint32_t connection_id; /* TURNC_EV_CONNECTION_ATTEMPT: its CONNECTION-ID */
};

/* Monotonic clock in microseconds. */
uint64_t turnc_now_us(void);

/*
 * Resolve "host" (numeric IPv4/IPv6, "[v6]", or a name) with the given
 * port. family AF_UNSPEC, AF_INET or AF_INET6. 0 or -1.
 */
int turnc_resolve(const char *host, uint16_t port, int family, struct sockaddr_storage *out);

/*
 * Open a connection to server (UDP or TCP), bound to local when not NULL.
 * TCP connects within timeout_ms. 0 or a negative errno.
 */
int turnc_open(struct turnc *c, const struct sockaddr *server, const struct sockaddr *local,
	       bool tcp, int timeout_ms);
/*
 * A UDP socket that outlives its allocations (uclient --alloc-rate
 * --rotate-local): bound to the IPv4 wildcard on a port the kernel picks,
 * not connected; each datagram leaves from the address that
 * turnc_set_source() names (IP_PKTINFO) and only the server's are read.
 * Saves a socket(), bind(), connect() and close() per allocation.
 */
int turnc_open_sourced(struct turnc *c, const struct sockaddr *server);
/*
 * A fresh client on a turnc_open_sourced() socket: every transaction,
 * credential and result forgotten, datagrams sent from src (IPv4, port
 * ignored: the socket's). 0 or -EINVAL.
 */
int turnc_set_source(struct turnc *c, const struct sockaddr *src);
void turnc_close(struct turnc *c);
int turnc_fd(const struct turnc *c);
/* Credentials for the long-term mechanism; realm NULL: from the server's 401. */
int turnc_set_auth(struct turnc *c, const char *user, const char *pass, const char *realm);
/*
 * dst takes src's credentials and src's last challenge (REALM, NONCE,
 * password algorithm, key), so that its first request goes out signed: an
 * RFC 6062 data connection signs its ConnectionBind so with the control
 * connection's nonce (as coturn's client does).
 */
void turnc_share_auth(struct turnc *dst, const struct turnc *src);

/*
 * Transactions retransmitted every rto_ms (doubling) until timeout_ms from
 * each send of a request, instead of the RFC 8489 schedule (tests).
 */
void turnc_set_timing(struct turnc *c, int rto_ms, int timeout_ms);

/* Event-driven transactions: 0 when the request was sent, else -errno. */
int turnc_start_binding(struct turnc *c, uint64_t now_us);
int turnc_start_allocate(struct turnc *c, const struct turnc_alloc_opts *opts, uint64_t now_us);
int turnc_start_refresh(struct turnc *c, uint32_t lifetime_s, uint64_t now_us);
int turnc_start_permission(struct turnc *c, const struct sockaddr *peer, uint64_t now_us);
int turnc_start_channel_bind(struct turnc *c, uint16_t channel, const struct sockaddr *peer,
			     uint64_t now_us);
int turnc_start_request(struct turnc *c, const struct turnc_req *q, uint64_t now_us);
/* Milliseconds until turnc_tick() is due, -1 when no transaction is pending. */
int turnc_timeout_ms(const struct turnc *c, uint64_t now_us);
/* Retransmit or time out. True when this finished the transaction. */
bool turnc_tick(struct turnc *c, uint64_t now_us);
bool turnc_txn_pending(const struct turnc *c);
/* Outcome of the finished transaction (see the top of this file). */
int turnc_txn_result(const struct turnc *c);
const char *turnc_txn_reason(const struct turnc *c);

/*
 * Read what the socket holds and return the next event; TURNC_EV_NONE
 * when the socket has nothing more. Call until it returns NONE or ERROR.
 */
int turnc_next_event(struct turnc *c, struct turnc_event *ev, uint64_t now_us);
/*
 * True when a complete TCP frame is already buffered, so poll() would not
 * announce it: call turnc_next_event() without waiting.
 */
bool turnc_buffered(const struct turnc *c);
/* The next event within timeout_ms (TURNC_EV_NONE when none came). */
int turnc_wait_event(struct turnc *c, struct turnc_event *ev, int timeout_ms);

/* Blocking transactions: the outcome code. Data from peers is dropped. */
int turnc_wait(struct turnc *c);
int turnc_binding(struct turnc *c);
int turnc_allocate(struct turnc *c, const struct turnc_alloc_opts *opts);
int turnc_refresh(struct turnc *c, uint32_t lifetime_s);
/* RFC 8016 §3.2: a Refresh carrying the ticket last issued (ticket_len 0: empty). */
int turnc_refresh_mobile(struct turnc *c, uint32_t lifetime_s);
/*
 * RFC 8016: the client moves. A UDP connection's socket is replaced by one
 * bound to local (any port when it is 0), keeping credentials, nonce and
 * ticket: 0 or -errno (the old socket stays on failure).
 */
int turnc_rebind(struct turnc *c, const struct sockaddr *local);
int turnc_create_permission(struct turnc *c, const struct sockaddr *peer);
int turnc_channel_bind(struct turnc *c, uint16_t channel, const struct sockaddr *peer);
/*
 * Request q. With an explicit auth mode a success answer that is not
 * signed with the request's key ends in -EBADMSG.
 */
int turnc_request(struct turnc *c, const struct turnc_req *q);

/* Raw access */

/* Request q with a new transaction ID into buf: its length, 0 if too long. */
size_t turnc_build(struct turnc *c, const struct turnc_req *q, uint8_t *buf, size_t cap);
/*
 * Send the request in buf as it is (retransmitted over UDP) and wait for
 * the answer with its transaction ID: the outcome code.
 */
int turnc_request_raw(struct turnc *c, const uint8_t *buf, size_t len);
/* Write bytes to the server: 0 or -errno (see turnc_send_indication()). */
int turnc_send_bytes(struct turnc *c, const uint8_t *buf, size_t len);
/*
 * The next datagram, or the next whole frame of the stream, copied to out:
 * its length, 0 when none came within timeout_ms, -ECONNRESET when the
 * stream closed, another -errno when it broke.
 */
int turnc_recv_frame(struct turnc *c, uint8_t *out, size_t cap, int timeout_ms);
/*
 * Bytes of the stream after the last frame returned (RFC 6062 §5.4: after
 * ConnectionBind the connection carries the peer's bytes): moved to out.
 */
size_t turnc_take_buffered(struct turnc *c, uint8_t *out, size_t cap);
/*
 * RFC 6062 §5.4: once its ConnectionBind succeeded a data connection carries
 * the peer's bytes as they are. The next of them (those buffered after the
 * answer first, then the socket's, through TLS when it is on): the count,
 * 0 when the stream ended, -EAGAIN when none are there now, another -errno
 * when it broke.
 */
ssize_t turnc_recv_raw(struct turnc *c, uint8_t *out, size_t cap);
/* True when turnc_recv_raw() has bytes that poll() cannot announce. */
bool turnc_raw_buffered(const struct turnc *c);
/* The answer that ended the last transaction, NULL when none did. */
const struct stun_msg *turnc_response(const struct turnc *c);
/* Outcome code of a response: 0, its ERROR-CODE, -EPROTO when malformed. */
int turnc_msg_result(const struct stun_msg *m);
/* Keep REALM, NONCE and PASSWORD-ALGORITHMS of a challenge as they are. */
void turnc_keep_challenge(struct turnc *c, const struct stun_msg *m);

/* Send data to a peer: 0 or -errno (-EAGAIN: socket full, datagram dropped). */
int turnc_send_indication(struct turnc *c, const struct sockaddr *peer, const uint8_t *data,
			  size_t len);
int turnc_send_channel(struct turnc *c, uint16_t channel, const uint8_t *data, size_t len);

/* Human-readable outcome code: "401 Unauthorized", "timed out", ... */
const char *turnc_strresult(int result, char *buf, size_t len);

/*
 * TLS over an open TCP connection (RFC 8656 §3.1, turns:): TLS 1.2 or 1.3;
 * DTLS 1.2 over an open UDP one (OpenSSL resends its handshake flights);
 * ALPN "stun.turn" offered (RFC 7443). With ca_file the server's
 * certificate must chain to it (and name host, when given); without, it is
 * not checked (tests). host, when given, also goes out as SNI. From then
 * on every request, frame and send goes through the session. 0, or -errno
 * (-EPROTO: the handshake failed, -ETIMEDOUT, -ENOENT: no ca_file); on
 * failure the connection stays open without TLS.
 */
int turnc_start_tls(struct turnc *c, const char *ca_file, const char *host, int timeout_ms);
/*
 * The same in parts, so that one context serves many connections (making
 * one costs more than a handshake's own work on the client) and a caller
 * with many connections can run their handshakes side by side:
 * turnc_tls_ctx_new() makes a client context for TLS (tcp) or DTLS, with
 * ca_file as above (NULL with *err = -errno on failure; turnc_tls_ctx_free()
 * drops the caller's reference);
 * turnc_start_tls_ctx() is turnc_start_tls() with that context;
 * turnc_tls_begin() sets up the session on c without sending anything (c
 * takes its own reference to ctx; host as above) and turnc_tls_step() moves
 * the handshake on without blocking: 0 once it is complete, -EAGAIN with
 * *events (POLLIN or POLLOUT) to wait for on turnc_fd(), or -EPROTO. A
 * failed handshake leaves the session to turnc_close().
 */
struct ssl_ctx_st *turnc_tls_ctx_new(bool tcp, const char *ca_file, int *err);
void turnc_tls_ctx_free(struct ssl_ctx_st *ctx);
int turnc_start_tls_ctx(struct turnc *c, struct ssl_ctx_st *ctx, const char *host,
			int timeout_ms);
int turnc_tls_begin(struct turnc *c, struct ssl_ctx_st *ctx, const char *host);
int turnc_tls_step(struct turnc *c, short *events);
/* "TLSv1.3", "DTLSv1.2", ... once turnc_start_tls() succeeded, else NULL. */
const char *turnc_tls_version(const struct turnc *c);
/* "stun.turn" when the server selected it by ALPN, else NULL. */
const char *turnc_tls_alpn(const struct turnc *c);
/* turnclient_tls.c's part of turnclient.c: send all (0/-errno), recv as recv(2). */
int turnc_tls_send(struct turnc *c, const uint8_t *buf, size_t len, int timeout_ms);
ssize_t turnc_tls_recv(struct turnc *c, uint8_t *buf, size_t cap);
bool turnc_tls_pending(const struct turnc *c);
void turnc_tls_close(struct turnc *c);

#endif
