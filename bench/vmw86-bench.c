// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86-bench: vmw86 and Debian's KVM measured side by side, in one boot of
 * the test machine (scripts/bench.sh, "make bench").
 *
 * Both hypervisors take EFER.SVME only while they have VMs and refuse with
 * EBUSY while the other has one, so they cannot run at once: in each
 * round every figure is measured for one of them, with all the other's
 * VMs closed, and at once for the other, so that the two numbers of a
 * pair are seconds apart at most. Rounds alternate which one goes first
 * (ABBA), so that whatever drifts during a run (memory fragmentation, the
 * host's load) falls on both alike.
 *
 * The guest is a few bytes of flat 32-bit code (guest.S), the same for
 * both; the two ABIs differ only in ioctl numbers and structure names,
 * which struct hv hides. Nothing is computed here beyond one number per
 * figure, round and hypervisor: the host (bench/report.awk) takes medians,
 * spreads and ratios of rounds 1 to N; round 0 warms up. Every line the
 * host reads starts with "VMW86-BENCH".
 *
 * Figures 4 to 6g boot a whole guest, Debian's kernel with a busybox
 * initramfs (bench/guest-init), under vmw86-run and under QEMU with KVM,
 * as child processes whose console this program reads. Figures 8a and 8b
 * boot it with a virtio disk on one image for both (bench/guest-disk-init).
 * Figure 9 boots one (bench/guest-net-init) with a virtio-net device on a
 * TAP, and receives what it sends here. Figures 10a and 10b boot figure
 * 4's guest through QEMU's pc machine and SeaBIOS, the same QEMU binary
 * with -accel vmw86 and with -accel kvm.
 *
 * Settings come as environment variables, which is how the test machine's
 * init gets its kernel parameters:
 *   vmw86_bench_rounds=N   rounds (default 7)
 *   vmw86_bench_only=LIST  only these groups: io,cpuid,touch,thp,churn,
 *                          alive,kmem,boot,disk,net,qemu (default all)
 *   vmw86_bench_boot_rounds=N  rounds that boot guests (default 5; each
 *                          boot takes seconds, the other figures less)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <linux/if_tun.h>
#include <linux/kvm.h>

#include "stats.h"
#include <linux/vmw86.h>

#include "bench.h"

#define MIB			(1UL << 20)
#define HUGE_SIZE		(2 * MIB)
#define SMALL_RAM		(2 * MIB)	/* code page only */
#define TOUCH_SIZE		(64 * MIB)
#define DENSITY_RAM		(32 * MIB)
#define IO_ROUNDS		5000
#define IO_WARMUP		100
#define CPUID_COUNT		5000
#define CHURN_VMS		64
#define ALIVE_BOUND		256
#define KMEM_VMS		100
/* How long a VM creation waits for the other hypervisor to let go of SVM. */
#define BUSY_TRIES		50
#define BUSY_WAIT_US		100000

#define X86_CR0_PE		(1UL << 0)
#define X86_CR0_ET		(1UL << 4)
#define X86_CR0_NE		(1UL << 5)

#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------
 * The hypervisor interface: vmw86's ioctls or KVM's
 */

enum exit_kind { EXIT_OUT, EXIT_HLT, EXIT_OTHER };

struct exit_info {
	enum exit_kind kind;
	uint32_t reason;	/* the hypervisor's own exit reason */
	uint16_t port;
};

/* Where a vCPU starts, and the registers guest.S takes its arguments in. */
struct guest_start {
	const char *code, *code_end;
	uint64_t rbx, rcx, rsi;
};

struct vm;

struct hv {
	const char *name;
	const char *path;
	unsigned long create_vm, get_mmap_size, create_vcpu, run_vcpu;
	size_t immediate_exit;	/* offset of the flag in the run structure */
	int (*set_ram)(struct vm *vm);
	int (*set_state)(struct vm *vm, const struct guest_start *start);
	int (*run)(struct vm *vm, struct exit_info *exit);
	/* Filled in at start. */
	int dev_fd;
	size_t run_size;
	int busy_waits;		/* times CREATE_VM found SVM taken */
};

struct vm {
	struct hv *hv;
	int fd, vcpu_fd;
	void *run;
	char *ram;		/* 2 MiB aligned, backs GPA 0 */
	size_t ram_size;
	void *map;		/* what mmap() returned, to unmap */
	size_t map_size;
};

/* What failed last, for the error lines and the density limit. */
static char last_error[160];

static int fail(const char *what)
{
	int err = errno;

	snprintf(last_error, sizeof(last_error), "%s: %s", what, strerror(err));
	errno = err;
	return -1;
}

/*
 * Flat 32-bit protected mode without paging: a 4 GiB execute/read code
 * segment, 4 GiB read/write data segments, a busy TSS (VMRUN wants a usable
 * TR), no LDT, no GDT or IDT (an exception is a triple fault, which the
 * benchmark reports as an unexpected exit). Both ABIs name these fields
 * as KVM does, so one macro fills either's structure.
 */
#define flat_pmode32(sr) do {						\
	typeof((sr)->ds) data_ = {					\
		.limit = 0xffffffff, .selector = 0x10, .type = 3,	\
		.present = 1, .db = 1, .s = 1, .g = 1,			\
	};								\
	(sr)->cs = (typeof((sr)->cs)) {					\
		.limit = 0xffffffff, .selector = 0x08, .type = 0xb,	\
		.present = 1, .db = 1, .s = 1, .g = 1,			\
	};								\
	(sr)->ds = (sr)->es = (sr)->fs = (sr)->gs = (sr)->ss = data_;	\
	(sr)->tr = (typeof((sr)->tr)) {					\
		.limit = 0x67, .selector = 0x18, .type = 0xb,		\
		.present = 1,						\
	};								\
	(sr)->ldt = (typeof((sr)->ldt)) { .type = 2, .unusable = 1 };	\
	(sr)->gdt.base = 0;						\
	(sr)->gdt.limit = 0;						\
	(sr)->idt.base = 0;						\
	(sr)->idt.limit = 0;						\
	(sr)->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;		\
	(sr)->cr3 = 0;							\
	(sr)->cr4 = 0;							\
	(sr)->efer = 0;							\
} while (0)

#define start_regs(r, start) do {					\
	memset((r), 0, sizeof(*(r)));					\
	(r)->rip = GUEST_CODE_GPA;					\
	(r)->rflags = 2;	/* bit 1 is always set */		\
	(r)->rbx = (start)->rbx;					\
	(r)->rcx = (start)->rcx;					\
	(r)->rsi = (start)->rsi;					\
} while (0)

static int vmw86_set_ram(struct vm *vm)
{
	struct vmw86_memory_region region = {
		.slot = 0,
		.memory_size = vm->ram_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};

	if (ioctl(vm->fd, VMW86_SET_MEMORY_REGION, &region))
		return fail("VMW86_SET_MEMORY_REGION");
	return 0;
}

static int vmw86_set_state(struct vm *vm, const struct guest_start *start)
{
	struct vmw86_sregs sregs;
	struct vmw86_regs regs;

	if (ioctl(vm->vcpu_fd, VMW86_GET_SREGS, &sregs))
		return fail("VMW86_GET_SREGS");
	flat_pmode32(&sregs);
	if (ioctl(vm->vcpu_fd, VMW86_SET_SREGS, &sregs))
		return fail("VMW86_SET_SREGS");
	start_regs(&regs, start);
	if (ioctl(vm->vcpu_fd, VMW86_SET_REGS, &regs))
		return fail("VMW86_SET_REGS");
	return 0;
}

static int vmw86_run_vcpu(struct vm *vm, struct exit_info *exit)
{
	struct vmw86_run *run = vm->run;

	if (ioctl(vm->vcpu_fd, vm->hv->run_vcpu, 0))
		return fail("VMW86_RUN");
	exit->reason = run->exit_reason;
	exit->port = 0;
	if (run->exit_reason == VMW86_EXIT_IO &&
	    run->io.direction == VMW86_EXIT_IO_OUT) {
		exit->kind = EXIT_OUT;
		exit->port = run->io.port;
	} else if (run->exit_reason == VMW86_EXIT_HLT) {
		exit->kind = EXIT_HLT;
	} else {
		exit->kind = EXIT_OTHER;
	}
	return 0;
}

static int kvm_set_ram(struct vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 0,
		.memory_size = vm->ram_size,
		.userspace_addr = (uintptr_t)vm->ram,
	};

	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	return 0;
}

static int kvm_set_state(struct vm *vm, const struct guest_start *start)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(vm->vcpu_fd, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	flat_pmode32(&sregs);
	if (ioctl(vm->vcpu_fd, KVM_SET_SREGS, &sregs))
		return fail("KVM_SET_SREGS");
	start_regs(&regs, start);
	if (ioctl(vm->vcpu_fd, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");
	return 0;
}

static int kvm_run_vcpu(struct vm *vm, struct exit_info *exit)
{
	struct kvm_run *run = vm->run;

	if (ioctl(vm->vcpu_fd, vm->hv->run_vcpu, 0))
		return fail("KVM_RUN");
	exit->reason = run->exit_reason;
	exit->port = 0;
	if (run->exit_reason == KVM_EXIT_IO &&
	    run->io.direction == KVM_EXIT_IO_OUT) {
		exit->kind = EXIT_OUT;
		exit->port = run->io.port;
	} else if (run->exit_reason == KVM_EXIT_HLT) {
		exit->kind = EXIT_HLT;
	} else {
		exit->kind = EXIT_OTHER;
	}
	return 0;
}

static struct hv hv_vmw86 = {
	.name = "vmw86",
	.path = "/dev/vmw86",
	.create_vm = VMW86_CREATE_VM,
	.get_mmap_size = VMW86_GET_VCPU_MMAP_SIZE,
	.create_vcpu = VMW86_CREATE_VCPU,
	.run_vcpu = VMW86_RUN,
	.immediate_exit = offsetof(struct vmw86_run, immediate_exit),
	.set_ram = vmw86_set_ram,
	.set_state = vmw86_set_state,
	.run = vmw86_run_vcpu,
	.dev_fd = -1,
};

static struct hv hv_kvm = {
	.name = "kvm",
	.path = "/dev/kvm",
	.create_vm = KVM_CREATE_VM,
	.get_mmap_size = KVM_GET_VCPU_MMAP_SIZE,
	.create_vcpu = KVM_CREATE_VCPU,
	.run_vcpu = KVM_RUN,
	.immediate_exit = offsetof(struct kvm_run, immediate_exit),
	.set_ram = kvm_set_ram,
	.set_state = kvm_set_state,
	.run = kvm_run_vcpu,
	.dev_fd = -1,
};

/* ------------------------------------------------------------------
 * VMs: the same steps for both hypervisors
 */

/*
 * A VM with @ram_size bytes of anonymous RAM at GPA 0, no vCPU yet. The
 * RAM is 2 MiB aligned, so that where @thp allows it the host can back it
 * with transparent huge pages; otherwise MADV_NOHUGEPAGE keeps it to 4 KiB
 * pages (the test machine's kernel has THP "always"), which is what makes
 * a first touch cost one nested page fault per 4 KiB for both.
 */
static int vm_create(struct hv *hv, struct vm *vm, size_t ram_size, bool thp)
{
	uintptr_t aligned;
	int tries;

	*vm = (struct vm){ .hv = hv, .fd = -1, .vcpu_fd = -1 };
	for (tries = 0;; tries++) {
		vm->fd = ioctl(hv->dev_fd, hv->create_vm, 0);
		if (vm->fd >= 0)
			break;
		/* The other hypervisor may still be letting go of SVM. */
		if (errno != EBUSY || tries == BUSY_TRIES)
			return fail("CREATE_VM");
		usleep(BUSY_WAIT_US);
		hv->busy_waits++;
	}

	vm->map_size = ram_size + HUGE_SIZE;
	vm->map = mmap(NULL, vm->map_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->map == MAP_FAILED) {
		vm->map = NULL;
		return fail("mmap of guest RAM");
	}
	aligned = ((uintptr_t)vm->map + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1);
	vm->ram = (char *)aligned;
	vm->ram_size = ram_size;
	if (madvise(vm->ram, ram_size, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE))
		return fail("madvise of guest RAM");
	return hv->set_ram(vm);
}

/* vCPU 0 with its run structure mapped, about to enter @start. */
static int vm_add_vcpu(struct vm *vm, const struct guest_start *start)
{
	struct hv *hv = vm->hv;

	memcpy(vm->ram + GUEST_CODE_GPA, start->code,
	       start->code_end - start->code);
	vm->vcpu_fd = ioctl(vm->fd, hv->create_vcpu, 0);
	if (vm->vcpu_fd < 0)
		return fail("CREATE_VCPU");
	vm->run = mmap(NULL, hv->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED) {
		vm->run = NULL;
		return fail("mmap of the vCPU");
	}
	return hv->set_state(vm, start);
}

/*
 * Everything a VM holds, in the order that lets the hypervisor free it at
 * once: the run mapping and the vCPU fd keep the VM alive in both.
 */
static void vm_destroy(struct vm *vm)
{
	if (vm->run)
		munmap(vm->run, vm->hv->run_size);
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->fd >= 0)
		close(vm->fd);
	if (vm->map)
		munmap(vm->map, vm->map_size);
	*vm = (struct vm){ .fd = -1, .vcpu_fd = -1 };
}

/* Run until the next exit, which must be an OUT to @port. */
static int vm_run_to(struct vm *vm, uint16_t port)
{
	struct exit_info exit;

	if (vm->hv->run(vm, &exit))
		return -1;
	if (exit.kind == EXIT_OUT && exit.port == port)
		return 0;
	snprintf(last_error, sizeof(last_error),
		 "expected OUT to port 0x%x, got exit reason %u (port 0x%x)",
		 port, exit.reason, exit.port);
	errno = EPROTO;
	return -1;
}

/* A VM with RAM and a vCPU at @start: figures 1 to 3 and 7. */
static int vm_start(struct hv *hv, struct vm *vm, size_t ram_size, bool thp,
		    const struct guest_start *start)
{
	if (vm_create(hv, vm, ram_size, thp) || vm_add_vcpu(vm, start)) {
		int err = errno;

		vm_destroy(vm);
		errno = err;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------
 * Output
 */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void put_sample(struct hv *hv, const char *key, int round,
		       double value)
{
	printf("VMW86-BENCH sample %s %s %d %.4f\n", hv->name, key, round,
	       value);
	fflush(stdout);
}

static void put_note(struct hv *hv, const char *key, int round,
		     const char *text)
{
	printf("VMW86-BENCH note %s %s %d %s\n", hv->name, key, round, text);
	fflush(stdout);
}

static void put_error(struct hv *hv, const char *key, int round)
{
	printf("VMW86-BENCH error %s %s %d %s\n", hv->name, key, round,
	       last_error);
	fflush(stdout);
}

/*
 * The figures, in the order of the report; each "group" is one function
 * below. The host (report.awk) takes titles, units and which way is better
 * from these lines, so that a new figure is added here only. Units are one
 * word; the title is the rest of the line.
 */
static const struct {
	const char *id, *key, *group, *unit, *better, *title;
} figures[] = {
	{ "1a", "io_us", "io", "µs", "lower",
	  "exit to user space and back (OUT, VMW86_RUN/KVM_RUN again)" },
	{ "1b", "io_cycles", "io", "cycles", "lower",
	  "the same round trip in TSC cycles" },
	{ "1c", "null_us", "io", "µs", "lower",
	  "the run ioctl alone: immediate_exit set, no guest entry" },
	{ "2", "cpuid_us", "cpuid", "µs", "lower",
	  "exit handled in the kernel (CPUID)" },
	{ "3a", "touch_first_ns", "touch", "ns/page", "lower",
	  "first touch of 64 MiB, 4 KiB host pages (nested page faults)" },
	{ "3b", "touch_mapped_ns", "touch", "ns/page", "lower",
	  "the same 64 MiB again, already mapped" },
	{ "3c", "touch_thp_ns", "thp", "ns/page", "lower",
	  "first touch of 64 MiB, transparent huge pages allowed" },
	{ "4", "boot_s", "boot", "s", "lower",
	  "boot to guest user space: launcher start to /init's port 0xf5 write" },
	{ "5a", "compute_s", "boot", "s", "lower",
	  "CPU-bound program in the guest (primes below 5*10^8), guest's clock" },
	{ "5b", "compute_rel", "boot", "×native", "lower",
	  "5a over the same program run directly in the test machine" },
	{ "5c", "compute_native_s", "boot", "s", "lower",
	  "the program run directly in the test machine, after each guest" },
	{ "5d", "timer_hz", "boot", "IRQs/s", "lower",
	  "the guest's timer interrupts (local APIC, IRQ 0) during 5a" },
	{ "5e", "clock_read_ns", "boot", "ns/call", "lower",
	  "guest clock read: clock_gettime(CLOCK_MONOTONIC) in a 0.2 s loop after 5a" },
	{ "5f", "compute_exits_hz", "boot", "exits/s", "lower",
	  "exits from the guest during 5a, from the hypervisor's counters (by reason: notes)" },
	{ "6a", "kmem_vm_kib", "kmem", "KiB", "lower",
	  "kernel memory per VM (32 MiB slot, no vCPU), of 100" },
	{ "6b", "kmem_vcpu_kib", "kmem", "KiB", "lower",
	  "kernel memory per vCPU (created, run to its first exit), of 100" },
	{ "6c", "slab_vm_kib", "kmem", "KiB", "lower",
	  "of 6a: slab" },
	{ "6d", "slab_vcpu_kib", "kmem", "KiB", "lower",
	  "of 6b: slab" },
	{ "6e", "launcher_rss_mib", "boot", "MiB", "lower",
	  "launcher RSS beyond guest RAM, guest idle at its shell" },
	{ "6f", "launcher_anon_mib", "boot", "MiB", "lower",
	  "of 6e: anonymous, what one more VM adds (no shared file pages)" },
	{ "6g", "guest_ram_mib", "boot", "MiB", "lower",
	  "guest RAM resident then, of 256 MiB (not launcher overhead)" },
	{ "7a", "churn_per_s", "churn", "VMs/s", "higher",
	  "VMs created, run to their first exit and destroyed" },
	{ "7c", "churn_vm_us", "churn", "µs", "lower",
	  "of 7a: VM created with its 32 MiB slot" },
	{ "7d", "churn_vcpu_us", "churn", "µs", "lower",
	  "of 7a: vCPU created, mapped, its state set" },
	{ "7e", "churn_run_us", "churn", "µs", "lower",
	  "of 7a: first run to the first exit" },
	{ "7f", "churn_destroy_us", "churn", "µs", "lower",
	  "of 7a: every fd and mapping closed" },
	{ "7b", "alive_max", "alive", "VMs", "higher",
	  "1-vCPU 32 MiB VMs alive at once (bound 256)" },
	{ "8a", "disk_seq_mbs", "disk", "MB/s", "higher",
	  "virtio-blk sequential read, 1 MiB O_DIRECT requests, one at a time" },
	{ "8b", "disk_rand_iops", "disk", "IOPS", "higher",
	  "virtio-blk random 4 KiB O_DIRECT reads, one at a time" },
	{ "9", "net_tx_mib_s", "net", "MiB/s", "higher",
	  "TCP stream guest -> test machine, 8 MiB, virtio-net on a TAP (busybox nc)" },
	{ "10a", "qemu_boot_s", "qemu", "s", "lower",
	  "figure 4 by QEMU's pc machine (SeaBIOS), one binary: -accel vmw86 vs kvm" },
	{ "10b", "qemu_compute_s", "qemu", "s", "lower",
	  "figure 5a in that guest" },
};

/* ------------------------------------------------------------------
 * The figures
 */

/* 1: OUT to a port no kernel device claims, back to us, and in again. */
static void bench_io(struct hv *hv, int round)
{
	struct guest_start start = {
		.code = guest_io, .code_end = guest_io_end,
	};
	uint64_t t0, t1, c0, c1;
	struct vm vm;
	int i;

	if (vm_start(hv, &vm, SMALL_RAM, false, &start))
		goto err;
	/* The first exits fault in the code page and warm the caches. */
	for (i = 0; i < IO_WARMUP; i++)
		if (vm_run_to(&vm, BENCH_PORT_IO))
			goto err;
	t0 = now_ns();
	c0 = __rdtsc();
	for (i = 0; i < IO_ROUNDS; i++)
		if (vm_run_to(&vm, BENCH_PORT_IO))
			goto err;
	c1 = __rdtsc();
	t1 = now_ns();
	put_sample(hv, "io_us", round, (t1 - t0) / 1e3 / IO_ROUNDS);
	put_sample(hv, "io_cycles", round, (double)(c1 - c0) / IO_ROUNDS);

	/*
	 * 1c: what the ioctl costs without the world switch, to tell the
	 * two apart. Not quite the same work in both: KVM swaps in the
	 * guest's FPU state before it looks at immediate_exit, vmw86 after.
	 */
	*((uint8_t *)vm.run + hv->immediate_exit) = 1;
	t0 = now_ns();
	for (i = 0; i < IO_ROUNDS; i++) {
		if (ioctl(vm.vcpu_fd, hv->run_vcpu, 0) != -1 || errno != EINTR) {
			fail("run with immediate_exit: not EINTR");
			goto err;
		}
	}
	t1 = now_ns();
	put_sample(hv, "null_us", round, (t1 - t0) / 1e3 / IO_ROUNDS);
	vm_destroy(&vm);
	return;
err:
	put_error(hv, "io_us", round);
	vm_destroy(&vm);
}

/*
 * 2: CPUIDs in a loop that never leaves the kernel. One OUT starts the
 * clock and one stops it; their two round trips add under 0.1% to a
 * run of CPUID_COUNT exits, which is left in.
 */
static void bench_cpuid(struct hv *hv, int round)
{
	struct guest_start start = {
		.code = guest_cpuid, .code_end = guest_cpuid_end,
		.rsi = CPUID_COUNT,
	};
	uint64_t t0, t1;
	struct vm vm;

	if (vm_start(hv, &vm, SMALL_RAM, false, &start) ||
	    vm_run_to(&vm, BENCH_PORT_START))
		goto err;
	t0 = now_ns();
	if (vm_run_to(&vm, BENCH_PORT_END))
		goto err;
	t1 = now_ns();
	put_sample(hv, "cpuid_us", round, (t1 - t0) / 1e3 / CPUID_COUNT);
	vm_destroy(&vm);
	return;
err:
	put_error(hv, "cpuid_us", round);
	vm_destroy(&vm);
}

/*
 * 3: a byte written to every 4 KiB page of 64 MiB of fresh RAM, then again.
 * The first pass pays the host's page fault (allocating and zeroing the
 * page) and the hypervisor's nested page fault; the second pays neither.
 * With @thp the host may hand out 2 MiB pages, and a hypervisor that maps
 * them whole takes one nested fault per 2 MiB instead of 512.
 */
static void bench_touch(struct hv *hv, int round, bool thp)
{
	const unsigned long pages = TOUCH_SIZE / BENCH_PAGE_SIZE;
	struct guest_start start = {
		.code = guest_touch, .code_end = guest_touch_end,
		.rbx = GUEST_TOUCH_GPA, .rcx = pages,
	};
	const char *first = thp ? "touch_thp_ns" : "touch_first_ns";
	uint64_t t0, t1, t2;
	struct vm vm;

	if (vm_start(hv, &vm, GUEST_TOUCH_GPA + TOUCH_SIZE, thp, &start) ||
	    vm_run_to(&vm, BENCH_PORT_START))
		goto err;
	t0 = now_ns();
	if (vm_run_to(&vm, BENCH_PORT_END))
		goto err;
	t1 = now_ns();
	if (vm_run_to(&vm, BENCH_PORT_END))
		goto err;
	t2 = now_ns();
	put_sample(hv, first, round, (double)(t1 - t0) / pages);
	if (!thp)
		put_sample(hv, "touch_mapped_ns", round,
			   (double)(t2 - t1) / pages);
	vm_destroy(&vm);
	return;
err:
	put_error(hv, first, round);
	vm_destroy(&vm);
}

static void bench_touch_4k(struct hv *hv, int round)
{
	bench_touch(hv, round, false);
}

static void bench_touch_thp(struct hv *hv, int round)
{
	bench_touch(hv, round, true);
}

/*
 * 7a: whole VM lifetimes, one after the other; 7c-7f: where that time
 * goes, step by step, as the mean over the same VMs.
 */
static void bench_churn(struct hv *hv, int round)
{
	struct guest_start start = {
		.code = guest_io, .code_end = guest_io_end,
	};
	uint64_t t[5], step[4] = { 0 };
	struct vm vm;
	int i, s;

	for (i = 0; i < CHURN_VMS; i++) {
		t[0] = now_ns();
		if (vm_create(hv, &vm, DENSITY_RAM, false))
			goto err;
		t[1] = now_ns();
		if (vm_add_vcpu(&vm, &start))
			goto err;
		t[2] = now_ns();
		if (vm_run_to(&vm, BENCH_PORT_IO))
			goto err;
		t[3] = now_ns();
		vm_destroy(&vm);
		t[4] = now_ns();
		for (s = 0; s < 4; s++)
			step[s] += t[s + 1] - t[s];
	}
	put_sample(hv, "churn_per_s", round,
		   CHURN_VMS * 1e9 / (step[0] + step[1] + step[2] + step[3]));
	put_sample(hv, "churn_vm_us", round, step[0] / 1e3 / CHURN_VMS);
	put_sample(hv, "churn_vcpu_us", round, step[1] / 1e3 / CHURN_VMS);
	put_sample(hv, "churn_run_us", round, step[2] / 1e3 / CHURN_VMS);
	put_sample(hv, "churn_destroy_us", round, step[3] / 1e3 / CHURN_VMS);
	return;
err:
	put_error(hv, "churn_per_s", round);
	vm_destroy(&vm);
}

/*
 * 7b: VMs that each ran to their first exit, kept open until ALIVE_BOUND
 * or the first failure, which is reported as the reason for the limit.
 */
static void bench_alive(struct hv *hv, int round)
{
	struct guest_start start = {
		.code = guest_io, .code_end = guest_io_end,
	};
	static struct vm vms[ALIVE_BOUND];
	char why[sizeof(last_error) + 32];
	int n;

	for (n = 0; n < ALIVE_BOUND; n++) {
		if (vm_start(hv, &vms[n], DENSITY_RAM, false, &start))
			break;
		if (vm_run_to(&vms[n], BENCH_PORT_IO)) {
			vm_destroy(&vms[n]);
			break;
		}
	}
	if (n == ALIVE_BOUND)
		snprintf(why, sizeof(why), "stopped at the bound of %d", n);
	else
		snprintf(why, sizeof(why), "VM %d failed: %s", n + 1,
			 last_error);
	put_sample(hv, "alive_max", round, n);
	put_note(hv, "alive_max", round, why);
	while (n--)
		vm_destroy(&vms[n]);
}

struct meminfo {
	long free, anon, page_tables, slab;	/* KiB */
};

/*
 * Pages on the per-CPU free lists, in KiB. A freed page goes to its CPU's
 * list first and counts as free in MemFree only once the list overflows
 * into the buddy allocator; an allocation takes from the list first. With
 * one CPU and 2 GiB the lists hold megabytes, so the hypervisor measured
 * right after the other's teardown allocated from them without MemFree
 * moving: 6a read 87 or 149 KiB for KVM depending on who went first.
 */
static long pcp_kib(void)
{
	char line[128];
	long sum = 0, v;
	FILE *f;

	f = fopen("/proc/zoneinfo", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, " count: %ld", &v) == 1)
			sum += v;
	fclose(f);
	return sum * (BENCH_PAGE_SIZE / 1024);
}

static int read_meminfo(struct meminfo *m)
{
	char line[128];
	FILE *f;
	long v;

	/*
	 * Reclaimable caches would come and go with the reading itself; what
	 * is left after dropping them is what the VMs hold.
	 */
	f = fopen("/proc/sys/vm/drop_caches", "w");
	if (f) {
		fputs("3\n", f);
		fclose(f);
	}
	f = fopen("/proc/meminfo", "r");
	if (!f)
		return fail("/proc/meminfo");
	*m = (struct meminfo){ 0 };
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "MemFree: %ld", &v) == 1)
			m->free = v;
		else if (sscanf(line, "AnonPages: %ld", &v) == 1)
			m->anon = v;
		else if (sscanf(line, "PageTables: %ld", &v) == 1)
			m->page_tables = v;
		else if (sscanf(line, "Slab: %ld", &v) == 1)
			m->slab = v;
	}
	fclose(f);
	m->free += pcp_kib();
	return 0;
}

/*
 * Kernel memory between two readings: what left the free pages (MemFree
 * and the per-CPU lists), less what our own process took as anonymous
 * pages (the code page each guest touches) and user page tables. All else
 * (the hypervisor's structures, VMCBs, nested page tables, per-VM threads)
 * is the kernel's.
 */
static double kernel_kib(const struct meminfo *a, const struct meminfo *b)
{
	return (a->free - b->free) - (b->anon - a->anon) -
	       (b->page_tables - a->page_tables);
}

/*
 * 6a-6d: KMEM_VMS VMs with a 32 MiB slot each, then a vCPU in each that
 * runs to its first exit (so that its nested page table root and the code
 * page's entries exist), read from /proc/meminfo around each step.
 */
static void bench_kmem(struct hv *hv, int round)
{
	struct guest_start start = {
		.code = guest_io, .code_end = guest_io_end,
	};
	static struct vm vms[KMEM_VMS];
	struct meminfo m0, m1, m2;
	int n = 0, i;

	/* Let the previous figures' frees (RCU callbacks, workers) finish. */
	sleep(1);
	if (read_meminfo(&m0))
		goto err;
	for (n = 0; n < KMEM_VMS; n++) {
		if (vm_create(hv, &vms[n], DENSITY_RAM, false)) {
			vm_destroy(&vms[n]);
			goto err;
		}
	}
	if (read_meminfo(&m1))
		goto err;
	for (i = 0; i < KMEM_VMS; i++)
		if (vm_add_vcpu(&vms[i], &start) ||
		    vm_run_to(&vms[i], BENCH_PORT_IO))
			goto err;
	if (read_meminfo(&m2))
		goto err;
	put_sample(hv, "kmem_vm_kib", round,
		   kernel_kib(&m0, &m1) / KMEM_VMS);
	put_sample(hv, "kmem_vcpu_kib", round,
		   kernel_kib(&m1, &m2) / KMEM_VMS);
	put_sample(hv, "slab_vm_kib", round,
		   (double)(m1.slab - m0.slab) / KMEM_VMS);
	put_sample(hv, "slab_vcpu_kib", round,
		   (double)(m2.slab - m1.slab) / KMEM_VMS);
	goto out;
err:
	put_error(hv, "kmem_vm_kib", round);
out:
	while (n--)
		vm_destroy(&vms[n]);
}

/* ------------------------------------------------------------------
 * 4 to 6g: a whole guest under a launcher
 */

/*
 * The guest of figures 4 to 6g, the same for both launchers: the test
 * machine's own kernel file, bench/guest-init in the busybox initramfs of
 * vmw86-run's tests, 256 MiB, one vCPU, and a command line with nothing
 * but the console.
 */
#define BOOT_RAM_MIB		256
#define BOOT_RAM		"256M"
#define BOOT_CMDLINE		"console=ttyS0 quiet"
#define GUEST_INITRD		"/tests/bench-guest.cpio.gz"
#define DISK_INITRD		"/tests/bench-disk-guest.cpio.gz"
/* In the test machine's tmpfs: its page cache, the same for both. */
#define DISK_IMAGE		"/tmp/vmw86-bench-disk.img"
#define DISK_SIZE		(64 * MIB)
#define COMPUTE_PATH		"/tests/vmw86-bench-compute"
#define VMW86_RUN_PATH		"/bin/vmw86-run"
#define QEMU_PATH		"/usr/bin/qemu-system-x86_64"
/* From launch to exit; a boot takes seconds to tens of seconds here. */
#define BOOT_TIMEOUT_NS		(240 * 1000000000ULL)
#define LINE_LEN		256
#define TAIL_LINES		10

static char guest_kernel[96];	/* /boot/vmlinuz-$(uname -r) */

static const char *const vmw86_run_argv[] = {
	VMW86_RUN_PATH, "--kernel", guest_kernel, "--initrd", GUEST_INITRD,
	"--memory", BOOT_RAM, "--cpus", "1", "--boot-time",
	"--cmdline", BOOT_CMDLINE, NULL
};

/*
 * QEMU's lightest machine, microvm: no PCI, no firmware beyond qboot, the
 * kernel loaded by QEMU itself, a UART on stdio. -cpu host is the CPUID
 * KVM supports, as vmw86-run passes what vmw86 supports. The guest's
 * write to port 0xf5 goes to an isa-debugcon there, whose chardev is the
 * pipe on our side of fd 3: the same instant vmw86-run reports.
 */
static const char *const qemu_argv[] = {
	QEMU_PATH, "-machine", "microvm", "-accel", "kvm", "-cpu", "host",
	"-m", BOOT_RAM, "-smp", "1", "-nodefaults", "-no-user-config",
	"-display", "none", "-no-reboot", "-serial", "stdio",
	"-chardev", "file,id=mark,path=/proc/self/fd/3",
	"-device", "isa-debugcon,iobase=0xf5,chardev=mark",
	"-kernel", guest_kernel, "-initrd", GUEST_INITRD,
	"-append", BOOT_CMDLINE, NULL
};

/*
 * Figures 8a and 8b: the same guest kernel with virtio_blk over the same
 * image. QEMU's virtio-mmio is legacy (version 1) on microvm unless told
 * otherwise; vmw86-run's is modern (version 2), so QEMU's is made modern
 * too. QEMU reads the image through the page cache (cache=writeback, its
 * default; tmpfs has no O_DIRECT), as vmw86-run does with pread().
 */
static const char *const vmw86_run_disk_argv[] = {
	VMW86_RUN_PATH, "--kernel", guest_kernel, "--initrd", DISK_INITRD,
	"--memory", BOOT_RAM, "--cpus", "1", "--disk", DISK_IMAGE,
	"--cmdline", BOOT_CMDLINE, NULL
};

static const char *const qemu_disk_argv[] = {
	QEMU_PATH, "-machine", "microvm", "-accel", "kvm", "-cpu", "host",
	"-m", BOOT_RAM, "-smp", "1", "-nodefaults", "-no-user-config",
	"-display", "none", "-no-reboot", "-serial", "stdio",
	"-global", "virtio-mmio.force-legacy=false",
	"-drive", "id=disk0,file=" DISK_IMAGE ",format=raw,if=none",
	"-device", "virtio-blk-device,drive=disk0",
	"-kernel", guest_kernel, "-initrd", DISK_INITRD,
	"-append", BOOT_CMDLINE, NULL
};

/*
 * Figures 10a and 10b: QEMU's whole PC instead of microvm (-machine pc:
 * SeaBIOS, its linuxboot option ROM loading -kernel, QEMU's own PIC, APIC,
 * IOAPIC and PIT), from one binary, vmw86's build of QEMU (tools/qemu/),
 * with -accel vmw86 and with -accel kvm, the command lines alike but for
 * that. The guest and its port 0xf5 mark are figure 4's.
 */
#define QEMU_ACCEL_PATH		"/usr/bin/qemu-system-x86_64-vmw86"
#define QEMU_PC_ARGV(accel) {						\
	QEMU_ACCEL_PATH, "-machine", "pc", "-accel", accel, "-cpu", "max", \
	"-L", "/usr/share/qemu", "-m", BOOT_RAM, "-smp", "1",		\
	"-nodefaults", "-no-user-config", "-display", "none",		\
	"-no-reboot", "-serial", "stdio",				\
	"-chardev", "file,id=mark,path=/proc/self/fd/3",		\
	"-device", "isa-debugcon,iobase=0xf5,chardev=mark",		\
	"-kernel", guest_kernel, "-initrd", GUEST_INITRD,		\
	"-append", BOOT_CMDLINE, NULL }

static const char *const qemu_pc_vmw86_argv[] = QEMU_PC_ARGV("vmw86");
static const char *const qemu_pc_kvm_argv[] = QEMU_PC_ARGV("kvm");

/* One of a child's output pipes, read line by line. */
struct stream {
	int fd;			/* -1 once at end of file */
	char line[LINE_LEN];
	size_t len;
	char tail[TAIL_LINES][LINE_LEN];	/* the last lines, for errors */
	unsigned int lines;
};

/*
 * Figure 5f: a hypervisor's exit counters, by name: vmw86's statistics
 * fds ("exits", "exits_kernel_REASON", "exits_user_REASON"), KVM's
 * debugfs files ("exits", "io_exits", ...).
 */
#define EXIT_COUNTERS	48

struct exit_counts {
	bool ok;
	unsigned int n;
	char name[EXIT_COUNTERS][VMW86_STATS_NAME_SIZE];
	uint64_t value[EXIT_COUNTERS];
};

/* A launcher (or the program run directly) and what it said, and when. */
struct child {
	pid_t pid;
	int in_fd;		/* its standard input: the guest's keyboard */
	int mark_fd;		/* QEMU's isa-debugcon, or -1 */
	bool mark_on_stderr;	/* vmw86-run: its "boot time:" line */
	struct stream out, err;
	/* now_ns() of each event, 0 until it happens */
	uint64_t launch, mark, compute_start, compute_end;
	double compute_ns;
	/* The guest's timer interrupts before and after the program. */
	unsigned long irq0[2], loc[2];
	bool compute_ok, idle;
	/* 5e: the clock_gettime() loop after the program's computation */
	unsigned long clock_calls;
	double clock_ns;
	/* 8a, 8b: the guest's sequential MB/s and random 4 KiB IOPS */
	double disk_seq_mbs, disk_rand_iops;
	char clocksource[32];
	char paging[16];
	char cmdline[96];
	/* 5f: exit counters at compute-start and compute-end, if asked */
	bool count_exits, kvm;
	struct exit_counts exits[2];
};

/* @fd becomes @to in the child, without O_CLOEXEC. */
static void child_fd(int fd, int to)
{
	if (fd == to)
		fcntl(fd, F_SETFD, 0);
	else
		dup2(fd, to);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/*
 * Starts @argv with pipes for its standard input, output and error (and
 * with @mark, a pipe on its fd 3). Every pipe is O_CLOEXEC on our side, so
 * that a child does not hold another's pipes open.
 */
static int child_start(struct child *c, const char *const argv[], bool mark)
{
	int in[2], out[2], err[2], mk[2] = { -1, -1 };

	*c = (struct child){ .pid = -1, .in_fd = -1, .mark_fd = -1,
			     .out.fd = -1, .err.fd = -1 };
	if (pipe2(in, O_CLOEXEC))
		return fail("pipe");
	if (pipe2(out, O_CLOEXEC)) {
		close(in[0]);
		close(in[1]);
		return fail("pipe");
	}
	if (pipe2(err, O_CLOEXEC) || (mark && pipe2(mk, O_CLOEXEC))) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		return fail("pipe");
	}
	c->launch = now_ns();
	c->pid = fork();
	if (c->pid == 0) {
		child_fd(in[0], STDIN_FILENO);
		child_fd(out[1], STDOUT_FILENO);
		child_fd(err[1], STDERR_FILENO);
		if (mark)
			child_fd(mk[1], 3);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (mark)
		close(mk[1]);
	c->in_fd = in[1];
	c->out.fd = out[0];
	c->err.fd = err[0];
	c->mark_fd = mark ? mk[0] : -1;
	if (c->pid < 0) {
		fail("fork");
		close_fd(&c->in_fd);
		close_fd(&c->out.fd);
		close_fd(&c->err.fd);
		close_fd(&c->mark_fd);
		return -1;
	}
	return 0;
}

static void add_count(struct exit_counts *e, const char *name, uint64_t v)
{
	if (e->n == EXIT_COUNTERS)
		return;
	snprintf(e->name[e->n], sizeof(e->name[0]), "%s", name);
	e->value[e->n++] = v;
}

/* vmw86-run's VM counters: exits, and exits by reason. */
static void vmw86_exit_counts(pid_t pid, struct exit_counts *e)
{
	struct vmw86_stats_file files[1 + 4];
	char err[256];
	int n, vm = -1;

	n = vmw86_stats_open(pid, files, 5, err, sizeof(err));
	if (n < 0)
		return;
	for (int i = 0; i < n; i++)
		if (vmw86_stats_is_vm(&files[i]))
			vm = i;
	if (vm >= 0 && !vmw86_stats_sample(&files[vm])) {
		const struct vmw86_stats_file *f = &files[vm];

		for (unsigned int i = 0; i < f->n; i++)
			if (!strcmp(f->names[i], "exits") ||
			    !strncmp(f->names[i], "exits_kernel_", 13) ||
			    !strncmp(f->names[i], "exits_user_", 11))
				add_count(e, f->names[i], f->now[i]);
		e->ok = true;
	}
	vmw86_stats_close(files, n);
}

/*
 * QEMU's VM under KVM: KVM's debugfs directory of the VM, "PID-FD"
 * (virt/kvm/kvm_main.c), mounted here if it is not yet.
 */
static void kvm_exit_counts(pid_t pid, struct exit_counts *e)
{
	static const char *const names[] = {
		"exits", "io_exits", "mmio_exits", "irq_exits", "halt_exits",
		"irq_window_exits", "nmi_window_exits", "request_irq_exits",
		"signal_exits", "insn_emulation", "hypercalls",
	};
	char prefix[32], path[320];
	struct dirent *d;
	DIR *dir;

	dir = opendir("/sys/kernel/debug/kvm");
	if (!dir && !mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
		dir = opendir("/sys/kernel/debug/kvm");
	if (!dir)
		return;
	snprintf(prefix, sizeof(prefix), "%d-", pid);
	while ((d = readdir(dir)) && strncmp(d->d_name, prefix, strlen(prefix)))
		;
	for (unsigned int i = 0; d && i < ARRAY_SIZE(names); i++) {
		unsigned long long v;
		FILE *f;

		snprintf(path, sizeof(path), "/sys/kernel/debug/kvm/%s/%s",
			 d->d_name, names[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%llu", &v) == 1)
			add_count(e, names[i], v);
		fclose(f);
		e->ok = true;
	}
	closedir(dir);
}

static void read_exit_counts(struct child *c, struct exit_counts *e)
{
	memset(e, 0, sizeof(*e));
	if (!c->count_exits)
		return;
	if (c->kvm)
		kvm_exit_counts(c->pid, e);
	else
		vmw86_exit_counts(c->pid, e);
}

/* @name's growth from @a to @b, or -1 if either lacks it. */
static double exit_delta(const struct exit_counts *a,
			 const struct exit_counts *b, const char *name)
{
	for (unsigned int i = 0; i < a->n; i++)
		for (unsigned int j = 0; j < b->n; j++)
			if (!strcmp(a->name[i], name) &&
			    !strcmp(b->name[j], name))
				return (double)(b->value[j] - a->value[i]);
	return -1;
}

struct exit_rate {
	const char *name;
	double hz;
};

/* Busiest first, then by name. */
static int by_hz(const void *x, const void *y)
{
	const struct exit_rate *a = x, *b = y;

	if (a->hz != b->hz)
		return a->hz < b->hz ? 1 : -1;
	return strcmp(a->name, b->name);
}

/*
 * 5f: every exit per second during the program, and in a note the
 * busiest reasons: where the guest's time outside itself went.
 */
static void put_exit_counts(struct hv *hv, int round, const struct child *c,
			    double secs)
{
	const struct exit_counts *a = &c->exits[0], *b = &c->exits[1];
	struct exit_rate top[EXIT_COUNTERS];
	char text[400];
	unsigned int n = 0;
	size_t len;
	double all;

	if (!a->ok || !b->ok || secs <= 0)
		return;
	all = exit_delta(a, b, "exits");
	if (all < 0)
		return;
	put_sample(hv, "compute_exits_hz", round, all / secs);
	for (unsigned int i = 0; i < b->n; i++) {
		double d = exit_delta(a, b, b->name[i]);

		if (d <= 0 || !strcmp(b->name[i], "exits"))
			continue;
		top[n].name = b->name[i];
		top[n++].hz = d / secs;
	}
	/* A handful of the busiest is the story. */
	qsort(top, n, sizeof(top[0]), by_hz);
	len = snprintf(text, sizeof(text), "exits/s by reason:");
	for (unsigned int i = 0; i < n && i < 6 && len < sizeof(text); i++)
		len += snprintf(text + len, sizeof(text) - len, "%s %s %.1f",
				i ? "," : "", top[i].name, top[i].hz);
	put_note(hv, "compute_exits_hz", round, text);
}

/* "BENCH-GUEST ..." lines, from the guest's console or the program. */
static void child_guest_line(struct child *c, const char *line, uint64_t now)
{
	const char *p = strstr(line, "BENCH-GUEST ");

	if (!p)
		return;
	p += strlen("BENCH-GUEST ");
	if (!strncmp(p, "irq-before ", 11) ||
		   !strncmp(p, "irq-after ", 10)) {
		/* "irq-before LOC:   1234   Local timer interrupts" */
		int after = p[4] == 'a';
		const char *name = p + (after ? 10 : 11);
		const char *colon = strchr(name, ':');
		unsigned long n = colon ? strtoul(colon + 1, NULL, 10) : 0;

		if (!strncmp(name, "LOC:", 4))
			c->loc[after] = n;
		else if (!strncmp(name, "0:", 2))
			c->irq0[after] = n;
	} else if (!strcmp(p, "compute-start")) {
		c->compute_start = now;
		read_exit_counts(c, &c->exits[0]);
	} else if (!strncmp(p, "compute ", 8)) {
		const char *ns = strstr(p, " ns=");

		c->compute_end = now;
		read_exit_counts(c, &c->exits[1]);
		c->compute_ns = ns ? strtod(ns + 4, NULL) : 0;
		c->compute_ok = ns && strstr(p, " ok");
	} else if (!strncmp(p, "clock-read ", 11)) {
		/* "clock-read calls=N ns=T" */
		const char *calls = strstr(p, " calls="), *ns = strstr(p, " ns=");

		c->clock_calls = calls ? strtoul(calls + 7, NULL, 10) : 0;
		c->clock_ns = ns ? strtod(ns + 4, NULL) : 0;
	} else if (!strncmp(p, "clocksource=", 12)) {
		snprintf(c->clocksource, sizeof(c->clocksource), "%s", p + 12);
	} else if (!strncmp(p, "paging=", 7)) {
		snprintf(c->paging, sizeof(c->paging), "%s", p + 7);
	} else if (!strncmp(p, "cmdline=", 8)) {
		snprintf(c->cmdline, sizeof(c->cmdline), "%s", p + 8);
	} else if (!strcmp(p, "idle")) {
		c->idle = true;
	} else if (!strncmp(p, "disk-seq read: ", 15)) {
		/* "disk-seq read: N bytes in S s: X MB/s, Y IOPS" */
		const char *mbs = strstr(p, " s: ");

		c->disk_seq_mbs = mbs ? strtod(mbs + 4, NULL) : 0;
	} else if (!strncmp(p, "disk-rand read: ", 16)) {
		const char *iops = strstr(p, " MB/s, ");

		c->disk_rand_iops = iops ? strtod(iops + 7, NULL) : 0;
	}
}

static void child_line(struct child *c, struct stream *s, uint64_t now)
{
	snprintf(s->tail[s->lines++ % TAIL_LINES], LINE_LEN, "%s", s->line);
	if (s == &c->out)
		child_guest_line(c, s->line, now);
	else if (c->mark_on_stderr && !c->mark &&
		 strstr(s->line, "boot time:"))
		c->mark = now;
}

/* Reads what @s has; returns false at end of file. */
static bool stream_read(struct child *c, struct stream *s, uint64_t now)
{
	char buf[1024];
	ssize_t n, i;

	n = read(s->fd, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
		return true;
	if (n <= 0) {
		close_fd(&s->fd);
		return false;
	}
	for (i = 0; i < n; i++) {
		if (buf[i] == '\r')
			continue;
		if (buf[i] == '\n' || s->len == LINE_LEN - 1) {
			s->line[s->len] = 0;
			child_line(c, s, now);
			s->len = 0;
			if (buf[i] == '\n')
				continue;
		}
		s->line[s->len++] = buf[i];
	}
	return true;
}

/*
 * Reads the child's output until the guest is idle (@to_exit false) or
 * until every pipe is closed, that is, the child has gone (@to_exit true).
 * Whatever comes in is timed as it arrives: one poll() for all pipes, so
 * that neither launcher's marker waits behind the other pipe.
 */
static int child_pump(struct child *c, bool to_exit)
{
	uint64_t deadline = c->launch + BOOT_TIMEOUT_NS;

	for (;;) {
		struct pollfd pfd[3];
		int n = 0, i, rc;
		uint64_t now = now_ns();

		if (!to_exit && c->idle)
			return 0;
		if (c->out.fd < 0 && c->err.fd < 0 && c->mark_fd < 0) {
			if (to_exit)
				return 0;
			errno = EPIPE;
			snprintf(last_error, sizeof(last_error),
				 "the launcher closed its output before the guest was idle");
			return -1;
		}
		if (now >= deadline) {
			errno = ETIMEDOUT;
			snprintf(last_error, sizeof(last_error),
				 "no %s within %llu s of launch",
				 to_exit ? "exit" : "idle guest",
				 BOOT_TIMEOUT_NS / 1000000000ULL);
			return -1;
		}
		if (c->out.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->out.fd, .events = POLLIN };
		if (c->err.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->err.fd, .events = POLLIN };
		if (c->mark_fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->mark_fd, .events = POLLIN };
		rc = poll(pfd, n, (deadline - now) / 1000000 + 1);
		if (rc < 0 && errno != EINTR)
			return fail("poll");
		now = now_ns();
		for (i = 0; i < n && rc > 0; i++) {
			if (!pfd[i].revents)
				continue;
			if (pfd[i].fd == c->out.fd) {
				stream_read(c, &c->out, now);
			} else if (pfd[i].fd == c->err.fd) {
				stream_read(c, &c->err, now);
			} else {
				char buf[64];
				ssize_t len = read(c->mark_fd, buf, sizeof(buf));

				if (len > 0 && !c->mark)
					c->mark = now;
				if (len == 0 || (len < 0 && errno != EINTR))
					close_fd(&c->mark_fd);
			}
		}
	}
}

/* Reaps the child, killed first if @kill; returns its wait status. */
static int child_end(struct child *c, bool kill_it)
{
	int status = -1;

	if (c->pid > 0) {
		if (kill_it)
			kill(c->pid, SIGKILL);
		while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
			;
		c->pid = -1;
	}
	close_fd(&c->in_fd);
	close_fd(&c->out.fd);
	close_fd(&c->err.fd);
	close_fd(&c->mark_fd);
	return status;
}

/* The last lines a failed child printed, into the console log (not parsed). */
static void child_dump(struct hv *hv, struct child *c)
{
	struct stream *s;
	unsigned int i;

	for (s = &c->out; s; s = s == &c->out ? &c->err : NULL) {
		i = s->lines > TAIL_LINES ? s->lines - TAIL_LINES : 0;
		for (; i < s->lines; i++)
			printf("# %s %s| %s\n", hv->name,
			       s == &c->out ? "stdout" : "stderr",
			       s->tail[i % TAIL_LINES]);
	}
	fflush(stdout);
}

struct launcher_mem {
	double rss_kib;		/* resident, outside guest RAM */
	double anon_kib;	/* of which anonymous */
	double ram_kib;		/* resident guest RAM */
};

/*
 * The launcher's memory from /proc/PID/smaps (the whole process, all its
 * threads). Guest RAM is every mapping at least as large as the guest's
 * RAM: one anonymous mapping in both launchers, while nothing else they
 * map comes near 256 MiB (thread stacks are 8 MiB, glibc's arenas 64).
 */
static int launcher_mem(pid_t pid, struct launcher_mem *m)
{
	unsigned long start, end;
	char path[64], line[256];
	bool ram = false;
	FILE *f;
	long v;

	snprintf(path, sizeof(path), "/proc/%d/smaps", pid);
	f = fopen(path, "r");
	if (!f)
		return fail(path);
	*m = (struct launcher_mem){ 0 };
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			ram = end - start >= BOOT_RAM_MIB * MIB;
		else if (sscanf(line, "Rss: %ld kB", &v) == 1)
			*(ram ? &m->ram_kib : &m->rss_kib) += v;
		else if (!ram && sscanf(line, "Anonymous: %ld kB", &v) == 1)
			m->anon_kib += v;
	}
	fclose(f);
	return 0;
}

/*
 * 5c: the same program, run directly in the test machine; its time in
 * ns, or a negative value on failure.
 */
static double compute_native(struct hv *hv)
{
	static const char *const argv[] = { COMPUTE_PATH, NULL };
	struct child c;
	int status;

	if (child_start(&c, argv, false))
		return -1;
	close_fd(&c.in_fd);
	if (child_pump(&c, true)) {
		child_dump(hv, &c);
		child_end(&c, true);
		return -1;
	}
	status = child_end(&c, false);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !c.compute_ok) {
		child_dump(hv, &c);
		snprintf(last_error, sizeof(last_error),
			 "%s run directly: status 0x%x, %s", COMPUTE_PATH,
			 status, c.compute_ok ? "result ok" : "no or wrong result");
		return -1;
	}
	return c.compute_ns;
}

/* A VM created and closed: the other hypervisor has let go of SVM. */
static int svm_turn(struct hv *hv)
{
	struct vm vm;
	int r = vm_create(hv, &vm, SMALL_RAM, false);

	vm_destroy(&vm);
	return r;
}

/* The line on the guest's console that powers it off, and its end. */
static int guest_poweroff(struct child *c)
{
	if (write(c->in_fd, "\n", 1) != 1)
		return fail("write to the guest's console");
	return child_pump(c, true);
}

/*
 * 4, 5a-5e, 6e-6g: one boot of the guest under @hv's launcher, timed from
 * just before fork() to the guest's write to port 0xf5 as it reaches us
 * (vmw86-run's "boot time:" line on its standard error, printed as it
 * handles the write; QEMU's debugcon byte on fd 3, written as it handles
 * it). Then the program of figure 5 runs in the guest, which goes idle at
 * a shell's read; the launcher's memory is read then, and a line on the
 * guest's console powers it off. Then the program runs directly here.
 */
static void bench_boot(struct hv *hv, int round)
{
	bool qemu = hv == &hv_kvm;
	struct launcher_mem mem;
	double native_ns, outside_ns;
	char text[200];
	struct child c;
	int status;

	if (svm_turn(hv)) {
		put_error(hv, "boot_s", round);
		return;
	}

	if (child_start(&c, qemu ? qemu_argv : vmw86_run_argv, qemu))
		goto err;
	c.mark_on_stderr = !qemu;
	c.count_exits = true;
	c.kvm = qemu;
	if (child_pump(&c, false) || launcher_mem(c.pid, &mem))
		goto err_child;
	if (guest_poweroff(&c))
		goto err_child;
	status = child_end(&c, false);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		child_dump(hv, &c);
		snprintf(last_error, sizeof(last_error),
			 "the launcher ended with wait status 0x%x after the guest's poweroff",
			 status);
		goto err;
	}
	if (!c.mark || !c.compute_ok || !c.compute_start) {
		child_dump(hv, &c);
		snprintf(last_error, sizeof(last_error), "%s",
			 !c.mark ? "no write to port 0xf5 seen" :
			 "no or wrong result from the program in the guest");
		goto err;
	}

	put_sample(hv, "boot_s", round, (c.mark - c.launch) / 1e9);
	put_sample(hv, "compute_s", round, c.compute_ns / 1e9);
	put_sample(hv, "launcher_rss_mib", round, mem.rss_kib / 1024);
	put_sample(hv, "launcher_anon_mib", round, mem.anon_kib / 1024);
	put_sample(hv, "guest_ram_mib", round, mem.ram_kib / 1024);
	snprintf(text, sizeof(text),
		 "guest clocksource %s, %s paging, command line \"%s\"",
		 c.clocksource, c.paging, c.cmdline);
	put_note(hv, "compute_s", round, text);
	/*
	 * The guest's clock, checked against ours: the time between the
	 * program's two lines as they reach us (each a few UART exits).
	 */
	outside_ns = c.compute_end - c.compute_start;
	if (outside_ns > 0 && (c.compute_ns > outside_ns * 1.05 ||
			       c.compute_ns < outside_ns * 0.95)) {
		snprintf(text, sizeof(text),
			 "the guest's clock says %.3f s, the test machine's %.3f s",
			 c.compute_ns / 1e9, outside_ns / 1e9);
		put_note(hv, "compute_s", round, text);
	}

	if (c.clock_calls && c.clock_ns > 0)
		put_sample(hv, "clock_read_ns", round, c.clock_ns / c.clock_calls);

	if (outside_ns > 0 && (c.loc[1] || c.irq0[1]))
		put_sample(hv, "timer_hz", round,
			   (c.loc[1] - c.loc[0] + c.irq0[1] - c.irq0[0]) /
			   (outside_ns / 1e9));
	put_exit_counts(hv, round, &c, outside_ns / 1e9);

	native_ns = compute_native(hv);
	if (native_ns <= 0) {
		put_error(hv, "compute_native_s", round);
		return;
	}
	put_sample(hv, "compute_native_s", round, native_ns / 1e9);
	put_sample(hv, "compute_rel", round, c.compute_ns / native_ns);
	return;

err_child:
	child_dump(hv, &c);
	child_end(&c, true);
err:
	put_error(hv, "boot_s", round);
}

/*
 * 10a, 10b: one boot of figure 4's guest by QEMU on -machine pc, with
 * @hv's accelerator, timed as figure 4 (QEMU's debugcon byte on fd 3);
 * then the program of figure 5 in it, and a line powers it off.
 */
static void bench_qemu(struct hv *hv, int round)
{
	struct child c;
	int status;

	if (svm_turn(hv)) {
		put_error(hv, "qemu_boot_s", round);
		return;
	}

	if (child_start(&c, hv == &hv_kvm ? qemu_pc_kvm_argv : qemu_pc_vmw86_argv,
			true))
		goto err;
	if (child_pump(&c, false))
		goto err_child;
	if (guest_poweroff(&c))
		goto err_child;
	status = child_end(&c, false);
	if (!WIFEXITED(status) || WEXITSTATUS(status) || !c.mark ||
	    !c.compute_ok) {
		child_dump(hv, &c);
		snprintf(last_error, sizeof(last_error),
			 "QEMU -accel %s: wait status 0x%x, %s", hv->name, status,
			 !c.mark ? "no write to port 0xf5 seen" :
			 "no or wrong result from the program in the guest");
		goto err;
	}
	put_sample(hv, "qemu_boot_s", round, (c.mark - c.launch) / 1e9);
	put_sample(hv, "qemu_compute_s", round, c.compute_ns / 1e9);
	return;

err_child:
	child_dump(hv, &c);
	child_end(&c, true);
err:
	put_error(hv, "qemu_boot_s", round);
}

/* ------------------------------------------------------------------
 * Figure 9: a TCP stream from a guest, through each launcher's
 * virtio-net device and the same TAP, to a socket here.
 */

#define NET_TAP			"vmw86tap0"
#define NET_HOST_IP		"10.86.0.1"	/* the guest is 10.86.0.2 */
#define NET_PORT		5001
#define NET_BYTES		(8 * MIB)
#define NET_INITRD		"/tests/bench-net-guest.cpio.gz"
#define NET_CMDLINE		BOOT_CMDLINE " bench_net_bytes=8388608"
#define NET_MAC			"02:86:00:00:00:02"
#define TUN_KO			"/lib/modules/net/tun.ko"

static const char *const vmw86_run_net_argv[] = {
	VMW86_RUN_PATH, "--kernel", guest_kernel, "--initrd", NET_INITRD,
	"--memory", BOOT_RAM, "--cpus", "1",
	"--net", "tap=" NET_TAP ",mac=" NET_MAC,
	"--cmdline", NET_CMDLINE, NULL
};

/*
 * QEMU's virtio-net on microvm's virtio-mmio, found through the DSDT as
 * vmw86-run's is and modern like it (microvm's default is legacy), with
 * its defaults otherwise: the TAP with IFF_VNET_HDR, and the
 * checksum and segmentation offloads it negotiates with the guest
 * (vmw86-run offers none). No vhost: vhost_net is not loaded.
 */
static const char *const qemu_net_argv[] = {
	QEMU_PATH, "-machine", "microvm", "-accel", "kvm", "-cpu", "host",
	"-m", BOOT_RAM, "-smp", "1", "-nodefaults", "-no-user-config",
	"-display", "none", "-no-reboot", "-serial", "stdio",
	"-global", "virtio-mmio.force-legacy=false",
	"-netdev", "tap,id=net0,ifname=" NET_TAP ",script=no,downscript=no",
	"-device", "virtio-net-device,netdev=net0,mac=" NET_MAC,
	"-kernel", guest_kernel, "-initrd", NET_INITRD,
	"-append", NET_CMDLINE, NULL
};

static int net_listen_fd = -1;

static int net_ifreq(int sock, unsigned long req, struct ifreq *ifr,
		     const char *what)
{
	snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", NET_TAP);
	return ioctl(sock, req, ifr) ? fail(what) : 0;
}

/*
 * Once: tun.ko, a persistent TAP that both launchers attach to in turn
 * (its address stays while neither has it), 10.86.0.1/24 on it, and the
 * listening socket.
 */
static int net_setup(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr = { 0 };
	int fd, sock, one = 1;

	if (net_listen_fd >= 0)
		return 0;
	if (access("/dev/net/tun", F_OK)) {
		fd = open(TUN_KO, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return fail(TUN_KO);
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST) {
			close(fd);
			return fail("finit_module " TUN_KO);
		}
		close(fd);
	}
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return fail("/dev/net/tun");
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", NET_TAP);
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, 1)) {
		close(fd);
		return fail("TUNSETIFF/TUNSETPERSIST " NET_TAP);
	}
	close(fd);

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return fail("socket");
	memset(&ifr, 0, sizeof(ifr));
	inet_pton(AF_INET, NET_HOST_IP, &sin.sin_addr);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (net_ifreq(sock, SIOCSIFADDR, &ifr, "SIOCSIFADDR " NET_TAP))
		goto err;
	inet_pton(AF_INET, "255.255.255.0", &sin.sin_addr);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	if (net_ifreq(sock, SIOCSIFNETMASK, &ifr, "SIOCSIFNETMASK " NET_TAP) ||
	    net_ifreq(sock, SIOCGIFFLAGS, &ifr, "SIOCGIFFLAGS " NET_TAP))
		goto err;
	ifr.ifr_flags |= IFF_UP;
	if (net_ifreq(sock, SIOCSIFFLAGS, &ifr, "SIOCSIFFLAGS " NET_TAP))
		goto err;
	close(sock);

	sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return fail("socket");
	setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin.sin_port = htons(NET_PORT);
	inet_pton(AF_INET, NET_HOST_IP, &sin.sin_addr);
	if (bind(sock, (struct sockaddr *)&sin, sizeof(sin)) || listen(sock, 1)) {
		fail("bind/listen " NET_HOST_IP);
		goto err;
	}
	net_listen_fd = sock;
	return 0;
err:
	close(sock);
	return -1;
}

/* What the guest sent, and when its first and last bytes arrived. */
struct net_recv {
	int conn_fd;
	uint64_t bytes, first, last;
	bool done;
};

/*
 * Accepts the guest's connection and reads it to its end, while the
 * launcher's output is read too (a full pipe would stop the guest).
 */
static int net_receive(struct child *c, struct net_recv *r)
{
	uint64_t deadline = c->launch + BOOT_TIMEOUT_NS;
	static char buf[256 * 1024];

	*r = (struct net_recv){ .conn_fd = -1 };
	while (!r->done) {
		struct pollfd pfd[3];
		uint64_t now = now_ns();
		int n = 0, i, rc;
		ssize_t len;

		if (now >= deadline) {
			errno = ETIMEDOUT;
			snprintf(last_error, sizeof(last_error),
				 "%llu of %lu bytes from the guest within %llu s of launch",
				 (unsigned long long)r->bytes, NET_BYTES,
				 BOOT_TIMEOUT_NS / 1000000000ULL);
			goto err;
		}
		pfd[n++] = (struct pollfd){ .events = POLLIN,
			.fd = r->conn_fd >= 0 ? r->conn_fd : net_listen_fd };
		if (c->out.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->out.fd, .events = POLLIN };
		if (c->err.fd >= 0)
			pfd[n++] = (struct pollfd){ .fd = c->err.fd, .events = POLLIN };
		rc = poll(pfd, n, (deadline - now) / 1000000 + 1);
		if (rc < 0 && errno != EINTR) {
			fail("poll");
			goto err;
		}
		now = now_ns();
		for (i = 1; i < n && rc > 0; i++) {
			if (pfd[i].revents && pfd[i].fd == c->out.fd)
				stream_read(c, &c->out, now);
			else if (pfd[i].revents)
				stream_read(c, &c->err, now);
		}
		if (rc <= 0 || !pfd[0].revents)
			continue;
		if (r->conn_fd < 0) {
			r->conn_fd = accept4(net_listen_fd, NULL, NULL, SOCK_CLOEXEC);
			if (r->conn_fd < 0 && errno != EINTR) {
				fail("accept");
				goto err;
			}
			continue;
		}
		len = read(r->conn_fd, buf, sizeof(buf));
		if (len < 0 && errno == EINTR)
			continue;
		if (len < 0) {
			fail("read from the guest's connection");
			goto err;
		}
		if (!len) {
			r->done = true;
			break;
		}
		if (!r->bytes)
			r->first = now;
		r->bytes += len;
		r->last = now;
	}
	close_fd(&r->conn_fd);
	return 0;
err:
	close_fd(&r->conn_fd);
	return -1;
}

/*
 * 9: one guest under @hv's launcher sends NET_BYTES; the figure is their
 * size over the time from the first byte to the last as they reach this
 * socket (the connection's set-up and the guest's boot left out).
 */
static void bench_net(struct hv *hv, int round)
{
	bool qemu = hv == &hv_kvm;
	struct net_recv r;
	struct child c;
	int status;

	if (net_setup()) {
		put_error(hv, "net_tx_mib_s", round);
		return;
	}
	if (svm_turn(hv)) {
		put_error(hv, "net_tx_mib_s", round);
		return;
	}

	if (child_start(&c, qemu ? qemu_net_argv : vmw86_run_net_argv, false))
		goto err;
	if (net_receive(&c, &r) || child_pump(&c, true))
		goto err_child;
	status = child_end(&c, false);
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		child_dump(hv, &c);
		snprintf(last_error, sizeof(last_error),
			 "the launcher ended with wait status 0x%x after the guest's poweroff",
			 status);
		goto err;
	}
	if (r.bytes != NET_BYTES || r.last <= r.first) {
		child_dump(hv, &c);
		snprintf(last_error, sizeof(last_error),
			 "%llu bytes from the guest, not %lu",
			 (unsigned long long)r.bytes, NET_BYTES);
		goto err;
	}
	put_sample(hv, "net_tx_mib_s", round,
		   (double)r.bytes / MIB / ((r.last - r.first) / 1e9));
	return;

err_child:
	child_dump(hv, &c);
	child_end(&c, true);
err:
	put_error(hv, "net_tx_mib_s", round);
}

/*
 * The disk image of figures 8a and 8b: 64 MiB of a fixed pseudo-random
 * sequence (no runs of zeros a device or the page cache could skip),
 * written once per run.
 */
static int disk_image(void)
{
	static bool made;
	uint64_t *buf, x = 0x2545f4914f6cdd1dull;
	size_t i, off;
	int fd;

	if (made)
		return 0;
	buf = malloc(MIB);
	if (!buf)
		return fail("malloc");
	fd = open(DISK_IMAGE, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		free(buf);
		return fail(DISK_IMAGE);
	}
	for (off = 0; off < DISK_SIZE; off += MIB) {
		for (i = 0; i < MIB / sizeof(*buf); i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = x;
		}
		if (write(fd, buf, MIB) != (ssize_t)MIB) {
			close(fd);
			free(buf);
			return fail("write " DISK_IMAGE);
		}
	}
	close(fd);
	free(buf);
	made = true;
	return 0;
}

/*
 * 8a, 8b: one boot of the disk guest under @hv's launcher; the guest reads
 * the disk (bench/guest-disk-init) and powers off.
 */
static void bench_disk(struct hv *hv, int round)
{
	bool qemu = hv == &hv_kvm;
	struct child c;
	int status;

	if (svm_turn(hv)) {
		put_error(hv, "disk_seq_mbs", round);
		return;
	}

	if (disk_image())
		goto err;
	if (child_start(&c, qemu ? qemu_disk_argv : vmw86_run_disk_argv, false))
		goto err;
	close_fd(&c.in_fd);
	if (child_pump(&c, true)) {
		child_dump(hv, &c);
		child_end(&c, true);
		goto err;
	}
	status = child_end(&c, false);
	if (!WIFEXITED(status) || WEXITSTATUS(status) ||
	    c.disk_seq_mbs <= 0 || c.disk_rand_iops <= 0) {
		child_dump(hv, &c);
		snprintf(last_error, sizeof(last_error),
			 "the launcher ended with wait status 0x%x, %s", status,
			 c.disk_seq_mbs > 0 && c.disk_rand_iops > 0 ?
			 "figures read" : "no figures from the guest");
		goto err;
	}
	put_sample(hv, "disk_seq_mbs", round, c.disk_seq_mbs);
	put_sample(hv, "disk_rand_iops", round, c.disk_rand_iops);
	return;
err:
	put_error(hv, "disk_seq_mbs", round);
}

/*
 * What figures 4 to 6g, 8 and 9 need in the test machine (scripts/bench.sh packs
 * it); NULL if all is there, else the first thing missing.
 */
static const char *boot_missing(void)
{
	static const char *const need[] = {
		VMW86_RUN_PATH, QEMU_PATH, GUEST_INITRD, COMPUTE_PATH,
		guest_kernel, DISK_INITRD, NET_INITRD,
	};
	struct utsname u;
	size_t i;

	if (uname(&u))
		return "uname";
	snprintf(guest_kernel, sizeof(guest_kernel), "/boot/vmlinuz-%s",
		 u.release);
	for (i = 0; i < ARRAY_SIZE(need); i++)
		if (access(need[i], R_OK))
			return need[i];
	return NULL;
}

/* Groups that boot guests: the first thing they miss, or NULL; "" if none. */
static const char *group_missing(const char *group, const char *missing)
{
	if (!strcmp(group, "qemu"))
		return missing ? missing :
		       access(QEMU_ACCEL_PATH, X_OK) ? QEMU_ACCEL_PATH : NULL;
	if (!strcmp(group, "boot") || !strcmp(group, "disk") ||
	    !strcmp(group, "net"))
		return missing;
	return "";
}

/* ------------------------------------------------------------------
 * Rounds
 */

static const char *only;

static bool wanted(const char *group)
{
	const char *p = only;
	size_t len = strlen(group);

	if (!p || !*p)
		return true;
	while ((p = strstr(p, group))) {
		if ((p == only || p[-1] == ',') && (p[len] == ',' || !p[len]))
			return true;
		p += len;
	}
	return false;
}

/* The groups of figures, in the order they run in each round. */
static const struct {
	const char *name;
	void (*run)(struct hv *hv, int round);
} groups[] = {
	{ "io", bench_io },
	{ "cpuid", bench_cpuid },
	{ "touch", bench_touch_4k },
	{ "thp", bench_touch_thp },
	{ "kmem", bench_kmem },
	{ "churn", bench_churn },
	{ "alive", bench_alive },
	{ "boot", bench_boot },
	{ "disk", bench_disk },
	{ "net", bench_net },
	{ "qemu", bench_qemu },
};

/* The device fd and run mapping size; an open fd holds no SVM. */
static int hv_open(struct hv *hv)
{
	int size;

	hv->dev_fd = open(hv->path, O_RDWR | O_CLOEXEC);
	if (hv->dev_fd < 0)
		return fail(hv->path);
	size = ioctl(hv->dev_fd, hv->get_mmap_size, 0);
	if (size < 0)
		return fail("GET_VCPU_MMAP_SIZE");
	hv->run_size = size;
	return 0;
}

int main(void)
{
	const char *env = getenv("vmw86_bench_rounds");
	int rounds = env ? atoi(env) : 7;
	int boot_rounds;
	const char *missing = boot_missing();
	size_t i;

	only = getenv("vmw86_bench_only");
	if (rounds < 1)
		rounds = 1;
	env = getenv("vmw86_bench_boot_rounds");
	boot_rounds = env ? atoi(env) : 5;
	setvbuf(stdout, NULL, _IOLBF, 0);
	/* A launcher that dies must not take us with it on our next write. */
	signal(SIGPIPE, SIG_IGN);

	printf("VMW86-BENCH begin rounds=%d only=%s\n", rounds,
	       only && *only ? only : "all");
	/*
	 * Figures that cannot run here are listed as such rather than left
	 * out: a test machine without the launcher or QEMU (another packer).
	 */
	for (i = 0; i < ARRAY_SIZE(figures); i++) {
		if (!wanted(figures[i].group))
			continue;
		const char *m = group_missing(figures[i].group, missing);

		if (m && *m)
			printf("VMW86-BENCH later %s not measured: %s (%s) missing\n",
			       figures[i].id, figures[i].title, m);
		else
			printf("VMW86-BENCH figure %s %s %s %s %s\n",
			       figures[i].id, figures[i].key, figures[i].better,
			       figures[i].unit, figures[i].title);
	}

	if (hv_open(&hv_vmw86) || hv_open(&hv_kvm)) {
		printf("VMW86-BENCH error - open 0 %s\n", last_error);
		return 1;
	}

	/*
	 * Round 0 is a warm-up, printed but not counted (report.awk): the
	 * first round of a boot ran up to 60% slower for whichever
	 * hypervisor went first, while QEMU translated the code paths for
	 * the first time. Each group's figures return with all their VMs
	 * closed, which is the other hypervisor's turn. Guests boot in the
	 * first boot_rounds rounds only: each takes tens of seconds here.
	 */
	for (int round = 0; round <= rounds; round++) {
		struct hv *first = round % 2 ? &hv_vmw86 : &hv_kvm;
		struct hv *second = round % 2 ? &hv_kvm : &hv_vmw86;

		printf("VMW86-BENCH round %d %s-first\n", round, first->name);
		for (i = 0; i < ARRAY_SIZE(groups); i++) {
			/* "" for a group that boots no guest. */
			const char *m = group_missing(groups[i].name, missing);
			bool boot = !m || *m;

			if (!wanted(groups[i].name) ||
			    (boot && (m || round > boot_rounds)))
				continue;
			groups[i].run(first, round);
			groups[i].run(second, round);
		}
	}
	for (i = 0; i < 2; i++) {
		struct hv *hv = i ? &hv_kvm : &hv_vmw86;
		char text[64];

		if (!hv->busy_waits)
			continue;
		snprintf(text, sizeof(text), "waited %d ms in all for SVM",
			 hv->busy_waits * BUSY_WAIT_US / 1000);
		printf("VMW86-BENCH note %s svm all %s\n", hv->name, text);
	}
	printf("VMW86-BENCH end\n");
	return 0;
}
