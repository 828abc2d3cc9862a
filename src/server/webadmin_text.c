/*
 * webadmin_text.c - the admin interface's text in and out, pure (fuzzed by
 * tests/fuzz/fuzz_webadmin.c): escaping for HTML and JSON, and the session
 * cookie's value from a Cookie header.
 */
#include "server/webadmin_internal.h"

#include <event2/buffer.h>
#include <string.h>

void webadmin_html(struct evbuffer *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': evbuffer_add(out, "&lt;", 4); break;
		case '>': evbuffer_add(out, "&gt;", 4); break;
		case '&': evbuffer_add(out, "&amp;", 5); break;
		case '"': evbuffer_add(out, "&quot;", 6); break;
		case '\'': evbuffer_add(out, "&#39;", 5); break;
		default:
			/* control characters are shown as '?', never passed on */
			if ((unsigned char)*s < 0x20 || *s == 0x7f)
				evbuffer_add(out, "?", 1);
			else
				evbuffer_add(out, s, 1);
		}
	}
}

void webadmin_json_str(struct evbuffer *out, const char *s)
{
	evbuffer_add(out, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			evbuffer_add_printf(out, "\\%c", c);
		else if (c < 0x20 || c == 0x7f || c == '<' || c == '>' || c == '&')
			evbuffer_add_printf(out, "\\u%04x", c); /* safe inside HTML too */
		else
			evbuffer_add(out, s, 1);
	}
	evbuffer_add(out, "\"", 1);
}

int webadmin_cookie_value(const char *header, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name);
	const char *p = header;

	/* RFC 6265 §4.2.1: cookie-pair *( ";" SP cookie-pair ) */
	while (p && *p) {
		const char *end;

		while (*p == ' ' || *p == ';')
			p++;
		end = strchr(p, ';');
		if (!end)
			end = p + strlen(p);
		if ((size_t)(end - p) > nlen && strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			size_t vlen = (size_t)(end - p) - nlen - 1;

			if (vlen >= cap)
				return -1;
			memcpy(out, p + nlen + 1, vlen);
			out[vlen] = '\0';
			return 0;
		}
		p = end;
	}
	return -1;
}
