// SPDX-License-Identifier: GPL-2.0
/*
 * The sandbox: what the launcher may still do once the guest runs.
 *
 * The guest is hostile, and the launcher parses what it controls: port and
 * MMIO accesses, the instruction bytes mmio.c decodes, the UART's output,
 * the IOAPIC's redirection entries. A bug there hands the guest a process
 * that runs with the user's rights (often root, to open /dev/vmw86). So,
 * once everything is open and set up, and before any guest instruction
 * runs, the launcher gives up what it no longer needs:
 *
 * - optionally its user and groups (--user), after /dev/vmw86, the kernel,
 *   the initrd and the terminal are open;
 * - the right to gain privileges again (PR_SET_NO_NEW_PRIVS), always;
 * - every system call its run loop does not make (a seccomp filter built
 *   with libseccomp), unless --no-sandbox.
 *
 * The filter is loaded by the device thread with SECCOMP_FILTER_FLAG_TSYNC
 * while the vCPU threads, already created, wait at a barrier (vm.c): then
 * the allow-list needs neither clone() nor executable mmap(), which only
 * thread creation would want.
 *
 * A forbidden call is trapped (SCMP_ACT_TRAP, so SIGSYS, not an outright
 * kill): the handler writes one line naming the call, restores the
 * terminal and exits with EXIT_VMERROR, the status of a launcher error.
 * The call itself never runs, whatever a compromised launcher then does
 * with its SIGSYS handler.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/audit.h>
#include <asm/ioctls.h>
#include <seccomp.h>

#include "vmw86-run.h"

/*
 * Names of the native system calls, resolved before the filter is loaded:
 * libseccomp's resolver allocates, which a signal handler may not.
 */
#define SYSCALL_NAMES	512
static const char *syscall_names[SYSCALL_NAMES];

/* Async-signal-safe output: write(2) of a string, and of a number. */
static void sig_puts(const char *s)
{
	size_t len = strlen(s);
	ssize_t n;

	while (len) {
		n = write(STDERR_FILENO, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= n;
	}
}

static void sig_putu(unsigned long v)
{
	char buf[24];
	char *p = buf + sizeof(buf);

	*--p = '\0';
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	sig_puts(p);
}

static void sig_putx(unsigned long v)
{
	char buf[24];
	char *p = buf + sizeof(buf);

	*--p = '\0';
	do {
		*--p = "0123456789abcdef"[v & 0xf];
		v >>= 4;
	} while (v);
	*--p = 'x';
	*--p = '0';
	sig_puts(p);
}

static void sandbox_sigsys(int sig, siginfo_t *si, void *ucp)
{
	const ucontext_t *uc = ucp;
	unsigned int nr = si->si_syscall;
	bool native = si->si_arch == AUDIT_ARCH_X86_64;

	(void)sig;
	sig_puts("vmw86-run: sandbox: forbidden system call ");
	if (native && nr < SYSCALL_NAMES && syscall_names[nr]) {
		sig_puts(syscall_names[nr]);
		sig_puts(" (");
		sig_putu(nr);
		sig_puts(")");
		/* Which ioctl: the allow-list checks the request (RSI). */
		if (nr == SCMP_SYS(ioctl)) {
			sig_puts(" request ");
			sig_putx(uc->uc_mcontext.gregs[REG_RSI]);
			sig_puts(" on descriptor ");
			sig_putu(uc->uc_mcontext.gregs[REG_RDI]);
		}
	} else {
		sig_putu(nr);
		sig_puts(native ? "" : " of a foreign ABI (i386 or x32)");
	}
	sig_puts("; stopped (vmw86-run(1), SECURITY)\n");
	serial__restore_terminal();
	_exit(EXIT_VMERROR);
}

/* UID:GID, both decimal. */
static bool parse_ids(const char *s, uid_t *uid, gid_t *gid)
{
	unsigned long u, g;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	u = strtoul(s, &end, 10);
	if (errno || *end != ':' || end[1] < '0' || end[1] > '9' ||
	    u >= (uid_t)-1)
		return false;
	g = strtoul(end + 1, &end, 10);
	if (errno || *end || g >= (gid_t)-1)
		return false;
	*uid = u;
	*gid = g;
	return true;
}

/*
 * The user's line in /etc/passwd, read by hand: getpwnam() in a static
 * binary wants glibc's NSS modules at run time, which a minimal root file
 * system (the test machine's) does not have.
 */
static bool lookup_passwd(const char *name, uid_t *uid, gid_t *gid)
{
	char line[1024];
	size_t len = strlen(name);
	bool found = false;
	FILE *f;

	f = fopen("/etc/passwd", "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long u, g;
		char *p, *end;

		/* name:password:UID:GID:... */
		if (strncmp(line, name, len) || line[len] != ':')
			continue;
		p = strchr(line + len + 1, ':');
		if (!p)
			continue;
		errno = 0;
		u = strtoul(p + 1, &end, 10);
		if (errno || end == p + 1 || *end != ':')
			continue;
		p = end;
		g = strtoul(p + 1, &end, 10);
		if (errno || end == p + 1 || *end != ':')
			continue;
		*uid = u;
		*gid = g;
		found = true;
	}
	fclose(f);
	return found;
}

/**
 * sandbox__parse_user() - the user --user names, before any VM exists
 * @arg: a user name from /etc/passwd, or UID:GID
 * @u: filled in
 *
 * Dies with EXIT_BADINPUT when there is no such user.
 */
void sandbox__parse_user(const char *arg, struct sandbox_user *u)
{
	u->name = arg;
	if (parse_ids(arg, &u->uid, &u->gid) ||
	    (*arg && strchr(arg, ':') == NULL && lookup_passwd(arg, &u->uid, &u->gid))) {
		u->set = true;
		return;
	}
	die(EXIT_BADINPUT, "--user '%s': no such user in /etc/passwd (give UID:GID, e.g. 65534:65534, where there is none)",
	    arg);
}

/**
 * sandbox__drop_privileges() - become --user's user, forbid gaining privileges
 * @u: from sandbox__parse_user(), or unset: then only the latter
 *
 * Called once everything the launcher opens is open, before any thread
 * starts (so the IDs and PR_SET_NO_NEW_PRIVS apply to every thread, with no
 * cross-thread signalling by glibc). Supplementary groups are dropped: the
 * launcher needs no file access any more.
 */
void sandbox__drop_privileges(const struct sandbox_user *u)
{
	if (u->set) {
		if (setgroups(0, NULL) || setresgid(u->gid, u->gid, u->gid) ||
		    setresuid(u->uid, u->uid, u->uid))
			die(EXIT_VMERROR, "--user '%s': cannot become UID %u GID %u: %s",
			    u->name, (unsigned int)u->uid, (unsigned int)u->gid,
			    strerror(errno));
		/* A process that can get root back has dropped nothing. */
		if (u->uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
			die(EXIT_VMERROR, "--user '%s': root could be regained", u->name);
		pr_debug("running as UID %u GID %u", (unsigned int)u->uid,
			 (unsigned int)u->gid);
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		die(EXIT_VMERROR, "PR_SET_NO_NEW_PRIVS: %s", strerror(errno));
}

/* The system calls of the run loop, with no arguments to check. */
static const int allowed[] = {
	/* UART, eventfds, timerfd; stdio's writes of the one-line messages */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	/* the device thread's ppoll(), a HLT waited out in user space, the UART */
	SCMP_SYS(ppoll), SCMP_SYS(poll),
	/* the PIT's next event */
	SCMP_SYS(timerfd_settime),
	/* the platform lock, the start barrier, pthread_join() */
	SCMP_SYS(futex),
	/* kicks: pthread_kill() blocks signals, asks its PID and TID; the
	 * handler returns */
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(restart_syscall),
	/* the vDSO's fallbacks (a host clocksource it cannot read) */
	SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	/* threads end; glibc unmaps stacks beyond its cache */
	SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(munmap), SCMP_SYS(brk),
};

/* The devices' own calls (virtio/), added as they are created. */
#define MAX_DEVICE_SYSCALLS	16
static int device_syscalls[MAX_DEVICE_SYSCALLS];
static unsigned int nr_device_syscalls;

/**
 * sandbox__allow() - one more system call for the run loop
 * @syscall_nr: SYS_*, which a device created before sandbox__enter() makes
 *	on its thread (getrandom for virtio-rng, preadv for virtio-blk, ...)
 */
void sandbox__allow(int syscall_nr)
{
	unsigned int i;

	for (i = 0; i < nr_device_syscalls; i++)
		if (device_syscalls[i] == syscall_nr)
			return;
	if (nr_device_syscalls == MAX_DEVICE_SYSCALLS)
		die(EXIT_VMERROR, "sandbox: too many device system calls");
	device_syscalls[nr_device_syscalls++] = syscall_nr;
}

/* --gdb: the stub's listening socket, or -1; whether it is TCP. */
static int gdb_listen_fd = -1;
static bool gdb_tcp;

/**
 * sandbox__allow_gdb() - what the gdb stub (gdbstub.c) needs in the run loop
 * @listen_fd: its listening socket, open before the sandbox
 * @tcp: a TCP socket (else a Unix one)
 *
 * gdb may attach, detach and attach again at any time while the guest
 * runs, so the stub keeps accepting: accept4() on that one descriptor,
 * close() of a connection gdb left, and for TCP setsockopt(TCP_NODELAY)
 * on each new one (every packet waits for its answer; Nagle would only
 * delay them). Its reads and writes, poll() and eventfds are the run
 * loop's calls already. On the vCPU threads: VMW86_GET_SREGS for the
 * page walk and the segment and control registers gdb reads, and
 * VMW86_SET_GUEST_DEBUG (steps, breakpoints, the guest's own INT3 handed
 * back); the GPRs go through the run structure.
 */
void sandbox__allow_gdb(int listen_fd, bool tcp)
{
	gdb_listen_fd = listen_fd;
	gdb_tcp = tcp;
}

static void add_gdb_rules(scmp_filter_ctx ctx);

/* ioctl() requests: the run loop's vmw86 calls. */
static const unsigned long allowed_ioctls[] = {
	VMW86_RUN,		/* vCPU threads */
	VMW86_INTERRUPT,	/* vCPU 0: the 8259's output */
	VMW86_SIGNAL_MSI,	/* any thread: the IOAPIC's output */
};

/*
 * ioctl() requests on standard input only, the terminal serial.c puts back
 * on the way out: tcsetattr(). Debian's glibc (a distribution patch, which
 * Fedora's carries too) reads the settings (TCGETS) before and after it
 * sets them, to tell whether the terminal took them all. Without TCGETS,
 * the restore on a normal exit was trapped, and so was the SIGSYS
 * handler's own, which the kernel answers with a plain SIGSYS kill (the
 * signal is blocked in its handler): status 159, the terminal left raw.
 */
static const unsigned long allowed_tty_ioctls[] = {
	TCGETS, TCSETS, TCSETSW, TCSETSF,
};

static void add_rule(scmp_filter_ctx ctx, int nr, unsigned int nargs, ...)
{
	struct scmp_arg_cmp cmp[2];
	va_list ap;
	unsigned int i;
	int err;

	va_start(ap, nargs);
	for (i = 0; i < nargs && i < 2; i++)
		cmp[i] = va_arg(ap, struct scmp_arg_cmp);
	va_end(ap);
	err = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, i, cmp);
	if (err)
		die(EXIT_VMERROR, "sandbox: seccomp rule for system call %d: %s",
		    nr, strerror(-err));
}

/* The vCPU threads' ioctls for the stub (sandbox__allow_gdb()). */
static const unsigned long gdb_ioctls[] = {
	VMW86_GET_SREGS, VMW86_SET_GUEST_DEBUG,
};

static void add_gdb_rules(scmp_filter_ctx ctx)
{
	unsigned int i;

	add_rule(ctx, SCMP_SYS(accept4), 1, SCMP_A0(SCMP_CMP_EQ, gdb_listen_fd));
	add_rule(ctx, SCMP_SYS(close), 0);
	if (gdb_tcp)
		add_rule(ctx, SCMP_SYS(setsockopt), 2,
			 SCMP_A1(SCMP_CMP_EQ, IPPROTO_TCP),
			 SCMP_A2(SCMP_CMP_EQ, TCP_NODELAY));
	for (i = 0; i < sizeof(gdb_ioctls) / sizeof(gdb_ioctls[0]); i++)
		add_rule(ctx, SCMP_SYS(ioctl), 1,
			 SCMP_A1(SCMP_CMP_EQ, gdb_ioctls[i]));
}

/**
 * sandbox__enter() - load the allow-list for every thread of the process
 * @selftest: then make one forbidden call (socket(2)) at once, which must
 *	end the launcher (--sandbox-selftest)
 *
 * Called by the device thread after the vCPU threads are created and
 * before they may enter the guest.
 */
void sandbox__enter(bool selftest)
{
	struct sigaction sa = { .sa_sigaction = sandbox_sigsys,
				.sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	unsigned int i;
	char *name;
	int err;

	/*
	 * What glibc does lazily, the first time, with calls the filter
	 * forbids: gmtime_r() (the RTC) loads the time-zone file on its
	 * first call, whatever zone it converts to. Done here, while files
	 * may still be opened.
	 */
	tzset();

	for (i = 0; i < SYSCALL_NAMES; i++) {
		name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, i);
		syscall_names[i] = name;
	}
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		die(EXIT_VMERROR, "sandbox: sigaction(SIGSYS): %s", strerror(errno));

	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		die(EXIT_VMERROR, "sandbox: seccomp_init failed");
	/* Calls through another ABI (int 0x80, x32) are trapped alike. */
	err = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (!err)
		err = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (err)
		die(EXIT_VMERROR, "sandbox: seccomp_attr_set: %s", strerror(-err));

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		add_rule(ctx, allowed[i], 0);
	for (i = 0; i < nr_device_syscalls; i++)
		add_rule(ctx, device_syscalls[i], 0);
	for (i = 0; i < sizeof(allowed_ioctls) / sizeof(allowed_ioctls[0]); i++)
		add_rule(ctx, SCMP_SYS(ioctl), 1,
			 SCMP_A1(SCMP_CMP_EQ, allowed_ioctls[i]));
	for (i = 0; i < sizeof(allowed_tty_ioctls) / sizeof(allowed_tty_ioctls[0]); i++)
		add_rule(ctx, SCMP_SYS(ioctl), 2,
			 SCMP_A0(SCMP_CMP_EQ, STDIN_FILENO),
			 SCMP_A1(SCMP_CMP_EQ, allowed_tty_ioctls[i]));
	/* Signals only to this process's own threads (the kicks, raise()). */
	add_rule(ctx, SCMP_SYS(tgkill), 1,
		 SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	/*
	 * malloc() may still grow its arenas, and glibc gives a dead thread's
	 * stack back with MADV_DONTNEED; never executable memory, though,
	 * which only new code would want.
	 */
	add_rule(ctx, SCMP_SYS(mmap), 1,
		 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	add_rule(ctx, SCMP_SYS(mprotect), 1,
		 SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	add_rule(ctx, SCMP_SYS(madvise), 1,
		 SCMP_A2(SCMP_CMP_EQ, MADV_DONTNEED));
	if (gdb_listen_fd >= 0)
		add_gdb_rules(ctx);

	err = seccomp_load(ctx);
	seccomp_release(ctx);
	if (err)
		die(EXIT_VMERROR, "sandbox: loading the seccomp filter: %s (--no-sandbox runs without)",
		    strerror(-err));
	pr_debug("sandbox: seccomp allow-list loaded");

	if (selftest) {
		/* Must not return: the filter traps it. */
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

		die(EXIT_VMERROR, "sandbox self-test: socket() was not stopped (returned %d)",
		    fd);
	}
}
