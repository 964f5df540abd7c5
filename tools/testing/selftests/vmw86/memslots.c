// SPDX-License-Identifier: GPL-2.0
/*
 * memslots: guest memory is the caller's own mapping, kept coherent with
 * the guest, and VMW86_SET_MEMORY_REGION does what the header says.
 *
 * Data written on one side is seen on the other, also after the guest has
 * faulted the pages in. A read-only slot reads normally but a guest write
 * is an MMIO exit flagged VMW86_MMIO_WRITE that leaves memory unchanged.
 * Moving a slot while the VM lives makes the data appear at the new GPA
 * and the old GPA become MMIO (stale nested page table entries would show
 * the old mapping); deleting one makes it MMIO. MADV_DONTNEED must drop
 * the guest's mapping too (the guest then reads zeros), and a slot whose
 * mapping was munmap()ed must fail VMW86_RUN with EFAULT and
 * VMW86_EXIT_MEMORY_FAULT instead of touching freed pages. Memory backed
 * by transparent huge pages (2 MiB nested entries) stays exact when the
 * host splits them. Every invalid
 * argument gets the errno the header lists for it.
 *
 * The guest accesses here use fixed encodings so the host can complete an
 * MMIO exit without a decoder: "mov %rax, (%rbx)" (48 89 03) and
 * "mov (%rbx), %rax" (48 8b 03).
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"

#define SLOT1		1
#define SLOT1_GPA	0x10000000UL
#define SLOT1_MOVED_GPA	0x20000000UL
#define SLOT1_SIZE	(2UL << 20)

static const uint8_t insn_store[] = { 0x48, 0x89, 0x03 };
static const uint8_t insn_load[] = { 0x48, 0x8b, 0x03 };

static void guest_store(uint64_t addr, uint64_t v)
{
	asm volatile("mov %%rax, (%%rbx)" :: "a"(v), "b"(addr) : "memory");
}

static uint64_t guest_load(uint64_t addr)
{
	uint64_t v;

	asm volatile("mov (%%rbx), %%rax" : "=a"(v) : "b"(addr) : "memory");
	return v;
}

/* Check an MMIO exit for one of the fixed instructions and complete it. */
static void complete_mmio(struct vmw86_vcpu *vcpu, uint64_t gpa,
			  bool is_write, uint64_t value)
{
	struct vmw86_run *run = vcpu->run;
	const uint8_t *insn = is_write ? insn_store : insn_load;

	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_MMIO);
	TEST_ASSERT(run->mmio.gpa == gpa, "MMIO gpa 0x%llx, expected 0x%lx",
		    (unsigned long long)run->mmio.gpa, gpa);
	TEST_ASSERT(!!(run->mmio.flags & VMW86_MMIO_WRITE) == is_write,
		    "MMIO flags 0x%x, expected a %s", run->mmio.flags,
		    is_write ? "write" : "read");
	TEST_ASSERT(!(run->mmio.flags & VMW86_MMIO_FETCH), "fetch flag");
	TEST_ASSERT(run->mmio.insn_len >= 3 && run->mmio.cs_l == 1 &&
		    !memcmp(run->mmio.insn, insn, 3),
		    "insn_len %u cs_l %u bytes %02x %02x %02x",
		    run->mmio.insn_len, run->mmio.cs_l, run->mmio.insn[0],
		    run->mmio.insn[1], run->mmio.insn[2]);
	if (is_write)
		TEST_ASSERT(run->regs.rax == value, "stored 0x%llx",
			    (unsigned long long)run->regs.rax);
	else
		run->regs.rax = value;
	run->regs.rip += 3;
	run->regs_dirty = 1;
}

static void guest_coherence(uint64_t id, uint64_t buf, uint64_t n)
{
	uint64_t *p = (uint64_t *)buf;
	uint64_t sum = 0;

	(void)id;
	for (uint64_t i = 0; i < n; i++)
		sum += p[i];
	GUEST_SYNC(sum);
	for (uint64_t i = 0; i < n; i++)
		p[i] = ~p[i];
	GUEST_SYNC(1);
	/* The host changed memory the guest has already mapped. */
	GUEST_SYNC(p[0] + p[n - 1]);
}

static void coherence_test(struct __test_metadata *_metadata,
			   struct vmw86_vm *vm, struct vmw86_vcpu *vcpu,
			   uint64_t *p, uint64_t gpa)
{
	uint64_t n = SLOT1_SIZE / 8, sum = 0;

	for (uint64_t i = 0; i < n; i++) {
		p[i] = i * 0x9e3779b97f4a7c15ULL;
		sum += p[i];
	}
	vcpu_args_set(vcpu, 3, 0UL, gpa, n);
	vcpu_run_expect_sync(vcpu, sum);
	vcpu_run_expect_sync(vcpu, 1);
	for (uint64_t i = 0; i < n; i++) {
		ASSERT_EQ(~(i * 0x9e3779b97f4a7c15ULL), p[i]);
	}
	p[0] = 1000;
	p[n - 1] = 234;
	vcpu_run_expect_sync(vcpu, 1234);
	vcpu_run_expect_done(vcpu);
	(void)vm;
}

TEST(coherence_slot0)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_coherence);

	coherence_test(_metadata, vm, vcpu,
		       addr_gpa2hva(vm, vm->scratch_gpa), vm->scratch_gpa);
	vm_free(vm);
}

TEST(coherence_second_slot)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_coherence);
	uint64_t *p = vm_add_anon_slot(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE);

	coherence_test(_metadata, vm, vcpu, p, SLOT1_GPA);
	vm_free(vm);
}

static void guest_readonly(uint64_t id, uint64_t gpa)
{
	(void)id;
	GUEST_SYNC(guest_load(gpa));
	guest_store(gpa + 8, 0xdeadbeef);
	GUEST_SYNC(guest_load(gpa + 8));
	guest_store(gpa + SLOT1_SIZE - 8, 0xfeed);
	GUEST_SYNC(guest_load(gpa + SLOT1_SIZE - 8));
}

TEST(readonly_slot)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_readonly);
	uint64_t *p;

	ASSERT_EQ(1, vmw86_check_cap(vm->dev_fd, VMW86_CAP_READONLY_MEM));
	p = vm_add_anon_slot(vm, SLOT1, VMW86_MEM_READONLY, SLOT1_GPA,
			     SLOT1_SIZE);
	p[0] = 0x1111;
	p[1] = 0x2222;
	p[SLOT1_SIZE / 8 - 1] = 0x3333;
	vcpu_args_set(vcpu, 2, 0UL, SLOT1_GPA);

	vcpu_run_expect_sync(vcpu, 0x1111);
	vcpu_run(vcpu);
	complete_mmio(vcpu, SLOT1_GPA + 8, true, 0xdeadbeef);
	EXPECT_EQ(0x2222, p[1]);
	vcpu_run_expect_sync(vcpu, 0x2222);
	vcpu_run(vcpu);
	complete_mmio(vcpu, SLOT1_GPA + SLOT1_SIZE - 8, true, 0xfeed);
	vcpu_run_expect_sync(vcpu, 0x3333);
	vcpu_run_expect_done(vcpu);
	EXPECT_EQ(0x3333, p[SLOT1_SIZE / 8 - 1]);
	vm_free(vm);
}

static void guest_move(uint64_t id, uint64_t old_gpa, uint64_t new_gpa)
{
	(void)id;
	GUEST_SYNC(guest_load(old_gpa + 0x1000));
	/* The host moved the slot. */
	GUEST_SYNC(guest_load(new_gpa + 0x1000));
	GUEST_SYNC(guest_load(old_gpa + 0x1000));	/* now MMIO */
	guest_store(new_gpa + 0x2000, 0x77);
	GUEST_SYNC(2);
}

TEST(move_slot)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_move);
	uint64_t *p = vm_add_anon_slot(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE);

	p[0x1000 / 8] = 0xabcdef;
	vcpu_args_set(vcpu, 3, 0UL, SLOT1_GPA, SLOT1_MOVED_GPA);
	vcpu_run_expect_sync(vcpu, 0xabcdef);

	vm_set_memory_region(vm, SLOT1, 0, SLOT1_MOVED_GPA, SLOT1_SIZE, p);
	vcpu_run_expect_sync(vcpu, 0xabcdef);
	vcpu_run(vcpu);
	complete_mmio(vcpu, SLOT1_GPA + 0x1000, false, 0x5a5a);
	vcpu_run_expect_sync(vcpu, 0x5a5a);
	vcpu_run_expect_sync(vcpu, 2);
	EXPECT_EQ(0x77, p[0x2000 / 8]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

static void guest_delete(uint64_t id, uint64_t gpa)
{
	(void)id;
	GUEST_SYNC(guest_load(gpa));
	GUEST_SYNC(guest_load(gpa));		/* deleted: MMIO */
	guest_store(gpa, 0x99);			/* MMIO */
	GUEST_SYNC(3);
}

TEST(delete_slot)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_delete);
	uint64_t *p = vm_add_anon_slot(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE);

	p[0] = 0x4242;
	vcpu_args_set(vcpu, 2, 0UL, SLOT1_GPA);
	vcpu_run_expect_sync(vcpu, 0x4242);
	vm_set_memory_region(vm, SLOT1, 0, 0, 0, NULL);
	vcpu_run(vcpu);
	complete_mmio(vcpu, SLOT1_GPA, false, 0x1234);
	vcpu_run_expect_sync(vcpu, 0x1234);
	vcpu_run(vcpu);
	complete_mmio(vcpu, SLOT1_GPA, true, 0x99);
	EXPECT_EQ(0x4242, p[0]);
	vcpu_run_expect_sync(vcpu, 3);
	vcpu_run_expect_done(vcpu);

	/* The slot number and the GPA range can be used again. */
	vm_set_memory_region(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE, p);
	munmap(p, SLOT1_SIZE);
	vm_free(vm);
}

static void guest_dontneed(uint64_t id, uint64_t gpa, uint64_t size)
{
	uint64_t *p = (uint64_t *)gpa, nonzero = 0;

	(void)id;
	for (uint64_t i = 0; i < size / 8; i += 512)
		p[i] = i + 1;
	GUEST_SYNC(1);
	for (uint64_t i = 0; i < size / 8; i++)
		nonzero += p[i] != 0;
	GUEST_SYNC(nonzero);
	/* And the memory still works. */
	p[8] = 0x88;
	GUEST_SYNC(p[8]);
}

TEST(madv_dontneed)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_dontneed);
	uint64_t *p = vm_add_anon_slot(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE);

	vcpu_args_set(vcpu, 3, 0UL, SLOT1_GPA, SLOT1_SIZE);
	vcpu_run_expect_sync(vcpu, 1);
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(513, p[512]);
	ASSERT_EQ(0, madvise(p, SLOT1_SIZE, MADV_DONTNEED));
	EXPECT_EQ(0, p[0]);
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_run_expect_sync(vcpu, 0x88);
	EXPECT_EQ(0x88, p[8]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

#define HUGE_SLOT	2
#define HUGE_GPA	0x40000000UL
#define HUGE_SIZE	(8UL << 20)
#define PAGE_WORDS	512		/* uint64_t per 4 KiB page */

/* Each 4 KiB page gets its own number in its first word. */
static void guest_huge(uint64_t id, uint64_t gpa, uint64_t size)
{
	uint64_t *p = (uint64_t *)gpa, bad = 0;

	(void)id;
	for (uint64_t i = 0; i < size / 8; i += PAGE_WORDS)
		p[i] = 0x1000 + i / PAGE_WORDS;
	GUEST_SYNC(1);
	/* The host dropped one page in the middle of a huge page. */
	for (uint64_t i = 0; i < size / 8; i += PAGE_WORDS) {
		uint64_t want = i / PAGE_WORDS == 700 ? 0 : 0x1000 + i / PAGE_WORDS;

		bad += p[i] != want;
	}
	GUEST_SYNC(bad);
	GUEST_SYNC(p[701 * PAGE_WORDS + 1]);	/* written by the host */
	p[700 * PAGE_WORDS] = 0x700;
	GUEST_SYNC(2);
}

static unsigned long anon_huge_kib(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	unsigned long kib = 0;
	char line[256];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %lu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

/*
 * Guest RAM backed by transparent huge pages gets 2 MiB nested entries.
 * They must map exactly the host's pages, and break up as soon as the
 * host does: MADV_DONTNEED of one 4 KiB page splits the huge page, after
 * which the guest reads zeros there and its own data everywhere else,
 * and sees the host's writes to the now small neighbours.
 */
TEST(huge_pages)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_huge);
	unsigned long before = anon_huge_kib();
	uint8_t *raw, *p;
	uint64_t *w;

	raw = mmap(NULL, HUGE_SIZE + (2UL << 20), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	p = (uint8_t *)(((uintptr_t)raw + (2UL << 20) - 1) & ~((2UL << 20) - 1));
	if (madvise(p, HUGE_SIZE, MADV_HUGEPAGE))
		SKIP(return, "no transparent huge pages: %s", strerror(errno));
	vm_set_memory_region(vm, HUGE_SLOT, 0, HUGE_GPA, HUGE_SIZE, p);
	w = (uint64_t *)p;

	vcpu_args_set(vcpu, 3, 0UL, HUGE_GPA, HUGE_SIZE);
	vcpu_run_expect_sync(vcpu, 1);
	for (uint64_t i = 0; i < HUGE_SIZE / 4096; i++)
		ASSERT_EQ(0x1000 + i, w[i * PAGE_WORDS]);
	TH_LOG("AnonHugePages: %lu kB more than before", anon_huge_kib() - before);

	ASSERT_EQ(0, madvise(p + 700 * 4096UL, 4096, MADV_DONTNEED));
	w[701 * PAGE_WORDS + 1] = 0x701;
	vcpu_run_expect_sync(vcpu, 0);
	vcpu_run_expect_sync(vcpu, 0x701);
	vcpu_run_expect_sync(vcpu, 2);
	EXPECT_EQ(0x700, w[700 * PAGE_WORDS]);
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
	munmap(raw, HUGE_SIZE + (2UL << 20));
}

static void guest_touch(uint64_t id, uint64_t gpa)
{
	(void)id;
	GUEST_SYNC(guest_load(gpa));
	GUEST_SYNC(guest_load(gpa + 0x3000));
}

TEST(munmap_efault)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_touch);
	uint64_t *p = vm_add_anon_slot(vm, SLOT1, 0, SLOT1_GPA, SLOT1_SIZE);

	p[0] = 0x55;
	vcpu_args_set(vcpu, 2, 0UL, SLOT1_GPA);
	vcpu_run_expect_sync(vcpu, 0x55);
	ASSERT_EQ(0, munmap(p, SLOT1_SIZE));

	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(VMW86_EXIT_MEMORY_FAULT, vcpu->run->exit_reason);
	EXPECT_EQ(SLOT1_GPA + 0x3000,
		  vcpu->run->memory_fault.gpa & ~(PAGE_SIZE - 1));
	/* Again: the fault is not a one-shot. */
	EXPECT_EQ(-1, __vcpu_run(vcpu));
	EXPECT_EQ(EFAULT, errno);
	vm_free(vm);
}

/* ----------------------------------------------------------------------
 * Invalid arguments.
 */

#define EXPECT_REGION_ERRNO(err, vm, slot, flags, gpa, size, hva)	\
do {									\
	errno = 0;							\
	EXPECT_EQ(-1, __vm_set_memory_region(vm, slot, flags, gpa,	\
					     size, (void *)(hva)));	\
	EXPECT_EQ(err, errno) TH_LOG("errno %d (%s)", errno,		\
				     strerror(errno));			\
} while (0)

FIXTURE(region)
{
	struct vmw86_vm *vm;
	uint8_t *mem;		/* 4 pages, mapped */
};

FIXTURE_SETUP(region)
{
	self->vm = vm_create_barebones();
	self->mem = mmap(NULL, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->mem);
}

FIXTURE_TEARDOWN(region)
{
	vm_free(self->vm);
	munmap(self->mem, 4 * PAGE_SIZE);
}

TEST_F(region, einval)
{
	struct vmw86_vm *vm = self->vm;
	uint8_t *m = self->mem;

	EXPECT_REGION_ERRNO(EINVAL, vm, 32, 0, 0, PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 0xffffffff, 0, 0, PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 0, 1u << 1, 0, PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 0, 1u << 31, 0, PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 0, 0, 0x1001, PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 0, 0, 0, PAGE_SIZE + 0x800, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 0, 0, 0, PAGE_SIZE, m + 8);

	/* An existing slot may change only its GPA. */
	vm_set_memory_region(vm, 3, 0, 0x100000, 2 * PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 3, 0, 0x100000, PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 3, 0, 0x100000, 4 * PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 3, VMW86_MEM_READONLY, 0x100000,
			    2 * PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EINVAL, vm, 3, 0, 0x100000, 2 * PAGE_SIZE,
			    m + PAGE_SIZE);
	EXPECT_REGION_ERRNO(EINVAL, vm, 3, 0, 0x200000, 2 * PAGE_SIZE,
			    m + PAGE_SIZE);
	/* The slot is unchanged: moving it still works. */
	EXPECT_EQ(0, __vm_set_memory_region(vm, 3, 0, 0x300000,
					    2 * PAGE_SIZE, m));
}

TEST_F(region, enoent)
{
	struct vmw86_vm *vm = self->vm;

	EXPECT_REGION_ERRNO(ENOENT, vm, 5, 0, 0, 0, 0);
	vm_set_memory_region(vm, 5, 0, 0, PAGE_SIZE, self->mem);
	EXPECT_EQ(0, __vm_set_memory_region(vm, 5, 0, 0, 0, NULL));
	EXPECT_REGION_ERRNO(ENOENT, vm, 5, 0, 0, 0, 0);
}

TEST_F(region, eoverflow)
{
	struct vmw86_vm *vm = self->vm;

	EXPECT_REGION_ERRNO(EOVERFLOW, vm, 0, 0, 0xfffffffffffff000UL,
			    2 * PAGE_SIZE, self->mem);
	EXPECT_REGION_ERRNO(EOVERFLOW, vm, 0, 0, 0, 2 * PAGE_SIZE,
			    0xfffffffffffff000UL);
}

TEST_F(region, e2big)
{
	struct vmw86_vm *vm = self->vm;
	int bits = vmw86_check_cap(vm->dev_fd, VMW86_CAP_GUEST_PHYS_BITS);
	uint64_t limit = 1ULL << bits;

	ASSERT_GE(52, bits);
	EXPECT_REGION_ERRNO(E2BIG, vm, 0, 0, limit, PAGE_SIZE, self->mem);
	EXPECT_REGION_ERRNO(E2BIG, vm, 0, 0, limit - PAGE_SIZE,
			    2 * PAGE_SIZE, self->mem);
	/* Ending exactly at the limit is fine. */
	EXPECT_EQ(0, __vm_set_memory_region(vm, 0, 0, limit - PAGE_SIZE,
					    PAGE_SIZE, self->mem))
		TH_LOG("slot ending at 2^%d: %s", bits, strerror(errno));
}

TEST_F(region, eexist)
{
	struct vmw86_vm *vm = self->vm;
	uint8_t *m = self->mem;

	vm_set_memory_region(vm, 0, 0, 0x100000, 2 * PAGE_SIZE, m);
	EXPECT_REGION_ERRNO(EEXIST, vm, 1, 0, 0x100000, 2 * PAGE_SIZE,
			    m + 2 * PAGE_SIZE);
	EXPECT_REGION_ERRNO(EEXIST, vm, 1, 0, 0x101000, 2 * PAGE_SIZE,
			    m + 2 * PAGE_SIZE);
	EXPECT_REGION_ERRNO(EEXIST, vm, 1, 0, 0xff000, 2 * PAGE_SIZE,
			    m + 2 * PAGE_SIZE);
	/* Adjacent is fine, and moving onto another slot is not. */
	vm_set_memory_region(vm, 1, 0, 0x102000, 2 * PAGE_SIZE,
			     m + 2 * PAGE_SIZE);
	EXPECT_REGION_ERRNO(EEXIST, vm, 1, 0, 0x101000, 2 * PAGE_SIZE,
			    m + 2 * PAGE_SIZE);
	/* Two slots may share host memory. */
	EXPECT_EQ(0, __vm_set_memory_region(vm, 2, 0, 0x200000,
					    2 * PAGE_SIZE, m));
}

TEST_F(region, efault)
{
	struct vmw86_vm *vm = self->vm;
	uint8_t *m = self->mem;
	uint8_t *gone;

	/* Not mapped at all. */
	gone = mmap(NULL, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	munmap(gone, 2 * PAGE_SIZE);
	EXPECT_REGION_ERRNO(EFAULT, vm, 0, 0, 0, 2 * PAGE_SIZE, gone);
	/* Partly mapped: the last page is gone. */
	munmap(m + 3 * PAGE_SIZE, PAGE_SIZE);
	EXPECT_REGION_ERRNO(EFAULT, vm, 0, 0, 0, 4 * PAGE_SIZE, m);
	/* Kernel addresses. */
	EXPECT_REGION_ERRNO(EFAULT, vm, 0, 0, 0, PAGE_SIZE,
			    0xffff888000000000UL);
	EXPECT_REGION_ERRNO(EFAULT, vm, 0, 0, 0, 2 * PAGE_SIZE,
			    0x00007ffffffff000UL);
	/* The good part still works. */
	EXPECT_EQ(0, __vm_set_memory_region(vm, 0, 0, 0, 3 * PAGE_SIZE, m));
}

TEST_HARNESS_MAIN
