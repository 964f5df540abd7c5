// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 run loop: VMW86_RUN, for any backend.
 *
 * The core owns the loop, as NetBSD NVMM's nvmm_do_vcpu_run() does: it
 * checks for signals and immediate_exit, holds an AP in wait-for-SIPI,
 * reports user space's interrupt window, chooses what to inject, enters
 * the guest through the backend's vcpu_run op (once, with interrupts off,
 * after publishing guest mode and looking for posted events), and acts on
 * the &struct vmw86_exit the backend fills: in the kernel where it can
 * (CPUID, MSRs, memory faults, the local APIC page, HLT with an APIC),
 * otherwise by returning to user space with the run structure filled in.
 * design.rst draws it.
 */
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <asm/fpu/api.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmw86.h"
#include "lapic.h"

/* The tracepoints' code is made here, once for the module (trace.h). */
#define CREATE_TRACE_POINTS
#include "trace.h"

/*
 * Instruction lengths, for a backend that cannot say where the next
 * instruction starts (SVM without NRIPS): those of the plain encodings,
 * without prefixes.
 */
#define LEN_CPUID	2	/* 0F A2 */
#define LEN_HLT		1	/* F4 */
#define LEN_MSR		2	/* 0F 32, 0F 30 */
#define LEN_HYPERCALL	3	/* 0F 01 D9 (VMMCALL), 0F 01 C1 (VMCALL) */
#define LEN_XSETBV	3	/* 0F 01 D1 */
#define LEN_RDTSCP	3	/* 0F 01 F9 */
#define LEN_INVD	2	/* 0F 08, 0F 09 (WBINVD) */

/**
 * vmw86_vcpu_inject() - give the guest an event at its next entry
 * @vcpu: the vCPU (its thread, holding vcpu->mutex).
 * @type: an interrupt, an NMI or an exception.
 * @vector: its vector, 0 to 255.
 * @has_err: @err is the exception's error code.
 * @err: the error code.
 *
 * Every event the core gives the guest goes through here, to be counted
 * and traced; the caller has checked that the guest can take it now
 * (&vmw86_backend_ops.inject_event says what replaces what).
 */
void vmw86_vcpu_inject(struct vmw86_vcpu *vcpu, enum vmw86_event_type type,
		       u8 vector, bool has_err, u32 err)
{
	switch (type) {
	case VMW86_EVENT_INTR:
		vcpu->stat.irq_injections++;
		break;
	case VMW86_EVENT_NMI:
		vcpu->stat.nmi_injections++;
		break;
	case VMW86_EVENT_EXCEPTION:
		vcpu->stat.exc_injections++;
		break;
	}
	trace_vmw86_inject(vcpu, type, vector, has_err, err);
	vmw86_ops->inject_event(vcpu, type, vector, has_err, err);
}

/*
 * Deliver what waits for the guest, or ask to be told when it can take it.
 * In the order the processor takes them: an NMI (which ignores IF), then
 * an external interrupt, the 8259's queued vector (VMW86_INTERRUPT)
 * before the local APIC's highest deliverable one, which moves from IRR
 * to ISR when taken. What cannot be delivered now asks the backend for an
 * exit when it can: an interrupt window, or for an NMI held by the one in
 * progress, an NMI window; so does user space's request_interrupt_window,
 * closed while LINT0 refuses the 8259's vectors. A debugger's BLOCKIRQ
 * holds them all where they are (debug.c).
 */
static void inject_events(struct vmw86_vcpu *vcpu)
{
	struct vmw86_interrupt_state st;
	bool can_inject, irq_window = false, nmi_window = false;
	int vec;

	if (vcpu->guest_debug & VMW86_GUESTDBG_BLOCKIRQ) {
		vmw86_ops->set_event_windows(vcpu, false, false);
		return;
	}
	vmw86_ops->get_interrupt_state(vcpu, &st);
	can_inject = vmw86_can_take_interrupt(&st);
	if (vcpu->lapic) {
		/* An NMI ignores IF; IRET ends its blocking (APM 15.21.3). */
		if (!st.event_pending && vmw86_lapic_take_nmi(vcpu)) {
			vmw86_vcpu_inject(vcpu, VMW86_EVENT_NMI, X86_TRAP_NMI,
					  false, 0);
			can_inject = false;
		}
		nmi_window = vmw86_lapic_nmi_waiting(vcpu);
		/* The 8259's vector, if one is queued, goes first. */
		vec = vmw86_lapic_update(vcpu, can_inject &&
					 vcpu->pending_irq < 0);
		if (vec >= 0)
			vcpu->pending_irq = vec;
		else if (vec == VMW86_LAPIC_WANT_WINDOW)
			irq_window = true;
	}
	if (vcpu->pending_irq >= 0 && can_inject) {
		vmw86_vcpu_inject(vcpu, VMW86_EVENT_INTR, vcpu->pending_irq,
				  false, 0);
		vcpu->pending_irq = -1;
	}
	if (vcpu->pending_irq >= 0 ||
	    (READ_ONCE(vcpu->run->request_interrupt_window) &&
	     vmw86_lapic_accepts_extint(vcpu)))
		irq_window = true;
	vmw86_ops->set_event_windows(vcpu, irq_window, nmi_window);
}

/*
 * A signal is pending or user space set immediate_exit: VMW86_RUN returns
 * -EINTR with VMW86_EXIT_INTR. Checked before each entry.
 */
static int exit_on_signal(struct vmw86_vcpu *vcpu)
{
	if (!signal_pending(current) && !READ_ONCE(vcpu->run->immediate_exit))
		return 0;
	vcpu->run->exit_reason = VMW86_EXIT_INTR;
	return -EINTR;
}

/* An AP before STARTUP, or any vCPU after INIT. */
static bool waits_for_sipi(struct vmw86_vcpu *vcpu)
{
	return vcpu->lapic && vcpu->lapic->mp_state != VMW86_MP_RUNNABLE;
}

/*
 * User space asked for an interrupt window and it is open: nothing is
 * queued, the guest can take an interrupt now and, with a local APIC,
 * LINT0 accepts ExtINT (the same condition as
 * ready_for_interrupt_injection). Then set the run structure for
 * VMW86_EXIT_IRQ_WINDOW_OPEN and return true. Checked before each entry.
 */
static bool exit_for_irq_window(struct vmw86_vcpu *vcpu)
{
	struct vmw86_interrupt_state st;

	if (!READ_ONCE(vcpu->run->request_interrupt_window) ||
	    vcpu->pending_irq >= 0)
		return false;
	vmw86_ops->get_interrupt_state(vcpu, &st);
	/* The window is for VMW86_INTERRUPT: closed while LINT0 refuses it. */
	if (!vmw86_can_take_interrupt(&st) ||
	    !vmw86_lapic_accepts_extint(vcpu))
		return false;
	vcpu->run->exit_reason = VMW86_EXIT_IRQ_WINDOW_OPEN;
	vcpu->stat.irq_window_exits++;
	return true;
}

/* Tell user space whether the guest can take an interrupt now. */
static void report_interrupt_state(struct vmw86_vcpu *vcpu)
{
	struct vmw86_run *run = vcpu->run;
	struct vmw86_interrupt_state st;

	vmw86_ops->get_interrupt_state(vcpu, &st);
	run->if_flag = st.if_flag;
	run->interrupt_shadow = st.shadow;
	run->ready_for_interrupt_injection = vmw86_can_take_interrupt(&st) &&
					     vcpu->pending_irq < 0 &&
					     vmw86_lapic_accepts_extint(vcpu);
}

/*
 * Enter the guest once. Interrupts are off from publishing guest mode to
 * leaving it: a kick, TLB shootdown or TSC change made after ->mode is set
 * either is seen here (posted APIC events, tlb_gen, the TSC offset, all
 * read after the barrier) or finds the vCPU in guest mode and forces it
 * out. Return 0 after an exit (@exit describes it), 1 when an event posted
 * in the meantime called the entry off (the caller takes it and tries
 * again), or the backend's errno.
 */
static int enter_guest(struct vmw86_vcpu *vcpu, struct vmw86_exit *exit)
{
	s64 gen;
	int ret;

	local_irq_disable();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();

	vcpu->cpu = smp_processor_id();
	WRITE_ONCE(vcpu->mode, VCPU_IN_GUEST_MODE);
	/*
	 * Pairs with vmw86_vm_flush_tlbs(), vmw86_vm_write_tsc() and
	 * vmw86_vcpu_kick(): mode is visible before tlb_gen, the TSC offset
	 * and the APIC's events are read, so a later change kicks the vCPU
	 * out of the guest.
	 */
	smp_mb();
	if (vmw86_lapic_has_events(vcpu)) {
		vcpu->stat.entry_cancels++;
		ret = 1;
		goto out;
	}
	gen = atomic64_read(&vcpu->vm->tlb_gen);
	if (vcpu->tlb_gen != gen) {
		vcpu->stat.tlb_flushes++;
		vmw86_ops->flush_tlb(vcpu);
		vcpu->tlb_gen = gen;
	}
	/* With a local APIC, the guest's CR8 is its TPR (APM vol. 2, 16.6.4). */
	if (vcpu->lapic)
		vcpu->cr8 = vmw86_lapic_get_cr8(vcpu);
	trace_vmw86_entry(vcpu);
	vmw86_debug_before_entry(vcpu);
	ret = vmw86_ops->vcpu_run(vcpu, exit);
	vmw86_debug_after_exit(vcpu);
out:
	WRITE_ONCE(vcpu->mode, VCPU_OUTSIDE_GUEST_MODE);
	local_irq_enable();
	if (ret)
		return ret;

	vcpu->stat.exits++;
	trace_vmw86_exit(vcpu, exit);

	/* Nothing of what the hardware refused was kept: start afresh. */
	if (exit->reason == VMW86_VEXIT_FAIL_ENTRY && exit->hw.state_lost)
		vmw86_vcpu_reset(vcpu);
	if (vcpu->lapic)
		vmw86_lapic_set_cr8(vcpu, vcpu->cr8);
	return 0;
}

/*
 * HLT with a local APIC sleeps in the kernel until the vCPU has something
 * to do; without one, user space (which owns the interrupt controllers)
 * gets VMW86_EXIT_HLT. RIP is past the HLT.
 */
static int handle_hlt(struct vmw86_vcpu *vcpu)
{
	if (vcpu->lapic)
		return vmw86_lapic_halt(vcpu);
	vcpu->run->exit_reason = VMW86_EXIT_HLT;
	return 0;
}

static void skip_insn(struct vmw86_vcpu *vcpu, const struct vmw86_exit *exit,
		      unsigned int len)
{
	if (exit->next_rip)
		vcpu->rip = exit->next_rip;
	else
		vcpu->rip += len;
}

/* Exceptions leave RIP on the instruction that faulted. */
static void inject_ud(struct vmw86_vcpu *vcpu)
{
	vmw86_vcpu_inject(vcpu, VMW86_EVENT_EXCEPTION, X86_TRAP_UD, false, 0);
}

static void inject_gp(struct vmw86_vcpu *vcpu)
{
	vmw86_vcpu_inject(vcpu, VMW86_EVENT_EXCEPTION, X86_TRAP_GP, true, 0);
}

static int handle_msr(struct vmw86_vcpu *vcpu, const struct vmw86_exit *exit)
{
	u64 data;

	if (exit->msr.write) {
		data = (vcpu->regs[VCPU_REG_RDX] << 32) |
		       (u32)vcpu->regs[VCPU_REG_RAX];
		if (vmw86_vcpu_set_msr(vcpu, exit->msr.index, data)) {
			trace_vmw86_msr(vcpu, true, exit->msr.index, data, true);
			inject_gp(vcpu);
			return 1;
		}
	} else {
		if (vmw86_vcpu_get_msr(vcpu, exit->msr.index, &data)) {
			trace_vmw86_msr(vcpu, false, exit->msr.index, 0, true);
			inject_gp(vcpu);
			return 1;
		}
		vcpu->regs[VCPU_REG_RAX] = lower_32_bits(data);
		vcpu->regs[VCPU_REG_RDX] = upper_32_bits(data);
	}
	trace_vmw86_msr(vcpu, exit->msr.write, exit->msr.index, data, false);
	skip_insn(vcpu, exit, LEN_MSR);
	return 1;
}

static int handle_cpuid(struct vmw86_vcpu *vcpu,
			const struct vmw86_exit *exit)
{
	struct vmw86_paging_state ps;
	u32 out[4];

	vmw86_ops->get_paging_state(vcpu, &ps);
	vmw86_cpuid_lookup(vcpu, exit->cpuid.function, exit->cpuid.index,
			   ps.cr4 & X86_CR4_OSXSAVE, out);
	vcpu->regs[VCPU_REG_RAX] = out[0];
	vcpu->regs[VCPU_REG_RBX] = out[1];
	vcpu->regs[VCPU_REG_RCX] = out[2];
	vcpu->regs[VCPU_REG_RDX] = out[3];
	trace_vmw86_cpuid(vcpu, exit->cpuid.function, exit->cpuid.index, out);
	skip_insn(vcpu, exit, LEN_CPUID);
	return 1;
}

static int handle_memory(struct vmw86_vcpu *vcpu,
			 const struct vmw86_exit *exit)
{
	int ret;

	ret = vmw86_handle_gpa_fault(vcpu, exit->mem.gpa, exit->mem.write);
	if (ret == VMW86_FAULT_RETRY)
		return 1;
	if (ret == VMW86_FAULT_MMIO)
		return vmw86_vcpu_exit_mmio(vcpu, exit->mem.gpa,
					    exit->mem.write, exit->mem.fetch,
					    exit->mem.page_walk);
	return ret;
}

/* XSETBV is privileged: #GP outside CPL 0 (APM vol. 3, "XSETBV"). */
static int handle_xsetbv(struct vmw86_vcpu *vcpu,
			 const struct vmw86_exit *exit)
{
	u64 value = (vcpu->regs[VCPU_REG_RDX] << 32) |
		    (u32)vcpu->regs[VCPU_REG_RAX];

	if (exit->cpl != 0 ||
	    !vmw86_vcpu_xsetbv(vcpu, vcpu->regs[VCPU_REG_RCX], value)) {
		inject_gp(vcpu);
		return 1;
	}
	skip_insn(vcpu, exit, LEN_XSETBV);
	return 1;
}

static int handle_rdtscp(struct vmw86_vcpu *vcpu,
			 const struct vmw86_exit *exit)
{
	u64 tsc = vmw86_vm_read_tsc(vcpu->vm);

	vcpu->regs[VCPU_REG_RAX] = lower_32_bits(tsc);
	vcpu->regs[VCPU_REG_RDX] = upper_32_bits(tsc);
	vcpu->regs[VCPU_REG_RCX] = vcpu->tsc_aux;
	skip_insn(vcpu, exit, LEN_RDTSCP);
	return 1;
}

/*
 * The interrupt window opened with RIP on a HLT and an interrupt waiting:
 * take the interrupt as the HLT's wake-up, by retiring the HLT first. That
 * is what the CPU does when the interrupt arrives just after the HLT began,
 * so it is always allowed; and it keeps "sti; hlt" safe on an SVM that
 * opens the window inside the STI shadow (QEMU's): the interrupt would
 * otherwise be taken before the HLT, which then sleeps with nothing left
 * to wake it.
 */
static void skip_hlt_before_interrupt(struct vmw86_vcpu *vcpu)
{
	unsigned int len;
	bool db, l;
	u8 insn[15];

	if (vcpu->pending_irq < 0 && !vmw86_lapic_has_interrupt(vcpu))
		return;
	len = vmw86_vcpu_fetch_insn(vcpu, insn, &db, &l);
	if (!vmw86_insn_is_hlt(insn, len))
		return;
	vcpu->rip = l ? vcpu->rip + LEN_HLT : (u32)(vcpu->rip + LEN_HLT);
}

/*
 * A triple fault: keep where the guest died for user space's diagnosis,
 * then reset the vCPU, since the hardware's copy of its state is undefined
 * now (APM vol. 2, 15.13.5).
 */
static int handle_shutdown(struct vmw86_vcpu *vcpu)
{
	struct vmw86_paging_state ps;

	vmw86_ops->get_paging_state(vcpu, &ps);
	vcpu->run->shutdown.rip = vcpu->rip;
	vcpu->run->shutdown.cr3 = ps.cr3;
	vmw86_vcpu_reset(vcpu);
	vcpu->run->exit_reason = VMW86_EXIT_SHUTDOWN;
	return 0;
}

/*
 * Act on an exit the backend described (interrupts on, preemptible).
 * Return 1 to re-enter the guest; 0 to return to user space (vcpu->run
 * says why); a negative errno for VMW86_RUN to return.
 */
static int handle_exit(struct vmw86_vcpu *vcpu, const struct vmw86_exit *exit)
{
	struct vmw86_run *run = vcpu->run;

	if (exit->nmi_unblocked && vcpu->lapic)
		vmw86_lapic_nmi_done(vcpu);

	switch (exit->reason) {
	case VMW86_VEXIT_NONE:
		return 1;
	case VMW86_VEXIT_MACHINE_CHECK:
		/* Let the host's handler see it, as KVM's kvm_machine_check(). */
		if (boot_cpu_has(X86_FEATURE_MCE))
			asm volatile("int $0x12");
		return 1;
	case VMW86_VEXIT_IRQ_WINDOW:
		/* The window is open: inject, or report it, before re-entry. */
		skip_hlt_before_interrupt(vcpu);
		return 1;
	case VMW86_VEXIT_CPUID:
		return handle_cpuid(vcpu, exit);
	case VMW86_VEXIT_MSR:
		return handle_msr(vcpu, exit);
	case VMW86_VEXIT_IO:
		return vmw86_vcpu_exit_io(vcpu, exit->io.port, exit->io.size,
					  exit->io.in, exit->io.string,
					  exit->io.rep, exit->io.addr_size,
					  exit->next_rip);
	case VMW86_VEXIT_MEMORY:
		return handle_memory(vcpu, exit);
	case VMW86_VEXIT_XSETBV:
		return handle_xsetbv(vcpu, exit);
	case VMW86_VEXIT_RDTSCP:
		return handle_rdtscp(vcpu, exit);
	case VMW86_VEXIT_HLT:
		skip_insn(vcpu, exit, LEN_HLT);
		return handle_hlt(vcpu);
	case VMW86_VEXIT_HYPERCALL:
		skip_insn(vcpu, exit, LEN_HYPERCALL);
		run->exit_reason = VMW86_EXIT_VMMCALL;
		return 0;
	case VMW86_VEXIT_SHUTDOWN:
		return handle_shutdown(vcpu);
	case VMW86_VEXIT_DEBUG:
		return vmw86_debug_handle_db(vcpu);
	case VMW86_VEXIT_BREAKPOINT:
		return vmw86_debug_handle_bp(vcpu);
	case VMW86_VEXIT_DR:
		return vmw86_debug_handle_dr(vcpu, exit);
	case VMW86_VEXIT_INVD:
		/* No device DMA reaches guest memory behind the caches. */
		skip_insn(vcpu, exit, LEN_INVD);
		return 1;
	case VMW86_VEXIT_UD:
		/* As on a CPU without them: #UD. */
		inject_ud(vcpu);
		return 1;
	case VMW86_VEXIT_RDPMC:
		/* Host performance counters are not the guest's to read. */
		inject_gp(vcpu);
		return 1;
	case VMW86_VEXIT_FAIL_ENTRY:
		run->exit_reason = VMW86_EXIT_FAIL_ENTRY;
		run->fail_entry.hardware_exit_reason = exit->hw.code;
		return 0;
	case VMW86_VEXIT_UNKNOWN:
	default:
		run->exit_reason = VMW86_EXIT_INTERNAL_ERROR;
		run->internal.suberror = VMW86_INTERNAL_ERROR_UNHANDLED_EXIT;
		run->internal.ndata = 1;
		run->internal.data[0] = exit->hw.code;
		return 0;
	}
}

static int run_loop(struct vmw86_vcpu *vcpu)
{
	struct vmw86_exit exit;
	u64 exit_rip;
	int ret;

	for (;;) {
		ret = exit_on_signal(vcpu);
		if (ret)
			return ret;
		if (vmw86_debug_exit_for_step(vcpu))
			return 0;
		if (waits_for_sipi(vcpu)) {
			ret = vmw86_lapic_wait_for_sipi(vcpu);
			if (ret)
				return ret;
			continue;
		}
		if (exit_for_irq_window(vcpu))
			return 0;
		inject_events(vcpu);
		if (waits_for_sipi(vcpu))
			continue;	/* an INIT arrived */
		cond_resched();

		ret = enter_guest(vcpu, &exit);
		if (ret < 0)
			return ret;
		if (ret > 0)
			continue;

		exit_rip = vcpu->rip;
		ret = handle_exit(vcpu, &exit);
		/* A reset vCPU moved, but retired nothing. */
		if (exit.reason != VMW86_VEXIT_SHUTDOWN &&
		    exit.reason != VMW86_VEXIT_FAIL_ENTRY)
			vmw86_debug_retired(vcpu, exit_rip);
		/* One place counts every exit, by where it was handled. */
		if (ret > 0) {
			vcpu->stat.exits_kernel[exit.reason]++;
		} else {
			vcpu->stat.exits_user[exit.reason]++;
			return ret;
		}
	}
}

/**
 * vmw86_vcpu_run() - VMW86_RUN
 * @vcpu: the vCPU; its thread holds vcpu->mutex.
 *
 * Takes user space's registers from the run structure if it changed them
 * (regs_dirty), finishes an IN or INS the last exit left, and runs the
 * guest until an exit for user space, with the guest's FPU registers live
 * throughout. The run structure then holds the registers and the
 * interrupt state, whatever the outcome.
 *
 * Context: process, may sleep (HLT, wait-for-SIPI, faults).
 * Return: 0 with vcpu->run->exit_reason set; -EINTR with VMW86_EXIT_INTR
 * for a signal or immediate_exit; another negative errno (vcpu->run may
 * say more, see the uapi header).
 */
long vmw86_vcpu_run(struct vmw86_vcpu *vcpu)
{
	struct vmw86_run *run = vcpu->run;
	int ret;

	vcpu->stat.runs++;
	if (run->regs_dirty) {
		vmw86_vcpu_set_regs(vcpu, &run->regs);
		run->regs_dirty = 0;
	}
	if (vcpu->io.active) {
		u64 in_rip = vcpu->rip;

		ret = vmw86_vcpu_complete_io(vcpu);
		if (ret)
			goto out;
		vmw86_debug_retired(vcpu, in_rip);
	}

	ret = exit_on_signal(vcpu);
	if (ret)
		goto out;

	/* The guest's FPU registers are live for the whole run. */
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, true);
	ret = run_loop(vcpu);
	fpu_swap_kvm_fpstate(&vcpu->guest_fpu, false);
out:
	if (ret == -EINTR)
		vcpu->stat.signal_exits++;
	vmw86_vcpu_get_regs(vcpu, &run->regs);
	report_interrupt_state(vcpu);
	return ret;
}
