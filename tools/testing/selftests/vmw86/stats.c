// SPDX-License-Identifier: GPL-2.0
/*
 * stats: the statistics fd (VMW86_GET_STATS_FD) and the tracepoints.
 *
 * The counters must count what happened, exactly: a guest that does N
 * port exits, N CPUIDs, N backdoor calls and N HLTs moves each counter by
 * N (plus the ucalls, which are port exits too), and every exit is in one
 * exits_kernel_* or exits_user_* counter. A halted vCPU with a local APIC
 * is watched through its fd while it sleeps (the fd is opened and read
 * while VMW86_RUN runs, which must not wait for it), woken by an NMI and
 * ended by a signal: sleeps, wake-ups, time asleep, NMIs, kicks and signal
 * exits follow. MADV_DONTNEED of a guest page is one shootdown and one TLB
 * flush at the next entry; transparent huge pages show up as 2 MiB maps.
 *
 * The fd's layout is checked as a reader of KVM's binary format would read
 * it: header sizes and offsets in range, names unique and terminated,
 * flags known, values readable by pread() at their offsets and by read()
 * from the start. The fd is read-only (EBADF for write(), ESPIPE for
 * pwrite()), has no mmap
 * (ENODEV) or ioctls (ENOTTY), and keeps its VM alive. Bad arguments of
 * VMW86_GET_STATS_FD get EINVAL, other processes EIO.
 *
 * With tracefs (mounted here if the test machine has not), the vmw86
 * events exist, and enabling vmw86_exit records one line per CPUID exit.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "vmw86_lib.h"
#include "apic.h"

#define N		25		/* events of each kind */
#define NOISY_PORT	0x80
#define BDOOR_PORT	0x5658
#define BDOOR_MAGIC	0x564d5868
#define BDOOR_GETVERSION 10
#define DESC_SIZE	(sizeof(struct vmw86_stats_desc) + VMW86_STATS_NAME_SIZE)
#define WAIT_MS		10000

/* ---------------------------------------------------------------------
 * Reading a statistics fd
 */

struct stats {
	int fd;
	struct vmw86_stats_header hdr;
	char id[VMW86_STATS_NAME_SIZE];
	struct vmw86_stats_desc *desc[512];	/* into @raw */
	uint8_t *raw;				/* the descriptors */
};

static void stats_read_exact(int fd, void *buf, size_t len, off_t off)
{
	ssize_t n = pread(fd, buf, len, off);

	TEST_ASSERT(n == (ssize_t)len, "pread %zu bytes at %ld: %zd (%s)",
		    len, (long)off, n, strerror(errno));
}

static int get_stats_fd(int fd)
{
	int sfd = ioctl(fd, VMW86_GET_STATS_FD, 0);

	TEST_ASSERT_IOCTL(sfd, "VMW86_GET_STATS_FD");
	return sfd;
}

static void stats_open(struct stats *s, int owner_fd)
{
	memset(s, 0, sizeof(*s));
	s->fd = get_stats_fd(owner_fd);
	stats_read_exact(s->fd, &s->hdr, sizeof(s->hdr), 0);
	TEST_ASSERT(s->hdr.num_desc <= ARRAY_SIZE(s->desc),
		    "%u descriptors", s->hdr.num_desc);
	stats_read_exact(s->fd, s->id, sizeof(s->id), s->hdr.id_offset);
	s->raw = calloc(s->hdr.num_desc, DESC_SIZE);
	TEST_ASSERT(s->raw, "out of memory");
	stats_read_exact(s->fd, s->raw, s->hdr.num_desc * DESC_SIZE,
			 s->hdr.desc_offset);
	for (unsigned int i = 0; i < s->hdr.num_desc; i++)
		s->desc[i] = (void *)(s->raw + i * DESC_SIZE);
}

static void stats_close(struct stats *s)
{
	close(s->fd);
	free(s->raw);
}

static const struct vmw86_stats_desc *stats_find(struct stats *s,
						 const char *name)
{
	for (unsigned int i = 0; i < s->hdr.num_desc; i++)
		if (!strcmp(s->desc[i]->name, name))
			return s->desc[i];
	return NULL;
}

static uint64_t stat_get(struct stats *s, const char *name)
{
	const struct vmw86_stats_desc *d = stats_find(s, name);
	uint64_t v;

	TEST_ASSERT(d, "no statistic %s in %s", name, s->id);
	stats_read_exact(s->fd, &v, sizeof(v), s->hdr.data_offset + d->offset);
	return v;
}

/* All values at once, by descriptor index (@s->hdr.num_desc of them). */
static void stats_values(struct stats *s, uint64_t *val)
{
	for (unsigned int i = 0; i < s->hdr.num_desc; i++)
		stats_read_exact(s->fd, &val[i], sizeof(val[i]),
				 s->hdr.data_offset + s->desc[i]->offset);
}

/* exits must equal the sum of exits_kernel_* and exits_user_*. */
static void check_exit_sum(struct stats *s)
{
	uint64_t sum = 0, exits = stat_get(s, "exits");

	for (unsigned int i = 0; i < s->hdr.num_desc; i++)
		if (!strncmp(s->desc[i]->name, "exits_kernel_", 13) ||
		    !strncmp(s->desc[i]->name, "exits_user_", 11))
			sum += stat_get(s, s->desc[i]->name);
	TEST_ASSERT(sum == exits, "%s: exits %lu, but the reasons add up to %lu",
		    s->id, exits, sum);
}

/* ---------------------------------------------------------------------
 * Exact counts
 */

static void guest_counts(void)
{
	uint32_t a, b, c, d;

	GUEST_SYNC(0);
	for (int i = 0; i < N; i++)
		asm volatile("outb %%al, %%dx" :: "a"(i), "d"(NOISY_PORT));
	for (int i = 0; i < N; i++)
		cpuid_count(0, 0, &a, &b, &c, &d);
	/* VMware's backdoor: an IN the kernel answers. */
	for (int i = 0; i < N; i++) {
		uint64_t rax = BDOOR_MAGIC, rcx = BDOOR_GETVERSION;
		uint64_t rdx = BDOOR_PORT, rbx = 0;

		asm volatile("inl %%dx, %%eax"
			     : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx)
			     :: "memory");
		GUEST_ASSERT_EQ(rbx, BDOOR_MAGIC);
	}
	GUEST_SYNC(1);
	for (int i = 0; i < N; i++)
		asm volatile("hlt");
	GUEST_SYNC(2);
}

#define DELTA(name)	(stat_get(&s, name) - stat_before(before, &s, name))

/* The value of @name in a snapshot taken with stats_values(). */
static uint64_t stat_before(const uint64_t *val, struct stats *s,
			    const char *name)
{
	for (unsigned int i = 0; i < s->hdr.num_desc; i++)
		if (!strcmp(s->desc[i]->name, name))
			return val[i];
	TEST_FAIL("no statistic %s", name);
}

TEST(counts_exact)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_counts);
	uint64_t before[512], vcpu_val[512];
	struct stats s, v;

	stats_open(&s, vcpu->fd);
	vcpu_run_expect_sync(vcpu, 0);
	stats_values(&s, before);
	for (int i = 0; i < N; i++) {
		vcpu_run(vcpu);
		ASSERT_EQ((uint32_t)i, vcpu_expect_out(vcpu, NOISY_PORT, 1));
	}
	vcpu_run_expect_sync(vcpu, 1);
	/* N OUTs and the ucall; the backdoor INs never left the kernel. */
	EXPECT_EQ(N + 1, DELTA("io_exits"));
	EXPECT_EQ(N + 1, DELTA("exits_user_io"));
	EXPECT_EQ(N, DELTA("exits_kernel_io"));
	EXPECT_EQ(N, DELTA("io_backdoor"));
	EXPECT_EQ(N, DELTA("exits_kernel_cpuid"));
	EXPECT_EQ(0, DELTA("exits_user_cpuid"));
	EXPECT_EQ(N + 1, DELTA("runs"));
	EXPECT_EQ(0, DELTA("exits_user_hlt"));
	EXPECT_EQ(0, DELTA("mmio_exits"));
	check_exit_sum(&s);

	stats_values(&s, before);
	for (int i = 0; i < N; i++) {
		vcpu_run(vcpu);
		TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_HLT);
	}
	vcpu_run_expect_sync(vcpu, 2);
	/* Without a local APIC every HLT is an exit to user space. */
	EXPECT_EQ(N, DELTA("exits_user_hlt"));
	EXPECT_EQ(0, DELTA("exits_kernel_hlt"));
	EXPECT_EQ(0, DELTA("halt_sleeps"));
	EXPECT_EQ(1, DELTA("io_exits"));
	EXPECT_EQ(0, DELTA("exits_kernel_cpuid"));
	EXPECT_EQ(N + 1, DELTA("runs"));
	check_exit_sum(&s);

	/* A VM's fd has its one vCPU's counters under the same names. */
	stats_open(&v, vm->fd);
	stats_values(&s, vcpu_val);
	for (unsigned int i = 0; i < s.hdr.num_desc; i++) {
		const struct vmw86_stats_desc *d = stats_find(&v, s.desc[i]->name);

		ASSERT_NE(NULL, d) TH_LOG("%s not in the VM's fd", s.desc[i]->name);
		EXPECT_EQ(vcpu_val[i], stat_get(&v, d->name))
			TH_LOG("%s", d->name);
	}
	EXPECT_EQ(1, stat_get(&v, "vcpus"));
	EXPECT_EQ(1, stat_get(&v, "memslots"));
	check_exit_sum(&v);
	stats_close(&v);
	stats_close(&s);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Halts, NMIs, kicks and signals (local APIC)
 */

static volatile uint64_t nmi_count;

static void nmi_handler(struct ex_regs *regs)
{
	(void)regs;
	nmi_count++;
}

static void guest_halts(void)
{
	GUEST_SYNC(0);
	/* Halted with IF = 0: only the host's NMI wakes it. */
	asm volatile("cli; hlt" ::: "memory");
	GUEST_SYNC(nmi_count);
	/* Nothing wakes this one: the host's signal ends the run. */
	asm volatile("cli; hlt" ::: "memory");
	GUEST_SYNC(2);
}

struct runner {
	struct vmw86_vcpu *vcpu;
	pthread_t thread;
	int done, ret, err;
};

static void *runner_fn(void *arg)
{
	struct runner *r = arg;

	r->ret = __vcpu_run(r->vcpu);
	r->err = errno;
	__atomic_store_n(&r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void runner_start(struct runner *r, struct vmw86_vcpu *vcpu)
{
	memset(r, 0, sizeof(*r));
	r->vcpu = vcpu;
	TEST_ASSERT(!pthread_create(&r->thread, NULL, runner_fn, r),
		    "pthread_create");
}

/* Wait for the run to end; on a hang, kick it out and fail. */
static void runner_join(struct runner *r)
{
	uint64_t end = now_ns() + WAIT_MS * 1000000ULL;

	while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE) && now_ns() < end)
		usleep(1000);
	if (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
		WRITE_ONCE(r->vcpu->run->immediate_exit, 1);
		while (!__atomic_load_n(&r->done, __ATOMIC_ACQUIRE)) {
			pthread_kill(r->thread, SIGUSR1);
			usleep(1000);
		}
		pthread_join(r->thread, NULL);
		TEST_FAIL("VMW86_RUN still ran after %d ms", WAIT_MS);
	}
	pthread_join(r->thread, NULL);
}

/* Poll @name until it reaches @want (the vCPU runs meanwhile). */
static void wait_stat(struct stats *s, const char *name, uint64_t want)
{
	uint64_t end = now_ns() + WAIT_MS * 1000000ULL;

	while (stat_get(s, name) < want && now_ns() < end)
		usleep(1000);
	TEST_ASSERT(stat_get(s, name) == want, "%s: %lu, waited for %lu", name,
		    stat_get(s, name), want);
}

static int signal_nmi(struct vmw86_vm *vm)
{
	struct vmw86_msi msi = { .address = APIC_GPA, .data = ICR_NMI };

	return ioctl(vm->fd, VMW86_SIGNAL_MSI, &msi);
}

TEST(halts_nmis_kicks_signals)
{
	struct sigaction sa = { .sa_handler = on_signal };
	uint64_t before[512], t0, slept;
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	struct runner r;
	struct stats s;
	struct ucall uc;
	int fd2;

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));	/* no SA_RESTART */
	vm = vm_create();
	ASSERT_EQ(0, ioctl(vm->fd, VMW86_CREATE_LAPIC, 0));
	vcpu = vm_vcpu_add(vm, 0, guest_halts);
	vm_install_exception_handler(vm, NMI_VECTOR, nmi_handler);
	stats_open(&s, vcpu->fd);
	vcpu_run_expect_sync(vcpu, 0);
	stats_values(&s, before);

	runner_start(&r, vcpu);
	wait_stat(&s, "halt_sleeps", stat_before(before, &s, "halt_sleeps") + 1);
	/* A running vCPU's fd opens without waiting for VMW86_RUN. */
	t0 = now_ns();
	fd2 = ioctl(vcpu->fd, VMW86_GET_STATS_FD, 0);
	ASSERT_LE(0, fd2);
	EXPECT_GT(1000000000ULL, now_ns() - t0);
	close(fd2);
	EXPECT_FALSE(__atomic_load_n(&r.done, __ATOMIC_ACQUIRE));
	usleep(30 * 1000);
	slept = now_ns() - t0;
	EXPECT_EQ(1, signal_nmi(vm));
	runner_join(&r);
	ASSERT_EQ(0, r.ret);
	ASSERT_EQ(UCALL_SYNC, vcpu_check_ucall(vcpu, &uc));
	EXPECT_EQ(1, uc.args[0]);
	EXPECT_EQ(1, DELTA("halt_sleeps"));
	EXPECT_EQ(1, DELTA("halt_wakeups"));
	EXPECT_EQ(1, DELTA("exits_kernel_hlt"));
	EXPECT_EQ(1, DELTA("nmi_injections"));
	EXPECT_EQ(1, DELTA("kicks"));
	EXPECT_EQ(0, DELTA("signal_exits"));
	/* It slept from before t0 until the MSI, at least those 30 ms. */
	EXPECT_LE(slept, DELTA("halt_ns"));
	EXPECT_GT(WAIT_MS * 1000000ULL, DELTA("halt_ns"));

	stats_values(&s, before);
	runner_start(&r, vcpu);
	wait_stat(&s, "halt_sleeps", stat_before(before, &s, "halt_sleeps") + 1);
	pthread_kill(r.thread, SIGUSR1);
	runner_join(&r);
	EXPECT_EQ(-1, r.ret);
	EXPECT_EQ(EINTR, r.err);
	TEST_ASSERT_EXIT_REASON(vcpu, VMW86_EXIT_INTR);
	EXPECT_EQ(1, DELTA("halt_sleeps"));
	EXPECT_EQ(0, DELTA("halt_wakeups"));
	EXPECT_EQ(1, DELTA("signal_exits"));
	/* The HLT that ended VMW86_RUN went to user space. */
	EXPECT_EQ(1, DELTA("exits_user_hlt"));
	EXPECT_EQ(0, DELTA("exits_kernel_hlt"));
	EXPECT_EQ(1, DELTA("runs"));
	vcpu_run_expect_sync(vcpu, 2);
	check_exit_sum(&s);
	stats_close(&s);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Memory: slots, shootdowns, TLB flushes, huge pages
 */

#define TOUCH_SLOT	1
#define TOUCH_GPA	0x50000000UL

/* The same code twice, so that the second round faults on nothing else. */
static void guest_touch(uint64_t gpa)
{
	for (int i = 0; i < 2; i++) {
		*(volatile uint64_t *)gpa = i + 1;
		GUEST_SYNC(i);
	}
}

TEST(tlb_shootdown_and_flush)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_touch);
	uint64_t before[512], vm_before[512];
	struct stats s, v;
	struct stats *vmstats = &v;
	uint64_t *p;

	stats_open(&s, vcpu->fd);
	stats_open(&v, vm->fd);
	stats_values(&v, vm_before);
	p = vm_add_anon_slot(vm, TOUCH_SLOT, 0, TOUCH_GPA, PAGE_SIZE);
	EXPECT_EQ(2, stat_get(&v, "memslots"));
	EXPECT_EQ(1, stat_get(&v, "memslot_changes") -
		     stat_before(vm_before, &v, "memslot_changes"));
	/* A refused change changes nothing. */
	EXPECT_EQ(-1, __vm_set_memory_region(vm, TOUCH_SLOT, 0, TOUCH_GPA + 1,
					     PAGE_SIZE, p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(1, stat_get(&v, "memslot_changes") -
		     stat_before(vm_before, &v, "memslot_changes"));

	vcpu_args_set(vcpu, 1, TOUCH_GPA);
	vcpu_run_expect_sync(vcpu, 0);
	EXPECT_EQ(1, *p);
	stats_values(&s, before);
	stats_values(&v, vm_before);
	ASSERT_EQ(0, madvise(p, PAGE_SIZE, MADV_DONTNEED));
	/* The page was mapped: one invalidation, one shootdown, no IPI. */
	EXPECT_EQ(1, stat_get(vmstats, "tlb_shootdowns") -
		     stat_before(vm_before, vmstats, "tlb_shootdowns"));
	EXPECT_EQ(1, stat_get(vmstats, "npt_invalidations") -
		     stat_before(vm_before, vmstats, "npt_invalidations"));
	EXPECT_EQ(0, stat_get(vmstats, "exit_ipis") -
		     stat_before(vm_before, vmstats, "exit_ipis"));
	vcpu_run_expect_sync(vcpu, 1);
	EXPECT_EQ(2, *p);
	EXPECT_EQ(1, DELTA("tlb_flushes"));
	EXPECT_EQ(1, DELTA("npf_map"));
	EXPECT_EQ(1, DELTA("exits_kernel_memory"));

	/* Deleting the slot: a change, one slot fewer. */
	stats_values(&v, vm_before);
	vm_set_memory_region(vm, TOUCH_SLOT, 0, TOUCH_GPA, 0, p);
	EXPECT_EQ(1, stat_get(&v, "memslots"));
	EXPECT_EQ(1, stat_get(&v, "memslot_changes") -
		     stat_before(vm_before, &v, "memslot_changes"));
	vcpu_run_expect_done(vcpu);
	stats_close(&v);
	stats_close(&s);
	vm_free(vm);
}

#define HUGE_SLOT	2
#define HUGE_GPA	0x40000000UL
#define HUGE_SIZE	(8UL << 20)

/* One write per 4 KiB page, the same code for the warm-up and the slot. */
static void guest_huge(uint64_t warm_gpa, uint64_t gpa, uint64_t size)
{
	uint64_t bases[2] = { warm_gpa, gpa }, sizes[2] = { PAGE_SIZE, size };

	for (int r = 0; r < 2; r++) {
		for (uint64_t off = 0; off < sizes[r]; off += PAGE_SIZE)
			*(volatile uint64_t *)(bases[r] + off) = off;
		GUEST_SYNC(r);
	}
}

TEST(huge_page_faults)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_huge);
	uint64_t before[512], huge, maps, nr_2m = HUGE_SIZE / SZ_2M;
	uint8_t *raw, *p;
	struct stats s;

	raw = mmap(NULL, HUGE_SIZE + SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, raw);
	p = (uint8_t *)ALIGN_UP((uintptr_t)raw, SZ_2M);
	if (madvise(p, HUGE_SIZE, MADV_HUGEPAGE))
		SKIP(return, "no transparent huge pages: %s", strerror(errno));
	vm_set_memory_region(vm, HUGE_SLOT, 0, HUGE_GPA, HUGE_SIZE, p);
	vm_add_anon_slot(vm, TOUCH_SLOT, 0, TOUCH_GPA, PAGE_SIZE);
	stats_open(&s, vcpu->fd);

	vcpu_args_set(vcpu, 3, TOUCH_GPA, HUGE_GPA, HUGE_SIZE);
	vcpu_run_expect_sync(vcpu, 0);
	stats_values(&s, before);
	vcpu_run_expect_sync(vcpu, 1);
	huge = DELTA("npf_map_huge");
	maps = DELTA("npf_map");
	TH_LOG("%lu of %lu 2 MiB ranges mapped huge", huge, nr_2m);
	/* Each 2 MiB is one fault mapped huge, or 512 small ones. */
	EXPECT_GE(nr_2m, huge);
	EXPECT_EQ(huge + (nr_2m - huge) * 512, maps);
	EXPECT_EQ(maps, DELTA("exits_kernel_memory"));
	vcpu_run_expect_done(vcpu);
	stats_close(&s);
	vm_free(vm);
	munmap(raw, HUGE_SIZE + SZ_2M);
}

/* ---------------------------------------------------------------------
 * The fd's layout
 */

static void check_layout(struct __test_metadata *_metadata, int owner_fd,
			 const char *want_id)
{
	uint32_t known = VMW86_STATS_TYPE_MASK | VMW86_STATS_UNIT_MASK |
			 VMW86_STATS_BASE_MASK;
	struct vmw86_stats_header *h;
	uint64_t used[64] = { 0 };
	uint8_t *whole;
	struct stats s;
	size_t size;
	ssize_t n;

	stats_open(&s, owner_fd);
	h = &s.hdr;
	EXPECT_EQ(0, h->flags);
	EXPECT_EQ(VMW86_STATS_NAME_SIZE, h->name_size);
	ASSERT_LT(0, h->num_desc);
	EXPECT_GE(h->id_offset, sizeof(*h));
	EXPECT_GE(h->desc_offset, h->id_offset + h->name_size);
	EXPECT_GE(h->data_offset, h->desc_offset + h->num_desc * DESC_SIZE);
	EXPECT_EQ(0, h->data_offset % 8);
	EXPECT_STREQ(want_id, s.id);

	for (unsigned int i = 0; i < h->num_desc; i++) {
		struct vmw86_stats_desc *d = s.desc[i];
		uint32_t type = d->flags & VMW86_STATS_TYPE_MASK;
		uint32_t unit = d->flags & VMW86_STATS_UNIT_MASK;

		ASSERT_NE(NULL, memchr(d->name, 0, h->name_size))
			TH_LOG("descriptor %u: name not terminated", i);
		EXPECT_LT(0, strlen(d->name));
		for (unsigned int j = 0; j < i; j++)
			EXPECT_STRNE(s.desc[j]->name, d->name);
		EXPECT_EQ(0, d->flags & ~known) TH_LOG("%s", d->name);
		EXPECT_GE(VMW86_STATS_TYPE_PEAK, type) TH_LOG("%s", d->name);
		EXPECT_GE(VMW86_STATS_UNIT_BOOLEAN, unit) TH_LOG("%s", d->name);
		EXPECT_EQ(VMW86_STATS_BASE_POW10,
			  d->flags & VMW86_STATS_BASE_MASK);
		/* Time is in ns; counts have no unit or exponent. */
		EXPECT_EQ(unit == VMW86_STATS_UNIT_SECONDS ? -9 : 0, d->exponent)
			TH_LOG("%s", d->name);
		EXPECT_EQ(1, d->size);
		EXPECT_EQ(0, d->bucket_size);
		EXPECT_EQ(0, d->offset % 8);
		ASSERT_GT(ARRAY_SIZE(used) * 64, d->offset / 8);
		/* Values do not overlap. */
		EXPECT_FALSE(used[d->offset / 8 / 64] & (1ULL << (d->offset / 8 % 64)))
			TH_LOG("%s shares its offset", d->name);
		used[d->offset / 8 / 64] |= 1ULL << (d->offset / 8 % 64);
	}
	EXPECT_NE(NULL, stats_find(&s, "exits"));
	EXPECT_NE(NULL, stats_find(&s, "exits_kernel_cpuid"));
	EXPECT_NE(NULL, stats_find(&s, "exits_user_io"));
	EXPECT_NE(NULL, stats_find(&s, "halt_ns"));

	/* The whole fd, read from the start, is the same bytes. */
	size = lseek(s.fd, 0, SEEK_END);
	EXPECT_EQ(h->data_offset + h->num_desc * 8, size);
	whole = calloc(1, size + 64);
	ASSERT_NE(NULL, whole);
	ASSERT_EQ(0, lseek(s.fd, 0, SEEK_SET));
	n = read(s.fd, whole, size + 64);
	EXPECT_EQ((ssize_t)size, n);
	EXPECT_EQ(0, memcmp(whole, h, sizeof(*h)));
	EXPECT_EQ(0, memcmp(whole + h->desc_offset, s.raw,
			    h->num_desc * DESC_SIZE));
	/* At the end: nothing more; past it too. */
	EXPECT_EQ(0, read(s.fd, whole, 8));
	EXPECT_EQ(0, pread(s.fd, whole, 8, size + 4096));
	/* A read may start and end anywhere, across into a value. */
	{
		uint8_t three[3];

		EXPECT_EQ(3, pread(s.fd, three, 3, h->data_offset - 1));
		EXPECT_EQ(0, memcmp(three, whole + h->data_offset - 1, 3));
	}
	free(whole);
	stats_close(&s);
}

TEST(layout)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_counts);
	char id[VMW86_STATS_NAME_SIZE];

	snprintf(id, sizeof(id), "vmw86-%d", getpid());
	check_layout(_metadata, vm->fd, id);
	snprintf(id, sizeof(id), "vmw86-%d/vcpu-0", getpid());
	check_layout(_metadata, vcpu->fd, id);
	vm_free(vm);
}

/* ---------------------------------------------------------------------
 * Bad inputs, and what the fd refuses
 */

TEST(bad_inputs)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_counts);
	uint64_t buf = 0;
	int fds[2] = { vm->fd, vcpu->fd }, sfd, status;
	pid_t pid;

	for (int i = 0; i < 2; i++) {
		EXPECT_EQ(-1, ioctl(fds[i], VMW86_GET_STATS_FD, 1));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, ioctl(fds[i], VMW86_GET_STATS_FD, ~0UL));
		EXPECT_EQ(EINVAL, errno);

		sfd = get_stats_fd(fds[i]);
		EXPECT_EQ(O_RDONLY, fcntl(sfd, F_GETFL) & O_ACCMODE);
		EXPECT_EQ(FD_CLOEXEC, fcntl(sfd, F_GETFD));
		EXPECT_EQ(-1, write(sfd, &buf, sizeof(buf)));
		EXPECT_EQ(EBADF, errno);
		/* No positional writes at all: ESPIPE before EBADF. */
		EXPECT_EQ(-1, pwrite(sfd, &buf, sizeof(buf), 0));
		EXPECT_EQ(ESPIPE, errno);
		EXPECT_EQ(MAP_FAILED, mmap(NULL, PAGE_SIZE, PROT_READ,
					   MAP_SHARED, sfd, 0));
		EXPECT_EQ(ENODEV, errno);
		EXPECT_EQ(-1, ioctl(sfd, VMW86_GET_STATS_FD, 0));
		EXPECT_EQ(ENOTTY, errno);
		EXPECT_EQ(-1, ioctl(sfd, VMW86_RUN, 0));
		EXPECT_EQ(ENOTTY, errno);
		EXPECT_EQ(-1, lseek(sfd, -1, SEEK_SET));
		EXPECT_EQ(EINVAL, errno);
		close(sfd);
	}
	/* Not an ioctl of the device fd. */
	EXPECT_EQ(-1, ioctl(vm->dev_fd, VMW86_GET_STATS_FD, 0));
	EXPECT_EQ(ENOTTY, errno);

	/* Another process (here a child, after fork) gets EIO, as for all. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		int bad = 0;

		for (int i = 0; i < 2; i++)
			bad |= ioctl(fds[i], VMW86_GET_STATS_FD, 0) != -1 ||
			       errno != EIO;
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	vm_free(vm);
}

/* The fd keeps the VM: after every other fd is closed it still reads. */
TEST(fd_keeps_vm)
{
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_counts);
	uint64_t runs;
	struct stats s, v;

	stats_open(&s, vcpu->fd);
	stats_open(&v, vm->fd);
	vcpu_run_expect_sync(vcpu, 0);
	runs = stat_get(&s, "runs");
	EXPECT_EQ(1, runs);
	vm_free(vm);
	EXPECT_EQ(runs, stat_get(&s, "runs"));
	EXPECT_EQ(runs, stat_get(&v, "runs"));
	EXPECT_EQ(1, stat_get(&v, "vcpus"));
	stats_close(&v);
	EXPECT_EQ(runs, stat_get(&s, "runs"));
	stats_close(&s);
}

/* ---------------------------------------------------------------------
 * Tracepoints
 */

#define TRACEFS		"/sys/kernel/tracing"
#define EVENTS		TRACEFS "/events/vmw86"

static bool write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	bool ok;

	if (fd < 0)
		return false;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok;
}

static void guest_cpuids(void)
{
	uint32_t a, b, c, d;

	for (int i = 0; i < N; i++)
		cpuid_count(0x40000000, 0, &a, &b, &c, &d);
	GUEST_SYNC(0);
}

TEST(tracepoints)
{
	static const char * const events[] = {
		"vmw86_entry", "vmw86_exit", "vmw86_pio", "vmw86_mmio",
		"vmw86_msr", "vmw86_cpuid", "vmw86_inject", "vmw86_npf",
		"vmw86_memslot",
	};
	struct vmw86_vcpu *vcpu;
	struct vmw86_vm *vm;
	char path[128], line[512], want[64];
	unsigned int cpuid_exits = 0;
	struct stat st;
	FILE *f;

	if (stat(TRACEFS "/events", &st) &&
	    mount("tracefs", TRACEFS, "tracefs", 0, NULL))
		SKIP(return, "no tracefs at %s: %s", TRACEFS, strerror(errno));
	if (stat(TRACEFS "/events", &st))
		SKIP(return, "tracefs has no events (kernel without tracepoints)");
	for (unsigned int i = 0; i < ARRAY_SIZE(events); i++) {
		snprintf(path, sizeof(path), EVENTS "/%s/format", events[i]);
		EXPECT_EQ(0, stat(path, &st)) TH_LOG("no %s", path);
	}

	vm = vm_create_with_one_vcpu(&vcpu, guest_cpuids);
	ASSERT_TRUE(write_file(TRACEFS "/tracing_on", "1"));
	ASSERT_TRUE(write_file(TRACEFS "/trace", ""));	/* clears it */
	ASSERT_TRUE(write_file(EVENTS "/vmw86_exit/enable", "1"));
	vcpu_run_expect_sync(vcpu, 0);
	ASSERT_TRUE(write_file(EVENTS "/vmw86_exit/enable", "0"));

	/* One line per CPUID exit of this VM: "... reason cpuid ... 0x40000000". */
	snprintf(want, sizeof(want), "vm %d vcpu 0 reason cpuid ", getpid());
	f = fopen(TRACEFS "/trace", "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "vmw86_exit:") && strstr(line, want) &&
		    strstr(line, "info 0x40000000"))
			cpuid_exits++;
	fclose(f);
	EXPECT_EQ(N, cpuid_exits);
	write_file(TRACEFS "/trace", "");
	vcpu_run_expect_done(vcpu);
	vm_free(vm);
}

TEST_HARNESS_MAIN
