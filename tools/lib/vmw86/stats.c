// SPDX-License-Identifier: GPL-2.0
/*
 * Reading another process's vmw86 statistics (stats.h says how and why).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "stats.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open	434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd	438
#endif

#define DESC_SIZE	(sizeof(struct vmw86_stats_desc) + VMW86_STATS_NAME_SIZE)

static bool read_at(int fd, void *buf, size_t len, off_t off)
{
	return pread(fd, buf, len, off) == (ssize_t)len;
}

static void free_file(struct vmw86_stats_file *f)
{
	free(f->names);
	free(f->flags);
	free(f->offset);
	free(f->now);
	free(f->prev);
	f->names = NULL;
	f->flags = NULL;
	f->offset = NULL;
	f->now = f->prev = NULL;
}

/* Take in one statistics fd: header, id and descriptors. 0, or -errno. */
static int load(struct vmw86_stats_file *f, int fd)
{
	uint8_t *raw;

	memset(f, 0, sizeof(*f));
	f->fd = fd;
	if (!read_at(fd, &f->hdr, sizeof(f->hdr), 0) ||
	    f->hdr.name_size != VMW86_STATS_NAME_SIZE ||
	    !f->hdr.num_desc || f->hdr.num_desc > VMW86_STATS_MAX ||
	    !read_at(fd, f->id, sizeof(f->id), f->hdr.id_offset))
		return -EINVAL;
	f->id[sizeof(f->id) - 1] = 0;
	f->n = f->hdr.num_desc;
	raw = calloc(f->n, DESC_SIZE);
	f->names = calloc(f->n, sizeof(*f->names));
	f->flags = calloc(f->n, sizeof(*f->flags));
	f->offset = calloc(f->n, sizeof(*f->offset));
	f->now = calloc(f->n, sizeof(*f->now));
	f->prev = calloc(f->n, sizeof(*f->prev));
	if (!raw || !f->names || !f->flags || !f->offset || !f->now ||
	    !f->prev) {
		free(raw);
		free_file(f);
		return -ENOMEM;
	}
	if (!read_at(fd, raw, f->n * DESC_SIZE, f->hdr.desc_offset)) {
		free(raw);
		free_file(f);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < f->n; i++) {
		struct vmw86_stats_desc *d = (void *)(raw + i * DESC_SIZE);

		memcpy(f->names[i], d->name, VMW86_STATS_NAME_SIZE);
		f->names[i][VMW86_STATS_NAME_SIZE - 1] = 0;
		f->flags[i] = d->flags;
		f->offset[i] = d->offset;
	}
	free(raw);
	return 0;
}

int vmw86_stats_open(pid_t pid, struct vmw86_stats_file *files,
		     unsigned int max, char *err, size_t errlen)
{
	char path[64], link[128], fpath[320];
	unsigned int nr = 0;
	struct dirent *e;
	int pidfd, ret;
	DIR *dir;

	pidfd = syscall(SYS_pidfd_open, pid, 0);
	if (pidfd < 0) {
		snprintf(err, errlen, "pidfd_open(%d): %s", pid, strerror(errno));
		return -1;
	}
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(pidfd);
		return -1;
	}
	while ((e = readdir(dir)) && nr < max) {
		ssize_t len;
		int fd;

		snprintf(fpath, sizeof(fpath), "%s/%s", path, e->d_name);
		len = readlink(fpath, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = 0;
		if (strcmp(link, "anon_inode:vmw86-stats"))
			continue;
		fd = syscall(SYS_pidfd_getfd, pidfd, atoi(e->d_name), 0);
		if (fd < 0) {
			snprintf(err, errlen, "pidfd_getfd(%d, %s): %s", pid,
				 e->d_name, strerror(errno));
			goto fail;
		}
		ret = load(&files[nr], fd);
		if (ret == -ENOMEM) {
			close(fd);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (ret)
			close(fd);
		else
			nr++;
	}
	closedir(dir);
	close(pidfd);
	if (!nr) {
		snprintf(err, errlen, "process %d has no vmw86 statistics fd open",
			 pid);
		return -1;
	}
	return nr;

fail:
	closedir(dir);
	close(pidfd);
	vmw86_stats_close(files, nr);
	return -1;
}

void vmw86_stats_close(struct vmw86_stats_file *files, unsigned int nr)
{
	for (unsigned int i = 0; i < nr; i++) {
		close(files[i].fd);
		free_file(&files[i]);
	}
}

int vmw86_stats_sample(struct vmw86_stats_file *f)
{
	memcpy(f->prev, f->now, f->n * sizeof(*f->now));
	for (unsigned int j = 0; j < f->n; j++)
		if (!read_at(f->fd, &f->now[j], sizeof(f->now[j]),
			     f->hdr.data_offset + f->offset[j]))
			return -1;
	return 0;
}

int vmw86_stats_find(const struct vmw86_stats_file *f, const char *name)
{
	for (unsigned int i = 0; i < f->n; i++)
		if (!strcmp(f->names[i], name))
			return i;
	return -1;
}

bool vmw86_stats_is_vm(const struct vmw86_stats_file *f)
{
	return !strchr(f->id, '/');
}

bool vmw86_stats_cumulative(uint32_t flags)
{
	return (flags & VMW86_STATS_TYPE_MASK) == VMW86_STATS_TYPE_CUMULATIVE;
}
