/*
 * fuzz_latch.c - libFuzzer harness for the anchor's latching
 * (src/anchor/latch.c). The input is a run of events, each: a source (one
 * of 8 addresses on 2 IPs), a time step, a policy byte (SDP IP expected or
 * not, strict-source) and a datagram of up to 63 bytes. Checks the rules
 * latch.h promises: only the latched source is accepted; with an expected
 * IP nothing else ever latches; after the window, or with strict-source, a
 * latch never moves; a source latches without an expected IP only on RTP.
 * fuzz-sources: src/anchor/latch.c
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/latch.h"
#include "common/addr.h"
#include "tests/fuzz/fuzz.h"

static union sockaddr_u source(uint8_t i)
{
	union sockaddr_u a;

	memset(&a, 0, sizeof(a));
	a.in.sin_family = AF_INET;
	a.in.sin_addr.s_addr = htonl(i & 4 ? 0xC6336414 : 0xC6336442); /* .20 or .66 */
	a.in.sin_port = htons((uint16_t)(4000 + (i & 3)));
	return a;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct latch l;
	struct latch_policy p;
	uint64_t now = 0;
	size_t i = 0;

	memset(&l, 0, sizeof(l));
	memset(&p, 0, sizeof(p));
	p.window_end_ms = 3000;
	while (i + 4 <= size) {
		union sockaddr_u from = source(data[i]);
		uint8_t policy = data[i + 2];
		size_t len = data[i + 3] & 63;
		struct latch_pkt pkt;
		union sockaddr_u before = l.src;
		bool was = l.latched;
		enum latch_action act;

		now += data[i + 1] * 20u;
		p.expect_ip = policy & 1;
		p.expect = source(4); /* 198.51.100.20:4000 */
		p.strict = policy & 2;
		i += 4;
		if (len > size - i)
			len = size - i;
		latch_pkt_parse(&pkt, data + i, len);
		i += len;
		act = latch_input(&l, &p, &from.sa, &pkt, now);
		if (act == LATCH_ACCEPT)
			CHECK(was && addr_equal(&before.sa, &from.sa));
		if (act == LATCH_NEW) {
			if (p.expect_ip)
				CHECK(addr_ip_equal(&from.sa, &p.expect.sa));
			if (p.expect_ip && p.strict)
				CHECK(addr_equal(&from.sa, &p.expect.sa));
			if (was)
				CHECK(!p.strict && now < p.window_end_ms);
			if (!p.expect_ip)
				CHECK(pkt.rtp);
			latch_commit(&l, &from.sa, &pkt);
		}
		if (act == LATCH_DROP)
			CHECK(l.latched == was);
		/* probation slots only while unlatched or re-latching in the window */
		if (act == LATCH_NEW)
			CHECK(!l.probes);
	}
	latch_reset(&l); /* frees its probation slots */
	return 0;
}
