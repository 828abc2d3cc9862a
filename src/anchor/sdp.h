/*
 * sdp.h - SDP (RFC 8866) parser and rewriter for the media anchor, with the
 * attributes the anchor reads or rewrites: ICE (RFC 8839), trickle ICE
 * fragments (RFC 8840), BUNDLE groups (RFC 8843, RFC 5888), a=rtcp
 * (RFC 3605), rtcp-mux (RFC 5761), DTLS setup/fingerprint (RFC 8122) and
 * SDES crypto (RFC 4568).
 *
 * Parsing: sdp_parse() copies the input, splits it into lines and checks
 * the lines the anchor owns: v= (first, "v=0"), o= (second, 6 fields),
 * c=, m=, and a=candidate, ice-ufrag, ice-pwd, ice-lite, ice-options,
 * end-of-candidates, rtcp, rtcp-mux, mid, group, setup, fingerprint,
 * crypto and the direction attributes. Every other line is kept as it is.
 * On error it returns -1 and writes the reason, prefixed with the line
 * number ("line 7: m= line needs 'media port proto fmt...'"), into err.
 *
 * Input rules: at most SDP_MAX_LEN bytes, lines of at most
 * SDP_MAX_LINE_LEN bytes (without their ending), each "<letter>=...";
 * lines end with CRLF or LF (each line keeps its own); the last line may
 * have no ending; empty lines are only allowed at the very end (kept as
 * they are); NUL bytes and a CR not followed by LF are errors.
 *
 * ICE credentials: a=ice-ufrag / a=ice-pwd that break RFC 8839 §5.4 (ufrag
 * 4-256, pwd 22-256 ice-chars: ALPHA DIGIT + /) are accepted and kept, with
 * ice_ufrag_ok / ice_pwd_ok false: the caller decides whether to refuse.
 * Repeating either in one section is an error.
 *
 * Parsed values are NUL-terminated strings owned by the struct sdp (valid
 * until sdp_free()). Media sections carry "effective" values: media level
 * where present, else session level (connection, ICE credentials and
 * options, ice-lite, end-of-candidates, setup, fingerprint, direction).
 *
 * Editing changes the list of lines that sdp_write() produces; it does NOT
 * update the parsed fields (they always describe the input: write and parse
 * again to read the result). Untouched lines are written byte for byte in
 * their order, each with its own line ending; new lines take the ending of
 * the input's first line; the last line has an ending only if the input's
 * last line had one. Edits refuse (-1) lines longer than SDP_MAX_LINE_LEN,
 * text with CR, LF or NUL, and a bad media index.
 */
#ifndef ANCHOR_SDP_H
#define ANCHOR_SDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define SDP_MAX_LEN 65535
#define SDP_MAX_LINE_LEN 4096
#define SDP_MAX_MEDIA 64
#define SDP_MAX_CANDIDATES 64 /* per media section */
#define SDP_MAX_GROUPS 16
#define SDP_MAX_GROUP_MIDS 64
#define SDP_MAX_ADDR_LEN 255 /* host name or IP text in c=, o=, a=candidate */
#define SDP_MAX_FINGERPRINTS 4 /* a=fingerprint lines per section (or session) */
#define SDP_MAX_CRYPTO 16      /* a=crypto lines per section */

enum sdp_dir {
	SDP_DIR_SENDRECV = 0, /* also the default when there is none */
	SDP_DIR_SENDONLY,
	SDP_DIR_RECVONLY,
	SDP_DIR_INACTIVE,
};

enum sdp_setup {
	SDP_SETUP_NONE = 0, /* no a=setup */
	SDP_SETUP_ACTPASS,
	SDP_SETUP_ACTIVE,
	SDP_SETUP_PASSIVE,
	SDP_SETUP_HOLDCONN,
};

enum sdp_cand_type {
	SDP_CAND_HOST,
	SDP_CAND_SRFLX,
	SDP_CAND_PRFLX,
	SDP_CAND_RELAY,
	SDP_CAND_OTHER, /* an extension token: see type_text */
};

enum sdp_tcptype {
	SDP_TCPTYPE_NONE = 0, /* no tcptype extension */
	SDP_TCPTYPE_ACTIVE,
	SDP_TCPTYPE_PASSIVE,
	SDP_TCPTYPE_SO,
};

/*
 * An address from o=, c= or a=rtcp. family comes from the address type
 * (IP4: AF_INET, IP6: AF_INET6). addr is the text without any /ttl or
 * /count suffix: an IP address or a host name. When is_ip, sa holds it
 * (port 0); an IP of the other family than the address type is an error.
 */
struct sdp_conn {
	int family;
	const char *addr;
	bool is_ip;
	struct sockaddr_storage sa;
	unsigned ttl;	/* IP4 multicast "/ttl", else 0 */
	unsigned count; /* multicast "/count", else 0 */
};

/* One a=candidate (RFC 8839 §5.1, tcptype from RFC 6544). */
struct sdp_candidate {
	const char *foundation;
	unsigned component;    /* 1-256 */
	const char *transport; /* as written: "UDP", "udp", "tcp", ... */
	uint32_t priority;
	const char *address; /* IP text, mDNS name ("....local") or FQDN */
	bool is_ip;
	struct sockaddr_storage sa; /* when is_ip: address and port */
	uint16_t port;
	enum sdp_cand_type type;
	const char *type_text; /* "host", "srflx", ... or the extension token */
	const char *raddr;     /* NULL when absent */
	bool raddr_is_ip;
	struct sockaddr_storage raddr_sa; /* when raddr_is_ip: raddr and rport */
	bool has_rport;
	uint16_t rport;
	enum sdp_tcptype tcptype;
};

struct sdp_media {
	const char *type; /* "audio", "video", "application", ... */
	uint16_t port;
	unsigned port_count; /* "port/count", else 1 */
	const char *proto;   /* "UDP/TLS/RTP/SAVPF", ... */
	const char *formats; /* everything after proto: "111 0 8 101" */
	size_t line_no;	     /* 1-based line number of the m= line in the input */

	bool has_conn;	       /* connection known (media or session level) */
	bool conn_media_level; /* from a c= in this section */
	struct sdp_conn conn;  /* effective; the first c= of the section */

	bool has_rtcp; /* a=rtcp */
	uint16_t rtcp_port;
	bool rtcp_has_addr;
	struct sdp_conn rtcp_addr;
	bool rtcp_mux;

	const char *mid; /* NULL when absent */
	enum sdp_dir dir;
	enum sdp_setup setup;
	bool has_fingerprint;
	bool has_crypto;
	/* effective a=fingerprint values (media level, else session level) and
	 * the section's a=crypto values: the text after "a=fingerprint:" /
	 * "a=crypto:", checked by fingerprint.h / sdes.h, not here */
	const char *fingerprints[SDP_MAX_FINGERPRINTS];
	size_t n_fingerprints;
	const char *cryptos[SDP_MAX_CRYPTO];
	size_t n_cryptos;

	const char *ice_ufrag; /* effective; NULL when absent */
	const char *ice_pwd;   /* effective; NULL when absent */
	bool ice_ufrag_ok;     /* RFC 8839 length and characters */
	bool ice_pwd_ok;
	const char *ice_options; /* effective, e.g. "trickle"; NULL when absent */
	bool ice_lite;		 /* session or media level */
	bool end_of_candidates;	 /* session or media level */
	struct sdp_candidate *candidates;
	size_t n_candidates;
};

/* a=group:SEMANTICS mid... (RFC 5888); BUNDLE is semantics "BUNDLE". */
struct sdp_group {
	const char *semantics;
	const char *mids[SDP_MAX_GROUP_MIDS];
	size_t n_mids;
};

struct sdp_lines; /* private: the line list the edits work on */

struct sdp {
	bool fragment; /* parsed by sdp_parse_fragment() */
	bool crlf;     /* the first line ends with CRLF (new lines do too) */

	bool has_origin; /* always in a full SDP */
	struct sdp_conn origin;
	bool has_conn; /* session-level c= */
	struct sdp_conn conn;

	/* Session-level values (media sections have the effective ones). */
	const char *ice_ufrag;
	const char *ice_pwd;
	bool ice_ufrag_ok;
	bool ice_pwd_ok;
	const char *ice_options;
	bool ice_lite;
	bool end_of_candidates;
	enum sdp_dir dir;
	enum sdp_setup setup;
	bool has_fingerprint;
	const char *fingerprints[SDP_MAX_FINGERPRINTS];
	size_t n_fingerprints;

	struct sdp_group *groups; /* n_groups of them (at most SDP_MAX_GROUPS) */
	size_t n_groups;

	struct sdp_media *media;
	size_t n_media;

	struct sdp_lines *priv;
};

/*
 * Parse a full SDP (v=, o=, ...). On success *out is a new struct sdp
 * (free it with sdp_free()) and 0 is returned; on failure -1, *out is
 * untouched and err (if errlen > 0) holds the reason.
 */
int sdp_parse(const char *buf, size_t len, struct sdp **out, char *err, size_t errlen);

/*
 * Parse a trickle ICE fragment (RFC 8840 "application/sdpfrag"): the same
 * lines without v=, o= (those are errors here) and without the c= rule:
 * session-level a=ice-ufrag/pwd/ice-options, then m= lines, each with
 * a=mid, a=candidate and a=end-of-candidates. Same model and limits.
 */
int sdp_parse_fragment(const char *buf, size_t len, struct sdp **out, char *err, size_t errlen);

void sdp_free(struct sdp *s);

/* Index of the media section whose a=mid is mid, or -1. */
int sdp_find_mid(const struct sdp *s, const char *mid);

/* The first a=group:BUNDLE group that names mid, or NULL. */
const struct sdp_group *sdp_bundle_group(const struct sdp *s, const char *mid);

/*
 * Edits. family is AF_INET or AF_INET6 (written as IP4 / IP6); addr_text
 * is an IP address of that family or a host name.
 */

/* Replace the address type and address of o=. -1 in a fragment. */
int sdp_set_origin_addr(struct sdp *s, int family, const char *addr_text);

/*
 * Replace the session-level c= (any /ttl goes). When there is none (every
 * media section then has its own, or this is a fragment), do nothing.
 */
int sdp_set_session_conn(struct sdp *s, int family, const char *addr_text);

/* Replace the port of media section i's m= line; "/count" is kept. */
int sdp_media_set_port(struct sdp *s, size_t i, uint16_t port);

/* Replace the transport protocol of media section i's m= line ("RTP/AVP"):
 * a token of letters, digits, '/', '.', '-' and '_', at most 31 bytes. */
int sdp_media_set_proto(struct sdp *s, size_t i, const char *proto);

/*
 * Replace the section's c= (the first; any further c= lines go) or, when
 * it has none, insert one after m= and its i= line (RFC 8866 §5 order).
 */
int sdp_media_set_conn(struct sdp *s, size_t i, int family, const char *addr_text);

/*
 * Replace the section's a=rtcp (the first; any others go) with
 * "a=rtcp:PORT" or, when addr_text is not NULL, "a=rtcp:PORT IN IP4 addr";
 * when it has none, insert it before the section's first a= line.
 */
int sdp_media_set_rtcp(struct sdp *s, size_t i, uint16_t port, int family, const char *addr_text);
int sdp_media_remove_rtcp(struct sdp *s, size_t i);

/* Remove every "a=NAME" and "a=NAME:..." line of media section i / of the session. */
int sdp_media_remove_attr(struct sdp *s, size_t i, const char *name);
int sdp_session_remove_attr(struct sdp *s, const char *name);

/*
 * Remove a=candidate, ice-ufrag, ice-pwd, ice-options, ice-lite,
 * end-of-candidates, remote-candidates and ice-mismatch lines from media
 * section i / from the session level.
 */
int sdp_media_remove_ice(struct sdp *s, size_t i);
int sdp_session_remove_ice(struct sdp *s);

/*
 * Append a whole attribute line ("a=ice-ufrag:xyz", no line ending) at
 * the end of media section i / of the session level (before the first
 * m=), after the lines added before. Only "a=" lines: the others have
 * their place in RFC 8866 §5's order (c=: sdp_media_set_conn()).
 */
int sdp_media_add_attr(struct sdp *s, size_t i, const char *line);
int sdp_session_add_attr(struct sdp *s, const char *line);

/*
 * Write the SDP and a terminating NUL into out. Returns the length
 * (without the NUL), or -1 if length + 1 > cap. sdp_write_len() is that
 * length.
 */
int sdp_write(const struct sdp *s, char *out, size_t cap);
size_t sdp_write_len(const struct sdp *s);

/*
 * Line formatting helpers. Each writes a NUL-terminated line without
 * ending and returns its length, or -1 if it does not fit in cap or an
 * argument is invalid (addresses must be AF_INET or AF_INET6).
 */

/*
 * "a=candidate:F C T P ADDR PORT typ TYPE" and, when raddr is not NULL,
 * " raddr A rport P" (RFC 8839 §5.1). foundation is 1-32 ice-chars;
 * component 1-256; transport and type are tokens ("UDP", "relay").
 */
int sdp_candidate_format(char *out, size_t cap, const char *foundation, unsigned component,
			 const char *transport, uint32_t priority, const struct sockaddr *addr,
			 const char *type, const struct sockaddr *raddr);

/* "c=IN IP4 1.2.3.4" / "c=IN IP6 2001:db8::1" for addr's IP (its port is ignored). */
int sdp_conn_format(char *out, size_t cap, const struct sockaddr *addr);

/* "a=rtcp:PORT" and, when addr is not NULL, " IN IP4 A" (RFC 3605). */
int sdp_rtcp_format(char *out, size_t cap, uint16_t port, const struct sockaddr *addr);

#endif /* ANCHOR_SDP_H */
