/*
 * turnutils_relayctl - look at and drive the turnrelay kernel module: is
 * this stream forwarded in the kernel, and how much has it carried?
 *
 *   turnutils_relayctl version            module version, ABI, features, counters
 *   turnutils_relayctl list [-j] [ADDR]   entries with their counters (-j: JSON);
 *                                         ADDR (ip or ip:port) keeps the entries
 *                                         with a leg on or from it
 *   turnutils_relayctl add [-w SECONDS] KIND ID ARGS... [OPTION=VALUE...]
 *       channel ID LISTEN CLIENT CHANNEL RELAY PEER   TURN channel
 *       udp     ID LOCAL_A SOURCE_A LOCAL_B SOURCE_B  anchored media
 *       joined  ID LISTEN CLIENT CHANNEL LOCAL_B SOURCE_B
 *                                         TURN client joined to an anchor leg
 *       options: dest1= dest2= (send there, not to the leg's remote),
 *                flags1= flags2= (stun,dtls,events), idle=MS
 *     Entries live as long as the socket that added them: add holds them
 *     for SECONDS (default: until SIGINT or SIGTERM), then exits.
 *   turnutils_relayctl del ID             delete one entry
 *   turnutils_relayctl flush              delete every entry of this netns
 *   turnutils_relayctl events [-n N]      print events until interrupted, or N
 *
 * Exit status: 0, 1 on an error (module not loaded, refused request), 64 on
 * a usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/addr.h"
#include "common/clock.h"
#include "common/version.h"
#include "offload/relay_offload.h"

#define EXIT_USAGE 64

static volatile sig_atomic_t relayctl_stop;

static void relayctl_on_signal(int sig)
{
	(void)sig;
	relayctl_stop = 1;
}

static void relayctl_usage(FILE *f)
{
	fprintf(f, "Usage: turnutils_relayctl COMMAND [ARGS]\n"
		   "Commands:\n"
		   "\tversion\t\t\tmodule version, ABI, features and counters\n"
		   "\tlist [-j] [ADDR]\tentries with counters (-j: JSON; ADDR: only those\n"
		   "\t\t\t\twith a leg on or from ip[:port])\n"
		   "\tadd [-w SECONDS] channel ID LISTEN CLIENT CHANNEL RELAY PEER\n"
		   "\tadd [-w SECONDS] udp ID LOCAL_A SOURCE_A LOCAL_B SOURCE_B\n"
		   "\tadd [-w SECONDS] joined ID LISTEN CLIENT CHANNEL LOCAL_B SOURCE_B\n"
		   "\t\t\t\tthen dest1= dest2= flags1= flags2= (stun,dtls,events)\n"
		   "\t\t\t\tidle=MS; the entry lives while add runs (SECONDS,\n"
		   "\t\t\t\tdefault until interrupted)\n"
		   "\tdel ID\t\t\tdelete one entry\n"
		   "\tflush\t\t\tdelete every entry of this network namespace\n"
		   "\tevents [-n N]\t\tprint events until interrupted or N were seen\n");
}

static int relayctl_number(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	if (*s == '-' || *s == '\0')
		return -1;
	v = strtoull(s, &end, 0);
	if (errno || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int relayctl_open(struct relay_offload **ro)
{
	char err[RELAY_OFFLOAD_ERRLEN];

	if (relay_offload_open(ro, err, sizeof(err)) < 0) {
		fprintf(stderr, "turnutils_relayctl: %s\n", err);
		return -1;
	}
	return 0;
}

static const char *relayctl_features(uint64_t f, char *buf, size_t len)
{
	static const struct {
		uint64_t bit;
		const char *name;
	} names[] = {
	    {TURNRELAY_FEATURE_IPV4, "ipv4"},
	    {TURNRELAY_FEATURE_IPV6, "ipv6"},
	    {TURNRELAY_FEATURE_CHANNELDATA, "channeldata"},
	    {TURNRELAY_FEATURE_EVENT_IDLE, "event-idle"},
	    {TURNRELAY_FEATURE_EVENT_SOURCE, "event-source"},
	    {TURNRELAY_FEATURE_FORWARD_STUN_DTLS, "forward-stun-dtls"},
	    {TURNRELAY_FEATURE_PASS_RTCP, "pass-rtcp"},
	    {TURNRELAY_FEATURE_DEL_COUNTERS, "del-counters"},
	};
	size_t i, off = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(f & names[i].bit))
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%s",
					off ? " " : "", names[i].name);
		f &= ~names[i].bit;
	}
	if (f)
		snprintf(buf + off, off < len ? len - off : 0, "%sunknown:0x%" PRIx64,
			 off ? " " : "", f);
	return buf;
}

static int relayctl_version(void)
{
	const struct relay_stats *s;
	struct relay_offload *ro;
	struct relay_info info;
	char feat[256];

	if (relayctl_open(&ro) < 0)
		return 1;
	info = *relay_offload_info(ro);
	s = &info.stats;
	printf("module turnrelay %s, ABI %u (this tool: ABI %u)\n",
	       info.version[0] ? info.version : "(no version)", info.abi_version,
	       RELAY_OFFLOAD_ABI_VERSION);
	printf("features: %s\n", relayctl_features(info.features, feat, sizeof(feat)));
	printf("entries: %u of %u\n", info.entries, info.max_entries);
	printf("forwarded: %" PRIu64 "\n", s->forwarded);
	printf("left to userspace: stun %" PRIu64 ", dtls %" PRIu64 ", short %" PRIu64
	       ", malformed %" PRIu64 ", channel without entry %" PRIu64 ", no entry %" PRIu64
	       ", bad checksum %" PRIu64 ", unsupported %" PRIu64 ", no route %" PRIu64
	       ", too big %" PRIu64 ", rtcp %" PRIu64 "\n",
	       s->pass_stun, s->pass_dtls, s->pass_short, s->pass_malformed,
	       s->pass_channel_no_entry, s->pass_no_entry, s->pass_bad_checksum,
	       s->pass_unsupported, s->pass_no_route, s->pass_too_big, s->pass_rtcp);
	printf("tx errors: %" PRIu64 ", events: %" PRIu64 " (lost %" PRIu64 ")\n", s->tx_errors,
	       s->events, s->events_lost);
	relay_offload_close(ro);
	return 0;
}

struct relayctl_list {
	bool json;
	bool filter;
	bool filter_port;
	struct sockaddr_storage addr;
	unsigned int count;
	uint64_t now_ns;
};

static bool relayctl_leg_matches(const struct relayctl_list *l, const struct relay_leg *leg)
{
	const struct sockaddr *a = (const struct sockaddr *)&l->addr;
	const struct sockaddr *cand[3] = {
	    (const struct sockaddr *)&leg->local,
	    (const struct sockaddr *)&leg->remote,
	    (const struct sockaddr *)&leg->dest,
	};
	int i;

	for (i = 0; i < 3; i++)
		if (addr_cmp_ip_port(a, cand[i], l->filter_port))
			return true;
	return false;
}

static void relayctl_print_leg(const struct relayctl_list *l, int n, const struct relay_leg *leg)
{
	char local[ADDR_STRLEN], remote[ADDR_STRLEN], dest[ADDR_STRLEN];

	addr_str((const struct sockaddr *)&leg->local, local, sizeof(local));
	addr_str((const struct sockaddr *)&leg->remote, remote, sizeof(remote));
	if (l->json) {
		printf("%s{\"local\":\"%s\",\"remote\":\"%s\"", n == 2 ? "," : "", local, remote);
		if (leg->dest.ss_family)
			printf(",\"dest\":\"%s\"",
			       addr_str((const struct sockaddr *)&leg->dest, dest, sizeof(dest)));
		printf(",\"channel\":%u,\"flags\":%u,\"packets\":%" PRIu64 ",\"bytes\":%" PRIu64
		       ",\"errors\":%" PRIu64 ",\"last_seen_ns\":%" PRIu64 "}",
		       leg->channel, leg->flags, leg->packets, leg->bytes, leg->errors,
		       leg->last_seen_ns);
		return;
	}
	printf("  leg%d %s <- %s", n, local, remote);
	if (leg->channel)
		printf(" ChannelData 0x%04x", leg->channel);
	else
		printf(" UDP");
	if (leg->dest.ss_family &&
	    !addr_equal((const struct sockaddr *)&leg->dest, (const struct sockaddr *)&leg->remote))
		printf(", sends to %s",
		       addr_str((const struct sockaddr *)&leg->dest, dest, sizeof(dest)));
	printf("\n       in: %" PRIu64 " packets, %" PRIu64 " bytes; out errors %" PRIu64 "; last ",
	       leg->packets, leg->bytes, leg->errors);
	if (leg->last_seen_ns == 0)
		printf("never\n");
	else if (l->now_ns >= leg->last_seen_ns)
		printf("%.1f s ago\n", (double)(l->now_ns - leg->last_seen_ns) / 1e9);
	else
		printf("just now\n");
}

static int relayctl_on_entry(const struct relay_entry *e, void *arg)
{
	struct relayctl_list *l = arg;

	if (l->filter && !relayctl_leg_matches(l, &e->leg[0]) &&
	    !relayctl_leg_matches(l, &e->leg[1]))
		return 0;
	if (l->json) {
		printf("%s{\"id\":%" PRIu64 ",\"idle_timeout_ms\":%u,\"owner\":%u,\"legs\":[",
		       l->count ? "," : "", e->id, e->idle_timeout_ms, e->owner);
		relayctl_print_leg(l, 1, &e->leg[0]);
		relayctl_print_leg(l, 2, &e->leg[1]);
		printf("]}");
	} else {
		printf("entry %" PRIu64 " (owner port %u", e->id, e->owner);
		if (e->idle_timeout_ms)
			printf(", idle timeout %u ms", e->idle_timeout_ms);
		printf(")\n");
		relayctl_print_leg(l, 1, &e->leg[0]);
		relayctl_print_leg(l, 2, &e->leg[1]);
	}
	l->count++;
	return 0;
}

static int relayctl_list(int argc, char **argv)
{
	struct relayctl_list l;
	struct relay_offload *ro;
	int opt, ret;

	memset(&l, 0, sizeof(l));
	optind = 1;
	while ((opt = getopt(argc, argv, "j")) != -1) {
		if (opt != 'j') {
			relayctl_usage(stderr);
			return EXIT_USAGE;
		}
		l.json = true;
	}
	if (optind < argc) {
		if (optind + 1 != argc || addr_parse(argv[optind], 0, &l.addr, NULL) < 0) {
			fprintf(stderr, "turnutils_relayctl: list: bad address %s\n", argv[optind]);
			return EXIT_USAGE;
		}
		l.filter = true;
		l.filter_port = addr_port((struct sockaddr *)&l.addr) != 0;
	}
	l.now_ns = clock_ns();
	if (relayctl_open(&ro) < 0)
		return 1;
	if (l.json)
		printf("{\"entries\":[");
	ret = relay_offload_dump(ro, relayctl_on_entry, &l);
	if (l.json)
		printf("]}\n");
	else if (ret == 0 && l.count == 0)
		printf("no entries%s\n", l.filter ? " for that address" : "");
	if (ret < 0)
		fprintf(stderr, "turnutils_relayctl: %s\n", relay_offload_error(ro));
	relay_offload_close(ro);
	return ret < 0 ? 1 : 0;
}

static int relayctl_addr(const char *s, struct sockaddr_storage *out)
{
	if (addr_parse(s, 0, out, NULL) < 0 || addr_port((struct sockaddr *)out) == 0) {
		fprintf(stderr, "turnutils_relayctl: bad address %s (want ip:port)\n", s);
		return -1;
	}
	return 0;
}

static int relayctl_flags(const char *s, uint32_t *out)
{
	char buf[64], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", s);
	*out = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "stun") == 0)
			*out |= TURNRELAY_LEG_F_FORWARD_STUN;
		else if (strcmp(tok, "dtls") == 0)
			*out |= TURNRELAY_LEG_F_FORWARD_DTLS;
		else if (strcmp(tok, "events") == 0)
			*out |= TURNRELAY_LEG_F_SOURCE_EVENTS;
		else
			return -1;
	}
	return 0;
}

/* dest1= dest2= flags1= flags2= idle= after the positional arguments */
static int relayctl_add_option(const char *s, struct relay_entry *e)
{
	const char *v = strchr(s, '=');
	uint64_t n;

	if (!v)
		return -1;
	v++;
	if (strncmp(s, "dest1=", 6) == 0)
		return relayctl_addr(v, &e->leg[0].dest);
	if (strncmp(s, "dest2=", 6) == 0)
		return relayctl_addr(v, &e->leg[1].dest);
	if (strncmp(s, "flags1=", 7) == 0)
		return relayctl_flags(v, &e->leg[0].flags);
	if (strncmp(s, "flags2=", 7) == 0)
		return relayctl_flags(v, &e->leg[1].flags);
	if (strncmp(s, "idle=", 5) == 0 && relayctl_number(v, 0, UINT32_MAX, &n) == 0) {
		e->idle_timeout_ms = (uint32_t)n;
		return 0;
	}
	return -1;
}

static int relayctl_add(int argc, char **argv)
{
	struct relay_offload *ro;
	struct relay_entry e;
	uint64_t n, hold_s = 0;
	int opt, i, npos;
	const char *kind;
	char **a;

	optind = 1;
	while ((opt = getopt(argc, argv, "+w:")) != -1) {
		if (opt != 'w' || relayctl_number(optarg, 1, 86400, &hold_s) < 0) {
			relayctl_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind + 2 > argc) {
		relayctl_usage(stderr);
		return EXIT_USAGE;
	}
	memset(&e, 0, sizeof(e));
	kind = argv[optind];
	a = argv + optind + 2;
	npos = strcmp(kind, "udp") == 0 ? 4 : 5;
	if ((strcmp(kind, "channel") != 0 && strcmp(kind, "udp") != 0 &&
	     strcmp(kind, "joined") != 0) ||
	    argc - optind - 2 < npos) {
		relayctl_usage(stderr);
		return EXIT_USAGE;
	}
	if (relayctl_number(argv[optind + 1], 1, UINT64_MAX, &e.id) < 0) {
		fprintf(stderr, "turnutils_relayctl: bad entry id %s\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (npos == 4) {
		if (relayctl_addr(a[0], &e.leg[0].local) < 0 ||
		    relayctl_addr(a[1], &e.leg[0].remote) < 0 ||
		    relayctl_addr(a[2], &e.leg[1].local) < 0 ||
		    relayctl_addr(a[3], &e.leg[1].remote) < 0)
			return EXIT_USAGE;
	} else {
		if (relayctl_addr(a[0], &e.leg[0].local) < 0 ||
		    relayctl_addr(a[1], &e.leg[0].remote) < 0 ||
		    relayctl_number(a[2], TURNRELAY_CHANNEL_MIN, TURNRELAY_CHANNEL_MAX, &n) < 0 ||
		    relayctl_addr(a[3], &e.leg[1].local) < 0 ||
		    relayctl_addr(a[4], &e.leg[1].remote) < 0) {
			fprintf(stderr, "turnutils_relayctl: bad %s arguments\n", kind);
			return EXIT_USAGE;
		}
		e.leg[0].channel = (uint16_t)n;
	}
	for (i = npos; i < argc - optind - 2; i++) {
		if (relayctl_add_option(a[i], &e) < 0) {
			fprintf(stderr, "turnutils_relayctl: bad option %s\n", a[i]);
			return EXIT_USAGE;
		}
	}
	if (relayctl_open(&ro) < 0)
		return 1;
	if (relay_offload_add(ro, &e) < 0) {
		fprintf(stderr, "turnutils_relayctl: %s\n", relay_offload_error(ro));
		relay_offload_close(ro);
		return 1;
	}
	printf("added entry %" PRIu64 "; holding it %s\n", e.id,
	       hold_s ? "for the given time" : "until interrupted");
	fflush(stdout);
	for (n = 0; !relayctl_stop && (hold_s == 0 || n < hold_s * 10); n++)
		usleep(100000);
	relay_offload_close(ro);
	return 0;
}

static int relayctl_del(int argc, char **argv)
{
	struct relay_offload *ro;
	uint64_t id;
	int ret;

	if (argc != 2 || relayctl_number(argv[1], 1, UINT64_MAX, &id) < 0) {
		relayctl_usage(stderr);
		return EXIT_USAGE;
	}
	if (relayctl_open(&ro) < 0)
		return 1;
	ret = relay_offload_del(ro, id);
	if (ret < 0)
		fprintf(stderr, "turnutils_relayctl: %s\n", relay_offload_error(ro));
	relay_offload_close(ro);
	return ret < 0 ? 1 : 0;
}

static int relayctl_flush(int argc)
{
	struct relay_offload *ro;
	int ret;

	if (argc != 1) {
		relayctl_usage(stderr);
		return EXIT_USAGE;
	}
	if (relayctl_open(&ro) < 0)
		return 1;
	ret = relay_offload_flush(ro, true);
	if (ret < 0)
		fprintf(stderr, "turnutils_relayctl: %s\n", relay_offload_error(ro));
	relay_offload_close(ro);
	return ret < 0 ? 1 : 0;
}

struct relayctl_events {
	uint64_t seen;
};

static void relayctl_on_event(const struct relay_event *ev, void *arg)
{
	struct relayctl_events *st = arg;
	char src[ADDR_STRLEN];

	if (ev->cmd == TURNRELAY_CMD_EVENT_IDLE)
		printf("idle entry %" PRIu64 " (timeout %u ms)\n", ev->id,
		       ev->entry.idle_timeout_ms);
	else
		printf("source entry %" PRIu64 " leg%u from %s\n", ev->id, ev->leg,
		       addr_str((const struct sockaddr *)&ev->source, src, sizeof(src)));
	fflush(stdout);
	st->seen++;
}

static int relayctl_events(int argc, char **argv)
{
	struct relayctl_events st = {0};
	struct relay_offload *ro;
	uint64_t max = 0;
	int opt, ret = 0;

	optind = 1;
	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n' || relayctl_number(optarg, 1, UINT64_MAX, &max) < 0) {
			relayctl_usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		relayctl_usage(stderr);
		return EXIT_USAGE;
	}
	if (relayctl_open(&ro) < 0)
		return 1;
	if (relay_offload_subscribe(ro) < 0) {
		fprintf(stderr, "turnutils_relayctl: %s\n", relay_offload_error(ro));
		relay_offload_close(ro);
		return 1;
	}
	printf("listening for events\n");
	fflush(stdout);
	while (!relayctl_stop && (max == 0 || st.seen < max)) {
		ret = relay_offload_recv_events(ro, true, relayctl_on_event, &st);
		if (ret == -EINTR || ret == -ENOBUFS) {
			if (ret == -ENOBUFS)
				fprintf(stderr, "turnutils_relayctl: %s\n",
					relay_offload_error(ro));
			ret = 0;
			continue;
		}
		if (ret < 0) {
			if (!relayctl_stop)
				fprintf(stderr, "turnutils_relayctl: %s\n",
					relay_offload_error(ro));
			break;
		}
	}
	relay_offload_close(ro);
	return ret < 0 && !relayctl_stop ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (version_requested(argc, argv))
		return version_print("turnutils_relayctl");

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = relayctl_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (argc < 2) {
		relayctl_usage(stderr);
		return EXIT_USAGE;
	}
	argc--;
	argv++;
	if (strcmp(argv[0], "version") == 0 && argc == 1)
		return relayctl_version();
	if (strcmp(argv[0], "list") == 0)
		return relayctl_list(argc, argv);
	if (strcmp(argv[0], "add") == 0)
		return relayctl_add(argc, argv);
	if (strcmp(argv[0], "del") == 0)
		return relayctl_del(argc, argv);
	if (strcmp(argv[0], "flush") == 0)
		return relayctl_flush(argc);
	if (strcmp(argv[0], "events") == 0)
		return relayctl_events(argc, argv);
	if (strcmp(argv[0], "-h") == 0 || strcmp(argv[0], "help") == 0) {
		relayctl_usage(stdout);
		return 0;
	}
	relayctl_usage(stderr);
	return EXIT_USAGE;
}
