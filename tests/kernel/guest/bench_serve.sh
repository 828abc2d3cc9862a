#!/bin/sh
# bench_serve.sh - scripts/bench-kernel's end-to-end figure under pktgen
# (scripts/kernel-guest ... bench_serve): bench.sh's measurement with
# turnserver itself as the server, a TURN channel ("turn") and an anchored
# call ("anchor"), kernel-offload=on against kernel-offload=off; bench.sh
# says what is measured on which CPU.
BENCH_KINDS="turn anchor"
# shellcheck source=tests/kernel/guest/bench.sh
. /tests/bench.sh
