/*
 * icmp.c - ICMP errors for datagrams a UDP relay socket sent (RFC 8656
 * §11.3): the relay sockets ask for them with IP_RECVERR / IPV6_RECVERR,
 * the worker reads them from the socket's error queue (MSG_ERRQUEUE) before
 * its data, and the client gets a Data indication with XOR-PEER-ADDRESS
 * (the peer the datagram went to) and ICMP (type, code, error data), when it
 * holds a permission for that peer, at most SERVER_ICMP_PER_S a second per
 * allocation. What the kernel forwards itself (offload.c) never comes here.
 */
#include <errno.h>
#include <time.h> /* before linux/errqueue.h */
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "common/addr.h"
#include "common/log.h"
#include "server/server.h"
#include "stun/wire.h"

#define ICMP_CONTROL_BYTES 512 /* room for one extended error and its offender */

/* ICMPv4 (RFC 792) and ICMPv6 (RFC 4443) types and codes RFC 8656 §11.3 names */
#define ICMP4_DEST_UNREACH 3
#define ICMP4_FRAG_NEEDED 4
#define ICMP4_TIME_EXCEEDED 11
#define ICMP6_DEST_UNREACH 1
#define ICMP6_PACKET_TOO_BIG 2
#define ICMP6_TIME_EXCEEDED 3

int icmp_enable(int fd, int family)
{
	int on = 1;

	if (family == AF_INET6)
		return setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &on, sizeof(on));
	return setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on));
}

/*
 * With IP_RECVERR an ICMP error also sets the socket's pending error, and
 * the next send on it (to any peer) fails with it once, the datagram not
 * sent. That error belongs to an earlier datagram (its ICMP waits in the
 * error queue), so the send is tried once more.
 */
int icmp_sendto(int fd, const void *data, size_t len, const struct sockaddr *peer)
{
	for (int tries = 0; tries < 2; tries++) {
		if (sendto(fd, data, len, 0, peer, addr_len(peer)) >= 0)
			return 0;
		if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
			break;
	}
	return -1;
}

/* An address of family at p, of at most len bytes: 0, or -1 (too short, other family). */
static int icmp_copy_addr(const void *p, size_t len, int family, union sockaddr_u *out)
{
	sa_family_t fam;
	size_t need = family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);

	if (len < sizeof(fam))
		return -1;
	memcpy(&fam, p, sizeof(fam));
	if (fam != family || len < need)
		return -1;
	memset(out, 0, sizeof(*out));
	memcpy(out, p, need);
	return 0;
}

/*
 * RFC 8656 §11.3: ICMPv4 types 3 and 11, ICMPv6 types 1, 2 and 3; the error
 * data is the next-hop MTU for fragmentation needed (RFC 1191 §4) and packet
 * too big (RFC 4443 §3.2), else 0.
 */
static int icmp_from_ee(const struct sock_extended_err *ee, int family, struct stun_icmp *out)
{
	bool mtu;

	if (family == AF_INET && ee->ee_origin == SO_EE_ORIGIN_ICMP) {
		if (ee->ee_type != ICMP4_DEST_UNREACH && ee->ee_type != ICMP4_TIME_EXCEEDED)
			return -1;
		mtu = ee->ee_type == ICMP4_DEST_UNREACH && ee->ee_code == ICMP4_FRAG_NEEDED;
	} else if (family == AF_INET6 && ee->ee_origin == SO_EE_ORIGIN_ICMP6) {
		if (ee->ee_type != ICMP6_DEST_UNREACH && ee->ee_type != ICMP6_PACKET_TOO_BIG &&
		    ee->ee_type != ICMP6_TIME_EXCEEDED)
			return -1;
		mtu = ee->ee_type == ICMP6_PACKET_TOO_BIG;
	} else {
		return -1; /* local errors (SO_EE_ORIGIN_LOCAL) and the rest are no ICMP */
	}
	out->type = ee->ee_type;
	out->code = ee->ee_code;
	out->error_data = mtu ? ee->ee_info : 0;
	return 0;
}

int icmp_parse_errqueue(const struct msghdr *msg, int family, struct icmp_report *out)
{
	const int level = family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP;
	const int type = family == AF_INET6 ? IPV6_RECVERR : IP_RECVERR;
	const size_t ee_end = CMSG_LEN(sizeof(struct sock_extended_err));
	struct icmp_report r;
	struct cmsghdr *cm;

	if ((family != AF_INET && family != AF_INET6) || !msg->msg_name ||
	    icmp_copy_addr(msg->msg_name, msg->msg_namelen, family, &r.peer) < 0)
		return -1;
	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return -1;
	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR((struct msghdr *)msg, cm)) {
		const uint8_t *start = (const uint8_t *)msg->msg_control;
		size_t room = msg->msg_controllen - (size_t)((const uint8_t *)cm - start);
		struct sock_extended_err ee;

		/* every length bounded by the control buffer actually filled */
		if (cm->cmsg_len < sizeof(*cm) || cm->cmsg_len > room)
			return -1;
		if (cm->cmsg_level != level || cm->cmsg_type != type)
			continue;
		if (cm->cmsg_len < ee_end)
			return -1;
		memcpy(&ee, CMSG_DATA(cm), sizeof(ee));
		if (icmp_from_ee(&ee, family, &r.icmp) < 0)
			return -1;
		/* SO_EE_OFFENDER: the router or host that sent the ICMP, if it fits */
		memset(&r.offender, 0, sizeof(r.offender));
		if (cm->cmsg_len > ee_end)
			icmp_copy_addr(CMSG_DATA(cm) + sizeof(ee), cm->cmsg_len - ee_end, family,
				       &r.offender);
		*out = r;
		return 0;
	}
	return -1;
}

/* RFC 8656 §11.3: the rate of ICMP Data indications per allocation. */
bool icmp_rate_take(struct allocation *a, uint64_t now)
{
	if (now - a->icmp_window_ms >= 1000 || now < a->icmp_window_ms) {
		a->icmp_window_ms = now;
		a->icmp_count = 0;
	}
	if (a->icmp_count >= SERVER_ICMP_PER_S)
		return false;
	a->icmp_count++;
	return true;
}

/* RFC 8656 §11.3: a Data indication with XOR-PEER-ADDRESS and ICMP, no DATA. */
size_t icmp_indication(struct worker *w, const struct icmp_report *r, uint8_t *buf, size_t cap)
{
	union sockaddr_u shown = r->peer;
	uint8_t tid[STUN_TID_LEN];
	struct stun_builder b;

	worker_indication_tid(w, tid);
	relay_peer_to_wire(&w->srv->relay, &shown);
	stun_build_start(&b, buf, cap, TURN_DATA, STUN_INDICATION, tid);
	stun_put_xor_addr(&b, STUN_ATTR_XOR_PEER_ADDRESS, &shown.sa);
	stun_put_icmp(&b, &r->icmp);
	if (w->srv->cfg->fingerprint)
		stun_put_fingerprint(&b);
	return stun_build_end(&b);
}

void icmp_report(struct worker *w, struct allocation *a, const struct icmp_report *r,
		 uint64_t now)
{
	struct origin o = {
	    .w = w, .lsn = a->lsn, .tcp = a->tcp, .dtls = a->dtls, .client = a->client};
	uint8_t buf[128];
	size_t len;

	/* the permission is for the datagram's destination, not the ICMP's sender */
	if (!alloc_find_perm(a, &r->peer.sa, now)) {
		w->stats.icmp_no_permission++;
		return;
	}
	if (!icmp_rate_take(a, now)) {
		w->stats.icmp_rate_limited++;
		return;
	}
	len = icmp_indication(w, r, buf, sizeof(buf));
	if (!len) {
		w->stats.icmp_ignored++;
		return;
	}
	if (worker_send_to_client(w, &o, buf, len) == 0)
		w->stats.icmp_relayed++;
	if (log_get_level() >= LOG_DEBUG && worker_log_ok(w)) {
		char peer[ADDR_STRLEN], from[ADDR_STRLEN];

		log_debug("ICMP type %u code %u (data %u) from %s for peer %s reported",
			  r->icmp.type, r->icmp.code, r->icmp.error_data,
			  r->offender.sa.sa_family ? addr_str(&r->offender.sa, from, sizeof(from))
						   : "?",
			  addr_str(&r->peer.sa, peer, sizeof(peer)));
	}
}

void icmp_drain(struct relay_sock *rs, uint64_t now)
{
	struct allocation *a = rs->alloc;
	struct worker *w = a->w;
	int family = rs->local.sa.sa_family;

	for (int i = 0; i < SERVER_UDP_BATCH; i++) {
		union {
			struct cmsghdr align;
			uint8_t bytes[ICMP_CONTROL_BYTES];
		} control;
		union sockaddr_u name;
		uint8_t payload[64];
		struct iovec iov = {.iov_base = payload, .iov_len = sizeof(payload)};
		struct msghdr msg = {.msg_name = &name,
				     .msg_namelen = sizeof(name),
				     .msg_iov = &iov,
				     .msg_iovlen = 1,
				     .msg_control = control.bytes,
				     .msg_controllen = sizeof(control.bytes)};
		struct icmp_report r;

		if (recvmsg(rs->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return; /* EAGAIN: the queue is empty */
		if ((msg.msg_flags & MSG_CTRUNC) || icmp_parse_errqueue(&msg, family, &r) < 0) {
			w->stats.icmp_ignored++;
			continue;
		}
		icmp_report(w, a, &r, now);
	}
}
