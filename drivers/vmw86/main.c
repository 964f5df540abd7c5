// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86: the /dev/vmw86 misc device, the device fd's ioctls, and when
 * virtualization is switched on.
 *
 * Hardware virtualization is enabled on every online CPU only while at
 * least one VM exists, so that another hypervisor (Debian's kvm-amd, say)
 * can take its turn when vmw86 has no VMs. It is turned off again on the
 * last VM's destruction, on module unload, for a CPU going offline, and on
 * reboot or kexec. On an emergency reboot or crash the kernel itself turns
 * SVM off on every CPU (cpu_emergency_disable_virtualization() in
 * arch/x86/kernel/reboot.c calls cpu_emergency_svm_disable()).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/reboot.h>
#include <linux/slab.h>

#include "vmw86.h"

const struct vmw86_backend_ops *vmw86_ops;

/*
 * Protects the three below. Lock order: the CPU hotplug lock first (the
 * hotplug callbacks run under it), then vmw86_hw_lock.
 */
static DEFINE_MUTEX(vmw86_hw_lock);
static unsigned int vmw86_hw_users;	/* VMs alive */
static bool vmw86_hw_enabled;		/* virtualization on, all CPUs */
static bool vmw86_rebooting;		/* no more enabling after reboot */
static enum cpuhp_state vmw86_cpuhp_state;

static void vmw86_disable_this_cpu(void *unused)
{
	vmw86_ops->disable_cpu();
}

static void vmw86_enable_this_cpu(void *failed)
{
	if (vmw86_ops->enable_cpu())
		atomic_inc(failed);
}

/* Called with the CPU hotplug lock (read) and vmw86_hw_lock held. */
static void vmw86_hardware_disable_all(void)
{
	lockdep_assert_held(&vmw86_hw_lock);
	on_each_cpu(vmw86_disable_this_cpu, NULL, 1);
	vmw86_hw_enabled = false;
}

/**
 * vmw86_hardware_get() - take a reference on virtualization being enabled
 *
 * The first reference enables SVM on every online CPU. Called when a VM is
 * created. Context: process; takes the CPU hotplug lock and vmw86_hw_lock.
 *
 * Return: 0; -EBUSY when another hypervisor holds a CPU's virtualization
 * (e.g. EFER.SVME already set) or the system is rebooting.
 */
int vmw86_hardware_get(void)
{
	atomic_t failed = ATOMIC_INIT(0);
	int ret = 0;

	cpus_read_lock();
	mutex_lock(&vmw86_hw_lock);
	if (vmw86_rebooting) {
		ret = -EBUSY;
		goto out;
	}
	if (vmw86_hw_users == 0) {
		on_each_cpu(vmw86_enable_this_cpu, &failed, 1);
		vmw86_hw_enabled = true;
		if (atomic_read(&failed)) {
			/* Undo on the CPUs that did enable. */
			vmw86_hardware_disable_all();
			ret = -EBUSY;
			goto out;
		}
	}
	vmw86_hw_users++;
out:
	mutex_unlock(&vmw86_hw_lock);
	cpus_read_unlock();
	return ret;
}

/**
 * vmw86_hardware_put() - drop a reference taken by vmw86_hardware_get()
 *
 * The last one turns virtualization off on every CPU. Context: process.
 */
void vmw86_hardware_put(void)
{
	cpus_read_lock();
	mutex_lock(&vmw86_hw_lock);
	if (!WARN_ON(vmw86_hw_users == 0) && --vmw86_hw_users == 0 &&
	    vmw86_hw_enabled)
		vmw86_hardware_disable_all();
	mutex_unlock(&vmw86_hw_lock);
	cpus_read_unlock();
}

/* A CPU brought up while VMs exist must be able to run them too. */
static int vmw86_cpu_online(unsigned int cpu)
{
	int ret = 0;

	mutex_lock(&vmw86_hw_lock);
	if (vmw86_hw_enabled) {
		local_irq_disable();
		ret = vmw86_ops->enable_cpu();
		local_irq_enable();
	}
	mutex_unlock(&vmw86_hw_lock);
	return ret;
}

static int vmw86_cpu_offline(unsigned int cpu)
{
	mutex_lock(&vmw86_hw_lock);
	if (vmw86_hw_enabled) {
		local_irq_disable();
		vmw86_ops->disable_cpu();
		local_irq_enable();
	}
	mutex_unlock(&vmw86_hw_lock);
	return 0;
}

/*
 * Reboot and kexec: leave no CPU with SVM on for the next kernel or the
 * firmware. A vCPU about to enter the guest notices (the backend's per-CPU
 * "enabled" flag is checked with interrupts off) and fails with EIO.
 */
static int vmw86_reboot(struct notifier_block *nb, unsigned long code,
			void *unused)
{
	cpus_read_lock();
	mutex_lock(&vmw86_hw_lock);
	vmw86_rebooting = true;
	if (vmw86_hw_enabled)
		vmw86_hardware_disable_all();
	mutex_unlock(&vmw86_hw_lock);
	cpus_read_unlock();
	return NOTIFY_OK;
}

static struct notifier_block vmw86_reboot_notifier = {
	.notifier_call = vmw86_reboot,
};

static long vmw86_dev_ioctl(struct file *filp, unsigned int ioctl,
			    unsigned long arg)
{
	switch (ioctl) {
	case VMW86_GET_API_VERSION:
		return arg ? -EINVAL : VMW86_API_VERSION;
	case VMW86_CREATE_VM:
		return arg ? -EINVAL : vmw86_vm_create();
	case VMW86_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : VMW86_RUN_PAGES * PAGE_SIZE;
	case VMW86_GET_SUPPORTED_CPUID:
		return vmw86_get_supported_cpuid((void __user *)arg);
	case VMW86_CHECK_EXTENSION:
		switch (arg) {
		case VMW86_CAP_NR_MEMSLOTS:
			return VMW86_MAX_MEMSLOTS;
		case VMW86_CAP_MAX_VCPUS:
			return VMW86_MAX_VCPUS;
		case VMW86_CAP_READONLY_MEM:
		case VMW86_CAP_IMMEDIATE_EXIT:
		case VMW86_CAP_SYNC_REGS:
		case VMW86_CAP_LAPIC:
			return 1;
		case VMW86_CAP_GUEST_PHYS_BITS:
			return boot_cpu_data.x86_phys_bits;
		case VMW86_CAP_GUEST_DEBUG:
			return vmw86_guest_debug_supported();
		default:
			return 0;
		}
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vmw86_dev_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= vmw86_dev_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/*
 * The module loads on first use, as kvm does: a fixed minor lets depmod
 * write /dev/vmw86 into modules.devname (from the "devname:" alias below),
 * "kmod static-nodes" makes that node at boot before vmw86 is loaded, and
 * its first open makes misc_open() request "char-major-10-248", the alias
 * MODULE_ALIAS_MISCDEV() gives this module. If loading fails (no SVM, SVM
 * disabled by the firmware: svm_probe() logs one line saying which), that
 * open fails with ENODEV.
 *
 * Why 248: Documentation/admin-guide/devices.txt (Linux 6.1) reserves misc
 * minors 243-254 for local use, and include/linux/miscdevice.h assigns
 * none of them. A dynamic minor (MISC_DYNAMIC_MINOR) cannot be written in
 * modules.devname, and a minor below 243 belongs to another driver. 243 is
 * the one every recent proposal for a new fixed minor took, so vmw86 keeps
 * away from it.
 */
#define VMW86_MINOR	248

/*
 * Mode 0660: access is granted by group, as for /dev/kvm; the udev rule in
 * scripts/udev/ gives the device, and the static node made at boot, to
 * group "vmw86".
 */
static struct miscdevice vmw86_dev = {
	.minor	= VMW86_MINOR,
	.name	= "vmw86",
	.fops	= &vmw86_dev_fops,
	.mode	= 0660,
};

static int __init vmw86_init(void)
{
	int ret;

	vmw86_ops = &vmw86_svm_ops;
	ret = vmw86_ops->probe();
	if (ret)
		return ret;

	ret = vmw86_ops->hardware_setup();
	if (ret)
		return ret;

	ret = vmw86_cpuid_init();
	if (ret)
		goto err_unsetup;

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "vmw86:online",
					vmw86_cpu_online, vmw86_cpu_offline);
	if (ret < 0)
		goto err_cpuid;
	vmw86_cpuhp_state = ret;

	register_reboot_notifier(&vmw86_reboot_notifier);

	ret = misc_register(&vmw86_dev);
	if (ret)
		goto err_reboot;

	pr_info("ready (%s backend, %u-bit guest physical addresses)\n",
		vmw86_ops->name, boot_cpu_data.x86_phys_bits);
	return 0;

err_reboot:
	unregister_reboot_notifier(&vmw86_reboot_notifier);
	cpuhp_remove_state_nocalls(vmw86_cpuhp_state);
err_cpuid:
	vmw86_cpuid_exit();
err_unsetup:
	vmw86_ops->hardware_unsetup();
	return ret;
}

/*
 * Every VM holds a module reference through its fd, so no VM exists here
 * and virtualization is already off.
 */
static void __exit vmw86_exit(void)
{
	misc_deregister(&vmw86_dev);
	unregister_reboot_notifier(&vmw86_reboot_notifier);
	cpuhp_remove_state_nocalls(vmw86_cpuhp_state);
	vmw86_cpuid_exit();
	vmw86_ops->hardware_unsetup();
}

module_init(vmw86_init);
module_exit(vmw86_exit);

MODULE_DESCRIPTION("vmw86: a small x86 hypervisor (AMD SVM with nested paging)");
MODULE_LICENSE("GPL");
MODULE_VERSION(VMW86_VERSION);
MODULE_ALIAS_MISCDEV(VMW86_MINOR);
MODULE_ALIAS("devname:vmw86");
