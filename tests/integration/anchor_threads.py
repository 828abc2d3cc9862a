#!/usr/bin/python3
"""anchor_threads.py NG_PORT PID PROM_PORT: an anchor started with
anchor-num-threads=2 runs two media threads (anchor-media-0 and -1 among
the server's tasks); four calls land two on each (query's "thread", the
turnserver_anchor_thread_calls gauge) and every call forwards RTP both
ways. Prints one "PASS: name" or "FAIL: name" line per check. The ng
client is tests/pylib's.
"""
import os
import re
import socket
import struct
import sys
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.sdp import m_port  # noqa: E402

NG, PID, PROM = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ng = nglib.Client(NG).request
ANCHOR = "127.0.0.1"
CALLS = 4


def usock(ip):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, 0))
    s.settimeout(5.0)  # a datagram that must arrive, on a loaded machine
    return s


def sdp(ip, port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n") % (ip, ip, port)


def rtp(seq):
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0xC3C3C3C3) + bytes(160)


def got(s):
    try:
        return s.recv(2048)[:1] == b"\x80"
    except OSError:
        return False


def task_names():
    names = []
    for t in os.listdir(f"/proc/{PID}/task"):
        with open(f"/proc/{PID}/task/{t}/comm") as f:
            names.append(f.read().strip())
    return names


def thread_gauge():
    with urllib.request.urlopen(f"http://127.0.0.1:{PROM}/metrics", timeout=5) as r:
        text = r.read().decode()
    return {int(k): int(v) for k, v in
            re.findall(r'^turnserver_anchor_thread_calls\{thread="(\d+)"\} (\d+)$', text, re.M)}


names = task_names()
check("two media threads run (anchor-media-0, anchor-media-1)",
      names.count("anchor-media-0") == 1 and names.count("anchor-media-1") == 1 and
      not any(n.startswith("anchor-media-") and n[13:] not in ("0", "1") for n in names), names)

threads, flows = [], []
for i in range(CALLS):
    a, b = usock("127.0.0.2"), usock("127.0.0.3")
    cid = "threads-%d" % i
    r1 = ng({"command": "offer", "call-id": cid, "from-tag": "a",
             "sdp": sdp("127.0.0.2", a.getsockname()[1]), "ICE": "remove"}) or {}
    r2 = ng({"command": "answer", "call-id": cid, "from-tag": "a", "to-tag": "b",
             "sdp": sdp("127.0.0.3", b.getsockname()[1]), "ICE": "remove"}) or {}
    q = ng({"command": "query", "call-id": cid}) or {}
    threads.append(q.get("thread"))
    ok = "sdp" in r1 and "sdp" in r2
    if ok:
        a.sendto(rtp(1), (ANCHOR, m_port(r2["sdp"])))
        b.sendto(rtp(1), (ANCHOR, m_port(r1["sdp"])))
        ok = got(b) and got(a)
    flows.append(ok)
    a.close()
    b.close()

check("query names each call's media thread", all(t in (0, 1) for t in threads), threads)
check("calls spread over both threads, two on each", sorted(threads) == [0, 0, 1, 1], threads)
check("every call forwards RTP both ways", all(flows), flows)
gauge = thread_gauge()
check("turnserver_anchor_thread_calls counts two calls per thread", gauge == {0: 2, 1: 2}, gauge)
for i in range(CALLS):
    ng({"command": "delete", "call-id": "threads-%d" % i, "from-tag": "a"})
gauge = thread_gauge()
check("the gauge is back to zero after delete", gauge == {0: 0, 1: 0}, gauge)
check_exit()
