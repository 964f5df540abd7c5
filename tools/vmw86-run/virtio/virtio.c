// SPDX-License-Identifier: GPL-2.0
/*
 * The virtio-mmio transport, version 2 (virtio 1.2, 4.2.2), and the split
 * virtqueues (2.7) of vmw86-run's virtio devices. virtio.h says why
 * virtio-mmio and what is checked; here is how.
 *
 * Register accesses arrive from mmio.c on vCPU threads with the platform
 * lock held; they read and write the transport state below. The rings are
 * read and written by a device's own thread (virtio__worker_*), with no
 * lock: a queue's addresses and size are fixed before DRIVER_OK and stay
 * so until a reset, and a reset waits for that thread to be idle before
 * it forgets them.
 *
 * Guest memory shared with the driver, which runs on other CPUs, is read
 * and written with the barriers of 2.7.13: an acquire load of avail->idx
 * before the ring entries it publishes, a release store of used->idx after
 * the used entries, and a full fence between publishing used->idx (or the
 * avail event) and reading the driver's suppression fields (2.7.10), the
 * pairing of the driver's virtio_mb().
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "virtio.h"

#define VIRTIO_MMIO_BASE	0xd0000000u	/* above LOW_RAM_END */
#define VIRTIO_MMIO_STRIDE	0x1000u		/* a page per device */
#define VIRTIO_FIRST_GSI	16		/* above the ISA IRQs */
#define VIRTIO_MAX_DEVICES	8		/* GSIs 16 to 23 (hw/ioapic.c) */
#define VIRTIO_MMIO_MAGIC	0x74726976	/* "virt" */
#define VIRTIO_MMIO_VENDOR	0x3638574d	/* "MW86" */
#define VIRTIO_MAX_QUEUES	8

/* The ring features this transport implements (2.7.5.3, 2.7.7, 2.7.10). */
#define VIRTIO_TRANSPORT_FEATURES \
	(1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_INDIRECT_DESC | \
	 1ULL << VIRTIO_RING_F_EVENT_IDX)

struct virtq {
	/* Set by the driver through the registers, before DRIVER_OK. */
	u16 num;
	bool ready;
	u64 desc_gpa, avail_gpa, used_gpa;
	/* Host addresses of the rings, checked when the queue was made ready. */
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	/* The device thread's (one consumer per queue). */
	u16 last_avail;		/* next avail ring slot to take */
	u16 used_idx;		/* our copy of used->idx */
	u16 signalled_used;	/* used->idx at the last interrupt */
	bool signalled_valid;	/* signalled_used means something */
	bool notify_off;	/* we asked the driver not to notify */
	pthread_mutex_t push_lock;	/* push and interrupt decisions */
};

struct virtio_worker {
	pthread_t thread;
	int kick_fd;		/* eventfd: the guest notified, or start */
	void (*work)(struct virtio_dev *dev);
	int running;		/* started, not reset; atomic */
	bool busy;		/* in work(); platform lock */
	pthread_cond_t idle;	/* busy went false */
	pthread_mutex_t start_lock;	/* thread start-up handshake */
	pthread_cond_t started_cond;
	bool started;
};

struct virtio_dev {
	struct vm *vm;
	const struct virtio_dev_ops *ops;
	void *opaque;
	u32 base;		/* GPA of the register window */
	unsigned int gsi;
	char name[48];		/* "virtio-blk at 0xd0000000", for log lines */
	/* Transport registers (4.2.2), platform lock. */
	u32 status;		/* atomic: the device thread sets NEEDS_RESET */
	u32 interrupt_status;	/* atomic */
	u32 device_features_sel, driver_features_sel, queue_sel;
	u64 offered, driver_features, features;	/* features: negotiated */
	u32 config_generation;
	int broken;		/* atomic: NEEDS_RESET, stop processing */
	struct virtq vqs[VIRTIO_MAX_QUEUES];
	struct virtio_worker *worker;
};

static unsigned int nr_devices;

static bool has_feature(const struct virtio_dev *dev, unsigned int bit)
{
	return dev->features & (1ULL << bit);
}

void *virtio__opaque(struct virtio_dev *dev)
{
	return dev->opaque;
}

/* Raises the device's interrupt with @why in InterruptStatus; any thread. */
static void virtio_interrupt(struct virtio_dev *dev, u32 why)
{
	bool held = platform__held();

	__atomic_fetch_or(&dev->interrupt_status, why, __ATOMIC_SEQ_CST);
	if (!held)
		platform__lock();
	ioapic__raise(dev->gsi);
	if (!held)
		platform__unlock();
}

/*
 * The guest can break a device again after every reset, ask for features
 * it was not offered, or make the host fail its I/O, as often as it likes,
 * and each time is worth a line: a token bucket keeps it from flooding the
 * launcher's stderr (and whatever file that is) all the same.
 * ERROR_LOG_BURST lines go out at once, then one per ERROR_LOG_PERIOD_NS,
 * for all devices together; the next line that goes out says how many were
 * held back meanwhile.
 */
#define ERROR_LOG_BURST		10
#define ERROR_LOG_PERIOD_NS	1000000000ULL

static pthread_mutex_t error_log_lock = PTHREAD_MUTEX_INITIALIZER;
static u64 error_log_credit_ns = ERROR_LOG_BURST * ERROR_LOG_PERIOD_NS;
static u64 error_log_last_ns;
static unsigned long error_log_held;

/* -1: hold this line back; else how many were held back before it. */
static long error_log_admit(void)
{
	u64 now = now_ns();
	long held = -1;

	pthread_mutex_lock(&error_log_lock);
	if (error_log_last_ns) {
		error_log_credit_ns += now - error_log_last_ns;
		if (error_log_credit_ns > ERROR_LOG_BURST * ERROR_LOG_PERIOD_NS)
			error_log_credit_ns = ERROR_LOG_BURST * ERROR_LOG_PERIOD_NS;
	}
	error_log_last_ns = now;
	if (error_log_credit_ns >= ERROR_LOG_PERIOD_NS) {
		error_log_credit_ns -= ERROR_LOG_PERIOD_NS;
		held = error_log_held;
		error_log_held = 0;
	} else {
		error_log_held++;
	}
	pthread_mutex_unlock(&error_log_lock);
	return held;
}

/*
 * "vmw86-run: NAME at 0xBASE: " @fmt @end through pr_info(), if the bucket
 * lets it out.
 */
static void virtio__vlog(struct virtio_dev *dev, const char *end,
			 const char *fmt, va_list ap)
{
	long held = error_log_admit();
	char what[512], note[96] = "";

	if (held < 0)
		return;
	vsnprintf(what, sizeof(what), fmt, ap);
	if (held)
		snprintf(note, sizeof(note),
			 " (%ld device messages before this one not logged)", held);
	pr_info("%s: %s%s%s", dev->name, what, end, note);
}

void virtio__log(struct virtio_dev *dev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	virtio__vlog(dev, "", fmt, ap);
	va_end(ap);
}

void virtio__error(struct virtio_dev *dev, const char *fmt, ...)
{
	va_list ap;

	if (__atomic_exchange_n(&dev->broken, 1, __ATOMIC_SEQ_CST))
		return;
	va_start(ap, fmt);
	virtio__vlog(dev, "; device stopped until reset", fmt, ap);
	va_end(ap);
	/*
	 * 2.1.2: the device sets DEVICE_NEEDS_RESET and, when DRIVER_OK is
	 * set, sends a configuration change notification.
	 */
	if (__atomic_fetch_or(&dev->status, VIRTIO_CONFIG_S_NEEDS_RESET,
			      __ATOMIC_SEQ_CST) & VIRTIO_CONFIG_S_DRIVER_OK)
		virtio_interrupt(dev, VIRTIO_MMIO_INT_CONFIG);
}

static bool virtq_usable(struct virtio_dev *dev, unsigned int q)
{
	return q < dev->ops->num_queues && dev->vqs[q].ready &&
	       !__atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE);
}

/*
 * QueueReady = 1: the three areas (2.7: descriptor table 16-byte aligned,
 * available ring 2, used ring 4, with the event fields of
 * VIRTIO_RING_F_EVENT_IDX counted in) must lie in guest RAM.
 */
static void virtq_enable(struct virtio_dev *dev, unsigned int q)
{
	struct virtq *vq = &dev->vqs[q];
	u64 num = vq->num;

	if (!num || num > dev->ops->queue_max || (num & (num - 1))) {
		virtio__error(dev, "queue %u: size %llu is not a power of two up to %u",
			      q, (unsigned long long)num, dev->ops->queue_max);
		return;
	}
	if (vq->desc_gpa % 16 || vq->avail_gpa % 2 || vq->used_gpa % 4) {
		virtio__error(dev, "queue %u: misaligned ring (descriptors 0x%llx, driver 0x%llx, device 0x%llx)",
			      q, (unsigned long long)vq->desc_gpa,
			      (unsigned long long)vq->avail_gpa,
			      (unsigned long long)vq->used_gpa);
		return;
	}
	vq->desc = vm__gpa_to_hva(dev->vm, vq->desc_gpa, 16 * num);
	vq->avail = vm__gpa_to_hva(dev->vm, vq->avail_gpa, 6 + 2 * num);
	vq->used = vm__gpa_to_hva(dev->vm, vq->used_gpa, 6 + 8 * num);
	if (!vq->desc || !vq->avail || !vq->used) {
		virtio__error(dev, "queue %u: ring outside guest RAM (descriptors 0x%llx, driver 0x%llx, device 0x%llx, size %llu)",
			      q, (unsigned long long)vq->desc_gpa,
			      (unsigned long long)vq->avail_gpa,
			      (unsigned long long)vq->used_gpa,
			      (unsigned long long)num);
		return;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->notify_off = false;
	vq->ready = true;
}

/* Device reset (2.4): back to the state the driver first found. */
static void virtio_reset(struct virtio_dev *dev)
{
	unsigned int q;

	if (dev->ops->reset)
		dev->ops->reset(dev);	/* its thread is idle afterwards */
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++) {
		struct virtq *vq = &dev->vqs[q];

		vq->num = 0;
		vq->ready = false;
		vq->desc_gpa = 0;
		vq->avail_gpa = 0;
		vq->used_gpa = 0;
		vq->desc = NULL;
		vq->avail = NULL;
		vq->used = NULL;
	}
	dev->device_features_sel = 0;
	dev->driver_features_sel = 0;
	dev->queue_sel = 0;
	dev->driver_features = 0;
	dev->features = 0;
	__atomic_store_n(&dev->interrupt_status, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->broken, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&dev->status, 0, __ATOMIC_SEQ_CST);
}

/* The driver's write to Status (2.1, 3.1.1). */
static void virtio_set_status(struct virtio_dev *dev, u32 val)
{
	u32 old = __atomic_load_n(&dev->status, __ATOMIC_ACQUIRE);
	u64 unoffered;

	if (val == 0) {
		virtio_reset(dev);
		return;
	}
	if (old & VIRTIO_CONFIG_S_NEEDS_RESET)
		val |= VIRTIO_CONFIG_S_NEEDS_RESET;
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) && !(old & VIRTIO_CONFIG_S_FEATURES_OK)) {
		/*
		 * 3.1.1: FEATURES_OK stays clear (the driver re-reads it)
		 * for features we did not offer, and for a legacy driver:
		 * this device has no legacy interface (VIRTIO_F_VERSION_1
		 * required, 6.1).
		 */
		unoffered = dev->driver_features & ~dev->offered;
		if (unoffered || !(dev->driver_features & (1ULL << VIRTIO_F_VERSION_1))) {
			virtio__log(dev, "driver features 0x%llx refused (%s)",
				    (unsigned long long)dev->driver_features,
				    unoffered ? "not offered" : "no VIRTIO_F_VERSION_1");
			val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
		} else {
			dev->features = dev->driver_features;
		}
	}
	if ((val & VIRTIO_CONFIG_S_DRIVER_OK) && !(old & VIRTIO_CONFIG_S_DRIVER_OK)) {
		__atomic_store_n(&dev->status, val, __ATOMIC_RELEASE);
		if (!(val & VIRTIO_CONFIG_S_FEATURES_OK)) {
			virtio__error(dev, "DRIVER_OK without FEATURES_OK");
			return;
		}
		if (dev->ops->start && !__atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE))
			dev->ops->start(dev, dev->features);
		return;
	}
	__atomic_store_n(&dev->status, val, __ATOMIC_RELEASE);
}

static u32 virtio_read_reg(struct virtio_dev *dev, u64 off)
{
	struct virtq *vq = dev->queue_sel < VIRTIO_MAX_QUEUES ?
			   &dev->vqs[dev->queue_sel] : NULL;
	bool queue_exists = vq && dev->queue_sel < dev->ops->num_queues;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return dev->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (dev->device_features_sel > 1)
			return 0;
		return dev->offered >> (32 * dev->device_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return queue_exists ? dev->ops->queue_max : 0;
	case VIRTIO_MMIO_QUEUE_READY:
		return queue_exists && vq->ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&dev->interrupt_status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return __atomic_load_n(&dev->status, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
		return queue_exists ? (u32)vq->desc_gpa : 0;
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return queue_exists ? vq->desc_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
		return queue_exists ? (u32)vq->avail_gpa : 0;
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		return queue_exists ? vq->avail_gpa >> 32 : 0;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		return queue_exists ? (u32)vq->used_gpa : 0;
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return queue_exists ? vq->used_gpa >> 32 : 0;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return ~0u;	/* no shared memory regions (4.2.2.1) */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return dev->config_generation;
	}
	return 0;
}

/* A queue register write: only while the queue is not ready (4.2.3.2). */
static void virtio_write_queue_reg(struct virtio_dev *dev, u64 off, u32 val)
{
	struct virtq *vq;
	u64 *gpa;

	if (dev->queue_sel >= dev->ops->num_queues)
		return;
	vq = &dev->vqs[dev->queue_sel];
	if (vq->ready) {
		/* Without VIRTIO_F_RING_RESET a live queue stays as it is. */
		pr_debug("%s: queue %u register 0x%llx written while ready: ignored",
			 dev->name, dev->queue_sel, (unsigned long long)off);
		return;
	}
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		/* Checked when the queue is made ready; 0xffff never passes. */
		vq->num = val > 0xffff ? 0xffff : val;
		return;
	case VIRTIO_MMIO_QUEUE_READY:
		if (val & 1)
			virtq_enable(dev, dev->queue_sel);
		return;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		gpa = &vq->desc_gpa;
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		gpa = &vq->avail_gpa;
		break;
	default:
		gpa = &vq->used_gpa;
		break;
	}
	if (off & 4)
		*gpa = (*gpa & 0xffffffffULL) | (u64)val << 32;
	else
		*gpa = (*gpa & ~0xffffffffULL) | val;
}

static void virtio_write_reg(struct virtio_dev *dev, u64 off, u32 val)
{
	u32 status = __atomic_load_n(&dev->status, __ATOMIC_ACQUIRE);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		dev->device_features_sel = val;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Only while negotiating (3.1.1 steps 4 to 5). */
		if (status & VIRTIO_CONFIG_S_FEATURES_OK || dev->driver_features_sel > 1)
			return;
		dev->driver_features &= ~(0xffffffffULL << (32 * dev->driver_features_sel));
		dev->driver_features |= (u64)val << (32 * dev->driver_features_sel);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		dev->driver_features_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		dev->queue_sel = val;
		return;
	case VIRTIO_MMIO_QUEUE_NUM:
	case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		virtio_write_queue_reg(dev, off, val);
		return;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		/* The value is the queue's index (no NOTIFICATION_DATA). */
		if ((status & VIRTIO_CONFIG_S_DRIVER_OK) && virtq_usable(dev, val) &&
		    dev->ops->notify)
			dev->ops->notify(dev, val);
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&dev->interrupt_status, ~val, __ATOMIC_SEQ_CST);
		return;
	case VIRTIO_MMIO_STATUS:
		virtio_set_status(dev, val & 0xff);
		return;
	}
	pr_debug("%s: write of 0x%x to register 0x%llx ignored", dev->name, val,
		 (unsigned long long)off);
}

/* Device-specific configuration space, any width (4.2.2.2). */
static void virtio_config_access(struct virtio_dev *dev, u64 off, u8 *data,
				 int size, bool is_write)
{
	u8 *config = dev->ops->config ? dev->ops->config(dev) : NULL;

	if (!config || off >= dev->ops->config_size ||
	    (u64)size > dev->ops->config_size - off) {
		if (!is_write)
			memset(data, 0, size);
		return;
	}
	if (!is_write) {
		memcpy(data, config + off, size);
		return;
	}
	memcpy(config + off, data, size);
	if (dev->ops->config_write)
		dev->ops->config_write(dev, off, size);
}

static void virtio_mmio_access(struct vm *vm, u64 off, u8 *data, int size,
			       bool is_write, void *opaque)
{
	struct virtio_dev *dev = opaque;
	u32 val;

	(void)vm;
	if (off >= VIRTIO_MMIO_CONFIG) {
		virtio_config_access(dev, off - VIRTIO_MMIO_CONFIG, data, size,
				     is_write);
		return;
	}
	/* The registers take aligned 32-bit accesses only (4.2.2.2). */
	if (size != 4 || off % 4) {
		pr_debug("%s: %d-byte access to register 0x%llx ignored",
			 dev->name, size, (unsigned long long)off);
		if (!is_write)
			memset(data, 0, size);
		return;
	}
	if (is_write) {
		val = data[0] | data[1] << 8 | data[2] << 16 | (u32)data[3] << 24;
		virtio_write_reg(dev, off, val);
	} else {
		val = virtio_read_reg(dev, off);
		data[0] = val;
		data[1] = val >> 8;
		data[2] = val >> 16;
		data[3] = val >> 24;
	}
}

struct virtio_dev *virtio__add(struct vm *vm, const struct virtio_dev_ops *ops,
			       void *opaque)
{
	struct virtio_dev *dev;
	unsigned int q;

	if (nr_devices == VIRTIO_MAX_DEVICES)
		die(EXIT_BADINPUT, "%s: at most %d virtio devices (one interrupt each)",
		    ops->name, VIRTIO_MAX_DEVICES);
	if (ops->num_queues > VIRTIO_MAX_QUEUES || !ops->queue_max ||
	    (ops->queue_max & (ops->queue_max - 1)) ||
	    ops->config_size > VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)
		die(EXIT_VMERROR, "%s: impossible device description", ops->name);
	dev = calloc(1, sizeof(*dev));
	if (!dev)
		die(EXIT_VMERROR, "%s: out of memory", ops->name);
	dev->vm = vm;
	dev->ops = ops;
	dev->opaque = opaque;
	dev->base = VIRTIO_MMIO_BASE + nr_devices * VIRTIO_MMIO_STRIDE;
	dev->gsi = VIRTIO_FIRST_GSI + nr_devices;
	dev->offered = ops->features | VIRTIO_TRANSPORT_FEATURES;
	for (q = 0; q < VIRTIO_MAX_QUEUES; q++)
		pthread_mutex_init(&dev->vqs[q].push_lock, NULL);
	snprintf(dev->name, sizeof(dev->name), "%s at 0x%x", ops->name, dev->base);
	nr_devices++;
	mmio__register(dev->base, VIRTIO_MMIO_SIZE, virtio_mmio_access, dev,
		       ops->name);
	acpi__add_mmio_device("LNRO0005", dev->base, VIRTIO_MMIO_SIZE, dev->gsi);
	pr_debug("%s: GSI %u", dev->name, dev->gsi);
	return dev;
}

const char *virtio__name(const struct virtio_dev *dev)
{
	return dev->name;
}

/*
 * Adds buffer [@addr, @addr + @len) of descriptor @idx to @elem, after the
 * checks of 2.7.4 and 2.7.5: in guest RAM, readable ones before writable
 * ones, no more than the element holds.
 */
static int virtq_add_buffer(struct virtio_dev *dev, unsigned int q,
			    struct virtq_elem *elem, const struct vring_desc *d,
			    const char *table, unsigned int idx)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	void *hva = vm__gpa_to_hva(dev->vm, d->addr, d->len);
	unsigned int n = elem->out_num + elem->in_num;

	if (!hva) {
		virtio__error(dev, "queue %u: %sdescriptor %u: buffer at 0x%llx, %u bytes, outside guest RAM",
			      q, table, idx, (unsigned long long)d->addr, d->len);
		return -1;
	}
	if (!writable && elem->in_num) {
		virtio__error(dev, "queue %u: %sdescriptor %u: device-readable after device-writable",
			      q, table, idx);
		return -1;
	}
	if (n == VIRTQ_MAX_SEGS) {
		virtio__error(dev, "queue %u: chain at descriptor %u has more than %d buffers",
			      q, elem->head, VIRTQ_MAX_SEGS);
		return -1;
	}
	elem->iov[n].iov_base = hva;
	elem->iov[n].iov_len = d->len;
	if (writable) {
		elem->in_num++;
		elem->in_len += d->len;
	} else {
		elem->out_num++;
		elem->out_len += d->len;
	}
	return 0;
}

/* An indirect table (2.7.5.3): its own chain, with no nested tables. */
static int virtq_walk_indirect(struct virtio_dev *dev, unsigned int q,
			       struct virtq_elem *elem, const struct vring_desc *d)
{
	unsigned int count = d->len / sizeof(struct vring_desc), idx = 0, seen;
	const struct vring_desc *table;
	struct vring_desc e;

	if (!has_feature(dev, VIRTIO_RING_F_INDIRECT_DESC)) {
		virtio__error(dev, "queue %u: indirect descriptor without VIRTIO_RING_F_INDIRECT_DESC",
			      q);
		return -1;
	}
	if (d->flags & VRING_DESC_F_NEXT) {
		virtio__error(dev, "queue %u: indirect descriptor with NEXT set", q);
		return -1;
	}
	if (!d->len || d->len % sizeof(struct vring_desc)) {
		virtio__error(dev, "queue %u: indirect table of %u bytes, not a multiple of 16",
			      q, d->len);
		return -1;
	}
	table = vm__gpa_to_hva(dev->vm, d->addr, d->len);
	if (!table) {
		virtio__error(dev, "queue %u: indirect table at 0x%llx, %u bytes, outside guest RAM",
			      q, (unsigned long long)d->addr, d->len);
		return -1;
	}
	for (seen = 0;; seen++) {
		if (seen == count) {
			virtio__error(dev, "queue %u: indirect table loops (more than %u entries)",
				      q, count);
			return -1;
		}
		memcpy(&e, &table[idx], sizeof(e));	/* read once */
		if (e.flags & VRING_DESC_F_INDIRECT) {
			virtio__error(dev, "queue %u: nested indirect table", q);
			return -1;
		}
		if (virtq_add_buffer(dev, q, elem, &e, "indirect ", idx))
			return -1;
		if (!(e.flags & VRING_DESC_F_NEXT))
			return 0;
		idx = e.next;
		if (idx >= count) {
			virtio__error(dev, "queue %u: indirect descriptor index %u beyond the table's %u",
				      q, idx, count);
			return -1;
		}
	}
}

int virtq__pop(struct virtio_dev *dev, unsigned int q, struct virtq_elem *elem)
{
	struct virtq *vq = &dev->vqs[q];
	unsigned int idx, seen;
	u16 avail_idx;
	struct vring_desc d;

	if (__atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE))
		return -1;
	if (!virtq_usable(dev, q))
		return 0;
	/* Acquire: the ring entry and descriptors it publishes come after. */
	avail_idx = __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail)
		return 0;
	if ((u16)(avail_idx - vq->last_avail) > vq->num) {
		virtio__error(dev, "queue %u: available index %u is more than %u ahead of %u",
			      q, avail_idx, vq->num, vq->last_avail);
		return -1;
	}
	idx = __atomic_load_n(&vq->avail->ring[vq->last_avail & (vq->num - 1)],
			      __ATOMIC_RELAXED);
	if (idx >= vq->num) {
		virtio__error(dev, "queue %u: head descriptor index %u beyond size %u",
			      q, idx, vq->num);
		return -1;
	}
	memset(elem, 0, offsetof(struct virtq_elem, iov));
	elem->head = idx;
	for (seen = 0;; seen++) {
		if (seen == vq->num) {
			virtio__error(dev, "queue %u: chain at descriptor %u loops (longer than size %u)",
				      q, elem->head, vq->num);
			return -1;
		}
		memcpy(&d, &vq->desc[idx], sizeof(d));	/* read once */
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (virtq_walk_indirect(dev, q, elem, &d))
				return -1;
			break;
		}
		if (virtq_add_buffer(dev, q, elem, &d, "", idx))
			return -1;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		idx = d.next;
		if (idx >= vq->num) {
			virtio__error(dev, "queue %u: descriptor index %u beyond size %u",
				      q, idx, vq->num);
			return -1;
		}
	}
	vq->last_avail++;
	return 1;
}

void virtq__push(struct virtio_dev *dev, unsigned int q,
		 const struct virtq_elem *elem, u32 written)
{
	struct virtq *vq = &dev->vqs[q];
	struct vring_used_elem *u;

	if (!virtq_usable(dev, q))
		return;
	pthread_mutex_lock(&vq->push_lock);
	u = &vq->used->ring[vq->used_idx & (vq->num - 1)];
	__atomic_store_n(&u->id, elem->head, __ATOMIC_RELAXED);
	__atomic_store_n(&u->len, written, __ATOMIC_RELAXED);
	vq->used_idx++;
	/* Release: the entry is visible before the index that covers it. */
	__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&vq->push_lock);
}

void virtq__notify(struct virtio_dev *dev, unsigned int q)
{
	struct virtq *vq = &dev->vqs[q];
	bool needed;
	u16 event;

	if (!virtq_usable(dev, q))
		return;
	pthread_mutex_lock(&vq->push_lock);
	/* 2.7.10: used->idx is published before the driver's fields are read. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (vq->signalled_valid && vq->signalled_used == vq->used_idx) {
		needed = false;		/* nothing new since the last one */
	} else if (has_feature(dev, VIRTIO_RING_F_EVENT_IDX)) {
		/* used_event sits after the available ring (2.7.10). */
		event = __atomic_load_n(&vq->avail->ring[vq->num], __ATOMIC_RELAXED);
		needed = !vq->signalled_valid ||
			 vring_need_event(event, vq->used_idx, vq->signalled_used);
	} else {
		needed = !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
			   VRING_AVAIL_F_NO_INTERRUPT);
	}
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	pthread_mutex_unlock(&vq->push_lock);
	if (needed)
		virtio_interrupt(dev, VIRTIO_MMIO_INT_VRING);
}

/* avail_event sits after the used ring (2.7.10). */
static u16 *virtq_avail_event(struct virtq *vq)
{
	return (u16 *)&vq->used->ring[vq->num];
}

void virtq__disable_notify(struct virtio_dev *dev, unsigned int q)
{
	struct virtq *vq = &dev->vqs[q];

	if (!virtq_usable(dev, q) || vq->notify_off)
		return;
	vq->notify_off = true;
	/*
	 * With VIRTIO_RING_F_EVENT_IDX, an avail_event left behind
	 * last_avail is enough: the driver notifies only when it passes it.
	 */
	if (!has_feature(dev, VIRTIO_RING_F_EVENT_IDX))
		__atomic_store_n(&vq->used->flags, VRING_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
}

bool virtq__enable_notify(struct virtio_dev *dev, unsigned int q)
{
	struct virtq *vq = &dev->vqs[q];

	if (!virtq_usable(dev, q))
		return false;
	vq->notify_off = false;
	if (has_feature(dev, VIRTIO_RING_F_EVENT_IDX))
		__atomic_store_n(virtq_avail_event(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(&vq->used->flags, 0, __ATOMIC_RELAXED);
	/* The driver's idx is read after it can see the flag (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE) != vq->last_avail;
}

/*
 * The device thread: sleeps on its eventfd until the guest notifies (or
 * the device starts), then calls work() while the device runs. Created
 * before the sandbox, which allows no clone(): the creator waits until
 * glibc's thread start-up (its own system calls) is over.
 */
static void *virtio_worker_main(void *arg)
{
	struct virtio_dev *dev = arg;
	struct virtio_worker *w = dev->worker;
	sigset_t all;
	u64 count;

	/* Signals are for the vCPU threads (kicks) and the main thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&w->start_lock);
	w->started = true;
	pthread_cond_signal(&w->started_cond);
	pthread_mutex_unlock(&w->start_lock);
	for (;;) {
		if (read(w->kick_fd, &count, sizeof(count)) < 0)
			continue;	/* EINTR */
		platform__lock();
		if (!__atomic_load_n(&w->running, __ATOMIC_ACQUIRE)) {
			platform__unlock();
			continue;
		}
		w->busy = true;
		platform__unlock();
		w->work(dev);
		platform__lock();
		w->busy = false;
		pthread_cond_broadcast(&w->idle);
		platform__unlock();
	}
	return NULL;
}

void virtio__worker_create(struct virtio_dev *dev,
			   void (*work)(struct virtio_dev *dev))
{
	struct virtio_worker *w = calloc(1, sizeof(*w));
	int err;

	if (!w)
		die(EXIT_VMERROR, "%s: out of memory", dev->name);
	w->work = work;
	w->kick_fd = eventfd(0, EFD_CLOEXEC);
	if (w->kick_fd < 0)
		die(EXIT_VMERROR, "%s: eventfd: %s", dev->name, strerror(errno));
	pthread_cond_init(&w->idle, NULL);
	pthread_mutex_init(&w->start_lock, NULL);
	pthread_cond_init(&w->started_cond, NULL);
	dev->worker = w;
	err = pthread_create(&w->thread, NULL, virtio_worker_main, dev);
	if (err)
		die(EXIT_VMERROR, "%s: pthread_create: %s", dev->name, strerror(err));
	pthread_mutex_lock(&w->start_lock);
	while (!w->started)
		pthread_cond_wait(&w->started_cond, &w->start_lock);
	pthread_mutex_unlock(&w->start_lock);
}

void virtio__worker_kick(struct virtio_dev *dev)
{
	u64 one = 1;

	/* Never blocks: an eventfd's counter does not overflow here. */
	while (write(dev->worker->kick_fd, &one, sizeof(one)) < 0 && errno == EINTR)
		;
}

void virtio__worker_start(struct virtio_dev *dev)
{
	__atomic_store_n(&dev->worker->running, 1, __ATOMIC_RELEASE);
	virtio__worker_kick(dev);	/* chains made available before DRIVER_OK */
}

void virtio__worker_stop(struct virtio_dev *dev)
{
	struct virtio_worker *w = dev->worker;

	__atomic_store_n(&w->running, 0, __ATOMIC_RELEASE);
	while (w->busy)
		platform__cond_wait(&w->idle);
}

bool virtio__worker_running(struct virtio_dev *dev)
{
	return __atomic_load_n(&dev->worker->running, __ATOMIC_ACQUIRE) &&
	       !__atomic_load_n(&dev->broken, __ATOMIC_ACQUIRE);
}
