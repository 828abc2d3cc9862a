/*
 * bad_input - feeds the turnrelay netlink family requests it must refuse
 * (hand-built with libmnl, bypassing the library's own checks): missing,
 * oversized and wrongly typed attributes, an unknown command, addresses of
 * the wrong family, and ADD/DUMP/FLUSH from a process without
 * CAP_NET_ADMIN. Each must fail with an error (no oops: the host scans the
 * console, guest/test.sh scans dmesg), and the module must still answer
 * HELLO afterwards. Needs the guest topology (10.0.0.1 on this host).
 */
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <sys/wait.h>

#include "guest.h"
#include "offload/relay_offload.h"

static struct mnl_socket *nl;
static uint16_t family;
static uint32_t seq = 1000;
static uint8_t buf[8192];

static void raw_open(void)
{
	uint32_t group;
	int one = 1, len;
	ssize_t n;

	nl = mnl_socket_open(NETLINK_GENERIC);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		guest_die("netlink: %s", strerror(errno));
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	len = relay_msg_getfamily(buf, sizeof(buf), ++seq);
	if (mnl_socket_sendto(nl, buf, (size_t)len) < 0)
		guest_die("send: %s", strerror(errno));
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n <= 0 || relay_msg_parse_family(buf, (size_t)n, &family, &group) < 0)
		guest_die("no turnrelay family");
	/* the ack */
	mnl_socket_recvfrom(nl, buf, sizeof(buf));
}

static struct nlmsghdr *req_start(uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TURNRELAY_GENL_VERSION;
	return nlh;
}

/* Sends the request, returns the kernel's error (0 for an ack); text in msg. */
static int req_send(struct nlmsghdr *nlh, char *msg, size_t msg_len)
{
	uint32_t want = nlh->nlmsg_seq;
	ssize_t n;
	int err;

	msg[0] = '\0';
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		const struct nlmsghdr *r = (const struct nlmsghdr *)buf;

		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		for (; mnl_nlmsg_ok(r, (int)n); r = mnl_nlmsg_next(r, (int *)&n)) {
			if (r->nlmsg_seq != want)
				continue;
			if (r->nlmsg_type == NLMSG_ERROR) {
				if (relay_msg_parse_error((const uint8_t *)r, r->nlmsg_len, &err,
							  msg, msg_len) < 0)
					return -EBADMSG;
				return err;
			}
			if (r->nlmsg_type == NLMSG_DONE)
				return 0;
		}
	}
}

static void put_sin(struct nlmsghdr *nlh, uint16_t type, const char *s)
{
	struct sockaddr_storage ss;

	guest_addr(s, &ss);
	mnl_attr_put(nlh, type, addr_len((struct sockaddr *)&ss), &ss);
}

/* A leg nest with the given addresses; NULL leaves one out. */
static void put_leg(struct nlmsghdr *nlh, uint16_t type, const char *local, const char *remote)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	if (local)
		put_sin(nlh, TURNRELAY_LEG_A_LOCAL, local);
	if (remote)
		put_sin(nlh, TURNRELAY_LEG_A_REMOTE, remote);
	mnl_attr_nest_end(nlh, n);
}

/* An ADD whose entry nest the caller completes; returns the nest to end. */
static struct nlattr *add_start(struct nlmsghdr **nlh, uint64_t id)
{
	struct nlattr *e;

	*nlh = req_start(TURNRELAY_CMD_ADD);
	e = mnl_attr_nest_start(*nlh, TURNRELAY_A_ENTRY);
	mnl_attr_put_u64(*nlh, TURNRELAY_ENTRY_A_ID, id);
	return e;
}

static void expect_refused(const char *name, struct nlmsghdr *nlh)
{
	char msg[256];
	int err = req_send(nlh, msg, sizeof(msg));

	printf("  %s: %d (%s)%s%s\n", name, err, err < 0 ? strerror(-err) : "accepted",
	       msg[0] ? " kernel: " : "", msg);
	guest_check(name, err < 0, "accepted");
}

/* LEG1 of an entry from 10.0.0.1:3000 to 10.0.0.2:3000, left open for another attribute. */
static struct nlattr *leg1_open(struct nlmsghdr *nlh)
{
	struct nlattr *leg = mnl_attr_nest_start(nlh, TURNRELAY_ENTRY_A_LEG1);

	put_sin(nlh, TURNRELAY_LEG_A_LOCAL, "10.0.0.1:3000");
	put_sin(nlh, TURNRELAY_LEG_A_REMOTE, "10.0.0.2:3000");
	return leg;
}

/* Ends the ADD's entry e after a good LEG2 (10.0.0.1:3002 to 10.0.0.3:3002): refused as name. */
static void add_end_refused(const char *name, struct nlmsghdr *nlh, struct nlattr *e)
{
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG2, "10.0.0.1:3002", "10.0.0.3:3002");
	mnl_attr_nest_end(nlh, e);
	expect_refused(name, nlh);
}

static void check_missing(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *e;

	nlh = req_start(TURNRELAY_CMD_ADD);
	expect_refused("bad-missing-attribute-refused", nlh); /* no entry at all */
	e = add_start(&nlh, 100);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG1, "10.0.0.1:3000", "10.0.0.2:3000");
	mnl_attr_nest_end(nlh, e);
	expect_refused("bad-missing-attribute-refused", nlh); /* no LEG2 */
	e = add_start(&nlh, 101);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG1, "10.0.0.1:3000", NULL);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG2, "10.0.0.1:3002", "10.0.0.3:3002");
	mnl_attr_nest_end(nlh, e);
	expect_refused("bad-missing-attribute-refused", nlh); /* no REMOTE */
	nlh = req_start(TURNRELAY_CMD_DEL);
	expect_refused("bad-missing-attribute-refused", nlh); /* DEL without id */
}

static void check_oversized(void)
{
	static uint8_t big[4000];
	struct nlmsghdr *nlh;
	struct nlattr *e, *leg;

	memset(big, 0, sizeof(big));
	big[0] = AF_INET;
	e = add_start(&nlh, 102);
	leg = mnl_attr_nest_start(nlh, TURNRELAY_ENTRY_A_LEG1);
	mnl_attr_put(nlh, TURNRELAY_LEG_A_LOCAL, sizeof(big), big);
	put_sin(nlh, TURNRELAY_LEG_A_REMOTE, "10.0.0.2:3000");
	mnl_attr_nest_end(nlh, leg);
	add_end_refused("bad-oversized-attribute-refused", nlh, e);
	/* an id of 16 bytes */
	nlh = req_start(TURNRELAY_CMD_DEL);
	mnl_attr_put(nlh, TURNRELAY_A_ID, 16, big + 1);
	expect_refused("bad-oversized-attribute-refused", nlh);
	/* a nest whose length runs past the message */
	e = add_start(&nlh, 103);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG1, "10.0.0.1:3000", "10.0.0.2:3000");
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG2, "10.0.0.1:3002", "10.0.0.3:3002");
	mnl_attr_nest_end(nlh, e);
	e->nla_len += 64;
	expect_refused("bad-oversized-attribute-refused", nlh);
}

static void check_wrong_type(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *e, *leg;

	/* the id as a u32 */
	nlh = req_start(TURNRELAY_CMD_DEL);
	mnl_attr_put_u32(nlh, TURNRELAY_A_ID, 7);
	expect_refused("bad-wrong-type-attribute-refused", nlh);
	/* the channel as a u32 */
	e = add_start(&nlh, 104);
	leg = leg1_open(nlh);
	mnl_attr_put_u32(nlh, TURNRELAY_LEG_A_CHANNEL, 0x4001);
	mnl_attr_nest_end(nlh, leg);
	add_end_refused("bad-wrong-type-attribute-refused", nlh, e);
	/* LEG1 as a flat blob, not a nest */
	nlh = req_start(TURNRELAY_CMD_ADD);
	e = mnl_attr_nest_start(nlh, TURNRELAY_A_ENTRY);
	mnl_attr_put_u64(nlh, TURNRELAY_ENTRY_A_ID, 105);
	mnl_attr_put_u32(nlh, TURNRELAY_ENTRY_A_LEG1, 0);
	add_end_refused("bad-wrong-type-attribute-refused", nlh, e);
	/* a dump-only attribute (counters) in a request */
	e = add_start(&nlh, 106);
	leg = leg1_open(nlh);
	mnl_attr_put_u64(nlh, TURNRELAY_LEG_A_PACKETS, 5);
	mnl_attr_nest_end(nlh, leg);
	add_end_refused("bad-wrong-type-attribute-refused", nlh, e);
	/* the id 0 */
	e = add_start(&nlh, 0);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG1, "10.0.0.1:3000", "10.0.0.2:3000");
	add_end_refused("bad-wrong-type-attribute-refused", nlh, e);
}

static void check_unknown_command(void)
{
	expect_refused("bad-unknown-command-refused", req_start(99));
	expect_refused("bad-unknown-command-refused", req_start(TURNRELAY_CMD_EVENT_IDLE));
	expect_refused("bad-unknown-command-refused", req_start(0));
}

static void check_address_family(void)
{
	struct sockaddr_in in;
	struct nlmsghdr *nlh;
	struct nlattr *e, *leg;

	/* a leg mixing IPv4 and IPv6 */
	e = add_start(&nlh, 107);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG1, "10.0.0.1:3000", "[fd00::2]:3000");
	add_end_refused("bad-address-family-refused", nlh, e);
	/* AF_UNIX in a sockaddr_in-sized attribute */
	memset(&in, 0, sizeof(in));
	in.sin_family = AF_UNIX;
	in.sin_port = htons(3000);
	e = add_start(&nlh, 108);
	leg = mnl_attr_nest_start(nlh, TURNRELAY_ENTRY_A_LEG1);
	mnl_attr_put(nlh, TURNRELAY_LEG_A_LOCAL, sizeof(in), &in);
	put_sin(nlh, TURNRELAY_LEG_A_REMOTE, "10.0.0.2:3000");
	mnl_attr_nest_end(nlh, leg);
	add_end_refused("bad-address-family-refused", nlh, e);
	/* an IPv4-mapped IPv6 address */
	e = add_start(&nlh, 109);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG1, "[::ffff:10.0.0.1]:3000", "[::ffff:10.0.0.2]:3000");
	add_end_refused("bad-address-family-refused", nlh, e);
	/* a LOCAL that is not an address of this host */
	e = add_start(&nlh, 110);
	put_leg(nlh, TURNRELAY_ENTRY_A_LEG1, "10.0.0.99:3000", "10.0.0.2:3000");
	add_end_refused("bad-foreign-local-address-refused", nlh, e);
}

/* In a child that gave up root (uid 65534: no capabilities), changes are refused. */
static void check_no_cap(void)
{
	pid_t pid;
	int st;

	pid = fork();
	if (pid == 0) {
		struct relay_entry e;
		struct relay_offload *ro;
		char err[RELAY_OFFLOAD_ERRLEN];
		int r_add, r_flush, r_del;

		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(3);
		if (relay_offload_open(&ro, err, sizeof(err)) < 0) {
			printf("  | HELLO as nobody: %s\n", err);
			_exit(2);
		}
		memset(&e, 0, sizeof(e));
		e.id = 111;
		guest_addr("10.0.0.1:3000", &e.leg[0].local);
		guest_addr("10.0.0.2:3000", &e.leg[0].remote);
		guest_addr("10.0.0.1:3002", &e.leg[1].local);
		guest_addr("10.0.0.3:3002", &e.leg[1].remote);
		r_add = relay_offload_add(ro, &e);
		printf("  ADD as nobody: %d (%s)\n", r_add, relay_offload_error(ro));
		r_flush = relay_offload_flush(ro, true);
		r_del = relay_offload_del(ro, 1);
		relay_offload_close(ro);
		_exit(r_add == -EPERM && r_flush == -EPERM && r_del == -EPERM ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		guest_die("fork: %s", strerror(errno));
	guest_check("add-without-cap-net-admin-refused", WIFEXITED(st) && WEXITSTATUS(st) == 0,
		    "child status %d", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(void)
{
	struct nlmsghdr *nlh;
	char msg[256];
	int err;

	setvbuf(stdout, NULL, _IOLBF, 0);
	raw_open();
	check_missing();
	check_oversized();
	check_wrong_type();
	check_unknown_command();
	check_address_family();
	check_no_cap();
	nlh = req_start(TURNRELAY_CMD_HELLO);
	err = req_send(nlh, msg, sizeof(msg));
	guest_check("module-answers-after-bad-input", err == 0, "HELLO: %d %s", err, msg);
	mnl_socket_close(nl);
	return guest_failed;
}
