// SPDX-License-Identifier: GPL-2.0
/*
 * The VM: /dev/vmw86, guest RAM, the CPUID tables, one thread per vCPU and
 * the device thread.
 *
 * vCPU threads run VMW86_RUN and dispatch port and MMIO exits to the
 * devices. The device thread (the main thread) sleeps in ppoll() on a
 * timerfd armed for the PIT's next event, on standard input for the UART
 * and on an eventfd; it raises the devices' interrupts while the vCPUs run
 * or sleep in the kernel. An interrupt reaches a vCPU in one of two ways:
 *
 * - through the IOAPIC (hw/ioapic.c), as VMW86_SIGNAL_MSI, which any thread
 *   may call and which wakes the target vCPU inside the kernel: only with
 *   the in-kernel local APICs (VMW86_CAP_LAPIC);
 * - through the 8259 (hw/pic.c), as VMW86_INTERRUPT, which is a vCPU ioctl
 *   and so must come from vCPU 0's own thread: the raiser kicks that
 *   thread (vcpu__kick), which injects before it enters the guest again.
 *
 * A kick is a signal whose handler sets the thread's
 * vmw86_run.immediate_exit, so VMW86_RUN returns EINTR whether the signal
 * lands before the ioctl or inside it (the KVM "kick" that kvmtool and
 * QEMU use), plus an eventfd write for a vCPU that waits out a HLT in user
 * space (no in-kernel APIC: then HLT exits). Stopping the VM is a kick of
 * every vCPU and of the device thread, which joins the vCPU threads.
 *
 * With --gdb a third kind of thread, the gdb stub's (gdbstub.c), holds the
 * vCPUs with the same kick: each parks at the top of its loop, before it
 * enters the guest, until the stub lets it go.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/timerfd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#include "vmw86-run.h"

#define KICK_SIGNAL	SIGUSR1
#define RFLAGS_IF	0x200

static pthread_mutex_t platform_mutex = PTHREAD_MUTEX_INITIALIZER;
/*
 * vCPU threads pass this twice: once when they have started (glibc's
 * start-up makes system calls the sandbox does not allow: rseq,
 * set_robust_list), once when the device thread has entered the sandbox
 * (sandbox.c), so that no guest instruction runs outside it.
 */
static pthread_barrier_t start_barrier;
static struct vm *platform_vm;		/* for the device hooks below */
static __thread struct vmw86_run *this_run;	/* the kick handler's target */

/*
 * Whether this thread holds the platform lock: code that any thread may
 * call (virtio's interrupts) takes the lock only when its caller has not.
 */
static __thread bool platform_lock_held;

void platform__lock(void)
{
	pthread_mutex_lock(&platform_mutex);
	platform_lock_held = true;
}

void platform__unlock(void)
{
	platform_lock_held = false;
	pthread_mutex_unlock(&platform_mutex);
}

bool platform__held(void)
{
	return platform_lock_held;
}

void platform__cond_wait(pthread_cond_t *cond)
{
	platform_lock_held = false;
	pthread_cond_wait(cond, &platform_mutex);
	platform_lock_held = true;
}

void *vm__gpa_to_hva(const struct vm *vm, u64 gpa, u64 len)
{
	u64 low_end = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	u64 high_size = vm->ram_size - low_end;

	/* Written so that no sum can wrap: the guest chooses gpa and len. */
	if (gpa <= low_end && len <= low_end - gpa)
		return vm->ram + gpa;
	if (gpa >= HIGH_RAM_START && gpa - HIGH_RAM_START <= high_size &&
	    len <= high_size - (gpa - HIGH_RAM_START))
		return vm->ram + low_end + (gpa - HIGH_RAM_START);
	return NULL;
}

static bool vm_done(const struct vm *vm)
{
	return __atomic_load_n(&vm->done, __ATOMIC_ACQUIRE);
}

bool vm__done(const struct vm *vm)
{
	return vm_done(vm);
}

static void kick_handler(int sig)
{
	(void)sig;
	if (this_run)
		this_run->immediate_exit = 1;
}

static void eventfd_signal(int fd)
{
	u64 one = 1;
	ssize_t n;

	do {
		n = write(fd, &one, sizeof(one));
	} while (n < 0 && errno == EINTR);
}

static void eventfd_drain(int fd)
{
	u64 v;

	while (read(fd, &v, sizeof(v)) < 0 && errno == EINTR)
		;
}

/* Makes @vcpu's thread leave the guest (or its HLT) and look again. */
void vcpu__kick(struct vcpu *vcpu)
{
	eventfd_signal(vcpu->wake_fd);
	if (vcpu->thread)
		pthread_kill(vcpu->thread, KICK_SIGNAL);
}

void vm__pic_changed(void)
{
	if (pic__pending_vector() >= 0)
		vcpu__kick(&platform_vm->vcpus[0]);
}

void vm__wake_events(void)
{
	eventfd_signal(platform_vm->event_fd);
}

void vm__timer_changed(void)
{
	struct itimerspec its = { 0 };
	u64 when = pit__next_event();

	if (when != UINT64_MAX) {
		/* 0 would disarm; any time in the past fires at once. */
		if (!when)
			when = 1;
		its.it_value.tv_sec = when / 1000000000ULL;
		its.it_value.tv_nsec = when % 1000000000ULL;
	}
	timerfd_settime(platform_vm->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

void vm__stop(struct vm *vm, int status, const char *why)
{
	int expected = 0;
	unsigned int i;

	if (!__atomic_compare_exchange_n(&vm->done, &expected, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		return;
	vm->exit_status = status;
	pr_debug("stopping: %s", why);
	for (i = 0; i < vm->cpus; i++)
		vcpu__kick(&vm->vcpus[i]);
	eventfd_signal(vm->event_fd);
	gdb__vm_stopped(vm);	/* vCPUs parked for gdb, and the stub */
}

/*
 * Topology as --cpus asks: one package of @cpus cores, one thread each,
 * APIC ID = vCPU id. @shift is the width of the core field of the APIC ID.
 */
static void cpuid_topology(struct vmw86_cpuid_entry *e, unsigned int id,
			   unsigned int cpus, unsigned int shift)
{
	switch (e->function) {
	case 1:
		/* EBX[23:16]: addressable logical processor IDs (SDM vol. 2A,
		 * CPUID leaf 1; APM vol. 3, E.3.2); EDX bit 28 (HTT) says the
		 * field is valid. */
		e->ebx = (e->ebx & 0x0000ffff) | id << 24 |
			 (cpus > 1 ? (1u << shift) << 16 : 0);
		if (cpus > 1)
			e->edx |= 1u << 28;
		else
			e->edx &= ~(1u << 28);
		break;
	case 4:
		/* EAX[31:26]: cores per package - 1; [25:14]: threads sharing
		 * this cache - 1 (SDM vol. 2A, leaf 4). Reserved on AMD. */
		if (e->eax & 0x1f)
			e->eax = (e->eax & 0x3fff) |
				 ((1u << shift) - 1) << 26 |
				 (((e->eax >> 5 & 7) >= 3 ? (1u << shift) - 1 : 0) << 14);
		break;
	case 0xb:
		/* Extended topology (SDM vol. 2A, leaf 0BH): SMT, then core. */
		e->edx = id;
		if (e->index == 0) {
			e->eax = 0;
			e->ebx = 1;
			e->ecx = 1u << 8 | 0;
		} else if (e->index == 1) {
			e->eax = shift;
			e->ebx = cpus;
			e->ecx = 2u << 8 | 1;
		} else {
			e->eax = 0;
			e->ebx = 0;
			e->ecx = e->index & 0xff;
		}
		break;
	case 0x80000001:
		/* ECX bit 1 CmpLegacy: HTT counts cores (APM vol. 3, E.4.2). */
		if (cpus > 1)
			e->ecx |= 1u << 1;
		else
			e->ecx &= ~(1u << 1);
		break;
	case 0x80000008:
		/* ECX: NC = cores - 1, ApicIdSize (APM vol. 3, E.4.7). */
		e->ecx = (e->ecx & ~0xf0ffu) | shift << 12 | (cpus - 1);
		break;
	}
}

static void vm__set_cpuid(struct vm *vm, struct vcpu *vcpu)
{
	size_t sz = sizeof(struct vmw86_cpuid) +
		    VMW86_MAX_CPUID_ENTRIES * sizeof(struct vmw86_cpuid_entry);
	struct vmw86_cpuid *cpuid = calloc(1, sz);
	/* Not APIC, MTRR: vmw86 does not keep their MSRs (MCE, MCA: it does). */
	u32 edx_hide = 1u << 12;
	unsigned int shift = 0;
	u32 i;

	if (!cpuid)
		die(EXIT_VMERROR, "out of memory for the CPUID table");
	while ((1u << shift) < vm->cpus)
		shift++;
	if (!vm->has_lapic)
		edx_hide |= 1u << 9;
	cpuid->nent = VMW86_MAX_CPUID_ENTRIES;
	if (ioctl(vm->dev_fd, VMW86_GET_SUPPORTED_CPUID, cpuid) < 0)
		die(EXIT_VMERROR, "VMW86_GET_SUPPORTED_CPUID: %s", strerror(errno));
	for (i = 0; i < cpuid->nent; i++) {
		struct vmw86_cpuid_entry *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			e->edx &= ~edx_hide;
			/*
			 * With the in-kernel APIC the APIC bit is ours to
			 * set. x2APIC (ECX 21) and TSC-deadline (ECX 24) stay
			 * as VMW86_GET_SUPPORTED_CPUID offers them; without
			 * the APIC there is neither.
			 */
			if (vm->has_lapic)
				e->edx |= 1u << 9;
			else
				e->ecx &= ~((1u << 21) | (1u << 24));
			break;
		case 0x80000001:
			/* AMD mirrors APIC and MTRR here. */
			e->edx &= ~edx_hide;
			if (vm->has_lapic)
				e->edx |= 1u << 9;
			break;
		}
		cpuid_topology(e, vcpu->id, vm->cpus, shift);
	}
	if (ioctl(vcpu->fd, VMW86_SET_CPUID, cpuid) < 0)
		die(EXIT_VMERROR, "vCPU %u: VMW86_SET_CPUID (%u entries): %s",
		    vcpu->id, cpuid->nent, strerror(errno));
	free(cpuid);
}

static void vm__set_slot(struct vm *vm, u32 slot, u64 gpa, u64 size, u8 *hva)
{
	struct vmw86_memory_region r = {
		.slot = slot, .guest_phys_addr = gpa, .memory_size = size,
		.userspace_addr = (u64)(unsigned long)hva,
	};

	if (ioctl(vm->vm_fd, VMW86_SET_MEMORY_REGION, &r) < 0)
		die(EXIT_VMERROR, "VMW86_SET_MEMORY_REGION slot %u (GPA 0x%llx, %llu MiB): %s",
		    slot, (unsigned long long)gpa,
		    (unsigned long long)size / MiB, strerror(errno));
}

static void vm__create_vcpu(struct vm *vm, struct vcpu *vcpu, unsigned int id)
{
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->vm_fd, VMW86_CREATE_VCPU, id);
	if (vcpu->fd < 0)
		die(EXIT_VMERROR, "VMW86_CREATE_VCPU %u: %s", id, strerror(errno));
	/* Held open only to be found (vmw86-stat); -1 from an older module. */
	vcpu->stats_fd = ioctl(vcpu->fd, VMW86_GET_STATS_FD, 0);
	vcpu->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED)
		die(EXIT_VMERROR, "vCPU %u: mmap of the run structure: %s", id,
		    strerror(errno));
	vcpu->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vcpu->wake_fd < 0)
		die(EXIT_VMERROR, "eventfd: %s", strerror(errno));
	vm__set_cpuid(vm, vcpu);
}

/*
 * Guest RAM between two guard areas that nothing may touch: a device that
 * read or wrote past either end of guest RAM (whose addresses and lengths
 * the guest chooses, and vm__gpa_to_hva() checks) faults there instead of
 * reaching the launcher's other memory, and in the sanitizer build
 * (vmw86-run-asan, for vmw86_run_vqfuzz) the guards are poisoned too, so
 * that ASan reports the access, also from a system call it intercepts
 * (preadv, getrandom), with its stack. They cost address space only.
 */
#define RAM_GUARD	(2 * MiB)

static u8 *map_guest_ram(u64 size)
{
	u8 *area = mmap(NULL, size + 2 * RAM_GUARD, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	u8 *ram = area + RAM_GUARD;

	if (area == MAP_FAILED)
		return NULL;
	if (mprotect(area, RAM_GUARD, PROT_NONE) ||
	    mprotect(ram + size, RAM_GUARD, PROT_NONE))
		return NULL;
#ifdef __SANITIZE_ADDRESS__
	ASAN_POISON_MEMORY_REGION(area, RAM_GUARD);
	ASAN_POISON_MEMORY_REGION(ram + size, RAM_GUARD);
#endif
	return ram;
}

/* The devices' descriptors, from PLATFORM_DEVICE() (vmw86-run.h). */
static void platform_devices_init(struct vm *vm)
{
	const struct platform_device *const *d;

	for (d = __start_vmw86_platform_devices;
	     d < __stop_vmw86_platform_devices; d++) {
		pr_debug("device %s", (*d)->name);
		(*d)->init(vm);
	}
}

void vm__init(struct vm *vm, const struct options *opt)
{
	int max_vcpus, phys_bits, mmap_size;
	unsigned int i;
	u64 top;

	vm->dev_fd = open("/dev/vmw86", O_RDWR | O_CLOEXEC);
	if (vm->dev_fd < 0)
		die(EXIT_BADINPUT, "/dev/vmw86: %s (is vmw86.ko loaded?)", strerror(errno));
	if (ioctl(vm->dev_fd, VMW86_GET_API_VERSION, 0) != VMW86_API_VERSION)
		die(EXIT_BADINPUT, "/dev/vmw86: API version %d, this launcher speaks %d",
		    ioctl(vm->dev_fd, VMW86_GET_API_VERSION, 0), VMW86_API_VERSION);
	if (vm->gdb)
		gdb__check_module(vm);

	max_vcpus = ioctl(vm->dev_fd, VMW86_CHECK_EXTENSION, VMW86_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && opt->cpus > (unsigned int)max_vcpus)
		die(EXIT_BADINPUT, "--cpus %u: vmw86 runs at most %d vCPUs per VM",
		    opt->cpus, max_vcpus);
	/* The MADT's APIC IDs and processor UIDs are one byte each. */
	if (opt->cpus > 255)
		die(EXIT_BADINPUT, "--cpus %u: at most 255 vCPUs fit the xAPIC platform",
		    opt->cpus);
	vm->has_lapic = ioctl(vm->dev_fd, VMW86_CHECK_EXTENSION, VMW86_CAP_LAPIC) > 0;
	/* Without local APICs there are no IPIs, so no way to start an AP. */
	if (opt->cpus > 1 && !vm->has_lapic)
		die(EXIT_BADINPUT, "--cpus %u: more than one vCPU needs vmw86's local APIC (VMW86_CAP_LAPIC), which this module does not have",
		    opt->cpus);

	phys_bits = ioctl(vm->dev_fd, VMW86_CHECK_EXTENSION, VMW86_CAP_GUEST_PHYS_BITS);
	top = opt->mem_size <= LOW_RAM_END ? opt->mem_size :
	      HIGH_RAM_START + opt->mem_size - LOW_RAM_END;
	if (phys_bits > 0 && phys_bits < 64 && top > (1ULL << phys_bits))
		die(EXIT_BADINPUT, "--memory %llu MiB: guest RAM would end at GPA 0x%llx, above the %d-bit guest physical address space",
		    (unsigned long long)opt->mem_size / MiB,
		    (unsigned long long)top, phys_bits);

	vm->ram_size = opt->mem_size;
	vm->cpus = opt->cpus;
	vm->ram = map_guest_ram(vm->ram_size);
	if (!vm->ram)
		die(EXIT_BADINPUT, "--memory %llu MiB: the host cannot map it: %s",
		    (unsigned long long)opt->mem_size / MiB, strerror(errno));
	madvise(vm->ram, vm->ram_size, MADV_MERGEABLE);

	vm->vm_fd = ioctl(vm->dev_fd, VMW86_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die(EXIT_VMERROR, "VMW86_CREATE_VM: %s%s", strerror(errno),
		    errno == EBUSY ? " (another hypervisor, e.g. kvm-amd, has SVM)" : "");
	/*
	 * vmw86-stat reads a launcher's counters through the statistics fds
	 * it finds in /proc/PID/fd (the VM fd itself is useless to another
	 * process): keep them open for the life of the VM.
	 */
	vm->stats_fd = ioctl(vm->vm_fd, VMW86_GET_STATS_FD, 0);
	if (vm->ram_size <= LOW_RAM_END) {
		vm__set_slot(vm, 0, 0, vm->ram_size, vm->ram);
	} else {
		vm__set_slot(vm, 0, 0, LOW_RAM_END, vm->ram);
		vm__set_slot(vm, 1, HIGH_RAM_START, vm->ram_size - LOW_RAM_END,
			     vm->ram + LOW_RAM_END);
	}
	/* The APICs must exist before the first vCPU (api: VMW86_CREATE_LAPIC). */
	if (vm->has_lapic && ioctl(vm->vm_fd, VMW86_CREATE_LAPIC, 0) < 0)
		die(EXIT_VMERROR, "VMW86_CREATE_LAPIC: %s", strerror(errno));

	mmap_size = ioctl(vm->dev_fd, VMW86_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		die(EXIT_VMERROR, "VMW86_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = mmap_size;
	vm->vcpus = calloc(vm->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		die(EXIT_VMERROR, "out of memory for %u vCPUs", vm->cpus);
	for (i = 0; i < vm->cpus; i++)
		vm__create_vcpu(vm, &vm->vcpus[i], i);

	vm->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (vm->event_fd < 0 || vm->timer_fd < 0)
		die(EXIT_VMERROR, "eventfd/timerfd: %s", strerror(errno));
	platform_vm = vm;

	platform_devices_init(vm);
	pr_debug("%u vCPU%s, local APIC %s", vm->cpus, vm->cpus > 1 ? "s" : "",
		 vm->has_lapic ? "in vmw86 (HLT sleeps in the kernel)" :
		 "absent (older module: HLT exits, PIC only)");
}

static void vcpu__diagnose(struct vcpu *vcpu, const char *what)
{
	struct vmw86_regs *r = &vcpu->run->regs;

	fflush(stdout);
	fprintf(stderr, "vmw86-run: vCPU %u: %s at RIP 0x%llx (RSP 0x%llx, RFLAGS 0x%llx)\n",
		vcpu->id, what, (unsigned long long)r->rip,
		(unsigned long long)r->rsp, (unsigned long long)r->rflags);
}

static void vcpu__handle_io(struct vcpu *vcpu)
{
	struct vmw86_run *run = vcpu->run;
	u8 *data = (u8 *)run + run->io.data_offset;
	bool is_write = run->io.direction == VMW86_EXIT_IO_OUT;
	u32 i;

	platform__lock();
	for (i = 0; i < run->io.count; i++)
		ioport__access(vcpu->vm, run->io.port, data + i * run->io.size,
			       run->io.size, is_write);
	platform__unlock();
}

/*
 * HLT, without the in-kernel APIC (only then does it exit): wait until
 * the PIC has an interrupt, the VM stops, or anything kicks us. Return an
 * exit status when the guest can never run again, else -1.
 */
static int vcpu__halt(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct pollfd pfd = { .fd = vcpu->wake_fd, .events = POLLIN };
	bool pending, stuck;

	if (!(vcpu->run->regs.rflags & RFLAGS_IF)) {
		pr_info("guest halted with interrupts disabled: stopped for good");
		return EXIT_POWEROFF;
	}
	for (;;) {
		platform__lock();
		pending = pic__pending_vector() >= 0;
		stuck = pit__next_event() == UINT64_MAX && serial__input_fd() < 0;
		platform__unlock();
		if (pending || vm_done(vm))
			return -1;
		if (stuck) {
			pr_info("guest halted with no timer armed and no device to wake it");
			return EXIT_POWEROFF;
		}
		poll(&pfd, 1, -1);
		eventfd_drain(vcpu->wake_fd);
		/* Whatever kicked us is looked at now, not by an EINTR later. */
		vcpu->run->immediate_exit = 0;
	}
}

/*
 * Delivers the PIC's interrupt to vCPU 0.
 *
 * Without APICs: when the guest can take it, else ask vmw86 for the
 * interrupt window (api.rst, VMW86_INTERRUPT).
 *
 * With them the 8259's output is LINT0, which the guest may have masked,
 * and vmw86 then refuses the vector with EBUSY, as it does while an earlier
 * one is queued. The window cannot help there (it opens with the guest's
 * RFLAGS.IF, whatever LINT0 says, so asking for it would stop the guest in
 * a loop of window exits): the vector is queued whenever vmw86 takes it,
 * and otherwise tried again after the next exit or kick. vmw86 injects a
 * queued vector as soon as the guest can take it.
 */
static void vcpu__inject_pic(struct vcpu *vcpu)
{
	struct vmw86_run *run = vcpu->run;
	struct vmw86_interrupt irq = { 0 };
	bool lapic = vcpu->vm->has_lapic;
	int vec;

	platform__lock();
	run->request_interrupt_window = 0;
	vec = pic__pending_vector();
	if (vec < 0)
		goto out;
	if (vec < 32) {
		/* An unprogrammed PIC's vectors are exceptions: drop it. */
		pr_debug("PIC vector %d below 32 dropped", vec);
		pic__ack();
		goto out;
	}
	if (!lapic && !run->ready_for_interrupt_injection) {
		run->request_interrupt_window = 1;
		goto out;
	}
	irq.vector = vec;
	if (ioctl(vcpu->fd, VMW86_INTERRUPT, &irq) < 0) {
		if (errno != EBUSY)
			die(EXIT_VMERROR, "VMW86_INTERRUPT vector %d: %s", vec,
			    strerror(errno));
		run->request_interrupt_window = !lapic;
		goto out;
	}
	pic__ack();
	run->request_interrupt_window = !lapic && pic__pending_vector() >= 0;
out:
	platform__unlock();
}

/*
 * What one guest PIT read costs, seen from here: the time between two
 * consecutive exits that are both reads of port 0x42 or 0x61, the loops of
 * Linux's TSC calibration (arch/x86/kernel/tsc.c). That loop needs a read
 * every 10 µs or faster; --boot-time reports the figure so that a failed
 * calibration can be told apart from a slow machine.
 */
static void vcpu__time_pit_read(struct vcpu *vcpu, u64 now)
{
	struct vmw86_run *run = vcpu->run;
	bool pit = run->exit_reason == VMW86_EXIT_IO &&
		   run->io.direction == VMW86_EXIT_IO_IN &&
		   (run->io.port == 0x42 || run->io.port == 0x61);

	if (pit && vcpu->last_pit_read_ns) {
		__atomic_add_fetch(&vcpu->vm->pit_read_ns,
				   now - vcpu->last_pit_read_ns, __ATOMIC_RELAXED);
		__atomic_add_fetch(&vcpu->vm->pit_reads, 1, __ATOMIC_RELAXED);
	}
	vcpu->last_pit_read_ns = pit ? now : 0;
}

/* Runs one vCPU until the VM stops; returns an exit status, or -1. */
static int vcpu__loop(struct vcpu *vcpu)
{
	struct vm *vm = vcpu->vm;
	struct vmw86_run *run = vcpu->run;
	char buf[200];
	int rc;

	/* Before the first entry, nothing can be injected yet. */
	run->ready_for_interrupt_injection = 0;
	for (;;) {
		/* Where gdb's stop holds the vCPU: nothing half done. */
		gdb__vcpu_pause_point(vcpu);
		if (vm_done(vm))
			return -1;
		if (vcpu->id == 0)
			vcpu__inject_pic(vcpu);

		rc = ioctl(vcpu->fd, VMW86_RUN, 0);
		run->immediate_exit = 0;
		if (rc < 0 && errno != EINTR && errno != EAGAIN) {
			if (errno == EFAULT && run->exit_reason == VMW86_EXIT_MEMORY_FAULT)
				snprintf(buf, sizeof(buf), "guest memory fault at GPA 0x%llx",
					 (unsigned long long)run->memory_fault.gpa);
			else
				snprintf(buf, sizeof(buf), "VMW86_RUN failed: %s (exit reason %u)",
					 strerror(errno), run->exit_reason);
			vcpu__diagnose(vcpu, buf);
			return EXIT_VMERROR;
		}
		if (rc < 0)
			continue;	/* a kick: look at the PIC and at done */
		if (vm->boot_time)
			vcpu__time_pit_read(vcpu, now_ns());

		switch (run->exit_reason) {
		case VMW86_EXIT_IO:
			vcpu__handle_io(vcpu);
			break;
		case VMW86_EXIT_MMIO:
			if (mmio__handle(vcpu))
				return EXIT_VMERROR;
			gdb__vcpu_user_step(vcpu);
			break;
		case VMW86_EXIT_HLT:
			rc = vcpu__halt(vcpu);
			if (rc >= 0)
				return rc;
			break;
		case VMW86_EXIT_IRQ_WINDOW_OPEN:
		case VMW86_EXIT_INTR:
			break;
		case VMW86_EXIT_SHUTDOWN:
			/*
			 * vmw86 resets the vCPU before this exit reaches us;
			 * shutdown.rip and .cr3 are where the guest died.
			 */
			fflush(stdout);
			fprintf(stderr, "vmw86-run: vCPU %u: guest triple fault (VMW86_EXIT_SHUTDOWN) at RIP 0x%llx (CR3 0x%llx; previous exit %u at RIP 0x%llx)\n",
				vcpu->id, (unsigned long long)run->shutdown.rip,
				(unsigned long long)run->shutdown.cr3,
				vcpu->last_exit, (unsigned long long)vcpu->last_rip);
			return EXIT_TRIPLE;
		case VMW86_EXIT_FAIL_ENTRY:
			snprintf(buf, sizeof(buf), "VMRUN refused the guest state (fail entry, hardware exit reason 0x%llx)",
				 (unsigned long long)run->fail_entry.hardware_exit_reason);
			vcpu__diagnose(vcpu, buf);
			return EXIT_VMERROR;
		case VMW86_EXIT_INTERNAL_ERROR:
			snprintf(buf, sizeof(buf), "vmw86 internal error, suberror %u, data[0] 0x%llx",
				 run->internal.suberror,
				 (unsigned long long)(run->internal.ndata ?
						      run->internal.data[0] : 0));
			vcpu__diagnose(vcpu, buf);
			return EXIT_VMERROR;
		case VMW86_EXIT_DEBUG:
			if (vm->gdb) {
				gdb__vcpu_debug_exit(vcpu);
				break;
			}
			vcpu__diagnose(vcpu, "debug exit (VMW86_EXIT_DEBUG) without --gdb");
			return EXIT_VMERROR;
		case VMW86_EXIT_VMMCALL:
			pr_debug("VMMCALL rax=0x%llx ignored",
				 (unsigned long long)run->regs.rax);
			break;
		default:
			snprintf(buf, sizeof(buf), "unexpected exit reason %u",
				 run->exit_reason);
			vcpu__diagnose(vcpu, buf);
			return EXIT_VMERROR;
		}
		vcpu->last_exit = run->exit_reason;
		vcpu->last_rip = run->regs.rip;
	}
}

void vm__thread_started(void)
{
	pthread_barrier_wait(&start_barrier);
	pthread_barrier_wait(&start_barrier);
}

static void *vcpu__thread(void *arg)
{
	struct vcpu *vcpu = arg;
	sigset_t set;
	int status;

	this_run = vcpu->run;
	/* A kick sent before this point left immediate_exit set: fine. */
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	vm__thread_started();
	status = vcpu__loop(vcpu);
	if (status >= 0)
		vm__stop(vcpu->vm, status, "a vCPU ended the VM");
	return NULL;
}

/* The device thread: the PIT's timer and the UART's input. */
static void vm__events(struct vm *vm)
{
	struct pollfd pfd[3];
	int n;

	while (!vm_done(vm)) {
		pfd[0] = (struct pollfd){ .fd = vm->timer_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = vm->event_fd, .events = POLLIN };
		platform__lock();
		pfd[2] = (struct pollfd){ .fd = serial__input_fd(), .events = POLLIN };
		platform__unlock();
		n = ppoll(pfd, 3, NULL, NULL);
		if (n < 0)
			continue;
		if (pfd[1].revents)
			eventfd_drain(vm->event_fd);
		if (pfd[0].revents) {
			u64 expirations;

			while (read(vm->timer_fd, &expirations, sizeof(expirations)) < 0 &&
			       errno == EINTR)
				;
			platform__lock();
			pit__tick(now_ns());
			vm__timer_changed();
			platform__unlock();
		}
		if (pfd[2].revents) {
			platform__lock();
			n = serial__poll();
			platform__unlock();
			/* Keys the user typed went to the UART; Ctrl-A x leaves. */
			if (n < 0)
				vm__stop(vm, EXIT_POWEROFF, "the user left (Ctrl-A x)");
		}
	}
}

int vm__run(struct vm *vm)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	sigset_t set, old;
	unsigned int i;
	int err;

	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0)
		die(EXIT_VMERROR, "sigaction: %s", strerror(errno));
	/*
	 * The kick is for vCPU threads: they unblock it; this thread (and
	 * so the mask they inherit) blocks it.
	 */
	sigemptyset(&set);
	sigaddset(&set, KICK_SIGNAL);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	/* The vCPUs, this thread and the gdb stub's (--gdb). */
	err = pthread_barrier_init(&start_barrier, NULL, vm->cpus + 1 + !!vm->gdb);
	if (err)
		die(EXIT_VMERROR, "pthread_barrier_init: %s", strerror(err));
	gdb__start(vm);
	for (i = 0; i < vm->cpus; i++) {
		err = pthread_create(&vm->vcpus[i].thread, NULL, vcpu__thread,
				     &vm->vcpus[i]);
		if (err)
			die(EXIT_VMERROR, "vCPU %u: pthread_create: %s", i, strerror(err));
	}
	/* Every thread runs: what is left to do is the run loop's. */
	pthread_barrier_wait(&start_barrier);
	if (vm->sandbox)
		sandbox__enter(vm->sandbox_selftest);
	pthread_barrier_wait(&start_barrier);
	platform__lock();
	vm__timer_changed();
	platform__unlock();

	vm__events(vm);

	for (i = 0; i < vm->cpus; i++)
		pthread_join(vm->vcpus[i].thread, NULL);
	gdb__join(vm);
	fflush(stdout);
	return vm->exit_status;
}
