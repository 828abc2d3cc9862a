/*
 * relay_addrs.c - the server's own addresses from the configuration: the
 * listening addresses, the relay address of each family, what clients are
 * told of it (external-ip), and the peer policy's own addresses and ports.
 * See relay.h.
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>

#include "relay/relay.h"

bool relay_is_loopback(const union sockaddr_u *u)
{
	if (u->sa.sa_family == AF_INET)
		return (ntohl(u->in.sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&u->in6.sin6_addr);
}

static void add_listen(struct relay *r, const struct sockaddr *sa)
{
	if (r->nlisten >= RELAY_MAX_LISTEN)
		return;
	for (int i = 0; i < r->nlisten; i++)
		if (addr_ip_equal(&r->listen[i].sa, sa))
			return;
	memset(&r->listen[r->nlisten], 0, sizeof(r->listen[0]));
	memcpy(&r->listen[r->nlisten], sa, addr_len(sa));
	addr_set_port(&r->listen[r->nlisten].sa, r->cfg->listening_port);
	r->nlisten++;
}

/* An address of an interface that is up, IPv4 or IPv6 but not link-local. */
static bool ifaddr_usable(const struct ifaddrs *i)
{
	if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
		return false;
	if (i->ifa_addr->sa_family == AF_INET6)
		return !IN6_IS_ADDR_LINKLOCAL(
		    &((const struct sockaddr_in6 *)i->ifa_addr)->sin6_addr);
	return i->ifa_addr->sa_family == AF_INET;
}

/*
 * Without listening-ip: every address of every interface that is up; with
 * listening-device, of that device only (a listener bound to it takes
 * nothing addressed to another device's address).
 */
int relay_pick_listen(struct relay *r)
{
	const struct config *c = r->cfg;
	struct ifaddrs *ifs, *i;

	for (size_t k = 0; k < c->listening_ip_count; k++)
		add_listen(r, (const struct sockaddr *)&c->listening_ip[k].addr);
	if (r->nlisten)
		return 0;
	if (getifaddrs(&ifs) < 0)
		return -1;
	for (i = ifs; i; i = i->ifa_next)
		if (ifaddr_usable(i) &&
		    (!c->listening_device[0] || strcmp(i->ifa_name, c->listening_device) == 0))
			add_listen(r, i->ifa_addr);
	freeifaddrs(ifs);
	return r->nlisten ? 0 : -1;
}

/* relay-device without relay-ip: the first address of each family on that device. */
static void pick_device_relay_addrs(struct relay *r, const char *device)
{
	struct ifaddrs *ifs, *i;

	if (getifaddrs(&ifs) < 0)
		return;
	for (i = ifs; i; i = i->ifa_next) {
		bool v6;
		bool *has;
		union sockaddr_u *dst;

		if (!ifaddr_usable(i) || strcmp(i->ifa_name, device) != 0)
			continue;
		v6 = i->ifa_addr->sa_family == AF_INET6;
		has = v6 ? &r->has_relay_v6 : &r->has_relay_v4;
		dst = v6 ? &r->relay_v6 : &r->relay_v4;
		if (*has)
			continue;
		memset(dst, 0, sizeof(*dst));
		memcpy(dst, i->ifa_addr, addr_len(i->ifa_addr));
		*has = true;
	}
	freeifaddrs(ifs);
}

/*
 * relay-ip, else the first address of each family on relay-device, else
 * the first non-loopback listening address of each family.
 */
static void pick_relay_addrs(struct relay *r)
{
	const struct config *c = r->cfg;

	for (size_t k = 0; k < c->relay_ip_count; k++) {
		const struct sockaddr *sa = (const struct sockaddr *)&c->relay_ip[k].addr;
		union sockaddr_u *dst = sa->sa_family == AF_INET6 ? &r->relay_v6 : &r->relay_v4;
		bool *has = sa->sa_family == AF_INET6 ? &r->has_relay_v6 : &r->has_relay_v4;

		if (!*has) {
			memcpy(dst, sa, addr_len(sa));
			*has = true;
		}
	}
	if (c->relay_ip_count)
		return;
	if (c->relay_device[0]) {
		pick_device_relay_addrs(r, c->relay_device);
		return;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int k = 0; k < r->nlisten; k++) {
			const union sockaddr_u *u = &r->listen[k];
			bool v6 = u->sa.sa_family == AF_INET6;
			bool *has = v6 ? &r->has_relay_v6 : &r->has_relay_v4;

			if (*has || (pass == 0 && relay_is_loopback(u)))
				continue;
			if (u->sa.sa_family == AF_INET && u->in.sin_addr.s_addr == INADDR_ANY)
				continue;
			*(v6 ? &r->relay_v6 : &r->relay_v4) = *u;
			*has = true;
		}
	}
}

/* external-ip=PUBLIC[/PRIVATE]: what clients are told about relay addresses. */
static void pick_advertised(struct relay *r)
{
	const struct config *c = r->cfg;

	for (size_t k = 0; k < c->external_ip_count; k++) {
		const struct config_external_ip *e = &c->external_ip[k];
		const struct sockaddr *pub = (const struct sockaddr *)&e->public_ip.addr;
		bool v6 = pub->sa_family == AF_INET6;
		union sockaddr_u *adv = v6 ? &r->advertise_v6 : &r->advertise_v4;
		const union sockaddr_u *relay = v6 ? &r->relay_v6 : &r->relay_v4;

		if (adv->sa.sa_family)
			continue;
		if (e->has_private &&
		    !addr_ip_equal((const struct sockaddr *)&e->private_ip.addr, &relay->sa))
			continue;
		memcpy(adv, pub, addr_len(pub));
	}
}

/* The operator's part of the policy: allow-loopback-peers, the lists, coturn's strict flags. */
static int policy_from_config(struct peer_policy *p, const struct config *c, char *err,
			      size_t errlen)
{
	if (peer_policy_init(p, c->allow_loopback_peers, (const char *const *)c->allowed_peer_ip,
			     (int)c->allowed_peer_ip_count, (const char *const *)c->denied_peer_ip,
			     (int)c->denied_peer_ip_count, err, errlen) < 0)
		return -1;
	p->strict_multicast = c->no_multicast_peers;
	p->strict_loopback = c->no_loopback_peers;
	return 0;
}

int relay_policy_rebuild(const struct relay *r, const struct config *c, struct peer_policy *out,
			 char *err, size_t errlen)
{
	if (policy_from_config(out, c, err, errlen) < 0)
		return -1;
	out->nself = r->policy.nself;
	memcpy(out->self, r->policy.self, sizeof(out->self));
	return 0;
}

int relay_setup_policy(struct relay *r, char *err, size_t errlen)
{
	const struct config *c = r->cfg;

	if (policy_from_config(&r->policy, c, err, errlen) < 0)
		return -1;
	/* own addresses, and the ports that stay own under allow-loopback-peers */
	for (int i = 0; i < r->nlisten; i++) {
		peer_policy_add_self_ports(&r->policy, &r->listen[i].sa, c->listening_port,
					   c->listening_port);
		/* the TLS/DTLS ports, whether or not a certificate opens them */
		peer_policy_add_self_ports(&r->policy, &r->listen[i].sa, c->tls_listening_port,
					   c->tls_listening_port);
		if (c->alt_tls_listening_port)
			peer_policy_add_self_ports(&r->policy, &r->listen[i].sa,
						   (uint16_t)c->alt_tls_listening_port,
						   (uint16_t)c->alt_tls_listening_port);
		/* RFC 5780's second port (natdisc.c listens on it on some of them) */
		if (c->rfc5780 && config_alt_listening_port(c))
			peer_policy_add_self_ports(&r->policy, &r->listen[i].sa,
						   config_alt_listening_port(c),
						   config_alt_listening_port(c));
	}
	if (r->has_relay_v4)
		relay_addr_register(r, &r->relay_v4.sa,
				    r->advertise_v4.sa.sa_family ? &r->advertise_v4.sa : NULL);
	if (r->has_relay_v6)
		relay_addr_register(r, &r->relay_v6.sa,
				    r->advertise_v6.sa.sa_family ? &r->advertise_v6.sa : NULL);
	for (size_t k = 0; k < c->external_ip_count; k++)
		peer_policy_add_self(&r->policy,
				     (const struct sockaddr *)&c->external_ip[k].public_ip.addr);
	/* wildcard listening: every local address is the server's own */
	return peer_policy_add_self_ifaddrs(&r->policy) < 0 ? 0 : 0;
}

int relay_pick_addrs(struct relay *r)
{
	pick_relay_addrs(r);
	if (!r->has_relay_v4 && !r->has_relay_v6)
		return -1;
	pick_advertised(r);
	return 0;
}
