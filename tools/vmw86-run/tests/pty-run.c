// SPDX-License-Identifier: GPL-2.0
/*
 * pty-run: runs a command on a new pseudo-terminal, as its controlling
 * terminal, for vmw86_run_tty (the test machine has busybox, which has no
 * script(1)). Runs in the test machine (static).
 *
 *   pty-run [-t SECONDS] COMMAND [ARG]...
 *	COMMAND's standard input, output and error are the terminal, in
 *	its own session. What it writes there is copied to pty-run's
 *	standard output, what pty-run reads on its standard input is
 *	typed on the terminal (until end of file, which types nothing).
 *	Exits with COMMAND's exit status, 128 + N when signal N ended it,
 *	or 124 when -t SECONDS passed first (then COMMAND's process group
 *	is killed).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

static void fail(const char *what)
{
	fprintf(stderr, "pty-run: %s: %s\n", what, strerror(errno));
	exit(125);
}

/* All of @len bytes of @buf to @fd; false when @fd is gone. */
static bool write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		buf += n;
		len -= n;
	}
	return true;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* What the child does: the terminal's side, then COMMAND. */
static void child(const char *slave_name, int master, char **argv)
{
	int fd;

	close(master);
	if (setsid() < 0)
		fail("setsid");
	fd = open(slave_name, O_RDWR);
	if (fd < 0)
		fail(slave_name);
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		fail("TIOCSCTTY");
	if (dup2(fd, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		fail("dup2");
	if (fd > 2)
		close(fd);
	execvp(argv[0], argv);
	fprintf(stderr, "pty-run: %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

int main(int argc, char **argv)
{
	double timeout = 0, deadline = 0;
	bool input_open = true, exited = false;
	struct pollfd pfd[2];
	char buf[4096], *slave_name;
	int master, status = 0, opt;
	pid_t pid;
	ssize_t n;

	while ((opt = getopt(argc, argv, "+t:")) != -1) {
		if (opt != 't')
			goto usage;
		timeout = atof(optarg);
	}
	if (optind == argc)
		goto usage;

	master = posix_openpt(O_RDWR | O_NOCTTY);
	if (master < 0)
		fail("posix_openpt");
	if (grantpt(master) || unlockpt(master))
		fail("grantpt/unlockpt");
	slave_name = ptsname(master);
	if (!slave_name)
		fail("ptsname");
	pid = fork();
	if (pid < 0)
		fail("fork");
	if (pid == 0)
		child(slave_name, master, argv + optind);
	if (timeout > 0)
		deadline = now() + timeout;

	/*
	 * Copy until COMMAND has ended and nothing more comes: read()
	 * fails with EIO once no process has the terminal open, or, should
	 * one of its children keep it open, after half a second of silence.
	 */
	for (;;) {
		int nfds = 1, wait_ms = 100;

		pfd[0] = (struct pollfd){ .fd = master, .events = POLLIN };
		if (input_open && !exited)
			pfd[nfds++] = (struct pollfd){ .fd = 0, .events = POLLIN };
		if (exited)
			wait_ms = 500;
		n = poll(pfd, nfds, wait_ms);
		if (n < 0 && errno != EINTR)
			fail("poll");
		if (n > 0 && pfd[0].revents) {
			n = read(master, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				if (exited)
					break;
				/* No slave open right now: wait for the child. */
				usleep(10000);
			} else if (!write_all(1, buf, n)) {
				fail("standard output");
			}
		} else if (n == 0 && exited) {
			break;
		}
		if (nfds == 2 && pfd[1].revents) {
			n = read(0, buf, sizeof(buf));
			if (n > 0)
				write_all(master, buf, n);
			else if (n == 0 || errno != EINTR)
				input_open = false;
		}
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		if (!exited && deadline && now() > deadline) {
			fprintf(stderr, "pty-run: %s still running after %g s: killed\n",
				argv[optind], timeout);
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 124;
		}
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);

usage:
	fputs("usage: pty-run [-t SECONDS] COMMAND [ARG]...\n", stderr);
	return 125;
}
