// SPDX-License-Identifier: GPL-2.0
/*
 * hostile: a guest that does everything it can to hurt its host ends every
 * time in the exit api.rst documents, and the host stays healthy.
 *
 * A hypervisor is only as good as its worst guest. Each case drives one
 * kind of abuse across its whole range, not a sample of two or three
 * values, because the bugs that matter sit at the edges:
 *
 * - RDMSR/WRMSR of every MSR in the three ranges the MSR permission map
 *   covers (and a sample outside them): exactly the MSRs api.rst says a
 *   vCPU keeps work (INT_PENDING_MSG read-only), every other one raises
 *   #GP in the guest. One MSR let
 *   through reads or writes the host's register.
 * - IN/OUT on every port 0-0xffff: each one exits to user space with its
 *   port and size; a port the I/O permission map lets through touches
 *   host hardware.
 * - A byte read from every GiB of the guest physical address space up to
 *   VMW86_CAP_GUEST_PHYS_BITS, through guest page tables built for it,
 *   plus the last byte below the limit: each is an MMIO exit with the
 *   exact GPA; a GPA at or beyond the width is a guest #PF (reserved bit),
 *   never a host fault.
 * - Guest page tables that loop back on themselves (legal, and used by
 *   real kernels) work as on hardware; a table outside guest RAM makes the
 *   walk itself fault, which is an MMIO exit for the table's GPA, and the
 *   walk succeeds once user space puts RAM there.
 * - Storms: tens of thousands of #UD, #GP, #DE and #BP through the guest's
 *   own IDT; 1000 injected interrupts, each acknowledged by the guest.
 * - Self-modifying code, written by the guest and by the host between
 *   runs: the guest always executes the newest bytes.
 * - A triple fault in real mode, 32-bit protected mode and long mode:
 *   VMW86_EXIT_SHUTDOWN, and the vCPU runs again once its state is set.
 * - Four vCPUs of one VM hammering one page with locked increments and
 *   plain stores while the host drops another page of the same slot with
 *   MADV_DONTNEED, next to a second VM that must not notice.
 * - A guest TSC set far from the host's leaves the host's TSC alone, and a
 *   guest spinning with RFLAGS.IF clear is still interrupted by the host.
 *
 * After the big sweeps the host process checks it still works (a system
 * call, /proc/self/stat); the harness checks the kernel log and unloads
 * the module after the binary.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define REPORT_PORT	0x2000
#define ACK_PORT	0x3000

#define PTE_P		(1UL << 0)
#define PTE_RW		(1UL << 1)
#define PTE_A		(1UL << 5)
#define PTE_PS		(1UL << 7)
#define PTE_ADDR	0x000ffffffffff000UL

#define PF_RSVD		(1UL << 3)

/* Counts for the summary line, shared with the harness's forked children. */
struct hostile_stats {
	uint64_t msrs, msr_gp, ports, io_exits, gpa_probes, mmio_exits;
	uint64_t exceptions, irqs, smc, shutdowns, racer_incs;
};

static struct hostile_stats *stats;
static pid_t main_pid;

static void __attribute__((constructor)) stats_init(void)
{
	stats = alloc_shared(sizeof(*stats));
	main_pid = getpid();
}

static void __attribute__((destructor)) stats_print(void)
{
	if (!stats || getpid() != main_pid)
		return;
	printf("# hostile: MSRs %lu (guest #GP %lu), ports %lu (I/O exits %lu), "
	       "GPA probes %lu (MMIO exits %lu), guest exceptions %lu, "
	       "interrupts %lu, SMC rounds %lu, shutdowns %lu, locked incs %lu\n",
	       stats->msrs, stats->msr_gp, stats->ports, stats->io_exits,
	       stats->gpa_probes, stats->mmio_exits, stats->exceptions,
	       stats->irqs, stats->smc, stats->shutdowns, stats->racer_incs);
	fflush(stdout);
}

#define STAT_ADD(field, n)						\
	do {								\
		if (stats)						\
			__atomic_add_fetch(&stats->field, (n),		\
					   __ATOMIC_RELAXED);		\
	} while (0)

/* The host process and kernel still answer: a system call, procfs. */
static void assert_host_healthy(struct __test_metadata *_metadata)
{
	char buf[512];
	ssize_t n;
	long pid;
	int fd;

	ASSERT_EQ(getpid(), syscall(SYS_getpid));
	fd = open("/proc/self/stat", O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	ASSERT_LT(0, n);
	buf[n] = 0;
	pid = strtol(buf, NULL, 10);
	ASSERT_EQ(getpid(), pid);
	ASSERT_NE(NULL, strstr(buf, "(hostile)"));
}

/* ---------------------------------------------------------------------
 * MSRs
 */

#define MSR_READ	(1u << 0)
#define MSR_WRITE0	(1u << 1)
#define MSR_WRITEBACK	(1u << 2)
#define MSR_CHUNK	1024

static volatile uint64_t msr_gp_count;

static void msr_gp_handler(struct ex_regs *regs)
{
	const uint8_t *ip = (const uint8_t *)regs->rip;

	/* Only the sweep's own RDMSR (0f 32) and WRMSR (0f 30) may fault. */
	GUEST_ASSERT_EQ(ip[0], 0x0f);
	GUEST_ASSERT(ip[1] == 0x30 || ip[1] == 0x32);
	GUEST_ASSERT_EQ(regs->error_code, 0);
	msr_gp_count++;
	regs->rip += 2;
}

static bool guest_try_rdmsr(uint32_t msr, uint64_t *val)
{
	uint64_t before = msr_gp_count;
	uint32_t lo = 0, hi = 0;

	asm volatile("rdmsr" : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
	*val = lo | ((uint64_t)hi << 32);
	return msr_gp_count == before;
}

static bool guest_try_wrmsr(uint32_t msr, uint64_t val)
{
	uint64_t before = msr_gp_count;

	asm volatile("wrmsr" :: "a"((uint32_t)val), "d"((uint32_t)(val >> 32)),
		     "c"(msr) : "memory");
	return msr_gp_count == before;
}

static void guest_msr_sweep(uint64_t id, uint64_t list_gpa, uint64_t res_gpa,
			    uint64_t n)
{
	const uint32_t *list = (const uint32_t *)list_gpa;
	uint8_t *res = (uint8_t *)res_gpa;

	(void)id;
	for (uint64_t i = 0; i < n; i++) {
		uint32_t msr = list[i];
		uint8_t r = 0;
		uint64_t v;

		if (guest_try_rdmsr(msr, &v))
			r |= MSR_READ;
		/*
		 * EFER's zero in long mode keeps LME and LMA: clearing LME
		 * with paging on is its own case, below.
		 */
		if (guest_try_wrmsr(msr, msr == MSR_EFER ?
				    v & (EFER_LME | EFER_LMA) : 0))
			r |= MSR_WRITE0;
		if ((r & MSR_READ) && guest_try_wrmsr(msr, v))
			r |= MSR_WRITEBACK;
		res[i] = r;
		if ((i + 1) % MSR_CHUNK == 0)
			GUEST_SYNC(i + 1);
	}
	GUEST_SYNC2(n, msr_gp_count);
}

/* api.rst: kept, but read-only (reads 0: no C1E in a virtual CPU). */
#define MSR_K8_INT_PENDING_MSG	0xc0010055
/* api.rst: kept, read-only (0 machine-check banks). */
#define MSR_IA32_MCG_CAP	0x00000179
/* api.rst: kept, reads 0, takes 0. */
#define MSR_IA32_MCG_STATUS	0x0000017a

static const uint32_t kept_msrs[] = {
	MSR_IA32_TSC, MSR_IA32_MCG_STATUS, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP,
	MSR_IA32_SYSENTER_EIP, MSR_IA32_CR_PAT, MSR_EFER, MSR_STAR,
	MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK, MSR_FS_BASE, MSR_GS_BASE,
	MSR_KERNEL_GS_BASE, MSR_TSC_AUX,
};

static bool msr_is_kept(uint32_t msr)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(kept_msrs); i++)
		if (kept_msrs[i] == msr)
			return true;
	return false;
}

/* The three MSRPM ranges in full, then a spread of MSRs outside them. */
static uint64_t build_msr_list(uint32_t *list)
{
	static const uint32_t bases[] = { 0x0, 0xc0000000, 0xc0010000 };
	static const uint32_t extra[] = {
		0x2000, 0x3a0, 0x40000000, 0x40000001, 0x40000100,
		0x4b564d00, 0x4b564d01, 0x4b564dff, 0x80000000, 0xbfffffff,
		0xc0002000, 0xc000ffff, 0xc0012000, 0xc001ffff, 0xc0020000,
		0xfffffffe, 0xffffffff,
	};
	uint64_t n = 0;
	uint32_t x = 0x12345678;

	for (unsigned int b = 0; b < ARRAY_SIZE(bases); b++)
		for (uint32_t i = 0; i < 0x2000; i++)
			list[n++] = bases[b] + i;
	for (unsigned int i = 0; i < ARRAY_SIZE(extra); i++)
		list[n++] = extra[i];
	/* 256 pseudo-random MSRs anywhere in the 32-bit space. */
	for (int i = 0; i < 256; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		list[n++] = x;
	}
	return n;
}

TEST(msr_sweep)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_msr_sweep);
	uint32_t *list = addr_gpa2hva(vm, vm->scratch_gpa);
	uint64_t n = build_msr_list(list);
	uint64_t res_gpa = vm->scratch_gpa + ALIGN_UP(n * 4, PAGE_SIZE);
	uint8_t *res = addr_gpa2hva(vm, res_gpa);
	uint64_t expected_gp = 0, bad = 0;
	struct ucall uc;

	ASSERT_LE(res_gpa + n, vm->scratch_gpa + SCRATCH_SIZE);
	vm_install_exception_handler(vm, GP_VECTOR, msr_gp_handler);
	vcpu_args_set(vcpu, 4, 0UL, vm->scratch_gpa, res_gpa, n);

	for (uint64_t done = MSR_CHUNK; done < n; done += MSR_CHUNK) {
		vcpu_run_expect_sync(vcpu, done);
		assert_host_healthy(_metadata);
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	ASSERT_EQ(n, uc.args[0]);

	for (uint64_t i = 0; i < n; i++) {
		uint32_t msr = list[i];
		uint8_t want = 0;

		if (msr == MSR_K8_INT_PENDING_MSG || msr == MSR_IA32_MCG_CAP) {
			/* Kept read-only: reads 0, writes get #GP. */
			want = MSR_READ;
			expected_gp += 2;
		} else if (msr_is_kept(msr)) {
			want = MSR_READ | MSR_WRITE0 | MSR_WRITEBACK;
		} else {
			expected_gp += 2;
		}
		if (res[i] != want) {
			if (bad++ < 20)
				TH_LOG("MSR 0x%x: read %s, write 0 %s, write back %s; expected %s",
				       msr, res[i] & MSR_READ ? "ok" : "#GP",
				       res[i] & MSR_WRITE0 ? "ok" : "#GP",
				       res[i] & MSR_WRITEBACK ? "ok" :
				       (res[i] & MSR_READ ? "#GP" : "-"),
				       want ? "all ok" : "#GP");
		}
	}
	STAT_ADD(msrs, n);
	STAT_ADD(msr_gp, uc.args[1]);
	EXPECT_EQ(0, bad);
	EXPECT_EQ(expected_gp, uc.args[1]);
	vcpu_run_expect_done(vcpu);
	assert_host_healthy(_metadata);
	vm_free(vm);
}

/*
 * EFER.LME cannot change while paging is on (AMD APM vol. 2, 3.1.7 and
 * 14.6): a long-mode guest writing EFER = 0 gets #GP on hardware, and
 * api.rst says a refused value gets the #GP the guest would get there.
 */
static void guest_efer_clear_lme(void)
{
	uint64_t efer, now, wrote;

	GUEST_ASSERT(guest_try_rdmsr(MSR_EFER, &efer));
	GUEST_ASSERT(efer & EFER_LMA);
	/* Sequenced: the count must be read after the write. */
	wrote = guest_try_wrmsr(MSR_EFER, 0);
	GUEST_SYNC2(wrote, msr_gp_count);
	GUEST_ASSERT(guest_try_rdmsr(MSR_EFER, &now));
	GUEST_SYNC(now);
	GUEST_ASSERT(guest_try_wrmsr(MSR_EFER, efer));
}

TEST(efer_clear_lme_in_long_mode_gp)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_efer_clear_lme);
	struct ucall uc;

	vm_install_exception_handler(vm, GP_VECTOR, msr_gp_handler);
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[0]) TH_LOG("WRMSR EFER=0 in long mode succeeded");
	EXPECT_EQ(1, uc.args[1]);
	/* EFER is unchanged: LME and LMA still set. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE, uc.args[0])
		TH_LOG("EFER reads 0x%lx after the write", uc.args[0]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Every I/O port
 */

static void guest_port_sweep(void)
{
	uint64_t bad = 0;

	for (uint32_t p = 0; p <= 0xffff; p++) {
		outb(p, p & 0xff);
		if (inb(p) != (uint8_t)~p)
			bad++;
	}
	/* Word and dword accesses on every 251st port and at the top. */
	for (uint32_t p = 0; p <= 0xffff; p += 251) {
		outw(p, p ^ 0x5555);
		outl(p, p * 0x10001);
		if (inw(p) != (uint16_t)(p ^ 0xaaaa))
			bad++;
		if (inl(p) != ~(p * 0x10001))
			bad++;
	}
	outw(0xffff, 0x1234);
	outl(0xffff, 0x12345678);
	outl(0xfffd, 0x9abcdef0);
	GUEST_SYNC(bad);
}

/* Run to the next exit; it must be this exact I/O access. */
static void expect_io(struct vmw86_vcpu *vcpu, uint32_t port, int size,
		      int dir, uint32_t out_value, uint32_t in_value)
{
	struct vmw86_run *run = vcpu->run;
	uint32_t v = 0;

	vcpu_run(vcpu);
	if (run->exit_reason != VMW86_EXIT_IO || run->io.port != port ||
	    run->io.size != size || run->io.direction != dir ||
	    run->io.count != 1) {
		/* A guest assertion, or the wrong exit: report it. */
		if (get_ucall(vcpu, NULL) != UCALL_NONE)
			vcpu_check_ucall(vcpu, NULL);
		TEST_FAIL("expected %s port 0x%x size %d, got %s",
			  dir == VMW86_EXIT_IO_OUT ? "OUT" : "IN", port, size,
			  vcpu_exit_str(vcpu));
	}
	TEST_ASSERT(run->io.data_offset >= sizeof(*run) &&
		    run->io.data_offset + size <= vcpu->run_size,
		    "data offset 0x%llx",
		    (unsigned long long)run->io.data_offset);
	if (dir == VMW86_EXIT_IO_OUT) {
		memcpy(&v, vcpu_io_data(vcpu), size);
		TEST_ASSERT(v == out_value, "OUT 0x%x size %d: data 0x%x, "
			    "expected 0x%x", port, size, v, out_value);
	} else {
		memcpy(vcpu_io_data(vcpu), &in_value, size);
	}
}

TEST(every_io_port)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_port_sweep);
	uint64_t exits = 0;
	const int OUT = VMW86_EXIT_IO_OUT, IN = VMW86_EXIT_IO_IN;

	for (uint32_t p = 0; p <= 0xffff; p++) {
		expect_io(vcpu, p, 1, OUT, p & 0xff, 0);
		expect_io(vcpu, p, 1, IN, 0, ~p & 0xff);
		exits += 2;
	}
	for (uint32_t p = 0; p <= 0xffff; p += 251) {
		expect_io(vcpu, p, 2, OUT, (p ^ 0x5555) & 0xffff, 0);
		expect_io(vcpu, p, 4, OUT, p * 0x10001, 0);
		expect_io(vcpu, p, 2, IN, 0, (p ^ 0xaaaa) & 0xffff);
		expect_io(vcpu, p, 4, IN, 0, ~(p * 0x10001));
		exits += 4;
	}
	expect_io(vcpu, 0xffff, 2, OUT, 0x1234, 0);
	expect_io(vcpu, 0xffff, 4, OUT, 0x12345678, 0);
	expect_io(vcpu, 0xfffd, 4, OUT, 0x9abcdef0, 0);
	exits += 3;
	/* Every IN came back with the value user space gave it. */
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_run_expect_done(vcpu);
	STAT_ADD(ports, 0x10000);
	STAT_ADD(io_exits, exits);
	assert_host_healthy(_metadata);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Every GiB of guest physical address space
 */

#define WIN_PML4	0x80UL	/* GVA 64 TiB: a movable window */
#define WIN_GVA		(WIN_PML4 << 39)
#define LOOP_PML4	0xffUL	/* the recursive entry */
#define NORAM_PML4	0x81UL	/* tables outside RAM */

/* Guest side of the window: its tables, and whether 1 GiB pages work. */
struct gpa_window {
	uint64_t *pdpt;
	uint64_t *pd;		/* 2 MiB mode only */
	uint64_t use_1g;
};

static volatile uint64_t pf_count, pf_error, pf_cr2;

static void pf_skip2_handler(struct ex_regs *regs)
{
	uint64_t cr2;

	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	pf_count++;
	pf_error = regs->error_code;
	pf_cr2 = cr2;
	regs->rip += 2;		/* "mov (%rbx), %al" */
}

static void invlpg(uint64_t gva)
{
	asm volatile("invlpg (%0)" :: "r"(gva) : "memory");
}

/* Map the page holding @gpa at the window; return @gpa's GVA. */
static uint64_t window_map(struct gpa_window *w, uint64_t gpa)
{
	uint64_t size = w->use_1g ? SZ_1G : SZ_2M;
	uint64_t base = gpa & ~(size - 1);

	if (w->use_1g)
		w->pdpt[0] = base | PTE_P | PTE_RW | PTE_PS;
	else
		w->pd[0] = base | PTE_P | PTE_RW | PTE_PS;
	invlpg(WIN_GVA);
	return WIN_GVA + (gpa & (size - 1));
}

static uint8_t window_load(uint64_t gva)
{
	uint64_t rax = 0;

	/* 8a 03: a fixed two-byte encoding the host can step over. */
	asm volatile("mov (%%rbx), %%al" : "+a"(rax) : "b"(gva) : "memory");
	return rax;
}

static uint8_t mmio_value(uint64_t gpa)
{
	return (gpa >> 30) ^ (gpa >> 12) ^ gpa ^ 0x5a;
}

static void guest_gpa_sweep(uint64_t win_gpa, uint64_t list_gpa, uint64_t n,
			    uint64_t bits)
{
	struct gpa_window *w = (struct gpa_window *)win_gpa;
	const uint64_t *list = (const uint64_t *)list_gpa;
	uint64_t beyond[] = { 1UL << bits, (1UL << bits) + SZ_1G,
			      1UL << 51 };

	for (uint64_t i = 0; i < n; i++) {
		uint64_t gpa = list[i];
		uint64_t gva = window_map(w, gpa);
		uint8_t v = window_load(gva);

		if (gpa < SZ_1G)	/* RAM: the window shows RAM */
			GUEST_ASSERT_EQ(v, *(volatile uint8_t *)gpa);
		else
			GUEST_ASSERT_EQ(v, mmio_value(gpa));
	}
	GUEST_SYNC(n);

	/* At and beyond the width: reserved address bits in the entry. */
	for (unsigned int i = 0; i < ARRAY_SIZE(beyond); i++) {
		uint64_t before = pf_count, gva;

		if (bits >= 52 || (i == 2 && bits >= 51))
			continue;
		gva = window_map(w, beyond[i]);
		window_load(gva);
		GUEST_SYNC4(beyond[i], pf_count - before, pf_error, pf_cr2);
	}
	GUEST_SYNC(0);
}

static bool guest_has_1g_pages(struct vmw86_vcpu *vcpu)
{
	struct {
		struct vmw86_cpuid hdr;
		struct vmw86_cpuid_entry e[VMW86_MAX_CPUID_ENTRIES];
	} c = { .hdr.nent = VMW86_MAX_CPUID_ENTRIES };
	int ret = ioctl(vcpu->vm->dev_fd, VMW86_GET_SUPPORTED_CPUID, &c);

	TEST_ASSERT(ret == 0, "GET_SUPPORTED_CPUID: %s", strerror(errno));
	for (uint32_t i = 0; i < c.hdr.nent; i++)
		if (c.e[i].function == 0x80000001)
			return c.e[i].edx & (1u << 26);
	return false;
}

/* Complete a window_load() MMIO exit at @gpa. */
static void complete_window_load(struct vmw86_vcpu *vcpu, uint64_t gpa)
{
	struct vmw86_run *run = vcpu->run;

	if (run->exit_reason != VMW86_EXIT_MMIO && get_ucall(vcpu, NULL))
		vcpu_check_ucall(vcpu, NULL);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_MMIO);
	TEST_ASSERT(run->mmio.gpa == gpa, "MMIO gpa 0x%llx, expected 0x%lx",
		    (unsigned long long)run->mmio.gpa, gpa);
	TEST_ASSERT(!(run->mmio.flags & (VMW86_MMIO_WRITE | VMW86_MMIO_FETCH)),
		    "gpa 0x%lx: MMIO flags 0x%x for a load", gpa,
		    run->mmio.flags);
	TEST_ASSERT(run->mmio.insn_len >= 2 && run->mmio.insn[0] == 0x8a &&
		    run->mmio.insn[1] == 0x03, "insn_len %u bytes %02x %02x",
		    run->mmio.insn_len, run->mmio.insn[0], run->mmio.insn[1]);
	run->regs.rax = (run->regs.rax & ~0xffUL) | mmio_value(gpa);
	run->regs.rip += 2;
	run->regs_dirty = 1;
}

TEST(every_gib_of_gpa_space)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_gpa_sweep);
	int bits = vmw86_check_cap(vm->dev_fd, VMW86_CAP_GUEST_PHYS_BITS);
	uint64_t limit = 1UL << bits, stride = SZ_1G, n = 0, mmio = 0;
	uint64_t win_gpa = vm->scratch_gpa;
	uint64_t pdpt_gpa = win_gpa + PAGE_SIZE, pd_gpa = win_gpa + 2 * PAGE_SIZE;
	uint64_t list_gpa = win_gpa + 3 * PAGE_SIZE;
	struct gpa_window *w = addr_gpa2hva(vm, win_gpa);
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4_gpa);
	uint64_t *pdpt = addr_gpa2hva(vm, pdpt_gpa);
	uint64_t *list = addr_gpa2hva(vm, list_gpa);
	uint64_t max = (SCRATCH_SIZE - 3 * PAGE_SIZE) / 8;
	struct ucall uc;

	ASSERT_LE(32, bits);
	ASSERT_GE(52, bits);
	ASSERT_GE(vm->ram_size, 64UL << 20);
	ASSERT_LT(vm->ram_size, SZ_1G);
	/* At most ~2048 probes whatever the width. */
	while (limit / stride > 2048)
		stride <<= 1;
	for (uint64_t gpa = 0; gpa < limit; gpa += stride)
		list[n++] = gpa;
	list[n++] = 0xfee00000;		/* where an APIC would be */
	list[n++] = limit - PAGE_SIZE;
	list[n++] = limit - 1;		/* the last byte below the width */
	ASSERT_LE(n, max);

	w->use_1g = guest_has_1g_pages(vcpu);
	w->pdpt = (uint64_t *)pdpt_gpa;
	w->pd = (uint64_t *)pd_gpa;
	if (!w->use_1g)
		pdpt[0] = pd_gpa | PTE_P | PTE_RW;
	pml4[WIN_PML4] = pdpt_gpa | PTE_P | PTE_RW;
	TH_LOG("%d-bit GPAs, %lu probes, stride 0x%lx, %s pages", bits, n,
	       stride, w->use_1g ? "1 GiB" : "2 MiB");

	vm_install_exception_handler(vm, PF_VECTOR, pf_skip2_handler);
	vcpu_args_set(vcpu, 4, win_gpa, list_gpa, n, (uint64_t)bits);
	for (uint64_t i = 0; i < n; i++) {
		if (list[i] < vm->ram_size)
			continue;	/* RAM: no exit */
		vcpu_run(vcpu);
		complete_window_load(vcpu, list[i]);
		mmio++;
	}
	vcpu_run_expect_sync(vcpu, n);
	assert_host_healthy(_metadata);

	for (;;) {
		ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
		if (uc.args[0] == 0)
			break;
		/* A guest #PF with the reserved-bit flag, at the window. */
		EXPECT_EQ(1, uc.args[1]) TH_LOG("GPA 0x%lx: %lu #PF", uc.args[0],
						 uc.args[1]);
		/*
		 * RSVD must be set. Hardware also sets P (the entry is
		 * present); QEMU's TCG, which delivers this #PF straight to
		 * the guest without vmw86 seeing it, leaves P clear, so P
		 * is not checked.
		 */
		EXPECT_EQ(PF_RSVD, uc.args[2] & PF_RSVD)
			TH_LOG("GPA 0x%lx: #PF error code 0x%lx", uc.args[0],
			       uc.args[2]);
		TH_LOG("GPA 0x%lx: guest #PF, error code 0x%lx", uc.args[0],
		       uc.args[2]);
		EXPECT_EQ(WIN_GVA + (uc.args[0] & (w->use_1g ? SZ_1G - 1 :
							SZ_2M - 1)),
			  uc.args[3]);
	}
	vcpu_run_expect_done(vcpu);
	STAT_ADD(gpa_probes, n);
	STAT_ADD(mmio_exits, mmio);
	assert_host_healthy(_metadata);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Page tables that loop, and tables outside RAM
 */

#define L4(i)		((i) << 39)
#define L3(i)		((i) << 30)
#define L2(i)		((i) << 21)
#define L1(i)		((i) << 12)
#define ALIAS_PML4	0x40UL

static void guest_pt_loop(uint64_t pml4_gpa, uint64_t pdpt_gpa)
{
	const uint64_t K = LOOP_PML4;
	volatile uint64_t *self = (uint64_t *)(L4(K) | L3(K) | L2(K) | L1(K));
	volatile uint64_t *pd0 = (uint64_t *)(L4(K) | L3(K) | L2(0) | L1(0));
	volatile uint64_t *page = (uint64_t *)(L4(K) | L1(1));
	volatile uint64_t *alias;

	/* Four times through the PML4: the PML4 itself. */
	GUEST_ASSERT_EQ(self[K] & PTE_ADDR, pml4_gpa);
	GUEST_ASSERT_EQ(self[0] & PTE_ADDR, pdpt_gpa);
	/* Three times: the PDPT's first entry as a page, the first PD. */
	GUEST_ASSERT_EQ(pd0[1] & PTE_ADDR, SZ_2M);
	GUEST_ASSERT(pd0[1] & PTE_PS);
	/* Once: PD entries as PTEs, so 4 KiB pages at each 2 MiB step. */
	GUEST_ASSERT_EQ(page[0], *(volatile uint64_t *)SZ_2M);
	GUEST_ASSERT_EQ(page[1], *(volatile uint64_t *)(SZ_2M + 8));

	/* Write a new PML4 entry through the loop, then use it. */
	self[ALIAS_PML4] = pdpt_gpa | PTE_P | PTE_RW;
	alias = (uint64_t *)(L4(ALIAS_PML4) + SZ_2M);
	GUEST_ASSERT_EQ(alias[0], *(volatile uint64_t *)SZ_2M);
	alias[1] = 0x1005ba11;
	GUEST_ASSERT_EQ(*(volatile uint64_t *)(SZ_2M + 8), 0x1005ba11);
	self[ALIAS_PML4] = 0;
	invlpg((uint64_t)alias);
	GUEST_SYNC(self[K] & PTE_ADDR);
}

TEST(page_table_loop)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_pt_loop);
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4_gpa);
	uint64_t pdpt_gpa = pml4[0] & PTE_ADDR;

	pml4[LOOP_PML4] = vm->pml4_gpa | PTE_P | PTE_RW;
	vcpu_args_set(vcpu, 2, vm->pml4_gpa, pdpt_gpa);
	vcpu_run_expect_sync(vcpu, vm->pml4_gpa);
	vcpu_run_expect_done(vcpu);
	EXPECT_EQ(0x1005ba11, *(uint64_t *)addr_gpa2hva(vm, SZ_2M + 8));
	EXPECT_EQ(0, pml4[ALIAS_PML4]);
	vm_free(vm);
}

#define NORAM_PT_GPA	0x700000000UL	/* 28 GiB: no slot */
#define NORAM_PT_INDEX	3UL
#define NORAM_GVA	(L4(NORAM_PML4) | L1(NORAM_PT_INDEX))

static void guest_pt_outside_ram(uint64_t data_gpa)
{
	volatile uint64_t *p = (uint64_t *)(NORAM_GVA + 0x18);

	/* The host put a page table there after the first walk faulted. */
	GUEST_ASSERT_EQ(*p, *(volatile uint64_t *)(data_gpa + 0x18));
	GUEST_SYNC(*p);
}

TEST(page_table_outside_ram)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_pt_outside_ram);
	uint64_t pdpt_gpa = vm->scratch_gpa, pd_gpa = pdpt_gpa + PAGE_SIZE;
	uint64_t data_gpa = pdpt_gpa + 2 * PAGE_SIZE;
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4_gpa);
	uint64_t *pdpt = addr_gpa2hva(vm, pdpt_gpa);
	uint64_t *pd = addr_gpa2hva(vm, pd_gpa);
	struct vmw86_run *run = vcpu->run;
	uint64_t *pt, rip;

	pml4[NORAM_PML4] = pdpt_gpa | PTE_P | PTE_RW;
	pdpt[0] = pd_gpa | PTE_P | PTE_RW;
	pd[0] = NORAM_PT_GPA | PTE_P | PTE_RW;	/* a PT in no slot */
	((uint64_t *)addr_gpa2hva(vm, data_gpa))[3] = 0xda7a0f1a55e5ULL;
	vcpu_args_set(vcpu, 1, data_gpa);

	/* The walk reads the PTE from outside RAM: that read is the exit. */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_MMIO);
	TH_LOG("table walk exit: %s", vcpu_exit_str(vcpu));
	EXPECT_EQ(NORAM_PT_GPA + NORAM_PT_INDEX * 8, run->mmio.gpa);
	EXPECT_EQ(0, run->mmio.flags & VMW86_MMIO_FETCH);
	/* The fault was on the walk, not on the instruction's operand. */
	EXPECT_EQ(VMW86_MMIO_PAGE_WALK, run->mmio.flags & VMW86_MMIO_PAGE_WALK);
	rip = run->regs.rip;

	/* Run again untouched: the same walk, the same exit, no progress. */
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_MMIO);
	EXPECT_EQ(NORAM_PT_GPA + NORAM_PT_INDEX * 8, run->mmio.gpa);
	EXPECT_EQ(rip, run->regs.rip);

	/* Put RAM with a page table there; the instruction then completes. */
	pt = vm_add_anon_slot(vm, 1, 0, NORAM_PT_GPA, PAGE_SIZE);
	pt[NORAM_PT_INDEX] = data_gpa | PTE_P | PTE_RW;
	vcpu_run_expect_sync(vcpu, 0xda7a0f1a55e5ULL);
	vcpu_run_expect_done(vcpu);
	/* The CPU set the accessed bit in the new table, in RAM. */
	EXPECT_EQ(PTE_A, pt[NORAM_PT_INDEX] & PTE_A);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Exception and interrupt storms
 */

#define STORM		20000

static volatile uint64_t storm_counts[32];
static volatile uint64_t storm_skip;

static void storm_handler(struct ex_regs *regs)
{
	storm_counts[regs->vector]++;
	regs->rip += storm_skip;
}

static void guest_exception_storm(void)
{
	for (int i = 0; i < STORM; i++) {
		storm_skip = 2;
		asm volatile("ud2" ::: "memory");
		storm_skip = 3;
		/* 48 f7 f1: div %rcx, with RCX = 0. */
		asm volatile(".byte 0x48, 0xf7, 0xf1"
			     :: "a"(1), "d"(0), "c"(0) : "memory");
		/* 48 8b 18: mov (%rax), %rbx, non-canonical: #GP(0). */
		asm volatile(".byte 0x48, 0x8b, 0x18"
			     :: "a"(0x8000000000000000ULL) : "rbx", "memory");
		storm_skip = 0;		/* a trap: RIP is already past it */
		asm volatile("int3" ::: "memory");
	}
	GUEST_SYNC4(storm_counts[UD_VECTOR], storm_counts[DE_VECTOR],
		    storm_counts[GP_VECTOR], storm_counts[BP_VECTOR]);
}

TEST(exception_storm)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_exception_storm);
	struct ucall uc;

	vm_install_exception_handler(vm, UD_VECTOR, storm_handler);
	vm_install_exception_handler(vm, DE_VECTOR, storm_handler);
	vm_install_exception_handler(vm, GP_VECTOR, storm_handler);
	vm_install_exception_handler(vm, BP_VECTOR, storm_handler);
	/* The first exit is the report: no exception left the guest. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(STORM, uc.args[0]);
	EXPECT_EQ(STORM, uc.args[1]);
	EXPECT_EQ(STORM, uc.args[2]);
	EXPECT_EQ(STORM, uc.args[3]);
	vcpu_run_expect_done(vcpu);
	STAT_ADD(exceptions, uc.args[0] + uc.args[1] + uc.args[2] +
		 uc.args[3]);
	assert_host_healthy(_metadata);
	vm_free(vm);
}

#define NR_IRQS		1000

volatile uint64_t irq_count;
static volatile uint64_t irq_stop;
static const uint8_t irq_vectors[] = { 32, 0x41, 0x80, 0xff };

/* One stub per vector: count it, acknowledge it on ACK_PORT, return. */
extern char irq_stub_32[], irq_stub_65[], irq_stub_128[], irq_stub_255[];
asm(
	".pushsection .text\n"
	".align 16\n"
	"irq_stub_32:\n"
	"	push %rax\n"
	"	mov $32, %eax\n"
	"	jmp irq_common\n"
	"irq_stub_65:\n"
	"	push %rax\n"
	"	mov $65, %eax\n"
	"	jmp irq_common\n"
	"irq_stub_128:\n"
	"	push %rax\n"
	"	mov $128, %eax\n"
	"	jmp irq_common\n"
	"irq_stub_255:\n"
	"	push %rax\n"
	"	mov $255, %eax\n"
	"irq_common:\n"
	"	push %rdx\n"
	"	lock incq irq_count(%rip)\n"
	"	mov $0x3000, %dx\n"
	"	out %eax, %dx\n"
	"	pop %rdx\n"
	"	pop %rax\n"
	"	iretq\n"
	".popsection\n");

static void guest_irq_storm(void)
{
	GUEST_SYNC(0);
	asm volatile("sti" ::: "memory");
	while (!irq_stop)
		cpu_relax();
	asm volatile("cli" ::: "memory");
	GUEST_SYNC(irq_count);
}

static void set_idt_gate(struct vmw86_vm *vm, int vector, void *handler)
{
	uint64_t *idt = addr_gpa2hva(vm, vm->idt_gpa);
	uint64_t off = (uint64_t)handler;

	idt[2 * vector] = (off & 0xffff) | ((uint64_t)GUEST_CS64 << 16) |
			  (0x8eULL << 40) | (((off >> 16) & 0xffff) << 48);
	idt[2 * vector + 1] = off >> 32;
}

TEST(interrupt_storm)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_irq_storm);
	void *stubs[] = { irq_stub_32, irq_stub_65, irq_stub_128,
			  irq_stub_255 };
	uint64_t *count = addr_gpa2hva(vm, (uint64_t)&irq_count);
	struct vmw86_sregs sregs;

	for (unsigned int i = 0; i < ARRAY_SIZE(irq_vectors); i++)
		set_idt_gate(vm, irq_vectors[i], stubs[i]);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.idt.limit = 256 * 16 - 1;
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_run_expect_sync(vcpu, 0);
	for (int i = 0; i < NR_IRQS; i++) {
		struct vmw86_interrupt irq = {
			.vector = irq_vectors[i % ARRAY_SIZE(irq_vectors)],
		};

		ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_INTERRUPT, &irq))
			TH_LOG("interrupt %d: %s", i, strerror(errno));
		vcpu_run(vcpu);
		ASSERT_EQ(irq.vector, vcpu_expect_out(vcpu, ACK_PORT, 4));
		ASSERT_EQ(i + 1, READ_ONCE(*count));
	}
	*(uint64_t *)addr_gpa2hva(vm, (uint64_t)&irq_stop) = 1;
	vcpu_run_expect_sync(vcpu, NR_IRQS);
	vcpu_run_expect_done(vcpu);
	STAT_ADD(irqs, NR_IRQS);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Self-modifying code
 */

/*
 * A template the guest copies into its code page: it rewrites the
 * immediate of its own next instruction with EDI, then executes it.
 */
extern char smc_tmpl[], smc_tmpl_end[];
asm(
	".pushsection .text\n"
	"smc_tmpl:\n"
	"	movl %edi, 1f+1(%rip)\n"
	"1:	movl $0, %eax\n"
	"	ret\n"
	"smc_tmpl_end:\n"
	".popsection\n");

#define SMC_ROUNDS	1000
#define HOST_ROUNDS	100

typedef uint32_t (*smc_fn)(uint32_t);

/* mov $imm, %eax; ret */
static void emit_mov_ret(volatile uint8_t *p, uint32_t imm)
{
	p[0] = 0xb8;
	p[1] = imm;
	p[2] = imm >> 8;
	p[3] = imm >> 16;
	p[4] = imm >> 24;
	p[5] = 0xc3;
}

static void guest_smc(uint64_t code_gpa)
{
	volatile uint8_t *code = (volatile uint8_t *)code_gpa;
	smc_fn fn = (smc_fn)code_gpa;
	uint64_t len = smc_tmpl_end - smc_tmpl;

	/* Code the guest just wrote, rewritten in place each round. */
	for (uint32_t i = 0; i < SMC_ROUNDS; i++) {
		emit_mov_ret(code, i * 0x9e3779b9u);
		GUEST_ASSERT_EQ(fn(0), i * 0x9e3779b9u);
	}
	/* Code that patches the instruction right after its own store. */
	for (uint64_t i = 0; i < len; i++)
		code[i] = ((volatile char *)smc_tmpl)[i];
	for (uint32_t i = 1; i <= SMC_ROUNDS; i++)
		GUEST_ASSERT_EQ(fn(i * 7919), i * 7919);
	GUEST_SYNC(0);
	/* Code the host writes between runs. */
	for (uint32_t i = 1; i <= HOST_ROUNDS; i++)
		GUEST_SYNC(fn(0));
}

TEST(self_modifying_code)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_smc);
	uint64_t code_gpa = vm->scratch_gpa;
	uint8_t *code = addr_gpa2hva(vm, code_gpa);

	vcpu_args_set(vcpu, 1, code_gpa);
	vcpu_run_expect_sync(vcpu, 0);
	for (uint32_t i = 1; i <= HOST_ROUNDS; i++) {
		/* Alternate a whole new sequence with a patched immediate. */
		if (i & 1) {
			emit_mov_ret(code, 0xc0de0000 + i);
		} else {
			/* xor %eax,%eax; add $imm,%eax; ret */
			code[0] = 0x31;
			code[1] = 0xc0;
			code[2] = 0x05;
			memcpy(code + 3, &(uint32_t){ 0xc0de0000 + i }, 4);
			code[7] = 0xc3;
		}
		vcpu_run_expect_sync(vcpu, 0xc0de0000 + i);
	}
	vcpu_run_expect_done(vcpu);
	STAT_ADD(smc, 2 * SMC_ROUNDS + HOST_ROUNDS);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Triple faults in every mode
 */

#define EMPTY_IDTR_GPA	0x7f00UL

/* Real mode: report, load an IDT with limit 0, INT: #GP, #DF, shutdown. */
extern char tf_rm_blob[], tf_rm_blob_end[];
asm(
	".pushsection .text\n"
	".code16\n"
	"tf_rm_blob:\n"
	"	mov $0x2000, %dx\n"
	"	mov $0x16, %al\n"
	"	out %al, %dx\n"
	"	lidt 0x7f00\n"
	"	int $0x10\n"
	"	mov $0xbad, %ax\n"
	"	out %ax, %dx\n"
	"	hlt\n"
	"tf_rm_blob_end:\n"
	".code64\n"
	".popsection\n");

/* 32-bit protected mode: the same with UD2. */
extern char tf_pm_blob[], tf_pm_blob_end[];
asm(
	".pushsection .text\n"
	".code32\n"
	"tf_pm_blob:\n"
	"	mov $0x2000, %dx\n"
	"	mov $0x32, %al\n"
	"	out %al, %dx\n"
	"	lidt 0x7f00\n"
	"	ud2\n"
	"	mov $0xbad, %eax\n"
	"	out %eax, %dx\n"
	"	hlt\n"
	"tf_pm_blob_end:\n"
	".code64\n"
	".popsection\n");

static void guest_tf_long(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty_idt = { 0, 0 };

	GUEST_SYNC(0x64);
	asm volatile("lidt %0; int $0x10" :: "m"(empty_idt) : "memory");
	GUEST_SYNC(0xbad);
}

static void guest_alive(uint64_t id, uint64_t x)
{
	(void)id;
	GUEST_SYNC(x * 3);
}

static void expect_shutdown_then_alive(struct __test_metadata *_metadata,
				       struct vmw86_vcpu *vcpu, uint64_t x)
{
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_SHUTDOWN);
	STAT_ADD(shutdowns, 1);
	/* Running a shut-down vCPU again must not hang or oops either. */
	vcpu_setup_long_mode(vcpu);
	vcpu_set_entry(vcpu, guest_alive);
	vcpu_args_set(vcpu, 2, 0UL, x);
	vcpu_run_expect_sync(vcpu, x * 3);
	vcpu_run_expect_done(vcpu);
	(void)_metadata;
}

TEST(triple_fault_every_mode)
{
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, 0);

	memset(addr_gpa2hva(vm, EMPTY_IDTR_GPA), 0, 16);
	vm_load_blob(vm, LOW_BLOB_GPA, tf_rm_blob, tf_rm_blob_end);
	vm_load_blob(vm, LOW_BLOB_GPA + 0x400, tf_pm_blob, tf_pm_blob_end);

	/* Twice round, on one vCPU: each shutdown leaves it reusable. */
	for (int round = 0; round < 2; round++) {
		vcpu_setup_real_mode(vcpu, LOW_BLOB_GPA);
		vcpu_run(vcpu);
		EXPECT_EQ(0x16, vcpu_expect_out(vcpu, REPORT_PORT, 1));
		expect_shutdown_then_alive(_metadata, vcpu, 1 + round);

		vcpu_setup_pmode32(vcpu, LOW_BLOB_GPA + 0x400);
		vcpu_run(vcpu);
		EXPECT_EQ(0x32, vcpu_expect_out(vcpu, REPORT_PORT, 1));
		expect_shutdown_then_alive(_metadata, vcpu, 3 + round);

		vcpu_setup_long_mode(vcpu);
		vcpu_set_entry(vcpu, guest_tf_long);
		vcpu_run_expect_sync(vcpu, 0x64);
		expect_shutdown_then_alive(_metadata, vcpu, 5 + round);
	}
	assert_host_healthy(_metadata);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * vCPUs racing on one page, a host invalidating next to them
 */

#define RACE_SLOT	1
#define RACE_GPA	0x10000000UL
#define RACE_SIZE	(2UL << 20)
#define RACERS		4
#define RACE_ITERS	100000UL
#define RACE_MAGIC	0x600dUL

static void guest_racer(uint64_t id, uint64_t gpa, uint64_t iters)
{
	volatile uint64_t *p = (uint64_t *)gpa;
	volatile uint64_t *q = (uint64_t *)(gpa + PAGE_SIZE);
	uint64_t zapped = 0;

	for (uint64_t i = 0; i < iters; i++) {
		asm volatile("lock incq %0" : "+m"(p[0]) :: "memory");
		p[8 + id] = i;
		if ((i & 127) == 0) {
			/* The host drops this page under us: 0 or ours. */
			uint64_t v = q[id];

			GUEST_ASSERT(v == 0 || v == RACE_MAGIC + id);
			zapped += v == 0;
			q[id] = RACE_MAGIC + id;
		}
	}
	GUEST_SYNC2(iters, zapped);
}

struct racer {
	struct vmw86_vcpu *vcpu;
	uint64_t zapped;
	volatile int done;
};

static void *racer_thread(void *arg)
{
	struct racer *r = arg;
	struct ucall uc;

	TEST_ASSERT(vcpu_run_ucall(r->vcpu, &uc) == UCALL_SYNC &&
		    uc.args[0] == RACE_ITERS, "racer %u: bad sync",
		    r->vcpu->id);
	r->zapped = uc.args[1];
	vcpu_run_expect_done(r->vcpu);
	r->done = 1;
	return NULL;
}

static void guest_bystander(uint64_t id, uint64_t rounds)
{
	(void)id;
	for (uint64_t i = 0; i < rounds; i++) {
		uint64_t a = 0, b = 1;

		for (uint64_t k = 0; k < 1000 + i; k++) {
			uint64_t t = a + b;

			a = b;
			b = t;
		}
		GUEST_SYNC2(i, a);
	}
}

struct bystander {
	struct vmw86_vcpu *vcpu;
	volatile int *stop;
	uint64_t rounds;
};

static void *bystander_thread(void *arg)
{
	struct bystander *b = arg;
	struct ucall uc;

	while (!*b->stop) {
		uint64_t a = 0, f = 1;

		for (uint64_t k = 0; k < 1000 + b->rounds; k++) {
			uint64_t t = a + f;

			a = f;
			f = t;
		}
		TEST_ASSERT(vcpu_run_ucall(b->vcpu, &uc) == UCALL_SYNC,
			    "bystander: no sync");
		TEST_ASSERT(uc.args[0] == b->rounds && uc.args[1] == a,
			    "bystander round %lu: got %lu, 0x%lx (want 0x%lx)",
			    b->rounds, uc.args[0], uc.args[1], a);
		b->rounds++;
	}
	return NULL;
}

TEST(vcpus_race_on_one_page)
{
	struct vmw86_vm *vm = vm_create(), *vm2;
	struct racer racers[RACERS] = { 0 };
	struct bystander by = { 0 };
	pthread_t threads[RACERS], by_thread;
	volatile int stop = 0;
	uint64_t *p, zaps = 0, zapped = 0;
	struct timespec t0, t;
	int done;

	p = vm_add_anon_slot(vm, RACE_SLOT, 0, RACE_GPA, RACE_SIZE);
	for (int i = 0; i < RACERS; i++) {
		racers[i].vcpu = vm_vcpu_add(vm, i, guest_racer);
		vcpu_args_set(racers[i].vcpu, 3, (uint64_t)i, RACE_GPA,
			      RACE_ITERS);
	}
	vm2 = vm_create_with_one_vcpu(&by.vcpu, guest_bystander);
	vcpu_args_set(by.vcpu, 2, 0UL, ~0UL);
	by.stop = &stop;

	ASSERT_EQ(0, pthread_create(&by_thread, NULL, bystander_thread, &by));
	for (int i = 0; i < RACERS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, racer_thread,
					    &racers[i]));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		ASSERT_EQ(0, madvise((char *)p + PAGE_SIZE, PAGE_SIZE,
				     MADV_DONTNEED));
		zaps++;
		usleep(200);
		done = 0;
		for (int i = 0; i < RACERS; i++)
			done += racers[i].done;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (done < RACERS && t.tv_sec - t0.tv_sec < 25);
	ASSERT_EQ(RACERS, done) TH_LOG("racers stuck after 25 s");
	for (int i = 0; i < RACERS; i++)
		pthread_join(threads[i], NULL);
	/*
	 * The other VM must have made progress; on a one-CPU host the racers
	 * can finish before its thread first ran, so give it up to 10 s.
	 */
	for (int ms = 0; !READ_ONCE(by.rounds) && ms < 10000; ms += 10)
		usleep(10 * 1000);
	stop = 1;
	pthread_join(by_thread, NULL);

	EXPECT_EQ(RACERS * RACE_ITERS, p[0]);
	for (int i = 0; i < RACERS; i++) {
		EXPECT_EQ(RACE_ITERS - 1, p[8 + i]);
		zapped += racers[i].zapped;
	}
	EXPECT_LT(0, by.rounds);
	TH_LOG("%lu MADV_DONTNEED, racers saw %lu zapped reads, bystander "
	       "%lu rounds", zaps, zapped, by.rounds);
	STAT_ADD(racer_incs, p[0]);
	assert_host_healthy(_metadata);
	vm_free(vm2);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * The guest's TSC is the guest's
 */

static void guest_hlt_loop(void)
{
	for (;;)
		asm volatile("hlt");
}

/*
 * A guest TSC written far from the host's (VMW86_SET_MSRS, as a VMM
 * restoring a snapshot does) sets the guest's TSC offset; the host's own
 * TSC, and the clocks built on it, must not move.
 */
TEST(guest_tsc_does_not_move_host_tsc)
{
	static const uint64_t values[] = { 0, 1UL << 62, 12345 };
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hlt_loop);
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	for (unsigned int v = 0; v < ARRAY_SIZE(values); v++) {
		vcpu_set_msr(vcpu, MSR_IA32_TSC, values[v]);
		for (int i = 0; i < 50; i++) {
			uint64_t before = rdtsc(), after;
			struct timespec t0, t1;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			vcpu_run(vcpu);
			after = rdtsc();
			clock_gettime(CLOCK_MONOTONIC, &t1);
			TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
			ASSERT_LE(before, after)
				TH_LOG("guest TSC 0x%lx: host TSC went from 0x%lx to 0x%lx",
				       values[v], before, after);
			ASSERT_GT(before + (1UL << 40), after)
				TH_LOG("guest TSC 0x%lx: host TSC jumped from 0x%lx to 0x%lx",
				       values[v], before, after);
			ASSERT_LE(t0.tv_sec, t1.tv_sec);
			ASSERT_GT(t0.tv_sec + 2, t1.tv_sec);
		}
	}
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * A spinning guest with interrupts off still lets the host in
 */

static void on_sigalrm(int sig)
{
	(void)sig;
}

/*
 * A real-mode guest with RFLAGS.IF clear, executing zero bytes ("add
 * %al,(%bx,%si)") at CS 0xb679:0xce20 - the state fuzz_ioctl left behind
 * a RUN that ignored its timer signal for 21 s. V_INTR_MASKING means the
 * guest's IF masks only virtual interrupts: the host's timer interrupt
 * still forces a #VMEXIT, so a 100 ms itimer ends the RUN with EINTR.
 * (This state alone does not reproduce the stall; see fuzz_ioctl.)
 */
TEST(real_mode_if_clear_zero_code_is_interruptible)
{
	struct sigaction sa = { .sa_handler = on_sigalrm };
	struct itimerval it = { .it_value = { .tv_usec = 100000 } };
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	struct vmw86_sregs sregs;
	struct vmw86_regs regs;
	struct timespec t0, t1;
	double took;
	int ret;

	vcpu_setup_real_mode(vcpu, 0);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cs.selector = 0xb679;
	sregs.cs.base = 0xb6790;
	sregs.gdt.limit = 0;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);
	regs.rip = 0xce20;
	regs.rflags = 0x86;
	vcpu_regs_set(vcpu, &regs);
	memset(addr_gpa2hva(vm, 0xb6790), 0, 0x10000);

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = __vcpu_run(vcpu);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	took = t1.tv_sec - t0.tv_sec + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	TH_LOG("RUN: ret %d errno %d after %.3f s, %s", ret, errno, took,
	       vcpu_exit_str(vcpu));
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINTR, errno);
	EXPECT_GT(1.0, took);
	vm_free(vm);
}

TEST_HARNESS_MAIN
