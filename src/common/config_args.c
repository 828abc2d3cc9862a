/*
 * config_args.c - turnserver command line: coturn-style flags walked over
 * argv on top of the config file, and the usage text. The option table
 * and its values live in config.c.
 */
#include "common/config_internal.h"

#include <string.h>

/* Option by its short flag letter, or NULL. */
static const struct config_option *config_find_short(char s)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_options); i++)
		if (config_options[i].short_name == s)
			return &config_options[i];
	return NULL;
}

enum config_arg_type {
	CONFIG_ARG_OPTION,
	CONFIG_ARG_FILE,    /* -c FILE */
	CONFIG_ARG_NO_FILE, /* -n */
	CONFIG_ARG_HELP,    /* -h, --help */
	CONFIG_ARG_VERSION, /* --version */
};

struct config_arg {
	enum config_arg_type type;
	const struct config_option *opt;
	const char *value;
	char flag[80]; /* as given, for messages: "--min-port", "-p" */
};

/* getopt_long-like walk over argv, without its global state. */
struct config_args {
	int argc;
	char **argv;
	int next;	     /* index of the next argv entry */
	const char *cluster; /* rest of a short option cluster such as "-afv" */
};

/* "-x" or "--x", but not "-" or "-1": a negative number is a bad value. */
static bool config_looks_like_flag(const char *v)
{
	return v[0] == '-' &&
	       (v[1] == '-' || (v[1] >= 'a' && v[1] <= 'z') || (v[1] >= 'A' && v[1] <= 'Z'));
}

/*
 * Value of a flag that needs one: inline ("--key=v", "-p3478") or else the
 * next argv entry, which must not look like a flag.
 */
static int config_arg_value(struct config_args *it, const char *inline_value, struct config_arg *a,
			    char *err, size_t errlen)
{
	const char *v;

	if (inline_value && *inline_value) {
		a->value = inline_value;
		return 1;
	}
	if (!inline_value && it->next < it->argc) {
		v = it->argv[it->next];
		if (*v && !config_looks_like_flag(v)) {
			a->value = v;
			it->next++;
			return 1;
		}
	}
	config_errf(err, errlen, "%s: missing value", a->flag);
	return -1;
}

static int config_arg_unknown(const struct config_refused *r, const struct config_arg *a, char *err,
			      size_t errlen)
{
	char where[sizeof(a->flag) + 2];

	snprintf(where, sizeof(where), "%s: ", a->flag);
	if (r)
		config_err_refused(r, where, err, errlen);
	else
		config_errf(err, errlen, "%s: unknown option", a->flag);
	return -1;
}

static int config_arg_short(struct config_args *it, struct config_arg *a, char *err, size_t errlen)
{
	char s = *it->cluster++;
	const char *rest = *it->cluster ? it->cluster : NULL;

	snprintf(a->flag, sizeof(a->flag), "-%c", s);
	switch (s) {
	case 'h':
		a->type = CONFIG_ARG_HELP;
		return 1;
	case 'n':
		a->type = CONFIG_ARG_NO_FILE;
		return 1;
	case 'c':
		a->type = CONFIG_ARG_FILE;
		it->cluster = NULL;
		return config_arg_value(it, rest, a, err, errlen);
	default:
		break;
	}
	a->type = CONFIG_ARG_OPTION;
	a->opt = config_find_short(s);
	if (!a->opt)
		return config_arg_unknown(config_find_refused(NULL, s), a, err, errlen);
	if (!config_takes_value(a->opt))
		return 1;
	it->cluster = NULL;
	return config_arg_value(it, rest, a, err, errlen);
}

static int config_arg_long(struct config_args *it, const char *arg, struct config_arg *a, char *err,
			   size_t errlen)
{
	const char *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	char key[64];

	snprintf(a->flag, sizeof(a->flag), "--%.*s", (int)len, arg);
	if (len >= sizeof(key))
		return config_arg_unknown(NULL, a, err, errlen);
	memcpy(key, arg, len);
	key[len] = '\0';
	if (strcmp(key, "help") == 0 || strcmp(key, "version") == 0) {
		a->type = key[0] == 'h' ? CONFIG_ARG_HELP : CONFIG_ARG_VERSION;
		return 1;
	}
	a->type = CONFIG_ARG_OPTION;
	a->opt = config_find(key);
	if (!a->opt)
		return config_arg_unknown(config_find_refused(key, 0), a, err, errlen);
	if (config_takes_value(a->opt))
		return config_arg_value(it, eq ? eq + 1 : NULL, a, err, errlen);
	a->value = eq ? eq + 1 : NULL;
	return 1;
}

/* Next flag into *a: returns 1, 0 at the end, or -1 with err set. */
static int config_arg_next(struct config_args *it, struct config_arg *a, char *err, size_t errlen)
{
	const char *arg;

	memset(a, 0, sizeof(*a));
	if (it->cluster && *it->cluster)
		return config_arg_short(it, a, err, errlen);
	it->cluster = NULL;
	if (it->next >= it->argc)
		return 0;
	arg = it->argv[it->next++];
	if (arg[0] == '-' && arg[1] == '-' && arg[2] != '\0')
		return config_arg_long(it, arg + 2, a, err, errlen);
	if (arg[0] == '-' && arg[1] != '\0' && arg[1] != '-') {
		it->cluster = arg + 1;
		return config_arg_short(it, a, err, errlen);
	}
	config_errf(err, errlen, "unexpected argument '%s'", arg);
	return -1;
}

/*
 * Two passes: the first checks the syntax and finds -c, -n and -h; the file
 * is read; the second applies the flags on top of it.
 */
int config_parse_args(struct config *c, int argc, char **argv, char *err, size_t errlen)
{
	struct config_args it = {.argc = argc, .argv = argv, .next = 1};
	bool replaced[ARRAY_SIZE(config_options)] = {false};
	const char *file = NULL;
	bool no_file = false;
	struct config_arg a;
	char msg[512];
	int ret;

	while ((ret = config_arg_next(&it, &a, err, errlen)) > 0) {
		if (a.type == CONFIG_ARG_HELP)
			return 1;
		if (a.type == CONFIG_ARG_VERSION)
			return 2;
		if (a.type == CONFIG_ARG_OPTION)
			continue;
		if (file || no_file) {
			config_errf(err, errlen, "%s: -c and -n may be given once, not both",
				    a.flag);
			return -1;
		}
		if (a.type == CONFIG_ARG_FILE)
			file = a.value;
		else
			no_file = true;
	}
	if (ret < 0)
		return -1;
	if (file && config_read_file(c, file, err, errlen) < 0)
		return -1;

	it.next = 1;
	it.cluster = NULL;
	while (config_arg_next(&it, &a, err, errlen) > 0) {
		size_t idx;

		if (a.type != CONFIG_ARG_OPTION)
			continue;
		idx = (size_t)(a.opt - config_options);
		if (config_is_list(a.opt) && !replaced[idx]) {
			config_clear_list(c, a.opt);
			replaced[idx] = true;
		}
		if (config_apply(c, a.opt, a.value, msg, sizeof(msg)) < 0) {
			config_errf(err, errlen, "%s: %s", a.flag, msg);
			return -1;
		}
	}
	return config_check(c, err, errlen) < 0 ? -1 : 0;
}

/* " (default ...)" for the usage text, from a config_init()ed struct. */
static void config_default_text(const struct config *d, const struct config_option *opt, char *buf,
				size_t len)
{
	const void *field = (const char *)d + opt->offset;

	buf[0] = '\0';
	switch (opt->kind) {
	case CONFIG_BOOL:
		snprintf(buf, len, " (default %s)",
			 *(const bool *)field != opt->invert ? "on" : "off");
		break;
	case CONFIG_PORT:
		snprintf(buf, len, " (default %u)", *(const uint16_t *)field);
		break;
	case CONFIG_UINT:
		snprintf(buf, len, " (default %u)", *(const unsigned int *)field);
		break;
	case CONFIG_TEXT:
	case CONFIG_PATH:
	case CONFIG_STRING:
		if (opt->size && *(const char *)field)
			snprintf(buf, len, " (default %s)", (const char *)field);
		break;
	case CONFIG_VERBOSE:
	case CONFIG_ADDR:
	case CONFIG_SWITCH:
	case CONFIG_IGNORED:
		break;
	default:
		snprintf(buf, len, " (repeatable, up to %zu)", opt->size);
		break;
	}
}

void config_usage(FILE *out)
{
	struct config d;
	size_t col;

	config_init(&d);
	fprintf(out, "Usage: turnserver [-c FILE | -n] [OPTION]...\n\n"
		     "  -c <file>                   read options from a file first; flags win\n"
		     "  -n                          read no config file\n"
		     "  -h, --help                  print this help\n"
		     "      --version               print the version\n\n"
		     "Options, also valid in the config file without the leading \"--\":\n");
	for (size_t i = 0; i < ARRAY_SIZE(config_options); i++) {
		const struct config_option *opt = &config_options[i];
		char left[80], def[96];
		const char *sep = !opt->arg ? "" : opt->arg[0] == '[' ? "" : " ";

		if (opt->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s", opt->short_name, opt->name,
				 sep, opt->arg ? opt->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", opt->name, sep,
				 opt->arg ? opt->arg : "");
		config_default_text(&d, opt, def, sizeof(def));
		fprintf(out, "  %-42s %s%s\n", left, opt->help, def);
	}
	fprintf(out, "\ncoturn options not implemented yet (refused):\n ");
	col = 1;
	for (size_t i = 0; i < config_refused_count; i++) {
		size_t len = strlen(config_refused[i].name) + 1;

		if (col + len > 78) {
			fprintf(out, "\n ");
			col = 1;
		}
		fprintf(out, " %s", config_refused[i].name);
		col += len;
	}
	fprintf(out, "\n");
}
