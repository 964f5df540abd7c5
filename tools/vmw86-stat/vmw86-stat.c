// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86-stat: the counters of a running vmw86 VMM, like kvm_stat.
 *
 *   vmw86-stat [--once] [--json] [-i SECS] PID
 *
 * It finds the statistics fds (VMW86_GET_STATS_FD) the process keeps open
 * (vmw86-run keeps one per VM and one per vCPU): their /proc/PID/fd links
 * read "anon_inode:vmw86-stats". It takes copies of them with
 * pidfd_getfd(2), which needs the right to ptrace the process (its owner
 * or root), and reads them in the binary format of
 * Documentation/virt/vmw86/api.rst ("Statistics"). A VM or vCPU fd would
 * not do: vmw86 answers another process's ioctls with EIO.
 *
 * Without options it refreshes a table every interval (1 s), busiest
 * first, with rates, until interrupted. --once prints one table, with the
 * rates over one interval; --json prints the same as one JSON object,
 * for scripts.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/vmw86.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438
#endif

#define MAX_FILES	(1 + 64)	/* a VM and its vCPUs; more VMs: more */
#define MAX_STATS	512
#define DESC_SIZE	(sizeof(struct vmw86_stats_desc) + VMW86_STATS_NAME_SIZE)

struct stats_file {
	int fd;
	char id[VMW86_STATS_NAME_SIZE];
	struct vmw86_stats_header hdr;
	unsigned int n;
	char (*names)[VMW86_STATS_NAME_SIZE];
	uint32_t *flags;
	uint32_t *offset;
	uint64_t *now, *prev;
};

static struct stats_file files[MAX_FILES * 4];
static unsigned int nr_files;
static volatile sig_atomic_t stop;

static void on_sigint(int sig)
{
	(void)sig;
	stop = 1;
}

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("vmw86-stat: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static bool read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len;
}

/* Take in one statistics fd: header, id and descriptors. */
static bool load(struct stats_file *f, int fd)
{
	uint8_t *raw;

	f->fd = fd;
	if (!read_at(fd, &f->hdr, sizeof(f->hdr), 0) ||
	    f->hdr.name_size != VMW86_STATS_NAME_SIZE ||
	    !f->hdr.num_desc || f->hdr.num_desc > MAX_STATS ||
	    !read_at(fd, f->id, sizeof(f->id), f->hdr.id_offset))
		return false;
	f->id[sizeof(f->id) - 1] = 0;
	f->n = f->hdr.num_desc;
	raw = calloc(f->n, DESC_SIZE);
	f->names = calloc(f->n, sizeof(*f->names));
	f->flags = calloc(f->n, sizeof(*f->flags));
	f->offset = calloc(f->n, sizeof(*f->offset));
	f->now = calloc(f->n, sizeof(*f->now));
	f->prev = calloc(f->n, sizeof(*f->prev));
	if (!raw || !f->names || !f->flags || !f->offset || !f->now || !f->prev)
		die("out of memory");
	if (!read_at(fd, raw, f->n * DESC_SIZE, f->hdr.desc_offset))
		return false;
	for (unsigned int i = 0; i < f->n; i++) {
		struct vmw86_stats_desc *d = (void *)(raw + i * DESC_SIZE);

		memcpy(f->names[i], d->name, VMW86_STATS_NAME_SIZE);
		f->names[i][VMW86_STATS_NAME_SIZE - 1] = 0;
		f->flags[i] = d->flags;
		f->offset[i] = d->offset;
	}
	free(raw);
	return true;
}

/* The statistics fds of @pid, copied into this process. */
static void find_files(pid_t pid)
{
	char path[64], link[128], fpath[320];
	struct dirent *e;
	int pidfd;
	DIR *dir;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0)
		die("pidfd_open(%d): %s", pid, strerror(errno));
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		die("%s: %s", path, strerror(errno));
	while ((e = readdir(dir)) && nr_files < sizeof(files) / sizeof(files[0])) {
		ssize_t len;
		int fd;

		snprintf(fpath, sizeof(fpath), "%s/%s", path, e->d_name);
		len = readlink(fpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (strcmp(link, "anon_inode:vmw86-stats"))
			continue;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0)
			die("pidfd_getfd(%d, %s): %s", pid, e->d_name,
			    strerror(errno));
		if (load(&files[nr_files], fd))
			nr_files++;
		else
			close(fd);
	}
	closedir(dir);
	close(pidfd);
	if (!nr_files)
		die("process %d has no vmw86 statistics fd open", pid);
}

static void sample(void)
{
	for (unsigned int i = 0; i < nr_files; i++) {
		struct stats_file *f = &files[i];

		memcpy(f->prev, f->now, f->n * sizeof(*f->now));
		for (unsigned int j = 0; j < f->n; j++)
			if (!read_at(f->fd, &f->now[j], sizeof(f->now[j]),
				     f->hdr.data_offset + f->offset[j]))
				die("%s: read: %s", f->id, strerror(errno));
	}
}

static bool is_vm(const struct stats_file *f)
{
	return !strchr(f->id, '/');
}

static bool cumulative(uint32_t flags)
{
	return (flags & VMW86_STATS_TYPE_MASK) == VMW86_STATS_TYPE_CUMULATIVE;
}

struct row {
	const char *name;
	uint64_t value;
	double rate;
};

static int by_rate(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->rate != y->rate)
		return x->rate < y->rate ? 1 : -1;
	if (x->value != y->value)
		return x->value < y->value ? 1 : -1;
	return strcmp(x->name, y->name);
}

/* One VM's table: its non-zero statistics, busiest first. */
static void print_table(const struct stats_file *vm, double secs,
			unsigned int max_rows)
{
	struct row rows[MAX_STATS];
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->n; i++) {
		if (!vm->now[i])
			continue;
		rows[n].name = vm->names[i];
		rows[n].value = vm->now[i];
		rows[n].rate = cumulative(vm->flags[i]) && secs > 0 ?
			       (vm->now[i] - vm->prev[i]) / secs : 0;
		n++;
	}
	qsort(rows, n, sizeof(rows[0]), by_rate);
	printf("%-32s %20s %14s\n", vm->id, "total", "per second");
	for (unsigned int i = 0; i < n && i < max_rows; i++)
		printf("  %-30s %20llu %14.1f\n", rows[i].name,
		       (unsigned long long)rows[i].value, rows[i].rate);
	/* The vCPUs of this VM: where their exits went. */
	for (unsigned int j = 0; j < nr_files; j++) {
		const struct stats_file *f = &files[j];
		size_t len = strlen(vm->id);

		if (is_vm(f) || strncmp(f->id, vm->id, len) || f->id[len] != '/')
			continue;
		for (unsigned int i = 0; i < f->n; i++)
			if (!strcmp(f->names[i], "exits"))
				printf("  %-30s %20llu %14.1f\n", f->id + len + 1,
				       (unsigned long long)f->now[i],
				       secs > 0 ? (f->now[i] - f->prev[i]) / secs : 0);
	}
	printf("\n");
}

/* One fd's object, left open: the caller may add members and closes it. */
static void print_json_file(const struct stats_file *f, double secs)
{
	printf("{\"id\": \"%s\", \"stats\": {", f->id);
	for (unsigned int i = 0; i < f->n; i++)
		printf("%s\"%s\": %llu", i ? ", " : "", f->names[i],
		       (unsigned long long)f->now[i]);
	printf("}, \"rates\": {");
	for (unsigned int i = 0, k = 0; i < f->n; i++) {
		if (!cumulative(f->flags[i]))
			continue;
		printf("%s\"%s\": %.3f", k++ ? ", " : "", f->names[i],
		       secs > 0 ? (f->now[i] - f->prev[i]) / secs : 0.0);
	}
	printf("}");
}

static void print_json(pid_t pid, double secs)
{
	bool first = true;

	printf("{\"pid\": %d, \"interval\": %.3f, \"vms\": [", pid, secs);
	for (unsigned int i = 0; i < nr_files; i++) {
		const struct stats_file *vm = &files[i];
		size_t len = strlen(vm->id);
		bool first_vcpu = true;

		if (!is_vm(vm))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		print_json_file(vm, secs);
		printf(", \"vcpus\": [");
		for (unsigned int j = 0; j < nr_files; j++) {
			const struct stats_file *f = &files[j];

			if (is_vm(f) || strncmp(f->id, vm->id, len) ||
			    f->id[len] != '/')
				continue;
			printf("%s", first_vcpu ? "" : ", ");
			first_vcpu = false;
			print_json_file(f, secs);
			printf("}");
		}
		printf("]}");
	}
	printf("]}\n");
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void __attribute__((noreturn)) usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: vmw86-stat [--once] [--json] [-i SECS] PID\n"
		"  PID          a process with vmw86 statistics fds open (vmw86-run)\n"
		"  --once, -1   one table, rates over one interval\n"
		"  --json, -j   the same as JSON\n"
		"  -i SECS      the interval (default 1)\n");
	exit(status);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, '1' },
		{ "json", no_argument, NULL, 'j' },
		{ "interval", required_argument, NULL, 'i' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool once = false, json = false;
	double interval = 1, t0, t1;
	char *end;
	long id;
	int c;
	pid_t pid;

	while ((c = getopt_long(argc, argv, "1ji:h", opts, NULL)) != -1) {
		switch (c) {
		case '1':
			once = true;
			break;
		case 'j':
			json = true;
			break;
		case 'i':
			errno = 0;
			interval = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(interval > 0) ||
			    interval > 3600)
				die("-i %s: not a number of seconds above 0 and up to 3600",
				    optarg);
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc - 1)
		usage(2);
	errno = 0;
	id = strtol(argv[optind], &end, 10);
	if (errno || end == argv[optind] || *end || id <= 0 || id > INT_MAX)
		die("%s: not a process id", argv[optind]);
	pid = id;

	find_files(pid);
	signal(SIGINT, on_sigint);
	sample();
	t0 = now_s();
	do {
		usleep(interval * 1e6);
		sample();
		t1 = now_s();
		if (json) {
			print_json(pid, t1 - t0);
		} else {
			if (!once)
				printf("\033[H\033[2J");
			for (unsigned int i = 0; i < nr_files; i++)
				if (is_vm(&files[i]))
					print_table(&files[i], t1 - t0,
						    once ? MAX_STATS : 30);
		}
		fflush(stdout);
		t0 = t1;
	} while (!once && !json && !stop);
	return 0;
}
