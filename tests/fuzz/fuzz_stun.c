/*
 * fuzz_stun.c - libFuzzer harness for the STUN message codec. Parses the
 * input; when it parses, runs every attribute decoder on every attribute,
 * both integrity checks with a fixed key, FINGERPRINT and stream framing,
 * then rebuilds the message from its attributes (new integrity and
 * fingerprint where the input had them) and checks the copy parses back
 * to the same attributes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sys/socket.h>

#include "stun/stun.h"
#include "tests/fuzz/fuzz.h"

static const uint8_t fuzz_key[] = "fuzz key: not a secret";
#define FUZZ_KEY_LEN (sizeof(fuzz_key) - 1)

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void decode_all(const struct stun_msg *m, const struct stun_attr *a)
{
	struct sockaddr_storage ss;
	const char *reason;
	size_t reason_len;
	uint16_t u16, types[STUN_MAX_UNKNOWN];
	uint32_t u32;
	uint64_t u64;
	uint8_t u8;
	struct stun_icmp icmp;
	uint8_t ticket[STUN_MOBILITY_TICKET_LEN];
	bool flag;
	int code, n;

	(void)stun_attr_u32(a, &u32);
	if (stun_attr_addr(m, a, &ss) == 0)
		CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
	if (stun_attr_xor_addr(m, a, &ss) == 0)
		CHECK(ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
	if (stun_attr_error(a, &code, &reason, &reason_len) == 0) {
		CHECK(code >= 300 && code <= 699);
		CHECK(reason + reason_len <= (const char *)a->val + a->len);
	}
	(void)stun_attr_channel(a, &u16);
	(void)stun_attr_transport(a, &u8);
	(void)stun_attr_family(a, &u8);
	(void)stun_attr_even_port(a, &flag);
	(void)stun_attr_token(a, &u64);
	(void)stun_attr_pw_alg(a, &u16);
	/* RFC 5780: only the two flags come out; a port is never 0 */
	if (stun_attr_change_request(a, &u8) == 0)
		CHECK((u8 & ~(STUN_CHANGE_IP | STUN_CHANGE_PORT)) == 0 && a->len == 4);
	if (stun_attr_response_port(a, &u16) == 0)
		CHECK(u16 != 0 && a->len == 4);
	if (stun_attr_icmp(a, &icmp) == 0) {
		uint8_t buf[STUN_HEADER_LEN + 12];
		struct stun_builder b;
		struct stun_msg m2;
		struct stun_icmp back;

		/* what decodes encodes again to the same fields */
		CHECK(icmp.type <= STUN_ICMP_TYPE_MAX && icmp.code <= STUN_ICMP_CODE_MAX);
		stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, m->tid);
		stun_put_icmp(&b, &icmp);
		CHECK(stun_build_end(&b) == sizeof(buf));
		CHECK(stun_msg_parse(&m2, buf, sizeof(buf)) == STUN_PARSE_OK);
		CHECK(stun_attr_icmp(&m2.attrs[0], &back) == 0);
		CHECK(back.type == icmp.type && back.code == icmp.code &&
		      back.error_data == icmp.error_data);
	}
	n = stun_attr_mobility_ticket(a, ticket);
	/* RFC 8016: empty, or a whole ticket copied; any other length refused */
	CHECK(n == (a->len == 0 ? 0 : a->len == STUN_MOBILITY_TICKET_LEN ? (int)a->len : -1));
	if (n > 0)
		CHECK(memcmp(ticket, a->val, a->len) == 0);
	n = stun_attr_unknown_list(a, types, STUN_MAX_UNKNOWN);
	CHECK(n >= -1 && n <= STUN_MAX_UNKNOWN);
	if (a->type == STUN_ATTR_NONCE)
		(void)stun_nonce_cookie_features(a->val, a->len, &u32);
}

/* Builds the message again from m's attributes and checks it parses back. */
static void rebuild(const struct stun_msg *m)
{
	static uint8_t out[STUN_MAX_MSG_LEN + 64];
	struct stun_builder b;
	struct stun_msg m2;
	size_t want = STUN_HEADER_LEN, n;

	stun_build_start(&b, out, sizeof(out), m->method, m->cls, m->tid);
	for (int i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i];

		if (i == m->mi_idx || i == m->mi256_idx || i == m->fp_idx)
			continue;
		stun_put(&b, a->type, a->val, a->len);
		want += STUN_ATTR_HDR_LEN + pad4(a->len);
	}
	if (m->mi_idx >= 0) {
		stun_put_integrity(&b, fuzz_key, FUZZ_KEY_LEN);
		want += 24;
	}
	if (m->mi256_idx >= 0) {
		stun_put_integrity_sha256(&b, fuzz_key, FUZZ_KEY_LEN);
		want += 36;
	}
	if (m->fp_idx >= 0) {
		stun_put_fingerprint(&b);
		want += 8;
	}
	n = stun_build_end(&b);
	if (want > STUN_MAX_MSG_LEN) { /* a truncated MI-SHA256 grew to 32 bytes */
		CHECK(n == 0);
		return;
	}
	CHECK(n == want);
	CHECK(stun_msg_parse(&m2, out, n) == STUN_PARSE_OK);
	CHECK(m2.type == m->type);
	CHECK(memcmp(m2.tid, m->tid, STUN_TID_LEN) == 0);
	CHECK(m2.nattrs == m->nattrs);
	CHECK(m2.nunknown == m->nunknown);
	CHECK((m2.mi_idx >= 0) == (m->mi_idx >= 0));
	CHECK((m2.mi256_idx >= 0) == (m->mi256_idx >= 0));
	CHECK((m2.fp_idx >= 0) == (m->fp_idx >= 0));
	for (int i = 0; i < m->nattrs; i++) {
		const struct stun_attr *a = &m->attrs[i], *a2 = &m2.attrs[i];

		CHECK(a2->type == a->type);
		if (i == m->mi_idx || i == m->mi256_idx || i == m->fp_idx)
			continue;
		CHECK(a2->len == a->len);
		CHECK(memcmp(a2->val, a->val, a->len) == 0);
	}
	if (m2.mi_idx >= 0)
		CHECK(stun_msg_check_integrity(&m2, fuzz_key, FUZZ_KEY_LEN) == 0);
	if (m2.mi256_idx >= 0)
		CHECK(stun_msg_check_integrity_sha256(&m2, fuzz_key, FUZZ_KEY_LEN) == 0);
	if (m2.fp_idx >= 0)
		CHECK(stun_msg_check_fingerprint(&m2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stun_msg m;
	long frame = stun_stream_frame_len(data, size);

	(void)stun_looks_like_stun(data, size);
	if (stun_msg_parse(&m, data, size) != STUN_PARSE_OK)
		return 0;

	CHECK(m.len >= STUN_HEADER_LEN && m.len <= size && m.len % 4 == 0);
	CHECK(frame == (long)m.len);
	CHECK(stun_looks_like_stun(data, size));
	CHECK(m.type == stun_type(m.method, m.cls));
	CHECK(m.nattrs >= 0 && m.nattrs <= STUN_MAX_ATTRS);
	CHECK(m.nunknown >= 0 && m.nunknown <= STUN_MAX_UNKNOWN);
	CHECK(m.mi_idx >= -1 && m.mi_idx < m.nattrs);
	CHECK(m.mi256_idx >= -1 && m.mi256_idx < m.nattrs);
	CHECK(m.fp_idx == -1 || m.fp_idx == m.nattrs - 1);

	for (int i = 0; i < m.nattrs; i++) {
		const struct stun_attr *a = &m.attrs[i];
		const struct stun_attr *first = stun_msg_find(&m, a->type);

		CHECK(a->off >= STUN_HEADER_LEN);
		CHECK(a->val == data + a->off + STUN_ATTR_HDR_LEN);
		CHECK((size_t)a->off + STUN_ATTR_HDR_LEN + a->len <= m.len);
		CHECK(first && first <= a && first->type == a->type);
		decode_all(&m, a);
	}
	for (int i = 0; i < m.nunknown; i++)
		CHECK(m.unknown[i] < 0x8000 && !stun_attr_known(m.unknown[i]));

	(void)stun_msg_check_integrity(&m, fuzz_key, FUZZ_KEY_LEN);
	(void)stun_msg_check_integrity_sha256(&m, fuzz_key, FUZZ_KEY_LEN);
	(void)stun_msg_check_fingerprint(&m);
	rebuild(&m);
	return 0;
}
