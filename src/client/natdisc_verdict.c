/*
 * natdisc_verdict.c - RFC 5780 §4.3 and §4.4: the NAT's mapping and
 * filtering behaviour from the answers to the tests (RFC 4787's terms).
 */
#include "client/natdisc_verdict.h"
#include "common/addr.h"

enum nd_mapping nd_mapping_verdict(const struct sockaddr *local, const struct sockaddr *x1,
				   const struct sockaddr *x2, const struct sockaddr *x3,
				   enum nd_mapping_next *next)
{
	*next = ND_MAPPING_DONE;
	/* test I: the server saw the client's own address: no NAT on the way */
	if (addr_equal(local, x1))
		return ND_MAPPING_NO_NAT;
	if (!x2) {
		*next = ND_MAPPING_NEED_II;
		return ND_MAPPING_ADDRESS_PORT_DEPENDENT;
	}
	/* test II: the same mapping toward another IP */
	if (addr_equal(x1, x2))
		return ND_MAPPING_ENDPOINT_INDEPENDENT;
	if (!x3) {
		*next = ND_MAPPING_NEED_III;
		return ND_MAPPING_ADDRESS_PORT_DEPENDENT;
	}
	/* test III: toward the same IP, another port */
	if (addr_equal(x2, x3))
		return ND_MAPPING_ADDRESS_DEPENDENT;
	return ND_MAPPING_ADDRESS_PORT_DEPENDENT;
}

enum nd_filtering nd_filtering_verdict(bool got_ii, bool got_iii)
{
	if (got_ii)
		return ND_FILTERING_ENDPOINT_INDEPENDENT;
	if (got_iii)
		return ND_FILTERING_ADDRESS_DEPENDENT;
	return ND_FILTERING_ADDRESS_PORT_DEPENDENT;
}

const char *nd_mapping_name(enum nd_mapping m)
{
	switch (m) {
	case ND_MAPPING_NO_NAT:
		return "no NAT (the server sees the local address)";
	case ND_MAPPING_ENDPOINT_INDEPENDENT:
		return "endpoint-independent";
	case ND_MAPPING_ADDRESS_DEPENDENT:
		return "address-dependent";
	case ND_MAPPING_ADDRESS_PORT_DEPENDENT:
		return "address and port-dependent";
	}
	return "?";
}

const char *nd_filtering_name(enum nd_filtering f)
{
	switch (f) {
	case ND_FILTERING_ENDPOINT_INDEPENDENT:
		return "endpoint-independent";
	case ND_FILTERING_ADDRESS_DEPENDENT:
		return "address-dependent";
	case ND_FILTERING_ADDRESS_PORT_DEPENDENT:
		return "address and port-dependent";
	}
	return "?";
}
