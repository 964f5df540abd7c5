/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading another process's vmw86 statistics, for vmw86-stat and the
 * benchmark (bench/vmw86-bench.c): find the statistics fds a VMM keeps
 * open (VMW86_GET_STATS_FD; their /proc/PID/fd links read
 * "anon_inode:vmw86-stats"), copy them with pidfd_getfd(2), which needs
 * the right to ptrace the process, and read them in the binary format of
 * Documentation/virt/vmw86/api.rst ("Statistics"). A VM or vCPU fd would
 * not do: vmw86 answers another process's ioctls with EIO.
 */
#ifndef VMW86_STATS_H
#define VMW86_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vmw86.h>

/* More than any fd of vmw86's has: one per reason and counter. */
#define VMW86_STATS_MAX		512

/**
 * struct vmw86_stats_file - one statistics fd, copied from its process
 * @fd: the copy.
 * @id: "vmw86-PID" for a VM, "vmw86-PID/vcpu-N" for its vCPU N.
 * @hdr: the fd's header.
 * @n: number of statistics.
 * @names: @n names, NUL-terminated.
 * @flags: @n descriptors' flags (VMW86_STATS_TYPE_* and so on).
 * @offset: @n byte offsets of the values from @hdr.data_offset.
 * @now: @n values of the last vmw86_stats_sample().
 * @prev: @n values of the sample before it.
 */
struct vmw86_stats_file {
	int fd;
	char id[VMW86_STATS_NAME_SIZE];
	struct vmw86_stats_header hdr;
	unsigned int n;
	char (*names)[VMW86_STATS_NAME_SIZE];
	uint32_t *flags;
	uint32_t *offset;
	uint64_t *now, *prev;
};

/*
 * Copy @pid's statistics fds into @files (up to @max) and read their
 * layout. Return how many, or -1 with a message in @err (@errlen bytes):
 * no such process, no right to trace it, none open, or out of memory.
 */
int vmw86_stats_open(pid_t pid, struct vmw86_stats_file *files,
		     unsigned int max, char *err, size_t errlen);
/* Free what vmw86_stats_open() took for @nr files, and close them. */
void vmw86_stats_close(struct vmw86_stats_file *files, unsigned int nr);
/* @now becomes @prev and the values are read again. Return 0 or -1. */
int vmw86_stats_sample(struct vmw86_stats_file *f);
/* The index of statistic @name in @f, or -1. */
int vmw86_stats_find(const struct vmw86_stats_file *f, const char *name);
/* A VM's fd (its id has no "/vcpu-N"), as opposed to a vCPU's. */
bool vmw86_stats_is_vm(const struct vmw86_stats_file *f);
/* A count that only grows, so that a difference is a rate. */
bool vmw86_stats_cumulative(uint32_t flags);

#endif /* VMW86_STATS_H */
