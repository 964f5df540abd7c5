// SPDX-License-Identifier: GPL-2.0
/*
 * debug: a debugger in user space holds a vCPU (VMW86_SET_GUEST_DEBUG).
 *
 * A software breakpoint is an INT3 the debugger writes into guest memory:
 * the guest stops on it with VMW86_EXIT_DEBUG, exception 3, RIP and pc on
 * the INT3. Single-stepping then stops after each instruction (exception
 * 1, DR6.BS set, RIP at the next one), also after an instruction the
 * kernel completes (CPUID) or user space does (OUT); the guest's RFLAGS
 * never shows the debugger's TF and its DR6 never the debugger's BS. An
 * INT3 of the guest's own is handed back with INJECT_BP and reaches the
 * guest's #BP handler with RIP past it, as it does with debugging off;
 * INJECT_DB delivers a #DB. BLOCKIRQ holds a queued interrupt while the
 * debugger steps, and it arrives once released. The debugger's hardware
 * breakpoint stops the guest on its instruction (B0), its write
 * watchpoint just past the store (B1) and not on a read; meanwhile the
 * guest's MOV DR reads back the guest's own values, which are in force
 * again once the debugger lets go. The guest's own instruction
 * breakpoint reaches its #DB handler while the debugger single-steps.
 * Every bad argument gets its errno and changes nothing.
 */
#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define RFLAGS_TF	(1ULL << 8)
#define DR6_BS		(1ULL << 14)
#define INSN_INT3	0xcc
#define INSN_NOP	0x90
#define IRQ_VECTOR	0x40
#define STEP_PORT	0x80

#define RFLAGS_RF	(1ULL << 16)
#define DR6_B0		(1ULL << 0)
#define DR6_B1		(1ULL << 1)
#define DR7_FIXED	0x400ULL
/* DR7 for breakpoint @n: L bit, R/W (0 execute, 1 write), LEN (3: 4 bytes). */
#define DR7_BP(n, rw, len) ((1ULL << ((n) * 2)) |			\
			    ((uint64_t)(rw) << (16 + (n) * 4)) |	\
			    ((uint64_t)(len) << (18 + (n) * 4)))

#define SW_BP	(VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_SW_BP)
#define ALL_BITS (VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_SINGLESTEP |	\
		  VMW86_GUESTDBG_USE_SW_BP | VMW86_GUESTDBG_USE_HW_BP |	\
		  VMW86_GUESTDBG_INJECT_DB | VMW86_GUESTDBG_INJECT_BP |	\
		  VMW86_GUESTDBG_BLOCKIRQ)

/* Labels in the guest code below, at the same address in the host. */
extern char bp_insn[], step_1[], step_2[], step_3[], step_4[], step_5[],
	    step_end[], own_int3[], db_here[], irq_loop[], hw_bp_insn[],
	    wp_after[], gbp_insn[];

/* Filled in by the guest's handlers, in guest memory. */
static volatile uint64_t bp_count, bp_rip, db_count, db_rip, db_dr6,
	irq_count, watched;

static int set_debug(struct vmw86_vcpu *vcpu, uint32_t control)
{
	struct vmw86_guest_debug dbg = { .control = control };

	return ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg);
}

/* The debugger's breakpoint @n at @addr, with DR7 @dr7. */
static int set_hw_bp(struct vmw86_vcpu *vcpu, int n, void *addr, uint64_t dr7)
{
	struct vmw86_guest_debug dbg = {
		.control = VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_HW_BP,
	};

	dbg.debugreg[n] = (uint64_t)addr;
	dbg.debugreg[7] = dr7;
	return ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg);
}

static uint64_t get_dr0(void)
{
	uint64_t v;

	asm volatile("mov %%dr0, %0" : "=r"(v));
	return v;
}

static uint64_t get_dr7(void)
{
	uint64_t v;

	asm volatile("mov %%dr7, %0" : "=r"(v));
	return v;
}

static void set_dr0(uint64_t v)
{
	asm volatile("mov %0, %%dr0" :: "r"(v));
}

static void set_dr7(uint64_t v)
{
	asm volatile("mov %0, %%dr7" :: "r"(v));
}

/* Put the debugger's INT3 at @addr; return the byte it replaced. */
static uint8_t plant_int3(struct vmw86_vm *vm, void *addr)
{
	uint8_t *p = addr_gpa2hva(vm, (uint64_t)addr), old = *p;

	*p = INSN_INT3;
	return old;
}

static void restore_byte(struct vmw86_vm *vm, void *addr, uint8_t old)
{
	*(uint8_t *)addr_gpa2hva(vm, (uint64_t)addr) = old;
}

static void expect_debug_exit(struct __test_metadata *_metadata,
			      struct vmw86_vcpu *vcpu, uint32_t exception,
			      void *rip)
{
	struct vmw86_run *run = vcpu->run;

	vcpu_run(vcpu);
	ASSERT_EQ(VMW86_EXIT_DEBUG, run->exit_reason)
		TH_LOG("%s", vcpu_exit_str(vcpu));
	EXPECT_EQ(exception, run->debug.exception);
	EXPECT_EQ((uint64_t)rip, run->regs.rip);
	/* The library's guests run in 64-bit mode: pc is RIP. */
	EXPECT_EQ((uint64_t)rip, run->debug.pc);
	EXPECT_EQ(0, run->regs.rflags & RFLAGS_TF);
}

static void expect_sync2(struct __test_metadata *_metadata,
			 struct vmw86_vcpu *vcpu, uint64_t a, uint64_t b)
{
	struct ucall uc;

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(a, uc.args[0]);
	EXPECT_EQ(b, uc.args[1]);
}

/* A single step: the debugger's #DB with DR6.BS. */
static void expect_step(struct __test_metadata *_metadata,
			struct vmw86_vcpu *vcpu, void *rip)
{
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, rip);
	EXPECT_EQ(DR6_BS, vcpu->run->debug.dr6 & DR6_BS);
}

/*
 * MOV, INC and NOP run in the guest; CPUID is completed by the kernel,
 * OUT by user space. RAX is 2 before the CPUID.
 */
static void guest_step(void)
{
	uint64_t dr6;

	asm volatile(".global bp_insn, step_1, step_2, step_3, step_4\n\t"
		     ".global step_5, step_end\n\t"
		     "bp_insn: nop\n\t"
		     "step_1: mov $1, %%eax\n\t"
		     "step_2: inc %%eax\n\t"
		     "step_3: cpuid\n\t"
		     "step_4: outb %%al, $0x80\n\t"
		     "step_5: nop\n\t"
		     "step_end:\n\t"
		     ::: "rax", "rbx", "rcx", "rdx", "memory");
	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	GUEST_SYNC(dr6);
}

TEST(breakpoint_then_single_steps)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_step);
	const uint32_t step = VMW86_GUESTDBG_ENABLE |
			      VMW86_GUESTDBG_SINGLESTEP;
	struct ucall uc;
	uint8_t old;

	ASSERT_EQ(0, set_debug(vcpu, VMW86_GUESTDBG_ENABLE |
				     VMW86_GUESTDBG_USE_SW_BP));
	old = plant_int3(vm, bp_insn);
	expect_debug_exit(_metadata, vcpu, BP_VECTOR, bp_insn);
	restore_byte(vm, bp_insn, old);

	ASSERT_EQ(0, set_debug(vcpu, step));
	expect_step(_metadata, vcpu, step_1);
	expect_step(_metadata, vcpu, step_2);
	expect_step(_metadata, vcpu, step_3);
	EXPECT_EQ(2, vcpu->run->regs.rax);
	/* CPUID: the kernel completed it; it is still one step. */
	expect_step(_metadata, vcpu, step_4);
	/* OUT: user space's exit first, then the step, before step_5 runs. */
	vcpu_run(vcpu);
	vcpu_expect_out(vcpu, STEP_PORT, 1);
	EXPECT_EQ((uint64_t)step_5, vcpu->run->regs.rip);
	expect_step(_metadata, vcpu, step_5);
	expect_step(_metadata, vcpu, step_end);

	/* Off: the guest runs on, and its DR6 never saw the steps' BS. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(0, uc.args[0] & DR6_BS) TH_LOG("guest DR6 0x%lx", uc.args[0]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void bp_handler(struct ex_regs *regs)
{
	bp_count++;
	bp_rip = regs->rip;
}

/* One copy of the label, however often it is called. */
static __attribute__((noipa)) void guest_int3(void)
{
	asm volatile(".global own_int3\n\t"
		     "own_int3: int3" ::: "memory");
}

/* The guest's own INT3, twice: once with a debugger, once without. */
static void guest_own_int3(void)
{
	for (int i = 1; i <= 2; i++) {
		guest_int3();
		GUEST_SYNC2(bp_count, bp_rip);
	}
}

TEST(inject_bp)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_own_int3);

	vm_install_exception_handler(vm, BP_VECTOR, bp_handler);
	ASSERT_EQ(0, set_debug(vcpu, SW_BP));
	expect_debug_exit(_metadata, vcpu, BP_VECTOR, own_int3);
	/* Not the debugger's: hand it back. */
	ASSERT_EQ(0, set_debug(vcpu, SW_BP | VMW86_GUESTDBG_INJECT_BP));
	expect_sync2(_metadata, vcpu, 1, (uint64_t)own_int3 + 1);

	/* RIP is past the OUT now, on no INT3. */
	EXPECT_EQ(-1, set_debug(vcpu, SW_BP | VMW86_GUESTDBG_INJECT_BP));
	EXPECT_EQ(EINVAL, errno);

	/* Without a debugger the guest's INT3 is the guest's: no exit. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	expect_sync2(_metadata, vcpu, 2, (uint64_t)own_int3 + 1);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void db_handler(struct ex_regs *regs)
{
	db_count++;
	db_rip = regs->rip;
}

static void guest_inject_db(void)
{
	asm volatile(".global db_here\n\t"
		     "db_here: nop" ::: "memory");
	GUEST_SYNC2(db_count, db_rip);
}

TEST(inject_db)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_inject_db);
	uint8_t old;

	vm_install_exception_handler(vm, DB_VECTOR, db_handler);
	ASSERT_EQ(0, set_debug(vcpu, SW_BP));
	old = plant_int3(vm, db_here);
	expect_debug_exit(_metadata, vcpu, BP_VECTOR, db_here);
	restore_byte(vm, db_here, old);

	ASSERT_EQ(0, set_debug(vcpu, SW_BP | VMW86_GUESTDBG_INJECT_DB));
	/* One event at a time: the #DB is still waiting. */
	EXPECT_EQ(-1, set_debug(vcpu, SW_BP | VMW86_GUESTDBG_INJECT_DB));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, set_debug(vcpu, 0));
	/* Delivered before the NOP ran, with RIP on it. */
	expect_sync2(_metadata, vcpu, 1, (uint64_t)db_here);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void irq_handler(struct ex_regs *regs)
{
	irq_count++;
	(void)regs;
}

static void guest_irq_loop(void)
{
	asm volatile("sti\n\t"
		     ".global irq_loop\n\t"
		     "irq_loop: nop\n\tnop\n\tnop\n\tnop\n\tnop\n\tnop"
		     ::: "memory");
	while (!irq_count)
		asm volatile("pause");
	GUEST_SYNC(irq_count);
}

TEST(blockirq)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_irq_loop);
	struct vmw86_interrupt irq = { .vector = IRQ_VECTOR };
	uint64_t count;
	uint8_t old;

	vm_install_exception_handler(vm, IRQ_VECTOR, irq_handler);
	ASSERT_EQ(0, set_debug(vcpu, VMW86_GUESTDBG_ENABLE |
				     VMW86_GUESTDBG_USE_SW_BP));
	old = plant_int3(vm, irq_loop);
	expect_debug_exit(_metadata, vcpu, BP_VECTOR, irq_loop);
	restore_byte(vm, irq_loop, old);
	EXPECT_TRUE(vcpu->run->if_flag);

	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_INTERRUPT, &irq));
	ASSERT_EQ(0, set_debug(vcpu, VMW86_GUESTDBG_ENABLE |
				     VMW86_GUESTDBG_SINGLESTEP |
				     VMW86_GUESTDBG_BLOCKIRQ));
	for (int i = 1; i <= 4; i++)
		expect_step(_metadata, vcpu, irq_loop + i);
	count = *(volatile uint64_t *)addr_gpa2hva(vm, (uint64_t)&irq_count);
	EXPECT_EQ(0, count);

	/* Released, the interrupt that waited arrives. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_hw_bp(void)
{
	asm volatile(".global hw_bp_insn\n\t"
		     "hw_bp_insn: nop" ::: "memory");
	GUEST_SYNC(get_dr7());
}

TEST(hw_breakpoint)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hw_bp);
	struct vmw86_run *run = vcpu->run;

	ASSERT_EQ(0, set_hw_bp(vcpu, 0, hw_bp_insn, DR7_BP(0, 0, 0)));
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, hw_bp_insn);
	EXPECT_EQ(DR6_B0, run->debug.dr6 & 0xf);
	/* The guest's DR7 is its own, not the debugger's. */
	EXPECT_EQ(DR7_FIXED, run->debug.dr7);
	/* Once: the breakpoint gone, the guest runs on. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	vcpu_run_expect_sync(vcpu, DR7_FIXED);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_watch(void)
{
	uint64_t v;

	asm volatile("movq $1, %0\n\t"
		     ".global wp_after\n\t"
		     "wp_after: nop" : "=m"(watched) :: "memory");
	/* A read does not trigger a write watchpoint. */
	v = watched;
	GUEST_SYNC(v);
}

TEST(write_watchpoint)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_watch);
	struct vmw86_run *run = vcpu->run;

	/* DR1: write, 8 bytes (LEN 2). */
	ASSERT_EQ(0, set_hw_bp(vcpu, 1, (void *)&watched, DR7_BP(1, 1, 2)));
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, wp_after);
	EXPECT_EQ(DR6_B1, run->debug.dr6 & 0xf);
	/* A data breakpoint traps after the write. */
	EXPECT_EQ(1, *(volatile uint64_t *)addr_gpa2hva(vm, (uint64_t)&watched));
	vcpu_run_expect_sync(vcpu, 1);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* The guest's own DR0 and DR7, while the debugger's are loaded and after. */
static void guest_own_drs(void)
{
	GUEST_SYNC2(get_dr0(), get_dr7());
	set_dr0(0x1234000);
	set_dr7(DR7_FIXED | DR7_BP(0, 1, 3));
	GUEST_SYNC2(get_dr0(), get_dr7());
	GUEST_SYNC2(get_dr0(), get_dr7());
	set_dr7(DR7_FIXED);
	GUEST_SYNC(get_dr7());
}

TEST(guest_drs_kept_apart)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_own_drs);
	const uint64_t guest_dr7 = DR7_FIXED | DR7_BP(0, 1, 3);

	/* The debugger's DR0 watches something the guest never writes. */
	ASSERT_EQ(0, set_hw_bp(vcpu, 0, (void *)&irq_count, DR7_BP(0, 1, 2)));
	expect_sync2(_metadata, vcpu, 0, DR7_FIXED);
	expect_sync2(_metadata, vcpu, 0x1234000, guest_dr7);
	/* Let go: the values the guest wrote meanwhile are in force. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	expect_sync2(_metadata, vcpu, 0x1234000, guest_dr7);
	vcpu_run_expect_sync(vcpu, DR7_FIXED);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void gbp_handler(struct ex_regs *regs)
{
	uint64_t dr6;

	db_count++;
	db_rip = regs->rip;
	asm volatile("mov %%dr6, %0" : "=r"(dr6));
	db_dr6 = dr6;
	/* Resume over the instruction breakpoint (APM vol. 2, 13.1.5.1). */
	regs->rflags |= RFLAGS_RF;
}

/* The guest's own instruction breakpoint on gbp_insn. */
static void guest_own_bp(void)
{
	set_dr0((uint64_t)gbp_insn);
	set_dr7(DR7_FIXED | DR7_BP(0, 0, 0));
	asm volatile(".global gbp_insn\n\t"
		     "gbp_insn: nop" ::: "memory");
	set_dr7(DR7_FIXED);
	GUEST_SYNC3(db_count, db_rip, db_dr6);
}

TEST(guest_breakpoint_while_stepped)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_own_bp);
	struct vmw86_run *run = vcpu->run;
	struct ucall uc;
	int steps = 0;

	vm_install_exception_handler(vm, DB_VECTOR, gbp_handler);
	ASSERT_EQ(0, set_debug(vcpu, VMW86_GUESTDBG_ENABLE |
				     VMW86_GUESTDBG_SINGLESTEP));
	/* Step through it all, the guest's #DB handler included. */
	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason != VMW86_EXIT_DEBUG)
			break;
		ASSERT_EQ(DB_VECTOR, run->debug.exception);
		EXPECT_EQ(0, run->regs.rflags & RFLAGS_TF);
		ASSERT_GT(100000, ++steps);
	}
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ((uint64_t)gbp_insn, uc.args[1]);
	EXPECT_EQ(DR6_B0, uc.args[2] & 0xf);
	EXPECT_EQ(0, uc.args[2] & DR6_BS) TH_LOG("guest DR6 0x%lx", uc.args[2]);
	TH_LOG("%d steps", steps);
	EXPECT_LT(10, steps);
	ASSERT_EQ(0, set_debug(vcpu, 0));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_plain(void)
{
	GUEST_SYNC(0x600d);
}

TEST(bad_arguments)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_plain);
	int dev = open_vmw86_dev();
	struct vmw86_guest_debug dbg;
	struct vmw86_regs before, after;
	static const uint32_t bad_controls[] = {
		VMW86_GUESTDBG_ENABLE | (1u << 2),	/* unknown */
		VMW86_GUESTDBG_ENABLE | (1u << 31),
		VMW86_GUESTDBG_SINGLESTEP,		/* without ENABLE */
		VMW86_GUESTDBG_USE_SW_BP,
		VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_INJECT_DB |
			VMW86_GUESTDBG_INJECT_BP,	/* both */
		VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_INJECT_BP, /* no INT3 */
	};

	EXPECT_EQ(ALL_BITS, ioctl(dev, VMW86_CHECK_EXTENSION,
				  VMW86_CAP_GUEST_DEBUG));
	close(dev);

	vcpu_regs_get(vcpu, &before);
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_controls); i++) {
		EXPECT_EQ(-1, set_debug(vcpu, bad_controls[i]))
			TH_LOG("control 0x%x", bad_controls[i]);
		EXPECT_EQ(EINVAL, errno) TH_LOG("control 0x%x",
						bad_controls[i]);
	}
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = VMW86_GUESTDBG_ENABLE;
	dbg.pad = 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	/* Debug registers only for hardware breakpoints, never DR4-DR6. */
	for (int i = 0; i < 8; i++) {
		memset(&dbg, 0, sizeof(dbg));
		dbg.control = VMW86_GUESTDBG_ENABLE;
		dbg.debugreg[i] = 0x400;
		EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg));
		EXPECT_EQ(EINVAL, errno) TH_LOG("debugreg[%d]", i);
	}
	for (int i = 4; i < 7; i++) {
		memset(&dbg, 0, sizeof(dbg));
		dbg.control = VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_HW_BP;
		dbg.debugreg[i] = 0x400;
		EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg));
		EXPECT_EQ(EINVAL, errno) TH_LOG("HW_BP, debugreg[%d]", i);
	}
	memset(&dbg, 0, sizeof(dbg));
	dbg.control = VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_HW_BP;
	dbg.debugreg[7] = 1ULL << 32;		/* DR7's upper half */
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, (void *)8));
	EXPECT_EQ(EFAULT, errno);

	/* Nothing of that took hold: no RIP moved, no debugging on. */
	vcpu_regs_get(vcpu, &after);
	EXPECT_EQ(0, memcmp(&before, &after, sizeof(before)));
	vcpu_run_expect_sync(vcpu, 0x600d);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
