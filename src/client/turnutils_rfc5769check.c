/*
 * turnutils_rfc5769check - checks the STUN codec against the test vectors
 * of RFC 5769 (and RFC 8489 Appendix B.1 as corrected by erratum 6268):
 * parsing, MESSAGE-INTEGRITY with short- and long-term keys,
 * MESSAGE-INTEGRITY-SHA256, FINGERPRINT, XOR-MAPPED-ADDRESS, and building
 * each vector again byte for byte. Prints one line per check and exits 0
 * only when every check passes.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "client/rfc5769_vectors.h"
#include "common/version.h"
#include "stun/stun.h"

static int failures;

__attribute__((format(printf, 2, 3))) static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	fputs(ok ? "OK: " : "FAIL: ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		failures++;
}

static bool attr_is(const struct stun_msg *m, uint16_t type, const void *val, size_t len)
{
	const struct stun_attr *a = stun_msg_find(m, type);

	return a && a->len == len && memcmp(a->val, val, len) == 0;
}

static bool attr_is_str(const struct stun_msg *m, uint16_t type, const char *s)
{
	return attr_is(m, type, s, strlen(s));
}

/* Parses a vector; false (and one FAIL line) when it does not parse. */
static bool parse(const char *name, struct stun_msg *m, const uint8_t *buf, size_t len,
		  uint16_t type)
{
	int r = stun_msg_parse(m, buf, len);

	check(r == STUN_PARSE_OK && m->len == len && m->type == type,
	      "%s: parses (%s, type 0x%04x)", name, stun_parse_strerror(r),
	      r == STUN_PARSE_OK ? m->type : 0);
	return r == STUN_PARSE_OK;
}

static void check_same(const char *name, const uint8_t *got, size_t got_len, const uint8_t *want,
		       size_t want_len)
{
	size_t i = 0;

	if (got_len == want_len)
		while (i < want_len && got[i] == want[i])
			i++;
	if (got_len == want_len && i == want_len)
		check(true, "%s: re-encodes to the same %zu bytes", name, want_len);
	else if (got_len != want_len)
		check(false, "%s: re-encodes to %zu bytes, want %zu", name, got_len, want_len);
	else
		check(false, "%s: re-encoding differs at byte %zu", name, i);
}

/* RFC 5769 pads with spaces where the codec pads with zeros. */
static void pad_with_spaces(struct stun_builder *b, size_t value_len)
{
	size_t pad = ((value_len + 3) & ~(size_t)3) - value_len;

	if (!b->err)
		memset(b->buf + b->len - pad, ' ', pad);
}

static void check_request(void)
{
	const char *name = "2.1 sample request";
	const uint8_t *pass = (const uint8_t *)RFC5769_PASSWORD;
	size_t pass_len = strlen(RFC5769_PASSWORD);
	struct stun_msg m;
	struct stun_builder b;
	uint8_t buf[256], prio[4] = {0x6e, 0x00, 0x01, 0xff};
	const uint8_t *tie = rfc5769_request + 52;

	if (!parse(name, &m, rfc5769_request, sizeof(rfc5769_request), 0x0001))
		return;
	check(attr_is_str(&m, STUN_ATTR_SOFTWARE, RFC5769_REQ_SOFTWARE),
	      "%s: SOFTWARE \"" RFC5769_REQ_SOFTWARE "\"", name);
	check(attr_is_str(&m, STUN_ATTR_USERNAME, RFC5769_USERNAME),
	      "%s: USERNAME \"" RFC5769_USERNAME "\"", name);
	check(attr_is(&m, STUN_ATTR_PRIORITY, prio, 4), "%s: PRIORITY", name);
	check(attr_is(&m, STUN_ATTR_ICE_CONTROLLED, tie, 8), "%s: ICE-CONTROLLED", name);
	check(stun_msg_check_integrity(&m, pass, pass_len) == 0,
	      "%s: MESSAGE-INTEGRITY with the short-term password", name);
	check(stun_msg_check_integrity(&m, pass, pass_len - 1) != 0,
	      "%s: MESSAGE-INTEGRITY rejects a wrong password", name);
	check(stun_msg_check_fingerprint(&m), "%s: FINGERPRINT", name);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, rfc5769_request + 8);
	stun_put_str(&b, STUN_ATTR_SOFTWARE, RFC5769_REQ_SOFTWARE);
	stun_put(&b, STUN_ATTR_PRIORITY, prio, 4);
	stun_put(&b, STUN_ATTR_ICE_CONTROLLED, tie, 8);
	stun_put_str(&b, STUN_ATTR_USERNAME, RFC5769_USERNAME);
	pad_with_spaces(&b, strlen(RFC5769_USERNAME));
	stun_put_integrity(&b, pass, pass_len);
	stun_put_fingerprint(&b);
	check_same(name, buf, stun_build_end(&b), rfc5769_request, sizeof(rfc5769_request));
}

static bool addr_is(const struct sockaddr_storage *ss, const char *ip, uint16_t port)
{
	char text[INET6_ADDRSTRLEN] = "";

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, text, sizeof(text));
		return ntohs(s4->sin_port) == port && strcmp(text, ip) == 0;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, text, sizeof(text));
		return ntohs(s6->sin6_port) == port && strcmp(text, ip) == 0;
	}
	return false;
}

static void check_response(const char *name, const uint8_t *vec, size_t len, const char *ip)
{
	const uint8_t *pass = (const uint8_t *)RFC5769_PASSWORD;
	size_t pass_len = strlen(RFC5769_PASSWORD);
	struct sockaddr_storage ss;
	struct stun_builder b;
	struct stun_msg m;
	const struct stun_attr *a;
	uint8_t buf[256];

	if (!parse(name, &m, vec, len, 0x0101))
		return;
	check(attr_is_str(&m, STUN_ATTR_SOFTWARE, RFC5769_RESP_SOFTWARE),
	      "%s: SOFTWARE \"" RFC5769_RESP_SOFTWARE "\"", name);
	a = stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	check(a && stun_attr_xor_addr(&m, a, &ss) == 0 && addr_is(&ss, ip, RFC5769_MAPPED_PORT),
	      "%s: XOR-MAPPED-ADDRESS %s port %d", name, ip, RFC5769_MAPPED_PORT);
	check(stun_msg_check_integrity(&m, pass, pass_len) == 0,
	      "%s: MESSAGE-INTEGRITY with the short-term password", name);
	check(stun_msg_check_fingerprint(&m), "%s: FINGERPRINT", name);

	memset(&ss, 0, sizeof(ss));
	if (strchr(ip, ':')) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(RFC5769_MAPPED_PORT);
		inet_pton(AF_INET6, ip, &s6->sin6_addr);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(RFC5769_MAPPED_PORT);
		inet_pton(AF_INET, ip, &s4->sin_addr);
	}
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, vec + 8);
	stun_put_str(&b, STUN_ATTR_SOFTWARE, RFC5769_RESP_SOFTWARE);
	pad_with_spaces(&b, strlen(RFC5769_RESP_SOFTWARE));
	stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (const struct sockaddr *)&ss);
	stun_put_integrity(&b, pass, pass_len);
	stun_put_fingerprint(&b);
	check_same(name, buf, stun_build_end(&b), vec, len);
}

static void check_long_term(void)
{
	const char *name = "2.4 long-term request";
	struct stun_builder b;
	struct stun_msg m;
	uint8_t key[32], buf[256];
	int key_len;

	if (!parse(name, &m, rfc5769_request_lt, sizeof(rfc5769_request_lt), 0x0001))
		return;
	check(attr_is_str(&m, STUN_ATTR_USERNAME, RFC5769_LT_USERNAME), "%s: USERNAME (UTF-8)",
	      name);
	check(attr_is_str(&m, STUN_ATTR_NONCE, RFC5769_LT_NONCE), "%s: NONCE", name);
	check(attr_is_str(&m, STUN_ATTR_REALM, RFC5769_LT_REALM), "%s: REALM", name);
	key_len = stun_lt_key(STUN_PW_ALG_MD5, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
			      RFC5769_LT_PASSWORD, key);
	check(key_len == 16, "%s: MD5 long-term key is 16 bytes", name);
	if (key_len != 16)
		return;
	check(stun_msg_check_integrity(&m, key, 16) == 0,
	      "%s: MESSAGE-INTEGRITY with MD5(username:realm:password)", name);
	check(!stun_msg_check_fingerprint(&m), "%s: no FINGERPRINT", name);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, rfc5769_request_lt + 8);
	stun_put_str(&b, STUN_ATTR_USERNAME, RFC5769_LT_USERNAME);
	stun_put_str(&b, STUN_ATTR_NONCE, RFC5769_LT_NONCE);
	stun_put_str(&b, STUN_ATTR_REALM, RFC5769_LT_REALM);
	stun_put_integrity(&b, key, 16);
	check_same(name, buf, stun_build_end(&b), rfc5769_request_lt, sizeof(rfc5769_request_lt));
}

static void check_sha256(void)
{
	const char *name = "RFC 8489 B.1 SHA-256 request";
	struct stun_builder b;
	struct stun_msg m;
	uint8_t key[32], hash[32], buf[256];
	uint16_t alg = 0;
	const struct stun_attr *a;
	int key_len;

	if (!parse(name, &m, rfc8489_request_sha256, sizeof(rfc8489_request_sha256), 0x0001))
		return;
	stun_userhash(RFC5769_LT_USERNAME, RFC5769_LT_REALM, hash);
	check(memcmp(hash, rfc8489_userhash, 32) == 0, "%s: USERHASH computed", name);
	check(attr_is(&m, STUN_ATTR_USERHASH, rfc8489_userhash, 32), "%s: USERHASH attribute",
	      name);
	check(attr_is_str(&m, STUN_ATTR_NONCE, RFC8489_B1_NONCE), "%s: NONCE", name);
	a = stun_msg_find(&m, STUN_ATTR_PASSWORD_ALGORITHM);
	check(a && stun_attr_pw_alg(a, &alg) == 0 && alg == STUN_PW_ALG_SHA256,
	      "%s: PASSWORD-ALGORITHM SHA-256", name);
	key_len = stun_lt_key(STUN_PW_ALG_SHA256, RFC5769_LT_USERNAME, RFC5769_LT_REALM,
			      RFC5769_LT_PASSWORD, key);
	check(key_len == 32, "%s: SHA-256 long-term key is 32 bytes", name);
	if (key_len != 32)
		return;
	check(stun_msg_check_integrity_sha256(&m, key, 32) == 0,
	      "%s: MESSAGE-INTEGRITY-SHA256 with SHA-256(username:realm:password)", name);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST,
			 rfc8489_request_sha256 + 8);
	stun_put(&b, STUN_ATTR_USERHASH, hash, 32);
	stun_put_str(&b, STUN_ATTR_NONCE, RFC8489_B1_NONCE);
	stun_put_str(&b, STUN_ATTR_REALM, RFC5769_LT_REALM);
	stun_put_pw_alg(&b, STUN_PW_ALG_SHA256);
	stun_put_integrity_sha256(&b, key, 32);
	check_same(name, buf, stun_build_end(&b), rfc8489_request_sha256,
		   sizeof(rfc8489_request_sha256));
}

/* A flipped bit must be caught by MESSAGE-INTEGRITY and FINGERPRINT. */
static void check_tampering(void)
{
	uint8_t buf[sizeof(rfc5769_request)];
	struct stun_msg m;

	memcpy(buf, rfc5769_request, sizeof(buf));
	buf[30] ^= 0x01;
	if (stun_msg_parse(&m, buf, sizeof(buf)) != STUN_PARSE_OK) {
		check(false, "tampered 2.1 request: parses");
		return;
	}
	check(stun_msg_check_integrity(&m, (const uint8_t *)RFC5769_PASSWORD,
				       strlen(RFC5769_PASSWORD)) != 0,
	      "tampered 2.1 request: MESSAGE-INTEGRITY fails");
	check(!stun_msg_check_fingerprint(&m), "tampered 2.1 request: FINGERPRINT fails");
}

int main(int argc, char **argv)
{
	if (version_requested(argc, argv))
		return version_print("turnutils_rfc5769check");
	if (argc > 1) {
		fprintf(stderr, "usage: turnutils_rfc5769check\n"
				"Checks the STUN codec against the RFC 5769 test vectors.\n");
		return 2;
	}
	check_request();
	check_response("2.2 IPv4 response", rfc5769_response_v4, sizeof(rfc5769_response_v4),
		       RFC5769_MAPPED_V4);
	check_response("2.3 IPv6 response", rfc5769_response_v6, sizeof(rfc5769_response_v6),
		       RFC5769_MAPPED_V6);
	check_long_term();
	check_sha256();
	check_tampering();
	for (size_t i = 0; i < RFC5769_NVECTORS; i++)
		check(stun_looks_like_stun(rfc5769_vectors[i].buf, rfc5769_vectors[i].len),
		      "%s: looks like STUN", rfc5769_vectors[i].name);
	if (failures)
		printf("%d check(s) failed\n", failures);
	else
		printf("all checks passed\n");
	return failures ? 1 : 0;
}
