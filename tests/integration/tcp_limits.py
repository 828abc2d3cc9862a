#!/usr/bin/python3
"""tcp_limits.py MODE PORT [SERVER_PID LOG...]: TURN-over-TCP clients that
try to exhaust a running turnserver on 127.0.0.1:PORT before they have an
allocation. Prints one "PASS: name" or "FAIL: name" line per check. MODE:
  caps      the server runs with the default max-tcp-connections-per-ip
            (128): 128 connections from 127.0.0.1 are served, the next one
            is closed, 127.0.0.2 still connects and is served
  deadline  the server runs with max-allocate-timeout=2: a connection that
            sends a Binding every half second is closed anyway
  noread    12 connections send 60000 Bindings each and never read the answers: the
            server's RSS grows by less than 4 MiB (not checked under ASan,
            whose quarantine keeps freed memory resident), and a new client
            is served afterwards
  fdlimit   the server runs with 64 file descriptors: 100 connections
            exhaust them; for 3 s the server uses less than 0.5 s of CPU
            and writes fewer than 100 log lines, and once they close a new
            client is served
Only 127.0.0.1 and 127.0.0.2 are used; every loop is bounded.
"""
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.stun import binding_request as binding  # noqa: E402

MODE, PORT = sys.argv[1], int(sys.argv[2])


def connect(src="127.0.0.1", rcvbuf=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.settimeout(5)
    s.connect(("127.0.0.1", PORT))
    return s


def served(s, timeout=5.0):
    """True when a Binding on s gets its success response."""
    req = binding()
    try:
        s.settimeout(timeout)
        s.sendall(req)
        buf = b""
        while len(buf) < 20:
            chunk = s.recv(4096)
            if not chunk:
                return False
            buf += chunk
        return struct.unpack("!H", buf[:2])[0] == 0x0101 and buf[8:20] == req[8:20]
    except OSError:
        return False


def closed_by_server(s, timeout=5.0):
    """True when the server closes s (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        return s.recv(4096) == b""
    except ConnectionResetError:
        return True
    except OSError:
        return False


def mode_caps():
    conns = []
    try:
        for _ in range(128):
            conns.append(connect())
        check("128 connections from one address are served", served(conns[-1]))
        conns.append(connect())
        # Each relay thread accepts from its own SO_REUSEPORT socket, so the
        # 129th may be accepted before an earlier one still queued on the
        # other thread's socket: whichever comes last past the cap is closed.
        refused = [s for s in conns if not served(s)]
        check("the next one from that address is closed (max-tcp-connections-per-ip)",
              len(refused) == 1 and closed_by_server(refused[0], timeout=1.0))
        check("the first connections are still served",
              sum(1 for s in conns if s not in refused) == 128)
        other = connect("127.0.0.2")
        conns.append(other)
        check("another address still connects and is served", served(other))
    finally:
        for s in conns:
            s.close()


def mode_deadline():
    s = connect()
    check("a connection without an allocation is served at first", served(s))
    start = time.monotonic()
    closed = False
    for _ in range(40):  # 20 s at most; the deadline is 2 s
        if not served(s, timeout=2.0):
            closed = True
            break
        time.sleep(0.5)
    check("a connection sending a Binding every 0.5 s is closed at max-allocate-timeout",
          closed, "still open after %.1f s" % (time.monotonic() - start))
    s.close()


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def mode_noread(pid, asan):
    warm = connect()
    for _ in range(200):
        served(warm)
    warm.close()
    time.sleep(0.5)
    before = rss_kib(pid)
    conns = [connect(rcvbuf=4096) for _ in range(12)]
    batch = binding() * 1000
    for _ in range(60):  # 60000 Bindings a connection, answers never read
        for s in conns:
            s.settimeout(10)
            s.sendall(batch)
    # the server has read them all when a fresh client's Binding is answered
    probe = connect()
    served(probe, timeout=10)
    time.sleep(1)
    grown = rss_kib(pid) - before
    if asan:
        check("server alive after clients that never read (RSS not checked under ASan)",
              served(probe))
    else:
        check("clients that never read grow the server's RSS by less than 4 MiB",
              grown < 4096, "grew by %d KiB" % grown)
    probe.close()
    for s in conns:
        s.close()
    s = connect()
    check("a new client is served after them", served(s))
    s.close()


def cpu_s(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_lines(paths):
    n = 0
    for p in paths:
        try:
            with open(p, "rb") as f:
                n += f.read().count(b"\n")
        except OSError:
            pass
    return n


def mode_fdlimit(pid, logs):
    conns = []
    for _ in range(100):
        try:
            conns.append(connect())
        except OSError:
            break
    time.sleep(1)
    cpu0, lines0 = cpu_s(pid), log_lines(logs)
    time.sleep(3)
    cpu, lines = cpu_s(pid) - cpu0, log_lines(logs) - lines0
    check("out of descriptors, the server does not spin on accept()", cpu < 0.5,
          "%.2f s of CPU in 3 s" % cpu)
    check("out of descriptors, the log stays small", lines < 100, "%d lines in 3 s" % lines)
    for s in conns:
        s.close()
    ok = False
    for _ in range(10):  # the listeners come back within 250 ms
        time.sleep(0.3)
        try:
            s = connect()
        except OSError:
            continue
        ok = served(s)
        s.close()
        if ok:
            break
    check("once descriptors are free again a new client is served", ok)


if MODE == "caps":
    mode_caps()
elif MODE == "deadline":
    mode_deadline()
elif MODE == "noread":
    mode_noread(int(sys.argv[3]), sys.argv[4] == "1")
elif MODE == "fdlimit":
    mode_fdlimit(int(sys.argv[3]), sys.argv[4:])
else:
    sys.exit("unknown mode " + MODE)
check_exit()
