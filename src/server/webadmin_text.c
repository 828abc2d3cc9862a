/*
 * webadmin_text.c - the admin interface's text in and out, pure (fuzzed by
 * tests/fuzz/fuzz_webadmin.c): escaping for HTML and JSON, the session
 * cookie's value from a Cookie header, and the host of a Host header.
 */
#include "server/webadmin_internal.h"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <string.h>

#define HOST_NAME_MAX_LEN 253 /* RFC 1035 §2.3.4, without the root's dot */

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

/* ":" port after the host: 1 to 5 digits, 1-65535 (RFC 9110 §7.2, RFC 3986 §3.2.3). */
static bool port_ok(const char *p)
{
	size_t n = strspn(p, "0123456789");
	unsigned long v = 0;

	if (n == 0 || n > 5 || p[n])
		return false;
	for (size_t i = 0; i < n; i++)
		v = v * 10 + (unsigned long)(p[i] - '0');
	return v >= 1 && v <= 65535;
}

int webadmin_host_header(const char *header, char *out, size_t cap)
{
	char buf[HOST_NAME_MAX_LEN + 1];
	const char *rest;
	size_t len;

	if (!header)
		return -1;
	if (header[0] == '[') {
		/* RFC 3986 §3.2.2: IP-literal, here an IPv6 address only */
		const char *end = strchr(header, ']');
		struct in6_addr a6;

		len = end ? (size_t)(end - header - 1) : 0;
		if (!len || len >= sizeof(buf))
			return -1;
		memcpy(buf, header + 1, len);
		buf[len] = '\0';
		if (inet_pton(AF_INET6, buf, &a6) != 1)
			return -1;
		rest = end + 1;
	} else {
		len = strcspn(header, ":");
		if (!len || len >= sizeof(buf) || header[0] == '-' || header[0] == '.')
			return -1;
		memcpy(buf, header, len);
		buf[len] = '\0';
		if (strspn(buf, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") !=
		    len)
			return -1;
		rest = header + len;
	}
	if (*rest && (*rest != ':' || !port_ok(rest + 1)))
		return -1;
	if (len >= cap)
		return -1;
	memcpy(out, buf, len + 1);
	return 0;
}
