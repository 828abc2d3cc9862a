/*
 * version.h - the one version of turnserver, turnadmin and the turnutils
 * tools (the turnrelay kernel module carries its own, kernel/table.h).
 * Each program prints it for --version: "PROGRAM VERSION" on stdout,
 * status 0, as coturn's turnserver does for --version (coturn's -v is
 * verbose, and stays so here).
 */
#ifndef COMMON_VERSION_H
#define COMMON_VERSION_H

#include <stdbool.h>

#define TURN_VERSION "1.0.0"

/* Is "--version" among the arguments (before a "--")? */
bool version_requested(int argc, char *const argv[]);

/* Prints "prog TURN_VERSION\n" on stdout; returns the exit status. */
int version_print(const char *prog);

#endif
