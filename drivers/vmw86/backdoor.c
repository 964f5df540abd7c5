// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 VMware backdoor: the I/O port through which a guest that found
 * "VMwareVMware" at CPUID 0x40000000 asks its hypervisor for what CPUID
 * does not say, answered in the kernel so that a query costs no trip to
 * user space.
 *
 * The guest executes IN EAX, DX with DX = 0x5658 ("VX"), EAX = the magic
 * 0x564d5868 ("VMXh") and the command in CX; the answer comes back in
 * EAX, EBX, ECX and EDX. The commands vmw86 knows are the ones Linux asks
 * at boot (arch/x86/kernel/cpu/vmware.c, whose constants come from
 * VMware's open-vm-tools, lib/include/backdoor_def.h):
 *
 * - GETVERSION (10): EAX = 6, EBX = the magic, ECX = the product type,
 *   4 (VMX_TYPE_WORKSTATION: the hosted product this project descends
 *   from). Linux takes the magic in EBX as "this is VMware".
 * - GETHZ (45): EBX:EAX = the TSC frequency in Hz, ECX = the local APIC
 *   timer's input clock in Hz, both from the vCPU's CPUID leaf 0x40000010
 *   so that the two never disagree; EBX = EAX = ~0 if that leaf gives no
 *   TSC rate (Linux then says it could not get it, and calibrates).
 * - GET_VCPU_INFO (68): EAX = flags, of which only SYNC_VTSCS (bit 1: the
 *   vCPUs' TSCs are synchronized) is set. LEGACY_X2APIC_OK (bit 3) stays
 *   clear: with it Linux would switch its APICs to x2APIC mode without
 *   interrupt remapping, which nothing here needs, and the guest keeps
 *   the xAPIC it uses on any PC without an IOMMU.
 * - anything else: EAX = ~0, the other registers unchanged. That is what
 *   a VMware host answers for a command it does not have; Linux relies on
 *   it (STEALCLOCK_NOT_AVAILABLE, -1, for the steal-clock command 91 on
 *   hosts without it).
 *
 * Registers a command does not name keep their values; those it sets are
 * set as 32-bit registers (zero-extended, as a 32-bit MOV would). Only a
 * 4-byte, non-string IN with the magic, from a vCPU whose CPUID table has
 * VMware's signature, is the backdoor: any other access to the port (a
 * wrong magic, OUT, INB, the high-bandwidth port 0x5659) exits to user
 * space like every other port.
 *
 * Privilege: the guest's own protection applies. The processor checks
 * IOPL and the TSS I/O permission bitmap before it looks at the IOIO
 * intercept (AMD APM vol. 2, 15.10), so an IN at CPL 3 that the guest's
 * kernel does not allow is a #GP in the guest and never reaches vmw86; an
 * IN it allows (IOPL 3, or the port open in the bitmap) is answered as at
 * CPL 0. A VMware host by default answers CPL 3 even without IOPL, by
 * intercepting #GP and decoding the instruction; vmw86 does not, since
 * every #GP of every guest would then exit, and nothing the backdoor
 * tells is secret from CPL 3 (CPUID gives the same).
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>

#include "vmw86.h"

#define BACKDOOR_PORT		0x5658		/* "VX" */
#define BACKDOOR_MAGIC		0x564d5868	/* "VMXh" */

#define BDOOR_CMD_GETVERSION	10
#define BDOOR_CMD_GETHZ		45
#define BDOOR_CMD_GET_VCPU_INFO	68

#define BDOOR_VERSION		6
#define BDOOR_PRODUCT_WORKSTATION 4		/* VMX_TYPE_WORKSTATION */
#define BDOOR_VCPU_SYNC_VTSCS	BIT(1)

#define CPUID_VMWARE_SIGNATURE	0x40000000
#define CPUID_VMWARE_TIMING	0x40000010

/* Does the vCPU's CPUID table present VMware's interface? */
static bool backdoor_offered(struct vmw86_vcpu *vcpu)
{
	u32 leaf[4];

	vmw86_cpuid_lookup(vcpu, CPUID_VMWARE_SIGNATURE, 0, false, leaf);
	return !memcmp(&leaf[1], "VMwa", 4) && !memcmp(&leaf[2], "reVM", 4) &&
	       !memcmp(&leaf[3], "ware", 4);
}

static void set_reg32(struct vmw86_vcpu *vcpu, enum vmw86_reg reg, u32 val)
{
	vcpu->regs[reg] = val;
}

/* GETHZ: the rates the guest's CPUID leaf 0x40000010 gives, in Hz. */
static void backdoor_gethz(struct vmw86_vcpu *vcpu)
{
	u32 leaf[4];
	u64 tsc_hz;

	vmw86_cpuid_lookup(vcpu, CPUID_VMWARE_TIMING, 0, false, leaf);
	if (!leaf[0]) {
		set_reg32(vcpu, VCPU_REG_RAX, U32_MAX);
		set_reg32(vcpu, VCPU_REG_RBX, U32_MAX);
		return;
	}
	tsc_hz = (u64)leaf[0] * 1000;
	set_reg32(vcpu, VCPU_REG_RAX, lower_32_bits(tsc_hz));
	set_reg32(vcpu, VCPU_REG_RBX, upper_32_bits(tsc_hz));
	set_reg32(vcpu, VCPU_REG_RCX,
		  min_t(u64, (u64)leaf[1] * 1000, U32_MAX));
}

/**
 * vmw86_backdoor_in() - answer an IN that may be a VMware backdoor call
 * @vcpu: the vCPU, at the IN (its GPRs are current).
 * @port: the port (DX).
 * @size: bytes read (1, 2 or 4); the caller passes only non-string INs.
 *
 * Context: the vCPU's thread, in its exit path.
 * Return: true if this was a backdoor call and the registers hold its
 * answer (the caller retires the IN); false if it is an ordinary port
 * access for user space.
 */
bool vmw86_backdoor_in(struct vmw86_vcpu *vcpu, u16 port, u8 size)
{
	if (port != BACKDOOR_PORT || size != 4 ||
	    (u32)vcpu->regs[VCPU_REG_RAX] != BACKDOOR_MAGIC ||
	    !backdoor_offered(vcpu))
		return false;

	switch ((u16)vcpu->regs[VCPU_REG_RCX]) {
	case BDOOR_CMD_GETVERSION:
		set_reg32(vcpu, VCPU_REG_RAX, BDOOR_VERSION);
		set_reg32(vcpu, VCPU_REG_RBX, BACKDOOR_MAGIC);
		set_reg32(vcpu, VCPU_REG_RCX, BDOOR_PRODUCT_WORKSTATION);
		break;
	case BDOOR_CMD_GETHZ:
		backdoor_gethz(vcpu);
		break;
	case BDOOR_CMD_GET_VCPU_INFO:
		set_reg32(vcpu, VCPU_REG_RAX, BDOOR_VCPU_SYNC_VTSCS);
		break;
	default:
		set_reg32(vcpu, VCPU_REG_RAX, U32_MAX);
		break;
	}
	return true;
}
