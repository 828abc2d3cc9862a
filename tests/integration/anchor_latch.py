#!/usr/bin/python3
"""anchor_latch.py MODE NG_PORT MIN MAX: hijack attempts on anchored calls.

Plays a SIP proxy, two parties and an attacker against a running
turnserver's anchor (ng on 127.0.0.1:NG_PORT, media ports MIN..MAX) and
prints one "PASS: name" or "FAIL: name" line per check. The calling script
gives loopback the addresses used here: caller 198.51.100.10 (and
198.51.100.11 once it moves), callee 198.51.100.20, attacker 198.51.100.66,
an internal host 10.9.9.9. MODE:
  strict    the server runs without allow-loopback-peers: the "RTP Bleed"
            spray, the single-port race, force-relay STUN, ICE=force with
            an answer without ICE, and RTCP aimed at loopback or an
            internal host
  loopback  the server runs with allow-loopback-peers (anchor-ng-allow's
            loopback covers the relay address): media aimed at the ng port
            runs no command
The ng client, STUN and media helpers are tests/pylib's.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.media import recv, recv_media, drain  # noqa: E402
from pylib.sdp import attrs as sdp_attr, m_port  # noqa: E402
from pylib.stun import msg as stun_msg, parse as stun_parse, answer_check as stun_answer  # noqa: E402

MODE, NG, PMIN, PMAX = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
client = nglib.Client(NG)
ng, stats = client.request, client.statistics

CALLER, CALLEE, ATTACKER, INTERNAL = "198.51.100.10", "198.51.100.20", "198.51.100.66", "10.9.9.9"
MOVED = "198.51.100.11"
ANCHOR = "127.0.0.1"


def usock(ip, port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    return s


def rtp(ssrc, seq):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160 & 0xFFFFFFFF, ssrc) + b"\xd5" * 160


def rtcp(ssrc):
    return struct.pack("!BBHI", 0x80, 200, 6, ssrc) + b"\0" * 20


def sdp(ip, port, extra=""):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n%sa=sendrecv\r\n") % (ip, ip, port, extra)


def call(cid, a_sdp, b_sdp, ice="remove"):
    """Offer from a, answer from b: (port a sends to, port b sends to, offer reply, answer reply)."""
    r1 = ng({"command": "offer", "call-id": cid, "from-tag": "a", "sdp": a_sdp, "ICE": ice}) or {}
    r2 = ng({"command": "answer", "call-id": cid, "from-tag": "a", "to-tag": "b", "sdp": b_sdp,
             "ICE": ice}) or {}
    if "sdp" not in r1 or "sdp" not in r2:
        return 0, 0, r1, r2
    return m_port(r2["sdp"]), m_port(r1["sdp"]), r1, r2


def spray(att, data):
    for p in range(PMIN, PMAX + 1):
        att.sendto(data, (ANCHOR, p))


def talk(a, aport, b, bport, n=10):
    """a and b send n RTP packets each, interleaved: (what b got from a, what a got from b)."""
    for i in range(n):
        a.sendto(rtp(0xA1A1A1A1, 100 + i), (ANCHOR, aport))
        b.sendto(rtp(0xB2B2B2B2, 900 + i), (ANCHOR, bport))
        time.sleep(0.01)
    got_b = [d for d in drain(b) if d[8:12] == b"\xa1\xa1\xa1\xa1"]
    got_a = [d for d in drain(a) if d[8:12] == b"\xb2\xb2\xb2\xb2"]
    return got_b, got_a


def check_call(name, a, aport, b, bport, att, min_got=1):
    got_b, got_a = talk(a, aport, b, bport)
    check(name + ": the caller's media reaches the callee", len(got_b) >= min_got, len(got_b))
    check(name + ": the callee's media reaches the caller", len(got_a) >= min_got, len(got_a))
    stolen = drain(att, 0.3)
    check(name + ": the attacker gets nothing", not stolen, stolen[:1])


def mode_strict():
    att = usock(ATTACKER)

    # --- the spray: one datagram to every port of the range before anyone speaks
    a, b = usock(CALLER), usock(CALLEE)
    aport, bport, _, _ = call("spray-1", sdp(CALLER, a.getsockname()[1]),
                              sdp(CALLEE, b.getsockname()[1]))
    spray(att, rtp(0xBAD0BAD0, 1))
    time.sleep(0.1)
    check_call("spray", a, aport, b, bport, att, min_got=8)
    # a re-offer moves the caller (a transfer): the latch on its old address goes
    a2 = usock(MOVED)
    ng({"command": "offer", "call-id": "spray-1", "from-tag": "a", "ICE": "remove",
        "sdp": sdp(MOVED, a2.getsockname()[1])})
    b.sendto(rtp(0xB2B2B2B2, 950), (ANCHOR, bport))
    got = drain(a2, 0.5)
    check("a re-offer from a new address: the callee's media goes there at once",
          any(d[8:12] == b"\xb2\xb2\xb2\xb2" for d in got), got[:1])
    ng({"command": "delete", "call-id": "spray-1"})

    # --- the spray against a party behind NAT (its SDP names a private address)
    a, b = usock(CALLER), usock(CALLEE)
    aport, bport, _, _ = call("spray-nat", sdp("10.0.0.10", a.getsockname()[1]),
                              sdp(CALLEE, b.getsockname()[1]))
    spray(att, rtp(0xBAD0BAD0, 1))
    spray(att, rtp(0xBAD0BAD0, 2))
    time.sleep(0.1)
    check_call("spray, caller behind NAT", a, aport, b, bport, att)
    ng({"command": "delete", "call-id": "spray-nat"})

    # --- the single-port race: a well-formed stream to the real ports first
    a, b = usock(CALLER), usock(CALLEE)
    aport, bport, _, _ = call("race-1", sdp(CALLER, a.getsockname()[1]),
                              sdp(CALLEE, b.getsockname()[1]))
    for i in range(10):
        att.sendto(rtp(0xBAD0BAD0, 7 + i), (ANCHOR, aport))
        att.sendto(rtp(0xBAD0BAD1, 7 + i), (ANCHOR, bport))
    time.sleep(0.1)
    check_call("race", a, aport, b, bport, att, min_got=8)
    ng({"command": "delete", "call-id": "race-1"})

    # --- force-relay: an unauthenticated STUN request with a FINGERPRINT first
    a, b = usock(CALLER), usock(CALLEE)
    ice_lines = "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\na=candidate:1 1 UDP 2130706431 %s %d typ host\r\n"
    a_sdp = sdp(CALLER, a.getsockname()[1],
                ice_lines % ("fra1", "forcerelaypasswordfra111", CALLER, a.getsockname()[1]))
    b_sdp = sdp(CALLEE, b.getsockname()[1],
                ice_lines % ("frb2", "forcerelaypasswordfrb222", CALLEE, b.getsockname()[1]))
    aport, bport, _, _ = call("relay-stun", a_sdp, b_sdp, ice="force-relay")
    for p in (aport, bport):
        msg, _ = stun_msg(0x0001, [(0x0006, b"evil:evil"), (0x0024, struct.pack("!I", 1))])
        att.sendto(msg, (ANCHOR, p))
    time.sleep(0.1)
    drain(a, 0.1)
    drain(b, 0.1)  # the STUN went end to end: allowed, and nobody answers it
    check_call("force-relay STUN", a, aport, b, bport, att, min_got=8)
    ng({"command": "delete", "call-id": "relay-stun"})

    # --- force-relay behind NAT: a check the other party answered latches its source
    a, b, b_nat = usock(CALLER), usock(CALLEE), usock(MOVED)
    a_sdp = sdp(CALLER, a.getsockname()[1],
                ice_lines % ("fra1", "forcerelaypasswordfra111", CALLER, a.getsockname()[1]))
    b_sdp = sdp(CALLEE, b.getsockname()[1],
                ice_lines % ("frb2", "forcerelaypasswordfrb222", CALLEE, b.getsockname()[1]))
    aport, bport, _, _ = call("relay-nat", a_sdp, b_sdp, ice="force-relay")
    req, _ = stun_msg(0x0001, [(0x0006, b"fra1:frb2"), (0x0024, struct.pack("!I", 1))],
                      b"forcerelaypasswordfra111")
    b_nat.sendto(req, (ANCHOR, bport))
    got, src = recv(a, 1.0)
    if got:
        stun_answer(a, got, src, b"forcerelaypasswordfra111")
    resp, _ = recv(b_nat, 1.0)
    check("force-relay: the answer to a check goes back to where the check came from",
          resp is not None and stun_parse(resp)[0] == 0x0101, resp)
    for i in range(5):
        a.sendto(rtp(0xA1A1A1A1, 100 + i), (ANCHOR, aport))
    got_nat, got_sdp = drain(b_nat, 0.4), drain(b, 0.1)
    check("force-relay: ... and, answered with success, that source gets the media",
          len(got_nat) == 5 and not got_sdp, (len(got_nat), len(got_sdp)))
    ng({"command": "delete", "call-id": "relay-nat"})

    # --- ICE=force toward the PBX, which answers without ICE: that side latches
    web, pbx = usock(CALLER), usock(CALLEE)
    w_ufrag, w_pwd = "webu", "webpasswordwebpassword01"
    w_sdp = sdp(CALLER, web.getsockname()[1],
                ice_lines % (w_ufrag, w_pwd, CALLER, web.getsockname()[1]) + "a=rtcp-mux\r\n")
    wport, pport, _, r2 = call("ice-force", w_sdp, sdp(CALLEE, pbx.getsockname()[1]), ice="force")
    asdp = r2.get("sdp", "")
    a_ufrag, a_pwd = (sdp_attr(asdp, "ice-ufrag") or ["?"])[0], (sdp_attr(asdp, "ice-pwd") or ["?"])[0]
    spray(att, rtp(0xBAD0BAD0, 1))
    # the browser's check with USE-CANDIDATE, then it answers the anchor's own checks
    msg, _ = stun_msg(0x0001, [(0x0006, ("%s:%s" % (a_ufrag, w_ufrag)).encode()),
                               (0x0024, struct.pack("!I", 1853817087)),
                               (0x802A, os.urandom(8)), (0x0025, b"")], a_pwd.encode())
    web.sendto(msg, (ANCHOR, wport))
    recv_media(web, w_pwd.encode(), 1.0)
    pbx_got, web_got = [], []
    for i in range(10):
        web.sendto(rtp(0xA1A1A1A1, 100 + i), (ANCHOR, wport))
        pbx.sendto(rtp(0xB2B2B2B2, 900 + i), (ANCHOR, pport))
        time.sleep(0.01)
    pbx_got = [d for d in drain(pbx) if d[8:12] == b"\xa1\xa1\xa1\xa1"]
    while True:
        d = recv_media(web, w_pwd.encode(), 0.3)
        if d is None:
            break
        web_got.append(d)
    check("ICE=force, PBX answers without ICE: the browser's media reaches the PBX",
          len(pbx_got) >= 8, len(pbx_got))
    check("ICE=force, PBX answers without ICE: the PBX's media reaches the browser",
          len(web_got) >= 8, len(web_got))
    stolen = drain(att, 0.3)
    check("ICE=force, PBX answers without ICE: the attacker gets nothing", not stolen, stolen[:1])
    ng({"command": "delete", "call-id": "ice-force"})

    # --- strict-source: the caller's own IP but another port than its SDP's
    a, a_other, b = usock(CALLER), usock(CALLER), usock(CALLEE)
    r1 = ng({"command": "offer", "call-id": "strict-1", "from-tag": "a", "ICE": "remove",
             "sdp": sdp(CALLER, a.getsockname()[1]), "flags": ["strict-source"]}) or {}
    r2 = ng({"command": "answer", "call-id": "strict-1", "from-tag": "a", "to-tag": "b",
             "ICE": "remove", "sdp": sdp(CALLEE, b.getsockname()[1])}) or {}
    aport = m_port(r2.get("sdp", "m=audio 0 "))
    check("strict-source is not reported as an unknown flag", "strict" not in r1.get("warning", ""),
          r1.get("warning"))
    for i in range(6):
        a_other.sendto(rtp(0xA1A1A1A1, 100 + i), (ANCHOR, aport))
    got = drain(b, 0.5)
    check("strict-source: media from another port of the party's IP is dropped", not got, got[:1])
    for i in range(6):
        a.sendto(rtp(0xA1A1A1A1, 200 + i), (ANCHOR, aport))
    got = drain(b, 0.5)
    check("strict-source: media from the SDP's address and port is forwarded", len(got) == 6,
          len(got))
    ng({"command": "delete", "call-id": "strict-1"})

    # --- SIP-source-address puts received-from in place of the SDP address;
    # trust-address (rtpengine's default) keeps the SDP's, and wins over it
    for flags, want in ((["SIP-source-address"], MOVED),
                        (["SIP-source-address", "trust-address"], CALLER)):
        a, moved, b = usock(CALLER), usock(MOVED, 0), usock(CALLEE)
        port = a.getsockname()[1]
        moved.close()
        try:
            moved = usock(MOVED, port)
        except OSError:
            check("a free port %d on %s" % (port, MOVED), False)
            continue
        _, bport, _, _ = call("src-" + want, sdp(CALLER, port), sdp(CALLEE, b.getsockname()[1]))
        ng({"command": "offer", "call-id": "src-" + want, "from-tag": "a", "ICE": "remove",
            "sdp": sdp(CALLER, port) + "a=x-reoffer\r\n", "flags": flags,
            "received-from": ["IP4", MOVED]})
        b.sendto(rtp(0xB2B2B2B2, 900), (ANCHOR, bport))
        to_caller, to_moved = drain(a, 0.4), drain(moved, 0.1)
        check("%s: the callee's media goes to %s" % (" + ".join(flags), want),
              (to_moved if want == MOVED else to_caller) and
              not (to_caller if want == MOVED else to_moved), (len(to_caller), len(to_moved)))
        ng({"command": "delete", "call-id": "src-" + want})

    # --- a=rtcp naming loopback or an internal host: no RTCP goes there
    for target in (ANCHOR, INTERNAL, CALLER):
        a, b, b_rtcp = usock(CALLER), usock(CALLEE), usock(CALLEE)
        listener = usock(target)
        a_sdp = sdp(CALLER, a.getsockname()[1],
                    "a=rtcp:%d IN IP4 %s\r\n" % (listener.getsockname()[1], target))
        aport, bport, r1, _ = call("rtcp-" + target, a_sdp, sdp(CALLEE, b.getsockname()[1]))
        rtcp_port = int((sdp_attr(r1.get("sdp", ""), "rtcp") or ["0"])[0].split()[0])
        for i in range(5):
            b.sendto(rtp(0xB2B2B2B2, 900 + i), (ANCHOR, bport))
            b_rtcp.sendto(rtcp(0xB2B2B2B2), (ANCHOR, rtcp_port))
        got = drain(listener, 0.5)
        if target == CALLER:
            check("a=rtcp naming an allowed address gets the RTCP (the path works)",
                  any(d[1] == 200 for d in got), got[:1])
        else:
            check("a=rtcp naming %s gets no RTCP" % target, not got, got[:1])
        ng({"command": "delete", "call-id": "rtcp-" + target})


def mode_loopback():
    # --- an SDP aiming the callee's media at the ng port: no command runs
    a = usock(CALLER)
    aport, _, _, _ = call("to-ng", sdp(CALLER, a.getsockname()[1]), sdp(ANCHOR, NG))
    # a cookie whose first byte is in RFC 7983's DTLS range (forwarded as
    # media) and is printable (an ng cookie), a space, then a request
    cmd = b"#dtls-cookie d7:command4:pinge"
    for _ in range(3):
        a.sendto(cmd, (ANCHOR, aport))
    got = drain(a, 0.5)
    check("media aimed at the ng port runs no command (no reply comes back)",
          not any(b"pong" in d for d in got), got[:1])
    ng({"command": "delete", "call-id": "to-ng"})
    # ng datagrams from the server's own sockets: test_anchor_own.sh


{"strict": mode_strict, "loopback": mode_loopback}[MODE]()
check_exit()
