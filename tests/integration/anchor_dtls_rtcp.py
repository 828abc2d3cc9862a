#!/usr/bin/python3
"""anchor_dtls_rtcp.py ANCHOR_NG PEER CERT_DIR: RTCP bridged toward a
DTLS-SRTP party, with and without rtcp-mux on either side (issue 13,
RFC 5764 §4.1). A plain party A (127.0.0.2) offers RTP/AVP; the anchor
offers the DTLS party P (127.0.0.5) UDP/TLS/RTP/SAVPF; P answers with the
certificate of CERT_DIR and its a=setup, and PEER (dtls_peer.c, OpenSSL and
libsrtp2) runs its DTLS associations from P's sockets: one per port, the
RTCP port's own when P does not mux. For a few seconds A sends plain RTP
and RTCP sender reports and P sends SRTP and SRTCP, 50 packets/s each.
Cases (A's RTCP / P's RTCP, P's a=setup, the one DTLS-SRTP profile P offers):
  nomux_p_active   both on their own RTCP ports, P the DTLS client,
                   AES_CM_128_HMAC_SHA1_80;
  nomux_p_passive  the same, the anchor the DTLS client on both ports,
                   AEAD_AES_128_GCM;
  amux_p_nomux     A muxes, P does not, AES_CM_128_HMAC_SHA1_32;
  anomux_p_mux     A does not mux, P does (one association), _80;
  p_offers_nomux   P offers (actpass, no rtcp-mux), A answers: the anchor
                   the DTLS client on both ports, AEAD_AES_128_GCM;
  sdes_nomux, sdes_amux_p_nomux
                   P keyed by SDES instead (RTP/SAVP, DTLS=off, its a=crypto
                   answer): one key for both of P's ports, A without and
                   with rtcp-mux.
Checks per case: every handshake completes with the anchor's certificate
the one its a=fingerprint names, and query names the profile's suite; P unprotects A's RTCP with the keys of
the port it arrives on (none fails) and A's RTP; A gets P's RTCP plain
(exactly the sender report P protected) on its RTCP port, or its RTP port
when muxed, and P's RTP plain; query shows the RTCP association connected
when P does not mux; on delete, P gets a close_notify on every association
(DTLS cases).
Prints one "PASS: name" or "FAIL: name" line per check.
"""
import base64
import hashlib
import os
import select
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.sdp import attr, audio_sdp as sdp, m_port, reply_sdp as text  # noqa: E402

anchor = nglib.Client(int(sys.argv[1]))
PEER, CERT = sys.argv[2], sys.argv[3]
A_IP, P_IP = "127.0.0.2", "127.0.0.5"
SECONDS = 0.5
SSRC_P, SSRC_A = 0x50505050, 0x41414141
SUITES = {"SRTP_AES128_CM_SHA1_80": "AES_CM_128_HMAC_SHA1_80",
          "SRTP_AES128_CM_SHA1_32": "AES_CM_128_HMAC_SHA1_32",
          "SRTP_AEAD_AES_128_GCM": "AEAD_AES_128_GCM"}


def fingerprint_of(pem):
    der = subprocess.run(["openssl", "x509", "-in", pem, "-outform", "DER"],
                         capture_output=True, check=True).stdout
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def udp(ip, port=0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((ip, port))
    return s


def pair(ip):
    """Two sockets on ports N and N+1 (RTP and its RTCP, RFC 3550 §11)."""
    for _ in range(50):
        a = udp(ip)
        try:
            return a, udp(ip, a.getsockname()[1] + 1)
        except OSError:
            a.close()
    raise OSError("no port pair")


def rtcp_port(s):
    v = attr(s, "rtcp")
    return int(v.split()[0]) if v else m_port(s) + 1


def sender_report(ssrc, n):
    return struct.pack("!BBHIQIII", 0x80, 200, 6, ssrc, 0, 0, n, 0)


def rtp(ssrc, seq):
    return struct.pack("!BBHII", 0x80, 0, seq, 0, ssrc) + bytes(160)


def bridged_crypto(cid):
    """query's crypto dict of the bridged side (keying DTLS or SDES)."""
    q = anchor.request({"command": "query", "call-id": cid})
    return next((st["crypto"] for st in nglib.streams(q)
                 if (st.get("crypto") or {}).get("keying") in ("DTLS", "SDES")), {})


def line(proc, prefix, timeout):
    """The peer's next stdout line starting with prefix, None on timeout or exit."""
    end = time.time() + timeout
    while time.time() < end:
        r, _, _ = select.select([proc.stdout], [], [], max(0.0, end - time.time()))
        if not r:
            return None
        got = proc.stdout.readline().decode()
        if not got:
            return None
        if got.startswith(prefix):
            return got.strip()
    return None


def kv(text_line):
    return dict(w.split("=", 1) for w in (text_line or "").split()[1:] if "=" in w)


def sdes_key(offer):
    """The master key||salt of the anchor's a=crypto (AES_CM_128_HMAC_SHA1_80), b"" without."""
    v = (attr(offer, "crypto") or "").split()
    if len(v) < 3 or v[1] != "AES_CM_128_HMAC_SHA1_80" or not v[2].startswith("inline:"):
        return b""
    return base64.b64decode(v[2][7:].split("|")[0] + "==")


def a_offers(cid, socks, a_mux, p_mux, p_setup):
    """A offers plain RTP, P answers with p_setup's keying: the replies, the
    SDPs P and A got, P's role for dtls_peer."""
    a_rtp, _, p_rtp, p_rtcp = socks
    base = {"call-id": cid, "from-tag": "ta", "ICE": "remove"}
    sdes = p_setup == "sdes"
    keying = ({"transport-protocol": "RTP/SAVP", "DTLS": "off",
               "SDES": ["only-AES_CM_128_HMAC_SHA1_80"]} if sdes else
              {"transport-protocol": "UDP/TLS/RTP/SAVPF"})
    r1 = anchor.request(dict(base, command="offer",
                             sdp=sdp(A_IP, a_rtp.getsockname()[1], "RTP/AVP",
                                     "a=rtcp-mux\r\n" if a_mux else ""),
                             **keying, **{"rtcp-mux": ["offer"] if p_mux else []}))
    to_p = text(r1)
    p_key = os.urandom(30)
    if sdes:
        extra = "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % (
            base64.b64encode(p_key).decode())
        role = "sdes:%s:%s" % (p_key.hex(), sdes_key(to_p).hex())
    else:
        extra = "a=setup:%s\r\na=fingerprint:sha-256 %s\r\n" % (
            p_setup, fingerprint_of(CERT + "/server.pem"))
        role = p_setup
    extra += "a=rtcp-mux\r\n" if p_mux else "a=rtcp:%d\r\n" % p_rtcp.getsockname()[1]
    r2 = anchor.request(dict(base, command="answer",
                             sdp=sdp(P_IP, p_rtp.getsockname()[1],
                                     keying["transport-protocol"], extra),
                             **{"to-tag": "tp"}))
    return r1, r2, to_p, text(r2), role


def p_offers(cid, socks, a_mux, p_mux):
    """P offers DTLS-SRTP (actpass), A answers plain RTP: as a_offers(); the
    anchor answers P active, so P is the DTLS server."""
    a_rtp, _, p_rtp, p_rtcp = socks
    base = {"call-id": cid, "from-tag": "tp", "ICE": "remove"}
    extra = "a=setup:actpass\r\na=fingerprint:sha-256 %s\r\n" % fingerprint_of(
        CERT + "/server.pem")
    extra += "a=rtcp-mux\r\n" if p_mux else "a=rtcp:%d\r\n" % p_rtcp.getsockname()[1]
    r1 = anchor.request(dict(base, command="offer",
                             sdp=sdp(P_IP, p_rtp.getsockname()[1], "UDP/TLS/RTP/SAVPF", extra),
                             **{"transport-protocol": "RTP/AVP"}))
    to_a = text(r1)
    r2 = anchor.request(dict(base, command="answer",
                             sdp=sdp(A_IP, a_rtp.getsockname()[1], "RTP/AVP",
                                     "a=rtcp-mux\r\n" if a_mux else ""),
                             **{"to-tag": "ta"}))
    to_p = text(r2)
    return r1, r2, to_p, to_a, "passive" if "a=setup:active" in to_p else "?"


def one(case, a_mux, p_mux, p_setup, profile="SRTP_AES128_CM_SHA1_80"):
    """p_setup: P's a=setup in its answer, "sdes" (an a=crypto answer, no
    DTLS), or "offer" (P offers DTLS-SRTP)."""
    cid = "dtlsrtcp-%s-%d@test" % (case, os.getpid())
    sdes = p_setup == "sdes"
    a_rtp, a_rtcp = pair(A_IP)
    p_rtp, p_rtcp = pair(P_IP)
    socks = (a_rtp, a_rtcp, p_rtp, p_rtcp)
    if p_setup == "offer":
        r1, r2, to_p, to_a, role = p_offers(cid, socks, a_mux, p_mux)
    else:
        r1, r2, to_p, to_a, role = a_offers(cid, socks, a_mux, p_mux, p_setup)
    anchor_fp = (attr(to_p, "fingerprint") or "").split(" ")[-1]
    ok_sdp = (r1 or {}).get("result") == "ok" and (r2 or {}).get("result") == "ok"
    check("dtls_rtcp_%s_call_set_up" % case, ok_sdp and
          (len(sdes_key(to_p)) == 30 if sdes else len(anchor_fp) == 95) and
          "a=fingerprint" not in to_a and "a=crypto" not in to_a and
          (("a=rtcp-mux" in to_a) == a_mux) and role != "?", (r1, r2))
    if not ok_sdp:
        return
    # the anchor's addresses: P's side and A's side
    ap_rtp, ap_rtcp = m_port(to_p), rtcp_port(to_p)
    aa_rtp = m_port(to_a)
    aa_rtcp = aa_rtp if a_mux else rtcp_port(to_a)
    fds = [p_rtp.fileno()] + ([] if p_mux else [p_rtcp.fileno()])
    proc = subprocess.Popen(
        [PEER, str(p_rtp.fileno()), "-" if p_mux else str(p_rtcp.fileno()), "127.0.0.1",
         str(ap_rtp), str(ap_rtcp), role,
         CERT + "/server.pem", CERT + "/server.key", anchor_fp, str(SECONDS), profile],
        pass_fds=fds, stdout=subprocess.PIPE)
    # A latches the anchor onto itself while P's handshakes run
    a_rtp.sendto(rtp(SSRC_A, 0), ("127.0.0.1", aa_rtp))
    a_rtcp_out = a_rtp if a_mux else a_rtcp
    a_rtcp_out.sendto(sender_report(SSRC_A, 0), ("127.0.0.1", aa_rtcp))
    conn = line(proc, "connected", 10)
    check("dtls_rtcp_%s_peer_handshakes_complete" % case,
          conn == "connected handshakes=%d" % (0 if sdes else 1 if p_mux else 2), conn)
    if conn is None:
        proc.kill()
        proc.wait()
        anchor.request({"command": "delete", "call-id": cid})
        return
    want_sr = None
    got_rtcp_ok = got_rtcp_bad = got_rtp_ok = got_rtp_bad = 0
    end, nxt, n = time.time() + SECONDS, 0.0, 1
    socks = [a_rtp] if a_mux else [a_rtp, a_rtcp]
    while time.time() < end:
        if time.time() >= nxt:
            a_rtp.sendto(rtp(SSRC_A, n), ("127.0.0.1", aa_rtp))
            a_rtcp_out.sendto(sender_report(SSRC_A, n), ("127.0.0.1", aa_rtcp))
            n += 1
            nxt = time.time() + 0.02
        r, _, _ = select.select(socks, [], [], 0.005)
        for s in r:
            d = s.recv(2048)
            is_rtcp = len(d) > 1 and 192 <= d[1] <= 223
            if is_rtcp:
                # exactly a plain sender report of P's, on A's RTCP port
                want_sr = sender_report(SSRC_P, struct.unpack("!I", d[20:24])[0]) \
                    if len(d) == 28 else None
                if d == want_sr and s is (a_rtp if a_mux else a_rtcp):
                    got_rtcp_ok += 1
                else:
                    got_rtcp_bad += 1
            elif len(d) == 172 and d[8:12] == struct.pack("!I", SSRC_P) and s is a_rtp:
                got_rtp_ok += 1
            else:
                got_rtp_bad += 1
    res = kv(line(proc, "result", 5))
    crypto = bridged_crypto(cid)
    anchor.request({"command": "delete", "call-id": cid})
    closed = line(proc, "close_notify", 8)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    ok = int(res.get("rtcp_ok", 0))
    check("dtls_rtcp_%s_srtcp_to_dtls_party_unprotects" % case,
          ok > 0 and res.get("rtcp_bad") == "0", res)
    check("dtls_rtcp_%s_srtp_to_dtls_party_unprotects" % case,
          int(res.get("rtp_ok", 0)) > 0 and res.get("rtp_bad") == "0", res)
    check("dtls_rtcp_%s_plain_rtcp_to_plain_party" % case,
          got_rtcp_ok > 0 and got_rtcp_bad == 0,
          "plain RTCP %d, other %d" % (got_rtcp_ok, got_rtcp_bad))
    check("dtls_rtcp_%s_plain_rtp_to_plain_party" % case,
          got_rtp_ok > 0 and got_rtp_bad == 0, "plain RTP %d, other %d" % (got_rtp_ok, got_rtp_bad))
    if sdes:
        check("dtls_rtcp_%s_query_sdes_both_ports_one_context" % case,
              crypto.get("keying") == "SDES" and "RTCP DTLS state" not in crypto and
              crypto.get("auth failures") == 0, crypto)
    elif p_mux:
        check("dtls_rtcp_%s_query_has_no_rtcp_association" % case,
              crypto.get("DTLS state") == "connected" and "RTCP DTLS state" not in crypto, crypto)
    else:
        check("dtls_rtcp_%s_query_rtcp_association_connected" % case,
              crypto.get("DTLS state") == "connected" and
              crypto.get("RTCP DTLS state") == "connected" and
              crypto.get("RTCP unprotected", 0) > 0 and crypto.get("RTCP protected", 0) > 0 and
              crypto.get("RTCP auth failures") == 0, crypto)
    check("dtls_rtcp_%s_query_suite_is_the_profile" % case,
          crypto.get("suite") == SUITES[profile], crypto)
    if not sdes:
        check("dtls_rtcp_%s_delete_sends_close_notify" % case,
              closed == "close_notify=%d" % (1 if p_mux else 2), closed)
    for s in (a_rtp, a_rtcp, p_rtp, p_rtcp):
        s.close()


one("nomux_p_active", False, False, "active")
one("nomux_p_passive", False, False, "passive", "SRTP_AEAD_AES_128_GCM")
one("amux_p_nomux", True, False, "active", "SRTP_AES128_CM_SHA1_32")
one("anomux_p_mux", False, True, "active")
one("p_offers_nomux", False, False, "offer", "SRTP_AEAD_AES_128_GCM")
one("sdes_nomux", False, False, "sdes")
one("sdes_amux_p_nomux", True, False, "sdes")
check_exit()
