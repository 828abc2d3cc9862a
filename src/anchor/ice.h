/*
 * ice.h - the media anchor's ICE agent (RFC 8445, RFC 8489 short-term
 * credentials, RFC 7675 consent freshness, RFC 8838 trickle), one per leg.
 *
 * The agent is pure: no sockets, no clock, no globals. The caller passes
 * the time (now_ms, any monotonic millisecond clock) and a send callback,
 * feeds it the STUN datagrams received on the leg's media sockets (one per
 * component: RTP = 1, RTCP = 2, or only 1 under rtcp-mux) and calls
 * ice_tick() at the time it returned last. Randomness (credentials,
 * tie-breaker, transaction ids, consent intervals) comes from OpenSSL's
 * RAND_bytes.
 *
 * Each component has one local candidate: the anchor's socket. Pairs are
 * that candidate with each remote candidate of the same component and
 * address family, so a pair is named by its remote candidate.
 *
 * Roles: a lite agent (a=ice-lite) is always controlled and only answers.
 * A full agent runs the checklist (Ta pacing, triggered checks, frozen
 * foundations), nominates with USE-CANDIDATE when controlling (regular
 * nomination), follows the peer's nomination when controlled, and sends
 * consent checks on its selected pairs.
 *
 * The caller's loop: after ice_handle_stun(), ice_add_remote_candidate(),
 * ice_set_remote_credentials() or ice_set_local() call ice_tick() (cheap,
 * and it may have checks to send at once) and re-arm its timer with the
 * time it returns.
 */
#ifndef ANCHOR_ICE_H
#define ANCHOR_ICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define ICE_UFRAG_LEN 16 /* we generate 16 ice-chars (RFC 8839 minimum 4) */
#define ICE_PWD_LEN 24	 /* RFC 8839: at least 22 */
#define ICE_MAX_COMPONENTS 2
#define ICE_MAX_REMOTE 32	/* remote candidates per agent, incl. peer-reflexive */
#define ICE_REMOTE_CRED_MAX 256 /* RFC 8839: ice-ufrag and ice-pwd are at most 256 chars */
#define ICE_FOUNDATION_MAX 32	/* RFC 8839: 1*32 ice-char */

/* Timers (RFC 8445 §14, RFC 7675 §5.1). */
#define ICE_TA_DEFAULT_MS 50
#define ICE_RTO_INITIAL_MS 500 /* RFC 8445 §14.3 minimum */
#define ICE_RTO_MAX_MS 1600    /* each interval doubles up to this cap */
#define ICE_CHECK_MAX_TX 7     /* transmissions of one check (RFC 8489 Rc) */
/*
 * A check sent at 0 is retransmitted at 500, 1500, 3100, 4700, 6300 and
 * 7900 ms and fails at 9500 ms: RFC 8489's 39.5 s is too long for a call.
 */
#define ICE_NOMINATION_WAIT_MS 1000  /* controlling: best valid pair after this */
#define ICE_CONSENT_INTERVAL_MS 5000 /* randomized by 0.8-1.2 (RFC 7675) */
#define ICE_CONSENT_TIMEOUT_DEFAULT_MS 30000
#define ICE_ERR_RATE_PER_S 10 /* error responses per second per agent */

enum ice_cand_type { ICE_CAND_HOST, ICE_CAND_SRFLX, ICE_CAND_PRFLX, ICE_CAND_RELAY };
enum ice_state {
	ICE_STATE_NEW,
	ICE_STATE_CHECKING,
	ICE_STATE_CONNECTED, /* every component has a succeeded pair */
	ICE_STATE_COMPLETED, /* every component has a nominated pair */
	ICE_STATE_FAILED,    /* a component's pairs all failed (full agents) */
};

/*
 * What the agents of one call share, so that a call of sixteen streams
 * checks no faster and no more than a call of one: one Ta pacing of new
 * checks over all of them (RFC 8445 §14.2: Ta is per agent, and the
 * anchor's agents of one call are one agent toward the call), the
 * checklist limit over all their pairs (§6.1.2.5), and a budget of new
 * checks (a burst, then a rate) so that ICE restarts cannot check the same
 * candidates again and again. The caller zeroes it, sets the limits, and
 * keeps it until its last agent is freed.
 */
struct ice_shared {
	uint32_t ta_ms;		   /* one new check per Ta over the agents; 50 when 0 */
	unsigned int pairs_max;	   /* pairs (remote candidates) over the agents; 0: no limit */
	unsigned int pairs;	   /* held now */
	uint64_t next_check_ms;	   /* the next free pacing slot */
	unsigned int checks_burst; /* new checks (not retransmissions) at once; 0: no budget */
	unsigned int checks_per_s; /* ... then this many per second (ICE restarts re-check) */
	uint64_t checks_tat_ms;	   /* the budget's state (a virtual scheduling time) */
};

struct ice_params {
	bool controlling;    /* role at start; must be false for a lite agent */
	bool lite;	     /* we are a lite agent: answer only, never send checks */
	uint64_t tiebreaker; /* 0: the agent draws one from RAND_bytes */
	/* from ice_gen_credentials() */
	char local_ufrag[ICE_UFRAG_LEN + 1], local_pwd[ICE_PWD_LEN + 1];
	int ncomponents;	     /* 1 (rtcp-mux) or 2 */
	uint32_t ta_ms;		     /* pacing (RFC 8445 §14.2), default 50 when 0 */
	uint32_t consent_timeout_ms; /* RFC 7675: default 30000 when 0 */
	struct ice_shared *shared;   /* pacing and pair limit with other agents (then
					its ta_ms counts, not the one above); NULL: own */
};

struct ice_io {
	void *ctx;
	/* sends one datagram from component's socket; the result is ignored */
	int (*send)(void *ctx, int component, const struct sockaddr *to, const uint8_t *buf,
		    size_t len);
};

struct ice_counters {
	uint64_t requests_in;		 /* Binding requests with a valid FINGERPRINT */
	uint64_t responses_out;		 /* success responses sent */
	uint64_t error_responses_out;	 /* error responses sent */
	uint64_t checks_out;		 /* check and consent datagrams, retransmissions too */
	uint64_t responses_in;		 /* authenticated responses to our checks */
	uint64_t dropped_no_fingerprint; /* STUN without a valid FINGERPRINT */
	uint64_t dropped_malformed;	 /* unparsable, bad component or address */
	uint64_t dropped_bad_auth_ratelimited; /* error responses not sent: over the rate */
	uint64_t role_conflicts;	       /* 487 sent or received, or role switched */
	uint64_t unknown_responses;	       /* responses matching no transaction of ours */
	uint64_t dropped_bad_integrity; /* responses to ours without valid MESSAGE-INTEGRITY */
};

struct ice_agent;

/* Fresh local credentials of ICE_UFRAG_LEN and ICE_PWD_LEN ice-chars; -1 when RAND_bytes fails. */
int ice_gen_credentials(char ufrag[ICE_UFRAG_LEN + 1], char pwd[ICE_PWD_LEN + 1]);

/*
 * NULL when the parameters are invalid (ncomponents not 1 or 2, lite and
 * controlling, credentials not ice-chars of 4..ICE_UFRAG_LEN and
 * 22..ICE_PWD_LEN chars), or on allocation or RAND_bytes failure.
 */
struct ice_agent *ice_agent_new(const struct ice_params *p);
void ice_agent_free(struct ice_agent *a);

/*
 * Remote credentials (from SDP). Returns 1 when they changed from earlier
 * ones (ICE restart: pairs, peer-reflexive candidates, nomination and
 * consent are reset; SDP candidates stay and are checked again), 0 when set
 * the first time or unchanged, -1 when invalid (empty, longer than 256, a
 * control character or space, or ':' in the ufrag).
 */
int ice_set_remote_credentials(struct ice_agent *a, const char *ufrag, const char *pwd);
/*
 * New local credentials (our side of an ICE restart): same reset as above.
 * 0, or -1 when invalid (see ice_agent_new) with nothing changed.
 */
int ice_set_local_credentials(struct ice_agent *a, const char *ufrag, const char *pwd);

/*
 * Fewer components than at creation (the party accepted rtcp-mux: RTCP
 * shares component 1). The dropped components' pairs fail quietly and no
 * longer count toward the state. 0, or -1 when n is not 1..current.
 */
int ice_set_components(struct ice_agent *a, int n);

/*
 * A remote candidate from SDP or trickle. A duplicate (same component and
 * address) is ignored, except that it gives a peer-reflexive candidate its
 * signalled type, priority and foundation. 0, or -1 when full (the agent,
 * or the shared pair limit: peer-reflexive candidates count too) or invalid
 * (component, address family, port 0, foundation longer than 32;
 * foundation may be NULL). A candidate of another address family than the
 * component's local candidate is kept but never paired.
 */
int ice_add_remote_candidate(struct ice_agent *a, int component, const struct sockaddr *addr,
			     uint32_t priority, enum ice_cand_type type, const char *foundation);
/*
 * Our local candidate for a component: the anchor's socket address and the
 * priority advertised in SDP (ignored for an invalid component or address).
 */
void ice_set_local(struct ice_agent *a, int component, const struct sockaddr *addr,
		   uint32_t priority);

/*
 * One STUN message received on component's socket from 'from' (the caller
 * already decided it is STUN by RFC 7983).
 */
enum ice_rx {
	ICE_RX_REQUEST_OK,    /* success response sent */
	ICE_RX_REQUEST_ERROR, /* error response sent */
	ICE_RX_RESPONSE,      /* a response to one of our checks, processed */
	ICE_RX_INDICATION,    /* e.g. a Binding indication keepalive: nothing to do */
	ICE_RX_DROPPED,	      /* counted in ice_counters */
};
enum ice_rx ice_handle_stun(struct ice_agent *a, int component, const struct sockaddr *from,
			    const uint8_t *buf, size_t len, uint64_t now_ms,
			    const struct ice_io *io);

/*
 * Runs due checks, retransmissions and consent checks; returns when it
 * wants to be called next (absolute ms), UINT64_MAX when never.
 */
uint64_t ice_tick(struct ice_agent *a, uint64_t now_ms, const struct ice_io *io);

/*
 * True when media from 'from' on component comes from the remote address of
 * a succeeded pair (full: our check succeeded; lite: an authenticated
 * request came from it).
 */
bool ice_source_ok(const struct ice_agent *a, int component, const struct sockaddr *from);
/*
 * Where media for component goes: the highest-priority nominated pair, else
 * the earliest succeeded pair (early media); false when none.
 */
bool ice_media_dest(const struct ice_agent *a, int component, struct sockaddr_storage *to);
/* True when component has a nominated pair that succeeded. */
bool ice_component_nominated(const struct ice_agent *a, int component);

enum ice_state ice_get_state(const struct ice_agent *a);
const char *ice_state_name(enum ice_state s);
bool ice_is_controlling(const struct ice_agent *a);

/*
 * RFC 7675: true once a component's selected pair (ice_media_dest) has had
 * no consent for consent_timeout_ms. Consent is the pair's success, then
 * every authenticated response from its remote to our checks (full agents,
 * which send consent checks) or every authenticated request from it (lite
 * agents, which send nothing). False while no pair succeeded.
 */
bool ice_consent_expired(const struct ice_agent *a, uint64_t now_ms);

const struct ice_counters *ice_get_counters(const struct ice_agent *a);
/* Remote candidates held (signalled and peer-reflexive). */
int ice_remote_count(const struct ice_agent *a);

/* RFC 8445 §5.1.2.1: (2^24)*type_pref + (2^8)*local_pref + (256 - component) */
uint32_t ice_priority(enum ice_cand_type type, uint16_t local_pref, int component);

#endif
