/*
 * turnutils_uclient - TURN load and loss test (RFC 8656): each of -m
 * clients allocates a UDP relay, permits the peer (CreatePermission, or
 * ChannelBind when channels are used), sends -n messages to the peer (an
 * echo server such as turnutils_peer) through the relay, matches the
 * echoes, then deletes its allocation with a Refresh of lifetime 0.
 * All clients run concurrently in one poll() loop.
 *
 * Flags follow coturn's turnutils_uclient where the feature is the same;
 * the long options are ours. Every message starts with the client id, a
 * sequence number and the send time, so echoes are matched and timed; the
 * rest is a pattern checked on return. With --rtp an RTP header comes
 * first, so that a media anchor takes the messages for media.
 *
 * Two modes for benchmarks (scripts/bench):
 *  --hold SEC keeps each allocation alive SEC seconds after its last echo,
 *  before deleting it, and prints "holding: N allocations" once all of them
 *  are held (for measuring the server's memory per allocation);
 *  --alloc-rate SEC replaces the data test: each of the -m clients in turn
 *  opens a new socket, allocates (the 401 round trip included, as every
 *  socket starts without a nonce), deletes the allocation with a Refresh
 *  of lifetime 0 and closes, for SEC seconds; it prints allocations/s.
 *  With --rotate-local N (and -L an IPv4 address A) no 5-tuple comes back
 *  while a server may still hold the deleted allocation's state: over UDP
 *  each slot keeps one socket (a port of its own) and sends its k-th
 *  allocation from address A + k mod N (IP_PKTINFO); over TCP/TLS socket k
 *  is bound to A + k mod N and a port of its own. Over TLS the slots'
 *  handshakes run side by side (not one blocking the others).
 *
 * -T runs TCP allocations (RFC 6062) client to client instead, in pairs,
 * as coturn's uclient -T does (uclient_tcprelay.c).
 *
 * An ICMP error the server reports for a message (RFC 8656 §11.5: a Data
 * indication with XOR-PEER-ADDRESS and ICMP) prints "icmp: peer ADDR type T
 * code C error data D" (the first 10) and counts in "icmp errors: N".
 *
 * Exit status: 0 when every client got its allocation and the loss is at
 * most --loss-threshold; 1 when an allocation, permission or connection
 * failed; 2 when the loss exceeded the threshold; 64 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include "client/turnclient.h"
#include "client/uclient.h"
#include "common/addr.h"
#include "common/version.h"
#include "stun/wire.h"

#define EXIT_SETUP_FAILED 1
#define EXIT_LOSS 2
#define EXIT_USAGE 64

#define UC_RTP_LEN 12 /* --rtp: RFC 3550 §5.1 fixed header before it */
#define UC_MAX_CLIENTS 1000
#define UC_MAX_MSG_LEN 65000
#define UC_MAX_TOTAL_MSGS 100000000ULL
#define UC_EARLY_SEND_US 1000 /* send up to 1 ms early to coalesce wake-ups */
#define UC_BURST_MAX 32	      /* sends per client per loop round */
#define UC_EVENTS_PER_ROUND 1024
#define UC_ICMP_SHOWN 10 /* ICMP errors printed one a line; all are counted */
#define UC_PERM_REFRESH_US (240ULL * 1000000) /* RFC 8656 §9: permissions last 300 s */
#define UC_SETUP_BUDGET_US (600ULL * 1000000) /* backstop for all transactions */


enum uc_state {
	UC_HANDSHAKE, /* --alloc-rate: TLS handshake under way (uc_rate_handshake) */
	UC_ALLOCATE, /* Allocate in flight */
	UC_PERMIT,   /* CreatePermission or ChannelBind in flight */
	UC_SEND,     /* sending messages */
	UC_DRAIN,    /* all sent: waiting for the last echoes */
	UC_HOLD,     /* --hold: keeping the allocation until hold_until_us */
	UC_DELETE,   /* Refresh with lifetime 0 in flight */
	UC_DONE,
	UC_FAILED,
};

struct uc_client {
	struct turnc c;
	uint32_t id;
	enum uc_state state;
	bool opened;
	uint16_t channel;
	int sent;
	int send_errors;
	int received;
	uint8_t *seen; /* bitmap of echoed sequence numbers */
	uint64_t next_send_us;
	uint64_t drain_until_us;
	uint64_t hold_until_us;
	uint64_t alloc_refresh_us;
	uint64_t perm_refresh_us;
	bool maintenance; /* a refresh is in flight during SEND/DRAIN */
	struct uc_rtt rtt;
	short tls_events;	  /* UC_HANDSHAKE: what the handshake waits for */
	uint64_t handshake_until_us; /* UC_HANDSHAKE: the handshake's deadline */
	unsigned long long cycles;   /* --alloc-rate: allocations started on this slot */
	int ep_fd;		     /* --alloc-rate: the socket in the epoll set, or -1 */
	uint32_t ep_events;	     /* ... the events it waits for there */
};


static struct uc_stats uc_stats = {.rtt_min = INFINITY};

static void uc_usage(FILE *f)
{
	fprintf(f,
		"Usage: turnutils_uclient [options] turn-server-address\n"
		"Flags:\n"
		"\t-t\tTCP to the server (default UDP)\n"
		"\t-S\tsecure: TLS over TCP (with -t), else DTLS 1.2 over UDP; ALPN\n"
		"\t\tstun.turn; the default port becomes 5349\n"
		"\t-T\tTCP relay (RFC 6062), as coturn's: implies -t; the clients\n"
		"\t\ttalk in pairs, each Connects to its partner's relayed address\n"
		"\t\tand gets its messages echoed back; -s, -e, -r, -g, -c ignored\n"
		"\t-s\tuse Send indications (default: channels)\n"
		"\t-x\trequest an IPv6 relay (REQUESTED-ADDRESS-FAMILY)\n"
		"\t-X\trequest an IPv4 relay explicitly\n"
		"\t-Z\tdual allocation (ADDITIONAL-ADDRESS-FAMILY IPv6)\n"
		"\t-g\tinclude DONT-FRAGMENT in Allocate\n"
		"\t-c\tno RTCP connections (accepted; none are opened)\n"
		"\t-v\tverbose (twice: trace every request)\n"
		"Options:\n"
		"\t-e ADDR\tpeer address (required)\n"
		"\t-r PORT\tpeer port (default 3480)\n"
		"\t-p PORT\tTURN server port (default 3478)\n"
		"\t-m N\tnumber of clients (default 1, with -T 2 and even; at most %d)\n"
		"\t-n N\tmessages per client (default 5)\n"
		"\t-l BYTES\tmessage length (default 100, %d..%d)\n"
		"\t-z MS\tinterval between messages of a client (default 20)\n"
		"\t-u USER\tSTUN/TURN user name\n"
		"\t-w PASS\tSTUN/TURN password\n"
		"\t-L ADDR\tlocal address\n"
		"\t-E FILE\tCA certificates: with -S, verify the server's certificate\n"
		"\t--loss-threshold PCT\tloss allowed before exit status 2 (default 0)\n"
		"\t--timeout SEC\twait for the last echoes (default 5)\n"
		"\t--even-port\tinclude EVEN-PORT in Allocate\n"
		"\t--realm REALM\trealm for the credentials (default: the server's)\n"
		"\t--hold SEC\tkeep each allocation SEC s after its last echo; print\n"
		"\t\t\t\"holding: N allocations\" once all are held\n"
		"\t--alloc-rate SEC\tallocation-rate mode: -m clients in flight, each\n"
		"\t\t\trepeatedly opens a socket, allocates, deletes, for SEC s\n"
		"\t--rotate-local N\twith --alloc-rate and -L IPV4: allocation k of a\n"
		"\t\t\tslot comes from -L + (k mod N) (UDP: one socket per slot;\n"
		"\t\t\tTCP: socket k on a port of its own): no 5-tuple reuse\n"
		"\t--rate N\tN messages a second per client (1..1000000), instead of -z\n"
		"\t--rtp\t\tmessages start with an RTP header (version 2, PT 0,\n"
		"\t\t\tsequence, SSRC = client id + 1), as media to an anchor\n"
		"\t--version\tprint the version\n"
		"Exit status: 0 ok, 1 allocation/auth failure, 2 loss above threshold.\n",
		UC_MAX_CLIENTS, UC_HDR_LEN, UC_MAX_MSG_LEN);
}

static int uc_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * -T as coturn's: -t implied, clients in pairs (2 unless -m says), and -s,
 * -e, -r, -g ignored with a notice; what has no meaning there is refused.
 */
static int uc_tcprelay_opts(struct uc_opts *o, bool clients_set, bool family)
{
	const char *bad = o->alloc_rate_s	     ? "--alloc-rate"
			  : o->hold_s		     ? "--hold"
			  : o->rtp		     ? "--rtp"
			  : o->alloc.even_port	     ? "--even-port"
			  : o->alloc.additional_family ? "-Z"
			  : family		     ? "-x/-X"
						     : NULL;

	if (bad) {
		fprintf(stderr, "turnutils_uclient: -T does not go with %s\n", bad);
		return -1;
	}
	o->tcp = true;
	if (!clients_set)
		o->clients = 2;
	if (o->clients % 2) {
		fprintf(stderr, "turnutils_uclient: -T needs an even -m (the clients talk in pairs)\n");
		return -1;
	}
	if (o->send_indications || o->peer_host || o->alloc.dont_fragment)
		fprintf(stderr, "turnutils_uclient: -T: -s, -e, -r and -g are ignored\n");
	o->send_indications = false;
	o->peer_host = NULL;
	o->alloc.dont_fragment = false;
	return 0;
}

static int uc_parse_opts(int argc, char **argv, struct uc_opts *o)
{
	enum { OPT_LOSS = 256, OPT_TIMEOUT, OPT_EVEN_PORT, OPT_REALM, OPT_HOLD, OPT_ALLOC_RATE,
	       OPT_ROTATE_LOCAL, OPT_RTP, OPT_RATE };
	static const struct option longopts[] = {
	    {"loss-threshold", required_argument, NULL, OPT_LOSS},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"even-port", no_argument, NULL, OPT_EVEN_PORT},
	    {"realm", required_argument, NULL, OPT_REALM},
	    {"hold", required_argument, NULL, OPT_HOLD},
	    {"alloc-rate", required_argument, NULL, OPT_ALLOC_RATE},
	    {"rotate-local", required_argument, NULL, OPT_ROTATE_LOCAL},
	    {"rtp", no_argument, NULL, OPT_RTP},
	    {"rate", required_argument, NULL, OPT_RATE},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool want_v6 = false, want_v4 = false, port_set = false, clients_set = false;
	char *end;
	long v;
	int opt;

	memset(o, 0, sizeof(*o));
	o->clients = 1;
	o->messages = 5;
	o->msg_len = 100;
	o->interval_ms = 20;
	o->port = 3478;
	o->peer_port = 3480;
	o->timeout_s = 5;
	while ((opt = getopt_long(argc, argv, "tTsSE:m:n:l:z:p:e:r:u:w:L:xXZgcvh", longopts, NULL)) !=
	       -1) {
		switch (opt) {
		case 't':
			o->tcp = true;
			break;
		case 'S':
			o->secure = true;
			break;
		case 'T':
			o->tcp_relay = true;
			break;
		case 'E':
			o->ca_file = optarg;
			break;
		case 's':
			o->send_indications = true;
			break;
		case 'm':
			if (uc_parse_long(optarg, 1, UC_MAX_CLIENTS, &v) < 0)
				goto bad;
			o->clients = (int)v;
			clients_set = true;
			break;
		case 'n':
			if (uc_parse_long(optarg, 1, 1000000, &v) < 0)
				goto bad;
			o->messages = (int)v;
			break;
		case 'l':
			if (uc_parse_long(optarg, UC_HDR_LEN, UC_MAX_MSG_LEN, &v) < 0)
				goto bad;
			o->msg_len = (int)v;
			break;
		case 'z':
			if (uc_parse_long(optarg, 0, 60000, &v) < 0)
				goto bad;
			o->interval_ms = (int)v;
			break;
		case 'p':
			if (uc_parse_long(optarg, 1, 65535, &v) < 0)
				goto bad;
			o->port = (uint16_t)v;
			port_set = true;
			break;
		case 'r':
			if (uc_parse_long(optarg, 1, 65535, &v) < 0)
				goto bad;
			o->peer_port = (uint16_t)v;
			break;
		case 'e':
			o->peer_host = optarg;
			break;
		case 'u':
			o->user = optarg;
			break;
		case 'w':
			o->pass = optarg;
			break;
		case 'L':
			o->local_str = optarg;
			break;
		case 'x':
			want_v6 = true;
			break;
		case 'X':
			want_v4 = true;
			break;
		case 'Z':
			o->alloc.additional_family = STUN_FAMILY_IPV6;
			break;
		case 'g':
			o->alloc.dont_fragment = true;
			break;
		case 'c':
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_LOSS:
			errno = 0;
			o->loss_threshold = strtod(optarg, &end);
			if (errno || *optarg == '\0' || *end != '\0' || !(o->loss_threshold >= 0) ||
			    o->loss_threshold > 100)
				goto bad;
			break;
		case OPT_TIMEOUT:
			if (uc_parse_long(optarg, 0, 3600, &v) < 0)
				goto bad;
			o->timeout_s = (int)v;
			break;
		case OPT_EVEN_PORT:
			o->alloc.even_port = true;
			break;
		case OPT_REALM:
			o->realm = optarg;
			break;
		case OPT_HOLD:
			if (uc_parse_long(optarg, 0, 3600, &v) < 0)
				goto bad;
			o->hold_s = (int)v;
			break;
		case OPT_ALLOC_RATE:
			if (uc_parse_long(optarg, 1, 3600, &v) < 0)
				goto bad;
			o->alloc_rate_s = (int)v;
			break;
		case OPT_ROTATE_LOCAL:
			if (uc_parse_long(optarg, 1, 65536, &v) < 0)
				goto bad;
			o->rotate_local = (int)v;
			break;
		case OPT_RTP:
			o->rtp = true;
			break;
		case OPT_RATE:
			if (uc_parse_long(optarg, 1, 1000000, &v) < 0)
				goto bad;
			o->rate = (int)v;
			break;
		case 'h':
			uc_usage(stdout);
			exit(0);
		default:
			uc_usage(stderr);
			return -1;
		}
	}
	if (optind != argc - 1) {
		uc_usage(stderr);
		return -1;
	}
	o->server_host = argv[optind];
	if (o->tcp_relay && o->rate) {
		fprintf(stderr, "turnutils_uclient: --rate is not for -T (its clients use -z)\n");
		return -1;
	}
	if (o->tcp_relay && uc_tcprelay_opts(o, clients_set, want_v6 || want_v4) < 0)
		return -1;
	o->interval_us = o->rate ? 1000000L / o->rate : o->interval_ms * 1000L;
	if (!o->peer_host && !o->alloc_rate_s && !o->tcp_relay) {
		fprintf(stderr, "turnutils_uclient: -e PEER-ADDRESS is required\n");
		return -1;
	}
	if (o->rotate_local && (!o->alloc_rate_s || !o->local_str)) {
		fprintf(stderr, "turnutils_uclient: --rotate-local needs --alloc-rate and -L\n");
		return -1;
	}
	if (o->rtp && o->msg_len < UC_RTP_LEN + UC_HDR_LEN) {
		fprintf(stderr, "turnutils_uclient: --rtp needs -l %d or more\n",
			UC_RTP_LEN + UC_HDR_LEN);
		return -1;
	}
	if (o->ca_file && !o->secure) {
		fprintf(stderr, "turnutils_uclient: -E needs -S\n");
		return -1;
	}
	if (o->secure && !port_set)
		o->port = 5349; /* RFC 8656 §4: TURN over TLS and DTLS */
	if (want_v6 && want_v4) {
		fprintf(stderr, "turnutils_uclient: -x and -X exclude each other\n");
		return -1;
	}
	if (want_v6)
		o->alloc.family = STUN_FAMILY_IPV6;
	else if (want_v4)
		o->alloc.family = STUN_FAMILY_IPV4;
	if ((o->user != NULL) != (o->pass != NULL)) {
		fprintf(stderr, "turnutils_uclient: -u and -w go together\n");
		return -1;
	}
	if ((unsigned long long)o->clients * (unsigned long long)o->messages > UC_MAX_TOTAL_MSGS) {
		fprintf(stderr, "turnutils_uclient: -m times -n is limited to %llu\n",
			UC_MAX_TOTAL_MSGS);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "turnutils_uclient: bad value '%s' for -%c\n", optarg,
		opt < 256 ? opt : '-');
	return -1;
}

static int uc_resolve(struct uc_opts *o)
{
	int family = AF_UNSPEC;

	if (o->local_str) {
		if (addr_parse(o->local_str, 0, &o->local, NULL) < 0) {
			fprintf(stderr, "turnutils_uclient: bad local address '%s'\n",
				o->local_str);
			return -1;
		}
		o->has_local = true;
		family = o->local.ss_family;
		if (o->rotate_local && family != AF_INET) {
			fprintf(stderr, "turnutils_uclient: --rotate-local needs an IPv4 -L\n");
			return -1;
		}
	}
	if (turnc_resolve(o->server_host, o->port, family, &o->server) < 0) {
		fprintf(stderr, "turnutils_uclient: cannot resolve server '%s'\n", o->server_host);
		return -1;
	}
	if (o->peer_host && turnc_resolve(o->peer_host, o->peer_port, AF_UNSPEC, &o->peer) < 0) {
		fprintf(stderr, "turnutils_uclient: cannot resolve peer '%s'\n", o->peer_host);
		return -1;
	}
	return 0;
}

/* One fd per client, plus a few for stdio: raise the soft limit if needed. */
static void uc_raise_fd_limit(int clients)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)clients + 32;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
	setrlimit(RLIMIT_NOFILE, &rl);
}

static void uc_fail(struct uc_client *cl, const char *what, int result)
{
	char rbuf[160];
	const char *reason = turnc_txn_reason(&cl->c);

	fprintf(stderr, "client %u: %s: %s%s%s\n", cl->id, what,
		turnc_strresult(result, rbuf, sizeof(rbuf)), reason[0] ? " - " : "", reason);
	if (cl->state < UC_SEND)
		uc_stats.failed++;
	else if (cl->state != UC_DELETE)
		uc_stats.broken++;
	cl->state = UC_FAILED;
}

static void uc_start_delete(struct uc_client *cl, uint64_t now)
{
	int ret = turnc_start_refresh(&cl->c, 0, now);

	cl->state = UC_DELETE;
	if (ret < 0) {
		uc_stats.delete_failed++;
		cl->state = UC_DONE;
	}
}

static int uc_start_permit(struct uc_client *cl, const struct uc_opts *o, uint64_t now)
{
	if (o->send_indications)
		return turnc_start_permission(&cl->c, (const struct sockaddr *)&o->peer, now);
	return turnc_start_channel_bind(&cl->c, cl->channel, (const struct sockaddr *)&o->peer,
					now);
}

/* The client's transaction finished: move its state machine on. */
static void uc_on_txn(struct uc_client *cl, const struct uc_opts *o, uint64_t now)
{
	int result = turnc_txn_result(&cl->c);
	int ret;

	switch (cl->state) {
	case UC_ALLOCATE:
		if (result != 0) {
			uc_fail(cl, "Allocate", result);
			return;
		}
		uc_stats.allocated++;
		for (int i = 0; o->verbose && i < cl->c.nrelayed; i++) {
			char abuf[ADDR_STRLEN];

			fprintf(stderr, "client %u: relayed %s\n", cl->id,
				addr_str((struct sockaddr *)&cl->c.relayed[i], abuf, sizeof(abuf)));
		}
		cl->alloc_refresh_us =
		    now + (uint64_t)(cl->c.lifetime_s ? cl->c.lifetime_s : 600) * 500000u;
		cl->state = UC_PERMIT;
		ret = uc_start_permit(cl, o, now);
		if (ret < 0)
			uc_fail(cl, o->send_indications ? "CreatePermission" : "ChannelBind", ret);
		return;
	case UC_PERMIT:
		if (result != 0) {
			uc_fail(cl, o->send_indications ? "CreatePermission" : "ChannelBind",
				result);
			return;
		}
		cl->perm_refresh_us = now + UC_PERM_REFRESH_US;
		cl->state = UC_SEND;
		cl->next_send_us = now;
		if (!uc_stats.first_send_us)
			uc_stats.first_send_us = now;
		return;
	case UC_SEND:
	case UC_DRAIN:
	case UC_HOLD:
		cl->maintenance = false;
		if (result != 0)
			uc_fail(cl, "refresh", result);
		return;
	case UC_DELETE:
		/* 437: the allocation is already gone, which is what we wanted */
		if (result != 0 && result != TURN_ERR_ALLOCATION_MISMATCH) {
			uc_fail(cl, "Refresh(0)", result);
			uc_stats.delete_failed++;
		}
		cl->state = UC_DONE;
		return;
	default:
		return;
	}
}

/* --rtp: an RTP header (RFC 3550 §5.1: V=2, PT 0 PCMU, 160 samples a message). */
static void uc_rtp_header(uint8_t *msg, uint32_t id, uint32_t seq)
{
	msg[0] = 0x80;
	msg[1] = 0;
	msg[2] = (uint8_t)(seq >> 8);
	msg[3] = (uint8_t)seq;
	wire_put32(msg + 4, seq * 160u);
	wire_put32(msg + 8, id + 1);
}

static void uc_send_due(struct uc_client *cl, const struct uc_opts *o, uint8_t *msg, uint64_t now)
{
	for (int burst = 0; burst < UC_BURST_MAX && cl->state == UC_SEND; burst++) {
		int ret;

		if (cl->next_send_us > now + UC_EARLY_SEND_US)
			return;
		if (o->rtp)
			uc_rtp_header(msg, cl->id, (uint32_t)cl->sent);
		uc_msg_fill(msg + (o->rtp ? UC_RTP_LEN : 0),
			    (size_t)o->msg_len - (o->rtp ? UC_RTP_LEN : 0), cl->id,
			    (uint32_t)cl->sent, turnc_now_us());
		if (o->send_indications)
			ret = turnc_send_indication(&cl->c, (const struct sockaddr *)&o->peer, msg,
						    (size_t)o->msg_len);
		else
			ret = turnc_send_channel(&cl->c, cl->channel, msg, (size_t)o->msg_len);
		cl->sent++;
		uc_stats.sent++;
		if (ret < 0) {
			cl->send_errors++;
			uc_stats.send_errors++;
			/* a stream that failed mid-frame is unusable */
			if (o->tcp) {
				uc_fail(cl, "send", ret);
				return;
			}
		}
		cl->next_send_us += (uint64_t)o->interval_us;
		if (cl->sent == o->messages) {
			cl->state = UC_DRAIN;
			cl->drain_until_us = now + (uint64_t)o->timeout_s * 1000000u;
		}
	}
}

/* An echo from the peer: match it to a sent message and time it. */
static void uc_on_data(struct uc_client *cl, const struct uc_opts *o, const struct turnc_event *ev,
		       uint64_t now)
{
	uint32_t seq;
	uint64_t sent_us;
	const uint8_t *data = ev->data + (o->rtp ? UC_RTP_LEN : 0);

	if (ev->channel ? ev->channel != cl->channel
			: !addr_equal((const struct sockaddr *)&ev->peer,
				      (const struct sockaddr *)&o->peer)) {
		uc_stats.foreign++;
		return;
	}
	if (ev->len != (size_t)o->msg_len ||
	    uc_msg_check(data, ev->len - (o->rtp ? UC_RTP_LEN : 0), cl->id, (uint32_t)cl->sent,
			 now, &seq, &sent_us) < 0) {
		uc_stats.corrupt++;
		return;
	}
	if (cl->seen[seq / 8] & (1u << (seq % 8))) {
		uc_stats.duplicates++;
		return;
	}
	cl->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	cl->received++;
	uc_stats_echo(&uc_stats, &cl->rtt, ev->len, (double)(now - sent_us) / 1000.0, now);
}

/* An ICMP error for a message sent to the peer (RFC 8656 §11.5): the first few shown. */
static void uc_on_icmp(const struct turnc_event *ev)
{
	char peer[ADDR_STRLEN];

	if (uc_stats.icmp++ < UC_ICMP_SHOWN)
		printf("icmp: peer %s type %u code %u error data %u\n",
		       addr_str((const struct sockaddr *)&ev->peer, peer, sizeof(peer)),
		       ev->icmp.type, ev->icmp.code, ev->icmp.error_data);
}

static void uc_read(struct uc_client *cl, const struct uc_opts *o)
{
	struct turnc_event ev;

	for (int i = 0; i < UC_EVENTS_PER_ROUND; i++) {
		uint64_t now = turnc_now_us();

		switch (turnc_next_event(&cl->c, &ev, now)) {
		case TURNC_EV_NONE:
			return;
		case TURNC_EV_TXN:
			uc_on_txn(cl, o, now);
			break;
		case TURNC_EV_DATA:
			uc_on_data(cl, o, &ev, now);
			break;
		case TURNC_EV_ICMP:
			uc_on_icmp(&ev);
			break;
		case TURNC_EV_ERROR:
			uc_fail(cl, "connection", ev.error);
			return;
		}
		if (cl->state == UC_FAILED || cl->state == UC_DONE)
			return;
	}
}

/* Timers of one client: retransmissions, refreshes, sends, end of drain. */
static void uc_timers(struct uc_client *cl, const struct uc_opts *o, uint8_t *msg, uint64_t now)
{
	if (turnc_tick(&cl->c, now))
		uc_on_txn(cl, o, now);
	if (cl->state == UC_SEND || cl->state == UC_DRAIN || cl->state == UC_HOLD) {
		if (!turnc_txn_pending(&cl->c) && now >= cl->alloc_refresh_us) {
			int ret = turnc_start_refresh(&cl->c, cl->c.lifetime_s, now);
			cl->alloc_refresh_us =
			    now + (uint64_t)(cl->c.lifetime_s ? cl->c.lifetime_s : 600) * 500000u;
			cl->maintenance = ret == 0;
		} else if (!turnc_txn_pending(&cl->c) && now >= cl->perm_refresh_us) {
			int ret = uc_start_permit(cl, o, now);
			cl->perm_refresh_us = now + UC_PERM_REFRESH_US;
			cl->maintenance = ret == 0;
		}
	}
	if (cl->state == UC_SEND)
		uc_send_due(cl, o, msg, now);
	if (cl->state == UC_DRAIN && !cl->maintenance &&
	    (cl->received == cl->sent || now >= cl->drain_until_us)) {
		if (o->hold_s > 0) {
			cl->state = UC_HOLD;
			cl->hold_until_us = now + (uint64_t)o->hold_s * 1000000u;
		} else {
			uc_start_delete(cl, now);
		}
	}
	if (cl->state == UC_HOLD && !cl->maintenance && now >= cl->hold_until_us)
		uc_start_delete(cl, now);
}

/* Milliseconds until this client's next timer, -1 for none. */
static int uc_next_timeout(const struct uc_client *cl, uint64_t now)
{
	uint64_t at = UINT64_MAX;
	int t = turnc_timeout_ms(&cl->c, now);

	if (cl->state == UC_SEND)
		at = cl->next_send_us > now + UC_EARLY_SEND_US ? cl->next_send_us - UC_EARLY_SEND_US
							       : now;
	else if (cl->state == UC_DRAIN)
		at = cl->drain_until_us;
	else if (cl->state == UC_HOLD)
		at = cl->hold_until_us;
	if (cl->state == UC_SEND || cl->state == UC_DRAIN || cl->state == UC_HOLD) {
		uint64_t r = cl->alloc_refresh_us < cl->perm_refresh_us ? cl->alloc_refresh_us
									: cl->perm_refresh_us;
		at = r < at ? r : at;
	}
	if (at != UINT64_MAX) {
		int ms = at <= now ? 0 : (int)((at - now + 999) / 1000);

		if (t < 0 || ms < t)
			t = ms;
	}
	return t;
}

static void uc_report(const struct uc_opts *o, uint64_t start_us, uint64_t end_us)
{
	unsigned long long lost = uc_stats.sent - uc_stats.received;
	double loss_pct = uc_stats.sent ? 100.0 * (double)lost / (double)uc_stats.sent : 0.0;
	double data_s = 0.0, elapsed_s = (double)(end_us - start_us) / 1e6;

	if (uc_stats.first_send_us && uc_stats.last_recv_us > uc_stats.first_send_us)
		data_s = (double)(uc_stats.last_recv_us - uc_stats.first_send_us) / 1e6;
	printf("clients: %d (allocated %d, failed %d, failed later %d)\n", o->clients,
	       uc_stats.allocated, uc_stats.failed, uc_stats.broken);
	printf("messages sent: %llu (send errors %llu)\n", uc_stats.sent, uc_stats.send_errors);
	printf("messages received: %llu (duplicates %llu, corrupt %llu, foreign %llu)\n",
	       uc_stats.received, uc_stats.duplicates, uc_stats.corrupt, uc_stats.foreign);
	printf("lost: %llu (%.2f%%)\n", lost, loss_pct);
	if (uc_stats.icmp)
		printf("icmp errors: %llu\n", uc_stats.icmp);
	if (uc_stats.received) {
		printf("rtt ms: min %.3f avg %.3f max %.3f\n", uc_stats.rtt_min,
		       uc_stats.rtt_sum / (double)uc_stats.received, uc_stats.rtt_max);
		printf("jitter ms: %.3f\n",
		       uc_stats.jitter_n ? uc_stats.jitter_sum / (double)uc_stats.jitter_n : 0.0);
	} else {
		printf("rtt ms: none\njitter ms: none\n");
	}
	printf("throughput: %.0f bytes/s, %.1f packets/s\n",
	       data_s > 0 ? (double)uc_stats.bytes / data_s : 0.0,
	       data_s > 0 ? (double)uc_stats.received / data_s : 0.0);
	printf("elapsed s: %.3f\n", elapsed_s);
	if (uc_stats.delete_failed)
		printf("allocations not deleted: %d\n", uc_stats.delete_failed);
	if (o->tcp_relay)
		printf("tcp relay: Connect %d, ConnectionAttempt %d, ConnectionBind %d "
		       "(challenged %d)\n",
		       uc_stats.connects, uc_stats.attempts, uc_stats.binds,
		       uc_stats.binds_challenged);
}

/* Open every client's connection and send its Allocate. */
static int uc_start_clients(struct uc_client *cls, const struct uc_opts *o)
{
	size_t seen_len = ((size_t)o->messages + 7) / 8;

	for (int i = 0; i < o->clients; i++) {
		struct uc_client *cl = &cls[i];
		int ret;

		cl->id = (uint32_t)i;
		cl->channel = (uint16_t)(TURN_CHANNEL_MIN + i % 0x1000);
		cl->seen = calloc(1, seen_len);
		if (!cl->seen)
			return -1;
		ret = uc_open(&cl->c, o, o->has_local ? (const struct sockaddr *)&o->local : NULL);
		if (ret < 0) {
			char abuf[ADDR_STRLEN];

			fprintf(stderr, "client %d: connect to %s: %s\n", i,
				addr_str((const struct sockaddr *)&o->server, abuf, sizeof(abuf)),
				strerror(-ret));
			cl->state = UC_FAILED;
			uc_stats.failed++;
			continue;
		}
		cl->opened = true;
		cl->c.verbose = o->verbose > 1;
		if (o->user && turnc_set_auth(&cl->c, o->user, o->pass, o->realm) < 0) {
			fprintf(stderr, "turnutils_uclient: user, password or realm too long\n");
			return -1;
		}
		cl->state = UC_ALLOCATE;
		ret = turnc_start_allocate(&cl->c, &o->alloc, turnc_now_us());
		if (ret < 0)
			uc_fail(cl, "Allocate", ret);
	}
	return 0;
}

/* --hold: say once that every allocation still alive is being held. */
static void uc_check_held(const struct uc_client *cls, const struct uc_opts *o, bool *printed)
{
	int held = 0;

	if (*printed || o->hold_s == 0)
		return;
	for (int i = 0; i < o->clients; i++) {
		if (cls[i].state < UC_HOLD)
			return;
		if (cls[i].state == UC_HOLD)
			held++;
	}
	if (held == 0)
		return;
	printf("holding: %d allocations\n", held);
	fflush(stdout);
	*printed = true;
}

static void uc_run(struct uc_client *cls, const struct uc_opts *o, uint8_t *msg,
		   struct pollfd *pfds, int *idx, uint64_t deadline)
{
	bool held_printed = false;

	for (;;) {
		uint64_t now = turnc_now_us();
		int nfds = 0, timeout = -1, n;

		for (int i = 0; i < o->clients; i++) {
			struct uc_client *cl = &cls[i];
			int t;

			if (cl->state == UC_DONE || cl->state == UC_FAILED)
				continue;
			pfds[nfds].fd = turnc_fd(&cl->c);
			pfds[nfds].events = POLLIN;
			pfds[nfds].revents = 0;
			idx[nfds++] = i;
			t = turnc_buffered(&cl->c) ? 0 : uc_next_timeout(cl, now);
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		if (nfds == 0)
			return;
		if (now >= deadline) {
			fprintf(stderr, "turnutils_uclient: giving up: %d clients unfinished\n",
				nfds);
			for (int i = 0; i < nfds; i++) {
				if (cls[idx[i]].state < UC_SEND)
					uc_stats.failed++;
			}
			return;
		}
		if (timeout < 0 || (uint64_t)timeout * 1000u > deadline - now)
			timeout = (int)((deadline - now) / 1000u) + 1;
		n = poll(pfds, (nfds_t)nfds, timeout);
		if (n < 0 && errno != EINTR) {
			perror("turnutils_uclient: poll");
			return;
		}
		for (int i = 0; i < nfds; i++) {
			if (pfds[i].revents || turnc_buffered(&cls[idx[i]].c))
				uc_read(&cls[idx[i]], o);
		}
		now = turnc_now_us();
		for (int i = 0; i < nfds; i++) {
			struct uc_client *cl = &cls[idx[i]];

			if (cl->state != UC_DONE && cl->state != UC_FAILED)
				uc_timers(cl, o, msg, now);
		}
		uc_check_held(cls, o, &held_printed);
	}
}

/* --alloc-rate: counters of the allocate/delete cycles. */
struct uc_rate {
	unsigned long long cycles;	   /* allocated and deleted within the window */
	unsigned long long late;	   /* finished after the window */
	unsigned long long failed;	   /* Allocate failed, or the socket did */
	unsigned long long delete_failed; /* Refresh(0) failed */
	unsigned long long sockets;	   /* sockets opened, for --rotate-local */
	unsigned handshakes;		   /* TLS handshakes under way */
	unsigned handshakes_max;	   /* ... at most at once */
};

#define UC_ROTATE_PORT_MIN 10000
#define UC_ROTATE_PORTS 50000
#define UC_ROTATE_TRIES 64

/* --rotate-local: the local address of socket k. */
static void uc_rotate_addr(const struct uc_opts *o, unsigned long long k,
			   struct sockaddr_storage *out)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	uint32_t a;

	memcpy(out, &o->local, sizeof(*out));
	a = ntohl(sin->sin_addr.s_addr) + (uint32_t)(k % (unsigned)o->rotate_local);
	sin->sin_addr.s_addr = htonl(a);
	sin->sin_port =
	    htons((uint16_t)(UC_ROTATE_PORT_MIN + (k / (unsigned)o->rotate_local) % UC_ROTATE_PORTS));
}

/*
 * --rotate-local over plain UDP: each slot keeps one socket for the whole
 * run and sends each allocation's requests from the next address of the
 * range (turnc_open_sourced()), so the 5-tuple is new every cycle without a
 * socket, bind, connect and close per cycle (a fifth of the client's CPU
 * time per allocation, docs/BENCHMARKS.md).
 */
static bool uc_rate_sourced(const struct uc_opts *o)
{
	return o->rotate_local && !o->tcp && !o->secure && o->local.ss_family == AF_INET &&
	       o->server.ss_family == AF_INET;
}

static void uc_rate_close(struct uc_client *cl)
{
	turnc_close(&cl->c); /* which takes the socket out of the epoll set */
	cl->ep_fd = -1;
	cl->opened = false;
	cl->state = UC_DONE;
}

/* Slot cl's connection is ready (its handshake complete): its first, unauthenticated Allocate. */
static int uc_rate_allocate(struct uc_client *cl, const struct uc_opts *o, uint64_t now)
{
	cl->c.verbose = o->verbose > 1;
	if (o->user && turnc_set_auth(&cl->c, o->user, o->pass, o->realm) < 0)
		return -EINVAL;
	cl->state = UC_ALLOCATE;
	return turnc_start_allocate(&cl->c, &o->alloc, now);
}

/*
 * The TLS handshake of slot cl one step on, without waiting: the slots'
 * handshakes run side by side, as their transactions do (a blocking one
 * would leave the server one handshake at a time from this client).
 * 0 (under way, or done and the Allocate sent), or -errno.
 */
static int uc_rate_handshake(struct uc_client *cl, const struct uc_opts *o, struct uc_rate *r,
			     uint64_t now)
{
	int ret = turnc_tls_step(&cl->c, &cl->tls_events);

	if (ret == -EAGAIN && now < cl->handshake_until_us)
		return 0;
	cl->state = UC_DONE; /* the handshake is over, either way */
	r->handshakes--;
	if (ret == -EAGAIN)
		return -ETIMEDOUT;
	if (ret < 0)
		return -ECONNABORTED;
	return uc_rate_allocate(cl, o, now);
}

/*
 * Open a new socket for slot cl and send its first (unauthenticated)
 * Allocate; over TLS, start the handshake, which uc_rate_run() moves on.
 */
static int uc_rate_start(struct uc_client *cl, const struct uc_opts *o, struct uc_rate *r,
			 uint64_t now)
{
	struct sockaddr_storage local;
	bool handshake = false;
	int ret = -EADDRINUSE;

	if (uc_rate_sourced(o)) {
		/* the slot's socket stays; each allocation comes from the next address */
		ret = cl->opened ? 0 : turnc_open_sourced(&cl->c, (const struct sockaddr *)&o->server);
		if (ret == 0) {
			cl->opened = true;
			uc_rotate_addr(o, cl->cycles++, &local);
			ret = turnc_set_source(&cl->c, (const struct sockaddr *)&local);
		}
		if (ret == 0)
			ret = uc_rate_allocate(cl, o, now);
		if (ret < 0)
			uc_rate_close(cl);
		return ret;
	}
	for (int t = 0; ret == -EADDRINUSE && t < UC_ROTATE_TRIES; t++) {
		if (o->rotate_local)
			uc_rotate_addr(o, r->sockets++, &local);
		else if (o->has_local)
			local = o->local;
		/* DTLS needs its retransmission timer: that handshake blocks */
		if (o->secure && o->tcp)
			ret = uc_open_begin(&cl->c, o,
					    o->has_local ? (const struct sockaddr *)&local : NULL,
					    &handshake);
		else
			ret = uc_open(&cl->c, o,
				      o->has_local ? (const struct sockaddr *)&local : NULL);
		if (!o->rotate_local)
			break;
	}
	if (ret < 0)
		return ret;
	cl->opened = true;
	if (handshake) {
		cl->state = UC_HANDSHAKE;
		cl->handshake_until_us = now + UC_CONNECT_TIMEOUT_MS * 1000ULL;
		if (++r->handshakes > r->handshakes_max)
			r->handshakes_max = r->handshakes;
		ret = uc_rate_handshake(cl, o, r, now);
	} else {
		ret = uc_rate_allocate(cl, o, now);
	}
	if (ret < 0) {
		uc_rate_close(cl);
		return ret;
	}
	return 0;
}

static void uc_rate_note(struct uc_rate *r, const struct uc_client *cl, const char *what,
			 int result)
{
	char rbuf[160];

	if (r->failed + r->delete_failed < 5)
		fprintf(stderr, "slot %u: %s: %s\n", cl->id, what,
			turnc_strresult(result, rbuf, sizeof(rbuf)));
}

/* The slot's cycle ended (either way): close, and start the next one in the window. */
static void uc_rate_next(struct uc_client *cl, const struct uc_opts *o, struct uc_rate *r,
			 uint64_t now, uint64_t end)
{
	int ret;

	if (!uc_rate_sourced(o) || now >= end)
		uc_rate_close(cl);
	cl->state = UC_DONE;
	if (now >= end)
		return;
	ret = uc_rate_start(cl, o, r, now);
	if (ret < 0) {
		uc_rate_note(r, cl, "open/Allocate", ret);
		r->failed++;
	}
}

static void uc_rate_on_txn(struct uc_client *cl, const struct uc_opts *o, struct uc_rate *r,
			   uint64_t now, uint64_t end)
{
	int result = turnc_txn_result(&cl->c);

	if (cl->state == UC_ALLOCATE) {
		if (result == 0 && turnc_start_refresh(&cl->c, 0, now) == 0) {
			cl->state = UC_DELETE;
			return;
		}
		uc_rate_note(r, cl, "Allocate", result);
		r->failed++;
	} else if (result != 0 && result != TURN_ERR_ALLOCATION_MISMATCH) {
		uc_rate_note(r, cl, "Refresh(0)", result);
		r->delete_failed++;
	} else if (now <= end) {
		r->cycles++;
	} else {
		r->late++;
	}
	uc_rate_next(cl, o, r, now, end);
}

/*
 * The slot's socket in the epoll set ep, waiting for what its state needs;
 * epoll_ctl() only when that changed (a new socket, or a TLS handshake
 * waiting for the other direction). 0 or -1.
 */
static int uc_rate_watch(int ep, struct uc_client *cl)
{
	int fd = turnc_fd(&cl->c);
	uint32_t want = cl->state == UC_HANDSHAKE ? (uint32_t)(unsigned short)cl->tls_events
						  : EPOLLIN;
	struct epoll_event ev = {.events = want, .data.u32 = cl->id};

	if (cl->ep_fd == fd && cl->ep_events == want)
		return 0;
	if (epoll_ctl(ep, cl->ep_fd == fd ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	cl->ep_fd = fd;
	cl->ep_events = want;
	return 0;
}

/* One slot after a wake-up (ready: its epoll events, 0 for none). */
static void uc_rate_serve(struct uc_client *cl, const struct uc_opts *o, struct uc_rate *r,
			  uint32_t ready, uint64_t end)
{
	uint64_t now = turnc_now_us();
	struct turnc_event ev;
	bool more;

	if (cl->state == UC_HANDSHAKE) {
		int hs;

		if (!ready && now < cl->handshake_until_us)
			return;
		hs = uc_rate_handshake(cl, o, r, now);
		if (hs < 0) {
			uc_rate_note(r, cl, "TLS handshake", hs);
			r->failed++;
			uc_rate_next(cl, o, r, now, end);
		}
		return;
	}
	more = ready || turnc_buffered(&cl->c);
	for (int k = 0; more && k < UC_EVENTS_PER_ROUND; k++) {
		now = turnc_now_us();
		switch (turnc_next_event(&cl->c, &ev, now)) {
		case TURNC_EV_NONE:
			more = false;
			break;
		case TURNC_EV_TXN:
			uc_rate_on_txn(cl, o, r, now, end);
			more = false; /* a new socket, or none */
			break;
		case TURNC_EV_DATA:
		case TURNC_EV_ICMP:
			break;
		case TURNC_EV_ERROR:
			uc_rate_note(r, cl, "connection", ev.error);
			r->failed++;
			uc_rate_next(cl, o, r, now, end);
			more = false;
			break;
		}
	}
	if (cl->opened && turnc_timeout_ms(&cl->c, now) == 0 && turnc_tick(&cl->c, now))
		uc_rate_on_txn(cl, o, r, now, end);
}

/*
 * --alloc-rate: -m slots cycle allocate/delete until the window ends. One
 * epoll set for the slots' sockets (a poll() of all of them per wake-up was
 * an eighth of the client's CPU time with 64 slots).
 */
static int uc_rate_run(const struct uc_opts *o)
{
	struct uc_client *cls = calloc((size_t)o->clients, sizeof(*cls));
	struct epoll_event *evs = calloc((size_t)o->clients, sizeof(*evs));
	uint32_t *ready = calloc((size_t)o->clients, sizeof(*ready));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct uc_rate r = {0};
	uint64_t start = turnc_now_us(), end, deadline;
	int ret = EXIT_SETUP_FAILED;

	if (!cls || !evs || !ready || ep < 0) {
		fprintf(stderr, "turnutils_uclient: out of memory\n");
		goto out;
	}
	end = start + (uint64_t)o->alloc_rate_s * 1000000u;
	deadline = end + UC_CONNECT_TIMEOUT_MS * 1000ULL + 40ULL * 1000000u;
	for (int i = 0; i < o->clients; i++) {
		cls[i].id = (uint32_t)i;
		cls[i].state = UC_DONE;
		cls[i].ep_fd = -1;
		if (uc_rate_start(&cls[i], o, &r, turnc_now_us()) < 0) {
			fprintf(stderr, "turnutils_uclient: cannot start slot %d\n", i);
			r.failed++;
		}
	}
	for (;;) {
		uint64_t now = turnc_now_us();
		int nfds = 0, timeout = -1, n;

		for (int i = 0; i < o->clients; i++) {
			int t;

			if (!cls[i].opened)
				continue;
			nfds++;
			if (uc_rate_watch(ep, &cls[i]) < 0) {
				perror("turnutils_uclient: epoll_ctl");
				goto report;
			}
			if (cls[i].state == UC_HANDSHAKE)
				t = cls[i].handshake_until_us > now
					? (int)((cls[i].handshake_until_us - now + 999) / 1000)
					: 0;
			else
				t = turnc_buffered(&cls[i].c) ? 0 : turnc_timeout_ms(&cls[i].c, now);
			if (t >= 0 && (timeout < 0 || t < timeout))
				timeout = t;
		}
		if (nfds == 0)
			break;
		if (now >= deadline) {
			fprintf(stderr, "turnutils_uclient: giving up: %d slots unfinished\n", nfds);
			r.failed += (unsigned long long)nfds;
			break;
		}
		if (timeout < 0 || (uint64_t)timeout * 1000u > deadline - now)
			timeout = (int)((deadline - now) / 1000u) + 1;
		n = epoll_wait(ep, evs, o->clients, timeout);
		if (n < 0 && errno != EINTR) {
			perror("turnutils_uclient: epoll_wait");
			break;
		}
		for (int k = 0; k < n; k++)
			ready[evs[k].data.u32] = evs[k].events;
		for (int i = 0; i < o->clients; i++) {
			if (cls[i].opened)
				uc_rate_serve(&cls[i], o, &r, ready[i], end);
			ready[i] = 0;
		}
	}
report:
	printf("alloc-rate: %d in flight, %.3f s: %llu allocations (failed %llu, delete failed "
	       "%llu, finished late %llu)\n",
	       o->clients, (double)o->alloc_rate_s, r.cycles, r.failed, r.delete_failed, r.late);
	printf("allocations/s: %.1f\n", (double)r.cycles / (double)o->alloc_rate_s);
	if (o->secure && o->tcp)
		printf("TLS handshakes side by side: at most %u\n", r.handshakes_max);
	ret = r.failed || r.delete_failed ? EXIT_SETUP_FAILED : 0;
out:
	for (int i = 0; cls && i < o->clients; i++) {
		if (cls[i].opened)
			turnc_close(&cls[i].c);
	}
	if (ep >= 0)
		close(ep);
	free(cls);
	free(evs);
	free(ready);
	return ret;
}

static int uc_exit_status(const struct uc_opts *o)
{
	double loss_pct =
	    uc_stats.sent ? 100.0 * (double)(uc_stats.sent - uc_stats.received) / (double)uc_stats.sent
			  : 0.0;

	if (uc_stats.failed || uc_stats.broken || uc_stats.allocated < o->clients)
		return EXIT_SETUP_FAILED;
	return loss_pct > o->loss_threshold ? EXIT_LOSS : 0;
}

/* Everything after the options: the mode o asks for; the exit status. */
static int uc_main(const struct uc_opts *o)
{
	struct uc_client *cls = NULL;
	struct pollfd *pfds = NULL;
	int *idx = NULL;
	uint8_t *msg = NULL;
	uint64_t start, deadline;
	int ret = EXIT_SETUP_FAILED;

	if (o->alloc_rate_s)
		return uc_rate_run(o);
	if (o->tcp_relay) {
		start = turnc_now_us();
		if (uc_tcprelay_run(o, &uc_stats) < 0)
			return EXIT_SETUP_FAILED;
		uc_report(o, start, turnc_now_us());
		return uc_exit_status(o);
	}
	cls = calloc((size_t)o->clients, sizeof(*cls));
	pfds = calloc((size_t)o->clients, sizeof(*pfds));
	idx = calloc((size_t)o->clients, sizeof(*idx));
	msg = malloc((size_t)o->msg_len);
	if (!cls || !pfds || !idx || !msg) {
		fprintf(stderr, "turnutils_uclient: out of memory\n");
		goto fail;
	}
	start = turnc_now_us();
	if (uc_start_clients(cls, o) < 0)
		goto fail;
	deadline = start + UC_SETUP_BUDGET_US +
		   (uint64_t)o->messages * (uint64_t)o->interval_us +
		   (uint64_t)o->timeout_s * 1000000u + (uint64_t)o->hold_s * 1000000u;
	uc_run(cls, o, msg, pfds, idx, deadline);
	uc_report(o, start, turnc_now_us());

	ret = uc_exit_status(o);
fail:
	for (int i = 0; cls && i < o->clients; i++) {
		if (cls[i].opened)
			turnc_close(&cls[i].c);
		free(cls[i].seen);
	}
	free(cls);
	free(pfds);
	free(idx);
	free(msg);
	return ret;
}

int main(int argc, char **argv)
{
	struct uc_opts o;
	int ret;

	if (version_requested(argc, argv))
		return version_print("turnutils_uclient");
	if (uc_parse_opts(argc, argv, &o) < 0)
		return EXIT_USAGE;
	if (uc_resolve(&o) < 0)
		return EXIT_USAGE;
	uc_raise_fd_limit(o.clients);
	/* a connection the server closed is an error of that client, not the end of all */
	signal(SIGPIPE, SIG_IGN);
	if (o.secure) {
		/* one client context for every connection: making one costs more than a handshake */
		o.tls_ctx = turnc_tls_ctx_new(o.tcp, o.ca_file, &ret);
		if (!o.tls_ctx) {
			fprintf(stderr, "turnutils_uclient: %s: %s\n", o.ca_file ? o.ca_file : "TLS",
				strerror(-ret));
			return EXIT_SETUP_FAILED;
		}
	}
	ret = uc_main(&o);
	turnc_tls_ctx_free(o.tls_ctx);
	return ret;
}
