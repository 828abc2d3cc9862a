/*
 * sdp_internal.h - what sdp.c (parsing), sdp_cand.c (candidates and line
 * formatting) and sdp_write.c (edits and output) share. Not for callers.
 */
#ifndef ANCHOR_SDP_INTERNAL_H
#define ANCHOR_SDP_INTERNAL_H

#include "anchor/sdp.h"

#define SDP_SECT_SESSION (-1)

/* One line, without its ending. */
struct sdp_line {
	const char *text; /* into the input copy, or owned */
	char *owned;	  /* malloc'd text of a replaced or added line */
	uint16_t len;
	int16_t sect; /* SDP_SECT_SESSION or a media index */
	bool crlf;    /* ends with CRLF, else LF */
	bool removed;
};

struct sdp_lines {
	char *copy; /* the input */
	struct sdp_line *v;
	size_t n, cap;
	size_t media_cap; /* struct sdp's media array */
	bool final_eol;	  /* the input's last line had an ending */
	const char *tail; /* empty lines at the very end, written as they are */
	size_t tail_len;
	char *arena; /* NUL-terminated copies of parsed values */
	size_t arena_cap, arena_used;
	bool arena_full;
};

/* A parser's position, for error messages. */
struct sdp_pctx {
	struct sdp *s;
	size_t line_no;
	char *err;
	size_t errlen;
};

struct sdp_tok {
	const char *p;
	size_t n;
};

/* Write "line N: " and the message into c->err; returns -1. */
int sdp_perr(struct sdp_pctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* NUL-terminated copy of p[0..n) in the arena ("" when it is full). */
const char *sdp_pstr(struct sdp_pctx *c, const char *p, size_t n);

/* Next space-separated token of [*p, end); false at the end. */
bool sdp_next_tok(const char **p, const char *end, struct sdp_tok *t);

bool sdp_tok_is(const struct sdp_tok *t, const char *s);

/* Decimal of 1 to max_digits digits, at most max. */
int sdp_tok_uint(const struct sdp_tok *t, unsigned max_digits, uint64_t max, uint64_t *out);

/*
 * If text is a numeric IPv4 or IPv6 address, fill *ss (with port) and
 * return its family; else return 0.
 */
int sdp_ip_parse(const char *text, uint16_t port, struct sockaddr_storage *ss);

/* A host name as SDP allows it (letters, digits, '-', '.', '_'), 1-255 bytes. */
bool sdp_is_hostname(const char *text);

/* Parse the value of a=candidate: (the text after the colon). */
int sdp_candidate_parse(struct sdp_pctx *c, const char *p, const char *end,
			struct sdp_candidate *cand);

#endif /* ANCHOR_SDP_INTERNAL_H */
