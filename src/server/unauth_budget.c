/*
 * unauth_budget.c - how many error responses a source IP gets before it
 * has authenticated (coturn's 401-ratelimit, 401-req-limit, 401-window).
 * A 401 is several times the size of the request that asks for it, and a
 * UDP source address is forged for free: without a budget the server is an
 * amplifier aimed wherever the attacker says. TCP has a handshake and is
 * not counted.
 *
 * Per worker, no lock: a fixed table of slots indexed by a keyed hash of
 * the source IP (the port left out, so rotating it does not help). Each
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

static uint32_t ip_hash(const struct worker *w, const union sockaddr_u *src)
{
	union sockaddr_u ip = *src;

	addr_set_port(&ip.sa, 0);
	return addr_hash(&ip.sa, w->hash_seed ^ 0x5bd1e995U) | 1;
}

/* A slot that some source holds in its current window. */
static bool slot_live(const struct unauth_slot *s, const struct config *c, uint32_t now_s)
{
	return s->tag && now_s - s->window_s < c->unauth_window;
}

bool unauth_budget_take(struct worker *w, const union sockaddr_u *src)
{
	const struct config *c = w->srv->cfg;
	uint32_t h = ip_hash(w, src), now_s = (uint32_t)(clock_ms() / 1000);
	struct unauth_slot *a = &w->unauth[h % SERVER_UNAUTH_SLOTS];
	struct unauth_slot *b = &w->unauth[(h / SERVER_UNAUTH_SLOTS) % SERVER_UNAUTH_SLOTS];
	struct unauth_slot *s;
	char buf[ADDR_STRLEN];

	if (!c->unauth_ratelimit)
		return true;
	if (slot_live(a, c, now_s) && a->tag == h)
		s = a;
	else if (slot_live(b, c, now_s) && b->tag == h)
		s = b;
	else if (!slot_live(a, c, now_s))
		s = a;
	else if (!slot_live(b, c, now_s))
		s = b;
	else
		s = a->count <= b->count ? a : b; /* both held by others: shared */
	if (!slot_live(s, c, now_s)) {
		s->tag = h;
		s->window_s = now_s;
		s->count = 0;
		s->logged = false;
	}
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
