/*
 * ng_request.c - reads one ng request dictionary into struct ng_request.
 *
 * Names are matched the way rtpengine's modules spell them, in any of
 * their spellings: case does not matter and ' ', '_' and '-' are the same
 * ("replace-origin", "replace origin", "replace_origin"). Flags come as
 * their own keys (Kamailio 5.6: "ICE": "force", "replace": [...]), in the
 * "flags" list, or all in one "rtpp_flags" string ("ICE=force
 * replace-origin ...") that newer modules send. A key or flag the anchor
 * does not act on never fails a request but is named in the reply's
 * "warning" (rtpengine's record-call, codec-*, SDES-pad and -lifetime,
 * T.38, label, address-family, loop-protect... all end there). A transport
 * change (bridge.c) comes in any spelling, a bare word such as "RTP/SAVP"
 * in rtpp_flags included; DTLS=off|active|passive and SDES-off,
 * SDES-no-SUITE, SDES-only-SUITE steer the SRTP the anchor offers.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "anchor/anchor_internal.h"
#include "common/addr.h"

#define NAME_MAX_BYTES 64

/* s (len bytes) in canonical form: lower case, '-' for ' ' and '_'. */
static void name_norm(const char *s, size_t len, char out[NAME_MAX_BYTES])
{
	size_t i;

	if (len >= NAME_MAX_BYTES)
		len = NAME_MAX_BYTES - 1;
	for (i = 0; i < len; i++) {
		char ch = s[i];

		out[i] = (ch == ' ' || ch == '_') ? '-' : (char)tolower((unsigned char)ch);
	}
	out[i] = '\0';
}

/* Names a key, flag or value the anchor does not act on in the reply's "warning". */
static void warn_ignored(struct ng_request *req, const char *what, const char *s, size_t len)
{
	size_t used = strlen(req->warning);

	if (used + 1 >= sizeof(req->warning))
		return;
	snprintf(req->warning + used, sizeof(req->warning) - used, "%signored %s '%.*s'",
		 used ? "; " : "", what, (int)(len > 64 ? 64 : len), s);
}

/*
 * A bare transport-protocol word ("RTP/SAVPF", as Kamailio's flags carry
 * it): any RTP/, UDP/, TCP/ or DCCP/ profile, known name or not, so that
 * bridge_plan_offer() refuses one it does not know. ("codec-set-
 * opus/48000" is a codec flag, not one.)
 */
static bool is_transport_word(const char *s, size_t len)
{
	static const char *const prefix[] = {"rtp/", "udp/", "tcp/", "dccp/"};

	for (size_t i = 0; i < sizeof(prefix) / sizeof(prefix[0]); i++) {
		size_t n = strlen(prefix[i]);

		if (len > n && strncasecmp(s, prefix[i], n) == 0)
			return true;
	}
	return false;
}

/* A flag's value (not NUL-terminated in an rtpp_flags string) into buf. */
static const char *copy_value(char *buf, size_t cap, const char *v, size_t len)
{
	if (len >= cap)
		len = cap - 1;
	memcpy(buf, v, len);
	buf[len] = '\0';
	return buf;
}

static int parse_ice(const char *v, size_t len, enum anchor_ice_mode *out)
{
	char n[NAME_MAX_BYTES];

	name_norm(v, len, n);
	if (strcmp(n, "force") == 0)
		*out = ANCHOR_ICE_FORCE;
	else if (strcmp(n, "remove") == 0)
		*out = ANCHOR_ICE_REMOVE;
	else if (strcmp(n, "force-relay") == 0)
		*out = ANCHOR_ICE_FORCE_RELAY;
	else if (strcmp(n, "default") == 0)
		*out = ANCHOR_ICE_DEFAULT;
	else
		return -1;
	return 0;
}

static int parse_mux(const char *v, size_t len, unsigned int *mux)
{
	static const struct {
		const char *name;
		unsigned int bit;
	} tab[] = {{"offer", NG_MUX_OFFER},   {"demux", NG_MUX_DEMUX},
		   {"accept", NG_MUX_ACCEPT}, {"reject", NG_MUX_REJECT},
		   {"require", NG_MUX_REQUIRE}};
	char n[NAME_MAX_BYTES];

	name_norm(v, len, n);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(n, tab[i].name) == 0) {
			*mux |= tab[i].bit;
			return 0;
		}
	}
	return -1;
}

/* "IP4 1.2.3.4", or the list form ["IP4", "1.2.3.4"] joined by the caller. */
static void parse_received_from(struct ng_request *req, const char *family, const char *ip)
{
	struct sockaddr_storage ss;

	if (addr_parse(ip, 0, &ss, NULL) < 0 ||
	    (strcasecmp(family, "IP4") == 0 && ss.ss_family != AF_INET) ||
	    (strcasecmp(family, "IP6") == 0 && ss.ss_family != AF_INET6)) {
		warn_ignored(req, "received-from", ip, strlen(ip));
		return;
	}
	req->received_from = ss;
	req->received_from_ok = true;
}

/*
 * rtpengine's SDES flags (normalized, after "sdes-"): "off", "no-SUITE",
 * "only-SUITE". 0 when taken; -1 leaves it to the warning (SDES-pad,
 * SDES-lifetime, an unknown suite, ...).
 */
static int apply_sdes(struct ng_request *req, const char *v)
{
	const char *suite = NULL;
	uint32_t *bits = NULL;

	if (strcmp(v, "off") == 0) {
		req->sdes_off = true;
		return 0;
	}
	if (strncmp(v, "no-", 3) == 0) {
		suite = v + 3;
		bits = &req->sdes_no;
	} else if (strncmp(v, "only-", 5) == 0) {
		suite = v + 5;
		bits = &req->sdes_only;
	} else {
		return -1;
	}
	for (int id = SRTP_SUITE_NONE + 1; id < SRTP_SUITE_COUNT; id++) {
		const struct srtp_suite *s = srtp_suite_get((enum srtp_suite_id)id);
		char n[NAME_MAX_BYTES];

		name_norm(s->sdes_name, strlen(s->sdes_name), n);
		if (strcmp(n, suite) == 0) {
			*bits |= 1u << id;
			return 0;
		}
	}
	return -1;
}

/*
 * One flag: from the "flags" list or an rtpp_flags token, bare ("trust-
 * address") or with a value ("ICE=force"). -1 for a bad value of a known
 * flag (the request fails); unknown flags only warn.
 */
static int apply_flag(struct ng_request *req, const char *s, size_t len, char *reason,
		      size_t reasonlen)
{
	const char *eq = memchr(s, '=', len);
	size_t klen = eq ? (size_t)(eq - s) : len;
	const char *v = eq ? eq + 1 : NULL;
	size_t vlen = eq ? len - klen - 1 : 0;
	char k[NAME_MAX_BYTES];

	name_norm(s, klen, k);
	if (!v && is_transport_word(s, len)) {
		req->transport_protocol =
		    copy_value(req->transport_buf, sizeof(req->transport_buf), s, len);
		return 0;
	}
	if (v) {
		if (strcmp(k, "ice") == 0) {
			if (parse_ice(v, vlen, &req->ice) < 0)
				goto bad_value;
			req->ice_given = true;
		} else if (strcmp(k, "rtcp-mux") == 0) {
			if (parse_mux(v, vlen, &req->rtcp_mux) < 0)
				goto bad_value;
		} else if (strcmp(k, "transport-protocol") == 0) {
			req->transport_protocol = copy_value(req->transport_buf,
							     sizeof(req->transport_buf), v, vlen);
		} else if (strcmp(k, "dtls") == 0) {
			req->dtls = copy_value(req->dtls_buf, sizeof(req->dtls_buf), v, vlen);
		} else if (strcmp(k, "direction") == 0) {
			int i = req->direction[0] ? 1 : 0;

			if (!req->direction[i])
				req->direction[i] = copy_value(req->direction_buf[i],
							       sizeof(req->direction_buf[i]), v, vlen);
		} else if (strcmp(k, "ice-lite") == 0) {
			req->ice_lite = copy_value(req->ice_lite_buf, sizeof(req->ice_lite_buf), v,
						   vlen);
		} else if (strcmp(k, "replace") == 0) {
			char n[NAME_MAX_BYTES];

			name_norm(v, vlen, n);
			if (strcmp(n, "origin") == 0)
				req->replace_origin = true;
			else if (strcmp(n, "session-connection") == 0)
				req->replace_session_conn = true;
			else
				warn_ignored(req, "flag", s, len);
		} else if (strcmp(k, "record-call") == 0 &&
			   (vlen == 2 ? strncasecmp(v, "no", 2) == 0
				      : vlen == 3 && strncasecmp(v, "off", 3) == 0)) {
			; /* not recording is what the anchor does */
		} else {
			warn_ignored(req, "flag", s, len);
		}
		return 0;
	}
	if (strncmp(k, "sdes-", 5) == 0 && apply_sdes(req, k + 5) == 0)
		return 0;
	if (strcmp(k, "trust-address") == 0)
		req->trust_address = true;
	else if (strcmp(k, "sip-source-address") == 0)
		req->sip_source_address = true;
	else if (strcmp(k, "replace-origin") == 0)
		req->replace_origin = true;
	else if (strcmp(k, "replace-session-connection") == 0)
		req->replace_session_conn = true;
	else if (strcmp(k, "fragment") == 0)
		req->fragment = true;
	else if (strcmp(k, "strict-source") == 0)
		req->strict_source = true;
	else if (strncmp(k, "rtcp-mux-", 9) == 0 && parse_mux(k + 9, strlen(k + 9), &req->rtcp_mux) == 0)
		;
	else if (strcmp(k, "symmetric") == 0 || strcmp(k, "port-latching") == 0 ||
		 strcmp(k, "reset") == 0)
		; /* what the anchor always does (replies from the port it receives on, keeps
		     its ports on a re-offer, decides ICE from each SDP anew) */
	else
		warn_ignored(req, "flag", s, len);
	return 0;
bad_value:
	snprintf(reason, reasonlen, "bad value for flag '%.*s'", (int)(len > 64 ? 64 : len), s);
	return -1;
}

/* rtpp_flags: one string of blank-separated flags. */
static int apply_flag_string(struct ng_request *req, const char *s, size_t len, char *reason,
			     size_t reasonlen)
{
	size_t i = 0;

	while (i < len) {
		size_t start;

		while (i < len && isspace((unsigned char)s[i]))
			i++;
		start = i;
		while (i < len && !isspace((unsigned char)s[i]))
			i++;
		if (i > start && apply_flag(req, s + start, i - start, reason, reasonlen) < 0)
			return -1;
	}
	return 0;
}

static int parse_command(const struct bval *v, enum ng_command *cmd)
{
	static const struct {
		const char *name;
		enum ng_command cmd;
	} tab[] = {{"ping", NG_PING},	  {"offer", NG_OFFER}, {"answer", NG_ANSWER},
		   {"delete", NG_DELETE}, {"query", NG_QUERY}, {"list", NG_LIST},
		   {"statistics", NG_STATISTICS}};
	char n[NAME_MAX_BYTES];

	if (!v || v->type != BVAL_STR)
		return -1;
	name_norm(v->str, v->len, n);
	for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
		if (strcmp(n, tab[i].name) == 0) {
			*cmd = tab[i].cmd;
			return 0;
		}
	}
	return -1;
}

static const char *str_of(const struct bval *v)
{
	return v && v->type == BVAL_STR ? v->str : NULL;
}

/* One key of the request dictionary, name in canonical form. */
static int apply_key(struct ng_request *req, const char *k, const struct bval *v, char *reason,
		     size_t reasonlen)
{
	const struct bval *e;

	if (strcmp(k, "call-id") == 0) {
		req->call_id = str_of(v);
	} else if (strcmp(k, "from-tag") == 0) {
		req->from_tag = str_of(v);
	} else if (strcmp(k, "to-tag") == 0) {
		req->to_tag = str_of(v);
	} else if (strcmp(k, "via-branch") == 0) {
		req->via_branch = str_of(v);
	} else if (strcmp(k, "sdp") == 0) {
		if (v->type == BVAL_STR) {
			req->sdp = v->str;
			req->sdp_len = v->len;
		}
	} else if (strcmp(k, "ice") == 0) {
		if (v->type != BVAL_STR || parse_ice(v->str, v->len, &req->ice) < 0) {
			snprintf(reason, reasonlen, "bad value for key 'ICE'");
			return -1;
		}
		req->ice_given = true;
	} else if (strcmp(k, "flags") == 0 && v->type == BVAL_LIST) {
		for (e = v->first; e; e = e->next)
			if (e->type == BVAL_STR &&
			    apply_flag(req, e->str, e->len, reason, reasonlen) < 0)
				return -1;
	} else if (strcmp(k, "rtpp-flags") == 0 && v->type == BVAL_STR) {
		return apply_flag_string(req, v->str, v->len, reason, reasonlen);
	} else if (strcmp(k, "replace") == 0 && v->type == BVAL_LIST) {
		for (e = v->first; e; e = e->next) {
			char n[NAME_MAX_BYTES + 8];

			if (e->type != BVAL_STR)
				continue;
			snprintf(n, sizeof(n), "replace=%.*s", (int)(e->len > 60 ? 60 : e->len),
				 e->str);
			apply_flag(req, n, strlen(n), reason, reasonlen);
		}
	} else if (strcmp(k, "rtcp-mux") == 0 && v->type == BVAL_LIST) {
		for (e = v->first; e; e = e->next) {
			if (e->type != BVAL_STR || parse_mux(e->str, e->len, &req->rtcp_mux) < 0) {
				snprintf(reason, reasonlen, "bad value in 'rtcp-mux'");
				return -1;
			}
		}
	} else if (strcmp(k, "direction") == 0 && v->type == BVAL_LIST) {
		int i = 0;

		for (e = v->first; e && i < 2; e = e->next)
			if (e->type == BVAL_STR)
				req->direction[i++] = e->str;
	} else if (strcmp(k, "received-from") == 0 && v->type == BVAL_LIST && v->len == 2 &&
		   v->first->type == BVAL_STR && v->last->type == BVAL_STR) {
		parse_received_from(req, v->first->str, v->last->str);
	} else if (strcmp(k, "supports") == 0 && v->type == BVAL_LIST) {
		for (e = v->first; e; e = e->next) {
			if (bval_str_eq(e, "load limit"))
				req->supports_load_limit = true;
			else if (e->type == BVAL_STR)
				warn_ignored(req, "supports value", e->str, e->len);
		}
	} else if (strcmp(k, "sdes") == 0 && v->type == BVAL_LIST) {
		for (e = v->first; e; e = e->next) {
			char n[NAME_MAX_BYTES + 8];

			if (e->type != BVAL_STR)
				continue;
			snprintf(n, sizeof(n), "SDES-%.*s", (int)(e->len > 60 ? 60 : e->len), e->str);
			apply_flag(req, n, strlen(n), reason, reasonlen);
		}
	} else if (strcmp(k, "transport-protocol") == 0) {
		req->transport_protocol = str_of(v);
	} else if (strcmp(k, "dtls") == 0) {
		req->dtls = str_of(v);
	} else if (strcmp(k, "ice-lite") == 0) {
		req->ice_lite = str_of(v);
	} else if (strcmp(k, "limit") == 0 && v->type == BVAL_INT) {
		if (v->num > 0)
			req->limit = v->num > 100000 ? 100000 : (unsigned int)v->num;
	} else if (strcmp(k, "command") == 0 ||
		   (strcmp(k, "record-call") == 0 && v->type == BVAL_STR &&
		    (bval_str_eq(v, "no") || bval_str_eq(v, "off")))) {
		; /* read by ng_request_parse(); not recording is what the anchor does */
	} else {
		/* label, metadata, codec, SDES, T.38, address family, media address, TOS,
		   a known key with a value of another type, ...: nothing the anchor acts on */
		warn_ignored(req, "key", v->key, v->keylen);
	}
	return 0;
}

int ng_request_parse(const struct bval *dict, struct ng_request *req, char *reason,
		     size_t reasonlen)
{
	const struct bval *v;

	memset(req, 0, sizeof(*req));
	if (!dict || dict->type != BVAL_DICT) {
		snprintf(reason, reasonlen, "request is not a dictionary");
		return -1;
	}
	if (parse_command(bval_dict_get(dict, "command"), &req->cmd) < 0) {
		v = bval_dict_get(dict, "command");
		if (v && v->type == BVAL_STR)
			snprintf(reason, reasonlen, "Unrecognized command '%.64s'", v->str);
		else
			snprintf(reason, reasonlen, "No command in message");
		return -1;
	}
	for (v = dict->first; v; v = v->next) {
		char k[NAME_MAX_BYTES];

		name_norm(v->key, v->keylen, k);
		if (apply_key(req, k, v, reason, reasonlen) < 0)
			return -1;
	}
	if (req->ice_lite && strcasecmp(req->ice_lite, "forward") != 0 &&
	    strcasecmp(req->ice_lite, "backward") != 0 && strcasecmp(req->ice_lite, "both") != 0 &&
	    strcasecmp(req->ice_lite, "off") != 0) {
		warn_ignored(req, "ICE-lite value", req->ice_lite, strlen(req->ice_lite));
		req->ice_lite = NULL;
	}
	/* delete ends the whole call: rtpengine's per-branch delete is not done */
	if (req->cmd == NG_DELETE && req->via_branch)
		warn_ignored(req, "key", "via-branch", strlen("via-branch"));
	if (req->dtls) {
		char n[NAME_MAX_BYTES];

		/* rtpengine's DTLS values: the role toward a party the anchor bridges */
		name_norm(req->dtls, strlen(req->dtls), n);
		if (strcmp(n, "off") == 0 || strcmp(n, "no") == 0 || strcmp(n, "disable") == 0)
			req->dtls_mode = NG_DTLS_OFF;
		else if (strcmp(n, "passive") == 0)
			req->dtls_mode = NG_DTLS_PASSIVE;
		else if (strcmp(n, "active") == 0)
			req->dtls_mode = NG_DTLS_ACTIVE;
		else
			warn_ignored(req, "DTLS value", req->dtls, strlen(req->dtls));
	}
	switch (req->cmd) {
	case NG_OFFER:
	case NG_ANSWER:
		if (!req->sdp) {
			snprintf(reason, reasonlen, "No SDP body in message");
			return -1;
		}
		if (req->cmd == NG_ANSWER && !req->to_tag) {
			snprintf(reason, reasonlen, "No to-tag in message");
			return -1;
		}
		/* fall through */
	case NG_DELETE:
		if (!req->from_tag && req->cmd != NG_DELETE) {
			snprintf(reason, reasonlen, "No from-tag in message");
			return -1;
		}
		/* fall through */
	case NG_QUERY:
		if (!req->call_id || !*req->call_id) {
			snprintf(reason, reasonlen, "No call-id in message");
			return -1;
		}
		if (strlen(req->call_id) > ANCHOR_CALL_ID_MAX ||
		    (req->from_tag && strlen(req->from_tag) > ANCHOR_TAG_MAX) ||
		    (req->to_tag && strlen(req->to_tag) > ANCHOR_TAG_MAX)) {
			snprintf(reason, reasonlen, "call-id or tag longer than %d bytes",
				 ANCHOR_TAG_MAX);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}
