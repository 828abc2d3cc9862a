/*
 * msg.c - STUN message parsing, type mapping and names (RFC 8489 §5, §6, §14).
 */
#include <string.h>

#include "stun/stun.h"
#include "stun/wire.h"

uint16_t stun_type(uint16_t method, enum stun_class cls)
{
	return (uint16_t)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2) |
			  ((cls & 1) << 4) | ((cls & 2) << 7));
}

uint16_t stun_type_method(uint16_t type)
{
	return (uint16_t)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
}

enum stun_class stun_type_class(uint16_t type)
{
	return (enum stun_class)(((type >> 4) & 1) | ((type >> 7) & 2));
}

const char *stun_method_name(uint16_t method)
{
	switch (method) {
	case STUN_BINDING: return "Binding";
	case TURN_ALLOCATE: return "Allocate";
	case TURN_REFRESH: return "Refresh";
	case TURN_SEND: return "Send";
	case TURN_DATA: return "Data";
	case TURN_CREATE_PERMISSION: return "CreatePermission";
	case TURN_CHANNEL_BIND: return "ChannelBind";
	case TURN_CONNECT: return "Connect";
	case TURN_CONNECTION_BIND: return "ConnectionBind";
	case TURN_CONNECTION_ATTEMPT: return "ConnectionAttempt";
	default: return "unknown";
	}
}

const char *stun_parse_strerror(int result)
{
	switch (result) {
	case STUN_PARSE_OK: return "ok";
	case STUN_PARSE_SHORT: return "truncated message";
	case STUN_PARSE_NOT_STUN: return "not a STUN message";
	case STUN_PARSE_BAD_COOKIE: return "wrong magic cookie";
	case STUN_PARSE_BAD_LENGTH: return "length not a multiple of 4";
	case STUN_PARSE_ATTR_OVERFLOW: return "attribute runs past the end";
	case STUN_PARSE_TOO_MANY_ATTRS: return "too many attributes";
	case STUN_PARSE_AFTER_FINGERPRINT: return "attribute after FINGERPRINT";
	case STUN_PARSE_BAD_ATTR: return "integrity or fingerprint attribute of bad length";
	default: return "unknown parse error";
	}
}

const char *stun_err_reason(int code)
{
	switch (code) {
	case STUN_ERR_TRY_ALTERNATE: return "Try Alternate";
	case STUN_ERR_BAD_REQUEST: return "Bad Request";
	case STUN_ERR_UNAUTHORIZED: return "Unauthorized";
	case STUN_ERR_FORBIDDEN: return "Forbidden";
	case STUN_ERR_MOBILITY_FORBIDDEN: return "Mobility Forbidden";
	case STUN_ERR_UNKNOWN_ATTRIBUTE: return "Unknown Attribute";
	case TURN_ERR_ALLOCATION_MISMATCH: return "Allocation Mismatch";
	case STUN_ERR_STALE_NONCE: return "Stale Nonce";
	case TURN_ERR_ADDRESS_FAMILY_NOT_SUPPORTED: return "Address Family not Supported";
	case TURN_ERR_WRONG_CREDENTIALS: return "Wrong Credentials";
	case TURN_ERR_UNSUPPORTED_TRANSPORT_PROTOCOL: return "Unsupported Transport Protocol";
	case TURN_ERR_PEER_ADDRESS_FAMILY_MISMATCH: return "Peer Address Family Mismatch";
	case TURN_ERR_CONNECTION_ALREADY_EXISTS: return "Connection Already Exists";
	case TURN_ERR_CONNECTION_TIMEOUT_OR_FAILURE: return "Connection Timeout or Failure";
	case TURN_ERR_ALLOCATION_QUOTA: return "Allocation Quota Reached";
	case STUN_ERR_ROLE_CONFLICT: return "Role Conflict";
	case STUN_ERR_SERVER_ERROR: return "Server Error";
	case TURN_ERR_INSUFFICIENT_CAPACITY: return "Insufficient Capacity";
	default: return "Error";
	}
}

bool stun_attr_known(uint16_t type)
{
	switch (type) {
	case STUN_ATTR_MAPPED_ADDRESS:
	case STUN_ATTR_CHANGE_REQUEST:
	case STUN_ATTR_USERNAME:
	case STUN_ATTR_MESSAGE_INTEGRITY:
	case STUN_ATTR_ERROR_CODE:
	case STUN_ATTR_UNKNOWN_ATTRIBUTES:
	case STUN_ATTR_CHANNEL_NUMBER:
	case STUN_ATTR_LIFETIME:
	case STUN_ATTR_XOR_PEER_ADDRESS:
	case STUN_ATTR_DATA:
	case STUN_ATTR_REALM:
	case STUN_ATTR_NONCE:
	case STUN_ATTR_XOR_RELAYED_ADDRESS:
	case STUN_ATTR_REQUESTED_ADDRESS_FAMILY:
	case STUN_ATTR_EVEN_PORT:
	case STUN_ATTR_REQUESTED_TRANSPORT:
	case STUN_ATTR_DONT_FRAGMENT:
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
	case STUN_ATTR_PASSWORD_ALGORITHM:
	case STUN_ATTR_USERHASH:
	case STUN_ATTR_XOR_MAPPED_ADDRESS:
	case STUN_ATTR_RESERVATION_TOKEN:
	case STUN_ATTR_PRIORITY:
	case STUN_ATTR_USE_CANDIDATE:
	case STUN_ATTR_PADDING:
	case STUN_ATTR_RESPONSE_PORT:
	case STUN_ATTR_CONNECTION_ID:
	case STUN_ATTR_ADDITIONAL_ADDRESS_FAMILY:
	case STUN_ATTR_ADDRESS_ERROR_CODE:
	case STUN_ATTR_PASSWORD_ALGORITHMS:
	case STUN_ATTR_ALTERNATE_DOMAIN:
	case STUN_ATTR_ICMP:
	case STUN_ATTR_SOFTWARE:
	case STUN_ATTR_ALTERNATE_SERVER:
	case STUN_ATTR_CACHE_TIMEOUT:
	case STUN_ATTR_FINGERPRINT:
	case STUN_ATTR_ICE_CONTROLLED:
	case STUN_ATTR_ICE_CONTROLLING:
	case STUN_ATTR_RESPONSE_ORIGIN:
	case STUN_ATTR_OTHER_ADDRESS:
	case STUN_ATTR_MOBILITY_TICKET:
		return true;
	default:
		return false;
	}
}

bool stun_looks_like_stun(const uint8_t *buf, size_t len)
{
	return len >= STUN_HEADER_LEN && (buf[0] & 0xC0) == 0 &&
	       wire_get32(buf + 4) == STUN_MAGIC_COOKIE && (wire_get16(buf + 2) & 3) == 0;
}

static int check_special_len(uint16_t type, uint16_t len)
{
	switch (type) {
	case STUN_ATTR_MESSAGE_INTEGRITY:
		return len == 20 ? 0 : -1;
	case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
		/* RFC 8489 §14.6: 16 to 32 bytes, a multiple of 4 */
		return len >= 16 && len <= 32 && len % 4 == 0 ? 0 : -1;
	case STUN_ATTR_FINGERPRINT:
		return len == 4 ? 0 : -1;
	default:
		return 0;
	}
}

int stun_msg_parse(struct stun_msg *m, const uint8_t *buf, size_t len)
{
	size_t body_len, off;
	bool after_mi = false, after_mi256 = false;

	if (len < STUN_HEADER_LEN)
		return STUN_PARSE_SHORT;
	if (buf[0] & 0xC0)
		return STUN_PARSE_NOT_STUN;
	if (wire_get32(buf + 4) != STUN_MAGIC_COOKIE)
		return STUN_PARSE_BAD_COOKIE;
	body_len = wire_get16(buf + 2);
	if (body_len % 4)
		return STUN_PARSE_BAD_LENGTH;
	if (STUN_HEADER_LEN + body_len > len)
		return STUN_PARSE_SHORT;

	memset(m, 0, offsetof(struct stun_msg, attrs));
	m->buf = buf;
	m->len = STUN_HEADER_LEN + body_len;
	m->type = wire_get16(buf);
	m->method = stun_type_method(m->type);
	m->cls = stun_type_class(m->type);
	m->tid = buf + 8;
	m->mi_idx = m->mi256_idx = m->fp_idx = -1;
	m->nunknown = 0;

	for (off = STUN_HEADER_LEN; off < m->len;) {
		uint16_t type, alen;
		struct stun_attr *a;

		if (m->len - off < STUN_ATTR_HDR_LEN)
			return STUN_PARSE_ATTR_OVERFLOW;
		type = wire_get16(buf + off);
		alen = wire_get16(buf + off + 2);
		if (m->len - off - STUN_ATTR_HDR_LEN < wire_pad4(alen))
			return STUN_PARSE_ATTR_OVERFLOW;
		if (m->fp_idx >= 0)
			return STUN_PARSE_AFTER_FINGERPRINT;
		if (check_special_len(type, alen))
			return STUN_PARSE_BAD_ATTR;

		/* RFC 8489 §14.5, §14.6: after integrity only these count */
		if (after_mi256 && type != STUN_ATTR_FINGERPRINT)
			goto next;
		if (after_mi && type != STUN_ATTR_FINGERPRINT &&
		    type != STUN_ATTR_MESSAGE_INTEGRITY_SHA256)
			goto next;

		if (m->nattrs == STUN_MAX_ATTRS)
			return STUN_PARSE_TOO_MANY_ATTRS;
		a = &m->attrs[m->nattrs];
		a->type = type;
		a->len = alen;
		a->off = (uint32_t)off;
		a->val = buf + off + STUN_ATTR_HDR_LEN;

		switch (type) {
		case STUN_ATTR_MESSAGE_INTEGRITY:
			if (m->mi_idx < 0)
				m->mi_idx = m->nattrs;
			after_mi = true;
			break;
		case STUN_ATTR_MESSAGE_INTEGRITY_SHA256:
			if (m->mi256_idx < 0)
				m->mi256_idx = m->nattrs;
			after_mi256 = true;
			break;
		case STUN_ATTR_FINGERPRINT:
			m->fp_idx = m->nattrs;
			break;
		default:
			if (type < 0x8000 && !stun_attr_known(type) &&
			    m->nunknown < STUN_MAX_UNKNOWN)
				m->unknown[m->nunknown++] = type;
			break;
		}
		m->nattrs++;
next:
		off += STUN_ATTR_HDR_LEN + wire_pad4(alen);
	}
	return STUN_PARSE_OK;
}

const struct stun_attr *stun_msg_find(const struct stun_msg *m, uint16_t type)
{
	for (int i = 0; i < m->nattrs; i++)
		if (m->attrs[i].type == type)
			return &m->attrs[i];
	return NULL;
}
