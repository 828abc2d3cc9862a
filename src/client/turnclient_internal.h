/*
 * turnclient_internal.h - what turnclient.c (the connection) and
 * turnclient_txn.c (transactions) share; not for the tools.
 */
#ifndef CLIENT_TURNCLIENT_INTERNAL_H
#define CLIENT_TURNCLIENT_INTERNAL_H

#include "client/turnclient.h"

/* Write a whole request or data message to the server: 0 or -errno. */
int turnc_send_bytes(struct turnc *c, const uint8_t *buf, size_t len);
/* A response from the server; true when it finished the pending transaction. */
bool turnc_txn_on_response(struct turnc *c, const struct stun_msg *m, uint64_t now_us);
/* End the pending transaction with an outcome code. */
void turnc_txn_finish(struct turnc *c, int result);

#endif
