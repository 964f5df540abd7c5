// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-net (virtio 1.2, 5.1) backed by a TAP interface of the host.
 *
 * The TAP is opened with IFF_VNET_HDR and its header size set to the one
 * a VERSION_1 device uses (struct virtio_net_hdr_v1, 12 bytes, 5.1.6), so
 * a packet crosses in both directions as the guest's own scatter-gather
 * list, header first: one readv() or writev() per packet, no copy in the
 * launcher.
 *
 * No offload is offered (no CSUM, GSO, MRG_RXBUF): the guest sends and
 * takes whole, checksummed frames of at most the MTU. So the header that
 * reaches the host is always all zeroes, whatever the guest wrote in it
 * (the host's network stack never parses a guest-made GSO header), and
 * the one the guest receives says "nothing to do" (5.1.6.4.1: without
 * GUEST_CSUM the device sets flags to zero).
 *
 * Queues (5.1.2): 0 receive, 1 transmit. A notification (vCPU thread,
 * platform lock held) only wakes the device's own thread, which does the
 * I/O. That thread polls the TAP only while the guest has given receive
 * buffers: with none, packets wait in the TAP's queue (and the host drops
 * them once it is full, as a real NIC would) until the guest adds some.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_net.h>

#include "iov.h"
#include "virtio.h"

#define NET_RXQ		0
#define NET_TXQ		1
#define NET_QUEUE_SIZE	256
/* Chains handled per queue before the other one gets its turn. */
#define NET_BATCH	64

struct net_dev {
	struct virtio_dev *vdev;
	char tap_name[IFNAMSIZ];
	int tap_fd;
	int wake_fd;		/* eventfd: notify and start */
	pthread_t thread;
	pthread_barrier_t started;

	/*
	 * Platform lock: whether the device runs (DRIVER_OK, no reset or
	 * error since; also read without the lock between batches), and
	 * whether the thread is using the queues. ->reset() waits on @idle
	 * until it is not, as virtio__worker_stop() does.
	 */
	int running;
	bool busy;
	pthread_cond_t idle;

	/* The thread's while busy; ->start()'s and ->reset()'s otherwise. */
	bool rx_wanted;		/* the receive queue may have buffers */
	bool rx_held;		/* @rx_elem is popped and not used yet */
	bool tap_broken;	/* reading it failed: only transmit now */
	bool broken;		/* virtio__error(): wait for the reset */
	struct virtq_elem rx_elem;
	struct virtq_elem tx_elem;
	u8 rx_tail[64 * 1024];	/* what a frame has beyond the guest's buffers */
	u64 rx_packets, rx_dropped, tx_packets, tx_errors;

	/* Set by ->notify(), taken by the thread. */
	int rx_kicked;

	struct virtio_net_config config;
};

static void net_wake(struct net_dev *net)
{
	u64 one = 1;

	/* A full counter already wakes the thread: nothing lost. */
	if (write(net->wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		pr_debug("virtio-net %s: waking the device thread: %s",
			 net->tap_name, strerror(errno));
}

/*
 * Transmit (5.1.6.2): each chain is a header and a frame, device-readable
 * only. The frame goes to the TAP behind a zeroed header: no offload was
 * offered, so nothing in the guest's header may ask the host for work.
 * Returns 1 if chains were used, 0 when the queue is empty, -1 if the
 * device is broken.
 */
static int net_tx(struct net_dev *net)
{
	struct virtio_net_hdr_v1 hdr = { 0 };
	struct virtq_elem *e = &net->tx_elem;
	struct iovec iov[VIRTQ_MAX_SEGS + 1];
	unsigned int i, n;
	int used = 0, r;
	ssize_t w;

	for (i = 0; i < NET_BATCH; i++) {
		r = virtq__pop(net->vdev, NET_TXQ, e);
		if (r < 0)
			return -1;
		if (r == 0) {
			if (virtq__enable_notify(net->vdev, NET_TXQ))
				continue;
			break;
		}
		if (e->in_num || e->out_len < sizeof(hdr)) {
			virtio__error(net->vdev, "transmit chain %u: %zu bytes to send (a header is %zu) and %u device-writable buffers (none allowed, 5.1.6.2)",
				      e->head, e->out_len, sizeof(hdr), e->in_num);
			return -1;
		}
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		n = iov__slice(e->iov, e->out_num, sizeof(hdr), SIZE_MAX, iov + 1);
		do {
			w = writev(net->tap_fd, iov, n + 1);
		} while (w < 0 && errno == EINTR);
		/*
		 * A frame the host refuses (the TAP is down, a runt, a full
		 * queue) is lost as on a wire; the guest's buffer comes back
		 * all the same.
		 */
		if (w < 0) {
			if (!net->tx_errors++)
				pr_info("virtio-net %s: a %zu-byte frame was not sent: %s (further ones only counted)",
					net->tap_name, e->out_len - sizeof(hdr),
					strerror(errno));
		} else {
			net->tx_packets++;
		}
		virtq__push(net->vdev, NET_TXQ, e, 0);
		used = 1;
	}
	return used;
}

/*
 * Receive (5.1.6.3, 5.1.6.4): one frame per chain (no MRG_RXBUF), the
 * header in the chain's first 12 bytes, device-writable only. The TAP's
 * header lands in @hdr here, the frame right behind where the guest's
 * header goes. A frame larger than the chain is dropped and counted, not
 * handed on cut short: the TAP copies what fits and says only that much
 * (tun_chr_read_iter() returns at most the buffers' size), so a tail of
 * our own after the guest's buffers tells, by filling, that it was more.
 * Returns as net_tx() does; sets net->rx_wanted to false when the guest
 * has no buffer left.
 */
static int net_rx(struct net_dev *net)
{
	struct virtio_net_hdr_v1 hdr;
	struct virtq_elem *e = &net->rx_elem;
	struct iovec iov[VIRTQ_MAX_SEGS + 2];
	unsigned int i, n;
	int used = 0, r;
	ssize_t got;

	for (i = 0; i < NET_BATCH; i++) {
		if (!net->rx_held) {
			r = virtq__pop(net->vdev, NET_RXQ, e);
			if (r < 0)
				return -1;
			if (r == 0) {
				if (virtq__enable_notify(net->vdev, NET_RXQ))
					continue;
				net->rx_wanted = false;
				break;
			}
			if (e->out_num || e->in_len < sizeof(hdr)) {
				virtio__error(net->vdev, "receive chain %u: %zu device-writable bytes (a header is %zu) and %u device-readable buffers (none allowed, 5.1.6.3)",
					      e->head, e->in_len, sizeof(hdr),
					      e->out_num);
				return -1;
			}
			net->rx_held = true;
		}
		iov[0].iov_base = &hdr;
		iov[0].iov_len = sizeof(hdr);
		n = iov__slice(e->iov, e->in_num, sizeof(hdr), SIZE_MAX, iov + 1);
		iov[n + 1].iov_base = net->rx_tail;
		iov[n + 1].iov_len = sizeof(net->rx_tail);
		do {
			got = readv(net->tap_fd, iov, n + 2);
		} while (got < 0 && errno == EINTR);
		if (got < 0) {
			/* EAGAIN: no frame; the chain waits for the next. */
			if (errno != EAGAIN) {
				pr_info("virtio-net %s: reading the TAP: %s; nothing is received any more",
					net->tap_name, strerror(errno));
				net->tap_broken = true;
			}
			break;
		}
		net->rx_held = false;
		used = 1;
		if ((size_t)got > e->in_len || hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE) {
			/* Nothing useful in the chain: 0 bytes written. */
			if (!net->rx_dropped++)
				pr_info("virtio-net %s: a %zd-byte frame dropped: the guest's buffer holds %zu (further ones only counted)",
					net->tap_name, got - (ssize_t)sizeof(hdr),
					e->in_len - sizeof(hdr));
			virtq__push(net->vdev, NET_RXQ, e, 0);
			continue;
		}
		/* One buffer per frame; no checksum or GSO work to do. */
		memset(&hdr, 0, sizeof(hdr));
		hdr.num_buffers = htole16(1);
		iov__from_buf(e->iov, e->in_num, 0, &hdr, sizeof(hdr));
		virtq__push(net->vdev, NET_RXQ, e, got);
		net->rx_packets++;
	}
	return used;
}

static bool net_running(struct net_dev *net)
{
	return __atomic_load_n(&net->running, __ATOMIC_ACQUIRE);
}

/*
 * Moves frames until both queues are drained or would block, and
 * interrupts the guest once per batch. False when the device broke.
 */
static void net_work(struct net_dev *net)
{
	int tx, rx;

	do {
		if (__atomic_exchange_n(&net->rx_kicked, 0, __ATOMIC_ACQ_REL))
			net->rx_wanted = true;
		/* No notification needed while the thread drains it. */
		virtq__disable_notify(net->vdev, NET_TXQ);
		tx = net_tx(net);
		rx = 0;
		if (tx >= 0 && net->rx_wanted && !net->tap_broken)
			rx = net_rx(net);
		/* Not even the TAP is polled then: it would wake us in vain. */
		if (tx < 0 || rx < 0)
			net->broken = true;
		if (tx > 0)
			virtq__notify(net->vdev, NET_TXQ);
		if (rx > 0)
			virtq__notify(net->vdev, NET_RXQ);
		/* A full batch may have left more behind. */
	} while (tx >= 0 && rx >= 0 && (tx > 0 || rx > 0) && net_running(net));
}

/*
 * The device thread: sleeps until the guest notifies, the device starts
 * or (while the guest has receive buffers) the TAP has a frame.
 */
static void *net_thread(void *arg)
{
	struct net_dev *net = arg;
	struct pollfd pfd[2];
	bool want_rx;
	u64 count;

	pthread_barrier_wait(&net->started);
	for (;;) {
		platform__lock();
		want_rx = net->running && net->rx_wanted && !net->tap_broken &&
			  !net->broken;
		platform__unlock();
		pfd[0] = (struct pollfd){ .fd = net->wake_fd, .events = POLLIN };
		/* A negative fd is not polled, not even for POLLERR. */
		pfd[1] = (struct pollfd){ .fd = want_rx ? net->tap_fd : -1,
					  .events = POLLIN };
		if (poll(pfd, 2, -1) < 0)
			continue;
		/* Drained before the queues are looked at: no wake is lost. */
		if (pfd[0].revents && read(net->wake_fd, &count, sizeof(count)) < 0)
			count = 0;

		platform__lock();
		if (!net->running) {
			platform__unlock();
			continue;
		}
		net->busy = true;
		platform__unlock();
		net_work(net);
		platform__lock();
		net->busy = false;
		pthread_cond_broadcast(&net->idle);
		platform__unlock();
	}
	return NULL;
}

static void *net_config(struct virtio_dev *vdev)
{
	struct net_dev *net = virtio__opaque(vdev);

	return &net->config;
}

static void net_notify(struct virtio_dev *vdev, unsigned int q)
{
	struct net_dev *net = virtio__opaque(vdev);

	if (q == NET_RXQ)
		__atomic_store_n(&net->rx_kicked, 1, __ATOMIC_RELEASE);
	net_wake(net);
}

/* Platform lock held; the thread is idle (not running, so not busy). */
static void net_start(struct virtio_dev *vdev, u64 features)
{
	struct net_dev *net = virtio__opaque(vdev);

	(void)features;
	net->rx_wanted = true;
	net->rx_held = false;
	net->broken = false;
	__atomic_store_n(&net->running, 1, __ATOMIC_RELEASE);
	net_wake(net);
}

/* Platform lock held. Once this returns the thread leaves the queues be. */
static void net_reset(struct virtio_dev *vdev)
{
	struct net_dev *net = virtio__opaque(vdev);

	__atomic_store_n(&net->running, 0, __ATOMIC_RELEASE);
	while (net->busy)
		platform__cond_wait(&net->idle);
	net->rx_held = false;	/* the driver forgets its buffers too */
	pr_debug("virtio-net %s: reset; %llu frames received, %llu dropped, %llu sent, %llu not sent",
		 net->tap_name, (unsigned long long)net->rx_packets,
		 (unsigned long long)net->rx_dropped,
		 (unsigned long long)net->tx_packets,
		 (unsigned long long)net->tx_errors);
}

static const struct virtio_dev_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.features = 1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_STATUS,
	.num_queues = 2,
	.queue_max = NET_QUEUE_SIZE,
	/* Up to the status field: the features offered use no more. */
	.config_size = offsetof(struct virtio_net_config, max_virtqueue_pairs),
	.config = net_config,
	.notify = net_notify,
	.start = net_start,
	.reset = net_reset,
};

/*
 * The TAP interface @name, made if absent (and then gone again when the
 * launcher exits), with the virtio header on every frame and no offload.
 * Needs CAP_NET_ADMIN, or a persistent TAP owned by this user.
 */
static int net_open_tap(const char *name)
{
	struct ifreq ifr = { 0 };
	int hdr_size = sizeof(struct virtio_net_hdr_v1);
	int fd;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		die(EXIT_BADINPUT, "--net tap=%s: /dev/net/tun: %s%s", name,
		    strerror(errno),
		    errno == ENOENT ? " (is the tun module loaded?)" : "");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die(EXIT_BADINPUT, "--net tap=%s: TUNSETIFF: %s%s", name,
		    strerror(errno),
		    errno == EPERM ? " (needs CAP_NET_ADMIN, or a TAP of this user)" :
		    errno == EINVAL ? " (an interface of that name that is not a TAP?)" :
		    errno == EBUSY ? " (in use by another program?)" : "");
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_size) < 0)
		die(EXIT_BADINPUT, "--net tap=%s: TUNSETVNETHDRSZ %d: %s", name,
		    hdr_size, strerror(errno));
	/* A persistent TAP may have kept offloads from an earlier user. */
	if (ioctl(fd, TUNSETOFFLOAD, 0UL) < 0)
		die(EXIT_BADINPUT, "--net tap=%s: TUNSETOFFLOAD: %s", name,
		    strerror(errno));
	return fd;
}

/*
 * Without mac=: 02:86 and four bytes of a hash (FNV-1a) of the TAP's name.
 * 0x02 in the first byte is a locally administered unicast address (IEEE
 * 802, the U/L and I/G bits); the name makes it the same on every run and
 * different for each TAP of the host.
 */
static void net_default_mac(const char *tap, u8 mac[6])
{
	u32 hash = 2166136261u;

	for (; *tap; tap++)
		hash = (hash ^ (u8)*tap) * 16777619u;
	mac[0] = 0x02;
	mac[1] = 0x86;
	mac[2] = hash >> 24;
	mac[3] = hash >> 16;
	mac[4] = hash >> 8;
	mac[5] = hash;
}

/*
 * virtio_net__create() - a virtio-net device on the TAP @opt->tap
 *
 * Called before the VM is made, so that a TAP that cannot be had is bad
 * input like a missing file. Its thread starts here, before the sandbox
 * (which allows no new thread), and waits until the driver sets
 * DRIVER_OK. Everything it calls (poll, read, readv, writev, futex) is in
 * the sandbox's allow-list already.
 */
void virtio_net__create(struct vm *vm, const struct net_options *opt)
{
	struct net_dev *net;
	sigset_t all, old;
	int err;

	net = calloc(1, sizeof(*net));
	if (!net)
		die(EXIT_VMERROR, "virtio-net: out of memory");
	snprintf(net->tap_name, sizeof(net->tap_name), "%s", opt->tap);
	net->tap_fd = net_open_tap(opt->tap);
	net->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (net->wake_fd < 0)
		die(EXIT_VMERROR, "virtio-net: eventfd: %s", strerror(errno));
	pthread_cond_init(&net->idle, NULL);

	if (opt->mac_set)
		memcpy(net->config.mac, opt->mac, sizeof(net->config.mac));
	else
		net_default_mac(opt->tap, net->config.mac);
	/* No carrier to follow on a TAP: the link is up while we run. */
	net->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	net->vdev = virtio__add(vm, &net_ops, net);

	/*
	 * The thread takes no signal: kicks are for vCPU threads, and a
	 * synchronous one (SIGSYS from the sandbox) is delivered anyway.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	pthread_barrier_init(&net->started, NULL, 2);
	err = pthread_create(&net->thread, NULL, net_thread, net);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		die(EXIT_VMERROR, "virtio-net: pthread_create: %s", strerror(err));
	/* Its start-up system calls are behind it before the sandbox. */
	pthread_barrier_wait(&net->started);
	pr_debug("virtio-net on TAP %s, MAC %02x:%02x:%02x:%02x:%02x:%02x",
		 net->tap_name, net->config.mac[0], net->config.mac[1],
		 net->config.mac[2], net->config.mac[3], net->config.mac[4],
		 net->config.mac[5]);
}
