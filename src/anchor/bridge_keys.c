/*
 * bridge_keys.c - SRTP contexts for bridged sides, made off the anchor's
 * lock.
 *
 * Making a context derives six session keys (RFC 3711 §4.3) and sets up
 * ciphers and HMACs: tens of microseconds that the media of every call on
 * the shard would wait for if they ran under its lock. So bridge_commit() only asks for
 * an SDES side's contexts (bridge_keys_request(): a job with a copy of the
 * keys and the side's new keys_gen); the thread that committed, once it
 * released the locks, makes them (bridge_keys_settle()) and takes an->lock
 * and the call's shard lock again just to swap them in when the side still wants those keys (same
 * call, stream and keys_gen: a call that ended meanwhile, or
 * a side keyed again, gets nothing). The contexts a side had keep working
 * until the swap, and go after it, off the lock too. The control thread
 * settles before it replies, so a party never has keys the anchor lacks.
 *
 * The jobs list is the control thread's own, like its pre-bound ports.
 */
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "anchor/anchor_internal.h"
#include "common/log.h"

struct bridge_keys_job {
	struct bridge_keys_job *next;
	char *call_id;
	unsigned int stream;
	int side;
	uint64_t gen;
	struct sdes_crypto remote, local; /* the party's key, the anchor's */
	struct mcrypto *in, *out;	  /* made; after the swap, the side's old ones */
};

struct mcrypto *bridge_key_context(const struct srtp_suite *suite, const uint8_t *key,
				   const struct sdes_crypto *params, enum mcrypto_dir dir)
{
	struct mcrypto_params p = {.suite = suite, .key_salt = key,
				   .key_salt_len = suite->key_len + suite->salt_len};
	char err[128];
	struct mcrypto *m;

	if (params) {
		p.unencrypted_srtp = params->unencrypted_srtp;
		p.unencrypted_srtcp = params->unencrypted_srtcp;
		p.unauthenticated_srtp = params->unauthenticated_srtp;
		p.window = params->wsh;
	}
	m = mcrypto_new(&p, dir, err, sizeof(err));
	if (!m)
		log_warn("anchor: SRTP context for %s: %s", suite->sdes_name, err);
	return m;
}

static void job_free(struct bridge_keys_job *j)
{
	mcrypto_free(j->in);
	mcrypto_free(j->out);
	free(j->call_id);
	OPENSSL_cleanse(j, sizeof(*j));
	free(j);
}

void bridge_keys_request(struct anchor *an, struct stream *st, int side,
			 const struct crypto_nego *plan)
{
	struct side_crypto *sc = st->side[side].crypto; /* bridge_commit()'s: there */
	struct bridge_keys_job *j = calloc(1, sizeof(*j));

	sc->keys_gen = ++an->keys_gen;
	if (j && !(j->call_id = strdup(st->call->call_id))) {
		free(j);
		j = NULL;
	}
	if (!j) {
		/* out of memory for the job: make them here, under the lock */
		mcrypto_free(sc->in);
		mcrypto_free(sc->out);
		sc->in = bridge_key_context(plan->remote.suite, plan->remote.key_salt, &plan->remote,
					    MCRYPTO_INBOUND);
		sc->out = bridge_key_context(plan->local[0].suite, plan->local[0].key_salt,
					     &plan->local[0], MCRYPTO_OUTBOUND);
		return;
	}
	j->stream = st->index;
	j->side = side;
	j->gen = sc->keys_gen;
	j->remote = plan->remote;
	j->local = plan->local[0];
	j->next = an->key_jobs;
	an->key_jobs = j;
}

/* The side a job was made for, if it still wants the job's keys. */
static struct side_crypto *job_side(struct anchor *an, const struct bridge_keys_job *j)
{
	struct call *c = call_find(an, j->call_id);
	struct side_crypto *sc;

	if (!c || j->stream >= c->nstreams || !c->streams[j->stream])
		return NULL;
	sc = c->streams[j->stream]->side[j->side].crypto; /* NULL: plain since */
	return sc && sc->keys_gen == j->gen ? sc : NULL;
}

void bridge_keys_settle(struct anchor *an)
{
	struct bridge_keys_job *jobs = an->key_jobs, *j;

	if (!jobs)
		return;
	an->key_jobs = NULL;
	for (j = jobs; j; j = j->next) {
		j->in = bridge_key_context(j->remote.suite, j->remote.key_salt, &j->remote,
					   MCRYPTO_INBOUND);
		j->out = bridge_key_context(j->local.suite, j->local.key_salt, &j->local,
					    MCRYPTO_OUTBOUND);
	}
	pthread_mutex_lock(&an->lock);
	for (j = jobs; j; j = j->next) {
		struct call *c = call_find(an, j->call_id);
		struct side_crypto *sc;
		struct mcrypto *in, *out;

		if (!c)
			continue;
		pthread_mutex_lock(&c->sh->lock);
		sc = job_side(an, j);
		if (!sc) {
			pthread_mutex_unlock(&c->sh->lock);
			continue;
		}
		in = sc->in;
		out = sc->out;
		sc->in = j->in;
		sc->out = j->out;
		j->in = in;
		j->out = out;
		pthread_mutex_unlock(&c->sh->lock);
	}
	pthread_mutex_unlock(&an->lock);
	while ((j = jobs)) {
		jobs = j->next;
		job_free(j);
	}
}

void bridge_keys_drop(struct anchor *an)
{
	struct bridge_keys_job *j;

	while ((j = an->key_jobs)) {
		an->key_jobs = j->next;
		job_free(j);
	}
}
