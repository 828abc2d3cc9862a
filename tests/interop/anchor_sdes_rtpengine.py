#!/usr/bin/python3
"""anchor_sdes_rtpengine.py ANCHOR_NG RTPENGINE_NG: SDES (RFC 4568) between
our anchor and Debian's rtpengine-daemon, which makes and checks the SRTP on
its side with its own code. Two plain RTP/AVP parties, A (127.0.0.2) and B
(127.0.0.3), call through both daemons in a row, the SRTP leg between them:
  rtpengine-offers  A -> rtpengine (RTP/AVP -> RTP/SAVP, DTLS=off: it
                    offers its a=crypto suites) -> anchor (RTP/SAVP ->
                    RTP/AVP, SDES-only-SUITE: it answers that suite with its
                    own key) -> B
  anchor-offers     A -> anchor (RTP/AVP -> RTP/SAVP, DTLS=off,
                    SDES-only-SUITE) -> rtpengine (RTP/SAVP -> RTP/AVP: it
                    answers with its key) -> B
once per suite (AES_CM_128_HMAC_SHA1_80 and _32, AEAD_AES_128_GCM,
AEAD_AES_256_GCM). Checked per call: each party's SDP is RTP/AVP without
a=crypto, the SRTP leg's SDPs carry the suite; 50 RTP packets each way
reach the other party intact (sequence numbers and payload); on the wire
between the daemons (an AF_PACKET socket on lo: run as root, in a namespace
of the test's own) every packet is SRTP: the suite's tag length longer and
no plaintext payload in it; the anchor's query says bridged, keying SDES,
the suite, packets unprotected and protected and no authentication failure.
Prints one "PASS: name" or "FAIL: name" line per check.
"""
import os
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.media import sock, drain  # noqa: E402
from pylib.sdp import attrs, m_port  # noqa: E402

anchor = nglib.Client(int(sys.argv[1]))
rtpe = nglib.Client(int(sys.argv[2]))
A_IP, B_IP = "127.0.0.2", "127.0.0.3"
SUITES = {"AES_CM_128_HMAC_SHA1_80": 10, "AES_CM_128_HMAC_SHA1_32": 4,
          "AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 16}
N = 50


def party_sdp(ip, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n" % (ip, ip, port))


def conn(sdp):
    for line in sdp.splitlines():
        if line.startswith("c=IN IP4 "):
            return line.split()[2]
    return None


def proto(sdp):
    for line in sdp.splitlines():
        if line.startswith("m=audio "):
            return line.split()[2]
    return None


def ng(client, who, req, problems):
    """The reply's SDP, or None (its reason into problems)."""
    r = client.request(req) or {"result": "no reply"}
    if r.get("result") != "ok" or "sdp" not in r:
        problems.append("%s %s: %s %s" % (who, req["command"], r.get("result"),
                                          r.get("error-reason", "")))
        return None
    if who == "anchor" and r.get("warning"):
        problems.append("anchor %s warns: %s" % (req["command"], r["warning"]))
    sdp = r["sdp"]
    return sdp.decode() if isinstance(sdp, bytes) else sdp


class Wire(threading.Thread):
    """The UDP payloads between two 127.0.0.1 ports (lo shows each datagram
    once, as received; an outgoing copy, were there one, is skipped)."""

    def __init__(self, p1, p2):
        super().__init__(daemon=True)
        self.ports = {p1, p2}
        self.payloads = []
        self.stop = False
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self.s.bind(("lo", 0x0800))
        self.s.settimeout(0.1)

    def run(self):
        while not self.stop:
            try:
                ip, addr = self.s.recvfrom(65535)
            except socket.timeout:
                continue
            if addr[2] == socket.PACKET_OUTGOING or ip[9] != 17:
                continue
            udp = ip[(ip[0] & 0x0F) * 4:]
            sp, dp = struct.unpack("!HH", udp[:4])
            if {sp, dp} == self.ports:
                self.payloads.append(udp[8:])


def rtp(seq, ssrc, tag):
    payload = bytes((tag + i * 7) & 0xFF for i in range(160))
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, ssrc) + payload


def one_call(direction, suite):
    name = "sdes_%s_%s" % (direction.replace("-", "_"), suite)
    cid = "sdes-%s-%s-%d@test" % (direction, suite, os.getpid())
    pa, pb = sock(0, A_IP), sock(0, B_IP)
    a_sdp = party_sdp(A_IP, pa.getsockname()[1])
    b_sdp = party_sdp(B_IP, pb.getsockname()[1])
    base = {"call-id": cid, "from-tag": "ta", "ICE": "remove",
            "replace": ["origin", "session-connection"]}
    only = ["SDES-only-" + suite]
    problems = []
    if direction == "rtpengine-offers":
        first, second = (rtpe, "rtpengine"), (anchor, "anchor")
        first_flags = {"transport-protocol": "RTP/SAVP", "DTLS": "off"}
        second_flags = {"transport-protocol": "RTP/AVP", "flags": only}
    else:
        first, second = (anchor, "anchor"), (rtpe, "rtpengine")
        first_flags = {"transport-protocol": "RTP/SAVP", "DTLS": "off", "flags": only}
        second_flags = {"transport-protocol": "RTP/AVP"}
    o1 = ng(first[0], first[1], dict(base, command="offer", sdp=a_sdp, **first_flags), problems)
    o2 = o1 and ng(second[0], second[1], dict(base, command="offer", sdp=o1, **second_flags),
                   problems)
    ans = dict(base, command="answer", **{"to-tag": "tb"})
    a1 = o2 and ng(second[0], second[1], dict(ans, sdp=b_sdp, **{"transport-protocol": "RTP/SAVP"}),
                   problems)
    a2 = a1 and ng(first[0], first[1], dict(ans, sdp=a1, **{"transport-protocol": "RTP/AVP"}),
                   problems)
    if not check(name + "_signalled", a2 is not None, "; ".join(problems)):
        for c in (anchor, rtpe):
            c.request({"command": "delete", "call-id": cid})
        return
    # o1 and a1 are the SRTP leg's SDPs, o2 (to B) and a2 (to A) the parties'
    leg_crypto = [attrs(x, "crypto") for x in (o1, a1)]
    check(name + "_parties_get_plain_rtp_avp", proto(o2) == "RTP/AVP" and proto(a2) == "RTP/AVP" and
          not attrs(o2, "crypto") and not attrs(a2, "crypto") and not attrs(o2, "fingerprint"),
          "to B: %s, to A: %s" % (o2, a2))
    check(name + "_srtp_leg_keyed_with_suite", proto(o1) == "RTP/SAVP" and proto(a1) == "RTP/SAVP" and
          len(leg_crypto[1]) == 1 and (" %s inline:" % suite) in leg_crypto[1][0] and
          any((" %s inline:" % suite) in c for c in leg_crypto[0]), leg_crypto)
    # the SRTP leg: the offerer's port toward the second daemon, the answerer's toward the first
    wire = Wire(m_port(o1), m_port(a1))
    wire.start()
    to_b, to_a = (conn(a2), m_port(a2)), (conn(o2), m_port(o2))
    sent_a = [rtp(1000 + i, 0x0A0A0A0A, 1) for i in range(N)]
    sent_b = [rtp(2000 + i, 0x0B0B0B0B, 2) for i in range(N)]
    for i in range(N):
        pa.sendto(sent_a[i], to_b)
        pb.sendto(sent_b[i], to_a)
        time.sleep(0.004)
    got_b, got_a = drain(pb, 0.5), drain(pa, 0.3)
    wire.stop = True
    wire.join()
    # rtpengine may renumber; what must hold is the payload and the order
    body = lambda pkts: [p[12:] for p in pkts if len(p) == 172 and p[0] == 0x80]  # noqa: E731
    check(name + "_a_to_b_intact", body(got_b) == [p[12:] for p in sent_a],
          "B got %d of %d, lengths %s" % (len(got_b), N, sorted({len(p) for p in got_b})))
    check(name + "_b_to_a_intact", body(got_a) == [p[12:] for p in sent_b],
          "A got %d of %d, lengths %s" % (len(got_a), N, sorted({len(p) for p in got_a})))
    want_len = 172 + SUITES[suite]
    plain = [p[12:] for p in sent_a + sent_b]
    leaked = sum(1 for w in wire.payloads if any(x in w for x in plain))
    check(name + "_leg_between_daemons_is_srtp", len(wire.payloads) >= 2 * N and leaked == 0 and
          all(len(w) == want_len for w in wire.payloads),
          "%d packets, lengths %s (want %d), %d with plaintext" % (
              len(wire.payloads), sorted({len(w) for w in wire.payloads}), want_len, leaked))
    q = anchor.request({"command": "query", "call-id": cid}) or {}
    cr = None
    for t in (q.get("tags") or {}).values():
        for m in t.get("medias") or []:
            for st in m.get("streams") or []:
                c = st.get("crypto") or {}
                if c.get("mode") == "bridged":
                    cr = c
    check(name + "_anchor_query_bridged_sdes", cr is not None and cr.get("keying") == "SDES" and
          cr.get("suite") == suite and cr.get("unprotected", 0) >= N and
          cr.get("protected", 0) >= N and cr.get("auth failures") == 0, cr)
    for c in (anchor, rtpe):
        c.request({"command": "delete", "call-id": cid})
    pa.close()
    pb.close()


def main():
    check("rtpengine_answers_ping", rtpe.ping(1.0))
    for direction in ("rtpengine-offers", "anchor-offers"):
        for suite in SUITES:
            one_call(direction, suite)
    st = anchor.statistics().get("totalstatistics", {})
    check("anchor_statistics_no_srtp_auth_failure", st.get("srtpauthfailures") == 0 and
          st.get("srtpreplays") == 0, st)
    check_exit()


main()
