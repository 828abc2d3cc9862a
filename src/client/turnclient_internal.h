/*
 * turnclient_internal.h - what turnclient.c (the connection),
 * turnclient_txn.c (transactions) and turnclient_build.c (requests)
 * share; not for the tools.
 */
#ifndef CLIENT_TURNCLIENT_INTERNAL_H
#define CLIENT_TURNCLIENT_INTERNAL_H

#include "client/turnclient.h"

/*
 * q with transaction ID tid into buf, with the credentials its auth mode
 * and the connection's state give: the length, 0 when it does not fit.
 */
size_t turnc_build_tid(struct turnc *c, const struct turnc_req *q, const uint8_t tid[STUN_TID_LEN],
		       uint8_t *buf, size_t cap);
/* A response from the server; true when it finished the pending transaction. */
bool turnc_txn_on_response(struct turnc *c, const struct stun_msg *m, uint64_t now_us);
/* End the pending transaction with an outcome code. */
void turnc_txn_finish(struct turnc *c, int result);

#endif
