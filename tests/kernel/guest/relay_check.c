/*
 * relay_check - the traffic and control checks of the turnrelay guest test.
 *
 * Topology (guest/test.sh builds it): this host's root network namespace
 * is the server, 10.0.0.1 and fd00::1 on veth0; namespace "out" holds the
 * clients, peers and anchored sides, 10.0.0.2, 10.0.0.3, fd00::2, fd00::3
 * on veth1. The program holds sockets in both namespaces (setns), installs
 * entries of every kind through the offload library, sends real datagrams
 * and checks what arrives where: payloads intact with the ChannelData
 * header stripped or added, counters grown, the server's bound sockets
 * empty for forwarded traffic and fed with everything the module must leave
 * alone. Then DEL, socket close, FLUSH, events, bad netlink input and a
 * caller without CAP_NET_ADMIN. One PASS/FAIL line per check.
 */
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <signal.h>
#include <sys/wait.h>

#include "guest.h"
#include "offload/relay_offload.h"

#define WAIT_MS 1000
#define QUIET_MS 200

static struct relay_offload *ro;

/* The server's sockets (root ns) and the outside ones (ns "out"). */
static int s_listen, s_relay, s_anchor_a, s_anchor_b, s_anchor_c, s_listen6, s_relay6;
static int o_client, o_peer, o_client_other, o_side_a, o_side_b, o_client2, o_side_c;
static int o_client6, o_peer6, o_peer_other;

static void sockets_open(void)
{
	/* in order: the namespace is entered when it changes */
	static const struct {
		const char *ns;
		int *fd;
		const char *addr;
	} binds[] = {
	    {"root", &s_listen, "10.0.0.1:3478"},	{"root", &s_relay, "10.0.0.1:50000"},
	    {"root", &s_anchor_a, "10.0.0.1:52000"},	{"root", &s_anchor_b, "10.0.0.1:52002"},
	    {"root", &s_anchor_c, "10.0.0.1:52004"},	{"root", &s_listen6, "[fd00::1]:3478"},
	    {"root", &s_relay6, "[fd00::1]:50000"},	{"out", &o_client, "10.0.0.2:40000"},
	    {"out", &o_client_other, "10.0.0.2:40009"}, {"out", &o_client2, "10.0.0.2:40100"},
	    {"out", &o_peer, "10.0.0.3:40001"},		{"out", &o_peer_other, "10.0.0.2:40001"},
	    {"out", &o_side_a, "10.0.0.2:41000"},	{"out", &o_side_b, "10.0.0.3:41002"},
	    {"out", &o_side_c, "10.0.0.3:41004"},	{"out", &o_client6, "[fd00::2]:40000"},
	    {"out", &o_peer6, "[fd00::3]:40001"},
	};
	const char *ns = "";

	for (size_t i = 0; i < sizeof(binds) / sizeof(binds[0]); i++) {
		if (strcmp(ns, binds[i].ns) != 0)
			guest_netns_enter(binds[i].ns);
		ns = binds[i].ns;
		*binds[i].fd = guest_udp_bind(binds[i].addr);
	}
	guest_netns_enter("root");
}

static struct sockaddr_storage sa(const char *s)
{
	struct sockaddr_storage ss;

	guest_addr(s, &ss);
	return ss;
}

static struct relay_entry entry_make(uint64_t id, const char *l1, const char *r1, uint16_t ch,
				     const char *l2, const char *r2)
{
	struct relay_entry e;

	memset(&e, 0, sizeof(e));
	e.id = id;
	e.leg[0].local = sa(l1);
	e.leg[0].remote = sa(r1);
	e.leg[0].channel = ch;
	e.leg[1].local = sa(l2);
	e.leg[1].remote = sa(r2);
	return e;
}

static int entry_add(const struct relay_entry *e)
{
	int ret = relay_offload_add(ro, e);

	if (ret < 0)
		printf("  | ADD %llu: %s\n", (unsigned long long)e->id, relay_offload_error(ro));
	return ret;
}

struct find_ctx {
	uint64_t id;
	struct relay_entry e;
	int found;
	int count;
};

static int find_cb(const struct relay_entry *e, void *arg)
{
	struct find_ctx *f = arg;

	f->count++;
	if (e->id == f->id) {
		f->e = *e;
		f->found = 1;
	}
	return 0;
}

/* The entry as dumped now; false when it is not there. */
static bool entry_get(uint64_t id, struct relay_entry *out, int *count)
{
	struct find_ctx f = {.id = id};

	if (relay_offload_dump(ro, find_cb, &f) < 0) {
		printf("  | DUMP: %s\n", relay_offload_error(ro));
		return false;
	}
	if (count)
		*count = f.count;
	if (f.found && out)
		*out = f.e;
	return f.found;
}

static size_t cd_make(uint8_t *buf, uint16_t ch, const char *payload, size_t len)
{
	buf[0] = (uint8_t)(ch >> 8);
	buf[1] = (uint8_t)ch;
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	memcpy(buf + 4, payload, len);
	return len + 4;
}

/*
 * Receives one datagram on fd and compares it with want (and its source
 * with from when given); the reason of a mismatch in why.
 */
static bool expect_rx(int fd, const void *want, size_t want_len, const char *from, char *why,
		      size_t why_len)
{
	struct sockaddr_storage src, exp;
	uint8_t buf[2048];
	char s[ADDR_STRLEN];
	ssize_t n = guest_recv(fd, buf, sizeof(buf), WAIT_MS, &src);

	if (n < 0) {
		snprintf(why, why_len, "nothing arrived");
		return false;
	}
	if ((size_t)n != want_len || memcmp(buf, want, want_len) != 0) {
		snprintf(why, why_len, "got %zd bytes (first %02x), want %zu", n,
			 n > 0 ? buf[0] : 0, want_len);
		return false;
	}
	if (from) {
		exp = sa(from);
		if (!addr_equal((struct sockaddr *)&src, (struct sockaddr *)&exp)) {
			snprintf(why, why_len, "from %s, want %s",
				 addr_str((struct sockaddr *)&src, s, sizeof(s)), from);
			return false;
		}
	}
	return true;
}

/* A TURN channel through the server: the client's and the peer's sockets, the
 * listening and relayed addresses they send to, the channel number. */
struct chan_path {
	int client, peer;
	const char *listen, *relay;
	uint16_t ch;
};

enum chan_dir { TO_PEER, TO_CLIENT };

/*
 * PAYLOAD through the channel: TO_PEER as ChannelData from the client, the
 * bare payload reaching the peer from the relayed address; TO_CLIENT from
 * the peer, reaching the client as ChannelData from the listening address.
 */
static bool chan_pass(const struct chan_path *p, enum chan_dir dir, const char *payload, size_t len,
		      char *why, size_t why_len)
{
	uint8_t cd[256];
	size_t n = cd_make(cd, p->ch, payload, len);

	if (dir == TO_PEER) {
		guest_sendto(p->client, cd, n, p->listen);
		return expect_rx(p->peer, payload, len, p->relay, why, why_len);
	}
	guest_sendto(p->peer, payload, len, p->relay);
	return expect_rx(p->client, cd, n, p->listen, why, why_len);
}

/* Adds e: true, or false after failing the check name that needed it. */
static bool entry_added(struct relay_entry *e, const char *name)
{
	if (entry_add(e) >= 0)
		return true;
	guest_check(name, false, "ADD failed");
	return false;
}

static void check_channel_entry(void)
{
	struct relay_entry e = entry_make(1, "10.0.0.1:3478", "10.0.0.2:40000", 0x4001,
					  "10.0.0.1:50000", "10.0.0.3:40001");
	const struct chan_path p = {o_client, o_peer, "10.0.0.1:3478", "10.0.0.1:50000", 0x4001};
	uint8_t pkt[256];
	char why[128] = "";
	bool ok = true;
	struct relay_entry d;
	int i, n;

	if (!entry_added(&e, "chan-to-peer-payload-stripped"))
		return;
	/* client -> peer: header stripped, from the relay address; padding dropped */
	for (i = 0; i < 5 && ok; i++)
		ok = chan_pass(&p, TO_PEER, "hello, peer!", 5 + (size_t)i, why, sizeof(why));
	if (ok) {
		n = (int)cd_make(pkt, 0x4001, "abcde\0\0\0", 5);
		guest_sendto(o_client, pkt, (size_t)n + 3, "10.0.0.1:3478");
		ok = expect_rx(o_peer, "abcde", 5, "10.0.0.1:50000", why, sizeof(why));
	}
	guest_check("chan-to-peer-payload-stripped", ok, "%s", why);
	/* peer -> client: header prepended, from the listening address */
	for (i = 0, ok = true; i < 5 && ok; i++)
		ok = chan_pass(&p, TO_CLIENT, "world, client", 6 + (size_t)i, why, sizeof(why));
	guest_check("peer-to-chan-header-prepended", ok, "%s", why);
	ok = entry_get(1, &d, NULL);
	guest_check("chan-to-peer-counted",
		    ok && d.leg[0].packets == 6 && d.leg[0].bytes > 0 && d.leg[0].last_seen_ns > 0,
		    "leg1 packets %llu bytes %llu", (unsigned long long)d.leg[0].packets,
		    (unsigned long long)d.leg[0].bytes);
	guest_check("peer-to-chan-counted", ok && d.leg[1].packets == 5, "leg2 packets %llu",
		    (unsigned long long)d.leg[1].packets);
	n = guest_drain(s_listen, QUIET_MS);
	guest_check("chan-to-peer-userspace-received-nothing", n == 0, "listening socket got %d",
		    n);
	n = guest_drain(s_relay, QUIET_MS);
	guest_check("peer-to-chan-userspace-received-nothing", n == 0, "relay socket got %d", n);
}

/* A datagram the module must leave alone: it reaches fd, and nothing reaches other. */
static void check_left_alone(const char *name, int from_fd, const void *pkt, size_t len,
			     const char *to, int fd, int other)
{
	char why[128] = "";
	bool ok;
	int n;

	guest_sendto(from_fd, pkt, len, to);
	ok = expect_rx(fd, pkt, len, NULL, why, sizeof(why));
	n = guest_drain(other, QUIET_MS);
	if (ok && n)
		snprintf(why, sizeof(why), "also forwarded (%d)", n);
	guest_check(name, ok && n == 0, "%s", why);
}

static void check_left_to_userspace(void)
{
	static const uint8_t stun[20] = {0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, 1,  2,
					 3,    4,    5,	   6,	 7,    8,    9,	   10,	 11, 12};
	static const uint8_t dtls[16] = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3};
	uint8_t pkt[64];
	size_t n;

	n = cd_make(pkt, 0x4001, "xyz", 3);
	check_left_alone("other-source-to-userspace", o_client_other, pkt, n, "10.0.0.1:3478",
			 s_listen, o_peer);
	check_left_alone("other-source-to-userspace", o_peer_other, "data", 4, "10.0.0.1:50000",
			 s_relay, o_client);
	check_left_alone("stun-to-userspace", o_client, stun, sizeof(stun), "10.0.0.1:3478",
			 s_listen, o_peer);
	check_left_alone("stun-to-userspace", o_peer, stun, sizeof(stun), "10.0.0.1:50000", s_relay,
			 o_client);
	check_left_alone("dtls-to-userspace", o_peer, dtls, sizeof(dtls), "10.0.0.1:50000", s_relay,
			 o_client);
	check_left_alone("dtls-to-userspace", o_client, dtls, sizeof(dtls), "10.0.0.1:3478",
			 s_listen, o_peer);
	n = cd_make(pkt, 0x4002, "xyz", 3);
	check_left_alone("other-channel-to-userspace", o_client, pkt, n, "10.0.0.1:3478", s_listen,
			 o_peer);
	check_left_alone("short-channeldata-to-userspace", o_client, "\x40\x01\x00", 3,
			 "10.0.0.1:3478", s_listen, o_peer);
	n = cd_make(pkt, 0x4001, "0123456789", 10);
	pkt[3] = 100; /* length past the datagram */
	check_left_alone("bad-length-channeldata-to-userspace", o_client, pkt, n, "10.0.0.1:3478",
			 s_listen, o_peer);
}

/* name: nothing reached the server's sockets a and b (the module forwarded it all). */
static void check_userspace_quiet(const char *name, int a, int b)
{
	int n = guest_drain(a, QUIET_MS) + guest_drain(b, QUIET_MS);

	guest_check(name, n == 0, "server sockets got %d", n);
}

static void check_udp_entry(void)
{
	struct relay_entry e = entry_make(2, "10.0.0.1:52000", "10.0.0.2:41000", 0,
					  "10.0.0.1:52002", "10.0.0.3:41002");
	static const uint8_t rtp[12] = {0x80, 0x00, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef};
	char why[128] = "";
	struct relay_entry d;
	bool ok = true;
	int i;

	if (!entry_added(&e, "udp-leg-payload-unchanged"))
		return;
	for (i = 0; i < 4 && ok; i++) {
		guest_sendto(o_side_a, rtp, sizeof(rtp), "10.0.0.1:52000");
		ok = expect_rx(o_side_b, rtp, sizeof(rtp), "10.0.0.1:52002", why, sizeof(why));
		if (ok) {
			guest_sendto(o_side_b, "back", 4, "10.0.0.1:52002");
			ok = expect_rx(o_side_a, "back", 4, "10.0.0.1:52000", why, sizeof(why));
		}
	}
	guest_check("udp-leg-payload-unchanged", ok, "%s", why);
	ok = entry_get(2, &d, NULL);
	guest_check("udp-leg-counted",
		    ok && d.leg[0].packets == 4 && d.leg[1].packets == 4 &&
			d.leg[0].bytes == 4 * sizeof(rtp) && d.leg[1].bytes == 16,
		    "packets %llu/%llu bytes %llu/%llu", (unsigned long long)d.leg[0].packets,
		    (unsigned long long)d.leg[1].packets, (unsigned long long)d.leg[0].bytes,
		    (unsigned long long)d.leg[1].bytes);
	check_userspace_quiet("udp-leg-userspace-received-nothing", s_anchor_a, s_anchor_b);
}

static void check_joined_entry(void)
{
	struct relay_entry e = entry_make(3, "10.0.0.1:3478", "10.0.0.2:40100", 0x4005,
					  "10.0.0.1:52004", "10.0.0.3:41004");
	const struct chan_path p = {o_client2, o_side_c, "10.0.0.1:3478", "10.0.0.1:52004", 0x4005};
	char why[128] = "";
	struct relay_entry d;
	bool ok;

	if (!entry_added(&e, "joined-client-to-leg"))
		return;
	ok = chan_pass(&p, TO_PEER, "to the anchor", 13, why, sizeof(why));
	guest_check("joined-client-to-leg", ok, "%s", why);
	ok = chan_pass(&p, TO_CLIENT, "from the anchor", 15, why, sizeof(why));
	guest_check("joined-leg-to-client", ok, "%s", why);
	ok = entry_get(3, &d, NULL);
	guest_check("joined-counted", ok && d.leg[0].packets == 1 && d.leg[1].packets == 1,
		    "packets %llu/%llu", (unsigned long long)d.leg[0].packets,
		    (unsigned long long)d.leg[1].packets);
	check_userspace_quiet("joined-userspace-received-nothing", s_listen, s_anchor_c);
}

static void check_ipv6_entry(void)
{
	struct relay_entry e = entry_make(4, "[fd00::1]:3478", "[fd00::2]:40000", 0x4001,
					  "[fd00::1]:50000", "[fd00::3]:40001");
	const struct chan_path p = {o_client6, o_peer6, "[fd00::1]:3478", "[fd00::1]:50000",
				    0x4001};
	char why[128] = "";
	bool ok;

	if (!entry_added(&e, "ipv6-chan-to-peer"))
		return;
	ok = chan_pass(&p, TO_PEER, "six", 3, why, sizeof(why));
	ok = ok && guest_drain(s_listen6, QUIET_MS) == 0;
	guest_check("ipv6-chan-to-peer", ok, "%s", why);
	ok = chan_pass(&p, TO_CLIENT, "back6", 5, why, sizeof(why));
	ok = ok && guest_drain(s_relay6, QUIET_MS) == 0;
	guest_check("ipv6-peer-to-chan", ok, "%s", why);
}

static void check_del(void)
{
	char why[128] = "";
	bool ok;
	int ret, n;

	ret = relay_offload_del(ro, 2);
	ok = ret == 0 && !entry_get(2, NULL, NULL);
	if (ok) {
		guest_sendto(o_side_a, "after del", 9, "10.0.0.1:52000");
		ok = expect_rx(s_anchor_a, "after del", 9, "10.0.0.2:41000", why, sizeof(why));
		n = guest_drain(o_side_b, QUIET_MS);
		ok = ok && n == 0;
	} else {
		snprintf(why, sizeof(why), "DEL: %s", relay_offload_error(ro));
	}
	guest_check("del-stops-forwarding", ok, "%s", why);
	ret = relay_offload_del(ro, 2);
	guest_check("del-of-missing-entry-refused", ret == -ENOENT, "DEL again: %d", ret);
}

/*
 * An anchor leg whose other side does not multiplex RTCP (RFC 5761):
 * TURNRELAY_LEG_F_PASS_RTCP on the first leg keeps its RTCP (version 2,
 * second byte 192-223) for userspace and forwards its RTP; the second leg,
 * without the flag, forwards RTCP too. Then DEL with
 * TURNRELAY_DEL_F_COUNTERS returns what the entry forwarded, and it is gone.
 */
static void check_rtcp_pass_and_del_counters(void)
{
	struct relay_entry e = entry_make(6, "10.0.0.1:52000", "10.0.0.2:41000", 0,
					  "10.0.0.1:52002", "10.0.0.3:41002");
	static const uint8_t rtp[12] = {0x80, 0x60, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef};
	static const uint8_t rtcp[8] = {0x80, 200, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef};
	struct relay_info info;
	struct relay_entry last;
	char why[128] = "";
	bool ok;
	int ret, n;

	guest_check("hello-reports-pass-rtcp-and-del-counters",
		    (relay_offload_info(ro)->features & TURNRELAY_FEATURE_PASS_RTCP) &&
			(relay_offload_info(ro)->features & TURNRELAY_FEATURE_DEL_COUNTERS),
		    "features 0x%llx", (unsigned long long)relay_offload_info(ro)->features);
	e.leg[0].flags = TURNRELAY_LEG_F_PASS_RTCP;
	if (!entry_added(&e, "rtcp-pass-rtp-forwarded"))
		return;
	guest_sendto(o_side_a, rtp, sizeof(rtp), "10.0.0.1:52000");
	ok = expect_rx(o_side_b, rtp, sizeof(rtp), "10.0.0.1:52002", why, sizeof(why));
	guest_check("rtcp-pass-rtp-forwarded", ok, "%s", why);
	guest_sendto(o_side_a, rtcp, sizeof(rtcp), "10.0.0.1:52000");
	ok = expect_rx(s_anchor_a, rtcp, sizeof(rtcp), "10.0.0.2:41000", why, sizeof(why));
	n = guest_drain(o_side_b, QUIET_MS);
	if (ok && n)
		snprintf(why, sizeof(why), "also forwarded (%d)", n);
	guest_check("rtcp-pass-rtcp-to-userspace", ok && n == 0, "%s", why);
	guest_sendto(o_side_b, rtcp, sizeof(rtcp), "10.0.0.1:52002");
	ok = expect_rx(o_side_a, rtcp, sizeof(rtcp), "10.0.0.1:52000", why, sizeof(why));
	guest_check("rtcp-pass-other-leg-forwards-rtcp", ok, "%s", why);
	ret = relay_offload_hello(ro, &info);
	guest_check("rtcp-pass-counted", ret == 0 && info.stats.pass_rtcp >= 1, "HELLO %d, pass_rtcp %llu",
		    ret, (unsigned long long)info.stats.pass_rtcp);

	ret = relay_offload_del_counters(ro, 6, &last);
	ok = ret == 0 && last.id == 6 && last.leg[0].packets == 1 &&
	     last.leg[0].bytes == sizeof(rtp) && last.leg[1].packets == 1 &&
	     last.leg[1].bytes == sizeof(rtcp) && !entry_get(6, NULL, NULL);
	guest_check("del-returns-last-counters", ok, "DEL %d (%s), id %llu, packets %llu/%llu bytes %llu/%llu",
		    ret, relay_offload_error(ro), (unsigned long long)last.id,
		    (unsigned long long)last.leg[0].packets, (unsigned long long)last.leg[1].packets,
		    (unsigned long long)last.leg[0].bytes, (unsigned long long)last.leg[1].bytes);
	ret = relay_offload_del_counters(ro, 6, &last);
	guest_check("del-counters-of-missing-entry-refused", ret == -ENOENT, "DEL again: %d", ret);
}

/* A second control socket in a child adds an entry and exits: the entry must go. */
static void check_socket_close(void)
{
	int to_parent[2], to_child[2];
	char why[128] = "", c = 0;
	bool ok, present;
	pid_t pid;
	int st;

	if (pipe(to_parent) < 0 || pipe(to_child) < 0)
		guest_die("pipe: %s", strerror(errno));
	pid = fork();
	if (pid == 0) {
		struct relay_offload *mine;
		struct relay_entry e = entry_make(6, "10.0.0.1:52000", "10.0.0.2:41000", 0,
						  "10.0.0.1:52002", "10.0.0.3:41002");
		char err[RELAY_OFFLOAD_ERRLEN];

		c = relay_offload_open(&mine, err, sizeof(err)) == 0 &&
			    relay_offload_add(mine, &e) == 0
			? 'y'
			: 'n';
		if (write(to_parent[1], &c, 1) != 1 || read(to_child[0], &c, 1) != 1)
			_exit(1);
		_exit(0); /* no close: the kernel cleans up after a dead process */
	}
	if (read(to_parent[0], &c, 1) != 1 || c != 'y') {
		guest_check("socket-close-flushes-entries", false, "child could not add");
		return;
	}
	present = entry_get(6, NULL, NULL);
	guest_sendto(o_side_a, "via child", 9, "10.0.0.1:52000");
	ok = present && expect_rx(o_side_b, "via child", 9, "10.0.0.1:52002", why, sizeof(why));
	if (write(to_child[1], "x", 1) != 1 || waitpid(pid, &st, 0) < 0)
		guest_die("child: %s", strerror(errno));
	usleep(100000);
	ok = ok && !entry_get(6, NULL, NULL);
	if (ok) {
		guest_sendto(o_side_a, "after exit", 10, "10.0.0.1:52000");
		ok = expect_rx(s_anchor_a, "after exit", 10, NULL, why, sizeof(why)) &&
		     guest_drain(o_side_b, QUIET_MS) == 0;
	}
	guest_check("socket-close-flushes-entries", ok, "present while open %d; %s", present, why);
	close(to_parent[0]);
	close(to_parent[1]);
	close(to_child[0]);
	close(to_child[1]);
}

struct ev_ctx {
	int idle;
	int source;
	uint64_t idle_id;
	uint64_t source_id;
};

static void ev_cb(const struct relay_event *ev, void *arg)
{
	struct ev_ctx *c = arg;

	if (ev->cmd == TURNRELAY_CMD_EVENT_IDLE) {
		c->idle++;
		c->idle_id = ev->id;
	} else {
		c->source++;
		c->source_id = ev->id;
	}
}

static void check_events(void)
{
	struct relay_entry e = entry_make(5, "10.0.0.1:52000", "10.0.0.2:41000", 0,
					  "10.0.0.1:52002", "10.0.0.3:41002");
	struct ev_ctx c = {0};
	struct pollfd p;
	char why[128] = "";
	double end;
	bool ok;

	e.idle_timeout_ms = 300;
	e.leg[0].flags = TURNRELAY_LEG_F_SOURCE_EVENTS;
	if (relay_offload_subscribe(ro) < 0 || entry_add(&e) < 0) {
		guest_check("events-delivered", false, "%s", relay_offload_error(ro));
		return;
	}
	guest_sendto(o_side_a, "tick", 4, "10.0.0.1:52000");
	ok = expect_rx(o_side_b, "tick", 4, NULL, why, sizeof(why));
	/* a datagram from elsewhere to leg1's local address: a source event */
	guest_sendto(o_client, "moved", 5, "10.0.0.1:52000");
	guest_drain(s_anchor_a, QUIET_MS);
	p.fd = relay_offload_event_fd(ro);
	p.events = POLLIN;
	end = guest_now_s() + 4;
	while ((c.idle == 0 || c.source == 0) && guest_now_s() < end) {
		if (poll(&p, 1, 200) > 0)
			relay_offload_recv_events(ro, false, ev_cb, &c);
	}
	guest_check("events-delivered",
		    ok && c.idle > 0 && c.idle_id == 5 && c.source > 0 && c.source_id == 5,
		    "idle %d (id %llu) source %d (id %llu) %s", c.idle,
		    (unsigned long long)c.idle_id, c.source, (unsigned long long)c.source_id, why);
	relay_offload_del(ro, 5);
}

static void check_flush(void)
{
	int count = -1;
	int ret = relay_offload_flush(ro, true);

	entry_get(0, NULL, &count);
	guest_check("flush-removes-all", ret == 0 && count == 0, "FLUSH %d, %d entries left", ret,
		    count);
}

int main(void)
{
	char err[RELAY_OFFLOAD_ERRLEN];
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = relay_offload_open(&ro, err, sizeof(err));
	if (!guest_check("hello-reports-abi-version",
			 ret == 0 && relay_offload_info(ro)->abi_version == TURNRELAY_ABI_VERSION,
			 "open: %s", err))
		return 1;
	sockets_open();
	check_channel_entry();
	check_left_to_userspace();
	check_udp_entry();
	check_joined_entry();
	check_ipv6_entry();
	check_del();
	check_rtcp_pass_and_del_counters();
	check_socket_close();
	check_events();
	check_flush();
	relay_offload_close(ro);
	return guest_failed;
}
