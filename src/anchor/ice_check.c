/*
 * ice_check.c - a full agent's checklist (RFC 8445 §6.1.4, §7.2, §7.3.1.4,
 * §8.1): Ta pacing, the triggered-check queue, frozen foundations,
 * retransmissions, response validation, role-conflict recovery, regular
 * nomination; and consent freshness (RFC 7675). A lite agent only records
 * what the requests it answered validate and nominate.
 */
#include <string.h>

#include "anchor/ice.h"
#include "anchor/ice_internal.h"
#include "common/addr.h"
#include "stun/stun.h"

static bool tid_equal(const uint8_t *x, const uint8_t *y)
{
	return memcmp(x, y, STUN_TID_LEN) == 0;
}

static void trig_remove(struct ice_agent *a, int idx)
{
	int j = 0;

	if (!a->remote[idx].triggered)
		return;
	for (int i = 0; i < a->ntrig; i++)
		if (a->trig[i] != idx)
			a->trig[j++] = a->trig[i];
	a->ntrig = j;
	a->remote[idx].triggered = false;
}

static void trig_push(struct ice_agent *a, int idx)
{
	if (a->remote[idx].triggered)
		return;
	a->trig[a->ntrig++] = (uint8_t)idx;
	a->remote[idx].triggered = true;
}

/* Cancellation (RFC 8445 §7.3.1.4): no more retransmissions nor failure; a response still counts.
 */
static void txn_cancel(struct ice_remote *r, uint64_t now_ms)
{
	if (!r->txn.active)
		return;
	r->old_txn = r->txn;
	r->old_txn.cancelled = true;
	r->old_txn.next_ms = now_ms + ICE_CANCELLED_WAIT_MS;
	r->txn.active = false;
}

static void pair_fail(struct ice_agent *a, int idx)
{
	struct ice_remote *r = &a->remote[idx];

	r->state = ICE_PAIR_FAILED;
	r->nominating = false;
	r->nominate_on_success = false;
	trig_remove(a, idx);
}

/* RFC 8445 §8.1.2: a nominated pair takes its component's other pairs off the checklist. */
static void pair_nominate(struct ice_agent *a, int idx, uint64_t now_ms)
{
	struct ice_remote *r = &a->remote[idx];

	r->nominated = true;
	r->nominating = false;
	r->nominate_on_success = false;
	trig_remove(a, idx);
	for (int j = 0; j < a->nremote; j++) {
		struct ice_remote *o = &a->remote[j];

		if (j == idx || o->component != r->component)
			continue;
		trig_remove(a, j);
		o->nominating = false;
		txn_cancel(o, now_ms);
	}
}

static void pair_succeed(struct ice_agent *a, int idx, bool use_cand, uint64_t now_ms)
{
	struct ice_remote *r = &a->remote[idx];
	struct ice_component *c = &a->comp[r->component - 1];

	if (r->state != ICE_PAIR_SUCCEEDED) {
		r->state = ICE_PAIR_SUCCEEDED;
		r->succeeded_ms = now_ms;
		if (!c->valid_seen) {
			c->valid_seen = true;
			c->first_valid_ms = now_ms;
		}
		/* RFC 8445 §7.2.5.3.3: unfreeze the pairs of the same foundation */
		for (int j = 0; j < a->nremote; j++)
			if (a->remote[j].state == ICE_PAIR_FROZEN &&
			    strcmp(a->remote[j].foundation, r->foundation) == 0)
				a->remote[j].state = ICE_PAIR_WAITING;
	}
	r->consent_ms = now_ms;
	if (!r->nominating)
		trig_remove(a, idx);
	/* §7.2.5.3.4 (controlling), §7.3.1.5 (controlled) */
	if ((use_cand && a->controlling) || (!a->controlling && r->nominate_on_success))
		pair_nominate(a, idx, now_ms);
}

void ice_check_set_role(struct ice_agent *a, bool controlling)
{
	if (a->controlling == controlling)
		return;
	a->controlling = controlling;
	for (int i = 0; i < a->nremote; i++) {
		struct ice_remote *r = &a->remote[i];

		if (controlling) {
			r->nominate_on_success = false;
		} else if (r->nominating) {
			r->nominating = false;
			if (r->state == ICE_PAIR_SUCCEEDED)
				trig_remove(a, i);
		}
	}
}

void ice_check_reset(struct ice_agent *a)
{
	int n = 0;

	for (int i = 0; i < a->nremote; i++) {
		struct ice_remote *r = &a->remote[i];

		if (r->type == ICE_CAND_PRFLX)
			continue;
		if (n != i)
			a->remote[n] = *r;
		r = &a->remote[n++];
		r->state = ICE_PAIR_FROZEN;
		r->nominated = r->nominate_on_success = r->nominating = r->triggered = false;
		r->succeeded_ms = r->consent_ms = 0;
		memset(&r->txn, 0, sizeof(r->txn));
		memset(&r->old_txn, 0, sizeof(r->old_txn));
	}
	a->sh->pairs -= (unsigned int)(a->nremote - n);
	a->nremote = n;
	a->ntrig = 0;
	for (int c = 0; c < ICE_MAX_COMPONENTS; c++) {
		struct ice_component *comp = &a->comp[c];

		comp->valid_seen = comp->consent_scheduled = false;
		comp->first_valid_ms = comp->consent_next_ms = 0;
		memset(comp->consent, 0, sizeof(comp->consent));
	}
	a->started = false; /* the shared pacing slot stays: a restart is paced too */
}

/* Builds one check into a->txbuf (RFC 8445 §7.2.2); returns its length or 0. */
static size_t build_check(struct ice_agent *a, const struct ice_remote *r, const uint8_t *tid,
			  bool use_cand, bool controlling)
{
	char user[ICE_REMOTE_CRED_MAX + 1 + ICE_UFRAG_LEN + 1];
	uint32_t local = ice_local_priority(a, r->component);
	uint8_t tb[8];
	struct stun_builder b;

	memcpy(user, a->remote_ufrag, a->remote_ufrag_len);
	user[a->remote_ufrag_len] = ':';
	memcpy(user + a->remote_ufrag_len + 1, a->local_ufrag, a->local_ufrag_len);
	for (int i = 0; i < 8; i++)
		tb[i] = (uint8_t)(a->tiebreaker >> (56 - 8 * i));

	stun_build_start(&b, a->txbuf, sizeof(a->txbuf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put(&b, STUN_ATTR_USERNAME, user, a->remote_ufrag_len + 1 + a->local_ufrag_len);
	/* our candidate's priority as a peer-reflexive one (§7.1.1) */
	stun_put_u32(&b, STUN_ATTR_PRIORITY,
		     ((uint32_t)ICE_TYPE_PREF_PRFLX << 24) | (local & 0xFFFFFF));
	stun_put(&b, controlling ? STUN_ATTR_ICE_CONTROLLING : STUN_ATTR_ICE_CONTROLLED, tb, 8);
	if (use_cand)
		stun_put(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_put_integrity(&b, (const uint8_t *)a->remote_pwd, a->remote_pwd_len);
	stun_put_fingerprint(&b);
	return stun_build_end(&b);
}

static void transmit(struct ice_agent *a, struct ice_remote *r, struct ice_txn *t, uint64_t now_ms,
		     const struct ice_io *io)
{
	size_t n = build_check(a, r, t->tid, t->use_cand, t->controlling);

	if (n) {
		io->send(io->ctx, r->component, (const struct sockaddr *)&r->addr, a->txbuf, n);
		a->c.checks_out++;
	}
	t->ntx++;
	t->next_ms = now_ms + t->rto_ms;
	t->rto_ms = t->rto_ms * 2 > ICE_RTO_MAX_MS ? ICE_RTO_MAX_MS : t->rto_ms * 2;
}

/* RFC 8445 §14.3: RTO = MAX(500 ms, Ta * (Waiting + In-Progress pairs)), capped here. */
static uint32_t initial_rto(const struct ice_agent *a)
{
	uint64_t n = 0, rto;

	for (int i = 0; i < a->nremote; i++)
		if (a->remote[i].state == ICE_PAIR_WAITING ||
		    a->remote[i].state == ICE_PAIR_IN_PROGRESS)
			n++;
	rto = n * a->sh->ta_ms;
	if (rto < ICE_RTO_INITIAL_MS)
		rto = ICE_RTO_INITIAL_MS;
	return rto > ICE_RTO_MAX_MS ? ICE_RTO_MAX_MS : (uint32_t)rto;
}

static void send_check(struct ice_agent *a, int idx, uint64_t now_ms, const struct ice_io *io)
{
	struct ice_remote *r = &a->remote[idx];
	struct ice_txn t;

	memset(&t, 0, sizeof(t));
	if (ice_rand(t.tid, sizeof(t.tid)))
		return;
	trig_remove(a, idx);
	txn_cancel(r, now_ms);
	t.active = true;
	t.use_cand = a->controlling && r->nominating;
	t.controlling = a->controlling;
	t.rto_ms = initial_rto(a);
	r->txn = t;
	if (r->state != ICE_PAIR_SUCCEEDED)
		r->state = ICE_PAIR_IN_PROGRESS;
	a->started = true;
	transmit(a, r, &r->txn, now_ms, io);
}

/* Can remote[i] take part in ordinary checks? */
static bool checkable(const struct ice_agent *a, int i)
{
	const struct ice_remote *r = &a->remote[i];

	return ice_pair_usable(a, r) && !ice_component_nominated(a, r->component);
}

static int best_waiting(const struct ice_agent *a)
{
	int best = -1;
	uint64_t best_prio = 0;

	for (int i = 0; i < a->nremote; i++) {
		uint64_t prio;

		if (a->remote[i].state != ICE_PAIR_WAITING || !checkable(a, i))
			continue;
		prio = ice_pair_priority(a, &a->remote[i]);
		if (best < 0 || prio > best_prio) {
			best = i;
			best_prio = prio;
		}
	}
	return best;
}

static bool foundation_busy(const struct ice_agent *a, const char *foundation)
{
	for (int i = 0; i < a->nremote; i++) {
		const struct ice_remote *r = &a->remote[i];

		if ((r->state == ICE_PAIR_WAITING || r->state == ICE_PAIR_IN_PROGRESS) &&
		    strcmp(r->foundation, foundation) == 0)
			return true;
	}
	return false;
}

/*
 * RFC 8445 §6.1.4.2 (and §6.1.2.6 at the start): a Frozen pair whose
 * foundation has no Waiting or In-Progress pair becomes Waiting, taken in
 * order of component, then priority. Returns the first it would unfreeze
 * (dry) or unfroze, or -1.
 */
static int unfreeze(struct ice_agent *a, bool dry)
{
	int first = -1;

	for (;;) {
		int best = -1;
		uint64_t best_prio = 0;

		for (int i = 0; i < a->nremote; i++) {
			const struct ice_remote *r = &a->remote[i];
			uint64_t prio;

			if (r->state != ICE_PAIR_FROZEN || !checkable(a, i) ||
			    foundation_busy(a, r->foundation))
				continue;
			prio = ice_pair_priority(a, r);
			if (best < 0 || r->component < a->remote[best].component ||
			    (r->component == a->remote[best].component && prio > best_prio)) {
				best = i;
				best_prio = prio;
			}
		}
		if (best < 0 || dry)
			return first < 0 ? best : first;
		if (first < 0)
			first = best;
		a->remote[best].state = ICE_PAIR_WAITING;
	}
}

/* The pair the next pacing slot checks: triggered first, then the best Waiting one. */
static int next_check(struct ice_agent *a, bool dry)
{
	int i;

	if (a->lite || !a->remote_set)
		return -1;
	if (a->ntrig)
		return a->trig[0];
	i = best_waiting(a);
	if (i >= 0 || dry)
		return i >= 0 ? i : unfreeze(a, true);
	unfreeze(a, false);
	return best_waiting(a);
}

/*
 * Takes one new check from the shared budget: at most checks_burst at
 * once, then checks_per_s (a generic cell rate: each check moves the
 * virtual time checks_tat_ms on by its cost). When empty, the pacing slot
 * moves to when one is back.
 */
static bool budget_take(struct ice_shared *sh, uint64_t now_ms)
{
	uint64_t cost, tat;

	if (!sh->checks_burst || !sh->checks_per_s)
		return true;
	cost = 1000 / sh->checks_per_s ? 1000 / sh->checks_per_s : 1;
	tat = sh->checks_tat_ms > now_ms ? sh->checks_tat_ms : now_ms;
	if (tat + cost > now_ms + cost * sh->checks_burst) {
		sh->next_check_ms = tat + cost - cost * sh->checks_burst;
		return false;
	}
	sh->checks_tat_ms = tat + cost;
	return true;
}

/*
 * One check when the Ta pacing slot, shared by the call's agents, is free
 * and the budget has one (RFC 8445 §6.1.4.2, §14.2).
 */
static void run_slot(struct ice_agent *a, uint64_t now_ms, const struct ice_io *io)
{
	int i;

	if (now_ms < a->sh->next_check_ms)
		return;
	i = next_check(a, false);
	if (i < 0 || !budget_take(a->sh, now_ms))
		return;
	send_check(a, i, now_ms, io);
	a->sh->next_check_ms = now_ms + a->sh->ta_ms;
}

void ice_check_on_request(struct ice_agent *a, int idx, bool use_cand, uint64_t now_ms,
			  const struct ice_io *io)
{
	struct ice_remote *r = &a->remote[idx];

	a->started = true;
	if (a->lite) {
		/* the answered request validates the pair; USE-CANDIDATE nominates it (§8.2) */
		if (r->state != ICE_PAIR_SUCCEEDED) {
			r->state = ICE_PAIR_SUCCEEDED;
			r->succeeded_ms = now_ms;
		}
		r->consent_ms = now_ms;
		if (use_cand)
			r->nominated = true;
		return;
	}
	if (!ice_pair_usable(a, r))
		return;
	/* RFC 8445 §7.3.1.4, §7.3.1.5 */
	if (r->state == ICE_PAIR_SUCCEEDED) {
		if (use_cand && !r->nominated)
			pair_nominate(a, idx, now_ms);
		return;
	}
	if (use_cand)
		r->nominate_on_success = true;
	txn_cancel(r, now_ms);
	r->state = ICE_PAIR_WAITING;
	trig_push(a, idx);
	run_slot(a, now_ms, io);
}

static int find_txn(struct ice_agent *a, const uint8_t *tid, struct ice_txn **t,
		    struct ice_consent_txn **ct)
{
	*t = NULL;
	*ct = NULL;
	for (int i = 0; i < a->nremote; i++) {
		struct ice_remote *r = &a->remote[i];

		if (r->txn.active && tid_equal(r->txn.tid, tid)) {
			*t = &r->txn;
			return i;
		}
		if (r->old_txn.active && tid_equal(r->old_txn.tid, tid)) {
			*t = &r->old_txn;
			return i;
		}
	}
	for (int c = 0; c < a->ncomponents; c++)
		for (int s = 0; s < ICE_CONSENT_TXNS; s++) {
			struct ice_consent_txn *x = &a->comp[c].consent[s];

			if (x->active && tid_equal(x->tid, tid)) {
				*ct = x;
				return x->remote;
			}
		}
	return -1;
}

enum ice_rx ice_check_on_response(struct ice_agent *a, int component, const struct sockaddr *from,
				  const struct stun_msg *m, uint64_t now_ms)
{
	struct ice_consent_txn *ct;
	struct ice_remote *r;
	struct ice_txn *t;
	int idx = find_txn(a, m->tid, &t, &ct);

	if (idx < 0) {
		a->c.unknown_responses++;
		return ICE_RX_DROPPED;
	}
	/* RFC 8489 §9.1.4: over UDP an unauthenticated response is as if never received */
	if (m->mi_idx < 0 ||
	    stun_msg_check_integrity(m, (const uint8_t *)a->remote_pwd, a->remote_pwd_len)) {
		a->c.dropped_bad_integrity++;
		return ICE_RX_DROPPED;
	}
	if (m->method != STUN_BINDING) {
		a->c.dropped_malformed++;
		return ICE_RX_DROPPED;
	}
	a->c.responses_in++;
	r = &a->remote[idx];
	if (ct) {
		ct->active = false;
		if (m->cls == STUN_SUCCESS && component == r->component &&
		    addr_equal(from, (const struct sockaddr *)&r->addr))
			r->consent_ms = now_ms;
		return ICE_RX_RESPONSE;
	}
	t->active = false;
	/* §7.2.5.2.1: the response must come back on the path the request took */
	if (component != r->component || !addr_equal(from, (const struct sockaddr *)&r->addr)) {
		pair_fail(a, idx);
		return ICE_RX_RESPONSE;
	}
	if (m->cls == STUN_ERROR) {
		const struct stun_attr *e = stun_msg_find(m, STUN_ATTR_ERROR_CODE);
		const char *reason;
		size_t reason_len;
		int code = 0;

		if (e && stun_attr_error(e, &code, &reason, &reason_len))
			code = 0;
		if (code != STUN_ERR_ROLE_CONFLICT) {
			pair_fail(a, idx);
			return ICE_RX_RESPONSE;
		}
		/* §7.2.5.1: take the role opposite to the one the request claimed, then retry */
		a->c.role_conflicts++;
		ice_check_set_role(a, !t->controlling);
		if (r->state != ICE_PAIR_SUCCEEDED)
			r->state = ICE_PAIR_WAITING;
		if (r->state != ICE_PAIR_SUCCEEDED || r->nominating)
			trig_push(a, idx);
		return ICE_RX_RESPONSE;
	}
	pair_succeed(a, idx, t->use_cand, now_ms);
	return ICE_RX_RESPONSE;
}

static void txn_timer(struct ice_agent *a, int idx, struct ice_txn *t, uint64_t now_ms,
		      const struct ice_io *io)
{
	struct ice_remote *r = &a->remote[idx];

	if (!t->active || t->next_ms > now_ms)
		return;
	if (t->cancelled) {
		t->active = false;
		/* a pair taken off the checklist by a nomination */
		if (r->state == ICE_PAIR_IN_PROGRESS && !r->txn.active)
			r->state = ICE_PAIR_FROZEN;
		return;
	}
	if (t->ntx < ICE_CHECK_MAX_TX) {
		transmit(a, r, t, now_ms, io);
		return;
	}
	t->active = false;
	if (r->state == ICE_PAIR_IN_PROGRESS || t->use_cand)
		pair_fail(a, idx);
}

static bool higher_pending(const struct ice_agent *a, int component, uint64_t prio)
{
	for (int i = 0; i < a->nremote; i++) {
		const struct ice_remote *r = &a->remote[i];

		if (r->component == component && ice_pair_usable(a, r) &&
		    (r->state == ICE_PAIR_FROZEN || r->state == ICE_PAIR_WAITING ||
		     r->state == ICE_PAIR_IN_PROGRESS) &&
		    ice_pair_priority(a, r) > prio)
			return true;
	}
	return false;
}

/*
 * Controlling (RFC 8445 §8.1.1): per component, nominate the best valid
 * pair once no better pair is still pending, or ICE_NOMINATION_WAIT_MS
 * after the first pair succeeded. Returns when to look again.
 */
static uint64_t nominate_step(struct ice_agent *a, uint64_t now_ms)
{
	uint64_t next = UINT64_MAX;

	if (!a->controlling)
		return next;
	for (int c = 1; c <= a->ncomponents; c++) {
		const struct ice_component *comp = &a->comp[c - 1];
		uint64_t best_prio = 0, deadline;
		int best = -1;
		bool busy = false;

		if (!comp->valid_seen || ice_component_nominated(a, c))
			continue;
		for (int i = 0; i < a->nremote; i++) {
			const struct ice_remote *r = &a->remote[i];

			if (r->component != c)
				continue;
			busy |= r->nominating;
			if (r->state == ICE_PAIR_SUCCEEDED &&
			    (best < 0 || ice_pair_priority(a, r) > best_prio)) {
				best = i;
				best_prio = ice_pair_priority(a, r);
			}
		}
		if (busy || best < 0)
			continue;
		deadline = comp->first_valid_ms + ICE_NOMINATION_WAIT_MS;
		if (now_ms >= deadline || !higher_pending(a, c, best_prio)) {
			a->remote[best].nominating = true;
			trig_push(a, best);
		} else if (deadline < next) {
			next = deadline;
		}
	}
	return next;
}

/* RFC 7675 §5.1: 0.8 to 1.2 times the interval. */
static uint64_t consent_interval(void)
{
	uint32_t r = 0;

	(void)ice_rand(&r, sizeof(r));
	return ICE_CONSENT_INTERVAL_MS * 4 / 5 + r % (ICE_CONSENT_INTERVAL_MS * 2 / 5 + 1);
}

/*
 * RFC 7675: a consent check on each selected pair every ~5 s, sent once
 * (no retransmission, a new transaction id each time). Returns when next.
 */
static uint64_t consent_step(struct ice_agent *a, uint64_t now_ms, const struct ice_io *io)
{
	uint64_t next = UINT64_MAX;

	for (int c = 1; c <= a->ncomponents; c++) {
		struct ice_component *comp = &a->comp[c - 1];
		int sel = ice_selected(a, c);

		if (sel < 0 || !a->remote_set) {
			comp->consent_scheduled = false;
			continue;
		}
		if (!comp->consent_scheduled) {
			comp->consent_scheduled = true;
			comp->consent_next_ms = now_ms + consent_interval();
		} else if (now_ms >= comp->consent_next_ms) {
			struct ice_consent_txn *x = &comp->consent[comp->consent_slot];
			size_t n;

			comp->consent_slot = (comp->consent_slot + 1) % ICE_CONSENT_TXNS;
			comp->consent_next_ms = now_ms + consent_interval();
			if (ice_rand(x->tid, sizeof(x->tid)) == 0) {
				x->active = true;
				x->remote = sel;
				n = build_check(a, &a->remote[sel], x->tid, false, a->controlling);
				if (n) {
					io->send(io->ctx, c,
						 (const struct sockaddr *)&a->remote[sel].addr,
						 a->txbuf, n);
					a->c.checks_out++;
				}
			}
		}
		if (comp->consent_next_ms < next)
			next = comp->consent_next_ms;
	}
	return next;
}

static uint64_t min_u64(uint64_t x, uint64_t y)
{
	return x < y ? x : y;
}

uint64_t ice_tick(struct ice_agent *a, uint64_t now_ms, const struct ice_io *io)
{
	uint64_t next;

	if (a->lite)
		return UINT64_MAX;
	for (int i = 0; i < a->nremote; i++) {
		txn_timer(a, i, &a->remote[i].old_txn, now_ms, io);
		txn_timer(a, i, &a->remote[i].txn, now_ms, io);
	}
	next = nominate_step(a, now_ms);
	run_slot(a, now_ms, io);
	next = min_u64(next, consent_step(a, now_ms, io));

	for (int i = 0; i < a->nremote; i++) {
		const struct ice_remote *r = &a->remote[i];

		if (r->txn.active)
			next = min_u64(next, r->txn.next_ms);
		if (r->old_txn.active)
			next = min_u64(next, r->old_txn.next_ms);
	}
	if (next_check(a, true) >= 0)
		next = min_u64(next, a->sh->next_check_ms > now_ms ? a->sh->next_check_ms
								   : now_ms + a->sh->ta_ms);
	return next;
}
