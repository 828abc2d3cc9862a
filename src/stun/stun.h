/*
 * stun.h - STUN/TURN wire codec (RFC 8489, RFC 5389, RFC 8656, RFC 6062,
 * RFC 5780, RFC 8445 attributes) and ChannelData framing.
 *
 * Pure functions: no I/O, no global state. A parsed struct stun_msg points
 * into the caller's buffer; it is valid as long as that buffer is.
 * Building writes into a caller-supplied buffer through struct stun_builder,
 * whose error is sticky: check it once, at stun_build_end().
 */
#ifndef STUN_STUN_H
#define STUN_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define STUN_MAGIC_COOKIE 0x2112A442u
#define STUN_HEADER_LEN 20
#define STUN_TID_LEN 12
#define STUN_ATTR_HDR_LEN 4
#define STUN_MAX_ATTRS 48
#define STUN_MAX_UNKNOWN 16
#define STUN_MAX_MSG_LEN 65535 /* what the builder writes into one buffer */
#define STUN_MAX_BODY_LEN 65532 /* 16-bit length field, a multiple of 4 (RFC 8489 §5) */

/* Classes (RFC 8489 §5). */
enum stun_class {
	STUN_REQUEST = 0,
	STUN_INDICATION = 1,
	STUN_SUCCESS = 2,
	STUN_ERROR = 3,
};

/* Methods (RFC 8489, RFC 8656, RFC 6062). */
enum stun_method {
	STUN_BINDING = 0x001,
	TURN_ALLOCATE = 0x003,
	TURN_REFRESH = 0x004,
	TURN_SEND = 0x006,
	TURN_DATA = 0x007,
	TURN_CREATE_PERMISSION = 0x008,
	TURN_CHANNEL_BIND = 0x009,
	TURN_CONNECT = 0x00A,
	TURN_CONNECTION_BIND = 0x00B,
	TURN_CONNECTION_ATTEMPT = 0x00C,
};

/* Attributes. Below 0x8000: comprehension-required. */
enum stun_attr_type {
	STUN_ATTR_MAPPED_ADDRESS = 0x0001,
	STUN_ATTR_CHANGE_REQUEST = 0x0003,	  /* RFC 5780 */
	STUN_ATTR_USERNAME = 0x0006,
	STUN_ATTR_MESSAGE_INTEGRITY = 0x0008,
	STUN_ATTR_ERROR_CODE = 0x0009,
	STUN_ATTR_UNKNOWN_ATTRIBUTES = 0x000A,
	STUN_ATTR_CHANNEL_NUMBER = 0x000C,
	STUN_ATTR_LIFETIME = 0x000D,
	STUN_ATTR_XOR_PEER_ADDRESS = 0x0012,
	STUN_ATTR_DATA = 0x0013,
	STUN_ATTR_REALM = 0x0014,
	STUN_ATTR_NONCE = 0x0015,
	STUN_ATTR_XOR_RELAYED_ADDRESS = 0x0016,
	STUN_ATTR_REQUESTED_ADDRESS_FAMILY = 0x0017,
	STUN_ATTR_EVEN_PORT = 0x0018,
	STUN_ATTR_REQUESTED_TRANSPORT = 0x0019,
	STUN_ATTR_DONT_FRAGMENT = 0x001A,
	STUN_ATTR_MESSAGE_INTEGRITY_SHA256 = 0x001C,
	STUN_ATTR_PASSWORD_ALGORITHM = 0x001D,
	STUN_ATTR_USERHASH = 0x001E,
	STUN_ATTR_XOR_MAPPED_ADDRESS = 0x0020,
	STUN_ATTR_RESERVATION_TOKEN = 0x0022,
	STUN_ATTR_PRIORITY = 0x0024,		  /* RFC 8445 */
	STUN_ATTR_USE_CANDIDATE = 0x0025,	  /* RFC 8445 */
	STUN_ATTR_PADDING = 0x0026,		  /* RFC 5780 */
	STUN_ATTR_RESPONSE_PORT = 0x0027,	  /* RFC 5780 */
	STUN_ATTR_CONNECTION_ID = 0x002A,	  /* RFC 6062 */
	STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY = 0x8000,
	STUN_ATTR_ADDRESS_ERROR_CODE = 0x8001,
	STUN_ATTR_PASSWORD_ALGORITHMS = 0x8002,
	STUN_ATTR_ALTERNATE_DOMAIN = 0x8003,
	STUN_ATTR_ICMP = 0x8004,
	STUN_ATTR_BANDWIDTH = 0x8010,		  /* coturn's: units of 128 bytes a second */
	STUN_ATTR_SOFTWARE = 0x8022,
	STUN_ATTR_ALTERNATE_SERVER = 0x8023,
	STUN_ATTR_CACHE_TIMEOUT = 0x8027,	  /* RFC 5780 */
	STUN_ATTR_FINGERPRINT = 0x8028,
	STUN_ATTR_ICE_CONTROLLED = 0x8029,	  /* RFC 8445 */
	STUN_ATTR_ICE_CONTROLLING = 0x802A,	  /* RFC 8445 */
	STUN_ATTR_RESPONSE_ORIGIN = 0x802B,	  /* RFC 5780 */
	STUN_ATTR_OTHER_ADDRESS = 0x802C,	  /* RFC 5780 */
	STUN_ATTR_MOBILITY_TICKET = 0x8030,	  /* RFC 8016 */
};

/* Error codes (RFC 8489 §14.8, RFC 8656 §19, RFC 6062, RFC 8445). */
enum stun_error_code {
	STUN_ERR_TRY_ALTERNATE = 300,
	STUN_ERR_BAD_REQUEST = 400,
	STUN_ERR_UNAUTHORIZED = 401,
	STUN_ERR_FORBIDDEN = 403,
	STUN_ERR_MOBILITY_FORBIDDEN = 405,
	STUN_ERR_UNKNOWN_ATTRIBUTE = 420,
	TURN_ERR_ALLOCATION_MISMATCH = 437,
	STUN_ERR_STALE_NONCE = 438,
	TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED = 440,
	TURN_ERR_WRONG_CREDENTIALS = 441,
	TURN_ERR_UNSUPPORTED_TRANSPORT_PROTOCOL = 442,
	TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH = 443,
	TURN_ERR_CONNECTION_ALREADY_EXISTS = 446,
	TURN_ERR_CONNECTION_TIMEOUT_OR_FAILURE = 447,
	TURN_ERR_ALLOCATION_QUOTA = 486,
	STUN_ERR_ROLE_CONFLICT = 487,
	STUN_ERR_SERVER_ERROR = 500,
	TURN_ERR_INSUFFICIENT_CAPACITY = 508,
};

/* PASSWORD-ALGORITHM values (RFC 8489 §18.5). */
enum stun_pw_alg {
	STUN_PW_ALG_MD5 = 0x0001,
	STUN_PW_ALG_SHA256 = 0x0002,
};

/* Address family values in address and REQUESTED-ADDRESS-FAMILY attributes. */
#define STUN_FAMILY_IPV4 0x01
#define STUN_FAMILY_IPV6 0x02

/* Transport protocol numbers for REQUESTED-TRANSPORT. */
#define TURN_TRANSPORT_UDP 17
#define TURN_TRANSPORT_TCP 6

/* Channel numbers: RFC 8656 uses 0x4000-0x4FFF; RFC 5766 allowed up to 0x7FFF. */
#define TURN_CHANNEL_MIN 0x4000
#define TURN_CHANNEL_MAX_RFC8656 0x4FFF
#define TURN_CHANNEL_MAX 0x7FFF
#define TURN_CHANNELDATA_HDR_LEN 4

/* Security feature bits of the nonce cookie (RFC 8489 §9.2), 24 bits. */
#define STUN_NONCE_COOKIE "obMatJos2"
#define STUN_NONCE_COOKIE_LEN 13 /* "obMatJos2" + 4 base64 characters */
#define STUN_FEATURE_PASSWORD_ALGORITHMS (1u << 23)
#define STUN_FEATURE_USERNAME_ANONYMITY (1u << 22)

/* Parse results. */
enum stun_parse_result {
	STUN_PARSE_OK = 0,
	STUN_PARSE_SHORT = -1,		/* fewer than 20 bytes, or length past the buffer */
	STUN_PARSE_NOT_STUN = -2,	/* top two bits set: not a STUN message */
	STUN_PARSE_BAD_COOKIE = -3,	/* magic cookie missing */
	STUN_PARSE_BAD_LENGTH = -4,	/* length not a multiple of 4 */
	STUN_PARSE_ATTR_OVERFLOW = -5,	/* an attribute runs past the end */
	STUN_PARSE_TOO_MANY_ATTRS = -6,
	STUN_PARSE_AFTER_FINGERPRINT = -7, /* attribute after FINGERPRINT */
	STUN_PARSE_BAD_ATTR = -8,	/* MI/MI-SHA256/FINGERPRINT of bad length */
};

struct stun_attr {
	uint16_t type;
	uint16_t len;	    /* value length, without padding */
	uint32_t off;	    /* offset of the attribute header (a message may pass 64 KiB) */
	const uint8_t *val; /* points into the message */
};

struct stun_msg {
	const uint8_t *buf;
	size_t len;	      /* 20 + header length; bytes past it are ignored */
	uint16_t type;
	uint16_t method;
	enum stun_class cls;
	const uint8_t *tid;   /* 12 bytes */
	int nattrs;
	struct stun_attr attrs[STUN_MAX_ATTRS];
	/* indexes into attrs[], -1 when absent */
	int mi_idx, mi256_idx, fp_idx;
	/* comprehension-required attributes the codec does not know */
	int nunknown;
	uint16_t unknown[STUN_MAX_UNKNOWN];
};

/* Message type <-> method/class (RFC 8489 §5). */
uint16_t stun_type(uint16_t method, enum stun_class cls);
uint16_t stun_type_method(uint16_t type);
enum stun_class stun_type_class(uint16_t type);
const char *stun_method_name(uint16_t method);
const char *stun_parse_strerror(int result);
/* Default reason phrase for an error code. */
const char *stun_err_reason(int code);
/* True when the codec knows the attribute type. */
bool stun_attr_known(uint16_t type);

/* Quick checks on a datagram's first bytes, for demultiplexing. */
bool stun_looks_like_stun(const uint8_t *buf, size_t len);
static inline bool stun_looks_like_channeldata(const uint8_t *buf, size_t len)
{
	return len >= TURN_CHANNELDATA_HDR_LEN && buf[0] >= 0x40 && buf[0] <= 0x7F;
}

/*
 * Parse a message. Only the first occurrence of an attribute is found by
 * stun_msg_find(); attributes after MESSAGE-INTEGRITY other than
 * MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored (RFC 8489 §14.5).
 * Returns STUN_PARSE_OK or a negative enum stun_parse_result.
 */
int stun_msg_parse(struct stun_msg *m, const uint8_t *buf, size_t len);
const struct stun_attr *stun_msg_find(const struct stun_msg *m, uint16_t type);

/* Attribute value decoders: 0 on success, -1 when the value is malformed. */
int stun_attr_u32(const struct stun_attr *a, uint32_t *out);
/* MAPPED-ADDRESS style (plain) or XOR-* style address. */
int stun_attr_addr(const struct stun_msg *m, const struct stun_attr *a,
		   struct sockaddr_storage *out);
int stun_attr_xor_addr(const struct stun_msg *m, const struct stun_attr *a,
		       struct sockaddr_storage *out);
int stun_attr_error(const struct stun_attr *a, int *code, const char **reason,
		    size_t *reason_len);
int stun_attr_channel(const struct stun_attr *a, uint16_t *channel);
int stun_attr_transport(const struct stun_attr *a, uint8_t *proto);
/* REQUESTED-ADDRESS-FAMILY / ADDITIONAL-ADDRESS-FAMILY: STUN_FAMILY_*. */
int stun_attr_family(const struct stun_attr *a, uint8_t *family);
int stun_attr_even_port(const struct stun_attr *a, bool *reserve_next);
int stun_attr_token(const struct stun_attr *a, uint64_t *token);
/*
 * MOBILITY-TICKET (RFC 8016 §5): opaque to the client. Empty in an Allocate
 * that asks for mobility; in a Refresh, a ticket the server issued, which
 * here is always STUN_MOBILITY_TICKET_LEN bytes: 144 random bits as base64
 * text, since clients such as coturn's keep it as a C string of at most 32.
 * Returns its length (0 or STUN_MOBILITY_TICKET_LEN, copied to ticket) or
 * -1 for any other.
 */
#define STUN_MOBILITY_TICKET_LEN 24
int stun_attr_mobility_ticket(const struct stun_attr *a, uint8_t ticket[STUN_MOBILITY_TICKET_LEN]);
/* PASSWORD-ALGORITHM: algorithm number (parameters must be empty). */
int stun_attr_pw_alg(const struct stun_attr *a, uint16_t *alg);
/*
 * ICMP (RFC 8656 §18.13): 16 reserved bits, a 7-bit ICMP type, a 9-bit ICMP
 * code (Figure 11's widths), 32 bits of error data (the next-hop MTU for
 * fragmentation needed / packet too big, else 0).
 */
#define STUN_ICMP_TYPE_MAX 0x7F
#define STUN_ICMP_CODE_MAX 0x1FF
struct stun_icmp {
	uint8_t type;
	uint16_t code;
	uint32_t error_data;
};
int stun_attr_icmp(const struct stun_attr *a, struct stun_icmp *out);
/* RFC 5780 §7.2: CHANGE-REQUEST's flags (STUN_CHANGE_IP | STUN_CHANGE_PORT). */
#define STUN_CHANGE_IP 0x04
#define STUN_CHANGE_PORT 0x02
int stun_attr_change_request(const struct stun_attr *a, uint8_t *flags);
/* RFC 5780 §7.5: RESPONSE-PORT, a port other than 0. */
int stun_attr_response_port(const struct stun_attr *a, uint16_t *port);
/* UNKNOWN-ATTRIBUTES: up to max types copied; returns the count or -1. */
int stun_attr_unknown_list(const struct stun_attr *a, uint16_t *types, int max);

/* Integrity (RFC 8489 §14.5, §14.6) and FINGERPRINT (§14.7). */
int stun_msg_check_integrity(const struct stun_msg *m, const uint8_t *key, size_t key_len);
int stun_msg_check_integrity_sha256(const struct stun_msg *m, const uint8_t *key,
				    size_t key_len);
bool stun_msg_check_fingerprint(const struct stun_msg *m);
uint32_t stun_crc32(const uint8_t *buf, size_t len);
/* crc32(a || b) == stun_crc32_update(stun_crc32(a), b): for scattered messages. */
uint32_t stun_crc32_update(uint32_t crc_so_far, const uint8_t *buf, size_t len);
/*
 * The 8-byte FINGERPRINT attribute of a message whose bytes before it
 * (its length field already counting these 8) have CRC-32 crc.
 */
void stun_fingerprint_attr(uint8_t out[8], uint32_t crc);
/*
 * HMAC with digest "SHA1" or "SHA256" of data under key into out (out_cap
 * bytes); the MAC length, or -1. Each thread keeps one context per digest
 * (fetched once, re-keyed per call), freed when the thread exits.
 */
int stun_hmac(const char *digest, const uint8_t *key, size_t key_len, const uint8_t *data,
	      size_t len, uint8_t *out, size_t out_cap);

/* Constant-time comparison. */
bool stun_ct_equal(const void *a, const void *b, size_t len);

/*
 * Long-term credential key (RFC 8489 §9.2.2): MD5 or SHA-256 of
 * "username:realm:password". Writes 16 (MD5) or 32 (SHA-256) bytes into
 * out and returns that length, or -1 for an unknown algorithm.
 */
int stun_lt_key(uint16_t alg, const char *user, const char *realm, const char *pass,
		uint8_t *out);
/* USERHASH (RFC 8489 §14.4): SHA-256 of "username:realm". */
void stun_userhash(const char *user, const char *realm, uint8_t out[32]);

/* Nonce cookie (RFC 8489 §9.2): "obMatJos2" + base64 of 24 feature bits. */
void stun_nonce_cookie(char out[STUN_NONCE_COOKIE_LEN + 1], uint32_t features);
/* Returns 0 and the features when the nonce starts with a cookie, else -1. */
int stun_nonce_cookie_features(const uint8_t *nonce, size_t len, uint32_t *features);

/* Building. */
struct stun_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	size_t ext; /* body bytes the caller sends from its own buffers */
	bool ext_open; /* stun_put_external() was called: nothing more into buf */
	int err; /* sticky: -1 once anything did not fit or was invalid */
};

void stun_build_start(struct stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
		      enum stun_class cls, const uint8_t tid[STUN_TID_LEN]);
void stun_put(struct stun_builder *b, uint16_t type, const void *val, size_t len);
void stun_put_u32(struct stun_builder *b, uint16_t type, uint32_t v);
void stun_put_str(struct stun_builder *b, uint16_t type, const char *s);
void stun_put_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa);
void stun_put_xor_addr(struct stun_builder *b, uint16_t type, const struct sockaddr *sa);
/* reason NULL: the default phrase for the code. */
void stun_put_error(struct stun_builder *b, int code, const char *reason);
void stun_put_unknown(struct stun_builder *b, const uint16_t *types, int n);
void stun_put_channel(struct stun_builder *b, uint16_t channel);
void stun_put_transport(struct stun_builder *b, uint8_t proto);
void stun_put_family(struct stun_builder *b, uint16_t type, uint8_t family);
void stun_put_even_port(struct stun_builder *b, bool reserve_next);
void stun_put_token(struct stun_builder *b, uint64_t token);
/* Fails (sticky) when the type or code does not fit its field. */
void stun_put_icmp(struct stun_builder *b, const struct stun_icmp *icmp);
void stun_put_pw_alg(struct stun_builder *b, uint16_t alg);
/* RFC 5780: CHANGE-REQUEST with flags, RESPONSE-PORT, PADDING of len zero bytes. */
void stun_put_change_request(struct stun_builder *b, uint8_t flags);
void stun_put_response_port(struct stun_builder *b, uint16_t port);
void stun_put_padding(struct stun_builder *b, size_t len);
void stun_put_pw_algs(struct stun_builder *b, const uint16_t *algs, int n);
void stun_put_integrity(struct stun_builder *b, const uint8_t *key, size_t key_len);
void stun_put_integrity_sha256(struct stun_builder *b, const uint8_t *key, size_t key_len);
void stun_put_fingerprint(struct stun_builder *b);
/*
 * Scatter-gather: an attribute whose value (len bytes, then its padding)
 * the caller sends from its own buffer right after the built bytes. Only
 * its header is written; the length field counts value and padding. After
 * it, nothing more goes into the buffer: stun_count_external() counts n
 * further bytes the caller appends (a FINGERPRINT it computes itself).
 * Both fail (sticky) when the body would pass STUN_MAX_BODY_LEN.
 */
void stun_put_external(struct stun_builder *b, uint16_t type, size_t len);
void stun_count_external(struct stun_builder *b, size_t n);
/* Returns the length of the built bytes, or 0 when any step failed. */
size_t stun_build_end(struct stun_builder *b);

/*
 * ChannelData (RFC 8656 §12.4). On a datagram, the length field must not
 * run past the datagram; on a stream, frames are padded to 4 bytes.
 * Returns 0 and fills channel/data/data_len, or -1 when malformed.
 */
int turn_channeldata_parse(const uint8_t *buf, size_t len, uint16_t *channel,
			   const uint8_t **data, uint16_t *data_len);
static inline void turn_channeldata_header(uint8_t hdr[4], uint16_t channel, uint16_t len)
{
	hdr[0] = (uint8_t)(channel >> 8);
	hdr[1] = (uint8_t)channel;
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

/*
 * Stream framing (STUN and ChannelData over TCP/TLS, RFC 8656 §12.5):
 * returns the byte length of the frame that starts at buf (ChannelData
 * padded to 4), read from its header alone, so it may exceed avail: the
 * caller waits for that many bytes. 0 when fewer than 4 bytes are there
 * to tell, -1 when the bytes are neither STUN nor ChannelData (a first
 * byte of 0x80 or more says so at once).
 */
long stun_stream_frame_len(const uint8_t *buf, size_t avail);

#endif
