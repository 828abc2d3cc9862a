/*
 * fuzz_webadmin.c - libFuzzer harness for the admin interface's text in
 * and out (src/server/webadmin_text.c) and its stored passwords
 * (src/server/webadmin_pw.c). The first byte picks: 0, a Cookie header
 * (the rest) searched for the session cookie into a room the second byte
 * sizes; 1, a stored password form and a password (split at the first
 * NUL), checked; 2, a Host header (webadmin_diag.c's host) into a room the
 * second byte sizes; else a text escaped for HTML and JSON. Every input is a
 * heap copy of exactly its length plus the NUL the callers give. Checks: a
 * cookie value fits its room and comes from the header; a form that checks
 * is valid; a host fits its room, comes from the header and holds only
 * letters, digits, '-', '.' and ':' (IPv6); escaped HTML holds no raw
 * < > " ' and no control character;
 * escaped JSON is one string with no raw control character, < > or &.
 * fuzz-sources: src/server/webadmin_text.c src/server/webadmin_pw.c
 */
#include <event2/buffer.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/webadmin_internal.h"
#include "tests/fuzz/fuzz.h"

static char *copy_of(const uint8_t *data, size_t len)
{
	char *s = malloc(len + 1);

	CHECK(s != NULL);
	memcpy(s, data, len);
	s[len] = '\0';
	return s;
}

static void fuzz_cookie(const uint8_t *data, size_t size)
{
	size_t cap = size ? (size_t)data[0] % 80 + 1 : 1;
	char *header = copy_of(data + (size ? 1 : 0), size ? size - 1 : 0);
	char *out = malloc(cap);

	CHECK(out != NULL);
	if (webadmin_cookie_value(header, WEBADMIN_COOKIE, out, cap) == 0) {
		CHECK(strlen(out) < cap);
		CHECK(strstr(header, out) != NULL);
	}
	free(out);
	free(header);
}

static void fuzz_password(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t slen = nul ? (size_t)(nul - data) : size;
	char *stored = copy_of(data, slen);
	char *pw = copy_of(nul ? nul + 1 : data + size, nul ? size - slen - 1 : 0);

	if (webadmin_pw_check(stored, pw))
		CHECK(webadmin_pw_valid(stored));
	free(pw);
	free(stored);
}

static void fuzz_host(const uint8_t *data, size_t size)
{
	size_t cap = size ? (size_t)data[0] % 300 + 1 : 1;
	char *header = copy_of(data + (size ? 1 : 0), size ? size - 1 : 0);
	char *out = malloc(cap);

	CHECK(out != NULL);
	if (webadmin_host_header(header, out, cap) == 0) {
		size_t len = strlen(out);

		CHECK(len > 0 && len < cap);
		CHECK(strstr(header, out) != NULL);
		CHECK(strspn(out, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.:") ==
		      len);
	}
	free(out);
	free(header);
}

static void fuzz_escape(const uint8_t *data, size_t size)
{
	char *text = copy_of(data, size);
	struct evbuffer *b = evbuffer_new();
	size_t len;
	char *s;

	CHECK(b != NULL);
	webadmin_html(b, text);
	len = evbuffer_get_length(b);
	s = (char *)evbuffer_pullup(b, -1);
	for (size_t i = 0; i < len; i++)
		CHECK(s[i] != '<' && s[i] != '>' && s[i] != '"' && s[i] != '\'' &&
		      (unsigned char)s[i] >= 0x20);
	evbuffer_drain(b, len);
	webadmin_json_str(b, text);
	len = evbuffer_get_length(b);
	s = (char *)evbuffer_pullup(b, -1);
	CHECK(len >= 2 && s[0] == '"' && s[len - 1] == '"');
	for (size_t i = 1; i + 1 < len; i++) {
		CHECK((unsigned char)s[i] >= 0x20 && s[i] != '<' && s[i] != '>' && s[i] != '&');
		if (s[i] == '"')
			CHECK(s[i - 1] == '\\');
		if (s[i] == '\\')
			i++; /* the escaped character */
	}
	evbuffer_free(b);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] == 0)
		fuzz_cookie(data + 1, size - 1);
	else if (data[0] == 1)
		fuzz_password(data + 1, size - 1);
	else if (data[0] == 2)
		fuzz_host(data + 1, size - 1);
	else
		fuzz_escape(data + 1, size - 1);
	return 0;
}
