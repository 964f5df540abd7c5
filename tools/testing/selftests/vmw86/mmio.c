// SPDX-License-Identifier: GPL-2.0
/*
 * mmio: a guest access to a GPA with no slot behind it reaches user space
 * as VMW86_EXIT_MMIO with what a device model needs, and the access can be
 * completed there.
 *
 * The guest stores to and loads from a fake device at MMIO_GPA with MOV
 * in every size (8, 16, 32, 64 bits; register, high-byte register and
 * immediate sources), MOVZX, MOVSX and MOVSXD. lib/mmio.c decodes
 * run->mmio.insn with Zydis and hands each access to the device callback;
 * the host checks the stored values and the guest checks the loaded ones,
 * including the register merge and extension rules. The same is done from
 * 32-bit protected mode and from 16-bit real mode (with a segment base
 * above 1 MiB), where cs_db/cs_l must tell the decoder the mode.
 */
#include "kselftest_harness.h"
#include "mmio.h"
#include "vmw86_lib.h"

#define MMIO_GPA	0xc0000000UL
#define MMIO_SIZE	0x1000
#define REPORT_PORT	0x2000

struct device {
	uint8_t mem[MMIO_SIZE];
	int accesses;
	struct mmio_access last;
};

static void device_access(void *opaque, struct mmio_access *a)
{
	struct device *dev = opaque;
	uint64_t off = a->gpa - MMIO_GPA;

	TEST_ASSERT(a->gpa >= MMIO_GPA && off + a->size <= MMIO_SIZE,
		    "access at 0x%lx size %u outside the device", a->gpa,
		    a->size);
	TEST_ASSERT(a->size == 1 || a->size == 2 || a->size == 4 ||
		    a->size == 8, "size %u", a->size);
	if (a->is_write) {
		memcpy(dev->mem + off, &a->value, a->size);
	} else {
		a->value = 0;
		memcpy(&a->value, dev->mem + off, a->size);
	}
	dev->accesses++;
	dev->last = *a;
}

/* Run until a ucall or I/O exit, completing every MMIO exit on the way. */
static void run_with_device(struct vmw86_vcpu *vcpu, struct device *dev)
{
	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason != VMW86_EXIT_MMIO)
			return;
		vcpu_handle_mmio(vcpu, device_access, dev);
	}
}

static void guest_mmio(uint64_t id, uint64_t base)
{
	uint64_t v;

	(void)id;
	/* Stores: immediates. */
	asm volatile("movb $0x11, 0(%0)" :: "r"(base) : "memory");
	asm volatile("movw $0x2233, 2(%0)" :: "r"(base) : "memory");
	asm volatile("movl $0x44556677, 4(%0)" :: "r"(base) : "memory");
	asm volatile("movq $-2, 8(%0)" :: "r"(base) : "memory");
	/* Stores: registers, including AH and a REX-only byte register. */
	asm volatile("mov %%al, 16(%0)" :: "r"(base), "a"(0x1234abcdULL)
		     : "memory");
	asm volatile("mov %%ah, 17(%0)" :: "r"(base), "a"(0x1234abcdULL)
		     : "memory");
	asm volatile("mov %%cx, 18(%0)" :: "r"(base), "c"(0xffff8899ULL)
		     : "memory");
	asm volatile("mov %%edx, 20(%0)" :: "r"(base),
		     "d"(0xaaaaaaaa01020304ULL) : "memory");
	asm volatile("mov %1, 24(%0)" :: "r"(base),
		     "r"(0x0102030405060708ULL) : "memory");
	asm volatile("mov %%sil, 32(%0)" :: "r"(base), "S"(0x7eULL)
		     : "memory");
	GUEST_SYNC(1);

	/* Loads: MOV merges 8/16-bit, zero-extends 32-bit. */
	v = 0x1111111111111111ULL;
	asm volatile("movb 0x40(%1), %%al" : "+a"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0x11111111111111f1ULL);
	v = 0x2222222222222222ULL;
	asm volatile("movb 0x40(%1), %%ah" : "+a"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0x222222222222f122ULL);
	v = 0x3333333333333333ULL;
	asm volatile("movw 0x42(%1), %%cx" : "+c"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0x333333333333e2d3ULL);
	v = 0x4444444444444444ULL;
	asm volatile("movl 0x44(%1), %%edx" : "+d"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0x00000000c4b5a697ULL);
	asm volatile("movq 0x48(%1), %0" : "=r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0x8877665544332211ULL);
	/* MOVZX, MOVSX, MOVSXD. */
	v = ~0ULL;
	asm volatile("movzbl 0x40(%1), %k0" : "+r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0xf1);
	asm volatile("movzwq 0x42(%1), %0" : "=r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0xe2d3);
	asm volatile("movsbq 0x40(%1), %0" : "=r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0xfffffffffffffff1ULL);
	v = ~0ULL;
	asm volatile("movswl 0x42(%1), %k0" : "+r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0x00000000ffffe2d3ULL);
	asm volatile("movslq 0x44(%1), %0" : "=r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffc4b5a697ULL);
	asm volatile("movsbw 0x50(%1), %w0" : "=r"(v) : "r"(base) : "memory");
	GUEST_ASSERT_EQ(v & 0xffff, 0x0012);
	/* R8-R15 destinations. */
	asm volatile("movq 0x48(%1), %%r14\n\tmov %%r14, %0" : "=r"(v)
		     : "r"(base) : "r14", "memory");
	GUEST_ASSERT_EQ(v, 0x8877665544332211ULL);
	GUEST_SYNC(2);
}

TEST(mmio_64bit)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_mmio);
	struct device *dev = calloc(1, sizeof(*dev));
	static const uint8_t load_data[] = {
		[0x00] = 0xf1, 0x00, 0xd3, 0xe2, 0x97, 0xa6, 0xb5, 0xc4,
		[0x08] = 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
		[0x10] = 0x12,
	};
	struct ucall uc;
	uint64_t q;

	memcpy(dev->mem + 0x40, load_data, sizeof(load_data));
	vcpu_args_set(vcpu, 2, 0UL, MMIO_GPA);

	run_with_device(vcpu, dev);
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	ASSERT_EQ(1, uc.args[0]);
	EXPECT_EQ(10, dev->accesses);
	EXPECT_EQ(0x11, dev->mem[0]);
	EXPECT_EQ(0x2233, *(uint16_t *)&dev->mem[2]);
	EXPECT_EQ(0x44556677, *(uint32_t *)&dev->mem[4]);
	memcpy(&q, &dev->mem[8], 8);
	EXPECT_EQ(0xfffffffffffffffeULL, q);
	EXPECT_EQ(0xcd, dev->mem[16]);
	EXPECT_EQ(0xab, dev->mem[17]);
	EXPECT_EQ(0x8899, *(uint16_t *)&dev->mem[18]);
	EXPECT_EQ(0x01020304, *(uint32_t *)&dev->mem[20]);
	memcpy(&q, &dev->mem[24], 8);
	EXPECT_EQ(0x0102030405060708ULL, q);
	EXPECT_EQ(0x7e, dev->mem[32]);
	EXPECT_EQ(0, dev->mem[33]);

	run_with_device(vcpu, dev);
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	ASSERT_EQ(2, uc.args[0]);
	vcpu_run_expect_done(vcpu);
	free(dev);
	vm_free(vm);
}

/* 32-bit protected mode, paging off. */
extern char pm32_mmio[], pm32_mmio_end[];
asm(".pushsection .text\n"
	".code32\n"
	"pm32_mmio:\n"
	"	movl $0x13572468, 0xc0000100\n"
	"	movl 0xc0000104, %eax\n"
	"	mov $0x2000, %dx\n"
	"	out %eax, %dx\n"
	"	movw $0xbeef, %cx\n"
	"	movw %cx, 0xc0000108\n"
	"	movzbl 0xc000010a, %eax\n"
	"	out %eax, %dx\n"
	"	hlt\n"
	"pm32_mmio_end:\n"
	".code64\n"
	".popsection\n");

TEST(mmio_32bit)
{
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	struct device *dev = calloc(1, sizeof(*dev));

	vm_load_blob(vm, LOW_BLOB_GPA, pm32_mmio, pm32_mmio_end);
	vcpu_setup_pmode32(vcpu, LOW_BLOB_GPA);
	*(uint32_t *)&dev->mem[0x104] = 0xfeedc0de;
	dev->mem[0x10a] = 0x9c;

	run_with_device(vcpu, dev);
	EXPECT_EQ(0x13572468, *(uint32_t *)&dev->mem[0x100]);
	EXPECT_EQ(0xfeedc0de, vcpu_expect_out(vcpu, REPORT_PORT, 4));
	run_with_device(vcpu, dev);
	EXPECT_EQ(0xbeef, *(uint16_t *)&dev->mem[0x108]);
	EXPECT_EQ(0x9c, vcpu_expect_out(vcpu, REPORT_PORT, 4));
	EXPECT_EQ(4, dev->accesses);
	run_with_device(vcpu, dev);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	free(dev);
	vm_free(vm);
}

/* Real mode, ES.base set to MMIO_GPA by SET_SREGS ("unreal" base). */
extern char rm_mmio[], rm_mmio_end[];
asm(".pushsection .text\n"
	".code16\n"
	"rm_mmio:\n"
	"	movw $0x1234, %es:0x200\n"
	"	movb %es:0x202, %al\n"
	"	mov $0x2000, %dx\n"
	"	out %al, %dx\n"
	"	movl %es:0x204, %eax\n"		/* operand-size prefix */
	"	out %eax, %dx\n"
	"	hlt\n"
	"rm_mmio_end:\n"
	".code64\n"
	".popsection\n");

TEST(mmio_16bit)
{
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, 0);
	struct device *dev = calloc(1, sizeof(*dev));
	struct vmw86_sregs sregs;

	vm_load_blob(vm, LOW_BLOB_GPA, rm_mmio, rm_mmio_end);
	vcpu_setup_real_mode(vcpu, LOW_BLOB_GPA);
	vcpu_sregs_get(vcpu, &sregs);
	sregs.es.base = MMIO_GPA;
	vcpu_sregs_set(vcpu, &sregs);
	dev->mem[0x202] = 0x5d;
	*(uint32_t *)&dev->mem[0x204] = 0x0badcafe;

	run_with_device(vcpu, dev);
	EXPECT_EQ(0x1234, *(uint16_t *)&dev->mem[0x200]);
	EXPECT_EQ(0x5d, vcpu_expect_out(vcpu, REPORT_PORT, 1));
	run_with_device(vcpu, dev);
	EXPECT_EQ(0x0badcafe, vcpu_expect_out(vcpu, REPORT_PORT, 4));
	run_with_device(vcpu, dev);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	EXPECT_EQ(3, dev->accesses);
	free(dev);
	vm_free(vm);
}

TEST_HARNESS_MAIN
