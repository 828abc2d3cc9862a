/*
 * userdb_load.c - the user store's rows besides users' keys, read once at
 * startup (userdb_load.h). coturn re-reads them every few seconds; here a
 * change takes a restart, which the log line says.
 */
#include "server/userdb_load.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "relay/peer_policy.h"
#include "server/server.h"
#include "server/userdb.h"

#define USERDB_LOAD_MAX_LINES 32	 /* per kind of refused row; the summary counts all */
#define USERDB_LOAD_MAX_QUOTA 1000000000u /* as user-quota= and total-quota= */

struct userdb_load {
	struct server *srv;
	const char *path;
	struct userdb_load_counts n;
	unsigned int lines; /* warnings of the current kind so far */
	bool denied;	    /* walking denied_peer_ip */
};

/* One warning per refused row, up to USERDB_LOAD_MAX_LINES of a kind. */
static bool userdb_load_say(struct userdb_load *l)
{
	return ++l->lines <= USERDB_LOAD_MAX_LINES;
}

static int userdb_load_bad_user(void *arg, const char *realm, const char *user, const char *why)
{
	struct userdb_load *l = arg;

	l->n.bad_users++;
	if (userdb_load_say(l))
		log_warn("userdb %s: user '%s' of realm '%s' refused: %s", l->path, user, realm,
			 why);
	return 0;
}

static int userdb_load_range(void *arg, const char *realm, const char *range)
{
	struct userdb_load *l = arg;
	const char *table = l->denied ? "denied_peer_ip" : "allowed_peer_ip";
	char err[256];

	if (*realm && strcmp(realm, l->srv->realm) != 0) {
		l->n.ignored++;
		if (userdb_load_say(l))
			log_warn("userdb %s: %s '%s' of realm '%s' not acted on: this server's "
				 "realm is '%s'",
				 l->path, table, range, realm, l->srv->realm);
		return 0;
	}
	if (peer_policy_add_range(&l->srv->relay.policy, l->denied, range, err, sizeof(err)) < 0) {
		l->n.bad_ranges++;
		if (userdb_load_say(l))
			log_warn("userdb %s: %s row refused: %s", l->path, table, err);
		return 0;
	}
	l->n.ranges++;
	return 0;
}

/* A decimal number without sign or blanks, at most max; -1 otherwise. */
static int userdb_load_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int userdb_load_option(void *arg, const char *realm, const char *opt, const char *value)
{
	struct userdb_load *l = arg;
	struct config *c = l->srv->cfg;
	unsigned int *field = NULL;
	unsigned long max = USERDB_LOAD_MAX_QUOTA, v;

	if (strcmp(realm, l->srv->realm) != 0) {
		l->n.ignored++;
		if (userdb_load_say(l))
			log_warn("userdb %s: turn_realm_option %s of realm '%s' not acted on: this "
				 "server's realm is '%s'",
				 l->path, opt, realm, l->srv->realm);
		return 0;
	}
	if (strcmp(opt, "max-bps") == 0) {
		field = &c->max_bps;
		max = UINT32_MAX;
	} else if (strcmp(opt, "user-quota") == 0) {
		field = &c->user_quota;
	} else if (strcmp(opt, "total-quota") == 0) {
		field = &c->total_quota;
	}
	if (!field) {
		l->n.ignored++;
		if (userdb_load_say(l))
			log_warn("userdb %s: turn_realm_option '%s' of realm '%s' not acted on: not "
				 "an option of coturn's realms (max-bps, user-quota, total-quota)",
				 l->path, opt, realm);
		return 0;
	}
	if (userdb_load_number(value, max, &v) < 0) {
		l->n.ignored++;
		if (userdb_load_say(l))
			log_warn("userdb %s: turn_realm_option %s of realm '%s' refused: '%.32s' is "
				 "not a number from 0 to %lu",
				 l->path, opt, realm, value, max);
		return 0;
	}
	log_info("userdb %s: realm '%s' option %s=%lu (coturn's turn_realm_option; the "
		 "configuration said %u)",
		 l->path, realm, opt, v, *field);
	*field = (unsigned int)v;
	l->n.options++;
	return 0;
}

static int userdb_load_unused(void *arg, const char *table, long rows)
{
	struct userdb_load *l = arg;
	const char *why = strcmp(table, "admin_user") == 0  ? "there is no web admin here"
			  : strcmp(table, "oauth_key") == 0 ? "oAuth is not implemented"
							    : "there is one realm here";

	log_warn("userdb %s: table %s has %ld row(s): not acted on (%s)", l->path, table, rows,
		 why);
	return 0;
}

/* Peer ranges of both tables, or a note that no-dynamic-ip-list skips them. */
static int userdb_load_ranges(struct userdb_load *l, struct userdb *db)
{
	if (l->srv->cfg->no_dynamic_ip_list) {
		log_info("userdb %s: no-dynamic-ip-list: allowed_peer_ip and denied_peer_ip are "
			 "not read",
			 l->path);
		return 0;
	}
	for (int d = 0; d < 2; d++) {
		l->denied = d;
		l->lines = 0;
		if (userdb_list_peer_ranges(db, l->denied, userdb_load_range, l) < 0)
			return -1;
	}
	if (l->n.ranges || l->n.bad_ranges)
		log_info("userdb %s: %u peer range(s) of allowed_peer_ip and denied_peer_ip merged "
			 "into the peer policy, %u refused (read at startup; no-dynamic-ip-list "
			 "turns this off)",
			 l->path, l->n.ranges, l->n.bad_ranges);
	return 0;
}

int userdb_load(struct server *srv, struct userdb *db, struct userdb_load_counts *counts)
{
	struct userdb_load l = {.srv = srv, .path = srv->cfg->userdb};
	int bad;

	if (*userdb_notice(db))
		log_info("userdb %s", userdb_notice(db));
	bad = userdb_check_users(db, userdb_load_bad_user, &l);
	if (bad < 0)
		goto fail;
	if (bad)
		log_warn("userdb %s: %d user row(s) refused: those users cannot authenticate until "
			 "their key is set again (turnadmin -a)",
			 l.path, bad);
	if (userdb_load_ranges(&l, db) < 0)
		goto fail;
	l.lines = 0;
	if (srv->cfg->no_dynamic_realms)
		log_info("userdb %s: no-dynamic-realms: turn_realm_option is not read", l.path);
	else if (userdb_list_realm_options(db, userdb_load_option, &l) < 0)
		goto fail;
	if (userdb_list_unused(db, userdb_load_unused, &l) < 0)
		goto fail;
	if (counts)
		*counts = l.n;
	return 0;
fail:
	log_error("%s", userdb_errmsg(db));
	return -1;
}
