#!/usr/bin/python3
"""anchor_sdes_rtpengine.py suites|flood ANCHOR_NG RTPENGINE_NG: SDES (RFC 4568) between
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
the suites mode does it once per suite (AES_CM_128_HMAC_SHA1_80 and _32, AEAD_AES_128_GCM,
AEAD_AES_256_GCM). Checked per call: each party's SDP is RTP/AVP without
a=crypto, the SRTP leg's SDPs carry the suite; 50 RTP packets each way
reach the other party intact (sequence numbers and payload); on the wire
between the daemons (an AF_PACKET socket on lo: run as root, in a namespace
of the test's own) every packet is SRTP: the suite's tag length longer and
no plaintext payload in it; the anchor's query says bridged, keying SDES,
the suite, packets unprotected and protected and no authentication failure.
The flood mode: one such call (rtpengine offering AES_CM_128_HMAC_SHA1_80)
sprayed with random datagrams while media flows, then with forged SRTP
from rtpengine's own address (see flood()).
Prints one "PASS: name" or "FAIL: name" line per check.
"""
import os
import random
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

MODE = sys.argv[1]
anchor = nglib.Client(int(sys.argv[2]))
rtpe = nglib.Client(int(sys.argv[3]))
FLOOD = 20000
SPOOF = 5000
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


def signal(name, direction, suite, cid, pa, pb):
    """(o1, o2, a1, a2) of a call from A (socket pa) to B (pb) through both
    daemons in direction, keyed with suite; None after a FAIL line. o1 and
    a1 are the SRTP leg's SDPs, o2 (to B) and a2 (to A) the parties'; checks NAME_signalled."""
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
        delete(cid)
        return None
    return o1, o2, a1, a2


def delete(cid):
    for c in (anchor, rtpe):
        c.request({"command": "delete", "call-id": cid})


def exchange(pa, pb, o2, a2, first_seq, n=N, gap=0.004):
    """n packets each way (A to where its SDP a2 says, B to o2): (sent by
    A, sent by B, got by A, got by B)."""
    to_b, to_a = (conn(a2), m_port(a2)), (conn(o2), m_port(o2))
    sent_a = [rtp(first_seq + i, 0x0A0A0A0A, 1 + first_seq) for i in range(n)]
    sent_b = [rtp(first_seq + 1000 + i, 0x0B0B0B0B, 2 + first_seq) for i in range(n)]
    for i in range(n):
        pa.sendto(sent_a[i], to_b)
        pb.sendto(sent_b[i], to_a)
        time.sleep(gap)
    return sent_a, sent_b, drain(pa, 0.3), drain(pb, 0.5)


def intact(got, sent):
    """got holds sent's payloads, in order, as plain 172-byte RTP."""
    return [p[12:] for p in got if len(p) == 172 and p[0] == 0x80] == [p[12:] for p in sent]


def bridged_crypto(cid):
    q = anchor.request({"command": "query", "call-id": cid})
    return next(((st["crypto"], st) for st in nglib.streams(q)
                 if (st.get("crypto") or {}).get("mode") == "bridged"), (None, None))


def one_call(direction, suite):
    cid = "sdes-%s-%s-%d@test" % (direction, suite, os.getpid())
    name = "sdes_%s_%s" % (direction.replace("-", "_"), suite)
    pa, pb = sock(0, A_IP), sock(0, B_IP)
    sdps = signal(name, direction, suite, cid, pa, pb)
    if not sdps:
        return
    o1, o2, a1, a2 = sdps
    leg_crypto = [attrs(x, "crypto") for x in (o1, a1)]
    check(name + "_parties_get_plain_rtp_avp", proto(o2) == "RTP/AVP" and proto(a2) == "RTP/AVP" and
          not attrs(o2, "crypto") and not attrs(a2, "crypto") and not attrs(o2, "fingerprint"),
          "to B: %s, to A: %s" % (o2, a2))
    check(name + "_srtp_leg_keyed_with_suite", proto(o1) == "RTP/SAVP" and proto(a1) == "RTP/SAVP" and
          len(leg_crypto[1]) == 1 and (" %s inline:" % suite) in leg_crypto[1][0] and
          any((" %s inline:" % suite) in c for c in leg_crypto[0]), leg_crypto)
    # the SRTP leg: the first daemon's port toward the second, and back
    wire = Wire(m_port(o1), m_port(a1))
    wire.start()
    sent_a, sent_b, got_a, got_b = exchange(pa, pb, o2, a2, 1000)
    wire.stop = True
    wire.join()
    check(name + "_a_to_b_intact", intact(got_b, sent_a),
          "B got %d of %d, lengths %s" % (len(got_b), N, sorted({len(p) for p in got_b})))
    check(name + "_b_to_a_intact", intact(got_a, sent_b),
          "A got %d of %d, lengths %s" % (len(got_a), N, sorted({len(p) for p in got_a})))
    want_len = 172 + SUITES[suite]
    plain = [p[12:] for p in sent_a + sent_b]
    leaked = sum(1 for w in wire.payloads if any(x in w for x in plain))
    check(name + "_leg_between_daemons_is_srtp", len(wire.payloads) >= 2 * N and leaked == 0 and
          all(len(w) == want_len for w in wire.payloads),
          "%d packets, lengths %s (want %d), %d with plaintext" % (
              len(wire.payloads), sorted({len(w) for w in wire.payloads}), want_len, leaked))
    cr, _ = bridged_crypto(cid)
    check(name + "_anchor_query_bridged_sdes", cr is not None and cr.get("keying") == "SDES" and
          cr.get("suite") == suite and cr.get("unprotected", 0) >= N and
          cr.get("protected", 0) >= N and cr.get("auth failures") == 0, cr)
    delete(cid)
    pa.close()
    pb.close()


DROPS = ("srtpauthfailures", "srtpreplays", "srtpdropped", "srtpbeforekeys",
         "droppedunauthenticated", "droppednodestination", "droppedmalformed", "droppedpolicy")


def flood():
    """FLOOD random datagrams (random length and bytes; an RTP-looking half
    of them: version 2, the call's payload type) from 127.0.0.9 at both of
    the anchor's ports of a bridged call (its SRTP side toward rtpengine and
    its plain side toward B) while media flows: media keeps crossing (at
    least 90%: the flood fills the same receive buffers) and afterwards
    every packet arrives intact, the anchor sends nothing to the flooder,
    its endpoints stay, and its drop counters grow by what it received."""
    cid = "sdes-flood-%d@test" % os.getpid()
    pa, pb = sock(0, A_IP), sock(0, B_IP)
    sdps = signal("flood", "rtpengine-offers", "AES_CM_128_HMAC_SHA1_80", cid, pa, pb)
    if not sdps:
        return
    o1, o2, a1, a2 = sdps
    sent_a, sent_b, got_a, got_b = exchange(pa, pb, o2, a2, 100)
    check("flood_call_flows_before", intact(got_b, sent_a) and intact(got_a, sent_b))
    _, st0 = bridged_crypto(cid)
    ep0 = st0 and st0.get("endpoint")
    before = anchor.statistics().get("totalstatistics", {})
    targets = [("127.0.0.1", m_port(a1)), ("127.0.0.1", m_port(o2))]  # SRTP side, plain side
    bad = sock(0, "127.0.0.9")
    done = []

    def spray():
        rnd = random.Random(13)
        end = time.time() + 5
        for i in range(FLOOD):
            if time.time() > end:
                break
            n = rnd.randint(1, 1400)
            b = bytearray(rnd.getrandbits(8) for _ in range(min(n, 64))) + bytes(max(0, n - 64))
            if i % 2 and n >= 12:
                b[0], b[1] = 0x80, 0
            bad.sendto(bytes(b), targets[i % 2])
            if i % 50 == 0:
                time.sleep(0.001)
        done.append(i + 1)

    t = threading.Thread(target=spray)
    t.start()
    sent_a, sent_b, got_a, got_b = exchange(pa, pb, o2, a2, 300, n=100, gap=0.01)
    t.join()
    # the flood shares the sockets' receive buffers with the media: a
    # datagram of either may be lost when a buffer is full (a slow, e.g.
    # sanitized, server); what must hold is that media keeps crossing
    lost = (len(sent_a) - len(got_b), len(sent_b) - len(got_a))
    check("flood_call_keeps_flowing_during_flood", max(lost) <= len(sent_a) // 10 and
          all(len(p) == 172 and p[0] == 0x80 for p in got_a + got_b),
          "lost %s of %d each way" % (lost, len(sent_a)))
    sent_a, sent_b, got_a, got_b = exchange(pa, pb, o2, a2, 700)
    check("flood_call_intact_after_flood", intact(got_b, sent_a) and intact(got_a, sent_b),
          "B got %d, A got %d of %d" % (len(got_b), len(got_a), N))
    back = drain(bad, 0.3)
    check("flood_flooder_gets_nothing", not back, "%d datagrams" % len(back))
    cr, st1 = bridged_crypto(cid)
    check("flood_endpoint_not_moved", ep0 and st1 and st1.get("endpoint") == ep0,
          "%s -> %s" % (ep0, st1 and st1.get("endpoint")))
    after = anchor.statistics().get("totalstatistics", {})
    grew = {k: after.get(k, 0) - before.get(k, 0) for k in DROPS}
    sent = done[0] if done else 0
    print("  flood: sent %d, counters grew %s" % (sent, grew))
    check("flood_counted_as_dropped", sent >= FLOOD // 2 and sum(grew.values()) >= sent * 9 // 10,
          "sent %d, grew %s" % (sent, grew))
    check("flood_no_auth_failure_counted_for_the_call", cr and cr.get("auth failures") == 0 and
          cr.get("replays") == 0, cr)

    # forged SRTP from rtpengine's own address and port (a raw socket): the
    # call's SSRC, random sequence numbers, payload and tag; each fails
    # authentication, is counted and dropped, and the call goes on
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    src, dst = m_port(o1), m_port(a1)
    rnd = random.Random(14)
    for i in range(SPOOF):
        body = struct.pack("!BBHII", 0x80, 0, rnd.getrandbits(16), rnd.getrandbits(32),
                           0x0A0A0A0A) + bytes(rnd.getrandbits(8) for _ in range(170))
        udp = struct.pack("!HHHH", src, dst, 8 + len(body), 0) + body
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), i & 0xFFFF, 0, 64, 17, 0,
                         socket.inet_aton("127.0.0.1"), socket.inet_aton("127.0.0.1"))
        raw.sendto(ip + udp, ("127.0.0.1", 0))
        if i % 50 == 0:
            time.sleep(0.001)
    raw.close()
    got_forged = drain(pb, 0.3)
    sent_a, sent_b, got_a, got_b = exchange(pa, pb, o2, a2, 800)
    check("forged_srtp_never_reaches_b", not got_forged, "%d datagrams" % len(got_forged))
    check("forged_srtp_call_intact_after", intact(got_b, sent_a) and intact(got_a, sent_b),
          "B got %d, A got %d of %d" % (len(got_b), len(got_a), N))
    cr2, _ = bridged_crypto(cid)
    print("  forged: sent %d, call crypto %s" % (SPOOF, cr2))
    # (libsrtp checks the replay window first: a forged index far behind
    # counts as a replay)
    check("forged_srtp_counted_as_auth_failures_or_replays", cr2 and
          cr2.get("auth failures", 0) + cr2.get("replays", 0) >= SPOOF * 9 // 10 and
          cr2.get("unprotected", 0) == cr.get("unprotected", 0) + N, cr2)
    delete(cid)
    for s in (pa, pb, bad):
        s.close()


def main():
    check("rtpengine_answers_ping", rtpe.ping(1.0))
    if MODE == "flood":
        flood()
        check_exit()
    for direction in ("rtpengine-offers", "anchor-offers"):
        for suite in SUITES:
            one_call(direction, suite)
    st = anchor.statistics().get("totalstatistics", {})
    check("anchor_statistics_no_srtp_auth_failure", st.get("srtpauthfailures") == 0 and
          st.get("srtpreplays") == 0, st)
    check_exit()


main()
