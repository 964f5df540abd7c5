// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 statistics: the read-only fd of VMW86_GET_STATS_FD, in the binary
 * format of the uapi header (the shape of KVM's binary stats).
 *
 * The counters themselves live in &struct vmw86_vcpu_stat and &struct
 * vmw86_vm_stat and are counted where things happen (run.c, vcpu.c,
 * memslot.c, vm.c, lapic.c); this file only describes and reads them.
 * The part of the fd before the values (header, id, descriptors) is made
 * once when the fd is; a read takes the values as they are at that moment,
 * without a lock, so that a monitor never slows down a running vCPU.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "vmw86.h"

/*
 * The names of &enum vmw86_exit_reason, for the exits_kernel_* and
 * exits_user_* statistics and the vmw86_exit tracepoint.
 */
const char * const vmw86_vexit_names[] = {
	[VMW86_VEXIT_NONE] = "none",
	[VMW86_VEXIT_MEMORY] = "memory",
	[VMW86_VEXIT_IO] = "io",
	[VMW86_VEXIT_MSR] = "msr",
	[VMW86_VEXIT_CPUID] = "cpuid",
	[VMW86_VEXIT_XSETBV] = "xsetbv",
	[VMW86_VEXIT_RDTSCP] = "rdtscp",
	[VMW86_VEXIT_HLT] = "hlt",
	[VMW86_VEXIT_IRQ_WINDOW] = "irq_window",
	[VMW86_VEXIT_HYPERCALL] = "hypercall",
	[VMW86_VEXIT_INVD] = "invd",
	[VMW86_VEXIT_UD] = "ud",
	[VMW86_VEXIT_RDPMC] = "rdpmc",
	[VMW86_VEXIT_MACHINE_CHECK] = "machine_check",
	[VMW86_VEXIT_SHUTDOWN] = "shutdown",
	[VMW86_VEXIT_DEBUG] = "debug",
	[VMW86_VEXIT_BREAKPOINT] = "breakpoint",
	[VMW86_VEXIT_DR] = "dr",
	[VMW86_VEXIT_FAIL_ENTRY] = "fail_entry",
	[VMW86_VEXIT_UNKNOWN] = "unknown",
};

/* A reason added after the last named one would have no name. */
static_assert(ARRAY_SIZE(vmw86_vexit_names) == VMW86_VEXIT_NR);

/* How a statistic's counter is kept. */
enum vmw86_stat_kind {
	STAT_U64,	/* a u64 with one writer at a time */
	STAT_ATOMIC,	/* an atomic64_t, written from any context */
	STAT_BY_REASON,	/* u64[VMW86_VEXIT_NR]: one statistic per reason */
};

/**
 * struct vmw86_stat_def - what a statistic is and where it is kept
 * @name: its name in the fd; for %STAT_BY_REASON the prefix of
 *	VMW86_VEXIT_NR names, each followed by "_" and a reason's name.
 * @flags: VMW86_STATS_TYPE_*, _UNIT_* and _BASE_*.
 * @exponent: the unit's power of the base.
 * @offset: byte offset of its counter in the stat structure.
 * @kind: &enum vmw86_stat_kind.
 */
struct vmw86_stat_def {
	const char *name;
	u32 flags;
	s16 exponent;
	u16 offset;
	u8 kind;
};

#define COUNTER		(VMW86_STATS_TYPE_CUMULATIVE | VMW86_STATS_UNIT_NONE | \
			 VMW86_STATS_BASE_POW10)
#define GAUGE		(VMW86_STATS_TYPE_INSTANT | VMW86_STATS_UNIT_NONE | \
			 VMW86_STATS_BASE_POW10)
#define TIME		(VMW86_STATS_TYPE_CUMULATIVE | \
			 VMW86_STATS_UNIT_SECONDS | VMW86_STATS_BASE_POW10)

#define STAT(type, field, _flags, _exp, _kind) {			\
	.name = #field,							\
	.flags = _flags,						\
	.exponent = _exp,						\
	.offset = offsetof(struct type, field),				\
	.kind = _kind,							\
}

#define VCPU_COUNTER(f)	STAT(vmw86_vcpu_stat, f, COUNTER, 0, STAT_U64)
#define VCPU_ATOMIC(f)	STAT(vmw86_vcpu_stat, f, COUNTER, 0, STAT_ATOMIC)
#define VCPU_NS(f)	STAT(vmw86_vcpu_stat, f, TIME, -9, STAT_U64)
#define VCPU_EXITS(f)	STAT(vmw86_vcpu_stat, f, COUNTER, 0, STAT_BY_REASON)

/* api.rst ("Statistics") says what each one counts. */
static const struct vmw86_stat_def vcpu_stats[] = {
	VCPU_COUNTER(runs),
	VCPU_COUNTER(exits),
	VCPU_COUNTER(entry_cancels),
	VCPU_EXITS(exits_kernel),
	VCPU_EXITS(exits_user),
	VCPU_COUNTER(io_exits),
	VCPU_COUNTER(io_backdoor),
	VCPU_COUNTER(mmio_exits),
	VCPU_COUNTER(lapic_mmio),
	VCPU_COUNTER(npf_map),
	VCPU_COUNTER(npf_map_huge),
	VCPU_COUNTER(tlb_flushes),
	VCPU_COUNTER(irq_injections),
	VCPU_COUNTER(nmi_injections),
	VCPU_COUNTER(exc_injections),
	VCPU_COUNTER(irq_window_exits),
	VCPU_COUNTER(signal_exits),
	VCPU_COUNTER(halt_sleeps),
	VCPU_COUNTER(halt_wakeups),
	VCPU_NS(halt_ns),
	VCPU_ATOMIC(kicks),
	VCPU_ATOMIC(kick_ipis),
};

#define VM_COUNTER(f)	STAT(vmw86_vm_stat, f, COUNTER, 0, STAT_U64)
#define VM_ATOMIC(f)	STAT(vmw86_vm_stat, f, COUNTER, 0, STAT_ATOMIC)
#define VM_GAUGE(f)	STAT(vmw86_vm_stat, f, GAUGE, 0, STAT_U64)

/* A VM's fd has these, then vcpu_stats[] summed over its vCPUs. */
static const struct vmw86_stat_def vm_stats[] = {
	VM_ATOMIC(tlb_shootdowns),
	VM_ATOMIC(exit_ipis),
	VM_ATOMIC(tsc_writes),
	VM_COUNTER(npt_invalidations),
	VM_COUNTER(memslot_changes),
	VM_GAUGE(memslots),
	VM_GAUGE(vcpus),
};

#define DESC_SIZE	(sizeof(struct vmw86_stats_desc) + VMW86_STATS_NAME_SIZE)

/**
 * struct vmw86_stats_file - one statistics fd
 * @vm: the VM, of which the fd holds a reference.
 * @vcpu: the vCPU, or NULL for the VM's fd.
 * @nr: number of statistics.
 * @data_offset: where the values start; @head holds everything before.
 * @size: the fd's size in bytes.
 * @head: header, id and descriptors, as read().
 */
struct vmw86_stats_file {
	struct vmw86_vm *vm;
	struct vmw86_vcpu *vcpu;
	unsigned int nr;
	size_t data_offset;
	size_t size;
	u8 head[];
};

/* How many statistics @defs describe. */
static unsigned int stats_count(const struct vmw86_stat_def *defs,
				unsigned int n)
{
	unsigned int i, nr = 0;

	for (i = 0; i < n; i++)
		nr += defs[i].kind == STAT_BY_REASON ? VMW86_VEXIT_NR : 1;
	return nr;
}

/*
 * The values of @defs' statistics in @base, added to @val (as many as
 * stats_count() says). Read while their writers run: an aligned 64-bit
 * load cannot tear on x86-64, and READ_ONCE() makes it one load.
 */
static void stats_add(const void *base, const struct vmw86_stat_def *defs,
		      unsigned int n, u64 *val)
{
	unsigned int i, r;

	for (i = 0; i < n; i++) {
		const void *p = base + defs[i].offset;

		switch (defs[i].kind) {
		case STAT_ATOMIC:
			*val++ += atomic64_read(p);
			break;
		case STAT_BY_REASON:
			for (r = 0; r < VMW86_VEXIT_NR; r++)
				*val++ += READ_ONCE(((const u64 *)p)[r]);
			break;
		default:
			*val++ += READ_ONCE(*(const u64 *)p);
		}
	}
}

/* All values of @sf as they are now, into @val (@sf->nr of them). */
static void stats_snapshot(const struct vmw86_stats_file *sf, u64 *val)
{
	struct vmw86_vm *vm = sf->vm;
	unsigned int i;

	memset(val, 0, sf->nr * sizeof(*val));
	if (sf->vcpu) {
		stats_add(&sf->vcpu->stat, vcpu_stats, ARRAY_SIZE(vcpu_stats),
			  val);
		return;
	}
	stats_add(&vm->stat, vm_stats, ARRAY_SIZE(vm_stats), val);
	val += stats_count(vm_stats, ARRAY_SIZE(vm_stats));
	/*
	 * vCPUs live as long as their VM, which the fd holds, except one whose
	 * fd could not be made: vmw86_vcpu_create() frees it after an RCU
	 * grace period, so the walk is an RCU read side, as the kicks' are.
	 */
	rcu_read_lock();
	for (i = 0; i < VMW86_MAX_VCPUS; i++) {
		struct vmw86_vcpu *vcpu = READ_ONCE(vm->vcpus[i]);

		if (vcpu)
			stats_add(&vcpu->stat, vcpu_stats,
				  ARRAY_SIZE(vcpu_stats), val);
	}
	rcu_read_unlock();
}

static ssize_t vmw86_stats_read(struct file *file, char __user *buf,
				size_t len, loff_t *ppos)
{
	const struct vmw86_stats_file *sf = file->private_data;
	loff_t pos = *ppos;
	size_t done = 0, n;
	u64 *val;

	if (pos < 0)
		return -EINVAL;
	if (pos >= sf->size || !len)
		return 0;
	len = min_t(size_t, len, sf->size - pos);

	if (pos < sf->data_offset) {
		n = min_t(size_t, len, sf->data_offset - pos);
		if (copy_to_user(buf, sf->head + pos, n))
			return -EFAULT;
		done = n;
	}
	if (done < len) {
		val = kmalloc_array(sf->nr, sizeof(*val), GFP_KERNEL);
		if (!val)
			return -ENOMEM;
		stats_snapshot(sf, val);
		n = len - done;
		if (copy_to_user(buf + done,
				 (u8 *)val + (pos + done - sf->data_offset), n)) {
			kfree(val);
			return -EFAULT;
		}
		kfree(val);
		done += n;
	}
	*ppos = pos + done;
	return done;
}

static loff_t vmw86_stats_llseek(struct file *file, loff_t offset, int whence)
{
	const struct vmw86_stats_file *sf = file->private_data;

	return fixed_size_llseek(file, offset, whence, sf->size);
}

static int vmw86_stats_release(struct inode *inode, struct file *file)
{
	struct vmw86_stats_file *sf = file->private_data;

	vmw86_vm_put(sf->vm);
	kfree(sf);
	return 0;
}

/* No write, mmap or ioctl: the fd is read-only, and opened O_RDONLY. */
static const struct file_operations vmw86_stats_fops = {
	.owner		= THIS_MODULE,
	.read		= vmw86_stats_read,
	.llseek		= vmw86_stats_llseek,
	.release	= vmw86_stats_release,
};

/*
 * Write the descriptors of @defs at @desc, their values from number @first
 * on; return where the next descriptor goes.
 */
static u8 *stats_describe(u8 *desc, const struct vmw86_stat_def *defs,
			  unsigned int n, unsigned int first)
{
	unsigned int i, r, nr;

	for (i = 0; i < n; i++) {
		nr = defs[i].kind == STAT_BY_REASON ? VMW86_VEXIT_NR : 1;
		for (r = 0; r < nr; r++, first++, desc += DESC_SIZE) {
			struct vmw86_stats_desc *d = (void *)desc;

			d->flags = defs[i].flags;
			d->exponent = defs[i].exponent;
			d->size = 1;
			d->offset = first * sizeof(u64);
			d->bucket_size = 0;
			if (defs[i].kind == STAT_BY_REASON)
				snprintf(d->name, VMW86_STATS_NAME_SIZE, "%s_%s",
					 defs[i].name, vmw86_vexit_names[r]);
			else
				strscpy(d->name, defs[i].name,
					VMW86_STATS_NAME_SIZE);
		}
	}
	return desc;
}

static int vmw86_stats_fd(struct vmw86_vm *vm, struct vmw86_vcpu *vcpu,
			  unsigned long flags)
{
	struct vmw86_stats_header *hdr;
	struct vmw86_stats_file *sf;
	unsigned int nr;
	u8 *desc;
	struct file *file;
	size_t head;
	int fd;

	if (flags)
		return -EINVAL;

	nr = stats_count(vcpu_stats, ARRAY_SIZE(vcpu_stats));
	if (!vcpu)
		nr += stats_count(vm_stats, ARRAY_SIZE(vm_stats));
	head = sizeof(*hdr) + VMW86_STATS_NAME_SIZE + nr * DESC_SIZE;
	sf = kzalloc(struct_size(sf, head, head), GFP_KERNEL_ACCOUNT);
	if (!sf)
		return -ENOMEM;
	sf->vm = vm;
	sf->vcpu = vcpu;
	sf->nr = nr;
	sf->data_offset = head;
	sf->size = head + nr * sizeof(u64);

	hdr = (struct vmw86_stats_header *)sf->head;
	hdr->flags = 0;
	hdr->name_size = VMW86_STATS_NAME_SIZE;
	hdr->num_desc = nr;
	hdr->id_offset = sizeof(*hdr);
	hdr->desc_offset = hdr->id_offset + VMW86_STATS_NAME_SIZE;
	hdr->data_offset = head;
	desc = sf->head + hdr->desc_offset;
	if (vcpu) {
		snprintf(sf->head + hdr->id_offset, VMW86_STATS_NAME_SIZE,
			 "vmw86-%d/vcpu-%u", vm->tgid, vcpu->id);
	} else {
		snprintf(sf->head + hdr->id_offset, VMW86_STATS_NAME_SIZE,
			 "vmw86-%d", vm->tgid);
		desc = stats_describe(desc, vm_stats, ARRAY_SIZE(vm_stats), 0);
	}
	/* A VM's own statistics come first, then the vCPUs' (summed). */
	stats_describe(desc, vcpu_stats, ARRAY_SIZE(vcpu_stats),
		       vcpu ? 0 : stats_count(vm_stats, ARRAY_SIZE(vm_stats)));

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		kfree(sf);
		return fd;
	}
	file = anon_inode_getfile("vmw86-stats", &vmw86_stats_fops, sf,
				  O_RDONLY);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kfree(sf);
		return PTR_ERR(file);
	}
	/* The caller's fd keeps the VM alive until we hold our own. */
	kref_get(&vm->refcount);
	/* pread() at any offset, as the format is meant to be read. */
	file->f_mode |= FMODE_PREAD;
	fd_install(fd, file);
	return fd;
}

/**
 * vmw86_vm_get_stats_fd() - VMW86_GET_STATS_FD on a VM fd
 * @vm: the VM (the caller holds its fd).
 * @flags: the ioctl's argument; must be 0.
 *
 * Context: process.
 * Return: a new read-only fd with the VM's statistics and its vCPUs'
 * sums; -EINVAL for non-zero @flags; -ENOMEM; -EMFILE.
 */
int vmw86_vm_get_stats_fd(struct vmw86_vm *vm, unsigned long flags)
{
	return vmw86_stats_fd(vm, NULL, flags);
}

/**
 * vmw86_vcpu_get_stats_fd() - VMW86_GET_STATS_FD on a vCPU fd
 * @vcpu: the vCPU (the caller holds its fd); vcpu->mutex is not needed,
 *	so that a running vCPU's statistics can be opened.
 * @flags: the ioctl's argument; must be 0.
 *
 * Context: process.
 * Return: a new read-only fd with the vCPU's statistics; -EINVAL for
 * non-zero @flags; -ENOMEM; -EMFILE.
 */
int vmw86_vcpu_get_stats_fd(struct vmw86_vcpu *vcpu, unsigned long flags)
{
	return vmw86_stats_fd(vcpu->vm, vcpu, flags);
}
