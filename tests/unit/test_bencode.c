/*
 * test_bencode.c - the ng protocol codec (src/anchor/bencode.c): rtpengine
 * style requests in bencode and JSON, round trips both ways, builders and
 * lookups, every rejected input with its reason, output that does not fit,
 * and the "cookie SP body" frame.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/bencode.h"

#define OFFER_SDP                                                                                  \
	"v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\n"                \
	"m=audio 4000 RTP/AVP 0\r\n"

static struct bdoc *doc;

static int setup(void **state)
{
	(void)state;
	doc = bdoc_new();
	return doc ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	bdoc_free(doc);
	doc = NULL;
	return 0;
}

/* Parses s (a C string) or fails the test with the parser's reason. */
static struct bval *parse_ok(const char *s)
{
	struct bval *root = NULL;
	char err[128];

	if (bdoc_parse(doc, (const uint8_t *)s, strlen(s), &root, err, sizeof(err)) != 0)
		fail_msg("\"%s\" does not parse: %s", s, err);
	assert_non_null(root);
	return root;
}

/* Parses len bytes that must fail; returns the reason. */
static const char *parse_err_n(const void *buf, size_t len)
{
	static char err[128];
	struct bval *root = NULL;

	memset(err, 'x', sizeof(err));
	if (bdoc_parse(doc, buf, len, &root, err, sizeof(err)) == 0)
		fail_msg("%.*s parsed but should not", (int)(len > 60 ? 60 : len),
			 (const char *)buf);
	assert_null(root);
	return err;
}

static const char *parse_err(const char *s)
{
	return parse_err_n(s, strlen(s));
}

/* v written in fmt, as a C string in a static buffer. */
static const char *write_str(const struct bval *v, enum bformat fmt)
{
	static char out[4096];
	long n = bval_write(v, fmt, (uint8_t *)out, sizeof(out) - 1);

	assert_true(n >= 0);
	out[n] = '\0';
	return out;
}

static void test_ping_request_parses(void **state)
{
	struct bval *r = parse_ok("d7:command4:pinge");

	(void)state;
	assert_int_equal(r->type, BVAL_DICT);
	assert_int_equal(r->len, 1);
	assert_string_equal(bval_dict_str(r, "command"), "ping");
	assert_true(bval_str_eq(bval_dict_get(r, "command"), "ping"));
	assert_false(bval_str_eq(bval_dict_get(r, "command"), "pin"));
	assert_null(bval_dict_get(r, "call-id"));
}

static const char offer_benc[] =
    "d7:command5:offer7:call-id9:abc@host18:from-tag3:ft13:sdp"
    "87:" OFFER_SDP
    "5:flagsl13:trust-address18:SIP-source-addresse7:replacel6:origin18:session-connectione"
    "3:ICE5:force8:rtcp-muxl5:offere9:directionl8:internal8:externale"
    "18:transport-protocol9:RTP/SAVPFe";

static void check_offer(const struct bval *r)
{
	const struct bval *flags, *replace, *dir;

	assert_int_equal(r->type, BVAL_DICT);
	assert_int_equal(r->len, 10);
	assert_string_equal(r->first->key, "command");
	assert_string_equal(r->last->key, "transport-protocol");
	assert_string_equal(bval_dict_str(r, "command"), "offer");
	assert_string_equal(bval_dict_str(r, "call-id"), "abc@host1");
	assert_string_equal(bval_dict_str(r, "from-tag"), "ft1");
	assert_string_equal(bval_dict_str(r, "sdp"), OFFER_SDP);
	assert_int_equal(bval_dict_get(r, "sdp")->len, strlen(OFFER_SDP));
	assert_string_equal(bval_dict_str(r, "ICE"), "force");
	flags = bval_dict_get(r, "flags");
	assert_non_null(flags);
	assert_int_equal(flags->type, BVAL_LIST);
	assert_int_equal(flags->len, 2);
	assert_true(bval_str_eq(flags->first, "trust-address"));
	assert_true(bval_str_eq(flags->first->next, "SIP-source-address"));
	assert_ptr_equal(flags->last, flags->first->next);
	assert_null(flags->first->key);
	replace = bval_dict_get(r, "replace");
	assert_int_equal(replace->len, 2);
	assert_true(bval_str_eq(replace->first, "origin"));
	assert_true(bval_str_eq(replace->last, "session-connection"));
	dir = bval_dict_get(r, "direction");
	assert_true(bval_str_eq(dir->first, "internal"));
	assert_true(bval_str_eq(dir->last, "external"));
	assert_null(bval_dict_str(r, "flags")); /* a list, not a string */
}

static void test_offer_request_parses_with_lists_and_ice(void **state)
{
	(void)state;
	assert_int_equal(strlen(OFFER_SDP), 87);
	check_offer(parse_ok(offer_benc));
}

static void test_offer_round_trips_byte_exact_in_bencode(void **state)
{
	(void)state;
	assert_string_equal(write_str(parse_ok(offer_benc), BFMT_BENCODE), offer_benc);
}

static void test_offer_in_json_parses_like_bencode(void **state)
{
	const char *json = write_str(parse_ok(offer_benc), BFMT_JSON);
	char copy[4096];

	(void)state;
	assert_non_null(strstr(json, "\"sdp\":\"v=0\\r\\no=- 1 1 IN IP4"));
	assert_non_null(strstr(json, "\"flags\":[\"trust-address\",\"SIP-source-address\"]"));
	strcpy(copy, json);
	check_offer(parse_ok(copy));
	assert_string_equal(write_str(parse_ok(copy), BFMT_BENCODE), offer_benc);
}

static void test_json_round_trips_compact(void **state)
{
	const char *in =
	    "{\"result\":\"ok\",\"n\":-42,\"list\":[1,\"a\",[],{}],\"d\":{\"k\":\"v\"}}";

	(void)state;
	assert_string_equal(write_str(parse_ok(in), BFMT_JSON), in);
	assert_string_equal(write_str(parse_ok(in), BFMT_BENCODE),
			    "d6:result2:ok1:ni-42e4:listli1e1:aledee1:dd1:k1:vee");
}

static void test_json_with_whitespace_and_leading_blanks_parses(void **state)
{
	struct bval *r = parse_ok(" \r\n\t{ \"command\" :\t\"ping\" ,\n \"x\": [ 1 , 2 ] }\n\n");

	(void)state;
	assert_string_equal(bval_dict_str(r, "command"), "ping");
	assert_int_equal(bval_dict_get(r, "x")->len, 2);
	assert_int_equal(bval_dict_get(r, "x")->last->num, 2);
	assert_int_equal(parse_ok("[]")->type, BVAL_LIST);
}

static void test_json_literals_become_ints_and_empty_string(void **state)
{
	struct bval *r = parse_ok("[true,false,null,-0]");
	const struct bval *v = r->first;

	(void)state;
	assert_int_equal(v->type, BVAL_INT);
	assert_int_equal(v->num, 1);
	v = v->next;
	assert_int_equal(v->type, BVAL_INT);
	assert_int_equal(v->num, 0);
	v = v->next;
	assert_int_equal(v->type, BVAL_STR);
	assert_int_equal(v->len, 0);
	assert_string_equal(v->str, "");
	assert_int_equal(v->next->num, 0);
}

static void test_json_escapes_decode_to_utf8(void **state)
{
	static const char want[] = "\"\\/\b\f\n\r\t\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
				   "A\0z";
	struct bval *r = parse_ok("[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\u20AC\\ud83d\\ude00"
				  "\\u0041\\u0000z\"]");

	(void)state;
	assert_int_equal(r->first->len, sizeof(want) - 1);
	assert_memory_equal(r->first->str, want, sizeof(want) - 1);
	assert_int_equal(r->first->str[r->first->len], '\0');
}

static void test_json_writer_escapes_controls_quotes_and_bad_utf8(void **state)
{
	struct bval *s = bdoc_str(doc, "a\"b\\c\n\x01\x7f\xc3\xa9\xff\xc3", 12);

	(void)state;
	assert_string_equal(write_str(s, BFMT_JSON),
			    "\"a\\\"b\\\\c\\n\\u0001\x7f\xc3\xa9\\u00ff\\u00c3\"");
	/* non-UTF-8 bytes come back as U+00XX */
	assert_string_equal(parse_ok("[\"\\u00ff\"]")->first->str, "\xc3\xbf");
}

static void test_bencode_strings_keep_binary_bytes(void **state)
{
	static const uint8_t in[] = "l3:a\0be";
	struct bval *r = NULL;
	char err[80];

	(void)state;
	assert_int_equal(bdoc_parse(doc, in, sizeof(in) - 1, &r, err, sizeof(err)), 0);
	assert_int_equal(r->first->len, 3);
	assert_memory_equal(r->first->str, "a\0b", 3);
	assert_string_equal(write_str(r, BFMT_JSON), "[\"a\\u0000b\"]");
}

static void test_pretty_json_indents_two_spaces(void **state)
{
	(void)state;
	assert_string_equal(
	    write_str(parse_ok("d6:result2:ok1:lli1e0:e1:dde1:elee"), BFMT_JSON_PRETTY),
	    "{\n  \"result\": \"ok\",\n  \"l\": [\n    1,\n    \"\"\n  ],\n"
	    "  \"d\": {},\n  \"e\": []\n}\n");
	assert_string_equal(write_str(parse_ok("i7e"), BFMT_JSON_PRETTY), "7\n");
}

static void test_duplicate_key_keeps_first_position_and_last_value(void **state)
{
	struct bval *r = parse_ok("d1:ai1e1:bi2e1:ai3ee");
	struct bval *d;

	(void)state;
	assert_int_equal(r->len, 2);
	assert_int_equal(bval_dict_get(r, "a")->num, 3);
	assert_string_equal(write_str(r, BFMT_BENCODE), "d1:ai3e1:bi2ee");
	r = parse_ok("{\"a\":1,\"b\":2,\"b\":\"x\"}");
	assert_string_equal(write_str(r, BFMT_JSON), "{\"a\":1,\"b\":\"x\"}");
	assert_ptr_equal(r->last, bval_dict_get(r, "b"));

	d = bdoc_dict(doc);
	assert_non_null(bdict_add_int(doc, d, "x", 1));
	assert_non_null(bdict_add_str(doc, d, "x", "two"));
	assert_int_equal(d->len, 1);
	assert_ptr_equal(d->first, d->last);
	assert_string_equal(bval_dict_str(d, "x"), "two");
}

static void test_builders_make_an_offer_reply(void **state)
{
	struct bval *d = bdoc_dict(doc), *l, *sub;
	char key[8] = "sdp";

	(void)state;
	assert_non_null(bdict_add_str(doc, d, "result", "ok"));
	assert_non_null(bdict_add_str(doc, d, key, "v=0\r\n"));
	key[0] = 'X'; /* keys are copied */
	l = bdict_add_list(doc, d, "warnings");
	assert_int_equal(bval_list_add(l, bdoc_cstr(doc, "w1")), 0);
	assert_int_equal(bval_list_add(l, bdoc_int(doc, -5)), 0);
	sub = bdict_add_dict(doc, d, "totals");
	assert_non_null(bdict_add_int(doc, sub, "packets", INT64_MAX));
	assert_int_equal(bval_dict_add(doc, d, "blob", bdoc_str(doc, "a\0b", 3)), 0);
	assert_string_equal(write_str(d, BFMT_BENCODE),
			    "d6:result2:ok3:sdp5:v=0\r\n8:warningsl2:w1i-5ee"
			    "6:totalsd7:packetsi9223372036854775807ee4:blob3:a\0be");
	assert_string_equal(bval_dict_str(d, "sdp"), "v=0\r\n");
	assert_null(bval_dict_get(d, "Xdp"));
	assert_int_equal(bval_dict_get(sub, "packets")->num, INT64_MAX);
}

static void test_builders_reject_wrong_containers_and_null_values(void **state)
{
	struct bval *d = bdoc_dict(doc), *l = bdoc_list(doc), *s = bdoc_cstr(doc, "s");

	(void)state;
	assert_int_equal(bval_dict_add(doc, d, "k", NULL), -1);
	assert_int_equal(bval_dict_add(doc, d, NULL, bdoc_int(doc, 1)), -1);
	assert_int_equal(bval_dict_add(doc, l, "k", bdoc_int(doc, 1)), -1);
	assert_int_equal(bval_list_add(d, bdoc_int(doc, 1)), -1);
	assert_int_equal(bval_list_add(l, NULL), -1);
	assert_null(bdict_add_str(doc, d, "k", NULL));
	assert_null(bdict_add_int(doc, s, "k", 1));
	assert_null(bdoc_cstr(doc, NULL));
	assert_int_equal(d->len, 0);
	assert_int_equal(l->len, 0);
	assert_null(bval_dict_get(s, "k"));
	assert_null(bval_dict_get(NULL, "k"));
	assert_null(bval_dict_str(l, "k"));
	assert_false(bval_str_eq(NULL, "s"));
	assert_false(bval_str_eq(bdoc_int(doc, 1), "1"));
	assert_true(bval_str_eq(s, "s"));
	assert_true(bval_str_eq(bdoc_str(doc, NULL, 0), ""));
}

static void test_int64_bounds_parse_and_overflow_fails(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("i9223372036854775807e")->num, INT64_MAX);
	assert_int_equal(parse_ok("i-9223372036854775808e")->num, INT64_MIN);
	assert_int_equal(parse_ok("[-9223372036854775808]")->first->num, INT64_MIN);
	assert_string_equal(write_str(bdoc_int(doc, INT64_MIN), BFMT_BENCODE),
			    "i-9223372036854775808e");
	assert_string_equal(parse_err("i9223372036854775808e"),
			    "bencode: integer out of range at offset 1");
	assert_string_equal(parse_err("i-9223372036854775809e"),
			    "bencode: integer out of range at offset 2");
	assert_string_equal(parse_err("[9223372036854775808]"),
			    "json: number out of range at offset 1");
	assert_string_equal(parse_err("[-99999999999999999999]"),
			    "json: number out of range at offset 2");
}

struct bad_case {
	const char *in;
	const char *err;
};

static void check_bad_cases(const struct bad_case *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const char *got = parse_err(c[i].in);

		if (strcmp(got, c[i].err) != 0)
			fail_msg("\"%s\": got \"%s\", want \"%s\"", c[i].in, got, c[i].err);
	}
}

static void test_bad_bencode_fails_with_its_reason(void **state)
{
	static const struct bad_case bad[] = {
	    {"i03e", "bencode: leading zero in integer at offset 1"},
	    {"i-0e", "bencode: negative zero at offset 0"},
	    {"ie", "bencode: expected a digit in integer at offset 1"},
	    {"i-e", "bencode: expected a digit in integer at offset 2"},
	    {"i12", "bencode: unterminated integer at offset 0"},
	    {"i12x", "bencode: expected 'e' after integer at offset 3"},
	    {"i", "bencode: unexpected end of input in integer at offset 1"},
	    {"-3:abc", "bencode: negative string length at offset 0"},
	    {"d7:command4:ping3:sdp-1:xe", "bencode: negative string length at offset 21"},
	    {"d7:command20:pinge", "bencode: string length exceeds input at offset 10"},
	    {"99999999999999999999999:x", "bencode: string length exceeds input at offset 0"},
	    {"03:abc", "bencode: leading zero in string length at offset 0"},
	    {"3abc", "bencode: expected ':' after string length at offset 1"},
	    {"d7:command4:ping", "bencode: unterminated dictionary at offset 0"},
	    {"l1:a", "bencode: unterminated list at offset 0"},
	    {"di1e1:ae", "bencode: dictionary key is not a string at offset 1"},
	    {"dle", "bencode: dictionary key is not a string at offset 1"},
	    {"d1:ae", "bencode: dictionary key without a value at offset 4"},
	    {"d1:a", "bencode: dictionary key without a value at offset 4"},
	    {"d7:command4:pingee", "bencode: trailing bytes at offset 17"},
	    {"4:pingxyz", "bencode: trailing bytes at offset 6"},
	    {"x", "bencode: unexpected byte 'x' at offset 0"},
	    {" d1:ai1ee", "bencode: unexpected byte ' ' at offset 0"},
	    {"\x01", "bencode: unexpected byte 0x01 at offset 0"},
	    {"{", "json: unterminated object at offset 0"},
	};

	(void)state;
	check_bad_cases(bad, sizeof(bad) / sizeof(bad[0]));
}

static void test_bad_json_fails_with_its_reason(void **state)
{
	static const struct bad_case bad[] = {
	    {"{\"command\":\"ping", "json: unterminated string at offset 11"},
	    {"{\"command\":\"ping\\\"}", "json: unterminated string at offset 11"},
	    {"{\"a\":1.5}", "json: only integers are supported at offset 5"},
	    {"{\"a\":1e3}", "json: only integers are supported at offset 5"},
	    {"{\"a\":012}", "json: leading zero in number at offset 5"},
	    {"{\"a\":-}", "json: expected a digit in number at offset 6"},
	    {"{\"a\":1,}", "json: expected a string key at offset 7"},
	    {"{1:2}", "json: expected a string key at offset 1"},
	    {"{\"a\" 1}", "json: expected ':' after key at offset 5"},
	    {"{\"a\":1 \"b\":2}", "json: expected ',' or '}' in object at offset 7"},
	    {"[1 2]", "json: expected ',' or ']' in array at offset 3"},
	    {"[1,", "json: unterminated array at offset 0"},
	    {"[1", "json: unterminated array at offset 0"},
	    {"[1,]", "json: unexpected byte ']' at offset 3"},
	    {"[tru]", "json: invalid literal at offset 1"},
	    {"[nul", "json: invalid literal at offset 1"},
	    {"[\"a\nb\"]", "json: control byte 0x0a in string at offset 3"},
	    {"[\"\\x\"]", "json: bad escape in string at offset 2"},
	    {"[\"\\u12G4\"]", "json: bad \\u escape in string at offset 2"},
	    {"[\"\\u12\"]", "json: bad \\u escape in string at offset 2"},
	    {"[\"\\ud83d\"]", "json: unpaired surrogate in \\u escape at offset 2"},
	    {"[\"\\ud83d\\u0041\"]", "json: unpaired surrogate in \\u escape at offset 2"},
	    {"[\"\\ude00\"]", "json: unpaired surrogate in \\u escape at offset 2"},
	    {"[\"\xff\"]", "json: invalid UTF-8 in string at offset 2"},
	    {"[\"\xc3\"]", "json: invalid UTF-8 in string at offset 2"},
	    {"[\"\xc0\xaf\"]", "json: invalid UTF-8 in string at offset 2"},
	    {"[\"\xed\xa0\x80\"]", "json: invalid UTF-8 in string at offset 2"},
	    {"{} x", "json: trailing bytes at offset 3"},
	    {"[]]", "json: trailing bytes at offset 2"},
	};

	(void)state;
	check_bad_cases(bad, sizeof(bad) / sizeof(bad[0]));
}

/* n nested lists (or arrays) around one integer. */
static const char *nested(unsigned int n, bool json)
{
	static char buf[256];
	unsigned int i;
	size_t k = 0;

	for (i = 0; i < n; i++)
		buf[k++] = json ? '[' : 'l';
	if (json) {
		buf[k++] = '7';
	} else {
		memcpy(buf + k, "i7e", 3);
		k += 3;
	}
	for (i = 0; i < n; i++)
		buf[k++] = json ? ']' : 'e';
	buf[k] = '\0';
	return buf;
}

static void test_nesting_depth_limit_is_32(void **state)
{
	(void)state;
	assert_int_equal(BDOC_MAX_DEPTH, 32);
	assert_int_equal(parse_ok(nested(32, false))->type, BVAL_LIST);
	assert_int_equal(parse_ok(nested(32, true))->type, BVAL_LIST);
	assert_string_equal(parse_err(nested(33, false)),
			    "bencode: nesting deeper than 32 at offset 32");
	assert_string_equal(parse_err(nested(33, true)),
			    "json: nesting deeper than 32 at offset 32");
}

static void test_value_count_limit_is_16384(void **state)
{
	size_t n = 2 + 3 * BDOC_MAX_NODES, i;
	char *buf = malloc(n + 1);
	struct bval *r = NULL;
	char err[128];

	(void)state;
	assert_non_null(buf);
	buf[0] = 'l';
	for (i = 0; i < BDOC_MAX_NODES; i++)
		memcpy(buf + 1 + 3 * i, "i0e", 3);
	buf[n - 1] = 'e';
	/* the list and 16384 integers: one too many */
	assert_int_equal(bdoc_parse(doc, (uint8_t *)buf, n, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "bencode: more than 16384 values at offset 49150");
	/* one integer less fits */
	buf[n - 4] = 'e';
	assert_int_equal(bdoc_parse(doc, (uint8_t *)buf, n - 3, &r, err, sizeof(err)), 0);
	assert_int_equal(r->len, BDOC_MAX_NODES - 1);
	free(buf);
}

static void test_input_size_limits(void **state)
{
	size_t n = BDOC_MAX_INPUT + 1;
	char *buf = malloc(n);
	struct bval *r = NULL;

	(void)state;
	assert_non_null(buf);
	assert_string_equal(parse_err_n("", 0), "empty input");
	/* "65530:" + 65530 bytes: exactly the limit */
	memcpy(buf, "65529:", 6);
	memset(buf + 6, 'a', n - 6);
	assert_int_equal(bdoc_parse(doc, (uint8_t *)buf, n - 1, &r, NULL, 0), 0);
	assert_int_equal(r->len, 65529);
	assert_string_equal(parse_err_n(buf, n), "input of 65536 bytes exceeds the limit of 65535");
	free(buf);
}

static void test_failed_parse_leaves_root_and_tolerates_no_err_buffer(void **state)
{
	struct bval *keep = (struct bval *)&keep, *r = keep;
	char err[16];

	(void)state;
	assert_int_equal(bdoc_parse(doc, (const uint8_t *)"i1", 2, &r, NULL, 0), -1);
	assert_ptr_equal(r, keep);
	/* a short err buffer gets a truncated, terminated reason */
	assert_int_equal(bdoc_parse(doc, (const uint8_t *)"d1:ae", 5, &r, err, sizeof(err)), -1);
	assert_string_equal(err, "bencode: dictio");
	assert_int_equal(bdoc_parse(doc, (const uint8_t *)"d1:ae", 5, &r, err, 3), -1);
	assert_string_equal(err, "be");
}

static void test_write_that_does_not_fit_returns_minus_one(void **state)
{
	struct bval *r = parse_ok(offer_benc);
	uint8_t out[1024];
	enum bformat fmt;
	long full;
	size_t cap;

	(void)state;
	for (fmt = BFMT_BENCODE; fmt <= BFMT_JSON_PRETTY; fmt++) {
		full = bval_write(r, fmt, out, sizeof(out));
		assert_true(full > 0);
		assert_int_equal(bval_write(r, fmt, out, (size_t)full), full);
		for (cap = 0; cap < (size_t)full; cap += 7)
			assert_int_equal(bval_write(r, fmt, out, cap), -1);
		assert_int_equal(bval_write(r, fmt, out, (size_t)full - 1), -1);
	}
	assert_int_equal(bval_write(NULL, BFMT_JSON, out, sizeof(out)), -1);
	assert_int_equal(bval_write(r, (enum bformat)9, out, sizeof(out)), -1);
}

static void test_ng_split_takes_cookie_and_body(void **state)
{
	static const char dgram[] = "5323_1 d7:command4:pinge";
	const char *cookie = NULL;
	const uint8_t *body = NULL;
	size_t clen = 0, blen = 0;

	(void)state;
	assert_int_equal(
	    ng_split((const uint8_t *)dgram, strlen(dgram), &cookie, &clen, &body, &blen), 0);
	assert_int_equal(clen, 6);
	assert_memory_equal(cookie, "5323_1", 6);
	assert_int_equal(blen, 17);
	assert_memory_equal(body, "d7:command4:pinge", 17);
	/* only the first space splits */
	assert_int_equal(ng_split((const uint8_t *)"c  x", 4, &cookie, &clen, &body, &blen), 0);
	assert_int_equal(clen, 1);
	assert_int_equal(blen, 2);
}

static void test_ng_split_rejects_bad_frames(void **state)
{
	static const char *const bad[] = {
	    "", "nospace", " body", "cookie ", "co\x01kie body", "co\x7fkie body", "c\xc3\xa9 x",
	};
	char longc[80];
	const char *cookie = "keep";
	const uint8_t *body = NULL;
	size_t clen = 99, blen = 99, i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (ng_split((const uint8_t *)bad[i], strlen(bad[i]), &cookie, &clen, &body,
			     &blen) != -1)
			fail_msg("\"%s\" split", bad[i]);
	assert_string_equal(cookie, "keep");
	assert_int_equal(clen, 99);
	memset(longc, 'c', sizeof(longc));
	longc[64] = ' ';
	assert_int_equal(ng_split((uint8_t *)longc, 66, &cookie, &clen, &body, &blen), 0);
	assert_int_equal(clen, 64);
	longc[64] = 'c';
	longc[65] = ' ';
	assert_int_equal(ng_split((uint8_t *)longc, 67, &cookie, &clen, &body, &blen), -1);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_ping_request_parses),
	    T(test_offer_request_parses_with_lists_and_ice),
	    T(test_offer_round_trips_byte_exact_in_bencode),
	    T(test_offer_in_json_parses_like_bencode),
	    T(test_json_round_trips_compact),
	    T(test_json_with_whitespace_and_leading_blanks_parses),
	    T(test_json_literals_become_ints_and_empty_string),
	    T(test_json_escapes_decode_to_utf8),
	    T(test_json_writer_escapes_controls_quotes_and_bad_utf8),
	    T(test_bencode_strings_keep_binary_bytes),
	    T(test_pretty_json_indents_two_spaces),
	    T(test_duplicate_key_keeps_first_position_and_last_value),
	    T(test_builders_make_an_offer_reply),
	    T(test_builders_reject_wrong_containers_and_null_values),
	    T(test_int64_bounds_parse_and_overflow_fails),
	    T(test_bad_bencode_fails_with_its_reason),
	    T(test_bad_json_fails_with_its_reason),
	    T(test_nesting_depth_limit_is_32),
	    T(test_value_count_limit_is_16384),
	    T(test_input_size_limits),
	    T(test_failed_parse_leaves_root_and_tolerates_no_err_buffer),
	    T(test_write_that_does_not_fit_returns_minus_one),
	    T(test_ng_split_takes_cookie_and_body),
	    T(test_ng_split_rejects_bad_frames),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
