// SPDX-License-Identifier: GPL-2.0
/*
 * --gdb: a stub of GDB's remote serial protocol (the GDB manual, appendix
 * "Remote Protocol"), so that gdb debugs the guest as it would under
 * "qemu -gdb tcp::1234": each vCPU a thread (thread id = vCPU id + 1),
 * registers, memory at the guest's virtual addresses (gva.c walks its page
 * tables), software breakpoints, single steps and Ctrl-C, on vmw86's
 * VMW86_SET_GUEST_DEBUG (api.rst).
 *
 * Threads. The stub is one thread of its own: it accepts gdb's connection
 * on the socket main() opened (--gdb tcp:HOST:PORT or unix:PATH) and
 * speaks the protocol. It never calls a vCPU ioctl; a vCPU's thread does
 * that for it, at the one point of its loop where it holds nothing:
 * gdb__vcpu_pause_point(), before each entry. There a vCPU the stub holds
 * parks, after one VMW86_RUN with immediate_exit set, which completes a
 * pending IN and loads registers user space changed (api.rst,
 * immediate_exit) so that vmw86_run.regs then is the vCPU's state, and
 * VMW86_GET_SREGS for the page walk. While it is parked the stub reads
 * and writes vmw86_run.regs (a write sets regs_dirty, loaded by the next
 * VMW86_RUN); when it is let go it applies the debug mode the stub chose
 * (VMW86_SET_GUEST_DEBUG) before it runs again.
 *
 * Stopping. When one vCPU stops (a breakpoint of ours, a step it was
 * asked for) it holds every vCPU and kicks the others out of the guest
 * (vcpu__kick(): immediate_exit and a signal), and the stub reports the
 * stop once all are parked: all-stop, as gdb expects. gdb attaching, and
 * Ctrl-C (0x03) while the guest runs, stop all the same way. A step runs
 * only the vCPU stepped, with interrupts held (VMW86_GUESTDBG_BLOCKIRQ),
 * so that stepi does not walk into the timer's handler.
 *
 * Breakpoints. Z0 saves the byte at the address and writes INT3 (0xCC)
 * into guest memory; VMW86_GUESTDBG_USE_SW_BP makes every INT3 exit. An
 * INT3 at one of ours is a stop; one of the guest's own is handed back to
 * it (VMW86_GUESTDBG_INJECT_BP); one where ours was removed meanwhile
 * (two vCPUs hit it together) runs again on the restored byte. Resuming a
 * vCPU that sits on one of ours steps it over the saved byte first. There
 * Hardware breakpoints and watchpoints (Z1 execute, Z2 write, Z4 access)
 * are the four debug registers of VMW86_GUESTDBG_USE_HW_BP, the same for
 * every vCPU; a #DB whose DR6 names one is a stop, reported as hwbreak,
 * watch or awatch. x86 has no read-only watchpoint: Z3 gets the empty
 * reply, and gdb builds rwatch on Z4 instead. A vCPU let go on one of its instruction
 * breakpoints runs with RFLAGS.RF set, which lets that instruction pass
 * once (AMD APM vol. 2, 13.1.5.1).
 *
 * Locking: @lock guards the hold, park and debug-mode fields of every
 * vCPU, the stop being reported, and the breakpoint list (which the stub
 * changes only while every vCPU is parked; a vCPU reads it after an INT3).
 * Never held across a system call that waits, and never taken with the
 * platform lock held.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "vmw86-run.h"

/* gdb's packets: "PacketSize" in qSupported, our buffers' size. */
#define PACKET_SIZE	4096
#define MAX_BREAKPOINTS	64
#define INSN_INT3	0xcc

#define GDB_SIGINT	2
#define GDB_SIGTRAP	5

#define HW_SLOTS	4		/* DR0-DR3 */
#define RFLAGS_RF	(1ULL << 16)
/* A debug register's R/W field (APM vol. 2, 13.1.1.5). */
enum { HW_EXEC = 0, HW_WRITE = 1, HW_ACCESS = 3 };

/* One of DR0-DR3 for gdb: Z1, Z2 or Z4. */
struct hw_breakpoint {
	bool used;
	u8 type;		/* HW_* */
	u8 len;			/* bytes: 1, 2, 4 or 8 */
	u64 gva;
};

/* What every vCPU runs with while gdb is attached; and while stepping. */
#define DBG_ATTACHED	(VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_SW_BP)
#define DBG_STEP	(DBG_ATTACHED | VMW86_GUESTDBG_SINGLESTEP | \
			 VMW86_GUESTDBG_BLOCKIRQ)
/* What the stub needs of VMW86_CAP_GUEST_DEBUG. */
#define DBG_NEEDED	(DBG_STEP | VMW86_GUESTDBG_INJECT_BP)

struct breakpoint {
	u64 gva;		/* gdb's address */
	u64 gpa;		/* where the INT3 is, restored from there */
	u8 saved;		/* the guest's byte */
};

struct gdb {
	struct vm *vm;
	int listen_fd;
	int conn_fd;		/* -1: no gdb attached */
	int event_fd;		/* eventfd: a vCPU stopped, or the VM ended */
	bool tcp;
	bool wait;		/* --gdb-wait */
	char where[128];	/* "tcp:127.0.0.1:1234", for messages */
	pthread_t thread;

	pthread_mutex_t lock;
	pthread_cond_t cond;	/* a vCPU parked; the stub let vCPUs go */
	unsigned int parked;	/* vCPUs parked now */
	bool stop_pending;	/* a vCPU stopped; not yet reported */
	unsigned int stop_vcpu;
	int stop_signal;
	bool stop_swbreak;	/* the stop was an INT3 of ours */
	char stop_reason[40];	/* "hwbreak:;", "watch:ADDR;" or empty */
	bool ended;		/* vm__stop() ran, its exit status set */
	struct breakpoint bp[MAX_BREAKPOINTS];
	unsigned int nr_bp;
	struct hw_breakpoint hw[HW_SLOTS];
	u32 hw_gen;		/* bumped on every change of @hw */

	/* The stub thread's own, no lock. */
	bool running;		/* the guest runs (after c or s) */
	bool noack;		/* QStartNoAckMode */
	bool phys;		/* Qqemu.PhyMemMode:1: m/M take GPAs */
	bool swbreak;		/* gdb said swbreak+ */
	bool hwbreak;		/* gdb said hwbreak+ */
	unsigned int g_vcpu;	/* Hg: registers and memory of this vCPU */
	int c_vcpu;		/* Hc: -1 for all */
	u8 inbuf[PACKET_SIZE];
	size_t in_len, in_pos;
	char pkt[PACKET_SIZE + 1];
	char out[PACKET_SIZE + 1];
};

static struct gdb the_gdb = { .listen_fd = -1, .conn_fd = -1, .event_fd = -1 };

/* ---------------------------------------------------------------------
 * Setup, before any VM (bad input) and before the sandbox.
 */

static void listen_tcp(struct gdb *g, const char *spec, const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[64] = "127.0.0.1";
	const char *colon = strrchr(addr, ':');
	unsigned long port;
	char *end;
	int one = 1;

	if (colon) {
		if ((size_t)(colon - addr) >= sizeof(host))
			die(EXIT_BADINPUT, "--gdb '%s': host too long", spec);
		if (colon > addr) {
			memcpy(host, addr, colon - addr);
			host[colon - addr] = '\0';
		}
		addr = colon + 1;
	}
	errno = 0;
	port = strtoul(addr, &end, 10);
	if (*addr < '0' || *addr > '9' || *end || errno || port == 0 || port > 65535)
		die(EXIT_BADINPUT, "--gdb '%s': not a port (tcp:[HOST:]PORT, PORT 1 to 65535)",
		    spec);
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		die(EXIT_BADINPUT, "--gdb '%s': '%s' is not an IPv4 address", spec, host);
	sa.sin_port = htons(port);
	g->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->listen_fd < 0)
		die(EXIT_VMERROR, "--gdb: socket: %s", strerror(errno));
	setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(g->listen_fd, 1))
		die(EXIT_BADINPUT, "--gdb '%s': cannot listen on %s port %lu: %s",
		    spec, host, port, strerror(errno));
	g->tcp = true;
	snprintf(g->where, sizeof(g->where), "tcp:%s:%lu", host, port);
}

static void listen_unix(struct gdb *g, const char *spec, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;

	if (!*path || strlen(path) >= sizeof(sa.sun_path))
		die(EXIT_BADINPUT, "--gdb '%s': a socket path has 1 to %zu characters",
		    spec, sizeof(sa.sun_path) - 1);
	strcpy(sa.sun_path, path);
	/* A socket left by an earlier run is replaced, as QEMU does. */
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			die(EXIT_BADINPUT, "--gdb '%s': %s exists and is not a socket",
			    spec, path);
		unlink(path);
	}
	g->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (g->listen_fd < 0)
		die(EXIT_VMERROR, "--gdb: socket: %s", strerror(errno));
	if (bind(g->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(g->listen_fd, 1))
		die(EXIT_BADINPUT, "--gdb '%s': cannot listen on %s: %s", spec, path,
		    strerror(errno));
	snprintf(g->where, sizeof(g->where), "unix:%s", path);
}

struct gdb *gdb__listen(const char *spec, bool wait)
{
	struct gdb *g = &the_gdb;

	if (!strncmp(spec, "tcp:", 4))
		listen_tcp(g, spec, spec + 4);
	else if (!strncmp(spec, "unix:", 5))
		listen_unix(g, spec, spec + 5);
	else
		die(EXIT_BADINPUT, "--gdb '%s': not tcp:[HOST:]PORT or unix:PATH", spec);
	g->wait = wait;
	g->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (g->event_fd < 0)
		die(EXIT_VMERROR, "eventfd: %s", strerror(errno));
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	/* A gdb that went away must not end the launcher with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sandbox__allow_gdb(g->listen_fd, g->tcp);
	return g;
}

void gdb__check_module(struct vm *vm)
{
	int caps = ioctl(vm->dev_fd, VMW86_CHECK_EXTENSION, VMW86_CAP_GUEST_DEBUG);

	if (caps <= 0 || (caps & DBG_NEEDED) != DBG_NEEDED)
		die(EXIT_BADINPUT, "--gdb: this vmw86.ko has no guest debugging (VMW86_CAP_GUEST_DEBUG)");
}

static void set_nodelay(struct gdb *g)
{
	int one = 1;

	/* Each packet waits for its answer: Nagle would only delay them. */
	if (g->tcp)
		setsockopt(g->conn_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void conn_open(struct gdb *g, int fd)
{
	g->conn_fd = fd;
	g->noack = false;
	g->phys = false;
	g->swbreak = false;
	g->hwbreak = false;
	g->running = false;
	g->in_len = g->in_pos = 0;
	g->g_vcpu = 0;
	g->c_vcpu = -1;
	set_nodelay(g);
}

void gdb__wait_attach(struct gdb *g)
{
	int fd;

	pr_info("waiting for gdb on %s (--gdb-wait)", g->where);
	do {
		fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		die(EXIT_VMERROR, "--gdb: accept: %s", strerror(errno));
	conn_open(g, fd);
	pr_debug("gdb attached on %s", g->where);
}

/* ---------------------------------------------------------------------
 * vCPUs: held, parked and let go (called on their threads).
 */

/* Under the lock; the vCPU reads it without, before it takes the lock. */
static void set_hold(struct vcpu *v, bool hold)
{
	__atomic_store_n(&v->gdb.hold, hold, __ATOMIC_RELEASE);
}

static void stop_all_locked(struct gdb *g, int sig, int who, bool swbreak)
{
	unsigned int i;

	if (!g->stop_pending) {
		g->stop_pending = true;
		g->stop_signal = sig;
		g->stop_vcpu = who < 0 ? 0 : who;
		g->stop_swbreak = swbreak;
		g->stop_reason[0] = '\0';
	}
	for (i = 0; i < g->vm->cpus; i++)
		set_hold(&g->vm->vcpus[i], true);
}

static void kick_all_but(struct gdb *g, int who)
{
	unsigned int i;

	for (i = 0; i < g->vm->cpus; i++)
		if ((int)i != who)
			vcpu__kick(&g->vm->vcpus[i]);
}

static void event_signal(struct gdb *g)
{
	u64 one = 1;

	while (write(g->event_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

/* A vCPU's own stop: every vCPU stops, and the stub reports it. */
static void vcpu_stop(struct vcpu *vcpu, bool swbreak)
{
	struct gdb *g = vcpu->vm->gdb;

	pthread_mutex_lock(&g->lock);
	stop_all_locked(g, GDB_SIGTRAP, vcpu->id, swbreak);
	pthread_mutex_unlock(&g->lock);
	kick_all_but(g, vcpu->id);
	event_signal(g);
}

/* DR7's LEN field for @len bytes (APM vol. 2, 13.1.1.5). */
static u64 dr7_len(unsigned int len)
{
	return len == 8 ? 2 : len - 1;
}

/*
 * The debug mode @control, with gdb's hardware breakpoints in the debug
 * registers if it has any; takes @lock for them.
 */
static void apply_debug(struct vcpu *vcpu, u32 control)
{
	struct vmw86_guest_debug dbg = { .control = control };
	struct gdb *g = vcpu->vm->gdb;
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	for (i = 0; i < HW_SLOTS; i++) {
		const struct hw_breakpoint *h = &g->hw[i];

		if (!h->used)
			continue;
		dbg.debugreg[i] = h->gva;
		dbg.debugreg[7] |= (1ULL << (i * 2)) |
				   ((u64)h->type << (16 + i * 4)) |
				   (h->type == HW_EXEC ? 0 :
				    dr7_len(h->len) << (18 + i * 4));
	}
	vcpu->gdb.applied_gen = g->hw_gen;
	pthread_mutex_unlock(&g->lock);
	if (dbg.debugreg[7] && (dbg.control & VMW86_GUESTDBG_ENABLE))
		dbg.control |= VMW86_GUESTDBG_USE_HW_BP;
	else
		memset(dbg.debugreg, 0, sizeof(dbg.debugreg));
	if (ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg) < 0)
		pr_info("vCPU %u: VMW86_SET_GUEST_DEBUG 0x%x: %s", vcpu->id,
			control, strerror(errno));
}

void gdb__vcpu_pause_point(struct vcpu *vcpu)
{
	struct gdb *g = vcpu->vm->gdb;
	struct vmw86_run *run = vcpu->run;
	u32 control, gen;

	if (!g || !__atomic_load_n(&vcpu->gdb.hold, __ATOMIC_ACQUIRE))
		return;
	/* Finish what the last exit left (an IN, changed registers). */
	run->immediate_exit = 1;
	ioctl(vcpu->fd, VMW86_RUN, 0);
	run->immediate_exit = 0;
	if (ioctl(vcpu->fd, VMW86_GET_SREGS, &vcpu->gdb.sregs) < 0)
		memset(&vcpu->gdb.sregs, 0, sizeof(vcpu->gdb.sregs));

	pthread_mutex_lock(&g->lock);
	g->parked++;
	pthread_cond_broadcast(&g->cond);
	while (vcpu->gdb.hold && !vm__done(vcpu->vm))
		pthread_cond_wait(&g->cond, &g->lock);
	g->parked--;
	control = vcpu->gdb.control;
	gen = g->hw_gen;
	pthread_mutex_unlock(&g->lock);

	if (control != vcpu->gdb.applied || gen != vcpu->gdb.applied_gen) {
		apply_debug(vcpu, control);
		vcpu->gdb.applied = control;
	}
}

static bool bp_find(struct gdb *g, u64 gva, unsigned int *idx)
{
	unsigned int i;

	for (i = 0; i < g->nr_bp; i++) {
		if (g->bp[i].gva == gva) {
			*idx = i;
			return true;
		}
	}
	return false;
}

/* The byte at @gva as @vcpu sees it, or -1 if unmapped. */
static int vcpu_read_byte(struct vcpu *vcpu, const struct vmw86_sregs *s, u64 gva)
{
	u64 gpa, left;
	const u8 *p;

	if (!gva__to_gpa(vcpu->vm, s, gva, &gpa, &left))
		return -1;
	p = vm__gpa_to_hva(vcpu->vm, gpa, 1);
	return p ? *p : -1;
}

/*
 * One of gdb's hardware breakpoints (DR6.B0-B3 in @hits): every vCPU
 * stops, with the reason gdb wants to hear (the GDB manual, "Stop Reply
 * Packets").
 */
static void hw_stop(struct vcpu *vcpu, u64 hits)
{
	struct gdb *g = vcpu->vm->gdb;
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	stop_all_locked(g, GDB_SIGTRAP, vcpu->id, false);
	for (i = 0; i < HW_SLOTS; i++) {
		const struct hw_breakpoint *h = &g->hw[i];

		if (!(hits & (1u << i)) || !h->used ||
		    (int)g->stop_vcpu != (int)vcpu->id)
			continue;
		if (h->type == HW_EXEC && g->hwbreak)
			snprintf(g->stop_reason, sizeof(g->stop_reason),
				 "hwbreak:;");
		else if (h->type != HW_EXEC)
			snprintf(g->stop_reason, sizeof(g->stop_reason),
				 "%s:%llx;", h->type == HW_WRITE ? "watch" :
				 "awatch", (unsigned long long)h->gva);
		break;
	}
	pthread_mutex_unlock(&g->lock);
	kick_all_but(g, vcpu->id);
	event_signal(g);
}

void gdb__vcpu_debug_exit(struct vcpu *vcpu)
{
	struct gdb *g = vcpu->vm->gdb;
	struct vmw86_run *run = vcpu->run;
	struct vmw86_sregs s;
	unsigned int i;
	bool ours;
	u32 control;

	if (run->debug.exception == 1 && (run->debug.dr6 & 0xf)) {
		hw_stop(vcpu, run->debug.dr6 & 0xf);
		return;
	}
	if (run->debug.exception == 1) {
		pthread_mutex_lock(&g->lock);
		control = vcpu->gdb.control;
		pthread_mutex_unlock(&g->lock);
		/* A step asked for; a late one after gdb moved on is dropped. */
		if (control & VMW86_GUESTDBG_SINGLESTEP)
			vcpu_stop(vcpu, false);
		return;
	}
	pthread_mutex_lock(&g->lock);
	ours = bp_find(g, run->debug.pc, &i);
	control = vcpu->gdb.applied;
	pthread_mutex_unlock(&g->lock);
	if (ours) {
		vcpu_stop(vcpu, true);
		return;
	}
	/*
	 * Not ours: the guest's own INT3 gets its #BP; a byte that is no
	 * INT3 any more was ours, removed since, and simply runs now.
	 */
	if (ioctl(vcpu->fd, VMW86_GET_SREGS, &s) < 0 ||
	    vcpu_read_byte(vcpu, &s, run->debug.pc) != INSN_INT3)
		return;
	apply_debug(vcpu, control | VMW86_GUESTDBG_INJECT_BP);
}

void gdb__vcpu_user_step(struct vcpu *vcpu)
{
	struct gdb *g = vcpu->vm->gdb;
	u32 control;

	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	control = vcpu->gdb.control;
	pthread_mutex_unlock(&g->lock);
	if (control & VMW86_GUESTDBG_SINGLESTEP)
		vcpu_stop(vcpu, false);
}

void gdb__vm_stopped(struct vm *vm)
{
	struct gdb *g = vm->gdb;

	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->ended = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	event_signal(g);
}

/*
 * The VM ended: for the stub, only once vm__stop() has set the exit status
 * gdb is told (vm__done() is true a moment earlier).
 */
static bool vm_ended(struct gdb *g)
{
	bool ended;

	pthread_mutex_lock(&g->lock);
	ended = g->ended;
	pthread_mutex_unlock(&g->lock);
	return ended;
}

/* ---------------------------------------------------------------------
 * The stub's side of stopping and resuming.
 */

/*
 * Waits for a stop (stop_pending, which let_go() clears) with every vCPU
 * parked; false if the VM ended first.
 */
static bool wait_parked(struct gdb *g)
{
	bool ok;

	pthread_mutex_lock(&g->lock);
	while ((!g->stop_pending || g->parked < g->vm->cpus) && !g->ended)
		pthread_cond_wait(&g->cond, &g->lock);
	ok = !g->ended;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

/* gdb attached or pressed Ctrl-C: hold everything. */
static bool stop_guest(struct gdb *g, int sig)
{
	pthread_mutex_lock(&g->lock);
	stop_all_locked(g, sig, -1, false);
	pthread_mutex_unlock(&g->lock);
	kick_all_but(g, -1);
	return wait_parked(g);
}

/* Lets @step (a vCPU id) take one step, or with -1 every vCPU run. */
static void let_go(struct gdb *g, int step, u32 control)
{
	unsigned int i;

	pthread_mutex_lock(&g->lock);
	g->stop_pending = false;
	for (i = 0; i < g->vm->cpus; i++) {
		struct vcpu *v = &g->vm->vcpus[i];

		if (step >= 0 && (int)i != step)
			continue;
		v->gdb.control = (int)i == step ? DBG_STEP : control;
		set_hold(v, false);
	}
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static struct vcpu *stub_vcpu(struct gdb *g, unsigned int id)
{
	return &g->vm->vcpus[id < g->vm->cpus ? id : 0];
}

/* Linear address of RIP, as the debug exit reports it. */
static u64 vcpu_pc(struct vcpu *v)
{
	const struct vmw86_sregs *s = &v->gdb.sregs;

	if (s->cs.l && (s->efer & (1ULL << 10)))
		return v->run->regs.rip;
	return s->cs.base + (u32)v->run->regs.rip;
}

static void poke(struct gdb *g, u64 gpa, u8 byte)
{
	u8 *p = vm__gpa_to_hva(g->vm, gpa, 1);

	if (p)
		*p = byte;
}

/*
 * A vCPU on one of our INT3s runs the guest's byte first: the breakpoint
 * comes out, the vCPU steps alone, the INT3 goes back. Returns whether it
 * stopped elsewhere than by that step (then that stop is reported).
 */
static bool step_over_breakpoint(struct gdb *g, unsigned int id, bool *stepped)
{
	struct vcpu *v = stub_vcpu(g, id);
	unsigned int i;
	bool other;

	*stepped = false;
	if (!bp_find(g, vcpu_pc(v), &i))
		return false;
	poke(g, g->bp[i].gpa, g->bp[i].saved);
	let_go(g, id, DBG_ATTACHED);
	if (!wait_parked(g))
		return true;
	pthread_mutex_lock(&g->lock);
	other = g->stop_pending && (g->stop_vcpu != id || g->stop_swbreak);
	pthread_mutex_unlock(&g->lock);
	poke(g, g->bp[i].gpa, INSN_INT3);
	*stepped = !other;
	return other;
}

/* ---------------------------------------------------------------------
 * Packets.
 */

static const char hexchars[] = "0123456789abcdef";

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Raw bytes out; false when gdb is gone. */
static bool conn_write(struct gdb *g, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = write(g->conn_fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/*
 * Wait until @fd is readable or a vCPU posts an event on event_fd (which
 * is then consumed). Return 1 for @fd, 0 for the event.
 */
static int wait_fd_or_event(struct gdb *g, int fd)
{
	struct pollfd pfd[2];
	u64 v;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = g->event_fd, .events = POLLIN };
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[1].revents) {
			while (read(g->event_fd, &v, sizeof(v)) < 0 && errno == EINTR)
				;
			return 0;
		}
		if (pfd[0].revents)
			return 1;
	}
}

enum { IN_EOF = -1, IN_DONE = -2, IN_EVENT = -3 };

/*
 * The next byte from gdb; IN_EOF when it went away, IN_DONE when the VM
 * ended, IN_EVENT (only with @events) when a vCPU stopped meanwhile.
 */
static int conn_getc(struct gdb *g, bool events)
{
	ssize_t n;

	while (g->in_pos == g->in_len) {
		if (!wait_fd_or_event(g, g->conn_fd)) {
			if (vm_ended(g))
				return IN_DONE;
			if (events)
				return IN_EVENT;
			continue;
		}
		n = read(g->conn_fd, g->inbuf, sizeof(g->inbuf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return IN_EOF;
		g->in_len = n;
		g->in_pos = 0;
	}
	return g->inbuf[g->in_pos++];
}

static bool send_packet(struct gdb *g, const char *data)
{
	size_t len = strlen(data), i;
	char trailer[4];
	u8 sum = 0;
	int c;

	for (i = 0; i < len; i++)
		sum += (u8)data[i];
	snprintf(trailer, sizeof(trailer), "#%c%c", hexchars[sum >> 4],
		 hexchars[sum & 15]);
	for (;;) {
		if (!conn_write(g, "$", 1) || !conn_write(g, data, len) ||
		    !conn_write(g, trailer, 3))
			return false;
		if (g->noack)
			return true;
		do {
			c = conn_getc(g, false);
			if (c < 0)
				return false;
		} while (c != '+' && c != '-');
		if (c == '+')
			return true;
	}
}

/*
 * The next packet into g->pkt, acknowledged; a 0x03 between packets sets
 * *@interrupt. Returns its length or IN_EOF / IN_DONE / IN_EVENT.
 */
static int read_packet(struct gdb *g, bool events, bool *interrupt)
{
	size_t len;
	u8 sum;
	int c, hi, lo;

	for (;;) {
		c = conn_getc(g, events);
		if (c < 0)
			return c;
		if (c == 0x03) {
			*interrupt = true;
			return 0;
		}
		if (c != '$')
			continue;	/* acks, noise */
		len = 0;
		sum = 0;
		for (;;) {
			c = conn_getc(g, false);
			if (c < 0)
				return c;
			if (c == '#')
				break;
			sum += c;
			if (len < PACKET_SIZE)
				g->pkt[len++] = c;
		}
		hi = conn_getc(g, false);
		lo = hi < 0 ? hi : conn_getc(g, false);
		if (lo < 0)
			return lo;
		g->pkt[len] = '\0';
		if (g->noack)
			return len;
		if (hexval(hi) < 0 || hexval(lo) < 0 ||
		    (hexval(hi) << 4 | hexval(lo)) != sum || len == PACKET_SIZE) {
			if (!conn_write(g, "-", 1))
				return IN_EOF;
			continue;
		}
		if (!conn_write(g, "+", 1))
			return IN_EOF;
		return len;
	}
}

/* Little-endian hex of @len bytes at @p, appended to g->out. */
static void out_hex(struct gdb *g, const void *p, size_t len)
{
	size_t at = strlen(g->out), i;
	const u8 *b = p;

	for (i = 0; i < len && at + 2 < sizeof(g->out); i++) {
		g->out[at++] = hexchars[b[i] >> 4];
		g->out[at++] = hexchars[b[i] & 15];
	}
	g->out[at] = '\0';
}

static void out_unavailable(struct gdb *g, size_t len)
{
	size_t at = strlen(g->out), i;

	for (i = 0; i < 2 * len && at + 1 < sizeof(g->out); i++)
		g->out[at++] = 'x';
	g->out[at] = '\0';
}

/* Hex bytes from @s into @buf; how many, or -1 on a bad digit. */
static int parse_hex_bytes(const char *s, u8 *buf, size_t max)
{
	size_t n = 0;
	int hi, lo;

	while (s[0] && n < max) {
		hi = hexval(s[0]);
		lo = hexval(s[1]);
		if (hi < 0 || lo < 0)
			return -1;
		buf[n++] = hi << 4 | lo;
		s += 2;
	}
	return s[0] ? -1 : (int)n;
}

static bool parse_hex(const char **s, u64 *v)
{
	const char *p = *s;
	int d;

	*v = 0;
	if (hexval(*p) < 0)
		return false;
	while ((d = hexval(*p)) >= 0) {
		*v = *v << 4 | d;
		p++;
	}
	*s = p;
	return true;
}

/* A thread id: -1 (all), 0 (any) or a vCPU + 1. */
static bool parse_thread(const char *s, int *tid)
{
	u64 v;

	if (!strcmp(s, "-1")) {
		*tid = -1;
		return true;
	}
	if (!parse_hex(&s, &v) || *s || v > the_gdb.vm->cpus)
		return false;
	*tid = v;
	return true;
}

/* ---------------------------------------------------------------------
 * Registers: the order of the target description below.
 */

static const char target_xml[] =
	"<?xml version=\"1.0\"?>\n"
	"<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
	"<target version=\"1.0\">\n"
	"<architecture>i386:x86-64</architecture>\n"
	"<feature name=\"org.gnu.gdb.i386.core\">\n"
	"<flags id=\"i386_eflags\" size=\"4\">\n"
	"<field name=\"CF\" start=\"0\" end=\"0\"/>\n"
	"<field name=\"PF\" start=\"2\" end=\"2\"/>\n"
	"<field name=\"AF\" start=\"4\" end=\"4\"/>\n"
	"<field name=\"ZF\" start=\"6\" end=\"6\"/>\n"
	"<field name=\"SF\" start=\"7\" end=\"7\"/>\n"
	"<field name=\"TF\" start=\"8\" end=\"8\"/>\n"
	"<field name=\"IF\" start=\"9\" end=\"9\"/>\n"
	"<field name=\"DF\" start=\"10\" end=\"10\"/>\n"
	"<field name=\"OF\" start=\"11\" end=\"11\"/>\n"
	"<field name=\"NT\" start=\"14\" end=\"14\"/>\n"
	"<field name=\"RF\" start=\"16\" end=\"16\"/>\n"
	"<field name=\"VM\" start=\"17\" end=\"17\"/>\n"
	"<field name=\"AC\" start=\"18\" end=\"18\"/>\n"
	"<field name=\"VIF\" start=\"19\" end=\"19\"/>\n"
	"<field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
	"<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
	"</flags>\n"
	"<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>\n"
	"<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
	"<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
	"<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
	"<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
	"<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
	"<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
	/* gdb's amd64 core has the x87 registers; sent as unavailable. */
	"<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
	"<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
	"</feature>\n"
	"<feature name=\"org.gnu.gdb.i386.segments\">\n"
	"<reg name=\"fs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
	"</feature>\n"
	"<feature name=\"org.vmw86.x86.system\">\n"
	"<reg name=\"cr0\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"<reg name=\"cr2\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"<reg name=\"cr3\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"<reg name=\"cr4\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"<reg name=\"efer\" bitsize=\"64\" type=\"int64\" group=\"system\"/>\n"
	"</feature>\n"
	"</target>\n";

enum {
	GREG_RIP = 16, GREG_EFLAGS, GREG_CS, GREG_SS, GREG_DS, GREG_ES, GREG_FS, GREG_GS,
	GREG_ST0, GREG_FCTRL = GREG_ST0 + 8, GREG_FS_BASE = GREG_FCTRL + 8,
	GREG_GS_BASE, GREG_CR0, GREG_CR2, GREG_CR3, GREG_CR4, GREG_EFER, NR_GREGS
};

/* The GPRs in gdb's order, in struct vmw86_regs (which has rsp, rbp). */
static u64 *gpr(struct vmw86_regs *r, unsigned int n)
{
	u64 *order[16] = {
		&r->rax, &r->rbx, &r->rcx, &r->rdx, &r->rsi, &r->rdi,
		&r->rbp, &r->rsp, &r->r8, &r->r9, &r->r10, &r->r11,
		&r->r12, &r->r13, &r->r14, &r->r15,
	};

	return order[n];
}

static unsigned int reg_size(unsigned int n)
{
	if (n < GREG_EFLAGS || (n >= GREG_FS_BASE && n < NR_GREGS))
		return 8;
	if (n >= GREG_ST0 && n < GREG_FCTRL)
		return 10;
	return 4;
}

/* Register @n of @v appended to g->out. */
static void out_reg(struct gdb *g, struct vcpu *v, unsigned int n)
{
	struct vmw86_regs *r = &v->run->regs;
	const struct vmw86_sregs *s = &v->gdb.sregs;
	const struct vmw86_segment *seg[] = { &s->cs, &s->ss, &s->ds, &s->es,
					      &s->fs, &s->gs };
	const u64 sys[] = { s->fs.base, s->gs.base, s->cr0, s->cr2, s->cr3,
			    s->cr4, s->efer };
	u32 v32;

	if (n < 16) {
		out_hex(g, gpr(r, n), 8);
	} else if (n == GREG_RIP) {
		out_hex(g, &r->rip, 8);
	} else if (n == GREG_EFLAGS) {
		v32 = r->rflags;
		out_hex(g, &v32, 4);
	} else if (n <= GREG_GS) {
		v32 = seg[n - GREG_CS]->selector;
		out_hex(g, &v32, 4);
	} else if (n < GREG_FS_BASE) {
		out_unavailable(g, reg_size(n));
	} else {
		out_hex(g, &sys[n - GREG_FS_BASE], 8);
	}
}

/* Sets register @n from @len bytes; false for one that cannot be set. */
static bool set_reg(struct vcpu *v, unsigned int n, const u8 *val, int len)
{
	struct vmw86_regs *r = &v->run->regs;
	u64 x = 0;

	if (len != (int)reg_size(n) || len > 8)
		return false;
	memcpy(&x, val, len);
	if (n < 16)
		*gpr(r, n) = x;
	else if (n == GREG_RIP)
		r->rip = x;
	else if (n == GREG_EFLAGS)
		r->rflags = (r->rflags & ~0xffffffffULL) | (u32)x | 2;
	else
		return false;
	v->run->regs_dirty = 1;
	return true;
}

static void cmd_read_regs(struct gdb *g)
{
	struct vcpu *v = stub_vcpu(g, g->g_vcpu);
	unsigned int n;

	g->out[0] = '\0';
	for (n = 0; n < NR_GREGS; n++)
		out_reg(g, v, n);
}

/* G: the registers it can set; the rest (x87, segments) as they are. */
static void cmd_write_regs(struct gdb *g, const char *hex)
{
	struct vcpu *v = stub_vcpu(g, g->g_vcpu);
	size_t len = strlen(hex), at = 0;
	u8 val[10];
	unsigned int n;

	for (n = 0; n < NR_GREGS && at + 2 * reg_size(n) <= len; n++) {
		char field[21];

		memcpy(field, hex + at, 2 * reg_size(n));
		field[2 * reg_size(n)] = '\0';
		at += 2 * reg_size(n);
		if (n <= GREG_EFLAGS &&
		    parse_hex_bytes(field, val, reg_size(n)) == (int)reg_size(n))
			set_reg(v, n, val, reg_size(n));
	}
	strcpy(g->out, "OK");
}

/* ---------------------------------------------------------------------
 * Memory, at the Hg vCPU's virtual addresses (guest-physical ones after
 * Qqemu.PhyMemMode:1).
 */

/* Copies between @buf and guest memory; how many bytes were reachable. */
static size_t mem_access(struct gdb *g, u64 gva, u8 *buf, size_t len, bool write)
{
	struct vcpu *v = stub_vcpu(g, g->g_vcpu);
	size_t done = 0, chunk;
	u64 gpa, left;
	u8 *hva;

	while (done < len) {
		if (g->phys) {
			gpa = gva + done;
			left = 4096 - (gpa & 4095);
		} else if (!gva__to_gpa(g->vm, &v->gdb.sregs, gva + done, &gpa,
					&left)) {
			break;
		}
		chunk = len - done < left ? len - done : left;
		hva = vm__gpa_to_hva(g->vm, gpa, chunk);
		if (!hva)
			break;
		if (write)
			memcpy(hva, buf + done, chunk);
		else
			memcpy(buf + done, hva, chunk);
		done += chunk;
	}
	return done;
}

static bool parse_addr_len(const char **s, u64 *addr, u64 *len)
{
	if (!parse_hex(s, addr) || **s != ',')
		return false;
	(*s)++;
	return parse_hex(s, len);
}

static void cmd_read_mem(struct gdb *g, const char *args)
{
	u8 buf[(PACKET_SIZE - 8) / 2];
	u64 addr, len;
	size_t got, i;

	if (!parse_addr_len(&args, &addr, &len) || *args) {
		strcpy(g->out, "E01");
		return;
	}
	if (len > sizeof(buf))
		len = sizeof(buf);
	got = mem_access(g, addr, buf, len, false);
	if (!got && len) {
		strcpy(g->out, "E14");
		return;
	}
	/* gdb sees the guest's bytes, not our INT3s. */
	for (i = 0; i < g->nr_bp; i++)
		if (g->bp[i].gva - addr < got)
			buf[g->bp[i].gva - addr] = g->bp[i].saved;
	g->out[0] = '\0';
	out_hex(g, buf, got);
}

static void cmd_write_mem(struct gdb *g, const char *args)
{
	u8 buf[PACKET_SIZE / 2];
	u64 addr, len;
	unsigned int i;
	int n;

	if (!parse_addr_len(&args, &addr, &len) || *args != ':') {
		strcpy(g->out, "E01");
		return;
	}
	n = parse_hex_bytes(args + 1, buf, sizeof(buf));
	if (n < 0 || (u64)n != len) {
		strcpy(g->out, "E01");
		return;
	}
	/* Over one of our INT3s: the new byte is the guest's, to restore. */
	for (i = 0; i < g->nr_bp; i++) {
		if (g->bp[i].gva - addr < len) {
			g->bp[i].saved = buf[g->bp[i].gva - addr];
			buf[g->bp[i].gva - addr] = INSN_INT3;
		}
	}
	strcpy(g->out, mem_access(g, addr, buf, len, true) == len ? "OK" : "E14");
}

/*
 * Z1, Z2, Z4 / z1, z2, z4: "ZT,ADDR,KIND", KIND the watched length (1, 2,
 * 4 or 8 bytes, aligned to it); ignored for Z1. Needs every vCPU parked.
 */
static void cmd_hw_breakpoint(struct gdb *g, u8 type, const char *args,
			      bool insert)
{
	struct hw_breakpoint *h, *free_slot = NULL;
	u64 addr, kind;
	unsigned int i;

	if (*args != ',' || (args++, !parse_addr_len(&args, &addr, &kind))) {
		strcpy(g->out, "E01");
		return;
	}
	if (type == HW_EXEC)
		kind = 1;
	/* x86 watches 1, 2, 4 or 8 bytes, aligned to their length. */
	if (kind != 1 && kind != 2 && kind != 4 && kind != 8) {
		strcpy(g->out, "E22");	/* EINVAL */
		return;
	}
	if (addr & (kind - 1)) {
		strcpy(g->out, "E22");
		return;
	}
	pthread_mutex_lock(&g->lock);
	strcpy(g->out, "OK");
	for (i = 0; i < HW_SLOTS; i++) {
		h = &g->hw[i];
		if (h->used && h->gva == addr && h->type == type &&
		    h->len == kind) {
			if (!insert) {
				h->used = false;
				g->hw_gen++;
			}
			goto out;
		}
		if (!h->used && !free_slot)
			free_slot = h;
	}
	if (insert && !free_slot) {
		strcpy(g->out, "E28");	/* ENOSPC: four debug registers */
	} else if (insert) {
		*free_slot = (struct hw_breakpoint){ .used = true, .type = type,
						     .len = kind, .gva = addr };
		g->hw_gen++;
	}
out:
	pthread_mutex_unlock(&g->lock);
}

/* Z0 / z0: "Z0,ADDR,KIND"; Z1-Z4 by cmd_hw_breakpoint(). */
static void cmd_breakpoint(struct gdb *g, const char *args, bool insert)
{
	struct vcpu *v = stub_vcpu(g, g->g_vcpu);
	u64 addr, kind, gpa, left;
	unsigned int i;
	u8 *p;

	switch (args[0]) {
	case '0':
		break;
	case '1':
		cmd_hw_breakpoint(g, HW_EXEC, args + 1, insert);
		return;
	case '2':
		cmd_hw_breakpoint(g, HW_WRITE, args + 1, insert);
		return;
	case '4':
		cmd_hw_breakpoint(g, HW_ACCESS, args + 1, insert);
		return;
	default:
		/*
		 * Z3: x86 has no read-only watchpoint. "Unsupported", and gdb
		 * makes rwatch an access watchpoint (Z4) that it filters.
		 */
		g->out[0] = '\0';
		return;
	}
	args++;
	if (*args != ',' || (args++, !parse_addr_len(&args, &addr, &kind))) {
		strcpy(g->out, "E01");
		return;
	}
	p = gva__to_gpa(g->vm, &v->gdb.sregs, addr, &gpa, &left) ?
	    vm__gpa_to_hva(g->vm, gpa, 1) : NULL;
	pthread_mutex_lock(&g->lock);
	if (bp_find(g, addr, &i)) {
		if (!insert) {
			poke(g, g->bp[i].gpa, g->bp[i].saved);
			g->bp[i] = g->bp[--g->nr_bp];
		}
		strcpy(g->out, "OK");
	} else if (!insert) {
		strcpy(g->out, "OK");
	} else if (g->nr_bp == MAX_BREAKPOINTS) {
		strcpy(g->out, "E28");	/* ENOSPC */
	} else if (!p) {
		strcpy(g->out, "E14");
	} else {
		g->bp[g->nr_bp++] = (struct breakpoint){ .gva = addr, .gpa = gpa,
							 .saved = *p };
		*p = INSN_INT3;
		strcpy(g->out, "OK");
	}
	pthread_mutex_unlock(&g->lock);
}

static void remove_breakpoints(struct gdb *g)
{
	pthread_mutex_lock(&g->lock);
	while (g->nr_bp) {
		g->nr_bp--;
		poke(g, g->bp[g->nr_bp].gpa, g->bp[g->nr_bp].saved);
	}
	memset(g->hw, 0, sizeof(g->hw));
	g->hw_gen++;
	pthread_mutex_unlock(&g->lock);
}

/* ---------------------------------------------------------------------
 * Stops and resumes.
 */

static void stop_reply(struct gdb *g)
{
	pthread_mutex_lock(&g->lock);
	snprintf(g->out, sizeof(g->out), "T%02xthread:%x;%s%s", g->stop_signal,
		 g->stop_vcpu + 1,
		 g->stop_swbreak && g->swbreak ? "swbreak:;" : "",
		 g->stop_reason);
	g->g_vcpu = g->stop_vcpu;
	pthread_mutex_unlock(&g->lock);
}

/*
 * A vCPU on one of gdb's instruction breakpoints would stop on it again
 * at once: RFLAGS.RF lets the instruction run once (APM vol. 2, 13.1.5.1).
 */
static void pass_hw_breakpoint(struct gdb *g, unsigned int id)
{
	struct vcpu *v = stub_vcpu(g, id);
	u64 pc = vcpu_pc(v);
	unsigned int i;

	for (i = 0; i < HW_SLOTS; i++) {
		if (g->hw[i].used && g->hw[i].type == HW_EXEC &&
		    g->hw[i].gva == pc) {
			v->run->regs.rflags |= RFLAGS_RF;
			v->run->regs_dirty = 1;
			return;
		}
	}
}

/*
 * Resumes: @step a vCPU id to step (the others stay stopped), or -1 to
 * continue them all. Returns false when a stop is already there to report
 * (the step over a breakpoint stopped elsewhere, or finished the step).
 */
static bool resume(struct gdb *g, int step)
{
	unsigned int i;
	bool stepped;

	/* Each vCPU on one of our breakpoints first runs the guest's byte. */
	for (i = 0; i < g->vm->cpus; i++) {
		if (step >= 0 && (int)i != step)
			continue;
		if (step_over_breakpoint(g, i, &stepped))
			return false;
		if (stepped && (int)i == step)
			return false;	/* that was the step asked for */
		pass_hw_breakpoint(g, i);
	}
	let_go(g, step, DBG_ATTACHED);
	g->running = true;
	return true;
}

/* "c[ADDR]", "s[ADDR]": resume at ADDR if given. */
static void set_pc(struct gdb *g, const char *args, unsigned int id)
{
	u64 addr;

	if (*args && parse_hex(&args, &addr)) {
		stub_vcpu(g, id)->run->regs.rip = addr;
		stub_vcpu(g, id)->run->regs_dirty = 1;
	}
}

static unsigned int cont_vcpu(struct gdb *g)
{
	return g->c_vcpu > 0 ? (unsigned int)g->c_vcpu - 1 : g->g_vcpu;
}

/*
 * vCont;ACTION[:TID]...: a step of one thread (the others stay stopped),
 * or a continue of all. False for a malformed one.
 */
static bool cmd_vcont(struct gdb *g, char *args)
{
	int step = -1, tid;
	char *act, *colon, *save = NULL;

	for (act = strtok_r(args, ";", &save); act; act = strtok_r(NULL, ";", &save)) {
		colon = strchr(act, ':');
		if (colon)
			*colon = '\0';
		if (act[0] != 's' && act[0] != 'S')
			continue;	/* c, C: the default */
		if (!colon)
			tid = g->g_vcpu + 1;
		else if (!parse_thread(colon + 1, &tid))
			return false;
		if (step < 0)
			step = tid > 0 ? tid - 1 : (int)g->g_vcpu;
	}
	resume(g, step);
	return true;
}

static void cmd_query(struct gdb *g, const char *q)
{
	u64 offset, len;
	unsigned int i;
	size_t at;

	if (!strncmp(q, "qSupported", 10)) {
		g->swbreak = strstr(q, "swbreak+") != NULL;
		g->hwbreak = strstr(q, "hwbreak+") != NULL;
		snprintf(g->out, sizeof(g->out),
			 "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+",
			 PACKET_SIZE);
	} else if (!strcmp(q, "qqemu.PhyMemMode")) {
		strcpy(g->out, g->phys ? "1" : "0");
	} else if (!strncmp(q, "qXfer:features:read:target.xml:", 31)) {
		q += 31;
		if (!parse_addr_len(&q, &offset, &len) || *q) {
			strcpy(g->out, "E01");
			return;
		}
		if (len > PACKET_SIZE - 8)
			len = PACKET_SIZE - 8;
		if (offset >= sizeof(target_xml) - 1) {
			strcpy(g->out, "l");
			return;
		}
		if (len > sizeof(target_xml) - 1 - offset)
			len = sizeof(target_xml) - 1 - offset;
		/* The XML has none of the characters binary data escapes. */
		g->out[0] = offset + len == sizeof(target_xml) - 1 ? 'l' : 'm';
		memcpy(g->out + 1, target_xml + offset, len);
		g->out[len + 1] = '\0';
	} else if (!strncmp(q, "qXfer:", 6)) {
		g->out[0] = '\0';
	} else if (!strcmp(q, "qfThreadInfo")) {
		strcpy(g->out, "m");
		for (i = 0; i < g->vm->cpus; i++) {
			at = strlen(g->out);
			if (at + 12 >= sizeof(g->out))
				break;
			snprintf(g->out + at, sizeof(g->out) - at, "%s%x",
				 i ? "," : "", i + 1);
		}
	} else if (!strcmp(q, "qsThreadInfo")) {
		strcpy(g->out, "l");
	} else if (!strcmp(q, "qC")) {
		snprintf(g->out, sizeof(g->out), "QC%x", g->g_vcpu + 1);
	} else if (!strncmp(q, "qAttached", 9)) {
		strcpy(g->out, "1");	/* detach at gdb's end, not kill */
	} else if (!strncmp(q, "qThreadExtraInfo,", 17)) {
		char name[32];
		int tid;

		if (!parse_thread(q + 17, &tid) || tid <= 0) {
			strcpy(g->out, "E01");
			return;
		}
		snprintf(name, sizeof(name), "vCPU %d", tid - 1);
		g->out[0] = '\0';
		out_hex(g, name, strlen(name));
	} else {
		g->out[0] = '\0';
	}
}

/*
 * What a packet asks of the session: send g->out; nothing more (answered
 * already); the guest was resumed (then the stop is the answer); detach;
 * kill.
 */
enum verdict { REPLY, ANSWERED, RESUMED, DETACH, KILL };

static enum verdict handle_packet(struct gdb *g)
{
	char *p = g->pkt;
	unsigned int n;
	u8 val[10];
	int tid, len;
	u64 reg;

	g->out[0] = '\0';
	switch (p[0]) {
	case '?':
		stop_reply(g);
		break;
	case 'g':
		cmd_read_regs(g);
		break;
	case 'G':
		cmd_write_regs(g, p + 1);
		break;
	case 'p':
		p++;
		if (!parse_hex((const char **)&p, &reg) || *p || reg >= NR_GREGS) {
			strcpy(g->out, "E01");
			break;
		}
		out_reg(g, stub_vcpu(g, g->g_vcpu), reg);
		break;
	case 'P':
		p++;
		if (!parse_hex((const char **)&p, &reg) || *p != '=' || reg >= NR_GREGS) {
			strcpy(g->out, "E01");
			break;
		}
		n = reg;
		len = parse_hex_bytes(p + 1, val, sizeof(val));
		strcpy(g->out, set_reg(stub_vcpu(g, g->g_vcpu), n, val, len) ? "OK" : "E01");
		break;
	case 'm':
		cmd_read_mem(g, p + 1);
		break;
	case 'M':
		cmd_write_mem(g, p + 1);
		break;
	case 'Z':
	case 'z':
		cmd_breakpoint(g, p + 1, p[0] == 'Z');
		break;
	case 'H':
		if ((p[1] != 'g' && p[1] != 'c') || !parse_thread(p + 2, &tid)) {
			strcpy(g->out, "E01");
			break;
		}
		if (p[1] == 'g' && tid > 0)
			g->g_vcpu = tid - 1;
		else if (p[1] == 'c')
			g->c_vcpu = tid;
		strcpy(g->out, "OK");
		break;
	case 'T':
		strcpy(g->out, parse_thread(p + 1, &tid) && tid > 0 ? "OK" : "E01");
		break;
	case 'c':
		set_pc(g, p + 1, cont_vcpu(g));
		resume(g, -1);
		return RESUMED;
	case 's':
		set_pc(g, p + 1, cont_vcpu(g));
		resume(g, cont_vcpu(g));
		return RESUMED;
	case 'D':
		strcpy(g->out, "OK");
		return DETACH;
	case 'k':
		return KILL;
	case 'v':
		if (!strcmp(p, "vCont?")) {
			strcpy(g->out, "vCont;c;C;s;S");
		} else if (!strncmp(p, "vCont;", 6)) {
			if (cmd_vcont(g, p + 6))
				return RESUMED;
			strcpy(g->out, "E01");
		} else if (!strncmp(p, "vKill", 5)) {
			return KILL;
		}
		break;
	case 'q':
		cmd_query(g, p);
		break;
	case 'Q':
		if (!strcmp(p, "QStartNoAckMode")) {
			/* Acknowledged as before; nothing is from now on. */
			if (!send_packet(g, "OK"))
				return DETACH;
			g->noack = true;
			return ANSWERED;
		}
		/*
		 * Guest-physical memory for m and M, under QEMU's name for it,
		 * so that "maint packet Qqemu.PhyMemMode:1" works as there.
		 */
		if (!strncmp(p, "Qqemu.PhyMemMode:", 17)) {
			if (strcmp(p + 17, "0") && strcmp(p + 17, "1")) {
				strcpy(g->out, "E22");
				break;
			}
			g->phys = p[17] == '1';
			strcpy(g->out, "OK");
		}
		break;
	}
	return REPLY;
}

/*
 * The guest runs: wait for a vCPU's stop, or gdb's Ctrl-C; then report.
 * 0, or IN_EOF when gdb went away, IN_DONE when the VM ended.
 */
static int wait_stop(struct gdb *g)
{
	bool interrupt = false;
	bool pending;
	int c;

	for (;;) {
		pthread_mutex_lock(&g->lock);
		pending = g->stop_pending;
		pthread_mutex_unlock(&g->lock);
		if (pending) {
			if (!wait_parked(g))
				return IN_DONE;
			break;
		}
		c = read_packet(g, true, &interrupt);
		if (c == IN_EOF || c == IN_DONE)
			return c;
		if (interrupt) {
			if (!stop_guest(g, GDB_SIGINT))
				return IN_DONE;
			break;
		}
	}
	g->running = false;
	stop_reply(g);
	return send_packet(g, g->out) ? 0 : IN_EOF;
}

static void detach(struct gdb *g)
{
	unsigned int i;

	remove_breakpoints(g);
	pthread_mutex_lock(&g->lock);
	g->stop_pending = false;
	for (i = 0; i < g->vm->cpus; i++) {
		g->vm->vcpus[i].gdb.control = 0;
		set_hold(&g->vm->vcpus[i], false);
	}
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	close(g->conn_fd);
	g->conn_fd = -1;
	pr_debug("gdb detached");
}

/* One gdb connection, the guest stopped at its start. */
static void session(struct gdb *g)
{
	bool interrupt;
	int len, rc;

	if (!wait_parked(g))
		goto done;
	for (;;) {
		if (g->running) {
			rc = wait_stop(g);
			if (rc == IN_DONE)
				goto done;
			if (rc == IN_EOF)
				break;
			continue;
		}
		interrupt = false;
		len = read_packet(g, false, &interrupt);
		if (len == IN_DONE)
			goto done;
		if (len < 0)
			break;
		if (interrupt)
			continue;	/* already stopped */
		switch (handle_packet(g)) {
		case REPLY:
			if (!send_packet(g, g->out))
				goto gone;
			break;
		case RESUMED:
			/* A step over a breakpoint may have stopped already. */
			if (!g->running) {
				stop_reply(g);
				if (!send_packet(g, g->out))
					goto gone;
			}
			break;
		case DETACH:
			send_packet(g, g->out);
			detach(g);
			return;
		case KILL:
			vm__stop(g->vm, EXIT_POWEROFF, "gdb killed the guest");
			close(g->conn_fd);
			g->conn_fd = -1;
			return;
		case ANSWERED:
			break;
		}
	}
gone:
	/* gdb went away: as a detach, the guest runs on. */
	detach(g);
	return;
done:
	/* The guest ended: gdb hears its exit status (W), as of a process. */
	snprintf(g->out, sizeof(g->out), "W%02x", g->vm->exit_status & 0xff);
	send_packet(g, g->out);
	close(g->conn_fd);
	g->conn_fd = -1;
}

static bool wait_connection(struct gdb *g)
{
	int fd;

	for (;;) {
		if (!wait_fd_or_event(g, g->listen_fd)) {
			if (vm_ended(g))
				return false;
			continue;
		}
		fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		conn_open(g, fd);
		pr_debug("gdb attached on %s", g->where);
		return true;
	}
}

static void *gdb_thread(void *arg)
{
	struct gdb *g = arg;

	vm__thread_started();
	for (;;) {
		if (g->conn_fd < 0) {
			if (!wait_connection(g))
				break;
			/* gdb sees the guest stopped, all of it. */
			pthread_mutex_lock(&g->lock);
			stop_all_locked(g, GDB_SIGTRAP, -1, false);
			pthread_mutex_unlock(&g->lock);
			kick_all_but(g, -1);
		}
		session(g);
		if (vm_ended(g))
			break;
	}
	return NULL;
}

void gdb__start(struct vm *vm)
{
	struct gdb *g = vm->gdb;
	unsigned int i;
	int err;

	if (!g)
		return;
	g->vm = vm;
	/* --gdb-wait: gdb is there; no vCPU runs before it says so. */
	if (g->conn_fd >= 0) {
		stop_all_locked(g, GDB_SIGTRAP, -1, false);
		for (i = 0; i < vm->cpus; i++)
			vm->vcpus[i].gdb.control = DBG_ATTACHED;
	}
	err = pthread_create(&g->thread, NULL, gdb_thread, g);
	if (err)
		die(EXIT_VMERROR, "gdb stub: pthread_create: %s", strerror(err));
}

void gdb__join(struct vm *vm)
{
	if (vm->gdb)
		pthread_join(vm->gdb->thread, NULL);
}
