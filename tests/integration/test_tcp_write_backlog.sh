#!/bin/sh
# tier: full
# test_tcp_write_backlog.sh BUILD_DIR: the server writes a TCP or TLS
# client's frames at once while nothing is queued and through libevent's
# output buffer once the socket is full (tcp_tls_writev(): over TLS a record
# OpenSSL could not send stays pending and is finished from that buffer).
# For TLS and for plain TCP: a client with a 4 KiB receive buffer
# allocates, permits a UDP peer of its own and stops reading while the peer
# sends 3000 numbered 1200-byte datagrams to its relayed address; then it
# reads everything: every frame is an intact Data indication (the pattern
# checked), their numbers only go up (past what the server dropped at its
# 1 MiB queue bound), at least 200 came, and a Refresh on the same
# connection still succeeds. Then 80000 Binding requests go out without a
# read, and the client reads the answers: each is whole and answers a later
# request than the one before (the server drops answers past its 1 MiB
# output bound, never reorders them), at least 50000 came (more than the
# socket holds: the later ones waited in the output buffer, over TLS behind
# a record OpenSSL left pending), and a Refresh still succeeds. Stops
# cleanly. About 10 s.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

tl_start_tls_turnserver --unauth-req-rate 0

# backlog tls|tcp: the client above, its verdict lines into $tmp/out
backlog() {
	timeout 60 python3 - "$1" "$base" "$(dirname "$0")/.." >"$tmp/out" 2>&1 <<'EOF'
import hashlib, select, socket, ssl, struct, sys, time
mode, port = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, sys.argv[3])
from pylib import stun as S

N, SIZE = 3000, 1200
c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
c.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
c.settimeout(5)
c.connect(("127.0.0.1", port))
if mode == "tls":
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    c = ctx.wrap_socket(c)
buf = b""

def frame():
    """The next whole frame from the stream, or None after 5 s."""
    global buf
    end = time.monotonic() + 5
    while time.monotonic() < end:
        n = S.frame_len(buf)
        if 0 < n <= len(buf):
            f, buf = buf[:n], buf[n:]
            return f
        try:
            d = c.recv(65536)
        except socket.timeout:
            return None
        if not d:
            return None
        buf += d
    return None

def frames(count):
    """Up to count frames from the stream, parsed, until one does not come."""
    for _ in range(count):
        f = frame()
        if f is None:
            return
        yield S.parse_first(f)

def request(method, attrs, key=None):
    msg, tid = S.msg(S.mtype(method, S.REQUEST), attrs, key=key)
    c.sendall(msg)
    for p in frames(N + 10):
        if p and p[2] == tid:
            return p
    return None

tr = (S.A_TRANSPORT, bytes([17, 0, 0, 0]))
p = request(S.ALLOCATE, [tr])
realm, nonce = p[3][S.A_REALM], p[3][S.A_NONCE]
key = hashlib.md5(b"alice:" + realm + b":secret").digest()
cred = [(S.A_USERNAME, b"alice"), (S.A_REALM, realm), (S.A_NONCE, nonce)]
p = request(S.ALLOCATE, [tr] + cred, key)
relay = S.unxor_addr(p[3][S.A_RELAYED])
peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
peer.bind(("127.0.0.1", 0))
p = request(S.CREATE_PERM, [(S.A_PEER, S.xor_addr(*peer.getsockname()))] + cred, key)
print("permitted", p is not None and p[1] == S.SUCCESS)

# the client reads nothing while the peer sends
for i in range(N):
    body = struct.pack("!I", i) + bytes((i + k) & 0xFF for k in range(SIZE - 4))
    peer.sendto(body, relay)
    if i % 100 == 99:
        time.sleep(0.002)
time.sleep(0.5)

got, last, intact, ordered = 0, -1, True, True
for q in frames(N):
    if not q or q[0] != S.DATA or q[1] != S.INDICATION or S.A_DATA not in q[3]:
        intact = False
        break
    d = q[3][S.A_DATA]
    i = struct.unpack("!I", d[:4])[0] if len(d) == SIZE else -1
    if i < 0 or d[4:] != bytes((i + k) & 0xFF for k in range(SIZE - 4)):
        intact = False
        break
    if i <= last:
        ordered = False
    last = i
    got += 1
    if i == N - 1:
        break
print("received", got, "last", last)
print("frames_intact", intact)
print("numbers_only_go_up", ordered)
print("enough_came", got >= 200)
p = request(S.REFRESH, [(S.A_LIFETIME, struct.pack("!I", 600))] + cred, key)
print("refresh_after_backlog", p is not None and p[1] == S.SUCCESS)

# answers: B Binding requests sent without reading, then every answer read back
B = 80000
tids = []
c.settimeout(10)
for k in range(0, B, 500):
    batch = [S.binding_request() for _ in range(500)]
    tids += [m[8:20] for m in batch]
    c.sendall(b"".join(batch))
c.settimeout(5)
index = {t: k for k, t in enumerate(tids)}
answered, last, whole, ordered = 0, -1, True, True
for q in frames(B):
    k = index.get(q[2], -1) if q and q[1] == S.SUCCESS else -1
    if k < 0:
        whole = False
        break
    ordered = ordered and k > last
    last = k
    answered += 1
    if k == B - 1:
        break
print("answers", answered, "of", B, "last", last)
print("answers_whole", whole)
print("answers_in_order", ordered)
print("answers_past_the_socket", answered >= 50000)
p = request(S.REFRESH, [(S.A_LIFETIME, struct.pack("!I", 600))] + cred, key)
print("refresh_after_answers", p is not None and p[1] == S.SUCCESS)
EOF
}

for m in tls tcp; do
	backlog $m
	for c in permitted frames_intact numbers_only_go_up enough_came refresh_after_backlog \
		answers_whole answers_in_order answers_past_the_socket refresh_after_answers; do
		tl_check "${m}_$c" "grep -q '^$c True\$' '$tmp/out'" "$tmp/out"
	done
done

tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
