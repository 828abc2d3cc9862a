/*
 * userdb_load.h - what the server takes from the user store once, at
 * startup, besides users' keys (which are read per request): coturn's
 * allowed_peer_ip/denied_peer_ip rows merged into the peer policy (not
 * with no-dynamic-ip-list), its turn_realm_option rows for our realm
 * (max-bps, user-quota, total-quota; not with no-dynamic-realms), a check
 * of every user row, and a warning for each table read by coturn but not
 * here. Every row not acted on is named in a log line.
 */
#ifndef SERVER_USERDB_LOAD_H
#define SERVER_USERDB_LOAD_H

struct server;
struct userdb;

/* Rows refused or not acted on, counted for the summary line and tests. */
struct userdb_load_counts {
	unsigned int bad_users;	  /* user rows whose key cannot be used */
	unsigned int ranges;	  /* peer ranges merged */
	unsigned int bad_ranges;  /* malformed, or no room */
	unsigned int options;	  /* realm options applied */
	unsigned int ignored;	  /* rows of another realm, unknown options, bad values */
};

/*
 * Applies the store's rows to srv (srv->relay.policy, srv->cfg's max_bps,
 * user_quota, total_quota). 0, or -1 when the store cannot be read
 * (logged). counts may be NULL.
 */
int userdb_load(struct server *srv, struct userdb *db, struct userdb_load_counts *counts);

#endif /* SERVER_USERDB_LOAD_H */
