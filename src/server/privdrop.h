/*
 * privdrop.h - proc-user and proc-group (coturn's): a turnserver started
 * as root binds its listeners and opens its log, pid file and user store,
 * then becomes that user and group for good, keeping only the
 * capabilities its later work needs.
 */
#ifndef SERVER_PRIVDROP_H
#define SERVER_PRIVDROP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/config.h"

struct privdrop {
	bool set_user;	/* proc-user given */
	bool set_group; /* proc-user or proc-group given */
	uid_t uid;
	gid_t gid;
	char user[64]; /* for the log line: the name, or the uid as given */
};

/*
 * Looks proc-user and proc-group up (names, or numbers) before anything is
 * bound, so that a typo stops startup at once. 0, or -1 with the reason in
 * err (an unknown name; a process that is not root and is not already that
 * user and group).
 */
int privdrop_resolve(const struct config *c, struct privdrop *p, char *err, size_t errlen);

/*
 * Becomes p's user and group in every thread (supplementary groups: only
 * the group), keeping the capabilities of keep_caps (a mask of CAP_* bits)
 * permitted, effective, inheritable and ambient, and no others; checks
 * that root cannot be regained. Call before the threads that need
 * keep_caps start: they inherit the main thread's capabilities. 0, or -1
 * with the reason in err.
 */
int privdrop_apply(const struct privdrop *p, uint64_t keep_caps, char *err, size_t errlen);

#endif /* SERVER_PRIVDROP_H */
