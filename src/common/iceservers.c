/*
 * iceservers.c - iceServers JSON (see iceservers.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/iceservers.h"

struct out {
	char *buf;
	size_t cap;
	size_t len;
	bool overflow;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->overflow || o->cap - o->len <= n) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_raw(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A JSON string literal, escaping quotes, backslashes and control bytes. */
static void put_json_str(struct out *o, const char *s)
{
	puts_raw(o, "\"");
	for (; *s; s++) {
		char esc[8];

		if (*s == '"' || *s == '\\') {
			esc[0] = '\\';
			esc[1] = *s;
			put(o, esc, 2);
		} else if ((unsigned char)*s < 0x20) {
			snprintf(esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			puts_raw(o, esc);
		} else {
			put(o, s, 1);
		}
	}
	puts_raw(o, "\"");
}

static void put_url(struct out *o, bool *first, const char *scheme, const char *host,
		    uint16_t port, const char *suffix)
{
	char url[320];
	bool v6 = strchr(host, ':') != NULL;

	snprintf(url, sizeof(url), "%s:%s%s%s:%u%s", scheme, v6 ? "[" : "", host, v6 ? "]" : "",
		 port, suffix);
	if (!*first)
		puts_raw(o, ",");
	*first = false;
	put_json_str(o, url);
}

int ice_servers_json(char *out, size_t cap, const char *host, uint16_t port, bool udp, bool tcp,
		     const char *username, const char *credential)
{
	return ice_servers_json_tls(out, cap, host, port, udp, tcp, 0, username, credential);
}

int ice_servers_json_tls(char *out, size_t cap, const char *host, uint16_t port, bool udp,
			 bool tcp, uint16_t tls_port, const char *username, const char *credential)
{
	struct out o = {.buf = out, .cap = cap};
	bool first = true;

	if (!cap)
		return -1;
	out[0] = '\0';
	puts_raw(&o, "[{\"urls\":[");
	put_url(&o, &first, "stun", host, port, "");
	if (udp)
		put_url(&o, &first, "turn", host, port, "?transport=udp");
	if (tcp)
		put_url(&o, &first, "turn", host, port, "?transport=tcp");
	if (tls_port) /* RFC 7065 §3: turns: is TURN over TLS over TCP */
		put_url(&o, &first, "turns", host, tls_port, "?transport=tcp");
	puts_raw(&o, "]");
	if (username) {
		puts_raw(&o, ",\"username\":");
		put_json_str(&o, username);
	}
	if (credential) {
		puts_raw(&o, ",\"credential\":");
		put_json_str(&o, credential);
	}
	puts_raw(&o, "}]");
	return o.overflow ? -1 : (int)o.len;
}
