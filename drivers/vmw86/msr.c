// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 MSRs: what RDMSR and WRMSR in the guest, and VMW86_GET_MSRS and
 * VMW86_SET_MSRS from user space, do with each MSR the vCPU keeps.
 *
 * The rules are the architecture's and live here: which values a WRMSR
 * refuses with #GP (reserved bits, non-canonical addresses, undefined
 * memory types), which bits the processor keeps for itself (EFER.LMA).
 * The values live where they are used: the VM's TSC in vm.c, the local
 * APIC's MSRs in lapic.c, TSC_AUX in the vCPU (the backend switches it
 * around the world switch), and the MSRs the hardware loads on entry (EFER,
 * the SYSCALL and SYSENTER MSRs, the FS, GS and KERNEL_GS bases, PAT) in
 * the backend's guest state, through &vmw86_backend_ops.get_msr and
 * .set_msr, which only store.
 *
 * Every MSR not listed here, or in vmw86_lapic_is_msr(), is absent: RDMSR
 * and WRMSR of it take #GP.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>

#include "vmw86.h"
#include "lapic.h"

/* The EFER bits a guest may set (APM vol. 2, 3.1.7); LMA is read-only. */
#define EFER_GUEST_WRITABLE	(EFER_SCE | EFER_LME | EFER_NX | EFER_FFXSR)

static bool is_canonical(u64 addr)
{
	return sign_extend64(addr, boot_cpu_data.x86_virt_bits - 1) == addr;
}

/* Every PAT entry must be a defined memory type (APM vol. 2, 7.8.1). */
static bool pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 type = (pat >> (i * 8)) & 0xff;

		if (type != 0 && type != 1 && (type < 4 || type > 7))
			return false;
	}
	return true;
}

/*
 * EFER: only the writable bits; LME cannot change while paging is on
 * (APM vol. 2, 14.6.1); LMA is the processor's to set (14.6).
 */
static int set_efer(struct vmw86_vcpu *vcpu, u64 data)
{
	struct vmw86_paging_state ps;

	if (data & ~(EFER_GUEST_WRITABLE | EFER_LMA))
		return -EINVAL;
	vmw86_ops->get_paging_state(vcpu, &ps);
	if ((ps.cr0 & X86_CR0_PG) && ((data ^ ps.efer) & EFER_LME))
		return -EINVAL;
	return vmw86_ops->set_msr(vcpu, MSR_EFER,
				  (data & EFER_GUEST_WRITABLE) |
				  (ps.efer & EFER_LMA));
}

/**
 * vmw86_vcpu_get_msr() - read an MSR the vCPU keeps (RDMSR, VMW86_GET_MSRS)
 * @vcpu: the vCPU (its thread).
 * @index: the MSR.
 * @data: the value.
 *
 * The core keeps the VM's TSC and a machine-check architecture with no
 * banks (AMD APM vol. 2, 9.3.1; Intel SDM vol. 3, 15.3.1), so that a guest
 * told of MCE and MCA by CPUID initialises it cleanly: MCG_CAP reads 0 (no
 * banks, no MCG_CTL); MCG_STATUS reads 0, since no machine check is ever
 * in progress in the guest. A host machine check stays the host's (the
 * backend intercepts #MC).
 *
 * Return: 0; -ENOENT for an MSR nobody keeps; -EINVAL where RDMSR takes #GP.
 */
int vmw86_vcpu_get_msr(struct vmw86_vcpu *vcpu, u32 index, u64 *data)
{
	switch (index) {
	case MSR_IA32_TSC:
		*data = vmw86_vm_read_tsc(vcpu->vm);
		return 0;
	case MSR_IA32_MCG_CAP:
	case MSR_IA32_MCG_STATUS:
		*data = 0;
		return 0;
	case MSR_TSC_AUX:
		*data = vcpu->tsc_aux;
		return 0;
	case MSR_K8_INT_PENDING_MSG:
		/*
		 * C1E is never on in a virtual CPU (the guest has no SMI or
		 * ACPI C-state hardware); Linux reads this on CPU families
		 * with AMD erratum 400 and expects no #GP.
		 */
		*data = 0;
		return 0;
	}
	if (vmw86_lapic_is_msr(index))
		return vmw86_lapic_get_msr(vcpu, index, data);
	return vmw86_ops->get_msr(vcpu, index, data);
}

/**
 * vmw86_vcpu_set_msr() - write an MSR the vCPU keeps (WRMSR, VMW86_SET_MSRS)
 * @vcpu: the vCPU (its thread).
 * @index: the MSR.
 * @data: the value.
 *
 * Applies the checks the hardware's WRMSR would (reserved bits, canonical
 * addresses, memory types), so that no value reaches the hardware's entry
 * checks that the guest could not have written itself. A write of
 * IA32_TSC sets the TSC of the whole VM (vmw86_vm_write_tsc()). MCG_CAP is
 * read-only; MCG_STATUS takes only 0, what a handler writes to end a
 * machine check.
 *
 * Return: 0; -ENOENT for an MSR nobody keeps; -EINVAL for a value WRMSR
 * refuses with #GP.
 */
int vmw86_vcpu_set_msr(struct vmw86_vcpu *vcpu, u32 index, u64 data)
{
	switch (index) {
	case MSR_IA32_TSC:
		vmw86_vm_write_tsc(vcpu->vm, data);
		return 0;
	case MSR_IA32_MCG_CAP:
		return -EINVAL;
	case MSR_IA32_MCG_STATUS:
		return data ? -EINVAL : 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		vcpu->tsc_aux = data;
		return 0;
	case MSR_EFER:
		return set_efer(vcpu, data);
	case MSR_IA32_CR_PAT:
		if (!pat_valid(data))
			return -EINVAL;
		break;
	case MSR_LSTAR:
	case MSR_CSTAR:
	case MSR_KERNEL_GS_BASE:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
		/* They hold addresses, which must be canonical. */
		if (!is_canonical(data))
			return -EINVAL;
		break;
	}
	if (vmw86_lapic_is_msr(index))
		return vmw86_lapic_set_msr(vcpu, index, data);
	return vmw86_ops->set_msr(vcpu, index, data);
}
