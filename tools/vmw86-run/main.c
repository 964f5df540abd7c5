// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86-run: options, input checks and exit status. Everything the user can
 * get wrong is checked here and in boot.c before /dev/vmw86 is opened, so a
 * mistake costs a one-line message and no VM.
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/sysinfo.h>

#include "vmw86-run.h"
#include "virtio/virtio.h"

int verbose;

/* Long options with no short form. */
enum {
	OPT_NO_SANDBOX = 256,
	OPT_SANDBOX_SELFTEST,
	OPT_RNG,
	OPT_DISK,
};

#define MAX_DISKS	6	/* of the 8 virtio devices: room for rng, net */

void die(int status, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vmw86-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

void pr_info(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("vmw86-run: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void pr_debug(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	fflush(stdout);
	fputs("vmw86-run: debug: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

u64 now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void usage(FILE *f)
{
	fputs("usage: vmw86-run --kernel IMAGE [--initrd FILE] [--cmdline STRING]\n"
	      "                 [--memory SIZE] [--cpus N] [--user USER] [--no-sandbox]\n"
	      "                 [--disk FILE[,readonly]]... [--rng]\n"
	      "                 [--boot-time] [--verbose]\n"
	      "Boots a Linux bzImage under vmw86 (/dev/vmw86); the guest's serial\n"
	      "console (COM1) is this program's standard output.\n"
	      "  -k, --kernel IMAGE     bzImage (boot protocol 2.12 or later)\n"
	      "  -i, --initrd FILE      initial ramdisk\n"
	      "  -c, --cmdline STRING   kernel command line\n"
	      "  -m, --memory SIZE      guest RAM, e.g. 256M, 1G (default 256M)\n"
	      "  -p, --cpus N           vCPUs, default 1 (more need vmw86's local APIC)\n"
	      "  -u, --user USER        run as USER (a name or UID:GID) once set up\n"
	      "      --no-sandbox       no seccomp allow-list for the run loop\n"
	      "      --disk FILE[,readonly]  a virtio-blk disk on a raw image (repeatable)\n"
	      "      --rng              a virtio-rng device fed by getrandom(2)\n"
	      "  -b, --boot-time        print the time from start to guest user space\n"
	      "  -v, --verbose          debug messages (unowned ports, exits)\n"
	      "  -h, --help             this text\n"
	      "Exit status: 0 power-off, 1 bad input, 2 reboot request,\n"
	      "3 triple fault, 4 VM error (see vmw86-run(1)).\n", f);
}

/* "256M", "1G", "1048576" (bytes): suffixes K, M, G, T (powers of 1024). */
static u64 parse_size(const char *s)
{
	unsigned long long v, mul = 1;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		die(EXIT_BADINPUT, "--memory '%s': not a size (e.g. 256M, 1G)", s);
	v = strtoull(s, &end, 10);
	if (errno)
		die(EXIT_BADINPUT, "--memory '%s': %s", s, strerror(errno));
	switch (*end) {
	case 'k':
	case 'K':
		mul = KiB;
		end++;
		break;
	case 'm':
	case 'M':
		mul = MiB;
		end++;
		break;
	case 'g':
	case 'G':
		mul = GiB;
		end++;
		break;
	case 't':
	case 'T':
		mul = 1024 * GiB;
		end++;
		break;
	case '\0':
		break;
	default:
		die(EXIT_BADINPUT, "--memory '%s': not a size (e.g. 256M, 1G)", s);
	}
	if (*end == 'i' || *end == 'B')
		end += (end[0] == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end)
		die(EXIT_BADINPUT, "--memory '%s': not a size (e.g. 256M, 1G)", s);
	if (v > UINT64_MAX / mul)
		die(EXIT_BADINPUT, "--memory '%s': too large", s);
	return v * mul;
}

static unsigned int parse_cpus(const char *s)
{
	unsigned long v;
	char *end;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (*s < '0' || *s > '9' || *end || errno || v > 1000000)
		die(EXIT_BADINPUT, "--cpus '%s': not a CPU count", s);
	return v;
}

static void check_memory(u64 size)
{
	struct sysinfo si;
	u64 host;

	if (size == 0)
		die(EXIT_BADINPUT, "--memory 0: the guest needs memory");
	if (size % (4 * KiB))
		die(EXIT_BADINPUT, "--memory %llu: not a multiple of 4 KiB",
		    (unsigned long long)size);
	if (size < 16 * MiB)
		die(EXIT_BADINPUT, "--memory %llu: less than 16 MiB is too little for Linux",
		    (unsigned long long)size);
	if (sysinfo(&si) == 0) {
		host = ((u64)si.totalram + si.totalswap) * si.mem_unit;
		if (size > host)
			die(EXIT_BADINPUT,
			    "--memory %llu MiB: more than the host has (%llu MiB of RAM and swap)",
			    (unsigned long long)(size / MiB),
			    (unsigned long long)(host / MiB));
	}
}

/* --disk FILE[,readonly]: the last comma starts the options. */
static void parse_disk(char *arg, struct disk_options *disk)
{
	char *comma = strrchr(arg, ',');

	disk->path = arg;
	disk->readonly = false;
	if (comma) {
		if (strcmp(comma + 1, "readonly"))
			die(EXIT_BADINPUT, "--disk '%s': unknown option '%s' (FILE[,readonly])",
			    arg, comma + 1);
		*comma = '\0';
		disk->readonly = true;
	}
	if (!*disk->path)
		die(EXIT_BADINPUT, "--disk '%s': no file name", arg);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "memory", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'p' },
		{ "boot-time", no_argument, NULL, 'b' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "user", required_argument, NULL, 'u' },
		{ "no-sandbox", no_argument, NULL, OPT_NO_SANDBOX },
		{ "sandbox-selftest", no_argument, NULL, OPT_SANDBOX_SELFTEST },
		{ "rng", no_argument, NULL, OPT_RNG },
		{ "disk", required_argument, NULL, OPT_DISK },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { .mem_size = 256 * MiB, .cpus = 1, .cmdline = "",
			       .sandbox = true };
	struct sandbox_user user = { 0 };
	struct boot_image img = { 0 };
	struct disk_options disks[MAX_DISKS];
	unsigned int nr_disks = 0, i;
	struct vm vm = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "k:i:c:m:p:u:bvh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			opt.kernel = optarg;
			break;
		case 'i':
			opt.initrd = optarg;
			break;
		case 'c':
			opt.cmdline = optarg;
			break;
		case 'm':
			opt.mem_size = parse_size(optarg);
			break;
		case 'p':
			opt.cpus = parse_cpus(optarg);
			break;
		case 'u':
			sandbox__parse_user(optarg, &user);
			break;
		case OPT_NO_SANDBOX:
			opt.sandbox = false;
			break;
		case OPT_SANDBOX_SELFTEST:
			opt.sandbox_selftest = true;
			break;
		case OPT_RNG:
			opt.rng = true;
			break;
		case OPT_DISK:
			if (nr_disks == MAX_DISKS)
				die(EXIT_BADINPUT, "--disk '%s': at most %d disks", optarg,
				    MAX_DISKS);
			parse_disk(optarg, &disks[nr_disks++]);
			break;
		case 'b':
			opt.boot_time = true;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_BADINPUT;
		}
	}
	if (optind < argc)
		die(EXIT_BADINPUT, "unexpected argument '%s' (see --help)", argv[optind]);
	if (!opt.kernel)
		die(EXIT_BADINPUT, "no --kernel given (see --help)");
	check_memory(opt.mem_size);
	if (opt.cpus == 0)
		die(EXIT_BADINPUT, "--cpus 0: the guest needs a CPU");
	if (opt.sandbox_selftest && !opt.sandbox)
		die(EXIT_BADINPUT, "--sandbox-selftest: tests the sandbox, which --no-sandbox turns off");
	/* cpus > VMW86_CAP_MAX_VCPUS is checked in vm__init, against the module. */

	if (boot__load_files(&img, &opt))
		return EXIT_BADINPUT;

	vm.boot_time = opt.boot_time;
	vm.sandbox = opt.sandbox;
	vm.sandbox_selftest = opt.sandbox_selftest;
	vm.start_ns = now_ns();
	/*
	 * The devices, before the VM: their files are checked here (bad
	 * input makes no VM) and their threads start before the sandbox.
	 */
	for (i = 0; i < nr_disks; i++)
		virtio_blk__create(&vm, &disks[i]);
	if (opt.rng)
		virtio_rng__create(&vm);
	vm__init(&vm, &opt);
	boot__setup(&vm, &img);
	/* /dev/vmw86, the files and the terminal are open; no thread yet. */
	sandbox__drop_privileges(&user);
	return vm__run(&vm);
}
