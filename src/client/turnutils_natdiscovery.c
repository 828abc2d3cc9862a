/*
 * turnutils_natdiscovery - RFC 5780 NAT behaviour discovery against a STUN
 * server that offers it (OTHER-ADDRESS in its Binding answers).
 *
 * Flags follow coturn's turnutils_natdiscovery:
 *   -m  mapping (§4.3)     -f  filtering (§4.4)     -H  hairpinning (§4.5)
 *   -t  mapping lifetime (§4.6), with -T SECONDS    -P  1500 bytes of PADDING
 *   -p PORT  server port (3478)   -L ADDR  local address   -l PORT  local port
 * and ours: -w MS, how long one Binding waits for its answer (default 1000).
 * coturn's -c (collision, with -A) is refused: it is not done here.
 * Prints one "NAT ...: verdict" line per test. Exit status: 0 when every
 * test asked for ran, 1 when the server did not answer or offers no RFC
 * 5780, 64 on a usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "client/natdisc_verdict.h"
#include "client/turnclient.h"
#include "common/addr.h"
#include "common/clock.h"
#include "common/version.h"
#include "stun/stun.h"

#define ND_PADDING 1500	 /* -P, as coturn's */
#define ND_WAIT_MS 1000	 /* -w default */
#define ND_RESEND_MS 250 /* a request is sent again this often while waiting */
#define ND_BUF 4096
#define EXIT_USAGE 64

struct nd_opts {
	bool mapping, filtering, lifetime, hairpin, padding;
	unsigned int lifetime_s;
	unsigned int wait_ms;
	union sockaddr_u server, local;
	bool has_local;
};

/* What a Binding answer said. */
struct nd_answer {
	union sockaddr_u mapped, origin, other;
	bool has_origin, has_other;
	int error; /* an error answer's code, else 0 */
};

static void nd_usage(FILE *f)
{
	fprintf(f, "Usage: turnutils_natdiscovery [options] server-address\n"
		   "Options:\n"
		   "\t-m\tNAT mapping behaviour discovery\n"
		   "\t-f\tNAT filtering behaviour discovery\n"
		   "\t-t\tNAT mapping lifetime discovery (needs -T)\n"
		   "\t-H\tNAT hairpinning discovery\n"
		   "\t-P\tadd 1500 bytes of PADDING (not to the lifetime test)\n"
		   "\t-p PORT\tSTUN server port (default 3478)\n"
		   "\t-L ADDR\tlocal address to use\n"
		   "\t-l PORT\tlocal port to use (with -L)\n"
		   "\t-T SEC\tmapping lifetime timer (with -t)\n"
		   "\t-w MS\thow long a Binding waits for its answer (default 1000)\n"
		   "\t--version\tprint the version\n");
}

static int nd_uint(const char *s, unsigned long lo, unsigned long hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

/* A UDP socket bound to local (port 0: any), non-blocking: fd or -1. */
static int nd_socket(const union sockaddr_u *local)
{
	int fd = socket(local->sa.sa_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, &local->sa, addr_len(&local->sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The address the system would send to the server from (for -L without one). */
static int nd_route_source(const union sockaddr_u *server, union sockaddr_u *out)
{
	socklen_t len = sizeof(*out);
	int fd = socket(server->sa.sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int rc = -1;

	if (fd < 0)
		return -1;
	if (connect(fd, &server->sa, addr_len(&server->sa)) == 0 &&
	    getsockname(fd, &out->sa, &len) == 0)
		rc = 0;
	close(fd);
	addr_set_port(&out->sa, 0);
	return rc;
}

static size_t nd_request(uint8_t *buf, size_t cap, const uint8_t tid[STUN_TID_LEN], uint8_t change,
			 uint16_t response_port, bool padding)
{
	struct stun_builder b;

	stun_build_start(&b, buf, cap, STUN_BINDING, STUN_REQUEST, tid);
	if (change)
		stun_put_change_request(&b, change);
	if (response_port)
		stun_put_response_port(&b, response_port);
	if (padding)
		stun_put_padding(&b, ND_PADDING);
	stun_put_fingerprint(&b);
	return stun_build_end(&b);
}

/* A Binding answer with transaction ID tid in buf: 0 and *ans, else -1. */
static int nd_parse_answer(const uint8_t *buf, size_t len, const uint8_t *tid,
			   struct nd_answer *ans)
{
	struct sockaddr_storage ss;
	const struct stun_attr *a;
	struct stun_msg m;
	const char *reason;
	size_t rlen;

	if (stun_msg_parse(&m, buf, len) != STUN_PARSE_OK || m.method != STUN_BINDING ||
	    memcmp(m.tid, tid, STUN_TID_LEN) != 0)
		return -1;
	memset(ans, 0, sizeof(*ans));
	if (m.cls == STUN_ERROR) {
		a = stun_msg_find(&m, STUN_ATTR_ERROR_CODE);
		if (!a || stun_attr_error(a, &ans->error, &reason, &rlen) < 0)
			ans->error = 500;
		return 0;
	}
	if (m.cls != STUN_SUCCESS)
		return -1;
	a = stun_msg_find(&m, STUN_ATTR_XOR_MAPPED_ADDRESS);
	if (a ? stun_attr_xor_addr(&m, a, &ss) < 0
	      : !(a = stun_msg_find(&m, STUN_ATTR_MAPPED_ADDRESS)) ||
		    stun_attr_addr(&m, a, &ss) < 0)
		return -1;
	memcpy(&ans->mapped, &ss, sizeof(ans->mapped));
	a = stun_msg_find(&m, STUN_ATTR_RESPONSE_ORIGIN);
	if (a && stun_attr_addr(&m, a, &ss) == 0) {
		memcpy(&ans->origin, &ss, sizeof(ans->origin));
		ans->has_origin = true;
	}
	a = stun_msg_find(&m, STUN_ATTR_OTHER_ADDRESS);
	if (a && stun_attr_addr(&m, a, &ss) == 0) {
		memcpy(&ans->other, &ss, sizeof(ans->other));
		ans->has_other = true;
	}
	return 0;
}

/*
 * One Binding from send_fd to dst, its answer awaited on recv_fd (from any
 * source: the filtering tests ask for another one): 0 and *ans, 1 when none
 * came within wait_ms, -1 on a socket error.
 */
static int nd_binding(const struct nd_opts *o, int send_fd, int recv_fd,
		      const union sockaddr_u *dst, uint8_t change, uint16_t response_port,
		      bool padding, struct nd_answer *ans)
{
	uint8_t tid[STUN_TID_LEN], req[ND_BUF], buf[ND_BUF];
	uint64_t start = clock_ms(), next = start;
	size_t len;

	if (RAND_bytes(tid, sizeof(tid)) != 1)
		return -1;
	len = nd_request(req, sizeof(req), tid, change, response_port, padding);
	if (!len)
		return -1;
	for (;;) {
		uint64_t now = clock_ms();
		struct pollfd p = {.fd = recv_fd, .events = POLLIN};
		ssize_t n;

		if (now >= start + o->wait_ms)
			return 1;
		if (now >= next) {
			if (sendto(send_fd, req, len, 0, &dst->sa, addr_len(&dst->sa)) < 0 &&
			    errno != ECONNREFUSED)
				return -1;
			next = now + ND_RESEND_MS;
		}
		if (poll(&p, 1,
			 (int)((next < start + o->wait_ms ? next : start + o->wait_ms) - now)) < 0)
			return -1;
		while ((n = recv(recv_fd, buf, sizeof(buf), 0)) >= 0)
			if (nd_parse_answer(buf, (size_t)n, tid, ans) == 0)
				return 0;
	}
}

static void nd_print_answer(const char *test, const struct nd_answer *a)
{
	char m[ADDR_STRLEN], r[ADDR_STRLEN], x[ADDR_STRLEN];

	printf("%s: mapped %s, response origin %s, other address %s\n", test,
	       addr_str(&a->mapped.sa, m, sizeof(m)),
	       a->has_origin ? addr_str(&a->origin.sa, r, sizeof(r)) : "-",
	       a->has_other ? addr_str(&a->other.sa, x, sizeof(x)) : "-");
}

/* Test I of every discovery: to the primary address; the server must offer RFC 5780. */
static int nd_test1(const struct nd_opts *o, int fd, const char *what, bool padding,
		    struct nd_answer *ans)
{
	char buf[ADDR_STRLEN];
	int rc = nd_binding(o, fd, fd, &o->server, 0, 0, padding, ans);

	if (rc) {
		fprintf(stderr, "turnutils_natdiscovery: %s: no answer from %s\n", what,
			addr_str(&o->server.sa, buf, sizeof(buf)));
		return -1;
	}
	if (ans->error || !ans->has_other) {
		fprintf(stderr,
			"turnutils_natdiscovery: %s: %s offers no RFC 5780 (%s%d): start it with "
			"rfc5780 and two listening addresses\n",
			what, addr_str(&o->server.sa, buf, sizeof(buf)),
			ans->error ? "error " : "no OTHER-ADDRESS, ", ans->error);
		return -1;
	}
	nd_print_answer(what, ans);
	return 0;
}

/* The local address of fd. */
static void nd_local_of(int fd, union sockaddr_u *out)
{
	socklen_t len = sizeof(*out);

	if (getsockname(fd, &out->sa, &len) < 0)
		memset(out, 0, sizeof(*out));
}

/* §4.3 */
static int nd_mapping(const struct nd_opts *o, int fd)
{
	struct nd_answer a1, a2, a3;
	union sockaddr_u local, dst;
	enum nd_mapping_next next;
	enum nd_mapping v;

	nd_local_of(fd, &local);
	if (nd_test1(o, fd, "mapping test I", o->padding, &a1) < 0)
		return -1;
	v = nd_mapping_verdict(&local.sa, &a1.mapped.sa, NULL, NULL, &next);
	if (next == ND_MAPPING_NEED_II) {
		/* test II: the alternate IP, the primary port */
		dst = a1.other;
		addr_set_port(&dst.sa, addr_port(&o->server.sa));
		if (nd_binding(o, fd, fd, &dst, 0, 0, o->padding, &a2) || a2.error) {
			fprintf(stderr, "turnutils_natdiscovery: mapping test II: no answer\n");
			return -1;
		}
		nd_print_answer("mapping test II", &a2);
		v = nd_mapping_verdict(&local.sa, &a1.mapped.sa, &a2.mapped.sa, NULL, &next);
	}
	if (next == ND_MAPPING_NEED_III) {
		/* test III: the alternate IP and port */
		if (nd_binding(o, fd, fd, &a1.other, 0, 0, o->padding, &a3) || a3.error) {
			fprintf(stderr, "turnutils_natdiscovery: mapping test III: no answer\n");
			return -1;
		}
		nd_print_answer("mapping test III", &a3);
		v = nd_mapping_verdict(&local.sa, &a1.mapped.sa, &a2.mapped.sa, &a3.mapped.sa,
				       &next);
	}
	printf("NAT mapping: %s\n", nd_mapping_name(v));
	return 0;
}

/* §4.4: answers asked from elsewhere; a silence is the finding, not a failure. */
static int nd_filtering(const struct nd_opts *o, int fd)
{
	struct nd_answer a1, a;
	bool got_ii, got_iii = false;
	int rc;

	if (nd_test1(o, fd, "filtering test I", o->padding, &a1) < 0)
		return -1;
	rc =
	    nd_binding(o, fd, fd, &o->server, STUN_CHANGE_IP | STUN_CHANGE_PORT, 0, o->padding, &a);
	if (rc < 0 || (rc == 0 && a.error))
		return -1;
	got_ii = rc == 0;
	if (got_ii) {
		nd_print_answer("filtering test II", &a);
	} else {
		printf("filtering test II: no answer from the alternate address and port\n");
		rc = nd_binding(o, fd, fd, &o->server, STUN_CHANGE_PORT, 0, o->padding, &a);
		if (rc < 0 || (rc == 0 && a.error))
			return -1;
		got_iii = rc == 0;
		if (got_iii)
			nd_print_answer("filtering test III", &a);
		else
			printf("filtering test III: no answer from the alternate port\n");
	}
	printf("NAT filtering: %s\n", nd_filtering_name(nd_filtering_verdict(got_ii, got_iii)));
	return 0;
}

/*
 * §4.6: a mapping is made, then after lifetime_s a Binding from a second
 * socket asks (RESPONSE-PORT) for its answer to go to that mapping.
 */
static int nd_lifetime(const struct nd_opts *o, int fd, int fd2)
{
	struct nd_answer a1, a;
	int rc;

	if (nd_test1(o, fd, "lifetime test I", false, &a1) < 0)
		return -1;
	sleep(o->lifetime_s);
	rc = nd_binding(o, fd2, fd, &o->server, 0, addr_port(&a1.mapped.sa), false, &a);
	if (rc < 0 || (rc == 0 && a.error))
		return -1;
	if (rc == 0)
		printf("NAT mapping lifetime: alive after %u s\n", o->lifetime_s);
	else
		printf("NAT mapping lifetime: expired within %u s\n", o->lifetime_s);
	return 0;
}

/* §4.5: a request from a second socket to the first one's mapped address. */
static int nd_hairpin(const struct nd_opts *o, int fd, int fd2)
{
	struct nd_answer a1;
	uint8_t tid[STUN_TID_LEN], req[ND_BUF], buf[ND_BUF];
	uint64_t start;
	size_t len;

	if (nd_test1(o, fd, "hairpinning test I", o->padding, &a1) < 0)
		return -1;
	if (RAND_bytes(tid, sizeof(tid)) != 1)
		return -1;
	len = nd_request(req, sizeof(req), tid, 0, 0, o->padding);
	if (!len)
		return -1;
	start = clock_ms();
	for (uint64_t next = start; clock_ms() < start + o->wait_ms;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		struct stun_msg m;
		ssize_t n;

		if (clock_ms() >= next) {
			sendto(fd2, req, len, 0, &a1.mapped.sa, addr_len(&a1.mapped.sa));
			next = clock_ms() + ND_RESEND_MS;
		}
		if (poll(&p, 1, ND_RESEND_MS / 5) < 0)
			return -1;
		while ((n = recv(fd, buf, sizeof(buf), 0)) >= 0) {
			if (stun_msg_parse(&m, buf, (size_t)n) == STUN_PARSE_OK &&
			    m.cls == STUN_REQUEST && memcmp(m.tid, tid, STUN_TID_LEN) == 0) {
				printf("NAT hairpinning: yes\n");
				return 0;
			}
		}
	}
	printf("NAT hairpinning: no\n");
	return 0;
}

static int nd_parse_args(int argc, char **argv, struct nd_opts *o)
{
	struct sockaddr_storage ss;
	unsigned int port = 3478, lport = 0;
	bool timer = false;
	int opt;

	o->wait_ms = ND_WAIT_MS;
	while ((opt = getopt(argc, argv, "mftcHPp:L:l:A:T:w:h")) != -1) {
		switch (opt) {
		case 'm':
			o->mapping = true;
			break;
		case 'f':
			o->filtering = true;
			break;
		case 't':
			o->lifetime = true;
			break;
		case 'H':
			o->hairpin = true;
			break;
		case 'P':
			o->padding = true;
			break;
		case 'c':
		case 'A':
			fprintf(stderr,
				"turnutils_natdiscovery: -%c: collision discovery is not "
				"done here\n",
				opt);
			return -1;
		case 'p':
		case 'l':
			if (nd_uint(optarg, opt == 'p', 65535, opt == 'p' ? &port : &lport) < 0) {
				fprintf(stderr, "turnutils_natdiscovery: bad port '%s'\n", optarg);
				return -1;
			}
			break;
		case 'T':
			if (nd_uint(optarg, 0, 86400, &o->lifetime_s) < 0) {
				fprintf(stderr, "turnutils_natdiscovery: bad timer '%s'\n", optarg);
				return -1;
			}
			timer = true;
			break;
		case 'w':
			if (nd_uint(optarg, 10, 60000, &o->wait_ms) < 0) {
				fprintf(stderr, "turnutils_natdiscovery: bad wait '%s'\n", optarg);
				return -1;
			}
			break;
		case 'L':
			if (addr_parse(optarg, 0, &ss, NULL) < 0) {
				fprintf(stderr, "turnutils_natdiscovery: bad local address '%s'\n",
					optarg);
				return -1;
			}
			memcpy(&o->local, &ss, sizeof(o->local));
			o->has_local = true;
			break;
		case 'h':
			nd_usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc - 1 || (o->lifetime && !timer) ||
	    !(o->mapping || o->filtering || o->lifetime || o->hairpin) ||
	    (lport && !o->has_local)) {
		fprintf(stderr, "turnutils_natdiscovery: a server, one of -m -f -t -H, -T with -t, "
				"-L with -l\n");
		return -1;
	}
	if (turnc_resolve(argv[optind], (uint16_t)port,
			  o->has_local ? o->local.sa.sa_family : AF_UNSPEC, &ss) < 0) {
		fprintf(stderr, "turnutils_natdiscovery: cannot resolve '%s'\n", argv[optind]);
		return 1;
	}
	memcpy(&o->server, &ss, sizeof(o->server));
	if (o->has_local)
		addr_set_port(&o->local.sa, (uint16_t)lport);
	return 0;
}

int main(int argc, char **argv)
{
	struct nd_opts o = {0};
	union sockaddr_u any;
	int fd = -1, fd2 = -1, rc = 0;
	bool tests[4];

	if (version_requested(argc, argv))
		return version_print("turnutils_natdiscovery");
	rc = nd_parse_args(argc, argv, &o);
	if (rc) {
		if (rc < 0)
			nd_usage(stderr);
		return rc < 0 ? EXIT_USAGE : 1;
	}
	/* the local IP the mapping test compares with: never a wildcard */
	if (!o.has_local && nd_route_source(&o.server, &o.local) < 0) {
		fprintf(stderr, "turnutils_natdiscovery: no route to the server: %s\n",
			strerror(errno));
		return 1;
	}
	any = o.local;
	addr_set_port(&any.sa, 0);
	/*
	 * Filtering first: with -l every test's first socket has that port, and
	 * the mapping test's requests to the other address would open the
	 * NAT's filters for it. Each test closes its sockets before the next.
	 */
	tests[0] = o.filtering, tests[1] = o.mapping, tests[2] = o.lifetime, tests[3] = o.hairpin;
	for (int t = 0; t < 4 && rc == 0; t++) {
		if (!tests[t])
			continue;
		fd = nd_socket(&o.local);
		fd2 = t >= 2 ? nd_socket(&any) : -1;
		if (fd < 0 || (t >= 2 && fd2 < 0)) {
			fprintf(stderr, "turnutils_natdiscovery: socket: %s\n", strerror(errno));
			rc = -1;
		} else if (t == 0) {
			rc = nd_filtering(&o, fd);
		} else if (t == 1) {
			rc = nd_mapping(&o, fd);
		} else if (t == 2) {
			rc = nd_lifetime(&o, fd, fd2);
		} else {
			rc = nd_hairpin(&o, fd, fd2);
		}
		if (fd >= 0)
			close(fd);
		if (fd2 >= 0)
			close(fd2);
	}
	return rc ? 1 : 0;
}
