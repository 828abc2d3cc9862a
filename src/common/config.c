/*
 * config.c - turnserver configuration: one table of options drives the
 * config file reader and, through config_args.c, the command line and
 * the usage text.
 */
#include "common/config_internal.h"
#include "common/addr.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX_SECONDS 86400
#define CONFIG_MAX_THREADS 1024
#define CONFIG_MAX_QUOTA 1000000000u
#define CONFIG_MAX_TEXT_CHARS 127 /* RFC 8489 §14.9, §14.14: < 128 characters */
#define CONFIG_MD5_KEY_HEX 32

/* notices and refusals of the coturn options accepted for compatibility */
#define NO_5780 "RFC 5780 NAT behaviour discovery is off by default here (rfc5780 turns it on)"
#define NO_CLI "there is no telnet CLI here (the admin interface is another issue's)"
#define NO_DYNAMIC                                                                                 \
	"the user store is not health-pinged here (a Redis outage ends by itself at the next "    \
	"lookup)"
#define NO_DYNAMIC_IPS                                                                             \
	"the user store's peer ranges (coturn's allowed_peer_ip and denied_peer_ip) are not read"
#define DYNAMIC_IPS "give no value: without it the user store's peer ranges are read at startup"
#define NO_DYNAMIC_REALMS                                                                          \
	"the user store's realm options (coturn's turn_realm_option: max-bps, user-quota, "       \
	"total-quota) are not read"
#define DYNAMIC_REALMS                                                                             \
	"give no value: without it the user store's realm options are read at startup"

#define F(f) offsetof(struct config, f)
#define FSIZE(f) sizeof(((struct config *)0)->f)
#define OPT_BOOL(n, s, f, h)                                                                       \
	{                                                                                          \
		.name = n, .short_name = s, .kind = CONFIG_BOOL, .offset = F(f), .help = h         \
	}
#define OPT_PORT(n, s, f, h)                                                                       \
	{                                                                                          \
		.name = n, .short_name = s, .kind = CONFIG_PORT, .offset = F(f), .min = 1,         \
		.max = 65535, .arg = "<port>", .help = h                                           \
	}
#define OPT_UINT(n, s, f, lo, hi, b, a, h)                                                         \
	{                                                                                          \
		.name = n, .short_name = s, .kind = CONFIG_UINT, .offset = F(f), .min = lo,        \
		.max = hi, .bare = b, .arg = a, .help = h                                          \
	}
#define OPT_STR(n, s, k, f, sz, a, h)                                                              \
	{                                                                                          \
		.name = n, .short_name = s, .kind = k, .offset = F(f), .size = sz, .arg = a,       \
		.help = h                                                                          \
	}
#define OPT_LIST(n, s, k, f, max_entries, a, h)                                                    \
	{                                                                                          \
		.name = n, .short_name = s, .kind = k, .offset = F(f),                             \
		.count_offset = F(f##_count), .size = max_entries, .arg = a, .help = h             \
	}
/* alternate-server lists: .bare is the port an entry without one gets */
#define OPT_ALT(n, f, port, h)                                                                     \
	{                                                                                          \
		.name = n, .kind = CONFIG_ALTERNATE, .offset = F(f), .count_offset = F(f##_count), \
		.size = CONFIG_MAX_ALTERNATES, .bare = port, .arg = "<ip[:port]>", .help = h       \
	}
/* coturn's on/off switches and ignored options: see config_internal.h */
#define OPT_COMPAT_BOOL(n, f, inv, b, nt, rf, h)                                                   \
	{                                                                                          \
		.name = n, .kind = CONFIG_BOOL, .offset = F(f), .invert = inv, .bare = b,          \
		.notice = nt, .refuse = rf, .help = h                                              \
	}
#define OPT_SWITCH(n, b, nt, rf, h)                                                                \
	{                                                                                          \
		.name = n, .kind = CONFIG_SWITCH, .bare = b, .notice = nt, .refuse = rf, .help = h \
	}
#define OPT_IGNORED(n, chk, lo, hi, a, nt, h)                                                      \
	{                                                                                          \
		.name = n, .kind = CONFIG_IGNORED, .check = chk, .min = lo, .max = hi, .arg = a,   \
		.notice = nt, .help = h                                                            \
	}
#define OPT_IGNORED_WORD(n, s, word, a, nt, rf, h)                                                 \
	{                                                                                          \
		.name = n, .short_name = s, .kind = CONFIG_IGNORED, .accept = word, .arg = a,      \
		.notice = nt, .refuse = rf, .help = h                                              \
	}
#define OPT_VERBOSE(n, s, level, h)                                                                \
	{                                                                                          \
		.name = n, .short_name = s, .kind = CONFIG_VERBOSE, .offset = F(verbose),          \
		.min = level, .help = h                                                            \
	}

const struct config_option config_options[] = {
    OPT_PORT("listening-port", 'p', listening_port, "UDP and TCP port for STUN and TURN"),
    OPT_LIST("listening-ip", 'L', CONFIG_IP, listening_ip, CONFIG_MAX_IPS, "<ip>",
	     "address to listen on"),
    OPT_LIST("relay-ip", 'E', CONFIG_IP, relay_ip, CONFIG_MAX_IPS, "<ip>",
	     "address for relayed transport addresses"),
    OPT_LIST("external-ip", 'X', CONFIG_EXTERNAL_IP, external_ip, CONFIG_MAX_IPS,
	     "<public[/private]>", "public address advertised for a private relay address"),
    OPT_PORT("min-port", 0, min_port, "lowest relay port"),
    OPT_PORT("max-port", 0, max_port, "highest relay port"),
    OPT_STR("realm", 'r', CONFIG_TEXT, realm, FSIZE(realm), "<realm>",
	    "realm for long-term credentials"),
    OPT_BOOL("lt-cred-mech", 'a', lt_cred_mech, "long-term credential mechanism"),
    OPT_LIST("user", 'u', CONFIG_USER, user, CONFIG_MAX_USERS, "<name:password|name:0xkey>",
	     "long-term credential user"),
    OPT_STR("userdb", 'b', CONFIG_PATH, userdb, FSIZE(userdb), "<file>", "SQLite user database"),
    OPT_STR("redis-userdb", 'N', CONFIG_TEXT, redis_userdb, FSIZE(redis_userdb),
	    "<\"ip=.. port=.. dbname=.. password=.. connect_timeout=..\">",
	    "Redis user database in coturn's key layout (instead of userdb)"),
    OPT_BOOL("use-auth-secret", 0, use_auth_secret,
	     "TURN REST API: time-limited users EXPIRY[:USER] with password "
	     "base64(HMAC-SHA1(secret, username)); only these"),
    OPT_LIST("static-auth-secret", 0, CONFIG_SECRET, static_auth_secret, CONFIG_MAX_SECRETS,
	     "<secret>", "TURN REST API secret, any one validates; none: the userdb's for the realm"),
    OPT_STR("rest-api-separator", 'C', CONFIG_TEXT, rest_api_separator, FSIZE(rest_api_separator),
	    "<char>", "TURN REST API: between EXPIRY and USER in the username"),
    OPT_STR("db", 0, CONFIG_PATH, userdb, FSIZE(userdb), "<file>", "coturn's other name of userdb"),
    OPT_SWITCH("no-auth-pings", 1, NO_DYNAMIC, NO_DYNAMIC,
	       "no health checks of the store (coturn's; none here)"),
    OPT_COMPAT_BOOL("no-dynamic-ip-list", no_dynamic_ip_list, false, 1, NO_DYNAMIC_IPS,
		    DYNAMIC_IPS, "no peer ranges from the user store"),
    OPT_COMPAT_BOOL("no-dynamic-realms", no_dynamic_realms, false, 1, NO_DYNAMIC_REALMS,
		    DYNAMIC_REALMS, "no realm options (quotas, max-bps) from the user store"),
    OPT_BOOL("fingerprint", 'f', fingerprint, "add FINGERPRINT to every response"),
    OPT_BOOL("mobility", 0, mobility,
	     "RFC 8016 mobility: MOBILITY-TICKET, UDP allocations follow their client to a new address"),
    OPT_UINT("stale-nonce", 0, stale_nonce, 1, CONFIG_MAX_SECONDS, CONFIG_DEFAULT_STALE_NONCE,
	     "[=<seconds>]", "nonce lifetime"),
    OPT_UINT("max-allocate-lifetime", 0, max_allocate_lifetime, 1, CONFIG_MAX_SECONDS, 0,
	     "<seconds>", "longest allocation lifetime granted"),
    OPT_UINT("channel-lifetime", 0, channel_lifetime, 1, CONFIG_MAX_SECONDS, 0, "<seconds>",
	     "channel binding lifetime"),
    OPT_UINT("permission-lifetime", 0, permission_lifetime, 1, CONFIG_MAX_SECONDS, 0, "<seconds>",
	     "permission lifetime"),
    OPT_UINT("relay-threads", 'm', relay_threads, 0, CONFIG_MAX_THREADS, 0, "<n>",
	     "relay threads, 0 = one per core"),
    OPT_UINT("user-quota", 'q', user_quota, 0, CONFIG_MAX_QUOTA, 0, "<n>",
	     "allocations per user, 0 = unlimited"),
    OPT_UINT("total-quota", 'Q', total_quota, 0, CONFIG_MAX_QUOTA, 0, "<n>",
	     "allocations in total, 0 = unlimited"),
    OPT_UINT("max-bps", 's', max_bps, 0, UINT32_MAX, 0, "<bytes/s>",
	     "relayed bytes a second per allocation, each way, 0 = unlimited"),
    OPT_UINT("bps-capacity", 'B', bps_capacity, 0, UINT32_MAX, 0, "<bytes/s>",
	     "bytes a second all capped allocations may reserve, 0 = unlimited"),
    OPT_UINT("user-port-share", 0, user_port_share, 1, 100, 0, "<percent>",
	     "most of the relay range one user may hold"),
    OPT_UINT("ip-port-share", 0, ip_port_share, 1, 100, 0, "<percent>",
	     "most of the relay range one client address (IPv6: its /64) may hold"),
    OPT_UINT("max-tcp-connections", 0, max_tcp_connections, 1, CONFIG_MAX_QUOTA, 0, "<n>",
	     "client TCP connections at once"),
    OPT_UINT("max-tcp-connections-per-ip", 0, max_tcp_connections_per_ip, 1, CONFIG_MAX_QUOTA,
	     0, "<n>", "client TCP connections from one address (IPv6: its /64)"),
    OPT_UINT("max-allocate-timeout", 0, max_allocate_timeout, 1, CONFIG_MAX_SECONDS, 0,
	     "<seconds>", "TCP client connections without an allocation close this long after opening"),
    OPT_ALT("alternate-server", alternate_server, 3478,
	    "redirect Allocates with 300 Try Alternate to these servers, round robin"),
    OPT_ALT("tls-alternate-server", tls_alternate_server, 5349,
	    "the same for Allocates over TLS and DTLS"),
    OPT_UINT("max-allocations", 0, max_allocations, 0, CONFIG_MAX_QUOTA, 0, "<n>",
	     "allocations this server holds; past it new Allocates get 300 to the least loaded "
	     "fleet peer, or 486; 0 = unlimited"),
    OPT_BOOL("fleet", 0, fleet,
	     "publish this server's load in redis-userdb's Redis and redirect Allocates past "
	     "max-allocations or bps-capacity to the least loaded live peer"),
    OPT_ALT("fleet-address", fleet_address, 3478,
	    "where fleet peers send clients to this server (default: the listening addresses)"),
    OPT_UINT("fleet-interval", 0, fleet_interval, 1, 3600, 0, "<seconds>",
	     "fleet: seconds between two publications of this server's load"),
    OPT_UINT("fleet-ttl", 0, fleet_ttl, 2, CONFIG_MAX_SECONDS, 0, "<seconds>",
	     "fleet: a server's entry expires this long after its last publication"),
    OPT_LIST("allowed-peer-ip", 0, CONFIG_PEER_RULE, allowed_peer_ip, CONFIG_MAX_PEER_RULES,
	     "<ip|ip-ip|ip/len>", "peers allowed despite the default denials (denied wins)"),
    OPT_LIST("denied-peer-ip", 0, CONFIG_PEER_RULE, denied_peer_ip, CONFIG_MAX_PEER_RULES,
	     "<ip|ip-ip|ip/len>", "peers refused"),
    OPT_BOOL("allow-loopback-peers", 0, allow_loopback_peers, "allow peers on loopback"),
    OPT_COMPAT_BOOL("no-multicast-peers", no_multicast_peers, false, 1,
		    "multicast, reserved and broadcast peers (224.0.0.0 and up, ff00::/8) are "
		    "refused by default here; now allowed-peer-ip cannot open them either",
		    "multicast peers are refused unless allowed-peer-ip names them",
		    "refuse peers 224.0.0.0 and up, ff00::/8 even where allowed-peer-ip names "
		    "them (coturn's)"),
    OPT_COMPAT_BOOL("no-loopback-peers", no_loopback_peers, false, 1,
		    "loopback peers are refused by default here; now allowed-peer-ip cannot open "
		    "them either",
		    "loopback peers are opened by allow-loopback-peers",
		    "refuse loopback peers even where allowed-peer-ip names them (coturn's)"),
    OPT_BOOL("no-udp", 0, no_udp, "do not listen on UDP"),
    OPT_BOOL("no-tcp", 0, no_tcp, "do not listen on TCP"),
    OPT_PORT("tls-listening-port", 0, tls_listening_port,
	     "TLS (TCP) and DTLS (UDP) port; TLS is also recognized on every TCP port"),
    OPT_UINT("alt-tls-listening-port", 0, alt_tls_listening_port, 0, 65535, 0, "<port>",
	     "another TLS and DTLS port, 0 = none"),
    OPT_STR("cert", 0, CONFIG_PATH, cert, 0, "<file>",
	    "certificate chain (PEM) for TLS and DTLS; without it both are off"),
    OPT_STR("pkey", 0, CONFIG_PATH, pkey, 0, "<file>", "private key (PEM), default: in cert"),
    OPT_STR("pkey-pwd", 0, CONFIG_STRING, pkey_pwd, 0, "<password>",
	    "passphrase of the private key"),
    OPT_STR("cipher-list", 0, CONFIG_STRING, cipher_list, 0, "<list>",
	    "OpenSSL cipher list for TLS 1.2 and DTLS 1.2 (default: OpenSSL's)"),
    OPT_STR("CA-file", 0, CONFIG_PATH, ca_file, 0, "<file>",
	    "CA certificates (PEM): TLS and DTLS clients must present one it signed"),
    OPT_STR("ec-curve-name", 0, CONFIG_STRING, ec_curve_name, 0, "<name>",
	    "ECDHE curve, e.g. prime256v1 (default: OpenSSL's groups)"),
    OPT_STR("dh-file", 0, CONFIG_PATH, dh_file, 0, "<file>",
	    "DH parameters (PEM) for DHE ciphers (default: built-in)"),
    OPT_BOOL("no-tls", 0, no_tls, "no TLS over TCP"),
    OPT_BOOL("no-dtls", 0, no_dtls, "no DTLS over UDP"),
    OPT_COMPAT_BOOL("dtls", no_dtls, true, 1,
		    "DTLS is on with a certificate here (the default)", NULL,
		    "DTLS over UDP (coturn 4.17's opt-in; the default here); dtls=no is no-dtls"),
    OPT_BOOL("no-tlsv1", 0, no_tlsv1, "no TLS 1.0 (the default: TLS 1.2 is the minimum)"),
    OPT_BOOL("no-tlsv1_1", 0, no_tlsv1_1, "no TLS 1.1 (the default: TLS 1.2 is the minimum)"),
    OPT_BOOL("no-tlsv1_2", 0, no_tlsv1_2, "no TLS 1.2: TLS 1.3 only (DTLS stays 1.2)"),
    OPT_BOOL("no-udp-relay", 0, no_udp_relay, "refuse UDP relay allocations (442)"),
    OPT_BOOL("no-tcp-relay", 0, no_tcp_relay, "refuse TCP relay allocations, RFC 6062 (442)"),
    OPT_BOOL("no-udp-gso", 0, no_udp_gso,
	     "relayed UDP and anchored media batched by sendmmsg only, never by UDP GSO (UDP_SEGMENT)"),
    OPT_BOOL("stun-only", 'S', stun_only, "serve STUN only, no TURN"),
    OPT_BOOL("no-stun", 0, no_stun, "serve TURN only, no STUN Binding"),
    OPT_STR("log-file", 'l', CONFIG_PATH, log_file, 0, "<file|stdout|-|syslog>",
	    "log destination (default stderr)"),
    OPT_BOOL("syslog", 0, syslog, "log to syslog(3), as log-file=syslog does"),
    OPT_STR("syslog-facility", 0, CONFIG_TEXT, syslog_facility, FSIZE(syslog_facility),
	    "<LOG_USER|LOG_DAEMON|LOG_LOCAL0..7|...>", "syslog facility (default LOG_USER)"),
    OPT_SWITCH("no-stdout-log", 1,
	       "log lines go to the log destination alone, never also to stdout (the default "
	       "here)",
	       "log lines are never copied to stdout here: log-file=stdout sends them there",
	       "no copy of the log lines on stdout (coturn's; the default here)"),
    OPT_SWITCH("simple-log", 1,
	       "the log file is used as named, without PID or date and without rollover; "
	       "SIGHUP reopens it (the default here)",
	       "log-file is used as named: rotate it with logrotate and SIGHUP",
	       "log file as named, no rollover (coturn's; the default here)"),
    OPT_SWITCH("new-log-timestamp", 1,
	       "log lines carry ISO 8601 timestamps (the default here)",
	       "log lines always carry ISO 8601 timestamps here",
	       "ISO 8601 timestamps (coturn's; the default here)"),
    OPT_STR("new-log-timestamp-format", 0, CONFIG_TEXT, new_log_timestamp_format,
	    FSIZE(new_log_timestamp_format), "<strftime format>",
	    "log line timestamps in local time (default ISO 8601 UTC with milliseconds)"),
    OPT_STR("log-format", 0, CONFIG_TEXT, log_format, FSIZE(log_format), "<text|json>",
	    "log lines as text (default), or one JSON object a line for log shippers"),
    OPT_BOOL("log-binding", 0, log_binding, "with verbose: a log line per Binding request"),
    OPT_VERBOSE("verbose", 'v', 1, "verbose logging"),
    OPT_VERBOSE("Verbose", 'V', 2, "very verbose logging"),
    OPT_STR("pidfile", 0, CONFIG_PATH, pidfile, 0, "<file>",
	    "write the process id here (after the fork with daemon), removed on exit"),
    OPT_BOOL("daemon", 'o', daemon,
	     "run in the background: returns once ready (1 if startup failed), stdio to "
	     "/dev/null, logs to syslog without log-file"),
    OPT_STR("proc-user", 0, CONFIG_TEXT, proc_user, FSIZE(proc_user), "<user>",
	    "started as root: become this user (name or uid) after binding the listeners"),
    OPT_STR("proc-group", 0, CONFIG_TEXT, proc_group, FSIZE(proc_group), "<group>",
	    "started as root: become this group (default: proc-user's) after binding"),
    OPT_STR("listening-device", 'd', CONFIG_TEXT, listening_device, FSIZE(listening_device),
	    "<device>", "listeners take packets from this network device only (SO_BINDTODEVICE)"),
    OPT_STR("relay-device", 'i', CONFIG_TEXT, relay_device, FSIZE(relay_device), "<device>",
	    "relay sockets send and receive on this network device only (SO_BINDTODEVICE)"),
    OPT_STR("software-name", 0, CONFIG_TEXT, software_name, FSIZE(software_name), "<text>",
	    "SOFTWARE attribute value"),
    OPT_BOOL("no-software-attribute", 0, no_software_attribute, "send no SOFTWARE attribute"),
    OPT_BOOL("prod", 0, no_software_attribute, "coturn's old name of no-software-attribute"),
    OPT_COMPAT_BOOL("software-attribute", no_software_attribute, true, 1,
		    "the SOFTWARE attribute is sent by default here", NULL,
		    "send the SOFTWARE attribute (coturn 4.17's opt-in)"),
    OPT_COMPAT_BOOL("no-rfc5780", rfc5780, true, 1, NO_5780, NULL,
		    "no RFC 5780 NAT behaviour discovery (coturn's; the default here)"),
    OPT_COMPAT_BOOL("rfc5780", rfc5780, false, 0, NO_5780, NULL,
		    "RFC 5780 NAT behaviour discovery over UDP: needs two listening addresses "
		    "of a family (coturn 4.17's opt-in)"),
    OPT_UINT("alt-listening-port", 0, alt_listening_port, 0, 65535, 0, "<port>",
	     "RFC 5780's second UDP port on every listening address (default: listening-port + "
	     "1); only with rfc5780"),
    OPT_SWITCH("response-origin-only-with-rfc5780", 1,
	       "Binding responses carry RESPONSE-ORIGIN only with rfc5780 (the default here)",
	       "RESPONSE-ORIGIN belongs to RFC 5780 here: turn rfc5780 on to have it",
	       "RESPONSE-ORIGIN only with RFC 5780 (coturn's; the default here)"),
    OPT_COMPAT_BOOL("no-stun-backward-compatibility", stun_backward_compatibility, true, 1,
		    "Binding responses carry XOR-MAPPED-ADDRESS alone (the default here)", NULL,
		    "no MAPPED-ADDRESS in Binding responses (coturn's)"),
    OPT_COMPAT_BOOL("stun-backward-compatibility", stun_backward_compatibility, false, 0,
		    "Binding responses carry XOR-MAPPED-ADDRESS alone (the default here)", NULL,
		    "MAPPED-ADDRESS too in Binding responses (RFC 3489 clients; requests without "
		    "the magic cookie stay unanswered)"),
    OPT_IGNORED_WORD("allocation-default-address-family", 'A', "ipv4", "<ipv4>",
		     "an Allocate without REQUESTED-ADDRESS-FAMILY gets IPv4 (the default here)",
		     "an Allocate without REQUESTED-ADDRESS-FAMILY gets IPv4 (RFC 6156 §4.2)",
		     "family of an Allocate that asks none: only ipv4, the default"),
    OPT_IGNORED("server-name", CONFIG_TEXT, 0, 0, "<name>",
		"only oAuth uses it, and oAuth is not implemented",
		"coturn's oAuth server name: accepted, without effect"),
    OPT_SWITCH("no-cli", 1, NO_CLI, NO_CLI, "no telnet CLI (coturn's; there is none here)"),
    OPT_SWITCH("cli", 0, NO_CLI, NO_CLI,
	       "telnet CLI (coturn 4.17's opt-in): refused, there is none; cli=off accepted"),
    OPT_IGNORED("cli-ip", CONFIG_IP, 0, 0, "<ip>", NO_CLI,
		"coturn's telnet CLI address: accepted, without effect"),
    OPT_IGNORED("cli-port", CONFIG_PORT, 1, 65535, "<port>", NO_CLI,
		"coturn's telnet CLI port: accepted, without effect"),
    OPT_IGNORED("cli-password", CONFIG_TEXT, 0, 0, "<password>", NO_CLI,
		"coturn's telnet CLI password: accepted, without effect"),
    OPT_IGNORED("cli-max-output-sessions", CONFIG_UINT, 0, CONFIG_MAX_QUOTA, "<n>", NO_CLI,
		"coturn's telnet CLI output limit: accepted, without effect"),
    OPT_BOOL("401-ratelimit", 0, unauth_ratelimit,
	     "budget of unauthenticated error responses per source IP over UDP (default on)"),
    OPT_UINT("401-req-limit", 0, unauth_req_limit, 1, CONFIG_MAX_QUOTA, 0, "<n>",
	     "unauthenticated error responses per source IP and window"),
    OPT_UINT("401-window", 0, unauth_window, 1, CONFIG_MAX_SECONDS, 0, "<seconds>",
	     "window of 401-req-limit"),
    OPT_UINT("unauth-req-rate", 0, unauth_req_rate, 0, CONFIG_MAX_QUOTA, 0, "<n>",
	     "TURN requests a second from one source that fail to authenticate, per relay "
	     "thread; past it the source's requests are dropped unread, 0 = no limit"),
    OPT_UINT("max-unauth-connections-per-ip", 0, max_unauth_connections_per_ip, 1,
	     CONFIG_MAX_QUOTA, 0, "<n>",
	     "TCP/TLS connections and DTLS sessions from one address not authenticated yet"),
    OPT_UINT("realm-options-refresh", 0, realm_options_refresh, 1, 3600, 0, "<seconds>",
	     "how often the realm's max-bps, user-quota, total-quota are read from the store"),
    OPT_BOOL("rfc5766-channel-numbers", 0, rfc5766_channel_numbers,
	     "accept channel numbers up to 0x7FFF (RFC 5766) instead of 0x4FFF (RFC 8656)"),
    OPT_STR("kernel-offload", 0, CONFIG_TEXT, kernel_offload, FSIZE(kernel_offload),
	    "<auto|on|off>",
	    "forward TURN channels in the turnrelay kernel module: auto (when loaded), on, off"),
    OPT_STR("anchor-ng-listen", 0, CONFIG_ADDR, anchor_ng_listen, 0, "<ip:port>",
	    "media anchor: ng control socket (off unless set)"),
    OPT_UINT("anchor-ng-cache-time", 0, anchor_ng_cache_time, 1, 3600, 0, "<seconds>",
	     "media anchor: how long an ng reply is kept to answer retransmissions"),
    OPT_LIST("anchor-ng-allow", 0, CONFIG_PEER_RULE, anchor_ng_allow, CONFIG_MAX_PEER_RULES,
	     "<ip|ip-ip|ip/len>", "media anchor: who may send ng commands (default loopback)"),
    OPT_LIST("anchor-interface", 0, CONFIG_EXTERNAL_IP, anchor_interface, CONFIG_MAX_IPS,
	     "<public[/local]>", "media anchor: public address toward browsers, local toward the PBX"),
    OPT_UINT("anchor-timeout", 0, anchor_timeout, 1, CONFIG_MAX_SECONDS, 0, "<seconds>",
	     "media anchor: a call ends after this much silence"),
    OPT_UINT("anchor-final-timeout", 0, anchor_final_timeout, 0, CONFIG_MAX_SECONDS, 0,
	     "<seconds>", "media anchor: a call ends this long after it began, 0 = never"),
    OPT_UINT("anchor-max-sessions", 0, anchor_max_sessions, 0, CONFIG_MAX_QUOTA, 0, "<n>",
	     "media anchor: most calls at once, 0 = unlimited"),
    OPT_UINT("anchor-max-call-ports", 0, anchor_max_call_ports, 2, 64, 0, "<n>",
	     "media anchor: most media ports one call may hold"),
    OPT_UINT("anchor-port-share", 0, anchor_port_share, 1, 100, 0, "<percent>",
	     "media anchor: most of the relay range all calls together may hold"),
    OPT_UINT("anchor-latch-window", 0, anchor_latch_window, 0, 60, 0, "<seconds>",
	     "media anchor: after offer/answer, how long a party without ICE may be re-latched"),
    OPT_UINT("anchor-num-threads", 0, anchor_num_threads, 0, 64, 0, "<n>",
	     "media anchor: media threads (a call's media on one), 0 = one per core"),
    OPT_BOOL("anchor-ice-controlling", 0, anchor_ice_controlling,
	     "media anchor: full ICE, controlling, toward the answerer instead of ICE-lite"),
    OPT_STR("anchor-dtls-cert", 0, CONFIG_PATH, anchor_dtls_cert, 0, "<file>",
	    "media anchor: PEM certificate for DTLS-SRTP bridging (default: a fresh ECDSA one)"),
    OPT_STR("anchor-dtls-key", 0, CONFIG_PATH, anchor_dtls_key, 0, "<file>",
	    "media anchor: PEM private key of anchor-dtls-cert"),
    OPT_BOOL("prometheus", 0, prometheus,
	     "serve Prometheus metrics over HTTP at /metrics (own thread, off by default)"),
    OPT_PORT("prometheus-port", 0, prometheus_port, "Prometheus metrics port (default 9641)"),
    OPT_LIST("prometheus-address", 0, CONFIG_IP, prometheus_address, 1, "<ip>",
	     "address the metrics listen on (default: every address)"),
    OPT_BOOL("web-admin", 0, web_admin,
	     "serve the admin HTTP interface (own thread, off by default; HTTPS with cert)"),
    OPT_LIST("web-admin-ip", 0, CONFIG_IP, web_admin_ip, 1, "<ip>",
	     "address the admin interface listens on (default 127.0.0.1)"),
    OPT_PORT("web-admin-port", 0, web_admin_port, "admin interface port"),
    OPT_BOOL("web-diagnostic", 0, web_diagnostic,
	     "serve the WebRTC diagnostic page /diagnostic to anyone (needs web-admin and "
	     "use-auth-secret; off by default)"),
};

_Static_assert(ARRAY_SIZE(config_options) == CONFIG_OPTION_COUNT,
	       "CONFIG_OPTION_COUNT in config_internal.h");

/* coturn options not implemented yet: refused by name, never ignored. */
const struct config_refused config_refused[] = {
    {"no-auth", 'z', "lt-cred-mech is always on"},
    {"psql-userdb", 'e', "use userdb (SQLite)"},
    {"sql-userdb", 0, "use userdb (SQLite)"},
    {"mysql-userdb", 'M', "use userdb (SQLite)"},
    {"mongo-userdb", 'J', "use userdb (SQLite)"},
    {"redis-statsdb", 'O', NULL},
    {"tcp-proxy-port", 0, NULL},
    {"aux-server", 0, NULL},
    {"udp-self-balance", 0, "it balances over aux-server, not implemented yet"},
    {"dh566", 0, NULL},
    {"dh1066", 0, NULL},
    {"dh2066", 0, NULL},
    {"no_dtls", 0, NULL},
    {"secret-key-file", 0,
     "coturn reads it as the AES key of an encrypted mysql-userdb password; there is no MySQL "
     "store here (REST API secrets go in static-auth-secret or the userdb)"},
    {"oauth", 0, NULL},
    {"sha256", 0, "SHA-256 message integrity is offered to clients that ask (RFC 8489)"},
    {"sha384", 0, NULL},
    {"sha512", 0, NULL},
    {"check-origin-consistency", 0, NULL},
    {"secure-stun", 0, "Binding is answered without authentication (no-stun turns it off)"},
    {"keep-address-family", 'K', "an Allocate gets the family it asks for, IPv4 without"},
    {"web-admin-listen-on-workers", 0,
     "the admin interface runs on a thread of its own, never on the relay workers"},
    {"prometheus-username-labels", 0,
     "no metric label takes a client-controlled value such as a username"},
    {"acme-redirect", 0, NULL},
    {"respond-http-unsupported", 0, NULL},
    {"server-relay", 0, NULL},
    {"ne", 0, NULL},
};

const size_t config_refused_count = ARRAY_SIZE(config_refused);

void config_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const struct config_option *config_find(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_options); i++)
		if (strcmp(config_options[i].name, name) == 0)
			return &config_options[i];
	return NULL;
}

const struct config_refused *config_find_refused(const char *name, char s)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_refused); i++) {
		const struct config_refused *r = &config_refused[i];

		if ((name && strcmp(r->name, name) == 0) || (!name && s && r->short_name == s))
			return r;
	}
	return NULL;
}

void config_err_refused(const struct config_refused *r, const char *where, char *err, size_t errlen)
{
	config_errf(err, errlen, "%soption '%s' is a coturn option not implemented yet%s%s", where,
		    r->name, r->hint ? "; " : "", r->hint ? r->hint : "");
}

bool config_takes_value(const struct config_option *opt)
{
	if (opt->kind == CONFIG_BOOL || opt->kind == CONFIG_VERBOSE || opt->kind == CONFIG_SWITCH)
		return false;
	return !(opt->kind == CONFIG_UINT && opt->bare);
}

/*
 * Offset of the first byte that is not valid UTF-8 or is a control
 * character other than tab; len if there is none.
 */
static size_t config_bad_byte(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char b = s[i];
		size_t n;
		uint32_t cp, min;

		if (b < 0x80) {
			if ((b < 0x20 && b != '\t') || b == 0x7f)
				return i;
			i++;
			continue;
		}
		if ((b & 0xe0) == 0xc0) {
			n = 1, cp = b & 0x1f, min = 0x80;
		} else if ((b & 0xf0) == 0xe0) {
			n = 2, cp = b & 0x0f, min = 0x800;
		} else if ((b & 0xf8) == 0xf0) {
			n = 3, cp = b & 0x07, min = 0x10000;
		} else {
			return i;
		}
		if (len - i <= n)
			return i;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return i;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return i;
		i += n + 1;
	}
	return len;
}

/* Number of UTF-8 characters in valid UTF-8 text. */
static size_t config_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

bool config_text_fits(const char *s)
{
	return config_utf8_chars(s) <= CONFIG_MAX_TEXT_CHARS;
}

static bool config_text_ok(const char *s)
{
	size_t len = strlen(s);

	return config_bad_byte(s, len) == len;
}

static int config_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "yes", "true", "on"};
	static const char *const no[] = {"0", "no", "false", "off"};

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Plain decimal digits only: no sign, no blanks, no trailing text. */
int config_parse_uint(const char *s, unsigned int min, unsigned int max, unsigned int *out)
{
	unsigned long long v;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

int config_parse_ip(const char *s, struct config_ip *ip)
{
	struct config_ip tmp;
	size_t len = strlen(s);

	if (len == 0 || len >= sizeof(tmp.text))
		return -1;
	memset(&tmp, 0, sizeof(tmp));
	memcpy(tmp.text, s, len + 1);
	if (inet_pton(AF_INET, s, &((struct sockaddr_in *)&tmp.addr)->sin_addr) == 1) {
		tmp.addr.ss_family = AF_INET;
		tmp.addr_len = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, s, &((struct sockaddr_in6 *)&tmp.addr)->sin6_addr) == 1) {
		tmp.addr.ss_family = AF_INET6;
		tmp.addr_len = sizeof(struct sockaddr_in6);
	} else {
		return -1;
	}
	*ip = tmp;
	return 0;
}

static bool config_ip_equal(const struct config_ip *a, const struct config_ip *b)
{
	return a->addr_len == b->addr_len && memcmp(&a->addr, &b->addr, a->addr_len) == 0;
}

static int config_add_ip(struct config_ip *list, size_t count, const char *name, const char *value,
			 char *err, size_t errlen)
{
	if (config_parse_ip(value, &list[count]) < 0) {
		config_errf(err, errlen, "bad value '%s' for %s (expected an IPv4 or IPv6 address)",
			    value, name);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (config_ip_equal(&list[i], &list[count])) {
			config_errf(err, errlen, "%s %s given twice", name, value);
			return -1;
		}
	}
	return 0;
}

static int config_add_external_ip(struct config_external_ip *list, size_t count, const char *name,
				  const char *value, char *err, size_t errlen)
{
	struct config_external_ip e;
	const char *slash = strchr(value, '/');
	char pub[INET6_ADDRSTRLEN];
	size_t len = slash ? (size_t)(slash - value) : strlen(value);

	memset(&e, 0, sizeof(e));
	if (len >= sizeof(pub))
		goto bad;
	memcpy(pub, value, len);
	pub[len] = '\0';
	if (config_parse_ip(pub, &e.public_ip) < 0)
		goto bad;
	if (slash) {
		if (config_parse_ip(slash + 1, &e.private_ip) < 0)
			goto bad;
		if (e.private_ip.addr.ss_family != e.public_ip.addr.ss_family) {
			config_errf(err, errlen,
				    "bad value '%s' for %s (public and private address families differ)",
				    value, name);
			return -1;
		}
		e.has_private = true;
	}
	for (size_t i = 0; i < count; i++) {
		if (config_ip_equal(&list[i].public_ip, &e.public_ip) &&
		    list[i].has_private == e.has_private &&
		    (!e.has_private || config_ip_equal(&list[i].private_ip, &e.private_ip))) {
			config_errf(err, errlen, "%s %s given twice", name, value);
			return -1;
		}
	}
	list[count] = e;
	return 0;
bad:
	config_errf(err, errlen, "bad value '%s' for %s (expected PUBLIC-IP or PUBLIC-IP/PRIVATE-IP)",
		    value, name);
	return -1;
}

int config_md5_key(const char *s, uint8_t key[16])
{
	static const char digits[] = "0123456789abcdef";

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (strlen(s) != CONFIG_MD5_KEY_HEX || strspn(s, "0123456789abcdefABCDEF") != strlen(s))
		return -1;
	for (int i = 0; i < CONFIG_MD5_KEY_HEX / 2; i++) {
		int hi = (int)(strchr(digits, tolower((unsigned char)s[2 * i])) - digits);
		int lo = (int)(strchr(digits, tolower((unsigned char)s[2 * i + 1])) - digits);

		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static bool config_is_hex_key(const char *s)
{
	uint8_t key[16];

	return strncmp(s, "0x", 2) == 0 && config_md5_key(s, key) == 0;
}

static int config_add_user(struct config_user *list, size_t count, const char *value, char *err,
			   size_t errlen)
{
	const char *colon = strchr(value, ':');
	struct config_user u = {0};
	size_t name_len;

	if (!colon || colon == value || colon[1] == '\0') {
		config_errf(err, errlen,
			    "bad value '%s' for user (expected name:password or "
			    "name:0xKEY)",
			    value);
		return -1;
	}
	name_len = (size_t)(colon - value);
	if (name_len > CONFIG_MAX_USERNAME_BYTES) {
		config_errf(err, errlen, "user name longer than %d bytes",
			    CONFIG_MAX_USERNAME_BYTES);
		return -1;
	}
	if (strncmp(colon + 1, "0x", 2) == 0) {
		if (!config_is_hex_key(colon + 1)) {
			config_errf(err, errlen,
				    "bad key for user '%.*s' (expected 0x and %d hex "
				    "digits)",
				    (int)name_len, value, CONFIG_MD5_KEY_HEX);
			return -1;
		}
		u.is_key = true;
	}
	for (size_t i = 0; i < count; i++) {
		if (strlen(list[i].name) == name_len &&
		    memcmp(list[i].name, value, name_len) == 0) {
			config_errf(err, errlen, "user '%.*s' given twice", (int)name_len, value);
			return -1;
		}
	}
	u.name = strndup(value, name_len);
	u.password = strdup(colon + 1);
	if (!u.name || !u.password)
		goto fail;
	list[count] = u;
	return 0;
fail:
	free(u.name);
	free(u.password);
	config_errf(err, errlen, "out of memory");
	return -1;
}

/* A list entry of a char * list: a copy of value. */
static int config_copy_str(char **slot, const char *value, char *err, size_t errlen)
{
	*slot = strdup(value);
	if (!*slot) {
		config_errf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}

/* A static-auth-secret: kept as given, never echoed in a message. */
static int config_add_secret(char **list, size_t count, const char *value, char *err,
			     size_t errlen)
{
	size_t len = strlen(value);

	if (len > CONFIG_MAX_SECRET_BYTES) {
		config_errf(err, errlen, "static-auth-secret longer than %d bytes",
			    CONFIG_MAX_SECRET_BYTES);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (strcmp(list[i], value) == 0) {
			config_errf(err, errlen, "static-auth-secret number %zu given twice",
				    count + 1);
			return -1;
		}
	}
	return config_copy_str(&list[count], value, err, errlen);
}

/* "IP", "IP:PORT", "[IPv6]:PORT"; without a port, the option's default. */
static int config_add_alternate(struct config_ip *list, size_t count, const char *name,
				const char *value, uint16_t default_port, char *err, size_t errlen)
{
	struct config_ip *ip = &list[count];
	size_t len = strlen(value);

	memset(ip, 0, sizeof(*ip));
	if (len >= sizeof(ip->text) || addr_parse(value, default_port, &ip->addr, &ip->addr_len) < 0 ||
	    addr_port((struct sockaddr *)&ip->addr) == 0) {
		config_errf(err, errlen,
			    "bad value '%s' for %s (expected IP, IP:PORT or [IPv6]:PORT)", value,
			    name);
		return -1;
	}
	memcpy(ip->text, value, len + 1);
	for (size_t i = 0; i < count; i++) {
		if (addr_equal((struct sockaddr *)&list[i].addr, (struct sockaddr *)&ip->addr)) {
			config_errf(err, errlen, "%s %s given twice", name, value);
			return -1;
		}
	}
	return 0;
}

/* Peer rules are parsed by the peer policy; refuse only what cannot be one. */
static int config_add_peer_rule(char **list, size_t count, const char *name, const char *value,
				char *err, size_t errlen)
{
	if (strspn(value, "0123456789abcdefABCDEF.:/-") != strlen(value) ||
	    !strpbrk(value, "0123456789")) {
		config_errf(err, errlen, "bad value '%s' for %s (expected IP, IP-IP or IP/len)",
			    value, name);
		return -1;
	}
	return config_copy_str(&list[count], value, err, errlen);
}

static int config_add(struct config *c, const struct config_option *opt, const char *value,
		      char *err, size_t errlen)
{
	char *base = (char *)c + opt->offset;
	size_t *count = (size_t *)((char *)c + opt->count_offset);
	int ret;

	if (*count >= opt->size) {
		config_errf(err, errlen, "too many %s entries (at most %zu)", opt->name, opt->size);
		return -1;
	}
	switch (opt->kind) {
	case CONFIG_IP:
		ret =
		    config_add_ip((struct config_ip *)base, *count, opt->name, value, err, errlen);
		break;
	case CONFIG_EXTERNAL_IP:
		ret = config_add_external_ip((struct config_external_ip *)base, *count, opt->name,
					     value, err, errlen);
		break;
	case CONFIG_USER:
		ret = config_add_user((struct config_user *)base, *count, value, err, errlen);
		break;
	case CONFIG_SECRET:
		ret = config_add_secret((char **)base, *count, value, err, errlen);
		break;
	case CONFIG_ALTERNATE:
		ret = config_add_alternate((struct config_ip *)base, *count, opt->name, value,
					   (uint16_t)opt->bare, err, errlen);
		break;
	default:
		ret = config_add_peer_rule((char **)base, *count, opt->name, value, err, errlen);
		break;
	}
	if (ret == 0)
		(*count)++;
	return ret;
}

/* Drop every entry of a repeatable option. */
void config_clear_list(struct config *c, const struct config_option *opt)
{
	char *base = (char *)c + opt->offset;
	size_t *count = (size_t *)((char *)c + opt->count_offset);

	for (size_t i = 0; i < *count; i++) {
		if (opt->kind == CONFIG_USER) {
			struct config_user *u = (struct config_user *)base + i;

			free(u->name);
			free(u->password);
			u->name = u->password = NULL;
		} else if (opt->kind == CONFIG_PEER_RULE || opt->kind == CONFIG_SECRET) {
			char **s = (char **)base + i;

			if (opt->kind == CONFIG_SECRET)
				explicit_bzero(*s, strlen(*s));
			free(*s);
			*s = NULL;
		}
	}
	*count = 0;
}

bool config_is_list(const struct config_option *opt)
{
	return opt->kind == CONFIG_IP || opt->kind == CONFIG_EXTERNAL_IP ||
	       opt->kind == CONFIG_USER || opt->kind == CONFIG_PEER_RULE ||
	       opt->kind == CONFIG_SECRET || opt->kind == CONFIG_ALTERNATE;
}

static int config_set_string(struct config *c, const struct config_option *opt, const char *value,
			     char *err, size_t errlen)
{
	void *field = (char *)c + opt->offset;
	size_t len = strlen(value);
	char *copy;

	if (opt->kind == CONFIG_TEXT && !config_text_fits(value)) {
		config_errf(err, errlen, "value for %s longer than %d characters", opt->name,
			    CONFIG_MAX_TEXT_CHARS);
		return -1;
	}
	if (opt->size) {
		if (len >= opt->size) {
			config_errf(err, errlen, "value for %s longer than %zu bytes", opt->name,
				    opt->size - 1);
			return -1;
		}
		memcpy(field, value, len + 1);
		return 0;
	}
	copy = strdup(value);
	if (!copy) {
		config_errf(err, errlen, "out of memory");
		return -1;
	}
	free(*(char **)field);
	*(char **)field = copy;
	return 0;
}

/* "IP:PORT" or "[IPv6]:PORT", the port required. */
static int config_set_addr(struct config_ip *ip, const char *name, const char *value, char *err,
			   size_t errlen)
{
	struct config_ip tmp;
	size_t len = strlen(value);

	memset(&tmp, 0, sizeof(tmp));
	if (len >= sizeof(tmp.text) || addr_parse(value, 0, &tmp.addr, &tmp.addr_len) < 0 ||
	    addr_port((struct sockaddr *)&tmp.addr) == 0) {
		config_errf(err, errlen, "bad value '%s' for %s (expected IP:PORT or [IPv6]:PORT)",
			    value, name);
		return -1;
	}
	memcpy(tmp.text, value, len + 1);
	*ip = tmp;
	return 0;
}

int config_apply(struct config *c, const struct config_option *opt, const char *value, char *err,
		 size_t errlen)
{
	void *field = (char *)c + opt->offset;
	unsigned int n;
	bool b;

	if (value && *value == '\0')
		value = NULL;
	if (!value && config_takes_value(opt)) {
		config_errf(err, errlen, "option '%s' needs a value", opt->name);
		return -1;
	}
	if (value && opt->kind != CONFIG_BOOL && opt->kind != CONFIG_VERBOSE &&
	    opt->kind != CONFIG_SWITCH && !config_text_ok(value)) {
		config_errf(err, errlen, "bad value for %s (control character or invalid UTF-8)",
			    opt->name);
		return -1;
	}

	switch (opt->kind) {
	case CONFIG_BOOL:
	case CONFIG_SWITCH:
	case CONFIG_VERBOSE:
		b = true;
		if (value && config_parse_bool(value, &b) < 0) {
			config_errf(err, errlen,
				    "bad value '%s' for %s (expected yes/no, "
				    "true/false, on/off or 1/0)",
				    value, opt->name);
			return -1;
		}
		if (opt->kind != CONFIG_VERBOSE)
			return config_apply_switch(c, opt, b, err, errlen);
		if (!b)
			c->verbose = 0;
		else if (c->verbose < (int)opt->min)
			c->verbose = (int)opt->min;
		return 0;
	case CONFIG_PORT:
	case CONFIG_UINT:
		if (!value) {
			n = opt->bare;
		} else if (config_parse_uint(value, opt->min, opt->max, &n) < 0) {
			config_errf(err, errlen, "bad value '%s' for %s (expected %u-%u)", value,
				    opt->name, opt->min, opt->max);
			return -1;
		}
		if (opt->kind == CONFIG_PORT)
			*(uint16_t *)field = (uint16_t)n;
		else
			*(unsigned int *)field = n;
		return 0;
	case CONFIG_PATH:
		/* coturn expands it in userdb; here "./~/..." would be made */
		if (value[0] == '~') {
			config_errf(err, errlen,
				    "bad value '%s' for %s (a leading '~' is not expanded: give the "
				    "full path)",
				    value, opt->name);
			return -1;
		}
		return config_set_string(c, opt, value, err, errlen);
	case CONFIG_TEXT:
	case CONFIG_STRING:
		return config_set_string(c, opt, value, err, errlen);
	case CONFIG_ADDR:
		return config_set_addr(field, opt->name, value, err, errlen);
	case CONFIG_IGNORED:
		return config_apply_ignored(c, opt, value, err, errlen);
	default:
		return config_add(c, opt, value, err, errlen);
	}
}

/* Message for a name that is not an option, in the place given by where. */
static void config_err_unknown(const char *key, const char *where, char *err, size_t errlen)
{
	const struct config_refused *r = config_find_refused(key, 0);

	if (r)
		config_err_refused(r, where, err, errlen);
	else if (strcmp(key, "c") == 0 || strcmp(key, "n") == 0)
		config_errf(err, errlen, "%soption '%s' is only valid on the command line", where,
			    key);
	else
		config_errf(err, errlen, "%sunknown option '%.64s'", where, key);
}

int config_set(struct config *c, const char *key, const char *value, char *err, size_t errlen)
{
	const struct config_option *opt = config_find(key);

	if (!opt) {
		config_err_unknown(key, "", err, errlen);
		return -1;
	}
	return config_apply(c, opt, value, err, errlen) < 0 ? -1 : 0;
}

int config_check(const struct config *c, char *err, size_t errlen)
{
	if (c->min_port > c->max_port) {
		config_errf(err, errlen, "min-port %u is above max-port %u", c->min_port,
			    c->max_port);
		return -1;
	}
	if (c->no_udp && c->no_tcp) {
		config_errf(err, errlen, "no-udp and no-tcp together leave nothing to listen on");
		return -1;
	}
	if (c->stun_only && c->no_stun) {
		config_errf(err, errlen, "stun-only and no-stun together leave nothing to serve");
		return -1;
	}
	/* coturn takes any one character; a digit would be read as part of EXPIRY */
	if (strlen(c->rest_api_separator) != 1 ||
	    (c->rest_api_separator[0] >= '0' && c->rest_api_separator[0] <= '9')) {
		config_errf(err, errlen,
			    "bad value '%s' for rest-api-separator (expected one character, not a "
			    "digit)",
			    c->rest_api_separator);
		return -1;
	}
	if (strcmp(c->kernel_offload, "auto") != 0 && strcmp(c->kernel_offload, "on") != 0 &&
	    strcmp(c->kernel_offload, "off") != 0) {
		config_errf(err, errlen, "bad value '%s' for kernel-offload (expected auto, on or off)",
			    c->kernel_offload);
		return -1;
	}
	if (c->fleet_ttl <= c->fleet_interval) {
		config_errf(err, errlen,
			    "fleet-ttl %u must be longer than fleet-interval %u (an entry would "
			    "expire before it is published again)",
			    c->fleet_ttl, c->fleet_interval);
		return -1;
	}
	if (!c->fleet && (c->fleet_address_count || c->fleet_interval != CONFIG_DEFAULT_FLEET_INTERVAL ||
			  c->fleet_ttl != CONFIG_DEFAULT_FLEET_TTL)) {
		config_errf(err, errlen, "%s is given but fleet is off",
			    c->fleet_address_count ? "fleet-address"
			    : c->fleet_interval != CONFIG_DEFAULT_FLEET_INTERVAL ? "fleet-interval"
										 : "fleet-ttl");
		return -1;
	}
	if (c->fleet && !c->redis_userdb[0]) {
		config_errf(err, errlen, "fleet needs redis-userdb: the fleet shares that Redis");
		return -1;
	}
	return config_check_compat(c, err, errlen);
}

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->listening_port = CONFIG_DEFAULT_LISTENING_PORT;
	c->tls_listening_port = CONFIG_DEFAULT_TLS_LISTENING_PORT;
	c->prometheus_port = CONFIG_DEFAULT_PROMETHEUS_PORT;
	c->web_admin_port = CONFIG_DEFAULT_WEB_ADMIN_PORT;
	c->min_port = CONFIG_DEFAULT_MIN_PORT;
	c->max_port = CONFIG_DEFAULT_MAX_PORT;
	c->lt_cred_mech = true;
	memcpy(c->userdb, CONFIG_DEFAULT_USERDB, sizeof(CONFIG_DEFAULT_USERDB));
	c->stale_nonce = CONFIG_DEFAULT_STALE_NONCE;
	c->max_allocate_lifetime = CONFIG_DEFAULT_MAX_ALLOCATE_LIFETIME;
	c->channel_lifetime = CONFIG_DEFAULT_CHANNEL_LIFETIME;
	c->permission_lifetime = CONFIG_DEFAULT_PERMISSION_LIFETIME;
	c->anchor_timeout = CONFIG_DEFAULT_ANCHOR_TIMEOUT;
	c->user_port_share = CONFIG_DEFAULT_USER_PORT_SHARE;
	c->ip_port_share = CONFIG_DEFAULT_IP_PORT_SHARE;
	c->max_tcp_connections = CONFIG_DEFAULT_MAX_TCP_CONNECTIONS;
	c->max_tcp_connections_per_ip = CONFIG_DEFAULT_MAX_TCP_CONNECTIONS_PER_IP;
	c->max_allocate_timeout = CONFIG_DEFAULT_MAX_ALLOCATE_TIMEOUT;
	c->fleet_interval = CONFIG_DEFAULT_FLEET_INTERVAL;
	c->fleet_ttl = CONFIG_DEFAULT_FLEET_TTL;
	c->anchor_max_sessions = CONFIG_DEFAULT_ANCHOR_MAX_SESSIONS;
	c->anchor_max_call_ports = CONFIG_DEFAULT_ANCHOR_MAX_CALL_PORTS;
	c->anchor_port_share = CONFIG_DEFAULT_ANCHOR_PORT_SHARE;
	c->anchor_latch_window = CONFIG_DEFAULT_ANCHOR_LATCH_WINDOW;
	c->anchor_ng_cache_time = CONFIG_DEFAULT_ANCHOR_NG_CACHE_TIME;
	c->unauth_ratelimit = true;
	c->unauth_req_limit = CONFIG_DEFAULT_401_REQ_LIMIT;
	c->unauth_window = CONFIG_DEFAULT_401_WINDOW;
	c->unauth_req_rate = CONFIG_DEFAULT_UNAUTH_REQ_RATE;
	c->max_unauth_connections_per_ip = CONFIG_DEFAULT_MAX_UNAUTH_CONNECTIONS_PER_IP;
	c->realm_options_refresh = CONFIG_DEFAULT_REALM_OPTIONS_REFRESH;
	memcpy(c->kernel_offload, "auto", sizeof("auto"));
	memcpy(c->log_format, "text", sizeof("text"));
	memcpy(c->rest_api_separator, ":", sizeof(":"));
	memcpy(c->software_name, CONFIG_DEFAULT_SOFTWARE_NAME,
	       sizeof(CONFIG_DEFAULT_SOFTWARE_NAME));
}

void config_free(struct config *c)
{
	for (size_t i = 0; i < ARRAY_SIZE(config_options); i++)
		if (config_is_list(&config_options[i]))
			config_clear_list(c, &config_options[i]);
	free(c->config_file);
	free(c->log_file);
	free(c->pidfile);
	free(c->anchor_dtls_cert);
	free(c->anchor_dtls_key);
	c->config_file = c->log_file = c->pidfile = NULL;
	c->anchor_dtls_cert = c->anchor_dtls_key = NULL;
	free(c->cert);
	free(c->pkey);
	if (c->pkey_pwd)
		explicit_bzero(c->pkey_pwd, strlen(c->pkey_pwd));
	free(c->pkey_pwd);
	free(c->cipher_list);
	free(c->ca_file);
	free(c->ec_curve_name);
	free(c->dh_file);
	c->cert = c->pkey = c->pkey_pwd = c->cipher_list = NULL;
	c->ca_file = c->ec_curve_name = c->dh_file = NULL;
}

static bool config_is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

/*
 * A value as coturn's config reader takes it: one that starts with '"'
 * loses that quote and a closing '"' at its end; quotes elsewhere stay, and
 * single quotes are not special. Where coturn's reading turns a slip into a
 * silently wrong value, this one refuses the line instead: an opening quote
 * without a closing one (coturn drops the lone quote), and, in an unquoted
 * value, a '#' at its start or after a blank (coturn keeps the would-be
 * comment in the value) or a ';' at its end (coturn only warns). Quoting
 * keeps both.
 */
static int config_file_value(char **value, char *msg, size_t msglen)
{
	char *v = *value;
	size_t len = strlen(v);
	const char *hash;

	if (v[0] == '"') {
		if (len < 2 || v[len - 1] != '"') {
			config_errf(msg, msglen,
				    "value starts with '\"' but does not end with one");
			return -1;
		}
		v[len - 1] = '\0';
		*value = v + 1;
		return 0;
	}
	hash = strchr(v, '#');
	while (hash && hash > v && !config_is_blank(hash[-1]))
		hash = strchr(hash + 1, '#');
	if (hash) {
		config_errf(msg, msglen,
			    "'#' after a value does not start a comment: put comments on lines "
			    "of their own, or quote the value (\"...\") to keep the '#'");
		return -1;
	}
	if (len && v[len - 1] == ';') {
		config_errf(msg, msglen,
			    "value ends with ';': options end at the end of the line (quote "
			    "the value, \"...;\", if the ';' belongs to it)");
		return -1;
	}
	return 0;
}

/* One line of a config file, without its '\n'; len counts its bytes. */
static int config_parse_line(struct config *c, char *line, size_t len, const char *path,
			     unsigned int lineno, char *err, size_t errlen)
{
	const struct config_option *opt;
	char msg[512];
	char *key, *value, *end;
	size_t bad;

	if (lineno == 1 && len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
		line += 3; /* UTF-8 byte order mark */
		len -= 3;
	}
	while (len && config_is_blank(line[len - 1]))
		line[--len] = '\0';
	bad = config_bad_byte(line, len);
	if (bad < len) {
		config_errf(err, errlen, "%s:%u: %s byte 0x%02x at column %zu", path, lineno,
			    line[bad] ? "invalid" : "NUL", (unsigned char)line[bad], bad + 1);
		return -1;
	}
	key = line + strspn(line, " \t");
	if (*key == '\0' || *key == '#')
		return 0;
	if (strncmp(key, "--", 2) == 0)
		key += 2;
	/* coturn: the key ends at the first blank or '=', the value starts after all of them */
	end = key + strcspn(key, "= \t");
	value = end + strspn(end, "= \t");
	*end = '\0';

	opt = config_find(key);
	if (!opt) {
		config_err_unknown(key, "", msg, sizeof(msg));
		config_errf(err, errlen, "%s:%u: %s", path, lineno, msg);
		return -1;
	}
	if (config_file_value(&value, msg, sizeof(msg)) < 0) {
		config_errf(err, errlen, "%s:%u: %s: %s", path, lineno, opt->name, msg);
		return -1;
	}
	if (config_apply(c, opt, *value ? value : NULL, msg, sizeof(msg)) < 0) {
		config_errf(err, errlen, "%s:%u: %s", path, lineno, msg);
		return -1;
	}
	return 0;
}

int config_read_file(struct config *c, const char *path, char *err, size_t errlen)
{
	char *line = NULL, *name;
	unsigned int lineno = 0;
	FILE *f;
	int ret = -1;

	f = fopen(path, "r");
	if (!f) {
		config_errf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	line = malloc(CONFIG_MAX_LINE + 1);
	name = strdup(path);
	if (!line || !name) {
		free(name);
		config_errf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	free(c->config_file);
	c->config_file = name;

	for (;;) {
		size_t len = 0;
		int ch;

		while ((ch = getc(f)) != EOF && ch != '\n') {
			if (len == CONFIG_MAX_LINE) {
				config_errf(err, errlen, "%s:%u: line longer than %d bytes", path,
					    lineno + 1, CONFIG_MAX_LINE);
				goto fail;
			}
			line[len++] = (char)ch;
		}
		if (ferror(f)) {
			config_errf(err, errlen, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (ch == EOF && len == 0)
			break;
		line[len] = '\0';
		if (config_parse_line(c, line, len, path, ++lineno, err, errlen) < 0)
			goto fail;
		if (ch == EOF)
			break;
	}
	ret = 0;
fail:
	free(line);
	fclose(f);
	return ret;
}

int config_load_file(struct config *c, const char *path, char *err, size_t errlen)
{
	char msg[256];

	if (config_read_file(c, path, err, errlen) < 0)
		return -1;
	if (config_check(c, msg, sizeof(msg)) < 0) {
		config_errf(err, errlen, "%s: %s", path, msg);
		return -1;
	}
	return 0;
}
