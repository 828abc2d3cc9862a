#!/bin/sh
# The turnrelay guest test (run by /init inside the qemu guest): loads the
# module, builds the topology (root netns = the server, 10.0.0.1 and
# fd00::1 on veth0; netns "out" = clients and peers, 10.0.0.2/.3 and
# fd00::2/::3 on veth1), runs relay_check (traffic through entries of every
# kind), bad_input (refused netlink requests), turn_offload.sh
# (turnserver's TURN channels in the module) and anchor_offload.sh (its
# anchored streams), checks turnutils_relayctl,
# unloads the module and scans dmesg. One PASS/FAIL line
# per check; exit status 1 when any failed.
# shellcheck source=tests/kernel/guest/guest_lib.sh
. /tests/guest_lib.sh
out=/tmp/check.out

# only alerts and worse on the console from here on: the checks' lines stay whole
dmesg -n 3

check module-loads insmod /lib/modules/turnrelay.ko
grep -q '^turnrelay ' /proc/modules || { echo "FAIL: module not in /proc/modules"; exit 1; }

modprobe veth
ip netns add out
ip link add veth0 type veth peer name veth1 netns out
ip addr add 10.0.0.1/24 dev veth0
ip -6 addr add fd00::1/64 dev veth0 nodad
ip link set veth0 up
ip -n out link set lo up
ip -n out addr add 10.0.0.2/24 dev veth1
ip -n out addr add 10.0.0.3/24 dev veth1
ip -n out -6 addr add fd00::2/64 dev veth1 nodad
ip -n out -6 addr add fd00::3/64 dev veth1 nodad
ip -n out link set veth1 up
# replies from the server go out by the address the datagram came to
sleep 1

check relayctl-version sh -c 'turnutils_relayctl version && turnutils_relayctl version | grep -q "ABI 1 (this tool: ABI 1)"'
sed 's/^/  /' "$out"

relay_check || rc=1
bad_input || rc=1
# turnserver itself programs the module (it unloads and reloads it)
/tests/turn_offload.sh || rc=1
# the anchor's streams in the module (unloads and reloads it too)
/tests/anchor_offload.sh || rc=1

# relayctl: add holds the entry while it runs; list shows it (text and JSON);
# the entry goes with the process
turnutils_relayctl add channel 77 10.0.0.1:3478 10.0.0.2:45000 0x4077 10.0.0.1:50077 10.0.0.3:45077 >/tmp/add.out 2>&1 &
add_pid=$!
i=0
while [ $i -lt 50 ] && ! grep -q 'added entry 77' /tmp/add.out; do sleep 0.1; i=$((i + 1)); done
check relayctl-list-shows-entry sh -c 'turnutils_relayctl list | tee /dev/stderr | grep -q "^entry 77 " &&
	turnutils_relayctl list 10.0.0.2:45000 | grep -q "ChannelData 0x4077" &&
	turnutils_relayctl list 10.0.0.9 | grep -q "no entries for that address"'
sed 's/^/  /' "$out"
check relayctl-list-json sh -c 'turnutils_relayctl list -j | tee /dev/stderr | grep -q "^{\"entries\":\[{\"id\":77,.*\"channel\":16503,.*\"packets\":0,"'
kill "$add_pid"
wait "$add_pid"
check relayctl-add-exit-flushes sh -c 'turnutils_relayctl list | grep -q "^no entries"'
check relayctl-del-missing-fails sh -c '! turnutils_relayctl del 12345'
check relayctl-flush sh -c 'turnutils_relayctl flush'

ip netns del out
ip link del veth0 2>/dev/null
check module-unloads rmmod turnrelay
check module-gone sh -c '! grep -q "^turnrelay " /proc/modules'
check relayctl-reports-missing-module sh -c '! turnutils_relayctl version 2>&1 | tee /dev/stderr | grep -q ABI; turnutils_relayctl version 2>&1 | grep -q "module not loaded"'

dmesg >/tmp/dmesg.out
if grep -E 'WARNING:|BUG:|Oops|Call Trace|general protection|KASAN|UBSAN|refcount_t|list_del corruption' /tmp/dmesg.out >"$out"; then
	fail dmesg-clean
else
	pass dmesg-clean
fi
grep -i turnrelay /tmp/dmesg.out | sed 's/^/  dmesg: /'
exit $rc
