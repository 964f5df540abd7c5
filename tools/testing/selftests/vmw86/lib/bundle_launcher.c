// SPDX-License-Identifier: GPL-2.0
/*
 * A static launcher for a dynamically linked test (see mkbundle.sh): write
 * the embedded program, its loader and its shared objects to a temporary
 * directory, run the program through that loader with the directory as
 * its library path, clean up, and exit with the program's status. The
 * program keeps its fixed non-PIE addresses, which the library's image
 * copy relies on.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct bundle_file {
	const char *name;
	const char *start;
	const char *end;
	uint64_t mode;
};

extern const struct bundle_file bundle_table[];

static char dir[] = "/tmp/vmw86-bundle-XXXXXX";

static void cleanup(void)
{
	char path[256];

	for (const struct bundle_file *f = bundle_table; f->name; f++) {
		snprintf(path, sizeof(path), "%s/%s", dir, f->name);
		unlink(path);
	}
	rmdir(dir);
}

static const char *unpack(const struct bundle_file *f)
{
	static char path[256];
	const char *p = f->start;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, f->name);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, f->mode);
	if (fd < 0)
		return NULL;
	while (p < f->end) {
		ssize_t n = write(fd, p, f->end - p);

		if (n <= 0) {
			close(fd);
			return NULL;
		}
		p += n;
	}
	close(fd);
	return path;
}

int main(int argc, char **argv)
{
	char loader[256] = "", prog[256] = "";
	char **args = calloc(argc + 4, sizeof(*args));
	int status;
	pid_t pid;

	if (!args || !mkdtemp(dir)) {
		fprintf(stderr, "# bundle: cannot create %s: %s\n", dir,
			strerror(errno));
		return 1;
	}
	for (const struct bundle_file *f = bundle_table; f->name; f++) {
		const char *path = unpack(f);

		if (!path) {
			fprintf(stderr, "# bundle: cannot write %s: %s\n",
				f->name, strerror(errno));
			cleanup();
			return 1;
		}
		if (f == bundle_table)
			snprintf(prog, sizeof(prog), "%s", path);
		else if (!strncmp(f->name, "ld-linux", 8))
			snprintf(loader, sizeof(loader), "%s", path);
	}
	if (!loader[0]) {
		fprintf(stderr, "# bundle: no dynamic loader embedded\n");
		cleanup();
		return 1;
	}

	args[0] = loader;
	args[1] = "--library-path";
	args[2] = dir;
	args[3] = prog;
	for (int i = 1; i < argc; i++)
		args[3 + i] = argv[i];

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		execv(loader, args);
		fprintf(stderr, "# bundle: exec %s: %s\n", loader,
			strerror(errno));
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		cleanup();
		return 1;
	}
	cleanup();
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
