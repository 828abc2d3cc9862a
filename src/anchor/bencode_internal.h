/*
 * bencode_internal.h - what bencode.c (the arena, bencode, the entry
 * points) shares with json.c (the JSON reader and writer): the parser and
 * writer states and their helpers. Not for other callers: they use
 * anchor/bencode.h.
 */
#ifndef ANCHOR_BENCODE_INTERNAL_H
#define ANCHOR_BENCODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anchor/bencode.h"

struct bparse {
	struct bdoc *d;
	const uint8_t *buf;
	size_t len, pos;
	size_t nodes;
	const char *lang; /* "bencode" or "json", for errors */
	char *err;
	size_t errlen;
};

struct bwriter {
	uint8_t *out;
	size_t cap, pos;
	bool full; /* sticky: something did not fit */
};

/* bencode.c */
void *bdoc_alloc(struct bdoc *d, size_t n);
void bparse_attach(struct bval *parent, const char *key, size_t keylen, struct bval *v);
int bparse_digits(struct bparse *p, bool neg, const char *what, uint64_t *out);
/* Writes "LANG: reason at offset OFF" into p->err; returns -1. */
int bparse_fail(struct bparse *p, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int bparse_node(struct bparse *p, enum bval_type type, size_t off, struct bval **out);
int64_t bparse_signed(uint64_t v, bool neg);
bool bparse_is_digit(uint8_t c);
size_t utf8_seq_len(const uint8_t *s, size_t n);
void bw_printf(struct bwriter *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void bw_put(struct bwriter *w, const void *s, size_t n);
void bw_putc(struct bwriter *w, char c);

/* json.c */
void json_skip_ws(struct bparse *p);
int json_value(struct bparse *p, unsigned int depth, struct bval **out);
void json_write(struct bwriter *w, const struct bval *v, bool pretty, unsigned int level);

#endif /* ANCHOR_BENCODE_INTERNAL_H */
