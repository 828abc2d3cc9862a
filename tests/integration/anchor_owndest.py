#!/usr/bin/python3
"""anchor_owndest.py MODE NG_PORT MIN MAX: a destination on the server's own
address is re-checked per packet. Call "a" sends its callee's media to a
media port of call "b" on this server (allowed while that socket is live);
call "b" ends, another program binds the port, and call "a" must send
nothing more there. Prints one "PASS: name" or "FAIL: name" line per check.
The ng client and statistics helpers are tests/pylib's.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.media import drain  # noqa: E402
from pylib.sdp import m_port  # noqa: E402

MODE, NG, PMIN, PMAX = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
client = nglib.Client(NG)
ng, stats = client.request, client.statistics

ANCHOR = "127.0.0.1"


def usock(port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ANCHOR, port))
    return s


def rtp(seq):
    return struct.pack("!BBHII", 0x80, 0, seq & 0xFFFF, seq * 160, 0xA1A1A1A1) + b"\xd5" * 160


def sdp(port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n") % (
                ANCHOR, ANCHOR, port)


def call(cid, a_port, b_port):
    """Offer from a, answer from b, ICE removed: (port a sends to, port b sends to)."""
    r1 = ng({"command": "offer", "call-id": cid, "from-tag": "a", "sdp": sdp(a_port),
             "ICE": "remove"}) or {}
    r2 = ng({"command": "answer", "call-id": cid, "from-tag": "a", "to-tag": "b",
             "sdp": sdp(b_port), "ICE": "remove"}) or {}
    if "sdp" not in r1 or "sdp" not in r2:
        return 0, 0
    return m_port(r2["sdp"]), m_port(r1["sdp"])


def total(key):
    return stats().get("totalstatistics", {}).get(key, 0)


def send(s, port, first, n=5):
    for i in range(n):
        s.sendto(rtp(first + i), (ANCHOR, port))
        time.sleep(0.01)


def mode_main():
    b_caller, b_callee = usock(), usock()
    b_port, _ = call("b", b_caller.getsockname()[1], b_callee.getsockname()[1])
    caller = usock()
    # call a's callee is call b's media port (the caller side's)
    a_port, _ = call("a", caller.getsockname()[1], b_port)
    check("both calls are set up", a_port and b_port, (a_port, b_port))
    if not (a_port and b_port):
        return

    before = total("relayedpackets_user")
    send(caller, a_port, 100)
    time.sleep(0.3)
    after = total("relayedpackets_user")
    check("media goes to the live media port of the other call", after >= before + 5,
          (before, after))

    r = ng({"command": "delete", "call-id": "b"})
    check("call b ends", (r or {}).get("result") == "ok", r)
    squatter = None
    for _ in range(20):  # the port is free once the anchor has closed it
        try:
            squatter = usock(b_port)
            break
        except OSError:
            time.sleep(0.05)
    check("another program binds the closed port", squatter is not None, b_port)
    if squatter is None:
        return
    before = total("droppedpolicy")
    send(caller, a_port, 200)
    got = drain(squatter, 0.5)
    check("call a sends nothing to the port once it is not the server's", not got, len(got))
    after = total("droppedpolicy")
    check("... and counts it as dropped by the policy", after >= before + 5, (before, after))
    ng({"command": "delete", "call-id": "a"})


{"main": mode_main}[MODE]()
check_exit()
