#!/usr/bin/python3
"""turn_sniff.py IFACE SERVER_IP TURN_PORT OUT_JSON: what a TURN server sends
a client, seen on the wire (an AF_PACKET socket on IFACE; run it in the
client's network namespace, as root). Every UDP datagram from
SERVER_IP:TURN_PORT is unwrapped (ChannelData, or the DATA attribute of a
Data indication, RFC 8656) and the relayed payload classified (RFC 7983's
first byte): RTP (counted by length), RTCP (plain when its compound packets'
length fields add up to the payload exactly; SRTCP carries an index and a
tag after them), DTLS, STUN. Runs until SIGTERM or SIGINT, then writes
OUT_JSON: {"rtp_lengths": {LEN: N}, "rtcp": N, "rtcp_plain": N, "dtls": N,
"stun": N, "other": N}."""
import json
import signal
import socket
import struct
import sys

ETH_P_IP = 0x0800


def relayed(udp):
    """The payload a TURN datagram carries to the client, or None."""
    if len(udp) >= 4 and udp[0] & 0xC0 == 0x40:  # ChannelData
        n = struct.unpack("!H", udp[2:4])[0]
        return udp[4:4 + n]
    if len(udp) >= 20 and struct.unpack("!H", udp[0:2])[0] == 0x0115:  # Data indication
        off = 20
        while off + 4 <= len(udp):
            t, n = struct.unpack("!HH", udp[off:off + 4])
            if t == 0x0013:
                return udp[off + 4:off + 4 + n]
            off += 4 + (n + 3) // 4 * 4
    return None


def plain_rtcp(b):
    off = 0
    while off + 4 <= len(b):
        if b[off] & 0xC0 != 0x80 or not 200 <= b[off + 1] <= 207:
            return False
        off += 4 * (struct.unpack("!H", b[off + 2:off + 4])[0] + 1)
    return off == len(b)


def main():
    iface, server, port, out = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
    res = {"rtp_lengths": {}, "rtcp": 0, "rtcp_plain": 0, "dtls": 0, "stun": 0, "other": 0}
    done = []
    signal.signal(signal.SIGTERM, lambda *_: done.append(1))
    signal.signal(signal.SIGINT, lambda *_: done.append(1))
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    s.bind((iface, ETH_P_IP))
    s.settimeout(0.2)
    src = socket.inet_aton(server)
    with open(out + ".ready", "w") as f:
        f.write("ready\n")
    while not done:
        try:
            ip = s.recv(65535)
        except socket.timeout:
            continue
        except InterruptedError:
            continue
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17 or ip[12:16] != src:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        if struct.unpack("!H", udp[0:2])[0] != port:
            continue
        b = relayed(udp[8:])
        if not b:
            continue
        if 128 <= b[0] <= 191 and len(b) >= 2 and 192 <= b[1] <= 223:
            res["rtcp"] += 1
            res["rtcp_plain"] += plain_rtcp(b)
        elif 128 <= b[0] <= 191:
            k = str(len(b))
            res["rtp_lengths"][k] = res["rtp_lengths"].get(k, 0) + 1
        elif 20 <= b[0] <= 63:
            res["dtls"] += 1
        elif b[0] <= 3:
            res["stun"] += 1
        else:
            res["other"] += 1
    with open(out, "w") as f:
        json.dump(res, f)
        f.write("\n")


if __name__ == "__main__":
    main()
