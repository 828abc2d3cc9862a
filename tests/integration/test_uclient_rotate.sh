#!/bin/sh
# test_uclient_rotate.sh BUILD_DIR: turnutils_uclient --alloc-rate
# --rotate-local over UDP (the allocation benchmark's client, tests/bench)
# keeps one socket per slot for the whole run and sends each allocation
# of a slot from the next address of the range (IP_PKTINFO), instead of a
# socket, bind, connect and close per allocation. Against our server with
# 2 slots and 8 addresses (127.0.1.0-7; a fast machine makes 8000
# allocations in the second, 1000 401s per address, so the server's
# 401-req-limit is raised, as the per-source request rate is off): the run allocates and
# deletes with nothing failed, the server's log shows allocations from all
# 8 addresses, and from no more than 2 client ports (the old client bound
# socket k to a new port every 8 allocations). Stops cleanly. About 2 s.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"

tl_port_plan 140
tl_start_turnserver "$srv" "$minp" "$maxp" --unauth-req-rate 0 --401-req-limit 1000000
tl_setup server_answers "tl_wait_stun $srv" "$tmp/server.err"

timeout 60 "$bin/turnutils_uclient" --alloc-rate 1 -m 2 -L 127.0.1.0 --rotate-local 8 \
	-u alice -w secret -p "$srv" 127.0.0.1 >"$tmp/out" 2>&1
rc=$?
tl_check rotate_alloc_rate_allocates \
	"[ $rc -eq 0 ] && grep -q '^alloc-rate: 2 in flight, .*: [1-9][0-9]* allocations (failed 0, delete failed 0' '$tmp/out'" \
	"$tmp/out"

# "allocation for 'alice' from UDP 127.0.1.2:PORT: UDP relay ..." (up to 20 a second per worker)
sed -n "s/.*allocation for 'alice' from UDP \(127\.0\.1\.[0-9]*\):\([0-9]*\):.*/\1 \2/p" \
	"$tmp/server.log" >"$tmp/sources"
tl_check allocations_from_every_address_of_the_range \
	"[ \$(cut -d' ' -f1 '$tmp/sources' | sort -u | wc -l) -eq 8 ]" "$tmp/sources"
tl_check one_socket_per_slot \
	"[ \$(wc -l <'$tmp/sources') -ge 12 ] && [ \$(cut -d' ' -f2 '$tmp/sources' | sort -u | wc -l) -le 2 ]" \
	"$tmp/sources"

tl_check_turnserver_stops server_exits_0_on_sigterm

exit $failed
