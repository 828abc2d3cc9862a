/*
 * uclient_tcprelay.c - turnutils_uclient -T: TCP allocations (RFC 6062)
 * client to client, as coturn's uclient -T runs them. Clients 2k and
 * 2k+1 are partners. Each allocates a TCP relay (REQUESTED-TRANSPORT 6) on
 * its control connection (TLS with -S) and permits the other's relayed
 * address; 2k Connects to 2k+1's relayed address (§5.2) and binds a new
 * data connection to it (§5.4); 2k+1, told by a ConnectionAttempt (§4.4),
 * binds one of its own. An allocation has one connection per peer (a
 * second Connect to the same peer gets 446), so the pair shares it: each
 * sends its messages into it and sends back each whole message of its
 * partner's, so that every message returns to its sender, checked and
 * timed as in the UDP modes. Data connections sign their first
 * ConnectionBind with the control connection's nonce (turnc_share_auth).
 *
 * The pairs are set up one after another (blocking, each step bounded);
 * the data phase runs all of them in one poll() loop. When every client
 * has its echoes (or --timeout passed), each allocation is deleted.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/uclient.h"
#include "common/addr.h"
#include "stun/wire.h"

#define UCT_ATTEMPT_WAIT_MS 5000 /* the partner's ConnectionAttempt after our Connect */
#define UCT_BURST_MAX 32
#define UCT_READS_PER_ROUND 64
#define UCT_SETUP_BUDGET_US (600ULL * 1000000)

struct uct_client {
	uint32_t id;
	uint32_t partner;
	struct turnc ctl; /* control connection: the allocation */
	struct turnc dc;  /* data connection to the partner */
	bool ctl_open, dc_open;
	bool ready; /* the data connection is bound */
	bool failed;
	int sent, received;
	uint8_t *seen; /* bitmap of echoed sequence numbers */
	uint8_t *acc;  /* a message being reassembled from the stream */
	size_t acc_len;
	uint64_t next_send_us, drain_until_us;
	uint64_t refresh_us; /* the allocation's next Refresh */
	struct uc_rtt rtt;
};

static void uct_fail(struct uct_client *cl, struct uc_stats *st, const char *what, int result,
		     const struct turnc *c)
{
	char rbuf[160];
	const char *reason = c ? turnc_txn_reason(c) : "";

	fprintf(stderr, "client %u: %s: %s%s%s\n", cl->id, what,
		turnc_strresult(result, rbuf, sizeof(rbuf)), reason[0] ? " - " : "", reason);
	if (cl->failed)
		return;
	cl->failed = true;
	if (cl->ready)
		st->broken++;
	else
		st->failed++;
}

static int uct_allocate(struct uct_client *cl, const struct uc_opts *o, struct uc_stats *st)
{
	struct turnc_req q = {.method = TURN_ALLOCATE,
			      .auth = TURNC_AUTH_AUTO,
			      .transport = TURN_TRANSPORT_TCP,
			      .lifetime_s = o->alloc.lifetime_s,
			      .has_lifetime = o->alloc.lifetime_s != 0,
			      .fingerprint = true};
	int ret = uc_open(&cl->ctl, o, o->has_local ? (const struct sockaddr *)&o->local : NULL);

	if (ret < 0) {
		uct_fail(cl, st, "control connection", ret, NULL);
		return -1;
	}
	cl->ctl_open = true;
	cl->ctl.verbose = o->verbose > 1;
	if (o->user && turnc_set_auth(&cl->ctl, o->user, o->pass, o->realm) < 0) {
		uct_fail(cl, st, "credentials", -EINVAL, NULL);
		return -1;
	}
	ret = turnc_request(&cl->ctl, &q);
	if (ret != 0) {
		uct_fail(cl, st, "Allocate (TCP)", ret, &cl->ctl);
		return -1;
	}
	st->allocated++;
	if (o->verbose) {
		char abuf[ADDR_STRLEN];

		fprintf(stderr, "client %u: TCP relay %s\n", cl->id,
			addr_str((struct sockaddr *)&cl->ctl.relayed[0], abuf, sizeof(abuf)));
	}
	return 0;
}

/*
 * A new data connection dc, bound to CONNECTION-ID id (RFC 6062 §5.4),
 * signed from the start with cl's control connection's nonce.
 */
static int uct_bind(struct uct_client *cl, uint32_t id, const struct uc_opts *o,
		    struct uc_stats *st)
{
	struct turnc_req q = {.method = TURN_CONNECTION_BIND,
			      .auth = TURNC_AUTH_AUTO,
			      .connection_id = id,
			      .fingerprint = true};
	struct turnc *dc = &cl->dc;
	int ret = uc_open(dc, o, o->has_local ? (const struct sockaddr *)&o->local : NULL);

	if (ret < 0) {
		uct_fail(cl, st, "data connection", ret, NULL);
		return -1;
	}
	cl->dc_open = true;
	dc->verbose = o->verbose > 1;
	turnc_share_auth(dc, &cl->ctl);
	ret = turnc_request(dc, &q);
	if (dc->txn.auth_retries > 0)
		st->binds_challenged++;
	if (ret != 0) {
		uct_fail(cl, st, "ConnectionBind", ret, dc);
		return -1;
	}
	st->binds++;
	return 0;
}

/* a Connects to b's relayed address; b takes the ConnectionAttempt; both bind. */
static int uct_connect(struct uct_client *a, struct uct_client *b, const struct uc_opts *o,
		       struct uc_stats *st)
{
	struct turnc_req q = {.method = TURN_CONNECT,
			      .auth = TURNC_AUTH_AUTO,
			      .peer = {&b->ctl.relayed[0]},
			      .fingerprint = true};
	const struct stun_msg *m;
	const struct stun_attr *id;
	struct turnc_event ev = {.type = TURNC_EV_NONE};
	uint32_t connection_id;
	uint64_t deadline;
	int ret = turnc_request(&a->ctl, &q);

	if (ret != 0) {
		uct_fail(a, st, "Connect", ret, &a->ctl);
		return -1;
	}
	m = turnc_response(&a->ctl);
	id = m ? stun_msg_find(m, STUN_ATTR_CONNECTION_ID) : NULL;
	if (!id || stun_attr_u32(id, &connection_id) < 0) {
		uct_fail(a, st, "Connect", -EPROTO, NULL);
		return -1;
	}
	st->connects++;
	if (uct_bind(a, connection_id, o, st) < 0)
		return -1;
	/* RFC 6062 §5.3: the server tells b on its control connection */
	deadline = turnc_now_us() + UCT_ATTEMPT_WAIT_MS * 1000ULL;
	for (int i = 0; i < 1000; i++) {
		uint64_t now = turnc_now_us();
		int type;

		if (now >= deadline)
			break;
		type = turnc_wait_event(&b->ctl, &ev, (int)((deadline - now + 999) / 1000));
		if (type == TURNC_EV_CONNECTION_ATTEMPT)
			break;
		if (type == TURNC_EV_ERROR) {
			uct_fail(b, st, "control connection", ev.error, NULL);
			return -1;
		}
	}
	if (ev.type != TURNC_EV_CONNECTION_ATTEMPT) {
		uct_fail(b, st, "ConnectionAttempt", -ETIMEDOUT, NULL);
		return -1;
	}
	st->attempts++;
	/* RFC 6062 §5.2: the server connects from the relayed address */
	if (!addr_equal((const struct sockaddr *)&ev.peer,
			(const struct sockaddr *)&a->ctl.relayed[0])) {
		char abuf[ADDR_STRLEN];

		fprintf(stderr, "client %u: ConnectionAttempt from %s, not the partner's relay\n",
			b->id, addr_str((const struct sockaddr *)&ev.peer, abuf, sizeof(abuf)));
		st->foreign++;
	}
	return uct_bind(b, ev.connection_id, o, st);
}

/* One pair from Allocate to both data connections bound. */
static void uct_setup_pair(struct uct_client *a, struct uct_client *b, const struct uc_opts *o,
			   struct uc_stats *st)
{
	int ret;

	if (uct_allocate(a, o, st) < 0 || uct_allocate(b, o, st) < 0)
		goto fail;
	/* RFC 6062 §5.3: a peer connection needs a permission for the peer's IP */
	ret = turnc_create_permission(&a->ctl, (const struct sockaddr *)&b->ctl.relayed[0]);
	if (ret != 0) {
		uct_fail(a, st, "CreatePermission", ret, &a->ctl);
		goto fail;
	}
	ret = turnc_create_permission(&b->ctl, (const struct sockaddr *)&a->ctl.relayed[0]);
	if (ret != 0) {
		uct_fail(b, st, "CreatePermission", ret, &b->ctl);
		goto fail;
	}
	if (uct_connect(a, b, o, st) < 0)
		goto fail;
	a->ready = b->ready = true;
	return;
fail:
	/* one side alone has no one to talk to */
	if (!a->failed)
		uct_fail(a, st, "partner", -ECANCELED, NULL);
	if (!b->failed)
		uct_fail(b, st, "partner", -ECANCELED, NULL);
}

/* Half the allocation's lifetime (RFC 8656 §7: refresh before it ends). */
static uint64_t uct_refresh_after_us(const struct turnc *ctl)
{
	return (uint64_t)(ctl->lifetime_s ? ctl->lifetime_s : 600) * 500000u;
}

/* A Refresh on the control connection when it is due (blocking: one round trip). */
static void uct_refresh_due(struct uct_client *cl, struct uc_stats *st, uint64_t now)
{
	int ret;

	if (now < cl->refresh_us)
		return;
	ret = turnc_refresh(&cl->ctl, cl->ctl.lifetime_s);
	if (ret != 0) {
		uct_fail(cl, st, "Refresh", ret, &cl->ctl);
		return;
	}
	cl->refresh_us = turnc_now_us() + uct_refresh_after_us(&cl->ctl);
}

static bool uct_finished(const struct uct_client *cl, const struct uc_opts *o, uint64_t now)
{
	return cl->failed || !cl->ready ||
	       (cl->sent == o->messages && (cl->received == cl->sent || now >= cl->drain_until_us));
}

static void uct_send_due(struct uct_client *cl, const struct uc_opts *o, struct uc_stats *st,
			 uint8_t *msg, uint64_t now)
{
	for (int burst = 0; burst < UCT_BURST_MAX && cl->sent < o->messages; burst++) {
		int ret;

		if (cl->next_send_us > now)
			return;
		uc_msg_fill(msg, (size_t)o->msg_len, cl->id, (uint32_t)cl->sent, turnc_now_us());
		ret = turnc_send_bytes(&cl->dc, msg, (size_t)o->msg_len);
		cl->sent++;
		st->sent++;
		if (!st->first_send_us)
			st->first_send_us = now;
		if (ret < 0) {
			st->send_errors++;
			uct_fail(cl, st, "send", ret, NULL);
			return;
		}
		cl->next_send_us += (uint64_t)o->interval_ms * 1000u;
		if (cl->sent == o->messages)
			cl->drain_until_us = now + (uint64_t)o->timeout_s * 1000000u;
	}
}

/* One whole message on the data connection: an echo of ours, or the partner's to send back. */
static void uct_on_message(struct uct_client *cl, const struct uc_opts *o, struct uc_stats *st,
			   uint64_t now)
{
	uint32_t seq;
	uint64_t sent_us;
	int ret;

	if (wire_get32(cl->acc) == cl->partner) {
		ret = turnc_send_bytes(&cl->dc, cl->acc, (size_t)o->msg_len);
		if (ret < 0)
			uct_fail(cl, st, "echo", ret, NULL);
		return;
	}
	if (uc_msg_check(cl->acc, (size_t)o->msg_len, cl->id, (uint32_t)cl->sent, now, &seq,
			 &sent_us) < 0) {
		st->corrupt++;
		return;
	}
	if (cl->seen[seq / 8] & (1u << (seq % 8))) {
		st->duplicates++;
		return;
	}
	cl->seen[seq / 8] |= (uint8_t)(1u << (seq % 8));
	cl->received++;
	uc_stats_echo(st, &cl->rtt, (size_t)o->msg_len, (double)(now - sent_us) / 1000.0, now);
}

/*
 * What the data connection holds, cut into messages: both sides write whole
 * messages only, so the stream stays aligned to -l.
 */
static void uct_read(struct uct_client *cl, const struct uc_opts *o, struct uc_stats *st,
		     uint8_t *buf, size_t cap)
{
	for (int i = 0; i < UCT_READS_PER_ROUND && !cl->failed; i++) {
		ssize_t n = turnc_recv_raw(&cl->dc, buf, cap);
		uint64_t now = turnc_now_us();

		if (n == -EAGAIN)
			return;
		if (n <= 0) {
			uct_fail(cl, st, "data connection", n == 0 ? -ECONNRESET : (int)n, NULL);
			return;
		}
		for (size_t off = 0; off < (size_t)n && !cl->failed;) {
			size_t take = (size_t)o->msg_len - cl->acc_len;

			if (take > (size_t)n - off)
				take = (size_t)n - off;
			memcpy(cl->acc + cl->acc_len, buf + off, take);
			cl->acc_len += take;
			off += take;
			if (cl->acc_len == (size_t)o->msg_len) {
				uct_on_message(cl, o, st, now);
				cl->acc_len = 0;
			}
		}
	}
}

/* The data phase: every ready client sends, echoes and counts until all are finished. */
static void uct_run(struct uct_client *cls, const struct uc_opts *o, struct uc_stats *st,
		    uint8_t *msg, uint8_t *buf, size_t cap, struct pollfd *pfds, int *idx,
		    uint64_t deadline)
{
	for (;;) {
		uint64_t now = turnc_now_us();
		int nfds = 0, timeout = -1;
		bool busy = false;

		for (int i = 0; i < o->clients; i++) {
			struct uct_client *cl = &cls[i];
			int t = -1;

			if (!cl->ready || cl->failed)
				continue;
			/* a finished client still sends back its partner's messages */
			pfds[nfds] = (struct pollfd){.fd = turnc_fd(&cl->dc), .events = POLLIN};
			idx[nfds++] = i;
			if (uct_finished(cl, o, now))
				continue;
			busy = true;
			if (turnc_raw_buffered(&cl->dc))
				t = 0;
			else if (cl->sent < o->messages)
				t = cl->next_send_us <= now
					? 0
					: (int)((cl->next_send_us - now + 999) / 1000);
			else
				t = (int)((cl->drain_until_us - now + 999) / 1000);
			if (cl->refresh_us <= now)
				t = 0;
			else if ((cl->refresh_us - now) / 1000 < (uint64_t)t)
				t = (int)((cl->refresh_us - now + 999) / 1000);
			if (timeout < 0 || t < timeout)
				timeout = t;
		}
		if (!busy)
			return;
		if (now >= deadline) {
			fprintf(stderr, "turnutils_uclient: giving up: clients unfinished\n");
			return;
		}
		if (timeout < 0 || (uint64_t)timeout * 1000u > deadline - now)
			timeout = (int)((deadline - now) / 1000u) + 1;
		if (poll(pfds, (nfds_t)nfds, timeout) < 0 && errno != EINTR) {
			perror("turnutils_uclient: poll");
			return;
		}
		for (int k = 0; k < nfds; k++) {
			struct uct_client *cl = &cls[idx[k]];

			if (pfds[k].revents || turnc_raw_buffered(&cl->dc))
				uct_read(cl, o, st, buf, cap);
		}
		now = turnc_now_us();
		for (int i = 0; i < o->clients; i++) {
			if (cls[i].ready && !cls[i].failed)
				uct_refresh_due(&cls[i], st, now);
			if (cls[i].ready && !cls[i].failed)
				uct_send_due(&cls[i], o, st, msg, now);
		}
	}
}

/* Refresh with lifetime 0 on each control connection, then close everything. */
static void uct_finish(struct uct_client *cls, const struct uc_opts *o, struct uc_stats *st)
{
	for (int i = 0; i < o->clients; i++) {
		struct uct_client *cl = &cls[i];

		if (cl->ctl_open && cl->ctl.allocated) {
			int ret = turnc_refresh(&cl->ctl, 0);

			/* 437: the allocation is already gone, which is what we wanted */
			if (ret != 0 && ret != TURN_ERR_ALLOCATION_MISMATCH)
				st->delete_failed++;
		}
		if (cl->dc_open)
			turnc_close(&cl->dc);
		if (cl->ctl_open)
			turnc_close(&cl->ctl);
		free(cl->seen);
		free(cl->acc);
	}
}

int uc_tcprelay_run(const struct uc_opts *o, struct uc_stats *st)
{
	struct uct_client *cls = calloc((size_t)o->clients, sizeof(*cls));
	struct pollfd *pfds = calloc((size_t)o->clients, sizeof(*pfds));
	int *idx = calloc((size_t)o->clients, sizeof(*idx));
	size_t cap = (size_t)o->msg_len > 16384 ? (size_t)o->msg_len : 16384;
	uint8_t *msg = malloc((size_t)o->msg_len), *buf = malloc(cap);
	uint64_t deadline;
	int ret = -1;

	if (!cls || !pfds || !idx || !msg || !buf)
		goto out;
	for (int i = 0; i < o->clients; i++) {
		cls[i].id = (uint32_t)i;
		cls[i].partner = (uint32_t)(i ^ 1);
		cls[i].seen = calloc(1, ((size_t)o->messages + 7) / 8);
		cls[i].acc = malloc((size_t)o->msg_len);
		if (!cls[i].seen || !cls[i].acc)
			goto out;
	}
	for (int i = 0; i + 1 < o->clients; i += 2)
		uct_setup_pair(&cls[i], &cls[i + 1], o, st);
	for (int i = 0; i < o->clients; i++) {
		cls[i].next_send_us = turnc_now_us();
		cls[i].refresh_us = cls[i].next_send_us + uct_refresh_after_us(&cls[i].ctl);
	}
	deadline = turnc_now_us() + UCT_SETUP_BUDGET_US +
		   (uint64_t)o->messages * (uint64_t)o->interval_ms * 1000u +
		   (uint64_t)o->timeout_s * 1000000u;
	uct_run(cls, o, st, msg, buf, cap, pfds, idx, deadline);
	for (int i = 0; i < o->clients; i++) {
		if (!uct_finished(&cls[i], o, turnc_now_us()) && !cls[i].failed)
			uct_fail(&cls[i], st, "messages", -ETIMEDOUT, NULL);
	}
	ret = 0;
out:
	if (ret < 0)
		fprintf(stderr, "turnutils_uclient: out of memory\n");
	if (cls)
		uct_finish(cls, o, st);
	free(cls);
	free(pfds);
	free(idx);
	free(msg);
	free(buf);
	return ret;
}
