/*
 * itest_turn.c - turnserver end to end over loopback: Binding over UDP and
 * TCP on IPv4 and IPv6; long-term credentials (401 challenge, wrong and
 * unknown users, nonces bound to the client address, SHA-256, USERHASH,
 * 441); Allocate and its attributes (transport, families, EVEN-PORT,
 * reservations, DONT-FRAGMENT, unknown attributes); retransmissions and
 * 437; Refresh and lifetimes; malformed input.
 *
 * Two servers: "dual" relays on 127.0.0.1 and ::1 with
 * --max-allocate-lifetime 1200; "v4" relays on 127.0.0.1 only.
 */
#include "integration/harness.h"

#define MAX_LIFETIME 1200
#define DEFAULT_LIFETIME 600 /* RFC 8656 §3.4 */

static struct tserver dual, v4;

static const char *const dual_flags[] = {"--relay-ip=127.0.0.1", "--relay-ip=::1",
					 "--max-allocate-lifetime=1200", NULL};
static const char *const v4_flags[] = {"--relay-ip=127.0.0.1", NULL};

static const struct tserver_spec servers[] = {
    {&dual, 64, dual_flags},
    {&v4, 4, v4_flags},
};

TSERVER_GROUP(servers)

static void open_client(struct turnc *cl, const struct tserver *s, bool tcp)
{
	h_connect(cl, &s->v4, tcp);
}

/* Binding */

static void check_binding(const struct sockaddr_storage *server, bool tcp)
{
	struct sockaddr_storage mapped;
	struct turnc cl;

	assert_int_equal(h_open(&cl, server, NULL, tcp), 0);
	assert_code(h_binding(&cl), 0);
	assert_int_equal(h_xor_addr(&cl, STUN_ATTR_XOR_MAPPED_ADDRESS, 0, &mapped), 0);
	h_assert_addr_equal(&mapped, &cl.local);
	h_close(&cl);
}

static void test_binding_udp_ipv4_maps_client_address(void **state)
{
	(void)state;
	check_binding(&dual.v4, false);
}

static void test_binding_udp_ipv6_maps_client_address(void **state)
{
	(void)state;
	check_binding(&dual.v6, false);
}

static void test_binding_tcp_ipv4_maps_client_address(void **state)
{
	(void)state;
	check_binding(&dual.v4, true);
}

static void test_binding_tcp_ipv6_maps_client_address(void **state)
{
	(void)state;
	check_binding(&dual.v6, true);
}

/* Authentication (RFC 8489 §9.2) */

static bool pw_algs_has(const struct stun_attr *a, uint16_t alg)
{
	for (size_t off = 0; a && off + 4 <= a->len;) {
		uint16_t plen = wire_get16(a->val + off + 2);

		if (wire_get16(a->val + off) == alg)
			return true;
		off += 4 + wire_pad4(plen);
	}
	return false;
}

static void test_allocate_without_credentials_gets_401_challenge(void **state)
{
	const bool tcp = h_tcp(state);
	struct turnc_req q = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	const struct stun_attr *realm, *nonce, *algs;
	uint32_t features = 0;
	struct turnc cl;

	open_client(&cl, &dual, tcp);
	assert_code(turnc_request(&cl, &q), STUN_ERR_UNAUTHORIZED);
	realm = h_attr(&cl, STUN_ATTR_REALM);
	nonce = h_attr(&cl, STUN_ATTR_NONCE);
	algs = h_attr(&cl, STUN_ATTR_PASSWORD_ALGORITHMS);
	assert_non_null(realm);
	assert_int_equal(realm->len, strlen(H_REALM));
	assert_memory_equal(realm->val, H_REALM, realm->len);
	assert_non_null(nonce);
	assert_true(nonce->len > STUN_NONCE_COOKIE_LEN);
	assert_memory_equal(nonce->val, STUN_NONCE_COOKIE, strlen(STUN_NONCE_COOKIE));
	assert_int_equal(stun_nonce_cookie_features(nonce->val, nonce->len, &features), 0);
	assert_true(features & STUN_FEATURE_PASSWORD_ALGORITHMS);
	assert_non_null(algs);
	assert_true(pw_algs_has(algs, STUN_PW_ALG_MD5));
	assert_true(pw_algs_has(algs, STUN_PW_ALG_SHA256));
	assert_true(h_resp(&cl)->mi_idx < 0 && h_resp(&cl)->mi256_idx < 0);
	h_close(&cl);
}

static void test_allocate_with_credentials_succeeds(void **state)
{
	const bool tcp = h_tcp(state);
	struct sockaddr_storage relayed, mapped;
	struct turnc cl;

	open_client(&cl, &dual, tcp);
	assert_code(h_allocate(&cl), 0);
	assert_true(cl.resp_signed);
	assert_false(cl.resp_sha256);
	assert_int_equal(h_count(&cl, STUN_ATTR_XOR_RELAYED_ADDRESS), 1);
	relayed = h_relayed(&cl, 0);
	h_assert_relayed(&relayed, "127.0.0.1", &dual);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), DEFAULT_LIFETIME);
	assert_int_equal(h_xor_addr(&cl, STUN_ATTR_XOR_MAPPED_ADDRESS, 0, &mapped), 0);
	h_assert_addr_equal(&mapped, &cl.local);
	h_close(&cl);
}

static void test_allocate_with_wrong_password_gets_401(void **state)
{
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	turnc_set_auth(&cl, H_USER, "not-the-password", NULL);
	assert_code(h_allocate(&cl), STUN_ERR_UNAUTHORIZED);
	assert_non_null(h_attr(&cl, STUN_ATTR_NONCE));
	assert_non_null(h_attr(&cl, STUN_ATTR_REALM));
	/* the right password still works on the same 5-tuple */
	turnc_set_auth(&cl, H_USER, H_PASS, NULL);
	assert_code(h_allocate(&cl), 0);
	h_close(&cl);
}

static void test_allocate_with_unknown_user_gets_401(void **state)
{
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	turnc_set_auth(&cl, "mallory", H_PASS, NULL);
	assert_code(h_allocate(&cl), STUN_ERR_UNAUTHORIZED);
	assert_non_null(h_attr(&cl, STUN_ATTR_NONCE));
	h_close(&cl);
}

/* RFC 8489 §9.2.4: a nonce given to 127.0.0.2 is stale when 127.0.0.1 uses it. */
static void test_nonce_from_another_address_gets_438(void **state)
{
	struct turnc_req probe = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	const struct stun_attr *fresh;
	struct turnc other, cl;

	(void)state;
	assert_int_equal(h_open(&other, &dual.v4, "127.0.0.2", false), 0);
	assert_code(turnc_request(&other, &probe), STUN_ERR_UNAUTHORIZED);
	h_take_challenge(&other);

	assert_int_equal(h_open(&cl, &dual.v4, "127.0.0.1", false), 0);
	memcpy(cl.realm, other.realm, sizeof(cl.realm));
	memcpy(cl.nonce, other.nonce, other.nonce_len);
	cl.nonce_len = other.nonce_len;
	cl.no_retry = true;
	assert_code(h_allocate(&cl), STUN_ERR_STALE_NONCE);
	fresh = h_attr(&cl, STUN_ATTR_NONCE);
	assert_non_null(fresh);
	assert_memory_equal(fresh->val, STUN_NONCE_COOKIE, strlen(STUN_NONCE_COOKIE));
	assert_non_null(h_attr(&cl, STUN_ATTR_REALM));
	h_take_challenge(&cl);
	assert_code(h_allocate(&cl), 0);
	/* and the other address's own nonce works for it */
	assert_code(h_allocate(&other), 0);
	h_close(&cl);
	h_close(&other);
}

/* RFC 8489 §9.2.3.2, §14.6: SHA-256 keys and MESSAGE-INTEGRITY-SHA256. */
static void test_allocate_with_sha256_is_signed_with_sha256(void **state)
{
	struct turnc_req q = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_SHA256, .transport = TURN_TRANSPORT_UDP};
	struct sockaddr_storage relayed;
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(turnc_request(&cl, &q), 0);
	assert_int_equal(cl.key_len, 32);
	assert_true(cl.resp_sha256);
	assert_true(cl.resp_signed);
	assert_true(h_resp(&cl)->mi_idx < 0);
	relayed = h_relayed(&cl, 0);
	h_assert_relayed(&relayed, "127.0.0.1", &dual);
	/* a later SHA-256 request is answered the same way */
	q.method = TURN_REFRESH;
	q.transport = 0;
	assert_code(turnc_request(&cl, &q), 0);
	assert_true(cl.resp_sha256 && cl.resp_signed);
	h_close(&cl);
}

/* RFC 8489 §14.4: USERHASH in place of USERNAME. */
static void test_allocate_with_userhash_succeeds(void **state)
{
	struct turnc_req q = {
	    .method = TURN_ALLOCATE, .auth = TURNC_AUTH_USERHASH, .transport = TURN_TRANSPORT_UDP};
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(turnc_request(&cl, &q), 0);
	assert_true(cl.resp_signed);
	assert_null(h_attr(&cl, STUN_ATTR_ERROR_CODE));
	h_close(&cl);
}

/* RFC 8656 §5: later requests must come from the allocation's user. */
static void test_refresh_by_another_user_gets_441(void **state)
{
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_allocate(&cl), 0);
	turnc_set_auth(&cl, H_USER2, H_PASS2, NULL);
	assert_code(h_refresh(&cl, DEFAULT_LIFETIME), TURN_ERR_WRONG_CREDENTIALS);
	turnc_set_auth(&cl, H_USER, H_PASS, NULL);
	assert_code(h_refresh(&cl, DEFAULT_LIFETIME), 0);
	h_close(&cl);
}

/* Transactions (RFC 8656 §6.2) */

static void test_retransmitted_allocate_gets_identical_answer(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ};
	struct turnc_req probe = {.method = TURN_ALLOCATE, .transport = TURN_TRANSPORT_UDP};
	uint8_t req[1500], first[2048];
	size_t len, first_len;
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(turnc_request(&cl, &probe), STUN_ERR_UNAUTHORIZED);
	h_take_challenge(&cl);
	len = turnc_build(&cl, &q, req, sizeof(req));
	assert_true(len > 0);
	assert_code(turnc_request_raw(&cl, req, len), 0);
	cl.allocated = true;
	first_len = cl.resp_len;
	memcpy(first, cl.resp, first_len);
	assert_code(turnc_request_raw(&cl, req, len), 0);
	assert_int_equal(cl.resp_len, first_len);
	assert_memory_equal(cl.resp, first, first_len);
	h_close(&cl);
}

static void test_second_allocate_on_same_5tuple_gets_437(void **state)
{
	const bool tcp = h_tcp(state);
	struct turnc cl;

	open_client(&cl, &dual, tcp);
	assert_code(h_allocate(&cl), 0);
	assert_code(h_allocate(&cl), TURN_ERR_ALLOCATION_MISMATCH);
	assert_true(cl.resp_signed);
	h_close(&cl);
}

/* Refresh and lifetimes (RFC 8656 §7) */

static void test_refresh_with_zero_lifetime_deletes_allocation(void **state)
{
	struct sockaddr_storage peer = h_addr("203.0.113.5", 9);
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_allocate(&cl), 0);
	assert_code(h_refresh(&cl, 0), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), 0);
	assert_code(h_refresh(&cl, DEFAULT_LIFETIME), TURN_ERR_ALLOCATION_MISMATCH);
	assert_code(h_permission(&cl, &peer), TURN_ERR_ALLOCATION_MISMATCH);
	/* the 5-tuple is free again */
	assert_code(h_allocate(&cl), 0);
	h_close(&cl);
}

static void test_refresh_without_allocation_gets_437(void **state)
{
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_refresh(&cl, DEFAULT_LIFETIME), TURN_ERR_ALLOCATION_MISMATCH);
	h_close(&cl);
}

static void test_lifetime_is_clamped_to_max_allocate_lifetime(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .has_lifetime = true, .lifetime_s = 100000};
	struct turnc_req bare_refresh = {.method = TURN_REFRESH, .auth = TURNC_AUTH_MD5};
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(turnc_request(&cl, &q), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), MAX_LIFETIME);
	assert_code(h_refresh(&cl, 100000), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), MAX_LIFETIME);
	/* no LIFETIME: the default */
	assert_code(turnc_request(&cl, &bare_refresh), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), DEFAULT_LIFETIME);
	h_close(&cl);
}

/*
 * RFC 8656 §7.2 and §7.3 (as RFC 5766 §6.2, §7.2): a requested lifetime
 * below the default gives the default, on Allocate and on Refresh.
 */
static void test_short_requested_lifetime_gets_default_lifetime(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .has_lifetime = true, .lifetime_s = 30};
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(turnc_request(&cl, &q), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), DEFAULT_LIFETIME);
	assert_code(h_refresh(&cl, 30), 0);
	assert_int_equal(h_u32(&cl, STUN_ATTR_LIFETIME), DEFAULT_LIFETIME);
	h_close(&cl);
}

/* Address families (RFC 8656 §7.2, RFC 6156) */

static void test_requested_family_ipv6_gets_ipv6_relay(void **state)
{
	struct sockaddr_storage relayed;
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_allocate_family(&cl, STUN_FAMILY_IPV6, 0), 0);
	assert_int_equal(h_count(&cl, STUN_ATTR_XOR_RELAYED_ADDRESS), 1);
	relayed = h_relayed(&cl, 0);
	h_assert_relayed(&relayed, "::1", &dual);
	h_close(&cl);
}

static void test_requested_family_ipv6_without_ipv6_relay_gets_440(void **state)
{
	struct turnc cl;

	(void)state;
	open_client(&cl, &v4, false);
	assert_code(h_allocate_family(&cl, STUN_FAMILY_IPV6, 0),
		    TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
	assert_true(cl.resp_signed);
	h_close(&cl);
}

static void test_additional_family_ipv6_gets_dual_relay(void **state)
{
	struct sockaddr_storage r4, r6;
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_allocate_family(&cl, 0, STUN_FAMILY_IPV6), 0);
	assert_int_equal(h_count(&cl, STUN_ATTR_XOR_RELAYED_ADDRESS), 2);
	r4 = h_relayed(&cl, 0);
	r6 = h_relayed(&cl, 1);
	h_assert_relayed(&r4, "127.0.0.1", &dual);
	h_assert_relayed(&r6, "::1", &dual);
	assert_null(h_attr(&cl, STUN_ATTR_ADDRESS_ERROR_CODE));
	h_close(&cl);
}

static void test_requested_and_additional_family_together_get_400(void **state)
{
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_allocate_family(&cl, STUN_FAMILY_IPV4, STUN_FAMILY_IPV6),
		    STUN_ERR_BAD_REQUEST);
	h_close(&cl);
}

static void test_ipv6_peer_on_ipv4_allocation_gets_443(void **state)
{
	struct sockaddr_storage peer6 = h_addr("2001:db8::1", 9);
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_allocate(&cl), 0);
	assert_code(h_permission(&cl, &peer6), TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH);
	assert_code(h_channel_bind(&cl, 0x4000, &peer6), TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH);
	h_close(&cl);
}

static void test_refresh_with_other_family_gets_443(void **state)
{
	struct turnc_req q = {
	    .method = TURN_REFRESH, .auth = TURNC_AUTH_MD5, .family = STUN_FAMILY_IPV6};
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(h_allocate(&cl), 0);
	assert_code(turnc_request(&cl, &q), TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH);
	q.family = STUN_FAMILY_IPV4;
	assert_code(turnc_request(&cl, &q), 0);
	h_close(&cl);
}

/* Allocate attributes (RFC 8656 §7.2) */

/* RFC 8489 §7.3.1: unknown comprehension-required attributes -> 420. */
static void test_unknown_required_attribute_gets_420(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .unknown_attr = 0x7777};
	const struct stun_attr *ua;
	uint16_t types[4];
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(turnc_request(&cl, &q), STUN_ERR_UNKNOWN_ATTRIBUTE);
	ua = h_attr(&cl, STUN_ATTR_UNKNOWN_ATTRIBUTES);
	assert_non_null(ua);
	assert_int_equal(stun_attr_unknown_list(ua, types, 4), 1);
	assert_int_equal(types[0], 0x7777);
	/* an unknown comprehension-optional attribute is ignored */
	q.unknown_attr = 0xC777;
	assert_code(turnc_request(&cl, &q), 0);
	h_close(&cl);
}

static void test_even_port_gets_even_relay_port(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .even_port = true};
	struct sockaddr_storage relayed;
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	assert_code(turnc_request(&cl, &q), 0);
	relayed = h_relayed(&cl, 0);
	h_assert_relayed(&relayed, "127.0.0.1", &dual);
	assert_int_equal(addr_port(SA(&relayed)) % 2, 0);
	assert_null(h_attr(&cl, STUN_ATTR_RESERVATION_TOKEN));
	h_close(&cl);
}

/* RFC 8656 §7.2: EVEN-PORT R reserves port+1 for a RESERVATION-TOKEN. */
static void test_even_port_reservation_gives_next_port(void **state)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .even_port = true, .even_port_r = true};
	struct sockaddr_storage first, second, want;
	const struct stun_attr *tok;
	struct turnc a, b;
	uint64_t token = 0;

	(void)state;
	open_client(&a, &dual, false);
	assert_code(turnc_request(&a, &q), 0);
	first = h_relayed(&a, 0);
	h_assert_relayed(&first, "127.0.0.1", &dual);
	assert_int_equal(addr_port(SA(&first)) % 2, 0);
	tok = h_attr(&a, STUN_ATTR_RESERVATION_TOKEN);
	assert_non_null(tok);
	assert_int_equal(stun_attr_token(tok, &token), 0);

	open_client(&b, &dual, false);
	q = (struct turnc_req){H_ALLOCATE_REQ, .token = token};
	assert_code(turnc_request(&b, &q), 0);
	second = h_relayed(&b, 0);
	want = first;
	addr_set_port(SA(&want), (uint16_t)(addr_port(SA(&first)) + 1));
	h_assert_addr_equal(&second, &want);
	/* a token is good once */
	h_close(&b);
	open_client(&b, &dual, false);
	assert_code(turnc_request(&b, &q), TURN_ERR_INSUFFICIENT_CAPACITY);
	h_close(&b);
	h_close(&a);
}

/*
 * One Allocate request (MD5 credentials where not said) and the answer it
 * gets; a success has its relayed address on 127.0.0.1.
 * RFC 8489 §9.2.4: PASSWORD-ALGORITHM needs PASSWORD-ALGORITHMS too (400).
 * RFC 8656 §7.2: REQUESTED-TRANSPORT is required (400); a transport other
 * than UDP is 442, and TCP allocations exist only over TCP (RFC 6062 §5.1,
 * itest_tcprelay.c: 400 over UDP); RESERVATION-TOKEN with EVEN-PORT is 400;
 * DONT-FRAGMENT is accepted.
 */
struct alloc_case {
	struct turnc_req q;
	bool tcp; /* the client talks TCP to the server */
	int want;
};

static const struct alloc_case algorithm_without_list = {
    {.method = TURN_ALLOCATE, .auth = TURNC_AUTH_SHA256_NO_LIST, .transport = TURN_TRANSPORT_UDP},
    false,
    STUN_ERR_BAD_REQUEST};
static const struct alloc_case no_requested_transport = {
    {.method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5}, false, STUN_ERR_BAD_REQUEST};
static const struct alloc_case tcp_transport_over_udp = {
    {.method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_TCP},
    false,
    STUN_ERR_BAD_REQUEST};
static const struct alloc_case sctp_transport = {
    {.method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = 132 /* SCTP */},
    true,
    TURN_ERR_UNSUPPORTED_TRANSPORT_PROTOCOL};
static const struct alloc_case token_with_even_port = {
    {H_ALLOCATE_REQ, .even_port = true, .token = 0x1122334455667788ull},
    false,
    STUN_ERR_BAD_REQUEST};
static const struct alloc_case dont_fragment = {{H_ALLOCATE_REQ, .dont_fragment = true}, false, 0};

static void test_allocate_case(void **state)
{
	const struct alloc_case *c = *state;
	struct turnc_req q = c->q;
	struct sockaddr_storage relayed;
	struct turnc cl;

	open_client(&cl, &dual, c->tcp);
	assert_code(turnc_request(&cl, &q), c->want);
	if (c->want == 0) {
		relayed = h_relayed(&cl, 0);
		h_assert_relayed(&relayed, "127.0.0.1", &dual);
	}
	h_close(&cl);
}

/* Malformed input */

/* An Allocate whose REQUESTED-TRANSPORT claims 100 bytes of a 4-byte body. */
static void test_attribute_past_the_end_gets_400(void **state)
{
	uint8_t req[STUN_HEADER_LEN + 8];
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	wire_put16(req, stun_type(TURN_ALLOCATE, STUN_REQUEST));
	wire_put16(req + 2, 8);
	wire_put32(req + 4, STUN_MAGIC_COOKIE);
	h_new_tid(req + 8);
	wire_put16(req + 20, STUN_ATTR_REQUESTED_TRANSPORT);
	wire_put16(req + 22, 100);
	wire_put32(req + 24, (uint32_t)TURN_TRANSPORT_UDP << 24);
	assert_code(turnc_request_raw(&cl, req, sizeof(req)), STUN_ERR_BAD_REQUEST);
	assert_int_equal(h_resp(&cl)->method, TURN_ALLOCATE);
	assert_memory_equal(h_resp(&cl)->tid, req + 8, STUN_TID_LEN);
	h_close(&cl);
}

static void test_garbage_datagrams_get_no_answer(void **state)
{
	uint8_t junk[6][64];
	size_t lens[6] = {3, 20, 64, 20, 12, 1};
	uint8_t buf[2048];
	struct turnc cl;

	(void)state;
	open_client(&cl, &dual, false);
	memcpy(junk[0], "abc", 3);
	memset(junk[1], 0xFF, 20);
	assert_int_equal(RAND_bytes(junk[2], 64), 1);
	junk[2][0] |= 0x80;
	/* a Binding request with a wrong magic cookie */
	wire_put16(junk[3], stun_type(STUN_BINDING, STUN_REQUEST));
	wire_put16(junk[3] + 2, 0);
	wire_put32(junk[3] + 4, 0xDEADBEEF);
	memset(junk[3] + 8, 7, 12);
	/* ChannelData claiming more than it carries */
	turn_channeldata_header(junk[4], 0x4000, 100);
	memset(junk[4] + 4, 0, 8);
	junk[5][0] = 0;
	for (int i = 0; i < 6; i++)
		assert_int_equal(turnc_send_bytes(&cl, junk[i], lens[i]), 0);
	assert_int_equal(turnc_recv_frame(&cl, buf, sizeof(buf), H_SILENCE_MS), 0);
	assert_code(h_binding(&cl), 0);
	h_close(&cl);
}

static void test_garbage_on_tcp_closes_that_connection_only(void **state)
{
	uint8_t junk[20], buf[2048];
	struct turnc bad, good;

	(void)state;
	open_client(&good, &dual, true);
	open_client(&bad, &dual, true);
	memset(junk, 0xFF, sizeof(junk));
	assert_int_equal(turnc_send_bytes(&bad, junk, sizeof(junk)), 0);
	assert_int_equal(turnc_recv_frame(&bad, buf, sizeof(buf), H_TXN_TIMEOUT_MS), -ECONNRESET);
	assert_code(h_binding(&good), 0);
	h_close(&bad);
	h_close(&good);
}

int main(void)
{
#define A(name, row)                                                                               \
	{                                                                                          \
#name, test_allocate_case, NULL, NULL, (void *)&(row)                              \
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_binding_udp_ipv4_maps_client_address),
	    cmocka_unit_test(test_binding_udp_ipv6_maps_client_address),
	    cmocka_unit_test(test_binding_tcp_ipv4_maps_client_address),
	    cmocka_unit_test(test_binding_tcp_ipv6_maps_client_address),
	    H_OVER_UDP(test_allocate_without_credentials_gets_401_challenge, "_udp"),
	    H_OVER_TCP(test_allocate_without_credentials_gets_401_challenge, "_tcp"),
	    H_OVER_UDP(test_allocate_with_credentials_succeeds, "_udp"),
	    H_OVER_TCP(test_allocate_with_credentials_succeeds, "_tcp"),
	    cmocka_unit_test(test_allocate_with_wrong_password_gets_401),
	    cmocka_unit_test(test_allocate_with_unknown_user_gets_401),
	    cmocka_unit_test(test_nonce_from_another_address_gets_438),
	    cmocka_unit_test(test_allocate_with_sha256_is_signed_with_sha256),
	    A(test_password_algorithm_without_list_gets_400, algorithm_without_list),
	    cmocka_unit_test(test_allocate_with_userhash_succeeds),
	    cmocka_unit_test(test_refresh_by_another_user_gets_441),
	    cmocka_unit_test(test_retransmitted_allocate_gets_identical_answer),
	    H_OVER_UDP(test_second_allocate_on_same_5tuple_gets_437, "_udp"),
	    H_OVER_TCP(test_second_allocate_on_same_5tuple_gets_437, "_tcp"),
	    cmocka_unit_test(test_refresh_with_zero_lifetime_deletes_allocation),
	    cmocka_unit_test(test_refresh_without_allocation_gets_437),
	    cmocka_unit_test(test_lifetime_is_clamped_to_max_allocate_lifetime),
	    cmocka_unit_test(test_short_requested_lifetime_gets_default_lifetime),
	    cmocka_unit_test(test_requested_family_ipv6_gets_ipv6_relay),
	    cmocka_unit_test(test_requested_family_ipv6_without_ipv6_relay_gets_440),
	    cmocka_unit_test(test_additional_family_ipv6_gets_dual_relay),
	    cmocka_unit_test(test_requested_and_additional_family_together_get_400),
	    cmocka_unit_test(test_ipv6_peer_on_ipv4_allocation_gets_443),
	    cmocka_unit_test(test_refresh_with_other_family_gets_443),
	    A(test_allocate_without_requested_transport_gets_400, no_requested_transport),
	    A(test_allocate_tcp_transport_over_udp_gets_400, tcp_transport_over_udp),
	    A(test_allocate_other_transport_gets_442, sctp_transport),
	    cmocka_unit_test(test_unknown_required_attribute_gets_420),
	    cmocka_unit_test(test_even_port_gets_even_relay_port),
	    cmocka_unit_test(test_even_port_reservation_gives_next_port),
	    A(test_reservation_token_with_even_port_gets_400, token_with_even_port),
	    A(test_dont_fragment_is_accepted, dont_fragment),
	    cmocka_unit_test(test_attribute_past_the_end_gets_400),
	    cmocka_unit_test(test_garbage_datagrams_get_no_answer),
	    cmocka_unit_test(test_garbage_on_tcp_closes_that_connection_only),
	    cmocka_unit_test(test_servers_exit_cleanly_on_sigterm),
	};

#undef A
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
