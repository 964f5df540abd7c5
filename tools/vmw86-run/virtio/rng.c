// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-rng (virtio 1.2, 5.4): one request queue whose device-writable
 * buffers the device fills with random bytes, here from the host's
 * getrandom(2) (the kernel's CSPRNG; it blocks only before the host's pool
 * is initialised, which a booted host is past). The bytes are written on
 * the device's own thread, straight into guest RAM.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <linux/virtio_ids.h>

#include "virtio.h"

#define RNG_QUEUE		0
#define RNG_QUEUE_SIZE		64

struct virtio_rng {
	struct virtq_elem elem;
};

/* Fills @len bytes at @p; false if the host cannot. */
static bool rng_fill(u8 *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

static void rng_work(struct virtio_dev *dev)
{
	struct virtio_rng *rng = virtio__opaque(dev);
	struct virtq_elem *elem = &rng->elem;
	unsigned int i;
	int got = 0;
	u32 written;

	while (virtio__worker_running(dev)) {
		virtq__disable_notify(dev, RNG_QUEUE);
		while (virtio__worker_running(dev) &&
		       (got = virtq__pop(dev, RNG_QUEUE, elem)) == 1) {
			written = 0;
			/* 5.4.6: only device-writable buffers carry entropy. */
			for (i = elem->out_num; i < elem->out_num + elem->in_num; i++) {
				if (!rng_fill(elem->iov[i].iov_base, elem->iov[i].iov_len)) {
					pr_info("%s: getrandom: %m; request returned short",
						virtio__name(dev));
					break;
				}
				written += elem->iov[i].iov_len;
			}
			virtq__push(dev, RNG_QUEUE, elem, written);
		}
		virtq__notify(dev, RNG_QUEUE);
		if (got < 0 || !virtq__enable_notify(dev, RNG_QUEUE))
			return;
	}
}

static void rng_notify(struct virtio_dev *dev, unsigned int q)
{
	(void)q;
	virtio__worker_kick(dev);
}

static void rng_start(struct virtio_dev *dev, u64 features)
{
	(void)features;
	virtio__worker_start(dev);
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.features = 0,
	.num_queues = 1,
	.queue_max = RNG_QUEUE_SIZE,
	.config_size = 0,
	.notify = rng_notify,
	.start = rng_start,
	.reset = virtio__worker_stop,
};

void virtio_rng__create(struct vm *vm)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	struct virtio_dev *dev;

	if (!rng)
		die(EXIT_VMERROR, "virtio-rng: out of memory");
	dev = virtio__add(vm, &rng_ops, rng);
	virtio__worker_create(dev, rng_work);
	sandbox__allow(SYS_getrandom);
}
