// SPDX-License-Identifier: GPL-2.0
/*
 * smp: guests with several vCPUs, each run by its own host thread, talk to
 * each other through the in-kernel local APICs (VMW86_CREATE_LAPIC) as an
 * SMP operating system does.
 *
 * lapic.c proves the APIC's registers and each delivery path once, one
 * step at a time. What only shows up with several vCPUs running at the
 * same time is proven here: an IPI posted while its target runs, sleeps in
 * HLT, is preempted on the host or is itself sending; a lost kick (a vCPU
 * that enters the guest just as an interrupt is posted to it and never
 * notices), an IPI delivered twice or to the wrong vCPU, a destination
 * matched wrongly. Those show up in a guest OS as hung CPUs, lost TLB
 * shootdowns and lost reschedule IPIs, so every test counts, in guest
 * memory, exactly which vCPU received which interrupt, and checks the
 * counts against what was sent:
 *
 * - ipi_stress: four vCPUs, more than the test machine has CPUs, all
 *   started by vCPU 0 with INIT and STARTUP, send each other fixed IPIs
 *   round-robin for two seconds; every IPI sent is received exactly once,
 *   by its destination (Intel SDM vol. 3, 10.6 "Issuing Interprocessor
 *   Interrupts"; AMD APM vol. 2, 16.5 "Interprocessor Interrupts").
 * - halt_wake_by_ipi: each IPI wakes a vCPU sleeping in HLT, in the kernel
 *   (no HLT exit reaches user space), exactly once.
 * - kick_running_vcpu: a vCPU spinning in guest mode with IF = 1, which
 *   never exits by itself, takes an MSI from a host thread and an IPI from
 *   another vCPU promptly; the latencies are logged.
 * - msi_routing: VMW86_SIGNAL_MSI reaches exactly the vCPUs its physical
 *   or logical destination names, and returns how many accepted it (SDM
 *   vol. 3, 10.11 "Message Signalled Interrupts").
 * - destinations: guest IPIs in every destination form: physical, logical
 *   flat and cluster (10.6.2.2), broadcast, the shorthands, lowest priority
 *   (exactly one receiver, 10.6.2.4), x2APIC physical and cluster through
 *   the ICR MSR (10.12.9, 10.12.10), and NMI to another vCPU.
 *
 * IPIs of one vector to one vCPU merge while the first is still pending in
 * IRR (one bit per vector, SDM 10.8.4), so exact counting needs care: each
 * sender has its own vector, and sends again to a target only once that
 * target has taken the previous one.
 *
 * Everything is bounded in time: a watchdog thread per test kicks every
 * vCPU out of the kernel and fails the test when it runs too long, and the
 * guests give up waiting after a few seconds with an assertion that names
 * what they waited for. Exits cost tens of microseconds under the test
 * machine's emulation, so the counts stay modest. The tests pass with one
 * host CPU (vCPU threads time-share it) and with two.
 */
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"
#include "apic.h"

#define NR_VCPUS	4	/* more than the test machine's CPUs */
#define AP_VECTOR	(LOW_BLOB_GPA >> 12)	/* STARTUP vector 8: 0x8000 */
#define REPORT_PORT	0x2000

/* Vectors. FLUSH is the lowest class: it is taken after all others. */
#define FLUSH_VEC	0x30
#define WAKE_VEC	0x31
#define CASE_VEC(c)	(0x40 + (c))
#define STRESS_VEC(s)	(0x40 + (s))	/* one per sender */
#define HALT_VEC	0x50
#define KICK_VEC	0x60

#define WAIT_MS		5000	/* a guest waiting longer has lost an IPI */
#define TEST_LIMIT_S	25	/* the watchdog's; the harness allows 30 */
#define STRESS_MS	2000
#define STRESS_MIN	10	/* IPIs per (sender, receiver) at least */
#define HALT_ROUNDS	100
#define KICK_LIMIT_MS	1000

/* ---------------------------------------------------------------------
 * Guest side
 */

/*
 * Shared by all vCPUs and the host (which reads and writes the guest's
 * copy through addr_gpa2hva()). A counter is written by one vCPU only.
 */
struct smp_shared {
	uint64_t stacks_gpa;
	uint64_t tsc_per_ms;
	uint32_t nr_vcpus;
	volatile uint32_t up;		/* APs in 64-bit mode */
	volatile uint32_t stray;	/* interrupts on an unknown stack */
	/* Interrupts taken: [receiver][vector]. */
	volatile uint32_t cnt[NR_VCPUS][256];
	volatile uint32_t nmi[NR_VCPUS];
	volatile uint32_t flush[NR_VCPUS];
	volatile uint32_t x2apic[NR_VCPUS];
	/* msi_routing and destinations */
	volatile uint32_t phase;
	volatile uint32_t conf[NR_VCPUS];
	volatile uint32_t ready;
	/* ipi_stress */
	volatile uint32_t sent[NR_VCPUS][NR_VCPUS];
	volatile uint32_t go, stop, finished;
	/* halt_wake_by_ipi and kick_running_vcpu */
	volatile uint32_t armed, halts, got, got_vector;
	volatile uint64_t spins;
};

static struct smp_shared sh;

static inline void sti(void)
{
	asm volatile("sti" ::: "memory");
}

static inline void cli(void)
{
	asm volatile("cli" ::: "memory");
}

/*
 * Which vCPU runs this? Each has its own stack (vmw86_lib.h), and handlers
 * run on the interrupted stack (same CPL, IST 0): no exit needed, unlike
 * reading the APIC ID.
 */
static inline uint32_t this_cpu(void)
{
	uint64_t rsp;

	asm volatile("mov %%rsp, %0" : "=r"(rsp));
	return (rsp - sh.stacks_gpa) / VCPU_STACK_SIZE;
}

/* Spin (with the caller's IF) until @cond or @ms pass; true if @cond. */
#define spin_until(cond, ms)						\
({									\
	uint64_t __end = rdtsc() + (uint64_t)(ms) * sh.tsc_per_ms;	\
	bool __ok;							\
	while (!(__ok = (cond)) && rdtsc() < __end)			\
		cpu_relax();						\
	__ok;								\
})

static void guest_fail(uint64_t line, const char *what, uint64_t a,
		       uint64_t b)
{
	ucall_assert(__FILE__, line, what, 2, a, b);
}

static void apic_eoi(uint32_t me)
{
	if (sh.x2apic[me])
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		apic_write(APIC_EOI, 0);
}

/*
 * Send an IPI: xAPIC writes ICR2 (8-bit destination) then ICR, which
 * sends; x2APIC writes the 64-bit ICR MSR with a 32-bit destination
 * (SDM 10.6.1, 10.12.9).
 */
static void send_ipi(uint32_t me, uint32_t dest, uint32_t icr)
{
	if (sh.x2apic[me]) {
		wrmsr(X2APIC_MSR(APIC_ICR), ((uint64_t)dest << 32) | icr);
	} else {
		apic_write(APIC_ICR2, dest << 24);
		apic_write(APIC_ICR, icr);
	}
}

static void count_handler(struct ex_regs *regs)
{
	uint32_t me = this_cpu();

	if (me >= NR_VCPUS) {
		sh.stray++;
		return;
	}
	sh.cnt[me][regs->vector]++;
	apic_eoi(me);
}

static void flush_handler(struct ex_regs *regs)
{
	uint32_t me = this_cpu();

	(void)regs;
	sh.flush[me]++;
	apic_eoi(me);
}

static void wake_handler(struct ex_regs *regs)
{
	(void)regs;
	apic_eoi(this_cpu());
}

static void nmi_handler(struct ex_regs *regs)
{
	(void)regs;
	sh.nmi[this_cpu()]++;	/* no EOI for an NMI (SDM 10.8.5) */
}

/* Real-mode AP code: report CS (to the host, which takes it to 64 bits). */
extern char smp_ap_blob[], smp_ap_blob_end[];
asm(
	".pushsection .text\n"
	".code16\n"
	"smp_ap_blob:\n"
	"	mov $0x2000, %dx\n"
	"	mov %cs, %ax\n"
	"	out %ax, %dx\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"smp_ap_blob_end:\n"
	".code64\n"
	".popsection\n");

/*
 * vCPU 0, the BSP: INIT then STARTUP to every other vCPU (the all-but-self
 * shorthand; vmw86 needs none of the delays of SDM 8.4.4.1), then wait
 * until each runs 64-bit code with its APIC enabled.
 */
static void start_aps(void)
{
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_ICR, ICR_ALL_BUT_SELF | ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	apic_write(APIC_ICR, ICR_ALL_BUT_SELF | ICR_STARTUP | AP_VECTOR);
	if (!spin_until(sh.up == sh.nr_vcpus - 1, WAIT_MS))
		guest_fail(__LINE__, "APs up", sh.up, sh.nr_vcpus - 1);
}

/* An AP after STARTUP: INIT left its APIC software-disabled (10.4.7.3). */
static void ap_up(void)
{
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	__atomic_fetch_add(&sh.up, 1, __ATOMIC_SEQ_CST);
}

/* ---------------------------------------------------------------------
 * Host side
 */

struct smp_test;

/* A vCPU run by its own thread, from VMW86_RUN to its next ucall. */
struct vthread {
	struct smp_test *st;
	struct vmw86_vcpu *vcpu;
	void *ap_entry;		/* 64-bit entry once STARTUP ran the blob */
	pthread_t thread;
	bool live;		/* created and not yet joined */
	int done;
	int ret, err;
	uint32_t sipi_cs;
};

struct smp_test {
	struct vmw86_vm *vm;
	struct smp_shared *sh;	/* the guest's copy */
	unsigned int n;
	struct vthread t[NR_VCPUS];
	pthread_mutex_t lock;	/* t[].thread and .live, for the watchdog */
	pthread_t watchdog;
	int wd_stop;
	uint64_t deadline_ns;
};

static void on_signal(int sig)
{
	(void)sig;
}

static void *vthread_fn(void *arg)
{
	struct vthread *t = arg;
	struct vmw86_vcpu *vcpu = t->vcpu;
	struct vmw86_run *run = vcpu->run;

	t->ret = __vcpu_run(vcpu);
	t->err = errno;
	/* An AP's first exit is the blob's OUT: now make it a 64-bit CPU. */
	if (t->ap_entry && t->ret == 0 && run->exit_reason == VMW86_EXIT_IO &&
	    run->io.port == REPORT_PORT) {
		t->sipi_cs = vcpu_expect_out(vcpu, REPORT_PORT, 2);
		vcpu_setup_long_mode(vcpu);
		vcpu_set_entry(vcpu, t->ap_entry);
		t->ap_entry = NULL;
		t->ret = __vcpu_run(vcpu);
		t->err = errno;
	}
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static bool vthread_done(struct vthread *t)
{
	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
}

static void vthread_start(struct smp_test *st, unsigned int i)
{
	struct vthread *t = &st->t[i];

	pthread_mutex_lock(&st->lock);
	TEST_ASSERT(!t->live, "vCPU %u runs already", i);
	t->done = 0;
	t->ret = 0;
	t->err = 0;
	TEST_ASSERT(pthread_create(&t->thread, NULL, vthread_fn, t) == 0,
		    "pthread_create failed");
	t->live = true;
	pthread_mutex_unlock(&st->lock);
}

static void vthread_join(struct smp_test *st, struct vthread *t)
{
	pthread_mutex_lock(&st->lock);
	pthread_join(t->thread, NULL);
	t->live = false;
	pthread_mutex_unlock(&st->lock);
}

/*
 * Join a thread whose run ended, and return its ucall; a guest assertion,
 * an unhandled exception or any other exit fails the test, naming it.
 */
static uint64_t vthread_reap(struct smp_test *st, struct vthread *t,
			     struct ucall *uc)
{
	vthread_join(st, t);
	TEST_ASSERT(t->ret == 0, "vCPU %u: VMW86_RUN: ret %d errno %d (%s), %s",
		    t->vcpu->id, t->ret, t->err, strerror(t->err),
		    vcpu_exit_str(t->vcpu));
	return vcpu_check_ucall(t->vcpu, uc);
}

/* While the host waits: no vCPU may stop (the first one that does fails). */
static void check_running(struct smp_test *st, int except)
{
	for (unsigned int i = 0; i < st->n; i++) {
		struct vthread *t = &st->t[i];
		struct ucall uc;
		uint64_t cmd;

		if ((int)i == except || !t->live || !vthread_done(t))
			continue;
		cmd = vthread_reap(st, t, &uc);
		TEST_FAIL("vCPU %u stopped early: ucall %lu (0x%lx)", i, cmd,
			  uc.args[0]);
	}
}

/* Wait for host-visible guest state; the watchdog bounds it. */
#define host_wait(st, cond)						\
do {									\
	while (!(cond)) {						\
		check_running(st, -1);					\
		usleep(100);						\
	}								\
} while (0)

/* Wait for vCPU @i's run to end (others must keep running); its ucall. */
static uint64_t vthread_wait(struct smp_test *st, unsigned int i,
			     struct ucall *uc)
{
	while (!vthread_done(&st->t[i])) {
		check_running(st, i);
		usleep(1000);
	}
	return vthread_reap(st, &st->t[i], uc);
}

/*
 * Wait until every running vCPU reaches a ucall, in whatever order; the
 * first to stop with an assertion or another exit fails the test. @cmd
 * and @uc (per vCPU) get the ucalls.
 */
static void run_to_stop(struct smp_test *st, uint64_t *cmd, struct ucall *uc)
{
	unsigned int left = 0, i;

	for (i = 0; i < st->n; i++)
		left += st->t[i].live;
	while (left) {
		for (i = 0; i < st->n; i++) {
			struct vthread *t = &st->t[i];

			if (!t->live || !vthread_done(t))
				continue;
			cmd[i] = vthread_reap(st, t, &uc[i]);
			left--;
		}
		usleep(1000);
	}
}

/* Every vCPU runs to GUEST_DONE. */
static void run_to_done(struct smp_test *st)
{
	struct ucall uc[NR_VCPUS];
	uint64_t cmd[NR_VCPUS];

	for (unsigned int i = 0; i < st->n; i++)
		cmd[i] = st->t[i].live ? UCALL_NONE : UCALL_DONE;
	run_to_stop(st, cmd, uc);
	for (unsigned int i = 0; i < st->n; i++)
		TEST_ASSERT(cmd[i] == UCALL_DONE,
			    "vCPU %u: ucall SYNC(0x%lx), expected DONE", i,
			    uc[i].args[0]);
}

/*
 * The watchdog: past the deadline, kick every vCPU out of VMW86_RUN
 * (immediate_exit, then a signal), say where each one was, and fail the
 * test instead of letting it hang.
 */
static void watchdog_fire(struct smp_test *st)
{
	uint64_t end = now_ns() + 2000000000ULL;
	unsigned int i, stuck;

	fprintf(stderr, "# watchdog: the test still runs after %u s, kicking its vCPUs\n",
		TEST_LIMIT_S);
	for (i = 0; i < st->n; i++)
		WRITE_ONCE(st->t[i].vcpu->run->immediate_exit, 1);
	do {
		stuck = 0;
		pthread_mutex_lock(&st->lock);
		for (i = 0; i < st->n; i++) {
			if (st->t[i].live && !vthread_done(&st->t[i])) {
				pthread_kill(st->t[i].thread, SIGUSR1);
				stuck++;
			}
		}
		pthread_mutex_unlock(&st->lock);
		usleep(1000);
	} while (stuck && now_ns() < end);
	for (i = 0; i < st->n; i++) {
		struct vthread *t = &st->t[i];

		fprintf(stderr, "# vCPU %u: %s, ret %d errno %d, %s\n", i,
			!t->live ? "not running" :
			!vthread_done(t) ? "STUCK in VMW86_RUN" : "kicked out",
			t->ret, t->err, vcpu_exit_str(t->vcpu));
	}
	fprintf(stderr, "# up %u stray %u phase %u ready %u go %u stop %u finished %u armed %u halts %u got %u\n",
		st->sh->up, st->sh->stray, st->sh->phase, st->sh->ready,
		st->sh->go, st->sh->stop, st->sh->finished, st->sh->armed,
		st->sh->halts, st->sh->got);
	fflush(stderr);
	_exit(KSFT_FAIL_EXIT);
}

static void *watchdog_fn(void *arg)
{
	struct smp_test *st = arg;

	while (!READ_ONCE(st->wd_stop)) {
		if (now_ns() > st->deadline_ns)
			watchdog_fire(st);
		usleep(10000);
	}
	return NULL;
}

/*
 * A VM with in-kernel APICs and @n vCPUs: vCPU 0 enters @bsp in 64-bit
 * mode; the others wait for INIT and STARTUP, run the real-mode blob at
 * AP_VECTOR, and their thread then sends them to @ap in 64-bit mode. The
 * watchdog starts now; the vCPUs with smp_start().
 */
static void smp_begin(struct smp_test *st, unsigned int n, void *bsp,
		      void *ap)
{
	struct sigaction sa = { .sa_handler = on_signal };

	memset(st, 0, sizeof(*st));
	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(sigaction(SIGUSR1, &sa, NULL) == 0, "sigaction");
	pthread_mutex_init(&st->lock, NULL);
	st->n = n;
	st->vm = vm_create();
	TEST_ASSERT(ioctl(st->vm->fd, VMW86_CREATE_LAPIC, 0) == 0,
		    "VMW86_CREATE_LAPIC: %s", strerror(errno));
	for (unsigned int i = 0; i < n; i++) {
		st->t[i].st = st;
		if (i == 0) {
			st->t[i].vcpu = vm_vcpu_add(st->vm, 0, bsp);
		} else {
			st->t[i].vcpu = vm_vcpu_add_raw(st->vm, i);
			st->t[i].ap_entry = ap;
		}
	}
	vm_load_blob(st->vm, AP_VECTOR << 12, smp_ap_blob, smp_ap_blob_end);
	st->sh = addr_gpa2hva(st->vm, (uint64_t)&sh);
	st->sh->stacks_gpa = st->vm->stacks_gpa;
	st->sh->tsc_per_ms = tsc_per_ms();
	st->sh->nr_vcpus = n;
	st->deadline_ns = now_ns() + TEST_LIMIT_S * 1000000000ULL;
	TEST_ASSERT(pthread_create(&st->watchdog, NULL, watchdog_fn, st) == 0,
		    "pthread_create failed");
}

static void smp_start(struct smp_test *st)
{
	for (unsigned int i = 0; i < st->n; i++)
		vthread_start(st, i);
}

static void smp_end(struct smp_test *st)
{
	WRITE_ONCE(st->wd_stop, 1);
	pthread_join(st->watchdog, NULL);
	for (unsigned int i = 0; i < st->n; i++)
		TEST_ASSERT(!st->t[i].live, "vCPU %u still runs", i);
	vm_free(st->vm);
}

/* Each AP was started by the STARTUP at CS = vector << 8 (SDM 8.4.4.1). */
static void check_aps_started(struct __test_metadata *_metadata,
			      struct smp_test *st)
{
	for (unsigned int i = 1; i < st->n; i++)
		EXPECT_EQ(AP_VECTOR << 8, st->t[i].sipi_cs);
}

/* ---------------------------------------------------------------------
 * ipi_stress
 */

static void guest_stress(uint32_t me)
{
	uint32_t n = sh.nr_vcpus, t = me;
	uint64_t end = 0;

	if (me == 0)
		start_aps();
	else
		ap_up();
	sti();
	if (me == 0) {
		end = rdtsc() + STRESS_MS * sh.tsc_per_ms;
		sh.go = 1;
	} else if (!spin_until(sh.go, WAIT_MS)) {
		guest_fail(__LINE__, "go", me, 0);
	}

	while (!sh.stop) {
		if (me == 0 && rdtsc() >= end) {
			sh.stop = 1;
			break;
		}
		t = (t + 1) % n;
		if (t == me)
			continue;
		/*
		 * Until @t took the previous one, it may still sit in @t's
		 * IRR, where another would merge with it (SDM 10.8.4): try
		 * the next target instead.
		 */
		if (sh.cnt[t][STRESS_VEC(me)] < sh.sent[me][t]) {
			cpu_relax();
			continue;
		}
		sh.sent[me][t]++;
		send_ipi(me, t, ICR_FIXED | STRESS_VEC(me));
	}

	/* Every IPI this vCPU sent is taken, once. */
	for (t = 0; t < n; t++) {
		if (t == me)
			continue;
		spin_until(sh.cnt[t][STRESS_VEC(me)] >= sh.sent[me][t],
			   WAIT_MS);
		if (sh.cnt[t][STRESS_VEC(me)] != sh.sent[me][t])
			guest_fail(__LINE__, "IPIs taken by vCPU (t << 32 | taken) == sent",
				   (uint64_t)t << 32 | sh.cnt[t][STRESS_VEC(me)],
				   sh.sent[me][t]);
	}
	/* Keep taking the others' until they are done too. */
	__atomic_fetch_add(&sh.finished, 1, __ATOMIC_SEQ_CST);
	if (!spin_until(sh.finished == n, WAIT_MS))
		guest_fail(__LINE__, "all finished", sh.finished, n);
	cli();
	GUEST_DONE();
}

TEST(ipi_stress)
{
	struct smp_test st;
	uint64_t total = 0, lo = ~0ULL, hi = 0;

	smp_begin(&st, NR_VCPUS, guest_stress, guest_stress);
	for (int s = 0; s < NR_VCPUS; s++)
		vm_install_exception_handler(st.vm, STRESS_VEC(s),
					     count_handler);
	smp_start(&st);
	run_to_done(&st);
	check_aps_started(_metadata, &st);

	EXPECT_EQ(0, st.sh->stray);
	for (int s = 0; s < NR_VCPUS; s++) {
		for (int r = 0; r < NR_VCPUS; r++) {
			uint32_t got = st.sh->cnt[r][STRESS_VEC(s)];
			uint32_t sent = st.sh->sent[s][r];

			if (r == s) {
				/* Nobody sends to itself here. */
				EXPECT_EQ(0, got);
				continue;
			}
			EXPECT_EQ(sent, got) {
				TH_LOG("vCPU %d -> vCPU %d: sent %u, received %u",
				       s, r, sent, got);
			}
			EXPECT_LE(STRESS_MIN, sent);
			total += sent;
			lo = sent < lo ? sent : lo;
			hi = sent > hi ? sent : hi;
		}
	}
	TH_LOG("%d vCPUs, %d ms: %lu IPIs, each received once; per pair %lu to %lu",
	       NR_VCPUS, STRESS_MS, total, lo, hi);
	smp_end(&st);
}

/* ---------------------------------------------------------------------
 * halt_wake_by_ipi
 */

static void halt_handler(struct ex_regs *regs)
{
	sh.got++;
	sh.got_vector = regs->vector;
	apic_write(APIC_EOI, 0);
}

static void guest_halt_bsp(uint32_t me)
{
	(void)me;
	start_aps();
	for (uint32_t i = 1; i <= HALT_ROUNDS; i++) {
		/* vCPU 1 is about to halt, or halted: wake it. */
		if (!spin_until(sh.armed == i, WAIT_MS))
			guest_fail(__LINE__, "armed", sh.armed, i);
		send_ipi(0, 1, ICR_FIXED | HALT_VEC);
	}
	if (!spin_until(sh.got == HALT_ROUNDS, WAIT_MS))
		guest_fail(__LINE__, "taken", sh.got, HALT_ROUNDS);
	GUEST_DONE();
}

static void guest_halt_ap(uint32_t me)
{
	(void)me;
	ap_up();
	for (uint32_t i = 1; i <= HALT_ROUNDS; i++) {
		sh.armed = i;
		/*
		 * Sleeps in the kernel until the IPI; had it come before the
		 * HLT, it would be taken right after STI's shadow, ending
		 * the HLT at once (SDM vol. 2, HLT and STI).
		 */
		while (sh.got < i) {
			safe_halt();
			sh.halts++;
		}
	}
	GUEST_DONE();
}

TEST(halt_wake_by_ipi)
{
	struct smp_test st;

	smp_begin(&st, 2, guest_halt_bsp, guest_halt_ap);
	vm_install_exception_handler(st.vm, HALT_VEC, halt_handler);
	smp_start(&st);
	/* Neither vCPU leaves VMW86_RUN before its GUEST_DONE: no HLT exit. */
	run_to_done(&st);
	check_aps_started(_metadata, &st);
	EXPECT_EQ(HALT_ROUNDS, st.sh->got);
	EXPECT_EQ(HALT_VEC, st.sh->got_vector);
	/*
	 * In one VMW86_RUN a HLT ends only for an interrupt it can take
	 * (api.rst): each IPI ended exactly one HLT, none ended by itself.
	 */
	EXPECT_EQ(HALT_ROUNDS, st.sh->halts);
	smp_end(&st);
}

/* ---------------------------------------------------------------------
 * kick_running_vcpu
 */

static void guest_kick_bsp(uint32_t me)
{
	uint64_t spins, t0, t1;

	(void)me;
	start_aps();
	GUEST_SYNC(0);	/* the host's MSI first */

	/* Now an IPI from here, once vCPU 1 spins again. */
	if (!spin_until(sh.armed == 2, WAIT_MS))
		guest_fail(__LINE__, "armed", sh.armed, 2);
	spins = sh.spins;
	if (!spin_until(sh.spins != spins, WAIT_MS))
		guest_fail(__LINE__, "spinning", sh.spins, spins);
	t0 = rdtsc();
	send_ipi(0, 1, ICR_FIXED | KICK_VEC);
	spin_until(sh.got == 2, KICK_LIMIT_MS);
	t1 = rdtsc();
	GUEST_ASSERT_EQ(sh.got, 2);
	GUEST_SYNC2(1, t1 - t0);
	GUEST_DONE();
}

static void guest_kick_ap(uint32_t me)
{
	(void)me;
	ap_up();
	for (uint32_t round = 1; round <= 2; round++) {
		sh.armed = round;
		sti();
		/* No exit here: only the interrupt gets it out. */
		while (sh.got < round)
			sh.spins++;
		cli();
		GUEST_SYNC(round);
	}
	GUEST_DONE();
}

TEST(kick_running_vcpu)
{
	struct ucall uc, ucs[NR_VCPUS];
	uint64_t spins, t0, ns, tsc_ms, cmd[NR_VCPUS];
	struct smp_test st;
	struct vmw86_msi msi = {
		.address = APIC_GPA | (1 << 12),
		.data = ICR_FIXED | KICK_VEC,
	};

	smp_begin(&st, 2, guest_kick_bsp, guest_kick_ap);
	vm_install_exception_handler(st.vm, KICK_VEC, halt_handler);
	tsc_ms = st.sh->tsc_per_ms;
	smp_start(&st);
	ASSERT_EQ(UCALL_SYNC, vthread_wait(&st, 0, &uc));
	ASSERT_EQ(0, uc.args[0]);

	/* vCPU 1 spins in guest mode: its counter moves. */
	host_wait(&st, st.sh->armed == 1);
	spins = st.sh->spins;
	host_wait(&st, st.sh->spins != spins);
	t0 = now_ns();
	ASSERT_EQ(1, ioctl(st.vm->fd, VMW86_SIGNAL_MSI, &msi));
	while (!st.sh->got && now_ns() - t0 < KICK_LIMIT_MS * 1000000ULL) {
		check_running(&st, -1);
		usleep(50);
	}
	ns = now_ns() - t0;
	ASSERT_EQ(1, st.sh->got) {
		TH_LOG("the spinning vCPU did not take the MSI in %d ms",
		       KICK_LIMIT_MS);
	}
	TH_LOG("MSI from a host thread to a spinning vCPU: taken after %lu us",
	       ns / 1000);
	ASSERT_EQ(UCALL_SYNC, vthread_wait(&st, 1, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(KICK_VEC, st.sh->got_vector);

	/* Round 2: vCPU 0 sends the IPI and measures; both then stop. */
	vthread_start(&st, 1);
	vthread_start(&st, 0);
	run_to_stop(&st, cmd, ucs);
	ASSERT_EQ(UCALL_SYNC, cmd[0]);
	ASSERT_EQ(1, ucs[0].args[0]);
	EXPECT_LT(ucs[0].args[1], KICK_LIMIT_MS * tsc_ms);
	TH_LOG("IPI from vCPU 0 to a spinning vCPU 1: taken after %lu us",
	       ucs[0].args[1] * 1000 / tsc_ms);
	ASSERT_EQ(UCALL_SYNC, cmd[1]);
	ASSERT_EQ(2, ucs[1].args[0]);
	EXPECT_EQ(2, st.sh->got);
	vthread_start(&st, 0);
	vthread_start(&st, 1);
	run_to_done(&st);
	check_aps_started(_metadata, &st);
	smp_end(&st);
}

/* ---------------------------------------------------------------------
 * Destinations: each case names its receivers
 */

enum { PH_NONE, PH_FLAT, PH_CLUSTER, PH_X2APIC, PH_QUIT };

/*
 * @icr: delivery mode, destination mode and shorthand (the vector is
 * CASE_VEC(index)); for an MSI, ICR_LOGICAL is the address's destination
 * mode bit. @expect: the vCPUs that must receive it; for lowest priority,
 * exactly one of them.
 */
struct dest_case {
	const char *name;
	uint32_t phase;
	uint32_t icr;
	uint32_t dest;
	uint32_t expect;
};

/*
 * LDRs: flat, vCPU i has bit i (SDM 10.6.2.2); cluster, vCPU i is in
 * cluster i / 2 with bit i % 2 (0x01, 0x02, 0x11, 0x12); x2APIC, derived
 * from the ID: cluster 0, bit i (10.12.10.2).
 */
static const struct dest_case dest_cases[] = {
	{ "flat logical 0x06", PH_FLAT, ICR_LOGICAL, 0x06, 0x6 },
	{ "flat logical 0x09, the sender too", PH_FLAT, ICR_LOGICAL, 0x09, 0x9 },
	{ "flat logical 0xf0: nobody", PH_FLAT, ICR_LOGICAL, 0xf0, 0 },
	{ "flat logical broadcast 0xff", PH_FLAT, ICR_LOGICAL, 0xff, 0xf },
	{ "physical 2", PH_FLAT, 0, 2, 0x4 },
	{ "physical 0, the sender", PH_FLAT, 0, 0, 0x1 },
	{ "physical 9: nobody", PH_FLAT, 0, 9, 0 },
	{ "physical broadcast 0xff", PH_FLAT, 0, 0xff, 0xf },
	{ "shorthand self", PH_FLAT, ICR_SELF, 3, 0x1 },
	{ "shorthand all including self", PH_FLAT, ICR_ALL_INC, 0, 0xf },
	{ "shorthand all but self", PH_FLAT, ICR_ALL_BUT_SELF, 0, 0xe },
	{ "lowest priority flat 0x0e", PH_FLAT, ICR_LOWEST | ICR_LOGICAL, 0x0e, 0xe },
	{ "NMI physical 2", PH_FLAT, ICR_NMI, 2, 0x4 },
	{ "cluster 0x03", PH_CLUSTER, ICR_LOGICAL, 0x03, 0x3 },
	{ "cluster 0x12", PH_CLUSTER, ICR_LOGICAL, 0x12, 0x8 },
	{ "cluster 0x13", PH_CLUSTER, ICR_LOGICAL, 0x13, 0xc },
	{ "cluster 0x21: nobody", PH_CLUSTER, ICR_LOGICAL, 0x21, 0 },
	{ "cluster broadcast 0xff", PH_CLUSTER, ICR_LOGICAL, 0xff, 0xf },
	{ "lowest priority cluster 0x13", PH_CLUSTER, ICR_LOWEST | ICR_LOGICAL, 0x13, 0xc },
	{ "x2APIC physical 3", PH_X2APIC, 0, 3, 0x8 },
	{ "x2APIC physical 0xff: nobody", PH_X2APIC, 0, 0xff, 0 },
	{ "x2APIC physical broadcast", PH_X2APIC, 0, 0xffffffff, 0xf },
	{ "x2APIC cluster 0 0x6", PH_X2APIC, ICR_LOGICAL, 0x00000006, 0x6 },
	{ "x2APIC cluster 0 0x9, the sender too", PH_X2APIC, ICR_LOGICAL, 0x00000009, 0x9 },
	{ "x2APIC cluster 1 0x1: nobody", PH_X2APIC, ICR_LOGICAL, 0x00010001, 0 },
	{ "x2APIC shorthand self", PH_X2APIC, ICR_SELF, 2, 0x1 },
	{ "x2APIC shorthand all but self", PH_X2APIC, ICR_ALL_BUT_SELF, 0, 0xe },
	{ "x2APIC lowest priority cluster 0 0xe", PH_X2APIC, ICR_LOWEST | ICR_LOGICAL, 0x0000000e, 0xe },
	{ "x2APIC NMI physical 1", PH_X2APIC, ICR_NMI, 1, 0x2 },
};

static const struct dest_case msi_cases[] = {
	{ "MSI physical 0", 0, 0, 0, 0x1 },
	{ "MSI physical 1", 0, 0, 1, 0x2 },
	{ "MSI physical 2", 0, 0, 2, 0x4 },
	{ "MSI physical 3", 0, 0, 3, 0x8 },
	{ "MSI physical 5: nobody", 0, 0, 5, 0 },
	{ "MSI physical broadcast 0xff", 0, 0, 0xff, 0xf },
	{ "MSI logical 0x05", 0, ICR_LOGICAL, 0x05, 0x5 },
	{ "MSI logical 0x0a", 0, ICR_LOGICAL, 0x0a, 0xa },
	{ "MSI logical 0x08", 0, ICR_LOGICAL, 0x08, 0x8 },
	{ "MSI logical 0x30: nobody", 0, ICR_LOGICAL, 0x30, 0 },
	{ "MSI logical broadcast 0xff", 0, ICR_LOGICAL, 0xff, 0xf },
	{ "MSI lowest priority logical 0x0c", 0, ICR_LOWEST | ICR_LOGICAL, 0x0c, 0xc },
	{ "MSI lowest priority physical 1", 0, ICR_LOWEST, 1, 0x2 },
	{ "MSI NMI physical 3", 0, ICR_NMI, 3, 0x8 },
	{ "MSI NMI logical 0x03", 0, ICR_NMI | ICR_LOGICAL, 0x03, 0x3 },
};

static void configure(uint32_t me, uint32_t phase)
{
	if (sh.conf[me] == phase)
		return;
	switch (phase) {
	case PH_FLAT:
		apic_write(APIC_DFR, DFR_FLAT);
		apic_write(APIC_LDR, (1u << me) << 24);
		break;
	case PH_CLUSTER:
		apic_write(APIC_DFR, DFR_CLUSTER);
		apic_write(APIC_LDR, ((me >> 1) << 4 | 1u << (me & 1)) << 24);
		break;
	case PH_X2APIC:
		/* xAPIC to x2APIC with EN kept (SDM 10.12.5). */
		wrmsr(MSR_IA32_APICBASE,
		      rdmsr(MSR_IA32_APICBASE) | APICBASE_EXTD);
		sh.x2apic[me] = 1;
		GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LDR)), 1u << me);
		break;
	}
	sh.conf[me] = phase;
}

/* Configure for each phase, and take interrupts in HLT until the last. */
static void guest_idle(uint32_t me)
{
	uint32_t p;

	while ((p = sh.phase) != PH_QUIT) {
		configure(me, p);
		/* A phase change comes with WAKE_VEC: no lost wake-up. */
		while (sh.phase == p)
			safe_halt();
	}
	GUEST_DONE();
}

static void guest_idle_ap(uint32_t me)
{
	ap_up();
	guest_idle(me);
}

/* vCPU 0: into @phase, and every other vCPU with it. */
static void enter_phase(uint32_t phase)
{
	cli();
	configure(0, phase);
	sh.phase = phase;
	sti();
	send_ipi(0, 0, ICR_ALL_BUT_SELF | WAKE_VEC);
	for (uint32_t i = 1; i < sh.nr_vcpus; i++)
		if (!spin_until(sh.conf[i] == phase, WAIT_MS))
			guest_fail(__LINE__, "vCPU configured", i, phase);
}

static void guest_msi_bsp(uint32_t me)
{
	sh.phase = PH_FLAT;
	configure(me, PH_FLAT);
	start_aps();
	for (uint32_t i = 1; i < sh.nr_vcpus; i++)
		if (!spin_until(sh.conf[i] == PH_FLAT, WAIT_MS))
			guest_fail(__LINE__, "vCPU configured", i, PH_FLAT);
	sh.ready = 1;
	guest_idle(me);
}

static void guest_dest_bsp(uint32_t me)
{
	uint32_t nmi_before[NR_VCPUS];

	sh.phase = PH_FLAT;
	configure(me, PH_FLAT);
	start_aps();
	for (uint32_t p = PH_FLAT; p <= PH_X2APIC; p++) {
		enter_phase(p);
		for (uint32_t c = 0; c < ARRAY_SIZE(dest_cases); c++) {
			const struct dest_case *dc = &dest_cases[c];
			uint32_t mode = dc->icr & ICR_MODE_MASK, i, sum = 0;
			bool ok = true;

			if (dc->phase != p)
				continue;
			for (i = 0; i < NR_VCPUS; i++)
				nmi_before[i] = sh.nmi[i];
			send_ipi(me, dc->dest, dc->icr |
				 (mode == ICR_NMI ? 0 : CASE_VEC(c)));
			/* Wait for the receivers; the flush finds others. */
			for (i = 0; i < NR_VCPUS && mode != ICR_LOWEST; i++) {
				if (!(dc->expect & (1u << i)))
					continue;
				if (mode == ICR_NMI)
					ok = spin_until(sh.nmi[i] != nmi_before[i],
							WAIT_MS);
				else
					ok = spin_until(sh.cnt[i][CASE_VEC(c)],
							WAIT_MS);
				if (!ok)
					guest_fail(__LINE__, "case's IPI reaches vCPU",
						   c, i);
			}
			if (mode == ICR_LOWEST) {
				ok = spin_until(({
					for (sum = 0, i = 0; i < NR_VCPUS; i++)
						sum += sh.cnt[i][CASE_VEC(c)];
					sum; }), WAIT_MS);
				if (!ok)
					guest_fail(__LINE__, "case's IPI reaches anyone",
						   c, 0);
			}
		}
		/*
		 * The flush, in the lowest class, is taken after every
		 * interrupt posted before it (SDM 10.8.3.1): once all have
		 * it, the counts are final.
		 */
		send_ipi(me, 0, ICR_ALL_INC | FLUSH_VEC);
		for (uint32_t i = 0; i < NR_VCPUS; i++)
			if (!spin_until(sh.flush[i] == p, WAIT_MS))
				guest_fail(__LINE__, "flush", i, sh.flush[i]);
		GUEST_SYNC(p);
	}
	cli();
	sh.phase = PH_QUIT;
	send_ipi(me, 0, ICR_ALL_BUT_SELF | WAKE_VEC);
	GUEST_DONE();
}

static void install_case_handlers(struct vmw86_vm *vm, unsigned int nr)
{
	for (unsigned int c = 0; c < nr; c++)
		vm_install_exception_handler(vm, CASE_VEC(c), count_handler);
	vm_install_exception_handler(vm, FLUSH_VEC, flush_handler);
	vm_install_exception_handler(vm, WAKE_VEC, wake_handler);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
}

/*
 * Did case @c reach exactly the vCPUs it names? NMIs are counted per vCPU
 * in @nmi_want, checked by the caller.
 */
static void check_case(struct __test_metadata *_metadata, struct smp_test *st,
		       const struct dest_case *dc, unsigned int c,
		       uint32_t *nmi_want)
{
	uint32_t mode = dc->icr & ICR_MODE_MASK, got = 0, sum = 0;

	for (unsigned int i = 0; i < st->n; i++) {
		uint32_t n = st->sh->cnt[i][CASE_VEC(c)];

		if (mode == ICR_NMI) {
			nmi_want[i] += !!(dc->expect & (1u << i));
			continue;
		}
		got |= n ? 1u << i : 0;
		sum += n;
	}
	if (mode == ICR_NMI)
		return;
	if (mode == ICR_LOWEST) {
		/* One receiver, the implementation's choice (10.6.2.4). */
		EXPECT_EQ(1, sum) {
			TH_LOG("%s: %u receptions", dc->name, sum);
		}
		EXPECT_EQ(0, got & ~dc->expect) {
			TH_LOG("%s: received by 0x%x", dc->name, got);
		}
		return;
	}
	EXPECT_EQ(dc->expect, got) {
		TH_LOG("%s: received by 0x%x, expected 0x%x", dc->name, got,
		       dc->expect);
	}
	EXPECT_EQ(__builtin_popcount(dc->expect), sum) {
		TH_LOG("%s: %u receptions", dc->name, sum);
	}
}

static void check_nmis(struct __test_metadata *_metadata, struct smp_test *st,
		       const uint32_t *nmi_want)
{
	for (unsigned int i = 0; i < st->n; i++) {
		EXPECT_EQ(nmi_want[i], st->sh->nmi[i]) {
			TH_LOG("vCPU %u: %u NMIs, expected %u", i,
			       st->sh->nmi[i], nmi_want[i]);
		}
	}
}

TEST(destinations)
{
	uint32_t nmi_want[NR_VCPUS] = { 0 };
	struct smp_test st;
	struct ucall uc;

	smp_begin(&st, NR_VCPUS, guest_dest_bsp, guest_idle_ap);
	install_case_handlers(st.vm, ARRAY_SIZE(dest_cases));
	smp_start(&st);
	for (uint32_t p = PH_FLAT; p <= PH_X2APIC; p++) {
		ASSERT_EQ(UCALL_SYNC, vthread_wait(&st, 0, &uc));
		ASSERT_EQ(p, uc.args[0]);
		for (unsigned int c = 0; c < ARRAY_SIZE(dest_cases); c++)
			if (dest_cases[c].phase == p)
				check_case(_metadata, &st, &dest_cases[c], c,
					   nmi_want);
		check_nmis(_metadata, &st, nmi_want);
		for (unsigned int i = 0; i < NR_VCPUS; i++)
			EXPECT_EQ(p, st.sh->flush[i]);
		vthread_start(&st, 0);
	}
	run_to_done(&st);
	check_aps_started(_metadata, &st);
	EXPECT_EQ(0, st.sh->stray);
	smp_end(&st);
}

/* ---------------------------------------------------------------------
 * msi_routing
 */

static int signal_msi(struct smp_test *st, uint32_t dest, bool logical,
		      uint32_t data)
{
	struct vmw86_msi msi = {
		.address = APIC_GPA | (uint64_t)dest << 12 |
			   (logical ? 1u << 2 : 0),	/* SDM 10.11.1 */
		.data = data,
	};

	return ioctl(st->vm->fd, VMW86_SIGNAL_MSI, &msi);
}

TEST(msi_routing)
{
	uint32_t nmi_want[NR_VCPUS] = { 0 };
	struct smp_test st;
	int ret;

	smp_begin(&st, NR_VCPUS, guest_msi_bsp, guest_idle_ap);
	install_case_handlers(st.vm, ARRAY_SIZE(msi_cases));
	smp_start(&st);
	host_wait(&st, st.sh->ready);

	for (unsigned int c = 0; c < ARRAY_SIZE(msi_cases); c++) {
		const struct dest_case *dc = &msi_cases[c];
		uint32_t mode = dc->icr & ICR_MODE_MASK;
		int want = mode == ICR_LOWEST ? !!dc->expect :
			   __builtin_popcount(dc->expect);
		uint32_t nmi_before[NR_VCPUS];

		for (unsigned int i = 0; i < NR_VCPUS; i++)
			nmi_before[i] = st.sh->nmi[i];
		ret = signal_msi(&st, dc->dest, dc->icr & ICR_LOGICAL,
				 mode | (mode == ICR_NMI ? 0 : CASE_VEC(c)));
		/* The return value counts the APICs that accepted it. */
		EXPECT_EQ(want, ret) {
			TH_LOG("%s: returned %d (errno %d)", dc->name, ret,
			       errno);
		}
		for (unsigned int i = 0; i < NR_VCPUS; i++) {
			if (!(dc->expect & (1u << i)) || mode == ICR_LOWEST)
				continue;
			if (mode == ICR_NMI)
				host_wait(&st, st.sh->nmi[i] != nmi_before[i]);
			else
				host_wait(&st, st.sh->cnt[i][CASE_VEC(c)]);
		}
		if (mode == ICR_LOWEST)
			host_wait(&st, st.sh->cnt[0][CASE_VEC(c)] +
				       st.sh->cnt[1][CASE_VEC(c)] +
				       st.sh->cnt[2][CASE_VEC(c)] +
				       st.sh->cnt[3][CASE_VEC(c)]);
	}
	/* The flush comes after everything posted before it (10.8.3.1). */
	EXPECT_EQ(NR_VCPUS, signal_msi(&st, 0xff, false, FLUSH_VEC));
	for (unsigned int i = 0; i < NR_VCPUS; i++)
		host_wait(&st, st.sh->flush[i]);
	for (unsigned int c = 0; c < ARRAY_SIZE(msi_cases); c++)
		check_case(_metadata, &st, &msi_cases[c], c, nmi_want);
	check_nmis(_metadata, &st, nmi_want);
	EXPECT_EQ(0, st.sh->stray);

	st.sh->phase = PH_QUIT;
	EXPECT_EQ(NR_VCPUS, signal_msi(&st, 0xff, false, WAKE_VEC));
	run_to_done(&st);
	check_aps_started(_metadata, &st);
	smp_end(&st);
}

TEST_HARNESS_MAIN
