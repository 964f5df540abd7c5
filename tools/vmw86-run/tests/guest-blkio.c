// SPDX-License-Identifier: GPL-2.0
/*
 * blkio: block device reads that the guest's busybox cannot make, for
 * vmw86-run's disk benchmark. Runs in the guest (static).
 *
 *   blkio read DEV BLOCK_SIZE COUNT seq|rand
 *	COUNT reads of BLOCK_SIZE bytes with O_DIRECT (the device, not the
 *	guest's page cache), one at a time, in order or at random aligned
 *	offsets (a fixed seed). Prints
 *	"read: N bytes in S s: X MB/s, Y IOPS" (MB = 10^6 bytes).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static unsigned long long parse_number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "blkio: '%s': not a number\n", s);
		exit(2);
	}
	return v;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64: a fixed, portable sequence of offsets for both hypervisors. */
static uint64_t next_random(uint64_t *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 7;
	*state ^= *state << 17;
	return *state;
}

static int read_blocks(const char *dev, size_t block, unsigned long count,
		       int random)
{
	uint64_t state = 0x9e3779b97f4a7c15ull, blocks;
	double start, secs;
	unsigned long i;
	off_t size;
	void *buf;
	int fd;

	fd = open(dev, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		printf("read: %s: %s\n", dev, strerror(errno));
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	blocks = size > 0 ? (uint64_t)size / block : 0;
	if (!block || block % 512 || !blocks) {
		printf("read: block size %zu: not a multiple of 512 or device too small\n",
		       block);
		return 1;
	}
	/* O_DIRECT wants the buffer aligned to the logical block size. */
	if (posix_memalign(&buf, 4096, block)) {
		printf("read: out of memory\n");
		return 1;
	}
	start = now();
	for (i = 0; i < count; i++) {
		uint64_t b = random ? next_random(&state) % blocks : i % blocks;
		ssize_t got = pread(fd, buf, block, (off_t)(b * block));

		if (got != (ssize_t)block) {
			printf("read: block %llu: %s\n", (unsigned long long)b,
			       got < 0 ? strerror(errno) : "short read");
			return 1;
		}
	}
	secs = now() - start;
	printf("read: %llu bytes in %.3f s: %.1f MB/s, %.0f IOPS\n",
	       (unsigned long long)block * count, secs,
	       block * count / secs / 1e6, count / secs);
	close(fd);
	free(buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 6 && !strcmp(argv[1], "read") &&
	    (!strcmp(argv[5], "seq") || !strcmp(argv[5], "rand")))
		return read_blocks(argv[2], parse_number(argv[3]), parse_number(argv[4]),
				   !strcmp(argv[5], "rand"));
	fprintf(stderr, "usage: blkio read DEV BLOCK_SIZE COUNT seq|rand\n");
	return 2;
}
