/*
 * relay.c - the relay layer's addresses, ports and peer verdict. See relay.h.
 */
#include "relay/relay.h"

#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <unistd.h>

#define PORT_TRIES 64

static uint32_t random_u32(void)
{
	uint32_t v = 0;

	if (RAND_bytes((uint8_t *)&v, sizeof(v)) != 1)
		v = (uint32_t)rand();
	return v;
}

/*
 * A relay socket on local:port. A TCP one (RFC 6062) is bound without
 * SO_REUSEPORT, so that no other socket holds the port, and gets it after
 * the bind, so that connections to peers can leave from the same port.
 */
static int relay_socket(const union sockaddr_u *local, uint16_t port, bool tcp, bool dont_fragment)
{
	union sockaddr_u addr = *local;
	int fd, on = 1;

	fd = socket(addr.sa.sa_family,
		    (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (addr.sa.sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (tcp)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (dont_fragment) {
		int pmtu = IP_PMTUDISC_DO;

		if (addr.sa.sa_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &on, sizeof(on));
	}
	addr_set_port(&addr.sa, port);
	if (bind(fd, &addr.sa, addr_len(&addr.sa)) < 0 ||
	    (tcp && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Binds a random port of the range (even when asked; with its odd
 * neighbour too). TURN allocations and the media anchor both take their
 * ports here, so they share one range and one budget.
 */
int relay_port_bind(const struct relay *r, const union sockaddr_u *local, bool tcp, bool even,
		    bool reserve_next, bool df, int *fd_out, int *next_fd_out)
{
	unsigned int lo = r->cfg->min_port, hi = r->cfg->max_port;
	unsigned int span = hi - lo + 1;

	for (int i = 0; i < PORT_TRIES; i++) {
		unsigned int port = lo + random_u32() % span;
		int fd, next_fd = -1;

		if (even) {
			port &= ~1u;
			if (port < lo || (reserve_next && port + 1 > hi))
				continue;
		}
		fd = relay_socket(local, (uint16_t)port, tcp, df);
		if (fd < 0)
			continue;
		if (reserve_next) {
			next_fd = relay_socket(local, (uint16_t)(port + 1), tcp, df);
			if (next_fd < 0) {
				close(fd);
				continue;
			}
		}
		*fd_out = fd;
		*next_fd_out = next_fd;
		return 0;
	}
	return -1;
}

int relay_addr_register(struct relay *r, const struct sockaddr *addr, const struct sockaddr *pub)
{
	if (peer_policy_add_self_ports(&r->policy, addr, r->cfg->min_port, r->cfg->max_port) < 0 ||
	    (pub && peer_policy_add_self(&r->policy, pub) < 0))
		return -1;
	return relay_ports_add_addr(&r->ports, addr, pub);
}

static bool in_relay_range(const struct relay *r, const union sockaddr_u *peer)
{
	uint16_t port = addr_port(&peer->sa);

	return port >= r->cfg->min_port && port <= r->cfg->max_port;
}

/*
 * With external-ip (or anchor-interface), clients know our relay and anchor
 * addresses by the public IP: a peer given as public IP + relay port is the
 * local socket (TURN to TURN, TURN to anchor behind 1:1 NAT), and a local
 * one reported as a peer is shown public. The verdict then judges the local
 * address like any other.
 */
void relay_peer_from_wire(const struct relay *r, union sockaddr_u *peer)
{
	if (in_relay_range(r, peer))
		relay_ports_to_local(&r->ports, &peer->sa);
}

void relay_peer_to_wire(const struct relay *r, union sockaddr_u *peer)
{
	if (in_relay_range(r, peer))
		relay_ports_to_public(&r->ports, &peer->sa);
}

/*
 * The peer policy, with one way through the server's own addresses: a port
 * that is at this moment a live relay socket of this server (another
 * allocation's, which enforces permissions of its own, as when two browsers
 * both relay through us; or an anchor media socket). Not a port of the
 * relay range that is free, reserved, or bound by some other program; not
 * a UDP relay for a TCP Connect. denied-peer-ip still wins.
 */
enum peer_verdict relay_peer_verdict(const struct relay *r, const union sockaddr_u *peer, int proto)
{
	enum peer_verdict v = peer_policy_check(&r->policy, &peer->sa);

	if (v == PEER_DENIED_SELF && relay_ports_live(&r->ports, &peer->sa, proto))
		return PEER_ALLOWED;
	return v;
}

bool relay_own_socket(const struct relay *r, const struct sockaddr *from)
{
	union sockaddr_u local;

	for (int i = 0; i < r->nlisten; i++)
		if (addr_equal(&r->listen[i].sa, from))
			return true;
	memset(&local, 0, sizeof(local));
	memcpy(&local, from, addr_len(from));
	relay_ports_to_local(&r->ports, &local.sa);
	return relay_ports_live(&r->ports, &local.sa, IPPROTO_UDP);
}
