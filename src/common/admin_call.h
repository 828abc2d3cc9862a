/*
 * admin_call.h - one anchored call as the admin interface shows it. The
 * anchor fills it (anchor_admin_calls()), the interface writes it
 * (src/server/webadmin_pages.c); this header is what the two share.
 */
#ifndef COMMON_ADMIN_CALL_H
#define COMMON_ADMIN_CALL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/addr.h"

#define ADMIN_CALL_ID_MAX 128 /* shown; longer Call-IDs are cut */
#define ADMIN_TAG_MAX 64

struct admin_call {
	char call_id[ADMIN_CALL_ID_MAX + 1]; /* raw (escaped where it is written) */
	bool call_id_cut;		      /* longer than ADMIN_CALL_ID_MAX */
	uint64_t age_s;
	unsigned int streams;	/* m= streams */
	unsigned int confirmed; /* of them, media flowing both ways */
	bool kernel;		/* a stream forwarded by the kernel */
	uint64_t packets, bytes;
	struct {
		char tag[ADMIN_TAG_MAX + 1];
		char ice[32];		  /* ICE state of its first ICE stream, or "none" */
		union sockaddr_u endpoint; /* where its media comes from; AF_UNSPEC: not known */
		const char *endpoint_by;   /* "ICE", "latched", "SDP" (the SDP's word only) or "" */
	} leg[2];
};

#endif /* COMMON_ADMIN_CALL_H */
