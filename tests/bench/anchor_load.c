/*
 * anchor_load.c - RTP load through a media anchor that speaks rtpengine's
 * ng protocol (our turnserver's anchor, or rtpengine itself), for
 * tests/integration/test_anchor_load.sh and tests/bench/bench_anchor.py.
 *
 * Sets up N calls over ng (offer from party A with from-tag, answer from
 * party B with to-tag; ICE=remove, one RTP/AVP audio stream, bencode),
 * then each party sends RTP to the anchor port its SDP named, from the
 * address its own SDP gave: 172-byte packets (12-byte header) at 50
 * packets/s per direction per call, the calls spread evenly over each
 * 20 ms period. Every received packet is checked (right call, right
 * direction, from the anchor port the receiver sends to) and counted.
 * Optionally queries each call and sums the anchor's per-stream packet
 * counts, then deletes every call (unless --keep).
 *
 * With --pid it reads the anchor process's CPU time (sum of its threads'
 * /proc/PID/task/TID/schedstat run times, and utime+stime of
 * /proc/PID/stat) and VmRSS at the edges of a measuring window that
 * starts after a warm-up of traffic, so setup costs are not in it.
 *
 * With --srtp the calls are SRTP bridged (issue 13): the offer asks for
 * transport-protocol RTP/SAVP toward B with DTLS=off and
 * SDES-only-AES_CM_128_HMAC_SHA1_80, B answers RTP/SAVP with an a=crypto
 * of its own key (answer: transport-protocol RTP/AVP toward A), and B
 * protects what it sends and unprotects what it gets with libsrtp2 (a
 * packet that fails is counted in srtp_failures, not received). A stays
 * plain. The same flags make rtpengine bridge.
 *
 * Prints key=value lines on stdout (setup, media, window, query,
 * teardown). Exit 0 when every ng request got an ok reply, 1 otherwise
 * (loss is for the caller to judge), 2 on usage errors.
 * Build: cc -O2 -std=gnu11 -Wall -Wextra -o anchor_load anchor_load.c -lsrtp2
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <srtp2/srtp.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAGIC 0x414e4c44u /* "ANLD" */
#define LOAD_MAX_SIZE 1400
#define LOAD_MIN_SIZE 28 /* RTP header + magic, call, direction, index */
#define NG_MAX_INFLIGHT 64
#define NG_REPLY_MAX 65536
#define NG_RETRY_NS 1000000000ull
#define NG_MAX_TRIES 5

enum ng_kind { NG_OFFER, NG_ANSWER, NG_QUERY, NG_DELETE };
static const char *const ng_kind_name[] = {"offer", "answer", "query", "delete"};

struct opts {
	struct sockaddr_in ng;
	struct in_addr ip;
	char prefix[32];
	unsigned int calls;
	unsigned int inflight;
	unsigned int pps;
	unsigned int size_bytes;
	double warm_s;
	double seconds;
	double drain_s;
	int pid;
	bool query;
	bool keep;
	bool delete_only;
	bool srtp;
	const char *per_call;
};

#define SRTP_SUITE "AES_CM_128_HMAC_SHA1_80"
#define SRTP_KEY_LEN 30 /* master key and salt */

/* One call: side 0 is party A (offerer, from-tag), side 1 party B. */
struct lcall {
	int fd[2];
	struct sockaddr_in party[2];  /* each party's own address (in its SDP) */
	struct sockaddr_in anchor[2]; /* where each party sends: the anchor's port for it */
	uint64_t sent[2];	      /* by direction: 0 = A to B, 1 = B to A */
	uint64_t recv[2];
	uint64_t reordered[2];
	uint32_t next_index[2];
	int64_t anchor_in[2]; /* query: packets the anchor counted from A, from B */
	bool up;
	/* --srtp: B's sessions, its own key (what it sends), the offer's a=crypto tag */
	srtp_t b_tx, b_rx;
	uint8_t b_key[SRTP_KEY_LEN];
	unsigned int crypto_tag;
};

struct load {
	struct opts o;
	struct lcall *calls;
	int ng_fd;
	unsigned int cookie_seq;
	unsigned int failed;
	bool quiet; /* failures are not counted (cleanup after a failed setup) */
	uint64_t misrouted;
	uint64_t send_errors;
	uint64_t srtp_failures;
	bool in_window;
	uint64_t window_recv;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- the measured process: /proc ---- */

/* Run time of all the process's threads in ns (schedstat, precise). */
static uint64_t proc_cpu_ns(int pid)
{
	char path[64];
	uint64_t total = 0;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		char p[300];
		unsigned long long ns;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/proc/%d/task/%s/schedstat", pid, de->d_name);
		f = fopen(p, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &ns) == 1)
			total += ns;
		fclose(f);
	}
	closedir(d);
	return total;
}

/* utime + stime of /proc/PID/stat, in clock ticks. */
static uint64_t proc_cpu_ticks(int pid)
{
	char path[64], buf[1024];
	unsigned long long ut, st;
	const char *p;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	/* after "pid (comm)": state is field 3, utime 14, stime 15 */
	if (!p ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return 0;
	return ut + st;
}

static long proc_rss_kb(int pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static double self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

/* ---- bencode: a writer for requests, a reader for replies ---- */

struct bw {
	char buf[2048];
	size_t len;
	bool overflow;
};

static void bw_raw(struct bw *w, const char *s, size_t n)
{
	if (w->len + n > sizeof(w->buf)) {
		w->overflow = true;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void bw_str(struct bw *w, const char *s)
{
	char hdr[24];
	int n = snprintf(hdr, sizeof(hdr), "%zu:", strlen(s));

	bw_raw(w, hdr, (size_t)n);
	bw_raw(w, s, strlen(s));
}

static void bw_kv(struct bw *w, const char *k, const char *v)
{
	bw_str(w, k);
	bw_str(w, v);
}

/* Offset just past the value at pos, or -1 if it is cut or malformed. */
static long bx_skip(const uint8_t *b, size_t len, size_t pos, int depth)
{
	size_t n = 0;

	if (pos >= len || depth > 32)
		return -1;
	if (b[pos] == 'i') {
		const uint8_t *e = memchr(b + pos, 'e', len - pos);

		return e ? (long)(e - b) + 1 : -1;
	}
	if (b[pos] == 'l' || b[pos] == 'd') {
		pos++;
		while (pos < len && b[pos] != 'e') {
			long next = bx_skip(b, len, pos, depth + 1);

			if (next < 0)
				return -1;
			pos = (size_t)next;
		}
		return pos < len ? (long)pos + 1 : -1;
	}
	while (pos < len && b[pos] >= '0' && b[pos] <= '9' && n < len)
		n = n * 10 + (size_t)(b[pos++] - '0');
	if (pos >= len || b[pos] != ':' || n > len - pos - 1)
		return -1;
	return (long)(pos + 1 + n);
}

/* The string at pos: its bytes and length. False if pos holds no string. */
static bool bx_str(const uint8_t *b, size_t len, size_t pos, const uint8_t **s, size_t *slen)
{
	long end = bx_skip(b, len, pos, 0);
	const uint8_t *colon;

	if (end < 0 || b[pos] < '0' || b[pos] > '9')
		return false;
	colon = memchr(b + pos, ':', len - pos);
	*s = colon + 1;
	*slen = (size_t)(b + end - *s);
	return true;
}

/* Offset of the member named key of the dictionary, or index of the list, at pos; -1 if none. */
static long bx_child(const uint8_t *b, size_t len, size_t pos, const char *key)
{
	bool dict = pos < len && b[pos] == 'd';
	long idx = dict ? 0 : strtol(key, NULL, 10), i = 0;

	if (pos >= len || (b[pos] != 'd' && b[pos] != 'l'))
		return -1;
	pos++;
	while (pos < len && b[pos] != 'e') {
		long vpos = (long)pos, next;

		if (dict) {
			const uint8_t *k;
			size_t klen;

			if (!bx_str(b, len, pos, &k, &klen))
				return -1;
			vpos = bx_skip(b, len, pos, 0);
			if (vpos < 0)
				return -1;
			if (klen == strlen(key) && !memcmp(k, key, klen))
				return vpos;
		} else if (i++ == idx) {
			return vpos;
		}
		next = bx_skip(b, len, (size_t)vpos, 0);
		if (next < 0)
			return -1;
		pos = (size_t)next;
	}
	return -1;
}

/* Follows a path of keys and list indexes separated by '/'; -1 if absent. */
static long bx_path(const uint8_t *b, size_t len, const char *path)
{
	char comp[128];
	long pos = 0;

	while (*path && pos >= 0) {
		size_t n = strcspn(path, "/");

		if (n >= sizeof(comp))
			return -1;
		memcpy(comp, path, n);
		comp[n] = '\0';
		pos = bx_child(b, len, (size_t)pos, comp);
		path += n + (path[n] == '/');
	}
	return pos;
}

static bool bx_path_int(const uint8_t *b, size_t len, const char *path, int64_t *v)
{
	long pos = bx_path(b, len, path);

	if (pos < 0 || b[pos] != 'i' || bx_skip(b, len, (size_t)pos, 0) < 0)
		return false;
	*v = strtoll((const char *)b + pos + 1, NULL, 10);
	return true;
}

static bool bx_path_str_is(const uint8_t *b, size_t len, const char *path, const char *want)
{
	long pos = bx_path(b, len, path);
	const uint8_t *s;
	size_t n;

	return pos >= 0 && bx_str(b, len, (size_t)pos, &s, &n) && n == strlen(want) &&
	       !memcmp(s, want, n);
}

/* ---- SDP ---- */

/* ---- base64 (RFC 4648) for SDES keys ---- */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64_encode(const uint8_t *in, size_t n, char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
			     (i + 2 < n ? in[i + 2] : 0);

		out[o++] = b64[v >> 18];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* Decodes exactly n bytes from the base64 at in (n a multiple of 3 here). */
static bool b64_decode(const char *in, uint8_t *out, size_t n)
{
	for (size_t i = 0, j = 0; j < n; i += 4, j += 3) {
		uint32_t v = 0;

		for (int k = 0; k < 4; k++) {
			const char *p = in[i + k] ? strchr(b64, in[i + k]) : NULL;

			if (!p)
				return false;
			v = v << 6 | (uint32_t)(p - b64);
		}
		out[j] = (uint8_t)(v >> 16);
		out[j + 1] = (uint8_t)(v >> 8);
		out[j + 2] = (uint8_t)v;
	}
	return true;
}

/* An SRTP session of suite SRTP_SUITE with key, for what is sent (outbound)
 * or received. */
static bool srtp_session(srtp_t *s, const uint8_t *key, bool outbound)
{
	srtp_policy_t p;

	memset(&p, 0, sizeof(p));
	srtp_crypto_policy_set_rtp_default(&p.rtp);
	srtp_crypto_policy_set_rtcp_default(&p.rtcp);
	p.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound;
	p.key = (unsigned char *)key;
	return srtp_create(s, &p) == srtp_err_status_ok;
}

/* Party B's answer under --srtp carries its own key for the offer's tag. */
static void sdp_of_party(const struct sockaddr_in *a, const struct lcall *srtp_b, char *out,
			 size_t outlen)
{
	char ip[INET_ADDRSTRLEN], key[48], crypto[128] = "";

	inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
	if (srtp_b) {
		b64_encode(srtp_b->b_key, SRTP_KEY_LEN, key);
		snprintf(crypto, sizeof(crypto), "a=crypto:%u " SRTP_SUITE " inline:%s\r\n",
			 srtp_b->crypto_tag, key);
	}
	snprintf(out, outlen,
		 "v=0\r\no=- %u 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
		 "m=audio %u RTP/%s 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n%s",
		 (unsigned int)ntohs(a->sin_port), ip, ip, (unsigned int)ntohs(a->sin_port),
		 srtp_b ? "SAVP" : "AVP", crypto);
}

/* The key and tag of the SDP's a=crypto line of SRTP_SUITE. */
static bool sdp_crypto(const uint8_t *s, size_t len, unsigned int *tag, uint8_t *key)
{
	char sdp[8192];
	const char *p;

	if (len >= sizeof(sdp))
		return false;
	memcpy(sdp, s, len);
	sdp[len] = '\0';
	for (p = sdp; (p = strstr(p, "a=crypto:")) != NULL; p += 9) {
		char suite[64], inl[64];

		if (sscanf(p + 9, "%u %63s inline:%63[A-Za-z0-9+/=]", tag, suite, inl) == 3 &&
		    strcmp(suite, SRTP_SUITE) == 0 && strlen(inl) >= 40)
			return b64_decode(inl, key, SRTP_KEY_LEN);
	}
	return false;
}

/* The audio address of an SDP: the last c= line's IPv4 address, the m= port. */
static bool sdp_media_addr(const uint8_t *s, size_t len, struct sockaddr_in *out)
{
	char sdp[8192], ip[64] = "";
	unsigned int port = 0;
	bool have_port = false;

	if (len >= sizeof(sdp))
		return false;
	memcpy(sdp, s, len);
	sdp[len] = '\0';
	for (char *line = sdp; line && *line;) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		if (!strncmp(line, "c=IN IP4 ", 9))
			sscanf(line + 9, "%63[0-9.]", ip);
		else if (!have_port && sscanf(line, "m=audio %u ", &port) == 1)
			have_port = true;
		line = nl ? nl + 1 : NULL;
	}
	memset(out, 0, sizeof(*out));
	out->sin_family = AF_INET;
	out->sin_port = htons((uint16_t)port);
	return have_port && port > 0 && port < 65536 && inet_pton(AF_INET, ip, &out->sin_addr) == 1;
}

/* ---- ng requests, several in flight, retransmitted with the same cookie ---- */

struct ng_slot {
	bool busy;
	enum ng_kind kind;
	unsigned int call;
	char cookie[32];
	struct bw req;
	uint64_t sent_ns;
	int tries;
};

static void ng_build(struct load *ld, struct ng_slot *sl)
{
	const struct lcall *c = &ld->calls[sl->call];
	char cid[64], ft[24], tt[24], sdp[640];
	struct bw body = {.len = 0};
	int n;

	snprintf(cid, sizeof(cid), "%s-%u", ld->o.prefix, sl->call);
	snprintf(ft, sizeof(ft), "f%u", sl->call);
	snprintf(tt, sizeof(tt), "t%u", sl->call);
	bw_raw(&body, "d", 1);
	bw_kv(&body, "command", ng_kind_name[sl->kind]);
	bw_kv(&body, "call-id", cid);
	bw_kv(&body, "from-tag", ft);
	if (sl->kind == NG_ANSWER)
		bw_kv(&body, "to-tag", tt);
	if (sl->kind == NG_OFFER || sl->kind == NG_ANSWER) {
		sdp_of_party(&c->party[sl->kind == NG_OFFER ? 0 : 1],
			     ld->o.srtp && sl->kind == NG_ANSWER ? c : NULL, sdp, sizeof(sdp));
		bw_kv(&body, "sdp", sdp);
		bw_kv(&body, "ICE", "remove");
		if (ld->o.srtp && sl->kind == NG_OFFER) {
			bw_kv(&body, "transport-protocol", "RTP/SAVP");
			bw_kv(&body, "DTLS", "off");
			bw_str(&body, "flags");
			bw_raw(&body, "l", 1);
			bw_str(&body, "SDES-only-" SRTP_SUITE);
			bw_raw(&body, "e", 1);
		} else if (ld->o.srtp) {
			bw_kv(&body, "transport-protocol", "RTP/AVP");
		}
	}
	bw_raw(&body, "e", 1);
	n = snprintf(sl->cookie, sizeof(sl->cookie), "%x_%u", (unsigned int)getpid(),
		     ++ld->cookie_seq);
	sl->req.len = 0;
	bw_raw(&sl->req, sl->cookie, (size_t)n);
	bw_raw(&sl->req, " ", 1);
	bw_raw(&sl->req, body.buf, body.len);
	sl->tries = 0;
	sl->busy = true;
}

static void ng_send(struct load *ld, struct ng_slot *sl)
{
	if (send(ld->ng_fd, sl->req.buf, sl->req.len, 0) < 0 && errno != ECONNREFUSED)
		perror("anchor_load: ng send");
	sl->sent_ns = now_ns();
	sl->tries++;
}

static void ng_fail(struct load *ld, const struct ng_slot *sl, const char *why, const uint8_t *b,
		    size_t len)
{
	const uint8_t *s = NULL;
	size_t n = 0;
	long pos = b ? bx_path(b, len, "error-reason") : -1;

	if (ld->quiet)
		return;
	if (pos >= 0)
		bx_str(b, len, (size_t)pos, &s, &n);
	if (ld->failed++ < 5)
		fprintf(stderr, "anchor_load: %s of call %s-%u: %s%s%.*s\n", ng_kind_name[sl->kind],
			ld->o.prefix, sl->call, why, s ? ": " : "", (int)n,
			s ? (const char *)s : "");
}

/* Handles the reply body; true when the slot's call goes on to an answer. */
static bool ng_reply(struct load *ld, struct ng_slot *sl, const uint8_t *b, size_t len)
{
	struct lcall *c = &ld->calls[sl->call];
	long pos;
	const uint8_t *s;
	size_t n;
	char path[64];

	if (!bx_path_str_is(b, len, "result", "ok")) {
		ng_fail(ld, sl, "result not ok", b, len);
		return false;
	}
	switch (sl->kind) {
	case NG_OFFER:
	case NG_ANSWER:
		pos = bx_path(b, len, "sdp");
		/* the offer's reply is for B, who sends there; the answer's for A */
		if (pos < 0 || !bx_str(b, len, (size_t)pos, &s, &n) ||
		    !sdp_media_addr(s, n, &c->anchor[sl->kind == NG_OFFER ? 1 : 0])) {
			ng_fail(ld, sl, "no usable sdp in the reply", NULL, 0);
			return false;
		}
		if (sl->kind == NG_OFFER && ld->o.srtp) {
			/* B decrypts with the key the anchor offered, encrypts with its own */
			uint8_t k[SRTP_KEY_LEN];

			if (!sdp_crypto(s, n, &c->crypto_tag, k)) {
				ng_fail(ld, sl, "no a=crypto:N " SRTP_SUITE " in the offer", NULL, 0);
				return false;
			}
			if (c->b_rx)
				srtp_dealloc(c->b_rx);
			if (c->b_tx)
				srtp_dealloc(c->b_tx);
			c->b_rx = c->b_tx = NULL;
			if (getrandom(c->b_key, sizeof(c->b_key), 0) != (ssize_t)sizeof(c->b_key) ||
			    !srtp_session(&c->b_rx, k, false) ||
			    !srtp_session(&c->b_tx, c->b_key, true)) {
				ng_fail(ld, sl, "cannot make B's SRTP sessions", NULL, 0);
				return false;
			}
		}
		if (sl->kind == NG_ANSWER)
			c->up = true;
		return sl->kind == NG_OFFER;
	case NG_QUERY:
		for (int k = 0; k < 2; k++) {
			snprintf(path, sizeof(path), "tags/%c%u/medias/0/streams/0/stats/packets",
				 k ? 't' : 'f', sl->call);
			if (!bx_path_int(b, len, path, &c->anchor_in[k])) {
				c->anchor_in[k] = -1;
				ng_fail(ld, sl, "no packet count in the reply", NULL, 0);
			}
		}
		return false;
	case NG_DELETE:
		c->up = false;
		return false;
	}
	return false;
}

/*
 * Runs kind (offer: offer then answer) for calls 0..N-1 with up to
 * inflight requests outstanding. Returns the seconds it took.
 */
static double ng_run(struct load *ld, enum ng_kind kind)
{
	static struct ng_slot slots[NG_MAX_INFLIGHT];
	static uint8_t rbuf[NG_REPLY_MAX];
	unsigned int next = 0, done = 0, inflight = ld->o.inflight;
	uint64_t t0 = now_ns();

	memset(slots, 0, sizeof(slots));
	while (done < ld->o.calls) {
		uint64_t now;

		for (unsigned int i = 0; i < inflight && next < ld->o.calls; i++) {
			if (slots[i].busy)
				continue;
			slots[i].kind = kind;
			slots[i].call = next++;
			ng_build(ld, &slots[i]);
			ng_send(ld, &slots[i]);
		}
		struct pollfd pfd = {.fd = ld->ng_fd, .events = POLLIN};
		if (poll(&pfd, 1, 50) > 0) {
			ssize_t r;

			while ((r = recv(ld->ng_fd, rbuf, sizeof(rbuf), MSG_DONTWAIT)) > 0) {
				const uint8_t *sp = memchr(rbuf, ' ', (size_t)r);
				size_t clen = sp ? (size_t)(sp - rbuf) : 0;

				for (unsigned int i = 0; sp && i < inflight; i++) {
					struct ng_slot *sl = &slots[i];
					size_t blen = (size_t)r - clen - 1;

					if (!sl->busy || strlen(sl->cookie) != clen ||
					    memcmp(sl->cookie, rbuf, clen))
						continue;
					if (ng_reply(ld, sl, sp + 1, blen)) {
						sl->kind = NG_ANSWER;
						ng_build(ld, sl);
						ng_send(ld, sl);
					} else {
						sl->busy = false;
						done++;
					}
					break;
				}
			}
		}
		now = now_ns();
		for (unsigned int i = 0; i < inflight; i++) {
			struct ng_slot *sl = &slots[i];

			if (!sl->busy || now - sl->sent_ns < NG_RETRY_NS)
				continue;
			if (sl->tries >= NG_MAX_TRIES) {
				ng_fail(ld, sl, "no reply", NULL, 0);
				sl->busy = false;
				done++;
			} else {
				ng_send(ld, sl);
			}
		}
	}
	return (double)(now_ns() - t0) / 1e9;
}

/* ---- media ---- */

static int party_socket(const struct opts *o, struct sockaddr_in *bound)
{
	socklen_t alen = sizeof(*bound);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(bound, 0, sizeof(*bound));
	bound->sin_family = AF_INET;
	bound->sin_addr = o->ip;
	if (bind(fd, (struct sockaddr *)bound, sizeof(*bound)) < 0 ||
	    getsockname(fd, (struct sockaddr *)bound, &alen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

/* Direction dir of call i: packet number index, RTP seq and timestamp from it. */
static void media_send(struct load *ld, unsigned int i, int dir)
{
	struct lcall *c = &ld->calls[i];
	uint8_t pkt[LOAD_MAX_SIZE + SRTP_MAX_TRAILER_LEN];
	uint32_t index = (uint32_t)c->sent[dir];
	int len = (int)ld->o.size_bytes;

	memset(pkt, 0, ld->o.size_bytes);
	pkt[0] = 0x80;
	pkt[1] = 0; /* PCMU */
	pkt[2] = (uint8_t)(index >> 8);
	pkt[3] = (uint8_t)index;
	put32(pkt + 4, index * 160);
	put32(pkt + 8, 0x10000000u + i * 2 + (uint32_t)dir);
	put32(pkt + 12, LOAD_MAGIC);
	put32(pkt + 16, i);
	put32(pkt + 20, (uint32_t)dir);
	put32(pkt + 24, index);
	if (dir == 1 && c->b_tx && srtp_protect(c->b_tx, pkt, &len) != srtp_err_status_ok) {
		ld->send_errors++;
		return;
	}
	if (send(c->fd[dir], pkt, (size_t)len, 0) == (ssize_t)len)
		c->sent[dir]++;
	else
		ld->send_errors++;
}

/* Side k of call i can read: packets of direction 1-k. */
static void media_recv(struct load *ld, unsigned int i, int k)
{
	struct lcall *c = &ld->calls[i];
	static uint8_t bufs[16][LOAD_MAX_SIZE + 1];
	struct mmsghdr msgs[16];
	struct iovec iov[16];
	int dir = 1 - k, n;

	for (int m = 0; m < 16; m++) {
		iov[m].iov_base = bufs[m];
		iov[m].iov_len = sizeof(bufs[m]);
		memset(&msgs[m], 0, sizeof(msgs[m]));
		msgs[m].msg_hdr.msg_iov = &iov[m];
		msgs[m].msg_hdr.msg_iovlen = 1;
	}
	n = recvmmsg(c->fd[k], msgs, 16, MSG_DONTWAIT, NULL);
	for (int m = 0; m < n; m++) {
		uint8_t *p = bufs[m];
		uint32_t index;

		if (k == 1 && c->b_rx) {
			int len = (int)msgs[m].msg_len;

			if (srtp_unprotect(c->b_rx, p, &len) != srtp_err_status_ok) {
				ld->srtp_failures++;
				continue;
			}
			msgs[m].msg_len = (unsigned int)len;
		}
		if (msgs[m].msg_len != ld->o.size_bytes || get32(p + 12) != LOAD_MAGIC ||
		    get32(p + 16) != i || get32(p + 20) != (uint32_t)dir) {
			ld->misrouted++;
			continue;
		}
		index = get32(p + 24);
		c->recv[dir]++;
		if (ld->in_window)
			ld->window_recv++;
		if (index >= c->next_index[dir])
			c->next_index[dir] = index + 1;
		else
			c->reordered[dir]++;
	}
}

struct window {
	uint64_t t0_ns, t1_ns, cpu0_ns, cpu1_ns, tick0, tick1;
	double self0, self1;
	uint64_t sent0, sent1;
	long rss_kb;
};

static uint64_t total_sent(const struct load *ld)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < ld->o.calls; i++)
		n += ld->calls[i].sent[0] + ld->calls[i].sent[1];
	return n;
}

static uint64_t total_recv(const struct load *ld)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < ld->o.calls; i++)
		n += ld->calls[i].recv[0] + ld->calls[i].recv[1];
	return n;
}

static void window_edge(struct load *ld, struct window *w, bool start)
{
	uint64_t t = now_ns();
	uint64_t cpu = ld->o.pid ? proc_cpu_ns(ld->o.pid) : 0;
	uint64_t ticks = ld->o.pid ? proc_cpu_ticks(ld->o.pid) : 0;

	if (start) {
		w->t0_ns = t;
		w->cpu0_ns = cpu;
		w->tick0 = ticks;
		w->self0 = self_cpu_s();
		w->sent0 = total_sent(ld);
		ld->in_window = true;
	} else {
		w->t1_ns = t;
		w->cpu1_ns = cpu;
		w->tick1 = ticks;
		w->self1 = self_cpu_s();
		w->sent1 = total_sent(ld);
		w->rss_kb = ld->o.pid ? proc_rss_kb(ld->o.pid) : -1;
		ld->in_window = false;
	}
}

/*
 * Sends on a 1 ms tick: period = 1000 / pps ticks, call i sends in tick
 * i % period of each period, both directions. Warm-up ticks first, then the
 * window, then receives only, until everything came or drain_s passed.
 */
static int media_run(struct load *ld, struct window *w)
{
	const struct opts *o = &ld->o;
	unsigned int period = 1000 / o->pps;
	uint64_t warm_ticks = (uint64_t)(o->warm_s * 1000), tick = 0;
	uint64_t end_tick = warm_ticks + (uint64_t)(o->seconds * 1000);
	uint64_t drain_until = 0;
	struct itimerspec its = {.it_interval = {0, 1000000}, .it_value = {0, 1000000}};
	struct epoll_event ev, evs[256];
	int ep = epoll_create1(EPOLL_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);

	if (ep < 0 || tfd < 0) {
		perror("anchor_load: epoll/timerfd");
		return -1;
	}
	end_tick -= end_tick % period; /* whole periods: every call sends the same count */
	if (end_tick <= warm_ticks)
		end_tick = warm_ticks + period;
	ev.events = EPOLLIN;
	ev.data.u64 = UINT64_MAX;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	for (unsigned int i = 0; i < o->calls; i++) {
		for (int k = 0; k < 2; k++) {
			ev.data.u64 = (uint64_t)i * 2 + (uint64_t)k;
			if (epoll_ctl(ep, EPOLL_CTL_ADD, ld->calls[i].fd[k], &ev) < 0) {
				perror("anchor_load: epoll_ctl");
				return -1;
			}
		}
	}
	timerfd_settime(tfd, 0, &its, NULL);
	if (warm_ticks == 0)
		window_edge(ld, w, true);
	for (;;) {
		int n = epoll_wait(ep, evs, 256, 10);

		for (int e = 0; e < n; e++) {
			uint64_t id = evs[e].data.u64, exp = 0;

			if (id != UINT64_MAX) {
				media_recv(ld, (unsigned int)(id / 2), (int)(id % 2));
				continue;
			}
			if (read(tfd, &exp, sizeof(exp)) != sizeof(exp))
				continue;
			/* late ticks are caught up, so every call keeps its count */
			for (; exp > 0 && tick < end_tick; exp--, tick++) {
				if (tick == warm_ticks && warm_ticks > 0)
					window_edge(ld, w, true);
				for (unsigned int i = (unsigned int)(tick % period); i < o->calls;
				     i += period) {
					media_send(ld, i, 0);
					media_send(ld, i, 1);
				}
			}
			if (tick == end_tick && !drain_until) {
				window_edge(ld, w, false);
				drain_until = now_ns() + (uint64_t)(o->drain_s * 1e9);
				its.it_interval.tv_nsec = its.it_value.tv_nsec = 0;
				its.it_interval.tv_sec = its.it_value.tv_sec = 0;
				timerfd_settime(tfd, 0, &its, NULL);
			}
		}
		if (drain_until && (now_ns() >= drain_until || total_recv(ld) >= total_sent(ld)))
			break;
	}
	close(tfd);
	close(ep);
	return 0;
}

/* ---- main ---- */

static void usage(void)
{
	fprintf(stderr,
		"usage: anchor_load --ng IP:PORT [options]\n"
		"  --ip IP          the parties' address (default 127.0.0.1)\n"
		"  --calls N        calls (default 200)\n"
		"  --prefix S       call-id prefix (default al<pid>); calls are S-0 .. S-(N-1)\n"
		"  --inflight K     ng requests in flight (default 1: sequential)\n"
		"  --pps N          packets/s per direction per call, divides 1000 (default 50)\n"
		"  --size N         RTP packet bytes, 12-byte header included (default 172)\n"
		"  --warm S         seconds of traffic before the window (default 1)\n"
		"  --seconds S      seconds of the measuring window; 0: no media (default 10)\n"
		"  --drain S        seconds to wait for the last packets (default 2)\n"
		"  --pid PID        the anchor's process: CPU time and VmRSS\n"
		"  --query          query every call after the media: the anchor's counts\n"
		"  --keep           leave the calls up (no delete)\n"
		"  --delete-only    only delete calls S-0 .. S-(N-1) (needs --prefix)\n"
		"  --srtp           B speaks SDES-SRTP (" SRTP_SUITE "), A plain: bridged calls\n"
		"  --per-call FILE  one line per call: i sent_ab recv_ab sent_ba recv_ba "
		"anchor_in_a anchor_in_b\n");
	exit(2);
}

static bool parse_ipport(const char *s, struct sockaddr_in *a)
{
	char ip[64];
	unsigned int port;

	memset(a, 0, sizeof(*a));
	a->sin_family = AF_INET;
	if (sscanf(s, "%63[0-9.]:%u", ip, &port) != 2 || port == 0 || port > 65535 ||
	    inet_pton(AF_INET, ip, &a->sin_addr) != 1)
		return false;
	a->sin_port = htons((uint16_t)port);
	return true;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"ng", 1, NULL, 'n'},     {"ip", 1, NULL, 'i'},	     {"calls", 1, NULL, 'c'},
	    {"prefix", 1, NULL, 'P'}, {"inflight", 1, NULL, 'f'},    {"pps", 1, NULL, 'r'},
	    {"size", 1, NULL, 's'},   {"warm", 1, NULL, 'w'},	     {"seconds", 1, NULL, 'S'},
	    {"drain", 1, NULL, 'd'},  {"pid", 1, NULL, 'p'},	     {"query", 0, NULL, 'q'},
	    {"keep", 0, NULL, 'k'},   {"delete-only", 0, NULL, 'D'}, {"per-call", 1, NULL, 'o'},
	    {"srtp", 0, NULL, 'x'},   {NULL, 0, NULL, 0}};
	bool have_ng = false, have_prefix = false;
	int ch;

	*o = (struct opts){.calls = 200,
			   .inflight = 1,
			   .pps = 50,
			   .size_bytes = 172,
			   .warm_s = 1,
			   .seconds = 10,
			   .drain_s = 2};
	inet_pton(AF_INET, "127.0.0.1", &o->ip);
	snprintf(o->prefix, sizeof(o->prefix), "al%d", (int)getpid());
	while ((ch = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (ch) {
		case 'n':
			have_ng = parse_ipport(optarg, &o->ng);
			break;
		case 'i':
			if (inet_pton(AF_INET, optarg, &o->ip) != 1)
				usage();
			break;
		case 'c':
			o->calls = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'P':
			snprintf(o->prefix, sizeof(o->prefix), "%s", optarg);
			have_prefix = true;
			break;
		case 'f':
			o->inflight = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'r':
			o->pps = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 's':
			o->size_bytes = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'w':
			o->warm_s = strtod(optarg, NULL);
			break;
		case 'S':
			o->seconds = strtod(optarg, NULL);
			break;
		case 'd':
			o->drain_s = strtod(optarg, NULL);
			break;
		case 'p':
			o->pid = atoi(optarg);
			break;
		case 'q':
			o->query = true;
			break;
		case 'k':
			o->keep = true;
			break;
		case 'D':
			o->delete_only = true;
			break;
		case 'o':
			o->per_call = optarg;
			break;
		case 'x':
			o->srtp = true;
			break;
		default:
			usage();
		}
	}
	if (!have_ng || optind != argc || o->calls == 0 || o->calls > 100000 || o->inflight == 0 ||
	    o->inflight > NG_MAX_INFLIGHT || o->pps == 0 || o->pps > 1000 || 1000 % o->pps ||
	    o->size_bytes < LOAD_MIN_SIZE || o->size_bytes > LOAD_MAX_SIZE || o->warm_s < 0 ||
	    o->seconds < 0 || o->drain_s < 0 || (o->delete_only && !have_prefix))
		usage();
}

static void raise_nofile(unsigned int need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max < need ? rl.rlim_max : need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void write_per_call(const struct load *ld)
{
	FILE *f = fopen(ld->o.per_call, "w");

	if (!f) {
		perror(ld->o.per_call);
		return;
	}
	for (unsigned int i = 0; i < ld->o.calls; i++) {
		const struct lcall *c = &ld->calls[i];

		fprintf(f,
			"%u %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRId64 " %" PRId64
			"\n",
			i, c->sent[0], c->recv[0], c->sent[1], c->recv[1], c->anchor_in[0],
			c->anchor_in[1]);
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	struct load ld = {.ng_fd = -1};
	struct opts *o = &ld.o;
	struct window w = {0};
	long rss0 = -1, rss_setup = -1;
	double t;

	parse_opts(argc, argv, o);
	if (o->srtp && srtp_init() != srtp_err_status_ok) {
		fprintf(stderr, "anchor_load: srtp_init failed\n");
		return 1;
	}
	raise_nofile(o->calls * 2 + 64);
	ld.calls = calloc(o->calls, sizeof(*ld.calls));
	ld.ng_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!ld.calls || ld.ng_fd < 0 ||
	    connect(ld.ng_fd, (struct sockaddr *)&o->ng, sizeof(o->ng)) < 0) {
		perror("anchor_load: ng socket");
		return 1;
	}
	if (o->delete_only) {
		t = ng_run(&ld, NG_DELETE);
		printf("teardown calls=%u seconds=%.4f per_s=%.1f failed=%u\n", o->calls, t,
		       o->calls / t, ld.failed);
		return ld.failed ? 1 : 0;
	}
	for (unsigned int i = 0; i < o->calls; i++) {
		for (int k = 0; k < 2; k++) {
			ld.calls[i].fd[k] = party_socket(o, &ld.calls[i].party[k]);
			if (ld.calls[i].fd[k] < 0) {
				perror("anchor_load: party socket");
				return 1;
			}
		}
		ld.calls[i].anchor_in[0] = ld.calls[i].anchor_in[1] = -1;
	}
	if (o->pid)
		rss0 = proc_rss_kb(o->pid);
	t = ng_run(&ld, NG_OFFER);
	if (o->pid)
		rss_setup = proc_rss_kb(o->pid);
	printf("setup calls=%u inflight=%u seconds=%.4f calls_per_s=%.1f failed=%u "
	       "rss_before_kb=%ld rss_after_kb=%ld\n",
	       o->calls, o->inflight, t, o->calls / t, ld.failed, rss0, rss_setup);
	fflush(stdout);
	if (ld.failed) {
		/* what did come up goes again; the others' deletes fail quietly */
		ld.quiet = true;
		if (!o->keep)
			ng_run(&ld, NG_DELETE);
		goto out;
	}
	for (unsigned int i = 0; i < o->calls; i++)
		for (int k = 0; k < 2; k++)
			if (connect(ld.calls[i].fd[k], (struct sockaddr *)&ld.calls[i].anchor[k],
				    sizeof(ld.calls[i].anchor[k])) < 0) {
				perror("anchor_load: connect to the anchor port");
				return 1;
			}
	if (o->seconds > 0 || o->warm_s > 0) {
		uint64_t sab = 0, rab = 0, sba = 0, rba = 0, reord = 0;
		double ws, cpu_s;

		if (media_run(&ld, &w) < 0)
			return 1;
		for (unsigned int i = 0; i < o->calls; i++) {
			sab += ld.calls[i].sent[0];
			rab += ld.calls[i].recv[0];
			sba += ld.calls[i].sent[1];
			rba += ld.calls[i].recv[1];
			reord += ld.calls[i].reordered[0] + ld.calls[i].reordered[1];
		}
		printf("media calls=%u pps=%u size=%u sent_ab=%" PRIu64 " recv_ab=%" PRIu64
		       " sent_ba=%" PRIu64 " recv_ba=%" PRIu64 " misrouted=%" PRIu64
		       " reordered=%" PRIu64 " send_errors=%" PRIu64 " srtp_failures=%" PRIu64 "\n",
		       o->calls, o->pps, o->size_bytes, sab, rab, sba, rba, ld.misrouted, reord,
		       ld.send_errors, ld.srtp_failures);
		ws = (double)(w.t1_ns - w.t0_ns) / 1e9;
		cpu_s = (double)(w.cpu1_ns - w.cpu0_ns) / 1e9;
		printf("window seconds=%.3f sent=%" PRIu64 " forwarded=%" PRIu64
		       " forwarded_pps=%.1f server_cpu_s=%.4f server_tick_cpu_s=%.3f"
		       " per_cpu_s=%.1f rss_kb=%ld self_cpu_s=%.3f\n",
		       ws, w.sent1 - w.sent0, ld.window_recv, ld.window_recv / ws, cpu_s,
		       (double)(w.tick1 - w.tick0) / (double)sysconf(_SC_CLK_TCK),
		       cpu_s > 0 ? ld.window_recv / cpu_s : 0.0, w.rss_kb, w.self1 - w.self0);
		fflush(stdout);
	}
	if (o->query) {
		int64_t in_a = 0, in_b = 0;
		unsigned int before = ld.failed;

		t = ng_run(&ld, NG_QUERY);
		for (unsigned int i = 0; i < o->calls; i++) {
			in_a += ld.calls[i].anchor_in[0] > 0 ? ld.calls[i].anchor_in[0] : 0;
			in_b += ld.calls[i].anchor_in[1] > 0 ? ld.calls[i].anchor_in[1] : 0;
		}
		printf("query calls=%u seconds=%.4f in_from_a=%" PRId64 " in_from_b=%" PRId64
		       " failed=%u\n",
		       o->calls, t, in_a, in_b, ld.failed - before);
	}
	if (o->per_call)
		write_per_call(&ld);
	if (!o->keep) {
		unsigned int before = ld.failed;

		t = ng_run(&ld, NG_DELETE);
		printf("teardown calls=%u seconds=%.4f per_s=%.1f failed=%u\n", o->calls, t,
		       o->calls / t, ld.failed - before);
	}
out:
	for (unsigned int i = 0; i < o->calls; i++) {
		for (int k = 0; k < 2; k++)
			close(ld.calls[i].fd[k]);
		if (ld.calls[i].b_tx)
			srtp_dealloc(ld.calls[i].b_tx);
		if (ld.calls[i].b_rx)
			srtp_dealloc(ld.calls[i].b_rx);
	}
	free(ld.calls);
	close(ld.ng_fd);
	return ld.failed ? 1 : 0;
}
