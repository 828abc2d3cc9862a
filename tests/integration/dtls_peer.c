/*
 * dtls_peer.c - a DTLS-SRTP party of the tests' own (OpenSSL and libsrtp2,
 * none of the anchor's code), for test_anchor_dtls_rtcp.sh: one DTLS 1.2
 * association per component it is given, RTP's and, without rtcp-mux,
 * RTCP's on its own port (RFC 5764 §4.1), each keyed from its own exporter
 * (RFC 5764 §4.2); then it sends SRTP on the RTP port and SRTCP on the RTCP
 * port (or the RTP port when muxed), each protected with that port's keys,
 * and unprotects what it gets with the keys of the port it came in on.
 *
 * Usage: dtls_peer RTP_FD RTCP_FD|- ANCHOR_IP RTP_PORT RTCP_PORT active|passive
 *                  CERT KEY ANCHOR_FP SECONDS PROFILE
 * PROFILE: the one DTLS-SRTP profile offered (RFC 5764 §4.1.2),
 * SRTP_AES128_CM_SHA1_80, SRTP_AES128_CM_SHA1_32 or SRTP_AEAD_AES_128_GCM.
 * In place of active|passive, sdes:LOCAL:REMOTE (hex master key||salt of
 * PROFILE, its own and the anchor's, from the SDP's a=crypto lines): no
 * DTLS, both ports keyed by SDES (RFC 4568), the rest the same.
 * The fds are bound UDP sockets the driver passes on. ANCHOR_FP is the
 * anchor's a=fingerprint (sha-256, colon hex): its certificate must match.
 * Prints "connected handshakes=N" once every handshake completed, then
 * after SECONDS of media a line "result rtp_out=.. rtcp_out=.. rtp_ok=..
 * rtp_bad=.. rtcp_ok=.. rtcp_bad=.." (ok: unprotected and the plain
 * packet is the one the other party sends; bad: anything else), then
 * waits (up to 5 s, the driver deletes the call meanwhile) for the
 * anchor's close_notify on each association: "close_notify=N".
 * Exit 0 when it got that far, 1 on a set-up or handshake failure.
 */
#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <srtp2/srtp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#define SSRC_OURS 0x50505050u
#define SSRC_THEIRS 0x41414141u
#define KEY_LEN 16
#define SALT_MAX 14

struct comp {
	int fd;
	SSL *ssl;
	srtp_t tx, rx;
	int closed;
};

static const char *anchor_fp;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* RFC 5763 §5: the anchor's certificate is the one its a=fingerprint names. */
static int verify_cb(int ok, X509_STORE_CTX *store)
{
	X509 *cert = X509_STORE_CTX_get_current_cert(store);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char hex[3 * EVP_MAX_MD_SIZE + 1] = "";

	(void)ok;
	if (X509_STORE_CTX_get_error_depth(store) != 0)
		return 1;
	if (!cert || !X509_digest(cert, EVP_sha256(), md, &n))
		return 0;
	for (unsigned int i = 0; i < n; i++)
		sprintf(hex + 3 * i, i + 1 < n ? "%02X:" : "%02X", md[i]);
	if (strcasecmp(hex, anchor_fp) != 0) {
		fprintf(stderr, "anchor certificate %s is not its a=fingerprint %s\n", hex,
			anchor_fp);
		return 0;
	}
	return 1;
}

/* The component's socket takes only the anchor's port from now on. */
static int connect_to(struct comp *c, const char *ip, int port, struct sockaddr_in *to)
{
	struct timeval tv = {.tv_sec = 0, .tv_usec = 200000};

	*to = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &to->sin_addr);
	if (connect(c->fd, (struct sockaddr *)to, sizeof(*to)) < 0)
		return -1;
	return setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

static int handshake(SSL_CTX *ctx, struct comp *c, const char *ip, int port, int active)
{
	struct sockaddr_in to;
	BIO *bio;
	double end = now_s() + 8;

	if (connect_to(c, ip, port, &to) < 0)
		return -1;
	c->ssl = SSL_new(ctx);
	bio = BIO_new_dgram(c->fd, BIO_NOCLOSE);
	if (!c->ssl || !bio)
		return -1;
	BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, &to);
	SSL_set_bio(c->ssl, bio, bio);
	if (active)
		SSL_set_connect_state(c->ssl);
	else
		SSL_set_accept_state(c->ssl);
	while (now_s() < end) {
		int r = SSL_do_handshake(c->ssl);

		if (r == 1)
			return 0;
		if (SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ) {
			ERR_print_errors_fp(stderr);
			return -1;
		}
		DTLSv1_handle_timeout(c->ssl);
	}
	fprintf(stderr, "handshake timed out\n");
	return -1;
}

/* libsrtp2's policy for a DTLS-SRTP profile; its salt length, 0 when unknown */
static size_t profile_policy(unsigned long id, srtp_policy_t *p)
{
	switch (id) {
	case SRTP_AES128_CM_SHA1_80:
		srtp_crypto_policy_set_rtp_default(&p->rtp);
		srtp_crypto_policy_set_rtcp_default(&p->rtcp);
		return 14;
	case SRTP_AES128_CM_SHA1_32:
		/* RFC 5764 §4.1.2: SRTCP keeps the 80-bit tag */
		srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&p->rtp);
		srtp_crypto_policy_set_rtcp_default(&p->rtcp);
		return 14;
	case SRTP_AEAD_AES_128_GCM:
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtp);
		srtp_crypto_policy_set_aes_gcm_128_16_auth(&p->rtcp);
		return 12;
	}
	return 0;
}

/* The sessions of one component from master key||salt local and remote. */
static int sessions(struct comp *c, srtp_policy_t *p, unsigned char *local,
		    unsigned char *remote)
{
	p->ssrc.type = ssrc_any_outbound;
	p->key = local;
	p->window_size = 128;
	if (srtp_create(&c->tx, p) != srtp_err_status_ok)
		return -1;
	p->ssrc.type = ssrc_any_inbound;
	p->key = remote;
	return srtp_create(&c->rx, p) == srtp_err_status_ok ? 0 : -1;
}

static int unhex(const char *h, unsigned char *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (sscanf(h + 2 * i, "%2hhx", &out[i]) != 1)
			return -1;
	return h[2 * n] == '\0' || h[2 * n] == ':' ? 0 : -1;
}

/* SDES (role "sdes:LOCAL:REMOTE"): both components keyed from the SDP's keys. */
static int sdes_keys(struct comp *c, int n, const char *role, const char *profile)
{
	unsigned char local[KEY_LEN + SALT_MAX], remote[KEY_LEN + SALT_MAX];
	const char *r = strchr(role + 5, ':');
	srtp_policy_t p;
	size_t salt;

	memset(&p, 0, sizeof(p));
	salt = profile_policy(strcmp(profile, "SRTP_AES128_CM_SHA1_32") == 0 ? SRTP_AES128_CM_SHA1_32
									       : SRTP_AES128_CM_SHA1_80,
			      &p);
	if (!r || unhex(role + 5, local, KEY_LEN + salt) < 0 ||
	    unhex(r + 1, remote, KEY_LEN + salt) < 0)
		return -1;
	for (int k = 0; k < n; k++)
		if (sessions(&c[k], &p, local, remote) < 0)
			return -1;
	return 0;
}

static int keys(struct comp *c, int active)
{
	unsigned char m[2 * (KEY_LEN + SALT_MAX)], local[KEY_LEN + SALT_MAX],
	    remote[KEY_LEN + SALT_MAX];
	srtp_policy_t p;
	SRTP_PROTECTION_PROFILE *prof = SSL_get_selected_srtp_profile(c->ssl);
	size_t salt;
	const unsigned char *ck = m, *sk = m + KEY_LEN, *cs = m + 2 * KEY_LEN, *ss;

	memset(&p, 0, sizeof(p));
	salt = prof ? profile_policy(prof->id, &p) : 0;
	ss = cs + salt;
	if (salt == 0 || SSL_export_keying_material(c->ssl, m, 2 * (KEY_LEN + salt),
						    "EXTRACTOR-dtls_srtp", 19, NULL, 0, 0) != 1)
		return -1;
	/* RFC 5764 §4.2: client key, server key, client salt, server salt */
	memcpy(local, active ? ck : sk, KEY_LEN);
	memcpy(local + KEY_LEN, active ? cs : ss, salt);
	memcpy(remote, active ? sk : ck, KEY_LEN);
	memcpy(remote + KEY_LEN, active ? ss : cs, salt);
	return sessions(c, &p, local, remote);
}

static void put32(unsigned char *b, uint32_t v)
{
	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

/* An RTCP sender report (RFC 3550 §6.4.1) of ssrc; n in its packet count. */
static int sender_report(unsigned char *b, uint32_t ssrc, uint32_t n)
{
	memset(b, 0, 28);
	b[0] = 0x80;
	b[1] = 200;
	b[3] = 6;
	put32(b + 4, ssrc);
	put32(b + 20, n);
	return 28;
}

static int rtp(unsigned char *b, uint16_t seq)
{
	memset(b, 0, 172);
	b[0] = 0x80;
	b[2] = (unsigned char)(seq >> 8);
	b[3] = (unsigned char)seq;
	put32(b + 8, SSRC_OURS);
	return 172;
}

static uint32_t ssrc_at(const unsigned char *b, int off)
{
	return (uint32_t)b[off] << 24 | (uint32_t)b[off + 1] << 16 | (uint32_t)b[off + 2] << 8 |
	       b[off + 3];
}

int main(int argc, char **argv)
{
	struct comp c[2] = {{.fd = -1}, {.fd = -1}};
	int n, active, ports[2];
	double secs, end, next;
	SSL_CTX *ctx;
	unsigned long rtp_out = 0, rtcp_out = 0, rtp_ok = 0, rtp_bad = 0, rtcp_ok = 0,
		      rtcp_bad = 0;
	uint16_t seq = 1;
	int closes = 0, sdes;

	if (argc != 12) {
		fprintf(stderr, "usage: dtls_peer RTP_FD RTCP_FD|- ANCHOR_IP RTP_PORT RTCP_PORT "
				"active|passive CERT KEY ANCHOR_FP SECONDS PROFILE\n");
		return 2;
	}
	c[0].fd = atoi(argv[1]);
	c[1].fd = strcmp(argv[2], "-") ? atoi(argv[2]) : -1;
	n = c[1].fd >= 0 ? 2 : 1;
	ports[0] = atoi(argv[4]);
	ports[1] = atoi(argv[5]);
	active = strcmp(argv[6], "active") == 0;
	sdes = strncmp(argv[6], "sdes:", 5) == 0;
	anchor_fp = argv[9];
	secs = atof(argv[10]);
	if (srtp_init() != srtp_err_status_ok)
		return 1;
	ctx = SSL_CTX_new(DTLS_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) ||
	    SSL_CTX_use_certificate_file(ctx, argv[7], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(ctx, argv[8], SSL_FILETYPE_PEM) != 1 ||
	    (!sdes && SSL_CTX_set_tlsext_use_srtp(ctx, argv[11]) != 0)) {
		ERR_print_errors_fp(stderr);
		return 1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, verify_cb);
	SSL_CTX_set_read_ahead(ctx, 1);
	for (int k = 0; !sdes && k < n; k++) {
		if (handshake(ctx, &c[k], argv[3], ports[k], active) < 0 || keys(&c[k], active) < 0) {
			fprintf(stderr, "component %d: DTLS-SRTP failed\n", k + 1);
			printf("failed component=%d\n", k + 1);
			return 1;
		}
	}
	for (int k = 0; sdes && k < n; k++) {
		struct sockaddr_in to;

		if (connect_to(&c[k], argv[3], ports[k], &to) < 0)
			return 1;
	}
	if (sdes && sdes_keys(c, n, argv[6], argv[11]) < 0) {
		printf("failed sdes keys\n");
		return 1;
	}
	printf("connected handshakes=%d\n", sdes ? 0 : n);
	fflush(stdout);

	end = now_s() + secs;
	next = 0;
	while (now_s() < end) {
		struct pollfd pfd[2];
		unsigned char b[1500];
		int len;

		if (now_s() >= next) {
			int ck = n - 1; /* RTCP's keys: its own association's, or RTP's when muxed */

			len = rtp(b, seq++);
			if (srtp_protect(c[0].tx, b, &len) == srtp_err_status_ok &&
			    send(c[0].fd, b, (size_t)len, 0) == len)
				rtp_out++;
			len = sender_report(b, SSRC_OURS, (uint32_t)rtcp_out);
			if (srtp_protect_rtcp(c[ck].tx, b, &len) == srtp_err_status_ok &&
			    send(c[ck].fd, b, (size_t)len, 0) == len)
				rtcp_out++;
			next = now_s() + 0.02;
		}
		for (int k = 0; k < n; k++)
			pfd[k] = (struct pollfd){.fd = c[k].fd, .events = POLLIN};
		if (poll(pfd, (nfds_t)n, 5) <= 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (!(pfd[k].revents & POLLIN))
				continue;
			len = (int)recv(c[k].fd, b, sizeof(b), 0);
			if (len < 2 || (b[0] >= 20 && b[0] <= 63))
				continue; /* a late handshake flight */
			if (b[1] >= 192 && b[1] <= 223) {
				/* SRTCP: the keys of the port it came in on */
				if (srtp_unprotect_rtcp(c[k].rx, b, &len) == srtp_err_status_ok &&
				    len == 28 && b[1] == 200 && ssrc_at(b, 4) == SSRC_THEIRS)
					rtcp_ok++;
				else
					rtcp_bad++;
			} else if (k == 0 && srtp_unprotect(c[0].rx, b, &len) == srtp_err_status_ok &&
				   len == 172 && ssrc_at(b, 8) == SSRC_THEIRS) {
				rtp_ok++;
			} else {
				rtp_bad++;
			}
		}
	}
	printf("result rtp_out=%lu rtcp_out=%lu rtp_ok=%lu rtp_bad=%lu rtcp_ok=%lu rtcp_bad=%lu\n",
	       rtp_out, rtcp_out, rtp_ok, rtp_bad, rtcp_ok, rtcp_bad);
	fflush(stdout);

	/* the call's delete: a close_notify on each association */
	end = now_s() + (sdes ? 0 : 5);
	while (closes < n && now_s() < end) {
		for (int k = 0; k < n; k++) {
			unsigned char b[1500];
			int r;

			if (c[k].closed)
				continue;
			r = SSL_read(c[k].ssl, b, sizeof(b));
			if (r <= 0 && SSL_get_error(c[k].ssl, r) == SSL_ERROR_ZERO_RETURN) {
				c[k].closed = 1;
				closes++;
			}
			ERR_clear_error();
		}
	}
	printf("close_notify=%d\n", closes);
	for (int k = 0; k < n; k++) {
		SSL_free(c[k].ssl);
		if (c[k].tx)
			srtp_dealloc(c[k].tx);
		if (c[k].rx)
			srtp_dealloc(c[k].rx);
	}
	SSL_CTX_free(ctx);
	srtp_shutdown();
	return 0;
}
