/*
 * userdb_load.h - what the server takes from the user store once, at
 * startup, besides users' keys (which are read per request), for either
 * backend (SQLite in coturn's schema, Redis in coturn's keys):
 *   userdb_apply_realm(): the realm's peer ranges into the configuration,
 *     before the peer policy is set up (not with no-dynamic-ip-list), said
 *     in the log (the realm's options, max-bps, user-quota and total-quota,
 *     are read while the server runs: realm_opts.c);
 *   userdb_audit(): what the store holds and nothing here acts on, each
 *     named in a warning (rows of other realms, unknown options, user rows
 *     whose key cannot be used, coturn's tables not read), and what opening
 *     the store did (a migration).
 * coturn re-reads peer ranges every few seconds; here a change takes a restart.
 */
#ifndef SERVER_USERDB_LOAD_H
#define SERVER_USERDB_LOAD_H

struct config;
struct userdb;

/* Rows applied, refused and not acted on, for the summary lines and tests. */
struct userdb_load_counts {
	unsigned int ranges;	 /* peer ranges added */
	unsigned int refused;	 /* malformed values and ranges, a full list */
	unsigned int ignored;	 /* rows of another realm, unknown options */
	unsigned int bad_users;	 /* user rows whose key cannot be used */
};

/* label names the store in log lines: "redis-userdb", "userdb /var/lib/...". */
void userdb_apply_realm(struct config *cfg, struct userdb *db, const char *realm,
			const char *label, struct userdb_load_counts *n);
/* 0, or -1 when the store cannot be read (logged). */
int userdb_audit(const struct config *cfg, struct userdb *db, const char *realm,
		 const char *label, struct userdb_load_counts *n);

#endif /* SERVER_USERDB_LOAD_H */
