/*
 * version.c - --version for every program (see version.h).
 */
#include <stdio.h>
#include <string.h>

#include "common/version.h"

bool version_requested(int argc, char *const argv[])
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--version") == 0)
			return true;
	return false;
}

int version_print(const char *prog)
{
	printf("%s %s\n", prog, TURN_VERSION);
	return fflush(stdout) == 0 ? 0 : 1;
}
