#!/bin/sh
# tier: full
# test_natdiscovery.sh BUILD_DIR: RFC 5780 NAT behaviour discovery through
# NATs of known behaviour. Three namespaces of the test's own: a client
# (10.57.0.2) behind a router (10.57.0.1 inside, 198.18.57.1 outside) whose
# nftables rules make the NAT, and our turnserver with rfc5780 on
# 198.18.57.10 and .11 (ports 3478 and 3479). Each NAT is set up in turn
# and our turnutils_natdiscovery must name it (Debian coturn's too where
# noted):
#  - none (the tool on the router itself): no NAT, endpoint-independent
#    filtering (nothing filters), hairpinning; over IPv6 too;
#  - snat to the router's address: endpoint-independent mapping (Linux
#    keeps the port), address and port-dependent filtering (conntrack), no
#    hairpinning (coturn's too, mapping and filtering); the mapping
#    lifetime with the router's UDP conntrack timeout at 3 s: alive after
#    1 s, expired after 5 s;
#  - snat to a port per server address: address-dependent mapping (our
#    tool only: see there);
#  - snat to a port per server address and port: address and
#    port-dependent mapping (coturn's too);
#  - snat of one port and its static dnat back (a full cone):
#    endpoint-independent filtering behind the NAT (coturn's too).
# And the server: without rfc5780 the tool finds no RFC 5780, a
# CHANGE-REQUEST gets 420 naming it; with it, a 1500-byte PADDING is
# answered in kind. Needs root, ip and nft. Takes about 15 seconds.
# Prints one "PASS: name" or "FAIL: name" line per check.
# shellcheck disable=SC2016 # tl_check evals its condition later
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
tl_init "$@"
here=$(cd "$(dirname "$0")" && pwd)
for t in ip nft; do
	command -v "$t" >/dev/null 2>&1 || {
		echo "FAIL: prerequisites ($t missing: scripts/deps test)"
		exit 1
	}
done
[ "$(id -u)" = 0 ] || {
	echo "FAIL: prerequisites (needs root for its namespaces)"
	exit 1
}
tl_require_coturn turnutils_natdiscovery
nsc=ndC$$ nsn=ndN$$ nss=ndS$$
trap 'tl_netns_del $nss $nsn $nsc; tl_cleanup "$tmp" $pids' EXIT
tl_netns_pair "$nsc" 10.57.0.2/24 "$nsn" 10.57.0.1/24
tl_netns_step "$nsn-$nss" netns add "$nss"
tl_netns_step "$nsn-$nss" -n "$nss" link set lo up
tl_netns_step "$nsn-$nss" link add "${nsn}o" netns "$nsn" type veth peer name "$nss" netns "$nss"
tl_netns_step "$nsn-$nss" -n "$nsn" addr add 198.18.57.1/24 dev "${nsn}o"
tl_netns_step "$nsn-$nss" -n "$nss" addr add 198.18.57.10/24 dev "$nss"
tl_netns_step "$nsn-$nss" -n "$nss" addr add 198.18.57.11/24 dev "$nss"
tl_netns_step "$nsn-$nss" -n "$nsn" addr add 2001:db8:57::1/64 dev "${nsn}o" nodad
tl_netns_step "$nsn-$nss" -n "$nss" addr add 2001:db8:57::10/64 dev "$nss" nodad
tl_netns_step "$nsn-$nss" -n "$nss" addr add 2001:db8:57::11/64 dev "$nss" nodad
tl_netns_step "$nsn-$nss" -n "$nsn" link set "${nsn}o" up
tl_netns_step "$nsn-$nss" -n "$nss" link set "$nss" up
tl_netns_step "$nsc default route" -n "$nsc" route add default via 10.57.0.1
tl_setup "router forwards" 'ip netns exec "$nsn" sysctl -qw net.ipv4.ip_forward=1'
# the router's UDP mappings last 3 s (the lifetime test: 2 s of margin
# either way, for a loaded machine)
tl_setup "router conntrack timeouts" 'ip netns exec "$nsn" sysctl -qw \
	net.netfilter.nf_conntrack_udp_timeout=3 net.netfilter.nf_conntrack_udp_timeout_stream=3'

in_c() { ip netns exec "$nsc" "$@"; }
in_n() { ip netns exec "$nsn" "$@"; }

# nat RULES...: the router's nat table is replaced by one whose postrouting
# chain holds the first argument's rules and prerouting the second's
nat() {
	in_n nft delete table ip natd 2>/dev/null
	printf 'table ip natd {\n chain post { type nat hook postrouting priority 100; %s }\n chain pre { type nat hook prerouting priority -100; %s }\n}\n' \
		"$1" "${2:-}" >"$tmp/nat.nft"
	in_n nft -f "$tmp/nat.nft" >"$tmp/nft.out" 2>&1 || {
		tl_fail "nft ruleset ($1)"
		cat "$tmp/nft.out"
		exit 1
	}
}

# the server: rfc5780 on the two addresses, on its default ports
ip netns exec "$nss" "$bin/turnserver" -n --listening-ip 198.18.57.10 --listening-ip 198.18.57.11 \
	--listening-ip 2001:db8:57::10 --listening-ip 2001:db8:57::11 \
	--relay-ip 198.18.57.10 --rfc5780 -u alice:secret --userdb "$tmp/turn.db" \
	--relay-threads 2 --log-file "$tmp/server.log" >"$tmp/server.out" 2>"$tmp/server.err" &
srv_pid=$!
pids="$pids $srv_pid"
# and one without it, on 4478
ip netns exec "$nss" "$bin/turnserver" -n --listening-ip 198.18.57.10 --listening-ip 198.18.57.11 \
	--relay-ip 198.18.57.10 -p 4478 --tls-listening-port 4479 -u alice:secret \
	--userdb "$tmp/turn2.db" --relay-threads 1 --log-file "$tmp/server2.log" \
	>"$tmp/server2.out" 2>"$tmp/server2.err" &
srv2_pid=$!
pids="$pids $srv2_pid"
tl_setup "servers up" 'for _ in $(seq 50); do
	grep -q ":0D97 " /proc/$srv_pid/net/udp && grep -q ":117E " /proc/$srv_pid/net/udp && break
	sleep 0.1; done; grep -q ":117E " /proc/$srv_pid/net/udp' "$tmp/server.err"

tl_check "the server names its RFC 5780 addresses and ports at startup, IPv4 and IPv6" \
	'grep -q "INFO: rfc5780: NAT behaviour discovery on 198.18.57.10 and 198.18.57.11, UDP ports 3478 and 3479" "$tmp/server.log" &&
	grep -q "INFO: rfc5780: NAT behaviour discovery on 2001:db8:57::10 and 2001:db8:57::11, UDP ports 3478 and 3479" "$tmp/server.log"' "$tmp/server.log"

# no NAT: from the router, on the servers' link
in_n "$bin/turnutils_natdiscovery" -m -f -H -w 300 198.18.57.10 >"$tmp/out" 2>&1
tl_check "no NAT: mapping" 'grep -qx "NAT mapping: no NAT (the server sees the local address)" "$tmp/out"' "$tmp/out"
tl_check "no NAT: filtering endpoint-independent (answers from the other IP and port came)" \
	'grep -qx "NAT filtering: endpoint-independent" "$tmp/out" &&
	grep -q "^filtering test II: .*response origin 198.18.57.11:3479" "$tmp/out"' "$tmp/out"
tl_check "no NAT: mapping test II and III not needed, OTHER-ADDRESS 198.18.57.11:3479" \
	'grep -q "^mapping test I: mapped 198.18.57.1:[0-9]*, response origin 198.18.57.10:3478, other address 198.18.57.11:3479" "$tmp/out" &&
	! grep -q "^mapping test II" "$tmp/out"' "$tmp/out"
tl_check "no NAT: hairpinning" 'grep -qx "NAT hairpinning: yes" "$tmp/out"' "$tmp/out"
in_n "$bin/turnutils_natdiscovery" -m -f -w 300 2001:db8:57::10 >"$tmp/out" 2>&1
tl_check "IPv6, no NAT: mapping, filtering, OTHER-ADDRESS [2001:db8:57::11]:3479" \
	'grep -qx "NAT mapping: no NAT (the server sees the local address)" "$tmp/out" &&
	grep -qx "NAT filtering: endpoint-independent" "$tmp/out" &&
	grep -q "^mapping test I: mapped \[2001:db8:57::1\]:[0-9]*, response origin \[2001:db8:57::10\]:3478, other address \[2001:db8:57::11\]:3479" "$tmp/out"' "$tmp/out"

# endpoint-independent mapping, address and port-dependent filtering
nat 'ip saddr 10.57.0.0/24 snat to 198.18.57.1;'
in_c "$bin/turnutils_natdiscovery" -m -f -H -P -w 300 198.18.57.10 >"$tmp/out" 2>&1
tl_check "snat: mapping endpoint-independent" \
	'grep -qx "NAT mapping: endpoint-independent" "$tmp/out" &&
	grep -q "^mapping test II: mapped 198.18.57.1:.*response origin 198.18.57.11:3478, other address 198.18.57.10:3479" "$tmp/out"' "$tmp/out"
tl_check "snat: filtering address and port-dependent" \
	'grep -qx "NAT filtering: address and port-dependent" "$tmp/out"' "$tmp/out"
tl_check "snat: no hairpinning" 'grep -qx "NAT hairpinning: no" "$tmp/out"' "$tmp/out"
in_c timeout 30 turnutils_natdiscovery -m -f 198.18.57.10 >"$tmp/coturn.out" 2>&1
tl_check "snat: coturn's natdiscovery finds endpoint-independent mapping, address and port-dependent filtering" \
	'grep -q "NAT with Endpoint Independent Mapping" "$tmp/coturn.out" &&
	grep -q "NAT with Address and Port Dependent Filtering" "$tmp/coturn.out"' "$tmp/coturn.out"
in_c "$bin/turnutils_natdiscovery" -t -T 1 -w 300 198.18.57.10 >"$tmp/out" 2>&1
tl_check "snat: mapping lifetime alive after 1 s (conntrack 3 s)" \
	'grep -qx "NAT mapping lifetime: alive after 1 s" "$tmp/out"' "$tmp/out"
in_c "$bin/turnutils_natdiscovery" -t -T 5 -w 300 198.18.57.10 >"$tmp/out" 2>&1
tl_check "snat: mapping lifetime expired within 5 s" \
	'grep -qx "NAT mapping lifetime: expired within 5 s" "$tmp/out"' "$tmp/out"

# address-dependent mapping: one port per server address, from base B
# (each tool its own ports: a mapping still in conntrack would take them).
# Only ours: coturn's natdiscovery sends test III to the OTHER-ADDRESS of
# test II's answer, not of test I's (RFC 5780 §4.3); from a server whose
# OTHER-ADDRESS depends on where the request came in (§7.4: where "change
# IP" and "change port" would answer from), as ours does, that is the
# primary IP and so it reports address and port-dependent mapping here.
adm() {
	nat "ip saddr 10.57.0.0/24 ip daddr 198.18.57.10 meta l4proto udp snat to 198.18.57.1:$1;
	ip saddr 10.57.0.0/24 ip daddr 198.18.57.11 meta l4proto udp snat to 198.18.57.1:$(($1 + 1));"
}
adm 40010
in_c "$bin/turnutils_natdiscovery" -m -w 300 198.18.57.10 >"$tmp/out" 2>&1
tl_check "address-dependent mapping" \
	'grep -qx "NAT mapping: address-dependent" "$tmp/out" &&
	grep -q "^mapping test III: mapped 198.18.57.1:40011, response origin 198.18.57.11:3479" "$tmp/out"' "$tmp/out"

# address and port-dependent mapping: one port per server address and port
apdm() {
	nat "ip saddr 10.57.0.0/24 ip daddr 198.18.57.10 meta l4proto udp snat to 198.18.57.1:$1;
	ip saddr 10.57.0.0/24 ip daddr 198.18.57.11 udp dport 3478 snat to 198.18.57.1:$(($1 + 1));
	ip saddr 10.57.0.0/24 ip daddr 198.18.57.11 udp dport 3479 snat to 198.18.57.1:$(($1 + 2));"
}
apdm 40020
in_c "$bin/turnutils_natdiscovery" -m -w 300 198.18.57.10 >"$tmp/out" 2>&1
tl_check "address and port-dependent mapping" \
	'grep -qx "NAT mapping: address and port-dependent" "$tmp/out"' "$tmp/out"
apdm 40120
in_c timeout 30 turnutils_natdiscovery -m 198.18.57.10 >"$tmp/coturn.out" 2>&1
tl_check "address and port-dependent mapping: coturn's natdiscovery agrees" \
	'grep -q "NAT with Address and Port Dependent Mapping" "$tmp/coturn.out"' "$tmp/coturn.out"

# a full cone: local port 5000 is the router's 5000 to and from anyone
nat 'ip saddr 10.57.0.2 udp sport 5000 snat to 198.18.57.1:5000;' \
	"iifname \"${nsn}o\" udp dport 5000 dnat to 10.57.0.2:5000;"
in_c "$bin/turnutils_natdiscovery" -f -m -L 10.57.0.2 -l 5000 -w 300 198.18.57.10 >"$tmp/out" 2>&1
tl_check "full cone: endpoint-independent mapping and filtering behind the NAT" \
	'grep -qx "NAT mapping: endpoint-independent" "$tmp/out" &&
	grep -qx "NAT filtering: endpoint-independent" "$tmp/out" &&
	grep -q "^mapping test I: mapped 198.18.57.1:5000," "$tmp/out"' "$tmp/out"
in_c timeout 30 turnutils_natdiscovery -f -L 10.57.0.2 -l 5000 198.18.57.10 >"$tmp/coturn.out" 2>&1
tl_check "full cone: coturn's natdiscovery finds endpoint-independent filtering" \
	'grep -q "NAT with Endpoint Independent Filtering" "$tmp/coturn.out"' "$tmp/coturn.out"

# the tool's refusals: coturn's collision discovery, -t without its timer
in_n "$bin/turnutils_natdiscovery" -c -A 10.57.0.3 198.18.57.10 >"$tmp/out" 2>&1
rc=$?
tl_check "turnutils_natdiscovery refuses -c/-A by name (exit 64)" \
	'[ $rc = 64 ] && grep -q "collision discovery is not done here" "$tmp/out"' "$tmp/out"
in_n "$bin/turnutils_natdiscovery" -t 198.18.57.10 >"$tmp/out" 2>&1
rc=$?
tl_check "turnutils_natdiscovery -t without -T: usage error (exit 64)" '[ $rc = 64 ]' "$tmp/out"

# the server's side: without rfc5780, with PADDING, a CHANGE-REQUEST
in_n "$bin/turnutils_natdiscovery" -m -p 4478 -w 300 198.18.57.10 >"$tmp/out" 2>&1
rc=$?
tl_check "without rfc5780: the tool finds no RFC 5780 (exit 1, no OTHER-ADDRESS)" \
	'[ $rc = 1 ] && grep -q "offers no RFC 5780 (no OTHER-ADDRESS" "$tmp/out"' "$tmp/out"
# the probe prints its own PASS/FAIL lines
in_n python3 "$here/natdisc_probe.py" 198.18.57.10 3478 4478 || failed=1
tl_check_turnserver_stops "the rfc5780 server exits cleanly"
tl_stop "$srv2_pid"
rc=$?
tl_check "the server without rfc5780 exits cleanly" \
	'[ $rc -eq 0 ] && tl_no_sanitizer_report "$tmp/server2.out" "$tmp/server2.err"' "$tmp/server2.err"
exit $failed
