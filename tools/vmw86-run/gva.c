// SPDX-License-Identifier: GPL-2.0
/*
 * Guest virtual to guest physical addresses, by walking the guest's own
 * page tables in guest RAM: what a debugger's addresses need (gdbstub.c),
 * since gdb speaks of the addresses the guest's code uses.
 *
 * The mode comes from the vCPU's control registers (VMW86_GET_SREGS), as
 * the processor takes it (AMD APM vol. 2, 5.1 "Page Translation
 * Overview" and its figures; Intel SDM vol. 3A, 4.1.1):
 * - CR0.PG clear (real mode, protected mode without paging): linear is
 *   physical;
 * - EFER.LMA: 4-level long-mode paging, 5-level with CR4.LA57; PS in a
 *   PDPTE maps 1 GiB, in a PDE 2 MiB;
 * - CR4.PAE otherwise: legacy PAE paging, 4 PDPTEs at CR3[31:5], 2 MiB
 *   pages;
 * - otherwise 32-bit paging, with 4 MiB pages when CR4.PSE is set (and
 *   PSE-36's address bits 39:32 in PDE bits 20:13).
 *
 * Only the present bits count: a debugger reads and writes whatever the
 * guest could reach, whatever its R/W, U/S and NX bits say. Every table
 * entry is read through vm__gpa_to_hva(), so a table outside guest RAM
 * (the guest chooses CR3 and every entry) is "not mapped", never a fault
 * of the launcher.
 */
#include <string.h>

#include "vmw86-run.h"

#define CR0_PG		(1ULL << 31)
#define CR4_PSE		(1ULL << 4)
#define CR4_PAE		(1ULL << 5)
#define CR4_LA57	(1ULL << 12)
#define EFER_LMA	(1ULL << 10)

#define PTE_P		(1ULL << 0)
#define PTE_PS		(1ULL << 7)
/* Bits 51:12 of an entry: the next table or the page (MAXPHYADDR 52). */
#define PTE_ADDR	0x000ffffffffff000ULL

static bool read_entry(const struct vm *vm, u64 gpa, unsigned int size, u64 *e)
{
	const void *p = vm__gpa_to_hva(vm, gpa, size);
	u32 e32;

	if (!p)
		return false;
	if (size == 4) {
		memcpy(&e32, p, 4);
		*e = e32;
	} else {
		memcpy(e, p, 8);
	}
	return true;
}

/* Long mode: @levels 4 or 5, 9 bits of the address per level. */
static bool walk_long(const struct vm *vm, u64 cr3, unsigned int levels,
		      u64 gva, u64 *gpa, u64 *page_size)
{
	unsigned int top = 12 + 9 * levels;	/* 48 or 57 */
	u64 table = cr3 & PTE_ADDR, e;
	unsigned int level, shift;
	int64_t ext;

	/* Canonical: the bits above the top one copy it. */
	ext = (int64_t)(gva << (64 - top)) >> (64 - top);
	if ((u64)ext != gva)
		return false;
	for (level = levels; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if (!read_entry(vm, table + ((gva >> shift) & 511) * 8, 8, &e) ||
		    !(e & PTE_P))
			return false;
		if (level == 1 || (level <= 3 && (e & PTE_PS))) {
			*page_size = 1ULL << shift;
			*gpa = (e & PTE_ADDR & ~(*page_size - 1)) |
			       (gva & (*page_size - 1));
			return true;
		}
		table = e & PTE_ADDR;
	}
	return false;
}

static bool walk_pae(const struct vm *vm, u64 cr3, u32 gva, u64 *gpa,
		     u64 *page_size)
{
	u64 e;

	if (!read_entry(vm, (cr3 & 0xffffffe0u) + (gva >> 30) * 8, 8, &e) ||
	    !(e & PTE_P))
		return false;
	if (!read_entry(vm, (e & PTE_ADDR) + ((gva >> 21) & 511) * 8, 8, &e) ||
	    !(e & PTE_P))
		return false;
	if (e & PTE_PS) {
		*page_size = 2 * MiB;
		*gpa = (e & PTE_ADDR & ~(2 * MiB - 1)) | (gva & (2 * MiB - 1));
		return true;
	}
	if (!read_entry(vm, (e & PTE_ADDR) + ((gva >> 12) & 511) * 8, 8, &e) ||
	    !(e & PTE_P))
		return false;
	*page_size = 4 * KiB;
	*gpa = (e & PTE_ADDR) | (gva & 0xfff);
	return true;
}

static bool walk_32(const struct vm *vm, u64 cr3, u64 cr4, u32 gva, u64 *gpa,
		    u64 *page_size)
{
	u64 e;

	if (!read_entry(vm, (cr3 & 0xfffff000u) + (gva >> 22) * 4, 4, &e) ||
	    !(e & PTE_P))
		return false;
	if ((e & PTE_PS) && (cr4 & CR4_PSE)) {
		*page_size = 4 * MiB;
		*gpa = (e & 0xffc00000u) | ((e & 0x1fe000u) << 19) |
		       (gva & (4 * MiB - 1));
		return true;
	}
	if (!read_entry(vm, (e & 0xfffff000u) + ((gva >> 12) & 1023) * 4, 4, &e) ||
	    !(e & PTE_P))
		return false;
	*page_size = 4 * KiB;
	*gpa = (e & 0xfffff000u) | (gva & 0xfff);
	return true;
}

bool gva__to_gpa(const struct vm *vm, const struct vmw86_sregs *s, u64 gva,
		 u64 *gpa, u64 *left)
{
	u64 page_size;

	if (!(s->cr0 & CR0_PG)) {
		*gpa = gva;
		page_size = 4 * KiB;
	} else if (s->efer & EFER_LMA) {
		if (!walk_long(vm, s->cr3, s->cr4 & CR4_LA57 ? 5 : 4, gva, gpa,
			       &page_size))
			return false;
	} else if (gva > 0xffffffffu) {
		return false;
	} else if (s->cr4 & CR4_PAE) {
		if (!walk_pae(vm, s->cr3, gva, gpa, &page_size))
			return false;
	} else if (!walk_32(vm, s->cr3, s->cr4, gva, gpa, &page_size)) {
		return false;
	}
	*left = page_size - (gva & (page_size - 1));
	return true;
}
