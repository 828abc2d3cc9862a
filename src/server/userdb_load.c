/*
 * userdb_load.c - the user store's rows besides users' keys, read once at
 * startup (userdb_load.h).
 */
#include "server/userdb_load.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/config.h"
#include "common/log.h"
#include "relay/peer_policy.h"
#include "server/userdb.h"

#define USERDB_LOAD_MAX_LINES 32 /* warnings per kind of row; the counts cover all */

struct userdb_load {
	struct config *cfg;
	const char *realm, *label, *option;
	struct userdb_load_counts *n;
	unsigned int lines; /* warnings of the current kind so far */
	int added;
	bool web_admin; /* admin_user is read (webadmin.h) */
};

static bool userdb_load_say(struct userdb_load *l)
{
	return ++l->lines <= USERDB_LOAD_MAX_LINES;
}

static int userdb_load_range(void *arg, const char *range)
{
	struct userdb_load *l = arg;
	const char *why = peer_range_check(range);
	char err[256];

	/* checked here: one bad row must not stop the server at the peer policy */
	if (why)
		snprintf(err, sizeof(err), "%s", why);
	if (why || config_set(l->cfg, l->option, range, err, sizeof(err)) < 0) {
		l->n->refused++;
		if (userdb_load_say(l))
			log_warn("%s: %s '%.64s' from the store not used: %s", l->label, l->option,
				 range, err);
		return 0;
	}
	l->added++;
	l->n->ranges++;
	return 0;
}

void userdb_apply_realm(struct config *cfg, struct userdb *db, const char *realm,
			const char *label, struct userdb_load_counts *n)
{
	struct userdb_load_counts dummy = {0};
	struct userdb_load l = {.cfg = cfg, .realm = realm, .label = label, .n = n ? n : &dummy};

	for (int allowed = 1; !cfg->no_dynamic_ip_list && allowed >= 0; allowed--) {
		l.option = allowed ? "allowed-peer-ip" : "denied-peer-ip";
		l.added = 0;
		l.lines = 0;
		if (userdb_list_peer_ips(db, realm, allowed, userdb_load_range, &l) < 0)
			log_warn("%s: %s", label, userdb_errmsg(db));
		else if (l.added)
			log_info("%s: %d %s range(s) from the store (read at startup; "
				 "no-dynamic-ip-list turns this off)",
				 label, l.added, l.option);
	}
}

/* The audit */

static int userdb_load_bad_user(void *arg, const char *realm, const char *user, const char *why)
{
	struct userdb_load *l = arg;

	l->n->bad_users++;
	if (userdb_load_say(l))
		log_warn("%s: user '%s' of realm '%s' refused: %s", l->label, user, realm, why);
	return 0;
}

static int userdb_load_other_range(void *arg, const char *realm, const char *range)
{
	struct userdb_load *l = arg;

	if (!*realm || strcmp(realm, l->realm) == 0)
		return 0; /* userdb_apply_realm()'s */
	l->n->ignored++;
	if (userdb_load_say(l))
		log_warn("%s: %s '%.64s' of realm '%s' not acted on: this server's realm is '%s'",
			 l->label, l->option, range, realm, l->realm);
	return 0;
}

static int userdb_load_other_option(void *arg, const char *realm, const char *opt,
				    const char *value)
{
	struct userdb_load *l = arg;
	bool known = false;

	(void)value;
	for (size_t i = 0; i < USERDB_REALM_OPTION_COUNT; i++)
		known = known || strcmp(opt, userdb_realm_options[i]) == 0;
	if (known && strcmp(realm, l->realm) == 0)
		return 0; /* userdb_apply_realm()'s */
	l->n->ignored++;
	if (!userdb_load_say(l))
		return 0;
	if (!known)
		log_warn("%s: realm option '%.32s' of realm '%s' not acted on: coturn's realm options "
			 "are max-bps, user-quota, total-quota",
			 l->label, opt, realm);
	else
		log_warn("%s: realm option %s of realm '%s' not acted on: this server's realm is "
			 "'%s'",
			 l->label, opt, realm, l->realm);
	return 0;
}

static int userdb_load_unused(void *arg, const char *table, long rows)
{
	struct userdb_load *l = arg;
	const char *why = strcmp(table, "admin_user") == 0  ? "web-admin is off"
			  : strcmp(table, "oauth_key") == 0 ? "oAuth is not implemented"
							    : "there is one realm here";

	if (l->web_admin && strcmp(table, "admin_user") == 0)
		return 0;

	log_warn("%s: table %s has %ld row(s): not acted on (%s)", l->label, table, rows, why);
	return 0;
}

int userdb_audit(const struct config *cfg, struct userdb *db, const char *realm,
		 const char *label, struct userdb_load_counts *n)
{
	struct userdb_load_counts dummy = {0};
	struct userdb_load l = {
	    .realm = realm, .label = label, .n = n ? n : &dummy, .web_admin = cfg->web_admin};
	int bad;

	if (*userdb_notice(db))
		log_info("%s: %s", label, userdb_notice(db));
	bad = userdb_check_users(db, userdb_load_bad_user, &l);
	if (bad < 0)
		goto fail;
	if (bad)
		log_warn("%s: %d user row(s) refused: those users cannot authenticate until "
			 "their key is set again (turnadmin -a)",
			 label, bad);
	for (int denied = 0; !cfg->no_dynamic_ip_list && denied < 2; denied++) {
		l.option = denied ? "denied_peer_ip" : "allowed_peer_ip";
		l.lines = 0;
		if (userdb_list_peer_ranges(db, denied, userdb_load_other_range, &l) < 0)
			goto fail;
	}
	l.lines = 0;
	if (!cfg->no_dynamic_realms &&
	    userdb_list_realm_options(db, userdb_load_other_option, &l) < 0)
		goto fail;
	if (userdb_list_unused(db, userdb_load_unused, &l) < 0)
		goto fail;
	return 0;
fail:
	log_error("%s: %s", label, userdb_errmsg(db));
	return -1;
}
