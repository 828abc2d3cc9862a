"""An ng control client (rtpengine's protocol: "COOKIE " + bencode or JSON
over UDP)."""
import json
import random
import socket

from pylib import bencode


def parse(data, encoding=None):
    """(cookie, message) of one ng datagram in either format; the message is
    {"undecodable": why} when it does not decode."""
    cookie, _, body = data.partition(b" ")
    try:
        if body.lstrip().startswith(b"{"):
            msg = json.loads(body)
        else:
            msg = bencode.decode_all(body, encoding)
    except (ValueError, IndexError) as e:
        msg = {"undecodable": str(e)}
    return cookie.decode("latin-1"), msg


def streams(query):
    """Each stream of a query reply (every tag's medias' streams), in order."""
    for t in ((query or {}).get("tags") or {}).values():
        for m in t.get("medias") or []:
            yield from m.get("streams") or []


class Client:
    """Requests to the ng socket at host:port."""

    def __init__(self, port, host="127.0.0.1"):
        self.addr = (host, port)

    def raw(self, data, src="127.0.0.1", timeout=2.0, tries=1):
        """Sends data from src (None: the kernel's choice; tries times while
        unanswered): the reply or None."""
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if src is not None:
            s.bind((src, 0))
        s.settimeout(timeout)
        try:
            for _ in range(tries):
                s.sendto(data, self.addr)
                try:
                    return s.recv(65535)
                except socket.timeout:
                    continue
            return None
        finally:
            s.close()

    def request(self, d, cookie=None, src="127.0.0.1", use_json=False, tries=1):
        """The reply to d (a dict), None without one; a reply with another
        cookie is {"result": "bad cookie ..."}. tries > 1 retransmits the
        same datagram (same cookie) as a proxy does."""
        cookie = cookie or "%x" % random.getrandbits(48)
        body = json.dumps(d).encode() if use_json else bencode.encode(d)
        r = self.raw(cookie.encode() + b" " + body, src, tries=tries)
        if r is None:
            return None
        ck, _, body = r.partition(b" ")
        if ck.decode() != cookie:
            return {"result": "bad cookie " + ck.decode()}
        return json.loads(body) if use_json else bencode.decode(body)[0]

    def statistics(self):
        """The "statistics" dictionary of a statistics request ({} without one)."""
        r = self.request({"command": "statistics"}) or {}
        return r.get("statistics", {})

    def ping(self, timeout=0.2):
        """True when the socket answers a ping with pong."""
        try:
            r = self.raw(b"ping d7:command4:pinge", src=None, timeout=timeout)
        except OSError:
            return False
        return r is not None and b"pong" in r
