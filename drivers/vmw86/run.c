// SPDX-License-Identifier: GPL-2.0
/*
 * vmw86 run loop: what VMW86_RUN does between entering the guest and
 * returning to user space, for any backend.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/trapnr.h>

#include "vmw86.h"
#include "lapic.h"

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
 * vmw86_vcpu_inject_events() - deliver what waits for the guest, or ask to
 *	be told when it can take it
 * @vcpu: the vCPU (its thread), about to enter the guest.
 *
 * In the order the processor takes them: an NMI (which ignores IF), then
 * an external interrupt, the 8259's queued vector (VMW86_INTERRUPT)
 * before the local APIC's highest deliverable one, which moves from IRR
 * to ISR when taken. What cannot be delivered now asks the backend for an
 * exit when it can: an interrupt window, or for an NMI held by the one in
 * progress, an NMI window; so does user space's request_interrupt_window,
 * closed while LINT0 refuses the 8259's vectors.
 */
void vmw86_vcpu_inject_events(struct vmw86_vcpu *vcpu)
{
	struct vmw86_interrupt_state st;
	bool can_inject, irq_window = false, nmi_window = false;
	int vec;

	vmw86_ops->get_interrupt_state(vcpu, &st);
	can_inject = vmw86_can_take_interrupt(&st);
	if (vcpu->lapic) {
		/* An NMI ignores IF; IRET ends its blocking (APM 15.21.3). */
		if (!st.event_pending && vmw86_lapic_take_nmi(vcpu)) {
			vmw86_ops->inject_event(vcpu, VMW86_EVENT_NMI,
						X86_TRAP_NMI, false, 0);
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
		vmw86_ops->inject_event(vcpu, VMW86_EVENT_INTR,
					vcpu->pending_irq, false, 0);
		vcpu->pending_irq = -1;
	}
	if (vcpu->pending_irq >= 0 ||
	    (READ_ONCE(vcpu->run->request_interrupt_window) &&
	     vmw86_lapic_accepts_extint(vcpu)))
		irq_window = true;
	vmw86_ops->set_event_windows(vcpu, irq_window, nmi_window);
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
	vmw86_ops->inject_event(vcpu, VMW86_EVENT_EXCEPTION, X86_TRAP_UD,
				false, 0);
}

static void inject_gp(struct vmw86_vcpu *vcpu)
{
	vmw86_ops->inject_event(vcpu, VMW86_EVENT_EXCEPTION, X86_TRAP_GP,
				true, 0);
}

static int handle_msr(struct vmw86_vcpu *vcpu, const struct vmw86_exit *exit)
{
	u64 data;

	if (exit->msr.write) {
		data = (vcpu->regs[VCPU_REG_RDX] << 32) |
		       (u32)vcpu->regs[VCPU_REG_RAX];
		if (vmw86_vcpu_set_msr(vcpu, exit->msr.index, data)) {
			inject_gp(vcpu);
			return 1;
		}
	} else {
		if (vmw86_vcpu_get_msr(vcpu, exit->msr.index, &data)) {
			inject_gp(vcpu);
			return 1;
		}
		vcpu->regs[VCPU_REG_RAX] = lower_32_bits(data);
		vcpu->regs[VCPU_REG_RDX] = upper_32_bits(data);
	}
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

/**
 * vmw86_vcpu_handle_exit() - act on an exit the backend described
 * @vcpu: the vCPU (its thread), back from the guest.
 * @exit: what the backend saw.
 *
 * Context: process, interrupts on, preemptible.
 * Return: 1 to re-enter the guest; 0 to return to user space (vcpu->run
 * says why); a negative errno for VMW86_RUN to return.
 */
int vmw86_vcpu_handle_exit(struct vmw86_vcpu *vcpu,
			   const struct vmw86_exit *exit)
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
		return vmw86_vcpu_halt(vcpu);
	case VMW86_VEXIT_HYPERCALL:
		skip_insn(vcpu, exit, LEN_HYPERCALL);
		run->exit_reason = VMW86_EXIT_VMMCALL;
		return 0;
	case VMW86_VEXIT_SHUTDOWN:
		return handle_shutdown(vcpu);
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
