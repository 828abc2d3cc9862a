#!/usr/bin/python3
"""aioice_relay.py: aioice's TURN client (an independent implementation)
against our turnserver.

    aioice_relay.py --server HOST:PORT --user NAME --password PW
                    --transport udp|tcp --min-port N --max-port N
                    [--relay-host IP] [--peer-host IP] [--clients N]
                    [--label NAME] [--timeout SECONDS]

Starts a UDP echo peer in-process on --peer-host (an ephemeral port), opens
--clients allocations through the server with aioice.turn.create_turn_endpoint
over --transport, sends payloads of several sizes (odd lengths included, so
ChannelData padding over TCP is exercised) through each relay, and checks:
the relayed address is --relay-host with a port in [min-port, max-port], the
relayed addresses are distinct, every echo comes back byte-identical and from
the peer's address, the peer saw every datagram come from the client's relayed
address, Refresh with LIFETIME 0 succeeds, and a wrong password is refused
with 401. Prints "PASS: name" / "FAIL: name" per check and the relayed
addresses; exits 1 if any check failed. Every wait is bounded.
"""
import argparse
import asyncio
import os
import sys

from aioice import stun, turn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from pylib.check import check, exit as check_exit  # noqa: E402


def hostport(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def fmt(addr):
    host, port = addr[0], addr[1]
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


class EchoPeer(asyncio.DatagramProtocol):
    """The peer: echoes every datagram, remembers where they came from."""

    def __init__(self):
        self.sources = []
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.sources.append((addr[0], addr[1]))
        self.transport.sendto(data, addr)


class Client(asyncio.DatagramProtocol):
    """The application protocol behind aioice's TurnTransport."""

    def __init__(self):
        self.queue = asyncio.Queue()
        self.lost = None

    def connection_made(self, transport):
        pass

    def datagram_received(self, data, addr):
        self.queue.put_nowait((bytes(data), (addr[0], addr[1])))

    def connection_lost(self, exc):
        self.lost = exc


def payloads(index):
    # distinct first bytes per client and payload, odd and even lengths
    out = []
    for n, size in enumerate((1, 2, 3, 5, 31, 100, 160, 511, 1000, 1200)):
        out.append((bytes([index & 0xFF, n]) + os.urandom(size))[:size])
    return out


async def echo_all(transport, proto, peer_addr, data_list, timeout):
    """Sends each payload and waits for its echo; a few resends on silence
    (UDP). Returns (all identical, detail)."""
    for data in data_list:
        got = None
        for _ in range(3):
            transport.sendto(data, peer_addr)
            try:
                while True:
                    reply, src = await asyncio.wait_for(proto.queue.get(), timeout / 3)
                    if reply == data:
                        got = (reply, src)
                        break
                    # a late duplicate of an earlier payload: skip it
                    if not any(reply == d for d in data_list):
                        return False, "unexpected %d bytes" % len(reply)
            except asyncio.TimeoutError:
                continue
            break
        if got is None:
            return False, "no echo for a %d-byte payload" % len(data)
        if got[1] != peer_addr:
            return False, "echo from %s, expected %s" % (fmt(got[1]), fmt(peer_addr))
    return True, ""


async def refresh_zero(transport, timeout):
    """Deallocates with Refresh LIFETIME=0 through aioice's own request code
    and returns the response (None if that internal is not reachable)."""
    inner = getattr(transport, "_TurnTransport__inner_protocol", None)
    if inner is None:
        return None
    if inner.refresh_handle:
        inner.refresh_handle.cancel()
        inner.refresh_handle = None
    request = stun.Message(message_method=stun.Method.REFRESH,
                           message_class=stun.Class.REQUEST)
    request.attributes["LIFETIME"] = 0
    response, _ = await asyncio.wait_for(inner.request_with_retry(request), timeout)
    inner.transport.close()
    return response


async def run(args):
    loop = asyncio.get_running_loop()
    server = hostport(args.server)
    t = args.transport
    label = args.label or ("aioice_" + t)

    peer_t, peer = await loop.create_datagram_endpoint(
        EchoPeer, local_addr=(args.peer_host, 0))
    peer_addr = peer_t.get_extra_info("sockname")[:2]
    print("peer: %s" % fmt(peer_addr), flush=True)

    clients = []
    try:
        # allocate
        for i in range(args.clients):
            try:
                tr, proto = await asyncio.wait_for(
                    turn.create_turn_endpoint(Client, server_addr=server,
                                              username=args.user,
                                              password=args.password,
                                              lifetime=600,
                                              channel_refresh_time=300,
                                              transport=t),
                    args.timeout)
                clients.append((tr, proto))
            except Exception as e:  # noqa: BLE001 - reported as a failed check
                check("%s_allocate_%d" % (label, i), False, "%s: %s" % (type(e).__name__, e))
        check("%s_allocate" % label, len(clients) == args.clients,
              "%d of %d allocations" % (len(clients), args.clients))
        if not clients:
            return

        relays = []
        for tr, _ in clients:
            relayed = tr.get_extra_info("sockname")
            print("relayed address (%s): %s" % (t, fmt(relayed)), flush=True)
            relays.append((relayed[0], relayed[1]))
        in_range = all(h == args.relay_host and args.min_port <= p <= args.max_port
                       for h, p in relays)
        check("%s_relayed_address_in_range" % label, in_range,
              "got %s, want %s:%d-%d" % (" ".join(fmt(r) for r in relays),
                                         args.relay_host, args.min_port, args.max_port))
        check("%s_relayed_addresses_distinct" % label, len(set(relays)) == len(relays))

        # relay payloads, all clients at once
        results = await asyncio.gather(
            *(echo_all(tr, proto, peer_addr, payloads(i), args.timeout)
              for i, (tr, proto) in enumerate(clients)),
            return_exceptions=True)
        ok = True
        detail = ""
        for r in results:
            if isinstance(r, BaseException):
                ok, detail = False, "%s: %s" % (type(r).__name__, r)
            elif not r[0]:
                ok, detail = False, r[1]
        check("%s_echo_identical" % label, ok, detail)
        stray = sorted(set(peer.sources) - set(relays))
        check("%s_peer_sees_relayed_address" % label, ok and not stray,
              "datagrams from %s" % " ".join(fmt(s) for s in stray))

        # deallocate
        dealloc_ok = True
        detail = ""
        for tr, _ in clients:
            try:
                resp = await refresh_zero(tr, args.timeout)
                if resp is None:
                    dealloc_ok, detail = False, "aioice internals changed"
                elif resp.message_class != stun.Class.RESPONSE:
                    dealloc_ok, detail = False, "not a success response"
            except Exception as e:  # noqa: BLE001
                dealloc_ok, detail = False, "%s: %s" % (type(e).__name__, e)
        clients = []
        check("%s_refresh_lifetime_0_deallocates" % label, dealloc_ok, detail)

        # wrong password: 401
        code = None
        try:
            tr, _ = await asyncio.wait_for(
                turn.create_turn_endpoint(Client, server_addr=server,
                                          username=args.user,
                                          password=args.password + "-wrong",
                                          transport=t),
                args.timeout)
            tr.close()
        except stun.TransactionFailed as e:
            code = e.response.attributes.get("ERROR-CODE", (None,))[0]
        except Exception as e:  # noqa: BLE001
            code = "%s: %s" % (type(e).__name__, e)
        check("%s_wrong_password_401" % label, code == 401, "got %s" % code)
    finally:
        for tr, _ in clients:
            inner = getattr(tr, "_TurnTransport__inner_protocol", None)
            if inner is not None and inner.refresh_handle:
                inner.refresh_handle.cancel()
            if inner is not None:
                inner.transport.close()
        peer_t.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--transport", choices=("udp", "tcp"), default="udp")
    ap.add_argument("--min-port", type=int, required=True)
    ap.add_argument("--max-port", type=int, required=True)
    ap.add_argument("--relay-host", default="127.0.0.1")
    ap.add_argument("--peer-host", default="127.0.0.1")
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--label", default="")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()
    label = args.label or ("aioice_" + args.transport)
    try:
        asyncio.run(asyncio.wait_for(run(args), 20 * args.timeout))
    except asyncio.TimeoutError:
        check("%s_completed_in_time" % label, False)
    except Exception as e:  # noqa: BLE001
        check("%s_completed" % label, False, "%s: %s" % (type(e).__name__, e))
    check_exit()


if __name__ == "__main__":
    main()
