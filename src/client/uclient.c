/*
 * uclient.c - turnutils_uclient's shared parts (uclient.h): the test
 * message, the echo counters and the connection to the server.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>

#include "client/uclient.h"
#include "stun/wire.h"

void uc_msg_fill(uint8_t *msg, size_t len, uint32_t id, uint32_t seq, uint64_t now)
{
	wire_put32(msg, id);
	wire_put32(msg + 4, seq);
	wire_put32(msg + 8, (uint32_t)(now >> 32));
	wire_put32(msg + 12, (uint32_t)now);
	for (size_t i = UC_HDR_LEN; i < len; i++)
		msg[i] = (uint8_t)(seq * 7u + (unsigned)i);
}

int uc_msg_check(const uint8_t *msg, size_t len, uint32_t id, uint32_t sent, uint64_t now,
		 uint32_t *seq, uint64_t *sent_us)
{
	uint32_t s;
	uint64_t t;

	if (len < UC_HDR_LEN)
		return -1;
	s = wire_get32(msg + 4);
	t = (uint64_t)wire_get32(msg + 8) << 32 | wire_get32(msg + 12);
	if (wire_get32(msg) != id || s >= sent || t > now)
		return -1;
	for (size_t i = UC_HDR_LEN; i < len; i++) {
		if (msg[i] != (uint8_t)(s * 7u + (unsigned)i))
			return -1;
	}
	*seq = s;
	*sent_us = t;
	return 0;
}

void uc_stats_echo(struct uc_stats *st, struct uc_rtt *r, size_t len, double rtt_ms, uint64_t now)
{
	st->received++;
	st->bytes += len;
	st->last_recv_us = now;
	st->rtt_sum += rtt_ms;
	if (rtt_ms < st->rtt_min)
		st->rtt_min = rtt_ms;
	if (rtt_ms > st->rtt_max)
		st->rtt_max = rtt_ms;
	/* jitter: mean |difference| of consecutive RTTs (RFC 3550 §6.4.1's D) */
	if (r->have) {
		st->jitter_sum += fabs(rtt_ms - r->last_ms);
		st->jitter_n++;
	}
	r->last_ms = rtt_ms;
	r->have = true;
}

int uc_open_begin(struct turnc *c, const struct uc_opts *o, const struct sockaddr *local,
		  bool *handshake)
{
	int ret = turnc_open(c, (const struct sockaddr *)&o->server, local, o->tcp,
			     UC_CONNECT_TIMEOUT_MS);

	*handshake = false;
	if (ret < 0 || !o->secure)
		return ret;
	ret = turnc_tls_begin(c, o->tls_ctx, o->server_host);
	if (ret < 0) {
		turnc_close(c);
		return ret;
	}
	*handshake = true;
	return 0;
}

int uc_open(struct turnc *c, const struct uc_opts *o, const struct sockaddr *local)
{
	int ret = turnc_open(c, (const struct sockaddr *)&o->server, local, o->tcp,
			     UC_CONNECT_TIMEOUT_MS);

	if (ret < 0 || !o->secure)
		return ret;
	ret = o->tls_ctx ? turnc_start_tls_ctx(c, o->tls_ctx, o->server_host, UC_CONNECT_TIMEOUT_MS)
			 : turnc_start_tls(c, o->ca_file, o->server_host, UC_CONNECT_TIMEOUT_MS);
	if (ret < 0) {
		turnc_close(c);
		return ret == -EPROTO ? -ECONNABORTED : ret;
	}
	if (o->verbose)
		printf("%s: ALPN %s, %s\n", o->tcp ? "TLS" : "DTLS",
		       turnc_tls_alpn(c) ? turnc_tls_alpn(c) : "none", turnc_tls_version(c));
	return 0;
}
