/*
 * fuzz_config.c - libFuzzer harness for the configuration parsers: the
 * bytes as a turnserver.conf file (config_load_file, through a memfd), and
 * the same bytes split at NUL bytes as a command line (config_parse_args).
 * Either may fail; neither may crash, leak or read out of bounds.
 * (-c is turned into -n in the command line: see fuzz_args().)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/config.h"

#define MAX_ARGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_file(const uint8_t *data, size_t size)
{
	static int fd = -1;
	char path[64], err[512];
	struct config c;

	if (fd < 0)
		fd = memfd_create("fuzz_config", 0);
	if (fd < 0 || ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	config_init(&c);
	config_load_file(&c, path, err, sizeof(err));
	config_free(&c);
}

static void fuzz_args(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1), *argv[MAX_ARGS + 2], err[512];
	struct config c;
	int argc = 1;

	if (!copy)
		return;
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv[0] = "turnserver";
	for (size_t i = 0; i < size && argc <= MAX_ARGS; i += strlen(copy + i) + 1)
		argv[argc++] = copy + i;
	argv[argc] = NULL;
	/*
	 * No -c: it would read whatever path the input names (a FIFO or
	 * /dev/stdin could block); fuzz_file() covers the file parser.
	 */
	for (int k = 1; k < argc; k++)
		if (argv[k][0] == '-' && argv[k][1] != '-')
			for (char *p = argv[k]; *p; p++)
				if (*p == 'c')
					*p = 'n';
	config_init(&c);
	config_parse_args(&c, argc, argv, err, sizeof(err));
	config_free(&c);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_file(data, size);
	fuzz_args(data, size);
	return 0;
}
