// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86-stat: the counters of a running vmw86 VMM, like kvm_stat.
 *
 *   vmw86-stat [--once] [--json] [-i SECS] PID
 *
 * It reads the statistics fds (VMW86_GET_STATS_FD) the process keeps open
 * (vmw86-run keeps one per VM and one per vCPU) through
 * tools/lib/vmw86/stats.c, which says how; that needs the right to ptrace
 * the process (its owner or root).
 *
 * Without options it refreshes a table every interval (1 s), busiest
 * first, with rates, until interrupted. --once prints one table, with the
 * rates over one interval; --json prints the same as one JSON object,
 * for scripts.
 */
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
#include <time.h>
#include <unistd.h>

#include "stats.h"

#define MAX_FILES	(1 + 64)	/* a VM and its vCPUs; more VMs: more */

static struct vmw86_stats_file files[MAX_FILES * 4];
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

/* The statistics fds of @pid, copied into this process. */
static void find_files(pid_t pid)
{
	char err[256];
	int n = vmw86_stats_open(pid, files, sizeof(files) / sizeof(files[0]),
				 err, sizeof(err));

	if (n < 0)
		die("%s", err);
	nr_files = n;
}

static void sample(void)
{
	for (unsigned int i = 0; i < nr_files; i++)
		if (vmw86_stats_sample(&files[i]))
			die("%s: read: %s", files[i].id, strerror(errno));
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
static void print_table(const struct vmw86_stats_file *vm, double secs,
			unsigned int max_rows)
{
	struct row rows[VMW86_STATS_MAX];
	unsigned int n = 0;

	for (unsigned int i = 0; i < vm->n; i++) {
		if (!vm->now[i])
			continue;
		rows[n].name = vm->names[i];
		rows[n].value = vm->now[i];
		rows[n].rate = vmw86_stats_cumulative(vm->flags[i]) && secs > 0 ?
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
		const struct vmw86_stats_file *f = &files[j];
		size_t len = strlen(vm->id);

		if (vmw86_stats_is_vm(f) || strncmp(f->id, vm->id, len) || f->id[len] != '/')
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
static void print_json_file(const struct vmw86_stats_file *f, double secs)
{
	printf("{\"id\": \"%s\", \"stats\": {", f->id);
	for (unsigned int i = 0; i < f->n; i++)
		printf("%s\"%s\": %llu", i ? ", " : "", f->names[i],
		       (unsigned long long)f->now[i]);
	printf("}, \"rates\": {");
	for (unsigned int i = 0, k = 0; i < f->n; i++) {
		if (!vmw86_stats_cumulative(f->flags[i]))
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
		const struct vmw86_stats_file *vm = &files[i];
		size_t len = strlen(vm->id);
		bool first_vcpu = true;

		if (!vmw86_stats_is_vm(vm))
			continue;
		printf("%s", first ? "" : ", ");
		first = false;
		print_json_file(vm, secs);
		printf(", \"vcpus\": [");
		for (unsigned int j = 0; j < nr_files; j++) {
			const struct vmw86_stats_file *f = &files[j];

			if (vmw86_stats_is_vm(f) || strncmp(f->id, vm->id, len) ||
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
				if (vmw86_stats_is_vm(&files[i]))
					print_table(&files[i], t1 - t0,
						    once ? VMW86_STATS_MAX : 30);
		}
		fflush(stdout);
		t0 = t1;
	} while (!once && !json && !stop);
	return 0;
}
