#!/bin/sh
# turnserver with the turnrelay module (run by test.sh inside the guest, in
# its topology: root netns = the server, 10.0.0.1 on veth0; netns "out" =
# the client 10.0.0.2 and the peer 10.0.0.3 on veth1; the module loaded).
# Our turnutils_uclient relays through TURN channels to turnutils_peer (an
# echo): payloads intact, turnserver's entry in the module with its
# counters growing and turnserver's own relayed-packet counters (its
# allocation end line) at 0; Send indications in userspace; channel expiry,
# permission expiry and Refresh 0 remove the entry; kill -9 of turnserver
# flushes its entries; unloading the module under a running turnserver
# falls back to userspace without dropping the allocation. One PASS/FAIL
# line per check; exit status 1 when any failed.
# shellcheck source=tests/kernel/guest/guest_lib.sh
. /tests/guest_lib.sh

# uclient ARG...: our client in netns "out", from 10.0.0.2 through 10.0.0.1
# to the echo peer 10.0.0.3:3480
uclient() {
	ip netns exec out turnutils_uclient -L 10.0.0.2 -e 10.0.0.3 -r 3480 -u alice -w secret \
		-l 160 "$@" 10.0.0.1
}

entries() { turnutils_relayctl list -j; }
has_channel_entry() { turnutils_relayctl list | grep -q 'ChannelData 0x4'; }
no_entries() { turnutils_relayctl list | grep -q '^no entries'; }
ended() { grep -q 'allocation of 10.0.0.2:[0-9]* for .alice. ended' "$log"; }
# leg 1 of a channel entry (the client's ChannelData) has taken packets in
module_counted() { entries | grep -q '"channel":1[0-9]*,"flags":0,"packets":[1-9]'; }
# the last allocation end line matches the pattern
last_end() { grep 'ended' "$log" | tail -n 1 | tee /dev/stderr | grep -q "$1"; }
# watch_entry: seen=1 once turnserver's channel entry is in the module
# (10 s at most), else seen=0; the removal checks need it first
watch_entry() { if wait_for 100 has_channel_entry; then seen=1; else seen=0; fi; }
# the entry seen came and went while the allocation lived on
expired_alive() { [ "$seen" = 1 ] && wait_for 60 no_entries && ! ended; }
# the entry seen is gone within TENTHS
gone() { [ "$seen" = 1 ] && wait_for "$1" no_entries; }

ip netns exec out turnutils_peer -L 10.0.0.3 -p 3480 >/tmp/peer.out 2>&1 &
peer_pid=$!

# --- channels in the kernel, with kernel-offload=on
check turn-offload-starts ts_start --kernel-offload on
check turn-offload-engine-turnrelay grep -q 'kernel offload: turnrelay engine (kernel-offload=on)' "$log"
uclient -n 100 -z 10 --hold 3 >/tmp/uc.out 2>&1 &
uc_pid=$!
watch_entry
check turn-offload-channel-entry-installed [ "$seen" = 1 ]
# the module forwards: its counters grow (leg 1: the client's ChannelData)
check turn-offload-module-counts wait_for 100 module_counted
turnutils_relayctl list | sed 's/^/  /'
wait "$uc_pid"
uc_rc=$?
cat /tmp/uc.out >"$out"
check turn-offload-channel-payload-intact sh -c "[ $uc_rc -eq 0 ] && grep -q 'messages received: 100 (duplicates 0, corrupt 0' /tmp/uc.out"
check turn-offload-refresh0-removes-entry gone 30
check turn-offload-userspace-relayed-nothing \
	last_end 'relayed by turnserver 0 packets to peers, 0 to the client; by the kernel 100 packets (16000 bytes) to peers, 100 (16000 bytes) to the client'

# --- Send indications stay in userspace
uclient -s -n 20 -z 10 >/tmp/uc.out 2>&1
uc_rc=$?
cat /tmp/uc.out >"$out"
check turn-offload-send-indications sh -c "[ $uc_rc -eq 0 ] && grep -q 'messages received: 20 (duplicates 0, corrupt 0' /tmp/uc.out"
check turn-offload-send-indications-userspace \
	last_end 'relayed by turnserver 20 packets to peers, 20 to the client; by the kernel 0 packets'

# --- Refresh 0 right after the last echo, less than a poll (1 s) later:
# what the kernel forwarded since the last poll comes with the removal
n_ended=$(grep -c 'ended' "$log")
uclient -n 100 -z 10 >/tmp/uc.out 2>&1
cat /tmp/uc.out >"$out"
ended_more() { [ "$(grep -c 'ended' "$log")" -gt "$n_ended" ]; }
wait_for 30 ended_more
check turn-offload-last-counts-at-refresh0 \
	last_end 'relayed by turnserver 0 packets to peers, 0 to the client; by the kernel 100 packets (16000 bytes) to peers, 100 (16000 bytes) to the client'

# --- kill -9: the kernel flushes the dead process's entries; a restart starts clean
uclient -n 5 -z 10 --hold 30 >/tmp/uc.out 2>&1 &
uc_pid=$!
watch_entry
kill -9 "$ts_pid"
wait "$ts_pid" 2>/dev/null
ts_pid=
check turn-offload-kill9-flushes-entries gone 20
kill "$uc_pid" 2>/dev/null
wait "$uc_pid" 2>/dev/null

# --- channel expiry (channel-lifetime 3 s; permissions last longer)
ts_start --kernel-offload on --channel-lifetime 3
uclient -n 5 -z 10 --hold 8 >/tmp/uc.out 2>&1 &
uc_pid=$!
watch_entry
check turn-offload-restart-installs [ "$seen" = 1 ]
check turn-offload-channel-expiry-removes-entry expired_alive
wait "$uc_pid"
ts_stop

# --- permission expiry (permission-lifetime 3 s; the channel lasts longer)
ts_start --kernel-offload on --permission-lifetime 3
uclient -n 5 -z 10 --hold 8 >/tmp/uc.out 2>&1 &
uc_pid=$!
watch_entry
check turn-offload-permission-expiry-removes-entry expired_alive
wait "$uc_pid"
ts_stop

# --- proc-user: root dropped once bound, CAP_NET_ADMIN alone kept (ambient
# too), and the relay thread still programs the module (a uid and gid with
# no passwd entry: the initramfs has none)
ts_start --kernel-offload on --proc-user 65534 --proc-group 65534
# its uids, gids and capability sets: CAP_NET_ADMIN (bit 12) alone
caps_ok() {
	st=/proc/$ts_pid/status
	cat "$st"
	grep -q "^Uid:.65534.65534.65534.65534$" "$st" && grep -q "^Gid:.65534.65534.65534.65534$" "$st" &&
		grep -q "^CapEff:.0000000000001000$" "$st" && grep -q "^CapPrm:.0000000000001000$" "$st" &&
		grep -q "^CapAmb:.0000000000001000$" "$st"
}
check turn-offload-proc-user-says-kept grep -q 'proc-user 65534: now uid 65534, gid 65534; capabilities kept: CAP_NET_ADMIN (kernel offload)' "$log"
check turn-offload-proc-user-net-admin-only caps_ok
uclient -n 30 -z 10 --hold 3 >/tmp/uc.out 2>&1 &
uc_pid=$!
watch_entry
check turn-offload-proc-user-channel-entry-installed [ "$seen" = 1 ]
check turn-offload-proc-user-module-counts wait_for 100 module_counted
wait "$uc_pid"
ts_stop

# --- the module unloaded under a running turnserver: userspace takes over,
# the allocation lives on
ts_start --kernel-offload auto
check turn-offload-auto-picks-module grep -q 'kernel offload: turnrelay engine (kernel-offload=auto)' "$log"
uclient -n 250 -z 20 --loss-threshold 10 >/tmp/uc.out 2>&1 &
uc_pid=$!
watch_entry
# a counter poll (once a second) before the module goes
sleep 1.5
check turn-offload-rmmod-under-turnserver sh -c "[ $seen = 1 ] && rmmod turnrelay" 
wait "$uc_pid"
uc_rc=$?
cat /tmp/uc.out "$log" >"$out"
check turn-offload-rmmod-falls-back sh -c "[ $uc_rc -eq 0 ] && grep -q 'turnrelay module gone' $log"
check turn-offload-rmmod-allocation-kept \
	last_end 'relayed by turnserver [1-9][0-9]* packets to peers, [1-9][0-9]* to the client; by the kernel [1-9]'
ts_stop
# without the module, auto falls back and says why
ts_start --kernel-offload auto
check turn-offload-auto-without-module sh -c "grep -q 'null engine (kernel-offload=auto): turnrelay module not loaded' $log"
ts_stop
check turn-offload-on-without-module-refused sh -c "! turnserver -n --listening-ip 10.0.0.1 --relay-ip 10.0.0.1 \
	-u alice:secret --userdb /tmp/turn2.db --kernel-offload on >/tmp/on.out 2>&1;
	cat /tmp/on.out; grep -q 'kernel-offload=on but the turnrelay engine is not usable' /tmp/on.out"
finish turn-offload
