#!/usr/bin/python3
"""selftest.py: checks of tests/pylib itself, so that a test that fails
because of its library says so. The STUN codec against the RFC 5769 vectors
(read from src/client/rfc5769_vectors.h, not copied), bencode both ways and
on broken input, ng datagrams, XOR addresses, stream framing, SDP lookups,
the benchmarks' rounds.
Prints one "PASS: name" or "FAIL: name" line per check; no network."""
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from pylib import bencode, ng, proc, sdp, stun  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402

VECTORS = os.path.join(HERE, "..", "..", "src", "client", "rfc5769_vectors.h")


def vector(name):
    """The bytes of `static const uint8_t NAME[] = {...}` in the vectors header."""
    text = open(VECTORS).read()
    m = re.search(r"static const uint8_t %s\[\] = \{(.*?)\};" % name, text, re.S)
    return bytes(int(x, 16) for x in re.findall(r"0x([0-9a-fA-F]{2})", m.group(1)))


def define(name):
    return re.search(r'#define %s "([^"]*)"' % name, open(VECTORS).read()).group(1)


# --- STUN against RFC 5769
req, pwd = vector("rfc5769_request"), define("RFC5769_PASSWORD").encode()
p = stun.parse(req, strict=True)
check("stun: RFC 5769 §2.1 request parses", p is not None and p[0] == stun.BINDING_REQUEST, p)
check("stun: its MESSAGE-INTEGRITY and FINGERPRINT verify",
      p is not None and stun.mi_and_fingerprint_ok(req, p[2], pwd))
check("stun: a wrong password does not", p is not None and not stun.mi_ok(req, b"wrong"))
flipped = req[:30] + bytes([req[30] ^ 1]) + req[31:]
check("stun: a flipped bit does not", not stun.mi_and_fingerprint_ok(flipped, p[2], pwd))
resp = vector("rfc5769_response_v4")
p = stun.parse(resp, strict=True)
mapped = [v for t, v, _ in p[2] if t == stun.A_XOR_MAPPED] if p else []
check("stun: RFC 5769 §2.2 response's XOR-MAPPED-ADDRESS is 192.0.2.1:32853",
      mapped and stun.unxor_addr(mapped[0]) == ("192.0.2.1", 32853), mapped)
check("stun: ... and its integrity verifies", p is not None and stun.mi_and_fingerprint_ok(resp, p[2], pwd))
check("stun: strict parse refuses a truncated message", stun.parse(req[:-1], strict=True) is None)
m, tid = stun.msg(stun.mtype(stun.ALLOCATE, stun.REQUEST), [(stun.A_LIFETIME, b"\0\0\2\x58")],
                  b"key", tid=b"T" * 12)
f = stun.parse_first(m)
check("stun: a message built here parses back (method, class, tid, attributes, integrity)",
      f is not None and f[:3] == (stun.ALLOCATE, stun.REQUEST, b"T" * 12) and
      sorted(f[3]) == [stun.A_MI, stun.A_LIFETIME, stun.A_FINGERPRINT] and
      f[3][stun.A_LIFETIME] == b"\0\0\2\x58" and stun.mi_ok(m, b"key") and
      stun.mi_and_fingerprint_ok(m, stun.parse(m)[2], b"key"), f)
check("stun: ERROR-CODE read from both attribute forms",
      stun.error_code([(stun.A_ERROR, b"\0\0\4\1", 20)]) == 401 and
      stun.error_code({stun.A_ERROR: b"\0\0\4\x26"}) == 438)
check("stun: XOR address round trip",
      stun.unxor_addr(stun.xor_addr("198.51.100.7", 40000)) == ("198.51.100.7", 40000))
cd = stun.channeldata(0x4001, b"abcde")
check("stun: stream frame lengths (ChannelData padded, STUN, incomplete, garbage)",
      stun.frame_len(cd) == 12 and stun.frame_len(m) == len(m) and stun.frame_len(b"\0\1") == 0
      and stun.frame_len(b"\xff" * 8) == -1, (stun.frame_len(cd), len(cd)))

# --- bencode and ng datagrams
doc = {"command": "offer", "flags": ["a", "b"], "n": -3, "raw": b"\xff\x00"}
enc = bencode.encode(doc)
check("bencode: encodes in dict order",
      enc == b"d7:command5:offer5:flagsl1:a1:be1:ni-3e3:raw2:\xff\x00e", enc)
check("bencode: decodes back (non-UTF-8 strings stay bytes)", bencode.decode_all(enc) == doc)
broken = [b"d3:abc", b"5:ab", b"l1:a", b"i12", b"d1:ai1ee trailing"]
bad = []
for b in broken:
    try:
        bencode.decode_all(b)
        bad.append(b)
    except (ValueError, IndexError):
        pass
check("bencode: truncated or trailing input raises", not bad, bad)
check("ng: parse of a bencoded and a JSON datagram",
      ng.parse(b"ck1 d6:result4:ponge") == ("ck1", {"result": "pong"}) and
      ng.parse(b'ck2 {"result": "ok"}') == ("ck2", {"result": "ok"}))
check("ng: an undecodable body is named, not raised",
      "undecodable" in ng.parse(b"ck3 d6:result")[1])
q = {"tags": {"a": {"medias": [{"streams": [{"n": 1}, {"n": 2}]}, {}]}, "b": {},
             "c": {"medias": [{"streams": [{"n": 3}]}]}}}
check("ng: the streams of a query reply, every tag's in order; none of no reply",
      [st["n"] for st in ng.streams(q)] == [1, 2, 3] and list(ng.streams(None)) == [])

# --- SDP
text = "v=0\r\nm=audio 4000 RTP/AVP 0\r\na=ice-ufrag:u1\r\nm=video 4002 RTP/AVP 96\r\na=ice-ufrag:u2\r\n"
check("sdp: m= ports and a= values in order",
      sdp.m_ports(text) == [4000, 4002] and sdp.m_port(text) == 4000 and
      sdp.attrs(text, "ice-ufrag") == ["u1", "u2"] and sdp.attr(text, "ice-ufrag") == "u1" and
      sdp.attr(text, "ice-pwd") is None)

# --- the benchmarks' rounds (proc.rounds)
seen, tmp = [], tempfile.mkdtemp(prefix="selftest.")
st = proc.rounds("selftest", tmp, 3, ["a", "b"], lambda r, order: seen.append((r, order)),
                 start=lambda: seen.append("start"))
check("proc: rounds starts first, rotates the order each round, removes tmp, returns 0",
      st == 0 and seen == ["start", (0, ["a", "b"]), (1, ["b", "a"]), (2, ["a", "b"])] and
      not os.path.exists(tmp), (st, seen))


def failing(r, order):
    seen.append(r)
    if r == 1:
        raise RuntimeError("round 2 failed on purpose")


seen, tmp = [], tempfile.mkdtemp(prefix="selftest.")
st = proc.rounds("selftest", tmp, 3, ["a"], failing)
check("proc: a RuntimeError ends the rounds with 1, tmp removed",
      st == 1 and seen == [0, 1] and not os.path.exists(tmp), (st, seen))

check_exit()
