"""The one Python test library of the suite (tests/pylib).

Every Python test, helper and benchmark under tests/ imports from here
instead of carrying its own copy:
  check    one "PASS: name" / "FAIL: name" line per check, the exit status
  bencode  bencode (BEP 3) as the ng protocol carries it
  ng       an ng control client (cookie, bencode or JSON, retransmission)
  stun     STUN/TURN messages (RFC 8489, RFC 8656): build, parse, integrity,
           XOR addresses, ChannelData and stream framing, ICE answers
  sdp      the few SDP lookups the tests make
  proc     processes: stop with a grace period, CPU time, free ports
A script puts tests/ on sys.path (sys.path.insert(0, <its dir>/..)) and
imports pylib.
"""
