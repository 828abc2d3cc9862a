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
	CONFIG_STRING,	    /* char * (NULL when unset), any length of UTF-8 text */
	CONFIG_IP,	    /* list of struct config_ip */
	CONFIG_EXTERNAL_IP, /* list of struct config_external_ip */
	CONFIG_USER,	    /* list of struct config_user */
	CONFIG_PEER_RULE,   /* list of char * */
	CONFIG_SECRET,	    /* list of char *, 1 to CONFIG_MAX_SECRET_BYTES bytes, never printed */
	CONFIG_ALTERNATE,   /* list of struct config_ip "IP[:PORT]", .bare the default port */
	CONFIG_VERBOSE,	    /* int verbose, raised to min */
	CONFIG_ADDR,	    /* struct config_ip with a port: "IP:PORT", "[IPv6]:PORT" */
	CONFIG_SWITCH,	    /* a coturn on/off switch with no field: see below */
	CONFIG_IGNORED,	    /* a value checked as .check says, then only noticed */
};

/*
 * coturn options whose effect is this server's behaviour already, or that
 * have nothing here to act on, are accepted and named once in the log
 * (config_notices()), never silently. A CONFIG_BOOL or CONFIG_SWITCH given
 * the value .bare (1 or 0) sets its notice, if it has one; given the other
 * value it is refused with .refuse, if it has one. A CONFIG_BOOL stores
 * value ^ .invert in its field; a CONFIG_SWITCH has no field. A
 * CONFIG_IGNORED option checks its value as the kind .check would (PORT,
 * UINT in [min, max], IP, TEXT), or, with .accept, takes only that word.
 */

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
	const char *notice;	/* logged once when given (see above), or NULL */
	const char *refuse;	/* why the other value is refused, or NULL */
	bool invert;		/* BOOL: the field holds the opposite */
	enum config_kind check; /* IGNORED: how the value is checked */
	const char *accept;	/* IGNORED: the one word taken, or NULL */
};

/* Entries of config_options; config.c fails to build if they disagree. */
#define CONFIG_OPTION_COUNT 132

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

/* Values, shared by config.c and config_compat.c. */
int config_parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out);
int config_parse_ip(const char *s, struct config_ip *ip);
bool config_text_fits(const char *s); /* at most CONFIG_MAX_TEXT_CHARS characters */

/* config_compat.c: a BOOL or SWITCH given b, an IGNORED given value (see above). */
int config_apply_switch(struct config *c, const struct config_option *opt, bool b, char *err,
			size_t errlen);
int config_apply_ignored(struct config *c, const struct config_option *opt, const char *value,
			 char *err, size_t errlen);
/* Cross-option rules of the coturn compatibility options, for config_check(). */
int config_check_compat(const struct config *c, char *err, size_t errlen);

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
