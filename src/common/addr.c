/*
 * addr.c - parsing and printing of numeric socket addresses.
 */
#include "common/addr.h"

#include <arpa/inet.h>
#include <stdio.h>

/* Decimal port, 1 to 5 digits, at most 65535, nothing after it. */
static int addr_parse_port(const char *s, uint16_t *port)
{
	uint32_t v = 0;
	size_t n;

	for (n = 0; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == 5)
			return -1;
		v = v * 10 + (uint32_t)(s[n] - '0');
	}
	if (n == 0 || s[n] != '\0' || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int addr_parse(const char *s, uint16_t default_port, struct sockaddr_storage *out, socklen_t *len)
{
	char host[INET6_ADDRSTRLEN];
	const char *hbeg = s, *hend, *colon;
	uint16_t port = default_port;
	bool v6;

	if (!s || !out)
		return -1;

	if (*s == '[') {
		/* "[v6]" or "[v6]:port" */
		hbeg = s + 1;
		hend = strchr(hbeg, ']');
		if (!hend)
			return -1;
		if (hend[1] == ':') {
			if (addr_parse_port(hend + 2, &port) < 0)
				return -1;
		} else if (hend[1] != '\0') {
			return -1;
		}
		v6 = true;
	} else {
		colon = strchr(s, ':');
		if (colon && strchr(colon + 1, ':')) {
			/* bare IPv6: every colon belongs to the address */
			hend = s + strlen(s);
			v6 = true;
		} else if (colon) {
			if (addr_parse_port(colon + 1, &port) < 0)
				return -1;
			hend = colon;
			v6 = false;
		} else {
			hend = s + strlen(s);
			v6 = false;
		}
	}

	if (hend == hbeg || (size_t)(hend - hbeg) >= sizeof(host))
		return -1;
	memcpy(host, hbeg, (size_t)(hend - hbeg));
	host[hend - hbeg] = '\0';

	if (v6) {
		struct sockaddr_in6 in6;

		memset(&in6, 0, sizeof(in6));
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &in6.sin6_addr) != 1)
			return -1;
		memset(out, 0, sizeof(*out));
		memcpy(out, &in6, sizeof(in6));
	} else {
		struct sockaddr_in in;

		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_port = htons(port);
		if (inet_pton(AF_INET, host, &in.sin_addr) != 1)
			return -1;
		memset(out, 0, sizeof(*out));
		memcpy(out, &in, sizeof(in));
	}
	if (len)
		*len = addr_len((const struct sockaddr *)out);
	return 0;
}

const char *addr_ip_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	const void *src;

	if (sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	else
		src = NULL;

	if (!src || !inet_ntop(sa->sa_family, src, ip, sizeof(ip)))
		snprintf(buf, len, "<unknown>");
	else
		snprintf(buf, len, "%s", ip);
	return buf;
}

const char *addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family != AF_INET && sa->sa_family != AF_INET6)
		return addr_ip_str(sa, buf, len);

	addr_ip_str(sa, ip, sizeof(ip));
	if (sa->sa_family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", ip, (unsigned int)addr_port(sa));
	else
		snprintf(buf, len, "%s:%u", ip, (unsigned int)addr_port(sa));
	return buf;
}
