/*
 * turnutils_ng - a client of rtpengine's ng control protocol, for operators
 * and tests: sends one command to an ng socket (turnserver's media anchor,
 * or rtpengine) and prints the reply dictionary as indented JSON.
 *
 * The request is one datagram "cookie SP dictionary" (bencode, or JSON
 * with -j) with a random cookie; it is sent again, identical, when no reply
 * with that cookie came within the timeout. Replies with another cookie are
 * ignored.
 *
 * Exit status: 0 when the result is "ok" or "pong"; 1 when it is anything
 * else (error-reason printed on stderr) or -o cannot be honoured; 2 on a
 * usage error, no reply, or a reply that does not parse.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "anchor/bencode.h"
#include "common/addr.h"
#include "common/clock.h"
#include "common/version.h"

#define NG_EXIT_RESULT 1
#define NG_EXIT_USAGE 2
#define NG_DEFAULT_PORT 2223
#define NG_DGRAM_MAX 65535
#define NG_MAX_DIRECTIONS 2

static const char *const ng_commands[] = {"ping",  "offer", "answer",	  "delete",
					  "query", "list",  "statistics", NULL};
/* commands that name no call, and those that carry an SDP */
static const char *const ng_callless_commands[] = {"ping", "list", "statistics", NULL};
static const char *const ng_sdp_commands[] = {"offer", "answer", NULL};
static const char *const ng_ice_modes[] = {"force", "remove", "force-relay", "default", NULL};

/* A repeatable option: its values, in order. */
struct ng_strlist {
	const char **v;
	size_t n;
};

struct ng_opts {
	struct sockaddr_storage server;
	bool json, verbose;
	long timeout_ms, retries;
	const char *out_file;
	const char *command, *call_id, *from_tag, *to_tag, *via_branch, *sdp_file, *ice, *transport;
	struct ng_strlist flags, replace, rtcp_mux, direction, extra;
};

enum {
	OPT_CALL_ID = 256,
	OPT_FROM_TAG,
	OPT_TO_TAG,
	OPT_VIA_BRANCH,
	OPT_SDP_FILE,
	OPT_FLAG,
	OPT_REPLACE,
	OPT_ICE,
	OPT_RTCP_MUX,
	OPT_TRANSPORT,
	OPT_DIRECTION,
};

static const struct option ng_long_opts[] = {
    {"call-id", required_argument, NULL, OPT_CALL_ID},
    {"from-tag", required_argument, NULL, OPT_FROM_TAG},
    {"to-tag", required_argument, NULL, OPT_TO_TAG},
    {"via-branch", required_argument, NULL, OPT_VIA_BRANCH},
    {"sdp-file", required_argument, NULL, OPT_SDP_FILE},
    {"flag", required_argument, NULL, OPT_FLAG},
    {"replace", required_argument, NULL, OPT_REPLACE},
    {"ice", required_argument, NULL, OPT_ICE},
    {"rtcp-mux", required_argument, NULL, OPT_RTCP_MUX},
    {"transport-protocol", required_argument, NULL, OPT_TRANSPORT},
    {"direction", required_argument, NULL, OPT_DIRECTION},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void ng_usage(FILE *f)
{
	fprintf(f,
		"Usage: turnutils_ng [options] COMMAND [command options] [KEY=VALUE...]\n"
		"COMMAND: ping | offer | answer | delete | query | list | statistics\n"
		"Options:\n"
		"\t-s IP:PORT\tng control address (default 127.0.0.1:%d)\n"
		"\t-j\t\tsend JSON instead of bencode\n"
		"\t-t MS\t\treply timeout per attempt in ms (default 1000)\n"
		"\t-r N\t\tretransmissions of the same datagram (default 2)\n"
		"\t-o FILE\t\twrite the reply's sdp to FILE\n"
		"\t-v\t\tverbose: the request and each attempt on stderr\n"
		"\t-h\t\tthis help\n"
		"\t--version\tprint the version\n"
		"Command options:\n"
		"\t--call-id ID\t\t(offer, answer, delete, query: required)\n"
		"\t--from-tag T\t\t(offer, answer: required)\n"
		"\t--to-tag T\t\t(answer: required)\n"
		"\t--via-branch B\n"
		"\t--sdp-file FILE\t\tthe SDP, - for stdin (offer, answer: required)\n"
		"\t--flag F\t\tinto the \"flags\" list (repeatable)\n"
		"\t--replace R\t\tinto the \"replace\" list (repeatable)\n"
		"\t--ice force|remove|force-relay|default\n"
		"\t--rtcp-mux R\t\tinto the \"rtcp-mux\" list (repeatable)\n"
		"\t--transport-protocol P\n"
		"\t--direction D\t\tinto the \"direction\" list (at most twice)\n"
		"\tKEY=VALUE\t\tany other string member of the request\n"
		"Exit status: 0 result ok or pong, 1 another result, 2 usage error or no reply.\n",
		NG_DEFAULT_PORT);
}

static int ng_number(const char *s, long min, long max, long *out)
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

static bool ng_one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

/* Usage errors print their reason and exit 2. */
__attribute__((noreturn, format(printf, 1, 2))) static void ng_usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("turnutils_ng: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (turnutils_ng -h for help)\n", stderr);
	exit(NG_EXIT_USAGE);
}

static void ng_parse_args(int argc, char **argv, struct ng_opts *o)
{
	struct ng_strlist *lists[] = {&o->flags, &o->replace, &o->rtcp_mux, &o->direction,
				      &o->extra};
	size_t i;
	int opt;

	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		lists[i]->v = calloc((size_t)argc, sizeof(char *));
		if (!lists[i]->v) {
			fprintf(stderr, "turnutils_ng: out of memory\n");
			exit(NG_EXIT_USAGE);
		}
	}
	o->timeout_ms = 1000;
	o->retries = 2;
	if (addr_parse("127.0.0.1", NG_DEFAULT_PORT, &o->server, NULL) < 0)
		exit(NG_EXIT_USAGE);
	while ((opt = getopt_long(argc, argv, "s:jt:r:o:vh", ng_long_opts, NULL)) != -1) {
		switch (opt) {
		case 's':
			if (addr_parse(optarg, NG_DEFAULT_PORT, &o->server, NULL) < 0 ||
			    addr_port((struct sockaddr *)&o->server) == 0)
				ng_usage_error("bad server address '%s' (IP:PORT)", optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 't':
			if (ng_number(optarg, 1, 600000, &o->timeout_ms) < 0)
				ng_usage_error("bad timeout '%s' (1..600000 ms)", optarg);
			break;
		case 'r':
			if (ng_number(optarg, 0, 100, &o->retries) < 0)
				ng_usage_error("bad retries '%s' (0..100)", optarg);
			break;
		case 'o':
			o->out_file = optarg;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			ng_usage(stdout);
			exit(0);
		case OPT_CALL_ID:
			o->call_id = optarg;
			break;
		case OPT_FROM_TAG:
			o->from_tag = optarg;
			break;
		case OPT_TO_TAG:
			o->to_tag = optarg;
			break;
		case OPT_VIA_BRANCH:
			o->via_branch = optarg;
			break;
		case OPT_SDP_FILE:
			o->sdp_file = optarg;
			break;
		case OPT_FLAG:
			o->flags.v[o->flags.n++] = optarg;
			break;
		case OPT_REPLACE:
			o->replace.v[o->replace.n++] = optarg;
			break;
		case OPT_ICE:
			if (!ng_one_of(optarg, ng_ice_modes))
				ng_usage_error(
				    "bad --ice '%s' (force, remove, force-relay, default)", optarg);
			o->ice = optarg;
			break;
		case OPT_RTCP_MUX:
			o->rtcp_mux.v[o->rtcp_mux.n++] = optarg;
			break;
		case OPT_TRANSPORT:
			o->transport = optarg;
			break;
		case OPT_DIRECTION:
			if (o->direction.n == NG_MAX_DIRECTIONS)
				ng_usage_error("--direction given more than %d times",
					       NG_MAX_DIRECTIONS);
			o->direction.v[o->direction.n++] = optarg;
			break;
		default:
			ng_usage(stderr);
			exit(NG_EXIT_USAGE);
		}
	}
	if (optind >= argc)
		ng_usage_error("no command");
	o->command = argv[optind++];
	if (!ng_one_of(o->command, ng_commands))
		ng_usage_error("unknown command '%s'", o->command);
	for (; optind < argc; optind++) {
		const char *eq = strchr(argv[optind], '=');

		if (!eq || eq == argv[optind])
			ng_usage_error("'%s' is not KEY=VALUE", argv[optind]);
		o->extra.v[o->extra.n++] = argv[optind];
	}
	if (!o->call_id && !ng_one_of(o->command, ng_callless_commands))
		ng_usage_error("%s needs --call-id", o->command);
	if (!ng_one_of(o->command, ng_sdp_commands))
		return;
	if (!o->from_tag)
		ng_usage_error("%s needs --from-tag", o->command);
	if (!o->sdp_file)
		ng_usage_error("%s needs --sdp-file", o->command);
	if (!o->to_tag && strcmp(o->command, "answer") == 0)
		ng_usage_error("answer needs --to-tag");
}

/* Reads the whole SDP file (or stdin for "-") into the arena as a string. */
static struct bval *ng_read_sdp(struct bdoc *d, const char *path)
{
	static char buf[NG_DGRAM_MAX + 1];
	bool is_stdin = strcmp(path, "-") == 0;
	FILE *f = is_stdin ? stdin : fopen(path, "rb");
	struct bval *v = NULL;
	size_t n;

	if (!f) {
		fprintf(stderr, "turnutils_ng: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	n = fread(buf, 1, sizeof(buf), f);
	if (ferror(f))
		fprintf(stderr, "turnutils_ng: %s: read error\n", path);
	else if (n == sizeof(buf))
		fprintf(stderr, "turnutils_ng: %s: larger than %d bytes\n", path, NG_DGRAM_MAX);
	else if (!(v = bdoc_str(d, buf, n)))
		fprintf(stderr, "turnutils_ng: out of memory\n");
	if (!is_stdin)
		fclose(f);
	return v;
}

static int ng_add_list(struct bdoc *d, struct bval *req, const char *key,
		       const struct ng_strlist *l)
{
	struct bval *list;
	size_t i;

	if (l->n == 0)
		return 0;
	list = bdict_add_list(d, req, key);
	if (!list)
		return -1;
	for (i = 0; i < l->n; i++)
		if (bval_list_add(list, bdoc_cstr(d, l->v[i])) < 0)
			return -1;
	return 0;
}

/* The request dictionary; NULL (reason printed) on failure. */
static struct bval *ng_build_request(struct bdoc *d, const struct ng_opts *o)
{
	const struct {
		const char *key, *val;
	} strs[] = {
	    {"call-id", o->call_id}, {"from-tag", o->from_tag},
	    {"to-tag", o->to_tag},   {"via-branch", o->via_branch},
	    {"ICE", o->ice},	     {"transport-protocol", o->transport},
	};
	struct bval *req = bdoc_dict(d), *sdp;
	size_t i;

	if (!req || !bdict_add_str(d, req, "command", o->command))
		goto fail;
	for (i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i].val && !bdict_add_str(d, req, strs[i].key, strs[i].val))
			goto fail;
	if (o->sdp_file) {
		sdp = ng_read_sdp(d, o->sdp_file);
		if (!sdp)
			return NULL;
		if (bval_dict_add(d, req, "sdp", sdp) < 0)
			goto fail;
	}
	if (ng_add_list(d, req, "flags", &o->flags) < 0 ||
	    ng_add_list(d, req, "replace", &o->replace) < 0 ||
	    ng_add_list(d, req, "rtcp-mux", &o->rtcp_mux) < 0 ||
	    ng_add_list(d, req, "direction", &o->direction) < 0)
		goto fail;
	for (i = 0; i < o->extra.n; i++) {
		const char *kv = o->extra.v[i], *eq = strchr(kv, '=');
		char key[256];

		if ((size_t)(eq - kv) >= sizeof(key)) {
			fprintf(stderr, "turnutils_ng: key of '%s' too long\n", kv);
			return NULL;
		}
		memcpy(key, kv, (size_t)(eq - kv));
		key[eq - kv] = '\0';
		if (!bdict_add_str(d, req, key, eq + 1))
			goto fail;
	}
	return req;
fail:
	fprintf(stderr, "turnutils_ng: out of memory\n");
	return NULL;
}

static void ng_cookie(char *out, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t rnd[8];
	size_t i;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);

		memcpy(rnd, &seed, sizeof(rnd));
	}
	for (i = 0; i < sizeof(rnd) && 2 * i + 2 < len; i++) {
		out[2 * i] = hex[rnd[i] >> 4];
		out[2 * i + 1] = hex[rnd[i] & 15];
	}
	out[2 * i] = '\0';
}

static long ng_now_ms(void)
{
	return (long)(clock_ns() / 1000000u);
}

/*
 * Sends dgram, again after each timeout, until a reply carrying cookie
 * arrives; its body goes to reply (NG_DGRAM_MAX + 1 bytes). Returns the
 * body length, or -1 (reason printed) when none came.
 */
static long ng_exchange(const struct ng_opts *o, const uint8_t *dgram, size_t len,
			const char *cookie, uint8_t *reply)
{
	const struct sockaddr *sa = (const struct sockaddr *)&o->server;
	char abuf[ADDR_STRLEN];
	const char *why = "timeout";
	long sent = 0, deadline, left;
	int fd;

	addr_str(sa, abuf, sizeof(abuf));
	fd = socket(sa->sa_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, sa, addr_len(sa)) < 0) {
		fprintf(stderr, "turnutils_ng: %s: %s\n", abuf, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	while (sent <= o->retries) {
		if (o->verbose)
			fprintf(stderr, "turnutils_ng: attempt %ld: %zu bytes to %s, cookie %s\n",
				sent + 1, len, abuf, cookie);
		sent++;
		if (send(fd, dgram, len, 0) < 0) {
			why = strerror(errno);
			if (errno != ECONNREFUSED)
				break;
		}
		deadline = ng_now_ms() + o->timeout_ms;
		while ((left = deadline - ng_now_ms()) > 0) {
			struct pollfd pfd = {.fd = fd, .events = POLLIN};
			const uint8_t *body;
			const char *rc;
			size_t rclen, blen;
			ssize_t n;

			if (poll(&pfd, 1, (int)left) <= 0)
				continue;
			n = recv(fd, reply, NG_DGRAM_MAX + 1, 0);
			if (n < 0) {
				why = strerror(errno); /* ECONNREFUSED: nobody listens yet */
				continue;
			}
			if (ng_split(reply, (size_t)n, &rc, &rclen, &body, &blen) < 0 ||
			    rclen != strlen(cookie) || memcmp(rc, cookie, rclen) != 0) {
				if (o->verbose)
					fprintf(stderr,
						"turnutils_ng: ignored a datagram of %zd "
						"bytes without our cookie\n",
						n);
				continue;
			}
			close(fd);
			memmove(reply, body, blen);
			return (long)blen;
		}
	}
	close(fd);
	fprintf(stderr, "turnutils_ng: no reply from %s after %ld attempt(s) (%s)\n", abuf, sent,
		why);
	return -1;
}

/* Prints v as indented JSON on f. */
static int ng_print_json(FILE *f, const struct bval *v)
{
	size_t cap = 1 << 16;
	uint8_t *buf = NULL;
	long n = -1;

	while (n < 0 && cap <= (size_t)1 << 28) {
		uint8_t *p = realloc(buf, cap);

		if (!p)
			break;
		buf = p;
		n = bval_write(v, BFMT_JSON_PRETTY, buf, cap);
		cap *= 2;
	}
	if (n >= 0)
		fwrite(buf, 1, (size_t)n, f);
	free(buf);
	return n < 0 ? -1 : 0;
}

static int ng_write_sdp(const char *path, const struct bval *reply)
{
	const struct bval *sdp = bval_dict_get(reply, "sdp");
	FILE *f;

	if (!sdp || sdp->type != BVAL_STR) {
		fprintf(stderr, "turnutils_ng: -o %s: the reply has no sdp\n", path);
		return -1;
	}
	f = fopen(path, "wb");
	if (!f || fwrite(sdp->str, 1, sdp->len, f) != sdp->len) {
		fprintf(stderr, "turnutils_ng: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	if (fclose(f) != 0) {
		fprintf(stderr, "turnutils_ng: %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/* Exit status for a parsed reply; prints what the operator needs on stderr. */
static int ng_judge_reply(const struct ng_opts *o, const struct bval *reply)
{
	const char *result = bval_dict_str(reply, "result");
	const char *warning = bval_dict_str(reply, "warning");

	if (warning)
		fprintf(stderr, "turnutils_ng: warning: %s\n", warning);
	if (!result) {
		fprintf(stderr, "turnutils_ng: the reply has no result\n");
		return NG_EXIT_USAGE;
	}
	if (strcmp(result, "ok") != 0 && strcmp(result, "pong") != 0) {
		const char *reason = bval_dict_str(reply, "error-reason");

		fprintf(stderr, "turnutils_ng: %s: %s\n", result, reason ? reason : "(no reason)");
		return NG_EXIT_RESULT;
	}
	if (o->out_file && ng_write_sdp(o->out_file, reply) < 0)
		return NG_EXIT_RESULT;
	return 0;
}

int main(int argc, char **argv)
{
	static uint8_t dgram[NG_DGRAM_MAX], reply[NG_DGRAM_MAX + 1];
	struct ng_opts o = {0};
	struct bval *req, *root = NULL;
	struct bdoc *d = NULL;
	char cookie[NG_COOKIE_MAX + 1], err[160];
	size_t clen;
	long n;
	int ret = NG_EXIT_USAGE;

	if (version_requested(argc, argv))
		return version_print("turnutils_ng");

	ng_parse_args(argc, argv, &o);
	d = bdoc_new();
	if (!d || !(req = ng_build_request(d, &o)))
		goto out;
	ng_cookie(cookie, 17);
	clen = strlen(cookie);
	memcpy(dgram, cookie, clen);
	dgram[clen] = ' ';
	n = bval_write(req, o.json ? BFMT_JSON : BFMT_BENCODE, dgram + clen + 1,
		       sizeof(dgram) - clen - 1);
	if (n < 0) {
		fprintf(stderr, "turnutils_ng: the request does not fit in one datagram\n");
		goto out;
	}
	if (o.verbose)
		ng_print_json(stderr, req);
	n = ng_exchange(&o, dgram, clen + 1 + (size_t)n, cookie, reply);
	if (n < 0)
		goto out;
	if (bdoc_parse(d, reply, (size_t)n, &root, err, sizeof(err)) < 0 ||
	    root->type != BVAL_DICT) {
		fprintf(stderr, "turnutils_ng: bad reply: %s\n",
			root && root->type != BVAL_DICT ? "not a dictionary" : err);
		goto out;
	}
	if (ng_print_json(stdout, root) < 0) {
		fprintf(stderr, "turnutils_ng: out of memory\n");
		goto out;
	}
	fflush(stdout);
	ret = ng_judge_reply(&o, root);
out:
	bdoc_free(d);
	free(o.flags.v);
	free(o.replace.v);
	free(o.rtcp_mux.v);
	free(o.direction.v);
	free(o.extra.v);
	return ret;
}
