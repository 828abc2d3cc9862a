/*
 * test_icmp.c - ICMP errors for relayed datagrams (src/server/icmp.c, RFC
 * 8656 §11.3). The error queue parser on crafted recvmsg() answers: the
 * ICMP types RFC 8656 relays, the MTU as error data, the offender, and odd
 * control data (lengths past the buffer, too short, other levels, local
 * errors, other families) refused without reading past it. Then real
 * sockets on loopback: a relay socket with IP_RECVERR / IPV6_RECVERR sends
 * to a closed port, icmp_drain() reads the kernel's error and the "client"
 * socket gets a Data indication with XOR-PEER-ADDRESS and ICMP 3/3 (IPv4)
 * or 1/4 (IPv6); without a live permission nothing is sent; a flood is cut
 * at SERVER_ICMP_PER_S a second, counted; and the socket's pending error
 * does not cost the next datagram to another peer (icmp_sendto()).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <time.h> /* before linux/errqueue.h */
#include <linux/errqueue.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>

#include "alloc_test.h"
#include "common/addr.h"

#define T_WAIT_MS 2000 /* the kernel's ICMP reaches the error queue within this */

/* Crafted error queue answers */

struct crafted {
	union {
		struct cmsghdr align;
		uint8_t bytes[256];
	} control;
	struct sockaddr_in6 name;
	struct msghdr msg;
	struct cmsghdr *cm;
};

/* A recvmsg(MSG_ERRQUEUE) answer for family with one RECVERR cmsg and its offender. */
static void craft(struct crafted *c, int family, uint8_t origin, uint8_t type, uint8_t code,
		  uint32_t info)
{
	struct sock_extended_err ee = {.ee_errno = ECONNREFUSED,
				       .ee_origin = origin,
				       .ee_type = type,
				       .ee_code = code,
				       .ee_info = info};
	union sockaddr_u offender;
	size_t off_len;

	memset(c, 0, sizeof(*c));
	memset(&offender, 0, sizeof(offender));
	if (family == AF_INET6) {
		c->name.sin6_family = AF_INET6;
		c->name.sin6_port = htons(4000);
		inet_pton(AF_INET6, "2001:db8::7", &c->name.sin6_addr);
		offender.in6.sin6_family = AF_INET6;
		inet_pton(AF_INET6, "2001:db8::1", &offender.in6.sin6_addr);
		off_len = sizeof(offender.in6);
	} else {
		struct sockaddr_in *in = (struct sockaddr_in *)&c->name;

		in->sin_family = AF_INET;
		in->sin_port = htons(4000);
		inet_pton(AF_INET, "192.0.2.7", &in->sin_addr);
		offender.in.sin_family = AF_INET;
		inet_pton(AF_INET, "192.0.2.1", &offender.in.sin_addr);
		off_len = sizeof(offender.in);
	}
	c->msg.msg_name = &c->name;
	c->msg.msg_namelen = family == AF_INET6 ? sizeof(struct sockaddr_in6)
						: sizeof(struct sockaddr_in);
	c->msg.msg_control = c->control.bytes;
	c->msg.msg_controllen = CMSG_SPACE(sizeof(ee) + off_len);
	c->cm = CMSG_FIRSTHDR(&c->msg);
	c->cm->cmsg_level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	c->cm->cmsg_type = family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR;
	c->cm->cmsg_len = CMSG_LEN(sizeof(ee) + off_len);
	memcpy(CMSG_DATA(c->cm), &ee, sizeof(ee));
	memcpy(CMSG_DATA(c->cm) + sizeof(ee), &offender, off_len);
}

static void test_port_unreachable_v4_parses_with_peer_and_offender(void **state)
{
	struct crafted c;
	struct icmp_report r;
	char buf[ADDR_STRLEN];

	(void)state;
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), 0);
	assert_int_equal(r.icmp.type, 3);
	assert_int_equal(r.icmp.code, 3);
	assert_int_equal(r.icmp.error_data, 0);
	assert_string_equal(addr_str(&r.peer.sa, buf, sizeof(buf)), "192.0.2.7:4000");
	assert_int_equal(r.offender.sa.sa_family, AF_INET);
	assert_string_equal(addr_ip_str(&r.offender.sa, buf, sizeof(buf)), "192.0.2.1");
}

static void test_mtu_is_error_data_only_for_too_big(void **state)
{
	struct crafted c;
	struct icmp_report r;

	(void)state;
	/* ICMPv4 fragmentation needed (RFC 1191 §4) */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 4, 1400);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), 0);
	assert_int_equal(r.icmp.error_data, 1400);
	/* ICMPv6 packet too big (RFC 4443 §3.2) */
	craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP6, 2, 0, 1280);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), 0);
	assert_int_equal(r.icmp.type, 2);
	assert_int_equal(r.icmp.error_data, 1280);
	/* other errors carry 0 whatever ee_info holds */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 11, 0, 77);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), 0);
	assert_int_equal(r.icmp.error_data, 0);
	craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 4, 77);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), 0);
	assert_int_equal(r.icmp.error_data, 0);
}

static void test_only_the_types_rfc_8656_names_are_relayed(void **state)
{
	static const uint8_t v4_no[] = {0, 4, 5, 8, 12, 255};
	static const uint8_t v6_no[] = {0, 4, 128, 129, 255};
	struct crafted c;
	struct icmp_report r;

	(void)state;
	for (size_t i = 0; i < sizeof(v4_no); i++) {
		craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, v4_no[i], 0, 0);
		assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	}
	for (size_t i = 0; i < sizeof(v6_no); i++) {
		craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP6, v6_no[i], 0, 0);
		assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), -1);
	}
	/* a local error (EMSGSIZE from our own path MTU) is no ICMP */
	craft(&c, AF_INET, SO_EE_ORIGIN_LOCAL, 3, 4, 1400);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	/* ICMPv6 origin on an IPv4 socket and the other way round */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP6, 3, 3, 0);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP, 1, 4, 0);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), -1);
}

static void test_odd_control_data_is_refused_within_its_bounds(void **state)
{
	struct crafted c;
	struct icmp_report r;

	(void)state;
	/* cmsg_len past what recvmsg filled in */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.cm->cmsg_len = c.msg.msg_controllen + 1;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	/* too short for a sock_extended_err */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.cm->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err) - 1);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	/* shorter than its own header */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.cm->cmsg_len = sizeof(struct cmsghdr) - 1;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	/* control buffer smaller than a header, or none */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.msg.msg_controllen = sizeof(struct cmsghdr) - 1;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.msg.msg_control = NULL;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	/* another level or type only */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.cm->cmsg_level = SOL_SOCKET;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 4, 0);
	c.cm->cmsg_type = IPV6_PKTINFO;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), -1);
	/* the IPv4 answer read as an IPv6 socket's */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), -1);
	/* no destination, a truncated one, one of another family */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.msg.msg_name = NULL;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 4, 0);
	c.msg.msg_namelen = sizeof(struct sockaddr_in);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), -1);
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	c.name.sin6_family = AF_UNIX;
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET, &r), -1);
	/* an unknown family asked for */
	craft(&c, AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, 0);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_UNIX, &r), -1);
}

static void test_offender_that_does_not_fit_is_left_out(void **state)
{
	struct crafted c;
	struct icmp_report r;

	(void)state;
	/* the error without its offender address, or with a cut one */
	craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 4, 0);
	c.cm->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err));
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), 0);
	assert_int_equal(r.offender.sa.sa_family, AF_UNSPEC);
	craft(&c, AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 4, 0);
	c.cm->cmsg_len = CMSG_LEN(sizeof(struct sock_extended_err) + 8);
	assert_int_equal(icmp_parse_errqueue(&c.msg, AF_INET6, &r), 0);
	assert_int_equal(r.offender.sa.sa_family, AF_UNSPEC);
	assert_int_equal(r.icmp.type, 1);
}

static void test_rate_is_per_second_per_allocation(void **state)
{
	(void)state;
	for (int i = 0; i < SERVER_ICMP_PER_S; i++)
		assert_true(icmp_rate_take(a, 5000));
	assert_false(icmp_rate_take(a, 5000));
	assert_false(icmp_rate_take(a, 5999));
	assert_true(icmp_rate_take(a, 6000));
}

/* Real sockets: the kernel's errors through icmp_drain() */

struct live {
	int family;
	int client_fd; /* stands for the client: the Data indications come here */
	struct udp_listener lsn;
	union sockaddr_u closed; /* a peer port nobody listens on */
};

static int bound_udp(int family, union sockaddr_u *addr)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0), on = 1;

	if (fd < 0)
		return -1;
	memset(addr, 0, sizeof(*addr));
	if (family == AF_INET6) {
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		addr->in6.sin6_family = AF_INET6;
		addr->in6.sin6_addr = in6addr_loopback;
	} else {
		addr->in.sin_family = AF_INET;
		addr->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	}
	if (bind(fd, &addr->sa, addr_len(&addr->sa)) < 0 ||
	    getsockname(fd, &addr->sa, &len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The fixture's allocation with a relay socket of family, a client and a closed peer port. */
static void live_setup(struct live *l, int family)
{
	int fd;

	cfg.min_port = 1; /* no peer port of the test is in the relay range */
	cfg.max_port = 1;
	l->family = family;
	l->lsn.fd = bound_udp(AF_INET, &l->lsn.local);
	l->client_fd = bound_udp(AF_INET, &a->client);
	assert_true(l->lsn.fd >= 0 && l->client_fd >= 0);
	l->lsn.w = &w;
	a->lsn = &l->lsn;
	/* a port that was free a moment ago, closed again */
	fd = bound_udp(family, &l->closed);
	assert_true(fd >= 0);
	close(fd);
	a->relay[0].fd = bound_udp(family, &a->relay[0].local);
	assert_true(a->relay[0].fd >= 0);
	a->relay[0].alloc = a;
	a->nrelay = 1;
	assert_int_equal(icmp_enable(a->relay[0].fd, family), 0);
}

static void live_teardown(struct live *l)
{
	close(l->client_fd);
	close(l->lsn.fd);
	close(a->relay[0].fd);
}

/* Sends n datagrams from the relay socket to the closed port and waits for the first error. */
static void live_send(struct live *l, int n)
{
	struct pollfd p = {.fd = a->relay[0].fd, .events = 0};

	for (int i = 0; i < n; i++)
		assert_int_equal(icmp_sendto(a->relay[0].fd, "x", 1, &l->closed.sa), 0);
	assert_int_equal(poll(&p, 1, T_WAIT_MS), 1);
	assert_true(p.revents & POLLERR);
}

/* The next Data indication at the client within wait_ms: its ICMP and peer, or false. */
static bool live_recv(struct live *l, int wait_ms, struct stun_icmp *icmp,
		      struct sockaddr_storage *peer)
{
	struct pollfd p = {.fd = l->client_fd, .events = POLLIN};
	uint8_t buf[256];
	struct stun_msg m;
	ssize_t n;

	if (poll(&p, 1, wait_ms) != 1)
		return false;
	n = recv(l->client_fd, buf, sizeof(buf), 0);
	assert_true(n > 0);
	assert_int_equal(stun_msg_parse(&m, buf, (size_t)n), STUN_PARSE_OK);
	assert_int_equal(m.method, TURN_DATA);
	assert_int_equal(m.cls, STUN_INDICATION);
	assert_null(stun_msg_find(&m, STUN_ATTR_DATA));
	assert_int_equal(stun_attr_icmp(stun_msg_find(&m, STUN_ATTR_ICMP), icmp), 0);
	assert_int_equal(stun_attr_xor_addr(&m, stun_msg_find(&m, STUN_ATTR_XOR_PEER_ADDRESS),
					    peer),
			 0);
	return true;
}

static void live_port_unreachable(int family, uint8_t type, uint8_t code)
{
	struct live l;
	struct stun_icmp icmp;
	struct sockaddr_storage peer;

	live_setup(&l, family);
	assert_int_equal(alloc_install_perm(a, &l.closed, 1000), 0);
	live_send(&l, 1);
	icmp_drain(&a->relay[0], 2000);
	assert_true(live_recv(&l, T_WAIT_MS, &icmp, &peer));
	assert_int_equal(icmp.type, type);
	assert_int_equal(icmp.code, code);
	assert_int_equal(icmp.error_data, 0);
	assert_true(addr_equal((struct sockaddr *)&peer, &l.closed.sa));
	assert_int_equal(w.stats.icmp_relayed, 1);
	live_teardown(&l);
}

static void test_port_unreachable_v4_reaches_the_client_as_type_3_code_3(void **state)
{
	(void)state;
	live_port_unreachable(AF_INET, 3, 3);
}

static void test_port_unreachable_v6_reaches_the_client_as_type_1_code_4(void **state)
{
	(void)state;
	live_port_unreachable(AF_INET6, 1, 4);
}

static void test_without_a_live_permission_nothing_is_sent(void **state)
{
	struct live l;
	struct stun_icmp icmp;
	struct sockaddr_storage peer;

	(void)state;
	live_setup(&l, AF_INET);
	assert_int_equal(alloc_install_perm(a, &l.closed, 1000), 0);
	live_send(&l, 1);
	/* the permission (300 s from 1 s) has expired when the error is read */
	icmp_drain(&a->relay[0], 1000 + ALLOC_TEST_PERM_S * 1000);
	assert_false(live_recv(&l, 200, &icmp, &peer));
	assert_int_equal(w.stats.icmp_no_permission, 1);
	assert_int_equal(w.stats.icmp_relayed, 0);
	live_teardown(&l);
}

static void test_a_flood_of_errors_is_rate_limited_and_counted(void **state)
{
	struct live l;
	struct stun_icmp icmp;
	struct sockaddr_storage peer;
	uint64_t seen;
	int got = 0;

	(void)state;
	live_setup(&l, AF_INET);
	assert_int_equal(alloc_install_perm(a, &l.closed, 1000), 0);
	/* the kernel sends a burst of port unreachables before its own limit */
	live_send(&l, 3 * SERVER_ICMP_PER_S);
	for (int i = 0; i < 50; i++) {
		struct pollfd p = {.fd = a->relay[0].fd};

		icmp_drain(&a->relay[0], 2000); /* all within one second */
		seen = w.stats.icmp_relayed + w.stats.icmp_rate_limited;
		if (seen >= 2 * SERVER_ICMP_PER_S || poll(&p, 1, 20) != 1)
			break;
	}
	while (live_recv(&l, 200, &icmp, &peer))
		got++;
	assert_int_equal(got, SERVER_ICMP_PER_S);
	assert_int_equal(w.stats.icmp_relayed, SERVER_ICMP_PER_S);
	assert_true(w.stats.icmp_rate_limited >= SERVER_ICMP_PER_S);
	live_teardown(&l);
}

static void test_a_send_past_an_unread_error_still_reaches_its_peer(void **state)
{
	struct live l;
	union sockaddr_u live_addr;
	struct pollfd p;
	char got[8];
	int live_fd;

	(void)state;
	live_setup(&l, AF_INET);
	live_fd = bound_udp(AF_INET, &live_addr);
	assert_true(live_fd >= 0);
	/* the error of the first datagram is pending on the socket, unread */
	live_send(&l, 1);
	assert_int_equal(icmp_sendto(a->relay[0].fd, "live", 4, &live_addr.sa), 0);
	p = (struct pollfd){.fd = live_fd, .events = POLLIN};
	assert_int_equal(poll(&p, 1, T_WAIT_MS), 1);
	assert_int_equal(recv(live_fd, got, sizeof(got), 0), 4);
	assert_memory_equal(got, "live", 4);
	close(live_fd);
	live_teardown(&l);
}

static int setup(void **state)
{
	return alloc_test_setup(state);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_port_unreachable_v4_parses_with_peer_and_offender),
	    cmocka_unit_test(test_mtu_is_error_data_only_for_too_big),
	    cmocka_unit_test(test_only_the_types_rfc_8656_names_are_relayed),
	    cmocka_unit_test(test_odd_control_data_is_refused_within_its_bounds),
	    cmocka_unit_test(test_offender_that_does_not_fit_is_left_out),
	    cmocka_unit_test_setup_teardown(test_rate_is_per_second_per_allocation, setup,
					    alloc_test_teardown),
	    cmocka_unit_test_setup_teardown(
		test_port_unreachable_v4_reaches_the_client_as_type_3_code_3, setup,
		alloc_test_teardown),
	    cmocka_unit_test_setup_teardown(
		test_port_unreachable_v6_reaches_the_client_as_type_1_code_4, setup,
		alloc_test_teardown),
	    cmocka_unit_test_setup_teardown(test_without_a_live_permission_nothing_is_sent, setup,
					    alloc_test_teardown),
	    cmocka_unit_test_setup_teardown(test_a_flood_of_errors_is_rate_limited_and_counted,
					    setup, alloc_test_teardown),
	    cmocka_unit_test_setup_teardown(test_a_send_past_an_unread_error_still_reaches_its_peer,
					    setup, alloc_test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
