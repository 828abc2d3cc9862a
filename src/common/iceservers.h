/*
 * iceservers.h - the browser's iceServers JSON for one TURN server, as
 * printed by turnserver at start and by turnadmin --ice-servers.
 */
#ifndef COMMON_ICESERVERS_H
#define COMMON_ICESERVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Writes [{"urls":["stun:H:P","turn:H:P?transport=udp","turn:H:P?transport=tcp"],
 * "username":U,"credential":C}] (host in brackets when it is IPv6; the udp
 * and tcp URLs only when enabled; username/credential only when not NULL).
 * Returns the length, or -1 when it did not fit.
 */
int ice_servers_json(char *out, size_t cap, const char *host, uint16_t port, bool udp, bool tcp,
		     const char *username, const char *credential);
/* The same, with "turns:H:T?transport=tcp" after them when tls_port is not 0. */
int ice_servers_json_tls(char *out, size_t cap, const char *host, uint16_t port, bool udp,
			 bool tcp, uint16_t tls_port, const char *username, const char *credential);

#endif
