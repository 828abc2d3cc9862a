/*
 * natdisc_verdict.h - what RFC 5780's tests (§4.3 mapping, §4.4 filtering)
 * say about a NAT, from what the Binding answers held: pure, for
 * turnutils_natdiscovery and its unit test.
 */
#ifndef CLIENT_NATDISC_VERDICT_H
#define CLIENT_NATDISC_VERDICT_H

#include <stdbool.h>
#include <sys/socket.h>

/* RFC 4787 §4.1's mapping behaviours, and no NAT at all. */
enum nd_mapping {
	ND_MAPPING_NO_NAT,
	ND_MAPPING_ENDPOINT_INDEPENDENT,
	ND_MAPPING_ADDRESS_DEPENDENT,
	ND_MAPPING_ADDRESS_PORT_DEPENDENT,
};

/* RFC 4787 §5's filtering behaviours. */
enum nd_filtering {
	ND_FILTERING_ENDPOINT_INDEPENDENT,
	ND_FILTERING_ADDRESS_DEPENDENT,
	ND_FILTERING_ADDRESS_PORT_DEPENDENT,
};

/* Which of test II (x2) and test III (x3) the mapping verdict still needs. */
enum nd_mapping_next { ND_MAPPING_DONE, ND_MAPPING_NEED_II, ND_MAPPING_NEED_III };

/*
 * §4.3: local is the client's address, x1..x3 the mapped addresses of tests
 * I (primary address), II (alternate IP, primary port) and III (alternate
 * IP and port), NULL while not run. *next says which test is to run next
 * (ND_MAPPING_DONE: the verdict is final).
 */
enum nd_mapping nd_mapping_verdict(const struct sockaddr *local, const struct sockaddr *x1,
				   const struct sockaddr *x2, const struct sockaddr *x3,
				   enum nd_mapping_next *next);

/*
 * §4.4: whether test II (answer from the alternate IP and port) and test III
 * (from the primary IP, alternate port) got an answer.
 */
enum nd_filtering nd_filtering_verdict(bool got_ii, bool got_iii);

const char *nd_mapping_name(enum nd_mapping m);
const char *nd_filtering_name(enum nd_filtering f);

#endif
