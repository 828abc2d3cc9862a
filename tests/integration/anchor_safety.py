#!/usr/bin/python3
"""anchor_safety.py MODE NG_PORT MIN MAX: failure and abuse paths of the anchor.

Plays the SIP proxy (ng requests in JSON on 127.0.0.1:NG_PORT) and both
parties (UDP sockets on 127.0.0.2 and 127.0.0.3). Prints one "PASS: name" or
"FAIL: name" line per check. MODE:
  undo     (a 16-port relay range) a re-offer that runs out of ports (or over
           anchor-max-call-ports: either way after taking some) and an
           answer whose rewritten SDP is too large fail and leave the call as
           it was (same query: ports, ICE, RTCP sockets), free what they
           took, and the call still forwards; a transport word in rtpp-flags
           the anchor does not know is refused like the key
  ice      one offer naming a victim (127.0.0.2-33, one port) in 16 streams of
           32 candidates: the victim gets at most 50 checks (the per-party
           candidate cap), each retransmitted at most 7 times, where it got
           3584 before
  logcall  (anchor-timeout=1) a call-id with a line break times out; the
           calling script reads the log
Only 127.0.0.0/8 is ever sent to.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.sdp import m_ports  # noqa: E402

MODE, NG, PMIN, PMAX = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
A_IP, B_IP = "127.0.0.2", "127.0.0.3"
client = nglib.Client(NG)


def ng(d):
    """One request in JSON (answered in JSON), retransmitted with its cookie as a proxy does."""
    return client.request(d, use_json=True, tries=5) or {"result": "no reply"}


def party(ip):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    return s


def sdp(ip, ports, extra="", ice=None):
    """An SDP from ip with one RTP/AVP m= line per port; extra lines in each section."""
    out = "v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n" % (ip, ip)
    for p in ports:
        out += "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n" % p
        if ice:
            out += "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n" % ice
        out += extra
    return out


def query(call_id):
    r = ng({"command": "query", "call-id": call_id})
    return r.get("tags") if r.get("result") == "ok" else r


def forwards(src, dst, to_port):
    """A datagram from src to the anchor's to_port reaches dst (a few tries: latching)."""
    dst.settimeout(0.3)
    rtp = bytes([0x80, 0x00, 0x00, 0x01]) + b"\x00" * 8 + b"\x55" * 160
    for _ in range(10):
        src.sendto(rtp, ("127.0.0.1", to_port))
        try:
            data, _ = dst.recvfrom(2048)
            if data == rtp:
                return True
        except socket.timeout:
            pass
    return False


def mode_undo():
    a, b = party(A_IP), party(B_IP)
    a_port, b_port = a.getsockname()[1], b.getsockname()[1]
    cid = "undo-1"

    r = ng({"command": "offer", "call-id": cid, "from-tag": "A", "ICE": "remove",
            "sdp": sdp(A_IP, [a_port])})
    check("offer: ok", r.get("result") == "ok", r)
    if r.get("result") != "ok":
        return
    anchor_for_b = m_ports(r["sdp"])[0]
    r = ng({"command": "answer", "call-id": cid, "from-tag": "A", "to-tag": "B",
            "ICE": "remove", "sdp": sdp(B_IP, [b_port])})
    check("answer: ok", r.get("result") == "ok", r)
    if r.get("result") != "ok":
        return
    anchor_for_a = m_ports(r["sdp"])[0]
    before = query(cid)

    # a re-offer that adds streams until the 16-port range runs out
    r = ng({"command": "offer", "call-id": cid, "from-tag": "A", "ICE": "force",
            "sdp": sdp(A_IP, [a_port] + [a_port + 2 * i for i in range(1, 7)],
                       ice=("ufragA", "passwordA-0123456789abcd"))})
    check("a re-offer that runs out of ports fails", r.get("result") == "error", r)
    after = query(cid)
    check("... and leaves the call as it was (ports, ICE, RTCP sockets)", before == after,
          json.dumps({"before": before, "after": after})[:1500])
    r = ng({"command": "offer", "call-id": "undo-other", "from-tag": "X",
            "sdp": sdp(A_IP, [a_port + 100])})
    check("... and frees every port it took (another call gets ports)",
          r.get("result") == "ok", r)
    ng({"command": "delete", "call-id": "undo-other"})
    check("... and the call still forwards both ways",
          forwards(a, b, anchor_for_a) and forwards(b, a, anchor_for_b))
    ng({"command": "delete", "call-id": cid})

    # an answer whose rewrite is too large, after the steps that changed state before
    cid2 = "undo-2"
    ice_a = ("ufragA2", "passwordA2-0123456789abc")
    r = ng({"command": "offer", "call-id": cid2, "from-tag": "A", "ICE": "remove",
            "sdp": sdp(A_IP, [a_port], ice=ice_a,
                       extra="a=candidate:1 1 udp 2130706431 %s %d typ host\r\n"
                             "a=rtcp-mux\r\n" % (A_IP, a_port))})
    check("second call: offer ok", r.get("result") == "ok", r)
    if r.get("result") != "ok":
        return
    anchor_for_b = m_ports(r["sdp"])[0]
    before = query(cid2)
    # 64900 bytes: it fits one ng datagram, its rewrite (ICE lines added) does not fit 65000
    big = sdp(B_IP, [b_port], extra="a=rtcp-mux\r\n")
    pad = "".join("a=x-pad-%02d:%s\r\n" % (i, "p" * 3000) for i in range(21))
    big += pad + "a=x-pad-end:" + "q" * (64900 - len(big) - len(pad) - 14) + "\r\n"
    r = ng({"command": "answer", "call-id": cid2, "from-tag": "A", "to-tag": "B",
            "ICE": "force", "sdp": big})
    check("an answer whose rewritten SDP is too large fails",
          r.get("result") == "error" and "too large" in r.get("error-reason", ""), r)
    after = query(cid2)
    check("... and leaves the call as it was (no ICE started, RTCP socket kept)",
          before == after, json.dumps({"before": before, "after": after})[:1500])
    r = ng({"command": "answer", "call-id": cid2, "from-tag": "A", "to-tag": "B",
            "ICE": "remove", "sdp": sdp(B_IP, [b_port])})
    check("... then a good answer: ok", r.get("result") == "ok", r)
    if r.get("result") == "ok":
        anchor_for_a = m_ports(r["sdp"])[0]
        check("... and the call forwards both ways",
              forwards(a, b, anchor_for_a) and forwards(b, a, anchor_for_b))

    # Kamailio's two-argument form: the transport word comes inside rtpp-flags
    r = ng({"command": "offer", "call-id": "srtp", "from-tag": "A",
            "rtpp-flags": "replace-origin RTP/SAVP", "sdp": sdp(A_IP, [a_port + 200])})
    check("a transport word in rtpp-flags is acted on: SRTP offered with the anchor's keys",
          r.get("result") == "ok" and " RTP/SAVP 0" in r.get("sdp", "") and
          "a=crypto:" in r.get("sdp", ""), r)
    ng({"command": "delete", "call-id": "srtp"})
    r = ng({"command": "offer", "call-id": "srtp", "from-tag": "A",
            "rtpp-flags": "replace-origin RTP/XAVP", "sdp": sdp(A_IP, [a_port + 200])})
    check("a transport word that is no profile is refused",
          r.get("result") == "error" and "RTP/XAVP" in r.get("error-reason", ""), r)
    r = ng({"command": "offer", "call-id": "srtp", "from-tag": "A", "label": "x",
            "flags": ["loop-protect", "codec-strip-PCMU"], "sdp": sdp(A_IP, [a_port + 200])})
    w = r.get("warning", "")
    check("keys and flags the anchor does not act on are named in the warning",
          r.get("result") == "ok" and "'label'" in w and "'loop-protect'" in w and
          "'codec-strip-PCMU'" in w, r)


def mode_ice():
    victim = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    victim.bind(("0.0.0.0", 0))
    vport = victim.getsockname()[1]
    victim.settimeout(0.2)
    cands = "".join("a=candidate:%d 1 udp %d 127.0.0.%d %d typ host\r\n" %
                    (i, 2130706431 - i, 2 + i, vport) for i in range(32))
    offer = sdp(A_IP, [vport] * 16, extra=cands + "a=rtcp-mux\r\n",
                ice=("ufragV", "passwordV-0123456789abcd"))
    r = ng({"command": "offer", "call-id": "ice-victim", "from-tag": "A", "ICE": "force",
            "sdp": offer})
    check("an offer with 16 x 32 candidates: ok", r.get("result") == "ok", r)
    b = party(B_IP)
    r = ng({"command": "answer", "call-id": "ice-victim", "from-tag": "A", "to-tag": "B",
            "sdp": sdp(B_IP, [b.getsockname()[1]] * 16, extra="a=rtcp-mux\r\n",
                       ice=("ufragB", "passwordB-0123456789abcd"))})
    check("the answer with ICE: ok (the anchor checks the offerer's candidates)",
          r.get("result") == "ok", r)
    sent, tids = 0, set()
    end = time.time() + 3.0
    while time.time() < end:
        try:
            data, _ = victim.recvfrom(2048)
        except socket.timeout:
            continue
        if len(data) >= 20 and data[0] < 4:
            sent += 1
            tids.add(data[8:20])
    check("the victim gets checks (ICE runs)", sent > 0, sent)
    check("... at most 50 distinct checks (candidates per party)", len(tids) <= 50,
          "%d checks, %d datagrams in 3 s" % (len(tids), sent))
    check("... at most 50 x 7 datagrams", sent <= 350, sent)
    ng({"command": "delete", "call-id": "ice-victim"})


def mode_logcall():
    cid = "evil\nFORGED: anchor: call 'x' deleted by admin"
    r = ng({"command": "offer", "call-id": cid, "from-tag": "A", "sdp": sdp(A_IP, [4000])})
    check("a call-id with a line break: offer ok", r.get("result") == "ok", r)
    gone = False
    for _ in range(100):
        if cid not in (ng({"command": "list"}).get("calls") or []):
            gone = True
            break
        time.sleep(0.1)
    check("... it times out (anchor-timeout=1)", gone)


{"undo": mode_undo, "ice": mode_ice, "logcall": mode_logcall}[MODE]()
check_exit()
