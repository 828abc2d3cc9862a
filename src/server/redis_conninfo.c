/*
 * redis_conninfo.c - coturn's Redis connection string: key=value words
 * separated by blanks (redis_conninfo.h). Pure: no I/O, no allocation.
 */
#include "server/redis_conninfo.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

enum conninfo_field { CI_HOST, CI_PORT, CI_DB, CI_USER, CI_PASSWORD, CI_TIMEOUT };

/* coturn's keys and synonyms */
static const struct {
	const char *key;
	enum conninfo_field field;
} conninfo_keys[] = {
    {"host", CI_HOST},	      {"ip", CI_HOST},
    {"addr", CI_HOST},	      {"ipaddr", CI_HOST},
    {"hostaddr", CI_HOST},    {"port", CI_PORT},
    {"p", CI_PORT},	      {"dbname", CI_DB},
    {"db", CI_DB},	      {"database", CI_DB},
    {"user", CI_USER},	      {"uname", CI_USER},
    {"name", CI_USER},	      {"username", CI_USER},
    {"password", CI_PASSWORD}, {"pwd", CI_PASSWORD},
    {"passwd", CI_PASSWORD},  {"secret", CI_PASSWORD},
    {"connect_timeout", CI_TIMEOUT}, {"timeout", CI_TIMEOUT},
};

static bool conninfo_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Decimal digits only, no sign, at most max: 0 or -1. */
static int conninfo_number(const char *v, size_t len, unsigned long max, unsigned int *out)
{
	unsigned long n = 0;

	if (len == 0)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		n = n * 10 + (unsigned long)(v[i] - '0');
		if (n > max)
			return -1;
	}
	*out = (unsigned int)n;
	return 0;
}

static int conninfo_copy(char *dst, size_t cap, const char *v, size_t len)
{
	if (len >= cap)
		return -1;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return 0;
}

static int conninfo_set(struct redis_conninfo *ci, enum conninfo_field f, const char *v,
			size_t len, const char **why)
{
	unsigned int n;

	switch (f) {
	case CI_HOST:
		*why = "longer than 255 bytes";
		return conninfo_copy(ci->host, sizeof(ci->host), v, len);
	case CI_PORT:
		*why = "not a port number (1-65535)";
		if (conninfo_number(v, len, 65535, &n) < 0 || n == 0)
			return -1;
		ci->port = n;
		return 0;
	case CI_DB:
		*why = "not a database number";
		if (conninfo_number(v, len, REDIS_CONNINFO_MAX_DB, &n) < 0)
			return -1;
		ci->db = n;
		return 0;
	case CI_USER:
		*why = "longer than 255 bytes";
		return conninfo_copy(ci->user, sizeof(ci->user), v, len);
	case CI_PASSWORD:
		*why = "longer than 255 bytes";
		return conninfo_copy(ci->password, sizeof(ci->password), v, len);
	case CI_TIMEOUT:
		*why = "not a number of seconds (0-3600)";
		if (conninfo_number(v, len, REDIS_CONNINFO_MAX_TIMEOUT_S, &n) < 0)
			return -1;
		ci->timeout_s = n ? n : REDIS_CONNINFO_DEFAULT_TIMEOUT_S;
		return 0;
	}
	return -1;
}

static int conninfo_field_of(const char *k, size_t len, enum conninfo_field *f)
{
	for (size_t i = 0; i < sizeof(conninfo_keys) / sizeof(conninfo_keys[0]); i++) {
		if (strlen(conninfo_keys[i].key) == len && memcmp(conninfo_keys[i].key, k, len) == 0) {
			*f = conninfo_keys[i].field;
			return 0;
		}
	}
	return -1;
}

int redis_conninfo_parse(const char *s, struct redis_conninfo *out, char *err, size_t errlen)
{
	struct redis_conninfo ci;
	const char *p = s, *why = "";
	int word = 0;
	char dummy[1];
	size_t len;

	if (!err || errlen == 0) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!s) {
		snprintf(err, errlen, "no connection string");
		return -1;
	}
	len = strnlen(s, REDIS_CONNINFO_MAX + 1);
	if (len > REDIS_CONNINFO_MAX) {
		snprintf(err, errlen, "longer than %d bytes", REDIS_CONNINFO_MAX);
		return -1;
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f) {
			snprintf(err, errlen, "control character at byte %zu", i + 1);
			return -1;
		}
	}
	memset(&ci, 0, sizeof(ci));
	memcpy(ci.host, "127.0.0.1", sizeof("127.0.0.1"));
	ci.port = REDIS_CONNINFO_DEFAULT_PORT;
	ci.timeout_s = REDIS_CONNINFO_DEFAULT_TIMEOUT_S;
	for (;;) {
		const char *start, *eq, *end;
		enum conninfo_field f;

		while (conninfo_blank(*p))
			p++;
		if (!*p)
			break;
		word++;
		start = p;
		while (*p && !conninfo_blank(*p))
			p++;
		end = p;
		eq = memchr(start, '=', (size_t)(end - start));
		if (!eq) {
			snprintf(err, errlen, "word %d: not key=value", word);
			return -1;
		}
		if (conninfo_field_of(start, (size_t)(eq - start), &f) < 0) {
			snprintf(err, errlen, "word %d: unknown key '%.*s'", word,
				 (int)(eq - start > 64 ? 64 : eq - start), start);
			return -1;
		}
		if (eq + 1 == end) {
			snprintf(err, errlen, "%.*s: empty value", (int)(eq - start), start);
			return -1;
		}
		if (conninfo_set(&ci, f, eq + 1, (size_t)(end - eq - 1), &why) < 0) {
			snprintf(err, errlen, "%.*s: %s", (int)(eq - start), start, why);
			return -1;
		}
	}
	if (word == 0) {
		snprintf(err, errlen, "empty connection string");
		return -1;
	}
	if (ci.user[0] && !ci.password[0]) {
		snprintf(err, errlen, "user without password");
		return -1;
	}
	*out = ci;
	memset(&ci, 0, sizeof(ci));
	return 0;
}

void redis_conninfo_describe(const struct redis_conninfo *ci, char *buf, size_t len)
{
	bool v6 = strchr(ci->host, ':') != NULL;

	snprintf(buf, len, "%s%s%s:%u db %u", v6 ? "[" : "", ci->host, v6 ? "]" : "", ci->port,
		 ci->db);
}
