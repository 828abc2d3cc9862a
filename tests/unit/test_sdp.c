/*
 * test_sdp.c - SDP parsing, rewriting and writing for the media anchor
 * (src/anchor/sdp.c, sdp_cand.c, sdp_write.c): an Asterisk WebRTC offer
 * rewritten the way the anchor does it, a Chrome (JsSIP) BUNDLE offer
 * with mDNS, srflx, relay, TCP and IPv6 candidates, trickle fragments,
 * edits, the line-formatting helpers, and every parse error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/sdp.h"
#include "common/addr.h"

#define CRLF "\r\n"

/* clang-format off */
/* The lines of Asterisk's audio section that the anchor passes on as they are. */
#define ASTERISK_DTLS \
    "a=setup:actpass" CRLF \
    "a=fingerprint:sha-256 " \
    "8B:1F:6A:0C:93:5E:D2:47:B1:0A:7C:3E:59:F4:22:86:CD:71:0E:B8:44:9A:3F:D6:12:E5:" \
    "7B:08:C3:6F:A9:50" CRLF
#define ASTERISK_CODECS \
    "a=rtpmap:111 opus/48000/2" CRLF \
    "a=fmtp:111 useinbandfec=1" CRLF \
    "a=rtpmap:0 PCMU/8000" CRLF \
    "a=rtpmap:8 PCMA/8000" CRLF \
    "a=rtpmap:101 telephone-event/8000" CRLF \
    "a=fmtp:101 0-16" CRLF \
    "a=ptime:20" CRLF \
    "a=maxptime:60" CRLF \
    "a=sendrecv" CRLF \
    "a=rtcp-mux" CRLF
#define ASTERISK_STREAM \
    "a=ssrc:1732845124 cname:5a6f1e0c-3b2d-4c8e-9f7a-1d2c3b4a5e6f" CRLF \
    "a=ssrc:1732845124 msid:ast-stream audio-0" CRLF \
    "a=msid:ast-stream audio-0" CRLF \
    "a=mid:0" CRLF

/* Asterisk 20 chan_pjsip, WebRTC endpoint (webrtc=yes), host in a Docker host network. */
static const char asterisk_offer[] =
    "v=0" CRLF
    "o=- 1716991234 1716991234 IN IP4 192.168.210.54" CRLF
    "s=Asterisk" CRLF
    "c=IN IP4 192.168.210.54" CRLF
    "t=0 0" CRLF
    "a=msid-semantic:WMS *" CRLF
    "a=group:BUNDLE 0" CRLF
    "m=audio 10000 UDP/TLS/RTP/SAVPF 111 0 8 101" CRLF
    "a=connection:new" CRLF
    ASTERISK_DTLS
    "a=ice-ufrag:6c2f0d8a1b3e4f57" CRLF
    "a=ice-pwd:3a7e9b0c5d1f2a8e6b4c0d9f" CRLF
    "a=candidate:Hc0a8d236 1 UDP 2130706431 192.168.210.54 10000 typ host" CRLF
    "a=candidate:Hc0a8d236 2 UDP 2130706430 192.168.210.54 10001 typ host" CRLF
    "a=candidate:Hac110001 1 UDP 2130706431 172.17.0.1 10000 typ host" CRLF
    "a=candidate:Hac110001 2 UDP 2130706430 172.17.0.1 10001 typ host" CRLF
    ASTERISK_CODECS
    "a=rtcp:10001 IN IP4 192.168.210.54" CRLF
    ASTERISK_STREAM;

/* What the anchor sends on: its address, its port, its ICE, everything else as it was. */
static const char asterisk_rewritten[] =
    "v=0" CRLF
    "o=- 1716991234 1716991234 IN IP4 203.0.113.10" CRLF
    "s=Asterisk" CRLF
    "c=IN IP4 203.0.113.10" CRLF
    "t=0 0" CRLF
    "a=msid-semantic:WMS *" CRLF
    "a=group:BUNDLE 0" CRLF
    "a=ice-lite" CRLF
    "m=audio 40000 UDP/TLS/RTP/SAVPF 111 0 8 101" CRLF
    "a=connection:new" CRLF
    ASTERISK_DTLS
    ASTERISK_CODECS
    "a=rtcp:40001 IN IP4 203.0.113.10" CRLF
    ASTERISK_STREAM
    "a=ice-ufrag:AnchUfrg" CRLF
    "a=ice-pwd:anchorPassword0123456789" CRLF
    "a=candidate:1 1 UDP 16777215 203.0.113.10 40000 typ relay raddr 203.0.113.10 "
    "rport 40000" CRLF
    "a=candidate:1 2 UDP 16777214 203.0.113.10 40001 typ relay raddr 203.0.113.10 "
    "rport 40001" CRLF
    "a=end-of-candidates" CRLF;

/* The transport lines Chrome repeats in each bundled section after the first. */
#define CHROME_BUNDLED_TRANSPORT \
    "a=candidate:1467250027 1 udp 2122260223 " \
    "3f2a1c9e-2f0d-4c5b-9d1e-7a6b5c4d3e2f.local 54400 typ host generation 0 " \
    "network-id 1" CRLF \
    "a=ice-ufrag:Fx2p" CRLF \
    "a=ice-pwd:oN1fYh0nbD6cZ3Jr2kP4wQ7e" CRLF \
    "a=ice-options:trickle" CRLF \
    "a=fingerprint:sha-256 " \
    "1E:3A:55:C0:9B:7F:42:D8:06:E1:AF:93:5C:28:B4:7D:60:0F:C9:31:8E:A2:5B:17:D4:E6:" \
    "39:0C:72:AB:84:F5" CRLF \
    "a=setup:actpass" CRLF

/* Chrome 124 through JsSIP: BUNDLE of audio, video and a data channel, IPv6 c=. */
static const char chrome_offer[] =
    "v=0" CRLF
    "o=- 4611731400430051336 2 IN IP6 2001:db8:1::10" CRLF
    "s=-" CRLF
    "t=0 0" CRLF
    "a=group:BUNDLE 0 1 2" CRLF
    "a=extmap-allow-mixed" CRLF
    "a=msid-semantic: WMS 5f1cd2e4-6b7a-4c3d-8e9f-0a1b2c3d4e5f" CRLF
    "m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126" CRLF
    "c=IN IP6 2001:db8:1::10" CRLF
    "a=rtcp:9 IN IP4 0.0.0.0" CRLF
    "a=candidate:1467250027 1 udp 2122260223 "
    "3f2a1c9e-2f0d-4c5b-9d1e-7a6b5c4d3e2f.local 54400 typ host generation 0 "
    "network-id 1" CRLF
    "a=candidate:2001 1 udp 2122262783 2001:db8:1::10 54401 typ host generation 0 "
    "network-id 2" CRLF
    "a=candidate:842163049 1 udp 1686052607 198.51.100.7 61234 typ srflx raddr "
    "0.0.0.0 rport 0 generation 0 network-id 1" CRLF
    "a=candidate:3019287811 1 udp 41885439 203.0.113.50 3478 typ relay raddr "
    "198.51.100.7 rport 61234 generation 0 network-id 1" CRLF
    "a=candidate:1061940115 1 tcp 1518280447 "
    "3f2a1c9e-2f0d-4c5b-9d1e-7a6b5c4d3e2f.local 9 typ host tcptype active generation "
    "0 network-id 1" CRLF
    "a=candidate:2999745851 1 tcp 1518283007 2001:db8:1::10 9 typ host tcptype "
    "passive generation 0 network-id 2" CRLF
    "a=ice-ufrag:Fx2p" CRLF
    "a=ice-pwd:oN1fYh0nbD6cZ3Jr2kP4wQ7e" CRLF
    "a=ice-options:trickle" CRLF
    "a=fingerprint:sha-256 "
    "1E:3A:55:C0:9B:7F:42:D8:06:E1:AF:93:5C:28:B4:7D:60:0F:C9:31:8E:A2:5B:17:D4:E6:"
    "39:0C:72:AB:84:F5" CRLF
    "a=setup:actpass" CRLF
    "a=mid:0" CRLF
    "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level" CRLF
    "a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time" CRLF
    "a=sendrecv" CRLF
    "a=msid:5f1cd2e4-6b7a-4c3d-8e9f-0a1b2c3d4e5f 9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d" CRLF
    "a=rtcp-mux" CRLF
    "a=rtpmap:111 opus/48000/2" CRLF
    "a=rtcp-fb:111 transport-cc" CRLF
    "a=fmtp:111 minptime=10;useinbandfec=1" CRLF
    "a=rtpmap:63 red/48000/2" CRLF
    "a=fmtp:63 111/111" CRLF
    "a=rtpmap:9 G722/8000" CRLF
    "a=rtpmap:0 PCMU/8000" CRLF
    "a=rtpmap:8 PCMA/8000" CRLF
    "a=rtpmap:13 CN/8000" CRLF
    "a=rtpmap:110 telephone-event/48000" CRLF
    "a=rtpmap:126 telephone-event/8000" CRLF
    "a=ssrc:1001 cname:mK3pQ9sT2vX8yZ1a" CRLF
    "a=ssrc:1001 msid:5f1cd2e4-6b7a-4c3d-8e9f-0a1b2c3d4e5f "
    "9a8b7c6d-5e4f-4a3b-2c1d-0e9f8a7b6c5d" CRLF
    "m=video 54400 UDP/TLS/RTP/SAVPF 96 97" CRLF
    "c=IN IP6 2001:db8:1::10" CRLF
    "a=rtcp:9 IN IP4 0.0.0.0" CRLF
    CHROME_BUNDLED_TRANSPORT
    "a=mid:1" CRLF
    "a=extmap:3 urn:3gpp:video-orientation" CRLF
    "a=sendonly" CRLF
    "a=msid:5f1cd2e4-6b7a-4c3d-8e9f-0a1b2c3d4e5f 1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e" CRLF
    "a=rtcp-mux" CRLF
    "a=rtcp-rsize" CRLF
    "a=rtpmap:96 VP8/90000" CRLF
    "a=rtcp-fb:96 goog-remb" CRLF
    "a=rtcp-fb:96 nack pli" CRLF
    "a=rtpmap:97 rtx/90000" CRLF
    "a=fmtp:97 apt=96" CRLF
    "a=ssrc-group:FID 2002 2003" CRLF
    "a=ssrc:2002 cname:mK3pQ9sT2vX8yZ1a" CRLF
    "a=ssrc:2003 cname:mK3pQ9sT2vX8yZ1a" CRLF
    "m=application 54400 UDP/DTLS/SCTP webrtc-datachannel" CRLF
    "c=IN IP6 2001:db8:1::10" CRLF
    CHROME_BUNDLED_TRANSPORT
    "a=mid:2" CRLF
    "a=sctp-port:5000" CRLF
    "a=max-message-size:262144" CRLF;

/* A small valid offer the error cases start from (line 6 is m=). */
static const char base_offer[] =
    "v=0" CRLF
    "o=- 1 1 IN IP4 192.0.2.1" CRLF
    "s=-" CRLF
    "c=IN IP4 192.0.2.1" CRLF
    "t=0 0" CRLF
    "m=audio 4000 RTP/AVP 0" CRLF
    "a=rtpmap:0 PCMU/8000" CRLF;

/* clang-format on */

static char out_buf[3 * SDP_MAX_LEN];

static struct sdp *parse_ok(const char *text, size_t len)
{
	char err[256];
	struct sdp *s = NULL;

	if (sdp_parse(text, len, &s, err, sizeof(err)) < 0)
		fail_msg("parse failed: %s", err);
	return s;
}

static struct sdp *parse_str(const char *text)
{
	return parse_ok(text, strlen(text));
}

static void expect_error(const char *text, size_t len, const char *want)
{
	char err[256] = "untouched";
	struct sdp *s = (struct sdp *)&err; /* must stay as it is on failure */

	if (sdp_parse(text, len, &s, err, sizeof(err)) == 0)
		fail_msg("parsed, expected \"%s\"", want);
	assert_ptr_equal(s, (struct sdp *)&err);
	assert_string_equal(err, want);
}

static const char *write_str(const struct sdp *s)
{
	int n = sdp_write(s, out_buf, sizeof(out_buf));

	assert_true(n >= 0);
	assert_int_equal((size_t)n, strlen(out_buf));
	assert_int_equal((size_t)n, sdp_write_len(s));
	return out_buf;
}

/* Same text, line by line, so that a failure names the first line that differs. */
static void assert_same_lines(const char *got, const char *want)
{
	size_t line = 1;

	while (*got || *want) {
		size_t gn = strcspn(got, "\n"), wn = strcspn(want, "\n");

		if (gn != wn || memcmp(got, want, gn) != 0)
			fail_msg("line %zu: got \"%.*s\", want \"%.*s\"", line, (int)gn, got,
				 (int)wn, want);
		got += gn + (got[gn] == '\n');
		want += wn + (want[wn] == '\n');
		line++;
	}
}

/* The CRLF text with LF endings, in one of two static slots. */
static const char *to_lf(const char *text)
{
	static char slot[2][16384];
	static int next;
	char *d = slot[next++ % 2];
	size_t n = 0;

	for (; *text; text++)
		if (*text != '\r')
			d[n++] = *text;
	d[n] = '\0';
	return d;
}

/* Replace line number line_no (1-based) of text with repl (NULL: drop it). */
static const char *with_line(const char *text, size_t line_no, const char *repl)
{
	static char buf[16384];
	size_t n = 0, line = 1;

	while (*text) {
		size_t len = strcspn(text, "\n") + 1;

		if (line == line_no) {
			if (repl)
				n += (size_t)sprintf(buf + n, "%s\r\n", repl);
		} else {
			memcpy(buf + n, text, len);
			n += len;
		}
		text += len;
		line++;
	}
	buf[n] = '\0';
	return buf;
}

/* A string literal, NUL bytes included. */
#define EXPECT_LIT(lit, want) expect_error(lit, sizeof(lit) - 1, want)

static void expect_line_error(size_t line_no, const char *repl, const char *want)
{
	const char *text = with_line(base_offer, line_no, repl);

	expect_error(text, strlen(text), want);
}

/* One bad line: line_no replaced by repl (NULL: removed), the error wanted. */
struct line_case {
	size_t line_no;
	const char *repl;
	const char *want;
};

static void expect_line_errors(const struct line_case *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		expect_line_error(c[i].line_no, c[i].repl, c[i].want);
}

static struct sockaddr *sa(const char *text)
{
	static struct sockaddr_storage slot[4];
	static int next;
	struct sockaddr_storage *ss = &slot[next++ % 4];

	if (addr_parse(text, 0, ss, NULL) < 0)
		fail_msg("bad address %s", text);
	return (struct sockaddr *)ss;
}

static const char *ip_of(const struct sockaddr_storage *ss)
{
	static char buf[ADDR_STRLEN];

	return addr_str((const struct sockaddr *)ss, buf, sizeof(buf));
}

static void test_asterisk_offer_parses_owned_fields(void **state)
{
	struct sdp *s = parse_str(asterisk_offer);
	const struct sdp_media *m;

	(void)state;
	assert_false(s->fragment);
	assert_true(s->crlf);
	assert_true(s->has_origin);
	assert_int_equal(s->origin.family, AF_INET);
	assert_string_equal(s->origin.addr, "192.168.210.54");
	assert_true(s->origin.is_ip);
	assert_true(s->has_conn);
	assert_string_equal(s->conn.addr, "192.168.210.54");
	assert_int_equal(s->n_groups, 1);
	assert_string_equal(s->groups[0].semantics, "BUNDLE");
	assert_int_equal(s->groups[0].n_mids, 1);
	assert_string_equal(s->groups[0].mids[0], "0");
	assert_false(s->ice_lite);

	assert_int_equal(s->n_media, 1);
	m = &s->media[0];
	assert_string_equal(m->type, "audio");
	assert_int_equal(m->port, 10000);
	assert_int_equal(m->port_count, 1);
	assert_string_equal(m->proto, "UDP/TLS/RTP/SAVPF");
	assert_string_equal(m->formats, "111 0 8 101");
	assert_int_equal(m->line_no, 8);
	assert_true(m->has_conn);
	assert_false(m->conn_media_level);
	assert_int_equal(m->conn.family, AF_INET);
	assert_string_equal(ip_of(&m->conn.sa), "192.168.210.54:0");
	assert_true(m->has_rtcp);
	assert_int_equal(m->rtcp_port, 10001);
	assert_true(m->rtcp_has_addr);
	assert_string_equal(m->rtcp_addr.addr, "192.168.210.54");
	assert_true(m->rtcp_mux);
	assert_string_equal(m->mid, "0");
	assert_int_equal(m->dir, SDP_DIR_SENDRECV);
	assert_int_equal(m->setup, SDP_SETUP_ACTPASS);
	assert_true(m->has_fingerprint);
	assert_false(m->has_crypto);
	assert_string_equal(m->ice_ufrag, "6c2f0d8a1b3e4f57");
	assert_string_equal(m->ice_pwd, "3a7e9b0c5d1f2a8e6b4c0d9f");
	assert_true(m->ice_ufrag_ok);
	assert_true(m->ice_pwd_ok);
	assert_null(m->ice_options);
	assert_false(m->end_of_candidates);

	assert_int_equal(m->n_candidates, 4);
	assert_string_equal(m->candidates[0].foundation, "Hc0a8d236");
	assert_int_equal(m->candidates[0].component, 1);
	assert_string_equal(m->candidates[0].transport, "UDP");
	assert_int_equal(m->candidates[0].priority, 2130706431u);
	assert_string_equal(m->candidates[0].address, "192.168.210.54");
	assert_true(m->candidates[0].is_ip);
	assert_string_equal(ip_of(&m->candidates[0].sa), "192.168.210.54:10000");
	assert_int_equal(m->candidates[0].type, SDP_CAND_HOST);
	assert_null(m->candidates[0].raddr);
	assert_int_equal(m->candidates[1].component, 2);
	assert_int_equal(m->candidates[1].port, 10001);
	assert_string_equal(ip_of(&m->candidates[3].sa), "172.17.0.1:10001");
	assert_int_equal(m->candidates[3].tcptype, SDP_TCPTYPE_NONE);
	sdp_free(s);
}

/* The edits the anchor makes on an offer towards the browser. */
static void anchor_rewrite(struct sdp *s, size_t i, uint16_t port)
{
	char line[256];

	assert_int_equal(sdp_set_origin_addr(s, AF_INET, "203.0.113.10"), 0);
	assert_int_equal(sdp_set_session_conn(s, AF_INET, "203.0.113.10"), 0);
	assert_int_equal(sdp_session_remove_ice(s), 0);
	assert_int_equal(sdp_session_add_attr(s, "a=ice-lite"), 0);
	assert_int_equal(sdp_media_set_port(s, i, port), 0);
	if (s->media[i].conn_media_level)
		assert_int_equal(sdp_media_set_conn(s, i, AF_INET, "203.0.113.10"), 0);
	if (s->media[i].has_rtcp)
		assert_int_equal(sdp_media_set_rtcp(s, i, port + 1, AF_INET, "203.0.113.10"), 0);
	assert_int_equal(sdp_media_remove_ice(s, i), 0);
	assert_int_equal(sdp_media_add_attr(s, i, "a=ice-ufrag:AnchUfrg"), 0);
	assert_int_equal(sdp_media_add_attr(s, i, "a=ice-pwd:anchorPassword0123456789"), 0);
	for (unsigned comp = 1; comp <= 2; comp++) {
		struct sockaddr_storage relay;

		assert_int_equal(
		    addr_parse("203.0.113.10", (uint16_t)(port + comp - 1), &relay, NULL), 0);
		assert_true(sdp_candidate_format(line, sizeof(line), "1", comp, "UDP",
						 16777216u - comp, (struct sockaddr *)&relay,
						 "relay", (struct sockaddr *)&relay) > 0);
		assert_int_equal(sdp_media_add_attr(s, i, line), 0);
	}
	assert_int_equal(sdp_media_add_attr(s, i, "a=end-of-candidates"), 0);
}

static void test_asterisk_offer_anchor_rewrite_keeps_other_lines(void **state)
{
	struct sdp *s = parse_str(asterisk_offer), *again;

	(void)state;
	anchor_rewrite(s, 0, 40000);
	assert_same_lines(write_str(s), asterisk_rewritten);
	assert_string_equal(write_str(s), asterisk_rewritten);

	/* the parsed fields still describe the input; the output parses as the new SDP */
	assert_int_equal(s->media[0].port, 10000);
	again = parse_str(write_str(s));
	assert_int_equal(again->media[0].port, 40000);
	assert_string_equal(again->origin.addr, "203.0.113.10");
	assert_true(again->media[0].ice_lite);
	assert_true(again->media[0].end_of_candidates);
	assert_int_equal(again->media[0].n_candidates, 2);
	assert_int_equal(again->media[0].candidates[1].type, SDP_CAND_RELAY);
	assert_string_equal(again->media[0].candidates[1].raddr, "203.0.113.10");
	assert_int_equal(again->media[0].candidates[1].rport, 40001);
	assert_int_equal(again->media[0].rtcp_port, 40001);
	sdp_free(again);
	sdp_free(s);
}

static void test_unedited_sdp_is_written_byte_for_byte(void **state)
{
	const char *const texts[] = {asterisk_offer, chrome_offer, base_offer,
				     to_lf(asterisk_offer), to_lf(chrome_offer)};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct sdp *s = parse_str(texts[i]);

		assert_string_equal(write_str(s), texts[i]);
		sdp_free(s);
	}
}

static void test_chrome_bundle_offer_parses_all_candidate_kinds(void **state)
{
	struct sdp *s = parse_str(chrome_offer);
	const struct sdp_media *a, *v, *d;
	const struct sdp_candidate *c;
	const struct sdp_group *g;

	(void)state;
	assert_int_equal(s->origin.family, AF_INET6);
	assert_string_equal(s->origin.addr, "2001:db8:1::10");
	assert_false(s->has_conn);
	assert_int_equal(s->n_media, 3);
	a = &s->media[0];
	v = &s->media[1];
	d = &s->media[2];

	g = sdp_bundle_group(s, "2");
	assert_non_null(g);
	assert_int_equal(g->n_mids, 3);
	assert_string_equal(g->mids[0], "0");
	assert_string_equal(g->mids[2], "2");
	assert_null(sdp_bundle_group(s, "3"));
	assert_int_equal(sdp_find_mid(s, "1"), 1);
	assert_int_equal(sdp_find_mid(s, "x"), -1);

	assert_true(a->conn_media_level);
	assert_int_equal(a->conn.family, AF_INET6);
	assert_string_equal(ip_of(&a->conn.sa), "[2001:db8:1::10]:0");
	assert_int_equal(a->rtcp_port, 9);
	assert_string_equal(a->rtcp_addr.addr, "0.0.0.0");
	assert_string_equal(a->ice_options, "trickle");
	assert_string_equal(a->ice_ufrag, "Fx2p");
	assert_true(a->ice_ufrag_ok);
	assert_true(a->ice_pwd_ok);
	assert_int_equal(a->n_candidates, 6);

	c = &a->candidates[0]; /* mDNS host */
	assert_string_equal(c->address, "3f2a1c9e-2f0d-4c5b-9d1e-7a6b5c4d3e2f.local");
	assert_false(c->is_ip);
	assert_int_equal(c->port, 54400);
	assert_string_equal(c->transport, "udp");
	c = &a->candidates[1]; /* IPv6 host */
	assert_true(c->is_ip);
	assert_string_equal(ip_of(&c->sa), "[2001:db8:1::10]:54401");
	c = &a->candidates[2]; /* srflx with raddr 0.0.0.0 rport 0 */
	assert_int_equal(c->type, SDP_CAND_SRFLX);
	assert_string_equal(c->type_text, "srflx");
	assert_string_equal(c->raddr, "0.0.0.0");
	assert_true(c->raddr_is_ip);
	assert_true(c->has_rport);
	assert_int_equal(c->rport, 0);
	c = &a->candidates[3]; /* relay */
	assert_int_equal(c->type, SDP_CAND_RELAY);
	assert_int_equal(c->priority, 41885439u);
	assert_string_equal(ip_of(&c->raddr_sa), "198.51.100.7:61234");
	c = &a->candidates[4]; /* tcp active on the mDNS name */
	assert_string_equal(c->transport, "tcp");
	assert_int_equal(c->tcptype, SDP_TCPTYPE_ACTIVE);
	assert_int_equal(c->port, 9);
	assert_int_equal(a->candidates[5].tcptype, SDP_TCPTYPE_PASSIVE);

	assert_int_equal(v->dir, SDP_DIR_SENDONLY);
	assert_true(v->rtcp_mux);
	assert_string_equal(v->mid, "1");
	assert_string_equal(d->type, "application");
	assert_string_equal(d->proto, "UDP/DTLS/SCTP");
	assert_string_equal(d->formats, "webrtc-datachannel");
	assert_false(d->has_rtcp);
	assert_false(d->rtcp_mux);
	assert_int_equal(d->setup, SDP_SETUP_ACTPASS);
	assert_int_equal(d->n_candidates, 1);
	sdp_free(s);
}

static void test_chrome_offer_with_lf_endings_gets_lf_lines(void **state)
{
	const char *lf = to_lf(chrome_offer);
	struct sdp *s = parse_str(lf), *again;
	const char *out;

	(void)state;
	assert_false(s->crlf);
	for (size_t i = 0; i < s->n_media; i++) {
		assert_int_equal(sdp_media_set_conn(s, i, AF_INET6, "2001:db8:ff::1"), 0);
		assert_int_equal(sdp_media_set_rtcp(s, i, 40001, AF_INET6, "2001:db8:ff::1"), 0);
		assert_int_equal(sdp_media_remove_ice(s, i), 0);
		assert_int_equal(sdp_media_add_attr(s, i, "a=end-of-candidates"), 0);
	}
	out = write_str(s);
	assert_null(strchr(out, '\r'));
	assert_non_null(strstr(out, "m=audio 54400 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126\n"
				    "c=IN IP6 2001:db8:ff::1\n"
				    "a=rtcp:40001 IN IP6 2001:db8:ff::1\n"
				    "a=fingerprint:"));
	/* the data channel had no a=rtcp: one is inserted before its first attribute */
	assert_non_null(strstr(out, "m=application 54400 UDP/DTLS/SCTP webrtc-datachannel\n"
				    "c=IN IP6 2001:db8:ff::1\n"
				    "a=rtcp:40001 IN IP6 2001:db8:ff::1\n"
				    "a=fingerprint:"));
	assert_non_null(strstr(out, "a=max-message-size:262144\na=end-of-candidates\n"));
	assert_null(strstr(out, "a=candidate"));
	assert_null(strstr(out, "a=ice-"));
	again = parse_str(out);
	assert_int_equal(again->n_media, 3);
	assert_true(again->media[2].end_of_candidates);
	assert_string_equal(again->media[2].rtcp_addr.addr, "2001:db8:ff::1");
	sdp_free(again);
	sdp_free(s);
}

static void test_offer_with_port_zero_keeps_stream_rejected(void **state)
{
	const char *text = "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF
			   "c=IN IP4 192.0.2.1" CRLF "t=0 0" CRLF "m=audio 4000 RTP/AVP 0" CRLF
			   "m=video 0 RTP/AVP 96" CRLF "a=rtpmap:96 H264/90000" CRLF;
	struct sdp *s = parse_str(text);
	const char *out;

	(void)state;
	assert_int_equal(s->media[1].port, 0);
	assert_int_equal(sdp_media_set_port(s, 0, 40000), 0);
	out = write_str(s);
	assert_non_null(strstr(out, "m=audio 40000 RTP/AVP 0\r\nm=video 0 RTP/AVP 96\r\n"));
	assert_int_equal(sdp_media_set_port(s, 2, 1), -1);
	sdp_free(s);
}

static void test_port_count_is_kept_when_port_changes(void **state)
{
	struct sdp *s = parse_str(with_line(base_offer, 6, "m=audio 4000/2 RTP/AVP 0 8"));

	(void)state;
	assert_int_equal(s->media[0].port_count, 2);
	assert_int_equal(sdp_media_set_port(s, 0, 65535), 0);
	assert_non_null(strstr(write_str(s), "\r\nm=audio 65535/2 RTP/AVP 0 8\r\n"));
	sdp_free(s);
}

static void test_ipv6_origin_and_connection_are_rewritten(void **state)
{
	const char *text =
	    "v=0" CRLF "o=jdoe 2890844526 2890842807 IN IP6 2001:db8::2" CRLF "s=-" CRLF
	    "c=IN IP6 2001:db8::2" CRLF "t=0 0" CRLF "m=audio 49170 RTP/AVP 0" CRLF;
	struct sdp *s = parse_str(text);

	(void)state;
	assert_int_equal(s->origin.family, AF_INET6);
	assert_int_equal(s->conn.family, AF_INET6);
	assert_string_equal(ip_of(&s->media[0].conn.sa), "[2001:db8::2]:0");
	/* IPv6 side to IPv4 side, and refusals */
	assert_int_equal(sdp_set_origin_addr(s, AF_INET6, "192.0.2.1"), -1);
	assert_int_equal(sdp_set_session_conn(s, AF_INET, "2001:db8::1"), -1);
	assert_int_equal(sdp_set_session_conn(s, AF_UNIX, "anchor.example.com"), -1);
	assert_int_equal(sdp_set_origin_addr(s, AF_INET, "198.51.100.1"), 0);
	assert_int_equal(sdp_set_session_conn(s, AF_INET6, "anchor.example.com"), 0);
	assert_string_equal(write_str(s),
			    "v=0" CRLF "o=jdoe 2890844526 2890842807 IN IP4 198.51.100.1" CRLF
			    "s=-" CRLF "c=IN IP6 anchor.example.com" CRLF "t=0 0" CRLF
			    "m=audio 49170 RTP/AVP 0" CRLF);
	sdp_free(s);
}

static void test_sdp_without_trailing_newline_stays_without(void **state)
{
	const char *text = "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\nt=0 0\n"
			   "m=audio 4000 RTP/AVP 0\na=end-of-candidates";
	struct sdp *s = parse_str(text);

	(void)state;
	assert_true(s->media[0].end_of_candidates);
	assert_string_equal(write_str(s), text);
	/* appended lines: the old last line gets an ending, the new last has none */
	assert_int_equal(sdp_media_add_attr(s, 0, "a=rtcp-mux"), 0);
	assert_int_equal(sdp_media_add_attr(s, 0, "a=mid:0"), 0);
	assert_string_equal(write_str(s), "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\n"
					  "t=0 0\nm=audio 4000 RTP/AVP 0\na=end-of-candidates\n"
					  "a=rtcp-mux\na=mid:0");
	/* removing the last line leaves the one before as the last */
	assert_int_equal(sdp_media_remove_attr(s, 0, "mid"), 0);
	assert_int_equal(sdp_media_remove_ice(s, 0), 0);
	assert_string_equal(write_str(s), "v=0\no=- 1 1 IN IP4 192.0.2.1\ns=-\nc=IN IP4 192.0.2.1\n"
					  "t=0 0\nm=audio 4000 RTP/AVP 0\na=rtcp-mux");
	sdp_free(s);
}

static void test_trailing_empty_lines_are_kept(void **state)
{
	char text[512];
	struct sdp *s;

	(void)state;
	snprintf(text, sizeof(text), "%s\r\n\r\n", base_offer);
	s = parse_str(text);
	assert_int_equal(sdp_media_add_attr(s, 0, "a=sendonly"), 0);
	snprintf(text, sizeof(text), "%sa=sendonly\r\n\r\n\r\n", base_offer);
	assert_string_equal(write_str(s), text);
	sdp_free(s);
}

static void test_write_into_too_small_buffer_fails(void **state)
{
	struct sdp *s = parse_str(base_offer);
	size_t n = strlen(base_offer);
	char small[256];

	(void)state;
	assert_true(n + 1 <= sizeof(small));
	assert_int_equal(sdp_write_len(s), n);
	assert_int_equal(sdp_write(s, small, n), -1); /* no room for the NUL */
	assert_int_equal(sdp_write(s, small, 10), -1);
	assert_int_equal(sdp_write(s, NULL, 0), -1);
	assert_int_equal(sdp_write(s, small, n + 1), (int)n);
	assert_string_equal(small, base_offer);
	sdp_free(s);
}

static void test_fragment_parses_trickled_candidates(void **state)
{
	const char *frag =
	    "a=ice-ufrag:Fx2p" CRLF "a=ice-pwd:oN1fYh0nbD6cZ3Jr2kP4wQ7e" CRLF
	    "a=ice-options:trickle" CRLF "m=audio 9 UDP/TLS/RTP/SAVPF 111" CRLF "a=mid:0" CRLF
	    "a=candidate:842163049 1 udp 1686052607 198.51.100.7 61234 typ srflx "
	    "raddr 192.168.1.20 rport 54400 generation 0" CRLF "m=video 9 UDP/TLS/RTP/SAVPF 96" CRLF
	    "a=mid:1" CRLF "a=end-of-candidates" CRLF;
	struct sdp *s = NULL;
	char err[128];

	(void)state;
	assert_int_equal(sdp_parse_fragment(frag, strlen(frag), &s, err, sizeof(err)), 0);
	assert_true(s->fragment);
	assert_false(s->has_origin);
	assert_int_equal(s->n_media, 2);
	assert_int_equal(sdp_find_mid(s, "0"), 0);
	assert_string_equal(s->media[0].ice_ufrag, "Fx2p"); /* from the session level */
	assert_string_equal(s->media[1].ice_pwd, "oN1fYh0nbD6cZ3Jr2kP4wQ7e");
	assert_string_equal(s->media[0].ice_options, "trickle");
	assert_false(s->media[0].has_conn);
	assert_int_equal(s->media[0].n_candidates, 1);
	assert_string_equal(ip_of(&s->media[0].candidates[0].sa), "198.51.100.7:61234");
	assert_string_equal(ip_of(&s->media[0].candidates[0].raddr_sa), "192.168.1.20:54400");
	assert_false(s->media[0].end_of_candidates);
	assert_true(s->media[1].end_of_candidates);
	assert_int_equal(sdp_set_origin_addr(s, AF_INET, "192.0.2.1"), -1);
	assert_int_equal(sdp_set_session_conn(s, AF_INET, "192.0.2.1"), 0); /* none: nothing */
	assert_string_equal(write_str(s), frag);
	sdp_free(s);

	/* candidates only, the smallest fragment */
	frag = "m=audio 9 RTP/AVP 0\na=mid:a\na=candidate:1 1 UDP 1 192.0.2.9 5 typ host";
	assert_int_equal(sdp_parse_fragment(frag, strlen(frag), &s, err, sizeof(err)), 0);
	assert_int_equal(s->media[0].candidates[0].port, 5);
	sdp_free(s);
}

static void test_fragment_rejects_session_lines(void **state)
{
	const char *frag;
	struct sdp *s = NULL;
	char err[128];

	(void)state;
	assert_int_equal(sdp_parse_fragment(base_offer, strlen(base_offer), &s, err, sizeof(err)),
			 -1);
	assert_string_equal(err, "line 1: v= is not allowed in an SDP fragment");
	frag = "o=- 1 1 IN IP4 192.0.2.1\n";
	assert_int_equal(sdp_parse_fragment(frag, strlen(frag), &s, err, sizeof(err)), -1);
	assert_string_equal(err, "line 1: o= is not allowed in an SDP fragment");
	frag = "a=candidate:1 1 UDP 1 192.0.2.9 5 typ host\n";
	assert_int_equal(sdp_parse_fragment(frag, strlen(frag), &s, err, sizeof(err)), -1);
	assert_string_equal(err,
			    "line 1: a=candidate at session level (it belongs in an m= section)");
	assert_null(s);
}

static void test_session_level_values_apply_to_media(void **state)
{
	const char *text =
	    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF "t=0 0" CRLF "a=ice-lite" CRLF
	    "a=ice-ufrag:sess" CRLF "a=ice-pwd:sessionpassword0123456789" CRLF
	    "a=fingerprint:sha-1 00:11" CRLF "a=setup:passive" CRLF "a=recvonly" CRLF
	    "m=audio 4000 RTP/SAVP 0" CRLF "c=IN IP4 192.0.2.7" CRLF
	    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
	    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" CRLF "m=audio 4002 RTP/AVP 0" CRLF
	    "c=IN IP4 192.0.2.8" CRLF "a=ice-ufrag:medi" CRLF "a=inactive" CRLF
	    "a=setup:active" CRLF;
	struct sdp *s = parse_str(text);

	(void)state;
	assert_true(s->ice_lite);
	assert_true(s->media[0].ice_lite);
	assert_string_equal(s->media[0].ice_ufrag, "sess");
	assert_string_equal(s->media[1].ice_ufrag, "medi");
	assert_string_equal(s->media[1].ice_pwd, "sessionpassword0123456789");
	assert_true(s->media[1].has_fingerprint);
	assert_int_equal(s->media[0].setup, SDP_SETUP_PASSIVE);
	assert_int_equal(s->media[1].setup, SDP_SETUP_ACTIVE);
	assert_int_equal(s->media[0].dir, SDP_DIR_RECVONLY);
	assert_int_equal(s->media[1].dir, SDP_DIR_INACTIVE);
	assert_true(s->media[0].has_crypto);
	assert_false(s->media[1].has_crypto);
	assert_string_equal(s->media[1].conn.addr, "192.0.2.8");
	assert_true(s->media[1].conn_media_level);

	/* no session c=: nothing to replace; remove session ICE, add lite back */
	assert_int_equal(sdp_set_session_conn(s, AF_INET, "203.0.113.10"), 0);
	assert_int_equal(sdp_session_remove_ice(s), 0);
	assert_int_equal(sdp_session_remove_attr(s, "fingerprint"), 0);
	assert_int_equal(sdp_session_add_attr(s, "a=ice-lite"), 0);
	assert_string_equal(write_str(s),
			    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF "t=0 0" CRLF
			    "a=setup:passive" CRLF "a=recvonly" CRLF "a=ice-lite" CRLF
			    "m=audio 4000 RTP/SAVP 0" CRLF "c=IN IP4 192.0.2.7" CRLF
			    "a=crypto:1 AES_CM_128_HMAC_SHA1_80 "
			    "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz" CRLF
			    "m=audio 4002 RTP/AVP 0" CRLF "c=IN IP4 192.0.2.8" CRLF
			    "a=ice-ufrag:medi" CRLF "a=inactive" CRLF "a=setup:active" CRLF);
	sdp_free(s);
}

static void test_ice_credentials_out_of_limits_are_flagged(void **state)
{
	const char *text =
	    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF "c=IN IP4 192.0.2.1" CRLF
	    "t=0 0" CRLF "m=audio 4000 RTP/AVP 0" CRLF "a=ice-ufrag:abc" CRLF
	    "a=ice-pwd:shortpwd" CRLF "m=audio 4002 RTP/AVP 0" CRLF "a=ice-ufrag:ab-cd" CRLF
	    "a=ice-pwd:0123456789012345678901" CRLF;
	struct sdp *s = parse_str(text);

	(void)state;
	assert_string_equal(s->media[0].ice_ufrag, "abc");
	assert_false(s->media[0].ice_ufrag_ok); /* 3 characters */
	assert_false(s->media[0].ice_pwd_ok);	/* 8 characters */
	assert_false(s->media[1].ice_ufrag_ok); /* '-' is not an ice-char */
	assert_true(s->media[1].ice_pwd_ok);	/* exactly 22 */
	sdp_free(s);
}

static void test_multicast_connection_ttl_is_accepted_and_kept(void **state)
{
	const char *text =
	    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF "c=IN IP4 224.2.36.42/127/3" CRLF
	    "t=0 0" CRLF "m=audio 4000 RTP/AVP 0" CRLF "c=IN IP6 ff15::101/3" CRLF
	    "c=IN IP6 ff15::102/3" CRLF;
	struct sdp *s = parse_str(text);

	(void)state;
	assert_string_equal(s->conn.addr, "224.2.36.42");
	assert_int_equal(s->conn.ttl, 127);
	assert_int_equal(s->conn.count, 3);
	assert_string_equal(s->media[0].conn.addr, "ff15::101");
	assert_int_equal(s->media[0].conn.count, 3);
	assert_string_equal(write_str(s), text);
	/* replacing the media c= drops the extra layer */
	assert_int_equal(sdp_media_set_conn(s, 0, AF_INET, "192.0.2.50"), 0);
	assert_non_null(strstr(write_str(s), "m=audio 4000 RTP/AVP 0\r\nc=IN IP4 192.0.2.50\r\n"));
	assert_null(strstr(write_str(s), "ff15"));
	sdp_free(s);
}

static void test_media_conn_is_inserted_after_m_and_i(void **state)
{
	const char *text =
	    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF "c=IN IP4 192.0.2.1" CRLF
	    "t=0 0" CRLF "m=audio 4000 RTP/AVP 0" CRLF "i=voice" CRLF "b=AS:64" CRLF
	    "a=rtcp-mux" CRLF "m=audio 4002 RTP/AVP 0" CRLF;
	struct sdp *s = parse_str(text);

	(void)state;
	assert_int_equal(sdp_media_set_conn(s, 0, AF_INET, "203.0.113.10"), 0);
	assert_int_equal(sdp_media_set_conn(s, 1, AF_INET, "203.0.113.10"), 0);
	assert_int_equal(sdp_media_set_conn(s, 1, AF_INET, "203.0.113.11"), 0); /* replaces */
	assert_int_equal(sdp_media_set_rtcp(s, 0, 40001, AF_INET, NULL), 0);
	assert_int_equal(sdp_media_set_rtcp(s, 1, 40003, AF_INET, NULL), 0);
	assert_string_equal(write_str(s),
			    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF
			    "c=IN IP4 192.0.2.1" CRLF "t=0 0" CRLF "m=audio 4000 RTP/AVP 0" CRLF
			    "i=voice" CRLF "c=IN IP4 203.0.113.10" CRLF "b=AS:64" CRLF
			    "a=rtcp:40001" CRLF "a=rtcp-mux" CRLF "m=audio 4002 RTP/AVP 0" CRLF
			    "c=IN IP4 203.0.113.11" CRLF "a=rtcp:40003" CRLF);
	sdp_free(s);
}

static void test_remove_attr_matches_whole_names(void **state)
{
	const char *text =
	    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF "c=IN IP4 192.0.2.1" CRLF
	    "t=0 0" CRLF "a=rtcp-mux" CRLF "m=audio 4000 RTP/AVP 0" CRLF "a=rtcp:4001" CRLF
	    "a=rtcp-mux" CRLF "a=rtcp-fb:0 nack" CRLF "a=rtcp-mux " CRLF "a=rtcpx" CRLF;
	struct sdp *s = parse_str(text);

	(void)state;
	assert_int_equal(sdp_media_remove_attr(s, 0, "rtcp-mux"), 0);
	assert_int_equal(sdp_media_remove_rtcp(s, 0), 0);
	assert_int_equal(sdp_media_remove_attr(s, 0, "bad:name"), -1);
	assert_int_equal(sdp_media_remove_attr(s, 0, ""), -1);
	assert_int_equal(sdp_media_remove_attr(s, 1, "rtcp"), -1);
	assert_string_equal(write_str(s),
			    "v=0" CRLF "o=- 1 1 IN IP4 192.0.2.1" CRLF "s=-" CRLF
			    "c=IN IP4 192.0.2.1" CRLF "t=0 0" CRLF "a=rtcp-mux" CRLF
			    "m=audio 4000 RTP/AVP 0" CRLF "a=rtcp-fb:0 nack" CRLF "a=rtcpx" CRLF);
	sdp_free(s);
}

static void test_edits_refuse_bad_text_and_indexes(void **state)
{
	struct sdp *s = parse_str(base_offer);
	char longline[SDP_MAX_LINE_LEN + 8];

	(void)state;
	assert_int_equal(sdp_media_add_attr(s, 0, "a=x\r\na=y"), -1);
	assert_int_equal(sdp_media_add_attr(s, 0, "ax"), -1);
	assert_int_equal(sdp_media_add_attr(s, 0, "=x"), -1);
	assert_int_equal(sdp_media_add_attr(s, 0, "a="), -1);
	assert_int_equal(sdp_media_add_attr(s, 0, "m=audio 9 RTP/AVP 0"), -1);
	assert_int_equal(sdp_session_add_attr(s, "c=IN IP4 192.0.2.1"), -1);
	assert_int_equal(sdp_media_add_attr(s, 0, NULL), -1);
	assert_int_equal(sdp_media_add_attr(s, 1, "a=x"), -1);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	longline[0] = 'a';
	longline[1] = '=';
	assert_int_equal(sdp_session_add_attr(s, longline), -1);
	longline[SDP_MAX_LINE_LEN] = '\0';
	assert_int_equal(sdp_session_add_attr(s, longline), 0);
	assert_int_equal(sdp_media_set_conn(s, 0, AF_INET, "bad host"), -1);
	assert_int_equal(sdp_media_set_conn(s, 0, AF_INET, ""), -1);
	assert_int_equal(sdp_media_set_conn(s, 1, AF_INET, "192.0.2.1"), -1);
	assert_int_equal(sdp_media_set_rtcp(s, 0, 1, AF_INET6, "192.0.2.1"), -1);
	assert_int_equal(sdp_media_set_rtcp(s, 5, 1, AF_INET, NULL), -1);
	assert_int_equal(sdp_media_remove_ice(s, 1), -1);
	sdp_free(s);
}

static void test_candidate_format_writes_rfc8839_lines(void **state)
{
	/* RFC 8839 §5.1: foundation 1-32 ice-chars, component 1-256, a token transport */
	static const struct {
		const char *foundation;
		unsigned component;
		const char *transport;
	} bad[] = {
	    {"bad-f", 1, "UDP"},
	    {"1", 0, "UDP"},
	    {"1", 257, "UDP"},
	    {"1", 1, "U DP"},
	    {"123456789012345678901234567890123", 1, "UDP"},
	};
	char line[256];

	(void)state;
	assert_int_equal(sdp_candidate_format(line, sizeof(line), "1", 1, "UDP", 16777215u,
					      sa("203.0.113.10:40000"), "relay", NULL),
			 (int)strlen("a=candidate:1 1 UDP 16777215 203.0.113.10 40000 typ relay"));
	assert_string_equal(line, "a=candidate:1 1 UDP 16777215 203.0.113.10 40000 typ relay");
	assert_true(sdp_candidate_format(line, sizeof(line), "a+/9", 2, "udp", 4294967295u,
					 sa("[2001:db8::10]:40001"), "srflx",
					 sa("[fe80::1]:5000")) > 0);
	assert_string_equal(line, "a=candidate:a+/9 2 udp 4294967295 2001:db8::10 40001 typ srflx "
				  "raddr fe80::1 rport 5000");
	assert_int_equal(
	    sdp_candidate_format(line, 20, "1", 1, "UDP", 1, sa("192.0.2.1:1"), "host", NULL), -1);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(sdp_candidate_format(line, sizeof(line), bad[i].foundation,
						      bad[i].component, bad[i].transport, 1,
						      sa("192.0.2.1:1"), "host", NULL),
				 -1);
}

static void test_conn_and_rtcp_format(void **state)
{
	char line[128];
	struct sockaddr_storage un = {.ss_family = AF_UNIX};

	(void)state;
	assert_int_equal(sdp_conn_format(line, sizeof(line), sa("203.0.113.10:9")), 21);
	assert_string_equal(line, "c=IN IP4 203.0.113.10");
	assert_true(sdp_conn_format(line, sizeof(line), sa("[2001:db8::1]:9")) > 0);
	assert_string_equal(line, "c=IN IP6 2001:db8::1");
	assert_true(sdp_rtcp_format(line, sizeof(line), 40001, NULL) > 0);
	assert_string_equal(line, "a=rtcp:40001");
	assert_true(sdp_rtcp_format(line, sizeof(line), 40001, sa("203.0.113.10:1")) > 0);
	assert_string_equal(line, "a=rtcp:40001 IN IP4 203.0.113.10");
	assert_int_equal(sdp_conn_format(line, sizeof(line), (struct sockaddr *)&un), -1);
	assert_int_equal(sdp_conn_format(line, 10, sa("203.0.113.10:9")), -1);
	assert_int_equal(sdp_rtcp_format(line, 5, 40001, NULL), -1);
}

static const struct line_case bad_session_lines[] = {
    {1, NULL, "line 1: must start with v=0"},
    {1, "v=1", "line 1: must start with v=0"},
    {2, NULL, "line 2: o= must follow v="},
    {2, "o=- 1 IN IP4 192.0.2.1",
     "line 2: o= line needs 'username sess-id sess-version nettype addrtype address'"},
    {2, "o=- 1 1 IN IP4 192.0.2.1 x",
     "line 2: o= line needs 'username sess-id sess-version nettype addrtype address'"},
    {2, "o=- 1 1 IN IP6 192.0.2.1", "line 2: o= address type IP6 with an IPv4 address"},
    {3, "o=- 1 1 IN IP4 192.0.2.1", "line 3: second o= line"},
    {3, "v=0", "line 3: v= only allowed on line 1"},
    {4, "c=IN IP4 2001:db8::1", "line 4: c= address type IP4 with an IPv6 address"},
    {4, "c=IN IP5 192.0.2.1", "line 4: c= address type must be IP4 or IP6"},
    {4, "c=ATM NSAP 47.0091", "line 4: c= network type must be IN"},
    {4, "c=IN IP4", "line 4: c= line needs 'nettype addrtype address'"},
    {4, "c=IN IP4 bad!host", "line 4: c= address is neither an IP address nor a host name"},
    {4, "c=IN IP4 224.2.1.1/256", "line 4: c= '/ttl' must be 0-255"},
    {4, "c=IN IP6 ff15::1/1/2", "line 4: c= IP6 address takes only '/count'"},
    {4, NULL, "line 5: m= section has no c= line and there is no session-level c="},
    {3, "c=IN IP4 192.0.2.9", "line 4: second session-level c= line"},
    {3, "junk", "line 3: expected '<letter>=' at the start of the line"},
    {3, "s", "line 3: expected '<letter>=' at the start of the line"},
    {5, "a=setup:sideways", "line 5: a=setup must be actpass, active, passive or holdconn"},
    {5, "a=fingerprint:sha-256", "line 5: a=fingerprint needs 'hash-function fingerprint'"},
    {5, "a=group:", "line 5: a=group needs 'semantics mid...'"},
};

static void test_rejects_bad_session_lines(void **state)
{
	(void)state;
	expect_line_errors(bad_session_lines,
			   sizeof(bad_session_lines) / sizeof(bad_session_lines[0]));
}

static const struct line_case bad_media_lines[] = {
    {6, "m=audio 4000", "line 6: m= line needs 'media port proto fmt...'"},
    {6, "m=audio 4000 RTP/AVP", "line 6: m= line needs 'media port proto fmt...'"},
    {6, "m=audio 70000 RTP/AVP 0", "line 6: m= port 70000 out of range (0-65535)"},
    {6, "m=audio 4x00 RTP/AVP 0", "line 6: m= port must be a decimal number"},
    {6, "m=audio 4000/0 RTP/AVP 0", "line 6: m= port count must be 1-65535"},
    {7, "a=rtcp:70000", "line 7: a=rtcp port must be 0-65535"},
    {7, "a=rtcp:4001 IN IP4", "line 7: a=rtcp needs 'port [nettype addrtype address]'"},
    {7, "a=rtcp:4001 IN IP6 192.0.2.1", "line 7: a=rtcp address type IP6 with an IPv4 address"},
    {7, "a=ice-ufrag", "line 7: a=ice-ufrag needs a value"},
    {7, "a=mid:", "line 7: a=mid needs a value"},
    {7, "a=sendonly\r\na=inactive", "line 8: second direction attribute in this section"},
    {7, "a=ice-ufrag:abcd\r\na=ice-ufrag:efgh", "line 8: second a=ice-ufrag in this section"},
    {7, "a=rtcp:1\r\na=rtcp:2", "line 8: second a=rtcp in this section"},
    {7, "a=mid:a\r\nm=audio 4002 RTP/AVP 0\r\na=mid:a",
     "line 9: a=mid value already used by the m= section on line 6"},
};

static void test_rejects_bad_media_lines(void **state)
{
	(void)state;
	expect_line_errors(bad_media_lines, sizeof(bad_media_lines) / sizeof(bad_media_lines[0]));
}

static const struct line_case bad_candidates[] = {
    {7, "a=candidate:1 1 UDP 99999999999 192.0.2.1 4000 typ host",
     "line 7: a=candidate priority must be a number 0-4294967295"},
    {7, "a=candidate:1 1 UDP 4294967296 192.0.2.1 4000 typ host",
     "line 7: a=candidate priority must be a number 0-4294967295"},
    {7, "a=candidate:1 1 UDP 1x 192.0.2.1 4000 typ host",
     "line 7: a=candidate priority must be a number 0-4294967295"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1 65536 typ host",
     "line 7: a=candidate port must be 0-65535"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1 4000 host",
     "line 7: a=candidate needs 'typ TYPE' after the port"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1 4000",
     "line 7: a=candidate needs 'typ TYPE' after the port"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1 4000 typ", "line 7: a=candidate has 'typ' without a type"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1",
     "line 7: a=candidate needs 'foundation component transport priority address port typ type'"},
    {7, "a=candidate", "line 7: a=candidate needs a value"},
    {7, "a=candidate:1 0 UDP 1 192.0.2.1 4000 typ host",
     "line 7: a=candidate component must be 1-256"},
    {7, "a=candidate:1 257 UDP 1 192.0.2.1 4000 typ host",
     "line 7: a=candidate component must be 1-256"},
    {7, "a=candidate:f-1 1 UDP 1 192.0.2.1 4000 typ host",
     "line 7: a=candidate foundation must be 1-32 characters of ALPHA DIGIT + /"},
    {7, "a=candidate:1 1 UDP 1 bad!addr 4000 typ host",
     "line 7: a=candidate address is neither an IP address nor a host name"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1 4000 typ host generation",
     "line 7: a=candidate extension without a value"},
    {7, "a=candidate:1 1 tcp 1 192.0.2.1 9 typ host tcptype both",
     "line 7: a=candidate tcptype must be active, passive or so"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1 4000 typ srflx raddr 1.2.3.4 rport 1x",
     "line 7: a=candidate rport must be 0-65535"},
    {7, "a=candidate:1 1 UDP 1 192.0.2.1 4000 typ srflx raddr a raddr b",
     "line 7: a=candidate has raddr twice"},
    {5, "a=candidate:1 1 UDP 1 192.0.2.1 4000 typ host",
     "line 5: a=candidate at session level (it belongs in an m= section)"},
};

static void test_rejects_bad_candidates(void **state)
{
	(void)state;
	expect_line_errors(bad_candidates, sizeof(bad_candidates) / sizeof(bad_candidates[0]));
}

static void test_rejects_bad_bytes_and_lines(void **state)
{
	static char big[SDP_MAX_LEN + 2];
	char text[8192];
	size_t n;

	(void)state;
	expect_error("", 0, "empty input");
	EXPECT_LIT("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=\0x\r\n", "line 3: NUL byte");
	EXPECT_LIT("v=0\r\no=- 1 1 IN IP4 192.0.2.1\rs=-\r\n",
		   "line 2: CR without LF (bare carriage return)");
	EXPECT_LIT("v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r",
		   "line 3: CR without LF (bare carriage return)");
	EXPECT_LIT("v=0\r\n\r\no=- 1 1 IN IP4 192.0.2.1\r\n", "line 2: empty line");
	EXPECT_LIT("\r\n", "line 1: empty line");

	n = (size_t)snprintf(text, sizeof(text), "%sa=x:", base_offer);
	memset(text + n, 'y', SDP_MAX_LINE_LEN);
	text[n + SDP_MAX_LINE_LEN - 4] = '\0'; /* exactly SDP_MAX_LINE_LEN bytes */
	sdp_free(parse_str(text));
	memset(text + n, 'y', SDP_MAX_LINE_LEN - 3);
	text[n + SDP_MAX_LINE_LEN - 3] = '\0';
	expect_error(text, strlen(text), "line 8: longer than 4096 bytes");

	memset(big, 'a', sizeof(big));
	expect_error(big, SDP_MAX_LEN + 1, "input is 65536 bytes, more than 65535");
}

static void test_candidate_and_media_limits(void **state)
{
	static char text[SDP_MAX_LEN + 1];
	size_t n;

	(void)state;
	n = (size_t)snprintf(text, sizeof(text), "%s", base_offer);
	for (int i = 0; i < SDP_MAX_CANDIDATES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n,
				      "a=candidate:%d 1 UDP %d 192.0.2.1 %d typ host\r\n", i,
				      1000 + i, 5000 + i);
	{
		struct sdp *s = parse_ok(text, n);

		assert_int_equal(s->media[0].n_candidates, SDP_MAX_CANDIDATES);
		assert_int_equal(s->media[0].candidates[63].port, 5063);
		sdp_free(s);
	}
	n += (size_t)snprintf(text + n, sizeof(text) - n,
			      "a=candidate:x 1 UDP 1 192.0.2.1 1 typ host\r\n");
	expect_error(text, n, "line 72: more than 64 candidates in this m= section");

	n = (size_t)snprintf(text, sizeof(text), "%s", base_offer);
	for (int i = 1; i < SDP_MAX_MEDIA; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "m=audio %d RTP/AVP 0\r\n",
				      4000 + 2 * i);
	{
		struct sdp *s = parse_ok(text, n);

		assert_int_equal(s->n_media, SDP_MAX_MEDIA);
		assert_int_equal(s->media[63].port, 4126);
		sdp_free(s);
	}
	n += (size_t)snprintf(text + n, sizeof(text) - n, "m=audio 9 RTP/AVP 0\r\n");
	expect_error(text, n, "line 71: more than 64 m= sections");
}

/* Every prefix of a real offer parses or fails with a line-numbered reason. */
static void test_truncated_offer_never_parses_wrongly(void **state)
{
	size_t len = strlen(asterisk_offer);
	char err[256];

	(void)state;
	for (size_t n = 1; n < len; n++) {
		struct sdp *s = NULL;
		char *copy = malloc(n); /* exact size: ASan sees any read past n */

		assert_non_null(copy);
		memcpy(copy, asterisk_offer, n);
		if (sdp_parse(copy, n, &s, err, sizeof(err)) == 0) {
			assert_int_equal(sdp_write(s, out_buf, sizeof(out_buf)), (int)n);
			assert_memory_equal(out_buf, asterisk_offer, n);
			sdp_free(s);
		} else {
			assert_null(s);
			assert_memory_equal(err, "line ", 5);
		}
		free(copy);
	}
	/* cut in a candidate after its address */
	expect_error(asterisk_offer,
		     (size_t)(strstr(asterisk_offer, "192.168.210.54 10001") - asterisk_offer) + 14,
		     "line 15: a=candidate needs 'foundation component transport priority "
		     "address port typ type'");
	/* cut between CR and LF */
	expect_error(asterisk_offer, strlen(asterisk_offer) - 1,
		     "line 32: CR without LF (bare carriage return)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_asterisk_offer_parses_owned_fields),
	    cmocka_unit_test(test_asterisk_offer_anchor_rewrite_keeps_other_lines),
	    cmocka_unit_test(test_unedited_sdp_is_written_byte_for_byte),
	    cmocka_unit_test(test_chrome_bundle_offer_parses_all_candidate_kinds),
	    cmocka_unit_test(test_chrome_offer_with_lf_endings_gets_lf_lines),
	    cmocka_unit_test(test_offer_with_port_zero_keeps_stream_rejected),
	    cmocka_unit_test(test_port_count_is_kept_when_port_changes),
	    cmocka_unit_test(test_ipv6_origin_and_connection_are_rewritten),
	    cmocka_unit_test(test_sdp_without_trailing_newline_stays_without),
	    cmocka_unit_test(test_trailing_empty_lines_are_kept),
	    cmocka_unit_test(test_write_into_too_small_buffer_fails),
	    cmocka_unit_test(test_fragment_parses_trickled_candidates),
	    cmocka_unit_test(test_fragment_rejects_session_lines),
	    cmocka_unit_test(test_session_level_values_apply_to_media),
	    cmocka_unit_test(test_ice_credentials_out_of_limits_are_flagged),
	    cmocka_unit_test(test_multicast_connection_ttl_is_accepted_and_kept),
	    cmocka_unit_test(test_media_conn_is_inserted_after_m_and_i),
	    cmocka_unit_test(test_remove_attr_matches_whole_names),
	    cmocka_unit_test(test_edits_refuse_bad_text_and_indexes),
	    cmocka_unit_test(test_candidate_format_writes_rfc8839_lines),
	    cmocka_unit_test(test_conn_and_rtcp_format),
	    cmocka_unit_test(test_rejects_bad_session_lines),
	    cmocka_unit_test(test_rejects_bad_media_lines),
	    cmocka_unit_test(test_rejects_bad_candidates),
	    cmocka_unit_test(test_rejects_bad_bytes_and_lines),
	    cmocka_unit_test(test_candidate_and_media_limits),
	    cmocka_unit_test(test_truncated_offer_never_parses_wrongly),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
