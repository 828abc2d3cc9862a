/*
 * fuzz_dtls.c - libFuzzer harness for the stateless half of DTLS
 * (src/server/dtls_cookie.c, RFC 6347 §4.1, §4.2.1): record framing and
 * the first ClientHello. A datagram that parses as a ClientHello has its
 * cookie inside the datagram, and the HelloVerifyRequest built for it is
 * one well-framed record that carries the cookie; a cookie that came off
 * the wire validates only when it is the one made for the 5-tuple.
 * fuzz-sources: src/server/dtls_cookie.c
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <string.h>

#include "server/dtls.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret[32] = {42};
	struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(3478)};
	struct sockaddr_in client = {.sin_family = AF_INET, .sin_port = htons(40000)};
	uint8_t hvr[DTLS_HVR_MAX], cookie[DTLS_COOKIE_LEN];
	struct dtls_hello h;
	size_t n;

	local.sin_addr.s_addr = htonl(0x7F000001);
	client.sin_addr.s_addr = htonl(0x7F000002);
	if (dtls_records_check(data, size) < 0) {
		CHECK(dtls_hello_parse(data, size, &h) < 0);
		return 0;
	}
	if (dtls_hello_parse(data, size, &h) < 0)
		return 0;
	CHECK(h.cookie >= data && h.cookie + h.cookie_len <= data + size);
	dtls_cookie_make(secret, 1, (struct sockaddr *)&local, (struct sockaddr *)&client, cookie);
	if (dtls_cookie_valid(secret, 1, (struct sockaddr *)&local, (struct sockaddr *)&client,
			      h.cookie, h.cookie_len))
		CHECK(h.cookie_len == DTLS_COOKIE_LEN && memcmp(h.cookie, cookie, DTLS_COOKIE_LEN) == 0);
	n = dtls_hvr_build(&h, h.cookie, h.cookie_len, hvr, sizeof(hvr));
	CHECK(n == (size_t)DTLS_RECORD_HDR_LEN + DTLS_HANDSHAKE_HDR_LEN + 3 + h.cookie_len);
	CHECK(dtls_records_check(hvr, n) == 1);
	CHECK(memcmp(hvr + n - h.cookie_len, h.cookie, h.cookie_len) == 0);
	return 0;
}
