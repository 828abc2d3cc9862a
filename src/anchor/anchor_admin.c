/*
 * anchor_admin.c - the anchor's calls for the admin interface (anchor.h):
 * a copy of what the calls page shows, taken under an->lock and each
 * call's shard lock, and
 * the delete action, which is the ng delete itself.
 */
#include "anchor/anchor_internal.h"
#include "anchor/bencode.h"
#include "common/admin_call.h"

#include <stdio.h>
#include <string.h>

static void copy_text(char *out, size_t cap, const char *in, bool *cut)
{
	size_t len = in ? strlen(in) : 0;

	if (cut)
		*cut = len >= cap;
	if (len >= cap)
		len = cap - 1;
	memcpy(out, in ? in : "", len);
	out[len] = '\0';
}

static const char *const endpoint_names[] = {
    [NG_ENDPOINT_NONE] = "",
    [NG_ENDPOINT_ICE] = "ICE",
    [NG_ENDPOINT_LATCHED] = "latched",
    [NG_ENDPOINT_SDP] = "SDP",
};

static void call_copy(const struct call *c, uint64_t now, struct admin_call *o)
{
	memset(o, 0, sizeof(*o));
	copy_text(o->call_id, sizeof(o->call_id), c->call_id, &o->call_id_cut);
	o->age_s = now > c->created_ms ? (now - c->created_ms) / 1000 : 0;
	o->streams = c->nstreams;
	for (int k = 0; k < 2; k++) {
		copy_text(o->leg[k].tag, sizeof(o->leg[k].tag), c->legs[k].tag, NULL);
		snprintf(o->leg[k].ice, sizeof(o->leg[k].ice), "none");
		o->leg[k].endpoint_by = "";
	}
	for (unsigned int i = 0; i < c->nstreams; i++) {
		const struct stream *st = c->streams[i];

		o->confirmed += st->confirmed;
		o->kernel |= anchor_offload_kernelized(st, 0) || st->joined[0] || st->joined[1];
		for (int k = 0; k < 2; k++) {
			const struct stream_side *ss = &st->side[k];

			o->packets += ss->rtp.packets + ss->rtcp.packets;
			o->bytes += ss->rtp.bytes + ss->rtcp.bytes;
			if (ss->ice && strcmp(o->leg[k].ice, "none") == 0)
				snprintf(o->leg[k].ice, sizeof(o->leg[k].ice), "%s",
					 ice_state_name(ice_get_state(ss->ice)));
			if (o->leg[k].endpoint.sa.sa_family == AF_UNSPEC)
				o->leg[k].endpoint_by =
				    endpoint_names[ng_side_endpoint(ss, 0, &o->leg[k].endpoint)];
		}
	}
}

unsigned int anchor_admin_calls(struct anchor *an,
				void (*cb)(void *arg, const struct admin_call *c), void *arg,
				unsigned int max)
{
	struct admin_call info;
	uint64_t now = clock_ms();
	unsigned int n = 0, total;

	pthread_mutex_lock(&an->lock);
	total = an->ncalls;
	for (uint32_t i = 0; cb && an->calls && i <= an->calls_mask && n < max; i++) {
		for (const struct call *c = an->calls[i]; c && n < max; c = c->hnext) {
			/* its counters are its shard's */
			pthread_mutex_lock(&c->sh->lock);
			call_copy(c, now, &info);
			pthread_mutex_unlock(&c->sh->lock);
			cb(arg, &info);
			n++;
		}
	}
	pthread_mutex_unlock(&an->lock);
	return total;
}

int anchor_admin_delete(struct anchor *an, const char *call_id)
{
	struct ng_request req;
	struct bdoc *d = bdoc_new();
	struct bval *reply = d ? bdoc_dict(d) : NULL;
	struct anchor_shard *sh = NULL;
	struct call *c;
	char reason[128];
	int rc = -1;

	if (!reply)
		goto out;
	memset(&req, 0, sizeof(req));
	req.cmd = NG_DELETE;
	req.call_id = call_id;
	pthread_mutex_lock(&an->lock);
	anchor_clock(an);
	c = call_find(an, call_id);
	if (c) {
		sh = c->sh; /* call_delete() frees c */
		pthread_mutex_lock(&sh->lock);
	}
	rc = call_delete(an, &req, d, reply, reason, sizeof(reason));
	if (sh)
		pthread_mutex_unlock(&sh->lock);
	pthread_mutex_unlock(&an->lock);
out:
	bdoc_free(d);
	return rc;
}
