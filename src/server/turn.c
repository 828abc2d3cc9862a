/*
 * turn.c - STUN Binding (RFC 8489) and the TURN requests and indications of
 * RFC 8656: Allocate, Refresh, CreatePermission, ChannelBind, Send, and
 * ChannelData from clients; Connect and ConnectionBind of RFC 6062, whose
 * connections tcp_relay.c runs.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/dtls.h"
#include "server/fleet.h"
#include "server/fleet_entry.h"
#include "server/server.h"
#include "stun/wire.h"

/*
 * The longest answer: a 401/438 with the longest REALM and SOFTWARE the
 * config accepts (CONFIG_MAX_TEXT_BYTES each), or an Allocate success with
 * two relayed addresses; everything else in it takes far less than 512.
 */
#define REPLY_TEXT_ATTR (STUN_ATTR_HDR_LEN + ((CONFIG_MAX_TEXT_BYTES + 3) & ~3))
#define REPLY_BUF (STUN_HEADER_LEN + 2 * REPLY_TEXT_ATTR + 512 + NATDISC_MAX_PADDING)

struct reply {
	struct origin *o;
	struct allocation *a; /* where to cache it, or NULL */
	const struct stun_msg *req;
	enum stun_class cls;
	const struct auth_result *auth; /* sign with its key, or NULL */
	bool verified; /* an unsigned error to a request whose integrity checked out */
	bool hold;     /* built and cached, not sent: *len says its length */
	size_t len;
	struct stun_builder b;
	uint8_t buf[REPLY_BUF];
};

static void reply_start(struct reply *r, struct origin *o, const struct stun_msg *req,
			enum stun_class cls)
{
	r->o = o;
	r->a = NULL;
	r->req = req;
	r->cls = cls;
	r->auth = NULL;
	r->verified = false;
	r->hold = false;
	r->len = 0;
	stun_build_start(&r->b, r->buf, sizeof(r->buf), req->method, cls, req->tid);
}

static void reply_send(struct reply *r)
{
	const struct config *c = r->o->w->srv->cfg;
	bool unauthenticated = r->cls == STUN_ERROR && !(r->auth && r->auth->key_len) &&
			       !r->verified;
	size_t len;

	/*
	 * An error to a request that has not authenticated: over UDP, within
	 * the source's budget, and without SOFTWARE (less to amplify with,
	 * nothing told to a stranger).
	 */
	if (unauthenticated && r->o->lsn && !unauth_budget_take(r->o->w, &r->o->client))
		return;
	if (!c->no_software_attribute && !unauthenticated)
		stun_put_str(&r->b, STUN_ATTR_SOFTWARE, c->software_name);
	if (r->auth && r->auth->key_len) {
		if (r->auth->use_sha256)
			stun_put_integrity_sha256(&r->b, r->auth->key, r->auth->key_len);
		else
			stun_put_integrity(&r->b, r->auth->key, r->auth->key_len);
	}
	if (c->fingerprint || r->req->fp_idx >= 0)
		stun_put_fingerprint(&r->b);
	len = stun_build_end(&r->b);
	if (!len) {
		if (worker_log_ok(r->o->w))
			log_error("%s response did not fit", stun_method_name(r->req->method));
		return;
	}
	if (r->a)
		alloc_cache_response(r->a, r->req->tid, r->buf, len);
	r->len = len;
	if (!r->hold)
		worker_send_to_client(r->o->w, r->o, r->buf, len);
}

static void reply_error(struct origin *o, struct allocation *a, const struct stun_msg *req,
			const struct auth_result *auth, int code)
{
	struct reply r;

	reply_start(&r, o, req, STUN_ERROR);
	r.a = a;
	stun_put_error(&r.b, code, NULL);
	/* RFC 8489 §9.2.4: 438 and 441 only answer requests with good integrity */
	r.verified = code == STUN_ERR_STALE_NONCE || code == TURN_ERR_WRONG_CREDENTIALS;
	if (code == STUN_ERR_UNAUTHORIZED || code == STUN_ERR_STALE_NONCE) {
		auth_put_challenge(o->w, o, &r.b);
		r.a = NULL;
	} else {
		r.auth = auth;
	}
	if (code == STUN_ERR_UNKNOWN_ATTRIBUTE)
		stun_put_unknown(&r.b, req->unknown, req->nunknown);
	reply_send(&r);
}

/* A success answer with no attributes of its own, signed and cached. */
static void reply_ok(struct origin *o, struct allocation *a, const struct stun_msg *req,
		     const struct auth_result *auth)
{
	struct reply r;

	reply_start(&r, o, req, STUN_SUCCESS);
	r.a = a;
	r.auth = auth;
	reply_send(&r);
}

/* Authenticates a TURN request; answers and returns -1 when it fails. */
static int authenticate(struct origin *o, struct allocation *a, const struct stun_msg *m,
			struct auth_result *auth)
{
	/* a source over unauth-req-rate: dropped before any HMAC or store lookup */
	if (!a && !unauth_rate_ok(o->w, &o->client))
		return -1;
	auth_check(o->w, o, m, a, auth);
	if (!auth->error) {
		/* its connection is no longer half-open (limits.c) */
		if (o->tcp && !o->tcp->authed) {
			o->tcp->authed = true;
			limits_tcp_authed(o->w->srv, &o->client.sa);
		} else if (o->dtls) {
			dtls_session_authed(o->dtls);
		}
		return 0;
	}
	/* RFC 8489 §9.2.4: 438 and 441 answer good integrity; 401 and 400 do not */
	if (auth->error == STUN_ERR_UNAUTHORIZED || auth->error == STUN_ERR_BAD_REQUEST)
		unauth_rate_spend(o->w, &o->client);
	if (auth->error == AUTH_PENDING) {
		/* runs again when the store answers (store.c); 500 when it cannot wait */
		if (store_park(o, m, auth) < 0)
			reply_error(o, NULL, m, NULL, STUN_ERR_SERVER_ERROR);
		return -1;
	}
	if (auth->error == STUN_ERR_UNAUTHORIZED && (m->mi_idx >= 0 || m->mi256_idx >= 0) &&
	    worker_log_ok(o->w)) {
		char buf[ADDR_STRLEN], user[128];

		log_info("%s from %s: wrong credentials for '%s'", stun_method_name(m->method),
			 addr_str(&o->client.sa, buf, sizeof(buf)),
			 log_safe(auth->username, user, sizeof(user)));
	}
	reply_error(o, NULL, m, NULL, auth->error);
	return -1;
}

/* Authenticates a request that needs an allocation (437 without one). */
static int authenticate_on_allocation(struct origin *o, struct allocation *a,
				      const struct stun_msg *m, struct auth_result *auth)
{
	if (authenticate(o, a, m, auth) < 0)
		return -1;
	if (!a) {
		reply_error(o, NULL, m, auth, TURN_ERR_ALLOCATION_MISMATCH);
		return -1;
	}
	return 0;
}

static int family_of(uint8_t stun_family)
{
	return stun_family == STUN_FAMILY_IPV6 ? AF_INET6 : AF_INET;
}

/* The relay address as told to clients: with external-ip, the public IP. */
static void advertised(const struct server *srv, const union sockaddr_u *local,
		       union sockaddr_u *out)
{
	const union sockaddr_u *ext =
		local->sa.sa_family == AF_INET6 ? &srv->relay.advertise_v6 : &srv->relay.advertise_v4;

	*out = *local;
	if (ext->sa.sa_family == local->sa.sa_family) {
		uint16_t port = addr_port(&local->sa);

		*out = *ext;
		addr_set_port(&out->sa, port);
	}
}

/*
 * RFC 8656 §7.2, §7.3: the "desired lifetime": min(requested, max), raised
 * to the default when below it (and never above max); 0 deletes on Refresh.
 */
uint32_t turn_lifetime_for(uint32_t max, const struct stun_msg *m, bool refresh)
{
	const struct stun_attr *lt = stun_msg_find(m, STUN_ATTR_LIFETIME);
	uint32_t req = SERVER_DEFAULT_ALLOC_LIFETIME;
	uint32_t dflt = SERVER_DEFAULT_ALLOC_LIFETIME < max ? SERVER_DEFAULT_ALLOC_LIFETIME : max;

	if (lt && stun_attr_u32(lt, &req) < 0)
		req = SERVER_DEFAULT_ALLOC_LIFETIME;
	if (lt && req == 0 && refresh)
		return 0;
	if (req > max)
		req = max;
	return req < dflt ? dflt : req;
}

static void put_address_error(struct stun_builder *b, uint8_t family, int code)
{
	const char *reason = stun_err_reason(code);
	uint8_t v[64];
	size_t n = strlen(reason);

	v[0] = family;
	v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, n);
	stun_put(b, STUN_ATTR_ADDRESS_ERROR_CODE, v, 4 + n);
}

/*
 * The rate asked for with coturn's BANDWIDTH, bytes a second; 0 when none.
 * One of the wrong length is read as absent, as coturn and LIFETIME do.
 */
uint32_t turn_requested_bps(const struct stun_msg *m)
{
	const struct stun_attr *bw = stun_msg_find(m, STUN_ATTR_BANDWIDTH);
	uint32_t value;

	if (!bw || stun_attr_u32(bw, &value) < 0)
		return 0;
	return bw_from_attr(value);
}

/*
 * coturn's bandwidth limit (bandwidth.h): the rate asked for, capped by
 * max-bps (the realm's in the store, realm_opts.c, else the configuration's),
 * reserved from bps-capacity. *rate 0: the allocation is not
 * limited. 486 when the capacity is used up, as coturn.
 */
static int allocate_rate(struct server *srv, const struct stun_msg *m, uint32_t *rate)
{
	uint32_t want = bw_allocation_rate(realm_opt(srv, REALM_OPT_MAX_BPS), turn_requested_bps(m));

	*rate = 0;
	if (!want)
		return 0;
	*rate = bw_capacity_take(&srv->bps_reserved, srv->cfg->bps_capacity, want);
	return *rate ? 0 : TURN_ERR_ALLOCATION_QUOTA;
}

/*
 * The alternate server for a client of this family (RFC 8489 §10: only
 * one it can reach), round robin over the list; NULL when none.
 */
static const struct sockaddr *pick_alternate(struct server *srv, bool secure, int family)
{
	const struct config_ip *list =
	    secure ? srv->cfg->tls_alternate_server : srv->cfg->alternate_server;
	size_t n = secure ? srv->cfg->tls_alternate_server_count : srv->cfg->alternate_server_count;
	unsigned int start;

	if (n == 0)
		return NULL;
	start = atomic_fetch_add_explicit(&srv->alt_next, 1, memory_order_relaxed);
	for (size_t i = 0; i < n; i++) {
		const struct sockaddr *sa = (const struct sockaddr *)&list[(start + i) % n].addr;

		if (sa->sa_family == family)
			return sa;
	}
	return NULL;
}

/*
 * alternate-server (coturn's load balancing), the fleet and drain: an
 * authenticated Allocate gets 300 Try Alternate with ALTERNATE-SERVER,
 * under its MESSAGE-INTEGRITY (RFC 8489 §10), when alternate-server lists
 * one for the client, or when this server should not take it (draining,
 * past max-allocations or bps-capacity: fleet_self()) and a fleet peer
 * has room. Draining without either, or past max-allocations without a
 * peer, 486; past bps-capacity, allocate_rate() answers 486.
 * True when answered so.
 */
static bool redirect_allocate(struct origin *o, const struct stun_msg *m,
			      const struct auth_result *auth)
{
	struct server *srv = o->w->srv;
	bool draining = atomic_load_explicit(&srv->draining, memory_order_relaxed);
	uint32_t want = bw_allocation_rate(srv->cfg->max_bps, turn_requested_bps(m));
	int family = o->client.sa.sa_family;
	const struct sockaddr *alt;
	struct fleet_entry self;
	union sockaddr_u peer;
	bool full;
	struct reply r;

	if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&o->client.in6.sin6_addr))
		family = AF_INET;
	alt = pick_alternate(srv, origin_secure(o), family);
	fleet_self(srv, &self);
	full = !fleet_entry_has_room(&self, want);
	if (!alt && (draining || full) &&
	    fleet_redirect(srv, family, origin_secure(o), want, &peer) == 0)
		alt = &peer.sa;
	if (!alt && !draining &&
	    !(self.max_allocations && self.allocations >= self.max_allocations))
		return false;
	if (!alt) {
		if (draining)
			o->w->stats.drain_refused++;
		else
			o->w->stats.quota_refused++;
		reply_error(o, NULL, m, auth, TURN_ERR_ALLOCATION_QUOTA);
		return true;
	}
	o->w->stats.redirected++;
	reply_start(&r, o, m, STUN_ERROR);
	stun_put_error(&r.b, STUN_ERR_TRY_ALTERNATE, NULL);
	stun_put_addr(&r.b, STUN_ATTR_ALTERNATE_SERVER, alt);
	r.auth = auth;
	reply_send(&r);
	return true;
}

/*
 * RFC 8016 §3.1: 405 (Mobility Forbidden) unless mobility is on and the
 * client came over plain UDP: a TCP, TLS or DTLS client's address is its
 * connection's, which no ticket moves.
 */
static int mobility_refusal(const struct origin *o)
{
	if (!o->w->srv->mobility || !o->lsn || o->tcp || o->dtls)
		return STUN_ERR_MOBILITY_FORBIDDEN;
	return 0;
}

static void handle_allocate(struct origin *o, struct allocation *a, const struct stun_msg *m)
{
	struct server *srv = o->w->srv;
	const struct stun_attr *transport, *token_attr, *even, *rfam, *afam, *mobile;
	struct auth_result auth;
	uint8_t proto, family = STUN_FAMILY_IPV4, extra;
	bool reserve_next = false;
	uint64_t token = 0, new_token = 0;
	uint32_t lifetime, rate;
	int err, v6_error;
	struct reply r;
	char cbuf[ADDR_STRLEN], rbuf[ADDR_STRLEN], ubuf[128];

	if (authenticate(o, a, m, &auth) < 0)
		return;
	if (a) {
		reply_error(o, NULL, m, &auth, TURN_ERR_ALLOCATION_MISMATCH);
		return;
	}
	if (redirect_allocate(o, m, &auth))
		return;
	transport = stun_msg_find(m, STUN_ATTR_REQUESTED_TRANSPORT);
	token_attr = stun_msg_find(m, STUN_ATTR_RESERVATION_TOKEN);
	even = stun_msg_find(m, STUN_ATTR_EVEN_PORT);
	rfam = stun_msg_find(m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	afam = stun_msg_find(m, STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY);
	mobile = stun_msg_find(m, STUN_ATTR_MOBILITY_TICKET);
	if (mobile) {
		/* RFC 8016 §3.1: the client asks for mobility with an empty ticket */
		err = mobility_refusal(o);
		if (err)
			goto fail;
		if (mobile->len != 0) {
			err = STUN_ERR_BAD_REQUEST;
			goto fail;
		}
	}
	err = STUN_ERR_BAD_REQUEST;
	if (!transport || stun_attr_transport(transport, &proto) < 0)
		goto fail;
	if ((proto != TURN_TRANSPORT_UDP && proto != TURN_TRANSPORT_TCP) ||
	    (proto == TURN_TRANSPORT_UDP && srv->cfg->no_udp_relay) ||
	    (proto == TURN_TRANSPORT_TCP && srv->cfg->no_tcp_relay)) {
		err = TURN_ERR_UNSUPPORTED_TRANSPORT_PROTOCOL;
		goto fail;
	}
	/*
	 * RFC 6062 §5.1: a TCP allocation only over a TCP connection, without
	 * DONT-FRAGMENT, EVEN-PORT or RESERVATION-TOKEN; 400 otherwise. It has
	 * one relayed address: ADDITIONAL-ADDRESS-FAMILY is refused the same way.
	 */
	if (proto == TURN_TRANSPORT_TCP &&
	    (!o->tcp || even || token_attr || afam || stun_msg_find(m, STUN_ATTR_DONT_FRAGMENT)))
		goto fail;
	if (token_attr && (even || rfam || afam))
		goto fail;
	if (token_attr && stun_attr_token(token_attr, &token) < 0)
		goto fail;
	if (even && stun_attr_even_port(even, &reserve_next) < 0)
		goto fail;
	/* RFC 8656 §7.2: a reserved next port and a second family do not go together */
	if (reserve_next && afam)
		goto fail;
	if (rfam && afam)
		goto fail;
	if (rfam) {
		if (stun_attr_family(rfam, &family) < 0)
			goto fail;
		if (family != STUN_FAMILY_IPV4 && family != STUN_FAMILY_IPV6) {
			err = TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
			goto fail;
		}
	}
	/* RFC 8656 §7.2: ADDITIONAL-ADDRESS-FAMILY may only ask for IPv6 */
	if (afam && (stun_attr_family(afam, &extra) < 0 || extra != STUN_FAMILY_IPV6))
		goto fail;
	lifetime = turn_lifetime_for(srv->cfg->max_allocate_lifetime, m, false);
	err = allocate_rate(srv, m, &rate);
	if (err)
		goto fail;
	err = alloc_create(o, &auth, family, proto == TURN_TRANSPORT_TCP, afam != NULL,
			   even != NULL, reserve_next, token,
			   stun_msg_find(m, STUN_ATTR_DONT_FRAGMENT) != NULL, &a, &new_token,
			   &v6_error);
	if (err) {
		bw_capacity_release(&srv->bps_reserved, rate);
		goto fail;
	}
	alloc_set_rate(a, rate, clock_ms());
	if (mobile && mobility_issue(a) < 0) {
		alloc_free(a);
		err = STUN_ERR_SERVER_ERROR;
		goto fail;
	}

	reply_start(&r, o, m, STUN_SUCCESS);
	r.a = a;
	r.auth = &auth;
	for (int i = 0; i < a->nrelay; i++) {
		union sockaddr_u adv;

		advertised(srv, &a->relay[i].local, &adv);
		stun_put_xor_addr(&r.b, STUN_ATTR_XOR_RELAYED_ADDRESS, &adv.sa);
	}
	if (v6_error)
		put_address_error(&r.b, STUN_FAMILY_IPV6, v6_error);
	stun_put_u32(&r.b, STUN_ATTR_LIFETIME, lifetime);
	if (new_token)
		stun_put_token(&r.b, new_token);
	if (rate)
		stun_put_u32(&r.b, STUN_ATTR_BANDWIDTH, bw_to_attr(rate));
	if (a->mobile)
		stun_put(&r.b, STUN_ATTR_MOBILITY_TICKET, a->ticket, STUN_MOBILITY_TICKET_LEN);
	stun_put_xor_addr(&r.b, STUN_ATTR_XOR_MAPPED_ADDRESS, &o->client.sa);
	reply_send(&r);
	alloc_set_lifetime(a, lifetime);
	if (worker_log_ok(o->w))
		log_info("allocation for '%s' from %s %s: %s relay %s, lifetime %u s",
			 log_safe(auth.username, ubuf, sizeof(ubuf)),
			 a->dtls ? "DTLS" : origin_secure(o) ? "TLS" : a->tcp ? "TCP" : "UDP",
			 addr_str(&o->client.sa, cbuf, sizeof(cbuf)), a->tcp_relay ? "TCP" : "UDP",
			 addr_str(&a->relay[0].local.sa, rbuf, sizeof(rbuf)), lifetime);
	return;
fail:
	reply_error(o, NULL, m, &auth, err);
}

/*
 * RFC 8016 §3.2: does a move to o's address? Its relay ports count against
 * that address from now on (0), or it has no room (the error to answer).
 */
static int refresh_move(struct origin *o, struct allocation *a, bool *moved)
{
	int err;

	*moved = a->lsn != o->lsn || !addr_equal(&a->client.sa, &o->client.sa);
	if (!*moved)
		return 0;
	err = limits_move(o->w->srv, &a->quota_addr.sa, &o->client.sa, a->held_ports);
	if (!err)
		a->quota_addr = o->client;
	return err;
}

/*
 * Refresh of a (RFC 8656 §7.3). With mobile (RFC 8016 §3.2), the answer
 * carries a new ticket and, from another address, a moves there once the
 * client sends from it; errors then are not cached in a, which that
 * address does not reach yet.
 */
static void refresh_allocation(struct origin *o, struct allocation *a, const struct stun_msg *m,
			       const struct auth_result *auth, bool mobile)
{
	const struct stun_attr *rfam = stun_msg_find(m, STUN_ATTR_REQUESTED_ADDRESS_FAMILY);
	struct allocation *cache = mobile ? NULL : a;
	uint32_t lifetime;
	struct reply r;
	uint8_t family;
	bool moved = false;
	int err;

	if (rfam) {
		if (stun_attr_family(rfam, &family) < 0) {
			reply_error(o, cache, m, auth, STUN_ERR_BAD_REQUEST);
			return;
		}
		if (!alloc_relay_for(a, family_of(family)) ||
		    (family != STUN_FAMILY_IPV4 && family != STUN_FAMILY_IPV6)) {
			reply_error(o, cache, m, auth, TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH);
			return;
		}
	}
	lifetime = turn_lifetime_for(o->w->srv->cfg->max_allocate_lifetime, m, true);
	reply_start(&r, o, m, STUN_SUCCESS);
	r.auth = auth;
	stun_put_u32(&r.b, STUN_ATTR_LIFETIME, lifetime);
	if (lifetime == 0) {
		/* free first: once answered, the quota must already be back */
		alloc_free(a);
		reply_send(&r);
		return;
	}
	if (mobile) {
		union sockaddr_u quota = a->quota_addr;

		err = refresh_move(o, a, &moved);
		if (!err && mobility_issue(a) < 0) {
			if (moved) {
				limits_move(o->w->srv, &o->client.sa, &quota.sa, a->held_ports);
				a->quota_addr = quota;
			}
			err = STUN_ERR_SERVER_ERROR;
		}
		if (err) {
			reply_error(o, NULL, m, auth, err);
			return;
		}
		stun_put(&r.b, STUN_ATTR_MOBILITY_TICKET, a->ticket, STUN_MOBILITY_TICKET_LEN);
	}
	r.a = a;
	/* the answer to a new address goes once its worker expects it */
	r.hold = moved;
	reply_send(&r);
	alloc_set_lifetime(a, lifetime);
	if (moved)
		mobility_begin_move(a, o, r.buf, r.len);
	else if (mobile)
		a->moving = false; /* back at its own address: a move under way is off */
}

/*
 * RFC 8016 §3.2: a Refresh with MOBILITY-TICKET, authenticated. From the
 * allocation's own address it refreshes it; from another one it finds the
 * allocation by its ticket, on its owner's worker (handed there if need
 * be), which must be the same user's (441).
 */
static void mobile_refresh(struct origin *o, struct allocation *a, const struct stun_msg *m,
			   const struct auth_result *auth)
{
	const struct stun_attr *t = stun_msg_find(m, STUN_ATTR_MOBILITY_TICKET);
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN];
	struct worker *owner;
	int err = mobility_refusal(o);

	if (err)
		goto fail;
	err = STUN_ERR_BAD_REQUEST;
	if (stun_attr_mobility_ticket(t, ticket) != STUN_MOBILITY_TICKET_LEN)
		goto fail;
	err = TURN_ERR_ALLOCATION_MISMATCH;
	if (a) {
		if (!a->mobile || memcmp(a->ticket, ticket, sizeof(ticket)) != 0)
			goto fail;
		refresh_allocation(o, a, m, auth, true);
		return;
	}
	owner = mobility_owner(o->w->srv, ticket);
	if (!owner)
		goto fail;
	if (owner != o->w) {
		if (mobility_forward(o, owner, m, auth) == 0)
			return;
		err = STUN_ERR_SERVER_ERROR;
		goto fail;
	}
	a = mobility_find(o->w, ticket);
	if (!a)
		goto fail;
	if (strcmp(a->username, auth->username) != 0) {
		err = TURN_ERR_WRONG_CREDENTIALS;
		goto fail;
	}
	refresh_allocation(o, a, m, auth, true);
	return;
fail:
	reply_error(o, NULL, m, auth, err);
}

void turn_handle_mobile_refresh(struct origin *o, const uint8_t *buf, size_t len,
				const struct auth_result *auth)
{
	struct stun_msg m;

	/* it parsed on the worker that took it */
	if (stun_msg_parse(&m, buf, len) != STUN_PARSE_OK)
		return;
	mobile_refresh(o, worker_find_udp_alloc(o->w, o->lsn, &o->client), &m, auth);
}

static void handle_refresh(struct origin *o, struct allocation *a, const struct stun_msg *m)
{
	struct auth_result auth;

	if (authenticate(o, a, m, &auth) < 0)
		return;
	if (stun_msg_find(m, STUN_ATTR_MOBILITY_TICKET)) {
		mobile_refresh(o, a, m, &auth);
		return;
	}
	if (!a) {
		reply_error(o, NULL, m, &auth, TURN_ERR_ALLOCATION_MISMATCH);
		return;
	}
	refresh_allocation(o, a, m, &auth, false);
}

/*
 * Data from the allocation's relay to a peer. A peer that is a local port
 * whose owner takes data in process (the media anchor: a browser's
 * allocation joined to its anchored call) gets it that way
 * (relay/relay_ports.h); anything else from the relay socket, queued with
 * the worker's batch (udp_batch.h), and counted when sent.
 */
static void relay_send(struct worker *w, struct allocation *a, const struct relay_sock *relay,
		       const union sockaddr_u *peer, const uint8_t *data, size_t len)
{
	struct udp_tx *t;

	if (relay_ports_deliver(&w->srv->relay.ports, &peer->sa, &relay->local.sa, data, len)) {
		worker_count_relayed(w, a, BW_TO_PEER, len, true);
		return;
	}
	t = worker_tx_slot(w);
	t->iov[0] = (struct iovec){.iov_base = (void *)data, .iov_len = len};
	t->niov = 1;
	worker_tx_queue(w, t, relay->fd, peer, a, BW_TO_PEER, len);
}

/*
 * Data to one of our relay addresses goes only where the verdict allows,
 * checked per packet: a permission covers every port of its IP, and the
 * relay socket a channel was bound to may have closed since (its port then
 * free for any program). Other peers were checked when permitted.
 */
static bool own_port_closed(const struct server *srv, const union sockaddr_u *peer)
{
	return relay_ports_has_addr(&srv->relay.ports, &peer->sa) &&
	       relay_peer_verdict(&srv->relay, peer, IPPROTO_UDP) != PEER_ALLOWED;
}

/*
 * Decodes a XOR-PEER-ADDRESS and checks it against the allocation's
 * families (443) and the peer policy (403). Returns 0 or the error code.
 */
static int check_peer(struct origin *o, struct allocation *a, const struct stun_msg *m,
		      const struct stun_attr *attr, union sockaddr_u *peer)
{
	struct sockaddr_storage ss;
	enum peer_verdict v;
	char buf[ADDR_STRLEN], user[128];

	if (stun_attr_xor_addr(m, attr, &ss) < 0)
		return STUN_ERR_BAD_REQUEST;
	memcpy(peer, &ss, sizeof(*peer));
	relay_peer_from_wire(&o->w->srv->relay, peer);
	if (!alloc_relay_for(a, peer->sa.sa_family))
		return TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH;
	v = relay_peer_verdict(&o->w->srv->relay, peer, a->tcp_relay ? IPPROTO_TCP : IPPROTO_UDP);
	if (v != PEER_ALLOWED) {
		if (worker_log_ok(o->w))
			log_info("peer %s refused for '%s': %s",
				 addr_str(&peer->sa, buf, sizeof(buf)),
				 log_safe(a->username, user, sizeof(user)), peer_verdict_str(v));
		return STUN_ERR_FORBIDDEN;
	}
	return 0;
}

static void handle_create_permission(struct origin *o, struct allocation *a,
				     const struct stun_msg *m)
{
	union sockaddr_u peers[STUN_MAX_ATTRS];
	struct auth_result auth;
	uint64_t now = clock_ms();
	int npeers = 0, err;

	if (authenticate_on_allocation(o, a, m, &auth) < 0)
		return;
	for (int i = 0; i < m->nattrs; i++) {
		if (m->attrs[i].type != STUN_ATTR_XOR_PEER_ADDRESS)
			continue;
		err = check_peer(o, a, m, &m->attrs[i], &peers[npeers]);
		if (err) {
			reply_error(o, a, m, &auth, err);
			return;
		}
		npeers++;
	}
	if (!npeers) {
		reply_error(o, a, m, &auth, STUN_ERR_BAD_REQUEST);
		return;
	}
	for (int i = 0; i < npeers; i++) {
		if (alloc_install_perm(a, &peers[i], now) < 0) {
			reply_error(o, a, m, &auth, TURN_ERR_INSUFFICIENT_CAPACITY);
			return;
		}
	}
	/* a channel whose permission had expired is bound again in the kernel */
	offload_sync(a, now);
	reply_ok(o, a, m, &auth);
}

/* RFC 8656 §12.2: 0x4000-0x4FFF; RFC 5766's 0x4000-0x7FFF when configured. */
static uint16_t channel_max(const struct server *srv)
{
	return srv->cfg->rfc5766_channel_numbers ? TURN_CHANNEL_MAX : TURN_CHANNEL_MAX_RFC8656;
}

static void handle_channel_bind(struct origin *o, struct allocation *a, const struct stun_msg *m)
{
	const struct stun_attr *ch = stun_msg_find(m, STUN_ATTR_CHANNEL_NUMBER);
	const struct stun_attr *pa = stun_msg_find(m, STUN_ATTR_XOR_PEER_ADDRESS);
	struct auth_result auth;
	union sockaddr_u peer;
	uint64_t now = clock_ms();
	uint16_t number;
	int err;

	if (authenticate_on_allocation(o, a, m, &auth) < 0)
		return;
	/* RFC 6062 §5: a TCP allocation has no channels */
	if (a->tcp_relay || !ch || !pa || stun_attr_channel(ch, &number) < 0 ||
	    number < TURN_CHANNEL_MIN || number > channel_max(o->w->srv)) {
		reply_error(o, a, m, &auth, STUN_ERR_BAD_REQUEST);
		return;
	}
	err = check_peer(o, a, m, pa, &peer);
	if (err) {
		reply_error(o, a, m, &auth, err);
		return;
	}
	/* the binding and its permission, both or neither */
	switch (alloc_bind_channel(a, number, &peer, now)) {
	case 0:
		offload_sync(a, now);
		reply_ok(o, a, m, &auth);
		break;
	case -1:
		reply_error(o, a, m, &auth, STUN_ERR_BAD_REQUEST);
		break;
	default:
		reply_error(o, a, m, &auth, TURN_ERR_INSUFFICIENT_CAPACITY);
		break;
	}
}

/* RFC 8656 §10.2: Send indications are dropped silently when invalid. */
static void handle_send(struct origin *o, struct allocation *a, const struct stun_msg *m)
{
	const struct stun_attr *pa = stun_msg_find(m, STUN_ATTR_XOR_PEER_ADDRESS);
	const struct stun_attr *data = stun_msg_find(m, STUN_ATTR_DATA);
	struct worker *w = o->w;
	struct sockaddr_storage ss;
	union sockaddr_u peer;
	const struct relay_sock *relay;
	uint64_t now = clock_ms();

	if (!a) {
		w->stats.no_allocation++;
		return;
	}
	/* RFC 6062: a TCP allocation relays only through its data connections */
	if (a->tcp_relay) {
		w->stats.no_permission++;
		return;
	}
	if (!pa || !data || stun_attr_xor_addr(m, pa, &ss) < 0) {
		w->stats.malformed++;
		return;
	}
	memcpy(&peer, &ss, sizeof(peer));
	relay_peer_from_wire(&w->srv->relay, &peer);
	relay = alloc_relay_for(a, peer.sa.sa_family);
	if (!relay || !alloc_find_perm(a, &peer.sa, now)) {
		w->stats.no_permission++;
		return;
	}
	if (own_port_closed(w->srv, &peer)) {
		w->stats.no_permission++;
		return;
	}
	if (!alloc_rate_take(a, BW_TO_PEER, data->len, now))
		return;
	relay_send(w, a, relay, &peer, data->val, data->len);
}

/*
 * RFC 6062 §5.2: Connect on a TCP allocation's control connection. The
 * peer is checked as for CreatePermission and gets a permission; the answer
 * (CONNECTION-ID, or 447) comes once the connection is up or has failed.
 */
static void handle_connect(struct origin *o, struct allocation *a, const struct stun_msg *m)
{
	const struct stun_attr *pa = stun_msg_find(m, STUN_ATTR_XOR_PEER_ADDRESS);
	struct turn_deferred d;
	union sockaddr_u peer;
	int err = STUN_ERR_BAD_REQUEST;

	if (authenticate_on_allocation(o, a, m, &d.auth) < 0)
		return;
	if (!a->tcp_relay || !pa)
		goto fail;
	err = check_peer(o, a, m, pa, &peer);
	if (err)
		goto fail;
	if (alloc_install_perm(a, &peer, clock_ms()) < 0) {
		err = TURN_ERR_INSUFFICIENT_CAPACITY;
		goto fail;
	}
	memcpy(d.tid, m->tid, STUN_TID_LEN);
	d.fingerprint = m->fp_idx >= 0;
	err = tcp_relay_connect(a, &peer, &d);
	if (err)
		goto fail;
	return;
fail:
	reply_error(o, a, m, &d.auth, err);
}

void turn_answer_connect(struct allocation *a, const struct turn_deferred *d, int code,
			 uint32_t connection_id)
{
	struct origin o = {.w = a->w, .lsn = a->lsn, .tcp = a->tcp, .dtls = a->dtls,
			   .client = a->client};
	struct stun_msg req;
	struct reply r;

	memset(&req, 0, sizeof(req));
	req.method = TURN_CONNECT;
	req.tid = d->tid;
	req.fp_idx = d->fingerprint ? 0 : -1;
	if (code) {
		reply_error(&o, NULL, &req, &d->auth, code);
		return;
	}
	reply_start(&r, &o, &req, STUN_SUCCESS);
	r.auth = &d->auth;
	stun_put_u32(&r.b, STUN_ATTR_CONNECTION_ID, connection_id);
	reply_send(&r);
}

/*
 * RFC 6062 §5.4: ConnectionBind on a new TCP connection, authenticated as
 * the allocation's user. Once answered, the connection carries data only.
 */
static void handle_connection_bind(struct origin *o, struct allocation *a,
				   const struct stun_msg *m)
{
	const struct stun_attr *id = stun_msg_find(m, STUN_ATTR_CONNECTION_ID);
	struct auth_result auth;
	uint32_t connection_id;
	struct reply r;
	int err = STUN_ERR_BAD_REQUEST;

	if (authenticate(o, a, m, &auth) < 0)
		return;
	if (!o->tcp || a || !id || stun_attr_u32(id, &connection_id) < 0)
		goto fail;
	err = tcp_relay_bind(o->tcp, connection_id, auth.username);
	if (err)
		goto fail;
	reply_start(&r, o, m, STUN_SUCCESS);
	r.auth = &auth;
	reply_send(&r);
	return;
fail:
	reply_error(o, NULL, m, &auth, err);
}

/* The UDP listener of worker w bound to addr, or NULL. */
static struct udp_listener *udp_listener_at(struct worker *w, const union sockaddr_u *addr)
{
	for (int i = 0; i < w->nudp; i++)
		if (addr_equal(&w->udp[i].local.sa, &addr->sa))
			return &w->udp[i];
	return NULL;
}

/*
 * RFC 5780 §7: where the answer to m leaves from and goes (*o moved), with
 * which attributes; 0, or the error to answer (400, 420 naming *unknown).
 */
static int binding_rfc5780(struct origin *o, const struct stun_msg *m, struct natdisc_plan *nd,
			   uint16_t *unknown)
{
	struct server *srv = o->w->srv;
	struct udp_listener *from;
	int rc;

	rc = natdisc_plan(srv, o->lsn && !o->dtls, &o->local, &o->client, m, nd, unknown);
	if (rc || !nd->on)
		return rc;
	/* RESPONSE-PORT aims at the client's IP only: never at a port of our own there */
	if (!addr_equal(&nd->to.sa, &o->client.sa) &&
	    relay_ports_has_addr(&srv->relay.ports, &nd->to.sa))
		return STUN_ERR_BAD_REQUEST;
	from = udp_listener_at(o->w, &nd->from);
	if (!from)
		return STUN_ERR_SERVER_ERROR;
	o->lsn = from;
	o->local = from->local;
	o->client = nd->to;
	return 0;
}

static void handle_binding(struct origin *o, const struct stun_msg *m)
{
	const struct config *c = o->w->srv->cfg;
	union sockaddr_u mapped = o->client;
	struct natdisc_plan nd;
	struct origin to = *o;
	struct reply r;
	uint16_t unknown = 0;
	int rc;

	/* coturn's log-binding: off by default, Binding being the cheapest flood */
	if (c->log_binding && log_get_level() >= LOG_DEBUG && worker_log_ok(o->w)) {
		char buf[ADDR_STRLEN];

		log_debug("Binding request from %s (%s)", addr_str(&o->client.sa, buf, sizeof(buf)),
			  o->tcp ? "TCP" : "UDP");
	}
	o->w->stats.binding_requests++;
	rc = binding_rfc5780(&to, m, &nd, &unknown);
	if (rc == STUN_ERR_UNKNOWN_ATTRIBUTE) {
		struct stun_msg named = *m;

		named.unknown[0] = unknown;
		named.nunknown = 1;
		reply_error(o, NULL, &named, NULL, rc);
		return;
	}
	if (rc) {
		reply_error(o, NULL, m, NULL, rc);
		return;
	}
	reply_start(&r, &to, m, STUN_SUCCESS);
	stun_put_xor_addr(&r.b, STUN_ATTR_XOR_MAPPED_ADDRESS, &mapped.sa);
	/* coturn's stun-backward-compatibility: RFC 3489 §11.2.1's attribute too (RFC 8489 §14.1) */
	if (c->stun_backward_compatibility)
		stun_put_addr(&r.b, STUN_ATTR_MAPPED_ADDRESS, &mapped.sa);
	if (nd.on) {
		/* RFC 5780 §7.3 */
		stun_put_addr(&r.b, STUN_ATTR_RESPONSE_ORIGIN, &nd.from.sa);
		stun_put_addr(&r.b, STUN_ATTR_OTHER_ADDRESS, &nd.other.sa);
		if (nd.padding)
			stun_put_padding(&r.b, nd.padding);
	}
	reply_send(&r);
}

/* RFC 8489 §6.3: requests of methods we serve; anything else is discarded. */
static bool request_method_known(uint16_t method)
{
	switch (method) {
	case STUN_BINDING:
	case TURN_ALLOCATE:
	case TURN_REFRESH:
	case TURN_CREATE_PERMISSION:
	case TURN_CHANNEL_BIND:
	case TURN_CONNECT:
	case TURN_CONNECTION_BIND:
		return true;
	default:
		return false;
	}
}

/*
 * A request whose attributes did not parse: 400 when its header is sound.
 * RFC 8489 §6.3: a length that is not a multiple of 4, or a method we do
 * not serve, is not a sound header; such messages are discarded.
 */
static void reply_bad_request(struct origin *o, const uint8_t *buf, size_t len, int rc)
{
	struct stun_msg hdr = {0};
	uint16_t type;

	if (rc == STUN_PARSE_SHORT || rc == STUN_PARSE_BAD_LENGTH || len < STUN_HEADER_LEN ||
	    (buf[0] & 0xC0) || wire_get32(buf + 4) != STUN_MAGIC_COOKIE)
		return;
	type = wire_get16(buf);
	if (stun_type_class(type) != STUN_REQUEST || !request_method_known(stun_type_method(type)))
		return;
	hdr.method = stun_type_method(type);
	hdr.tid = buf + 8;
	hdr.fp_idx = -1;
	reply_error(o, NULL, &hdr, NULL, STUN_ERR_BAD_REQUEST);
}

void turn_handle_message(struct origin *o, struct allocation *a, const uint8_t *buf, size_t len)
{
	const struct config *c = o->w->srv->cfg;
	const struct txn_cache *cached;
	struct stun_msg m;
	int rc;

	rc = stun_msg_parse(&m, buf, len);
	if (rc != STUN_PARSE_OK) {
		o->w->stats.malformed++;
		reply_bad_request(o, buf, len, rc);
		return;
	}
	if (m.fp_idx >= 0 && !stun_msg_check_fingerprint(&m)) {
		o->w->stats.malformed++;
		return;
	}
	if (m.cls == STUN_INDICATION) {
		/* RFC 8489 §6.3.2: unknown comprehension-required attributes: discard */
		if (m.nunknown)
			o->w->stats.malformed++;
		else if (m.method == TURN_SEND && !c->stun_only)
			handle_send(o, a, &m);
		return;
	}
	if (m.cls != STUN_REQUEST || !request_method_known(m.method)) {
		o->w->stats.malformed++;
		return;
	}
	if (a && (cached = alloc_cached_response(a, m.tid))) {
		worker_send_to_client(o->w, o, cached->resp, cached->len);
		return;
	}
	if (m.nunknown) {
		reply_error(o, NULL, &m, NULL, STUN_ERR_UNKNOWN_ATTRIBUTE);
		return;
	}
	if (m.method == STUN_BINDING) {
		if (!c->no_stun)
			handle_binding(o, &m);
		return;
	}
	if (c->stun_only)
		return;
	switch (m.method) {
	case TURN_ALLOCATE:
		handle_allocate(o, a, &m);
		break;
	case TURN_REFRESH:
		handle_refresh(o, a, &m);
		break;
	case TURN_CREATE_PERMISSION:
		handle_create_permission(o, a, &m);
		break;
	case TURN_CHANNEL_BIND:
		handle_channel_bind(o, a, &m);
		break;
	case TURN_CONNECT:
		handle_connect(o, a, &m);
		break;
	case TURN_CONNECTION_BIND:
		handle_connection_bind(o, a, &m);
		break;
	}
}

void turn_handle_channeldata(struct worker *w, struct allocation *a, const uint8_t *buf,
			     size_t len, uint64_t now)
{
	const struct relay_sock *relay;
	const struct channel *ch;
	const uint8_t *data;
	uint16_t number, dlen;

	if (turn_channeldata_parse(buf, len, &number, &data, &dlen) < 0) {
		w->stats.malformed++;
		return;
	}
	if (!a) {
		w->stats.no_allocation++;
		return;
	}
	ch = alloc_find_channel(a, number, now);
	if (!ch) {
		w->stats.no_permission++;
		return;
	}
	relay = alloc_relay_for(a, ch->peer.sa.sa_family);
	if (!relay)
		return;
	if (own_port_closed(w->srv, &ch->peer)) {
		w->stats.no_permission++;
		return;
	}
	if (!alloc_rate_take(a, BW_TO_PEER, dlen, now))
		return;
	relay_send(w, a, relay, &ch->peer, data, dlen);
}
