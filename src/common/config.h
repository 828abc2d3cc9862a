/*
 * config.h - turnserver configuration: a coturn-style config file and
 * coturn-style command-line flags, parsed into one struct config.
 *
 * File syntax, one option per line: "key=value", "key value", or a bare
 * "key" for booleans (and for stale-nonce, which then means 600 s). As in
 * coturn, the key ends at the first blank or '=' and the value starts after
 * every blank and '=' that follow ("key = value" works). A key may carry
 * coturn's leading "--". Leading and trailing whitespace is trimmed; a line
 * whose first non-blank character is '#' is a comment. A value in double
 * quotes loses them, as in coturn ("realm=\"example.org\"" is example.org;
 * quotes inside a value and single quotes stay). Refused rather than
 * misread: an opening quote without a closing one, and in an unquoted value
 * a '#' at its start or after a blank (comments go on lines of their own;
 * "pa#ss" is a value) or a ';' at its end. Lines are UTF-8 without control
 * characters, at most CONFIG_MAX_LINE bytes. On the command line values are
 * taken as given (the shell has removed its quotes), as coturn does.
 *
 * Booleans take no value, or one of yes/no, true/false, on/off, 1/0.
 * Scalar options given twice keep the last value; repeatable options
 * (listening-ip, relay-ip, external-ip, user, static-auth-secret,
 * allowed-peer-ip, denied-peer-ip, anchor-ng-allow, anchor-interface)
 * accumulate. On the command line, the first use of a
 * repeatable option replaces the entries the file gave for it.
 *
 * Unknown options, malformed values and coturn options that this server
 * does not implement yet are errors, never ignored. coturn options whose
 * effect is already this server's behaviour (no-multicast-peers, no-cli,
 * no-rfc5780, ...) are accepted and named in a notice at startup
 * (config_notices()); the value that would need what is not implemented
 * (rfc5780, cli, no-multicast-peers=no, ...) is refused. Error messages name the
 * place: "FILE:LINE: ..." for the file, "--flag: ..." or "-p: ..." for the
 * command line.
 */
#ifndef COMMON_CONFIG_H
#define COMMON_CONFIG_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#define CONFIG_DEFAULT_USERDB "/var/lib/turnserver/turnserver.db"
#define CONFIG_DEFAULT_SOFTWARE_NAME "turnserver"
#define CONFIG_DEFAULT_LISTENING_PORT 3478
#define CONFIG_DEFAULT_TLS_LISTENING_PORT 5349 /* RFC 8656 §4: TURN over TLS/DTLS */
#define CONFIG_DEFAULT_PROMETHEUS_PORT 9641	/* coturn's */
#define CONFIG_DEFAULT_WEB_ADMIN_PORT 8080	/* coturn's */
#define CONFIG_DEFAULT_WEB_ADMIN_IP "127.0.0.1" /* coturn's */
#define CONFIG_DEFAULT_MIN_PORT 49152 /* RFC 8656 §7.2: dynamic port range */
#define CONFIG_DEFAULT_MAX_PORT 65535
#define CONFIG_DEFAULT_STALE_NONCE 600
#define CONFIG_DEFAULT_MAX_ALLOCATE_LIFETIME 3600
#define CONFIG_DEFAULT_CHANNEL_LIFETIME 600    /* RFC 8656 §12: 10 minutes */
#define CONFIG_DEFAULT_PERMISSION_LIFETIME 300 /* RFC 8656 §9: 300 s */
#define CONFIG_DEFAULT_ANCHOR_TIMEOUT 60
/* Limits (docs/OPERATIONS.md "Limits" says why these numbers) */
#define CONFIG_DEFAULT_USER_PORT_SHARE 80	  /* percent of the relay range */
#define CONFIG_DEFAULT_IP_PORT_SHARE 10		  /* percent of the relay range */
#define CONFIG_DEFAULT_MAX_TCP_CONNECTIONS 16384
#define CONFIG_DEFAULT_MAX_TCP_CONNECTIONS_PER_IP 128
#define CONFIG_DEFAULT_MAX_ALLOCATE_TIMEOUT 60 /* coturn's default */
#define CONFIG_DEFAULT_FLEET_INTERVAL 2
#define CONFIG_DEFAULT_FLEET_TTL 6
#define CONFIG_DEFAULT_ANCHOR_MAX_SESSIONS 1000
#define CONFIG_DEFAULT_ANCHOR_MAX_CALL_PORTS 16
#define CONFIG_DEFAULT_ANCHOR_PORT_SHARE 80 /* percent of the relay range */
#define CONFIG_DEFAULT_ANCHOR_LATCH_WINDOW 3
#define CONFIG_DEFAULT_ANCHOR_NG_CACHE_TIME 60
#define CONFIG_DEFAULT_401_REQ_LIMIT 1000 /* coturn's 401-req-limit */
#define CONFIG_DEFAULT_401_WINDOW 120	  /* coturn's 401-window, seconds */
#define CONFIG_DEFAULT_UNAUTH_REQ_RATE 100 /* requests a second per source and relay thread */
#define CONFIG_DEFAULT_MAX_UNAUTH_CONNECTIONS_PER_IP 64
#define CONFIG_DEFAULT_REALM_OPTIONS_REFRESH 5 /* coturn rereads its realms every 5 s */

#define CONFIG_MAX_LINE 4096	      /* bytes per config file line */
#define CONFIG_MAX_IPS 16	      /* listening-ip, relay-ip, external-ip */
#define CONFIG_MAX_USERS 64	      /* user= entries; more belong in userdb */
#define CONFIG_MAX_PEER_RULES 64      /* allowed-peer-ip, denied-peer-ip */
#define CONFIG_MAX_ALTERNATES 16      /* alternate-server, tls-alternate-server */
#define CONFIG_MAX_SECRETS 16	      /* static-auth-secret entries, for rotation */
#define CONFIG_MAX_SECRET_BYTES 256   /* one secret; coturn's turn_secret.value */
#define CONFIG_MAX_PATH 1023	      /* bytes of userdb */
#define CONFIG_MAX_TEXT_BYTES 763     /* RFC 8489 §14.9, §14.14: REALM, SOFTWARE */
/* RFC 5389 §15.3: < 513 bytes; RFC 8489 §14.3 says < 509, we accept the older limit */
#define CONFIG_MAX_USERNAME_BYTES 512
#define CONFIG_MAX_TIMESTAMP_FORMAT 63 /* bytes of new-log-timestamp-format */
#define CONFIG_NOTICE_WORDS 3	       /* 64-bit words of struct config's notices */

/* One IP literal from the configuration. */
struct config_ip {
	char text[INET6_ADDRSTRLEN];  /* as written, e.g. "192.0.2.1", "::1" */
	struct sockaddr_storage addr; /* AF_INET or AF_INET6, port 0 */
	socklen_t addr_len;
};

/* external-ip=PUBLIC or external-ip=PUBLIC/PRIVATE (same address family). */
struct config_external_ip {
	struct config_ip public_ip;
	struct config_ip private_ip; /* valid only if has_private */
	bool has_private;
};

/* user=NAME:PASSWORD or user=NAME:0xKEY (KEY = 32 hex digits, the MD5 key). */
struct config_user {
	char *name;
	char *password; /* exactly as written after the first ':', "0x..." included */
	bool is_key;	/* password is "0x" + 32 hex digits */
};

/*
 * Field names are the option names with '-' turned into '_'. Repeatable
 * options are arrays with a *_count. Strings are owned by the struct.
 */
struct config {
	char *config_file; /* the file read through -c, or NULL */

	uint16_t listening_port;
	struct config_ip listening_ip[CONFIG_MAX_IPS]; /* none: server picks */
	size_t listening_ip_count;
	struct config_ip relay_ip[CONFIG_MAX_IPS];
	size_t relay_ip_count;
	struct config_external_ip external_ip[CONFIG_MAX_IPS];
	size_t external_ip_count;
	uint16_t min_port; /* relay port range, min_port <= max_port */
	uint16_t max_port;

	char realm[CONFIG_MAX_TEXT_BYTES + 1]; /* "": server picks */
	bool lt_cred_mech;
	struct config_user user[CONFIG_MAX_USERS];
	size_t user_count;
	char userdb[CONFIG_MAX_PATH + 1];
	char redis_userdb[CONFIG_MAX_TEXT_BYTES + 1]; /* "": none; else instead of userdb */
	bool no_dynamic_ip_list; /* the user store's peer ranges not read */
	bool no_dynamic_realms;	 /* the user store's realm options not read */
	/* TURN REST API (server/rest_auth.h): users are EXPIRY[SEP USER] only */
	bool use_auth_secret;
	char *static_auth_secret[CONFIG_MAX_SECRETS]; /* none: the store's, per realm */
	size_t static_auth_secret_count;
	char rest_api_separator[2]; /* one character, ':' by default */
	bool fingerprint;

	unsigned int stale_nonce; /* seconds */
	unsigned int max_allocate_lifetime;
	unsigned int channel_lifetime;
	unsigned int permission_lifetime;
	unsigned int relay_threads; /* 0: one per core */
	unsigned int user_quota;    /* allocations per user, 0: unlimited */
	unsigned int total_quota;   /* allocations in total, 0: unlimited */
	unsigned int max_bps;	    /* bytes a second per allocation and direction, 0: none */
	unsigned int bps_capacity;  /* bytes a second reserved by all allocations, 0: none */
	unsigned int user_port_share; /* percent of the relay range, per user */
	unsigned int ip_port_share;   /* percent of the relay range, per client address */
	unsigned int max_tcp_connections;	 /* client TCP connections */
	unsigned int max_tcp_connections_per_ip; /* ... from one address */
	unsigned int max_allocate_timeout;	 /* seconds from accept to an allocation (TCP) */

	/* Raw "IP", "IP-IP" or "IP/len" strings; the peer policy parses them. */
	char *allowed_peer_ip[CONFIG_MAX_PEER_RULES];
	size_t allowed_peer_ip_count;
	char *denied_peer_ip[CONFIG_MAX_PEER_RULES];
	size_t denied_peer_ip_count;
	bool allow_loopback_peers;
	/* coturn's: allowed-peer-ip cannot open 224.0.0.0 and up, ff00::/8, or loopback */
	bool no_multicast_peers;
	bool no_loopback_peers;

	bool no_udp;
	bool no_tcp;
	bool no_udp_relay;
	bool no_tcp_relay;
	bool no_udp_gso;
	bool stun_only;
	bool no_stun;
	/* RFC 5780 NAT behaviour discovery (server/natdisc.c): off by default */
	bool rfc5780;
	unsigned int alt_listening_port; /* its second port; 0: listening-port + 1 */
	bool mobility; /* RFC 8016 (server/mobility.c) */

	/* TLS over TCP and DTLS over UDP (server/tls.h); off without cert */
	uint16_t tls_listening_port;
	unsigned int alt_tls_listening_port; /* 0: none */
	char *cert;	   /* PEM chain; NULL: TLS and DTLS off */
	char *pkey;	   /* PEM private key; NULL: the key is in cert */
	char *pkey_pwd;	   /* its passphrase, or NULL */
	char *cipher_list; /* OpenSSL cipher list up to TLS 1.2 / DTLS 1.2, or NULL */
	char *ca_file;	   /* client certificates are required and checked against it */
	char *ec_curve_name; /* ECDHE group, or NULL: OpenSSL's defaults */
	char *dh_file;	   /* DH parameters (PEM) for DHE, or NULL: built-in */
	bool no_tls;
	bool no_dtls;
	bool no_tlsv1;	 /* TLS 1.0 and 1.1 are never offered: accepted as the default */
	bool no_tlsv1_1;
	bool no_tlsv1_2; /* TLS 1.3 only (DTLS stays 1.2, its only version) */

	char *log_file; /* NULL: stderr; "stdout" or "-", "stderr", "syslog", else a file */
	bool syslog;	/* coturn's syslog: as log-file=syslog, log_file unused */
	char syslog_facility[16];	/* "": user; "LOG_LOCAL1", "local1", ... */
	char new_log_timestamp_format[CONFIG_MAX_TIMESTAMP_FORMAT + 1]; /* strftime, "": ours */
	bool log_binding;		/* with verbose: a line per Binding request */
	char log_format[8];		/* "text" (default) or "json": log.h */
	int verbose;	/* 0 quiet, 1 verbose (-v), 2 very verbose (-V) */
	char *pidfile;	/* NULL: none */
	bool daemon;	/* -o: fork into the background (src/server/daemon.c) */
	char proc_user[64];  /* "": stay who started us; else a name or uid (privdrop.c) */
	char proc_group[64]; /* "": proc_user's group */
	char listening_device[16]; /* IFNAMSIZ; "": any device */
	char relay_device[16];
	char software_name[CONFIG_MAX_TEXT_BYTES + 1];
	bool no_software_attribute;
	bool stun_backward_compatibility; /* MAPPED-ADDRESS in Binding responses too */
	/* unauthenticated error responses per source IP and window over UDP (coturn's 401-*) */
	bool unauth_ratelimit;
	unsigned int unauth_req_limit;
	unsigned int unauth_window; /* seconds */
	/* requests per second and source before one authenticates (unauth_budget.c), 0: none */
	unsigned int unauth_req_rate;
	/* client connections from one address that have not authenticated yet (limits.c) */
	unsigned int max_unauth_connections_per_ip;
	/* seconds between two reads of the realm's options in the store (realm_opts.c) */
	unsigned int realm_options_refresh;
	bool rfc5766_channel_numbers; /* channels 0x4000-0x7FFF instead of 0x4000-0x4FFF */
	char kernel_offload[8];	      /* "auto" (default), "on", "off": relay/relay_engine.h */

	/* media anchor (src/anchor): off unless anchor_ng_listen is set */
	struct config_ip anchor_ng_listen; /* with a port; addr_len 0: off */
	char *anchor_ng_allow[CONFIG_MAX_PEER_RULES]; /* none: loopback only */
	size_t anchor_ng_allow_count;
	struct config_external_ip anchor_interface[CONFIG_MAX_IPS];
	size_t anchor_interface_count;
	unsigned int anchor_timeout;	   /* seconds of silence */
	unsigned int anchor_final_timeout; /* seconds, 0: none */
	unsigned int anchor_max_sessions;  /* 0: unlimited */
	unsigned int anchor_max_call_ports; /* media ports per call */
	unsigned int anchor_port_share;	    /* percent of the relay range, all calls */
	unsigned int anchor_latch_window;  /* seconds of re-latching after offer/answer */
	unsigned int anchor_num_threads;   /* media threads; 0: one per online core */
	unsigned int anchor_ng_cache_time; /* seconds an ng reply is kept by cookie */
	bool anchor_ice_controlling;

	/* Prometheus metrics (src/server/metrics.c): off unless prometheus is set */
	bool prometheus;
	uint16_t prometheus_port;
	struct config_ip prometheus_address[1]; /* none: every address */
	size_t prometheus_address_count;
	/* admin HTTP interface (src/server/webadmin.c): off unless web-admin is set */
	bool web_admin;
	uint16_t web_admin_port;
	struct config_ip web_admin_ip[1]; /* none: 127.0.0.1 */
	size_t web_admin_ip_count;
	bool web_diagnostic; /* its /diagnostic page, open to anyone (webadmin_diag.c) */
	/* RFC 8489 §10: Allocates redirected with 300, round robin (with a port) */
	struct config_ip alternate_server[CONFIG_MAX_ALTERNATES];
	size_t alternate_server_count;
	struct config_ip tls_alternate_server[CONFIG_MAX_ALTERNATES];
	size_t tls_alternate_server_count;
	/* the fleet in redis-userdb's Redis (src/server/fleet.c): off unless fleet is set */
	bool fleet;
	struct config_ip fleet_address[CONFIG_MAX_ALTERNATES]; /* none: from the listeners */
	size_t fleet_address_count;
	unsigned int fleet_interval; /* seconds between two publications */
	unsigned int fleet_ttl;	     /* seconds an entry lives unless published again */
	unsigned int max_allocations; /* past it: 300 to a fleet peer, or 486; 0: none */
	char *anchor_dtls_cert; /* PEM files; NULL: a certificate made at startup */
	char *anchor_dtls_key;

	/* options given that config_notices() names: a bit per config option */
	uint64_t notices[CONFIG_NOTICE_WORDS];
};

/* Fill c with the defaults. Allocates nothing. */
void config_init(struct config *c);

/*
 * Read a config file into c, then check the options against each other.
 * Returns 0, or -1 with a message in err ("FILE:LINE: ..."). On failure c
 * may be partly updated; config_free() still works.
 */
int config_load_file(struct config *c, const char *path, char *err, size_t errlen);

/*
 * Parse argv (argv[0] is the program name). With -c FILE the file is read
 * first and the other flags are applied after it, so they win; -n means no
 * file (without -c no file is read either: the caller decides defaults).
 * Returns 0; 1 for -h/--help (print config_usage()); 2 for --version; or
 * -1 with err set.
 */
int config_parse_args(struct config *c, int argc, char **argv, char *err, size_t errlen);

/*
 * Set one option by its long name (no leading "--"). value is NULL for a
 * bare boolean. Repeatable options append. Cross-option rules (min-port <=
 * max-port, ...) are checked by config_load_file() and config_parse_args(),
 * not here. Returns 0, or -1 with a message in err naming the option.
 */
int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen);

/*
 * A user= key: 32 hex digits, "0x" optional, into 16 bytes.
 * Returns 0, or -1 (key untouched) for anything else.
 */
int config_md5_key(const char *s, uint8_t key[16]);

/* Free what c owns; c must be config_init()ed again before reuse. */
void config_free(struct config *c);

/*
 * The coturn options given whose effect is this server's behaviour anyway,
 * or that have nothing to act on here, and options given that have no
 * effect with the others: fn gets each option's name and one line saying
 * why, once, in option order. Never a value (cli-password is a secret).
 */
void config_notices(const struct config *c,
		    void (*fn)(void *arg, const char *option, const char *text), void *arg);

/* Log destination: "syslog" with the syslog option or daemon without log-file, else log_file. */
const char *config_log_destination(const struct config *c);

/*
 * SIGHUP (config_reload.c, src/server/reload.c): a running server takes a
 * new configuration's users, secrets, quotas, caps, peer policy, alternate
 * servers and log destination; every other option keeps its running value
 * until a restart. config_reloadable() says which kind option is.
 */
bool config_reloadable(const char *option);
/*
 * fn gets the name of each option whose value differs between old and new
 * (options sharing a field, db and userdb, named once), and whether a
 * reload applies it. Returns how many differ.
 */
size_t config_diff(const struct config *old, const struct config *new,
		   void (*fn)(void *arg, const char *option, bool reloadable), void *arg);
/*
 * Swaps a reloadable option's value between live and new, so that new
 * holds the old value and config_free(new) frees it. 0, or -1 for an
 * option a reload does not apply.
 */
int config_swap_option(struct config *live, struct config *new, const char *option);
/* config_notices() of new, without the table's notices old already had. */
void config_notices_new(const struct config *old, const struct config *new,
			void (*fn)(void *arg, const char *option, const char *text), void *arg);

/* Print every option with its default, and the refused coturn options. */
void config_usage(FILE *out);

/* RFC 5780's second port: alt-listening-port, else listening-port + 1 (0: none). */
static inline uint16_t config_alt_listening_port(const struct config *c)
{
	if (c->alt_listening_port)
		return (uint16_t)c->alt_listening_port;
	return c->listening_port < 65535 ? (uint16_t)(c->listening_port + 1) : 0;
}

#endif /* COMMON_CONFIG_H */
