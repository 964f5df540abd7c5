// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 reset: the state of an x86 processor after RESET (AMD APM vol. 2,
 * 14.1.3 "Processor Initialization State"; Intel SDM vol. 3, table 9-1),
 * which a vCPU takes when it is created, after a shutdown, and on INIT
 * before a STARTUP IPI sets where it begins.
 *
 * The values are the architecture's and are listed here once; the backend
 * only clears the guest state it holds (&vmw86_backend_ops.vcpu_reset) and
 * takes the rest through set_sregs and set_msr like any other value.
 */
#include <linux/string.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "vmw86.h"

#define RESET_RIP	0xfff0
#define RESET_DR6	0xffff0ff0ULL	/* the reserved bits read as 1 */
#define RESET_DR7	0x400ULL	/* bit 10 reads as 1 */
#define RESET_PAT	0x0007040600070406ULL	/* WB WT UC- UC, twice */

/* A data segment in real mode: base 0, 64 KiB, read/write, accessed. */
#define REAL_MODE_DATA_SEGMENT \
	{ .limit = 0xffff, .type = 3, .s = 1, .present = 1 }

/*
 * Real mode at F000:FFF0 with the CS base at FFFF0000 (the first fetch is
 * 16 bytes below 4 GiB), caches disabled (CR0.CD, NW) and ET set.
 */
static const struct vmw86_sregs reset_sregs = {
	.cs = { .base = 0xffff0000, .limit = 0xffff, .selector = 0xf000,
		.type = 0xb, .s = 1, .present = 1 },
	.ds = REAL_MODE_DATA_SEGMENT,
	.es = REAL_MODE_DATA_SEGMENT,
	.fs = REAL_MODE_DATA_SEGMENT,
	.gs = REAL_MODE_DATA_SEGMENT,
	.ss = REAL_MODE_DATA_SEGMENT,
	.tr = { .limit = 0xffff, .type = 0xb, .present = 1 },	/* busy TSS */
	.ldt = { .limit = 0xffff, .type = 2, .present = 1 },
	.gdt = { .limit = 0xffff },
	.idt = { .limit = 0xffff },
	.cr0 = X86_CR0_ET | X86_CR0_CD | X86_CR0_NW,
};

/**
 * vmw86_vcpu_reset() - put a vCPU in the processor's RESET state
 * @vcpu: the vCPU (its thread, or its creator before the fd exists).
 *
 * Registers, segments, control registers (CR8 included), EFER, PAT and
 * DR6/DR7 take their RESET values, XCR0 enables x87 only, and everything
 * else the backend holds (the SYSCALL and SYSENTER MSRs, the FS, GS and
 * KERNEL_GS bases, a pending event) is cleared. Left alone: the local APIC (lapic.c
 * resets it itself on INIT), the VM's TSC, TSC_AUX and PKRU. The state
 * counts as set by user space (state_dirty): the backend keeps a copy
 * until the hardware has accepted it.
 */
void vmw86_vcpu_reset(struct vmw86_vcpu *vcpu)
{
	vmw86_ops->vcpu_reset(vcpu);
	vmw86_ops->set_sregs(vcpu, &reset_sregs);
	vmw86_ops->set_msr(vcpu, MSR_IA32_CR_PAT, RESET_PAT);

	memset(vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->rip = RESET_RIP;
	vcpu->rflags = X86_EFLAGS_FIXED;
	vcpu->dr6 = RESET_DR6;
	vcpu->dr7 = RESET_DR7;
	memset(vcpu->db, 0, sizeof(vcpu->db));
	vcpu->cr8 = 0;
	vcpu->xcr0 = XFEATURE_MASK_FP;
	vcpu->state_dirty = true;
}
