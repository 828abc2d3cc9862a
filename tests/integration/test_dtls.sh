#!/bin/sh
# test_dtls.sh BUILD_DIR: DTLS against our turnserver on
# loopback (RFC 6347 §4.2.1, RFC 7983 §7). 300 ClientHellos without a
# cookie, each from its own port, each get a HelloVerifyRequest carrying a
# cookie and no session is made (the server logs every session it makes);
# a ClientHello with a forged cookie gets a fresh HelloVerifyRequest and no
# session; garbage with a DTLS first byte, a truncated ClientHello and an
# oversized record get no answer at all; plain STUN on the same port still
# answers; a client that does the cookie round trip and then goes silent
# gets the server's flight again (RFC 6347 §4.2.4) and its session is closed
# when the handshake bound (max-allocate-timeout, here below 10 s) ends; with max-tcp-connections-per-ip 2, the server still takes coturn's
# uclient -S (two sessions) after all that: no state was held for the flood;
# our own turnutils_uclient -S relays with channels and with Send (DTLS 1.2,
# certificate checked against the test CA); one killed without close_notify
# and started again from the same port gets a new session (RFC 6347 §4.2.8);
# after SIGUSR2 with a certificate of another CA, new sessions carry it. Then the server
# stops with status 0. One "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

check() { tl_check "$1" "$2" "$tmp/out"; }

base=$(tl_free_port_block 40) || { echo "FAIL: no free port block"; exit 1; }
srv=$base tls=$((base + 1)) minp=$((base + 10)) maxp=$((base + 39))
scripts=$(dirname "$0")/../../scripts
"$scripts/test-cert" "$tmp" >"$tmp/out" 2>&1
tl_setup test_cert_made '[ -s "$tmp/server.pem" ]' "$tmp/out"
tl_start_turnserver "$srv" "$minp" "$maxp" --tls-listening-port "$tls" \
	--cert "$tmp/server.pem" --pkey "$tmp/server.key" --max-tcp-connections-per-ip 2 \
	--rfc5766-channel-numbers --max-allocate-timeout 2
tl_wait_log "$tmp/server.log" "ready:" "$srv_pid"
tl_server_output
tl_setup server_ready 'grep -q "ready:" "$tmp/server.log"' "$tmp/out"

for t in turnutils_uclient turnutils_peer; do
	[ -x "/usr/bin/$t" ] || { echo "FAIL: coturn_installed (/usr/bin/$t: apt-get install coturn)"; exit 1; }
done
hello=$(dirname "$0")/../fuzz/corpus/dtls/client_hello
timeout 60 python3 - "$srv" "$hello" >"$tmp/out" 2>&1 <<'PY'
import socket, struct, sys

port, hello = int(sys.argv[1]), open(sys.argv[2], "rb").read()
srv = ("127.0.0.1", port)


def ask(data, wait=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(data, srv)
    try:
        return s.recv(4096)
    except socket.timeout:
        return None
    finally:
        s.close()


def hvr_cookie(r):
    # record header 13, handshake header 12, server_version 2, cookie<0..255>
    if not r or len(r) < 28 or r[0] != 22 or r[1] != 0xFE or r[13] != 3:
        return None
    n = r[27]
    return r[28:28 + n] if len(r) == 28 + n else None


ok = 0
for _ in range(300):
    if hvr_cookie(ask(hello)) is not None:
        ok += 1
print("cookieless_hvr", ok)

# the same hello with a forged 20-byte cookie: the body grows by 20
body = bytearray(hello)
off = 13 + 12 + 2 + 32
off += 1 + body[off]  # session_id
assert body[off] == 0
body[off:off + 1] = bytes([20]) + b"\x5a" * 20
mlen = len(body) - 25
body[14:17] = mlen.to_bytes(3, "big")
body[22:25] = mlen.to_bytes(3, "big")
body[11:13] = struct.pack("!H", len(body) - 13)
print("forged_hvr", 1 if hvr_cookie(ask(bytes(body))) is not None else 0)

silent = 0
for bad in (b"\x16", b"\x16\xfe\xfd" + b"\x00" * 20, hello[:40],
            b"\x17\xfe\xfd" + b"\x00" * 8 + b"\xff\xff" + b"\x00" * 100,
            bytes([63]) * 200, bytes([20]) * 13):
    if ask(bad, 0.3) is None:
        silent += 1
print("bad_silent", silent)

# a STUN Binding request on the same port
req = struct.pack("!HHI12s", 1, 0, 0x2112A442, b"dtlsplain123")
r = ask(req)
print("plain_binding", 1 if r and r[:2] == b"\x01\x01" else 0)
PY
rc=$?
check dtls_cookieless_hellos_get_hello_verify_request '[ $rc -eq 0 ] && grep -q "^cookieless_hvr 300$" "$tmp/out"'
check dtls_forged_cookie_gets_hello_verify_request 'grep -q "^forged_hvr 1$" "$tmp/out"'
check dtls_garbage_truncated_oversized_get_no_answer 'grep -q "^bad_silent 6$" "$tmp/out"'
check plain_stun_on_the_same_port_answers 'grep -q "^plain_binding 1$" "$tmp/out"'
tl_server_output
check dtls_no_session_without_cookie_round_trip '! grep -q "DTLS session from" "$tmp/server.log"'

# the cookie round trip, then silence: the flight comes again, then the end
timeout 30 python3 - "$srv" "$hello" >"$tmp/out" 2>&1 <<'PY'
import socket, struct, sys, time

port, hello = int(sys.argv[1]), open(sys.argv[2], "rb").read()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
s.sendto(hello, ("127.0.0.1", port))
r = s.recv(4096)
cookie = r[28:28 + r[27]]
body = bytearray(hello)
off = 13 + 12 + 2 + 32
off += 1 + body[off]
body[off:off + 1] = bytes([len(cookie)]) + cookie
mlen = len(body) - 25
body[14:17] = mlen.to_bytes(3, "big")
body[22:25] = mlen.to_bytes(3, "big")
body[17:19] = struct.pack("!H", 1)  # message_seq 1 (RFC 6347 §4.2.2)
body[10] = 1  # record sequence 1
body[11:13] = struct.pack("!H", len(body) - 13)
s.sendto(bytes(body), ("127.0.0.1", port))
flights, end = 0, time.time() + 6
while time.time() < end:
    try:
        d = s.recv(4096)
    except socket.timeout:
        continue
    if d[0] == 22 and d[13] == 2:  # a ServerHello starts the flight
        flights += 1
print("server_hello_flights", flights)
PY
tl_wait_log "$tmp/server.log" "closed: handshake not done within 2 s" "$srv_pid"
rc=$?
check dtls_silent_handshake_flight_is_resent 'grep -qE "^server_hello_flights ([2-9]|[1-9][0-9])" "$tmp/out"'
tl_server_output
check dtls_silent_handshake_closed_at_its_bound '[ $rc -eq 0 ]'

# our uclient, then coturn's: a real DTLS client gets in (per-IP cap 2: nothing was held)
/usr/bin/turnutils_peer -p $((base + 2)) -L 127.0.0.1 >"$tmp/peer.log" 2>&1 &
pids="$pids $!"
for mode in "channel:" "send:-s"; do
	# shellcheck disable=SC2086
	tl_run "$bin/turnutils_uclient" -S ${mode#*:} -v -E "$tmp/ca.pem" -u alice -w secret -m 2 \
		-n 20 -l 160 -p "$tls" -e 127.0.0.1 -r $((base + 2)) 127.0.0.1
	check "our_uclient_dtls_${mode%%:*}_40_received_0_lost" \
		'[ $rc -eq 0 ] && grep -q "^messages received: 40 " "$tmp/out" &&
		 grep -q "^DTLS: ALPN stun.turn, DTLSv1.2$" "$tmp/out"'
done
# RFC 6347 §4.2.8: a client killed without close_notify starts again from
# the same port: the new handshake replaces the old session
lp=$((base + 5)) # coturn's peer also binds base+3
timeout -s KILL 3 "$bin/turnutils_uclient" -S -u alice -w secret -n 2 -L "127.0.0.1:$lp" \
	--hold 30 -p "$tls" -e 127.0.0.1 -r $((base + 2)) 127.0.0.1 >"$tmp/out" 2>&1
tl_run "$bin/turnutils_uclient" -S -u alice -w secret -n 5 -L "127.0.0.1:$lp" \
	-p "$tls" -e 127.0.0.1 -r $((base + 2)) 127.0.0.1
check dtls_restarted_client_on_same_port_gets_new_session \
	'[ $rc -eq 0 ] && grep -q "^messages received: 5 " "$tmp/out" &&
	 grep -q "replaced: the client started a new handshake" "$tmp/server.log"'
tl_run /usr/bin/turnutils_uclient -S -c -u alice -w secret -m 1 -n 10 -l 120 \
	-p "$tls" -e 127.0.0.1 -r $((base + 2)) 127.0.0.1
check dtls_client_gets_in_after_the_flood '[ $rc -eq 0 ] && grep -q "tot_recv_msgs=10\$" "$tmp/out"'
# SIGUSR2: new DTLS sessions get the new certificate (cookie callbacks and all)
mkdir "$tmp/new"
"$scripts/test-cert" "$tmp/new" >"$tmp/out" 2>&1
tl_setup new_cert_made '[ -s "$tmp/new/server.pem" ]' "$tmp/out"
cp "$tmp/new/server.pem" "$tmp/server.pem" && cp "$tmp/new/server.key" "$tmp/server.key"
kill -USR2 "$srv_pid"
tl_wait_log "$tmp/server.log" "reloaded" "$srv_pid"
tl_run "$bin/turnutils_uclient" -S -E "$tmp/new/ca.pem" -u alice -w secret -n 5 \
	-p "$tls" -e 127.0.0.1 -r $((base + 2)) 127.0.0.1
check dtls_after_sigusr2_new_certificate '[ $rc -eq 0 ] && grep -q "^messages received: 5 " "$tmp/out"'
tl_run "$bin/turnutils_uclient" -S -E "$tmp/ca.pem" -u alice -w secret -n 5 \
	-p "$tls" -e 127.0.0.1 -r $((base + 2)) 127.0.0.1
check dtls_after_sigusr2_old_ca_refused '[ $rc -eq 1 ] && grep -q "failed 1" "$tmp/out"'
tl_check_turnserver_stops server_exits_0_on_sigterm
exit $failed
