#!/bin/sh
# tests/kernel/run.sh BUILD_DIR: the turnrelay module in a qemu guest.
# Scenario: scripts/kernel-guest builds kernel/turnrelay.ko against the
# installed Debian headers, boots the same Debian kernel under qemu (TCG, or
# KVM where it works) with an initramfs, and the guest (guest/test.sh) loads
# the module, installs entries of every kind with turnutils_relayctl and the
# guest programs, sends real UDP traffic between namespaces and checks what
# arrives where, feeds the netlink family bad input, unloads the module and
# scans dmesg. The guest prints PASS/FAIL per check, repeated here; this
# script fails on any FAIL, a check that did not report, a missing end
# marker, an oops/panic/WARN/BUG on the console, or the time limit.
cd "$(dirname "$0")/../.." || exit 1
build=${1:?usage: $0 BUILD_DIR}
limit_s=${TURNRELAY_TEST_TIMEOUT:-600}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
trap 'exit 1' INT TERM

# every check the guest must report
checks="
module-loads
hello-reports-abi-version
relayctl-version
chan-to-peer-payload-stripped
chan-to-peer-counted
chan-to-peer-userspace-received-nothing
peer-to-chan-header-prepended
peer-to-chan-counted
peer-to-chan-userspace-received-nothing
udp-leg-payload-unchanged
udp-leg-counted
udp-leg-userspace-received-nothing
joined-client-to-leg
joined-leg-to-client
joined-counted
joined-userspace-received-nothing
ipv6-chan-to-peer
ipv6-peer-to-chan
other-source-to-userspace
stun-to-userspace
dtls-to-userspace
other-channel-to-userspace
short-channeldata-to-userspace
bad-length-channeldata-to-userspace
del-stops-forwarding
del-of-missing-entry-refused
hello-reports-pass-rtcp-and-del-counters
rtcp-pass-rtp-forwarded
rtcp-pass-rtcp-to-userspace
rtcp-pass-other-leg-forwards-rtcp
rtcp-pass-counted
del-returns-last-counters
del-counters-of-missing-entry-refused
socket-close-flushes-entries
events-delivered
flush-removes-all
bad-missing-attribute-refused
bad-oversized-attribute-refused
bad-wrong-type-attribute-refused
bad-unknown-command-refused
bad-address-family-refused
bad-foreign-local-address-refused
add-without-cap-net-admin-refused
module-answers-after-bad-input
turn-offload-starts
turn-offload-engine-turnrelay
turn-offload-channel-entry-installed
turn-offload-module-counts
turn-offload-channel-payload-intact
turn-offload-refresh0-removes-entry
turn-offload-userspace-relayed-nothing
turn-offload-send-indications
turn-offload-send-indications-userspace
turn-offload-last-counts-at-refresh0
turn-offload-kill9-flushes-entries
turn-offload-restart-installs
turn-offload-channel-expiry-removes-entry
turn-offload-permission-expiry-removes-entry
turn-offload-proc-user-says-kept
turn-offload-proc-user-net-admin-only
turn-offload-proc-user-channel-entry-installed
turn-offload-proc-user-module-counts
turn-offload-auto-picks-module
turn-offload-rmmod-under-turnserver
turn-offload-rmmod-falls-back
turn-offload-rmmod-allocation-kept
turn-offload-auto-without-module
turn-offload-on-without-module-refused
turn-offload-no-sanitizer-report
anchor-offload-starts
anchor-offload-offer-answer
anchor-offload-entry-installed
anchor-offload-module-forwards-both-ways
anchor-offload-query-kernelized
anchor-offload-statistics-kernel-packets
anchor-offload-joined-entry-installed
anchor-offload-joined-query-kernelized
anchor-offload-joined-payload-intact
anchor-offload-joined-stays-in-kernel
anchor-offload-joined-counted-by-anchor
anchor-offload-rmmod-falls-back
anchor-offload-rmmod-call-kept
anchor-offload-no-sanitizer-report
relayctl-list-shows-entry
relayctl-list-json
relayctl-add-exit-flushes
relayctl-del-missing-fails
relayctl-flush
module-unloads
module-gone
relayctl-reports-missing-module
dmesg-clean
"

fail=0
t0=$(date +%s)
scripts/kernel-guest -t "$limit_s" "$build" test >"$log" 2>&1
rc=$?
t1=$(date +%s)
tr -d '\r' <"$log" >"$log.clean" && mv "$log.clean" "$log"
grep -E '^(PASS|FAIL): ' "$log"

if [ "$rc" -eq 124 ]; then
	echo "FAIL: kernel-guest-time-limit (${limit_s} s)"
	fail=1
fi
if grep -q '^TURNRELAY-GUEST-DONE rc=' "$log"; then
	echo "PASS: kernel-guest-finished"
else
	echo "FAIL: kernel-guest-finished (no end marker; last console lines:)"
	tail -n 40 "$log" | sed 's/^/  | /'
	fail=1
fi
for c in $checks; do
	if ! grep -q "^PASS: $c\$" "$log" && ! grep -q "^FAIL: $c\$" "$log"; then
		echo "FAIL: $c (not reported by the guest)"
		fail=1
	fi
done
grep -q '^FAIL: ' "$log" && fail=1
if grep -En 'Kernel panic|Oops|BUG:|WARNING:|general protection|Call Trace|KASAN|UBSAN' "$log" >"$log.bad"; then
	echo "FAIL: kernel-console-clean"
	head -n 40 "$log.bad" | sed 's/^/  | /'
	fail=1
else
	echo "PASS: kernel-console-clean"
fi
rm -f "$log.bad"
if [ "$fail" -ne 0 ]; then
	echo "--- guest console (last 60 lines)"
	tail -n 60 "$log" | sed 's/^/  | /'
fi
echo "kernel test: $((t1 - t0)) s ($(grep -m1 '^kernel-guest:' "$log" | sed 's/^kernel-guest: //'))"
exit "$fail"
