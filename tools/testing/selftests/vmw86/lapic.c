// SPDX-License-Identifier: GPL-2.0
/*
 * lapic: the in-kernel local APIC (VMW86_CREATE_LAPIC) behaves as the
 * architecture says, seen from a real guest.
 *
 * With a local APIC in the kernel, interrupt delivery no longer passes
 * through user space: the guest programs its APIC through the xAPIC page
 * at 0xfee00000 or the x2APIC MSRs, HLT sleeps in the kernel, and IPIs,
 * MSIs and the timer wake and interrupt vCPUs on their own. A mistake
 * there shows up in a real guest as a hang (a lost wake-up), an interrupt
 * at the wrong priority, a timer that fires early or never, or an AP that
 * starts before its STARTUP IPI. So every test here runs guest code that
 * uses the APIC as an OS would, and checks what the guest saw (handler
 * order, register values, exceptions) and what the host saw (exits, their
 * timing, errno values):
 *
 * - the ioctl ABI (capability, VMW86_CREATE_LAPIC ordering rules,
 *   VMW86_SIGNAL_MSI validation, each with its errno);
 * - the reset values of the xAPIC registers and of IA32_APIC_BASE, TPR,
 *   PPR and CR8 (Intel SDM vol. 3, 10.4 and 10.8.3; AMD APM vol. 2, 16.6);
 * - the instructions the kernel emulates on the APIC page, and the
 *   internal-error exit for those it does not;
 * - the timer in one-shot, periodic and TSC-deadline mode (SDM 10.5.4);
 * - x2APIC mode and its MSR interface and mode transitions (SDM 10.12);
 * - MSIs from another host thread waking a halted vCPU, TPR masking,
 *   priority between pending vectors and EOI (SDM 10.8);
 * - a signal ending the in-kernel HLT with EINTR;
 * - INIT/STARTUP bring-up of an AP and fixed IPIs between vCPUs
 *   (SDM 8.4.4, 10.6);
 * - NMIs, their blocking until IRET (SDM 6.7.1) and their wake-up of a
 *   vCPU halted with interrupts disabled;
 * - VMW86_INTERRUPT (the 8259's INTR) reaching the guest only through a
 *   disabled APIC or an unmasked ExtINT LINT0.
 *
 * Under the test machine's emulation an exit costs tens of microseconds,
 * so the timer periods are milliseconds and the loops are short. Every
 * VMW86_RUN runs in a helper thread with a deadline, so that a lost
 * wake-up fails the test quickly instead of hanging it.
 */
#include <pthread.h>
#include <signal.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"
#include "apic.h"

#define TIMER_VECTOR	0xe0
#define REPORT_PORT	0x2000
#define RUN_LIMIT_MS	10000	/* any run that takes longer is a hang */

/* ---------------------------------------------------------------------
 * Guest side
 */

/* Is @vec set in the 256-bit IRR, ISR or TMR at @base? */
static inline bool apic_vec_set(uint32_t base, uint8_t vec)
{
	return apic_read(base + (vec >> 5) * 0x10) & (1u << (vec & 31));
}

static inline uint64_t get_cr8(void)
{
	uint64_t v;

	asm volatile("mov %%cr8, %0" : "=r"(v));
	return v;
}

static inline void set_cr8(uint64_t v)
{
	asm volatile("mov %0, %%cr8" :: "r"(v) : "memory");
}

/* Open the interrupt window for a moment: pending interrupts are taken. */
static inline void irq_window(void)
{
	asm volatile("sti; nop; nop; cli" ::: "memory");
}

static void spin_tsc(uint64_t cycles)
{
	uint64_t end = rdtsc() + cycles;

	while (rdtsc() < end)
		cpu_relax();
}

static volatile uint64_t irq_count;
static volatile uint8_t irq_log[16];
static volatile uint64_t irq_tsc;
static volatile uint64_t x2apic_eoi;
static volatile uint64_t gp_count;

static void apic_eoi(void)
{
	if (x2apic_eoi)
		wrmsr(X2APIC_MSR(APIC_EOI), 0);
	else
		apic_write(APIC_EOI, 0);
}

/* Logs the vector and the TSC, then EOIs, as an OS interrupt handler does. */
static void irq_handler(struct ex_regs *regs)
{
	uint64_t n = irq_count;

	irq_tsc = rdtsc();
	if (n < ARRAY_SIZE(irq_log))
		irq_log[n] = regs->vector;
	irq_count = n + 1;
	apic_eoi();
}

/* RDMSR and WRMSR are two bytes: count the #GP and go on after them. */
static void gp_skip_msr(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;
}

/* ---------------------------------------------------------------------
 * Host side
 */

static void on_signal(int sig)
{
	(void)sig;
}

/* Signals that end a sleeping VMW86_RUN; no SA_RESTART. */
static void install_signal(int sig)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	TEST_ASSERT(sigaction(sig, &sa, NULL) == 0, "sigaction: %s",
		    strerror(errno));
}

/* VMW86_RUN in its own thread, so that the test can watch it sleep. */
struct runner {
	struct vmw86_vcpu *vcpu;
	pthread_t thread;
	int done;
	int ret, err;
	uint64_t end_ns;
};

static void *runner_fn(void *arg)
{
	struct runner *r = arg;

	r->ret = __vcpu_run(r->vcpu);
	r->err = errno;
	r->end_ns = now_ns();
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void runner_start(struct runner *r, struct vmw86_vcpu *vcpu)
{
	memset(r, 0, sizeof(*r));
	r->vcpu = vcpu;
	install_signal(SIGUSR1);
	TEST_ASSERT(pthread_create(&r->thread, NULL, runner_fn, r) == 0,
		    "pthread_create failed");
}

static bool runner_done(struct runner *r)
{
	return __atomic_load_n(&r->done, __ATOMIC_ACQUIRE);
}

/*
 * Wait up to @ms for the run to end. On timeout, kick the vCPU out
 * (immediate_exit, then a signal) so that the thread can be joined, and
 * return false.
 */
static bool runner_wait(struct runner *r, unsigned int ms)
{
	uint64_t end = now_ns() + ms * 1000000ULL;
	bool ok;

	while (!runner_done(r) && now_ns() < end)
		usleep(1000);
	ok = runner_done(r);
	if (!ok) {
		WRITE_ONCE(r->vcpu->run->immediate_exit, 1);
		while (!runner_done(r)) {
			pthread_kill(r->thread, SIGUSR1);
			usleep(1000);
		}
	}
	pthread_join(r->thread, NULL);
	WRITE_ONCE(r->vcpu->run->immediate_exit, 0);
	return ok;
}

/* End a run started with runner_start() that must have returned 0. */
static void runner_finish(struct runner *r)
{
	TEST_ASSERT(runner_wait(r, RUN_LIMIT_MS),
		    "vCPU %u: VMW86_RUN still sleeps after %u ms",
		    r->vcpu->id, RUN_LIMIT_MS);
	TEST_ASSERT(r->ret == 0, "vCPU %u: VMW86_RUN: ret %d errno %d (%s), %s",
		    r->vcpu->id, r->ret, r->err, strerror(r->err),
		    vcpu_exit_str(r->vcpu));
}

/* One VMW86_RUN with a deadline; returns its wall time in ns. */
static uint64_t run_timed(struct vmw86_vcpu *vcpu)
{
	uint64_t t0 = now_ns();
	struct runner r;

	runner_start(&r, vcpu);
	runner_finish(&r);
	return r.end_ns - t0;
}

/* Run to the next exit, which must be a GUEST_SYNC; returns its ucall. */
static struct ucall run_sync(struct vmw86_vcpu *vcpu)
{
	struct ucall uc;

	run_timed(vcpu);
	TEST_ASSERT(vcpu_check_ucall(vcpu, &uc) == UCALL_SYNC,
		    "vCPU %u: expected GUEST_SYNC, got ucall %lu", vcpu->id,
		    uc.cmd);
	return uc;
}

static void run_done(struct vmw86_vcpu *vcpu)
{
	struct ucall uc;

	run_timed(vcpu);
	TEST_ASSERT(vcpu_check_ucall(vcpu, &uc) == UCALL_DONE,
		    "vCPU %u: expected DONE, got ucall %lu (0x%lx)", vcpu->id,
		    uc.cmd, uc.args[0]);
}

static int create_lapic(struct vmw86_vm *vm, unsigned long arg)
{
	return ioctl(vm->fd, VMW86_CREATE_LAPIC, arg);
}

/* A VM with the library's guest environment and in-kernel local APICs. */
static struct vmw86_vm *vm_create_lapic(void)
{
	struct vmw86_vm *vm = vm_create();

	TEST_ASSERT(create_lapic(vm, 0) == 0, "VMW86_CREATE_LAPIC: %s",
		    strerror(errno));
	return vm;
}

static int signal_msi(struct vmw86_vm *vm, uint8_t dest, uint32_t data)
{
	struct vmw86_msi msi = {
		.address = APIC_GPA | ((uint64_t)dest << 12),
		.data = data,
	};

	return ioctl(vm->fd, VMW86_SIGNAL_MSI, &msi);
}

static uint64_t get_apic_base_msr(struct vmw86_vcpu *vcpu, int *nr)
{
	struct {
		struct vmw86_msrs hdr;
		struct vmw86_msr_entry entry;
	} m = { .hdr.nmsrs = 1, .entry.index = MSR_IA32_APICBASE };

	*nr = ioctl(vcpu->fd, VMW86_GET_MSRS, &m);
	return m.entry.data;
}

static int set_apic_base_msr(struct vmw86_vcpu *vcpu, uint64_t value)
{
	struct {
		struct vmw86_msrs hdr;
		struct vmw86_msr_entry entry;
	} m = {
		.hdr.nmsrs = 1,
		.entry.index = MSR_IA32_APICBASE,
		.entry.data = value,
	};

	return ioctl(vcpu->fd, VMW86_SET_MSRS, &m);
}

/* ---------------------------------------------------------------------
 * The ioctl ABI
 */

TEST(create_lapic_rules)
{
	struct vmw86_vm *vm = vm_create_barebones();
	struct vmw86_vm *late = vm_create_barebones();
	int vcpu_fd;

	EXPECT_EQ(1, vmw86_check_cap(vm->dev_fd, VMW86_CAP_LAPIC));

	/* The argument must be 0, and a refused call creates nothing. */
	EXPECT_EQ(-1, create_lapic(vm, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, signal_msi(vm, 0, 0x40));
	EXPECT_EQ(ENXIO, errno);

	EXPECT_EQ(0, create_lapic(vm, 0));
	EXPECT_EQ(-1, create_lapic(vm, 0));
	EXPECT_EQ(EEXIST, errno);
	/* vCPUs created afterwards get an APIC: vCPU 0 answers APIC ID 0. */
	vcpu_fd = __vm_create_vcpu(vm, 0);
	ASSERT_LE(0, vcpu_fd);
	EXPECT_EQ(-1, create_lapic(vm, 0));
	EXPECT_EQ(EEXIST, errno);
	/* NMIs reach a software-disabled APIC (SDM vol. 3, 10.4.7.2). */
	EXPECT_EQ(1, signal_msi(vm, 0, ICR_NMI));
	close(vcpu_fd);

	/* Every vCPU must have one, so not once a vCPU exists. */
	vcpu_fd = __vm_create_vcpu(late, 0);
	ASSERT_LE(0, vcpu_fd);
	EXPECT_EQ(-1, create_lapic(late, 0));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-1, signal_msi(late, 0, 0x40));
	EXPECT_EQ(ENXIO, errno);
	close(vcpu_fd);

	vm_free(late);
	vm_free(vm);
}

static int signal_raw_msi(struct vmw86_vm *vm, struct vmw86_msi *msi)
{
	return ioctl(vm->fd, VMW86_SIGNAL_MSI, msi);
}

TEST(signal_msi_validation)
{
	struct vmw86_vm *vm = vm_create_barebones();
	struct vmw86_msi msi;
	int vcpu_fd;

	ASSERT_EQ(0, create_lapic(vm, 0));
	vcpu_fd = __vm_create_vcpu(vm, 0);
	ASSERT_LE(0, vcpu_fd);

	/* The address must be in 0xfee00000-0xfeefffff (SDM 10.11.1). */
	memset(&msi, 0, sizeof(msi));
	msi.data = 0x40;
	msi.address = 0xfef00000;
	EXPECT_EQ(-1, signal_raw_msi(vm, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.address = 0xfed00000;
	EXPECT_EQ(-1, signal_raw_msi(vm, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.address = 0x1fee00000ULL;
	EXPECT_EQ(-1, signal_raw_msi(vm, &msi));
	EXPECT_EQ(EINVAL, errno);

	msi.address = APIC_GPA;
	msi.flags = 1;
	EXPECT_EQ(-1, signal_raw_msi(vm, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.flags = 0;
	msi.padding[3] = 1;
	EXPECT_EQ(-1, signal_raw_msi(vm, &msi));
	EXPECT_EQ(EINVAL, errno);
	msi.padding[3] = 0;

	/* Vectors 0-15 are reserved for fixed and lowest priority (10.5.2). */
	EXPECT_EQ(-1, signal_msi(vm, 0, 15));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, signal_msi(vm, 0, (1u << 8) | 15));
	EXPECT_EQ(EINVAL, errno);
	/* SMI, reserved, STARTUP and ExtINT are no MSI delivery modes here. */
	EXPECT_EQ(-1, signal_msi(vm, 0, (2u << 8) | 0x40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, signal_msi(vm, 0, (3u << 8) | 0x40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, signal_msi(vm, 0, (6u << 8) | 0x40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, signal_msi(vm, 0, (7u << 8) | 0x40));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vm->fd, VMW86_SIGNAL_MSI, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* Valid, but no APIC takes it: ID 5 does not exist... */
	EXPECT_EQ(0, signal_msi(vm, 5, 0x40));
	/* ...and vCPU 0's APIC is software-disabled after reset (SVR 0xff). */
	EXPECT_EQ(0, signal_msi(vm, 0, 0x40));
	EXPECT_EQ(0, signal_msi(vm, 0xff, 0x40));
	close(vcpu_fd);
	vm_free(vm);
}

/* Without VMW86_CREATE_LAPIC there is no APIC to see. */
static void guest_no_apic(void)
{
	uint32_t eax, ebx, ecx, edx;

	cpuid_count(1, 0, &eax, &ebx, &ecx, &edx);
	GUEST_ASSERT(!(edx & CPUID_1_EDX_APIC));
	GUEST_ASSERT(!(ecx & CPUID_1_ECX_X2APIC));
	GUEST_ASSERT(!(ecx & CPUID_1_ECX_TSC_DEADLINE));
	(void)rdmsr(MSR_IA32_APICBASE);
	GUEST_ASSERT_EQ(gp_count, 1);
}

TEST(no_lapic_no_apic)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_no_apic);
	struct vmw86_sregs sregs;
	int nr;

	vm_install_exception_handler(vm, GP_VECTOR, gp_skip_msr);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0, sregs.apic_base);
	get_apic_base_msr(vcpu, &nr);
	EXPECT_EQ(0, nr);
	run_done(vcpu);
	vm_free(vm);
}

/*
 * An APIC user space emulates (QEMU's, kernel-irqchip=off): once
 * VMW86_SET_SREGS gives IA32_APIC_BASE a value, the guest reads it and
 * may write it (BSP stays user space's), and user space reads the write
 * back; reserved bits and EXTD take #GP.
 */
#define USER_APIC_BASE	(APIC_GPA | APICBASE_EN | APICBASE_BSP)

static void guest_user_apic_base(void)
{
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), USER_APIC_BASE);
	wrmsr(MSR_IA32_APICBASE, APIC_GPA);	/* disabled, BSP not set */
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), APIC_GPA | APICBASE_BSP);
	GUEST_ASSERT_EQ(gp_count, 0);
	wrmsr(MSR_IA32_APICBASE, APIC_GPA | APICBASE_EN | APICBASE_EXTD);
	wrmsr(MSR_IA32_APICBASE, APIC_GPA | 1);
	GUEST_ASSERT_EQ(gp_count, 2);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), APIC_GPA | APICBASE_BSP);
}

TEST(no_lapic_user_apic_base)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_user_apic_base);
	struct vmw86_sregs sregs;

	vm_install_exception_handler(vm, GP_VECTOR, gp_skip_msr);
	vcpu_sregs_get(vcpu, &sregs);
	/* Reserved bits and EXTD are ignored, as VMW86_SET_SREGS ignores them. */
	sregs.apic_base = USER_APIC_BASE | APICBASE_EXTD;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0, sregs.apic_base);
	sregs.apic_base = USER_APIC_BASE;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(USER_APIC_BASE, sregs.apic_base);
	run_done(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(APIC_GPA | APICBASE_BSP, sregs.apic_base);
	vm_free(vm);
}

/* IA32_APIC_BASE from user space, with the checks a guest WRMSR gets. */
TEST(apic_base_from_user_space)
{
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_vcpu *bsp = vm_vcpu_add(vm, 0, guest_no_apic);
	struct vmw86_vcpu *ap = vm_vcpu_add_raw(vm, 1);
	uint64_t bsp_base = APIC_GPA | APICBASE_EN | APICBASE_BSP;
	struct vmw86_sregs sregs;
	int nr;

	/* The library's long-mode setup kept the APIC enabled. */
	EXPECT_EQ(bsp_base, get_apic_base_msr(bsp, &nr));
	EXPECT_EQ(1, nr);
	vcpu_sregs_get(bsp, &sregs);
	EXPECT_EQ(bsp_base, sregs.apic_base);
	/* Only vCPU 0 is the bootstrap processor (SDM 8.4.1). */
	EXPECT_EQ(APIC_GPA | APICBASE_EN, get_apic_base_msr(ap, &nr));
	EXPECT_EQ(1, nr);
	/* BSP is the hardware's to say: setting it changes nothing. */
	EXPECT_EQ(1, set_apic_base_msr(ap, APIC_GPA | APICBASE_EN |
					   APICBASE_BSP));
	EXPECT_EQ(APIC_GPA | APICBASE_EN, get_apic_base_msr(ap, &nr));

	/* EXTD needs EN; x2APIC is left only through disabled (SDM 10.12.5). */
	EXPECT_EQ(0, set_apic_base_msr(bsp, APIC_GPA | APICBASE_EXTD));
	EXPECT_EQ(1, set_apic_base_msr(bsp, bsp_base | APICBASE_EXTD));
	EXPECT_EQ(bsp_base | APICBASE_EXTD, get_apic_base_msr(bsp, &nr));
	EXPECT_EQ(0, set_apic_base_msr(bsp, bsp_base));
	EXPECT_EQ(bsp_base | APICBASE_EXTD, get_apic_base_msr(bsp, &nr));
	/* Reserved bits (here bit 0) are refused. */
	EXPECT_EQ(0, set_apic_base_msr(bsp, bsp_base | APICBASE_EXTD | 1));
	EXPECT_EQ(1, set_apic_base_msr(bsp, APIC_GPA | APICBASE_BSP));
	EXPECT_EQ(1, set_apic_base_msr(bsp, bsp_base));
	EXPECT_EQ(bsp_base, get_apic_base_msr(bsp, &nr));
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * xAPIC registers, and the accesses the kernel emulates
 */

static void guest_xapic_registers(void)
{
	uint32_t eax, ebx, ecx, edx, lvr, v;
	uint64_t addr = APIC_GPA + APIC_LVR;

	cpuid_count(1, 0, &eax, &ebx, &ecx, &edx);
	GUEST_ASSERT(edx & CPUID_1_EDX_APIC);
	GUEST_ASSERT_EQ(ebx >> 24, 0);		/* initial APIC ID */
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE),
			APIC_GPA | APICBASE_EN | APICBASE_BSP);

	/* Reset values (SDM 10.4.7.1): ID, version, DFR flat, SVR, masked LVTs. */
	GUEST_ASSERT_EQ(apic_read(APIC_ID), 0);
	lvr = apic_read(APIC_LVR);
	GUEST_ASSERT_EQ(lvr & 0xff, 0x14);
	GUEST_ASSERT_EQ((lvr >> 16) & 0xff, 5);	/* max LVT entry */
	GUEST_ASSERT_EQ(apic_read(APIC_SVR), 0xff);
	GUEST_ASSERT_EQ(apic_read(APIC_DFR), 0xffffffff);
	GUEST_ASSERT_EQ(apic_read(APIC_LVTT), LVT_MASKED);
	GUEST_ASSERT_EQ(apic_read(APIC_LVT0), LVT_MASKED);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0);

	/* PPR follows TPR with nothing in service (10.8.3.1). */
	apic_write(APIC_TPR, 0x35);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x35);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x35);
	/* CR8 is TPR bits 7:4, both ways (APM vol. 2, 16.6.4). */
	GUEST_ASSERT_EQ(get_cr8(), 3);
	set_cr8(9);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x90);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0x90);
	apic_write(APIC_TPR, 0);
	GUEST_ASSERT_EQ(get_cr8(), 0);

	/* MOV forms compilers emit: moffs, REX, SIB, disp8, disp32 with imm32. */
	asm volatile("movabs 0xfee00030, %%eax" : "=a"(v) :: "memory");
	GUEST_ASSERT_EQ(v, lvr);
	asm volatile("movl (%1), %%r9d; movl %%r9d, %0"
		     : "=r"(v) : "r"(addr) : "r9", "memory");
	GUEST_ASSERT_EQ(v, lvr);
	asm volatile("movl (%1,%2,1), %0"
		     : "=r"(v) : "r"(APIC_GPA), "r"((uint64_t)APIC_LVR)
		     : "memory");
	GUEST_ASSERT_EQ(v, lvr);
	asm volatile("movl 0x10(%1), %0"
		     : "=r"(v) : "r"(APIC_GPA + APIC_ID) : "memory");
	GUEST_ASSERT_EQ(v, lvr);
	asm volatile("movl $0x1ff, 0x80(%0)"
		     :: "r"(APIC_GPA + APIC_SVR - 0x80) : "memory");
	GUEST_ASSERT_EQ(apic_read(APIC_SVR), 0x1ff);
	GUEST_SYNC(lvr);
}

TEST(xapic_registers)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_lapic();
	struct ucall uc;

	vcpu = vm_vcpu_add(vm, 0, guest_xapic_registers);
	uc = run_sync(vcpu);
	EXPECT_EQ(0x50014, uc.args[0] & 0xff00ff);
	run_done(vcpu);
	vm_free(vm);
}

/*
 * Anything but a 32-bit MOV on the APIC page: the kernel does not emulate
 * it and tells user space the GPA and RIP. The vCPU stays usable.
 */
extern char lapic_or_insn[], lapic_or_end[], lapic_mov16_insn[],
	    lapic_mov16_end[], lapic_mov64_insn[], lapic_mov64_end[];

static void guest_unemulated_access(void)
{
	uint64_t v = 0;

	/* A read-modify-write, as "apic->svr |= ENABLE" might compile to. */
	asm volatile("lapic_or_insn: orl $0x100, (%0)\n"
		     "lapic_or_end:"
		     :: "r"(APIC_GPA + APIC_SVR) : "memory");
	/* User space skipped it: SVR is unchanged. */
	GUEST_ASSERT_EQ(apic_read(APIC_SVR), 0xff);
	/* 16-bit (0x66) and 64-bit (REX.W) operands. */
	asm volatile("lapic_mov16_insn: movw %w0, (%1)\n"
		     "lapic_mov16_end:"
		     :: "r"(0x77), "r"(APIC_GPA + APIC_TPR) : "memory");
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0);
	asm volatile("lapic_mov64_insn: movq (%1), %0\n"
		     "lapic_mov64_end:"
		     : "+r"(v) : "r"(APIC_GPA + APIC_LVR) : "memory");
	GUEST_ASSERT_EQ(v, 0);
	/* Plain MOVs still work afterwards. */
	apic_write(APIC_TPR, 0x20);
	GUEST_ASSERT_EQ(apic_read(APIC_TPR), 0x20);
}

static void expect_lapic_access(struct __test_metadata *_metadata,
				struct vmw86_vcpu *vcpu, uint64_t gpa,
				char *insn, char *end)
{
	struct vmw86_run *run = vcpu->run;

	run_timed(vcpu);
	ASSERT_EQ(VMW86_EXIT_INTERNAL_ERROR, run->exit_reason) {
		TH_LOG("%s", vcpu_exit_str(vcpu));
	}
	EXPECT_EQ(VMW86_INTERNAL_ERROR_LAPIC_ACCESS, run->internal.suberror);
	EXPECT_EQ(2, run->internal.ndata);
	EXPECT_EQ(gpa, run->internal.data[0]);
	EXPECT_EQ((uint64_t)insn, run->internal.data[1]);
	/* Nothing executed: RIP is at the instruction. */
	EXPECT_EQ((uint64_t)insn, run->regs.rip);
	/* Skip it, as a VMM that gives up on the instruction would. */
	run->regs.rip = (uint64_t)end;
	run->regs_dirty = 1;
}

TEST(unemulated_access_exits)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_lapic();

	vcpu = vm_vcpu_add(vm, 0, guest_unemulated_access);
	expect_lapic_access(_metadata, vcpu, APIC_GPA + APIC_SVR,
			    lapic_or_insn, lapic_or_end);
	expect_lapic_access(_metadata, vcpu, APIC_GPA + APIC_TPR,
			    lapic_mov16_insn, lapic_mov16_end);
	expect_lapic_access(_metadata, vcpu, APIC_GPA + APIC_LVR,
			    lapic_mov64_insn, lapic_mov64_end);
	run_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * The timer
 */

#define ONESHOT_MS	10

static void guest_oneshot(uint64_t count, uint64_t tsc_ms)
{
	uint32_t c1, c2;
	uint64_t hlts = 0;

	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_TDCR, TDCR_DIV_1);
	apic_write(APIC_LVTT, TIMER_VECTOR);	/* one-shot, unmasked */
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
	apic_write(APIC_TMICT, count);
	/* Counting down while armed (SDM 10.5.4). */
	c1 = apic_read(APIC_TMCCT);
	c2 = apic_read(APIC_TMCCT);
	GUEST_ASSERT(c1 > 0 && c1 <= count);
	GUEST_ASSERT(c2 < c1);
	GUEST_ASSERT_EQ(irq_count, 0);

	/* One HLT, woken by the timer, with no exit to user space. */
	while (!irq_count) {
		hlts++;
		safe_halt();
	}
	GUEST_ASSERT_EQ(hlts, 1);
	GUEST_ASSERT_EQ(irq_log[0], TIMER_VECTOR);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMICT), count);
	GUEST_ASSERT(!apic_vec_set(APIC_ISR, TIMER_VECTOR));
	GUEST_SYNC(irq_count);

	/* One-shot: nothing more in twice the period. */
	asm volatile("sti" ::: "memory");
	spin_tsc(2 * ONESHOT_MS * tsc_ms);
	asm volatile("cli" ::: "memory");
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
}

TEST(timer_oneshot)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_lapic();
	uint64_t ns;
	struct ucall uc;

	vcpu = vm_vcpu_add(vm, 0, guest_oneshot);
	vm_install_exception_handler(vm, TIMER_VECTOR, irq_handler);
	/* Divide by 1 of the 1 GHz timer clock: one count per ns. */
	vcpu_args_set(vcpu, 2, ONESHOT_MS * 1000000ULL, tsc_per_ms());
	ns = run_timed(vcpu);
	/* Any HLT exit or other ucall would show here instead. */
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_LE(ONESHOT_MS * 1000000ULL, ns);
	run_done(vcpu);
	vm_free(vm);
}

#define PERIOD_MS	2
#define TICKS		5

static void guest_periodic(uint64_t count, uint64_t tsc_ms)
{
	uint64_t n;

	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_TDCR, TDCR_DIV_16);
	apic_write(APIC_LVTT, LVTT_PERIODIC | TIMER_VECTOR);
	apic_write(APIC_TMICT, count);
	while (irq_count < TICKS)
		safe_halt();
	GUEST_SYNC(irq_count);

	/* Periodic: the count reloads, the timer is still armed. */
	GUEST_ASSERT(apic_read(APIC_TMCCT) != 0);
	/* Masked, it counts on but interrupts no more (10.5.1). */
	apic_write(APIC_LVTT, LVT_MASKED | LVTT_PERIODIC | TIMER_VECTOR);
	irq_window();		/* a tick already in IRR is taken */
	n = irq_count;
	asm volatile("sti" ::: "memory");
	spin_tsc(3 * PERIOD_MS * tsc_ms);
	asm volatile("cli" ::: "memory");
	GUEST_ASSERT_EQ(irq_count, n);
	GUEST_ASSERT(apic_read(APIC_TMCCT) != 0);
	/* An initial count of 0 stops it (10.5.4). */
	apic_write(APIC_TMICT, 0);
	GUEST_ASSERT_EQ(apic_read(APIC_TMCCT), 0);
}

TEST(timer_periodic)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_lapic();
	uint64_t ns;
	struct ucall uc;

	vcpu = vm_vcpu_add(vm, 0, guest_periodic);
	vm_install_exception_handler(vm, TIMER_VECTOR, irq_handler);
	/* Divide by 16: 2 ms is 125000 counts. */
	vcpu_args_set(vcpu, 2, PERIOD_MS * 1000000ULL / 16, tsc_per_ms());
	ns = run_timed(vcpu);
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	/*
	 * At least TICKS: under a slow host two ticks can both be pending when
	 * the guest's STI opens the window, and both are taken in one loop.
	 */
	EXPECT_LE(TICKS, uc.args[0]);
	EXPECT_GE(TICKS + 1, uc.args[0]);
	/* The fifth tick is five periods after the initial count was set. */
	EXPECT_LE(TICKS * PERIOD_MS * 1000000ULL, ns);
	EXPECT_GT(5000000000ULL, ns);
	run_done(vcpu);
	vm_free(vm);
}

#define DEADLINE_MS	50	/* far enough that the read-back still finds it armed */

static void guest_tsc_deadline(uint64_t tsc_ms)
{
	uint32_t eax, ebx, ecx, edx;
	uint64_t deadline, t0;

	cpuid_count(1, 0, &eax, &ebx, &ecx, &edx);
	GUEST_ASSERT(ecx & CPUID_1_ECX_TSC_DEADLINE);
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_LVTT, LVTT_TSC_DEADLINE | TIMER_VECTOR);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);

	/* Fires when the TSC reaches the deadline, not before (10.5.4.1). */
	deadline = rdtsc() + DEADLINE_MS * tsc_ms;
	wrmsr(MSR_IA32_TSC_DEADLINE, deadline);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), deadline);
	/* The initial count is ignored in this mode. */
	apic_write(APIC_TMICT, 1000);
	GUEST_ASSERT_EQ(apic_read(APIC_TMICT), 0);
	while (!irq_count)
		safe_halt();
	GUEST_ASSERT_EQ(irq_log[0], TIMER_VECTOR);
	GUEST_ASSERT(irq_tsc >= deadline);
	/* The MSR reads 0 once the timer fired. */
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);

	/* A deadline in the past fires at once. */
	t0 = rdtsc();
	wrmsr(MSR_IA32_TSC_DEADLINE, 1);
	while (irq_count < 2)
		safe_halt();
	GUEST_ASSERT(irq_tsc - t0 < 100 * tsc_ms);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);

	/* Writing 0 disarms it. */
	wrmsr(MSR_IA32_TSC_DEADLINE, rdtsc() + DEADLINE_MS * tsc_ms);
	wrmsr(MSR_IA32_TSC_DEADLINE, 0);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_TSC_DEADLINE), 0);
	asm volatile("sti" ::: "memory");
	spin_tsc(2 * DEADLINE_MS * tsc_ms);
	asm volatile("cli" ::: "memory");
	GUEST_ASSERT_EQ(irq_count, 2);
}

TEST(timer_tsc_deadline)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_lapic();

	vcpu = vm_vcpu_add(vm, 0, guest_tsc_deadline);
	vm_install_exception_handler(vm, TIMER_VECTOR, irq_handler);
	vcpu_args_set(vcpu, 1, tsc_per_ms());
	run_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * x2APIC
 */

extern char x2apic_mmio_insn[];

static void guest_x2apic(void)
{
	uint64_t base = APIC_GPA | APICBASE_EN | APICBASE_BSP;
	uint32_t eax, ebx, ecx, edx;
	uint64_t v = APIC_GPA + APIC_ID;

	cpuid_count(1, 0, &eax, &ebx, &ecx, &edx);
	GUEST_ASSERT(ecx & CPUID_1_ECX_X2APIC);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), base);
	/* x2APIC MSRs #GP outside x2APIC mode (SDM 10.12.1.2). */
	(void)rdmsr(X2APIC_MSR(APIC_ID));
	GUEST_ASSERT_EQ(gp_count, 1);

	wrmsr(MSR_IA32_APICBASE, base | APICBASE_EXTD);
	GUEST_ASSERT_EQ(gp_count, 1);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), base | APICBASE_EXTD);
	/* The 32-bit ID is the vCPU's; the LDR derives from it (10.12.10.2). */
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_ID)), 0);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LDR)), 1);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_LVR)) & 0xff00ff, 0x50014);
	GUEST_ASSERT_EQ(rdmsr(X2APIC_MSR(APIC_SVR)), 0xff);
	/* EOI is write-only, LDR read-only (10.12.1.2, table 10-6). */
	(void)rdmsr(X2APIC_MSR(APIC_EOI));
	GUEST_ASSERT_EQ(gp_count, 2);
	wrmsr(X2APIC_MSR(APIC_LDR), 5);
	GUEST_ASSERT_EQ(gp_count, 3);

	/* Self IPI through the SELF IPI MSR and through the 64-bit ICR. */
	x2apic_eoi = 1;
	wrmsr(X2APIC_MSR(APIC_SVR), SVR_ENABLE | SPURIOUS_VECTOR);
	wrmsr(X2APIC_SELF_IPI, 0x66);
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_log[0], 0x66);
	wrmsr(X2APIC_MSR(APIC_ICR), (0ULL << 32) | ICR_FIXED | 0x67);
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_log[1], 0x67);

	/* The xAPIC page is gone: an ordinary MMIO access for user space. */
	asm volatile("x2apic_mmio_insn: .byte 0x8b, 0x00"	/* mov (%rax), %eax */
		     : "+a"(v) :: "memory");
	GUEST_ASSERT_EQ(v, 0xdeadbeef);

	/* x2APIC to xAPIC directly is invalid (10.12.5, figure 10-27)... */
	wrmsr(MSR_IA32_APICBASE, base);
	GUEST_ASSERT_EQ(gp_count, 4);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), base | APICBASE_EXTD);
	/* ...it goes through disabled, which resets the APIC. */
	wrmsr(MSR_IA32_APICBASE, base & ~APICBASE_EN);
	GUEST_ASSERT_EQ(gp_count, 4);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), APIC_GPA | APICBASE_BSP);
	(void)rdmsr(X2APIC_MSR(APIC_ID));
	GUEST_ASSERT_EQ(gp_count, 5);
	/* EXTD without EN is invalid. */
	wrmsr(MSR_IA32_APICBASE, APIC_GPA | APICBASE_EXTD);
	GUEST_ASSERT_EQ(gp_count, 6);
	x2apic_eoi = 0;
	wrmsr(MSR_IA32_APICBASE, base);
	GUEST_ASSERT_EQ(gp_count, 6);
	GUEST_ASSERT_EQ(apic_read(APIC_SVR), 0xff);
	GUEST_ASSERT_EQ(apic_read(APIC_ID), 0);
}

TEST(x2apic)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_run *run;

	vcpu = vm_vcpu_add(vm, 0, guest_x2apic);
	run = vcpu->run;
	vm_install_exception_handler(vm, GP_VECTOR, gp_skip_msr);
	vm_install_exception_handler(vm, 0x66, irq_handler);
	vm_install_exception_handler(vm, 0x67, irq_handler);

	run_timed(vcpu);
	ASSERT_EQ(VMW86_EXIT_MMIO, run->exit_reason) {
		TH_LOG("%s", vcpu_exit_str(vcpu));
	}
	EXPECT_EQ(APIC_GPA + APIC_ID, run->mmio.gpa);
	EXPECT_EQ(0, run->mmio.flags);
	EXPECT_EQ((uint64_t)x2apic_mmio_insn, run->regs.rip);
	run->regs.rax = 0xdeadbeef;
	run->regs.rip += 2;
	run->regs_dirty = 1;
	run_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * MSIs: waking a halted vCPU, and TPR masking
 */

static void guest_msi(void)
{
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	GUEST_SYNC(0);
	while (!irq_count)
		safe_halt();
	GUEST_SYNC2(irq_count, irq_log[0]);

	/* Class 5: 0x45 must wait, 0x61 may come (SDM 10.8.3.1). */
	apic_write(APIC_TPR, 0x50);
	GUEST_SYNC(1);
	while (irq_count < 2)
		safe_halt();
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_log[1], 0x61);
	GUEST_ASSERT(apic_vec_set(APIC_IRR, 0x45));
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 2);
	/* Lowering TPR lets it through. */
	apic_write(APIC_TPR, 0);
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 3);
	GUEST_ASSERT_EQ(irq_log[2], 0x45);
	GUEST_ASSERT(!apic_vec_set(APIC_IRR, 0x45));
	GUEST_ASSERT(!apic_vec_set(APIC_ISR, 0x45));
}

TEST(msi_wakes_halted_vcpu)
{
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_msi);
	struct runner r;
	struct ucall uc;
	uint64_t sent;

	vm_install_exception_handler(vm, 0x40, irq_handler);
	vm_install_exception_handler(vm, 0x45, irq_handler);
	vm_install_exception_handler(vm, 0x61, irq_handler);
	uc = run_sync(vcpu);
	ASSERT_EQ(0, uc.args[0]);

	/* The vCPU thread sleeps in HLT until this thread's MSI. */
	runner_start(&r, vcpu);
	usleep(50 * 1000);
	EXPECT_FALSE(runner_done(&r));
	sent = now_ns();
	EXPECT_EQ(1, signal_msi(vm, 0, 0x40));
	runner_finish(&r);
	EXPECT_LE(sent, r.end_ns);
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(0x40, uc.args[1]);

	uc = run_sync(vcpu);
	ASSERT_EQ(1, uc.args[0]);
	runner_start(&r, vcpu);
	usleep(20 * 1000);
	/* Accepted into IRR, but below TPR: no wake-up. */
	EXPECT_EQ(1, signal_msi(vm, 0, 0x45));
	usleep(50 * 1000);
	EXPECT_FALSE(runner_done(&r));
	EXPECT_EQ(1, signal_msi(vm, 0, 0x61));
	runner_finish(&r);
	ASSERT_EQ(UCALL_DONE, vcpu_check_ucall(vcpu, &uc));
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Priority and EOI
 */

static volatile uint32_t prio_ppr[4];
static volatile uint32_t prio_isr[4];	/* bit 0: 0x41, 1: 0x92, 2: 0x35 */
static volatile uint32_t prio_irr[4];
static volatile uint64_t prio_nest;

static uint32_t vec_bits(uint32_t base)
{
	return apic_vec_set(base, 0x41) | apic_vec_set(base, 0x92) << 1 |
	       apic_vec_set(base, 0x35) << 2;
}

static void prio_handler(struct ex_regs *regs)
{
	uint64_t n = irq_count;

	if (n < ARRAY_SIZE(prio_ppr)) {
		prio_ppr[n] = apic_read(APIC_PPR);
		prio_isr[n] = vec_bits(APIC_ISR);
		prio_irr[n] = vec_bits(APIC_IRR);
	}
	irq_log[n] = regs->vector;
	irq_count = n + 1;
	/*
	 * Second round: inside 0x41, a higher class (0x92) preempts when
	 * interrupts are enabled, a lower one (0x35) waits for the EOI.
	 */
	if (prio_nest && regs->vector == 0x41) {
		apic_write(APIC_ICR, ICR_SELF | 0x35);
		apic_write(APIC_ICR, ICR_SELF | 0x92);
		irq_window();
		prio_nest = irq_count;
	}
	apic_write(APIC_EOI, 0);
}

static void guest_priority(void)
{
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	/* Both pending while IF = 0; the higher vector goes first (10.8.3). */
	apic_write(APIC_ICR, ICR_SELF | 0x41);
	apic_write(APIC_ICR, ICR_SELF | 0x92);
	GUEST_ASSERT_EQ(vec_bits(APIC_IRR), 3);
	GUEST_ASSERT_EQ(vec_bits(APIC_ISR), 0);
	GUEST_ASSERT_EQ(irq_count, 0);
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_log[0], 0x92);
	GUEST_ASSERT_EQ(irq_log[1], 0x41);
	/* In 0x92: it is in service, 0x41 still requested, PPR its class. */
	GUEST_ASSERT_EQ(prio_isr[0], 2);
	GUEST_ASSERT_EQ(prio_irr[0], 1);
	GUEST_ASSERT_EQ(prio_ppr[0], 0x90);
	/* In 0x41: the EOI of 0x92 cleared it. */
	GUEST_ASSERT_EQ(prio_isr[1], 1);
	GUEST_ASSERT_EQ(prio_irr[1], 0);
	GUEST_ASSERT_EQ(prio_ppr[1], 0x40);
	GUEST_ASSERT_EQ(vec_bits(APIC_ISR), 0);
	GUEST_ASSERT_EQ(apic_read(APIC_PPR), 0);

	irq_count = 0;
	prio_nest = 1;
	apic_write(APIC_ICR, ICR_SELF | 0x41);
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 3);
	/* 0x92 nested in 0x41; 0x35 only after 0x41's EOI. */
	GUEST_ASSERT_EQ(prio_nest, 2);
	GUEST_ASSERT_EQ(irq_log[0], 0x41);
	GUEST_ASSERT_EQ(irq_log[1], 0x92);
	GUEST_ASSERT_EQ(irq_log[2], 0x35);
	/* In the nested 0x92 both are in service, 0x35 waits. */
	GUEST_ASSERT_EQ(prio_isr[1], 3);
	GUEST_ASSERT_EQ(prio_irr[1], 4);
	GUEST_ASSERT_EQ(prio_ppr[1], 0x90);
	GUEST_ASSERT_EQ(prio_isr[2], 4);
	GUEST_ASSERT_EQ(vec_bits(APIC_ISR), 0);
}

TEST(priority_and_eoi)
{
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_priority);

	vm_install_exception_handler(vm, 0x35, prio_handler);
	vm_install_exception_handler(vm, 0x41, prio_handler);
	vm_install_exception_handler(vm, 0x92, prio_handler);
	run_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * A signal ends the in-kernel HLT
 */

extern char halt_insn_end[];

static void guest_halt_forever(void)
{
	/* IF = 1 and nothing can come: only a signal ends this. */
	asm volatile("sti; hlt\n"
		     "halt_insn_end: cli" ::: "memory");
	GUEST_SYNC(0x5167);
}

TEST(signal_interrupts_halt)
{
	struct itimerval it = { .it_value = { .tv_usec = 100 * 1000 } };
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_halt_forever);
	uint64_t t0;

	install_signal(SIGALRM);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	t0 = now_ns();
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EINTR, errno);
	EXPECT_EQ(VMW86_EXIT_INTR, vcpu->run->exit_reason);
	/* It slept until the signal, not an exit per HLT. */
	EXPECT_LE(90 * 1000000ULL, now_ns() - t0);
	/* Past the HLT, as after a spurious wake-up. */
	EXPECT_EQ((uint64_t)halt_insn_end, vcpu->run->regs.rip);
	EXPECT_EQ(1, vcpu->run->if_flag);
	/* Run again: the guest goes on after its HLT. */
	ASSERT_EQ(0x5167, run_sync(vcpu).args[0]);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * SMP bring-up: INIT, STARTUP, and IPIs between vCPUs
 */

#define AP_VECTOR	(LOW_BLOB_GPA >> 12)	/* STARTUP vector 8: 0x8000 */
#define AP_VECTOR2	(AP_VECTOR + 1)

/* Real-mode AP code: report CS, then halt with interrupts disabled. */
extern char ap_blob[], ap_blob_out_end[], ap_blob_end[];
asm(
	".pushsection .text\n"
	".code16\n"
	"ap_blob:\n"
	"	mov $0x2000, %dx\n"
	"	mov %cs, %ax\n"
	"	out %ax, %dx\n"
	"ap_blob_out_end:\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	"ap_blob_end:\n"
	".code64\n"
	".popsection\n");

static void guest_bsp(void)
{
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	/* INIT assert, then de-assert (which does nothing), SDM 8.4.4.1. */
	apic_send_ipi(1, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	apic_send_ipi(1, ICR_INIT | ICR_LEVEL);
	GUEST_ASSERT(!(apic_read(APIC_ICR) & ICR_BUSY));
	GUEST_SYNC(1);
	apic_send_ipi(1, ICR_STARTUP | AP_VECTOR);
	GUEST_SYNC(2);
	/* Fixed IPIs: physical, logical (flat), all-but-self (10.6.2). */
	apic_send_ipi(1, ICR_FIXED | 0x51);
	GUEST_SYNC(3);
	apic_send_ipi(0x02, ICR_LOGICAL | ICR_FIXED | 0x52);
	GUEST_SYNC(4);
	apic_write(APIC_ICR, ICR_ALL_BUT_SELF | ICR_FIXED | 0x53);
	GUEST_ASSERT(!apic_vec_set(APIC_IRR, 0x53));
	GUEST_SYNC(5);
	/* INIT puts a running AP back into wait-for-SIPI. */
	apic_send_ipi(1, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	GUEST_SYNC(6);
	apic_send_ipi(1, ICR_STARTUP | AP_VECTOR2);
	GUEST_SYNC(7);
}

static void ap_handler(struct ex_regs *regs)
{
	irq_count++;
	apic_write(APIC_EOI, 0);
	GUEST_SYNC2(regs->vector, irq_count);
}

static void guest_ap(uint64_t id)
{
	uint32_t eax, ebx, ecx, edx;

	GUEST_ASSERT_EQ(id, 1);
	cpuid_count(1, 0, &eax, &ebx, &ecx, &edx);
	GUEST_ASSERT_EQ(ebx >> 24, 1);
	GUEST_ASSERT_EQ(apic_read(APIC_ID), 1u << 24);
	GUEST_ASSERT_EQ(rdmsr(MSR_IA32_APICBASE), APIC_GPA | APICBASE_EN);
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	apic_write(APIC_LDR, 0x02u << 24);
	GUEST_SYNC(0xa9);
	for (;;)
		safe_halt();
}

/* The AP's real-mode start at @vector: CS = vector << 8, IP = 0. */
static void expect_ap_started(struct __test_metadata *_metadata,
			      struct vmw86_vcpu *ap, uint8_t vector)
{
	struct vmw86_sregs sregs;

	EXPECT_EQ(vector << 8, vcpu_expect_out(ap, REPORT_PORT, 2));
	EXPECT_EQ(ap_blob_out_end - ap_blob, ap->run->regs.rip);
	vcpu_sregs_get(ap, &sregs);
	EXPECT_EQ(vector << 8, sregs.cs.selector);
	EXPECT_EQ((uint64_t)vector << 12, sregs.cs.base);
	EXPECT_EQ(0, sregs.cr0 & X86_CR0_PE);
}

/* The AP, halted, takes the IPI the BSP sends at its step @step. */
static void expect_ipi(struct __test_metadata *_metadata,
		       struct vmw86_vcpu *bsp, struct vmw86_vcpu *ap,
		       uint64_t step, uint64_t vector, uint64_t count)
{
	struct runner r;
	struct ucall uc;

	runner_start(&r, ap);
	usleep(20 * 1000);
	EXPECT_FALSE(runner_done(&r));
	EXPECT_EQ(step, run_sync(bsp).args[0]);
	runner_finish(&r);
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(ap, &uc));
	EXPECT_EQ(vector, uc.args[0]);
	EXPECT_EQ(count, uc.args[1]);
}

TEST(smp_init_sipi_ipi)
{
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_vcpu *bsp = vm_vcpu_add(vm, 0, guest_bsp);
	struct vmw86_vcpu *ap = vm_vcpu_add_raw(vm, 1);
	struct runner r;
	uint64_t t;

	vm_load_blob(vm, AP_VECTOR << 12, ap_blob, ap_blob_end);
	vm_load_blob(vm, AP_VECTOR2 << 12, ap_blob, ap_blob_end);
	vm_install_exception_handler(vm, 0x51, ap_handler);
	vm_install_exception_handler(vm, 0x52, ap_handler);
	vm_install_exception_handler(vm, 0x53, ap_handler);

	/* An AP waits for INIT and STARTUP, in the kernel (SDM 8.4.1). */
	runner_start(&r, ap);
	usleep(100 * 1000);
	EXPECT_FALSE(runner_done(&r));
	EXPECT_EQ(1, run_sync(bsp).args[0]);
	usleep(50 * 1000);
	EXPECT_FALSE(runner_done(&r));	/* INIT alone starts nothing */
	t = now_ns();
	EXPECT_EQ(2, run_sync(bsp).args[0]);
	runner_finish(&r);
	EXPECT_LE(t, r.end_ns);
	expect_ap_started(_metadata, ap, AP_VECTOR);

	/* Now a 64-bit AP, which user space may set up once it runs. */
	vcpu_setup_long_mode(ap);
	vcpu_set_entry(ap, guest_ap);
	EXPECT_EQ(0xa9, run_sync(ap).args[0]);
	expect_ipi(_metadata, bsp, ap, 3, 0x51, 1);
	expect_ipi(_metadata, bsp, ap, 4, 0x52, 2);
	expect_ipi(_metadata, bsp, ap, 5, 0x53, 3);

	/* INIT again: the halted AP sleeps on until the next STARTUP. */
	runner_start(&r, ap);
	EXPECT_EQ(6, run_sync(bsp).args[0]);
	usleep(50 * 1000);
	EXPECT_FALSE(runner_done(&r));
	EXPECT_EQ(7, run_sync(bsp).args[0]);
	runner_finish(&r);
	expect_ap_started(_metadata, ap, AP_VECTOR2);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * NMI
 */

static volatile uint64_t nmi_count, nmi_nested;
static volatile uint64_t nmi_rsp[4];
static volatile uint64_t nmi_resend;

static void nmi_handler(struct ex_regs *regs)
{
	uint64_t n = nmi_count;

	if (n < ARRAY_SIZE(nmi_rsp))
		nmi_rsp[n] = regs->rsp;
	nmi_count = n + 1;
	if (nmi_resend && n == 0) {
		/* Another NMI now is held until this handler's IRET (6.7.1). */
		apic_send_ipi(0, ICR_NMI | ICR_ASSERT);
		(void)apic_read(APIC_ID);
		(void)apic_read(APIC_ID);
		nmi_nested = nmi_count;
	}
}

/* A few exits, in which a pending NMI would be injected. */
static void nmi_settle(uint64_t want)
{
	for (int i = 0; i < 20 && nmi_count < want; i++)
		(void)apic_read(APIC_ID);
}

static void guest_nmi(void)
{
	/* NMI to itself by physical ID; IF (here 0) does not matter. */
	apic_send_ipi(0, ICR_NMI | ICR_ASSERT);
	nmi_settle(1);
	(void)apic_read(APIC_ID);
	GUEST_ASSERT_EQ(nmi_count, 1);
	/* The handler's IRET ended the NMI blocking: the next one comes. */
	apic_send_ipi(0, ICR_NMI | ICR_ASSERT);
	nmi_settle(2);
	GUEST_ASSERT_EQ(nmi_count, 2);
	GUEST_SYNC(0);

	/* Halted with IF = 0: only the NMI (here an MSI) wakes it. */
	asm volatile("cli; hlt" ::: "memory");
	GUEST_ASSERT_EQ(nmi_count, 3);
}

TEST(nmi)
{
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_nmi);
	struct runner r;

	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
	EXPECT_EQ(0, run_sync(vcpu).args[0]);
	runner_start(&r, vcpu);
	usleep(50 * 1000);
	EXPECT_FALSE(runner_done(&r));
	EXPECT_EQ(1, signal_msi(vm, 0, ICR_NMI));
	runner_finish(&r);
	ASSERT_EQ(UCALL_DONE, vcpu_check_ucall(vcpu, NULL));
	vm_free(vm);
}

static void guest_nmi_in_nmi(void)
{
	nmi_resend = 1;
	apic_send_ipi(0, ICR_NMI | ICR_ASSERT);
	nmi_settle(2);
	GUEST_ASSERT_EQ(nmi_count, 2);
	GUEST_ASSERT_EQ(nmi_nested, 1);
	/*
	 * Both interrupted this function. Were the second one injected at
	 * the IRET intercept, before the IRET ran, it would interrupt the
	 * first handler's IRETQ, 40 bytes (its frame) lower on the stack.
	 */
	GUEST_ASSERT_EQ(nmi_rsp[1], nmi_rsp[0]);
}

TEST(nmi_held_until_iret)
{
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu;

	vm = vm_create_lapic();
	vcpu = vm_vcpu_add(vm, 0, guest_nmi_in_nmi);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
	run_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * The 8259's INTR line (VMW86_INTERRUPT) next to a local APIC
 */

static int queue_extint(struct vmw86_vcpu *vcpu, uint32_t vector)
{
	struct vmw86_interrupt irq = { .vector = vector };

	return ioctl(vcpu->fd, VMW86_INTERRUPT, &irq);
}

static void guest_extint(void)
{
	/* Software-disabled after reset: INTR passes (virtual wire). */
	GUEST_SYNC(0);
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 1);
	GUEST_ASSERT_EQ(irq_log[0], 0x70);
	/* Enabled, LINT0 masked: no INTR. */
	apic_write(APIC_SVR, SVR_ENABLE | SPURIOUS_VECTOR);
	GUEST_SYNC(1);
	/* LINT0 as ExtINT, unmasked (SDM 10.5.1): INTR passes again. */
	apic_write(APIC_LVT0, 7u << 8);
	GUEST_SYNC(2);
	irq_window();
	GUEST_ASSERT_EQ(irq_count, 2);
	GUEST_ASSERT_EQ(irq_log[1], 0x71);
}

TEST(extint_follows_lint0)
{
	struct vmw86_vm *vm = vm_create_lapic();
	struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_extint);

	vm_install_exception_handler(vm, 0x70, irq_handler);
	vm_install_exception_handler(vm, 0x71, irq_handler);
	ASSERT_EQ(0, run_sync(vcpu).args[0]);
	ASSERT_EQ(0, queue_extint(vcpu, 0x70));
	ASSERT_EQ(1, run_sync(vcpu).args[0]);
	EXPECT_EQ(-1, queue_extint(vcpu, 0x70));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(2, run_sync(vcpu).args[0]);
	EXPECT_EQ(0, queue_extint(vcpu, 0x71));
	run_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
