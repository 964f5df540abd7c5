/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Disk back-ends: what a virtio-blk device (virtio/blk.c, the front-end)
 * reads and writes its sectors with. The front-end parses requests and
 * checks them against the disk's size; the back-end does the host's file
 * I/O and nothing else. One back-end so far, disk/raw.c: a raw image,
 * whose byte N is the disk's byte N.
 *
 * Threads: disk__open() before the sandbox (it allows the system calls
 * the back-end makes), the rest from the device's thread.
 */
#ifndef VMW86_RUN_DISK_H
#define VMW86_RUN_DISK_H

#include <sys/uio.h>

#include "../vmw86-run.h"

#define DISK_SECTOR	512ULL

struct disk {
	int fd;
	bool readonly;
	u64 sectors;
};

/*
 * disk__open() - the image at @path, read-only or read-write; dies with
 * EXIT_BADINPUT and a line naming "--disk" and @path when it cannot be
 * had (missing, not a file or block device, locked, not whole sectors).
 */
struct disk *disk__open(const char *path, bool readonly);

/*
 * disk__read(), disk__write() - all of @iov[0 .. @cnt) at byte @offset.
 * @iov is used up on the way (the caller's copy). Return 0, the host's
 * -errno, or -ENODATA for a file that ends early (truncated under us).
 * Writing a read-only disk is -EROFS, whatever the caller checked.
 */
int disk__read(struct disk *disk, struct iovec *iov, unsigned int cnt,
	       u64 offset);
int disk__write(struct disk *disk, struct iovec *iov, unsigned int cnt,
		u64 offset);

/* disk__flush() - what was written, on stable storage: 0 or -errno. */
int disk__flush(struct disk *disk);

#endif
