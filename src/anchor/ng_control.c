/*
 * ng_control.c - the ng control socket: rtpengine's protocol over UDP.
 *
 * A datagram is "cookie SP dictionary", bencoded or JSON (body starting
 * with '{'); the reply carries the same cookie and the request's encoding.
 * Replies are kept by cookie for anchor-ng-cache-time, so that a retransmitted
 * request is answered again, never executed twice. Datagrams from the
 * server's own relay, media or listening sockets, senders outside
 * anchor-ng-allow (default: loopback) and datagrams without a cookie are
 * dropped and counted, never answered.
 *
 * The control thread, with its own loop, reads the socket, decodes the
 * request, parses its SDP and binds a new call's media ports
 * (call_prepare()), encodes and sends the reply and keeps the reply
 * cache: none of that holds a lock (counters aside, taken under an->lock
 * a moment). Only dispatch(), the part that reads or changes calls, holds
 * an->lock and the lock of its call's media thread (anchor_commit()), and
 * the control thread runs it itself: handing it to a media thread and
 * waiting for it cost two thread wake-ups per request. The media sockets
 * it opens and closes are in the epoll set of their media thread, read
 * under that thread's lock (media_loop()), so that neither wakes
 * the other; an ICE timer it frees is finalized by its media thread
 * (media_timer_free()).
 */
#include <errno.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anchor/anchor_internal.h"
#include "common/addr.h"
#include "common/log.h"

#define NG_READS_PER_EVENT 64
#define NG_CACHE_MAX_ENTRIES 65536
#define NG_CACHE_MAX_BYTES (64u << 20)

static bool sender_allowed(const struct anchor *an, const struct sockaddr *from)
{
	if (an->allow_loopback_only)
		return peer_policy_class(from) == PEER_DENIED_LOOPBACK;
	return peer_policy_in_allowed(&an->allow, from);
}

struct ng_cache_entry *ng_cache_find(struct anchor *an, const char *cookie, size_t len)
{
	struct ng_cache_entry *e = an->cache[anchor_hash(cookie, len) & an->cache_mask];

	for (; e; e = e->hnext)
		if (strlen(e->cookie) == len && memcmp(e->cookie, cookie, len) == 0)
			return e;
	return NULL;
}

static void cache_unlink(struct anchor *an, struct ng_cache_entry *e)
{
	struct ng_cache_entry **pp = &an->cache[anchor_hash(e->cookie, strlen(e->cookie)) &
						   an->cache_mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->older)
		e->older->newer = e->newer;
	else
		an->cache_oldest = e->newer;
	if (e->newer)
		e->newer->older = e->older;
	else
		an->cache_newest = e->older;
	an->cache_bytes -= e->reply_len;
	an->cache_entries--;
	free(e->cookie);
	free(e->reply);
	free(e);
}

void ng_cache_add(struct anchor *an, const char *cookie, size_t cookie_len, const uint8_t *reply,
		  size_t len, uint64_t now_ms)
{
	struct ng_cache_entry *e = calloc(1, sizeof(*e));
	uint32_t h = anchor_hash(cookie, cookie_len) & an->cache_mask;

	if (!e)
		return;
	e->cookie = strndup(cookie, cookie_len);
	e->reply = malloc(len);
	if (!e->cookie || !e->reply) {
		free(e->cookie);
		free(e->reply);
		free(e);
		return;
	}
	memcpy(e->reply, reply, len);
	e->reply_len = len;
	e->expires_ms = now_ms + (uint64_t)an->cfg->anchor_ng_cache_time * 1000;
	e->hnext = an->cache[h];
	an->cache[h] = e;
	e->older = an->cache_newest;
	if (an->cache_newest)
		an->cache_newest->newer = e;
	else
		an->cache_oldest = e;
	an->cache_newest = e;
	an->cache_bytes += len;
	an->cache_entries++;
	while (an->cache_oldest != e &&
	       (an->cache_bytes > NG_CACHE_MAX_BYTES || an->cache_entries > NG_CACHE_MAX_ENTRIES))
		cache_unlink(an, an->cache_oldest);
}

void ng_cache_expire(struct anchor *an, uint64_t now_ms)
{
	while (an->cache_oldest && an->cache_oldest->expires_ms <= now_ms)
		cache_unlink(an, an->cache_oldest);
}

/* anchor_log_ok() from the control thread. */
static bool ng_log_ok(struct anchor *an)
{
	bool ok;

	pthread_mutex_lock(&an->lock);
	ok = anchor_log_ok(an);
	pthread_mutex_unlock(&an->lock);
	return ok;
}

/* A counter of the anchor's (read by statistics under the lock) from the control thread. */
static void ng_count(struct anchor *an, uint64_t *counter)
{
	pthread_mutex_lock(&an->lock);
	(*counter)++;
	pthread_mutex_unlock(&an->lock);
}

/* Runs one parsed request under the locks anchor_commit() took; fills reply with its result. */
static void dispatch(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		     struct bval *reply)
{
	char reason[256] = "";
	int rc = 0;

	switch (req->cmd) {
	case NG_PING:
		bdict_add_str(d, reply, "result", "pong");
		return;
	case NG_OFFER:
		rc = call_offer(an, req, d, reply, reason, sizeof(reason));
		break;
	case NG_ANSWER:
		rc = call_answer(an, req, d, reply, reason, sizeof(reason));
		break;
	case NG_DELETE:
		rc = call_delete(an, req, d, reply, reason, sizeof(reason));
		break;
	case NG_QUERY: {
		const struct call *c = call_find(an, req->call_id);

		if (!c) {
			snprintf(reason, sizeof(reason), "Unknown call-id");
			rc = -1;
		} else {
			ng_query_call(an, c, d, reply);
		}
		break;
	}
	case NG_LIST:
		ng_list(an, req, d, reply);
		break;
	case NG_STATISTICS:
		ng_statistics(an, d, reply);
		break;
	}
	if (rc < 0) {
		an->stats.ng_errors++;
		bdict_add_str(d, reply, "result", "error");
		bdict_add_str(d, reply, "error-reason", reason);
		return;
	}
	/* load limit: call_offer() set result itself */
	if (!bval_dict_get(reply, "result"))
		bdict_add_str(d, reply, "result", "ok");
	if (req->warning[0])
		bdict_add_str(d, reply, "warning", req->warning);
}

/*
 * The media lock a request needs, with an->lock held: its call's shard's
 * (a new call's: the shard it will live on, anchor_shard_pick()), every
 * shard's for list and statistics, none for ping. Only that shard's media
 * waits for the commit; other shards never see the control path.
 */
static struct anchor_shard *commit_lock(struct anchor *an, const struct ng_request *req,
					bool *all)
{
	const struct call *c;

	*all = false;
	an->new_call_shard = NULL;
	if (req->cmd == NG_PING)
		return NULL;
	if (req->cmd == NG_LIST || req->cmd == NG_STATISTICS) {
		anchor_shards_lock(an);
		*all = true;
		return NULL;
	}
	c = req->call_id ? call_find(an, req->call_id) : NULL;
	if (!c && req->cmd != NG_OFFER)
		return NULL;
	if (!c)
		an->new_call_shard = anchor_shard_pick(an);
	pthread_mutex_lock(c ? &c->sh->lock : &an->new_call_shard->lock);
	return c ? c->sh : an->new_call_shard;
}

void anchor_commit(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		   struct bval *reply)
{
	struct anchor_shard *sh;
	bool all;

	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	sh = commit_lock(an, req, &all);
	dispatch(an, req, d, reply);
	an->new_call_shard = NULL;
	if (sh)
		pthread_mutex_unlock(&sh->lock);
	if (all)
		anchor_shards_unlock(an);
	pthread_mutex_unlock(&an->lock);
}

/*
 * Runs req under an->lock and its call's shard lock, on this thread: the
 * shard's thread is not woken for it (events the request frees are
 * finalized there later, media_timer_free()).
 */
static void ng_commit(struct anchor *an, const struct ng_request *req, struct bdoc *d,
		      struct bval *reply)
{
	anchor_commit(an, req, d, reply);
	/* the request's SRTP contexts, made off the lock before the reply goes */
	bridge_keys_settle(an);
}

/* Builds the reply datagram for one request body into an->out_buf; its length, or 0. */
static size_t handle_body(struct anchor *an, const struct sockaddr *from, const char *cookie,
			  size_t cookie_len, const uint8_t *body, size_t body_len)
{
	struct bdoc *d = bdoc_new();
	struct bval *root = NULL, *reply;
	struct ng_request req;
	char err[256];
	enum bformat fmt = BFMT_BENCODE;
	long n;
	size_t i = 0;

	/* the reply is JSON when the request is: its body starts with '{' */
	while (i < body_len && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
				body[i] == '\n'))
		i++;
	if (i < body_len && body[i] == '{')
		fmt = BFMT_JSON;

	if (!d)
		return 0;
	reply = bdoc_dict(d);
	if (!reply)
		goto fail;
	if (bdoc_parse(d, body, body_len, &root, err, sizeof(err)) < 0) {
		char ip[ADDR_STRLEN];

		ng_count(an, &an->stats.ng_malformed);
		if (ng_log_ok(an)) {
			char why[sizeof(err) * 2];

			/* the parser's message may quote the request */
			log_info("anchor: malformed ng request from %s: %s",
				 addr_str(from, ip, sizeof(ip)), log_safe(err, why, sizeof(why)));
		}
		bdict_add_str(d, reply, "result", "error");
		bdict_add_str(d, reply, "error-reason", err);
	} else if (ng_request_parse(root, &req, err, sizeof(err)) < 0) {
		ng_count(an, &an->stats.ng_errors);
		bdict_add_str(d, reply, "result", "error");
		bdict_add_str(d, reply, "error-reason", err);
	} else {
		call_prepare(an, &req);
		ng_commit(an, &req, d, reply);
		call_prepared_free(an, &req);
	}
	memcpy(an->out_buf, cookie, cookie_len);
	an->out_buf[cookie_len] = ' ';
	n = bval_write(reply, fmt, an->out_buf + cookie_len + 1, ANCHOR_NG_MAX - cookie_len - 1);
	if (n < 0) {
		/* the SDP made the reply too big for one datagram */
		struct bval *small = bdoc_dict(d);

		bdict_add_str(d, small, "result", "error");
		bdict_add_str(d, small, "error-reason", "reply too large for one datagram");
		n = bval_write(small, fmt, an->out_buf + cookie_len + 1,
			       ANCHOR_NG_MAX - cookie_len - 1);
	}
	bdoc_free(d);
	return n < 0 ? 0 : cookie_len + 1 + (size_t)n;
fail:
	bdoc_free(d);
	return 0;
}

static void ng_datagram(struct anchor *an, const union sockaddr_u *from, const uint8_t *buf,
			size_t len)
{
	const char *cookie;
	const uint8_t *body;
	size_t cookie_len, body_len, out_len;
	struct ng_cache_entry *e;
	uint64_t now = clock_ms();

	/*
	 * A datagram from one of this server's own sockets: a live relay or
	 * media port (a TURN client's data relayed to the ng port, or media an
	 * SDP aimed there) or a listening port. Never a command, whatever
	 * anchor-ng-allow says.
	 */
	if (relay_own_socket(an->relay, &from->sa)) {
		ng_count(an, &an->stats.ng_own_source);
		return;
	}
	if (!sender_allowed(an, &from->sa)) {
		ng_count(an, &an->stats.ng_not_allowed);
		return;
	}
	if (ng_split(buf, len, &cookie, &cookie_len, &body, &body_len) < 0) {
		ng_count(an, &an->stats.ng_no_cookie);
		return;
	}
	ng_count(an, &an->stats.ng_requests);
	e = ng_cache_find(an, cookie, cookie_len);
	if (e) {
		ng_count(an, &an->stats.ng_retransmits);
		sendto(an->ng_fd, e->reply, e->reply_len, 0, &from->sa, addr_len(&from->sa));
		return;
	}
	out_len = handle_body(an, &from->sa, cookie, cookie_len, body, body_len);
	if (!out_len)
		return;
	if (sendto(an->ng_fd, an->out_buf, out_len, 0, &from->sa, addr_len(&from->sa)) < 0 &&
	    ng_log_ok(an))
		log_warn("anchor: ng reply not sent: %s", strerror(errno));
	ng_cache_add(an, cookie, cookie_len, an->out_buf, out_len, now);
}

static void ng_readable(evutil_socket_t fd, short what, void *arg)
{
	struct anchor *an = arg;

	(void)what;
	for (int i = 0; i < NG_READS_PER_EVENT; i++) {
		union sockaddr_u from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, an->ng_buf, ANCHOR_NG_MAX + 1, MSG_TRUNC, &from.sa, &flen);

		if (n < 0)
			break;
		if ((size_t)n > ANCHOR_NG_MAX) {
			ng_count(an, &an->stats.ng_malformed);
			continue;
		}
		an->ng_buf[n] = '\0';
		ng_datagram(an, &from, an->ng_buf, (size_t)n);
	}
}

/* Once a second: the reply cache, and calls that timed out (anchor_expire()). */
static void ng_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	ng_cache_expire(arg, clock_ms());
	anchor_expire(arg);
}

static void ng_stop_loop(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	event_base_loopbreak(arg);
}

static void *ng_thread_main(void *arg)
{
	struct anchor *an = arg;

	pthread_setname_np(pthread_self(), "anchor-ng");
	event_base_dispatch(an->ng_base);
	return NULL;
}

int ng_control_start(struct anchor *an)
{
	int rc = pthread_create(&an->ng_thread, NULL, ng_thread_main, an);

	if (rc) {
		log_error("anchor: cannot start its control thread: %s", strerror(rc));
		return -1;
	}
	an->ng_started = true;
	return 0;
}

void ng_control_stop(struct anchor *an)
{
	if (!an->ng_started)
		return;
	event_active(an->ng_stop_ev, 0, 0);
	pthread_join(an->ng_thread, NULL);
	an->ng_started = false;
}

int ng_control_open(struct anchor *an, char *err, size_t errlen)
{
	const struct config_ip *ip = &an->cfg->anchor_ng_listen;
	struct timeval one_s = {.tv_sec = 1};
	int fd, on = 1;

	an->allow_loopback_only = an->cfg->anchor_ng_allow_count == 0;
	if (!an->allow_loopback_only &&
	    peer_policy_init(&an->allow, false, (const char *const *)an->cfg->anchor_ng_allow,
			     (int)an->cfg->anchor_ng_allow_count, NULL, 0, err, errlen) < 0)
		return -1;
	an->cache_mask = 4095;
	an->cache = calloc(an->cache_mask + 1, sizeof(*an->cache));
	an->ng_buf = malloc(ANCHOR_NG_MAX + 1);
	an->out_buf = malloc(ANCHOR_NG_MAX + 1);
	if (!an->cache || !an->ng_buf || !an->out_buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fd = socket(ip->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "anchor-ng-listen %s: %s", ip->text, strerror(errno));
		return -1;
	}
	if (ip->addr.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
	if (bind(fd, (const struct sockaddr *)&ip->addr, ip->addr_len) < 0) {
		snprintf(err, errlen, "anchor-ng-listen %s: %s", ip->text, strerror(errno));
		close(fd);
		return -1;
	}
	an->ng_fd = fd;
	an->ng_base = event_base_new();
	if (!an->ng_base) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	an->ng_ev = event_new(an->ng_base, fd, EV_READ | EV_PERSIST, ng_readable, an);
	an->ng_tick_ev = event_new(an->ng_base, -1, EV_PERSIST, ng_tick, an);
	an->ng_stop_ev = event_new(an->ng_base, -1, 0, ng_stop_loop, an->ng_base);
	if (!an->ng_ev || !an->ng_tick_ev || !an->ng_stop_ev ||
	    event_add(an->ng_ev, NULL) < 0 || event_add(an->ng_tick_ev, &one_s) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

void ng_control_close(struct anchor *an)
{
	ng_control_stop(an);
	if (an->ng_ev)
		event_free(an->ng_ev);
	if (an->ng_tick_ev)
		event_free(an->ng_tick_ev);
	if (an->ng_stop_ev)
		event_free(an->ng_stop_ev);
	if (an->ng_base)
		event_base_free(an->ng_base);
	an->ng_ev = an->ng_tick_ev = an->ng_stop_ev = NULL;
	an->ng_base = NULL;
	if (an->ng_fd >= 0)
		close(an->ng_fd);
	an->ng_fd = -1;
	while (an->cache_oldest)
		cache_unlink(an, an->cache_oldest);
	free(an->cache);
	free(an->ng_buf);
	free(an->out_buf);
	an->cache = NULL;
	an->ng_buf = an->out_buf = NULL;
}
