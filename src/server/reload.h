/*
 * reload.h - SIGHUP: the configuration read again, as at startup (the
 * same command line, its config file, the user store's realm options and
 * peer ranges), and what a running server can take of it applied without
 * dropping an allocation or an anchored call: user= lines, static secrets,
 * quotas and caps, the peer policy, the alternate servers, the log
 * destination and level. Every other option that changed is named and
 * keeps its running value until a restart. A configuration that does not
 * load (FILE:LINE: why), a peer range or a user key that does not build,
 * or a log destination that does not open leaves everything as it was.
 *
 * Validate first, commit last: everything new is built on the main
 * thread; then the workers are held in their event loops (a one-shot
 * event each, outside any lock) and the other readers (the anchor) by the
 * hooks, the values are swapped in, and all go on. Nothing on the data
 * path takes a lock for this.
 */
#ifndef SERVER_RELOAD_H
#define SERVER_RELOAD_H

struct server;

/* Holding the readers that are not workers (main.c: the anchor's lock). */
struct reload_hooks {
	void (*hold)(void *arg);
	void (*release)(void *arg);
	void *arg;
};

/*
 * After SIGHUP, on the main thread while the workers run: argv as main()
 * got it. 0 when the configuration was read (applied, or nothing to apply),
 * -1 when the running one stays (logged with the reason).
 */
int reload_config(struct server *srv, int argc, char **argv, const struct reload_hooks *hooks);

#endif /* SERVER_RELOAD_H */
