/*
 * make_corpus.c - writes the seed corpora of the fuzz harnesses: the RFC
 * 5769 vectors, one built message of each TURN method and class in use,
 * and ChannelData frames and streams. Run once from the top directory:
 *   cc -std=c11 -D_GNU_SOURCE -Isrc tests/fuzz/make_corpus.c src/stun/[a-z]*.c -lcrypto -o mc
 *   ./mc tests/fuzz/corpus
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "client/rfc5769_vectors.h"
#include "stun/stun.h"

static const char *dir;
static int failed;

static void save(const char *sub, const char *name, const uint8_t *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0) {
		perror(path);
		failed = 1;
	}
}

static void save_built(const char *name, struct stun_builder *b)
{
	size_t n = stun_build_end(b);

	if (!n) {
		fprintf(stderr, "%s: build failed\n", name);
		failed = 1;
		return;
	}
	save("stun", name, b->buf, n);
}

static void stun_seeds(void)
{
	static const uint8_t tid[STUN_TID_LEN] = "fuzzcorpus01";
	static const uint16_t unknown[] = {0x7FFF, 0x0030};
	static const uint16_t algs[] = {STUN_PW_ALG_MD5, STUN_PW_ALG_SHA256};
	struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_port = htons(49152)};
	struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_port = htons(49153)};
	const uint8_t key[] = "seed-key";
	char cookie[STUN_NONCE_COOKIE_LEN + 1];
	uint8_t buf[1024];
	struct stun_builder b;

	inet_pton(AF_INET, "192.0.2.10", &v4.sin_addr);
	inet_pton(AF_INET6, "2001:db8::10", &v6.sin6_addr);
	save("stun", "rfc5769-2.1-request", rfc5769_request, sizeof(rfc5769_request));
	save("stun", "rfc5769-2.2-response-v4", rfc5769_response_v4, sizeof(rfc5769_response_v4));
	save("stun", "rfc5769-2.3-response-v6", rfc5769_response_v6, sizeof(rfc5769_response_v6));
	save("stun", "rfc5769-2.4-long-term", rfc5769_request_lt, sizeof(rfc5769_request_lt));
	save("stun", "rfc8489-b.1-sha256", rfc8489_request_sha256, sizeof(rfc8489_request_sha256));

	stun_nonce_cookie(cookie, STUN_FEATURE_PASSWORD_ALGORITHMS);

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 600);
	stun_put_even_port(&b, true);
	stun_put(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	stun_put_family(&b, STUN_ATTR_REQUESTED_ADDRESS_FAMILY, STUN_FAMILY_IPV6);
	stun_put_str(&b, STUN_ATTR_USERNAME, "user");
	stun_put_str(&b, STUN_ATTR_REALM, "example.org");
	stun_put_str(&b, STUN_ATTR_NONCE, cookie);
	stun_put_pw_alg(&b, STUN_PW_ALG_MD5);
	stun_put_integrity(&b, key, sizeof(key) - 1);
	stun_put_fingerprint(&b);
	save_built("allocate-request", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_SUCCESS, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_RELAYED_ADDRESS, (struct sockaddr *)&v4);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_RELAYED_ADDRESS, (struct sockaddr *)&v6);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&v4);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 600);
	stun_put_token(&b, 0x1122334455667788ull);
	stun_put_str(&b, STUN_ATTR_SOFTWARE, "seed");
	stun_put_integrity_sha256(&b, key, sizeof(key) - 1);
	save_built("allocate-success", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_ERROR, tid);
	stun_put_error(&b, STUN_ERR_UNAUTHORIZED, NULL);
	stun_put_str(&b, STUN_ATTR_REALM, "example.org");
	stun_put_str(&b, STUN_ATTR_NONCE, cookie);
	stun_put_pw_algs(&b, algs, 2);
	stun_put_fingerprint(&b);
	save_built("allocate-error-401", &b);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_ERROR, tid);
	stun_put_error(&b, STUN_ERR_UNKNOWN_ATTRIBUTE, NULL);
	stun_put_unknown(&b, unknown, 2);
	save_built("binding-error-420", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_REQUEST, tid);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 0);
	stun_put_integrity(&b, key, sizeof(key) - 1);
	stun_put_integrity_sha256(&b, key, sizeof(key) - 1);
	stun_put_fingerprint(&b);
	save_built("refresh-request-mi-mi256-fp", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_CREATE_PERMISSION, STUN_REQUEST, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v6);
	save_built("createpermission-request", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_CHANNEL_BIND, STUN_REQUEST, tid);
	stun_put_channel(&b, 0x4001);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	save_built("channelbind-request", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_SEND, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v6);
	stun_put(&b, STUN_ATTR_DATA, "payload", 7);
	stun_put(&b, STUN_ATTR_DONT_FRAGMENT, NULL, 0);
	save_built("send-indication", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	stun_put(&b, STUN_ATTR_DATA, "data", 4);
	save_built("data-indication", &b);

	/* RFC 8656 §11.3: ICMP errors: fragmentation needed with its MTU, port
	 * unreachable over IPv6, and an ICMP value of the wrong length */
	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	stun_put_icmp(&b, &(struct stun_icmp){.type = 3, .code = 4, .error_data = 1400});
	stun_put_fingerprint(&b);
	save_built("data-indication-icmp-v4", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v6);
	stun_put_icmp(&b, &(struct stun_icmp){.type = 1, .code = 4});
	save_built("data-indication-icmp-v6", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	stun_put(&b, STUN_ATTR_ICMP, "\0\0\x06\x03", 4);
	save_built("data-indication-icmp-short", &b);

	/* RFC 8016: an Allocate asking for mobility, its answer's ticket, a
	 * Refresh with it, and tickets of the wrong length */
	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	stun_put(&b, STUN_ATTR_MOBILITY_TICKET, NULL, 0);
	save_built("allocate-request-mobility", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_SUCCESS, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_RELAYED_ADDRESS, (struct sockaddr *)&v4);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 600);
	stun_put(&b, STUN_ATTR_MOBILITY_TICKET, "0123456789abcdef+/ABCDEF", STUN_MOBILITY_TICKET_LEN);
	stun_put_integrity(&b, key, sizeof(key) - 1);
	save_built("allocate-success-mobility", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_REQUEST, tid);
	stun_put_u32(&b, STUN_ATTR_LIFETIME, 600);
	stun_put(&b, STUN_ATTR_MOBILITY_TICKET, "0123456789abcdef+/ABCDEF", STUN_MOBILITY_TICKET_LEN);
	save_built("refresh-request-mobility", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_REFRESH, STUN_REQUEST, tid);
	stun_put(&b, STUN_ATTR_MOBILITY_TICKET, "short", 5);
	save_built("refresh-mobility-short", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_ALLOCATE, STUN_REQUEST, tid);
	stun_put_transport(&b, TURN_TRANSPORT_UDP);
	stun_put(&b, STUN_ATTR_MOBILITY_TICKET, "0123456789abcdef+/ABCDEF0", 25);
	save_built("allocate-mobility-long", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_CONNECT, STUN_REQUEST, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	save_built("connect-request", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_CONNECTION_BIND, STUN_REQUEST, tid);
	stun_put_u32(&b, STUN_ATTR_CONNECTION_ID, 42);
	save_built("connectionbind-request", &b);

	stun_build_start(&b, buf, sizeof(buf), TURN_CONNECTION_ATTEMPT, STUN_INDICATION, tid);
	stun_put_u32(&b, STUN_ATTR_CONNECTION_ID, 42);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, (struct sockaddr *)&v4);
	save_built("connectionattempt-indication", &b);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_u32(&b, STUN_ATTR_PRIORITY, 0x6e0001ff);
	stun_put(&b, STUN_ATTR_USE_CANDIDATE, NULL, 0);
	stun_put_token(&b, 1); /* any 8 bytes */
	stun_put_u32(&b, STUN_ATTR_CHANGE_REQUEST, 6);
	stun_put_addr(&b, STUN_ATTR_RESPONSE_ORIGIN, (struct sockaddr *)&v4);
	stun_put_addr(&b, STUN_ATTR_OTHER_ADDRESS, (struct sockaddr *)&v6);
	stun_put(&b, 0x7FFF, "??", 2);
	stun_put(&b, 0xC001, "opt", 3);
	save_built("binding-request-misc", &b);

	/* RFC 5780: a discovery request, its answer, and a malformed request */
	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put_change_request(&b, STUN_CHANGE_IP | STUN_CHANGE_PORT);
	stun_put_response_port(&b, 40000);
	stun_put_padding(&b, 64);
	stun_put_fingerprint(&b);
	save_built("binding-request-rfc5780", &b);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_SUCCESS, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_MAPPED_ADDRESS, (struct sockaddr *)&v4);
	stun_put_addr(&b, STUN_ATTR_RESPONSE_ORIGIN, (struct sockaddr *)&v4);
	stun_put_addr(&b, STUN_ATTR_OTHER_ADDRESS, (struct sockaddr *)&v4);
	stun_put_padding(&b, 64);
	stun_put_fingerprint(&b);
	save_built("binding-success-rfc5780", &b);

	stun_build_start(&b, buf, sizeof(buf), STUN_BINDING, STUN_REQUEST, tid);
	stun_put(&b, STUN_ATTR_CHANGE_REQUEST, "\0\6", 2);
	stun_put(&b, STUN_ATTR_RESPONSE_PORT, "\0\0\0\0", 4);
	stun_put(&b, STUN_ATTR_PADDING, NULL, 0);
	save_built("binding-request-rfc5780-malformed", &b);
}

static void channeldata_seeds(void)
{
	uint8_t buf[256];
	size_t n;

	turn_channeldata_header(buf, 0x4000, 0);
	save("channeldata", "empty", buf, 4);

	turn_channeldata_header(buf, 0x4001, 5);
	memcpy(buf + 4, "hello\0\0\0", 8);
	save("channeldata", "udp-unpadded", buf, 9);
	save("channeldata", "tcp-padded", buf, 12);

	turn_channeldata_header(buf, 0x7FFF, 8);
	memcpy(buf + 4, "12345678", 8);
	save("channeldata", "rfc5766-max-channel", buf, 12);

	/* a stream: ChannelData, STUN, ChannelData, then a partial frame */
	turn_channeldata_header(buf, 0x4FFF, 3);
	memcpy(buf + 4, "abc", 4);
	n = 8;
	memcpy(buf + n, rfc5769_response_v4, sizeof(rfc5769_response_v4));
	n += sizeof(rfc5769_response_v4);
	turn_channeldata_header(buf + n, 0x4002, 1);
	memcpy(buf + n + 4, "z\0\0\0", 4);
	n += 8;
	turn_channeldata_header(buf + n, 0x4003, 100);
	n += 6;
	save("channeldata", "tcp-stream", buf, n);

	save("channeldata", "stun-binding-request", rfc5769_request, sizeof(rfc5769_request));
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr,
			"usage: make_corpus DIR (DIR/stun and DIR/channeldata must exist)\n");
		return 2;
	}
	dir = argv[1];
	stun_seeds();
	channeldata_seeds();
	return failed;
}
