/*
 * test_offload.c - the turnrelay netlink messages (src/offload/msg.c): the
 * exact bytes of every request, and the parsing of hand-built replies,
 * events and errors, including truncated and malformed ones, which are
 * refused without reading past the buffer (each parse gets a heap copy of
 * exactly len bytes, so ASan catches an overread). Byte layouts are those
 * of a little-endian host, where netlink's host-order fields are LE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <stdlib.h>
#include <string.h>

#include "common/addr.h"
#include "offload/relay_offload.h"

#define FAM 0x1a /* a made-up family id */
#define SEQ 0x01020304

static struct sockaddr_storage sa(const char *s)
{
	struct sockaddr_storage ss;

	if (addr_parse(s, 0, &ss, NULL) < 0)
		fail_msg("\"%s\" does not parse", s);
	return ss;
}

/* A TURN channel entry: client 10.0.0.2:40000 on 10.0.0.1:3478, ch 0x4001, relay :50000 to peer. */
static struct relay_entry channel_entry(void)
{
	struct relay_entry e;

	memset(&e, 0, sizeof(e));
	e.id = 0x1122334455667788ULL;
	e.leg[0].local = sa("10.0.0.1:3478");
	e.leg[0].remote = sa("10.0.0.2:40000");
	e.leg[0].channel = 0x4001;
	e.leg[1].local = sa("10.0.0.1:50000");
	e.leg[1].remote = sa("10.0.0.3:40001");
	return e;
}

/* Parse helpers: a heap copy of exactly len bytes. */
static uint8_t *copy(const void *buf, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	assert_non_null(p);
	memcpy(p, buf, len);
	return p;
}

/* parse_NAME(buf, len, out): relay_msg_parse_NAME given a heap copy of exactly len bytes. */
#define PARSE_COPY(name, type)                                                                     \
	static int parse_##name(const void *buf, size_t len, type *out)                            \
	{                                                                                          \
		uint8_t *p = copy(buf, len);                                                       \
		int ret = relay_msg_parse_##name(p, len, out);                                     \
                                                                                                   \
		free(p);                                                                           \
		return ret;                                                                        \
	}
PARSE_COPY(entry, struct relay_entry)
PARSE_COPY(event, struct relay_event)
PARSE_COPY(hello, struct relay_info)

/* ---- requests: exact bytes ---- */

/* A request's nlmsghdr (LEN bytes, TYPE, FLAGS, seq SEQ, pid 0) and genl header. */
#define NLHDR(len, type, flags)                                                                    \
	(len), 0, 0, 0, (type), 0, (flags)&0xff, (flags) >> 8, 0x04, 0x03, 0x02, 0x01, 0, 0, 0, 0
#define GENLHDR(cmd) (cmd), TURNRELAY_GENL_VERSION, 0, 0
/* REQUEST|ACK to the family */
#define REQHDR(len, cmd) NLHDR(len, FAM, 0x0005), GENLHDR(cmd)

/* A builder returned GOT and wrote exactly WANT into BUF. */
#define assert_built(got, buf, want)                                                               \
	do {                                                                                       \
		assert_int_equal((got), sizeof(want));                                             \
		assert_memory_equal((buf), (want), sizeof(want));                                  \
	} while (0)

/* clang-format off */
static void test_getfamily_request_names_turnrelay(void **state)
{
	static const uint8_t want[] = {
		NLHDR(36, GENL_ID_CTRL, 0x0005),
		CTRL_CMD_GETFAMILY, 1, 0, 0,
		14, 0, CTRL_ATTR_FAMILY_NAME, 0, 't', 'u', 'r', 'n', 'r', 'e', 'l', 'a', 'y', 0, 0, 0,
	};
	uint8_t buf[RELAY_MSG_BUFLEN];

	(void)state;
	assert_built(relay_msg_getfamily(buf, sizeof(buf), SEQ), buf, want);
}

static void test_hello_request_is_bare_header_with_ack(void **state)
{
	static const uint8_t want[] = {
REQHDR(20, TURNRELAY_CMD_HELLO)};
	uint8_t buf[RELAY_MSG_BUFLEN];

	(void)state;
	assert_built(relay_msg_hello(buf, sizeof(buf), FAM, SEQ), buf, want);
}

static void test_dump_request_has_dump_flags(void **state)
{
	static const uint8_t want[] = {
NLHDR(20, FAM, 0x0301), GENLHDR(TURNRELAY_CMD_DUMP)};
	uint8_t buf[RELAY_MSG_BUFLEN];

	(void)state;
	assert_built(relay_msg_dump(buf, sizeof(buf), FAM, SEQ), buf, want);
}

static void test_del_request_carries_u64_id(void **state)
{
	static const uint8_t want[] = {
		REQHDR(32, TURNRELAY_CMD_DEL),
		12, 0, TURNRELAY_A_ID, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
	};
	uint8_t buf[RELAY_MSG_BUFLEN];

	(void)state;
	assert_built(relay_msg_del(buf, sizeof(buf), FAM, SEQ, 0x1122334455667788ULL, 0), buf,
		     want);
}

/* DEL asking for the entry's last counters: the flag after the id; unknown flags refused. */
static void test_del_request_with_counters_flag(void **state)
{
	static const uint8_t want[] = {
		REQHDR(40, TURNRELAY_CMD_DEL),
		12, 0, TURNRELAY_A_ID, 0, 9, 0, 0, 0, 0, 0, 0, 0,
		8, 0, TURNRELAY_A_DEL_FLAGS, 0, TURNRELAY_DEL_F_COUNTERS, 0, 0, 0,
	};
	uint8_t buf[RELAY_MSG_BUFLEN];

	(void)state;
	assert_built(relay_msg_del(buf, sizeof(buf), FAM, SEQ, 9, TURNRELAY_DEL_F_COUNTERS), buf,
		     want);
	assert_int_equal(relay_msg_del(buf, sizeof(buf), FAM, SEQ, 9, 1U << 5), -EINVAL);
	assert_int_equal(relay_msg_del(buf, 36, FAM, SEQ, 9, TURNRELAY_DEL_F_COUNTERS), -EMSGSIZE);
}

static void test_flush_all_sets_flag_and_own_sends_none(void **state)
{
	static const uint8_t want_all[] = {
		REQHDR(28, TURNRELAY_CMD_FLUSH),
		8, 0, TURNRELAY_A_FLUSH_FLAGS, 0, TURNRELAY_FLUSH_F_ALL, 0, 0, 0,
	};
	static const uint8_t want_own[] = {REQHDR(20, TURNRELAY_CMD_FLUSH)};
	uint8_t buf[RELAY_MSG_BUFLEN];

	(void)state;
	assert_built(relay_msg_flush(buf, sizeof(buf), FAM, SEQ, true), buf, want_all);
	assert_built(relay_msg_flush(buf, sizeof(buf), FAM, SEQ, false), buf, want_own);
}

static void test_add_channel_entry_nests_both_legs_in_one_message_zero_padded(void **state)
{
	static const uint8_t want[] = {
		/* nlmsghdr: 132 bytes, family, REQUEST|ACK, seq, pid 0 */
		REQHDR(132, TURNRELAY_CMD_ADD),
		/* TURNRELAY_A_ENTRY, nested: 112 bytes */
		112, 0, TURNRELAY_A_ENTRY, 0x80,
		12, 0, TURNRELAY_ENTRY_A_ID, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11,
		/* LEG1: 52 bytes */
		52, 0, TURNRELAY_ENTRY_A_LEG1, 0x80,
		20, 0, TURNRELAY_LEG_A_LOCAL, 0, 2, 0, 0x0d, 0x96, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
		20, 0, TURNRELAY_LEG_A_REMOTE, 0, 2, 0, 0x9c, 0x40, 10, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0,
		6, 0, TURNRELAY_LEG_A_CHANNEL, 0, 0x01, 0x40, 0, 0,
		/* LEG2: 44 bytes, no channel, no flags, no dest */
		44, 0, TURNRELAY_ENTRY_A_LEG2, 0x80,
		20, 0, TURNRELAY_LEG_A_LOCAL, 0, 2, 0, 0xc3, 0x50, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
		20, 0, TURNRELAY_LEG_A_REMOTE, 0, 2, 0, 0x9c, 0x41, 10, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0,
	};
	struct relay_entry e = channel_entry();
	uint8_t buf[RELAY_MSG_BUFLEN];

	(void)state;
	/* padding is zeroed whatever the buffer held */
	memset(buf, 0xa5, sizeof(buf));
	assert_built(relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e), buf, want);
}

static void test_add_ipv6_leg_with_dest_flags_and_idle_timeout(void **state)
{
	static const uint8_t leg2[] = {
		/* LEG2: 4 + 32 + 32 + 32 + 8 = 108 bytes */
		108, 0, TURNRELAY_ENTRY_A_LEG2, 0x80,
		32, 0, TURNRELAY_LEG_A_LOCAL, 0, 10, 0, 0x13, 0x88, 0, 0, 0, 0,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
		32, 0, TURNRELAY_LEG_A_REMOTE, 0, 10, 0, 0x13, 0x89, 0, 0, 0, 0,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0,
		32, 0, TURNRELAY_LEG_A_DEST, 0, 10, 0, 0x13, 0x8a, 0, 0, 0, 0,
		0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0,
		8, 0, TURNRELAY_LEG_A_FLAGS, 0, 0x03, 0, 0, 0,
	};
	static const uint8_t idle[] = {8, 0, TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS, 0, 0xe8, 0x03, 0, 0};
	struct relay_entry e = channel_entry();
	uint8_t buf[RELAY_MSG_BUFLEN];
	struct sockaddr_in6 *in6;
	int len;

	(void)state;
	e.idle_timeout_ms = 1000;
	e.leg[1].local = sa("[fd00::1]:5000");
	e.leg[1].remote = sa("[fd00::3]:5001");
	e.leg[1].dest = sa("[fd00::4]:5002");
	/* flow info and scope id are not sent */
	in6 = (struct sockaddr_in6 *)&e.leg[1].local;
	in6->sin6_flowinfo = 0xffffffff;
	in6->sin6_scope_id = 7;
	e.leg[1].flags = TURNRELAY_LEG_F_FORWARD_STUN | TURNRELAY_LEG_F_FORWARD_DTLS;
	len = relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e);
	assert_int_equal(len, 20 + 4 + 12 + 8 + 52 + 108);
	/* the idle timeout follows the id */
	assert_memory_equal(buf + 20 + 4 + 12, idle, sizeof(idle));
	assert_memory_equal(buf + len - sizeof(leg2), leg2, sizeof(leg2));
}
/* clang-format on */

static void test_add_refuses_entries_the_module_would_refuse(void **state)
{
	uint8_t buf[RELAY_MSG_BUFLEN];
	struct relay_entry e;

	(void)state;
	e = channel_entry();
	e.id = 0;
	assert_int_equal(relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e), -EINVAL);
	e = channel_entry();
	e.leg[0].channel = 0x3fff;
	assert_int_equal(relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e), -EINVAL);
	e.leg[0].channel = 0x8000;
	assert_int_equal(relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e), -EINVAL);
	e = channel_entry();
	e.leg[1].remote = sa("[fd00::3]:1");
	assert_int_equal(relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e), -EAFNOSUPPORT);
	e = channel_entry();
	e.leg[1].local.ss_family = AF_UNIX;
	assert_int_equal(relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e), -EINVAL);
	e = channel_entry();
	e.leg[0].flags = 1U << 30;
	assert_int_equal(relay_msg_add(buf, sizeof(buf), FAM, SEQ, &e), -EINVAL);
}

static void test_builders_never_write_past_a_short_buffer(void **state)
{
	struct relay_entry e = channel_entry();
	uint8_t full[RELAY_MSG_BUFLEN];
	int len, cap;

	(void)state;
	len = relay_msg_add(full, sizeof(full), FAM, SEQ, &e);
	assert_true(len > 0);
	for (cap = 0; cap < len; cap++) {
		uint8_t *p = malloc(cap ? (size_t)cap : 1);

		assert_int_equal(relay_msg_add(p, (size_t)cap, FAM, SEQ, &e), -EMSGSIZE);
		free(p);
	}
	for (cap = 0; cap < 36; cap++) {
		uint8_t *p = malloc(cap ? (size_t)cap : 1);

		assert_int_equal(relay_msg_getfamily(p, (size_t)cap, SEQ), -EMSGSIZE);
		free(p);
	}
}

/* ---- replies: hand-built with libmnl ---- */

static struct nlmsghdr *reply_start(uint8_t *buf, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = FAM;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = TURNRELAY_GENL_VERSION;
	return nlh;
}

static void put_sockaddr(struct nlmsghdr *nlh, uint16_t type, const char *s)
{
	struct sockaddr_storage ss = sa(s);

	mnl_attr_put(nlh, type,
		     ss.ss_family == AF_INET ? sizeof(struct sockaddr_in)
					     : sizeof(struct sockaddr_in6),
		     &ss);
}

/* What the module sends for the channel entry, with counters and extras. */
static size_t build_dump_reply(uint8_t *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = reply_start(buf, cmd, NLM_F_MULTI);
	struct nlattr *entry, *leg;

	entry = mnl_attr_nest_start(nlh, TURNRELAY_A_ENTRY);
	mnl_attr_put(nlh, TURNRELAY_ENTRY_A_PAD, 0, NULL);
	mnl_attr_put_u64(nlh, TURNRELAY_ENTRY_A_ID, 42);
	mnl_attr_put_u32(nlh, TURNRELAY_ENTRY_A_IDLE_TIMEOUT_MS, 30000);
	mnl_attr_put_u32(nlh, TURNRELAY_ENTRY_A_OWNER, 777);
	leg = mnl_attr_nest_start(nlh, TURNRELAY_ENTRY_A_LEG1);
	put_sockaddr(nlh, TURNRELAY_LEG_A_LOCAL, "10.0.0.1:3478");
	put_sockaddr(nlh, TURNRELAY_LEG_A_REMOTE, "10.0.0.2:40000");
	put_sockaddr(nlh, TURNRELAY_LEG_A_DEST, "10.0.0.2:40000");
	mnl_attr_put_u16(nlh, TURNRELAY_LEG_A_CHANNEL, 0x4001);
	mnl_attr_put_u32(nlh, TURNRELAY_LEG_A_FLAGS, 0);
	mnl_attr_put_u64(nlh, TURNRELAY_LEG_A_PACKETS, 10);
	mnl_attr_put_u64(nlh, TURNRELAY_LEG_A_BYTES, 1720);
	mnl_attr_put_u64(nlh, TURNRELAY_LEG_A_ERRORS, 1);
	mnl_attr_put_u64(nlh, TURNRELAY_LEG_A_LAST_SEEN_NS, 123456789);
	/* an attribute a later module might add: skipped */
	mnl_attr_put_u32(nlh, TURNRELAY_LEG_A_MAX + 5, 0xdead);
	mnl_attr_nest_end(nlh, leg);
	leg = mnl_attr_nest_start(nlh, TURNRELAY_ENTRY_A_LEG2);
	put_sockaddr(nlh, TURNRELAY_LEG_A_LOCAL, "[fd00::1]:50000");
	put_sockaddr(nlh, TURNRELAY_LEG_A_REMOTE, "[fd00::3]:40001");
	mnl_attr_put_u64(nlh, TURNRELAY_LEG_A_PACKETS, 7);
	mnl_attr_nest_end(nlh, leg);
	mnl_attr_nest_end(nlh, entry);
	return nlh->nlmsg_len;
}

static void test_dump_reply_parses_entry_with_counters(void **state)
{
	uint8_t buf[1024];
	struct relay_entry e;
	size_t len = build_dump_reply(buf, TURNRELAY_CMD_DUMP);
	char s[ADDR_STRLEN];

	(void)state;
	assert_int_equal(parse_entry(buf, len, &e), 0);
	assert_int_equal(e.id, 42);
	assert_int_equal(e.idle_timeout_ms, 30000);
	assert_int_equal(e.owner, 777);
	assert_string_equal(addr_str((struct sockaddr *)&e.leg[0].local, s, sizeof(s)),
			    "10.0.0.1:3478");
	assert_string_equal(addr_str((struct sockaddr *)&e.leg[0].remote, s, sizeof(s)),
			    "10.0.0.2:40000");
	assert_int_equal(e.leg[0].channel, 0x4001);
	assert_int_equal(e.leg[0].packets, 10);
	assert_int_equal(e.leg[0].bytes, 1720);
	assert_int_equal(e.leg[0].errors, 1);
	assert_int_equal(e.leg[0].last_seen_ns, 123456789);
	assert_string_equal(addr_str((struct sockaddr *)&e.leg[1].local, s, sizeof(s)),
			    "[fd00::1]:50000");
	assert_int_equal(e.leg[1].dest.ss_family, 0);
	assert_int_equal(e.leg[1].channel, 0);
	assert_int_equal(e.leg[1].packets, 7);
}

static void test_dump_reply_truncated_anywhere_is_refused(void **state)
{
	uint8_t buf[1024];
	size_t len = build_dump_reply(buf, TURNRELAY_CMD_DUMP), cut;
	struct relay_entry e;

	(void)state;
	/* the buffer cut short of the message's own length */
	for (cut = 0; cut < len; cut++)
		assert_int_equal(parse_entry(buf, cut, &e), -EBADMSG);
	/* the message length itself cut: the outer nest then runs past it */
	for (cut = 24; cut < len; cut++) {
		((struct nlmsghdr *)buf)->nlmsg_len = (uint32_t)cut;
		assert_int_not_equal(parse_entry(buf, cut, &e), 0);
	}
}

/* The attribute at path a (top level) / b (in a) / c (in b; 0: stop at b). */
static struct nlattr *find_attr(uint8_t *buf, uint16_t a, uint16_t b, uint16_t c)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;
	struct nlattr *x, *y, *z;

	mnl_attr_for_each(x, nlh, sizeof(struct genlmsghdr))
	{
		if (mnl_attr_get_type(x) != a)
			continue;
		mnl_attr_for_each_nested(y, x)
		{
			if (mnl_attr_get_type(y) != b)
				continue;
			if (c == 0)
				return y;
			mnl_attr_for_each_nested(z, y)
			{
				if (mnl_attr_get_type(z) == c)
					return z;
			}
		}
	}
	fail_msg("no attribute %u/%u/%u", a, b, c);
	return NULL;
}

static void test_dump_reply_with_wrong_attribute_sizes_is_refused(void **state)
{
	uint8_t buf[1024];
	struct relay_entry e;
	struct nlattr *a;
	size_t len;

	(void)state;
	/* a sockaddr that claims AF_INET6 in 16 bytes */
	len = build_dump_reply(buf, TURNRELAY_CMD_DUMP);
	a = find_attr(buf, TURNRELAY_A_ENTRY, TURNRELAY_ENTRY_A_LEG1, TURNRELAY_LEG_A_REMOTE);
	assert_non_null(a);
	((struct sockaddr *)mnl_attr_get_payload(a))->sa_family = AF_INET6;
	assert_int_equal(parse_entry(buf, len, &e), -EBADMSG);
	/* a sockaddr of another family */
	((struct sockaddr *)mnl_attr_get_payload(a))->sa_family = AF_UNIX;
	assert_int_equal(parse_entry(buf, len, &e), -EBADMSG);
	/* a nested attribute whose length runs past its parent */
	len = build_dump_reply(buf, TURNRELAY_CMD_DUMP);
	a = find_attr(buf, TURNRELAY_A_ENTRY, TURNRELAY_ENTRY_A_LEG2, 0);
	assert_non_null(a);
	a->nla_len += 8;
	assert_int_equal(parse_entry(buf, len, &e), -EBADMSG);
	/* an attribute length below its own header */
	len = build_dump_reply(buf, TURNRELAY_CMD_DUMP);
	a = find_attr(buf, TURNRELAY_A_ENTRY, TURNRELAY_ENTRY_A_LEG1, TURNRELAY_LEG_A_CHANNEL);
	assert_non_null(a);
	a->nla_len = 2;
	assert_int_equal(parse_entry(buf, len, &e), -EBADMSG);
}

static void test_dump_reply_with_u32_counter_is_refused(void **state)
{
	uint8_t buf[1024];
	struct nlmsghdr *nlh = reply_start(buf, TURNRELAY_CMD_DUMP, NLM_F_MULTI);
	struct nlattr *entry, *leg;
	struct relay_entry e;
	int i;

	(void)state;
	entry = mnl_attr_nest_start(nlh, TURNRELAY_A_ENTRY);
	mnl_attr_put_u64(nlh, TURNRELAY_ENTRY_A_ID, 42);
	for (i = 0; i < 2; i++) {
		leg = mnl_attr_nest_start(nlh, i ? TURNRELAY_ENTRY_A_LEG2 : TURNRELAY_ENTRY_A_LEG1);
		put_sockaddr(nlh, TURNRELAY_LEG_A_LOCAL, "10.0.0.1:1");
		put_sockaddr(nlh, TURNRELAY_LEG_A_REMOTE, "10.0.0.2:2");
		if (i)
			mnl_attr_put_u32(nlh, TURNRELAY_LEG_A_PACKETS, 5);
		mnl_attr_nest_end(nlh, leg);
	}
	mnl_attr_nest_end(nlh, entry);
	assert_int_equal(parse_entry(buf, nlh->nlmsg_len, &e), -EBADMSG);
}

/* The reply to a DEL with TURNRELAY_DEL_F_COUNTERS: the same entry, its last counters. */
static void test_del_reply_parses_like_a_dump(void **state)
{
	uint8_t buf[1024];
	struct relay_entry e;
	size_t len = build_dump_reply(buf, TURNRELAY_CMD_DEL), cut;

	(void)state;
	assert_int_equal(parse_entry(buf, len, &e), 0);
	assert_int_equal(e.id, 42);
	assert_int_equal(e.leg[0].packets, 10);
	assert_int_equal(e.leg[0].bytes, 1720);
	assert_int_equal(e.leg[1].packets, 7);
	for (cut = 0; cut < len; cut++)
		assert_int_not_equal(parse_entry(buf, cut, &e), 0);
	/* an ADD or FLUSH reply is not an entry */
	len = build_dump_reply(buf, TURNRELAY_CMD_FLUSH);
	assert_int_equal(parse_entry(buf, len, &e), -EPROTO);
}

static void test_dump_reply_without_leg2_or_id_is_refused(void **state)
{
	uint8_t buf[1024];
	struct nlmsghdr *nlh;
	struct nlattr *entry, *leg;
	struct relay_entry e;

	(void)state;
	nlh = reply_start(buf, TURNRELAY_CMD_DUMP, NLM_F_MULTI);
	entry = mnl_attr_nest_start(nlh, TURNRELAY_A_ENTRY);
	mnl_attr_put_u64(nlh, TURNRELAY_ENTRY_A_ID, 42);
	leg = mnl_attr_nest_start(nlh, TURNRELAY_ENTRY_A_LEG1);
	put_sockaddr(nlh, TURNRELAY_LEG_A_LOCAL, "10.0.0.1:1");
	put_sockaddr(nlh, TURNRELAY_LEG_A_REMOTE, "10.0.0.2:2");
	mnl_attr_nest_end(nlh, leg);
	mnl_attr_nest_end(nlh, entry);
	assert_int_equal(parse_entry(buf, nlh->nlmsg_len, &e), -EBADMSG);

	nlh = reply_start(buf, TURNRELAY_CMD_DUMP, NLM_F_MULTI);
	entry = mnl_attr_nest_start(nlh, TURNRELAY_A_ENTRY);
	mnl_attr_nest_end(nlh, entry);
	assert_int_equal(parse_entry(buf, nlh->nlmsg_len, &e), -EBADMSG);

	/* no entry at all, and a reply of another command */
	nlh = reply_start(buf, TURNRELAY_CMD_DUMP, NLM_F_MULTI);
	assert_int_equal(parse_entry(buf, nlh->nlmsg_len, &e), -EBADMSG);
	nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	assert_int_equal(parse_entry(buf, nlh->nlmsg_len, &e), -EPROTO);
}

static void test_hello_reply_parses_version_features_and_stats(void **state)
{
	uint8_t buf[1024];
	struct nlmsghdr *nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	struct relay_info info;
	struct nlattr *st;

	(void)state;
	mnl_attr_put_u32(nlh, TURNRELAY_A_ABI_VERSION, 1);
	mnl_attr_put_u64(nlh, TURNRELAY_A_FEATURES,
			 TURNRELAY_FEATURE_IPV4 | TURNRELAY_FEATURE_CHANNELDATA);
	mnl_attr_put_u32(nlh, TURNRELAY_A_MAX_ENTRIES, 65536);
	mnl_attr_put_u32(nlh, TURNRELAY_A_ENTRIES, 3);
	st = mnl_attr_nest_start(nlh, TURNRELAY_A_STATS);
	mnl_attr_put_u64(nlh, TURNRELAY_STATS_A_FORWARDED, 1000);
	mnl_attr_put_u64(nlh, TURNRELAY_STATS_A_PASS_STUN, 4);
	mnl_attr_put_u64(nlh, TURNRELAY_STATS_A_EVENTS_LOST, 2);
	mnl_attr_nest_end(nlh, st);
	mnl_attr_put_strz(nlh, TURNRELAY_A_VERSION, "1.0.0");
	assert_int_equal(parse_hello(buf, nlh->nlmsg_len, &info), 0);
	assert_int_equal(info.abi_version, 1);
	assert_int_equal(info.features, TURNRELAY_FEATURE_IPV4 | TURNRELAY_FEATURE_CHANNELDATA);
	assert_int_equal(info.max_entries, 65536);
	assert_int_equal(info.entries, 3);
	assert_int_equal(info.stats.forwarded, 1000);
	assert_int_equal(info.stats.pass_stun, 4);
	assert_int_equal(info.stats.events_lost, 2);
	assert_int_equal(info.stats.pass_dtls, 0);
	assert_string_equal(info.version, "1.0.0");
}

static void test_hello_reply_of_other_abi_parses_so_open_can_name_it(void **state)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	struct relay_info info;
	char err[RELAY_OFFLOAD_ERRLEN];

	(void)state;
	mnl_attr_put_u32(nlh, TURNRELAY_A_ABI_VERSION, 7);
	assert_int_equal(parse_hello(buf, nlh->nlmsg_len, &info), 0);
	assert_int_equal(info.abi_version, 7);
	assert_int_equal(relay_msg_check_abi(info.abi_version, err, sizeof(err)), -EPROTONOSUPPORT);
	assert_non_null(strstr(err, "ABI version 7"));
	assert_non_null(strstr(err, "knows version 1"));
	assert_int_equal(relay_msg_check_abi(RELAY_OFFLOAD_ABI_VERSION, err, sizeof(err)), 0);
}

static void test_hello_reply_malformed_is_refused(void **state)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh;
	struct relay_info info;

	(void)state;
	/* no ABI version */
	nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	mnl_attr_put_u32(nlh, TURNRELAY_A_ENTRIES, 3);
	assert_int_equal(parse_hello(buf, nlh->nlmsg_len, &info), -EBADMSG);
	/* ABI version as a u16 */
	nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	mnl_attr_put_u16(nlh, TURNRELAY_A_ABI_VERSION, 1);
	assert_int_equal(parse_hello(buf, nlh->nlmsg_len, &info), -EBADMSG);
	/* a version string without its NUL */
	nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	mnl_attr_put_u32(nlh, TURNRELAY_A_ABI_VERSION, 1);
	mnl_attr_put(nlh, TURNRELAY_A_VERSION, 4, "1.00");
	assert_int_equal(parse_hello(buf, nlh->nlmsg_len, &info), -EBADMSG);
	/* a header too short for the genl header */
	nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	nlh->nlmsg_len = 18;
	assert_int_equal(parse_hello(buf, 18, &info), -EBADMSG);
	/* a control message type */
	nlh = reply_start(buf, TURNRELAY_CMD_HELLO, 0);
	nlh->nlmsg_type = NLMSG_DONE;
	assert_int_equal(parse_hello(buf, nlh->nlmsg_len, &info), -EPROTO);
}

static void test_source_event_parses_leg_and_address(void **state)
{
	uint8_t buf[256];
	struct nlmsghdr *nlh = reply_start(buf, TURNRELAY_CMD_EVENT_SOURCE, 0);
	struct relay_event ev;
	char s[ADDR_STRLEN];

	(void)state;
	mnl_attr_put_u64(nlh, TURNRELAY_A_ID, 9);
	mnl_attr_put_u8(nlh, TURNRELAY_A_LEG, 2);
	put_sockaddr(nlh, TURNRELAY_A_SOURCE, "10.0.0.9:4000");
	assert_int_equal(parse_event(buf, nlh->nlmsg_len, &ev), 0);
	assert_int_equal(ev.cmd, TURNRELAY_CMD_EVENT_SOURCE);
	assert_int_equal(ev.id, 9);
	assert_int_equal(ev.leg, 2);
	assert_string_equal(addr_str((struct sockaddr *)&ev.source, s, sizeof(s)), "10.0.0.9:4000");
}

static void test_source_event_with_bad_leg_or_missing_source_is_refused(void **state)
{
	uint8_t buf[1024];
	struct nlmsghdr *nlh;
	struct relay_event ev;

	(void)state;
	nlh = reply_start(buf, TURNRELAY_CMD_EVENT_SOURCE, 0);
	mnl_attr_put_u64(nlh, TURNRELAY_A_ID, 9);
	mnl_attr_put_u8(nlh, TURNRELAY_A_LEG, 3);
	put_sockaddr(nlh, TURNRELAY_A_SOURCE, "10.0.0.9:4000");
	assert_int_equal(parse_event(buf, nlh->nlmsg_len, &ev), -EBADMSG);
	nlh = reply_start(buf, TURNRELAY_CMD_EVENT_SOURCE, 0);
	mnl_attr_put_u64(nlh, TURNRELAY_A_ID, 9);
	mnl_attr_put_u8(nlh, TURNRELAY_A_LEG, 1);
	assert_int_equal(parse_event(buf, nlh->nlmsg_len, &ev), -EBADMSG);
	nlh = reply_start(buf, TURNRELAY_CMD_EVENT_SOURCE, 0);
	mnl_attr_put_u64(nlh, TURNRELAY_A_ID, 9);
	mnl_attr_put_u32(nlh, TURNRELAY_A_LEG, 1);
	put_sockaddr(nlh, TURNRELAY_A_SOURCE, "10.0.0.9:4000");
	assert_int_equal(parse_event(buf, nlh->nlmsg_len, &ev), -EBADMSG);
	/* a dump reply is not an event */
	assert_int_equal(parse_event(buf, build_dump_reply(buf, TURNRELAY_CMD_DUMP), &ev), -EPROTO);
}

static void test_idle_event_carries_the_entry(void **state)
{
	uint8_t buf[1024];
	size_t len = build_dump_reply(buf, TURNRELAY_CMD_EVENT_IDLE), cut;
	struct relay_event ev;

	(void)state;
	assert_int_equal(parse_event(buf, len, &ev), 0);
	assert_int_equal(ev.cmd, TURNRELAY_CMD_EVENT_IDLE);
	assert_int_equal(ev.id, 42);
	assert_int_equal(ev.entry.leg[0].packets, 10);
	for (cut = 0; cut < len; cut++)
		assert_int_equal(parse_event(buf, cut, &ev), -EBADMSG);
}

static size_t build_error(uint8_t *buf, int error, const char *text, bool capped)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf), *orig;
	struct nlmsgerr *e;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_seq = SEQ;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	orig = &e->msg;
	orig->nlmsg_len = 60; /* the request was 60 bytes */
	orig->nlmsg_type = FAM;
	orig->nlmsg_seq = SEQ;
	if (!capped)
		mnl_nlmsg_put_extra_header(nlh, 60 - sizeof(*orig)); /* its echoed body */
	if (text) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		if (capped)
			nlh->nlmsg_flags |= NLM_F_CAPPED;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, text);
	} else if (capped) {
		nlh->nlmsg_flags |= NLM_F_CAPPED;
	}
	return nlh->nlmsg_len;
}

static void test_error_reply_gives_errno_and_extack_text(void **state)
{
	char msg[RELAY_OFFLOAD_ERRLEN];
	uint8_t buf[512], *p;
	size_t len, cut;
	int err = 1;

	(void)state;
	len = build_error(buf, -EINVAL, "missing LEG2", true);
	p = copy(buf, len);
	assert_int_equal(relay_msg_parse_error(p, len, &err, msg, sizeof(msg)), 0);
	free(p);
	assert_int_equal(err, -EINVAL);
	assert_string_equal(msg, "missing LEG2");
	/* uncapped: the text follows the echoed request */
	len = build_error(buf, -EEXIST, "entry id in use", false);
	assert_int_equal(relay_msg_parse_error(buf, len, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, -EEXIST);
	assert_string_equal(msg, "entry id in use");
	/* a plain ack */
	len = build_error(buf, 0, NULL, true);
	assert_int_equal(relay_msg_parse_error(buf, len, &err, msg, sizeof(msg)), 0);
	assert_int_equal(err, 0);
	assert_string_equal(msg, "");
	/* truncated anywhere */
	len = build_error(buf, -EINVAL, "missing LEG2", true);
	for (cut = 0; cut < len; cut++) {
		p = copy(buf, cut);
		assert_int_equal(relay_msg_parse_error(p, cut, &err, msg, sizeof(msg)), -EBADMSG);
		free(p);
	}
}

static void test_error_reply_malformed_is_refused(void **state)
{
	char msg[RELAY_OFFLOAD_ERRLEN];
	uint8_t buf[512];
	struct nlattr *a;
	size_t len;
	int err;

	(void)state;
	/* the text without its NUL */
	len = build_error(buf, -EINVAL, "abc", true);
	a = (struct nlattr *)(buf + len - 8);
	assert_int_equal(a->nla_type, NLMSGERR_ATTR_MSG);
	memcpy(mnl_attr_get_payload(a), "abcd", 4);
	assert_int_equal(relay_msg_parse_error(buf, len, &err, msg, sizeof(msg)), -EBADMSG);
	/* a positive error */
	len = build_error(buf, 5, NULL, true);
	assert_int_equal(relay_msg_parse_error(buf, len, &err, msg, sizeof(msg)), -EBADMSG);
	/* uncapped with an echoed length past the message */
	len = build_error(buf, -EINVAL, "x", false);
	((struct nlmsgerr *)(buf + 16))->msg.nlmsg_len = 400;
	assert_int_equal(relay_msg_parse_error(buf, len, &err, msg, sizeof(msg)), -EBADMSG);
	/* not an error message */
	len = build_dump_reply(buf, TURNRELAY_CMD_DUMP);
	assert_int_equal(relay_msg_parse_error(buf, len, &err, msg, sizeof(msg)), -EPROTO);
}

static size_t build_family_reply(uint8_t *buf, const char *name, bool with_group)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nlattr *groups, *grp;

	nlh->nlmsg_type = GENL_ID_CTRL;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_NEWFAMILY;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x24);
	mnl_attr_put_u32(nlh, CTRL_ATTR_VERSION, 1);
	groups = mnl_attr_nest_start(nlh, CTRL_ATTR_MCAST_GROUPS);
	grp = mnl_attr_nest_start(nlh, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "other");
	mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 5);
	mnl_attr_nest_end(nlh, grp);
	if (with_group) {
		grp = mnl_attr_nest_start(nlh, 2);
		mnl_attr_put_strz(nlh, CTRL_ATTR_MCAST_GRP_NAME, "events");
		mnl_attr_put_u32(nlh, CTRL_ATTR_MCAST_GRP_ID, 11);
		mnl_attr_nest_end(nlh, grp);
	}
	mnl_attr_nest_end(nlh, groups);
	return nlh->nlmsg_len;
}

static void test_family_reply_gives_id_and_events_group(void **state)
{
	uint8_t buf[512], *p;
	size_t len, cut;
	uint16_t id = 0;
	uint32_t group = 0;

	(void)state;
	len = build_family_reply(buf, "turnrelay", true);
	assert_int_equal(relay_msg_parse_family(buf, len, &id, &group), 0);
	assert_int_equal(id, 0x24);
	assert_int_equal(group, 11);
	len = build_family_reply(buf, "turnrelay", false);
	assert_int_equal(relay_msg_parse_family(buf, len, &id, &group), 0);
	assert_int_equal(group, 0);
	len = build_family_reply(buf, "wireguard", true);
	assert_int_equal(relay_msg_parse_family(buf, len, &id, &group), -EPROTO);
	len = build_family_reply(buf, "turnrelay", true);
	for (cut = 0; cut < len; cut++) {
		p = copy(buf, cut);
		assert_int_equal(relay_msg_parse_family(p, cut, &id, &group), -EBADMSG);
		free(p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_getfamily_request_names_turnrelay),
	    cmocka_unit_test(test_hello_request_is_bare_header_with_ack),
	    cmocka_unit_test(test_dump_request_has_dump_flags),
	    cmocka_unit_test(test_del_request_carries_u64_id),
	    cmocka_unit_test(test_del_request_with_counters_flag),
	    cmocka_unit_test(test_flush_all_sets_flag_and_own_sends_none),
	    cmocka_unit_test(test_add_channel_entry_nests_both_legs_in_one_message_zero_padded),
	    cmocka_unit_test(test_add_ipv6_leg_with_dest_flags_and_idle_timeout),
	    cmocka_unit_test(test_add_refuses_entries_the_module_would_refuse),
	    cmocka_unit_test(test_builders_never_write_past_a_short_buffer),
	    cmocka_unit_test(test_dump_reply_parses_entry_with_counters),
	    cmocka_unit_test(test_del_reply_parses_like_a_dump),
	    cmocka_unit_test(test_dump_reply_truncated_anywhere_is_refused),
	    cmocka_unit_test(test_dump_reply_with_wrong_attribute_sizes_is_refused),
	    cmocka_unit_test(test_dump_reply_with_u32_counter_is_refused),
	    cmocka_unit_test(test_dump_reply_without_leg2_or_id_is_refused),
	    cmocka_unit_test(test_hello_reply_parses_version_features_and_stats),
	    cmocka_unit_test(test_hello_reply_of_other_abi_parses_so_open_can_name_it),
	    cmocka_unit_test(test_hello_reply_malformed_is_refused),
	    cmocka_unit_test(test_source_event_parses_leg_and_address),
	    cmocka_unit_test(test_source_event_with_bad_leg_or_missing_source_is_refused),
	    cmocka_unit_test(test_idle_event_carries_the_entry),
	    cmocka_unit_test(test_error_reply_gives_errno_and_extack_text),
	    cmocka_unit_test(test_error_reply_malformed_is_refused),
	    cmocka_unit_test(test_family_reply_gives_id_and_events_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
