// SPDX-License-Identifier: GPL-2.0
/*
 * exits: the exits that are not I/O or MMIO reach user space with the
 * right reason and state.
 *
 * HLT and VMMCALL exit with RIP already past the instruction (a VMM that
 * resumes at the same RIP would loop forever); VMMCALL's registers are
 * the hypercall's arguments and a result written through run->regs with
 * regs_dirty reaches the guest. A triple fault (the guest loads an empty
 * IDT and faults) is VMW86_EXIT_SHUTDOWN, not a host crash or a hang, and
 * says at which RIP and CR3 the guest died.
 * Guest state the hardware refuses at VMRUN - CR0.NW without CR0.CD,
 * EFER.LME with paging but no PAE, a reserved EFER bit; all three are
 * checked by QEMU's helper_vmrun as by real CPUs - is
 * VMW86_EXIT_FAIL_ENTRY with VMEXIT_INVALID (-1), and the vCPU runs again
 * once user space fixes the state. A failed entry leaves the vCPU's
 * interrupt control as it was: its CR8, and the host's hold on physical
 * interrupts while a guest runs with IF = 0.
 */
#include <signal.h>
#include <sys/time.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define VMEXIT_INVALID	((__u64)-1)

static void guest_hlt(void)
{
	asm volatile("hlt");
	GUEST_SYNC(1);
	asm volatile("hlt");
	GUEST_SYNC(2);
}

TEST(hlt)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_hlt);
	uint8_t *prev;

	for (int i = 1; i <= 2; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
		prev = addr_gpa2hva(vm, vcpu->run->regs.rip - 1);
		EXPECT_EQ(0xf4, *prev);		/* RIP is past the HLT */
		vcpu_run_expect_sync(vcpu, i);
	}
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_vmmcall(void)
{
	uint64_t rax = 0x1234, rbx = 0xb0b, rcx = 0xc0c;

	asm volatile("vmmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx) :: "memory");
	GUEST_ASSERT_EQ(rax, 0x600d);
	GUEST_ASSERT_EQ(rbx, 0xb0b);
	GUEST_ASSERT_EQ(rcx, 0xc0c);
	GUEST_SYNC(rax);
}

TEST(vmmcall)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_vmmcall);
	struct vmw86_run *run = vcpu->run;
	uint8_t *insn;

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_VMMCALL);
	EXPECT_EQ(0x1234, run->regs.rax);
	EXPECT_EQ(0xb0b, run->regs.rbx);
	EXPECT_EQ(0xc0c, run->regs.rcx);
	insn = addr_gpa2hva(vm, run->regs.rip - 3);
	EXPECT_EQ(0x0f, insn[0]);
	EXPECT_EQ(0x01, insn[1]);
	EXPECT_EQ(0xd9, insn[2]);

	/* The hypercall's result, through the shared regs. */
	run->regs.rax = 0x600d;
	run->regs_dirty = 1;
	vcpu_run_expect_sync(vcpu, 0x600d);
	EXPECT_EQ(0, run->regs_dirty);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

extern char triple_fault_ud2[];

static void guest_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) empty_idt = { 0, 0 };

	asm volatile("lidt %0\n"
		     "triple_fault_ud2: ud2" :: "m"(empty_idt) : "memory");
	GUEST_SYNC(0xbad);
}

TEST(triple_fault_shutdown)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_triple_fault);
	struct vmw86_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_SHUTDOWN);
	/* Where it died, for the VMM's diagnosis: the UD2 nobody could handle. */
	EXPECT_EQ((uint64_t)triple_fault_ud2, vcpu->run->shutdown.rip);
	EXPECT_EQ(sregs.cr3, vcpu->run->shutdown.cr3);

	/* The vCPU is usable again once user space sets its state. */
	vcpu_setup_long_mode(vcpu);
	vcpu_set_entry(vcpu, guest_hlt);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	vm_free(vm);
}

static void guest_simple(void)
{
	GUEST_SYNC(42);
}

/* Break the long-mode state with @mutate, expect FAIL_ENTRY, recover. */
static void fail_entry_test(struct __test_metadata *_metadata,
			    void (*mutate)(struct vmw86_sregs *))
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_simple);
	struct vmw86_sregs sregs;
	struct vmw86_regs regs;

	vcpu_sregs_get(vcpu, &sregs);
	mutate(&sregs);
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_regs_get(vcpu, &regs);

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_FAIL_ENTRY);
	EXPECT_EQ(VMEXIT_INVALID, vcpu->run->fail_entry.hardware_exit_reason);
	/* Nothing ran: RIP is still the entry point. */
	EXPECT_EQ(regs.rip, vcpu->run->regs.rip);

	vcpu_setup_long_mode(vcpu);
	vcpu_run_expect_sync(vcpu, 42);
	vm_free(vm);
}

static void cr0_nw_without_cd(struct vmw86_sregs *sregs)
{
	sregs->cr0 |= X86_CR0_NW;
	sregs->cr0 &= ~X86_CR0_CD;
}

static void lme_paging_without_pae(struct vmw86_sregs *sregs)
{
	sregs->cr4 &= ~X86_CR4_PAE;
}

static void efer_reserved_bit(struct vmw86_sregs *sregs)
{
	sregs->efer |= 1UL << 16;
}

TEST(fail_entry_cr0_nw_without_cd)
{
	fail_entry_test(_metadata, cr0_nw_without_cd);
}

TEST(fail_entry_lme_paging_without_pae)
{
	fail_entry_test(_metadata, lme_paging_without_pae);
}

TEST(fail_entry_efer_reserved_bit)
{
	fail_entry_test(_metadata, efer_reserved_bit);
}

static void guest_cr8_then_spin_with_if_clear(void)
{
	uint64_t cr8;

	asm volatile("mov %%cr8, %0" : "=r"(cr8));
	GUEST_SYNC(cr8);
	asm volatile("cli");
	for (;;)
		asm volatile("pause");
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * The #VMEXIT of a failed VMRUN writes the VMCB's int_ctl back, and QEMU's
 * SVM writes a stale zero there. That cleared V_INTR_MASKING (APM vol. 2,
 * 15.21.1): the guest's CR8 then read the host's TPR, and a guest with
 * IF = 0 held the host CPU's interrupts off for good, which stopped the
 * whole test machine (fuzz_ioctl's random guests did it). After a failed
 * entry the vCPU's CR8 is what user space set, the guest reads it, and a
 * guest spinning with interrupts off still lets a host timer end RUN.
 */
TEST(fail_entry_keeps_interrupt_control)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm =
		vm_create_with_one_vcpu(&vcpu, guest_cr8_then_spin_with_if_clear);
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct itimerval it = {
		.it_interval = { .tv_usec = 100000 },
		.it_value = { .tv_usec = 100000 },
	};
	struct itimerval off = { 0 };
	struct vmw86_sregs sregs;

	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr8 = 5;
	cr0_nw_without_cd(&sregs);
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_FAIL_ENTRY);
	vcpu_sregs_get(vcpu, &sregs);
	ASSERT_EQ(5, sregs.cr8);

	vcpu_setup_long_mode(vcpu);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.cr8 = 5;
	vcpu_sregs_set(vcpu, &sregs);
	vcpu_run_expect_sync(vcpu, 5);

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(-1, __vcpu_run(vcpu));
		EXPECT_EQ(EINTR, errno);
		EXPECT_EQ(VMW86_EXIT_INTR, vcpu->run->exit_reason);
	}
	setitimer(ITIMER_REAL, &off, NULL);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(5, sregs.cr8);
	vm_free(vm);
}

TEST_HARNESS_MAIN
