/*
 * test_ice_budget.c - what the ICE agents of one call share (struct
 * ice_shared, src/anchor/ice.c, ice_check.c): the checklist limit over all
 * their pairs (RFC 8445 §6.1.2.5) and one Ta pacing of their new checks
 * (§14.2), and the budget of new checks that ICE restarts draw from.
 * Scenario: an offer with sixteen streams, each naming 32 ports
 * of a victim that never answers (3584 checks before the limit). The
 * agents run on a fake clock until they give up; every datagram is
 * counted, and every new check (a transaction id not seen before) must
 * come at least Ta after the one before it, whichever agent sent it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "anchor/ice.h"
#include "common/addr.h"
#include "stun/stun.h"

#define STREAMS 16
#define CANDS 32
#define TA_MS 50
#define PAIRS_MAX 100
#define MAX_TIDS 4096

struct counter {
	uint64_t now_ms;
	unsigned int sent;
	uint8_t tids[MAX_TIDS][STUN_TID_LEN];
	uint64_t first_ms[MAX_TIDS];
	unsigned int ntids;
};

static int count_send(void *ctx, int component, const struct sockaddr *to, const uint8_t *buf,
		      size_t len)
{
	struct counter *c = ctx;

	(void)component;
	(void)to;
	assert_true(len >= 20);
	c->sent++;
	for (unsigned int i = 0; i < c->ntids; i++)
		if (memcmp(c->tids[i], buf + 8, STUN_TID_LEN) == 0)
			return 0;
	assert_true(c->ntids < MAX_TIDS);
	memcpy(c->tids[c->ntids], buf + 8, STUN_TID_LEN);
	c->first_ms[c->ntids++] = c->now_ms;
	return 0;
}

static struct ice_agent *new_agent(struct ice_shared *sh)
{
	struct ice_params p;
	struct ice_agent *a;

	memset(&p, 0, sizeof(p));
	p.controlling = true;
	p.ncomponents = 1;
	p.shared = sh;
	strcpy(p.local_ufrag, "LocalUfrag000001");
	strcpy(p.local_pwd, "LocalPassword+0123456789");
	a = ice_agent_new(&p);
	assert_non_null(a);
	assert_int_equal(ice_set_remote_credentials(a, "rmt1", "RemotePassword/abcdefgh"), 0);
	return a;
}

/* Candidates for 192.0.2.1 ports base..base+n-1; how many the agent took. */
static int add_victim(struct ice_agent *a, int base, int n)
{
	int took = 0;

	for (int i = 0; i < n; i++) {
		struct sockaddr_storage ss;
		char s[32], foundation[16];

		/* a foundation each: no pair waits for another to fail (RFC 8445 §6.1.2.6) */
		snprintf(s, sizeof(s), "192.0.2.1:%d", base + i);
		snprintf(foundation, sizeof(foundation), "f%d", base + i);
		assert_int_equal(addr_parse(s, 0, &ss, NULL), 0);
		if (ice_add_remote_candidate(a, 1, (const struct sockaddr *)&ss, 0x7E0000FF,
					     ICE_CAND_HOST, foundation) == 0)
			took++;
	}
	return took;
}

/* Runs the agents on the fake clock until none wants to run (bounded). */
static void run(struct ice_agent **agents, int n, struct counter *c)
{
	struct ice_io io = {.ctx = c, .send = count_send};

	c->now_ms = 1000;
	for (int step = 0; step < 100000; step++) {
		uint64_t next = UINT64_MAX;

		for (int i = 0; i < n; i++) {
			uint64_t t = ice_tick(agents[i], c->now_ms, &io);

			if (t < next)
				next = t;
		}
		if (next == UINT64_MAX)
			return;
		c->now_ms = next > c->now_ms ? next : c->now_ms + 1;
	}
	fail_msg("the agents never went quiet");
}

static void test_one_call_checks_a_silent_victim_at_most_the_checklist_limit(void **state)
{
	struct ice_shared sh = {.ta_ms = TA_MS, .pairs_max = PAIRS_MAX};
	struct ice_agent *agents[STREAMS];
	static struct counter c;
	int took = 0;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < STREAMS; i++) {
		agents[i] = new_agent(&sh);
		took += add_victim(agents[i], 10000 + i * CANDS, CANDS);
	}
	/* RFC 8445 §6.1.2.5: the call holds at most pairs_max pairs, whatever the offer named */
	assert_int_equal(took, PAIRS_MAX);
	assert_int_equal(sh.pairs, PAIRS_MAX);
	run(agents, STREAMS, &c);
	/* each pair: one check, retransmitted up to ICE_CHECK_MAX_TX times in all */
	assert_int_equal(c.ntids, PAIRS_MAX);
	assert_true(c.sent <= PAIRS_MAX * ICE_CHECK_MAX_TX);
	assert_true(c.sent >= PAIRS_MAX);
	for (int i = 0; i < STREAMS; i++)
		assert_int_equal(ice_get_state(agents[i]) == ICE_STATE_FAILED ||
				     ice_remote_count(agents[i]) == 0,
				 1);
	for (int i = 0; i < STREAMS; i++)
		ice_agent_free(agents[i]);
	/* freed agents give their pairs back */
	assert_int_equal(sh.pairs, 0);
}

static void test_new_checks_of_all_agents_share_one_ta(void **state)
{
	struct ice_shared sh = {.ta_ms = TA_MS, .pairs_max = PAIRS_MAX};
	struct ice_agent *agents[STREAMS];
	static struct counter c;

	(void)state;
	memset(&c, 0, sizeof(c));
	for (int i = 0; i < STREAMS; i++) {
		agents[i] = new_agent(&sh);
		add_victim(agents[i], 20000 + i * 4, 4);
	}
	run(agents, STREAMS, &c);
	assert_int_equal(c.ntids, STREAMS * 4);
	for (unsigned int i = 1; i < c.ntids; i++)
		if (c.first_ms[i] < c.first_ms[i - 1] + TA_MS)
			fail_msg("check %u at %llu ms, %llu ms after the one before (Ta %d)", i,
				 (unsigned long long)c.first_ms[i],
				 (unsigned long long)(c.first_ms[i] - c.first_ms[i - 1]), TA_MS);
	for (int i = 0; i < STREAMS; i++)
		ice_agent_free(agents[i]);
}

static void test_an_agent_without_shared_state_keeps_its_own(void **state)
{
	struct ice_params p;
	struct ice_agent *a;
	static struct counter c;

	(void)state;
	memset(&c, 0, sizeof(c));
	memset(&p, 0, sizeof(p));
	p.controlling = true;
	p.ncomponents = 1;
	strcpy(p.local_ufrag, "LocalUfrag000001");
	strcpy(p.local_pwd, "LocalPassword+0123456789");
	a = ice_agent_new(&p);
	assert_non_null(a);
	assert_int_equal(ice_set_remote_credentials(a, "rmt1", "RemotePassword/abcdefgh"), 0);
	/* only the agent's own table limits it */
	assert_int_equal(add_victim(a, 30000, ICE_MAX_REMOTE + 5), ICE_MAX_REMOTE);
	run(&a, 1, &c);
	assert_int_equal(c.ntids, ICE_MAX_REMOTE);
	ice_agent_free(a);
}

/*
 * ICE restarts (new remote credentials: every pair checked again) once a
 * second for 30 s: the new checks stay within the budget's burst plus its
 * rate, where 10 candidates would give 300.
 */
static void test_ice_restarts_stay_within_the_check_budget(void **state)
{
	struct ice_shared sh = {.ta_ms = TA_MS, .checks_burst = 20, .checks_per_s = 2};
	struct ice_io io;
	struct ice_agent *a;
	static struct counter c;
	char ufrag[16];

	(void)state;
	memset(&c, 0, sizeof(c));
	io.ctx = &c;
	io.send = count_send;
	a = new_agent(&sh);
	assert_int_equal(add_victim(a, 40000, 10), 10);
	c.now_ms = 1000;
	for (int sec = 0; sec < 30; sec++) {
		uint64_t end = c.now_ms + 1000;

		snprintf(ufrag, sizeof(ufrag), "rs%02d", sec);
		/* new_agent() set other credentials: each of these is a restart */
		assert_int_equal(ice_set_remote_credentials(a, ufrag, "RemotePassword/abcdefgh"), 1);
		while (c.now_ms < end) {
			uint64_t t = ice_tick(a, c.now_ms, &io);

			c.now_ms = t < end ? (t > c.now_ms ? t : c.now_ms + 1) : end;
		}
	}
	/* 20 at once, then 2 a second over 30 s */
	assert_true(c.ntids <= 20 + 2 * 30 + 1);
	assert_true(c.ntids >= 20);
	ice_agent_free(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_call_checks_a_silent_victim_at_most_the_checklist_limit),
	    cmocka_unit_test(test_new_checks_of_all_agents_share_one_ta),
	    cmocka_unit_test(test_an_agent_without_shared_state_keeps_its_own),
	    cmocka_unit_test(test_ice_restarts_stay_within_the_check_budget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
