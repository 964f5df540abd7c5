// SPDX-License-Identifier: GPL-2.0
/*
 * regs: vCPU state read and written by user space is the state the guest
 * runs with, and the guest's changes are what user space reads back.
 *
 * Covers VMW86_GET/SET_REGS (every GPR, RIP, RFLAGS, seen by guest code
 * that dumps its registers), GET/SET_SREGS (segments with their hidden
 * parts, CR0/2/3/4/8, EFER with SVME hidden), GET/SET_MSRS (every kept MSR
 * round trips; processing stops at the first unknown MSR and returns the
 * count), VMW86_SET_CPUID (the guest's CPUID answers come from the table,
 * with OSXSAVE following CR4), GET/SET_XSAVE (XMM registers reach the
 * guest and come back) and guest WRMSRs to the MSRs Linux itself uses
 * (FS/GS bases, syscall entry MSRs): after such an exit the host process
 * must keep working - syscalls, TLS, threads - which fails if vmw86 does
 * not restore the host's values.
 */
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

/* ----------------------------------------------------------------------
 * General registers.
 */

struct vmw86_regs guest_regs_dump;
void guest_dump_regs(void);
void guest_dump_done(void);

asm(".pushsection .text\n"
	"guest_dump_regs:\n"
	"	movq %rax, guest_regs_dump+0(%rip)\n"
	"	movq %rbx, guest_regs_dump+8(%rip)\n"
	"	movq %rcx, guest_regs_dump+16(%rip)\n"
	"	movq %rdx, guest_regs_dump+24(%rip)\n"
	"	movq %rsi, guest_regs_dump+32(%rip)\n"
	"	movq %rdi, guest_regs_dump+40(%rip)\n"
	"	movq %rsp, guest_regs_dump+48(%rip)\n"
	"	movq %rbp, guest_regs_dump+56(%rip)\n"
	"	movq %r8, guest_regs_dump+64(%rip)\n"
	"	movq %r9, guest_regs_dump+72(%rip)\n"
	"	movq %r10, guest_regs_dump+80(%rip)\n"
	"	movq %r11, guest_regs_dump+88(%rip)\n"
	"	movq %r12, guest_regs_dump+96(%rip)\n"
	"	movq %r13, guest_regs_dump+104(%rip)\n"
	"	movq %r14, guest_regs_dump+112(%rip)\n"
	"	movq %r15, guest_regs_dump+120(%rip)\n"
	"	leaq guest_dump_regs(%rip), %rax\n"
	"	movq %rax, guest_regs_dump+128(%rip)\n"
	"	pushfq\n"
	"	popq %rax\n"
	"	movq %rax, guest_regs_dump+136(%rip)\n"
	"	andq $-16, %rsp\n"
	"	call guest_dump_done\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n");

void guest_dump_done(void)
{
	GUEST_SYNC(1);
	/* Registers changed by the guest show up in run->regs at the exit. */
	asm volatile("mov $0x1212, %%r12\n\t"
		     "mov $0x1313, %%r13\n\t"
		     "mov $0x1414, %%r14\n\t"
		     "hlt" ::: "r12", "r13", "r14");
	GUEST_DONE();
}

#define TEST_RFLAGS	(X86_EFLAGS_FIXED | 0x1 | 0x4 | 0x40 | 0x80 | 0x800)

TEST(regs_round_trip)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_dump_regs);
	struct vmw86_regs regs, got, *dump;
	uint64_t *r = (uint64_t *)&regs;

	vcpu_regs_get(vcpu, &regs);
	for (int i = 0; i < 16; i++) {
		if (i != 6)	/* keep RSP on the guest stack */
			r[i] = 0x0101010101010101ULL * (i + 1) + i;
	}
	regs.rflags = TEST_RFLAGS;
	vcpu_regs_set(vcpu, &regs);
	vcpu_regs_get(vcpu, &got);
	EXPECT_EQ(0, memcmp(&regs, &got, sizeof(regs)));

	vcpu_run_expect_sync(vcpu, 1);
	dump = addr_gpa2hva(vm, (uint64_t)&guest_regs_dump);
	EXPECT_EQ(regs.rax, dump->rax);
	EXPECT_EQ(regs.rbx, dump->rbx);
	EXPECT_EQ(regs.rcx, dump->rcx);
	EXPECT_EQ(regs.rdx, dump->rdx);
	EXPECT_EQ(regs.rsi, dump->rsi);
	EXPECT_EQ(regs.rdi, dump->rdi);
	EXPECT_EQ(regs.rsp, dump->rsp);
	EXPECT_EQ(regs.rbp, dump->rbp);
	EXPECT_EQ(regs.r8, dump->r8);
	EXPECT_EQ(regs.r9, dump->r9);
	EXPECT_EQ(regs.r10, dump->r10);
	EXPECT_EQ(regs.r11, dump->r11);
	EXPECT_EQ(regs.r12, dump->r12);
	EXPECT_EQ(regs.r13, dump->r13);
	EXPECT_EQ(regs.r14, dump->r14);
	EXPECT_EQ(regs.r15, dump->r15);
	EXPECT_EQ(regs.rip, dump->rip);
	EXPECT_EQ(TEST_RFLAGS, dump->rflags);

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	EXPECT_EQ(0x1212, vcpu->run->regs.r12);
	EXPECT_EQ(0x1313, vcpu->run->regs.r13);
	EXPECT_EQ(0x1414, vcpu->run->regs.r14);
	vcpu_regs_get(vcpu, &got);
	EXPECT_EQ(0, memcmp(&vcpu->run->regs, &got, sizeof(got)));
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ----------------------------------------------------------------------
 * Special registers.
 */

static void guest_sregs(uint64_t id, uint64_t fs_base)
{
	uint64_t v, cr2, cr8;

	(void)id;
	asm volatile("mov %%fs:0x10, %0" : "=r"(v));
	GUEST_ASSERT_EQ(v, 0x0f5f5f5f5ULL);
	GUEST_ASSERT_EQ(rdmsr(MSR_FS_BASE), fs_base);
	asm volatile("mov %%cr2, %0" : "=r"(cr2));
	GUEST_ASSERT_EQ(cr2, 0xc2c2c2c2000ULL);
	asm volatile("mov %%cr8, %0" : "=r"(cr8));
	GUEST_ASSERT_EQ(cr8, 5);
	GUEST_ASSERT_EQ(rdmsr(MSR_EFER) & EFER_SVME, 0);
	/* Reload ES from the GDT: the hidden part follows. */
	asm volatile("mov %0, %%es" :: "r"((uint16_t)GUEST_DS));
	asm volatile("mov %0, %%cr2" :: "r"(0xabcd000ULL));
	GUEST_SYNC(1);
}

#define EXPECT_SEG_EQ(a, b)						\
do {									\
	EXPECT_EQ((a).base, (b).base);					\
	EXPECT_EQ((a).limit, (b).limit);				\
	EXPECT_EQ((a).selector, (b).selector);				\
	EXPECT_EQ((a).type, (b).type);					\
	EXPECT_EQ((a).present, (b).present);				\
	EXPECT_EQ((a).dpl, (b).dpl);					\
	EXPECT_EQ((a).db, (b).db);					\
	EXPECT_EQ((a).s, (b).s);					\
	EXPECT_EQ((a).l, (b).l);					\
	EXPECT_EQ((a).g, (b).g);					\
	EXPECT_EQ((a).avl, (b).avl);					\
} while (0)

TEST(sregs_round_trip)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_sregs);
	struct vmw86_sregs sregs, got;
	uint64_t fs_base = vm->scratch_gpa + 0x3000;

	*(uint64_t *)addr_gpa2hva(vm, fs_base + 0x10) = 0x0f5f5f5f5ULL;
	vcpu_args_set(vcpu, 2, 0UL, fs_base);

	vcpu_sregs_get(vcpu, &sregs);
	sregs.fs.base = fs_base;
	sregs.fs.avl = 1;
	sregs.gs.base = 0x00007f1234567000ULL;
	sregs.gs.limit = 0xfffff;
	sregs.gs.g = 0;
	sregs.gs.type = 1;	/* read-only, accessed */
	sregs.gs.dpl = 0;
	sregs.es.selector = 0;
	sregs.es.present = 0;
	sregs.es.unusable = 1;
	sregs.es.base = 0;
	sregs.es.limit = 0;
	sregs.es.type = 0;
	sregs.es.s = 0;
	sregs.es.db = 0;
	sregs.es.g = 0;
	sregs.cr2 = 0xc2c2c2c2000ULL;
	sregs.cr8 = 5;
	sregs.efer |= EFER_SVME;	/* ignored */
	vcpu_sregs_set(vcpu, &sregs);

	vcpu_sregs_get(vcpu, &got);
	EXPECT_SEG_EQ(sregs.cs, got.cs);
	EXPECT_SEG_EQ(sregs.ds, got.ds);
	EXPECT_SEG_EQ(sregs.fs, got.fs);
	EXPECT_SEG_EQ(sregs.gs, got.gs);
	EXPECT_SEG_EQ(sregs.ss, got.ss);
	EXPECT_SEG_EQ(sregs.tr, got.tr);
	EXPECT_EQ(0, got.es.present);
	EXPECT_EQ(1, got.es.unusable);
	EXPECT_EQ(!got.cs.present, got.cs.unusable);
	EXPECT_EQ(sregs.gdt.base, got.gdt.base);
	EXPECT_EQ(sregs.gdt.limit, got.gdt.limit);
	EXPECT_EQ(sregs.idt.base, got.idt.base);
	EXPECT_EQ(sregs.idt.limit, got.idt.limit);
	EXPECT_EQ(sregs.cr0, got.cr0);
	EXPECT_EQ(sregs.cr2, got.cr2);
	EXPECT_EQ(sregs.cr3, got.cr3);
	EXPECT_EQ(sregs.cr4, got.cr4);
	EXPECT_EQ(5, got.cr8);
	EXPECT_EQ(sregs.efer & ~EFER_SVME, got.efer);
	EXPECT_EQ(0, got.apic_base);

	vcpu_run_expect_sync(vcpu, 1);
	vcpu_sregs_get(vcpu, &got);
	EXPECT_EQ(GUEST_DS, got.es.selector);
	EXPECT_EQ(1, got.es.present);
	EXPECT_EQ(0, got.es.unusable);
	EXPECT_EQ(3, got.es.type & 3);
	EXPECT_EQ(0xabcd000, got.cr2);
	EXPECT_EQ(0, got.efer & EFER_SVME);
	EXPECT_EQ(sregs.efer & ~EFER_SVME, got.efer);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

/* ----------------------------------------------------------------------
 * MSRs.
 */

struct msr_list {
	struct vmw86_msrs hdr;
	struct vmw86_msr_entry e[VMW86_MAX_MSR_ENTRIES + 1];
};

static const struct {
	uint32_t index;
	uint64_t value;
} kept_msrs[] = {
	{ MSR_STAR, 0x0023001000000000ULL },
	{ MSR_LSTAR, 0xffffffff81a00000ULL },
	{ MSR_CSTAR, 0xffffffff81a00100ULL },
	{ MSR_SYSCALL_MASK, 0x47700 },
	{ MSR_KERNEL_GS_BASE, 0x00007f0000001000ULL },
	{ MSR_FS_BASE, 0x00007f0000002000ULL },
	{ MSR_GS_BASE, 0x00007f0000003000ULL },
	{ MSR_IA32_SYSENTER_CS, 0x10 },
	{ MSR_IA32_SYSENTER_ESP, 0x82000000 },	/* 32 bits on AMD */
	{ MSR_IA32_SYSENTER_EIP, 0x81b00000 },
	{ MSR_IA32_CR_PAT, 0x0007010600070106ULL },
	{ MSR_TSC_AUX, 0x2a },
};

static void guest_read_msrs(void)
{
	for (unsigned int i = 0; i < ARRAY_SIZE(kept_msrs); i++)
		GUEST_ASSERT_EQ(rdmsr(kept_msrs[i].index), kept_msrs[i].value);
	GUEST_SYNC(rdmsr(MSR_IA32_TSC));
}

TEST(msrs_round_trip)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_read_msrs);
	struct msr_list *m = calloc(1, sizeof(*m));
	unsigned int n = ARRAY_SIZE(kept_msrs);
	const uint64_t tsc = 1ULL << 40;
	struct ucall uc;

	for (unsigned int i = 0; i < n; i++) {
		m->e[i].index = kept_msrs[i].index;
		m->e[i].data = kept_msrs[i].value;
	}
	m->e[n].index = MSR_IA32_TSC;
	m->e[n].data = tsc;
	m->hdr.nmsrs = n + 1;
	EXPECT_EQ((int)n + 1, ioctl(vcpu->fd, VMW86_SET_MSRS, m));

	memset(m->e, 0, sizeof(m->e));
	for (unsigned int i = 0; i < n; i++)
		m->e[i].index = kept_msrs[i].index;
	m->e[n].index = MSR_IA32_TSC;
	m->e[n + 1].index = MSR_EFER;
	m->hdr.nmsrs = n + 2;
	EXPECT_EQ((int)n + 2, ioctl(vcpu->fd, VMW86_GET_MSRS, m));
	for (unsigned int i = 0; i < n; i++) {
		EXPECT_EQ(kept_msrs[i].value, m->e[i].data)
			TH_LOG("MSR 0x%x", kept_msrs[i].index);
	}
	EXPECT_LE(tsc, m->e[n].data);
	EXPECT_GT(tsc + (1ULL << 38), m->e[n].data);
	EXPECT_EQ(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE, m->e[n + 1].data);

	/* The guest reads the same values. */
	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	EXPECT_LE(tsc, uc.args[0]);
	EXPECT_GT(tsc + (1ULL << 38), uc.args[0]);
	free(m);
	vm_free(vm);
}

TEST(msrs_stop_at_unknown)
{
	struct vmw86_vm *vm = vm_create();
	struct vmw86_vcpu *vcpu = vm_vcpu_add(vm, 0, guest_read_msrs);
	struct msr_list *m = calloc(1, sizeof(*m));

	vcpu_set_msr(vcpu, MSR_LSTAR, 0xffffffff81000000ULL);
	m->hdr.nmsrs = 3;
	m->e[0] = (struct vmw86_msr_entry){ .index = MSR_STAR,
					    .data = 0x0023001000000000ULL };
	m->e[1] = (struct vmw86_msr_entry){ .index = MSR_IA32_SPEC_CTRL,
					    .data = 1 };
	m->e[2] = (struct vmw86_msr_entry){ .index = MSR_LSTAR,
					    .data = 0xffffffff82000000ULL };
	EXPECT_EQ(1, ioctl(vcpu->fd, VMW86_SET_MSRS, m));
	EXPECT_EQ(0x0023001000000000ULL, vcpu_get_msr(vcpu, MSR_STAR));
	EXPECT_EQ(0xffffffff81000000ULL, vcpu_get_msr(vcpu, MSR_LSTAR));

	m->hdr.nmsrs = 3;
	m->e[0] = (struct vmw86_msr_entry){ .index = MSR_STAR };
	m->e[1] = (struct vmw86_msr_entry){ .index = MSR_STAR };
	m->e[2] = (struct vmw86_msr_entry){ .index = MSR_VM_CR };
	EXPECT_EQ(2, ioctl(vcpu->fd, VMW86_GET_MSRS, m));

	m->e[0] = (struct vmw86_msr_entry){ .index = MSR_VM_HSAVE_PA };
	EXPECT_EQ(0, ioctl(vcpu->fd, VMW86_GET_MSRS, m));
	EXPECT_EQ(0, ioctl(vcpu->fd, VMW86_SET_MSRS, m));

	m->hdr.nmsrs = VMW86_MAX_MSR_ENTRIES + 1;
	for (int i = 0; i <= VMW86_MAX_MSR_ENTRIES; i++)
		m->e[i] = (struct vmw86_msr_entry){ .index = MSR_STAR };
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_GET_MSRS, m));
	EXPECT_EQ(E2BIG, errno);
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_MSRS, m));
	EXPECT_EQ(E2BIG, errno);
	m->hdr.nmsrs = VMW86_MAX_MSR_ENTRIES;
	EXPECT_EQ(VMW86_MAX_MSR_ENTRIES, ioctl(vcpu->fd, VMW86_GET_MSRS, m));
	free(m);
	vm_free(vm);
}

/* ----------------------------------------------------------------------
 * Guest writes to the MSRs the host kernel and libc depend on.
 */

static const struct {
	uint32_t index;
	uint64_t value;
} clobbered_msrs[] = {
	{ MSR_FS_BASE, 0x0000100000001000ULL },
	{ MSR_GS_BASE, 0x0000100000002000ULL },
	{ MSR_KERNEL_GS_BASE, 0x0000100000003000ULL },
	{ MSR_LSTAR, 0x0000100000004000ULL },
	{ MSR_CSTAR, 0x0000100000005000ULL },
	{ MSR_STAR, 0x0033002800000000ULL },
	{ MSR_SYSCALL_MASK, 0x3ff },
	{ MSR_IA32_SYSENTER_CS, 0x77 },
	{ MSR_IA32_SYSENTER_ESP, 0x60006000 },
	{ MSR_IA32_SYSENTER_EIP, 0x70007000 },
	{ MSR_TSC_AUX, 0x3 },
};

static void guest_clobber_msrs(void)
{
	for (int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < ARRAY_SIZE(clobbered_msrs); i++)
			wrmsr(clobbered_msrs[i].index,
			      clobbered_msrs[i].value + round);
		for (unsigned int i = 0; i < ARRAY_SIZE(clobbered_msrs); i++)
			GUEST_ASSERT_EQ(rdmsr(clobbered_msrs[i].index),
					clobbered_msrs[i].value + round);
		GUEST_SYNC(round);
	}
}

static __thread uint64_t tls_value = 0x7157;

static void *thread_fn(void *arg)
{
	tls_value = (uint64_t)arg;
	return (void *)(tls_value + 1);
}

static void check_host_alive(struct __test_metadata *_metadata, int round)
{
	struct timeval tv;
	int fds[2];
	char buf[8] = "";
	pthread_t t;
	void *ret;

	EXPECT_EQ(getpid(), syscall(SYS_getpid));
	EXPECT_EQ(0x7157 + round, tls_value);
	tls_value++;
	errno = 0;
	EXPECT_EQ(-1, close(-1));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, pipe(fds));
	EXPECT_EQ(5, write(fds[1], "vmw86", 5));
	EXPECT_EQ(5, read(fds[0], buf, 5));
	EXPECT_EQ(0, memcmp(buf, "vmw86", 5));
	close(fds[0]);
	close(fds[1]);
	EXPECT_EQ(0, gettimeofday(&tv, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, thread_fn, (void *)100UL));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(101, (uint64_t)ret);
}

TEST(guest_msr_writes_keep_host_working)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_clobber_msrs);

	for (int round = 0; round < 3; round++) {
		vcpu_run_expect_sync(vcpu, round);
		check_host_alive(_metadata, round);
		for (unsigned int i = 0; i < ARRAY_SIZE(clobbered_msrs); i++) {
			EXPECT_EQ(clobbered_msrs[i].value + round,
				  vcpu_get_msr(vcpu, clobbered_msrs[i].index))
				TH_LOG("MSR 0x%x", clobbered_msrs[i].index);
		}
	}
	vcpu_run_expect_done(vcpu);
	check_host_alive(_metadata, 3);
	vm_free(vm);
}

/* ----------------------------------------------------------------------
 * CPUID.
 */

struct cpuid_table {
	struct vmw86_cpuid hdr;
	struct vmw86_cpuid_entry e[VMW86_MAX_CPUID_ENTRIES + 1];
};

static struct vmw86_cpuid_entry *find_leaf(struct cpuid_table *t,
					   uint32_t fn, uint32_t idx)
{
	for (uint32_t i = 0; i < t->hdr.nent; i++)
		if (t->e[i].function == fn && t->e[i].index == idx)
			return &t->e[i];
	return NULL;
}

static void get_supported(struct __test_metadata *_metadata,
			  struct cpuid_table *t)
{
	int fd = open_vmw86_dev();

	t->hdr.nent = VMW86_MAX_CPUID_ENTRIES;
	ASSERT_EQ(0, ioctl(fd, VMW86_GET_SUPPORTED_CPUID, t))
		TH_LOG("VMW86_GET_SUPPORTED_CPUID: %s", strerror(errno));
	close(fd);
}

TEST(supported_cpuid)
{
	struct cpuid_table *t = calloc(1, sizeof(*t));
	struct vmw86_cpuid_entry *e;

	get_supported(_metadata, t);
	e = find_leaf(t, 1, 0);
	ASSERT_NE(NULL, e);
	EXPECT_TRUE(e->ecx & CPUID_1_ECX_HYPERVISOR);
	e = find_leaf(t, 0x80000001, 0);
	ASSERT_NE(NULL, e);
	EXPECT_FALSE(e->ecx & CPUID_80000001_ECX_SVM);
	e = find_leaf(t, 0x40000000, 0);
	ASSERT_NE(NULL, e);
	EXPECT_EQ(0, memcmp(&e->ebx, "VMwa", 4));
	EXPECT_EQ(0, memcmp(&e->ecx, "reVM", 4));
	EXPECT_EQ(0, memcmp(&e->edx, "ware", 4));
	free(t);
}

static void guest_default_cpuid(void)
{
	uint32_t a, b, c, d;
	char sig[13];

	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT(c & CPUID_1_ECX_HYPERVISOR);
	GUEST_ASSERT(!(c & CPUID_1_ECX_OSXSAVE));	/* CR4.OSXSAVE is 0 */
	cpuid_count(0x80000001, 0, &a, &b, &c, &d);
	GUEST_ASSERT(!(c & CPUID_80000001_ECX_SVM));
	cpuid_count(0x40000000, 0, &a, &b, &c, &d);
	*(uint32_t *)&sig[0] = b;
	*(uint32_t *)&sig[4] = c;
	*(uint32_t *)&sig[8] = d;
	GUEST_ASSERT(sig[0] == 'V' && sig[3] == 'a' && sig[4] == 'r' &&
		     sig[7] == 'M' && sig[8] == 'w' && sig[11] == 'e');
	GUEST_SYNC4(b, c, d, 0);
}

TEST(default_cpuid_in_guest)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_default_cpuid);
	struct ucall uc;
	char sig[13] = "";

	ASSERT_EQ(UCALL_SYNC, vcpu_run_ucall(vcpu, &uc));
	memcpy(sig, &uc.args[0], 4);
	memcpy(sig + 4, &uc.args[1], 4);
	memcpy(sig + 8, &uc.args[2], 4);
	EXPECT_STREQ("VMwareVMware", sig);
	vm_free(vm);
}

static void guest_custom_cpuid(uint64_t id, uint64_t host_xsave)
{
	uint32_t a, b, c, d;

	(void)id;
	cpuid_count(0, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0xd);
	GUEST_ASSERT_EQ(b, 0x74736554);		/* "TestCPUIDVnd" */
	cpuid_count(0x12345678, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(a, 0xa1);
	GUEST_ASSERT_EQ(b, 0xb2);
	GUEST_ASSERT_EQ(c, 0xc3);
	GUEST_ASSERT_EQ(d, 0xd4);
	/* Sub-leaves are told apart only with SIGNIFICANT_INDEX. */
	cpuid_count(7, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(b, 0x70);
	cpuid_count(7, 1, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(b, 0x71);
	/* A leaf not in the table is all zeros. */
	cpuid_count(0x87654321, 0, &a, &b, &c, &d);
	GUEST_ASSERT(!a && !b && !c && !d);
	/* The table's OSXSAVE bit is ignored: CR4.OSXSAVE decides. */
	cpuid_count(1, 0, &a, &b, &c, &d);
	GUEST_ASSERT_EQ(c & ~CPUID_1_ECX_OSXSAVE, 0x00a00001);
	GUEST_ASSERT_EQ(c & CPUID_1_ECX_OSXSAVE, 0);
	GUEST_ASSERT_EQ(d, 0x1234);
	if (host_xsave) {
		set_cr4(get_cr4() | X86_CR4_OSXSAVE);
		cpuid_count(1, 0, &a, &b, &c, &d);
		GUEST_ASSERT_EQ(c & CPUID_1_ECX_OSXSAVE, CPUID_1_ECX_OSXSAVE);
		set_cr4(get_cr4() & ~X86_CR4_OSXSAVE);
		cpuid_count(1, 0, &a, &b, &c, &d);
		GUEST_ASSERT_EQ(c & CPUID_1_ECX_OSXSAVE, 0);
	}
	GUEST_SYNC(host_xsave);
}

TEST(set_cpuid)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu,
						      guest_custom_cpuid);
	struct cpuid_table *t = calloc(1, sizeof(*t));
	uint32_t a, b, c, d;
	uint64_t host_xsave;

	cpuid_count(1, 0, &a, &b, &c, &d);
	host_xsave = !!(c & CPUID_1_ECX_XSAVE);
	t->hdr.nent = 6;
	t->e[0] = (struct vmw86_cpuid_entry){ .function = 0, .eax = 0xd,
		.ebx = 0x74736554, .edx = 0x55504354, .ecx = 0x646e5644 };
	t->e[1] = (struct vmw86_cpuid_entry){ .function = 0x12345678,
		.eax = 0xa1, .ebx = 0xb2, .ecx = 0xc3, .edx = 0xd4 };
	t->e[2] = (struct vmw86_cpuid_entry){ .function = 7, .index = 0,
		.flags = VMW86_CPUID_FLAG_SIGNIFICANT_INDEX, .ebx = 0x70 };
	t->e[3] = (struct vmw86_cpuid_entry){ .function = 7, .index = 1,
		.flags = VMW86_CPUID_FLAG_SIGNIFICANT_INDEX, .ebx = 0x71 };
	t->e[4] = (struct vmw86_cpuid_entry){ .function = 1,
		.ecx = 0x00a00001 | CPUID_1_ECX_OSXSAVE, .edx = 0x1234 };
	t->e[5] = (struct vmw86_cpuid_entry){ .function = 0xd };
	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_SET_CPUID, t))
		TH_LOG("VMW86_SET_CPUID: %s", strerror(errno));
	vcpu_args_set(vcpu, 2, 0UL, host_xsave);
	vcpu_run_expect_sync(vcpu, host_xsave);

	/* Errors. */
	t->hdr.nent = VMW86_MAX_CPUID_ENTRIES + 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_CPUID, t));
	EXPECT_EQ(E2BIG, errno);
	t->hdr.nent = 1;
	t->e[0].padding[1] = 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_CPUID, t));
	EXPECT_EQ(EINVAL, errno);
	t->e[0].padding[1] = 0;
	t->e[0].flags = 1u << 1;
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_CPUID, t));
	EXPECT_EQ(EINVAL, errno);
	free(t);
	vm_free(vm);
}

/* ----------------------------------------------------------------------
 * XSAVE: XMM registers between user space and the guest. All in asm, so
 * no compiler-generated SSE code touches them in between.
 */

#define XSAVE_XMM(n)		(160 + 16 * (n))
#define XSAVE_MXCSR		24
#define XSAVE_XSTATE_BV		512
#define XFEATURE_MASK_SSE	(1ULL << 1)

void guest_xmm(void);
asm(".pushsection .text\n"
	"guest_xmm:\n"
	"	movq %xmm6, %rdi\n"
	"	movhlps %xmm6, %xmm5\n"
	"	movq %xmm5, %rsi\n"
	"	stmxcsr -8(%rsp)\n"
	"	movl -8(%rsp), %edx\n"
	"	hlt\n"
	"	movabsq $0x1122334455667788, %rax\n"
	"	movq %rax, %xmm7\n"
	"	movabsq $0x99aabbccddeeff00, %rax\n"
	"	movq %rax, %xmm4\n"
	"	movlhps %xmm4, %xmm7\n"
	"	hlt\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".popsection\n");

TEST(xsave_round_trip)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_xmm);
	struct vmw86_xsave *xs = calloc(1, sizeof(*xs));
	uint8_t *r = (uint8_t *)xs->region;
	uint64_t lo = 0x0123456789abcdefULL, hi = 0xfedcba9876543210ULL;
	uint32_t mxcsr = 0x1f80 | 0x6000;	/* round toward zero */
	uint64_t bv;

	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_GET_XSAVE, xs));
	memcpy(r + XSAVE_XMM(6), &lo, 8);
	memcpy(r + XSAVE_XMM(6) + 8, &hi, 8);
	memcpy(r + XSAVE_MXCSR, &mxcsr, 4);
	memcpy(&bv, r + XSAVE_XSTATE_BV, 8);
	bv |= XFEATURE_MASK_SSE;
	memcpy(r + XSAVE_XSTATE_BV, &bv, 8);
	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_SET_XSAVE, xs))
		TH_LOG("VMW86_SET_XSAVE: %s", strerror(errno));

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	EXPECT_EQ(lo, vcpu->run->regs.rdi);
	EXPECT_EQ(hi, vcpu->run->regs.rsi);
	EXPECT_EQ(mxcsr, (uint32_t)vcpu->run->regs.rdx);

	vcpu_run(vcpu);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	memset(xs, 0, sizeof(*xs));
	ASSERT_EQ(0, ioctl(vcpu->fd, VMW86_GET_XSAVE, xs));
	memcpy(&lo, r + XSAVE_XMM(7), 8);
	memcpy(&hi, r + XSAVE_XMM(7) + 8, 8);
	EXPECT_EQ(0x1122334455667788ULL, lo);
	EXPECT_EQ(0x99aabbccddeeff00ULL, hi);
	memcpy(&lo, r + XSAVE_XMM(6), 8);
	EXPECT_EQ(0x0123456789abcdefULL, lo);

	/* A reserved XSTATE_BV bit is refused. */
	memcpy(&bv, r + XSAVE_XSTATE_BV, 8);
	bv |= 1ULL << 63;
	memcpy(r + XSAVE_XSTATE_BV, &bv, 8);
	EXPECT_EQ(-1, ioctl(vcpu->fd, VMW86_SET_XSAVE, xs));
	EXPECT_EQ(EINVAL, errno);
	free(xs);
	vm_free(vm);
}

TEST_HARNESS_MAIN
