// SPDX-License-Identifier: GPL-2.0
/*
 * Scatter-gather list helpers shared by virtio-blk and virtio-net (iov.h).
 * The lists are the guest's buffers, already checked to lie in guest RAM
 * (virtq__pop()); these only walk them, never past @n entries.
 */
#include <stdbool.h>
#include <string.h>

#include "iov.h"

unsigned int iov__slice(const struct iovec *src, unsigned int n, size_t skip,
			size_t len, struct iovec *dst)
{
	unsigned int i, out = 0;
	size_t take;

	for (i = 0; i < n && len; i++) {
		if (skip >= src[i].iov_len) {
			skip -= src[i].iov_len;
			continue;
		}
		take = src[i].iov_len - skip;
		if (take > len)
			take = len;
		dst[out].iov_base = (char *)src[i].iov_base + skip;
		dst[out].iov_len = take;
		out++;
		len -= take;
		skip = 0;
	}
	return out;
}

/* The one walk of both copies: @to_iov says which way the bytes go. */
static size_t iov_copy(const struct iovec *iov, unsigned int n, size_t skip,
		       char *buf, size_t len, bool to_iov)
{
	size_t done = 0, take;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		take = iov[i].iov_len - skip;
		if (take > len - done)
			take = len - done;
		if (to_iov)
			memcpy((char *)iov[i].iov_base + skip, buf + done, take);
		else
			memcpy(buf + done, (char *)iov[i].iov_base + skip, take);
		done += take;
		skip = 0;
	}
	return done;
}

size_t iov__to_buf(const struct iovec *iov, unsigned int n, size_t skip,
		   void *buf, size_t len)
{
	return iov_copy(iov, n, skip, buf, len, false);
}

size_t iov__from_buf(const struct iovec *iov, unsigned int n, size_t skip,
		     const void *buf, size_t len)
{
	return iov_copy(iov, n, skip, (char *)buf, len, true);
}
