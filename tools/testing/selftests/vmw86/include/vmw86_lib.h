/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vmw86 selftests library: VM and vCPU creation, guest memory, and the
 * guest environment that lets a test's own C function run in the guest.
 *
 * Test binaries are static and non-PIE, so their code and data sit at
 * fixed addresses (around 0x400000). vm_create() copies the binary's
 * loaded image into slot 0 at the same guest physical addresses, and
 * builds guest page tables that identity-map the first 4 GiB of guest
 * physical space (GVA == GPA, 2 MiB pages): a function of the test runs in
 * the guest at its own address, and a GPA with no slot behind it is an
 * MMIO address the guest can touch. The library's own guest structures
 * (page tables, GDT, TSS, IDT, stacks) live just above the image.
 *
 * Guest physical layout of slot 0:
 *
 *   0x0      ... 0x100000       free: real- and protected-mode blobs
 *   image    ... _end           the test binary, at its link addresses
 *   sys_gpa  ...                page tables, GDT, TSS, IDT
 *   stacks_gpa ...              one VCPU_STACK_SIZE stack per vCPU id
 *   scratch_gpa ...             SCRATCH_SIZE bytes free for tests
 */
#ifndef SELFTEST_VMW86_LIB_H
#define SELFTEST_VMW86_LIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <linux/vmw86.h>

#include "processor.h"
#include "test_util.h"
#include "ucall.h"

#define VMW86_DEV		"/dev/vmw86"
#define VM_NR_SLOTS		32
#define VM_MAX_VCPUS		64
#define VM_MIN_RAM_SIZE		(64UL << 20)
#define VCPU_STACK_SIZE		0x10000UL
#define SCRATCH_SIZE		(4UL << 20)
#define LOW_BLOB_GPA		0x8000UL	/* real/protected-mode code */
#define GUEST_MAPPED_SIZE	(4UL << 30)	/* identity-mapped GPAs */

struct vmw86_vm;

struct vmw86_vcpu {
	struct vmw86_vm *vm;
	uint32_t id;
	int fd;
	struct vmw86_run *run;
	size_t run_size;
};

struct vm_slot {
	bool used;
	struct vmw86_memory_region region;
};

struct vmw86_vm {
	int dev_fd;
	int fd;
	size_t run_size;
	struct vm_slot slots[VM_NR_SLOTS];

	/* Slot 0, the library's RAM. */
	void *ram;
	uint64_t ram_size;
	uint64_t sys_gpa;
	uint64_t pml4_gpa;
	uint64_t gdt_gpa;
	uint64_t tss_gpa;
	uint64_t idt_gpa;
	uint64_t stacks_gpa;
	uint64_t scratch_gpa;

	struct vmw86_vcpu *vcpus[VM_MAX_VCPUS];
};

/* Device fd. */
int open_vmw86_dev(void);

/* Host time: CLOCK_MONOTONIC in ns, and the TSC rate in ticks per ms. */
uint64_t now_ns(void);
uint64_t tsc_per_ms(void);

/*
 * Zeroed memory shared with the harness's forked children (counters for a
 * summary line the parent prints); NULL if mmap fails.
 */
void *alloc_shared(size_t size);
int vmw86_check_cap(int dev_fd, int cap);

/* A VM fd with no memory (for memory-slot and ioctl tests). */
struct vmw86_vm *vm_create_barebones(void);
/* A VM with slot 0 RAM holding the test binary and the guest environment. */
struct vmw86_vm *vm_create(void);
/* vm_create() plus vCPU 0 entering @guest_code in 64-bit mode. */
struct vmw86_vm *vm_create_with_one_vcpu(struct vmw86_vcpu **vcpu,
					 void *guest_code);
/* Closes every fd and unmaps everything the library mapped. */
void vm_free(struct vmw86_vm *vm);

/* VMW86_SET_MEMORY_REGION; the __ form returns the ioctl's result. */
int __vm_set_memory_region(struct vmw86_vm *vm, uint32_t slot, uint32_t flags,
			   uint64_t gpa, uint64_t size, void *hva);
void vm_set_memory_region(struct vmw86_vm *vm, uint32_t slot, uint32_t flags,
			  uint64_t gpa, uint64_t size, void *hva);
/* Anonymous memory for a new slot, mapped and registered. */
void *vm_add_anon_slot(struct vmw86_vm *vm, uint32_t slot, uint32_t flags,
		       uint64_t gpa, uint64_t size);
void *addr_gpa2hva(struct vmw86_vm *vm, uint64_t gpa);

/* Copy a host object into the guest's copy of the image, or back. */
#define sync_global_to_guest(vm, g)					\
	memcpy(addr_gpa2hva(vm, (uint64_t)&(g)), &(g), sizeof(g))
#define sync_global_from_guest(vm, g)					\
	memcpy(&(g), addr_gpa2hva(vm, (uint64_t)&(g)), sizeof(g))
/* Copy [start, end) of host memory to @gpa (real-mode blobs). */
void vm_load_blob(struct vmw86_vm *vm, uint64_t gpa, const void *start,
		  const void *end);

/* vCPUs. */
int __vm_create_vcpu(struct vmw86_vm *vm, unsigned long id);
/* A vCPU with its run structure mapped, no state set. */
struct vmw86_vcpu *vm_vcpu_add_raw(struct vmw86_vm *vm, uint32_t id);
/* A vCPU in 64-bit mode at @guest_code with its own stack. */
struct vmw86_vcpu *vm_vcpu_add(struct vmw86_vm *vm, uint32_t id,
			       void *guest_code);
void vcpu_free(struct vmw86_vcpu *vcpu);
/* RDI, RSI, RDX, RCX: the guest function's arguments. */
void vcpu_args_set(struct vmw86_vcpu *vcpu, unsigned int n, ...);

void vcpu_setup_long_mode(struct vmw86_vcpu *vcpu);
void vcpu_set_entry(struct vmw86_vcpu *vcpu, void *guest_code);
/* Long-mode segment state (also the base for other modes' tests). */
void vm_long_mode_sregs(struct vmw86_vm *vm, struct vmw86_sregs *sregs);
void vcpu_setup_real_mode(struct vmw86_vcpu *vcpu, uint64_t rip);
void vcpu_setup_pmode32(struct vmw86_vcpu *vcpu, uint64_t rip);

int __vcpu_run(struct vmw86_vcpu *vcpu);
void vcpu_run(struct vmw86_vcpu *vcpu);
const char *exit_reason_str(uint32_t reason);
/* A one-line description of the last exit (static buffer). */
const char *vcpu_exit_str(struct vmw86_vcpu *vcpu);
#define TEST_ASSERT_EXIT_REASON(vcpu, reason)				\
	TEST_ASSERT((vcpu)->run->exit_reason == (reason),		\
		    "expected exit %u (%s), got %s", (reason),		\
		    exit_reason_str(reason), vcpu_exit_str(vcpu))

void vcpu_regs_get(struct vmw86_vcpu *vcpu, struct vmw86_regs *regs);
void vcpu_regs_set(struct vmw86_vcpu *vcpu, struct vmw86_regs *regs);
void vcpu_sregs_get(struct vmw86_vcpu *vcpu, struct vmw86_sregs *sregs);
void vcpu_sregs_set(struct vmw86_vcpu *vcpu, struct vmw86_sregs *sregs);
uint64_t vcpu_get_msr(struct vmw86_vcpu *vcpu, uint32_t index);
void vcpu_set_msr(struct vmw86_vcpu *vcpu, uint32_t index, uint64_t value);

/*
 * Port I/O exits: assert the last exit was a one-element @size-byte OUT to
 * @port and return its data; or an IN, whose data is then set to @value.
 */
uint32_t vcpu_expect_out(struct vmw86_vcpu *vcpu, uint16_t port, int size);
void vcpu_complete_in(struct vmw86_vcpu *vcpu, uint16_t port, int size,
		      uint32_t value);
/* Pointer to the I/O data of the last exit. */
static inline void *vcpu_io_data(struct vmw86_vcpu *vcpu)
{
	return (char *)vcpu->run + vcpu->run->io.data_offset;
}

/*
 * Guest exceptions and interrupts: route @vector (0-255) to @handler
 * (NULL: report unhandled). The handler runs in an interrupt gate (IF
 * clear) and returns with IRETQ; an interrupt handler does its own EOI.
 */
void vm_install_exception_handler(struct vmw86_vm *vm, int vector,
				  guest_exception_handler_t handler);

/* Guest-side symbols from lib/exception.S. */
extern const uint64_t exception_stubs[NR_IDT_VECTORS];
void guest_return_trampoline(void);

#endif /* SELFTEST_VMW86_LIB_H */
