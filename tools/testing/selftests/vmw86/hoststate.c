// SPDX-License-Identifier: GPL-2.0
/*
 * hoststate: the world switch puts back every piece of host state the
 * guest can change directly, and keeps the guest's across exits.
 *
 * The guest executes with real hardware registers that VMRUN does not
 * switch: XCR0 (XSETBV), PKRU (WRPKRU), DR0-DR3 and DR7, the FPU/SSE
 * registers, TSC_AUX (which RDPID reads without any intercept). If vmw86 failed to put the host's values back, the host
 * process (or kernel) would run with the guest's: wrong XSAVE layout,
 * pages locked by protection keys, breakpoints gone, user XMM registers
 * clobbered. Each case has the guest change one of them and exit, checks
 * the host's value in this process, and has the guest check that its own
 * value survived the exit.
 */
#include <sched.h>
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define X86_CR4_PKE	(1UL << 22)

static inline uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | (uint64_t)hi << 32;
}

static inline void xsetbv0(uint64_t v)
{
	asm volatile("xsetbv" :: "a"((uint32_t)v), "d"((uint32_t)(v >> 32)),
		     "c"(0));
}

static inline uint32_t rdpkru(void)
{
	uint32_t pkru, edx;

	asm volatile("rdpkru" : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

static inline void wrpkru(uint32_t pkru)
{
	asm volatile("wrpkru" :: "a"(pkru), "c"(0), "d"(0));
}

/* XCR0 = x87 only: valid, and different from any host with SSE. */
static void guest_xcr0(void)
{
	set_cr4(get_cr4() | X86_CR4_OSXSAVE);
	xsetbv0(1);
	GUEST_SYNC(xgetbv0());
	GUEST_ASSERT_EQ(xgetbv0(), 1);
	GUEST_DONE();
}

TEST(xcr0_restored)
{
	uint32_t a, b, c, d;
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	uint64_t host_xcr0;

	cpuid_count(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID_1_ECX_OSXSAVE))
		SKIP(return, "the host does not use XSAVE");
	host_xcr0 = xgetbv0();
	ASSERT_NE(1, host_xcr0);

	vm = vm_create_with_one_vcpu(&vcpu, guest_xcr0);
	vcpu_run_expect_sync(vcpu, 1);
	EXPECT_EQ(host_xcr0, xgetbv0());
	vcpu_run_expect_done(vcpu);
	EXPECT_EQ(host_xcr0, xgetbv0());
	vm_free(vm);
}

/*
 * XCR0 = x87 | SSE, which is not the vCPU's reset value: it must reach the
 * guest's CPUID (0xD.0 EBX, the XSAVE size for the current XCR0, is 576 +
 * 0 for SSE, which lives in the legacy area) and survive an exit.
 */
static void guest_xcr0_kept(void)
{
	uint32_t a, b, c, d;

	set_cr4(get_cr4() | X86_CR4_OSXSAVE);
	xsetbv0(3);
	cpuid_count(0xd, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(b, 576);
	GUEST_SYNC(xgetbv0());
	GUEST_ASSERT_EQ(xgetbv0(), 3);
	if (a & 4) {		/* AVX: its state adds a component */
		xsetbv0(7);
		cpuid_count(0xd, 0, &a, &b, &c, &d);
		GUEST_SYNC(b);
		GUEST_ASSERT_EQ(xgetbv0(), 7);
	}
	GUEST_DONE();
}

TEST(xcr0_reaches_guest_cpuid_and_survives_exits)
{
	uint32_t a, b, c, d, avx_off, avx_size;
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	struct ucall uc;

	cpuid_count(1, 0, &a, &b, &c, &d);
	if (!(c & CPUID_1_ECX_OSXSAVE))
		SKIP(return, "the host does not use XSAVE");
	vm = vm_create_with_one_vcpu(&vcpu, guest_xcr0_kept);
	vcpu_run_expect_sync(vcpu, 3);
	if (vcpu_run_ucall(vcpu, &uc) == UCALL_SYNC) {
		cpuid_count(0xd, 2, &avx_size, &avx_off, &c, &d);
		EXPECT_EQ(avx_off + avx_size, uc.args[0]);
		vcpu_run_expect_done(vcpu);
	} else {
		EXPECT_EQ(UCALL_DONE, uc.cmd);
	}
	vm_free(vm);
}

#define GUEST_PKRU	0x12345678u

static void guest_pkru(void)
{
	set_cr4(get_cr4() | X86_CR4_PKE);
	wrpkru(GUEST_PKRU);
	GUEST_SYNC(rdpkru());
	GUEST_ASSERT_EQ(rdpkru(), GUEST_PKRU);
	GUEST_DONE();
}

TEST(pkru_restored)
{
	uint32_t a, b, c, d;
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	uint32_t host_pkru;

	cpuid_count(7, 0, &a, &b, &c, &d);
	if (!(c & (1u << 4)))	/* OSPKE */
		SKIP(return, "the host does not use protection keys");
	host_pkru = rdpkru();
	ASSERT_NE(GUEST_PKRU, host_pkru);

	vm = vm_create_with_one_vcpu(&vcpu, guest_pkru);
	vcpu_run_expect_sync(vcpu, GUEST_PKRU);
	EXPECT_EQ(host_pkru, rdpkru());
	vcpu_run_expect_done(vcpu);
	EXPECT_EQ(host_pkru, rdpkru());
	vm_free(vm);
}

#define GUEST_TSC_AUX	0xabcULL
#define MSR_TSC_AUX_NR	0xc0000103
#define CPUID7_ECX_RDPID	(1u << 22)

static void guest_tsc_aux(void)
{
	uint32_t a, b, c, d;
	uint64_t aux;

	wrmsr(MSR_TSC_AUX_NR, GUEST_TSC_AUX);
	asm volatile("rdtscp" : "=a"(a), "=d"(d), "=c"(c));
	GUEST_ASSERT_EQ(c, GUEST_TSC_AUX);
	cpuid_count(7, 0, &a, &b, &c, &d);
	if (c & CPUID7_ECX_RDPID) {
		/* RDPID reads the MSR itself: only the world switch helps. */
		asm volatile("rdpid %0" : "=r"(aux));
		GUEST_ASSERT_EQ(aux, GUEST_TSC_AUX);
		GUEST_SYNC(1);
	}
	GUEST_SYNC(0);
}

/* Linux keeps (node << 12) | cpu in TSC_AUX for RDPID and getcpu(). */
static unsigned int host_tsc_aux_cpu(void)
{
	uint32_t a, d, c;

	asm volatile("rdtscp" : "=a"(a), "=d"(d), "=c"(c));
	return c & 0xfff;
}

TEST(guest_tsc_aux_is_its_own)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	struct ucall uc;
	cpu_set_t set;
	int cpu = sched_getcpu();

	/* Pinned, so that the host's value is known before and after. */
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	ASSERT_EQ(cpu, host_tsc_aux_cpu());

	vm = vm_create_with_one_vcpu(&vcpu, guest_tsc_aux);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	if (!uc.args[0])
		TH_LOG("no RDPID in this CPU: RDTSCP and the host side only");
	EXPECT_EQ(cpu, host_tsc_aux_cpu());
	vm_free(vm);
}

#define HOST_XMM	0x1111222233334444ULL
#define GUEST_XMM	0x5555666677778888ULL

static void guest_xmm(void)
{
	uint64_t v;

	asm volatile("movq %0, %%xmm7" :: "r"(GUEST_XMM) : "xmm7");
	GUEST_SYNC(0);
	asm volatile("movq %%xmm7, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, GUEST_XMM);
	GUEST_DONE();
}

/*
 * VMW86_RUN as a raw system call inside one asm block, so that nothing
 * between loading XMM7 and reading it back can touch it but the kernel.
 */
static long run_keeping_xmm7(int fd, uint64_t *xmm7)
{
	long ret = SYS_ioctl;
	uint64_t out;

	asm volatile("movq %[pat], %%xmm7\n\t"
		     "syscall\n\t"
		     "movq %%xmm7, %[out]"
		     : [out] "=r"(out), "+a"(ret)
		     : [pat] "r"(HOST_XMM), "D"((long)fd),
		       "S"((long)VMW86_RUN), "d"(0L)
		     : "rcx", "r11", "xmm7", "memory");
	*xmm7 = out;
	return ret;
}

TEST(fpu_registers_kept_apart)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_xmm);
	struct ucall uc;
	uint64_t xmm7;

	ASSERT_EQ(0, run_keeping_xmm7(vcpu->fd, &xmm7));
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	EXPECT_EQ(HOST_XMM, xmm7);
	ASSERT_EQ(0, run_keeping_xmm7(vcpu->fd, &xmm7));
	EXPECT_EQ(UCALL_DONE, vcpu_check_ucall(vcpu, &uc));
	EXPECT_EQ(HOST_XMM, xmm7);
	vm_free(vm);
}

/* The guest loads DR0-DR3 (and, if @arm, a DR7 breakpoint on DR0). */
static void guest_debug_regs(uint64_t arm)
{
	uint64_t dr[4];

	asm volatile("mov %0, %%dr0" :: "r"(0x1000UL));
	asm volatile("mov %0, %%dr1" :: "r"(0x2000UL));
	asm volatile("mov %0, %%dr2" :: "r"(0x3000UL));
	asm volatile("mov %0, %%dr3" :: "r"(0x4000UL));
	/* An execution breakpoint at an address never run. */
	if (arm)
		asm volatile("mov %0, %%dr7" :: "r"(0x401UL));
	GUEST_SYNC(0);
	asm volatile("mov %%dr0, %0" : "=r"(dr[0]));
	asm volatile("mov %%dr1, %0" : "=r"(dr[1]));
	asm volatile("mov %%dr2, %0" : "=r"(dr[2]));
	asm volatile("mov %%dr3, %0" : "=r"(dr[3]));
	GUEST_ASSERT_EQ(dr[0], 0x1000);
	GUEST_ASSERT_EQ(dr[1], 0x2000);
	GUEST_ASSERT_EQ(dr[2], 0x3000);
	GUEST_ASSERT_EQ(dr[3], 0x4000);
	GUEST_DONE();
}

/* The guest's debug registers, armed, survive exits to user space. */
TEST(guest_debug_registers_survive_exits)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_debug_regs);

	vcpu_args_set(vcpu, 1, 1UL);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static volatile uint64_t watched;

/* A hardware write breakpoint on @watched, counted by perf. */
static int watch(void)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_BREAKPOINT,
		.size = sizeof(attr),
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (uint64_t)&watched,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};

	return syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
}

static uint64_t hits(int fd)
{
	uint64_t n = 0;

	return read(fd, &n, sizeof(n)) == sizeof(n) ? n : ~0ULL;
}

/*
 * The host's hardware breakpoint is back in force after the guest loaded
 * DR0-DR3 and armed a breakpoint of its own in DR7. Under Debian's QEMU 7.2
 * the host's next DR7 write after such a guest crashed QEMU itself: its
 * SVM assigned DR7 at VMRUN/#VMEXIT without its breakpoint bookkeeping
 * (the project's QEMU has patch 0005 for it).
 */
TEST(host_breakpoint_survives_guest_debug_registers)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	int bp = watch();

	if (bp < 0)
		SKIP(return, "no hardware breakpoints here (errno %d)", errno);
	watched = 1;
	if (hits(bp) != 1) {
		close(bp);
		SKIP(return, "hardware breakpoints do not fire here");
	}

	/* The guest loads its own DR0-DR3 and DR7 into the hardware... */
	vm = vm_create_with_one_vcpu(&vcpu, guest_debug_regs);
	vcpu_args_set(vcpu, 1, 1UL);
	vcpu_run_expect_sync(vcpu, 0);
	/* ...and the host's breakpoint must be back in force. */
	watched = 2;
	EXPECT_EQ(2, hits(bp));
	vcpu_run_expect_done(vcpu);
	watched = 3;
	EXPECT_EQ(3, hits(bp));
	close(bp);
	vm_free(vm);
}

TEST_HARNESS_MAIN
