"""A party's media socket: receive with a timeout, drain, and receive media
while answering the anchor's connectivity checks on the way."""
import socket
import time

from pylib import stun


def sock(port=0, ip="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    s.settimeout(1.0)
    return s


def recv(s, timeout=1.0):
    """(data, source) of the next datagram, (None, None) after timeout."""
    s.settimeout(timeout)
    try:
        return s.recvfrom(65535)
    except socket.timeout:
        return None, None


def drain(s, wait=0.3):
    """Every datagram s gets until it has been quiet for wait seconds."""
    out = []
    while True:
        d, _ = recv(s, wait)
        if d is None:
            return out
        out.append(d)


def recv_media(s, pwd, timeout=2.0):
    """The next non-STUN datagram on s; STUN requests on the way are answered with pwd."""
    end = time.time() + timeout
    while time.time() < end:
        data, src = recv(s, end - time.time())
        if data is None:
            return None
        if data[0] < 4 and len(data) >= 20 and stun.parse(data)[0] == stun.BINDING_REQUEST:
            stun.answer_check(s, data, src, pwd)
            continue
        if data[0] < 4:
            continue
        return data
    return None
