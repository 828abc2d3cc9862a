/*
 * uclient.h - what turnutils_uclient's modes share: its options, its
 * counters, the test message (client id, sequence number and send time,
 * then a pattern checked on return), the connection to the server, and the
 * RFC 6062 TCP-relay mode (-T, uclient_tcprelay.c).
 */
#ifndef CLIENT_UCLIENT_H
#define CLIENT_UCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "client/turnclient.h"

#define UC_HDR_LEN 16 /* client id (4), sequence (4), send time in us (8) */
#define UC_CONNECT_TIMEOUT_MS 5000

struct uc_opts {
	bool tcp;
	bool secure;	     /* -S: TLS over TCP (with -t), DTLS over UDP */
	bool tcp_relay;	     /* -T: TCP allocations (RFC 6062), clients in pairs */
	const char *ca_file; /* -E: the server's certificate must chain to it */
	struct ssl_ctx_st *tls_ctx; /* -S: the client context of every connection */
	bool send_indications;
	int verbose;
	int clients;
	int messages;
	int msg_len;
	int interval_ms;
	int rate;	 /* --rate: messages a second per client (0: -z) */
	long interval_us; /* between a client's messages: from --rate or -z */
	uint16_t port;
	uint16_t peer_port;
	const char *server_host;
	const char *peer_host;
	const char *user;
	const char *pass;
	const char *realm;
	const char *local_str;
	struct sockaddr_storage server;
	struct sockaddr_storage peer;
	struct sockaddr_storage local;
	bool has_local;
	struct turnc_alloc_opts alloc;
	double loss_threshold;
	int timeout_s;
	int hold_s;	  /* --hold: seconds to keep allocations after the last echo */
	int alloc_rate_s; /* --alloc-rate: seconds of allocate/delete cycles; 0: off */
	int rotate_local; /* --rotate-local: addresses to spread the sockets over */
	bool rtp;	  /* --rtp: each message starts with an RTP header (UC_RTP_LEN) */
};

struct uc_stats {
	int allocated;
	int failed; /* before the first message: allocation, auth, permission */
	int broken; /* later: connection lost, refresh refused */
	int delete_failed;
	unsigned long long sent;
	unsigned long long send_errors;
	unsigned long long received;
	unsigned long long duplicates;
	unsigned long long corrupt;
	unsigned long long foreign;
	unsigned long long icmp; /* ICMP attributes (RFC 8656 §11.5) */
	unsigned long long bytes;
	double rtt_min, rtt_max, rtt_sum;
	double jitter_sum;
	unsigned long long jitter_n;
	uint64_t first_send_us, last_recv_us;
	/* -T: RFC 6062 requests that succeeded, and ConnectionBinds answered 401/438 first */
	int connects, attempts, binds, binds_challenged;
};

/* One client's echo timing: the last round trip, for the jitter. */
struct uc_rtt {
	double last_ms;
	bool have;
};

/* A message of len bytes from client id, number seq, sent at now (us). */
void uc_msg_fill(uint8_t *msg, size_t len, uint32_t id, uint32_t seq, uint64_t now);
/*
 * A message back, from client id which has sent `sent` so far: 0 with *seq
 * and *sent_us, or -1 when it is not one of them or was changed.
 */
int uc_msg_check(const uint8_t *msg, size_t len, uint32_t id, uint32_t sent, uint64_t now,
		 uint32_t *seq, uint64_t *sent_us);
/* Count a message of len bytes that came back after rtt_ms (round trip and jitter). */
void uc_stats_echo(struct uc_stats *st, struct uc_rtt *r, size_t len, double rtt_ms, uint64_t now);

/*
 * A connection to the server: TCP or UDP, TLS over TCP or DTLS with -S;
 * bound to local when not NULL. 0 or -errno (-ECONNABORTED: no handshake).
 * uc_open_begin() leaves the TLS handshake to the caller (turnc_tls_step())
 * and says so with *handshake.
 */
int uc_open(struct turnc *c, const struct uc_opts *o, const struct sockaddr *local);
int uc_open_begin(struct turnc *c, const struct uc_opts *o, const struct sockaddr *local,
		  bool *handshake);

/*
 * -T: the clients in pairs, each pair relaying over TCP allocations to
 * each other; the counters into st. 0, or -1 when it could not start.
 */
int uc_tcprelay_run(const struct uc_opts *o, struct uc_stats *st);

#endif
