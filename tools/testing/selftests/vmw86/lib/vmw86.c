// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of the library: device, VM and vCPU file descriptors, guest
 * memory, and the guest's 64-bit environment (image copy, identity page
 * tables, GDT, TSS, IDT, stacks). See vmw86_lib.h for the layout.
 */
#include <fcntl.h>
#include <link.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vmw86_lib.h"

extern char _end[];
extern guest_exception_handler_t guest_exception_handlers[];

#define PTE_P		(1UL << 0)
#define PTE_RW		(1UL << 1)
#define PTE_A		(1UL << 5)
#define PTE_D		(1UL << 6)
#define PTE_PS		(1UL << 7)

#define SYS_PML4	0x0000
#define SYS_PDPT	0x1000
#define SYS_PD		0x2000	/* four of them: 0 to 4 GiB */
#define SYS_GDT		0x6000
#define SYS_TSS		0x7000
#define SYS_IDT		0x8000	/* 256 gates of 16 bytes: one page */
#define SYS_SIZE	0x10000

#define GDT_ENTRIES	6	/* null, CS64, DS, CS32, TSS (two slots) */
#define TSS_LIMIT	0x67

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

/* Measured over 20 ms; guests share the rate (vmw86 only offsets the TSC). */
uint64_t tsc_per_ms(void)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	uint64_t t0, t1, c0, c1;

	t0 = now_ns();
	c0 = rdtsc();
	nanosleep(&ts, NULL);
	c1 = rdtsc();
	t1 = now_ns();
	return (c1 - c0) * 1000000 / (t1 - t0);
}

void *alloc_shared(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int open_vmw86_dev(void)
{
	int fd = open(VMW86_DEV, O_RDWR | O_CLOEXEC);

	TEST_ASSERT(fd >= 0, "open(%s): %s (is vmw86.ko loaded?)", VMW86_DEV,
		    strerror(errno));
	return fd;
}

int vmw86_check_cap(int dev_fd, int cap)
{
	int ret = ioctl(dev_fd, VMW86_CHECK_EXTENSION, cap);

	TEST_ASSERT_IOCTL(ret, "VMW86_CHECK_EXTENSION");
	return ret;
}

struct vmw86_vm *vm_create_barebones(void)
{
	struct vmw86_vm *vm = calloc(1, sizeof(*vm));
	int ret;

	TEST_ASSERT(vm, "out of memory");
	vm->dev_fd = open_vmw86_dev();
	vm->fd = ioctl(vm->dev_fd, VMW86_CREATE_VM, 0);
	TEST_ASSERT_IOCTL(vm->fd, "VMW86_CREATE_VM");
	ret = ioctl(vm->dev_fd, VMW86_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT_IOCTL(ret, "VMW86_GET_VCPU_MMAP_SIZE");
	TEST_ASSERT(ret >= (int)sizeof(struct vmw86_run),
		    "vCPU mmap size %d too small", ret);
	vm->run_size = ret;
	return vm;
}

int __vm_set_memory_region(struct vmw86_vm *vm, uint32_t slot, uint32_t flags,
			   uint64_t gpa, uint64_t size, void *hva)
{
	struct vmw86_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)hva,
	};
	int ret;

	ret = ioctl(vm->fd, VMW86_SET_MEMORY_REGION, &region);
	if (ret == 0 && slot < VM_NR_SLOTS) {
		vm->slots[slot].used = size != 0;
		vm->slots[slot].region = region;
	}
	return ret;
}

void vm_set_memory_region(struct vmw86_vm *vm, uint32_t slot, uint32_t flags,
			  uint64_t gpa, uint64_t size, void *hva)
{
	int ret = __vm_set_memory_region(vm, slot, flags, gpa, size, hva);

	TEST_ASSERT(ret == 0,
		    "SET_MEMORY_REGION slot %u gpa 0x%lx size 0x%lx: %s",
		    slot, gpa, size, strerror(errno));
}

void *vm_add_anon_slot(struct vmw86_vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size)
{
	void *hva = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_ASSERT(hva != MAP_FAILED, "mmap: %s", strerror(errno));
	vm_set_memory_region(vm, slot, flags, gpa, size, hva);
	return hva;
}

void *addr_gpa2hva(struct vmw86_vm *vm, uint64_t gpa)
{
	for (int i = 0; i < VM_NR_SLOTS; i++) {
		struct vmw86_memory_region *r = &vm->slots[i].region;

		if (!vm->slots[i].used)
			continue;
		if (gpa >= r->guest_phys_addr &&
		    gpa - r->guest_phys_addr < r->memory_size)
			return (void *)(r->userspace_addr + gpa -
					r->guest_phys_addr);
	}
	TEST_FAIL("GPA 0x%lx is in no slot", gpa);
}

void vm_load_blob(struct vmw86_vm *vm, uint64_t gpa, const void *start,
		  const void *end)
{
	memcpy(addr_gpa2hva(vm, gpa), start, (const char *)end -
	       (const char *)start);
}

/* Copy the main program's PT_LOAD segments to the same GPAs. */
static int load_image_cb(struct dl_phdr_info *info, size_t size, void *data)
{
	struct vmw86_vm *vm = data;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint64_t start, end;

		if (ph->p_type != PT_LOAD)
			continue;
		start = info->dlpi_addr + ph->p_vaddr;
		end = ALIGN_UP(start + ph->p_memsz, PAGE_SIZE);
		start &= ~(PAGE_SIZE - 1);
		TEST_ASSERT(end <= vm->sys_gpa,
			    "segment [0x%lx, 0x%lx) above the image end", start,
			    end);
		memcpy((char *)vm->ram + start, (void *)start, end - start);
	}
	return 1;	/* the first object is the program itself */
}

static void setup_page_tables(struct vmw86_vm *vm)
{
	uint64_t *pml4 = addr_gpa2hva(vm, vm->pml4_gpa);
	uint64_t *pdpt = addr_gpa2hva(vm, vm->sys_gpa + SYS_PDPT);
	uint64_t *pd = addr_gpa2hva(vm, vm->sys_gpa + SYS_PD);

	pml4[0] = (vm->sys_gpa + SYS_PDPT) | PTE_P | PTE_RW | PTE_A;
	for (uint64_t i = 0; i < GUEST_MAPPED_SIZE / SZ_1G; i++)
		pdpt[i] = (vm->sys_gpa + SYS_PD + i * PAGE_SIZE) | PTE_P |
			  PTE_RW | PTE_A;
	for (uint64_t i = 0; i < GUEST_MAPPED_SIZE / SZ_2M; i++)
		pd[i] = (i * SZ_2M) | PTE_P | PTE_RW | PTE_A | PTE_D | PTE_PS;
}

static uint64_t gdt_entry(uint32_t base, uint32_t limit, uint8_t access,
			  uint8_t flags)
{
	return (limit & 0xffffULL) | ((base & 0xffffffULL) << 16) |
	       ((uint64_t)access << 40) | (((limit >> 16) & 0xfULL) << 48) |
	       ((uint64_t)(flags & 0xf) << 52) |
	       ((uint64_t)(base >> 24) << 56);
}

static void setup_descriptor_tables(struct vmw86_vm *vm)
{
	uint64_t *gdt = addr_gpa2hva(vm, vm->gdt_gpa);
	uint64_t *idt = addr_gpa2hva(vm, vm->idt_gpa);
	uint8_t *tss = addr_gpa2hva(vm, vm->tss_gpa);

	gdt[0] = 0;
	gdt[GUEST_CS64 / 8] = gdt_entry(0, 0xfffff, 0x9b, 0xa);	/* G, L */
	gdt[GUEST_DS / 8] = gdt_entry(0, 0xfffff, 0x93, 0xc);	/* G, D/B */
	gdt[GUEST_CS32 / 8] = gdt_entry(0, 0xfffff, 0x9b, 0xc);
	/* 64-bit TSS descriptor, type 0xb (busy): two GDT slots. */
	gdt[GUEST_TSS / 8] = gdt_entry(vm->tss_gpa, TSS_LIMIT, 0x8b, 0);
	gdt[GUEST_TSS / 8 + 1] = vm->tss_gpa >> 32;

	memset(tss, 0, TSS_LIMIT + 1);
	tss[0x66] = TSS_LIMIT + 1;	/* I/O map base: no bitmap */

	for (int v = 0; v < NR_IDT_VECTORS; v++) {
		uint64_t off = exception_stubs[v];

		/* 64-bit interrupt gate, present, DPL 0, IST 0. */
		idt[2 * v] = (off & 0xffff) | ((uint64_t)GUEST_CS64 << 16) |
			     (0x8eULL << 40) | (((off >> 16) & 0xffff) << 48);
		idt[2 * v + 1] = off >> 32;
	}
}

struct vmw86_vm *vm_create(void)
{
	struct vmw86_vm *vm = vm_create_barebones();
	uint64_t image_end = ALIGN_UP((uint64_t)_end, PAGE_SIZE);

	vm->sys_gpa = ALIGN_UP(image_end, SZ_2M);
	vm->pml4_gpa = vm->sys_gpa + SYS_PML4;
	vm->gdt_gpa = vm->sys_gpa + SYS_GDT;
	vm->tss_gpa = vm->sys_gpa + SYS_TSS;
	vm->idt_gpa = vm->sys_gpa + SYS_IDT;
	vm->stacks_gpa = vm->sys_gpa + SYS_SIZE;
	vm->scratch_gpa = vm->stacks_gpa + VM_MAX_VCPUS * VCPU_STACK_SIZE;
	vm->ram_size = ALIGN_UP(vm->scratch_gpa + SCRATCH_SIZE, SZ_2M);
	if (vm->ram_size < VM_MIN_RAM_SIZE)
		vm->ram_size = VM_MIN_RAM_SIZE;

	vm->ram = vm_add_anon_slot(vm, 0, 0, 0, vm->ram_size);
	dl_iterate_phdr(load_image_cb, vm);
	setup_page_tables(vm);
	setup_descriptor_tables(vm);
	return vm;
}

struct vmw86_vm *vm_create_with_one_vcpu(struct vmw86_vcpu **vcpu,
					 void *guest_code)
{
	struct vmw86_vm *vm = vm_create();

	*vcpu = vm_vcpu_add(vm, 0, guest_code);
	return vm;
}

void vcpu_free(struct vmw86_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	if (vcpu->vm && vcpu->vm->vcpus[vcpu->id] == vcpu)
		vcpu->vm->vcpus[vcpu->id] = NULL;
	free(vcpu);
}

void vm_free(struct vmw86_vm *vm)
{
	for (int i = 0; i < VM_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vcpu_free(vm->vcpus[i]);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->dev_fd >= 0)
		close(vm->dev_fd);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	free(vm);
}

int __vm_create_vcpu(struct vmw86_vm *vm, unsigned long id)
{
	return ioctl(vm->fd, VMW86_CREATE_VCPU, id);
}

struct vmw86_vcpu *vm_vcpu_add_raw(struct vmw86_vm *vm, uint32_t id)
{
	struct vmw86_vcpu *vcpu = calloc(1, sizeof(*vcpu));

	TEST_ASSERT(vcpu, "out of memory");
	TEST_ASSERT(id < VM_MAX_VCPUS, "vCPU id %u", id);
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = __vm_create_vcpu(vm, id);
	TEST_ASSERT_IOCTL(vcpu->fd, "VMW86_CREATE_VCPU");
	vcpu->run_size = vm->run_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap(vCPU fd): %s",
		    strerror(errno));
	vm->vcpus[id] = vcpu;
	return vcpu;
}

void vm_long_mode_sregs(struct vmw86_vm *vm, struct vmw86_sregs *sregs)
{
	struct vmw86_segment data = {
		.base = 0, .limit = 0xffffffff, .selector = GUEST_DS,
		.type = 3, .present = 1, .dpl = 0, .db = 1, .s = 1, .l = 0,
		.g = 1,
	};

	memset(sregs, 0, sizeof(*sregs));
	sregs->cs = (struct vmw86_segment){
		.base = 0, .limit = 0xffffffff, .selector = GUEST_CS64,
		.type = 0xb, .present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1,
		.g = 1,
	};
	sregs->ds = data;
	sregs->es = data;
	sregs->fs = data;
	sregs->gs = data;
	sregs->ss = data;
	sregs->tr = (struct vmw86_segment){
		.base = vm->tss_gpa, .limit = TSS_LIMIT, .selector = GUEST_TSS,
		.type = 0xb, .present = 1, .s = 0,
	};
	sregs->ldt = (struct vmw86_segment){
		.type = 2, .present = 0, .unusable = 1,
	};
	sregs->gdt.base = vm->gdt_gpa;
	sregs->gdt.limit = GDT_ENTRIES * 8 - 1;
	sregs->idt.base = vm->idt_gpa;
	sregs->idt.limit = NR_IDT_VECTORS * 16 - 1;
	sregs->cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		     X86_CR0_WP | X86_CR0_PG;
	sregs->cr3 = vm->pml4_gpa;
	sregs->cr4 = X86_CR4_PAE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	sregs->efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
}

/*
 * VMW86_SET_SREGS also loads the APIC base MSR (sregs.apic_base): the
 * setups below keep the vCPU's, or they would disable its local APIC.
 */
static uint64_t vcpu_apic_base(struct vmw86_vcpu *vcpu)
{
	struct vmw86_sregs cur;

	vcpu_sregs_get(vcpu, &cur);
	return cur.apic_base;
}

void vcpu_setup_long_mode(struct vmw86_vcpu *vcpu)
{
	struct vmw86_sregs sregs;

	vm_long_mode_sregs(vcpu->vm, &sregs);
	sregs.apic_base = vcpu_apic_base(vcpu);
	vcpu_sregs_set(vcpu, &sregs);
}

void vcpu_set_entry(struct vmw86_vcpu *vcpu, void *guest_code)
{
	struct vmw86_vm *vm = vcpu->vm;
	struct vmw86_regs regs = { 0 };
	uint64_t top = vm->stacks_gpa + (vcpu->id + 1) * VCPU_STACK_SIZE;

	/* As if called: the return address sits at RSP, RSP % 16 == 8. */
	regs.rsp = top - 8;
	*(uint64_t *)addr_gpa2hva(vm, regs.rsp) =
		(uint64_t)guest_return_trampoline;
	regs.rip = (uint64_t)guest_code;
	regs.rflags = X86_EFLAGS_FIXED;
	regs.rdi = vcpu->id;
	vcpu_regs_set(vcpu, &regs);
}

struct vmw86_vcpu *vm_vcpu_add(struct vmw86_vm *vm, uint32_t id,
			       void *guest_code)
{
	struct vmw86_vcpu *vcpu = vm_vcpu_add_raw(vm, id);

	vcpu_setup_long_mode(vcpu);
	vcpu_set_entry(vcpu, guest_code);
	return vcpu;
}

void vcpu_args_set(struct vmw86_vcpu *vcpu, unsigned int n, ...)
{
	struct vmw86_regs regs;
	va_list ap;

	TEST_ASSERT(n <= 4, "%u arguments", n);
	vcpu_regs_get(vcpu, &regs);
	va_start(ap, n);
	if (n > 0)
		regs.rdi = va_arg(ap, uint64_t);
	if (n > 1)
		regs.rsi = va_arg(ap, uint64_t);
	if (n > 2)
		regs.rdx = va_arg(ap, uint64_t);
	if (n > 3)
		regs.rcx = va_arg(ap, uint64_t);
	va_end(ap);
	vcpu_regs_set(vcpu, &regs);
}

static void real_mode_segment(struct vmw86_segment *seg, uint8_t type)
{
	*seg = (struct vmw86_segment){
		.base = 0, .limit = 0xffff, .selector = 0, .type = type,
		.present = 1, .s = 1,
	};
}

void vcpu_setup_real_mode(struct vmw86_vcpu *vcpu, uint64_t rip)
{
	struct vmw86_sregs sregs;
	struct vmw86_regs regs = { 0 };

	memset(&sregs, 0, sizeof(sregs));
	real_mode_segment(&sregs.cs, 0xb);
	real_mode_segment(&sregs.ds, 3);
	real_mode_segment(&sregs.es, 3);
	real_mode_segment(&sregs.fs, 3);
	real_mode_segment(&sregs.gs, 3);
	real_mode_segment(&sregs.ss, 3);
	sregs.tr = (struct vmw86_segment){
		.limit = 0xffff, .type = 0xb, .present = 1,
	};
	sregs.ldt = (struct vmw86_segment){
		.limit = 0xffff, .type = 2, .present = 1,
	};
	sregs.gdt.limit = 0xffff;
	sregs.idt.limit = 0x3ff;
	sregs.cr0 = X86_CR0_ET | X86_CR0_NE;
	sregs.apic_base = vcpu_apic_base(vcpu);
	vcpu_sregs_set(vcpu, &sregs);

	regs.rip = rip;
	regs.rsp = 0x7000;
	regs.rflags = X86_EFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
}

void vcpu_setup_pmode32(struct vmw86_vcpu *vcpu, uint64_t rip)
{
	struct vmw86_sregs sregs;
	struct vmw86_regs regs = { 0 };

	vm_long_mode_sregs(vcpu->vm, &sregs);
	sregs.cs.selector = GUEST_CS32;
	sregs.cs.l = 0;
	sregs.cs.db = 1;
	/* A 32-bit busy TSS type is the same 0xb. */
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;
	sregs.apic_base = vcpu_apic_base(vcpu);
	vcpu_sregs_set(vcpu, &sregs);

	regs.rip = rip;
	regs.rsp = 0x7000;
	regs.rflags = X86_EFLAGS_FIXED;
	vcpu_regs_set(vcpu, &regs);
}

int __vcpu_run(struct vmw86_vcpu *vcpu)
{
	return ioctl(vcpu->fd, VMW86_RUN, 0);
}

void vcpu_run(struct vmw86_vcpu *vcpu)
{
	int ret = __vcpu_run(vcpu);

	TEST_ASSERT(ret == 0, "VMW86_RUN: ret %d errno %d (%s), exit %u (%s)",
		    ret, errno, strerror(errno), vcpu->run->exit_reason,
		    exit_reason_str(vcpu->run->exit_reason));
}

const char *exit_reason_str(uint32_t reason)
{
	static const char * const names[] = {
		[VMW86_EXIT_UNKNOWN] = "UNKNOWN",
		[VMW86_EXIT_IO] = "IO",
		[VMW86_EXIT_MMIO] = "MMIO",
		[VMW86_EXIT_HLT] = "HLT",
		[VMW86_EXIT_SHUTDOWN] = "SHUTDOWN",
		[VMW86_EXIT_FAIL_ENTRY] = "FAIL_ENTRY",
		[VMW86_EXIT_INTERNAL_ERROR] = "INTERNAL_ERROR",
		[VMW86_EXIT_VMMCALL] = "VMMCALL",
		[VMW86_EXIT_INTR] = "INTR",
		[VMW86_EXIT_MEMORY_FAULT] = "MEMORY_FAULT",
		[VMW86_EXIT_IRQ_WINDOW_OPEN] = "IRQ_WINDOW_OPEN",
		[VMW86_EXIT_DEBUG] = "DEBUG",
	};

	if (reason < ARRAY_SIZE(names) && names[reason])
		return names[reason];
	return "(invalid)";
}

void vcpu_regs_get(struct vmw86_vcpu *vcpu, struct vmw86_regs *regs)
{
	TEST_ASSERT_IOCTL(ioctl(vcpu->fd, VMW86_GET_REGS, regs),
			  "VMW86_GET_REGS");
}

void vcpu_regs_set(struct vmw86_vcpu *vcpu, struct vmw86_regs *regs)
{
	TEST_ASSERT_IOCTL(ioctl(vcpu->fd, VMW86_SET_REGS, regs),
			  "VMW86_SET_REGS");
}

void vcpu_sregs_get(struct vmw86_vcpu *vcpu, struct vmw86_sregs *sregs)
{
	TEST_ASSERT_IOCTL(ioctl(vcpu->fd, VMW86_GET_SREGS, sregs),
			  "VMW86_GET_SREGS");
}

void vcpu_sregs_set(struct vmw86_vcpu *vcpu, struct vmw86_sregs *sregs)
{
	TEST_ASSERT_IOCTL(ioctl(vcpu->fd, VMW86_SET_SREGS, sregs),
			  "VMW86_SET_SREGS");
}

uint64_t vcpu_get_msr(struct vmw86_vcpu *vcpu, uint32_t index)
{
	struct {
		struct vmw86_msrs hdr;
		struct vmw86_msr_entry entry;
	} m = { .hdr.nmsrs = 1, .entry.index = index };
	int ret = ioctl(vcpu->fd, VMW86_GET_MSRS, &m);

	TEST_ASSERT(ret == 1, "VMW86_GET_MSRS(0x%x): ret %d errno %d", index,
		    ret, errno);
	return m.entry.data;
}

void vcpu_set_msr(struct vmw86_vcpu *vcpu, uint32_t index, uint64_t value)
{
	struct {
		struct vmw86_msrs hdr;
		struct vmw86_msr_entry entry;
	} m = { .hdr.nmsrs = 1, .entry.index = index, .entry.data = value };
	int ret = ioctl(vcpu->fd, VMW86_SET_MSRS, &m);

	TEST_ASSERT(ret == 1, "VMW86_SET_MSRS(0x%x, 0x%lx): ret %d errno %d",
		    index, value, ret, errno);
}

void vm_install_exception_handler(struct vmw86_vm *vm, int vector,
				  guest_exception_handler_t handler)
{
	guest_exception_handler_t *table;

	TEST_ASSERT(vector >= 0 && vector < NR_IDT_VECTORS,
		    "vector %d", vector);
	table = addr_gpa2hva(vm, (uint64_t)guest_exception_handlers);
	table[vector] = handler;
}

static void assert_io_exit(struct vmw86_vcpu *vcpu, uint16_t port, int size,
			   int direction)
{
	struct vmw86_run *run = vcpu->run;

	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_IO);
	TEST_ASSERT(run->io.port == port && run->io.size == size &&
		    run->io.direction == direction && run->io.count == 1,
		    "I/O exit port 0x%x size %u dir %u count %u, expected "
		    "port 0x%x size %d dir %d count 1", run->io.port,
		    run->io.size, run->io.direction, run->io.count, port,
		    size, direction);
	TEST_ASSERT(run->io.data_offset >= sizeof(*run) &&
		    run->io.data_offset + size <= vcpu->run_size,
		    "I/O data offset 0x%llx outside the mapping",
		    (unsigned long long)run->io.data_offset);
}

uint32_t vcpu_expect_out(struct vmw86_vcpu *vcpu, uint16_t port, int size)
{
	uint32_t v = 0;

	assert_io_exit(vcpu, port, size, VMW86_EXIT_IO_OUT);
	memcpy(&v, vcpu_io_data(vcpu), size);
	return v;
}

void vcpu_complete_in(struct vmw86_vcpu *vcpu, uint16_t port, int size,
		      uint32_t value)
{
	assert_io_exit(vcpu, port, size, VMW86_EXIT_IO_IN);
	memcpy(vcpu_io_data(vcpu), &value, size);
}
