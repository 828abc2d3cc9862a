/*
 * fuzz_log_json.c - libFuzzer harness for log-format=json's encoder
 * (src/common/log_json.c). The first byte picks the buffer size past
 * LOG_JSON_MIN_CAP, the rest is the message (what a client may have put in
 * a log line). Checks what log_json.h promises: the object fits, closes
 * with "}, holds no raw control byte, every escape is whole (\" \\ or
 * \uXXXX) and the rest is valid UTF-8.
 */
#include <string.h>

#include "common/log_json.h"
#include "tests/fuzz/fuzz.h"

/* Bytes of the UTF-8 sequence at s (1..4) when well formed (RFC 3629), else 0. */
static size_t utf8_ok(const unsigned char *s, size_t left)
{
	size_t n = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : 4;

	if (s[0] >= 0x80 && (s[0] < 0xC2 || s[0] > 0xF4))
		return 0;
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char msg[4096], out[LOG_JSON_MIN_CAP + 256];
	const unsigned char *p = (const unsigned char *)out;
	size_t cap, n, i;

	if (size < 1)
		return 0;
	cap = LOG_JSON_MIN_CAP + data[0];
	size--;
	if (size >= sizeof(msg))
		size = sizeof(msg) - 1;
	memcpy(msg, data + 1, size);
	msg[size] = '\0';
	n = log_json_line(out, cap, "2026-12-07T10:00:00.000Z", "info", msg);
	CHECK(n > 0 && n < cap && strlen(out) == n);
	CHECK(out[n - 2] == '"' && out[n - 1] == '}');
	for (i = 0; i < n;) {
		size_t k;

		CHECK(p[i] >= 0x20);
		if (p[i] == '\\') {
			CHECK(i + 1 < n);
			if (p[i + 1] == 'u') {
				CHECK(i + 6 <= n);
				for (k = 2; k < 6; k++)
					CHECK(strchr("0123456789abcdef", p[i + k]) != NULL);
				i += 6;
			} else {
				CHECK(p[i + 1] == '"' || p[i + 1] == '\\');
				i += 2;
			}
			continue;
		}
		k = utf8_ok(p + i, n - i);
		CHECK(k > 0);
		i += k;
	}
	return 0;
}
