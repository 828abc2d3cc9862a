#!/usr/bin/python3
"""anchor_limits.py MODE NG_PORT MIN MAX BIN_DIR: the media anchor's caps
over the ng protocol (through BIN_DIR/turnutils_ng), against a running turnserver whose ng socket is on
127.0.0.1:NG_PORT and whose relay range is MIN-MAX on 127.0.0.1. Prints
one "PASS: name" or "FAIL: name" line per check. MODE:
  defaults  default options: statistics show anchor-max-sessions (1000)
            and anchor-max-call-ports (16); an offer whose m= lines need
            more than 16 ports is refused with that reason and holds no
            port afterwards; one within the budget is anchored
  share     anchor-port-share=1 (so its floor, 64 ports): four calls of 16
            ports each are anchored, the fifth is refused with that reason
Only 127.0.0.1 is named in the SDPs.
"""
import json
import os
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib.check import check, exit as check_exit  # noqa: E402

MODE, NG, PMIN, PMAX = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
NG_TOOL = os.path.join(sys.argv[5], "turnutils_ng")


def ng(command, *args, sdp_text=None):
    """One ng command through turnutils_ng; the reply dictionary ({} if none)."""
    argv = [NG_TOOL, "-s", "127.0.0.1:%d" % NG, command, *args]
    if sdp_text is not None:
        argv += ["--sdp-file", "-"]
    r = subprocess.run(argv, input=(sdp_text or "").encode(), capture_output=True, timeout=30)
    try:
        return json.loads(r.stdout)
    except ValueError:
        return {}


def sdp(n_media, port=6000):
    """n_media audio lines without rtcp-mux: 4 anchor ports each (RTP+RTCP per side)."""
    head = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
    return head + "".join("m=audio %d RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n"
                          % (port + 2 * i) for i in range(n_media))


def offer(call_id, n_media):
    return ng("offer", "--call-id", call_id, "--from-tag", "a", sdp_text=sdp(n_media))


def delete(call_id):
    return ng("delete", "--call-id", call_id, "--from-tag", "a")


def held_ports():
    """Ports of the relay range that something holds on 127.0.0.1 (UDP)."""
    held = []
    for p in range(PMIN, PMAX + 1):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            s.bind(("127.0.0.1", p))
        except OSError:
            held.append(p)
        finally:
            s.close()
    return held


def mode_defaults():
    cur = ng("statistics").get("statistics", {}).get("currentstatistics", {})
    check("statistics show the default anchor-max-sessions (1000)",
          cur.get("maxsessions") == 1000, cur)
    check("statistics show the default anchor-max-call-ports (16)",
          cur.get("maxcallports") == 16, cur)
    r = offer("big", 8)
    check("an offer needing 32 media ports is refused",
          r.get("result") == "error", r)
    check("... with the reason naming anchor-max-call-ports",
          "anchor-max-call-ports" in r.get("error-reason", ""), r)
    held = held_ports()
    check("... and holds no port afterwards", not held, held)
    r = ng("list")
    check("... nor a call", r.get("calls") == [], r)
    r = offer("fits", 4)
    check("an offer needing 16 media ports is anchored", r.get("result") == "ok", r)
    check("... and holds 16 ports", len(held_ports()) == 16)
    r = delete("fits")
    check("... which delete gives back", r.get("result") == "ok" and not held_ports(), r)


def mode_share():
    for i in range(4):
        r = offer("c%d" % i, 4)
        check("call %d within anchor-port-share (16 of 64 ports)" % (i + 1),
              r.get("result") == "ok", r)
    r = offer("c4", 4)
    check("the fifth call is refused with the reason naming anchor-port-share",
          r.get("result") == "error" and "anchor-port-share" in r.get("error-reason", ""), r)
    check("... and holds no port of its own", len(held_ports()) == 64)
    delete("c0")
    r = offer("c5", 4)
    check("once a call ends, a new one fits again", r.get("result") == "ok", r)


if MODE == "defaults":
    mode_defaults()
elif MODE == "share":
    mode_share()
else:
    sys.exit("unknown mode " + MODE)
check_exit()
