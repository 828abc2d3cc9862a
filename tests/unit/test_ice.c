/*
 * test_ice.c - the anchor's ICE agent (src/anchor/ice.c, ice_check.c).
 * Responder: every answer is parsed back (MESSAGE-INTEGRITY with our pwd,
 * FINGERPRINT, XOR-MAPPED-ADDRESS), each error code under its conditions,
 * drops without FINGERPRINT, the error rate limit, role conflicts both ways,
 * peer-reflexive candidates, nomination on a lite agent, ICE restart.
 * Full agents: two agents joined by an in-memory network that queues
 * datagrams, driven by a fake clock: completion with the right pair,
 * retransmission timing, failure against silence, 487 recovery, consent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "anchor/ice.h"
#include "common/addr.h"
#include "stun/stun.h"

#define L_UFRAG "LocalUfrag000001"
#define L_PWD "LocalPassword+0123456789"
#define R_UFRAG "rmt1"
#define R_PWD "RemotePassword/abcdefgh"

/* ---- helpers: addresses, a capturing send, request builder ---- */

static struct sockaddr_storage sa(const char *s)
{
	struct sockaddr_storage ss;

	assert_int_equal(addr_parse(s, 0, &ss, NULL), 0);
	return ss;
}

#define SA(ss) ((const struct sockaddr *)&(ss))

struct sent {
	int component;
	struct sockaddr_storage to;
	uint8_t buf[1500];
	size_t len;
	uint64_t at_ms;
};

struct capture {
	struct sent pkt[64];
	int n;
	uint64_t now_ms;
};

static int capture_send(void *ctx, int component, const struct sockaddr *to, const uint8_t *buf,
			size_t len)
{
	struct capture *c = ctx;
	struct sent *s;

	assert_true(c->n < 64);
	assert_true(len <= sizeof(c->pkt[0].buf));
	s = &c->pkt[c->n++];
	s->component = component;
	memset(&s->to, 0, sizeof(s->to));
	memcpy(&s->to, to, addr_len(to));
	memcpy(s->buf, buf, len);
	s->len = len;
	s->at_ms = c->now_ms;
	return 0;
}

/* An agent with the given local ufrag and password. */
static struct ice_agent *agent_creds(bool controlling, bool lite, uint64_t tb, int ncomp,
				     const char *ufrag, const char *pwd)
{
	struct ice_params p;
	struct ice_agent *a;

	memset(&p, 0, sizeof(p));
	p.controlling = controlling;
	p.lite = lite;
	p.tiebreaker = tb;
	p.ncomponents = ncomp;
	strcpy(p.local_ufrag, ufrag);
	strcpy(p.local_pwd, pwd);
	a = ice_agent_new(&p);
	assert_non_null(a);
	return a;
}

static struct ice_agent *new_agent(bool controlling, bool lite, uint64_t tb, int ncomp)
{
	return agent_creds(controlling, lite, tb, ncomp, L_UFRAG, L_PWD);
}

struct req {
	uint16_t method;
	const char *username; /* NULL: none */
	const char *key;      /* NULL: no integrity */
	bool sha256;
	bool fingerprint;
	bool priority;
	uint32_t prio;
	int role; /* 0: none, 1: ICE-CONTROLLING, 2: ICE-CONTROLLED */
	uint64_t tb;
	bool use_cand;
	uint16_t extra_attr; /* 0: none */
};

static struct req good_req(void)
{
	struct req r = {
	    .method = STUN_BINDING,
	    .username = L_UFRAG ":" R_UFRAG,
	    .key = L_PWD,
	    .fingerprint = true,
	    .priority = true,
	    .prio = 0x6E7F1EFF,
	    .role = 1,
	    .tb = 42,
	};

	return r;
}

static const uint8_t req_tid[STUN_TID_LEN] = {9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2};

static size_t build_req(uint8_t *buf, size_t cap, const struct req *r)
{
	struct stun_builder b;
	uint8_t tb[8];

	for (int i = 0; i < 8; i++)
		tb[i] = (uint8_t)(r->tb >> (56 - 8 * i));
	stun_build_start(&b, buf, cap, r->method, STUN_REQUEST, req_tid);
	if (r->username)
		stun_put_str(&b, STUN_ATTR_USERNAME, r->username);
	if (r->priority)
		stun_put_u32(&b, STUN_ATTR_PRIORITY, r->prio);
	if (r->role == 1)
		stun_put(&b, STUN_ATTR_ICE_CONTROLLING, tb, 8);
	if (r->role == 2)
		stun_put(&b, STUN_ATTR_ICE_CONTROLLED, tb, 8);
	if (r->use_cand)
		stun_put(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	if (r->extra_attr)
		stun_put_u32(&b, r->extra_attr, 1);
	if (r->key && r->sha256)
		stun_put_integrity_sha256(&b, (const uint8_t *)r->key, strlen(r->key));
	else if (r->key)
		stun_put_integrity(&b, (const uint8_t *)r->key, strlen(r->key));
	if (r->fingerprint)
		stun_put_fingerprint(&b);
	return stun_build_end(&b);
}

static enum ice_rx send_req(struct ice_agent *a, struct capture *cap, const struct req *r,
			    const char *from, uint64_t now_ms)
{
	struct ice_io io = {.ctx = cap, .send = capture_send};
	struct sockaddr_storage src = sa(from);
	uint8_t buf[512];
	size_t n = build_req(buf, sizeof(buf), r);

	assert_true(n > 0);
	cap->now_ms = now_ms;
	return ice_handle_stun(a, 1, SA(src), buf, n, now_ms, &io);
}

/* Parses a captured response and checks what every response must carry. */
static void parse_response(const struct sent *s, struct stun_msg *m, enum stun_class cls)
{
	assert_int_equal(stun_msg_parse(m, s->buf, s->len), STUN_PARSE_OK);
	assert_int_equal(m->method, STUN_BINDING);
	assert_int_equal(m->cls, cls);
	assert_memory_equal(m->tid, req_tid, STUN_TID_LEN);
	assert_true(stun_msg_check_fingerprint(m));
}

static int error_code(const struct stun_msg *m)
{
	const struct stun_attr *e = stun_msg_find(m, STUN_ATTR_ERROR_CODE);
	const char *reason;
	size_t reason_len;
	int code = 0;

	assert_non_null(e);
	assert_int_equal(stun_attr_error(e, &code, &reason, &reason_len), 0);
	return code;
}

static bool signed_with(const struct stun_msg *m, const char *key)
{
	return stun_msg_check_integrity(m, (const uint8_t *)key, strlen(key)) == 0;
}

/* ---- credentials and priorities ---- */

static void test_credentials_are_ice_chars_of_fixed_length(void **state)
{
	char u1[ICE_UFRAG_LEN + 1], p1[ICE_PWD_LEN + 1], u2[ICE_UFRAG_LEN + 1], p2[ICE_PWD_LEN + 1];
	const char *ok = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	(void)state;
	assert_int_equal(ice_gen_credentials(u1, p1), 0);
	assert_int_equal(ice_gen_credentials(u2, p2), 0);
	assert_int_equal(strlen(u1), ICE_UFRAG_LEN);
	assert_int_equal(strlen(p1), ICE_PWD_LEN);
	assert_true(ICE_UFRAG_LEN >= 8 && ICE_PWD_LEN >= 22);
	assert_int_equal(strspn(u1, ok), ICE_UFRAG_LEN);
	assert_int_equal(strspn(p1, ok), ICE_PWD_LEN);
	assert_string_not_equal(u1, u2);
	assert_string_not_equal(p1, p2);
}

static void test_priority_formula_rfc8445(void **state)
{
	(void)state;
	assert_int_equal(ice_priority(ICE_CAND_HOST, 65535, 1), 2130706431u);
	assert_int_equal(ice_priority(ICE_CAND_PRFLX, 0, 1), (110u << 24) + 255);
	assert_int_equal(ice_priority(ICE_CAND_SRFLX, 1, 2), (100u << 24) + 256 + 254);
	assert_int_equal(ice_priority(ICE_CAND_RELAY, 65535, 2), (65535u << 8) + 254);
}

static void test_agent_new_rejects_bad_parameters(void **state)
{
	struct ice_params p;

	(void)state;
	memset(&p, 0, sizeof(p));
	strcpy(p.local_ufrag, L_UFRAG);
	strcpy(p.local_pwd, L_PWD);
	p.ncomponents = 0;
	assert_null(ice_agent_new(&p));
	p.ncomponents = 3;
	assert_null(ice_agent_new(&p));
	p.ncomponents = 1;
	p.lite = p.controlling = true;
	assert_null(ice_agent_new(&p));
	p.controlling = false;
	strcpy(p.local_ufrag, "abc"); /* shorter than 4 */
	assert_null(ice_agent_new(&p));
	strcpy(p.local_ufrag, "abc:defg"); /* not an ice-char */
	assert_null(ice_agent_new(&p));
	strcpy(p.local_ufrag, L_UFRAG);
	strcpy(p.local_pwd, "tooshort");
	assert_null(ice_agent_new(&p));
	strcpy(p.local_pwd, L_PWD);
	struct ice_agent *a = ice_agent_new(&p);
	assert_non_null(a);
	assert_false(ice_is_controlling(a));
	assert_int_equal(ice_get_state(a), ICE_STATE_NEW);
	assert_string_equal(ice_state_name(ice_get_state(a)), "new");
	ice_agent_free(a);
}

static void test_remote_candidates_validated_and_deduplicated(void **state)
{
	struct ice_agent *a = new_agent(false, false, 1, 1);
	struct sockaddr_storage v4 = sa("192.0.2.1:5000"), v6 = sa("[2001:db8::1]:5000");
	struct sockaddr_storage zero = sa("192.0.2.1:0");
	char addr[32];

	(void)state;
	assert_int_equal(ice_add_remote_candidate(a, 2, SA(v4), 1, ICE_CAND_HOST, "1"), -1);
	assert_int_equal(ice_add_remote_candidate(a, 0, SA(v4), 1, ICE_CAND_HOST, "1"), -1);
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(zero), 1, ICE_CAND_HOST, "1"), -1);
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(v4), 1, ICE_CAND_HOST,
						  "012345678901234567890123456789012"),
			 -1);
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(v4), 1, ICE_CAND_HOST, "1"), 0);
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(v4), 1, ICE_CAND_HOST, "1"), 0);
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(v6), 1, ICE_CAND_HOST, NULL), 0);
	/* the duplicate took no slot: 30 more fit, the 33rd does not */
	for (int i = 0; i < 30; i++) {
		struct sockaddr_storage x;

		snprintf(addr, sizeof(addr), "198.51.100.%d:6000", i + 1);
		x = sa(addr);
		assert_int_equal(ice_add_remote_candidate(a, 1, SA(x), 1, ICE_CAND_HOST, "2"), 0);
	}
	struct sockaddr_storage full = sa("203.0.113.1:1");
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(full), 1, ICE_CAND_HOST, "3"), -1);
	ice_agent_free(a);
}

static void test_remote_credentials_validated(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);

	(void)state;
	assert_int_equal(ice_set_remote_credentials(a, "", R_PWD), -1);
	assert_int_equal(ice_set_remote_credentials(a, "a:b", R_PWD), -1);
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, "has space"), -1);
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	ice_agent_free(a);
}

/* ---- responder ---- */

static void test_success_response_signed_with_our_pwd_and_maps_source(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage mapped, from = sa("192.0.2.7:40000");
	struct stun_msg m;

	(void)state;
	assert_int_equal(send_req(a, &cap, &r, "192.0.2.7:40000", 100), ICE_RX_REQUEST_OK);
	assert_int_equal(cap.n, 1);
	assert_int_equal(cap.pkt[0].component, 1);
	assert_true(addr_equal(SA(cap.pkt[0].to), SA(from)));
	parse_response(&cap.pkt[0], &m, STUN_SUCCESS);
	assert_true(signed_with(&m, L_PWD));
	assert_false(signed_with(&m, R_PWD));
	assert_int_equal(
	    stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &mapped), 0);
	assert_true(addr_equal(SA(mapped), SA(from)));
	assert_int_equal(ice_get_counters(a)->requests_in, 1);
	assert_int_equal(ice_get_counters(a)->responses_out, 1);

	/* IPv6 source, and MESSAGE-INTEGRITY-SHA256 answered in kind */
	r.sha256 = true;
	from = sa("[2001:db8::7]:40001");
	assert_int_equal(send_req(a, &cap, &r, "[2001:db8::7]:40001", 200), ICE_RX_REQUEST_OK);
	parse_response(&cap.pkt[1], &m, STUN_SUCCESS);
	assert_int_equal(m.mi_idx, -1);
	assert_int_equal(stun_msg_check_integrity_sha256(&m, (const uint8_t *)L_PWD, strlen(L_PWD)),
			 0);
	assert_int_equal(
	    stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS), &mapped), 0);
	assert_true(addr_equal(SA(mapped), SA(from)));
	ice_agent_free(a);
}

static void test_request_without_fingerprint_dropped_unanswered(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct ice_io io;
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage from = sa("192.0.2.7:40000");
	uint8_t buf[512];
	size_t n;

	(void)state;
	io.ctx = &cap;
	io.send = capture_send;
	r.fingerprint = false;
	assert_int_equal(send_req(a, &cap, &r, "192.0.2.7:40000", 0), ICE_RX_DROPPED);
	/* a corrupted FINGERPRINT is no better */
	r = good_req();
	n = build_req(buf, sizeof(buf), &r);
	buf[n - 1] ^= 1;
	assert_int_equal(ice_handle_stun(a, 1, SA(from), buf, n, 0, &io), ICE_RX_DROPPED);
	/* nor is a bad request without one: no 400 either */
	r.username = NULL;
	r.fingerprint = false;
	assert_int_equal(send_req(a, &cap, &r, "192.0.2.7:40000", 0), ICE_RX_DROPPED);
	assert_int_equal(cap.n, 0);
	assert_int_equal(ice_get_counters(a)->dropped_no_fingerprint, 3);
	assert_false(ice_source_ok(a, 1, SA(from)));
	/* garbage and truncated messages are counted apart */
	assert_int_equal(ice_handle_stun(a, 1, SA(from), buf, 19, 0, &io), ICE_RX_DROPPED);
	assert_int_equal(ice_get_counters(a)->dropped_malformed, 1);
	ice_agent_free(a);
}

static void expect_error(struct ice_agent *a, const struct req *r, int code, bool is_signed)
{
	struct capture cap = {0};
	struct stun_msg m;

	assert_int_equal(send_req(a, &cap, r, "192.0.2.7:40000", 0), ICE_RX_REQUEST_ERROR);
	assert_int_equal(cap.n, 1);
	parse_response(&cap.pkt[0], &m, STUN_ERROR);
	assert_int_equal(error_code(&m), code);
	if (is_signed)
		assert_true(signed_with(&m, L_PWD));
	else
		assert_int_equal(m.mi_idx, -1);
}

static void test_missing_username_or_integrity_gets_unsigned_400(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct req r = good_req();
	struct sockaddr_storage from = sa("192.0.2.7:40000");

	(void)state;
	r.username = NULL;
	expect_error(a, &r, 400, false);
	r = good_req();
	r.key = NULL;
	expect_error(a, &r, 400, false);
	assert_false(ice_source_ok(a, 1, SA(from)));
	assert_int_equal(ice_get_counters(a)->error_responses_out, 2);
	ice_agent_free(a);
}

static void test_wrong_ufrag_or_hmac_gets_unsigned_401(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct req r = good_req();

	(void)state;
	r.username = "SomeoneElse00001:" R_UFRAG;
	expect_error(a, &r, 401, false);
	r.username = L_UFRAG "x:" R_UFRAG; /* our ufrag is only a prefix */
	expect_error(a, &r, 401, false);
	r.username = L_UFRAG; /* no remote part */
	expect_error(a, &r, 401, false);
	r = good_req();
	r.key = R_PWD; /* signed with the wrong password */
	expect_error(a, &r, 401, false);
	ice_agent_free(a);
}

static void test_unknown_required_attribute_gets_signed_420_with_list(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct stun_msg m;
	uint16_t types[4];

	(void)state;
	r.extra_attr = 0x7FFE;
	assert_int_equal(send_req(a, &cap, &r, "192.0.2.7:40000", 0), ICE_RX_REQUEST_ERROR);
	parse_response(&cap.pkt[0], &m, STUN_ERROR);
	assert_int_equal(error_code(&m), 420);
	assert_true(signed_with(&m, L_PWD));
	assert_int_equal(
	    stun_attr_unknown_list(stun_msg_find(&m, STUN_ATTR_UNKNOWN_ATTRIBUTES), types, 4), 1);
	assert_int_equal(types[0], 0x7FFE);
	/* an unknown comprehension-optional attribute is fine */
	r.extra_attr = 0xC001;
	assert_int_equal(send_req(a, &cap, &r, "192.0.2.7:40000", 0), ICE_RX_REQUEST_OK);
	ice_agent_free(a);
}

static void test_missing_priority_or_bad_role_gets_signed_400(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct req r = good_req();

	(void)state;
	r.priority = false;
	expect_error(a, &r, 400, true);
	ice_agent_free(a);
}

static void test_non_binding_request_gets_400(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct stun_msg m;

	(void)state;
	r.method = TURN_ALLOCATE;
	assert_int_equal(send_req(a, &cap, &r, "192.0.2.7:40000", 0), ICE_RX_REQUEST_ERROR);
	assert_int_equal(stun_msg_parse(&m, cap.pkt[0].buf, cap.pkt[0].len), STUN_PARSE_OK);
	assert_int_equal(m.cls, STUN_ERROR);
	assert_int_equal(error_code(&m), 400);
	ice_agent_free(a);
}

static void test_error_responses_rate_limited_to_10_per_second(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req bad = good_req(), good = good_req();
	int sent = 0;

	(void)state;
	bad.key = R_PWD;
	for (int i = 0; i < 30; i++)
		if (send_req(a, &cap, &bad, "192.0.2.7:40000", 1000) == ICE_RX_REQUEST_ERROR)
			sent++;
	assert_int_equal(sent, 10);
	assert_int_equal(ice_get_counters(a)->dropped_bad_auth_ratelimited, 20);
	/* success responses are not limited */
	cap.n = 0;
	assert_int_equal(send_req(a, &cap, &good, "192.0.2.7:40000", 1000), ICE_RX_REQUEST_OK);
	/* half a second refills five */
	sent = 0;
	cap.n = 0;
	for (int i = 0; i < 10; i++)
		if (send_req(a, &cap, &bad, "192.0.2.7:40000", 1500) == ICE_RX_REQUEST_ERROR)
			sent++;
	assert_int_equal(sent, 5);
	assert_int_equal(ice_get_counters(a)->error_responses_out, 15);
	ice_agent_free(a);
}

/* One role-conflict case: our role and tie-breaker, the request's role attribute and tie-breaker.
 */
static void role_case(bool controlling, bool lite, uint64_t our_tb, int their_role,
		      uint64_t their_tb, enum ice_rx want, bool want_controlling)
{
	struct ice_agent *a = new_agent(controlling, lite, our_tb, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct stun_msg m;

	r.role = their_role;
	r.tb = their_tb;
	assert_int_equal(send_req(a, &cap, &r, "192.0.2.7:40000", 0), want);
	assert_int_equal(ice_is_controlling(a), want_controlling);
	assert_int_equal(cap.n >= 1, 1);
	if (want == ICE_RX_REQUEST_ERROR) {
		parse_response(&cap.pkt[0], &m, STUN_ERROR);
		assert_int_equal(error_code(&m), 487);
		assert_true(signed_with(&m, L_PWD));
	} else {
		parse_response(&cap.pkt[0], &m, STUN_SUCCESS);
	}
	ice_agent_free(a);
}

static void test_role_conflict_both_controlling(void **state)
{
	(void)state;
	/* RFC 8445 §7.3.1.1: ours >= theirs: 487 and keep; else switch to controlled */
	role_case(true, false, 100, 1, 50, ICE_RX_REQUEST_ERROR, true);
	role_case(true, false, 100, 1, 100, ICE_RX_REQUEST_ERROR, true);
	role_case(true, false, 50, 1, 100, ICE_RX_REQUEST_OK, false);
	/* no conflict: they say controlled */
	role_case(true, false, 50, 2, 100, ICE_RX_REQUEST_OK, true);
}

static void test_role_conflict_both_controlled(void **state)
{
	(void)state;
	/* ours >= theirs: switch to controlling; else 487 */
	role_case(false, false, 100, 2, 50, ICE_RX_REQUEST_OK, true);
	role_case(false, false, 100, 2, 100, ICE_RX_REQUEST_OK, true);
	role_case(false, false, 50, 2, 100, ICE_RX_REQUEST_ERROR, false);
	role_case(false, false, 50, 1, 100, ICE_RX_REQUEST_OK, false);
	/* a lite agent stays controlled whatever the tie-breakers */
	role_case(false, true, UINT64_MAX, 2, 1, ICE_RX_REQUEST_ERROR, false);
	role_case(false, true, 1, 1, UINT64_MAX, ICE_RX_REQUEST_OK, false);
}

static void test_unknown_source_becomes_validated_prflx_on_lite(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage from = sa("10.1.2.3:50000"), dest, other = sa("10.1.2.3:50001");

	(void)state;
	assert_false(ice_source_ok(a, 1, SA(from)));
	assert_false(ice_media_dest(a, 1, &dest));
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 0), ICE_RX_REQUEST_OK);
	assert_true(ice_source_ok(a, 1, SA(from)));
	assert_false(ice_source_ok(a, 1, SA(other)));
	assert_false(ice_source_ok(a, 2, SA(from)));
	assert_true(ice_media_dest(a, 1, &dest));
	assert_true(addr_equal(SA(dest), SA(from)));
	assert_int_equal(ice_get_state(a), ICE_STATE_CONNECTED);
	/* USE-CANDIDATE from the controlling peer nominates it (RFC 8445 §8.2) */
	r.use_cand = true;
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 10), ICE_RX_REQUEST_OK);
	assert_int_equal(ice_get_state(a), ICE_STATE_COMPLETED);
	/* a lite agent never sends anything of its own */
	assert_int_equal(ice_tick(a, 20, &(struct ice_io){.ctx = &cap, .send = capture_send}),
			 UINT64_MAX);
	assert_int_equal(cap.n, 2);
	ice_agent_free(a);
}

static void test_lite_follows_highest_priority_nomination(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage dest, hi = sa("10.1.2.3:50000"), lo = sa("198.51.100.1:50000");

	(void)state;
	r.use_cand = true;
	r.prio = 1000;
	assert_int_equal(send_req(a, &cap, &r, "198.51.100.1:50000", 0), ICE_RX_REQUEST_OK);
	r.prio = 2000000;
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 10), ICE_RX_REQUEST_OK);
	assert_true(ice_media_dest(a, 1, &dest));
	assert_true(addr_equal(SA(dest), SA(hi)));
	assert_true(ice_source_ok(a, 1, SA(lo)));
	ice_agent_free(a);
}

static void test_full_controlled_answers_then_sends_triggered_check(void **state)
{
	struct ice_agent *a = new_agent(false, false, 7, 1);
	struct ice_io io = {.send = capture_send};
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage from = sa("10.1.2.3:50000"), local = sa("203.0.113.5:30000");
	struct stun_msg m;
	const struct stun_attr *at;
	uint32_t prio;

	(void)state;
	io.ctx = &cap;
	ice_set_local(a, 1, SA(local), ice_priority(ICE_CAND_HOST, 65535, 1));
	/* a request before the answer's credentials: answered, no check yet */
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 0), ICE_RX_REQUEST_OK);
	assert_int_equal(cap.n, 1);
	assert_int_equal(ice_get_state(a), ICE_STATE_CHECKING);
	assert_int_equal(ice_tick(a, 0, &io), UINT64_MAX);
	assert_false(ice_source_ok(a, 1, SA(from))); /* not validated by our check yet */
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	cap.now_ms = 5;
	ice_tick(a, 5, &io);
	assert_int_equal(cap.n, 2);
	assert_true(addr_equal(SA(cap.pkt[1].to), SA(from)));
	assert_int_equal(stun_msg_parse(&m, cap.pkt[1].buf, cap.pkt[1].len), STUN_PARSE_OK);
	assert_int_equal(m.cls, STUN_REQUEST);
	assert_true(stun_msg_check_fingerprint(&m));
	assert_true(signed_with(&m, R_PWD));
	at = stun_msg_find(&m, STUN_ATTR_USERNAME);
	assert_non_null(at);
	assert_int_equal(at->len, strlen(R_UFRAG ":" L_UFRAG));
	assert_memory_equal(at->val, R_UFRAG ":" L_UFRAG, at->len);
	assert_int_equal(stun_attr_u32(stun_msg_find(&m, STUN_ATTR_PRIORITY), &prio), 0);
	assert_int_equal(prio, ice_priority(ICE_CAND_PRFLX, 65535, 1));
	at = stun_msg_find(&m, STUN_ATTR_ICE_CONTROLLED);
	assert_non_null(at);
	assert_int_equal(at->len, 8);
	assert_int_equal(at->val[7], 7);
	assert_null(stun_msg_find(&m, STUN_ATTR_ICE_CONTROLLING));
	assert_null(stun_msg_find(&m, STUN_ATTR_USE_CANDIDATE));
	ice_agent_free(a);
}

/* A response to the check in pkt, built by the peer. */
static size_t build_response(const struct sent *check, enum stun_class cls, int code,
			     const char *key, uint8_t *out, size_t cap)
{
	struct stun_builder b;
	struct stun_msg m;

	assert_int_equal(stun_msg_parse(&m, check->buf, check->len), STUN_PARSE_OK);
	stun_build_start(&b, out, cap, STUN_BINDING, cls, m.tid);
	if (cls == STUN_ERROR)
		stun_put_error(&b, code, NULL);
	else
		stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, SA(check->to));
	if (key)
		stun_put_integrity(&b, (const uint8_t *)key, strlen(key));
	stun_put_fingerprint(&b);
	return stun_build_end(&b);
}

/* a learns the remote credentials and one host candidate, peer, and sends its check. */
static void send_first_check(struct ice_agent *a, const struct sockaddr_storage *peer,
			     struct ice_io *io)
{
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(*peer), 1000, ICE_CAND_HOST, "h"), 0);
	ice_tick(a, 0, io);
}

static void test_responses_validated_before_use(void **state)
{
	struct ice_agent *a = new_agent(true, false, 7, 1);
	struct ice_io io = {.send = capture_send};
	struct capture cap = {0};
	struct sockaddr_storage peer = sa("198.51.100.9:4000"), other = sa("198.51.100.9:4001");
	struct sent other_check;
	uint8_t buf[256];
	size_t n;

	(void)state;
	io.ctx = &cap;
	send_first_check(a, &peer, &io);
	assert_int_equal(cap.n, 1);
	/* unsigned, or signed with our own pwd: as if never received */
	n = build_response(&cap.pkt[0], STUN_SUCCESS, 0, NULL, buf, sizeof(buf));
	assert_int_equal(ice_handle_stun(a, 1, SA(peer), buf, n, 10, &io), ICE_RX_DROPPED);
	n = build_response(&cap.pkt[0], STUN_ERROR, 400, L_PWD, buf, sizeof(buf));
	assert_int_equal(ice_handle_stun(a, 1, SA(peer), buf, n, 10, &io), ICE_RX_DROPPED);
	assert_int_equal(ice_get_counters(a)->dropped_bad_integrity, 2);
	assert_false(ice_source_ok(a, 1, SA(peer)));
	/* an unknown transaction */
	other_check = cap.pkt[0];
	other_check.buf[19] ^= 0xFF;
	n = build_response(&other_check, STUN_SUCCESS, 0, R_PWD, buf, sizeof(buf));
	assert_int_equal(ice_handle_stun(a, 1, SA(peer), buf, n, 10, &io), ICE_RX_DROPPED);
	assert_int_equal(ice_get_counters(a)->unknown_responses, 1);
	/* RFC 8445 §7.2.5.2.1: from another address, the pair fails */
	n = build_response(&cap.pkt[0], STUN_SUCCESS, 0, R_PWD, buf, sizeof(buf));
	assert_int_equal(ice_handle_stun(a, 1, SA(other), buf, n, 10, &io), ICE_RX_RESPONSE);
	assert_false(ice_source_ok(a, 1, SA(peer)));
	assert_int_equal(ice_get_state(a), ICE_STATE_FAILED);
	/* the same response again: its transaction is over */
	assert_int_equal(ice_handle_stun(a, 1, SA(peer), buf, n, 10, &io), ICE_RX_DROPPED);
	ice_agent_free(a);
}

static void test_error_response_other_than_487_fails_pair(void **state)
{
	struct ice_agent *a = new_agent(true, false, 7, 1);
	struct ice_io io = {.send = capture_send};
	struct capture cap = {0};
	struct sockaddr_storage peer = sa("198.51.100.9:4000");
	uint8_t buf[256];
	size_t n;

	(void)state;
	io.ctx = &cap;
	send_first_check(a, &peer, &io);
	n = build_response(&cap.pkt[0], STUN_ERROR, 401, R_PWD, buf, sizeof(buf));
	assert_int_equal(ice_handle_stun(a, 1, SA(peer), buf, n, 10, &io), ICE_RX_RESPONSE);
	assert_int_equal(ice_get_state(a), ICE_STATE_FAILED);
	assert_int_equal(ice_tick(a, 10, &io), UINT64_MAX);
	ice_agent_free(a);
}

static void test_use_candidate_nominates_once_triggered_check_succeeds(void **state)
{
	struct ice_agent *a = new_agent(false, false, 7, 1);
	struct ice_io io = {.send = capture_send};
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage from = sa("10.1.2.3:50000"), dest;
	uint8_t buf[256];
	size_t n;

	(void)state;
	io.ctx = &cap;
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	/* the browser's mDNS host candidate was never added: the request makes it prflx */
	r.use_cand = true;
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 0), ICE_RX_REQUEST_OK);
	assert_int_equal(cap.n, 2); /* the response, then the triggered check at once */
	assert_true(addr_equal(SA(cap.pkt[1].to), SA(from)));
	assert_int_equal(ice_get_state(a), ICE_STATE_CHECKING);
	assert_false(ice_media_dest(a, 1, &dest));
	n = build_response(&cap.pkt[1], STUN_SUCCESS, 0, R_PWD, buf, sizeof(buf));
	assert_int_equal(ice_handle_stun(a, 1, SA(from), buf, n, 30, &io), ICE_RX_RESPONSE);
	assert_int_equal(ice_get_state(a), ICE_STATE_COMPLETED);
	assert_true(ice_source_ok(a, 1, SA(from)));
	assert_true(ice_media_dest(a, 1, &dest));
	assert_true(addr_equal(SA(dest), SA(from)));
	assert_int_equal(ice_get_counters(a)->responses_in, 1);
	ice_agent_free(a);
}

static void test_ice_restart_resets_pairs_prflx_and_nomination(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage from = sa("10.1.2.3:50000"), dest;

	(void)state;
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	r.use_cand = true;
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 0), ICE_RX_REQUEST_OK);
	assert_int_equal(ice_get_state(a), ICE_STATE_COMPLETED);
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	assert_int_equal(ice_get_state(a), ICE_STATE_COMPLETED);
	assert_int_equal(ice_set_remote_credentials(a, "new1", R_PWD), 1);
	assert_int_equal(ice_get_state(a), ICE_STATE_NEW);
	assert_false(ice_source_ok(a, 1, SA(from)));
	assert_false(ice_media_dest(a, 1, &dest));
	assert_false(ice_consent_expired(a, 1000000));
	/* our side restarts too: the old ufrag is refused */
	assert_int_equal(ice_set_local_credentials(a, "NewLocalUfrag002", L_PWD), 0);
	assert_int_equal(ice_set_local_credentials(a, "x", L_PWD), -1);
	r.username = L_UFRAG ":new1";
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 5), ICE_RX_REQUEST_ERROR);
	r.username = "NewLocalUfrag002:new1";
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 5), ICE_RX_REQUEST_OK);
	assert_int_equal(ice_get_state(a), ICE_STATE_COMPLETED);
	ice_agent_free(a);
}

static void test_signalled_prflx_keeps_its_validation(void **state)
{
	struct ice_agent *a = new_agent(false, true, 1, 1);
	struct capture cap = {0};
	struct req r = good_req();
	struct sockaddr_storage from = sa("10.1.2.3:50000");

	(void)state;
	assert_int_equal(ice_set_remote_credentials(a, R_UFRAG, R_PWD), 0);
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 0), ICE_RX_REQUEST_OK);
	/* trickled later as srflx: now a signalled candidate, it survives a restart */
	assert_int_equal(ice_add_remote_candidate(a, 1, SA(from), 100, ICE_CAND_SRFLX, "s1"), 0);
	assert_true(ice_source_ok(a, 1, SA(from)));
	assert_int_equal(ice_set_remote_credentials(a, "new1", R_PWD), 1);
	assert_false(ice_source_ok(a, 1, SA(from)));
	assert_int_equal(send_req(a, &cap, &r, "10.1.2.3:50000", 5), ICE_RX_REQUEST_OK);
	assert_true(ice_source_ok(a, 1, SA(from)));
	ice_agent_free(a);
}

/* ---- two agents over an in-memory network ---- */

struct node;

struct net {
	struct node *nodes[2];
	struct sent q[256];
	int nq;
	uint64_t now_ms;
	bool drop_to[2];  /* lose every datagram sent to this node */
	int checks_to[2]; /* STUN requests delivered to each node */
};

struct node {
	struct net *net;
	int id;
	struct ice_agent *a;
	struct sockaddr_storage addr[2];
	struct ice_io io;
	uint64_t next_ms;
	/* send times of requests to 'watch' */
	struct sockaddr_storage watch;
	uint64_t watch_ms[16];
	int nwatch;
};

static int net_send(void *ctx, int component, const struct sockaddr *to, const uint8_t *buf,
		    size_t len)
{
	struct node *n = ctx;
	struct net *net = n->net;
	struct sent *s;

	assert_true(net->nq < 256);
	if (addr_equal(to, SA(n->watch)) &&
	    stun_type_class((uint16_t)(buf[0] << 8 | buf[1])) == STUN_REQUEST && n->nwatch < 16)
		n->watch_ms[n->nwatch++] = net->now_ms;
	s = &net->q[net->nq++];
	s->component = component;
	memset(&s->to, 0, sizeof(s->to));
	memcpy(&s->to, to, addr_len(to));
	memcpy(s->buf, buf, len);
	s->len = len;
	s->at_ms = (uint64_t)n->id; /* the sender */
	return 0;
}

static void node_init(struct net *net, struct node *n, int id, struct ice_agent *a, const char *rtp,
		      const char *rtcp)
{
	memset(n, 0, sizeof(*n));
	n->net = net;
	n->id = id;
	n->a = a;
	n->addr[0] = sa(rtp);
	n->addr[1] = sa(rtcp);
	n->io.ctx = n;
	n->io.send = net_send;
	net->nodes[id] = n;
	ice_set_local(a, 1, SA(n->addr[0]), ice_priority(ICE_CAND_HOST, 65535, 1));
	ice_set_local(a, 2, SA(n->addr[1]), ice_priority(ICE_CAND_HOST, 65535, 2));
}

/* Each node learns the other's credentials and its local candidates. */
static void node_exchange(struct node *x, struct node *y, const char *x_ufrag, const char *x_pwd,
			  int ncomp)
{
	assert_int_equal(ice_set_remote_credentials(y->a, x_ufrag, x_pwd), 0);
	for (int c = 1; c <= ncomp; c++)
		assert_int_equal(ice_add_remote_candidate(y->a, c, SA(x->addr[c - 1]),
							  ice_priority(ICE_CAND_HOST, 65535, c),
							  ICE_CAND_HOST, "hostx"),
				 0);
}

static void net_deliver(struct net *net)
{
	for (int i = 0; i < net->nq; i++) {
		struct sent *s = &net->q[i];
		struct node *from = net->nodes[s->at_ms];

		for (int d = 0; d < 2; d++) {
			struct node *to = net->nodes[d];

			if (!to || d == (int)s->at_ms || net->drop_to[d] ||
			    !addr_equal(SA(s->to), SA(to->addr[s->component - 1])))
				continue;
			if (stun_type_class((uint16_t)(s->buf[0] << 8 | s->buf[1])) == STUN_REQUEST)
				net->checks_to[d]++;
			ice_handle_stun(to->a, s->component, SA(from->addr[s->component - 1]),
					s->buf, s->len, net->now_ms, &to->io);
		}
	}
	net->nq = 0;
}

/* Runs the loop (ticks, deliveries at the same instant, then the next timer) until until_ms. */
static void net_run(struct net *net, uint64_t until_ms)
{
	for (;;) {
		uint64_t next = UINT64_MAX;
		int rounds = 0;

		do {
			assert_true(++rounds < 100);
			for (int i = 0; i < 2; i++)
				if (net->nodes[i])
					net->nodes[i]->next_ms = ice_tick(
					    net->nodes[i]->a, net->now_ms, &net->nodes[i]->io);
			if (!net->nq)
				break;
			net_deliver(net);
		} while (1);
		for (int i = 0; i < 2; i++)
			if (net->nodes[i] && net->nodes[i]->next_ms < next)
				next = net->nodes[i]->next_ms;
		assert_true(next > net->now_ms);
		if (next > until_ms) {
			net->now_ms = until_ms;
			return;
		}
		net->now_ms = next;
	}
}

#define A_UFRAG "AgentAufrag00001"
#define A_PWD "AgentApassword0123456789"
#define B_UFRAG "AgentBufrag00002"
#define B_PWD "AgentBpassword0123456789"

struct pair_setup {
	struct net net;
	struct node na, nb;
};

static void setup_pair(struct pair_setup *s, bool b_controlling, bool b_lite, int ncomp)
{
	memset(s, 0, sizeof(*s));
	node_init(&s->net, &s->na, 0, agent_creds(true, false, 100, ncomp, A_UFRAG, A_PWD),
		  "192.0.2.1:10000", "192.0.2.1:10001");
	node_init(&s->net, &s->nb, 1,
		  agent_creds(b_controlling, b_lite, 200, ncomp, B_UFRAG, B_PWD),
		  "198.51.100.2:20000", "198.51.100.2:20001");
	node_exchange(&s->na, &s->nb, A_UFRAG, A_PWD, ncomp);
	node_exchange(&s->nb, &s->na, B_UFRAG, B_PWD, ncomp);
}

/* A pair set up as setup_pair() does, run until ms: both agents completed. */
static void setup_completed_pair(struct pair_setup *s, bool b_lite, int ncomp, uint64_t ms)
{
	setup_pair(s, false, b_lite, ncomp);
	net_run(&s->net, ms);
	assert_int_equal(ice_get_state(s->na.a), ICE_STATE_COMPLETED);
	assert_int_equal(ice_get_state(s->nb.a), ICE_STATE_COMPLETED);
}

static void teardown_pair(struct pair_setup *s)
{
	ice_agent_free(s->na.a);
	ice_agent_free(s->nb.a);
}

static void assert_dest(struct ice_agent *a, int component, const struct sockaddr_storage *want)
{
	struct sockaddr_storage to;

	assert_true(ice_media_dest(a, component, &to));
	assert_true(addr_equal(SA(to), SA(*want)));
}

static void test_full_controlling_and_full_controlled_complete(void **state)
{
	struct pair_setup s;

	(void)state;
	setup_completed_pair(&s, false, 1, 2000);
	assert_true(ice_is_controlling(s.na.a));
	assert_false(ice_is_controlling(s.nb.a));
	assert_dest(s.na.a, 1, &s.nb.addr[0]);
	assert_dest(s.nb.a, 1, &s.na.addr[0]);
	assert_true(ice_source_ok(s.na.a, 1, SA(s.nb.addr[0])));
	assert_true(ice_source_ok(s.nb.a, 1, SA(s.na.addr[0])));
	assert_int_equal(ice_get_counters(s.na.a)->role_conflicts, 0);
	assert_true(ice_get_counters(s.na.a)->responses_in >= 2); /* a check, then USE-CANDIDATE */
	teardown_pair(&s);
}

static void test_full_controlling_and_lite_complete_both_components(void **state)
{
	struct pair_setup s;

	(void)state;
	setup_completed_pair(&s, true, 2, 2000);
	for (int c = 1; c <= 2; c++) {
		assert_dest(s.na.a, c, &s.nb.addr[c - 1]);
		assert_dest(s.nb.a, c, &s.na.addr[c - 1]);
	}
	/* the lite agent sent nothing but responses */
	assert_int_equal(ice_get_counters(s.nb.a)->checks_out, 0);
	assert_int_equal(s.net.checks_to[0], 0);
	teardown_pair(&s);
}

/* The party accepted rtcp-mux after the agent was made with two components. */
static void test_lite_agent_reduced_to_one_component_completes(void **state)
{
	struct pair_setup s;

	(void)state;
	memset(&s, 0, sizeof(s));
	node_init(&s.net, &s.na, 0, agent_creds(true, false, 100, 1, A_UFRAG, A_PWD),
		  "192.0.2.1:10000", "192.0.2.1:10001");
	node_init(&s.net, &s.nb, 1, agent_creds(false, true, 200, 2, B_UFRAG, B_PWD),
		  "198.51.100.2:20000", "198.51.100.2:20001");
	node_exchange(&s.na, &s.nb, A_UFRAG, A_PWD, 1);
	node_exchange(&s.nb, &s.na, B_UFRAG, B_PWD, 1);
	net_run(&s.net, 2000);
	assert_int_equal(ice_get_state(s.na.a), ICE_STATE_COMPLETED);
	/* component 2 never gets a check: two components never complete */
	assert_int_not_equal(ice_get_state(s.nb.a), ICE_STATE_COMPLETED);
	assert_int_equal(ice_set_components(s.nb.a, 3), -1);
	assert_int_equal(ice_set_components(s.nb.a, 0), -1);
	assert_int_equal(ice_set_components(s.nb.a, 1), 0);
	assert_int_equal(ice_get_state(s.nb.a), ICE_STATE_COMPLETED);
	assert_dest(s.nb.a, 1, &s.na.addr[0]);
	assert_false(ice_media_dest(s.nb.a, 2, &s.nb.addr[1]));
	teardown_pair(&s);
}

static void test_nomination_waits_for_better_pair_then_takes_valid_one(void **state)
{
	struct pair_setup s;
	struct sockaddr_storage dead = sa("10.9.9.9:20000");

	(void)state;
	setup_pair(&s, false, true, 1);
	/* a better candidate of B that nobody answers */
	assert_int_equal(ice_add_remote_candidate(s.na.a, 1, SA(dead),
						  ice_priority(ICE_CAND_HOST, 65535, 1) + 256,
						  ICE_CAND_HOST, "hosty"),
			 0);
	net_run(&s.net, ICE_NOMINATION_WAIT_MS - 100);
	assert_int_equal(ice_get_state(s.na.a), ICE_STATE_CONNECTED);
	assert_int_equal(ice_get_state(s.nb.a), ICE_STATE_CONNECTED);
	assert_dest(s.na.a, 1, &s.nb.addr[0]); /* early media on the valid pair */
	net_run(&s.net, ICE_NOMINATION_WAIT_MS + 200);
	assert_int_equal(ice_get_state(s.na.a), ICE_STATE_COMPLETED);
	assert_int_equal(ice_get_state(s.nb.a), ICE_STATE_COMPLETED);
	assert_dest(s.na.a, 1, &s.nb.addr[0]);
	teardown_pair(&s);
}

static void test_checks_paced_by_ta(void **state)
{
	struct pair_setup s;
	char addr[32];

	(void)state;
	setup_pair(&s, false, true, 1);
	s.net.drop_to[1] = true;
	s.na.watch = sa("10.9.9.1:1");
	for (int i = 1; i <= 3; i++) {
		struct sockaddr_storage x;
		char foundation[16];

		snprintf(addr, sizeof(addr), "10.9.9.%d:1", i);
		snprintf(foundation, sizeof(foundation), "f%d", i);
		x = sa(addr);
		/* distinct foundations: all start Waiting */
		assert_int_equal(ice_add_remote_candidate(s.na.a, 1, SA(x),
							  2000000000u - (uint32_t)i, ICE_CAND_HOST,
							  foundation),
				 0);
	}
	net_run(&s.net, 140);
	/* one new check per Ta (50 ms): at 0, 50, 100, then 150 */
	assert_int_equal(ice_get_counters(s.na.a)->checks_out, 3);
	net_run(&s.net, 150);
	assert_int_equal(ice_get_counters(s.na.a)->checks_out, 4);
	teardown_pair(&s);
}

static void test_retransmissions_follow_rto_then_pair_fails(void **state)
{
	static const uint64_t want[ICE_CHECK_MAX_TX] = {0, 500, 1500, 3100, 4700, 6300, 7900};
	struct pair_setup s;

	(void)state;
	setup_pair(&s, false, true, 1);
	s.net.drop_to[1] = true; /* B never hears anything */
	s.na.watch = s.nb.addr[0];
	net_run(&s.net, 9499);
	assert_int_equal(s.na.nwatch, ICE_CHECK_MAX_TX);
	for (int i = 0; i < ICE_CHECK_MAX_TX; i++)
		assert_int_equal(s.na.watch_ms[i], want[i]);
	assert_int_equal(ice_get_state(s.na.a), ICE_STATE_CHECKING);
	net_run(&s.net, 9500);
	assert_int_equal(ice_get_state(s.na.a), ICE_STATE_FAILED);
	/* bounded: nothing more to do, ever */
	assert_int_equal(ice_tick(s.na.a, 9500, &s.na.io), UINT64_MAX);
	assert_int_equal(s.na.nwatch, ICE_CHECK_MAX_TX);
	teardown_pair(&s);
}

static void test_487_response_switches_role_and_retries(void **state)
{
	struct net net;
	struct node na, nb;

	(void)state;
	memset(&net, 0, sizeof(net));
	/* both controlling; B's tie-breaker wins; B knows no candidates of A */
	node_init(&net, &na, 0, agent_creds(true, false, 100, 1, A_UFRAG, A_PWD), "192.0.2.1:10000",
		  "192.0.2.1:10001");
	node_init(&net, &nb, 1, agent_creds(true, false, 200, 1, B_UFRAG, B_PWD),
		  "198.51.100.2:20000", "198.51.100.2:20001");
	node_exchange(&nb, &na, B_UFRAG, B_PWD, 1);
	assert_int_equal(ice_set_remote_credentials(nb.a, A_UFRAG, A_PWD), 0);

	net_run(&net, 2000);
	assert_false(ice_is_controlling(na.a));
	assert_true(ice_is_controlling(nb.a));
	assert_int_equal(ice_get_counters(na.a)->role_conflicts, 1);
	assert_int_equal(ice_get_counters(nb.a)->role_conflicts, 1);
	assert_int_equal(ice_get_counters(nb.a)->error_responses_out, 1);
	assert_int_equal(ice_get_state(na.a), ICE_STATE_COMPLETED);
	assert_int_equal(ice_get_state(nb.a), ICE_STATE_COMPLETED);
	assert_dest(na.a, 1, &nb.addr[0]);
	assert_dest(nb.a, 1, &na.addr[0]); /* through B's peer-reflexive candidate */
	ice_agent_free(na.a);
	ice_agent_free(nb.a);
}

static void test_consent_checks_keep_pair_then_expire_after_silence(void **state)
{
	struct pair_setup s;
	uint64_t checks, cut, next;

	(void)state;
	setup_completed_pair(&s, false, 1, 2000);
	checks = ice_get_counters(s.na.a)->checks_out;
	net_run(&s.net, 62000);
	/* RFC 7675: one every 4 to 6 s, and consent stays fresh */
	assert_in_range(ice_get_counters(s.na.a)->checks_out - checks, 10, 15);
	assert_false(ice_consent_expired(s.na.a, s.net.now_ms));
	assert_false(ice_consent_expired(s.nb.a, s.net.now_ms));
	/* silence both ways: consent expires 30 s after the last response at most */
	cut = s.net.now_ms;
	s.net.drop_to[0] = s.net.drop_to[1] = true;
	net_run(&s.net, cut + 23000);
	assert_false(ice_consent_expired(s.na.a, s.net.now_ms));
	net_run(&s.net, cut + 30000);
	assert_true(ice_consent_expired(s.na.a, s.net.now_ms));
	assert_true(ice_consent_expired(s.nb.a, s.net.now_ms));
	/* still bounded: consent checks go on at their pace, nothing else */
	next = ice_tick(s.na.a, s.net.now_ms, &s.na.io);
	assert_true(next > s.net.now_ms && next <= s.net.now_ms + 6000);
	teardown_pair(&s);
}

static void test_lite_consent_expires_when_requests_stop(void **state)
{
	struct pair_setup s;

	(void)state;
	setup_completed_pair(&s, true, 1, 20000);
	assert_false(ice_consent_expired(s.nb.a, s.net.now_ms));
	s.net.drop_to[1] = true;
	net_run(&s.net, 20000 + 23000);
	assert_false(ice_consent_expired(s.nb.a, s.net.now_ms));
	net_run(&s.net, 20000 + 30000);
	assert_true(ice_consent_expired(s.nb.a, s.net.now_ms));
	teardown_pair(&s);
}

static void test_restart_of_full_agents_completes_again(void **state)
{
	struct pair_setup s;

	(void)state;
	setup_completed_pair(&s, false, 1, 2000);
	/* B restarts: new local credentials, which A learns */
	assert_int_equal(ice_set_local_credentials(s.nb.a, "AgentBufrag00003", B_PWD), 0);
	assert_int_equal(ice_set_remote_credentials(s.na.a, "AgentBufrag00003", B_PWD), 1);
	assert_int_equal(ice_get_state(s.na.a), ICE_STATE_NEW);
	net_run(&s.net, 4000);
	assert_int_equal(ice_get_state(s.na.a), ICE_STATE_COMPLETED);
	assert_int_equal(ice_get_state(s.nb.a), ICE_STATE_COMPLETED);
	assert_dest(s.na.a, 1, &s.nb.addr[0]);
	teardown_pair(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_credentials_are_ice_chars_of_fixed_length),
	    cmocka_unit_test(test_priority_formula_rfc8445),
	    cmocka_unit_test(test_agent_new_rejects_bad_parameters),
	    cmocka_unit_test(test_remote_candidates_validated_and_deduplicated),
	    cmocka_unit_test(test_remote_credentials_validated),
	    cmocka_unit_test(test_success_response_signed_with_our_pwd_and_maps_source),
	    cmocka_unit_test(test_request_without_fingerprint_dropped_unanswered),
	    cmocka_unit_test(test_missing_username_or_integrity_gets_unsigned_400),
	    cmocka_unit_test(test_wrong_ufrag_or_hmac_gets_unsigned_401),
	    cmocka_unit_test(test_unknown_required_attribute_gets_signed_420_with_list),
	    cmocka_unit_test(test_missing_priority_or_bad_role_gets_signed_400),
	    cmocka_unit_test(test_non_binding_request_gets_400),
	    cmocka_unit_test(test_error_responses_rate_limited_to_10_per_second),
	    cmocka_unit_test(test_role_conflict_both_controlling),
	    cmocka_unit_test(test_role_conflict_both_controlled),
	    cmocka_unit_test(test_unknown_source_becomes_validated_prflx_on_lite),
	    cmocka_unit_test(test_lite_follows_highest_priority_nomination),
	    cmocka_unit_test(test_full_controlled_answers_then_sends_triggered_check),
	    cmocka_unit_test(test_responses_validated_before_use),
	    cmocka_unit_test(test_error_response_other_than_487_fails_pair),
	    cmocka_unit_test(test_use_candidate_nominates_once_triggered_check_succeeds),
	    cmocka_unit_test(test_ice_restart_resets_pairs_prflx_and_nomination),
	    cmocka_unit_test(test_signalled_prflx_keeps_its_validation),
	    cmocka_unit_test(test_full_controlling_and_full_controlled_complete),
	    cmocka_unit_test(test_full_controlling_and_lite_complete_both_components),
	    cmocka_unit_test(test_lite_agent_reduced_to_one_component_completes),
	    cmocka_unit_test(test_nomination_waits_for_better_pair_then_takes_valid_one),
	    cmocka_unit_test(test_checks_paced_by_ta),
	    cmocka_unit_test(test_retransmissions_follow_rto_then_pair_fails),
	    cmocka_unit_test(test_487_response_switches_role_and_retries),
	    cmocka_unit_test(test_consent_checks_keep_pair_then_expire_after_silence),
	    cmocka_unit_test(test_lite_consent_expires_when_requests_stop),
	    cmocka_unit_test(test_restart_of_full_agents_completes_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
