#!/usr/bin/python3
"""anchor_dtls_openssl.py ANCHOR_NG GOOD_DIR OTHER_DIR: the anchor's DTLS-SRTP
toward a party it bridges, against OpenSSL's own DTLS client
(`openssl s_client -dtls1_2 -use_srtp`), not the anchor's code. A plain
party A (127.0.0.2) offers RTP/AVP; the anchor offers the DTLS party P
(127.0.0.5) UDP/TLS/RTP/SAVP with its a=fingerprint and a=setup:actpass; P
answers a=setup:active with the sha-256 fingerprint of GOOD_DIR/server.pem
and runs s_client from the port its SDP names:
  matching     s_client shows GOOD_DIR's certificate: the handshake
               completes with SRTP_AES128_CM_SHA1_80 negotiated, the
               certificate s_client got is the one the anchor's
               a=fingerprint names, and query says DTLS connected;
  mismatching  s_client shows OTHER_DIR's certificate: the anchor refuses
               it (s_client gets a bad_certificate alert), query says DTLS
               failed with the reason, statistics count dtlsfailed, and
               A's media is not sent to P.
Prints one "PASS: name" or "FAIL: name" line per check.
"""
import hashlib
import os
import re
import socket
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib import ng as nglib  # noqa: E402
from pylib.check import check, exit as check_exit  # noqa: E402
from pylib.media import sock, drain  # noqa: E402
from pylib.sdp import attr, audio_sdp as sdp, m_port, reply_sdp as text  # noqa: E402

anchor = nglib.Client(int(sys.argv[1]))
GOOD, OTHER = sys.argv[2], sys.argv[3]
A_IP, P_IP = "127.0.0.2", "127.0.0.5"


def fingerprint(der):
    return ":".join("%02X" % b for b in hashlib.sha256(der).digest())


def pem_fingerprint(path):
    with open(path) as f:
        return fingerprint(ssl.PEM_cert_to_DER_cert(f.read()))


def dtls_side(cid):
    q = anchor.request({"command": "query", "call-id": cid})
    return next((st["crypto"] for st in nglib.streams(q)
                 if (st.get("crypto") or {}).get("keying") == "DTLS"), {})


def one(case, cert_dir):
    cid = "dtls-%s-%d@test" % (case, os.getpid())
    a = sock(0, A_IP)
    p = sock(0, P_IP)
    p_port = p.getsockname()[1]
    base = {"call-id": cid, "from-tag": "ta", "ICE": "remove"}
    r1 = anchor.request(dict(base, command="offer", sdp=sdp(A_IP, a.getsockname()[1], "RTP/AVP"),
                             **{"transport-protocol": "UDP/TLS/RTP/SAVP"}))
    offer = text(r1)
    anchor_fp = (attr(offer, "fingerprint") or "").split(" ")[-1]
    check("dtls_%s_anchor_offers_fingerprint_actpass" % case,
          attr(offer, "setup") == "actpass" and len(anchor_fp) == 95, offer)
    answer = sdp(P_IP, p_port, "UDP/TLS/RTP/SAVP", "a=setup:active\r\na=fingerprint:sha-256 %s\r\n" %
                 pem_fingerprint(GOOD + "/server.pem"))
    r2 = anchor.request(dict(base, command="answer", sdp=answer,
                             **{"to-tag": "tp", "transport-protocol": "RTP/AVP"}))
    to_a = text(r2)
    check("dtls_%s_answer_to_plain_party_has_no_dtls" % case, (r2 or {}).get("result") == "ok" and
          " RTP/AVP " in to_a and "a=fingerprint" not in to_a and "a=setup" not in to_a, r2)
    p.close()  # s_client binds P's port now
    before = anchor.statistics().get("totalstatistics", {})
    sc = subprocess.Popen(
        ["openssl", "s_client", "-dtls1_2", "-bind", "%s:%d" % (P_IP, p_port),
         "-connect", "127.0.0.1:%d" % m_port(offer), "-use_srtp", "SRTP_AES128_CM_SHA1_80",
         "-cert", cert_dir + "/server.pem", "-key", cert_dir + "/server.key", "-showcerts"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # A sends while the handshake runs and after it
    for i in range(20):
        a.sendto(bytes([0x80, 0, 0, i]) + bytes(168), ("127.0.0.1", m_port(to_a)))
        time.sleep(0.05)
    crypto = dtls_side(cid)
    try:
        out = sc.communicate(b"", timeout=5)[0].decode("latin-1")
    except subprocess.TimeoutExpired:
        sc.kill()
        out = sc.communicate()[0].decode("latin-1")
    after = anchor.statistics().get("totalstatistics", {})
    certs = [fingerprint(ssl.PEM_cert_to_DER_cert(m))
             for m in re.findall(r"-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", out, re.S)]
    last = "\n".join(out.strip().splitlines()[-8:])
    if case == "matching":
        check("dtls_matching_openssl_negotiates_srtp",
              "SRTP Extension negotiated, profile=SRTP_AES128_CM_SHA1_80" in out, last)
        check("dtls_matching_anchor_certificate_is_its_fingerprint", certs[:1] == [anchor_fp],
              "s_client got %s, a=fingerprint %s" % (certs[:1], anchor_fp))
        check("dtls_matching_query_connected", crypto.get("DTLS state") == "connected" and
              crypto.get("suite") == "AES_CM_128_HMAC_SHA1_80", crypto)
        check("dtls_matching_counted_connected",
              after.get("dtlsconnected", 0) == before.get("dtlsconnected", 0) + 1 and
              after.get("dtlsfailed", 0) == before.get("dtlsfailed", 0), after)
    else:
        check("dtls_mismatching_openssl_gets_bad_certificate",
              "alert bad certificate" in out or "alert number 42" in out, last)
        check("dtls_mismatching_query_failed_with_reason", crypto.get("DTLS state") == "failed" and
              "fingerprint" in crypto.get("DTLS error", ""), crypto)
        check("dtls_mismatching_counted_failed",
              after.get("dtlsfailed", 0) == before.get("dtlsfailed", 0) + 1 and
              after.get("dtlsconnected", 0) == before.get("dtlsconnected", 0), after)
        # nothing of A's media goes to P's address (P's port is free again)
        p2 = sock(p_port, P_IP)
        for i in range(10):
            a.sendto(bytes([0x80, 0, 1, i]) + bytes(168), ("127.0.0.1", m_port(to_a)))
        got = drain(p2, 0.5)
        check("dtls_mismatching_nothing_forwarded_to_party", not got, "%d datagrams" % len(got))
        p2.close()
    anchor.request({"command": "delete", "call-id": cid})
    a.close()


one("matching", GOOD)
one("mismatching", OTHER)
check_exit()
