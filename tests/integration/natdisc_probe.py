#!/usr/bin/python3
"""natdisc_probe.py SERVER PORT_5780 PORT_PLAIN: the server's side of RFC 5780
on the wire, from a host with no NAT before SERVER (test_natdiscovery.sh
runs it on the router). PORT_5780 is a server with rfc5780 whose other
address is SERVER's pair at PORT_5780 + 1; PORT_PLAIN one without it.
Prints one "PASS: name" or "FAIL: name" line per check.
"""
import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import stun  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402

A_CHANGE_REQUEST, A_RESPONSE_ORIGIN, A_OTHER_ADDRESS = 0x0003, 0x802B, 0x802C


def plain_addr(v):
    """(ip, port) of an IPv4 MAPPED-ADDRESS-style value, or None."""
    if not v or len(v) != 8 or v[1] != 1:
        return None
    return socket.inet_ntoa(v[4:8]), struct.unpack("!H", v[2:4])[0]


def ask(s, dst, attrs, recv=None):
    """Sends a Binding with attrs to dst from s; (answer, source, parsed) that
    came on recv (default s) within a second, or (None, None, None)."""
    recv = recv or s
    req, tid = stun.msg(stun.BINDING_REQUEST, attrs)
    recv.settimeout(0.25)
    for _ in range(4):
        s.sendto(req, dst)
        try:
            while True:
                data, src = recv.recvfrom(4096)
                p = stun.parse_first(data)
                if p and p[2] == tid:
                    return data, src, p
        except socket.timeout:
            continue
    return None, None, None


def main():
    server, port, plain = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 0))
    s2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s2.bind(("0.0.0.0", 0))

    flags = struct.pack("!I", 0x06)
    _, _, p = ask(s, (server, plain), [(A_CHANGE_REQUEST, flags)])
    unknown = p and p[3].get(stun.A_UNKNOWN, b"")
    check("without rfc5780: CHANGE-REQUEST gets 420 with UNKNOWN-ATTRIBUTES 0x0003",
          p is not None and p[1] == stun.ERROR and stun.error_code(p[3]) == 420
          and unknown == struct.pack("!H", A_CHANGE_REQUEST), p)
    _, _, p = ask(s, (server, plain), [])
    check("without rfc5780: a plain Binding has no OTHER-ADDRESS or RESPONSE-ORIGIN",
          p is not None and p[1] == stun.SUCCESS and A_OTHER_ADDRESS not in p[3]
          and A_RESPONSE_ORIGIN not in p[3], p)

    data, src, p = ask(s, (server, port),
                       [(A_CHANGE_REQUEST, flags), (stun.A_PADDING, bytes(1500))])
    ok = p is not None and p[1] == stun.SUCCESS
    origin = ok and plain_addr(p[3].get(A_RESPONSE_ORIGIN))
    check("CHANGE-REQUEST (IP and port) with 1500 bytes of PADDING: answered from the other "
          "address and port, RESPONSE-ORIGIN saying so, PADDING 1500 bytes",
          ok and origin == src and src[1] == port + 1 and src[0] != server
          and len(p[3].get(stun.A_PADDING, b"")) == 1500 and len(data) < 1500 + 120,
          (src, p and {hex(k): len(v) for k, v in p[3].items()}))

    response_port = struct.pack("!HH", s2.getsockname()[1], 0)
    _, src, p = ask(s, (server, port), [(stun.A_RESP_PORT, response_port)], recv=s2)
    mapped = p and stun.unxor_addr(p[3].get(stun.A_XOR_MAPPED))
    check("RESPONSE-PORT: the answer goes to that port, XOR-MAPPED-ADDRESS names the sender",
          p is not None and p[1] == stun.SUCCESS and mapped is not None
          and mapped[1] == s.getsockname()[1] and src == (server, port), (src, mapped))

    _, _, p = ask(s, (server, port), [(A_CHANGE_REQUEST, b"\0\0")])
    check("malformed CHANGE-REQUEST (2 bytes): 400",
          p is not None and p[1] == stun.ERROR and stun.error_code(p[3]) == 400, p)
    _, _, p = ask(s, (server, port), [(stun.A_RESP_PORT, b"\0\0\0\0")])
    check("RESPONSE-PORT 0: 400", p is not None and stun.error_code(p[3]) == 400, p)
    check_exit()


main()
