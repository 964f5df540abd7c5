// SPDX-License-Identifier: GPL-2.0
/*
 * A raw disk image: a host file (or block device) whose byte N is the
 * disk's byte N, read and written with preadv/pwritev straight between
 * the file and the guest's buffers, flushed with fdatasync.
 *
 * What that promises the guest: a completed write is in the host's page
 * cache, so it survives the launcher being killed; a completed flush
 * survives the host crashing. A read-only image is opened O_RDONLY, so
 * that not even a bug above could write it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "disk.h"

struct disk *disk__open(const char *path, bool readonly)
{
	struct disk *disk = calloc(1, sizeof(*disk));
	struct stat st;
	off_t size;

	if (!disk)
		die(EXIT_VMERROR, "--disk '%s': out of memory", path);
	disk->readonly = readonly;
	disk->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (disk->fd < 0)
		die(EXIT_BADINPUT, "--disk '%s': %s", path, strerror(errno));
	if (fstat(disk->fd, &st) || !(S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)))
		die(EXIT_BADINPUT, "--disk '%s': not a regular file or block device",
		    path);
	/*
	 * Two launchers writing one image corrupt it: a writable disk takes
	 * the file exclusively, a read-only one shares it with readers.
	 */
	if (flock(disk->fd, (readonly ? LOCK_SH : LOCK_EX) | LOCK_NB))
		die(EXIT_BADINPUT, "--disk '%s': %s", path,
		    errno == EWOULDBLOCK ? "locked by another --disk or process" :
		    strerror(errno));
	size = lseek(disk->fd, 0, SEEK_END);
	if (size < 0)
		die(EXIT_BADINPUT, "--disk '%s': %s", path, strerror(errno));
	if (size % DISK_SECTOR)
		die(EXIT_BADINPUT, "--disk '%s': %lld bytes, not a whole number of 512-byte sectors",
		    path, (long long)size);
	disk->sectors = size / DISK_SECTOR;
	sandbox__allow(SYS_preadv);
	if (!readonly)
		sandbox__allow(SYS_pwritev);
	sandbox__allow(SYS_fdatasync);
	return disk;
}

/* Until all of @iov is done: a short transfer goes on where it ended. */
static int raw_transfer(int fd, struct iovec *iov, unsigned int cnt, u64 off,
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

int disk__read(struct disk *disk, struct iovec *iov, unsigned int cnt,
	       u64 offset)
{
	return raw_transfer(disk->fd, iov, cnt, offset, false);
}

int disk__write(struct disk *disk, struct iovec *iov, unsigned int cnt,
		u64 offset)
{
	if (disk->readonly)
		return -EROFS;
	return raw_transfer(disk->fd, iov, cnt, offset, true);
}

int disk__flush(struct disk *disk)
{
	return fdatasync(disk->fd) ? -errno : 0;
}
