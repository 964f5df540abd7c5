/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio devices of vmw86-run: the virtio-mmio transport (version 2, the
 * modern interface; virtio 1.2, 4.2) and split virtqueues (2.7), shared by
 * the block, network and entropy devices. Register layouts and ring
 * structures come from the kernel's uapi headers (linux/virtio_mmio.h,
 * linux/virtio_ring.h, linux/virtio_config.h), not from our own copies.
 *
 * Why virtio-mmio, described in the DSDT (one "LNRO0005" device per
 * virtio device, with its register window and interrupt), rather than
 * virtio-pci: Debian's kernel finds it by itself through ACPI, it needs no
 * BARs, memory window, interrupt routing or MSI-X table on the PCI bus
 * (hw/pci.c has only the host bridge: less code facing the guest), and a
 * notification is one MMIO write either way. What it costs: one interrupt per device, not per
 * queue. Design notes: Documentation/virt/vmw86/design.rst.
 *
 * Everything the guest wrote (ring addresses, indexes, descriptor
 * addresses, lengths, flags, chain links) is checked before use. A device
 * the guest drove into an impossible state is marked
 * VIRTIO_CONFIG_S_NEEDS_RESET, logs one line, and stops processing until
 * the guest resets it (2.1.2); the launcher never reads or writes outside
 * guest RAM for the guest and never dies for it.
 *
 * Threads: the transport's registers are accessed from vCPU threads with
 * the platform lock held (vmw86-run.h). A queue notification calls the
 * device's ->notify(), which must not block: devices do their I/O on a
 * thread of their own and use the virtqueue calls below from it.
 */
#ifndef VMW86_RUN_VIRTIO_H
#define VMW86_RUN_VIRTIO_H

#include <sys/uio.h>

#include "../vmw86-run.h"

#define VIRTIO_MMIO_SIZE	0x200	/* register window per device, bytes */
#define VIRTQ_MAX_SEGS		256	/* iovecs per popped chain */

struct virtio_dev;

/* One popped descriptor chain: its buffers, device-readable ones first. */
struct virtq_elem {
	u16 head;		/* descriptor index to give back in virtq__push() */
	unsigned int out_num;	/* iov[0 .. out_num): the device reads them */
	unsigned int in_num;	/* iov[out_num .. out_num + in_num): it writes */
	size_t out_len, in_len;	/* bytes in each group */
	struct iovec iov[VIRTQ_MAX_SEGS];	/* HVAs inside guest RAM */
};

/**
 * struct virtio_dev_ops - one kind of virtio device
 * @name:	for log lines ("virtio-blk")
 * @device_id:	VIRTIO_ID_* (linux/virtio_ids.h)
 * @features:	device feature bits offered; the transport adds
 *		VIRTIO_F_VERSION_1 and the ring features it implements
 * @num_queues:	how many virtqueues
 * @queue_max:	largest queue size the device accepts (a power of two)
 * @config_size: bytes of device-specific configuration space
 * @config:	returns that space (read and written in place; a write
 *		calls @config_write afterwards, when set)
 * @config_write: the guest changed @len bytes at @offset of the config
 * @notify:	the guest notified queue @q; vCPU thread, platform lock held,
 *		must not block
 * @start:	the driver set DRIVER_OK with @features negotiated
 * @reset:	the driver reset the device (or it is torn down): stop using
 *		the queues before returning
 */
struct virtio_dev_ops {
	const char *name;
	u32 device_id;
	u64 features;
	unsigned int num_queues;
	u16 queue_max;
	u32 config_size;
	void *(*config)(struct virtio_dev *dev);
	void (*config_write)(struct virtio_dev *dev, u32 offset, u32 len);
	void (*notify)(struct virtio_dev *dev, unsigned int q);
	void (*start)(struct virtio_dev *dev, u64 features);
	void (*reset)(struct virtio_dev *dev);
};

/*
 * virtio__add() - create a virtio-mmio device: the next free register
 * window and interrupt (a GSI of the IOAPIC, edge-triggered), listed in
 * the DSDT. Before the vCPUs start; dies on failure. @opaque is the
 * device's own state, virtio__opaque() returns it.
 */
struct virtio_dev *virtio__add(struct vm *vm, const struct virtio_dev_ops *ops,
			       void *opaque);
void *virtio__opaque(struct virtio_dev *dev);

/*
 * virtq__pop() - take the next available chain of queue @q into @elem.
 * Returns 1 with a chain, 0 when the queue is empty (or not ready), -1
 * when the guest's ring is invalid: the device is then marked
 * NEEDS_RESET and logged, and every later call returns -1 until reset.
 * Any thread; one consumer per queue at a time.
 */
int virtq__pop(struct virtio_dev *dev, unsigned int q, struct virtq_elem *elem);

/*
 * virtq__push() - give chain @elem back on the used ring of queue @q,
 * saying the device wrote @written bytes into its device-writable buffers.
 * Does not interrupt the guest: call virtq__notify() after a batch.
 */
void virtq__push(struct virtio_dev *dev, unsigned int q,
		 const struct virtq_elem *elem, u32 written);

/*
 * virtq__notify() - interrupt the guest for queue @q's used buffers,
 * unless it asked not to be (VIRTQ_AVAIL_F_NO_INTERRUPT or the used event
 * index of VIRTIO_RING_F_EVENT_IDX, 2.7.7/2.7.10). Any thread, with or
 * without the platform lock.
 */
void virtq__notify(struct virtio_dev *dev, unsigned int q);

/*
 * virtq__disable_notify() - ask the guest not to notify for queue @q while
 * a device thread drains it (VRING_USED_F_NO_NOTIFY, or with
 * VIRTIO_RING_F_EVENT_IDX an avail event left behind, 2.7.7/2.7.10); undo
 * with virtq__enable_notify(). Only a hint: notifications may still come.
 */
void virtq__disable_notify(struct virtio_dev *dev, unsigned int q);

/*
 * virtq__enable_notify() - ask the guest to notify again for queue @q
 * (after a device thread drained it with notifications off); returns true
 * if more chains arrived meanwhile, which the caller must then pop.
 */
bool virtq__enable_notify(struct virtio_dev *dev, unsigned int q);

/*
 * virtio__error() - mark the device NEEDS_RESET and log why, once:
 * "vmw86-run: NAME at 0xBASE: WHY; device stopped until reset".
 * virtio__log() - log one line about the device: "vmw86-run: NAME at
 * 0xBASE: WHAT", for what the guest can cause (refused features, a host
 * I/O error). The lines of both, of all devices together, are
 * rate-limited, since a guest can cause them at will: 10 at once, then one
 * a second; a line after some were held back ends with
 * " (N device messages before this one not logged)".
 */
void virtio__error(struct virtio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void virtio__log(struct virtio_dev *dev, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "virtio-blk at 0xd0000000": the device in log lines. */
const char *virtio__name(const struct virtio_dev *dev);

/*
 * A device thread, optional: virtio__worker_create() (before the vCPUs
 * start, as the sandbox allows no new threads) makes one that calls
 * @work whenever virtio__worker_kick() was called (from ->notify) while
 * the device runs; @work drains the queues and returns, checking
 * virtio__worker_running() between requests. ->start calls
 * virtio__worker_start(), ->reset virtio__worker_stop(), which waits
 * (releasing the platform lock meanwhile) until @work has returned: after
 * it, the thread touches neither rings nor buffers.
 */
void virtio__worker_create(struct virtio_dev *dev,
			   void (*work)(struct virtio_dev *dev));
void virtio__worker_kick(struct virtio_dev *dev);
void virtio__worker_start(struct virtio_dev *dev);
void virtio__worker_stop(struct virtio_dev *dev);
bool virtio__worker_running(struct virtio_dev *dev);

/* Device constructors (virtio/blk.c, net.c, rng.c); they die on bad input. */
struct disk_options {
	const char *path;
	bool readonly;
};
void virtio_blk__create(struct vm *vm, const struct disk_options *opt);

struct net_options {
	const char *tap;	/* TAP interface name, created if absent */
	u8 mac[6];
	bool mac_set;		/* otherwise a locally administered one */
};
void virtio_net__create(struct vm *vm, const struct net_options *opt);

void virtio_rng__create(struct vm *vm);

#endif
