/*
 * ice.c - the ICE agent: credentials, candidates, the strict STUN responder
 * (RFC 8445 §7.3, RFC 8489 §6.3 and §9.1) and the state queries. The
 * checklist lives in ice_check.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "anchor/ice.h"
#include "anchor/ice_internal.h"
#include "common/addr.h"
#include "stun/stun.h"

/* RFC 8839 §5.4: ice-char = ALPHA / DIGIT / "+" / "/" */
static const char ice_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

enum ice_sign { ICE_SIGN_NONE, ICE_SIGN_MI, ICE_SIGN_MI256 };

uint32_t ice_priority(enum ice_cand_type type, uint16_t local_pref, int component)
{
	uint32_t type_pref;

	switch (type) {
	case ICE_CAND_HOST:
		type_pref = ICE_TYPE_PREF_HOST;
		break;
	case ICE_CAND_PRFLX:
		type_pref = ICE_TYPE_PREF_PRFLX;
		break;
	case ICE_CAND_SRFLX:
		type_pref = ICE_TYPE_PREF_SRFLX;
		break;
	default:
		type_pref = ICE_TYPE_PREF_RELAY;
		break;
	}
	if (component < 1)
		component = 1;
	if (component > 256)
		component = 256;
	return (type_pref << 24) + ((uint32_t)local_pref << 8) + (uint32_t)(256 - component);
}

int ice_rand(void *buf, size_t len)
{
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}

static int gen_chars(char *out, size_t n)
{
	uint8_t r[ICE_PWD_LEN];

	if (n > sizeof(r) || ice_rand(r, n))
		return -1;
	/* 64 ice-chars: six random bits each, no bias */
	for (size_t i = 0; i < n; i++)
		out[i] = ice_chars[r[i] & 63];
	out[n] = '\0';
	return 0;
}

int ice_gen_credentials(char ufrag[ICE_UFRAG_LEN + 1], char pwd[ICE_PWD_LEN + 1])
{
	char u[ICE_UFRAG_LEN + 1], p[ICE_PWD_LEN + 1];

	if (gen_chars(u, ICE_UFRAG_LEN) || gen_chars(p, ICE_PWD_LEN))
		return -1;
	memcpy(ufrag, u, sizeof(u));
	memcpy(pwd, p, sizeof(p));
	return 0;
}

/* Length of s when it is min..max ice-chars, else 0. */
static size_t ice_chars_len(const char *s, size_t min, size_t max)
{
	size_t n = 0;

	while (n <= max && s[n]) {
		if (!strchr(ice_chars, s[n]))
			return 0;
		n++;
	}
	return n >= min && n <= max ? n : 0;
}

/* Length of a remote ufrag or pwd: 1..256 visible ASCII, no ':' in a ufrag; else 0. */
static size_t remote_cred_len(const char *s, bool ufrag)
{
	size_t n = 0;

	while (n <= ICE_REMOTE_CRED_MAX && s[n]) {
		unsigned char ch = (unsigned char)s[n];

		if (ch <= 0x20 || ch >= 0x7f || (ufrag && ch == ':'))
			return 0;
		n++;
	}
	return n <= ICE_REMOTE_CRED_MAX ? n : 0;
}

struct ice_agent *ice_agent_new(const struct ice_params *p)
{
	struct ice_agent *a;
	size_t ulen, plen;

	if (p->ncomponents < 1 || p->ncomponents > ICE_MAX_COMPONENTS ||
	    (p->lite && p->controlling))
		return NULL;
	ulen = ice_chars_len(p->local_ufrag, 4, ICE_UFRAG_LEN);
	plen = ice_chars_len(p->local_pwd, 22, ICE_PWD_LEN);
	if (!ulen || !plen)
		return NULL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->lite = p->lite;
	a->controlling = p->controlling;
	a->tiebreaker = p->tiebreaker;
	while (!a->tiebreaker) {
		if (ice_rand(&a->tiebreaker, sizeof(a->tiebreaker)))
			goto fail;
	}
	a->ncomponents = p->ncomponents;
	a->own.ta_ms = p->ta_ms;
	a->sh = p->shared ? p->shared : &a->own;
	if (!a->sh->ta_ms)
		a->sh->ta_ms = ICE_TA_DEFAULT_MS;
	a->consent_timeout_ms =
	    p->consent_timeout_ms ? p->consent_timeout_ms : ICE_CONSENT_TIMEOUT_DEFAULT_MS;
	memcpy(a->local_ufrag, p->local_ufrag, ulen + 1);
	memcpy(a->local_pwd, p->local_pwd, plen + 1);
	a->local_ufrag_len = ulen;
	a->local_pwd_len = plen;
	a->err_tokens = ICE_ERR_RATE_PER_S * 1000ull;
	return a;
fail:
	free(a);
	return NULL;
}

void ice_agent_free(struct ice_agent *a)
{
	if (!a)
		return;
	a->sh->pairs -= (unsigned int)a->nremote;
	OPENSSL_cleanse(a, sizeof(*a));
	free(a);
}

int ice_set_remote_credentials(struct ice_agent *a, const char *ufrag, const char *pwd)
{
	size_t ulen = remote_cred_len(ufrag, true), plen = remote_cred_len(pwd, false);
	bool changed;

	if (!ulen || !plen)
		return -1;
	changed = a->remote_set && (ulen != a->remote_ufrag_len || plen != a->remote_pwd_len ||
				    memcmp(ufrag, a->remote_ufrag, ulen) != 0 ||
				    memcmp(pwd, a->remote_pwd, plen) != 0);
	memcpy(a->remote_ufrag, ufrag, ulen + 1);
	memcpy(a->remote_pwd, pwd, plen + 1);
	a->remote_ufrag_len = ulen;
	a->remote_pwd_len = plen;
	a->remote_set = true;
	if (changed)
		ice_check_reset(a);
	return changed ? 1 : 0;
}

int ice_set_local_credentials(struct ice_agent *a, const char *ufrag, const char *pwd)
{
	size_t ulen = ice_chars_len(ufrag, 4, ICE_UFRAG_LEN);
	size_t plen = ice_chars_len(pwd, 22, ICE_PWD_LEN);

	if (!ulen || !plen)
		return -1;
	memcpy(a->local_ufrag, ufrag, ulen + 1);
	memcpy(a->local_pwd, pwd, plen + 1);
	a->local_ufrag_len = ulen;
	a->local_pwd_len = plen;
	ice_check_reset(a);
	return 0;
}

int ice_set_components(struct ice_agent *a, int n)
{
	int k = 0;

	if (n < 1 || n > a->ncomponents)
		return -1;
	for (int i = 0; i < a->nremote; i++) {
		struct ice_remote *r = &a->remote[i];

		if (r->component <= n)
			continue;
		r->state = ICE_PAIR_FAILED;
		r->nominated = r->nominating = r->nominate_on_success = false;
		r->txn.active = r->old_txn.active = false;
	}
	for (int i = 0; i < a->ntrig; i++) {
		if (a->remote[a->trig[i]].component <= n)
			a->trig[k++] = a->trig[i];
		else
			a->remote[a->trig[i]].triggered = false;
	}
	a->ntrig = k;
	for (int c = n; c < a->ncomponents; c++)
		for (int t = 0; t < ICE_CONSENT_TXNS; t++)
			a->comp[c].consent[t].active = false;
	a->ncomponents = n;
	return 0;
}

static bool component_ok(const struct ice_agent *a, int component)
{
	return component >= 1 && component <= a->ncomponents;
}

static bool addr_ok(const struct sockaddr *sa)
{
	return (sa->sa_family == AF_INET || sa->sa_family == AF_INET6) && addr_port(sa) != 0;
}

static int find_remote(const struct ice_agent *a, int component, const struct sockaddr *addr)
{
	for (int i = 0; i < a->nremote; i++)
		if (a->remote[i].component == component &&
		    addr_equal((const struct sockaddr *)&a->remote[i].addr, addr))
			return i;
	return -1;
}

static int add_remote(struct ice_agent *a, int component, const struct sockaddr *addr,
		      uint32_t priority, enum ice_cand_type type, const char *foundation)
{
	struct ice_remote *r;

	/* RFC 8445 §6.1.2.5: the checklist limit, over every agent of the call */
	if (a->nremote == ICE_MAX_REMOTE || (a->sh->pairs_max && a->sh->pairs >= a->sh->pairs_max))
		return -1;
	a->sh->pairs++;
	r = &a->remote[a->nremote];
	memset(r, 0, sizeof(*r));
	memcpy(&r->addr, addr, addr_len(addr));
	r->priority = priority;
	r->type = type;
	r->component = component;
	strcpy(r->foundation, foundation);
	r->state = ICE_PAIR_FROZEN;
	return a->nremote++;
}

int ice_add_remote_candidate(struct ice_agent *a, int component, const struct sockaddr *addr,
			     uint32_t priority, enum ice_cand_type type, const char *foundation)
{
	int i;

	if (!foundation)
		foundation = "";
	if (!component_ok(a, component) || !addr_ok(addr) || type > ICE_CAND_RELAY ||
	    strnlen(foundation, ICE_FOUNDATION_MAX + 1) > ICE_FOUNDATION_MAX)
		return -1;
	i = find_remote(a, component, addr);
	if (i >= 0) {
		struct ice_remote *r = &a->remote[i];

		/* RFC 8445 §7.3.1.3: signalling a peer-reflexive candidate gives its real
		 * foundation */
		if (r->type == ICE_CAND_PRFLX && type != ICE_CAND_PRFLX) {
			r->type = type;
			r->priority = priority;
			strcpy(r->foundation, foundation);
		}
		return 0;
	}
	return add_remote(a, component, addr, priority, type, foundation) < 0 ? -1 : 0;
}

void ice_set_local(struct ice_agent *a, int component, const struct sockaddr *addr,
		   uint32_t priority)
{
	struct ice_component *c;

	if (!component_ok(a, component) || !addr_ok(addr))
		return;
	c = &a->comp[component - 1];
	memset(&c->local_addr, 0, sizeof(c->local_addr));
	memcpy(&c->local_addr, addr, addr_len(addr));
	c->local_priority = priority;
	c->local_set = true;
}

uint32_t ice_local_priority(const struct ice_agent *a, int component)
{
	const struct ice_component *c = &a->comp[component - 1];

	return c->local_set ? c->local_priority : ice_priority(ICE_CAND_HOST, 65535, component);
}

/* RFC 8445 §6.1.2.3: G is the controlling agent's candidate priority, D the controlled's. */
uint64_t ice_pair_priority(const struct ice_agent *a, const struct ice_remote *r)
{
	uint64_t l = ice_local_priority(a, r->component), rp = r->priority;
	uint64_t g = a->controlling ? l : rp, d = a->controlling ? rp : l;

	return ((g < d ? g : d) << 32) + 2 * (g > d ? g : d) + (g > d ? 1 : 0);
}

/* A pair exists only between addresses of one family (RFC 8445 §6.1.2.2). */
bool ice_pair_usable(const struct ice_agent *a, const struct ice_remote *r)
{
	const struct ice_component *c = &a->comp[r->component - 1];

	return !c->local_set || c->local_addr.ss_family == r->addr.ss_family;
}

/* The component's selected pair: highest-priority nominated, else earliest succeeded. */
int ice_selected(const struct ice_agent *a, int component)
{
	int best = -1;
	uint64_t best_prio = 0;

	for (int i = 0; i < a->nremote; i++) {
		const struct ice_remote *r = &a->remote[i];
		uint64_t prio;

		if (r->component != component || !r->nominated || r->state != ICE_PAIR_SUCCEEDED)
			continue;
		prio = ice_pair_priority(a, r);
		if (best < 0 || prio > best_prio) {
			best = i;
			best_prio = prio;
		}
	}
	if (best >= 0)
		return best;
	for (int i = 0; i < a->nremote; i++) {
		const struct ice_remote *r = &a->remote[i];

		if (r->component != component || r->state != ICE_PAIR_SUCCEEDED)
			continue;
		if (best < 0 || r->succeeded_ms < a->remote[best].succeeded_ms ||
		    (r->succeeded_ms == a->remote[best].succeeded_ms &&
		     ice_pair_priority(a, r) > ice_pair_priority(a, &a->remote[best])))
			best = i;
	}
	return best;
}

bool ice_component_nominated(const struct ice_agent *a, int component)
{
	for (int i = 0; i < a->nremote; i++)
		if (a->remote[i].component == component && a->remote[i].nominated &&
		    a->remote[i].state == ICE_PAIR_SUCCEEDED)
			return true;
	return false;
}

/* Token bucket: ICE_ERR_RATE_PER_S error responses a second, as many in a burst. */
static bool err_budget_take(struct ice_agent *a, uint64_t now_ms)
{
	const uint64_t cap = ICE_ERR_RATE_PER_S * 1000ull;

	if (now_ms > a->err_last_ms) {
		uint64_t add = (now_ms - a->err_last_ms) * ICE_ERR_RATE_PER_S;

		a->err_tokens = add >= cap - a->err_tokens ? cap : a->err_tokens + add;
		a->err_last_ms = now_ms;
	}
	if (a->err_tokens < 1000)
		return false;
	a->err_tokens -= 1000;
	return true;
}

static void sign_and_fingerprint(const struct ice_agent *a, struct stun_builder *b,
				 enum ice_sign sign)
{
	if (sign == ICE_SIGN_MI)
		stun_put_integrity(b, (const uint8_t *)a->local_pwd, a->local_pwd_len);
	else if (sign == ICE_SIGN_MI256)
		stun_put_integrity_sha256(b, (const uint8_t *)a->local_pwd, a->local_pwd_len);
	stun_put_fingerprint(b);
}

/*
 * RFC 8489 §6.3.4: an error response. 400 and 401 for a request whose
 * integrity could not be verified carry no MESSAGE-INTEGRITY (§9.1.3).
 */
static enum ice_rx respond_error(struct ice_agent *a, int component, const struct sockaddr *from,
				 const struct stun_msg *m, int code, enum ice_sign sign,
				 uint64_t now_ms, const struct ice_io *io)
{
	struct stun_builder b;
	size_t n;

	if (!err_budget_take(a, now_ms)) {
		a->c.dropped_bad_auth_ratelimited++;
		return ICE_RX_DROPPED;
	}
	stun_build_start(&b, a->txbuf, sizeof(a->txbuf), m->method, STUN_ERROR, m->tid);
	stun_put_error(&b, code, NULL);
	if (code == STUN_ERR_UNKNOWN_ATTRIBUTE)
		stun_put_unknown(&b, m->unknown, m->nunknown);
	sign_and_fingerprint(a, &b, sign);
	n = stun_build_end(&b);
	if (!n) {
		a->c.dropped_malformed++;
		return ICE_RX_DROPPED;
	}
	io->send(io->ctx, component, from, a->txbuf, n);
	a->c.error_responses_out++;
	return ICE_RX_REQUEST_ERROR;
}

static enum ice_rx respond_success(struct ice_agent *a, int component, const struct sockaddr *from,
				   const struct stun_msg *m, enum ice_sign sign,
				   const struct ice_io *io)
{
	struct stun_builder b;
	size_t n;

	stun_build_start(&b, a->txbuf, sizeof(a->txbuf), STUN_BINDING, STUN_SUCCESS, m->tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, from);
	sign_and_fingerprint(a, &b, sign);
	n = stun_build_end(&b);
	if (!n) {
		a->c.dropped_malformed++;
		return ICE_RX_DROPPED;
	}
	io->send(io->ctx, component, from, a->txbuf, n);
	a->c.responses_out++;
	return ICE_RX_REQUEST_OK;
}

/* RFC 8445 §7.3: USERNAME is "OUR_UFRAG:THEIR_UFRAG". */
static bool username_ok(const struct ice_agent *a, const struct stun_attr *u)
{
	size_t n = a->local_ufrag_len;

	return u->len > n + 1 && memcmp(u->val, a->local_ufrag, n) == 0 && u->val[n] == ':';
}

static int get_u64(const struct stun_attr *at, uint64_t *out)
{
	uint64_t v = 0;

	if (at->len != 8)
		return -1;
	for (int i = 0; i < 8; i++)
		v = v << 8 | at->val[i];
	*out = v;
	return 0;
}

/* RFC 8445 §7.3.1.3: a request from an unknown address is a peer-reflexive candidate. */
static int remote_for_request(struct ice_agent *a, int component, const struct sockaddr *from,
			      uint32_t priority)
{
	char foundation[ICE_FOUNDATION_MAX + 1];
	int i = find_remote(a, component, from);

	if (i >= 0)
		return i;
	/* arbitrary, unlike every signalled foundation (those are ice-chars) */
	snprintf(foundation, sizeof(foundation), "~prflx%u", ++a->prflx_seq);
	return add_remote(a, component, from, priority, ICE_CAND_PRFLX, foundation);
}

/*
 * A Binding request: authentication (RFC 8489 §9.1.3), unknown attributes
 * (§6.3.1), role conflict (RFC 8445 §7.3.1.1), then the success response
 * and what the request does to the checklist.
 */
static enum ice_rx handle_request(struct ice_agent *a, int component, const struct sockaddr *from,
				  const struct stun_msg *m, uint64_t now_ms,
				  const struct ice_io *io)
{
	const struct stun_attr *user, *prio_at, *ctl_at, *ctd_at;
	uint64_t their_tb = 0;
	uint32_t priority;
	enum ice_sign sign;
	enum ice_rx rx;
	bool use_cand;
	int idx;

	a->c.requests_in++;
	if (m->method != STUN_BINDING)
		return respond_error(a, component, from, m, STUN_ERR_BAD_REQUEST, ICE_SIGN_NONE,
				     now_ms, io);
	user = stun_msg_find(m, STUN_ATTR_USERNAME);
	if (!user || (m->mi_idx < 0 && m->mi256_idx < 0))
		return respond_error(a, component, from, m, STUN_ERR_BAD_REQUEST, ICE_SIGN_NONE,
				     now_ms, io);
	if (!username_ok(a, user))
		return respond_error(a, component, from, m, STUN_ERR_UNAUTHORIZED, ICE_SIGN_NONE,
				     now_ms, io);
	if (m->mi_idx >= 0) {
		if (stun_msg_check_integrity(m, (const uint8_t *)a->local_pwd, a->local_pwd_len))
			return respond_error(a, component, from, m, STUN_ERR_UNAUTHORIZED,
					     ICE_SIGN_NONE, now_ms, io);
		sign = ICE_SIGN_MI;
	} else {
		if (stun_msg_check_integrity_sha256(m, (const uint8_t *)a->local_pwd,
						    a->local_pwd_len))
			return respond_error(a, component, from, m, STUN_ERR_UNAUTHORIZED,
					     ICE_SIGN_NONE, now_ms, io);
		sign = ICE_SIGN_MI256;
	}

	/* authenticated: every response from here on is signed */
	if (m->nunknown)
		return respond_error(a, component, from, m, STUN_ERR_UNKNOWN_ATTRIBUTE, sign,
				     now_ms, io);
	prio_at = stun_msg_find(m, STUN_ATTR_PRIORITY);
	ctl_at = stun_msg_find(m, STUN_ATTR_ICE_CONTROLLING);
	ctd_at = stun_msg_find(m, STUN_ATTR_ICE_CONTROLLED);
	/* RFC 8445 §7.1.1: PRIORITY is mandatory; at most one role attribute */
	if (!prio_at || stun_attr_u32(prio_at, &priority) || (ctl_at && ctd_at) ||
	    (ctl_at && get_u64(ctl_at, &their_tb)) || (ctd_at && get_u64(ctd_at, &their_tb)))
		return respond_error(a, component, from, m, STUN_ERR_BAD_REQUEST, sign, now_ms, io);

	/* RFC 8445 §7.3.1.1 */
	if (ctl_at && a->controlling) {
		a->c.role_conflicts++;
		if (a->tiebreaker >= their_tb)
			return respond_error(a, component, from, m, STUN_ERR_ROLE_CONFLICT, sign,
					     now_ms, io);
		ice_check_set_role(a, false);
	} else if (ctd_at && !a->controlling) {
		a->c.role_conflicts++;
		/* a lite agent never takes the controlling role (RFC 8445 §6.1.1) */
		if (a->lite || a->tiebreaker < their_tb)
			return respond_error(a, component, from, m, STUN_ERR_ROLE_CONFLICT, sign,
					     now_ms, io);
		ice_check_set_role(a, true);
	}

	rx = respond_success(a, component, from, m, sign, io);
	if (rx != ICE_RX_REQUEST_OK)
		return rx;
	use_cand = !a->controlling && stun_msg_find(m, STUN_ATTR_USE_CANDIDATE) != NULL;
	idx = remote_for_request(a, component, from, priority);
	if (idx >= 0)
		ice_check_on_request(a, idx, use_cand, now_ms, io);
	return rx;
}

enum ice_rx ice_handle_stun(struct ice_agent *a, int component, const struct sockaddr *from,
			    const uint8_t *buf, size_t len, uint64_t now_ms,
			    const struct ice_io *io)
{
	struct stun_msg m;

	if (!component_ok(a, component) || !addr_ok(from) ||
	    stun_msg_parse(&m, buf, len) != STUN_PARSE_OK) {
		a->c.dropped_malformed++;
		return ICE_RX_DROPPED;
	}
	/* never answered nor forwarded without a FINGERPRINT (RFC 8445 §7.1, §7.3) */
	if (!stun_msg_check_fingerprint(&m)) {
		a->c.dropped_no_fingerprint++;
		return ICE_RX_DROPPED;
	}
	switch (m.cls) {
	case STUN_REQUEST:
		return handle_request(a, component, from, &m, now_ms, io);
	case STUN_INDICATION:
		return ICE_RX_INDICATION;
	default:
		return ice_check_on_response(a, component, from, &m, now_ms);
	}
}

bool ice_source_ok(const struct ice_agent *a, int component, const struct sockaddr *from)
{
	int i;

	if (!component_ok(a, component))
		return false;
	i = find_remote(a, component, from);
	return i >= 0 && a->remote[i].state == ICE_PAIR_SUCCEEDED;
}

bool ice_media_dest(const struct ice_agent *a, int component, struct sockaddr_storage *to)
{
	int i;

	if (!component_ok(a, component))
		return false;
	i = ice_selected(a, component);
	if (i < 0)
		return false;
	*to = a->remote[i].addr;
	return true;
}

/* A full agent's component failed: it has pairs, all Failed, and nothing left to try. */
static bool component_failed(const struct ice_agent *a, int component)
{
	bool any = false;

	for (int i = 0; i < a->nremote; i++) {
		const struct ice_remote *r = &a->remote[i];

		if (r->component != component || !ice_pair_usable(a, r))
			continue;
		if (r->state != ICE_PAIR_FAILED)
			return false;
		any = true;
	}
	return any;
}

enum ice_state ice_get_state(const struct ice_agent *a)
{
	int nominated = 0, valid = 0;

	for (int c = 1; c <= a->ncomponents; c++) {
		if (ice_component_nominated(a, c))
			nominated++;
		if (ice_selected(a, c) >= 0)
			valid++;
		else if (!a->lite && a->remote_set && component_failed(a, c))
			return ICE_STATE_FAILED;
	}
	if (nominated == a->ncomponents)
		return ICE_STATE_COMPLETED;
	if (valid == a->ncomponents)
		return ICE_STATE_CONNECTED;
	return a->started ? ICE_STATE_CHECKING : ICE_STATE_NEW;
}

const char *ice_state_name(enum ice_state s)
{
	switch (s) {
	case ICE_STATE_NEW:
		return "new";
	case ICE_STATE_CHECKING:
		return "checking";
	case ICE_STATE_CONNECTED:
		return "connected";
	case ICE_STATE_COMPLETED:
		return "completed";
	case ICE_STATE_FAILED:
		return "failed";
	default:
		return "unknown";
	}
}

bool ice_is_controlling(const struct ice_agent *a)
{
	return a->controlling;
}

bool ice_consent_expired(const struct ice_agent *a, uint64_t now_ms)
{
	for (int c = 1; c <= a->ncomponents; c++) {
		int i = ice_selected(a, c);

		if (i >= 0 && now_ms >= a->remote[i].consent_ms &&
		    now_ms - a->remote[i].consent_ms >= a->consent_timeout_ms)
			return true;
	}
	return false;
}

int ice_remote_count(const struct ice_agent *a)
{
	return a->nremote;
}

const struct ice_counters *ice_get_counters(const struct ice_agent *a)
{
	return &a->c;
}
