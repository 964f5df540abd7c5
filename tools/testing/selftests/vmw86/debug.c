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
 * debugger steps, and it arrives once released. Every bad argument gets
 * its errno and changes nothing.
 */
#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define RFLAGS_TF	(1ULL << 8)
#define DR6_BS		(1ULL << 14)
#define INSN_INT3	0xcc
#define INSN_NOP	0x90
#define IRQ_VECTOR	0x40
#define STEP_PORT	0x80

#define ALL_BITS (VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_SINGLESTEP |	\
		  VMW86_GUESTDBG_USE_SW_BP | VMW86_GUESTDBG_INJECT_DB |	\
		  VMW86_GUESTDBG_INJECT_BP | VMW86_GUESTDBG_BLOCKIRQ)

/* Labels in the guest code below, at the same address in the host. */
extern char bp_insn[], step_1[], step_2[], step_3[], step_4[], step_5[],
	    step_end[], own_int3[], db_here[], irq_loop[];

/* Filled in by the guest's handlers, in guest memory. */
static volatile uint64_t bp_count, bp_rip, db_count, db_rip, irq_count;

static int set_debug(struct vmw86_vcpu *vcpu, uint32_t control)
{
	struct vmw86_guest_debug dbg = { .control = control };

	return ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg);
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
	if (exception == DB_VECTOR)
		EXPECT_EQ(DR6_BS, run->debug.dr6 & DR6_BS);
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
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, step_1);
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, step_2);
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, step_3);
	EXPECT_EQ(2, vcpu->run->regs.rax);
	/* CPUID: the kernel completed it; it is still one step. */
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, step_4);
	/* OUT: user space's exit first, then the step, before step_5 runs. */
	vcpu_run(vcpu);
	vcpu_expect_out(vcpu, STEP_PORT, 1);
	EXPECT_EQ((uint64_t)step_5, vcpu->run->regs.rip);
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, step_5);
	expect_debug_exit(_metadata, vcpu, DB_VECTOR, step_end);

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
	const uint32_t sw_bp = VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_SW_BP;
	struct ucall uc;

	vm_install_exception_handler(vm, BP_VECTOR, bp_handler);
	ASSERT_EQ(0, set_debug(vcpu, sw_bp));
	expect_debug_exit(_metadata, vcpu, BP_VECTOR, own_int3);
	/* Not the debugger's: hand it back. */
	ASSERT_EQ(0, set_debug(vcpu, sw_bp | VMW86_GUESTDBG_INJECT_BP));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ((uint64_t)own_int3 + 1, uc.args[1]);

	/* RIP is past the OUT now, on no INT3. */
	EXPECT_EQ(-1, set_debug(vcpu, sw_bp | VMW86_GUESTDBG_INJECT_BP));
	EXPECT_EQ(EINVAL, errno);

	/* Without a debugger the guest's INT3 is the guest's: no exit. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(2, uc.args[0]);
	EXPECT_EQ((uint64_t)own_int3 + 1, uc.args[1]);
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
	const uint32_t sw_bp = VMW86_GUESTDBG_ENABLE | VMW86_GUESTDBG_USE_SW_BP;
	struct ucall uc;
	uint8_t old;

	vm_install_exception_handler(vm, DB_VECTOR, db_handler);
	ASSERT_EQ(0, set_debug(vcpu, sw_bp));
	old = plant_int3(vm, db_here);
	expect_debug_exit(_metadata, vcpu, BP_VECTOR, db_here);
	restore_byte(vm, db_here, old);

	ASSERT_EQ(0, set_debug(vcpu, sw_bp | VMW86_GUESTDBG_INJECT_DB));
	/* One event at a time: the #DB is still waiting. */
	EXPECT_EQ(-1, set_debug(vcpu, sw_bp | VMW86_GUESTDBG_INJECT_DB));
	EXPECT_EQ(EBUSY, errno);
	ASSERT_EQ(0, set_debug(vcpu, 0));
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	/* Delivered before the NOP ran, with RIP on it. */
	EXPECT_EQ((uint64_t)db_here, uc.args[1]);
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
		expect_debug_exit(_metadata, vcpu, DB_VECTOR, irq_loop + i);
	count = *(volatile uint64_t *)addr_gpa2hva(vm, (uint64_t)&irq_count);
	EXPECT_EQ(0, count);

	/* Released, the interrupt that waited arrives. */
	ASSERT_EQ(0, set_debug(vcpu, 0));
	vcpu_run_expect_sync(vcpu, 1);
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
		VMW86_GUESTDBG_ENABLE | (1u << 17),	/* HW_BP: not offered */
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
	for (int i = 0; i < 8; i++) {
		memset(&dbg, 0, sizeof(dbg));
		dbg.control = VMW86_GUESTDBG_ENABLE;
		dbg.debugreg[i] = 0x400;
		EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_GUEST_DEBUG, &dbg));
		EXPECT_EQ(EINVAL, errno) TH_LOG("debugreg[%d]", i);
	}
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
