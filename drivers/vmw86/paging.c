// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 guest page walk: linear (GVA) to guest physical (GPA) addresses.
 *
 * Used only on slow paths where vmw86 itself must touch memory the way the
 * guest addressed it: string port I/O (INS/OUTS) and fetching the bytes of
 * an instruction that caused an MMIO exit. The walk follows AMD APM vol. 2,
 * 5.2-5.3 (legacy and PAE paging) and 5.3.3 (4- and 5-level long-mode
 * paging); it checks only the present bit, since an instruction that
 * reached us already passed the hardware's own permission checks.
 */
#include <asm/processor-flags.h>
#include <asm/msr-index.h>

#include "vmw86.h"

#define PTE_PRESENT	BIT_ULL(0)
#define PTE_LARGE	BIT_ULL(7)	/* PS: a 2M/4M or 1G page */

/**
 * vmw86_gva_to_gpa() - translate a guest linear address
 * @vcpu: the vCPU; runs in its VM's mm.
 * @ps: the vCPU's CR0, CR3, CR4 and EFER.
 * @gva: the linear address.
 * @gpa: the result.
 *
 * Context: process; may sleep (reads guest page tables from user memory).
 * Return: 0, or -EFAULT when a table entry is not present or a table is
 * outside guest RAM.
 */
int vmw86_gva_to_gpa(struct vmw86_vcpu *vcpu,
		     const struct vmw86_paging_state *ps, u64 gva, u64 *gpa)
{
	u64 table, entry, addr_mask = GENMASK_ULL(51, 12);
	int level, shift;

	if (!(ps->cr0 & X86_CR0_PG)) {
		*gpa = gva & 0xffffffff;
		return 0;
	}

	if (!(ps->cr4 & X86_CR4_PAE)) {
		/* Legacy two-level paging with 4-byte entries (APM 5.3). */
		u32 e32;

		table = ps->cr3 & 0xfffff000;
		for (level = 2, shift = 22; level > 0; level--, shift -= 10) {
			u64 index = (gva >> shift) & 0x3ff;

			if (vmw86_read_guest(vcpu->vm, table + index * 4, &e32,
					     4) || !(e32 & PTE_PRESENT))
				return -EFAULT;
			if (level == 2 && (e32 & PTE_LARGE) &&
			    (ps->cr4 & X86_CR4_PSE)) {
				*gpa = (e32 & 0xffc00000) | (gva & 0x3fffff);
				return 0;
			}
			table = e32 & 0xfffff000;
		}
		*gpa = table | (gva & 0xfff);
		return 0;
	}

	if (ps->efer & EFER_LMA) {
		level = (ps->cr4 & X86_CR4_LA57) ? 5 : 4;
		table = ps->cr3 & addr_mask;
	} else {
		/* PAE: four PDPTEs at CR3, 32-byte aligned (APM 5.4). */
		level = 3;
		table = ps->cr3 & 0xffffffe0;
		gva &= 0xffffffff;
	}

	for (shift = 12 + 9 * (level - 1); level > 0; level--, shift -= 9) {
		u64 index = (gva >> shift) & (level == 3 && !(ps->efer & EFER_LMA)
					      ? 3 : 0x1ff);

		if (vmw86_read_guest(vcpu->vm, table + index * 8, &entry, 8) ||
		    !(entry & PTE_PRESENT))
			return -EFAULT;
		if ((level == 2 || level == 3) && (entry & PTE_LARGE)) {
			u64 page_mask = BIT_ULL(shift) - 1;

			*gpa = (entry & addr_mask & ~page_mask) |
			       (gva & page_mask);
			return 0;
		}
		table = entry & addr_mask;
	}
	*gpa = table | (gva & 0xfff);
	return 0;
}

static int vmw86_access_gva(struct vmw86_vcpu *vcpu, u64 gva, void *buf,
			    size_t len, bool write)
{
	struct vmw86_paging_state ps;

	vmw86_ops->get_paging_state(vcpu, &ps);
	while (len) {
		size_t chunk = min_t(size_t, len, PAGE_SIZE - (gva & ~PAGE_MASK));
		u64 gpa;
		int ret;

		ret = vmw86_gva_to_gpa(vcpu, &ps, gva, &gpa);
		if (!ret)
			ret = write ? vmw86_write_guest(vcpu->vm, gpa, buf, chunk)
				    : vmw86_read_guest(vcpu->vm, gpa, buf, chunk);
		if (ret)
			return ret;
		gva += chunk;
		buf += chunk;
		len -= chunk;
	}
	return 0;
}

/**
 * vmw86_read_gva() - read guest memory by linear address
 * @vcpu: the vCPU whose paging mode applies.
 * @gva: linear address.
 * @buf: destination.
 * @len: length in bytes.
 *
 * Context: process; may sleep.
 * Return: 0, or -EFAULT when some byte does not translate to guest RAM.
 */
int vmw86_read_gva(struct vmw86_vcpu *vcpu, u64 gva, void *buf, size_t len)
{
	return vmw86_access_gva(vcpu, gva, buf, len, false);
}

/**
 * vmw86_write_gva() - write guest memory by linear address
 * @vcpu: the vCPU whose paging mode applies.
 * @gva: linear address.
 * @buf: source.
 * @len: length in bytes.
 *
 * Context: process; may sleep.
 * Return: 0, or -EFAULT when some byte does not translate to writable
 * guest RAM.
 */
int vmw86_write_gva(struct vmw86_vcpu *vcpu, u64 gva, const void *buf,
		    size_t len)
{
	return vmw86_access_gva(vcpu, gva, (void *)buf, len, true);
}
