/*
 * bench_udp - the load and the userspace baseline of scripts/bench-kernel,
 * run inside the guest:
 *
 *   bench_udp send FROM TO SECONDS LEN [CHANNEL]
 *	sends LEN-byte datagrams from FROM to TO as fast as it can for SECONDS
 *	(sendmmsg, 64 per call); with CHANNEL each one is ChannelData for that
 *	channel (4-byte header + LEN - 4 bytes). Prints "sent N".
 *   bench_udp sink AT SECONDS
 *	counts datagrams arriving at AT (recvmmsg) until SECONDS pass or 1 s
 *	without any after the first. Prints "received N bytes B".
 *   bench_udp fwd chan|peer|udp IN OUT SOURCE DEST SECONDS [CHANNEL]
 *	the plain userspace forwarder the module is compared with: what
 *	arrives at IN from SOURCE leaves OUT for DEST, batched with
 *	recvmmsg/sendmmsg. chan strips a ChannelData header after checking the
 *	channel and the length field, peer prepends one, udp forwards
 *	unchanged; anything else is dropped and counted, as the module leaves
 *	it to userspace. Prints "forwarded N other M" at the end or on SIGTERM.
 *   bench_udp pace FROM TO SECONDS INTERVAL_MS LEN
 *	one RTP party of an anchored call (scripts/bench-kernel's anchored
 *	figure): a LEN-byte RTP datagram every INTERVAL_MS from FROM to TO,
 *	counting the echoes that come back from TO. Prints "sent N received M".
 *   bench_udp calls FILE SECONDS INTERVAL_MS LEN
 *	pace for every line "FROM TO" of FILE (at most BENCH_CALLS), in one
 *	process: one poll() wake-up serves every party, so that the load costs
 *	its CPU less than one process per party. The parties' first datagrams
 *	are spread over the first interval. Prints "sent N received M" (totals).
 *   bench_udp spin CPU
 *	spins on CPU at the lowest priority (SCHED_IDLE, nice 19: its time
 *	shows as "nice" in /proc/stat) until killed, so that CPU never idles.
 */
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "guest.h"

#define BENCH_BATCH 64
#define BENCH_MTU 2048

/* A UDP socket bound to from and connected to to. */
static int bench_connect(const char *from, const char *to)
{
	struct sockaddr_storage dst;
	int fd = guest_udp_bind(from);

	guest_addr(to, &dst);
	if (connect(fd, (struct sockaddr *)&dst, addr_len((struct sockaddr *)&dst)) < 0)
		guest_die("connect %s: %s", to, strerror(errno));
	return fd;
}

static int bench_send(const char *from, const char *to, double secs, size_t len, int channel)
{
	static uint8_t buf[BENCH_MTU];
	struct mmsghdr msgs[BENCH_BATCH];
	struct iovec iov[BENCH_BATCH];
	unsigned long sent = 0;
	double end;
	int fd, i, n;

	if (len < 4 || len > sizeof(buf))
		guest_die("bad length %zu", len);
	fd = bench_connect(from, to);
	memset(buf, 0x55, len);
	buf[0] = 0x80; /* an RTP version-2 first byte: not STUN, not DTLS */
	if (channel >= 0) {
		buf[0] = (uint8_t)(channel >> 8);
		buf[1] = (uint8_t)channel;
		buf[2] = (uint8_t)((len - 4) >> 8);
		buf[3] = (uint8_t)(len - 4);
	}
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BENCH_BATCH; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = len;
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	end = guest_now_s() + secs;
	while (guest_now_s() < end) {
		n = sendmmsg(fd, msgs, BENCH_BATCH, 0);
		if (n > 0)
			sent += (unsigned long)n;
		else if (errno != ENOBUFS && errno != EAGAIN && errno != ECONNREFUSED)
			guest_die("sendmmsg: %s", strerror(errno));
	}
	printf("sent %lu\n", sent);
	return 0;
}

struct bench_rx {
	struct mmsghdr msgs[BENCH_BATCH];
	struct iovec iov[BENCH_BATCH];
	struct sockaddr_storage from[BENCH_BATCH];
	uint8_t buf[BENCH_BATCH][BENCH_MTU];
};

static void bench_rx_reset(struct bench_rx *rx, size_t headroom)
{
	int i;

	for (i = 0; i < BENCH_BATCH; i++) {
		memset(&rx->msgs[i].msg_hdr, 0, sizeof(rx->msgs[i].msg_hdr));
		rx->iov[i].iov_base = rx->buf[i] + headroom;
		rx->iov[i].iov_len = BENCH_MTU - headroom;
		rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
		rx->msgs[i].msg_hdr.msg_iovlen = 1;
		rx->msgs[i].msg_hdr.msg_name = &rx->from[i];
		rx->msgs[i].msg_hdr.msg_namelen = sizeof(rx->from[i]);
	}
}

static int bench_sink(const char *at, double secs)
{
	static struct bench_rx rx;
	unsigned long count = 0, bytes = 0;
	struct timeval tv = {.tv_sec = 1};
	double end = guest_now_s() + secs;
	int fd, n, i, size = 4 << 20;

	fd = guest_udp_bind(at);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* the script waits for this line before it starts the sender */
	printf("ready\n");
	fflush(stdout);
	while (guest_now_s() < end) {
		bench_rx_reset(&rx, 0);
		n = recvmmsg(fd, rx.msgs, BENCH_BATCH, 0, NULL);
		if (n < 0) {
			if (errno == EAGAIN && count > 0)
				break;
			continue;
		}
		count += (unsigned long)n;
		for (i = 0; i < n; i++)
			bytes += rx.msgs[i].msg_len;
	}
	printf("received %lu bytes %lu\n", count, bytes);
	return 0;
}

/*
 * One RTP party of an anchored call: a LEN-byte RTP datagram (version 2,
 * PT 0, sequence counting up) from FROM to TO every INTERVAL_MS for
 * SECONDS, counting what comes back from TO (the other party's echo),
 * then half a second more for the last ones.
 */
static int bench_pace(const char *from, const char *to, double secs, long interval_ms, size_t len)
{
	static uint8_t buf[BENCH_MTU], in[BENCH_MTU];
	unsigned long sent = 0, got = 0;
	double now = guest_now_s(), end = now + secs, next = now;
	uint16_t seq = 0;
	int fd;

	if (len < 12 || len > sizeof(buf))
		guest_die("bad length %zu", len);
	fd = bench_connect(from, to);
	memset(buf, 0x55, len);
	buf[0] = 0x80;
	buf[1] = 0;
	buf[8] = (uint8_t)(getpid() >> 8);
	buf[11] = (uint8_t)getpid();
	while ((now = guest_now_s()) < end + 0.5) {
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		double wait = next - now;

		if (now < end && wait <= 0) {
			seq++;
			buf[2] = (uint8_t)(seq >> 8);
			buf[3] = (uint8_t)seq;
			if (send(fd, buf, len, 0) == (ssize_t)len)
				sent++;
			next += (double)interval_ms / 1000;
			continue;
		}
		if (now >= end)
			wait = end + 0.5 - now;
		if (poll(&pfd, 1, (int)(wait * 1000) + 1) > 0)
			while (recv(fd, in, sizeof(in), MSG_DONTWAIT) > 0)
				got++;
	}
	printf("sent %lu received %lu\n", sent, got);
	return 0;
}

#define BENCH_CALLS 256

static int bench_calls(const char *file, double secs, long interval_ms, size_t len)
{
	static uint8_t buf[BENCH_MTU], in[BENCH_MTU];
	static struct pollfd pfd[BENCH_CALLS];
	static double next[BENCH_CALLS];
	char from[128], to[128];
	unsigned long sent = 0, got = 0;
	double now = guest_now_s(), end = now + secs, step = (double)interval_ms / 1000;
	uint16_t seq = 0;
	FILE *f = fopen(file, "r");
	int n = 0;

	if (!f)
		guest_die("%s: %s", file, strerror(errno));
	if (len < 12 || len > sizeof(buf))
		guest_die("bad length %zu", len);
	while (n < BENCH_CALLS && fscanf(f, "%127s %127s", from, to) == 2) {
		pfd[n].fd = bench_connect(from, to);
		pfd[n].events = POLLIN;
		n++;
	}
	fclose(f);
	if (n == 0)
		guest_die("%s: no FROM TO lines", file);
	for (int i = 0; i < n; i++)
		next[i] = now + step * i / n;
	memset(buf, 0x55, len);
	buf[0] = 0x80;
	buf[1] = 0;
	while ((now = guest_now_s()) < end + 0.5) {
		double first = end + 0.5;

		for (int i = 0; i < n && now < end; i++) {
			if (next[i] <= now) {
				seq++;
				buf[2] = (uint8_t)(seq >> 8);
				buf[3] = (uint8_t)seq;
				buf[11] = (uint8_t)i; /* SSRC: one per party */
				if (send(pfd[i].fd, buf, len, 0) == (ssize_t)len)
					sent++;
				next[i] += step;
			}
			if (next[i] < first)
				first = next[i];
		}
		if (poll(pfd, (nfds_t)n, (int)((first - now) * 1000) + 1) <= 0)
			continue;
		for (int i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				while (recv(pfd[i].fd, in, sizeof(in), MSG_DONTWAIT) > 0)
					got++;
	}
	printf("sent %lu received %lu\n", sent, got);
	return 0;
}

enum bench_kind { BENCH_CHAN, BENCH_PEER, BENCH_UDP };

/*
 * One received datagram, checked and rewritten in place as the module
 * would: returns the bytes to send (from *out), or -1 to leave it.
 */
static ssize_t bench_fwd_one(enum bench_kind kind, uint8_t *data, size_t len, int channel,
			     uint8_t **out)
{
	size_t n;

	switch (kind) {
	case BENCH_CHAN:
		if (len < 4 || ((data[0] << 8) | data[1]) != channel)
			return -1;
		n = (size_t)((data[2] << 8) | data[3]);
		if (n > len - 4)
			return -1;
		*out = data + 4;
		return (ssize_t)n;
	case BENCH_PEER:
		data -= 4;
		data[0] = (uint8_t)(channel >> 8);
		data[1] = (uint8_t)channel;
		data[2] = (uint8_t)(len >> 8);
		data[3] = (uint8_t)len;
		*out = data;
		return (ssize_t)len + 4;
	case BENCH_UDP:
		*out = data;
		return (ssize_t)len;
	}
	return -1;
}

static volatile sig_atomic_t bench_stop;

static void bench_on_term(int sig)
{
	(void)sig;
	bench_stop = 1;
}

static int bench_fwd(enum bench_kind kind, const char *in, const char *out, const char *source,
		     const char *dest, double secs, int channel)
{
	static struct bench_rx rx;
	struct mmsghdr tx[BENCH_BATCH];
	struct iovec txiov[BENCH_BATCH];
	struct sockaddr_storage src, dst;
	unsigned long fwd = 0, other = 0;
	struct timeval tv = {.tv_sec = 1};
	double end = guest_now_s() + secs;
	int infd, outfd, n, i, m, size = 4 << 20;
	struct sigaction sa;
	uint8_t *p;
	ssize_t len;

	infd = guest_udp_bind(in);
	outfd = strcmp(in, out) == 0 ? infd : guest_udp_bind(out);
	guest_addr(source, &src);
	guest_addr(dest, &dst);
	setsockopt(infd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
	setsockopt(infd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(outfd, (struct sockaddr *)&dst, addr_len((struct sockaddr *)&dst)) < 0)
		guest_die("connect %s: %s", dest, strerror(errno));
	memset(tx, 0, sizeof(tx));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bench_on_term;
	sigaction(SIGTERM, &sa, NULL);
	printf("ready\n");
	fflush(stdout);
	while (!bench_stop && guest_now_s() < end) {
		/* 4 bytes of headroom so that peer mode prepends in place */
		bench_rx_reset(&rx, 4);
		n = recvmmsg(infd, rx.msgs, BENCH_BATCH, 0, NULL);
		if (n <= 0)
			continue;
		for (i = 0, m = 0; i < n; i++) {
			if (!addr_equal((struct sockaddr *)&rx.from[i], (struct sockaddr *)&src)) {
				other++;
				continue;
			}
			len = bench_fwd_one(kind, rx.buf[i] + 4, rx.msgs[i].msg_len, channel, &p);
			if (len < 0) {
				other++;
				continue;
			}
			txiov[m].iov_base = p;
			txiov[m].iov_len = (size_t)len;
			tx[m].msg_hdr.msg_iov = &txiov[m];
			tx[m].msg_hdr.msg_iovlen = 1;
			m++;
		}
		for (i = 0; i < m;) {
			int sent = sendmmsg(outfd, tx + i, (unsigned int)(m - i), 0);

			if (sent <= 0)
				break;
			i += sent;
		}
		fwd += (unsigned long)m;
	}
	printf("forwarded %lu other %lu\n", fwd, other);
	return 0;
}

static int bench_spin(int cpu)
{
	struct sched_param sp = {.sched_priority = 0};
	volatile unsigned long n = 0;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0 || setpriority(PRIO_PROCESS, 0, 19) < 0 ||
	    sched_setscheduler(0, SCHED_IDLE, &sp) < 0)
		guest_die("spin: %s", strerror(errno));
	for (;;)
		n++;
}

int main(int argc, char **argv)
{
	enum bench_kind kind;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 6 && strcmp(argv[1], "send") == 0)
		return bench_send(argv[2], argv[3], (double)guest_arg_long(argv[4], 1, 3600),
				  (size_t)guest_arg_long(argv[5], 4, BENCH_MTU),
				  argc > 6 ? (int)guest_arg_long(argv[6], 0x4000, 0x4fff) : -1);
	if (argc == 7 && strcmp(argv[1], "pace") == 0)
		return bench_pace(argv[2], argv[3], (double)guest_arg_long(argv[4], 1, 3600),
				  guest_arg_long(argv[5], 1, 1000),
				  (size_t)guest_arg_long(argv[6], 12, BENCH_MTU));
	if (argc == 6 && strcmp(argv[1], "calls") == 0)
		return bench_calls(argv[2], (double)guest_arg_long(argv[3], 1, 3600),
				   guest_arg_long(argv[4], 1, 1000),
				   (size_t)guest_arg_long(argv[5], 12, BENCH_MTU));
	if (argc == 3 && strcmp(argv[1], "spin") == 0)
		return bench_spin((int)guest_arg_long(argv[2], 0, 1023));
	if (argc == 4 && strcmp(argv[1], "sink") == 0)
		return bench_sink(argv[2], (double)guest_arg_long(argv[3], 1, 3600));
	if (argc >= 8 && strcmp(argv[1], "fwd") == 0) {
		if (strcmp(argv[2], "chan") == 0)
			kind = BENCH_CHAN;
		else if (strcmp(argv[2], "peer") == 0)
			kind = BENCH_PEER;
		else if (strcmp(argv[2], "udp") == 0)
			kind = BENCH_UDP;
		else
			guest_die("bad kind %s", argv[2]);
		if (kind != BENCH_UDP && argc < 9)
			guest_die("fwd %s needs a channel", argv[2]);
		return bench_fwd(kind, argv[3], argv[4], argv[5], argv[6],
				 (double)guest_arg_long(argv[7], 1, 3600),
				 argc > 8 ? (int)guest_arg_long(argv[8], 0x4000, 0x4fff) : -1);
	}
	fprintf(stderr, "usage: bench_udp send FROM TO SECONDS LEN [CHANNEL]\n"
			"       bench_udp sink AT SECONDS\n"
			"       bench_udp fwd chan|peer|udp IN OUT SOURCE DEST SECONDS [CHANNEL]\n"
			"       bench_udp pace FROM TO SECONDS INTERVAL_MS LEN\n"
			"       bench_udp calls FILE SECONDS INTERVAL_MS LEN\n"
			"       bench_udp spin CPU\n");
	return 64;
}
