/*
 * sdnotify.h - systemd's service notification protocol (sd_notify(3)),
 * written by hand so that no libsystemd is linked: a unit of Type=notify
 * sets NOTIFY_SOCKET to a Unix datagram socket, and the service sends it
 * newline-separated VAR=VALUE assignments ("READY=1", "RELOADING=1",
 * "STOPPING=1", "STATUS=text"). Without NOTIFY_SOCKET nothing is sent.
 */
#ifndef COMMON_SDNOTIFY_H
#define COMMON_SDNOTIFY_H

/*
 * Sends state as one datagram to $NOTIFY_SOCKET: an absolute path, or an
 * abstract socket name after '@'. Returns 1 when sent, 0 when NOTIFY_SOCKET
 * is unset or empty, -1 (errno set) when it names no usable socket
 * (relative, too long) or the send fails. Thread-safe; never blocks.
 */
int sdnotify(const char *state);

#endif /* COMMON_SDNOTIFY_H */
