#!/usr/bin/python3
"""anchor_ng.py MODE NG_PORT MIN MAX: the media anchor over the wire.

Drives a running turnserver's ng control socket (127.0.0.1:NG_PORT) and its
media ports the way a SIP proxy and two parties would, and prints one
"PASS: name" or "FAIL: name" line per check. MODE:
  interface the server runs with anchor-interface=203.0.113.10/127.0.0.1
  main   ng protocol (bencode, JSON, cookies, retransmissions, errors),
         the SDP rewrite of an Asterisk offer, the strict STUN responder,
         ICE-validated and latched forwarding, delete
  limit  the server runs with anchor-max-sessions=1
  allow  the server runs with anchor-ng-allow=127.0.0.2
  timeout the server runs with anchor-timeout=2 and anchor-ng-cache-time=1
  final  the server runs with anchor-final-timeout=2
Only 127.0.0.0/8 is ever sent to (the SDPs name private addresses: the
calling script runs this in a network namespace with nothing but loopback).
"""
import json
import os
import re
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.media import sock, recv, recv_media  # noqa: E402,F401
from pylib.sdp import attrs as sdp_attr, m_port  # noqa: E402
from pylib.stun import (msg as stun_msg, parse as stun_parse, error_code as stun_error_code,  # noqa: E402
                        mi_ok as stun_mi_ok, has_attr)

MODE, NG, PMIN, PMAX = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
client = nglib.Client(NG)
ng, ng_raw, stats = client.request, client.raw, client.statistics


ASTERISK_OFFER = (
    "v=0\r\n"
    "o=- 1790449125 1790449125 IN IP4 192.168.210.54\r\n"
    "s=Asterisk\r\n"
    "c=IN IP4 192.168.210.54\r\n"
    "t=0 0\r\n"
    "m=audio 10000 UDP/TLS/RTP/SAVPF 111 0 8 101\r\n"
    "a=ice-ufrag:3b1d7e2a45c0a6f1\r\n"
    "a=ice-pwd:6e2f0b3c1a8d4e5f7a9b0c1d2e\r\n"
    "a=candidate:Hc0a8d236 1 UDP 2130706431 192.168.210.54 10000 typ host\r\n"
    "a=candidate:Hac110001 1 UDP 2130706431 172.17.0.1 10000 typ host\r\n"
    "a=candidate:Hc0a8d236 2 UDP 2130706430 192.168.210.54 10001 typ host\r\n"
    "a=candidate:Hac110001 2 UDP 2130706430 172.17.0.1 10001 typ host\r\n"
    "a=end-of-candidates\r\n"
    "a=connection:new\r\n"
    "a=setup:actpass\r\n"
    "a=fingerprint:SHA-256 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB:"
    "4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF\r\n"
    "a=rtpmap:111 opus/48000/2\r\n"
    "a=fmtp:111 useinbandfec=1\r\n"
    "a=rtpmap:0 PCMU/8000\r\n"
    "a=rtpmap:8 PCMA/8000\r\n"
    "a=rtpmap:101 telephone-event/8000\r\n"
    "a=fmtp:101 0-16\r\n"
    "a=ptime:20\r\n"
    "a=rtcp-mux\r\n"
    "a=rtcp:10001 IN IP4 192.168.210.54\r\n"
    "a=ssrc:2906386564 cname:9d6f0a2e-7b1c-4e55-9a43-5d2c8e1f0b7a\r\n"
    "a=mid:0\r\n"
    "a=sendrecv\r\n")


def browser_answer(port, ufrag, pwd):
    return (
        "v=0\r\n"
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n"
        "s=-\r\n"
        "t=0 0\r\n"
        "a=group:BUNDLE 0\r\n"
        "m=audio %d UDP/TLS/RTP/SAVPF 111 0 8 101\r\n"
        "c=IN IP4 127.0.0.1\r\n"
        "a=rtcp:9 IN IP4 0.0.0.0\r\n"
        "a=candidate:1 1 udp 2113937151 127.0.0.1 %d typ host generation 0\r\n"
        "a=ice-ufrag:%s\r\n"
        "a=ice-pwd:%s\r\n"
        "a=fingerprint:sha-256 0F:74:31:25:CB:A2:13:EC:28:6F:6D:2C:61:FF:5D:C2:BC:B9:DB:3D:"
        "98:14:8D:1A:BB:EA:33:0C:A4:60:A8:8E\r\n"
        "a=setup:active\r\n"
        "a=mid:0\r\n"
        "a=sendrecv\r\n"
        "a=rtcp-mux\r\n"
        "a=rtpmap:111 opus/48000/2\r\n") % (port, port, ufrag, pwd)


def plain_sdp(port):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n") % port


RTP = bytes([0x80, 0x00, 0x00, 0x01]) + b"\x00" * 8 + b"\x55" * 160


def mode_main():
    # --- the control protocol
    r = ng({"command": "ping"})
    check("ng ping answers pong (bencode)", r == {"result": "pong"}, r)
    raw = ng_raw(b"c0ffee " + json.dumps({"command": "ping"}).encode())
    check("ng ping in JSON is answered in JSON with the same cookie",
          raw is not None and raw.startswith(b"c0ffee {") and
          json.loads(raw[7:]).get("result") == "pong", raw)
    before = stats().get("controlstatistics", {}).get("nocookie", 0)
    check("a datagram without a cookie gets no reply", ng_raw(b"d7:command4:pinge", timeout=0.5) is None)
    after = stats().get("controlstatistics", {}).get("nocookie", 0)
    check("... and is counted", after == before + 1, (before, after))
    r = ng_raw(b"k1 d7:command4:pingi5e")
    check("bad bencode: error with a precise reason",
          r is not None and b"error" in r and b"bencode" in r, r)
    r = ng({"command": "frobnicate"})
    check("unknown command: error naming it",
          r and r.get("result") == "error" and "frobnicate" in r.get("error-reason", ""), r)
    r = ng({"command": "offer", "call-id": "x", "from-tag": "a"})
    check("offer without sdp: error", r and r.get("error-reason") == "No SDP body in message", r)
    r = ng({"command": "answer", "call-id": "nope", "from-tag": "a", "to-tag": "b",
            "sdp": plain_sdp(4000)})
    check("answer for an unknown call: error", r and r.get("error-reason") == "Unknown call-id", r)
    r = ng({"command": "offer", "call-id": "bad", "from-tag": "a", "sdp": "v=0\r\nm=audio\r\n"})
    check("malformed SDP: error with the SDP parser's reason",
          r and r.get("result") == "error" and "SDP" in r.get("error-reason", ""), r)
    r = ng({"command": "list"})
    check("failed requests left no call behind", r and r.get("calls") == [], r)

    # --- the Asterisk offer, ICE=force
    offer = {"command": "offer", "call-id": "ast-1", "from-tag": "pbx", "sdp": ASTERISK_OFFER,
             "ICE": "force", "replace": ["origin", "session-connection"],
             "flags": ["trust-address", "no-such-flag"], "supports": ["load limit"],
             "received-from": ["IP4", "127.0.0.1"]}
    r1 = ng(offer, cookie="ast1cookie")
    r2 = ng(offer, cookie="ast1cookie")
    check("offer: ok", r1 and r1.get("result") == "ok", r1)
    if not r1 or "sdp" not in r1:
        return
    check("unknown flags: listed in a warning",
          "no-such-flag" in r1.get("warning", ""), r1.get("warning"))
    check("a retransmitted offer (same cookie) gets the same reply", r1 == r2)
    ctl = stats().get("controlstatistics", {})
    check("... counted as a retransmission, not executed twice",
          ctl.get("retransmissions", 0) >= 1 and
          stats().get("totalstatistics", {}).get("managedsessions") == 1, ctl)
    sdp = r1["sdp"]
    check("rewritten offer names no private address of the PBX",
          "192.168.210.54" not in sdp and "172.17.0.1" not in sdp, sdp)
    port = m_port(sdp)
    check("m= port is in the relay range", PMIN <= port <= PMAX, port)
    check("c= and o= name the anchor",
          "c=IN IP4 127.0.0.1" in sdp and re.search(r"^o=.* IN IP4 127\.0\.0\.1\r$", sdp, re.M), sdp)
    ufrag, pwd = sdp_attr(sdp, "ice-ufrag"), sdp_attr(sdp, "ice-pwd")
    check("the anchor's own ICE credentials (ufrag >= 8, pwd >= 22, new)",
          len(ufrag) == 1 and len(pwd) == 1 and len(ufrag[0]) >= 8 and len(pwd[0]) >= 22 and
          ufrag[0] != "3b1d7e2a45c0a6f1", (ufrag, pwd))
    cands = sdp_attr(sdp, "candidate")
    check("only the anchor's candidates, on its port",
          cands and all(" 127.0.0.1 " in c for c in cands) and
          any(" %d typ " % port in c for c in cands), cands)
    check("a=ice-lite toward the answerer, a=end-of-candidates",
          "a=ice-lite" in sdp and "a=end-of-candidates" in sdp, sdp)
    for line in ("a=fingerprint:SHA-256 4A:AD:B9", "a=setup:actpass", "a=rtpmap:111 opus/48000/2",
                 "a=fmtp:111 useinbandfec=1", "a=ssrc:2906386564 cname:", "a=mid:0"):
        if line not in sdp:
            check("line kept: " + line, False, sdp)
            break
    else:
        check("fingerprint, setup, codecs, ssrc and mid lines kept byte for byte", True)

    # the answer from a browser-like party on loopback (its checks come from b)
    b = sock()
    bport = b.getsockname()[1]
    b_ufrag, b_pwd = "brws", "browserpasswordbrowserpass"
    r = ng({"command": "answer", "call-id": "ast-1", "from-tag": "pbx", "to-tag": "web",
            "sdp": browser_answer(bport, b_ufrag, b_pwd), "ICE": "force"})
    check("answer: ok", r and r.get("result") == "ok", r)
    if not r or "sdp" not in r:
        return
    asdp = r["sdp"]
    pbx_port = m_port(asdp)
    a_ufrag, a_pwd = sdp_attr(asdp, "ice-ufrag")[0], sdp_attr(asdp, "ice-pwd")[0]
    check("answer toward the PBX: anchor's credentials, candidates and rtcp-mux, no ice-lite",
          "a=ice-lite" not in asdp and "a=rtcp-mux" in asdp and a_ufrag != b_ufrag and
          all(" 127.0.0.1 " in c for c in sdp_attr(asdp, "candidate")), asdp)

    # --- strict STUN responder on the browser-facing port
    anchor_b = ("127.0.0.1", port)
    key = pwd[0].encode()
    user = ("%s:%s" % (ufrag[0], b_ufrag)).encode()
    ctl_attr = (0x802A, os.urandom(8))  # ICE-CONTROLLING
    prio = (0x0024, struct.pack("!I", 1853817087))
    msg, _ = stun_msg(0x0001, [(0x0006, user), prio, ctl_attr], key, fingerprint=False)
    b.sendto(msg, anchor_b)
    check("a Binding request without FINGERPRINT is dropped", recv(b, 0.5)[0] is None)
    msg, _ = stun_msg(0x0001, [prio, ctl_attr])
    b.sendto(msg, anchor_b)
    resp, _ = recv(b)
    check("no USERNAME/MESSAGE-INTEGRITY: 400 with FINGERPRINT",
          resp and stun_error_code(stun_parse(resp)[2]) == 400 and
          has_attr(stun_parse(resp)[2], 0x8028), resp)
    msg, _ = stun_msg(0x0001, [(0x0006, b"wrongufrag:" + b_ufrag.encode()), prio, ctl_attr], key)
    b.sendto(msg, anchor_b)
    resp, _ = recv(b)
    check("wrong ufrag: 401", resp and stun_error_code(stun_parse(resp)[2]) == 401, resp)
    msg, _ = stun_msg(0x0001, [(0x0006, user), prio, ctl_attr], b"not the password")
    b.sendto(msg, anchor_b)
    resp, _ = recv(b)
    check("wrong HMAC: 401", resp and stun_error_code(stun_parse(resp)[2]) == 401, resp)
    msg, _ = stun_msg(0x0001, [(0x0006, user), prio, ctl_attr, (0x0077, b"xxxx")], key)
    b.sendto(msg, anchor_b)
    resp, _ = recv(b)
    check("unknown comprehension-required attribute: 420, signed with the request's key",
          resp and stun_error_code(stun_parse(resp)[2]) == 420 and stun_mi_ok(resp, key), resp)
    # media before any check succeeded: dropped
    before = stats().get("totalstatistics", {}).get("droppedunauthenticated", 0)
    b.sendto(RTP, anchor_b)
    time.sleep(0.2)
    after = stats().get("totalstatistics", {}).get("droppedunauthenticated", 0)
    check("media from a source without an authenticated pair is dropped and counted",
          after == before + 1, (before, after))
    msg, tid = stun_msg(0x0001, [(0x0006, user), prio, ctl_attr, (0x0025, b"")], key)
    b.sendto(msg, anchor_b)
    resp, _ = recv(b)
    ok = resp and stun_parse(resp)[0] == 0x0101 and stun_parse(resp)[1] == tid
    check("valid check with USE-CANDIDATE: success, signed with our pwd, FINGERPRINT",
          ok and stun_mi_ok(resp, key) and has_attr(stun_parse(resp)[2], 0x8028) and
          has_attr(stun_parse(resp)[2], 0x0020), resp)

    # the PBX side: a party on loopback doing ICE toward the anchor's answer
    p = sock()
    anchor_p = ("127.0.0.1", pbx_port)
    puser = ("%s:%s" % (a_ufrag, "pbxu")).encode()
    msg, _ = stun_msg(0x0001, [(0x0006, puser), prio, (0x802A, os.urandom(8)),
                               (0x0025, b"")], a_pwd.encode())
    p.sendto(msg, anchor_p)
    resp, _ = recv(p)
    check("the PBX-facing port answers the PBX's check",
          resp and stun_parse(resp)[0] == 0x0101 and stun_mi_ok(resp, a_pwd.encode()), resp)
    # the anchor is full ICE toward the PBX: its own (triggered) check to
    # the PBX's address must succeed before media goes there
    pbx_pwd = b"6e2f0b3c1a8d4e5f7a9b0c1d2e"
    got = recv_media(p, pbx_pwd, 1.0)
    check("the anchor checks the PBX's address itself (full ICE): nothing else comes first",
          got is None, got)
    b.sendto(RTP, anchor_b)
    got = recv_media(p, pbx_pwd)
    check("browser -> PBX media forwarded to the PBX's validated address", got == RTP, got)
    p.sendto(RTP, anchor_p)
    got = recv_media(b, b_pwd.encode())
    check("PBX -> browser media forwarded", got == RTP, got)
    q = ng({"command": "query", "call-id": "ast-1"})
    tags = (q or {}).get("tags", {})
    check("query: both tags, per-stream stats, ICE flags, totals",
          set(tags) == {"pbx", "web"} and q["totals"]["RTP"]["packets"] >= 2 and
          any("ICE" in m["flags"] for t in tags.values() for m in t["medias"]), q)

    # the same offer again under a new cookie (INVITE retransmitted through the proxy)
    r3 = ng(offer)
    check("the same offer under a new cookie: same SDP (ports and credentials kept)",
          r3 and r3.get("sdp") == sdp, r3)

    # --- ICE restart by the PBX: new credentials both ways, same ports
    restart = dict(offer, sdp=ASTERISK_OFFER.replace("3b1d7e2a45c0a6f1", "9f8e7d6c5b4a3210")
                   .replace("6e2f0b3c1a8d4e5f7a9b0c1d2e", "0a1b2c3d4e5f6a7b8c9d0e1f2a"))
    r = ng(restart)
    check("re-offer with an ICE restart: same ports toward the answerer",
          r and r.get("result") == "ok" and m_port(r["sdp"]) == port, r)
    r = ng({"command": "answer", "call-id": "ast-1", "from-tag": "pbx", "to-tag": "web",
            "sdp": browser_answer(bport, b_ufrag, b_pwd), "ICE": "force"})
    check("... and the answer toward the restarting PBX carries new anchor credentials",
          r and r.get("result") == "ok" and m_port(r["sdp"]) == pbx_port and
          sdp_attr(r["sdp"], "ice-ufrag")[0] != a_ufrag, r)

    # --- another branch of a forked INVITE answers: it becomes the party
    r = ng({"command": "answer", "call-id": "ast-1", "from-tag": "pbx", "to-tag": "web2",
            "sdp": browser_answer(bport, "brw2", "browserpasswordbrowser22"), "ICE": "force"})
    q = ng({"command": "query", "call-id": "ast-1"})
    check("a forked answer (new to-tag) takes over the answering side",
          r and r.get("result") == "ok" and q and set(q["tags"]) == {"pbx", "web2"}, (r, q))

    # --- trickle ICE: the PBX's candidate comes later, in an SDP fragment
    trickle_offer = "".join(l + "\r\n" for l in ASTERISK_OFFER.split("\r\n")
                            if l and not l.startswith("a=candidate") and l != "a=end-of-candidates")
    r = ng({"command": "offer", "call-id": "trickle-1", "from-tag": "pbx", "ICE": "force",
            "sdp": trickle_offer})
    t = sock()
    r = ng({"command": "answer", "call-id": "trickle-1", "from-tag": "pbx", "to-tag": "web",
            "sdp": browser_answer(t.getsockname()[1], b_ufrag, b_pwd), "ICE": "force"})
    t_ufrag = sdp_attr(r["sdp"], "ice-ufrag")[0] if r and "sdp" in r else "?"
    p2 = sock()
    frag = ("a=ice-ufrag:3b1d7e2a45c0a6f1\r\na=ice-pwd:6e2f0b3c1a8d4e5f7a9b0c1d2e\r\n"
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\n"
            "a=candidate:T1 1 UDP 2130706000 127.0.0.1 %d typ host\r\n") % p2.getsockname()[1]
    r = ng({"command": "offer", "call-id": "trickle-1", "from-tag": "pbx", "sdp": frag,
            "flags": ["fragment"]})
    check("trickle ICE: a fragment is accepted", r and r.get("result") == "ok", r)
    got, src = recv(p2, 3.0)
    user = None
    if got and stun_parse(got)[0] == 0x0001:
        user = [v for t_, v, _ in stun_parse(got)[2] if t_ == 0x0006]
    check("... and its candidate gets a check, with the PBX's ufrag : the anchor's",
          user == [("3b1d7e2a45c0a6f1:%s" % t_ufrag).encode()], (got, user))
    ng({"command": "delete", "call-id": "trickle-1"})

    # --- transport-protocol change: SRTP bridged (details: tests/unit/test_bridge.c)
    r = ng(dict(offer, **{"call-id": "ast-2", "transport-protocol": "RTP/AVP"}))
    check("RTP/SAVPF -> RTP/AVP: the answerer gets RTP/AVP and no DTLS lines",
          r and r.get("result") == "ok" and " RTP/AVP 111" in r.get("sdp", "") and
          "a=fingerprint" not in r.get("sdp", "") and "a=setup" not in r.get("sdp", ""), r)
    ng({"command": "delete", "call-id": "ast-2"})
    r = ng(dict(offer, **{"call-id": "ast-3", "transport-protocol": "RTP/XAVP"}))
    check("an unknown transport-protocol is refused",
          r and r.get("result") == "error" and "RTP/XAVP" in r.get("error-reason", ""), r)
    check("... and no call was made", "ast-3" not in ng({"command": "list"}).get("calls", []))

    # --- ICE=remove: plain RTP with latching
    x, y = sock(), sock()
    r = ng({"command": "offer", "call-id": "plain-1", "from-tag": "x",
            "sdp": plain_sdp(x.getsockname()[1]), "ICE": "remove"})
    yport = m_port(r["sdp"])
    check("ICE=remove: no ICE lines toward the answerer",
          "a=candidate" not in r["sdp"] and "ice-ufrag" not in r["sdp"], r["sdp"])
    r = ng({"command": "answer", "call-id": "plain-1", "from-tag": "x", "to-tag": "y",
            "sdp": plain_sdp(y.getsockname()[1])})
    xport = m_port(r["sdp"])
    ok = True
    for _ in range(5):
        x.sendto(RTP, ("127.0.0.1", xport))
        ok = ok and recv(y)[0] == RTP
        y.sendto(RTP, ("127.0.0.1", yport))
        ok = ok and recv(x)[0] == RTP
    check("ICE=remove: RTP forwarded both ways", ok)
    q = ng({"command": "query", "call-id": "plain-1"})
    check("query counts the packets", q and q["totals"]["RTP"]["packets"] == 10, q.get("totals"))
    intruder = sock()
    intruder.sendto(RTP, ("127.0.0.1", xport))
    check("a second source on a latched port is not forwarded", recv(y, 0.5)[0] is None)

    # --- ICE=force-relay: the party's candidates stay, the anchor is one more
    # (typ relay), and STUN passes end to end once its FINGERPRINT checks out
    fa, fb = sock(), sock()
    fa_sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
              "m=audio %d RTP/AVP 0\r\na=ice-ufrag:fa01\r\na=ice-pwd:forcerelaypasswordfa0101\r\n"
              "a=candidate:1 1 UDP 2130706431 127.0.0.1 %d typ host\r\na=rtcp-mux\r\n"
              ) % (fa.getsockname()[1], fa.getsockname()[1])
    r = ng({"command": "offer", "call-id": "relay-1", "from-tag": "fa", "sdp": fa_sdp,
            "ICE": "force-relay"})
    rsdp = (r or {}).get("sdp", "")
    rport = m_port(rsdp) if rsdp else 0
    cands = sdp_attr(rsdp, "candidate")
    check("force-relay: the party's candidate and credentials stay, the anchor is added as relay",
          "a=ice-ufrag:fa01" in rsdp and
          any(" %d typ host" % fa.getsockname()[1] in c for c in cands) and
          any(" %d typ relay" % rport in c for c in cands), rsdp)
    fb_sdp = fa_sdp.replace("fa01", "fb02").replace(str(fa.getsockname()[1]), str(fb.getsockname()[1]))
    r = ng({"command": "answer", "call-id": "relay-1", "from-tag": "fa", "to-tag": "fb",
            "sdp": fb_sdp, "ICE": "force-relay"})
    aport = m_port(r["sdp"]) if r and "sdp" in r else 0
    msg, tid = stun_msg(0x0001, [(0x0006, b"fa01:fb02"), prio], b"forcerelaypasswordfa0101")
    fb.sendto(msg, ("127.0.0.1", rport))
    got, _ = recv(fa)
    check("force-relay: a check reaches the other party unchanged through the anchor", got == msg,
          got)
    nofp, _ = stun_msg(0x0001, [(0x0006, b"fa01:fb02"), prio], b"forcerelaypasswordfa0101",
                       fingerprint=False)
    fb.sendto(nofp, ("127.0.0.1", rport))
    check("force-relay: STUN without FINGERPRINT is dropped, never forwarded",
          recv(fa, 0.5)[0] is None)
    fa.sendto(RTP, ("127.0.0.1", aport))
    check("force-relay: media forwarded to the latched party", recv(fb)[0] == RTP)
    ng({"command": "delete", "call-id": "relay-1"})

    # --- delete frees the call and its ports
    r = ng({"command": "delete", "call-id": "plain-1", "from-tag": "x"})
    check("delete: ok with the call's final stats", r and r.get("result") == "ok" and "totals" in r, r)
    r = ng({"command": "delete", "call-id": "ast-1", "from-tag": "pbx"})
    check("delete of the ICE call: ok", r and r.get("result") == "ok", r)
    check("list is empty after delete", ng({"command": "list"}).get("calls") == [])
    y.sendto(RTP, ("127.0.0.1", yport))
    check("a deleted call forwards nothing", recv(x, 0.5)[0] is None)


def mode_interface():
    """anchor-interface=203.0.113.10/127.0.0.1: public toward the browser, LAN toward the PBX."""
    r = ng({"command": "offer", "call-id": "if-1", "from-tag": "pbx", "sdp": ASTERISK_OFFER,
            "ICE": "force", "replace": ["origin", "session-connection"]})
    sdp = (r or {}).get("sdp", "")
    port = m_port(sdp) if sdp else 0
    cands = sdp_attr(sdp, "candidate")
    check("toward the browser: c= and o= on the public address",
          "c=IN IP4 203.0.113.10" in sdp and re.search(r"^o=.* IN IP4 203\.0\.113\.10\r$", sdp, re.M),
          sdp)
    check("toward the browser: typ relay candidates with raddr/rport on the public address",
          cands and all(("203.0.113.10 %d typ relay raddr 203.0.113.10 rport %d" % (port, port)) in c
                        for c in cands if c.split()[1] == "1"), cands)
    b = sock()
    r = ng({"command": "answer", "call-id": "if-1", "from-tag": "pbx", "to-tag": "web",
            "sdp": browser_answer(b.getsockname()[1], "brws", "browserpasswordbrowserpass"),
            "ICE": "force", "replace": ["origin", "session-connection"]})
    asdp = (r or {}).get("sdp", "")
    check("toward the PBX: the LAN address, typ host",
          "c=IN IP4 127.0.0.1" in asdp and sdp_attr(asdp, "candidate") and
          all(" 127.0.0.1 " in c and "typ host" in c for c in sdp_attr(asdp, "candidate")) and
          "203.0.113.10" not in asdp, asdp)


def calls_gone(tries, wait_s, each=None):
    """True once "list" names no call, asked up to tries times wait_s apart
    (after each(), when given, every time)."""
    for _ in range(tries):
        if each:
            each()
        time.sleep(wait_s)
        if ng({"command": "list"}).get("calls") == []:
            return True
    return False


def mode_final():
    """anchor-final-timeout=2: a call ends 2 s after it began, even with media flowing."""
    x, y = sock(), sock()
    r = ng({"command": "offer", "call-id": "f1", "from-tag": "x", "sdp": plain_sdp(x.getsockname()[1])})
    yport = m_port(r["sdp"])
    ng({"command": "answer", "call-id": "f1", "from-tag": "x", "to-tag": "y",
        "sdp": plain_sdp(y.getsockname()[1])})
    gone = calls_gone(60, 0.1, lambda: y.sendto(RTP, ("127.0.0.1", yport)))
    check("a call with media ends after anchor-final-timeout", gone)
    t = stats().get("totalstatistics", {})
    check("... counted as a final timeout", t.get("finaltimeoutsessions") == 1, t)


def mode_limit():
    r = ng({"command": "offer", "call-id": "l1", "from-tag": "a", "sdp": plain_sdp(5000)})
    check("first call within anchor-max-sessions", r and r.get("result") == "ok", r)
    r = ng({"command": "offer", "call-id": "l2", "from-tag": "a", "sdp": plain_sdp(5002),
            "supports": ["load limit"]})
    check("past anchor-max-sessions: 'load limit' for a proxy that supports it",
          r and r.get("result") == "load limit", r)
    r = ng({"command": "offer", "call-id": "l3", "from-tag": "a", "sdp": plain_sdp(5004)})
    check("... and an error for one that does not",
          r and r.get("result") == "error" and "limit" in r.get("error-reason", ""), r)


def mode_allow():
    check("a sender outside anchor-ng-allow gets no reply",
          ng({"command": "ping"}, src="127.0.0.1") is None)
    r = ng({"command": "ping"}, src="127.0.0.2")
    check("a sender in anchor-ng-allow is answered", r == {"result": "pong"}, r)
    n = ng({"command": "statistics"}, src="127.0.0.2")["statistics"]["controlstatistics"]
    check("the refused datagram was counted", n.get("notallowed") == 1, n)


def mode_timeout():
    r = ng({"command": "offer", "call-id": "t1", "from-tag": "a", "sdp": plain_sdp(5000)})
    check("call made", r and r.get("result") == "ok", r)
    check("a silent call ends after anchor-timeout", calls_gone(40, 0.25))
    t = stats().get("totalstatistics", {})
    check("... counted as a timeout", t.get("timeoutsessions") == 1, t)
    # anchor-ng-cache-time=1: a reply answers retransmissions for 1 s, then
    # the same cookie is a new request
    before = stats().get("controlstatistics", {}).get("retransmissions", 0)
    r1 = ng({"command": "ping"}, cookie="cachetime1")
    r2 = ng({"command": "ping"}, cookie="cachetime1")
    mid = stats().get("controlstatistics", {}).get("retransmissions", 0)
    check("within anchor-ng-cache-time the same cookie is answered from the cache",
          r1 == r2 == {"result": "pong"} and mid == before + 1, (r1, r2, before, mid))
    time.sleep(2.5)
    r3 = ng({"command": "ping"}, cookie="cachetime1")
    after = stats().get("controlstatistics", {}).get("retransmissions", 0)
    check("after anchor-ng-cache-time the same cookie is a new request",
          r3 == {"result": "pong"} and after == mid, (r3, mid, after))


{"main": mode_main, "interface": mode_interface, "final": mode_final, "limit": mode_limit, "allow": mode_allow, "timeout": mode_timeout}[MODE]()
check_exit()
