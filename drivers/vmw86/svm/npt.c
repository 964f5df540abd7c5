// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 nested page table (AMD APM vol. 2, 15.25 "Nested Paging").
 *
 * The nested table has the format of a long-mode page table, walked with
 * the host's depth (4 or 5 levels), and every access through it counts as a
 * user access, so each entry has U/S set (APM 15.25.5). Leaves are 4 KiB,
 * or 2 MiB where the host backs guest memory with a transparent huge page;
 * entries are filled on demand by the nested page fault path and cleared
 * by the MMU notifier. Table pages are kept until the VM dies.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <asm/pgtable.h>

#include "svm.h"

#define NPT_PRESENT	BIT_ULL(0)
#define NPT_WRITABLE	BIT_ULL(1)
#define NPT_USER	BIT_ULL(2)
#define NPT_ACCESSED	BIT_ULL(5)
#define NPT_DIRTY	BIT_ULL(6)
#define NPT_LARGE	BIT_ULL(7)	/* a 2 MiB leaf at level 2 (PS) */
#define NPT_ADDR_MASK	GENMASK_ULL(51, 12)
#define NPT_TABLE	(NPT_PRESENT | NPT_WRITABLE | NPT_USER | NPT_ACCESSED)

static inline struct svm_vm *to_svm_vm(struct vmw86_vm *vm)
{
	return vm->arch;
}

static inline int npt_index(u64 gpa, int level)
{
	return (gpa >> (PAGE_SHIFT + 9 * (level - 1))) & 0x1ff;
}

/**
 * svm_npt_init() - allocate a VM's nested page table root
 * @vm: the VM; vm->arch is a zeroed &struct svm_vm.
 *
 * Return: 0 or -ENOMEM.
 */
int svm_npt_init(struct vmw86_vm *vm)
{
	struct svm_vm *svm_vm = to_svm_vm(vm);

	svm_vm->npt_levels = pgtable_l5_enabled() ? 5 : 4;
	svm_vm->npt_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return svm_vm->npt_root ? 0 : -ENOMEM;
}

static void npt_free_table(u64 *table, int level)
{
	int i;

	if (level > 1)
		for (i = 0; i < 512; i++)
			if ((table[i] & NPT_PRESENT) &&
			    !(level == 2 && (table[i] & NPT_LARGE)))
				npt_free_table(__va(table[i] & NPT_ADDR_MASK),
					       level - 1);
	free_page((unsigned long)table);
}

/**
 * svm_npt_destroy() - free a dying VM's nested page table and page cache
 * @vm: the VM; no vCPU runs.
 */
void svm_npt_destroy(struct vmw86_vm *vm)
{
	struct svm_vm *svm_vm = to_svm_vm(vm);

	if (svm_vm->npt_root)
		npt_free_table(svm_vm->npt_root, svm_vm->npt_levels);
	while (svm_vm->cache_count)
		free_page((unsigned long)svm_vm->cache[--svm_vm->cache_count]);
}

/**
 * svm_npt_topup_cache() - preallocate table pages for svm_npt_map()
 * @vm: the VM.
 *
 * Context: process, may sleep; takes vm->mmu_lock briefly.
 * Return: 0 or -ENOMEM.
 */
int svm_npt_topup_cache(struct vmw86_vm *vm)
{
	struct svm_vm *svm_vm = to_svm_vm(vm);

	for (;;) {
		u64 *page;

		spin_lock(&vm->mmu_lock);
		if (svm_vm->cache_count >= NPT_CACHE_PAGES - 1) {
			spin_unlock(&vm->mmu_lock);
			return 0;
		}
		spin_unlock(&vm->mmu_lock);

		page = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!page)
			return -ENOMEM;
		spin_lock(&vm->mmu_lock);
		if (svm_vm->cache_count < NPT_CACHE_PAGES)
			svm_vm->cache[svm_vm->cache_count++] = page;
		else
			free_page((unsigned long)page);
		spin_unlock(&vm->mmu_lock);
	}
}

/**
 * svm_npt_map() - map one 4 KiB guest page, or the 2 MiB around it
 * @vm: the VM; vm->mmu_lock held.
 * @gpa: page-aligned GPA.
 * @pfn: host page frame of @gpa.
 * @writable: allow writes.
 * @huge: map the naturally aligned 2 MiB around @gpa and @pfn with one
 *	level-2 leaf (APM 15.25.3: the nested table takes the PS bit as a
 *	long-mode table does), unless 4 KiB leaves already sit under that
 *	entry: then only @gpa's page.
 *
 * Return: 0 after mapping 4 KiB, 1 after mapping 2 MiB (the statistics
 * count those), or -ENOMEM when the preallocated cache ran dry (the
 * caller tops it up and retries).
 */
int svm_npt_map(struct vmw86_vm *vm, u64 gpa, u64 pfn, bool writable,
		bool huge)
{
	struct svm_vm *svm_vm = to_svm_vm(vm);
	u64 *table = svm_vm->npt_root;
	u64 leaf_flags = NPT_PRESENT | NPT_USER | NPT_ACCESSED |
			 (writable ? NPT_WRITABLE | NPT_DIRTY : 0);
	int level;

	lockdep_assert_held(&vm->mmu_lock);
	for (level = svm_vm->npt_levels; level > 1; level--) {
		u64 *entry = &table[npt_index(gpa, level)];

		if (level == 2 && huge && (!(*entry & NPT_PRESENT) ||
					   (*entry & NPT_LARGE))) {
			*entry = ((pfn & ~(u64)(PTRS_PER_PMD - 1)) << PAGE_SHIFT) |
				 leaf_flags | NPT_LARGE;
			return 1;
		}
		/*
		 * A 2 MiB leaf where a table is wanted: the host no longer
		 * maps a huge page here (the notifier would have dropped
		 * it otherwise); a fresh table replaces it.
		 */
		if (!(*entry & NPT_PRESENT) ||
		    (level == 2 && (*entry & NPT_LARGE))) {
			if (!svm_vm->cache_count)
				return -ENOMEM;
			*entry = __pa(svm_vm->cache[--svm_vm->cache_count]) |
				 NPT_TABLE;
		}
		table = __va(*entry & NPT_ADDR_MASK);
	}
	/* A/D preset: the hardware need not write them back (APM 15.25.6). */
	table[npt_index(gpa, 1)] = (pfn << PAGE_SHIFT) | leaf_flags;
	return 0;
}

/* Clear the leaves covering [start, end) below @table at @level. */
static bool npt_zap(u64 *table, int level, u64 base, u64 start, u64 end)
{
	u64 span = 1ULL << (PAGE_SHIFT + 9 * (level - 1));
	bool zapped = false;
	int i;

	for (i = npt_index(max(start, base), level); i < 512; i++) {
		u64 entry_base = base + i * span;

		if (entry_base >= end)
			break;
		if (!(table[i] & NPT_PRESENT))
			continue;
		/* A 2 MiB leaf goes whole, even if only part of it is hit. */
		if (level == 1 || (level == 2 && (table[i] & NPT_LARGE))) {
			table[i] = 0;
			zapped = true;
		} else {
			zapped |= npt_zap(__va(table[i] & NPT_ADDR_MASK),
					  level - 1, entry_base, start, end);
		}
	}
	return zapped;
}

/**
 * svm_npt_zap_range() - drop the mappings of [gpa, gpa + size)
 * @vm: the VM; vm->mmu_lock held.
 * @gpa: page-aligned GPA.
 * @size: bytes.
 *
 * The caller flushes the vCPUs' TLBs when this returns true.
 * Return: true if any entry was present.
 */
bool svm_npt_zap_range(struct vmw86_vm *vm, u64 gpa, u64 size)
{
	struct svm_vm *svm_vm = to_svm_vm(vm);

	lockdep_assert_held(&vm->mmu_lock);
	return npt_zap(svm_vm->npt_root, svm_vm->npt_levels, 0, gpa,
		       gpa + size);
}
