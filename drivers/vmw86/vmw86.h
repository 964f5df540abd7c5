/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vmw86 core: the types shared by the generic core (device, VM, vCPU,
 * memory slots) and the vendor backend, and the ops table between them.
 *
 * The core never names SVM; everything vendor-specific is reached through
 * &struct vmw86_backend_ops, chosen at load time (see main.c).
 */
#ifndef _VMW86_H
#define _VMW86_H

#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <linux/vmw86.h>

struct vmw86_lapic;

#define VMW86_MAX_MEMSLOTS	32
#define VMW86_MAX_VCPUS		64

/* General-purpose registers in their instruction-encoding order. */
enum vmw86_reg {
	VCPU_REG_RAX, VCPU_REG_RCX, VCPU_REG_RDX, VCPU_REG_RBX,
	VCPU_REG_RSP, VCPU_REG_RBP, VCPU_REG_RSI, VCPU_REG_RDI,
	VCPU_REG_R8,  VCPU_REG_R9,  VCPU_REG_R10, VCPU_REG_R11,
	VCPU_REG_R12, VCPU_REG_R13, VCPU_REG_R14, VCPU_REG_R15,
	VCPU_NR_REGS
};

/*
 * Segment registers in the order of their encoding in instructions (the
 * Sreg field and the segment-override prefixes), as KVM names them.
 */
enum vmw86_sreg {
	VCPU_SREG_ES, VCPU_SREG_CS, VCPU_SREG_SS, VCPU_SREG_DS,
	VCPU_SREG_FS, VCPU_SREG_GS,
};

/**
 * struct vmw86_memslot - one guest memory slot
 * @used: the slot is in use; the other fields are valid.
 * @flags: VMW86_MEM_* flags.
 * @gpa: first GPA, page aligned.
 * @size: size in bytes, page aligned, non-zero.
 * @hva: HVA in the VM owner's mm backing @gpa.
 * @notifier: tells the slot when the host invalidates part of @hva's range.
 * @vm: the owning VM.
 */
struct vmw86_memslot {
	bool used;
	u32 flags;
	u64 gpa;
	u64 size;
	unsigned long hva;
	struct mmu_interval_notifier notifier;
	struct vmw86_vm *vm;
};

/**
 * enum vmw86_exit_reason - why the guest stopped, in x86's terms
 * @VMW86_VEXIT_NONE: nothing for the core: the host took its interrupt,
 *	or the exit was the backend's own business; re-enter.
 * @VMW86_VEXIT_MEMORY: an access the nested page table did not allow
 *	(&vmw86_exit.mem).
 * @VMW86_VEXIT_IO: IN, OUT, INS or OUTS (&vmw86_exit.io).
 * @VMW86_VEXIT_MSR: RDMSR or WRMSR (&vmw86_exit.msr).
 * @VMW86_VEXIT_CPUID: CPUID (&vmw86_exit.cpuid).
 * @VMW86_VEXIT_XSETBV: XSETBV (ECX and EDX:EAX in the registers).
 * @VMW86_VEXIT_RDTSCP: RDTSCP.
 * @VMW86_VEXIT_HLT: HLT, RIP still on it.
 * @VMW86_VEXIT_IRQ_WINDOW: the window &vmw86_backend_ops.set_event_windows
 *	asked for opened (the backend has stopped asking).
 * @VMW86_VEXIT_HYPERCALL: VMMCALL (VMX's VMCALL).
 * @VMW86_VEXIT_INVD: INVD or WBINVD.
 * @VMW86_VEXIT_UD: an instruction the virtual CPU does not have: the
 *	host's virtualization instructions, and MONITOR, MWAIT and RDPRU,
 *	which its CPUID does not offer.
 * @VMW86_VEXIT_RDPMC: RDPMC.
 * @VMW86_VEXIT_MACHINE_CHECK: a machine check of the host's arrived while
 *	the guest ran.
 * @VMW86_VEXIT_SHUTDOWN: the guest shut down (a triple fault); what the
 *	hardware holds of its state is undefined now.
 * @VMW86_VEXIT_DEBUG: a #DB the core asked to intercept (a single step,
 *	or the guest's own debug trap); DR6 in vcpu->dr6 says which.
 * @VMW86_VEXIT_BREAKPOINT: a #BP the core asked to intercept, RIP on the
 *	INT3 that raised it.
 * @VMW86_VEXIT_DR: a MOV to or from a debug register while the debugger's
 *	are loaded (&vmw86_exit.dr); the core emulates it.
 * @VMW86_VEXIT_FAIL_ENTRY: the hardware refused to enter the guest
 *	(&vmw86_exit.hw).
 * @VMW86_VEXIT_UNKNOWN: an exit the backend has no name for
 *	(&vmw86_exit.hw).
 * @VMW86_VEXIT_NR: the number of reasons, not one of them.
 *
 * The backend's exits, for the core; user space sees VMW86_EXIT_*. Each
 * has a name in vmw86_vexit_names[] (stats.c), which the statistics and
 * the exit tracepoint use.
 */
enum vmw86_exit_reason {
	VMW86_VEXIT_NONE,
	VMW86_VEXIT_MEMORY,
	VMW86_VEXIT_IO,
	VMW86_VEXIT_MSR,
	VMW86_VEXIT_CPUID,
	VMW86_VEXIT_XSETBV,
	VMW86_VEXIT_RDTSCP,
	VMW86_VEXIT_HLT,
	VMW86_VEXIT_IRQ_WINDOW,
	VMW86_VEXIT_HYPERCALL,
	VMW86_VEXIT_INVD,
	VMW86_VEXIT_UD,
	VMW86_VEXIT_RDPMC,
	VMW86_VEXIT_MACHINE_CHECK,
	VMW86_VEXIT_SHUTDOWN,
	VMW86_VEXIT_DEBUG,
	VMW86_VEXIT_BREAKPOINT,
	VMW86_VEXIT_DR,
	VMW86_VEXIT_FAIL_ENTRY,
	VMW86_VEXIT_UNKNOWN,
	VMW86_VEXIT_NR
};

/**
 * struct vmw86_vm_stat - a VM's own counters (api.rst, "Statistics")
 * @tlb_shootdowns: vmw86_vm_flush_tlbs() calls.
 * @exit_ipis: IPIs sent to force vCPUs out of guest mode (shootdowns and
 *	TSC writes).
 * @tsc_writes: writes of the VM's TSC.
 * @npt_invalidations: host invalidations (MMU notifier) that dropped
 *	nested page table entries.
 * @memslot_changes: successful VMW86_SET_MEMORY_REGION calls that changed
 *	a slot.
 * @memslots: slots in use now.
 * @vcpus: vCPUs created.
 *
 * Written without a lock of their own: the atomics from any thread, the
 * rest under the lock named with the code that changes them (slots_lock,
 * mmu_lock, vm->lock); stats.c reads them all without locks.
 */
struct vmw86_vm_stat {
	atomic64_t tlb_shootdowns;
	atomic64_t exit_ipis;
	atomic64_t tsc_writes;
	u64 npt_invalidations;
	u64 memslot_changes;
	u64 memslots;
	u64 vcpus;
};

/**
 * struct vmw86_vcpu_stat - a vCPU's counters (api.rst, "Statistics")
 * @runs: VMW86_RUN calls.
 * @exits: exits from the guest (world switches that came back).
 * @entry_cancels: entries called off after publishing guest mode, for an
 *	event posted in the meantime.
 * @exits_kernel: exits by &enum vmw86_exit_reason after which the kernel
 *	entered the guest again.
 * @exits_user: exits by reason that ended VMW86_RUN.
 * @io_exits: VMW86_EXIT_IO returns to user space.
 * @io_backdoor: VMware backdoor calls answered in the kernel.
 * @mmio_exits: VMW86_EXIT_MMIO returns to user space.
 * @lapic_mmio: xAPIC page accesses emulated in the kernel.
 * @npf_map: nested page faults resolved by mapping RAM.
 * @npf_map_huge: those of @npf_map mapped with a 2 MiB entry.
 * @tlb_flushes: TLB flushes at entry (the VM's translations changed).
 * @irq_injections: external interrupts injected.
 * @nmi_injections: NMIs injected.
 * @exc_injections: exceptions the kernel injected (#UD, #GP).
 * @irq_window_exits: VMW86_EXIT_IRQ_WINDOW_OPEN returns to user space.
 * @signal_exits: VMW86_EXIT_INTR returns (EINTR).
 * @halt_sleeps: HLTs (with a local APIC) that put the thread to sleep.
 * @halt_wakeups: of those, sleeps ended by an event for the guest (not
 *	by a signal).
 * @halt_ns: time spent asleep in HLT, in nanoseconds.
 * @kicks: vmw86_vcpu_kick() calls, from any context.
 * @kick_ipis: kicks that sent an IPI to the vCPU in guest mode.
 *
 * The vCPU's thread is the only writer of everything but @kicks and
 * @kick_ipis (atomics: kicks come from any CPU), so the hot path counts
 * with plain increments and no lock; stats.c reads with READ_ONCE().
 */
struct vmw86_vcpu_stat {
	u64 runs;
	u64 exits;
	u64 entry_cancels;
	u64 exits_kernel[VMW86_VEXIT_NR];
	u64 exits_user[VMW86_VEXIT_NR];
	u64 io_exits;
	u64 io_backdoor;
	u64 mmio_exits;
	u64 lapic_mmio;
	u64 npf_map;
	u64 npf_map_huge;
	u64 tlb_flushes;
	u64 irq_injections;
	u64 nmi_injections;
	u64 exc_injections;
	u64 irq_window_exits;
	u64 signal_exits;
	u64 halt_sleeps;
	u64 halt_wakeups;
	u64 halt_ns;
	atomic64_t kicks;
	atomic64_t kick_ipis;
};

/**
 * struct vmw86_vm - a virtual machine
 * @refcount: one reference for the VM fd and one for each vCPU fd.
 * @mm: the address space of the process that created the VM; guest memory
 *	is faulted in from it, and ioctls from any other mm get EIO.
 * @lock: serialises vCPU creation.
 * @slots_lock: read for lookups (the fault path), write for changes.
 * @slots: the memory slots.
 * @mmu_lock: protects the nested page table and the notifier sequence.
 * @vcpus: created vCPUs, indexed by id; never removed before the VM dies.
 * @nr_vcpus: how many of @vcpus are set.
 * @tlb_gen: bumped whenever nested page table entries are dropped; a vCPU
 *	entering the guest with an older value flushes its TLB first.
 * @has_lapic: VMW86_CREATE_LAPIC was called: every vCPU has a local APIC.
 * @tsc_offset: guest TSC minus host TSC, one for the whole VM: every vCPU
 *	enters the guest with it, so all of them read one TSC. Written by
 *	vmw86_vm_write_tsc(), read with READ_ONCE() before each VMRUN.
 * @tgid: the creator's process id, which names the VM in its statistics
 *	and traces.
 * @stat: the VM's counters.
 * @arch: backend data (e.g. the nested page table).
 */
struct vmw86_vm {
	struct kref refcount;
	struct mm_struct *mm;
	struct mutex lock;		/* vCPU creation */

	struct rw_semaphore slots_lock;	/* @slots */
	struct vmw86_memslot slots[VMW86_MAX_MEMSLOTS];

	spinlock_t mmu_lock;		/* nested page table, notifier seq */
	struct vmw86_vcpu *vcpus[VMW86_MAX_VCPUS];
	unsigned int nr_vcpus;
	atomic64_t tlb_gen;
	bool has_lapic;
	u64 tsc_offset;
	pid_t tgid;
	struct vmw86_vm_stat stat;

	void *arch;
};

/* Where a vCPU is, for TLB shootdowns and kicks. */
enum vmw86_vcpu_mode {
	VCPU_OUTSIDE_GUEST_MODE,
	VCPU_IN_GUEST_MODE,
};

/**
 * struct vmw86_pending_io - an IN or INS to finish on the next VMW86_RUN
 * @active: an exit to user space left this to complete.
 * @string: INS (data goes to guest memory) rather than IN (data to RAX).
 * @size: bytes per element.
 * @count: elements transferred by this exit.
 * @gva: INS: linear address of the lowest byte written.
 * @backwards: INS with RFLAGS.DF set: elements go to decreasing addresses.
 * @addr_mask: INS: mask of the address size (0xffff, 0xffffffff, ~0).
 * @next_rip: RIP once the instruction is done.
 * @rep: REP prefix: RCX counts down.
 */
struct vmw86_pending_io {
	bool active, string, backwards, rep;
	u8 size;
	u32 count;
	u64 gva, addr_mask, next_rip;
};

/**
 * struct vmw86_vcpu - a virtual CPU
 * @vm: the VM (holds a reference while the vCPU fd is open).
 * @id: vCPU id.
 * @mutex: one ioctl at a time on this vCPU.
 * @run: the shared run page (page 0 of the mapping).
 * @io_data: the I/O data page (page 1 of the mapping).
 * @run_page: @io_page: backing pages of @run and @io_data.
 * @regs: GPRs, in &enum vmw86_reg order; the backend loads them at VMRUN.
 * @rip: @rflags: the guest's RIP and RFLAGS, authoritative outside VMRUN.
 * @dr6: @dr7: the guest's DR6 and DR7, likewise (the backend loads them
 *	at VMRUN and reads them back at #VMEXIT; DR7 not while the
 *	debugger's debug registers are loaded).
 * @db: the guest's DR0-DR3, likewise once the backend switches them (it
 *	may leave them in the hardware until the guest first touches one).
 * @cr8: the guest's CR8, likewise; with a local APIC, a copy of its TPR
 *	taken before each entry and given back after.
 * @cpu: host CPU of the last VMRUN; valid while @mode is IN_GUEST_MODE.
 * @mode: &enum vmw86_vcpu_mode, written with interrupts off.
 * @tlb_gen: the VM's @tlb_gen this vCPU's TLB is known to reflect.
 * @guest_fpu: guest FPU/XSAVE state, swapped in for the whole VMW86_RUN.
 * @xcr0: the guest's XCR0.
 * @pkru: the guest's PKRU, which the FPU swap leaves alone: the backend
 *	switches it around VMRUN.
 * @tsc_aux: the guest's TSC_AUX (RDTSCP's ECX, RDPID), which the backend
 *	loads around VMRUN, since RDPID cannot be intercepted.
 * @cpuid: the CPUID table; @cpuid_nent entries.
 * @io: a port input to complete on the next run.
 * @state_dirty: user space changed the vCPU's state since its last
 *	successful entry; the backend keeps a copy of that state until the
 *	hardware accepts it.
 * @pending_irq: the external interrupt vector queued by VMW86_INTERRUPT,
 *	or -1; the backend injects it when the guest can take it.
 * @lapic: the local APIC, or NULL without VMW86_CREATE_LAPIC.
 * @user_apic_base: without @lapic, IA32_APIC_BASE of the APIC user space
 *	emulates (VMW86_SET_SREGS); 0 while it has none.
 * @guest_debug: VMW86_GUESTDBG_* bits set by VMW86_SET_GUEST_DEBUG, 0
 *	when no debugger holds the vCPU (debug.c).
 * @debug_db: @debug_dr7: the debugger's DR0-DR3 and DR7, loaded instead
 *	of the guest's with VMW86_GUESTDBG_USE_HW_BP.
 * @debug_dr6: the guest's DR6 at the last entry while a debugger steps
 *	or has breakpoints loaded, given back after the debugger's #DB.
 * @debug_step: single-stepping, an instruction retired outside the guest:
 *	the next VMW86_RUN reports the step before entering.
 * @wq: where the vCPU's thread sleeps in HLT or wait-for-SIPI;
 *	vmw86_vcpu_kick() wakes it.
 * @stat: the vCPU's counters.
 * @arch: backend data (e.g. the VMCB).
 */
struct vmw86_vcpu {
	struct vmw86_vm *vm;
	u32 id;
	struct mutex mutex;		/* one ioctl at a time */

	struct vmw86_run *run;
	void *io_data;
	struct page *run_page, *io_page;

	unsigned long regs[VCPU_NR_REGS];
	u64 rip, rflags;
	u64 dr6, dr7;
	u64 db[4];
	u8 cr8;

	int cpu;
	int mode;
	s64 tlb_gen;

	struct fpu_guest guest_fpu;
	u64 xcr0;
	u32 pkru;
	u64 tsc_aux;

	struct vmw86_cpuid_entry *cpuid;
	unsigned int cpuid_nent;

	struct vmw86_pending_io io;
	bool state_dirty;
	int pending_irq;
	struct vmw86_lapic *lapic;
	u64 user_apic_base;
	u32 guest_debug;
	u64 debug_db[4], debug_dr7, debug_dr6;
	bool debug_step;
	wait_queue_head_t wq;
	struct vmw86_vcpu_stat stat;

	void *arch;
};

/**
 * struct vmw86_paging_state - what a guest page walk needs
 * @cr0: @cr3: @cr4: @efer: the guest's registers.
 */
struct vmw86_paging_state {
	u64 cr0, cr3, cr4, efer;
};

/**
 * struct vmw86_interrupt_state - may the guest take an event now?
 * @if_flag: RFLAGS.IF.
 * @shadow: an interrupt shadow (after STI or MOV SS) covers the next
 *	instruction.
 * @event_pending: an event already waits for delivery at the next entry:
 *	one whose delivery an exit interrupted, or one injected since.
 */
struct vmw86_interrupt_state {
	bool if_flag, shadow, event_pending;
};

/* Can an external interrupt be injected now? */
static inline bool
vmw86_can_take_interrupt(const struct vmw86_interrupt_state *st)
{
	return st->if_flag && !st->shadow && !st->event_pending;
}

/* What &vmw86_backend_ops.inject_event delivers. */
enum vmw86_event_type {
	VMW86_EVENT_INTR,	/* an external interrupt, @vector */
	VMW86_EVENT_NMI,
	VMW86_EVENT_EXCEPTION,	/* @vector, with an error code if @has_err */
};

/**
 * struct vmw86_exit - one exit from the guest, described for the core
 * @reason: &enum vmw86_exit_reason.
 * @next_rip: RIP after the exiting instruction, where the hardware says
 *	(always for @io); 0 when it does not, and the core then adds the
 *	instruction's architectural length.
 * @cpl: the guest's CPL at the exit.
 * @nmi_unblocked: the IRET of the guest's NMI handler has executed since
 *	the last exit: NMIs are no longer blocked.
 * @mem: @mem.gpa: the GPA; @mem.write: a write; @mem.fetch: an instruction
 *	fetch; @mem.page_walk: the processor's own walk of the guest's page
 *	tables, not the instruction's access.
 * @io: @io.port; @io.size: bytes per element (1, 2, 4); @io.addr_size:
 *	the address size of a string instruction in bytes (2, 4, 8), or 0 if
 *	the hardware did not say; @io.in: IN or INS; @io.string: INS or
 *	OUTS; @io.rep: with a REP prefix.
 * @msr: @msr.index: ECX; @msr.write: WRMSR, not RDMSR.
 * @cpuid: @cpuid.function: EAX; @cpuid.index: ECX.
 * @dr: @dr.index: the debug register, 0-7; @dr.write: MOV to it.
 * @hw: @hw.code: the hardware's own exit code; @hw.state_lost
 *	(FAIL_ENTRY): the backend kept no copy of the state it refused, so
 *	the vCPU must be reset before it runs again.
 */
struct vmw86_exit {
	enum vmw86_exit_reason reason;
	u64 next_rip;
	u8 cpl;
	bool nmi_unblocked;
	union {
		struct {
			u64 gpa;
			bool write, fetch, page_walk;
		} mem;
		struct {
			u16 port;
			u8 size, addr_size;
			bool in, string, rep;
		} io;
		struct {
			u32 index;
			bool write;
		} msr;
		struct {
			u32 function, index;
		} cpuid;
		struct {
			u8 index;
			bool write;
		} dr;
		struct {
			u64 code;
			bool state_lost;
		} hw;
	};
};

/**
 * struct vmw86_backend_ops - what a vendor backend provides
 * @name: shown in the load message.
 * @probe: can this CPU run guests? Returns 0 or an errno with a message
 *	already printed.
 * @hardware_setup: allocate global and per-CPU state after a probe.
 * @hardware_unsetup: free it.
 * @enable_cpu: turn virtualization on for the calling CPU (interrupts off);
 *	-EBUSY if another hypervisor already has it.
 * @disable_cpu: turn it off for the calling CPU (interrupts off).
 * @vm_init: allocate a new VM's state (vm->arch: the nested page table).
 * @vm_destroy: free it; no vCPU runs.
 * @vcpu_create: allocate a new vCPU's state (vcpu->arch); the core then
 *	resets the vCPU (vmw86_vcpu_reset()).
 * @vcpu_free: free it; the vCPU never runs again.
 * @vcpu_run: enter the guest once and describe the exit in @exit. Called
 *	with interrupts off and the vCPU in guest mode; loads and reads back
 *	vcpu->regs, rip, rflags, dr6, dr7, cr8, xcr0, pkru and tsc_aux, and
 *	enters with the VM's tsc_offset. Returns 0, or -EIO when
 *	virtualization is off on this CPU (a reboot turned it off).
 * @flush_tlb: the VM's nested translations changed since this vCPU last
 *	ran: drop its TLB entries at the next entry (called just before
 *	@vcpu_run).
 * @get_sregs: read segments, descriptor tables, CR0, CR2-CR4 and EFER
 *	(CR8 and the APIC base are the core's and left 0).
 * @set_sregs: write them; the caller has set vcpu->state_dirty.
 * @get_msr: read an MSR whose value the backend's guest state holds
 *	(those the hardware loads on entry); -ENOENT for any other.
 * @set_msr: store one; -ENOENT for any other. It only stores: msr.c has
 *	checked the value as the guest's WRMSR would.
 * @get_paging_state: CR0, CR3, CR4 and EFER for a guest page walk.
 * @get_code_segment: CS base and its D and L bits, for instruction fetch.
 * @get_interrupt_state: the guest's RFLAGS.IF, whether it is in an
 *	interrupt shadow, and whether an event already waits for injection.
 * @inject_event: deliver an interrupt, an NMI or an exception at the next
 *	entry (an exception with RIP on the faulting instruction); the core
 *	injects only when @get_interrupt_state allows it, except exceptions,
 *	which replace any event waiting for re-injection. After an NMI the
 *	backend keeps NMIs blocked until the guest's IRET and reports that
 *	IRET in the exit.
 * @set_event_windows: ask for an exit as soon as the guest can take an
 *	external interrupt (@irq) or an NMI held by the one in progress
 *	(@nmi), or stop asking.
 * @set_debug_intercepts: intercept the guest's #DB (@db) and #BP (@bp),
 *	or stop; with @debugger_drs, enter with vcpu->debug_db and
 *	debug_dr7 in the debug registers instead of the guest's, and exit
 *	(%VMW86_VEXIT_DR) on every guest access to DR0-DR7. Kept across
 *	@vcpu_reset.
 * @vcpu_reset: clear the guest state the backend holds (zero, except
 *	what its hardware requires) and any event waiting for injection;
 *	vmw86_vcpu_reset() then loads the RESET values through @set_sregs
 *	and @set_msr.
 * @zap_gpa_range: drop nested page table entries for [gpa, gpa + size);
 *	called with vm->mmu_lock held; returns true if any were present.
 * @map_gpa: map the 4 KiB page of guest physical memory at @gpa to @pfn,
 *	or with @huge the whole naturally aligned 2 MiB around them (the
 *	backend may fall back to 4 KiB where smaller entries are in the
 *	way); called with vm->mmu_lock held (must not sleep: page-table
 *	pages are preallocated by @topup_mmu_cache). Returns 0 after a 4 KiB
 *	entry, 1 after a 2 MiB one, or -ENOMEM.
 * @topup_mmu_cache: preallocate page-table pages before taking mmu_lock.
 *
 * The core reaches the vendor only through this table, and the backend
 * never calls into the core: design.rst ("The run loop") draws both.
 */
struct vmw86_backend_ops {
	const char *name;
	int (*probe)(void);
	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);
	int (*enable_cpu)(void);
	void (*disable_cpu)(void);

	int (*vm_init)(struct vmw86_vm *vm);
	void (*vm_destroy)(struct vmw86_vm *vm);
	int (*vcpu_create)(struct vmw86_vcpu *vcpu);
	void (*vcpu_free)(struct vmw86_vcpu *vcpu);
	int (*vcpu_run)(struct vmw86_vcpu *vcpu, struct vmw86_exit *exit);
	void (*flush_tlb)(struct vmw86_vcpu *vcpu);

	void (*get_sregs)(struct vmw86_vcpu *vcpu, struct vmw86_sregs *sregs);
	void (*set_sregs)(struct vmw86_vcpu *vcpu,
			  const struct vmw86_sregs *sregs);
	int (*get_msr)(struct vmw86_vcpu *vcpu, u32 index, u64 *data);
	int (*set_msr)(struct vmw86_vcpu *vcpu, u32 index, u64 data);
	void (*get_paging_state)(struct vmw86_vcpu *vcpu,
				 struct vmw86_paging_state *ps);
	void (*get_code_segment)(struct vmw86_vcpu *vcpu, u64 *base,
				 bool *db, bool *l);
	void (*get_interrupt_state)(struct vmw86_vcpu *vcpu,
				    struct vmw86_interrupt_state *st);
	void (*inject_event)(struct vmw86_vcpu *vcpu, enum vmw86_event_type type,
			     u8 vector, bool has_err, u32 err);
	void (*set_event_windows)(struct vmw86_vcpu *vcpu, bool irq, bool nmi);
	void (*set_debug_intercepts)(struct vmw86_vcpu *vcpu, bool db, bool bp,
				     bool debugger_drs);
	void (*vcpu_reset)(struct vmw86_vcpu *vcpu);

	bool (*zap_gpa_range)(struct vmw86_vm *vm, u64 gpa, u64 size);
	int (*map_gpa)(struct vmw86_vm *vm, u64 gpa, u64 pfn, bool writable,
		       bool huge);
	int (*topup_mmu_cache)(struct vmw86_vm *vm);
};

extern const struct vmw86_backend_ops *vmw86_ops;
extern const struct vmw86_backend_ops vmw86_svm_ops;

/* main.c */
int vmw86_hardware_get(void);
void vmw86_hardware_put(void);

/* vm.c */
int vmw86_vm_create(void);
void vmw86_vm_put(struct vmw86_vm *vm);
void vmw86_vm_flush_tlbs(struct vmw86_vm *vm);
u64 vmw86_vm_read_tsc(struct vmw86_vm *vm);
void vmw86_vm_write_tsc(struct vmw86_vm *vm, u64 tsc);

/* memslot.c */
int vmw86_set_memory_region(struct vmw86_vm *vm,
			    const struct vmw86_memory_region *mr);
void vmw86_memslots_destroy(struct vmw86_vm *vm);

/**
 * enum vmw86_fault_result - what vmw86_handle_gpa_fault() found
 * @VMW86_FAULT_RETRY: the page is mapped now; re-enter the guest.
 * @VMW86_FAULT_MMIO: no RAM there (or a write to a read-only slot): an
 *	MMIO exit.
 */
enum vmw86_fault_result {
	VMW86_FAULT_RETRY,
	VMW86_FAULT_MMIO,
};

int vmw86_handle_gpa_fault(struct vmw86_vcpu *vcpu, u64 gpa, bool write);
int vmw86_read_guest(struct vmw86_vm *vm, u64 gpa, void *buf, size_t len);
int vmw86_write_guest(struct vmw86_vm *vm, u64 gpa, const void *buf,
		      size_t len);

/* paging.c */
int vmw86_gva_to_gpa(struct vmw86_vcpu *vcpu,
		     const struct vmw86_paging_state *ps, u64 gva, u64 *gpa);
int vmw86_read_gva(struct vmw86_vcpu *vcpu, u64 gva, void *buf, size_t len);
int vmw86_write_gva(struct vmw86_vcpu *vcpu, u64 gva, const void *buf,
		    size_t len);

/* cpuid.c */
int vmw86_cpuid_init(void);
void vmw86_cpuid_exit(void);
int vmw86_vcpu_cpuid_init(struct vmw86_vcpu *vcpu);
long vmw86_vcpu_set_cpuid(struct vmw86_vcpu *vcpu,
			  struct vmw86_cpuid __user *ucpuid);
void vmw86_cpuid_lookup(struct vmw86_vcpu *vcpu, u32 function, u32 index,
			bool osxsave, u32 out[4]);
long vmw86_get_supported_cpuid(struct vmw86_cpuid __user *ucpuid);

/**
 * struct vmw86_mov - a decoded 32-bit MOV between a GPR and memory
 * @write: memory is the destination.
 * @reg: the GPR (&enum vmw86_reg), or -1 when the source is @imm.
 * @imm: the immediate of MOV r/m32, imm32.
 * @len: the instruction's length in bytes.
 */
struct vmw86_mov {
	bool write;
	int reg;
	u32 imm;
	unsigned int len;
};

/**
 * struct vmw86_mov_dr - a decoded MOV between a GPR and a debug register
 * @write: the debug register is the destination (MOV DRn, reg: 0F 23).
 * @reg: the GPR (&enum vmw86_reg).
 * @dr: the debug register's number, 0-7.
 * @len: the instruction's length in bytes.
 */
struct vmw86_mov_dr {
	bool write;
	int reg;
	u8 dr;
	unsigned int len;
};

/**
 * struct vmw86_string_prefixes - what the prefixes of INS/OUTS change
 * @seg: the data segment of OUTS (&enum vmw86_sreg): DS unless overridden
 *	(AMD APM vol. 3, "OUTS"); INS always writes at ES.
 * @addr_override: a 0x67 prefix toggles the address size.
 */
struct vmw86_string_prefixes {
	int seg;
	bool addr_override;
};

/* emulate.c */
int vmw86_decode_mov32(const u8 *insn, unsigned int avail, bool l, bool db,
		       struct vmw86_mov *mov);
void vmw86_decode_string_prefixes(const u8 *insn, unsigned int avail, bool l,
				  struct vmw86_string_prefixes *pfx);
u8 vmw86_string_addr_size(bool l, bool db, bool addr_override);
bool vmw86_insn_is_hlt(const u8 *insn, unsigned int avail);
int vmw86_decode_mov_dr(const u8 *insn, unsigned int avail, bool l,
			struct vmw86_mov_dr *mov);

/* backdoor.c */
bool vmw86_backdoor_in(struct vmw86_vcpu *vcpu, u16 port, u8 size);

/* msr.c */
int vmw86_vcpu_get_msr(struct vmw86_vcpu *vcpu, u32 index, u64 *data);
int vmw86_vcpu_set_msr(struct vmw86_vcpu *vcpu, u32 index, u64 data);

/* run.c */
long vmw86_vcpu_run(struct vmw86_vcpu *vcpu);
void vmw86_vcpu_inject(struct vmw86_vcpu *vcpu, enum vmw86_event_type type,
		       u8 vector, bool has_err, u32 err);

/* debug.c */
long vmw86_vcpu_set_guest_debug(struct vmw86_vcpu *vcpu,
				const struct vmw86_guest_debug __user *udbg);
u32 vmw86_guest_debug_supported(void);
void vmw86_debug_before_entry(struct vmw86_vcpu *vcpu);
void vmw86_debug_after_exit(struct vmw86_vcpu *vcpu);
void vmw86_debug_retired(struct vmw86_vcpu *vcpu, u64 old_rip);
bool vmw86_debug_exit_for_step(struct vmw86_vcpu *vcpu);
int vmw86_debug_handle_db(struct vmw86_vcpu *vcpu);
int vmw86_debug_handle_bp(struct vmw86_vcpu *vcpu);
int vmw86_debug_handle_dr(struct vmw86_vcpu *vcpu,
			  const struct vmw86_exit *exit);

/* stats.c */
extern const char * const vmw86_vexit_names[VMW86_VEXIT_NR];
int vmw86_vm_get_stats_fd(struct vmw86_vm *vm, unsigned long flags);
int vmw86_vcpu_get_stats_fd(struct vmw86_vcpu *vcpu, unsigned long flags);

/* reset.c */
void vmw86_vcpu_reset(struct vmw86_vcpu *vcpu);

/* vcpu.c */
int vmw86_vcpu_create(struct vmw86_vm *vm, unsigned long id);
void vmw86_vcpu_kick(struct vmw86_vcpu *vcpu);
u64 vmw86_vcpu_linear_rip(struct vmw86_vcpu *vcpu, bool *db, bool *l);
unsigned int vmw86_vcpu_fetch_insn(struct vmw86_vcpu *vcpu, u8 insn[15],
				   bool *db, bool *l);
void vmw86_vcpu_destroy(struct vmw86_vcpu *vcpu);
void vmw86_vcpu_get_regs(struct vmw86_vcpu *vcpu, struct vmw86_regs *r);
void vmw86_vcpu_set_regs(struct vmw86_vcpu *vcpu, const struct vmw86_regs *r);
int vmw86_vcpu_complete_io(struct vmw86_vcpu *vcpu);
int vmw86_vcpu_exit_io(struct vmw86_vcpu *vcpu, u16 port, u8 size, bool in,
		       bool string, bool rep, u8 addr_size, u64 next_rip);
int vmw86_vcpu_exit_mmio(struct vmw86_vcpu *vcpu, u64 gpa, bool write,
			 bool fetch, bool page_walk);
bool vmw86_vcpu_xsetbv(struct vmw86_vcpu *vcpu, u32 index, u64 value);

#endif /* _VMW86_H */
