/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Scatter-gather lists as the virtio devices see them: a popped chain's
 * buffers (struct virtq_elem's iov[]), which a device takes apart into a
 * header, a payload and a status, and hands on in parts to the host's
 * readv()/writev()/preadv()/pwritev(). Offsets and lengths count bytes of
 * the whole list, across its buffers.
 */
#ifndef VMW86_RUN_VIRTIO_IOV_H
#define VMW86_RUN_VIRTIO_IOV_H

#include <stddef.h>
#include <sys/uio.h>

/*
 * iov__slice() - bytes [@skip, @skip + @len) of @src[0 .. @n) as iovecs
 * in @dst, which has room for @n; returns how many it holds. Empty
 * buffers are left out. A @len past the end takes what there is
 * (SIZE_MAX: everything after @skip).
 */
unsigned int iov__slice(const struct iovec *src, unsigned int n, size_t skip,
			size_t len, struct iovec *dst);

/*
 * iov__to_buf(), iov__from_buf() - copy @len bytes between @buf and the
 * bytes of @iov[0 .. @n) from @skip on; as far as the list goes, no
 * further. Return the bytes copied.
 */
size_t iov__to_buf(const struct iovec *iov, unsigned int n, size_t skip,
		   void *buf, size_t len);
size_t iov__from_buf(const struct iovec *iov, unsigned int n, size_t skip,
		     const void *buf, size_t len);

#endif
