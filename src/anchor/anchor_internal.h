/*
 * anchor_internal.h - the anchor's state, shared by its files and by
 * nothing else: ng_control.c (control socket, reply cache), ng_request.c
 * (flags of a request), call.c (calls, offer/answer/delete, the SDP
 * rewrite), media.c (media sockets, ICE, forwarding, timeouts) and
 * ng_query.c (query, list, statistics replies).
 *
 * Model: a call has two legs, one per party (legs[0] sent the first
 * offer). Each transport of the call (one per m= line, or one per BUNDLE
 * group) is a stream with a side per leg: side k holds the sockets that
 * party k sends to, the ICE agent the anchor runs toward party k (when it
 * terminates ICE there), and where party k's media goes. A datagram that
 * arrives on side k leaves from side 1-k's socket of the same component.
 *
 * Threads: N media threads (shards, anchor-num-threads) and the control
 * thread. A call lives on one shard, chosen when it is created: its
 * sockets are in that shard's epoll set, its ICE and DTLS timers on that
 * shard's event_base, and its streams and the shard's counters are touched
 * only with that shard's lock (sh->lock) held: by the shard's thread
 * around each event, by workers in anchor_deliver() for a port of the
 * shard, and by the control thread while it commits a request of a call on
 * that shard. The call table, the reply cache and the control counters
 * (an->stats) are the control side's, under an->lock, which no media
 * thread takes. Lock order: an->lock, then shard locks by index. Decoding
 * a request, parsing its SDP, binding a new call's ports, encoding and
 * sending the reply run on the control thread with no lock (ng_control.c).
 * Media sockets sit in their shard's epoll set, read under the shard's
 * lock, so the control thread opens and closes them without waking or
 * waiting for the shard's thread; an ICE timer it frees is finalized on
 * the shard's thread (media_timer_free()).
 */
#ifndef ANCHOR_ANCHOR_INTERNAL_H
#define ANCHOR_ANCHOR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "anchor/anchor.h"
#include "anchor/bencode.h"
#include "anchor/demux.h"
#include "anchor/dtls_srtp.h"
#include "anchor/ice.h"
#include "anchor/latch.h"
#include "anchor/media_crypto.h"
#include "anchor/sdes.h"
#include "anchor/sdp.h"
#include "common/clock.h"
#include "relay/udp_batch.h"
#include "relay/relay.h"

struct event;
struct event_base;
struct sdp;

#define ANCHOR_NG_MAX 65535	       /* bytes of a control datagram */
#define ANCHOR_MAX_STREAMS 16	       /* transports per call */
#define ANCHOR_RX_BATCH 16
#define ANCHOR_POLL_BATCH 16 /* readable media sockets read per turn of the loop */
/* a media thread runs its event_base at least this often (media_loop()):
   with ICE agents or DTLS handshakes, and without */
#define ANCHOR_EVENTS_MS 10
#define ANCHOR_EVENTS_IDLE_MS 50
#define ANCHOR_RX_BUF 2048	       /* media datagrams longer are dropped */
#define ANCHOR_TAG_MAX 255
#define ANCHOR_CALL_ID_MAX 255
/*
 * ICE per call (RFC 8445 §6.1.2.5 checklist limit, §14.2 Ta): pairs of all
 * the call's agents, remote candidates one party may add (so that one party
 * cannot starve the other's checks), one Ta for all the call's checks, and
 * a budget of new checks over the call's life (ICE restarts check again).
 * An offer naming a victim in every candidate gets it at most
 * ANCHOR_ICE_PARTY_CANDIDATES_MAX * ICE_CHECK_MAX_TX checks, one new one per
 * Ta; restarts add at most ANCHOR_ICE_CHECKS_PER_S new checks a second.
 */
#define ANCHOR_ICE_PAIRS_MAX 100
#define ANCHOR_ICE_PARTY_CANDIDATES_MAX 50
#define ANCHOR_ICE_TA_MS ICE_TA_DEFAULT_MS
#define ANCHOR_ICE_CHECKS_BURST 200
#define ANCHOR_ICE_CHECKS_PER_S 2

enum anchor_ice_mode {
	ANCHOR_ICE_DEFAULT = 0, /* force when the incoming SDP had ICE, else remove */
	ANCHOR_ICE_FORCE,	/* the anchor's own candidates; it terminates ICE */
	ANCHOR_ICE_REMOVE,	/* no ICE toward that party: plain RTP, latching */
	ANCHOR_ICE_FORCE_RELAY, /* the party's candidates plus the anchor's as relay */
};

/* rtcp-mux flags (rtpengine's meaning) */
#define NG_MUX_OFFER (1u << 0)	 /* offer rtcp-mux even when the offerer did not */
#define NG_MUX_DEMUX (1u << 1)	 /* do not pass an offered rtcp-mux on */
#define NG_MUX_ACCEPT (1u << 2)	 /* accept the offerer's rtcp-mux (the default) */
#define NG_MUX_REJECT (1u << 3)	 /* refuse the offerer's rtcp-mux */
#define NG_MUX_REQUIRE (1u << 4) /* rtcp-mux only toward the answerer */

enum ng_command {
	NG_PING,
	NG_OFFER,
	NG_ANSWER,
	NG_DELETE,
	NG_QUERY,
	NG_LIST,
	NG_STATISTICS,
};

/* DTLS flag (rtpengine's DTLS=...): which role the anchor takes, or none. */
enum ng_dtls {
	NG_DTLS_DEFAULT = 0, /* active toward actpass, and actpass in offers */
	NG_DTLS_OFF,	     /* no DTLS offered (SDES only) */
	NG_DTLS_ACTIVE,
	NG_DTLS_PASSIVE,
};

/* One request, as ng_request_parse() read it; strings point into the bdoc. */
struct ng_request {
	enum ng_command cmd;
	const char *call_id, *from_tag, *to_tag, *via_branch;
	const char *sdp;
	size_t sdp_len;
	enum anchor_ice_mode ice;
	bool ice_given;
	bool replace_origin, replace_session_conn;
	bool trust_address;	 /* SDP addresses win over received-from */
	bool sip_source_address; /* received-from wins over SDP addresses */
	bool received_from_ok;
	struct sockaddr_storage received_from;
	const char *direction[2];
	unsigned int rtcp_mux; /* NG_MUX_* */
	const char *transport_protocol;
	const char *dtls;
	enum ng_dtls dtls_mode; /* from dtls */
	bool sdes_off;		 /* SDES-off: no a=crypto offered or taken */
	uint32_t sdes_no;	 /* SDES-no-SUITE: bits 1 << srtp_suite_id */
	uint32_t sdes_only;	 /* SDES-only-SUITE: bits; 0: every suite */
	const char *ice_lite; /* forward, backward, both, off */
	/* values read from an rtpp_flags string */
	char transport_buf[32], dtls_buf[16], direction_buf[2][32], ice_lite_buf[16];
	bool fragment;	      /* trickle ICE: sdp is a fragment */
	bool supports_load_limit;
	bool strict_source;
	unsigned int limit; /* list: most call-ids, 0: all */
	char warning[512];  /* unknown flags, for the reply's "warning" */
	struct sdp *parsed; /* sdp, parsed before the lock (call_prepare()); NULL: parse it */
};

/*
 * Media ports a new call's offer will take, bound by the control thread
 * before its request runs (call_prepare()), so that the anchor thread does
 * not bind them; media_side_open() takes them, call_prepared_free() closes
 * what is left. fd[1] is the odd neighbour of an even fd[0] when nsocks 2.
 */
#define ANCHOR_PREBOUND_MAX (2 * ANCHOR_MAX_STREAMS)
struct media_prebound {
	int fd[2];
	int nsocks; /* 0: taken */
	int family;
};

/* A media socket: one component of one side of a stream. */
struct media_sock {
	struct media_sock *pnext; /* its shard's table by local port */
	struct anchor *an;
	struct anchor_shard *sh; /* the call's shard */
	int fd;			 /* in sh->media_epfd while open */
	union sockaddr_u local;
	struct stream *st;
	uint8_t side; /* 0 or 1: which leg sends here */
	uint8_t comp; /* 0 RTP, 1 RTCP */
};

struct side_counters {
	uint64_t packets, bytes, errors; /* received from this side's party */
	uint64_t dropped;		 /* unauthenticated source, no destination, ... */
	uint64_t last_packet_ms;	 /* wall clock, ms since the epoch; 0: never */
};

/*
 * A destination the peer verdict allowed. Only media_dest_check() makes
 * one and media_send() takes nothing else, so no path can send media,
 * RTCP or ICE to an address the verdict has not seen.
 */
struct media_dest {
	union sockaddr_u addr;
	bool own; /* on one of the server's registered addresses: re-judged per packet */
};

/*
 * Where a side's party gets one component's media, as media_side_refresh()
 * last found it. Confirmed (media_dest_confirmed()): a nominated ICE pair
 * whose consent holds, or a latched source; either way the party's media
 * also comes from there, so the pair of them names the stream's 5-tuples.
 */
enum side_dest_kind {
	SIDE_DEST_NONE,		 /* nowhere yet, consent lost, or the side closed */
	SIDE_DEST_REFUSED,	 /* the ICE pair's remote failed the peer verdict */
	SIDE_DEST_SDP,		 /* the address the party's SDP gave */
	SIDE_DEST_LATCH,	 /* the source latched onto */
	SIDE_DEST_ICE,		 /* the earliest succeeded ICE pair (early media) */
	SIDE_DEST_ICE_NOMINATED, /* the nominated ICE pair, consent holding */
};

struct side_dest {
	enum side_dest_kind kind;
	struct media_dest to; /* REFUSED: the address only, never sent to */
};

/*
 * force-relay: a Binding request that passed through from the party, so
 * that the other party's response goes back to where it came from. A
 * success response (the other party checked its MESSAGE-INTEGRITY) latches
 * that source; the request alone never does.
 */
#define ANCHOR_STUN_TXNS 8
struct stun_txn {
	uint8_t tid[12];
	uint8_t comp;
	bool used;
	struct media_dest src;
};

/*
 * What the anchor does with SRTP toward one side's party (bridge.c). A
 * side is terminated when its party's profile is SAVP(F) and the other
 * party's differs (transport-protocol): the anchor decrypts what the party
 * sends and encrypts what it gets. Otherwise NONE: plain RTP, or SRTP
 * passed end to end untouched.
 */
enum side_crypto_kind {
	SIDE_CRYPTO_NONE = 0,
	SIDE_CRYPTO_OFFERED, /* the anchor offered DTLS and/or SDES: the answer picks */
	SIDE_CRYPTO_DTLS,
	SIDE_CRYPTO_SDES,
};

#define ANCHOR_PROTO_MAX 32

/* What was negotiated for a side; the plan of an offer or answer too. */
struct crypto_nego {
	enum side_crypto_kind kind;
	char proto[ANCHOR_PROTO_MAX]; /* the profile this party uses ("RTP/SAVPF") */
	bool anchor_offered;	      /* keyed by the party's answer to the anchor's offer */
	bool offer_dtls;	      /* OFFERED: with a=fingerprint */
	enum ng_dtls offer_setup;     /* OFFERED: the a=setup the anchor offers */
	enum dtls_srtp_role role;     /* DTLS: the anchor's */
	struct fingerprint remote_fp[DTLS_SRTP_MAX_REMOTE_FP];
	size_t n_remote_fp;
	struct sdes_crypto local[SRTP_SUITE_COUNT]; /* SDES: offered; answered: [0] */
	size_t n_local;
	struct sdes_crypto remote; /* SDES: the party's key */
};

/*
 * DTLS toward a party without rtcp-mux: RTCP on its own port runs a second
 * association on that 5-tuple, same certificate and fingerprints, whose
 * exporter keys the SRTCP sent and received there (RFC 5764 §4.1).
 */
struct side_rtcp_dtls {
	struct dtls_srtp_conn *conn;
	bool started;
	struct mcrypto *in, *out;
};

struct side_crypto {
	struct crypto_nego nego; /* the latest offer's or answer's */
	struct crypto_nego live; /* what dtls, in and out were made from */
	struct dtls_srtp_conn *dtls; /* DTLS: the association with the party */
	struct anchor_shard *sh;     /* its stream's, from the first commit (dtls_handshakes) */
	bool dtls_started;
	struct mcrypto *in;  /* keyed: unprotects what the party sends */
	struct mcrypto *out; /* keyed: protects what the party gets */
	uint64_t not_keyed;  /* media dropped before the keys were there */
	uint64_t keys_gen;   /* which keys in and out are to be made of (bridge_keys.c) */
	struct side_rtcp_dtls rtcp; /* DTLS without rtcp-mux: the RTCP port's */
};

/* What one side of a stream knows about its party. */
struct stream_side {
	struct media_sock socks[2]; /* [0] RTP, [1] RTCP; fd -1 when unused */
	int nsocks;
	bool mux;		    /* the party sends RTCP on the RTP port */
	struct ice_agent *ice;	    /* the anchor terminates ICE toward the party */
	bool ice_passthrough;	    /* force-relay: STUN goes end to end */
	struct stun_txn *txns;	    /* force-relay: checks from the party, ANCHOR_STUN_TXNS */
	unsigned int txn_next;
	struct event *ice_timer;
	bool has_sdp_dest[2];
	struct media_dest sdp_dest[2];	   /* advertised RTP and RTCP endpoints, allowed */
	struct latch_policy latch_policy;  /* RTP's, from the party's SDP and flags */
	struct latch latch[2];		   /* where the party's media comes from */
	struct media_dest latch_dest[2];   /* the same, allowed */
	/*
	 * Kept by media_side_refresh(), the one writer, whenever ICE, latching,
	 * the SDP, consent or the sockets change: per packet, the destination
	 * is read here and the source compared with ice_src, nothing scanned.
	 */
	struct side_dest dest[2];
	bool has_ice_src[2];
	union sockaddr_u ice_src[2]; /* the selected ICE pair's remote */
	struct side_counters rtp, rtcp;
	bool consent_lost;
	char proto[ANCHOR_PROTO_MAX]; /* the latest offer's or answer's profile ("" none) */
	/*
	 * SRTP toward the party (bridge.c): made when a commit offers or bridges
	 * it (a plan other than NONE), gone with the first plan that does not or
	 * with the side; NULL for plain RTP and SRTP passed end to end, so a
	 * plain stream carries none of its kilobytes of keys and fingerprints.
	 */
	struct side_crypto *crypto;
};

/*
 * One component of a stream in the kernel (offload.c): the entry installed
 * for it, {side 0's socket, side 0's party} + {side 1's socket, side 1's
 * party}, and the addresses it was made of, to see when they move.
 */
struct stream_offload {
	struct stream *st;
	uint8_t comp;
	uint64_t id; /* 0: forwarded in userspace */
	union sockaddr_u local[2], remote[2];
	uint32_t flags[2]; /* the legs' TURNRELAY_LEG_F_* */
};

struct stream {
	struct call *call;
	struct anchor_shard *sh; /* the call's: the stream may outlive it (media_timer_free()) */
	unsigned int index;
	char type[16];	 /* "audio" */
	char proto[32];	 /* "UDP/TLS/RTP/SAVPF" */
	struct stream_side side[2];
	bool confirmed; /* both sides' RTP destinations confirmed (media_stream_sync) */
	uint8_t confirmed_mode; /* ANCHOR_MODE_*: its count in anchor.streams_by_mode */
	/*
	 * [0] RTP, [1] RTCP (offload.c): made when the stream first gets an
	 * entry, gone with its last one; NULL for a stream forwarded in
	 * userspace (no module loaded, not confirmed, bridged).
	 */
	struct stream_offload *kernel;
	/* a TURN client's channel joined to a side's party in the kernel (a worker's entry) */
	bool joined[2];
	bool offload_pending; /* confirmed state moved on a worker: the anchor thread syncs it */
	unsigned int finalizing; /* its ICE timers the anchor thread has yet to free */
	bool released;		 /* its call let it go: freed with the last of them */
};

struct leg {
	char *tag;
	bool known;
	bool lan;		  /* PBX side: local address, typ host */
	bool party_ice;		  /* the party's SDP had ICE */
	bool ice_lite_party;	  /* the party is ICE-lite */
	enum anchor_ice_mode ice; /* toward this party */
	bool ice_on;		  /* the anchor runs ICE toward this party */
	bool lite;		  /* ... as a lite agent */
	bool controlling;
	char ufrag[ICE_UFRAG_LEN + 1], pwd[ICE_PWD_LEN + 1]; /* the anchor's, toward the party */
	char *last_sdp;		/* the party's last SDP as received */
	char *last_reply_sdp;	/* what we gave the other party for it */
	uint64_t created_s;
};

struct call {
	struct call *hnext;
	struct anchor *an;
	struct anchor_shard *sh;	/* the media thread its sockets are on, for its life */
	struct call *snext, *sprev;	/* the shard's calls (sh->calls) */
	char *call_id;
	char *via_branch;
	struct leg legs[2];
	struct stream *streams[ANCHOR_MAX_STREAMS];
	unsigned int nstreams;
	/* m= line i of the offer (legs[0]'s numbering) uses stream media_stream[i], -1: port 0 */
	int media_stream[SDP_MAX_MEDIA];
	unsigned int nmedia;
	bool answered;
	struct ice_shared ice_shared; /* pacing and pair limit of the call's ICE agents */
	uint64_t created_ms;	  /* monotonic */
	uint64_t created_wall_us; /* wall clock */
	uint64_t last_signal_s;
	uint64_t last_media_ms;	  /* monotonic */
};

struct ng_cache_entry {
	struct ng_cache_entry *hnext;
	struct ng_cache_entry *older, *newer; /* expiry order */
	uint64_t expires_ms;
	char *cookie;
	uint8_t *reply; /* the whole datagram, cookie included */
	size_t reply_len;
};

/* How a confirmed stream is anchored, for metrics (media_stream_sync()). */
enum {
	ANCHOR_MODE_ICE,      /* the anchor runs ICE toward a party */
	ANCHOR_MODE_LATCHING, /* both parties latched, no ICE */
	ANCHOR_MODE_BRIDGED,  /* SRTP terminated on a side (bridge.c) */
	ANCHOR_MODES
};

struct anchor_stats {
	uint64_t ng_requests, ng_errors, ng_no_cookie, ng_malformed, ng_not_allowed,
	    ng_retransmits;
	uint64_t ng_own_source; /* from the relay's or the anchor's own sockets */
	uint64_t calls_total, calls_rejected_load, calls_timeout, calls_final_timeout,
	    calls_deleted;
	uint64_t packets_user, bytes_user, errors_user;
	uint64_t packets_kernel, bytes_kernel, errors_kernel; /* merged from the module (offload.c) */
	uint64_t offload_nomem; /* streams left in userspace: no memory for their entries */
	uint64_t dropped_unauthenticated, dropped_no_destination, dropped_malformed,
	    dropped_policy, stun_no_fingerprint, stun_handled;
	uint64_t latches, relatches; /* sources latched onto, and re-latched in the window */
	uint64_t joined_packets; /* from a TURN allocation of this server, in process */
	/* SRTP bridging (bridge.c) */
	uint64_t srtp_auth_failed, srtp_replayed, srtp_dropped, srtp_not_keyed;
	uint64_t dtls_connected, dtls_failed;
	struct udp_batch_stats batch; /* forwarding's recvmmsg, sendmmsg and GSO (udp_batch.h) */
};

/*
 * One media thread (anchor-num-threads): its own event loop, epoll set of
 * its calls' sockets, port table, receive batch, send queue, clock,
 * counters and kernel offload handle, and the lock that guards its calls
 * (see the model above). Nothing here is shared with another shard, so
 * each forwards on its own core.
 */
struct anchor_shard {
	struct anchor *an;
	unsigned int index;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	struct event_base *base;
	struct event *tick_ev;
	int media_epfd; /* its media sockets and wake_fd: the thread waits here (media_loop()) */
	int wake_fd;	/* eventfd: run base now (anchor_shard_wake()) */
	int stopping;	/* anchor_stop(): the loop returns */
	struct media_sock **ports; /* its media sockets by local port (an->ports_mask) */
	struct call *calls;	   /* its calls (call.snext) */
	unsigned int ncalls;	   /* written under an->lock and lock */

	/* receive batch */
	uint8_t *rx;
	struct mmsghdr rx_msgs[ANCHOR_RX_BATCH];
	struct iovec rx_iov[ANCHOR_RX_BATCH];
	union sockaddr_u rx_from[ANCHOR_RX_BATCH];
	struct udp_txq txq; /* forwarded datagrams of the batch in hand (media_read()) */

	uint64_t now_ms;  /* monotonic, read once per event (anchor_shard_clock()) */
	uint64_t wall_ms; /* wall clock, the same moment */
	struct anchor_stats stats; /* media counters of its calls; summed by anchor_stats_total() */
	unsigned int streams_confirmed;
	uint64_t streams_by_mode[ANCHOR_MODES];
	/* kernel offload (offload.c): this thread's engine handle */
	struct relay_engine_thread *engine;
	struct event *offload_ev; /* runs the streams a worker flagged on this thread */
	bool offload_pending;
	/* SRTP bridging (bridge.c): the buffer a bridged packet is re-protected
	   in, and the DTLS retransmission timer */
	uint8_t *crypt_buf; /* ANCHOR_RX_BUF + MCRYPTO_TRAILER_MAX */
	struct event *dtls_ev;
	unsigned int dtls_handshakes; /* sides in a DTLS handshake now */
	unsigned int ice_timers;      /* sides with an ICE agent (media_loop()'s pace) */
};

#define ANCHOR_THREADS_MAX 64

struct anchor {
	struct relay *relay; /* addresses, port range, registry, peer verdict */
	const struct config *cfg;
	struct anchor_port_budget budget;
	int owner; /* in relay->ports */
	pthread_mutex_t lock; /* the control side's: calls table, an->stats, keys, prebound */
	struct anchor_shard *shards;
	unsigned int nshards;
	unsigned int next_shard; /* where the next call goes (anchor_shard_pick()) */
	struct anchor_shard *new_call_shard; /* the shard the request in commit creates calls on */
	uint16_t *port_shard; /* by port: the shard whose socket it last was (anchor_deliver()) */

	/* media addresses: bound (local) and advertised toward browsers (public) */
	bool has_v4, has_v6;
	union sockaddr_u local_v4, public_v4, local_v6, public_v6;

	/* control: its thread, loop and reply cache are its own (no lock) */
	pthread_t ng_thread;
	bool ng_started;
	struct event_base *ng_base;
	struct event *ng_stop_ev, *ng_tick_ev;
	/* the request's pre-bound ports (the control thread's own) */
	struct media_prebound prebound[ANCHOR_PREBOUND_MAX];
	unsigned int nprebound;
	int ng_fd;
	struct event *ng_ev;
	struct peer_policy allow; /* only its allowed ranges are used */
	bool allow_loopback_only;
	uint8_t *ng_buf; /* ANCHOR_NG_MAX + 1 */
	uint8_t *out_buf;
	struct ng_cache_entry **cache;
	uint32_t cache_mask;
	struct ng_cache_entry *cache_oldest, *cache_newest;
	unsigned int cache_entries;
	size_t cache_bytes;

	/* calls by call-id */
	struct call **calls;
	uint32_t calls_mask;
	unsigned int ncalls;

	uint32_t ports_mask; /* the shards' port tables */

	uint64_t now_ms;  /* the control side's clock (anchor_clock()) */
	uint64_t wall_ms; /* wall clock, the same moment */
	uint64_t started_s;
	struct anchor_stats stats; /* control counters (ng_*, calls_*); media ones are per shard */
	bool draining;		   /* anchor_drain(): no new calls */
	uint64_t log_window_ms;	   /* anchor_log_ok(), any thread (atomics) */
	unsigned int log_count;
	/* SRTP bridging (bridge.c): the anchor's DTLS identity */
	struct dtls_srtp_cert *dtls_cert;
	struct dtls_srtp_ctx *dtls_ctx;
	uint64_t keys_gen;	      /* the last side_crypto.keys_gen given */
	/* SDES contexts the control thread makes once it released the lock
	   (bridge_keys.c): its own list, like prebound */
	struct bridge_keys_job *key_jobs;
};

/* anchor.c */
uint64_t anchor_wall_us(void);
/*
 * The anchor's deliver callback in the relay registry (ctx: the anchor): a
 * TURN allocation's relay socket (from) sends buf to to. When to is one of
 * the anchor's media sockets, the datagram is handed to the anchor as if it
 * had arrived there from the relay address (a browser's allocation on this
 * server joined to its anchored call) and true is returned: the caller
 * sends nothing. False: not an anchor port, the caller sends as usual.
 * Called from worker threads.
 */
bool anchor_deliver(void *ctx, const struct sockaddr *to, const struct sockaddr *from,
		    const uint8_t *buf, size_t len);
/* Reads both clocks into an->now_ms and an->wall_ms: once per event, not per packet. */
void anchor_clock(struct anchor *an);
void anchor_shard_clock(struct anchor_shard *sh);
/* The shard a new call goes to: the one with the fewest calls (under an->lock). */
struct anchor_shard *anchor_shard_pick(struct anchor *an);
/* Is this the shard's thread, or is its loop not running (set-up, shutdown, tests)? */
bool anchor_shard_owner(const struct anchor_shard *sh);
/* The shard that last had a socket on port (anchor_deliver(), joins): no lock. */
struct anchor_shard *anchor_port_shard(struct anchor *an, uint16_t port);
/* Every shard's lock, in order (an->lock held), and back. */
void anchor_shards_lock(struct anchor *an);
void anchor_shards_unlock(struct anchor *an);
/* an->stats plus every shard's media counters (relaxed loads: no lock needed). */
void anchor_stats_total(struct anchor *an, struct anchor_stats *out);
/* Calls timed out (anchor-timeout, anchor-final-timeout) end; on the control thread. */
void anchor_expire(struct anchor *an);
bool anchor_log_ok(struct anchor *an);
uint32_t anchor_hash(const char *s, size_t len);

/* ng_request.c: reads a request dictionary. 0, or -1 with reason (an error reply). */
int ng_request_parse(const struct bval *dict, struct ng_request *req, char *reason,
		     size_t reasonlen);

/* ng_control.c: the control thread (started and stopped with the anchor's). */
int ng_control_open(struct anchor *an, char *err, size_t errlen);
/*
 * Runs a parsed request's commit (anchor.c's lock model): an->lock and the
 * lock of its call's shard, a new call's shard picked. The control thread's,
 * and the web admin's delete.
 */
void anchor_commit(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		   struct bval *reply);
int ng_control_start(struct anchor *an);
void ng_control_stop(struct anchor *an);
void ng_control_close(struct anchor *an);
/* The reply cache (kept anchor-ng-cache-time, oldest dropped past its caps). */
struct ng_cache_entry *ng_cache_find(struct anchor *an, const char *cookie, size_t len);
void ng_cache_add(struct anchor *an, const char *cookie, size_t cookie_len, const uint8_t *reply,
		  size_t len, uint64_t now_ms);
void ng_cache_expire(struct anchor *an, uint64_t now_ms);

/*
 * call.c. call_prepare() does the work of a request that needs no call
 * state, on the control thread without the lock: its SDP parsed, and for
 * the offer of a new call, its media ports bound (an->prebound);
 * call_prepared_free() afterwards. The others run under the lock; each
 * fills reply (a dict) or returns -1 with reason.
 */
void call_prepare(struct anchor *an, struct ng_request *req);
void call_prepared_free(struct anchor *an, struct ng_request *req);
struct call *call_find(struct anchor *an, const char *call_id);
int call_offer(struct anchor *an, const struct ng_request *req, struct bdoc *d,
	       struct bval *reply, char *reason, size_t reasonlen);
int call_answer(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		struct bval *reply, char *reason, size_t reasonlen);
int call_delete(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		struct bval *reply, char *reason, size_t reasonlen);
void call_free(struct call *c);
void call_free_all(struct anchor *an);
void call_expire(struct anchor *an, uint64_t now_ms);
/* Why call_expire ends c at now_ms (idle_ms: anchor-timeout, final_ms:
 * anchor-final-timeout, 0 = none): CALL_LIVE when it does not. */
enum call_end { CALL_LIVE, CALL_IDLE_TIMEOUT, CALL_FINAL_TIMEOUT };
enum call_end call_end_reason(const struct call *c, uint64_t now_ms, uint64_t idle_ms,
			      uint64_t final_ms);

/* media.c */
/* Sockets for one side: 0; -1 no free port; -2 over anchor-port-share. */
int media_side_open(struct anchor *an, struct stream *st, int side, int nsocks, int family);
/* Closes the side's sockets and ICE; its destinations are cleared (media_side_refresh). */
void media_side_close(struct anchor *an, struct stream *st, int side);
/* Frees a stream whose sides are closed (now, or once its ICE timers are: media_timer_free()). */
void media_stream_free(struct stream *st);
/* The shard's epoll set of its media sockets and its event on the shard's loop. */
int media_poll_open(struct anchor_shard *sh);
/* One turn of a media thread: up to wait_ms for a batch of readable sockets,
   read under the lock; true when sh->wake_fd was written. *events_ms: how
   often its event_base must run now (ANCHOR_EVENTS_MS or _IDLE_MS). */
bool media_poll(struct anchor_shard *sh, int wait_ms, uint64_t *now, int *events_ms);
void media_loop(struct anchor_shard *sh);
void anchor_shard_wake(struct anchor_shard *sh);
void media_poll_close(struct anchor_shard *sh);
void media_side_stop_ice(struct stream_side *s);
/* The party muxes RTCP: its RTCP port and ICE component 2 go. */
void media_side_drop_rtcp(struct anchor *an, struct stream_side *s);
void media_consent_check(struct anchor_shard *sh, uint64_t now_ms);
const union sockaddr_u *media_public_addr(const struct anchor *an, int family, bool lan);
int media_ice_start(struct anchor *an, struct stream *st, int side);
void media_ice_schedule(struct stream *st, int side);
void media_input(struct anchor *an, struct media_sock *ms, const union sockaddr_u *from,
		 const uint8_t *buf, size_t len);
struct media_sock *media_find_port(struct anchor_shard *sh, uint16_t port);
/* The peer verdict on to: true and *out set when the anchor may send there. */
bool media_dest_check(const struct anchor *an, const struct sockaddr *to, struct media_dest *out);
/*
 * Sends to a destination the verdict allowed (media_dest_check()): 0 sent,
 * -1 send error, 1 refused (an own address whose port closed since).
 */
int media_send(const struct media_sock *ms, const struct media_dest *to, const uint8_t *buf,
	       size_t len);
/* Opens side's learning window (anchor-latch-window) from now. */
void media_latch_window(struct anchor *an, struct stream_side *ss);
/*
 * The one place a side's destinations (and accepted ICE source) change:
 * recomputes them from the side's ICE agent, consent, latch and SDP.
 * Called after every event that may move them (ICE input and timers, an
 * ICE restart, consent loss, a latch, an offer's or answer's commit, a
 * forked answer, an undone request); closing the side clears them.
 */
void media_side_refresh(struct anchor *an, struct stream *st, int side);
/* media_side_refresh() on both sides of every stream of c. */
void media_call_refresh(struct anchor *an, struct call *c);
bool media_dest_confirmed(const struct side_dest *d);

/*
 * offload.c: anchored streams in the kernel through the offload engine
 * (relay/relay_engine.h). anchor_offload_open() before the thread starts,
 * anchor_offload_close() after it stopped and the calls are freed.
 */
int anchor_offload_open(struct anchor *an);
int anchor_offload_shard_open(struct anchor_shard *sh);
void anchor_offload_shard_close(struct anchor_shard *sh);
/*
 * st's confirmed state or destinations may have moved: its entries follow
 * (installed, replaced or removed) on the anchor thread, now, or, called on
 * a TURN worker (anchor_deliver()), once the anchor thread runs the flag.
 */
void anchor_offload_stream(struct anchor *an, struct stream *st);
/*
 * st leaves: its entries go now (anchor thread, or with the thread stopped),
 * and what they forwarded since the last poll is counted.
 */
void anchor_offload_stream_end(struct anchor *an, struct stream *st);
/* Is component c of st forwarded in the kernel (its own entry or a joined channel)? */
bool anchor_offload_kernelized(const struct stream *st, int c);
/*
 * Once a second on the anchor thread: merges what the kernel forwarded into
 * the stream, call (last media, for anchor-timeout) and anchor counters.
 */
void anchor_offload_poll(struct anchor_shard *sh);

/*
 * bridge.c: SRTP bridging. bridge_open() makes the anchor's DTLS
 * certificate (anchor-dtls-cert/-key, or a fresh one) before the threads
 * start; bridge_close() after the calls are freed.
 *
 * Offer and answer: bridge_plan_offer() / bridge_plan_answer() decide, in
 * the prepare phase and without changing anything, what each side of each
 * stream becomes (plans[stream][side], an array of c->nstreams); the
 * rewrite puts the anchor's lines into the SDP for a party
 * (bridge_rewrite_section()); bridge_commit() applies a plan at commit
 * (DTLS associations and SRTP contexts kept when nothing they depend on
 * changed: re-INVITEs and ICE restarts keep their keys). A side's
 * struct side_crypto exists only while its plan is not NONE: the last step
 * of the prepare, bridge_reserve(), allocates one for each side whose plan
 * needs one it lacks (spare[stream][side], ANCHOR_MAX_STREAMS of them),
 * bridge_commit() takes it, and bridge_spares_free() frees what is left
 * (all of it when the request fails: the undo has nothing to take back).
 */
int bridge_open(struct anchor *an, char *err, size_t errlen);
void bridge_close(struct anchor *an);
/* A shard's part: its re-protect buffer and DTLS retransmission timer. */
int bridge_shard_open(struct anchor_shard *sh);
void bridge_shard_close(struct anchor_shard *sh);
int bridge_plan_offer(struct anchor *an, const struct call *c, const struct sdp *s, int src,
		      const struct ng_request *req, struct crypto_nego (*plans)[2], char *reason,
		      size_t reasonlen);
int bridge_plan_answer(struct anchor *an, const struct call *c, const struct sdp *s, int src,
		       const struct ng_request *req, struct crypto_nego (*plans)[2], char *reason,
		       size_t reasonlen);
/* Section i of s, going to the party whose side plan describes; bridged:
 * either side of the stream is terminated (the other's lines go). */
int bridge_rewrite_section(struct anchor *an, struct sdp *s, size_t i, const struct sdp_media *m,
			   const struct crypto_nego *plan, bool bridged);
bool bridge_nego_bridged(const struct crypto_nego *a, const struct crypto_nego *b);
int bridge_reserve(const struct call *c, const struct crypto_nego (*plans)[2],
		   struct side_crypto *(*spare)[2]);
void bridge_spares_free(struct side_crypto *(*spare)[2]);
void bridge_commit(struct anchor *an, struct stream *st, int side, const struct crypto_nego *plan,
		   struct side_crypto **spare);
/* The side closes: close_notify to a connected party, everything freed. */
void bridge_side_free(struct anchor *an, struct stream_side *ss);
/* The side's destination moved (media_side_refresh()): an active DTLS side starts. */
void bridge_side_kick(struct anchor *an, struct stream *st, int side);
/*
 * A datagram from side's party that passed the source checks: DTLS is
 * consumed by a terminated side's association; RTP/RTCP is unprotected
 * from a terminated side and protected for a terminated other side. true:
 * forward *out (*outlen bytes); false: dropped (counted) or consumed.
 */
bool bridge_packet(struct anchor *an, struct stream *st, int side, int comp, enum demux_kind kind,
		   const uint8_t *buf, size_t len, const uint8_t **out, size_t *outlen);
/*
 * bridge_keys.c: an SDES side's SRTP contexts are made off the lock.
 * bridge_commit() asks for them (bridge_keys_request(), under the lock);
 * the thread that ran the commit calls bridge_keys_settle() once it has
 * released the lock, before it replies: the contexts are made there and
 * swapped in under the lock if the side still wants them.
 * bridge_keys_drop() frees what was never settled (shutdown).
 */
struct mcrypto *bridge_key_context(const struct srtp_suite *suite, const uint8_t *key,
				   const struct sdes_crypto *params, enum mcrypto_dir dir);
void bridge_keys_request(struct anchor *an, struct stream *st, int side,
			 const struct crypto_nego *plan);
void bridge_keys_settle(struct anchor *an);
void bridge_keys_drop(struct anchor *an);
/* Is either side of st terminated (never offloaded to the kernel)? */
bool bridge_stream_active(const struct stream *st);
/* "bridged", "passthrough" or "plain", for query. */
const char *bridge_side_mode(const struct stream *st, int side);

/* ng_query.c */
void ng_query_call(struct anchor *an, const struct call *c, struct bdoc *d, struct bval *reply);
/* Where component comp of side ss's party actually sends from, and how that is known. */
enum ng_endpoint {
	NG_ENDPOINT_NONE,    /* not known yet */
	NG_ENDPOINT_ICE,     /* the nominated pair's remote */
	NG_ENDPOINT_LATCHED, /* the source latched onto (latch.c) */
	NG_ENDPOINT_SDP,     /* only what the SDP says */
};
enum ng_endpoint ng_side_endpoint(const struct stream_side *ss, int comp, union sockaddr_u *out);
void ng_list(struct anchor *an, const struct ng_request *req, struct bdoc *d, struct bval *reply);
void ng_statistics(struct anchor *an, struct bdoc *d, struct bval *reply);

#endif /* ANCHOR_ANCHOR_INTERNAL_H */
