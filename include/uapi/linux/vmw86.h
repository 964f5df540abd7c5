/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vmw86 user-space ABI.
 *
 * Three kinds of file descriptor, in the shape of KVM's:
 *
 * - the device fd (open("/dev/vmw86")) answers version and capability
 *   queries and creates VMs;
 * - a VM fd owns guest memory slots and creates vCPUs;
 * - a vCPU fd is mmap()ed for its &struct vmw86_run and runs the vCPU.
 *
 * Documentation/virt/vmw86/api.rst is the contract in prose; this header and
 * that file say the same thing.
 */
#ifndef _UAPI_LINUX_VMW86_H
#define _UAPI_LINUX_VMW86_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on any incompatible change to this file. */
#define VMW86_API_VERSION	1

/*
 * The ioctl type. Not KVM's, which is 0xAE. Linux's register of types
 * (Documentation/userspace-api/ioctl/ioctl-number.rst, as of 6.1) gives
 * 0xAF numbers 00-1F to the Freescale hypervisor (linux/fsl_hypervisor.h)
 * and nothing else; vmw86's numbers are 0xa0-0xcc, which no registered
 * driver uses under 0xAF, so the commands do not collide. It stays as it
 * is because changing it would change every command and so the ABI of
 * VMW86_API_VERSION 1, for no collision avoided.
 */
#define VMW86_IO		0xAF

/* ----------------------------------------------------------------------
 * Device fd ioctls
 */

/*
 * VMW86_GET_API_VERSION: returns VMW86_API_VERSION. The argument must be 0
 * (EINVAL otherwise), as for every ioctl here that takes none.
 */
#define VMW86_GET_API_VERSION	_IO(VMW86_IO, 0xa0)

/*
 * VMW86_CREATE_VM: returns a new VM fd (O_RDWR | O_CLOEXEC). The argument
 * must be 0 (EINVAL otherwise). Errors: EBUSY when another hypervisor
 * already enabled SVM on a CPU (EFER.SVME set by someone else), ENODEV when
 * the CPU cannot run vmw86 guests, ENOMEM.
 */
#define VMW86_CREATE_VM		_IO(VMW86_IO, 0xa1)

/*
 * VMW86_CHECK_EXTENSION: argument is a VMW86_CAP_* number; returns 0 when
 * absent, otherwise a positive value described with each capability.
 */
#define VMW86_CHECK_EXTENSION	_IO(VMW86_IO, 0xa2)

/*
 * VMW86_GET_VCPU_MMAP_SIZE: returns the size in bytes of the vCPU fd's
 * mapping (the &struct vmw86_run page followed by the I/O data page).
 * The argument must be 0 (EINVAL otherwise).
 */
#define VMW86_GET_VCPU_MMAP_SIZE _IO(VMW86_IO, 0xa3)

/* Capabilities for VMW86_CHECK_EXTENSION. */
#define VMW86_CAP_NR_MEMSLOTS	1	/* number of memory slots per VM */
#define VMW86_CAP_MAX_VCPUS	2	/* vCPUs per VM */
#define VMW86_CAP_READONLY_MEM	3	/* 1: VMW86_MEM_READONLY works */
#define VMW86_CAP_IMMEDIATE_EXIT 4	/* 1: vmw86_run.immediate_exit works */
#define VMW86_CAP_SYNC_REGS	5	/* 1: vmw86_run.regs is kept in sync */
#define VMW86_CAP_GUEST_PHYS_BITS 6	/* width of a GPA, in bits */
#define VMW86_CAP_LAPIC		7	/* 1: VMW86_CREATE_LAPIC works */
/* The VMW86_GUESTDBG_* bits VMW86_SET_GUEST_DEBUG accepts; 0: none. */
#define VMW86_CAP_GUEST_DEBUG	8

/* ----------------------------------------------------------------------
 * VM fd ioctls
 */

/**
 * struct vmw86_memory_region - a guest memory slot
 * @slot: slot number, 0 to VMW86_CAP_NR_MEMSLOTS - 1.
 * @flags: VMW86_MEM_* flags.
 * @guest_phys_addr: first GPA of the slot, in bytes; page aligned.
 * @memory_size: size in bytes; page aligned; 0 deletes the slot.
 * @userspace_addr: HVA of the caller's mapping that backs the slot; page
 *	aligned; the whole range must be mapped when the slot is created.
 *
 * Used with VMW86_SET_MEMORY_REGION. Guest memory is the caller's own
 * anonymous or file mapping: pages are faulted in from the caller's mm when
 * the guest first touches them, and dropped from the nested page table when
 * the host invalidates them (munmap, MADV_DONTNEED, migration, swap, KSM).
 *
 * Creating (slot unused, @memory_size != 0), deleting (@memory_size == 0)
 * and moving (slot used, new @guest_phys_addr, same @memory_size,
 * @userspace_addr and @flags) are the three operations. Errors:
 *
 * - EINVAL: @slot out of range, unknown @flags, an address or size not page
 *   aligned, or an existing slot changed in anything but its GPA;
 * - ENOENT: deleting a slot that is not in use;
 * - EOVERFLOW: @guest_phys_addr + @memory_size or @userspace_addr +
 *   @memory_size wraps around;
 * - E2BIG: the slot ends above the guest physical address width
 *   (VMW86_CAP_GUEST_PHYS_BITS);
 * - EEXIST: the GPA range overlaps another slot;
 * - EFAULT: the HVA range is not a user address range or is not entirely
 *   mapped.
 */
struct vmw86_memory_region {
	__u32 slot;
	__u32 flags;
	__u64 guest_phys_addr;
	__u64 memory_size;
	__u64 userspace_addr;
};

/* Guest writes to the slot exit as MMIO writes instead of changing memory. */
#define VMW86_MEM_READONLY	(1u << 0)

#define VMW86_SET_MEMORY_REGION	_IOW(VMW86_IO, 0xb0, struct vmw86_memory_region)

/*
 * VMW86_CREATE_VCPU: argument is the vCPU id, 0 to VMW86_CAP_MAX_VCPUS - 1;
 * returns a new vCPU fd. Errors: EINVAL for an id out of range, EEXIST for
 * an id already created in this VM, ENOMEM.
 */
#define VMW86_CREATE_VCPU	_IO(VMW86_IO, 0xb1)

/*
 * VMW86_CREATE_LAPIC: the argument must be 0. Gives every vCPU of the VM a
 * local APIC emulated in the kernel (xAPIC page at the APIC base, default
 * GPA 0xfee00000, and x2APIC MSRs 0x800-0x8ff; AMD APM vol. 2, chapter 16
 * "Advanced Programmable Interrupt Controller"), with its timer in
 * one-shot, periodic and TSC-deadline mode. Must come before the first
 * VMW86_CREATE_VCPU. With it:
 *
 * - HLT no longer exits: the vCPU sleeps in the kernel until an interrupt
 *   it can take arrives (a timer, an IPI, VMW86_SIGNAL_MSI, or
 *   VMW86_INTERRUPT), or until a signal or immediate_exit ends VMW86_RUN
 *   with EINTR (the guest then continues after the HLT, which hardware
 *   allows: a HLT may end spuriously).
 * - vCPU 0 is the bootstrap processor. Every other vCPU starts in the
 *   wait-for-SIPI state: its VMW86_RUN sleeps until the guest sends it
 *   INIT and STARTUP IPIs, then runs in real mode at CS:IP = vector << 8 : 0
 *   (Intel SDM vol. 3, 8.4.4 "MP Initialization Example").
 * - VMW86_INTERRUPT is the 8259 PIC's INTR line: it reaches the guest only
 *   while LINT0 is programmed for ExtINT and unmasked, or the APIC is
 *   disabled (EBUSY otherwise, as for a full queue).
 * - The guest's own IPIs (fixed, lowest priority, NMI, INIT, STARTUP;
 *   physical and logical destinations; the shorthands) never leave the
 *   kernel.
 *
 * Errors: EINVAL for a non-zero argument; EEXIST if the VM already has
 * one; EBUSY if the VM already has vCPUs; ENOMEM.
 */
#define VMW86_CREATE_LAPIC	_IO(VMW86_IO, 0xb2)

/**
 * struct vmw86_msi - a message-signalled interrupt, as a device writes it
 * @address: the MSI address: bits 31-20 are 0xfee, 19-12 the destination
 *	APIC ID, bit 2 the destination mode (1: logical), bit 3 redirection
 *	hint (Intel SDM vol. 3, 11.11.1 "Message Address Register Format").
 * @data: the MSI data: bits 7-0 the vector, 10-8 the delivery mode (0
 *	fixed, 1 lowest priority, 4 NMI, 5 INIT), bit 15 the trigger mode
 *	(1: level) (SDM vol. 3, 11.11.2 "Message Data Register Format").
 * @flags: must be 0.
 * @padding: must be 0.
 *
 * How an interrupt controller in user space (an IOAPIC model: a redirection
 * entry is an MSI in all but name) or an MSI-capable device model delivers
 * an interrupt to the in-kernel local APICs.
 */
struct vmw86_msi {
	__u64 address;
	__u32 data;
	__u32 flags;
	__u32 padding[4];
};

/*
 * VMW86_SIGNAL_MSI: deliver a struct vmw86_msi. Any thread may call it,
 * while vCPUs run; a vCPU in guest mode is kicked out, a halted one woken.
 * Returns the number of vCPUs that accepted it (0: no destination matched,
 * or their APICs are software-disabled). Errors: EFAULT; ENXIO without
 * VMW86_CREATE_LAPIC; EINVAL for an address outside 0xfee00000-0xfeefffff,
 * non-zero flags or padding, a vector below 16 in fixed or lowest-priority
 * mode, or a delivery mode other than those listed.
 */
#define VMW86_SIGNAL_MSI	_IOW(VMW86_IO, 0xb3, struct vmw86_msi)

/* ----------------------------------------------------------------------
 * vCPU state
 */

/**
 * struct vmw86_regs - general registers (GPRs, RIP, RFLAGS), each 64 bits
 *
 * Same order as KVM's struct kvm_regs. Used by VMW86_GET_REGS,
 * VMW86_SET_REGS and vmw86_run.regs.
 */
struct vmw86_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8,  r9,  r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

/**
 * struct vmw86_segment - a segment register with its hidden part
 * @base: linear base address.
 * @limit: limit in bytes (already scaled when @g is set), 32 bits.
 * @selector: the visible selector.
 * @type: descriptor type, 4 bits.
 * @present: P bit. @dpl: 2 bits. @db: D/B bit. @s: S bit (1: code or data).
 * @l: L bit (64-bit code). @g: granularity. @avl: available bit.
 * @unusable: 1 for a null or unusable segment; reads back as !@present.
 * @padding: must be 0.
 *
 * The hidden part is what the CPU cached when the selector was loaded
 * (AMD APM vol. 2, 4.5.3 "Segment Registers in 64-bit mode" and 15.5.1
 * for how the VMCB stores it).
 */
struct vmw86_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u8  type;
	__u8  present, dpl, db, s, l, g, avl;
	__u8  unusable;
	__u8  padding;
};

/**
 * struct vmw86_dtable - GDTR or IDTR
 * @base: linear base address. @limit: limit in bytes, 16 bits.
 * @padding: must be 0.
 */
struct vmw86_dtable {
	__u64 base;
	__u16 limit;
	__u16 padding[3];
};

/**
 * struct vmw86_sregs - special registers
 * @cs: @ds: @es: @fs: @gs: @ss: @tr: @ldt: segment registers.
 * @gdt: @idt: descriptor table registers.
 * @cr0: @cr2: @cr3: @cr4: control registers.
 * @cr8: task priority (CR8, 4 bits).
 * @efer: the guest's EFER; EFER.SVME is hidden from the guest and ignored.
 * @apic_base: the local APIC base MSR (0x1b): with VMW86_CREATE_LAPIC the
 *	APIC's; without, that of an APIC user space emulates, 0 (none, the
 *	MSR takes #GP) until set here; then the guest reads it and may write
 *	the base, EN and BSP bits (BSP stays as set here), and this field
 *	reads the guest's value back. A value with other bits is ignored.
 *
 * Values are loaded as they are: vmw86 does not check them. State the
 * hardware refuses makes the next VMW86_RUN end in VMW86_EXIT_FAIL_ENTRY.
 */
struct vmw86_sregs {
	struct vmw86_segment cs, ds, es, fs, gs, ss;
	struct vmw86_segment tr, ldt;
	struct vmw86_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
};

/**
 * struct vmw86_msr_entry - one model-specific register
 * @index: MSR number (ECX of RDMSR/WRMSR). @reserved: must be 0.
 * @data: value.
 */
struct vmw86_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};

/**
 * struct vmw86_msrs - a list of MSRs for VMW86_GET_MSRS and VMW86_SET_MSRS
 * @nmsrs: number of entries, at most VMW86_MAX_MSR_ENTRIES.
 * @pad: must be 0.
 * @entries: the MSRs.
 *
 * Both ioctls process entries in order and return how many they processed;
 * processing stops at the first MSR that vmw86 does not keep or whose value
 * is refused (the same check a guest WRMSR gets). E2BIG for too many
 * entries.
 */
struct vmw86_msrs {
	__u32 nmsrs;
	__u32 pad;
	struct vmw86_msr_entry entries[];
};

#define VMW86_MAX_MSR_ENTRIES	256

/**
 * struct vmw86_cpuid_entry - one CPUID leaf
 * @function: EAX input. @index: ECX input (sub-leaf).
 * @flags: VMW86_CPUID_FLAG_SIGNIFICANT_INDEX when @index selects a sub-leaf.
 * @eax: @ebx: @ecx: @edx: the outputs.
 * @padding: must be 0.
 */
struct vmw86_cpuid_entry {
	__u32 function;
	__u32 index;
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 padding[3];
};

#define VMW86_CPUID_FLAG_SIGNIFICANT_INDEX	(1u << 0)

/**
 * struct vmw86_cpuid - the vCPU's CPUID table
 * @nent: number of entries, at most VMW86_MAX_CPUID_ENTRIES.
 * @padding: must be 0.
 * @entries: the leaves.
 *
 * VMW86_SET_CPUID replaces the table; a guest CPUID is then answered in the
 * kernel from it without an exit. A leaf not in the table returns zeros.
 * CPUID.1:ECX.OSXSAVE (bit 27) follows the guest's CR4.OSXSAVE, as on
 * hardware; all other bits are returned as given. E2BIG for too many
 * entries, EINVAL for non-zero padding or unknown flags.
 *
 * VMW86_GET_SUPPORTED_CPUID (device fd) fills @entries with what the host
 * can offer and sets @nent; E2BIG (with @nent set to the count needed) when
 * @nent is too small.
 */
struct vmw86_cpuid {
	__u32 nent;
	__u32 padding;
	struct vmw86_cpuid_entry entries[];
};

#define VMW86_MAX_CPUID_ENTRIES	256

/**
 * struct vmw86_xsave - the guest's FPU, SSE and extended state
 * @region: the state in the standard (uncompacted) XSAVE format of the
 *	Intel SDM vol. 1, 13.4 / AMD APM vol. 2, 11.5: legacy area, XSAVE
 *	header, then each component at its CPUID.0xD offset.
 *
 * VMW86_SET_XSAVE returns EINVAL for a header that sets features the host
 * does not support or reserved bits.
 */
struct vmw86_xsave {
	__u32 region[1024];
};

#define VMW86_GET_SUPPORTED_CPUID _IOWR(VMW86_IO, 0xa4, struct vmw86_cpuid)

#define VMW86_GET_REGS		_IOR(VMW86_IO, 0xc1, struct vmw86_regs)
#define VMW86_SET_REGS		_IOW(VMW86_IO, 0xc2, struct vmw86_regs)
#define VMW86_GET_SREGS		_IOR(VMW86_IO, 0xc3, struct vmw86_sregs)
#define VMW86_SET_SREGS		_IOW(VMW86_IO, 0xc4, struct vmw86_sregs)
#define VMW86_GET_MSRS		_IOWR(VMW86_IO, 0xc5, struct vmw86_msrs)
#define VMW86_SET_MSRS		_IOW(VMW86_IO, 0xc6, struct vmw86_msrs)
#define VMW86_SET_CPUID		_IOW(VMW86_IO, 0xc7, struct vmw86_cpuid)
#define VMW86_GET_XSAVE		_IOR(VMW86_IO, 0xc8, struct vmw86_xsave)
#define VMW86_SET_XSAVE		_IOW(VMW86_IO, 0xc9, struct vmw86_xsave)

/**
 * struct vmw86_interrupt - an external interrupt for VMW86_INTERRUPT
 * @vector: the interrupt vector, 0 to 255: whatever the interrupt
 *	controller was programmed with (a real-mode BIOS puts the 8259's
 *	IRQ 0-7 at vectors 8-15, as the IBM PC did).
 * @padding: must be 0.
 *
 * VMW86_INTERRUPT queues one external interrupt, as an interrupt controller
 * in user space (a PIC or IOAPIC model) delivers it: vmw86 injects it on a
 * later VMW86_RUN as soon as the guest can take it (RFLAGS.IF set, no
 * interrupt shadow), through EVENTINJ (AMD APM vol. 2, 15.20). Call it when
 * vmw86_run.ready_for_interrupt_injection is set; to wait for that, set
 * vmw86_run.request_interrupt_window. Errors: EINVAL for a vector above 255
 * or non-zero padding; EBUSY while an earlier interrupt is still queued.
 */
struct vmw86_interrupt {
	__u32 vector;
	__u32 padding;
};

#define VMW86_INTERRUPT		_IOW(VMW86_IO, 0xca, struct vmw86_interrupt)

/* vmw86_guest_debug.control. */
#define VMW86_GUESTDBG_ENABLE		(1u << 0)  /* debugging on */
#define VMW86_GUESTDBG_SINGLESTEP	(1u << 1)  /* exit after each instruction */
#define VMW86_GUESTDBG_USE_SW_BP	(1u << 16) /* INT3 exits */
#define VMW86_GUESTDBG_USE_HW_BP	(1u << 17) /* the debugger's DR0-3, DR7 */
#define VMW86_GUESTDBG_INJECT_DB	(1u << 18) /* deliver #DB to the guest */
#define VMW86_GUESTDBG_INJECT_BP	(1u << 19) /* deliver the INT3's #BP */
#define VMW86_GUESTDBG_BLOCKIRQ		(1u << 20) /* no interrupts, no NMIs */

/**
 * struct vmw86_guest_debug - a debugger's hold on a vCPU
 * @control: VMW86_GUESTDBG_* bits; 0 (or no VMW86_GUESTDBG_ENABLE) turns
 *	debugging off and the vCPU runs as if it had never been on.
 * @pad: must be 0.
 * @debugreg: with VMW86_GUESTDBG_USE_HW_BP, the debugger's DR0-DR3 in
 *	[0]-[3] (linear addresses) and DR7 in [7] (bits 63-32 must be 0;
 *	bit 10 and the reserved bits read as the hardware has them); [4]-[6]
 *	must be 0. All must be 0 without VMW86_GUESTDBG_USE_HW_BP.
 *
 * Used with VMW86_SET_GUEST_DEBUG on a vCPU fd, in the shape of KVM's
 * KVM_SET_GUEST_DEBUG. With VMW86_GUESTDBG_ENABLE:
 *
 * - VMW86_GUESTDBG_SINGLESTEP: VMW86_RUN returns VMW86_EXIT_DEBUG with
 *   exception 1 after each guest instruction, with RIP at the next one.
 *   vmw86 sets RFLAGS.TF for the guest and intercepts #DB (AMD APM vol. 2,
 *   15.12), and takes TF and its DR6.BS out again after each exit: TF is
 *   the debugger's meanwhile (the guest's own reads as 0), and DR6 reads
 *   back as the guest left it; the guest's own #DBs are delivered to it.
 *   An instruction the kernel completes for the guest (CPUID,
 *   RDMSR/WRMSR, port I/O, HLT, ...) is a step too. A guest that pushes
 *   RFLAGS meanwhile (PUSHF, an interrupt) sees TF in the copy, as under
 *   KVM. An instruction user space completes (an MMIO access it
 *   emulates) is user space's to report.
 * - VMW86_GUESTDBG_USE_SW_BP: INT3 (0xCC) returns VMW86_EXIT_DEBUG with
 *   exception 3 and RIP on the INT3, instead of the guest's #BP (the
 *   #BP intercept). A debugger places its breakpoints by writing 0xCC
 *   into guest memory; INT3s of the guest's own are reported too, and
 *   handed back with VMW86_GUESTDBG_INJECT_BP.
 * - VMW86_GUESTDBG_USE_HW_BP: hardware breakpoints and watchpoints:
 *   @debugreg is loaded into the debug registers instead of the guest's
 *   while the guest runs (AMD APM vol. 2, 13.1.1), and a #DB whose DR6
 *   names one of the breakpoints this DR7 enables returns
 *   VMW86_EXIT_DEBUG with exception 1: for an instruction breakpoint RIP
 *   is on the instruction (resume with RFLAGS.RF set, or without the
 *   breakpoint), for a data breakpoint just past the access. Meanwhile
 *   the guest's own breakpoints are not armed, and every MOV to or from
 *   DR0-DR7 of the guest's is emulated against its own values, so it
 *   reads back what it wrote; they are armed again once this is off.
 * - VMW86_GUESTDBG_INJECT_BP: RIP must be on an INT3 (as after an exit
 *   for one): the guest takes the #BP that INT3 raises, with RIP past it,
 *   at the next VMW86_RUN. VMW86_GUESTDBG_INJECT_DB: the guest takes a
 *   #DB there (a single-step trap the debugger passes on). Both are done
 *   once, when this ioctl is called; they are not kept in @control.
 * - VMW86_GUESTDBG_BLOCKIRQ: no external interrupt and no NMI is
 *   delivered; they stay pending until it is cleared, so that stepping
 *   does not walk into the timer's handler.
 *
 * Errors: EFAULT; EINVAL for a bit VMW86_CAP_GUEST_DEBUG does not list,
 * a non-zero @pad, @debugreg as above, any bit without
 * VMW86_GUESTDBG_ENABLE, both INJECT bits, or INJECT_BP with RIP not on
 * an INT3; EBUSY for an INJECT bit while an event already waits for
 * delivery.
 */
struct vmw86_guest_debug {
	__u32 control;
	__u32 pad;
	__u64 debugreg[8];
};

#define VMW86_SET_GUEST_DEBUG	_IOW(VMW86_IO, 0xcc, struct vmw86_guest_debug)

/*
 * VMW86_RUN: runs the vCPU until an exit that needs user space, then
 * returns 0 with vmw86_run.exit_reason set. The argument must be 0. Errors:
 * EINVAL for a non-zero argument;
 * EINTR when a signal is pending or vmw86_run.immediate_exit is set
 * (exit_reason is then VMW86_EXIT_INTR); EFAULT when the guest touched a
 * slot whose host mapping is gone (exit_reason VMW86_EXIT_MEMORY_FAULT,
 * with the GPA); EIO when called from a process other than the one that
 * created the VM; EBUSY when another thread is running this vCPU.
 */
#define VMW86_RUN		_IO(VMW86_IO, 0xc0)

/* ----------------------------------------------------------------------
 * The run structure, at offset 0 of the vCPU fd's mapping
 */

/* Exit reasons (vmw86_run.exit_reason). */
#define VMW86_EXIT_UNKNOWN		0
#define VMW86_EXIT_IO			1
#define VMW86_EXIT_MMIO			2
#define VMW86_EXIT_HLT			3
#define VMW86_EXIT_SHUTDOWN		4
#define VMW86_EXIT_FAIL_ENTRY		5
#define VMW86_EXIT_INTERNAL_ERROR	6
#define VMW86_EXIT_VMMCALL		7
#define VMW86_EXIT_INTR			8
#define VMW86_EXIT_MEMORY_FAULT		9
#define VMW86_EXIT_IRQ_WINDOW_OPEN	10
#define VMW86_EXIT_DEBUG		11

#define VMW86_EXIT_IO_IN	0
#define VMW86_EXIT_IO_OUT	1

/* MMIO exit flags (vmw86_run.mmio.flags). */
#define VMW86_MMIO_WRITE	(1u << 0)	/* the access was a write */
#define VMW86_MMIO_FETCH	(1u << 1)	/* an instruction fetch */
/*
 * The processor was walking the guest's page tables (a table, not the
 * instruction's operand, is at the GPA; VMW86_MMIO_WRITE then means it
 * wanted to set an accessed or dirty bit).
 */
#define VMW86_MMIO_PAGE_WALK	(1u << 2)

/* Internal error sub-reasons (vmw86_run.internal.suberror). */
#define VMW86_INTERNAL_ERROR_UNHANDLED_EXIT	1 /* data[0]: SVM exit code */
#define VMW86_INTERNAL_ERROR_STRING_IO		2 /* data[0]: GVA */
/*
 * An access to the xAPIC page by an instruction the kernel does not
 * emulate there (it emulates MOV between a register or an immediate and
 * 32 bits of memory). data[0]: GPA; data[1]: RIP.
 */
#define VMW86_INTERNAL_ERROR_LAPIC_ACCESS	3
/*
 * A debug register access, intercepted while a debugger's are loaded
 * (VMW86_GUESTDBG_USE_HW_BP), by an instruction that is not the MOV DRn
 * the intercept named (its bytes changed, or cannot be read). data[0]:
 * RIP; data[1]: the debug register.
 */
#define VMW86_INTERNAL_ERROR_DR_ACCESS		4

/* The size of the vCPU mapping: the run page, then the I/O data page. */
#define VMW86_RUN_PAGES		2

/**
 * struct vmw86_run - shared between the kernel and the thread running a vCPU
 * @immediate_exit: in: when non-zero, VMW86_RUN returns EINTR at once
 *	without entering the guest (a KVM-style kick: set it, then signal the
 *	vCPU thread).
 * @regs_dirty: in: when non-zero, VMW86_RUN first loads @regs into the
 *	vCPU and clears this flag.
 * @request_interrupt_window: in: when non-zero, VMW86_RUN returns with
 *	VMW86_EXIT_IRQ_WINDOW_OPEN as soon as the guest can take an external
 *	interrupt and none is queued (at once if it already can); with
 *	VMW86_CREATE_LAPIC, only while LINT0 accepts ExtINT (never while the
 *	guest has it masked).
 * @ready_for_interrupt_injection: out: the guest can take an external
 *	interrupt now and none is queued: VMW86_INTERRUPT will be delivered on
 *	the next VMW86_RUN.
 * @if_flag: out: the guest's RFLAGS.IF.
 * @interrupt_shadow: out: the guest is in an interrupt shadow (after STI or
 *	MOV SS), which blocks interrupts for one instruction.
 * @padding1: must be 0.
 * @exit_reason: out: VMW86_EXIT_*.
 * @padding2: reserved.
 * @regs: out: the general registers at the exit, on every return of
 *	VMW86_RUN; in: loaded when @regs_dirty is set. This is how user space
 *	completes an MMIO access without extra ioctls.
 * @io: VMW86_EXIT_IO. @io.direction: VMW86_EXIT_IO_IN or _OUT. @io.size:
 *	bytes per element, 1, 2 or 4. @io.port: the port. @io.count: number of
 *	elements, 1 for IN/OUT, up to what fits in the data page for string
 *	I/O (INS/OUTS, with or without REP). @io.data_offset: byte offset of
 *	the data from the start of the mapping. For OUT the data is there on
 *	exit; for IN user space stores @io.count * @io.size bytes there and
 *	the next VMW86_RUN completes the instruction (register, or guest
 *	memory for INS, and RSI/RDI/RCX/RIP). A REP string instruction with
 *	more elements continues with further exits.
 * @mmio: VMW86_EXIT_MMIO: the guest touched a GPA in no slot, or wrote to a
 *	read-only slot. @mmio.gpa: the faulting GPA. @mmio.flags:
 *	VMW86_MMIO_*. @mmio.insn_len: how many bytes of @mmio.insn were
 *	fetched from the guest (0 to 15; fewer when the fetch crossed into
 *	unmapped memory). @mmio.insn: the bytes at CS:RIP. @mmio.cs_db,
 *	@mmio.cs_l: the code segment's D and L bits, telling the decoder the
 *	operating mode. User space decodes and emulates the instruction
 *	(vmw86 keeps x86 decoding out of the kernel), then writes the
 *	results into @regs (the destination register and RIP), sets
 *	@regs_dirty and calls VMW86_RUN again.
 * @fail_entry: VMW86_EXIT_FAIL_ENTRY: VMRUN refused the guest state.
 *	@fail_entry.hardware_exit_reason: the SVM exit code (VMEXIT_INVALID,
 *	-1, per AMD APM vol. 2, 15.5.1 "Basic Operation").
 * @internal: VMW86_EXIT_INTERNAL_ERROR: vmw86 could not handle an exit.
 *	@internal.suberror: VMW86_INTERNAL_ERROR_*. @internal.ndata: how many
 *	of @internal.data are valid.
 * @memory_fault: VMW86_EXIT_MEMORY_FAULT: @memory_fault.gpa is in a slot
 *	whose host mapping could not be faulted in; VMW86_RUN returned EFAULT.
 *	VMW86_EXIT_IRQ_WINDOW_OPEN (asked for with @request_interrupt_window)
 *	has no fields: @ready_for_interrupt_injection is set.
 * @shutdown: VMW86_EXIT_SHUTDOWN (triple fault): @shutdown.rip and
 *	@shutdown.cr3 are the guest's RIP and CR3 as the #VMEXIT saved them
 *	(the instruction whose fault could not be delivered, for a diagnosis;
 *	the APM does not promise them). The vCPU itself is back in the reset
 *	state, and must be set up again before it runs.
 *	VMW86_EXIT_HLT and VMW86_EXIT_VMMCALL have no fields either: @regs
 *	has the state, and RIP is already past the instruction.
 * @debug: VMW86_EXIT_DEBUG, for a debugger's event (VMW86_SET_GUEST_DEBUG).
 *	@debug.exception: 1 (#DB: a single step, RIP at the next
 *	instruction) or 3 (#BP: an INT3, RIP on it). @debug.pc: the linear
 *	address of RIP (CS base + RIP; RIP alone in 64-bit mode).
 *	@debug.dr6: DR6 as the step left it (DR6.BS, bit 14, set), before
 *	vmw86 put the guest's back; for #BP, the guest's. @debug.dr7: the
 *	guest's DR7.
 * @padding: keeps the union's size fixed.
 */
struct vmw86_run {
	__u8 immediate_exit;
	__u8 regs_dirty;
	__u8 request_interrupt_window;
	__u8 ready_for_interrupt_injection;
	__u8 if_flag;
	__u8 interrupt_shadow;
	__u8 padding1[2];

	__u32 exit_reason;
	__u32 padding2;

	struct vmw86_regs regs;

	union {
		struct {
			__u8 direction;
			__u8 size;
			__u16 port;
			__u32 count;
			__u64 data_offset;
		} io;
		struct {
			__u64 gpa;
			__u32 flags;
			__u8 insn_len;
			__u8 cs_db;
			__u8 cs_l;
			__u8 pad;
			__u8 insn[16];
		} mmio;
		struct {
			__u64 hardware_exit_reason;
		} fail_entry;
		struct {
			__u32 suberror;
			__u32 ndata;
			__u64 data[8];
		} internal;
		struct {
			__u64 gpa;
		} memory_fault;
		struct {
			__u64 rip;
			__u64 cr3;
		} shutdown;
		struct {
			__u32 exception;
			__u32 pad;
			__u64 pc;
			__u64 dr6;
			__u64 dr7;
		} debug;
		__u8 padding[256];
	};
};

/* ----------------------------------------------------------------------
 * Statistics (VM and vCPU fds)
 */

/*
 * VMW86_GET_STATS_FD: the argument is flags, which must be 0 (EINVAL
 * otherwise). Returns a new read-only fd (O_RDONLY | O_CLOEXEC) holding
 * the statistics of the VM or vCPU the ioctl was called on, in the binary
 * format below (the shape of KVM's KVM_GET_STATS_FD). read() and pread()
 * give its bytes from any offset; write() fails with EBADF, pwrite() with
 * ESPIPE. The fd keeps the VM alive until it is closed. On a vCPU fd it
 * does not wait for a VMW86_RUN in progress. Errors: EINVAL, EIO (a
 * process other than the VM's creator), EMFILE, ENOMEM.
 *
 * The fd's contents, at the offsets the header gives:
 *
 *	struct vmw86_stats_header   at 0
 *	char id[name_size]          at id_offset: "vmw86-PID" for a VM (PID:
 *	                            the creator's process id), "vmw86-PID/vcpu-N"
 *	                            for its vCPU N; NUL-terminated
 *	struct vmw86_stats_desc[]   at desc_offset: num_desc descriptors, each
 *	                            sizeof(struct vmw86_stats_desc) + name_size
 *	                            bytes long
 *	__u64 data[]                at data_offset: the values, each
 *	                            descriptor's at data_offset + its offset
 *
 * Everything before data_offset is fixed for the life of the fd; the
 * values are read at the time of each read. A VM's fd has the VM's own
 * counters and, under the same names as a vCPU fd's, the sums of the
 * counters of all its vCPUs. Documentation/virt/vmw86/api.rst lists every
 * statistic with its meaning and unit.
 */
#define VMW86_GET_STATS_FD	_IO(VMW86_IO, 0xcb)

/* The length of a statistic's name and of the id string, NUL included. */
#define VMW86_STATS_NAME_SIZE	48

/**
 * struct vmw86_stats_header - the first bytes of a statistics fd
 * @flags: 0; no flags are defined.
 * @name_size: bytes of the id string and of each descriptor's name,
 *	NUL included (VMW86_STATS_NAME_SIZE).
 * @num_desc: number of descriptors (and of statistics).
 * @id_offset: byte offset of the id string from the start of the fd.
 * @desc_offset: byte offset of the first descriptor.
 * @data_offset: byte offset of the values.
 */
struct vmw86_stats_header {
	__u32 flags;
	__u32 name_size;
	__u32 num_desc;
	__u32 id_offset;
	__u32 desc_offset;
	__u32 data_offset;
};

/* vmw86_stats_desc.flags: what kind of value (bits 3-0). */
#define VMW86_STATS_TYPE_SHIFT		0
#define VMW86_STATS_TYPE_MASK		(0xfu << VMW86_STATS_TYPE_SHIFT)
/* A count since creation; it only grows. */
#define VMW86_STATS_TYPE_CUMULATIVE	(0u << VMW86_STATS_TYPE_SHIFT)
/* A value now (it may go down). */
#define VMW86_STATS_TYPE_INSTANT	(1u << VMW86_STATS_TYPE_SHIFT)
/* The highest value seen. */
#define VMW86_STATS_TYPE_PEAK		(2u << VMW86_STATS_TYPE_SHIFT)

/* vmw86_stats_desc.flags: the unit (bits 7-4). */
#define VMW86_STATS_UNIT_SHIFT		4
#define VMW86_STATS_UNIT_MASK		(0xfu << VMW86_STATS_UNIT_SHIFT)
#define VMW86_STATS_UNIT_NONE		(0u << VMW86_STATS_UNIT_SHIFT)
#define VMW86_STATS_UNIT_BYTES		(1u << VMW86_STATS_UNIT_SHIFT)
#define VMW86_STATS_UNIT_SECONDS	(2u << VMW86_STATS_UNIT_SHIFT)
#define VMW86_STATS_UNIT_CYCLES		(3u << VMW86_STATS_UNIT_SHIFT)
#define VMW86_STATS_UNIT_BOOLEAN	(4u << VMW86_STATS_UNIT_SHIFT)

/* vmw86_stats_desc.flags: the base of vmw86_stats_desc.exponent (bits 11-8). */
#define VMW86_STATS_BASE_SHIFT		8
#define VMW86_STATS_BASE_MASK		(0xfu << VMW86_STATS_BASE_SHIFT)
#define VMW86_STATS_BASE_POW10		(0u << VMW86_STATS_BASE_SHIFT)
#define VMW86_STATS_BASE_POW2		(1u << VMW86_STATS_BASE_SHIFT)

/**
 * struct vmw86_stats_desc - one statistic's descriptor
 * @flags: VMW86_STATS_TYPE_*, VMW86_STATS_UNIT_* and VMW86_STATS_BASE_*
 *	or-ed together; the other bits are 0.
 * @exponent: the value times base ** @exponent is in the unit: -9 with
 *	VMW86_STATS_BASE_POW10 and VMW86_STATS_UNIT_SECONDS means
 *	nanoseconds; 0 for a plain count.
 * @size: number of __u64 values of the statistic (1 for each of vmw86's).
 * @offset: byte offset of its first value from the header's @data_offset.
 * @bucket_size: 0 (for KVM's shape: vmw86 has no histograms).
 * @name: the statistic's name, NUL-terminated, in the header's
 *	@name_size bytes; unique within the fd.
 */
struct vmw86_stats_desc {
	__u32 flags;
	__s16 exponent;
	__u16 size;
	__u32 offset;
	__u32 bucket_size;
	char name[];
};

#endif /* _UAPI_LINUX_VMW86_H */
