#!/usr/bin/python3
"""kamtest.py: the small tools of tests/interop/test_kamailio.sh.

Subcommands (all on 127.0.0.1 only, each bounded in time):
  proxy LISTEN_PORT TARGET_PORT LOG READY SECONDS
      a UDP relay between Kamailio's rtpengine module and the anchor's ng
      port: every datagram is passed on unchanged and logged to LOG as one
      JSON line {"dir": "request"|"reply", "cookie", "t", "msg" (decoded),
      "raw" (requests: the datagram, latin-1)}; writes READY once bound;
      exits after SECONDS.
  sdp MSGLOG FIRSTLINE OUT
      writes the body of the last message that sipp's -trace_msg log MSGLOG
      shows as received and whose first line starts with FIRSTLINE
      ("INVITE ", "SIP/2.0 200") to OUT, bytes as received.
  addrs SDP
      prints, one a line, each address the SDP names in o=, c=, a=rtcp:
      and a=candidate (connection address and raddr).
  replay NG_PORT LOG N
      sends the Nth (from 0) offer request of the proxy's LOG again, byte
      for byte but with a new cookie, and prints the decoded reply as JSON.
  info PORT CALL_ID
      sends an INFO for CALL_ID to the sipp caller on PORT: the cue to hang
      up (sipp would send its reply to Kamailio: it sends none).
  rtp A_LOCAL A_ANCHOR B_LOCAL B_ANCHOR COUNT OUT
      plays two parties of a plain RTP call: A (IP:PORT) sends COUNT RTP
      packets to A_ANCHOR, B to B_ANCHOR, 10 ms apart, interleaved; each
      records what reaches it; OUT gets, per party ("a", "b"): sent,
      received, bad (wrong length or payload), sources and ssrcs (space
      separated), distinct_seqs.
  ng LOG CHECK [CALL_ID [FILE]]
      a check on the proxy's LOG, status 0 when it holds, else the reason
      on stderr: kamailio-keys (Kamailio's first offer for CALL_ID has the
      flags as their own keys, supports and received-from), repeated-offer
      (two offers or more for CALL_ID, with different cookies, all answered
      ok with the same SDP), replay (FILE, the reply to a replayed offer,
      has the SDP of the first), deleted (one delete for CALL_ID, answered
      ok), no-warning (no reply has a warning: prints those that do).
  ice OFFER CALLER_SDP CALLER_ANCHOR ANSWER CALLEE_SDP CALLEE_ANCHOR OUT
      plays the ICE agents of call 1 from 127.0.0.1: the browser (full,
      controlling; its credentials in OFFER) checks CALLER_ANCHOR with the
      anchor's credentials from CALLER_SDP, the PBX (controlling toward the
      ICE-lite anchor; ANSWER) checks CALLEE_ANCHOR (CALLEE_SDP); both
      answer the anchor's own checks. Then one check with a wrong password,
      then DTLS-looking datagrams both ways. OUT gets, per agent ("browser",
      "pbx"): addr (its own), check and wrong_pwd (the anchor's response:
      type, code, signed, mapped), anchor_checks and anchor_checks_bad (the
      anchor's requests, and those with a wrong USERNAME or integrity),
      media_received, media_intact, media_sources.
  get FILE PATH
      prints the value at PATH (keys and list indexes joined by ".") in the
      JSON of FILE: strings as they are, anything else as JSON.
  streams FILE
      prints one line per stream of a query reply in FILE: tag, protocol,
      endpoint (IP:PORT or -), packets, bytes.
"""
import json
import os
import select
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
from pylib import ng, sdp, stun  # noqa: E402


def ng_decode(data):
    return ng.parse(data, "latin-1")


def cmd_proxy(listen_port, target_port, log, ready, seconds):
    target = ("127.0.0.1", int(target_port))
    front = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    front.bind(("127.0.0.1", int(listen_port)))
    back = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    back.bind(("127.0.0.1", 0))
    clients = {}
    with open(ready, "w") as f:
        f.write("ready\n")
    deadline = time.monotonic() + float(seconds)
    with open(log, "a") as out:
        while time.monotonic() < deadline:
            r, _, _ = select.select([front, back], [], [], 0.5)
            for s in r:
                data, peer = s.recvfrom(65536)
                cookie, msg = ng_decode(data)
                if s is front:
                    # each Kamailio process has a socket of its own
                    clients[cookie] = peer
                    back.sendto(data, target)
                    what = "request"
                elif cookie in clients:
                    front.sendto(data, clients[cookie])
                    what = "reply"
                else:
                    continue
                rec = {"dir": what, "cookie": cookie, "t": time.time(), "msg": msg}
                if what == "request":
                    rec["raw"] = data.decode("latin-1")
                out.write(json.dumps(rec) + "\n")
                out.flush()


def sipp_messages(path):
    """(direction, text) of each message of a sipp -trace_msg log."""
    text = open(path, "rb").read().decode("latin-1")
    out = []
    for block in text.split("----------------------------------------------- ")[1:]:
        head, _, msg = block.partition("\n\n")
        direction = "received" if "message received" in head else "sent"
        out.append((direction, msg))
    return out


def cmd_sdp(msglog, firstline, outpath):
    found = None
    for direction, msg in sipp_messages(msglog):
        if direction == "received" and msg.startswith(firstline):
            found = msg
    if found is None:
        sys.exit("no received %r in %s" % (firstline, msglog))
    head, sep, body = found.partition("\r\n\r\n")
    if not sep:
        head, sep, body = found.partition("\n\n")
    length = None
    for line in head.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() in ("content-length", "l"):
            length = int(value)
    if length is not None:
        body = body[:length]
    with open(outpath, "wb") as f:
        f.write(body.encode("latin-1"))


def cmd_addrs(path):
    seen = []
    for line in open(path, encoding="latin-1").read().splitlines():
        f = line.split()
        if line.startswith("o=") and len(f) >= 6:
            seen.append(f[5])
        elif line.startswith("c=") and len(f) >= 3:
            seen.append(f[2].split("/")[0])
        elif line.startswith("a=rtcp:") and len(f) >= 4:
            seen.append(f[3])
        elif line.startswith("a=candidate:") and len(f) >= 8:
            seen.append(f[4])
            if "raddr" in f[:-1]:
                seen.append(f[f.index("raddr") + 1])
    for a in seen:
        print(a)


def cmd_replay(ng_port, log, n):
    reqs = [json.loads(line) for line in open(log)]
    offers = [r for r in reqs if r["dir"] == "request" and r["msg"].get("command") == "offer"]
    raw = offers[int(n)]["raw"].encode("latin-1")
    cookie, _, body = raw.partition(b" ")
    new = b"replay" + os.urandom(6).hex().encode()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(2)
    for _ in range(3):
        s.sendto(new + b" " + body, ("127.0.0.1", int(ng_port)))
        try:
            data = s.recv(65536)
        except socket.timeout:
            continue
        got, msg = ng_decode(data)
        if got == new.decode():
            print(json.dumps(msg))
            return
    sys.exit("no reply to the replayed offer")


def cmd_info(port, call_id):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    me = "127.0.0.1:%d" % s.getsockname()[1]
    msg = ("INFO sip:caller@127.0.0.1:%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s;branch=z9hG4bK-info-%s\r\n"
           "From: <sip:test@%s>;tag=test-info\r\n"
           "To: <sip:caller@127.0.0.1:%s>\r\n"
           "Call-ID: %s\r\n"
           "CSeq: 1 INFO\r\n"
           "Max-Forwards: 70\r\n"
           "Content-Length: 0\r\n\r\n") % (port, me, os.urandom(4).hex(), me, port, call_id)
    s.sendto(msg.encode(), ("127.0.0.1", int(port)))


def hostport(s):
    h, _, p = s.rpartition(":")
    return (h, int(p))


def cmd_rtp(a_local, a_anchor, b_local, b_anchor, count, outpath):
    count = int(count)
    parties = {}
    for name, local, anchor, ssrc in (("a", a_local, a_anchor, 0x0A0A0A0A),
                                      ("b", b_local, b_anchor, 0x0B0B0B0B)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(hostport(local))
        s.setblocking(False)
        parties[name] = {"sock": s, "to": hostport(anchor), "ssrc": ssrc,
                         "sent": 0, "got": [], "sources": set(), "bad": 0}

    def payload(ssrc, seq):
        return bytes([(ssrc + seq + i) & 0xff for i in range(160)])

    def drain():
        for name, p in parties.items():
            while True:
                try:
                    data, src = p["sock"].recvfrom(2048)
                except BlockingIOError:
                    break
                p["sources"].add("%s:%d" % src)
                if len(data) != 172:
                    p["bad"] += 1
                    continue
                _, _, seq, _, ssrc = struct.unpack("!BBHII", data[:12])
                if data[12:] != payload(ssrc, seq):
                    p["bad"] += 1
                p["got"].append([ssrc, seq])

    for seq in range(count):
        for p in parties.values():
            hdr = struct.pack("!BBHII", 0x80, 0, seq, seq * 160, p["ssrc"])
            p["sock"].sendto(hdr + payload(p["ssrc"], seq), p["to"])
            p["sent"] += 1
        time.sleep(0.01)
        drain()
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline:
        drain()
        if all(len(p["got"]) >= count for p in parties.values()):
            break
        time.sleep(0.02)
    res = {name: {"sent": p["sent"], "received": len(p["got"]), "bad": p["bad"],
                  "sources": " ".join(sorted(p["sources"])),
                  "ssrcs": " ".join("0x%08x" % x for x in sorted({x[0] for x in p["got"]})),
                  "distinct_seqs": len({x[1] for x in p["got"]})}
           for name, p in parties.items()}
    with open(outpath, "w") as f:
        json.dump(res, f)


def sdp_attr(path, name):
    return sdp.attr(open(path, encoding="latin-1").read(), name)


def xor_addr(v):
    """An IPv4 XOR-MAPPED-ADDRESS value as IP:PORT."""
    a = stun.unxor_addr(v)
    return "%s:%d" % a if a else "?"


def dtls_record(name, n):
    """A DTLS 1.2 handshake record (RFC 6347 §4.1 header) from name, number n."""
    payload = (b"%s-%03d-" % (name.encode(), n)).ljust(48, b"x")
    return struct.pack("!BHHIHH", 22, 0xFEFD, 0, 0, n, len(payload)) + payload


def cmd_ice(offer, caller_sdp, caller_anchor, answer, callee_sdp, callee_anchor, outpath):
    agents = {}
    for name, mine, theirs, anchor, tb in (("browser", offer, caller_sdp, caller_anchor, 1),
                                           ("pbx", answer, callee_sdp, callee_anchor, 2)):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.setblocking(False)
        agents[name] = {
            "sock": s, "addr": "127.0.0.1:%d" % s.getsockname()[1], "to": hostport(anchor),
            "ufrag": sdp_attr(mine, "ice-ufrag"), "pwd": sdp_attr(mine, "ice-pwd"),
            "rufrag": sdp_attr(theirs, "ice-ufrag"), "rpwd": sdp_attr(theirs, "ice-pwd"),
            "tb": struct.pack("!Q", 0x1000 + tb), "pending": {},
            "check": None, "their_checks": 0, "their_checks_bad": 0, "media": [],
            "media_sources": set(), "wrong_pwd": None}

    def send_check(a, key=None, kind="check"):
        tid = os.urandom(12)
        attrs = [(stun.A_USERNAME, ("%s:%s" % (a["rufrag"], a["ufrag"])).encode()),
                 (stun.A_PRIORITY, struct.pack("!I", 1853824767)),
                 (stun.A_ICE_CONTROLLING, a["tb"]), (stun.A_USE_CAND, b"")]
        a["pending"][tid] = kind
        key = key or a["rpwd"].encode()
        a["sock"].sendto(stun.msg(stun.BINDING_REQUEST, attrs, key, tid=tid)[0], a["to"])

    def pump():
        for a in agents.values():
            while True:
                try:
                    data, src = a["sock"].recvfrom(2048)
                except BlockingIOError:
                    break
                src = "%s:%d" % src
                msg = stun.parse(data, strict=True)
                if msg is None:
                    a["media"].append(data)
                    a["media_sources"].add(src)
                    continue
                mtype, tid, attrs = msg
                if mtype == stun.BINDING_REQUEST:
                    # the anchor's own check: USERNAME mine:theirs, my password
                    user = [v for t, v, _ in attrs if t == stun.A_USERNAME]
                    ok = (user == [("%s:%s" % (a["ufrag"], a["rufrag"])).encode()] and
                          stun.mi_and_fingerprint_ok(data, attrs, a["pwd"].encode()))
                    a["their_checks"] += 1
                    if not ok:
                        a["their_checks_bad"] += 1
                        continue
                    xa = stun.xor_addr(*hostport(src))
                    resp, _ = stun.msg(stun.BINDING_SUCCESS, [(stun.A_XOR_MAPPED, xa)],
                                       a["pwd"].encode(), tid=tid)
                    a["sock"].sendto(resp, hostport(src))
                    continue
                kind = a["pending"].pop(tid, None)
                if kind is None:
                    continue
                res = {"type": "0x%04x" % mtype, "source": src}
                errs = [v for t, v, _ in attrs if t == stun.A_ERROR]
                if errs:
                    res["code"] = errs[0][2] * 100 + errs[0][3]
                res["signed"] = stun.mi_and_fingerprint_ok(data, attrs, a["rpwd"].encode())
                res["mapped"] = " ".join(xor_addr(v) for t, v, _ in attrs
                                         if t == stun.A_XOR_MAPPED)
                if kind == "check":
                    a["check"] = res
                else:
                    a["wrong_pwd"] = res

    deadline = time.monotonic() + 5
    tries = 0
    while time.monotonic() < deadline and not all(a["check"] for a in agents.values()):
        if tries % 10 == 0:
            for a in agents.values():
                if not a["check"]:
                    send_check(a)
        tries += 1
        time.sleep(0.02)
        pump()
    send_check(agents["browser"], b"not the password", "wrong-pwd")
    deadline = time.monotonic() + 3
    n = 0
    while time.monotonic() < deadline:
        if n < 100:
            for name, a in agents.items():
                a["sock"].sendto(dtls_record(name, n), a["to"])
            n += 1
        time.sleep(0.02)
        pump()
        if all(len(a["media"]) >= 20 for a in agents.values()) and agents["browser"]["wrong_pwd"]:
            break
    res = {}
    for name, a in agents.items():
        other = "pbx" if name == "browser" else "browser"
        res[name] = {"addr": a["addr"], "check": a["check"], "wrong_pwd": a["wrong_pwd"],
                     "anchor_checks": a["their_checks"],
                     "anchor_checks_bad": a["their_checks_bad"],
                     "media_received": len(a["media"]),
                     "media_intact": all(m in [dtls_record(other, i) for i in range(100)]
                                         for m in a["media"]),
                     "media_sources": " ".join(sorted(a["media_sources"]))}
    with open(outpath, "w") as f:
        json.dump(res, f)


def cmd_ng(log, check, call_id=None, path=None):
    recs = [json.loads(line) for line in open(log)]
    replies = {r["cookie"]: r["msg"] for r in recs if r["dir"] == "reply"}

    def reqs(cmd):
        return [r for r in recs if r["dir"] == "request" and r["msg"].get("command") == cmd
                and r["msg"].get("call-id") == call_id]

    def fail(why):
        sys.exit("%s: %s" % (check, why))

    offers = reqs("offer")
    if check == "kamailio-keys":
        if not offers:
            fail("no offer for %s" % call_id)
        m = offers[0]["msg"]
        want = {"replace": ["origin", "session-connection"],
                "supports": ["load limit"], "received-from": ["IP4", "127.0.0.1"]}
        for k, v in want.items():
            if m.get(k) != v:
                fail("%s is %r, not %r" % (k, m.get(k), v))
        if "ICE" not in m or "flags" in m or "rtpp_flags" in m:
            fail("the flags are not their own keys: %s" % sorted(m))
    elif check == "repeated-offer":
        if len(offers) < 2:
            fail("%d offer(s) for %s" % (len(offers), call_id))
        if len({r["cookie"] for r in offers}) != len(offers):
            fail("cookies repeat")
        if len({r["msg"]["sdp"] for r in offers}) != 1:
            fail("the offers differ")
        got = [replies.get(r["cookie"], {}) for r in offers]
        if any(g.get("result") != "ok" or "sdp" not in g for g in got):
            fail("replies: %r" % [(g.get("result"), g.get("error-reason")) for g in got])
        if len({g["sdp"] for g in got}) != 1:
            fail("the replies carry different SDPs:\n" + "\n----\n".join(g["sdp"] for g in got))
    elif check == "replay":
        got = json.load(open(path))
        first = replies.get(offers[0]["cookie"], {}) if offers else {}
        if got.get("result") != "ok" or got.get("sdp") != first.get("sdp"):
            fail("replayed offer answered %r, the first %r" % (got, first.get("sdp")))
    elif check == "deleted":
        dels = reqs("delete")
        if len(dels) != 1 or replies.get(dels[0]["cookie"], {}).get("result") != "ok":
            fail("deletes and replies: %r" % [replies.get(d["cookie"]) for d in dels])
    elif check == "no-warning":
        warned = [(r["cookie"], r["msg"]["warning"]) for r in recs
                  if r["dir"] == "reply" and "warning" in r["msg"]]
        for w in warned:
            print("  warning to cookie %s: %s" % w)
        if warned:
            fail("%d replies carry a warning" % len(warned))
    else:
        fail("unknown check")


def cmd_get(path, keys):
    v = json.load(open(path, encoding="latin-1"))
    for k in keys.split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
    print(v if isinstance(v, str) else json.dumps(v))


def cmd_streams(path):
    j = json.load(open(path, encoding="latin-1"))
    for tag, t in sorted(j.get("tags", {}).items()):
        for m in t.get("medias", []):
            for st in m.get("streams", []):
                ep = st.get("endpoint")
                print(tag, m.get("protocol"), "%s:%d" % (ep["address"], ep["port"]) if ep else "-",
                      st["stats"]["packets"], st["stats"]["bytes"])


def main():
    cmds = {"proxy": cmd_proxy, "sdp": cmd_sdp, "addrs": cmd_addrs, "replay": cmd_replay,
            "info": cmd_info, "rtp": cmd_rtp, "ice": cmd_ice, "ng": cmd_ng, "get": cmd_get,
            "streams": cmd_streams}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()
