// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 memory slots: guest physical memory backed by the VM owner's own
 * mappings.
 *
 * Nothing is pinned. A page enters the nested page table when the guest
 * first touches it (vmw86_handle_gpa_fault(), from the nested page fault
 * exit), and leaves it when the host invalidates the HVA (the slot's
 * mmu_interval_notifier: munmap, MADV_DONTNEED, migration, swap, KSM). The
 * notifier's sequence count, checked under vm->mmu_lock, makes sure a page
 * looked up while an invalidation ran is never installed.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/uaccess.h>

#include "vmw86.h"
#include "trace.h"

static struct vmw86_memslot *vmw86_find_slot(struct vmw86_vm *vm, u64 gpa)
{
	unsigned int i;

	for (i = 0; i < VMW86_MAX_MEMSLOTS; i++) {
		struct vmw86_memslot *slot = &vm->slots[i];

		if (slot->used && gpa >= slot->gpa &&
		    gpa - slot->gpa < slot->size)
			return slot;
	}
	return NULL;
}

static bool vmw86_memslot_invalidate(struct mmu_interval_notifier *mni,
				     const struct mmu_notifier_range *range,
				     unsigned long cur_seq)
{
	struct vmw86_memslot *slot =
		container_of(mni, struct vmw86_memslot, notifier);
	struct vmw86_vm *vm = slot->vm;
	unsigned long start = max(range->start, slot->hva);
	unsigned long end = min(range->end, slot->hva + slot->size);
	bool flush;

	spin_lock(&vm->mmu_lock);
	mmu_interval_set_seq(mni, cur_seq);
	flush = vmw86_ops->zap_gpa_range(vm, slot->gpa + (start - slot->hva),
					 end - start);
	if (flush)
		vm->stat.npt_invalidations++;
	spin_unlock(&vm->mmu_lock);

	/* The pages may be freed once we return: no vCPU may still use them. */
	if (flush)
		vmw86_vm_flush_tlbs(vm);
	return true;
}

static const struct mmu_interval_notifier_ops vmw86_memslot_notifier_ops = {
	.invalidate = vmw86_memslot_invalidate,
};

/* Drop a slot's translations and stop watching its HVA range. */
static void vmw86_memslot_remove(struct vmw86_vm *vm,
				 struct vmw86_memslot *slot)
{
	lockdep_assert_held_write(&vm->slots_lock);
	mmu_interval_notifier_remove(&slot->notifier);

	spin_lock(&vm->mmu_lock);
	vmw86_ops->zap_gpa_range(vm, slot->gpa, slot->size);
	spin_unlock(&vm->mmu_lock);
	slot->used = false;
	WRITE_ONCE(vm->stat.memslots, vm->stat.memslots - 1);
	vmw86_vm_flush_tlbs(vm);
}

static int vmw86_memslot_insert(struct vmw86_vm *vm,
				struct vmw86_memslot *slot,
				const struct vmw86_memory_region *mr)
{
	int ret;

	slot->vm = vm;
	slot->flags = mr->flags;
	slot->gpa = mr->guest_phys_addr;
	slot->size = mr->memory_size;
	slot->hva = mr->userspace_addr;
	ret = mmu_interval_notifier_insert(&slot->notifier, vm->mm, slot->hva,
					   slot->size,
					   &vmw86_memslot_notifier_ops);
	if (ret)
		return ret;
	/* Every reader of ->used holds slots_lock, which we hold for writing. */
	slot->used = true;
	WRITE_ONCE(vm->stat.memslots, vm->stat.memslots + 1);
	return 0;
}

/* Is [hva, hva + size) covered by mappings, without holes? */
static bool vmw86_hva_range_mapped(struct mm_struct *mm, unsigned long hva,
				   u64 size)
{
	unsigned long addr = hva, end = hva + size;
	struct vm_area_struct *vma;
	bool mapped = true;

	mmap_read_lock(mm);
	while (addr < end) {
		vma = vma_lookup(mm, addr);
		if (!vma) {
			mapped = false;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return mapped;
}

static bool vmw86_ranges_overlap(u64 a, u64 asize, u64 b, u64 bsize)
{
	return a < b + bsize && b < a + asize;
}

/**
 * vmw86_set_memory_region() - create, move or delete a memory slot
 * @vm: the VM; the caller runs in @vm->mm.
 * @mr: the request, see &struct vmw86_memory_region for its meaning and
 *	every errno.
 *
 * Context: process; takes vm->slots_lock for writing.
 * Return: 0 or a negative errno.
 */
int vmw86_set_memory_region(struct vmw86_vm *vm,
			    const struct vmw86_memory_region *mr)
{
	u64 max_gpa = 1ULL << boot_cpu_data.x86_phys_bits;
	struct vmw86_memslot *slot;
	bool changed = false;
	unsigned int i;
	int ret = 0;

	if (mr->slot >= VMW86_MAX_MEMSLOTS || mr->flags & ~VMW86_MEM_READONLY)
		return -EINVAL;
	if (!PAGE_ALIGNED(mr->guest_phys_addr) ||
	    !PAGE_ALIGNED(mr->memory_size) || !PAGE_ALIGNED(mr->userspace_addr))
		return -EINVAL;

	down_write(&vm->slots_lock);
	slot = &vm->slots[mr->slot];

	if (mr->memory_size == 0) {
		if (!slot->used)
			ret = -ENOENT;
		else
			vmw86_memslot_remove(vm, slot);
		changed = true;
		goto out;
	}

	if (mr->guest_phys_addr + mr->memory_size < mr->guest_phys_addr ||
	    mr->userspace_addr + mr->memory_size < mr->userspace_addr) {
		ret = -EOVERFLOW;
		goto out;
	}
	if (mr->guest_phys_addr + mr->memory_size > max_gpa) {
		ret = -E2BIG;
		goto out;
	}
	if (slot->used && (slot->size != mr->memory_size ||
			   slot->hva != mr->userspace_addr ||
			   slot->flags != mr->flags)) {
		ret = -EINVAL;
		goto out;
	}
	for (i = 0; i < VMW86_MAX_MEMSLOTS; i++) {
		struct vmw86_memslot *other = &vm->slots[i];

		if (i != mr->slot && other->used &&
		    vmw86_ranges_overlap(other->gpa, other->size,
					 mr->guest_phys_addr,
					 mr->memory_size)) {
			ret = -EEXIST;
			goto out;
		}
	}
	if (!access_ok((void __user *)(unsigned long)mr->userspace_addr,
		       mr->memory_size) ||
	    !vmw86_hva_range_mapped(vm->mm, mr->userspace_addr,
				    mr->memory_size)) {
		ret = -EFAULT;
		goto out;
	}

	/* A move is a delete at the old GPA and an insert at the new one. */
	if (slot->used) {
		if (slot->gpa == mr->guest_phys_addr)
			goto out;
		vmw86_memslot_remove(vm, slot);
	}
	changed = true;
	ret = vmw86_memslot_insert(vm, slot, mr);
out:
	/* A move to where the slot already is, or a failure, changed nothing. */
	if (!ret && changed)
		WRITE_ONCE(vm->stat.memslot_changes, vm->stat.memslot_changes + 1);
	up_write(&vm->slots_lock);
	trace_vmw86_memslot(vm, mr, ret);
	return ret;
}

/**
 * vmw86_memslots_destroy() - remove every slot of a dying VM
 * @vm: the VM; no vCPU runs.
 *
 * Context: process; may sleep (waits for running invalidations).
 */
void vmw86_memslots_destroy(struct vmw86_vm *vm)
{
	unsigned int i;

	down_write(&vm->slots_lock);
	for (i = 0; i < VMW86_MAX_MEMSLOTS; i++)
		if (vm->slots[i].used)
			vmw86_memslot_remove(vm, &vm->slots[i]);
	up_write(&vm->slots_lock);
}

/*
 * Does @mm map @hva with a huge PMD now? A lockless walk, as the kernel's
 * GUP-fast does: with interrupts off no page table can be freed under us
 * (x86 frees them only after an IPI or an RCU-sched grace period). The
 * answer may be stale by the time it is used; the caller's notifier
 * sequence check catches every change since.
 */
static bool vmw86_hva_pmd_mapped(struct mm_struct *mm, unsigned long hva)
{
	unsigned long flags;
	bool huge = false;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (pgd_none(pgd) || !pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (p4d_none(p4d) || !p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (pud_none(pud) || !pud_present(pud) || pud_large(pud))
		goto out;
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	huge = pmd_present(pmd) && pmd_large(pmd);
out:
	local_irq_restore(flags);
	return huge;
}

/*
 * May the nested table map the 2 MiB around @gpa with one entry? Only if
 * the slot covers all of it with the same offset inside 2 MiB on both
 * sides, and the host maps that HVA range with one huge PMD of the very
 * folio @page belongs to: then the 2 MiB of guest memory are exactly the
 * 2 MiB the process sees, and the notifier drops the entry the moment the
 * host splits or unmaps any part of it.
 */
static bool vmw86_can_map_huge(struct vmw86_vm *vm,
			       struct vmw86_memslot *slot, u64 gpa,
			       unsigned long hva, struct page *page)
{
	u64 gpa_2m = gpa & HPAGE_PMD_MASK;
	struct page *head = compound_head(page);

	if (!IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE) ||
	    ((slot->gpa ^ slot->hva) & ~HPAGE_PMD_MASK) ||
	    gpa_2m < slot->gpa ||
	    gpa_2m + HPAGE_PMD_SIZE > slot->gpa + slot->size)
		return false;
	if (!PageTransCompound(page) || compound_order(head) != HPAGE_PMD_ORDER ||
	    (hva & ~HPAGE_PMD_MASK) >> PAGE_SHIFT != page - head)
		return false;
	return vmw86_hva_pmd_mapped(vm->mm, hva);
}

/**
 * vmw86_handle_gpa_fault() - resolve a nested page fault
 * @vcpu: the faulting vCPU; runs in its VM's mm.
 * @gpa: the faulting GPA.
 * @write: the access was a write.
 *
 * Maps the 4 KiB page holding @gpa from its slot's HVA, read-only unless
 * @write (a later write faults again and upgrades the entry), so that
 * reading untouched memory does not break copy-on-write sharing. When the
 * host maps the whole 2 MiB around it with one transparent huge page, the
 * nested entry is a 2 MiB one too (vmw86_can_map_huge()).
 *
 * Context: process, interrupts on; takes vm->slots_lock for reading and
 * vm->mmu_lock; may sleep while faulting the page in.
 * Return: VMW86_FAULT_RETRY or VMW86_FAULT_MMIO; -EFAULT when the slot's
 * host mapping cannot supply the page (vcpu->run is set up for a
 * VMW86_EXIT_MEMORY_FAULT); -ENOMEM; -EINTR for a fatal signal.
 */
int vmw86_handle_gpa_fault(struct vmw86_vcpu *vcpu, u64 gpa, bool write)
{
	struct vmw86_vm *vm = vcpu->vm;
	struct vmw86_memslot *slot;
	unsigned long hva, seq;
	struct page *page;
	long npages;
	bool huge;
	int ret;

	down_read(&vm->slots_lock);
	slot = vmw86_find_slot(vm, gpa);
	if (!slot || (write && (slot->flags & VMW86_MEM_READONLY))) {
		ret = VMW86_FAULT_MMIO;
		goto out;
	}
	hva = slot->hva + ((gpa & PAGE_MASK) - slot->gpa);

	ret = vmw86_ops->topup_mmu_cache(vm);
	if (ret)
		goto out;
retry:
	seq = mmu_interval_read_begin(&slot->notifier);
	npages = get_user_pages_unlocked(hva, 1, &page,
					 write ? FOLL_WRITE : 0);
	if (npages != 1) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out;
		}
		vcpu->run->exit_reason = VMW86_EXIT_MEMORY_FAULT;
		vcpu->run->memory_fault.gpa = gpa;
		ret = -EFAULT;
		goto out;
	}

	huge = vmw86_can_map_huge(vm, slot, gpa, hva, page);

	spin_lock(&vm->mmu_lock);
	if (mmu_interval_read_retry(&slot->notifier, seq)) {
		spin_unlock(&vm->mmu_lock);
		put_page(page);
		goto retry;
	}
	ret = vmw86_ops->map_gpa(vm, gpa & PAGE_MASK, page_to_pfn(page), write,
				 huge);
	spin_unlock(&vm->mmu_lock);
	/*
	 * The notifier, not a page reference, keeps the mapping valid: the
	 * entry is dropped before the page can be freed.
	 */
	put_page(page);
	if (ret >= 0) {
		vcpu->stat.npf_map++;
		vcpu->stat.npf_map_huge += ret;
		huge = ret;
		ret = VMW86_FAULT_RETRY;
	}
out:
	up_read(&vm->slots_lock);
	trace_vmw86_npf(vcpu, gpa, write, ret, ret == VMW86_FAULT_RETRY && huge);
	return ret;
}

/* Copy between a kernel buffer and guest memory, through the slot HVAs. */
static int vmw86_access_guest(struct vmw86_vm *vm, u64 gpa, void *buf,
			      size_t len, bool write)
{
	int ret = 0;

	down_read(&vm->slots_lock);
	while (len) {
		struct vmw86_memslot *slot = vmw86_find_slot(vm, gpa);
		size_t chunk;
		void __user *uaddr;

		if (!slot || (write && (slot->flags & VMW86_MEM_READONLY))) {
			ret = -EFAULT;
			break;
		}
		chunk = min_t(u64, len, slot->size - (gpa - slot->gpa));
		uaddr = (void __user *)(slot->hva + (gpa - slot->gpa));
		if (write ? copy_to_user(uaddr, buf, chunk) :
			    copy_from_user(buf, uaddr, chunk)) {
			ret = -EFAULT;
			break;
		}
		gpa += chunk;
		buf += chunk;
		len -= chunk;
	}
	up_read(&vm->slots_lock);
	return ret;
}

/**
 * vmw86_read_guest() - read guest physical memory
 * @vm: the VM; the caller runs in @vm->mm.
 * @gpa: first GPA.
 * @buf: destination.
 * @len: length in bytes.
 *
 * Context: process; may sleep.
 * Return: 0, or -EFAULT if any byte is outside RAM slots or unmapped.
 */
int vmw86_read_guest(struct vmw86_vm *vm, u64 gpa, void *buf, size_t len)
{
	return vmw86_access_guest(vm, gpa, buf, len, false);
}

/**
 * vmw86_write_guest() - write guest physical memory
 * @vm: the VM; the caller runs in @vm->mm.
 * @gpa: first GPA.
 * @buf: source.
 * @len: length in bytes.
 *
 * Context: process; may sleep.
 * Return: 0, or -EFAULT if any byte is outside writable RAM slots.
 */
int vmw86_write_guest(struct vmw86_vm *vm, u64 gpa, const void *buf,
		      size_t len)
{
	return vmw86_access_guest(vm, gpa, (void *)buf, len, true);
}
