// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86-run: options, input checks and exit status. Everything the user can
 * get wrong is checked here and in boot.c before /dev/vmw86 is opened, so a
 * mistake costs a one-line message and no VM.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <net/if.h>
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
	OPT_NET,
	OPT_GDB,
	OPT_GDB_WAIT,
};

#define MAX_DISKS	6	/* of the 8 virtio devices: room for rng, net */
#define MAX_NETS	4	/* virtio__add() refuses a ninth device */

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
	      "                 [--net tap=NAME[,mac=MAC]]... [--gdb ADDRESS [--gdb-wait]]\n"
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
	      "      --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]\n"
	      "                         virtio-net on TAP interface NAME (made if\n"
	      "                         absent; needs CAP_NET_ADMIN); up to 4\n"
	      "      --gdb tcp:[HOST:]PORT | unix:PATH\n"
	      "                         a gdb stub there (HOST 127.0.0.1): target remote\n"
	      "      --gdb-wait         start the guest only once gdb has attached\n"
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

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* "02:86:00:00:00:01": six hexadecimal bytes separated by colons. */
static bool parse_mac(const char *s, u8 mac[6])
{
	unsigned int i;
	int hi, lo;

	for (i = 0; i < 6; i++, s += 3) {
		hi = hex_digit(s[0]);
		lo = hi < 0 ? -1 : hex_digit(s[1]);
		if (lo < 0 || s[2] != (i < 5 ? ':' : '\0'))
			return false;
		mac[i] = hi << 4 | lo;
	}
	return true;
}

/*
 * --net tap=NAME[,mac=XX:XX:XX:XX:XX:XX]. NAME must be a name the kernel
 * takes for an interface (net/core/dev.c, dev_valid_name()): 1 to 15
 * bytes, not "." or "..", no '/', ':' or white space. The MAC must be a
 * unicast address (I/G bit clear, IEEE 802) and not zero.
 */
static void parse_net(char *arg, struct net_options *net)
{
	char *orig = strdup(arg), *item, *save = NULL;
	const char *p;

	if (!orig)
		die(EXIT_VMERROR, "out of memory");
	memset(net, 0, sizeof(*net));
	for (item = strtok_r(arg, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (!strncmp(item, "tap=", 4)) {
			if (net->tap)
				die(EXIT_BADINPUT, "--net '%s': tap= given twice", orig);
			net->tap = item + 4;
		} else if (!strncmp(item, "mac=", 4)) {
			if (!parse_mac(item + 4, net->mac))
				die(EXIT_BADINPUT, "--net '%s': mac '%s' is not of the form XX:XX:XX:XX:XX:XX",
				    orig, item + 4);
			if (net->mac[0] & 1)
				die(EXIT_BADINPUT, "--net '%s': mac %s is a multicast address (bit 0 of its first byte); a NIC needs a unicast one",
				    orig, item + 4);
			if (!(net->mac[0] | net->mac[1] | net->mac[2] |
			      net->mac[3] | net->mac[4] | net->mac[5]))
				die(EXIT_BADINPUT, "--net '%s': mac 00:00:00:00:00:00 is not an address",
				    orig);
			net->mac_set = true;
		} else {
			die(EXIT_BADINPUT, "--net '%s': unknown '%s' (takes tap=NAME[,mac=XX:XX:XX:XX:XX:XX])",
			    orig, item);
		}
	}
	if (!net->tap)
		die(EXIT_BADINPUT, "--net '%s': no tap=NAME (takes tap=NAME[,mac=XX:XX:XX:XX:XX:XX])",
		    orig);
	if (!*net->tap || strlen(net->tap) >= IFNAMSIZ)
		die(EXIT_BADINPUT, "--net '%s': a TAP name has 1 to %d characters",
		    orig, IFNAMSIZ - 1);
	for (p = net->tap; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			die(EXIT_BADINPUT, "--net '%s': '%c' cannot be in an interface name",
			    orig, *p);
	if (!strcmp(net->tap, ".") || !strcmp(net->tap, ".."))
		die(EXIT_BADINPUT, "--net '%s': '%s' cannot name an interface",
		    orig, net->tap);
	free(orig);
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
		{ "net", required_argument, NULL, OPT_NET },
		{ "gdb", required_argument, NULL, OPT_GDB },
		{ "gdb-wait", no_argument, NULL, OPT_GDB_WAIT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct options opt = { .mem_size = 256 * MiB, .cpus = 1, .cmdline = "",
			       .sandbox = true };
	struct sandbox_user user = { 0 };
	struct boot_image img = { 0 };
	struct disk_options disks[MAX_DISKS];
	unsigned int nr_disks = 0, i, j;
	struct vm vm = { 0 };
	struct net_options nets[MAX_NETS];
	unsigned int nr_nets = 0;
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
		case OPT_NET:
			if (nr_nets == MAX_NETS)
				die(EXIT_BADINPUT, "--net: at most %d network devices",
				    MAX_NETS);
			parse_net(optarg, &nets[nr_nets++]);
			break;
		case OPT_GDB:
			opt.gdb = optarg;
			break;
		case OPT_GDB_WAIT:
			opt.gdb_wait = true;
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
	if (opt.gdb_wait && !opt.gdb)
		die(EXIT_BADINPUT, "--gdb-wait: waits for gdb, but no --gdb says where");
	if (opt.sandbox_selftest && !opt.sandbox)
		die(EXIT_BADINPUT, "--sandbox-selftest: tests the sandbox, which --no-sandbox turns off");
	/* cpus > VMW86_CAP_MAX_VCPUS is checked in vm__init, against the module. */
	for (i = 0; i < nr_nets; i++)
		for (j = 0; j < i; j++)
			if (!strcmp(nets[i].tap, nets[j].tap))
				die(EXIT_BADINPUT, "--net: TAP %s given twice", nets[i].tap);

	if (boot__load_files(&img, &opt))
		return EXIT_BADINPUT;
	/* Its socket now: an address in use is bad input, and no VM made. */
	if (opt.gdb)
		vm.gdb = gdb__listen(opt.gdb, opt.gdb_wait);

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
	for (i = 0; i < nr_nets; i++)
		virtio_net__create(&vm, &nets[i]);
	vm__init(&vm, &opt);
	boot__setup(&vm, &img);
	/* --gdb-wait: gdb's connection, before privileges and the sandbox go. */
	if (opt.gdb_wait)
		gdb__wait_attach(vm.gdb);
	/* /dev/vmw86, the files and the terminal are open; no thread yet. */
	sandbox__drop_privileges(&user);
	return vm__run(&vm);
}
