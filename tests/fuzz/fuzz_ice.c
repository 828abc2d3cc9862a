/*
 * fuzz_ice.c - libFuzzer harness for the anchor's ICE agent and RFC 7983
 * demux. Each input is a list of records; each record goes through
 * demux_classify() and ice_handle_stun() of a lite agent or a full
 * controlling agent (fixed credentials, two components), after the fake
 * clock moved on, then both agents tick. A record may ask for its STUN
 * message to be signed again (so the fuzzer gets past MESSAGE-INTEGRITY)
 * or turned into a response to the full agent's last check (its
 * transaction id, signed with the peer's password).
 *
 * Record: flags (1 byte), length (2 bytes, big endian), that many bytes.
 * flags: bit 0 full agent (else lite), bit 1 component 2, bits 2-3 source
 * address, bit 4 sign with the agent's password, bit 5 make a response to
 * the last check (bits 4 and 5 together: an ICE restart of that agent with
 * a new remote ufrag, then the bytes as they are), bits 6-7 clock step (0,
 * 50, 600, 6000 ms).
 *
 * fuzz-sources: src/anchor/ice.c src/anchor/ice_check.c src/anchor/demux.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "anchor/demux.h"
#include "anchor/ice.h"
#include "common/addr.h"
#include "stun/stun.h"
#include "tests/fuzz/fuzz.h"

#define LITE_UFRAG "FuzzLiteUfrag001"
#define LITE_PWD "FuzzLitePassword01234567"
#define FULL_UFRAG "FuzzFullUfrag001"
#define FULL_PWD "FuzzFullPassword01234567"
#define PEER_UFRAG "peer"
#define PEER_PWD "FuzzPeerPassword0123456"
#define MAX_RECORDS 64

static const uint64_t clock_steps_ms[4] = {0, 50, 600, 6000};
static const char *const sources[4] = {
    "192.0.2.10:4000",	   /* a signalled candidate of the full agent */
    "[2001:db8::10]:4000", /* another, IPv6 */
    "198.51.100.7:5000",   /* unknown: peer-reflexive */
    "[2001:db8::77]:5001", /* unknown, IPv6 */
};

struct last_check {
	uint8_t tid[STUN_TID_LEN];
	bool have;
};

static int fuzz_send(void *ctx, int component, const struct sockaddr *to, const uint8_t *buf,
		     size_t len)
{
	struct last_check *lc = ctx;
	struct stun_msg m;

	CHECK(component == 1 || component == 2);
	CHECK(to->sa_family == AF_INET || to->sa_family == AF_INET6);
	/* everything the agent sends parses, with a valid FINGERPRINT */
	CHECK(stun_msg_parse(&m, buf, len) == STUN_PARSE_OK);
	CHECK(stun_msg_check_fingerprint(&m));
	if (lc && m.cls == STUN_REQUEST) {
		memcpy(lc->tid, m.tid, STUN_TID_LEN);
		lc->have = true;
	}
	return 0;
}

/* The message again, its integrity computed with key (and the class and tid given). */
static size_t resign(const uint8_t *in, size_t len, bool response, const uint8_t *tid,
		     const char *key, uint8_t *out, size_t cap)
{
	struct stun_builder b;
	struct stun_msg m;
	enum stun_class cls;

	if (stun_msg_parse(&m, in, len) != STUN_PARSE_OK)
		return 0;
	cls = !response ? m.cls : m.cls == STUN_ERROR ? STUN_ERROR : STUN_SUCCESS;
	stun_build_start(&b, out, cap, response ? STUN_BINDING : m.method, cls, tid ? tid : m.tid);
	for (int i = 0; i < m.nattrs; i++) {
		if (i == m.mi_idx || i == m.mi256_idx || i == m.fp_idx)
			continue;
		stun_put(&b, m.attrs[i].type, m.attrs[i].val, m.attrs[i].len);
	}
	stun_put_integrity(&b, (const uint8_t *)key, strlen(key));
	stun_put_fingerprint(&b);
	return stun_build_end(&b);
}

static struct ice_agent *make_agent(bool full)
{
	struct ice_params p;
	struct ice_agent *a;
	struct sockaddr_storage ss;

	memset(&p, 0, sizeof(p));
	p.controlling = full;
	p.lite = !full;
	p.tiebreaker = full ? 0x1234 : 0x5678;
	p.ncomponents = 2;
	strcpy(p.local_ufrag, full ? FULL_UFRAG : LITE_UFRAG);
	strcpy(p.local_pwd, full ? FULL_PWD : LITE_PWD);
	a = ice_agent_new(&p);
	CHECK(a);
	CHECK(ice_set_remote_credentials(a, PEER_UFRAG, PEER_PWD) == 0);
	for (int c = 1; c <= 2; c++) {
		CHECK(addr_parse(c == 1 ? "203.0.113.1:30000" : "203.0.113.1:30001", 0, &ss,
				 NULL) == 0);
		ice_set_local(a, c, (const struct sockaddr *)&ss,
			      ice_priority(ICE_CAND_RELAY, 65535, c));
		for (int s = 0; s < 2; s++) {
			CHECK(addr_parse(sources[s], 0, &ss, NULL) == 0);
			CHECK(ice_add_remote_candidate(a, c, (const struct sockaddr *)&ss,
						       ice_priority(ICE_CAND_HOST, 100, c),
						       ICE_CAND_HOST, s ? "b" : "a") == 0);
		}
	}
	return a;
}

static void check_agent(const struct ice_agent *a, uint64_t now_ms)
{
	struct sockaddr_storage to;
	enum ice_state st = ice_get_state(a);

	CHECK(st >= ICE_STATE_NEW && st <= ICE_STATE_FAILED);
	CHECK(strcmp(ice_state_name(st), "unknown") != 0);
	for (int c = 1; c <= 2; c++)
		if (ice_media_dest(a, c, &to))
			CHECK(ice_source_ok(a, c, (const struct sockaddr *)&to));
	(void)ice_consent_expired(a, now_ms);
	(void)ice_is_controlling(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[STUN_MAX_MSG_LEN + 64];
	struct last_check lc = {0};
	struct ice_io io_full = {.ctx = &lc, .send = fuzz_send};
	struct ice_io io_lite = {.ctx = NULL, .send = fuzz_send};
	struct ice_agent *lite = make_agent(false), *full = make_agent(true);
	uint64_t now_ms = 1000;
	int records = 0, restarts[2] = {0, 0};

	(void)ice_tick(full, now_ms, &io_full);
	while (size >= 3 && records++ < MAX_RECORDS) {
		uint8_t flags = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		bool is_full = flags & 1;
		int component = flags & 2 ? 2 : 1;
		struct sockaddr_storage from;
		const uint8_t *buf;
		uint64_t next;

		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		buf = data;
		data += len;
		size -= len;
		now_ms += clock_steps_ms[flags >> 6];
		CHECK(addr_parse(sources[(flags >> 2) & 3], 0, &from, NULL) == 0);

		if ((flags & 0x30) == 0x30) {
			CHECK(ice_set_remote_credentials(
				  is_full ? full : lite,
				  restarts[is_full]++ % 2 ? PEER_UFRAG : "peer2", PEER_PWD) == 1);
			lc.have = false;
		} else if (flags & 0x20) {
			size_t n = resign(buf, len, true, lc.have ? lc.tid : NULL, PEER_PWD, msg,
					  sizeof(msg));
			if (n) {
				buf = msg;
				len = n;
			}
		} else if (flags & 0x10) {
			size_t n = resign(buf, len, false, NULL, is_full ? FULL_PWD : LITE_PWD, msg,
					  sizeof(msg));
			if (n) {
				buf = msg;
				len = n;
			}
		}
		if (demux_classify(buf, len) == DEMUX_STUN)
			CHECK(len >= STUN_HEADER_LEN);
		(void)ice_handle_stun(is_full ? full : lite, component,
				      (const struct sockaddr *)&from, buf, len, now_ms,
				      is_full ? &io_full : &io_lite);

		next = ice_tick(full, now_ms, &io_full);
		CHECK(next > now_ms);
		CHECK(ice_tick(lite, now_ms, &io_lite) == UINT64_MAX);
		check_agent(full, now_ms);
		check_agent(lite, now_ms);
	}
	ice_agent_free(lite);
	ice_agent_free(full);
	return 0;
}
