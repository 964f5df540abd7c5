// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 VM: the VM fd, its lifetime, the TLB shootdown that follows a
 * change to the guest's physical memory, and the VM's one TSC.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/rcupdate.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "vmw86.h"
#include "lapic.h"

static void vmw86_vm_destroy(struct kref *kref)
{
	struct vmw86_vm *vm = container_of(kref, struct vmw86_vm, refcount);
	unsigned int i;

	/* No vCPU can run now: every vCPU fd held a reference. */
	vmw86_memslots_destroy(vm);
	for (i = 0; i < VMW86_MAX_VCPUS; i++)
		if (vm->vcpus[i])
			vmw86_vcpu_destroy(vm->vcpus[i]);
	vmw86_ops->vm_destroy(vm);
	mmdrop(vm->mm);
	kfree(vm);
	vmw86_hardware_put();
}

/**
 * vmw86_vm_put() - drop a reference to a VM; the last one destroys it
 * @vm: the VM.
 *
 * Context: process; may sleep.
 */
void vmw86_vm_put(struct vmw86_vm *vm)
{
	kref_put(&vm->refcount, vmw86_vm_destroy);
}

static void vmw86_exit_ipi(void *unused)
{
	/* The IPI itself did the work: it forced a #VMEXIT. */
}

/*
 * Interrupt each vCPU that is in guest mode now and wait until it has left
 * it: on return, every vCPU enters the guest again before it runs guest
 * code, and so reads whatever the caller published before the call (with
 * a full barrier between that store and this call). Context: may be
 * called with a spinlock held but not with interrupts off.
 */
static void vmw86_vm_exit_guests(struct vmw86_vm *vm)
{
	unsigned int i;

	rcu_read_lock();	/* see vmw86_vcpu_create()'s failure path */
	for (i = 0; i < VMW86_MAX_VCPUS; i++) {
		struct vmw86_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (vcpu && READ_ONCE(vcpu->mode) == VCPU_IN_GUEST_MODE) {
			atomic64_inc(&vm->stat.exit_ipis);
			smp_call_function_single(READ_ONCE(vcpu->cpu),
						 vmw86_exit_ipi, NULL, 1);
		}
	}
	rcu_read_unlock();
}

/**
 * vmw86_vm_flush_tlbs() - make every vCPU drop stale guest translations
 * @vm: the VM whose nested page table lost entries.
 *
 * Bumps @vm->tlb_gen, which every vCPU checks with interrupts off before
 * VMRUN, and interrupts each vCPU that is in guest mode now, waiting until
 * it has left it. On return no vCPU uses a translation removed before the
 * call. Context: may be called with a spinlock held (the MMU notifier
 * path) but not with interrupts off.
 */
void vmw86_vm_flush_tlbs(struct vmw86_vm *vm)
{
	atomic64_inc(&vm->stat.tlb_shootdowns);
	atomic64_inc(&vm->tlb_gen);
	/* Pairs with the barrier between setting ->mode and reading tlb_gen. */
	smp_mb__after_atomic();
	vmw86_vm_exit_guests(vm);
}

/**
 * vmw86_vm_read_tsc() - the VM's TSC now
 * @vm: the VM.
 *
 * What RDTSC returns in any of its vCPUs: the host's TSC plus the VM's one
 * offset (VMCB field TSC_OFFSET, AMD APM vol. 2, appendix B).
 * Return: the guest TSC.
 */
u64 vmw86_vm_read_tsc(struct vmw86_vm *vm)
{
	return rdtsc() + READ_ONCE(vm->tsc_offset);
}

/**
 * vmw86_vm_write_tsc() - set the VM's TSC (a WRMSR of IA32_TSC)
 * @vm: the VM.
 * @tsc: the value the TSC has now, in every vCPU.
 *
 * A VM has one TSC, not one per vCPU: a write on any vCPU (by the guest or
 * by VMW86_SET_MSRS) moves all of them, so that no vCPU ever reads a TSC
 * behind what another has read (design.rst says why). vCPUs in guest mode
 * are made to leave it before the call returns, and enter again with the
 * new offset.
 *
 * Context: process, interrupts on.
 */
void vmw86_vm_write_tsc(struct vmw86_vm *vm, u64 tsc)
{
	atomic64_inc(&vm->stat.tsc_writes);
	WRITE_ONCE(vm->tsc_offset, tsc - rdtsc());
	/* Pairs with the barrier between setting ->mode and reading the offset. */
	smp_mb();
	vmw86_vm_exit_guests(vm);
}

/* VMW86_CREATE_LAPIC: only before the first vCPU, so every vCPU has one. */
static int vmw86_vm_create_lapic(struct vmw86_vm *vm)
{
	int ret = 0;

	mutex_lock(&vm->lock);
	if (vm->has_lapic)
		ret = -EEXIST;
	else if (vm->nr_vcpus)
		ret = -EBUSY;
	else
		WRITE_ONCE(vm->has_lapic, true);
	mutex_unlock(&vm->lock);
	return ret;
}

static long vmw86_vm_ioctl(struct file *filp, unsigned int ioctl,
			   unsigned long arg)
{
	struct vmw86_vm *vm = filp->private_data;
	void __user *argp = (void __user *)arg;

	/* Guest memory belongs to the creator's address space, and only it. */
	if (current->mm != vm->mm)
		return -EIO;

	switch (ioctl) {
	case VMW86_SET_MEMORY_REGION: {
		struct vmw86_memory_region mr;

		if (copy_from_user(&mr, argp, sizeof(mr)))
			return -EFAULT;
		return vmw86_set_memory_region(vm, &mr);
	}
	case VMW86_CREATE_VCPU:
		return vmw86_vcpu_create(vm, arg);
	case VMW86_CREATE_LAPIC:
		return arg ? -EINVAL : vmw86_vm_create_lapic(vm);
	case VMW86_SIGNAL_MSI: {
		struct vmw86_msi msi;

		if (copy_from_user(&msi, argp, sizeof(msi)))
			return -EFAULT;
		return vmw86_lapic_signal_msi(vm, &msi);
	}
	case VMW86_GET_STATS_FD:
		return vmw86_vm_get_stats_fd(vm, arg);
	default:
		return -ENOTTY;
	}
}

static int vmw86_vm_release(struct inode *inode, struct file *filp)
{
	vmw86_vm_put(filp->private_data);
	return 0;
}

static const struct file_operations vmw86_vm_fops = {
	.owner		= THIS_MODULE,
	.release	= vmw86_vm_release,
	.unlocked_ioctl	= vmw86_vm_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/**
 * vmw86_vm_create() - create a VM and return its fd
 *
 * Context: process (the VMW86_CREATE_VM ioctl).
 * Return: the new fd; -EBUSY when virtualization cannot be enabled,
 * -ENOMEM, or another negative errno.
 */
int vmw86_vm_create(void)
{
	struct vmw86_vm *vm;
	int ret, fd;

	ret = vmw86_hardware_get();
	if (ret)
		return ret;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		ret = -ENOMEM;
		goto err_hw;
	}
	kref_init(&vm->refcount);
	mutex_init(&vm->lock);
	init_rwsem(&vm->slots_lock);
	spin_lock_init(&vm->mmu_lock);
	vm->mm = current->mm;
	mmgrab(vm->mm);
	vm->tgid = task_tgid_nr(current);
	/* Counting from 0 at creation, as from RESET (Intel SDM vol. 3, table 9-1). */
	vm->tsc_offset = -rdtsc();

	ret = vmw86_ops->vm_init(vm);
	if (ret)
		goto err_free;

	fd = anon_inode_getfd("vmw86-vm", &vmw86_vm_fops, vm,
			      O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		/* The release path is not taken: destroy by hand. */
		vmw86_vm_put(vm);
		return fd;
	}
	return fd;

err_free:
	mmdrop(vm->mm);
	kfree(vm);
err_hw:
	vmw86_hardware_put();
	return ret;
}
