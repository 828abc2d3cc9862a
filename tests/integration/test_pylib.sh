#!/bin/sh
# test_pylib.sh BUILD_DIR: the Python test library (tests/pylib) checked on
# its own: its STUN codec against the RFC 5769 vectors, bencode, ng
# datagrams, XOR addresses, stream framing and SDP lookups (selftest.py; no
# network, under a second). A test that fails because of its library fails
# here too. Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
exec timeout 60 /usr/bin/python3 "$(dirname "$0")/../pylib/selftest.py"
