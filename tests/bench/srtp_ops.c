/*
 * srtp_ops.c - what one bridged packet's SRTP costs: libsrtp2 unprotects
 * and protects 172-byte RTP packets (20 ms of PCMU) through its built-in
 * crypto kernel (Debian's: NSS) or with src/anchor/srtp_ossl.c's
 * libcrypto types installed, and prints the process CPU time per packet
 * (one unprotect + one protect, the anchor's work per bridged packet)
 * and per context pair made (the work of keying one call side).
 *
 *   cc -O2 -Isrc -o srtp_ops tests/bench/srtp_ops.c src/anchor/srtp_ossl.c -lsrtp2 -lcrypto
 *   srtp_ops builtin|openssl [PACKETS] [CONTEXTS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "anchor/srtp_ossl.h"

static double cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static srtp_t make(const uint8_t *key, srtp_ssrc_type_t type)
{
	uint8_t k[30];
	srtp_policy_t p;
	srtp_t s;

	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_rtp_default(&p.rtp);
	srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	memcpy(k, key, sizeof(k));
	p.key = k;
	p.ssrc.type = type;
	p.window_size = 128;
	if (srtp_create(&s, &p) != srtp_err_status_ok) {
		fprintf(stderr, "srtp_create failed\n");
		exit(1);
	}
	return s;
}

int main(int argc, char **argv)
{
	static const uint8_t key[30] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
					16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
	long packets = argc > 2 ? atol(argv[2]) : 200000;
	long contexts = argc > 3 ? atol(argv[3]) : 2000;
	srtp_t peer_tx, in, out;
	uint8_t buf[1500];
	char err[160];
	double t0, t1, t2;

	if (argc < 2 || (strcmp(argv[1], "builtin") && strcmp(argv[1], "openssl"))) {
		fprintf(stderr, "usage: srtp_ops builtin|openssl [PACKETS] [CONTEXTS]\n");
		return 2;
	}
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	if (strcmp(argv[1], "openssl") == 0 && srtp_ossl_install(err, sizeof(err)) < 0) {
		fprintf(stderr, "install: %s\n", err);
		return 1;
	}
	t0 = cpu_s();
	for (long i = 0; i < contexts; i++) {
		srtp_t a = make(key, ssrc_any_inbound), b = make(key, ssrc_any_outbound);

		srtp_dealloc(a);
		srtp_dealloc(b);
	}
	t1 = cpu_s();
	peer_tx = make(key, ssrc_any_outbound);
	in = make(key, ssrc_any_inbound);
	out = make(key, ssrc_any_outbound);
	for (long i = 0; i < packets; i++) {
		int n = 172;

		memset(buf, 0, 12);
		buf[0] = 0x80;
		buf[2] = (uint8_t)(i >> 8);
		buf[3] = (uint8_t)i;
		buf[11] = 7;
		memset(buf + 12, (int)(i & 0xff), 160);
		/* what the party sends (not timed apart: the same work again) */
		if (srtp_protect(peer_tx, buf, &n) || srtp_unprotect(in, buf, &n) ||
		    srtp_protect(out, buf, &n)) {
			fprintf(stderr, "packet %ld failed\n", i);
			return 1;
		}
	}
	t2 = cpu_s();
	/* the loop does two protects and one unprotect per packet: the bridge
	   does one of each, so it is 2/3 of the loop */
	printf("kernel=%s packets=%ld ns_per_bridged_packet=%.0f contexts=%ld "
	       "us_per_context_pair=%.1f\n",
	       argv[1], packets, (t2 - t1) / (double)packets * 1e9 * 2.0 / 3.0, contexts,
	       (t1 - t0) / (double)contexts * 1e6);
	srtp_dealloc(peer_tx);
	srtp_dealloc(in);
	srtp_dealloc(out);
	return 0;
}
