// SPDX-License-Identifier: GPL-2.0
/*
 * intercepts: the guest cannot reach the host's SVM machinery or MSRs.
 *
 * Each SVM instruction (VMRUN, VMLOAD, VMSAVE, STGI, CLGI, SKINIT,
 * INVLPGA) must raise #UD in the guest - delivered through the guest's own
 * IDT, where a handler records vector 6 and skips the 3-byte instruction -
 * since vmw86 offers no nested virtualization and executing them for real
 * would hand the guest the host's world switch. VMMCALL alone exits to
 * user space. RDMSR/WRMSR of an MSR vmw86 does not keep (SPEC_CTRL,
 * VM_CR, VM_HSAVE_PA) raises #GP in the guest instead of touching the
 * host's register, and the guest's EFER never shows SVME.
 */
#include "kselftest_harness.h"
#include "vmw86_lib.h"

/* Filled in by the guest's handler, in guest memory. */
static volatile uint64_t last_vector = ~0ULL, exceptions;

static void skip3_handler(struct ex_regs *regs)
{
	last_vector = regs->vector;
	exceptions++;
	regs->rip += 3;
}

/* RDMSR and WRMSR are 2 bytes (0F 32, 0F 30). */
static void skip2_handler(struct ex_regs *regs)
{
	last_vector = regs->vector;
	exceptions++;
	GUEST_ASSERT_EQ(regs->error_code, 0);
	regs->rip += 2;
}

#define SVM_INSN(name, bytes)						\
static void guest_##name(void)						\
{									\
	uint64_t before = exceptions;					\
									\
	last_vector = ~0ULL;						\
	asm volatile(".byte " bytes					\
		     :: "a"(0x1000), "c"(0) : "memory");		\
	GUEST_ASSERT_EQ(last_vector, UD_VECTOR);			\
	GUEST_ASSERT_EQ(exceptions, before + 1);			\
	GUEST_SYNC(last_vector);					\
}

SVM_INSN(vmrun, "0x0f, 0x01, 0xd8")
SVM_INSN(vmload, "0x0f, 0x01, 0xda")
SVM_INSN(vmsave, "0x0f, 0x01, 0xdb")
SVM_INSN(stgi, "0x0f, 0x01, 0xdc")
SVM_INSN(clgi, "0x0f, 0x01, 0xdd")
SVM_INSN(skinit, "0x0f, 0x01, 0xde")
SVM_INSN(invlpga, "0x0f, 0x01, 0xdf")

static void run_ud_test(struct __test_metadata *_metadata, void *guest)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest);

	vm_install_exception_handler(vm, UD_VECTOR, skip3_handler);
	vcpu_run_expect_sync(vcpu, UD_VECTOR);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	(void)_metadata;
}

TEST(vmrun_ud)		{ run_ud_test(_metadata, guest_vmrun); }
TEST(vmload_ud)		{ run_ud_test(_metadata, guest_vmload); }
TEST(vmsave_ud)		{ run_ud_test(_metadata, guest_vmsave); }
TEST(stgi_ud)		{ run_ud_test(_metadata, guest_stgi); }
TEST(clgi_ud)		{ run_ud_test(_metadata, guest_clgi); }
TEST(skinit_ud)		{ run_ud_test(_metadata, guest_skinit); }
TEST(invlpga_ud)	{ run_ud_test(_metadata, guest_invlpga); }

static void guest_vmmcall(void)
{
	asm volatile("vmmcall" :: "a"(0x42) : "memory");
	GUEST_SYNC(exceptions);
}

TEST(vmmcall_exits)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_vmmcall);

	vm_install_exception_handler(vm, UD_VECTOR, skip3_handler);
	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_VMMCALL);
	EXPECT_EQ(0x42, vcpu->run->regs.rax);
	vcpu_run_expect_sync(vcpu, 0);		/* no #UD */
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static const uint32_t foreign_msrs[] = {
	MSR_IA32_SPEC_CTRL, MSR_VM_CR, MSR_VM_HSAVE_PA,
};

static void guest_foreign_msrs(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(foreign_msrs); i++) {
		uint32_t lo = 0x5a5a, hi = 0xa5a5;
		uint64_t before = exceptions;

		last_vector = ~0ULL;
		asm volatile("rdmsr" : "+a"(lo), "+d"(hi)
			     : "c"(foreign_msrs[i]) : "memory");
		GUEST_ASSERT_EQ(last_vector, GP_VECTOR);
		GUEST_ASSERT_EQ(exceptions, before + 1);
		/* The faulting RDMSR wrote nothing. */
		GUEST_ASSERT_EQ(lo, 0x5a5a);
		GUEST_ASSERT_EQ(hi, 0xa5a5);

		last_vector = ~0ULL;
		asm volatile("wrmsr" :: "a"(0), "d"(0), "c"(foreign_msrs[i])
			     : "memory");
		GUEST_ASSERT_EQ(last_vector, GP_VECTOR);
		GUEST_ASSERT_EQ(exceptions, before + 2);
		GUEST_SYNC(foreign_msrs[i]);
	}
}

TEST(foreign_msrs_gp)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_foreign_msrs);

	vm_install_exception_handler(vm, GP_VECTOR, skip2_handler);
	for (unsigned int i = 0; i < ARRAY_SIZE(foreign_msrs); i++)
		vcpu_run_expect_sync(vcpu, foreign_msrs[i]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_efer(void)
{
	uint64_t efer = rdmsr(MSR_EFER);

	GUEST_ASSERT_EQ(efer & EFER_SVME, 0);
	GUEST_ASSERT_EQ(efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	/* Writing EFER back (with SVME clear) keeps the guest running... */
	wrmsr(MSR_EFER, efer);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER), efer);
	GUEST_SYNC(efer);
}

TEST(efer_svme_hidden)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_efer);
	struct vmw86_sregs sregs;

	vcpu_run_expect_sync(vcpu, EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE);
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0, sregs.efer & EFER_SVME);
	EXPECT_EQ(0, vcpu_get_msr(vcpu, MSR_EFER) & EFER_SVME);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
