// SPDX-License-Identifier: GPL-2.0
/*
 * modes: the guest runs in real mode, in 32-bit protected mode and in
 * 64-bit long mode, as user space set it up with VMW86_SET_SREGS.
 *
 * Each mode computes something the host checks (port output, guest
 * memory, segment state read back with VMW86_GET_SREGS), so a vCPU that
 * only "returns" without executing the code, or executes it in the wrong
 * mode (wrong operand size, wrong segmentation), fails. Every other test
 * builds on 64-bit mode; this one shows the hypervisor does not assume it.
 */
#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define REPORT_PORT	0x2000
#define PM32_DATA_GPA	0x200000

/* Real mode: only relative jumps, values out through REPORT_PORT. */
extern char rm_blob[], rm_blob_hlt_end[], rm_blob_end[];
asm(
	".pushsection .text\n"
	".code16\n"
	"rm_blob:\n"
	"	xor %ax, %ax\n"
	"	mov $100, %cx\n"
	"1:	add %cx, %ax\n"
	"	loop 1b\n"			/* 1 + ... + 100 = 5050 */
	"	mov $0x2000, %dx\n"
	"	out %ax, %dx\n"
	"	mov $0x900, %bx\n"
	"	mov %bx, %es\n"			/* ES base = 0x9000 */
	"	movw $0xbeef, %es:0x10\n"	/* linear 0x9010 */
	"	mov 0x9010, %ax\n"		/* through DS, base 0 */
	"	out %ax, %dx\n"
	"	smsw %ax\n"
	"	out %ax, %dx\n"			/* CR0.PE == 0 */
	"	mov $0x1234, %sp\n"
	"	push $0x5678\n"
	"	pop %ax\n"
	"	mov %sp, %bx\n"
	"	out %ax, %dx\n"
	"	mov $0x7e, %al\n"
	"	out %al, %dx\n"
	"	hlt\n"
	"rm_blob_hlt_end:\n"
	"	jmp rm_blob_hlt_end\n"
	"rm_blob_end:\n"
	".code64\n"
	".popsection\n");

/* 32-bit protected mode, paging off: 32-bit operands and addresses. */
extern char pm32_blob[], pm32_blob_hlt_end[], pm32_blob_end[];
asm(
	".pushsection .text\n"
	".code32\n"
	"pm32_blob:\n"
	"	mov $0x12345, %eax\n"
	"	mov $0x100, %ecx\n"
	"	imul %ecx, %eax\n"		/* 0x1234500 */
	"	mov $0x2000, %dx\n"
	"	out %eax, %dx\n"
	"	movl $0xcafef00d, 0x200000\n"	/* above 1 MiB */
	"	mov %cr0, %eax\n"
	"	out %eax, %dx\n"
	"	mov 0x200004, %eax\n"		/* written by the host */
	"	not %eax\n"
	"	out %eax, %dx\n"
	"	hlt\n"
	"pm32_blob_hlt_end:\n"
	"	jmp pm32_blob_hlt_end\n"
	"pm32_blob_end:\n"
	".code64\n"
	".popsection\n");

TEST(real_mode)
{
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	struct vmw86_sregs sregs;

	vm_load_blob(vm, LOW_BLOB_GPA, rm_blob, rm_blob_end);
	vcpu_setup_real_mode(vcpu, LOW_BLOB_GPA);

	vcpu_run(vcpu);
	EXPECT_EQ(5050, vcpu_expect_out(vcpu, REPORT_PORT, 2));
	vcpu_run(vcpu);
	EXPECT_EQ(0xbeef, vcpu_expect_out(vcpu, REPORT_PORT, 2));
	EXPECT_EQ(0xbeef, *(uint16_t *)addr_gpa2hva(vm, 0x9010));
	vcpu_run(vcpu);
	EXPECT_EQ(0, vcpu_expect_out(vcpu, REPORT_PORT, 2) & X86_CR0_PE);
	vcpu_run(vcpu);
	EXPECT_EQ(0x5678, vcpu_expect_out(vcpu, REPORT_PORT, 2));
	EXPECT_EQ(0x1234, vcpu->run->regs.rbx);
	EXPECT_EQ(0x5678, *(uint16_t *)addr_gpa2hva(vm, 0x1232));
	vcpu_run(vcpu);
	EXPECT_EQ(0x7e, vcpu_expect_out(vcpu, REPORT_PORT, 1));

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	EXPECT_EQ(LOW_BLOB_GPA + (rm_blob_hlt_end - rm_blob),
		  vcpu->run->regs.rip);

	/* The guest's segment load updated the hidden part. */
	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(0x900, sregs.es.selector);
	EXPECT_EQ(0x9000, sregs.es.base);
	EXPECT_EQ(0, sregs.cs.selector);
	EXPECT_EQ(0, sregs.cr0 & X86_CR0_PE);
	EXPECT_EQ(0, sregs.efer & EFER_SVME);
	vm_free(vm);
}

TEST(protected_mode_32)
{
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	struct vmw86_sregs sregs;
	uint32_t cr0;

	vm_load_blob(vm, LOW_BLOB_GPA, pm32_blob, pm32_blob_end);
	*(uint32_t *)addr_gpa2hva(vm, PM32_DATA_GPA + 4) = 0x0f0f1234;
	vcpu_setup_pmode32(vcpu, LOW_BLOB_GPA);

	vcpu_run(vcpu);
	EXPECT_EQ(0x1234500, vcpu_expect_out(vcpu, REPORT_PORT, 4));
	vcpu_run(vcpu);
	cr0 = vcpu_expect_out(vcpu, REPORT_PORT, 4);
	EXPECT_EQ(X86_CR0_PE, cr0 & (X86_CR0_PE | X86_CR0_PG));
	EXPECT_EQ(0xcafef00d, *(uint32_t *)addr_gpa2hva(vm, PM32_DATA_GPA));
	vcpu_run(vcpu);
	EXPECT_EQ(~0x0f0f1234u, vcpu_expect_out(vcpu, REPORT_PORT, 4));

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	EXPECT_EQ(LOW_BLOB_GPA + (pm32_blob_hlt_end - pm32_blob),
		  vcpu->run->regs.rip);

	vcpu_sregs_get(vcpu, &sregs);
	EXPECT_EQ(GUEST_CS32, sregs.cs.selector);
	EXPECT_EQ(1, sregs.cs.db);
	EXPECT_EQ(0, sregs.cs.l);
	EXPECT_EQ(0, sregs.efer);
	vm_free(vm);
}

/* Set by the host before vm_create(): part of the image the guest gets. */
static uint64_t host_seed = 0x1234;
/* Written by the guest, read back with sync_global_from_guest(). */
static uint64_t guest_result;

static uint64_t fib(uint64_t n)
{
	uint64_t a = 0, b = 1;

	while (n--) {
		uint64_t t = a + b;

		a = b;
		b = t;
	}
	return a;
}

static void guest_code_64(uint64_t id, uint64_t arg1, uint64_t buf_gpa)
{
	const uint32_t *buf = (const uint32_t *)buf_gpa;
	uint64_t sum = 0;

	GUEST_ASSERT_EQ(id, 0);
	GUEST_ASSERT_EQ(arg1, 0xfeedface12345678ULL);
	GUEST_ASSERT_EQ(host_seed, 0x5eed);

	GUEST_ASSERT((get_cr0() & (X86_CR0_PE | X86_CR0_PG)) ==
		     (X86_CR0_PE | X86_CR0_PG));
	GUEST_ASSERT(get_cr4() & X86_CR4_PAE);
	GUEST_ASSERT(rdmsr(MSR_EFER) & EFER_LMA);

	/* 64-bit arithmetic a 32-bit guest would truncate. */
	GUEST_SYNC(fib(90));

	for (int i = 0; i < 1024; i++)
		sum += (uint64_t)buf[i] * (i + 1);
	GUEST_SYNC(sum);

	guest_result = sum ^ host_seed;
}

TEST(long_mode_64)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	uint32_t *buf;
	uint64_t sum = 0;

	host_seed = 0x5eed;
	vm = vm_create_with_one_vcpu(&vcpu, guest_code_64);
	buf = addr_gpa2hva(vm, vm->scratch_gpa);
	for (int i = 0; i < 1024; i++) {
		buf[i] = 0x9e3779b9u * (i + 7);
		sum += (uint64_t)buf[i] * (i + 1);
	}
	vcpu_args_set(vcpu, 3, 0UL, 0xfeedface12345678UL, vm->scratch_gpa);

	vcpu_run_expect_sync(vcpu, 2880067194370816120ULL);	/* fib(90) */
	vcpu_run_expect_sync(vcpu, sum);
	vcpu_run_expect_done(vcpu);

	sync_global_from_guest(vm, guest_result);
	EXPECT_EQ(sum ^ 0x5eed, guest_result);
	vm_free(vm);
}

TEST_HARNESS_MAIN
