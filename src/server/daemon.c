/*
 * daemon.c - daemon (-o): the background process (see daemon.h).
 */
#include "server/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int ready_fd = -1; /* the daemon's end of the pipe to the waiting command */

/* The command: 0 once the daemon says it is ready, 1 when the pipe closes first. */
static int wait_ready(int fd)
{
	char c;
	ssize_t n;

	do
		n = read(fd, &c, 1);
	while (n < 0 && errno == EINTR);
	if (n == 1)
		return 0;
	fprintf(stderr, "turnserver: the daemon stopped before it was ready (see its log)\n");
	return 1;
}

int daemon_start(void)
{
	int pipefd[2];
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	if (pid > 0) {
		close(pipefd[1]);
		waitpid(pid, NULL, 0); /* the middle process, gone at once */
		_exit(wait_ready(pipefd[0]));
	}
	close(pipefd[0]);
	if (setsid() < 0)
		_exit(1);
	pid = fork();
	if (pid < 0)
		_exit(1);
	if (pid > 0)
		_exit(0);
	ready_fd = pipefd[1];
	return 0;
}

void daemon_ready(void)
{
	int fd;

	if (ready_fd < 0)
		return;
	fflush(stdout);
	fflush(stderr);
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	if (write(ready_fd, "r", 1) < 0)
		(void)0; /* the command is gone: nobody waits */
	close(ready_fd);
	ready_fd = -1;
}
