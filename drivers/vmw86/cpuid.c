// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 CPUID: the model offered to guests, and the per-vCPU table that
 * answers a guest's CPUID in the kernel without an exit.
 *
 * The supported model is the host's CPUID with what vmw86 does not
 * virtualize taken out (SVM and VMX themselves, MONITOR/MWAIT, the
 * speculation-control MSRs, XSAVES, TSC_ADJUST) and the hypervisor bit and
 * VMware's hypervisor leaves put in: 0x40000000 says "VMwareVMware" and
 * 0x40000010 gives the TSC and APIC timer frequencies, which is how a
 * Linux guest learns them without calibrating (design.rst, "Time"). Leaf
 * numbers and bits follow the AMD CPUID Specification (pub. 25481) and APM
 * vol. 3, appendix E; the VMware leaves follow what VMware's own Linux
 * guest code reads (arch/x86/kernel/cpu/vmware.c).
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "vmw86.h"
#include "lapic.h"

#define CPUID_HYPERVISOR_BASE	0x40000000
/* VMware's timing leaf, the highest of the hypervisor range it uses. */
#define CPUID_VMWARE_TIMING	0x40000010
#define CPUID_EXT_MAX		0x80000008
#define CPUID_XSAVE_LEAF	0xd

/* Leaf 1 ECX/EDX bits vmw86 does not offer. */
#define CPUID1_ECX_HIDE	(BIT(3) /* MONITOR */ | BIT(4) /* DS-CPL */ |	\
			 BIT(5) /* VMX */ | BIT(6) /* SMX */ |		\
			 BIT(7) /* EIST */ | BIT(8) /* TM2 */ |		\
			 BIT(15) /* PDCM */ | BIT(18) /* DCA */)
/* Emulated by the local APIC (lapic.c) whatever the host has. */
#define CPUID1_ECX_X2APIC	BIT(21)
#define CPUID1_ECX_TSC_DEADLINE	BIT(24)
#define CPUID1_EDX_APIC		BIT(9)
#define CPUIDX1_EDX_APIC	BIT(9)
/* Kept by the core (vcpu.c, a bankless MCA) whatever the host has. */
#define CPUID1_EDX_MCE_MCA	(BIT(7) /* MCE */ | BIT(14) /* MCA */)
#define CPUIDX1_EDX_MCE_MCA	CPUID1_EDX_MCE_MCA	/* AMD's mirror */
#define CPUID1_ECX_HYPERVISOR	BIT(31)
#define CPUID1_ECX_OSXSAVE	BIT(27)
#define CPUID1_EDX_HIDE	(BIT(21) /* DS */ | BIT(22) /* ACPI */ |	\
			 BIT(29) /* TM */ | BIT(31) /* PBE */)
/* Leaf 7.0 EDX: IBRS/IBPB, STIBP, L1D_FLUSH, ARCH_CAPABILITIES, CORE_CAP, SSBD */
#define CPUID7_EDX_HIDE	(BIT(26) | BIT(27) | BIT(28) | BIT(29) | BIT(30) | BIT(31))
#define CPUID7_ECX_HIDE	(BIT(5) /* WAITPKG */)
/*
 * TSC_ADJUST is a per-CPU MSR that would give each vCPU its own TSC; the
 * VM has one (vm.c) and no such MSR.
 */
#define CPUID7_EBX_HIDE	(BIT(1) /* TSC_ADJUST */ | BIT(2) /* SGX */ |	\
			 BIT(25) /* Intel PT */)
/* Leaf 0x80000007 EDX bit 8: the TSC runs at one rate in every state. */
#define CPUIDX7_EDX_TSC_INVARIANT	BIT(8)
/* Leaf 0x80000001 ECX: SVM, SKINIT, WDT */
#define CPUIDX1_ECX_HIDE	(BIT(2) | BIT(12) | BIT(13))
/* Leaf 0x80000008 EBX: keep CLZERO, XSaveErPtr, WBNOINVD only. */
#define CPUIDX8_EBX_KEEP	(BIT(0) | BIT(2) | BIT(9))
/* Leaf 0xd.1 EAX: XSAVES needs the XSS MSR, which vmw86 does not keep. */
#define CPUIDD1_EAX_HIDE	BIT(3)

static struct vmw86_cpuid_entry *supported;
static unsigned int supported_nent;

static void add_leaf(u32 function, u32 index, u32 flags)
{
	struct vmw86_cpuid_entry *e = &supported[supported_nent++];

	e->function = function;
	e->index = index;
	e->flags = flags;
	cpuid_count(function, index, &e->eax, &e->ebx, &e->ecx, &e->edx);

	switch (function) {
	case 0:
		e->eax = min_t(u32, e->eax, CPUID_XSAVE_LEAF);
		break;
	case 1:
		e->ecx = (e->ecx & ~CPUID1_ECX_HIDE) | CPUID1_ECX_HYPERVISOR |
			 CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE;
		e->edx = (e->edx & ~CPUID1_EDX_HIDE) | CPUID1_EDX_APIC |
			 CPUID1_EDX_MCE_MCA;
		e->ebx &= 0x0000ffff;	/* APIC id and logical count: per vCPU */
		break;
	case 7:
		if (index == 0) {
			e->eax = 0;	/* one sub-leaf */
			e->ebx &= ~CPUID7_EBX_HIDE;
			e->ecx &= ~CPUID7_ECX_HIDE;
			e->edx &= ~CPUID7_EDX_HIDE;
		}
		break;
	case CPUID_XSAVE_LEAF:
		if (index == 1) {
			e->eax &= ~CPUIDD1_EAX_HIDE;
			/* No supervisor (XSS) features are offered. */
			e->ecx = 0;
			e->edx = 0;
		}
		break;
	case 0x80000000:
		e->eax = min_t(u32, e->eax, CPUID_EXT_MAX);
		break;
	case 0x80000001:
		e->ecx &= ~CPUIDX1_ECX_HIDE;
		e->edx |= CPUIDX1_EDX_MCE_MCA;
		break;
	case 0x80000007:
		/*
		 * No power management or RAS features of the host's. The
		 * guest's TSC is the host's plus a constant, so it is
		 * invariant exactly when the host's is.
		 */
		e->eax = 0;
		e->ebx = 0;
		e->ecx = 0;
		e->edx = boot_cpu_has(X86_FEATURE_CONSTANT_TSC) &&
			 boot_cpu_has(X86_FEATURE_NONSTOP_TSC) ?
			 CPUIDX7_EDX_TSC_INVARIANT : 0;
		break;
	case 0x80000008:
		e->ebx &= CPUIDX8_EBX_KEEP;
		e->ecx = 0;	/* one core: topology comes later */
		break;
	}
}

/**
 * vmw86_cpuid_init() - build the supported CPUID model from the host's
 *
 * Context: module load.
 * Return: 0 or -ENOMEM.
 */
int vmw86_cpuid_init(void)
{
	u32 max_basic, max_ext, i, ebx, ecx, edx;
	u64 xcr0 = boot_cpu_has(X86_FEATURE_OSXSAVE) ?
		   xgetbv(XCR_XFEATURE_ENABLED_MASK) : 0;
	struct vmw86_cpuid_entry *e;

	supported = kcalloc(VMW86_MAX_CPUID_ENTRIES, sizeof(*supported),
			    GFP_KERNEL);
	if (!supported)
		return -ENOMEM;

	cpuid(0, &max_basic, &ebx, &ecx, &edx);
	max_basic = min_t(u32, max_basic, CPUID_XSAVE_LEAF);
	for (i = 0; i <= max_basic; i++) {
		switch (i) {
		case 4: case 6: case 0xb:	/* caches, power, topology */
			continue;
		case 7:
			add_leaf(i, 0, VMW86_CPUID_FLAG_SIGNIFICANT_INDEX);
			continue;
		case CPUID_XSAVE_LEAF: {
			u32 sub;

			if (!xcr0)
				continue;
			add_leaf(i, 0, VMW86_CPUID_FLAG_SIGNIFICANT_INDEX);
			add_leaf(i, 1, VMW86_CPUID_FLAG_SIGNIFICANT_INDEX);
			for (sub = 2; sub < 63; sub++)
				if (xcr0 & BIT_ULL(sub))
					add_leaf(i, sub,
						 VMW86_CPUID_FLAG_SIGNIFICANT_INDEX);
			continue;
		}
		default:
			add_leaf(i, 0, 0);
		}
	}

	/*
	 * VMware's signature, with 0x40000010 as the highest leaf (leaves
	 * between read as zeros); the frequencies in 0x40000010 are filled
	 * in when a table is handed out (vmw86_cpuid_fill_timing()).
	 */
	e = &supported[supported_nent++];
	e->function = CPUID_HYPERVISOR_BASE;
	e->eax = CPUID_VMWARE_TIMING;
	memcpy(&e->ebx, "VMwa", 4);
	memcpy(&e->ecx, "reVM", 4);
	memcpy(&e->edx, "ware", 4);
	e = &supported[supported_nent++];
	e->function = CPUID_VMWARE_TIMING;

	cpuid(0x80000000, &max_ext, &ebx, &ecx, &edx);
	max_ext = min_t(u32, max_ext, CPUID_EXT_MAX);
	for (i = 0x80000000; i <= max_ext; i++)
		add_leaf(i, 0, 0);

	/* Leaf 0xd.0 EAX/EDX: offer exactly the host's user features. */
	for (i = 0; i < supported_nent; i++) {
		e = &supported[i];
		if (e->function == CPUID_XSAVE_LEAF && e->index == 0) {
			e->eax = lower_32_bits(xcr0);
			e->edx = upper_32_bits(xcr0);
		}
	}
	return 0;
}

/** vmw86_cpuid_exit() - free the supported model. Context: module unload. */
void vmw86_cpuid_exit(void)
{
	kfree(supported);
}

/*
 * Leaf 0x40000010 as VMware defines it: EAX the TSC frequency in kHz (the
 * host's tsc_khz: the guest's TSC is the host's, offset), EBX the APIC
 * timer's input clock in kHz when vmw86 emulates the APIC (0 when user
 * space does), ECX bits 0 and 1 clear (the backdoor is reached with IN,
 * not VMMCALL or VMCALL), EDX 0. Filled when a table is handed out, not
 * at load, because the host refines tsc_khz after boot.
 */
static void vmw86_cpuid_fill_timing(struct vmw86_cpuid_entry *table,
				    unsigned int nent, bool has_lapic)
{
	unsigned int i;

	for (i = 0; i < nent; i++) {
		struct vmw86_cpuid_entry *e = &table[i];

		if (e->function != CPUID_VMWARE_TIMING)
			continue;
		e->eax = tsc_khz;
		e->ebx = has_lapic ? VMW86_LAPIC_TIMER_HZ / 1000 : 0;
		e->ecx = 0;
		e->edx = 0;
	}
}

/**
 * vmw86_get_supported_cpuid() - VMW86_GET_SUPPORTED_CPUID
 * @ucpuid: user buffer; on input @nent is its capacity in entries.
 *
 * The leaves are those of a VM with local APICs (VMW86_CREATE_LAPIC).
 * Return: 0 with @nent set; -E2BIG (with @nent set to the count needed)
 * when the buffer is too small; -EFAULT; -ENOMEM.
 */
long vmw86_get_supported_cpuid(struct vmw86_cpuid __user *ucpuid)
{
	struct vmw86_cpuid_entry *table;
	u32 nent;
	long ret = 0;

	if (get_user(nent, &ucpuid->nent))
		return -EFAULT;
	if (put_user(supported_nent, &ucpuid->nent))
		return -EFAULT;
	if (nent < supported_nent)
		return -E2BIG;
	table = kmemdup(supported, supported_nent * sizeof(*supported),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;
	vmw86_cpuid_fill_timing(table, supported_nent, true);
	if (copy_to_user(ucpuid->entries, table,
			 supported_nent * sizeof(*supported)))
		ret = -EFAULT;
	kfree(table);
	return ret;
}

/**
 * vmw86_vcpu_cpuid_init() - give a new vCPU the supported model
 * @vcpu: the vCPU; its id goes into leaf 1's initial APIC id, and the APIC
 *	feature bits and the APIC timer's frequency show only if its VM has
 *	local APICs.
 *
 * Return: 0 or -ENOMEM.
 */
int vmw86_vcpu_cpuid_init(struct vmw86_vcpu *vcpu)
{
	unsigned int i;

	vcpu->cpuid = kmemdup(supported, supported_nent * sizeof(*supported),
			      GFP_KERNEL_ACCOUNT);
	if (!vcpu->cpuid)
		return -ENOMEM;
	vcpu->cpuid_nent = supported_nent;
	vmw86_cpuid_fill_timing(vcpu->cpuid, supported_nent,
				vcpu->vm->has_lapic);
	for (i = 0; i < supported_nent; i++) {
		struct vmw86_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == 1) {
			e->ebx |= vcpu->id << 24;
			/* Without VMW86_CREATE_LAPIC there is no APIC to show. */
			if (!vcpu->vm->has_lapic) {
				e->ecx &= ~(CPUID1_ECX_X2APIC |
					    CPUID1_ECX_TSC_DEADLINE);
				e->edx &= ~CPUID1_EDX_APIC;
			}
		} else if (e->function == 0x80000001 && !vcpu->vm->has_lapic) {
			e->edx &= ~CPUIDX1_EDX_APIC;
		}
	}
	return 0;
}

/**
 * vmw86_vcpu_set_cpuid() - VMW86_SET_CPUID: replace a vCPU's table
 * @vcpu: the vCPU (its mutex held).
 * @ucpuid: the user's table.
 *
 * Return: 0; -E2BIG for more than VMW86_MAX_CPUID_ENTRIES entries; -EINVAL
 * for unknown flags or non-zero padding; -EFAULT; -ENOMEM.
 */
long vmw86_vcpu_set_cpuid(struct vmw86_vcpu *vcpu,
			  struct vmw86_cpuid __user *ucpuid)
{
	struct vmw86_cpuid hdr;
	struct vmw86_cpuid_entry *table;
	unsigned int i;

	if (copy_from_user(&hdr, ucpuid, sizeof(hdr)))
		return -EFAULT;
	if (hdr.padding)
		return -EINVAL;
	if (hdr.nent > VMW86_MAX_CPUID_ENTRIES)
		return -E2BIG;
	table = vmemdup_user(ucpuid->entries, hdr.nent * sizeof(*table));
	if (IS_ERR(table))
		return PTR_ERR(table);
	for (i = 0; i < hdr.nent; i++) {
		if (table[i].flags & ~VMW86_CPUID_FLAG_SIGNIFICANT_INDEX ||
		    table[i].padding[0] || table[i].padding[1] ||
		    table[i].padding[2]) {
			kvfree(table);
			return -EINVAL;
		}
	}
	kvfree(vcpu->cpuid);
	vcpu->cpuid = table;
	vcpu->cpuid_nent = hdr.nent;
	return 0;
}

/* Size of the XSAVE area for the features in @xcr0 (CPUID.0xD.0:EBX). */
static u32 vmw86_xsave_size(struct vmw86_vcpu *vcpu, u64 xcr0)
{
	u32 size = 512 + 64;	/* legacy area and XSAVE header */
	unsigned int i;

	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct vmw86_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function == CPUID_XSAVE_LEAF && e->index >= 2 &&
		    e->index < 64 && (xcr0 & BIT_ULL(e->index)))
			size = max(size, e->ebx + e->eax);
	}
	return size;
}

/**
 * vmw86_cpuid_lookup() - answer a guest CPUID from the vCPU's table
 * @vcpu: the vCPU.
 * @function: EAX.
 * @index: ECX.
 * @osxsave: the guest's CR4.OSXSAVE, reflected in leaf 1 ECX bit 27.
 * @out: EAX, EBX, ECX, EDX.
 *
 * A leaf not in the table reads as zeros. Leaf 0xd.0 EBX, the XSAVE size
 * for the guest's current XCR0, is computed as the hardware does.
 */
void vmw86_cpuid_lookup(struct vmw86_vcpu *vcpu, u32 function, u32 index,
			bool osxsave, u32 out[4])
{
	unsigned int i;

	memset(out, 0, 4 * sizeof(*out));
	for (i = 0; i < vcpu->cpuid_nent; i++) {
		const struct vmw86_cpuid_entry *e = &vcpu->cpuid[i];

		if (e->function != function ||
		    ((e->flags & VMW86_CPUID_FLAG_SIGNIFICANT_INDEX) &&
		     e->index != index))
			continue;
		out[0] = e->eax;
		out[1] = e->ebx;
		out[2] = e->ecx;
		out[3] = e->edx;
		break;
	}
	if (function == 1) {
		out[2] &= ~CPUID1_ECX_OSXSAVE;
		if (osxsave)
			out[2] |= CPUID1_ECX_OSXSAVE;
	}
	if (function == CPUID_XSAVE_LEAF && index == 0 && i < vcpu->cpuid_nent)
		out[1] = vmw86_xsave_size(vcpu, vcpu->xcr0);
}
