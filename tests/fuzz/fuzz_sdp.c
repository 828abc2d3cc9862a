/*
 * fuzz_sdp.c - libFuzzer harness for the SDP parser and rewriter. The bytes
 * are parsed as a full SDP and as a trickle fragment. Whatever parses must
 * write back unedited byte for byte. A full SDP then gets the anchor's
 * edits (origin, session c=, every port; for the first few sections also
 * c=, a=rtcp and ICE replaced; ice-lite). The result must write into
 * len * 2 + 4096 bytes and parse again (unless it grew past SDP_MAX_LEN).
 * Edits may refuse (-1), e.g. a line that would grow past
 * SDP_MAX_LINE_LEN; they may not crash or corrupt.
 * fuzz-sources: src/anchor/sdp.c src/anchor/sdp_cand.c src/anchor/sdp_write.c
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/sdp.h"
#include "common/addr.h"

/* Sections that get the whole rewrite; all get a new port. */
#define FUZZ_REWRITTEN_MEDIA 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_identity(const struct sdp *s, const uint8_t *data, size_t size)
{
	char *out = malloc(size + 1);

	if (!out)
		abort();
	if (sdp_write_len(s) != size || sdp_write(s, out, size + 1) != (int)size ||
	    memcmp(out, data, size) != 0)
		abort();
	free(out);
}

static void fuzz_anchor_edits(struct sdp *s)
{
	struct sockaddr_storage relay;
	char line[256];

	addr_parse("203.0.113.10", 0, &relay, NULL);
	sdp_set_origin_addr(s, AF_INET, "203.0.113.10");
	sdp_set_session_conn(s, AF_INET, "203.0.113.10");
	sdp_session_remove_ice(s);
	sdp_session_add_attr(s, "a=ice-lite");
	for (size_t i = 0; i < s->n_media; i++) {
		uint16_t port = (uint16_t)(40000 + 2 * i);

		sdp_media_set_port(s, i, s->media[i].port ? port : 0);
		/* the rest adds ~250 bytes a section: a few keep the output in bounds */
		if (i >= FUZZ_REWRITTEN_MEDIA)
			continue;
		sdp_media_set_conn(s, i, i % 2 ? AF_INET6 : AF_INET,
				   i % 2 ? "2001:db8::10" : "203.0.113.10");
		if (s->media[i].rtcp_mux)
			sdp_media_remove_rtcp(s, i);
		else
			sdp_media_set_rtcp(s, i, (uint16_t)(port + 1), AF_INET, "203.0.113.10");
		sdp_media_remove_ice(s, i);
		sdp_media_add_attr(s, i, "a=ice-ufrag:AnchUfrg");
		sdp_media_add_attr(s, i, "a=ice-pwd:anchorPassword0123456789");
		addr_set_port((struct sockaddr *)&relay, port);
		if (sdp_candidate_format(line, sizeof(line), "1", 1, "UDP", 16777215u,
					 (struct sockaddr *)&relay, "relay",
					 (struct sockaddr *)&relay) < 0)
			abort();
		sdp_media_add_attr(s, i, line);
		sdp_media_add_attr(s, i, "a=end-of-candidates");
		if (i == 0)
			sdp_media_remove_attr(s, i, "rtcp-mux");
	}
}

static void fuzz_full(const uint8_t *data, size_t size)
{
	struct sdp *s = NULL, *again = NULL;
	char err[256], *out;
	size_t cap = size * 2 + 4096;
	int n;

	if (sdp_parse((const char *)data, size, &s, err, sizeof(err)) < 0)
		return;
	fuzz_check_identity(s, data, size);
	fuzz_anchor_edits(s);
	out = malloc(cap);
	if (!out)
		abort();
	n = sdp_write(s, out, cap);
	if (n < 0 || (size_t)n != sdp_write_len(s) || strlen(out) != (size_t)n)
		abort();
	if (n <= SDP_MAX_LEN) {
		if (sdp_parse(out, (size_t)n, &again, err, sizeof(err)) < 0) {
			fprintf(stderr, "rewritten SDP does not parse: %s\n", err);
			abort();
		}
		if (again->n_media != s->n_media)
			abort();
		sdp_free(again);
	}
	free(out);
	sdp_free(s);
}

static void fuzz_fragment(const uint8_t *data, size_t size)
{
	struct sdp *s = NULL;
	char err[256];

	if (sdp_parse_fragment((const char *)data, size, &s, err, sizeof(err)) < 0)
		return;
	fuzz_check_identity(s, data, size);
	for (size_t i = 0; i < s->n_media; i++)
		if (s->media[i].mid && sdp_find_mid(s, s->media[i].mid) != (int)i)
			abort();
	sdp_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_full(data, size);
	fuzz_fragment(data, size);
	return 0;
}
