#!/usr/bin/python3
"""fake_ng.py PORTFILE LOGFILE MODE: a tiny ng server for test_ng_tool.sh.

Binds 127.0.0.1 on a free port (written to PORTFILE), logs each datagram as
a JSON line (cookie, format, decoded request, raw bytes) and, by MODE:
"serve" answers in the request's format (special call-ids pick odd
replies), "dropfirst" ignores the first datagram and answers pong to later
ones, "mute" never answers. It exits by itself after 60 s.
"""
import json
import os
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import bencode  # noqa: E402

portfile, logfile, mode = sys.argv[1:4]
SDP = "v=0\r\no=- 1 2 IN IP4 203.0.113.9\r\ns=fake\r\nc=IN IP4 203.0.113.9\r\nt=0 0\r\n" \
      "m=audio 40000 RTP/AVP 0\r\n"
TRICKY = {"result": "ok", "s": b'q"b\\s\x01\n\t\xc3\xa9\xff', "n": -9223372036854775808,
          "l": [1, [], {}], "e": b""}


def reply_for(req):
    cmd, cid = req.get("command"), req.get("call-id")
    if cmd == "ping":
        return {"result": "pong"}
    if cid == "err":
        return {"result": "error", "error-reason": "Unknown call-id"}
    if cid == "warn":
        return {"result": "ok", "warning": "Unknown flag"}
    if cid == "tricky":
        return TRICKY
    if cmd in ("offer", "answer") and cid != "nosdp":
        return {"result": "ok", "sdp": SDP}
    if cmd == "list":
        return {"result": "ok", "calls": ["a@x", "b@x"]}
    return {"result": "ok"}


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.5)
with open(portfile + ".new", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(portfile + ".new", portfile)
seen = 0
deadline = time.time() + 60
while time.time() < deadline:
    try:
        data, peer = s.recvfrom(65536)
    except socket.timeout:
        continue
    seen += 1
    cookie, _, body = data.partition(b" ")
    fmt = "json" if body.lstrip().startswith(b"{") else "bencode"
    req = json.loads(body) if fmt == "json" else bencode.decode(body)[0]
    with open(logfile, "a") as f:
        f.write(json.dumps({"cookie": cookie.decode(), "fmt": fmt, "req": req,
                            "raw": data.decode("latin-1")}) + "\n")
    if mode == "mute" or (mode == "dropfirst" and seen == 1):
        continue
    rep = reply_for(req) if mode == "serve" else {"result": "pong"}
    out = json.dumps(rep).encode() if fmt == "json" else bencode.encode(rep)
    cid = req.get("call-id")
    if cid == "wrongcookie":
        s.sendto(b"not" + cookie + b" " + out, peer)
    elif cid == "badreply":
        out = b"d3:abc"
    elif cid == "notdict":
        out = b"l2:oke"
    s.sendto(cookie + b" " + out, peer)
