#!/usr/bin/python3
"""flood.py: malformed and random traffic against a running TURN server.

Used by test_flood.sh. For a bounded time (--seconds) and at most
--max-datagrams UDP datagrams, paced at --rate per second, it sends from
several source ports: random bytes of random lengths, STUN headers with
broken attributes (bad lengths, attributes past the end, too many, wrong
cookie, bad FINGERPRINT / MESSAGE-INTEGRITY), ChannelData with wrong lengths
and unbound channel numbers, truncated messages, bit-flipped copies of real
Binding / Allocate / Refresh / CreatePermission / ChannelBind requests, and
Allocate requests with random user names and nonces. Two authenticated
clients (one UDP, one TCP) hold real allocations and send broken ChannelData
and Send indications through them while sockets of ours act as peers and
send random datagrams to their relay addresses. A TCP thread sends garbage,
partial frames, huge lengths then closes, and opens and closes many
connections. Datagrams only ever go to the server's listening port, to our
own relay addresses, and (relayed by the server) to sockets of ours.

At the end it checks the server still answers a Binding, deletes the UDP
allocation (Refresh 0) and makes the server drop the TCP one by sending
garbage on its connection. With --source the unauthenticated flood comes
from that address (the allocations from 127.0.0.1), and at the end an
Allocate without credentials from each source shows whether it still gets
its 401 (the per-source budget). It prints "key=value" lines for the test and
exits 0, or 1 when its own setup or teardown failed.

Standard library only. Every loop is bounded in count and in time.
"""
import argparse
import hashlib
import os
import random
import select
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import stun  # noqa: E402
from pylib.stun import (MAGIC, BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERM,  # noqa: E402
                        CHANNEL_BIND, REQUEST, INDICATION, SUCCESS, ERROR, A_USERNAME, A_MI,
                        A_ERROR, A_UNKNOWN, A_CHANNEL, A_LIFETIME, A_PEER, A_DATA, A_REALM,
                        A_NONCE, A_RELAYED, A_FAMILY, A_EVEN_PORT, A_TRANSPORT, A_DONT_FRAG,
                        A_MI256, A_PW_ALG, A_USERHASH, A_XOR_MAPPED, A_TOKEN, A_PRIORITY,
                        A_USE_CAND, A_PADDING, A_RESP_PORT, A_CONN_ID, A_ADD_FAMILY, A_PW_ALGS,
                        A_SOFTWARE, A_FINGERPRINT, mtype, attr, error_code, xor_addr,
                        unxor_addr, channeldata, frame_len)

ALL_ATTRS = [0x01, 0x03, A_USERNAME, A_MI, A_ERROR, A_UNKNOWN, A_CHANNEL, A_LIFETIME,
             A_PEER, A_DATA, A_REALM, A_NONCE, A_RELAYED, A_FAMILY, A_EVEN_PORT,
             A_TRANSPORT, A_DONT_FRAG, A_MI256, A_PW_ALG, A_USERHASH, A_XOR_MAPPED,
             A_TOKEN, A_PRIORITY, A_USE_CAND, A_PADDING, A_RESP_PORT, A_CONN_ID,
             A_ADD_FAMILY, 0x8001, A_PW_ALGS, 0x8003, 0x8004, A_SOFTWARE, 0x8023,
             0x8027, A_FINGERPRINT, 0x8029, 0x802A, 0x802B, 0x802C]
METHODS = [BINDING, ALLOCATE, REFRESH, SEND, DATA, CREATE_PERM, CHANNEL_BIND, 0x00A,
           0x00B, 0x00C, 0x002, 0x005, 0xFFF]
IO_ERRORS = (OSError, socket.timeout)


# ---- codec: pylib.stun's, with method and class apart

def header(method, cls, body_len, tid, cookie=MAGIC):
    return stun.header(mtype(method, cls), body_len, tid, cookie)


def build(method, cls, attrs, tid=None, key=None, fingerprint=False):
    """A well-formed message; MESSAGE-INTEGRITY (HMAC-SHA1) with key, then FINGERPRINT."""
    return stun.encode(mtype(method, cls), b''.join(attrs), tid, key, fingerprint)


parse = stun.parse_first


# ---- an authenticated client holding a real allocation

class TurnClient:
    def __init__(self, server, port, tcp, user, password):
        self.tcp = tcp
        self.user = user.encode()
        self.password = password.encode()
        self.realm = b''
        self.nonce = b''
        self.key = None
        self.relay = None
        self.rbuf = b''
        self.received = 0
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
        self.sock.settimeout(3)
        self.sock.connect((server, port))
        self.sock.setblocking(False)

    def send(self, data):
        if self.tcp:
            self.sock.setblocking(True)
            self.sock.settimeout(3)
            try:
                self.sock.sendall(data)
            finally:
                self.sock.setblocking(False)
        else:
            self.sock.send(data)

    def frames(self, timeout):
        """Frames received within timeout (at most 64); [] on timeout; None on EOF."""
        r, _, _ = select.select([self.sock], [], [], timeout)
        if not r:
            return []
        if not self.tcp:
            out = []
            for _ in range(64):
                try:
                    out.append(self.sock.recv(65536))
                except BlockingIOError:
                    break
            return out
        try:
            data = self.sock.recv(262144)
        except BlockingIOError:
            return []
        except ConnectionResetError:
            return None
        if not data:
            return None
        self.rbuf += data
        out = []
        for _ in range(4096):
            n = frame_len(self.rbuf)
            if n <= 0 or n > len(self.rbuf):
                break
            out.append(self.rbuf[:n])
            self.rbuf = self.rbuf[n:]
        return out

    def transact(self, msg, tries=4, wait=0.7):
        """The response to msg (matched by transaction id), or None."""
        tid = msg[8:20]
        for _ in range(tries if not self.tcp else 1):
            self.send(msg)
            deadline = time.monotonic() + (wait if not self.tcp else 3 * wait)
            for _ in range(1000):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                fr = self.frames(left)
                if fr is None:
                    return None
                for f in fr:
                    p = parse(f)
                    if p and p[2] == tid and p[1] in (SUCCESS, ERROR):
                        return p
                    self.received += 1
        return None

    def request(self, method, attrs):
        """An authenticated request; learns realm and nonce from 401/438."""
        p = None
        for _ in range(3):
            if self.key is None:
                p = self.transact(build(method, REQUEST, attrs))
            else:
                cred = [attr(A_USERNAME, self.user), attr(A_REALM, self.realm),
                        attr(A_NONCE, self.nonce)]
                p = self.transact(build(method, REQUEST, attrs + cred, key=self.key,
                                        fingerprint=True))
            if p is None or p[1] == SUCCESS or error_code(p[3]) not in (401, 438):
                return p
            self.realm = p[3].get(A_REALM, self.realm)
            self.nonce = p[3].get(A_NONCE, self.nonce)
            self.key = hashlib.md5(self.user + b':' + self.realm + b':' + self.password).digest()
        return p

    def signed(self, method, cls, attrs, tid=None):
        cred = [attr(A_USERNAME, self.user), attr(A_REALM, self.realm), attr(A_NONCE, self.nonce)]
        return build(method, cls, attrs + cred, tid=tid, key=self.key, fingerprint=True)

    def allocate(self):
        p = self.request(ALLOCATE, [attr(A_TRANSPORT, bytes([17, 0, 0, 0])),
                                    attr(A_LIFETIME, struct.pack('!I', 600))])
        if p and p[1] == SUCCESS:
            self.relay = unxor_addr(p[3].get(A_RELAYED))
        return self.relay is not None

    def ok(self, method, attrs):
        p = self.request(method, attrs)
        return p is not None and p[1] == SUCCESS

    def drain(self):
        for _ in range(64):
            fr = self.frames(0)
            if not fr:
                return
            self.received += len(fr)


# ---- generators of malformed datagrams

class Gen:
    def __init__(self, rng, templates, auth_templates, nonce, realm):
        self.r = rng
        self.templates = templates            # valid unauthenticated messages
        self.auth_templates = auth_templates  # (message, end of MESSAGE-INTEGRITY)
        self.nonce = nonce
        self.realm = realm

    def rand_bytes(self, lo=0, hi=1500):
        return os.urandom(self.r.randint(lo, hi))

    def random_datagram(self):
        return self.rand_bytes()

    def bad_attr(self):
        r = self.r
        t = r.choice(ALL_ATTRS + [r.randrange(0x10000)])
        k = r.randrange(12)
        if k == 0:      # length past the end of the message
            return struct.pack('!HH', t, r.randint(5, 0xFFFF)) + os.urandom(r.randint(0, 8))
        if k == 1:      # odd length, no padding
            v = os.urandom(r.choice([1, 2, 3, 5, 7]))
            return struct.pack('!HH', t, len(v)) + v
        if k == 2:      # zero length
            return struct.pack('!HH', t, 0)
        if k == 3:      # address attribute of a wrong size or family
            return attr(r.choice([A_PEER, A_RELAYED, A_XOR_MAPPED, 0x01, 0x802B, 0x8023]),
                        bytes([0, r.choice([0, 1, 2, 3, 0xFF])]) + os.urandom(r.choice(
                            [0, 2, 4, 6, 14, 18, 30])))
        if k == 4:      # integer attribute of a wrong size
            return attr(r.choice([A_LIFETIME, A_CHANNEL, A_TRANSPORT, A_FAMILY, A_EVEN_PORT,
                                  A_TOKEN, A_PW_ALG, A_PRIORITY, A_CONN_ID, A_ERROR,
                                  A_FINGERPRINT, A_MI, A_MI256, A_USERHASH]),
                        os.urandom(r.choice([0, 1, 2, 3, 5, 6, 7, 9, 16, 31, 33, 64])))
        if k == 5:      # long strings
            return attr(r.choice([A_USERNAME, A_REALM, A_NONCE, A_SOFTWARE, 0x8003]),
                        os.urandom(r.choice([128, 255, 256, 513, 763, 1000])))
        if k == 6:      # PASSWORD-ALGORITHMS with inner lengths that lie
            inner = b''.join(struct.pack('!HH', r.randrange(4), r.choice([0, 1, 4, 200, 0xFFFF]))
                             for _ in range(r.randint(1, 6)))
            return attr(A_PW_ALGS, inner)
        if k == 7:      # UNKNOWN-ATTRIBUTES, odd sizes
            return attr(A_UNKNOWN, os.urandom(r.choice([1, 2, 3, 6, 40])))
        if k == 8:      # comprehension-required unknown attribute (420 path)
            return attr(r.choice([0x0002, 0x0004, 0x0005, 0x0030, 0x7FFF]), os.urandom(4))
        if k == 9:      # out-of-range values
            return attr(r.choice([A_CHANNEL, A_LIFETIME, A_TRANSPORT, A_FAMILY, A_ADD_FAMILY]),
                        r.choice([b'\xff\xff\0\0', b'\0\0\0\0', b'\x3f\xff\0\0',
                                  b'\x80\0\0\0', b'\x03\0\0\0', b'\x06\0\0\0']))
        if k == 10:     # a DATA attribute as big as it can get
            return attr(A_DATA, os.urandom(r.randint(0, 1400)))
        return attr(t, os.urandom(r.randint(0, 40)))

    def stun_garbage(self):
        r = self.r
        method = r.choice(METHODS)
        cls = r.choice([REQUEST, REQUEST, REQUEST, INDICATION, SUCCESS, ERROR])
        tid = os.urandom(12)
        n = r.choice([1, 2, 3, 5, 10, 49, 60, 200])  # above 48: too many attributes
        body = b''.join(self.bad_attr() if r.random() < 0.5 else attr(
            r.choice(ALL_ATTRS), os.urandom(r.choice([0, 4, 8, 12]))) for _ in range(n))
        body = body[:1460]
        k = r.randrange(10)
        if k == 0:      # attribute after FINGERPRINT
            body = attr(A_FINGERPRINT, os.urandom(4)) + attr(A_SOFTWARE, b'x')
        elif k == 1:    # FINGERPRINT with a wrong CRC
            body = attr(A_SOFTWARE, b'flood') + attr(A_FINGERPRINT, os.urandom(4))
        elif k == 2:    # MESSAGE-INTEGRITY that does not verify, after good credentials
            body = (attr(A_USERNAME, os.urandom(8).hex().encode()) + attr(A_REALM, self.realm)
                    + attr(A_NONCE, self.nonce) + attr(A_TRANSPORT, b'\x11\0\0\0')
                    + attr(r.choice([A_MI, A_MI256]), os.urandom(r.choice([20, 32, 19, 0]))))
        length = len(body)
        lk = r.randrange(8)
        if lk == 0:
            length = r.randrange(0x10000)                   # anything
        elif lk == 1:
            length = (len(body) + 4 * r.randint(1, 64)) & 0xFFFF  # past the datagram
        elif lk == 2:
            length = max(0, len(body) - 4 * r.randint(1, 8))    # trailing bytes
        elif lk == 3:
            length = len(body) | r.choice([1, 2, 3])           # not a multiple of 4
        cookie = MAGIC if r.random() < 0.85 else r.choice([0, 0x2112A443, r.getrandbits(32)])
        return header(method, cls, length & 0xFFFF, tid, cookie) + body

    def channel_garbage(self):
        r = self.r
        number = r.choice([0x4000, 0x4001, 0x4FFF, 0x5000, 0x7FFF,
                           r.randint(0x4000, 0x7FFF)])
        data = os.urandom(r.randint(0, 1400))
        k = r.randrange(5)
        if k == 0:
            return channeldata(number, data, len(data) + r.randint(1, 0xFFFF))  # past the end
        if k == 1:
            return channeldata(number, data, r.randint(0, len(data)), pad=False)
        if k == 2:
            return struct.pack('!HH', number, r.randrange(0x10000))[:r.randint(1, 4)]
        if k == 3:
            return channeldata(number, data, pad=False)
        return channeldata(number, data)

    def truncated(self):
        m, _ = self.any_template()
        return m[:self.r.randrange(len(m))]

    def any_template(self):
        if self.auth_templates and self.r.random() < 0.6:
            return self.r.choice(self.auth_templates)
        return self.r.choice(self.templates), None

    def mutated(self, keep_head=False):
        """A real request with 1..8 bits flipped; a signed one always gets at
        least one flip inside what its MESSAGE-INTEGRITY covers, so none of
        them can authenticate and create state. keep_head: no flips in the
        type, length and cookie, so a stream's framing stays sound."""
        m, mi_end = self.any_template()
        b = bytearray(m)
        first = 8 if keep_head else 0
        flips = self.r.randint(1, 8)
        for i in range(flips):
            limit = mi_end if (mi_end and i == 0) else len(b)
            pos = self.r.randrange(first, limit)
            b[pos] ^= 1 << self.r.randrange(8)
        return bytes(b)

    def bad_auth(self):
        """Allocate with a random user name, nonce, realm or USERHASH: 401/438 paths."""
        r = self.r
        k = r.randrange(5)
        user = os.urandom(r.randint(1, 24)).hex().encode()
        nonce = self.nonce if k in (0, 3) else os.urandom(r.randint(1, 60)).hex().encode()[:763]
        realm = self.realm if k != 2 else os.urandom(6).hex().encode()
        attrs = [attr(A_TRANSPORT, b'\x11\0\0\0'), attr(A_REALM, realm), attr(A_NONCE, nonce)]
        if k == 3:
            attrs.append(attr(A_USERHASH, os.urandom(32)))
        else:
            attrs.append(attr(A_USERNAME, user))
        if k == 4:
            attrs.append(attr(A_PW_ALG, struct.pack('!HH', r.choice([1, 2, 3]), 0)))
        return build(ALLOCATE, REQUEST, attrs, key=os.urandom(16),
                     fingerprint=r.random() < 0.5)


# ---- the TCP part (own thread)

class TcpFlood(threading.Thread):
    def __init__(self, server, port, deadline, max_conns, rng, source=None):
        super().__init__(daemon=True)
        self.server, self.port, self.deadline, self.max_conns = server, port, deadline, max_conns
        self.source = source
        self.r = rng
        self.t0 = time.monotonic()
        self.stats = dict(tcp_conns=0, tcp_connect_errors=0, tcp_garbage=0,
                          tcp_garbage_closed=0, tcp_binding=0, tcp_binding_answered=0,
                          tcp_burst_conns=0, tcp_burst_answered=0)

    def conn(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(3)
        try:
            if self.source:
                s.bind((self.source, 0))
            s.connect((self.server, self.port))
        except IO_ERRORS:
            self.stats['tcp_connect_errors'] += 1
            s.close()
            return None
        self.stats['tcp_conns'] += 1
        return s

    @staticmethod
    def close(s, reset=False):
        if reset:   # RST instead of FIN
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
        s.close()

    @staticmethod
    def reads(s, timeout):
        """Yields what s receives until timeout has passed (1000 reads at
        most): b'' once at EOF or reset, then nothing; another error ends it."""
        end = time.monotonic() + timeout
        for _ in range(1000):
            left = end - time.monotonic()
            if left <= 0:
                return
            s.settimeout(left)
            try:
                d = s.recv(65536)
            except ConnectionResetError:
                d = b''
            except IO_ERRORS:
                return
            yield d
            if not d:
                return

    @staticmethod
    def wait_eof(s, timeout):
        return any(not d for d in TcpFlood.reads(s, timeout))

    @staticmethod
    def binding_answered(s, tid, timeout):
        buf = b''
        for d in TcpFlood.reads(s, timeout):
            if not d:
                return False
            buf += d
            for _ in range(100):
                n = frame_len(buf)
                if n <= 0 or n > len(buf):
                    break
                p = parse(buf[:n])
                if p and p[2] == tid and p[1] == SUCCESS:
                    return True
                buf = buf[n:]
        return False

    def binding_check(self, s, prefix=b'', chunks=1):
        """Sends prefix then a Binding in chunks; counts whether it is answered."""
        tid = os.urandom(12)
        m = prefix + build(BINDING, REQUEST, [], tid=tid)
        self.stats['tcp_binding'] += 1
        step = max(1, len(m) // chunks)
        try:
            for i in range(0, len(m), step):
                s.sendall(m[i:i + step])
                if chunks > 1:
                    time.sleep(0.002)
        except IO_ERRORS:
            return
        if self.binding_answered(s, tid, 3):
            self.stats['tcp_binding_answered'] += 1

    def one(self, kind):
        r = self.r
        if kind == 'burst':     # many connections at once, a Binding on each
            socks = []
            for _ in range(r.randint(20, 60)):
                s = self.conn()
                if s:
                    socks.append(s)
            tids = []
            for s in socks:
                tid = os.urandom(12)
                tids.append(tid)
                try:
                    s.sendall(build(BINDING, REQUEST, [], tid=tid))
                except IO_ERRORS:
                    pass
            for s, tid in zip(socks, tids):
                self.stats['tcp_burst_conns'] += 1
                if self.binding_answered(s, tid, 3):
                    self.stats['tcp_burst_answered'] += 1
            for s in socks:
                self.close(s, reset=r.random() < 0.7)
            return
        s = self.conn()
        if not s:
            return
        try:
            if kind == 'garbage':   # not a STUN/ChannelData first byte: server must close
                self.stats['tcp_garbage'] += 1
                s.sendall(bytes([r.randint(0x80, 0xFF)]) + self.rand(1, 3000))
                if self.wait_eof(s, 3):
                    self.stats['tcp_garbage_closed'] += 1
            elif kind == 'random':
                s.sendall(self.rand(1, 4000))
            elif kind == 'partial':
                m = build(BINDING, REQUEST, [attr(A_SOFTWARE, b'partial')])
                s.sendall(m[:r.randint(1, len(m) - 1)])
            elif kind == 'huge_stun':   # a length of almost 64 KiB, then close early
                s.sendall(header(BINDING, REQUEST, 0xFFFC, os.urandom(12))
                          + self.rand(0, 60000))
            elif kind == 'huge_channel':
                s.sendall(struct.pack('!HH', r.randint(0x4000, 0x7FFF), 0xFFFF)
                          + self.rand(0, 60000))
            elif kind == 'full_channel':    # a whole 64 KiB frame, no allocation: then Binding
                self.binding_check(s, prefix=channeldata(0x4000, os.urandom(0xFFFF)))
            elif kind == 'fragmented':      # a Binding trickled in pieces
                self.binding_check(s, chunks=r.randint(2, 20))
            elif kind == 'bad_then_binding':  # framed STUN with broken attributes, then Binding
                body = attr(A_LIFETIME, b'\0') + struct.pack('!HH', A_DATA, 200)
                self.binding_check(s, prefix=header(REFRESH, REQUEST, len(body) + 4,
                                                    os.urandom(12)) + body + b'\0' * 4)
            elif kind == 'connect_only':
                pass
        except IO_ERRORS:
            pass
        self.close(s, reset=r.random() < 0.7)  # most by RST: fewer TIME_WAIT ports

    def rand(self, lo, hi):
        return os.urandom(self.r.randint(lo, hi))

    def run(self):
        kinds = ['garbage', 'random', 'partial', 'huge_stun', 'huge_channel', 'full_channel',
                 'fragmented', 'bad_then_binding', 'connect_only', 'connect_only', 'burst']
        for i in range(self.max_conns):
            if time.monotonic() >= self.deadline or self.stats['tcp_conns'] >= self.max_conns:
                break
            self.one(kinds[i % len(kinds)] if i < len(kinds) else self.r.choice(kinds))
            time.sleep(0.015)
        self.stats['tcp_elapsed_s'] = round(time.monotonic() - self.t0, 1)


# ---- main

def gets_401(srv, source):
    """True when an Allocate without credentials from source is answered 401."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.bind((source, 0))
    s.connect(srv)
    try:
        for _ in range(3):
            tid = os.urandom(12)
            s.send(build(ALLOCATE, REQUEST, [attr(A_TRANSPORT, b'\x11\0\0\0')], tid=tid))
            try:
                p = parse(s.recv(2048))
            except IO_ERRORS:
                continue
            if p and p[2] == tid:
                return p[1] == ERROR and error_code(p[3]) == 401
        return False
    finally:
        s.close()


def any_gets_401(socks, tries=2, wait=0.5):
    """True when an Allocate without credentials sent on any of socks (connected,
    non-blocking) is answered 401. The budget of unauthenticated errors is kept
    per source IP in each relay thread, and the kernel spreads a source's ports
    over the threads' SO_REUSEPORT sockets: asking on the flood's own sockets
    asks exactly the threads the flood reached, whatever a new port would hash to."""
    for s in socks:  # what the flood left unread
        try:
            while s.recv(2048):
                pass
        except IO_ERRORS:
            pass
    for _ in range(tries):
        tids = {}
        for s in socks:
            tid = os.urandom(12)
            tids[tid] = s
            try:
                s.send(build(ALLOCATE, REQUEST, [attr(A_TRANSPORT, b'\x11\0\0\0')], tid=tid))
            except IO_ERRORS:
                pass
        end = time.monotonic() + wait
        while time.monotonic() < end:
            ready, _, _ = select.select(socks, [], [], max(0.0, end - time.monotonic()))
            for s in ready:
                try:
                    p = parse(s.recv(2048))
                except IO_ERRORS:
                    continue
                if p and p[2] in tids and p[1] == ERROR and error_code(p[3]) == 401:
                    return True
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--server', default='127.0.0.1')
    ap.add_argument('--port', type=int, required=True)
    ap.add_argument('--user', required=True)
    ap.add_argument('--password', required=True)
    ap.add_argument('--seconds', type=float, default=20)
    ap.add_argument('--max-datagrams', type=int, default=400000)
    ap.add_argument('--rate', type=int, default=10000, help='datagrams per second')
    ap.add_argument('--sources', type=int, default=8, help='flooding UDP source ports')
    ap.add_argument('--max-tcp-conns', type=int, default=3000)
    ap.add_argument('--no-tcp', action='store_true')
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('--source', default=None,
                    help='address the unauthenticated flood (UDP, TCP, probes) comes from; '
                         'the two allocations come from the default source')
    a = ap.parse_args()

    seed = a.seed if a.seed is not None else int.from_bytes(os.urandom(4), 'big')
    print('seed=%d' % seed, flush=True)
    rng = random.Random(seed)
    errors = []
    srv = (a.server, a.port)

    # Setup: a UDP and a TCP client with allocations, a permission for
    # 127.0.0.1 and channels to sockets of ours (the "peers").
    peers = []
    for _ in range(4):
        p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        p.bind(('127.0.0.1', 0))
        p.setblocking(False)
        peers.append(p)
    peer_addrs = [p.getsockname() for p in peers]
    clients = []
    for tcp in (False, True):
        try:
            c = TurnClient(a.server, a.port, tcp, a.user, a.password)
        except IO_ERRORS as e:
            errors.append('connect %s: %s' % ('tcp' if tcp else 'udp', e))
            continue
        if not c.allocate():
            errors.append('%s allocation failed' % ('tcp' if tcp else 'udp'))
            continue
        if not c.ok(CREATE_PERM, [attr(A_PEER, xor_addr(*peer_addrs[0]))]):
            errors.append('CreatePermission failed')
        for i, pa in enumerate(peer_addrs):
            if not c.ok(CHANNEL_BIND, [attr(A_CHANNEL, struct.pack('!HH', 0x4000 + i, 0)),
                                       attr(A_PEER, xor_addr(*pa))]):
                errors.append('ChannelBind failed')
        clients.append(c)
    if errors:
        for e in errors:
            print('error=%s' % e)
        return 1
    udp_c = clients[0]
    realm, nonce, key = udp_c.realm, udp_c.nonce, udp_c.key

    # Templates for bit flips: real requests as a client sends them.
    tr = attr(A_TRANSPORT, b'\x11\0\0\0')
    peer_attr = attr(A_PEER, xor_addr(*peer_addrs[0]))
    templates = [build(BINDING, REQUEST, []), build(BINDING, REQUEST, [], fingerprint=True),
                 build(ALLOCATE, REQUEST, [tr]),
                 build(SEND, INDICATION, [peer_attr, attr(A_DATA, b'hello flood')])]
    auth_templates = []
    for method, attrs in ((ALLOCATE, [tr, attr(A_LIFETIME, b'\0\0\2\x58')]),
                          (REFRESH, [attr(A_LIFETIME, b'\0\0\0\0')]),
                          (CREATE_PERM, [peer_attr]),
                          (CHANNEL_BIND, [attr(A_CHANNEL, b'\x40\x10\0\0'), peer_attr])):
        m = udp_c.signed(method, REQUEST, attrs)
        auth_templates.append((m, len(m) - 8))  # MI ends where FINGERPRINT begins
    gen = Gen(rng, templates, auth_templates, nonce, realm)

    flooders = []
    for _ in range(a.sources):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        if a.source:
            s.bind((a.source, 0))
        s.connect(srv)
        s.setblocking(False)
        flooders.append(s)
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    if a.source:
        probe.bind((a.source, 0))
    probe.connect(srv)
    probe.setblocking(False)

    stats = dict(udp_sent=0, udp_send_errors=0, responses=0, probes=0, probes_answered=0,
                 peer_sent=0, client_sent=0)
    codes = {}
    start = time.monotonic()
    deadline = start + a.seconds
    tcp = None
    if not a.no_tcp:
        tcp = TcpFlood(a.server, a.port, deadline, a.max_tcp_conns, random.Random(seed + 1),
                       a.source)
        tcp.start()

    def flood_kind():
        x = rng.random()
        if x < 0.15:
            return gen.random_datagram()
        if x < 0.40:
            return gen.stun_garbage()
        if x < 0.50:
            return gen.channel_garbage()
        if x < 0.58:
            return gen.truncated()
        if x < 0.85:
            return gen.mutated()
        return gen.bad_auth()

    def through_allocation():
        """Broken traffic on the 5-tuples that own allocations, and peer data to them."""
        c = rng.choice(clients)
        x = rng.random()
        if x < 0.35:        # random datagram from a peer socket to the relay address
            p = rng.choice(peers)
            n = rng.choice([0, 1, 4, 100, 1000, 1400, rng.randint(0, 1500), 9000, 65000])
            try:
                p.sendto(os.urandom(n), c.relay)
                stats['peer_sent'] += 1
            except IO_ERRORS:
                pass
            return
        if x < 0.70:
            m = gen.channel_garbage()
            if c.tcp:   # keep the stream's framing sound: only well-framed ChannelData
                d = os.urandom(rng.randint(0, 1400))
                m = channeldata(rng.choice([0x4000, 0x4003, 0x4004, 0x4FFF, 0x7FFF]), d)
        elif x < 0.80:      # Send indications, good and broken
            k = rng.randrange(4)
            pa = xor_addr(*rng.choice(peer_addrs)) if k != 1 else xor_addr('127.0.0.2', 9)
            attrs = [attr(A_PEER, pa)] if k != 2 else []
            if k != 3:
                attrs.append(attr(A_DATA, os.urandom(rng.randint(0, 1200))))
            m = build(SEND, INDICATION, attrs)
        elif x < 0.90:      # valid re-sent requests (transaction cache), bit-flipped ones
            m = (udp_c.signed(CREATE_PERM, REQUEST, [peer_attr], tid=b'flood-retran')
                 if c is udp_c and rng.random() < 0.5 else gen.mutated(keep_head=c.tcp))
        else:
            m = gen.stun_garbage() if not c.tcp else build(BINDING, REQUEST, [])
        try:
            c.send(m)
            stats['client_sent'] += 1
        except IO_ERRORS:
            pass

    pending_probe = None
    i = 0
    for i in range(a.max_datagrams):
        now = time.monotonic()
        if now >= deadline:
            break
        ahead = i / a.rate - (now - start)
        if ahead > 0:
            time.sleep(min(ahead, 0.05))
        if i % 10 == 9:
            through_allocation()
        else:
            try:
                rng.choice(flooders).send(flood_kind())
                stats['udp_sent'] += 1
            except IO_ERRORS:
                stats['udp_send_errors'] += 1
        if i % 64 == 0:
            for s in flooders:
                for _ in range(256):
                    try:
                        p = parse(s.recv(65536))
                    except IO_ERRORS:
                        break
                    stats['responses'] += 1
                    code = 'ok' if p and p[1] == SUCCESS else str(error_code(p[3]) if p else 0)
                    codes[code] = codes.get(code, 0) + 1
            for c in clients:
                c.drain()
            for p in peers:
                for _ in range(256):
                    try:
                        p.recv(65536)
                    except IO_ERRORS:
                        break
        if i % 2000 == 0:   # liveness: a Binding every 2000 datagrams, 1 s to answer
            for _ in range(16):
                try:
                    p = parse(probe.recv(2048))
                except IO_ERRORS:
                    break
                if p and pending_probe and p[2] == pending_probe[0]:
                    stats['probes_answered'] += 1
                    pending_probe = None
            if pending_probe is None or now - pending_probe[1] > 1:
                tid = os.urandom(12)
                try:
                    probe.send(build(BINDING, REQUEST, [], tid=tid))
                except IO_ERRORS:
                    pass
                stats['probes'] += 1
                pending_probe = (tid, now)
    stats['elapsed_s'] = round(time.monotonic() - start, 1)
    if pending_probe:
        r, _, _ = select.select([probe], [], [], 1)
        for _ in range(16):
            try:
                p = parse(probe.recv(2048))
            except IO_ERRORS:
                break
            if p and p[2] == pending_probe[0]:
                stats['probes_answered'] += 1
    if tcp:
        tcp.join(timeout=15)
        if tcp.is_alive():
            errors.append('TCP part did not finish')
        stats.update(tcp.stats)

    # Teardown: Binding answered; the UDP allocation deleted; the TCP
    # connection closed by the server when it sends garbage.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(1)
    s.connect(srv)
    answered = False
    for _ in range(3):
        tid = os.urandom(12)
        s.send(build(BINDING, REQUEST, [], tid=tid))
        try:
            p = parse(s.recv(2048))
            answered = bool(p and p[2] == tid and p[1] == SUCCESS)
        except IO_ERRORS:
            continue
        if answered:
            break
    stats['binding_after'] = int(answered)
    # A delete whose answer came after a retransmission is answered 437
    # (RFC 8656 §7.3: the allocation is gone); so check that it is gone.
    zero = [attr(A_LIFETIME, b'\0\0\0\0')]
    deleted = udp_c.ok(REFRESH, zero)
    p = udp_c.request(REFRESH, zero)
    gone = p is not None and p[1] == ERROR and error_code(p[3]) == 437
    stats['udp_alloc_deleted'] = int(gone)
    stats['udp_alloc_delete_answered_ok'] = int(deleted)
    if len(clients) > 1:
        tc = clients[1]
        tid = os.urandom(12)
        p = tc.transact(build(BINDING, REQUEST, [], tid=tid))
        stats['tcp_client_alive'] = int(bool(p and p[1] == SUCCESS))
        closed = False
        try:
            tc.send(b'\xff' * 20)
            end = time.monotonic() + 3
            for _ in range(1000):
                left = end - time.monotonic()
                if left <= 0:
                    break
                if tc.frames(left) is None:
                    closed = True
                    break
        except IO_ERRORS:
            closed = True
        stats['tcp_alloc_closed'] = int(closed)
    stats['relayed_to_clients'] = sum(c.received for c in clients)
    if a.source:
        # The budget of unauthenticated errors is per source IP: the
        # flooding source has spent its own (asked on its own sockets), the
        # clients' source still gets its 401.
        stats['unauth_401_flood_source'] = int(any_gets_401(flooders))
        stats['unauth_401_client_source'] = int(gets_401(srv, '127.0.0.1'))
    for k, v in stats.items():
        print('%s=%s' % (k, v))
    print('codes=%s' % ','.join('%s:%d' % kv for kv in sorted(codes.items())))
    for e in errors:
        print('error=%s' % e)
    for c in clients:
        c.sock.close()
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
