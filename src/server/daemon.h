/*
 * daemon.h - coturn's daemon (-o): turnserver forks into the background.
 * The command returns once the server is ready (status 0) or has failed
 * to start (status 1), so that a service manager of Type=forking, or a
 * script, knows which; its stdout and stderr stay the terminal's until
 * then (the first-run password and errors are seen), /dev/null after.
 */
#ifndef SERVER_DAEMON_H
#define SERVER_DAEMON_H

/*
 * Double fork with setsid() in between: returns in the daemon (no session
 * leader, so it can never take a terminal); the command's own process
 * waits for daemon_ready() and exits 0, or 1 when the daemon ended first.
 * The working directory stays, so relative paths of the configuration
 * keep their meaning. Call before any thread starts. -1 when fork fails.
 */
int daemon_start(void);

/* In the daemon: stdin, stdout and stderr to /dev/null; the command exits 0. */
void daemon_ready(void);

#endif /* SERVER_DAEMON_H */
