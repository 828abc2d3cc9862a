/*
 * harness.h - what the integration tests (itest_*.c) share: a turnserver
 * started in a temp dir and stopped with SIGTERM (clean exit and no
 * sanitizer report required), free ports on loopback, time and address
 * helpers, assertions; the client side: connections of the TURN client
 * library (src/client/turnclient.h) with the tests' credentials and
 * timing, shorthands for the usual requests, the answer's attributes, the
 * data path, and UDP peers on loopback.
 *
 * Every wait is bounded. Only 127.0.0.1, 127.0.0.2 and ::1 are used.
 * Static functions only: each test binary includes this header once.
 * ITEST_KEEP=1 keeps each server's dir (log, stderr) after a clean stop.
 */
#ifndef ITEST_HARNESS_H
#define ITEST_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client/turnclient.h"
#include "common/addr.h"
#include "common/clock.h"
#include "stun/stun.h"
#include "stun/wire.h"

#define H_REALM "itest.realm"
#define H_USER "alice"
#define H_PASS "alice-secret"
#define H_USER2 "bob"
#define H_PASS2 "bob-secret"

#define H_READY_TIMEOUT_MS 10000
#define H_STOP_TIMEOUT_MS 10000
#define H_TXN_TIMEOUT_MS 2000 /* one request: answer within this */
#define H_RTO_MS 250	      /* UDP retransmission, doubling */
#define H_SILENCE_MS 300      /* "nothing arrives": wait this long */
#define H_MAX_FLAGS 64

/* Time */

static inline uint64_t h_now_ms(void)
{
	return clock_ns() / 1000000u;
}

static inline void h_sleep_ms(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Sleeps until the monotonic clock reaches deadline_ms. */
static inline void h_sleep_until(uint64_t deadline_ms)
{
	uint64_t now = h_now_ms();

	if (deadline_ms > now)
		h_sleep_ms(deadline_ms - now);
}

/* Addresses */

/* A numeric address with a port; fails the test when it does not parse. */
static inline struct sockaddr_storage h_addr(const char *ip, uint16_t port)
{
	struct sockaddr_storage ss;

	if (addr_parse(ip, port, &ss, NULL) < 0)
		fail_msg("bad address '%s'", ip);
	addr_set_port((struct sockaddr *)&ss, port);
	return ss;
}

static inline const char *h_str(const struct sockaddr_storage *ss)
{
	static char bufs[4][ADDR_STRLEN];
	static int next;

	next = (next + 1) % 4;
	return addr_str((const struct sockaddr *)ss, bufs[next], sizeof(bufs[next]));
}

#define SA(ss) ((struct sockaddr *)(ss))

static inline void h_assert_addr_equal(const struct sockaddr_storage *got,
				       const struct sockaddr_storage *want)
{
	if (!addr_equal(SA(got), SA(want)))
		fail_msg("address %s, expected %s", h_str(got), h_str(want));
}

/* Ports */

static inline bool h_port_free(int family, int type, uint16_t port)
{
	struct sockaddr_storage ss = h_addr(family == AF_INET6 ? "::1" : "127.0.0.1", port);
	int fd = socket(family, type | SOCK_CLOEXEC, 0), on = 1;
	bool ok;

	if (fd < 0)
		return false;
	if (family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	ok = bind(fd, SA(&ss), addr_len(SA(&ss))) == 0;
	close(fd);
	return ok;
}

/* A port the kernel hands out for 127.0.0.1 (bind port 0), or 0. */
static inline uint16_t h_ephemeral_port(int type)
{
	struct sockaddr_storage ss = h_addr("127.0.0.1", 0);
	socklen_t len = sizeof(ss);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);
	uint16_t port = 0;

	if (fd < 0)
		return 0;
	if (bind(fd, SA(&ss), addr_len(SA(&ss))) == 0 && getsockname(fd, SA(&ss), &len) == 0)
		port = addr_port(SA(&ss));
	close(fd);
	return port;
}

/* Ranges already handed to a server of this process. */
static uint16_t h_taken_lo[32], h_taken_hi[32];
static int h_ntaken;

static inline bool h_range_overlaps(unsigned int lo, unsigned int hi)
{
	for (int i = 0; i < h_ntaken; i++)
		if (lo <= h_taken_hi[i] && hi >= h_taken_lo[i])
			return true;
	return false;
}

static inline void h_range_take(uint16_t lo, uint16_t hi)
{
	if (h_ntaken < 32) {
		h_taken_lo[h_ntaken] = lo;
		h_taken_hi[h_ntaken] = hi;
		h_ntaken++;
	}
}

/* A listening port free for UDP and TCP on 127.0.0.1 and ::1; 0 if none. */
static inline uint16_t h_pick_port(void)
{
	for (int i = 0; i < 100; i++) {
		uint16_t p = h_ephemeral_port(SOCK_STREAM);

		if (!p || h_range_overlaps(p, p))
			continue;
		if (h_port_free(AF_INET, SOCK_DGRAM, p) && h_port_free(AF_INET6, SOCK_DGRAM, p) &&
		    h_port_free(AF_INET6, SOCK_STREAM, p)) {
			h_range_take(p, p);
			return p;
		}
	}
	return 0;
}

/* The first port of the kernel's ephemeral range (32768 if unknown). */
static inline unsigned int h_ephemeral_low(void)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
	unsigned int low = 32768;

	if (f) {
		if (fscanf(f, "%u", &low) != 1 || low < 12000)
			low = 32768;
		fclose(f);
	}
	return low;
}

/*
 * n consecutive UDP ports free on 127.0.0.1 and ::1, starting at an even
 * port between 10000 and the ephemeral range: a peer socket bound to port 0
 * never lands in a server's relay range (which is the server's own there).
 */
static inline uint16_t h_pick_range(unsigned int n)
{
	unsigned int low = h_ephemeral_low();
	uint32_t rnd;

	for (int i = 0; i < 200; i++) {
		unsigned int lo, p;

		if (RAND_bytes((uint8_t *)&rnd, sizeof(rnd)) != 1 || low < 10000 + n + 2)
			return 0;
		lo = (10000 + rnd % (low - 10000 - n)) & ~1u;
		if (h_range_overlaps(lo, lo + n - 1))
			continue;
		for (p = lo; p < lo + n; p++)
			if (!h_port_free(AF_INET, SOCK_DGRAM, (uint16_t)p) ||
			    !h_port_free(AF_INET6, SOCK_DGRAM, (uint16_t)p))
				break;
		if (p == lo + n) {
			h_range_take((uint16_t)lo, (uint16_t)(lo + n - 1));
			return (uint16_t)lo;
		}
	}
	return 0;
}

/* The server process */

struct tserver {
	pid_t pid;
	char dir[64];
	uint16_t port;
	uint16_t min_port, max_port;
	struct sockaddr_storage v4, v6; /* where it listens */
};

static inline void h_path(const struct tserver *s, const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", s->dir, name);
}

/* Reads a file of the server's dir into buf (NUL-terminated, truncated). */
static inline size_t h_slurp(const struct tserver *s, const char *name, char *buf, size_t len)
{
	char path[128];
	size_t n = 0;
	FILE *f;

	buf[0] = '\0';
	h_path(s, name, path, sizeof(path));
	f = fopen(path, "r");
	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
	return n;
}

static inline void h_dump(const struct tserver *s)
{
	static char buf[16384];

	h_slurp(s, "turn.log", buf, sizeof(buf));
	fprintf(stderr, "--- %s/turn.log:\n%s", s->dir, buf);
	h_slurp(s, "stderr", buf, sizeof(buf));
	fprintf(stderr, "--- %s/stderr:\n%s---\n", s->dir, buf);
}

static inline int h_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static inline const char *h_server_binary(void)
{
	static char path[4096];
	const char *dir = getenv("TURN_BUILD_DIR");

	snprintf(path, sizeof(path), "%s/bin/turnserver", dir && *dir ? dir : "build");
	return path;
}

/*
 * Starts a turnserver listening on 127.0.0.1 and ::1 (UDP and TCP) with a
 * relay range of nports of its own, realm H_REALM, users alice and bob,
 * and the extra flags (NULL-terminated; relay-ip comes from there). Waits
 * for "ready:" in its log. 0, or -1 with the reason printed.
 */
/* The server's dir, listening port and relay range of nports: 0, or -1 (printed). */
static inline int tserver_prepare(struct tserver *s, unsigned int nports)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->dir, sizeof(s->dir), "/tmp/itest.XXXXXX");
	if (!mkdtemp(s->dir)) {
		fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
		return -1;
	}
	s->port = h_pick_port();
	s->min_port = h_pick_range(nports);
	if (!s->port || !s->min_port) {
		fprintf(stderr, "no free ports\n");
		return -1;
	}
	s->max_port = (uint16_t)(s->min_port + nports - 1);
	s->v4 = h_addr("127.0.0.1", s->port);
	s->v6 = h_addr("::1", s->port);
	return 0;
}

static inline int tserver_spawn(struct tserver *s, const char *const *argv);

static inline int tserver_start(struct tserver *s, unsigned int nports, const char *const *extra)
{
	const char *argv[H_MAX_FLAGS];
	char port[8], minp[8], maxp[8], userdb[96], logf[96], pidf[96];
	/* clang-format off */
	const char *const common[] = {
	    h_server_binary(), "-n",
	    "--listening-ip", "127.0.0.1",
	    "--listening-ip", "::1",
	    "--listening-port", port,
	    "--min-port", minp,
	    "--max-port", maxp,
	    "-r", H_REALM,
	    "-u", H_USER ":" H_PASS,
	    "-u", H_USER2 ":" H_PASS2,
	    "--userdb", userdb,
	    "--log-file", logf,
	    "--pidfile", pidf,
	    "--relay-threads", "2",
	};
	/* clang-format on */
	int n = 0;

	if (tserver_prepare(s, nports) < 0)
		return -1;
	snprintf(port, sizeof(port), "%u", s->port);
	snprintf(minp, sizeof(minp), "%u", s->min_port);
	snprintf(maxp, sizeof(maxp), "%u", s->max_port);
	h_path(s, "users.db", userdb, sizeof(userdb));
	h_path(s, "turn.log", logf, sizeof(logf));
	h_path(s, "turn.pid", pidf, sizeof(pidf));

	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		argv[n++] = common[i];
	for (int i = 0; extra && extra[i]; i++) {
		if (n >= H_MAX_FLAGS - 1) {
			fprintf(stderr, "too many flags\n");
			return -1;
		}
		argv[n++] = extra[i];
	}
	argv[n] = NULL;
	return tserver_spawn(s, argv);
}

/*
 * Runs argv (the server binary first) as the server of s (tserver_prepare()d),
 * its stdout and stderr in its dir, and waits for "ready:" in its turn.log.
 */
static inline int tserver_spawn(struct tserver *s, const char *const *argv)
{
	char errf[96], outf[96], logbuf[8192];
	pid_t parent = getpid();
	uint64_t deadline;
	int status;

	h_path(s, "stderr", errf, sizeof(errf));
	h_path(s, "stdout", outf, sizeof(outf));
	if (access(argv[0], X_OK) < 0) {
		fprintf(stderr, "%s: %s (set TURN_BUILD_DIR)\n", argv[0], strerror(errno));
		return -1;
	}
	s->pid = fork();
	if (s->pid < 0) {
		fprintf(stderr, "fork: %s\n", strerror(errno));
		s->pid = 0;
		return -1;
	}
	if (s->pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		int out = open(outf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		/* the server must not outlive a crashed test binary */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent || in < 0 || out < 0 || err < 0)
			_exit(127);
		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}

	deadline = h_now_ms() + H_READY_TIMEOUT_MS;
	while (h_now_ms() < deadline) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			fprintf(stderr, "turnserver exited during startup (status 0x%x)\n", status);
			s->pid = 0;
			h_dump(s);
			return -1;
		}
		h_slurp(s, "turn.log", logbuf, sizeof(logbuf));
		if (strstr(logbuf, "ready:"))
			return 0;
		h_sleep_ms(20);
	}
	fprintf(stderr, "turnserver not ready within %d ms\n", H_READY_TIMEOUT_MS);
	h_dump(s);
	kill(s->pid, SIGKILL);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
	return -1;
}

/*
 * The config file of s, DIR/turn.conf, written anew: listening on 127.0.0.1
 * and ::1 on its port, its relay range, realm H_REALM, its user store, log
 * and pidfile, two relay threads, then body (more lines: user=, relay-ip=,
 * ...). 0, or -1 (printed).
 */
static inline int tserver_write_conf(const struct tserver *s, const char *body)
{
	char path[96], tmp[104];
	FILE *f;

	h_path(s, "turn.conf", path, sizeof(path));
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "%s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f,
		"listening-ip=127.0.0.1\nlistening-ip=::1\nlistening-port=%u\nmin-port=%u\n"
		"max-port=%u\nrealm=%s\nuserdb=%s/users.db\nlog-file=%s/turn.log\n"
		"pidfile=%s/turn.pid\nrelay-threads=2\n%s",
		s->port, s->min_port, s->max_port, H_REALM, s->dir, s->dir, s->dir, body);
	/* renamed into place: a SIGHUP never reads half a file */
	if (fclose(f) != 0 || rename(tmp, path) < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* tserver_start() from tserver_write_conf()'s file alone: turnserver -c DIR/turn.conf. */
static inline int tserver_start_conf(struct tserver *s, unsigned int nports, const char *body)
{
	char conf[96];
	const char *argv[] = {h_server_binary(), "-c", conf, NULL};

	if (tserver_prepare(s, nports) < 0 || tserver_write_conf(s, body) < 0)
		return -1;
	h_path(s, "turn.conf", conf, sizeof(conf));
	return tserver_spawn(s, argv);
}

/*
 * Stops the server with SIGTERM. 0 when it exited with status 0 within
 * H_STOP_TIMEOUT_MS and its stderr holds no sanitizer report; then its dir
 * is removed (kept when ITEST_KEEP is set). Otherwise -1 with the reason and its output printed
 * (the dir is kept for a look).
 */
static inline int tserver_stop(struct tserver *s)
{
	static char errbuf[65536];
	uint64_t deadline = h_now_ms() + H_STOP_TIMEOUT_MS;
	int status = 0, ret = 0;
	pid_t r = 0;

	if (!s->pid) {
		/* exited already (a test reaped it): its directory still goes */
		if (!strncmp(s->dir, "/tmp/itest.", 11) && !getenv("ITEST_KEEP"))
			nftw(s->dir, h_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
		return 0;
	}
	kill(s->pid, SIGTERM);
	while (h_now_ms() < deadline) {
		r = waitpid(s->pid, &status, WNOHANG);
		if (r == s->pid || r < 0)
			break;
		h_sleep_ms(10);
	}
	if (r != s->pid) {
		fprintf(stderr, "turnserver %d did not exit within %d ms of SIGTERM\n", (int)s->pid,
			H_STOP_TIMEOUT_MS);
		kill(s->pid, SIGKILL);
		waitpid(s->pid, &status, 0);
		ret = -1;
	} else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "turnserver exit status 0x%x, expected a clean exit 0\n", status);
		ret = -1;
	}
	s->pid = 0;
	h_slurp(s, "stderr", errbuf, sizeof(errbuf));
	if (strstr(errbuf, "ERROR: AddressSanitizer") || strstr(errbuf, "LeakSanitizer") ||
	    strstr(errbuf, "runtime error")) {
		fprintf(stderr, "sanitizer report from turnserver\n");
		ret = -1;
	}
	if (ret < 0)
		h_dump(s);
	else if (getenv("ITEST_KEEP"))
		fprintf(stderr, "kept %s\n", s->dir);
	else
		nftw(s->dir, h_rm_entry, 8, FTW_DEPTH | FTW_PHYS);
	return ret;
}

/* One server of a test group: where it lives, its relay ports, its flags. */
struct tserver_spec {
	struct tserver *s;
	unsigned int nports;
	const char *const *extra;
};

/* tserver_stop() for each of the n servers: 0, or -1 when one failed. */
static inline int tserver_stop_all(const struct tserver_spec *sp, size_t n)
{
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		if (tserver_stop(sp[i].s) < 0)
			ret = -1;
	return ret;
}

/* tserver_start() for each of the n servers in turn: 0, or -1 with those
 * already started stopped again. */
static inline int tserver_start_all(const struct tserver_spec *sp, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (tserver_start(sp[i].s, sp[i].nports, sp[i].extra) < 0) {
			tserver_stop_all(sp, i);
			return -1;
		}
	}
	return 0;
}

/*
 * The group_setup() and group_teardown() of a test program whose servers are
 * the array servers (struct tserver_spec): started before its tests, stopped
 * after them (a failed stop has printed its reason). Its last test can be
 * test_servers_exit_cleanly_on_sigterm: each server, stopped by SIGTERM,
 * exits 0 in time without a sanitizer report.
 */
#define TSERVER_GROUP(servers)                                                                     \
	static int group_setup(void **state)                                                       \
	{                                                                                          \
		(void)state;                                                                       \
		return tserver_start_all(servers, sizeof(servers) / sizeof(servers[0]));           \
	}                                                                                          \
	static int group_teardown(void **state)                                                    \
	{                                                                                          \
		(void)state;                                                                       \
		tserver_stop_all(servers, sizeof(servers) / sizeof(servers[0]));                   \
		return 0;                                                                          \
	}                                                                                          \
	static inline void test_servers_exit_cleanly_on_sigterm(void **state)                      \
	{                                                                                          \
		size_t n = sizeof(servers) / sizeof(servers[0]);                                   \
                                                                                                   \
		(void)state;                                                                       \
		assert_int_equal(tserver_stop_all(servers, n), 0);                                 \
	}

/* The one server srv of a test program, with nports relay ports and the flags that follow. */
#define TSERVER_ONE(nports, ...)                                                                   \
	static struct tserver srv;                                                                 \
	static const char *const srv_flags[] = {__VA_ARGS__, NULL};                                \
	static const struct tserver_spec servers[] = {{&srv, nports, srv_flags}};                  \
	TSERVER_GROUP(servers)

/*
 * Entries of main()'s test table that run the test fn over UDP or over TCP,
 * named fn and the suffix ("_udp"): fn learns which from h_tcp(state).
 */
static const bool h_udp_state = false, h_tcp_state = true;
#define H_OVER_UDP(fn, suffix) {#fn suffix, fn, NULL, NULL, (void *)&h_udp_state}
#define H_OVER_TCP(fn, suffix) {#fn suffix, fn, NULL, NULL, (void *)&h_tcp_state}

static inline bool h_tcp(void **state)
{
	return *(const bool *)*state;
}

/* Assertions */

/* A result code (0, a STUN error code, -errno) is exactly want. */
#define assert_code(expr, want)                                                                    \
	do {                                                                                       \
		int got_ = (expr);                                                                 \
		if (got_ != (want))                                                                \
			fail_msg("%s: got %d, expected %d", #expr, got_, (want));                  \
	} while (0)

/* The relayed address ss is on ip, with a port of server s's relay range. */
static inline void h_assert_relayed(const struct sockaddr_storage *ss, const char *ip,
				    const struct tserver *s)
{
	struct sockaddr_storage want = h_addr(ip, addr_port(SA(ss)));
	uint16_t port = addr_port(SA(ss));

	h_assert_addr_equal(ss, &want);
	if (port < s->min_port || port > s->max_port)
		fail_msg("relayed port %u outside %u-%u", port, s->min_port, s->max_port);
}

/* Clients: struct turnc of the library, alice's credentials, test timing */

static inline void h_new_tid(uint8_t tid[STUN_TID_LEN])
{
	if (RAND_bytes(tid, STUN_TID_LEN) != 1)
		fail_msg("RAND_bytes");
}

/* A UDP or TCP connection to server, from local_ip (port 0) if given: 0 or -errno. */
static inline int h_open(struct turnc *c, const struct sockaddr_storage *server,
			 const char *local_ip, bool tcp)
{
	struct sockaddr_storage local;
	int ret;

	if (local_ip)
		local = h_addr(local_ip, 0);
	ret = turnc_open(c, SA(server), local_ip ? SA(&local) : NULL, tcp, H_TXN_TIMEOUT_MS);
	if (ret < 0)
		return ret;
	turnc_set_auth(c, H_USER, H_PASS, NULL);
	turnc_set_timing(c, H_RTO_MS, H_TXN_TIMEOUT_MS);
	return 0;
}

/* h_open() from any local address, or the test fails. */
static inline void h_connect(struct turnc *c, const struct sockaddr_storage *server, bool tcp)
{
	if (h_open(c, server, NULL, tcp) < 0)
		fail_msg("cannot connect to %s", h_str(server));
}

/*
 * The fields of an Allocate with MD5 credentials for a UDP relay, to start a
 * designated initializer: {H_ALLOCATE_REQ, .even_port = true}.
 */
#define H_ALLOCATE_REQ                                                                             \
	.method = TURN_ALLOCATE, .auth = TURNC_AUTH_MD5, .transport = TURN_TRANSPORT_UDP

static inline int h_allocate(struct turnc *c)
{
	struct turnc_req q = {H_ALLOCATE_REQ};

	return turnc_request(c, &q);
}

static inline int h_allocate_family(struct turnc *c, uint8_t family, uint8_t additional)
{
	struct turnc_req q = {H_ALLOCATE_REQ, .family = family, .additional_family = additional};

	return turnc_request(c, &q);
}

static inline int h_refresh(struct turnc *c, uint32_t lifetime_s)
{
	struct turnc_req q = {.method = TURN_REFRESH,
			      .auth = TURNC_AUTH_MD5,
			      .has_lifetime = true,
			      .lifetime_s = lifetime_s};

	return turnc_request(c, &q);
}

static inline int h_permission(struct turnc *c, const struct sockaddr_storage *peer)
{
	struct turnc_req q = {
	    .method = TURN_CREATE_PERMISSION, .auth = TURNC_AUTH_MD5, .peer = {peer}};

	return turnc_request(c, &q);
}

static inline int h_channel_bind(struct turnc *c, uint16_t channel,
				 const struct sockaddr_storage *peer)
{
	struct turnc_req q = {.method = TURN_CHANNEL_BIND,
			      .auth = TURNC_AUTH_MD5,
			      .channel = channel,
			      .peer = {peer}};

	return turnc_request(c, &q);
}

static inline int h_binding(struct turnc *c)
{
	struct turnc_req q = {.method = STUN_BINDING};

	return turnc_request(c, &q);
}

/* Deletes the allocation if it still has one (UDP), then closes. */
static inline void h_close(struct turnc *c)
{
	if (c->fd >= 0 && c->allocated && !c->tcp) {
		c->no_retry = false;
		h_refresh(c, 0);
	}
	turnc_close(c);
}

/* The last answer; fails the test when there is none. */
static inline const struct stun_msg *h_resp(const struct turnc *c)
{
	const struct stun_msg *m = turnc_response(c);

	if (!m)
		fail_msg("no answer kept");
	return m;
}

/* Keeps REALM, NONCE and PASSWORD-ALGORITHMS of the last answer. */
static inline void h_take_challenge(struct turnc *c)
{
	turnc_keep_challenge(c, h_resp(c));
}

static inline const struct stun_attr *h_attr(const struct turnc *c, uint16_t type)
{
	const struct stun_msg *m = turnc_response(c);

	return m ? stun_msg_find(m, type) : NULL;
}

/* The n-th (from 0) attribute of this type holding an address; 0 or -1. */
static inline int h_xor_addr(const struct turnc *c, uint16_t type, int n,
			     struct sockaddr_storage *out)
{
	const struct stun_msg *m = turnc_response(c);

	for (int i = 0; m && i < m->nattrs; i++)
		if (m->attrs[i].type == type && n-- == 0)
			return stun_attr_xor_addr(m, &m->attrs[i], out);
	return -1;
}

static inline int h_count(const struct turnc *c, uint16_t type)
{
	const struct stun_msg *m = turnc_response(c);
	int n = 0;

	for (int i = 0; m && i < m->nattrs; i++)
		n += m->attrs[i].type == type;
	return n;
}

static inline uint32_t h_u32(const struct turnc *c, uint16_t type)
{
	const struct stun_attr *a = h_attr(c, type);
	uint32_t v = 0;

	if (!a || stun_attr_u32(a, &v) < 0)
		fail_msg("answer has no valid attribute 0x%04x", type);
	return v;
}

/* The n-th relayed address of the last answer; fails the test if none. */
static inline struct sockaddr_storage h_relayed(const struct turnc *c, int n)
{
	struct sockaddr_storage ss;

	if (h_xor_addr(c, STUN_ATTR_XOR_RELAYED_ADDRESS, n, &ss) < 0)
		fail_msg("answer has no XOR-RELAYED-ADDRESS #%d", n);
	return ss;
}

/* Data path */

static inline int h_send_indication(struct turnc *c, const struct sockaddr_storage *peer,
				    const void *data, size_t len)
{
	return turnc_send_indication(c, SA(peer), data, len);
}

static inline int h_send_channel(struct turnc *c, uint16_t channel, const void *data, size_t len)
{
	return turnc_send_channel(c, channel, data, len);
}

/*
 * Waits for the next event of type want (TURNC_EV_DATA: data relayed from a
 * peer, a Data indication or ChannelData; TURNC_EV_ICMP: an ICMP report) in
 * ev: true when one came. A malformed one fails the test.
 */
static inline bool h_wait_event(struct turnc *c, int want, int timeout_ms, struct turnc_event *ev)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms, malformed = c->malformed;

	for (int guard = 0; guard < 1000; guard++) {
		uint64_t now = h_now_ms();
		int type;

		if (now >= deadline)
			break;
		type = turnc_wait_event(c, ev, (int)(deadline - now));
		if (c->malformed != malformed)
			fail_msg("malformed ChannelData or Data indication from the server");
		if (type == want)
			return true;
		if (type == TURNC_EV_ERROR)
			break;
	}
	return false;
}

/* Waits for data relayed from a peer in ev: true when some came. */
static inline bool h_recv_event(struct turnc *c, int timeout_ms, struct turnc_event *ev)
{
	return h_wait_event(c, TURNC_EV_DATA, timeout_ms, ev);
}

/*
 * Data from a peer: *channel 0 and *peer set for a Data indication, else
 * the channel. Copies the payload to data: its length, -ETIMEDOUT if none.
 */
static inline int h_recv_data(struct turnc *c, int timeout_ms, uint16_t *channel,
			      struct sockaddr_storage *peer, uint8_t *data, size_t cap)
{
	struct turnc_event ev;

	if (!h_recv_event(c, timeout_ms, &ev))
		return -ETIMEDOUT;
	if (ev.len > cap)
		fail_msg("relayed data of %zu bytes, more than %zu", ev.len, cap);
	*channel = ev.channel;
	if (!ev.channel)
		*peer = ev.peer;
	memcpy(data, ev.data, ev.len);
	return (int)ev.len;
}

/* Asserts that nothing from a peer reaches the client within H_SILENCE_MS. */
static inline void h_assert_no_data(struct turnc *c)
{
	struct sockaddr_storage peer;
	uint8_t data[1500];
	uint16_t ch = 0;
	int n = h_recv_data(c, H_SILENCE_MS, &ch, &peer, data, sizeof(data));

	if (n != -ETIMEDOUT)
		fail_msg("unexpected relayed data (%d bytes, channel 0x%04x)", n, ch);
}

/* TURN REST API (use-auth-secret): base64(HMAC-SHA1(secret, name)) into out (29 bytes with the NUL). */
static inline void h_rest_password(const char *secret, const char *name, char out[29])
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0;

	assert_non_null(HMAC(EVP_sha1(), secret, (int)strlen(secret), (const uint8_t *)name,
			     strlen(name), mac, &mac_len));
	assert_int_equal(mac_len, 20);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)out, mac, 20), 28);
}

/* UDP peers on loopback */

struct tpeer {
	int fd;
	struct sockaddr_storage addr;
};

static inline void tpeer_open(struct tpeer *p, const char *ip)
{
	struct sockaddr_storage ss = h_addr(ip, 0);
	socklen_t len = sizeof(p->addr);

	p->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (p->fd < 0 || bind(p->fd, SA(&ss), addr_len(SA(&ss))) < 0 ||
	    getsockname(p->fd, SA(&p->addr), &len) < 0)
		fail_msg("peer socket on %s: %s", ip, strerror(errno));
}

static inline void tpeer_close(struct tpeer *p)
{
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
}

/* A datagram within timeout_ms: its length (from set), or -ETIMEDOUT. */
static inline int tpeer_recv(struct tpeer *p, uint8_t *buf, size_t cap, int timeout_ms,
			     struct sockaddr_storage *from)
{
	uint64_t deadline = h_now_ms() + (uint64_t)timeout_ms;

	for (int guard = 0; guard < 1000; guard++) {
		struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
		socklen_t len = sizeof(*from);
		uint64_t now = h_now_ms();
		ssize_t n;

		if (now >= deadline)
			break;
		if (poll(&pfd, 1, (int)(deadline - now)) <= 0)
			continue;
		n = recvfrom(p->fd, buf, cap, 0, SA(from), &len);
		if (n >= 0)
			return (int)n;
	}
	return -ETIMEDOUT;
}

static inline void tpeer_send(struct tpeer *p, const struct sockaddr_storage *to, const void *buf,
			      size_t len)
{
	if (sendto(p->fd, buf, len, 0, SA(to), addr_len(SA(to))) != (ssize_t)len)
		fail_msg("peer sendto %s: %s", h_str(to), strerror(errno));
}

static inline void tpeer_assert_nothing(struct tpeer *p)
{
	struct sockaddr_storage from;
	uint8_t buf[1500];
	int n = tpeer_recv(p, buf, sizeof(buf), H_SILENCE_MS, &from);

	if (n != -ETIMEDOUT)
		fail_msg("peer %s got %d unexpected bytes from %s", h_str(&p->addr), n,
			 h_str(&from));
}

#endif
