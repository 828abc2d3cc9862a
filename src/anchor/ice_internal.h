/*
 * ice_internal.h - the ICE agent's state, shared by ice.c (credentials,
 * candidates, the STUN responder, queries) and ice_check.c (the checklist:
 * pacing, checks, retransmissions, responses, nomination, consent).
 * Not for other modules: they use ice.h.
 */
#ifndef ANCHOR_ICE_INTERNAL_H
#define ANCHOR_ICE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "anchor/ice.h"
#include "stun/stun.h"

#define ICE_TXBUF_LEN 1024		     /* USERNAME is at most 256 + 1 + 16 bytes */
#define ICE_CONSENT_TXNS 4		     /* consent checks still matched, per component */
#define ICE_CANCELLED_WAIT_MS ICE_RTO_MAX_MS /* a cancelled check still awaits its response */
#define ICE_TYPE_PREF_HOST 126		     /* RFC 8445 §5.1.2.2 */
#define ICE_TYPE_PREF_PRFLX 110
#define ICE_TYPE_PREF_SRFLX 100
#define ICE_TYPE_PREF_RELAY 0

/* RFC 8445 §6.1.2.6 */
enum ice_pair_state {
	ICE_PAIR_FROZEN,
	ICE_PAIR_WAITING,
	ICE_PAIR_IN_PROGRESS,
	ICE_PAIR_SUCCEEDED,
	ICE_PAIR_FAILED,
};

/* One connectivity check (a STUN transaction) of ours. */
struct ice_txn {
	uint8_t tid[STUN_TID_LEN];
	bool active;	  /* awaiting a response */
	bool cancelled;	  /* no retransmission, no failure on timeout (RFC 8445 §7.3.1.4) */
	bool use_cand;	  /* carries USE-CANDIDATE */
	bool controlling; /* carries ICE-CONTROLLING (else ICE-CONTROLLED) */
	uint8_t ntx;	  /* transmissions so far */
	uint32_t rto_ms;  /* wait after the next transmission */
	uint64_t next_ms; /* next retransmission, or the timeout */
};

/* A remote candidate and the pair it forms with the component's local candidate. */
struct ice_remote {
	struct sockaddr_storage addr;
	uint32_t priority;
	enum ice_cand_type type;
	int component;
	char foundation[ICE_FOUNDATION_MAX + 1];

	enum ice_pair_state state;
	bool nominated;
	bool nominate_on_success; /* controlled: USE-CANDIDATE came before our check succeeded */
	bool nominating;	  /* controlling: its next check carries USE-CANDIDATE */
	bool triggered;		  /* in the triggered-check queue */
	uint64_t succeeded_ms;
	uint64_t consent_ms;	/* last consent (RFC 7675) */
	struct ice_txn txn;	/* the current check */
	struct ice_txn old_txn; /* a check cancelled by a triggered one */
};

struct ice_consent_txn {
	uint8_t tid[STUN_TID_LEN];
	bool active;
	int remote; /* index in remote[] */
};

struct ice_component {
	struct sockaddr_storage local_addr;
	bool local_set;
	uint32_t local_priority;
	bool valid_seen; /* a pair succeeded, at first_valid_ms */
	uint64_t first_valid_ms;
	bool consent_scheduled; /* a consent check is due at consent_next_ms */
	uint64_t consent_next_ms;
	struct ice_consent_txn consent[ICE_CONSENT_TXNS];
	int consent_slot;
};

struct ice_agent {
	bool lite;
	bool controlling;
	uint64_t tiebreaker;
	int ncomponents;
	struct ice_shared own; /* when no shared one was given */
	struct ice_shared *sh; /* Ta pacing and the pair limit */
	uint32_t consent_timeout_ms;

	char local_ufrag[ICE_UFRAG_LEN + 1], local_pwd[ICE_PWD_LEN + 1];
	size_t local_ufrag_len, local_pwd_len;
	char remote_ufrag[ICE_REMOTE_CRED_MAX + 1], remote_pwd[ICE_REMOTE_CRED_MAX + 1];
	size_t remote_ufrag_len, remote_pwd_len;
	bool remote_set;

	struct ice_component comp[ICE_MAX_COMPONENTS];
	struct ice_remote remote[ICE_MAX_REMOTE];
	int nremote;
	uint8_t trig[ICE_MAX_REMOTE]; /* triggered-check FIFO of remote[] indexes */
	int ntrig;
	uint32_t prflx_seq;

	bool started; /* a check went out or a request came in */
	uint64_t err_tokens;	/* error-response budget, thousandths of a response */
	uint64_t err_last_ms;

	struct ice_counters c;
	uint8_t txbuf[ICE_TXBUF_LEN];
};

/* ice.c */
int ice_rand(void *buf, size_t len);
uint32_t ice_local_priority(const struct ice_agent *a, int component);
uint64_t ice_pair_priority(const struct ice_agent *a, const struct ice_remote *r);
bool ice_pair_usable(const struct ice_agent *a, const struct ice_remote *r);
int ice_selected(const struct ice_agent *a, int component);

/* ice_check.c */
/* A request from remote[idx] (after the responder answered it): RFC 8445 §7.3.1.4, §7.3.1.5. */
void ice_check_on_request(struct ice_agent *a, int idx, bool use_cand, uint64_t now_ms,
			  const struct ice_io *io);
enum ice_rx ice_check_on_response(struct ice_agent *a, int component, const struct sockaddr *from,
				  const struct stun_msg *m, uint64_t now_ms);
/* ICE restart: peer-reflexive candidates removed, every pair back to Frozen. */
void ice_check_reset(struct ice_agent *a);
/* Sets the role; drops the nomination work of the other role. */
void ice_check_set_role(struct ice_agent *a, bool controlling);

#endif
