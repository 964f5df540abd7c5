// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2), the front-end: one request queue, served
 * by the device's own thread one request at a time, in order, on a disk
 * back-end (disk/disk.h; disk/raw.c's promises on what a completed write
 * or flush means hold here) that moves the data straight between the host
 * file and the guest's buffers.
 *
 * What the guest is promised:
 * - with ",readonly" VIRTIO_BLK_F_RO is offered and writes fail with
 *   VIRTIO_BLK_S_IOERR in the device, whatever the driver does (and the
 *   back-end has the file read-only);
 * - every request completes: one outside the capacity, of a length that is
 *   not whole sectors (5.2.6.1), or whose I/O failed on the host (EIO,
 *   ENOSPC, a file truncated under us) with VIRTIO_BLK_S_IOERR (the host's
 *   failure also with a line on stderr), one of an unknown type with
 *   VIRTIO_BLK_S_UNSUPP. Only a request with no room for its header or
 *   status, which cannot be answered, is a device error.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "../disk/disk.h"
#include "iov.h"
#include "virtio.h"

#define BLK_QUEUE		0
#define BLK_QUEUE_SIZE		256
#define BLK_SECTOR		DISK_SECTOR
/* Buffers per request besides the header and the status byte. */
#define BLK_SEG_MAX		(VIRTQ_MAX_SEGS - 2)

struct virtio_blk {
	struct disk *disk;
	bool readonly;
	u64 sectors;
	char id[VIRTIO_BLK_ID_BYTES];	/* GET_ID: the file's name */
	struct virtio_blk_config config;
	struct virtq_elem elem;
	struct iovec data[VIRTQ_MAX_SEGS];
};

/*
 * A read or write of whole sectors inside the disk (5.2.6). A host I/O
 * error is the guest's I/O error, and one line here: only the host can
 * tell why (a full file system, a failing disk under the image).
 */
static u8 blk_rw(struct virtio_dev *dev, struct virtio_blk *blk, u64 sector,
		 struct iovec *data, unsigned int cnt, size_t len, bool write)
{
	int err;

	if (write && blk->readonly)
		return VIRTIO_BLK_S_IOERR;
	if (len % BLK_SECTOR || sector > blk->sectors ||
	    len / BLK_SECTOR > blk->sectors - sector)
		return VIRTIO_BLK_S_IOERR;
	if (write)
		err = disk__write(blk->disk, data, cnt, sector * BLK_SECTOR);
	else
		err = disk__read(blk->disk, data, cnt, sector * BLK_SECTOR);
	if (err) {
		virtio__log(dev,
			    "%s of %zu bytes at sector %llu failed on the host: %s; the guest gets an I/O error",
			    write ? "write" : "read", len,
			    (unsigned long long)sector, strerror(-err));
		return VIRTIO_BLK_S_IOERR;
	}
	return VIRTIO_BLK_S_OK;
}

/* One request: returns the bytes written into its device-writable part. */
static u32 blk_request(struct virtio_dev *dev, struct virtio_blk *blk,
		       struct virtq_elem *elem)
{
	const struct iovec *in = elem->iov + elem->out_num;
	struct virtio_blk_outhdr hdr;
	size_t data_len;
	unsigned int cnt;
	u32 written = 1;
	u8 status;
	int err;

	/* 5.2.6: a 16-byte header to read, a status byte to write, at least. */
	if (elem->out_len < sizeof(hdr) || elem->in_len < 1) {
		virtio__error(dev, "queue 0: request at descriptor %u without %s",
			      elem->head, elem->in_len ? "a header" : "a status byte");
		return 0;
	}
	iov__to_buf(elem->iov, elem->out_num, 0, &hdr, sizeof(hdr));
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		data_len = elem->in_len - 1;
		cnt = iov__slice(in, elem->in_num, 0, data_len, blk->data);
		status = blk_rw(dev, blk, hdr.sector, blk->data, cnt, data_len,
				false);
		if (status == VIRTIO_BLK_S_OK)
			written += data_len;
		break;
	case VIRTIO_BLK_T_OUT:
		data_len = elem->out_len - sizeof(hdr);
		cnt = iov__slice(elem->iov, elem->out_num, sizeof(hdr), data_len,
				 blk->data);
		status = blk_rw(dev, blk, hdr.sector, blk->data, cnt, data_len,
				true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		status = VIRTIO_BLK_S_OK;
		err = disk__flush(blk->disk);
		if (err) {
			virtio__log(dev,
				    "flush failed on the host: %s; the guest gets an I/O error",
				    strerror(-err));
			status = VIRTIO_BLK_S_IOERR;
		}
		break;
	case VIRTIO_BLK_T_GET_ID:
		/* Up to 20 bytes, NUL-padded, no NUL when it fills them. */
		data_len = elem->in_len - 1;
		if (data_len > VIRTIO_BLK_ID_BYTES)
			data_len = VIRTIO_BLK_ID_BYTES;
		iov__from_buf(in, elem->in_num, 0, blk->id, data_len);
		written += data_len;
		status = VIRTIO_BLK_S_OK;
		break;
	default:
		status = VIRTIO_BLK_S_UNSUPP;
		break;
	}
	/* The status is the last byte of the device-writable part. */
	iov__from_buf(in, elem->in_num, elem->in_len - 1, &status, 1);
	return written;
}

static void blk_work(struct virtio_dev *dev)
{
	struct virtio_blk *blk = virtio__opaque(dev);
	struct virtq_elem *elem = &blk->elem;
	u32 written;
	int got = 0;

	while (virtio__worker_running(dev)) {
		virtq__disable_notify(dev, BLK_QUEUE);
		while (virtio__worker_running(dev) &&
		       (got = virtq__pop(dev, BLK_QUEUE, elem)) == 1) {
			written = blk_request(dev, blk, elem);
			virtq__push(dev, BLK_QUEUE, elem, written);
			/* Completions as they happen: a flush can take long. */
			virtq__notify(dev, BLK_QUEUE);
		}
		if (got < 0 || !virtq__enable_notify(dev, BLK_QUEUE))
			return;
	}
}

static void *blk_config(struct virtio_dev *dev)
{
	struct virtio_blk *blk = virtio__opaque(dev);

	return &blk->config;
}

static void blk_config_init(struct virtio_blk *blk)
{
	memset(&blk->config, 0, sizeof(blk->config));
	blk->config.capacity = blk->sectors;
	blk->config.seg_max = BLK_SEG_MAX;
	blk->config.blk_size = BLK_SECTOR;
}

/*
 * Nothing in the config space is the driver's to change (no
 * VIRTIO_BLK_F_CONFIG_WCE): a write is undone.
 */
static void blk_config_write(struct virtio_dev *dev, u32 offset, u32 len)
{
	(void)offset;
	(void)len;
	blk_config_init(virtio__opaque(dev));
}

static void blk_notify(struct virtio_dev *dev, unsigned int q)
{
	(void)q;
	virtio__worker_kick(dev);
}

static void blk_start(struct virtio_dev *dev, u64 features)
{
	(void)features;
	virtio__worker_start(dev);
}

/* The two kinds of disk differ only in VIRTIO_BLK_F_RO (5.2.3). */
#define BLK_OPS(extra_features) {					\
	.name = "virtio-blk",						\
	.device_id = VIRTIO_ID_BLOCK,					\
	.features = 1ULL << VIRTIO_BLK_F_SEG_MAX |			\
		    1ULL << VIRTIO_BLK_F_BLK_SIZE |			\
		    1ULL << VIRTIO_BLK_F_FLUSH | (extra_features),	\
	.num_queues = 1,						\
	.queue_max = BLK_QUEUE_SIZE,					\
	.config_size = sizeof(struct virtio_blk_config),		\
	.config = blk_config,						\
	.config_write = blk_config_write,				\
	.notify = blk_notify,						\
	.start = blk_start,						\
	.reset = virtio__worker_stop,					\
}

static const struct virtio_dev_ops blk_ops = BLK_OPS(0);
static const struct virtio_dev_ops blk_ro_ops = BLK_OPS(1ULL << VIRTIO_BLK_F_RO);

void virtio_blk__create(struct vm *vm, const struct disk_options *opt)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	const char *base = strrchr(opt->path, '/');
	struct virtio_dev *dev;

	if (!blk)
		die(EXIT_VMERROR, "virtio-blk: out of memory");
	blk->disk = disk__open(opt->path, opt->readonly);
	blk->readonly = opt->readonly;
	blk->sectors = blk->disk->sectors;
	base = base ? base + 1 : opt->path;
	memcpy(blk->id, base, strnlen(base, sizeof(blk->id)));
	blk_config_init(blk);
	dev = virtio__add(vm, opt->readonly ? &blk_ro_ops : &blk_ops, blk);
	virtio__worker_create(dev, blk_work);
	pr_debug("%s: %s, %llu sectors%s", virtio__name(dev), opt->path,
		 (unsigned long long)blk->sectors, opt->readonly ? ", read-only" : "");
}
