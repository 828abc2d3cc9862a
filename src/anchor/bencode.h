/*
 * bencode.h - the value tree of rtpengine's ng control protocol, read from
 * and written to bencode or JSON, and the ng datagram frame.
 *
 * An ng datagram is "cookie SP dictionary": the cookie is echoed in the
 * reply, the dictionary is bencoded ("d7:command4:pinge"), or JSON when
 * the body starts with '{'. Both map onto one tree of struct bval:
 *
 *   bencode          JSON                         struct bval
 *   i42e             42                           BVAL_INT
 *   3:abc            "abc" (all escapes)          BVAL_STR (bytes + length)
 *                    true / false / null          BVAL_INT 1 / 0, BVAL_STR ""
 *   l...e            [...]                        BVAL_LIST
 *   d...e            {...}                        BVAL_DICT, members in order
 *
 * Every node and string of a document lives in one arena, struct bdoc,
 * freed at once by bdoc_free(). Parsed strings are copies (NUL-terminated),
 * so a parsed tree does not point into the input buffer.
 *
 * Limits on parsing (each an error with its reason): input up to
 * BDOC_MAX_INPUT bytes, nesting up to BDOC_MAX_DEPTH containers, at most
 * BDOC_MAX_NODES values per document. Integers are int64; JSON numbers with
 * a fraction or exponent are refused. A dictionary key given twice keeps
 * its first position and takes the last value: the last one wins.
 */
#ifndef ANCHOR_BENCODE_H
#define ANCHOR_BENCODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BDOC_MAX_INPUT 65535
#define BDOC_MAX_DEPTH 32
#define BDOC_MAX_NODES 16384
#define NG_COOKIE_MAX 64

enum bval_type { BVAL_INT = 1, BVAL_STR, BVAL_LIST, BVAL_DICT };

struct bval {
	enum bval_type type;
	int64_t num;		   /* BVAL_INT (JSON true/false -> 1/0) */
	const char *str;	   /* BVAL_STR: bytes, always NUL-terminated in memory too */
	size_t len;		   /* BVAL_STR: length in bytes; LIST/DICT: number of children */
	struct bval *first, *last; /* LIST/DICT children, in order */
	struct bval *next;	   /* sibling */
	const char *key;	   /* dict member: its key (NUL-terminated), else NULL */
	size_t keylen;
};

/* Arena that owns every node and string of one document. */
struct bdoc;

/* NULL when out of memory. */
struct bdoc *bdoc_new(void);
/* Frees the arena and with it every value made in it; NULL is a no-op. */
void bdoc_free(struct bdoc *d);

/*
 * Parses one value filling the whole buffer: JSON when the first byte that
 * is not JSON whitespace is '{' or '[' (trailing JSON whitespace allowed),
 * else bencode (no trailing bytes). Returns 0 with *root set, or -1 with
 * *root untouched and the reason in err (if errlen > 0), e.g.
 * "bencode: string length exceeds input at offset 17". The tree lives in d.
 */
int bdoc_parse(struct bdoc *d, const uint8_t *buf, size_t len, struct bval **root, char *err,
	       size_t errlen);

/* New values in d; NULL when out of memory. bdoc_str copies len bytes of s. */
struct bval *bdoc_dict(struct bdoc *d);
struct bval *bdoc_list(struct bdoc *d);
struct bval *bdoc_str(struct bdoc *d, const char *s, size_t len);
struct bval *bdoc_cstr(struct bdoc *d, const char *s);
struct bval *bdoc_int(struct bdoc *d, int64_t v);

/*
 * Appends v (a value of d that is in no container yet) to dict under a copy
 * of key; a key already there gets v in its place. 0, or -1 when dict is
 * not a dict, key or v is NULL, or out of memory.
 */
int bval_dict_add(struct bdoc *d, struct bval *dict, const char *key, struct bval *v);
/* Appends v (in no container yet) to list. 0, or -1 (not a list, v NULL). */
int bval_list_add(struct bval *list, struct bval *v);

/* Shorthands: make the value, add it under key; return it, or NULL. */
struct bval *bdict_add_str(struct bdoc *d, struct bval *dict, const char *key, const char *s);
struct bval *bdict_add_int(struct bdoc *d, struct bval *dict, const char *key, int64_t v);
struct bval *bdict_add_dict(struct bdoc *d, struct bval *dict, const char *key);
struct bval *bdict_add_list(struct bdoc *d, struct bval *dict, const char *key);

/* The member under key; NULL if absent or dict is not a dict (or NULL). */
const struct bval *bval_dict_get(const struct bval *dict, const char *key);
/* The string member under key, or NULL (absent, or not a string). */
const char *bval_dict_str(const struct bval *dict, const char *key);
/* True when v is a string of exactly the bytes of s. */
bool bval_str_eq(const struct bval *v, const char *s);

/*
 * Output formats. BFMT_JSON is compact; BFMT_JSON_PRETTY indents by two
 * spaces, one member or element a line, and ends with a newline (for
 * people: logs, turnutils_ng).
 */
enum bformat { BFMT_BENCODE, BFMT_JSON, BFMT_JSON_PRETTY };

/*
 * Serializes v into out (cap bytes, not NUL-terminated); returns the
 * length, or -1 if it does not fit. Dictionaries are written in member
 * order, not sorted (rtpengine accepts that). JSON strings escape quotes,
 * backslashes and control bytes; bytes that are not valid UTF-8 are written
 * as \u00XX (so they come back as U+0080..U+00FF).
 */
long bval_write(const struct bval *v, enum bformat fmt, uint8_t *out, size_t cap);

/*
 * Splits an ng datagram "cookie SP body": the cookie is the 1..64
 * printable, non-space bytes before the first space; the body is all that
 * follows that space and must not be empty. 0, or -1 with the outputs
 * untouched.
 */
int ng_split(const uint8_t *buf, size_t len, const char **cookie, size_t *cookie_len,
	     const uint8_t **body, size_t *body_len);

#endif
