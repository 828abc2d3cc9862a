"""STUN and TURN on the wire (RFC 8489, RFC 8656): messages, attributes,
MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5), FINGERPRINT (§14.7), XOR
addresses (§14.2), ChannelData and stream framing (RFC 8656 §12.4-12.5)."""
import hashlib
import hmac
import os
import socket
import struct
import zlib

MAGIC = 0x2112A442
# methods, classes
BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERM, CHANNEL_BIND = 1, 3, 4, 6, 7, 8, 9
REQUEST, INDICATION, SUCCESS, ERROR = 0, 1, 2, 3
BINDING_REQUEST, BINDING_SUCCESS, BINDING_ERROR = 0x0001, 0x0101, 0x0111
# attributes
A_USERNAME, A_MI, A_ERROR, A_UNKNOWN, A_CHANNEL, A_LIFETIME = 0x06, 0x08, 0x09, 0x0A, 0x0C, 0x0D
A_PEER, A_DATA, A_REALM, A_NONCE, A_RELAYED = 0x12, 0x13, 0x14, 0x15, 0x16
A_FAMILY, A_EVEN_PORT, A_TRANSPORT, A_DONT_FRAG = 0x17, 0x18, 0x19, 0x1A
A_MI256, A_PW_ALG, A_USERHASH, A_XOR_MAPPED, A_TOKEN = 0x1C, 0x1D, 0x1E, 0x20, 0x22
A_PRIORITY, A_USE_CAND, A_PADDING, A_RESP_PORT, A_CONN_ID = 0x24, 0x25, 0x26, 0x27, 0x2A
A_ADD_FAMILY, A_PW_ALGS, A_SOFTWARE, A_FINGERPRINT = 0x8000, 0x8002, 0x8022, 0x8028
A_ICE_CONTROLLED, A_ICE_CONTROLLING = 0x8029, 0x802A
FINGERPRINT_XOR = 0x5354554E


def mtype(method, cls):
    """The message type of method and class (RFC 8489 §5)."""
    return (((method & 0xF80) << 2) | ((method & 0x70) << 1) | (method & 0xF)
            | ((cls & 2) << 7) | ((cls & 1) << 4))


def attr(t, v, pad=True):
    return struct.pack("!HH", t, len(v)) + v + (b"\0" * (-len(v) % 4) if pad else b"")


def header(typ, body_len, tid, cookie=MAGIC):
    return struct.pack("!HHI", typ, body_len, cookie) + tid


def encode(typ, body, tid=None, key=None, fingerprint=True):
    """A message of type typ with the encoded attributes body, then
    MESSAGE-INTEGRITY with key (when not None), then FINGERPRINT."""
    tid = tid or os.urandom(12)
    if key is not None:
        mac = hmac.new(key, header(typ, len(body) + 24, tid) + body, hashlib.sha1).digest()
        body += attr(A_MI, mac)
    if fingerprint:
        crc = zlib.crc32(header(typ, len(body) + 8, tid) + body) ^ FINGERPRINT_XOR
        body += attr(A_FINGERPRINT, struct.pack("!I", crc & 0xFFFFFFFF))
    return header(typ, len(body), tid) + body


def msg(typ, attrs, key=None, fingerprint=True, tid=None):
    """(message, tid) of type typ with attrs, a list of (type, value)."""
    tid = tid or os.urandom(12)
    return encode(typ, b"".join(attr(t, v) for t, v in attrs), tid, key, fingerprint), tid


def parse(b, strict=False):
    """(type, tid, [(attribute type, value, offset)]). strict: None unless b is
    one whole STUN message (top bits 0, magic cookie, exact length)."""
    if strict and (len(b) < 20 or b[0] >= 4):
        return None
    typ, length, magic = struct.unpack("!HHI", b[:8])
    if strict and (magic != MAGIC or length + 20 != len(b)):
        return None
    attrs, i = [], 20
    end = min(20 + length, len(b))
    while i + 4 <= end:
        t, n = struct.unpack("!HH", b[i:i + 4])
        attrs.append((t, b[i + 4:i + 4 + n], i))
        i += 4 + n + (-n % 4)
    return typ, b[8:20], attrs


def parse_first(buf):
    """(method, class, tid, {type: first value}) or None when buf is no STUN
    message; at most 256 attributes are read."""
    if len(buf) < 20 or buf[0] & 0xC0:
        return None
    t, length, cookie = struct.unpack_from("!HHI", buf)
    if cookie != MAGIC or 20 + length > len(buf):
        return None
    attrs = {}
    off = 20
    for _ in range(256):
        if off + 4 > 20 + length:
            break
        at, al = struct.unpack_from("!HH", buf, off)
        if off + 4 + al > 20 + length:
            break
        attrs.setdefault(at, buf[off + 4:off + 4 + al])
        off += 4 + al + (-al % 4)
    method = (t & 0xF) | ((t >> 1) & 0x70) | ((t >> 2) & 0xF80)
    cls = ((t >> 7) & 2) | ((t >> 4) & 1)
    return method, cls, buf[8:20], attrs


def error_code(attrs):
    """The ERROR-CODE number of parse()'s list or parse_first()'s dict (None
    or 0 without one)."""
    if isinstance(attrs, dict):
        v = attrs.get(A_ERROR)
        return (v[2] & 7) * 100 + v[3] if v and len(v) >= 4 else 0
    for t, v, _ in attrs:
        if t == A_ERROR:
            return (v[2] & 7) * 100 + v[3]
    return None


def has_attr(attrs, t):
    return any(a[0] == t for a in attrs)


def mi_ok(b, key):
    """True when b's MESSAGE-INTEGRITY is right for key."""
    for t, v, off in parse(b)[2]:
        if t == A_MI:
            hdr = b[:2] + struct.pack("!H", off + 24 - 20) + b[4:20]
            return hmac.compare_digest(hmac.new(key, hdr + b[20:off], hashlib.sha1).digest(), v)
    return False


def mi_and_fingerprint_ok(data, attrs, key):
    """Exactly one MESSAGE-INTEGRITY, right for key, and a good FINGERPRINT
    right after it."""
    mi = [a for a in attrs if a[0] == A_MI]
    fp = [a for a in attrs if a[0] == A_FINGERPRINT]
    if len(mi) != 1 or len(fp) != 1 or fp[0][2] != mi[0][2] + 24:
        return False
    if not mi_ok(data, key):
        return False
    crc = (zlib.crc32(data[:fp[0][2]]) ^ FINGERPRINT_XOR) & 0xFFFFFFFF
    return fp[0][1] == struct.pack("!I", crc)


def xor_addr(ip, port):
    """The XOR-(MAPPED|PEER|RELAYED)-ADDRESS value of an IPv4 ip and port."""
    a = socket.inet_aton(ip)
    m = struct.pack("!I", MAGIC)
    return struct.pack("!BBH", 0, 1, port ^ (MAGIC >> 16)) + bytes(x ^ y for x, y in zip(a, m))


def unxor_addr(v):
    """(ip, port) of an IPv4 XOR address value, None for anything else."""
    if not v or len(v) != 8 or v[1] != 1:
        return None
    m = struct.pack("!I", MAGIC)
    ip = socket.inet_ntoa(bytes(x ^ y for x, y in zip(v[4:8], m)))
    return ip, struct.unpack("!H", v[2:4])[0] ^ (MAGIC >> 16)


def binding_request(tid=None):
    """A bare Binding request (no attributes)."""
    return header(BINDING_REQUEST, 0, tid or os.urandom(12))


def answer_check(s, req, src, pwd):
    """Answers the connectivity check req that came from src on socket s
    (RFC 8445 §7.3): a success with XOR-MAPPED-ADDRESS, integrity with pwd."""
    tid = parse(req)[1]
    m, _ = msg(BINDING_SUCCESS, [(A_XOR_MAPPED, xor_addr(*src))], pwd, tid=tid)
    s.sendto(m, src)


def channeldata(number, data, length=None, pad=True):
    length = len(data) if length is None else length
    return struct.pack("!HH", number, length & 0xFFFF) + data + (
        b"\0" * (-len(data) % 4) if pad else b"")


def frame_len(buf):
    """Length of the first stream frame in buf, 0 if incomplete, -1 if garbage."""
    if len(buf) < 4:
        return 0
    if 0x40 <= buf[0] <= 0x7F:
        n = 4 + struct.unpack_from("!H", buf, 2)[0]
        return n + (-n % 4)
    if buf[0] & 0xC0:
        return -1
    return 20 + struct.unpack_from("!H", buf, 2)[0]
