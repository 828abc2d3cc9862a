/*
 * config_internal.h - what config.c (option table, values, config file)
 * shares with config_args.c (command line, usage text). Not for callers
 * outside src/common/config*.c: they use common/config.h.
 */
#ifndef COMMON_CONFIG_INTERNAL_H
#define COMMON_CONFIG_INTERNAL_H

#include "common/config.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

enum config_kind {
	CONFIG_BOOL,
	CONFIG_PORT,	    /* uint16_t, 1-65535 */
	CONFIG_UINT,	    /* unsigned int in [min, max] */
	CONFIG_TEXT,	    /* char[size], UTF-8, at most CONFIG_MAX_TEXT_CHARS */
	CONFIG_PATH,	    /* char * (NULL when unset), or char[size] when size != 0 */
	CONFIG_IP,	    /* list of struct config_ip */
	CONFIG_EXTERNAL_IP, /* list of struct config_external_ip */
	CONFIG_USER,	    /* list of struct config_user */
	CONFIG_PEER_RULE,   /* list of char * */
	CONFIG_VERBOSE,	    /* int verbose, raised to min */
	CONFIG_ADDR,	    /* struct config_ip with a port: "IP:PORT", "[IPv6]:PORT" */
};

struct config_option {
	const char *name;
	char short_name;
	enum config_kind kind;
	size_t offset;	     /* of the field, or of a list's array */
	size_t count_offset; /* lists: of the *_count field */
	size_t size;	     /* TEXT, PATH arrays: bytes; lists: max entries */
	unsigned int min;    /* UINT: range; VERBOSE: level */
	unsigned int max;
	unsigned int bare; /* UINT: value when given without one; 0: required */
	const char *arg;   /* placeholder in the usage text; NULL for flags */
	const char *help;
};

/* Entries of config_options; config.c fails to build if they disagree. */
#define CONFIG_OPTION_COUNT 56

/* Every option, in usage-text order. */
extern const struct config_option config_options[CONFIG_OPTION_COUNT];

/* coturn options not implemented yet: refused by name, never ignored. */
struct config_refused {
	const char *name;
	char short_name;
	const char *hint;
};

extern const struct config_refused config_refused[];
extern const size_t config_refused_count;

void config_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Option by long name (no leading "--"), or NULL. */
const struct config_option *config_find(const char *name);

/* Refused option by long name, or by short name s when name is NULL. */
const struct config_refused *config_find_refused(const char *name, char s);

/* Message for a refused option, prefixed with where ("" or "--flag: "). */
void config_err_refused(const struct config_refused *r, const char *where, char *err,
			size_t errlen);

/* Does the option need a value, or is it complete without one? */
bool config_takes_value(const struct config_option *opt);

/* Repeatable options, and dropping every entry of one. */
bool config_is_list(const struct config_option *opt);
void config_clear_list(struct config *c, const struct config_option *opt);

/* Apply one known option; the message in err names the option, not the place. */
int config_apply(struct config *c, const struct config_option *opt, const char *value, char *err,
		 size_t errlen);

/* Read a file's options without the cross-option check. */
int config_read_file(struct config *c, const char *path, char *err, size_t errlen);

/* Cross-option rules, checked once every option has been read. */
int config_check(const struct config *c, char *err, size_t errlen);

#endif /* COMMON_CONFIG_INTERNAL_H */
