/*
 * unauth_budget.c - what a source gets before it has authenticated:
 *  - error responses (coturn's 401-ratelimit, 401-req-limit, 401-window),
 *    over UDP;
 *  - requests that fail to authenticate, unauth-req-rate a second over any
 *    transport: past it the source's requests without an allocation of
 *    their own are dropped before the credential check and the store (an
 *    HMAC, a SQLite or Redis lookup each), unanswered.
 *
 * Error responses:
 * A 401 is several times the size of the request that asks for it, and a
 * UDP source address is forged for free: without a budget the server is an
 * amplifier aimed wherever the attacker says. TCP has a handshake and is
 * not counted.
 *
 * Per worker, no lock: fixed tables of slots indexed by a keyed hash of
 * the source IP (the port left out, so rotating it does not help; for the
 * request rate an IPv6 source is its /64, which one host holds). Each
 * source has two candidate slots (two parts of its hash); it takes one
 * that is free or whose window has ended, so two sources share a budget
 * only when both of one's slots are held by others in the current window.
 * Then it shares the less used one: the table never grows and an attacker
 * cannot buy fresh budgets with more addresses.
 */
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/server.h"

static uint32_t ip_hash(const struct worker *w, const union sockaddr_u *src, bool prefix64)
{
	union sockaddr_u ip = *src;

	addr_set_port(&ip.sa, 0);
	if (prefix64 && ip.sa.sa_family == AF_INET6)
		memset(ip.in6.sin6_addr.s6_addr + 8, 0, 8);
	return addr_hash(&ip.sa, w->hash_seed ^ 0x5bd1e995U) | 1;
}

/* A slot that some source holds in its current window of window_s seconds. */
static bool slot_live(const struct unauth_slot *s, uint32_t window_s, uint32_t now_s)
{
	return s->tag && now_s - s->window_s < window_s;
}

/* The slot of the source whose hash is h in table, its window opened if it had none. */
static struct unauth_slot *slot_get(struct unauth_slot *table, uint32_t h, uint32_t window_s,
				    uint32_t now_s)
{
	struct unauth_slot *a = &table[h % SERVER_UNAUTH_SLOTS];
	struct unauth_slot *b = &table[(h / SERVER_UNAUTH_SLOTS) % SERVER_UNAUTH_SLOTS];
	struct unauth_slot *s;

	if (slot_live(a, window_s, now_s) && a->tag == h)
		s = a;
	else if (slot_live(b, window_s, now_s) && b->tag == h)
		s = b;
	else if (!slot_live(a, window_s, now_s))
		s = a;
	else if (!slot_live(b, window_s, now_s))
		s = b;
	else
		s = a->count <= b->count ? a : b; /* both held by others: shared */
	if (!slot_live(s, window_s, now_s)) {
		s->tag = h;
		s->window_s = now_s;
		s->count = 0;
		s->logged = false;
	}
	return s;
}

bool unauth_budget_take(struct worker *w, const union sockaddr_u *src)
{
	const struct config *c = w->srv->cfg;
	struct unauth_slot *s;
	char buf[ADDR_STRLEN];

	if (!c->unauth_ratelimit)
		return true;
	s = slot_get(w->unauth, ip_hash(w, src, false), c->unauth_window,
		     (uint32_t)(clock_ms() / 1000));
	if (s->count < c->unauth_req_limit) {
		s->count++;
		return true;
	}
	w->stats.unauth_dropped++;
	if (!s->logged && worker_log_ok(w)) {
		s->logged = true;
		log_info("%s: over %u unauthenticated error responses in %u s, not answering",
			 addr_str(&src->sa, buf, sizeof(buf)), c->unauth_req_limit, c->unauth_window);
	}
	return false;
}

/* The source's slot in the request rate table (one-second windows). */
static struct unauth_slot *rate_slot(struct worker *w, const union sockaddr_u *src)
{
	return slot_get(w->unauth_rate, ip_hash(w, src, true), 1, (uint32_t)(clock_ms() / 1000));
}

bool unauth_rate_ok(struct worker *w, const union sockaddr_u *src)
{
	const struct config *c = w->srv->cfg;
	struct unauth_slot *s;
	char buf[ADDR_STRLEN];

	if (!c->unauth_req_rate)
		return true;
	s = rate_slot(w, src);
	if (s->count < c->unauth_req_rate)
		return true;
	w->stats.unauth_rate_dropped++;
	if (!s->logged && worker_log_ok(w)) {
		s->logged = true;
		log_info("%s: over %u requests a second that failed to authenticate, dropping "
			 "its requests (unauth-req-rate)",
			 addr_str(&src->sa, buf, sizeof(buf)), c->unauth_req_rate);
	}
	return false;
}

void unauth_rate_spend(struct worker *w, const union sockaddr_u *src)
{
	if (w->srv->cfg->unauth_req_rate)
		rate_slot(w, src)->count++;
}
