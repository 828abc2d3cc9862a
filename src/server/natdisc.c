/*
 * natdisc.c - RFC 5780 NAT behaviour discovery on Binding requests (UDP):
 * the server answers from one of four addresses, the first two listening
 * addresses of a family and of one class (A, B: public, private or
 * loopback alike, peer_policy_class()) each on listening-port and
 * alt-listening-port (P, Q). OTHER-ADDRESS names the one that differs in
 * both IP and port from where a request came in (§7.3), RESPONSE-ORIGIN
 * where the answer leaves from, CHANGE-REQUEST moves that to the other IP
 * and/or port (§7.2), RESPONSE-PORT moves where the answer goes to another
 * port of the client's IP (§7.5), PADDING is answered in kind (§7.6).
 * Off unless rfc5780: pure, no I/O; turn.c sends what it plans.
 */
#include <string.h>

#include "common/addr.h"
#include "common/log.h"
#include "relay/peer_policy.h"
#include "server/server.h"

static int family_slot(int family)
{
	return family == AF_INET6 ? 1 : 0;
}

int natdisc_setup(struct server *srv, char *err, size_t errlen)
{
	const struct config *c = srv->cfg;
	uint16_t alt = config_alt_listening_port(c);
	bool any = false;

	memset(srv->natdisc, 0, sizeof(srv->natdisc));
	if (!c->rfc5780) {
		if (c->alt_listening_port)
			log_warn("alt-listening-port %u: not acted on without rfc5780",
				 c->alt_listening_port);
		return 0;
	}
	if (c->no_udp) {
		snprintf(err, errlen, "rfc5780 needs UDP listeners: no-udp is set");
		return -1;
	}
	if (!alt || alt == c->listening_port || alt == c->tls_listening_port ||
	    alt == c->alt_tls_listening_port) {
		snprintf(
		    err, errlen,
		    "rfc5780: alt-listening-port %u must be a port of its own (not listening-port, "
		    "tls-listening-port or alt-tls-listening-port)",
		    alt);
		return -1;
	}
	for (int i = 0; i < srv->relay.nlisten; i++) {
		const union sockaddr_u *l = &srv->relay.listen[i];
		union sockaddr_u *pair = srv->natdisc[family_slot(l->sa.sa_family)];

		/* a partner of the same class: never loopback for a public address */
		if (!pair[0].sa.sa_family)
			pair[0] = *l;
		else if (!pair[1].sa.sa_family && !addr_ip_equal(&pair[0].sa, &l->sa) &&
			 peer_policy_class(&l->sa) == peer_policy_class(&pair[0].sa))
			pair[1] = *l;
	}
	for (int f = 0; f < 2; f++) {
		union sockaddr_u *pair = srv->natdisc[f];

		if (pair[1].sa.sa_family) {
			char a[ADDR_STRLEN], b[ADDR_STRLEN];

			any = true;
			log_info(
			    "rfc5780: NAT behaviour discovery on %s and %s, UDP ports %u and %u",
			    addr_ip_str(&pair[0].sa, a, sizeof(a)),
			    addr_ip_str(&pair[1].sa, b, sizeof(b)), c->listening_port, alt);
			continue;
		}
		if (pair[0].sa.sa_family)
			log_warn("rfc5780: one listening address of %s: NAT behaviour discovery "
				 "is off for it (give two listening-ip of the family)",
				 f ? "IPv6" : "IPv4");
		memset(pair, 0, 2 * sizeof(*pair));
	}
	if (!any) {
		snprintf(err, errlen,
			 "rfc5780 needs two listening addresses of one family (listening-ip)");
		return -1;
	}
	return 0;
}

/* Is local (an address a UDP listener is bound to) one of the four? Its slot and which IP. */
static int natdisc_find(const struct server *srv, const struct sockaddr *local, int *ip)
{
	const union sockaddr_u *pair = srv->natdisc[family_slot(local->sa_family)];
	uint16_t port = addr_port(local);

	if (!pair[1].sa.sa_family ||
	    (port != srv->cfg->listening_port && port != config_alt_listening_port(srv->cfg)))
		return -1;
	for (int k = 0; k < 2; k++) {
		if (addr_ip_equal(&pair[k].sa, local)) {
			*ip = k;
			return 0;
		}
	}
	return -1;
}

bool natdisc_listens_alt(const struct server *srv, const union sockaddr_u *listen)
{
	int ip;

	return natdisc_find(srv, &listen->sa, &ip) == 0;
}

/* The address on IP k of local's pair with port changed (or not). */
static void natdisc_addr(const struct server *srv, const struct sockaddr *local, int k,
			 bool other_port, union sockaddr_u *out)
{
	const struct config *c = srv->cfg;
	uint16_t port = addr_port(local);
	uint16_t alt = config_alt_listening_port(c);

	*out = srv->natdisc[family_slot(local->sa_family)][k];
	if (other_port)
		port = port == c->listening_port ? alt : c->listening_port;
	addr_set_port(&out->sa, port);
}

/* An attribute of RFC 5780 in m that this answer cannot act on: 420 naming it. */
static int natdisc_unknown(const struct stun_msg *m, uint16_t *unknown)
{
	static const uint16_t types[] = {STUN_ATTR_CHANGE_REQUEST, STUN_ATTR_RESPONSE_PORT,
					 STUN_ATTR_PADDING};

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (stun_msg_find(m, types[i])) {
			*unknown = types[i];
			return STUN_ERR_UNKNOWN_ATTRIBUTE;
		}
	}
	return 0;
}

int natdisc_plan(const struct server *srv, bool udp, const union sockaddr_u *local,
		 const union sockaddr_u *client, const struct stun_msg *m, struct natdisc_plan *out,
		 uint16_t *unknown)
{
	const struct stun_attr *cr = stun_msg_find(m, STUN_ATTR_CHANGE_REQUEST);
	const struct stun_attr *rp = stun_msg_find(m, STUN_ATTR_RESPONSE_PORT);
	const struct stun_attr *pad = stun_msg_find(m, STUN_ATTR_PADDING);
	uint8_t flags = 0;
	uint16_t port = 0;
	int ip;

	memset(out, 0, sizeof(*out));
	/*
	 * §7.2: without an alternate address (RFC 5780 off, another
	 * transport, a listening address outside the pair) CHANGE-REQUEST gets
	 * 420; RESPONSE-PORT and PADDING, equally unserved, too.
	 */
	if (!srv->cfg->rfc5780 || !udp || natdisc_find(srv, &local->sa, &ip) < 0)
		return natdisc_unknown(m, unknown);
	if ((cr && stun_attr_change_request(cr, &flags) < 0) ||
	    (rp && stun_attr_response_port(rp, &port) < 0))
		return STUN_ERR_BAD_REQUEST;
	out->on = true;
	natdisc_addr(srv, &local->sa, (flags & STUN_CHANGE_IP) ? !ip : ip,
		     (flags & STUN_CHANGE_PORT) != 0, &out->from);
	natdisc_addr(srv, &local->sa, !ip, true, &out->other);
	out->to = *client;
	if (port)
		addr_set_port(&out->to.sa, port);
	/* §7.6: as much padding as came, within what an answer may carry */
	if (pad)
		out->padding = pad->len < NATDISC_MAX_PADDING ? pad->len : NATDISC_MAX_PADDING;
	return 0;
}
