#!/usr/bin/python3
"""anchor_batch.py MODE NG_PORT MIN MAX PID PROM_PORT: the anchor forwards a
burst with batched sends (udp_batch.h). A call with ICE removed; the
server is stopped (SIGSTOP) while the caller sends 12 RTP packets, so that
one recvmmsg() takes them all when it goes on; the callee gets all 12 whole
and in order, and the anchor's metrics grew by one receive and one send
call for the 12 (MODE gso: all 12 as UDP GSO segments; MODE mmsg, a server
with no-udp-gso: none). Prints one "PASS: name" or "FAIL: name" line per
check. The ng client is tests/pylib's.
"""
import os
import re
import signal
import socket
import struct
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.media import drain  # noqa: E402
from pylib.sdp import m_port  # noqa: E402

MODE, NG, PID, PROM = sys.argv[1], int(sys.argv[2]), int(sys.argv[5]), int(sys.argv[6])
ng = nglib.Client(NG).request
ANCHOR = "127.0.0.1"
PARTY = "127.0.0.2"  # not the server's address: a destination judged once, not per packet
BURST = 12
NAMES = ("recv_calls", "recv_datagrams", "send_calls", "send_datagrams", "gso_segments")


def usock():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((PARTY, 0))
    return s


def rtp(seq):
    return struct.pack("!BBHII", 0x80, 0, seq, seq * 160, 0xB2B2B2B2) + bytes([seq]) * 160


def sdp(port):
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n") % (
                PARTY, PARTY, port)


def counters():
    with urllib.request.urlopen(f"http://127.0.0.1:{PROM}/metrics", timeout=5) as r:
        text = r.read().decode()
    m = dict(re.findall(r"^turnserver_anchor_udp_(\w+)_total (\d+)$", text, re.M))
    return {k: int(m.get(k, -1)) for k in NAMES}


def stopped():
    """Every thread of the server is stopped (state T)."""
    tasks = os.listdir(f"/proc/{PID}/task")
    for t in tasks:
        with open(f"/proc/{PID}/task/{t}/stat") as f:
            if f.read().rsplit(")", 1)[1].split()[0] not in ("T", "t"):
                return False
    return True


def mode_run():
    caller, callee = usock(), usock()
    r1 = ng({"command": "offer", "call-id": "batch", "from-tag": "a",
             "sdp": sdp(caller.getsockname()[1]), "ICE": "remove"}) or {}
    r2 = ng({"command": "answer", "call-id": "batch", "from-tag": "a", "to-tag": "b",
             "sdp": sdp(callee.getsockname()[1]), "ICE": "remove"}) or {}
    if not check("the call is set up", "sdp" in r1 and "sdp" in r2, (r1, r2)):
        return
    a_port = m_port(r2["sdp"])
    # the caller's first packet latches its source; the callee gets it
    caller.sendto(rtp(0), (ANCHOR, a_port))
    callee.settimeout(2.0)
    try:
        first = callee.recv(2048)
    except socket.timeout:
        first = b""
    check("a first packet is forwarded", first == rtp(0), len(first))
    drain(callee)

    before = counters()
    os.kill(PID, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        while not stopped() and time.monotonic() - t0 < 5:
            time.sleep(0.01)
        for seq in range(1, BURST + 1):
            caller.sendto(rtp(seq), (ANCHOR, a_port))
    finally:
        os.kill(PID, signal.SIGCONT)
    got = []
    callee.settimeout(2.0)
    for _ in range(BURST):
        try:
            got.append(callee.recv(2048))
        except socket.timeout:
            break
    check(f"the callee gets the {BURST} packets of the burst whole and in order",
          got == [rtp(s) for s in range(1, BURST + 1)], [len(g) for g in got])
    d = {k: v - before[k] for k, v in counters().items()}
    check("one recvmmsg() took the burst", d["recv_calls"] == 1 and d["recv_datagrams"] == BURST,
          d)
    check("one send call sent the burst", d["send_calls"] == 1 and d["send_datagrams"] == BURST,
          d)
    if MODE == "gso":
        check("... as UDP GSO segments", d["gso_segments"] == BURST, d)
    else:
        check("... with no-udp-gso, by sendmmsg() (no GSO segment)", d["gso_segments"] == 0, d)
    ng({"command": "delete", "call-id": "batch", "from-tag": "a"})


if __name__ == "__main__":
    mode_run()
    check_exit()
