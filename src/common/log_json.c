/*
 * log_json.c - a log line as one JSON object (log_json.h). Strings per
 * RFC 8259 §7: '"' and '\' escaped, control bytes as \u00XX; invalid
 * UTF-8 (RFC 3629 §4: overlong forms, surrogates, past U+10FFFF, cut
 * sequences) as \ufffd.
 */
#include "common/log_json.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Bytes of the valid UTF-8 sequence at s (1..4), or 0 when it is not one. */
static size_t utf8_len(const unsigned char *s)
{
	uint32_t cp;
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2, cp = s[0] & 0x1Fu;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3, cp = s[0] & 0x0Fu;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4, cp = s[0] & 0x07u;
	else
		return 0;
	/* a NUL (the string's end) is no continuation byte: never read past it */
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3Fu);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

/*
 * Appends the escaped string s at out + *at, up to limit bytes in all:
 * stops before the first character whose escape would pass it.
 */
static void put_string(char *out, size_t limit, size_t *at, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		char esc[8];
		const char *w = esc;
		size_t wn, adv = 1;

		if (*p == '"' || *p == '\\') {
			esc[0] = '\\', esc[1] = (char)*p, wn = 2;
		} else if (*p < 0x20 || *p == 0x7F) {
			wn = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", *p);
		} else if ((adv = utf8_len(p)) == 0) {
			w = "\\ufffd", wn = 6, adv = 1;
		} else {
			w = (const char *)p, wn = adv;
		}
		if (*at + wn > limit)
			return;
		memcpy(out + *at, w, wn);
		*at += wn;
		p += adv;
	}
}

static void put_raw(char *out, size_t *at, const char *s)
{
	size_t n = strlen(s);

	memcpy(out + *at, s, n);
	*at += n;
}

/*
 * The time gets at most a quarter of out and the level half, so that the
 * fixed parts always fit (LOG_JSON_MIN_CAP); the message the rest, less
 * the closing "} and the NUL.
 */
size_t log_json_line(char *out, size_t cap, const char *time, const char *level, const char *msg)
{
	size_t at = 0;

	if (cap < LOG_JSON_MIN_CAP)
		return 0;
	put_raw(out, &at, "{");
	if (time) {
		put_raw(out, &at, "\"time\":\"");
		put_string(out, cap / 4, &at, time);
		put_raw(out, &at, "\",");
	}
	put_raw(out, &at, "\"level\":\"");
	put_string(out, cap / 2, &at, level);
	put_raw(out, &at, "\",\"msg\":\"");
	put_string(out, cap - 3, &at, msg);
	put_raw(out, &at, "\"}");
	out[at] = '\0';
	return at;
}
