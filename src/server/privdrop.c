/*
 * privdrop.c - proc-user and proc-group (see privdrop.h).
 *
 * glibc's setresuid() and setresgid() change every thread of the process.
 * Capabilities are per thread: the main thread keeps its own across the
 * change of user with PR_SET_KEEPCAPS (prctl(2)), trims them with capset(2)
 * and raises the kept ones as ambient (capabilities(7)); worker threads
 * started after that inherit them, threads that already run (the Redis
 * store's) lose all of theirs with their root uid.
 */
#include "server/privdrop.h"

#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A uid or gid written as a number: 0, or -1 when text is no number. */
static int parse_id(const char *text, unsigned long *id)
{
	char *end;

	if (text[0] < '0' || text[0] > '9')
		return -1;
	errno = 0;
	*id = strtoul(text, &end, 10);
	if (errno || *end || *id >= (unsigned long)(uid_t)-1)
		return -1;
	return 0;
}

static int resolve_user(const struct config *c, struct privdrop *p, char *err, size_t errlen)
{
	const struct passwd *pw = getpwnam(c->proc_user);
	unsigned long id;

	if (pw) {
		p->uid = pw->pw_uid;
		p->gid = pw->pw_gid;
	} else if (parse_id(c->proc_user, &id) == 0) {
		p->uid = (uid_t)id;
		pw = getpwuid(p->uid);
		if (!pw && !c->proc_group[0]) {
			snprintf(err, errlen,
				 "proc-user %s: no such user in the passwd database, so no group "
				 "to take: set proc-group too",
				 c->proc_user);
			return -1;
		}
		if (pw)
			p->gid = pw->pw_gid;
	} else {
		snprintf(err, errlen, "proc-user %s: no such user", c->proc_user);
		return -1;
	}
	p->set_user = p->set_group = true;
	snprintf(p->user, sizeof(p->user), "%s", c->proc_user);
	return 0;
}

static int resolve_group(const struct config *c, struct privdrop *p, char *err, size_t errlen)
{
	const struct group *gr = getgrnam(c->proc_group);
	unsigned long id;

	if (gr) {
		p->gid = gr->gr_gid;
	} else if (parse_id(c->proc_group, &id) == 0) {
		p->gid = (gid_t)id;
	} else {
		snprintf(err, errlen, "proc-group %s: no such group", c->proc_group);
		return -1;
	}
	p->set_group = true;
	return 0;
}

int privdrop_resolve(const struct config *c, struct privdrop *p, char *err, size_t errlen)
{
	struct privdrop r = {0};

	if (c->proc_user[0] && resolve_user(c, &r, err, errlen) < 0)
		return -1;
	if (c->proc_group[0] && resolve_group(c, &r, err, errlen) < 0)
		return -1;
	if (!r.set_group) {
		*p = r;
		return 0;
	}
	if (geteuid() != 0) {
		/* already that user and group (a service manager's User= and Group=) */
		if ((!r.set_user || (getuid() == r.uid && geteuid() == r.uid)) &&
		    getgid() == r.gid && getegid() == r.gid) {
			r.set_user = r.set_group = false;
			*p = r;
			return 0;
		}
		snprintf(err, errlen,
			 "%s: turnserver runs as uid %lu, not root, and cannot change its user or "
			 "group: start it as root, or leave proc-user and proc-group out",
			 c->proc_user[0] ? "proc-user" : "proc-group", (unsigned long)geteuid());
		return -1;
	}
	*p = r;
	return 0;
}

/* capset(2) of the calling thread: permitted, effective and inheritable = caps. */
static int set_caps(uint64_t caps)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	for (int i = 0; i < _LINUX_CAPABILITY_U32S_3; i++) {
		data[i].permitted = (uint32_t)(caps >> (32 * i));
		data[i].effective = data[i].permitted;
		data[i].inheritable = data[i].permitted;
	}
	return (int)syscall(SYS_capset, &hdr, data);
}

static int raise_ambient(uint64_t caps)
{
	for (unsigned int cap = 0; cap < 64; cap++)
		if ((caps >> cap & 1) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap, 0, 0) < 0)
			return -1;
	return 0;
}

int privdrop_apply(const struct privdrop *p, uint64_t keep_caps, char *err, size_t errlen)
{
	const char *step;

	if (!p->set_group)
		return 0;
	step = "PR_SET_KEEPCAPS";
	if (p->set_user && keep_caps && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		goto fail;
	step = "setgroups";
	if (setgroups(1, &p->gid) < 0)
		goto fail;
	step = "setresgid";
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		goto fail;
	if (!p->set_user)
		return 0; /* proc-group alone: still root, as coturn does */
	step = "setresuid";
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		goto fail;
	step = "capset";
	if (set_caps(keep_caps) < 0)
		goto fail;
	step = "PR_CAP_AMBIENT";
	if (raise_ambient(keep_caps) < 0)
		goto fail;
	step = "PR_SET_KEEPCAPS";
	if (keep_caps && prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		goto fail;
	/* the change is for good: root cannot come back */
	if (p->uid != 0 && (setresuid((uid_t)-1, 0, (uid_t)-1) == 0 || geteuid() == 0)) {
		snprintf(err, errlen, "proc-user %s: root could be regained after the change",
			 p->user);
		return -1;
	}
	return 0;
fail:
	snprintf(err, errlen, "cannot become %s%s (uid %lu, gid %lu): %s: %s",
		 p->set_user ? "user " : "group", p->set_user ? p->user : "", (unsigned long)p->uid,
		 (unsigned long)p->gid, step, strerror(errno));
	return -1;
}
