/*
 * fuzz_tls_demux.c - libFuzzer harness for the TLS-or-plain first-byte
 * demux of a TCP connection (src/server/tls_demux.c). Checks: no byte is
 * needed beyond the second (the verdict on the whole input equals the one
 * on its first two bytes), MORE only for no byte at all, every STUN message
 * of a method below 0x0D0 and every ChannelData start is PLAIN (plain
 * clients are never sent to TLS), and TLS only ever starts with 0x16.
 * fuzz-sources: src/server/tls_demux.c
 */
#include <stdint.h>
#include <stdlib.h>

#include "server/tls.h"
#include "stun/stun.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	enum tls_demux d = tls_demux_stream(data, size);
	struct stun_msg m;

	CHECK(d == TLS_DEMUX_MORE || d == TLS_DEMUX_TLS || d == TLS_DEMUX_PLAIN ||
	      d == TLS_DEMUX_GARBAGE);
	CHECK(d == tls_demux_stream(data, size < 2 ? size : 2));
	CHECK((d == TLS_DEMUX_MORE) == (size == 0));
	if (d == TLS_DEMUX_TLS)
		CHECK(data[0] == 0x16);
	if (size && data[0] >= 0x40 && data[0] <= 0x7f)
		CHECK(d == TLS_DEMUX_PLAIN); /* ChannelData, RFC 8656 §12.4 */
	if (stun_msg_parse(&m, data, size) == STUN_PARSE_OK && m.method < 0x0D0)
		CHECK(d == TLS_DEMUX_PLAIN);
	return 0;
}
