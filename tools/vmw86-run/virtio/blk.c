// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-blk (virtio 1.2, 5.2) over a raw image: a host file (or block
 * device) whose byte N is the disk's byte N. One request queue, served by
 * the device's own thread with preadv/pwritev straight between the file and
 * the guest's buffers, one request at a time, in order.
 *
 * What the guest is promised:
 * - a completed write is in the host's page cache: it survives the
 *   launcher being killed; a completed flush (VIRTIO_BLK_F_FLUSH) was
 *   fdatasync()ed: it survives the host crashing;
 * - with ",readonly" the file is opened read-only, VIRTIO_BLK_F_RO is
 *   offered and writes fail with VIRTIO_BLK_S_IOERR in the device, whatever
 *   the driver does;
 * - every request completes: one outside the capacity, of a length that is
 *   not whole sectors (5.2.6.1), or whose I/O failed on the host (EIO,
 *   ENOSPC, a file truncated under us) with VIRTIO_BLK_S_IOERR (the host's
 *   failure also with a line on stderr), one of an unknown type with
 *   VIRTIO_BLK_S_UNSUPP. Only a request with no room for its header or
 *   status, which cannot be answered, is a device error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "iov.h"
#include "virtio.h"

#define BLK_QUEUE		0
#define BLK_QUEUE_SIZE		256
#define BLK_SECTOR		512ULL
/* Buffers per request besides the header and the status byte. */
#define BLK_SEG_MAX		(VIRTQ_MAX_SEGS - 2)

struct virtio_blk {
	int fd;
	bool readonly;
	u64 sectors;
	char id[VIRTIO_BLK_ID_BYTES];	/* GET_ID: the file's name */
	struct virtio_blk_config config;
	struct virtq_elem elem;
	struct iovec data[VIRTQ_MAX_SEGS];
};

/*
 * All of @iov at file offset @off. Returns 0, or the host's -errno, or
 * -ENODATA for a file that ends early (truncated under us).
 */
static int blk_transfer(int fd, struct iovec *iov, unsigned int cnt, u64 off,
			bool write)
{
	ssize_t n;

	while (cnt) {
		if (!iov->iov_len) {
			iov++;
			cnt--;
			continue;
		}
		n = write ? pwritev(fd, iov, cnt, off) : preadv(fd, iov, cnt, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA;
		off += n;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (u8 *)iov->iov_base + n;
			iov->iov_len -= n;
		}
	}
	return 0;
}

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
	err = blk_transfer(blk->fd, data, cnt, sector * BLK_SECTOR, write);
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
		if (fdatasync(blk->fd)) {
			virtio__log(dev,
				    "flush failed on the host: %s; the guest gets an I/O error",
				    strerror(errno));
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
	struct stat st;
	off_t size;

	if (!blk)
		die(EXIT_VMERROR, "virtio-blk: out of memory");
	blk->readonly = opt->readonly;
	blk->fd = open(opt->path, (opt->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0)
		die(EXIT_BADINPUT, "--disk '%s': %s", opt->path, strerror(errno));
	if (fstat(blk->fd, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		die(EXIT_BADINPUT, "--disk '%s': not a regular file or block device",
		    opt->path);
	/*
	 * Two launchers writing one image corrupt it: a writable disk takes
	 * the file exclusively, a read-only one shares it with readers.
	 */
	if (flock(blk->fd, (opt->readonly ? LOCK_SH : LOCK_EX) | LOCK_NB))
		die(EXIT_BADINPUT, "--disk '%s': %s", opt->path,
		    errno == EWOULDBLOCK ? "locked by another --disk or process" :
		    strerror(errno));
	size = lseek(blk->fd, 0, SEEK_END);
	if (size < 0)
		die(EXIT_BADINPUT, "--disk '%s': %s", opt->path, strerror(errno));
	if (size % BLK_SECTOR)
		die(EXIT_BADINPUT, "--disk '%s': %lld bytes, not a whole number of 512-byte sectors",
		    opt->path, (long long)size);
	blk->sectors = size / BLK_SECTOR;
	base = base ? base + 1 : opt->path;
	memcpy(blk->id, base, strnlen(base, sizeof(blk->id)));
	blk_config_init(blk);
	dev = virtio__add(vm, opt->readonly ? &blk_ro_ops : &blk_ops, blk);
	virtio__worker_create(dev, blk_work);
	sandbox__allow(SYS_preadv);
	if (!opt->readonly)
		sandbox__allow(SYS_pwritev);
	sandbox__allow(SYS_fdatasync);
	pr_debug("%s: %s, %llu sectors%s", virtio__name(dev), opt->path,
		 (unsigned long long)blk->sectors, opt->readonly ? ", read-only" : "");
}
