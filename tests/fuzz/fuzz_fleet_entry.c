/*
 * fuzz_fleet_entry.c - libFuzzer harness for a fleet server's line as read
 * from Redis (src/server/fleet_entry.c). Checks what fleet_entry.h
 * promises: a refused line leaves the output untouched and says why; an
 * accepted one has an address with a port that a client can be sent to, a
 * tls address of the same family or none, rates within FLEET_BPS_MAX, and
 * writes back a line that parses to the same line again; picking among accepted entries returns
 * one with room and the family asked for.
 * fuzz-sources: src/server/fleet_entry.c
 */
#include <string.h>

#include "server/fleet_entry.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fleet_entry e, before, back, es[2];
	char err[128], line[FLEET_ENTRY_MAX + 1], again[FLEET_ENTRY_MAX + 1];
	int n, i;

	memset(&e, 0xA5, sizeof(e));
	before = e;
	if (fleet_entry_parse((const char *)data, size, &e, err, sizeof(err)) < 0) {
		CHECK(memcmp(&e, &before, sizeof(e)) == 0);
		CHECK(strnlen(err, sizeof(err)) < sizeof(err) && err[0]);
		return 0;
	}
	CHECK(e.addr.sa.sa_family == AF_INET || e.addr.sa.sa_family == AF_INET6);
	CHECK(addr_port(&e.addr.sa) != 0 && fleet_entry_addr_usable(&e.addr));
	CHECK(!e.tls.sa.sa_family ||
	      (e.tls.sa.sa_family == e.addr.sa.sa_family && addr_port(&e.tls.sa) != 0));
	CHECK(e.bps <= FLEET_BPS_MAX && e.bps_reserved <= FLEET_BPS_MAX &&
	      e.bps_capacity <= FLEET_BPS_MAX);
	n = fleet_entry_format(&e, line, sizeof(line));
	CHECK(n > 0 && (size_t)n == strlen(line));
	CHECK(fleet_entry_parse(line, (size_t)n, &back, err, sizeof(err)) == 0);
	CHECK(fleet_entry_format(&back, again, sizeof(again)) == n && strcmp(line, again) == 0);
	es[0] = e;
	es[1] = back;
	i = fleet_entry_pick(es, 2, e.addr.sa.sa_family, false, (uint32_t)size, (unsigned int)size);
	CHECK(i == -1 || ((i == 0 || i == 1) && fleet_entry_has_room(&es[i], (uint32_t)size)));
	CHECK((i == -1) == !fleet_entry_has_room(&e, (uint32_t)size));
	return 0;
}
