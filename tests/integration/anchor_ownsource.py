#!/usr/bin/python3
"""anchor_ownsource.py MODE NG_PORT MIN MAX LISTEN_PORT: the ng socket's
own-source rule. A SIP proxy on the relay's own address whose source port
falls in the relay range, but is no live relay or media socket, is
answered; a datagram from the server's listening socket (bound here beside
the server's with SO_REUSEPORT) is dropped and counted as `ownsource`.
Prints one "PASS: name" or "FAIL: name" line per check. The ng client and
statistics helpers are tests/pylib's.
"""
import os
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402

MODE, NG, PMIN, PMAX = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
client = nglib.Client(NG)
ng, stats = client.request, client.statistics

LISTEN = int(sys.argv[5])
ANCHOR = "127.0.0.1"


def ask(s, cookie):
    """Sends a ping from s; the reply, or None within half a second."""
    s.settimeout(0.5)
    for _ in range(2):  # one retransmission, as a SIP proxy does
        s.sendto(cookie + b" d7:command4:pinge", (ANCHOR, NG))
        try:
            return s.recv(65535)
        except socket.timeout:
            continue
    return None


def own_count():
    return stats().get("controlstatistics", {}).get("ownsource", 0)


def mode_main():
    # --- a free port of the relay range on the relay's address
    proxy = None
    for p in range(PMAX, PMIN - 1, -1):
        try:
            proxy = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            proxy.bind((ANCHOR, p))
            break
        except OSError:
            proxy.close()
            proxy = None
    before = own_count()
    reply = ask(proxy, b"rangeport1") if proxy else None
    check("an ng request from a relay-range port that is no live relay socket is answered",
          reply is not None and b"pong" in reply, reply)
    check("... and not counted as own source", own_count() == before, (before, own_count()))

    # --- the server's own listening socket
    lsn = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    lsn.bind((ANCHOR, LISTEN))
    before = own_count()
    ask(lsn, b"listening1")
    after = own_count()
    check("an ng request from the listening socket is dropped and counted", after > before,
          (before, after))
    r = ng({"command": "ping"})
    check("the SIP proxy's own requests are still answered", r == {"result": "pong"}, r)


{"main": mode_main}[MODE]()
check_exit()
