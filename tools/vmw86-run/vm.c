// SPDX-License-Identifier: GPL-2.0
/*
 * The VM and its one vCPU: /dev/vmw86, guest RAM, the CPUID table, and the
 * run loop that dispatches exits to the devices and delivers the PIC's
 * interrupts.
 *
 * Time: the PIT's next event arms a POSIX timer whose signal sets
 * vmw86_run.immediate_exit, so a guest that never exits still returns to the
 * loop in time to get its timer interrupt (the KVM "kick"). On HLT the loop
 * sleeps until the next timer event instead of spinning.
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
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "vmw86-run.h"

#define KICK_SIGNAL	SIGALRM

static struct vmw86_run *kick_run;
static timer_t kick_timer;
static u64 kick_armed_ns = UINT64_MAX;

static void kick_handler(int sig)
{
	(void)sig;
	if (kick_run)
		kick_run->immediate_exit = 1;
}

static void kick_init(struct vm *vm)
{
	struct sigevent sev = {
		.sigev_notify = SIGEV_SIGNAL, .sigev_signo = KICK_SIGNAL,
	};
	struct sigaction sa = { .sa_handler = kick_handler };

	kick_run = vm->run;
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0)
		die(EXIT_VMERROR, "sigaction(SIGALRM): %s", strerror(errno));
	if (timer_create(CLOCK_MONOTONIC, &sev, &kick_timer) < 0)
		die(EXIT_VMERROR, "timer_create: %s", strerror(errno));
}

/* Makes sure the vCPU leaves the guest by @when (CLOCK_MONOTONIC ns). */
static void kick_at(u64 when)
{
	struct itimerspec its = { 0 };

	if (when == kick_armed_ns)
		return;
	kick_armed_ns = when;
	if (when != UINT64_MAX) {
		its.it_value.tv_sec = when / 1000000000ULL;
		its.it_value.tv_nsec = when % 1000000000ULL;
	}
	timer_settime(kick_timer, TIMER_ABSTIME, &its, NULL);
}

static void vm__set_cpuid(struct vm *vm)
{
	size_t sz = sizeof(struct vmw86_cpuid) +
		    VMW86_MAX_CPUID_ENTRIES * sizeof(struct vmw86_cpuid_entry);
	struct vmw86_cpuid *cpuid = calloc(1, sz);
	u32 i;

	if (!cpuid)
		die(EXIT_VMERROR, "out of memory for the CPUID table");
	cpuid->nent = VMW86_MAX_CPUID_ENTRIES;
	if (ioctl(vm->dev_fd, VMW86_GET_SUPPORTED_CPUID, cpuid) < 0)
		die(EXIT_VMERROR, "VMW86_GET_SUPPORTED_CPUID: %s", strerror(errno));
	for (i = 0; i < cpuid->nent; i++) {
		struct vmw86_cpuid_entry *e = &cpuid->entries[i];

		switch (e->function) {
		case 1:
			/*
			 * No local APIC on this platform (the PIC and PIT do
			 * the work), and no MCE/MCA or MTRR: their MSRs are
			 * not kept by vmw86, a guest RDMSR would get #GP.
			 */
			e->edx &= ~((1u << 9) | (1u << 7) | (1u << 14) | (1u << 12));
			e->ebx &= 0x00ffffff;	/* initial APIC id 0 */
			break;
		case 0x80000001:
			/* AMD mirrors APIC, MCE, MCA and MTRR here. */
			e->edx &= ~((1u << 9) | (1u << 7) | (1u << 14) | (1u << 12));
			break;
		}
	}
	if (ioctl(vm->vcpu_fd, VMW86_SET_CPUID, cpuid) < 0)
		die(EXIT_VMERROR, "VMW86_SET_CPUID (%u entries): %s",
		    cpuid->nent, strerror(errno));
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

void vm__init(struct vm *vm, const struct options *opt)
{
	int max_vcpus, phys_bits, mmap_size;
	u64 top;

	vm->dev_fd = open("/dev/vmw86", O_RDWR | O_CLOEXEC);
	if (vm->dev_fd < 0)
		die(EXIT_BADINPUT, "/dev/vmw86: %s (is vmw86.ko loaded?)", strerror(errno));
	if (ioctl(vm->dev_fd, VMW86_GET_API_VERSION, 0) != VMW86_API_VERSION)
		die(EXIT_BADINPUT, "/dev/vmw86: API version %d, this launcher speaks %d",
		    ioctl(vm->dev_fd, VMW86_GET_API_VERSION, 0), VMW86_API_VERSION);

	max_vcpus = ioctl(vm->dev_fd, VMW86_CHECK_EXTENSION, VMW86_CAP_MAX_VCPUS);
	if (max_vcpus > 0 && opt->cpus > (unsigned int)max_vcpus)
		die(EXIT_BADINPUT, "--cpus %u: vmw86 runs at most %d vCPUs per VM",
		    opt->cpus, max_vcpus);
	if (opt->cpus > 1)
		die(EXIT_BADINPUT, "--cpus %u: more than one vCPU is not supported yet (no local APIC/SMP boot)",
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
	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED)
		die(EXIT_BADINPUT, "--memory %llu MiB: the host cannot map it: %s",
		    (unsigned long long)opt->mem_size / MiB, strerror(errno));
	madvise(vm->ram, vm->ram_size, MADV_MERGEABLE);

	vm->vm_fd = ioctl(vm->dev_fd, VMW86_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		die(EXIT_VMERROR, "VMW86_CREATE_VM: %s%s", strerror(errno),
		    errno == EBUSY ? " (another hypervisor, e.g. kvm-amd, has SVM)" : "");
	if (vm->ram_size <= LOW_RAM_END) {
		vm__set_slot(vm, 0, 0, vm->ram_size, vm->ram);
	} else {
		vm__set_slot(vm, 0, 0, LOW_RAM_END, vm->ram);
		vm__set_slot(vm, 1, HIGH_RAM_START, vm->ram_size - LOW_RAM_END,
			     vm->ram + LOW_RAM_END);
	}

	vm->vcpu_fd = ioctl(vm->vm_fd, VMW86_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		die(EXIT_VMERROR, "VMW86_CREATE_VCPU 0: %s", strerror(errno));
	mmap_size = ioctl(vm->dev_fd, VMW86_GET_VCPU_MMAP_SIZE, 0);
	if (mmap_size <= 0)
		die(EXIT_VMERROR, "VMW86_GET_VCPU_MMAP_SIZE: %s", strerror(errno));
	vm->run_size = mmap_size;
	vm->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       vm->vcpu_fd, 0);
	if (vm->run == MAP_FAILED)
		die(EXIT_VMERROR, "mmap of the vCPU run structure: %s", strerror(errno));
	vm__set_cpuid(vm);

	pic__init();
	pit__init();
	serial__init();
	rtc__init();
	i8042__init();
	debugport__init();
	acpi_pm__init();
	kick_init(vm);
}

void vm__stop(struct vm *vm, int status, const char *why)
{
	if (vm->done)
		return;
	vm->done = true;
	vm->exit_status = status;
	pr_debug("stopping: %s", why);
}

static void vm__diagnose(struct vm *vm, const char *what)
{
	struct vmw86_regs *r = &vm->run->regs;

	fflush(stdout);
	fprintf(stderr, "vmw86-run: %s at RIP 0x%llx (RSP 0x%llx, RFLAGS 0x%llx)\n",
		what, (unsigned long long)r->rip, (unsigned long long)r->rsp,
		(unsigned long long)r->rflags);
}

static void vm__handle_io(struct vm *vm)
{
	struct vmw86_run *run = vm->run;
	u8 *data = (u8 *)run + run->io.data_offset;
	bool is_write = run->io.direction == VMW86_EXIT_IO_OUT;
	u32 i;

	for (i = 0; i < run->io.count; i++)
		ioport__access(vm, run->io.port, data + i * run->io.size,
			       run->io.size, is_write);
}

/* Keys the user typed go to the UART; Ctrl-A x stops the guest. */
static void vm__poll_input(struct vm *vm)
{
	if (serial__poll() < 0)
		vm__stop(vm, EXIT_POWEROFF, "the user left (Ctrl-A x)");
}

/*
 * HLT: sleep until the next timer event or a key on standard input,
 * whichever comes first (or stop, when nothing can ever wake the guest).
 */
static int vm__halt(struct vm *vm)
{
	struct pollfd pfd = { .fd = serial__input_fd(), .events = POLLIN };
	struct timespec ts, *timeout = NULL;
	u64 next, now;

	if (!(vm->run->regs.rflags & 0x200)) {
		pr_info("guest halted with interrupts disabled: stopped for good");
		return EXIT_POWEROFF;
	}
	if (pic__pending_vector() >= 0)
		return -1;
	next = pit__next_event();
	if (next == UINT64_MAX && pfd.fd < 0) {
		pr_info("guest halted with no timer armed and no device to wake it");
		return EXIT_POWEROFF;
	}
	if (next != UINT64_MAX) {
		now = now_ns();
		next = next > now ? next - now : 0;
		ts.tv_sec = next / 1000000000ULL;
		ts.tv_nsec = next % 1000000000ULL;
		timeout = &ts;
	}
	/* A negative fd is ignored by ppoll: then it is a plain sleep. */
	if (ppoll(&pfd, 1, timeout, NULL) > 0)
		vm__poll_input(vm);
	return -1;
}

/* Delivers the PIC's interrupt, or asks vmw86 to say when it can. */
static void vm__inject(struct vm *vm)
{
	struct vmw86_run *run = vm->run;
	struct vmw86_interrupt irq = { 0 };
	int vec = pic__pending_vector();

	if (vec < 0) {
		run->request_interrupt_window = 0;
		return;
	}
	if (vec < 32) {
		/* An unprogrammed PIC's vectors are exceptions: drop it. */
		pr_debug("PIC vector %d below 32 dropped", vec);
		pic__ack();
		return;
	}
	if (!run->ready_for_interrupt_injection) {
		run->request_interrupt_window = 1;
		return;
	}
	irq.vector = vec;
	if (ioctl(vm->vcpu_fd, VMW86_INTERRUPT, &irq) < 0) {
		if (errno == EBUSY) {
			run->request_interrupt_window = 1;
			return;
		}
		die(EXIT_VMERROR, "VMW86_INTERRUPT vector %d: %s", vec, strerror(errno));
	}
	pic__ack();
	run->request_interrupt_window = pic__pending_vector() >= 0;
}

int vm__run(struct vm *vm)
{
	struct vmw86_run *run = vm->run;
	unsigned long long exits = 0;
	char buf[160];
	int rc;

	/* Before the first entry, nothing can be injected yet. */
	run->ready_for_interrupt_injection = 0;
	for (;;) {
		u64 now = now_ns();

		pit__tick(now);
		vm__inject(vm);
		kick_at(pit__next_event());

		rc = ioctl(vm->vcpu_fd, VMW86_RUN, 0);
		run->immediate_exit = 0;
		exits++;
		if (rc < 0 && errno != EINTR && errno != EAGAIN) {
			if (errno == EFAULT && run->exit_reason == VMW86_EXIT_MEMORY_FAULT) {
				snprintf(buf, sizeof(buf), "guest memory fault at GPA 0x%llx",
					 (unsigned long long)run->memory_fault.gpa);
				vm__diagnose(vm, buf);
			} else {
				snprintf(buf, sizeof(buf), "VMW86_RUN failed: %s (exit reason %u)",
					 strerror(errno), run->exit_reason);
				vm__diagnose(vm, buf);
			}
			return EXIT_VMERROR;
		}
		if (rc < 0) {
			/* The kick timer or a signal: a moment to look at input. */
			vm__poll_input(vm);
			if (vm->done)
				return vm->exit_status;
			continue;
		}

		switch (run->exit_reason) {
		case VMW86_EXIT_IO:
			vm__handle_io(vm);
			break;
		case VMW86_EXIT_MMIO:
			if (mmio__handle(vm))
				return EXIT_VMERROR;
			break;
		case VMW86_EXIT_HLT:
			rc = vm__halt(vm);
			if (rc >= 0) {
				fflush(stdout);
				return rc;
			}
			break;
		case VMW86_EXIT_IRQ_WINDOW_OPEN:
		case VMW86_EXIT_INTR:
			break;
		case VMW86_EXIT_SHUTDOWN:
			vm__diagnose(vm, "guest triple fault (shutdown; a guest with reboot=t reboots this way)");
			return EXIT_TRIPLE;
		case VMW86_EXIT_FAIL_ENTRY:
			snprintf(buf, sizeof(buf), "VMRUN refused the guest state (fail entry, hardware exit reason 0x%llx)",
				 (unsigned long long)run->fail_entry.hardware_exit_reason);
			vm__diagnose(vm, buf);
			return EXIT_VMERROR;
		case VMW86_EXIT_INTERNAL_ERROR:
			snprintf(buf, sizeof(buf), "vmw86 internal error, suberror %u, data[0] 0x%llx",
				 run->internal.suberror,
				 (unsigned long long)(run->internal.ndata ?
						      run->internal.data[0] : 0));
			vm__diagnose(vm, buf);
			return EXIT_VMERROR;
		case VMW86_EXIT_VMMCALL:
			pr_debug("VMMCALL rax=0x%llx ignored",
				 (unsigned long long)run->regs.rax);
			break;
		default:
			snprintf(buf, sizeof(buf), "unexpected exit reason %u",
				 run->exit_reason);
			vm__diagnose(vm, buf);
			return EXIT_VMERROR;
		}
		if (vm->done) {
			fflush(stdout);
			pr_debug("%llu exits", exits);
			return vm->exit_status;
		}
	}
}
