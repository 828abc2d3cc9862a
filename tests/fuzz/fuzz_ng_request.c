/*
 * fuzz_ng_request.c - libFuzzer harness for an ng request as the control
 * socket reads it: the datagram is split (cookie SP body), the body parsed
 * (bencode or JSON) and read as a request (ng_request_parse()). Whatever
 * comes in, the result is a request or a reason, never a crash or a read
 * past the input; a refused request always says why.
 * fuzz-sources: src/anchor/bencode.c src/anchor/json.c src/anchor/ng_request.c src/anchor/srtp_suite.c
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/anchor_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *cookie;
	const uint8_t *body;
	size_t cookie_len, body_len;
	struct bdoc *d;
	struct bval *root = NULL;
	struct ng_request req;
	char err[256], reason[256];

	if (ng_split(data, size, &cookie, &cookie_len, &body, &body_len) < 0)
		return 0;
	d = bdoc_new();
	if (!d)
		return 0;
	if (bdoc_parse(d, body, body_len, &root, err, sizeof(err)) == 0) {
		reason[0] = '\0';
		if (ng_request_parse(root, &req, reason, sizeof(reason)) < 0) {
			if (!reason[0])
				abort();
		} else if (memchr(req.warning, '\0', sizeof(req.warning)) == NULL) {
			abort();
		}
	}
	bdoc_free(d);
	return 0;
}
